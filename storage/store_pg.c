/*
 * store_pg.c: a store on PostgreSQL (issue 17): connecting, the session's
 * settings and the schema. Everything after that (the meta row, the
 * prepared statements, every command and query) is the engine's own code
 * on db.h, shared with SQLite.
 *
 * Durability: synchronous_commit is set to on for the session, so a
 * COMMIT returns once the server (and, when the server is configured so,
 * its synchronous standby) has flushed it: what the daemon acknowledges
 * is committed, as on SQLite with synchronous=FULL.
 * Isolation: repeatable read, so that the several statements of one read
 * transaction see one snapshot, as SQLite's WAL readers do; a write
 * transaction (BEGIN IMMEDIATE) is read committed under the database's
 * write lock (db_pg.c), so that writers in any number of processes take
 * turns as they do on SQLite.
 */
#include <stdio.h>
#include <string.h>

#include "db_pg.h"
#include "store_int.h"

bool
store_path_is_postgresql(const char *path)
{
	return strncmp(path, "postgresql://", 13) == 0 ||
	    strncmp(path, "postgres://", 11) == 0;
}

void
store_uri_shown(const char *uri, char out[STORE_ERRMSG_BYTES])
{
	db_pg_conninfo_shown(uri, out, STORE_ERRMSG_BYTES);
}

enum store_uri
store_uri_check(const char *uri)
{
	switch (db_pg_conninfo_check(uri)) {
	case DB_PG_CONNINFO_OK:
		return STORE_URI_OK;
	case DB_PG_CONNINFO_SECRET:
		return STORE_URI_SECRET;
	default:
		return STORE_URI_MALFORMED;
	}
}

/* pg_try_advisory_lock's key for serving: "TRSV". */
#define PG_SERVE_LOCK 0x54525356

treasury_err
store_serve_lock(struct store *s, char errmsg[STORE_ERRMSG_BYTES])
{
	char sql[160];
	struct db_stmt *st = NULL;
	int rc;

	errmsg[0] = '\0';
	if (!s->postgresql)
		return TREASURY_OK;
	snprintf(sql, sizeof(sql), "SELECT pg_try_advisory_lock(%d)",
	    PG_SERVE_LOCK);
	rc = db_prepare(s->db, sql, &st);
	if (rc == DB_OK)
		rc = db_step(st);
	if (rc == DB_ROW && db_column_int64(st, 0) == 1) {
		db_finalize(st);
		/* held by the session: taken again by the session after a
		 * reconnect, or the reconnect fails (503 until it can be) */
		snprintf(sql, sizeof(sql), "DO $$ BEGIN IF NOT"
		    " pg_try_advisory_lock(%d) THEN RAISE EXCEPTION"
		    " 'served by another treasuryd'; END IF; END $$",
		    PG_SERVE_LOCK);
		rc = db_pg_session(s->db, sql);
		if (rc == DB_OK)
			return TREASURY_OK;
		store_errmsg_set(errmsg, "database %s: cannot keep the serving "
		    "lock: %s", s->path, db_errmsg(s->db));
		return store_err_from_db(s->db, rc);
	}
	db_finalize(st);
	if (rc == DB_ROW) {
		store_errmsg_set(errmsg, "database %s is served by another "
		    "treasuryd already (it holds the database's advisory lock "
		    "%d); one daemon a database", s->path, PG_SERVE_LOCK);
		return TREASURY_ERR_CONFLICT;
	}
	store_errmsg_set(errmsg, "database %s: cannot take the serving lock: "
	    "%s", s->path, db_errmsg(s->db));
	return store_err_from_db(s->db, rc);
}

treasury_err
store_pg_connect(struct store *s, const char *uri,
    char errmsg[STORE_ERRMSG_BYTES])
{
	char where[STORE_ERRMSG_BYTES], sql[256];
	int rc;

	store_uri_shown(uri, where);
	snprintf(s->path, sizeof(s->path), "%s", where);	/* messages */
	s->postgresql = true;
	rc = db_pg_open(uri, &s->db);
	if (rc != DB_OK) {
		store_errmsg_set(errmsg, "cannot open database %s: %s", where,
		    s->db != NULL ? db_errmsg(s->db) : db_errstr(rc));
		return TREASURY_ERR_DB_OPEN;
	}
	/* lock_timeout: SQLite's busy timeout, for the write lock; again
	 * after every reconnect */
	snprintf(sql, sizeof(sql), "SET synchronous_commit TO on;"
	    " SET default_transaction_isolation TO 'repeatable read';"
	    " SET lock_timeout TO %d; SET client_min_messages TO warning",
	    STORE_BUSY_TIMEOUT_MS);
	rc = db_pg_session(s->db, sql);
	if (rc != DB_OK) {
		store_errmsg_set(errmsg, "cannot configure database %s: %s",
		    where, db_errmsg(s->db));
		return store_err_from_db(s->db, rc);
	}
	if (s->mode == STORE_READ_ONLY)
		return TREASURY_OK;
	return store_pg_migrate(s->db, where, errmsg);
}
