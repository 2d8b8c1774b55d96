"""Treasury policies through the HTTP API (docs/policies.md §12.5).

The daemon runs with --unsafe-test-clock so that delays can be passed with
POST /v1/test/clock instead of waited for. Covered here: the policy given
at creation and read back with its digest, set-policy proposals (config
track: the raised bar and the config delay), the spend timelock, and that
the admin role cannot change signers, threshold or policy.
"""

import signers as sg
import framework
from framework import assert_equal, assert_problem, assert_true
from treasury_helpers import DAY_S, freeze_sig, parse_ts, setup

CLOCK = ["--unsafe-test-clock"]


def advance(node, seconds):
    r = node.post("/v1/test/clock", body={"advance_s": seconds})
    assert_equal(r.status, 200, "test clock: %r" % r)
    return r.json["now"]    # a timestamp string


def create(c, tid, threshold, signer_list, policy=None, expect=201):
    body = {"id": tid, "threshold": threshold,
            "signers": [s.as_json() for s in signer_list]}
    if policy is not None:
        body["policy"] = policy
    r = c.node.post("/v1/treasuries", body)
    assert_equal(r.status, expect, "create %s: %r" % (tid, r))
    c.nonces[tid] = 0
    return r


def get_policy(c, tid):
    r = c.node.get("/v1/treasuries/%s/policy" % tid, token=c.viewer)
    assert_equal(r.status, 200, "policy of %s: %r" % (tid, r))
    return r.json


def propose(c, tid, body):
    r = c.propose(tid, body)
    assert_equal(r.status, 201, "propose %r: %r" % (body, r))
    p = r.json
    assert_equal(sg.proposal_id(p["canonical"]).hex(), p["id"],
                 "id recomputed from the canonical text")
    return p


def assert_policy_digest(view):
    want = sg.tagged_hash("treasuryd/policy/v1", view["text"].encode())
    assert_equal(view["digest"], want.hex(), "digest of the policy lines")


def test_creation_policy_is_shown_with_its_digest(ctx):
    node, c = setup(ctx, extra_args=CLOCK)
    a, b, d = sg.signers("cp", "ees")
    policy = {"timelock_spend_s": 3600, "timelock_config_s": 2 * DAY_S,
              "config_threshold": 3}
    create(c, "cpol", 2, [a, b, d], policy)
    view = get_policy(c, "cpol")
    assert_equal(view["config_version"], 1, "config version")
    got = view["policy"]
    assert_equal((got["timelock_spend_s"], got["timelock_config_s"],
                  got["config_threshold"], got["veto_count"],
                  got["high_threshold"], got["key_proof"], got["limits"],
                  got["reserves"], got["allowlist"]),
                 (3600, 2 * DAY_S, 3, None, None, False, [], [],
                  {"enabled": False, "destinations": []}), "policy values")
    assert_policy_digest(view)
    assert_true(view["text"].startswith("threshold: 2\nsigners: 3\n"),
                "policy lines start with M and N: %r" % view["text"])
    assert_equal((view["frozen"], view["freeze_seq"], view["next_freeze"],
                  view["frozen_at"], view["remaining"]),
                 (False, 0, 1, None, []), "freeze state and allowances")
    # A treasury made without a policy has the empty one.
    create(c, "plain", 2, sg.signers("cq", "ee"))
    empty = get_policy(c, "plain")
    assert_equal((empty["policy"]["timelock_spend_s"],
                  empty["policy"]["config_threshold"]), (0, 2),
                 "empty policy")
    assert_policy_digest(empty)
    assert_problem(c.node.get("/v1/treasuries/nope/policy", token=c.viewer),
                   404, "unknown-treasury")


def test_invalid_or_unavailable_policies_are_refused(ctx):
    node, c = setup(ctx)
    c.asset_ok("USDC", 6)
    s = sg.signers("ip", "eee")
    cases = [
        ({"timelock_spend_s": 600, "timelock_config_s": 60}, 422,
         "policy-timelock"),
        ({"timelock_spend_s": 91 * DAY_S}, 422, "policy-timelock"),
        ({"config_threshold": 4}, 422, "policy-config-threshold"),
        ({"config_threshold": 1}, 422, "policy-config-threshold"),
        ({"colour": "red"}, 400, "unknown-field"),
        ({"key_proof": "yes"}, 400, "field-type"),
        ({"veto_count": 4}, 422, "policy-veto-count"),
        ({"high_threshold": 1}, 422, "policy-high-threshold"),
        ({"limits": [{"asset": "USDC"}]}, 422, "policy-limit"),
        ({"reserves": [{"asset": "USDC"}]}, 400, "missing-field"),
        ({"limits": [{"asset": "USDC", "day": 5}]}, 400, "field-type"),
    ]
    for i, (policy, status, slug) in enumerate(cases):
        r = create(c, "bad%d" % i, 2, s, policy, expect=status)
        assert_problem(r, status, slug)
    # M == N: no room for an extra config approval.
    r = create(c, "full", 3, s, {"config_threshold": 4}, expect=422)
    assert_problem(r, 422, "policy-config-threshold")


def test_spend_timelock(ctx):
    node, c = setup(ctx, extra_args=CLOCK)
    c.asset_ok("USDC", 6)
    a, b, d = sg.signers("tl", "ees")
    create(c, "tl", 2, [a, b, d], {"timelock_spend_s": DAY_S})
    c.deposit_ok("tl", "USDC", "100", "d1")
    p = propose(c, "tl", {"kind": "transfer", "asset": "USDC",
                          "amount": "10", "to": "dest-1"})
    got = c.get_proposal(p["id"])
    assert_equal((got["approved_at"], got["executable_at"],
                  got["required_approvals"]), (None, None, 2), "pending")
    # The default expiry outlives the delay: now + 1 day + 7 days.
    expires = parse_ts(got["expires_at"])
    assert_true(expires - parse_ts(got["created_at"]) == 8 * DAY_S,
                "default expiry after the delay: %r" % got)
    c.approve_all(p["id"], [a, b])
    got = c.get_proposal(p["id"])
    at = parse_ts(got["executable_at"])
    assert_equal(at - parse_ts(got["approved_at"]), DAY_S, "executable_at")
    r = c.execute(p["id"])
    assert_problem(r, 409, "timelocked")
    assert_true(got["executable_at"] in r.json["detail"],
                "detail names executable_at: %r" % r.json)
    # The test clock is the real clock plus an offset: keep a margin of
    # real seconds on the early side, so a slow run cannot cross it.
    margin_s = 30
    now = parse_ts(advance(node, 1))
    advance(node, at - now - margin_s)  # executable_at - 30 s
    assert_problem(c.execute(p["id"]), 409, "timelocked")
    advance(node, margin_s)             # executable_at, or just past it
    c.execute_ok(p["id"])
    assert_equal(c.balance("tl", "USDC"), "90.000000", "debited once")
    # An expiry too soon for the delay is refused.
    soon = at + DAY_S       # the clock is at executable_at: inside the delay
    r = c.propose("tl", {"kind": "transfer", "asset": "USDC", "amount": "1",
                         "to": "dest-1", "expires_at": sg_ts(soon)})
    assert_problem(r, 422, "expiry-too-soon")


def sg_ts(unix_s):
    from treasury_helpers import ts
    return ts(unix_s)


def test_raised_bar_and_config_delay(ctx):
    node, c = setup(ctx, extra_args=CLOCK)
    a, b, d = sg.signers("rb", "ees")
    create(c, "rb", 2, [a, b, d], {"timelock_spend_s": 0,
                                   "timelock_config_s": 2 * DAY_S,
                                   "config_threshold": 3})
    e = sg.Signer("erin")
    p = propose(c, "rb", {"kind": "add-signer", "signer": e.as_json()})
    assert_equal(c.get_proposal(p["id"])["required_approvals"], 3,
                 "config track needs M + 1")
    c.vote_ok(p["id"], a, want_status="pending")
    c.vote_ok(p["id"], b, want_status="pending")   # M approvals: not enough
    c.vote_ok(p["id"], d, want_status="approved")
    assert_problem(c.execute(p["id"]), 409, "timelocked")
    advance(node, 2 * DAY_S)
    c.execute_ok(p["id"])
    t = c.treasury("rb")
    assert_equal((t["config_version"], len(t["signers"])), (2, 4),
                 "signer added")
    view = get_policy(c, "rb")
    assert_equal((view["config_version"], view["policy"]["config_threshold"],
                  view["policy"]["timelock_config_s"]), (2, 3, 2 * DAY_S),
                 "policy carried over to the new version")
    assert_policy_digest(view)
    # set-threshold to N while config_threshold is M + 1: change the
    # policy first.
    r = c.propose("rb", {"kind": "set-threshold", "new_threshold": 4})
    assert_problem(r, 422, "policy-config-threshold")


def test_set_policy_changes_the_policy(ctx):
    node, c = setup(ctx, extra_args=CLOCK)
    c.asset_ok("USDC", 6)
    a, b, d = sg.signers("sp", "ees")
    create(c, "sp", 2, [a, b, d])
    c.deposit_ok("sp", "USDC", "100", "d1")
    old = get_policy(c, "sp")
    spend = propose(c, "sp", {"kind": "transfer", "asset": "USDC",
                              "amount": "1", "to": "dest-1"})
    want = {"timelock_spend_s": 3600, "timelock_config_s": DAY_S,
            "config_threshold": 3}
    p = propose(c, "sp", {"kind": "set-policy", "policy": want,
                          "memo": "slow down"})
    pairs = sg.parse_canonical(p["canonical"])
    keys = [k for k, _ in pairs]
    assert_equal(dict(pairs)["kind"], "set-policy", "kind line")
    assert_true(keys.index("threshold") < keys.index("memo"),
                "policy lines before the memo: %r" % keys)
    text = p["canonical"]
    assert_true("threshold: 2\nsigners: 3\n" in text, "M and N lines")
    # The same policy as now changes nothing.
    r = c.propose("sp", {"kind": "set-policy", "policy": {}})
    assert_problem(r, 422, "config-change")
    r = c.propose("sp", {"kind": "set-policy",
                         "policy": {"config_threshold": 5}})
    assert_problem(r, 422, "policy-config-threshold")
    assert_problem(c.propose("sp", {"kind": "set-policy"}), 400,
                   "missing-field")
    c.approve_all(p["id"], [a, b])
    c.execute_ok(p["id"])       # the old policy had no config delay
    view = get_policy(c, "sp")
    assert_equal(view["config_version"], 2, "a new config version")
    assert_equal((view["policy"]["timelock_spend_s"],
                  view["policy"]["timelock_config_s"],
                  view["policy"]["config_threshold"]),
                 (3600, DAY_S, 3), "the new policy")
    assert_true(view["digest"] != old["digest"], "digest changed")
    assert_policy_digest(view)
    assert_true(view["text"] in p["canonical"],
                "the signed text holds the policy lines")
    assert_equal(c.get_proposal(spend["id"])["status"], "stale",
                 "older proposals are stale")
    # The new policy applies: a spend waits an hour.
    q = propose(c, "sp", {"kind": "transfer", "asset": "USDC",
                          "amount": "1", "to": "dest-1"})
    c.approve_all(q["id"], [a, b])
    assert_problem(c.execute(q["id"]), 409, "timelocked")
    advance(node, 3600)
    c.execute_ok(q["id"])


def test_admin_cannot_change_signers_or_policy(ctx):
    node, c = setup(ctx, extra_args=CLOCK)
    c.asset_ok("USDC", 6)
    a, b, d = sg.signers("ad", "ees")
    create(c, "adm", 2, [a, b, d])
    admin = node.admin_token
    e = sg.Signer("eve")
    for body in [{"kind": "add-signer", "signer": e.as_json()},
                 {"kind": "remove-signer", "signer": a.name},
                 {"kind": "set-threshold", "new_threshold": 3},
                 {"kind": "set-policy", "policy": {"timelock_spend_s": 0}}]:
        assert_problem(c.propose("adm", body, token=admin), 403)
    p = propose(c, "adm", {"kind": "set-threshold", "new_threshold": 3})
    assert_problem(c.vote(p["id"], a, token=admin), 403)
    assert_problem(c.execute(p["id"], token=admin), 403)
    # No endpoint writes a treasury's config or policy directly.
    for method, path in [("PUT", "/v1/treasuries/adm"),
                         ("PATCH", "/v1/treasuries/adm"),
                         ("POST", "/v1/treasuries/adm"),
                         ("POST", "/v1/treasuries/adm/policy"),
                         ("PUT", "/v1/treasuries/adm/policy"),
                         ("POST", "/v1/treasuries/adm/signers")]:
        r = node.request(method, path, body={})
        assert_true(r.status in (404, 405),
                    "%s %s: %r" % (method, path, r))
    # Creating the same id again does not replace it.
    r = create(c, "adm", 1, [e], {"timelock_spend_s": 0}, expect=409)
    assert_problem(r, 409, "treasury-exists")
    t = c.treasury("adm")
    assert_equal((t["threshold"], [s["name"] for s in t["signers"]]),
                 (2, sorted([a.name, b.name, d.name])), "unchanged")


# ---- vetoes (docs/policies.md §1) and revocations (§8) ----

def act_sign(signer, tag, pid):
    return signer.sign_digest(sg.tagged_hash(tag, bytes.fromhex(pid))).hex()


def veto(c, pid, signer, name=None, sig=None, token=None):
    body = {"signer": name or signer.name,
            "signature": sig or act_sign(signer, "treasuryd/veto/v1", pid)}
    return c.node.post("/v1/proposals/%s/vetoes" % pid, body,
                       token=token or c.signer_token)


def revoke(c, pid, signer, token=None):
    body = {"signer": signer.name,
            "signature": act_sign(signer, "treasuryd/revoke/v1", pid)}
    return c.node.post("/v1/proposals/%s/revocations" % pid, body,
                       token=token or c.signer_token)


def test_veto_within_the_delay(ctx):
    node, c = setup(ctx, extra_args=CLOCK)
    c.asset_ok("USDC", 6)
    sigs = sg.signers("vt", "eese")
    a, b, d, e = sigs
    create(c, "vt", 2, sigs, {"timelock_spend_s": DAY_S})
    c.deposit_ok("vt", "USDC", "100", "d1")
    p = propose(c, "vt", {"kind": "transfer", "asset": "USDC",
                          "amount": "10", "to": "dest-1"})
    c.approve_all(p["id"], [a, b])
    got = c.get_proposal(p["id"])
    assert_equal((got["veto_threshold"], got["vetoes"]), (2, []),
                 "default veto count of 4 signers: ceil(4/3)")
    # A signer who approved may veto; one veto of two leaves it approved.
    r = veto(c, p["id"], a)
    assert_equal((r.status, r.json["status"], r.json["vetoes"],
                  r.json["veto_threshold"], r.json["replayed"]),
                 (200, "approved", 1, 2, False), "first veto: %r" % r)
    r = veto(c, p["id"], a)
    assert_equal((r.status, r.json["vetoes"], r.json["replayed"]),
                 (200, 1, True), "repeat: %r" % r)
    # Wrong signatures do not count.
    assert_problem(veto(c, p["id"], d, sig=act_sign(
        d, "treasuryd/revoke/v1", p["id"])), 422, "signature-invalid")
    assert_problem(veto(c, p["id"], d, sig=d.sign_vote(p["id"])), 422,
                   "signature-invalid")
    assert_problem(veto(c, p["id"], sg.Signer("mallory")), 422,
                   "unknown-signer")
    assert_problem(veto(c, p["id"], d, token=node.admin_token), 403)
    r = veto(c, p["id"], e)
    assert_equal((r.status, r.json["status"], r.json["vetoes"]),
                 (200, "vetoed", 2), "second veto: %r" % r)
    got = c.get_proposal(p["id"])
    assert_equal((got["status"], sorted(v["signer"] for v in got["vetoes"])),
                 ("vetoed", sorted([a.name, e.name])), "vetoed with both")
    advance(node, DAY_S + 1)
    assert_problem(c.execute(p["id"]), 409, "vetoed")
    assert_problem(c.vote(p["id"], d), 409, "vetoed")
    assert_problem(veto(c, p["id"], d), 409, "veto-closed")
    assert_equal([x["id"] for x in c.proposals("vt", status="vetoed")],
                 [p["id"]], "listed as vetoed")
    assert_equal(c.balance("vt", "USDC"), "100.000000", "nothing debited")


def test_veto_needs_a_delay(ctx):
    node, c = setup(ctx, extra_args=CLOCK)
    c.asset_ok("USDC", 6)
    a, b, d = sg.signers("vn", "ees")
    create(c, "vn", 2, [a, b, d])
    c.deposit_ok("vn", "USDC", "100", "d1")
    p = c.transfer_ok("vn", "USDC", "10")
    assert_equal(c.get_proposal(p["id"])["veto_threshold"], None,
                 "no veto window")
    assert_problem(veto(c, p["id"], a), 409, "veto-closed")
    # A fixed veto count of 1 with a config delay only: spends have no
    # veto window, config changes do.
    create(c, "vc", 2, sg.signers("vm", "ees"),
           {"timelock_config_s": 3600, "veto_count": 1})
    x, y, z = sg.signers("vm", "ees")
    q = propose(c, "vc", {"kind": "set-threshold", "new_threshold": 3})
    assert_equal(c.get_proposal(q["id"])["veto_threshold"], 1, "fixed 1")
    r = veto(c, q["id"], z)
    assert_equal((r.status, r.json["status"]), (200, "vetoed"),
                 "one veto is enough: %r" % r)
    c.deposit_ok("vc", "USDC", "5", "d1")
    s = propose(c, "vc", {"kind": "transfer", "asset": "USDC",
                          "amount": "1", "to": "dest-1"})
    assert_problem(veto(c, s["id"], z), 409, "veto-closed")
    c.approve_all(s["id"], [x, y])
    c.execute_ok(s["id"])
    assert_problem(veto(c, s["id"], z), 409, "already-executed")


def test_revoked_approval(ctx):
    node, c = setup(ctx, extra_args=CLOCK)
    c.asset_ok("USDC", 6)
    a, b, d = sg.signers("rv", "ees")
    create(c, "rv", 2, [a, b, d], {"timelock_spend_s": DAY_S})
    c.deposit_ok("rv", "USDC", "100", "d1")
    p = propose(c, "rv", {"kind": "transfer", "asset": "USDC",
                          "amount": "10", "to": "dest-1"})
    assert_problem(revoke(c, p["id"], a), 409, "no-approval")
    c.vote_ok(p["id"], d, "reject")
    assert_problem(revoke(c, p["id"], d), 409, "no-approval")
    c.approve_all(p["id"], [a, b])
    assert_true(c.get_proposal(p["id"])["executable_at"] is not None,
                "approved: executable_at set")
    r = revoke(c, p["id"], b)
    assert_equal((r.status, r.json["status"], r.json["approvals"],
                  r.json["replayed"]), (200, "pending", 1, False),
                 "revoked: %r" % r)
    got = c.get_proposal(p["id"])
    assert_equal((got["status"], got["approved_at"], got["executable_at"],
                  [x["signer"] for x in got["approvals"]],
                  [x["signer"] for x in got["revocations"]]),
                 ("pending", None, None, [a.name], [b.name]),
                 "back to pending")
    r = revoke(c, p["id"], b)
    assert_equal((r.status, r.json["replayed"]), (200, True), "repeat")
    # Final for that signer: the old approve signature is refused too.
    assert_problem(c.vote(p["id"], b), 409, "approval-revoked")
    advance(node, DAY_S + 1)
    assert_problem(c.execute(p["id"]), 409, "not-approved")
    assert_problem(revoke(c, p["id"], a, token=node.admin_token), 403)


def test_reapproval_restarts_the_delay(ctx):
    node, c = setup(ctx, extra_args=CLOCK)
    c.asset_ok("USDC", 6)
    a, b, d = sg.signers("ra", "ees")
    create(c, "ra", 2, [a, b, d], {"timelock_spend_s": DAY_S})
    c.deposit_ok("ra", "USDC", "100", "d1")
    p = propose(c, "ra", {"kind": "transfer", "asset": "USDC",
                          "amount": "10", "to": "dest-1"})
    c.approve_all(p["id"], [a, b])
    first = parse_ts(c.get_proposal(p["id"])["approved_at"])
    advance(node, DAY_S - 10)
    assert_equal(revoke(c, p["id"], b).json["status"], "pending", "revoked")
    c.vote_ok(p["id"], d, want_status="approved")
    got = c.get_proposal(p["id"])
    again = parse_ts(got["approved_at"])
    assert_true(0 <= again - first - (DAY_S - 10) <= 5,
                "approved again later: %r" % got)
    advance(node, 20)               # past the first approval's delay
    assert_problem(c.execute(p["id"]), 409, "timelocked")
    advance(node, DAY_S)
    c.execute_ok(p["id"])
    assert_db_checks(ctx, node)


# ---- spending limits, reserves, high threshold (docs/policies.md §2-3) ----

def spend(c, tid, amount, signer_list, asset="USDC", to="dest-1"):
    p = propose(c, tid, {"kind": "transfer", "asset": asset,
                         "amount": amount, "to": to})
    c.approve_all(p["id"], signer_list)
    return p["id"]


def remaining(c, tid, asset="USDC"):
    for item in get_policy(c, tid)["remaining"]:
        if item["asset"] == asset:
            return item
    raise AssertionError("no remaining allowance for %s" % asset)


def test_limit_exceeded_then_allowed_after_the_window(ctx):
    node, c = setup(ctx, extra_args=CLOCK)
    c.asset_ok("USDC", 6)
    a, b, d = sg.signers("lm", "ees")
    create(c, "lim", 2, [a, b, d],
           {"limits": [{"asset": "USDC", "day": "100", "week": "1000"}]})
    c.deposit_ok("lim", "USDC", "1000", "d1")
    assert_equal(remaining(c, "lim"), {"asset": "USDC", "day": "100.000000",
                                       "week": "1000.000000", "month": None},
                 "nothing spent yet")
    first = spend(c, "lim", "60", [a, b])
    c.execute_ok(first)
    t0 = parse_ts(c.get_proposal(first)["executed_at"])
    advance(node, 10)
    over = spend(c, "lim", "41", [a, b])
    r = c.execute(over)
    assert_problem(r, 409, "limit-exceeded")
    assert_true("remaining 40.000000" in r.json["detail"],
                "detail names the remaining allowance: %r" % r.json)
    assert_equal(remaining(c, "lim")["day"], "40.000000", "remaining 40")
    c.execute_ok(spend(c, "lim", "40", [a, b]))     # exactly the limit
    assert_equal(remaining(c, "lim")["day"], "0.000000", "day used up")
    assert_equal(remaining(c, "lim")["week"], "900.000000", "week")
    # 20 s short of a day: the test clock is the wall clock plus an
    # offset, so a second's margin raced a loaded machine (seen once)
    now = parse_ts(advance(node, 1))
    advance(node, t0 + DAY_S - 20 - now)
    assert_problem(c.execute(over), 409, "limit-exceeded")
    advance(node, 20)                     # the first debit is a day old
    assert_equal(remaining(c, "lim")["day"], "60.000000", "60 freed")
    c.execute_ok(over)                    # the same proposal, later
    assert_equal(c.balance("lim", "USDC"), "859.000000", "three debits")
    # A limit of zero is refused; so is an asset that is not registered.
    r = create(c, "zero", 2, [a, b, d],
               {"limits": [{"asset": "USDC", "day": "0"}]}, expect=422)
    assert_problem(r, 422, "amount-zero")
    r = create(c, "unk", 2, [a, b, d],
               {"limits": [{"asset": "usdc", "day": "1"}]}, expect=422)
    assert_problem(r, 422, "unknown-asset")
    r = create(c, "dup", 2, [a, b, d],
               {"limits": [{"asset": "USDC", "day": "1"},
                           {"asset": "USDC", "week": "2"}]}, expect=422)
    assert_problem(r, 422, "policy-order")


def test_high_threshold_for_over_limit_and_reserve(ctx):
    node, c = setup(ctx, extra_args=CLOCK)
    c.asset_ok("USDC", 6)
    a, b, d = sg.signers("ht", "ees")
    create(c, "ht", 2, [a, b, d],
           {"limits": [{"asset": "USDC", "day": "100"}],
            "reserves": [{"asset": "USDC", "amount": "800"}],
            "high_threshold": 3})
    c.deposit_ok("ht", "USDC", "1000", "d1")
    big = spend(c, "ht", "150", [a, b])
    r = c.execute(big)
    assert_problem(r, 409, "limit-exceeded")
    assert_true("needs 3 approvals" in r.json["detail"], "%r" % r.json)
    # The extra approval is recorded although the proposal is approved.
    r = c.vote_ok(big, d, want_status="approved")
    assert_equal(r["approval_count"], 3, "third approval counted")
    c.execute_ok(big)
    # Into the reserve (balance 850, leaves < 800) also needs all three.
    deep = spend(c, "ht", "60", [a, b])
    advance(node, DAY_S)
    assert_problem(c.execute(deep), 409, "reserve")
    c.vote_ok(deep, d, want_status="approved")
    c.execute_ok(deep)
    assert_equal(c.balance("ht", "USDC"), "790.000000", "below the reserve")


def test_reserve_without_high_threshold(ctx):
    node, c = setup(ctx, extra_args=CLOCK)
    c.asset_ok("USDC", 6)
    a, b, d = sg.signers("rs", "ees")
    create(c, "rs", 2, [a, b, d],
           {"reserves": [{"asset": "USDC", "amount": "50"}]})
    c.deposit_ok("rs", "USDC", "100", "d1")
    p = spend(c, "rs", "60", [a, b])
    r = c.execute(p)
    assert_problem(r, 409, "reserve")
    assert_problem(c.vote(p, d), 409, "not-pending")   # no high threshold
    c.execute_ok(spend(c, "rs", "50", [a, b]))   # leaves exactly 50
    assert_problem(c.execute(spend(c, "rs", "150", [a, b])), 409,
                   "insufficient-balance")


# ---- allowlist (docs/policies.md §4) and treasuryctl ----

PAYROLL = "0x742d35Cc6634C0532925a3b844Bc454e4438f44e"


def test_allowlist_refuses_other_destinations(ctx):
    node, c = setup(ctx, extra_args=CLOCK)
    c.asset_ok("USDC", 6)
    a, b, d = sg.signers("al", "ees")
    create(c, "al", 2, [a, b, d], {"allowlist": {
        "enabled": True,
        "destinations": [{"to": PAYROLL, "label": "Payroll"},
                         {"to": "acct-7", "label": ""}]}})
    c.deposit_ok("al", "USDC", "100", "d1")
    view = get_policy(c, "al")
    assert_equal(view["policy"]["allowlist"]["destinations"],
                 [{"to": PAYROLL, "label": "Payroll"},
                  {"to": "acct-7", "label": ""}], "listed, in byte order")
    # Not listed, or listed in another case: refused when proposed.
    for to in ("0xattacker", PAYROLL.lower()):
        r = c.propose("al", {"kind": "transfer", "asset": "USDC",
                             "amount": "1", "to": to})
        assert_problem(r, 422, "not-allowlisted")
    r = c.propose("al", {"kind": "batch", "transfers": [
        {"asset": "USDC", "amount": "1", "to": PAYROLL},
        {"asset": "USDC", "amount": "1", "to": "acct-8"}]})
    assert_problem(r, 422, "not-allowlisted")
    assert_true("transfers[1].to" in r.json["detail"], "%r" % r.json)
    c.execute_ok(spend(c, "al", "10", [a, b], to=PAYROLL))
    # An empty allowlist that is on forbids every spend.
    create(c, "cold", 2, [a, b, d], {"allowlist": {"enabled": True}})
    c.deposit_ok("cold", "USDC", "5", "d2")
    r = c.propose("cold", {"kind": "transfer", "asset": "USDC",
                           "amount": "1", "to": PAYROLL})
    assert_problem(r, 422, "not-allowlisted")
    # Destinations while off, and bad labels, are invalid policies.
    r = create(c, "off", 2, [a, b, d], {"allowlist": {
        "enabled": False, "destinations": [{"to": PAYROLL}]}}, expect=422)
    assert_problem(r, 422, "policy-allowlist")
    r = create(c, "lbl", 2, [a, b, d], {"allowlist": {
        "enabled": True, "destinations": [{"to": PAYROLL,
                                           "label": "x" * 65}]}},
        expect=422)
    assert_problem(r, 422, "policy-label")


def test_treasuryctl_shows_policy_and_labels(ctx):
    from cli_helpers import Ctl, PASSPHRASE, EXIT_REFUSED
    node, c = setup(ctx, extra_args=CLOCK)
    c.asset_ok("USDC", 6)
    signer_tok = node.create_token("cli-signer", "signer")
    url = "http://127.0.0.1:%d" % node.port
    ctls, pubs = {}, []
    for name in ("alice", "bob", "carol"):
        ctls[name] = Ctl(ctx, url, signer_tok, name="home-" + name)
        pubs.append(ctls[name].key_new(name, "ecdsa"))
    r = node.post("/v1/treasuries", {
        "id": "grants", "threshold": 2, "signers": pubs,
        "policy": {"timelock_spend_s": 3600, "timelock_config_s": DAY_S,
                   "limits": [{"asset": "USDC", "day": "500"}],
                   "allowlist": {"enabled": True, "destinations": [
                       {"to": PAYROLL, "label": "Payroll"}]}}})
    assert_equal(r.status, 201, "create: %r" % r)
    c.deposit_ok("grants", "USDC", "1000", "d1")
    alice = ctls["alice"]
    res = alice.ok("propose", "transfer", "grants", "--asset", "USDC",
                   "--amount", "10", "--to", PAYROLL, "--approve", "--yes",
                   "--keystore", alice.keystore("alice"),
                   passphrase=PASSPHRASE)
    assert_true('allowlisted: "Payroll" (label verified: pinned policy)' in
                res.out,
                "label shown before signing: %r" % res.out)
    res = alice.run("propose", "transfer", "grants", "--asset", "USDC",
                    "--amount", "10", "--to", "0xattacker")
    assert_equal(res.rc, EXIT_REFUSED, "refused by the daemon: %r" % res)
    assert_true("not-allowlisted" in res.err, "%r" % res)
    shown = alice.ok("policy", "grants").out
    for want in ("digest", "pinned", "timelock_spend_s: 3600",
                 "Payroll", "not frozen", "500.000000"):
        assert_true(want in shown, "policy shows %r: %r" % (want, shown))
    js = alice.ok("policy", "grants", "--json").json()
    assert_equal(js["remaining"], [{"asset": "USDC", "day": "500.000000",
                                    "week": None, "month": None}],
                 "policy --json")
    # A set-policy is shown value by value with what it changes.
    p = propose(c, "grants", {"kind": "set-policy", "policy": {
        "timelock_spend_s": 7200, "timelock_config_s": DAY_S}})
    res = alice.ok("show", p["id"])
    for want in ("SET POLICY", "spend delay", "0d 2h 0m",
                 "+ timelock_spend_s: 7200", "- timelock_spend_s: 3600",
                 "veto count"):
        assert_true(want in res.out, "set-policy shows %r: %r" %
                    (want, res.out))
    res = ctls["bob"].ok("approve", p["id"], "--yes", "--keystore",
                         ctls["bob"].keystore("bob"), passphrase=PASSPHRASE)
    assert_true("SET POLICY" in res.out, "shown before signing")


# ---- freeze and unfreeze (docs/policies.md §5) ----

def freeze(c, tid, signer, seq, config=1, sig=None, token=None):
    body = {"signer": signer.name, "freeze": seq,
            "signature": sig or freeze_sig(c, signer, tid, config, seq)}
    return c.node.post("/v1/treasuries/%s/freeze" % tid, body,
                       token=token or c.signer_token)


def test_freeze_by_one_signer_and_unfreeze_by_m(ctx):
    node, c = setup(ctx, extra_args=CLOCK)
    c.asset_ok("USDC", 6)
    a, b, d = sg.signers("fz", "ese")
    create(c, "fz", 2, [a, b, d], {"timelock_spend_s": 3600})
    c.deposit_ok("fz", "USDC", "100", "d1")
    pay = spend(c, "fz", "10", [a, b])
    advance(node, 3600)
    assert_problem(c.propose("fz", {"kind": "unfreeze"}), 409, "not-frozen")
    # Refused freezes change nothing.
    assert_problem(freeze(c, "fz", d, 1, sig=freeze_sig(c, d, "fz", 1, 2)),
                   422, "signature-invalid")
    assert_problem(freeze(c, "fz", d, 1, config=2), 422,
                   "signature-invalid")
    assert_problem(freeze(c, "fz", sg.Signer("mallory"), 1), 422,
                   "unknown-signer")
    assert_problem(freeze(c, "fz", d, 1, token=node.admin_token), 403)
    assert_problem(freeze(c, "fz", d, 2), 409, "freeze-sequence")
    # One signer is enough.
    r = freeze(c, "fz", d, 1)
    assert_equal((r.status, r.json), (200, {"frozen": True, "freeze": 1,
                                            "replayed": False}),
                 "frozen: %r" % r)
    view = get_policy(c, "fz")
    assert_equal((view["frozen"], view["freeze_seq"], view["next_freeze"]),
                 (True, 1, 2), "freeze state")
    assert_true(view["frozen_at"] is not None, "frozen_at")
    r = c.execute(pay)
    assert_problem(r, 409, "frozen")
    r = freeze(c, "fz", d, 1)
    assert_equal((r.status, r.json["replayed"]), (200, True), "replay")
    r = freeze(c, "fz", a, 1)
    assert_equal((r.status, r.json["replayed"]), (200, True), "2nd signer")
    assert_problem(freeze(c, "fz", a, 2), 409, "freeze-sequence")
    # Proposals and votes still work while frozen; the unfreeze names the
    # freeze it lifts and needs M approvals and the spend delay.
    u = propose(c, "fz", {"kind": "unfreeze", "memo": "false alarm"})
    assert_true("\nkind: unfreeze\n" in u["canonical"] and
                "\nfreeze: 1\n" in u["canonical"], "%r" % u["canonical"])
    assert_equal(c.get_proposal(u["id"])["required_approvals"], 2, "M")
    c.vote_ok(u["id"], a, want_status="pending")        # M - 1
    assert_problem(c.execute(u["id"]), 409, "not-approved")
    c.vote_ok(u["id"], b, want_status="approved")
    assert_problem(c.execute(u["id"]), 409, "timelocked")
    spare = propose(c, "fz", {"kind": "unfreeze"})
    c.approve_all(spare["id"], [a, b])
    advance(node, 3600)
    c.execute_ok(u["id"])
    view = get_policy(c, "fz")
    assert_equal((view["frozen"], view["freeze_seq"], view["frozen_at"],
                  view["config_version"]), (False, 1, None, 1),
                 "lifted; the config version is unchanged")
    c.execute_ok(pay)           # its delay ran during the freeze
    assert_equal(c.balance("fz", "USDC"), "90.000000", "paid once")
    # The old request cannot freeze again; the next number can.
    assert_problem(freeze(c, "fz", d, 1), 409, "freeze-sequence")
    r = freeze(c, "fz", b, 2)
    assert_equal((r.status, r.json["freeze"]), (200, 2), "freeze 2")
    # An unfreeze of freeze 1 left approved cannot lift freeze 2.
    assert_problem(c.execute(spare["id"]), 409, "freeze-sequence")
    assert_problem(c.execute(u["id"]), 409, "already-executed")
    assert_problem(c.execute(pay), 409, "already-executed")
    assert_db_checks(ctx, node)


# ---- key rotation and key proofs (docs/policies.md §6) ----

def key_proof(c, pid, new_signer, sig=None):
    body = {"signature": sig or act_sign(new_signer,
                                         "treasuryd/possession/v1", pid)}
    return c.node.post("/v1/proposals/%s/key-proof" % pid, body,
                       token=c.signer_token)


def test_rotated_key_old_signatures_stop_counting(ctx):
    node, c = setup(ctx, extra_args=CLOCK)
    c.asset_ok("USDC", 6)
    a, b, d = sg.signers("kr", "ees")
    create(c, "kr", 2, [a, b, d], {"key_proof": True})
    c.deposit_ok("kr", "USDC", "100", "d1")
    old_spend = propose(c, "kr", {"kind": "transfer", "asset": "USDC",
                                  "amount": "5", "to": "dest-1"})["id"]
    c.vote_ok(old_spend, a)                          # pending, version 1
    assert_equal(c.get_proposal(old_spend)["status"], "pending", "one vote")
    new_d = sg.Signer(d.name, key_type="schnorr", label="kr-new-key")
    p = propose(c, "kr", {"kind": "replace-signer", "signer": d.name,
                          "key_type": "schnorr", "pubkey": new_d.pubkey})
    assert_equal(c.get_proposal(p["id"])["key_proof"], False, "no proof")
    c.approve_all(p["id"], [a, b])
    assert_problem(c.execute(p["id"]), 409, "key-proof")
    # The proof must be by the new key, over the possession digest; the
    # old key's or a vote signature does not do.
    assert_problem(key_proof(c, p["id"], d), 422, "signature-invalid")
    assert_problem(key_proof(c, p["id"], new_d,
                             sig=new_d.sign_vote(p["id"])), 422,
                   "signature-invalid")
    assert_problem(key_proof(c, old_spend, new_d), 400, "kind")
    r = key_proof(c, p["id"], new_d)
    assert_equal((r.status, r.json["key_proof"], r.json["replayed"]),
                 (200, True, False), "proof: %r" % r)
    r = key_proof(c, p["id"], new_d)
    assert_equal((r.status, r.json["replayed"]), (200, True), "repeat")
    got = c.get_proposal(p["id"])
    assert_equal((got["key_proof"], got["approval_count"]), (True, 2),
                 "the proof is not an approval")
    c.execute_ok(p["id"])
    t = c.treasury("kr")
    assert_equal(t["config_version"], 2, "rotated")
    assert_equal(c.get_proposal(old_spend)["status"], "stale",
                 "open proposals of the old version are stale")
    assert_problem(c.vote(old_spend, b), 409, "stale")
    # A new proposal: the old key's signature does not count, the new does.
    q = propose(c, "kr", {"kind": "transfer", "asset": "USDC",
                          "amount": "5", "to": "dest-1"})["id"]
    c.vote_ok(q, a)
    assert_problem(c.vote(q, d), 422, "signature-invalid")
    c.vote_ok(q, new_d, want_status="approved")
    c.execute_ok(q)
    # add-signer too needs the proof; other kinds have none to give.
    e = sg.Signer("erin")
    r = propose(c, "kr", {"kind": "add-signer", "signer": e.as_json()})
    c.approve_all(r["id"], [a, b])
    assert_problem(c.execute(r["id"]), 409, "key-proof")
    assert_equal(key_proof(c, r["id"], e).status, 200, "erin proves")
    c.execute_ok(r["id"])
    assert_equal(len(c.treasury("kr")["signers"]), 4, "added")
    assert_db_checks(ctx, node)


def assert_db_checks(ctx, node):
    """treasuryd check: every executed proposal had its (base) threshold
    of valid, unrevoked approvals, balances equal the ledger. (It reads an
    SQLite file; on PostgreSQL the API's answers are what is checked.)"""
    if framework.ENGINE != "sqlite":
        return
    r = ctx.run_treasuryd(["check", "--db", node.db_path])
    assert_equal(r.returncode, 0, "treasuryd check: %s %s" % (r.stdout,
                                                               r.stderr))


def test_treasuryctl_veto_revoke_freeze_key_proof(ctx):
    from cli_helpers import Ctl, PASSPHRASE, EXIT_VERIFY
    node, c = setup(ctx, extra_args=CLOCK)
    c.asset_ok("USDC", 6)
    signer_tok = node.create_token("cli-signer", "signer")
    url = "http://127.0.0.1:%d" % node.port
    ctls, pubs = {}, []
    for name in ("alice", "bob", "carol"):
        ctls[name] = Ctl(ctx, url, signer_tok, name="home-" + name)
        pubs.append(ctls[name].key_new(name, "ecdsa"))
    r = node.post("/v1/treasuries", {
        "id": "ops", "threshold": 2, "signers": pubs,
        "policy": {"timelock_spend_s": 3600, "key_proof": True}})
    assert_equal(r.status, 201, "create: %r" % r)
    c.deposit_ok("ops", "USDC", "100", "d1")

    def run(who, *args, keystore=None):
        return ctls[who].ok(*args, "--yes", "--keystore",
                            keystore or ctls[who].keystore(who),
                            passphrase=PASSPHRASE)

    p = propose(c, "ops", {"kind": "transfer", "asset": "USDC",
                           "amount": "10", "to": "dest-1"})
    run("alice", "approve", p["id"])
    res = run("alice", "revoke", p["id"])
    assert_true("REVOKE your approval" in res.out and "accepted" in res.out,
                "revoke: %r" % res.out)
    assert_equal([x["signer"] for x in c.get_proposal(p["id"])[
        "revocations"]], ["alice"], "revoked")
    res = run("carol", "veto", p["id"])
    assert_true("VETO" in res.out and "10.000000 USDC" in res.out,
                "veto shows the proposal: %r" % res.out)
    assert_equal(c.get_proposal(p["id"])["status"], "vetoed", "ceil(3/3)")
    res = run("bob", "freeze", "ops")
    for want in ("treasuryd freeze v1\n", "treasury: ops\n", "config: 1\n",
                 "freeze: 1\n", "accepted"):
        assert_true(want in res.out, "freeze shows %r: %r" % (want, res.out))
    assert_equal(get_policy(c, "ops")["frozen"], True, "frozen")
    # key-proof signs with the new key's keystore only.
    new = ctls["carol"].key_new("carol2", "schnorr")
    q = propose(c, "ops", {"kind": "replace-signer", "signer": "carol",
                           "key_type": "schnorr", "pubkey": new["pubkey"]})
    bad = ctls["carol"].run("key-proof", q["id"], "--yes", "--keystore",
                            ctls["carol"].keystore("carol"),
                            passphrase=PASSPHRASE)
    assert_equal(bad.rc, EXIT_VERIFY, "old key refused: %r" % bad)
    res = run("carol", "key-proof", q["id"],
              keystore=ctls["carol"].keystore("carol2"))
    assert_true("KEY PROOF" in res.out, "%r" % res.out)
    assert_equal(c.get_proposal(q["id"])["key_proof"], True, "proved")
