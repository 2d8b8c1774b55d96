/*
 * ledger_int.h: the ledger's one insert and its day sums (ledger.c).
 *
 * Every ledger entry is written by ledger_append, which also adds it to
 * the exact sums of its (treasury, asset, category, UTC day) in
 * ledger_days, in the same transaction (schema_accounting.c). A category
 * change moves an entry between two days' rows with ledger_days_move.
 * Nothing else writes ledger or ledger_days.
 */
#ifndef TREASURY_LEDGER_INT_H
#define TREASURY_LEDGER_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "treasury/amount_wide.h"
#include "treasury/records.h"

#include "store_int.h"

enum { SECONDS_PER_DAY = 86400 };

/* The UTC day of a time: floor(t_s / 86400), also for t_s < 0. */
int64_t ledger_day_of(int64_t t_s);

/* The sums of one (treasury, asset, category, day). */
struct ledger_day {
	char treasury[TREASURY_ID_MAX_BYTES + 1];
	char asset[ASSET_CODE_MAX_BYTES + 1];
	char category[CATEGORY_NAME_MAX_BYTES + 1];	/* "" = none */
	int64_t day;
	struct amount_wide inflow;	/* deposits */
	struct amount_wide outflow;	/* transfers */
	int64_t entries;
};

/* Start d empty at a key. TREASURY_ERR_DB_CORRUPT when a text is too long
 * (the callers pass what the schema checked). */
TREASURY_WARN_UNUSED treasury_err
ledger_day_begin(struct ledger_day *d, const char *treasury,
    const char *asset, const char *category, int64_t day);

/* Add one entry of `kind` and `amount` to d, or take it out (`remove`).
 * Taking out more than d holds is TREASURY_ERR_DB_CORRUPT (the sums no
 * longer match the ledger); d is unchanged on any error. */
TREASURY_WARN_UNUSED treasury_err
ledger_day_fold(struct ledger_day *d, enum ledger_kind kind,
    amount_minor amount, bool remove);

/* Write d with `set` (the INSERT .. ON CONFLICT of STMT_LEDGER_DAY_SET:
 * ?1 treasury ?2 asset ?3 category ?4 day ?5 inflow ?6 outflow ?7
 * entries), or, when d holds no entry, delete its row with `del`
 * (STMT_LEDGER_DAY_DELETE: ?1..?4; may be NULL when d->entries > 0).
 * Both statements are reset after the step. */
TREASURY_WARN_UNUSED treasury_err
ledger_day_write(struct db_stmt *set, struct db_stmt *del,
    const struct ledger_day *d);

/* A ledger entry to append. category "" = uncategorised; proposal NULL
 * for a deposit. */
struct ledger_new {
	const char *treasury;
	enum ledger_kind kind;
	const char *asset;
	amount_minor amount;
	amount_minor balance_after;
	const char *reference;
	const char *source;
	const char *to;
	const char *memo;
	const uint8_t *proposal;	/* PROPOSAL_ID_BYTES, or NULL */
	const char *category;
	int64_t created_s;
};

/* Insert e into the ledger and add it to its day's sums; *seq_out is the
 * new entry's seq. Runs in the writer's transaction. */
TREASURY_WARN_UNUSED treasury_err
ledger_append(struct store *s, const struct ledger_new *e, int64_t *seq_out);

/* Move a ledger entry (seq, its treasury, asset, kind, amount, time) from
 * category `from` to category `to` ("" = none) in ledger_days. The caller
 * updates ledger.category itself. */
TREASURY_WARN_UNUSED treasury_err
ledger_days_move(struct store *s, const struct ledger_entry *e,
    const char *from, const char *to);

/* schema 10's fill of ledger_days from an existing ledger */
TREASURY_WARN_UNUSED treasury_err store_schema_10_after(struct db *db);
extern const char store_schema_accounting[];

#endif
