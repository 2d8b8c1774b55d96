/*
 * db.h: the statement layer under every engine file of storage/: a
 * connection, prepared statements, binds, steps and typed columns, the
 * same calls whatever SQL engine holds the database. The engine files
 * speak only this. db.c hands each call to the driver of its connection
 * (db_int.h): the SQLite driver (db_sqlite.c) maps it one call to one
 * call; only it and the files that use what exists in SQLite alone
 * (db_sqlite.h) see sqlite3.h, and the build enforces that
 * (storage/CMakeLists.txt).
 *
 * The contract is SQLite's, with SQLite's numbers: every call that
 * returns an int returns a DB_* result code (DB_OK, DB_ROW, DB_DONE or an
 * error, possibly extended: compare errors with db_rc_primary). A driver
 * for another engine maps its errors onto these codes: a unique, primary
 * key or check violation is DB_CONSTRAINT, a lost connection DB_IOERR,
 * and so on, so that store_err_from_sqlite (store.c) stays the one place
 * where engine results become treasury_err.
 *
 * SQL is written with numbered parameters ?1, ?2, ... Parameters and
 * columns count from 1 and 0 as in SQLite. Text is UTF-8; a text or blob
 * column's pointer is valid until the next step, reset or finalize of the
 * statement, or the next column call of that column.
 *
 * Thread safety: a connection and its statements belong to one thread at
 * a time (the callers' rule since the first store).
 */
#ifndef TREASURY_STORAGE_DB_H
#define TREASURY_STORAGE_DB_H

#include <stdbool.h>
#include <stdint.h>

struct db;		/* a connection */
struct db_stmt;		/* a prepared statement of one connection */

/* Result codes: SQLite's values (db_sqlite.c asserts they are equal). */
enum {
	DB_OK = 0,
	DB_ERROR = 1,
	DB_INTERNAL = 2,
	DB_BUSY = 5,
	DB_NOMEM = 7,
	DB_INTERRUPT = 9,
	DB_IOERR = 10,
	DB_CORRUPT = 11,
	DB_FULL = 13,
	DB_CANTOPEN = 14,
	DB_CONSTRAINT = 19,
	DB_NOTADB = 26,
	DB_ROW = 100,
	DB_DONE = 101,
	/* extended codes that storage/ tests for */
	DB_IOERR_WRITE = DB_IOERR | (3 << 8),
	DB_IOERR_SHMSIZE = DB_IOERR | (19 << 8),
	DB_CONSTRAINT_COMMITHOOK = DB_CONSTRAINT | (2 << 8),
	DB_CONSTRAINT_PRIMARYKEY = DB_CONSTRAINT | (6 << 8),
	DB_CONSTRAINT_UNIQUE = DB_CONSTRAINT | (8 << 8),
	/* not SQLite's: the connection to a database server is lost
	 * (db_pg.c); the call did nothing, or left its outcome unknown
	 * when the call was a COMMIT */
	DB_IOERR_CONNECTION = DB_IOERR | (200 << 8),
};

/* The primary code of a possibly extended result code. */
static inline int
db_rc_primary(int rc)
{
	return rc & 0xff;
}

/* Column types (SQLite's fundamental types). */
enum { DB_INTEGER = 1, DB_FLOAT = 2, DB_TEXT = 3, DB_BLOB = 4, DB_NULL = 5 };

/* How a bound text or blob lives: DB_STATIC, the caller keeps it
 * unchanged until the statement is reset or the binding replaced;
 * DB_TRANSIENT, the driver copies it before the bind returns. */
enum db_lifetime { DB_STATIC, DB_TRANSIENT };

/* ---- connections ---- */

/* Close db and every statement still prepared on it is an error of the
 * caller (finalize them first). NULL is allowed. Returns DB_OK. */
int db_close(struct db *db);

/* Run one or more SQL statements that return no rows needed, in order,
 * stopping at the first error. */
int db_exec(struct db *db, const char *sql);

/* English text of db's last error; never NULL. */
const char *db_errmsg(const struct db *db);
/* English text of a result code. */
const char *db_errstr(int rc);
/* Extended code of db's last error. */
int db_extended_errcode(const struct db *db);
/* The operating system's errno of db's last I/O error, 0 when none or
 * unknown (PostgreSQL: the server's file system is not ours to see). */
int db_system_errno(const struct db *db);
/* Whether db is a PostgreSQL connection (db_pg.c), for the few
 * statements that differ by engine; everything else is the same SQL. */
bool db_is_postgresql(const struct db *db);
/* Whether db is outside an explicit transaction. */
bool db_get_autocommit(const struct db *db);
/* Rows changed by the last INSERT, UPDATE or DELETE on db. */
int64_t db_changes(const struct db *db);

/* ---- statements ---- */

/* Prepare the first statement of sql. On error *out is NULL. */
int db_prepare(struct db *db, const char *sql, struct db_stmt **out);
/* The same, for a statement kept for the connection's life. */
int db_prepare_persistent(struct db *db, const char *sql,
    struct db_stmt **out);
/* Free st (NULL allowed). Returns the last step's error, or DB_OK. */
int db_finalize(struct db_stmt *st);
/* Back to before the first step; bindings are kept. */
int db_reset(struct db_stmt *st);
/* Every parameter back to NULL. */
int db_clear_bindings(struct db_stmt *st);
/* The next row (DB_ROW), the end (DB_DONE), or an error. */
int db_step(struct db_stmt *st);
/* The largest parameter number of st. */
int db_bind_parameter_count(struct db_stmt *st);

int db_bind_int64(struct db_stmt *st, int i, int64_t value);
int db_bind_int(struct db_stmt *st, int i, int value);
int db_bind_null(struct db_stmt *st, int i);
/* len < 0: text is NUL-terminated. */
int db_bind_text(struct db_stmt *st, int i, const char *text, int len,
    enum db_lifetime life);
int db_bind_blob(struct db_stmt *st, int i, const void *data, int len,
    enum db_lifetime life);

/* Columns of the current row (after DB_ROW). */
int db_column_type(struct db_stmt *st, int col);
int64_t db_column_int64(struct db_stmt *st, int col);
int db_column_int(struct db_stmt *st, int col);
/* NUL-terminated; NULL for a NULL column or out of memory. */
const unsigned char *db_column_text(struct db_stmt *st, int col);
const void *db_column_blob(struct db_stmt *st, int col);
/* Bytes of the text or blob (after db_column_text or _blob). */
int db_column_bytes(struct db_stmt *st, int col);

#endif /* TREASURY_STORAGE_DB_H */
