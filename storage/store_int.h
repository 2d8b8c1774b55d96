/*
 * store_int.h: what the files of storage/ share and nobody else sees.
 *
 * struct store is one SQLite connection, the statements prepared on it
 * once at open, and the meta values cached at open. The statement table
 * (statements.c) and the migration table (schema.c) are the two places
 * that grow when the schema grows.
 */
#ifndef TREASURY_STORE_INT_H
#define TREASURY_STORE_INT_H

#include <limits.h>
#include <stdint.h>

#include "treasury/storage.h"

#include "db.h"

/* One entry per prepared statement; SQL text in statements.c. */
enum store_stmt {
	STMT_TOKEN_INSERT,
	STMT_TOKEN_FIND,
	STMT_TOKEN_LIST,
	STMT_TOKEN_REVOKE,
	STMT_TOKEN_COUNT,
	STMT_TOKEN_BIND,
	STMT_TOKEN_NAME,
	/* transactions (writer) and read snapshots (queries) */
	STMT_BEGIN_READ,
	STMT_BEGIN_IMMEDIATE,
	STMT_COMMIT,
	STMT_ROLLBACK,
	STMT_SAVEPOINT,
	STMT_ROLLBACK_TO,
	STMT_RELEASE,
	STMT_DATA_VERSION,
	/* assets */
	STMT_ASSET_GET,
	STMT_ASSET_FIND_FOLD,
	STMT_ASSET_INSERT,
	STMT_ASSET_LIST,
	/* treasuries and their config versions */
	STMT_TREASURY_GET,
	STMT_TREASURY_INSERT,
	STMT_TREASURY_PAGE,
	STMT_TREASURY_NONCE_BUMP,
	STMT_TREASURY_VERSION_BUMP,
	STMT_CONFIG_GET,
	STMT_CONFIG_INSERT,
	STMT_SIGNERS_GET,
	STMT_SIGNER_GET,
	STMT_CONFIG_COUNTS,
	STMT_SIGNER_INSERT,
	STMT_SIGNERS_AWAITING,
	/* balances and ledger */
	STMT_BALANCE_GET,
	STMT_BALANCE_SET,
	STMT_BALANCES_LIST,
	STMT_LEDGER_INSERT,
	STMT_LEDGER_BY_REFERENCE,
	STMT_LEDGER_PAGE,
	STMT_LEDGER_PAGE_FILTERED,
	STMT_LEDGER_LAST_SEQ,
	STMT_LEDGER_GET,
	STMT_LEDGER_DAY_GET,
	STMT_LEDGER_DAY_SET,
	STMT_LEDGER_DAY_DELETE,
	STMT_PROPOSAL_CATEGORIES,
	STMT_CATEGORY_GET,
	STMT_CATEGORY_INSERT,
	STMT_CATEGORY_COUNT,
	STMT_CATEGORY_LIST,
	STMT_LEDGER_CATEGORY_SET,
	STMT_PROPOSAL_CATEGORY_SET,
	STMT_PROPOSAL_CATEGORY_DELETE,
	STMT_CATEGORY_CHANGE_INSERT,
	STMT_CATEGORY_HISTORY,
	STMT_REPORT_DAYS,
	STMT_REPORT_DAYS_KEY,
	STMT_REPORT_SCAN,
	STMT_REPORT_CATEGORIES,
	/* proposals and votes */
	STMT_PROPOSAL_INSERT,
	STMT_PROPOSAL_GET,
	STMT_PROPOSAL_HEAD,
	STMT_PROPOSAL_STATUS_SET,
	STMT_PROPOSAL_STATUS_GET,
	STMT_PROPOSAL_EXECUTED_SET,
	STMT_PROPOSAL_SETTLE,
	STMT_PROPOSALS_BY_STATUS,
	STMT_PROPOSALS_DUE,
	STMT_PROPOSALS_PAGE,
	STMT_PROPOSALS_LAST_NONCE,
	STMT_PROPOSALS_PENDING_FOR,
	STMT_VOTE_GET,
	STMT_VOTE_INSERT,
	STMT_VOTES_LIST,
	STMT_VOTES_TALLY,
	/* the API platform (schema 3) */
	STMT_IDEM_GET,
	STMT_IDEM_INSERT,
	STMT_IDEM_PURGE,
	STMT_EVENTS_PAGE,
	STMT_EVENTS_LAST,
	STMT_TOKEN_PAGE,
	STMT_PROPOSAL_STATUS_COUNTS,
	/* policies (schema 4, docs/policies.md) */
	STMT_POLICY_GET,
	STMT_POLICY_INSERT,
	STMT_PROPOSAL_POLICY,
	STMT_PROPOSAL_APPROVED_SET,
	STMT_FREEZE_GET,
	STMT_OUTFLOW,
	STMT_KEY_PROOF_INSERT,
	STMT_FREEZE_SET,
	STMT_FREEZE_LOG,
	STMT_UNFREEZE,
	STMT_VETO_INSERT,
	STMT_VETOES_COUNT,
	STMT_VETOES_LIST,
	STMT_VOTE_REVOKE,
	STMT_REVOCATIONS_LIST,

	STMT_CLOCK_MARK_GET,
	STMT_CLOCK_MARK_RAISE,
	/* the journal (schema 8, journal.c) */
	STMT_JOURNAL_LAST,
	STMT_JOURNAL_INSERT,
	STMT_JOURNAL_PAGE,
	/* webhooks (schema 9, storage/webhooks.c) */
	STMT_WEBHOOK_FANOUT,
	STMT_WEBHOOK_MARK_RAISE,
	STMT_WEBHOOK_ANY_ENABLED,
	STMT_WEBHOOK_JOURNAL_END,
	STMT_WEBHOOK_MARK_SET,
	STMT_WEBHOOK_INSERT,
	STMT_WEBHOOK_ENABLE,
	STMT_WEBHOOK_ROTATE,
	STMT_WEBHOOK_DELETE,
	STMT_WEBHOOK_OUTBOX_DELETE,
	STMT_WEBHOOK_LOG_DELETE,
	STMT_WEBHOOK_REDELIVER,
	STMT_WEBHOOK_EXISTS,
	STMT_WEBHOOK_ROW_SET,
	STMT_WEBHOOK_ROW_DONE,
	STMT_WEBHOOK_LOG_INSERT,
	STMT_WEBHOOK_LOG_TRIM,
	STMT_WEBHOOK_LIST,
	STMT_WEBHOOK_GET,
	STMT_WEBHOOK_LOG_PAGE,
	STMT_WEBHOOK_HEADS,
	STMT_WEBHOOK_NEXT,
	STMT_WEBHOOK_HEAD,
	STMT_WEBHOOK_DEAD_PURGE,
	STMT_WEBHOOK_ENTRY,
	STMT_WEBHOOK_PENDING_COUNT,
	STMT_COUNT_
};

/* SQL of each statement, indexed by enum store_stmt. */
extern const char *const store_stmt_sql[STMT_COUNT_];

/* PRAGMA application_id of a treasuryd database: "TRSD". */
#define STORE_APPLICATION_ID 0x54525344

struct store {
	struct db *db;
	bool postgresql;		/* db is PostgreSQL (store_pg.c) */
	uint64_t journal_appends;	/* rows journal_append inserted (the
					 * writer's NOTIFY: only for groups
					 * that journalled something) */
	int64_t pg_data_version;	/* store_data_version's, PostgreSQL */
	enum store_mode mode;
	char path[PATH_MAX];		/* as opened, for store_file_check */
	struct store_file_id file_id;	/* of the file opened */
	struct db_stmt *stmt[STMT_COUNT_];
	uint8_t instance_id[INSTANCE_ID_BYTES];
	uint8_t token_hash_key[TOKEN_HASH_KEY_BYTES];	/* secret */
	/* a token was revoked or bound in the open transaction (tokens.c);
	 * the writer clears it before each group */
	bool tokens_changed;
};

/* The single meta row of a new database: a fresh instance id and token
 * hash key (schema.c; the first migration, and schema_pg.c). */
TREASURY_WARN_UNUSED treasury_err store_meta_create(struct db *db);

/* ---- PostgreSQL (store_pg.c, schema_pg.c) ---- */

/* Connect s (mode set) to the PostgreSQL database of uri, set the
 * session (synchronous_commit on, repeatable read) and, unless s is
 * read-only, make the schema when the database has none. errmsg never
 * holds the password of uri. */
TREASURY_WARN_UNUSED treasury_err
store_pg_connect(struct store *s, const char *uri,
    char errmsg[STORE_ERRMSG_BYTES]);

/* Make the schema (schema_pg.c) of db, named where in messages, when it
 * has none; refuse a newer or older one. One transaction, under an
 * advisory lock. */
TREASURY_WARN_UNUSED treasury_err
store_pg_migrate(struct db *db, const char *where,
    char errmsg[STORE_ERRMSG_BYTES]);

/* The channel of the journal's wake-up on PostgreSQL: the writer
 * NOTIFYs it in each group (store_journal_notify), every daemon's
 * listener LISTENs to it (listener.c, treasury/listener.h). */
#define STORE_JOURNAL_CHANNEL "treasuryd_journal"
/* This process's name on that channel (the NOTIFY payload, "host:pid"),
 * so that its listener does not take its own commits for another's. */
const char *store_notify_origin(void);

/* The time of a change made outside the writer (`treasuryd token ...`,
 * the first run, a daemon's journal claim at start): now_s, or the
 * database's clock mark when that is later (schema 7), so that the
 * journal's times never step back; the mark is raised to it in the same
 * transaction (tokens.c). */
TREASURY_WARN_UNUSED treasury_err
store_time_at_mark(struct store *s, int64_t now_s, int64_t *time_s);
/* The key of the serving lock: every serving daemon's listener holds it
 * shared (listener.c); store_serving_alone tries it exclusive. "TRSV". */
#define STORE_SERVING_LOCK "1414681430"

/* The schema version schema_pg.c writes. */
int store_pg_schema_version(void);

/* A read-only maintenance connection (treasuryd check, audit verify) to
 * the PostgreSQL database of uri: repeatable-read transactions (one
 * snapshot from BEGIN to COMMIT), the schema of this treasuryd required.
 * Returns TREASURY_OK with *out set, or TREASURY_ERR_DB_OPEN,
 * _DB_NEWER_SCHEMA, _DB_CORRUPT (no treasuryd schema) with errmsg set
 * (never a password). */
TREASURY_WARN_UNUSED treasury_err
store_pg_open_maintenance(const char *uri, struct db **out,
    char errmsg[STORE_ERRMSG_BYTES]);


/* Schema 4 (schema_policy.c): the policies of docs/policies.md. */
extern const char store_schema_4[];
treasury_err store_schema_4_after(struct db *db);
extern const char store_schema_5[];		/* schema_idem.c */
treasury_err store_schema_5_after(struct db *db);
extern const char store_schema_webhooks[];	/* webhooks.c */

/* Reset a statement and clear its bindings, whatever happened (defined
 * in records.c; used by every file that steps a prepared statement). */
void store_stmt_done(struct db_stmt *st);

/* Map a SQLite result code to a treasury_err (never TREASURY_OK for an
 * error code; DB_OK, DB_ROW and DB_DONE give TREASURY_OK). */
treasury_err store_err_from_rc(int rc);

/* Prepare sql on s for one use (the caller finalizes *st); the accounting
 * statements that run seldom (budgets, prices) are not kept prepared.
 * Returns TREASURY_OK or the mapped error, *st NULL then. */
TREASURY_WARN_UNUSED treasury_err
store_prepare_once(struct store *s, const char *sql, struct db_stmt **st);

/* Whether the last error of db means that its file system is full:
 * DB_FULL, or an SQLITE_IOERR_* whose system errno is ENOSPC or EDQUOT
 * (SQLite says "disk I/O error" when, for instance, growing the -shm file
 * fails for want of space). */
bool store_db_full(struct db *db);

/* store_err_from_rc(rc), except TREASURY_ERR_STORAGE_FULL for an rc
 * that db's last error shows to be a full file system (store_db_full).
 * rc must be db's last result (or that of its last statement). */
treasury_err store_err_from_db(struct db *db, int rc);

/* Write a one-line message into errmsg (STORE_ERRMSG_BYTES): printf-style,
 * truncated, control characters replaced by '?'. */
void store_errmsg_set(char errmsg[STORE_ERRMSG_BYTES], const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Before any write: refuse a database that is newer than this build, not
 * a treasuryd database, or (for read-only stores) not current.
 * Out: *version, the database's user_version. */
TREASURY_WARN_UNUSED treasury_err
store_schema_check(struct db *db, const char *path, enum store_mode mode,
    int *version, char errmsg[STORE_ERRMSG_BYTES]);

/* Run every migration step the database has not had yet, each in its own
 * IMMEDIATE transaction. Safe against another process migrating at the
 * same time (the version is read again inside each transaction). */
TREASURY_WARN_UNUSED treasury_err
store_migrate(struct db *db, const char *path, char errmsg[STORE_ERRMSG_BYTES]);

/* A read-only connection for maintenance (backup.c, check.c): the file
 * must exist and pass store_schema_check in `mode` (STORE_READ_ONLY: the
 * current schema; STORE_READ_WRITE: any treasuryd schema, for backups
 * before an upgrade). No statements are prepared, nothing is written.
 * A PostgreSQL URI: STORE_READ_ONLY only (store_pg_open_maintenance).
 * Returns TREASURY_OK with *out, or an error with errmsg set. */
TREASURY_WARN_UNUSED treasury_err
store_open_maintenance(const char *path, enum store_mode mode, struct db **out,
    char errmsg[STORE_ERRMSG_BYTES]);

/* PRAGMA integrity_check: each row other than "ok" adds one to *findings
 * and is passed to finding (when not NULL).
 * Returns TREASURY_OK when the check ran, or the SQLite error. */
TREASURY_WARN_UNUSED treasury_err
store_integrity_check(struct db *db, void (*finding)(const char *, void *),
    void *ctx, unsigned long *findings);

/* One row of a page: read it and hand it on; set *stop when the caller's
 * callback asked to stop. */
typedef treasury_err (*store_page_row_fn)(struct store *s, struct db_stmt *st,
    void *walk, bool *stop);

/* Step st (bound, selecting at most limit + 1 rows) and call each for the
 * first limit rows or until it sets *stop; *more is set when a further row
 * exists. st is reset and its bindings cleared, whatever happened.
 * Returns TREASURY_OK, each's error, or the mapped SQLite error. */
TREASURY_WARN_UNUSED treasury_err
store_page_walk(struct store *s, struct db_stmt *st, unsigned limit,
    store_page_row_fn each, void *walk, bool *more);

/* Whether the current row belongs to the page (*kept); a row that does
 * not is passed over and counts neither toward limit nor toward *more. */
typedef treasury_err (*store_page_keep_fn)(struct db_stmt *st, void *walk,
    bool *kept);

/* store_page_walk over the rows that keep keeps (all when keep is NULL).
 * With a keep function st selects every candidate row, not limit + 1:
 * the walk stops at the first kept row past the page. */
TREASURY_WARN_UNUSED treasury_err
store_page_walk_where(struct store *s, struct db_stmt *st, unsigned limit,
    store_page_keep_fn keep, store_page_row_fn each, void *walk, bool *more);

#endif
