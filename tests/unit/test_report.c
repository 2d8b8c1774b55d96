/*
 * test_report.c: unit tests of the accounting reads (storage/report.c):
 * store_report and store_runway against sums the test computes itself
 * from the movements it made through the writer (deposits, executed
 * transfers at chosen times), over every window between a set of edges
 * (so partial first and last days, whole days from ledger_days and the
 * half-open bounds are all compared); a category change (ledger_days_move
 * with the ledger's label updated, as the corrections do); sums past
 * 2^128-1; a tampered ledger_days that makes an opening negative.
 *
 * Categories are registered by a raw INSERT here: their command is another
 * part of issue #14 (the report only reads the table).
 */
#include <sqlite3.h>

#include "treasury/amount_wide.h"
#include "treasury/calendar.h"
#include "treasury/maintenance.h"

#include "engine_fixture.h"

#include "db_sqlite.h"
#include "ledger_int.h"

#define DAY ((int64_t)86400)
/* a day boundary after the fixture's NOW (the writer's clock never goes
 * back: every act here is at or after it) */
#define D0 ((int64_t)20834 * DAY)

enum { MOVES_MAX = 64 };

struct book {
	unsigned n;
	struct move {
		int64_t t;
		amount_minor amount;
		bool out;
		char category[CATEGORY_NAME_MAX_BYTES + 1];
	} m[MOVES_MAX];
};

static int
setup(void **state)
{
	struct ctx *c = fixture_open("report", true);
	uint8_t hash[TOKEN_HASH_BYTES];

	memset(hash, 0, sizeof(hash));
	memcpy(hash, "token-a", 7);
	c->token_a = fixture_token(c, "token-a", hash);
	assert_int_equal(asset_create(c, "USDC", 6), TREASURY_OK);
	assert_int_equal(treasury_create(c, "t1", 2, abc, 3), TREASURY_OK);
	*state = c;
	return 0;
}

static void
sql(struct ctx *c, const char *text)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(c->db, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	assert_int_equal(sqlite3_exec(db, text, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void
book_add(struct book *b, int64_t t, amount_minor a, bool out,
    const char *category)
{
	assert_true(b->n < MOVES_MAX);
	b->m[b->n].t = t;
	b->m[b->n].amount = a;
	b->m[b->n].out = out;
	snprintf(b->m[b->n].category, sizeof(b->m[0].category), "%s",
	    category);
	b->n++;
}

static void
deposit_at(struct ctx *c, struct book *b, int64_t t, amount_minor a,
    const char *category)
{
	struct command cmd;
	char ref[32];

	snprintf(ref, sizeof(ref), "d%u", b->n);
	deposit_fill(&cmd, "t1", "USDC", a, ref);
	cmd.now_s = t;
	snprintf(cmd.in.deposit.category, sizeof(cmd.in.deposit.category), "%s",
	    category);
	assert_int_equal(submit(c, &cmd), TREASURY_OK);
	book_add(b, t, a, false, category);
}

static void
vote_at(struct ctx *c, const uint8_t id[PROPOSAL_ID_BYTES], int k, int64_t t)
{
	struct command cmd;
	uint8_t digest[DIGEST_BYTES];

	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CMD_VOTE;
	cmd.now_s = t;
	memcpy(cmd.in.vote.proposal, id, PROPOSAL_ID_BYTES);
	snprintf(cmd.in.vote.signer, sizeof(cmd.in.vote.signer), "%s",
	    abc[k].name);
	cmd.in.vote.decision = VOTE_APPROVE;
	vote_digest_compute(digest, id, VOTE_APPROVE);
	cmd.in.vote.signature_len = sign_digest(c, abc[k].key, abc[k].type,
	    digest, cmd.in.vote.signature);
	cmd.in.vote.verified_key = key_of(c, abc[k].key, abc[k].type);
	cmd.in.vote.verified_config_version = 1;
	assert_int_equal(submit(c, &cmd), TREASURY_OK);
}

/* A transfer of a proposed, approved and executed at t. */
static void
spend_at(struct ctx *c, struct book *b, int64_t t, amount_minor a)
{
	struct proposal_fields *f = fields_new(KIND_TRANSFER, "t1", t + HOUR);
	struct transfer_fields *x = &f->transfers[f->transfer_count++];
	struct command cmd;
	uint8_t id[PROPOSAL_ID_BYTES];

	snprintf(x->asset, sizeof(x->asset), "USDC");
	x->decimals = 6;
	x->amount = a;
	snprintf(x->to, sizeof(x->to), "0xabc");
	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CMD_PROPOSAL_CREATE;
	cmd.now_s = t;
	cmd.in.proposal_create.fields = f;
	cmd.in.proposal_create.proposer_token_id = c->token_a;
	assert_int_equal(submit(c, &cmd), TREASURY_OK);
	memcpy(id, cmd.out.proposal_create.id, PROPOSAL_ID_BYTES);
	free(f);
	vote_at(c, id, 0, t);
	vote_at(c, id, 1, t);
	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CMD_EXECUTE;
	cmd.now_s = t;
	memcpy(cmd.in.execute.proposal, id, PROPOSAL_ID_BYTES);
	assert_int_equal(submit(c, &cmd), TREASURY_OK);
	book_add(b, t, a, true, "");
}

static void
wide_equal(const struct amount_wide *w, const char *want)
{
	char text[AMOUNT_WIDE_TEXT_MAX_BYTES];

	amount_wide_minor_text(w, text);
	assert_string_equal(text, want);
}

/* The book's sums of [from, to) for category cat (NULL: all, "": none). */
static void
book_sums(const struct book *b, int64_t from, int64_t to, const char *cat,
    struct amount_wide *opening, struct amount_wide *in,
    struct amount_wide *out)
{
	struct amount_wide o_in, o_out;
	unsigned i;

	amount_wide_zero(&o_in);
	amount_wide_zero(&o_out);
	amount_wide_zero(in);
	amount_wide_zero(out);
	for (i = 0; i < b->n; i++) {
		const struct move *m = &b->m[i];

		if (m->t < from)
			assert_int_equal(amount_wide_add(m->out ? &o_out :
			    &o_in, m->amount), TREASURY_OK);
		else if (m->t < to && (cat == NULL ||
		    strcmp(cat, m->category) == 0))
			assert_int_equal(amount_wide_add(m->out ? out : in,
			    m->amount), TREASURY_OK);
	}
	*opening = o_in;
	assert_int_equal(amount_wide_sub_wide(opening, &o_out), TREASURY_OK);
}

static void
flow_check(const struct report_flow *f, const struct amount_wide *in,
    const struct amount_wide *out)
{
	if (f == NULL) {
		assert_true(amount_wide_is_zero(in) && amount_wide_is_zero(out));
		return;
	}
	assert_int_equal(amount_wide_cmp(&f->inflow, in), 0);
	assert_int_equal(amount_wide_cmp(&f->outflow, out), 0);
}

/* Report r of [from, to) against the book, every category. */
static void
report_verify(const struct book *b, const struct report *r, int64_t from,
    int64_t to)
{
	struct amount_wide opening, in, out, closing;
	const struct report_asset *a;
	unsigned i;

	assert_true(r->from_s == from && r->to_s == to);
	assert_int_equal(r->asset_count, 1);
	a = &r->assets[0];
	assert_string_equal(a->asset, "USDC");
	assert_int_equal(a->decimals, 6);
	book_sums(b, from, to, NULL, &opening, &in, &out);
	assert_int_equal(amount_wide_cmp(&a->opening, &opening), 0);
	assert_int_equal(amount_wide_cmp(&a->inflow, &in), 0);
	assert_int_equal(amount_wide_cmp(&a->outflow, &out), 0);
	closing = opening;
	assert_int_equal(amount_wide_add_wide(&closing, &in), TREASURY_OK);
	assert_int_equal(amount_wide_sub_wide(&closing, &out), TREASURY_OK);
	assert_int_equal(amount_wide_cmp(&a->closing, &closing), 0);
	book_sums(b, from, to, "", &opening, &in, &out);
	flow_check(&a->uncategorised, &in, &out);
	for (i = 0; i < r->category_count; i++) {
		book_sums(b, from, to, r->categories[i].name, &opening, &in,
		    &out);
		flow_check(a->by_category == NULL ? NULL : &a->by_category[i],
		    &in, &out);
	}
}

/* store_report of [from, to) against the book. */
static void
report_check(struct ctx *c, const struct book *b, int64_t from, int64_t to)
{
	struct report *r = malloc(sizeof(*r));

	assert_non_null(r);
	assert_int_equal(store_report(c->reader, "t1", from, to, r),
	    TREASURY_OK);
	report_verify(b, r, from, to);
	report_free(r);
	free(r);
}

static int
edge_cmp(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;

	return (a > b) - (a < b);
}

/* A chain of store_report_next over consecutive windows between every
 * edge (sorted, distinct) in one snapshot: each period against the book,
 * its opening the previous closing. */
static void
report_chain_check(struct ctx *c, const struct book *b, int64_t *edges,
    unsigned n)
{
	struct report *r = malloc(2 * sizeof(*r));
	unsigned i, k = 0;

	assert_non_null(r);
	qsort(edges, n, sizeof(edges[0]), edge_cmp);
	for (i = 1; i < n; i++)
		if (edges[i] != edges[k])
			edges[++k] = edges[i];
	n = k + 1;
	assert_true(n >= 3);
	assert_int_equal(store_read_begin(c->reader), TREASURY_OK);
	assert_int_equal(store_report(c->reader, "t1", edges[0], edges[1],
	    &r[0]), TREASURY_OK);
	report_verify(b, &r[0], edges[0], edges[1]);
	for (i = 2; i < n; i++) {
		struct report *prev = &r[i % 2], *cur = &r[(i + 1) % 2];

		assert_int_equal(store_report_next(c->reader, "t1", prev,
		    edges[i], cur), TREASURY_OK);
		report_verify(b, cur, edges[i - 1], edges[i]);
		assert_int_equal(amount_wide_cmp(&cur->assets[0].opening,
		    &prev->assets[0].closing), 0);
		report_free(prev);
	}
	report_free(&r[(n) % 2]);
	store_read_end(c->reader);
	free(r);
}

/* Every window [e_i, e_j) of edges around each movement and each day. */
static void
report_check_all(struct ctx *c, const struct book *b)
{
	int64_t edges[MOVES_MAX * 5];
	unsigned n = 0, i, j;

	for (i = 0; i < b->n; i++) {
		int64_t t = b->m[i].t, day = t - t % DAY;

		edges[n++] = t - 1;
		edges[n++] = t;
		edges[n++] = t + 1;
		edges[n++] = day;
		edges[n++] = day + DAY;
	}
	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++)
			if (edges[i] < edges[j])
				report_check(c, b, edges[i], edges[j]);
}

static void
test_report_partial_and_whole_days(void **state)
{
	struct ctx *c = *state;
	struct book b = { 0 };

	sql(c, "INSERT INTO categories VALUES ('t1', 'grants', 'income', 0,"
	    " 'test'), ('t1', 'sales', 'income', 0, 'test')");
	deposit_at(c, &b, D0 + 10 * HOUR, 100000000, "");
	deposit_at(c, &b, D0 + DAY - 1, 1, "grants");
	deposit_at(c, &b, D0 + DAY, 1000000000, "sales");
	deposit_at(c, &b, D0 + DAY, 7, "");
	spend_at(c, &b, D0 + 3 * DAY + 12 * HOUR, 30000000);
	deposit_at(c, &b, D0 + 3 * DAY + 12 * HOUR, 5, "grants");
	spend_at(c, &b, D0 + 9 * DAY, 1);
	deposit_at(c, &b, D0 + 40 * DAY + 1, 123456789, "sales");
	report_check_all(c, &b);
}

/* store_report_next: windows of partial and whole days chained, each as
 * store_report would make it. */
static void
test_report_next_chain(void **state)
{
	struct ctx *c = *state;
	struct book b = { 0 };
	int64_t edges[MOVES_MAX * 3 + 2];
	unsigned n = 0, i;

	sql(c, "INSERT INTO categories VALUES ('t1', 'grants', 'income', 0,"
	    " 'test'), ('t1', 'sales', 'income', 0, 'test')");
	deposit_at(c, &b, D0 + 10 * HOUR, 100000000, "");
	deposit_at(c, &b, D0 + DAY - 1, 1, "grants");
	deposit_at(c, &b, D0 + DAY, 1000000000, "sales");
	spend_at(c, &b, D0 + 3 * DAY + 12 * HOUR, 30000000);
	deposit_at(c, &b, D0 + 3 * DAY + 12 * HOUR, 5, "grants");
	spend_at(c, &b, D0 + 9 * DAY, 1);
	deposit_at(c, &b, D0 + 40 * DAY + 1, 123456789, "sales");
	edges[n++] = D0 - DAY;
	edges[n++] = D0 + 60 * DAY;
	for (i = 0; i < b.n; i++) {
		int64_t t = b.m[i].t;

		edges[n++] = t;
		edges[n++] = t + 1;
		edges[n++] = t - t % DAY + DAY;
	}
	report_chain_check(c, &b, edges, n);
}

/* A correction moves the day sums and the label together: whole days
 * (ledger_days) and partial days (the ledger) agree after it. */
static void
test_report_category_change(void **state)
{
	struct ctx *c = *state;
	struct book b = { 0 };
	struct ledger_entry e;
	struct report *r = malloc(sizeof(*r));

	assert_non_null(r);
	sql(c, "INSERT INTO categories VALUES ('t1', 'grants', 'income', 0,"
	    " 'test')");
	deposit_at(c, &b, D0 + 5 * HOUR, 400, "");
	deposit_at(c, &b, D0 + 6 * HOUR, 50, "grants");
	assert_int_equal(store_ledger_entry_get(c->reader, 1, &e), TREASURY_OK);
	assert_int_equal(e.amount, 400);
	/* the writer is idle: the admin store may write */
	assert_int_equal(sqlite3_exec(db_sqlite(c->admin->db), "BEGIN IMMEDIATE", NULL,
	    NULL, NULL), SQLITE_OK);
	assert_int_equal(ledger_days_move(c->admin, &e, "", "grants"),
	    TREASURY_OK);
	assert_int_equal(sqlite3_exec(db_sqlite(c->admin->db), "UPDATE ledger SET"
	    " category = 'grants' WHERE seq = 1; COMMIT", NULL, NULL, NULL),
	    SQLITE_OK);
	snprintf(b.m[0].category, sizeof(b.m[0].category), "grants");
	report_check_all(c, &b);
	/* whole day: 450 in grants, nothing uncategorised */
	assert_int_equal(store_report(c->reader, "t1", D0, D0 + DAY, r),
	    TREASURY_OK);
	assert_non_null(r->assets[0].by_category);
	wide_equal(&r->assets[0].by_category[0].inflow, "450");
	assert_int_equal(r->assets[0].by_category[0].entries, 2);
	assert_int_equal(r->assets[0].uncategorised.entries, 0);
	report_free(r);
	free(r);
}

/* In and out again: a period's inflow passes 2^128-1, exactly. */
static void
test_report_wide_sums(void **state)
{
	struct ctx *c = *state;
	struct book b = { 0 };
	struct report *r = malloc(sizeof(*r));

	assert_non_null(r);
	deposit_at(c, &b, D0 + HOUR, AMOUNT_MINOR_MAX, "");
	spend_at(c, &b, D0 + 2 * HOUR, AMOUNT_MINOR_MAX);
	deposit_at(c, &b, D0 + DAY + HOUR, AMOUNT_MINOR_MAX, "");
	assert_int_equal(store_report(c->reader, "t1", D0, D0 + 2 * DAY, r),
	    TREASURY_OK);
	wide_equal(&r->assets[0].inflow,
	    "680564733841876926926749214863536422910");
	wide_equal(&r->assets[0].outflow,
	    "340282366920938463463374607431768211455");
	wide_equal(&r->assets[0].closing,
	    "340282366920938463463374607431768211455");
	report_free(r);
	/* partial days only (scans) */
	assert_int_equal(store_report(c->reader, "t1", D0 + 1, D0 + 2 * DAY - 1,
	    r), TREASURY_OK);
	wide_equal(&r->assets[0].inflow,
	    "680564733841876926926749214863536422910");
	report_free(r);
	free(r);
	report_check_all(c, &b);
}

static int
runway_cb(const struct runway_asset *ra, void *ctx)
{
	*(struct runway_asset *)ctx = *ra;
	return 0;
}

static void
test_runway(void **state)
{
	struct ctx *c = *state;
	struct book b = { 0 };
	struct runway_asset ra;
	int64_t now = D0 + 100 * DAY + 5 * HOUR;

	deposit_at(c, &b, D0, 10000000000, "");
	spend_at(c, &b, now - 95 * DAY, 1000000);	/* outside both */
	spend_at(c, &b, now - 90 * DAY, 3000000);	/* at the 90 d edge: in */
	spend_at(c, &b, now - 30 * DAY - 1, 5000000);	/* 90 d only */
	spend_at(c, &b, now - 30 * DAY, 7000000);	/* both */
	spend_at(c, &b, now - 1, 11000000);		/* both */
	memset(&ra, 0, sizeof(ra));
	assert_int_equal(store_runway(c->reader, "t1", now, NULL, runway_cb,
	    &ra),
	    TREASURY_OK);
	assert_string_equal(ra.asset, "USDC");
	assert_true(ra.balance == 10000000000 - 27000000);
	wide_equal(&ra.outflow_30d, "18000000");
	wide_equal(&ra.outflow_90d, "26000000");
	assert_true(ra.has_months);
	/* 9973000000 * 300 / 26000000 = 115073.07..: 1150.73 months */
	wide_equal(&ra.months_x100, "115073");
	/* 91 days without a spend: no runway */
	assert_int_equal(store_runway(c->reader, "t1", now + 91 * DAY, NULL,
	    runway_cb, &ra), TREASURY_OK);
	assert_false(ra.has_months);
	assert_true(amount_wide_is_zero(&ra.outflow_90d));
}

static void
test_report_refuses(void **state)
{
	struct ctx *c = *state;
	struct book b = { 0 };
	struct report *r = malloc(sizeof(*r));

	assert_non_null(r);
	assert_int_equal(store_report(c->reader, "nope", D0, D0 + 1, r),
	    TREASURY_ERR_UNKNOWN_TREASURY);
	deposit_at(c, &b, D0 + HOUR, 10, "");
	spend_at(c, &b, D0 + 2 * DAY, 10);
	/* the day sums no longer match the ledger: an opening below zero */
	sql(c, "UPDATE ledger_days SET outflow = '11' WHERE day = 20836");
	assert_int_equal(store_report(c->reader, "t1", D0 + 5 * DAY,
	    D0 + 6 * DAY, r), TREASURY_ERR_DB_CORRUPT);
	/* an entry under a label that is not registered */
	sql(c, "UPDATE ledger_days SET outflow = '10', category = 'ghost'"
	    " WHERE day = 20836");
	assert_int_equal(store_report(c->reader, "t1", D0, D0 + 6 * DAY, r),
	    TREASURY_ERR_DB_CORRUPT);
	free(r);
}

/* treasuryd check recomputes ledger_days from the ledger. */
struct found {
	unsigned n;
	char first[512];
};

static void
found_one(const char *text, void *ctx)
{
	struct found *f = ctx;

	if (strstr(text, "ledger_days") != NULL && f->n++ == 0)
		snprintf(f->first, sizeof(f->first), "%s", text);
}

static void
test_check_ledger_days(void **state)
{
	struct ctx *c = *state;
	struct book b = { 0 };
	struct check_report rep;
	struct found f = { 0 };
	char errmsg[STORE_ERRMSG_BYTES];

	sql(c, "INSERT INTO categories VALUES ('t1', 'grants', 'income', 0,"
	    " 'test')");
	deposit_at(c, &b, D0 + HOUR, AMOUNT_MINOR_MAX, "grants");
	spend_at(c, &b, D0 + 2 * HOUR, AMOUNT_MINOR_MAX);
	deposit_at(c, &b, D0 + 3 * HOUR, AMOUNT_MINOR_MAX, "grants");
	assert_int_equal(store_check(c->db, c->v, found_one, &f, &rep, errmsg),
	    TREASURY_OK);
	assert_int_equal(f.n, 0);
	/* 2 * (2^128 - 1) + 1 in the grants day: one finding naming it */
	sql(c, "UPDATE ledger_days SET inflow ="
	    " '680564733841876926926749214863536422911' WHERE category ="
	    " 'grants'");
	assert_int_equal(store_check(c->db, c->v, found_one, &f, &rep, errmsg),
	    TREASURY_OK);
	assert_int_equal(f.n, 1);
	assert_non_null(strstr(f.first, "category 'grants' day 20834 holds in"
	    " 680564733841876926926749214863536422911"));
	assert_non_null(strstr(f.first, "the ledger gives in"
	    " 680564733841876926926749214863536422910"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_report_partial_and_whole_days, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_next_chain, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_report_category_change,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_wide_sums, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_runway, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_refuses, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_check_ledger_days, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
