/*
 * vetoes.c: the signed acts of the policies other than votes
 * (docs/policies.md §1, §5, §6, §8 and §12.3):
 *
 *   POST /v1/proposals/{id}/vetoes       (signer) {"signer","signature"}
 *   POST /v1/proposals/{id}/revocations  (signer) {"signer","signature"}
 *   POST /v1/proposals/{id}/key-proof    (signer) {"signature"}, by the
 *                                        proposal's new key
 *   POST /v1/treasuries/{t}/freeze       (signer)
 *                                        {"signer","freeze","signature"}
 *
 * As for votes (votes.c), the signature is verified here, in the request
 * thread, with the signer's key at the proposal's config version, over
 * H_"treasuryd/veto/v1"(id) or H_"treasuryd/revoke/v1"(id); the writer
 * re-checks the key and the cheap state. The signature is the authority:
 * any token with the signer role may submit it.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "treasury/clock.h"
#include "treasury/hash.h"
#include "treasury/hex.h"
#include "treasury/policy.h"

#include "internal.h"

static bool
act_from_body(struct reply *rp, json_t *body, struct command *cmd)
{
	static const char *const fields[] = { "signer", "signature", NULL };
	const char *signer, *sig;
	size_t len, sig_len;

	if (!fields_only(rp, body, "", fields) ||
	    !field_string(rp, body, "", "signer", true, &signer, &len) ||
	    !field_check(rp, signer_name_check, "", "signer", signer, len) ||
	    !field_string(rp, body, "", "signature", true, &sig, &sig_len))
		return false;
	if (hex_decode_var(cmd->in.vote.signature, SIG_DER_MAX_BYTES,
	    &cmd->in.vote.signature_len, sig, sig_len) != TREASURY_OK) {
		reply_err(rp, TREASURY_ERR_SIG_ENCODING, "field 'signature' "
		    "must be hex of a 64-byte compact or 8..72-byte DER "
		    "signature");
		return false;
	}
	text_copy(cmd->in.vote.signer, sizeof(cmd->in.vote.signer), signer,
	    len);
	return true;
}

/* Verify the act's signature with the signer's key at the proposal's
 * config version; the key goes into cmd for the writer to re-check. */
static bool
act_verify(struct request *rq, struct reply *rp, struct command *cmd,
    const uint8_t digest[DIGEST_BYTES], struct vote_context *vc)
{
	struct signer_point point;
	treasury_err err;

	if (!vote_key_find(rq, rp, cmd, vc, &point))
		return false;
	err = vote_key_verify(rq, cmd, vc, &point, digest);
	if (err == TREASURY_OK)
		return true;
	reply_err(rp, err, "field 'signature': %s (signer '%s', %s key)",
	    treasury_err_text(err), cmd->in.vote.signer,
	    key_type_name(vc->key.type));
	return false;
}

/* Parse, verify and run a veto or a revocation; true once committed. */
static bool
act_run(struct request *rq, struct reply *rp, struct command *cmd,
    void (*digest_fn)(uint8_t *, const uint8_t *), command_answer_fn answer)
{
	uint8_t digest[DIGEST_BYTES];
	struct vote_context vc;
	json_t *body;
	bool ok;

	if (!param_proposal(rq, rp, 0, cmd->in.vote.proposal))
		return false;
	body = body_parse(rq, rp, false);
	if (body == NULL)
		return false;
	cmd->now_s = clock_now_s();
	digest_fn(digest, cmd->in.vote.proposal);
	ok = act_from_body(rp, body, cmd) &&
	    act_verify(rq, rp, cmd, digest, &vc) &&
	    command_submit_wait(rq, rp, cmd, answer);
	json_decref(body);
	return ok;
}

static void
veto_digest(uint8_t *digest, const uint8_t *id)
{
	veto_digest_compute(digest, id);
}

static void
revoke_digest(uint8_t *digest, const uint8_t *id)
{
	revoke_digest_compute(digest, id);
}

static void
veto_answer(struct request *rq, struct reply *rp, const struct command *cmd)
{
	(void)rq;
	reply_built(rp, 200, json_pack("{s:o, s:s, s:i, s:i, s:b}",
	    "id", json_hex(cmd->in.vote.proposal, PROPOSAL_ID_BYTES),
	    "status", proposal_status_name(cmd->out.veto.status),
	    "vetoes", (int)cmd->out.veto.vetoes,
	    "veto_threshold", (int)cmd->out.veto.veto_threshold,
	    "replayed", cmd->replayed));
}

void
handle_veto(struct request *rq, struct reply *rp)
{
	struct command *cmd = calloc(1, sizeof(*cmd));

	if (cmd == NULL) {
		reply_err(rp, TREASURY_ERR_NOMEM, "out of memory");
		return;
	}
	cmd->type = CMD_VETO;
	(void)act_run(rq, rp, cmd, veto_digest, veto_answer);
	free(cmd);
}

static void
revoke_answer(struct request *rq, struct reply *rp, const struct command *cmd)
{
	(void)rq;
	reply_built(rp, 200, json_pack("{s:o, s:s, s:i, s:b}",
	    "id", json_hex(cmd->in.vote.proposal, PROPOSAL_ID_BYTES),
	    "status", proposal_status_name(cmd->out.revoke.status),
	    "approvals", (int)cmd->out.revoke.approvals,
	    "replayed", cmd->replayed));
}

void
handle_revoke(struct request *rq, struct reply *rp)
{
	struct command *cmd = calloc(1, sizeof(*cmd));

	if (cmd == NULL) {
		reply_err(rp, TREASURY_ERR_NOMEM, "out of memory");
		return;
	}
	cmd->type = CMD_REVOKE;
	(void)act_run(rq, rp, cmd, revoke_digest, revoke_answer);
	free(cmd);
}

/* {"signer","freeze","signature"} of POST /v1/treasuries/{t}/freeze. */
static bool
freeze_from_body(struct reply *rp, json_t *body, struct command *cmd)
{
	static const char *const fields[] = { "signer", "freeze", "signature",
	    NULL };
	const char *signer, *sig;
	size_t len, sig_len;
	json_t *seq;

	if (!fields_only(rp, body, "", fields) ||
	    !field_string(rp, body, "", "signer", true, &signer, &len) ||
	    !field_check(rp, signer_name_check, "", "signer", signer, len) ||
	    !field_string(rp, body, "", "signature", true, &sig, &sig_len))
		return false;
	seq = json_object_get(body, "freeze");
	if (seq == NULL || !json_is_integer(seq) ||
	    json_integer_value(seq) < 1) {
		reply_err_titled(rp, seq == NULL ? TREASURY_ERR_MISSING_FIELD :
		    TREASURY_ERR_FIELD_TYPE, "Invalid freeze", "field 'freeze' "
		    "must be the freeze number, an integer >= 1 (GET "
		    ".../policy shows next_freeze)");
		return false;
	}
	cmd->in.freeze.seq = (uint64_t)json_integer_value(seq);
	if (hex_decode_var(cmd->in.freeze.signature, SIG_DER_MAX_BYTES,
	    &cmd->in.freeze.signature_len, sig, sig_len) != TREASURY_OK) {
		reply_err(rp, TREASURY_ERR_SIG_ENCODING, "field 'signature' "
		    "must be hex of a 64-byte compact or 8..72-byte DER "
		    "signature");
		return false;
	}
	text_copy(cmd->in.freeze.signer, sizeof(cmd->in.freeze.signer),
	    signer, len);
	return true;
}

/* Verify the freeze request's signature with the signer's key at the
 * treasury's current config version (docs/signing.md §9.3). */
static bool
freeze_verify(struct request *rq, struct reply *rp, struct command *cmd)
{
	struct freeze_request fr;
	uint8_t digest[DIGEST_BYTES];
	struct treasury *t = malloc(sizeof(*t));
	const struct signer *sg = NULL;
	treasury_err err;

	if (t == NULL) {
		reply_err(rp, TREASURY_ERR_NOMEM, "out of memory");
		return false;
	}
	err = store_treasury_get(rq->reader, cmd->in.freeze.treasury, t);
	if (err != TREASURY_OK) {
		reply_err(rp, err, "no treasury '%s'", cmd->in.freeze.treasury);
		goto fail;
	}
	for (unsigned i = 0; i < t->signer_count; i++)
		if (strcmp(t->signers[i].name, cmd->in.freeze.signer) == 0)
			sg = &t->signers[i];
	if (sg == NULL) {
		reply_err(rp, TREASURY_ERR_UNKNOWN_SIGNER, "field 'signer': "
		    "'%s' is not a signer of treasury '%s' at config version "
		    "%" PRIu64, cmd->in.freeze.signer, t->id, t->config_version);
		goto fail;
	}
	store_instance_id(rq->reader, fr.instance);
	fr.treasury = t->id;
	fr.config_version = t->config_version;
	fr.freeze_seq = cmd->in.freeze.seq;
	err = freeze_digest_compute(digest, &fr);
	if (err == TREASURY_OK)
		err = vote_signature_verify(rq->srv->opts.verifier, &sg->key,
		    digest, cmd->in.freeze.signature,
		    cmd->in.freeze.signature_len);
	metrics_sig_verify(err == TREASURY_OK);
	if (err != TREASURY_OK) {
		reply_err(rp, err, "field 'signature': %s (a freeze request for"
		    " treasury '%s', config %" PRIu64 ", freeze %" PRIu64 ")",
		    treasury_err_text(err), t->id, t->config_version,
		    cmd->in.freeze.seq);
		goto fail;
	}
	cmd->in.freeze.verified_key = sg->key;
	cmd->in.freeze.verified_config_version = t->config_version;
	free(t);
	return true;
fail:
	free(t);
	return false;
}

static void
freeze_answer(struct request *rq, struct reply *rp, const struct command *cmd)
{
	(void)rq;
	reply_built(rp, 200, json_pack("{s:b, s:I, s:b}", "frozen", 1,
	    "freeze", (json_int_t)cmd->in.freeze.seq, "replayed",
	    cmd->replayed));
}

static void
key_proof_answer(struct request *rq, struct reply *rp,
    const struct command *cmd)
{
	(void)rq;
	reply_built(rp, 200, json_pack("{s:o, s:b, s:b}", "id",
	    json_hex(cmd->in.vote.proposal, PROPOSAL_ID_BYTES),
	    "key_proof", 1, "replayed", cmd->replayed));
}

void
handle_freeze(struct request *rq, struct reply *rp)
{
	struct command *cmd;
	json_t *body;

	if (!param_treasury(rq, rp, 0))
		return;
	body = body_parse(rq, rp, false);
	if (body == NULL)
		return;
	cmd = calloc(1, sizeof(*cmd));
	if (cmd == NULL) {
		reply_err(rp, TREASURY_ERR_NOMEM, "out of memory");
		goto done;
	}
	cmd->type = CMD_FREEZE;
	cmd->now_s = clock_now_s();
	text_copy(cmd->in.freeze.treasury, sizeof(cmd->in.freeze.treasury),
	    rq->params[0], strlen(rq->params[0]));
	if (freeze_from_body(rp, body, cmd) && freeze_verify(rq, rp, cmd))
		(void)command_submit_wait(rq, rp, cmd, freeze_answer);
done:
	free(cmd);
	json_decref(body);
}

/* The new key and signer name of add-signer or replace-signer proposal
 * id, from its canonical text as stored (the text is the proposal). */
static bool
new_key_load(struct request *rq, struct reply *rp,
    const uint8_t id[PROPOSAL_ID_BYTES], struct signer_key *key,
    char signer[SIGNER_NAME_MAX_BYTES + 1])
{
	struct proposal_record *rec = malloc(sizeof(*rec));
	struct proposal_fields *f = malloc(sizeof(*f));
	bool ok = false;

	if (rec == NULL || f == NULL) {
		reply_err(rp, TREASURY_ERR_NOMEM, "out of memory");
		goto done;
	}
	if (!proposal_load(rq, rp, id, clock_now_s(), rec))
		goto done;
	if (proposal_decode(rq->srv->opts.verifier, rec->canonical,
	    rec->canonical_len, f) != TREASURY_OK)
		reply_err(rp, TREASURY_ERR_DB_CORRUPT, "the stored proposal"
		    " text does not decode");
	else if (f->kind != KIND_ADD_SIGNER && f->kind != KIND_REPLACE_SIGNER)
		reply_err(rp, TREASURY_ERR_KIND, "a %s proposal has no new key:"
		    " key proofs are for add-signer and replace-signer",
		    proposal_kind_name(f->kind));
	else {
		*key = f->key;
		/* the new signer: the journal's key.proved names it */
		memcpy(signer, f->signer, SIGNER_NAME_MAX_BYTES + 1);
		ok = true;
	}
	proposal_record_free(rec);
done:
	free(f);
	free(rec);
	return ok;
}

void
handle_key_proof(struct request *rq, struct reply *rp)
{
	static const char *const fields[] = { "signature", NULL };
	uint8_t digest[DIGEST_BYTES];
	struct command *cmd = NULL;
	const char *sig;
	size_t sig_len;
	treasury_err err;
	json_t *body;

	body = NULL;
	cmd = calloc(1, sizeof(*cmd));
	if (cmd == NULL) {
		reply_err(rp, TREASURY_ERR_NOMEM, "out of memory");
		return;
	}
	cmd->type = CMD_KEY_PROOF;
	if (!param_proposal(rq, rp, 0, cmd->in.vote.proposal))
		goto done;
	body = body_parse(rq, rp, false);
	if (body == NULL || !fields_only(rp, body, "", fields) ||
	    !field_string(rp, body, "", "signature", true, &sig, &sig_len))
		goto done;
	if (hex_decode_var(cmd->in.vote.signature, SIG_DER_MAX_BYTES,
	    &cmd->in.vote.signature_len, sig, sig_len) != TREASURY_OK) {
		reply_err(rp, TREASURY_ERR_SIG_ENCODING, "field 'signature' "
		    "must be hex of a 64-byte compact or 8..72-byte DER "
		    "signature");
		goto done;
	}
	if (!new_key_load(rq, rp, cmd->in.vote.proposal,
	    &cmd->in.vote.verified_key, cmd->in.vote.signer))
		goto done;
	possession_digest_compute(digest, cmd->in.vote.proposal);
	err = vote_signature_verify(rq->srv->opts.verifier,
	    &cmd->in.vote.verified_key, digest, cmd->in.vote.signature,
	    cmd->in.vote.signature_len);
	metrics_sig_verify(err == TREASURY_OK);
	if (err != TREASURY_OK) {
		reply_err(rp, err, "field 'signature': %s (the possession proof"
		    " must be signed by the proposal's new %s key)",
		    treasury_err_text(err),
		    key_type_name(cmd->in.vote.verified_key.type));
		goto done;
	}
	cmd->now_s = clock_now_s();
	(void)command_submit_wait(rq, rp, cmd, key_proof_answer);
done:
	free(cmd);
	json_decref(body);
}
