"""Time and expiry hardening (issue #18, findings 5, 10 and 16).

5: a clock stepped back must not reopen a spending limit: the daemon keeps
   a persisted high-water mark of time and never evaluates a window or an
   expiry before it. The step back is made by restarting the daemon: the
   unsafe test clock's offset is lost, so the clock the restarted daemon
   reads is days behind the times its database recorded.
10: a mass expiry runs in bounded batches (at most 500 proposals per
   writer transaction), behind the commands queued meanwhile.
16: an expires_at inside a policy's delay is refused with the real bound
   (delay + 60 s) and the earliest allowed time.
"""

import http.client
import json
import re
import time
from concurrent.futures import ThreadPoolExecutor

import signers as sg
from framework import assert_equal, assert_problem, assert_true
from treasury_helpers import DAY_S, parse_ts, setup, ts

CLOCK = ["--unsafe-test-clock"]
EXPIRE_BATCH_MAX = 500          # MAINTENANCE_EXPIRE_BATCH_MAX (command.h)
METRIC_RE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$')


def advance(node, seconds):
    r = node.post("/v1/test/clock", body={"advance_s": seconds})
    assert_equal(r.status, 200, "test clock: %r" % r)
    return parse_ts(r.json["now"])


def metrics(node, token):
    r = node.get("/v1/metrics", token=token)
    assert_equal(r.status, 200, "metrics: %r" % r)
    out = {}
    for line in r.body.splitlines():
        if not line or line.startswith("#"):
            continue
        m = METRIC_RE.match(line)
        assert_true(m, "a metric line: %r" % line)
        out[m.group(1) + (m.group(2) or "")] = float(m.group(3))
    return out


def create(c, tid, threshold, signer_list, policy):
    body = {"id": tid, "threshold": threshold,
            "signers": [s.as_json() for s in signer_list], "policy": policy}
    r = c.node.post("/v1/treasuries", body)
    assert_equal(r.status, 201, "create %s: %r" % (tid, r))


def spend(c, tid, amount, signer_list):
    r = c.propose(tid, {"kind": "transfer", "asset": "USDC",
                        "amount": amount, "to": "dest-1"})
    assert_equal(r.status, 201, "propose: %r" % r)
    c.approve_all(r.json["id"], signer_list)
    return r.json["id"]


def day_remaining(c, tid):
    r = c.node.get("/v1/treasuries/%s/policy" % tid, token=c.viewer)
    assert_equal(r.status, 200, "policy: %r" % r)
    return [x["day"] for x in r.json["remaining"] if x["asset"] == "USDC"][0]


def test_clock_step_back_does_not_reopen_a_spending_limit(ctx):
    node, c = setup(ctx, extra_args=CLOCK)
    c.asset_ok("USDC", 6)
    a, b, d = sg.signers("cb", "ees")
    create(c, "cb", 2, [a, b, d],
           {"limits": [{"asset": "USDC", "day": "100"}]})
    c.deposit_ok("cb", "USDC", "1000", "d1")
    advance(node, 2 * DAY_S)
    first = spend(c, "cb", "100", [a, b])
    c.execute_ok(first)
    spent_at = parse_ts(c.get_proposal(first)["executed_at"])
    assert_problem(c.execute(spend(c, "cb", "100", [a, b])), 409,
                   "limit-exceeded")

    # The restart drops the test clock's offset: the clock the daemon
    # reads is now two days behind the debit it recorded.
    node.stop()
    node.start()
    assert_true(time.time() < spent_at - DAY_S, "the clock is behind")
    second = spend(c, "cb", "100", [a, b])
    r = c.execute(second)
    assert_problem(r, 409, "limit-exceeded")
    assert_equal(day_remaining(c, "cb"), "0.000000", "the day is used up")
    assert_equal(c.balance("cb", "USDC"), "900.000000", "one debit only")
    # Time as the daemon sees it stands at the mark: a new proposal is
    # not stamped before the debit, and its default expiry counts from it.
    r = c.propose("cb", {"kind": "transfer", "asset": "USDC", "amount": "1",
                         "to": "dest-1"})
    assert_equal(r.status, 201, "propose: %r" % r)
    late = r.json
    assert_true(parse_ts(late["created_at"]) >= spent_at,
                "created_at %s not before the debit at %s" %
                (late["created_at"], ts(spent_at)))
    assert_equal(parse_ts(late["expires_at"]) - parse_ts(late["created_at"]),
                 7 * DAY_S, "default expiry from the mark")
    m = metrics(node, c.viewer)
    assert_true(m["treasuryd_clock_behind_seconds"] > DAY_S,
                "behind: %r" % m["treasuryd_clock_behind_seconds"])
    assert_true(m["treasuryd_clock_mark_seconds"] >= spent_at, "mark")
    warnings = [ln for ln in node.stderr().splitlines()
                if ln.startswith("<4>") and "behind" in ln]
    assert_true(warnings, "the clock being behind is logged at warning")
    assert_true(len(warnings) <= 3, "rate-limited, not per request: %d"
                % len(warnings))
    # Once a day has passed beyond the debit, the limit opens again.
    advance(node, 3 * DAY_S)
    c.execute_ok(second)
    assert_equal(c.balance("cb", "USDC"), "800.000000", "two debits")


def post_raw(port, path, body, token):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("POST", path, body=json.dumps(body).encode(),
                     headers={"Authorization": "Bearer " + token,
                              "Content-Type": "application/json"})
        resp = conn.getresponse()
        return resp.status, resp.read().decode("utf-8", "replace")
    finally:
        conn.close()


def test_mass_expiry_runs_in_bounded_batches(ctx):
    node, c = setup(ctx, extra_args=CLOCK)
    c.asset_ok("USDC", 6)
    a, b = sg.signers("mx", "es")
    c.treasury_ok("mx", 2, [a, b])
    c.deposit_ok("mx", "USDC", "10", "d1")
    n = 2 * EXPIRE_BATCH_MAX + 150
    expires = ts(time.time() + 3600)        # all expire together
    token = c.signer_token
    path = "/v1/treasuries/mx/proposals"

    def one(i):
        return post_raw(node.port, path, {
            "kind": "transfer", "asset": "USDC", "amount": "1",
            "to": "dest-%d" % i, "expires_at": expires}, token)

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = [s for s, _ in pool.map(one, range(n))]
    assert_equal(codes, [201] * n, "every proposal created")
    before = metrics(node, c.viewer)
    assert_equal(before['treasuryd_proposals{status="pending"}'], n,
                 "all pending")

    advance(node, 2 * 3600)
    # A deposit submitted while the sweep runs goes through.
    c.deposit_ok("mx", "USDC", "5", "during")
    deadline = time.monotonic() + 120
    while True:
        m = metrics(node, c.viewer)
        if m.get('treasuryd_proposals{status="expired"}', 0) == n:
            break
        assert_true(time.monotonic() < deadline, "all expired in time: %r" %
                    {k: v for k, v in m.items() if "expir" in k})
        time.sleep(0.2)
    assert_equal(m.get('treasuryd_proposals{status="pending"}', 0), 0,
                 "none left pending")
    for name in ("treasuryd_proposals_expired_total",
                 "treasuryd_expiry_batch_max",
                 "treasuryd_expiry_batches_total"):
        assert_true(name in m, "the sweep's batches are measured: %s" % name)
    assert_equal(m["treasuryd_proposals_expired_total"], n, "sweep count")
    assert_true(m["treasuryd_expiry_batch_max"] <= EXPIRE_BATCH_MAX,
                "at most %d per transaction: %r" %
                (EXPIRE_BATCH_MAX, m["treasuryd_expiry_batch_max"]))
    assert_true(m["treasuryd_expiry_batches_total"] >=
                -(-n // EXPIRE_BATCH_MAX), "in %d batches or more: %r" %
                (-(-n // EXPIRE_BATCH_MAX), m["treasuryd_expiry_batches_total"]))
    assert_equal(c.balance("mx", "USDC"), "15.000000", "the deposit counted")
    # Every expiry is journalled once.
    events, _ = c.all_pages("/v1/events", "events", limit=500)
    expired = [e for e in events if e["type"] == "proposal.expired"]
    assert_equal(len(expired), n, "one proposal.expired event each")


def test_expiry_inside_the_spend_delay_names_the_real_bound(ctx):
    node, c = setup(ctx)
    c.asset_ok("USDC", 6)
    a, b, d = sg.signers("sd", "ees")
    create(c, "sd", 2, [a, b, d], {"timelock_spend_s": 3600})
    c.deposit_ok("sd", "USDC", "10", "d1")
    body = {"kind": "transfer", "asset": "USDC", "amount": "1",
            "to": "dest-1"}
    t0 = int(time.time())
    r = c.propose("sd", dict(body, expires_at=ts(t0 + 1800)))
    t1 = int(time.time())
    assert_problem(r, 422, "expiry-too-soon")
    text = r.json["title"] + " " + r.json["detail"]
    assert_true("1 minute" not in text, "no false bound: %r" % r.json)
    assert_true("3660 s" in r.json["detail"], "the real bound, delay + 60 s:"
                " %r" % r.json["detail"])
    assert_true("3600" in r.json["detail"] and "spend" in r.json["detail"],
                "made of the spend delay: %r" % r.json["detail"])
    m = re.search(r"earliest allowed is ([0-9TZ:-]+)", r.json["detail"])
    assert_true(m, "the earliest allowed time: %r" % r.json["detail"])
    earliest = parse_ts(m.group(1))
    assert_true(t0 + 3660 <= earliest <= t1 + 3660 + 1,
                "earliest %s is now + 3660 s" % m.group(1))
    # The bound is the real one: just past it is accepted.
    r = c.propose("sd", dict(body, expires_at=ts(earliest + 30)))
    assert_equal(r.status, 201, "at the stated bound: %r" % r)
    # Without a delay the bound is 60 s, stated the same way.
    c.treasury_ok("nd", 2, [a, b])
    r = c.propose("nd", dict(body, expires_at=ts(time.time() + 30)))
    assert_problem(r, 422, "expiry-too-soon")
    assert_true(re.search(r"at least 60 s after now .*earliest allowed is "
                          r"[0-9]{4}-", r.json["detail"]),
                "60 s and the earliest time: %r" % r.json["detail"])
