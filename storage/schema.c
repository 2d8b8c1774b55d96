/*
 * schema.c: the database schema as a forward-only list of migrations, and
 * the checks made before anything is written to a database.
 *
 * Schema version k (PRAGMA user_version) means migrations[0..k) have run.
 * Each step runs in its own BEGIN IMMEDIATE transaction that also sets
 * user_version, so a crash leaves the database at a whole version. To
 * change the schema, append one line to migrations[]; never edit or
 * reorder a step that has been released.
 *
 * Tokens are revoked by setting revoked_at; the row stays (ids are never
 * reused, thanks to AUTOINCREMENT, so anything that recorded a token id
 * keeps pointing at the token that acted) and its name becomes free.
 *
 * Schema 2 adds the treasury engine's tables (see schema_2 below).
 * Schema 3 adds idempotency records and the events journal (schema_3).
 * Schema 4 adds the treasury policies (schema_policy.c, docs/policies.md).
 * Schema 5 keys idempotency records by a request fingerprint
 * (schema_idem.c).
 * Schema 6 lets a token be bound to a TLS client certificate
 * (schema_token_cert below).
 * Schema 7 adds the high-water mark of time (schema_clock_mark).
 * Schema 8 replaces the events table and its triggers by the hash-chained
 * journal (schema_journal below, storage/journal.c).
 * Schema 9 adds webhooks: endpoints, the outbox, the deliveries log and
 * the fan-out mark (storage/webhooks.c, docs/webhooks.md).
 */
#include <assert.h>
#include <stdio.h>

#include <sodium.h>

#include "treasury/clock.h"
#include "treasury/crypto_init.h"

#include "journal_int.h"
#include "ledger_int.h"
#include "store_int.h"

/* The literals in the CHECK constraints below. */
static_assert(TOKEN_NAME_MAX_BYTES == 64, "tokens.name CHECK");
static_assert(ROLE_ALL == 15, "tokens.roles CHECK");
static_assert(INSTANCE_ID_BYTES == 32, "meta.instance_id CHECK");
static_assert(TOKEN_HASH_KEY_BYTES == 32, "meta.token_hash_key CHECK");
static_assert(TOKEN_HASH_BYTES == 32, "tokens.hash CHECK");
static_assert(CLIENT_CERT_SHA256_BYTES == 32,
    "tokens.client_cert_sha256 CHECK");

static const char schema_1[] =
	"CREATE TABLE meta ("
	" id INTEGER PRIMARY KEY CHECK (id = 1),"
	" instance_id BLOB NOT NULL CHECK (length(instance_id) = 32),"
	" token_hash_key BLOB NOT NULL CHECK (length(token_hash_key) = 32),"
	" created_at INTEGER NOT NULL"
	") STRICT;"
	"CREATE TABLE tokens ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" name TEXT NOT NULL"
	"  CHECK (length(CAST(name AS BLOB)) BETWEEN 1 AND 64),"
	" roles INTEGER NOT NULL CHECK (roles BETWEEN 1 AND 15),"
	" hash BLOB NOT NULL UNIQUE CHECK (length(hash) = 32),"
	" created_at INTEGER NOT NULL,"
	" revoked_at INTEGER"
	") STRICT;"
	"CREATE UNIQUE INDEX tokens_live_name ON tokens (name)"
	" WHERE revoked_at IS NULL;";

/* A decimal TEXT of minor units as amount_to_minor_text writes it: digits,
 * no leading zero, at most 39 digits (2^128-1 has 39; the value itself is
 * checked in C on every read). */
#define MINOR_TEXT(col)							\
	"(" col " <> '' AND " col " NOT GLOB '*[^0-9]*' AND"		\
	" length(" col ") <= 39 AND (" col " = '0' OR " col " NOT GLOB '0*'))"
#define TEXT_BYTES(col, lo, hi)						\
	"length(CAST(" col " AS BLOB)) BETWEEN " #lo " AND " #hi

static_assert(ASSET_CODE_MAX_BYTES == 32, "assets.code CHECK");
static_assert(ASSET_DECIMALS_MAX == 18, "assets.decimals CHECK");
static_assert(TREASURY_ID_MAX_BYTES == 32, "treasuries.id CHECK");
static_assert(SIGNER_NAME_MAX_BYTES == 32, "signers.name CHECK");
static_assert(SIGNERS_PER_TREASURY_MAX == 32, "treasury_configs CHECK");
static_assert(MEMO_MAX_BYTES == 256, "ledger.memo CHECK");
static_assert(DESTINATION_MAX_BYTES == 128, "ledger.to_dest CHECK");
static_assert(CANONICAL_MAX_BYTES == 65536, "proposals.canonical CHECK");

/*
 * Schema 2: the treasury engine (records.h, command.h). A treasury's
 * signers and threshold are kept per config version, never updated in
 * place, so a proposal is always counted against the set it was made for.
 * Balances and ledger amounts are decimal TEXT of minor units (up to
 * 2^128-1, more than an INTEGER holds); all arithmetic on them is done in
 * C. Proposal statuses are stored; "expired" is also derived from
 * expires_at when read (queries.c), so a status written here may lag
 * behind the clock.
 */
static const char schema_2[] =
	"CREATE TABLE assets ("
	" code TEXT PRIMARY KEY CHECK (" TEXT_BYTES("code", 1, 32) "),"
	" code_fold TEXT NOT NULL UNIQUE CHECK (code_fold = lower(code)),"
	" decimals INTEGER NOT NULL CHECK (decimals BETWEEN 0 AND 18),"
	" chain TEXT NOT NULL CHECK (" TEXT_BYTES("chain", 1, 32) "),"
	" created_at INTEGER NOT NULL"
	") STRICT;"
	"CREATE TABLE treasuries ("
	" id TEXT PRIMARY KEY CHECK (" TEXT_BYTES("id", 1, 32) "),"
	" name TEXT NOT NULL CHECK (" TEXT_BYTES("name", 1, 128) "),"
	" config_version INTEGER NOT NULL CHECK (config_version >= 1),"
	" next_nonce INTEGER NOT NULL CHECK (next_nonce >= 1),"
	" created_at INTEGER NOT NULL"
	") STRICT;"
	"CREATE TABLE treasury_configs ("
	" treasury_id TEXT NOT NULL REFERENCES treasuries (id),"
	" version INTEGER NOT NULL CHECK (version >= 1),"
	" threshold INTEGER NOT NULL CHECK (threshold BETWEEN 1 AND 32),"
	" created_at INTEGER NOT NULL,"
	" PRIMARY KEY (treasury_id, version)"
	") STRICT;"
	"CREATE TABLE signers ("
	" treasury_id TEXT NOT NULL,"
	" version INTEGER NOT NULL,"
	" name TEXT NOT NULL CHECK (" TEXT_BYTES("name", 1, 32) "),"
	" key_type TEXT NOT NULL CHECK (key_type IN ('ecdsa', 'schnorr')),"
	" pubkey BLOB NOT NULL CHECK (length(pubkey) ="
	"  CASE key_type WHEN 'ecdsa' THEN 33 ELSE 32 END),"
	" key_x BLOB NOT NULL CHECK (length(key_x) = 32),"
	" PRIMARY KEY (treasury_id, version, name),"
	" UNIQUE (treasury_id, version, key_x),"
	" FOREIGN KEY (treasury_id, version)"
	"  REFERENCES treasury_configs (treasury_id, version)"
	") STRICT;"
	"CREATE TABLE balances ("
	" treasury_id TEXT NOT NULL REFERENCES treasuries (id),"
	" asset TEXT NOT NULL REFERENCES assets (code),"
	" amount TEXT NOT NULL CHECK " MINOR_TEXT("amount") ","
	" PRIMARY KEY (treasury_id, asset)"
	") STRICT;"
	"CREATE TABLE proposals ("
	" id BLOB PRIMARY KEY CHECK (length(id) = 32),"
	" treasury_id TEXT NOT NULL,"
	" nonce INTEGER NOT NULL CHECK (nonce >= 1),"
	" config_version INTEGER NOT NULL,"
	" kind TEXT NOT NULL CHECK (kind IN ('transfer', 'batch', 'add-signer',"
	"  'remove-signer', 'replace-signer', 'set-threshold')),"
	" status TEXT NOT NULL CHECK (status IN ('pending', 'approved',"
	"  'executed', 'rejected', 'expired', 'stale', 'cancelled')),"
	" canonical TEXT NOT NULL CHECK (" TEXT_BYTES("canonical", 1, 65536) "),"
	" proposer_token_id INTEGER NOT NULL REFERENCES tokens (id),"
	" created_at INTEGER NOT NULL,"
	" expires_at INTEGER NOT NULL,"
	" executed_at INTEGER,"
	" settlement TEXT CHECK (settlement IS NULL OR"
	"  " TEXT_BYTES("settlement", 1, 128) "),"
	" settled_at INTEGER,"
	" UNIQUE (treasury_id, nonce),"
	" FOREIGN KEY (treasury_id, config_version)"
	"  REFERENCES treasury_configs (treasury_id, version),"
	" CHECK ((status = 'executed') = (executed_at IS NOT NULL)),"
	" CHECK ((settlement IS NULL) = (settled_at IS NULL)),"
	" CHECK (settlement IS NULL OR status = 'executed')"
	") STRICT;"
	"CREATE INDEX proposals_open ON proposals (treasury_id, status);"
	"CREATE TABLE votes ("
	" proposal_id BLOB NOT NULL REFERENCES proposals (id),"
	" signer TEXT NOT NULL CHECK (" TEXT_BYTES("signer", 1, 32) "),"
	" decision INTEGER NOT NULL CHECK (decision IN (1, 2)),"
	" signature BLOB NOT NULL CHECK (length(signature) BETWEEN 8 AND 72),"
	" created_at INTEGER NOT NULL,"
	" PRIMARY KEY (proposal_id, signer)"
	") STRICT;"
	"CREATE TABLE ledger ("
	" seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	" treasury_id TEXT NOT NULL REFERENCES treasuries (id),"
	" kind TEXT NOT NULL CHECK (kind IN ('deposit', 'transfer')),"
	" asset TEXT NOT NULL REFERENCES assets (code),"
	" amount TEXT NOT NULL CHECK (" MINOR_TEXT("amount") " AND amount <> '0'),"
	" balance_after TEXT NOT NULL CHECK " MINOR_TEXT("balance_after") ","
	" reference TEXT NOT NULL CHECK (" TEXT_BYTES("reference", 0, 128) "),"
	" source TEXT NOT NULL CHECK (" TEXT_BYTES("source", 0, 128) "),"
	" to_dest TEXT NOT NULL CHECK (" TEXT_BYTES("to_dest", 0, 128) "),"
	" memo TEXT NOT NULL CHECK (" TEXT_BYTES("memo", 0, 256) "),"
	" proposal_id BLOB REFERENCES proposals (id)"
	"  CHECK (proposal_id IS NULL OR length(proposal_id) = 32),"
	" created_at INTEGER NOT NULL,"
	" CHECK ((kind = 'deposit' AND reference <> '' AND to_dest = ''"
	"  AND proposal_id IS NULL) OR (kind = 'transfer' AND reference = ''"
	"  AND source = '' AND to_dest <> '' AND proposal_id IS NOT NULL))"
	") STRICT;"
	"CREATE INDEX ledger_treasury ON ledger (treasury_id, seq);"
	"CREATE UNIQUE INDEX ledger_deposit_reference ON ledger"
	" (treasury_id, reference) WHERE kind = 'deposit';";

/*
 * Schema 3: the API platform (docs/api.md).
 *
 * idempotency: one row per (token, Idempotency-Key) of a POST that
 * succeeded, written by the writer in the same transaction as the
 * command's effect, with the outcome (what the answer is rendered from)
 * and, once stored right after the commit, the rendered first response.
 * Purged after the retention by the daemon's cron (CMD_MAINTENANCE).
 *
 * events: the journal behind GET /v1/events, appended by triggers in the
 * transaction of the change itself, so ids follow commit order (one
 * writer) and no change is ever without its event or the reverse. data is
 * a small JSON object of ids; clients read details from the resources.
 * proposals_expiring lets the expiry sweep find what is due by index.
 */
/* A TEXT column as a JSON string (the values are printable ASCII; JSON
 * functions are not allowed in triggers with trusted_schema off). */
#define JSTR(col)							\
	"('\"' || replace(replace(" col ", '\\', '\\\\'), '\"', '\\\"')"	\
	" || '\"')"

static const char schema_3[] =
	"CREATE TABLE idempotency ("
	" token_id INTEGER NOT NULL,"
	" key TEXT NOT NULL CHECK (" TEXT_BYTES("key", 1, 128) "),"
	" method TEXT NOT NULL CHECK (" TEXT_BYTES("method", 1, 7) "),"
	" path TEXT NOT NULL CHECK (" TEXT_BYTES("path", 1, 256) "),"
	" body_sha256 BLOB NOT NULL CHECK (length(body_sha256) = 32),"
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
	"CREATE INDEX idempotency_age ON idempotency (created_at);"
	"CREATE TABLE events ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" type TEXT NOT NULL CHECK (" TEXT_BYTES("type", 1, 32) "),"
	" treasury_id TEXT,"
	" data TEXT NOT NULL CHECK (" TEXT_BYTES("data", 2, 1024) "),"
	" created_at INTEGER NOT NULL"
	") STRICT;"
	"CREATE INDEX proposals_expiring ON proposals (expires_at)"
	" WHERE status IN ('pending', 'approved');"
	"CREATE TRIGGER events_proposal_created AFTER INSERT ON proposals BEGIN"
	" INSERT INTO events (type, treasury_id, data, created_at) VALUES"
	" ('proposal.created', NEW.treasury_id, '{\"treasury\":' ||"
	"  " JSTR("NEW.treasury_id") " || ',\"proposal\":\"' ||"
	"  lower(hex(NEW.id)) || '\",\"nonce\":' || NEW.nonce ||"
	"  ',\"kind\":' || " JSTR("NEW.kind") " || ',\"status\":' ||"
	"  " JSTR("NEW.status") " || '}', unixepoch());"
	" END;"
	"CREATE TRIGGER events_proposal_status AFTER UPDATE OF status ON proposals"
	" WHEN NEW.status <> OLD.status BEGIN"
	" INSERT INTO events (type, treasury_id, data, created_at) VALUES"
	" ('proposal.' || NEW.status, NEW.treasury_id, '{\"treasury\":' ||"
	"  " JSTR("NEW.treasury_id") " || ',\"proposal\":\"' ||"
	"  lower(hex(NEW.id)) || '\",\"status\":' || " JSTR("NEW.status") " ||"
	"  ',\"previous\":' || " JSTR("OLD.status") " || '}', unixepoch());"
	" END;"
	"CREATE TRIGGER events_vote AFTER INSERT ON votes BEGIN"
	" INSERT INTO events (type, treasury_id, data, created_at)"
	" SELECT 'proposal.voted', p.treasury_id, '{\"treasury\":' ||"
	"  " JSTR("p.treasury_id") " || ',\"proposal\":\"' ||"
	"  lower(hex(NEW.proposal_id)) || '\",\"signer\":' ||"
	"  " JSTR("NEW.signer") " || ',\"decision\":' || CASE NEW.decision"
	"  WHEN 1 THEN '\"approve\"' ELSE '\"reject\"' END || '}', unixepoch()"
	" FROM proposals p WHERE p.id = NEW.proposal_id;"
	" END;"
	"CREATE TRIGGER events_deposit AFTER INSERT ON ledger"
	" WHEN NEW.kind = 'deposit' BEGIN"
	" INSERT INTO events (type, treasury_id, data, created_at) VALUES"
	" ('deposit', NEW.treasury_id, '{\"treasury\":' ||"
	"  " JSTR("NEW.treasury_id") " || ',\"ledger_seq\":' || NEW.seq ||"
	"  ',\"asset\":' || " JSTR("NEW.asset") " || ',\"amount_minor\":' ||"
	"  " JSTR("NEW.amount") " || ',\"reference\":' ||"
	"  " JSTR("NEW.reference") " || '}', unixepoch());"
	" END;"
	"CREATE TRIGGER events_config AFTER INSERT ON treasury_configs BEGIN"
	" INSERT INTO events (type, treasury_id, data, created_at) VALUES"
	" (CASE NEW.version WHEN 1 THEN 'treasury.created'"
	"  ELSE 'config.changed' END, NEW.treasury_id, '{\"treasury\":' ||"
	"  " JSTR("NEW.treasury_id") " || ',\"config_version\":' ||"
	"  NEW.version || ',\"threshold\":' || NEW.threshold || '}',"
	"  unixepoch());"
	" END;";

#undef JSTR

/* Schema 6: a token bound to a TLS client certificate is accepted only
 * on a connection that presented that certificate (api/auth.c): the
 * SHA-256 of its DER encoding; NULL for a token that is not bound. */
static const char schema_token_cert[] =
	"ALTER TABLE tokens ADD COLUMN client_cert_sha256 BLOB"
	" CHECK (client_cert_sha256 IS NULL OR"
	" length(client_cert_sha256) = 32);";

/*
 * Schema 7: clock_mark, one row: the latest time (seconds, the request
 * clock of clock.h) that any transaction of the writer stamped. The
 * writer raises it in the same transaction as the times it records and
 * never evaluates a spending window or an expiry before it, so a clock
 * stepped back cannot reopen a limit (storage/writer.c). Seeded with the
 * latest time the engine's tables hold already (tokens, meta and events
 * are stamped with the machine's clock, not the request clock, and are
 * left out).
 */
static const char schema_clock_mark[] =
	"CREATE TABLE clock_mark ("
	" id INTEGER PRIMARY KEY CHECK (id = 1),"
	" high_s INTEGER NOT NULL"
	") STRICT;"
	"INSERT INTO clock_mark (id, high_s) SELECT 1, coalesce(max(t), 0) FROM ("
	" SELECT max(created_at) AS t FROM assets"
	" UNION ALL SELECT max(created_at) FROM treasuries"
	" UNION ALL SELECT max(frozen_at) FROM treasuries"
	" UNION ALL SELECT max(created_at) FROM treasury_configs"
	" UNION ALL SELECT max(created_at) FROM ledger"
	" UNION ALL SELECT max(created_at) FROM proposals"
	" UNION ALL SELECT max(executed_at) FROM proposals"
	" UNION ALL SELECT max(settled_at) FROM proposals"
	" UNION ALL SELECT max(approved_at) FROM proposals"
	" UNION ALL SELECT max(created_at) FROM votes"
	" UNION ALL SELECT max(revoked_at) FROM votes"
	" UNION ALL SELECT max(created_at) FROM vetoes"
	" UNION ALL SELECT max(created_at) FROM freezes"
	" UNION ALL SELECT max(created_at) FROM key_proofs"
	" UNION ALL SELECT max(created_at) FROM idempotency);";

/*
 * Schema 8: the journal (journal_int.h, include/treasury/journal.h,
 * docs/audit.md): one row per state change, written by journal_append in
 * the transaction of the change, seq 1, 2, 3 ... without gaps, each
 * row's hash chaining it to the one before. The old events rows are
 * moved into it by store_schema_8_after (ids kept as seq, so a client's
 * Last-Event-ID keeps its place), which then drops events and its
 * triggers: from schema 8 on, only C code writes the journal.
 * journal_checkpoints: signed (seq, hash, time) of the journal
 * (storage/checkpoint.c).
 */
static_assert(DIGEST_BYTES == 32, "journal.hash CHECK");
static_assert(JOURNAL_SIGNATURE_BYTES == 64, "journal_checkpoints CHECK");
static_assert(JOURNAL_PAYLOAD_MAX_BYTES == 32768, "journal.payload CHECK");
static_assert(JOURNAL_TYPE_MAX_BYTES == 40, "journal.type CHECK");

static const char schema_journal[] =
	"CREATE TABLE journal ("
	" seq INTEGER PRIMARY KEY CHECK (seq >= 1),"
	" created_at INTEGER NOT NULL CHECK (created_at >= 0),"
	" treasury_id TEXT CHECK (treasury_id IS NULL OR"
	"  " TEXT_BYTES("treasury_id", 1, 32) "),"
	" type TEXT NOT NULL CHECK (" TEXT_BYTES("type", 1, 40) "),"
	" actor_token TEXT CHECK (actor_token IS NULL OR"
	"  " TEXT_BYTES("actor_token", 1, 64) "),"
	" actor_signer TEXT CHECK (actor_signer IS NULL OR"
	"  " TEXT_BYTES("actor_signer", 1, 32) "),"
	" payload TEXT NOT NULL CHECK (" TEXT_BYTES("payload", 2, 32768) "),"
	" hash BLOB NOT NULL CHECK (length(hash) = 32)"
	") STRICT;"
	"CREATE TABLE journal_checkpoints ("
	" seq INTEGER PRIMARY KEY CHECK (seq >= 1),"
	" hash BLOB NOT NULL CHECK (length(hash) = 32),"
	" created_at INTEGER NOT NULL,"
	" signature BLOB NOT NULL CHECK (length(signature) = 64)"
	") STRICT;";


struct migration {
	const char *sql;
	treasury_err (*after)(struct db *db);	/* NULL, or data the SQL can't make */
};

static const struct migration migrations[] = {
	/* 1 */ { schema_1, store_meta_create },
	/* 2 */ { schema_2, NULL },
	/* 3 */ { schema_3, NULL },
	/* 4 */ { store_schema_4, store_schema_4_after },	/* schema_policy.c */
	/* 5 */ { store_schema_5, store_schema_5_after },	/* schema_idem.c */
	/* 6 */ { schema_token_cert, NULL },
	/* 7 */ { schema_clock_mark, NULL },
	/* 8 */ { schema_journal, store_schema_8_after },	/* journal.c */
	/* 9 */ { store_schema_webhooks, NULL },	/* webhooks.c */
	/* 10 */ { store_schema_accounting, store_schema_10_after },
					/* schema_accounting.c */
};

#define MIGRATIONS_COUNT ((int)(sizeof(migrations) / sizeof(migrations[0])))

int
store_schema_version(void)
{
	return MIGRATIONS_COUNT;
}

/* The single meta row: a fresh instance id and token hash key. */
treasury_err
store_meta_create(struct db *db)
{
	static const char sql[] = "INSERT INTO meta"
	    " (id, instance_id, token_hash_key, created_at) VALUES (1, ?, ?, ?)";
	uint8_t instance_id[INSTANCE_ID_BYTES];
	uint8_t key[TOKEN_HASH_KEY_BYTES];
	struct db_stmt *st = NULL;
	int rc;

	if (treasury_crypto_init() != TREASURY_OK)
		return TREASURY_ERR_INTERNAL;
	randombytes_buf(instance_id, sizeof(instance_id));
	randombytes_buf(key, sizeof(key));
	rc = db_prepare(db, sql, &st);
	if (rc != DB_OK)
		goto done;
	db_bind_blob(st, 1, instance_id, sizeof(instance_id), DB_STATIC);
	db_bind_blob(st, 2, key, sizeof(key), DB_STATIC);
	db_bind_int64(st, 3, (int64_t)clock_wall_s());
	rc = db_step(st);
done:
	db_finalize(st);
	sodium_memzero(key, sizeof(key));
	return store_err_from_rc(rc);
}

/* Run a query whose answer is one integer (a PRAGMA, a count). */
static int
query_int(struct db *db, const char *sql, int *value)
{
	struct db_stmt *st = NULL;
	int rc;

	rc = db_prepare(db, sql, &st);
	if (rc != DB_OK)
		return rc;
	rc = db_step(st);
	if (rc == DB_ROW) {
		*value = db_column_int(st, 0);
		rc = DB_OK;
	} else if (rc == DB_DONE)
		rc = DB_INTERNAL;	/* a pragma this SQLite lacks */
	db_finalize(st);
	return rc;
}

static treasury_err
schema_read_fail(struct db *db, int rc, const char *path,
    char errmsg[STORE_ERRMSG_BYTES])
{
	treasury_err err = store_err_from_rc(rc);

	store_errmsg_set(errmsg, "cannot read database %s: %s", path,
	    db_errmsg(db));
	return err;
}

/* A version-0 database must be empty: never add our tables to a stranger. */
static treasury_err
schema_check_empty(struct db *db, const char *path,
    char errmsg[STORE_ERRMSG_BYTES])
{
	int objects = 0;
	int rc;

	rc = query_int(db, "SELECT count(*) FROM sqlite_schema", &objects);
	if (rc != DB_OK)
		return schema_read_fail(db, rc, path, errmsg);
	if (objects != 0) {
		store_errmsg_set(errmsg, "database %s has tables but no treasuryd"
		    " schema version; refusing to use it", path);
		return TREASURY_ERR_DB_CORRUPT;
	}
	return TREASURY_OK;
}

treasury_err
store_schema_check(struct db *db, const char *path, enum store_mode mode,
    int *version, char errmsg[STORE_ERRMSG_BYTES])
{
	int app_id = 0;
	int rc;

	rc = query_int(db, "PRAGMA application_id", &app_id);
	if (rc == DB_OK)
		rc = query_int(db, "PRAGMA user_version", version);
	if (rc != DB_OK)
		return schema_read_fail(db, rc, path, errmsg);
	if (app_id != 0 && app_id != STORE_APPLICATION_ID) {
		store_errmsg_set(errmsg, "database %s is not a treasuryd database"
		    " (application_id %d)", path, app_id);
		return TREASURY_ERR_DB_CORRUPT;
	}
	if (*version > MIGRATIONS_COUNT) {
		store_errmsg_set(errmsg, "database %s has schema version %d but"
		    " this treasuryd knows only up to %d: use a newer treasuryd",
		    path, *version, MIGRATIONS_COUNT);
		return TREASURY_ERR_DB_NEWER_SCHEMA;
	}
	if (*version < 0) {
		store_errmsg_set(errmsg, "database %s has a negative schema"
		    " version %d", path, *version);
		return TREASURY_ERR_DB_CORRUPT;
	}
	if (mode == STORE_READ_ONLY && *version < MIGRATIONS_COUNT) {
		store_errmsg_set(errmsg, "database %s has schema version %d, this"
		    " treasuryd needs %d: run the daemon once to migrate", path,
		    *version, MIGRATIONS_COUNT);
		return TREASURY_ERR_DB;
	}
	if (*version == 0)
		return schema_check_empty(db, path, errmsg);
	return TREASURY_OK;
}

/* Run migrations[version] and stamp the new version, inside the caller's
 * transaction. */
static treasury_err
migration_run(struct db *db, int version)
{
	const struct migration *m = &migrations[version];
	char stamp[96];
	treasury_err err;
	int rc;

	assert(version >= 0 && version < MIGRATIONS_COUNT);
	rc = db_exec(db, m->sql);
	if (rc != DB_OK)
		return store_err_from_rc(rc);
	if (m->after != NULL) {
		err = m->after(db);
		if (err != TREASURY_OK)
			return err;
	}
	/* Our own integers, not input: PRAGMA values cannot be bound. */
	snprintf(stamp, sizeof(stamp),
	    "PRAGMA application_id = %d; PRAGMA user_version = %d",
	    STORE_APPLICATION_ID, version + 1);
	rc = db_exec(db, stamp);
	return store_err_from_rc(rc);
}

treasury_err
store_migrate(struct db *db, const char *path, char errmsg[STORE_ERRMSG_BYTES])
{
	treasury_err err;
	int version = 0;
	int rc;

	for (;;) {
		rc = db_exec(db, "BEGIN IMMEDIATE");
		if (rc != DB_OK)
			goto fail_sqlite;
		/* Again inside the lock: another process may have migrated. */
		rc = query_int(db, "PRAGMA user_version", &version);
		if (rc != DB_OK)
			goto fail_sqlite;
		if (version >= MIGRATIONS_COUNT)
			break;
		err = migration_run(db, version);
		if (err != TREASURY_OK)
			goto fail;
		rc = db_exec(db, "COMMIT");
		if (rc != DB_OK)
			goto fail_sqlite;
	}
	db_exec(db, "ROLLBACK");	/* nothing written */
	if (version > MIGRATIONS_COUNT) {
		store_errmsg_set(errmsg, "database %s has schema version %d but"
		    " this treasuryd knows only up to %d: use a newer treasuryd",
		    path, version, MIGRATIONS_COUNT);
		return TREASURY_ERR_DB_NEWER_SCHEMA;
	}
	return TREASURY_OK;
fail_sqlite:
	err = store_err_from_rc(rc);
fail:
	store_errmsg_set(errmsg, "database %s: migration to schema version %d"
	    " failed: %s", path, version + 1,
	    db_extended_errcode(db) != DB_OK ? db_errmsg(db) :
	    treasury_err_text(err));
	if (!db_get_autocommit(db))
		db_exec(db, "ROLLBACK");
	return err;
}
