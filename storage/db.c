/*
 * db.c: each call of db.h handed to the driver of its connection or
 * statement (db_int.h). Nothing else: what a call means is in db.h, how
 * an engine does it in its driver.
 */
#include <stddef.h>
#include <string.h>

#include "db_int.h"

int
db_close(struct db *db)
{
	return db == NULL ? DB_OK : db->driver->close(db);
}

int
db_exec(struct db *db, const char *sql)
{
	return db->driver->exec(db, sql);
}

const char *
db_errmsg(const struct db *db)
{
	return db->driver->errmsg(db);
}

bool
db_is_postgresql(const struct db *db)
{
	return strcmp(db->driver->name, "postgresql") == 0;
}

int
db_extended_errcode(const struct db *db)
{
	return db->driver->extended_errcode(db);
}

int
db_system_errno(const struct db *db)
{
	return db->driver->system_errno(db);
}

bool
db_get_autocommit(const struct db *db)
{
	return db->driver->get_autocommit(db);
}

int64_t
db_changes(const struct db *db)
{
	return db->driver->changes(db);
}

int
db_prepare(struct db *db, const char *sql, struct db_stmt **out)
{
	return db->driver->prepare(db, sql, false, out);
}

int
db_prepare_persistent(struct db *db, const char *sql, struct db_stmt **out)
{
	return db->driver->prepare(db, sql, true, out);
}

int
db_finalize(struct db_stmt *st)
{
	return st == NULL ? DB_OK : st->driver->finalize(st);
}

int
db_reset(struct db_stmt *st)
{
	return st->driver->reset(st);
}

int
db_clear_bindings(struct db_stmt *st)
{
	return st->driver->clear_bindings(st);
}

int
db_step(struct db_stmt *st)
{
	return st->driver->step(st);
}

int
db_bind_parameter_count(struct db_stmt *st)
{
	return st->driver->bind_parameter_count(st);
}

int
db_bind_int64(struct db_stmt *st, int i, int64_t value)
{
	return st->driver->bind_int64(st, i, value);
}

int
db_bind_int(struct db_stmt *st, int i, int value)
{
	return st->driver->bind_int64(st, i, value);
}

int
db_bind_null(struct db_stmt *st, int i)
{
	return st->driver->bind_null(st, i);
}

int
db_bind_text(struct db_stmt *st, int i, const char *text, int len,
    enum db_lifetime life)
{
	return st->driver->bind_text(st, i, text, len, life);
}

int
db_bind_blob(struct db_stmt *st, int i, const void *data, int len,
    enum db_lifetime life)
{
	return st->driver->bind_blob(st, i, data, len, life);
}

int
db_column_type(struct db_stmt *st, int col)
{
	return st->driver->column_type(st, col);
}

int64_t
db_column_int64(struct db_stmt *st, int col)
{
	return st->driver->column_int64(st, col);
}

int
db_column_int(struct db_stmt *st, int col)
{
	return (int)st->driver->column_int64(st, col);
}

const unsigned char *
db_column_text(struct db_stmt *st, int col)
{
	return st->driver->column_text(st, col);
}

const void *
db_column_blob(struct db_stmt *st, int col)
{
	return st->driver->column_blob(st, col);
}

int
db_column_bytes(struct db_stmt *st, int col)
{
	return st->driver->column_bytes(st, col);
}
