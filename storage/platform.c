/*
 * platform.c: the storage side of the API platform (docs/api.md): idempotency
 * records checked and written inside a command's transaction, token
 * commands, the cron's maintenance command, and the read queries behind
 * GET /v1/events, GET /v1/tokens and /v1/metrics.
 *
 * Idempotency (command.h, struct command_idempotency): idem_begin runs in
 * the command's savepoint before the command is applied, idem_end after
 * it, so the record and the effect are committed together or not at all;
 * idem_end stores with it the answer the command's render callback gives
 * (opaque status and text: storage knows nothing of HTTP).
 * Only successes are recorded; a refused command leaves no record and may
 * be retried with the same key.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"
#include "journal_int.h"
#include "treasury/webhook_store.h"

static_assert((int)EVENT_TYPE_MAX_BYTES == (int)JOURNAL_TYPE_MAX_BYTES,
    "an event is a journal entry");
static_assert((int)EVENT_DATA_MAX_BYTES == (int)JOURNAL_PAYLOAD_MAX_BYTES,
    "an event is a journal entry");

/* Idempotency record columns (STMT_IDEM_GET). */
enum {
	IDEM_COL_FINGERPRINT, IDEM_COL_CREATED,
	IDEM_COL_SEQ, IDEM_COL_PROPOSAL, IDEM_COL_STATUS, IDEM_COL_APPROVALS,
	IDEM_COL_REJECTIONS, IDEM_COL_REPLAYED, IDEM_COL_TOKEN,
	IDEM_COL_RESP_STATUS, IDEM_COL_RESP_BODY
};

static treasury_err
idem_bind_step(struct store *s, int64_t token_id, const char *key)
{
	struct db_stmt *st = s->stmt[STMT_IDEM_GET];

	db_bind_int64(st, 1, token_id);
	bind_str(st, 2, key);
	switch (db_step(st)) {
	case DB_ROW:
		return TREASURY_OK;
	case DB_DONE:
		return TREASURY_ERR_NOT_FOUND;
	default:
		return store_err_from_rc(db_extended_errcode(s->db));
	}
}

static treasury_err
idem_response_read(struct db_stmt *st, struct idempotency_record *out)
{
	int64_t status;
	const unsigned char *text;
	int bytes;
	treasury_err err;

	if (db_column_type(st, IDEM_COL_RESP_STATUS) == DB_NULL)
		return TREASURY_OK;
	err = col_int(st, IDEM_COL_RESP_STATUS, 200, 299, &status);
	if (err != TREASURY_OK)
		return err;
	if (db_column_type(st, IDEM_COL_RESP_BODY) != DB_TEXT)
		return TREASURY_ERR_DB_CORRUPT;
	text = db_column_text(st, IDEM_COL_RESP_BODY);
	bytes = db_column_bytes(st, IDEM_COL_RESP_BODY);
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
idem_row_read(struct db_stmt *st, struct idempotency_record *out)
{
	treasury_err err;

	memset(out, 0, sizeof(*out));
	err = col_blob(st, IDEM_COL_FINGERPRINT, sizeof(out->fingerprint),
	    out->fingerprint);
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
	struct db_stmt *st = s->stmt[STMT_IDEM_GET];
	treasury_err err;

	err = idem_bind_step(s, token_id, key);
	if (err == TREASURY_OK)
		err = idem_row_read(st, out);
	store_stmt_done(st);
	return err;
}

/* Does the record at st belong to the same request as cmd->idem? */
static bool
idem_same_request(struct db_stmt *st, const struct command *cmd)
{
	const struct command_idempotency *id = &cmd->idem;
	struct idempotency_record rec;
	bool same;

	if (idem_row_read(st, &rec) != TREASURY_OK)
		return false;
	same = memcmp(rec.fingerprint, id->fingerprint,
	    sizeof(rec.fingerprint)) == 0;
	free(rec.response_body);
	return same;
}

/* A command's results as an idempotency record keeps them: one column
 * each for what some command answers; 0 where its type has none. */
struct idem_outcome {
	int64_t ledger_seq;
	uint8_t proposal[PROPOSAL_ID_BYTES];
	int64_t status;
	int64_t approvals;
	int64_t rejections;
	int64_t token_id;
};

static void
idem_outcome_from(struct command *cmd, struct idem_outcome *o)
{
	const enum proposal_status *status = cmd_status(cmd);

	memset(o, 0, sizeof(*o));
	if (status != NULL)
		o->status = (int64_t)*status;
	switch (cmd->type) {
	case CMD_DEPOSIT:
		o->ledger_seq = cmd->out.deposit.ledger_seq;
		break;
	case CMD_PROPOSAL_CREATE:
		memcpy(o->proposal, cmd->out.proposal_create.id,
		    PROPOSAL_ID_BYTES);
		break;
	case CMD_VOTE:
	case CMD_REVOKE:
		o->approvals = cmd->type == CMD_VOTE ?
		    cmd->out.vote.approvals : cmd->out.revoke.approvals;
		o->rejections = cmd->type == CMD_VOTE ?
		    cmd->out.vote.rejections : cmd->out.revoke.rejections;
		break;
	case CMD_TOKEN_CREATE:
		o->token_id = cmd->out.token_create.token_id;
		break;
	default:
		break;
	}
}

static void
idem_outcome_to(const struct idem_outcome *o, struct command *cmd)
{
	enum proposal_status *status = cmd_status(cmd);

	if (status != NULL)
		*status = (enum proposal_status)o->status;
	switch (cmd->type) {
	case CMD_DEPOSIT:
		cmd->out.deposit.ledger_seq = o->ledger_seq;
		break;
	case CMD_PROPOSAL_CREATE:
		memcpy(cmd->out.proposal_create.id, o->proposal,
		    PROPOSAL_ID_BYTES);
		break;
	case CMD_VOTE:
		cmd->out.vote.approvals = (unsigned)o->approvals;
		cmd->out.vote.rejections = (unsigned)o->rejections;
		break;
	case CMD_REVOKE:
		cmd->out.revoke.approvals = (unsigned)o->approvals;
		cmd->out.revoke.rejections = (unsigned)o->rejections;
		break;
	case CMD_TOKEN_CREATE:
		cmd->out.token_create.token_id = o->token_id;
		break;
	default:
		break;
	}
}

/* The results of the first command, from the record at st. */
static treasury_err
idem_outcome_read(struct db_stmt *st, struct command *cmd)
{
	struct idem_outcome o;
	int64_t replayed;
	treasury_err err;

	err = col_int(st, IDEM_COL_SEQ, 0, INT64_MAX, &o.ledger_seq);
	if (err == TREASURY_OK)
		err = col_blob(st, IDEM_COL_PROPOSAL, PROPOSAL_ID_BYTES,
		    o.proposal);
	if (err == TREASURY_OK)
		err = col_int(st, IDEM_COL_STATUS, 0, 64, &o.status);
	if (err == TREASURY_OK)
		err = col_int(st, IDEM_COL_APPROVALS, 0, 64, &o.approvals);
	if (err == TREASURY_OK)
		err = col_int(st, IDEM_COL_REJECTIONS, 0, 64, &o.rejections);
	if (err == TREASURY_OK)
		err = col_int(st, IDEM_COL_REPLAYED, 0, 1, &replayed);
	if (err == TREASURY_OK)
		err = col_int(st, IDEM_COL_TOKEN, 0, INT64_MAX, &o.token_id);
	if (err != TREASURY_OK)
		return err;
	idem_outcome_to(&o, cmd);
	cmd->replayed = replayed != 0;
	return TREASURY_OK;
}

treasury_err
idem_begin(struct store *s, struct command *cmd, bool *handled)
{
	struct db_stmt *st = s->stmt[STMT_IDEM_GET];
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
		    "another request", cmd->idem.key);
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
	struct db_stmt *st = s->stmt[STMT_IDEM_INSERT];
	const struct command_idempotency *id = &cmd->idem;
	struct idem_outcome o;
	unsigned status = 0;
	char *body = NULL;
	treasury_err err;

	if (!id->present || cmd->err != TREASURY_OK)
		return TREASURY_OK;
	idem_outcome_from(cmd, &o);
	if (id->render != NULL &&
	    (!id->render(s, cmd, id->render_ctx, &status, &body) ||
	    status / 100 != 2 || body == NULL ||
	    strlen(body) > IDEMPOTENCY_RESPONSE_MAX_BYTES)) {
		free(body);	/* none stored: a repeat renders the outcome */
		body = NULL;
	}
	db_bind_int64(st, 1, id->token_id);
	bind_str(st, 2, id->key);
	db_bind_blob(st, 3, id->fingerprint, sizeof(id->fingerprint),
	    DB_STATIC);
	db_bind_int64(st, 4, cmd->now_s);
	db_bind_int64(st, 5, o.ledger_seq);
	db_bind_blob(st, 6, o.proposal, PROPOSAL_ID_BYTES, DB_STATIC);
	db_bind_int64(st, 7, o.status);
	db_bind_int64(st, 8, o.approvals);
	db_bind_int64(st, 9, o.rejections);
	db_bind_int64(st, 10, cmd->replayed ? 1 : 0);
	db_bind_int64(st, 11, o.token_id);
	if (body != NULL) {
		db_bind_int64(st, 12, status);
		bind_str(st, 13, body);
	}	/* else ?12, ?13 are NULL (store_stmt_run clears bindings) */
	err = store_stmt_run(s, STMT_IDEM_INSERT);
	free(body);
	return err;
}

enum apply_outcome
apply_token_create(struct store *s, struct command *cmd)
{
	struct journal_who who = journal_who_cmd(cmd, NULL);
	treasury_err err;

	err = store_token_insert_by(s, &who, cmd->in.token_create.name,
	    cmd->in.token_create.roles, cmd->in.token_create.hash,
	    &cmd->out.token_create.token_id);
	if (err == TREASURY_ERR_CONFLICT)
		cmd_detail(cmd, "field 'name': a live token named '%s' exists",
		    cmd->in.token_create.name);
	else if (err == TREASURY_ERR_TOO_LARGE)
		cmd_detail(cmd, "%d live tokens exist already", TOKENS_MAX);
	return cmd_finish(s, cmd, err);
}

enum apply_outcome
apply_token_revoke(struct store *s, struct command *cmd)
{
	struct journal_who who = journal_who_cmd(cmd, NULL);
	treasury_err err;

	err = store_token_revoke_by(s, &who, cmd->in.token_revoke.name);
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
	struct db_stmt *st;
	treasury_err err;

	err = proposals_expire(s, cmd, MAINTENANCE_EXPIRE_BATCH_MAX,
	    &cmd->out.maintenance.expired, &cmd->out.maintenance.more);
	if (err != TREASURY_OK)
		return cmd_finish(s, cmd, err);
	st = s->stmt[STMT_IDEM_PURGE];
	db_bind_int64(st, 1, cmd->in.maintenance.idempotency_before_s);
	err = store_stmt_run(s, STMT_IDEM_PURGE);
	if (err == TREASURY_OK)
		cmd->out.maintenance.purged =
		    (unsigned)db_changes(s->db);
	if (err == TREASURY_OK && cmd->in.maintenance.webhook_dead_before_ms > 0)
		err = webhook_dead_purge(s,
		    cmd->in.maintenance.webhook_dead_before_ms,
		    &cmd->out.maintenance.webhook_dead_purged);
	return cmd_finish(s, cmd, err);
}

/* ---- read queries ---- */

static treasury_err
event_row_read(struct db_stmt *st, struct event_record *out)
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
event_page_row(struct store *s, struct db_stmt *st, void *walk, bool *stop)
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
	struct db_stmt *st = s->stmt[STMT_EVENTS_PAGE];
	struct event_walk w = { fn, ctx };

	assert(fn != NULL && more != NULL && limit >= 1);
	db_bind_int64(st, 1, after_id);
	db_bind_int64(st, 2, (int64_t)limit + 1);
	return store_page_walk(s, st, limit, event_page_row, &w, more);
}

treasury_err
store_events_last_id(struct store *s, int64_t *out)
{
	struct db_stmt *st = s->stmt[STMT_EVENTS_LAST];
	treasury_err err;
	int rc;

	assert(out != NULL);
	*out = 0;
	rc = db_step(st);
	if (rc == DB_ROW)
		err = col_int(st, 0, 0, INT64_MAX, out);
	else
		err = store_err_from_rc(rc);
	store_stmt_done(st);
	return err;
}

treasury_err
store_proposal_status_counts(struct store *s,
    int (*fn)(const char *status, int64_t count, void *), void *ctx)
{
	struct db_stmt *st = s->stmt[STMT_PROPOSAL_STATUS_COUNTS];
	char status[16];
	int64_t count;
	treasury_err err = TREASURY_OK;
	int rc;

	while ((rc = db_step(st)) == DB_ROW) {
		err = col_text(st, 0, 1, sizeof(status) - 1, status);
		if (err == TREASURY_OK)
			err = col_int(st, 1, 0, INT64_MAX, &count);
		if (err != TREASURY_OK || fn(status, count, ctx) != 0)
			break;
	}
	if (rc != DB_ROW && rc != DB_DONE)
		err = store_err_from_rc(rc);
	store_stmt_done(st);
	return err;
}
