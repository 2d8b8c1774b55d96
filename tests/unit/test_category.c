/*
 * test_category.c: accounting categories in the writer (issue #14,
 * storage/cmd_category.c): registration and its limits, labels on
 * deposits (kind, unknown, replay identity), corrections of a ledger
 * entry, which move its amount between the day sums (ledger_days, read
 * here straight from the file) and leave a history.
 */
#include "engine_fixture.h"

#include <sqlite3.h>

static int
setup(void **state)
{
	struct ctx *c = fixture_open("category", true);

	assert_int_equal(asset_create(c, "USDC", 6), TREASURY_OK);
	assert_int_equal(treasury_create(c, "ops", 1, abc, 3), TREASURY_OK);
	*state = c;
	return 0;
}

static treasury_err
category_create(struct ctx *c, const char *t, const char *name,
    enum category_kind kind, bool *existed)
{
	struct command cmd;
	treasury_err err;

	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CMD_CATEGORY_CREATE;
	cmd.now_s = NOW;
	snprintf(cmd.actor_token, sizeof(cmd.actor_token), "tok");
	snprintf(cmd.in.category_create.treasury,
	    sizeof(cmd.in.category_create.treasury), "%s", t);
	snprintf(cmd.in.category_create.name,
	    sizeof(cmd.in.category_create.name), "%s", name);
	cmd.in.category_create.kind = kind;
	err = submit(c, &cmd);
	if (existed != NULL)
		*existed = cmd.out.category_create.existed;
	return err;
}

static treasury_err
deposit_labelled(struct ctx *c, amount_minor amount, const char *ref,
    const char *category, int64_t *seq)
{
	struct command cmd;
	treasury_err err;

	deposit_fill(&cmd, "ops", "USDC", amount, ref);
	snprintf(cmd.in.deposit.category, sizeof(cmd.in.deposit.category),
	    "%s", category);
	err = submit(c, &cmd);
	if (seq != NULL)
		*seq = cmd.out.deposit.ledger_seq;
	return err;
}

static treasury_err
ledger_label_set(struct ctx *c, int64_t seq, const char *category,
    const char *actor, bool *changed)
{
	struct command cmd;
	treasury_err err;

	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CMD_CATEGORY_SET;
	cmd.now_s = NOW + 60;
	snprintf(cmd.actor_token, sizeof(cmd.actor_token), "%s", actor);
	snprintf(cmd.in.category_set.treasury,
	    sizeof(cmd.in.category_set.treasury), "ops");
	cmd.in.category_set.ledger_seq = seq;
	snprintf(cmd.in.category_set.category,
	    sizeof(cmd.in.category_set.category), "%s", category);
	err = submit(c, &cmd);
	if (changed != NULL)
		*changed = cmd.out.category_set.changed;
	return err;
}

/* inflow (decimal text) and entries of the day row of category, or
 * "none" when there is no row. */
static void
day_row(struct ctx *c, const char *category, char *inflow, size_t size,
    int64_t *entries)
{
	sqlite3 *db;
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_open_v2(c->db, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT inflow, entries FROM"
	    " ledger_days WHERE treasury_id = 'ops' AND asset = 'USDC' AND"
	    " category = ?1 AND day = ?2", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, category, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, NOW / 86400);
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(inflow, size, "%s", (const char *)
		    sqlite3_column_text(st, 0));
		*entries = sqlite3_column_int64(st, 1);
	} else {
		snprintf(inflow, size, "none");
		*entries = 0;
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static void
test_create(void **state)
{
	struct ctx *c = *state;
	char name[16];
	bool existed = true;
	int i;

	assert_int_equal(category_create(c, "ops", "grants", CATEGORY_EXPENSE,
	    &existed), TREASURY_OK);
	assert_false(existed);
	assert_int_equal(category_create(c, "ops", "grants", CATEGORY_EXPENSE,
	    &existed), TREASURY_OK);
	assert_true(existed);
	assert_int_equal(category_create(c, "ops", "grants", CATEGORY_INCOME,
	    NULL), TREASURY_ERR_CATEGORY_EXISTS);
	assert_int_equal(category_create(c, "ops", "Grants", CATEGORY_INCOME,
	    NULL), TREASURY_ERR_CATEGORY_NAME);
	assert_int_equal(category_create(c, "nope", "x", CATEGORY_INCOME,
	    NULL), TREASURY_ERR_UNKNOWN_TREASURY);
	for (i = 1; i < CATEGORIES_PER_TREASURY_MAX; i++) {
		snprintf(name, sizeof(name), "c%d", i);
		assert_int_equal(category_create(c, "ops", name,
		    CATEGORY_INCOME, NULL), TREASURY_OK);
	}
	assert_int_equal(category_create(c, "ops", "one-more",
	    CATEGORY_INCOME, NULL), TREASURY_ERR_CATEGORY_LIMIT);
	/* the same again is still answered at the limit */
	assert_int_equal(category_create(c, "ops", "c1", CATEGORY_INCOME,
	    &existed), TREASURY_OK);
	assert_true(existed);
}

static void
test_deposit_labels(void **state)
{
	struct ctx *c = *state;
	int64_t seq, again;

	assert_int_equal(category_create(c, "ops", "sales", CATEGORY_INCOME,
	    NULL), TREASURY_OK);
	assert_int_equal(category_create(c, "ops", "rent", CATEGORY_EXPENSE,
	    NULL), TREASURY_OK);
	assert_int_equal(deposit_labelled(c, 5, "r1", "nope", NULL),
	    TREASURY_ERR_UNKNOWN_CATEGORY);
	assert_int_equal(deposit_labelled(c, 5, "r1", "rent", NULL),
	    TREASURY_ERR_CATEGORY_KIND);
	assert_int_equal(deposit_labelled(c, 5, "r1", "sales", &seq),
	    TREASURY_OK);
	assert_int_equal(deposit_labelled(c, 5, "r1", "sales", &again),
	    TREASURY_OK);
	assert_int_equal(again, seq);
	assert_int_equal(deposit_labelled(c, 5, "r1", "", NULL),
	    TREASURY_ERR_REFERENCE_CONFLICT);
}

static int
history_count(const struct category_change *ch, void *ctx)
{
	int *n = ctx;

	if (*n == 0) {
		assert_string_equal(ch->previous, "sales");
		assert_string_equal(ch->category, "fees");
		assert_string_equal(ch->actor, "alice-tok");
	} else {
		assert_string_equal(ch->previous, "fees");
		assert_string_equal(ch->category, "");
	}
	(*n)++;
	return 0;
}

static void
test_correction_moves_day_sums(void **state)
{
	struct ctx *c = *state;
	char inflow[80];
	int64_t seq, n;
	bool changed;
	int count = 0;

	assert_int_equal(category_create(c, "ops", "sales", CATEGORY_INCOME,
	    NULL), TREASURY_OK);
	assert_int_equal(category_create(c, "ops", "fees", CATEGORY_INCOME,
	    NULL), TREASURY_OK);
	assert_int_equal(category_create(c, "ops", "rent", CATEGORY_EXPENSE,
	    NULL), TREASURY_OK);
	assert_int_equal(deposit_labelled(c, 7000000, "r1", "sales", &seq),
	    TREASURY_OK);
	assert_int_equal(deposit_labelled(c, 3, "r2", "sales", NULL),
	    TREASURY_OK);
	day_row(c, "sales", inflow, sizeof(inflow), &n);
	assert_string_equal(inflow, "7000003");
	assert_int_equal(n, 2);

	assert_int_equal(ledger_label_set(c, seq, "rent", "x", NULL),
	    TREASURY_ERR_CATEGORY_KIND);
	assert_int_equal(ledger_label_set(c, seq + 100, "fees", "x", NULL),
	    TREASURY_ERR_UNKNOWN_LEDGER_ENTRY);
	assert_int_equal(ledger_label_set(c, seq, "fees", "alice-tok",
	    &changed), TREASURY_OK);
	assert_true(changed);
	day_row(c, "sales", inflow, sizeof(inflow), &n);
	assert_string_equal(inflow, "3");
	assert_int_equal(n, 1);
	day_row(c, "fees", inflow, sizeof(inflow), &n);
	assert_string_equal(inflow, "7000000");
	assert_int_equal(n, 1);
	assert_int_equal(ledger_label_set(c, seq, "fees", "bob-tok",
	    &changed), TREASURY_OK);
	assert_false(changed);
	assert_int_equal(ledger_label_set(c, seq, "", "bob-tok", &changed),
	    TREASURY_OK);
	assert_true(changed);
	day_row(c, "fees", inflow, sizeof(inflow), &n);
	assert_string_equal(inflow, "none");
	day_row(c, "", inflow, sizeof(inflow), &n);
	assert_string_equal(inflow, "7000000");
	assert_int_equal(store_category_history(c->reader, seq, 10,
	    history_count, &count), TREASURY_OK);
	assert_int_equal(count, 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deposit_labels, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_correction_moves_day_sums,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
