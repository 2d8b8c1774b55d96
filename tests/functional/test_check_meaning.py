"""treasuryd check checks meaning, not just arithmetic (issue #13 item 3).

A life cycle runs on the real daemon (deposits, a transfer and a batch
executed, a settlement, a veto, a freeze); the daemon is stopped and each
test edits a COPY of its database with sqlite3, the way someone with the
file could, then runs `treasuryd check` on the copy: every edit must be
reported (exit status 1, a finding that names it) and the untampered copy
must pass with 0 findings. Printed values are escaped: a string holding an
ESC sequence reaches the output only as visible text.
"""

# run.py skips every test here on PostgreSQL, saying why.
SQLITE_ONLY = "treasuryd check reads an SQLite file and these tests tamper with it"


import atexit
import json
import os
import re
import shutil
import sqlite3
import tempfile

import signers as sg
from framework import assert_equal, assert_true, TestFailure
from treasury_helpers import freeze_sig, setup

CLOCK = ["--unsafe-test-clock"]
HOUR_S = 3600


def advance(node, seconds):
    r = node.post("/v1/test/clock", body={"advance_s": seconds})
    assert_equal(r.status, 200, "test clock: %r" % r)


def act_sign(signer, tag, pid):
    return signer.sign_digest(sg.tagged_hash(tag, bytes.fromhex(pid))).hex()


def propose(c, tid, body):
    r = c.propose(tid, body)
    assert_equal(r.status, 201, "propose %r: %r" % (body, r))
    return r.json["id"]


def life_cycle(ctx):
    """Run the life cycle and stop the daemon; returns (node, ids)."""
    node, c = setup(ctx, extra_args=CLOCK)
    c.asset_ok("USDC", 6)
    c.asset_ok("ETH", 18)
    a, b, d = sg.signers("cm", "ese")
    body = {"id": "cm", "threshold": 2,
            "signers": [s.as_json() for s in (a, b, d)],
            "policy": {"timelock_spend_s": HOUR_S}}
    r = node.post("/v1/treasuries", body)
    assert_equal(r.status, 201, "create: %r" % r)
    c.deposit_ok("cm", "USDC", "100", "d1")
    c.deposit_ok("cm", "ETH", "2", "d2")
    pay = propose(c, "cm", {"kind": "transfer", "asset": "USDC",
                            "amount": "10", "to": "dest-1", "memo": "rent"})
    c.approve_all(pay, [a, b])
    batch = propose(c, "cm", {"kind": "batch", "transfers": [
        {"asset": "USDC", "amount": "5", "to": "dest-2"},
        {"asset": "ETH", "amount": "0.5", "to": "dest-3"}]})
    c.approve_all(batch, [a, d])
    vetoed = propose(c, "cm", {"kind": "transfer", "asset": "USDC",
                               "amount": "1", "to": "dest-4"})
    c.approve_all(vetoed, [b, d])
    r = node.post("/v1/proposals/%s/vetoes" % vetoed,
                  {"signer": a.name,
                   "signature": act_sign(a, "treasuryd/veto/v1", vetoed)},
                  token=c.signer_token)
    assert_equal((r.status, r.json.get("status")), (200, "vetoed"),
                 "one veto of 3 signers: %r" % r)
    advance(node, HOUR_S)
    c.execute_ok(pay)
    c.execute_ok(batch)
    r = node.post("/v1/proposals/%s/settlement" % pay,
                  {"reference": "0xfeed01"}, token=c.treasurer)
    assert_equal(r.status, 200, "settle: %r" % r)
    r = node.post("/v1/treasuries/cm/freeze",
                  {"signer": d.name, "freeze": 1,
                   "signature": freeze_sig(c, d, "cm", 1, 1)},
                  token=c.signer_token)
    assert_equal(r.status, 200, "freeze: %r" % r)
    pending = propose(c, "cm", {"kind": "transfer", "asset": "USDC",
                                "amount": "2", "to": "dest-5"})
    c.vote_ok(pending, b)
    # A second treasury whose policy asks new keys to prove possession.
    k1, k2 = sg.signers("kp", "es")
    r = node.post("/v1/treasuries", {
        "id": "kp", "threshold": 1, "signers": [k1.as_json()],
        "policy": {"key_proof": True}})
    assert_equal(r.status, 201, "create kp: %r" % r)
    added = propose(c, "kp", {"kind": "add-signer", "signer": k2.as_json()})
    r = node.post("/v1/proposals/%s/key-proof" % added,
                  {"signature": act_sign(k2, "treasuryd/possession/v1",
                                         added)}, token=c.signer_token)
    assert_equal(r.status, 200, "key proof: %r" % r)
    c.approve_all(added, [k1])
    c.execute_ok(added)
    node.stop()
    return node, {"pay": pay, "batch": batch, "vetoed": vetoed,
                  "pending": pending, "added": added}


_CACHE = {}


def source(ctx):
    """One life cycle per test process: the stopped daemon's database is
    kept aside (a test's directories go with it) and copied for each."""
    if "db" not in _CACHE:
        node, ids = life_cycle(ctx)
        keep = tempfile.mkdtemp(prefix="treasuryd-check-meaning-")
        atexit.register(shutil.rmtree, keep, True)
        _CACHE["db"] = os.path.join(keep, "treasury.db")
        assert_true(not os.path.exists(node.db_path + "-wal") or
                    os.path.getsize(node.db_path + "-wal") == 0,
                    "the stopped daemon left no WAL to copy")
        shutil.copyfile(node.db_path, _CACHE["db"])
        _CACHE["ids"] = ids
    return _CACHE["db"], _CACHE["ids"]


def copy_of(ctx, name):
    src, ids = source(ctx)
    path = os.path.join(ctx.tmpdir("copy-" + name), "treasury.db")
    shutil.copyfile(src, path)
    os.chmod(path, 0o600)
    return path, ids


def edit(path, *statements):
    db = sqlite3.connect(path)
    try:
        db.execute("PRAGMA foreign_keys = OFF")
        for st in statements:
            if isinstance(st, tuple):
                db.execute(*st)
            else:
                db.execute(st)
        db.commit()
    finally:
        db.close()


def check(ctx, path):
    r = ctx.run_treasuryd(["check", "--db", path])
    out = r.stdout + r.stderr
    assert_true(not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", out),
                "no raw control byte reaches the terminal: %r" % out)
    m = re.search(r"check: .*: ([0-9]+) findings", r.stderr)
    assert_true(m is not None, "summary line: %r" % out)
    return r.returncode, int(m.group(1)), r.stdout


def assert_found(ctx, path, *patterns):
    rc, n, out = check(ctx, path)
    assert_equal(rc, 1, "check fails: %s" % out)
    assert_true(n >= 1, "findings counted: %s" % out)
    for p in patterns:
        assert_true(re.search(p, out), "finding %r in %s" % (p, out))
    return out


def debit_seq(path, pid, index=0):
    db = sqlite3.connect(path)
    try:
        rows = db.execute("SELECT seq FROM ledger WHERE proposal_id = ? "
                          "ORDER BY seq", (bytes.fromhex(pid),)).fetchall()
    finally:
        db.close()
    return rows[index][0]


def test_untampered_copy_passes(ctx):
    path, _ = copy_of(ctx, "clean")
    rc, n, out = check(ctx, path)
    assert_equal((rc, n), (0, 0), "untampered: %s" % out)


def test_debit_destination_rewritten(ctx):
    path, ids = copy_of(ctx, "dest")
    seq = debit_seq(path, ids["batch"], 1)
    edit(path, ("UPDATE ledger SET to_dest = 'attacker-1' WHERE seq = ?",
                (seq,)))
    assert_found(ctx, path, r"ledger entry %d: destination 'attacker-1', "
                 r"but proposal %s transfer 2 says 'dest-3'" %
                 (seq, ids["batch"]))


def test_debit_amount_lowered_with_balances_adjusted(ctx):
    path, ids = copy_of(ctx, "amount")
    seq = debit_seq(path, ids["pay"])
    # 10 USDC debited becomes 1 USDC; every later balance_after and the
    # balance are raised by 9 USDC so that the arithmetic still holds.
    nine = 9 * 10 ** 6
    edit(path,
         ("UPDATE ledger SET amount = '1000000' WHERE seq = ?", (seq,)),
         ("UPDATE ledger SET balance_after = CAST(CAST(balance_after AS "
          "INTEGER) + ? AS TEXT) WHERE treasury_id = 'cm' AND asset = "
          "'USDC' AND seq >= ?", (nine, seq)),
         ("UPDATE balances SET amount = CAST(CAST(amount AS INTEGER) + ? "
          "AS TEXT) WHERE treasury_id = 'cm' AND asset = 'USDC'", (nine,)))
    out = assert_found(ctx, path, r"ledger entry %d: amount 1000000 minor "
                       r"units, but proposal %s transfer 1 says" %
                       (seq, ids["pay"]))
    assert_true("balance" not in out.replace("balance_after", ""),
                "the arithmetic itself holds: %s" % out)


def test_debit_deleted(ctx):
    path, ids = copy_of(ctx, "deleted-debit")
    seq = debit_seq(path, ids["batch"], 1)
    edit(path, ("DELETE FROM ledger WHERE seq = ?", (seq,)),
         "UPDATE balances SET amount = '2000000000000000000' WHERE "
         "treasury_id = 'cm' AND asset = 'ETH'")
    assert_found(ctx, path, r"proposal %s: its text makes 2 debits, the "
                 r"ledger holds 1" % ids["batch"])


def test_vote_signature_changed(ctx):
    path, ids = copy_of(ctx, "vote-sig")
    db = sqlite3.connect(path)
    sig, signer = db.execute("SELECT signature, signer FROM votes WHERE "
                             "proposal_id = ? ORDER BY signer LIMIT 1",
                             (bytes.fromhex(ids["pay"]),)).fetchone()
    db.close()
    bad = bytearray(sig)
    bad[10] ^= 0x01
    edit(path, ("UPDATE votes SET signature = ? WHERE proposal_id = ? AND "
                "signer = ?", (bytes(bad), bytes.fromhex(ids["pay"]),
                               signer)))
    assert_found(ctx, path,
                 r"proposal %s: the approval signature of '%s' does not "
                 r"verify" % (ids["pay"], signer),
                 r"proposal %s was executed with 1 valid approvals" %
                 ids["pay"])


def test_canonical_text_changed(ctx):
    path, ids = copy_of(ctx, "canonical")
    edit(path, ("UPDATE proposals SET canonical = replace(canonical, "
                "'to: dest-1', 'to: dest-9') WHERE id = ?",
                (bytes.fromhex(ids["pay"]),)))
    assert_found(ctx, path,
                 r"proposal %s: id is not the hash of its canonical text" %
                 ids["pay"],
                 r"proposal %s: the approval signature of .* does not "
                 r"verify" % ids["pay"],
                 r"destination 'dest-1', but proposal %s transfer 1 says "
                 r"'dest-9'" % ids["pay"])


def test_vetoes_table_emptied(ctx):
    path, ids = copy_of(ctx, "vetoes")
    edit(path, "DELETE FROM vetoes")
    assert_found(ctx, path, r"proposal %s is vetoed with 0 valid vetoes" %
                 ids["vetoed"])


def test_freeze_request_removed(ctx):
    path, _ = copy_of(ctx, "freeze")
    edit(path, "DELETE FROM freezes")
    assert_found(ctx, path, r"treasury cm is frozen by freeze 1, which has "
                 r"no signed request")


def test_escape_sequence_in_a_stored_string(ctx):
    path, ids = copy_of(ctx, "escape")
    seq = debit_seq(path, ids["pay"])
    evil = "\x1b]0;owned\x07\x1b[2J\x1b[31mdest-1\r\n"
    edit(path, ("UPDATE ledger SET to_dest = ? WHERE seq = ?", (evil, seq)),
         ("UPDATE votes SET signer = ? WHERE proposal_id = ? AND signer = "
          "(SELECT min(signer) FROM votes WHERE proposal_id = ?)",
          ("\x1b[8m" + "x", bytes.fromhex(ids["batch"]),
           bytes.fromhex(ids["batch"]))))
    out = assert_found(ctx, path, r"ledger entry %d: destination '" % seq,
                       r"\\u\{001B\}\]0;owned\\u\{0007\}",
                       r"approval by '\\u\{001B\}\[8mx', who is not a "
                       r"signer")
    assert_true("\x1b" not in out, "no raw ESC: %r" % out)


def test_key_proof_changed(ctx):
    path, ids = copy_of(ctx, "key-proof")
    edit(path, ("UPDATE key_proofs SET signature = zeroblob(64) WHERE "
                "proposal_id = ?", (bytes.fromhex(ids["added"]),)))
    assert_found(ctx, path, r"proposal %s: the key proof does not verify "
                 r"with the new key of 'kp-b'" % ids["added"])


def test_key_proof_removed(ctx):
    path, ids = copy_of(ctx, "key-proof-gone")
    edit(path, "DELETE FROM key_proofs")
    assert_found(ctx, path,
                 r"proposal %s was executed without the key proof its "
                 r"policy asks for" % ids["added"],
                 r"journal entry [0-9]+: the key proof of proposal %s is "
                 r"missing from the key_proofs table" % ids["added"])


# ---- the journal (schema 8): the tables must agree with it ----

def journal_seq(path, type_, **match):
    """The seq of the journal entry of type_ whose payload has match."""
    db = sqlite3.connect(path)
    try:
        rows = db.execute("SELECT seq, payload FROM journal WHERE type = ? "
                          "ORDER BY seq", (type_,)).fetchall()
    finally:
        db.close()
    for seq, payload in rows:
        p = json.loads(payload)
        if all(p.get(k) == v for k, v in match.items()):
            return seq
    raise TestFailure("no %s journal entry with %r" % (type_, match))


def test_settlement_reference_changed(ctx):
    path, ids = copy_of(ctx, "settlement")
    seq = journal_seq(path, "proposal.settled", proposal=ids["pay"])
    edit(path, ("UPDATE proposals SET settlement = '0xbad' WHERE id = ?",
                (bytes.fromhex(ids["pay"]),)))
    assert_found(ctx, path, r"proposal %s: settlement reference '0xbad', "
                 r"but its proposal.settled journal entry %d says "
                 r"'0xfeed01'" % (ids["pay"], seq))


def test_vetoes_table_emptied_disagrees_with_the_journal(ctx):
    path, ids = copy_of(ctx, "vetoes-journal")
    seq = journal_seq(path, "veto.recorded", proposal=ids["vetoed"])
    edit(path, "DELETE FROM vetoes")
    assert_found(ctx, path, r"journal entry %d: the veto of 'cm-a' on "
                 r"proposal %s is missing from the vetoes table" %
                 (seq, ids["vetoed"]))


def test_vetoed_status_changed(ctx):
    path, ids = copy_of(ctx, "vetoed-status")
    edit(path, ("UPDATE proposals SET status = 'cancelled' WHERE id = ?",
                (bytes.fromhex(ids["vetoed"]),)))
    assert_found(ctx, path, r"proposal %s: status cancelled, but the "
                 r"journal says vetoed" % ids["vetoed"])


def test_freeze_lifted_in_the_table(ctx):
    path, _ = copy_of(ctx, "unfrozen")
    edit(path, "UPDATE treasuries SET frozen = 0, frozen_at = NULL")
    assert_found(ctx, path, r"treasury cm: not frozen, but the journal says "
                 r"frozen by freeze 1")


def test_journal_entry_deleted(ctx):
    path, ids = copy_of(ctx, "journal-deleted")
    seq = journal_seq(path, "proposal.executed", proposal=ids["batch"])
    edit(path, ("DELETE FROM journal WHERE seq = ?", (seq,)))
    assert_found(ctx, path, r"journal entry %d: entries %d\.\.%d are missing"
                 % (seq + 1, seq, seq),
                 r"proposal %s: status executed, but the journal says "
                 r"approved" % ids["batch"])


def test_journal_entries_reordered(ctx):
    path, _ = copy_of(ctx, "journal-reordered")
    edit(path, "UPDATE journal SET seq = seq + 100000 WHERE seq IN (3, 4)",
         "UPDATE journal SET seq = 100007 - seq WHERE seq > 100000")
    assert_found(ctx, path, r"journal entry 3: its hash does not chain",
                 r"journal entry 4: its hash does not chain")


def test_journal_payload_with_escape_sequence(ctx):
    path, ids = copy_of(ctx, "journal-escape")
    seq = journal_seq(path, "deposit", reference="d1")
    edit(path, ("UPDATE journal SET payload = replace(payload, '\"d1\"', "
                "'\"d1\\u001b]0;pwned\\u0007\\u001b[2J\"') WHERE seq = ?",
                (seq,)))
    out = assert_found(ctx, path,
                       r"journal entry %d: its hash does not chain" % seq,
                       r"reference 'd1\\u\{001B\}\]0;pwned\\u\{0007\}"
                       r"\\u\{001B\}\[2J'")
    assert_true("\x1b" not in out and "\x07" not in out, "%r" % out)
