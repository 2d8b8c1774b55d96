/*
 * db_pg.c: db.h on PostgreSQL (libpq), the second driver of the engine's
 * statement layer (issue 17). It gives the engine's calls the meaning
 * db.h states, with SQLite's result codes:
 *
 * - SQL keeps db.h's numbered parameters: ?N becomes $N (a bare ? the
 *   next number, as in SQLite) outside quotes and comments; the text is
 *   otherwise sent as written, so a statement must be in the SQL both
 *   engines speak.
 * - A statement is prepared on the server (PQprepare) under a name of its
 *   own, the server inferring its parameters' types; its first db_step
 *   runs it (PQexecPrepared, parameters as text, blobs as binary) and
 *   holds the whole result, which the next steps walk a row at a time. A
 *   statement that returns no rows is DB_DONE at once, with db_changes
 *   set from the command's row count.
 * - Where the server cannot infer a parameter's type (INSERT ... SELECT
 *   ?1, ...: SQLSTATE 42P18), the statement is prepared at its first run
 *   instead, with the types of what was bound: bigint for an integer,
 *   bytea for a blob, text for text, inferred for NULL. Its errors then show at
 *   that step, not at db_prepare.
 * - Transaction control (BEGIN, COMMIT, ROLLBACK, SAVEPOINT, RELEASE)
 *   cannot be prepared: it is sent as it is at its step.
 * - Columns come back as text: integers are parsed, bytea is decoded from
 *   its hex form when first asked for, and a column's type is its type on
 *   the server (integers DB_INTEGER, bytea DB_BLOB, floating and numeric
 *   DB_FLOAT, anything else DB_TEXT; NULL is DB_NULL).
 * - Errors are mapped from SQLSTATE (sqlstate_rc): integrity violations
 *   are DB_CONSTRAINT (unique ones DB_CONSTRAINT_UNIQUE), disk full
 *   DB_FULL, out of memory DB_NOMEM, serialization failures and deadlocks
 *   DB_BUSY, cancels DB_INTERRUPT, corruption DB_CORRUPT, a lost or
 *   refused connection DB_IOERR_CONNECTION; the rest DB_ERROR.
 *
 * db.h has no last_insert_rowid: a statement says RETURNING instead, on
 * both engines. Server notices are not printed.
 *
 * Limits: DB_PG_PARAMS_MAX parameters a statement, DB_PG_ERRMSG_BYTES of
 * error text (cut beyond), the result of one statement held whole in
 * memory (the engine's queries are paged: at most a page's rows plus one).
 * The connection string may hold a password: it is never copied, logged
 * or put in an error message.
 */
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libpq-fe.h>

#include "treasury/hex.h"

#include "db_int.h"
#include "db_pg.h"

/* Type OIDs of the server's catalog (pg_type.dat), stable since 7.x. */
enum {
	OID_BOOL = 16, OID_BYTEA = 17, OID_INT8 = 20, OID_INT2 = 21,
	OID_INT4 = 23, OID_TEXT = 25, OID_OID = 26, OID_FLOAT4 = 700, OID_FLOAT8 = 701,
	OID_NUMERIC = 1700
};

struct pg_stmt;

struct pg {
	struct db base;
	PGconn *conn;
	char *session;			/* run after every (re)connect, or NULL */
	struct pg_stmt *stmts;		/* every statement, for a reconnect */
	PGTransactionStatusType last_tx; /* after the last call that ran */
	bool broken_tx;			/* lost inside a transaction */
	bool session_ok;		/* the session's settings are applied */
	/* statements finalized while the transaction was in error, to
	 * DEALLOCATE when it no longer is (at most DB_PG_DEALLOC_MAX; one
	 * beyond stays on the server until the session ends) */
	char dealloc[DB_PG_DEALLOC_MAX][32];
	unsigned ndealloc;
	int errcode;			/* extended DB_* of the last call */
	char errmsg[DB_PG_ERRMSG_BYTES];
	int64_t changes;
	uint64_t names;			/* statements prepared so far */
};

struct pg_param {
	const char *value;		/* NULL: SQL NULL */
	char *owned;			/* a copy value points into, or NULL */
	int len;
	int format;			/* 0 text, 1 binary */
	Oid type;			/* what was bound: int8, bytea, or 0 */
	char number[24];		/* an integer's decimal text */
};

struct pg_stmt {
	struct db_stmt base;
	char name[32];			/* on the server; "" for direct */
	char *direct;			/* transaction control, run by PQexec */
	char *sql;			/* in PostgreSQL's words (else direct) */
	bool prepared;			/* on the server of this connection */
	bool typed;			/* prepared with the bound types */
	struct pg_stmt *older, *newer;	/* the connection's statements */
	int nparams;
	struct pg_param *params;
	PGresult *res;			/* NULL: not run since the reset */
	int rows, next;			/* rows of res; the row after the current */
	int cols;
	unsigned char **blobs;		/* decoded bytea of the current row */
	size_t *blob_len;
	int rc;				/* DB_DONE, or the run's error */
};

static const struct db_driver pg_driver;

static struct pg *
pg(const struct db *db)
{
	assert(db->driver == &pg_driver);
	return (struct pg *)db;
}

static struct pg_stmt *
pg_stmt(struct db_stmt *st)
{
	assert(st->driver == &pg_driver);
	return (struct pg_stmt *)st;
}

/* Keep the first line of text as the connection's error message. */
static int
fail(struct pg *c, int rc, const char *text)
{
	size_t n;

	c->errcode = rc;
	snprintf(c->errmsg, sizeof(c->errmsg), "%s",
	    text != NULL && text[0] != '\0' ? text : db_errstr(rc));
	n = strcspn(c->errmsg, "\n");
	c->errmsg[n] = '\0';
	return rc;
}

static int
sqlstate_rc(const char *state)
{
	if (state == NULL || strlen(state) != 5)
		return DB_ERROR;
	if (strcmp(state, "23505") == 0)
		return DB_CONSTRAINT_UNIQUE;
	if (strncmp(state, "23", 2) == 0)
		return DB_CONSTRAINT;
	if (strcmp(state, "53100") == 0)
		return DB_FULL;
	if (strcmp(state, "53200") == 0)
		return DB_NOMEM;
	if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
	    strcmp(state, "55P03") == 0)
		return DB_BUSY;
	if (strcmp(state, "57014") == 0)
		return DB_INTERRUPT;
	if (strcmp(state, "XX001") == 0 || strcmp(state, "XX002") == 0)
		return DB_CORRUPT;
	if (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0)
		return DB_IOERR;
	return DB_ERROR;
}

/* A unique violation of a primary key (PostgreSQL names it <table>_pkey
 * unless told otherwise, and schema_pg.c never tells otherwise) is
 * SQLite's DB_CONSTRAINT_PRIMARYKEY; any other DB_CONSTRAINT_UNIQUE. */
static int
constraint_rc(int rc, const PGresult *res)
{
	const char *name = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);
	size_t n = name != NULL ? strlen(name) : 0;

	if (rc == DB_CONSTRAINT_UNIQUE && n > 5 &&
	    strcmp(name + n - 5, "_pkey") == 0)
		return DB_CONSTRAINT_PRIMARYKEY;
	return rc;
}

/* The DB_* code of a result (NULL: the connection failed), error kept. */
static int
result_rc(struct pg *c, const PGresult *res)
{
	int rc;

	if (res == NULL || PQstatus(c->conn) == CONNECTION_BAD) {
		c->broken_tx = c->last_tx != PQTRANS_IDLE;
		return fail(c, DB_IOERR_CONNECTION, PQerrorMessage(c->conn));
	}
	c->last_tx = PQtransactionStatus(c->conn);
	switch (PQresultStatus(res)) {
	case PGRES_COMMAND_OK:
	case PGRES_TUPLES_OK:
	case PGRES_EMPTY_QUERY:
		c->errcode = DB_OK;
		return DB_OK;
	default:
		rc = sqlstate_rc(PQresultErrorField(res, PG_DIAG_SQLSTATE));
		return fail(c, constraint_rc(rc, res), PQresultErrorMessage(res));
	}
}

static void
notice_ignore(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* A new session on c->conn: notices ignored, UTF8, c->session run. */
static int
session_start(struct pg *c, int rc_fail)
{
	PGresult *res;
	int rc;

	PQsetNoticeProcessor(c->conn, notice_ignore, NULL);
	if (PQsetClientEncoding(c->conn, "UTF8") != 0)
		return fail(c, rc_fail, PQerrorMessage(c->conn));
	/* bytea() decodes hex, whatever the database or role says */
	res = PQexec(c->conn, "SET bytea_output TO hex");
	rc = result_rc(c, res);
	PQclear(res);
	if (rc != DB_OK)
		return fail(c, rc_fail, c->errmsg[0] != '\0' ? "cannot set "
		    "bytea_output" : NULL);
	c->last_tx = PQTRANS_IDLE;
	c->broken_tx = false;
	c->session_ok = c->session == NULL;
	if (c->session == NULL)
		return DB_OK;
	res = PQexec(c->conn, c->session);
	rc = result_rc(c, res);
	PQclear(res);
	if (rc != DB_OK)
		c->errcode = rc = rc_fail;	/* the session's message kept */
	c->session_ok = rc == DB_OK;
	return rc;
}

/* Before a call that talks to the server: a lost connection is made
 * again (PQreset: the same parameters, so a multi-host URI finds the new
 * primary), unless it was lost inside a transaction, which its caller
 * must end first (it is gone with the session). The statements are then
 * prepared again at their next run. DB_OK, or DB_IOERR_CONNECTION. */
static int
connection_ready(struct pg *c)
{
	if (PQstatus(c->conn) == CONNECTION_OK && c->session_ok)
		return DB_OK;
	/* lost, whatever call saw it first (a DEALLOCATE, a savepoint's
	 * RELEASE), while the last state known was inside a transaction */
	if (PQstatus(c->conn) != CONNECTION_OK && c->last_tx != PQTRANS_IDLE)
		c->broken_tx = true;
	if (c->broken_tx)
		return fail(c, DB_IOERR_CONNECTION, "the connection to the "
		    "database was lost inside a transaction");
	PQreset(c->conn);
	if (PQstatus(c->conn) != CONNECTION_OK)
		return fail(c, DB_IOERR_CONNECTION, PQerrorMessage(c->conn));
	for (struct pg_stmt *st = c->stmts; st != NULL; st = st->older)
		st->prepared = false;
	c->ndealloc = 0;	/* the old session's statements are gone */
	return session_start(c, DB_IOERR_CONNECTION);
}

/* DEALLOCATE what pg_finalize could not, once the transaction is no
 * longer in error. */
static void
dealloc_flush(struct pg *c)
{
	char sql[64];

	if (c->ndealloc == 0 || PQstatus(c->conn) != CONNECTION_OK ||
	    PQtransactionStatus(c->conn) == PQTRANS_INERROR)
		return;
	for (unsigned i = 0; i < c->ndealloc; i++) {
		snprintf(sql, sizeof(sql), "DEALLOCATE %s", c->dealloc[i]);
		PQclear(PQexec(c->conn, sql));
	}
	c->ndealloc = 0;
}

/* Whether sql is a COMMIT (or its synonym END). */
static bool
sql_is_commit(const char *sql)
{
	return strncasecmp(sql, "COMMIT", 6) == 0 ||
	    strncasecmp(sql, "END", 3) == 0;
}

/* The result of a COMMIT that the server turned into a ROLLBACK: the
 * transaction was aborted by an earlier error. SQLite would have kept
 * what succeeded; this is not a success. */
static bool
commit_rolled_back(const char *sql, const PGresult *res)
{
	return sql_is_commit(sql) &&
	    strcmp(PQcmdStatus((PGresult *)res), "ROLLBACK") == 0;
}

/* Transaction control on a connection lost inside a transaction: a
 * ROLLBACK ends it (the server rolled back when the session ended); a
 * COMMIT ends it too, as a failure (nothing of it was committed); what
 * else is refused. -1 when the connection was not lost so. */
static int
broken_tx_end(struct pg *c, const char *sql)
{
	if (!c->broken_tx)
		return -1;
	if (strncasecmp(sql, "ROLLBACK", 8) == 0 &&
	    strncasecmp(sql, "ROLLBACK TO", 11) != 0) {
		c->broken_tx = false;
		c->last_tx = PQTRANS_IDLE;	/* ended: may reconnect */
		c->errcode = DB_OK;
		return DB_OK;
	}
	if (sql_is_commit(sql)) {
		c->broken_tx = false;
		c->last_tx = PQTRANS_IDLE;
		return fail(c, DB_IOERR_CONNECTION, "the connection to the "
		    "database was lost before COMMIT: nothing was committed");
	}
	return fail(c, DB_IOERR_CONNECTION, "the connection to the database "
	    "was lost inside a transaction");
}

enum db_pg_conninfo
db_pg_conninfo_check(const char *conninfo)
{
	PQconninfoOption *opts = PQconninfoParse(conninfo, NULL);
	enum db_pg_conninfo r = DB_PG_CONNINFO_OK;

	if (opts == NULL)
		return DB_PG_CONNINFO_MALFORMED;
	for (PQconninfoOption *o = opts; o->keyword != NULL; o++)
		if (o->val != NULL && o->val[0] != '\0' &&
		    (strcmp(o->keyword, "password") == 0 ||
		    strcmp(o->keyword, "sslpassword") == 0))
			r = DB_PG_CONNINFO_SECRET;
	PQconninfoFree(opts);
	return r;
}

void
db_pg_conninfo_shown(const char *conninfo, char *out, size_t size)
{
	static const char *const parts[] = { "host", "port", "user" };
	PQconninfoOption *opts = PQconninfoParse(conninfo, NULL);
	const char *val[4] = { NULL, NULL, NULL, NULL }; /* parts, dbname */
	const char *sep = " (";
	size_t n;

	if (opts == NULL) {
		snprintf(out, size, "a PostgreSQL database");
		return;
	}
	for (PQconninfoOption *o = opts; o->keyword != NULL; o++) {
		for (size_t i = 0; i < 3; i++)
			if (strcmp(o->keyword, parts[i]) == 0)
				val[i] = o->val;
		if (strcmp(o->keyword, "dbname") == 0)
			val[3] = o->val;
	}
	n = (size_t)snprintf(out, size, "PostgreSQL database \"%s\"",
	    val[3] != NULL ? val[3] : "");
	for (size_t i = 0; i < 3; i++) {
		/* a multi-host URI gives "," for ports it does not name */
		if (val[i] == NULL || val[i][strspn(val[i], ",")] == '\0' ||
		    n >= size)
			continue;
		n += (size_t)snprintf(out + n, size - n, "%s%s %s",
		    sep, parts[i], val[i]);
		sep = ", ";
	}
	if (sep[0] == ',' && n < size)
		snprintf(out + n, size - n, ")");
	PQconninfoFree(opts);
}

/* TCP defaults under the URI (libpq: array entries before an expanded
 * dbname are overridden by the URI's own): a server that vanishes without
 * closing its connections (powered off, a network cut) is noticed within
 * about a minute, idle (keepalives) or waiting for an answer
 * (tcp_user_timeout, ms), instead of the kernel's hours. PQreset keeps
 * them. Unix-domain sockets ignore them. */
static const char *const pg_keywords[] = { "keepalives_idle",
    "keepalives_interval", "keepalives_count", "tcp_user_timeout",
    "dbname", NULL };
#define PG_KEEPALIVE_DEFAULTS "30", "10", "3", "30000"

int
db_pg_open(const char *conninfo, struct db **out)
{
	struct pg *c;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return DB_NOMEM;
	c->base.driver = &pg_driver;
	*out = &c->base;
	if (db_pg_conninfo_check(conninfo) == DB_PG_CONNINFO_MALFORMED)
		return fail(c, DB_CANTOPEN, "the connection URI cannot be "
		    "parsed");	/* libpq's message may quote it */
	c->conn = PQconnectdbParams(pg_keywords, (const char *const [])
	    { PG_KEEPALIVE_DEFAULTS, conninfo, NULL }, 1);
	if (c->conn == NULL)
		return fail(c, DB_NOMEM, NULL);
	if (PQstatus(c->conn) != CONNECTION_OK)
		return fail(c, DB_CANTOPEN, PQerrorMessage(c->conn));
	return session_start(c, DB_CANTOPEN);
}

int
db_pg_session(struct db *db, const char *sql)
{
	struct pg *c = pg(db);
	size_t n = (c->session != NULL ? strlen(c->session) + 2 : 0) +
	    strlen(sql) + 1;
	char *copy;
	PGresult *res;
	int rc;

	copy = malloc(n);
	if (copy != NULL)
		snprintf(copy, n, "%s%s%s", c->session != NULL ? c->session :
		    "", c->session != NULL ? "; " : "", sql);
	if (copy == NULL)
		return fail(c, DB_NOMEM, NULL);
	rc = connection_ready(c);
	if (rc == DB_OK) {
		res = PQexec(c->conn, sql);
		rc = result_rc(c, res);
		PQclear(res);
	}
	if (rc != DB_OK) {
		free(copy);
		return rc;
	}
	free(c->session);
	c->session = copy;
	return DB_OK;
}

int
db_pg_wait_notify(struct db *db, int timeout_ms, const char *own,
    bool *woken)
{
	struct pg *c = pg(db);
	struct pollfd pfd;
	PGnotify *n;
	bool was_ok = PQstatus(c->conn) == CONNECTION_OK && c->session_ok;
	int rc;

	*woken = false;
	rc = connection_ready(c);
	if (rc != DB_OK)
		return rc;
	if (!was_ok)
		*woken = true;	/* a new session: the gap was not heard */
	/* some may have come in with an earlier answer: no poll then */
	if ((n = PQnotifies(c->conn)) == NULL) {
		pfd.fd = PQsocket(c->conn);
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (pfd.fd < 0)
			return fail(c, DB_IOERR_CONNECTION, PQerrorMessage(c->conn));
		rc = poll(&pfd, 1, timeout_ms);
		if (rc < 0 && errno != EINTR)
			return fail(c, DB_IOERR, strerror(errno));
		if (rc > 0 && PQconsumeInput(c->conn) == 0)
			return fail(c, DB_IOERR_CONNECTION, PQerrorMessage(c->conn));
		n = PQnotifies(c->conn);
	}
	for (; n != NULL; n = PQnotifies(c->conn)) {
		if (n->extra == NULL || strcmp(n->extra, own) != 0)
			*woken = true;
		PQfreemem(n);
	}
	return DB_OK;
}

/* SQLite's BEGIN IMMEDIATE takes the database's one write lock at once:
 * a writer in any process waits (busy_timeout) for the one before it to
 * end. The same here: an advisory lock every writer takes first, held to
 * COMMIT or ROLLBACK, waited for up to the session's lock_timeout
 * (store_pg.c; then 55P03, DB_BUSY). Writes see every commit made before
 * the lock was theirs (read committed, each statement a new snapshot);
 * a reader's BEGIN keeps one snapshot (the session's repeatable read). */
static const char write_begin[] =
    "BEGIN ISOLATION LEVEL READ COMMITTED;"
    " SELECT pg_advisory_xact_lock(1414681431)";	/* "TRSW" */

/* Length of "INDEXED BY name " at p (SQLite's index hint, which has no
 * meaning to PostgreSQL's planner), or 0. */
static size_t
index_hint(const char *p)
{
	size_t n;

	if (strncasecmp(p, "INDEXED BY ", 11) != 0)
		return 0;
	n = 11;
	while (isalnum((unsigned char)p[n]) || p[n] == '_')
		n++;
	while (p[n] == ' ')
		n++;
	return n;
}

/* sql in PostgreSQL's words: ?N as $N (a bare ? the next number) and
 * SQLite's index hints dropped, outside quotes and comments; BEGIN
 * IMMEDIATE (SQLite's write lock at once) as BEGIN. *params, the largest
 * parameter number. NULL when out of memory, or a parameter number out of
 * range (*params -1). */
static char *
sql_translate(const char *sql, int *params)
{
	size_t len = strlen(sql), o = 0;
	char *out, quote = 0;
	long n, top = 0;
	char *end;

	/* "?" -> "$N", N of at most 5 digits (DB_PG_PARAMS_MAX) */
	out = malloc(len * 6 + 1);
	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		char ch = sql[i];

		if (quote != 0) {
			if (quote == '-' && ch == '\n')
				quote = 0;
			else if (quote == '*' && ch == '*' && sql[i + 1] == '/') {
				out[o++] = sql[i++];	/* the '*' */
				ch = sql[i];		/* the '/', copied below */
				quote = 0;
			} else if (ch == quote && quote != '-' && quote != '*')
				quote = 0;
			out[o++] = ch;
			continue;
		}
		if (ch == '\'' || ch == '"')
			quote = ch;
		else if (ch == '-' && sql[i + 1] == '-')
			quote = '-';
		else if (ch == '/' && sql[i + 1] == '*')
			quote = '*';
		if (quote == 0 && (i == 0 || !isalnum((unsigned char)sql[i - 1])) &&
		    index_hint(sql + i) > 0) {
			i += index_hint(sql + i) - 1;
			continue;
		}
		if (ch != '?') {
			out[o++] = ch;
			continue;
		}
		errno = 0;
		if (!isdigit((unsigned char)sql[i + 1]))
			n = top + 1;		/* a bare ? (not "? 1") */
		else {
			n = strtol(sql + i + 1, &end, 10);
			i = (size_t)(end - sql) - 1;
		}
		if (errno != 0 || n < 1 || n > DB_PG_PARAMS_MAX) {
			free(out);
			*params = -1;
			return NULL;
		}
		if (n > top)
			top = n;
		o += (size_t)snprintf(out + o, len * 6 + 1 - o, "$%ld", n);
	}
	out[o] = '\0';
	*params = (int)top;
	if (strcasecmp(out, "BEGIN IMMEDIATE") == 0) {
		free(out);
		return strdup(write_begin);
	}
	return out;
}

/* Whether sql may run again after the connection was lost while it ran
 * outside a transaction: it changes nothing (a BEGIN, a SELECT). */
static bool
retry_safe(const char *sql)
{
	return strncasecmp(sql, "BEGIN", 5) == 0 ||
	    strncasecmp(sql, "SELECT", 6) == 0;
}

/* Whether sql controls the transaction: not preparable in PostgreSQL, so
 * it is run as it is at its step. */
static bool
sql_is_transaction(const char *sql)
{
	static const char *const words[] = { "BEGIN", "COMMIT", "END",
	    "ROLLBACK", "SAVEPOINT", "RELEASE" };

	sql += strspn(sql, " \t\n");
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		size_t n = strlen(words[i]);

		if (strncasecmp(sql, words[i], n) == 0 &&
		    !isalnum((unsigned char)sql[n]) && sql[n] != '_')
			return true;
	}
	return false;
}

static void
params_clear(struct pg_stmt *st)
{
	for (int i = 0; i < st->nparams; i++) {
		free(st->params[i].owned);
		memset(&st->params[i], 0, sizeof(st->params[i]));
	}
}

static void
row_clear(struct pg_stmt *st)
{
	for (int i = 0; i < st->cols; i++) {
		free(st->blobs[i]);
		st->blobs[i] = NULL;
	}
}

static void
result_clear(struct pg_stmt *st)
{
	row_clear(st);
	free(st->blobs);
	free(st->blob_len);
	st->blobs = NULL;
	st->blob_len = NULL;
	st->cols = 0;
	PQclear(st->res);
	st->res = NULL;
	st->rows = st->next = 0;
	st->rc = DB_DONE;
}

static int
pg_close(struct db *db)
{
	struct pg *c = pg(db);

	if (c->stmts != NULL)
		return DB_ERROR;	/* SQLite's SQLITE_BUSY: finalize first */
	PQfinish(c->conn);
	free(c->session);
	free(c);
	return DB_OK;
}

static int
pg_exec(struct db *db, const char *sql)
{
	struct pg *c = pg(db);
	PGresult *res;
	char *text;
	int rc, n;

	text = sql_translate(sql, &n);
	if (text == NULL)
		return fail(c, n < 0 ? DB_ERROR : DB_NOMEM, NULL);
	rc = broken_tx_end(c, text);
	if (rc < 0)
		rc = connection_ready(c);
	else {
		free(text);	/* ended, or refused, without the server */
		return rc;
	}
	if (rc != DB_OK) {
		free(text);
		return rc;
	}
	dealloc_flush(c);
	res = PQexec(c->conn, text);
	rc = result_rc(c, res);
	if (rc == DB_OK && commit_rolled_back(text, res))
		rc = fail(c, DB_ERROR, "COMMIT of a transaction an error "
		    "aborted: it was rolled back");
	free(text);
	if (rc == DB_OK)
		c->changes = strtoll(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return rc;
}

static const char *
pg_errmsg(const struct db *db)
{
	const struct pg *c = pg(db);

	return c->errcode == DB_OK ? "not an error" : c->errmsg;
}

static int
pg_extended_errcode(const struct db *db)
{
	return pg(db)->errcode;
}

static int
pg_system_errno(const struct db *db)
{
	(void)db;
	return 0;
}

static bool
pg_get_autocommit(const struct db *db)
{
	const struct pg *c = pg(db);

	if (PQstatus(c->conn) != CONNECTION_OK)
		return !c->broken_tx && c->last_tx == PQTRANS_IDLE;
	return PQtransactionStatus(c->conn) == PQTRANS_IDLE;
}

static int64_t
pg_changes(const struct db *db)
{
	return pg(db)->changes;
}

/* PQprepare st as name; inside a transaction under a savepoint, so that
 * a statement the server cannot type (42P18) does not abort the caller's
 * transaction. Returns DB_OK, DB_BUSY for 42P18 (the caller defers), or
 * the error. */
static int
server_prepare(struct pg *c, struct pg_stmt *st, const char *text,
    const Oid *types)
{
	bool in_tx = PQtransactionStatus(c->conn) == PQTRANS_INTRANS;
	const char *state;
	PGresult *res;
	int rc;

	if (in_tx)
		PQclear(PQexec(c->conn, "SAVEPOINT db_pg_prepare"));
	res = PQprepare(c->conn, st->name, text, st->nparams, types);
	state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	if (state != NULL && (strcmp(state, "42P18") == 0 ||
	    strcmp(state, "42P08") == 0) && types == NULL) {
		c->errcode = DB_OK;
		rc = DB_BUSY;
	} else
		rc = result_rc(c, res);
	PQclear(res);
	if (in_tx)
		PQclear(PQexec(c->conn, rc == DB_OK ?
		    "RELEASE db_pg_prepare" :
		    "ROLLBACK TO db_pg_prepare; RELEASE db_pg_prepare"));
	return rc;
}

static void
stmt_free(struct pg_stmt *st)
{
	free(st->direct);
	free(st->sql);
	free(st->params);
	free(st);
}

static int
pg_prepare(struct db *db, const char *sql, bool persistent,
    struct db_stmt **out)
{
	struct pg *c = pg(db);
	struct pg_stmt *st;
	char *text;
	int rc, n;

	(void)persistent;	/* every statement lives on the server */
	*out = NULL;
	text = sql_translate(sql, &n);
	if (text == NULL)
		return fail(c, n < 0 ? DB_ERROR : DB_NOMEM, n < 0 ?
		    "parameter number out of range" : NULL);
	st = calloc(1, sizeof(*st));
	if (st != NULL && n > 0)
		st->params = calloc((size_t)n, sizeof(*st->params));
	if (st == NULL || (n > 0 && st->params == NULL)) {
		free(text);
		free(st);
		return fail(c, DB_NOMEM, NULL);
	}
	st->base.driver = &pg_driver;
	st->base.db = db;
	st->nparams = n;
	st->rc = DB_DONE;
	if (sql_is_transaction(text)) {
		st->direct = text;	/* no parameters, nothing to prepare */
		rc = n == 0 ? DB_OK : fail(c, DB_ERROR, "parameters in a"
		    " transaction statement");
	} else {
		st->sql = text;
		snprintf(st->name, sizeof(st->name), "td_%" PRIu64,
		    ++c->names);
		rc = connection_ready(c);
		if (rc == DB_OK)
			rc = server_prepare(c, st, text, NULL);
		if (rc == DB_BUSY) {	/* typed at its first run */
			st->typed = true;
			rc = DB_OK;
		} else if (rc == DB_OK)
			st->prepared = true;
	}
	if (rc != DB_OK) {
		stmt_free(st);
		return rc;
	}
	st->older = c->stmts;
	if (c->stmts != NULL)
		c->stmts->newer = st;
	c->stmts = st;
	*out = &st->base;
	return DB_OK;
}

static int
pg_finalize(struct db_stmt *base)
{
	struct pg_stmt *st = pg_stmt(base);
	struct pg *c = pg(base->db);
	char sql[64];
	int rc = st->rc == DB_DONE ? DB_OK : st->rc;
	PGresult *res;

	result_clear(st);
	params_clear(st);
	snprintf(sql, sizeof(sql), "DEALLOCATE %s", st->name);
	if (st->prepared && PQstatus(c->conn) == CONNECTION_OK) {
		if (PQtransactionStatus(c->conn) != PQTRANS_INERROR) {
			res = PQexec(c->conn, sql);
			PQclear(res);
		} else if (c->ndealloc < DB_PG_DEALLOC_MAX)
			memcpy(c->dealloc[c->ndealloc++], st->name,
			    sizeof(st->name));
	}
	if (st->newer != NULL)
		st->newer->older = st->older;
	else
		c->stmts = st->older;
	if (st->older != NULL)
		st->older->newer = st->newer;
	stmt_free(st);
	return rc;
}

static int
pg_reset(struct db_stmt *base)
{
	struct pg_stmt *st = pg_stmt(base);
	int rc = st->rc == DB_DONE ? DB_OK : st->rc;

	result_clear(st);
	return rc;
}

static int
pg_clear_bindings(struct db_stmt *base)
{
	params_clear(pg_stmt(base));
	return DB_OK;
}

/* Run st with its bindings: its rows are then walked by pg_step. */
static int
run(struct pg_stmt *st)
{
	struct pg *c = pg(st->base.db);
	const char *values[DB_PG_PARAMS_MAX];
	int lengths[DB_PG_PARAMS_MAX], formats[DB_PG_PARAMS_MAX];
	Oid types[DB_PG_PARAMS_MAX];
	int rc;

	for (int i = 0; i < st->nparams; i++) {
		values[i] = st->params[i].value;
		lengths[i] = st->params[i].len;
		formats[i] = st->params[i].format;
		types[i] = st->params[i].type;
	}
	if (st->direct != NULL && (rc = broken_tx_end(c, st->direct)) >= 0)
		return rc == DB_OK ? DB_DONE : rc;
	for (int attempt = 0;; attempt++) {
		rc = connection_ready(c);
		if (rc == DB_OK && st->direct == NULL && !st->prepared) {
			/* first run of a typed statement, or a reconnect */
			rc = server_prepare(c, st, st->sql, st->typed ? types :
			    NULL);
			if (rc == DB_BUSY) {
				st->typed = true;
				rc = server_prepare(c, st, st->sql, types);
			}
			st->prepared = rc == DB_OK;
		}
		if (rc == DB_OK) {
			dealloc_flush(c);
			PQclear(st->res);
			if (st->direct != NULL)
				st->res = PQexec(c->conn, st->direct);
			else
				st->res = PQexecPrepared(c->conn, st->name,
				    st->nparams, values, lengths, formats, 0);
			rc = result_rc(c, st->res);
		}
		/* Once more on a new connection when the old one was found
		 * dead outside a transaction by what changes nothing (a
		 * BEGIN, a SELECT): after a failover the first request does
		 * not fail for the connection it could not know was gone. */
		if (rc != DB_IOERR_CONNECTION || attempt > 0 || c->broken_tx ||
		    !retry_safe(st->direct != NULL ? st->direct : st->sql))
			break;
	}
	if (rc != DB_OK)
		return rc;
	if (st->direct != NULL && commit_rolled_back(st->direct, st->res))
		return fail(c, DB_ERROR, "COMMIT of a transaction an error "
		    "aborted: it was rolled back");
	if (st->direct != NULL)
		return DB_DONE;	/* transaction control: no rows, whatever ran */
	if (PQresultStatus(st->res) != PGRES_TUPLES_OK) {
		c->changes = strtoll(PQcmdTuples(st->res), NULL, 10);
		return DB_DONE;
	}
	st->rows = PQntuples(st->res);
	st->cols = PQnfields(st->res);
	st->blobs = calloc((size_t)st->cols + 1, sizeof(*st->blobs));
	st->blob_len = calloc((size_t)st->cols + 1, sizeof(*st->blob_len));
	if (st->blobs == NULL || st->blob_len == NULL) {
		st->cols = 0;		/* row_clear walks nothing */
		return fail(c, DB_NOMEM, NULL);
	}
	return DB_ROW;
}

static int
pg_step(struct db_stmt *base)
{
	struct pg_stmt *st = pg_stmt(base);
	int rc;

	if (st->rc != DB_DONE)
		return st->rc;		/* as SQLite: the error until a reset */
	if (st->res == NULL) {
		rc = run(st);
		if (rc != DB_ROW) {
			st->rc = rc;
			return rc;
		}
	}
	row_clear(st);
	if (st->next >= st->rows)
		return DB_DONE;
	st->next++;
	return DB_ROW;
}

static int
pg_bind_parameter_count(struct db_stmt *base)
{
	return pg_stmt(base)->nparams;
}

/* The parameter i (1-based), emptied; NULL when i is out of range. */
static struct pg_param *
param(struct db_stmt *base, int i)
{
	struct pg_stmt *st = pg_stmt(base);
	struct pg_param *p;

	if (i < 1 || i > st->nparams)
		return NULL;
	p = &st->params[i - 1];
	free(p->owned);
	memset(p, 0, sizeof(*p));
	return p;
}

static int
pg_bind_int64(struct db_stmt *base, int i, int64_t value)
{
	struct pg_param *p = param(base, i);

	if (p == NULL)
		return DB_ERROR;	/* SQLITE_RANGE's meaning */
	p->len = snprintf(p->number, sizeof(p->number), "%" PRId64, value);
	p->value = p->number;
	p->type = OID_INT8;
	return DB_OK;
}

static int
pg_bind_null(struct db_stmt *base, int i)
{
	return param(base, i) == NULL ? DB_ERROR : DB_OK;
}

static int
bind_bytes(struct db_stmt *base, int i, const void *data, int len,
    enum db_lifetime life, int format)
{
	struct pg_param *p = param(base, i);
	static const char empty[1];

	if (p == NULL || len < 0)
		return DB_ERROR;
	if (data == NULL && len > 0)
		return DB_OK;		/* as SQLite: NULL */
	p->len = len;
	p->format = format;
	p->value = data != NULL ? data : empty;
	if (life == DB_TRANSIENT && len > 0) {
		p->owned = malloc((size_t)len);
		if (p->owned == NULL) {
			p->value = NULL;	/* never the caller's bytes */
			p->len = 0;
			return DB_NOMEM;
		}
		memcpy(p->owned, data, (size_t)len);
		p->value = p->owned;
	}
	return DB_OK;
}

static int
pg_bind_text(struct db_stmt *base, int i, const char *text, int len,
    enum db_lifetime life)
{
	struct pg_param *p;
	int rc;

	bool terminated = len < 0;

	if (text == NULL)
		return pg_bind_null(base, i);
	if (terminated)
		len = (int)strlen(text);
	else if (memchr(text, '\0', (size_t)len) != NULL)
		return DB_ERROR;	/* PostgreSQL text holds no NUL */
	/* Text parameters go as C strings: copy unless the caller's text is
	 * one and stays. */
	rc = bind_bytes(base, i, text, len, DB_STATIC, 0);
	if (rc != DB_OK)
		return rc;
	p = &pg_stmt(base)->params[i - 1];
	p->type = OID_TEXT;
	if (life == DB_STATIC && terminated)
		return DB_OK;
	p->owned = malloc((size_t)len + 1);
	if (p->owned == NULL) {
		p->value = NULL;	/* never the caller's bytes */
		p->len = 0;
		return DB_NOMEM;
	}
	memcpy(p->owned, text, (size_t)len);
	p->owned[len] = '\0';
	p->value = p->owned;
	return DB_OK;
}

static int
pg_bind_blob(struct db_stmt *base, int i, const void *data, int len,
    enum db_lifetime life)
{
	int rc = bind_bytes(base, i, data, len, life, 1);

	if (rc == DB_OK)
		pg_stmt(base)->params[i - 1].type = OID_BYTEA;
	return rc;
}

/* Whether col of the current row exists (and is not NULL). */
static bool
cell(struct pg_stmt *st, int col)
{
	return st->res != NULL && st->next > 0 && col >= 0 &&
	    col < st->cols && !PQgetisnull(st->res, st->next - 1, col);
}

static int
pg_column_type(struct db_stmt *base, int col)
{
	struct pg_stmt *st = pg_stmt(base);

	if (!cell(st, col))
		return DB_NULL;
	switch (PQftype(st->res, col)) {
	case OID_BOOL:
	case OID_INT2:
	case OID_INT4:
	case OID_INT8:
	case OID_OID:
		return DB_INTEGER;
	case OID_FLOAT4:
	case OID_FLOAT8:
	case OID_NUMERIC:
		return DB_FLOAT;
	case OID_BYTEA:
		return DB_BLOB;
	default:
		return DB_TEXT;
	}
}

static int64_t
pg_column_int64(struct db_stmt *base, int col)
{
	struct pg_stmt *st = pg_stmt(base);
	const char *v;

	if (!cell(st, col))
		return 0;
	v = PQgetvalue(st->res, st->next - 1, col);
	if (PQftype(st->res, col) == OID_BOOL)
		return v[0] == 't';
	return strtoll(v, NULL, 10);
}

/* The bytes of a bytea cell, decoded from "\x<hex>" into st->blobs[col]
 * (NUL-terminated, for db_column_text). NULL when malformed or out of
 * memory. */
static const unsigned char *
bytea(struct pg_stmt *st, int col)
{
	const char *v = PQgetvalue(st->res, st->next - 1, col);
	size_t n = (size_t)PQgetlength(st->res, st->next - 1, col);
	unsigned char *out;

	if (st->blobs[col] != NULL)
		return st->blobs[col];
	if (n < 2 || v[0] != '\\' || v[1] != 'x' || n % 2 != 0)
		return NULL;
	out = malloc((n - 2) / 2 + 1);
	if (out == NULL)
		return NULL;
	if (n > 2 && hex_decode(out, (n - 2) / 2, v + 2, n - 2) != TREASURY_OK) {
		free(out);
		return NULL;
	}
	out[(n - 2) / 2] = '\0';
	st->blobs[col] = out;
	st->blob_len[col] = (n - 2) / 2;
	return out;
}

static const unsigned char *
pg_column_text(struct db_stmt *base, int col)
{
	struct pg_stmt *st = pg_stmt(base);

	if (!cell(st, col))
		return NULL;
	if (PQftype(st->res, col) == OID_BYTEA)
		return bytea(st, col);
	return (const unsigned char *)PQgetvalue(st->res, st->next - 1, col);
}

static const void *
pg_column_blob(struct db_stmt *base, int col)
{
	return pg_column_text(base, col);
}

static int
pg_column_bytes(struct db_stmt *base, int col)
{
	struct pg_stmt *st = pg_stmt(base);

	if (!cell(st, col))
		return 0;
	if (PQftype(st->res, col) == OID_BYTEA)
		return bytea(st, col) == NULL ? 0 : (int)st->blob_len[col];
	return PQgetlength(st->res, st->next - 1, col);
}

static const struct db_driver pg_driver = {
	.name = "postgresql",
	.close = pg_close,
	.exec = pg_exec,
	.errmsg = pg_errmsg,
	.extended_errcode = pg_extended_errcode,
	.system_errno = pg_system_errno,
	.get_autocommit = pg_get_autocommit,
	.changes = pg_changes,
	.prepare = pg_prepare,
	.finalize = pg_finalize,
	.reset = pg_reset,
	.clear_bindings = pg_clear_bindings,
	.step = pg_step,
	.bind_parameter_count = pg_bind_parameter_count,
	.bind_int64 = pg_bind_int64,
	.bind_null = pg_bind_null,
	.bind_text = pg_bind_text,
	.bind_blob = pg_bind_blob,
	.column_type = pg_column_type,
	.column_int64 = pg_column_int64,
	.column_text = pg_column_text,
	.column_blob = pg_column_blob,
	.column_bytes = pg_column_bytes,
};
