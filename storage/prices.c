/*
 * prices.c: CMD_PRICE_SET in the writer and the price list of the read
 * side (queries.h store_prices_list). Issue #14 §9: the operator states
 * the price of one unit of an asset in a unit of account on a UTC day;
 * nothing is ever guessed or interpolated here. Statements are prepared
 * per call (see budget.c).
 */
#include <assert.h>
#include <string.h>

#include "treasury/calendar.h"

#include "engine_int.h"
#include "price_int.h"

/* The price stored for the command's key, if any (prev: "" when none). */
static treasury_err
price_find(struct store *s, const struct command *cmd,
    char prev[PRICE_TEXT_MAX_BYTES + 1])
{
	static const char sql[] =
	    "SELECT price FROM prices WHERE asset = ?1 AND unit = ?2 AND"
	    " day = ?3";
	struct db_stmt *st;
	treasury_err err;
	int rc;

	prev[0] = '\0';
	err = store_prepare_once(s, sql, &st);
	if (err != TREASURY_OK)
		return err;
	bind_str(st, 1, cmd->in.price.asset);
	bind_str(st, 2, cmd->in.price.unit);
	db_bind_int64(st, 3, cmd->in.price.day);
	rc = db_step(st);
	if (rc == DB_ROW)
		err = col_text(st, 0, 1, PRICE_TEXT_MAX_BYTES, prev);
	else if (rc != DB_DONE)
		err = store_err_from_rc(rc);
	db_finalize(st);
	return err;
}

static treasury_err
price_write(struct store *s, const struct command *cmd)
{
	static const char sql[] =
	    "INSERT INTO prices (asset, unit, day, price, created_at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (asset, unit, day)"
	    " DO UPDATE SET price = excluded.price,"
	    " created_at = excluded.created_at";
	struct db_stmt *st;
	treasury_err err;
	int rc;

	err = store_prepare_once(s, sql, &st);
	if (err != TREASURY_OK)
		return err;
	bind_str(st, 1, cmd->in.price.asset);
	bind_str(st, 2, cmd->in.price.unit);
	db_bind_int64(st, 3, cmd->in.price.day);
	bind_str(st, 4, cmd->in.price.price);
	db_bind_int64(st, 5, cmd->now_s);
	rc = db_step(st);
	err = rc == DB_DONE ? TREASURY_OK : store_err_from_db(s->db, rc);
	db_finalize(st);
	return err;
}

static treasury_err
price_journal(struct store *s, const struct command *cmd, const char *prev)
{
	char date[CALENDAR_DATE_BYTES + 1];
	struct journal_payload p;

	calendar_date_text(cmd->in.price.day * CALENDAR_SECONDS_PER_DAY, date);
	journal_payload_begin(&p);
	journal_payload_str(&p, "asset", cmd->in.price.asset);
	journal_payload_str(&p, "date", date);
	if (prev[0] != '\0')
		journal_payload_str(&p, "previous_price", prev);
	journal_payload_str(&p, "price", cmd->in.price.price);
	journal_payload_str(&p, "unit", cmd->in.price.unit);
	return journal_cmd(s, cmd, NULL, NULL, "price.set", &p);
}

static treasury_err
price_set(struct store *s, struct command *cmd)
{
	char prev[PRICE_TEXT_MAX_BYTES + 1];
	struct asset a;
	treasury_err err;

	err = store_asset_get(s, cmd->in.price.asset, &a);
	if (err == TREASURY_ERR_UNKNOWN_ASSET)
		cmd_detail(cmd, "asset: '%s' is not known", cmd->in.price.asset);
	if (err == TREASURY_OK)
		err = price_find(s, cmd, prev);
	if (err != TREASURY_OK)
		return err;
	cmd->out.price.replaced = prev[0] != '\0';
	if (strcmp(prev, cmd->in.price.price) == 0) {
		cmd->replayed = true;	/* the same price: nothing changes */
		return TREASURY_OK;
	}
	err = price_write(s, cmd);
	if (err == TREASURY_OK)
		err = price_journal(s, cmd, prev);
	return err;
}

enum apply_outcome
apply_price_set(struct store *s, struct command *cmd)
{
	return cmd_finish(s, cmd, price_set(s, cmd));
}

/* ---- read side ---- */

static treasury_err
price_row(struct db_stmt *st, struct price_view *v)
{
	treasury_err err;

	memset(v, 0, sizeof(*v));
	err = col_text(st, 0, 1, ASSET_CODE_MAX_BYTES, v->asset);
	if (err == TREASURY_OK)
		err = col_text(st, 1, 1, PRICE_UNIT_MAX_BYTES, v->unit);
	if (err == TREASURY_OK)
		err = col_int(st, 2, 0, CALENDAR_TIME_MAX_S /
		    CALENDAR_SECONDS_PER_DAY, &v->day);
	if (err == TREASURY_OK)
		err = col_text(st, 3, 1, PRICE_TEXT_MAX_BYTES, v->price);
	if (err == TREASURY_OK)
		err = col_int(st, 4, 0, INT64_MAX, &v->created_s);
	return err;
}

treasury_err
store_price_at(struct store *s, const char *asset, const char *unit,
    int64_t day, struct price_view *out, bool *found)
{
	static const char sql[] =
	    "SELECT asset, unit, day, price, created_at FROM prices"
	    " WHERE asset = ?1 AND unit = ?2 AND day <= ?3 ORDER BY day DESC"
	    " LIMIT 1";
	struct db_stmt *st;
	treasury_err err;
	int rc;

	assert(asset != NULL && unit != NULL && out != NULL && found != NULL);
	*found = false;
	err = store_prepare_once(s, sql, &st);
	if (err != TREASURY_OK)
		return err;
	bind_str(st, 1, asset);
	bind_str(st, 2, unit);
	db_bind_int64(st, 3, day);
	rc = db_step(st);
	if (rc == DB_ROW) {
		err = price_row(st, out);
		*found = err == TREASURY_OK;
	} else if (rc != DB_DONE)
		err = store_err_from_rc(rc);
	db_finalize(st);
	return err;
}

treasury_err
store_prices_list(struct store *s, const char *asset, const char *unit,
    int64_t from_day, int (*fn)(const struct price_view *, void *),
    void *ctx, bool *more)
{
	static const char sql[] =
	    "SELECT asset, unit, day, price, created_at FROM prices"
	    " WHERE asset = ?1 AND unit = ?2 AND day >= ?3 ORDER BY day"
	    " LIMIT ?4";
	struct price_view v;
	struct db_stmt *st;
	treasury_err err;
	unsigned n = 0;
	int rc;

	assert(asset != NULL && unit != NULL && fn != NULL && more != NULL);
	*more = false;
	err = store_prepare_once(s, sql, &st);
	if (err != TREASURY_OK)
		return err;
	bind_str(st, 1, asset);
	bind_str(st, 2, unit);
	db_bind_int64(st, 3, from_day);
	db_bind_int(st, 4, PRICES_PAGE_MAX + 1);
	while (err == TREASURY_OK && (rc = db_step(st)) == DB_ROW) {
		if (n++ == PRICES_PAGE_MAX) {
			*more = true;
			break;
		}
		err = price_row(st, &v);
		if (err == TREASURY_OK && fn(&v, ctx) != 0)
			break;
	}
	if (err == TREASURY_OK && rc != DB_DONE && rc != DB_ROW)
		err = store_err_from_rc(rc);
	db_finalize(st);
	return err;
}
