/*
 * tokens.c: API token records: insert, find by hash, list, revoke, count,
 * a name by id.
 *
 * Only keyed hashes of tokens are stored (auth.h). A lookup finds the row
 * through the unique index on hash and then compares the stored hash with
 * sodium_memcmp. Revoking sets revoked_at and keeps the row (schema.c);
 * "live" means revoked_at IS NULL. Names are checked here for length only;
 * callers check the character set with token_name_check().
 *
 * Rows read back are checked as they are copied out: a bad name or role set
 * is TREASURY_ERR_DB_CORRUPT, never an assert. A token may be bound to a
 * TLS client certificate (schema 6, store_token_bind): the SHA-256 of its
 * DER encoding, which api/auth.c compares with the connection's.
 *
 * Every change is journalled with it (token.created with the hash, the
 * roles and the binding; token.revoked; token.bound): the writer's commands call the *_by functions inside
 * their transaction with their actor (engine_int.h); the public
 * store_token_insert / _revoke / _bind, used by `treasuryd token ...`
 * and the first run, wrap the change and its entry in one IMMEDIATE
 * transaction of their own, with no actor, stamped no earlier than the
 * database's clock mark (store_time_at_mark), and note the change for a
 * daemon serving the database (store_changes_note). revoked_at is the
 * entry's time.
 */
#include <assert.h>
#include <string.h>

#include <sodium.h>

#include "treasury/auth.h"
#include "treasury/clock.h"
#include "treasury/queries.h"

#include "engine_int.h"

/* Columns shared by STMT_TOKEN_FIND, _LIST and _PAGE (hash: FIND only). */
enum { COL_ID, COL_NAME, COL_ROLES, COL_CREATED, COL_CERT, COL_HASH };

static int
roles_valid(int64_t roles)
{
	return roles != 0 && (roles & ~(int64_t)ROLE_ALL) == 0;
}

static treasury_err
token_row_read(struct db_stmt *st, struct token_info *out)
{
	int64_t roles = db_column_int64(st, COL_ROLES);
	const unsigned char *name;
	int name_bytes;

	/* The type first: asking for text would convert a blob. */
	if (db_column_type(st, COL_NAME) != DB_TEXT ||
	    !roles_valid(roles))
		return TREASURY_ERR_DB_CORRUPT;
	name = db_column_text(st, COL_NAME);
	name_bytes = db_column_bytes(st, COL_NAME);
	if (name == NULL || name_bytes < 1 ||
	    name_bytes > TOKEN_NAME_MAX_BYTES ||
	    memchr(name, '\0', (size_t)name_bytes) != NULL)
		return TREASURY_ERR_DB_CORRUPT;
	if (db_column_type(st, COL_CERT) != DB_NULL &&
	    (db_column_type(st, COL_CERT) != DB_BLOB ||
	    db_column_bytes(st, COL_CERT) != CLIENT_CERT_SHA256_BYTES))
		return TREASURY_ERR_DB_CORRUPT;
	memset(out, 0, sizeof(*out));
	if (db_column_type(st, COL_CERT) == DB_BLOB) {
		out->cert_bound = true;
		memcpy(out->cert_sha256, db_column_blob(st, COL_CERT),
		    CLIENT_CERT_SHA256_BYTES);
	}
	out->id = db_column_int64(st, COL_ID);
	memcpy(out->name, name, (size_t)name_bytes);
	out->roles = (unsigned)roles;
	out->created_s = db_column_int64(st, COL_CREATED);
	return TREASURY_OK;
}

/* The change and its entry in one transaction when the caller has none
 * open (`treasuryd token ...`); inside the caller's otherwise. */
static treasury_err
token_txn_begin(struct store *s, bool *own)
{
	*own = db_get_autocommit(s->db) != 0;
	return *own ? store_stmt_run(s, STMT_BEGIN_IMMEDIATE) : TREASURY_OK;
}

static treasury_err
token_txn_end(struct store *s, bool own, treasury_err err)
{
	if (!own)
		return err;
	if (err == TREASURY_OK)
		err = store_stmt_run(s, STMT_COMMIT);
	if (err == TREASURY_OK)
		store_changes_note(s);	/* a running daemon's token cache */
	/* nothing of a failed change stays (a failed ROLLBACK too commits
	 * nothing: SQLite rolls back when the connection closes) */
	if (err != TREASURY_OK && !db_get_autocommit(s->db))
		db_exec(s->db, "ROLLBACK");
	return err;
}

/* The role names of roles, as a payload array (roles_format's order). */
static void
roles_journal(struct journal_payload *p, unsigned roles)
{
	char text[ROLES_TEXT_MAX_BYTES], *name, *save = NULL;

	roles_format(roles, text);
	journal_payload_array(p, "roles");
	for (name = strtok_r(text, ",", &save); name != NULL;
	    name = strtok_r(NULL, ",", &save))
		journal_payload_elem_str(p, name);
	journal_payload_end(p);
}

/* token.created: the name, the keyed hash (safe to publish: the keyed
 * BLAKE2b of 256 random bits, auth.h; it lets `treasuryd check` find a
 * replaced hash), the roles and the binding. */
static treasury_err
token_created_journal(struct store *s, const struct journal_who *who,
    const char *name, unsigned roles, const uint8_t hash[TOKEN_HASH_BYTES],
    const uint8_t *cert_sha256)
{
	struct journal_payload p;

	journal_payload_begin(&p);
	if (cert_sha256 != NULL)
		journal_payload_hex(&p, "client_cert_sha256", cert_sha256,
		    CLIENT_CERT_SHA256_BYTES);
	else
		journal_payload_null(&p, "client_cert_sha256");
	journal_payload_str(&p, "name", name);
	roles_journal(&p, roles);
	journal_payload_hex(&p, "token_hash", hash, TOKEN_HASH_BYTES);
	return journal_append(s, who, NULL, "token.created", &p, NULL);
}

static treasury_err
token_insert_bound_by(struct store *s, const struct journal_who *who,
    const char *name, unsigned roles, const uint8_t hash[TOKEN_HASH_BYTES],
    const uint8_t *cert_sha256, int64_t *id_out)
{
	struct db_stmt *st = s->stmt[STMT_TOKEN_INSERT];
	int64_t id = 0;
	size_t len = strnlen(name, TOKEN_NAME_MAX_BYTES + 1);
	treasury_err err;
	int rc;

	if (len == 0 || len > TOKEN_NAME_MAX_BYTES)
		return TREASURY_ERR_TOKEN_NAME;
	if (!roles_valid(roles))
		return TREASURY_ERR_ROLE;
	db_bind_text(st, 1, name, (int)len, DB_STATIC);
	db_bind_int64(st, 2, roles);
	db_bind_blob(st, 3, hash, TOKEN_HASH_BYTES, DB_STATIC);
	db_bind_int64(st, 4, who->time_s);
	db_bind_int(st, 5, TOKENS_MAX);
	if (cert_sha256 != NULL)
		db_bind_blob(st, 6, cert_sha256, CLIENT_CERT_SHA256_BYTES,
		    DB_STATIC);
	else
		db_bind_null(st, 6);
	rc = db_step(st);
	if (rc == DB_ROW) {		/* RETURNING id: inserted */
		id = db_column_int64(st, 0);
		rc = db_step(st);
	} else if (rc == DB_DONE)
		rc = DB_ROW;		/* nothing inserted: the limit */
	if (rc == DB_DONE)
		err = id > 0 ? TREASURY_OK : TREASURY_ERR_DB_CORRUPT;
	else if (rc == DB_ROW)
		err = TREASURY_ERR_TOO_LARGE;
	else if (rc == DB_CONSTRAINT_UNIQUE)
		err = TREASURY_ERR_CONFLICT;	/* name (or, never, hash) */
	else
		err = store_err_from_rc(rc);
	store_stmt_done(st);
	if (err != TREASURY_OK)
		return err;
	if (id_out != NULL)
		*id_out = id;
	return token_created_journal(s, who, name, roles, hash, cert_sha256);
}

treasury_err
store_token_insert_by(struct store *s, const struct journal_who *who,
    const char *name, unsigned roles, const uint8_t hash[TOKEN_HASH_BYTES],
    int64_t *id)
{
	return token_insert_bound_by(s, who, name, roles, hash, NULL, id);
}

treasury_err
store_time_at_mark(struct store *s, int64_t now_s, int64_t *time_s)
{
	struct db_stmt *st = s->stmt[STMT_CLOCK_MARK_GET];
	treasury_err err = TREASURY_OK;
	int rc;

	*time_s = now_s;
	rc = db_step(st);
	if (rc == DB_ROW) {
		if (db_column_int64(st, 0) > now_s)
			*time_s = db_column_int64(st, 0);
	} else if (rc != DB_DONE)
		err = store_err_from_rc(rc);
	store_stmt_done(st);
	if (err != TREASURY_OK)
		return err;
	st = s->stmt[STMT_CLOCK_MARK_RAISE];
	db_bind_int64(st, 1, *time_s);
	return store_stmt_run(s, STMT_CLOCK_MARK_RAISE);
}

treasury_err
store_token_create(struct store *s, const char *name, unsigned roles,
    const uint8_t hash[TOKEN_HASH_BYTES],
    const uint8_t cert_sha256[CLIENT_CERT_SHA256_BYTES], int64_t now_s)
{
	struct journal_who who = { now_s, NULL, NULL };
	treasury_err err;
	bool own;

	err = token_txn_begin(s, &own);
	if (err == TREASURY_OK)
		err = store_time_at_mark(s, now_s, &who.time_s);
	if (err == TREASURY_OK)
		err = token_insert_bound_by(s, &who, name, roles, hash,
		    cert_sha256, NULL);
	return token_txn_end(s, own, err);
}

treasury_err
store_token_insert(struct store *s, const char *name, unsigned roles,
    const uint8_t hash[TOKEN_HASH_BYTES], int64_t now_s)
{
	return store_token_create(s, name, roles, hash, NULL, now_s);
}

treasury_err
store_token_find(struct store *s, const uint8_t hash[TOKEN_HASH_BYTES],
    struct token_info *out)
{
	struct db_stmt *st = s->stmt[STMT_TOKEN_FIND];
	treasury_err err;
	int rc;

	db_bind_blob(st, 1, hash, TOKEN_HASH_BYTES, DB_STATIC);
	rc = db_step(st);
	if (rc == DB_DONE) {
		err = TREASURY_ERR_NOT_FOUND;
		goto done;
	}
	if (rc != DB_ROW) {
		err = store_err_from_rc(rc);
		goto done;
	}
	if (db_column_type(st, COL_HASH) != DB_BLOB ||
	    db_column_bytes(st, COL_HASH) != TOKEN_HASH_BYTES ||
	    sodium_memcmp(db_column_blob(st, COL_HASH), hash,
	    TOKEN_HASH_BYTES) != 0) {
		err = TREASURY_ERR_DB_CORRUPT;	/* the index disagrees */
		goto done;
	}
	err = token_row_read(st, out);
done:
	store_stmt_done(st);
	return err;
}

treasury_err
store_token_list(struct store *s,
    int (*fn)(const struct token_info *t, void *ctx), void *ctx)
{
	struct db_stmt *st = s->stmt[STMT_TOKEN_LIST];
	struct token_info info;
	treasury_err err = TREASURY_OK;
	int rc;

	assert(fn != NULL);
	while ((rc = db_step(st)) == DB_ROW) {
		err = token_row_read(st, &info);
		if (err != TREASURY_OK || fn(&info, ctx) != 0)
			break;
	}
	if (rc != DB_ROW && rc != DB_DONE)
		err = store_err_from_rc(rc);
	store_stmt_done(st);
	return err;
}

/* Run a token UPDATE whose parameters the caller bound: NOT_FOUND when it
 * changed no row (no live token has the name). Resets the statement. */
/* A revoke or a bind: a token found before may no longer be what it was,
 * so the writer tells the request threads' token caches after its COMMIT
 * (tokens_changed, writer_token_commits). A new token needs no word: the
 * caches keep only tokens found. */
static treasury_err
token_update_step(struct store *s, struct db_stmt *st)
{
	treasury_err err;
	int rc;

	s->tokens_changed = true;
	rc = db_step(st);
	if (rc == DB_DONE)
		err = db_changes(s->db) == 0 ? TREASURY_ERR_NOT_FOUND :
		    TREASURY_OK;
	else
		err = store_err_from_rc(rc);
	store_stmt_done(st);
	return err;
}

treasury_err
store_token_revoke_by(struct store *s, const struct journal_who *who,
    const char *name)
{
	struct db_stmt *st = s->stmt[STMT_TOKEN_REVOKE];
	/* A longer name can't be stored, so its prefix can't match either. */
	size_t len = strnlen(name, TOKEN_NAME_MAX_BYTES + 1);
	struct journal_payload p;
	treasury_err err;

	db_bind_text(st, 1, name, (int)len, DB_STATIC);
	db_bind_int64(st, 2, who->time_s);
	err = token_update_step(s, st);
	if (err != TREASURY_OK)
		return err;
	journal_payload_begin(&p);
	journal_payload_str(&p, "name", name);
	return journal_append(s, who, NULL, "token.revoked", &p, NULL);
}

treasury_err
store_token_revoke(struct store *s, const char *name)
{
	struct journal_who who = { 0, NULL, NULL };
	treasury_err err;
	bool own;

	err = token_txn_begin(s, &own);
	if (err == TREASURY_OK)
		err = store_time_at_mark(s, clock_wall_s(), &who.time_s);
	if (err == TREASURY_OK)
		err = store_token_revoke_by(s, &who, name);
	return token_txn_end(s, own, err);
}

static treasury_err
token_bind_by(struct store *s, const struct journal_who *who,
    const char *name, const uint8_t cert_sha256[CLIENT_CERT_SHA256_BYTES])
{
	struct db_stmt *st = s->stmt[STMT_TOKEN_BIND];
	size_t len = strnlen(name, TOKEN_NAME_MAX_BYTES + 1);
	struct journal_payload p;
	treasury_err err;

	db_bind_text(st, 1, name, (int)len, DB_STATIC);
	if (cert_sha256 != NULL)
		db_bind_blob(st, 2, cert_sha256, CLIENT_CERT_SHA256_BYTES,
		    DB_STATIC);
	else
		db_bind_null(st, 2);
	err = token_update_step(s, st);
	if (err != TREASURY_OK)
		return err;
	journal_payload_begin(&p);
	if (cert_sha256 != NULL)
		journal_payload_hex(&p, "client_cert_sha256", cert_sha256,
		    CLIENT_CERT_SHA256_BYTES);
	else
		journal_payload_null(&p, "client_cert_sha256");
	journal_payload_str(&p, "name", name);
	return journal_append(s, who, NULL, "token.bound", &p, NULL);
}

treasury_err
store_token_bind(struct store *s, const char *name,
    const uint8_t cert_sha256[CLIENT_CERT_SHA256_BYTES])
{
	struct journal_who who = { 0, NULL, NULL };
	treasury_err err;
	bool own;

	err = token_txn_begin(s, &own);
	if (err == TREASURY_OK)
		err = store_time_at_mark(s, clock_wall_s(), &who.time_s);
	if (err == TREASURY_OK)
		err = token_bind_by(s, &who, name, cert_sha256);
	return token_txn_end(s, own, err);
}

treasury_err
store_token_count(struct store *s, int64_t *count)
{
	struct db_stmt *st = s->stmt[STMT_TOKEN_COUNT];
	treasury_err err;
	int rc;

	rc = db_step(st);
	if (rc == DB_ROW) {
		*count = db_column_int64(st, 0);
		err = TREASURY_OK;
	} else
		err = rc == DB_DONE ? TREASURY_ERR_INTERNAL :
		    store_err_from_rc(rc);
	store_stmt_done(st);
	return err;
}

treasury_err
store_token_name(struct store *s, int64_t id,
    char out[TOKEN_NAME_MAX_BYTES + 1])
{
	struct db_stmt *st = s->stmt[STMT_TOKEN_NAME];
	treasury_err err;
	int rc;

	out[0] = '\0';
	db_bind_int64(st, 1, id);
	rc = db_step(st);
	if (rc == DB_ROW)
		err = col_text(st, 0, 1, TOKEN_NAME_MAX_BYTES, out);
	else
		err = rc == DB_DONE ? TREASURY_ERR_NOT_FOUND :
		    store_err_from_rc(rc);
	store_stmt_done(st);
	return err;
}

struct token_walk {
	int (*fn)(const struct token_info *, void *);
	void *ctx;
};

static treasury_err
token_page_row(struct store *s, struct db_stmt *st, void *walk, bool *stop)
{
	struct token_walk *w = walk;
	struct token_info info;
	treasury_err err;

	(void)s;
	err = token_row_read(st, &info);
	if (err == TREASURY_OK)
		*stop = w->fn(&info, w->ctx) != 0;
	return err;
}

treasury_err
store_tokens_page(struct store *s, int64_t after_id, unsigned limit,
    int (*fn)(const struct token_info *, void *), void *ctx, bool *more)
{
	struct db_stmt *st = s->stmt[STMT_TOKEN_PAGE];
	struct token_walk w = { fn, ctx };

	assert(fn != NULL && more != NULL && limit >= 1);
	db_bind_int64(st, 1, after_id);
	db_bind_int64(st, 2, (int64_t)limit + 1);
	return store_page_walk(s, st, limit, token_page_row, &w, more);
}
