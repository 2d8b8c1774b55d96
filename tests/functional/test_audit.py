"""Tamper evidence (docs/audit.md): the daemon's journal key, signed
checkpoints, `treasuryd audit verify` on a database file and
`treasuryctl audit export | verify` on an export.

A daemon runs a treasury's life cycle (deposits, an executed and settled
transfer, a vetoed one, a rejected one) with checkpoint_entries = 3 and
checkpoint_interval = 1, so that several checkpoints are signed and the
last one covers the whole journal. The daemon is stopped; COPIES of its
database are edited directly with Python's sqlite3, as an attacker with the
file would, and each edit must be reported (exit 1) while the untouched
copy passes (exit 0).

The hash chain is recomputed here in Python from docs/audit.md alone (no C
code), for the attacker who rewrites an entry and every later hash: only the
signed checkpoint gives that away.

The state tamperings of issue #13 (a debit's destination, an amount
lowered with the balances adjusted, a vetoed proposal's status, a
settlement reference, the vetoes emptied) must be reported by both
`treasuryd check` (meaning and journal agreement) and `audit verify`.
"""

# run.py skips every test here on PostgreSQL, saying why.
SQLITE_ONLY = "the journal key beside the SQLite file, tampering with the file, and treasuryd audit verify, which reads an SQLite file"


import hashlib
import json
import os
import shutil
import sqlite3
import stat
import time

import signers as sg
from cli_helpers import Ctl
from framework import assert_equal, assert_true, Node, TestFailure
from treasury_helpers import DAY_S, setup

JOURNAL_TAG = b"treasuryd/journal/v1"
CONF = "checkpoint_entries = 3\ncheckpoint_interval = 1\n"


def entry_bytes(row):
    seq, time_s, treasury, typ, token, signer, payload = row
    return ("seq=%d\ntime=%d\ntreasury=%s\ntype=%s\nactor_token=%s\n"
            "actor_signer=%s\npayload=%s\n" % (
                seq, time_s, treasury or "", typ, token or "", signer or "",
                payload)).encode()


def entry_hash(prev, row):
    t = hashlib.sha256(JOURNAL_TAG).digest()
    return hashlib.sha256(t + t + prev + entry_bytes(row)).digest()


def advance(node, seconds):
    r = node.post("/v1/test/clock", body={"advance_s": seconds})
    assert_equal(r.status, 200, "test clock: %r" % r)


def act_sign(signer, tag, pid):
    return signer.sign_digest(sg.tagged_hash(tag, bytes.fromhex(pid))).hex()


def transfer(c, amount, to):
    """A transfer proposal of treasury au (its expiry includes the spend
    delay, so the helpers' default-expiry check does not apply)."""
    r = c.propose("au", {"kind": "transfer", "asset": "USDC",
                         "amount": amount, "to": to})
    assert_equal(r.status, 201, "propose: %r" % r)
    assert_equal(sg.proposal_id(r.json["canonical"]).hex(), r.json["id"],
                 "id recomputed from the canonical text")
    return r.json


def journal_rows(path):
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        return db.execute("SELECT seq, created_at, treasury_id, type, "
                          "actor_token, actor_signer, payload, hash FROM "
                          "journal ORDER BY seq").fetchall()
    finally:
        db.close()


def last_seq(node):
    r = node.get("/v1/events?after=0&limit=500")
    assert_equal(r.status, 200, "events: %r" % r)
    seq = 0
    while True:
        events = r.json["events"]
        if events:
            seq = events[-1]["id"]
        if not r.json["next_cursor"]:
            return seq
        r = node.get("/v1/events?limit=500&cursor=" + r.json["next_cursor"])


def checkpoints(node):
    r = node.get("/v1/journal/checkpoints?limit=500")
    assert_equal(r.status, 200, "checkpoints: %r" % r)
    return r.json


def wait_all_signed(node, timeout_s=15):
    """Until the last checkpoint covers the last entry (the maintenance
    job signs the tail after checkpoint_interval)."""
    want = last_seq(node)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        got = checkpoints(node)["checkpoints"]
        if got and got[-1]["seq"] == want:
            return got
        time.sleep(0.2)
    raise TestFailure("no checkpoint of seq %d within %d s: %r"
                      % (want, timeout_s, checkpoints(node)))


class Life:
    """A stopped daemon's database after a full life cycle."""

    def __init__(self, ctx):
        self.ctx = ctx
        conf = os.path.join(ctx.root, "treasuryd.conf")
        with open(conf, "w") as f:
            f.write(CONF)
        node, c = setup(ctx, extra_args=["--config", conf,
                                         "--unsafe-test-clock"])
        self.node, self.c = node, c
        self.key_path = os.path.join(node.dir, "journal.key")
        st = os.stat(self.key_path)
        assert_equal(stat.S_IMODE(st.st_mode), 0o600, "journal.key mode")
        with open(self.key_path) as f:
            text = f.read()
        assert_true(len(text) == 65 and text.endswith("\n") and
                    all(ch in "0123456789abcdef" for ch in text[:64]),
                    "journal.key: 64 hex digits and a line feed")
        info = node.get("/v1/info")
        self.pubkey = info.json["journal_public_key"]
        assert_true(isinstance(self.pubkey, str) and len(self.pubkey) == 64,
                    "journal_public_key in /v1/info: %r" % info.json)
        assert_true(text[:64] not in node.stderr(), "the key is never logged")
        self.run()
        self.signed = wait_all_signed(node)
        page = checkpoints(node)
        assert_equal(page["public_key"], self.pubkey, "checkpoints' key")
        assert_true(len(self.signed) >= 3, "several checkpoints: %r"
                    % self.signed)

    def run(self):
        node, c = self.node, self.c
        c.asset_ok("USDC", 6)
        sigs = sg.signers("au", "eese")
        self.signers = sigs
        a, b, d, e = sigs
        r = node.post("/v1/treasuries", {
            "id": "au", "threshold": 2,
            "signers": [s.as_json() for s in sigs],
            "policy": {"timelock_spend_s": DAY_S}})
        assert_equal(r.status, 201, "treasury: %r" % r)
        c.nonces["au"] = 0
        for i in range(3):
            c.deposit_ok("au", "USDC", "100", "dep-%d" % i)
        # to be executed and settled (after the spend delay, below)
        p = transfer(c, "40", "dest-paid")
        c.approve_all(p["id"], [a, b])
        self.paid = p["id"]
        # vetoed
        q = transfer(c, "10", "dest-vetoed")
        c.approve_all(q["id"], [a, b])
        for s in (a, e):
            r = node.post("/v1/proposals/%s/vetoes" % q["id"],
                          {"signer": s.name, "signature": act_sign(
                              s, "treasuryd/veto/v1", q["id"])},
                          token=c.signer_token)
            assert_equal(r.status, 200, "veto: %r" % r)
        assert_equal(c.get_proposal(q["id"])["status"], "vetoed", "vetoed")
        self.vetoed = q["id"]
        # rejected
        x = transfer(c, "1", "dest-rejected")
        c.vote_ok(x["id"], b, decision="reject")
        c.vote_ok(x["id"], d, decision="reject")
        c.vote_ok(x["id"], e, decision="reject")
        advance(node, DAY_S + 1)
        c.execute_ok(p["id"])
        r = node.post("/v1/proposals/%s/settlement" % p["id"],
                      {"reference": "0x" + "ab" * 32}, token=c.treasurer)
        assert_true(r.status in (200, 201), "settlement: %r" % r)
        c.deposit_ok("au", "USDC", "5", "dep-last")

    def stop(self):
        self.node.stop()

    def copy(self, name):
        """A copy of the stopped daemon's database (with its side files)."""
        dst = os.path.join(self.node.dir, name + ".db")
        for suffix in ("", "-wal"):
            if os.path.exists(self.node.db_path + suffix):
                shutil.copyfile(self.node.db_path + suffix, dst + suffix)
                os.chmod(dst + suffix, 0o600)
        return dst

    def edit(self, name, sql_or_fn):
        path = self.copy(name)
        db = sqlite3.connect(path)
        try:
            if callable(sql_or_fn):
                sql_or_fn(db)
            else:
                db.executescript(sql_or_fn)
            db.commit()
        finally:
            db.close()
        return path

    def audit(self, path, *extra):
        args = ["audit", "verify", "--db", path]
        args += list(extra) if extra else ["--pubkey", self.pubkey]
        return self.ctx.run_treasuryd(args)

    def check(self, path):
        return self.ctx.run_treasuryd(["check", "--db", path])


def assert_reported(r, what, first_bad=None):
    assert_equal(r.returncode, 1, "%s: exit 1 wanted:\n%s%s"
                 % (what, r.stdout, r.stderr))
    assert_true("finding: " in r.stdout, "%s: a finding line:\n%s%s"
                % (what, r.stdout, r.stderr))
    if first_bad is not None:
        assert_true("the first bad sequence number is %d" % first_bad
                    in r.stderr, "%s: first bad seq %d:\n%s%s"
                    % (what, first_bad, r.stdout, r.stderr))


def assert_clean(r, what):
    assert_equal(r.returncode, 0, "%s: exit 0 wanted:\n%s%s"
                 % (what, r.stdout, r.stderr))
    assert_true("finding" not in r.stdout, "%s: no finding:\n%s"
                % (what, r.stdout))


def seq_of(rows, typ, nth=0):
    return [r[0] for r in rows if r[3] == typ][nth]


# ---- the journal: key, checkpoints, treasuryd audit verify ----

def test_untampered_database_passes_audit_and_check(ctx):
    life = Life(ctx)
    life.stop()
    path = life.copy("clean")
    r = life.audit(path)
    assert_clean(r, "audit verify of the untouched copy")
    rows = journal_rows(path)
    assert_true("%d entries (last seq %d)" % (len(rows), rows[-1][0])
                in r.stderr, "summary: " + r.stderr)
    assert_true("0 entries after the last checkpoint are not signed"
                in r.stderr, "all signed: " + r.stderr)
    # the default key: the key file beside the database
    assert_clean(life.audit(path, "--key", life.key_path), "--key")
    assert_clean(life.ctx.run_treasuryd(["audit", "verify", "--db", path]),
                 "the key file beside the database")
    assert_clean(life.check(path), "check of the untouched copy")
    # another key: every checkpoint fails, from the first seq
    other = "00" * 32
    r = life.audit(path, "--pubkey", "11" * 32)
    assert_reported(r, "another public key", first_bad=1)
    r = life.audit(path, "--pubkey", other[:-2])
    assert_equal(r.returncode, 2, "a malformed --pubkey is a usage error")
    # the hashes Python computes from docs/audit.md are the stored ones
    prev = bytes(32)
    for row in rows:
        prev = entry_hash(prev, row[:7])
        assert_equal(prev, row[7], "hash of seq %d from docs/audit.md"
                     % row[0])


def test_key_file_is_made_once_and_refused_when_readable(ctx):
    life = Life(ctx)
    life.stop()
    with open(life.key_path) as f:
        key = f.read()
    life.node.start()
    assert_equal(life.node.get("/v1/info").json["journal_public_key"],
                 life.pubkey, "the same key after a restart")
    life.node.stop()
    with open(life.key_path) as f:
        assert_equal(f.read(), key, "the key file is not rewritten")
    os.chmod(life.key_path, 0o640)
    life.node.allowed_error_patterns.append(r"journal key .* has mode 0640")
    life.node.start(wait=False)
    rc = life.node.proc.wait(timeout=30)
    life.node.proc = None
    life.node._stderr.close()
    assert_equal(rc, 1, "a key file readable by the group refuses the start")
    assert_true("journal key" in life.node.stderr() and "chmod 600" in
                life.node.stderr(), life.node.stderr()[-2000:])
    assert_true(key[:64] not in life.node.stderr(), "never logged")
    # a lost key: a new one is made, with a warning; the old checkpoints
    # verify only with the old public key
    os.unlink(life.key_path)
    life.node.start()
    life.c.deposit_ok("au", "USDC", "1", "after-the-new-key")
    new_pk = life.node.get("/v1/info").json["journal_public_key"]
    assert_true(new_pk != life.pubkey, "a new key")
    assert_true("did not sign the journal's last checkpoint" in
                life.node.stderr(), life.node.stderr()[-2000:])
    life.node.stop()
    path = life.copy("rekeyed")
    r = life.audit(path)
    assert_reported(r, "the old public key: the new key's checkpoint")
    assert_true("the signature does not verify" in r.stdout, r.stdout)
    assert_true("signed up to seq %d" % life.signed[-1]["seq"] in r.stderr,
                "the old key's checkpoints still verify: " + r.stderr)
    assert_reported(life.audit(path, "--pubkey", new_pk), "the new key",
                    first_bad=1)


def test_edited_payload_is_reported(ctx):
    life = Life(ctx)
    life.stop()
    rows = journal_rows(life.node.db_path)
    k = seq_of(rows, "deposit", 1)
    path = life.edit("payload", "UPDATE journal SET payload = "
                     "replace(payload, '100000000', '900000000') "
                     "WHERE seq = %d" % k)
    assert_true(journal_rows(path)[k - 1][6] != rows[k - 1][6], "edited")
    r = life.audit(path)
    assert_reported(r, "an edited payload", first_bad=k)
    assert_true("seq %d (deposit): the stored hash does not match" % k
                in r.stdout, r.stdout)


def test_deleted_entry_is_reported(ctx):
    life = Life(ctx)
    life.stop()
    rows = journal_rows(life.node.db_path)
    k = seq_of(rows, "proposal.voted", 0)
    path = life.edit("deleted", "DELETE FROM journal WHERE seq = %d" % k)
    r = life.audit(path)
    assert_reported(r, "a deleted entry", first_bad=k)
    assert_true("seq %d..%d: missing" % (k, k) in r.stdout, r.stdout)


def test_reordered_entries_are_reported(ctx):
    life = Life(ctx)
    life.stop()
    rows = journal_rows(life.node.db_path)
    a = seq_of(rows, "deposit", 0)
    b = seq_of(rows, "deposit", 2)
    path = life.edit("swapped",
                     "UPDATE journal SET seq = 1000000 WHERE seq = %d;"
                     "UPDATE journal SET seq = %d WHERE seq = %d;"
                     "UPDATE journal SET seq = %d WHERE seq = 1000000;"
                     % (a, a, b, b))
    r = life.audit(path)
    assert_reported(r, "two entries swapped", first_bad=a)
    assert_true("seq %d (deposit)" % a in r.stdout, r.stdout)


def test_recomputed_chain_is_caught_by_the_signed_checkpoint(ctx):
    life = Life(ctx)
    life.stop()
    rows = journal_rows(life.node.db_path)
    k = seq_of(rows, "deposit", 1)

    def rewrite(db):
        prev = bytes(32)
        for row in db.execute("SELECT seq, created_at, treasury_id, type, "
                              "actor_token, actor_signer, payload FROM "
                              "journal ORDER BY seq").fetchall():
            row = list(row)
            if row[0] == k:
                row[6] = row[6].replace("100000000", "1000000")
                db.execute("UPDATE journal SET payload = ? WHERE seq = ?",
                           (row[6], k))
            prev = entry_hash(prev, row)
            db.execute("UPDATE journal SET hash = ? WHERE seq = ?",
                       (prev, row[0]))

    path = life.edit("rechained", rewrite)
    signed = [cp["seq"] for cp in life.signed]
    before = max([s for s in signed if s < k] or [0])
    after = min(s for s in signed if s >= k)
    r = life.audit(path)
    assert_reported(r, "a recomputed chain", first_bad=before + 1)
    assert_true("checkpoint at seq %d: its signed hash differs" % after
                in r.stdout, r.stdout)
    assert_true("stored hash does not match" not in r.stdout,
                "each row chains to the one before: " + r.stdout)

    # and the checkpoints' hashes rewritten too: the signatures fail
    def recheckpoint(db):
        db.execute("UPDATE journal_checkpoints SET hash = (SELECT hash FROM "
                   "journal WHERE journal.seq = journal_checkpoints.seq)")

    db = sqlite3.connect(path)
    recheckpoint(db)
    db.commit()
    db.close()
    r = life.audit(path)
    assert_reported(r, "rewritten checkpoints", first_bad=before + 1)
    assert_true("checkpoint at seq %d: the signature does not verify"
                % after in r.stdout, r.stdout)


def test_deleted_tail_is_reported(ctx):
    life = Life(ctx)
    life.stop()
    rows = journal_rows(life.node.db_path)
    last = rows[-1][0]
    path = life.edit("tail", "DELETE FROM journal WHERE seq >= %d" % last)
    r = life.audit(path)
    assert_reported(r, "a deleted last entry", first_bad=last)
    assert_true("the journal ends at seq %d" % (last - 1) in r.stdout,
                r.stdout)


def test_findings_are_escaped(ctx):
    life = Life(ctx)
    life.stop()
    rows = journal_rows(life.node.db_path)
    k = seq_of(rows, "deposit", 0)
    path = life.edit("controls", "UPDATE journal SET type = 'dep' || "
                     "char(27) || '[2J' || char(10) || 'osit' WHERE seq = %d"
                     % k)
    r = life.audit(path)
    assert_reported(r, "a type with terminal controls", first_bad=k)
    assert_true("\x1b" not in r.stdout + r.stderr, "no raw ESC: %r"
                % r.stdout)


# ---- treasuryctl audit export | verify ----

def test_export_and_offline_verify(ctx):
    """Needs GET /v1/journal (engineer J's branch). More than one page
    (500) of entries, so that the export pages."""
    life = Life(ctx)
    node = life.node
    for i in range(510):
        r = life.c.deposit("au", "USDC", "0.000001", "page-%d" % i)
        assert_equal(r.status, 201, "deposit: %r" % r)
    life.signed = wait_all_signed(node)
    ctl = Ctl(ctx, "http://127.0.0.1:%d" % node.port, token=life.c.viewer)
    out = os.path.join(ctl.home, "journal.jsonl")
    ctl.ok("audit", "export", "--out", out)
    assert_equal(stat.S_IMODE(os.stat(out).st_mode), 0o600, "export mode")
    r = ctl.run("audit", "export", "--out", out)
    assert_equal(r.rc, 2, "an existing file is never overwritten: %r" % r)
    with open(out) as f:
        lines = [json.loads(line) for line in f]
    assert_equal(lines[0], {"format": "treasuryd-journal-export/v1",
                            "public_key": life.pubkey}, "header")
    entries = [x["entry"] for x in lines if "entry" in x]
    cps = [x["checkpoint"] for x in lines if "checkpoint" in x]
    assert_equal([e["seq"] for e in entries],
                 list(range(1, len(entries) + 1)), "every entry, in order")
    assert_equal(cps, life.signed, "every checkpoint")
    life.stop()
    r = ctl.run("audit", "verify", out, "--pubkey", life.pubkey, url=False)
    assert_equal(r.rc, 0, "the untouched export verifies: %r" % r)
    assert_true("0 findings" in r.out + r.err, repr(r))
    r = ctl.run("audit", "verify", out, url=False)
    assert_equal(r.rc, 2, "--pubkey is required: %r" % r)
    r = ctl.run("audit", "verify", out, "--pubkey", "11" * 32, url=False)
    assert_equal(r.rc, 1, "another key: %r" % r)

    def tampered(name, fn):
        path = os.path.join(ctl.home, name + ".jsonl")
        with open(out) as f:
            text = [json.loads(line) for line in f]
        fn(text)
        with open(path, "w") as f:
            for x in text:
                f.write(json.dumps(x, sort_keys=True,
                                   separators=(",", ":")) + "\n")
        return ctl.run("audit", "verify", path, "--pubkey", life.pubkey,
                       url=False)

    deposit = [e["seq"] for e in entries if e["type"] == "deposit"][1]

    def edit_text(text):
        e = text[deposit]["entry"]
        e["payload_text"] = e["payload_text"].replace("100000000", "1")
        e["payload"] = json.loads(e["payload_text"])

    r = tampered("text", edit_text)
    assert_equal(r.rc, 1, "an edited payload_text: %r" % r)
    assert_true("the first bad sequence number is %d" % deposit in r.out +
                r.err, repr(r))

    def edit_shown(text):
        text[deposit]["entry"]["payload"]["amount_minor"] = "1"

    r = tampered("shown", edit_shown)
    assert_equal(r.rc, 1, "payload no longer payload_text: %r" % r)
    assert_true("differs from its payload_text" in r.out, repr(r))

    r = tampered("dropped", lambda text: text.pop(deposit))
    assert_equal(r.rc, 1, "a dropped entry: %r" % r)

    def controls(text):
        text[deposit]["entry"]["type"] = "x\x1b[2Jy"

    r = tampered("controls", controls)
    assert_equal(r.rc, 1, "a type with controls: %r" % r)
    assert_true("\x1b" not in r.out + r.err, "escaped: %r" % r)


# ---- state tamperings (issue #13): both check and audit verify ----

def state_case(ctx, name, edit):
    life = Life(ctx)
    life.stop()
    path = life.edit(name, edit(life))
    assert_reported(life.check(path), "treasuryd check: " + name)
    assert_reported(life.audit(path), "treasuryd audit verify: " + name)


def test_state_debit_destination_rewritten(ctx):
    """A transfer's debit sent elsewhere: not what its canonical text says."""
    state_case(ctx, "destination", lambda life:
               "UPDATE ledger SET to_dest = 'dest-attacker' "
               "WHERE kind = 'transfer'")


def test_state_amount_lowered_with_balances_adjusted(ctx):
    """A debit lowered, every later balance adjusted so the arithmetic
    holds: the canonical text still says 40."""
    def edit(life):
        def fn(db):
            # the debit of 40 USDC becomes 30; every later balance_after
            # and the balance grow by 10, so the arithmetic still holds
            seq, = db.execute("SELECT seq FROM ledger WHERE kind = "
                              "'transfer'").fetchone()
            db.execute("UPDATE ledger SET amount = '30000000' WHERE seq = ?",
                       (seq,))
            for s, after in db.execute(
                    "SELECT seq, balance_after FROM ledger WHERE seq >= ? "
                    "AND treasury_id = 'au' AND asset = 'USDC'",
                    (seq,)).fetchall():
                db.execute("UPDATE ledger SET balance_after = ? WHERE "
                           "seq = ?", (str(int(after) + 10000000), s))
            amount, = db.execute("SELECT amount FROM balances WHERE "
                                 "treasury_id = 'au'").fetchone()
            db.execute("UPDATE balances SET amount = ? WHERE treasury_id = "
                       "'au'", (str(int(amount) + 10000000),))
        return fn
    state_case(ctx, "amount", edit)


def test_state_vetoed_proposal_changed(ctx):
    """A vetoed proposal set back to approved: the journal says vetoed."""
    state_case(ctx, "vetoed", lambda life:
               "UPDATE proposals SET status = 'approved', approved_at = "
               "coalesce(approved_at, created_at) WHERE id = x'%s'"
               % life.vetoed)


def test_state_settlement_reference_changed(ctx):
    """A settlement reference rewritten: the journal says otherwise."""
    state_case(ctx, "settlement", lambda life:
               "UPDATE proposals SET settlement = '0xattacker' WHERE id = "
               "x'%s'" % life.paid)


def test_state_vetoes_emptied(ctx):
    """The vetoes table emptied: the journal records each veto."""
    state_case(ctx, "vetoes", lambda life: "DELETE FROM vetoes")


def test_check_reports_journal_tampering(ctx):
    """treasuryd check runs the journal verifier (journal_verify_db in
    storage/audit_int.h) without a key."""
    life = Life(ctx)
    life.stop()
    rows = journal_rows(life.node.db_path)
    k = seq_of(rows, "deposit", 1)
    a, b = seq_of(rows, "deposit", 0), seq_of(rows, "deposit", 2)
    for name, sql in [
            ("c-payload", "UPDATE journal SET payload = replace(payload, "
             "'100000000', '900000000') WHERE seq = %d" % k),
            ("c-deleted", "DELETE FROM journal WHERE seq = %d" % k),
            ("c-swapped", "UPDATE journal SET seq = 1000000 WHERE seq = %d;"
             "UPDATE journal SET seq = %d WHERE seq = %d;"
             "UPDATE journal SET seq = %d WHERE seq = 1000000;"
             % (a, a, b, b))]:
        path = life.edit(name, sql)
        assert_reported(life.check(path), "treasuryd check: " + name)
        assert_reported(life.audit(path), "treasuryd audit verify: " + name)


# ---- checkpoints deleted after a rewrite (docs/audit.md 6) ----

def rechain_from(db, k, edit_payload=True):
    """The attacker's rewrite: lower deposit dep-1 (entry k) from 100 to 1
    USDC in the journal, the ledger and the balance, recompute every hash
    from k on, and delete every checkpoint of seq >= k (the ones that
    would give the rewrite away)."""
    ls = db.execute("SELECT seq FROM ledger WHERE reference = 'dep-1'"
                    ).fetchone()[0]
    diff = 99000000
    db.execute("UPDATE ledger SET amount = '1000000' WHERE seq = ?", (ls,))
    for s, b in db.execute("SELECT seq, balance_after FROM ledger WHERE "
                           "seq >= ?", (ls,)).fetchall():
        db.execute("UPDATE ledger SET balance_after = ? WHERE seq = ?",
                   (str(int(b) - diff), s))
    b = db.execute("SELECT amount FROM balances WHERE treasury_id = 'au'"
                   ).fetchone()[0]
    db.execute("UPDATE balances SET amount = ? WHERE treasury_id = 'au'",
               (str(int(b) - diff),))
    p = db.execute("SELECT payload FROM journal WHERE seq = ?", (k,)
                   ).fetchone()[0]
    assert_true('"100000000"' in p, "dep-1's payload: " + p)
    db.execute("UPDATE journal SET payload = ? WHERE seq = ?",
               (p.replace('"100000000"', '"1000000"'), k))
    prev = bytes(32)
    for row in db.execute("SELECT seq, created_at, treasury_id, type, "
                          "actor_token, actor_signer, payload FROM journal "
                          "ORDER BY seq").fetchall():
        prev = entry_hash(prev, list(row))
        db.execute("UPDATE journal SET hash = ? WHERE seq = ?",
                   (prev, row[0]))
    db.execute("DELETE FROM journal_checkpoints WHERE seq >= ?", (k,))


def refused_start(ctx, path, conf, pattern):
    """A daemon started on path must refuse (exit 1), logging pattern."""
    node = Node(ctx, name="refused-%d" % int(time.monotonic() * 1000),
                db_path=path, extra_args=["--config", conf])
    node.start(wait=False)
    rc = node.proc.wait(timeout=30)
    node.proc = None
    node._stderr.close()
    err = node.stderr()
    assert_equal(rc, 1, "the daemon must refuse to start:\n" + err[-3000:])
    assert_true(pattern in err, "%r in the log:\n%s" % (pattern, err[-3000:]))
    assert_true("treasuryd audit verify" in err, "says what to do: " + err)
    return err


def test_rewrite_with_checkpoints_deleted_is_reported(ctx):
    """The hostile review's attack: entries rewritten from k on, the later
    hashes recomputed, the balances adjusted and every checkpoint of seq
    >= k deleted. Every checkpoint left verifies; only the number of
    entries no valid checkpoint covers (>= checkpoint_entries, which the
    daemon never leaves) gives it away, to both verifiers."""
    life = Life(ctx)
    conf = os.path.join(ctx.root, "treasuryd.conf")
    ctl = Ctl(ctx, "http://127.0.0.1:%d" % life.node.port,
              token=life.c.viewer)
    out = os.path.join(ctl.home, "journal.jsonl")
    ctl.ok("audit", "export", "--out", out)
    life.stop()
    rows = journal_rows(life.node.db_path)
    k = seq_of(rows, "deposit", 1)
    signed = [cp["seq"] for cp in life.signed]
    before = max([s for s in signed if s < k] or [0])
    assert_true(rows[-1][0] - before >= 3, "the attack leaves >= 3 entries "
                "uncovered: %r, k %d" % (signed, k))
    path = life.edit("laundered", lambda db: rechain_from(db, k))
    want = "seq %d..%d: %d entries are not covered by a valid checkpoint" % (
        before + 1, rows[-1][0], rows[-1][0] - before)
    for extra in (["--config", conf], ["--checkpoint-entries", "3"]):
        r = life.audit(path, "--pubkey", life.pubkey, *extra)
        assert_reported(r, "treasuryd audit verify %r" % extra,
                        first_bad=before + 1)
        assert_true(want in r.stdout, r.stdout)
    # the daemon's default (1000) does not apply to a daemon that ran
    # with 3: the bound is the daemon's own setting (docs/audit.md 6)
    r = life.audit(path, "--pubkey", life.pubkey, "--checkpoint-entries",
                   "1000")
    assert_true(want.split(":")[0] not in r.stdout, r.stdout)
    r = life.audit(path, "--pubkey", life.pubkey, "--checkpoint-entries", "0")
    assert_equal(r.returncode, 2, "a bad --checkpoint-entries: %r" % r)

    # the same attack on the export, verified offline
    with open(out) as f:
        lines = [json.loads(line) for line in f]
    entries = [x["entry"] for x in lines if "entry" in x]
    prev = bytes(32)
    for e in entries:
        if e["seq"] == k:
            e["payload_text"] = e["payload_text"].replace('"100000000"',
                                                          '"1000000"')
            e["payload"] = json.loads(e["payload_text"])
        prev = entry_hash(prev, [e["seq"], e["time_s"], e["treasury"],
                                 e["type"], e["actor"]["token"],
                                 e["actor"]["signer"], e["payload_text"]])
        e["hash"] = prev.hex()
    lines = [x for x in lines if "checkpoint" not in x or
             x["checkpoint"]["seq"] < k]
    forged = os.path.join(ctl.home, "laundered.jsonl")
    with open(forged, "w") as f:
        for x in lines:
            f.write(json.dumps(x, sort_keys=True, separators=(",", ":")) +
                    "\n")
    r = ctl.run("audit", "verify", forged, "--pubkey", life.pubkey,
                "--checkpoint-entries", "3", url=False)
    assert_equal(r.rc, 1, "treasuryctl audit verify: %r" % r)
    assert_true(want in r.out, repr(r))
    assert_true("the first bad sequence number is %d" % (before + 1) in
                r.out + r.err, repr(r))
    r = ctl.run("audit", "verify", out, "--pubkey", life.pubkey,
                "--checkpoint-entries", "3", url=False)
    assert_equal(r.rc, 0, "the untouched export: %r" % r)
    r = ctl.run("audit", "verify", forged, "--pubkey", life.pubkey,
                "--checkpoint-entries", "x", url=False)
    assert_equal(r.rc, 2, "a bad --checkpoint-entries: %r" % r)


def test_daemon_refuses_to_sign_an_unverified_tail(ctx):
    """The daemon checks the entries after the last checkpoint before it
    signs anything: it refuses to start on the attacked file (which it
    would otherwise sign at its next checkpoint, erasing the evidence),
    on a tail whose hashes do not recompute, on a last checkpoint whose
    hash is not its entry's, and on a last checkpoint its key did not
    sign; an intact copy starts."""
    life = Life(ctx)
    conf = os.path.join(ctx.root, "treasuryd.conf")
    life.stop()
    rows = journal_rows(life.node.db_path)
    k = seq_of(rows, "deposit", 1)
    signed = [cp["seq"] for cp in life.signed]
    intact = life.copy("intact")

    path = life.edit("laundered", lambda db: rechain_from(db, k))
    err = refused_start(ctx, path, conf, "follow the last checkpoint")
    assert_true("start once with checkpoint_entries above" in err, err)
    assert_equal([c[0] for c in sqlite3.connect(path).execute(
        "SELECT seq FROM journal_checkpoints WHERE seq >= ?", (k,))], [],
        "nothing signed over the rewrite")
    # the same rewrite with the last checkpoint kept: its hash is no
    # longer the stored one
    def keep_last(db):
        last = db.execute("SELECT * FROM journal_checkpoints ORDER BY seq "
                          "DESC LIMIT 1").fetchone()
        rechain_from(db, k)
        db.execute("INSERT INTO journal_checkpoints VALUES (?, ?, ?, ?)",
                   last)
    path = life.edit("kept-last", keep_last)
    refused_start(ctx, path, conf, "signs a hash that is not the stored hash")

    # an entry after the last checkpoint edited, its hash left alone. The
    # checkpoint thread's gaps depend on timing (3 or more entries apart),
    # so the tail is cut to fewer than checkpoint_entries: the daemon
    # recomputes such a tail instead of refusing it as too long.
    prev_ck = signed[-2]
    edited = min(signed[-1], prev_ck + 2)
    path = life.edit("tail-edited", "DELETE FROM journal_checkpoints WHERE "
                     "seq > %d; DELETE FROM journal WHERE seq > %d; "
                     "UPDATE journal SET created_at = created_at + 1 WHERE "
                     "seq = %d" % (prev_ck, edited, edited))
    refused_start(ctx, path, conf, "entry %d after the last checkpoint "
                  "(seq %d)" % (edited, prev_ck))

    # a checkpoint row inserted at the end, not signed by the key
    def fake(db):
        rechain_from(db, k)
        h = db.execute("SELECT seq, hash FROM journal ORDER BY seq DESC "
                       "LIMIT 1").fetchone()
        db.execute("INSERT INTO journal_checkpoints VALUES (?, ?, 0, ?)",
                   (h[0], h[1], bytes(64)))
    path = life.edit("fake-checkpoint", fake)
    refused_start(ctx, path, conf, "did not sign the journal's last "
                  "checkpoint")

    # the intact copy starts, and signs on
    node = Node(ctx, name="intact", db_path=intact,
                extra_args=["--config", conf])
    node.start()
    r = node.get("/v1/info")
    assert_equal(r.json["journal_public_key"], life.pubkey, "same key")
    node.stop()
    assert_clean(life.audit(intact, "--checkpoint-entries", "3", "--pubkey",
                            life.pubkey), "the intact copy after a restart")


def test_verify_export_seq_overflow_is_malformed(ctx):
    """A crafted export: an entry of seq 2^63 - 1, then another. No seq
    can follow it: reported as malformed, never computed past it."""
    ctl = Ctl(ctx, "http://127.0.0.1:1", token="none")
    pk = "11" * 32
    big = 2 ** 63 - 1

    def entry(seq, prev):
        row = [seq, 1800000000, None, "asset.created", "admin", None,
               '{"asset":"USDC","chain":"ethereum","decimals":6}']
        h = entry_hash(prev, row)
        return h, {"entry": {
            "seq": seq, "time_s": row[1], "created_at":
            "2027-01-15T08:00:00Z", "treasury": None, "type": row[3],
            "actor": {"token": "admin", "signer": None},
            "payload": json.loads(row[6]), "payload_text": row[6],
            "hash": h.hex()}}

    h1, e1 = entry(big, bytes(32))
    _, e2 = entry(1, h1)
    path = os.path.join(ctl.home, "overflow.jsonl")
    with open(path, "w") as f:
        for x in ({"format": "treasuryd-journal-export/v1",
                   "public_key": pk}, e1, e2):
            f.write(json.dumps(x, sort_keys=True, separators=(",", ":")) +
                    "\n")
    r = ctl.run("audit", "verify", path, "--pubkey", pk, url=False)
    assert_equal(r.rc, 1, "a finding: %r" % r)
    assert_true("malformed entry after seq %d (no sequence number can "
                "follow it)" % big in r.out, repr(r))


def test_first_start_signs_a_journal_no_key_ever_signed(ctx):
    """A journal without any checkpoint and longer than checkpoint_entries
    is what the first start after an upgrade finds (the schema 8 migration
    moves the old events in) or after many `treasuryd token` runs before
    any start. With the daemon's own key already there it is refused (the
    checkpoints were deleted); with a key made at this very start nothing
    was ever signed, so the first checkpoint signs it, the log says so, and
    the journal verifies with the new public key."""
    life = Life(ctx)
    conf = os.path.join(ctx.root, "treasuryd.conf")
    life.stop()
    n = len(journal_rows(life.node.db_path))
    assert_true(n > 3, "more entries than checkpoint_entries: %d" % n)
    path = life.edit("never-signed", "DELETE FROM journal_checkpoints")
    refused_start(ctx, path, conf, "follow the last checkpoint")

    d = ctx.tmpdir("fresh-key")
    fresh = os.path.join(d, "treasury.db")
    shutil.copyfile(path, fresh)
    os.chmod(fresh, 0o600)
    node = Node(ctx, name="fresh-key", db_path=fresh,
                extra_args=["--config", conf])
    node._admin_token = life.node.admin_token
    node.start()
    pk = node.get("/v1/info").json["journal_public_key"]
    assert_true(pk != life.pubkey, "a new key was made")
    assert_true("were never signed" in node.stderr(), node.stderr()[-2000:])
    wait_all_signed(node)
    node.stop()
    assert_clean(life.audit(fresh, "--checkpoint-entries", "3", "--pubkey",
                            pk), "signed by the new key at its first start")
    r = life.audit(fresh, "--checkpoint-entries", "3", "--pubkey",
                   life.pubkey)
    assert_equal(r.returncode, 1, "the old key did not sign it: %r" % r)
