/*
 * test_audit.c: unit tests of the journal verifier (storage/audit.c,
 * journal_verify_db) on a journal built in an in-memory database with the
 * tables of schema 8 (docs/audit.md), then tampered with raw SQL as an
 * attacker with the file would: each edit, deletion, reordering and
 * rewritten chain must be reported with its first bad seq, and the
 * untouched journal must pass. TEST ONLY key: the seed is 32 bytes of 7.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "treasury/crypto_init.h"
#include "treasury/journal.h"

#include "../../storage/audit_int.h"
#include "../../storage/db_sqlite.h"

enum { ENTRIES = 12, CHECKPOINT_EVERY = 4, FINDINGS_KEPT = 8 };

static const char tables[] =
    "CREATE TABLE journal (seq INTEGER PRIMARY KEY, created_at INTEGER NOT "
    "NULL, treasury_id TEXT, type TEXT NOT NULL, actor_token TEXT, "
    "actor_signer TEXT, payload TEXT NOT NULL, hash BLOB NOT NULL CHECK "
    "(length(hash) = 32)) STRICT;"
    "CREATE TABLE journal_checkpoints (seq INTEGER PRIMARY KEY, hash BLOB "
    "NOT NULL CHECK (length(hash) = 32), created_at INTEGER NOT NULL, "
    "signature BLOB NOT NULL CHECK (length(signature) = 64)) STRICT;";

struct fx {
	struct db *engine;	/* db.h's connection, for journal_verify_db */
	sqlite3 *db;		/* the same, SQLite's own */
	uint8_t pk[JOURNAL_PUBLIC_KEY_BYTES];
	uint8_t sk[JOURNAL_SECRET_KEY_BYTES];
	unsigned count;
	char text[FINDINGS_KEPT][512];
	struct journal_report r;
};

static void
finding_cb(const char *text, void *arg)
{
	struct fx *f = arg;

	if (f->count < FINDINGS_KEPT)
		snprintf(f->text[f->count], sizeof(f->text[0]), "%s", text);
	f->count++;
}

static bool
found(const struct fx *f, const char *needle)
{
	for (unsigned i = 0; i < f->count && i < FINDINGS_KEPT; i++)
		if (strstr(f->text[i], needle) != NULL)
			return true;
	return false;
}

static void
exec_ok(struct fx *f, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(f->db, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", sql, err);
}

/* The entry of seq i as the fixture writes it. */
static void
entry_make(struct journal_entry *e, int64_t seq, char *payload, size_t size)
{
	memset(e, 0, sizeof(*e));
	e->seq = seq;
	e->time_s = 1800000000 + seq;
	snprintf(e->treasury, sizeof(e->treasury), "%s", seq % 3 ? "ops" : "");
	snprintf(e->type, sizeof(e->type), "deposit");
	snprintf(e->actor_token, sizeof(e->actor_token), "treasurer");
	snprintf(payload, size, "{\"amount_minor\":\"%lld\",\"asset\":\"USDC\"}",
	    (long long)seq * 1000);
	e->payload = payload;
	e->payload_len = strlen(payload);
}

static void
entry_insert(struct fx *f, const struct journal_entry *e,
    const uint8_t hash[DIGEST_BYTES])
{
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_prepare_v2(f->db, "INSERT INTO journal VALUES "
	    "(?1, ?2, nullif(?3, ''), ?4, ?5, NULL, ?6, ?7)", -1, &st, NULL),
	    SQLITE_OK);
	sqlite3_bind_int64(st, 1, e->seq);
	sqlite3_bind_int64(st, 2, e->time_s);
	sqlite3_bind_text(st, 3, e->treasury, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, e->type, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, e->actor_token, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, e->payload, (int)e->payload_len,
	    SQLITE_STATIC);
	sqlite3_bind_blob(st, 7, hash, DIGEST_BYTES, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
}

static void
checkpoint_insert(struct fx *f, int64_t seq, const uint8_t hash[DIGEST_BYTES])
{
	uint8_t sig[JOURNAL_SIGNATURE_BYTES];
	sqlite3_stmt *st;

	journal_checkpoint_sign(sig, f->sk, seq, hash, 1800000100 + seq);
	assert_int_equal(sqlite3_prepare_v2(f->db, "INSERT INTO "
	    "journal_checkpoints VALUES (?1, ?2, ?3, ?4)", -1, &st, NULL),
	    SQLITE_OK);
	sqlite3_bind_int64(st, 1, seq);
	sqlite3_bind_blob(st, 2, hash, DIGEST_BYTES, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, 1800000100 + seq);
	sqlite3_bind_blob(st, 4, sig, sizeof(sig), SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
}

/* ENTRIES entries, a checkpoint every CHECKPOINT_EVERY (4, 8, 12). */
static int
setup(void **state)
{
	uint8_t seed[JOURNAL_KEY_SEED_BYTES], hash[DIGEST_BYTES] = { 0 };
	char payload[128];
	struct journal_entry e;
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(treasury_crypto_init(), TREASURY_OK);
	memset(seed, 7, sizeof(seed));
	journal_keypair_from_seed(f->pk, f->sk, seed);
	assert_int_equal(db_sqlite_open(":memory:", SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, &f->engine), SQLITE_OK);
	f->db = db_sqlite(f->engine);
	exec_ok(f, tables);
	for (int64_t seq = 1; seq <= ENTRIES; seq++) {
		entry_make(&e, seq, payload, sizeof(payload));
		assert_int_equal(journal_entry_hash(hash, hash, &e), TREASURY_OK);
		entry_insert(f, &e, hash);
		if (seq % CHECKPOINT_EVERY == 0)
			checkpoint_insert(f, seq, hash);
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	db_close(f->engine);
	free(f);
	return 0;
}

static void
verify(struct fx *f, const uint8_t *pk)
{
	f->count = 0;
	assert_int_equal(journal_verify_db(f->engine, pk, 1, 0, finding_cb, f, &f->r),
	    TREASURY_OK);
	assert_int_equal(f->r.findings, f->count);
}

static void
test_clean_journal_passes(void **state)
{
	struct fx *f = *state;

	verify(f, f->pk);
	assert_int_equal(f->count, 0);
	assert_int_equal(f->r.entries, ENTRIES);
	assert_int_equal(f->r.last_seq, ENTRIES);
	assert_int_equal(f->r.checkpoints, ENTRIES / CHECKPOINT_EVERY);
	assert_int_equal(f->r.checkpoints_verified, ENTRIES / CHECKPOINT_EVERY);
	assert_int_equal(f->r.signed_seq, ENTRIES);
	assert_int_equal(f->r.unsigned_entries, 0);
	assert_int_equal(f->r.first_bad_seq, 0);
	assert_true(f->r.signatures_checked);
}

static void
test_unsigned_tail_is_counted(void **state)
{
	struct fx *f = *state;

	exec_ok(f, "DELETE FROM journal_checkpoints WHERE seq = 12");
	verify(f, f->pk);
	assert_int_equal(f->count, 0);
	assert_int_equal(f->r.signed_seq, 8);
	assert_int_equal(f->r.unsigned_entries, 4);
	verify(f, NULL);		/* no key: chain only */
	assert_int_equal(f->count, 0);
	assert_false(f->r.signatures_checked);
}

/* Checkpoints deleted: uncovered_max or more entries after the last
 * valid one is a finding naming the first uncovered seq. */
static void
test_uncovered_entries_beyond_the_bound_are_reported(void **state)
{
	struct fx *f = *state;

	exec_ok(f, "DELETE FROM journal_checkpoints WHERE seq > 4");
	f->count = 0;
	assert_int_equal(journal_verify_db(f->engine, f->pk, 1, ENTRIES - 4 + 1,
	    finding_cb, f, &f->r), TREASURY_OK);
	assert_int_equal(f->count, 0);		/* 8 < 9 */
	assert_int_equal(f->r.uncovered_entries, ENTRIES - 4);
	assert_int_equal(journal_verify_db(f->engine, f->pk, 1, ENTRIES - 4,
	    finding_cb, f, &f->r), TREASURY_OK);
	assert_int_equal(f->count, 1);
	assert_int_equal(f->r.first_bad_seq, 5);
	assert_true(found(f, "seq 5..12: 8 entries are not covered by a valid "
	    "checkpoint"));
	/* a checkpoint that does not verify covers nothing */
	exec_ok(f, "UPDATE journal_checkpoints SET signature = zeroblob(64) "
	    "WHERE seq = 4");
	f->count = 0;
	assert_int_equal(journal_verify_db(f->engine, f->pk, 1, ENTRIES,
	    finding_cb, f, &f->r), TREASURY_OK);
	assert_int_equal(f->r.first_bad_seq, 1);
	assert_true(found(f, "seq 1..12: 12 entries are not covered"));
}

static void
test_edited_payload_is_reported_at_its_seq(void **state)
{
	struct fx *f = *state;

	exec_ok(f, "UPDATE journal SET payload = replace(payload, '6000', "
	    "'9000') WHERE seq = 6");
	verify(f, f->pk);
	assert_int_equal(f->r.first_bad_seq, 6);
	assert_true(found(f, "seq 6 (deposit): the stored hash does not match"));
	/* the recomputed chain no longer meets the checkpoint at 8 */
	assert_true(f->r.checkpoints_verified == 1);
}

static void
test_edited_actor_and_time_are_reported(void **state)
{
	struct fx *f = *state;

	exec_ok(f, "UPDATE journal SET actor_token = 'mallory' WHERE seq = 3");
	exec_ok(f, "UPDATE journal SET created_at = created_at + 1 WHERE "
	    "seq = 10");
	verify(f, f->pk);
	assert_int_equal(f->r.first_bad_seq, 3);
	assert_true(found(f, "seq 3 (deposit)"));
	assert_true(found(f, "seq 10 (deposit)"));
}

static void
test_deleted_entry_is_reported(void **state)
{
	struct fx *f = *state;

	exec_ok(f, "DELETE FROM journal WHERE seq = 5");
	verify(f, f->pk);
	assert_int_equal(f->r.first_bad_seq, 5);
	assert_true(found(f, "seq 5..5: missing"));
}

static void
test_deleted_tail_is_reported_by_its_checkpoint(void **state)
{
	struct fx *f = *state;

	exec_ok(f, "DELETE FROM journal WHERE seq > 10");
	verify(f, f->pk);
	assert_int_equal(f->r.first_bad_seq, 11);
	assert_true(found(f, "checkpoint at seq 12: the journal ends at seq 10"));
}

static void
test_swapped_entries_are_reported(void **state)
{
	struct fx *f = *state;

	exec_ok(f, "UPDATE journal SET seq = -1 WHERE seq = 3;"
	    "UPDATE journal SET seq = 3 WHERE seq = 7;"
	    "UPDATE journal SET seq = 7 WHERE seq = -1");
	verify(f, f->pk);
	assert_int_equal(f->r.first_bad_seq, 3);
	assert_true(found(f, "seq 3 (deposit): the stored hash does not match"));
	assert_true(found(f, "seq 7 (deposit)"));
}

/* The attacker edits entry 6 and recomputes every hash after it: each
 * row chains to the one before, only the signed checkpoint at 8 shows. */
static void
test_recomputed_chain_is_caught_by_the_checkpoint(void **state)
{
	struct fx *f = *state;
	uint8_t hash[DIGEST_BYTES] = { 0 };
	char payload[128];
	struct journal_entry e;
	sqlite3_stmt *st;

	exec_ok(f, "DELETE FROM journal");
	for (int64_t seq = 1; seq <= ENTRIES; seq++) {
		entry_make(&e, seq, payload, sizeof(payload));
		if (seq == 6)
			snprintf(payload, sizeof(payload), "{\"amount_minor\":"
			    "\"1\",\"asset\":\"USDC\"}");
		e.payload_len = strlen(payload);
		assert_int_equal(journal_entry_hash(hash, hash, &e), TREASURY_OK);
		entry_insert(f, &e, hash);
	}
	verify(f, f->pk);
	assert_int_equal(f->r.first_bad_seq, 5);	/* after checkpoint 4 */
	assert_true(found(f, "checkpoint at seq 8: its signed hash differs"));
	assert_int_equal(f->r.checkpoints_verified, 1);
	/* and the checkpoints' hashes rewritten too: the signatures fail */
	assert_int_equal(sqlite3_prepare_v2(f->db, "UPDATE journal_checkpoints "
	    "SET hash = (SELECT hash FROM journal WHERE journal.seq = "
	    "journal_checkpoints.seq)", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	verify(f, f->pk);
	assert_int_equal(f->r.first_bad_seq, 5);
	assert_true(found(f, "checkpoint at seq 8: the signature does not "
	    "verify"));
	/* without the key only the chain can be checked: it passes, which is
	 * why an auditor must have the public key (docs/audit.md) */
	verify(f, NULL);
	assert_int_equal(f->count, 0);
}

static void
test_other_key_and_malformed_rows(void **state)
{
	struct fx *f = *state;
	uint8_t other[JOURNAL_PUBLIC_KEY_BYTES];

	memcpy(other, f->pk, sizeof(other));
	other[0] ^= 1;
	verify(f, other);
	assert_int_equal(f->r.first_bad_seq, 1);
	assert_int_equal(f->r.checkpoints_verified, 0);
	exec_ok(f, "UPDATE journal SET type = 'x' || char(10) || 'y' WHERE "
	    "seq = 2");
	verify(f, f->pk);
	assert_int_equal(f->r.first_bad_seq, 2);
	assert_true(found(f, "seq 2: malformed entry"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_clean_journal_passes,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_uncovered_entries_beyond_the_bound_are_reported, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_unsigned_tail_is_counted,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_edited_payload_is_reported_at_its_seq, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_edited_actor_and_time_are_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deleted_entry_is_reported,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_deleted_tail_is_reported_by_its_checkpoint, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_swapped_entries_are_reported,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_recomputed_chain_is_caught_by_the_checkpoint, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_other_key_and_malformed_rows,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
