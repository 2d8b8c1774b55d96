/*
 * test_db.c: the statement layer (storage/db.h) gives the same answers on
 * both of its drivers. Every case runs twice, on an in-memory SQLite
 * database and on PostgreSQL, through db.h alone, and asserts the same
 * values: binds and columns of every type, NULL, numbered and repeated
 * parameters, ? inside quotes and comments (not a parameter), reset and
 * clear_bindings, changes, constraint errors, transactions and savepoints.
 *
 * And the schema both engines make (schema parity): the same tables,
 * columns and NOT NULLs in a migrated SQLite database as in a new
 * PostgreSQL one, so that a migration added for SQLite alone fails here.
 *
 * PostgreSQL is the throwaway cluster of tests/pg/with-cluster.sh, which
 * ctest runs this program under (TREASURY_TEST_PG); without it the test
 * fails rather than skips.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <unistd.h>

#include "../../storage/db_pg.h"
#include "../../storage/db_sqlite.h"
#include "../../storage/store_int.h"

static const char table_sql[] =
    "CREATE TABLE t (id BIGINT PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
    " data BYTEA, n BIGINT)";

static int
open_sqlite(void **state)
{
	struct db *db = NULL;

	assert_int_equal(db_sqlite_open(":memory:", SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, &db), DB_OK);
	assert_int_equal(db_exec(db, table_sql), DB_OK);
	*state = db;
	return 0;
}

static int
open_pg(void **state)
{
	const char *conninfo = getenv("TREASURY_TEST_PG");
	struct db *db = NULL;
	int rc;

	if (conninfo == NULL) {
		fprintf(stderr, "TREASURY_TEST_PG is not set: run this test "
		    "under tests/pg/with-cluster.sh (ctest does)\n");
		return -1;
	}
	rc = db_pg_open(conninfo, &db);
	if (rc != DB_OK)
		fprintf(stderr, "cannot connect: %s\n", db != NULL ?
		    db_errmsg(db) : "out of memory");
	assert_int_equal(rc, DB_OK);
	assert_int_equal(db_exec(db, "DROP TABLE IF EXISTS t"), DB_OK);
	assert_int_equal(db_exec(db, table_sql), DB_OK);
	*state = db;
	return 0;
}

static int
close_db(void **state)
{
	assert_int_equal(db_close(*state), DB_OK);
	return 0;
}

static const uint8_t blob[] = { 0x00, 0x01, 0xff, 0x00, 0x5c, 0x78 };
static const char name_utf8[] = "Zoë's \"fund\" ? 10 €";

static void
insert(struct db *db, int64_t id, const char *name, const void *data,
    int data_len, int64_t n, bool n_null)
{
	struct db_stmt *st = NULL;

	assert_int_equal(db_prepare(db, "INSERT INTO t (id, name, data, n)"
	    " VALUES (?1, ?2, ?3, ?4)", &st), DB_OK);
	assert_int_equal(db_bind_parameter_count(st), 4);
	assert_int_equal(db_bind_int64(st, 1, id), DB_OK);
	assert_int_equal(db_bind_text(st, 2, name, -1, DB_TRANSIENT), DB_OK);
	if (data == NULL)
		assert_int_equal(db_bind_null(st, 3), DB_OK);
	else
		assert_int_equal(db_bind_blob(st, 3, data, data_len,
		    DB_STATIC), DB_OK);
	if (n_null)
		assert_int_equal(db_bind_null(st, 4), DB_OK);
	else
		assert_int_equal(db_bind_int64(st, 4, n), DB_OK);
	assert_int_equal(db_step(st), DB_DONE);
	assert_int_equal(db_changes(db), 1);
	assert_int_equal(db_finalize(st), DB_OK);
}

static int64_t
count_rows(struct db *db)
{
	struct db_stmt *st = NULL;
	int64_t n;

	assert_int_equal(db_prepare(db, "SELECT count(*) FROM t", &st), DB_OK);
	assert_int_equal(db_step(st), DB_ROW);
	assert_int_equal(db_column_type(st, 0), DB_INTEGER);
	n = db_column_int64(st, 0);
	assert_int_equal(db_step(st), DB_DONE);
	assert_int_equal(db_finalize(st), DB_OK);
	return n;
}

/* Every type in and out, with the extremes of int64 and a blob of NULs. */
static void
test_types_round_trip(void **state)
{
	struct db *db = *state;
	struct db_stmt *st = NULL;

	insert(db, INT64_MAX, name_utf8, blob, sizeof(blob), INT64_MIN, false);
	insert(db, -1, "empty", "", 0, 0, true);
	insert(db, 0, "null", NULL, 0, 0, true);
	assert_int_equal(db_prepare(db, "SELECT id, name, data, n FROM t"
	    " ORDER BY id DESC", &st), DB_OK);

	assert_int_equal(db_step(st), DB_ROW);
	assert_int_equal(db_column_type(st, 0), DB_INTEGER);
	assert_true(db_column_int64(st, 0) == INT64_MAX);
	assert_int_equal(db_column_type(st, 1), DB_TEXT);
	assert_string_equal((const char *)db_column_text(st, 1), name_utf8);
	assert_int_equal(db_column_bytes(st, 1), (int)strlen(name_utf8));
	assert_int_equal(db_column_type(st, 2), DB_BLOB);
	assert_memory_equal(db_column_blob(st, 2), blob, sizeof(blob));
	assert_int_equal(db_column_bytes(st, 2), (int)sizeof(blob));
	assert_true(db_column_int64(st, 3) == INT64_MIN);

	assert_int_equal(db_step(st), DB_ROW);
	assert_int_equal(db_column_int64(st, 0), 0);
	assert_int_equal(db_column_type(st, 2), DB_NULL);
	assert_null(db_column_blob(st, 2));
	assert_int_equal(db_column_bytes(st, 2), 0);
	assert_int_equal(db_column_type(st, 3), DB_NULL);
	assert_int_equal(db_column_int64(st, 3), 0);

	assert_int_equal(db_step(st), DB_ROW);
	assert_int_equal(db_column_int64(st, 0), -1);
	assert_int_equal(db_column_bytes(st, 2), 0);	/* empty, not NULL */

	assert_int_equal(db_step(st), DB_DONE);
	assert_int_equal(db_finalize(st), DB_OK);
}

/* Numbered parameters out of order and repeated; a ? in a string or a
 * comment is text. */
static void
test_parameters(void **state)
{
	struct db *db = *state;
	struct db_stmt *st = NULL;

	assert_int_equal(db_prepare(db, "SELECT ?2 || '?1' || ?1 /* ?3 */,"
	    " ?2 -- ?4\n", &st), DB_OK);
	assert_int_equal(db_bind_parameter_count(st), 2);
	assert_int_equal(db_bind_text(st, 1, "a", -1, DB_STATIC), DB_OK);
	assert_int_equal(db_bind_text(st, 2, "bcd", 1, DB_STATIC), DB_OK);
	assert_int_not_equal(db_bind_int64(st, 3, 1), DB_OK);
	assert_int_equal(db_step(st), DB_ROW);
	assert_string_equal((const char *)db_column_text(st, 0), "b?1a");
	assert_string_equal((const char *)db_column_text(st, 1), "b");
	assert_int_equal(db_step(st), DB_DONE);

	/* again with other values: reset keeps, clear_bindings drops */
	assert_int_equal(db_reset(st), DB_OK);
	assert_int_equal(db_bind_text(st, 2, "x", -1, DB_TRANSIENT), DB_OK);
	assert_int_equal(db_step(st), DB_ROW);
	assert_string_equal((const char *)db_column_text(st, 0), "x?1a");
	assert_int_equal(db_reset(st), DB_OK);
	assert_int_equal(db_clear_bindings(st), DB_OK);
	assert_int_equal(db_step(st), DB_ROW);
	assert_int_equal(db_column_type(st, 0), DB_NULL);
	assert_int_equal(db_column_type(st, 1), DB_NULL);
	assert_int_equal(db_finalize(st), DB_OK);
}

/* A unique key twice is DB_CONSTRAINT, and the connection goes on. */
static void
test_constraint(void **state)
{
	struct db *db = *state;
	struct db_stmt *st = NULL;
	int rc;

	insert(db, 1, "one", NULL, 0, 1, false);
	assert_int_equal(db_prepare(db, "INSERT INTO t (id, name) VALUES"
	    " (?1, ?2)", &st), DB_OK);
	db_bind_int64(st, 1, 2);
	db_bind_text(st, 2, "one", -1, DB_STATIC);
	rc = db_step(st);
	assert_int_equal(db_rc_primary(rc), DB_CONSTRAINT);
	assert_int_equal(db_rc_primary(db_extended_errcode(db)),
	    DB_CONSTRAINT);
	assert_true(strlen(db_errmsg(db)) > 0);
	assert_int_equal(db_rc_primary(db_reset(st)), DB_CONSTRAINT);
	db_bind_text(st, 2, "two", -1, DB_STATIC);
	assert_int_equal(db_step(st), DB_DONE);
	assert_int_equal(db_finalize(st), DB_OK);
	assert_int_equal(count_rows(db), 2);

	/* a NOT NULL column */
	assert_int_equal(db_rc_primary(db_exec(db, "INSERT INTO t (id)"
	    " VALUES (3)")), DB_CONSTRAINT);
	/* an error that is not a constraint */
	assert_int_equal(db_exec(db, "SELECT nothing FROM nowhere"), DB_ERROR);
	assert_int_not_equal(db_prepare(db, "SELEC 1", &st), DB_OK);
	assert_null(st);
}

/* changes, and what a transaction and its savepoints keep. */
static void
test_transactions(void **state)
{
	struct db *db = *state;

	insert(db, 1, "one", NULL, 0, 1, false);
	insert(db, 2, "two", NULL, 0, 2, false);
	assert_int_equal(db_exec(db, "UPDATE t SET n = n + 1"), DB_OK);
	assert_int_equal(db_changes(db), 2);
	assert_true(db_get_autocommit(db));

	assert_int_equal(db_exec(db, "BEGIN"), DB_OK);
	assert_false(db_get_autocommit(db));
	insert(db, 3, "three", NULL, 0, 3, false);
	assert_int_equal(db_exec(db, "SAVEPOINT cmd"), DB_OK);
	insert(db, 4, "four", NULL, 0, 4, false);
	assert_int_equal(count_rows(db), 4);
	assert_int_equal(db_exec(db, "ROLLBACK TO cmd"), DB_OK);
	assert_int_equal(db_exec(db, "RELEASE cmd"), DB_OK);
	assert_int_equal(db_exec(db, "COMMIT"), DB_OK);
	assert_true(db_get_autocommit(db));
	assert_int_equal(count_rows(db), 3);

	assert_int_equal(db_exec(db, "BEGIN; DELETE FROM t; ROLLBACK"), DB_OK);
	assert_int_equal(count_rows(db), 3);
}

/* "table.column notnull" lines of db's schema, sorted, into out. */
static void
columns(struct db *db, const char *sql, char *out, size_t size)
{
	struct db_stmt *st = NULL;
	size_t n = 0;
	int rc;

	out[0] = '\0';
	assert_int_equal(db_prepare(db, sql, &st), DB_OK);
	while ((rc = db_step(st)) == DB_ROW) {
		int w = snprintf(out + n, size - n, "%s.%s %d\n",
		    (const char *)db_column_text(st, 0),
		    (const char *)db_column_text(st, 1),
		    (int)db_column_int64(st, 2));

		assert_true(w > 0 && (size_t)w < size - n);
		n += (size_t)w;
	}
	assert_int_equal(rc, DB_DONE);
	assert_int_equal(db_finalize(st), DB_OK);
}

/* A URI of a new database of the test cluster (TREASURY_TEST_PG is
 * "host=DIR dbname=postgres user=NAME"). */
static void
pg_new_database(const char *name, char *uri, size_t size)
{
	const char *conninfo = getenv("TREASURY_TEST_PG");
	char host[256], user[64], sql[128];
	struct db *db = NULL;

	assert_non_null(conninfo);
	assert_int_equal(sscanf(conninfo, "host=%255s dbname=%*s user=%63s",
	    host, user), 2);
	assert_int_equal(db_pg_open(conninfo, &db), DB_OK);
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s", name);
	assert_int_equal(db_exec(db, sql), DB_OK);
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
	assert_int_equal(db_exec(db, sql), DB_OK);
	assert_int_equal(db_close(db), DB_OK);
	snprintf(uri, size, "postgresql:///%s?host=%s&user=%s", name, host,
	    user);
}

static void
test_schema_parity(void **state)
{
	static char lite_cols[16384], pg_cols[16384];
	char dir[] = "/tmp/test_db-XXXXXX", path[64], uri[512];
	char errmsg[STORE_ERRMSG_BYTES];
	struct store *lite = NULL, *pg = NULL;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/t.db", dir);
	assert_int_equal(store_open(path, STORE_READ_WRITE_CREATE, &lite,
	    errmsg), TREASURY_OK);
	pg_new_database("test_db_parity", uri, sizeof(uri));
	assert_int_equal(store_open(uri, STORE_READ_WRITE_CREATE, &pg, errmsg),
	    TREASURY_OK);
	assert_int_equal(store_pg_schema_version(), store_schema_version());
	/* a primary key column is NOT NULL in PostgreSQL, and in effect in
	 * SQLite (an INTEGER PRIMARY KEY is the rowid) */
	columns(lite->db, "SELECT m.name, p.name, p.\"notnull\" OR p.pk > 0"
	    " FROM sqlite_schema m, pragma_table_info(m.name) p"
	    " WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'"
	    " ORDER BY 1, 2", lite_cols, sizeof(lite_cols));
	/* what schema_pg.c adds: treasury_schema, the rowid columns */
	columns(pg->db, "SELECT table_name, column_name,"
	    " CASE is_nullable WHEN 'NO' THEN 1 ELSE 0 END"
	    " FROM information_schema.columns WHERE table_schema = 'public'"
	    " AND table_name <> 'treasury_schema' AND column_name <> 'rowid'"
	    " ORDER BY 1, 2", pg_cols, sizeof(pg_cols));
	assert_true(strlen(lite_cols) > 1000);	/* the whole schema */
	assert_string_equal(pg_cols, lite_cols);
	store_close(lite);
	store_close(pg);
	unlink(path);
	snprintf(path, sizeof(path), "%s/t.db-wal", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/t.db-shm", dir);
	unlink(path);
	rmdir(dir);
}

/* What a message may say of a URI: never a secret, whatever its form
 * (libpq's reading of it decides, not ours). */
static void
test_uri_shown_and_checked(void **state)
{
	static const struct { const char *uri, *shown; enum store_uri is; }
	    cases[] = {
		{ "postgresql://u:pw@h:5432/d?sslmode=require",
		  "PostgreSQL database \"d\" (host h, port 5432, user u)",
		  STORE_URI_SECRET },
		{ "postgres://u@h/d?password=pw",
		  "PostgreSQL database \"d\" (host h, user u)", STORE_URI_SECRET },
		{ "postgresql://u@h/d?sslkey=/k&sslpassword=pw",
		  "PostgreSQL database \"d\" (host h, user u)", STORE_URI_SECRET },
		{ "postgresql://u:s3cr?t@h/d",
		  "PostgreSQL database \"d\" (host h, user u)", STORE_URI_SECRET },
		{ "postgresql://u:pa#ss@h/d",
		  "PostgreSQL database \"d\" (host h, user u)", STORE_URI_SECRET },
		{ "postgresql://u@h/d?%70assword=pw",
		  "PostgreSQL database \"d\" (host h, user u)", STORE_URI_SECRET },
		{ "postgresql:///d?host=/run/pg",
		  "PostgreSQL database \"d\" (host /run/pg)", STORE_URI_OK },
		{ "postgresql://h1,h2/d?target_session_attrs=read-write",
		  "PostgreSQL database \"d\" (host h1,h2)", STORE_URI_OK },
		{ "postgresql://u:secret@[::1/db", "a PostgreSQL database",
		  STORE_URI_MALFORMED },
		{ "postgresql://u@h/d?x=sec%zzret", "a PostgreSQL database",
		  STORE_URI_MALFORMED },
	};
	char out[STORE_ERRMSG_BYTES];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		store_uri_shown(cases[i].uri, out);
		assert_string_equal(out, cases[i].shown);
		assert_int_equal(store_uri_check(cases[i].uri), cases[i].is);
	}
}

#define BOTH(fn) \
	cmocka_unit_test_setup_teardown(fn, open_sqlite, close_db), \
	cmocka_unit_test_setup_teardown(fn, open_pg, close_db)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_types_round_trip),
		BOTH(test_parameters),
		BOTH(test_constraint),
		BOTH(test_transactions),
		cmocka_unit_test(test_schema_parity),
		cmocka_unit_test(test_uri_shown_and_checked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
