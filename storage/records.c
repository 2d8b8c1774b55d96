/*
 * records.c: reading the engine's rows back into records.h records, and the
 * small helpers every engine file uses (statement reset, binds, checked
 * column readers, amounts as decimal TEXT of minor units).
 *
 * Every value read is checked as it is copied out: a wrong type, a size
 * out of range, an amount that is not a decimal below 2^128 or a key whose
 * x coordinate disagrees with its bytes is TREASURY_ERR_DB_CORRUPT, never
 * an assert. Loaders that run several statements use distinct statements,
 * so they may be called while another statement of the store is on a row.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"

void
proposal_record_free(struct proposal_record *rec)
{
	if (rec == NULL)
		return;
	free(rec->canonical);
	rec->canonical = NULL;
	rec->canonical_len = 0;
}

/* ---- statements ---- */

void
store_stmt_done(struct db_stmt *st)
{
	db_reset(st);
	db_clear_bindings(st);
}

treasury_err
store_stmt_run(struct store *s, enum store_stmt i)
{
	struct db_stmt *st = s->stmt[i];
	int rc;

	rc = db_step(st);
	store_stmt_done(st);
	if (rc == DB_ROW)
		return TREASURY_ERR_INTERNAL;	/* a query run as a command */
	return store_err_from_db(s->db, rc);
}

treasury_err
store_stmt_insert(struct store *s, enum store_stmt i, int64_t *id)
{
	struct db_stmt *st = s->stmt[i];
	int rc;

	*id = 0;
	rc = db_step(st);
	if (rc == DB_ROW) {
		*id = db_column_int64(st, 0);
		rc = db_step(st);	/* the end: one row was inserted */
		if (rc == DB_ROW || *id <= 0)
			rc = DB_CORRUPT;
	}
	store_stmt_done(st);
	return store_err_from_db(s->db, rc);
}

void
bind_str(struct db_stmt *st, int i, const char *text)
{
	db_bind_text(st, i, text, -1, DB_STATIC);
}

void
bind_amount(struct db_stmt *st, int i, amount_minor value)
{
	char text[AMOUNT_FORMAT_MAX_BYTES];

	amount_to_minor_text(value, text);
	db_bind_text(st, i, text, -1, DB_TRANSIENT);
}

/* ---- checked columns ---- */

treasury_err
col_text(struct db_stmt *st, int col, size_t min_bytes, size_t max_bytes,
    char *out)
{
	const unsigned char *t;
	size_t n;

	/* The type first: asking for text would convert a blob. */
	if (db_column_type(st, col) != DB_TEXT)
		return TREASURY_ERR_DB_CORRUPT;
	t = db_column_text(st, col);
	n = (size_t)db_column_bytes(st, col);
	if (t == NULL || n < min_bytes || n > max_bytes ||
	    memchr(t, '\0', n) != NULL)
		return TREASURY_ERR_DB_CORRUPT;
	memcpy(out, t, n);
	out[n] = '\0';
	return TREASURY_OK;
}

treasury_err
col_blob(struct db_stmt *st, int col, size_t len, uint8_t *out)
{
	if (db_column_type(st, col) != DB_BLOB ||
	    (size_t)db_column_bytes(st, col) != len)
		return TREASURY_ERR_DB_CORRUPT;
	memcpy(out, db_column_blob(st, col), len);
	return TREASURY_OK;
}

treasury_err
col_int(struct db_stmt *st, int col, int64_t min, int64_t max, int64_t *out)
{
	int64_t v;

	if (db_column_type(st, col) != DB_INTEGER)
		return TREASURY_ERR_DB_CORRUPT;
	v = db_column_int64(st, col);
	if (v < min || v > max)
		return TREASURY_ERR_DB_CORRUPT;
	*out = v;
	return TREASURY_OK;
}

treasury_err
col_amount(struct db_stmt *st, int col, amount_minor *out)
{
	if (db_column_type(st, col) != DB_TEXT)
		return TREASURY_ERR_DB_CORRUPT;
	if (amount_from_minor_text((const char *)db_column_text(st, col),
	    (size_t)db_column_bytes(st, col), out) != TREASURY_OK)
		return TREASURY_ERR_DB_CORRUPT;
	return TREASURY_OK;
}

static treasury_err
col_u64(struct db_stmt *st, int col, uint64_t min, uint64_t *out)
{
	int64_t v;
	treasury_err err;

	err = col_int(st, col, (int64_t)min, INT64_MAX, &v);
	if (err == TREASURY_OK)
		*out = (uint64_t)v;
	return err;
}

static treasury_err
col_unsigned(struct db_stmt *st, int col, unsigned min, unsigned max,
    unsigned *out)
{
	int64_t v;
	treasury_err err;

	err = col_int(st, col, min, max, &v);
	if (err == TREASURY_OK)
		*out = (unsigned)v;
	return err;
}

/* ---- assets ---- */

treasury_err
asset_read(struct db_stmt *st, struct asset *out)
{
	treasury_err err;

	memset(out, 0, sizeof(*out));
	err = col_text(st, ASSET_COL_CODE, 1, ASSET_CODE_MAX_BYTES, out->code);
	if (err == TREASURY_OK)
		err = col_unsigned(st, ASSET_COL_DECIMALS, 0, ASSET_DECIMALS_MAX,
		    &out->decimals);
	if (err == TREASURY_OK)
		err = col_text(st, ASSET_COL_CHAIN, 1, CHAIN_MAX_BYTES,
		    out->chain);
	if (err == TREASURY_OK)
		err = col_int(st, ASSET_COL_CREATED, INT64_MIN, INT64_MAX,
		    &out->created_s);
	return err;
}

/* ---- treasuries ---- */

/* A signer row; the key's x must be what its bytes say. */
static treasury_err
signer_read(struct db_stmt *st, struct signer *out)
{
	char type[8];
	uint8_t x[32];
	struct signer_key *k = &out->key;
	treasury_err err;

	memset(out, 0, sizeof(*out));
	err = col_text(st, SIGNER_COL_NAME, 1, SIGNER_NAME_MAX_BYTES, out->name);
	if (err == TREASURY_OK)
		err = col_text(st, SIGNER_COL_TYPE, 1, sizeof(type) - 1, type);
	if (err == TREASURY_OK &&
	    key_type_parse(type, strlen(type), &k->type) != TREASURY_OK)
		err = TREASURY_ERR_DB_CORRUPT;
	if (err != TREASURY_OK)
		return err;
	k->len = k->type == KEY_ECDSA ? ECDSA_PUBKEY_BYTES : SCHNORR_PUBKEY_BYTES;
	err = col_blob(st, SIGNER_COL_PUBKEY, k->len, k->bytes);
	if (err == TREASURY_OK)
		err = col_blob(st, SIGNER_COL_X, sizeof(x), x);
	if (err != TREASURY_OK)
		return err;
	if (k->type == KEY_ECDSA && k->bytes[0] != 0x02 && k->bytes[0] != 0x03)
		return TREASURY_ERR_DB_CORRUPT;
	memcpy(k->x, k->bytes + (k->type == KEY_ECDSA), sizeof(k->x));
	if (memcmp(k->x, x, sizeof(x)) != 0)
		return TREASURY_ERR_DB_CORRUPT;
	return TREASURY_OK;
}

/* frozen, freeze_seq and frozen_at (schema 4; frozen_at is NULL while
 * not frozen). */
static treasury_err
treasury_freeze_read(struct db_stmt *st, struct treasury *out)
{
	int64_t frozen = 0, seq = 0;
	treasury_err err;

	err = col_int(st, TREASURY_COL_FROZEN, 0, 1, &frozen);
	if (err == TREASURY_OK)
		err = col_int(st, TREASURY_COL_FREEZE_SEQ, 0, INT64_MAX, &seq);
	if (err != TREASURY_OK)
		return err;
	out->frozen = frozen == 1;
	out->freeze_seq = (uint64_t)seq;
	if (db_column_type(st, TREASURY_COL_FROZEN_AT) != DB_NULL)
		err = col_int(st, TREASURY_COL_FROZEN_AT, INT64_MIN, INT64_MAX,
		    &out->frozen_at_s);
	return err;
}

/* The treasuries row; out->config_version is the current version. */
static treasury_err
treasury_row_read(struct db_stmt *st, struct treasury *out, uint64_t *next_nonce)
{
	uint64_t nonce = 0;
	treasury_err err;

	memset(out, 0, sizeof(*out));
	err = col_text(st, TREASURY_COL_ID, 1, TREASURY_ID_MAX_BYTES, out->id);
	if (err == TREASURY_OK)
		err = col_text(st, TREASURY_COL_NAME, 1, TREASURY_NAME_MAX_BYTES,
		    out->name);
	if (err == TREASURY_OK)
		err = col_u64(st, TREASURY_COL_VERSION, 1, &out->config_version);
	if (err == TREASURY_OK)
		err = col_u64(st, TREASURY_COL_NEXT_NONCE, 1, &nonce);
	if (err == TREASURY_OK)
		err = col_int(st, TREASURY_COL_CREATED, INT64_MIN, INT64_MAX,
		    &out->created_s);
	if (err == TREASURY_OK)
		err = treasury_freeze_read(st, out);
	if (err == TREASURY_OK && next_nonce != NULL)
		*next_nonce = nonce;
	return err;
}

static treasury_err
treasury_threshold_read(struct store *s, struct treasury *t)
{
	struct db_stmt *st = s->stmt[STMT_CONFIG_GET];
	treasury_err err;
	int rc;

	bind_str(st, 1, t->id);
	db_bind_int64(st, 2, (int64_t)t->config_version);
	rc = db_step(st);
	if (rc == DB_ROW)
		err = col_unsigned(st, 0, 1, SIGNERS_PER_TREASURY_MAX,
		    &t->threshold);
	else if (rc == DB_DONE)
		err = TREASURY_ERR_DB_CORRUPT;	/* versions 1..current exist */
	else
		err = store_err_from_rc(rc);
	store_stmt_done(st);
	return err;
}

static treasury_err
treasury_signers_read(struct store *s, struct treasury *t)
{
	struct db_stmt *st = s->stmt[STMT_SIGNERS_GET];
	treasury_err err = TREASURY_OK;
	int rc;

	t->signer_count = 0;
	bind_str(st, 1, t->id);
	db_bind_int64(st, 2, (int64_t)t->config_version);
	while ((rc = db_step(st)) == DB_ROW) {
		if (t->signer_count == SIGNERS_PER_TREASURY_MAX) {
			err = TREASURY_ERR_DB_CORRUPT;
			break;
		}
		err = signer_read(st, &t->signers[t->signer_count]);
		if (err != TREASURY_OK)
			break;
		t->signer_count++;
	}
	if (rc != DB_ROW && rc != DB_DONE)
		err = store_err_from_rc(rc);
	store_stmt_done(st);
	if (err == TREASURY_OK &&
	    (t->signer_count == 0 || t->threshold > t->signer_count))
		err = TREASURY_ERR_DB_CORRUPT;
	return err;
}

treasury_err
treasury_fetch(struct store *s, const char *id, uint64_t version,
    struct treasury *out, uint64_t *next_nonce)
{
	struct db_stmt *st = s->stmt[STMT_TREASURY_GET];
	treasury_err err;
	int rc;

	bind_str(st, 1, id);
	rc = db_step(st);
	if (rc == DB_ROW)
		err = treasury_row_read(st, out, next_nonce);
	else if (rc == DB_DONE)
		err = TREASURY_ERR_UNKNOWN_TREASURY;
	else
		err = store_err_from_rc(rc);
	store_stmt_done(st);
	if (err != TREASURY_OK)
		return err;
	if (version > out->config_version)
		return TREASURY_ERR_UNKNOWN_TREASURY;
	if (version != 0)
		out->config_version = version;
	err = treasury_threshold_read(s, out);
	if (err == TREASURY_OK)
		err = treasury_signers_read(s, out);
	return err;
}

int
treasury_find_signer(const struct treasury *t, const char *name)
{
	unsigned i;

	for (i = 0; i < t->signer_count; i++)
		if (strcmp(t->signers[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* ---- ledger and balances ---- */

static treasury_err
ledger_kind_read(struct db_stmt *st, enum ledger_kind *out)
{
	char kind[16];
	treasury_err err;

	err = col_text(st, LEDGER_COL_KIND, 1, sizeof(kind) - 1, kind);
	if (err != TREASURY_OK)
		return err;
	if (strcmp(kind, "deposit") == 0)
		*out = LEDGER_DEPOSIT;
	else if (strcmp(kind, "transfer") == 0)
		*out = LEDGER_TRANSFER;
	else
		return TREASURY_ERR_DB_CORRUPT;
	return TREASURY_OK;
}

static treasury_err
ledger_texts_read(struct db_stmt *st, struct ledger_entry *out)
{
	treasury_err err;

	err = col_text(st, LEDGER_COL_REFERENCE, 0, REFERENCE_MAX_BYTES,
	    out->reference);
	if (err == TREASURY_OK)
		err = col_text(st, LEDGER_COL_SOURCE, 0, SOURCE_MAX_BYTES,
		    out->source);
	if (err == TREASURY_OK)
		err = col_text(st, LEDGER_COL_TO, 0, DESTINATION_MAX_BYTES,
		    out->to);
	if (err == TREASURY_OK)
		err = col_text(st, LEDGER_COL_MEMO, 0, MEMO_MAX_BYTES, out->memo);
	return err;
}

treasury_err
ledger_read(struct db_stmt *st, struct ledger_entry *out)
{
	treasury_err err;

	memset(out, 0, sizeof(*out));
	err = col_int(st, LEDGER_COL_SEQ, 1, INT64_MAX, &out->seq);
	if (err == TREASURY_OK)
		err = col_text(st, LEDGER_COL_TREASURY, 1, TREASURY_ID_MAX_BYTES,
		    out->treasury);
	if (err == TREASURY_OK)
		err = ledger_kind_read(st, &out->kind);
	if (err == TREASURY_OK)
		err = col_text(st, LEDGER_COL_ASSET, 1, ASSET_CODE_MAX_BYTES,
		    out->asset);
	if (err == TREASURY_OK)
		err = col_unsigned(st, LEDGER_COL_DECIMALS, 0, ASSET_DECIMALS_MAX,
		    &out->decimals);
	if (err == TREASURY_OK)
		err = col_amount(st, LEDGER_COL_AMOUNT, &out->amount);
	if (err == TREASURY_OK)
		err = col_amount(st, LEDGER_COL_BALANCE_AFTER, &out->balance_after);
	if (err == TREASURY_OK)
		err = ledger_texts_read(st, out);
	if (err == TREASURY_OK &&
	    db_column_type(st, LEDGER_COL_PROPOSAL) != DB_NULL) {
		err = col_blob(st, LEDGER_COL_PROPOSAL, PROPOSAL_ID_BYTES,
		    out->proposal);
		out->has_proposal = true;
	}
	if (err == TREASURY_OK)
		err = col_int(st, LEDGER_COL_CREATED, INT64_MIN, INT64_MAX,
		    &out->created_s);
	if (err == TREASURY_OK &&
	    db_column_type(st, LEDGER_COL_CATEGORY) != DB_NULL)
		err = col_text(st, LEDGER_COL_CATEGORY, 1,
		    CATEGORY_NAME_MAX_BYTES, out->category);
	if (err == TREASURY_OK && out->amount == 0)
		err = TREASURY_ERR_DB_CORRUPT;
	return err;
}

treasury_err
proposal_categories_load(struct store *s, const uint8_t id[PROPOSAL_ID_BYTES],
    unsigned count, struct proposal_categories *out)
{
	struct db_stmt *st = s->stmt[STMT_PROPOSAL_CATEGORIES];
	treasury_err err = TREASURY_OK;
	int64_t item;
	int rc;

	memset(out, 0, sizeof(*out));
	db_bind_blob(st, 1, id, PROPOSAL_ID_BYTES, DB_STATIC);
	while (err == TREASURY_OK && (rc = db_step(st)) == DB_ROW) {
		err = col_int(st, 0, 0, (int64_t)count - 1, &item);
		if (err == TREASURY_OK)
			err = col_text(st, 1, 1, CATEGORY_NAME_MAX_BYTES,
			    out->item[item]);
	}
	if (err == TREASURY_OK && rc != DB_DONE)
		err = store_err_from_rc(rc);
	store_stmt_done(st);
	return err;
}

treasury_err
balance_get(struct store *s, const char *treasury, const char *asset,
    amount_minor *out)
{
	struct db_stmt *st = s->stmt[STMT_BALANCE_GET];
	treasury_err err;
	int rc;

	bind_str(st, 1, treasury);
	bind_str(st, 2, asset);
	rc = db_step(st);
	if (rc == DB_ROW)
		err = col_amount(st, 0, out);
	else if (rc == DB_DONE) {
		*out = 0;
		err = TREASURY_OK;
	} else
		err = store_err_from_rc(rc);
	store_stmt_done(st);
	return err;
}

treasury_err
balance_set(struct store *s, const char *treasury, const char *asset,
    amount_minor amount)
{
	struct db_stmt *st = s->stmt[STMT_BALANCE_SET];

	bind_str(st, 1, treasury);
	bind_str(st, 2, asset);
	bind_amount(st, 3, amount);
	return store_stmt_run(s, STMT_BALANCE_SET);
}

/* ---- proposals ---- */

/* The stored status and the treasury of proposal id. */
static treasury_err
proposal_status_get(struct store *s, const uint8_t id[PROPOSAL_ID_BYTES],
    char treasury[TREASURY_ID_MAX_BYTES + 1], enum proposal_status *out)
{
	struct db_stmt *st = s->stmt[STMT_PROPOSAL_STATUS_GET];
	char text[32];
	treasury_err err;
	int rc;

	db_bind_blob(st, 1, id, PROPOSAL_ID_BYTES, DB_STATIC);
	rc = db_step(st);
	if (rc == DB_ROW) {
		err = col_text(st, 0, 1, TREASURY_ID_MAX_BYTES, treasury);
		if (err == TREASURY_OK)
			err = col_text(st, 1, 1, sizeof(text) - 1, text);
		if (err == TREASURY_OK && proposal_status_parse(text,
		    strlen(text), out) != TREASURY_OK)
			err = TREASURY_ERR_DB_CORRUPT;
	} else if (rc == DB_DONE)
		err = TREASURY_ERR_UNKNOWN_PROPOSAL;
	else
		err = store_err_from_rc(rc);
	store_stmt_done(st);
	return err;
}

treasury_err
proposal_status_set(struct store *s, const struct command *cmd,
    const uint8_t id[PROPOSAL_ID_BYTES], enum proposal_status status)
{
	struct db_stmt *st = s->stmt[STMT_PROPOSAL_STATUS_SET];
	char treasury[TREASURY_ID_MAX_BYTES + 1];
	enum proposal_status previous;
	treasury_err err;

	err = proposal_status_get(s, id, treasury, &previous);
	if (err != TREASURY_OK || previous == status)
		return err;
	db_bind_blob(st, 1, id, PROPOSAL_ID_BYTES, DB_STATIC);
	bind_str(st, 2, proposal_status_name(status));
	bind_str(st, 3, proposal_status_name(previous));
	err = store_stmt_run(s, STMT_PROPOSAL_STATUS_SET);
	if (err == TREASURY_OK && db_changes(s->db) != 1)
		err = TREASURY_ERR_INTERNAL;
	if (err == TREASURY_OK)
		err = proposal_status_journal(s, cmd, id, treasury, previous,
		    status, NULL);
	return err;
}

treasury_err
proposal_status_journal(struct store *s, const struct command *cmd,
    const uint8_t id[PROPOSAL_ID_BYTES], const char *treasury,
    enum proposal_status previous, enum proposal_status next,
    struct journal_payload *p)
{
	struct journal_payload own;
	char type[JOURNAL_TYPE_MAX_BYTES + 1];

	assert(previous != next);
	if (p == NULL) {
		p = &own;
		journal_payload_begin(p);
	}
	snprintf(type, sizeof(type), "proposal.%s",
	    proposal_status_name(next));
	journal_payload_str(p, "previous", proposal_status_name(previous));
	journal_payload_hex(p, "proposal", id, PROPOSAL_ID_BYTES);
	journal_payload_str(p, "status", proposal_status_name(next));
	journal_payload_str(p, "treasury", treasury);
	return journal_cmd(s, cmd, NULL, treasury, type, p);
}

/* kind and status columns, as names. */
static treasury_err
proposal_names_read(struct db_stmt *st, struct proposal_record *out)
{
	char text[32];
	treasury_err err;

	err = col_text(st, PROPOSAL_COL_KIND, 1, sizeof(text) - 1, text);
	if (err == TREASURY_OK &&
	    proposal_kind_parse(text, strlen(text), &out->kind) != TREASURY_OK)
		err = TREASURY_ERR_DB_CORRUPT;
	if (err == TREASURY_OK)
		err = col_text(st, PROPOSAL_COL_STATUS, 1, sizeof(text) - 1, text);
	if (err == TREASURY_OK &&
	    proposal_status_parse(text, strlen(text), &out->status) !=
	    TREASURY_OK)
		err = TREASURY_ERR_DB_CORRUPT;
	return err;
}

static treasury_err
proposal_canonical_read(struct db_stmt *st, struct proposal_record *out)
{
	size_t n;

	if (db_column_type(st, PROPOSAL_COL_CANONICAL) != DB_TEXT)
		return TREASURY_ERR_DB_CORRUPT;
	n = (size_t)db_column_bytes(st, PROPOSAL_COL_CANONICAL);
	if (n == 0 || n > CANONICAL_MAX_BYTES)
		return TREASURY_ERR_DB_CORRUPT;
	out->canonical = malloc(n + 1);
	if (out->canonical == NULL)
		return TREASURY_ERR_NOMEM;
	memcpy(out->canonical, db_column_text(st, PROPOSAL_COL_CANONICAL),
	    n);
	out->canonical[n] = '\0';
	out->canonical_len = n;
	if (memchr(out->canonical, '\0', n) != NULL)
		return TREASURY_ERR_DB_CORRUPT;
	return TREASURY_OK;
}

/* executed_at, settlement and settled_at may be NULL. */
static treasury_err
proposal_optional_read(struct db_stmt *st, struct proposal_record *out)
{
	treasury_err err = TREASURY_OK;

	if (db_column_type(st, PROPOSAL_COL_EXECUTED) != DB_NULL)
		err = col_int(st, PROPOSAL_COL_EXECUTED, INT64_MIN, INT64_MAX,
		    &out->executed_s);
	if (err == TREASURY_OK &&
	    db_column_type(st, PROPOSAL_COL_SETTLEMENT) != DB_NULL)
		err = col_text(st, PROPOSAL_COL_SETTLEMENT, 1,
		    SETTLEMENT_MAX_BYTES, out->settlement);
	if (err == TREASURY_OK &&
	    db_column_type(st, PROPOSAL_COL_SETTLED) != DB_NULL)
		err = col_int(st, PROPOSAL_COL_SETTLED, INT64_MIN, INT64_MAX,
		    &out->settled_s);
	return err;
}

static treasury_err
proposal_row_read(struct db_stmt *st, struct proposal_record *out)
{
	treasury_err err;

	err = col_blob(st, PROPOSAL_COL_ID, PROPOSAL_ID_BYTES, out->id);
	if (err == TREASURY_OK)
		err = col_text(st, PROPOSAL_COL_TREASURY, 1,
		    TREASURY_ID_MAX_BYTES, out->treasury);
	if (err == TREASURY_OK)
		err = col_u64(st, PROPOSAL_COL_NONCE, 1, &out->nonce);
	if (err == TREASURY_OK)
		err = col_u64(st, PROPOSAL_COL_VERSION, 1, &out->config_version);
	if (err == TREASURY_OK)
		err = proposal_names_read(st, out);
	if (err == TREASURY_OK)
		err = col_int(st, PROPOSAL_COL_PROPOSER, INT64_MIN, INT64_MAX,
		    &out->proposer_token_id);
	if (err == TREASURY_OK)
		err = col_int(st, PROPOSAL_COL_CREATED, INT64_MIN, INT64_MAX,
		    &out->created_s);
	if (err == TREASURY_OK)
		err = col_int(st, PROPOSAL_COL_EXPIRES, INT64_MIN, INT64_MAX,
		    &out->expires_s);
	if (err == TREASURY_OK)
		err = proposal_optional_read(st, out);
	if (err == TREASURY_OK)
		err = proposal_canonical_read(st, out);
	return err;
}

static treasury_err
vote_read(struct db_stmt *st, struct vote_record *v)
{
	int64_t decision;
	int n;
	treasury_err err;

	memset(v, 0, sizeof(*v));
	err = col_text(st, 0, 1, SIGNER_NAME_MAX_BYTES, v->signer);
	if (err == TREASURY_OK)
		err = col_int(st, 1, VOTE_APPROVE, VOTE_REJECT, &decision);
	if (err == TREASURY_OK)
		err = col_int(st, 3, INT64_MIN, INT64_MAX, &v->created_s);
	if (err != TREASURY_OK)
		return err;
	v->decision = (enum vote_decision)decision;
	n = db_column_bytes(st, 2);
	if (db_column_type(st, 2) != DB_BLOB ||
	    n < SIG_DER_MIN_BYTES || n > SIG_DER_MAX_BYTES)
		return TREASURY_ERR_DB_CORRUPT;
	v->signature_len = (size_t)n;
	memcpy(v->signature, db_column_blob(st, 2), v->signature_len);
	return TREASURY_OK;
}

static treasury_err
proposal_votes_read(struct store *s, struct proposal_record *out)
{
	struct db_stmt *st = s->stmt[STMT_VOTES_LIST];
	treasury_err err = TREASURY_OK;
	int rc;

	out->vote_count = 0;
	db_bind_blob(st, 1, out->id, PROPOSAL_ID_BYTES, DB_STATIC);
	while ((rc = db_step(st)) == DB_ROW) {
		if (out->vote_count == SIGNERS_PER_TREASURY_MAX) {
			err = TREASURY_ERR_DB_CORRUPT;
			break;
		}
		err = vote_read(st, &out->votes[out->vote_count]);
		if (err != TREASURY_OK)
			break;
		out->vote_count++;
	}
	if (rc != DB_ROW && rc != DB_DONE)
		err = store_err_from_rc(rc);
	store_stmt_done(st);
	return err;
}

/* M and N of the proposal's config version (one point read and a count
 * on the signers' primary key, not the signer rows). */
static treasury_err
proposal_counts_read(struct store *s, struct proposal_record *out)
{
	struct db_stmt *st = s->stmt[STMT_CONFIG_COUNTS];
	treasury_err err;
	int rc;

	bind_str(st, 1, out->treasury);
	db_bind_int64(st, 2, (int64_t)out->config_version);
	rc = db_step(st);
	if (rc == DB_ROW) {
		err = col_unsigned(st, 0, 1, SIGNERS_PER_TREASURY_MAX,
		    &out->threshold);
		if (err == TREASURY_OK)
			err = col_unsigned(st, 1, 1, SIGNERS_PER_TREASURY_MAX,
			    &out->signer_count);
	} else if (rc == DB_DONE)
		err = TREASURY_ERR_DB_CORRUPT;	/* foreign keys say it exists */
	else
		err = store_err_from_rc(rc);
	store_stmt_done(st);
	if (err == TREASURY_OK && out->threshold > out->signer_count)
		err = TREASURY_ERR_DB_CORRUPT;
	return err;
}

/* A config change needs the policy's extra approval too (schema 4):
 * core's rule (policy_track_threshold), as for proposal_head_read. */
static treasury_err
proposal_base_threshold(struct store *s, struct proposal_record *out)
{
	struct proposal_policy pp;
	treasury_err err;

	err = proposal_policy_get(s, out->id, &pp);
	if (err == TREASURY_ERR_UNKNOWN_PROPOSAL)
		err = TREASURY_ERR_DB_CORRUPT;
	if (err == TREASURY_OK)
		out->threshold += pp.extra;
	if (err == TREASURY_OK && out->threshold > out->signer_count)
		err = TREASURY_ERR_DB_CORRUPT;
	return err;
}

/* The number of transfers a transfer or batch text states: 1, or its
 * "transfers: <n>" line (the text was validated when it was stored). */
static treasury_err
proposal_transfer_count(const struct proposal_record *p, unsigned *n)
{
	static const char line[] = "\ntransfers: ";
	const char *at;
	unsigned v = 0;

	*n = 0;
	if (p->kind == KIND_TRANSFER)
		*n = 1;
	if (p->kind != KIND_BATCH)
		return TREASURY_OK;
	at = p->canonical != NULL ? strstr(p->canonical, line) : NULL;
	if (at == NULL)
		return TREASURY_ERR_DB_CORRUPT;
	for (at += sizeof(line) - 1; *at >= '0' && *at <= '9' && v <= 64; at++)
		v = v * 10 + (unsigned)(*at - '0');
	if (*at != '\n' || v == 0 || v > BATCH_TRANSFERS_MAX)
		return TREASURY_ERR_DB_CORRUPT;
	*n = v;
	return TREASURY_OK;
}

/* out->transfer_count and out->categories of a transfer or batch. */
static treasury_err
proposal_labels_read(struct store *s, struct proposal_record *out)
{
	treasury_err err;

	err = proposal_transfer_count(out, &out->transfer_count);
	if (err == TREASURY_OK && out->transfer_count > 0)
		err = proposal_categories_load(s, out->id, out->transfer_count,
		    &out->categories);
	return err;
}

treasury_err
proposal_read(struct store *s, struct db_stmt *st, struct proposal_record *out)
{
	treasury_err err;

	memset(out, 0, sizeof(*out));
	err = proposal_row_read(st, out);
	if (err == TREASURY_OK)
		err = proposal_counts_read(s, out);
	if (err == TREASURY_OK && proposal_kind_is_config(out->kind))
		err = proposal_base_threshold(s, out);
	if (err == TREASURY_OK)
		err = proposal_votes_read(s, out);
	if (err == TREASURY_OK)
		err = proposal_labels_read(s, out);
	if (err != TREASURY_OK)
		goto fail;
	return TREASURY_OK;
fail:
	proposal_record_free(out);
	return err;
}

treasury_err
proposal_fetch(struct store *s, const uint8_t id[PROPOSAL_ID_BYTES],
    struct proposal_record *out)
{
	struct db_stmt *st = s->stmt[STMT_PROPOSAL_GET];
	treasury_err err;
	int rc;

	memset(out, 0, sizeof(*out));
	db_bind_blob(st, 1, id, PROPOSAL_ID_BYTES, DB_STATIC);
	rc = db_step(st);
	if (rc == DB_ROW)
		err = proposal_read(s, st, out);
	else if (rc == DB_DONE)
		err = TREASURY_ERR_UNKNOWN_PROPOSAL;
	else
		err = store_err_from_rc(rc);
	store_stmt_done(st);
	return err;
}

static treasury_err
proposal_head_read(struct db_stmt *st, struct proposal_record *out)
{
	unsigned m = 0, config_extra = 0;
	char text[32];
	treasury_err err;

	err = col_text(st, PROPOSAL_HEAD_COL_TREASURY, 1, TREASURY_ID_MAX_BYTES,
	    out->treasury);
	if (err == TREASURY_OK)
		err = col_u64(st, PROPOSAL_HEAD_COL_VERSION, 1,
		    &out->config_version);
	if (err == TREASURY_OK)
		err = col_text(st, PROPOSAL_HEAD_COL_STATUS, 1, sizeof(text) - 1,
		    text);
	if (err == TREASURY_OK &&
	    proposal_status_parse(text, strlen(text), &out->status) !=
	    TREASURY_OK)
		err = TREASURY_ERR_DB_CORRUPT;
	if (err == TREASURY_OK)
		err = col_int(st, PROPOSAL_HEAD_COL_EXPIRES, INT64_MIN, INT64_MAX,
		    &out->expires_s);
	if (err == TREASURY_OK)
		err = col_int(st, PROPOSAL_HEAD_COL_PROPOSER, INT64_MIN,
		    INT64_MAX, &out->proposer_token_id);
	if (err == TREASURY_OK)	/* NULL (no config row) is corrupt too */
		err = col_unsigned(st, PROPOSAL_HEAD_COL_THRESHOLD, 1,
		    SIGNERS_PER_TREASURY_MAX, &m);
	if (err == TREASURY_OK)
		err = col_unsigned(st, PROPOSAL_HEAD_COL_SIGNERS, 1,
		    SIGNERS_PER_TREASURY_MAX, &out->signer_count);
	if (err == TREASURY_OK)
		err = col_text(st, PROPOSAL_HEAD_COL_KIND, 1, sizeof(text) - 1,
		    text);
	if (err == TREASURY_OK && proposal_kind_parse(text, strlen(text),
	    &out->kind) != TREASURY_OK)
		err = TREASURY_ERR_DB_CORRUPT;
	if (err == TREASURY_OK)	/* NULL (no policy row) is corrupt too */
		err = col_unsigned(st, PROPOSAL_HEAD_COL_CONFIG_EXTRA, 0, 1,
		    &config_extra);
	if (err == TREASURY_OK)
		out->threshold = policy_track_threshold(proposal_kind_track(
		    out->kind), m, config_extra);
	if (err == TREASURY_OK && out->threshold > out->signer_count)
		err = TREASURY_ERR_DB_CORRUPT;
	return err;
}

treasury_err
proposal_head_fetch(struct store *s, const uint8_t id[PROPOSAL_ID_BYTES],
    struct proposal_record *out)
{
	struct db_stmt *st = s->stmt[STMT_PROPOSAL_HEAD];
	treasury_err err;
	int rc;

	memset(out, 0, sizeof(*out));
	memcpy(out->id, id, PROPOSAL_ID_BYTES);
	db_bind_blob(st, 1, id, PROPOSAL_ID_BYTES, DB_STATIC);
	rc = db_step(st);
	if (rc == DB_ROW)
		err = proposal_head_read(st, out);
	else if (rc == DB_DONE)
		err = TREASURY_ERR_UNKNOWN_PROPOSAL;
	else
		err = store_err_from_rc(rc);
	store_stmt_done(st);
	return err;
}

treasury_err
signer_fetch(struct store *s, const char *id, uint64_t version,
    const char *name, struct signer *out)
{
	struct db_stmt *st = s->stmt[STMT_SIGNER_GET];
	treasury_err err;
	int rc;

	bind_str(st, 1, id);
	db_bind_int64(st, 2, (int64_t)version);
	bind_str(st, 3, name);
	rc = db_step(st);
	if (rc == DB_ROW)
		err = signer_read(st, out);
	else if (rc == DB_DONE)
		err = TREASURY_ERR_UNKNOWN_SIGNER;
	else
		err = store_err_from_rc(rc);
	store_stmt_done(st);
	return err;
}

/* Vetoes recorded on proposal id. */
static treasury_err
vetoes_count(struct store *s, const uint8_t id[PROPOSAL_ID_BYTES],
    unsigned *out)
{
	struct db_stmt *st = s->stmt[STMT_VETOES_COUNT];
	treasury_err err;
	int rc;

	db_bind_blob(st, 1, id, PROPOSAL_ID_BYTES, DB_STATIC);
	rc = db_step(st);
	if (rc == DB_ROW)
		err = col_unsigned(st, 0, 0, SIGNERS_PER_TREASURY_MAX, out);
	else
		err = rc == DB_DONE ? TREASURY_ERR_INTERNAL :
		    store_err_from_rc(rc);
	store_stmt_done(st);
	return err;
}

/* The votes of proposal id, in signer order: counted into *t (without
 * its vetoes) and, when v is not NULL, their signers' names into v. */
static treasury_err
votes_scan(struct store *s, const uint8_t id[PROPOSAL_ID_BYTES],
    struct policy_tally *t, struct proposal_voters *v)
{
	struct db_stmt *st = s->stmt[STMT_VOTES_TALLY];
	int64_t decision, revoked;
	treasury_err err = TREASURY_OK;
	unsigned rows = 0;
	int rc;

	db_bind_blob(st, 1, id, PROPOSAL_ID_BYTES, DB_STATIC);
	while (err == TREASURY_OK && (rc = db_step(st)) == DB_ROW) {
		if (++rows > SIGNERS_PER_TREASURY_MAX) {
			err = TREASURY_ERR_DB_CORRUPT;
			break;
		}
		if (v != NULL)
			err = col_text(st, 0, 1, SIGNER_NAME_MAX_BYTES,
			    v->names[v->count++]);
		if (err == TREASURY_OK)
			err = col_int(st, 1, VOTE_APPROVE, VOTE_REJECT, &decision);
		if (err == TREASURY_OK)
			err = col_int(st, 2, 0, 1, &revoked);
		if (err == TREASURY_OK)
			lifecycle_tally_vote(t, (enum vote_decision)decision,
			    revoked != 0);
	}
	if (err == TREASURY_OK && rc != DB_DONE)
		err = store_err_from_rc(rc);
	store_stmt_done(st);
	return err;
}

treasury_err
proposal_tally_read(struct store *s, const uint8_t id[PROPOSAL_ID_BYTES],
    struct policy_tally *out)
{
	treasury_err err;

	memset(out, 0, sizeof(*out));
	err = votes_scan(s, id, out, NULL);
	if (err == TREASURY_OK)
		err = vetoes_count(s, id, &out->vetoes);
	return err;
}

treasury_err
proposal_voters_read(struct store *s, const uint8_t id[PROPOSAL_ID_BYTES],
    struct proposal_voters *out)
{
	treasury_err err;

	memset(out, 0, sizeof(*out));
	err = votes_scan(s, id, &out->tally, out);
	if (err == TREASURY_OK)
		err = vetoes_count(s, id, &out->tally.vetoes);
	return err;
}
