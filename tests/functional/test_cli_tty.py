"""treasuryctl's passphrase prompt on a real terminal, driven
in tmux: a passphrase typed at the prompt or ahead of it is never shown,
and the terminal gets its echo back after C-c or C-z at the prompt."""

import os
import shutil
import signal

from cli_helpers import Tmux, core_limits
from framework import assert_equal, assert_true

TTY_PASSPHRASE = "tty secret 7f3Q horse"
TEST_SECRET = "03" * 32     # TEST ONLY key of docs/signing.md §7


def tty(ctx):
    """A tmux shell whose treasuryctl uses a private HOME."""
    assert_true(shutil.which("tmux"), "tmux is needed (contrib/install-deps.sh)")
    home = ctx.tmpdir("tty-home")
    t = Tmux(ctx, {"HOME": home, "TREASURYCTL_KDF": "interactive",
                   "TREASURYCTL_URL": "http://127.0.0.1:9"})
    return t, home


def key_new_line(ctx, home, name):
    return "%s key new --type ecdsa --name %s --keystore %s" % (
        ctx.treasuryctl, name, os.path.join(home, name + ".keystore"))


def echo_is_on(t):
    """Run stty -a in the pane: True for 'echo', False for '-echo'."""
    m = t.run("stty -a")
    assert_equal(t.wait_status(m), 0, "stty -a")
    words = t.pane().rpartition("stty -a")[2].split()
    assert_true(("echo" in words) != ("-echo" in words),
                "stty -a shows echo or -echo: %r" % words)
    return "echo" in words


def test_cli_tty_passphrase_never_shown(ctx):
    t, home = tty(ctx)
    try:
        m = t.run(key_new_line(ctx, home, "alice"))
        t.wait_for("New keystore passphrase: ")
        assert_equal(core_limits(t.child_pid()), ["0", "0"],
                     "no core file while it waits for the passphrase")
        # The repeat is typed ahead of its prompt.
        t.send(TTY_PASSPHRASE, "Enter", TTY_PASSPHRASE, "Enter")
        assert_equal(t.wait_status(m), 0, "key new on the terminal")
        assert_true(TTY_PASSPHRASE not in t.pane(), "passphrase never shown")
        assert_true(os.path.exists(os.path.join(home, "alice.keystore")),
                    "keystore written")
        assert_true(echo_is_on(t), "echo is back")
    finally:
        t.close()


def test_cli_tty_typed_ahead_of_prompt_not_shown(ctx):
    """key import: the passphrase typed at the secret's prompt, ahead of
    its own prompt, is discarded unseen; asked again, it is accepted."""
    t, home = tty(ctx)
    try:
        m = t.run(key_new_line(ctx, home, "bob").replace(" new ", " import "))
        t.wait_for("Secret key (64 hex): ")
        t.send(TEST_SECRET, "Enter", TTY_PASSPHRASE, "Enter",
               TTY_PASSPHRASE, "Enter")
        t.wait_for("New keystore passphrase: ")
        t.send(TTY_PASSPHRASE, "Enter", TTY_PASSPHRASE, "Enter")
        assert_equal(t.wait_status(m), 0, "key import on the terminal")
        pane = t.pane()
        assert_true(TTY_PASSPHRASE not in pane and TEST_SECRET not in pane,
                    "secret and passphrase never shown:\n" + pane)
        assert_true(echo_is_on(t), "echo is back")
    finally:
        t.close()


def test_cli_tty_signals_restore_echo(ctx):
    """C-c, C-\\, SIGTERM and SIGHUP at the prompt: treasuryctl dies of
    the signal and leaves the terminal with echo on. It runs under a
    plain sh that catches the signals and runs stty -a itself, so that no
    job-control shell repairs the terminal first."""
    t, home = tty(ctx)
    try:
        for n, how in enumerate(("C-c", "C-\\", signal.SIGTERM,
                                 signal.SIGHUP)):
            name = "carol%d" % n
            t.type("sh -c 'trap : INT QUIT; %s; echo caught\"\"=$?; "
                   "stty -a; echo stty\"\"-done'" % key_new_line(ctx, home,
                                                                 name))
            t.send("Enter")
            after = t.wait_for("New keystore passphrase: ",
                               t.pane().rfind("caught"))
            pid = t.child_pid(depth=2)
            t.type("half typed")
            if isinstance(how, str):
                t.send(how)
                signo = signal.SIGINT if how == "C-c" else signal.SIGQUIT
            else:
                os.kill(pid, how)
                signo = how
            end = t.wait_for("stty-done", after)
            out = t.pane()[after:end]
            status = int(out.partition("caught=")[2].split()[0])
            assert_equal(status, 128 + signo, "died of %r" % how)
            words = out.partition("caught=")[2].split()
            assert_true("echo" in words and "-echo" not in words,
                        "echo restored after %r: %r" % (how, words))
            assert_true("half typed" not in t.pane(), "nothing shown")
            assert_true(not os.path.exists(os.path.join(
                home, name + ".keystore")), "no keystore")
    finally:
        t.close()


def test_cli_tty_suspend_restores_echo(ctx):
    """C-z at the prompt: the shell gets its echo back; fg hides the
    input again and the command completes."""
    t, home = tty(ctx)
    try:
        t.run(key_new_line(ctx, home, "dave"))
        t.wait_for("New keystore passphrase: ")
        t.send("C-z")
        t.wait_for("Stopped")
        assert_true(echo_is_on(t), "echo restored while stopped")
        m = t.run("fg")
        t.wait_echo(False)     # continued: the prompt hides input again
        t.send(TTY_PASSPHRASE, "Enter", TTY_PASSPHRASE, "Enter")
        assert_equal(t.wait_status(m), 0, "completed after fg")
        assert_true(TTY_PASSPHRASE not in t.pane(), "passphrase never shown")
        assert_true(echo_is_on(t), "echo is back")
    finally:
        t.close()
