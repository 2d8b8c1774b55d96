/*
 * db_sqlite.h: the SQLite driver of db.h, for the few engine files that
 * use what exists in SQLite alone: opening a file and its settings
 * (store.c), the backup API (backup.c, store.c), the progress handler of
 * a quick check, copying a value between statements (schema_idem.c); and
 * for storage's unit tests, which damage files the way the sqlite3 shell
 * would. Every other file of storage/ includes db.h only
 * (storage/CMakeLists.txt enforces it).
 */
#ifndef TREASURY_STORAGE_DB_SQLITE_H
#define TREASURY_STORAGE_DB_SQLITE_H

#include <sqlite3.h>

#include "db.h"

/* sqlite3_open_v2 into a new connection of the SQLite driver. *out is set
 * whenever memory allows, even on an error (for db_errmsg); db_close it.
 * Returns a DB_* code (DB_NOMEM with *out NULL when the wrapper could not
 * be allocated). */
int db_sqlite_open(const char *path, int flags, struct db **out);

/* The SQLite connection of db (a connection of the SQLite driver; NULL
 * for NULL) and the SQLite statement of st. */
sqlite3 *db_sqlite(struct db *db);
sqlite3_stmt *db_sqlite_stmt(struct db_stmt *st);

#endif /* TREASURY_STORAGE_DB_SQLITE_H */
