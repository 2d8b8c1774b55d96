/*
 * test_budget.c: budgets and their alerts (storage/budget.c, issue #14 §8)
 * through the real writer: spent, committed and remaining of the budget
 * view; the 80 and 100 alerts fire once per budget, period and level, both
 * in one spend, again in a new period, not again when the budget is raised
 * after an alert in the same period (its row is there: documented in
 * budget_int.h), and when the budget is lowered below what was spent.
 *
 * Categories and transfer labels are written with SQL on a connection of
 * the test's own (the category routes are another part of #14).
 */
#include <sqlite3.h>

#include "engine_fixture.h"

#include "../../storage/budget_int.h"

#define DAY ((int64_t)86400)
/* NOW is 2027-01-15T08:00:00Z: January, Q1. */
#define JAN_1 ((int64_t)1798761600)	/* 2027-01-01T00:00:00Z */
#define FEB_1 ((int64_t)1801440000)
#define APR_1 ((int64_t)1806537600)

static int
setup(void **state)
{
	struct ctx *c = fixture_open("budget", true);
	uint8_t hash[TOKEN_HASH_BYTES];

	memset(hash, 0, sizeof(hash));
	memcpy(hash, "token-a", 7);
	c->token_a = fixture_token(c, "token-a", hash);
	*state = c;
	return 0;
}

static void
sql(struct ctx *c, const char *text)
{
	sqlite3 *db;
	char *msg = NULL;

	assert_int_equal(sqlite3_open(c->db, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_exec(db, text, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", text, msg);
	sqlite3_close(db);
}

static int64_t
sql_count(struct ctx *c, const char *text)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t n;

	assert_int_equal(sqlite3_open(c->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, text, -1, &st, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/* USDC (6), treasury t1 of one signer (alice), 1000 USDC, categories
 * ops and travel (expense) and grants (income). */
static void
world(struct ctx *c)
{
	struct command cmd;

	assert_int_equal(asset_create(c, "USDC", 6), TREASURY_OK);
	assert_int_equal(treasury_create(c, "t1", 1, abc, 1), TREASURY_OK);
	deposit_fill(&cmd, "t1", "USDC", 1000000000, "d1");
	assert_int_equal(submit(c, &cmd), TREASURY_OK);
	sql(c, "INSERT INTO categories VALUES"
	    " ('t1', 'ops', 'expense', 0, 'test'),"
	    " ('t1', 'travel', 'expense', 0, 'test'),"
	    " ('t1', 'grants', 'income', 0, 'test')");
}

/* A transfer of `minor` USDC at now_s labelled `category` ("" none),
 * expiring life_s later. */
static void
propose_life(struct ctx *c, amount_minor minor, const char *category,
    int64_t now_s, int64_t life_s, uint8_t id[PROPOSAL_ID_BYTES])
{
	struct proposal_fields *f = fields_new(KIND_TRANSFER, "t1",
	    now_s + life_s);
	struct transfer_fields *x = &f->transfers[f->transfer_count++];
	struct command cmd;
	char text[256];
	char hex[2 * PROPOSAL_ID_BYTES + 1];

	snprintf(x->asset, sizeof(x->asset), "USDC");
	x->decimals = 6;
	x->amount = minor;
	snprintf(x->to, sizeof(x->to), "0xabc");
	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CMD_PROPOSAL_CREATE;
	cmd.now_s = now_s;
	cmd.in.proposal_create.fields = f;
	cmd.in.proposal_create.proposer_token_id = c->token_a;
	assert_int_equal(submit(c, &cmd), TREASURY_OK);
	free(f);
	memcpy(id, cmd.out.proposal_create.id, PROPOSAL_ID_BYTES);
	if (category[0] == '\0')
		return;
	for (size_t i = 0; i < PROPOSAL_ID_BYTES; i++)
		snprintf(hex + 2 * i, 3, "%02x", id[i]);
	snprintf(text, sizeof(text), "INSERT INTO proposal_categories VALUES"
	    " (X'%s', 0, '%s')", hex, category);
	sql(c, text);
}

static void
propose_at(struct ctx *c, amount_minor minor, const char *category,
    int64_t now_s, uint8_t id[PROPOSAL_ID_BYTES])
{
	propose_life(c, minor, category, now_s, HOUR, id);
}

/* Alice approves (1 of 1) and the treasurer executes, at now_s. */
static void
approve_execute(struct ctx *c, const uint8_t id[PROPOSAL_ID_BYTES],
    int64_t now_s)
{
	struct command cmd;
	uint8_t digest[DIGEST_BYTES];

	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CMD_VOTE;
	cmd.now_s = now_s;
	memcpy(cmd.in.vote.proposal, id, PROPOSAL_ID_BYTES);
	snprintf(cmd.in.vote.signer, sizeof(cmd.in.vote.signer), "alice");
	cmd.in.vote.decision = VOTE_APPROVE;
	vote_digest_compute(digest, id, VOTE_APPROVE);
	cmd.in.vote.signature_len = sign_digest(c, 0, KEY_ECDSA, digest,
	    cmd.in.vote.signature);
	cmd.in.vote.verified_key = key_of(c, 0, KEY_ECDSA);
	cmd.in.vote.verified_config_version = 1;
	assert_int_equal(submit(c, &cmd), TREASURY_OK);
	assert_int_equal(cmd.out.vote.status, STATUS_APPROVED);
	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CMD_EXECUTE;
	cmd.now_s = now_s;
	memcpy(cmd.in.execute.proposal, id, PROPOSAL_ID_BYTES);
	assert_int_equal(submit(c, &cmd), TREASURY_OK);
}

static treasury_err
budget_set_at(struct ctx *c, const char *category, enum calendar_period p,
    amount_minor amount, int64_t now_s, bool *replaced)
{
	struct command cmd;
	treasury_err err;

	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CMD_BUDGET_SET;
	cmd.now_s = now_s;
	snprintf(cmd.in.budget.treasury, sizeof(cmd.in.budget.treasury), "t1");
	snprintf(cmd.in.budget.category, sizeof(cmd.in.budget.category), "%s",
	    category);
	cmd.in.budget.period = p;
	snprintf(cmd.in.budget.asset, sizeof(cmd.in.budget.asset), "USDC");
	cmd.in.budget.amount = amount;
	err = submit(c, &cmd);
	if (replaced != NULL)
		*replaced = cmd.out.budget.replaced;
	return err;
}

struct views {
	unsigned count;
	struct budget_view v[4];
};

static int
views_add(const struct budget_view *v, void *ctx)
{
	struct views *vs = ctx;

	assert_true(vs->count < 4);
	vs->v[vs->count++] = *v;
	return 0;
}

static struct views
views_at(struct ctx *c, int64_t now_s)
{
	struct views vs;

	memset(&vs, 0, sizeof(vs));
	assert_int_equal(store_budgets_list(c->reader, c->v, "t1", now_s,
	    views_add, &vs), TREASURY_OK);
	return vs;
}

static void
assert_wide(const struct amount_wide *w, const char *want)
{
	char text[AMOUNT_WIDE_TEXT_MAX_BYTES];

	amount_wide_minor_text(w, text);
	assert_string_equal(text, want);
}

/* The journal's budget.alert entries, as "level@period_from" lines. */
static int64_t
alerts(struct ctx *c, const char *category, const char *period, int level)
{
	char text[256];

	snprintf(text, sizeof(text), "SELECT count(*) FROM journal WHERE"
	    " type = 'budget.alert' AND json_extract(payload, '$.category') ="
	    " '%s' AND json_extract(payload, '$.period') = '%s' AND"
	    " json_extract(payload, '$.level') = %d", category, period, level);
	return sql_count(c, text);
}

/* ---- tests ---- */

static void
test_level_reached(void **state)
{
	struct amount_wide w;

	(void)state;
	amount_wide_from(&w, 119999999);	/* 80% of 150 is 120 */
	assert_false(budget_level_reached(&w, 150000000, 80));
	amount_wide_from(&w, 120000000);
	assert_true(budget_level_reached(&w, 150000000, 80));
	assert_false(budget_level_reached(&w, 150000000, 100));
	amount_wide_from(&w, 150000000);
	assert_true(budget_level_reached(&w, 150000000, 100));
	/* beyond 2^128: exact, no overflow */
	amount_wide_from(&w, AMOUNT_MINOR_MAX);
	assert_int_equal(amount_wide_add(&w, 1), TREASURY_OK);
	assert_true(budget_level_reached(&w, AMOUNT_MINOR_MAX, 100));
	amount_wide_from(&w, AMOUNT_MINOR_MAX / 100 * 80);
	assert_false(budget_level_reached(&w, AMOUNT_MINOR_MAX, 80));
}

static void
test_set_refused(void **state)
{
	struct ctx *c = *state;
	bool replaced = true;

	world(c);
	assert_int_equal(budget_set_at(c, "nope", PERIOD_MONTH, 1, NOW, NULL),
	    TREASURY_ERR_UNKNOWN_CATEGORY);
	assert_int_equal(budget_set_at(c, "grants", PERIOD_MONTH, 1, NOW,
	    NULL), TREASURY_ERR_CATEGORY_KIND);
	assert_int_equal(budget_set_at(c, "ops", PERIOD_MONTH, 0, NOW, NULL),
	    TREASURY_ERR_AMOUNT_ZERO);
	assert_int_equal(budget_set_at(c, "ops", PERIOD_MONTH, 5, NOW,
	    &replaced), TREASURY_OK);
	assert_false(replaced);
	assert_int_equal(budget_set_at(c, "ops", PERIOD_MONTH, 6, NOW,
	    &replaced), TREASURY_OK);
	assert_true(replaced);
	assert_int_equal(sql_count(c, "SELECT count(*) FROM journal WHERE type"
	    " = 'budget.set' AND json_extract(payload,"
	    " '$.previous_amount_minor') = '5'"), 1);
	assert_int_equal(sql_count(c, "SELECT count(*) FROM budgets"), 1);
}

static void
test_spent_committed_remaining(void **state)
{
	struct ctx *c = *state;
	uint8_t p1[PROPOSAL_ID_BYTES], p2[PROPOSAL_ID_BYTES];
	uint8_t p3[PROPOSAL_ID_BYTES], p4[PROPOSAL_ID_BYTES];
	uint8_t p5[PROPOSAL_ID_BYTES];
	struct views vs;

	world(c);
	assert_int_equal(budget_set_at(c, "ops", PERIOD_MONTH, 150000000, NOW,
	    NULL), TREASURY_OK);
	assert_int_equal(budget_set_at(c, "ops", PERIOD_QUARTER, 500000000,
	    NOW, NULL), TREASURY_OK);
	propose_at(c, 100000000, "ops", NOW, p1);
	/* stays pending (expires on January 25) */
	propose_life(c, 80000000, "ops", NOW, 10 * DAY, p2);
	propose_at(c, 50000000, "travel", NOW, p3);
	propose_at(c, 40000000, "", NOW, p4);
	propose_at(c, 7000000, "ops", NOW, p5);	/* expired at the view */
	approve_execute(c, p1, NOW);
	approve_execute(c, p3, NOW);
	approve_execute(c, p4, NOW);

	vs = views_at(c, NOW + 2 * HOUR);
	assert_int_equal(vs.count, 2);
	assert_string_equal(vs.v[0].category, "ops");
	assert_int_equal(vs.v[0].period, PERIOD_MONTH);
	assert_int_equal(vs.v[0].period_from_s, JAN_1);
	assert_int_equal(vs.v[0].period_to_s, FEB_1);
	assert_wide(&vs.v[0].spent, "100000000");
	assert_wide(&vs.v[0].committed, "80000000");
	assert_true(vs.v[0].remaining_negative);	/* 150 - 100 - 80 */
	assert_wide(&vs.v[0].remaining, "30000000");
	assert_true(vs.v[0].alert_80 == false && vs.v[0].alert_100 == false);
	assert_int_equal(vs.v[1].period, PERIOD_QUARTER);
	assert_int_equal(vs.v[1].period_to_s, APR_1);
	assert_false(vs.v[1].remaining_negative);	/* 500 - 180 */
	assert_wide(&vs.v[1].remaining, "320000000");

	/* Next month: the month budget starts again, the quarter does not;
	 * p2 has expired by then, so nothing is committed. */
	vs = views_at(c, FEB_1 + DAY);
	assert_int_equal(vs.v[0].period_from_s, FEB_1);
	assert_wide(&vs.v[0].spent, "0");
	assert_wide(&vs.v[0].committed, "0");
	assert_wide(&vs.v[0].remaining, "150000000");
	assert_wide(&vs.v[1].spent, "100000000");
}

static void
test_alerts(void **state)
{
	struct ctx *c = *state;
	uint8_t id[PROPOSAL_ID_BYTES];

	world(c);
	assert_int_equal(budget_set_at(c, "ops", PERIOD_MONTH, 100000000, NOW,
	    NULL), TREASURY_OK);
	assert_int_equal(budget_set_at(c, "travel", PERIOD_MONTH, 10000000,
	    NOW, NULL), TREASURY_OK);
	/* 79: nothing; 80: the 80 alert, once */
	propose_at(c, 79000000, "ops", NOW, id);
	approve_execute(c, id, NOW);
	assert_int_equal(alerts(c, "ops", "month", 80), 0);
	propose_at(c, 1000000, "ops", NOW, id);
	approve_execute(c, id, NOW);
	assert_int_equal(alerts(c, "ops", "month", 80), 1);
	propose_at(c, 1000000, "ops", NOW, id);
	approve_execute(c, id, NOW);
	assert_int_equal(alerts(c, "ops", "month", 80), 1);
	assert_int_equal(alerts(c, "ops", "month", 100), 0);

	/* one spend crossing both levels: two entries, 80 then 100 */
	propose_at(c, 12000000, "travel", NOW, id);
	approve_execute(c, id, NOW);
	assert_int_equal(sql_count(c, "SELECT count(*) FROM journal j1, journal"
	    " j2 WHERE j1.type = 'budget.alert' AND j2.type = 'budget.alert'"
	    " AND json_extract(j1.payload, '$.category') = 'travel' AND"
	    " json_extract(j2.payload, '$.category') = 'travel' AND"
	    " json_extract(j1.payload, '$.level') = 80 AND"
	    " json_extract(j2.payload, '$.level') = 100 AND j2.seq = j1.seq + 1"
	    " AND json_extract(j1.payload, '$.spent_minor') = '12000000'"), 1);

	/* Raised after its 80 alert: 81 of 200 is not 80% any more, and the
	 * 80 row of this period stays, so nothing fires again... */
	assert_int_equal(budget_set_at(c, "ops", PERIOD_MONTH, 200000000,
	    NOW + 1, NULL), TREASURY_OK);
	propose_at(c, 90000000, "ops", NOW + 2, id);
	approve_execute(c, id, NOW + 2);	/* 171 of 200: 85% */
	assert_int_equal(alerts(c, "ops", "month", 80), 1);
	assert_int_equal(alerts(c, "ops", "month", 100), 0);
	/* ...and lowered below what was spent, the budget set fires 100. */
	assert_int_equal(budget_set_at(c, "ops", PERIOD_MONTH, 150000000,
	    NOW + 3, NULL), TREASURY_OK);
	assert_int_equal(alerts(c, "ops", "month", 100), 1);

	/* A new period fires again. */
	propose_at(c, 120000000, "ops", FEB_1 + HOUR, id);
	approve_execute(c, id, FEB_1 + HOUR);
	assert_int_equal(alerts(c, "ops", "month", 80), 2);
	assert_int_equal(sql_count(c, "SELECT count(*) FROM budget_alerts"
	    " WHERE category = 'ops' AND period_from = 1801440000"), 1);
	/* an uncategorised spend touches no budget */
	propose_at(c, 5000000, "", FEB_1 + HOUR, id);
	approve_execute(c, id, FEB_1 + HOUR);
	assert_int_equal(sql_count(c, "SELECT count(*) FROM journal WHERE"
	    " type = 'budget.alert'"), 5);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_level_reached),
		cmocka_unit_test_setup_teardown(test_set_refused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_spent_committed_remaining,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_alerts, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
