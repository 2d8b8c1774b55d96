/*
 * webhooks.c: webhook endpoints over HTTP (docs/webhooks.md), admin only.
 *
 *   POST   /v1/webhooks                   {"url","events"?,"treasury"?}
 *                                         -> 201 with the secret, shown once
 *   GET    /v1/webhooks                   every endpoint, never a secret
 *   GET    /v1/webhooks/{id}
 *   POST   /v1/webhooks/{id}/enable | /disable
 *   DELETE /v1/webhooks/{id}              with its outbox and log
 *   POST   /v1/webhooks/{id}/rotate-secret -> the new secret, shown once
 *   POST   /v1/webhooks/{id}/redeliver    {"seq"} or {"from_seq","to_seq"}
 *   GET    /v1/webhooks/{id}/deliveries   the last attempts, newest first
 *
 * The URL must pass webhook_url_parse and its host (and port) be in the
 * operator's webhook_hosts; the delivery thread checks it again at every
 * attempt. Every write is a writer command. The answer stored for an
 * Idempotency-Key replay leaves the secret out (like a token's).
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "treasury/canonical.h"
#include "treasury/webhook.h"
#include "treasury/webhook_store.h"

#include "internal.h"

enum {
	/* journal entries one redelivery may queue */
	WEBHOOK_REDELIVER_RANGE_MAX = 10000,
};

/* ",a,b," as a JSON list; "" (every type) as null. */
static json_t *
events_json(const char *events)
{
	json_t *a;
	const char *p = events;

	if (events[0] == '\0')
		return json_null();
	a = json_array();
	while (a != NULL && *p == ',' && p[1] != '\0') {
		const char *end = strchr(p + 1, ',');
		if (end == NULL)
			break;
		if (json_array_append_new(a, json_stringn(p + 1,
		    (size_t)(end - p - 1))) != 0) {
			json_decref(a);
			return NULL;
		}
		p = end;
	}
	return a;
}

static json_t *
webhook_json(const struct webhook_info *w)
{
	return json_pack("{s:I, s:s, s:o, s:o, s:b, s:o, s:I, s:I, s:I}",
	    "id", (json_int_t)w->id, "url", w->url, "events",
	    events_json(w->events), "treasury", w->treasury[0] != '\0' ?
	    json_string(w->treasury) : json_null(), "enabled", w->enabled,
	    "created_at", json_time(w->created_s), "after_seq",
	    (json_int_t)w->after_seq, "pending", (json_int_t)w->pending,
	    "dead", (json_int_t)w->dead);
}

/* Path param 0 as an endpoint id (1..2^63-1 in decimal); 404 if not. */
static bool
param_webhook(struct request *rq, struct reply *rp, int64_t *id)
{
	const char *p = rq->params[0];
	char shown[24];
	uint64_t v = 0;
	size_t n = strlen(p);

	for (size_t i = 0; i < n && n <= 18; i++) {
		if (p[i] < '0' || p[i] > '9') {
			v = 0;
			break;
		}
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	if (n == 0 || n > 18 || v == 0 || p[0] == '0') {
		text_for_detail(shown, sizeof(shown), p);
		reply_err(rp, TREASURY_ERR_UNKNOWN_WEBHOOK, "no webhook endpoint "
		    "'%s'", shown);
		return false;
	}
	*id = (int64_t)v;
	return true;
}

static int
type_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "events": 1..WEBHOOK_EVENTS_MAX known types, stored sorted without
 * repeats as ",a,b,"; absent or null: every type (""). */
static bool
events_field(struct reply *rp, json_t *body, char out[WEBHOOK_EVENTS_TEXT_MAX_BYTES])
{
	const char *types[WEBHOOK_EVENTS_MAX];
	json_t *list, *item;
	size_t i, n = 0, used = 1;

	out[0] = '\0';
	if (json_is_null(json_object_get(body, "events")) ||
	    json_object_get(body, "events") == NULL)
		return true;
	if (!field_array(rp, body, "", "events", 1, WEBHOOK_EVENTS_MAX, &list))
		return false;
	json_array_foreach(list, i, item) {
		const char *s = json_string_value(item);
		if (s == NULL || !webhook_event_type_known(s,
		    json_string_length(item))) {
			reply_err(rp, TREASURY_ERR_INVALID_FIELD, "field "
			    "'events[%zu]' must be a journal entry type "
			    "(docs/webhooks.md)", i);
			return false;
		}
		types[n++] = s;
	}
	qsort(types, n, sizeof(types[0]), type_cmp);
	out[0] = ',';
	for (i = 0; i < n; i++) {
		size_t len = strlen(types[i]);
		if (i > 0 && strcmp(types[i], types[i - 1]) == 0)
			continue;
		memcpy(out + used, types[i], len);
		out[used + len] = ',';
		used += len + 1;
	}
	out[used] = '\0';
	return true;
}

/* "url": parsed, and its host (and port) in webhook_hosts. */
static bool
url_field(struct request *rq, struct reply *rp, json_t *body,
    struct webhook_spec *spec)
{
	const char *hosts = rq->srv->opts.webhook_hosts;
	struct webhook_url u;
	const char *url, *why;
	size_t len;

	if (!field_string(rp, body, "", "url", true, &url, &len))
		return false;
	if (webhook_url_parse(url, len, &u, &why) != TREASURY_OK) {
		reply_err(rp, TREASURY_ERR_WEBHOOK_URL, "field 'url': %s", why);
		return false;
	}
	if (hosts == NULL || hosts[0] == '\0') {
		reply_err(rp, TREASURY_ERR_WEBHOOK_URL, "field 'url': no webhook "
		    "host is allowed on this server: the operator lists them in "
		    "the webhook_hosts option (docs/configuration.md)");
		return false;
	}
	if (!webhook_hosts_allow(hosts, &u)) {
		reply_err(rp, TREASURY_ERR_WEBHOOK_URL, "field 'url': host '%s' "
		    "port %u is not in the server's webhook_hosts", u.host,
		    u.port);
		return false;
	}
	text_copy(spec->url, sizeof(spec->url), url, len);
	return true;
}

/* "treasury": an existing treasury, or absent / null for every one. */
static bool
treasury_field(struct request *rq, struct reply *rp, json_t *body,
    struct webhook_spec *spec)
{
	struct treasury t;
	const char *id;
	size_t len;
	treasury_err err;

	spec->treasury[0] = '\0';
	if (json_is_null(json_object_get(body, "treasury")))
		return true;
	if (!field_string(rp, body, "", "treasury", false, &id, &len))
		return false;
	if (id == NULL)
		return true;
	if (!field_check(rp, treasury_id_check, "", "treasury", id, len))
		return false;
	text_copy(spec->treasury, sizeof(spec->treasury), id, len);
	err = store_treasury_get(rq->reader, spec->treasury, &t);
	if (err == TREASURY_ERR_UNKNOWN_TREASURY) {
		reply_err(rp, err, "field 'treasury': no treasury '%s'",
		    spec->treasury);
		return false;
	}
	if (err != TREASURY_OK) {
		reply_err(rp, err, "reading treasury '%s'", spec->treasury);
		return false;
	}
	return true;
}

struct secret_answer {
	char text[WEBHOOK_SECRET_TEXT_BYTES];
};

/* Read endpoint id back (through rq->reader, as the writer may be the
 * one rendering) and answer it with status; with the secret unless the
 * writer replayed a stored answer. The stored copy has no secret. */
static void
webhook_answer(struct request *rq, struct reply *rp, int64_t id,
    unsigned status)
{
	const struct secret_answer *sa = rq->answer_arg;
	struct webhook_info w;
	treasury_err err;
	json_t *o;

	err = store_webhook_get(rq->reader, id, &w);
	if (err != TREASURY_OK) {
		reply_err(rp, err, "reading webhook endpoint %lld back",
		    (long long)id);
		return;
	}
	o = webhook_json(&w);
	if (o != NULL)
		rp->stored = json_deep_copy(o);
	if (o != NULL && sa != NULL && !rq->idem_replayed &&
	    json_object_set_new(o, "secret", json_string(sa->text)) != 0) {
		json_decref(o);
		o = NULL;
	}
	reply_built(rp, status, o);
}

static void
webhook_created_answer(struct request *rq, struct reply *rp,
    const struct command *cmd)
{
	webhook_answer(rq, rp, cmd->out.webhook_create.id, 201);
}

void
handle_webhook_create(struct request *rq, struct reply *rp)
{
	static const char *const fields[] = { "url", "events", "treasury",
		NULL };
	struct secret_answer sa;
	struct webhook_spec *spec;
	struct command cmd;
	json_t *body;

	body = body_parse(rq, rp, false);
	if (body == NULL)
		return;
	spec = calloc(1, sizeof(*spec));
	if (spec == NULL) {
		reply_err(rp, TREASURY_ERR_NOMEM, "registering the endpoint");
		goto done;
	}
	if (!fields_only(rp, body, "", fields) ||
	    !url_field(rq, rp, body, spec) || !events_field(rp, body,
	    spec->events) || !treasury_field(rq, rp, body, spec))
		goto done;
	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CMD_WEBHOOK_CREATE;
	cmd.in.webhook_create.spec = spec;
	webhook_secret_generate(spec->secret);
	webhook_secret_text(spec->secret, WEBHOOK_SECRET_BYTES, sa.text);
	rq->answer_arg = &sa;
	(void)command_submit_wait(rq, rp, &cmd, webhook_created_answer);
	rq->answer_arg = NULL;
	sodium_memzero(&sa, sizeof(sa));
done:
	if (spec != NULL) {
		sodium_memzero(spec->secret, sizeof(spec->secret));
		free(spec);
	}
	json_decref(body);
}

static int
webhook_append(const struct webhook_info *w, void *ctx)
{
	return collect_add(ctx, webhook_json(w));
}

void
handle_webhook_list(struct request *rq, struct reply *rp)
{
	static const char *const params[] = { NULL };
	struct collect c = { 0 };
	treasury_err err;

	if (!query_only(rq, rp, params))
		return;
	c.items = json_array();
	err = store_webhooks_list(rq->reader, webhook_append, &c);
	if (!collect_done(&c, rp, err, "listing webhook endpoints"))
		return;
	reply_built(rp, 200, json_pack("{s:o}", "webhooks", c.items));
}

void
handle_webhook_get(struct request *rq, struct reply *rp)
{
	static const char *const params[] = { NULL };
	struct webhook_info w;
	treasury_err err;
	int64_t id;

	if (!query_only(rq, rp, params) || !param_webhook(rq, rp, &id))
		return;
	err = store_webhook_get(rq->reader, id, &w);
	if (err == TREASURY_ERR_UNKNOWN_WEBHOOK) {
		reply_err(rp, err, "no webhook endpoint %lld", (long long)id);
		return;
	}
	if (err != TREASURY_OK) {
		reply_err(rp, err, "reading webhook endpoint %lld",
		    (long long)id);
		return;
	}
	reply_built(rp, 200, webhook_json(&w));
}

static void
webhook_updated_answer(struct request *rq, struct reply *rp,
    const struct command *cmd)
{
	int64_t id = cmd->in.webhook_update.id;

	switch (cmd->in.webhook_update.op) {
	case WEBHOOK_OP_DELETE:
		reply_built(rp, 200, json_pack("{s:I, s:b}", "id",
		    (json_int_t)id, "deleted", 1));
		return;
	case WEBHOOK_OP_REDELIVER:
		reply_built(rp, 200, json_pack("{s:I, s:I}", "id",
		    (json_int_t)id, "queued",
		    (json_int_t)cmd->out.webhook_update.count));
		return;
	default:
		webhook_answer(rq, rp, id, 200);
	}
}

/* An endpoint command from path param 0 and a body with no member
 * beyond `fields`; returns false after answering. */
static bool
update_prepare(struct request *rq, struct reply *rp, enum webhook_op op,
    const char *const fields[], struct command *cmd, json_t **body)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->type = CMD_WEBHOOK_UPDATE;
	cmd->in.webhook_update.op = op;
	if (!param_webhook(rq, rp, &cmd->in.webhook_update.id))
		return false;
	*body = body_parse(rq, rp, true);
	if (*body == NULL)
		return false;
	if (!fields_only(rp, *body, "", fields)) {
		json_decref(*body);
		*body = NULL;
		return false;
	}
	return true;
}

static void
update_simple(struct request *rq, struct reply *rp, enum webhook_op op)
{
	static const char *const fields[] = { NULL };
	struct command cmd;
	json_t *body;

	if (!update_prepare(rq, rp, op, fields, &cmd, &body))
		return;
	(void)command_submit_wait(rq, rp, &cmd, webhook_updated_answer);
	json_decref(body);
}

void
handle_webhook_enable(struct request *rq, struct reply *rp)
{
	update_simple(rq, rp, WEBHOOK_OP_ENABLE);
}

void
handle_webhook_disable(struct request *rq, struct reply *rp)
{
	update_simple(rq, rp, WEBHOOK_OP_DISABLE);
}

void
handle_webhook_delete(struct request *rq, struct reply *rp)
{
	update_simple(rq, rp, WEBHOOK_OP_DELETE);
}

void
handle_webhook_rotate(struct request *rq, struct reply *rp)
{
	static const char *const fields[] = { NULL };
	struct secret_answer sa;
	struct command cmd;
	json_t *body;

	if (!update_prepare(rq, rp, WEBHOOK_OP_ROTATE, fields, &cmd, &body))
		return;
	webhook_secret_generate(cmd.in.webhook_update.secret);
	webhook_secret_text(cmd.in.webhook_update.secret,
	    WEBHOOK_SECRET_BYTES, sa.text);
	rq->answer_arg = &sa;
	(void)command_submit_wait(rq, rp, &cmd, webhook_updated_answer);
	rq->answer_arg = NULL;
	sodium_memzero(&sa, sizeof(sa));
	sodium_memzero(&cmd, sizeof(cmd));
	json_decref(body);
}

/* Member `name`: a journal seq (integer >= 1); *present when given. */
static bool
seq_field(struct reply *rp, json_t *body, const char *name, int64_t *out,
    bool *present)
{
	json_t *v = json_object_get(body, name);

	*present = v != NULL;
	if (v == NULL)
		return true;
	if (!json_is_integer(v) || json_integer_value(v) < 1) {
		reply_err(rp, json_is_integer(v) ? TREASURY_ERR_INVALID_FIELD :
		    TREASURY_ERR_FIELD_TYPE, "field '%s' must be a journal "
		    "sequence number (an integer >= 1)", name);
		return false;
	}
	*out = (int64_t)json_integer_value(v);
	return true;
}

void
handle_webhook_redeliver(struct request *rq, struct reply *rp)
{
	static const char *const fields[] = { "seq", "from_seq", "to_seq",
		NULL };
	int64_t seq = 0, from = 0, to = 0;
	bool has_seq, has_from, has_to;
	struct command cmd;
	json_t *body;

	if (!update_prepare(rq, rp, WEBHOOK_OP_REDELIVER, fields, &cmd, &body))
		return;
	if (!seq_field(rp, body, "seq", &seq, &has_seq) ||
	    !seq_field(rp, body, "from_seq", &from, &has_from) ||
	    !seq_field(rp, body, "to_seq", &to, &has_to))
		goto done;
	if (has_seq == (has_from || has_to) || has_from != has_to) {
		reply_err(rp, TREASURY_ERR_MISSING_FIELD, "give either 'seq', "
		    "or 'from_seq' and 'to_seq'");
		goto done;
	}
	if (has_seq)
		from = to = seq;
	if (to < from || to - from >= WEBHOOK_REDELIVER_RANGE_MAX) {
		reply_err(rp, TREASURY_ERR_INVALID_FIELD, "'from_seq'..'to_seq' "
		    "must be an increasing range of at most %d entries",
		    WEBHOOK_REDELIVER_RANGE_MAX);
		goto done;
	}
	cmd.in.webhook_update.seq_from = from;
	cmd.in.webhook_update.seq_to = to;
	(void)command_submit_wait(rq, rp, &cmd, webhook_updated_answer);
done:
	json_decref(body);
}

static json_t *
attempt_json(const struct webhook_attempt *a)
{
	return json_pack("{s:I, s:I, s:o, s:I, s:o, s:o, s:s, s:o}",
	    "seq", (json_int_t)a->seq, "attempt", (json_int_t)a->attempt,
	    "time", json_time(a->at_ms / 1000), "time_ms", (json_int_t)a->at_ms,
	    "status", a->http_status != 0 ?
	    json_integer((json_int_t)a->http_status) : json_null(),
	    "error", a->error[0] != '\0' ? json_string(a->error) : json_null(),
	    "outcome", a->outcome, "next_attempt", a->next_ms != 0 ?
	    json_time(a->next_ms / 1000) : json_null());
}

static int
attempt_append(const struct webhook_attempt *a, void *ctx)
{
	return collect_add(ctx, attempt_json(a));
}

void
handle_webhook_deliveries(struct request *rq, struct reply *rp)
{
	static const char *const params[] = { "limit", NULL };
	struct webhook_info w;
	struct collect c = { 0 };
	treasury_err err;
	unsigned limit;
	int64_t id;

	if (!query_only(rq, rp, params) || !param_webhook(rq, rp, &id) ||
	    !query_limit(rq, rp, &limit))
		return;
	err = store_webhook_get(rq->reader, id, &w);
	if (err != TREASURY_OK) {
		reply_err(rp, err, "no webhook endpoint %lld", (long long)id);
		return;
	}
	c.items = json_array();
	err = store_webhook_attempts(rq->reader, id, limit, attempt_append, &c);
	if (!collect_done(&c, rp, err, "listing webhook deliveries"))
		return;
	reply_built(rp, 200, json_pack("{s:I, s:o}", "id", (json_int_t)id,
	    "deliveries", c.items));
}
