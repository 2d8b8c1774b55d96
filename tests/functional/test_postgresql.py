"""PostgreSQL only (issue #17; docs/operations.md, "PostgreSQL"): what the
SQLite engine has no counterpart of. Skipped on SQLite.

- The connection to the server is lost (its sessions terminated, new ones
  refused): requests answer 503 database-unreachable with Retry-After,
  never a wrong answer; once the server takes connections again the
  daemon serves without a restart, and every write answered 2xx before,
  during and after is in the database.
- treasuryd token writes while the daemon writes: the two take turns
  (the database's write lock), neither fails.
- treasuryd migrate copies an SQLite treasury into a new database and
  verifies it; treasuryd check finds nothing on either side; a daemon on
  the copy answers as the original did, with the same tokens, and goes
  on writing.
- treasuryd check and audit verify on a PostgreSQL database: nothing on
  an untouched one; a balance, a canonical text or a journal entry
  edited with psql is found, and so is each table edit that only the
  journal's agreement checks (PostgreSQL's SQL) can see.
"""

import os
import re
import shutil
import subprocess
import threading

import signers as sg
import test_check_meaning as cm
from framework import (assert_equal, assert_true, free_port, pg_admin,
                       pg_database, pg_database_name, postgresql_only)
from treasury_helpers import setup

ONLY = "the PostgreSQL engine's connection to its server"


def deposit(c, ref, amount="5"):
    return c.deposit("t", "USDC", amount, ref)


def make_treasury(ctx):
    node, c = setup(ctx)
    c.asset_ok("USDC", 0)
    c.treasury_ok("t", 1, sg.signers("t", "e"))
    c.token("treasurer")        # tokens made before any outage
    c.token("viewer")
    return node, c


def terminate(db):
    pg_admin("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
             " WHERE datname = '%s' AND pid <> pg_backend_pid()" % db)


@postgresql_only(ONLY)
def test_connection_lost_then_back_without_a_restart(ctx):
    node, c = make_treasury(ctx)
    db = pg_database_name(node.db_path)
    acknowledged = []
    r = deposit(c, "before")
    assert_equal(r.status, 201, "deposit before: %r" % r)
    acknowledged.append("before")

    # Sessions killed while idle: the next BEGIN finds its connection
    # dead and runs again on a new one; nobody sees a failure.
    terminate(db)
    r = deposit(c, "after-terminate")
    assert_equal(r.status, 201, "first deposit after the sessions were "
                 "terminated: %r" % r)
    acknowledged.append("after-terminate")
    assert_equal(node.get("/v1/treasuries/t/balances",
                          token=c.viewer).status, 200,
                 "a read after the sessions were terminated")

    # The server refuses every new session: 503, Retry-After, nothing
    # applied, the daemon up.
    pg_admin("ALTER DATABASE %s WITH ALLOW_CONNECTIONS false" % db)
    terminate(db)
    for i in range(3):
        r = deposit(c, "during-%d" % i)
        assert_equal(r.status, 503, "deposit while unreachable: %r" % r)
        assert_equal(r.json["type"],
                     "urn:treasuryd:problem:database-unreachable", "slug")
        assert_true(r.header("Retry-After") is not None, "Retry-After")
        r = node.get("/v1/treasuries/t/balances", token=c.viewer)
        assert_equal(r.status, 503, "read while unreachable: %r" % r)
    r = node.get("/v1/health", token=None)
    assert_equal(r.status, 503, "health while unreachable: %r" % r)
    assert_equal(r.json["type"], "urn:treasuryd:problem:database-unreachable",
                 "health's slug")

    # Back: served again without a restart.
    pg_admin("ALTER DATABASE %s WITH ALLOW_CONNECTIONS true" % db)
    assert_equal(node.get("/v1/health", token=None).status, 200,
                 "health once the server is back")
    r = deposit(c, "after")
    assert_equal(r.status, 201, "deposit once the server is back: %r" % r)
    acknowledged.append("after")
    refs = sorted(e["reference"] for e in c.ledger("t"))
    assert_equal(refs, sorted(acknowledged),
                 "the ledger holds exactly the acknowledged deposits")
    assert_equal(c.balance("t", "USDC"), str(5 * len(acknowledged)),
                 "balance")
    # the outage, as the operator should see it (at most every 10 s)
    node.allowed_error_patterns.append(
        "database server cannot be reached|not currently accepting "
        "connections")


@postgresql_only(ONLY)
def test_token_command_takes_turns_with_the_daemon(ctx):
    node, c = make_treasury(ctx)
    errors = []

    def deposits():
        for i in range(60):
            r = deposit(c, "d%d" % i, "1")
            if r.status != 201:
                errors.append("deposit %d: %r" % (i, r))

    t = threading.Thread(target=deposits)
    t.start()
    for i in range(8):
        r = node.token_cmd("create", "--name", "cli-%d" % i, "--role",
                           "viewer")
        assert_equal(r.returncode, 0, "token create %d: %s" % (i, r.stderr))
    t.join()
    assert_equal(errors, [], "deposits while tokens were made")
    assert_equal(c.balance("t", "USDC"), "60", "every deposit counted once")


def snapshot(c, tid):
    """What a viewer reads of a treasury: the answers to compare."""
    return {"treasury": c.treasury(tid), "balances": c.balances(tid),
            "ledger": c.ledger(tid), "proposals": c.proposals(tid)}


@postgresql_only("treasuryd migrate writes into a PostgreSQL database")
def test_migrate_from_sqlite(ctx):
    a = ctx.node(db_path=os.path.join(ctx.tmpdir("lite"), "treasury.db"))
    a.start()
    from treasury_helpers import Client
    c = Client(a)
    c.asset_ok("USDC", 6)
    s1, s2 = sg.signers("m", "es")
    c.treasury_ok("m", 2, [s1, s2])
    for i in range(5):
        c.deposit_ok("m", "USDC", "%d.5" % (i + 1), "dep-%d" % i)
    p = c.propose("m", {"kind": "transfer", "asset": "USDC", "amount": "2",
                        "to": "0x" + "ab" * 20, "memo": "rent"}).json
    c.approve_all(p["id"], [s1, s2])
    c.execute_ok(p["id"])
    c.propose("m", {"kind": "transfer", "asset": "USDC", "amount": "1",
                    "to": "0x" + "cd" * 20, "memo": "left pending"})
    before = snapshot(c, "m")
    admin = a.admin_token
    rc, n, out = cm.check(ctx, a.db_path)
    assert_equal((rc, n), (0, 0), "check of the SQLite side: %s" % out)
    r = ctx.run_treasuryd(["migrate", "--from", a.db_path, "--to",
                           pg_database()])
    assert_equal(r.returncode, 1, "migrate while a daemon serves the file")
    assert_true("stop the treasuryd" in r.stderr, r.stderr)
    a.stop()

    uri = pg_database()
    r = ctx.run_treasuryd(["migrate", "--from", a.db_path, "--to", uri])
    assert_equal(r.returncode, 0, "migrate: %s" % r.stderr)
    assert_true("identical on both sides" in r.stderr, r.stderr)
    r = ctx.run_treasuryd(["migrate", "--from", a.db_path, "--to", uri])
    assert_equal(r.returncode, 1, "migrate into a database that is not "
                 "empty: %s" % r.stderr)
    assert_true("is not empty" in r.stderr, r.stderr)
    r = ctx.run_treasuryd(["migrate", "--from", a.db_path, "--to",
                           uri.replace("postgresql:///",
                                       "postgresql://u:pw@/")])
    assert_equal(r.returncode, 2, "a password on the command line")
    assert_true("pw" not in r.stderr.replace("password", ""), r.stderr)

    r = ctx.run_treasuryd(["check", "--db", uri])
    assert_equal(r.returncode, 0, "check of the PostgreSQL side: %s"
                 % r.stderr)
    assert_true(": 0 findings (1 treasuries" in r.stderr, r.stderr)
    assert_true("not checked on PostgreSQL" in r.stderr, r.stderr)
    b = ctx.node(db_path=uri)
    shutil.copy(os.path.join(a.files_dir, "journal.key"),
                os.path.join(b.files_dir, "journal.key"))
    os.chmod(os.path.join(b.files_dir, "journal.key"), 0o600)
    b._admin_token = admin          # the copied tokens verify
    b.start()
    cb = Client(b)
    cb.decimals = dict(c.decimals)
    cb._tokens = dict(c._tokens)
    assert_equal(snapshot(cb, "m"), before, "the copy answers as the "
                 "original did")
    cb.deposit_ok("m", "USDC", "1", "after-migrate")
    assert_equal(cb.balance("m", "USDC"), "16.500000", "balance after a "
                 "new deposit (17.5 in, 2 out, 1 in)")
    assert_true(b.stderr().count("journal key") >= 1, "journal key read")


def pg_sql(uri, sql):
    """Run sql in the test database of uri (the cluster's superuser)."""
    conninfo = dict(kv.split("=", 1)
                    for kv in os.environ["TREASURY_TEST_PG"].split())
    r = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1",
                        "host=%s user=%s dbname=%s" % (
                            conninfo["host"], conninfo["user"],
                            pg_database_name(uri)), "-c", sql],
                       capture_output=True, text=True, timeout=60)
    assert_equal(r.returncode, 0, "psql %r: %s" % (sql, r.stderr))
    return r.stdout


def audit(ctx, node):
    return ctx.run_treasuryd(["audit", "verify", "--db", node.db_path,
                              "--key", os.path.join(node.files_dir,
                                                    "journal.key")])


@postgresql_only("treasuryd check and audit verify on a PostgreSQL URI")
def test_check_and_audit_on_postgresql(ctx):
    node, c = make_treasury(ctx)
    s1 = sg.signers("t", "e")[0]
    for i in range(3):
        c.deposit_ok("t", "USDC", "10", "c-%d" % i)
    p = c.transfer_ok("t", "USDC", "7")
    c.vote_ok(p["id"], s1, want_status="approved")
    c.execute_ok(p["id"])
    rc, n, out = cm.check(ctx, node.db_path)      # beside the daemon
    assert_equal((rc, n), (0, 0), "check while the daemon serves: %s" % out)
    node.stop()             # its final checkpoint signs every entry
    r = ctx.run_treasuryd(["check", "--db", node.db_path])
    assert_true("1 executed proposals, 1 approvals verified" in r.stderr and
                "not checked on PostgreSQL" in r.stderr, r.stderr)
    r = audit(ctx, node)
    assert_equal(r.returncode, 0, "audit verify: %s %s" % (r.stdout,
                                                          r.stderr))
    assert_true("journal: 0 findings" in r.stderr, r.stderr)
    uri = node.db_path

    # a balance raised, its ledger left alone
    pg_sql(uri, "UPDATE balances SET amount = '24' WHERE treasury_id = 't'")
    cm.assert_found(ctx, uri, r"balance")
    pg_sql(uri, "UPDATE balances SET amount = '23' WHERE treasury_id = 't'")
    rc, n, out = cm.check(ctx, uri)
    assert_equal((rc, n), (0, 0), "put back: %s" % out)

    # the destination in a signed text rewritten
    pg_sql(uri, "UPDATE proposals SET canonical = replace(canonical, "
           "'to: dest-1', 'to: dest-2')")
    cm.assert_found(ctx, uri, r"proposal [0-9a-f]+")
    pg_sql(uri, "UPDATE proposals SET canonical = replace(canonical, "
           "'to: dest-2', 'to: dest-1')")

    # a journal entry's payload edited: the chain breaks there, and the
    # signed checkpoint no longer covers what is stored
    seq = pg_sql(uri, "SELECT min(seq) FROM journal WHERE type = "
                 "'deposit'").strip()
    pg_sql(uri, "UPDATE journal SET payload = replace(payload, '\"10\"', "
           "'\"11\"') WHERE seq = %s" % seq)
    cm.assert_found(ctx, uri, r"journal entry %s: its hash does not chain"
                    % seq)
    r = audit(ctx, node)
    assert_equal(r.returncode, 1, "audit verify finds it: %s" % r.stderr)
    assert_true("finding: " in r.stdout, r.stdout)

    # what check refuses on a URI
    r = ctx.run_treasuryd(["backup", "--db", uri, "--out",
                           os.path.join(ctx.tmpdir("b"), "x.db")])
    assert_equal(r.returncode, 2, "backup of a URI: %s" % r.stderr)
    assert_true("pg_dump" in r.stderr, r.stderr)
    r = ctx.run_treasuryd(["check", "--db", pg_database()])
    assert_equal(r.returncode, 1, "check of an empty database")
    assert_true("no treasuryd schema" in r.stderr, r.stderr)
    secret = uri.replace("postgresql:///", "postgresql://u:hunter2@/")
    for args in (["check", "--db", secret],
                 ["audit", "verify", "--db", secret, "--pubkey", "00"]):
        r = ctx.run_treasuryd(args)
        assert_equal(r.returncode, 2, "%s with a password in the URI: %s"
                     % (args[0], r.stderr))
        assert_true("holds a password" in r.stderr and
                    "hunter2" not in r.stderr, r.stderr)


@postgresql_only("treasuryd check on a PostgreSQL URI, edited with psql")
def test_check_finds_journal_disagreements_on_postgresql(ctx):
    """check_meaning's life cycle (transfer, batch, settlement, veto,
    freeze, key proof) on PostgreSQL passes with 0 findings; each edit of
    a copy (CREATE DATABASE ... TEMPLATE) is found by the journal's
    agreement checks, in PostgreSQL's SQL."""
    node, ids = cm.life_cycle(ctx)
    src = pg_database_name(node.db_path)
    rc, n, out = cm.check(ctx, node.db_path)
    assert_equal((rc, n), (0, 0), "the untouched life cycle: %s" % out)
    edits = [
        ("UPDATE ledger SET reference = 'd9' WHERE reference = 'd1'",
         r"ledger entry \d+: deposit of 100000000 minor units of USDC to cm,"
         r" reference 'd9', but journal entry \d+ says"),
        ("DELETE FROM votes WHERE proposal_id = decode('%s', 'hex')"
         % ids["pending"], r"the vote of '[^']+' on proposal %s is missing "
         r"from the votes table" % ids["pending"]),
        ("UPDATE assets SET chain = 'tron' WHERE code = 'ETH'",
         r"asset ETH: 18 decimals on chain 'tron', but journal entry \d+ "
         r"says 18 decimals on chain 'ethereum'"),
        ("UPDATE treasuries SET frozen = 0 WHERE id = 'cm'",
         r"treasury cm: not frozen, but the journal says frozen by freeze 1"),
        ("UPDATE tokens SET roles = 15 WHERE name = 't-signer'",
         r"token \d+ 't-signer': its roles \(admin,treasurer,signer,viewer;"
         r" the journal says signer\) disagree"),
        ("UPDATE proposals SET settlement = '0xbeef' WHERE settlement ="
         " '0xfeed01'", r"proposal %s: settlement reference '0xbeef', but "
         r"its proposal.settled journal entry \d+ says '0xfeed01'"
         % ids["pay"]),
        ("UPDATE journal SET payload = '{not json' WHERE seq = (SELECT "
         "max(seq) FROM journal)", r"journal entry \d+: its payload is not "
         r"a JSON object"),
    ]
    for i, (sql, pattern) in enumerate(edits):
        name = "%s_e%d" % (src, i)
        pg_admin("CREATE DATABASE %s TEMPLATE %s" % (name, src))
        uri = node.db_path.replace("///%s?" % src, "///%s?" % name)
        pg_sql(uri, sql)
        rc, n, out = cm.check(ctx, uri)
        assert_true(rc == 1 and re.search(pattern, out), "the edit %r is "
                    "found (%r): %s" % (sql, pattern, out))


@postgresql_only("the PostgreSQL database's encoding and session")
def test_encoding_and_read_only_session(ctx):
    """A database that is not UTF8 is refused by the daemon and by check
    (jsonb refuses the journal's \\u escapes there); check on a read-only
    session says why it cannot run, not that a COMMIT failed."""
    name = pg_database_name(pg_database()) + "_ascii"
    pg_admin("DROP DATABASE IF EXISTS %s" % name)
    pg_admin("CREATE DATABASE %s ENCODING 'SQL_ASCII' TEMPLATE template0"
             " LC_COLLATE 'C' LC_CTYPE 'C'" % name)
    conninfo = dict(kv.split("=", 1)
                    for kv in os.environ["TREASURY_TEST_PG"].split())
    uri = "postgresql:///%s?host=%s&user=%s" % (name, conninfo["host"],
                                                conninfo["user"])
    d = ctx.tmpdir("ascii")
    r = ctx.run_treasuryd(["--db", uri, "--listen", "127.0.0.1:%d"
                           % free_port()], cwd=d)
    assert_equal(r.returncode, 1, "daemon on SQL_ASCII: %s" % r.stderr)
    assert_true("is not UTF8-encoded" in r.stderr, r.stderr)
    r = ctx.run_treasuryd(["check", "--db", uri])
    assert_equal(r.returncode, 1, "check on SQL_ASCII: %s" % r.stderr)
    assert_true("is not UTF8-encoded" in r.stderr, r.stderr)

    node, c = make_treasury(ctx)
    node.stop()
    ro = node.db_path + "&options=-c%20default_transaction_read_only%3Don"
    r = ctx.run_treasuryd(["check", "--db", ro])
    assert_equal(r.returncode, 1, "check on a read-only session")
    assert_true("read-only transaction" in r.stderr and
                "aborted" not in r.stderr, r.stderr)
