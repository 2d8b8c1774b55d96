/*
 * audit.c: the journal verifier (treasury/audit.h, audit_int.h; the rules
 * in docs/audit.md).
 *
 * One pass over the journal in seq order, merged with one pass over the
 * checkpoints in seq order. Two hashes are carried along:
 *
 *   local: H(the STORED hash of the row before || this row's bytes),
 *          compared with this row's stored hash. A mismatch points at the
 *          row itself: its fields were edited, or it was moved to another
 *          seq (a swap of two seqs breaks both rows). The rows around it
 *          still match, so each edit is reported where it is.
 *   chain: H(the RECOMPUTED chain hash before || this row's bytes), from
 *          32 zero bytes at seq 0: what the daemon wrote if nothing was
 *          changed. A checkpoint must name exactly it; an attacker who
 *          rewrote entries and recomputed every later hash passes the
 *          local check but not a signed checkpoint.
 *
 * Nothing read is trusted to be well formed: a column of another type or
 * size is a finding about its row, never an assert.
 */
#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "treasury/hex.h"
#include "treasury/textsafe.h"

#include "audit_int.h"

enum {
	AUDIT_FINDING_MAX_BYTES = 512,
	AUDIT_ESCAPED_MAX_BYTES = 8 * AUDIT_FINDING_MAX_BYTES,
};

static const char entries_sql[] = "SELECT seq, created_at, treasury_id, "
    "type, actor_token, actor_signer, payload, hash FROM journal ORDER BY seq";
static const char checkpoints_sql[] = "SELECT seq, hash, created_at, "
    "signature FROM journal_checkpoints ORDER BY seq";

struct auditor {
	const uint8_t *pk;		/* NULL: signatures not checked */
	unsigned npk;			/* keys at pk, each 32 bytes */
	void (*finding)(const char *, void *);
	void *ctx;
	struct journal_report *r;
	struct db_stmt *cks;		/* the checkpoint cursor */
	bool ck_valid;			/* ck holds the next checkpoint */
	bool ck_done;
	struct checkpoint_record ck;
	uint8_t chain[DIGEST_BYTES];	/* recomputed from seq 1 */
	uint8_t prev_stored[DIGEST_BYTES];
	bool chain_reported;		/* a finding explains later mismatches */
	int64_t good_checkpoint_seq;	/* the last checkpoint that verified */
};

static void
audit_report(struct auditor *a, int64_t bad_seq, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* One finding, escaped (it may quote a stored type); bad_seq (>= 1) is
 * the sequence number it puts at fault. */
static void
audit_report(struct auditor *a, int64_t bad_seq, const char *fmt, ...)
{
	char text[AUDIT_FINDING_MAX_BYTES];
	struct textbuf safe;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	a->r->findings++;
	if (bad_seq >= 1 && (a->r->first_bad_seq == 0 ||
	    bad_seq < a->r->first_bad_seq))
		a->r->first_bad_seq = bad_seq;
	if (a->finding == NULL)
		return;
	textbuf_init(&safe, AUDIT_ESCAPED_MAX_BYTES + 1);
	if (text_escape_append(&safe, text, strlen(text), 0) != TREASURY_OK)
		a->finding("(a finding that cannot be shown: out of memory)",
		    a->ctx);
	else
		a->finding(safe.len > 0 ? safe.data : "", a->ctx);
	textbuf_free(&safe);
}

/* A TEXT column (NULL: "") of at most max bytes without NUL into out. */
static bool
text_col(struct db_stmt *st, int col, size_t max, char *out)
{
	int type = db_column_type(st, col);
	const unsigned char *t;
	int len;

	out[0] = '\0';
	if (type == DB_NULL)
		return true;
	if (type != DB_TEXT)
		return false;
	t = db_column_text(st, col);
	len = db_column_bytes(st, col);
	if (t == NULL || len < 0 || (size_t)len > max ||
	    memchr(t, '\0', (size_t)len) != NULL)
		return false;
	memcpy(out, t, (size_t)len);
	out[len] = '\0';
	return true;
}

static bool
blob_col(struct db_stmt *st, int col, size_t len, uint8_t *out)
{
	const void *b;

	if (db_column_type(st, col) != DB_BLOB ||
	    db_column_bytes(st, col) != (int)len)
		return false;
	b = db_column_blob(st, col);
	if (b == NULL)
		return false;
	memcpy(out, b, len);
	return true;
}

static bool
int_col(struct db_stmt *st, int col, int64_t min, int64_t *out)
{
	if (db_column_type(st, col) != DB_INTEGER)
		return false;
	*out = db_column_int64(st, col);
	return *out >= min;
}

/* The next checkpoint into a->ck (a->ck_done at the end). A malformed
 * row is a finding and is passed over. */
static treasury_err
checkpoint_next(struct auditor *a)
{
	struct db_stmt *st = a->cks;
	int64_t seq;
	int rc;

	a->ck_valid = false;
	while (!a->ck_done) {
		rc = db_step(st);
		if (rc == DB_DONE) {
			a->ck_done = true;
			break;
		}
		if (rc != DB_ROW)
			return store_err_from_rc(rc);
		a->r->checkpoints++;
		seq = db_column_int64(st, 0);
		if (int_col(st, 0, 1, &a->ck.seq) &&
		    blob_col(st, 1, DIGEST_BYTES, a->ck.hash) &&
		    int_col(st, 2, 0, &a->ck.time_s) &&
		    blob_col(st, 3, JOURNAL_SIGNATURE_BYTES, a->ck.signature)) {
			a->ck_valid = true;
			break;
		}
		audit_report(a, seq >= 1 ? seq : 1, "checkpoint at seq %" PRId64
		    ": malformed row (a column of another type or size than "
		    "the daemon writes): the checkpoint was edited", seq);
	}
	return TREASURY_OK;
}

/* Whether one of the auditor's keys signed ck. */
static bool
signed_by_one(const struct auditor *a, const struct checkpoint_record *ck)
{
	for (unsigned i = 0; i < a->npk; i++)
		if (journal_checkpoint_verify(ck->signature,
		    a->pk + (size_t)i * JOURNAL_PUBLIC_KEY_BYTES, ck->seq,
		    ck->hash, ck->time_s))
			return true;
	return false;
}

/* The checkpoint a->ck, whose entry is the current one with the
 * recomputed chain hash a->chain. */
static void
checkpoint_check(struct auditor *a)
{
	const struct checkpoint_record *ck = &a->ck;
	int64_t from = a->good_checkpoint_seq + 1;

	if (a->pk != NULL && !signed_by_one(a, ck)) {
		audit_report(a, from, "checkpoint at seq %" PRId64 ": the "
		    "signature does not verify with the journal public key "
		    "(the checkpoint was edited, or signed by another key); "
		    "entries %" PRId64 "..%" PRId64 " are not proven", ck->seq,
		    from, ck->seq);
		return;
	}
	if (memcmp(ck->hash, a->chain, DIGEST_BYTES) != 0) {
		if (!a->chain_reported)
			audit_report(a, from, "checkpoint at seq %" PRId64 ": "
			    "its signed hash differs from the chain recomputed "
			    "from the entries: entries %" PRId64 "..%" PRId64
			    " were rewritten (hashes recomputed after an edit, "
			    "a deletion or a reordering)", ck->seq, from,
			    ck->seq);
		a->chain_reported = true;
		return;
	}
	a->r->checkpoints_verified++;
	a->r->signed_seq = ck->seq;
	a->good_checkpoint_seq = ck->seq;
}

/* Checkpoints before seq name entries that are not there. */
static treasury_err
checkpoints_before(struct auditor *a, int64_t seq)
{
	treasury_err err = TREASURY_OK;

	while (a->ck_valid && a->ck.seq < seq) {
		audit_report(a, a->ck.seq, "checkpoint at seq %" PRId64 ": "
		    "its entry is missing (deleted)", a->ck.seq);
		err = checkpoint_next(a);
		if (err != TREASURY_OK)
			break;
	}
	return err;
}

/* The entry of the current row into e (strings in the caller's buffers)
 * and its stored hash. false: malformed. */
static bool
entry_read(struct db_stmt *st, struct journal_entry *e, uint8_t hash[DIGEST_BYTES])
{
	const unsigned char *p;
	int len;

	if (!int_col(st, 0, 1, &e->seq) || !int_col(st, 1, 0, &e->time_s) ||
	    !text_col(st, 2, TREASURY_ID_MAX_BYTES, e->treasury) ||
	    db_column_type(st, 3) != DB_TEXT ||
	    !text_col(st, 3, JOURNAL_TYPE_MAX_BYTES, e->type) ||
	    !text_col(st, 4, TOKEN_NAME_MAX_BYTES, e->actor_token) ||
	    !text_col(st, 5, SIGNER_NAME_MAX_BYTES, e->actor_signer) ||
	    db_column_type(st, 6) != DB_TEXT ||
	    !blob_col(st, 7, DIGEST_BYTES, hash))
		return false;
	p = db_column_text(st, 6);
	len = db_column_bytes(st, 6);
	if (p == NULL || len < 0 || (size_t)len > JOURNAL_PAYLOAD_MAX_BYTES)
		return false;
	e->payload = (const char *)p;
	e->payload_len = (size_t)len;
	return true;
}

/* One journal row. */
static treasury_err
entry_check(struct auditor *a, struct db_stmt *st)
{
	struct journal_entry e;
	uint8_t stored[DIGEST_BYTES], local[DIGEST_BYTES];
	int64_t expected;
	treasury_err err;

	memset(&e, 0, sizeof(e));
	a->r->entries++;
	if (a->r->last_seq == INT64_MAX) {	/* no seq can follow it */
		audit_report(a, INT64_MAX, "seq %" PRId64 ": malformed entry after "
		    "seq %" PRId64 " (no sequence number can follow it): the "
		    "journal was edited", db_column_int64(st, 0),
		    a->r->last_seq);
		a->chain_reported = true;
		return TREASURY_OK;
	}
	expected = a->r->last_seq + 1;
	if (!entry_read(st, &e, stored) || !journal_entry_valid(&e)) {
		int64_t seq = db_column_int64(st, 0);
		audit_report(a, seq >= expected ? seq : expected, "seq %" PRId64
		    ": malformed entry (a field of another type, size or "
		    "character set than the daemon writes): the entry was "
		    "edited", seq);
		a->chain_reported = true;
		if (seq >= expected)
			a->r->last_seq = seq;
		memset(a->chain, 0xff, DIGEST_BYTES);	/* no longer known */
		if (blob_col(st, 7, DIGEST_BYTES, stored))
			memcpy(a->prev_stored, stored, DIGEST_BYTES);
		return TREASURY_OK;
	}
	bool gap = e.seq > expected;

	if (gap) {
		audit_report(a, expected, "seq %" PRId64 "..%" PRId64 ": missing"
		    " (entries deleted, or moved to other seqs)", expected,
		    e.seq - 1);
		a->chain_reported = true;
	}
	err = checkpoints_before(a, e.seq);
	if (err != TREASURY_OK)
		return err;
	if (journal_entry_hash(local, a->prev_stored, &e) != TREASURY_OK ||
	    journal_entry_hash(a->chain, a->chain, &e) != TREASURY_OK)
		return TREASURY_ERR_NOMEM;	/* e is valid: only memory */
	/* after a gap the row before is not there to chain to */
	if (!gap && sodium_memcmp(local, stored, DIGEST_BYTES) != 0) {
		audit_report(a, e.seq, "seq %" PRId64 " (%s): the stored hash "
		    "does not match the entry's fields: the entry was edited, "
		    "or moved here from another seq", e.seq, e.type);
		a->chain_reported = true;
	}
	if (a->ck_valid && a->ck.seq == e.seq) {
		checkpoint_check(a);
		err = checkpoint_next(a);
	}
	memcpy(a->prev_stored, stored, DIGEST_BYTES);
	a->r->last_seq = e.seq;
	return err;
}

/* After the last entry: checkpoints beyond it. */
static treasury_err
checkpoints_after(struct auditor *a)
{
	treasury_err err = TREASURY_OK;
	int64_t last = a->r->last_seq;

	while (a->ck_valid && err == TREASURY_OK) {
		/* a->ck.seq > last, so last + 1 cannot overflow */
		audit_report(a, last + 1, "checkpoint at seq %" PRId64 ": the "
		    "journal ends at seq %" PRId64 ": entries %" PRId64 "..%"
		    PRId64 " were deleted", a->ck.seq, last, last + 1,
		    a->ck.seq);
		err = checkpoint_next(a);
	}
	return err;
}

/* Entries after the last checkpoint that verified: the writer leaves
 * fewer than uncovered_max after every commit (checkpoint.c), so more
 * means the checkpoints that covered them were deleted, or their
 * entries rewritten. */
static void
uncovered_check(struct auditor *a, int64_t uncovered_max)
{
	struct journal_report *r = a->r;

	r->uncovered_entries = r->last_seq > r->signed_seq ?
	    r->last_seq - r->signed_seq : 0;
	if (uncovered_max < 1 || r->uncovered_entries < uncovered_max)
		return;
	/* signed_seq < last_seq <= INT64_MAX: no overflow */
	audit_report(a, r->signed_seq + 1, "seq %" PRId64 "..%" PRId64 ": %"
	    PRId64 " entries are not covered by a valid checkpoint, but the "
	    "daemon leaves fewer than checkpoint_entries (%" PRId64 ") "
	    "uncovered after every commit: the checkpoints that covered them "
	    "were deleted, or the entries rewritten (if checkpoint_entries was "
	    "lowered, verify with the value the daemon ran with)",
	    r->signed_seq + 1, r->last_seq, r->uncovered_entries,
	    uncovered_max);
}

treasury_err
journal_verify_db(struct db *db, const uint8_t *pk, unsigned npk,
    int64_t uncovered_max,
    void (*finding)(const char *text, void *ctx), void *ctx,
    struct journal_report *out)
{
	struct auditor a;
	struct db_stmt *st = NULL;
	int64_t last_ck = 0;
	treasury_err err;
	int rc;

	assert(db != NULL && out != NULL);
	assert(pk == NULL || (npk >= 1 && npk <= JOURNAL_PUBKEYS_MAX));
	memset(out, 0, sizeof(*out));
	memset(&a, 0, sizeof(a));
	a.pk = pk;
	a.npk = pk != NULL ? npk : 0;
	a.finding = finding;
	a.ctx = ctx;
	a.r = out;
	out->signatures_checked = pk != NULL;
	rc = db_prepare(db, checkpoints_sql, &a.cks);
	if (rc == DB_OK)
		rc = db_prepare(db, entries_sql, &st);
	if (rc != DB_OK) {
		err = store_err_from_rc(rc);
		goto done;
	}
	err = checkpoint_next(&a);
	while (err == TREASURY_OK && (rc = db_step(st)) == DB_ROW)
		err = entry_check(&a, st);
	if (err == TREASURY_OK && rc != DB_DONE)
		err = store_err_from_rc(rc);
	if (err == TREASURY_OK)
		err = checkpoints_after(&a);
	/* entries after the last checkpoint, whatever its state */
	db_finalize(a.cks);
	a.cks = NULL;
	rc = db_prepare(db, "SELECT max(seq) FROM journal_checkpoints", &a.cks);
	if (err == TREASURY_OK && rc == DB_OK &&
	    db_step(a.cks) == DB_ROW)
		last_ck = db_column_int64(a.cks, 0);
	out->unsigned_entries = out->last_seq > last_ck ?
	    out->last_seq - last_ck : 0;
	if (err == TREASURY_OK)
		uncovered_check(&a, uncovered_max);
done:
	db_finalize(st);
	db_finalize(a.cks);
	return err;
}

treasury_err
store_journal_verify(const char *path, const uint8_t *pk, unsigned npk,
    int64_t uncovered_max, void (*finding)(const char *text, void *ctx),
    void *ctx,
    struct journal_report *out, char errmsg[STORE_ERRMSG_BYTES])
{
	treasury_err err;
	struct db *db;

	assert(path != NULL && out != NULL);
	memset(out, 0, sizeof(*out));
	err = store_open_maintenance(path, STORE_READ_ONLY, &db, errmsg);
	if (err != TREASURY_OK)
		return err;
	if (db_exec(db, "BEGIN") != DB_OK)
		err = TREASURY_ERR_DB;
	else
		err = journal_verify_db(db, pk, npk, uncovered_max, finding,
		    ctx, out);
	if (err != TREASURY_OK)
		store_errmsg_set(errmsg, "cannot verify the journal of %s: %s",
		    path, db_errmsg(db));
	db_exec(db, err == TREASURY_OK ? "COMMIT" : "ROLLBACK");
	db_close(db);
	return err;
}

/* ---- the daemon's start check ---- */

/* The stored hash of entry seq into hash; *found false when none. */
static treasury_err
stored_hash_at(struct db *db, int64_t seq, uint8_t hash[DIGEST_BYTES],
    bool *found)
{
	struct db_stmt *st;
	int rc;

	*found = false;
	rc = db_prepare(db, "SELECT hash FROM journal WHERE seq = ?1", &st);
	if (rc != DB_OK)
		return store_err_from_rc(rc);
	db_bind_int64(st, 1, seq);
	rc = db_step(st);
	if (rc == DB_ROW)
		*found = blob_col(st, 0, DIGEST_BYTES, hash);
	db_finalize(st);
	return rc == DB_ROW || rc == DB_DONE ? TREASURY_OK :
	    store_err_from_rc(rc);
}

/* The journal's last seq (0: empty). */
static treasury_err
journal_last_seq(struct db *db, int64_t *out)
{
	struct db_stmt *st;
	int rc;

	*out = 0;
	rc = db_prepare(db, "SELECT max(seq) FROM journal", &st);
	if (rc != DB_OK)
		return store_err_from_rc(rc);
	rc = db_step(st);
	if (rc == DB_ROW)
		*out = db_column_int64(st, 0);	/* NULL: 0 */
	db_finalize(st);
	return rc == DB_ROW ? TREASURY_OK : store_err_from_rc(rc);
}

/* The entries after the checkpoint, recomputed from its hash: at most
 * t->uncovered rows (the caller checked it is < uncovered_max). */
static treasury_err
tail_rehash(struct db *db, struct journal_tail *t)
{
	static const char sql[] = "SELECT seq, created_at, treasury_id, type, "
	    "actor_token, actor_signer, payload, hash FROM journal WHERE "
	    "seq > ?1 ORDER BY seq LIMIT ?2";
	int64_t from = t->checkpoint_found ? t->checkpoint.seq : 0;
	uint8_t chain[DIGEST_BYTES], stored[DIGEST_BYTES];
	struct journal_entry e;
	struct db_stmt *st;
	int64_t expected = from;
	treasury_err err = TREASURY_OK;
	int rc;

	if (t->checkpoint_found)
		memcpy(chain, t->checkpoint.hash, DIGEST_BYTES);
	else
		memset(chain, 0, DIGEST_BYTES);
	rc = db_prepare(db, sql, &st);
	if (rc != DB_OK)
		return store_err_from_rc(rc);
	db_bind_int64(st, 1, from);
	db_bind_int64(st, 2, t->uncovered);
	while ((rc = db_step(st)) == DB_ROW) {
		expected++;	/* <= last_seq: no overflow */
		memset(&e, 0, sizeof(e));
		if (!entry_read(st, &e, stored) || !journal_entry_valid(&e) ||
		    e.seq != expected) {
			t->bad_seq = expected;
			break;
		}
		if (journal_entry_hash(chain, chain, &e) != TREASURY_OK) {
			err = TREASURY_ERR_NOMEM;
			break;
		}
		if (sodium_memcmp(chain, stored, DIGEST_BYTES) != 0) {
			t->bad_seq = e.seq;
			break;
		}
	}
	if (err == TREASURY_OK && rc != DB_ROW && rc != DB_DONE)
		err = store_err_from_rc(rc);
	/* rows missing at the end (a gap is caught above) */
	if (err == TREASURY_OK && t->bad_seq == 0 && expected != t->last_seq)
		t->bad_seq = expected + 1;
	if (t->bad_seq != 0)
		t->state = JOURNAL_TAIL_BROKEN;
	db_finalize(st);
	return err;
}

static treasury_err
tail_check_db(struct store *s, int64_t uncovered_max, struct journal_tail *t)
{
	uint8_t hash[DIGEST_BYTES];
	treasury_err err;
	bool found;

	err = store_checkpoint_last(s, &t->checkpoint, &t->checkpoint_found);
	if (err == TREASURY_OK)
		err = journal_last_seq(s->db, &t->last_seq);
	if (err != TREASURY_OK)
		return err;
	if (t->checkpoint_found) {
		err = stored_hash_at(s->db, t->checkpoint.seq, hash, &found);
		if (err != TREASURY_OK)
			return err;
		if (!found || sodium_memcmp(hash, t->checkpoint.hash,
		    DIGEST_BYTES) != 0) {
			t->state = JOURNAL_TAIL_CHECKPOINT_MISMATCH;
			return TREASURY_OK;
		}
	}
	t->uncovered = t->last_seq - (t->checkpoint_found ?
	    t->checkpoint.seq : 0);
	assert(t->uncovered >= 0);	/* its entry exists */
	if (t->uncovered >= uncovered_max) {
		t->state = JOURNAL_TAIL_TOO_LONG;
		t->bad_seq = t->last_seq - t->uncovered + 1;
		return TREASURY_OK;
	}
	return tail_rehash(s->db, t);
}

treasury_err
store_journal_tail_check(struct store *s, int64_t uncovered_max,
    struct journal_tail *out)
{
	treasury_err err;

	assert(s != NULL && out != NULL && uncovered_max >= 1);
	memset(out, 0, sizeof(*out));
	if (db_exec(s->db, "BEGIN") != DB_OK)
		return TREASURY_ERR_DB;
	err = tail_check_db(s, uncovered_max, out);
	db_exec(s->db, "COMMIT");
	return err;
}
