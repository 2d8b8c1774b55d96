/*
 * cmd_policy.c: a treasury's policies in storage (docs/policies.md §12):
 * one row of policy lines per config version, read back strictly with
 * policy_lines_decode; the checks a policy from a request passes in the
 * writer; approved_at and the timelock gate of execution; and the read
 * query behind GET /v1/treasuries/{t}/policy.
 */
#include <stdlib.h>
#include <string.h>

#include "treasury/lifecycle.h"
#include "treasury/policy.h"

#include "engine_int.h"

treasury_err
policy_row_write(struct store *s, const char *id, uint64_t version,
    const struct treasury_policy *p, unsigned m, unsigned n,
    uint8_t digest_out[DIGEST_BYTES])
{
	struct db_stmt *st = s->stmt[STMT_POLICY_INSERT];
	uint8_t digest[DIGEST_BYTES];
	struct textbuf text;
	treasury_err err;

	textbuf_init(&text, CANONICAL_MAX_BYTES);
	err = policy_lines_append(&text, p, m, n);
	if (err == TREASURY_OK)
		err = policy_digest_compute(digest, p, m, n);
	if (err != TREASURY_OK)
		goto done;
	bind_str(st, 1, id);
	db_bind_int64(st, 2, (int64_t)version);
	db_bind_text(st, 3, text.data, (int)text.len, DB_STATIC);
	db_bind_blob(st, 4, digest, sizeof(digest), DB_STATIC);
	db_bind_int(st, 5, (int)p->config_extra);
	db_bind_int64(st, 6, p->timelock_spend_s);
	db_bind_int64(st, 7, p->timelock_config_s);
	db_bind_int(st, 8, (int)p->veto_count);
	db_bind_int(st, 9, (int)p->high_threshold);
	db_bind_int(st, 10, p->key_proof ? 1 : 0);
	err = store_stmt_run(s, STMT_POLICY_INSERT);
	if (err == TREASURY_OK && digest_out != NULL)
		memcpy(digest_out, digest, DIGEST_BYTES);
done:
	textbuf_free(&text);
	return err;
}

/* The current row of STMT_POLICY_GET, decoded. */
static treasury_err
policy_columns_read(struct db_stmt *st, unsigned m, unsigned n,
    struct treasury_policy *out, char **text, uint8_t digest[DIGEST_BYTES])
{
	const char *lines;
	unsigned dm = 0, dn = 0;
	int len;

	if (db_column_type(st, 0) != DB_TEXT)
		return TREASURY_ERR_DB_CORRUPT;
	lines = (const char *)db_column_text(st, 0);
	len = db_column_bytes(st, 0);
	if (lines == NULL || len <= 0 ||
	    policy_lines_decode(lines, (size_t)len, out, &dm, &dn) !=
	    TREASURY_OK || dm != m || dn != n)
		return TREASURY_ERR_DB_CORRUPT;
	if (digest != NULL && col_blob(st, 1, DIGEST_BYTES, digest) !=
	    TREASURY_OK)
		return TREASURY_ERR_DB_CORRUPT;
	if (text != NULL) {
		*text = malloc((size_t)len + 1);
		if (*text == NULL)
			return TREASURY_ERR_NOMEM;
		memcpy(*text, lines, (size_t)len);
		(*text)[len] = '\0';
	}
	return TREASURY_OK;
}

static treasury_err
policy_row_fetch(struct store *s, const char *id, uint64_t version,
    unsigned m, unsigned n, struct treasury_policy *out, char **text,
    uint8_t digest[DIGEST_BYTES])
{
	struct db_stmt *st = s->stmt[STMT_POLICY_GET];
	treasury_err err;
	int rc;

	bind_str(st, 1, id);
	db_bind_int64(st, 2, (int64_t)version);
	rc = db_step(st);
	if (rc == DB_ROW)
		err = policy_columns_read(st, m, n, out, text, digest);
	else if (rc == DB_DONE)
		err = TREASURY_ERR_DB_CORRUPT;	/* every version has one */
	else
		err = store_err_from_rc(rc);
	store_stmt_done(st);
	return err;
}

treasury_err
policy_row_read(struct store *s, const char *id, uint64_t version,
    unsigned m, unsigned n, struct treasury_policy *out)
{
	return policy_row_fetch(s, id, version, m, n, out, NULL, NULL);
}

static treasury_err
policy_asset_check(struct store *s, const char *code, unsigned decimals,
    const char *what, struct command *cmd)
{
	struct asset a;
	treasury_err err;

	err = store_asset_get(s, code, &a);
	if (err == TREASURY_ERR_UNKNOWN_ASSET) {
		cmd_detail(cmd, "policy.%s: asset '%s' is not known", what, code);
		return err;
	}
	if (err == TREASURY_OK && a.decimals != decimals) {
		cmd_detail(cmd, "policy.%s: asset '%s' has %u decimals, not %u",
		    what, code, a.decimals, decimals);
		return TREASURY_ERR_POLICY_DECIMALS;
	}
	return err;
}

treasury_err
policy_request_check(struct store *s, struct treasury_policy *p, unsigned m,
    unsigned n, struct command *cmd)
{
	treasury_err err;
	unsigned i;

	policy_normalize(p);
	err = treasury_policy_check(p, m, n);
	if (err != TREASURY_OK) {
		cmd_detail(cmd, "policy: %s", treasury_err_text(err));
		return err;
	}
	for (i = 0; i < p->limit_count; i++) {
		err = policy_asset_check(s, p->limits[i].asset,
		    p->limits[i].decimals, "limits", cmd);
		if (err != TREASURY_OK)
			return err;
	}
	for (i = 0; i < p->reserve_count; i++) {
		err = policy_asset_check(s, p->reserves[i].asset,
		    p->reserves[i].decimals, "reserves", cmd);
		if (err != TREASURY_OK)
			return err;
	}
	return TREASURY_OK;
}

treasury_err
proposal_approved_set(struct store *s, const uint8_t id[PROPOSAL_ID_BYTES],
    int64_t approved_s)
{
	struct db_stmt *st = s->stmt[STMT_PROPOSAL_APPROVED_SET];

	db_bind_blob(st, 1, id, PROPOSAL_ID_BYTES, DB_STATIC);
	if (approved_s != 0)
		db_bind_int64(st, 2, approved_s);
	else
		db_bind_null(st, 2);
	return store_stmt_run(s, STMT_PROPOSAL_APPROVED_SET);
}

/* The current row of STMT_PROPOSAL_POLICY. */
static treasury_err
proposal_policy_read(struct db_stmt *st, struct proposal_policy *out)
{
	int64_t m = 0, x = 0, veto = 0, high = 0, kp = 0, proofs = 0;
	char kind[32];
	treasury_err err = TREASURY_OK;

	if (db_column_type(st, 0) != DB_NULL)
		err = col_int(st, 0, 1, INT64_MAX, &out->approved_s);
	if (err == TREASURY_OK)
		err = col_int(st, 1, 1, SIGNERS_PER_TREASURY_MAX, &m);
	if (err == TREASURY_OK)
		err = col_int(st, 2, 0, 1, &x);
	if (err == TREASURY_OK)
		err = col_int(st, 3, 0, POLICY_TIMELOCK_MAX_S,
		    &out->timelock_spend_s);
	if (err == TREASURY_OK)
		err = col_int(st, 4, 0, POLICY_TIMELOCK_MAX_S,
		    &out->timelock_config_s);
	if (err == TREASURY_OK)
		err = col_int(st, 5, 0, SIGNERS_PER_TREASURY_MAX, &veto);
	if (err == TREASURY_OK)
		err = col_int(st, 6, 0, SIGNERS_PER_TREASURY_MAX, &high);
	if (err == TREASURY_OK)
		err = col_text(st, 7, 1, sizeof(kind) - 1, kind);
	if (err == TREASURY_OK && proposal_kind_parse(kind, strlen(kind),
	    &out->kind) != TREASURY_OK)
		err = TREASURY_ERR_DB_CORRUPT;
	if (err == TREASURY_OK)
		err = col_int(st, 8, 0, 1, &kp);
	if (err == TREASURY_OK)
		err = col_int(st, 9, 0, 1, &proofs);
	if (err != TREASURY_OK)
		return err;
	out->track = proposal_kind_track(out->kind);
	out->m = (unsigned)m;
	out->delay_s = policy_track_delay_s(out->track, out->timelock_spend_s,
	    out->timelock_config_s);
	out->config_extra = (unsigned)x;
	out->extra = policy_track_threshold(out->track, out->m,
	    out->config_extra) - out->m;
	out->veto_count = (unsigned)veto;
	out->high_threshold = (unsigned)high;
	out->key_proof_required = kp != 0;
	out->key_proof = proofs != 0;
	return TREASURY_OK;
}

treasury_err
proposal_policy_get(struct store *s, const uint8_t id[PROPOSAL_ID_BYTES],
    struct proposal_policy *out)
{
	struct db_stmt *st = s->stmt[STMT_PROPOSAL_POLICY];
	treasury_err err;
	int rc;

	memset(out, 0, sizeof(*out));
	db_bind_blob(st, 1, id, PROPOSAL_ID_BYTES, DB_STATIC);
	rc = db_step(st);
	if (rc == DB_ROW)
		err = proposal_policy_read(st, out);
	else if (rc == DB_DONE)
		err = TREASURY_ERR_UNKNOWN_PROPOSAL;
	else
		err = store_err_from_rc(rc);
	store_stmt_done(st);
	return err;
}

/* The scalars of pp as a policy with empty lists. */
static void
rules_of(const struct proposal_policy *pp, struct treasury_policy *out)
{
	policy_init(out);
	out->timelock_spend_s = pp->timelock_spend_s;
	out->timelock_config_s = pp->timelock_config_s;
	out->veto_count = pp->veto_count;
	out->config_extra = pp->config_extra;
	out->high_threshold = pp->high_threshold;
	out->key_proof = pp->key_proof_required;
}

treasury_err
proposal_rules_load(struct store *s, const uint8_t id[PROPOSAL_ID_BYTES],
    struct proposal_rules **out)
{
	struct proposal_rules *r;
	treasury_err err;

	*out = NULL;
	r = malloc(sizeof(*r));
	if (r == NULL)
		return TREASURY_ERR_NOMEM;
	err = proposal_policy_get(s, id, &r->pp);
	if (err != TREASURY_OK) {
		free(r);
		return err;
	}
	rules_of(&r->pp, &r->policy);
	*out = r;
	return TREASURY_OK;
}

/* Whether name is in v (its names are in BINARY order, as strcmp). From
 * *at on: the signers are asked in that order too, so one pass of both. */
static bool
voted(const struct proposal_voters *v, unsigned *at, const char *name)
{
	int c = 1;

	while (*at < v->count && (c = strcmp(v->names[*at], name)) < 0)
		(*at)++;
	return *at < v->count && c == 0;
}

treasury_err
proposal_awaiting_journal(struct store *s, const struct command *cmd,
    const uint8_t id[PROPOSAL_ID_BYTES], const char *treasury,
    uint64_t config_version, const struct proposal_voters *v,
    unsigned threshold)
{
	struct db_stmt *st = s->stmt[STMT_SIGNERS_AWAITING];
	char name[SIGNER_NAME_MAX_BYTES + 1];
	struct journal_payload p;
	treasury_err err = TREASURY_OK;
	unsigned at = 0;
	int rc;

	journal_payload_begin(&p);
	journal_payload_int(&p, "approvals", (int64_t)v->tally.approvals);
	journal_payload_array(&p, "awaiting");
	bind_str(st, 1, treasury);
	db_bind_int64(st, 2, (int64_t)config_version);
	while (err == TREASURY_OK && (rc = db_step(st)) == DB_ROW) {
		err = col_text(st, 0, 1, SIGNER_NAME_MAX_BYTES, name);
		if (err == TREASURY_OK && !voted(v, &at, name))
			journal_payload_elem_str(&p, name);
	}
	if (err == TREASURY_OK && rc != DB_DONE)
		err = store_err_from_rc(rc);
	store_stmt_done(st);
	if (err != TREASURY_OK) {
		journal_payload_free(&p);
		return err;
	}
	journal_payload_end(&p);
	journal_payload_hex(&p, "proposal", id, PROPOSAL_ID_BYTES);
	journal_payload_int(&p, "threshold", (int64_t)threshold);
	journal_payload_str(&p, "treasury", treasury);
	return journal_cmd(s, cmd, NULL, treasury, "proposal.awaiting", &p);
}

treasury_err
proposal_tally_apply(struct store *s, const struct proposal_record *rec,
    const struct proposal_rules *r, struct command *cmd,
    struct policy_tally *t)
{
	struct proposal_voters v;
	struct lifecycle_step step;
	treasury_err err;

	/* the tally and who voted, in one scan: proposal.awaiting's too */
	err = proposal_voters_read(s, rec->id, &v);
	if (err != TREASURY_OK)
		return err;
	*t = v.tally;
	lifecycle_tally_step(*cmd_status(cmd), &r->policy, r->pp.track, r->pp.m,
	    rec->signer_count, t, cmd->now_s, &step);
	/* approved_at exists while approved (a CHECK): set it before the
	 * status moves to approved, clear it after it moved away */
	if (step.store_approved && step.approved_s != 0)
		err = proposal_approved_set(s, rec->id, step.approved_s);
	if (err == TREASURY_OK && step.store_status)
		err = proposal_status_set(s, cmd, rec->id, step.status);
	if (err == TREASURY_OK && step.store_approved && step.approved_s == 0)
		err = proposal_approved_set(s, rec->id, 0);
	if (err == TREASURY_OK)
		*cmd_status(cmd) = step.status;
	/* who is still to sign, after a vote or revocation that leaves it
	 * pending (a veto does not change who may vote) */
	if (err == TREASURY_OK && step.status == STATUS_PENDING &&
	    (cmd->type == CMD_VOTE || cmd->type == CMD_REVOKE))
		err = proposal_awaiting_journal(s, cmd, rec->id, rec->treasury,
		    rec->config_version, &v, policy_base_threshold(
		    &r->policy, r->pp.track, r->pp.m));
	return err;
}

treasury_err
proposal_timelock_gate(struct store *s, const struct proposal_record *rec,
    struct command *cmd)
{
	char ts[TIMESTAMP_BYTES + 1];
	struct proposal_policy pp;
	treasury_err err;
	int64_t at;

	err = proposal_policy_get(s, rec->id, &pp);
	if (err == TREASURY_ERR_UNKNOWN_PROPOSAL)
		err = TREASURY_ERR_DB_CORRUPT;
	if (err != TREASURY_OK)
		return err;
	if (pp.approved_s == 0)
		return TREASURY_ERR_DB_CORRUPT;	/* approved without a time */
	err = policy_timelock_check(pp.approved_s, pp.delay_s, cmd->now_s);
	if (err == TREASURY_ERR_TIMELOCKED) {
		at = policy_executable_at(pp.approved_s, pp.delay_s);
		timestamp_format(at, ts);
		cmd_detail(cmd, "executable_at %s (%lld): the delay of %lld s"
		    " since approval has not passed", ts, (long long)at,
		    (long long)pp.delay_s);
		return err;
	}
	/* then the key proof of a new key (policies.md §6) */
	if (err == TREASURY_OK && pp.key_proof_required && !pp.key_proof &&
	    (pp.kind == KIND_ADD_SIGNER || pp.kind == KIND_REPLACE_SIGNER)) {
		cmd_detail(cmd, "the new key has not signed its key proof"
		    " (POST /v1/proposals/{id}/key-proof)");
		err = TREASURY_ERR_KEY_PROOF;
	}
	return err;
}

/* Rows of (signer, signature) from statement i into acts. */
static treasury_err
acts_read(struct store *s, enum store_stmt i,
    const uint8_t id[PROPOSAL_ID_BYTES], struct signed_act *acts,
    unsigned *count)
{
	struct db_stmt *st = s->stmt[i];
	treasury_err err = TREASURY_OK;
	struct signed_act *a;
	int rc, len;

	*count = 0;
	db_bind_blob(st, 1, id, PROPOSAL_ID_BYTES, DB_STATIC);
	while (err == TREASURY_OK && (rc = db_step(st)) == DB_ROW) {
		if (*count == SIGNERS_PER_TREASURY_MAX) {
			err = TREASURY_ERR_DB_CORRUPT;
			break;
		}
		a = &acts[*count];
		err = col_text(st, 0, 1, SIGNER_NAME_MAX_BYTES, a->signer);
		len = db_column_bytes(st, 1);
		if (err == TREASURY_OK && (db_column_type(st, 1) !=
		    DB_BLOB || len < SIG_DER_MIN_BYTES ||
		    len > SIG_DER_MAX_BYTES))
			err = TREASURY_ERR_DB_CORRUPT;
		if (err == TREASURY_OK) {
			memcpy(a->signature, db_column_blob(st, 1),
			    (size_t)len);
			a->signature_len = (size_t)len;
			(*count)++;
		}
	}
	if (err == TREASURY_OK && rc != DB_DONE)
		err = store_err_from_rc(rc);
	store_stmt_done(st);
	return err;
}

treasury_err
store_proposal_policy(struct store *s, const uint8_t id[PROPOSAL_ID_BYTES],
    unsigned base, unsigned n, struct proposal_policy_view *out)
{
	struct proposal_rules *r;
	treasury_err err;

	memset(out, 0, sizeof(*out));
	err = proposal_rules_load(s, id, &r);
	if (err != TREASURY_OK)
		return err;
	out->required = base;
	out->approved_s = r->pp.approved_s;
	if (r->pp.approved_s != 0)
		out->executable_s = policy_executable_at(r->pp.approved_s,
		    r->pp.delay_s);
	out->vetoes_apply = policy_vetoes_apply(&r->policy, r->pp.track);
	out->key_proof = r->pp.key_proof;
	out->veto_threshold = policy_veto_threshold(&r->policy, n);
	free(r);
	err = acts_read(s, STMT_VETOES_LIST, id, out->vetoes,
	    &out->veto_count);
	if (err == TREASURY_OK)
		err = acts_read(s, STMT_REVOCATIONS_LIST, id, out->revocations,
		    &out->revocation_count);
	return err;
}

/* frozen, freeze_seq and frozen_at (0 when NULL) of a treasury. */
static treasury_err
freeze_state_read(struct store *s, const char *id,
    struct policy_freeze_state *out, int64_t *frozen_at_s)
{
	struct db_stmt *st = s->stmt[STMT_FREEZE_GET];
	int64_t frozen = 0, seq = 0;
	treasury_err err;
	int rc;

	*frozen_at_s = 0;
	bind_str(st, 1, id);
	rc = db_step(st);
	if (rc == DB_ROW) {
		err = col_int(st, 0, 0, 1, &frozen);
		if (err == TREASURY_OK)
			err = col_int(st, 1, 0, INT64_MAX, &seq);
		if (err == TREASURY_OK &&
		    db_column_type(st, 2) != DB_NULL)
			err = col_int(st, 2, INT64_MIN, INT64_MAX, frozen_at_s);
	} else if (rc == DB_DONE)
		err = TREASURY_ERR_UNKNOWN_TREASURY;
	else
		err = store_err_from_rc(rc);
	store_stmt_done(st);
	out->frozen = frozen != 0;
	out->freeze_seq = (uint64_t)seq;
	return err;
}

treasury_err
store_policy_get(struct store *s, const char *treasury,
    struct policy_view *out)
{
	struct policy_freeze_state fs = { false, 0 };
	struct treasury *t;
	treasury_err err;

	memset(out, 0, sizeof(*out));
	t = malloc(sizeof(*t));
	if (t == NULL)
		return TREASURY_ERR_NOMEM;
	/* in the caller's read snapshot, if it has one */
	err = treasury_fetch(s, treasury, 0, t, NULL);
	if (err == TREASURY_OK) {
		out->config_version = t->config_version;
		out->threshold = t->threshold;
		out->signer_count = t->signer_count;
		err = policy_row_fetch(s, treasury, t->config_version,
		    t->threshold, t->signer_count, &out->policy, &out->text,
		    out->digest);
	}
	if (err == TREASURY_OK)
		err = freeze_state_read(s, treasury, &fs, &out->frozen_at_s);
	out->frozen = fs.frozen;
	out->freeze_seq = fs.freeze_seq;
	free(t);
	if (err != TREASURY_OK) {
		free(out->text);
		out->text = NULL;
	}
	return err;
}

static amount_minor
add_saturating(amount_minor a, amount_minor b)
{
	return a > AMOUNT_MINOR_MAX - b ? AMOUNT_MINOR_MAX : a + b;
}

treasury_err
store_outflow(struct store *s, const char *treasury, const char *asset,
    int64_t now_s, amount_minor out[POLICY_WINDOWS])
{
	struct db_stmt *st = s->stmt[STMT_OUTFLOW];
	treasury_err err = TREASURY_OK;
	amount_minor amount;
	int64_t at;
	int rc, w;

	for (w = 0; w < POLICY_WINDOWS; w++)
		out[w] = 0;
	bind_str(st, 1, treasury);
	bind_str(st, 2, asset);
	db_bind_int64(st, 3, now_s - policy_window_s(WINDOW_MONTH));
	db_bind_int64(st, 4, now_s);
	while (err == TREASURY_OK && (rc = db_step(st)) == DB_ROW) {
		err = col_amount(st, 0, &amount);
		if (err == TREASURY_OK)
			err = col_int(st, 1, INT64_MIN, INT64_MAX, &at);
		for (w = 0; err == TREASURY_OK && w < POLICY_WINDOWS; w++)
			if (policy_window_contains(w, at, now_s))
				out[w] = add_saturating(out[w], amount);
	}
	if (err == TREASURY_OK && rc != DB_DONE)
		err = store_err_from_rc(rc);
	store_stmt_done(st);
	return err;
}

treasury_err
treasury_freeze_state(struct store *s, const char *id,
    struct policy_freeze_state *out)
{
	int64_t frozen_at_s;

	return freeze_state_read(s, id, out, &frozen_at_s);
}

treasury_err
proposal_freeze_gate(struct store *s, const struct proposal_record *rec,
    const struct proposal_fields *f, struct command *cmd)
{
	struct policy_freeze_state st;
	bool unfreeze = f->kind == KIND_UNFREEZE;
	treasury_err err;

	err = treasury_freeze_state(s, rec->treasury, &st);
	if (err == TREASURY_ERR_UNKNOWN_TREASURY)
		err = TREASURY_ERR_DB_CORRUPT;
	if (err != TREASURY_OK)
		return err;
	err = policy_freeze_gate(&st, unfreeze, f->freeze_seq);
	if (err == TREASURY_ERR_FROZEN)
		cmd_detail(cmd, "treasury '%s' is frozen (freeze %llu): only the"
		    " unfreeze that lifts it executes", rec->treasury,
		    (unsigned long long)st.freeze_seq);
	else if (err == TREASURY_ERR_NOT_FROZEN)
		cmd_detail(cmd, "treasury '%s' is not frozen", rec->treasury);
	else if (err == TREASURY_ERR_FREEZE_SEQUENCE)
		cmd_detail(cmd, "this unfreeze lifts freeze %llu, the treasury"
		    " is under freeze %llu", (unsigned long long)f->freeze_seq,
		    (unsigned long long)st.freeze_seq);
	return err;
}

treasury_err
unfreeze_apply(struct store *s, const struct command *cmd,
    const struct proposal_record *rec, const struct proposal_fields *f)
{
	struct db_stmt *st = s->stmt[STMT_UNFREEZE];
	struct journal_payload p;
	treasury_err err;

	bind_str(st, 1, rec->treasury);
	db_bind_int64(st, 2, (int64_t)f->freeze_seq);
	err = store_stmt_run(s, STMT_UNFREEZE);
	if (err == TREASURY_OK && db_changes(s->db) != 1)
		err = TREASURY_ERR_INTERNAL;	/* the gate said it is */
	if (err != TREASURY_OK)
		return err;
	journal_payload_begin(&p);
	journal_payload_int(&p, "freeze_seq", (int64_t)f->freeze_seq);
	journal_payload_hex(&p, "proposal", rec->id, PROPOSAL_ID_BYTES);
	journal_payload_str(&p, "treasury", rec->treasury);
	return journal_cmd(s, cmd, NULL, rec->treasury, "treasury.unfrozen",
	    &p);
}
