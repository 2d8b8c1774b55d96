"""Backups: `treasuryd backup` during a stream of writes makes a copy that
restores (`treasuryd restore`) to a database passing `treasuryd check`;
restore refuses a database a daemon serves; check finds tampering."""

# run.py skips every test here on PostgreSQL, saying why.
SQLITE_ONLY = "treasuryd backup, restore and check work on SQLite files (PostgreSQL: pg_dump)"


import os
import shutil
import sqlite3
import stat
import threading

import signers as sg
from framework import assert_equal, assert_true
from treasury_helpers import Client, setup


def funded_treasury(ctx):
    """A node with a 2-of-3 treasury, deposits and one executed transfer,
    so that check has signatures to verify."""
    node, c = setup(ctx)
    c.asset_ok("USDC", 6)
    signer_list = sg.signers("bk", "ese")
    c.treasury_ok("bk", 2, signer_list)
    c.deposit_ok("bk", "USDC", "1000", "seed")
    p = c.transfer_ok("bk", "USDC", "250.5")
    c.approve_all(p["id"], signer_list[:2])
    c.execute_ok(p["id"])
    return node, c


def check(ctx, path):
    return ctx.run_treasuryd(["check", "--db", path])


def test_backup_during_writes_restores_to_a_checked_database(ctx):
    node, c = funded_treasury(ctx)
    stop = threading.Event()
    counts = [0] * 4
    failures = []

    def writer(i):
        n = 0
        while not stop.is_set():
            r = c.deposit("bk", "USDC", "1.000001", "w%d-%d" % (i, n))
            if r.status != 201:
                failures.append(r)
                return
            n += 1
            counts[i] = n

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    backups = []
    try:
        while sum(counts) < 40 and not failures:
            threading.Event().wait(0.02)
        for k in range(3):
            out = os.path.join(node.dir, "backup-%d.db" % k)
            r = ctx.run_treasuryd(["backup", "--db", node.db_path,
                                   "--out", out])
            assert_equal(r.returncode, 0, "backup %d: %s" % (k, r.stderr))
            assert_true("integrity_check ok" in r.stderr, r.stderr)
            backups.append(out)
            threading.Event().wait(0.1)
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    assert_equal(failures, [], "deposits during the backups")
    for b in backups:
        assert_equal(stat.S_IMODE(os.stat(b).st_mode), 0o600, "backup mode")
        r = check(ctx, b)
        assert_equal(r.returncode, 0, "check %s: %s%s" % (b, r.stdout, r.stderr))
        assert_true("0 findings" in r.stderr and "1 executed proposals" in
                    r.stderr and "2 approvals verified" in r.stderr, r.stderr)
    r = check(ctx, node.db_path)
    assert_equal(r.returncode, 0, "check of the live database: " + r.stdout)
    live_entries = len(c.ledger("bk"))

    # Restore the last backup into a fresh place and serve it.
    other = ctx.node(name="restored")
    r = ctx.run_treasuryd(["restore", "--db", other.db_path,
                           "--from", backups[-1]])
    assert_equal(r.returncode, 0, "restore: " + r.stderr)
    assert_equal(stat.S_IMODE(os.stat(other.db_path).st_mode), 0o600,
                 "restored mode")
    assert_equal(check(ctx, other.db_path).returncode, 0, "check restored")
    shutil.copy(os.path.join(node.dir, "admin.token"), other.dir)
    other.start()
    c2 = Client(other)
    c2.decimals = dict(c.decimals)
    c2._tokens = dict(c._tokens)      # the same token hashes were restored
    restored_entries = len(c2.ledger("bk"))
    assert_true(2 + 40 <= restored_entries <= live_entries,
                "restored ledger %d between the backup start and the live %d"
                % (restored_entries, live_entries))
    c2.check_balances_match_ledger("bk")
    assert_equal(c2.get_proposal(c.proposals("bk")[0]["id"])["status"],
                 "executed", "the executed proposal survived")


def test_restore_refuses_a_running_daemons_database(ctx):
    node, c = funded_treasury(ctx)
    out = os.path.join(node.dir, "b.db")
    assert_equal(ctx.run_treasuryd(["backup", "--db", node.db_path, "--out",
                                    out]).returncode, 0, "backup")
    c.deposit_ok("bk", "USDC", "5", "after-backup")
    r = ctx.run_treasuryd(["restore", "--db", node.db_path, "--from", out])
    assert_equal(r.returncode, 1, "restore onto a served database")
    assert_true("in use by a running treasuryd" in r.stderr, r.stderr)
    assert_equal(c.balance("bk", "USDC"), "754.500000", "database untouched")
    # Stopped, the same restore goes through and keeps the old file aside.
    node.stop()
    r = ctx.run_treasuryd(["restore", "--db", node.db_path, "--from", out])
    assert_equal(r.returncode, 0, "restore after stop: " + r.stderr)
    aside = [f for f in os.listdir(node.dir) if ".pre-restore-" in f
             and not f.endswith("-wal")]
    assert_equal(len(aside), 1, "old database kept aside: %r" % aside)
    node.start()
    assert_equal(c.balance("bk", "USDC"), "749.500000", "backup content")


def test_backup_never_replaces_a_file(ctx):
    node, _ = funded_treasury(ctx)
    out = os.path.join(node.dir, "exists.db")
    with open(out, "w") as f:
        f.write("precious")
    r = ctx.run_treasuryd(["backup", "--db", node.db_path, "--out", out])
    assert_equal(r.returncode, 1, "backup onto an existing file")
    with open(out) as f:
        assert_equal(f.read(), "precious", "file untouched")
    assert_equal([f for f in os.listdir(node.dir) if ".tmp-" in f], [],
                 "no temporary file left")


def tampered(ctx, node, name, sql):
    out = os.path.join(node.dir, name)
    assert_equal(ctx.run_treasuryd(["backup", "--db", node.db_path, "--out",
                                    out]).returncode, 0, "backup")
    db = sqlite3.connect(out, isolation_level=None)
    db.execute(sql)
    db.close()
    return check(ctx, out)


def test_check_finds_tampering(ctx):
    node, c = funded_treasury(ctx)
    r = tampered(ctx, node, "balance.db",
                 "UPDATE balances SET amount = '749500001'")
    assert_equal(r.returncode, 1, "changed balance")
    assert_true("balance of treasury bk in USDC is not the sum" in r.stdout,
                r.stdout)
    r = tampered(ctx, node, "vote.db",
                 "DELETE FROM votes WHERE rowid = (SELECT min(rowid) FROM votes)")
    assert_equal(r.returncode, 1, "removed approval")
    assert_true("was executed with 1 valid approvals; its config version "
                "needs 2" in r.stdout, r.stdout)
    r = tampered(ctx, node, "sig.db",
                 "UPDATE votes SET signature = zeroblob(64)"
                 " WHERE rowid = (SELECT max(rowid) FROM votes)")
    assert_equal(r.returncode, 1, "forged signature")
    assert_true("does not verify" in r.stdout, r.stdout)
    r = tampered(ctx, node, "debit.db",
                 "UPDATE proposals SET status = 'approved', executed_at = NULL")
    assert_equal(r.returncode, 1, "debit without an executed proposal")
    assert_true("a transfer without an executed proposal" in r.stdout, r.stdout)
