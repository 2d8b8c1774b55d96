"""GET /v1/signers/{name}/pending ("needs your signature", issue #13 item
5) and the freeze state in GET /v1/treasuries/{t} (issue #13).

A bot asking for signer X sees exactly the proposals X has not voted on,
across two treasuries: not the ones X approved, rejected or revoked, not
approved, expired or cancelled ones, not another treasury's where X is no
signer; in creation order, paginated.
"""

import time
import urllib.parse

import signers as sg
from framework import assert_equal, assert_problem, assert_true
from treasury_helpers import freeze_sig, parse_ts, setup, ts

CLOCK = ["--unsafe-test-clock"]


def act_sign(signer, tag, pid):
    return signer.sign_digest(sg.tagged_hash(tag, bytes.fromhex(pid))).hex()


def create(c, tid, threshold, members):
    r = c.node.post("/v1/treasuries", {
        "id": tid, "threshold": threshold,
        "signers": [s.as_json() for s in members]})
    assert_equal(r.status, 201, "create %s: %r" % (tid, r))
    c.nonces[tid] = 0


def propose(c, tid, amount, **extra):
    body = {"kind": "transfer", "asset": "USDC", "amount": amount,
            "to": "dest-1"}
    body.update(extra)
    r = c.propose(tid, body)
    assert_equal(r.status, 201, "propose: %r" % r)
    return r.json["id"]


SIGNER = object()


def pending(c, name, token=SIGNER, **params):
    path = "/v1/signers/%s/pending" % urllib.parse.quote(name, safe="")
    if params:
        path += "?" + urllib.parse.urlencode(params)
    return c.node.get(path, token=c.signer_token if token is SIGNER
                      else token)


def pending_ids(c, name, limit=None):
    """Every page of name's list (limit per page), as ids."""
    ids, cursor, pages = [], None, 0
    while True:
        params = {}
        if limit is not None:
            params["limit"] = str(limit)
        if cursor is not None:
            params["cursor"] = cursor
        r = pending(c, name, **params)
        assert_equal(r.status, 200, "pending of %s: %r" % (name, r))
        assert_equal(sorted(r.json), ["next_cursor", "proposals"], "shape")
        if limit is not None:
            assert_true(len(r.json["proposals"]) <= limit, "within limit")
        for p in r.json["proposals"]:
            assert_equal(p["status"], "pending", "listed as pending: %r" % p)
        ids += [p["id"] for p in r.json["proposals"]]
        cursor = r.json["next_cursor"]
        pages += 1
        assert_true(pages < 50, "pages end")
        if cursor is None:
            return ids


def test_pending_across_two_treasuries(ctx):
    node, c = setup(ctx, extra_args=CLOCK)
    c.asset_ok("USDC", 6)
    alice, bob, carol, dave = (sg.Signer("alice", label="pend/a"),
                               sg.Signer("bob", "schnorr", label="pend/b"),
                               sg.Signer("carol", label="pend/c"),
                               sg.Signer("dave", label="pend/d"))
    create(c, "ta", 2, [alice, bob, carol])
    create(c, "tb", 2, [alice, bob, dave])
    for tid in ("ta", "tb"):
        c.deposit_ok(tid, "USDC", "100", "d-" + tid)
    # Made alternately in the two treasuries: the list is in creation
    # order across them.
    p1 = propose(c, "ta", "1")                  # nobody voted
    q1 = propose(c, "tb", "1")                  # nobody voted
    p2 = propose(c, "ta", "2")
    c.vote_ok(p2, alice, "approve", want_status="pending")
    q2 = propose(c, "tb", "2")
    c.vote_ok(q2, alice, "approve", want_status="pending")
    r = node.post("/v1/proposals/%s/revocations" % q2,
                  {"signer": alice.name,
                   "signature": act_sign(alice, "treasuryd/revoke/v1", q2)},
                  token=c.signer_token)
    assert_equal(r.status, 200, "alice revokes: %r" % r)
    p3 = propose(c, "ta", "3")
    c.vote_ok(p3, bob, "reject", want_status="pending")
    p4 = propose(c, "ta", "4")
    c.approve_all(p4, [alice, bob])             # approved: needs nobody
    short = propose(c, "ta", "5", expires_at=ts(time.time() + 120))
    p6 = propose(c, "ta", "6")
    assert_equal(c.cancel(p6).status, 200, "cancelled")
    # Before the short one expires, it waits for everyone in ta.
    assert_equal(pending_ids(c, "carol"), [p1, p2, p3, short],
                 "carol before the expiry")
    r = node.post("/v1/test/clock", body={"advance_s": 300})
    assert_equal(r.status, 200, "clock: %r" % r)

    want = {
        "alice": [p1, q1, p3],          # approved p2, revoked q2, p4 voted
        "bob": [p1, q1, p2, q2],        # rejected p3, approved p4
        "carol": [p1, p2, p3],          # not a signer of tb
        "dave": [q1, q2],               # only in tb
        "erin": [],                     # no treasury has her
    }
    for name, ids in want.items():
        assert_equal(pending_ids(c, name), ids, "pending of %s" % name)
        assert_equal(pending_ids(c, name, limit=1), ids,
                     "pending of %s, one per page" % name)
    # The items are proposal objects.
    r = pending(c, "dave")
    got = r.json["proposals"][0]
    assert_equal((got["id"], got["treasury"], got["status"]),
                 (q1, "tb", "pending"), "item: %r" % got)
    listed = c.proposals("tb")
    assert_equal(got, [x for x in listed if x["id"] == q1][0],
                 "the same object as in the treasury's proposal list")
    # Once alice votes on p1 it leaves her list, not bob's.
    c.vote_ok(p1, alice, "approve", want_status="pending")
    assert_equal(pending_ids(c, "alice"), [q1, p3], "alice after voting")
    assert_equal(pending_ids(c, "bob"), [p1, q1, p2, q2], "bob unchanged")


def test_pending_roles_names_and_cursors(ctx):
    node, c = setup(ctx)
    c.asset_ok("USDC", 6)
    a, b = sg.signers("pr", "ee")
    create(c, "tr", 1, [a, b])
    ids = [propose(c, "tr", str(i + 1)) for i in range(3)]
    assert_equal(pending_ids(c, a.name), ids, "signer token")
    r = pending(c, a.name, token=node.admin_token)
    assert_equal((r.status, [p["id"] for p in r.json["proposals"]]),
                 (200, ids), "admin token: %r" % r)
    for roles in ("viewer", "treasurer"):
        assert_problem(pending(c, a.name, token=c.token(roles)), 403)
    assert_equal(pending(c, a.name, token=None).status, 401, "no token")
    for bad in ("Alice", "a b", "-x", "x" * 33):
        assert_problem(pending(c, bad), 400, "signer-name")
    r = pending(c, a.name, limit="2")
    assert_equal(len(r.json["proposals"]), 2, "a page of 2")
    cursor = r.json["next_cursor"]
    assert_true(cursor, "more after 2")
    r2 = pending(c, a.name, limit="2", cursor=cursor)
    assert_equal(([p["id"] for p in r2.json["proposals"]],
                  r2.json["next_cursor"]), ([ids[2]], None), "page 2")
    # A cursor is bound to its name and list.
    assert_problem(pending(c, b.name, cursor=cursor), 400, "invalid-query")
    assert_problem(pending(c, a.name, limit="0"), 400, "invalid-query")
    assert_problem(pending(c, a.name, status="pending"), 400)


def test_treasury_shows_its_freeze_state(ctx):
    node, c = setup(ctx)
    c.asset_ok("USDC", 6)
    a, b, d = sg.signers("fs", "ese")
    create(c, "fs", 2, [a, b, d])
    create(c, "fs2", 1, [a])
    t = c.treasury("fs")
    assert_equal(t["frozen"], False, "not frozen: %r" % t)
    assert_true("freeze_seq" not in t and "frozen_at" not in t,
                "no freeze fields while not frozen: %r" % t)
    r = node.post("/v1/treasuries/fs/freeze",
                  {"signer": d.name, "freeze": 1,
                   "signature": freeze_sig(c, d, "fs", 1, 1)},
                  token=c.signer_token)
    assert_equal(r.status, 200, "freeze: %r" % r)
    t = c.treasury("fs")
    assert_equal((t["frozen"], t["freeze_seq"]), (True, 1), "frozen: %r" % t)
    assert_true(abs(parse_ts(t["frozen_at"]) - time.time()) < 60,
                "frozen_at: %r" % t)
    policy = node.get("/v1/treasuries/fs/policy", token=c.viewer).json
    assert_equal(t["frozen_at"], policy["frozen_at"], "as the policy says")
    items = {x["id"]: x for x in c.all_pages("/v1/treasuries",
                                              "treasuries")[0]}
    assert_equal((items["fs"]["frozen"], items["fs"]["freeze_seq"],
                  items["fs"]["frozen_at"]), (True, 1, t["frozen_at"]),
                 "the list shows it")
    assert_equal(items["fs2"]["frozen"], False, "the other is not frozen")
    # Lifted by an unfreeze proposal with M approvals.
    r = c.propose("fs", {"kind": "unfreeze"})
    assert_equal(r.status, 201, "unfreeze: %r" % r)
    c.approve_all(r.json["id"], [a, b])
    c.execute_ok(r.json["id"])
    t = c.treasury("fs")
    assert_equal(t["frozen"], False, "lifted: %r" % t)
    assert_true("freeze_seq" not in t and "frozen_at" not in t, "%r" % t)
    r = node.post("/v1/treasuries/fs/freeze",
                  {"signer": a.name, "freeze": 2,
                   "signature": freeze_sig(c, a, "fs", 1, 2)},
                  token=c.signer_token)
    assert_equal(r.status, 200, "freeze 2: %r" % r)
    t = c.treasury("fs")
    assert_equal((t["frozen"], t["freeze_seq"]), (True, 2), "frozen again")
