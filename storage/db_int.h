/*
 * db_int.h: what a driver of db.h provides. A connection and a statement
 * begin with their driver; db.c dispatches each call of db.h to it. Only
 * db.c and the drivers (db_sqlite.c, db_pg.c) include this.
 */
#ifndef TREASURY_STORAGE_DB_INT_H
#define TREASURY_STORAGE_DB_INT_H

#include "db.h"

struct db_driver {
	const char *name;
	int (*close)(struct db *db);
	int (*exec)(struct db *db, const char *sql);
	const char *(*errmsg)(const struct db *db);
	int (*extended_errcode)(const struct db *db);
	int (*system_errno)(const struct db *db);
	bool (*get_autocommit)(const struct db *db);
	int64_t (*changes)(const struct db *db);
	int (*prepare)(struct db *db, const char *sql, bool persistent,
	    struct db_stmt **out);
	int (*finalize)(struct db_stmt *st);
	int (*reset)(struct db_stmt *st);
	int (*clear_bindings)(struct db_stmt *st);
	int (*step)(struct db_stmt *st);
	int (*bind_parameter_count)(struct db_stmt *st);
	int (*bind_int64)(struct db_stmt *st, int i, int64_t value);
	int (*bind_null)(struct db_stmt *st, int i);
	int (*bind_text)(struct db_stmt *st, int i, const char *text, int len,
	    enum db_lifetime life);
	int (*bind_blob)(struct db_stmt *st, int i, const void *data, int len,
	    enum db_lifetime life);
	int (*column_type)(struct db_stmt *st, int col);
	int64_t (*column_int64)(struct db_stmt *st, int col);
	const unsigned char *(*column_text)(struct db_stmt *st, int col);
	const void *(*column_blob)(struct db_stmt *st, int col);
	int (*column_bytes)(struct db_stmt *st, int col);
};

/* The first member of each driver's connection ... */
struct db {
	const struct db_driver *driver;
};

/* ... and of each driver's statement. */
struct db_stmt {
	const struct db_driver *driver;
	struct db *db;
};

#endif /* TREASURY_STORAGE_DB_INT_H */
