/*
 * queries.c: the read side of the engine (queries.h), on any store (the
 * daemon gives each request thread a STORE_READ_ONLY one).
 *
 * A query that runs more than one statement does so inside one read
 * transaction, so it sees one snapshot (WAL): a proposal and its votes, a
 * treasury and its signers, always agree. Inside the writer's transaction
 * the queries join it instead.
 *
 * Pages are walked strictly by key (id, seq or nonce) with LIMIT limit + 1:
 * the extra row only sets *more. A walk stopped by its callback sets *more
 * when any row follows the last one given. A limit of 0 means
 * PAGE_LIMIT_DEFAULT; more than PAGE_LIMIT_MAX means PAGE_LIMIT_MAX.
 * Callbacks must not start another walk of the same kind on the same
 * store (the statement is busy until the walk ends).
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"

/* ---- snapshots and pages ---- */

static treasury_err
snapshot_begin(struct store *s, bool *began)
{
	treasury_err err;

	*began = false;
	if (!db_get_autocommit(s->db))
		return TREASURY_OK;	/* already in a transaction */
	err = store_stmt_run(s, STMT_BEGIN_READ);
	*began = err == TREASURY_OK;
	return err;
}

static void
snapshot_end(struct store *s, bool began)
{
	if (!began)
		return;
	if (store_stmt_run(s, STMT_COMMIT) != TREASURY_OK &&
	    !db_get_autocommit(s->db))
		(void)!store_stmt_run(s, STMT_ROLLBACK);
}

treasury_err
store_read_begin(struct store *s)
{
	assert(db_get_autocommit(s->db));	/* snapshots do not nest */
	return store_stmt_run(s, STMT_BEGIN_READ);
}

void
store_read_end(struct store *s)
{
	snapshot_end(s, !db_get_autocommit(s->db));
}

treasury_err
store_data_version(struct store *s, int64_t *out)
{
	struct db_stmt *st = s->stmt[STMT_DATA_VERSION];
	treasury_err err;
	int rc;

	if (s->postgresql) {
		*out = ++s->pg_data_version;	/* always a change */
		return TREASURY_OK;
	}
	rc = db_step(st);
	if (rc == DB_ROW) {
		*out = db_column_int64(st, 0);
		err = TREASURY_OK;
	} else
		err = rc == DB_DONE ? TREASURY_ERR_INTERNAL :
		    store_err_from_rc(rc);
	store_stmt_done(st);
	return err;
}

static unsigned
page_limit(unsigned limit)
{
	if (limit == 0)
		return PAGE_LIMIT_DEFAULT;
	return limit > PAGE_LIMIT_MAX ? PAGE_LIMIT_MAX : limit;
}

treasury_err
store_page_walk_where(struct store *s, struct db_stmt *st, unsigned limit,
    store_page_keep_fn keep, store_page_row_fn each, void *walk, bool *more)
{
	treasury_err err = TREASURY_OK;
	bool stop = false, kept = true;
	unsigned n = 0;
	int rc;

	*more = false;
	while ((rc = db_step(st)) == DB_ROW) {
		if (keep != NULL) {
			err = keep(st, walk, &kept);
			if (err != TREASURY_OK)
				break;
			if (!kept)
				continue;
		}
		if (n == limit || stop) {
			*more = true;
			break;
		}
		n++;
		err = each(s, st, walk, &stop);
		if (err != TREASURY_OK)
			break;
	}
	if (rc != DB_ROW && rc != DB_DONE)
		err = store_err_from_rc(rc);
	store_stmt_done(st);
	if (err != TREASURY_OK)
		*more = false;
	return err;
}

treasury_err
store_page_walk(struct store *s, struct db_stmt *st, unsigned limit,
    store_page_row_fn each, void *walk, bool *more)
{
	return store_page_walk_where(s, st, limit, NULL, each, walk, more);
}

treasury_err
treasury_exists(struct store *s, const char *id)
{
	struct db_stmt *st = s->stmt[STMT_TREASURY_GET];
	treasury_err err;
	int rc;

	bind_str(st, 1, id);
	rc = db_step(st);
	err = rc == DB_DONE ? TREASURY_ERR_UNKNOWN_TREASURY :
	    store_err_from_rc(rc);
	store_stmt_done(st);
	return err;
}

static int64_t
key_from_u64(uint64_t v)
{
	return v > INT64_MAX ? INT64_MAX : (int64_t)v;
}

/* ---- assets ---- */

treasury_err
store_asset_get(struct store *s, const char *code, struct asset *out)
{
	struct db_stmt *st = s->stmt[STMT_ASSET_GET];
	treasury_err err;
	int rc;

	assert(code != NULL && out != NULL);
	bind_str(st, 1, code);
	rc = db_step(st);
	if (rc == DB_ROW)
		err = asset_read(st, out);
	else if (rc == DB_DONE)
		err = TREASURY_ERR_UNKNOWN_ASSET;
	else
		err = store_err_from_rc(rc);
	store_stmt_done(st);
	return err;
}

treasury_err
store_assets_list(struct store *s, int (*fn)(const struct asset *, void *),
    void *ctx)
{
	struct db_stmt *st = s->stmt[STMT_ASSET_LIST];
	treasury_err err = TREASURY_OK;
	struct asset a;
	int rc;

	assert(fn != NULL);
	while ((rc = db_step(st)) == DB_ROW) {
		err = asset_read(st, &a);
		if (err != TREASURY_OK || fn(&a, ctx) != 0)
			break;
	}
	if (rc != DB_ROW && rc != DB_DONE)
		err = store_err_from_rc(rc);
	store_stmt_done(st);
	return err;
}

/* ---- treasuries ---- */

treasury_err
store_treasury_get(struct store *s, const char *id, struct treasury *out)
{
	treasury_err err;
	bool began;

	assert(id != NULL && out != NULL);
	err = snapshot_begin(s, &began);
	if (err == TREASURY_OK)
		err = treasury_fetch(s, id, 0, out, NULL);
	snapshot_end(s, began);
	return err;
}

treasury_err
store_treasury_at_version(struct store *s, const char *id, uint64_t version,
    struct treasury *out)
{
	treasury_err err;
	bool began;

	assert(id != NULL && out != NULL);
	if (version == 0)
		return TREASURY_ERR_UNKNOWN_TREASURY;
	err = snapshot_begin(s, &began);
	if (err == TREASURY_OK)
		err = treasury_fetch(s, id, version, out, NULL);
	snapshot_end(s, began);
	return err;
}

struct treasury_walk {
	int (*fn)(const struct treasury *, void *);
	void *ctx;
	struct treasury t;
};

static treasury_err
treasury_page_row(struct store *s, struct db_stmt *st, void *walk, bool *stop)
{
	struct treasury_walk *w = walk;
	char id[TREASURY_ID_MAX_BYTES + 1];
	treasury_err err;

	err = col_text(st, TREASURY_COL_ID, 1, TREASURY_ID_MAX_BYTES, id);
	if (err == TREASURY_OK)
		err = treasury_fetch(s, id, 0, &w->t, NULL);
	if (err == TREASURY_ERR_UNKNOWN_TREASURY)
		err = TREASURY_ERR_DB_CORRUPT;	/* same snapshot */
	if (err == TREASURY_OK)
		*stop = w->fn(&w->t, w->ctx) != 0;
	return err;
}

treasury_err
store_treasuries_page(struct store *s, const char *after_id, unsigned limit,
    int (*fn)(const struct treasury *, void *), void *ctx, bool *more)
{
	struct db_stmt *st = s->stmt[STMT_TREASURY_PAGE];
	struct treasury_walk *w;
	treasury_err err;
	bool began;

	assert(after_id != NULL && fn != NULL && more != NULL);
	*more = false;
	limit = page_limit(limit);
	w = malloc(sizeof(*w));
	if (w == NULL)
		return TREASURY_ERR_NOMEM;
	w->fn = fn;
	w->ctx = ctx;
	err = snapshot_begin(s, &began);
	if (err == TREASURY_OK) {
		bind_str(st, 1, after_id);
		db_bind_int64(st, 2, (int64_t)limit + 1);
		err = store_page_walk(s, st, limit, treasury_page_row, w, more);
	}
	snapshot_end(s, began);
	free(w);
	return err;
}

/* ---- balances and ledger ---- */

static treasury_err
balances_walk(struct store *s, const char *treasury,
    int (*fn)(const struct balance *, void *), void *ctx)
{
	struct db_stmt *st = s->stmt[STMT_BALANCES_LIST];
	treasury_err err = TREASURY_OK;
	struct balance b;
	int rc;

	bind_str(st, 1, treasury);
	while ((rc = db_step(st)) == DB_ROW) {
		memset(&b, 0, sizeof(b));
		err = col_text(st, 0, 1, ASSET_CODE_MAX_BYTES, b.asset);
		if (err == TREASURY_OK) {
			int64_t d = 0;

			err = col_int(st, 1, 0, ASSET_DECIMALS_MAX, &d);
			b.decimals = (unsigned)d;
		}
		if (err == TREASURY_OK)
			err = col_amount(st, 2, &b.amount);
		if (err != TREASURY_OK || fn(&b, ctx) != 0)
			break;
	}
	if (rc != DB_ROW && rc != DB_DONE)
		err = store_err_from_rc(rc);
	store_stmt_done(st);
	return err;
}

treasury_err
store_balances(struct store *s, const char *treasury,
    int (*fn)(const struct balance *, void *), void *ctx)
{
	treasury_err err;
	bool began;

	assert(treasury != NULL && fn != NULL);
	err = snapshot_begin(s, &began);
	if (err == TREASURY_OK)
		err = treasury_exists(s, treasury);
	if (err == TREASURY_OK)
		err = balances_walk(s, treasury, fn, ctx);
	snapshot_end(s, began);
	return err;
}

struct ledger_walk {
	int (*fn)(const struct ledger_entry *, void *);
	void *ctx;
	struct ledger_entry e;
};

static treasury_err
ledger_page_row(struct store *s, struct db_stmt *st, void *walk, bool *stop)
{
	struct ledger_walk *w = walk;
	treasury_err err;

	(void)s;
	err = ledger_read(st, &w->e);
	if (err == TREASURY_OK)
		*stop = w->fn(&w->e, w->ctx) != 0;
	return err;
}

treasury_err
store_ledger_page(struct store *s, const char *treasury, int64_t after_seq,
    unsigned limit, int (*fn)(const struct ledger_entry *, void *), void *ctx,
    bool *more)
{
	struct db_stmt *st = s->stmt[STMT_LEDGER_PAGE];
	struct ledger_walk *w;
	treasury_err err;
	bool began;

	assert(treasury != NULL && fn != NULL && more != NULL);
	*more = false;
	limit = page_limit(limit);
	w = malloc(sizeof(*w));
	if (w == NULL)
		return TREASURY_ERR_NOMEM;
	w->fn = fn;
	w->ctx = ctx;
	err = snapshot_begin(s, &began);
	if (err == TREASURY_OK)
		err = treasury_exists(s, treasury);
	if (err == TREASURY_OK) {
		bind_str(st, 1, treasury);
		db_bind_int64(st, 2, after_seq);
		db_bind_int64(st, 3, (int64_t)limit + 1);
		err = store_page_walk(s, st, limit, ledger_page_row, w, more);
	}
	snapshot_end(s, began);
	free(w);
	return err;
}

void
ledger_filter_init(struct ledger_filter *f)
{
	memset(f, 0, sizeof(*f));
	f->from_s = INT64_MIN;
	f->to_s = INT64_MAX;
}

static void
bind_opt(struct db_stmt *st, int i, bool set, const char *text)
{
	if (set)
		bind_str(st, i, text);
	else
		db_bind_null(st, i);
}

treasury_err
store_ledger_page_filtered(struct store *s, const char *treasury,
    const struct ledger_filter *f, int64_t after_seq, unsigned limit,
    int (*fn)(const struct ledger_entry *, void *), void *ctx, bool *more)
{
	struct db_stmt *st = s->stmt[STMT_LEDGER_PAGE_FILTERED];
	struct ledger_walk *w;
	treasury_err err;
	bool began;

	if (f == NULL)
		return store_ledger_page(s, treasury, after_seq, limit, fn, ctx,
		    more);
	assert(treasury != NULL && fn != NULL && more != NULL);
	*more = false;
	limit = page_limit(limit);
	w = malloc(sizeof(*w));
	if (w == NULL)
		return TREASURY_ERR_NOMEM;
	w->fn = fn;
	w->ctx = ctx;
	err = snapshot_begin(s, &began);
	if (err == TREASURY_OK)
		err = treasury_exists(s, treasury);
	if (err == TREASURY_OK) {
		bind_str(st, 1, treasury);
		db_bind_int64(st, 2, after_seq);
		db_bind_int64(st, 3, (int64_t)limit + 1);
		db_bind_int64(st, 4, f->from_s);
		db_bind_int64(st, 5, f->to_s);
		bind_opt(st, 6, f->kind != 0, f->kind == LEDGER_DEPOSIT ?
		    "deposit" : "transfer");
		bind_opt(st, 7, f->asset[0] != '\0', f->asset);
		bind_opt(st, 8, f->by_category, f->category);
		bind_opt(st, 9, f->counterparty[0] != '\0', f->counterparty);
		err = store_page_walk(s, st, limit, ledger_page_row, w, more);
	}
	snapshot_end(s, began);
	free(w);
	return err;
}

/* The one value of statement `which` (a max over the rows of treasury
 * ?1, 0 when none) into *out, after checking that the treasury exists. */
static treasury_err
treasury_max(struct store *s, enum store_stmt which, const char *treasury,
    int64_t *out)
{
	struct db_stmt *st = s->stmt[which];
	treasury_err err;
	bool began;
	int rc;

	err = snapshot_begin(s, &began);
	if (err == TREASURY_OK)
		err = treasury_exists(s, treasury);
	if (err == TREASURY_OK) {
		bind_str(st, 1, treasury);
		rc = db_step(st);
		if (rc == DB_ROW)
			err = col_int(st, 0, 0, INT64_MAX, out);
		else
			err = rc == DB_DONE ? TREASURY_ERR_INTERNAL :
			    store_err_from_rc(rc);
		store_stmt_done(st);
	}
	snapshot_end(s, began);
	return err;
}

treasury_err
store_ledger_last_seq(struct store *s, const char *treasury, int64_t *out)
{
	return treasury_max(s, STMT_LEDGER_LAST_SEQ, treasury, out);
}

treasury_err
store_ledger_entry_get(struct store *s, int64_t seq, struct ledger_entry *out)
{
	struct db_stmt *st = s->stmt[STMT_LEDGER_GET];
	treasury_err err;
	int rc;

	assert(out != NULL);
	db_bind_int64(st, 1, seq);
	rc = db_step(st);
	if (rc == DB_ROW)
		err = ledger_read(st, out);
	else if (rc == DB_DONE)
		err = TREASURY_ERR_NOT_FOUND;
	else
		err = store_err_from_rc(rc);
	store_stmt_done(st);
	return err;
}

/* ---- proposals ---- */

struct proposal_walk {
	int (*fn)(const struct proposal_record *, void *);
	void *ctx;
	int64_t now_s;
	enum proposal_status status;	/* the filter; 0 for none */
	struct proposal_record rec;
};

static treasury_err
proposal_page_row(struct store *s, struct db_stmt *st, void *walk, bool *stop)
{
	struct proposal_walk *w = walk;
	treasury_err err;

	err = proposal_read(s, st, &w->rec);
	if (err != TREASURY_OK)
		return err;
	w->rec.status = proposal_status_at(w->rec.status, w->rec.expires_s,
	    w->now_s);
	*stop = w->fn(&w->rec, w->ctx) != 0;
	proposal_record_free(&w->rec);
	return TREASURY_OK;
}

/* Whether the current row of STMT_PROPOSALS_PAGE has the walk's status
 * at its now_s, by its stored status and expiry only (before the row is
 * read with its votes). */
static treasury_err
proposal_row_has_status(struct db_stmt *st, void *walk, bool *has)
{
	struct proposal_walk *w = walk;
	enum proposal_status stored;
	int64_t expires_s;
	char text[16];
	treasury_err err;

	err = col_text(st, PROPOSAL_COL_STATUS, 1, sizeof(text) - 1, text);
	if (err == TREASURY_OK && proposal_status_parse(text, strlen(text),
	    &stored) != TREASURY_OK)
		err = TREASURY_ERR_DB_CORRUPT;
	if (err == TREASURY_OK)
		err = col_int(st, PROPOSAL_COL_EXPIRES, INT64_MIN, INT64_MAX,
		    &expires_s);
	if (err == TREASURY_OK)
		*has = proposal_status_at(stored, expires_s, w->now_s) ==
		    w->status;
	return err;
}

treasury_err
store_proposals_page(struct store *s, const char *treasury,
    enum proposal_status status, uint64_t after_nonce, unsigned limit,
    int64_t now_s, int (*fn)(const struct proposal_record *, void *),
    void *ctx, bool *more)
{
	struct db_stmt *st = s->stmt[STMT_PROPOSALS_PAGE];
	struct proposal_walk *w;
	treasury_err err;
	bool began;

	assert(treasury != NULL && fn != NULL && more != NULL);
	*more = false;
	if (status != 0 && (status < STATUS_PENDING ||
	    status > PROPOSAL_STATUS_LAST))
		return TREASURY_ERR_INTERNAL;
	limit = page_limit(limit);
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return TREASURY_ERR_NOMEM;
	w->fn = fn;
	w->ctx = ctx;
	w->now_s = now_s;
	w->status = status;
	err = snapshot_begin(s, &began);
	if (err == TREASURY_OK)
		err = treasury_exists(s, treasury);
	if (err == TREASURY_OK) {
		bind_str(st, 1, treasury);
		db_bind_int64(st, 2, key_from_u64(after_nonce));
		/* no limit when filtering: INT64_MAX, not SQLite's -1,
		 * which PostgreSQL refuses */
		db_bind_int64(st, 3, status != 0 ? INT64_MAX :
		    (int64_t)limit + 1);
		err = store_page_walk_where(s, st, limit, status != 0 ?
		    proposal_row_has_status : NULL, proposal_page_row, w, more);
	}
	snapshot_end(s, began);
	free(w);
	return err;
}

treasury_err
store_proposals_last_nonce(struct store *s, const char *treasury,
    uint64_t *out)
{
	int64_t v = 0;
	treasury_err err;

	err = treasury_max(s, STMT_PROPOSALS_LAST_NONCE, treasury, &v);
	*out = (uint64_t)v;
	return err;
}

/* The walk of store_pending_for_signer: a proposal walk that also keeps
 * the position (rowid, the column after PROPOSAL_COL_*) of each row. */
struct pending_walk {
	struct proposal_walk w;
	uint64_t last_pos;
};

enum { PENDING_COL_POS = PROPOSAL_COL_SETTLED + 1 };

static treasury_err
pending_page_row(struct store *s, struct db_stmt *st, void *walk, bool *stop)
{
	struct pending_walk *pw = walk;
	int64_t pos = 0;
	treasury_err err;

	err = col_int(st, PENDING_COL_POS, 1, INT64_MAX, &pos);
	if (err != TREASURY_OK)
		return err;
	pw->last_pos = (uint64_t)pos;
	return proposal_page_row(s, st, &pw->w, stop);
}

treasury_err
store_pending_for_signer(struct store *s, const char *signer,
    uint64_t after_pos, unsigned limit, int64_t now_s,
    int (*fn)(const struct proposal_record *, void *), void *ctx,
    uint64_t *last_pos, bool *more)
{
	struct db_stmt *st = s->stmt[STMT_PROPOSALS_PENDING_FOR];
	struct pending_walk *pw;
	treasury_err err;
	bool began;

	assert(signer != NULL && fn != NULL && last_pos != NULL &&
	    more != NULL);
	*more = false;
	*last_pos = after_pos;
	limit = page_limit(limit);
	pw = calloc(1, sizeof(*pw));
	if (pw == NULL)
		return TREASURY_ERR_NOMEM;
	pw->w.fn = fn;
	pw->w.ctx = ctx;
	pw->w.now_s = now_s;
	pw->last_pos = after_pos;
	err = snapshot_begin(s, &began);
	if (err == TREASURY_OK) {
		bind_str(st, 1, signer);
		db_bind_int64(st, 2, key_from_u64(after_pos));
		db_bind_int64(st, 3, now_s);
		db_bind_int64(st, 4, (int64_t)limit + 1);
		err = store_page_walk(s, st, limit, pending_page_row, pw, more);
	}
	snapshot_end(s, began);
	*last_pos = pw->last_pos;
	free(pw);
	return err;
}

treasury_err
store_proposal_get(struct store *s, const uint8_t id[PROPOSAL_ID_BYTES],
    int64_t now_s, struct proposal_record *out)
{
	treasury_err err;
	bool began;

	assert(id != NULL && out != NULL);
	memset(out, 0, sizeof(*out));
	err = snapshot_begin(s, &began);
	if (err == TREASURY_OK)
		err = proposal_fetch(s, id, out);
	snapshot_end(s, began);
	if (err == TREASURY_OK)
		out->status = proposal_status_at(out->status, out->expires_s,
		    now_s);
	return err;
}

static treasury_err
vote_context_read(struct store *s, const uint8_t id[PROPOSAL_ID_BYTES],
    const char *signer, struct vote_context *out)
{
	struct proposal_record *rec;
	struct signer sg;
	treasury_err err;

	rec = malloc(sizeof(*rec));
	if (rec == NULL)
		return TREASURY_ERR_NOMEM;
	err = proposal_head_fetch(s, id, rec);
	if (err == TREASURY_OK) {
		memcpy(out->treasury, rec->treasury, sizeof(out->treasury));
		out->config_version = rec->config_version;
		out->threshold = rec->threshold;
		out->signer_count = rec->signer_count;
		err = signer_fetch(s, rec->treasury, rec->config_version, signer,
		    &sg);
	}
	free(rec);
	if (err == TREASURY_OK) {
		out->signer_found = true;
		out->key = sg.key;
	} else if (err == TREASURY_ERR_UNKNOWN_SIGNER)
		err = TREASURY_OK;
	return err;
}

treasury_err
store_vote_context(struct store *s, const uint8_t id[PROPOSAL_ID_BYTES],
    const char *signer, struct vote_context *out)
{
	treasury_err err;
	bool began;

	assert(id != NULL && signer != NULL && out != NULL);
	memset(out, 0, sizeof(*out));
	err = snapshot_begin(s, &began);
	if (err == TREASURY_OK)
		err = vote_context_read(s, id, signer, out);
	snapshot_end(s, began);
	return err;
}

/* ---- the journal (GET /v1/journal) ---- */

/* A nullable TEXT column of up to max_bytes into out ("" for NULL). */
static treasury_err
col_text_opt(struct db_stmt *st, int col, size_t max_bytes, char *out)
{
	if (db_column_type(st, col) == DB_NULL) {
		out[0] = '\0';
		return TREASURY_OK;
	}
	return col_text(st, col, 1, max_bytes, out);
}

static treasury_err
journal_row_read(struct db_stmt *st, struct journal_entry *e,
    uint8_t hash[DIGEST_BYTES])
{
	treasury_err err;

	memset(e, 0, sizeof(*e));
	err = col_int(st, 0, 1, INT64_MAX, &e->seq);
	if (err == TREASURY_OK)
		err = col_int(st, 1, 0, INT64_MAX, &e->time_s);
	if (err == TREASURY_OK)
		err = col_text_opt(st, 2, TREASURY_ID_MAX_BYTES, e->treasury);
	if (err == TREASURY_OK)
		err = col_text(st, 3, 1, JOURNAL_TYPE_MAX_BYTES, e->type);
	if (err == TREASURY_OK)
		err = col_text_opt(st, 4, TOKEN_NAME_MAX_BYTES, e->actor_token);
	if (err == TREASURY_OK)
		err = col_text_opt(st, 5, SIGNER_NAME_MAX_BYTES,
		    e->actor_signer);
	if (err == TREASURY_OK)
		err = col_blob(st, 7, DIGEST_BYTES, hash);
	if (err != TREASURY_OK)
		return err;
	if (db_column_type(st, 6) != DB_TEXT)
		return TREASURY_ERR_DB_CORRUPT;
	e->payload = (const char *)db_column_text(st, 6);
	e->payload_len = (size_t)db_column_bytes(st, 6);
	return journal_entry_valid(e) ? TREASURY_OK : TREASURY_ERR_DB_CORRUPT;
}

struct journal_walk {
	int (*fn)(const struct journal_entry *, const uint8_t *, void *);
	void *ctx;
};

static treasury_err
journal_page_row(struct store *s, struct db_stmt *st, void *walk, bool *stop)
{
	struct journal_walk *w = walk;
	uint8_t hash[DIGEST_BYTES];
	struct journal_entry e;
	treasury_err err;

	(void)s;
	err = journal_row_read(st, &e, hash);
	if (err == TREASURY_OK)
		*stop = w->fn(&e, hash, w->ctx) != 0;
	return err;
}

treasury_err
store_journal_page(struct store *s, int64_t after_seq, unsigned limit,
    int (*fn)(const struct journal_entry *e, const uint8_t hash[DIGEST_BYTES],
    void *ctx), void *ctx, bool *more)
{
	struct db_stmt *st = s->stmt[STMT_JOURNAL_PAGE];
	struct journal_walk w = { fn, ctx };

	assert(fn != NULL && more != NULL && limit >= 1);
	db_bind_int64(st, 1, after_seq);
	db_bind_int64(st, 2, (int64_t)limit + 1);
	return store_page_walk(s, st, limit, journal_page_row, &w, more);
}

/* ---- categories (issue #14) ---- */

treasury_err
store_categories_list(struct store *s, const char *treasury,
    int (*fn)(const struct category *, void *), void *ctx)
{
	struct db_stmt *st = s->stmt[STMT_CATEGORY_LIST];
	treasury_err err = TREASURY_OK;
	struct category c;
	char kind[8];
	unsigned n = 0;
	int rc;

	assert(treasury != NULL && fn != NULL);
	bind_str(st, 1, treasury);
	while ((rc = db_step(st)) == DB_ROW) {
		memset(&c, 0, sizeof(c));
		err = ++n > CATEGORIES_PER_TREASURY_MAX ?
		    TREASURY_ERR_DB_CORRUPT : col_text(st, 0, 1,
		    CATEGORY_NAME_MAX_BYTES, c.name);
		if (err == TREASURY_OK)
			err = col_text(st, 1, 6, 7, kind);
		if (err == TREASURY_OK)
			err = col_int(st, 2, INT64_MIN, INT64_MAX, &c.created_s);
		if (err == TREASURY_OK)
			c.kind = strcmp(kind, "income") == 0 ? CATEGORY_INCOME :
			    CATEGORY_EXPENSE;
		if (err != TREASURY_OK || fn(&c, ctx) != 0)
			break;
	}
	if (err == TREASURY_OK && rc != DB_ROW && rc != DB_DONE)
		err = store_err_from_rc(rc);
	store_stmt_done(st);
	return err;
}

static treasury_err
category_change_read(struct db_stmt *st, struct category_change *c)
{
	treasury_err err = TREASURY_OK;

	memset(c, 0, sizeof(*c));
	if (db_column_type(st, 0) != DB_NULL)
		err = col_text(st, 0, 1, CATEGORY_NAME_MAX_BYTES, c->previous);
	if (err == TREASURY_OK && db_column_type(st, 1) != DB_NULL)
		err = col_text(st, 1, 1, CATEGORY_NAME_MAX_BYTES, c->category);
	if (err == TREASURY_OK)
		err = col_text(st, 2, 0, TOKEN_NAME_MAX_BYTES, c->actor);
	if (err == TREASURY_OK)
		err = col_int(st, 3, INT64_MIN, INT64_MAX, &c->created_s);
	return err;
}

treasury_err
store_category_history(struct store *s, int64_t seq, unsigned max,
    int (*fn)(const struct category_change *, void *), void *ctx)
{
	struct db_stmt *st = s->stmt[STMT_CATEGORY_HISTORY];
	treasury_err err = TREASURY_OK;
	struct category_change c;
	unsigned n = 0;
	int rc;

	assert(fn != NULL);
	db_bind_int64(st, 1, seq);
	while (n < max && (rc = db_step(st)) == DB_ROW) {
		n++;
		err = category_change_read(st, &c);
		if (err != TREASURY_OK || fn(&c, ctx) != 0)
			break;
	}
	if (n < max && err == TREASURY_OK && rc != DB_ROW &&
	    rc != DB_DONE)
		err = store_err_from_rc(rc);
	store_stmt_done(st);
	return err;
}
