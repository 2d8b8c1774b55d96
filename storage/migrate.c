/*
 * migrate.c: an SQLite treasury copied into a new PostgreSQL database
 * (issue 17, `treasuryd migrate`), then verified row by row.
 *
 * The copy is one transaction on the destination under its write lock:
 * every table of the source, in the order schema_pg.c made the tables
 * (so that a row's foreign keys exist before it), its rows in the order
 * SQLite keeps them (by rowid: PostgreSQL's "rowid" columns number them
 * the same way), every column as it is stored (integer, text, blob,
 * NULL). The destination's seeded rows (meta, clock_mark,
 * webhook_fanout) are replaced by the source's, so the instance id and
 * the token hash key come along and every token still verifies. Identity
 * sequences continue after the source's AUTOINCREMENT high-water marks
 * (sqlite_sequence), so an id is never handed out twice.
 *
 * The verification reads both databases again, each table ordered by
 * every column (NULLs first, text and blobs bytewise on both engines),
 * and compares the counts and a SHA-256 over every value's type and
 * bytes: equal, or the migration is reported failed (the destination is
 * then the operator's to drop).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "treasury/maintenance.h"

#include "engine_int.h"

/* Columns a table may have (the widest, ledger, has 14). */
enum { MIGRATE_COLUMNS_MAX = 32, MIGRATE_SQL_BYTES = 4096 };

struct table {
	char name[64];
	int ncols;
	char cols[MIGRATE_COLUMNS_MAX][64];
	bool rowid;			/* SQLite keeps its rows by rowid */
};

static treasury_err
fail_db(struct db *db, const char *what, char errmsg[STORE_ERRMSG_BYTES])
{
	store_errmsg_set(errmsg, "%s: %s", what, db_errmsg(db));
	return TREASURY_ERR_DB;
}

/* The source's columns of t->name, in their order. */
static treasury_err
columns_load(struct db *src, struct table *t, char errmsg[STORE_ERRMSG_BYTES])
{
	struct db_stmt *st = NULL;
	const unsigned char *name;
	int rc;

	t->ncols = 0;
	rc = db_prepare(src, "SELECT name FROM pragma_table_info(?1)"
	    " ORDER BY cid", &st);
	if (rc == DB_OK)
		rc = db_bind_text(st, 1, t->name, -1, DB_STATIC);
	while (rc == DB_OK && (rc = db_step(st)) == DB_ROW) {
		name = db_column_text(st, 0);
		if (name == NULL || t->ncols == MIGRATE_COLUMNS_MAX ||
		    strlen((const char *)name) >= sizeof(t->cols[0])) {
			db_finalize(st);
			store_errmsg_set(errmsg, "table %s: unexpected columns",
			    t->name);
			return TREASURY_ERR_DB_CORRUPT;
		}
		snprintf(t->cols[t->ncols++], sizeof(t->cols[0]), "%s", name);
		rc = DB_OK;
	}
	db_finalize(st);
	if (rc != DB_DONE)
		return fail_db(src, "reading the source's columns", errmsg);
	if (t->ncols == 0) {
		store_errmsg_set(errmsg, "table %s: missing in the source",
		    t->name);
		return TREASURY_ERR_DB_CORRUPT;
	}
	return TREASURY_OK;
}

/* "a, b, c" of t's columns into out; with " NULLS FIRST" after each when
 * order is set (an ORDER BY every column). */
static void
column_list(const struct table *t, bool order, char *out, size_t size)
{
	size_t n = 0;

	out[0] = '\0';
	for (int i = 0; i < t->ncols && n < size; i++)
		n += (size_t)snprintf(out + n, size - n, "%s%s%s",
		    i > 0 ? ", " : "", t->cols[i], order ? " NULLS FIRST" : "");
}

/* Bind column col of the source row at from as parameter i of to. */
static int
value_copy(struct db_stmt *from, int col, struct db_stmt *to, int i)
{
	switch (db_column_type(from, col)) {
	case DB_INTEGER:
		return db_bind_int64(to, i, db_column_int64(from, col));
	case DB_TEXT:
		return db_bind_text(to, i, (const char *)db_column_text(from,
		    col), db_column_bytes(from, col), DB_TRANSIENT);
	case DB_BLOB:
		return db_bind_blob(to, i, db_column_blob(from, col),
		    db_column_bytes(from, col), DB_TRANSIENT);
	case DB_NULL:
		return db_bind_null(to, i);
	default:
		return DB_CORRUPT;	/* the schema stores no floats */
	}
}

/* Copy every row of t from src to dst (inside dst's transaction). */
static treasury_err
table_copy(struct db *src, struct db *dst, const struct table *t,
    int64_t *rows, char errmsg[STORE_ERRMSG_BYTES])
{
	char cols[MIGRATE_SQL_BYTES / 2], sql[MIGRATE_SQL_BYTES];
	struct db_stmt *sel = NULL, *ins = NULL;
	size_t n;
	int rc;

	column_list(t, false, cols, sizeof(cols));
	snprintf(sql, sizeof(sql), "SELECT %s FROM %s%s", cols, t->name,
	    t->rowid ? " ORDER BY rowid" : "");
	rc = db_prepare(src, sql, &sel);
	if (rc != DB_OK)
		return fail_db(src, "reading the source", errmsg);
	n = (size_t)snprintf(sql, sizeof(sql), "INSERT INTO %s (%s) VALUES (",
	    t->name, cols);
	for (int i = 1; i <= t->ncols && n < sizeof(sql); i++)
		n += (size_t)snprintf(sql + n, sizeof(sql) - n, "%s?%d",
		    i > 1 ? ", " : "", i);
	if (n < sizeof(sql))
		snprintf(sql + n, sizeof(sql) - n, ")");
	rc = db_prepare(dst, sql, &ins);
	while (rc == DB_OK && (rc = db_step(sel)) == DB_ROW) {
		for (int i = 0; i < t->ncols && rc == DB_ROW; i++)
			if (value_copy(sel, i, ins, i + 1) != DB_OK)
				rc = DB_CORRUPT;
		if (rc == DB_ROW)
			rc = db_step(ins);
		if (rc == DB_DONE) {
			rc = db_reset(ins);
			(*rows)++;
		}
	}
	db_finalize(sel);
	db_finalize(ins);
	if (rc != DB_DONE) {
		store_errmsg_set(errmsg, "copying table %s: %s", t->name,
		    rc == DB_CORRUPT ? "a value of an unexpected type" :
		    db_errmsg(dst));
		return rc == DB_CORRUPT ? TREASURY_ERR_DB_CORRUPT :
		    TREASURY_ERR_DB;
	}
	return TREASURY_OK;
}

/* Whether the source keeps t's rows by rowid (not WITHOUT ROWID). */
static bool
has_rowid(struct db *src, const struct table *t)
{
	char sql[sizeof(t->name) + 32];
	struct db_stmt *st = NULL;
	bool yes;

	snprintf(sql, sizeof(sql), "SELECT rowid FROM %.*s LIMIT 1",
	    (int)sizeof(t->name) - 1, t->name);
	yes = db_prepare(src, sql, &st) == DB_OK;
	db_finalize(st);
	return yes;
}

/* Whether the source has exactly count tables of its own. */
static treasury_err
source_tables_are(struct db *src, int count, char errmsg[STORE_ERRMSG_BYTES])
{
	struct db_stmt *st = NULL;
	int64_t n = -1;
	int rc;

	rc = db_prepare(src, "SELECT count(*) FROM sqlite_schema WHERE"
	    " type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'", &st);
	if (rc == DB_OK && (rc = db_step(st)) == DB_ROW)
		n = db_column_int64(st, 0);
	db_finalize(st);
	if (rc != DB_ROW)
		return fail_db(src, "listing the source's tables", errmsg);
	if (count == 0 || n != count) {
		store_errmsg_set(errmsg, "the source has %lld tables, the "
		    "destination's schema %d: not the same schema",
		    (long long)n, count);
		return TREASURY_ERR_DB;
	}
	return TREASURY_OK;
}

/* The tables of dst in the order they were made (foreign keys first),
 * but for the version table of its own. */
static treasury_err
tables_load(struct db *src, struct db *dst, struct table *t, int max,
    int *count, char errmsg[STORE_ERRMSG_BYTES])
{
	struct db_stmt *st = NULL;
	const unsigned char *name;
	treasury_err err;
	int rc;

	*count = 0;
	/* the schema the store made them in: the first of search_path */
	rc = db_prepare(dst, "SELECT relname FROM pg_class WHERE relkind = 'r'"
	    " AND relnamespace = current_schema()::regnamespace"
	    " AND relname <> 'treasury_schema' ORDER BY oid", &st);
	while (rc == DB_OK && (rc = db_step(st)) == DB_ROW) {
		if (*count == max) {
			db_finalize(st);
			store_errmsg_set(errmsg, "more tables than %d", max);
			return TREASURY_ERR_INTERNAL;
		}
		name = db_column_text(st, 0);
		if (name == NULL || strlen((const char *)name) >=
		    sizeof(t[0].name)) {
			db_finalize(st);
			store_errmsg_set(errmsg, "a table name of the "
			    "destination is too long");
			return TREASURY_ERR_INTERNAL;
		}
		memcpy(t[*count].name, name, strlen((const char *)name) + 1);
		(*count)++;
		rc = DB_OK;
	}
	db_finalize(st);
	if (rc != DB_DONE)
		return fail_db(dst, "listing the destination's tables", errmsg);
	for (int i = 0; i < *count; i++) {
		err = columns_load(src, &t[i], errmsg);
		if (err != TREASURY_OK)
			return err;
		t[i].rowid = has_rowid(src, &t[i]);
	}
	/* every one of the destination's is the source's (columns_load);
	 * the same number: the same set */
	return source_tables_are(src, *count, errmsg);
}

/* The destination holds nothing but what a new schema seeds. */
static treasury_err
destination_empty(struct db *dst, const char *where,
    char errmsg[STORE_ERRMSG_BYTES])
{
	struct db_stmt *st = NULL;
	int rc;

	rc = db_prepare(dst, "SELECT (SELECT count(*) FROM tokens) +"
	    " (SELECT count(*) FROM journal) + (SELECT count(*) FROM assets)"
	    " + (SELECT count(*) FROM treasuries)", &st);
	if (rc == DB_OK)
		rc = db_step(st);
	if (rc == DB_ROW && db_column_int64(st, 0) == 0) {
		db_finalize(st);
		return TREASURY_OK;
	}
	db_finalize(st);
	if (rc != DB_ROW)
		return fail_db(dst, "reading the destination", errmsg);
	store_errmsg_set(errmsg, "%s is not empty (it has tokens, journal "
	    "entries, assets or treasuries): migrate into a new database",
	    where);
	return TREASURY_ERR_CONFLICT;
}

/* Identity sequences after the source's ids and AUTOINCREMENT marks. */
static treasury_err
sequences_set(struct db *src, struct db *dst, char errmsg[STORE_ERRMSG_BYTES])
{
	static const char *const ids[][2] = {
		{ "tokens", "id" }, { "ledger", "seq" }, { "webhooks", "id" },
		{ "webhook_deliveries", "id" }, { "category_changes", "id" },
	};
	char sql[256];
	struct db_stmt *st = NULL;
	int64_t mark;
	int rc;

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		mark = 0;
		rc = db_prepare(src, "SELECT seq FROM sqlite_sequence WHERE"
		    " name = ?1", &st);
		if (rc == DB_OK)
			rc = db_bind_text(st, 1, ids[i][0], -1, DB_STATIC);
		if (rc == DB_OK && (rc = db_step(st)) == DB_ROW)
			mark = db_column_int64(st, 0);
		db_finalize(st);
		st = NULL;
		if (rc != DB_ROW && rc != DB_DONE)
			return fail_db(src, "reading sqlite_sequence", errmsg);
		snprintf(sql, sizeof(sql), "SELECT setval(pg_get_serial_sequence("
		    "'%s', '%s'), greatest(%" PRId64 ", (SELECT coalesce(max(%s),"
		    " 0) FROM %s)) + 1, false)", ids[i][0], ids[i][1], mark,
		    ids[i][1], ids[i][0]);
		rc = db_prepare(dst, sql, &st);
		if (rc == DB_OK)
			rc = db_step(st);
		db_finalize(st);
		st = NULL;
		if (rc != DB_ROW)
			return fail_db(dst, "setting the id sequences", errmsg);
	}
	return TREASURY_OK;
}

/* Count and SHA-256 of every row of t in db, ordered by every column. */
static treasury_err
table_digest(struct db *db, const struct table *t, int64_t *rows,
    uint8_t digest[crypto_hash_sha256_BYTES],
    char errmsg[STORE_ERRMSG_BYTES])
{
	char cols[MIGRATE_SQL_BYTES / 2], order[MIGRATE_SQL_BYTES / 2];
	char sql[2 * MIGRATE_SQL_BYTES];	/* both lists and the name fit */
	crypto_hash_sha256_state h;
	struct db_stmt *st = NULL;
	uint8_t head[5];
	const void *p;
	char num[24];
	int rc, type, len;

	column_list(t, false, cols, sizeof(cols));
	column_list(t, true, order, sizeof(order));
	snprintf(sql, sizeof(sql), "SELECT %s FROM %.*s ORDER BY %s", cols,
	    (int)sizeof(t->name) - 1, t->name, order);
	crypto_hash_sha256_init(&h);
	*rows = 0;
	rc = db_prepare(db, sql, &st);
	while (rc == DB_OK && (rc = db_step(st)) == DB_ROW) {
		for (int i = 0; i < t->ncols; i++) {
			type = db_column_type(st, i);
			if (type == DB_INTEGER) {
				len = snprintf(num, sizeof(num), "%" PRId64,
				    db_column_int64(st, i));
				p = num;
			} else if (type == DB_NULL) {
				len = 0;
				p = "";
			} else {
				p = type == DB_BLOB ? db_column_blob(st, i) :
				    (const void *)db_column_text(st, i);
				len = db_column_bytes(st, i);
			}
			head[0] = (uint8_t)type;
			head[1] = (uint8_t)(len >> 24);
			head[2] = (uint8_t)(len >> 16);
			head[3] = (uint8_t)(len >> 8);
			head[4] = (uint8_t)len;
			crypto_hash_sha256_update(&h, head, sizeof(head));
			crypto_hash_sha256_update(&h, p, (size_t)len);
		}
		(*rows)++;
		rc = DB_OK;
	}
	db_finalize(st);
	if (rc != DB_DONE)
		return fail_db(db, "verifying", errmsg);
	crypto_hash_sha256_final(&h, digest);
	return TREASURY_OK;
}

static treasury_err
verify(struct db *src, struct db *dst, const struct table *t, int count,
    char errmsg[STORE_ERRMSG_BYTES])
{
	uint8_t a[crypto_hash_sha256_BYTES], b[crypto_hash_sha256_BYTES];
	int64_t na, nb;
	treasury_err err;

	for (int i = 0; i < count; i++) {
		err = table_digest(src, &t[i], &na, a, errmsg);
		if (err == TREASURY_OK)
			err = table_digest(dst, &t[i], &nb, b, errmsg);
		if (err != TREASURY_OK)
			return err;
		if (na != nb || memcmp(a, b, sizeof(a)) != 0) {
			store_errmsg_set(errmsg, "table %s differs after the "
			    "copy (%" PRId64 " rows in the source, %" PRId64
			    " in the destination)", t[i].name, na, nb);
			return TREASURY_ERR_DB_CORRUPT;
		}
	}
	return TREASURY_OK;
}

treasury_err
store_migrate_to_pg(const char *from_path, const char *to_uri,
    struct migrate_report *r, char errmsg[STORE_ERRMSG_BYTES])
{
	struct table t[48];
	struct store *src = NULL, *dst = NULL;
	char where[STORE_ERRMSG_BYTES];
	treasury_err err;
	int count = 0;

	memset(r, 0, sizeof(*r));
	errmsg[0] = '\0';
	if (store_path_is_postgresql(from_path) ||
	    !store_path_is_postgresql(to_uri)) {
		store_errmsg_set(errmsg, "migrate copies an SQLite file into a "
		    "PostgreSQL database (postgresql://...)");
		return TREASURY_ERR_DB_OPEN;
	}
	store_uri_shown(to_uri, where);
	err = store_open(from_path, STORE_READ_ONLY, &src, errmsg);
	if (err == TREASURY_OK)
		err = store_open(to_uri, STORE_READ_WRITE_CREATE, &dst, errmsg);
	if (err == TREASURY_OK)
		err = store_stmt_run(dst, STMT_BEGIN_IMMEDIATE);
	if (err == TREASURY_OK)
		err = destination_empty(dst->db, where, errmsg);
	if (err == TREASURY_OK)
		err = tables_load(src->db, dst->db, t, 48, &count, errmsg);
	/* the rows a new schema seeds give way to the source's */
	if (err == TREASURY_OK && db_exec(dst->db, "DELETE FROM meta;"
	    " DELETE FROM clock_mark; DELETE FROM webhook_fanout") != DB_OK)
		err = fail_db(dst->db, "emptying the destination", errmsg);
	for (int i = 0; i < count && err == TREASURY_OK; i++)
		err = table_copy(src->db, dst->db, &t[i], &r->rows, errmsg);
	if (err == TREASURY_OK)
		err = sequences_set(src->db, dst->db, errmsg);
	if (err == TREASURY_OK && store_stmt_run(dst, STMT_COMMIT) !=
	    TREASURY_OK)
		err = fail_db(dst->db, "COMMIT", errmsg);
	if (err == TREASURY_OK) {
		r->tables = (unsigned)count;
		err = verify(src->db, dst->db, t, count, errmsg);
	}
	if (dst != NULL && !db_get_autocommit(dst->db) &&
	    store_stmt_run(dst, STMT_ROLLBACK) != TREASURY_OK)
		err = err != TREASURY_OK ? err : TREASURY_ERR_DB;
	store_close(src);
	store_close(dst);
	return err;
}
