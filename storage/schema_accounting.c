/*
 * schema_accounting.c: schema 10, the treasurer's accounting
 * (docs/accounting.md).
 *
 * categories: the labels a treasury registered, each an expense or an
 * income category. A label is not signed: it lives beside the signed
 * texts, never in them. ledger.category (NULL: uncategorised) is the label
 * of a ledger entry; proposal_categories the label of each transfer of a
 * proposal (item 0 for a transfer, the batch position for a batch), which
 * the execution copies to the debits. category_changes keeps every
 * correction (who, when, from what to what).
 *
 * ledger_days: the exact inflow and outflow of each (treasury, asset,
 * category, UTC day), as decimal TEXT of minor units up to 2^256-1
 * (amount_wide.h; a day's inflow may exceed 2^128-1 when money goes in
 * and out again). The writer keeps it in the transaction of every ledger
 * entry and every category change (ledger_days.c, the only code that
 * writes it), so that reports over a million entries read days, not
 * entries. treasuryd check recomputes it from the ledger.
 *
 * budgets: one amount of one asset per (treasury, category, period);
 * budget_alerts: the 80% and 100% alerts fired, one row per budget,
 * period and level, so that each fires once. prices: operator-supplied
 * prices of an asset's unit in a unit of account, per UTC day.
 *
 * The migration adds the tables and fills ledger_days from the ledger
 * there is (store_schema_10_after).
 */
#include <assert.h>
#include <string.h>

#include "treasury/amount_wide.h"
#include "treasury/limits.h"

#include "ledger_int.h"
#include "store_int.h"

static_assert(CATEGORY_NAME_MAX_BYTES == 32, "category CHECKs");

#define CATEGORY_TEXT(col)						\
	"(" col " <> '' AND length(CAST(" col " AS BLOB)) <= 32 AND "	\
	col " NOT GLOB '*[^a-z0-9_-]*' AND " col " NOT GLOB '[_-]*')"
#define WIDE_TEXT(col)							\
	"(" col " <> '' AND " col " NOT GLOB '*[^0-9]*' AND"		\
	" length(" col ") <= 78 AND (" col " = '0' OR " col " NOT GLOB '0*'))"
#define MINOR_TEXT(col)							\
	"(" col " <> '' AND " col " NOT GLOB '*[^0-9]*' AND"		\
	" length(" col ") <= 39 AND (" col " = '0' OR " col " NOT GLOB '0*'))"

const char store_schema_accounting[] =
	"CREATE TABLE categories ("
	" treasury_id TEXT NOT NULL REFERENCES treasuries (id),"
	" name TEXT NOT NULL CHECK " CATEGORY_TEXT("name") ","
	" kind TEXT NOT NULL CHECK (kind IN ('expense', 'income')),"
	" created_at INTEGER NOT NULL,"
	" created_by TEXT NOT NULL,"
	" PRIMARY KEY (treasury_id, name)"
	") STRICT;"
	"ALTER TABLE ledger ADD COLUMN category TEXT"
	" CHECK (category IS NULL OR " CATEGORY_TEXT("category") ");"
	"CREATE INDEX ledger_time ON ledger (treasury_id, created_at, seq);"
	"CREATE TABLE proposal_categories ("
	" proposal_id BLOB NOT NULL REFERENCES proposals (id),"
	" item INTEGER NOT NULL CHECK (item BETWEEN 0 AND 63),"
	" category TEXT NOT NULL CHECK " CATEGORY_TEXT("category") ","
	" PRIMARY KEY (proposal_id, item)"
	") STRICT;"
	"CREATE TABLE category_changes ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" treasury_id TEXT NOT NULL REFERENCES treasuries (id),"
	" ledger_seq INTEGER REFERENCES ledger (seq),"
	" proposal_id BLOB REFERENCES proposals (id),"
	" item INTEGER,"
	" previous TEXT CHECK (previous IS NULL OR " CATEGORY_TEXT("previous")
	"),"
	" category TEXT CHECK (category IS NULL OR " CATEGORY_TEXT("category")
	"),"
	" actor TEXT NOT NULL,"
	" created_at INTEGER NOT NULL,"
	" CHECK ((ledger_seq IS NULL) <> (proposal_id IS NULL)),"
	" CHECK ((proposal_id IS NULL) = (item IS NULL))"
	") STRICT;"
	"CREATE INDEX category_changes_ledger ON category_changes (ledger_seq)"
	" WHERE ledger_seq IS NOT NULL;"
	"CREATE INDEX category_changes_proposal ON category_changes"
	" (proposal_id, item) WHERE proposal_id IS NOT NULL;"
	"CREATE TABLE ledger_days ("
	" treasury_id TEXT NOT NULL,"
	" asset TEXT NOT NULL,"
	" category TEXT NOT NULL CHECK (category = '' OR "
	CATEGORY_TEXT("category") "),"
	" day INTEGER NOT NULL,"
	" inflow TEXT NOT NULL CHECK " WIDE_TEXT("inflow") ","
	" outflow TEXT NOT NULL CHECK " WIDE_TEXT("outflow") ","
	" entries INTEGER NOT NULL CHECK (entries >= 1),"
	" PRIMARY KEY (treasury_id, asset, category, day)"
	") STRICT, WITHOUT ROWID;"
	"CREATE TABLE budgets ("
	" treasury_id TEXT NOT NULL REFERENCES treasuries (id),"
	" category TEXT NOT NULL CHECK " CATEGORY_TEXT("category") ","
	" period TEXT NOT NULL CHECK (period IN ('month', 'quarter')),"
	" asset TEXT NOT NULL REFERENCES assets (code),"
	" amount TEXT NOT NULL CHECK (" MINOR_TEXT("amount")
	" AND amount <> '0'),"
	" created_at INTEGER NOT NULL,"
	" updated_at INTEGER NOT NULL,"
	" PRIMARY KEY (treasury_id, category, period),"
	" FOREIGN KEY (treasury_id, category)"
	"  REFERENCES categories (treasury_id, name)"
	") STRICT;"
	"CREATE TABLE budget_alerts ("
	" treasury_id TEXT NOT NULL,"
	" category TEXT NOT NULL,"
	" period TEXT NOT NULL CHECK (period IN ('month', 'quarter')),"
	" period_from INTEGER NOT NULL,"
	" level INTEGER NOT NULL CHECK (level IN (80, 100)),"
	" spent TEXT NOT NULL CHECK " WIDE_TEXT("spent") ","
	" created_at INTEGER NOT NULL,"
	" PRIMARY KEY (treasury_id, category, period, period_from, level)"
	") STRICT;"
	"CREATE TABLE prices ("
	" asset TEXT NOT NULL REFERENCES assets (code),"
	" unit TEXT NOT NULL CHECK (length(CAST(unit AS BLOB)) BETWEEN 1 AND 32"
	"  AND unit NOT GLOB '*[^A-Za-z0-9._-]*'),"
	" day INTEGER NOT NULL,"
	" price TEXT NOT NULL CHECK (length(CAST(price AS BLOB)) BETWEEN 1 AND 80"
	"  AND price NOT GLOB '*[^0-9.]*'),"
	" created_at INTEGER NOT NULL,"
	" PRIMARY KEY (asset, unit, day)"
	") STRICT;";

/* Every ledger entry there is, in ledger_days' key order. */
static const char ledger_sel[] =
	"SELECT treasury_id, asset, coalesce(category, ''),"
	" (created_at - ((created_at % 86400) + 86400) % 86400) / 86400,"
	" kind, amount FROM ledger ORDER BY 1, 2, 3, 4";

/* One ledger entry of ledger_sel added to the day being summed, or, when
 * the key changes, that day flushed and a new one begun. */
static treasury_err
days_fold(struct db_stmt *set, struct db_stmt *sel, struct ledger_day *d)
{
	const char *treasury = (const char *)db_column_text(sel, 0);
	const char *asset = (const char *)db_column_text(sel, 1);
	const char *category = (const char *)db_column_text(sel, 2);
	const char *kind = (const char *)db_column_text(sel, 4);
	const char *amount = (const char *)db_column_text(sel, 5);
	int64_t day = db_column_int64(sel, 3);
	amount_minor a;
	treasury_err err;

	if (treasury == NULL || asset == NULL || category == NULL ||
	    kind == NULL || amount == NULL ||
	    amount_from_minor_text(amount, strlen(amount), &a) != TREASURY_OK)
		return TREASURY_ERR_DB_CORRUPT;
	if (d->entries > 0 && (strcmp(d->treasury, treasury) != 0 ||
	    strcmp(d->asset, asset) != 0 || strcmp(d->category, category) !=
	    0 || d->day != day)) {
		err = ledger_day_write(set, NULL, d);
		if (err != TREASURY_OK)
			return err;
		d->entries = 0;
	}
	if (d->entries == 0 && ledger_day_begin(d, treasury, asset, category,
	    day) != TREASURY_OK)
		return TREASURY_ERR_DB_CORRUPT;
	return ledger_day_fold(d, strcmp(kind, "deposit") == 0 ?
	    LEDGER_DEPOSIT : LEDGER_TRANSFER, a, false);
}

treasury_err
store_schema_10_after(struct db *db)
{
	struct ledger_day d;
	struct db_stmt *sel = NULL, *set = NULL;
	treasury_err err = TREASURY_OK;
	int rc;

	memset(&d, 0, sizeof(d));
	rc = db_prepare(db, ledger_sel, &sel);
	if (rc == DB_OK)
		rc = db_prepare(db, store_stmt_sql[STMT_LEDGER_DAY_SET], &set);
	if (rc != DB_OK) {
		err = store_err_from_rc(rc);
		goto done;
	}
	while (err == TREASURY_OK && (rc = db_step(sel)) == DB_ROW)
		err = days_fold(set, sel, &d);
	if (err == TREASURY_OK && rc != DB_DONE)
		err = store_err_from_rc(rc);
	if (err == TREASURY_OK && d.entries > 0)
		err = ledger_day_write(set, NULL, &d);
done:
	db_finalize(set);
	db_finalize(sel);
	return err;
}
