/*
 * db_pg.h: the PostgreSQL driver of db.h (db_pg.c). A connection it opens
 * is used through db.h like any other; what differs from SQLite is listed
 * at the top of db_pg.c.
 */
#ifndef TREASURY_STORAGE_DB_PG_H
#define TREASURY_STORAGE_DB_PG_H

#include <stdbool.h>

#include "db.h"

/* Parameters a statement may have (?1 .. ?999). */
#define DB_PG_PARAMS_MAX 999
/* Statements finalized inside a failed transaction whose DEALLOCATE
 * waits for its end, a connection. */
#define DB_PG_DEALLOC_MAX 256
/* Bytes of a connection's last error message, NUL included. */
#define DB_PG_ERRMSG_BYTES 512

/* Connect with a libpq connection string or URI (postgresql://...); the
 * password, if any, comes from the string, a password file or libpq's
 * environment, and is never repeated in an error. *out is set whenever
 * memory allows, even on an error (DB_CANTOPEN, with db_errmsg saying
 * why); db_close it. Client encoding UTF8. */
int db_pg_open(const char *conninfo, struct db **out);

/* What a connection string (URI or key=value) holds, as libpq reads it:
 * DB_PG_CONNINFO_OK; _SECRET, a password (password, sslpassword, or in
 * the URI's user part); _MALFORMED, libpq cannot parse it (its own
 * message, which may quote the string, is not kept). */
enum db_pg_conninfo { DB_PG_CONNINFO_OK, DB_PG_CONNINFO_SECRET,
    DB_PG_CONNINFO_MALFORMED };
enum db_pg_conninfo db_pg_conninfo_check(const char *conninfo);

/* conninfo for a message, from its parsed parts and never a secret:
 * 'PostgreSQL database "d" (host h, port p, user u)', the parts it does
 * not give left out; "a PostgreSQL database" when it cannot be parsed. */
void db_pg_conninfo_shown(const char *conninfo, char *out, size_t size);

/* Run sql on db now and again at the start of every session after a
 * reconnect (settings, a lock the session must hold); added to what
 * earlier calls gave. A failure of it at a reconnect fails the reconnect
 * (DB_IOERR_CONNECTION). Returns DB_OK or sql's error (then not kept). */
int db_pg_session(struct db *db, const char *sql);

/* Outside a transaction, on a connection whose session LISTENs
 * (db_pg_session "LISTEN channel"): wait up to timeout_ms for a
 * notification, and take every one that came. *woken is true when one or
 * more did whose payload is not `own` (this process's own commits are
 * not news to it), or when the connection had to be made again first
 * (what was notified meanwhile was not heard: the caller looks anyway).
 * Returns DB_OK (also when the time ran out), or the error:
 * DB_IOERR_CONNECTION when the connection is lost, made again at the next
 * call. */
int db_pg_wait_notify(struct db *db, int timeout_ms, const char *own,
    bool *woken);

/* A lost connection (db.h's DB_IOERR_CONNECTION) is made again at the
 * next call that needs the server, with the same connection string, so
 * that a multi-host URI with target_session_attrs=read-write reaches a
 * promoted standby; statements are prepared again as they are next run.
 * A connection lost inside a transaction is not made again until the
 * caller has ended it (a ROLLBACK succeeds, a COMMIT fails: nothing of it
 * was committed); a connection lost during a COMMIT leaves the outcome
 * unknown, and says DB_IOERR_CONNECTION. */

#endif /* TREASURY_STORAGE_DB_PG_H */
