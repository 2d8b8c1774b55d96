/*
 * votes.c: what is done to a proposal.
 *
 *   POST /v1/proposals/{id}/votes       (signer) verify, then record
 *   POST /v1/proposals/{id}/cancel      (signer) only the proposing token
 *   POST /v1/proposals/{id}/execute     (treasurer)
 *   POST /v1/proposals/{id}/settlement  (treasurer) external tx reference
 *
 * A vote's signature is verified here, in the request thread (GUIDE §4),
 * against the signer's key at the proposal's config version; the writer
 * then only re-checks that this key is still that signer's key and the
 * cheap state. Each answers 200 with the proposal as GET shows it.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "treasury/canonical.h"
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
		reply_problem(rp, 400, "invalid-field", "Invalid field",
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

/* The signer's key at the proposal's config version into cmd. */
static bool
vote_key_find(struct request *rq, struct reply *rp,
    const struct proposal_record *rec, struct command *cmd)
{
	struct treasury *t = malloc(sizeof(*t));
	treasury_err err;
	bool found = false;

	if (t == NULL) {
		reply_err(rp, TREASURY_ERR_NOMEM, "out of memory");
		return false;
	}
	err = store_treasury_at_version(rq->reader, rec->treasury,
	    rec->config_version, t);
	for (unsigned i = 0; err == TREASURY_OK && i < t->signer_count; i++) {
		if (strcmp(t->signers[i].name, cmd->in.vote.signer) != 0)
			continue;
		cmd->in.vote.verified_key = t->signers[i].key;
		found = true;
	}
	free(t);
	if (err != TREASURY_OK)
		reply_err(rp, err == TREASURY_ERR_UNKNOWN_TREASURY ?
		    TREASURY_ERR_DB_CORRUPT : err, "treasury '%s' at config "
		    "version %" PRIu64, rec->treasury, rec->config_version);
	else if (!found)
		reply_err(rp, TREASURY_ERR_UNKNOWN_SIGNER, "field 'signer': "
		    "'%s' is not a signer of treasury '%s' at config version "
		    "%" PRIu64, cmd->in.vote.signer, rec->treasury,
		    rec->config_version);
	cmd->in.vote.verified_config_version = rec->config_version;
	return found;
}

/* Verify the vote signature over the vote digest (the costly part). */
static bool
vote_verify(struct request *rq, struct reply *rp,
    const struct proposal_record *rec, struct command *cmd)
{
	uint8_t digest[DIGEST_BYTES];
	treasury_err err;

	if (!vote_key_find(rq, rp, rec, cmd))
		return false;
	vote_digest_compute(digest, rec->id, cmd->in.vote.decision);
	err = vote_signature_verify(rq->srv->opts.verifier,
	    &cmd->in.vote.verified_key, digest, cmd->in.vote.signature,
	    cmd->in.vote.signature_len);
	if (err == TREASURY_OK)
		return true;
	reply_err(rp, err, "field 'signature': %s (signer '%s', %s key, "
	    "%s)", treasury_err_text(err), cmd->in.vote.signer,
	    key_type_name(cmd->in.vote.verified_key.type),
	    cmd->in.vote.decision == VOTE_APPROVE ? "approve" : "reject");
	return false;
}

void
handle_vote(struct request *rq, struct reply *rp)
{
	struct command cmd;
	struct proposal_record *rec = NULL;
	json_t *body = NULL;
	bool loaded = false;

	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CMD_VOTE;
	if (!param_proposal(rq, rp, 0, cmd.in.vote.proposal))
		return;
	body = body_parse(rq, rp, false);
	if (body == NULL || !vote_from_body(rp, body, &cmd))
		goto done;
	rec = malloc(sizeof(*rec));
	if (rec == NULL) {
		reply_err(rp, TREASURY_ERR_NOMEM, "out of memory");
		goto done;
	}
	cmd.now_s = api_now_s();
	loaded = proposal_load(rq, rp, cmd.in.vote.proposal, cmd.now_s, rec);
	if (loaded && vote_verify(rq, rp, rec, &cmd) &&
	    command_run(rq, rp, &cmd))
		proposal_answer(rq, rp, cmd.in.vote.proposal, 200);
done:
	if (loaded)
		proposal_record_free(rec);
	free(rec);
	json_decref(body);
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
	if (fields_only(rp, body, "", fields) && command_run(rq, rp, cmd))
		proposal_answer(rq, rp, proposal, 200);
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
		if (command_run(rq, rp, &cmd))
			proposal_answer(rq, rp, cmd.in.settlement.proposal, 200);
	}
	json_decref(body);
}
