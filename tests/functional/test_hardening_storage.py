"""Hardening of the daemon's files and storage (issue #18): a FIFO or device
at the config path is refused without blocking, restore never overwrites
an earlier pre-restore copy and removes what an interrupted restore left,
check escapes the database's bytes, and a full disk answers 503
storage-full with Retry-After without flooding the log."""

import os
import shutil
import signal
import sqlite3
import subprocess
import time

import signers as sg
from framework import assert_equal, assert_problem, assert_true, TestFailure, sqlite_only
from treasury_helpers import setup

HANG_TIMEOUT_S = 10


def wait_log(node, text, count=1, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if node.stderr().count(text) >= count:
            return
        time.sleep(0.05)
    raise TestFailure("log line %r (x%d) not seen:\n%s"
                      % (text, count, node.stderr()[-2000:]))


# ---- 4: files the daemon reads are opened without blocking ----

def test_config_fifo_is_refused_at_start_and_on_sighup(ctx):
    node = ctx.node()
    path = os.path.join(node.dir, "treasuryd.conf")
    with open(path, "w") as f:
        f.write("body_max_bytes = 2048\n")
    node.extra_args = ["--config", path]
    node.start()
    node.allowed_error_patterns = [r"treasuryd\.conf: not a regular file",
                                   r"reload: 1 error"]
    os.unlink(path)
    os.mkfifo(path, 0o600)
    node.proc.send_signal(signal.SIGHUP)
    wait_log(node, "keeping the running configuration",
             timeout=HANG_TIMEOUT_S)
    assert_true("treasuryd.conf: not a regular file" in node.stderr(),
                node.stderr())
    assert_equal(node.get("/v1/health", token=None).status, 200, "serving")
    # A second SIGHUP and the SIGTERM of node.stop are handled too: the
    # main loop did not stay in open(2).
    node.proc.send_signal(signal.SIGHUP)
    wait_log(node, "keeping the running configuration", count=2,
             timeout=HANG_TIMEOUT_S)
    node.stop()

    # At start (and with --check-config): refused at once, exit 1.
    for target in (path, "/dev/zero", node.dir):
        for extra in ([], ["--check-config"]):
            args = ["--config", target, "--db",
                    os.path.join(node.dir, "x.db")] + extra
            try:
                r = ctx.run_treasuryd(args, timeout=HANG_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                raise TestFailure("treasuryd --config %s hung" % target)
            assert_equal(r.returncode, 1, "start with --config %s: %s"
                         % (target, r.stderr))
            assert_true("not a regular file" in r.stderr, r.stderr)

    # The maintenance commands' inputs: refused, never waited on.
    fifo_db = os.path.join(node.dir, "fifo.db")
    os.mkfifo(fifo_db, 0o600)
    for args in (["backup", "--db", fifo_db, "--out",
                  os.path.join(node.dir, "out.db")],
                 ["check", "--db", fifo_db],
                 ["restore", "--db", os.path.join(node.dir, "r.db"),
                  "--from", fifo_db],
                 ["token", "list", "--db", fifo_db]):
        try:
            r = ctx.run_treasuryd(args, timeout=HANG_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            raise TestFailure("treasuryd %s hung on a FIFO" % args[0])
        assert_equal(r.returncode, 1, "%s on a FIFO: %s" % (args, r.stderr))
        assert_true("not a regular file" in r.stderr, r.stderr)


# ---- 6: restore never overwrites; leftovers are removed ----

def stopped_node_with_backup(ctx):
    node, c = setup(ctx)
    c.asset_ok("USDC", 6)
    c.treasury_ok("rs", 1, sg.signers("rs", "e"))
    c.deposit_ok("rs", "USDC", "10", "first")
    out = os.path.join(node.dir, "b.db")
    r = ctx.run_treasuryd(["backup", "--db", node.db_path, "--out", out])
    assert_equal(r.returncode, 0, "backup: " + r.stderr)
    node.stop()
    return node, c, out


def restore(ctx, node, src):
    r = ctx.run_treasuryd(["restore", "--db", node.db_path, "--from", src])
    assert_equal(r.returncode, 0, "restore: " + r.stderr)
    return r


def aside_files(node):
    return sorted(f for f in os.listdir(node.dir)
                  if ".pre-restore-" in f and not f.endswith("-wal"))


@sqlite_only("treasuryd backup and restore work on SQLite files")
def test_restore_never_overwrites_a_pre_restore_copy(ctx):
    node, c, out = stopped_node_with_backup(ctx)
    # Names a restore in this second or the next few would take: each
    # holds an earlier copy that must survive.
    now = int(time.time())
    precious = {}
    for s in range(now, now + 6):
        name = "%s.pre-restore-%s" % (
            node.db_path, time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(s)))
        with open(name, "w") as f:
            f.write("precious %d" % s)
        precious[name] = "precious %d" % s
    with open(node.db_path, "rb") as f:
        db_before = f.read()
    restore(ctx, node, out)
    restore(ctx, node, out)
    restore(ctx, node, out)
    for name, text in precious.items():
        with open(name, "rb") as f:
            got = f.read()
        assert_true(got == text.encode(), "%s overwritten (now %d bytes, "
                    "starting %r)" % (name, len(got), got[:16]))
    new = [os.path.join(node.dir, f) for f in aside_files(node)
           if os.path.join(node.dir, f) not in precious]
    assert_equal(len(new), 3, "one new copy per restore: %r" % new)
    kept = []
    for name in new:
        with open(name, "rb") as f:
            kept.append(f.read())
    assert_true(db_before in kept, "the first restore's copy is the old db")
    node.start()
    assert_equal(c.balance("rs", "USDC"), "10.000000", "restored content")


def make_leftovers(node):
    base = os.path.basename(node.db_path)
    gone = [base + ".restoring.tmp-Ab3xYz", base + ".restoring.tmp-QQ12zz",
            base + ".restoring.tmp-QQ12zz-journal", base + ".restoring",
            base + ".restoring-wal", base + ".restoring-shm"]
    kept = [base + ".restoring.tmp-toolongname", "other.db.restoring.tmp-"
            "Ab3xYz", base + ".restoringX", "notes.restoring.tmp-Ab3xYz"]
    for name in gone + kept:
        fd = os.open(os.path.join(node.dir, name),
                     os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.write(fd, b"\0" * 4096)
        os.close(fd)
    os.makedirs(os.path.join(node.dir, base + ".restoring.tmp-dir123"),
                exist_ok=True)
    kept.append(base + ".restoring.tmp-dir123")
    return gone, kept


@sqlite_only("treasuryd backup and restore work on SQLite files")
def test_restore_and_start_remove_leftovers_of_an_interrupted_restore(ctx):
    node, c, out = stopped_node_with_backup(ctx)
    gone, kept = make_leftovers(node)
    r = restore(ctx, node, out)
    names = os.listdir(node.dir)
    for name in gone:
        assert_true(name not in names, "%s removed by restore" % name)
        assert_true("%s (4096 bytes), left by an interrupted restore"
                    % os.path.join(node.dir, name) in r.stderr, r.stderr)
    for name in kept:
        assert_true(name in names, "%s kept" % name)

    gone, kept = make_leftovers(node)
    node.start()
    names = os.listdir(node.dir)
    for name in gone:
        assert_true(name not in names, "%s removed at start" % name)
    for name in kept:
        assert_true(name in names, "%s kept" % name)
    assert_equal(node.stderr().count("left by an interrupted restore"),
                 len(gone), "each removal logged:\n" + node.stderr())
    assert_equal(c.balance("rs", "USDC"), "10.000000", "served")


# ---- 7: check escapes what it quotes from the database ----

@sqlite_only("treasuryd backup and check work on SQLite files")
def test_check_escapes_database_bytes(ctx):
    node, c = setup(ctx)
    c.asset_ok("USDC", 6)
    c.treasury_ok("ck", 1, sg.signers("ck", "e"))
    c.deposit_ok("ck", "USDC", "10", "first")
    out = os.path.join(node.dir, "hostile.db")
    r = ctx.run_treasuryd(["backup", "--db", node.db_path, "--out", out])
    assert_equal(r.returncode, 0, "backup: " + r.stderr)
    db = sqlite3.connect(out, isolation_level=None)
    db.execute("PRAGMA ignore_check_constraints = ON")  # a hostile file
    db.execute("UPDATE balances SET amount = char(27) || ']0;owned' || "
               "char(7) || char(27) || '[2J' || char(13) || char(10) || "
               "'finding: all fine' || char(8238) || char(128)")
    db.close()
    r = subprocess.run([ctx.treasuryd, "check", "--db", out],
                       capture_output=True, timeout=30)
    assert_equal(r.returncode, 1, "check finds the malformed amount")
    stdout = r.stdout
    for bad in (b"\x1b", b"\x07", b"\r", b"\xe2\x80\xae", b"\xc2\x80"):
        assert_true(bad not in stdout, "raw %r on stdout: %r" % (bad, stdout))
    lines = stdout.decode("utf-8").splitlines()
    assert_true(all(line.startswith("finding: ") for line in lines),
                "one finding a line, none forged: %r" % lines)
    assert_true(any("malformed amount '\\u{001B}]0;owned\\u{0007}"
                    "\\u{001B}[2J\\u{000D}\\nfinding: all fine\\u{202E}"
                    "\\u{0080}'" in line for line in lines), lines)


# ---- 8: a full disk is 503 storage-full, logged without flooding ----

FULL_REQUESTS = 40


class TmpfsMount:
    """A small tmpfs (root only), unmounted on exit."""

    def __init__(self, ctx, size="8m"):
        self.path = ctx.tmpdir("tmpfs")
        r = subprocess.run(["mount", "-t", "tmpfs", "-o",
                            "size=%s,mode=0700" % size, "tmpfs", self.path],
                           capture_output=True, text=True)
        self.error = r.stderr.strip() if r.returncode != 0 else None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.error is None:
            subprocess.run(["umount", "-l", self.path])


def fill(dirpath):
    """Fill the file system of dirpath; returns the filler's path."""
    path = os.path.join(dirpath, "filler")
    chunk = b"\0" * 65536
    with open(path, "wb", buffering=0) as f:
        try:
            while True:
                f.write(chunk)
        except OSError as e:
            assert_equal(e.errno, 28, "the filler ends with ENOSPC")
    with open(path, "ab", buffering=0) as f:     # the last partial block
        try:
            while True:
                f.write(b"\0")
        except OSError:
            pass
    return path


def skip(why):
    print("SKIP test_hardening_storage disk-full test: %s" % why, flush=True)


def test_full_disk_is_503_storage_full_and_logged_sparingly(ctx):
    if os.geteuid() != 0:
        skip("needs root to mount a tmpfs (run the functional tests as "
             "root to cover it)")
        return
    with TmpfsMount(ctx) as mnt:
        if mnt.error is not None:
            skip("mount -t tmpfs failed: %s" % mnt.error)
            return
        node, c = setup(ctx, db_path=os.path.join(mnt.path, "treasury.db"))
        node.allowed_error_patterns = [r"\(disk full\)", r"disk full:"]
        c.asset_ok("USDC", 6)
        c.treasury_ok("df", 1, sg.signers("df", "e"))
        c.deposit_ok("df", "USDC", "10", "before")
        assert_equal(c.balance("df", "USDC"), "10.000000", "before")
        filler = fill(mnt.path)
        lines_before = len(node.stderr().splitlines())
        for i in range(FULL_REQUESTS):
            r = c.deposit("df", "USDC", "1", "full-%d" % i)
            assert_problem(r, 503, "storage-full")
            retry = r.header("Retry-After")
            assert_true(retry is not None and retry.isdigit() and
                        int(retry) > 0, "Retry-After: %r" % retry)
            assert_true("disk is full" in r.json["detail"], r.json)
        log = node.stderr()
        grown = len(log.splitlines()) - lines_before
        assert_true(grown <= 3, "%d log lines for %d refused requests:\n%s"
                    % (grown, FULL_REQUESTS, log[-3000:]))
        assert_true("(disk full)" in log, log)
        assert_equal(c.balance("df", "USDC"), "10.000000",
                     "nothing applied while full")

        os.unlink(filler)
        # A refused deposit left nothing: its reference is still free.
        c.deposit_ok("df", "USDC", "1", "full-0")
        assert_equal(c.balance("df", "USDC"), "11.000000", "writes again")
        wait_log(node, "writes are accepted")
        node.stop()

        # At start, a full disk is named as such.
        filler = fill(mnt.path)
        port_node = ctx.node(db_path=node.db_path)
        r = ctx.run_treasuryd(port_node.args()[1:], timeout=HANG_TIMEOUT_S)
        assert_equal(r.returncode, 1, "start on a full disk: " + r.stderr)
        assert_true("disk full" in r.stderr and "no space left" in r.stderr,
                    "the start names the full disk: " + r.stderr)
        os.unlink(filler)
        node.start()
        assert_equal(c.balance("df", "USDC"), "11.000000", "served again")
        node.stop()
