/*
 * acts.c: the signed acts of the policies (docs/policies.md, §12.4) that
 * are not votes, clear-signed like approve and reject (vote.c):
 *
 *   veto ID        H_"treasuryd/veto/v1"(id), a signer of its version
 *   revoke ID      H_"treasuryd/revoke/v1"(id), withdraws an approval
 *   key-proof ID   H_"treasuryd/possession/v1"(id), by the NEW key of an
 *                  add-signer or replace-signer (its keystore)
 *   freeze T       H_"treasuryd/freeze/v1"(freeze request), one signer
 *
 * Each fetches and verifies what it acts on, shows it and what is signed,
 * asks (unless --yes), and only then unlocks the key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ctl.h"
#include "treasury/canonical.h"
#include "treasury/hash.h"
#include "treasury/hex.h"
#include "treasury/policy.h"

/* Confirm, sign and POST body + "signature" to path; print the answer. */
static int
act_finish(struct ctl *c, const struct keystore_info *pub,
    const uint8_t digest[DIGEST_BYTES], const char *question,
    const char *path, json_t *body)
{
	uint8_t sig[VOTE_SIGNATURE_BYTES];
	char hex[2 * VOTE_SIGNATURE_BYTES + 1];
	json_t *answer = NULL;
	int rc = CTL_OK;

	fflush(human_out());
	if (!c->o.yes)
		rc = confirm_ask(question);
	if (rc == CTL_OK)
		rc = keystore_digest_sign(c, pub, digest, sig);
	if (rc == CTL_OK) {
		hex_encode(hex, sig, sizeof(sig));
		if (json_object_set_new(body, "signature", json_string(hex)))
			rc = CTL_ERROR;
	}
	sodium_memzero(sig, sizeof(sig));
	if (rc == CTL_OK)
		rc = http_call(c, "POST", path, body, &answer);
	if (rc == CTL_OK) {
		char *text = json_dumps(answer, JSON_COMPACT | JSON_SORT_KEYS |
		    JSON_ENSURE_ASCII);

		if (c->o.json)
			json_print(answer);
		else
			say(stdout, "accepted; the server answered: %s\n",
			    text != NULL ? text : "?");
		free(text);
	}
	json_decref(answer);
	return rc;
}

/* The proposal id argument into id, the keystore's public part into pub
 * and the proposal, fetched and verified, into v (zeroed first, so that
 * verified_free is safe whatever is returned). Returns an exit code. */
static int
act_proposal_load(struct ctl *c, uint8_t id[PROPOSAL_ID_BYTES],
    struct keystore_info *pub, struct verified *v)
{
	int rc;

	memset(v, 0, sizeof(*v));
	rc = proposal_id_arg(c, c->o.argv[0], id);
	if (rc == CTL_OK)
		rc = keystore_load_info(c, pub);
	if (rc == CTL_OK)
		rc = proposal_fetch_verified(c, id, v);
	return rc;
}

/* veto and revoke: a signer of the proposal's (current) config version. */
static int
proposal_act(struct ctl *c, const char *what, const char *tag,
    const char *endpoint)
{
	struct keystore_info pub;
	struct verified v;
	uint8_t id[PROPOSAL_ID_BYTES], digest[DIGEST_BYTES];
	const char *name = NULL;
	char question[160], path[128], action[256];
	json_t *body = NULL;
	int rc;

	rc = act_proposal_load(c, id, &pub, &v);
	if (rc == CTL_OK && !v.config_current) {
		ctl_err("the proposal is stale: nothing to %s", what);
		rc = CTL_REFUSED;
	}
	if (rc == CTL_OK)
		rc = keystore_signer_check(c, v.trust.pin, &pub);
	if (rc != CTL_OK)
		goto done;
	name = pub.name;
	proposal_print(c, v.f, v.id_hex, v.trust.pin, v.status, v.proposal);
	tagged_hash(digest, tag, id, PROPOSAL_ID_BYTES);
	snprintf(action, sizeof(action), "%s of this proposal, as signer %s "
	    "(%s key %s); signed digest H_\"%s\"(id)", what, name,
	    key_type_name(pub.key.type), pub.pubkey_hex, tag);
	rc = final_summary_print(c, v.f, v.id_hex, v.trust.pin, action);
	if (rc != CTL_OK)
		goto done;
	snprintf(question, sizeof(question), "%s proposal %.16s... as %s?",
	    what, v.id_hex, name);
	snprintf(path, sizeof(path), "/v1/proposals/%s/%s", v.id_hex,
	    endpoint);
	body = json_pack("{s:s}", "signer", name);
	rc = body == NULL ? CTL_ERROR :
	    act_finish(c, &pub, digest, question, path, body);
done:
	json_decref(body);
	verified_free(&v);
	return rc;
}

int
cmd_veto(struct ctl *c)
{
	return proposal_act(c, "VETO", VETO_TAG, "vetoes");
}

int
cmd_revoke(struct ctl *c)
{
	return proposal_act(c, "REVOKE your approval", REVOKE_TAG,
	    "revocations");
}

int
cmd_key_proof(struct ctl *c)
{
	struct keystore_info pub;
	struct verified v;
	uint8_t id[PROPOSAL_ID_BYTES], digest[DIGEST_BYTES];
	char question[160], path[128], action[256];
	json_t *body = NULL;
	int rc;

	rc = act_proposal_load(c, id, &pub, &v);
	if (rc != CTL_OK)
		goto done;
	if (v.f->kind != KIND_ADD_SIGNER && v.f->kind != KIND_REPLACE_SIGNER) {
		ctl_err("a %s proposal has no new key to prove",
		    proposal_kind_name(v.f->kind));
		rc = CTL_REFUSED;
		goto done;
	}
	if (v.f->key.len != pub.key.len || memcmp(v.f->key.bytes,
	    pub.key.bytes, pub.key.len) != 0) {
		rc = refuse("the keystore's key %s is not the new key of this "
		    "proposal", pub.pubkey_hex);
		goto done;
	}
	proposal_print(c, v.f, v.id_hex, v.trust.pin, v.status, v.proposal);
	possession_digest_compute(digest, id);
	snprintf(action, sizeof(action), "a KEY PROOF (this key exists and you "
	    "hold it; it is not an approval) with the new key %s; signed digest"
	    " H_\"%s\"(id)", pub.pubkey_hex, POSSESSION_TAG);
	rc = final_summary_print(c, v.f, v.id_hex, v.trust.pin, action);
	if (rc != CTL_OK)
		goto done;
	snprintf(question, sizeof(question), "Prove the key of proposal "
	    "%.16s...?", v.id_hex);
	snprintf(path, sizeof(path), "/v1/proposals/%s/key-proof", v.id_hex);
	body = json_object();
	rc = body == NULL ? CTL_ERROR :
	    act_finish(c, &pub, digest, question, path, body);
done:
	json_decref(body);
	verified_free(&v);
	return rc;
}

/* The freeze request for the next freeze of the treasury, shown. The
 * config version is the pinned one; the freeze number is the server's
 * word (a wrong one only makes the daemon refuse the request). */
static int
freeze_request_show(struct ctl *c, const struct trust_ctx *trust, json_t *pol,
    struct freeze_request *fr, uint8_t digest[DIGEST_BYTES])
{
	struct textbuf text;
	json_t *next = json_object_get(pol, "next_freeze");

	if (!json_is_integer(next) || json_integer_value(next) < 1)
		return refuse("the server's policy has no valid freeze number");
	memcpy(fr->instance, trust->instance, INSTANCE_ID_BYTES);
	fr->treasury = c->o.argv[0];
	fr->config_version = trust->pin->config_version;
	fr->freeze_seq = (uint64_t)json_integer_value(next);
	textbuf_init(&text, 1024);
	if (freeze_request_encode(&text, fr) != TREASURY_OK ||
	    freeze_digest_compute(digest, fr) != TREASURY_OK) {
		textbuf_free(&text);
		ctl_err("cannot write the freeze request");
		return CTL_ERROR;
	}
	say(human_out(), "Freeze request (FREEZE treasury %s: nothing executes "
	    "until an unfreeze approved by M signers):\n", fr->treasury);
	say_lines(human_out(), "  ", text.data);
	textbuf_free(&text);
	return CTL_OK;
}

int
cmd_freeze(struct ctl *c)
{
	struct keystore_info pub;
	struct trust_ctx trust = { { 0 }, NULL };
	struct freeze_request fr;
	uint8_t digest[DIGEST_BYTES];
	json_t *pol = NULL, *body = NULL;
	char path[96], question[160];
	int rc;

	if (treasury_id_check(c->o.argv[0], strlen(c->o.argv[0])) !=
	    TREASURY_OK) {
		ctl_err("'%s' is not a treasury id", c->o.argv[0]);
		return CTL_USAGE;
	}
	rc = keystore_load_info(c, &pub);
	if (rc == CTL_OK)
		rc = trust_context(c, c->o.argv[0], &trust);
	if (rc == CTL_OK)
		rc = policy_fetch_verified(c, c->o.argv[0], trust.pin, &pol);
	if (rc == CTL_OK)
		rc = keystore_signer_check(c, trust.pin, &pub);
	if (rc == CTL_OK)
		rc = freeze_request_show(c, &trust, pol, &fr, digest);
	if (rc != CTL_OK)
		goto done;
	say(human_out(), "\nYou are about to sign this freeze request as "
	    "signer %s (%s key %s)\n", pub.name, key_type_name(pub.key.type),
	    pub.pubkey_hex);
	snprintf(question, sizeof(question), "Freeze treasury %s as %s?",
	    c->o.argv[0], pub.name);
	snprintf(path, sizeof(path), "/v1/treasuries/%s/freeze",
	    c->o.argv[0]);
	body = json_pack("{s:s, s:I}", "signer", pub.name, "freeze",
	    (json_int_t)fr.freeze_seq);
	rc = body == NULL ? CTL_ERROR :
	    act_finish(c, &pub, digest, question, path, body);
done:
	json_decref(body);
	json_decref(pol);
	trust_ctx_free(&trust);
	return rc;
}
