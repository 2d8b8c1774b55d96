/*
 * checkpoint.c: the journal's signed checkpoints (treasury/audit.h,
 * checkpoint_int.h; docs/audit.md says what one proves).
 *
 * The writer calls checkpoint_group_end once per group, after its
 * commands and before COMMIT, so a checkpoint is durable together with
 * the entries it covers, never without them; and once more when it
 * stops, in a transaction of its own, so that a cleanly stopped daemon
 * leaves no entry unsigned. Two point reads by primary
 * key (the journal's last entry, the last checkpoint) decide whether one
 * is due; entries appended by another process (treasuryd token on the
 * command line) are covered by the daemon's next one.
 *
 * The invariant the verifiers and the daemon's start check rely on
 * (store_journal_verify's uncovered_max, store_journal_tail_check):
 *
 *   after every commit of the writer, fewer than every_entries
 *   (checkpoint_entries) entries follow the last checkpoint.
 *
 * It holds whatever the group's size: a group that leaves
 * every_entries or more uncovered signs a checkpoint of the journal's
 * LAST entry (not of the every_entries-th), in its own transaction, so it
 * commits with none uncovered; any other group commits with fewer. Only
 * entries appended outside the writer (treasuryd token on the command
 * line, the first start's admin token, the schema 8 migration of the old
 * events) can add to the uncovered count between two of its commits.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "treasury/log.h"

#include "engine_int.h"
#include "checkpoint_int.h"
#include "journal_int.h"

enum {
	CP_LAST_ENTRY,		/* seq, hash of the journal's last entry */
	CP_LAST_CHECKPOINT,	/* seq of the last checkpoint */
	CP_LAST_CHECKPOINT_ROW,	/* the last checkpoint, whole */
	CP_ENTRY_TIME,		/* created_at of entry ?1 */
	CP_INSERT,
	CP_STMT_COUNT_
};

static const char *const cp_sql[CP_STMT_COUNT_] = {
	[CP_LAST_ENTRY] = "SELECT seq, hash FROM journal ORDER BY seq DESC "
	    "LIMIT 1",
	[CP_LAST_CHECKPOINT] = "SELECT seq FROM journal_checkpoints ORDER BY "
	    "seq DESC LIMIT 1",
	[CP_LAST_CHECKPOINT_ROW] = "SELECT seq, hash, created_at, signature "
	    "FROM journal_checkpoints ORDER BY seq DESC LIMIT 1",
	[CP_ENTRY_TIME] = "SELECT created_at FROM journal WHERE seq = ?1",
	[CP_INSERT] = "INSERT INTO journal_checkpoints (seq, hash, created_at, "
	    "signature) VALUES (?1, ?2, ?3, ?4)",
};

struct checkpointer {
	struct checkpoint_policy policy;
	struct db *db;			/* the statements' connection */
	struct db_stmt *stmt[CP_STMT_COUNT_];
	int64_t trusted_seq;		/* the last checkpoint known to be
					 * signed by this key (or there at
					 * the first call: the start checked
					 * it); -1 before the first call */
};

struct checkpointer *
checkpointer_new(const struct checkpoint_policy *p)
{
	struct checkpointer *cp;

	assert(p != NULL && p->sk != NULL);
	assert(p->every_entries >= 1 && p->interval_s >= 1);
	cp = calloc(1, sizeof(*cp));
	if (cp != NULL) {
		cp->policy = *p;
		cp->trusted_seq = -1;
	}
	return cp;
}

void
checkpointer_free(struct checkpointer *cp)
{
	if (cp == NULL)
		return;
	for (size_t i = 0; i < CP_STMT_COUNT_; i++)
		db_finalize(cp->stmt[i]);
	free(cp);
}

/* The statements, prepared on s's connection at first use. */
static treasury_err
cp_prepare(struct checkpointer *cp, struct store *s)
{
	int rc;

	if (cp->db == s->db)
		return TREASURY_OK;
	assert(cp->db == NULL);		/* one writer connection */
	for (size_t i = 0; i < CP_STMT_COUNT_; i++) {
		rc = db_prepare_persistent(s->db, cp_sql[i], &cp->stmt[i]);
		if (rc != DB_OK)
			return store_err_from_db(s->db, rc);
	}
	cp->db = s->db;
	return TREASURY_OK;
}

/* The journal's last entry: *seq (0 when empty) and its hash. */
static treasury_err
last_entry(struct checkpointer *cp, int64_t *seq, uint8_t hash[DIGEST_BYTES])
{
	struct db_stmt *st = cp->stmt[CP_LAST_ENTRY];
	treasury_err err = TREASURY_OK;
	int rc;

	*seq = 0;
	rc = db_step(st);
	if (rc == DB_ROW) {
		err = col_int(st, 0, 1, INT64_MAX, seq);
		if (err == TREASURY_OK)
			err = col_blob(st, 1, DIGEST_BYTES, hash);
	} else if (rc != DB_DONE) {
		err = store_err_from_rc(rc);
	}
	store_stmt_done(st);
	return err;
}

/* One integer of a statement's first row, bound to arg when arg >= 0;
 * *out = dflt when there is no row. */
static treasury_err
int_get(struct db_stmt *st, int64_t arg, int64_t dflt, int64_t *out)
{
	treasury_err err = TREASURY_OK;
	int rc;

	*out = dflt;
	if (arg >= 0)
		db_bind_int64(st, 1, arg);
	rc = db_step(st);
	if (rc == DB_ROW)
		err = col_int(st, 0, 0, INT64_MAX, out);
	else if (rc != DB_DONE)
		err = store_err_from_rc(rc);
	store_stmt_done(st);
	return err;
}

/* Whether a checkpoint of last_seq is due after checkpoint_seq. */
static treasury_err
checkpoint_due(struct checkpointer *cp, int64_t last_seq,
    int64_t checkpoint_seq, int64_t now_s, enum checkpoint_when when,
    bool *due)
{
	int64_t oldest_s;
	treasury_err err;

	*due = false;
	if (last_seq <= checkpoint_seq)
		return TREASURY_OK;	/* every entry is covered */
	if (when == CHECKPOINT_FINAL ||
	    last_seq - checkpoint_seq >= (int64_t)cp->policy.every_entries) {
		*due = true;
		return TREASURY_OK;
	}
	if (when != CHECKPOINT_MAINTENANCE)
		return TREASURY_OK;
	/* the oldest entry not covered yet */
	err = int_get(cp->stmt[CP_ENTRY_TIME], checkpoint_seq + 1, now_s,
	    &oldest_s);
	if (err == TREASURY_OK)
		*due = now_s - oldest_s >= (int64_t)cp->policy.interval_s;
	return err;
}

static treasury_err checkpoint_read(struct db_stmt *st,
    struct checkpoint_record *out);

/* Several daemons (PostgreSQL): a checkpoint that another process signed
 * since the last one this key is known to have signed must verify with
 * this key too, or this daemon does not sign (nor write) on top of it:
 * another key took the journal over (--new-journal-key elsewhere), and
 * two keys must never sign in turns. Only a new checkpoint costs a
 * query. */
static treasury_err
signer_check(struct checkpointer *cp, int64_t checkpoint_seq)
{
	static struct log_limit other_log;
	struct db_stmt *st = cp->stmt[CP_LAST_CHECKPOINT_ROW];
	struct checkpoint_record last;
	treasury_err err = TREASURY_OK;
	int rc;

	if (cp->trusted_seq < 0 || checkpoint_seq == cp->trusted_seq) {
		cp->trusted_seq = checkpoint_seq;	/* the start checked it */
		return TREASURY_OK;
	}
	rc = db_step(st);
	if (rc == DB_ROW)
		err = checkpoint_read(st, &last);
	else
		err = rc == DB_DONE ? TREASURY_ERR_DB_CORRUPT :
		    store_err_from_rc(rc);
	store_stmt_done(st);
	if (err != TREASURY_OK)
		return err;
	if (!journal_checkpoint_verify(last.signature,
	    cp->policy.sk + JOURNAL_KEY_SEED_BYTES,	/* seed || pk */
	    last.seq, last.hash, last.time_s)) {
		log_limited(&other_log, 60000, LOG_ERR, "journal: checkpoint "
		    "%lld was signed by another key than this daemon's: "
		    "another daemon took the journal over with a new key; "
		    "every write here is refused (503 journal-key) until "
		    "this daemon is restarted with that key",
		    (long long)last.seq);
		return TREASURY_ERR_JOURNAL_KEY;
	}
	cp->trusted_seq = last.seq;
	return TREASURY_OK;
}

static treasury_err
checkpoint_insert(struct checkpointer *cp, struct store *s, int64_t seq,
    const uint8_t hash[DIGEST_BYTES], int64_t now_s)
{
	struct db_stmt *st = cp->stmt[CP_INSERT];
	uint8_t sig[JOURNAL_SIGNATURE_BYTES];
	int rc;

	journal_checkpoint_sign(sig, cp->policy.sk, seq, hash, now_s);
	db_bind_int64(st, 1, seq);
	db_bind_blob(st, 2, hash, DIGEST_BYTES, DB_TRANSIENT);
	db_bind_int64(st, 3, now_s);
	db_bind_blob(st, 4, sig, sizeof(sig), DB_TRANSIENT);
	rc = db_step(st);
	store_stmt_done(st);
	return rc == DB_DONE ? TREASURY_OK : store_err_from_db(s->db, rc);
}

treasury_err
checkpoint_group_end(struct store *s, struct checkpointer *cp, int64_t now_s,
    enum checkpoint_when when, int64_t *signed_seq)
{
	uint8_t hash[DIGEST_BYTES];
	int64_t last_seq, checkpoint_seq;
	treasury_err err;
	bool due;

	assert(s != NULL && cp != NULL && signed_seq != NULL);
	*signed_seq = 0;
	if (now_s < 0)
		return TREASURY_ERR_INTERNAL;	/* the clock mark forbids it */
	err = cp_prepare(cp, s);
	if (err == TREASURY_OK)
		err = last_entry(cp, &last_seq, hash);
	if (err == TREASURY_OK)
		err = int_get(cp->stmt[CP_LAST_CHECKPOINT], -1, 0,
		    &checkpoint_seq);
	if (err == TREASURY_OK)
		err = signer_check(cp, checkpoint_seq);
	if (err == TREASURY_OK)
		err = checkpoint_due(cp, last_seq, checkpoint_seq, now_s, when,
		    &due);
	if (err != TREASURY_OK || !due)
		return err;
	err = checkpoint_insert(cp, s, last_seq, hash, now_s);
	if (err == TREASURY_OK) {
		*signed_seq = last_seq;
		cp->trusted_seq = last_seq;
	}
	return err;
}

/* ---- reading ---- */

static treasury_err
checkpoint_read(struct db_stmt *st, struct checkpoint_record *out)
{
	treasury_err err;

	err = col_int(st, 0, 1, INT64_MAX, &out->seq);
	if (err == TREASURY_OK)
		err = col_blob(st, 1, DIGEST_BYTES, out->hash);
	if (err == TREASURY_OK)
		err = col_int(st, 2, 0, INT64_MAX, &out->time_s);
	if (err == TREASURY_OK)
		err = col_blob(st, 3, JOURNAL_SIGNATURE_BYTES, out->signature);
	return err;
}

struct checkpoint_walk {
	int (*fn)(const struct checkpoint_record *, void *);
	void *ctx;
};

static treasury_err
checkpoint_page_row(struct store *s, struct db_stmt *st, void *walk, bool *stop)
{
	struct checkpoint_walk *w = walk;
	struct checkpoint_record r;
	treasury_err err;

	(void)s;
	err = checkpoint_read(st, &r);
	if (err == TREASURY_OK)
		*stop = w->fn(&r, w->ctx) != 0;
	return err;
}

treasury_err
store_checkpoints_page(struct store *s, int64_t after_seq, unsigned limit,
    int (*fn)(const struct checkpoint_record *, void *), void *ctx,
    bool *more)
{
	static const char sql[] = "SELECT seq, hash, created_at, signature "
	    "FROM journal_checkpoints WHERE seq > ?1 ORDER BY seq LIMIT ?2";
	struct checkpoint_walk w = { fn, ctx };
	struct db_stmt *st;
	treasury_err err;
	int rc;

	assert(s != NULL && fn != NULL && more != NULL && limit >= 1);
	*more = false;
	rc = db_prepare(s->db, sql, &st);
	if (rc != DB_OK)
		return store_err_from_db(s->db, rc);
	db_bind_int64(st, 1, after_seq);
	db_bind_int64(st, 2, (int64_t)limit + 1);
	err = store_page_walk(s, st, limit, checkpoint_page_row, &w, more);
	db_finalize(st);
	return err;
}

treasury_err
store_checkpoint_last(struct store *s, struct checkpoint_record *out,
    bool *found)
{
	static const char sql[] = "SELECT seq, hash, created_at, signature "
	    "FROM journal_checkpoints ORDER BY seq DESC LIMIT 1";
	struct db_stmt *st;
	treasury_err err = TREASURY_OK;
	int rc;

	assert(s != NULL && out != NULL && found != NULL);
	*found = false;
	rc = db_prepare(s->db, sql, &st);
	if (rc != DB_OK)
		return store_err_from_db(s->db, rc);
	rc = db_step(st);
	if (rc == DB_ROW) {
		err = checkpoint_read(st, out);
		*found = err == TREASURY_OK;
	} else if (rc != DB_DONE) {
		err = store_err_from_rc(rc);
	}
	db_finalize(st);
	return err;
}

/* ---- a daemon's claim at start ---- */

/* The entry that says the journal's key was replaced at a start
 * (--new-journal-key): the new public key, and the last checkpoint the
 * old one signed. */
static treasury_err
key_replaced_journal(struct store *s, const uint8_t pk[JOURNAL_PUBLIC_KEY_BYTES],
    int64_t checkpoint_seq, int64_t now_s)
{
	const struct journal_who who = { now_s, NULL, NULL };
	struct journal_payload p;

	journal_payload_begin(&p);
	journal_payload_int(&p, "checkpoint_seq", checkpoint_seq);
	journal_payload_hex(&p, "public_key", pk, JOURNAL_PUBLIC_KEY_BYTES);
	return journal_append(s, &who, NULL, "journal.key_replaced", &p, NULL);
}

treasury_err
store_journal_claim(struct store *s, const struct checkpoint_policy *p,
    const uint8_t pk[JOURNAL_PUBLIC_KEY_BYTES], bool replace, int64_t now_s,
    bool *other_key, int64_t *seq)
{
	struct checkpoint_record last;
	struct checkpointer *cp;
	treasury_err err;
	bool found, replaced = false;

	assert(s != NULL && p != NULL && pk != NULL && other_key != NULL &&
	    seq != NULL);
	*other_key = false;
	*seq = 0;
	cp = checkpointer_new(p);
	if (cp == NULL)
		return TREASURY_ERR_NOMEM;
	err = store_stmt_run(s, STMT_BEGIN_IMMEDIATE);
	if (err == TREASURY_OK)
		err = store_checkpoint_last(s, &last, &found);
	if (err == TREASURY_OK && found &&
	    !journal_checkpoint_verify(last.signature, pk, last.seq,
	    last.hash, last.time_s)) {
		replaced = replace;
		*other_key = !replace;
		*seq = last.seq;
	}
	if (err == TREASURY_OK && !*other_key)
		err = store_time_at_mark(s, now_s, &now_s);
	if (err == TREASURY_OK && replaced)
		err = key_replaced_journal(s, pk, last.seq, now_s);
	if (err == TREASURY_OK && !*other_key)
		err = checkpoint_group_end(s, cp, now_s, CHECKPOINT_FINAL, seq);
	/* *seq: the new checkpoint's now (or the other key's, above) */
	if (err == TREASURY_OK && !*other_key)
		err = store_stmt_run(s, STMT_COMMIT);
	if ((err != TREASURY_OK || *other_key) && !db_get_autocommit(s->db))
		db_exec(s->db, "ROLLBACK");	/* nothing written */
	if (err != TREASURY_OK)
		*seq = 0;
	checkpointer_free(cp);
	return err;
}
