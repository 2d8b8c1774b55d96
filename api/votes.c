/*
 * votes.c: what is done to a proposal.
 *
 *   POST /v1/proposals/{id}/votes       (signer) verify, then record
 *   POST /v1/proposals/{id}/cancel      (signer) only the proposing token
 *   POST /v1/proposals/{id}/execute     (treasurer)
 *   POST /v1/proposals/{id}/settlement  (treasurer) external tx reference
 *
 * A vote's signature is verified here, in the request thread (the costly
 * check never holds up the one writer thread),
 * against the signer's key at the proposal's config version, read with
 * the proposal's head in one snapshot by point reads; the writer then
 * only re-checks that this key is still that signer's key and the cheap
 * state. A vote does not hold its MHD thread while it waits for the group
 * commit (command_start) and answers 200 with the proposal's new status
 * and counts, which the writer computed in the vote's own transaction;
 * the others answer 200 with the proposal as GET shows it.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "treasury/canonical.h"
#include "treasury/clock.h"
#include "treasury/hash.h"
#include "treasury/hex.h"

#include "internal.h"

static bool
decision_field(struct reply *rp, json_t *body, enum vote_decision *out)
{
	const char *s;
	size_t len;

	if (!field_string(rp, body, "", "decision", true, &s, &len))
		return false;
	if (strcmp(s, "approve") == 0)
		*out = VOTE_APPROVE;
	else if (strcmp(s, "reject") == 0)
		*out = VOTE_REJECT;
	else {
		reply_err(rp, TREASURY_ERR_INVALID_FIELD,
		    "field 'decision' must be \"approve\" or \"reject\"");
		return false;
	}
	return true;
}

static bool
signature_field(struct reply *rp, json_t *body, struct command *cmd)
{
	const char *s;
	size_t len;

	if (!field_string(rp, body, "", "signature", true, &s, &len))
		return false;
	if (hex_decode_var(cmd->in.vote.signature, SIG_DER_MAX_BYTES,
	    &cmd->in.vote.signature_len, s, len) == TREASURY_OK)
		return true;
	reply_err(rp, TREASURY_ERR_SIG_ENCODING, "field 'signature' must be "
	    "hex of a 64-byte compact or 8..72-byte DER signature");
	return false;
}

static bool
vote_from_body(struct reply *rp, json_t *body, struct command *cmd)
{
	static const char *const fields[] = { "signer", "decision",
	    "signature", NULL };
	const char *signer;
	size_t len;

	if (!fields_only(rp, body, "", fields) ||
	    !field_string(rp, body, "", "signer", true, &signer, &len) ||
	    !field_check(rp, signer_name_check, "", "signer", signer, len) ||
	    !decision_field(rp, body, &cmd->in.vote.decision) ||
	    !signature_field(rp, body, cmd))
		return false;
	text_copy(cmd->in.vote.signer, sizeof(cmd->in.vote.signer), signer,
	    len);
	return true;
}

/* A vote on its way to the writer, with what was read to check it. */
struct vote_job {
	struct command cmd;
	struct vote_context ctx;
	struct signer_point point;	/* of ctx.key */
};

bool
vote_key_find(struct request *rq, struct reply *rp, struct command *cmd,
    struct vote_context *vc, struct signer_point *point)
{
	char hex[2 * PROPOSAL_ID_BYTES + 1];
	treasury_err err;

	if (cache_vote_context_get(cmd->in.vote.proposal, cmd->in.vote.signer,
	    vc, point))
		err = TREASURY_OK;	/* fixed facts, as read before */
	else if (!request_snapshot_begin(rq, rp))
		return false;
	else {
		err = store_vote_context(rq->reader, cmd->in.vote.proposal,
		    cmd->in.vote.signer, vc);
		memset(point, 0, sizeof(*point));
		if (err == TREASURY_OK && vc->signer_found &&
		    signer_point_make(rq->srv->opts.verifier, &vc->key,
		    point) == TREASURY_OK)
			cache_vote_context_put(cmd->in.vote.proposal,
			    cmd->in.vote.signer, vc, point);
	}
	if (err != TREASURY_OK) {
		hex_encode(hex, cmd->in.vote.proposal, PROPOSAL_ID_BYTES);
		reply_err(rp, err, "%s proposal %s",
		    err == TREASURY_ERR_UNKNOWN_PROPOSAL ? "no" : "reading", hex);
		return false;
	}
	if (!vc->signer_found) {
		reply_err(rp, TREASURY_ERR_UNKNOWN_SIGNER, "field 'signer': "
		    "'%s' is not a signer of treasury '%s' at config version "
		    "%" PRIu64, cmd->in.vote.signer, vc->treasury,
		    vc->config_version);
		return false;
	}
	cmd->in.vote.verified_key = vc->key;
	cmd->in.vote.verified_config_version = vc->config_version;
	return true;
}

treasury_err
vote_key_verify(const struct request *rq, const struct command *cmd,
    const struct vote_context *vc, const struct signer_point *point,
    const uint8_t digest[DIGEST_BYTES])
{
	const treasury_verifier *v = rq->srv->opts.verifier;
	treasury_err err;

	if (point->type != 0 && point->type == vc->key.type)
		err = vote_signature_verify_point(v, point, digest,
		    cmd->in.vote.signature, cmd->in.vote.signature_len);
	else	/* no point: the key's own answer, e.g. a bad stored key */
		err = vote_signature_verify(v, &vc->key, digest,
		    cmd->in.vote.signature, cmd->in.vote.signature_len);
	metrics_sig_verify(err == TREASURY_OK);
	return err;
}

/* Verify the vote signature over the vote digest (the costly part). */
static bool
vote_verify(struct request *rq, struct reply *rp, struct vote_job *job)
{
	struct command *cmd = &job->cmd;
	uint8_t digest[DIGEST_BYTES];
	treasury_err err;

	if (!vote_key_find(rq, rp, cmd, &job->ctx, &job->point))
		return false;
	vote_digest_compute(digest, cmd->in.vote.proposal,
	    cmd->in.vote.decision);
	err = vote_key_verify(rq, cmd, &job->ctx, &job->point, digest);
	if (err == TREASURY_OK)
		return true;
	reply_err(rp, err, "field 'signature': %s (signer '%s', %s key, "
	    "%s)", treasury_err_text(err), cmd->in.vote.signer,
	    key_type_name(cmd->in.vote.verified_key.type),
	    cmd->in.vote.decision == VOTE_APPROVE ? "approve" : "reject");
	return false;
}

/* {"id","treasury","config_version","status","threshold","signer_count",
 * "approval_count","rejection_count"} after the vote's commit. */
static void
vote_answer(struct request *rq, struct reply *rp)
{
	struct vote_job *job = rq->job;
	const struct command *cmd = &job->cmd;

	reply_built(rp, 200, json_pack("{s:o, s:s, s:I, s:s, s:i, s:i, s:i,"
	    " s:i}",
	    "id", json_hex(cmd->in.vote.proposal, PROPOSAL_ID_BYTES),
	    "treasury", job->ctx.treasury,
	    "config_version", (json_int_t)job->ctx.config_version,
	    "status", proposal_status_name(cmd->out.vote.status),
	    "threshold", (int)job->ctx.threshold,
	    "signer_count", (int)job->ctx.signer_count,
	    "approval_count", (int)cmd->out.vote.approvals,
	    "rejection_count", (int)cmd->out.vote.rejections));
}

void
handle_vote(struct request *rq, struct reply *rp)
{
	uint8_t id[PROPOSAL_ID_BYTES];
	struct vote_job *job = NULL;
	json_t *body;

	if (!param_proposal(rq, rp, 0, id))
		return;
	body = body_parse(rq, rp, false);
	if (body == NULL)
		return;
	job = calloc(1, sizeof(*job));
	if (job == NULL) {
		reply_err(rp, TREASURY_ERR_NOMEM, "out of memory");
		goto done;
	}
	job->cmd.type = CMD_VOTE;
	memcpy(job->cmd.in.vote.proposal, id, PROPOSAL_ID_BYTES);
	if (!vote_from_body(rp, body, &job->cmd))
		goto done;
	job->cmd.now_s = clock_now_s();
	if (vote_verify(rq, rp, job)) {
		command_start(rq, &job->cmd, job, vote_answer);
		job = NULL;	/* the request's now */
	}
done:
	free(job);
	json_decref(body);
}

/* 200 with the proposal rq->answer_arg names (its id's bytes). */
static void
proposal_acted_answer(struct request *rq, struct reply *rp,
    const struct command *cmd)
{
	(void)cmd;
	proposal_answer(rq, rp, rq->answer_arg, 200);
}

/* A POST whose body is empty or {}: run cmd, answer the proposal. */
static void
proposal_action(struct request *rq, struct reply *rp, struct command *cmd,
    uint8_t proposal[PROPOSAL_ID_BYTES])
{
	static const char *const fields[] = { NULL };
	json_t *body;

	if (!param_proposal(rq, rp, 0, proposal))
		return;
	body = body_parse(rq, rp, true);
	if (body == NULL)
		return;
	rq->answer_arg = proposal;
	if (fields_only(rp, body, "", fields))
		(void)command_submit_wait(rq, rp, cmd, proposal_acted_answer);
	json_decref(body);
}

void
handle_cancel(struct request *rq, struct reply *rp)
{
	struct command cmd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CMD_CANCEL;
	cmd.in.cancel.token_id = rq->token.id;
	proposal_action(rq, rp, &cmd, cmd.in.cancel.proposal);
}

void
handle_execute(struct request *rq, struct reply *rp)
{
	struct command cmd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CMD_EXECUTE;
	proposal_action(rq, rp, &cmd, cmd.in.execute.proposal);
}

void
handle_settlement(struct request *rq, struct reply *rp)
{
	static const char *const fields[] = { "reference", NULL };
	struct command cmd;
	const char *ref;
	size_t len;
	json_t *body;

	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CMD_SETTLEMENT;
	if (!param_proposal(rq, rp, 0, cmd.in.settlement.proposal))
		return;
	body = body_parse(rq, rp, false);
	if (body == NULL)
		return;
	if (fields_only(rp, body, "", fields) &&
	    field_string(rp, body, "", "reference", true, &ref, &len) &&
	    field_printable(rp, TREASURY_ERR_REFERENCE, "", "reference", ref,
	    len, SETTLEMENT_MAX_BYTES, false)) {
		text_copy(cmd.in.settlement.reference,
		    sizeof(cmd.in.settlement.reference), ref, len);
		rq->answer_arg = cmd.in.settlement.proposal;
		(void)command_submit_wait(rq, rp, &cmd,
		    proposal_acted_answer);
	}
	json_decref(body);
}
