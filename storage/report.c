/*
 * report.c: the treasurer's period report and runway (queries.h,
 * docs/api.md "Reports").
 *
 * A range [a, b) of seconds is summed from ledger_days for the UTC days
 * that lie wholly inside it and from the ledger itself (ledger_time index)
 * for the part of a first or last day that does not: a report over a
 * million entries reads a few rows per day, not the entries. Every sum is
 * a struct amount_wide (exact, 256 bits); nothing is rounded.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "treasury/calendar.h"

#include "engine_int.h"
#include "ledger_int.h"

/* Where a range's movements are added: the opening sums (everything in
 * one pair per asset) or the period's flows. */
enum fold_target { FOLD_OPENING, FOLD_PERIOD };

/* The opening of each asset is summed as inflow and outflow, subtracted
 * at the end (a day may move out what an earlier day brought in). */
struct report_work {
	struct report *r;
	struct amount_wide open_in[REPORT_ASSETS_MAX];
	struct amount_wide open_out[REPORT_ASSETS_MAX];
	unsigned last;			/* asset index of the last lookup */
	/* a period's whole days read key by key (fold_days_keyed) */
	bool keyed;
};

enum {
	/* store_report_next reads a period's whole days per (asset,
	 * category) pair through ledger_days' primary key when there are at
	 * most this many pairs; beyond, one scan of the treasury's rows */
	REPORT_KEYED_MAX = 2048,
};

static bool
text_copy(char *out, size_t out_size, const unsigned char *text, int len)
{
	if (text == NULL || len < 1 || (size_t)len >= out_size)
		return false;
	memcpy(out, text, (size_t)len);
	out[len] = '\0';
	return true;
}

static treasury_err
col_wide(struct db_stmt *st, int col, struct amount_wide *out)
{
	if (db_column_type(st, col) != DB_TEXT ||
	    amount_wide_parse_minor((const char *)db_column_text(st, col),
	    (size_t)db_column_bytes(st, col), out) != TREASURY_OK)
		return TREASURY_ERR_DB_CORRUPT;
	return TREASURY_OK;
}

/* The index of asset in w->r, added (without decimals yet) when new. */
static treasury_err
asset_slot(struct report_work *w, const char *asset, unsigned *out)
{
	struct report *r = w->r;
	unsigned i;

	if (w->last < r->asset_count &&
	    strcmp(r->assets[w->last].asset, asset) == 0) {
		*out = w->last;
		return TREASURY_OK;
	}
	for (i = 0; i < r->asset_count; i++)
		if (strcmp(r->assets[i].asset, asset) == 0)
			break;
	if (i == r->asset_count) {
		if (i == REPORT_ASSETS_MAX)
			return TREASURY_ERR_TOO_LARGE;
		memset(&r->assets[i], 0, sizeof(r->assets[i]));
		snprintf(r->assets[i].asset, sizeof(r->assets[i].asset), "%s",
		    asset);	/* length checked by the callers */
		r->asset_count++;
	}
	w->last = i;
	*out = i;
	return TREASURY_OK;
}

static int
category_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct report_category *)elem)->name);
}

/* The flow of (asset, category) for a period; "" = uncategorised. */
static treasury_err
flow_slot(struct report *r, struct report_asset *a, const char *category,
    struct report_flow **out)
{
	const struct report_category *c;

	if (category[0] == '\0') {
		*out = &a->uncategorised;
		return TREASURY_OK;
	}
	c = bsearch(category, r->categories, r->category_count,
	    sizeof(r->categories[0]), category_cmp);
	if (c == NULL)
		return TREASURY_ERR_DB_CORRUPT;	/* label not registered */
	if (a->by_category == NULL) {
		a->by_category = calloc(r->category_count,
		    sizeof(a->by_category[0]));
		if (a->by_category == NULL)
			return TREASURY_ERR_NOMEM;
	}
	*out = &a->by_category[c - r->categories];
	return TREASURY_OK;
}

/* Add one (asset, category, inflow, outflow, entries) to the target. */
static treasury_err
fold(struct report_work *w, enum fold_target target, const char *asset,
    const char *category, const struct amount_wide *in,
    const struct amount_wide *out, int64_t entries)
{
	struct report_flow *f;
	struct report_asset *a;
	treasury_err err;
	unsigned i;

	err = asset_slot(w, asset, &i);
	if (err != TREASURY_OK)
		return err;
	a = &w->r->assets[i];
	if (target == FOLD_OPENING) {
		if (amount_wide_add_wide(&w->open_in[i], in) != TREASURY_OK ||
		    amount_wide_add_wide(&w->open_out[i], out) != TREASURY_OK)
			return TREASURY_ERR_DB_CORRUPT;	/* 2^256: never */
		return TREASURY_OK;
	}
	err = flow_slot(w->r, a, category, &f);
	if (err != TREASURY_OK)
		return err;
	if (amount_wide_add_wide(&f->inflow, in) != TREASURY_OK ||
	    amount_wide_add_wide(&f->outflow, out) != TREASURY_OK ||
	    amount_wide_add_wide(&a->inflow, in) != TREASURY_OK ||
	    amount_wide_add_wide(&a->outflow, out) != TREASURY_OK)
		return TREASURY_ERR_DB_CORRUPT;
	f->entries += entries;
	return TREASURY_OK;
}

/* The ledger_days rows of days [d_from, d_to). */
static treasury_err
fold_days(struct store *s, struct report_work *w, enum fold_target target,
    const char *treasury, int64_t d_from, int64_t d_to)
{
	struct db_stmt *st = s->stmt[STMT_REPORT_DAYS];
	char asset[ASSET_CODE_MAX_BYTES + 1];
	char category[CATEGORY_NAME_MAX_BYTES + 1];
	struct amount_wide in, out;
	treasury_err err = TREASURY_OK;
	int64_t entries;
	int rc;

	bind_str(st, 1, treasury);
	db_bind_int64(st, 2, d_from);
	db_bind_int64(st, 3, d_to);
	while ((rc = db_step(st)) == DB_ROW) {
		if (!text_copy(asset, sizeof(asset), db_column_text(st, 0),
		    db_column_bytes(st, 0)))
			err = TREASURY_ERR_DB_CORRUPT;
		else if (db_column_bytes(st, 1) == 0)
			category[0] = '\0';
		else if (!text_copy(category, sizeof(category),
		    db_column_text(st, 1), db_column_bytes(st, 1)))
			err = TREASURY_ERR_DB_CORRUPT;
		if (err == TREASURY_OK)
			err = col_wide(st, 2, &in);
		if (err == TREASURY_OK)
			err = col_wide(st, 3, &out);
		if (err == TREASURY_OK)
			err = col_int(st, 4, 1, INT64_MAX, &entries);
		if (err == TREASURY_OK)
			err = fold(w, target, asset, category, &in, &out,
			    entries);
		if (err != TREASURY_OK)
			break;
	}
	if (rc != DB_ROW && rc != DB_DONE)
		err = store_err_from_rc(rc);
	store_stmt_done(st);
	return err;
}

/* fold_days of FOLD_PERIOD, pair by pair: for each asset already in the
 * report (store_report_next puts every asset with a balance row there:
 * every asset with an entry has one) and each category or none, the day
 * sums of [d_from, d_to) through ledger_days' primary key (treasury_id,
 * asset, category, day): a few rows a pair, not the treasury's whole
 * history. */
static treasury_err
fold_days_keyed(struct store *s, struct report_work *w, const char *treasury,
    int64_t d_from, int64_t d_to)
{
	struct db_stmt *st = s->stmt[STMT_REPORT_DAYS_KEY];
	const struct report *r = w->r;
	unsigned n = r->asset_count, i, c;
	struct amount_wide in, out;
	treasury_err err = TREASURY_OK;
	const char *category;
	int64_t entries;
	int rc = DB_DONE;

	for (i = 0; i < n && err == TREASURY_OK; i++) {
		for (c = 0; c <= r->category_count && err == TREASURY_OK; c++) {
			category = c == 0 ? "" : r->categories[c - 1].name;
			bind_str(st, 1, treasury);
			bind_str(st, 2, r->assets[i].asset);
			bind_str(st, 3, category);
			db_bind_int64(st, 4, d_from);
			db_bind_int64(st, 5, d_to);
			while (err == TREASURY_OK &&
			    (rc = db_step(st)) == DB_ROW) {
				err = col_wide(st, 0, &in);
				if (err == TREASURY_OK)
					err = col_wide(st, 1, &out);
				if (err == TREASURY_OK)
					err = col_int(st, 2, 1, INT64_MAX,
					    &entries);
				if (err == TREASURY_OK)
					err = fold(w, FOLD_PERIOD,
					    r->assets[i].asset, category, &in,
					    &out, entries);
			}
			if (err == TREASURY_OK && rc != DB_DONE)
				err = store_err_from_rc(rc);
			store_stmt_done(st);
		}
	}
	return err;
}

/* The ledger entries of [a, b) seconds. */
static treasury_err
fold_scan(struct store *s, struct report_work *w, enum fold_target target,
    const char *treasury, int64_t a, int64_t b)
{
	struct db_stmt *st = s->stmt[STMT_REPORT_SCAN];
	char asset[ASSET_CODE_MAX_BYTES + 1];
	char category[CATEGORY_NAME_MAX_BYTES + 1];
	struct amount_wide in, out;
	treasury_err err = TREASURY_OK;
	amount_minor amount;
	const char *kind;
	int rc;

	if (a >= b)
		return TREASURY_OK;
	bind_str(st, 1, treasury);
	db_bind_int64(st, 2, a);
	db_bind_int64(st, 3, b);
	while ((rc = db_step(st)) == DB_ROW) {
		amount_wide_zero(&in);
		amount_wide_zero(&out);
		category[0] = '\0';
		kind = (const char *)db_column_text(st, 2);
		if (!text_copy(asset, sizeof(asset), db_column_text(st, 0),
		    db_column_bytes(st, 0)) || kind == NULL ||
		    (db_column_type(st, 1) != DB_NULL &&
		    !text_copy(category, sizeof(category),
		    db_column_text(st, 1), db_column_bytes(st, 1))))
			err = TREASURY_ERR_DB_CORRUPT;
		if (err == TREASURY_OK)
			err = col_amount(st, 3, &amount);
		if (err == TREASURY_OK) {
			if (strcmp(kind, "deposit") == 0)
				amount_wide_from(&in, amount);
			else if (strcmp(kind, "transfer") == 0)
				amount_wide_from(&out, amount);
			else
				err = TREASURY_ERR_DB_CORRUPT;
		}
		if (err == TREASURY_OK)
			err = fold(w, target, asset, category, &in, &out, 1);
		if (err != TREASURY_OK)
			break;
	}
	if (rc != DB_ROW && rc != DB_DONE)
		err = store_err_from_rc(rc);
	store_stmt_done(st);
	return err;
}

/* Everything in [a, b) seconds; a == INT64_MIN: from the beginning.
 * Days wholly inside come from ledger_days, the rest from the ledger. */
static treasury_err
fold_range(struct store *s, struct report_work *w, enum fold_target target,
    const char *treasury, int64_t a, int64_t b)
{
	int64_t whole_from, whole_to;
	treasury_err err;

	assert(a < b);
	if (a == INT64_MIN)
		whole_from = INT64_MIN;
	else
		whole_from = ledger_day_of(a) +
		    (a % SECONDS_PER_DAY != 0 ? 1 : 0);
	whole_to = ledger_day_of(b);
	if (whole_from >= whole_to)
		return fold_scan(s, w, target, treasury, a, b);
	if (w->keyed && target == FOLD_PERIOD)
		err = fold_days_keyed(s, w, treasury, whole_from, whole_to);
	else
		err = fold_days(s, w, target, treasury, whole_from, whole_to);
	if (err == TREASURY_OK && a != INT64_MIN)
		err = fold_scan(s, w, target, treasury, a,
		    whole_from * SECONDS_PER_DAY);
	if (err == TREASURY_OK)
		err = fold_scan(s, w, target, treasury,
		    whole_to * SECONDS_PER_DAY, b);
	return err;
}

static treasury_err
categories_load(struct store *s, const char *treasury, struct report *r)
{
	struct db_stmt *st = s->stmt[STMT_REPORT_CATEGORIES];
	treasury_err err = TREASURY_OK;
	struct report_category *c;
	const char *kind;
	int rc;

	bind_str(st, 1, treasury);
	while ((rc = db_step(st)) == DB_ROW) {
		if (r->category_count == CATEGORIES_PER_TREASURY_MAX) {
			err = TREASURY_ERR_DB_CORRUPT;
			break;
		}
		c = &r->categories[r->category_count];
		kind = (const char *)db_column_text(st, 1);
		if (!text_copy(c->name, sizeof(c->name),
		    db_column_text(st, 0), db_column_bytes(st, 0)) ||
		    kind == NULL || (strcmp(kind, "income") != 0 &&
		    strcmp(kind, "expense") != 0)) {
			err = TREASURY_ERR_DB_CORRUPT;
			break;
		}
		c->income = strcmp(kind, "income") == 0;
		/* ORDER BY name is BINARY: strcmp order, for bsearch */
		if (r->category_count > 0 && strcmp(c[-1].name, c->name) >= 0) {
			err = TREASURY_ERR_DB_CORRUPT;
			break;
		}
		r->category_count++;
	}
	if (rc != DB_ROW && rc != DB_DONE)
		err = store_err_from_rc(rc);
	store_stmt_done(st);
	return err;
}

/* Add the assets with a balance row (and no entries) and take decimals
 * from the balance list; the others' decimals from the assets table. */
struct balance_fold {
	struct report_work *w;
	treasury_err err;
};

static int
balance_seen(const struct balance *b, void *ctx)
{
	struct balance_fold *bf = ctx;
	unsigned i;

	bf->err = asset_slot(bf->w, b->asset, &i);
	if (bf->err == TREASURY_OK)
		bf->w->r->assets[i].decimals = b->decimals;
	return bf->err != TREASURY_OK;
}

static treasury_err
balances_fold(struct store *s, struct report_work *w, const char *treasury)
{
	struct balance_fold bf = { .w = w, .err = TREASURY_OK };
	treasury_err err;

	err = store_balances(s, treasury, balance_seen, &bf);
	return err != TREASURY_OK ? err : bf.err;
}

static int
asset_cmp(const void *x, const void *y)
{
	return strcmp(((const struct report_asset *)x)->asset,
	    ((const struct report_asset *)y)->asset);
}

/* opening = in - out before from; closing = opening + inflow - outflow;
 * then sort by asset code (open_in/open_out are no longer needed). */
static treasury_err
report_finish(struct store *s, struct report_work *w)
{
	struct report *r = w->r;
	struct report_asset *a;
	struct asset as;
	treasury_err err;
	unsigned i;

	for (i = 0; i < r->asset_count; i++) {
		a = &r->assets[i];
		a->opening = w->open_in[i];
		if (amount_wide_sub_wide(&a->opening, &w->open_out[i]) !=
		    TREASURY_OK)
			return TREASURY_ERR_DB_CORRUPT;	/* negative opening */
		a->closing = a->opening;
		if (amount_wide_add_wide(&a->closing, &a->inflow) !=
		    TREASURY_OK || amount_wide_sub_wide(&a->closing,
		    &a->outflow) != TREASURY_OK)
			return TREASURY_ERR_DB_CORRUPT;	/* negative closing */
		err = store_asset_get(s, a->asset, &as);
		if (err == TREASURY_ERR_UNKNOWN_ASSET)
			err = TREASURY_ERR_DB_CORRUPT;
		if (err != TREASURY_OK)
			return err;
		a->decimals = as.decimals;
	}
	qsort(r->assets, r->asset_count, sizeof(r->assets[0]), asset_cmp);
	return TREASURY_OK;
}

void
report_free(struct report *r)
{
	unsigned i;

	for (i = 0; i < r->asset_count; i++) {
		free(r->assets[i].by_category);
		r->assets[i].by_category = NULL;
	}
	r->asset_count = 0;
}

static treasury_err
snapshot_open(struct store *s, bool *began)
{
	treasury_err err;

	*began = false;
	if (!db_get_autocommit(s->db))
		return TREASURY_OK;	/* join the open snapshot */
	err = store_read_begin(s);
	*began = err == TREASURY_OK;
	return err;
}

treasury_err
store_report(struct store *s, const char *treasury, int64_t from_s,
    int64_t to_s, struct report *out)
{
	struct report_work *w;
	treasury_err err;
	bool began;

	assert(0 <= from_s && from_s < to_s && to_s <= CALENDAR_TIME_MAX_S);
	memset(out, 0, sizeof(*out));
	out->from_s = from_s;
	out->to_s = to_s;
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return TREASURY_ERR_NOMEM;
	w->r = out;
	err = snapshot_open(s, &began);
	if (err == TREASURY_OK)
		err = treasury_exists(s, treasury);
	if (err == TREASURY_OK)
		err = categories_load(s, treasury, out);
	if (err == TREASURY_OK)
		err = fold_range(s, w, FOLD_OPENING, treasury, INT64_MIN,
		    from_s);
	if (err == TREASURY_OK)
		err = fold_range(s, w, FOLD_PERIOD, treasury, from_s, to_s);
	if (err == TREASURY_OK)
		err = balances_fold(s, w, treasury);
	if (err == TREASURY_OK)
		err = report_finish(s, w);
	if (began)
		store_read_end(s);
	free(w);
	if (err != TREASURY_OK)
		report_free(out);
	return err;
}

treasury_err
store_report_next(struct store *s, const char *treasury,
    const struct report *prev, int64_t to_s, struct report *out)
{
	struct report_work *w;
	treasury_err err = TREASURY_OK;
	unsigned i, j;
	bool began;

	assert(prev != out && prev->to_s < to_s && to_s <= CALENDAR_TIME_MAX_S);
	memset(out, 0, sizeof(*out));
	out->from_s = prev->to_s;
	out->to_s = to_s;
	out->category_count = prev->category_count;
	memcpy(out->categories, prev->categories,
	    prev->category_count * sizeof(prev->categories[0]));
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return TREASURY_ERR_NOMEM;
	w->r = out;
	/* opening = prev's closing (open_out stays 0) */
	for (i = 0; err == TREASURY_OK && i < prev->asset_count; i++) {
		err = asset_slot(w, prev->assets[i].asset, &j);
		if (err == TREASURY_OK)
			w->open_in[j] = prev->assets[i].closing;
	}
	if (err == TREASURY_OK)
		err = snapshot_open(s, &began);
	else
		began = false;
	if (err == TREASURY_OK)
		err = balances_fold(s, w, treasury);
	w->keyed = (size_t)out->asset_count * (out->category_count + 1) <=
	    REPORT_KEYED_MAX;
	if (err == TREASURY_OK)
		err = fold_range(s, w, FOLD_PERIOD, treasury, out->from_s, to_s);
	if (err == TREASURY_OK)
		err = report_finish(s, w);
	if (began)
		store_read_end(s);
	free(w);
	if (err != TREASURY_OK)
		report_free(out);
	return err;
}

/* ---- runway ---- */

struct runway_walk {
	struct store *s;
	const char *treasury;
	int64_t at_s;
	const char *unit;		/* NULL: no prices */
	int (*fn)(const struct runway_asset *, void *);
	void *ctx;
	struct report_work *w;
	treasury_err err;
	bool stopped;
};

/* The outflow of one asset (all categories) over [a, at). */
static treasury_err
runway_outflow(struct runway_walk *rw, const char *asset, int64_t a,
    struct amount_wide *out)
{
	struct report *r = rw->w->r;
	treasury_err err;
	unsigned i;

	report_free(r);
	memset(rw->w->open_in, 0, sizeof(rw->w->open_in));
	memset(rw->w->open_out, 0, sizeof(rw->w->open_out));
	err = fold_range(rw->s, rw->w, FOLD_OPENING, rw->treasury, a,
	    rw->at_s);
	amount_wide_zero(out);
	for (i = 0; err == TREASURY_OK && i < r->asset_count; i++)
		if (strcmp(r->assets[i].asset, asset) == 0)
			*out = rw->w->open_out[i];
	return err;
}

static treasury_err
runway_months(struct runway_asset *ra)
{
	struct amount_wide n;

	ra->has_months = !amount_wide_is_zero(&ra->outflow_90d);
	amount_wide_zero(&ra->months_x100);
	if (!ra->has_months)
		return TREASURY_OK;
	amount_wide_from(&n, ra->balance);
	/* balance < 2^128 so balance * 300 < 2^137: no overflow */
	if (amount_wide_mul_small(&n, 300) != TREASURY_OK)
		return TREASURY_ERR_INTERNAL;
	return amount_wide_div(&n, &ra->outflow_90d, &ra->months_x100);
}

/* The asset's price in rw->unit on the latest day <= at's day. */
static treasury_err
runway_price(struct runway_walk *rw, struct runway_asset *ra)
{
	struct price_view v;
	treasury_err err;

	err = store_price_at(rw->s, ra->asset, rw->unit,
	    rw->at_s / CALENDAR_SECONDS_PER_DAY, &v, &ra->priced);
	if (err == TREASURY_OK && ra->priced) {
		ra->price_day = v.day;
		memcpy(ra->price, v.price, sizeof(ra->price));
	}
	return err;
}

static int
runway_balance(const struct balance *b, void *ctx)
{
	struct runway_walk *rw = ctx;
	struct runway_asset ra;

	memset(&ra, 0, sizeof(ra));
	snprintf(ra.asset, sizeof(ra.asset), "%s", b->asset);
	ra.decimals = b->decimals;
	ra.balance = b->amount;
	rw->err = runway_outflow(rw, b->asset,
	    rw->at_s - 30 * CALENDAR_SECONDS_PER_DAY, &ra.outflow_30d);
	if (rw->err == TREASURY_OK)
		rw->err = runway_outflow(rw, b->asset,
		    rw->at_s - 90 * CALENDAR_SECONDS_PER_DAY, &ra.outflow_90d);
	if (rw->err == TREASURY_OK)
		rw->err = runway_months(&ra);
	if (rw->err == TREASURY_OK && rw->unit != NULL)
		rw->err = runway_price(rw, &ra);
	if (rw->err != TREASURY_OK)
		return 1;
	rw->stopped = rw->fn(&ra, rw->ctx) != 0;
	return rw->stopped;
}

treasury_err
store_runway(struct store *s, const char *treasury, int64_t at_s,
    const char *unit, int (*fn)(const struct runway_asset *, void *),
    void *ctx)
{
	struct runway_walk rw = { .s = s, .treasury = treasury, .at_s = at_s,
	    .unit = unit, .fn = fn, .ctx = ctx };
	struct report *r;
	treasury_err err;
	bool began;

	assert(0 <= at_s && at_s <= CALENDAR_TIME_MAX_S && fn != NULL);
	r = calloc(1, sizeof(*r));
	rw.w = calloc(1, sizeof(*rw.w));
	if (r == NULL || rw.w == NULL) {
		free(r);
		free(rw.w);
		return TREASURY_ERR_NOMEM;
	}
	rw.w->r = r;
	err = snapshot_open(s, &began);
	if (err == TREASURY_OK)
		err = treasury_exists(s, treasury);
	if (err == TREASURY_OK)
		err = store_balances(s, treasury, runway_balance, &rw);
	if (err == TREASURY_OK)
		err = rw.err;
	if (began)
		store_read_end(s);
	report_free(r);
	free(r);
	free(rw.w);
	return err;
}
