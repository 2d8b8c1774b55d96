"""Concurrency and durability of the engine: the execute race, config
changes making older proposals stale, and kill -9 in a stream of deposits."""

import http.client
import json
import threading
import time

import signers as sg
from framework import assert_equal, assert_problem, assert_true
from treasury_helpers import assert_4xx, is_debit, setup


def post_raw(port, path, body, token):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", path, body=json.dumps(body).encode(),
                     headers={"Authorization": "Bearer " + token,
                              "Content-Type": "application/json"})
        resp = conn.getresponse()
        data = resp.read().decode("utf-8", "replace")
        return resp.status, data
    finally:
        conn.close()


def execute_race(ports, pid, token, n=50):
    """n executes of proposal pid at once, the i-th to ports[i % len]:
    exactly one 200, n - 1 409 already-executed."""
    barrier = threading.Barrier(n)
    results = [None] * n

    def run(i):
        barrier.wait()
        try:
            results[i] = post_raw(ports[i % len(ports)],
                                  "/v1/proposals/%s/execute" % pid, {}, token)
        except Exception as e:  # noqa: BLE001 - recorded and reported
            results[i] = (None, repr(e))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    codes = sorted(r[0] or 0 for r in results)
    assert_equal(codes.count(200), 1, "exactly one 200: %r" % results)
    assert_equal(codes.count(409), n - 1, "%d 409s: %r" % (n - 1, codes))
    for status, body in results:
        if status == 409:
            assert_equal(json.loads(body)["type"],
                         "urn:treasuryd:problem:already-executed", "409 type")


def test_execute_race_50_threads(ctx):
    node, c = setup(ctx)
    c.asset_ok("USDC", 6)
    a, b = sg.signers("race", "es")
    c.treasury_ok("race", 2, [a, b])
    c.deposit_ok("race", "USDC", "1000", "d1")
    # Enough balance for several executions, so that only the status
    # check can stop the other 49.
    p = c.transfer_ok("race", "USDC", "100.000001")
    c.approve_all(p["id"], [a, b])
    execute_race([node.port], p["id"], c.treasurer)
    debits = [e for e in c.ledger("race") if is_debit(e)]
    assert_equal(len(debits), 1, "one debit: %r" % debits)
    assert_equal(debits[0]["amount"], "100.000001", "debit amount")
    assert_equal(c.balances("race"), {"USDC": "899.999999"}, "balance exact")
    assert_equal(c.get_proposal(p["id"])["status"], "executed", "status")


def test_signer_change_makes_pending_stale(ctx):
    node, c = setup(ctx)
    c.asset_ok("USDC", 6)
    a, b, d = sg.signers("cfg", "ees")
    c.treasury_ok("cfg", 2, [a, b, d])
    c.deposit_ok("cfg", "USDC", "100", "d1")
    p1 = c.transfer_ok("cfg", "USDC", "10")
    c.vote_ok(p1["id"], a, want_status="pending")
    p2 = c.transfer_ok("cfg", "USDC", "20")
    c.approve_all(p2["id"], [a, b])
    assert_true("\nconfig: 1\n" in p1["canonical"], "config 1")

    e = sg.Signer("cfg-e", "schnorr", label="cfg/new")
    add = c.propose_ok("cfg", {"kind": "add-signer", "signer": e.as_json(),
                               "memo": "add e"})
    lines = dict(sg.parse_canonical(add["canonical"]))
    assert_equal((lines["kind"], lines["signer"], lines["key_type"],
                  lines["pubkey"], lines["threshold"], lines["signers"]),
                 ("add-signer", e.name, "schnorr", e.pubkey, "2", "4"),
                 "add-signer lines")
    c.approve_all(add["id"], [b, d])
    # Approval alone changes nothing yet.
    assert_equal(c.treasury("cfg")["config_version"], 1, "before execution")
    assert_equal(c.get_proposal(p1["id"])["status"], "pending", "p1 pending")
    c.execute_ok(add["id"])

    t = c.treasury("cfg")
    assert_equal(t["config_version"], 2, "config_version bumped")
    assert_equal(t["threshold"], 2, "threshold unchanged")
    assert_equal(sorted(s["name"] for s in t["signers"]),
                 sorted([a.name, b.name, d.name, e.name]), "signers")
    for p in (p1, p2):
        assert_equal(c.get_proposal(p["id"])["status"], "stale", "stale")
    stale = c.proposals("cfg", status="stale")
    assert_equal(sorted(x["id"] for x in stale), sorted([p1["id"], p2["id"]]),
                 "stale filter")
    assert_problem(c.vote(p1["id"], b), 409, "stale")
    assert_problem(c.vote(p1["id"], d, "reject"), 409, "stale")
    assert_problem(c.execute(p2["id"]), 409, "stale")
    assert_problem(c.execute(p1["id"]), 409, "stale")
    assert_equal(c.balances("cfg"), {"USDC": "100.000000"}, "nothing spent")
    # The new signer cannot vote on an old proposal either.
    r = c.vote(p1["id"], e)
    assert_true(r.status == 409 or 400 <= r.status < 500,
                "new signer on stale proposal: %r" % r)

    # New proposals carry config 2; the new signer counts.
    p3 = c.transfer_ok("cfg", "USDC", "30")
    assert_true("\nconfig: 2\n" in p3["canonical"], p3["canonical"])
    c.approve_all(p3["id"], [e, d])
    c.execute_ok(p3["id"])
    assert_equal(c.balances("cfg"), {"USDC": "70.000000"}, "spent 30")

    # The same key as another type is the same key: refused.
    dup = {"name": "cfg-f", "key_type": "ecdsa", "pubkey": "02" + e.pubkey}
    assert_4xx(c.propose("cfg", {"kind": "add-signer", "signer": dup}),
               ("duplicate-key", "config-change"), "same key as ecdsa")

    # set-threshold 3 of 4: a config change too.
    st = c.propose_ok("cfg", {"kind": "set-threshold", "new_threshold": 3})
    pending = c.transfer_ok("cfg", "USDC", "1")
    c.approve_all(st["id"], [a, e])
    c.execute_ok(st["id"])
    t = c.treasury("cfg")
    assert_equal((t["config_version"], t["threshold"]), (3, 3), "set-threshold")
    assert_equal(c.get_proposal(pending["id"])["status"], "stale", "stale again")
    p4 = c.transfer_ok("cfg", "USDC", "1")
    c.approve_all(p4["id"], [a, b, e])
    assert_equal(c.get_proposal(p4["id"])["threshold"], 3, "threshold 3")
    c.check_balances_match_ledger("cfg")


def test_kill9_keeps_every_acknowledged_deposit(ctx):
    node, c = setup(ctx)
    c.asset_ok("USDC", 6)
    c.treasury_ok("dur", 1, sg.signers("dur", "e"))
    token = c.treasurer
    port = node.port
    stop = threading.Event()
    acked = {}            # reference -> amount text
    lock = threading.Lock()
    errors = []

    def stream(k):
        i = 0
        while not stop.is_set():
            i += 1
            ref = "k%d-%d" % (k, i)
            amount = "%d.%02d" % (i, k)
            try:
                status, body = post_raw(port, "/v1/treasuries/dur/deposits",
                                        {"asset": "USDC", "amount": amount,
                                         "reference": ref}, token)
            except OSError:
                return              # the daemon is gone
            except http.client.HTTPException:
                return
            if status == 201:
                with lock:
                    acked[ref] = amount
            else:
                errors.append((ref, status, body))
                return

    threads = [threading.Thread(target=stream, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    time.sleep(1.0)
    node.kill9()
    stop.set()
    for t in threads:
        t.join(30)
    assert_equal(errors, [], "only 201s before the kill")
    assert_true(len(acked) >= 20, "a stream of deposits: %d" % len(acked))

    node.start()
    ledger = c.ledger("dur")
    refs = [e["reference"] for e in ledger]
    assert_equal(len(refs), len(set(refs)), "no reference twice")
    by_ref = {e["reference"]: e["amount"] for e in ledger}
    missing = [r for r in acked if r not in by_ref]
    assert_equal(missing, [], "acknowledged deposits lost")
    for ref, amount in acked.items():
        assert_equal(by_ref[ref], sg.format_amount(amount, 6), "amount " + ref)
    total = sum(sg.amount_minor(a, 6) for a in by_ref.values())
    assert_equal(c.balances("dur"), {"USDC": sg.minor_text(total, 6)},
                 "balance equals the ledger sum")
    c.check_balances_match_ledger("dur")
    # Retrying an acknowledged deposit after the restart credits nothing.
    ref, amount = next(iter(acked.items()))
    r = c.deposit("dur", "USDC", amount, ref)
    assert_equal(r.status, 200, "retry after restart: %r" % r)
    assert_equal(c.balances("dur"), {"USDC": sg.minor_text(total, 6)}, "same")
