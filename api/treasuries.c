/*
 * treasuries.c: treasuries and what can be read of them.
 *
 *   POST /v1/treasuries                  (admin) create at config version 1
 *   GET  /v1/treasuries                  paginated by id
 *   GET  /v1/treasuries/{t}              current config
 *   GET  /v1/treasuries/{t}/balances     per asset ever credited
 *   GET  /v1/treasuries/{t}/ledger       paginated by seq, newest last
 *
 * Signers and threshold change only by passed proposals (proposals.c).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "treasury/calendar.h"
#include "treasury/canonical.h"

#include "internal.h"

/* One item of "signers": {"name","key_type","pubkey"}. */
static bool
signer_from_json(struct request *rq, struct reply *rp, json_t *item,
    const char *prefix, struct signer *out)
{
	static const char *const fields[] = { "name", "key_type", "pubkey",
	    NULL };
	const char *name;
	size_t len;

	if (!json_is_object(item)) {
		reply_err(rp, TREASURY_ERR_FIELD_TYPE,
		    "field '%s' must be an object", prefix);
		return false;
	}
	if (!fields_only(rp, item, prefix, fields) ||
	    !field_string(rp, item, prefix, "name", true, &name, &len) ||
	    !field_check(rp, signer_name_check, prefix, "name", name, len) ||
	    !field_signer_key(rq, rp, item, prefix, &out->key))
		return false;
	text_copy(out->name, sizeof(out->name), name, len);
	return true;
}

/* Signer i must not repeat an earlier name or key (02||X, 03||X and the
 * x-only X are one key). */
static bool
signer_is_new(struct reply *rp, const struct treasury *t, unsigned i)
{
	const struct signer *s = &t->signers[i];

	for (unsigned k = 0; k < i; k++) {
		if (strcmp(t->signers[k].name, s->name) == 0) {
			reply_err(rp, TREASURY_ERR_DUPLICATE_SIGNER, "field "
			    "'signers[%u].name': '%s' is also signers[%u]", i,
			    s->name, k);
			return false;
		}
		if (memcmp(t->signers[k].key.x, s->key.x, 32) == 0) {
			reply_err(rp, TREASURY_ERR_DUPLICATE_KEY, "field "
			    "'signers[%u].pubkey': the same key as signers[%u]",
			    i, k);
			return false;
		}
	}
	return true;
}

static bool
signers_from_json(struct request *rq, struct reply *rp, json_t *body,
    struct treasury *t)
{
	char prefix[FIELD_PATH_MAX_BYTES];
	json_t *list;

	if (!field_array(rp, body, "", "signers", 1, SIGNERS_PER_TREASURY_MAX,
	    &list))
		return false;
	t->signer_count = (unsigned)json_array_size(list);
	for (unsigned i = 0; i < t->signer_count; i++) {
		snprintf(prefix, sizeof(prefix), "signers[%u]", i);
		if (!signer_from_json(rq, rp, json_array_get(list, i), prefix,
		    &t->signers[i]) || !signer_is_new(rp, t, i))
			return false;
	}
	return true;
}

static bool
treasury_from_body(struct request *rq, struct reply *rp, json_t *body,
    struct treasury *t)
{
	static const char *const fields[] = { "id", "name", "threshold",
	    "signers", "policy", NULL };
	const char *id, *name;
	size_t id_len, name_len;

	if (!fields_only(rp, body, "", fields) ||
	    !field_string(rp, body, "", "id", true, &id, &id_len) ||
	    !field_check(rp, treasury_id_check, "", "id", id, id_len) ||
	    !field_string(rp, body, "", "name", false, &name, &name_len) ||
	    (name != NULL && !field_check(rp, treasury_name_check, "", "name",
	    name, name_len)) ||
	    !signers_from_json(rq, rp, body, t) ||
	    !field_uint(rp, body, "", "threshold", true, 1, t->signer_count,
	    TREASURY_ERR_THRESHOLD, &t->threshold, NULL))
		return false;
	text_copy(t->id, sizeof(t->id), id, id_len);
	if (name == NULL)	/* the name defaults to the id */
		text_copy(t->name, sizeof(t->name), id, id_len);
	else
		text_copy(t->name, sizeof(t->name), name, name_len);
	return true;
}

/* The optional initial policy (docs/policies.md §9) into cmd->policy. */
static bool
treasury_policy_from_body(struct request *rq, struct reply *rp,
    json_t *body, struct command *cmd)
{
	json_t *obj = json_object_get(body, "policy");
	unsigned config_threshold;
	treasury_err err;

	if (obj == NULL)
		return true;
	cmd->policy = malloc(sizeof(*cmd->policy));
	if (cmd->policy == NULL) {
		reply_err(rp, TREASURY_ERR_NOMEM, "out of memory");
		return false;
	}
	if (!policy_from_json(rq, rp, obj, cmd->policy, &config_threshold))
		return false;
	err = policy_config_threshold(cmd->policy, config_threshold,
	    cmd->in.treasury_create.threshold);
	if (err == TREASURY_OK)
		err = policy_supported(cmd->policy);
	if (err != TREASURY_OK) {
		reply_err(rp, err, "field 'policy': %s", treasury_err_text(err));
		return false;
	}
	return true;
}

static void
treasury_created_answer(struct request *rq, struct reply *rp,
    const struct command *cmd)
{
	struct treasury *t = malloc(sizeof(*t));	/* ~4 KiB of signers */

	(void)rq;
	if (t == NULL) {
		reply_err(rp, TREASURY_ERR_NOMEM, "out of memory");
		return;
	}
	*t = cmd->in.treasury_create;
	t->config_version = 1;
	t->created_s = cmd->now_s;
	reply_built(rp, 201, treasury_json(t));
	free(t);
}

void
handle_treasury_create(struct request *rq, struct reply *rp)
{
	struct command *cmd;
	json_t *body = body_parse(rq, rp, false);

	if (body == NULL)
		return;
	cmd = calloc(1, sizeof(*cmd));	/* ~4 KiB of signers */
	if (cmd == NULL) {
		reply_err(rp, TREASURY_ERR_NOMEM, "out of memory");
		goto done;
	}
	cmd->type = CMD_TREASURY_CREATE;
	if (treasury_from_body(rq, rp, body, &cmd->in.treasury_create) &&
	    treasury_policy_from_body(rq, rp, body, cmd))
		(void)command_submit_wait(rq, rp, cmd,
		    treasury_created_answer);
done:
	if (cmd != NULL)
		free(cmd->policy);
	free(cmd);
	json_decref(body);
}

struct treasury_page {
	struct collect c;
	char last[TREASURY_ID_MAX_BYTES + 1];
};

static int
treasury_append(const struct treasury *t, void *ctx)
{
	struct treasury_page *pg = ctx;

	text_copy(pg->last, sizeof(pg->last), t->id, strlen(t->id));
	return collect_add(&pg->c, treasury_json(t));
}

void
handle_treasury_list(struct request *rq, struct reply *rp)
{
	static const char *const params[] = { "limit", "cursor", NULL };
	char after[TREASURY_ID_MAX_BYTES + 1];
	char cursor[CURSOR_MAX_BYTES];
	struct treasury_page pg = { 0 };
	unsigned limit;
	bool more = false;
	treasury_err err;

	if (!query_only(rq, rp, params) || !query_limit(rq, rp, &limit) ||
	    !query_cursor_id(rq, rp, CURSOR_TREASURIES, "", after))
		return;
	pg.c.items = json_array();
	err = store_treasuries_page(rq->reader, after, limit, treasury_append,
	    &pg, &more);
	if (!collect_done(&pg.c, rp, err, "listing treasuries"))
		return;
	cursor_id_make(rq->srv, CURSOR_TREASURIES, "", pg.last, cursor);
	reply_built(rp, 200, page_json("treasuries", pg.c.items,
	    more ? cursor : NULL));
}

/* Load the treasury named by path param 0 into *t (heap, caller frees).
 * Returns NULL after answering. */
/* The 200 answer body, its text kept for the next such GET (cache.c). */
static void
memo_reply(struct request *rq, struct reply *rp, enum memory_answer what,
    json_t *body)
{
	char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;

	json_decref(body);
	if (text == NULL) {
		reply_err(rp, TREASURY_ERR_NOMEM, "out of memory while building "
		    "the answer");
		return;
	}
	cache_answer_put(rq, what, rq->params[0], text);
	rp->status = 200;
	rp->raw = text;
}

static struct treasury *
treasury_load(struct request *rq, struct reply *rp)
{
	struct treasury *t;
	treasury_err err;

	if (!param_treasury(rq, rp, 0))
		return NULL;
	t = malloc(sizeof(*t));
	if (t == NULL) {
		reply_err(rp, TREASURY_ERR_NOMEM, "out of memory");
		return NULL;
	}
	err = store_treasury_get(rq->reader, rq->params[0], t);
	if (err != TREASURY_OK) {
		reply_err(rp, err, "no treasury '%s'", rq->params[0]);
		free(t);
		return NULL;
	}
	return t;
}

void
handle_treasury_get(struct request *rq, struct reply *rp)
{
	static const char *const params[] = { NULL };
	struct treasury *t;

	if (!query_only(rq, rp, params) || !param_treasury(rq, rp, 0))
		return;
	rp->raw = cache_answer_get(rq, MEMORY_TREASURY, rq->params[0]);
	if (rp->raw != NULL) {
		rp->status = 200;	/* as this thread last read it */
		return;
	}
	if (!request_snapshot_begin(rq, rp))
		return;
	t = treasury_load(rq, rp);
	if (t == NULL)
		return;
	memo_reply(rq, rp, MEMORY_TREASURY, treasury_json(t));
	free(t);
}

bool
treasury_walk_done(struct collect *c, struct reply *rp, treasury_err err,
    const char *treasury)
{
	char what[96];

	snprintf(what, sizeof(what), "%s treasury '%s'",
	    err == TREASURY_ERR_UNKNOWN_TREASURY ? "no" : "reading", treasury);
	return collect_done(c, rp, err, what);
}

static int
balance_append(const struct balance *b, void *ctx)
{
	return collect_add(ctx, json_pack("{s:s, s:o}", "asset", b->asset,
	    "amount", json_amount(b->amount, b->decimals)));
}

static int
balance_csv_row(const struct balance *b, void *ctx)
{
	struct csv_out *o = ctx;

	csv_text(o, b->asset);
	csv_minor(o, b->amount, b->decimals);
	csv_row_end(o);
	return 0;
}

/* asset,amount (docs/api.md "CSV"). */
static void
balances_csv(struct request *rq, struct reply *rp)
{
	static const char *const cols[] = { "asset", "amount", NULL };
	struct csv_out o;
	treasury_err err;

	if (!csv_memory_begin(rp, &o, CSV_LIST_MAX_BYTES, cols))
		return;
	err = store_balances(rq->reader, rq->params[0], balance_csv_row, &o);
	csv_memory_reply(rq, rp, &o, err, "balances");
}

void
handle_balances(struct request *rq, struct reply *rp)
{
	static const char *const params[] = { "format", NULL };
	struct collect c = { 0 };
	treasury_err err;
	bool csv;

	if (!query_only(rq, rp, params) || !param_treasury(rq, rp, 0) ||
	    !reply_format(rq, rp, &csv))
		return;
	if (!csv && (rp->raw = cache_answer_get(rq, MEMORY_BALANCES,
	    rq->params[0])) != NULL) {
		rp->status = 200;	/* as this thread last read it */
		return;
	}
	if (!request_snapshot_begin(rq, rp))
		return;
	if (csv) {
		balances_csv(rq, rp);
		return;
	}
	c.items = json_array();
	err = store_balances(rq->reader, rq->params[0], balance_append, &c);
	if (treasury_walk_done(&c, rp, err, rq->params[0]))
		memo_reply(rq, rp, MEMORY_BALANCES, json_pack("{s:s, s:o}", "treasury",
		    rq->params[0], "balances", c.items));
}

struct ledger_page {
	struct collect c;
	int64_t last;
};

static int
ledger_append(const struct ledger_entry *e, void *ctx)
{
	struct ledger_page *pg = ctx;

	pg->last = e->seq;
	return collect_add(&pg->c, ledger_entry_json(e));
}

/* A query parameter that is bad: 400 invalid-query naming it. */
static bool
query_bad(struct reply *rp, const char *name, const char *what)
{
	reply_err(rp, TREASURY_ERR_INVALID_QUERY, "%s must be %s", name, what);
	return false;
}

/* 1..max bytes of printable ASCII (0x20..0x7e). */
static bool
printable(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return false;
	for (; *s != '\0'; s++)
		if (*s < 0x20 || *s > 0x7e)
			return false;
	return true;
}

static bool
ledger_filter_time(struct request *rq, struct reply *rp, const char *name,
    int64_t *out, bool *any)
{
	const char *v = query_get(rq, name);

	if (v == NULL)
		return true;
	*any = true;
	if (calendar_time_parse(v, strlen(v), out) != TREASURY_OK)
		return query_bad(rp, name, "a date (YYYY-MM-DD), a time"
		    " (YYYY-MM-DDTHH:MM:SSZ) or unix seconds");
	return true;
}

/* The filters of GET /v1/treasuries/{t}/ledger (docs/api.md); *any is
 * set when at least one is given. */
static bool
ledger_filter_read(struct request *rq, struct reply *rp,
    struct ledger_filter *f, bool *any)
{
	const char *v;

	ledger_filter_init(f);
	*any = false;
	if (!ledger_filter_time(rq, rp, "from", &f->from_s, any) ||
	    !ledger_filter_time(rq, rp, "to", &f->to_s, any))
		return false;
	if ((v = query_get(rq, "kind")) != NULL) {
		*any = true;
		if (strcmp(v, "deposit") == 0)
			f->kind = LEDGER_DEPOSIT;
		else if (strcmp(v, "transfer") == 0)
			f->kind = LEDGER_TRANSFER;
		else
			return query_bad(rp, "kind", "deposit or transfer");
	}
	if ((v = query_get(rq, "asset")) != NULL) {
		*any = true;
		if (asset_code_check(v, strlen(v)) != TREASURY_OK)
			return query_bad(rp, "asset", "an asset code");
		snprintf(f->asset, sizeof(f->asset), "%s", v);
	}
	if ((v = query_get(rq, "category")) != NULL) {
		*any = true;
		f->by_category = true;
		if (strcmp(v, "-") != 0) {
			if (treasury_id_check(v, strlen(v)) != TREASURY_OK)
				return query_bad(rp, "category", "a category"
				    " name, or - for uncategorised");
			snprintf(f->category, sizeof(f->category), "%s", v);
		}
	}
	if ((v = query_get(rq, "counterparty")) != NULL) {
		*any = true;
		if (!printable(v, DESTINATION_MAX_BYTES))
			return query_bad(rp, "counterparty", "1..128 printable"
			    " ASCII characters");
		snprintf(f->counterparty, sizeof(f->counterparty), "%s", v);
	}
	return true;
}

/* The cursor's scope: the treasury and, when filtered, every filter, so
 * that a cursor is only taken back with the filters it was made for. */
static void
ledger_scope(const char *treasury, const struct ledger_filter *f, bool any,
    char *out, size_t out_size)
{
	if (!any) {
		snprintf(out, out_size, "%s", treasury);
		return;
	}
	snprintf(out, out_size, "%s\nfiltered\n%" PRId64 "\n%" PRId64
	    "\n%d\n%s\n%c%s\n%s", treasury, f->from_s, f->to_s, (int)f->kind,
	    f->asset, f->by_category ? 'c' : '-', f->category,
	    f->counterparty);
}

void
handle_ledger(struct request *rq, struct reply *rp)
{
	static const char *const params[] = { "limit", "cursor", "from", "to",
	    "kind", "asset", "category", "counterparty", "format", NULL };
	char cursor[CURSOR_MAX_BYTES];
	char scope[TREASURY_ID_MAX_BYTES + ASSET_CODE_MAX_BYTES +
	    CATEGORY_NAME_MAX_BYTES + DESTINATION_MAX_BYTES + 96];
	struct ledger_page pg = { 0 };
	struct ledger_filter f;
	uint64_t after;
	unsigned limit;
	bool more = false, any, csv;
	treasury_err err;

	if (!query_only(rq, rp, params) || !param_treasury(rq, rp, 0) ||
	    !query_limit(rq, rp, &limit) ||
	    !ledger_filter_read(rq, rp, &f, &any) ||
	    !reply_format(rq, rp, &csv))
		return;
	ledger_scope(rq->params[0], &f, any, scope, sizeof(scope));
	if (!query_cursor_u64(rq, rp, CURSOR_LEDGER, scope, &after))
		return;
	if (csv) {	/* everything after the cursor; limit is ignored */
		ledger_csv_stream(rq, rp, &f, any, (int64_t)after);
		return;
	}
	pg.c.items = json_array();
	err = store_ledger_page_filtered(rq->reader, rq->params[0],
	    any ? &f : NULL, (int64_t)after, limit, ledger_append, &pg, &more);
	if (!treasury_walk_done(&pg.c, rp, err, rq->params[0]))
		return;
	cursor_u64_make(rq->srv, CURSOR_LEDGER, scope, (uint64_t)pg.last,
	    cursor);
	reply_built(rp, 200, page_json("entries", pg.c.items,
	    more ? cursor : NULL));
}
