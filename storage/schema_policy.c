/*
 * schema_policy.c: schema 4, the treasury policies of docs/policies.md
 * (docs/policies.md §12.1), kept apart from schema.c because part of the
 * step is C: the proposals table is rebuilt (SQLite cannot change a CHECK
 * constraint in place) to accept the kinds set-policy and unfreeze, the
 * status vetoed and the approved_at and freeze_seq columns, and every
 * existing config version gets the empty policy, whose lines depend on
 * its M and N.
 *
 * The rebuild keeps every index and trigger on proposals (whatever the
 * earlier steps made) by reading their SQL from sqlite_schema first and
 * running it again afterwards. Foreign keys that point at proposals
 * (votes, ledger) are deferred for the step: the rows are dropped and put
 * back in one transaction, so no violation remains at its commit.
 *
 * A policy row keeps, beside its lines, the few values the engine needs
 * on every vote, veto and execution (config_extra, the delays,
 * veto_count, high_threshold, key_proof), so that those paths read
 * integers instead of decoding the lines.
 */
#include <stdlib.h>
#include <string.h>

#include "treasury/hash.h"
#include "treasury/policy.h"

#include "store_int.h"

enum { SAVED_SQL_MAX = 32 };

const char store_schema_4[] =
	"CREATE TABLE policies ("
	" treasury_id TEXT NOT NULL,"
	" version INTEGER NOT NULL,"
	" lines TEXT NOT NULL CHECK (length(CAST(lines AS BLOB))"
	"  BETWEEN 1 AND 65536),"
	" digest BLOB NOT NULL CHECK (length(digest) = 32),"
	" config_extra INTEGER NOT NULL CHECK (config_extra IN (0, 1)),"
	" timelock_spend_s INTEGER NOT NULL"
	"  CHECK (timelock_spend_s BETWEEN 0 AND 7776000),"
	" timelock_config_s INTEGER NOT NULL"
	"  CHECK (timelock_config_s BETWEEN timelock_spend_s AND 7776000),"
	" veto_count INTEGER NOT NULL CHECK (veto_count BETWEEN 0 AND 32),"
	" high_threshold INTEGER NOT NULL"
	"  CHECK (high_threshold BETWEEN 0 AND 32),"
	" key_proof INTEGER NOT NULL CHECK (key_proof IN (0, 1)),"
	" PRIMARY KEY (treasury_id, version),"
	" FOREIGN KEY (treasury_id, version)"
	"  REFERENCES treasury_configs (treasury_id, version)"
	") STRICT;"
	"ALTER TABLE treasuries ADD COLUMN frozen INTEGER NOT NULL DEFAULT 0"
	" CHECK (frozen IN (0, 1));"
	"ALTER TABLE treasuries ADD COLUMN freeze_seq INTEGER NOT NULL DEFAULT 0"
	" CHECK (freeze_seq >= 0);"
	"ALTER TABLE treasuries ADD COLUMN frozen_at INTEGER;"
	"CREATE TABLE freezes ("
	" treasury_id TEXT NOT NULL REFERENCES treasuries (id),"
	" seq INTEGER NOT NULL CHECK (seq >= 1),"
	" signer TEXT NOT NULL CHECK (length(CAST(signer AS BLOB))"
	"  BETWEEN 1 AND 32),"
	" config_version INTEGER NOT NULL,"
	" signature BLOB NOT NULL CHECK (length(signature) BETWEEN 8 AND 72),"
	" created_at INTEGER NOT NULL,"
	" PRIMARY KEY (treasury_id, seq, signer)"
	") STRICT;"
	"ALTER TABLE votes ADD COLUMN revoked_at INTEGER;"
	"ALTER TABLE votes ADD COLUMN revoke_signature BLOB"
	" CHECK (revoke_signature IS NULL OR"
	"  length(revoke_signature) BETWEEN 8 AND 72);"
	"CREATE TABLE vetoes ("
	" proposal_id BLOB NOT NULL REFERENCES proposals (id),"
	" signer TEXT NOT NULL CHECK (length(CAST(signer AS BLOB))"
	"  BETWEEN 1 AND 32),"
	" signature BLOB NOT NULL CHECK (length(signature) BETWEEN 8 AND 72),"
	" created_at INTEGER NOT NULL,"
	" PRIMARY KEY (proposal_id, signer)"
	") STRICT;"
	"CREATE TABLE key_proofs ("
	" proposal_id BLOB PRIMARY KEY REFERENCES proposals (id),"
	" signature BLOB NOT NULL CHECK (length(signature) BETWEEN 8 AND 72),"
	" created_at INTEGER NOT NULL"
	") STRICT;"
	"CREATE INDEX ledger_window ON ledger"
	" (treasury_id, asset, kind, created_at);";

/* The proposals table of schema 4: schema 2's, plus the kinds set-policy
 * and unfreeze, the status vetoed, approved_at (set while approved, and
 * kept once executed) and freeze_seq (the freeze an unfreeze lifts). */
static const char proposals_v4[] =
	"CREATE TABLE proposals ("
	" id BLOB PRIMARY KEY CHECK (length(id) = 32),"
	" treasury_id TEXT NOT NULL,"
	" nonce INTEGER NOT NULL CHECK (nonce >= 1),"
	" config_version INTEGER NOT NULL,"
	" kind TEXT NOT NULL CHECK (kind IN ('transfer', 'batch', 'add-signer',"
	"  'remove-signer', 'replace-signer', 'set-threshold', 'set-policy',"
	"  'unfreeze')),"
	" status TEXT NOT NULL CHECK (status IN ('pending', 'approved',"
	"  'executed', 'rejected', 'expired', 'stale', 'cancelled', 'vetoed')),"
	" canonical TEXT NOT NULL CHECK (length(CAST(canonical AS BLOB))"
	"  BETWEEN 1 AND 65536),"
	" proposer_token_id INTEGER NOT NULL REFERENCES tokens (id),"
	" created_at INTEGER NOT NULL,"
	" expires_at INTEGER NOT NULL,"
	" executed_at INTEGER,"
	" settlement TEXT CHECK (settlement IS NULL OR"
	"  length(CAST(settlement AS BLOB)) BETWEEN 1 AND 128),"
	" settled_at INTEGER,"
	" approved_at INTEGER,"
	" freeze_seq INTEGER CHECK (freeze_seq IS NULL OR freeze_seq >= 1),"
	" UNIQUE (treasury_id, nonce),"
	" FOREIGN KEY (treasury_id, config_version)"
	"  REFERENCES treasury_configs (treasury_id, version),"
	" CHECK ((status = 'executed') = (executed_at IS NOT NULL)),"
	" CHECK ((settlement IS NULL) = (settled_at IS NULL)),"
	" CHECK (settlement IS NULL OR status = 'executed'),"
	" CHECK (status <> 'approved' OR approved_at IS NOT NULL),"
	" CHECK ((kind = 'unfreeze') = (freeze_seq IS NOT NULL))"
	") STRICT;";

struct saved_sql {
	unsigned count;
	char *sql[SAVED_SQL_MAX];
};

static void
saved_free(struct saved_sql *sv)
{
	unsigned i;

	for (i = 0; i < sv->count; i++)
		free(sv->sql[i]);
	sv->count = 0;
}

/* The SQL of every index and trigger on proposals (not the automatic
 * indexes of its constraints, whose sql is NULL). */
static int
proposals_objects_save(struct db *db, struct saved_sql *sv)
{
	static const char sql[] = "SELECT sql FROM sqlite_schema"
	    " WHERE tbl_name = 'proposals' AND type IN ('index', 'trigger')"
	    " AND sql IS NOT NULL ORDER BY type, name";
	struct db_stmt *st = NULL;
	int rc;

	rc = db_prepare(db, sql, &st);
	while (rc == DB_OK && (rc = db_step(st)) == DB_ROW) {
		if (sv->count == SAVED_SQL_MAX) {
			rc = DB_INTERNAL;
			break;
		}
		sv->sql[sv->count] = strdup((const char *)db_column_text(st,
		    0));
		if (sv->sql[sv->count] == NULL) {
			rc = DB_NOMEM;
			break;
		}
		sv->count++;
		rc = DB_OK;
	}
	db_finalize(st);
	return rc == DB_DONE ? DB_OK : rc;
}

static int
proposals_rebuild(struct db *db)
{
	static const char copy[] =
	    "PRAGMA defer_foreign_keys = ON;"
	    "CREATE TABLE proposals_v3_copy AS SELECT * FROM proposals;"
	    "DROP TABLE proposals;";
	static const char refill[] =
	    "INSERT INTO proposals (id, treasury_id, nonce, config_version,"
	    " kind, status, canonical, proposer_token_id, created_at,"
	    " expires_at, executed_at, settlement, settled_at, approved_at)"
	    " SELECT id, treasury_id, nonce, config_version, kind, status,"
	    " canonical, proposer_token_id, created_at, expires_at, executed_at,"
	    " settlement, settled_at, CASE WHEN status IN ('approved',"
	    " 'executed') THEN created_at END FROM proposals_v3_copy;"
	    "DROP TABLE proposals_v3_copy;";
	struct saved_sql sv = { 0 };
	unsigned i;
	int rc;

	rc = proposals_objects_save(db, &sv);
	if (rc == DB_OK)
		rc = db_exec(db, copy);
	if (rc == DB_OK)
		rc = db_exec(db, proposals_v4);
	if (rc == DB_OK)
		rc = db_exec(db, refill);
	for (i = 0; rc == DB_OK && i < sv.count; i++)
		rc = db_exec(db, sv.sql[i]);
	saved_free(&sv);
	return rc;
}

/* The empty policy for one config version of M and N. */
static int
policy_empty_insert(struct db_stmt *ins, const char *treasury, int64_t version,
    unsigned m, unsigned n)
{
	struct treasury_policy *p;
	uint8_t digest[DIGEST_BYTES];
	struct textbuf text;
	int rc = DB_CORRUPT;

	p = malloc(sizeof(*p));
	if (p == NULL)
		return DB_NOMEM;
	policy_init(p);
	textbuf_init(&text, CANONICAL_MAX_BYTES);
	if (m < 1 || m > n || n > SIGNERS_PER_TREASURY_MAX ||
	    policy_lines_append(&text, p, m, n) != TREASURY_OK ||
	    policy_digest_compute(digest, p, m, n) != TREASURY_OK)
		goto done;
	db_bind_text(ins, 1, treasury, -1, DB_TRANSIENT);
	db_bind_int64(ins, 2, version);
	db_bind_text(ins, 3, text.data, (int)text.len, DB_STATIC);
	db_bind_blob(ins, 4, digest, sizeof(digest), DB_STATIC);
	rc = db_step(ins);
	db_reset(ins);
	db_clear_bindings(ins);
	if (rc == DB_DONE)
		rc = DB_OK;
done:
	textbuf_free(&text);
	free(p);
	return rc;
}

/* Every config version that exists gets the empty policy. */
static int
policies_fill(struct db *db)
{
	static const char sel[] = "SELECT c.treasury_id, c.version, c.threshold,"
	    " (SELECT count(*) FROM signers s WHERE s.treasury_id ="
	    " c.treasury_id AND s.version = c.version) FROM treasury_configs c";
	static const char ins[] = "INSERT INTO policies (treasury_id, version,"
	    " lines, digest, config_extra, timelock_spend_s, timelock_config_s,"
	    " veto_count, high_threshold, key_proof)"
	    " VALUES (?1, ?2, ?3, ?4, 0, 0, 0, 0, 0, 0)";
	struct db_stmt *st = NULL, *in = NULL;
	int rc;

	rc = db_prepare(db, sel, &st);
	if (rc == DB_OK)
		rc = db_prepare(db, ins, &in);
	while (rc == DB_OK && (rc = db_step(st)) == DB_ROW)
		rc = policy_empty_insert(in,
		    (const char *)db_column_text(st, 0),
		    db_column_int64(st, 1),
		    (unsigned)db_column_int(st, 2),
		    (unsigned)db_column_int(st, 3));
	db_finalize(in);
	db_finalize(st);
	return rc == DB_DONE ? DB_OK : rc;
}

treasury_err
store_schema_4_after(struct db *db)
{
	int rc;

	rc = proposals_rebuild(db);
	if (rc == DB_OK)
		rc = policies_fill(db);
	if (rc == DB_CORRUPT)
		return TREASURY_ERR_DB_CORRUPT;
	return store_err_from_rc(rc);
}
