/*
 * budgets.c: the budgets of a treasury (issue #14 §8, docs/api.md
 * "Budgets").
 *
 *   POST   /v1/treasuries/{t}/budgets   {"category","period","asset","amount"}
 *          (admin or treasurer): 201 a new budget, 200 one replaced (same
 *          category and period, another amount or asset) or set again;
 *   GET    /v1/treasuries/{t}/budgets   every budget for the current
 *          period, with spent, committed, remaining and the alerts fired
 *          (JSON, or CSV: docs/api.md "CSV");
 *   DELETE /v1/treasuries/{t}/budgets/{category}/{period}
 *          (admin or treasurer).
 *
 * The writer checks that the category is an expense category of the
 * treasury (storage/budget.c); the alerts are journal entries
 * ("budget.alert"), so they reach /v1/events and webhooks like any other.
 */
#include <string.h>

#include "treasury/calendar.h"
#include "treasury/canonical.h"
#include "treasury/clock.h"

#include "internal.h"

/* "category": a registered expense category's name, required. */
static bool
field_budget_category(struct reply *rp, json_t *body,
    char out[CATEGORY_NAME_MAX_BYTES + 1])
{
	if (!field_category(rp, body, "", out))
		return false;
	if (out[0] == '\0') {
		reply_err(rp, TREASURY_ERR_MISSING_FIELD, "field 'category':"
		    " required (the budget's expense category)");
		return false;
	}
	return true;
}

/* "month" or "quarter" (a year budget is not one of #14's). */
static bool
period_parse(const char *s, enum calendar_period *out)
{
	return calendar_period_parse(s, out) && *out != PERIOD_YEAR;
}

static bool
field_period(struct reply *rp, json_t *body, enum calendar_period *out)
{
	const char *s;
	size_t len;

	if (!field_string(rp, body, "", "period", true, &s, &len))
		return false;
	if (len > 16 || !period_parse(s, out)) {
		reply_err(rp, TREASURY_ERR_INVALID_FIELD, "period: must be"
		    " \"month\" or \"quarter\"");
		return false;
	}
	return true;
}

static bool
budget_from_body(struct request *rq, struct reply *rp, json_t *body,
    struct command *cmd)
{
	static const char *const fields[] = { "category", "period", "asset",
	    "amount", NULL };
	struct asset asset;

	if (!fields_only(rp, body, "", fields) ||
	    !field_budget_category(rp, body, cmd->in.budget.category) ||
	    !field_period(rp, body, &cmd->in.budget.period) ||
	    !field_asset(rq, rp, body, "", &asset) ||
	    !field_amount(rp, body, "", &asset, &cmd->in.budget.amount))
		return false;
	if (cmd->in.budget.amount == 0) {
		reply_err(rp, TREASURY_ERR_AMOUNT_ZERO, "amount: must be"
		    " greater than zero");
		return false;
	}
	text_copy(cmd->in.budget.treasury, sizeof(cmd->in.budget.treasury),
	    rq->params[0], strlen(rq->params[0]));
	text_copy(cmd->in.budget.asset, sizeof(cmd->in.budget.asset),
	    asset.code, strlen(asset.code));
	return true;
}

/* A wide sum in the asset's units, with a '-' when negative: a pointer
 * into text. */
static const char *
wide_text(const struct amount_wide *w, unsigned decimals, bool negative,
    char text[AMOUNT_WIDE_TEXT_MAX_BYTES + 2])
{
	text[0] = '-';
	amount_wide_units_text(w, decimals, text + 1);
	return negative && !amount_wide_is_zero(w) ? text : text + 1;
}

static json_t *
json_wide(const struct amount_wide *w, unsigned decimals, bool negative)
{
	char text[AMOUNT_WIDE_TEXT_MAX_BYTES + 2];

	return json_string(wide_text(w, decimals, negative, text));
}

static json_t *
budget_json(const struct budget_view *v)
{
	json_t *o = json_object(), *alerts = json_array();
	unsigned d = v->asset.decimals;

	if (o == NULL || alerts == NULL) {
		json_decref(o);
		json_decref(alerts);
		return NULL;
	}
	if (v->alert_80)
		json_array_append_new(alerts, json_integer(80));
	if (v->alert_100)
		json_array_append_new(alerts, json_integer(100));
	json_object_set_new(o, "category", json_string(v->category));
	json_object_set_new(o, "period",
	    json_string(calendar_period_name(v->period)));
	json_object_set_new(o, "asset", json_string(v->asset.code));
	json_object_set_new(o, "amount", json_amount(v->amount, d));
	json_object_set_new(o, "period_from", json_time(v->period_from_s));
	json_object_set_new(o, "period_to", json_time(v->period_to_s));
	json_object_set_new(o, "spent", json_wide(&v->spent, d, false));
	json_object_set_new(o, "committed", json_wide(&v->committed, d,
	    false));
	json_object_set_new(o, "remaining", json_wide(&v->remaining, d,
	    v->remaining_negative));
	json_object_set_new(o, "alerts", alerts);
	json_object_set_new(o, "created_at", json_time(v->created_s));
	json_object_set_new(o, "updated_at", json_time(v->updated_s));
	return o;
}

/* ---- GET ---- */

struct budgets_walk {
	struct collect c;
	/* only this one (POST's answer) when category[0] != '\0' */
	char category[CATEGORY_NAME_MAX_BYTES + 1];
	enum calendar_period period;
	json_t *one;
};

static int
budgets_add(const struct budget_view *v, void *ctx)
{
	struct budgets_walk *w = ctx;

	if (w->category[0] != '\0') {
		if (strcmp(v->category, w->category) != 0 ||
		    v->period != w->period)
			return 0;
		w->one = budget_json(v);
		return 1;
	}
	return collect_add(&w->c, budget_json(v));
}

static int
budget_csv_row(const struct budget_view *v, void *ctx)
{
	char text[AMOUNT_WIDE_TEXT_MAX_BYTES + 2];
	struct csv_out *o = ctx;
	unsigned d = v->asset.decimals;

	csv_text(o, v->category);
	csv_text(o, calendar_period_name(v->period));
	csv_text(o, v->asset.code);
	csv_minor(o, v->amount, d);
	csv_time(o, v->period_from_s);
	csv_time(o, v->period_to_s);
	csv_amount(o, wide_text(&v->spent, d, false, text));
	csv_amount(o, wide_text(&v->committed, d, false, text));
	csv_amount(o, wide_text(&v->remaining, d, v->remaining_negative,
	    text));
	csv_amount(o, v->alert_80 ? "true" : "false");
	csv_amount(o, v->alert_100 ? "true" : "false");
	csv_time(o, v->created_s);
	csv_time(o, v->updated_s);
	csv_row_end(o);
	return 0;
}

/* The columns of budget_json, the alerts as alert_80 and alert_100
 * (true/false); remaining may be negative (docs/api.md "CSV"). */
static void
budget_list_csv(struct request *rq, struct reply *rp)
{
	static const char *const cols[] = { "category", "period", "asset",
	    "amount", "period_from", "period_to", "spent", "committed",
	    "remaining", "alert_80", "alert_100", "created_at", "updated_at",
	    NULL };
	struct csv_out o;
	treasury_err err;

	if (!csv_memory_begin(rp, &o, CSV_LIST_MAX_BYTES, cols))
		return;
	err = store_budgets_list(rq->reader, rq->srv->opts.verifier,
	    rq->params[0], clock_now_s(), budget_csv_row, &o);
	csv_memory_reply(rq, rp, &o, err, "budgets");
}

void
handle_budget_list(struct request *rq, struct reply *rp)
{
	static const char *const params[] = { "format", NULL };
	struct budgets_walk w;
	treasury_err err;
	bool csv;

	if (!query_only(rq, rp, params) || !param_treasury(rq, rp, 0) ||
	    !reply_format(rq, rp, &csv))
		return;
	if (csv) {
		budget_list_csv(rq, rp);
		return;
	}
	memset(&w, 0, sizeof(w));
	w.c.items = json_array();
	err = store_budgets_list(rq->reader, rq->srv->opts.verifier,
	    rq->params[0], clock_now_s(), budgets_add, &w);
	if (!treasury_walk_done(&w.c, rp, err, rq->params[0]))
		return;
	reply_built(rp, 200, json_pack("{s:o}", "budgets", w.c.items));
}

/* ---- POST ---- */

static void
budget_set_answer(struct request *rq, struct reply *rp,
    const struct command *cmd)
{
	unsigned status = cmd->out.budget.replaced ? 200 : 201;
	struct budgets_walk w;
	struct asset a;
	treasury_err err;

	memset(&w, 0, sizeof(w));
	memcpy(w.category, cmd->in.budget.category, sizeof(w.category));
	w.period = cmd->in.budget.period;
	err = store_budgets_list(rq->reader, rq->srv->opts.verifier,
	    cmd->in.budget.treasury, cmd->now_s, budgets_add, &w);
	if (err == TREASURY_OK && w.one == NULL) {
		/* committed, then deleted by a later command before this
		 * read: the set was applied, so say so, never a 500 */
		err = store_asset_get(rq->reader, cmd->in.budget.asset, &a);
		if (err == TREASURY_OK) {
			reply_built(rp, status, json_pack("{s:s, s:s, s:s, s:o,"
			    " s:b}", "category", cmd->in.budget.category,
			    "period", calendar_period_name(cmd->in.budget.period),
			    "asset", a.code, "amount", json_amount(
			    cmd->in.budget.amount, a.decimals), "deleted", 1));
			return;
		}
	}
	if (err != TREASURY_OK) {
		json_decref(w.one);
		reply_err(rp, err, "reading back the budget");
		return;
	}
	reply_built(rp, status, w.one);
}

void
handle_budget_set(struct request *rq, struct reply *rp)
{
	struct command cmd;
	json_t *body;

	if (!param_treasury(rq, rp, 0))
		return;
	body = body_parse(rq, rp, false);
	if (body == NULL)
		return;
	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CMD_BUDGET_SET;
	if (budget_from_body(rq, rp, body, &cmd))
		(void)command_submit_wait(rq, rp, &cmd, budget_set_answer);
	json_decref(body);
}

/* ---- DELETE ---- */

static void
budget_deleted_answer(struct request *rq, struct reply *rp,
    const struct command *cmd)
{
	(void)rq;
	reply_built(rp, 200, json_pack("{s:s, s:s, s:b}", "category",
	    cmd->in.budget.category, "period",
	    calendar_period_name(cmd->in.budget.period), "deleted", 1));
}

void
handle_budget_delete(struct request *rq, struct reply *rp)
{
	char shown[CATEGORY_NAME_MAX_BYTES + 8];
	struct command cmd;
	size_t len;

	if (!param_treasury(rq, rp, 0))
		return;
	memset(&cmd, 0, sizeof(cmd));
	len = strlen(rq->params[1]);
	if (category_name_check(rq->params[1], len) != TREASURY_OK) {
		text_for_detail(shown, sizeof(shown), rq->params[1]);
		reply_err(rp, TREASURY_ERR_UNKNOWN_BUDGET, "category '%s' is"
		    " not a category name", shown);
		return;
	}
	if (!period_parse(rq->params[2], &cmd.in.budget.period)) {
		reply_err(rp, TREASURY_ERR_UNKNOWN_BUDGET, "period: must be"
		    " \"month\" or \"quarter\"");
		return;
	}
	cmd.type = CMD_BUDGET_DELETE;
	text_copy(cmd.in.budget.treasury, sizeof(cmd.in.budget.treasury),
	    rq->params[0], strlen(rq->params[0]));
	text_copy(cmd.in.budget.category, sizeof(cmd.in.budget.category),
	    rq->params[1], len);
	(void)command_submit_wait(rq, rp, &cmd, budget_deleted_answer);
}
