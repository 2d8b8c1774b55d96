/*
 * report.c: GET /v1/treasuries/{t}/report and /runway (docs/api.md
 * "Reports"): the treasurer's period report and runway, exact sums of the
 * ledger (storage/report.c) printed with each asset's decimals.
 *
 * Categories without movement of an asset in a period are omitted from
 * that asset's "categories" (listed: every category with at least one
 * entry in the period, in name order, with its kind).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "treasury/calendar.h"
#include "treasury/clock.h"
#include "treasury/queries.h"

#include "internal.h"

enum {
	REPORT_PERIODS_MAX = 240,	/* period=...: more is 400 */
	/* a CSV report or runway is built in memory, at most this */
	REPORT_CSV_MAX_BYTES = 4 * 1024 * 1024,
};

static json_t *
wide_json(const struct amount_wide *w, unsigned decimals)
{
	char text[AMOUNT_WIDE_TEXT_MAX_BYTES];

	amount_wide_units_text(w, decimals, text);
	return json_string(text);
}

/* A time query parameter (calendar_time_parse); absent: *out unchanged
 * and *given false. Bad -> 400 naming it. */
static bool
query_time(struct request *rq, struct reply *rp, const char *name,
    int64_t *out, bool *given)
{
	const char *s = query_get(rq, name);

	*given = s != NULL;
	if (s == NULL)
		return true;
	if (calendar_time_parse(s, strlen(s), out) == TREASURY_OK)
		return true;
	reply_err(rp, TREASURY_ERR_INVALID_QUERY, "%s must be a date"
	    " (YYYY-MM-DD), a time (YYYY-MM-DDTHH:MM:SSZ) or unix seconds",
	    name);
	return false;
}

static json_t *
flow_json(const char *name, const char *kind, const struct report_flow *f,
    unsigned decimals)
{
	if (name == NULL)
		return json_pack("{s:o, s:o}",
		    "inflow", wide_json(&f->inflow, decimals),
		    "outflow", wide_json(&f->outflow, decimals));
	return json_pack("{s:s, s:s, s:o, s:o}", "category", name,
	    "kind", kind, "inflow", wide_json(&f->inflow, decimals),
	    "outflow", wide_json(&f->outflow, decimals));
}

static json_t *
report_asset_json(const struct report *r, const struct report_asset *a)
{
	json_t *cats = json_array();
	unsigned i;

	for (i = 0; cats != NULL && a->by_category != NULL &&
	    i < r->category_count; i++) {
		if (a->by_category[i].entries == 0)
			continue;
		if (json_array_append_new(cats, flow_json(r->categories[i].name,
		    r->categories[i].income ? "income" : "expense",
		    &a->by_category[i], a->decimals)) != 0) {
			json_decref(cats);
			return NULL;
		}
	}
	return json_pack("{s:s, s:I, s:o, s:o, s:o, s:o, s:o, s:o}",
	    "asset", a->asset, "decimals", (json_int_t)a->decimals,
	    "opening", wide_json(&a->opening, a->decimals),
	    "inflow", wide_json(&a->inflow, a->decimals),
	    "outflow", wide_json(&a->outflow, a->decimals),
	    "closing", wide_json(&a->closing, a->decimals),
	    "uncategorised", flow_json(NULL, NULL, &a->uncategorised,
	    a->decimals), "categories", cats);
}

static json_t *
report_assets_json(const struct report *r)
{
	json_t *assets = json_array();
	unsigned i;

	for (i = 0; assets != NULL && i < r->asset_count; i++)
		if (json_array_append_new(assets,
		    report_asset_json(r, &r->assets[i])) != 0) {
			json_decref(assets);
			return NULL;
		}
	return assets;
}

/* The parameters of a report request, checked. */
struct report_query {
	int64_t from_s, to_s;
	bool periodic;
	enum calendar_period period;
};

static bool
report_query_read(struct request *rq, struct reply *rp,
    struct report_query *q)
{
	const char *period;
	bool given;

	memset(q, 0, sizeof(*q));
	if (!query_time(rq, rp, "from", &q->from_s, &given))
		return false;
	if (!given) {
		reply_err(rp, TREASURY_ERR_INVALID_QUERY, "from is required");
		return false;
	}
	q->to_s = clock_now_s();
	if (!query_time(rq, rp, "to", &q->to_s, &given))
		return false;
	if (q->to_s > CALENDAR_TIME_MAX_S)
		q->to_s = CALENDAR_TIME_MAX_S;
	if (q->to_s <= q->from_s) {
		reply_err(rp, TREASURY_ERR_INVALID_QUERY,
		    "to must be after from");
		return false;
	}
	period = query_get(rq, "period");
	if (period == NULL)
		return true;
	q->periodic = true;
	if (!calendar_period_parse(period, &q->period)) {
		reply_err(rp, TREASURY_ERR_INVALID_QUERY,
		    "period must be month, quarter or year");
		return false;
	}
	return true;
}

/* The end of the period starting at t, cut at to_s. */
static int64_t
period_end(int64_t t, enum calendar_period p, int64_t to_s)
{
	int64_t from, to;

	calendar_period_bounds(t, p, &from, &to);
	return to < to_s ? to : to_s;
}

static bool
report_failed(struct reply *rp, treasury_err err, const char *treasury)
{
	if (err == TREASURY_ERR_UNKNOWN_TREASURY)
		reply_err(rp, err, "no treasury '%s'", treasury);
	else if (err == TREASURY_ERR_TOO_LARGE)
		reply_err(rp, err, "the treasury has more than %d assets",
		    REPORT_ASSETS_MAX);
	else
		reply_err(rp, err, "reading the report of treasury '%s'",
		    treasury);
	return false;
}

/* The "periods" array of [q->from_s, q->to_s) in one snapshot. */
static json_t *
periods_json(struct request *rq, struct reply *rp, const struct report_query *q,
    struct report *r, bool *failed)
{
	json_t *periods = json_array(), *one;
	treasury_err err;
	int64_t t, end;

	*failed = false;
	for (t = q->from_s; periods != NULL && t < q->to_s; t = end) {
		end = period_end(t, q->period, q->to_s);
		err = store_report(rq->reader, rq->params[0], t, end, r);
		if (err != TREASURY_OK) {
			json_decref(periods);
			*failed = !report_failed(rp, err, rq->params[0]);
			return NULL;
		}
		one = json_pack("{s:o, s:o, s:o}", "from", json_time(t),
		    "to", json_time(end), "assets", report_assets_json(r));
		report_free(r);
		if (json_array_append_new(periods, one) != 0) {
			json_decref(periods);
			return NULL;
		}
	}
	return periods;
}


/* ---- CSV ---- */

static const char *
jstr(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v != NULL ? v : "";
}

static void
report_csv_row(struct csv_out *o, const char *from, const char *to,
    const char *asset, const char *line, const char *kind,
    const char *inflow, const char *outflow, const char *amount)
{
	csv_amount(o, from);
	csv_amount(o, to);
	csv_text(o, asset);
	csv_text(o, line);
	csv_text(o, kind);
	csv_amount(o, inflow);
	csv_amount(o, outflow);
	csv_amount(o, amount);
	csv_row_end(o);
}

/* One row per (period, asset, line): line "opening", "total",
 * "uncategorised", each category (with its kind), "closing". */
static void
report_csv_asset(struct csv_out *o, const char *from, const char *to,
    json_t *a)
{
	const char *asset = jstr(a, "asset");
	json_t *u = json_object_get(a, "uncategorised"), *c;
	size_t i;

	report_csv_row(o, from, to, asset, "opening", "", "", "",
	    jstr(a, "opening"));
	report_csv_row(o, from, to, asset, "total", "", jstr(a, "inflow"),
	    jstr(a, "outflow"), "");
	report_csv_row(o, from, to, asset, "uncategorised", "",
	    jstr(u, "inflow"), jstr(u, "outflow"), "");
	json_array_foreach(json_object_get(a, "categories"), i, c)
		report_csv_row(o, from, to, asset, jstr(c, "category"),
		    jstr(c, "kind"), jstr(c, "inflow"), jstr(c, "outflow"), "");
	report_csv_row(o, from, to, asset, "closing", "", "", "",
	    jstr(a, "closing"));
}

/* The report body as CSV: from,to,asset,line,kind,inflow,outflow,amount
 * (opening and closing in amount). */
static void
report_csv(struct request *rq, struct reply *rp, json_t *body)
{
	static const char *const cols[] = { "from", "to", "asset", "line",
	    "kind", "inflow", "outflow", "amount", NULL };
	struct csv_out o;
	json_t *periods = json_object_get(body, "periods"), *p, *a;
	size_t i, j;

	if (!csv_memory_begin(rp, &o, REPORT_CSV_MAX_BYTES, cols)) {
		json_decref(body);
		return;
	}
	if (periods == NULL) {
		json_array_foreach(json_object_get(body, "assets"), j, a)
			report_csv_asset(&o, jstr(body, "from"),
			    jstr(body, "to"), a);
	} else {
		json_array_foreach(periods, i, p)
			json_array_foreach(json_object_get(p, "assets"), j, a)
				report_csv_asset(&o, jstr(p, "from"),
				    jstr(p, "to"), a);
	}
	json_decref(body);
	csv_memory_reply(rq, rp, &o, TREASURY_OK, "report");
}

void
handle_report(struct request *rq, struct reply *rp)
{
	static const char *const params[] = { "from", "to", "period",
	    "format", NULL };
	struct report_query q;
	struct report *r;
	json_t *body;
	treasury_err err;
	unsigned n = 0;
	bool failed = false, csv;

	if (!query_only(rq, rp, params) || !param_treasury(rq, rp, 0) ||
	    !report_query_read(rq, rp, &q) || !reply_format(rq, rp, &csv))
		return;
	if (q.periodic) {
		for (int64_t t = q.from_s; t < q.to_s && n <= REPORT_PERIODS_MAX;
		    n++)
			t = period_end(t, q.period, q.to_s);
		if (n > REPORT_PERIODS_MAX) {
			reply_err(rp, TREASURY_ERR_INVALID_QUERY, "period: [from, to)"
			    " spans more than %d periods", REPORT_PERIODS_MAX);
			return;
		}
	}
	r = malloc(sizeof(*r));
	if (r == NULL) {
		reply_built(rp, 503, NULL);
		return;
	}
	if (!rq->snapshot) {	/* periods: one snapshot (ended by server.c) */
		err = store_read_begin(rq->reader);
		if (err != TREASURY_OK) {
			free(r);
			report_failed(rp, err, rq->params[0]);
			return;
		}
		rq->snapshot = true;
	}
	if (q.periodic) {
		json_t *periods = periods_json(rq, rp, &q, r, &failed);

		body = periods == NULL ? NULL : json_pack("{s:s, s:o, s:o, s:s,"
		    " s:o}", "treasury", rq->params[0], "from",
		    json_time(q.from_s), "to", json_time(q.to_s), "period",
		    calendar_period_name(q.period), "periods", periods);
	} else {
		err = store_report(rq->reader, rq->params[0], q.from_s, q.to_s,
		    r);
		failed = err != TREASURY_OK && !report_failed(rp, err,
		    rq->params[0]);
		body = failed ? NULL : json_pack("{s:s, s:o, s:o, s:o}",
		    "treasury", rq->params[0], "from", json_time(q.from_s),
		    "to", json_time(q.to_s), "assets", report_assets_json(r));
		if (!failed)
			report_free(r);
	}
	free(r);
	if (failed)
		return;
	if (csv && body != NULL)
		report_csv(rq, rp, body);
	else
		reply_built(rp, 200, body);
}

/* ---- runway ---- */

struct runway_collect {
	struct collect c;
};

static int
runway_append(const struct runway_asset *ra, void *ctx)
{
	json_t *months = json_null();

	if (ra->has_months)
		months = wide_json(&ra->months_x100, 2);
	return collect_add(ctx, json_pack("{s:s, s:o, s:o, s:o, s:o}",
	    "asset", ra->asset, "balance", json_amount(ra->balance,
	    ra->decimals), "outflow_30d", wide_json(&ra->outflow_30d,
	    ra->decimals), "outflow_90d", wide_json(&ra->outflow_90d,
	    ra->decimals), "runway_months", months));
}

/* asset,balance,outflow_30d,outflow_90d,runway_months (empty: none);
 * takes items. */
static void
runway_csv(struct request *rq, struct reply *rp, json_t *items)
{
	static const char *const cols[] = { "asset", "balance", "outflow_30d",
	    "outflow_90d", "runway_months", NULL };
	struct csv_out o;
	json_t *a;
	size_t i, k;

	if (!csv_memory_begin(rp, &o, REPORT_CSV_MAX_BYTES, cols)) {
		json_decref(items);
		return;
	}
	json_array_foreach(items, i, a) {
		csv_text(&o, jstr(a, cols[0]));
		for (k = 1; cols[k] != NULL; k++)
			csv_amount(&o, jstr(a, cols[k]));
		csv_row_end(&o);
	}
	json_decref(items);
	csv_memory_reply(rq, rp, &o, TREASURY_OK, "runway");
}

void
handle_runway(struct request *rq, struct reply *rp)
{
	static const char *const params[] = { "format", NULL };
	struct collect c = { 0 };
	int64_t now_s = clock_now_s();
	treasury_err err;
	bool csv;

	if (!query_only(rq, rp, params) || !param_treasury(rq, rp, 0) ||
	    !reply_format(rq, rp, &csv))
		return;
	if (now_s < 0 || now_s > CALENDAR_TIME_MAX_S) {
		reply_err(rp, TREASURY_ERR_INTERNAL, "the clock is out of range");
		return;
	}
	c.items = json_array();
	err = store_runway(rq->reader, rq->params[0], now_s, runway_append,
	    &c);
	if (!treasury_walk_done(&c, rp, err, rq->params[0]))
		return;
	if (csv)
		runway_csv(rq, rp, c.items);
	else
		reply_built(rp, 200, json_pack("{s:s, s:o, s:o}", "treasury",
		    rq->params[0], "at", json_time(now_s), "assets", c.items));
}
