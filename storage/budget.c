/*
 * budget.c: budgets and their alerts (budget_int.h), and the budget view
 * of the read side (queries.h store_budgets_list). Issue #14 §8.
 *
 * The statements are prepared here, per call, rather than in the table of
 * statements.c: budgets are set rarely and listed by hand, and the table
 * is being grown by the other parts of #14 at the same time.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "treasury/lifecycle.h"
#include "treasury/proposal.h"

#include "budget_int.h"
#include "engine_int.h"
#include "ledger_int.h"

/* ---- small helpers ---- */

static treasury_err
col_wide(struct db_stmt *st, int col, struct amount_wide *out)
{
	if (db_column_type(st, col) != DB_TEXT ||
	    amount_wide_parse_minor((const char *)db_column_text(st, col),
	    (size_t)db_column_bytes(st, col), out) != TREASURY_OK)
		return TREASURY_ERR_DB_CORRUPT;
	return TREASURY_OK;
}

static treasury_err
col_period(struct db_stmt *st, int col, enum calendar_period *out)
{
	char name[16];
	treasury_err err;

	err = col_text(st, col, 1, sizeof(name) - 1, name);
	if (err == TREASURY_OK && (!calendar_period_parse(name, out) ||
	    *out == PERIOD_YEAR))
		err = TREASURY_ERR_DB_CORRUPT;
	return err;
}

bool
budget_level_reached(const struct amount_wide *spent, amount_minor amount,
    unsigned level)
{
	struct amount_wide lhs = *spent, rhs;

	assert(level > 0 && level <= 100);
	amount_wide_from(&rhs, amount);
	if (amount_wide_mul_small(&lhs, 100) != TREASURY_OK)
		return true;	/* more than 2^256 / 100: reached */
	/* amount < 2^128 and level <= 100: the product fits in 256 bits */
	if (amount_wide_mul_small(&rhs, level) != TREASURY_OK)
		return false;
	return amount_wide_cmp(&lhs, &rhs) >= 0;
}

/* ---- spent ---- */

treasury_err
budget_spent(struct store *s, const char *treasury, const char *asset,
    const char *category, int64_t from_s, int64_t now_s,
    struct amount_wide *out)
{
	static const char sql[] =
	    "SELECT outflow FROM ledger_days WHERE treasury_id = ?1 AND"
	    " asset = ?2 AND category = ?3 AND day BETWEEN ?4 AND ?5";
	struct amount_wide sum, day;
	struct db_stmt *st;
	treasury_err err;
	int rc;

	amount_wide_zero(&sum);
	err = store_prepare_once(s, sql, &st);
	if (err != TREASURY_OK)
		return err;
	bind_str(st, 1, treasury);
	bind_str(st, 2, asset);
	bind_str(st, 3, category);
	db_bind_int64(st, 4, ledger_day_of(from_s));
	db_bind_int64(st, 5, ledger_day_of(now_s));
	while (err == TREASURY_OK && (rc = db_step(st)) == DB_ROW) {
		err = col_wide(st, 0, &day);
		if (err == TREASURY_OK &&
		    amount_wide_add_wide(&sum, &day) != TREASURY_OK)
			err = TREASURY_ERR_DB_CORRUPT;
	}
	if (err == TREASURY_OK && rc != DB_DONE)
		err = store_err_from_rc(rc);
	db_finalize(st);
	if (err == TREASURY_OK)
		*out = sum;
	return err;
}

/* ---- one budget row ---- */

struct budget_row {
	char category[CATEGORY_NAME_MAX_BYTES + 1];
	enum calendar_period period;
	char asset[ASSET_CODE_MAX_BYTES + 1];
	amount_minor amount;
	int64_t created_s, updated_s;
};

#define BUDGET_COLUMNS \
	"category, period, asset, amount, created_at, updated_at"

static treasury_err
budget_row_read(struct db_stmt *st, struct budget_row *b)
{
	treasury_err err;

	memset(b, 0, sizeof(*b));
	err = col_text(st, 0, 1, CATEGORY_NAME_MAX_BYTES, b->category);
	if (err == TREASURY_OK)
		err = col_period(st, 1, &b->period);
	if (err == TREASURY_OK)
		err = col_text(st, 2, 1, ASSET_CODE_MAX_BYTES, b->asset);
	if (err == TREASURY_OK)
		err = col_amount(st, 3, &b->amount);
	if (err == TREASURY_OK && b->amount == 0)
		err = TREASURY_ERR_DB_CORRUPT;
	if (err == TREASURY_OK)
		err = col_int(st, 4, 0, INT64_MAX, &b->created_s);
	if (err == TREASURY_OK)
		err = col_int(st, 5, 0, INT64_MAX, &b->updated_s);
	return err;
}

/* ---- alerts (writer) ---- */

static treasury_err
alert_fired(struct store *s, const char *treasury, const struct budget_row *b,
    int64_t from_s, unsigned level, bool *fired)
{
	static const char sql[] =
	    "SELECT 1 FROM budget_alerts WHERE treasury_id = ?1 AND"
	    " category = ?2 AND period = ?3 AND period_from = ?4 AND"
	    " level = ?5";
	struct db_stmt *st;
	treasury_err err;
	int rc;

	err = store_prepare_once(s, sql, &st);
	if (err != TREASURY_OK)
		return err;
	bind_str(st, 1, treasury);
	bind_str(st, 2, b->category);
	bind_str(st, 3, calendar_period_name(b->period));
	db_bind_int64(st, 4, from_s);
	db_bind_int(st, 5, (int)level);
	rc = db_step(st);
	*fired = rc == DB_ROW;
	err = rc == DB_ROW || rc == DB_DONE ? TREASURY_OK :
	    store_err_from_rc(rc);
	db_finalize(st);
	return err;
}

static treasury_err
alert_insert(struct store *s, const char *treasury, const struct budget_row *b,
    int64_t from_s, unsigned level, const char *spent, int64_t now_s)
{
	static const char sql[] =
	    "INSERT INTO budget_alerts (treasury_id, category, period,"
	    " period_from, level, spent, created_at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
	struct db_stmt *st;
	treasury_err err;
	int rc;

	err = store_prepare_once(s, sql, &st);
	if (err != TREASURY_OK)
		return err;
	bind_str(st, 1, treasury);
	bind_str(st, 2, b->category);
	bind_str(st, 3, calendar_period_name(b->period));
	db_bind_int64(st, 4, from_s);
	db_bind_int(st, 5, (int)level);
	bind_str(st, 6, spent);
	db_bind_int64(st, 7, now_s);
	rc = db_step(st);
	err = rc == DB_DONE ? TREASURY_OK : store_err_from_db(s->db, rc);
	db_finalize(st);
	return err;
}

static treasury_err
alert_journal(struct store *s, struct command *cmd, const char *treasury,
    const struct budget_row *b, int64_t from_s, int64_t to_s,
    unsigned level, const char *spent)
{
	char from[CALENDAR_TIME_BYTES + 1], to[CALENDAR_TIME_BYTES + 1];
	struct journal_payload p;

	calendar_time_text(from_s, from);
	calendar_time_text(to_s, to);
	journal_payload_begin(&p);
	journal_payload_amount(&p, "amount_minor", b->amount);
	journal_payload_str(&p, "asset", b->asset);
	journal_payload_str(&p, "category", b->category);
	journal_payload_int(&p, "level", (int64_t)level);
	journal_payload_str(&p, "period", calendar_period_name(b->period));
	journal_payload_str(&p, "period_from", from);
	journal_payload_str(&p, "period_to", to);
	journal_payload_str(&p, "spent_minor", spent);
	journal_payload_str(&p, "treasury", treasury);
	return journal_cmd(s, cmd, NULL, treasury, "budget.alert", &p);
}

/* The levels one budget reached in its period at now_s, 80 then 100. */
static treasury_err
budget_alerts_one(struct store *s, struct command *cmd, const char *treasury,
    const struct budget_row *b, int64_t now_s)
{
	static const unsigned levels[] = { BUDGET_LEVEL_WARN,
	    BUDGET_LEVEL_FULL };
	char text[AMOUNT_WIDE_TEXT_MAX_BYTES];
	struct amount_wide spent;
	int64_t from_s, to_s;
	treasury_err err;
	bool fired;

	calendar_period_bounds(now_s, b->period, &from_s, &to_s);
	err = budget_spent(s, treasury, b->asset, b->category, from_s, now_s,
	    &spent);
	if (err != TREASURY_OK)
		return err;
	amount_wide_minor_text(&spent, text);
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		if (!budget_level_reached(&spent, b->amount, levels[i]))
			break;	/* 100 is not reached when 80 is not */
		err = alert_fired(s, treasury, b, from_s, levels[i], &fired);
		if (err == TREASURY_OK && !fired)
			err = alert_insert(s, treasury, b, from_s, levels[i],
			    text, now_s);
		if (err == TREASURY_OK && !fired)
			err = alert_journal(s, cmd, treasury, b, from_s, to_s,
			    levels[i], text);
		if (err != TREASURY_OK)
			return err;
	}
	return TREASURY_OK;
}

treasury_err
budget_alerts_check(struct store *s, struct command *cmd,
    const char *treasury, const char *category, int64_t now_s)
{
	/* 'month' sorts before 'quarter': the month budget fires first */
	static const char sql[] =
	    "SELECT " BUDGET_COLUMNS " FROM budgets WHERE treasury_id = ?1"
	    " AND category = ?2 ORDER BY period";
	struct budget_row rows[2];	/* the PRIMARY KEY allows two */
	unsigned count = 0;
	struct db_stmt *st;
	treasury_err err;
	int rc;

	assert(s != NULL && cmd != NULL && treasury != NULL &&
	    category != NULL);
	if (category[0] == '\0')
		return TREASURY_OK;
	err = store_prepare_once(s, sql, &st);
	if (err != TREASURY_OK)
		return err;
	bind_str(st, 1, treasury);
	bind_str(st, 2, category);
	while (err == TREASURY_OK && (rc = db_step(st)) == DB_ROW) {
		if (count == 2)
			err = TREASURY_ERR_DB_CORRUPT;
		else
			err = budget_row_read(st, &rows[count++]);
	}
	if (err == TREASURY_OK && rc != DB_DONE)
		err = store_err_from_rc(rc);
	db_finalize(st);
	for (unsigned i = 0; err == TREASURY_OK && i < count; i++)
		err = budget_alerts_one(s, cmd, treasury, &rows[i], now_s);
	return err;
}

/* ---- CMD_BUDGET_SET / CMD_BUDGET_DELETE ---- */

/* The category must be an expense category of the treasury (which must
 * exist); the asset was checked by the request thread. */
static treasury_err
budget_check_refs(struct store *s, struct command *cmd)
{
	const char *t = cmd->in.budget.treasury;
	struct treasury tr;
	treasury_err err;

	err = treasury_fetch(s, t, 0, &tr, NULL);
	if (err == TREASURY_ERR_UNKNOWN_TREASURY)
		cmd_detail(cmd, "treasury '%s' is not known", t);
	if (err != TREASURY_OK)
		return err;
	return category_check(s, cmd, "category", t, cmd->in.budget.category,
	    CATEGORY_EXPENSE);
}

/* The budget at (treasury, category, period), if any. */
static treasury_err
budget_find(struct store *s, const struct command *cmd, bool *found,
    struct budget_row *b)
{
	static const char sql[] =
	    "SELECT " BUDGET_COLUMNS " FROM budgets WHERE treasury_id = ?1"
	    " AND category = ?2 AND period = ?3";
	struct db_stmt *st;
	treasury_err err;
	int rc;

	*found = false;
	err = store_prepare_once(s, sql, &st);
	if (err != TREASURY_OK)
		return err;
	bind_str(st, 1, cmd->in.budget.treasury);
	bind_str(st, 2, cmd->in.budget.category);
	bind_str(st, 3, calendar_period_name(cmd->in.budget.period));
	rc = db_step(st);
	if (rc == DB_ROW) {
		*found = true;
		err = budget_row_read(st, b);
	} else if (rc != DB_DONE)
		err = store_err_from_rc(rc);
	db_finalize(st);
	return err;
}

static treasury_err
budget_count(struct store *s, const char *treasury, int64_t *count)
{
	struct db_stmt *st;
	treasury_err err;
	int rc;

	err = store_prepare_once(s, "SELECT count(*) FROM budgets WHERE"
	    " treasury_id = ?1", &st);
	if (err != TREASURY_OK)
		return err;
	bind_str(st, 1, treasury);
	rc = db_step(st);
	err = rc == DB_ROW ? col_int(st, 0, 0, INT64_MAX, count) :
	    store_err_from_rc(rc);
	db_finalize(st);
	return err;
}

static treasury_err
budget_write(struct store *s, const struct command *cmd, bool replace)
{
	static const char insert_sql[] =
	    "INSERT INTO budgets (treasury_id, category, period, asset, amount,"
	    " created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)";
	static const char update_sql[] =
	    "UPDATE budgets SET asset = ?4, amount = ?5, updated_at = ?6"
	    " WHERE treasury_id = ?1 AND category = ?2 AND period = ?3";
	struct db_stmt *st;
	treasury_err err;
	int rc;

	err = store_prepare_once(s, replace ? update_sql : insert_sql, &st);
	if (err != TREASURY_OK)
		return err;
	bind_str(st, 1, cmd->in.budget.treasury);
	bind_str(st, 2, cmd->in.budget.category);
	bind_str(st, 3, calendar_period_name(cmd->in.budget.period));
	bind_str(st, 4, cmd->in.budget.asset);
	bind_amount(st, 5, cmd->in.budget.amount);
	db_bind_int64(st, 6, cmd->now_s);
	rc = db_step(st);
	err = rc == DB_DONE ? TREASURY_OK : store_err_from_db(s->db, rc);
	if (err == TREASURY_OK && db_changes(s->db) != 1)
		err = TREASURY_ERR_INTERNAL;
	db_finalize(st);
	return err;
}

static treasury_err
budget_set_journal(struct store *s, const struct command *cmd,
    const struct budget_row *prev)
{
	struct journal_payload p;

	journal_payload_begin(&p);
	journal_payload_amount(&p, "amount_minor", cmd->in.budget.amount);
	journal_payload_str(&p, "asset", cmd->in.budget.asset);
	journal_payload_str(&p, "category", cmd->in.budget.category);
	journal_payload_str(&p, "period",
	    calendar_period_name(cmd->in.budget.period));
	if (prev != NULL) {
		journal_payload_amount(&p, "previous_amount_minor",
		    prev->amount);
		journal_payload_str(&p, "previous_asset", prev->asset);
	}
	journal_payload_str(&p, "treasury", cmd->in.budget.treasury);
	return journal_cmd(s, cmd, NULL, cmd->in.budget.treasury, "budget.set",
	    &p);
}

static treasury_err
budget_set(struct store *s, struct command *cmd)
{
	struct budget_row prev;
	struct asset a;
	bool found;
	int64_t count;
	treasury_err err;

	if (cmd->in.budget.amount == 0) {
		cmd_detail(cmd, "amount: must be greater than zero");
		return TREASURY_ERR_AMOUNT_ZERO;
	}
	err = budget_check_refs(s, cmd);
	if (err == TREASURY_OK) {
		err = store_asset_get(s, cmd->in.budget.asset, &a);
		if (err == TREASURY_ERR_UNKNOWN_ASSET)
			cmd_detail(cmd, "asset: '%s' is not known",
			    cmd->in.budget.asset);
	}
	if (err == TREASURY_OK)
		err = budget_find(s, cmd, &found, &prev);
	if (err == TREASURY_OK && !found)
		err = budget_count(s, cmd->in.budget.treasury, &count);
	if (err == TREASURY_OK && !found && count >= BUDGETS_PER_TREASURY_MAX) {
		cmd_detail(cmd, "treasury '%s' has %d budgets, the most it may"
		    " have", cmd->in.budget.treasury,
		    (int)BUDGETS_PER_TREASURY_MAX);
		err = TREASURY_ERR_BUDGET_LIMIT;
	}
	if (err == TREASURY_OK && found && prev.amount ==
	    cmd->in.budget.amount && strcmp(prev.asset, cmd->in.budget.asset)
	    == 0) {
		cmd->replayed = true;	/* the same budget: nothing changes */
		cmd->out.budget.replaced = true;
		return TREASURY_OK;
	}
	if (err == TREASURY_OK)
		err = budget_write(s, cmd, found);
	if (err == TREASURY_OK)
		err = budget_set_journal(s, cmd, found ? &prev : NULL);
	if (err == TREASURY_OK)
		err = budget_alerts_check(s, cmd, cmd->in.budget.treasury,
		    cmd->in.budget.category, cmd->now_s);
	if (err == TREASURY_OK)
		cmd->out.budget.replaced = found;
	return err;
}

enum apply_outcome
apply_budget_set(struct store *s, struct command *cmd)
{
	return cmd_finish(s, cmd, budget_set(s, cmd));
}

static treasury_err
budget_delete(struct store *s, struct command *cmd)
{
	static const char sql[] =
	    "DELETE FROM budgets WHERE treasury_id = ?1 AND category = ?2 AND"
	    " period = ?3";
	const char *period = calendar_period_name(cmd->in.budget.period);
	struct journal_payload p;
	struct db_stmt *st;
	treasury_err err;
	int rc;

	err = store_prepare_once(s, sql, &st);
	if (err != TREASURY_OK)
		return err;
	bind_str(st, 1, cmd->in.budget.treasury);
	bind_str(st, 2, cmd->in.budget.category);
	bind_str(st, 3, period);
	rc = db_step(st);
	err = rc == DB_DONE ? TREASURY_OK : store_err_from_db(s->db, rc);
	if (err == TREASURY_OK && db_changes(s->db) != 1) {
		cmd_detail(cmd, "treasury '%s' has no %s budget for category"
		    " '%s'", cmd->in.budget.treasury, period,
		    cmd->in.budget.category);
		err = TREASURY_ERR_UNKNOWN_BUDGET;
	}
	db_finalize(st);
	if (err != TREASURY_OK)
		return err;
	journal_payload_begin(&p);
	journal_payload_str(&p, "category", cmd->in.budget.category);
	journal_payload_str(&p, "period", period);
	journal_payload_str(&p, "treasury", cmd->in.budget.treasury);
	return journal_cmd(s, cmd, NULL, cmd->in.budget.treasury,
	    "budget.deleted", &p);
}

enum apply_outcome
apply_budget_delete(struct store *s, struct command *cmd)
{
	return cmd_finish(s, cmd, budget_delete(s, cmd));
}

/* ---- the view (read side) ---- */

struct budget_list {
	unsigned count;
	struct budget_view v[BUDGETS_PER_TREASURY_MAX];
};

static treasury_err
view_load(struct store *s, const char *treasury, int64_t now_s,
    struct budget_list *l)
{
	static const char sql[] =
	    "SELECT " BUDGET_COLUMNS " FROM budgets WHERE treasury_id = ?1"
	    " ORDER BY category, period";
	struct budget_row b;
	struct budget_view *v;
	struct db_stmt *st;
	treasury_err err;
	int rc;

	err = store_prepare_once(s, sql, &st);
	if (err != TREASURY_OK)
		return err;
	bind_str(st, 1, treasury);
	while (err == TREASURY_OK && (rc = db_step(st)) == DB_ROW) {
		if (l->count == BUDGETS_PER_TREASURY_MAX) {
			err = TREASURY_ERR_DB_CORRUPT;
			break;
		}
		err = budget_row_read(st, &b);
		if (err != TREASURY_OK)
			break;
		v = &l->v[l->count++];
		memcpy(v->category, b.category, sizeof(v->category));
		v->period = b.period;
		v->amount = b.amount;
		v->created_s = b.created_s;
		v->updated_s = b.updated_s;
		err = store_asset_get(s, b.asset, &v->asset);
		if (err == TREASURY_ERR_UNKNOWN_ASSET)
			err = TREASURY_ERR_DB_CORRUPT;
		calendar_period_bounds(now_s, b.period, &v->period_from_s,
		    &v->period_to_s);
	}
	if (err == TREASURY_OK && rc != DB_DONE)
		err = store_err_from_rc(rc);
	db_finalize(st);
	return err;
}

/* Spent and the alerts fired, per budget. */
static treasury_err
view_spent(struct store *s, const char *treasury, int64_t now_s,
    struct budget_view *v)
{
	struct budget_row b;
	treasury_err err;
	bool fired;

	err = budget_spent(s, treasury, v->asset.code, v->category,
	    v->period_from_s, now_s, &v->spent);
	memset(&b, 0, sizeof(b));
	memcpy(b.category, v->category, sizeof(b.category));
	b.period = v->period;
	if (err == TREASURY_OK)
		err = alert_fired(s, treasury, &b, v->period_from_s,
		    BUDGET_LEVEL_WARN, &fired);
	if (err == TREASURY_OK) {
		v->alert_80 = fired;
		err = alert_fired(s, treasury, &b, v->period_from_s,
		    BUDGET_LEVEL_FULL, &fired);
	}
	if (err == TREASURY_OK)
		v->alert_100 = fired;
	return err;
}

/* Add each labelled transfer of one open proposal to the budgets of its
 * category and asset. */
static treasury_err
view_commit_proposal(struct store *s, const treasury_verifier *vf,
    struct db_stmt *st, struct budget_list *l, struct proposal_fields *f,
    struct proposal_categories *cats)
{
	uint8_t id[PROPOSAL_ID_BYTES];
	treasury_err err;

	err = col_blob(st, 0, PROPOSAL_ID_BYTES, id);
	if (err != TREASURY_OK)
		return err;
	if (db_column_type(st, 3) != DB_TEXT ||
	    proposal_decode(vf, (const char *)db_column_text(st, 3),
	    (size_t)db_column_bytes(st, 3), f) != TREASURY_OK)
		return TREASURY_ERR_DB_CORRUPT;
	if (f->kind != KIND_TRANSFER && f->kind != KIND_BATCH)
		return TREASURY_OK;
	if (f->transfer_count < 1 || f->transfer_count > BATCH_TRANSFERS_MAX)
		return TREASURY_ERR_DB_CORRUPT;
	err = proposal_categories_load(s, id, f->transfer_count, cats);
	for (unsigned i = 0; err == TREASURY_OK && i < f->transfer_count;
	    i++) {
		for (unsigned j = 0; err == TREASURY_OK && j < l->count; j++) {
			struct budget_view *v = &l->v[j];

			if (cats->item[i][0] == '\0' ||
			    strcmp(cats->item[i], v->category) != 0 ||
			    strcmp(f->transfers[i].asset, v->asset.code) != 0)
				continue;
			if (amount_wide_add(&v->committed,
			    f->transfers[i].amount) != TREASURY_OK)
				err = TREASURY_ERR_DB_CORRUPT;
		}
	}
	return err;
}

/* Committed: every open proposal (pending or approved, not expired at
 * now_s) of the treasury, decoded from its text as execution does. */
static treasury_err
view_committed(struct store *s, const treasury_verifier *vf,
    const char *treasury, int64_t now_s, struct budget_list *l)
{
	static const char sql[] =
	    "SELECT id, status, expires_at, canonical FROM proposals"
	    " WHERE treasury_id = ?1 AND status IN ('pending', 'approved')";
	struct proposal_fields *f;
	struct proposal_categories *cats;
	enum proposal_status stored;
	char status[16];
	int64_t expires_s;
	struct db_stmt *st = NULL;
	treasury_err err;
	int rc;

	f = malloc(sizeof(*f));
	cats = malloc(sizeof(*cats));
	err = f == NULL || cats == NULL ? TREASURY_ERR_NOMEM :
	    store_prepare_once(s, sql, &st);
	if (err != TREASURY_OK)
		goto done;
	bind_str(st, 1, treasury);
	while (err == TREASURY_OK && (rc = db_step(st)) == DB_ROW) {
		err = col_text(st, 1, 1, sizeof(status) - 1, status);
		if (err == TREASURY_OK)
			err = col_int(st, 2, 0, INT64_MAX, &expires_s);
		if (err == TREASURY_OK && proposal_status_parse(status,
		    strlen(status), &stored) != TREASURY_OK)
			err = TREASURY_ERR_DB_CORRUPT;
		if (err != TREASURY_OK)
			break;
		stored = proposal_status_at(stored, expires_s, now_s);
		if (stored != STATUS_PENDING && stored != STATUS_APPROVED)
			continue;	/* expired, not yet swept */
		err = view_commit_proposal(s, vf, st, l, f, cats);
	}
	if (err == TREASURY_OK && rc != DB_DONE)
		err = store_err_from_rc(rc);
done:
	db_finalize(st);
	free(cats);
	free(f);
	return err;
}

/* remaining = amount - spent - committed, as a sign and a magnitude. */
static void
view_remaining(struct budget_view *v)
{
	struct amount_wide used = v->spent, amount;

	amount_wide_from(&amount, v->amount);
	if (amount_wide_add_wide(&used, &v->committed) != TREASURY_OK) {
		/* beyond 2^256: only corrupt sums get here; show the most */
		memset(&v->remaining, 0xff, sizeof(v->remaining));
		v->remaining_negative = true;
		return;
	}
	v->remaining_negative = amount_wide_cmp(&used, &amount) > 0;
	if (v->remaining_negative) {
		v->remaining = used;
		(void)!amount_wide_sub_wide(&v->remaining, &amount);
	} else {
		v->remaining = amount;
		(void)!amount_wide_sub_wide(&v->remaining, &used);
	}
}

static treasury_err
budgets_treasury_exists(struct store *s, const char *id)
{
	struct db_stmt *st = s->stmt[STMT_TREASURY_GET];
	treasury_err err;
	int rc;

	bind_str(st, 1, id);
	rc = db_step(st);
	err = rc == DB_DONE ? TREASURY_ERR_UNKNOWN_TREASURY :
	    store_err_from_rc(rc);
	store_stmt_done(st);
	return err;
}

static treasury_err
budgets_compute(struct store *s, const treasury_verifier *vf,
    const char *treasury, int64_t now_s, struct budget_list *l)
{
	treasury_err err;

	err = budgets_treasury_exists(s, treasury);
	if (err == TREASURY_OK)
		err = view_load(s, treasury, now_s, l);
	for (unsigned i = 0; err == TREASURY_OK && i < l->count; i++)
		err = view_spent(s, treasury, now_s, &l->v[i]);
	if (err == TREASURY_OK && l->count > 0)
		err = view_committed(s, vf, treasury, now_s, l);
	for (unsigned i = 0; err == TREASURY_OK && i < l->count; i++)
		view_remaining(&l->v[i]);
	return err;
}

treasury_err
store_budgets_list(struct store *s, const treasury_verifier *vf,
    const char *treasury, int64_t now_s,
    int (*fn)(const struct budget_view *, void *), void *ctx)
{
	struct budget_list *l;
	treasury_err err = TREASURY_OK;
	bool began = false;

	assert(s != NULL && vf != NULL && treasury != NULL && fn != NULL);
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return TREASURY_ERR_NOMEM;
	if (db_get_autocommit(s->db)) {
		err = store_stmt_run(s, STMT_BEGIN_READ);
		began = err == TREASURY_OK;
	}
	if (err == TREASURY_OK)
		err = budgets_compute(s, vf, treasury, now_s, l);
	if (began && store_stmt_run(s, STMT_COMMIT) != TREASURY_OK &&
	    !db_get_autocommit(s->db))
		(void)!store_stmt_run(s, STMT_ROLLBACK);
	for (unsigned i = 0; err == TREASURY_OK && i < l->count; i++)
		if (fn(&l->v[i], ctx) != 0)
			break;
	free(l);
	return err;
}
