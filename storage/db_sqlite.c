/*
 * db_sqlite.c: db.h on SQLite, one call to one call. The result codes and
 * column types of db.h are SQLite's own numbers, checked here at compile
 * time, so nothing is translated on the way.
 */
#include <assert.h>
#include <stdlib.h>

#include "db_int.h"
#include "db_sqlite.h"

static_assert(DB_OK == SQLITE_OK && DB_ERROR == SQLITE_ERROR &&
    DB_INTERNAL == SQLITE_INTERNAL && DB_BUSY == SQLITE_BUSY &&
    DB_NOMEM == SQLITE_NOMEM && DB_INTERRUPT == SQLITE_INTERRUPT &&
    DB_IOERR == SQLITE_IOERR && DB_CORRUPT == SQLITE_CORRUPT &&
    DB_FULL == SQLITE_FULL && DB_CANTOPEN == SQLITE_CANTOPEN &&
    DB_CONSTRAINT == SQLITE_CONSTRAINT && DB_NOTADB == SQLITE_NOTADB &&
    DB_ROW == SQLITE_ROW && DB_DONE == SQLITE_DONE,
    "db.h result codes are SQLite's");
static_assert(DB_IOERR_WRITE == SQLITE_IOERR_WRITE &&
    DB_IOERR_SHMSIZE == SQLITE_IOERR_SHMSIZE &&
    DB_CONSTRAINT_COMMITHOOK == SQLITE_CONSTRAINT_COMMITHOOK &&
    DB_CONSTRAINT_PRIMARYKEY == SQLITE_CONSTRAINT_PRIMARYKEY &&
    DB_CONSTRAINT_UNIQUE == SQLITE_CONSTRAINT_UNIQUE,
    "db.h extended codes are SQLite's");
static_assert(DB_INTEGER == SQLITE_INTEGER && DB_FLOAT == SQLITE_FLOAT &&
    DB_TEXT == SQLITE_TEXT && DB_BLOB == SQLITE_BLOB &&
    DB_NULL == SQLITE_NULL, "db.h column types are SQLite's");

struct lite {
	struct db base;
	sqlite3 *handle;
};

struct lite_stmt {
	struct db_stmt base;
	sqlite3_stmt *handle;
};

static const struct db_driver lite_driver;

static sqlite3 *
lite(const struct db *db)
{
	assert(db->driver == &lite_driver);
	return ((const struct lite *)db)->handle;
}

static sqlite3_stmt *
lite_stmt(struct db_stmt *st)
{
	assert(st->driver == &lite_driver);
	return ((struct lite_stmt *)st)->handle;
}

sqlite3 *
db_sqlite(struct db *db)
{
	return db == NULL ? NULL : lite(db);
}

sqlite3_stmt *
db_sqlite_stmt(struct db_stmt *st)
{
	return lite_stmt(st);
}

int
db_sqlite_open(const char *path, int flags, struct db **out)
{
	struct lite *c;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return DB_NOMEM;
	c->base.driver = &lite_driver;
	*out = &c->base;
	return sqlite3_open_v2(path, &c->handle, flags, NULL);
}

/* Not the driver's: the codes are SQLite's, so are their words. */
const char *
db_errstr(int rc)
{
	return sqlite3_errstr(rc);
}

static sqlite3_destructor_type
lifetime(enum db_lifetime life)
{
	return life == DB_STATIC ? SQLITE_STATIC : SQLITE_TRANSIENT;
}

static int
lite_close(struct db *db)
{
	int rc = sqlite3_close(lite(db));

	if (rc == SQLITE_OK)
		free(db);
	return rc;
}

static int
lite_exec(struct db *db, const char *sql)
{
	return sqlite3_exec(lite(db), sql, NULL, NULL, NULL);
}

static const char *
lite_errmsg(const struct db *db)
{
	return sqlite3_errmsg(lite(db));
}

static int
lite_extended_errcode(const struct db *db)
{
	return sqlite3_extended_errcode(lite(db));
}

static int
lite_system_errno(const struct db *db)
{
	return sqlite3_system_errno(lite(db));
}

static bool
lite_get_autocommit(const struct db *db)
{
	return sqlite3_get_autocommit(lite(db)) != 0;
}

static int64_t
lite_changes(const struct db *db)
{
	return sqlite3_changes64(lite(db));
}

static int
lite_prepare(struct db *db, const char *sql, bool persistent,
    struct db_stmt **out)
{
	struct lite_stmt *st;
	int rc;

	*out = NULL;
	st = calloc(1, sizeof(*st));
	if (st == NULL)
		return DB_NOMEM;
	rc = sqlite3_prepare_v3(lite(db), sql, -1, persistent ?
	    SQLITE_PREPARE_PERSISTENT : 0, &st->handle, NULL);
	if (rc != SQLITE_OK || st->handle == NULL) {
		free(st);
		return rc != SQLITE_OK ? rc : DB_ERROR;	/* no statement */
	}
	st->base.driver = &lite_driver;
	st->base.db = db;
	*out = &st->base;
	return rc;
}

static int
lite_finalize(struct db_stmt *st)
{
	int rc = sqlite3_finalize(lite_stmt(st));

	free(st);
	return rc;
}

static int
lite_reset(struct db_stmt *st)
{
	return sqlite3_reset(lite_stmt(st));
}

static int
lite_clear_bindings(struct db_stmt *st)
{
	return sqlite3_clear_bindings(lite_stmt(st));
}

static int
lite_step(struct db_stmt *st)
{
	return sqlite3_step(lite_stmt(st));
}

static int
lite_bind_parameter_count(struct db_stmt *st)
{
	return sqlite3_bind_parameter_count(lite_stmt(st));
}

static int
lite_bind_int64(struct db_stmt *st, int i, int64_t value)
{
	return sqlite3_bind_int64(lite_stmt(st), i, value);
}

static int
lite_bind_null(struct db_stmt *st, int i)
{
	return sqlite3_bind_null(lite_stmt(st), i);
}

static int
lite_bind_text(struct db_stmt *st, int i, const char *text, int len,
    enum db_lifetime life)
{
	return sqlite3_bind_text(lite_stmt(st), i, text, len, lifetime(life));
}

static int
lite_bind_blob(struct db_stmt *st, int i, const void *data, int len,
    enum db_lifetime life)
{
	return sqlite3_bind_blob(lite_stmt(st), i, data, len, lifetime(life));
}

static int
lite_column_type(struct db_stmt *st, int col)
{
	return sqlite3_column_type(lite_stmt(st), col);
}

static int64_t
lite_column_int64(struct db_stmt *st, int col)
{
	return sqlite3_column_int64(lite_stmt(st), col);
}

static const unsigned char *
lite_column_text(struct db_stmt *st, int col)
{
	return sqlite3_column_text(lite_stmt(st), col);
}

static const void *
lite_column_blob(struct db_stmt *st, int col)
{
	return sqlite3_column_blob(lite_stmt(st), col);
}

static int
lite_column_bytes(struct db_stmt *st, int col)
{
	return sqlite3_column_bytes(lite_stmt(st), col);
}

static const struct db_driver lite_driver = {
	.name = "sqlite",
	.close = lite_close,
	.exec = lite_exec,
	.errmsg = lite_errmsg,
	.extended_errcode = lite_extended_errcode,
	.system_errno = lite_system_errno,
	.get_autocommit = lite_get_autocommit,
	.changes = lite_changes,
	.prepare = lite_prepare,
	.finalize = lite_finalize,
	.reset = lite_reset,
	.clear_bindings = lite_clear_bindings,
	.step = lite_step,
	.bind_parameter_count = lite_bind_parameter_count,
	.bind_int64 = lite_bind_int64,
	.bind_null = lite_bind_null,
	.bind_text = lite_bind_text,
	.bind_blob = lite_bind_blob,
	.column_type = lite_column_type,
	.column_int64 = lite_column_int64,
	.column_text = lite_column_text,
	.column_blob = lite_column_blob,
	.column_bytes = lite_column_bytes,
};
