"""The trust store of treasuryctl (docs/signing.md §11): first sight needs
a terminal or --yes; pins advance only through executed config changes
whose bundles verify against the pinned keys; bundles download and verify
(also offline from a file) and a forged approval in a saved bundle is
refused; trust list / forget."""

import json
import os

from cli_helpers import Ctl, PASSPHRASE, EXIT_VERIFY
from framework import assert_equal, assert_true, sqlite_only
from test_cli_flow import DEST, grants, url_of


def approve(ctl, name, pid, *extra):
    return ctl.ok("approve", pid, "--keystore", ctl.keystore(name),
                  *extra, passphrase=PASSPHRASE)


def test_first_sight_needs_a_terminal_or_yes(ctx):
    node, c, ctls, _ = grants(ctx)
    p = c.transfer_ok("grants", "USDC", "5", to=DEST)
    alice = ctls["alice"]
    res = alice.run("show", p["id"])
    assert_equal(res.rc, EXIT_VERIFY, "no terminal, no --yes: %r" % res)
    assert_true("not pinned yet" in res.err, "says why: %r" % res.err)
    assert_true("NEW SERVER" in res.out, "the instance is shown in full")
    assert_true(not os.path.exists(os.path.join(
        alice.home, ".config/treasuryctl/trust")), "nothing was pinned")
    res = alice.ok("trust", "show", "grants", "--yes")
    for want in ("NEW TREASURY: grants", "threshold 2 of 3", "alice",
                 "policy digest", "config_threshold: 2"):
        assert_true(want in res.out, "first sight shows %r: %r" %
                    (want, res.out))
    path = os.path.join(alice.home, ".config/treasuryctl/trust")
    assert_equal(os.stat(path).st_mode & 0o777, 0o600, "trust store mode")
    # Pinned now: no question, nothing new shown.
    res = alice.ok("show", p["id"])
    assert_true("NEW SERVER" not in res.out and "NEW TREASURY" not in
                res.out, "no first-sight screen: %r" % res.out)
    listed = alice.ok("trust", "list").out
    assert_true("grants" in listed and "first use" in listed, listed)


def test_pins_advance_through_a_verified_config_change(ctx):
    node, c, ctls, treasurer = grants(ctx)
    alice, bob = ctls["alice"], ctls["bob"]
    alice.ok("trust", "show", "grants", "--yes")
    dave = Ctl(ctx, url_of(node), name="home-dave").key_new("dave", "schnorr")
    res = alice.ok("propose", "remove-signer", "grants", "--name", "carol",
                   "--memo", "carol leaves")
    pid = res.out.split("proposed: ")[1].split()[0]
    approve(alice, "alice", pid, "--yes")
    approve(bob, "bob", pid, "--yes")
    treasurer.ok("execute", pid, "--yes")
    # alice's pins are at version 1; the server is at 2. No prompt: the
    # change is verified from its bundle.
    r = c.propose("grants", {"kind": "transfer", "asset": "USDC",
                             "amount": "1", "to": DEST})
    assert_equal(r.status, 201, "propose: %r" % r)
    res = alice.ok("show", r.json["id"])
    assert_true("advanced to version 2" in res.out and "remove-signer" in
                res.out, "pins advanced: %r" % res.out)
    shown = alice.ok("trust", "show", "grants").out
    assert_true("threshold 2 of 2" in shown and "carol" not in shown,
                "carol is gone from the pins: %r" % shown)
    # The bundle downloads, verifies and saves; offline it verifies from
    # the file against the pinned keys of version 1.
    out = os.path.join(alice.home, "bundle.json")
    res = alice.ok("bundle", pid, "--out", out)
    assert_true("BUNDLE VERIFIED" in res.out and "alice" in res.out,
                "%r" % res.out)
    res = alice.ok("bundle", "--file", out, url=False)
    assert_true("BUNDLE VERIFIED" in res.out, "offline: %r" % res.out)
    # A forged approval (bob's signature replaced by alice's twice) is
    # not enough: each pinned signer counts once, with its pinned key.
    with open(out) as f:
        b = json.load(f)
    b["approvals"] = [b["approvals"][0], dict(b["approvals"][0],
                                              signer="bob")]
    with open(out, "w") as f:
        json.dump(b, f)
    res = alice.run("bundle", "--file", out, url=False)
    assert_equal(res.rc, EXIT_VERIFY, "forged bundle: %r" % res)
    assert_true("valid approvals" in res.err, res.err)
    del dave


def test_forget_asks_again(ctx):
    node, c, ctls, _ = grants(ctx)
    alice = ctls["alice"]
    alice.ok("trust", "show", "grants", "--yes")
    alice.ok("trust", "forget", "grants")
    res = alice.run("trust", "show", "grants")
    assert_equal(res.rc, EXIT_VERIFY, "forgotten: asked again: %r" % res)
    assert_true("NEW TREASURY" in res.out, res.out)
    alice.ok("trust", "forget-server")
    res = alice.run("trust", "show", "grants")
    assert_true("NEW SERVER" in res.out, res.out)
    assert_equal(c.proposals("grants"), [], "no proposal, nothing signed")


@sqlite_only("plants a stored memo with SQL on the SQLite file")
def test_stored_memo_now_refused_is_stale_not_a_server_error(ctx):
    """A proposal stored before the memo rule refused every invisible code
    point (its memo holds U+FE0F) and already approved: execution answers
    409 stale with a reason, never a 5xx, and debits nothing."""
    import sqlite3
    import signers as sg
    node, c, ctls, _ = grants(ctx)
    c.deposit_ok("grants", "USDC", "10", "d1")
    p = c.transfer_ok("grants", "USDC", "1", to=DEST, memo="ok")
    node.stop()
    old = p["canonical"].replace("memo: ok\n", "memo: ok\u2764\ufe0f\n")
    new_id = sg.proposal_id(old)
    db = sqlite3.connect(node.db_path)
    with db:
        db.execute("PRAGMA foreign_keys = OFF")
        db.execute("UPDATE proposals SET canonical = ?, id = ?, "
                   "status = 'approved', approved_at = created_at WHERE id = ?",
                   (old, new_id, bytes.fromhex(p["id"])))
    db.close()
    node.start()
    r = c.execute(new_id.hex())
    assert_equal(r.status, 409, "stale, not a server error: %r" % r)
    assert_true("propose it again" in r.json.get("detail", ""), "%r" % r)
    assert_equal(c.balances("grants"), {"USDC": "10.000000"}, "no debit")
