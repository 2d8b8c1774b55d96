/*
 * test_journal.c: unit tests of storage/journal.c (journal_append, the
 * hash chain it stores) and of the journal's readers (store_journal_page,
 * store_events_page): seq without gaps, even after a rolled-back append;
 * NULL for a missing treasury or actor; each stored hash recomputed here
 * with SHA-256 by hand; the actor of a writer command; token changes in
 * their own transaction; a tampered row read back as DB_CORRUPT.
 *
 * Uses the private headers of storage/ (journal_append runs inside a
 * transaction the test opens on the fixture's read-write store).
 */
#include "engine_fixture.h"

#include <sodium.h>

#include "../../storage/db_sqlite.h"
#include "../../storage/engine_int.h"

static int
setup(void **state)
{
	*state = fixture_open("journal", true);
	return 0;
}

static void
exec_ok(struct store *s, const char *sql)
{
	assert_int_equal(sqlite3_exec(db_sqlite(s->db), sql, NULL, NULL, NULL), SQLITE_OK);
}

static int64_t
db_int(struct store *s, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int64_t v;

	assert_int_equal(sqlite3_prepare_v2(db_sqlite(s->db), sql, -1, &st, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Append {"k": value} as type with who and treasury (NULL: none). */
static treasury_err
append(struct store *s, const struct journal_who *who, const char *treasury,
    const char *type, int64_t value, int64_t *seq)
{
	struct journal_payload p;

	journal_payload_begin(&p);
	journal_payload_int(&p, "k", value);
	return journal_append(s, who, treasury, type, &p, seq);
}

/* ---- an independent chain: SHA-256 by hand ---- */

struct chain {
	uint8_t prev[32];
	int64_t seq;
	unsigned rows;
};

static void
hash_by_hand(uint8_t out[32], const uint8_t prev[32],
    const struct journal_entry *e)
{
	static const char tag[] = "treasuryd/journal/v1";
	char head[512];
	uint8_t t[32];
	crypto_hash_sha256_state st;
	int n;

	n = snprintf(head, sizeof(head), "seq=%lld\ntime=%lld\ntreasury=%s\n"
	    "type=%s\nactor_token=%s\nactor_signer=%s\npayload=",
	    (long long)e->seq, (long long)e->time_s, e->treasury, e->type,
	    e->actor_token, e->actor_signer);
	assert_true(n > 0 && (size_t)n < sizeof(head));
	crypto_hash_sha256(t, (const unsigned char *)tag, strlen(tag));
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, t, 32);
	crypto_hash_sha256_update(&st, t, 32);
	crypto_hash_sha256_update(&st, prev, 32);
	crypto_hash_sha256_update(&st, (const unsigned char *)head, (size_t)n);
	crypto_hash_sha256_update(&st, (const unsigned char *)e->payload,
	    e->payload_len);
	crypto_hash_sha256_update(&st, (const unsigned char *)"\n", 1);
	crypto_hash_sha256_final(&st, out);
}

static int
link_check(const struct journal_entry *e, const uint8_t hash[32], void *ctx)
{
	struct chain *ch = ctx;
	uint8_t want[32];

	assert_int_equal(e->seq, ch->seq + 1);
	hash_by_hand(want, ch->prev, e);
	assert_memory_equal(hash, want, 32);
	memcpy(ch->prev, hash, 32);
	ch->seq = e->seq;
	ch->rows++;
	return 0;
}

/* The whole journal, page by page (3 a page), checked link by link. */
static unsigned
chain_walk(struct store *s)
{
	struct chain ch;
	bool more = true;

	memset(&ch, 0, sizeof(ch));
	while (more)
		assert_int_equal(store_journal_page(s, ch.seq, 3, link_check,
		    &ch, &more), TREASURY_OK);
	return ch.rows;
}

/* Appends get seq 1, 2, 3 ... and the chain a reader recomputes; a
 * missing treasury or actor is stored NULL. */
static void
test_append_chain(void **state)
{
	struct ctx *c = *state;
	const struct journal_who who = { NOW, "ops-bot", "alice" };
	const struct journal_who none = { NOW + 1, NULL, "" };
	int64_t seq = 0;
	int i;

	exec_ok(c->admin, "BEGIN IMMEDIATE");
	for (i = 0; i < 7; i++) {
		assert_int_equal(append(c->admin, i % 2 ? &who : &none,
		    i % 3 ? "ops" : NULL, "proposal.voted", i, &seq),
		    TREASURY_OK);
		assert_int_equal(seq, i + 1);
	}
	exec_ok(c->admin, "COMMIT");
	assert_int_equal(chain_walk(c->reader), 7);
	assert_int_equal(db_int(c->admin, "SELECT count(*) FROM journal"
	    " WHERE actor_token IS NULL AND actor_signer IS NULL"), 4);
	assert_int_equal(db_int(c->admin, "SELECT count(*) FROM journal"
	    " WHERE treasury_id IS NULL"), 3);
	assert_int_equal(db_int(c->admin, "SELECT count(*) FROM journal"
	    " WHERE actor_token = 'ops-bot' AND actor_signer = 'alice'"
	    " AND created_at = 1800000000"), 3);
}

/* A rolled-back append leaves no gap; a refused payload or field writes
 * nothing. */
static void
test_append_rollback_and_refusals(void **state)
{
	struct ctx *c = *state;
	const struct journal_who who = { NOW, NULL, NULL };
	static char big[JOURNAL_PAYLOAD_MAX_BYTES];
	struct journal_payload p;
	int64_t seq = 0;

	exec_ok(c->admin, "BEGIN IMMEDIATE");
	assert_int_equal(append(c->admin, &who, NULL, "asset.created", 1, &seq),
	    TREASURY_OK);
	exec_ok(c->admin, "ROLLBACK");
	exec_ok(c->admin, "BEGIN IMMEDIATE");
	memset(big, 'x', sizeof(big) - 1);
	journal_payload_begin(&p);
	journal_payload_str(&p, "memo", big);
	assert_int_equal(journal_append(c->admin, &who, NULL, "deposit", &p,
	    NULL), TREASURY_ERR_TOO_LARGE);
	assert_int_equal(append(c->admin, &who, "a\nb", "deposit", 1, NULL),
	    TREASURY_ERR_INVALID_FIELD);
	assert_int_equal(append(c->admin, &who, NULL, "Bad.Type", 1, NULL),
	    TREASURY_ERR_INVALID_FIELD);
	assert_int_equal(append(c->admin, &who, NULL, "asset.created", 2, &seq),
	    TREASURY_OK);
	assert_int_equal(seq, 1);
	exec_ok(c->admin, "COMMIT");
	assert_int_equal(chain_walk(c->reader), 1);
}

/* A writer command journals with its actor and clock, in its own
 * transaction; a refused one journals nothing. */
static void
test_command_actor(void **state)
{
	struct ctx *c = *state;
	struct command cmd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CMD_ASSET_CREATE;
	cmd.now_s = NOW + 5;
	snprintf(cmd.actor_token, sizeof(cmd.actor_token), "ops-bot");
	snprintf(cmd.in.asset_create.code, sizeof(cmd.in.asset_create.code),
	    "USDC");
	cmd.in.asset_create.decimals = 6;
	snprintf(cmd.in.asset_create.chain, sizeof(cmd.in.asset_create.chain),
	    "ethereum");
	assert_int_equal(submit(c, &cmd), TREASURY_OK);
	assert_int_equal(submit(c, &cmd), TREASURY_ERR_ASSET_EXISTS);
	assert_int_equal(db_int(c->admin, "SELECT count(*) FROM journal"), 1);
	assert_int_equal(db_int(c->admin, "SELECT count(*) FROM journal WHERE"
	    " seq = 1 AND type = 'asset.created' AND actor_token = 'ops-bot'"
	    " AND actor_signer IS NULL AND treasury_id IS NULL"
	    " AND created_at = 1800000005 AND payload ="
	    " '{\"asset\":\"USDC\",\"chain\":\"ethereum\",\"decimals\":6}'"),
	    1);
	assert_int_equal(chain_walk(c->reader), 1);
}

/* store_token_insert / _revoke / _bind outside the writer: the change
 * and its entry in one transaction of their own, no actor; a refusal
 * writes neither and leaves no transaction open. */
static void
test_tokens_own_transaction(void **state)
{
	struct ctx *c = *state;
	uint8_t hash[TOKEN_HASH_BYTES], cert[CLIENT_CERT_SHA256_BYTES];

	memset(hash, 7, sizeof(hash));
	memset(cert, 0xab, sizeof(cert));
	assert_int_equal(store_token_insert(c->admin, "cli", ROLE_SIGNER |
	    ROLE_VIEWER, hash, NOW), TREASURY_OK);
	assert_true(sqlite3_get_autocommit(db_sqlite(c->admin->db)));
	hash[0] = 8;
	assert_int_equal(store_token_insert(c->admin, "cli", ROLE_SIGNER,
	    hash, NOW), TREASURY_ERR_CONFLICT);
	assert_true(sqlite3_get_autocommit(db_sqlite(c->admin->db)));
	assert_int_equal(store_token_bind(c->admin, "cli", cert), TREASURY_OK);
	assert_int_equal(store_token_bind(c->admin, "cli", NULL), TREASURY_OK);
	assert_int_equal(store_token_revoke(c->admin, "cli"), TREASURY_OK);
	assert_int_equal(store_token_revoke(c->admin, "cli"),
	    TREASURY_ERR_NOT_FOUND);
	assert_true(sqlite3_get_autocommit(db_sqlite(c->admin->db)));
	assert_int_equal(db_int(c->admin, "SELECT count(*) FROM journal"
	    " WHERE actor_token IS NULL"), 4);
	assert_int_equal(db_int(c->admin, "SELECT count(*) FROM journal WHERE"
	    " seq = 1 AND type = 'token.created' AND created_at = 1800000000"
	    " AND payload = '{\"client_cert_sha256\":null,\"name\":\"cli\","
	    "\"roles\":[\"signer\",\"viewer\"],\"token_hash\":\""
	    "07070707070707070707070707070707"
	    "07070707070707070707070707070707\"}'"), 1);
	assert_int_equal(db_int(c->admin, "SELECT count(*) FROM journal WHERE"
	    " seq = 2 AND type = 'token.bound' AND payload ="
	    " '{\"client_cert_sha256\":\"" "abababababababababababababababab"
	    "abababababababababababababababab\",\"name\":\"cli\"}'"), 1);
	assert_int_equal(db_int(c->admin, "SELECT count(*) FROM journal WHERE"
	    " seq = 3 AND type = 'token.bound' AND payload ="
	    " '{\"client_cert_sha256\":null,\"name\":\"cli\"}'"), 1);
	assert_int_equal(db_int(c->admin, "SELECT count(*) FROM journal WHERE"
	    " seq = 4 AND type = 'token.revoked' AND payload ="
	    " '{\"name\":\"cli\"}'"), 1);
	/* revoked at the entry's time, never SQLite's clock */
	assert_int_equal(db_int(c->admin, "SELECT count(*) FROM tokens t"
	    " JOIN journal j ON j.seq = 4 WHERE t.name = 'cli'"
	    " AND t.revoked_at = j.created_at"), 1);
	assert_int_equal(chain_walk(c->reader), 4);
}

/* store_token_create with a certificate: the token and its binding in
 * one token.created entry (no token.bound); a time before the clock mark
 * is taken as the mark, so the journal's times never step back. */
static void
test_token_create_bound(void **state)
{
	struct ctx *c = *state;
	uint8_t hash[TOKEN_HASH_BYTES], cert[CLIENT_CERT_SHA256_BYTES];

	memset(hash, 9, sizeof(hash));
	memset(cert, 0xcd, sizeof(cert));
	exec_ok(c->admin, "UPDATE clock_mark SET high_s = 1800000100");
	assert_int_equal(store_token_create(c->admin, "bound", ROLE_VIEWER,
	    hash, cert, NOW), TREASURY_OK);
	assert_true(sqlite3_get_autocommit(db_sqlite(c->admin->db)));
	assert_int_equal(db_int(c->admin, "SELECT count(*) FROM journal"), 1);
	assert_int_equal(db_int(c->admin, "SELECT count(*) FROM journal WHERE"
	    " seq = 1 AND type = 'token.created' AND created_at = 1800000100"
	    " AND payload = '{\"client_cert_sha256\":\""
	    "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"
	    "\",\"name\":\"bound\",\"roles\":[\"viewer\"],"
	    "\"token_hash\":\""
	    "0909090909090909090909090909090909090909090909090909090909090909"
	    "\"}'"), 1);
	assert_int_equal(db_int(c->admin, "SELECT count(*) FROM tokens WHERE"
	    " name = 'bound' AND created_at = 1800000100 AND"
	    " client_cert_sha256 = x'"
	    "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"
	    "'"), 1);
	/* a later wall clock raises the mark with it */
	memset(hash, 10, sizeof(hash));
	assert_int_equal(store_token_create(c->admin, "later", ROLE_VIEWER,
	    hash, NULL, 1800000200), TREASURY_OK);
	assert_int_equal(db_int(c->admin, "SELECT high_s FROM clock_mark"),
	    1800000200);
}

static int
event_count(const struct event_record *ev, void *ctx)
{
	unsigned *n = ctx;

	assert_int_equal(ev->id, (int64_t)*n + 1);
	(*n)++;
	return 0;
}

static int
entry_stop(const struct journal_entry *e, const uint8_t hash[32], void *ctx)
{
	(void)e;
	(void)hash;
	(void)ctx;
	return 0;
}

/* GET /v1/events reads the journal; a row that is not what journal_append
 * writes reads back as DB_CORRUPT. */
static void
test_events_and_corrupt_rows(void **state)
{
	struct ctx *c = *state;
	const struct journal_who who = { NOW, NULL, NULL };
	unsigned n = 0;
	bool more;
	int64_t last;

	exec_ok(c->admin, "BEGIN IMMEDIATE");
	assert_int_equal(append(c->admin, &who, "ops", "deposit", 1, NULL),
	    TREASURY_OK);
	assert_int_equal(append(c->admin, &who, "ops", "deposit", 2, NULL),
	    TREASURY_OK);
	exec_ok(c->admin, "COMMIT");
	assert_int_equal(store_events_page(c->reader, 0, 10, event_count, &n,
	    &more), TREASURY_OK);
	assert_int_equal(n, 2);
	assert_int_equal(store_events_last_id(c->reader, &last), TREASURY_OK);
	assert_int_equal(last, 2);
	exec_ok(c->admin, "UPDATE journal SET payload = '{' || char(10) || '}'"
	    " WHERE seq = 2");
	assert_int_equal(store_journal_page(c->reader, 0, 10, entry_stop, NULL,
	    &more), TREASURY_ERR_DB_CORRUPT);
	exec_ok(c->admin, "UPDATE journal SET payload = '{}', type = 'X'"
	    " WHERE seq = 2");
	assert_int_equal(store_journal_page(c->reader, 1, 10, entry_stop, NULL,
	    &more), TREASURY_ERR_DB_CORRUPT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_append_chain, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_append_rollback_and_refusals,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_command_actor, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_tokens_own_transaction,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_token_create_bound, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_events_and_corrupt_rows,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
