/*
 * webhooks.c: schema 9 (endpoints, outbox, deliveries log, fan-out
 * mark), the fan-out the writer runs before each COMMIT, the webhook
 * commands, and the reads of the api and the delivery thread
 * (contracts in include/treasury/webhook_store.h; docs/webhooks.md).
 */
#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "treasury/webhook_store.h"

#include "engine_int.h"

static_assert(WEBHOOK_URL_MAX_BYTES == 2048, "webhooks.url CHECK");
static_assert(WEBHOOK_SECRET_BYTES >= 24 && WEBHOOK_SECRET_BYTES <= 64,
    "webhooks.secret CHECK");
static_assert(WEBHOOK_EVENTS_TEXT_MAX_BYTES <= 2048, "webhooks.events CHECK");

/*
 * Schema 9. after_seq: the journal's last seq when the endpoint was
 * registered; only later entries are queued for it (a redelivery may
 * reach back). An outbox row is (endpoint, journal seq): 'pending' until
 * delivered (then deleted; the deliveries log keeps the attempt) or
 * 'dead' after webhook_attempts_max attempts. next_at_ms is wall-clock
 * milliseconds: when the next attempt is due, or for a dead row when it
 * died (its last attempt); the maintenance command deletes dead rows
 * WEBHOOK_DEAD_KEEP_S after that. webhook_fanout starts at the journal's end: entries made
 * before webhooks existed are not queued.
 */
const char store_schema_webhooks[] =
	"CREATE TABLE webhooks ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" url TEXT NOT NULL CHECK (length(CAST(url AS BLOB)) BETWEEN 1 AND 2048),"
	" events TEXT NOT NULL CHECK (events = '' OR (events GLOB ',*,'"
	"  AND length(events) <= 2048)),"
	" treasury_id TEXT CHECK (treasury_id IS NULL OR"
	"  length(CAST(treasury_id AS BLOB)) BETWEEN 1 AND 32),"
	" secret BLOB NOT NULL CHECK (length(secret) BETWEEN 24 AND 64),"
	" enabled INTEGER NOT NULL CHECK (enabled IN (0, 1)),"
	" after_seq INTEGER NOT NULL CHECK (after_seq >= 0),"
	" created_at INTEGER NOT NULL,"
	" updated_at INTEGER NOT NULL"
	") STRICT;"
	"CREATE TABLE webhook_outbox ("
	" webhook_id INTEGER NOT NULL,"
	" seq INTEGER NOT NULL,"
	" state TEXT NOT NULL CHECK (state IN ('pending', 'dead')),"
	" attempts INTEGER NOT NULL CHECK (attempts >= 0),"
	" next_at_ms INTEGER NOT NULL,"
	" last_status INTEGER,"
	" last_error TEXT,"
	" PRIMARY KEY (webhook_id, seq)"
	") STRICT, WITHOUT ROWID;"
	"CREATE INDEX webhook_outbox_pending ON webhook_outbox (webhook_id, seq)"
	" WHERE state = 'pending';"
	"CREATE TABLE webhook_deliveries ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" webhook_id INTEGER NOT NULL,"
	" seq INTEGER NOT NULL,"
	" attempt INTEGER NOT NULL CHECK (attempt >= 1),"
	" at_ms INTEGER NOT NULL,"
	" http_status INTEGER,"
	" error TEXT,"
	" outcome TEXT NOT NULL CHECK (outcome IN ('delivered', 'retry',"
	"  'dead')),"
	" next_at_ms INTEGER"
	") STRICT;"
	"CREATE INDEX webhook_deliveries_by ON webhook_deliveries"
	" (webhook_id, id);"
	"CREATE TABLE webhook_fanout ("
	" id INTEGER PRIMARY KEY CHECK (id = 1),"
	" seq INTEGER NOT NULL"
	") STRICT;"
	"INSERT INTO webhook_fanout (id, seq)"
	" SELECT 1, coalesce(max(seq), 0) FROM journal;";

/* *any: an endpoint is enabled. */
static treasury_err
any_enabled(struct store *s, bool *any)
{
	struct db_stmt *st = s->stmt[STMT_WEBHOOK_ANY_ENABLED];
	int rc;

	rc = db_step(st);
	store_stmt_done(st);
	*any = rc == DB_ROW;
	if (rc == DB_ROW || rc == DB_DONE)
		return TREASURY_OK;
	return store_err_from_rc(rc);
}

treasury_err
webhook_fanout_begin(struct store *s, struct webhook_fanout *f)
{
	struct db_stmt *st = s->stmt[STMT_WEBHOOK_JOURNAL_END];
	treasury_err err;
	bool any;
	int rc;

	memset(f, 0, sizeof(*f));
	err = any_enabled(s, &any);
	if (err != TREASURY_OK || any)
		return err;
	f->idle = true;
	rc = db_step(st);
	if (rc == DB_ROW)
		err = col_int(st, 0, 0, INT64_MAX, &f->start_seq);
	else
		err = store_err_from_rc(rc);
	store_stmt_done(st);
	return err;
}

treasury_err
webhook_fanout_run(struct store *s, const struct webhook_fanout *f)
{
	treasury_err err;
	bool any;

	err = any_enabled(s, &any);
	if (err != TREASURY_OK || !any)
		return err;	/* none enabled: nothing to queue */
	if (f->idle) {	/* the mark stood still while none was enabled */
		db_bind_int64(s->stmt[STMT_WEBHOOK_MARK_SET], 1,
		    f->start_seq);
		err = store_stmt_run(s, STMT_WEBHOOK_MARK_SET);
		if (err != TREASURY_OK)
			return err;
	}
	err = store_stmt_run(s, STMT_WEBHOOK_FANOUT);
	if (err == TREASURY_OK)
		err = store_stmt_run(s, STMT_WEBHOOK_MARK_RAISE);
	return err;
}

/* ---- commands (writer thread) ---- */

static void
bind_text_or_null(struct db_stmt *st, int i, const char *text)
{
	if (text[0] == '\0')
		db_bind_null(st, i);
	else
		bind_str(st, i, text);
}

/* The journal entries of the admin's acts on endpoints (webhook.*).
 * Their payloads name the endpoint, never its secret nor its URL's path
 * and query (which may carry a receiver's credential; the journal is
 * readable by every token). Delivery outcomes are not journalled: they
 * are the outbox's own bookkeeping, and an entry per attempt would feed
 * the endpoints their own deliveries. */
static treasury_err
webhook_journal_created(struct store *s, const struct command *cmd,
    int64_t id, const struct webhook_spec *w)
{
	struct journal_payload p;
	struct webhook_url u;
	const char *why;
	treasury_err err;

	err = webhook_url_parse(w->url, strlen(w->url), &u, &why);
	if (err != TREASURY_OK)
		return err;	/* the api parsed it already */
	journal_payload_begin(&p);
	journal_payload_str(&p, "events", w->events);
	journal_payload_str(&p, "host", u.host);
	journal_payload_int(&p, "id", id);
	journal_payload_int(&p, "port", u.port);
	if (w->treasury[0] != '\0')
		journal_payload_str(&p, "treasury", w->treasury);
	else
		journal_payload_null(&p, "treasury");
	return journal_cmd(s, cmd, NULL, NULL, "webhook.created", &p);
}

static const char *
webhook_op_type(enum webhook_op op)
{
	switch (op) {
	case WEBHOOK_OP_ENABLE:
		return "webhook.enabled";
	case WEBHOOK_OP_DISABLE:
		return "webhook.disabled";
	case WEBHOOK_OP_ROTATE:
		return "webhook.secret_rotated";
	case WEBHOOK_OP_DELETE:
		return "webhook.deleted";
	case WEBHOOK_OP_REDELIVER:
		return "webhook.redelivered";
	}
	return NULL;
}

static treasury_err
webhook_journal_update(struct store *s, const struct command *cmd)
{
	bool redeliver = cmd->in.webhook_update.op == WEBHOOK_OP_REDELIVER;
	const char *type = webhook_op_type(cmd->in.webhook_update.op);
	struct journal_payload p;

	assert(type != NULL);
	journal_payload_begin(&p);
	if (redeliver)
		journal_payload_int(&p, "count", cmd->out.webhook_update.count);
	journal_payload_int(&p, "id", cmd->in.webhook_update.id);
	if (redeliver) {
		journal_payload_int(&p, "seq_from",
		    cmd->in.webhook_update.seq_from);
		journal_payload_int(&p, "seq_to", cmd->in.webhook_update.seq_to);
	}
	return journal_cmd(s, cmd, NULL, NULL, type, &p);
}

enum apply_outcome
apply_webhook_create(struct store *s, struct command *cmd)
{
	const struct webhook_spec *w = cmd->in.webhook_create.spec;
	struct db_stmt *st = s->stmt[STMT_WEBHOOK_INSERT];
	treasury_err err;

	assert(w != NULL);
	bind_str(st, 1, w->url);
	bind_str(st, 2, w->events);
	bind_text_or_null(st, 3, w->treasury);
	db_bind_blob(st, 4, w->secret, WEBHOOK_SECRET_BYTES, DB_STATIC);
	db_bind_int64(st, 5, cmd->now_s);
	db_bind_int(st, 6, WEBHOOK_ENDPOINTS_MAX);
	err = store_stmt_insert(s, STMT_WEBHOOK_INSERT,
	    &cmd->out.webhook_create.id);
	if (err == TREASURY_OK && cmd->out.webhook_create.id == 0) {
		cmd_detail(cmd, "%d webhook endpoints are registered already; "
		    "delete one first", WEBHOOK_ENDPOINTS_MAX);
		err = TREASURY_ERR_WEBHOOK_LIMIT;
	}
	if (err == TREASURY_OK) {
		err = webhook_journal_created(s, cmd,
		    cmd->out.webhook_create.id, w);
	}
	return cmd_finish(s, cmd, err);
}

static treasury_err
webhook_exists(struct store *s, int64_t id)
{
	struct db_stmt *st = s->stmt[STMT_WEBHOOK_EXISTS];
	int rc;

	db_bind_int64(st, 1, id);
	rc = db_step(st);
	store_stmt_done(st);
	if (rc == DB_ROW)
		return TREASURY_OK;
	if (rc == DB_DONE)
		return TREASURY_ERR_UNKNOWN_WEBHOOK;
	return store_err_from_rc(rc);
}

/* Run statement i bound with the endpoint id (and what bind adds). */
static treasury_err
webhook_stmt_id(struct store *s, enum store_stmt i, int64_t id)
{
	db_bind_int64(s->stmt[i], 1, id);
	return store_stmt_run(s, i);
}

static treasury_err
webhook_update(struct store *s, struct command *cmd)
{
	int64_t id = cmd->in.webhook_update.id;
	struct db_stmt *st;
	treasury_err err;

	err = webhook_exists(s, id);
	if (err != TREASURY_OK)
		return err;
	switch (cmd->in.webhook_update.op) {
	case WEBHOOK_OP_ENABLE:
	case WEBHOOK_OP_DISABLE:
		st = s->stmt[STMT_WEBHOOK_ENABLE];
		db_bind_int(st, 2,
		    cmd->in.webhook_update.op == WEBHOOK_OP_ENABLE);
		db_bind_int64(st, 3, cmd->now_s);
		return webhook_stmt_id(s, STMT_WEBHOOK_ENABLE, id);
	case WEBHOOK_OP_ROTATE:
		st = s->stmt[STMT_WEBHOOK_ROTATE];
		db_bind_blob(st, 2, cmd->in.webhook_update.secret,
		    WEBHOOK_SECRET_BYTES, DB_STATIC);
		db_bind_int64(st, 3, cmd->now_s);
		return webhook_stmt_id(s, STMT_WEBHOOK_ROTATE, id);
	case WEBHOOK_OP_DELETE:
		err = webhook_stmt_id(s, STMT_WEBHOOK_OUTBOX_DELETE, id);
		if (err == TREASURY_OK)
			err = webhook_stmt_id(s, STMT_WEBHOOK_LOG_DELETE, id);
		if (err == TREASURY_OK)
			err = webhook_stmt_id(s, STMT_WEBHOOK_DELETE, id);
		return err;
	case WEBHOOK_OP_REDELIVER:
		st = s->stmt[STMT_WEBHOOK_REDELIVER];
		db_bind_int64(st, 2, cmd->in.webhook_update.seq_from);
		db_bind_int64(st, 3, cmd->in.webhook_update.seq_to);
		err = webhook_stmt_id(s, STMT_WEBHOOK_REDELIVER, id);
		if (err == TREASURY_OK)
			cmd->out.webhook_update.count =
			    (unsigned)db_changes(s->db);
		return err;
	}
	return TREASURY_ERR_INTERNAL;
}

enum apply_outcome
apply_webhook_update(struct store *s, struct command *cmd)
{
	treasury_err err = webhook_update(s, cmd);

	if (err == TREASURY_OK)
		err = webhook_journal_update(s, cmd);

	if (err == TREASURY_ERR_UNKNOWN_WEBHOOK)
		cmd_detail(cmd, "no webhook endpoint %lld",
		    (long long)cmd->in.webhook_update.id);
	return cmd_finish(s, cmd, err);
}

/* The outbox row of one attempt: deleted when delivered, dead after the
 * last attempt, else its next attempt time. Nothing when the row moved
 * on meanwhile (deleted endpoint, redelivered). */
static treasury_err
result_row_store(struct store *s, const struct webhook_result *r)
{
	enum store_stmt i = r->delivered ? STMT_WEBHOOK_ROW_DONE :
	    STMT_WEBHOOK_ROW_SET;
	struct db_stmt *st = s->stmt[i];

	db_bind_int64(st, 1, r->webhook_id);
	db_bind_int64(st, 2, r->seq);
	db_bind_int64(st, 3, r->attempt);
	if (!r->delivered) {
		db_bind_int64(st, 4, r->dead ? r->at_ms : r->next_ms);
		bind_str(st, 5, r->dead ? "dead" : "pending");
		if (r->http_status != 0)
			db_bind_int(st, 6, (int)r->http_status);
		if (r->error[0] != '\0')
			bind_str(st, 7, r->error);
	}
	return store_stmt_run(s, i);
}

static treasury_err
result_log(struct store *s, const struct webhook_result *r)
{
	struct db_stmt *st = s->stmt[STMT_WEBHOOK_LOG_INSERT];
	treasury_err err;

	db_bind_int64(st, 1, r->webhook_id);
	db_bind_int64(st, 2, r->seq);
	db_bind_int64(st, 3, r->attempt);
	db_bind_int64(st, 4, r->at_ms);
	if (r->http_status != 0)
		db_bind_int(st, 5, (int)r->http_status);
	if (r->error[0] != '\0')
		bind_str(st, 6, r->error);
	bind_str(st, 7, r->delivered ? "delivered" : r->dead ? "dead" :
	    "retry");
	if (!r->delivered && !r->dead)
		db_bind_int64(st, 8, r->next_ms);
	err = store_stmt_run(s, STMT_WEBHOOK_LOG_INSERT);
	if (err != TREASURY_OK)
		return err;
	st = s->stmt[STMT_WEBHOOK_LOG_TRIM];
	db_bind_int64(st, 1, r->webhook_id);
	db_bind_int(st, 2, WEBHOOK_DELIVERIES_KEPT);
	return store_stmt_run(s, STMT_WEBHOOK_LOG_TRIM);
}

enum apply_outcome
apply_webhook_results(struct store *s, struct command *cmd)
{
	const struct webhook_results *rs = cmd->in.webhook_results.results;
	treasury_err err = TREASURY_OK;

	assert(rs != NULL && rs->count <= WEBHOOK_RESULTS_MAX);
	for (unsigned i = 0; i < rs->count && err == TREASURY_OK; i++) {
		err = result_row_store(s, &rs->r[i]);
		if (err == TREASURY_OK)
			err = result_log(s, &rs->r[i]);
	}
	return cmd_finish(s, cmd, err);
}

/* ---- reads ---- */

enum {
	WEBHOOK_COL_ID, WEBHOOK_COL_URL, WEBHOOK_COL_EVENTS,
	WEBHOOK_COL_TREASURY, WEBHOOK_COL_ENABLED, WEBHOOK_COL_CREATED,
	WEBHOOK_COL_AFTER, WEBHOOK_COL_PENDING, WEBHOOK_COL_DEAD
};

/* Optional TEXT: NULL gives "". */
static treasury_err
col_text_opt(struct db_stmt *st, int col, size_t max_bytes, char *out,
    bool *present)
{
	bool is_null = db_column_type(st, col) == DB_NULL;

	if (present != NULL)
		*present = !is_null;
	if (is_null) {
		out[0] = '\0';
		return TREASURY_OK;
	}
	return col_text(st, col, 0, max_bytes, out);
}

static treasury_err
webhook_read(struct db_stmt *st, struct webhook_info *w)
{
	int64_t enabled;
	treasury_err err;

	memset(w, 0, sizeof(*w));
	err = col_int(st, WEBHOOK_COL_ID, 1, INT64_MAX, &w->id);
	if (err == TREASURY_OK)
		err = col_text(st, WEBHOOK_COL_URL, 1, WEBHOOK_URL_MAX_BYTES,
		    w->url);
	if (err == TREASURY_OK)
		err = col_text(st, WEBHOOK_COL_EVENTS, 0,
		    WEBHOOK_EVENTS_TEXT_MAX_BYTES - 1, w->events);
	if (err == TREASURY_OK)
		err = col_text_opt(st, WEBHOOK_COL_TREASURY,
		    TREASURY_ID_MAX_BYTES, w->treasury, NULL);
	if (err == TREASURY_OK)
		err = col_int(st, WEBHOOK_COL_ENABLED, 0, 1, &enabled);
	if (err == TREASURY_OK)
		err = col_int(st, WEBHOOK_COL_CREATED, INT64_MIN, INT64_MAX,
		    &w->created_s);
	if (err == TREASURY_OK)
		err = col_int(st, WEBHOOK_COL_AFTER, 0, INT64_MAX,
		    &w->after_seq);
	if (err == TREASURY_OK)
		err = col_int(st, WEBHOOK_COL_PENDING, 0, INT64_MAX,
		    &w->pending);
	if (err == TREASURY_OK)
		err = col_int(st, WEBHOOK_COL_DEAD, 0, INT64_MAX, &w->dead);
	w->enabled = enabled == 1;
	return err;
}

treasury_err
store_webhooks_list(struct store *s,
    int (*fn)(const struct webhook_info *, void *), void *ctx)
{
	struct db_stmt *st = s->stmt[STMT_WEBHOOK_LIST];
	struct webhook_info w;
	treasury_err err = TREASURY_OK;
	int rc = DB_DONE;

	while (err == TREASURY_OK && (rc = db_step(st)) == DB_ROW) {
		err = webhook_read(st, &w);
		if (err == TREASURY_OK && fn(&w, ctx) != 0)
			err = TREASURY_ERR_NOMEM;
	}
	if (err == TREASURY_OK && rc != DB_DONE)
		err = store_err_from_rc(rc);
	store_stmt_done(st);
	return err;
}

treasury_err
store_webhook_get(struct store *s, int64_t id, struct webhook_info *out)
{
	struct db_stmt *st = s->stmt[STMT_WEBHOOK_GET];
	treasury_err err;
	int rc;

	db_bind_int64(st, 1, id);
	rc = db_step(st);
	if (rc == DB_ROW)
		err = webhook_read(st, out);
	else if (rc == DB_DONE)
		err = TREASURY_ERR_UNKNOWN_WEBHOOK;
	else
		err = store_err_from_rc(rc);
	store_stmt_done(st);
	return err;
}

static treasury_err
attempt_read(struct db_stmt *st, struct webhook_attempt *a)
{
	int64_t attempt, status = 0;
	treasury_err err;

	memset(a, 0, sizeof(*a));
	err = col_int(st, 0, 1, INT64_MAX, &a->seq);
	if (err == TREASURY_OK)
		err = col_int(st, 1, 1, 1000000, &attempt);
	if (err == TREASURY_OK)
		err = col_int(st, 2, INT64_MIN, INT64_MAX, &a->at_ms);
	if (err == TREASURY_OK && db_column_type(st, 3) != DB_NULL)
		err = col_int(st, 3, 100, 999, &status);
	if (err == TREASURY_OK)
		err = col_text_opt(st, 4, sizeof(a->error) - 1, a->error, NULL);
	if (err == TREASURY_OK)
		err = col_text(st, 5, 1, sizeof(a->outcome) - 1, a->outcome);
	if (err == TREASURY_OK && db_column_type(st, 6) != DB_NULL)
		err = col_int(st, 6, INT64_MIN, INT64_MAX, &a->next_ms);
	a->attempt = (unsigned)attempt;
	a->http_status = (unsigned)status;
	return err;
}

treasury_err
store_webhook_attempts(struct store *s, int64_t id, unsigned limit,
    int (*fn)(const struct webhook_attempt *, void *), void *ctx)
{
	struct db_stmt *st = s->stmt[STMT_WEBHOOK_LOG_PAGE];
	struct webhook_attempt a;
	treasury_err err = TREASURY_OK;
	int rc = DB_DONE;

	db_bind_int64(st, 1, id);
	db_bind_int(st, 2, (int)limit);
	while (err == TREASURY_OK && (rc = db_step(st)) == DB_ROW) {
		err = attempt_read(st, &a);
		if (err == TREASURY_OK && fn(&a, ctx) != 0)
			err = TREASURY_ERR_NOMEM;
	}
	if (err == TREASURY_OK && rc != DB_DONE)
		err = store_err_from_rc(rc);
	store_stmt_done(st);
	return err;
}

/* seq, attempts, next_at_ms at columns col.. */
static treasury_err
due_row_read(struct db_stmt *st, int col, struct webhook_due *d)
{
	int64_t attempts;
	treasury_err err;

	err = col_int(st, col, 1, INT64_MAX, &d->seq);
	if (err == TREASURY_OK)
		err = col_int(st, col + 1, 0, WEBHOOK_ATTEMPTS_MAX, &attempts);
	if (err == TREASURY_OK)
		err = col_int(st, col + 2, INT64_MIN, INT64_MAX, &d->next_ms);
	d->attempts = (unsigned)attempts;
	return err;
}

static treasury_err
head_read(struct db_stmt *st, struct webhook_due *d)
{
	int n;
	treasury_err err;

	memset(d, 0, sizeof(*d));
	err = col_int(st, 0, 1, INT64_MAX, &d->webhook_id);
	if (err == TREASURY_OK)
		err = col_text(st, 1, 1, WEBHOOK_URL_MAX_BYTES, d->url);
	if (err != TREASURY_OK)
		return err;
	n = db_column_bytes(st, 2);
	if (db_column_type(st, 2) != DB_BLOB || n < 24 ||
	    n > WEBHOOK_SECRET_BYTES)
		return TREASURY_ERR_DB_CORRUPT;
	memcpy(d->secret, db_column_blob(st, 2), (size_t)n);
	d->secret_len = (size_t)n;
	return due_row_read(st, 3, d);
}

treasury_err
store_webhook_heads(struct store *s, struct webhook_due *out, unsigned max,
    unsigned *n)
{
	struct db_stmt *st = s->stmt[STMT_WEBHOOK_HEADS];
	treasury_err err = TREASURY_OK;
	int rc = DB_DONE;

	*n = 0;
	while (err == TREASURY_OK && *n < max &&
	    (rc = db_step(st)) == DB_ROW) {
		err = head_read(st, &out[*n]);
		if (err == TREASURY_OK)
			(*n)++;
	}
	if (err == TREASURY_OK && *n < max && rc != DB_DONE)
		err = store_err_from_rc(rc);
	store_stmt_done(st);
	return err;
}

treasury_err
webhook_dead_purge(struct store *s, int64_t before_ms, unsigned *count)
{
	struct db_stmt *st = s->stmt[STMT_WEBHOOK_DEAD_PURGE];
	treasury_err err;

	*count = 0;
	db_bind_int64(st, 1, before_ms);
	err = store_stmt_run(s, STMT_WEBHOOK_DEAD_PURGE);
	if (err == TREASURY_OK)
		*count = (unsigned)db_changes(s->db);
	return err;
}

treasury_err
store_webhook_head(struct store *s, int64_t webhook_id,
    struct webhook_due *out, bool *found)
{
	struct db_stmt *st = s->stmt[STMT_WEBHOOK_HEAD];
	treasury_err err = TREASURY_OK;
	int rc;

	*found = false;
	db_bind_int64(st, 1, webhook_id);
	rc = db_step(st);
	if (rc == DB_ROW) {
		err = head_read(st, out);
		*found = err == TREASURY_OK;
	} else if (rc != DB_DONE)
		err = store_err_from_rc(rc);
	store_stmt_done(st);
	return err;
}

treasury_err
store_webhook_next(struct store *s, struct webhook_due *d, int64_t after,
    bool *found)
{
	struct db_stmt *st = s->stmt[STMT_WEBHOOK_NEXT];
	treasury_err err = TREASURY_OK;
	int rc;

	*found = false;
	db_bind_int64(st, 1, d->webhook_id);
	db_bind_int64(st, 2, after);
	rc = db_step(st);
	if (rc == DB_ROW) {
		err = due_row_read(st, 0, d);
		*found = err == TREASURY_OK;
	} else if (rc != DB_DONE)
		err = store_err_from_rc(rc);
	store_stmt_done(st);
	return err;
}

static treasury_err
entry_read(struct db_stmt *st, struct webhook_entry *out)
{
	const unsigned char *t;
	int n;
	treasury_err err;

	err = col_text(st, 0, 1, WEBHOOK_EVENT_TYPE_MAX_BYTES, out->type);
	if (err == TREASURY_OK)
		err = col_int(st, 1, INT64_MIN, INT64_MAX, &out->created_s);
	if (err == TREASURY_OK)
		err = col_text_opt(st, 2, TREASURY_ID_MAX_BYTES, out->treasury,
		    &out->has_treasury);
	if (err == TREASURY_OK)
		err = col_text_opt(st, 3, TOKEN_NAME_MAX_BYTES,
		    out->actor_token, &out->has_actor_token);
	if (err == TREASURY_OK)
		err = col_text_opt(st, 4, SIGNER_NAME_MAX_BYTES,
		    out->actor_signer, &out->has_actor_signer);
	if (err != TREASURY_OK)
		return err;
	if (db_column_type(st, 5) != DB_TEXT)
		return TREASURY_ERR_DB_CORRUPT;
	t = db_column_text(st, 5);
	n = db_column_bytes(st, 5);
	if (t == NULL || n < 2 || memchr(t, '\0', (size_t)n) != NULL)
		return TREASURY_ERR_DB_CORRUPT;
	out->payload = malloc((size_t)n + 1);
	if (out->payload == NULL)
		return TREASURY_ERR_NOMEM;
	memcpy(out->payload, t, (size_t)n);
	out->payload[n] = '\0';
	return TREASURY_OK;
}

treasury_err
store_webhook_entry(struct store *s, int64_t seq, struct webhook_entry *out)
{
	struct db_stmt *st = s->stmt[STMT_WEBHOOK_ENTRY];
	treasury_err err;
	int rc;

	memset(out, 0, sizeof(*out));
	db_bind_int64(st, 1, seq);
	rc = db_step(st);
	if (rc == DB_ROW)
		err = entry_read(st, out);
	else if (rc == DB_DONE)
		err = TREASURY_ERR_NOT_FOUND;
	else
		err = store_err_from_rc(rc);
	store_stmt_done(st);
	if (err != TREASURY_OK) {
		free(out->payload);
		out->payload = NULL;
	}
	return err;
}

treasury_err
store_webhook_pending_count(struct store *s, int64_t *out)
{
	struct db_stmt *st = s->stmt[STMT_WEBHOOK_PENDING_COUNT];
	treasury_err err;
	int rc;

	*out = 0;
	rc = db_step(st);
	if (rc == DB_ROW)
		err = col_int(st, 0, 0, INT64_MAX, out);
	else
		err = store_err_from_rc(rc == DB_DONE ? DB_CORRUPT :
		    rc);
	store_stmt_done(st);
	return err;
}
