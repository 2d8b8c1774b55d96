/*
 * db_pg.h: the PostgreSQL driver of db.h (db_pg.c). A connection it opens
 * is used through db.h like any other; what differs from SQLite is listed
 * at the top of db_pg.c.
 */
#ifndef TREASURY_STORAGE_DB_PG_H
#define TREASURY_STORAGE_DB_PG_H

#include "db.h"

/* Parameters a statement may have (?1 .. ?999). */
#define DB_PG_PARAMS_MAX 999
/* Bytes of a connection's last error message, NUL included. */
#define DB_PG_ERRMSG_BYTES 512

/* Connect with a libpq connection string or URI (postgresql://...); the
 * password, if any, comes from the string, a password file or libpq's
 * environment, and is never repeated in an error. *out is set whenever
 * memory allows, even on an error (DB_CANTOPEN, with db_errmsg saying
 * why); db_close it. Client encoding UTF8. */
int db_pg_open(const char *conninfo, struct db **out);

#endif /* TREASURY_STORAGE_DB_PG_H */
