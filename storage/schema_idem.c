/*
 * schema_idem.c: schema 5, idempotency records keyed by an opaque request
 * fingerprint (docs/api.md "Idempotency") instead of the HTTP method, path
 * and body hash that schema 3 kept. Storage only stores and compares the
 * fingerprint; the api makes it (hash.h idempotency_fingerprint).
 *
 * The step is partly C: SQLite cannot compute SHA-256. The SQL renames the
 * schema 3 table aside and creates the new one; store_schema_5_after
 * converts every row, computing its fingerprint from the method, path,
 * body hash and token id it kept (the fingerprint hashes the body by its
 * SHA-256 for exactly this), and drops the old table. So every record,
 * expired or not, keeps working: a retry in flight across the upgrade
 * still replays, and one with another request is still refused 422.
 * Outcome and stored response are copied as they are. From schema 5 on
 * the response is written with the record, in the command's transaction
 * (platform.c idem_end), unless the api's render callback declines.
 */
#include <assert.h>
#include <string.h>

#include "treasury/hash.h"
#include "treasury/records.h"

#include "db_sqlite.h"
#include "store_int.h"

static_assert((int)IDEMPOTENCY_FINGERPRINT_BYTES == (int)DIGEST_BYTES,
    "idempotency.fingerprint CHECK");

const char store_schema_5[] =
	"DROP INDEX idempotency_age;"
	"ALTER TABLE idempotency RENAME TO idempotency_v3;"
	"CREATE TABLE idempotency ("
	" token_id INTEGER NOT NULL,"
	" key TEXT NOT NULL CHECK (length(CAST(key AS BLOB)) BETWEEN 1 AND 128),"
	" fingerprint BLOB NOT NULL CHECK (length(fingerprint) = 32),"
	" created_at INTEGER NOT NULL,"
	" outcome_seq INTEGER NOT NULL,"
	" outcome_proposal BLOB NOT NULL,"
	" outcome_status INTEGER NOT NULL,"
	" outcome_approvals INTEGER NOT NULL,"
	" outcome_rejections INTEGER NOT NULL,"
	" outcome_replayed INTEGER NOT NULL,"
	" outcome_token INTEGER NOT NULL,"
	" response_status INTEGER,"
	" response_body TEXT,"
	" PRIMARY KEY (token_id, key),"
	" CHECK ((response_status IS NULL) = (response_body IS NULL))"
	") STRICT;"
	"CREATE INDEX idempotency_age ON idempotency (created_at);";

/* The schema 3 columns a fingerprint is made of, and the rest as is. */
static const char rows_sel[] =
	"SELECT token_id, key, method, path, body_sha256, created_at,"
	" outcome_seq, outcome_proposal, outcome_status, outcome_approvals,"
	" outcome_rejections, outcome_replayed, outcome_token,"
	" response_status, response_body FROM idempotency_v3";
static const char rows_ins[] =
	"INSERT INTO idempotency (token_id, key, fingerprint, created_at,"
	" outcome_seq, outcome_proposal, outcome_status, outcome_approvals,"
	" outcome_rejections, outcome_replayed, outcome_token,"
	" response_status, response_body)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";

/* One schema 3 row at sel into ins, with its fingerprint. */
static int
row_convert(struct db_stmt *sel, struct db_stmt *ins)
{
	uint8_t fp[DIGEST_BYTES];
	const char *method = (const char *)db_column_text(sel, 2);
	const char *path = (const char *)db_column_text(sel, 3);
	const void *sha = db_column_blob(sel, 4);
	int rc;

	if (method == NULL || path == NULL || sha == NULL ||
	    db_column_bytes(sel, 4) != DIGEST_BYTES)
		return DB_CORRUPT;
	idempotency_fingerprint(fp, method, path, sha,
	    db_column_int64(sel, 0));
	sqlite3_bind_value(db_sqlite_stmt(ins), 1,
	    sqlite3_column_value(db_sqlite_stmt(sel), 0));
	sqlite3_bind_value(db_sqlite_stmt(ins), 2,
	    sqlite3_column_value(db_sqlite_stmt(sel), 1));
	db_bind_blob(ins, 3, fp, sizeof(fp), DB_TRANSIENT);
	for (int i = 5; i <= 14; i++)
		sqlite3_bind_value(db_sqlite_stmt(ins), i - 1,
		    sqlite3_column_value(db_sqlite_stmt(sel), i));
	rc = db_step(ins);
	db_reset(ins);
	db_clear_bindings(ins);
	return rc == DB_DONE ? DB_OK : rc;
}

treasury_err
store_schema_5_after(struct db *db)
{
	struct db_stmt *sel = NULL, *ins = NULL;
	int rc;

	rc = db_prepare(db, rows_sel, &sel);
	if (rc == DB_OK)
		rc = db_prepare(db, rows_ins, &ins);
	while (rc == DB_OK && (rc = db_step(sel)) == DB_ROW)
		rc = row_convert(sel, ins);
	if (rc == DB_DONE)
		rc = DB_OK;
	db_finalize(ins);
	db_finalize(sel);
	if (rc == DB_OK)
		rc = db_exec(db, "DROP TABLE idempotency_v3");
	if (rc == DB_CORRUPT)
		return TREASURY_ERR_DB_CORRUPT;
	return store_err_from_rc(rc);
}
