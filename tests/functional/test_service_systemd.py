"""Running under systemd without systemd as PID 1: the daemon started by
systemd-socket-activate (socket activation, sd_listen_fds) with
NOTIFY_SOCKET pointing at a test socket (sd_notify) and WATCHDOG_USEC set.
Checks that READY=1 comes only once the listener serves, that the passed
socket is the one used, that WATCHDOG=1 pings arrive and stop while the
writer is stuck, and STOPPING=1 on SIGTERM. contrib/systemd/check-units.sh
checks the unit files themselves."""

import http.client
import os
import shutil
import socket
import sqlite3
import subprocess
import threading
import time

from framework import assert_equal, assert_true, free_port, TestFailure, sqlite_only
from sdnotify import NotifyListener

SOCKET_ACTIVATE = shutil.which("systemd-socket-activate")


def health_now(port):
    """One GET /v1/health with no retry; returns the status or an error."""
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/v1/health")
        status = conn.getresponse().status
        conn.close()
        return status
    except OSError as e:
        return repr(e)


def port_refuses(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        return False
    except ConnectionRefusedError:
        return True


def activated_node(ctx, notify_path, watchdog_usec=None, listen="127.0.0.1"):
    """A Node whose process is systemd-socket-activate, which listens on
    node.port and execs treasuryd (same pid) on the first connection."""
    if SOCKET_ACTIVATE is None:
        raise TestFailure("systemd-socket-activate is missing: install the "
                          "systemd package (contrib/install-deps.sh)")
    node = ctx.node()
    node.config_port = free_port()      # must stay unused
    env = ["-E", "NOTIFY_SOCKET=" + notify_path]
    if watchdog_usec is not None:
        env += ["-E", "WATCHDOG_USEC=%d" % watchdog_usec]
    node.args = lambda: ([SOCKET_ACTIVATE, "-l", "%s:%d" % (listen, node.port)]
                         + env + [ctx.treasuryd, "--db", node.db_path,
                                  "--listen", "127.0.0.1:%d" % node.config_port])
    return node


def test_socket_activation_ready_watchdog_stopping(ctx):
    notify = NotifyListener(os.path.join(ctx.root, "notify.sock"))
    try:
        node = activated_node(ctx, notify.address, watchdog_usec=400000)
        node.start()        # the first health request triggers the exec
        ready = notify.wait_for("READY=1")
        assert_true(ready is not None, "READY=1 received")
        assert_equal(health_now(node.port), 200, "served on the passed socket")
        assert_true(port_refuses(node.config_port),
                    "the configured listen address is not bound")
        assert_true("serving on the passed socket 127.0.0.1:%d" % node.port
                    in node.stderr(), "log names the passed socket")
        status = [ln for _, ln in notify.lines() if ln.startswith("STATUS=")]
        assert_true(status and "127.0.0.1:%d" % node.port in status[0],
                    "STATUS line names the listener: %r" % status)
        time.sleep(1.6)
        pings = notify.times_of("WATCHDOG=1")
        assert_true(len(pings) >= 5, "WATCHDOG=1 every 200 ms: %d in 1.6 s"
                    % len(pings))
        assert_true(all(t >= ready for t in pings), "pings after READY")
        node.stop()
        assert_true(notify.wait_for("STOPPING=1", timeout=5) is not None,
                    "STOPPING=1 on SIGTERM")
    finally:
        notify.close()


def test_ready_comes_only_after_the_listener_serves(ctx):
    """Without socket activation the daemon binds itself: at the moment
    READY=1 arrives (checked inside the receiving thread, before anything
    else happens) a health request must already succeed. The notify socket
    is abstract ('@name')."""
    node = ctx.node()
    seen = {}

    def on_message(text):
        if "READY=1" in text.split("\n") and "status" not in seen:
            seen["status"] = health_now(node.port)

    name = "@treasuryd-test-%d-%d" % (os.getpid(), node.port)
    notify = NotifyListener(name, on_message=on_message)
    try:
        base = node.args
        node.args = lambda: ["/usr/bin/env", "NOTIFY_SOCKET=" + name] + base()
        node.start(wait=False)
        assert_true(notify.wait_for("READY=1") is not None, "READY=1 received")
        assert_equal(seen.get("status"), 200,
                     "health answered at the moment READY=1 arrived")
        first = notify.lines()[0][1]
        assert_equal(first, "READY=1", "READY=1 is the first notification")
        assert_true(not notify.times_of("WATCHDOG=1"),
                    "no pings without WATCHDOG_USEC")
        node.wait_ready()
    finally:
        node.stop()
        notify.close()


@sqlite_only("stalls the writer with an SQLite lock on the file")
def test_watchdog_pings_stop_while_the_writer_is_stuck(ctx):
    """A write lock held from outside keeps the writer in its busy wait
    for 3 s: the pings (every 500 ms, WATCHDOG_USEC = 1 s) must stop,
    then resume once it makes progress again."""
    notify = NotifyListener(os.path.join(ctx.root, "notify.sock"))
    try:
        node = activated_node(ctx, notify.address, watchdog_usec=1000000)
        node.start()
        time.sleep(1.2)
        assert_true(len(notify.times_of("WATCHDOG=1")) >= 2, "pings before")
        db = sqlite3.connect(node.db_path, isolation_level=None, timeout=10)
        db.execute("BEGIN EXCLUSIVE")
        held_at = time.monotonic()
        result = {}

        def create_asset():
            result["r"] = node.post("/v1/assets", {"code": "USDC",
                                                   "decimals": 6,
                                                   "chain": "ethereum"})

        t = threading.Thread(target=create_asset)
        t.start()
        time.sleep(3.0)
        db.execute("ROLLBACK")
        released_at = time.monotonic()
        db.close()
        t.join(30)
        assert_equal(result["r"].status, 201, "the write completes after")
        time.sleep(1.5)
        pings = notify.times_of("WATCHDOG=1")
        during = [p for p in pings if held_at + 1.2 < p < released_at]
        after = [p for p in pings if p > released_at]
        assert_equal(during, [], "no WATCHDOG=1 while the writer is stuck")
        assert_true(len(after) >= 2, "pings resume: %d" % len(after))
        log = node.stderr()
        assert_true("withholding WATCHDOG=1" in log, "stall logged")
        assert_true("making progress again" in log, "recovery logged")
    finally:
        notify.close()


def test_passed_socket_must_be_loopback(ctx):
    if SOCKET_ACTIVATE is None:
        raise TestFailure("systemd-socket-activate is missing")
    port = free_port()
    d = ctx.tmpdir("public")
    proc = subprocess.Popen(
        [SOCKET_ACTIVATE, "-l", "0.0.0.0:%d" % port, ctx.treasuryd,
         "--db", os.path.join(d, "t.db")],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:     # trigger the exec
            try:
                socket.create_connection(("127.0.0.1", port), 1).close()
                break
            except OSError:
                time.sleep(0.05)
        _, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert_equal(proc.returncode, 1, "exit status")
    assert_true(b"socket activation: refusing 0.0.0.0:%d" % port in err,
                "reason logged: %r" % err)
    assert_true(not os.path.exists(os.path.join(d, "t.db")),
                "refused before touching the database")


@sqlite_only("PostgreSQL serves several daemons (test_pg_daemons)")
def test_second_daemon_on_one_database_is_refused(ctx):
    a = ctx.start_node()
    r = ctx.run_treasuryd(["--db", a.db_path, "--listen",
                           "127.0.0.1:%d" % free_port()])
    assert_equal(r.returncode, 1, "second daemon exit status")
    assert_true("is in use by a running treasuryd" in r.stderr, r.stderr)
    assert_equal(a.get("/v1/health", token=None).status, 200, "first serves")
