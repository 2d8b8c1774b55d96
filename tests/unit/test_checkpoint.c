/*
 * test_checkpoint.c: unit tests of the checkpoints the writer signs
 * (storage/checkpoint.c through writer_checkpoints_set) on a real
 * database: one after every `every_entries` entries, in the transaction
 * of the group that appended them; one by the maintenance command once
 * the oldest uncovered entry is `interval_s` old; one of whatever is left
 * when the writer stops; none without a key.
 * Each checkpoint's signature verifies with the public key and names the
 * journal's hash at its seq; store_journal_verify passes and
 * store_checkpoints_page lists them. TEST ONLY key: 32 bytes of 9.
 */
#include <sqlite3.h>

#include "engine_fixture.h"
#include "treasury/audit.h"
#include "treasury/journal.h"

enum { EVERY = 3, INTERVAL_S = 60 };

struct keys {
	uint8_t pk[JOURNAL_PUBLIC_KEY_BYTES];
	uint8_t sk[JOURNAL_SECRET_KEY_BYTES];
};

static struct keys keys;

static int
setup(void **state)
{
	uint8_t seed[JOURNAL_KEY_SEED_BYTES];
	struct ctx *c = fixture_open("ckpt", false);

	memset(seed, 9, sizeof(seed));
	journal_keypair_from_seed(keys.pk, keys.sk, seed);
	*state = c;
	return 0;
}

static void
checkpoints_on(struct ctx *c)
{
	struct checkpoint_policy p = {
		.sk = keys.sk, .every_entries = EVERY, .interval_s = INTERVAL_S,
	};

	assert_int_equal(writer_checkpoints_set(c->w, &p), TREASURY_OK);
}

/* The journal's last seq and the last checkpoint's seq and time. */
static void
tails(struct ctx *c, int64_t *last, int64_t *ck, int64_t *ck_time)
{
	sqlite3 *db;
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_open_v2(c->db, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT (SELECT coalesce("
	    "max(seq), 0) FROM journal), coalesce(max(seq), 0), "
	    "coalesce(max(created_at), 0) FROM journal_checkpoints", -1, &st,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	*last = sqlite3_column_int64(st, 0);
	*ck = sqlite3_column_int64(st, 1);
	*ck_time = sqlite3_column_int64(st, 2);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static treasury_err
maintenance(struct ctx *c, int64_t now_s)
{
	struct command cmd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CMD_MAINTENANCE;
	cmd.now_s = now_s;
	cmd.in.maintenance.idempotency_before_s = now_s - 86400;
	return submit(c, &cmd);
}

struct listed {
	unsigned n;
	int64_t seq[16];
	bool signed_ok;
};

static int
listed_add(const struct checkpoint_record *r, void *ctx)
{
	struct listed *l = ctx;

	if (!journal_checkpoint_verify(r->signature, keys.pk, r->seq, r->hash,
	    r->time_s))
		l->signed_ok = false;
	if (l->n < 16)
		l->seq[l->n] = r->seq;
	l->n++;
	return 0;
}

static void
test_every_n_entries_and_by_time(void **state)
{
	struct ctx *c = *state;
	char ref[16], errmsg[STORE_ERRMSG_BYTES];
	int64_t last, ck, ck_time, prev_ck = 0;
	struct journal_report r;
	struct listed l = { .signed_ok = true };
	struct store *reader;
	bool more;

	checkpoints_on(c);
	assert_int_equal(asset_create(c, "USDC", 6), TREASURY_OK);
	assert_int_equal(treasury_create(c, "ops", 2, abc, 3), TREASURY_OK);
	for (int i = 0; i < 8; i++) {
		snprintf(ref, sizeof(ref), "d%d", i);
		assert_int_equal(deposit_plain(c, "ops", "USDC", 1000, ref),
		    TREASURY_OK);
		tails(c, &last, &ck, &ck_time);
		/* each group signs once EVERY entries are uncovered */
		assert_true(last - ck < EVERY);
		assert_true(ck == prev_ck || ck == last);
		prev_ck = ck;
	}
	assert_true(ck >= EVERY);
	assert_int_equal(ck_time, NOW);
	/* a tail shorter than EVERY waits for the maintenance job */
	assert_int_equal(deposit_plain(c, "ops", "USDC", 1, "tail"),
	    TREASURY_OK);
	tails(c, &last, &ck, &ck_time);
	if (last == ck) {	/* the deposit made EVERY: one more */
		assert_int_equal(deposit_plain(c, "ops", "USDC", 1, "tail2"),
		    TREASURY_OK);
		tails(c, &last, &ck, &ck_time);
	}
	assert_true(last > ck);
	assert_int_equal(maintenance(c, NOW + INTERVAL_S - 1), TREASURY_OK);
	tails(c, &last, &ck, &ck_time);
	assert_true(last > ck);		/* not old enough yet */
	assert_int_equal(maintenance(c, NOW + INTERVAL_S), TREASURY_OK);
	tails(c, &last, &ck, &ck_time);
	assert_int_equal(ck, last);
	assert_int_equal(ck_time, NOW + INTERVAL_S);
	/* nothing uncovered: no new checkpoint */
	assert_int_equal(maintenance(c, NOW + 10 * INTERVAL_S), TREASURY_OK);
	tails(c, &last, &ck, &ck_time);
	assert_int_equal(ck_time, NOW + INTERVAL_S);

	/* the verifier agrees; the reading API lists every checkpoint */
	assert_int_equal(store_journal_verify(c->db, keys.pk, 1, 0, NULL, NULL, &r,
	    errmsg), TREASURY_OK);
	assert_int_equal(r.findings, 0);
	assert_int_equal(r.signed_seq, last);
	assert_int_equal(r.unsigned_entries, 0);
	assert_int_equal(r.checkpoints_verified, r.checkpoints);
	assert_int_equal(store_open(c->db, STORE_READ_ONLY, &reader, errmsg),
	    TREASURY_OK);
	assert_int_equal(store_checkpoints_page(reader, 0, 2, listed_add, &l,
	    &more), TREASURY_OK);
	assert_int_equal(l.n, 2);
	assert_true(more == (r.checkpoints > 2));
	assert_int_equal(store_checkpoints_page(reader, l.seq[1], 100,
	    listed_add, &l, &more), TREASURY_OK);
	assert_false(more);
	assert_int_equal(l.n, r.checkpoints);
	assert_true(l.signed_ok);
	assert_true(l.seq[0] < l.seq[1]);
	store_close(reader);
	/* a writer that stops signs what is left */
	assert_int_equal(deposit_plain(c, "ops", "USDC", 1, "last"),
	    TREASURY_OK);
	tails(c, &last, &ck, &ck_time);
	assert_true(last > ck);
	fixture_close(c);
	tails(c, &last, &ck, &ck_time);
	assert_int_equal(ck, last);
	assert_int_equal(store_journal_verify(c->db, keys.pk, 1, 0, NULL, NULL, &r,
	    errmsg), TREASURY_OK);
	assert_int_equal(r.findings, 0);
	assert_int_equal(r.unsigned_entries, 0);
}

static void
test_no_key_no_checkpoints(void **state)
{
	struct ctx *c = *state;
	int64_t last, ck, ck_time;

	assert_int_equal(asset_create(c, "USDC", 6), TREASURY_OK);
	assert_int_equal(treasury_create(c, "ops", 2, abc, 3), TREASURY_OK);
	for (int i = 0; i < 2 * EVERY; i++) {
		char ref[16];
		snprintf(ref, sizeof(ref), "d%d", i);
		assert_int_equal(deposit_plain(c, "ops", "USDC", 1000, ref),
		    TREASURY_OK);
	}
	assert_int_equal(maintenance(c, NOW + 10 * INTERVAL_S), TREASURY_OK);
	tails(c, &last, &ck, &ck_time);
	assert_true(last >= 2 * EVERY);
	assert_int_equal(ck, 0);
}

/* Raw SQL on the database file, as an attacker with the file would. */
static void
sql_run(struct ctx *c, const char *sql)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(c->db, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void
tail_get(struct ctx *c, int64_t uncovered_max, struct journal_tail *t)
{
	char errmsg[STORE_ERRMSG_BYTES];
	struct store *s;

	assert_int_equal(store_open(c->db, STORE_READ_WRITE, &s, errmsg),
	    TREASURY_OK);
	assert_int_equal(store_journal_tail_check(s, uncovered_max, t),
	    TREASURY_OK);
	store_close(s);
}

/*
 * The daemon's start check (store_journal_tail_check): after every group
 * it passes with uncovered_max = EVERY (the writer's invariant); it
 * fails with the first seq at fault when checkpoints were deleted, when
 * the last checkpoint's hash is not its entry's, and when an entry after
 * it was edited, deleted or its hash rewritten.
 */
static void
test_start_check(void **state)
{
	struct ctx *c = *state;
	struct journal_tail t;
	int64_t last, ck, ck_time;
	char sql[256], ref[16];

	checkpoints_on(c);
	assert_int_equal(asset_create(c, "USDC", 6), TREASURY_OK);
	assert_int_equal(treasury_create(c, "ops", 2, abc, 3), TREASURY_OK);
	for (int i = 0; i < 3 * EVERY + 1; i++) {
		snprintf(ref, sizeof(ref), "d%d", i);
		assert_int_equal(deposit_plain(c, "ops", "USDC", 1000, ref),
		    TREASURY_OK);
		tail_get(c, EVERY, &t);
		assert_int_equal(t.state, JOURNAL_TAIL_OK);
		assert_true(t.uncovered < EVERY);
	}
	tails(c, &last, &ck, &ck_time);
	if (last == ck)		/* leave a tail for the final checkpoint */
		assert_int_equal(deposit_plain(c, "ops", "USDC", 1, "tail"),
		    TREASURY_OK);
	fixture_close(c);	/* the writer signs the tail */
	tails(c, &last, &ck, &ck_time);
	assert_int_equal(last, ck);
	tail_get(c, 1, &t);
	assert_int_equal(t.state, JOURNAL_TAIL_OK);
	assert_true(t.checkpoint_found);
	assert_int_equal(t.checkpoint.seq, last);
	assert_true(journal_checkpoint_verify(t.checkpoint.signature, keys.pk,
	    t.checkpoint.seq, t.checkpoint.hash, t.checkpoint.time_s));

	/* the last checkpoint deleted: EVERY - 1 or fewer entries follow the
	 * one before, which recompute */
	snprintf(sql, sizeof(sql), "DELETE FROM journal_checkpoints WHERE seq "
	    "= %lld", (long long)last);
	sql_run(c, sql);
	tail_get(c, EVERY, &t);
	assert_int_equal(t.state, JOURNAL_TAIL_OK);
	ck = t.checkpoint_found ? t.checkpoint.seq : 0;
	assert_true(last - ck >= 1 && last - ck < EVERY);
	/* ... but not fewer than uncovered_max */
	tail_get(c, last - ck, &t);
	assert_int_equal(t.state, JOURNAL_TAIL_TOO_LONG);
	assert_int_equal(t.bad_seq, ck + 1);
	assert_int_equal(t.uncovered, last - ck);

	/* an uncovered entry edited (its stored hash left alone) */
	snprintf(sql, sizeof(sql), "UPDATE journal SET created_at = created_at "
	    "+ 1 WHERE seq = %lld", (long long)last);
	sql_run(c, sql);
	tail_get(c, EVERY, &t);
	assert_int_equal(t.state, JOURNAL_TAIL_BROKEN);
	assert_int_equal(t.bad_seq, last);
	/* its hash rewritten to anything */
	snprintf(sql, sizeof(sql), "UPDATE journal SET hash = zeroblob(32) "
	    "WHERE seq = %lld", (long long)last);
	sql_run(c, sql);
	tail_get(c, EVERY, &t);
	assert_int_equal(t.state, JOURNAL_TAIL_BROKEN);
	assert_int_equal(t.bad_seq, last);
	/* deleted: the tail is shorter, and verifies again */
	snprintf(sql, sizeof(sql), "DELETE FROM journal WHERE seq = %lld",
	    (long long)last);
	sql_run(c, sql);
	tail_get(c, EVERY, &t);
	if (last - 1 > ck) {
		assert_int_equal(t.state, JOURNAL_TAIL_OK);
		/* and a gap in it */
		snprintf(sql, sizeof(sql), "INSERT INTO journal SELECT %lld, "
		    "created_at, treasury_id, type, actor_token, actor_signer, "
		    "payload, hash FROM journal WHERE seq = %lld; DELETE FROM "
		    "journal WHERE seq = %lld", (long long)last,
		    (long long)last - 1, (long long)last - 1);
		sql_run(c, sql);
		tail_get(c, EVERY, &t);
		assert_int_equal(t.state, JOURNAL_TAIL_BROKEN);
		assert_int_equal(t.bad_seq, last - 1);
	}

	/* the last checkpoint's entry rewritten: its hash no longer the
	 * signed one */
	snprintf(sql, sizeof(sql), "UPDATE journal SET hash = zeroblob(32) "
	    "WHERE seq = %lld", (long long)ck);
	sql_run(c, sql);
	tail_get(c, EVERY, &t);
	assert_int_equal(t.state, JOURNAL_TAIL_CHECKPOINT_MISMATCH);
	/* its entry deleted */
	snprintf(sql, sizeof(sql), "DELETE FROM journal WHERE seq = %lld",
	    (long long)ck);
	sql_run(c, sql);
	tail_get(c, EVERY, &t);
	assert_int_equal(t.state, JOURNAL_TAIL_CHECKPOINT_MISMATCH);

	/* every checkpoint deleted: the whole journal is uncovered */
	sql_run(c, "DELETE FROM journal_checkpoints");
	tail_get(c, EVERY, &t);
	assert_int_equal(t.state, JOURNAL_TAIL_TOO_LONG);
	assert_false(t.checkpoint_found);
	assert_int_equal(t.bad_seq, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_every_n_entries_and_by_time,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_key_no_checkpoints,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_start_check, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
