/*
 * ledger.c: the ledger's one insert and the exact day sums beside it
 * (ledger_int.h, schema_accounting.c).
 */
#include <string.h>

#include "engine_int.h"
#include "ledger_int.h"

int64_t
ledger_day_of(int64_t t_s)
{
	int64_t day = t_s / SECONDS_PER_DAY;

	if (t_s % SECONDS_PER_DAY < 0)
		day--;
	return day;
}

static bool
text_fits(char *out, size_t out_size, const char *text)
{
	size_t len = strlen(text);

	if (len >= out_size)
		return false;
	memcpy(out, text, len + 1);
	return true;
}

treasury_err
ledger_day_begin(struct ledger_day *d, const char *treasury,
    const char *asset, const char *category, int64_t day)
{
	memset(d, 0, sizeof(*d));
	if (!text_fits(d->treasury, sizeof(d->treasury), treasury) ||
	    !text_fits(d->asset, sizeof(d->asset), asset) ||
	    !text_fits(d->category, sizeof(d->category), category))
		return TREASURY_ERR_DB_CORRUPT;
	d->day = day;
	amount_wide_zero(&d->inflow);
	amount_wide_zero(&d->outflow);
	return TREASURY_OK;
}

treasury_err
ledger_day_fold(struct ledger_day *d, enum ledger_kind kind,
    amount_minor amount, bool remove)
{
	struct amount_wide *sum = kind == LEDGER_DEPOSIT ? &d->inflow :
	    &d->outflow;
	struct amount_wide next = *sum;

	if (remove) {
		if (d->entries < 1 || amount_wide_sub(&next, amount) !=
		    TREASURY_OK)
			return TREASURY_ERR_DB_CORRUPT;
		d->entries--;
	} else {
		if (amount_wide_add(&next, amount) != TREASURY_OK)
			return TREASURY_ERR_DB_CORRUPT;	/* 2^256: never */
		d->entries++;
	}
	*sum = next;
	return TREASURY_OK;
}

static void
bind_key(struct db_stmt *st, const struct ledger_day *d)
{
	bind_str(st, 1, d->treasury);
	bind_str(st, 2, d->asset);
	bind_str(st, 3, d->category);
	db_bind_int64(st, 4, d->day);
}

treasury_err
ledger_day_write(struct db_stmt *set, struct db_stmt *del,
    const struct ledger_day *d)
{
	char inflow[AMOUNT_WIDE_TEXT_MAX_BYTES];
	char outflow[AMOUNT_WIDE_TEXT_MAX_BYTES];
	struct db_stmt *st = d->entries > 0 ? set : del;
	int rc;

	if (st == NULL)
		return TREASURY_ERR_INTERNAL;
	bind_key(st, d);
	if (d->entries > 0) {
		amount_wide_minor_text(&d->inflow, inflow);
		amount_wide_minor_text(&d->outflow, outflow);
		db_bind_text(st, 5, inflow, -1, DB_TRANSIENT);
		db_bind_text(st, 6, outflow, -1, DB_TRANSIENT);
		db_bind_int64(st, 7, d->entries);
	} else if (!amount_wide_is_zero(&d->inflow) ||
	    !amount_wide_is_zero(&d->outflow)) {
		db_reset(st);
		db_clear_bindings(st);
		return TREASURY_ERR_DB_CORRUPT;	/* sums without entries */
	}
	rc = db_step(st);
	db_reset(st);
	db_clear_bindings(st);
	return rc == DB_DONE ? TREASURY_OK : store_err_from_rc(rc);
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

/* d (begun at its key) with the row of that key, if there is one. */
static treasury_err
ledger_day_load(struct store *s, struct ledger_day *d)
{
	struct db_stmt *st = s->stmt[STMT_LEDGER_DAY_GET];
	treasury_err err = TREASURY_OK;
	int rc;

	bind_key(st, d);
	rc = db_step(st);
	if (rc == DB_ROW) {
		err = col_wide(st, 0, &d->inflow);
		if (err == TREASURY_OK)
			err = col_wide(st, 1, &d->outflow);
		if (err == TREASURY_OK)
			err = col_int(st, 2, 1, INT64_MAX, &d->entries);
	} else if (rc != DB_DONE)
		err = store_err_from_rc(rc);
	store_stmt_done(st);
	return err;
}

/* Add (or take out) one entry to the sums of its day. */
static treasury_err
ledger_days_fold(struct store *s, const char *treasury, const char *asset,
    const char *category, int64_t created_s, enum ledger_kind kind,
    amount_minor amount, bool remove)
{
	struct ledger_day d;
	treasury_err err;

	err = ledger_day_begin(&d, treasury, asset, category,
	    ledger_day_of(created_s));
	if (err == TREASURY_OK)
		err = ledger_day_load(s, &d);
	if (err == TREASURY_OK)
		err = ledger_day_fold(&d, kind, amount, remove);
	if (err == TREASURY_OK)
		err = ledger_day_write(s->stmt[STMT_LEDGER_DAY_SET],
		    s->stmt[STMT_LEDGER_DAY_DELETE], &d);
	return err;
}

treasury_err
ledger_append(struct store *s, const struct ledger_new *e, int64_t *seq_out)
{
	struct db_stmt *st = s->stmt[STMT_LEDGER_INSERT];
	treasury_err err;

	bind_str(st, 1, e->treasury);
	bind_str(st, 2, e->kind == LEDGER_DEPOSIT ? "deposit" : "transfer");
	bind_str(st, 3, e->asset);
	bind_amount(st, 4, e->amount);
	bind_amount(st, 5, e->balance_after);
	bind_str(st, 6, e->reference);
	bind_str(st, 7, e->source);
	bind_str(st, 8, e->to);
	bind_str(st, 9, e->memo);
	if (e->proposal != NULL)
		db_bind_blob(st, 10, e->proposal, PROPOSAL_ID_BYTES,
		    DB_STATIC);
	else
		db_bind_null(st, 10);
	db_bind_int64(st, 11, e->created_s);
	if (e->category[0] != '\0')
		bind_str(st, 12, e->category);
	else
		db_bind_null(st, 12);
	err = store_stmt_insert(s, STMT_LEDGER_INSERT, seq_out);
	if (err != TREASURY_OK)
		return err;
	return ledger_days_fold(s, e->treasury, e->asset, e->category,
	    e->created_s, e->kind, e->amount, false);
}

treasury_err
ledger_days_move(struct store *s, const struct ledger_entry *e,
    const char *from, const char *to)
{
	treasury_err err;

	err = ledger_days_fold(s, e->treasury, e->asset, from, e->created_s,
	    e->kind, e->amount, true);
	if (err == TREASURY_OK)
		err = ledger_days_fold(s, e->treasury, e->asset, to,
		    e->created_s, e->kind, e->amount, false);
	return err;
}
