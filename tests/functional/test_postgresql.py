"""PostgreSQL only (issue #17; docs/operations.md, "PostgreSQL"): what the
SQLite engine has no counterpart of. Skipped on SQLite.

- The connection to the server is lost (its sessions terminated, new ones
  refused): requests answer 503 database-unreachable with Retry-After,
  never a wrong answer; once the server takes connections again the
  daemon serves without a restart, and every write answered 2xx before,
  during and after is in the database.
- treasuryd token writes while the daemon writes: the two take turns
  (the database's write lock), neither fails.
"""

import threading

import signers as sg
from framework import (assert_equal, assert_true, pg_admin, pg_database_name,
                       postgresql_only)
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

    # Back: served again without a restart.
    pg_admin("ALTER DATABASE %s WITH ALLOW_CONNECTIONS true" % db)
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
