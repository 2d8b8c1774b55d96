/*
 * test_storage.c: unit tests of storage/: file permissions, opening modes,
 * SQLite settings, migrations and refusals that leave a file untouched,
 * the meta row, and the token records.
 *
 * Each test gets a fresh mkdtemp directory under /tmp. Where a test must
 * see the store's own connection (per-connection PRAGMAs) it uses the
 * private header storage/store_int.h; everything else goes through a raw
 * sqlite3 connection or the file system.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "treasury/crypto_init.h"
#include "treasury/hash.h"
#include "treasury/hex.h"
#include "treasury/journal.h"
#include "treasury/storage.h"
#include "../../storage/db_sqlite.h"
#include "../../storage/store_int.h"

struct ctx {
	char dir[64];
	char db[128];
};

static int
setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	snprintf(c->dir, sizeof(c->dir), "/tmp/treasury-test-storage-XXXXXX");
	assert_non_null(mkdtemp(c->dir));
	snprintf(c->db, sizeof(c->db), "%s/t.db", c->dir);
	*state = c;
	return 0;
}

static int
teardown(void **state)
{
	struct ctx *c = *state;
	struct dirent *e;
	DIR *d;

	d = opendir(c->dir);
	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
	assert_int_equal(rmdir(c->dir), 0);
	free(c);
	return 0;
}

/* ---- helpers ---- */

static unsigned
file_mode(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return (unsigned)(st.st_mode & 07777);
}

static int
file_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static void
side_path(char *out, size_t size, const char *db, const char *suffix)
{
	int n = snprintf(out, size, "%s%s", db, suffix);

	assert_true(n > 0 && (size_t)n < size);
}

/* Whole file content; *len its size. */
static uint8_t *
file_read(const char *path, size_t *len)
{
	struct stat st;
	uint8_t *buf;
	FILE *f;

	assert_int_equal(stat(path, &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	assert_non_null(buf);
	f = fopen(path, "rb");
	assert_non_null(f);
	*len = fread(buf, 1, (size_t)st.st_size, f);
	assert_int_equal(*len, (size_t)st.st_size);
	fclose(f);
	return buf;
}

static void
file_write(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd = open(path, O_CREAT | O_EXCL | O_WRONLY, mode);

	assert_true(fd >= 0);
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

/* Assert the file has exactly these bytes. */
static void
file_assert_same(const char *path, const uint8_t *before, size_t before_len)
{
	size_t len;
	uint8_t *now = file_read(path, &len);

	assert_int_equal(len, before_len);
	assert_memory_equal(now, before, len);
	free(now);
}

static void
raw_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

/* sqlite3_exec's result for sql on path (the statement may fail). */
static int
raw_exec_rc(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	int rc;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	return rc;
}

/* First column of the first row of sql on db, as text (copied to out). */
static void
db_text(sqlite3 *db, const char *sql, char *out, size_t size)
{
	sqlite3_stmt *st = NULL;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	snprintf(out, size, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

static int
db_int(sqlite3 *db, const char *sql)
{
	char text[32];

	db_text(db, sql, text, sizeof(text));
	return (int)strtol(text, NULL, 10);
}

static int
raw_int(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	int v;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
	    SQLITE_OK);
	v = db_int(db, sql);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	return v;
}

static struct store *
open_ok(const char *path, enum store_mode mode)
{
	char errmsg[STORE_ERRMSG_BYTES];
	struct store *s = NULL;

	assert_int_equal(store_open(path, mode, &s, errmsg), TREASURY_OK);
	assert_string_equal(errmsg, "");
	assert_non_null(s);
	return s;
}

static void
create_and_close(const char *path)
{
	store_close(open_ok(path, STORE_READ_WRITE_CREATE));
}

/* Open must fail with err, name the path, write nothing to the file. */
static void
open_refused(const char *path, enum store_mode mode, treasury_err err,
    const char *needle)
{
	char errmsg[STORE_ERRMSG_BYTES];
	struct store *s = (struct store *)&s;	/* must be reset to NULL */
	uint8_t *before;
	size_t len;

	before = file_read(path, &len);
	assert_int_equal(store_open(path, mode, &s, errmsg), err);
	assert_null(s);
	assert_non_null(strstr(errmsg, path));
	if (needle != NULL)
		assert_non_null(strstr(errmsg, needle));
	assert_null(strchr(errmsg, '\n'));
	file_assert_same(path, before, len);
	free(before);
}

static void
hash_of(uint8_t hash[TOKEN_HASH_BYTES], uint8_t seed)
{
	memset(hash, seed, TOKEN_HASH_BYTES);
	hash[0] = 0xa5;
}

/* ---- opening ---- */

static void
test_create_0600_wal_full(void **state)
{
	struct ctx *c = *state;
	char side[160], text[32];
	struct store *s;
	mode_t old;

	old = umask(0);		/* the modes must not depend on the umask */
	s = open_ok(c->db, STORE_READ_WRITE_CREATE);
	umask(old);
	assert_int_equal(file_mode(c->db), 0600);
	side_path(side, sizeof(side), c->db, "-wal");
	assert_int_equal(file_mode(side), 0600);
	side_path(side, sizeof(side), c->db, "-shm");
	assert_int_equal(file_mode(side), 0600);

	/* Per-connection settings, on the store's own connection. */
	db_text(db_sqlite(s->db), "PRAGMA journal_mode", text, sizeof(text));
	assert_string_equal(text, "wal");
	assert_int_equal(db_int(db_sqlite(s->db), "PRAGMA synchronous"), 2);	/* FULL */
	assert_int_equal(db_int(db_sqlite(s->db), "PRAGMA foreign_keys"), 1);
	assert_int_equal(db_int(db_sqlite(s->db), "PRAGMA busy_timeout"),
	    STORE_BUSY_TIMEOUT_MS);
	assert_int_equal(db_int(db_sqlite(s->db), "PRAGMA cache_size"),
	    -STORE_WRITER_CACHE_KIB);		/* KiB, not pages */

	/* Persistent settings, through a raw connection. */
	assert_int_equal(raw_int(c->db, "PRAGMA user_version"),
	    store_schema_version());
	assert_int_equal(raw_int(c->db, "PRAGMA application_id"),
	    STORE_APPLICATION_ID);
	assert_int_equal(raw_int(c->db, "SELECT count(*) FROM meta"), 1);
	store_close(s);
	{
		sqlite3 *db = NULL;

		assert_int_equal(sqlite3_open(c->db, &db), SQLITE_OK);
		db_text(db, "PRAGMA journal_mode", text, sizeof(text));
		assert_string_equal(text, "wal");
		sqlite3_close(db);
	}
}

static void
test_reopen_keeps_instance_id(void **state)
{
	struct ctx *c = *state;
	uint8_t id1[INSTANCE_ID_BYTES], id2[INSTANCE_ID_BYTES];
	uint8_t key1[TOKEN_HASH_KEY_BYTES], key2[TOKEN_HASH_KEY_BYTES];
	struct store *s;

	s = open_ok(c->db, STORE_READ_WRITE_CREATE);
	store_instance_id(s, id1);
	store_token_hash_key(s, key1);
	store_close(s);

	s = open_ok(c->db, STORE_READ_WRITE);
	store_instance_id(s, id2);
	store_token_hash_key(s, key2);
	store_close(s);
	assert_memory_equal(id1, id2, sizeof(id1));
	assert_memory_equal(key1, key2, sizeof(key1));

	s = open_ok(c->db, STORE_READ_WRITE_CREATE);	/* exists: no new id */
	store_instance_id(s, id2);
	store_close(s);
	assert_memory_equal(id1, id2, sizeof(id1));

	s = open_ok(c->db, STORE_READ_ONLY);
	/* a reader's cache is emptied by others' commits: SQLite's default */
	assert_int_equal(db_int(db_sqlite(s->db), "PRAGMA cache_size"), -2000);
	store_instance_id(s, id2);
	store_token_hash_key(s, key2);
	store_close(s);
	assert_memory_equal(id1, id2, sizeof(id1));
	assert_memory_equal(key1, key2, sizeof(key1));
}

static void
test_instance_ids_differ(void **state)
{
	struct ctx *c = *state;
	uint8_t id1[INSTANCE_ID_BYTES], id2[INSTANCE_ID_BYTES];
	uint8_t key1[TOKEN_HASH_KEY_BYTES], key2[TOKEN_HASH_KEY_BYTES];
	uint8_t zero[INSTANCE_ID_BYTES] = { 0 };
	char other[160];
	struct store *s;

	snprintf(other, sizeof(other), "%s/other.db", c->dir);
	s = open_ok(c->db, STORE_READ_WRITE_CREATE);
	store_instance_id(s, id1);
	store_token_hash_key(s, key1);
	store_close(s);
	s = open_ok(other, STORE_READ_WRITE_CREATE);
	store_instance_id(s, id2);
	store_token_hash_key(s, key2);
	store_close(s);
	assert_int_equal(sizeof(id1), 32);
	assert_memory_not_equal(id1, id2, sizeof(id1));
	assert_memory_not_equal(key1, key2, sizeof(key1));
	assert_memory_not_equal(id1, key1, sizeof(id1));
	assert_memory_not_equal(id1, zero, sizeof(id1));
	assert_memory_not_equal(id2, zero, sizeof(id2));
}

static void
test_open_to_others_refused(void **state)
{
	struct ctx *c = *state;
	char side[160];

	create_and_close(c->db);
	assert_int_equal(chmod(c->db, 0644), 0);
	open_refused(c->db, STORE_READ_WRITE_CREATE, TREASURY_ERR_DB_PERMISSIONS,
	    "0644");
	open_refused(c->db, STORE_READ_WRITE, TREASURY_ERR_DB_PERMISSIONS,
	    "chmod 600");
	open_refused(c->db, STORE_READ_ONLY, TREASURY_ERR_DB_PERMISSIONS, NULL);
	assert_int_equal(file_mode(c->db), 0644);
	side_path(side, sizeof(side), c->db, "-wal");
	assert_false(file_exists(side));
	side_path(side, sizeof(side), c->db, "-shm");
	assert_false(file_exists(side));

	assert_int_equal(chmod(c->db, 0640), 0);	/* group alone is enough */
	open_refused(c->db, STORE_READ_WRITE, TREASURY_ERR_DB_PERMISSIONS,
	    "0640");
	assert_int_equal(chmod(c->db, 0602), 0);
	open_refused(c->db, STORE_READ_WRITE, TREASURY_ERR_DB_PERMISSIONS,
	    "0602");

	/* A -wal file open to others is refused too. */
	assert_int_equal(chmod(c->db, 0600), 0);
	side_path(side, sizeof(side), c->db, "-wal");
	file_write(side, "", 0, 0644);
	open_refused(c->db, STORE_READ_WRITE, TREASURY_ERR_DB_PERMISSIONS,
	    "-wal");
	assert_int_equal(unlink(side), 0);
	store_close(open_ok(c->db, STORE_READ_WRITE));
}

static void
test_missing_directory(void **state)
{
	struct ctx *c = *state;
	char path[160], want[STORE_ERRMSG_BYTES], errmsg[STORE_ERRMSG_BYTES];
	struct store *s = NULL;

	snprintf(path, sizeof(path), "%s/nope/t.db", c->dir);
	assert_int_equal(store_open(path, STORE_READ_WRITE_CREATE, &s, errmsg),
	    TREASURY_ERR_DB_OPEN);
	assert_null(s);
	snprintf(want, sizeof(want),
	    "cannot create database %s: No such file or directory", path);
	assert_string_equal(errmsg, want);
}

static void
test_missing_file_not_created(void **state)
{
	struct ctx *c = *state;
	char errmsg[STORE_ERRMSG_BYTES];
	struct store *s = NULL;

	assert_int_equal(store_open(c->db, STORE_READ_ONLY, &s, errmsg),
	    TREASURY_ERR_DB_OPEN);
	assert_null(s);
	assert_non_null(strstr(errmsg, c->db));
	assert_int_equal(store_open(c->db, STORE_READ_WRITE, &s, errmsg),
	    TREASURY_ERR_DB_OPEN);
	assert_null(s);
	assert_false(file_exists(c->db));
}

static void
test_newer_schema_refused(void **state)
{
	struct ctx *c = *state;
	char sql[64], side[160];

	/* One of ours, from a future version. */
	create_and_close(c->db);
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
	    store_schema_version() + 1);
	raw_exec(c->db, sql);
	side_path(side, sizeof(side), c->db, "-wal");
	assert_false(file_exists(side));	/* all of it in the main file */
	open_refused(c->db, STORE_READ_WRITE_CREATE,
	    TREASURY_ERR_DB_NEWER_SCHEMA, "newer treasuryd");
	open_refused(c->db, STORE_READ_WRITE, TREASURY_ERR_DB_NEWER_SCHEMA,
	    NULL);
	open_refused(c->db, STORE_READ_ONLY, TREASURY_ERR_DB_NEWER_SCHEMA, NULL);
	assert_int_equal(raw_int(c->db, "PRAGMA user_version"),
	    store_schema_version() + 1);
}

static void
test_newer_schema_rollback_journal_untouched(void **state)
{
	struct ctx *c = *state;
	char sql[64], text[32];
	sqlite3 *db = NULL;

	/* Not in WAL mode: even the WAL switch would be a write. */
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
	    store_schema_version() + 1);
	raw_exec(c->db, sql);
	assert_int_equal(chmod(c->db, 0600), 0);
	open_refused(c->db, STORE_READ_WRITE, TREASURY_ERR_DB_NEWER_SCHEMA,
	    NULL);
	assert_int_equal(sqlite3_open(c->db, &db), SQLITE_OK);
	db_text(db, "PRAGMA journal_mode", text, sizeof(text));
	assert_string_equal(text, "delete");
	sqlite3_close(db);
}

static void
test_migrate_empty_file(void **state)
{
	struct ctx *c = *state;
	struct store *s;
	int64_t n = -1;

	file_write(c->db, "", 0, 0600);
	s = open_ok(c->db, STORE_READ_WRITE);
	assert_int_equal(store_token_count(s, &n), TREASURY_OK);
	assert_int_equal(n, 0);
	store_close(s);
	assert_int_equal(file_mode(c->db), 0600);
	assert_int_equal(raw_int(c->db, "PRAGMA user_version"),
	    store_schema_version());
	assert_int_equal(raw_int(c->db, "SELECT count(*) FROM meta"), 1);
}

/* Back from schema 8 to 7: the journal gone, schema 3's events table and
 * its five triggers back (the triggers' bodies shortened: schema 8 only
 * drops them by name). */
/* Back from schema 9 to 8: the webhook tables (storage/webhooks.c). */
/* schema 10: the accounting tables */
#define SCHEMA_10_UNDO							\
	"DROP TABLE prices; DROP TABLE budget_alerts; DROP TABLE budgets;"	\
	"DROP TABLE ledger_days; DROP TABLE category_changes;"		\
	"DROP TABLE proposal_categories; DROP INDEX ledger_time;"	\
	"ALTER TABLE ledger DROP COLUMN category; DROP TABLE categories;"

#define SCHEMA_9_UNDO							\
	"DROP TABLE webhooks; DROP TABLE webhook_outbox;"		\
	"DROP TABLE webhook_deliveries; DROP TABLE webhook_fanout;"

#define SCHEMA_8_UNDO							\
	"DROP TABLE journal; DROP TABLE journal_checkpoints;"		\
	"CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT,"	\
	" type TEXT NOT NULL, treasury_id TEXT, data TEXT NOT NULL,"	\
	" created_at INTEGER NOT NULL) STRICT;"				\
	"CREATE TRIGGER events_proposal_created AFTER INSERT ON proposals"	\
	" BEGIN SELECT 1; END;"						\
	"CREATE TRIGGER events_proposal_status AFTER UPDATE OF status"	\
	" ON proposals BEGIN SELECT 1; END;"				\
	"CREATE TRIGGER events_vote AFTER INSERT ON votes"		\
	" BEGIN SELECT 1; END;"						\
	"CREATE TRIGGER events_deposit AFTER INSERT ON ledger"		\
	" BEGIN SELECT 1; END;"						\
	"CREATE TRIGGER events_config AFTER INSERT ON treasury_configs"	\
	" BEGIN SELECT 1; END;"

/* Schema 8 moves the events rows into the journal: ids kept as seq
 * (Last-Event-ID keeps its place), data as the payload, no actor, the
 * hash chain computed in id order; events and its triggers are gone. */
static void
test_migrate_events_to_journal(void **state)
{
	static const struct {
		int64_t id, time_s;
		const char *treasury, *type, *data;
	} ev[] = {
		{ 1, 1700000000, "t1", "treasury.created",
		  "{\"treasury\":\"t1\",\"config_version\":1,\"threshold\":2}" },
		{ 2, 1700000005, "t1", "deposit",
		  "{\"treasury\":\"t1\",\"ledger_seq\":1,\"asset\":\"BTC\","
		  "\"amount_minor\":\"5\",\"reference\":\"a\\\\b\\\"c\"}" },
		{ 3, 1700000009, NULL, "proposal.expired", "{\"x\":1}" },
	};
	struct ctx *c = *state;
	uint8_t hash[DIGEST_BYTES], got[DIGEST_BYTES];
	char sql[512];
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	size_t i;

	create_and_close(c->db);
	raw_exec(c->db, SCHEMA_10_UNDO SCHEMA_9_UNDO SCHEMA_8_UNDO
	    "PRAGMA user_version = 7;");
	for (i = 0; i < sizeof(ev) / sizeof(ev[0]); i++) {
		char *q = sqlite3_mprintf("INSERT INTO events (id, type,"
		    " treasury_id, data, created_at) VALUES (%lld, %Q, %Q, %Q,"
		    " %lld)", (long long)ev[i].id, ev[i].type, ev[i].treasury,
		    ev[i].data, (long long)ev[i].time_s);
		assert_non_null(q);
		raw_exec(c->db, q);
		sqlite3_free(q);
	}
	store_close(open_ok(c->db, STORE_READ_WRITE));
	assert_int_equal(raw_int(c->db, "PRAGMA user_version"),
	    store_schema_version());
	assert_int_equal(raw_int(c->db, "SELECT count(*) FROM"
	    " sqlite_schema WHERE name LIKE 'events%'"), 0);
	assert_int_equal(raw_int(c->db, "SELECT count(*) FROM journal"
	    " WHERE actor_token IS NULL AND actor_signer IS NULL"), 3);

	memset(hash, 0, sizeof(hash));
	assert_int_equal(sqlite3_open(c->db, &db), SQLITE_OK);
	snprintf(sql, sizeof(sql), "SELECT seq, created_at, treasury_id, type,"
	    " payload, hash FROM journal ORDER BY seq");
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	for (i = 0; i < sizeof(ev) / sizeof(ev[0]); i++) {
		struct journal_entry e;

		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int64(st, 0), ev[i].id);
		assert_int_equal(sqlite3_column_int64(st, 1), ev[i].time_s);
		if (ev[i].treasury == NULL)
			assert_int_equal(sqlite3_column_type(st, 2), SQLITE_NULL);
		else
			assert_string_equal(sqlite3_column_text(st, 2),
			    ev[i].treasury);
		assert_string_equal(sqlite3_column_text(st, 3), ev[i].type);
		assert_string_equal(sqlite3_column_text(st, 4), ev[i].data);
		memset(&e, 0, sizeof(e));
		e.seq = ev[i].id;
		e.time_s = ev[i].time_s;
		snprintf(e.treasury, sizeof(e.treasury), "%s",
		    ev[i].treasury != NULL ? ev[i].treasury : "");
		snprintf(e.type, sizeof(e.type), "%s", ev[i].type);
		e.payload = ev[i].data;
		e.payload_len = strlen(ev[i].data);
		assert_int_equal(journal_entry_hash(hash, hash, &e), TREASURY_OK);
		assert_int_equal(sqlite3_column_bytes(st, 5), DIGEST_BYTES);
		memcpy(got, sqlite3_column_blob(st, 5), DIGEST_BYTES);
		assert_memory_equal(got, hash, DIGEST_BYTES);
	}
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* Schema 5 converts the schema 3 idempotency rows (method, path, body
 * hash) into fingerprints, keeping outcome and stored response, so a key
 * still in retention replays across the upgrade. */
static void
test_migrate_idempotency_fingerprint(void **state)
{
	struct ctx *c = *state;
	uint8_t sha[DIGEST_BYTES], fp[DIGEST_BYTES];
	char want[2 * DIGEST_BYTES + 1], got[2 * DIGEST_BYTES + 1];
	sqlite3 *db = NULL;

	create_and_close(c->db);
	/* back to schema 4: later steps undone too (schema 6's column) */
	raw_exec(c->db, "ALTER TABLE tokens DROP COLUMN client_cert_sha256;"
	    "DROP INDEX idempotency_age; DROP TABLE idempotency;"
	    "CREATE TABLE idempotency (token_id INTEGER NOT NULL,"
	    " key TEXT NOT NULL, method TEXT NOT NULL, path TEXT NOT NULL,"
	    " body_sha256 BLOB NOT NULL, created_at INTEGER NOT NULL,"
	    " outcome_seq INTEGER NOT NULL, outcome_proposal BLOB NOT NULL,"
	    " outcome_status INTEGER NOT NULL,"
	    " outcome_approvals INTEGER NOT NULL,"
	    " outcome_rejections INTEGER NOT NULL,"
	    " outcome_replayed INTEGER NOT NULL,"
	    " outcome_token INTEGER NOT NULL, response_status INTEGER,"
	    " response_body TEXT, PRIMARY KEY (token_id, key)) STRICT;"
	    "CREATE INDEX idempotency_age ON idempotency (created_at);"
	    "INSERT INTO idempotency VALUES (7, 'k1', 'POST',"
	    " '/v1/treasuries/t1/deposits', zeroblob(32), 100, 3,"
	    " zeroblob(32), 0, 0, 0, 0, 0, 201, '{\"seq\":3}');"
	    "INSERT INTO idempotency VALUES (7, 'k2', 'POST', '/v1/tokens',"
	    " zeroblob(32), 100, 0, zeroblob(32), 0, 0, 0, 0, 9, NULL, NULL);"
	    SCHEMA_10_UNDO SCHEMA_9_UNDO SCHEMA_8_UNDO
	    "DROP TABLE clock_mark;"	/* schema 7 */
	    "PRAGMA user_version = 4;");
	store_close(open_ok(c->db, STORE_READ_WRITE));
	assert_int_equal(raw_int(c->db, "PRAGMA user_version"),
	    store_schema_version());
	assert_int_equal(raw_int(c->db, "SELECT count(*) FROM sqlite_schema"
	    " WHERE name = 'idempotency_v3'"), 0);
	/* schema 7 seeds the clock mark from the records: created_at 100 */
	assert_int_equal(raw_int(c->db, "SELECT high_s FROM clock_mark"), 100);
	assert_int_equal(raw_int(c->db, "SELECT count(*) FROM idempotency"), 2);
	assert_int_equal(raw_int(c->db, "SELECT outcome_seq + response_status"
	    " FROM idempotency WHERE key = 'k1'"), 3 + 201);
	assert_int_equal(raw_int(c->db, "SELECT outcome_token FROM idempotency"
	    " WHERE key = 'k2' AND response_body IS NULL"), 9);

	memset(sha, 0, sizeof(sha));
	idempotency_fingerprint(fp, "POST", "/v1/treasuries/t1/deposits", sha,
	    7);
	hex_encode(want, fp, sizeof(fp));
	assert_int_equal(sqlite3_open(c->db, &db), SQLITE_OK);
	db_text(db, "SELECT lower(hex(fingerprint)) FROM idempotency"
	    " WHERE key = 'k1'", got, sizeof(got));
	sqlite3_close(db);
	assert_string_equal(got, want);
}

static void
test_read_only_needs_migration(void **state)
{
	struct ctx *c = *state;

	file_write(c->db, "", 0, 0600);
	open_refused(c->db, STORE_READ_ONLY, TREASURY_ERR_DB,
	    "run the daemon once to migrate");
}

static void
test_not_a_database(void **state)
{
	struct ctx *c = *state;
	char junk[4096];

	memset(junk, 'x', sizeof(junk));
	file_write(c->db, junk, sizeof(junk), 0600);
	open_refused(c->db, STORE_READ_WRITE, TREASURY_ERR_DB_CORRUPT, NULL);
}

static void
test_foreign_database(void **state)
{
	struct ctx *c = *state;
	char other[160];

	raw_exec(c->db, "CREATE TABLE accounts (x)");
	assert_int_equal(chmod(c->db, 0600), 0);
	open_refused(c->db, STORE_READ_WRITE, TREASURY_ERR_DB_CORRUPT,
	    "refusing");

	snprintf(other, sizeof(other), "%s/other.db", c->dir);
	raw_exec(other, "PRAGMA application_id = 42");
	assert_int_equal(chmod(other, 0600), 0);
	open_refused(other, STORE_READ_WRITE, TREASURY_ERR_DB_CORRUPT,
	    "not a treasuryd database");
}

static void
test_meta_malformed(void **state)
{
	struct ctx *c = *state;
	char other[160];

	create_and_close(c->db);
	raw_exec(c->db, "PRAGMA ignore_check_constraints = ON;"
	    " UPDATE meta SET instance_id = zeroblob(31)");
	open_refused(c->db, STORE_READ_WRITE, TREASURY_ERR_DB_CORRUPT, "meta");
	open_refused(c->db, STORE_READ_ONLY, TREASURY_ERR_DB_CORRUPT, "meta");

	snprintf(other, sizeof(other), "%s/other.db", c->dir);
	create_and_close(other);
	raw_exec(other, "DELETE FROM meta");
	open_refused(other, STORE_READ_WRITE, TREASURY_ERR_DB_CORRUPT, "meta");
}

/* ---- tokens ---- */

struct seen {
	int calls;
	int stop_after;
	struct token_info t[4];
};

static int
collect(const struct token_info *t, void *ctx)
{
	struct seen *seen = ctx;

	assert_true(seen->calls < 4);
	seen->t[seen->calls++] = *t;
	return seen->calls == seen->stop_after;
}

static void
test_tokens(void **state)
{
	struct ctx *c = *state;
	uint8_t ha[TOKEN_HASH_BYTES], hb[TOKEN_HASH_BYTES], hx[TOKEN_HASH_BYTES];
	struct seen seen = { 0 };
	struct token_info t;
	struct store *s;
	int64_t n = -1, old_a;

	hash_of(ha, 1);
	hash_of(hb, 2);
	hash_of(hx, 3);
	s = open_ok(c->db, STORE_READ_WRITE_CREATE);
	assert_int_equal(store_token_insert(s, "alice", ROLE_ADMIN, ha, 1000),
	    TREASURY_OK);
	assert_int_equal(store_token_insert(s, "bob",
	    ROLE_TREASURER | ROLE_SIGNER, hb, 2000), TREASURY_OK);
	assert_int_equal(store_token_count(s, &n), TREASURY_OK);
	assert_int_equal(n, 2);

	assert_int_equal(store_token_find(s, hb, &t), TREASURY_OK);
	assert_string_equal(t.name, "bob");
	assert_int_equal(t.roles, ROLE_TREASURER | ROLE_SIGNER);
	assert_int_equal(t.created_s, 2000);
	assert_int_equal(store_token_find(s, hx, &t), TREASURY_ERR_NOT_FOUND);

	assert_int_equal(store_token_list(s, collect, &seen), TREASURY_OK);
	assert_int_equal(seen.calls, 2);
	assert_string_equal(seen.t[0].name, "alice");
	assert_string_equal(seen.t[1].name, "bob");
	assert_true(seen.t[0].id < seen.t[1].id);
	old_a = seen.t[0].id;
	memset(&seen, 0, sizeof(seen));
	seen.stop_after = 1;
	assert_int_equal(store_token_list(s, collect, &seen), TREASURY_OK);
	assert_int_equal(seen.calls, 1);

	/* Names and hashes are unique. */
	assert_int_equal(store_token_insert(s, "alice", ROLE_VIEWER, hx, 3000),
	    TREASURY_ERR_CONFLICT);
	assert_int_equal(store_token_insert(s, "carol", ROLE_VIEWER, ha, 3000),
	    TREASURY_ERR_CONFLICT);

	/* Revocation. */
	assert_int_equal(store_token_revoke(s, "alice"), TREASURY_OK);
	assert_int_equal(store_token_find(s, ha, &t), TREASURY_ERR_NOT_FOUND);
	assert_int_equal(store_token_revoke(s, "alice"), TREASURY_ERR_NOT_FOUND);
	assert_int_equal(store_token_revoke(s, "nobody"),
	    TREASURY_ERR_NOT_FOUND);
	assert_int_equal(store_token_count(s, &n), TREASURY_OK);
	assert_int_equal(n, 1);

	/* A revoked name is free again; ids are never reused. */
	assert_int_equal(store_token_insert(s, "alice", ROLE_VIEWER, hx, 4000),
	    TREASURY_OK);
	assert_int_equal(store_token_find(s, hx, &t), TREASURY_OK);
	assert_true(t.id > old_a);
	old_a = t.id;
	assert_int_equal(store_token_revoke(s, "alice"), TREASURY_OK);
	hash_of(ha, 4);
	assert_int_equal(store_token_insert(s, "alice", ROLE_VIEWER, ha, 5000),
	    TREASURY_OK);
	assert_int_equal(store_token_find(s, ha, &t), TREASURY_OK);
	assert_true(t.id > old_a);	/* the highest id was revoked, not reused */
	store_close(s);
}

/* Schema 6: a token bound to a client certificate carries its SHA-256
 * through find and list; unbinding clears it; the column holds 32 bytes
 * or NULL, anything else is DB_CORRUPT on read. */
static void
test_token_cert_binding(void **state)
{
	struct ctx *c = *state;
	uint8_t ha[TOKEN_HASH_BYTES], cert[CLIENT_CERT_SHA256_BYTES];
	struct seen seen = { 0 };
	struct token_info t;
	struct store *s;

	hash_of(ha, 1);
	memset(cert, 0xab, sizeof(cert));
	s = open_ok(c->db, STORE_READ_WRITE_CREATE);
	assert_int_equal(store_token_insert(s, "alice", ROLE_SIGNER, ha, 1000),
	    TREASURY_OK);
	assert_int_equal(store_token_find(s, ha, &t), TREASURY_OK);
	assert_false(t.cert_bound);
	assert_int_equal(store_token_bind(s, "alice", cert), TREASURY_OK);
	assert_int_equal(store_token_find(s, ha, &t), TREASURY_OK);
	assert_true(t.cert_bound);
	assert_memory_equal(t.cert_sha256, cert, sizeof(cert));
	assert_int_equal(store_token_list(s, collect, &seen), TREASURY_OK);
	assert_true(seen.t[0].cert_bound);
	assert_int_equal(store_token_bind(s, "alice", NULL), TREASURY_OK);
	assert_int_equal(store_token_find(s, ha, &t), TREASURY_OK);
	assert_false(t.cert_bound);
	assert_int_equal(store_token_bind(s, "nobody", cert),
	    TREASURY_ERR_NOT_FOUND);
	assert_int_equal(store_token_revoke(s, "alice"), TREASURY_OK);
	assert_int_equal(store_token_bind(s, "alice", cert),
	    TREASURY_ERR_NOT_FOUND);
	store_close(s);
	/* the CHECK refuses another length */
	assert_int_not_equal(raw_exec_rc(c->db, "UPDATE tokens SET"
	    " client_cert_sha256 = x'00'"), SQLITE_OK);
}

static void
test_token_names_and_roles(void **state)
{
	struct ctx *c = *state;
	char name[TOKEN_NAME_MAX_BYTES + 2];
	uint8_t h[TOKEN_HASH_BYTES];
	struct token_info t;
	struct store *s;

	s = open_ok(c->db, STORE_READ_WRITE_CREATE);
	memset(name, 'n', sizeof(name));
	name[TOKEN_NAME_MAX_BYTES + 1] = '\0';		/* 65 bytes */
	hash_of(h, 1);
	assert_int_equal(store_token_insert(s, name, ROLE_VIEWER, h, 1),
	    TREASURY_ERR_TOKEN_NAME);
	assert_int_equal(store_token_insert(s, "", ROLE_VIEWER, h, 1),
	    TREASURY_ERR_TOKEN_NAME);
	assert_int_equal(store_token_insert(s, "x", 0, h, 1), TREASURY_ERR_ROLE);
	assert_int_equal(store_token_insert(s, "x", ROLE_ALL + 1, h, 1),
	    TREASURY_ERR_ROLE);
	assert_int_equal(store_token_revoke(s, name), TREASURY_ERR_NOT_FOUND);
	name[TOKEN_NAME_MAX_BYTES] = '\0';		/* 64 bytes */
	assert_int_equal(store_token_insert(s, name, ROLE_ALL, h, 1),
	    TREASURY_OK);
	assert_int_equal(store_token_find(s, h, &t), TREASURY_OK);
	assert_string_equal(t.name, name);
	assert_int_equal(t.roles, ROLE_ALL);
	store_close(s);
}

static void
test_tokens_max(void **state)
{
	struct ctx *c = *state;
	uint8_t h[TOKEN_HASH_BYTES];
	char sql[256];
	struct store *s;
	int64_t n = 0;

	s = open_ok(c->db, STORE_READ_WRITE_CREATE);
	snprintf(sql, sizeof(sql), "WITH RECURSIVE i(k) AS (SELECT 1 UNION ALL"
	    " SELECT k + 1 FROM i WHERE k < %d) INSERT INTO tokens"
	    " (name, roles, hash, created_at) SELECT 't' || k, 8,"
	    " randomblob(32), 0 FROM i", TOKENS_MAX);
	assert_int_equal(sqlite3_exec(db_sqlite(s->db), sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(store_token_count(s, &n), TREASURY_OK);
	assert_int_equal(n, TOKENS_MAX);
	hash_of(h, 1);
	assert_int_equal(store_token_insert(s, "one-more", ROLE_VIEWER, h, 1),
	    TREASURY_ERR_TOO_LARGE);
	assert_int_equal(store_token_revoke(s, "t1"), TREASURY_OK);
	assert_int_equal(store_token_insert(s, "one-more", ROLE_VIEWER, h, 1),
	    TREASURY_OK);
	store_close(s);
}

static void
test_read_only_store(void **state)
{
	struct ctx *c = *state;
	uint8_t h[TOKEN_HASH_BYTES];
	struct store *w, *r;
	struct token_info t;
	int64_t n = 0;

	w = open_ok(c->db, STORE_READ_WRITE_CREATE);
	r = open_ok(c->db, STORE_READ_ONLY);
	hash_of(h, 1);
	assert_int_equal(store_token_insert(w, "alice", ROLE_ADMIN, h, 1),
	    TREASURY_OK);
	assert_int_equal(store_token_find(r, h, &t), TREASURY_OK);	/* sees it */
	assert_string_equal(t.name, "alice");
	hash_of(h, 2);
	assert_int_equal(store_token_insert(r, "bob", ROLE_ADMIN, h, 1),
	    TREASURY_ERR_DB);
	assert_int_equal(store_token_revoke(r, "alice"), TREASURY_ERR_DB);
	assert_int_equal(store_token_count(r, &n), TREASURY_OK);
	assert_int_equal(n, 1);
	store_close(r);
	store_close(w);

	/* Alone, after the writer closed and SQLite removed -wal and -shm. */
	r = open_ok(c->db, STORE_READ_ONLY);
	assert_int_equal(store_token_count(r, &n), TREASURY_OK);
	assert_int_equal(n, 1);
	store_close(r);
}

static void
test_corrupt_token_row(void **state)
{
	struct ctx *c = *state;
	uint8_t h[TOKEN_HASH_BYTES];
	struct seen seen = { 0 };
	struct token_info t;
	struct store *s;

	s = open_ok(c->db, STORE_READ_WRITE_CREATE);
	hash_of(h, 1);
	assert_int_equal(store_token_insert(s, "alice", ROLE_ADMIN, h, 1),
	    TREASURY_OK);
	assert_int_equal(sqlite3_exec(db_sqlite(s->db), "PRAGMA ignore_check_constraints"
	    " = ON; UPDATE tokens SET roles = 99", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(store_token_find(s, h, &t), TREASURY_ERR_DB_CORRUPT);
	assert_int_equal(store_token_list(s, collect, &seen),
	    TREASURY_ERR_DB_CORRUPT);
	assert_int_equal(seen.calls, 0);
	store_close(s);
}


/* ---- the file's identity (store_file_prepare, store_file_check, the
 * commit guard, the rescued copy) and quick_check ---- */

static void
touch_0600(const char *path)
{
	int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	close(fd);
}

static void
test_wal_without_database_not_created(void **state)
{
	struct ctx *c = *state;
	char side[160], errmsg[STORE_ERRMSG_BYTES];
	const char *suffixes[] = { "-wal", "-shm" };
	struct store *s = NULL;

	for (size_t i = 0; i < 2; i++) {
		snprintf(side, sizeof(side), "%s%s", c->db, suffixes[i]);
		touch_0600(side);
		assert_int_equal(store_file_prepare(c->db, errmsg),
		    TREASURY_ERR_DB_OPEN);
		assert_non_null(strstr(errmsg, "is missing but"));
		assert_non_null(strstr(errmsg, side));
		assert_int_equal(store_open(c->db, STORE_READ_WRITE_CREATE, &s,
		    errmsg), TREASURY_ERR_DB_OPEN);
		assert_null(s);
		assert_int_equal(access(c->db, F_OK), -1);	/* not created */
		assert_int_equal(unlink(side), 0);
	}
	assert_int_equal(store_file_prepare(c->db, errmsg), TREASURY_OK);
	assert_int_equal(file_mode(c->db), 0600);
}

static void
test_file_check_deleted_and_replaced(void **state)
{
	struct ctx *c = *state;
	char aside[160], detail[STORE_ERRMSG_BYTES];
	struct store_file_id id;
	struct store *s;

	s = open_ok(c->db, STORE_READ_WRITE_CREATE);
	store_file_id(s, &id);
	assert_int_equal(store_file_check(s, detail), TREASURY_OK);
	assert_int_equal(store_file_id_check(c->db, &id, detail), TREASURY_OK);
	snprintf(aside, sizeof(aside), "%s.aside", c->db);
	assert_int_equal(rename(c->db, aside), 0);
	assert_int_equal(store_file_check(s, detail),
	    TREASURY_ERR_STORAGE_UNAVAILABLE);
	assert_non_null(strstr(detail, "was deleted"));
	touch_0600(c->db);				/* another file */
	assert_int_equal(store_file_id_check(c->db, &id, detail),
	    TREASURY_ERR_STORAGE_UNAVAILABLE);
	assert_non_null(strstr(detail, "replaced by another file"));
	assert_int_equal(rename(aside, c->db), 0);	/* back */
	assert_int_equal(store_file_check(s, detail), TREASURY_OK);
	store_close(s);
}

static void
test_commit_refused_and_rescued_when_file_gone(void **state)
{
	struct ctx *c = *state;
	char aside[160], errmsg[STORE_ERRMSG_BYTES], rescued[PATH_MAX] = "";
	uint8_t h1[TOKEN_HASH_BYTES], h2[TOKEN_HASH_BYTES];
	struct dirent *e;
	struct store *s;
	int64_t n = -1;
	DIR *d;

	hash_of(h1, 1);
	hash_of(h2, 2);
	s = open_ok(c->db, STORE_READ_WRITE_CREATE);
	assert_int_equal(store_token_insert(s, "kept", ROLE_ADMIN, h1, 1000),
	    TREASURY_OK);
	snprintf(aside, sizeof(aside), "%s.aside", c->db);
	assert_int_equal(rename(c->db, aside), 0);
	/* The COMMIT of the autocommit INSERT is turned into a rollback. */
	assert_int_equal(store_token_insert(s, "lost", ROLE_ADMIN, h2, 2000),
	    TREASURY_ERR_STORAGE_UNAVAILABLE);
	assert_int_equal(store_token_count(s, &n), TREASURY_OK);
	assert_int_equal(n, 1);
	/* Closed while the file is gone: what it reads is saved. */
	store_close(s);
	d = opendir(c->dir);
	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strstr(e->d_name, ".rescued-") != NULL &&
		    strstr(e->d_name, "-wal") == NULL &&
		    strstr(e->d_name, "-shm") == NULL)
			snprintf(rescued, sizeof(rescued), "%s/%s", c->dir,
			    e->d_name);
	closedir(d);
	assert_true(rescued[0] != '\0');
	assert_int_equal(file_mode(rescued), 0600);
	assert_int_equal(store_open(rescued, STORE_READ_WRITE, &s, errmsg),
	    TREASURY_OK);
	assert_int_equal(store_token_count(s, &n), TREASURY_OK);
	assert_int_equal(n, 1);
	store_close(s);
}

/* Invert 16 bytes in the middle of the cell content of table's root
 * page (a leaf). */
static void
table_page_flip(const char *path, const char *table)
{
	unsigned char page[4096];
	sqlite3_stmt *st;
	sqlite3 *db;
	long root;
	unsigned content, middle;
	FILE *f;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT rootpage FROM "
	    "sqlite_schema WHERE name = ?", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	root = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	f = fopen(path, "r+b");
	assert_non_null(f);
	assert_int_equal(fseek(f, (root - 1) * (long)sizeof(page), SEEK_SET), 0);
	assert_int_equal(fread(page, 1, sizeof(page), f), sizeof(page));
	assert_int_equal(page[0], 0x0d);		/* a table leaf */
	content = (unsigned)page[5] << 8 | page[6];
	middle = content + ((unsigned)sizeof(page) - content) / 2;
	for (unsigned i = middle; i < middle + 16; i++)
		page[i] ^= 0xff;
	assert_int_equal(fseek(f, (root - 1) * (long)sizeof(page), SEEK_SET), 0);
	assert_int_equal(fwrite(page, 1, sizeof(page), f), sizeof(page));
	assert_int_equal(fclose(f), 0);
}

static void
test_quick_check(void **state)
{
	struct ctx *c = *state;
	char errmsg[STORE_ERRMSG_BYTES], name[32];
	uint8_t h[TOKEN_HASH_BYTES];
	bool cut_short = true;
	struct store *s;

	s = open_ok(c->db, STORE_READ_WRITE_CREATE);
	for (int i = 0; i < 24; i++) {
		hash_of(h, (unsigned)i + 1);
		snprintf(name, sizeof(name), "token-%02d", i);
		assert_int_equal(store_token_insert(s, name, ROLE_VIEWER, h,
		    1000 + i), TREASURY_OK);
	}
	assert_int_equal(store_quick_check(s, 60, &cut_short, errmsg),
	    TREASURY_OK);
	assert_false(cut_short);
	assert_int_equal(store_quick_check(s, 0, &cut_short, errmsg),
	    TREASURY_OK);				/* no limit */
	store_close(s);					/* checkpointed */
	table_page_flip(c->db, "tokens");
	s = open_ok(c->db, STORE_READ_WRITE);
	assert_int_equal(store_quick_check(s, 60, &cut_short, errmsg),
	    TREASURY_ERR_DB_CORRUPT);
	assert_non_null(strstr(errmsg, "fails PRAGMA quick_check"));
	assert_non_null(strstr(errmsg, c->db));
	store_close(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_create_0600_wal_full),
		T(test_reopen_keeps_instance_id),
		T(test_instance_ids_differ),
		T(test_open_to_others_refused),
		T(test_missing_directory),
		T(test_missing_file_not_created),
		T(test_newer_schema_refused),
		T(test_newer_schema_rollback_journal_untouched),
		T(test_migrate_empty_file),
		T(test_read_only_needs_migration),
		T(test_migrate_idempotency_fingerprint),
		T(test_migrate_events_to_journal),
		T(test_not_a_database),
		T(test_foreign_database),
		T(test_meta_malformed),
		T(test_tokens),
		T(test_token_cert_binding),
		T(test_token_names_and_roles),
		T(test_tokens_max),
		T(test_read_only_store),
		T(test_corrupt_token_row),
		T(test_wal_without_database_not_created),
		T(test_file_check_deleted_and_replaced),
		T(test_commit_refused_and_rescued_when_file_gone),
		T(test_quick_check),
#undef T
	};

	if (treasury_crypto_init() != TREASURY_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
