/*
 * cmd_veto.c: CMD_VETO and CMD_REVOKE in the writer (docs/policies.md §1
 * and §8, §12.2).
 *
 * Both are signed by a signer of the proposal's config version; the api
 * verified the signature (veto_digest_compute, revoke_digest_compute)
 * with that signer's key in the request thread, and the writer checks, as
 * for votes, that the key is still the one stored for that signer and
 * version. A veto is accepted while the proposal is pending or approved
 * and its track has a delay; at the veto count it becomes vetoed, a final
 * status. A revocation withdraws an approval: an approved proposal whose
 * approvals fall below its base threshold returns to pending, and its
 * delay starts again when it is approved again. Repeats are idempotent.
 */
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"

static treasury_err
head_fetch(struct store *s, struct proposal_record *rec, struct command *cmd)
{
	treasury_err err;

	err = proposal_head_fetch(s, cmd->in.vote.proposal, rec);
	if (err == TREASURY_ERR_UNKNOWN_PROPOSAL)
		cmd_detail(cmd, "proposal is not known");
	return err;
}

static int
key_equal(const struct signer_key *a, const struct signer_key *b)
{
	return a->type == b->type && a->len == b->len &&
	    memcmp(a->bytes, b->bytes, a->len) == 0 &&
	    memcmp(a->x, b->x, sizeof(a->x)) == 0;
}

/* The verified key must be the signer's key at the proposal's version. */
static treasury_err
signer_key_check(struct store *s, const struct proposal_record *rec,
    struct command *cmd)
{
	struct signer sg;
	treasury_err err;

	err = signer_fetch(s, rec->treasury, rec->config_version,
	    cmd->in.vote.signer, &sg);
	if (err == TREASURY_ERR_UNKNOWN_SIGNER)
		cmd_detail(cmd, "signer: '%s' is not a signer of treasury '%s'"
		    " at config version %llu", cmd->in.vote.signer,
		    rec->treasury, (unsigned long long)rec->config_version);
	if (err != TREASURY_OK)
		return err;
	if (cmd->in.vote.verified_config_version != rec->config_version ||
	    !key_equal(&sg.key, &cmd->in.vote.verified_key)) {
		cmd_detail(cmd, "signer: the signature was not verified with the"
		    " key of '%s' at config version %llu", cmd->in.vote.signer,
		    (unsigned long long)rec->config_version);
		return TREASURY_ERR_UNKNOWN_SIGNER;
	}
	if (cmd->in.vote.signature_len < SIG_DER_MIN_BYTES ||
	    cmd->in.vote.signature_len > SIG_DER_MAX_BYTES) {
		cmd_detail(cmd, "signature: %zu bytes",
		    cmd->in.vote.signature_len);
		return TREASURY_ERR_SIG_ENCODING;
	}
	return TREASURY_OK;
}

/* The vetoes recorded on the proposal; *mine when the signer's is one. */
static treasury_err
vetoes_read(struct store *s, const uint8_t id[PROPOSAL_ID_BYTES],
    const char *signer, unsigned *count, bool *mine)
{
	struct db_stmt *st = s->stmt[STMT_VETOES_LIST];
	char name[SIGNER_NAME_MAX_BYTES + 1];
	treasury_err err = TREASURY_OK;
	int rc;

	*count = 0;
	*mine = false;
	db_bind_blob(st, 1, id, PROPOSAL_ID_BYTES, DB_STATIC);
	while (err == TREASURY_OK && (rc = db_step(st)) == DB_ROW) {
		err = col_text(st, 0, 1, SIGNER_NAME_MAX_BYTES, name);
		if (err == TREASURY_OK && strcmp(name, signer) == 0)
			*mine = true;
		(*count)++;
	}
	if (err == TREASURY_OK && rc != DB_DONE)
		err = store_err_from_rc(rc);
	store_stmt_done(st);
	return err;
}

/* A signed act on a proposal, journalled as type with the signer as its
 * actor: {proposal, signer, treasury} and, for a veto, the counts. */
static treasury_err
signed_act_journal(struct store *s, const struct proposal_record *rec,
    const struct command *cmd, const char *signer, const char *type)
{
	struct journal_payload p;
	bool veto = cmd->type == CMD_VETO;

	journal_payload_begin(&p);
	journal_payload_hex(&p, "proposal", rec->id, PROPOSAL_ID_BYTES);
	journal_payload_str(&p, "signer", signer);
	journal_payload_str(&p, "treasury", rec->treasury);
	if (veto) {
		journal_payload_int(&p, "veto_threshold",
		    (int64_t)cmd->out.veto.veto_threshold);
		journal_payload_int(&p, "vetoes", (int64_t)cmd->out.veto.vetoes);
	}
	return journal_cmd(s, cmd, signer, rec->treasury, type, &p);
}

/* Record the veto (cmd->out.veto.vetoes counts it) and journal it. */
static treasury_err
veto_insert(struct store *s, const struct proposal_record *rec,
    struct command *cmd)
{
	struct db_stmt *st = s->stmt[STMT_VETO_INSERT];
	treasury_err err;

	db_bind_blob(st, 1, rec->id, PROPOSAL_ID_BYTES, DB_STATIC);
	bind_str(st, 2, cmd->in.vote.signer);
	db_bind_blob(st, 3, cmd->in.vote.signature,
	    (int)cmd->in.vote.signature_len, DB_STATIC);
	db_bind_int64(st, 4, cmd->now_s);
	err = store_stmt_run(s, STMT_VETO_INSERT);
	if (err != TREASURY_OK)
		return err;
	cmd->out.veto.vetoes++;
	return signed_act_journal(s, rec, cmd, cmd->in.vote.signer,
	    "veto.recorded");
}

static treasury_err
veto_apply(struct store *s, struct proposal_record *rec, struct command *cmd,
    bool *keep)
{
	struct lifecycle_act act = { .action = ACTION_VETO };
	struct proposal_rules *r = NULL;
	struct policy_tally t;
	bool mine;
	treasury_err err;

	err = head_fetch(s, rec, cmd);
	if (err == TREASURY_OK)
		err = proposal_rules_load(s, rec->id, &r);
	if (err == TREASURY_OK)
		err = signer_key_check(s, rec, cmd);
	if (err == TREASURY_OK)
		err = vetoes_read(s, rec->id, cmd->in.vote.signer,
		    &cmd->out.veto.vetoes, &mine);
	if (err != TREASURY_OK)
		goto done;
	cmd->out.veto.veto_threshold = policy_veto_threshold(&r->policy,
	    rec->signer_count);
	if (mine) {			/* the first signature is kept */
		cmd->replayed = true;
		cmd->out.veto.status = proposal_status_at(rec->status,
		    rec->expires_s, cmd->now_s);
		goto done;
	}
	act.policy = &r->policy;
	act.track = r->pp.track;
	err = proposal_gate(s, rec, &act, cmd, keep);
	if (err == TREASURY_OK)
		err = veto_insert(s, rec, cmd);
	if (err == TREASURY_OK)
		err = proposal_tally_apply(s, rec, r, cmd, &t);
	if (err == TREASURY_OK)
		cmd->out.veto.vetoes = t.vetoes;
done:
	free(r);
	return err;
}

enum apply_outcome
apply_veto(struct store *s, struct command *cmd)
{
	return proposal_cmd_apply(s, cmd, veto_apply);
}

/* The signer's vote: *decision 0 when none, *revoked for a revoked
 * approval. */
static treasury_err
vote_state(struct store *s, const struct proposal_record *rec,
    const char *signer, int64_t *decision, int64_t *revoked)
{
	struct db_stmt *st = s->stmt[STMT_VOTE_GET];
	treasury_err err;
	int rc;

	*decision = 0;
	*revoked = 0;
	db_bind_blob(st, 1, rec->id, PROPOSAL_ID_BYTES, DB_STATIC);
	bind_str(st, 2, signer);
	rc = db_step(st);
	if (rc == DB_ROW) {
		err = col_int(st, 0, VOTE_APPROVE, VOTE_REJECT, decision);
		if (err == TREASURY_OK)
			err = col_int(st, 1, 0, 1, revoked);
	} else
		err = store_err_from_rc(rc);
	store_stmt_done(st);
	return err;
}

/* Withdraw the approval; what the recount makes of the proposal is
 * proposal_tally_apply's (below the base, approved returns to pending). */
static treasury_err
revoke_write(struct store *s, const struct proposal_record *rec,
    struct command *cmd)
{
	struct db_stmt *st = s->stmt[STMT_VOTE_REVOKE];
	struct proposal_rules *r;
	struct policy_tally t;
	treasury_err err;

	db_bind_blob(st, 1, rec->id, PROPOSAL_ID_BYTES, DB_STATIC);
	bind_str(st, 2, cmd->in.vote.signer);
	db_bind_int64(st, 3, cmd->now_s);
	db_bind_blob(st, 4, cmd->in.vote.signature,
	    (int)cmd->in.vote.signature_len, DB_STATIC);
	err = store_stmt_run(s, STMT_VOTE_REVOKE);
	if (err == TREASURY_OK && db_changes(s->db) != 1)
		err = TREASURY_ERR_INTERNAL;
	if (err == TREASURY_OK)
		err = signed_act_journal(s, rec, cmd, cmd->in.vote.signer,
		    "vote.revoked");
	if (err != TREASURY_OK)
		return err;
	err = proposal_rules_load(s, rec->id, &r);
	if (err != TREASURY_OK)
		return err;
	err = proposal_tally_apply(s, rec, r, cmd, &t);
	free(r);
	cmd->out.revoke.approvals = t.approvals;
	cmd->out.revoke.rejections = t.rejections;
	return err;
}

static treasury_err
revoke_apply(struct store *s, struct proposal_record *rec,
    struct command *cmd, bool *keep)
{
	static const struct lifecycle_act act = { .action = ACTION_REVOKE };
	int64_t decision = 0, revoked = 0;
	struct policy_tally t;
	treasury_err err;

	err = head_fetch(s, rec, cmd);
	if (err == TREASURY_OK)
		err = signer_key_check(s, rec, cmd);
	if (err == TREASURY_OK)
		err = vote_state(s, rec, cmd->in.vote.signer, &decision,
		    &revoked);
	if (err != TREASURY_OK)
		return err;
	if (decision == VOTE_APPROVE && revoked) {	/* a repeat */
		cmd->replayed = true;
		cmd->out.revoke.status = proposal_status_at(rec->status,
		    rec->expires_s, cmd->now_s);
		err = proposal_tally_read(s, rec->id, &t);
		cmd->out.revoke.approvals = t.approvals;
		cmd->out.revoke.rejections = t.rejections;
		return err;
	}
	err = proposal_gate(s, rec, &act, cmd, keep);
	if (err != TREASURY_OK)
		return err;
	if (decision != VOTE_APPROVE) {
		cmd_detail(cmd, "signer '%s' has %s", cmd->in.vote.signer,
		    decision == 0 ? "not voted" : "rejected, not approved");
		return TREASURY_ERR_NO_APPROVAL;
	}
	return revoke_write(s, rec, cmd);
}

enum apply_outcome
apply_revoke(struct store *s, struct command *cmd)
{
	return proposal_cmd_apply(s, cmd, revoke_apply);
}

/*
 * CMD_KEY_PROOF: the new key of an add-signer or replace-signer signed
 * H_"treasuryd/possession/v1"(id) (verified by the api against the key in
 * the proposal's text). Not an approval: it never counts toward a
 * threshold. Stored once; a repeat is a replay.
 */
static treasury_err
key_proof_apply(struct store *s, struct proposal_record *rec,
    struct command *cmd, bool *keep)
{
	static const struct lifecycle_act act = { .action = ACTION_KEY_PROOF };
	struct db_stmt *st = s->stmt[STMT_KEY_PROOF_INSERT];
	struct proposal_policy pp;
	treasury_err err;

	err = head_fetch(s, rec, cmd);
	if (err == TREASURY_OK)
		err = proposal_policy_get(s, rec->id, &pp);
	if (err != TREASURY_OK)
		return err;
	if (pp.kind != KIND_ADD_SIGNER && pp.kind != KIND_REPLACE_SIGNER) {
		cmd_detail(cmd, "kind: only add-signer and replace-signer"
		    " proposals carry a new key");
		return TREASURY_ERR_KIND;
	}
	cmd->out.key_proof.status = proposal_status_at(rec->status,
	    rec->expires_s, cmd->now_s);
	if (pp.key_proof) {
		cmd->replayed = true;
		return TREASURY_OK;
	}
	err = proposal_gate(s, rec, &act, cmd, keep);
	if (err != TREASURY_OK)
		return err;
	if (cmd->in.vote.signature_len < SIG_DER_MIN_BYTES ||
	    cmd->in.vote.signature_len > SIG_DER_MAX_BYTES) {
		cmd_detail(cmd, "signature: %zu bytes",
		    cmd->in.vote.signature_len);
		return TREASURY_ERR_SIG_ENCODING;
	}
	db_bind_blob(st, 1, rec->id, PROPOSAL_ID_BYTES, DB_STATIC);
	db_bind_blob(st, 2, cmd->in.vote.signature,
	    (int)cmd->in.vote.signature_len, DB_STATIC);
	db_bind_int64(st, 3, cmd->now_s);
	err = store_stmt_run(s, STMT_KEY_PROOF_INSERT);
	if (err == TREASURY_OK)
		err = signed_act_journal(s, rec, cmd, cmd->in.vote.signer,
		    "key.proved");
	return err;
}

enum apply_outcome
apply_key_proof(struct store *s, struct command *cmd)
{
	return proposal_cmd_apply(s, cmd, key_proof_apply);
}
