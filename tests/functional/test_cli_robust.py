"""treasuryctl in a hostile local environment (docs/man/treasuryctl.1, FILES): FIFOs, symbolic
links and files of the wrong owner or mode at the keystore, token and
config paths are refused at once with a one-line reason; a server's
pagination cannot keep the client fetching forever; the process can
neither dump core nor be inspected by the user's other processes; weak
passphrases are refused or warned about; new keystores use the moderate
KDF level by default."""

import os
import subprocess
import time

from cli_helpers import (Ctl, EXIT_NETWORK, EXIT_USAGE, ListStub, PASSPHRASE,
                         core_limits)
from framework import assert_equal, assert_true, free_port

QUICK_S = 15        # a refusal is immediate; a hang would hit this timeout
NOBODY_UID = 65534
LIST_PAGES_MAX = 1000       # cli/ctl.h
LIST_ITEMS_MAX = 100000
CURSOR_MAX_BYTES = 1024


def refused(res, words, what):
    assert_true(res.rc != 0 and words in res.err,
                "%s refused with %r: %r" % (what, words, res))


def offline_ctl(ctx, name="robust"):
    """A Ctl whose server does not listen (none of these reach it)."""
    return Ctl(ctx, "http://127.0.0.1:%d" % free_port(), "tok-0123456789",
               name=name)


def test_cli_fifo_files_do_not_hang(ctx):
    ctl = offline_ctl(ctx)
    fifo = os.path.join(ctl.home, "fifo")
    os.mkfifo(fifo, 0o600)
    refused(ctl.run("key", "show", "--keystore", fifo, timeout=QUICK_S),
            "not a regular file", "FIFO keystore")
    refused(ctl.run("treasuries", env={"TREASURYCTL_TOKEN_FILE": fifo},
                    timeout=QUICK_S), "not a regular file", "FIFO token")
    refused(ctl.run("treasuries", "--config", fifo, timeout=QUICK_S),
            "not a regular file", "FIFO config")


def test_cli_private_files_refused(ctx):
    ctl = offline_ctl(ctx)
    ctl.key_new("alice")
    ks = ctl.keystore("alice")
    link = os.path.join(ctl.home, "link.keystore")
    os.symlink(ks, link)
    refused(ctl.run("key", "show", "--keystore", link),
            "is a symbolic link", "symlinked keystore")
    os.chmod(ks, 0o640)
    refused(ctl.run("key", "show", "--keystore", ks), "chmod 600 " + ks,
            "0640 keystore")
    os.chmod(ks, 0o600)
    ctl.ok("key", "show", "--keystore", ks)
    if os.geteuid() == 0:
        os.chown(ks, NOBODY_UID, -1)
        refused(ctl.run("key", "show", "--keystore", ks),
                "owned by uid %d, not you" % NOBODY_UID, "another's keystore")
    # The config file is private too, and so is the token file.
    cfg = os.path.join(ctl.home, "config")
    with open(cfg, "w") as f:
        f.write("signer = alice\n")
    os.chmod(cfg, 0o644)
    refused(ctl.run("treasuries", "--config", cfg), "chmod 600",
            "0644 config")
    cfg_link = os.path.join(ctl.home, "config.link")
    os.symlink(cfg, cfg_link)
    refused(ctl.run("treasuries", "--config", cfg_link),
            "is a symbolic link", "symlinked config")
    os.chmod(ctl.token_file, 0o660)
    refused(ctl.run("treasuries"), "chmod 600", "0660 token")



def list_against(ctx, answer):
    """Run `treasuryctl treasuries` against a ListStub; returns the result
    and the number of requests the stub saw."""
    stub = ListStub(answer)
    try:
        res = Ctl(ctx, stub.url, "tok-0123456789", name="lists").run(
            "treasuries")
    finally:
        stub.close()
    return res, stub.requests


def page_of(query, n_items):
    n = int(query.get("cursor", "0"))
    return {"treasuries": [{"id": "t%d" % i} for i in range(n_items)],
            "next_cursor": str(n + 1)}


def test_cli_pagination_repeated_cursor(ctx):
    res, n = list_against(ctx, lambda path, q: {"treasuries": [],
                                                "next_cursor": "again"})
    assert_equal(res.rc, EXIT_NETWORK, "repeated cursor: %r" % res)
    assert_true("the server repeated a page cursor" in res.err, res.err)
    assert_equal(n, 2, "stopped at the first repeat")


def test_cli_pagination_caps(ctx):
    res, n = list_against(ctx, lambda path, q: page_of(q, 0))
    assert_equal(res.rc, EXIT_NETWORK, "endless cursors: %r" % res)
    assert_true("did not end after %d pages" % LIST_PAGES_MAX in res.err,
                res.err)
    assert_equal(n, LIST_PAGES_MAX, "pages fetched")
    res, n = list_against(ctx, lambda path, q: page_of(q, 1000))
    assert_equal(res.rc, EXIT_NETWORK, "endless items: %r" % res)
    assert_true("more than %d items" % LIST_ITEMS_MAX in res.err, res.err)
    assert_equal(n, LIST_ITEMS_MAX // 1000 + 1, "pages fetched")


def test_cli_pagination_bad_cursor(ctx):
    for bad in (5, {"a": 1}, "", "x" * (CURSOR_MAX_BYTES + 1)):
        res, n = list_against(ctx, lambda path, q: {"treasuries": [],
                                                    "next_cursor": bad})
        assert_equal(res.rc, EXIT_NETWORK, "cursor %.20r: %r" % (bad, res))
        assert_true("next_cursor is not a string" in res.err, res.err)
        assert_equal(n, 1, "one page fetched")
    res, n = list_against(ctx, lambda path, q: {
        "treasuries": [], "next_cursor": "x" * CURSOR_MAX_BYTES
        if "cursor" not in q else None})
    assert_equal(res.rc, 0, "a %d-byte cursor is fine: %r" % (
        CURSOR_MAX_BYTES, res))
    assert_equal(n, 2, "two pages")


def core_limit_and_owner(pid):
    """(the process's core file size limits, the uid owning /proc/PID)."""
    return core_limits(pid), os.stat("/proc/%d/status" % pid).st_uid


def test_cli_process_not_dumpable(ctx):
    """While treasuryctl waits for a passphrase, its core limit is 0 and
    it is not dumpable: /proc/PID belongs to root, not to its user (run as
    uid 65534 when the tests run as root)."""
    user = NOBODY_UID if os.geteuid() == 0 else os.geteuid()
    r, w = os.pipe()
    p = subprocess.Popen(
        [ctx.treasuryctl, "key", "new", "--type", "ecdsa", "--name", "x",
         "--keystore", "/nonexistent/x.keystore", "--passphrase-fd", str(r)],
        env={"HOME": "/nonexistent", "PATH": "/usr/bin:/bin"},
        pass_fds=(r,), start_new_session=True, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
        user=user if user != os.geteuid() else None)
    os.close(r)
    try:
        deadline = time.monotonic() + QUICK_S
        while True:     # until main() has run its first lines
            got = core_limit_and_owner(p.pid)
            if got == (["0", "0"], 0) or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        assert_equal(got, (["0", "0"], 0),
                     "core limit 0, /proc/PID owned by root (not dumpable)")
    finally:
        os.close(w)     # end of the passphrase: treasuryctl exits
        out, err = p.communicate(timeout=QUICK_S)
    assert_true(p.returncode != 0 and "empty input" in err,
                "no passphrase: %r" % err)


def key_new_with(ctl, name, passphrase, env=None):
    return ctl.run("key", "new", "--type", "ecdsa", "--name", name,
                   "--keystore", ctl.keystore(name), passphrase=passphrase,
                   env=env)


def test_cli_weak_passphrases(ctx):
    ctl = offline_ctl(ctx)
    for n, short in enumerate(("abcde", "Ab1!xyz")):
        res = key_new_with(ctl, "short%d" % n, short)
        assert_equal(res.rc, EXIT_USAGE, "%d-byte passphrase: %r" % (
            len(short), res))
        assert_true("at least 8 bytes" in res.err, "says why: %r" % res.err)
        assert_true(not os.path.exists(ctl.keystore("short%d" % n)),
                    "no keystore")
    for n, (weak, why) in enumerate((
            ("password1234", "shorter than 20 characters and only 2 of"),
            ("Ab1!xyz9", "fewer than 12 characters"),
            ("\u00e9\u00e8" * 5 + "A", "fewer than 12 characters"),
            ("z" * 30, "one character repeated"),
            ("\u00e9" * 16, "one character repeated"))):
        res = key_new_with(ctl, "weak%d" % n, weak)
        assert_equal(res.rc, 0, "weak passphrase accepted: %r" % res)
        assert_true("warning: weak passphrase: " + why in res.err,
                    "warned %r for %r: %r" % (why, weak, res.err))
        assert_true(weak not in res.err + res.out, "not shown")
    for n, fine in enumerate((PASSPHRASE, "Ab1!Ab1!Ab1!", "lower case only "
                              "and long enough")):
        res = key_new_with(ctl, "fine%d" % n, fine)
        assert_equal(res.rc, 0, "accepted: %r" % res)
        assert_true("warning" not in res.err, "no warning: %r" % res.err)


def test_cli_kdf_default_is_moderate(ctx):
    """Without --kdf or TREASURYCTL_KDF (which the other tests set to
    interactive, for speed) a new keystore costs ops 3, 256 MiB."""
    ctl = offline_ctl(ctx)
    ctl.ok("key", "new", "--type", "ecdsa", "--name", "m", "--keystore",
           ctl.keystore("m"), passphrase=PASSPHRASE,
           env={"TREASURYCTL_KDF": ""})
    res = ctl.ok("key", "show", "--keystore", ctl.keystore("m"))
    assert_true("ops 3, memory 256 MiB" in res.out, "moderate: %r" % res.out)
    res = ctl.ok("key", "show", "--keystore", ctl.keystore(
        ctl.key_new("i")["name"]))
    assert_true("ops 2, memory 64 MiB" in res.out,
                "TREASURYCTL_KDF=interactive still works: %r" % res.out)
