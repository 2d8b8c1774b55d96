"""Database identity and integrity (issue #18, findings 2, 3 and 9):
a deleted or replaced database file is noticed while running (writes
refused with 503 storage-unavailable, /v1/health 503); a start is refused
when -wal/-shm exist without the database, when the database is missing
although the lock file records one, or when it is another instance's; the
lock is keyed on the file itself, so a second daemon through a hard link or
a symbolic link is refused; a damaged database fails PRAGMA quick_check at
start and is not served."""

# run.py skips every test here on PostgreSQL, saying why.
SQLITE_ONLY = "the SQLite file's identity, lock file and permissions"


import os
import shutil
import sqlite3
import struct
import subprocess
import time

import signers as sg
from framework import assert_equal, assert_problem, assert_true
from treasury_helpers import Client

REFUSE_TIMEOUT_S = 30


def start_refused(node, *needles):
    """Start node, which must exit non-zero before serving, logging each
    needle at err. A daemon that serves instead fails the test at once."""
    with open(os.path.join(node.dir, "refused.log"), "w+b") as err:
        proc = subprocess.Popen(node.args(), stdout=subprocess.DEVNULL,
                                stderr=err, cwd=node.dir)
        deadline = time.monotonic() + REFUSE_TIMEOUT_S
        served = False
        while proc.poll() is None and not served and \
                time.monotonic() < deadline:
            try:
                served = node.get("/v1/health", token=None).status == 200
            except OSError:
                time.sleep(0.05)
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        err.seek(0)
        text = err.read().decode("utf-8", "replace")
    assert_true(not served and proc.returncode not in (0, -9),
                "start refused, got %s:\n%s" % ("a serving daemon" if served
                                                 else "exit %d"
                                                 % proc.returncode, text))
    for n in needles:
        assert_true(n in text, "%r in the refusal:\n%s" % (n, text))
    return text


def with_config(ctx, text, **kw):
    node = ctx.node(**kw)
    path = os.path.join(node.dir, "treasuryd.conf")
    with open(path, "w") as f:
        f.write(text)
    node.extra_args = ["--config", path]
    return node


def funded(ctx, node):
    node.start()
    c = Client(node)
    c.asset_ok("USDC", 6)
    c.treasury_ok("hd", 2, sg.signers("hd", "ese"))
    c.deposit_ok("hd", "USDC", "100", "first")
    return c


def db_files(node):
    return [node.db_path + s for s in ("", "-wal", "-shm")]


# ---- finding 2: a deleted or replaced database ----

def test_deleted_database_refuses_writes_and_reports_unhealthy(ctx):
    # One request thread, so that its reader connection is open before
    # the file goes (a thread opening one afterwards finds no file).
    node = with_config(ctx, "threads = 1\n")
    c = funded(ctx, node)
    assert_equal(node.get("/v1/health", token=None).status, 200, "health")
    os.unlink(node.db_path)
    r = c.deposit("hd", "USDC", "5", "after-rm")
    assert_problem(r, 503, "storage-unavailable")
    assert_true(r.header("Retry-After") is not None, "Retry-After")
    r = node.get("/v1/health", token=None)
    assert_problem(r, 503, "storage-unavailable")
    assert_true(node.db_path not in r.body, "health names no path")
    r = c.deposit("hd", "USDC", "5", "after-rm-2")
    assert_problem(r, 503, "storage-unavailable")
    log = node.stderr()
    assert_true("database file %s was deleted" % node.db_path in log, log)
    assert_equal(log.count("was deleted"), 1, "logged once:\n" + log)
    node.allowed_error_patterns += ["was deleted", "request thread",
                                    "is gone"]
    node.stop()
    # What the daemon held open was saved when it stopped.
    rescued = [f for f in os.listdir(node.dir) if ".rescued-" in f]
    assert_equal(len(rescued), 1, "one rescued copy: %r" % rescued)
    rescued = os.path.join(node.dir, rescued[0])
    assert_true("is saved as %s" % rescued in node.stderr(), node.stderr())
    r = ctx.run_treasuryd(["check", "--db", rescued])
    assert_equal(r.returncode, 0, "the rescued copy checks: " + r.stderr)
    # Nothing says a new database should be made here: the start is
    # refused (the lock file records the instance; a -wal may remain).
    start_refused(node, node.db_path, "restore")
    assert_true(not os.path.exists(node.db_path), "no new empty database")
    # The way back: restore the rescued copy; the old tokens work again.
    for p in db_files(node)[1:]:
        if os.path.exists(p):
            os.unlink(p)
    r = ctx.run_treasuryd(["restore", "--db", node.db_path, "--from", rescued])
    assert_equal(r.returncode, 0, "restore: " + r.stderr)
    node.start()
    assert_equal(c.balance("hd", "USDC"), sg.format_amount("100", 6),
                 "every acknowledged deposit, and the old tokens")
    node.stop()


def test_replaced_database_refuses_writes_until_it_is_back(ctx):
    node = with_config(ctx, "threads = 1\n")
    c = funded(ctx, node)
    aside = node.db_path + ".aside"
    os.rename(node.db_path, aside)
    shutil.copyfile(aside, node.db_path)        # same bytes, another file
    os.chmod(node.db_path, 0o600)
    assert_problem(c.deposit("hd", "USDC", "5", "replaced"), 503,
                   "storage-unavailable")
    assert_problem(node.get("/v1/health", token=None), 503,
                   "storage-unavailable")
    assert_true("was replaced by another file" in node.stderr(),
                node.stderr())
    os.rename(aside, node.db_path)              # the opened file is back
    assert_equal(node.get("/v1/health", token=None).status, 200, "health")
    c.deposit_ok("hd", "USDC", "5", "back")
    assert_equal(c.balance("hd", "USDC"), sg.format_amount("105", 6),
                 "balance")
    node.allowed_error_patterns.append("was replaced")
    node.stop()


def test_wal_without_database_refuses_start(ctx):
    node = ctx.node()
    c = funded(ctx, node)
    c.deposit_ok("hd", "USDC", "1", "in-the-wal")
    node.kill9()                        # the -wal holds committed data
    assert_true(os.path.exists(node.db_path + "-wal"), "-wal kept")
    os.unlink(node.db_path)
    os.unlink(node.db_path + ".lock")   # even without the lock's record
    start_refused(node, node.db_path + "-wal exists")
    assert_true(not os.path.exists(node.db_path), "no new empty database")
    # The operator's way out: move the side files aside, start afresh.
    for p in db_files(node)[1:]:
        if os.path.exists(p):
            os.rename(p, p + ".aside")
    node.start()
    node.stop()


def test_missing_database_with_lock_record_refuses_start(ctx):
    node = ctx.node()
    funded(ctx, node)
    node.stop()
    for p in db_files(node):
        if os.path.exists(p):
            os.unlink(p)
    start_refused(node, "is missing", node.db_path + ".lock")
    # A restore brings it back, and the daemon starts on it.
    backup = os.path.join(node.dir, "b.db")
    other = ctx.node()
    funded(ctx, other)
    r = ctx.run_treasuryd(["backup", "--db", other.db_path, "--out", backup])
    assert_equal(r.returncode, 0, "backup: " + r.stderr)
    other.stop()
    r = ctx.run_treasuryd(["restore", "--db", node.db_path, "--from", backup])
    assert_equal(r.returncode, 0, "restore: " + r.stderr)
    node.start()     # the restore recorded the restored instance
    node.stop()


def test_database_of_another_instance_refuses_start(ctx):
    a = ctx.node(name="a")
    funded(ctx, a)
    instance_a = a.get("/v1/info").json["instance"]
    a.stop()
    b = ctx.start_node(name="b")
    b.stop()
    for p in db_files(a):
        if os.path.exists(p):
            os.unlink(p)
    shutil.copyfile(b.db_path, a.db_path)
    os.chmod(a.db_path, 0o600)
    err = start_refused(a, "another instance", instance_a)
    assert_true(a.db_path + ".lock" in err, err)


def test_fresh_start_creates_the_database(ctx):
    node = ctx.start_node()
    with open(node.db_path + ".lock") as f:
        text = f.read()
    assert_equal(text, "instance=%s\n" % node.get("/v1/info").json["instance"],
                 "the lock file records the instance")
    node.stop()
    node.start()
    node.stop()


# ---- finding 3: the lock is keyed on the file ----

def second_refused(ctx, first, path):
    second = ctx.node(name="second", db_path=path)
    err = start_refused(second, "in use by a running treasuryd")
    # the first daemon still serves, and writes through it still work
    assert_equal(first.get("/v1/health", token=None).status, 200, "first")
    return err


def test_second_daemon_through_a_hard_link_is_refused(ctx):
    first = ctx.node(name="first")
    c = funded(ctx, first)
    link = os.path.join(ctx.tmpdir("link"), "linked.db")
    os.link(first.db_path, link)
    err = second_refused(ctx, first, link)
    assert_true(first.db_path in err, "names the other path:\n" + err)
    c.deposit_ok("hd", "USDC", "1", "still-one-daemon")
    first.stop()


def test_second_daemon_through_a_symbolic_link_is_refused(ctx):
    first = ctx.node(name="first")
    funded(ctx, first)
    link = os.path.join(ctx.tmpdir("link"), "symlinked.db")
    os.symlink(first.db_path, link)
    err = second_refused(ctx, first, link)
    assert_true(os.path.realpath(first.db_path) in err,
                "names the other path:\n" + err)
    first.stop()
    # Stopped, the same database starts through the symbolic link.
    via = ctx.node(name="via-link", db_path=link)
    via.start()
    assert_true(via.get("/v1/info", token=first.admin_token).status == 200,
                "served through the link with the same tokens")
    via.stop()


def test_restore_refuses_a_database_served_through_a_hard_link(ctx):
    first = ctx.node(name="first")
    funded(ctx, first)
    backup = os.path.join(first.dir, "b.db")
    r = ctx.run_treasuryd(["backup", "--db", first.db_path, "--out", backup])
    assert_equal(r.returncode, 0, "backup: " + r.stderr)
    link = os.path.join(ctx.tmpdir("link"), "linked.db")
    os.link(first.db_path, link)
    r = ctx.run_treasuryd(["restore", "--db", link, "--from", backup])
    assert_equal(r.returncode, 1, "restore refused: " + r.stderr)
    assert_true("in use by a running treasuryd" in r.stderr, r.stderr)
    first.stop()


def test_restore_through_a_symbolic_link_is_refused(ctx):
    """link(2) and rename(2) act on a name: restoring through a symbolic
    link would replace the link and leave the database as it was."""
    first = ctx.node(name="first")
    funded(ctx, first)
    backup = os.path.join(first.dir, "b.db")
    r = ctx.run_treasuryd(["backup", "--db", first.db_path, "--out", backup])
    assert_equal(r.returncode, 0, "backup: " + r.stderr)
    first.stop()
    link = os.path.join(ctx.tmpdir("symlink"), "symlinked.db")
    os.symlink(first.db_path, link)
    r = ctx.run_treasuryd(["restore", "--db", link, "--from", backup])
    assert_equal(r.returncode, 1, "restore refused: " + r.stderr)
    assert_true("is a symbolic link" in r.stderr, r.stderr)
    assert_true(os.path.islink(link), "the link is left as it was")


def test_fifo_at_the_database_path_refuses_start(ctx):
    """The database lock opens the file without blocking: a FIFO is
    refused, not waited on for a writer that never comes."""
    node = ctx.node(name="fifo")
    os.mkfifo(node.db_path, 0o600)
    start_refused(node, node.db_path)


# ---- finding 9: quick_check at start ----

def flip_ledger_page(path):
    """Invert 16 bytes in the middle of the cell content of the ledger
    table's root page (a leaf holding the deposits' rows)."""
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        root = db.execute("SELECT rootpage FROM sqlite_schema WHERE "
                          "name = 'ledger'").fetchone()[0]
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
    finally:
        db.close()
    with open(path, "r+b") as f:
        f.seek((root - 1) * page_size)
        page = bytearray(f.read(page_size))
        assert_equal(page[0], 0x0D, "the ledger root is a table leaf")
        content = struct.unpack(">H", page[5:7])[0]
        middle = content + (page_size - content) // 2
        for i in range(middle, middle + 16):
            page[i] ^= 0xFF
        f.seek((root - 1) * page_size)
        f.write(page)


def damaged_copy(ctx):
    node = ctx.node(name="source")
    c = funded(ctx, node)
    for i in range(40):
        c.deposit_ok("hd", "USDC", "1", "fill-%d" % i)
    node.stop()                         # checkpointed: no -wal
    copy = ctx.node(name="damaged")
    shutil.copyfile(node.db_path, copy.db_path)
    os.chmod(copy.db_path, 0o600)
    shutil.copyfile(node.db_path + ".lock", copy.db_path + ".lock")
    flip_ledger_page(copy.db_path)
    return copy


def test_damaged_database_refuses_start(ctx):
    copy = damaged_copy(ctx)
    r = ctx.run_treasuryd(["check", "--db", copy.db_path])
    assert_equal(r.returncode, 1, "check finds it: " + r.stdout + r.stderr)
    start_refused(copy, "fails PRAGMA quick_check", "refusing to serve it")


def test_start_check_timeout_zero_skips_the_check(ctx):
    copy = damaged_copy(ctx)
    path = os.path.join(copy.dir, "treasuryd.conf")
    with open(path, "w") as f:
        f.write("start_check_timeout = 0\n")
    copy.extra_args = ["--config", path]
    copy.start()
    assert_true("quick_check of %s is skipped" % copy.db_path
                in copy.stderr(), copy.stderr())
    copy.kill9()


def test_clean_database_passes_the_check(ctx):
    node = ctx.node()
    funded(ctx, node)
    node.stop()
    node.start()
    assert_true("PRAGMA quick_check of %s: ok" % node.db_path
                in node.stderr(), node.stderr())
    node.stop()
