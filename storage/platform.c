/*
 * platform.c: the storage side of the API platform (issue #7): idempotency
 * records checked and written inside a command's transaction, token
 * commands, the cron's maintenance command, and the read queries behind
 * GET /v1/events, GET /v1/tokens and /v1/metrics.
 *
 * Idempotency (command.h, struct command_idempotency): idem_begin runs in
 * the command's savepoint before the command is applied, idem_end after
 * it, so the record and the effect are committed together or not at all.
 * Only successes are recorded; a refused command leaves no record and may
 * be retried with the same key.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"

/* Idempotency record columns (STMT_IDEM_GET). */
enum {
	IDEM_COL_METHOD, IDEM_COL_PATH, IDEM_COL_SHA, IDEM_COL_CREATED,
	IDEM_COL_SEQ, IDEM_COL_PROPOSAL, IDEM_COL_STATUS, IDEM_COL_APPROVALS,
	IDEM_COL_REJECTIONS, IDEM_COL_REPLAYED, IDEM_COL_TOKEN,
	IDEM_COL_RESP_STATUS, IDEM_COL_RESP_BODY
};

static treasury_err
idem_bind_step(struct store *s, int64_t token_id, const char *key)
{
	sqlite3_stmt *st = s->stmt[STMT_IDEM_GET];

	sqlite3_bind_int64(st, 1, token_id);
	bind_str(st, 2, key);
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		return TREASURY_OK;
	case SQLITE_DONE:
		return TREASURY_ERR_NOT_FOUND;
	default:
		return store_err_from_sqlite(sqlite3_errcode(s->db));
	}
}

static treasury_err
idem_response_read(sqlite3_stmt *st, struct idempotency_record *out)
{
	int64_t status;
	const unsigned char *text;
	int bytes;
	treasury_err err;

	if (sqlite3_column_type(st, IDEM_COL_RESP_STATUS) == SQLITE_NULL)
		return TREASURY_OK;
	err = col_int(st, IDEM_COL_RESP_STATUS, 200, 299, &status);
	if (err != TREASURY_OK)
		return err;
	if (sqlite3_column_type(st, IDEM_COL_RESP_BODY) != SQLITE_TEXT)
		return TREASURY_ERR_DB_CORRUPT;
	text = sqlite3_column_text(st, IDEM_COL_RESP_BODY);
	bytes = sqlite3_column_bytes(st, IDEM_COL_RESP_BODY);
	if (text == NULL || bytes > IDEMPOTENCY_RESPONSE_MAX_BYTES)
		return TREASURY_ERR_DB_CORRUPT;
	out->response_body = malloc((size_t)bytes + 1);
	if (out->response_body == NULL)
		return TREASURY_ERR_NOMEM;
	memcpy(out->response_body, text, (size_t)bytes);
	out->response_body[bytes] = '\0';
	out->response_status = (unsigned)status;
	return TREASURY_OK;
}

static treasury_err
idem_row_read(sqlite3_stmt *st, struct idempotency_record *out)
{
	treasury_err err;

	memset(out, 0, sizeof(*out));
	err = col_text(st, IDEM_COL_METHOD, 1, sizeof(out->method) - 1,
	    out->method);
	if (err == TREASURY_OK)
		err = col_text(st, IDEM_COL_PATH, 1, IDEMPOTENCY_PATH_MAX_BYTES,
		    out->path);
	if (err == TREASURY_OK)
		err = col_blob(st, IDEM_COL_SHA, sizeof(out->body_sha256),
		    out->body_sha256);
	if (err == TREASURY_OK)
		err = col_int(st, IDEM_COL_CREATED, INT64_MIN, INT64_MAX,
		    &out->created_s);
	if (err == TREASURY_OK)
		err = idem_response_read(st, out);
	return err;
}

treasury_err
store_idempotency_get(struct store *s, int64_t token_id, const char *key,
    struct idempotency_record *out)
{
	sqlite3_stmt *st = s->stmt[STMT_IDEM_GET];
	treasury_err err;

	err = idem_bind_step(s, token_id, key);
	if (err == TREASURY_OK)
		err = idem_row_read(st, out);
	store_stmt_done(st);
	return err;
}

/* Does the record at st belong to the same request as cmd->idem? */
static bool
idem_same_request(sqlite3_stmt *st, const struct command *cmd)
{
	const struct command_idempotency *id = &cmd->idem;
	struct idempotency_record rec;
	bool same;

	if (idem_row_read(st, &rec) != TREASURY_OK)
		return false;
	same = strcmp(rec.method, id->method) == 0 &&
	    strcmp(rec.path, id->path) == 0 &&
	    memcmp(rec.body_sha256, id->body_sha256, 32) == 0;
	free(rec.response_body);
	return same;
}

/* The results of the first command, from the record at st. */
static treasury_err
idem_outcome_read(sqlite3_stmt *st, struct command *cmd)
{
	int64_t v[6];
	treasury_err err;

	err = col_int(st, IDEM_COL_SEQ, 0, INT64_MAX, &v[0]);
	if (err == TREASURY_OK)
		err = col_blob(st, IDEM_COL_PROPOSAL, PROPOSAL_ID_BYTES,
		    cmd->proposal_id);
	if (err == TREASURY_OK)
		err = col_int(st, IDEM_COL_STATUS, 0, 64, &v[1]);
	if (err == TREASURY_OK)
		err = col_int(st, IDEM_COL_APPROVALS, 0, 64, &v[2]);
	if (err == TREASURY_OK)
		err = col_int(st, IDEM_COL_REJECTIONS, 0, 64, &v[3]);
	if (err == TREASURY_OK)
		err = col_int(st, IDEM_COL_REPLAYED, 0, 1, &v[4]);
	if (err == TREASURY_OK)
		err = col_int(st, IDEM_COL_TOKEN, 0, INT64_MAX, &v[5]);
	if (err != TREASURY_OK)
		return err;
	cmd->ledger_seq = v[0];
	cmd->status = (enum proposal_status)v[1];
	cmd->approvals = (unsigned)v[2];
	cmd->rejections = (unsigned)v[3];
	cmd->replayed = v[4] != 0;
	cmd->token_id = v[5];
	return TREASURY_OK;
}

treasury_err
idem_begin(struct store *s, struct command *cmd, bool *handled)
{
	sqlite3_stmt *st = s->stmt[STMT_IDEM_GET];
	treasury_err err;

	*handled = false;
	if (!cmd->idem.present)
		return TREASURY_OK;
	err = idem_bind_step(s, cmd->idem.token_id, cmd->idem.key);
	if (err == TREASURY_ERR_NOT_FOUND) {
		store_stmt_done(st);
		return TREASURY_OK;
	}
	*handled = true;
	if (err == TREASURY_OK && !idem_same_request(st, cmd)) {
		cmd_detail(cmd, "header 'Idempotency-Key': '%s' was used with "
		    "another method, path or body", cmd->idem.key);
		err = TREASURY_ERR_IDEMPOTENCY_MISMATCH;
	} else if (err == TREASURY_OK) {
		err = idem_outcome_read(st, cmd);
		cmd->idem.replayed_out = err == TREASURY_OK;
	}
	store_stmt_done(st);
	return err;
}

treasury_err
idem_end(struct store *s, struct command *cmd)
{
	sqlite3_stmt *st = s->stmt[STMT_IDEM_INSERT];
	const struct command_idempotency *id = &cmd->idem;

	if (!id->present || cmd->err != TREASURY_OK)
		return TREASURY_OK;
	sqlite3_bind_int64(st, 1, id->token_id);
	bind_str(st, 2, id->key);
	bind_str(st, 3, id->method);
	bind_str(st, 4, id->path);
	sqlite3_bind_blob(st, 5, id->body_sha256, 32, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, cmd->now_s);
	sqlite3_bind_int64(st, 7, cmd->ledger_seq);
	sqlite3_bind_blob(st, 8, cmd->proposal_id, PROPOSAL_ID_BYTES,
	    SQLITE_STATIC);
	sqlite3_bind_int64(st, 9, (sqlite3_int64)cmd->status);
	sqlite3_bind_int64(st, 10, cmd->approvals);
	sqlite3_bind_int64(st, 11, cmd->rejections);
	sqlite3_bind_int64(st, 12, cmd->replayed ? 1 : 0);
	sqlite3_bind_int64(st, 13, cmd->token_id);
	return store_stmt_run(s, STMT_IDEM_INSERT);
}

enum apply_outcome
apply_token_create(struct store *s, struct command *cmd)
{
	treasury_err err;

	err = store_token_insert(s, cmd->in.token_create.name,
	    cmd->in.token_create.roles, cmd->in.token_create.hash, cmd->now_s);
	if (err == TREASURY_ERR_CONFLICT)
		cmd_detail(cmd, "field 'name': a live token named '%s' exists",
		    cmd->in.token_create.name);
	else if (err == TREASURY_ERR_TOO_LARGE)
		cmd_detail(cmd, "%d live tokens exist already", TOKENS_MAX);
	if (err == TREASURY_OK)
		cmd->token_id = (int64_t)sqlite3_last_insert_rowid(s->db);
	return cmd_finish(s, cmd, err);
}

enum apply_outcome
apply_token_revoke(struct store *s, struct command *cmd)
{
	treasury_err err;

	err = store_token_revoke(s, cmd->in.token_revoke.name);
	if (err == TREASURY_ERR_NOT_FOUND) {
		cmd_detail(cmd, "no live token named '%s'",
		    cmd->in.token_revoke.name);
		err = TREASURY_ERR_UNKNOWN_TOKEN;
	}
	return cmd_finish(s, cmd, err);
}

enum apply_outcome
apply_maintenance(struct store *s, struct command *cmd)
{
	sqlite3_stmt *st;
	treasury_err err;

	err = proposals_expire(s, cmd->now_s, &cmd->expired);
	if (err != TREASURY_OK)
		return cmd_finish(s, cmd, err);
	st = s->stmt[STMT_IDEM_PURGE];
	sqlite3_bind_int64(st, 1, cmd->in.maintenance.idempotency_before_s);
	err = store_stmt_run(s, STMT_IDEM_PURGE);
	if (err == TREASURY_OK)
		cmd->purged = (unsigned)sqlite3_changes64(s->db);
	return cmd_finish(s, cmd, err);
}

enum apply_outcome
apply_idempotency_response(struct store *s, struct command *cmd)
{
	sqlite3_stmt *st = s->stmt[STMT_IDEM_RESPONSE_SET];

	sqlite3_bind_int64(st, 1, cmd->in.idempotency_response.token_id);
	bind_str(st, 2, cmd->in.idempotency_response.key);
	sqlite3_bind_int64(st, 3, cmd->in.idempotency_response.status);
	bind_str(st, 4, cmd->in.idempotency_response.body);
	return cmd_finish(s, cmd, store_stmt_run(s, STMT_IDEM_RESPONSE_SET));
}

/* ---- read queries ---- */

static treasury_err
event_row_read(sqlite3_stmt *st, struct event_record *out)
{
	treasury_err err;

	err = col_int(st, 0, 1, INT64_MAX, &out->id);
	if (err == TREASURY_OK)
		err = col_text(st, 1, 1, EVENT_TYPE_MAX_BYTES, out->type);
	if (err == TREASURY_OK)
		err = col_text(st, 2, 2, EVENT_DATA_MAX_BYTES, out->data);
	if (err == TREASURY_OK)
		err = col_int(st, 3, INT64_MIN, INT64_MAX, &out->created_s);
	return err;
}

struct event_walk {
	int (*fn)(const struct event_record *, void *);
	void *ctx;
};

static treasury_err
event_page_row(struct store *s, sqlite3_stmt *st, void *walk, bool *stop)
{
	struct event_walk *w = walk;
	struct event_record ev;
	treasury_err err;

	(void)s;
	err = event_row_read(st, &ev);
	if (err == TREASURY_OK)
		*stop = w->fn(&ev, w->ctx) != 0;
	return err;
}

treasury_err
store_events_page(struct store *s, int64_t after_id, unsigned limit,
    int (*fn)(const struct event_record *, void *), void *ctx, bool *more)
{
	sqlite3_stmt *st = s->stmt[STMT_EVENTS_PAGE];
	struct event_walk w = { fn, ctx };

	assert(fn != NULL && more != NULL && limit >= 1);
	sqlite3_bind_int64(st, 1, after_id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)limit + 1);
	return store_page_walk(s, st, limit, event_page_row, &w, more);
}

treasury_err
store_proposal_status_counts(struct store *s,
    int (*fn)(const char *status, int64_t count, void *), void *ctx)
{
	sqlite3_stmt *st = s->stmt[STMT_PROPOSAL_STATUS_COUNTS];
	char status[16];
	int64_t count;
	treasury_err err = TREASURY_OK;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		err = col_text(st, 0, 1, sizeof(status) - 1, status);
		if (err == TREASURY_OK)
			err = col_int(st, 1, 0, INT64_MAX, &count);
		if (err != TREASURY_OK || fn(status, count, ctx) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		err = store_err_from_sqlite(rc);
	store_stmt_done(st);
	return err;
}
