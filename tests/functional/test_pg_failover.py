"""Failover without losing an acknowledged write (issue #17; operations.md,
"PostgreSQL"). PostgreSQL only.

A primary and a synchronous standby of its own on this machine (initdb,
pg_basebackup, pg_ctl in a temporary directory, unix sockets only), two
daemons on a multi-host URI with target_session_attrs=read-write, deposits
under way through both; the primary killed with -9, the standby promoted.
Every deposit answered 2xx before, during and after is in the ledger of
the promoted server, the balance is their sum, and both daemons serve
again without a restart.
"""

import glob
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time

import signers as sg
from framework import assert_equal, assert_true, postgresql_only
from test_pg_daemons import client_of, second_node
from treasury_helpers import Client

BIN = (sorted(glob.glob("/usr/lib/postgresql/*/bin")) or [""])[-1]


class Server:
    """A PostgreSQL server in a directory of its own; as root, run as the
    postgres user (PostgreSQL refuses root)."""

    def __init__(self, root, name):
        self.dir = os.path.join(root, name)
        self.data = os.path.join(self.dir, "data")
        os.mkdir(self.dir)
        self.as_user = []
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
            self.as_user = ["runuser", "-u", "postgres", "--"]

    def run(self, *args, timeout=120):
        r = subprocess.run(self.as_user + list(args), capture_output=True,
                           text=True, timeout=timeout)
        assert_equal(r.returncode, 0, "%s: %s %s" % (args[0], r.stdout,
                                                     r.stderr))
        return r.stdout

    def start(self, *options):
        self.run(os.path.join(BIN, "pg_ctl"), "-D", self.data, "-l",
                 os.path.join(self.dir, "log"), "-w", "-t", "60", "-o",
                 " ".join(["-k", self.dir, "-c", "listen_addresses="] +
                          list(options)), "start")

    def kill9(self):
        with open(os.path.join(self.data, "postmaster.pid")) as f:
            pid = int(f.readline())
        os.kill(pid, signal.SIGKILL)

    def stop(self):
        subprocess.run(self.as_user + [os.path.join(BIN, "pg_ctl"), "-D",
                                       self.data, "-m", "immediate", "stop"],
                       capture_output=True, timeout=60)


def psql(server, sql, db="postgres"):
    return subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1",
                           "host=%s dbname=%s user=treasury" % (server.dir,
                                                                 db),
                           "-c", sql], capture_output=True, text=True,
                          timeout=60)


@postgresql_only("a PostgreSQL primary and its synchronous standby")
def test_failover_keeps_every_acknowledged_write(ctx):
    root = tempfile.mkdtemp(prefix="treasury-failover-")
    os.chmod(root, 0o755)
    primary, standby = Server(root, "p"), Server(root, "s")
    try:
        primary.run(os.path.join(BIN, "initdb"), "-D", primary.data, "-U",
                    "treasury", "-A", "trust", "-E", "UTF8", "--locale=C",
                    "--no-sync")
        primary.start("-c", "wal_level=replica")
        assert_equal(psql(primary, "CREATE DATABASE treasury").returncode,
                     0, "createdb")
        standby.run(os.path.join(BIN, "pg_basebackup"), "-D", standby.data,
                    "-h", primary.dir, "-U", "treasury", "-R",
                    "--checkpoint=fast")
        standby.start()
        # synchronous once the standby is there: a COMMIT returns when the
        # standby has it (an earlier one would wait for it forever)
        r = psql(primary, "ALTER SYSTEM SET synchronous_standby_names = '*'")
        assert_equal(r.returncode, 0, "synchronous_standby_names: %s"
                     % r.stderr)
        assert_equal(psql(primary, "SELECT pg_reload_conf()").returncode, 0,
                     "reload")
        r = psql(primary, "SELECT sync_state FROM pg_stat_replication")
        for _ in range(100):
            if r.stdout.strip() == "sync":
                break
            time.sleep(0.1)
            r = psql(primary, "SELECT sync_state FROM pg_stat_replication")
        assert_equal(r.stdout.strip(), "sync", "the standby is synchronous")

        uri = ("postgresql:///treasury?host=%s,%s&user=treasury"
               "&target_session_attrs=read-write&connect_timeout=2"
               % (primary.dir, standby.dir))
        node = ctx.node(db_path=uri)
        node.start()
        node2 = second_node(ctx, node)
        nodes = (node, node2)
        for n in nodes:
            n.allowed_error_patterns.append(
                "database server cannot be reached|connection|terminat|"
                "server closed|not committed|read-write|the final journal|"
                "listener")
        c = Client(node)
        c.asset_ok("USDC", 0)
        c.treasury_ok("f", 1, sg.signers("f", "e"))
        c.token("treasurer")
        c.token("viewer")
        clients = (c, client_of(node2, c))

        acked, odd, stop = ([], []), [], threading.Event()

        def load(k):
            i = 0
            while not stop.is_set():
                ref = "n%d-d%d" % (k, i)
                r = clients[k].deposit("f", "USDC", "1", ref)
                if r.status == 201:
                    acked[k].append(ref)
                else:
                    if r.status != 503:
                        odd.append(r)
                    time.sleep(0.05)
                i += 1

        threads = [threading.Thread(target=load, args=(k,)) for k in (0, 1)]
        for t in threads:
            t.start()
        time.sleep(1.0)
        before_kill = [len(x) for x in acked]
        primary.kill9()
        time.sleep(0.5)
        standby.run(os.path.join(BIN, "pg_ctl"), "-D", standby.data, "-w",
                    "promote")
        deadline = time.monotonic() + 30
        while (any(len(acked[k]) < before_kill[k] + 20 for k in (0, 1)) and
               time.monotonic() < deadline):
            time.sleep(0.1)
        stop.set()
        for t in threads:
            t.join()
        assert_equal(odd, [], "answers other than 201 or 503 in the gap")
        for k in (0, 1):
            assert_true(before_kill[k] > 5, "deposits through daemon %d "
                        "before the kill: %d" % (k + 1, before_kill[k]))
            assert_true(len(acked[k]) >= before_kill[k] + 20, "daemon %d "
                        "serves the promoted standby without a restart (%d "
                        "acknowledged after the kill)" %
                        (k + 1, len(acked[k]) - before_kill[k]))
        for cl in clients:
            refs = {e["reference"] for e in cl.ledger("f", limit=500)}
            lost = [a for a in acked[0] + acked[1] if a not in refs]
            assert_equal(lost, [], "acknowledged deposits missing after "
                         "the failover")
            assert_equal(cl.balance("f", "USDC"), str(len(refs)),
                         "the balance is the ledger's sum")
        node2.stop()
        node.stop()
    finally:
        standby.stop()
        primary.stop()
        shutil.rmtree(root, ignore_errors=True)
