"""Several daemons on one PostgreSQL database (issue #17; operations.md,
"PostgreSQL"). PostgreSQL only.

Two treasuryd processes serve the same database with the same journal
key: what one commits, the other answers and streams (LISTEN/NOTIFY as
the wake-up, the journal table as the truth), and the engine's locks keep
execution exactly-once across them.
"""

import json
import os
import shutil
import time

import signers as sg
from framework import (TestFailure, assert_equal, assert_problem,
                       assert_true, free_port, pg_admin, postgresql_only)
from test_engine_concurrency import execute_race
from test_platform import SSE, metrics
from test_postgresql import pg_sql
from test_webhooks import Receiver, events_after, register, webhook_node
from treasury_helpers import Client, is_debit, setup


def second_node(ctx, a, start=True, key=True, extra_args=None):
    """A daemon on a's database: a's journal key copied beside it (the
    same key signs every checkpoint), a's admin token."""
    b = ctx.node(name="node-b", db_path=a.db_path, extra_args=extra_args)
    if key:
        dst = os.path.join(b.files_dir, "journal.key")
        shutil.copyfile(os.path.join(a.files_dir, "journal.key"), dst)
        os.chmod(dst, 0o600)
    b._admin_token = a.admin_token
    if start:
        b.start()
    return b


def client_of(node, c):
    """A client on node that shares c's tokens, assets and nonces."""
    cb = Client(node)
    cb._tokens, cb.decimals, cb.nonces = c._tokens, c.decimals, c.nonces
    return cb


def last_event_id(node, token):
    last, page = 0, None
    while page is None or len(page) == 500:
        r = node.get("/v1/events?after=%d&limit=500" % last, token=token)
        assert_equal(r.status, 200, "events: %r" % r)
        page = r.json["events"]
        last = page[-1]["id"] if page else last
    return last


@postgresql_only("several daemons serve one PostgreSQL database")
def test_two_daemons_one_database(ctx):
    a, ca = setup(ctx)
    for t in (ca.viewer, ca.treasurer, ca.signer_token):
        assert_true(t, "token")		# made before the streams open
    b = second_node(ctx, a)
    cb = client_of(b, ca)
    assert_equal(cb.instance, ca.instance, "one database, one instance")
    ca.asset_ok("USDC", 6)
    s1, s2 = sg.signers("two", "es")
    ca.treasury_ok("two", 2, [s1, s2])
    # what a committed, b answers at once (no cache between them)
    assert_equal(cb.treasury("two")["threshold"], 2, "b reads a's treasury")
    start = last_event_id(a, ca.viewer)
    stream_a, stream_b = SSE(a, ca.viewer, start), SSE(b, ca.viewer, start)
    heard_before = metrics(b, ca.viewer).get("treasuryd_events_heard_total",
                                            0)
    cb.deposit_ok("two", "USDC", "1000", "dep-b")
    p = ca.transfer_ok("two", "USDC", "100.000001")
    ca.vote_ok(p["id"], s1, want_status="pending")
    cb.vote_ok(p["id"], s2, want_status="approved")
    want = ["deposit", "proposal.created", "proposal.awaiting",
            "proposal.voted", "proposal.awaiting", "proposal.voted",
            "proposal.approved"]
    got_a, got_b = stream_a.events(len(want)), stream_b.events(len(want))
    stream_a.close()
    stream_b.close()
    assert_equal([e["event"] for e in got_a], want, "a's stream")
    assert_equal([(e["id"], e["event"], e["data"]) for e in got_b],
                 [(e["id"], e["event"], e["data"]) for e in got_a],
                 "b's stream is a's: every node's events, same ids")
    voters = [json.loads(e["data"])["data"].get("signer")
              for e in got_b if e["event"] == "proposal.voted"]
    assert_equal(sorted(voters), sorted([s1.name, s2.name]),
                 "both votes, made on a and on b, on b's stream")
    heard = metrics(b, ca.viewer)["treasuryd_events_heard_total"]
    assert_true(heard > heard_before, "b heard a's commits by NOTIFY "
                "(%r -> %r)" % (heard_before, heard))

    # 50 concurrent executes over both daemons: exactly one executes
    execute_race([a.port, b.port], p["id"], ca.treasurer)
    for c in (ca, cb):
        debits = [e for e in c.ledger("two") if is_debit(e)]
        assert_equal(len(debits), 1, "one debit: %r" % debits)
        assert_equal(c.balances("two"), {"USDC": "899.999999"},
                     "balance exact on both")
        assert_equal(c.get_proposal(p["id"])["status"], "executed", "status")

    # nonces and idempotency keys across daemons: the next proposal made
    # on b takes the next nonce; a key replayed on the other daemon
    # answers the first answer, once
    p2 = cb.transfer_ok("two", "USDC", "1")
    assert_true("\nnonce: 2\n" in p2["canonical"], "next nonce on b")
    body = {"asset": "USDC", "amount": "5", "reference": "idem-1"}
    h = {"Idempotency-Key": "k-two-1"}
    r1 = a.post("/v1/treasuries/two/deposits", body, token=ca.treasurer,
                headers=h)
    r2 = b.post("/v1/treasuries/two/deposits", body, token=ca.treasurer,
                headers=h)
    assert_equal(r1.status, 201, "first: %r" % r1)
    assert_equal((r2.status, r2.json), (r1.status, r1.json),
                 "the replay on the other daemon")
    assert_equal(ca.balance("two", "USDC"), "904.999999", "one deposit")

    # b's own commits are not news to b; a's are, by NOTIFY alone
    h1 = metrics(b, ca.viewer)["treasuryd_events_heard_total"]
    cb.deposit_ok("two", "USDC", "1", "own-b")
    time.sleep(1.5)
    h2 = metrics(b, ca.viewer)["treasuryd_events_heard_total"]
    assert_equal(h2, h1, "b does not hear its own commit")
    ca.deposit_ok("two", "USDC", "1", "from-a")
    deadline = time.monotonic() + 5
    while (metrics(b, ca.viewer)["treasuryd_events_heard_total"] == h2 and
           time.monotonic() < deadline):
        time.sleep(0.1)
    assert_true(metrics(b, ca.viewer)["treasuryd_events_heard_total"] > h2,
                "b heard a's commit")
    a.stop()
    b.stop()


@postgresql_only("several daemons serve one PostgreSQL database")
def test_second_daemon_needs_the_same_journal_key(ctx):
    a, ca = setup(ctx)      # its start signed the admin token's entry
    ca.asset_ok("USDC", 6)
    b = second_node(ctx, a, start=False, key=False)
    b_key = os.path.join(b.files_dir, "journal.key")

    def start_fails(node, *extra):
        r = ctx.run_treasuryd(["--db", node.db_path, "--listen",
                               "127.0.0.1:%d" % free_port()] + list(extra),
                              cwd=node.dir)
        assert_equal(r.returncode, 1, "refused: %s" % r.stderr)
        assert_true("another daemon serves" in r.stderr and
                    "copy journal.key" in r.stderr, r.stderr)
        return r

    start_fails(b)          # while a serves, a new key
    assert_true(not os.path.exists(b_key), "the key made is removed")
    assert_problem(a.get("/v1/treasuries/nope", token=ca.viewer), 404)
    # a's own key lost: refused as well, unless said so
    old_pk = a.get("/v1/info").json["journal_public_key"]
    a.stop()
    os.remove(os.path.join(a.files_dir, "journal.key"))
    r = start_fails(a)
    assert_true("--new-journal-key" in r.stderr, r.stderr)
    a.extra_args.append("--new-journal-key")
    a.start()
    assert_true("the key was replaced" in a.stderr(), a.stderr())
    r = a.get("/v1/events?after=0&limit=500", token=ca.viewer)
    last = r.json["events"][-1]
    assert_equal(last["type"], "journal.key_replaced", "the entry says so")
    assert_true(len(last["data"]["public_key"]) == 64 and
                last["data"]["checkpoint_seq"] >= 1, last)
    new_pk = last["data"]["public_key"]
    # an auditor with both public keys finds nothing; with one, findings
    r = ctx.run_treasuryd(["audit", "verify", "--db", a.db_path, "--pubkey",
                           old_pk, "--pubkey", new_pk])
    assert_equal(r.returncode, 0, "audit verify with both keys: %s %s"
                 % (r.stdout, r.stderr))
    r = ctx.run_treasuryd(["audit", "verify", "--db", a.db_path, "--pubkey",
                           new_pk])
    assert_equal(r.returncode, 1, "with the new key alone: %s" % r.stderr)
    assert_true("signed by another key" in r.stdout, r.stdout)
    # the new key signs from here on: b starts with a copy of it
    shutil.copyfile(os.path.join(a.files_dir, "journal.key"), b_key)
    os.chmod(b_key, 0o600)
    b.start()
    assert_equal(b.get("/v1/health", token=None).status, 200, "b serves")
    a.stop()
    b.stop()


def delivered_by(node, token):
    return metrics(node, token).get(
        'treasuryd_webhook_deliveries_total{result="ok"}', 0)


@postgresql_only("several daemons serve one PostgreSQL database")
def test_one_webhook_deliverer_and_takeover(ctx):
    recv = Receiver().start()
    try:
        a, ca = webhook_node(ctx, recv.port, base_ms=200)
        conf = a.extra_args[a.extra_args.index("--config") + 1]
        b = second_node(ctx, a, extra_args=["--config", conf])
        cb = client_of(b, ca)
        w = register(a, recv)
        ca.asset_ok("USDC", 6)
        ca.treasury_ok("hook", 1, sg.signers("hook", "e"))
        for i in range(10):
            (ca, cb)[i % 2].deposit_ok("hook", "USDC", "1", "w%d" % i)
        want = [e["id"] for e in events_after(a, w["after_seq"])]
        recv.wait(lambda r: len(r.delivered()) >= len(want),
                  what="every entry delivered")
        seqs = [body["data"]["seq"] for _, body in recv.delivered()]
        assert_equal(seqs, want, "each entry once, in journal order, "
                     "whichever daemon wrote it")
        ok_a, ok_b = delivered_by(a, ca.viewer), delivered_by(b, ca.viewer)
        assert_equal(sorted([ok_a, ok_b]), [0, len(want)],
                     "one daemon delivered them all (a %r, b %r)"
                     % (ok_a, ok_b))
        # the deliverer stops: the other takes over
        (gone, stays, cs) = (a, b, cb) if ok_a else (b, a, ca)
        gone.stop()
        for i in range(3):
            cs.deposit_ok("hook", "USDC", "1", "after-%d" % i)
        want2 = [e["id"] for e in events_after(stays, w["after_seq"])]
        recv.wait(lambda r: len(r.delivered()) >= len(want2),
                  what="delivered by the other daemon")
        time.sleep(0.5)
        seqs = [body["data"]["seq"] for _, body in recv.delivered()]
        assert_equal(seqs, want2, "the rest once each, in order")
        assert_equal(recv.bad_signatures, [], "signatures")
        assert_true(delivered_by(stays, ca.viewer) >= len(want2) - len(want),
                    "the remaining daemon delivered the rest")
        stays.stop()
    finally:
        recv.stop()


@postgresql_only("several daemons serve one PostgreSQL database")
def test_deliverer_connection_lost_mid_backlog(ctx):
    """The deliverer's session is terminated while a backlog drains: its
    connection is made again without the lock, another daemon takes the
    lock, and the first stops at its next attempt; at most the attempt in
    flight is sent twice."""
    recv = Receiver(delay_s=0.1).start()
    try:
        a, ca = webhook_node(ctx, recv.port, base_ms=200)
        conf = a.extra_args[a.extra_args.index("--config") + 1]
        b = second_node(ctx, a, extra_args=["--config", conf])
        for n in (a, b):
            n.allowed_error_patterns.append("terminat|server closed|"
                                            "connection")
        w = register(a, recv)
        ca.asset_ok("USDC", 6)
        ca.treasury_ok("lost", 1, sg.signers("lost", "e"))
        for i in range(40):
            ca.deposit_ok("lost", "USDC", "1", "l%d" % i)
        want = [e["id"] for e in events_after(a, w["after_seq"])]
        recv.wait(lambda r: len(r.delivered()) >= 5, what="a few delivered")
        pids = pg_admin("SELECT pid FROM pg_locks WHERE locktype ="
                        " 'advisory' AND classid = 0 AND objid = %d AND"
                        " objsubid = 1" % 0x54525744).split()
        assert_equal(len(pids), 1, "one session holds the deliverer's lock")
        pg_admin("SELECT pg_terminate_backend(%s)" % pids[0])
        recv.wait(lambda r: len({b_["data"]["seq"] for _, b_ in
                                 r.delivered()}) >= len(want),
                  timeout=60, what="every entry delivered")
        time.sleep(1.0)
        seqs = [body["data"]["seq"] for _, body in recv.delivered()]
        assert_equal(sorted(set(seqs)), sorted(want), "none lost")
        assert_true(len(seqs) - len(want) <= 2, "at most the attempt in "
                    "flight sent again, not a second deliverer: %d "
                    "repeats of %d" % (len(seqs) - len(want), len(want)))
        assert_equal(recv.bad_signatures, [], "signatures")
        a.stop()
        b.stop()
    finally:
        recv.stop()


@postgresql_only("several daemons serve one PostgreSQL database")
def test_two_first_starts_with_two_keys(ctx):
    """Two daemons start at once on a new database, each making its own
    key: one of them serves, and the other does not, then or later: no
    two keys ever sign the journal."""
    a = ctx.node()
    b = ctx.node(name="node-b", db_path=a.db_path)
    a.start(wait=False)
    b.start(wait=False)
    up = []
    for n in (a, b):
        try:
            n.wait_ready()
            up.append(n)
        except TestFailure:
            pass            # exited: the admin token's name, or the key
    assert_equal(len(up), 1, "exactly one of the two serves: %s\n%s"
                 % (a.stderr(), b.stderr()))
    loser = b if up[0] is a else a
    loser.stop(check=False)
    r = ctx.run_treasuryd(["--db", loser.db_path, "--listen",
                           "127.0.0.1:%d" % free_port()], cwd=loser.dir)
    assert_equal(r.returncode, 1, "started again, still refused: %s"
                 % r.stderr)
    assert_true("another daemon serves" in r.stderr, r.stderr)
    up[0].stop()


@postgresql_only("several daemons serve one PostgreSQL database")
def test_new_journal_key_only_alone_and_no_second_signer(ctx):
    """--new-journal-key is refused while another daemon serves; and a
    serving daemon that finds a checkpoint its key did not sign (here one
    forged with psql) refuses every write with 503 journal-key instead of
    signing on top of it."""
    a, ca = setup(ctx)
    ca.asset_ok("USDC", 6)
    ca.treasury_ok("nk", 1, sg.signers("nk", "e"))
    c = second_node(ctx, a, start=False, key=False)
    r = ctx.run_treasuryd(["--db", c.db_path, "--listen", "127.0.0.1:%d"
                           % free_port(), "--new-journal-key"], cwd=c.dir)
    assert_equal(r.returncode, 1, "refused while a serves: %s" % r.stderr)
    assert_true("other daemons serve this database" in r.stderr, r.stderr)
    ca.deposit_ok("nk", "USDC", "1", "before")
    pg_sql(a.db_path, "INSERT INTO journal_checkpoints (seq, hash,"
           " created_at, signature) SELECT seq, hash, created_at,"
           " decode(repeat('ab', 64), 'hex') FROM journal ORDER BY seq DESC"
           " LIMIT 1")
    r = ca.deposit("nk", "USDC", "1", "after")
    assert_problem(r, 503, "journal-key")
    assert_true(r.header("Retry-After") is not None, "Retry-After")
    assert_equal(ca.balance("nk", "USDC"), "1.000000", "nothing applied")
    assert_true("signed by another key" in a.stderr(), a.stderr())
    a.allowed_error_patterns.append("another key|journal-key|signing a "
                                    "journal checkpoint|final journal")
    a.stop()
