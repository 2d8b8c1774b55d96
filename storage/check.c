/*
 * check.c: `treasuryd check` (maintenance.h): integrity and the ledger's
 * invariants, recomputed from the rows and never from cached answers.
 *
 * Everything runs in one read transaction on a read-only connection, so
 * the checks see one snapshot even while the daemon writes. Amounts are
 * decimal TEXT of minor units and are summed in C (amount.h); signatures
 * are verified again with the same code the daemon uses (sig.h, hash.h),
 * against the signer set of the proposal's own config version.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "treasury/amount.h"
#include "treasury/hash.h"
#include "treasury/hex.h"
#include "treasury/maintenance.h"
#include "treasury/textsafe.h"

#include "store_int.h"

enum {
	FINDING_MAX_BYTES = 512,
	/* escaped: one byte takes at most 8 (a control byte is \u{XXXX}) */
	FINDING_ESCAPED_MAX_BYTES = 8 * FINDING_MAX_BYTES,
};

struct checker {
	sqlite3 *db;
	const treasury_verifier *v;
	void (*finding)(const char *, void *);
	void *ctx;
	struct check_report *r;
};

/* Hand one finding to the caller, escaped (textsafe.h): a finding quotes
 * the database's own bytes (ids, names, codes, integrity_check's rows),
 * which a damaged or hostile file may fill with terminal controls,
 * newlines or invisible characters. */
static void
finding_emit(struct checker *c, const char *text)
{
	struct textbuf safe;

	textbuf_init(&safe, FINDING_ESCAPED_MAX_BYTES + 1);
	if (text_escape_append(&safe, text, strnlen(text, FINDING_MAX_BYTES),
	    0) != TREASURY_OK)
		c->finding("(a finding that cannot be shown: out of memory)",
		    c->ctx);
	else
		c->finding(safe.len > 0 ? safe.data : "", c->ctx);
	textbuf_free(&safe);
}

static void
report(struct checker *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
report(struct checker *c, const char *fmt, ...)
{
	char text[FINDING_MAX_BYTES];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	c->r->findings++;
	finding_emit(c, text);
}

static const char *
col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t != NULL ? (const char *)t : "";
}

/* A minor-units TEXT column; a malformed one is a finding. */
static bool
col_amount(struct checker *c, sqlite3_stmt *st, int i, const char *what,
    amount_minor *out)
{
	const char *t = col_text(st, i);

	if (amount_from_minor_text(t, strlen(t), out) == TREASURY_OK)
		return true;
	report(c, "%s: malformed amount '%.64s'", what, t);
	return false;
}

static treasury_err
check_foreign_keys(struct checker *c)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(c->db, "PRAGMA foreign_key_check", -1, &st,
	    NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		report(c, "foreign key: table %s row %lld refers to a missing "
		    "row of %s", col_text(st, 0),
		    (long long)sqlite3_column_int64(st, 1), col_text(st, 2));
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? TREASURY_OK : store_err_from_sqlite(rc);
}

/* Walk one (treasury, asset) ledger in seq order and compare the running
 * sum with each balance_after and with the balance row. */
static treasury_err
check_one_balance(struct checker *c, sqlite3_stmt *entries, const char *tid,
    const char *asset, amount_minor balance)
{
	amount_minor running = 0, amount, after;
	char what[128];
	int rc;

	sqlite3_bind_text(entries, 1, tid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(entries, 2, asset, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(entries)) == SQLITE_ROW) {
		long long seq = sqlite3_column_int64(entries, 0);
		bool debit = strcmp(col_text(entries, 1), "transfer") == 0;

		c->r->ledger_entries++;
		snprintf(what, sizeof(what), "ledger entry %lld", seq);
		if (!col_amount(c, entries, 2, what, &amount) ||
		    !col_amount(c, entries, 3, what, &after))
			continue;
		if (debit && amount > running) {
			report(c, "ledger entry %lld: treasury %s spends more %s "
			    "than it holds", seq, tid, asset);
			running = 0;
		} else if (debit) {
			running -= amount;
		} else if (amount_add(running, amount, &running) != TREASURY_OK) {
			report(c, "ledger entry %lld: balance overflows", seq);
		}
		if (after != running)
			report(c, "ledger entry %lld: balance_after differs from "
			    "the sum of the entries before it", seq);
	}
	sqlite3_reset(entries);
	if (rc != SQLITE_DONE)
		return store_err_from_sqlite(rc);
	if (running != balance)
		report(c, "balance of treasury %s in %s is not the sum of its "
		    "ledger entries", tid, asset);
	return TREASURY_OK;
}

static treasury_err
check_balances(struct checker *c)
{
	static const char balances_sql[] =
	    "SELECT treasury_id, asset, amount FROM balances"
	    " ORDER BY treasury_id, asset";
	static const char entries_sql[] =
	    "SELECT seq, kind, amount, balance_after FROM ledger"
	    " WHERE treasury_id = ?1 AND asset = ?2 ORDER BY seq";
	static const char orphans_sql[] =
	    "SELECT DISTINCT l.treasury_id, l.asset FROM ledger l"
	    " LEFT JOIN balances b ON b.treasury_id = l.treasury_id"
	    "  AND b.asset = l.asset WHERE b.asset IS NULL";
	sqlite3_stmt *bal = NULL, *ent = NULL, *orph = NULL;
	amount_minor balance;
	treasury_err err = TREASURY_OK;
	int rc;

	rc = sqlite3_prepare_v2(c->db, balances_sql, -1, &bal, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(c->db, entries_sql, -1, &ent, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(c->db, orphans_sql, -1, &orph, NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step(bal)) == SQLITE_ROW) {
		char tid[TREASURY_ID_MAX_BYTES + 1], asset[ASSET_CODE_MAX_BYTES + 1];
		rc = SQLITE_OK;
		c->r->balances++;
		snprintf(tid, sizeof(tid), "%s", col_text(bal, 0));
		snprintf(asset, sizeof(asset), "%s", col_text(bal, 1));
		if (!col_amount(c, bal, 2, "balance", &balance))
			continue;
		err = check_one_balance(c, ent, tid, asset, balance);
		if (err != TREASURY_OK)
			goto done;
	}
	if (rc == SQLITE_DONE)
		rc = SQLITE_OK;
	while (rc == SQLITE_OK && (rc = sqlite3_step(orph)) == SQLITE_ROW) {
		report(c, "treasury %s has ledger entries in %s but no balance",
		    col_text(orph, 0), col_text(orph, 1));
		rc = SQLITE_OK;
	}
	if (rc != SQLITE_DONE)
		err = store_err_from_sqlite(rc);
done:
	sqlite3_finalize(bal);
	sqlite3_finalize(ent);
	sqlite3_finalize(orph);
	return err;
}

/* The signer `name` of treasury tid at version, parsed; false if none. */
static bool
signer_key_at(struct checker *c, sqlite3_stmt *signer, const char *tid,
    int64_t version, const char *name, struct signer_key *key)
{
	enum key_type type;
	const char *type_text;
	bool ok = false;

	sqlite3_bind_text(signer, 1, tid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(signer, 2, version);
	sqlite3_bind_text(signer, 3, name, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(signer) == SQLITE_ROW) {
		type_text = col_text(signer, 0);
		ok = key_type_parse(type_text, strlen(type_text), &type) ==
		    TREASURY_OK && signer_key_parse(c->v, type,
		    sqlite3_column_blob(signer, 1),
		    (size_t)sqlite3_column_bytes(signer, 1), key) == TREASURY_OK;
	}
	sqlite3_reset(signer);
	return ok;
}

/* Count the approvals of one proposal whose signature verifies. */
static treasury_err
valid_approvals(struct checker *c, sqlite3_stmt *votes, sqlite3_stmt *signer,
    const uint8_t id[PROPOSAL_ID_BYTES], const char *id_hex, const char *tid,
    int64_t version, unsigned *count)
{
	uint8_t digest[DIGEST_BYTES];
	struct signer_key key;
	int rc;

	*count = 0;
	vote_digest_compute(digest, id, VOTE_APPROVE);
	sqlite3_bind_blob(votes, 1, id, PROPOSAL_ID_BYTES, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(votes)) == SQLITE_ROW) {
		const char *name = col_text(votes, 0);
		c->r->votes_verified++;
		if (!signer_key_at(c, signer, tid, version, name, &key)) {
			report(c, "proposal %s: approval by '%.32s', who is not a "
			    "signer of config version %lld", id_hex, name,
			    (long long)version);
			continue;
		}
		if (vote_signature_verify(c->v, &key, digest,
		    sqlite3_column_blob(votes, 1),
		    (size_t)sqlite3_column_bytes(votes, 1)) != TREASURY_OK) {
			report(c, "proposal %s: the approval signature of '%.32s' "
			    "does not verify", id_hex, name);
			continue;
		}
		(*count)++;
	}
	sqlite3_reset(votes);
	return rc == SQLITE_DONE ? TREASURY_OK : store_err_from_sqlite(rc);
}

static treasury_err
check_executed(struct checker *c)
{
	/* the base threshold: M, plus the policy's extra approval for a
	 * config change (schema 4) */
	static const char proposals_sql[] =
	    "SELECT p.id, p.treasury_id, p.config_version, p.canonical,"
	    " tc.threshold + CASE WHEN p.kind IN ('add-signer', 'remove-signer',"
	    " 'replace-signer', 'set-threshold', 'set-policy') THEN coalesce(("
	    " SELECT pol.config_extra FROM policies pol WHERE pol.treasury_id ="
	    " p.treasury_id AND pol.version = p.config_version), 0) ELSE 0 END"
	    " FROM proposals p LEFT JOIN treasury_configs tc"
	    " ON tc.treasury_id = p.treasury_id AND tc.version ="
	    " p.config_version WHERE p.status = 'executed' ORDER BY p.rowid";
	/* a revoked approval does not count (docs/policies.md §8) */
	static const char votes_sql[] =
	    "SELECT signer, signature FROM votes"
	    " WHERE proposal_id = ?1 AND decision = 1 AND revoked_at IS NULL";
	static const char signer_sql[] =
	    "SELECT key_type, pubkey FROM signers"
	    " WHERE treasury_id = ?1 AND version = ?2 AND name = ?3";
	sqlite3_stmt *prop = NULL, *votes = NULL, *signer = NULL;
	uint8_t id[PROPOSAL_ID_BYTES], computed[PROPOSAL_ID_BYTES];
	char id_hex[2 * PROPOSAL_ID_BYTES + 1];
	treasury_err err = TREASURY_OK;
	unsigned approvals;
	int rc;

	rc = sqlite3_prepare_v2(c->db, proposals_sql, -1, &prop, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(c->db, votes_sql, -1, &votes, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(c->db, signer_sql, -1, &signer, NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step(prop)) == SQLITE_ROW) {
		char tid[TREASURY_ID_MAX_BYTES + 1];
		int64_t version = sqlite3_column_int64(prop, 2);
		int64_t threshold = sqlite3_column_int64(prop, 4);

		rc = SQLITE_OK;
		c->r->executed++;
		if (sqlite3_column_bytes(prop, 0) != PROPOSAL_ID_BYTES) {
			report(c, "an executed proposal has a malformed id");
			continue;
		}
		memcpy(id, sqlite3_column_blob(prop, 0), PROPOSAL_ID_BYTES);
		hex_encode(id_hex, id, PROPOSAL_ID_BYTES);
		snprintf(tid, sizeof(tid), "%s", col_text(prop, 1));
		proposal_id_compute(computed, col_text(prop, 3),
		    (size_t)sqlite3_column_bytes(prop, 3));
		if (memcmp(id, computed, PROPOSAL_ID_BYTES) != 0)
			report(c, "proposal %s: id is not the hash of its "
			    "canonical text", id_hex);
		if (sqlite3_column_type(prop, 4) == SQLITE_NULL) {
			report(c, "proposal %s: config version %lld of treasury "
			    "%s does not exist", id_hex, (long long)version, tid);
			continue;
		}
		err = valid_approvals(c, votes, signer, id, id_hex, tid, version,
		    &approvals);
		if (err != TREASURY_OK)
			goto done;
		if ((int64_t)approvals < threshold)
			report(c, "proposal %s was executed with %u valid "
			    "approvals; its config version needs %lld", id_hex,
			    approvals, (long long)threshold);
	}
	if (rc != SQLITE_DONE)
		err = store_err_from_sqlite(rc);
done:
	sqlite3_finalize(prop);
	sqlite3_finalize(votes);
	sqlite3_finalize(signer);
	return err;
}

/* Money leaves only through an executed proposal of the same treasury. */
static treasury_err
check_debits(struct checker *c)
{
	static const char sql[] =
	    "SELECT l.seq FROM ledger l LEFT JOIN proposals p"
	    " ON p.id = l.proposal_id WHERE l.kind = 'transfer' AND"
	    " (p.id IS NULL OR p.status <> 'executed'"
	    "  OR p.treasury_id <> l.treasury_id)";
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(c->db, sql, -1, &st, NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		report(c, "ledger entry %lld: a transfer without an executed "
		    "proposal of its treasury",
		    (long long)sqlite3_column_int64(st, 0));
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? TREASURY_OK : store_err_from_sqlite(rc);
}

static treasury_err
count_treasuries(struct checker *c)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(c->db, "SELECT count(*) FROM treasuries", -1,
	    &st, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		c->r->treasuries = (unsigned long)sqlite3_column_int64(st, 0);
		rc = SQLITE_DONE;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? TREASURY_OK : store_err_from_sqlite(rc);
}

/* Adapter: integrity_check rows are findings too. */
static void
integrity_finding(const char *text, void *arg)
{
	struct checker *c = arg;

	finding_emit(c, text);
}

treasury_err
store_check(const char *path, const treasury_verifier *v,
    void (*finding)(const char *text, void *ctx), void *ctx,
    struct check_report *out, char errmsg[STORE_ERRMSG_BYTES])
{
	struct checker c = { NULL, v, finding, ctx, out };
	treasury_err err;

	memset(out, 0, sizeof(*out));
	errmsg[0] = '\0';
	err = store_open_maintenance(path, STORE_READ_ONLY, &c.db, errmsg);
	if (err != TREASURY_OK)
		return err;
	if (sqlite3_exec(c.db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		err = TREASURY_ERR_DB;
		goto done;
	}
	err = store_integrity_check(c.db, integrity_finding, &c,
	    &out->findings);
	if (err == TREASURY_OK)
		err = check_foreign_keys(&c);
	if (err == TREASURY_OK)
		err = count_treasuries(&c);
	if (err == TREASURY_OK)
		err = check_balances(&c);
	if (err == TREASURY_OK)
		err = check_executed(&c);
	if (err == TREASURY_OK)
		err = check_debits(&c);
	sqlite3_exec(c.db, "COMMIT", NULL, NULL, NULL);
done:
	if (err != TREASURY_OK)
		store_errmsg_set(errmsg, "cannot check database %s: %s", path,
		    sqlite3_errmsg(c.db));
	sqlite3_close(c.db);
	return err;
}
