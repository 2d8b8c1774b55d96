/*
 * categories.c: accounting categories (issue #14, docs/api.md
 * "Categories"): labels a treasurer puts on deposits (income) and
 * transfers (expense). A label is never signed and never part of a
 * canonical text.
 *
 *   POST /v1/treasuries/{t}/categories {"name","kind"} (admin or
 *        treasurer): 201 new, 200 the same again, 409 the other kind
 *   GET  /v1/treasuries/{t}/categories (JSON, or CSV: docs/api.md "CSV")
 *   GET  /v1/treasuries/{t}/ledger/{seq}: the entry + category_history
 *   POST /v1/treasuries/{t}/ledger/{seq}/category {"category": name|null}
 *   POST /v1/proposals/{id}/category {"item": n, "category": name|null}
 */
#include <stdlib.h>
#include <string.h>

#include "treasury/canonical.h"

#include "internal.h"

static const char *
kind_name(enum category_kind k)
{
	return k == CATEGORY_INCOME ? "income" : "expense";
}

static json_t *
category_json(const struct category *c)
{
	return json_pack("{s:s, s:s, s:o}", "name", c->name, "kind",
	    kind_name(c->kind), "created_at", json_time(c->created_s));
}

/* ---- POST/GET /v1/treasuries/{t}/categories ---- */

static bool
category_from_body(struct reply *rp, json_t *body, struct command *cmd)
{
	static const char *const fields[] = { "name", "kind", NULL };
	const char *name, *kind;
	size_t name_len, kind_len;

	if (!fields_only(rp, body, "", fields) ||
	    !field_string(rp, body, "", "name", true, &name, &name_len) ||
	    !field_check(rp, category_name_check, "", "name", name,
	    name_len) ||
	    !field_string(rp, body, "", "kind", true, &kind, &kind_len))
		return false;
	if (strcmp(kind, "income") == 0)
		cmd->in.category_create.kind = CATEGORY_INCOME;
	else if (strcmp(kind, "expense") == 0)
		cmd->in.category_create.kind = CATEGORY_EXPENSE;
	else {
		reply_err(rp, TREASURY_ERR_INVALID_FIELD, "field 'kind': must"
		    " be \"expense\" or \"income\"");
		return false;
	}
	text_copy(cmd->in.category_create.name,
	    sizeof(cmd->in.category_create.name), name, name_len);
	return true;
}

static void
category_created_answer(struct request *rq, struct reply *rp,
    const struct command *cmd)
{
	struct category c;

	(void)rq;
	memset(&c, 0, sizeof(c));
	memcpy(c.name, cmd->in.category_create.name, sizeof(c.name));
	c.kind = cmd->in.category_create.kind;
	c.created_s = cmd->out.category_create.created_s;
	reply_built(rp, cmd->out.category_create.existed ? 200 : 201,
	    category_json(&c));
}

void
handle_category_create(struct request *rq, struct reply *rp)
{
	struct command cmd;
	json_t *body;

	if (!param_treasury(rq, rp, 0))
		return;
	body = body_parse(rq, rp, false);
	if (body == NULL)
		return;
	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CMD_CATEGORY_CREATE;
	text_copy(cmd.in.category_create.treasury,
	    sizeof(cmd.in.category_create.treasury), rq->params[0],
	    strlen(rq->params[0]));
	if (category_from_body(rp, body, &cmd))
		(void)command_submit_wait(rq, rp, &cmd,
		    category_created_answer);
	json_decref(body);
}

/* 404 unless treasury t exists (on the request's reader). */
static bool
treasury_known(struct request *rq, struct reply *rp, const char *t)
{
	struct treasury *tr = malloc(sizeof(*tr));
	treasury_err err;

	if (tr == NULL) {
		reply_err(rp, TREASURY_ERR_NOMEM, "reading treasury");
		return false;
	}
	err = store_treasury_get(rq->reader, t, tr);
	free(tr);
	if (err == TREASURY_OK)
		return true;
	reply_err(rp, err, "%s treasury '%s'", err ==
	    TREASURY_ERR_UNKNOWN_TREASURY ? "no" : "reading", t);
	return false;
}

static int
category_append(const struct category *c, void *ctx)
{
	return collect_add(ctx, category_json(c));
}

static int
category_csv_row(const struct category *c, void *ctx)
{
	struct csv_out *o = ctx;

	csv_text(o, c->name);
	csv_text(o, kind_name(c->kind));
	csv_time(o, c->created_s);
	csv_row_end(o);
	return 0;
}

/* name,kind,created_at (docs/api.md "CSV"). */
static void
category_list_csv(struct request *rq, struct reply *rp)
{
	static const char *const cols[] = { "name", "kind", "created_at",
	    NULL };
	struct csv_out o;
	treasury_err err;

	if (!csv_memory_begin(rp, &o, CSV_LIST_MAX_BYTES, cols))
		return;
	err = store_categories_list(rq->reader, rq->params[0],
	    category_csv_row, &o);
	csv_memory_reply(rq, rp, &o, err, "categories");
}

void
handle_category_list(struct request *rq, struct reply *rp)
{
	static const char *const params[] = { "format", NULL };
	struct collect c = { 0 };
	treasury_err err;
	bool csv;

	if (!query_only(rq, rp, params) || !param_treasury(rq, rp, 0) ||
	    !reply_format(rq, rp, &csv) ||
	    !treasury_known(rq, rp, rq->params[0]))
		return;
	if (csv) {
		category_list_csv(rq, rp);
		return;
	}
	c.items = json_array();
	err = store_categories_list(rq->reader, rq->params[0],
	    category_append, &c);
	if (collect_done(&c, rp, err, "listing categories"))
		reply_built(rp, 200, json_pack("{s:o}", "categories", c.items));
}

/* ---- one ledger entry and its corrections ---- */

/* rq->params[1] as a ledger seq of treasury rq->params[0]; 404 if not. */
static bool
param_ledger_seq(struct request *rq, struct reply *rp, int64_t *seq)
{
	const char *p = rq->params[1];
	int64_t v = 0;
	size_t i;

	for (i = 0; p[i] >= '0' && p[i] <= '9' && i < 18; i++)
		v = v * 10 + (p[i] - '0');
	if (i == 0 || p[i] != '\0' || v == 0 || p[0] == '0') {
		reply_err(rp, TREASURY_ERR_UNKNOWN_LEDGER_ENTRY, "no ledger entry"
		    " '%.24s'"
		    " (a ledger seq is a positive decimal integer)", p);
		return false;
	}
	*seq = v;
	return true;
}

static int
change_append(const struct category_change *c, void *ctx)
{
	return collect_add(ctx, json_pack("{s:o, s:o, s:s, s:o}",
	    "previous", c->previous[0] != '\0' ? json_string(c->previous) :
	    json_null(), "category", c->category[0] != '\0' ?
	    json_string(c->category) : json_null(), "actor", c->actor,
	    "at", json_time(c->created_s)));
}

/* 200 with the entry (of treasury t) and its category_history. */
static void
ledger_entry_answer(struct request *rq, struct reply *rp, const char *t,
    int64_t seq)
{
	struct collect c = { 0 };
	struct ledger_entry e;
	json_t *o;
	treasury_err err;

	err = store_ledger_entry_get(rq->reader, seq, &e);
	if (err == TREASURY_ERR_NOT_FOUND ||
	    (err == TREASURY_OK && strcmp(e.treasury, t) != 0))
		err = TREASURY_ERR_UNKNOWN_LEDGER_ENTRY;
	if (err != TREASURY_OK) {
		reply_err(rp, err, "treasury '%s' has no ledger entry %lld", t,
		    (long long)seq);
		return;
	}
	c.items = json_array();
	err = store_category_history(rq->reader, seq, CATEGORY_HISTORY_MAX,
	    change_append, &c);
	if (!collect_done(&c, rp, err, "reading category history"))
		return;
	o = ledger_entry_json(&e);
	if (o == NULL || json_object_set_new(o, "category_history", c.items)
	    != 0) {
		json_decref(o);
		reply_err(rp, TREASURY_ERR_NOMEM, "rendering ledger entry");
		return;
	}
	reply_built(rp, 200, o);
}

void
handle_ledger_entry_get(struct request *rq, struct reply *rp)
{
	static const char *const params[] = { NULL };
	int64_t seq;

	if (query_only(rq, rp, params) && param_treasury(rq, rp, 0) &&
	    param_ledger_seq(rq, rp, &seq))
		ledger_entry_answer(rq, rp, rq->params[0], seq);
}

/* "category": a name or null (required). */
static bool
field_category_or_null(struct reply *rp, json_t *body,
    char out[CATEGORY_NAME_MAX_BYTES + 1])
{
	json_t *v = json_object_get(body, "category");

	out[0] = '\0';
	if (v == NULL) {
		reply_err(rp, TREASURY_ERR_MISSING_FIELD, "field 'category':"
		    " required (a category name, or null for none)");
		return false;
	}
	return json_is_null(v) || field_category(rp, body, "", out);
}

static void
ledger_category_answer(struct request *rq, struct reply *rp,
    const struct command *cmd)
{
	ledger_entry_answer(rq, rp, cmd->in.category_set.treasury,
	    cmd->in.category_set.ledger_seq);
}

void
handle_ledger_category_set(struct request *rq, struct reply *rp)
{
	static const char *const fields[] = { "category", NULL };
	struct command cmd;
	json_t *body;
	int64_t seq;

	if (!param_treasury(rq, rp, 0) || !param_ledger_seq(rq, rp, &seq))
		return;
	body = body_parse(rq, rp, false);
	if (body == NULL)
		return;
	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CMD_CATEGORY_SET;
	cmd.in.category_set.ledger_seq = seq;
	text_copy(cmd.in.category_set.treasury,
	    sizeof(cmd.in.category_set.treasury), rq->params[0],
	    strlen(rq->params[0]));
	if (fields_only(rp, body, "", fields) &&
	    field_category_or_null(rp, body, cmd.in.category_set.category))
		(void)command_submit_wait(rq, rp, &cmd,
		    ledger_category_answer);
	json_decref(body);
}

static void
proposal_category_answer(struct request *rq, struct reply *rp,
    const struct command *cmd)
{
	proposal_answer(rq, rp, cmd->in.category_set.proposal, 200);
}

void
handle_proposal_category_set(struct request *rq, struct reply *rp)
{
	static const char *const fields[] = { "item", "category", NULL };
	struct command cmd;
	json_t *body;

	memset(&cmd, 0, sizeof(cmd));
	if (!param_proposal(rq, rp, 0, cmd.in.category_set.proposal))
		return;
	body = body_parse(rq, rp, false);
	if (body == NULL)
		return;
	cmd.type = CMD_CATEGORY_SET;
	if (fields_only(rp, body, "", fields) &&
	    field_uint(rp, body, "", "item", true, 0, BATCH_TRANSFERS_MAX - 1,
	    TREASURY_ERR_INVALID_FIELD, &cmd.in.category_set.item, NULL) &&
	    field_category_or_null(rp, body, cmd.in.category_set.category))
		(void)command_submit_wait(rq, rp, &cmd,
		    proposal_category_answer);
	json_decref(body);
}
