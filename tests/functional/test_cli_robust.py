"""treasuryctl in a hostile local environment (issue #11): FIFOs, symbolic
links and files of the wrong owner or mode at the keystore, token and
config paths are refused at once with a one-line reason."""

import os

from cli_helpers import Ctl
from framework import assert_true, free_port

QUICK_S = 15        # a refusal is immediate; a hang would hit this timeout
NOBODY_UID = 65534


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

