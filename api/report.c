/*
 * report.c: GET /v1/treasuries/{t}/report and /runway (docs/api.md
 * "Reports"): the treasurer's period report and runway, exact sums of the
 * ledger (storage/report.c) printed with each asset's decimals.
 *
 * Categories without movement of an asset in a period are omitted from
 * that asset's "categories" (listed: every category with at least one
 * entry in the period, in name order, with its kind).
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "treasury/calendar.h"
#include "treasury/clock.h"
#include "treasury/price.h"
#include "treasury/queries.h"

#include "internal.h"

enum {
	REPORT_PERIODS_MAX = 240,	/* period=...: more is 400 */
	/* rows of one answer, over all its periods: an asset of a period,
	 * or a category with movements of an asset of a period (the JSON
	 * is built in memory, ~250 bytes a row, like the 4 MiB of CSV);
	 * more is 400 too-large */
	REPORT_ROWS_MAX = 20000,
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

/* unit=...: a unit of account (price_unit_check); absent: NULL. */
static bool
query_unit(struct request *rq, struct reply *rp, const char **out)
{
	const char *s = query_get(rq, "unit");

	*out = s;
	if (s == NULL || price_unit_check(s, strlen(s)) == TREASURY_OK)
		return true;
	reply_err(rp, TREASURY_ERR_INVALID_QUERY, "unit must be 1..%d"
	    " characters [A-Za-z0-9._-]", (int)PRICE_UNIT_MAX_BYTES);
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

/* ---- values in a unit of account (?unit=) ---- */

static uint64_t
pow10_u64(unsigned n)
{
	uint64_t p = 1;

	assert(n <= 19);
	while (n-- > 0)
		p *= 10;
	return p;
}

/* The totals of one report's priced assets, in 10^-36 of the unit. */
struct report_total {
	struct amount_wide opening, inflow, outflow, closing;
};

static json_t *
scaled_json(const struct amount_wide *v, unsigned scale)
{
	char text[AMOUNT_WIDE_TEXT_MAX_BYTES];

	price_scaled_text(v, scale, text);
	return json_string(text);
}

/* Values the four figures of asset a at price into item's "value"
 * (exact, 10^-(decimals + 18) of the unit) and adds them to t. */
static treasury_err
report_asset_value(const struct report_asset *a, const char *price,
    struct report_total *t, json_t *item)
{
	const struct amount_wide *in[4] = { &a->opening, &a->inflow,
	    &a->outflow, &a->closing };
	struct amount_wide *sum[4] = { &t->opening, &t->inflow, &t->outflow,
	    &t->closing };
	static const char *const names[4] = { "opening", "inflow", "outflow",
	    "closing" };
	unsigned scale = a->decimals + PRICE_FRACTION_DIGITS_MAX;
	struct amount_wide v, v36;
	json_t *value = json_object();
	treasury_err err = TREASURY_OK;
	int i;

	for (i = 0; i < 4 && err == TREASURY_OK && value != NULL; i++) {
		err = price_value_exact(in[i], price, &v);
		v36 = v;
		if (err == TREASURY_OK)	/* 10^(18 - decimals) <= 10^18 */
			err = amount_wide_mul_small(&v36,
			    pow10_u64(ASSET_DECIMALS_MAX - a->decimals));
		if (err == TREASURY_OK)
			err = amount_wide_add_wide(sum[i], &v36);
		if (err == TREASURY_OK)
			json_object_set_new(value, names[i],
			    scaled_json(&v, scale));
	}
	if (value == NULL)
		err = TREASURY_ERR_NOMEM;
	if (err == TREASURY_OK)
		json_object_set_new(item, "value", value);
	else
		json_decref(value);
	return err;
}

/* With ?unit=: each asset of r (items of `assets`, in the same order)
 * gains "price" (its latest price in unit on or before r's last day) and
 * "value", both null without a price; *total is {"unit", "opening",
 * "inflow", "outflow", "closing", "priced", "unpriced"} over the priced
 * assets. Runs in the request's snapshot. */
static treasury_err
report_values(struct request *rq, const char *unit, const struct report *r,
    json_t *assets, json_t **total)
{
	struct report_total t;
	json_t *priced = json_array(), *unpriced = json_array();
	struct price_view pv;
	treasury_err err = TREASURY_OK;
	char date[16];
	bool found;
	unsigned i;

	memset(&t, 0, sizeof(t));
	for (i = 0; err == TREASURY_OK && i < r->asset_count; i++) {
		json_t *item = json_array_get(assets, i);
		const struct report_asset *a = &r->assets[i];

		err = store_price_at(rq->reader, a->asset, unit,
		    (r->to_s - 1) / CALENDAR_SECONDS_PER_DAY, &pv, &found);
		if (err != TREASURY_OK || item == NULL)
			break;
		if (!found) {
			json_object_set_new(item, "price", json_null());
			json_object_set_new(item, "value", json_null());
			json_array_append_new(unpriced, json_string(a->asset));
			continue;
		}
		calendar_date_text(pv.day * CALENDAR_SECONDS_PER_DAY, date);
		json_object_set_new(item, "price", json_pack("{s:s, s:s, s:s}",
		    "unit", unit, "date", date, "price", pv.price));
		json_array_append_new(priced, json_string(a->asset));
		err = report_asset_value(a, pv.price, &t, item);
	}
	*total = err != TREASURY_OK ? NULL : json_pack("{s:s, s:o, s:o, s:o,"
	    " s:o, s:O, s:O}", "unit", unit,
	    "opening", scaled_json(&t.opening, PRICE_VALUE_SCALE_MAX),
	    "inflow", scaled_json(&t.inflow, PRICE_VALUE_SCALE_MAX),
	    "outflow", scaled_json(&t.outflow, PRICE_VALUE_SCALE_MAX),
	    "closing", scaled_json(&t.closing, PRICE_VALUE_SCALE_MAX),
	    "priced", priced, "unpriced", unpriced);
	json_decref(priced);
	json_decref(unpriced);
	if (err == TREASURY_OK && *total == NULL)
		err = TREASURY_ERR_NOMEM;
	return err;
}

/* {"from","to","assets"} of r, and with a unit the values and "total". */
static json_t *
report_range_json(struct request *rq, const char *unit,
    const struct report *r, treasury_err *err)
{
	json_t *assets = report_assets_json(r), *total = NULL, *o;

	*err = assets == NULL ? TREASURY_ERR_NOMEM : TREASURY_OK;
	if (*err == TREASURY_OK && unit != NULL)
		*err = report_values(rq, unit, r, assets, &total);
	if (*err != TREASURY_OK) {
		json_decref(assets);
		return NULL;
	}
	o = json_pack("{s:o, s:o, s:o}", "from", json_time(r->from_s), "to",
	    json_time(r->to_s), "assets", assets);
	if (o != NULL && total != NULL)
		json_object_set_new(o, "total", total);
	else
		json_decref(total);
	if (o == NULL)
		*err = TREASURY_ERR_NOMEM;
	return o;
}

/* The parameters of a report request, checked. */
struct report_query {
	int64_t from_s, to_s;
	bool periodic;
	enum calendar_period period;
	const char *unit;		/* NULL: no values */
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
	if (!query_unit(rq, rp, &q->unit))
		return false;
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

/* The rows r adds to an answer (see REPORT_ROWS_MAX). */
static unsigned
report_rows(const struct report *r)
{
	const struct report_asset *a;
	unsigned rows = r->asset_count;

	for (unsigned i = 0; i < r->asset_count; i++) {
		a = &r->assets[i];
		for (unsigned j = 0; a->by_category != NULL &&
		    j < r->category_count; j++)
			rows += a->by_category[j].entries > 0;
	}
	return rows;
}

/* *rows plus r's rows; false (and the 400) past REPORT_ROWS_MAX. */
static bool
rows_within(struct reply *rp, const struct report *r, unsigned *rows)
{
	*rows += report_rows(r);
	if (*rows <= REPORT_ROWS_MAX)
		return true;
	reply_err(rp, TREASURY_ERR_TOO_LARGE, "the report has more than %d"
	    " rows (an asset of a period, or a category of one): ask a"
	    " shorter range or a longer period", REPORT_ROWS_MAX);
	return false;
}

static bool
report_failed(struct reply *rp, treasury_err err, const char *treasury)
{
	if (err == TREASURY_ERR_UNKNOWN_TREASURY)
		reply_err(rp, err, "no treasury '%s'", treasury);
	else if (err == TREASURY_ERR_TOO_LARGE)
		reply_err(rp, err, "the treasury has more than %d assets",
		    REPORT_ASSETS_MAX);
	else if (err == TREASURY_ERR_AMOUNT_OVERFLOW)
		reply_err(rp, err, "a value in the unit exceeds 2^256");
	else
		reply_err(rp, err, "reading the report of treasury '%s'",
		    treasury);
	return false;
}

/* The "periods" array of [q->from_s, q->to_s) in one snapshot: the first
 * period by store_report, each next one from its predecessor
 * (store_report_next: the previous closing is its opening). r holds two
 * reports, used in turn. */
static json_t *
periods_json(struct request *rq, struct reply *rp, const struct report_query *q,
    struct report r[2], bool *failed)
{
	json_t *periods = json_array(), *one = NULL;
	struct report *prev = NULL, *cur;
	treasury_err err = TREASURY_OK;
	int64_t t, end;
	unsigned n = 0, rows = 0;

	*failed = false;
	for (t = q->from_s; periods != NULL && t < q->to_s; t = end, n++) {
		end = period_end(t, q->period, q->to_s);
		cur = &r[n % 2];
		err = prev == NULL ?
		    store_report(rq->reader, rq->params[0], t, end, cur) :
		    store_report_next(rq->reader, rq->params[0], prev, end,
		    cur);
		if (prev != NULL)
			report_free(prev);
		prev = NULL;
		if (err == TREASURY_OK) {
			prev = cur;
			if (!rows_within(rp, cur, &rows)) {
				*failed = true;
				json_decref(periods);
				periods = NULL;
				break;
			}
			one = report_range_json(rq, q->unit, cur, &err);
		}
		if (err != TREASURY_OK || json_array_append_new(periods, one)
		    != 0) {
			json_decref(periods);
			periods = NULL;
			*failed = err != TREASURY_OK &&
			    !report_failed(rp, err, rq->params[0]);
		}
	}
	if (prev != NULL)
		report_free(prev);
	return periods;
}

/* ---- CSV ---- */

static const char *
jstr(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v != NULL ? v : "";
}

/* The value columns of one row (with ?unit=): unit, price_date, price,
 * inflow_value, outflow_value, amount_value; NULL: no such columns. */
struct report_csv_values {
	const char *unit, *date, *price, *inflow, *outflow, *amount;
};

static void
report_csv_row(struct csv_out *o, const char *from, const char *to,
    const char *asset, const char *line, const char *kind,
    const char *inflow, const char *outflow, const char *amount,
    const struct report_csv_values *v)
{
	csv_amount(o, from);
	csv_amount(o, to);
	csv_text(o, asset);
	csv_text(o, line);
	csv_text(o, kind);
	csv_amount(o, inflow);
	csv_amount(o, outflow);
	csv_amount(o, amount);
	if (v != NULL) {
		csv_text(o, v->unit);
		csv_amount(o, v->date);
		csv_amount(o, v->price);
		csv_amount(o, v->inflow);
		csv_amount(o, v->outflow);
		csv_amount(o, v->amount);
	}
	csv_row_end(o);
}

/* One row per (period, asset, line): line "opening", "total",
 * "uncategorised", each category (with its kind), "closing"; with a unit
 * the opening, total and closing lines carry the asset's values. */
static void
report_csv_asset(struct csv_out *o, const char *from, const char *to,
    json_t *a, const char *unit)
{
	const char *asset = jstr(a, "asset");
	json_t *u = json_object_get(a, "uncategorised"), *c;
	json_t *price = json_object_get(a, "price");
	json_t *value = json_object_get(a, "value");
	struct report_csv_values none = { unit, "", "", "", "", "" };
	struct report_csv_values v = none;
	const struct report_csv_values *vp = unit != NULL ? &none : NULL;
	size_t i;

	v.date = jstr(price, "date");
	v.price = jstr(price, "price");
	v.amount = jstr(value, "opening");
	report_csv_row(o, from, to, asset, "opening", "", "", "",
	    jstr(a, "opening"), unit != NULL ? &v : NULL);
	v.amount = "";
	v.inflow = jstr(value, "inflow");
	v.outflow = jstr(value, "outflow");
	report_csv_row(o, from, to, asset, "total", "", jstr(a, "inflow"),
	    jstr(a, "outflow"), "", unit != NULL ? &v : NULL);
	report_csv_row(o, from, to, asset, "uncategorised", "",
	    jstr(u, "inflow"), jstr(u, "outflow"), "", vp);
	json_array_foreach(json_object_get(a, "categories"), i, c)
		report_csv_row(o, from, to, asset, jstr(c, "category"),
		    jstr(c, "kind"), jstr(c, "inflow"), jstr(c, "outflow"), "",
		    vp);
	v.inflow = v.outflow = "";
	v.amount = jstr(value, "closing");
	report_csv_row(o, from, to, asset, "closing", "", "", "",
	    jstr(a, "closing"), unit != NULL ? &v : NULL);
}

/* The report body as CSV: from,to,asset,line,kind,inflow,outflow,amount
 * (opening and closing in amount), and with a unit unit,price_date,price,
 * inflow_value,outflow_value,amount_value. */
static void
report_csv(struct request *rq, struct reply *rp, json_t *body,
    const char *unit)
{
	static const char *const plain[] = { "from", "to", "asset", "line",
	    "kind", "inflow", "outflow", "amount", NULL };
	static const char *const valued[] = { "from", "to", "asset", "line",
	    "kind", "inflow", "outflow", "amount", "unit", "price_date",
	    "price", "inflow_value", "outflow_value", "amount_value", NULL };
	struct csv_out o;
	json_t *periods = json_object_get(body, "periods"), *p, *a;
	size_t i, j;

	if (!csv_memory_begin(rp, &o, REPORT_CSV_MAX_BYTES,
	    unit != NULL ? valued : plain)) {
		json_decref(body);
		return;
	}
	if (periods == NULL) {
		json_array_foreach(json_object_get(body, "assets"), j, a)
			report_csv_asset(&o, jstr(body, "from"),
			    jstr(body, "to"), a, unit);
	} else {
		json_array_foreach(periods, i, p)
			json_array_foreach(json_object_get(p, "assets"), j, a)
				report_csv_asset(&o, jstr(p, "from"),
				    jstr(p, "to"), a, unit);
	}
	json_decref(body);
	csv_memory_reply(rq, rp, &o, TREASURY_OK, "report");
}

void
handle_report(struct request *rq, struct reply *rp)
{
	static const char *const params[] = { "from", "to", "period",
	    "format", "unit", NULL };
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
	r = malloc(2 * sizeof(*r));	/* periods_json uses both */
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
		unsigned rows = 0;

		err = store_report(rq->reader, rq->params[0], q.from_s, q.to_s,
		    r);
		body = NULL;
		if (err == TREASURY_OK) {
			if (rows_within(rp, r, &rows))
				body = report_range_json(rq, q.unit, r, &err);
			else
				failed = true;
			report_free(r);
		}
		if (err != TREASURY_OK)
			failed = !report_failed(rp, err, rq->params[0]);
		if (body != NULL && json_object_set_new(body, "treasury",
		    json_string(rq->params[0])) != 0) {
			json_decref(body);
			body = NULL;
		}
	}
	free(r);
	if (failed)
		return;
	if (csv && body != NULL)
		report_csv(rq, rp, body, q.unit);
	else
		reply_built(rp, 200, body);
}

/* ---- runway ---- */

/* The walk's state: the items, and with a unit of account the totals of
 * the priced assets' values (10^-18 of the unit) and the unpriced ones. */
struct runway_collect {
	struct collect c;		/* first: collect_add takes it */
	const char *unit;		/* NULL: no prices asked */
	struct amount_wide balance, outflow_30d, outflow_90d;
	json_t *priced, *unpriced;	/* asset codes */
	treasury_err err;		/* a value past 2^256 */
};

static json_t *
value_json(const struct amount_wide *v)
{
	char text[AMOUNT_WIDE_TEXT_MAX_BYTES];

	price_value_text(v, text);
	return json_string(text);
}

/* The asset's values at its price, added to the totals: {"balance",
 * "outflow_30d","outflow_90d"}; NULL with rc->err set past 2^256. */
static json_t *
runway_value(struct runway_collect *rc, const struct runway_asset *ra)
{
	struct amount_wide bal, v[3];
	const struct amount_wide *in[3] = { &bal, &ra->outflow_30d,
	    &ra->outflow_90d };
	struct amount_wide *sum[3] = { &rc->balance, &rc->outflow_30d,
	    &rc->outflow_90d };
	treasury_err err = TREASURY_OK;
	int i;

	amount_wide_from(&bal, ra->balance);
	for (i = 0; i < 3 && err == TREASURY_OK; i++)
		err = price_value_e18(in[i], ra->decimals, ra->price, &v[i]);
	for (i = 0; i < 3 && err == TREASURY_OK; i++)
		err = amount_wide_add_wide(sum[i], &v[i]);
	if (err != TREASURY_OK) {
		rc->err = err;
		return NULL;
	}
	return json_pack("{s:o, s:o, s:o}", "balance", value_json(&v[0]),
	    "outflow_30d", value_json(&v[1]), "outflow_90d",
	    value_json(&v[2]));
}

/* With a unit: "price" {"unit","date","price"} and "value", both null
 * when the asset has no price on or before the day. */
static int
runway_priced(struct runway_collect *rc, const struct runway_asset *ra,
    json_t *item)
{
	char date[16];
	json_t *value;

	if (!ra->priced) {
		json_array_append_new(rc->unpriced, json_string(ra->asset));
		return json_object_set_new(item, "price", json_null()) |
		    json_object_set_new(item, "value", json_null());
	}
	value = runway_value(rc, ra);
	if (value == NULL)
		return -1;
	json_array_append_new(rc->priced, json_string(ra->asset));
	calendar_date_text(ra->price_day * CALENDAR_SECONDS_PER_DAY, date);
	return json_object_set_new(item, "price", json_pack("{s:s, s:s, s:s}",
	    "unit", rc->unit, "date", date, "price", ra->price)) |
	    json_object_set_new(item, "value", value);
}

static int
runway_append(const struct runway_asset *ra, void *ctx)
{
	struct runway_collect *rc = ctx;
	json_t *months = json_null(), *item;

	if (ra->has_months)
		months = wide_json(&ra->months_x100, 2);
	item = json_pack("{s:s, s:o, s:o, s:o, s:o}",
	    "asset", ra->asset, "balance", json_amount(ra->balance,
	    ra->decimals), "outflow_30d", wide_json(&ra->outflow_30d,
	    ra->decimals), "outflow_90d", wide_json(&ra->outflow_90d,
	    ra->decimals), "runway_months", months);
	if (item != NULL && rc->unit != NULL &&
	    runway_priced(rc, ra, item) != 0) {
		json_decref(item);
		rc->c.oom |= rc->err == TREASURY_OK;	/* else past 2^256 */
		return 1;
	}
	return collect_add(&rc->c, item);
}

/* The priced assets together: months = floor(balance * 300 /
 * outflow_90d) / 100, null when nothing priced went out. */
static json_t *
runway_total(struct runway_collect *rc)
{
	struct amount_wide n = rc->balance, months;
	json_t *m = json_null();

	if (!amount_wide_is_zero(&rc->outflow_90d)) {
		if (amount_wide_mul_small(&n, 300) != TREASURY_OK ||
		    amount_wide_div(&n, &rc->outflow_90d, &months) !=
		    TREASURY_OK)
			return NULL;
		m = wide_json(&months, 2);
	}
	return json_pack("{s:s, s:o, s:o, s:o, s:o, s:O, s:O}", "unit",
	    rc->unit, "balance", value_json(&rc->balance), "outflow_30d",
	    value_json(&rc->outflow_30d), "outflow_90d",
	    value_json(&rc->outflow_90d), "runway_months", m, "priced",
	    rc->priced, "unpriced", rc->unpriced);
}

/* A JSON member of a runway item or its "value", "" when null. */
static const char *
runway_member(json_t *item, const char *obj, const char *name)
{
	json_t *o = obj != NULL ? json_object_get(item, obj) : item;
	const char *s = json_string_value(json_object_get(o, name));

	return s != NULL ? s : "";
}

/* asset,balance,outflow_30d,outflow_90d,runway_months (empty: none), and
 * with a unit: unit,price_date,price,balance_value,outflow_30d_value,
 * outflow_90d_value (empty: no price); takes items. */
static void
runway_csv(struct request *rq, struct reply *rp, json_t *items,
    const char *unit)
{
	static const char *const plain[] = { "asset", "balance",
	    "outflow_30d", "outflow_90d", "runway_months", NULL };
	static const char *const valued[] = { "asset", "balance",
	    "outflow_30d", "outflow_90d", "runway_months", "unit",
	    "price_date", "price", "balance_value", "outflow_30d_value",
	    "outflow_90d_value", NULL };
	static const char *const value_cols[] = { "balance", "outflow_30d",
	    "outflow_90d" };
	struct csv_out o;
	json_t *a;
	size_t i, k;

	if (!csv_memory_begin(rp, &o, REPORT_CSV_MAX_BYTES,
	    unit != NULL ? valued : plain)) {
		json_decref(items);
		return;
	}
	json_array_foreach(items, i, a) {
		csv_text(&o, jstr(a, plain[0]));
		for (k = 1; plain[k] != NULL; k++)
			csv_amount(&o, runway_member(a, NULL, plain[k]));
		if (unit != NULL) {
			csv_text(&o, unit);
			csv_text(&o, runway_member(a, "price", "date"));
			csv_amount(&o, runway_member(a, "price", "price"));
			for (k = 0; k < 3; k++)
				csv_amount(&o, runway_member(a, "value",
				    value_cols[k]));
		}
		csv_row_end(&o);
	}
	json_decref(items);
	csv_memory_reply(rq, rp, &o, TREASURY_OK, "runway");
}

static void
runway_reply(struct request *rq, struct reply *rp, struct runway_collect *rc,
    int64_t now_s)
{
	json_t *body, *total;

	body = json_pack("{s:s, s:o, s:O}", "treasury", rq->params[0], "at",
	    json_time(now_s), "assets", rc->c.items);
	if (body != NULL && rc->unit != NULL) {
		total = runway_total(rc);
		if (total == NULL) {
			json_decref(body);
			reply_err(rp, TREASURY_ERR_AMOUNT_OVERFLOW, "the total"
			    " value in %s exceeds 2^256", rc->unit);
			return;
		}
		json_object_set_new(body, "total", total);
	}
	reply_built(rp, 200, body);
}

void
handle_runway(struct request *rq, struct reply *rp)
{
	static const char *const params[] = { "format", "unit", NULL };
	struct runway_collect rc = { 0 };
	int64_t now_s = clock_now_s();
	treasury_err err;
	bool csv;

	if (!query_only(rq, rp, params) || !param_treasury(rq, rp, 0) ||
	    !reply_format(rq, rp, &csv) || !query_unit(rq, rp, &rc.unit))
		return;
	if (now_s < 0 || now_s > CALENDAR_TIME_MAX_S) {
		reply_err(rp, TREASURY_ERR_INTERNAL, "the clock is out of range");
		return;
	}
	rc.c.items = json_array();
	rc.priced = json_array();
	rc.unpriced = json_array();
	err = store_runway(rq->reader, rq->params[0], now_s, rc.unit,
	    runway_append, &rc);
	if (err == TREASURY_OK && rc.err != TREASURY_OK) {
		json_decref(rc.c.items);
		rc.c.items = NULL;
		reply_err(rp, rc.err, "a value in %s exceeds 2^256", rc.unit);
	} else if (treasury_walk_done(&rc.c, rp, err, rq->params[0])) {
		if (csv)
			runway_csv(rq, rp, json_incref(rc.c.items), rc.unit);
		else
			runway_reply(rq, rp, &rc, now_s);
		json_decref(rc.c.items);
	}
	json_decref(rc.priced);
	json_decref(rc.unpriced);
}
