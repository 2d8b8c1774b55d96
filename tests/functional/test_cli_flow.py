"""treasuryctl against the real daemon (docs/man/treasuryctl.1): keys and keystores,
2-of-3 approval through to execution, offline signing round trip, config
change display, reading commands, exit codes and configuration precedence.
Tampered server answers are in test_cli_tamper.py."""

import os
import stat

import bip340
import signers as sg
from cli_helpers import (Ctl, PASSPHRASE, EXIT_USAGE, EXIT_NETWORK,
                         EXIT_REFUSED, EXIT_VERIFY, EXIT_PASSPHRASE,
                         EXIT_DECLINED, votes_of)
from framework import assert_equal, assert_true, free_port
from treasury_helpers import setup

DEST = "0x742d35Cc6634C0532925a3b844Bc454e4438f44e"
TEST_SECRET = "03" * 32     # TEST ONLY key of docs/signing.md §7


def url_of(node):
    return "http://127.0.0.1:%d" % node.port


def grants(ctx, key_types=("ecdsa", "schnorr", "ecdsa")):
    """A node, a 2-of-3 treasury whose signers' keys were made by
    treasuryctl, and a Ctl per signer plus one for the treasurer."""
    node, c = setup(ctx)
    c.asset_ok("USDC", 6)
    signer_tok = node.create_token("cli-signer", "signer")
    treasurer_tok = node.create_token("cli-treasurer", "treasurer")
    ctls, pubs = {}, []
    for name, kt in zip(("alice", "bob", "carol"), key_types):
        ctls[name] = Ctl(ctx, url_of(node), signer_tok, name="home-" + name)
        pubs.append(ctls[name].key_new(name, kt))
    r = node.post("/v1/treasuries", {"id": "grants", "threshold": 2,
                                     "signers": pubs})
    assert_equal(r.status, 201, "create treasury: %r" % r)
    treasurer = Ctl(ctx, url_of(node), treasurer_tok, name="home-treasurer")
    return node, c, ctls, treasurer


def test_cli_keystore_is_sealed(ctx):
    ctl = Ctl(ctx, "http://127.0.0.1:9")
    ks = ctl.keystore("dave")
    res = ctl.ok("key", "import", "--type", "ecdsa", "--name", "dave",
                 "--keystore", ks, "--secret-fd", "0", passphrase=PASSPHRASE,
                 stdin=TEST_SECRET + "\n")
    want_pub = "02531fe6068134503d2723133227c867ac8fa6c83c537e9a44c3c5bdbdcb1fe337"
    assert_true(want_pub in res.out, "imported public key shown: %r" % res)
    assert_equal(stat.S_IMODE(os.stat(ks).st_mode), 0o600, "keystore mode")
    with open(ks, "rb") as f:
        raw = f.read()
    assert_true(TEST_SECRET.encode() not in raw, "no secret hex in the file")
    assert_true(bytes.fromhex(TEST_SECRET) not in raw, "no raw secret")
    assert_true(b"kdf: argon2id13" in raw and b"ciphertext: " in raw,
                "sealed with Argon2id + AEAD")
    show = ctl.ok("key", "show", "--keystore", ks, "--json").json()
    assert_equal(show["pubkey"], want_pub, "key show")
    assert_equal(ctl.ok("key", "export-public", "--keystore", ks).json(),
                 {"name": "dave", "key_type": "ecdsa", "pubkey": want_pub},
                 "export-public")
    # The tool opens it with the passphrase and only with it.
    canon = os.path.join(ctl.home, "p.txt")
    with open(canon, "w") as f:
        f.write(sg.canonical_text(
            sg.common_lines("00" * 32, "grants", 1, "transfer", 1,
                            "2030-01-01T00:00:00Z") +
            sg.transfer_lines("USDC", "1.000000", "x", "")))
    args = ("sign-offline", canon, "--decision", "approve", "--yes",
            "--keystore", ks)
    bad = ctl.run(*args, passphrase="wrong passphrase")
    assert_equal(bad.rc, EXIT_PASSPHRASE, "wrong passphrase: %r" % bad)
    assert_true("signature:" not in bad.out, "nothing signed")
    empty = ctl.run(*args, passphrase="")
    assert_true(empty.rc != 0 and "signature:" not in empty.out,
                "empty passphrase refused: %r" % empty)
    assert_true("signature: " in ctl.ok(*args, passphrase=PASSPHRASE).out,
                "right passphrase signs")
    # An altered public line makes the keystore unopenable.
    with open(ks, "wb") as f:
        f.write(raw.replace(b"name: dave", b"name: evil"))
    assert_equal(ctl.run(*args, passphrase=PASSPHRASE).rc, EXIT_PASSPHRASE,
                 "altered keystore refused")
    # No overwrite without --force; group-readable keystores refused.
    again = ctl.run("key", "new", "--type", "schnorr", "--name", "dave",
                    "--keystore", ks, passphrase=PASSPHRASE)
    assert_true(again.rc != 0 and "exists" in again.err, "no overwrite")
    os.chmod(ks, 0o640)
    assert_true(ctl.run("key", "show", "--keystore", ks).rc != 0,
                "group-readable keystore refused")
    # The default keystore lands in ~/.config/treasuryctl (made 0700).
    ctl.ok("key", "new", "--type", "schnorr", "--name", "erin",
           passphrase=PASSPHRASE)
    default = os.path.join(ctl.home, ".config", "treasuryctl", "keystore")
    assert_equal(stat.S_IMODE(os.stat(default).st_mode), 0o600, "mode")
    assert_equal(stat.S_IMODE(os.stat(os.path.dirname(default)).st_mode),
                 0o700, "directory mode")
    assert_equal(ctl.ok("key", "show", "--json").json()["name"], "erin",
                 "default keystore used")
    # The secret never travels in argv: there is no option for it.
    assert_equal(ctl.run("key", "import", "--secret", TEST_SECRET).rc,
                 EXIT_USAGE, "no --secret option")


def test_cli_two_of_three_to_execution(ctx):
    node, c, ctls, treasurer = grants(ctx)
    res = treasurer.ok("deposit", "grants", "--asset", "USDC", "--amount",
                       "1500.5", "--reference", "dep-1")
    assert_true("1500.500000" in res.out, "deposit shown: %r" % res)
    res = ctls["alice"].ok("propose", "transfer", "grants", "--asset", "USDC",
                           "--amount", "1000.25", "--to", DEST, "--memo",
                           "Q4 grants", "--expires", "3d", "--approve",
                           "--yes", "--keystore", ctls["alice"].keystore("alice"),
                           passphrase="correct horse battery staple")
    pid = res.out.split("proposed: ")[1].split()[0]
    for want in ("1000.250000 USDC", "6 decimals", DEST, '"Q4 grants"',
                 "APPROVE", "signer alice",
                 "config     version 1 (current, pinned)"):
        assert_true(want in res.out, "shown before signing: %r in %r" %
                    (want, res.out))
    assert_equal(c.get_proposal(pid)["approval_count"], 1, "alice counted")
    # Executing too early: refused by the server, detail shown, code 4.
    early = treasurer.run("execute", pid, "--yes")
    assert_equal(early.rc, EXIT_REFUSED, "execute pending: %r" % early)
    assert_true("not-approved" in early.err, "problem type shown")
    res = ctls["bob"].ok("approve", pid, "--yes", "--keystore",
                         ctls["bob"].keystore("bob"), passphrase=PASSPHRASE)
    assert_true("now approved" in res.out, "approved: %r" % res)
    assert_equal(c.get_proposal(pid)["status"], "approved", "status")
    # A confirmation is needed without --yes (no terminal here).
    res = ctls["carol"].run("reject", pid, "--keystore",
                            ctls["carol"].keystore("carol"),
                            passphrase=PASSPHRASE)
    assert_true(res.rc != 0, "no vote without confirmation")
    # Execution asks for a confirmation too: none without a terminal.
    res = treasurer.run("execute", pid)
    assert_true(res.rc != 0 and "--yes" in res.err, "no execution without "
                "confirmation: %r" % res)
    assert_equal(c.get_proposal(pid)["status"], "approved", "not executed")
    res = treasurer.ok("execute", pid, "--yes")
    assert_true("executed" in res.out, "executed: %r" % res)
    assert_equal(c.balances("grants"), {"USDC": "500.250000"}, "balance")
    bal = treasurer.ok("balances", "grants", "--json").json()
    assert_equal(bal["balances"], [{"asset": "USDC", "amount": "500.250000"}],
                 "balances --json")
    table = treasurer.ok("ledger", "grants").out
    assert_true("dep-1" in table and DEST in table, "ledger table: " + table)
    listed = treasurer.ok("proposals", "grants", "--status", "executed",
                          "--json").json()["proposals"]
    assert_equal([p["id"] for p in listed], [pid], "proposals --status")
    assert_true("grants" in treasurer.ok("treasuries").out, "treasuries")
    shown = treasurer.ok("show", pid).out
    assert_true("recomputed from the canonical text: matches" in shown and
                "1000.250000 USDC" in shown, "show: " + shown)
    assert_equal(treasurer.run("proposals", "grants", "--status", "bogus").rc,
                 EXIT_USAGE, "bad --status")


def test_cli_wrong_passphrase_signs_nothing(ctx):
    node, c, ctls, _ = grants(ctx)
    p = c.transfer_ok("grants", "USDC", "1", to=DEST)
    res = ctls["alice"].run("approve", p["id"], "--yes", "--keystore",
                            ctls["alice"].keystore("alice"),
                            passphrase="not the passphrase")
    assert_equal(res.rc, EXIT_PASSPHRASE, "wrong passphrase: %r" % res)
    assert_equal(votes_of(node, p["id"]), [], "no vote recorded")


def test_cli_offline_signing_round_trip(ctx):
    node, c, ctls, _ = grants(ctx, key_types=("schnorr", "ecdsa", "ecdsa"))
    p = c.transfer_ok("grants", "USDC", "7.5", to=DEST, memo="offline")
    pid = p["id"]
    # The air-gapped machine has no URL and no token: only the text.
    offline = Ctl(ctx, "http://127.0.0.1:9", name="airgap")
    res = offline.ok("sign-offline", "-", "--decision", "approve", "--yes",
                     "--keystore", ctls["alice"].keystore("alice"), "--json",
                     passphrase=PASSPHRASE, stdin=p["canonical"], url=False)
    signed = res.json()
    assert_equal(signed["id"], pid, "offline id = server id")
    assert_equal(signed["signer"], "alice", "signer")
    alice_pub = ctls["alice"].ok("key", "show", "--json", "--keystore",
                                 ctls["alice"].keystore("alice")).json()
    assert_true(bip340.schnorr_verify(sg.vote_digest(pid, "approve"),
                                      bytes.fromhex(alice_pub["pubkey"]),
                                      bytes.fromhex(signed["signature"])),
                "independent BIP-340 check of the offline signature")
    # A signature for the other decision is refused before posting.
    bad = ctls["bob"].run("vote", pid, "--decision", "reject", "--signature",
                          signed["signature"], "--yes")
    assert_equal(bad.rc, EXIT_VERIFY, "mismatched decision: %r" % bad)
    assert_equal(votes_of(node, pid), [], "nothing posted")
    res = ctls["bob"].ok("vote", pid, "--signature", signed["signature"],
                         "--yes")
    assert_true("approve by alice" in res.out, "posted as alice: %r" % res)
    got = c.get_proposal(pid)
    assert_equal([(v["signer"], v["signature"]) for v in got["approvals"]],
                 [("alice", signed["signature"])], "vote recorded as signed")
    # A tampered text gives another id: the signature does not fit pid.
    res = offline.ok("sign-offline", "-", "--decision", "approve", "--yes",
                     "--keystore", ctls["alice"].keystore("alice"), "--json",
                     passphrase=PASSPHRASE, url=False,
                     stdin=p["canonical"].replace("amount: 7.500000",
                                                  "amount: 8.500000"))
    assert_true(res.json()["id"] != pid, "other text, other id")
    bad = ctls["bob"].run("vote", pid, "--signature", res.json()["signature"],
                          "--yes")
    assert_equal(bad.rc, EXIT_VERIFY, "signature of another text refused")
    # A text that is not canonical is refused with the verification code.
    res = offline.run("sign-offline", "-", "--decision", "approve", "--yes",
                      "--keystore", ctls["alice"].keystore("alice"),
                      passphrase=PASSPHRASE, url=False,
                      stdin=p["canonical"].replace("\n", "\r\n"))
    assert_equal(res.rc, EXIT_VERIFY, "non-canonical text: %r" % res)


def test_cli_config_change_shows_signer_sets(ctx):
    node, c, ctls, _ = grants(ctx)
    dave = Ctl(ctx, url_of(node), name="home-dave").key_new("dave", "schnorr")
    alice = ctls["alice"]
    res = alice.ok("propose", "add-signer", "grants", "--name", "dave",
                   "--type", "schnorr", "--pubkey", dave["pubkey"],
                   "--memo", "dave joins", "--approve", "--yes",
                   "--keystore", alice.keystore("alice"),
                   passphrase=PASSPHRASE)
    out = res.out
    for want in ("signers before (config 1, pinned): 2 of 3",
                 "signers after (config 2): 2 of 4", "+ dave",
                 dave["pubkey"], "ADD signer dave"):
        assert_true(want in out, "%r shown in %r" % (want, out))
    pid = out.split("proposed: ")[1].split()[0]
    res = alice.ok("propose", "set-threshold", "grants", "--threshold", "1")
    other = res.out.split("proposed: ")[1].split()[0]
    ctls["bob"].ok("approve", pid, "--yes", "--keystore",
                   ctls["bob"].keystore("bob"), passphrase=PASSPHRASE)
    assert_equal(c.execute_ok(pid)["status"], "executed", "dave added")
    # The set-threshold proposal of config 1 is stale now: refused.
    res = ctls["bob"].run("approve", other, "--yes", "--keystore",
                          ctls["bob"].keystore("bob"), passphrase=PASSPHRASE)
    assert_equal(res.rc, EXIT_VERIFY, "stale refused: %r" % res)
    assert_true("stale" in res.err, "says stale")


def test_cli_exit_codes_and_config(ctx):
    node, c = setup(ctx)
    tok = node.create_token("cli-viewer", "viewer")
    ctl = Ctl(ctx, "http://127.0.0.1:%d" % free_port(), tok)
    assert_equal(ctl.run("treasuries").rc, EXIT_NETWORK, "nothing listens")
    assert_equal(ctl.run("frobnicate").rc, EXIT_USAGE, "unknown command")
    assert_equal(ctl.run("show", "xyz").rc, EXIT_USAGE, "bad id")
    assert_equal(ctl.run("balances", "grants", "--amount", "1").rc,
                 EXIT_USAGE, "option of another command")
    for cmd in (["key", "new"], ["approve"], ["propose", "batch"],
                ["sign-offline"], ["vote"], ["deposit"], ["execute"],
                ["treasuries"]):
        res = ctl.run(*(cmd + ["--help"]))
        assert_equal(res.rc, 0, "%s --help" % cmd)
        assert_true("usage: treasuryctl " + " ".join(cmd) in res.out,
                    "help of %s: %r" % (cmd, res.out))
    # Precedence: flag > environment > config file.
    cfg_dir = os.path.join(ctl.home, ".config", "treasuryctl")
    os.makedirs(cfg_dir)
    with open(os.path.join(cfg_dir, "config"), "w") as f:
        f.write("# test\nurl = %s\ntoken_file = %s\n" % (url_of(node),
                                                         ctl.token_file))
    os.chmod(os.path.join(cfg_dir, "config"), 0o600)     # private
    assert_equal(ctl.run("treasuries", url=False,
                         env={"TREASURYCTL_TOKEN_FILE": ""}).rc, 0,
                 "config file url and token file")
    assert_equal(ctl.run("treasuries").rc, EXIT_NETWORK, "env beats config")
    assert_equal(ctl.run("treasuries", "--url", url_of(node)).rc, 0,
                 "flag beats env")
    with open(os.path.join(cfg_dir, "config"), "a") as f:
        f.write("colour = blue\n")
    res = ctl.run("treasuries", url=False)
    assert_equal(res.rc, EXIT_USAGE, "bad config key")
    assert_true("config:4:" in res.err, "file:line reported: %r" % res.err)
    with open(os.path.join(cfg_dir, "config"), "w") as f:
        f.write("url = %s\n" % url_of(node))
    # Token files must be private.
    os.chmod(ctl.token_file, 0o644)
    res = ctl.run("treasuries")
    assert_true(res.rc == EXIT_USAGE and "chmod 600" in res.err,
                "0644 token refused: %r" % res)
    os.chmod(ctl.token_file, 0o600)
    # Refused by the server: 403 for a viewer proposing, detail shown.
    res = ctl.run("propose", "transfer", "grants", "--asset", "USDC",
                  "--amount", "1", "--to", "x", "--url", url_of(node))
    assert_equal(res.rc, EXIT_REFUSED, "viewer cannot propose: %r" % res)
    assert_true("403 forbidden" in res.err, "status and type: %r" % res.err)
    assert_true(EXIT_DECLINED == 7, "declined code documented")
