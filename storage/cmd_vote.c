/*
 * cmd_vote.c: CMD_VOTE and CMD_CANCEL in the writer, and the gate every
 * command on a proposal passes (proposal_gate: lifecycle_gate asked with
 * what is stored, its answer stored and told).
 *
 * The api verified the vote's signature in its own thread against the
 * signer's key at the proposal's config version; the writer only checks
 * that this key is still the one stored for that signer and version, that
 * the signer has not voted yet, and that the gate lets the vote in. Each
 * check is a point read: the proposal's head (with M and N of its config
 * version), its policy row, the signer's row by (treasury, version,
 * name), the proposal's votes; never every signer. A signer counts once:
 * the same vote again is an idempotent replay (the first signature is
 * kept), the contrary vote a conflict. What the tally then makes of the
 * proposal is lifecycle_tally_step's (proposal_tally_apply).
 *
 * The reads of an accepted vote, all prepared statements (s->stmt[]):
 * the head, the signer's prior vote, the policy row, the treasury's
 * current version, the signer's row; after the insert (and its journal
 * entry) one scan of the proposal's votes in signer order gives both the
 * tally and, while the proposal stays pending, who voted: the names of
 * proposal.awaiting are the version's signers (one scan of their primary
 * key) less those, merged in C (proposal_awaiting_journal), not a probe
 * of the votes per signer.
 */
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"

static treasury_err
proposal_fetch_cmd(struct store *s, const uint8_t id[PROPOSAL_ID_BYTES],
    struct proposal_record *rec, struct command *cmd)
{
	treasury_err err;

	err = proposal_head_fetch(s, id, rec);
	if (err == TREASURY_ERR_UNKNOWN_PROPOSAL)
		cmd_detail(cmd, "proposal is not known");
	return err;
}

static treasury_err
treasury_current_version(struct store *s, const char *id, uint64_t *version)
{
	struct db_stmt *st = s->stmt[STMT_TREASURY_GET];
	int64_t v = 0;
	treasury_err err;
	int rc;

	bind_str(st, 1, id);
	rc = db_step(st);
	if (rc == DB_ROW)
		err = col_int(st, TREASURY_COL_VERSION, 1, INT64_MAX, &v);
	else if (rc == DB_DONE)
		err = TREASURY_ERR_DB_CORRUPT;	/* a proposal's treasury */
	else
		err = store_err_from_rc(rc);
	store_stmt_done(st);
	*version = (uint64_t)v;
	return err;
}

/* The detail of a gate's refusal. */
static void
gate_detail(const struct proposal_record *rec, const struct lifecycle_act *act,
    const struct lifecycle_verdict *v, uint64_t current, struct command *cmd)
{
	switch (v->reason) {
	case REASON_NONE:
		break;
	case REASON_EXECUTED:
		cmd_detail(cmd, "proposal was executed");
		break;
	case REASON_EXPIRED:
		cmd_detail(cmd, "proposal expired");
		break;
	case REASON_STALE:
		cmd_detail(cmd, "proposal was made for config version %llu,"
		    " which is no longer current",
		    (unsigned long long)rec->config_version);
		break;
	case REASON_VERSION:
		cmd_detail(cmd, "proposal was made for config version %llu, the"
		    " treasury is at %llu", (unsigned long long)rec->config_version,
		    (unsigned long long)current);
		break;
	case REASON_STATUS:
		cmd_detail(cmd, "proposal is %s", proposal_status_name(v->status));
		break;
	case REASON_NO_DELAY:
		cmd_detail(cmd, "the %s track of this proposal has no delay, so"
		    " there is no veto window", act->track == TRACK_CONFIG ?
		    "config" : "spend");
		break;
	}
}

treasury_err
proposal_gate(struct store *s, struct proposal_record *rec,
    const struct lifecycle_act *act, struct command *cmd, bool *keep)
{
	struct lifecycle_proposal p = {
		.stored = rec->status,
		.expires_s = rec->expires_s,
		.config_version = rec->config_version,
	};
	struct lifecycle_verdict v;
	uint64_t current;
	treasury_err err, verdict;

	err = treasury_current_version(s, rec->treasury, &current);
	if (err != TREASURY_OK)
		return err;
	verdict = lifecycle_gate(act, &p, current, cmd->now_s, &v);
	*cmd_status(cmd) = v.status;
	if (v.store) {
		err = proposal_status_set(s, cmd, rec->id, v.status);
		if (err != TREASURY_OK)
			return err;
		rec->status = v.status;
		*keep = true;
	}
	gate_detail(rec, act, &v, current, cmd);
	return verdict;
}

enum apply_outcome
proposal_cmd_apply(struct store *s, struct command *cmd,
    proposal_apply_fn apply)
{
	struct proposal_record rec;
	enum apply_outcome outcome;
	bool keep = false;
	treasury_err err;

	memset(&rec, 0, sizeof(rec));
	err = apply(s, &rec, cmd, &keep);
	proposal_record_free(&rec);
	outcome = cmd_finish(s, cmd, err);
	return keep ? APPLY_KEEP : outcome;
}

/* The approvals and rejections of rec, for the answer. */
static treasury_err
tally_report(struct store *s, const struct proposal_record *rec,
    struct command *cmd)
{
	struct policy_tally t;
	treasury_err err;

	err = proposal_tally_read(s, rec->id, &t);
	cmd->out.vote.approvals = t.approvals;
	cmd->out.vote.rejections = t.rejections;
	return err;
}

/* *found when this signer already voted; a replay or a conflict. */
static treasury_err
vote_prior(struct store *s, const struct proposal_record *rec,
    struct command *cmd, bool *found)
{
	struct db_stmt *st = s->stmt[STMT_VOTE_GET];
	int64_t decision = 0, revoked = 0;
	treasury_err err;
	int rc;

	*found = false;
	db_bind_blob(st, 1, rec->id, PROPOSAL_ID_BYTES, DB_STATIC);
	bind_str(st, 2, cmd->in.vote.signer);
	rc = db_step(st);
	if (rc == DB_ROW) {
		err = col_int(st, 0, VOTE_APPROVE, VOTE_REJECT, &decision);
		if (err == TREASURY_OK)
			err = col_int(st, 1, 0, 1, &revoked);
	} else
		err = store_err_from_rc(rc);
	store_stmt_done(st);
	if (err != TREASURY_OK || rc != DB_ROW)
		return err;
	*found = true;
	if (revoked) {
		/* final: else the earlier approve signature, which the API
		 * shows, could be submitted again (docs/policies.md §8) */
		cmd_detail(cmd, "signer '%s' revoked its approval",
		    cmd->in.vote.signer);
		return TREASURY_ERR_APPROVAL_REVOKED;
	}
	if ((enum vote_decision)decision != cmd->in.vote.decision) {
		cmd_detail(cmd, "signer '%s' already voted to %s",
		    cmd->in.vote.signer,
		    decision == VOTE_APPROVE ? "approve" : "reject");
		return TREASURY_ERR_VOTE_CONFLICT;
	}
	cmd->replayed = true;
	cmd->out.vote.status = proposal_status_at(rec->status, rec->expires_s,
	    cmd->now_s);
	return tally_report(s, rec, cmd);
}

static int
signer_key_equal(const struct signer_key *a, const struct signer_key *b)
{
	return a->type == b->type && a->len == b->len &&
	    memcmp(a->bytes, b->bytes, a->len) == 0 &&
	    memcmp(a->x, b->x, sizeof(a->x)) == 0;
}

/* The verified key must be the signer's key at the proposal's version. */
static treasury_err
vote_signer_check(struct store *s, const struct proposal_record *rec,
    struct command *cmd)
{
	struct signer sg;
	treasury_err err;

	err = signer_fetch(s, rec->treasury, rec->config_version,
	    cmd->in.vote.signer, &sg);
	if (err == TREASURY_ERR_UNKNOWN_SIGNER) {
		cmd_detail(cmd, "signer: '%s' is not a signer of treasury '%s' at"
		    " config version %llu", cmd->in.vote.signer, rec->treasury,
		    (unsigned long long)rec->config_version);
		return err;
	}
	if (err != TREASURY_OK)
		return err;
	if (cmd->in.vote.verified_config_version != rec->config_version ||
	    !signer_key_equal(&sg.key, &cmd->in.vote.verified_key)) {
		cmd_detail(cmd, "signer: the signature was not verified with the"
		    " key of '%s' at config version %llu", cmd->in.vote.signer,
		    (unsigned long long)rec->config_version);
		return TREASURY_ERR_UNKNOWN_SIGNER;
	}
	return TREASURY_OK;
}

static treasury_err
vote_insert(struct store *s, const struct proposal_record *rec,
    struct command *cmd)
{
	struct db_stmt *st = s->stmt[STMT_VOTE_INSERT];
	struct journal_payload p;
	treasury_err err;

	if (cmd->in.vote.signature_len < SIG_DER_MIN_BYTES ||
	    cmd->in.vote.signature_len > SIG_DER_MAX_BYTES) {
		cmd_detail(cmd, "signature: %zu bytes", cmd->in.vote.signature_len);
		return TREASURY_ERR_SIG_ENCODING;
	}
	db_bind_blob(st, 1, rec->id, PROPOSAL_ID_BYTES, DB_STATIC);
	bind_str(st, 2, cmd->in.vote.signer);
	db_bind_int(st, 3, (int)cmd->in.vote.decision);
	db_bind_blob(st, 4, cmd->in.vote.signature,
	    (int)cmd->in.vote.signature_len, DB_STATIC);
	db_bind_int64(st, 5, cmd->now_s);
	err = store_stmt_run(s, STMT_VOTE_INSERT);
	if (err != TREASURY_OK)
		return err;
	journal_payload_begin(&p);
	journal_payload_str(&p, "decision",
	    cmd->in.vote.decision == VOTE_APPROVE ? "approve" : "reject");
	journal_payload_hex(&p, "proposal", rec->id, PROPOSAL_ID_BYTES);
	journal_payload_str(&p, "signer", cmd->in.vote.signer);
	journal_payload_str(&p, "treasury", rec->treasury);
	return journal_cmd(s, cmd, cmd->in.vote.signer, rec->treasury,
	    "proposal.voted", &p);
}

static treasury_err
vote_apply(struct store *s, struct proposal_record *rec, struct command *cmd,
    bool *keep)
{
	struct lifecycle_act act = { .action = ACTION_VOTE };
	struct proposal_rules *r = NULL;
	struct policy_tally t;
	bool found;
	treasury_err err;

	err = proposal_fetch_cmd(s, cmd->in.vote.proposal, rec, cmd);
	if (err != TREASURY_OK)
		return err;
	err = vote_prior(s, rec, cmd, &found);
	if (err != TREASURY_OK || found)
		return err;
	err = proposal_rules_load(s, rec->id, &r);
	if (err != TREASURY_OK)
		return err;
	act.policy = &r->policy;
	act.track = r->pp.track;
	act.decision = cmd->in.vote.decision;
	err = proposal_gate(s, rec, &act, cmd, keep);
	if (err == TREASURY_OK)
		err = vote_signer_check(s, rec, cmd);
	if (err == TREASURY_OK)
		err = vote_insert(s, rec, cmd);
	if (err == TREASURY_OK)
		err = proposal_tally_apply(s, rec, r, cmd, &t);
	if (err == TREASURY_OK) {
		cmd->out.vote.approvals = t.approvals;
		cmd->out.vote.rejections = t.rejections;
	}
	free(r);
	return err;
}

enum apply_outcome
apply_vote(struct store *s, struct command *cmd)
{
	return proposal_cmd_apply(s, cmd, vote_apply);
}

static treasury_err
cancel_apply(struct store *s, struct proposal_record *rec, struct command *cmd,
    bool *keep)
{
	static const struct lifecycle_act act = { .action = ACTION_CANCEL };
	treasury_err err;

	err = proposal_fetch_cmd(s, cmd->in.cancel.proposal, rec, cmd);
	if (err != TREASURY_OK)
		return err;
	if (rec->proposer_token_id != cmd->in.cancel.token_id) {
		cmd_detail(cmd, "only the token that made the proposal may"
		    " cancel it");
		return TREASURY_ERR_NOT_PROPOSER;
	}
	err = proposal_gate(s, rec, &act, cmd, keep);
	if (err != TREASURY_OK)
		return err;
	err = proposal_status_set(s, cmd, rec->id, lifecycle_status_after(
	    ACTION_CANCEL, rec->status));
	if (err == TREASURY_OK)
		cmd->out.cancel.status = lifecycle_status_after(ACTION_CANCEL,
		    rec->status);
	return err;
}

enum apply_outcome
apply_cancel(struct store *s, struct command *cmd)
{
	return proposal_cmd_apply(s, cmd, cancel_apply);
}
