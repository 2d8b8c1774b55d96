/*
 * vote.c: clear signing. approve and reject fetch and verify the proposal
 * (verify.c), show what it does (screen.c), ask, and only then unlock the
 * key, sign the vote digest and post the vote. sign-offline does the same
 * from a canonical text without any server; vote posts a signature made
 * elsewhere after checking it against the treasury's signer set.
 *
 * Order matters: nothing is signed before every check has passed and the
 * signer has confirmed; the key is unlocked last and wiped right after.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "ctl.h"
#include "treasury/hash.h"
#include "treasury/hex.h"

static const char *
decision_name(enum vote_decision d)
{
	return d == VOTE_APPROVE ? "approve" : "reject";
}

static int
decision_parse(const char *s, enum vote_decision *d)
{
	if (s != NULL && strcmp(s, "approve") == 0)
		*d = VOTE_APPROVE;
	else if (s != NULL && strcmp(s, "reject") == 0)
		*d = VOTE_REJECT;
	else {
		ctl_err("--decision must be approve or reject");
		return CTL_USAGE;
	}
	return CTL_OK;
}

int
keystore_digest_sign(struct ctl *c, const struct keystore_info *expect,
    const uint8_t digest[DIGEST_BYTES], uint8_t sig[VOTE_SIGNATURE_BYTES])
{
	struct keystore_info info;
	uint8_t *secret = NULL;
	treasury_err err;
	int rc;

	rc = keystore_unlock(c, &info, &secret);
	if (rc != CTL_OK)
		return rc;
	if (info.key.len != expect->key.len || memcmp(info.key.bytes,
	    expect->key.bytes, info.key.len) != 0) {
		sodium_free(secret);
		ctl_err("the keystore changed while treasuryctl ran");
		return CTL_ERROR;
	}
	err = vote_sign(info.key.type, secret, digest, sig);
	sodium_free(secret);
	if (err == TREASURY_OK)
		err = vote_signature_verify(c->verifier, &info.key, digest, sig,
		    VOTE_SIGNATURE_BYTES);
	if (err != TREASURY_OK) {
		ctl_err("signing failed: %s", treasury_err_text(err));
		return CTL_ERROR;
	}
	return CTL_OK;
}

/* Sign the digest of (id, decision) with the keystore's key (which must
 * still be expect's), as keystore_digest_sign does. */
static int
sign_with_keystore(struct ctl *c, const struct keystore_info *expect,
    const uint8_t id[PROPOSAL_ID_BYTES], enum vote_decision decision,
    uint8_t sig[VOTE_SIGNATURE_BYTES])
{
	uint8_t digest[DIGEST_BYTES];

	vote_digest_compute(digest, id, decision);
	return keystore_digest_sign(c, expect, digest, sig);
}

static int
vote_post(struct ctl *c, const char *id_hex, const char *signer,
    enum vote_decision decision, const uint8_t *sig, size_t sig_len)
{
	char path[96], hex[2 * SIG_DER_MAX_BYTES + 1];
	json_t *body, *answer = NULL;
	int rc;

	hex_encode(hex, sig, sig_len);
	body = json_pack("{s:s, s:s, s:s}", "signer", signer, "decision",
	    decision_name(decision), "signature", hex);
	if (body == NULL)
		return CTL_ERROR;
	snprintf(path, sizeof(path), "/v1/proposals/%s/votes", id_hex);
	rc = http_call(c, "POST", path, body, &answer);
	json_decref(body);
	if (rc != CTL_OK)
		return rc;
	if (c->o.json)
		json_print(answer);
	else
		say(stdout, "vote recorded: %s by %s; the server says the "
		    "proposal is now %s (%lld approvals, %lld rejections)\n",
		    decision_name(decision), signer,
		    json_str(answer, "status") ? json_str(answer, "status") : "?",
		    (long long)json_integer_value(json_object_get(answer,
		    "approval_count")), (long long)json_integer_value(
		    json_object_get(answer, "rejection_count")));
	json_decref(answer);
	return CTL_OK;
}

/* The keystore's signer in the pinned set: its key must be there under
 * the keystore's own name (the name comes from the keystore, never from
 * the server) with the same key type; --signer / config "signer", when
 * given, must name it too. */
int
keystore_signer_check(struct ctl *c, const struct pinned *pin,
    const struct keystore_info *pub)
{
	const char *want = c->o.signer ? c->o.signer :
	    (c->signer_cfg[0] ? c->signer_cfg : NULL);
	int k = signer_set_find_key(&pin->set, pub->key.x);

	if (k < 0) {
		ctl_err("the keystore's key %s is not a key of the pinned signer "
		    "set (config version %llu)", pub->pubkey_hex,
		    (unsigned long long)pin->config_version);
		return CTL_ERROR;
	}
	if (strcmp(pin->set.signers[k].name, pub->name) != 0)
		return refuse("the pinned signer set has your key under the name "
		    "%s, but your keystore names you %s", pin->set.signers[k].name,
		    pub->name);
	if (pin->set.signers[k].key.type != pub->key.type)
		return refuse("the pinned signer set registers your key as type "
		    "%s, the keystore as %s", key_type_name(
		    pin->set.signers[k].key.type), key_type_name(pub->key.type));
	if (want != NULL && strcmp(want, pub->name) != 0) {
		ctl_err("the keystore's key belongs to signer %s, not %s",
		    pub->name, want);
		return CTL_ERROR;
	}
	return CTL_OK;
}

/* Checks that need the proposal to be votable now. */
static int
votable_check(const struct verified *v)
{
	if (!v->config_current)
		return refuse("the proposal is for config version %llu but the "
		    "treasury has moved on (stale)",
		    (unsigned long long)v->f->config_version);
	if (config_change_check(v->f, v->trust.pin) != CTL_OK)
		return CTL_VERIFY;
	if (strcmp(v->status, "pending") != 0) {
		ctl_err("the proposal is %s, not pending: there is nothing to "
		    "vote on", v->status);
		return CTL_REFUSED;
	}
	return CTL_OK;
}

int
vote_clear_sign(struct ctl *c, const uint8_t id[PROPOSAL_ID_BYTES],
    enum vote_decision decision)
{
	struct keystore_info pub;
	struct verified v;
	uint8_t sig[VOTE_SIGNATURE_BYTES];
	char question[160], action[256];
	const char *name = NULL;
	int rc;

	memset(&v, 0, sizeof(v));
	rc = keystore_load_info(c, &pub);
	if (rc == CTL_OK)
		rc = proposal_fetch_verified(c, id, &v);
	if (rc == CTL_OK)
		rc = votable_check(&v);
	if (rc == CTL_OK)
		rc = keystore_signer_check(c, v.trust.pin, &pub);
	if (rc != CTL_OK)
		goto done;
	name = pub.name;
	proposal_print(c, v.f, v.id_hex, v.trust.pin, v.status, v.proposal);
	snprintf(action, sizeof(action), "%s, as signer %s (%s key %s)",
	    decision == VOTE_APPROVE ? "APPROVE" : "REJECT", name,
	    key_type_name(pub.key.type), pub.pubkey_hex);
	rc = final_summary_print(c, v.f, v.id_hex, v.trust.pin, action);
	if (rc != CTL_OK)
		goto done;
	snprintf(question, sizeof(question), "%s proposal %.16s... as %s?",
	    decision == VOTE_APPROVE ? "Approve" : "Reject", v.id_hex, name);
	if (!c->o.yes)
		rc = confirm_ask(question);
	if (rc == CTL_OK)
		rc = sign_with_keystore(c, &pub, id, decision, sig);
	if (rc == CTL_OK)
		rc = vote_post(c, v.id_hex, name, decision, sig, sizeof(sig));
	sodium_memzero(sig, sizeof(sig));
done:
	verified_free(&v);
	return rc;
}

int
cmd_approve(struct ctl *c)
{
	uint8_t id[PROPOSAL_ID_BYTES];
	int rc = proposal_id_arg(c, c->o.argv[0], id);

	return rc == CTL_OK ? vote_clear_sign(c, id, VOTE_APPROVE) : rc;
}

int
cmd_reject(struct ctl *c)
{
	uint8_t id[PROPOSAL_ID_BYTES];
	int rc = proposal_id_arg(c, c->o.argv[0], id);

	return rc == CTL_OK ? vote_clear_sign(c, id, VOTE_REJECT) : rc;
}

/* ---- vote ID --signature HEX ---- */

/* The signer of the pinned set whose key verifies sig over digest. */
static int
signature_signer(struct ctl *c, const struct pinned *pin,
    const uint8_t *digest, const uint8_t *sig, size_t sig_len,
    const char **name)
{
	const struct signer_entry *e;
	unsigned i;

	for (i = 0; i < pin->set.count; i++) {
		e = &pin->set.signers[i];
		if (c->o.signer != NULL && strcmp(c->o.signer, e->name) != 0)
			continue;
		if (vote_signature_verify(c->verifier, &e->key, digest, sig,
		    sig_len) == TREASURY_OK) {
			*name = e->name;
			return CTL_OK;
		}
	}
	return CTL_VERIFY;
}

int
cmd_vote(struct ctl *c)
{
	uint8_t id[PROPOSAL_ID_BYTES], digest[DIGEST_BYTES];
	uint8_t sig[SIG_DER_MAX_BYTES];
	size_t sig_len;
	enum vote_decision decision = VOTE_APPROVE;
	struct verified v;
	const char *name = NULL;
	int rc;

	memset(&v, 0, sizeof(v));
	rc = proposal_id_arg(c, c->o.argv[0], id);
	if (rc == CTL_OK && c->o.decision != NULL)
		rc = decision_parse(c->o.decision, &decision);
	if (rc == CTL_OK && (c->o.signature == NULL || hex_decode_var(sig,
	    sizeof(sig), &sig_len, c->o.signature, strlen(c->o.signature)) !=
	    TREASURY_OK)) {
		ctl_err("--signature must be the hex of a signature");
		rc = CTL_USAGE;
	}
	if (rc == CTL_OK)
		rc = proposal_fetch_verified(c, id, &v);
	if (rc == CTL_OK)
		rc = votable_check(&v);
	if (rc != CTL_OK)
		goto done;
	vote_digest_compute(digest, id, decision);
	rc = signature_signer(c, v.trust.pin, digest, sig, sig_len, &name);
	if (rc != CTL_OK) {
		say(stderr, "treasuryctl: REFUSED: the signature is not a "
		    "valid %s signature of proposal %s by %s%s of the pinned "
		    "signers of treasury %s\n", decision_name(decision),
		    v.id_hex, c->o.signer ? "signer " : "any signer",
		    c->o.signer ? c->o.signer : "", v.f->treasury);
		goto done;
	}
	proposal_print(c, v.f, v.id_hex, v.trust.pin, v.status, v.proposal);
	say(human_out(), "\nposting: %s by %s (signature verified against "
	    "the pinned key)\n", decision_name(decision), name);
	rc = vote_post(c, v.id_hex, name, decision, sig, sig_len);
done:
	verified_free(&v);
	return rc;
}

/* ---- sign-offline ---- */

static int
canonical_read(struct ctl *c, char **text, size_t *len)
{
	const char *path = c->o.argc > 0 ? c->o.argv[0] : "-";
	struct textbuf b;
	char buf[4096];
	ssize_t n;

	if (strcmp(path, "-") != 0)
		return file_read_all(path, CANONICAL_MAX_BYTES, false, text, len);
	textbuf_init(&b, CANONICAL_MAX_BYTES);
	while ((n = read(STDIN_FILENO, buf, sizeof(buf))) != 0) {
		if (n < 0 || textbuf_append(&b, buf, (size_t)n) != TREASURY_OK) {
			textbuf_free(&b);
			ctl_err("cannot read the canonical text from standard "
			    "input (at most %d bytes)", CANONICAL_MAX_BYTES);
			return CTL_ERROR;
		}
	}
	if (b.len == 0) {
		ctl_err("no canonical text on standard input");
		return CTL_USAGE;
	}
	*text = b.data;		/* NUL-terminated by textbuf */
	*len = b.len;
	return CTL_OK;
}

static void
offline_output(struct ctl *c, const char *id_hex, enum vote_decision d,
    const struct keystore_info *pub, const uint8_t *sig)
{
	char hex[2 * VOTE_SIGNATURE_BYTES + 1];
	json_t *j;

	hex_encode(hex, sig, VOTE_SIGNATURE_BYTES);
	if (c->o.json) {
		j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "id", id_hex,
		    "decision", decision_name(d), "signer", pub->name,
		    "key_type", key_type_name(pub->key.type), "pubkey",
		    pub->pubkey_hex, "signature", hex);
		json_print(j);
		json_decref(j);
		return;
	}
	say(stdout, "\nid: %s\ndecision: %s\nsigner: %s\nsignature: %s\n",
	    id_hex, decision_name(d), pub->name, hex);
	say(stdout, "post it with: treasuryctl vote %s --decision %s --signer "
	    "%s --signature %s\n", id_hex, decision_name(d), pub->name, hex);
}

int
cmd_sign_offline(struct ctl *c)
{
	struct proposal_fields *f = NULL;
	struct keystore_info pub;
	enum vote_decision decision;
	uint8_t id[PROPOSAL_ID_BYTES], sig[VOTE_SIGNATURE_BYTES];
	char id_hex[2 * PROPOSAL_ID_BYTES + 1], *text = NULL, action[256];
	size_t len;
	int rc;

	rc = decision_parse(c->o.decision, &decision);
	if (rc == CTL_OK)
		rc = keystore_load_info(c, &pub);
	if (rc == CTL_OK)
		rc = canonical_read(c, &text, &len);
	if (rc != CTL_OK)
		return rc;
	rc = CTL_ERROR;
	f = calloc(1, sizeof(*f));
	if (f != NULL)
		rc = canonical_decode_checked(c, text, len, f);
	if (rc != CTL_OK)
		goto done;
	proposal_id_compute(id, text, len);
	hex_encode(id_hex, id, sizeof(id));
	proposal_print(c, f, id_hex, NULL, NULL, NULL);
	say(human_out(), "\nOFFLINE: the instance, config version and signer "
	    "set were not checked against a server.\n");
	snprintf(action, sizeof(action), "%s, as %s (%s key %s)",
	    decision == VOTE_APPROVE ? "APPROVE" : "REJECT", pub.name,
	    key_type_name(pub.key.type), pub.pubkey_hex);
	rc = final_summary_print(c, f, id_hex, NULL, action);
	if (rc == CTL_OK && !c->o.yes)
		rc = confirm_ask(decision == VOTE_APPROVE ?
		    "Approve this proposal?" : "Reject this proposal?");
	if (rc == CTL_OK)
		rc = sign_with_keystore(c, &pub, id, decision, sig);
	if (rc == CTL_OK)
		offline_output(c, id_hex, decision, &pub, sig);
done:
	free(f);
	free(text);
	return rc;
}
