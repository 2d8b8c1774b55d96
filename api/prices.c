/*
 * prices.c: operator-supplied prices (issue #14 §9, docs/api.md "Prices").
 *
 *   POST /v1/prices {"asset","unit","date","price"} (admin or treasurer):
 *        201 a new day's price, 200 replaced or set again;
 *   GET  /v1/prices?asset=&unit=[&from=YYYY-MM-DD] (any token): that
 *        pair's prices in day order from `from`, at most 1000, with
 *        "next_from" (the date to ask from next) or null; with
 *        format=csv every price from `from` on, streamed (docs/api.md
 *        "CSV").
 *
 * Prices are exact decimal texts (price.h), stored as the operator gave
 * them up to trailing zeros; nothing here converts or interpolates.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "treasury/calendar.h"
#include "treasury/canonical.h"
#include "treasury/price.h"

#include "internal.h"

/* "YYYY-MM-DD" only (calendar_time_parse's date form): its UTC day. Ten
 * digits are unix seconds to calendar_time_parse, not a date: refused. */
static bool
date_day(const char *s, size_t len, int64_t *day)
{
	int64_t t;

	if (len != CALENDAR_DATE_BYTES || s[4] != '-' ||
	    calendar_time_parse(s, len, &t) != TREASURY_OK)
		return false;
	*day = t / CALENDAR_SECONDS_PER_DAY;
	return true;
}

static bool
price_fields(struct reply *rp, json_t *body, struct command *cmd)
{
	const char *unit, *date, *price;
	size_t unit_len, date_len, price_len;
	treasury_err err;

	if (!field_string(rp, body, "", "unit", true, &unit, &unit_len) ||
	    !field_string(rp, body, "", "date", true, &date, &date_len) ||
	    !field_string(rp, body, "", "price", true, &price, &price_len))
		return false;
	if (price_unit_check(unit, unit_len) != TREASURY_OK) {
		reply_err(rp, TREASURY_ERR_INVALID_FIELD, "unit: must be 1..%d"
		    " characters [A-Za-z0-9._-]", (int)PRICE_UNIT_MAX_BYTES);
		return false;
	}
	if (!date_day(date, date_len, &cmd->in.price.day)) {
		reply_err(rp, TREASURY_ERR_INVALID_FIELD, "date: must be a"
		    " date YYYY-MM-DD (1970-01-01..9999-12-31)");
		return false;
	}
	err = price_text_normalise(price, price_len, cmd->in.price.price);
	if (err != TREASURY_OK) {
		reply_err(rp, err, "price: %s (an exact positive decimal, at"
		    " most %d fraction digits)", treasury_err_text(err),
		    (int)PRICE_FRACTION_DIGITS_MAX);
		return false;
	}
	text_copy(cmd->in.price.unit, sizeof(cmd->in.price.unit), unit,
	    unit_len);
	return true;
}

static bool
price_from_body(struct request *rq, struct reply *rp, json_t *body,
    struct command *cmd)
{
	static const char *const fields[] = { "asset", "unit", "date",
	    "price", NULL };
	struct asset asset;

	if (!fields_only(rp, body, "", fields) ||
	    !field_asset(rq, rp, body, "", &asset) ||
	    !price_fields(rp, body, cmd))
		return false;
	text_copy(cmd->in.price.asset, sizeof(cmd->in.price.asset),
	    asset.code, strlen(asset.code));
	return true;
}

static json_t *
price_json(const struct price_view *v)
{
	char date[CALENDAR_DATE_BYTES + 1];

	calendar_date_text(v->day * CALENDAR_SECONDS_PER_DAY, date);
	return json_pack("{s:s, s:s, s:s, s:s, s:o}", "asset", v->asset,
	    "unit", v->unit, "date", date, "price", v->price, "set_at",
	    json_time(v->created_s));
}

static void
price_set_answer(struct request *rq, struct reply *rp,
    const struct command *cmd)
{
	struct price_view v;
	char date[CALENDAR_DATE_BYTES + 1];

	(void)rq;
	memset(&v, 0, sizeof(v));
	memcpy(v.asset, cmd->in.price.asset, sizeof(v.asset));
	memcpy(v.unit, cmd->in.price.unit, sizeof(v.unit));
	memcpy(v.price, cmd->in.price.price, sizeof(v.price));
	v.day = cmd->in.price.day;
	calendar_date_text(v.day * CALENDAR_SECONDS_PER_DAY, date);
	reply_built(rp, cmd->out.price.replaced ? 200 : 201, json_pack(
	    "{s:s, s:s, s:s, s:s}", "asset", v.asset, "unit", v.unit, "date",
	    date, "price", v.price));
}

void
handle_price_set(struct request *rq, struct reply *rp)
{
	struct command cmd;
	json_t *body;

	body = body_parse(rq, rp, false);
	if (body == NULL)
		return;
	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CMD_PRICE_SET;
	if (price_from_body(rq, rp, body, &cmd))
		(void)command_submit_wait(rq, rp, &cmd, price_set_answer);
	json_decref(body);
}

/* ---- GET ---- */

struct prices_walk {
	struct collect c;
	int64_t last_day;
};

static int
prices_add(const struct price_view *v, void *ctx)
{
	struct prices_walk *w = ctx;

	w->last_day = v->day;
	return collect_add(&w->c, price_json(v));
}

static const char *
query_value(struct request *rq, const char *name)
{
	return MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND,
	    name);
}

static bool
prices_query(struct request *rq, struct reply *rp, struct asset *a,
    char unit[PRICE_UNIT_MAX_BYTES + 1], int64_t *from_day)
{
	static const char *const params[] = { "asset", "unit", "from",
	    "format", NULL };
	const char *asset = query_value(rq, "asset");
	const char *u = query_value(rq, "unit");
	const char *from = query_value(rq, "from");
	treasury_err err;

	if (!query_only(rq, rp, params))
		return false;
	if (asset == NULL || u == NULL) {
		reply_err(rp, TREASURY_ERR_INVALID_QUERY, "asset and unit are"
		    " required");
		return false;
	}
	if (price_unit_check(u, strlen(u)) != TREASURY_OK) {
		reply_err(rp, TREASURY_ERR_INVALID_QUERY, "unit: must be 1..%d"
		    " characters [A-Za-z0-9._-]", (int)PRICE_UNIT_MAX_BYTES);
		return false;
	}
	*from_day = 0;
	if (from != NULL && !date_day(from, strlen(from), from_day)) {
		reply_err(rp, TREASURY_ERR_INVALID_QUERY, "from: must be a date"
		    " YYYY-MM-DD");
		return false;
	}
	err = asset_code_check(asset, strlen(asset));
	if (err == TREASURY_OK)
		err = store_asset_get(rq->reader, asset, a);
	if (err != TREASURY_OK) {
		reply_err(rp, err == TREASURY_ERR_UNKNOWN_ASSET ||
		    err == TREASURY_ERR_ASSET_CODE ? TREASURY_ERR_INVALID_QUERY :
		    err, "asset: not a registered asset");
		return false;
	}
	text_copy(unit, PRICE_UNIT_MAX_BYTES + 1, u, strlen(u));
	return true;
}

/* ---- CSV: asset,unit,date,price,set_at, streamed ---- */

struct price_stream {
	struct csv_stream cs;	/* first: the stream frees the whole */
	char asset[ASSET_CODE_MAX_BYTES + 1];
	char unit[PRICE_UNIT_MAX_BYTES + 1];
	int64_t from_day;	/* the next day to write */
};

static const char *const price_cols[] = { "asset", "unit", "date",
    "price", "set_at", NULL };

static int
price_stream_one(const struct price_view *v, void *ctx)
{
	struct price_stream *st = ctx;
	char date[CALENDAR_DATE_BYTES + 1];
	size_t before = st->cs.o.len;

	calendar_date_text(v->day * CALENDAR_SECONDS_PER_DAY, date);
	csv_text(&st->cs.o, v->asset);
	csv_text(&st->cs.o, v->unit);
	csv_amount(&st->cs.o, date);
	csv_amount(&st->cs.o, v->price);
	csv_time(&st->cs.o, v->created_s);
	csv_row_end(&st->cs.o);
	if (!csv_stream_row_fits(&st->cs, before))
		return 1;
	st->from_day = v->day + 1;
	return 0;
}

static treasury_err
price_stream_page(struct csv_stream *cs, struct store *reader, bool *more)
{
	struct price_stream *st = (struct price_stream *)cs;

	return store_prices_list(reader, st->asset, st->unit, st->from_day,
	    price_stream_one, st, more);
}

/* Every price of the pair from from_day on, PRICES_PAGE_MAX per read (a
 * day's price set meanwhile shows if its day is still ahead). */
static void
price_csv_stream(struct request *rq, struct reply *rp, const char *asset,
    const char *unit, int64_t from_day)
{
	struct price_stream *st = calloc(1, sizeof(*st));
	char subject[ASSET_CODE_MAX_BYTES + PRICE_UNIT_MAX_BYTES + 2];

	if (st == NULL) {
		reply_err(rp, TREASURY_ERR_NOMEM, "out of memory");
		return;
	}
	st->cs.cols = price_cols;
	st->cs.page = price_stream_page;
	st->cs.what = "prices";
	snprintf(st->asset, sizeof(st->asset), "%s", asset);
	snprintf(st->unit, sizeof(st->unit), "%s", unit);
	st->from_day = from_day;
	snprintf(subject, sizeof(subject), "%s-%s", asset, unit);
	csv_stream_reply(rq, rp, &st->cs, subject);
}

void
handle_price_list(struct request *rq, struct reply *rp)
{
	char unit[PRICE_UNIT_MAX_BYTES + 1];
	char next[CALENDAR_DATE_BYTES + 1];
	struct prices_walk w;
	struct asset a;
	int64_t from_day;
	bool more = false, csv;
	treasury_err err;

	if (!prices_query(rq, rp, &a, unit, &from_day) ||
	    !reply_format(rq, rp, &csv))
		return;
	if (csv) {
		price_csv_stream(rq, rp, a.code, unit, from_day);
		return;
	}
	memset(&w, 0, sizeof(w));
	w.c.items = json_array();
	err = store_prices_list(rq->reader, a.code, unit, from_day,
	    prices_add, &w, &more);
	if (!collect_done(&w.c, rp, err, "prices"))
		return;
	/* only with more: a later day exists, so last_day + 1 is a day of
	 * the calendar (the last price may be on 9999-12-31) */
	if (more)
		calendar_date_text((w.last_day + 1) * CALENDAR_SECONDS_PER_DAY,
		    next);
	reply_built(rp, 200, json_pack("{s:o, s:o}", "prices", w.c.items,
	    "next_from", more ? json_string(next) : json_null()));
}
