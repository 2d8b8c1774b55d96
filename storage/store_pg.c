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
 * Several daemons: nothing of the engine's state lives only in a process
 * (the journal's head, the checkpoints, the webhook fan-out, the clock
 * mark are read in the write transaction that needs them); each group
 * NOTIFYs STORE_JOURNAL_CHANNEL so that every daemon's event streams
 * wake up (store_journal_notify, listener.c).
 */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "treasury/log.h"
#include "treasury/webhook_store.h"

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

/* One integer of a one-row query on db. */
static treasury_err
pg_int(struct db *db, const char *sql, int64_t *out)
{
	struct db_stmt *st = NULL;
	int rc;

	rc = db_prepare(db, sql, &st);
	if (rc == DB_OK && (rc = db_step(st)) == DB_ROW) {
		*out = db_column_int64(st, 0);
		rc = DB_OK;
	}
	db_finalize(st);
	return store_err_from_db(db, rc == DB_DONE ? DB_ERROR : rc);
}

/* The key of the webhook deliverer's advisory lock: "TRWD". pg_locks
 * shows a bigint key below 2^32 as classid 0, objid the key, objsubid 1. */
#define PG_DELIVERER_LOCK 0x54525744

treasury_err
store_webhook_deliverer(struct store *s, bool *mine)
{
	char sql[320];
	int64_t held = 0;
	treasury_err err;

	*mine = !s->postgresql;
	if (!s->postgresql)
		return TREASURY_OK;
	/* held already (a second try would stack a second hold), or free */
	snprintf(sql, sizeof(sql), "SELECT (CASE WHEN EXISTS (SELECT 1 FROM "
	    "pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() "
	    "AND classid = 0 AND objid = %u AND objsubid = 1) THEN true "
	    "ELSE pg_try_advisory_lock(%u) END)::int",
	    (unsigned)PG_DELIVERER_LOCK, (unsigned)PG_DELIVERER_LOCK);
	err = pg_int(s->db, sql, &held);
	*mine = err == TREASURY_OK && held == 1;
	return err;
}

static char notify_origin[96];
static pthread_once_t notify_origin_once = PTHREAD_ONCE_INIT;

/* "host:pid", in the characters a NOTIFY payload literal may hold
 * unquoted ([A-Za-z0-9._-]; others become '_'). */
static void
notify_origin_make(void)
{
	char host[64] = "";

	(void)gethostname(host, sizeof(host) - 1);
	snprintf(notify_origin, sizeof(notify_origin), "%s:%ld", host,
	    (long)getpid());
	for (char *p = notify_origin; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-' &&
		    *p != ':')
			*p = '_';
}

const char *
store_notify_origin(void)
{
	pthread_once(&notify_origin_once, notify_origin_make);
	return notify_origin;
}

treasury_err
store_journal_notify(struct store *s)
{
	char sql[sizeof(notify_origin) + 64];

	if (!s->postgresql)
		return TREASURY_OK;
	snprintf(sql, sizeof(sql), "NOTIFY " STORE_JOURNAL_CHANNEL ", '%s'",
	    store_notify_origin());
	return store_err_from_db(s->db, db_exec(s->db, sql));
}

treasury_err
store_serving_alone(struct store *s, bool *alone)
{
	int64_t got = 0;
	treasury_err err;

	*alone = !s->postgresql;
	if (!s->postgresql)
		return TREASURY_OK;	/* the lock file: one daemon */
	err = pg_int(s->db, "SELECT pg_try_advisory_lock(" STORE_SERVING_LOCK
	    ")::int", &got);
	*alone = err == TREASURY_OK && got == 1;
	return err;
}

void
store_serving_alone_end(struct store *s)
{
	int64_t ignored;

	if (s->postgresql && pg_int(s->db, "SELECT pg_advisory_unlock("
	    STORE_SERVING_LOCK ")::int", &ignored) != TREASURY_OK)
		log_msg(LOG_WARNING, "the serving lock is held until this "
		    "connection ends: %s", db_errmsg(s->db));
}

/* The database's encoding must be UTF8: names, memos and the journal's
 * \uXXXX escapes are Unicode, and on SQL_ASCII jsonb refuses those
 * escapes (treasuryd check would find every such payload unreadable). */
static treasury_err
pg_encoding_check(struct db *db, const char *where,
    char errmsg[STORE_ERRMSG_BYTES])
{
	int64_t utf8 = 0;
	treasury_err err;

	err = pg_int(db, "SELECT (current_setting('server_encoding') ="
	    " 'UTF8')::int", &utf8);
	if (err != TREASURY_OK)
		store_errmsg_set(errmsg, "database %s: cannot read its "
		    "encoding: %s", where, db_errmsg(db));
	else if (utf8 != 1) {
		store_errmsg_set(errmsg, "database %s is not UTF8-encoded: "
		    "make it with CREATE DATABASE ... ENCODING 'UTF8' TEMPLATE "
		    "template0", where);
		err = TREASURY_ERR_DB_OPEN;
	}
	return err;
}

treasury_err
store_pg_connect(struct store *s, const char *uri,
    char errmsg[STORE_ERRMSG_BYTES])
{
	char where[STORE_ERRMSG_BYTES], sql[256];
	treasury_err err;
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
	err = pg_encoding_check(s->db, where, errmsg);
	if (err != TREASURY_OK)
		return err;
	if (s->mode == STORE_READ_ONLY)
		return TREASURY_OK;
	return store_pg_migrate(s->db, where, errmsg);
}

/* The schema version of db: 0 when it has no treasury_schema table (or
 * no row in it). */
static treasury_err
pg_schema_version(struct db *db, int64_t *version)
{
	int64_t exists = 0;
	treasury_err err;

	*version = 0;
	err = pg_int(db, "SELECT (to_regclass('treasury_schema') IS NOT NULL)"
	    "::int", &exists);
	if (err == TREASURY_OK && exists == 1)
		err = pg_int(db, "SELECT coalesce(max(version), 0) FROM "
		    "treasury_schema", version);
	return err;
}

treasury_err
store_pg_open_maintenance(const char *uri, struct db **out,
    char errmsg[STORE_ERRMSG_BYTES])
{
	char where[STORE_ERRMSG_BYTES];
	treasury_err err = TREASURY_ERR_DB_OPEN;
	int64_t version = 0;
	int rc;

	*out = NULL;
	store_uri_shown(uri, where);
	rc = db_pg_open(uri, out);
	if (rc == DB_OK)
		rc = db_pg_session(*out, "SET default_transaction_isolation TO"
		    " 'repeatable read'; SET client_min_messages TO warning");
	if (rc == DB_OK && pg_schema_version(*out, &version) != TREASURY_OK)
		rc = DB_ERROR;
	if (rc != DB_OK) {
		store_errmsg_set(errmsg, "cannot open database %s: %s", where,
		    *out != NULL ? db_errmsg(*out) : db_errstr(rc));
		goto fail;
	}
	err = pg_encoding_check(*out, where, errmsg);
	if (err != TREASURY_OK)
		goto fail;
	err = TREASURY_ERR_DB_OPEN;
	if (version == 0) {
		store_errmsg_set(errmsg, "database %s has no treasuryd schema "
		    "(no daemon has started on it)", where);
		err = TREASURY_ERR_DB_CORRUPT;
		goto fail;
	}
	if (version != store_schema_version()) {
		store_errmsg_set(errmsg, "database %s has schema version %lld, "
		    "this treasuryd %d: use the treasuryd that serves it", where,
		    (long long)version, store_schema_version());
		err = version > store_schema_version() ?
		    TREASURY_ERR_DB_NEWER_SCHEMA : TREASURY_ERR_DB_CORRUPT;
		goto fail;
	}
	return TREASURY_OK;
fail:
	db_close(*out);
	*out = NULL;
	return err;
}
