/*
 * budget_int.h: budgets and their alerts in the writer (storage/budget.c,
 * docs/api.md "Budgets", issue #14 §8).
 *
 * A budget is one amount of one asset per (treasury, expense category,
 * period), period "month" or "quarter" (UTC calendar periods). Its spent
 * amount in a period is the executed outflow of that category and asset
 * in the period, read from ledger_days. Budgets warn; they never block a
 * spend. An alert of level 80 or 100 fires once per (budget, period start,
 * level): the first time, after a change, that spent x 100 >= amount x
 * level. Its budget_alerts row is what makes it fire once, so a budget
 * raised after an alert does not fire that level again in that period
 * (the row is there), while a budget lowered below what was spent fires
 * the levels it now reaches.
 */
#ifndef TREASURY_BUDGET_INT_H
#define TREASURY_BUDGET_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "treasury/amount_wide.h"
#include "treasury/calendar.h"
#include "treasury/command.h"

#include "engine_int.h"

enum { BUDGET_LEVEL_WARN = 80, BUDGET_LEVEL_FULL = 100 };

/* Whether spent has reached `level` percent of amount: spent x 100 >=
 * amount x level, exactly (256-bit). A product beyond 2^256-1 cannot
 * happen for spent (78 digits) times 100 in practice; should it, the
 * level counts as reached. Contract: 0 < level <= 100 (asserted). */
bool budget_level_reached(const struct amount_wide *spent,
    amount_minor amount, unsigned level);

/* The executed outflow of (treasury, asset, category) on the UTC days
 * from the day of from_s to the day of now_s, both included, from the
 * exact day sums of ledger_days. A budget's period starts at a midnight
 * (calendar_period_bounds) and no ledger entry is later than now_s (the
 * request's or command's clock; the daemon's clock never goes back),
 * so whole days give exactly the outflow in [from_s, now_s].
 * Returns TREASURY_OK, _DB_CORRUPT (a sum that is not one) or a database
 * error. */
TREASURY_WARN_UNUSED treasury_err
budget_spent(struct store *s, const char *treasury, const char *asset,
    const char *category, int64_t from_s, int64_t now_s,
    struct amount_wide *out);

/*
 * Evaluate every budget of (treasury, category) -- the month one and the
 * quarter one, when set -- for the period containing now_s, and fire the
 * alerts reached and not yet fired: for level 80 then 100, a budget_alerts
 * row and a journal entry "budget.alert" {amount_minor, asset, category,
 * level, period, period_from, period_to, spent_minor, treasury} on behalf
 * of cmd (its actor, its time). A change that crosses both levels appends
 * two entries, 80 then 100. category "" (uncategorised) or a category
 * without a budget: nothing.
 *
 * Call it in the writer's transaction after anything that changes what a
 * budget of that category has spent or may spend: after the debits of an
 * executed spend (once per distinct category debited, storage/
 * cmd_execute.c), after a budget is set (CMD_BUDGET_SET), and after a
 * category change of a ledger entry (for the category it joined: the one
 * it left only spent less; storage/cmd_category.c). now_s is the
 * command's clock (cmd->now_s).
 * Returns TREASURY_OK, _DB_CORRUPT or a database or journal error (the
 * caller's command then fails: nothing is half written).
 */
TREASURY_WARN_UNUSED treasury_err
budget_alerts_check(struct store *s, struct command *cmd,
    const char *treasury, const char *category, int64_t now_s);

/* The apply functions of CMD_BUDGET_SET and CMD_BUDGET_DELETE. */
enum apply_outcome apply_budget_set(struct store *s, struct command *cmd);
enum apply_outcome apply_budget_delete(struct store *s, struct command *cmd);

#endif
