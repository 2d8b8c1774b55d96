/*
 * journal.c: journal_append, the one function that writes journal rows
 * (contract in journal_int.h), and schema 8's move of the old events
 * table into the journal.
 *
 * The chain: an entry's hash is journal_entry_hash(previous hash, entry)
 * (core/journal.c, docs/audit.md); the previous entry is the one with
 * the highest seq, read by primary key. The writer is the only writer of
 * the database (one transaction at a time), so seq = last + 1 has no
 * race; `treasuryd token ...` writes in its own IMMEDIATE transaction.
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "engine_int.h"
#include "journal_int.h"

/* A string field of an entry: "" for NULL; false when it does not fit. */
static bool
field_copy(char *out, size_t out_bytes, const char *in)
{
	int n = snprintf(out, out_bytes, "%s", in != NULL ? in : "");

	return n >= 0 && (size_t)n < out_bytes;
}

/* The last entry's seq and hash; 0 and 32 zero bytes when none. */
static treasury_err
journal_last(struct store *s, int64_t *seq, uint8_t hash[DIGEST_BYTES])
{
	struct db_stmt *st = s->stmt[STMT_JOURNAL_LAST];
	treasury_err err;
	int rc;

	*seq = 0;
	memset(hash, 0, DIGEST_BYTES);
	rc = db_step(st);
	if (rc == DB_ROW) {
		err = col_int(st, 0, 1, INT64_MAX - 1, seq);
		if (err == TREASURY_OK)
			err = col_blob(st, 1, DIGEST_BYTES, hash);
	} else
		err = store_err_from_rc(rc);
	store_stmt_done(st);
	return err;
}

static void
bind_opt(struct db_stmt *st, int i, const char *text)
{
	if (text[0] == '\0')
		db_bind_null(st, i);
	else
		bind_str(st, i, text);
}

static treasury_err
journal_insert(struct store *s, const struct journal_entry *e,
    const uint8_t hash[DIGEST_BYTES])
{
	struct db_stmt *st = s->stmt[STMT_JOURNAL_INSERT];

	db_bind_int64(st, 1, e->seq);
	db_bind_int64(st, 2, e->time_s);
	bind_opt(st, 3, e->treasury);
	bind_str(st, 4, e->type);
	bind_opt(st, 5, e->actor_token);
	bind_opt(st, 6, e->actor_signer);
	db_bind_text(st, 7, e->payload, (int)e->payload_len,
	    DB_STATIC);
	db_bind_blob(st, 8, hash, DIGEST_BYTES, DB_STATIC);
	return store_stmt_run(s, STMT_JOURNAL_INSERT);
}

treasury_err
journal_append(struct store *s, const struct journal_who *who,
    const char *treasury, const char *type, struct journal_payload *p,
    int64_t *seq_out)
{
	uint8_t prev[DIGEST_BYTES], hash[DIGEST_BYTES];
	struct journal_entry e;
	treasury_err err;

	assert(s != NULL && who != NULL && type != NULL && p != NULL);
	memset(&e, 0, sizeof(e));
	err = journal_payload_finish(p);
	if (err == TREASURY_OK && (!field_copy(e.treasury, sizeof(e.treasury),
	    treasury) || !field_copy(e.type, sizeof(e.type), type) ||
	    !field_copy(e.actor_token, sizeof(e.actor_token),
	    who->actor_token) || !field_copy(e.actor_signer,
	    sizeof(e.actor_signer), who->actor_signer)))
		err = TREASURY_ERR_INVALID_FIELD;
	if (err == TREASURY_OK)
		err = journal_last(s, &e.seq, prev);
	if (err == TREASURY_OK) {
		e.seq++;
		e.time_s = who->time_s;
		e.payload = p->buf.data;
		e.payload_len = p->buf.len;
		err = journal_entry_hash(hash, prev, &e);
	}
	if (err == TREASURY_OK)
		err = journal_insert(s, &e, hash);
	if (err == TREASURY_OK)
		s->journal_appends++;
	if (err == TREASURY_OK && seq_out != NULL)
		*seq_out = e.seq;
	journal_payload_free(p);
	return err;
}

/* ---- schema 8: the events table becomes the journal ---- */

/* One old event as an entry (no actor; the text is the step's). */
static treasury_err
event_as_entry(struct db_stmt *st, struct journal_entry *e)
{
	const unsigned char *t;

	memset(e, 0, sizeof(*e));
	if (db_column_type(st, 0) != DB_INTEGER ||
	    db_column_type(st, 1) != DB_INTEGER ||
	    db_column_type(st, 3) != DB_TEXT ||
	    db_column_type(st, 4) != DB_TEXT)
		return TREASURY_ERR_DB_CORRUPT;
	e->seq = db_column_int64(st, 0);
	e->time_s = db_column_int64(st, 1);
	if (db_column_type(st, 2) == DB_TEXT &&
	    !field_copy(e->treasury, sizeof(e->treasury),
	    (const char *)db_column_text(st, 2)))
		return TREASURY_ERR_DB_CORRUPT;
	t = db_column_text(st, 3);
	if (t == NULL || !field_copy(e->type, sizeof(e->type), (const char *)t))
		return TREASURY_ERR_DB_CORRUPT;
	e->payload = (const char *)db_column_text(st, 4);
	e->payload_len = (size_t)db_column_bytes(st, 4);
	return journal_entry_valid(e) ? TREASURY_OK : TREASURY_ERR_DB_CORRUPT;
}

static treasury_err
event_copy(struct db *db, struct db_stmt *ins, const struct journal_entry *e,
    const uint8_t hash[DIGEST_BYTES])
{
	int rc;

	db_bind_int64(ins, 1, e->seq);
	db_bind_int64(ins, 2, e->time_s);
	if (e->treasury[0] == '\0')
		db_bind_null(ins, 3);
	else
		db_bind_text(ins, 3, e->treasury, -1, DB_STATIC);
	db_bind_text(ins, 4, e->type, -1, DB_STATIC);
	db_bind_text(ins, 5, e->payload, (int)e->payload_len,
	    DB_STATIC);
	db_bind_blob(ins, 6, hash, DIGEST_BYTES, DB_STATIC);
	rc = db_step(ins);
	db_reset(ins);
	db_clear_bindings(ins);
	return store_err_from_db(db, rc);
}

treasury_err
store_schema_8_after(struct db *db)
{
	static const char sel_sql[] = "SELECT id, created_at, treasury_id,"
	    " type, data FROM events ORDER BY id";
	static const char ins_sql[] = "INSERT INTO journal (seq, created_at,"
	    " treasury_id, type, actor_token, actor_signer, payload, hash)"
	    " VALUES (?1, ?2, ?3, ?4, NULL, NULL, ?5, ?6)";
	static const char drop_sql[] =
	    "DROP TRIGGER events_proposal_created;"
	    "DROP TRIGGER events_proposal_status;"
	    "DROP TRIGGER events_vote;"
	    "DROP TRIGGER events_deposit;"
	    "DROP TRIGGER events_config;"
	    "DROP TABLE events;";
	uint8_t hash[DIGEST_BYTES];
	struct db_stmt *sel = NULL, *ins = NULL;
	struct journal_entry e;
	treasury_err err = TREASURY_OK;
	int rc;

	memset(hash, 0, sizeof(hash));	/* hash(0) */
	rc = db_prepare(db, sel_sql, &sel);
	if (rc == DB_OK)
		rc = db_prepare(db, ins_sql, &ins);
	if (rc != DB_OK)
		goto fail_sqlite;
	while (err == TREASURY_OK && (rc = db_step(sel)) == DB_ROW) {
		err = event_as_entry(sel, &e);
		if (err == TREASURY_OK)
			err = journal_entry_hash(hash, hash, &e);
		if (err == TREASURY_OK)
			err = event_copy(db, ins, &e, hash);
	}
	if (err != TREASURY_OK)
		goto done;
	if (rc != DB_DONE)
		goto fail_sqlite;
	db_finalize(sel);
	sel = NULL;
	rc = db_exec(db, drop_sql);
	if (rc == DB_OK)
		goto done;
fail_sqlite:
	err = store_err_from_db(db, rc);
done:
	db_finalize(sel);
	db_finalize(ins);
	return err;
}

/* ---- the journal of a command ---- */

struct journal_who
journal_who_cmd(const struct command *cmd, const char *signer)
{
	struct journal_who who = {
		.time_s = cmd->now_s,
		.actor_token = cmd->actor_token,
		.actor_signer = signer,
	};

	return who;
}

treasury_err
journal_cmd(struct store *s, const struct command *cmd, const char *signer,
    const char *treasury, const char *type, struct journal_payload *p)
{
	struct journal_who who = journal_who_cmd(cmd, signer);

	return journal_append(s, &who, treasury, type, p, NULL);
}
