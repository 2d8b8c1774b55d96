"""treasuryd check and treasuryd audit verify compare the rows that decide
who may do what with the journal: config versions (threshold, signer set,
policy), tokens (roles, revocation, binding, hash) and assets (decimals).

Each test edits a COPY of a stopped daemon's database (test_audit.Life:
a full life cycle, every entry signed by a checkpoint) the way someone
with the file could, keeping every other check satisfied where that can
be done without the journal (the policy digest is recomputed), and then
runs both tools: each must exit 1 with a finding that names the edit; the
untampered copy passes both with 0 findings.
"""

# run.py skips every test here on PostgreSQL, saying why.
SQLITE_ONLY = "treasuryd check and audit verify read an SQLite file and these tests tamper with it"


import hashlib
import re
import sqlite3

import signers as sg
from framework import assert_equal, assert_true
from test_audit import Life, assert_clean, wait_all_signed

CERT = "cd" * 32


def life_with_tokens(ctx):
    """Life, plus a token revoked and a token created bound on the
    command line; stopped, every entry signed."""
    life = Life(ctx)
    node = life.node
    for args in (("create", "--name", "gone", "--role", "viewer"),
                 ("revoke", "--name", "gone"),
                 ("create", "--name", "pinned", "--role", "viewer",
                  "--client-cert-sha256", CERT)):
        r = node.token_cmd(*args)
        assert_equal(r.returncode, 0, "token %s: %s" % (args[0], r.stderr))
    wait_all_signed(node)
    life.stop()
    return life


def both_report(life, name, edit, *patterns):
    path = life.edit(name, edit)
    for tool, r in (("check", life.check(path)),
                    ("audit verify", life.audit(path))):
        out = r.stdout + r.stderr
        assert_equal(r.returncode, 1, "%s of %s: exit 1 wanted:\n%s"
                     % (tool, name, out))
        for p in patterns:
            assert_true(re.search(p, r.stdout), "%s of %s: finding %r in:\n%s"
                        % (tool, name, p, out))


def policy_digest(lines):
    return sg.tagged_hash("treasuryd/policy/v1", lines.encode())


def lower_threshold(db):
    """2-of-4 becomes 1-of-4: the config, the policy text and its digest,
    all consistent with each other."""
    lines = db.execute("SELECT lines FROM policies WHERE treasury_id = 'au'"
                       " AND version = 1").fetchone()[0]
    new = lines.replace("threshold: 2\n", "threshold: 1\n", 1)
    assert_true(new != lines, "the policy text names M: %r" % lines)
    db.execute("UPDATE treasury_configs SET threshold = 1")
    db.execute("UPDATE policies SET lines = ?, digest = ?",
               (new, policy_digest(new)))


def extra_signer(db):
    x = hashlib.sha256(b"attacker").digest()
    db.execute("INSERT INTO signers (treasury_id, version, name, key_type,"
               " pubkey, key_x) VALUES ('au', 1, 'au-evil', 'schnorr', ?, ?)",
               (x, x))


def swapped_key(db):
    x = hashlib.sha256(b"attacker").digest()
    db.execute("UPDATE signers SET key_type = 'schnorr', pubkey = ?,"
               " key_x = ? WHERE name = 'au-a'", (x, x))


def policy_columns(db):
    db.execute("UPDATE policies SET veto_count = 4")


def test_untampered_copy_passes_both(ctx):
    life = life_with_tokens(ctx)
    path = life.copy("clean")
    assert_clean(life.check(path), "check of the untouched copy")
    assert_clean(life.audit(path), "audit verify of the untouched copy")


def test_config_edits_are_found(ctx):
    life = life_with_tokens(ctx)
    both_report(life, "threshold", lower_threshold,
                r"treasury au config version 1: its threshold \(1; the "
                r"journal says 2\)")
    both_report(life, "extra-signer", extra_signer,
                r"treasury au config version 1: its signers disagree")
    both_report(life, "swapped-key", swapped_key,
                r"treasury au config version 1: its signers disagree")
    both_report(life, "policy-columns", policy_columns,
                r"treasury au config version 1: the policy's columns")
    both_report(life, "config-deleted", lambda db: db.executescript(
        "PRAGMA foreign_keys = OFF;"
        " DELETE FROM journal WHERE type = 'treasury.created'"),
        r"treasury au: config version 1 has no treasury.created")


def test_token_edits_are_found(ctx):
    life = life_with_tokens(ctx)
    both_report(life, "roles", "UPDATE tokens SET roles = 15 WHERE name ="
                " 't-viewer'", r"token [0-9]+ 't-viewer': its roles "
                r"\(admin,treasurer,signer,viewer; the journal says "
                r"viewer\) disagree")
    both_report(life, "unrevoked", "UPDATE tokens SET revoked_at = NULL"
                " WHERE name = 'gone'", r"token [0-9]+ 'gone': its "
                r"revocation \(live; the journal says revoked\)")
    both_report(life, "unbound", "UPDATE tokens SET client_cert_sha256 ="
                " NULL WHERE name = 'pinned'", r"token [0-9]+ 'pinned': its "
                r"client certificate binding disagree")
    # a takeover: the viewer's row gets the hash of a token someone holds
    both_report(life, "hash", "UPDATE tokens SET hash = randomblob(32)"
                " WHERE name = 't-viewer'",
                r"token [0-9]+ 't-viewer': it has no token.created",
                r"journal entry [0-9]+: token 't-viewer' is missing")


def test_asset_edits_are_found(ctx):
    life = life_with_tokens(ctx)
    both_report(life, "decimals", "UPDATE assets SET decimals = 2",
                r"asset USDC: 2 decimals on chain 'ethereum', but journal "
                r"entry [0-9]+ says 6 decimals")
    both_report(life, "asset-added", "INSERT INTO assets (code, code_fold,"
                " decimals, chain, created_at) VALUES ('EVIL', 'evil', 2,"
                " 'x', 1)", r"asset EVIL: it has no asset.created")
