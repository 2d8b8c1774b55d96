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
#include <stdlib.h>
#include <string.h>

#include "treasury/amount.h"
#include "treasury/amount_wide.h"
#include "treasury/hash.h"
#include "treasury/hex.h"
#include "treasury/maintenance.h"
#include "treasury/policy.h"
#include "treasury/proposal.h"
#include "treasury/textsafe.h"

#include "check_int.h"
#include "ledger_int.h"

enum {
	/* escaped: one byte takes at most 8 (a control byte is \u{XXXX}) */
	FINDING_ESCAPED_MAX_BYTES = 8 * CHECK_FINDING_MAX_BYTES,
};

struct checker {
	struct db *db;
	const treasury_verifier *v;
	void (*finding)(const char *, void *);
	void *ctx;
	struct check_report *r;
	uint8_t instance[INSTANCE_ID_BYTES];	/* meta.instance_id */
};

/* Hand one finding to the caller, escaped (textsafe.h): a finding quotes
 * the database's own bytes (ids, names, codes, destinations, references,
 * integrity_check's rows), which a damaged or hostile file may fill with
 * terminal controls, newlines or invisible characters. */
void
check_finding_emit(check_finding_fn finding, void *ctx, const char *text)
{
	struct textbuf safe;

	textbuf_init(&safe, FINDING_ESCAPED_MAX_BYTES + 1);
	if (text_escape_append(&safe, text, strnlen(text,
	    CHECK_FINDING_MAX_BYTES), 0) != TREASURY_OK)
		finding("(a finding that cannot be shown: out of memory)", ctx);
	else
		finding(safe.len > 0 ? safe.data : "", ctx);
	textbuf_free(&safe);
}

static void
finding_emit(struct checker *c, const char *text)
{
	check_finding_emit(c->finding, c->ctx, text);
}

static void
report(struct checker *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
report(struct checker *c, const char *fmt, ...)
{
	char text[CHECK_FINDING_MAX_BYTES];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	c->r->findings++;
	finding_emit(c, text);
}

static const char *
col_text(struct db_stmt *st, int i)
{
	const unsigned char *t = db_column_text(st, i);

	return t != NULL ? (const char *)t : "";
}

/* A minor-units TEXT column; a malformed one is a finding. */
static bool
col_amount(struct checker *c, struct db_stmt *st, int i, const char *what,
    amount_minor *out)
{
	const char *t = col_text(st, i);

	if (amount_from_minor_text(t, strlen(t), out) == TREASURY_OK)
		return true;
	report(c, "%s: malformed amount '%.64s'", what, t);
	return false;
}

/* Every label names a registered category of its treasury, of the kind
 * its use takes (issue #14): income on a deposit, expense on a transfer's
 * debit and on a proposal's transfer. */
#define CHECK_LABELS_SQL(hex_proposal_id)				\
	"SELECT 'ledger entry ' || l.seq, l.category, c.kind,"		\
	" CASE l.kind WHEN 'deposit' THEN 'income' ELSE 'expense' END"	\
	" FROM ledger l LEFT JOIN categories c"				\
	" ON c.treasury_id = l.treasury_id AND c.name = l.category"	\
	" WHERE l.category IS NOT NULL AND (c.kind IS NULL OR c.kind <>" \
	" CASE l.kind WHEN 'deposit' THEN 'income' ELSE 'expense' END)"	\
	" UNION ALL "							\
	"SELECT 'proposal ' || " hex_proposal_id " || ' item ' ||"	\
	" pc.item, pc.category, c.kind, 'expense'"			\
	" FROM proposal_categories pc JOIN proposals p"			\
	" ON p.id = pc.proposal_id LEFT JOIN categories c"		\
	" ON c.treasury_id = p.treasury_id AND c.name = pc.category"	\
	" WHERE c.kind IS NULL OR c.kind <> 'expense'"
static const char check_labels_sqlite[] =
    CHECK_LABELS_SQL("lower(hex(pc.proposal_id))");
static const char check_labels_pg[] =
    CHECK_LABELS_SQL("encode(pc.proposal_id, 'hex')");

static treasury_err
check_labels(struct checker *c)
{
	struct db_stmt *st = NULL;
	int rc;

	rc = db_prepare(c->db, db_is_postgresql(c->db) ? check_labels_pg :
	    check_labels_sqlite, &st);
	while (rc == DB_OK && (rc = db_step(st)) == DB_ROW) {
		if (db_column_type(st, 2) == DB_NULL)
			report(c, "%s: category '%.32s' is not a category of "
			    "its treasury", col_text(st, 0), col_text(st, 1));
		else
			report(c, "%s: category '%.32s' is an %s category, "
			    "its use takes %s", col_text(st, 0),
			    col_text(st, 1), col_text(st, 2), col_text(st, 3));
		rc = DB_OK;
	}
	db_finalize(st);
	return rc == DB_DONE ? TREASURY_OK : store_err_from_rc(rc);
}

/* SQLite's foreign keys, which it does not enforce by itself on a file
 * edited by another program. PostgreSQL enforces its REFERENCES on every
 * write (schema_pg.c), whoever writes. */
static treasury_err
check_foreign_keys(struct checker *c)
{
	struct db_stmt *st = NULL;
	int rc;

	if (db_is_postgresql(c->db))
		return TREASURY_OK;
	rc = db_prepare(c->db, "PRAGMA foreign_key_check", &st);
	while (rc == DB_OK && (rc = db_step(st)) == DB_ROW) {
		report(c, "foreign key: table %s row %lld refers to a missing "
		    "row of %s", col_text(st, 0),
		    (long long)db_column_int64(st, 1), col_text(st, 2));
		rc = DB_OK;
	}
	db_finalize(st);
	return rc == DB_DONE ? TREASURY_OK : store_err_from_rc(rc);
}

/* Walk one (treasury, asset) ledger in seq order and compare the running
 * sum with each balance_after and with the balance row. */
static treasury_err
check_one_balance(struct checker *c, struct db_stmt *entries, const char *tid,
    const char *asset, amount_minor balance)
{
	amount_minor running = 0, amount, after;
	char what[128];
	int rc;

	db_bind_text(entries, 1, tid, -1, DB_TRANSIENT);
	db_bind_text(entries, 2, asset, -1, DB_TRANSIENT);
	while ((rc = db_step(entries)) == DB_ROW) {
		long long seq = db_column_int64(entries, 0);
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
	db_reset(entries);
	if (rc != DB_DONE)
		return store_err_from_rc(rc);
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
	struct db_stmt *bal = NULL, *ent = NULL, *orph = NULL;
	amount_minor balance;
	treasury_err err = TREASURY_OK;
	int rc;

	rc = db_prepare(c->db, balances_sql, &bal);
	if (rc == DB_OK)
		rc = db_prepare(c->db, entries_sql, &ent);
	if (rc == DB_OK)
		rc = db_prepare(c->db, orphans_sql, &orph);
	while (rc == DB_OK && (rc = db_step(bal)) == DB_ROW) {
		char tid[TREASURY_ID_MAX_BYTES + 1], asset[ASSET_CODE_MAX_BYTES + 1];
		rc = DB_OK;
		c->r->balances++;
		snprintf(tid, sizeof(tid), "%s", col_text(bal, 0));
		snprintf(asset, sizeof(asset), "%s", col_text(bal, 1));
		if (!col_amount(c, bal, 2, "balance", &balance))
			continue;
		err = check_one_balance(c, ent, tid, asset, balance);
		if (err != TREASURY_OK)
			goto done;
	}
	if (rc == DB_DONE)
		rc = DB_OK;
	while (rc == DB_OK && (rc = db_step(orph)) == DB_ROW) {
		report(c, "treasury %s has ledger entries in %s but no balance",
		    col_text(orph, 0), col_text(orph, 1));
		rc = DB_OK;
	}
	if (rc != DB_DONE)
		err = store_err_from_rc(rc);
done:
	db_finalize(bal);
	db_finalize(ent);
	db_finalize(orph);
	return err;
}

/* The signer `name` of treasury tid at version, parsed; false if none. */
static bool
signer_key_at(struct checker *c, struct db_stmt *signer, const char *tid,
    int64_t version, const char *name, struct signer_key *key)
{
	enum key_type type;
	const char *type_text;
	bool ok = false;

	db_bind_text(signer, 1, tid, -1, DB_TRANSIENT);
	db_bind_int64(signer, 2, version);
	db_bind_text(signer, 3, name, -1, DB_TRANSIENT);
	if (db_step(signer) == DB_ROW) {
		type_text = col_text(signer, 0);
		ok = key_type_parse(type_text, strlen(type_text), &type) ==
		    TREASURY_OK && signer_key_parse(c->v, type,
		    db_column_blob(signer, 1),
		    (size_t)db_column_bytes(signer, 1), key) == TREASURY_OK;
	}
	db_reset(signer);
	return ok;
}

/* One proposal row as the meaning checks read it. Signatures are checked
 * over digests of `computed`, the hash of the stored canonical text, never
 * of the stored id: a text edited after the votes fails them. */
struct prop_row {
	uint8_t id[PROPOSAL_ID_BYTES];		/* as stored */
	uint8_t computed[PROPOSAL_ID_BYTES];	/* H(canonical) */
	char id_hex[2 * PROPOSAL_ID_BYTES + 1];
	char tid[TREASURY_ID_MAX_BYTES + 1];
	int64_t version;
	const char *canonical;
	size_t canonical_len;
	char kind[24];
	char status[16];
	int64_t nonce;
	int64_t expires_s;
	bool config_found;			/* its config version exists */
	int64_t threshold;			/* M (+1 for a config change) */
	int64_t veto_threshold;
	bool key_proof_needed;		/* the policy's key_proof */
};

/* The statements of check_proposals, prepared once. */
struct prop_stmts {
	struct db_stmt *prop, *votes, *signer, *debits, *vetoes, *proof;
};

static bool
key_seen(const uint8_t (*seen)[32], unsigned n, const uint8_t x[32])
{
	for (unsigned i = 0; i < n; i++)
		if (memcmp(seen[i], x, 32) == 0)
			return true;
	return false;
}

/* One signature of a signed act on the proposal; false (after a finding)
 * when the signer is unknown at its version or the signature fails. */
static bool
act_verifies(struct checker *c, const struct prop_stmts *ps,
    const struct prop_row *p, const char *what, const char *name,
    const uint8_t digest[DIGEST_BYTES], const void *sig, int sig_len,
    struct signer_key *key)
{
	if (strcmp(what, "approval") == 0)
		c->r->votes_verified++;
	else
		c->r->acts_verified++;
	if (!signer_key_at(c, ps->signer, p->tid, p->version, name, key)) {
		report(c, "proposal %s: %s by '%.32s', who is not a signer of "
		    "config version %lld", p->id_hex, what, name,
		    (long long)p->version);
		return false;
	}
	if (sig == NULL || vote_signature_verify(c->v, key, digest, sig,
	    (size_t)sig_len) != TREASURY_OK) {
		report(c, "proposal %s: the %s signature of '%.32s' does not "
		    "verify", p->id_hex, what, name);
		return false;
	}
	return true;
}

/* Verify every vote (and revocation) of the proposal; count the standing
 * approvals that verify, one per distinct key. */
static treasury_err
check_votes(struct checker *c, const struct prop_stmts *ps,
    const struct prop_row *p, unsigned *approvals)
{
	uint8_t digest[DIGEST_BYTES], seen[2 * SIGNERS_PER_TREASURY_MAX][32];
	struct signer_key key;
	int rc;

	*approvals = 0;
	db_bind_blob(ps->votes, 1, p->id, PROPOSAL_ID_BYTES,
	    DB_TRANSIENT);
	while ((rc = db_step(ps->votes)) == DB_ROW) {
		const char *name = col_text(ps->votes, 0);
		bool approve = db_column_int(ps->votes, 1) == 1;
		bool revoked = db_column_type(ps->votes, 3) != DB_NULL;

		vote_digest_compute(digest, p->computed, approve ?
		    VOTE_APPROVE : VOTE_REJECT);
		if (!act_verifies(c, ps, p, approve ? "approval" : "rejection",
		    name, digest, db_column_blob(ps->votes, 2),
		    db_column_bytes(ps->votes, 2), &key))
			continue;
		if (revoked) {
			revoke_digest_compute(digest, p->computed);
			(void)act_verifies(c, ps, p, "revocation", name, digest,
			    db_column_blob(ps->votes, 4),
			    db_column_bytes(ps->votes, 4), &key);
			continue;
		}
		if (!approve)
			continue;
		/* one approval per signer name, at most
		 * SIGNERS_PER_TREASURY_MAX names a version: more is a
		 * tampered signer set */
		if (*approvals == sizeof(seen) / sizeof(seen[0])) {
			report(c, "proposal %s: more approvals than a signer "
			    "set can hold", p->id_hex);
			rc = DB_DONE;
			break;
		}
		if (key_seen((const uint8_t (*)[32])seen, *approvals, key.x)) {
			report(c, "proposal %s: the approval of '%.32s' is made "
			    "with a key that already approved", p->id_hex, name);
			continue;
		}
		memcpy(seen[*approvals], key.x, 32);
		(*approvals)++;
	}
	db_reset(ps->votes);
	return rc == DB_DONE ? TREASURY_OK : store_err_from_rc(rc);
}

/* Verify the vetoes of the proposal; a vetoed one needs its veto count. */
static treasury_err
check_vetoes(struct checker *c, const struct prop_stmts *ps,
    const struct prop_row *p)
{
	uint8_t digest[DIGEST_BYTES];
	struct signer_key key;
	int64_t valid = 0;
	int rc;

	veto_digest_compute(digest, p->computed);
	db_bind_blob(ps->vetoes, 1, p->id, PROPOSAL_ID_BYTES,
	    DB_TRANSIENT);
	while ((rc = db_step(ps->vetoes)) == DB_ROW)
		if (act_verifies(c, ps, p, "veto", col_text(ps->vetoes, 0),
		    digest, db_column_blob(ps->vetoes, 1),
		    db_column_bytes(ps->vetoes, 1), &key))
			valid++;
	db_reset(ps->vetoes);
	if (rc != DB_DONE)
		return store_err_from_rc(rc);
	if (strcmp(p->status, "vetoed") == 0 && valid < p->veto_threshold)
		report(c, "proposal %s is vetoed with %lld valid vetoes; its "
		    "config version needs %lld", p->id_hex, (long long)valid,
		    (long long)p->veto_threshold);
	return TREASURY_OK;
}

/* Decode the canonical text (core's strict parser) and compare it with
 * the columns stored beside it. false when it does not decode. */
static bool
check_text(struct checker *c, const struct prop_row *p,
    struct proposal_fields *f)
{
	treasury_err err;

	err = proposal_decode(c->v, p->canonical, p->canonical_len, f);
	if (err != TREASURY_OK) {
		report(c, "proposal %s: its canonical text does not decode (%s)",
		    p->id_hex, treasury_err_name(err));
		return false;
	}
	if (memcmp(f->instance, c->instance, INSTANCE_ID_BYTES) != 0)
		report(c, "proposal %s: its text names another instance",
		    p->id_hex);
	if (strcmp(f->treasury, p->tid) != 0 ||
	    (int64_t)f->config_version != p->version ||
	    (int64_t)f->nonce != p->nonce || f->expires_s != p->expires_s ||
	    strcmp(proposal_kind_name(f->kind), p->kind) != 0)
		report(c, "proposal %s: the stored treasury, config version, "
		    "nonce, kind or expiry disagree with its canonical text",
		    p->id_hex);
	return true;
}

/* The debits of an executed proposal are exactly the transfers its text
 * says, in order: treasury, asset, amount, destination and memo. */
static treasury_err
check_proposal_debits(struct checker *c, const struct prop_stmts *ps,
    const struct prop_row *p, const struct proposal_fields *f)
{
	bool pays = f->kind == KIND_TRANSFER || f->kind == KIND_BATCH;
	unsigned want = pays ? f->transfer_count : 0, n = 0;
	amount_minor amount;
	char what[64];
	int rc;

	db_bind_blob(ps->debits, 1, p->id, PROPOSAL_ID_BYTES,
	    DB_TRANSIENT);
	while ((rc = db_step(ps->debits)) == DB_ROW) {
		long long seq = db_column_int64(ps->debits, 0);
		const struct transfer_fields *t = n < want ?
		    &f->transfers[n] : NULL;

		n++;
		if (t == NULL)
			continue;
		snprintf(what, sizeof(what), "ledger entry %lld", seq);
		if (strcmp(col_text(ps->debits, 1), p->tid) != 0)
			report(c, "%s: a debit of proposal %s from another "
			    "treasury", what, p->id_hex);
		if (strcmp(col_text(ps->debits, 2), t->asset) != 0)
			report(c, "%s: asset '%.32s', but proposal %s transfer "
			    "%u says '%s'", what, col_text(ps->debits, 2),
			    p->id_hex, n, t->asset);
		if (col_amount(c, ps->debits, 3, what, &amount) &&
		    amount != t->amount)
			report(c, "%s: amount %.40s minor units, but proposal "
			    "%s transfer %u says a different amount", what,
			    col_text(ps->debits, 3), p->id_hex, n);
		if (strcmp(col_text(ps->debits, 4), t->to) != 0)
			report(c, "%s: destination '%.128s', but proposal %s "
			    "transfer %u says '%s'", what,
			    col_text(ps->debits, 4), p->id_hex, n, t->to);
		if (strcmp(col_text(ps->debits, 5), t->memo) != 0)
			report(c, "%s: its memo differs from proposal %s "
			    "transfer %u", what, p->id_hex, n);
	}
	db_reset(ps->debits);
	if (rc != DB_DONE)
		return store_err_from_rc(rc);
	if (n != want)
		report(c, "proposal %s: its text makes %u debits, the ledger "
		    "holds %u", p->id_hex, want, n);
	return TREASURY_OK;
}

/* The key proof of an add-signer or replace-signer proposal verifies with
 * the new key its text names, over the id recomputed from the text; an
 * executed one has it when its policy asks for it (docs/policies.md §6). */
static treasury_err
check_key_proof(struct checker *c, const struct prop_stmts *ps,
    const struct prop_row *p, const struct proposal_fields *f)
{
	uint8_t digest[DIGEST_BYTES];
	int rc;

	if (f->kind != KIND_ADD_SIGNER && f->kind != KIND_REPLACE_SIGNER)
		return TREASURY_OK;
	db_bind_blob(ps->proof, 1, p->id, PROPOSAL_ID_BYTES,
	    DB_TRANSIENT);
	rc = db_step(ps->proof);
	if (rc == DB_ROW) {
		c->r->acts_verified++;
		possession_digest_compute(digest, p->computed);
		if (vote_signature_verify(c->v, &f->key, digest,
		    db_column_blob(ps->proof, 0),
		    (size_t)db_column_bytes(ps->proof, 0)) != TREASURY_OK)
			report(c, "proposal %s: the key proof does not verify "
			    "with the new key of '%s'", p->id_hex, f->signer);
		rc = DB_DONE;
	} else if (rc == DB_DONE && p->key_proof_needed &&
	    strcmp(p->status, "executed") == 0) {
		report(c, "proposal %s was executed without the key proof its "
		    "policy asks for", p->id_hex);
	}
	db_reset(ps->proof);
	return rc == DB_DONE ? TREASURY_OK : store_err_from_rc(rc);
}

/* Read the current row of ps->prop into *p. false for a malformed id. */
static bool
prop_row_read(struct checker *c, struct db_stmt *st, struct prop_row *p)
{
	if (db_column_bytes(st, 0) != PROPOSAL_ID_BYTES) {
		report(c, "a proposal has a malformed id");
		return false;
	}
	memcpy(p->id, db_column_blob(st, 0), PROPOSAL_ID_BYTES);
	hex_encode(p->id_hex, p->id, PROPOSAL_ID_BYTES);
	snprintf(p->tid, sizeof(p->tid), "%s", col_text(st, 1));
	p->version = db_column_int64(st, 2);
	p->canonical = col_text(st, 3);
	p->canonical_len = (size_t)db_column_bytes(st, 3);
	p->config_found = db_column_type(st, 4) != DB_NULL;
	p->threshold = db_column_int64(st, 4);
	snprintf(p->kind, sizeof(p->kind), "%s", col_text(st, 5));
	snprintf(p->status, sizeof(p->status), "%s", col_text(st, 6));
	p->nonce = db_column_int64(st, 7);
	p->expires_s = db_column_int64(st, 8);
	p->veto_threshold = db_column_int64(st, 9);
	p->key_proof_needed = db_column_int64(st, 10) != 0;
	proposal_id_compute(p->computed, p->canonical, p->canonical_len);
	return true;
}

/* Every check of one proposal. */
static treasury_err
check_one_proposal(struct checker *c, const struct prop_stmts *ps,
    const struct prop_row *p, struct proposal_fields *f)
{
	bool executed = strcmp(p->status, "executed") == 0;
	bool decoded;
	unsigned approvals;
	treasury_err err;

	if (executed)
		c->r->executed++;
	if (memcmp(p->id, p->computed, PROPOSAL_ID_BYTES) != 0)
		report(c, "proposal %s: id is not the hash of its canonical "
		    "text", p->id_hex);
	decoded = check_text(c, p, f);
	if (!p->config_found) {
		report(c, "proposal %s: config version %lld of treasury %s "
		    "does not exist", p->id_hex, (long long)p->version, p->tid);
		return TREASURY_OK;
	}
	err = check_votes(c, ps, p, &approvals);
	if (err == TREASURY_OK)
		err = check_vetoes(c, ps, p);
	if (err == TREASURY_OK && decoded)
		err = check_key_proof(c, ps, p, f);
	if (err != TREASURY_OK || !executed)
		return err;
	if ((int64_t)approvals < p->threshold)
		report(c, "proposal %s was executed with %u valid approvals; "
		    "its config version needs %lld (standing, by distinct "
		    "keys)", p->id_hex, approvals, (long long)p->threshold);
	if (!decoded) {
		report(c, "proposal %s: its debits cannot be compared with a "
		    "text that does not decode", p->id_hex);
		return TREASURY_OK;
	}
	return check_proposal_debits(c, ps, p, f);
}

static treasury_err
check_proposals(struct checker *c)
{
	/* the base threshold: M, plus the policy's extra approval for a
	 * config change (schema 4); the veto count: the policy's, or
	 * ceil(N/3) (policy_veto_threshold) */
	static const char proposals_sql[] =
	    "SELECT p.id, p.treasury_id, p.config_version, p.canonical,"
	    " tc.threshold + CASE WHEN p.kind IN ('add-signer', 'remove-signer',"
	    " 'replace-signer', 'set-threshold', 'set-policy') THEN coalesce(("
	    " SELECT pol.config_extra FROM policies pol WHERE pol.treasury_id ="
	    " p.treasury_id AND pol.version = p.config_version), 0) ELSE 0 END,"
	    " p.kind, p.status, p.nonce, p.expires_at, coalesce(nullif(("
	    " SELECT pol.veto_count FROM policies pol WHERE pol.treasury_id ="
	    " p.treasury_id AND pol.version = p.config_version), 0), (("
	    " SELECT count(*) FROM signers sg WHERE sg.treasury_id ="
	    " p.treasury_id AND sg.version = p.config_version) + 2) / 3),"
	    " coalesce((SELECT pol.key_proof FROM policies pol WHERE"
	    " pol.treasury_id = p.treasury_id AND pol.version ="
	    " p.config_version), 0)"
	    " FROM proposals p LEFT JOIN treasury_configs tc"
	    " ON tc.treasury_id = p.treasury_id AND tc.version ="
	    " p.config_version ORDER BY p.rowid";
	static const char votes_sql[] =
	    "SELECT signer, decision, signature, revoked_at, revoke_signature"
	    " FROM votes WHERE proposal_id = ?1 ORDER BY signer";
	static const char signer_sql[] =
	    "SELECT key_type, pubkey FROM signers"
	    " WHERE treasury_id = ?1 AND version = ?2 AND name = ?3";
	/* ledger has no index on proposal_id (the daemon never asks by
	 * it): the transfers are copied once into a TEMP table with one, so
	 * that a million-entry ledger is walked once, not once per proposal
	 * (a read-only connection may write its TEMP database) */
#define DEBITS_COPY_SQL(index_name)				\
	"CREATE TEMP TABLE check_debits AS SELECT proposal_id, seq,"	\
	" treasury_id, asset, amount, to_dest, memo FROM ledger"	\
	" WHERE kind = 'transfer' AND proposal_id IS NOT NULL;"		\
	"CREATE INDEX " index_name " ON check_debits (proposal_id, seq);"
#define DEBITS_SQL(schema)						\
	"SELECT seq, treasury_id, asset, amount, to_dest, memo"		\
	" FROM " schema ".check_debits WHERE proposal_id = ?1 ORDER BY seq"
	/* PostgreSQL names the temporary schema pg_temp, and puts an index
	 * in its table's schema */
	const bool pg = db_is_postgresql(c->db);
	const char *debits_copy_sql = pg ?
	    DEBITS_COPY_SQL("check_debits_by_proposal") :
	    DEBITS_COPY_SQL("temp.check_debits_by_proposal");
	const char *debits_sql = pg ? DEBITS_SQL("pg_temp") :
	    DEBITS_SQL("temp");
	static const char vetoes_sql[] =
	    "SELECT signer, signature FROM vetoes WHERE proposal_id = ?1"
	    " ORDER BY signer";
	static const char proof_sql[] =
	    "SELECT signature FROM key_proofs WHERE proposal_id = ?1";
	struct prop_stmts ps = { NULL, NULL, NULL, NULL, NULL, NULL };
	struct proposal_fields *f = malloc(sizeof(*f));
	struct prop_row p;
	treasury_err err = TREASURY_OK;
	int rc;

	if (f == NULL)
		return TREASURY_ERR_NOMEM;
	rc = db_prepare(c->db, proposals_sql, &ps.prop);
	if (rc == DB_OK)
		rc = db_prepare(c->db, votes_sql, &ps.votes);
	if (rc == DB_OK)
		rc = db_prepare(c->db, signer_sql, &ps.signer);
	if (rc == DB_OK)
		rc = db_exec(c->db, debits_copy_sql);
	if (rc == DB_OK)
		rc = db_prepare(c->db, debits_sql, &ps.debits);
	if (rc == DB_OK)
		rc = db_prepare(c->db, vetoes_sql, &ps.vetoes);
	if (rc == DB_OK)
		rc = db_prepare(c->db, proof_sql, &ps.proof);
	while (rc == DB_OK && (rc = db_step(ps.prop)) == DB_ROW) {
		rc = DB_OK;
		c->r->proposals++;
		if (!prop_row_read(c, ps.prop, &p))
			continue;
		err = check_one_proposal(c, &ps, &p, f);
		if (err != TREASURY_OK)
			goto done;
	}
	if (rc != DB_DONE)
		err = store_err_from_rc(rc);
done:
	db_finalize(ps.prop);
	db_finalize(ps.votes);
	db_finalize(ps.signer);
	db_finalize(ps.debits);
	db_finalize(ps.vetoes);
	db_finalize(ps.proof);
	free(f);
	return err;
}

/* Every freeze request verifies with its signer's key at the config
 * version it names, and a frozen treasury has the freeze in force. */
static treasury_err
check_freezes(struct checker *c)
{
	static const char freezes_sql[] =
	    "SELECT f.treasury_id, f.seq, f.signer, f.config_version,"
	    " f.signature FROM freezes f ORDER BY f.treasury_id, f.seq, f.signer";
	static const char frozen_sql[] =
	    "SELECT t.id, t.freeze_seq FROM treasuries t WHERE t.frozen = 1"
	    " AND NOT EXISTS (SELECT 1 FROM freezes f WHERE f.treasury_id ="
	    " t.id AND f.seq = t.freeze_seq)";
	static const char signer_sql[] =
	    "SELECT key_type, pubkey FROM signers"
	    " WHERE treasury_id = ?1 AND version = ?2 AND name = ?3";
	struct db_stmt *fz = NULL, *fr = NULL, *signer = NULL;
	uint8_t digest[DIGEST_BYTES];
	struct signer_key key;
	treasury_err err = TREASURY_OK;
	int rc;

	rc = db_prepare(c->db, freezes_sql, &fz);
	if (rc == DB_OK)
		rc = db_prepare(c->db, frozen_sql, &fr);
	if (rc == DB_OK)
		rc = db_prepare(c->db, signer_sql, &signer);
	while (rc == DB_OK && (rc = db_step(fz)) == DB_ROW) {
		char tid[TREASURY_ID_MAX_BYTES + 1];
		struct freeze_request req;
		int64_t seq = db_column_int64(fz, 1);
		int64_t version = db_column_int64(fz, 3);
		const char *name = col_text(fz, 2);

		rc = DB_OK;
		c->r->acts_verified++;
		snprintf(tid, sizeof(tid), "%s", col_text(fz, 0));
		memcpy(req.instance, c->instance, INSTANCE_ID_BYTES);
		req.treasury = tid;
		req.config_version = (uint64_t)version;
		req.freeze_seq = (uint64_t)seq;
		if (version < 1 || seq < 1 ||
		    freeze_digest_compute(digest, &req) != TREASURY_OK ||
		    !signer_key_at(c, signer, tid, version, name, &key) ||
		    vote_signature_verify(c->v, &key, digest,
		    db_column_blob(fz, 4),
		    (size_t)db_column_bytes(fz, 4)) != TREASURY_OK)
			report(c, "freeze %lld of treasury %s: the request of "
			    "'%.32s' does not verify with a key of config "
			    "version %lld", (long long)seq, tid, name,
			    (long long)version);
	}
	if (rc == DB_DONE)
		rc = DB_OK;
	while (rc == DB_OK && (rc = db_step(fr)) == DB_ROW) {
		report(c, "treasury %s is frozen by freeze %lld, which has no "
		    "signed request", col_text(fr, 0),
		    (long long)db_column_int64(fr, 1));
		rc = DB_OK;
	}
	if (rc != DB_DONE)
		err = store_err_from_rc(rc);
	db_finalize(fz);
	db_finalize(fr);
	db_finalize(signer);
	return err;
}

/* One policies row against its text: the text decodes, names the M and N
 * of its config version, and its digest and the columns the engine
 * counts with (config_extra, timelocks, veto_count, high_threshold,
 * key_proof) are the text's. The text itself is compared with the
 * journal through the digest (check_journal.c). */
static void
check_one_policy(struct checker *c, struct db_stmt *st,
    struct treasury_policy *pol)
{
	const char *tid = col_text(st, 0);
	long long ver = db_column_int64(st, 1);
	const char *lines = col_text(st, 2);
	uint8_t digest[DIGEST_BYTES];
	unsigned m = 0, n = 0;

	if (policy_lines_decode(lines, (size_t)db_column_bytes(st, 2),
	    pol, &m, &n) != TREASURY_OK) {
		report(c, "treasury %s config version %lld: its policy text "
		    "does not decode", tid, ver);
		return;
	}
	if ((int64_t)m != db_column_int64(st, 10) ||
	    (int64_t)n != db_column_int64(st, 11))
		report(c, "treasury %s config version %lld: its policy text "
		    "says %u of %u signers, the config %lld of %lld", tid, ver,
		    m, n, (long long)db_column_int64(st, 10),
		    (long long)db_column_int64(st, 11));
	if (policy_digest_compute(digest, pol, m, n) != TREASURY_OK ||
	    db_column_bytes(st, 3) != DIGEST_BYTES ||
	    memcmp(db_column_blob(st, 3), digest, DIGEST_BYTES) != 0)
		report(c, "treasury %s config version %lld: the policy digest "
		    "is not the digest of its text", tid, ver);
	if (db_column_int64(st, 4) != (int64_t)pol->config_extra ||
	    db_column_int64(st, 5) != pol->timelock_spend_s ||
	    db_column_int64(st, 6) != pol->timelock_config_s ||
	    db_column_int64(st, 7) != (int64_t)pol->veto_count ||
	    db_column_int64(st, 8) != (int64_t)pol->high_threshold ||
	    db_column_int64(st, 9) != (pol->key_proof ? 1 : 0))
		report(c, "treasury %s config version %lld: the policy's "
		    "columns (config_extra, timelocks, veto_count, "
		    "high_threshold, key_proof) disagree with its text", tid,
		    ver);
}

/* Every policies row against its text and its config version. */
static treasury_err
check_policies(struct checker *c)
{
	static const char sql[] =
	    "SELECT pol.treasury_id, pol.version, pol.lines, pol.digest,"
	    " pol.config_extra, pol.timelock_spend_s, pol.timelock_config_s,"
	    " pol.veto_count, pol.high_threshold, pol.key_proof,"
	    " tc.threshold, (SELECT count(*) FROM signers sg WHERE"
	    " sg.treasury_id = pol.treasury_id AND sg.version = pol.version)"
	    " FROM policies pol JOIN treasury_configs tc ON tc.treasury_id ="
	    " pol.treasury_id AND tc.version = pol.version"
	    " ORDER BY pol.treasury_id, pol.version";
	struct treasury_policy *pol = malloc(sizeof(*pol));
	struct db_stmt *st = NULL;
	int rc;

	if (pol == NULL)
		return TREASURY_ERR_NOMEM;
	rc = db_prepare(c->db, sql, &st);
	while (rc == DB_OK && (rc = db_step(st)) == DB_ROW) {
		check_one_policy(c, st, pol);
		rc = DB_OK;
	}
	db_finalize(st);
	free(pol);
	return rc == DB_DONE ? TREASURY_OK : store_err_from_rc(rc);
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
	struct db_stmt *st = NULL;
	int rc;

	rc = db_prepare(c->db, sql, &st);
	while (rc == DB_OK && (rc = db_step(st)) == DB_ROW) {
		report(c, "ledger entry %lld: a transfer without an executed "
		    "proposal of its treasury",
		    (long long)db_column_int64(st, 0));
		rc = DB_OK;
	}
	db_finalize(st);
	return rc == DB_DONE ? TREASURY_OK : store_err_from_rc(rc);
}

static treasury_err
count_treasuries(struct checker *c)
{
	struct db_stmt *st = NULL;
	int rc;

	rc = db_prepare(c->db, "SELECT count(*) FROM treasuries",
	    &st);
	if (rc == DB_OK && (rc = db_step(st)) == DB_ROW) {
		c->r->treasuries = (unsigned long)db_column_int64(st, 0);
		rc = DB_DONE;
	}
	db_finalize(st);
	return rc == DB_DONE ? TREASURY_OK : store_err_from_rc(rc);
}

/* The instance id every canonical text and freeze request names. */
static treasury_err
check_instance(struct checker *c)
{
	struct db_stmt *st = NULL;
	int rc;

	rc = db_prepare(c->db, "SELECT instance_id FROM meta WHERE"
	    " id = 1", &st);
	if (rc == DB_OK && (rc = db_step(st)) == DB_ROW) {
		if (db_column_bytes(st, 0) == INSTANCE_ID_BYTES)
			memcpy(c->instance, db_column_blob(st, 0),
			    INSTANCE_ID_BYTES);
		else
			report(c, "meta: the instance id is malformed");
		rc = DB_DONE;
	} else if (rc == DB_DONE) {
		report(c, "meta: no instance id");
	}
	db_finalize(st);
	return rc == DB_DONE ? TREASURY_OK : store_err_from_rc(rc);
}

/* Adapter: integrity_check rows are findings too. */
static void
integrity_finding(const char *text, void *arg)
{
	struct checker *c = arg;

	finding_emit(c, text);
}

/* ---- ledger_days (schema 10): the exact day sums against the ledger ---- */

/* One ledger_days row against the sums recomputed from the ledger (d); a
 * missing or different row is a finding. */
static treasury_err
check_day_row(struct checker *c, struct db_stmt *get, const struct ledger_day *d)
{
	struct amount_wide in, out;
	char want_in[AMOUNT_WIDE_TEXT_MAX_BYTES];
	char want_out[AMOUNT_WIDE_TEXT_MAX_BYTES];
	treasury_err err = TREASURY_OK;
	int rc;

	amount_wide_minor_text(&d->inflow, want_in);
	amount_wide_minor_text(&d->outflow, want_out);
	db_bind_text(get, 1, d->treasury, -1, DB_STATIC);
	db_bind_text(get, 2, d->asset, -1, DB_STATIC);
	db_bind_text(get, 3, d->category, -1, DB_STATIC);
	db_bind_int64(get, 4, d->day);
	rc = db_step(get);
	if (rc == DB_DONE)
		report(c, "ledger_days: no row for treasury %s asset %s category"
		    " '%s' day %lld (the ledger has %lld entries: in %s, out %s)",
		    d->treasury, d->asset, d->category, (long long)d->day,
		    (long long)d->entries, want_in, want_out);
	else if (rc == DB_ROW) {
		const char *ti = col_text(get, 0), *to = col_text(get, 1);

		if (amount_wide_parse_minor(ti, strlen(ti), &in) !=
		    TREASURY_OK || amount_wide_parse_minor(to, strlen(to),
		    &out) != TREASURY_OK || amount_wide_cmp(&in, &d->inflow) !=
		    0 || amount_wide_cmp(&out, &d->outflow) != 0 ||
		    db_column_int64(get, 2) != d->entries)
			report(c, "ledger_days: treasury %s asset %s category"
			    " '%s' day %lld holds in %.80s out %.80s entries"
			    " %lld, the ledger gives in %s out %s entries %lld",
			    d->treasury, d->asset, d->category,
			    (long long)d->day, ti, to,
			    (long long)db_column_int64(get, 2), want_in,
			    want_out, (long long)d->entries);
	} else
		err = store_err_from_rc(rc);
	db_reset(get);
	db_clear_bindings(get);
	return err;
}

/* Recompute every (treasury, asset, category, day) from the ledger and
 * compare; then every ledger_days row must have had its group (a row
 * without entries is a finding). */
static treasury_err
check_ledger_days(struct checker *c)
{
	static const char walk_sql[] =
	    "SELECT treasury_id, asset, coalesce(category, ''), created_at,"
	    " kind, amount FROM ledger"
	    " ORDER BY treasury_id, asset, coalesce(category, ''), created_at";
	static const char get_sql[] =
	    "SELECT inflow, outflow, entries FROM ledger_days WHERE"
	    " treasury_id = ?1 AND asset = ?2 AND category = ?3 AND day = ?4";
	static const char rows_sql[] =
	    "SELECT d.treasury_id, d.asset, d.category, d.day FROM ledger_days d"
	    " WHERE NOT EXISTS (SELECT 1 FROM ledger l INDEXED BY ledger_time"
	    " WHERE l.treasury_id = d.treasury_id AND l.asset = d.asset AND"
	    " coalesce(l.category, '') = d.category AND"
	    " l.created_at >= d.day * 86400 AND"
	    " l.created_at < (d.day + 1) * 86400)";
	struct db_stmt *walk = NULL, *get = NULL, *rows = NULL;
	struct ledger_day d;
	treasury_err err = TREASURY_OK;
	amount_minor amount;
	bool open = false;
	int rc;

	rc = db_prepare(c->db, walk_sql, &walk);
	if (rc == DB_OK)
		rc = db_prepare(c->db, get_sql, &get);
	if (rc == DB_OK)
		rc = db_prepare(c->db, rows_sql, &rows);
	while (rc == DB_OK && (rc = db_step(walk)) == DB_ROW) {
		const char *tid = col_text(walk, 0), *asset = col_text(walk, 1);
		const char *cat = col_text(walk, 2), *kind = col_text(walk, 4);
		int64_t day = ledger_day_of(db_column_int64(walk, 3));

		rc = DB_OK;
		if (open && (strcmp(d.treasury, tid) != 0 ||
		    strcmp(d.asset, asset) != 0 ||
		    strcmp(d.category, cat) != 0 || d.day != day)) {
			err = check_day_row(c, get, &d);
			open = false;
			if (err != TREASURY_OK)
				goto done;
		}
		if (!open) {
			if (ledger_day_begin(&d, tid, asset, cat, day) !=
			    TREASURY_OK) {
				report(c, "ledger: a row with an overlong"
				    " treasury, asset or category");
				continue;
			}
			open = true;
		}
		if (!col_amount(c, walk, 5, "ledger amount", &amount))
			continue;
		if (ledger_day_fold(&d, strcmp(kind, "deposit") == 0 ?
		    LEDGER_DEPOSIT : LEDGER_TRANSFER, amount, false) !=
		    TREASURY_OK)
			report(c, "ledger_days: sums past 2^256 (cannot be)");
	}
	if (rc == DB_DONE)
		rc = DB_OK;
	if (rc == DB_OK && open)
		err = check_day_row(c, get, &d);
	while (err == TREASURY_OK && rc == DB_OK &&
	    (rc = db_step(rows)) == DB_ROW) {
		report(c, "ledger_days: treasury %s asset %s category '%s' day"
		    " %lld has a row but no ledger entry", col_text(rows, 0),
		    col_text(rows, 1), col_text(rows, 2),
		    (long long)db_column_int64(rows, 3));
		rc = DB_OK;
	}
	if (err == TREASURY_OK && rc != DB_DONE && rc != DB_OK)
		err = store_err_from_rc(rc);
done:
	db_finalize(walk);
	db_finalize(get);
	db_finalize(rows);
	return err;
}

treasury_err
store_check(const char *path, const treasury_verifier *v,
    void (*finding)(const char *text, void *ctx), void *ctx,
    struct check_report *out, char errmsg[STORE_ERRMSG_BYTES])
{
	struct checker c = { NULL, v, finding, ctx, out, { 0 } };
	treasury_err err;

	memset(out, 0, sizeof(*out));
	errmsg[0] = '\0';
	err = store_open_maintenance(path, STORE_READ_ONLY, &c.db, errmsg);
	if (err != TREASURY_OK)
		return err;
	if (db_exec(c.db, "BEGIN") != DB_OK) {
		err = TREASURY_ERR_DB;
		goto done;
	}
	/* SQLite's file structure; PostgreSQL's pages are the server's
	 * (data checksums, amcheck) */
	err = TREASURY_OK;
	if (db_is_postgresql(c.db))
		out->skipped += 2;	/* this and check_foreign_keys */
	else
		err = store_integrity_check(c.db, integrity_finding, &c,
		    &out->findings);
	if (err == TREASURY_OK)
		err = check_foreign_keys(&c);
	if (err == TREASURY_OK)
		err = count_treasuries(&c);
	if (err == TREASURY_OK)
		err = check_balances(&c);
	if (err == TREASURY_OK)
		err = check_instance(&c);
	if (err == TREASURY_OK)
		err = check_proposals(&c);
	if (err == TREASURY_OK)
		err = check_policies(&c);
	if (err == TREASURY_OK)
		err = check_freezes(&c);
	if (err == TREASURY_OK)
		err = check_debits(&c);
	if (err == TREASURY_OK)
		err = check_labels(&c);
	if (err == TREASURY_OK)
		err = check_ledger_days(&c);
	if (err == TREASURY_OK)
		err = store_check_journal(c.db, finding, ctx, &out->findings,
		    &out->journal_entries);
done:
	if (err != TREASURY_OK)		/* before ROLLBACK speaks */
		store_errmsg_set(errmsg, "cannot check database %s: %s", path,
		    db_errmsg(c.db));
	db_exec(c.db, err == TREASURY_OK ? "COMMIT" : "ROLLBACK");
	db_close(c.db);
	return err;
}
