/*
 * workflow.c: the rest of a proposal's life, so that a signer and a
 * treasurer need nothing but treasuryctl:
 *
 *   propose set-policy / unfreeze  the two policy kinds (the body, and the
 *                  check of the canonical text the server made, for
 *                  propose.c's created_check);
 *   cancel ID      withdraw a pending proposal (the proposing token only),
 *                  after verifying it, showing it and asking;
 *   settle ID      record the chain transaction that settled an executed
 *                  proposal (treasurer);
 *   export ID      the verified canonical text, byte for byte, for
 *                  sign-offline on an air-gapped machine;
 *   id prefixes    a proposal argument of 8..63 hex digits is resolved to
 *                  the one id that starts with it.
 *
 * Nothing the server says is printed unless it passed its grammar: ids
 * are rebuilt from bytes, statuses compared with the known names, and the
 * canonical text is the one proposal_fetch_verified decoded strictly.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "treasury/canonical.h"
#include "treasury/hex.h"

enum { SETTLEMENT_REFERENCE_MAX_BYTES = 128 };

/* ---- id prefixes ---- */

/* A 64-hex-digit id (either case) into lower case out; false otherwise. */
static bool
id_lower(const char *s, char out[2 * PROPOSAL_ID_BYTES + 1])
{
	size_t i;

	if (s == NULL || strlen(s) != 2 * PROPOSAL_ID_BYTES)
		return false;
	for (i = 0; i < 2 * PROPOSAL_ID_BYTES; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return false;
		out[i] = (char)tolower((unsigned char)s[i]);
	}
	out[i] = '\0';
	return true;
}

/* Add to `seen` (a JSON object used as a set) every id of `proposals`
 * that starts with prefix (lower case). */
static int
prefix_matches_add(json_t *proposals, const char *prefix, json_t *seen)
{
	char id[2 * PROPOSAL_ID_BYTES + 1];
	json_t *p;
	size_t i;

	json_array_foreach(proposals, i, p) {
		if (!id_lower(json_str(p, "id"), id) ||
		    strncmp(id, prefix, strlen(prefix)) != 0)
			continue;
		if (json_object_set_new(seen, id, json_true()) != 0)
			return CTL_ERROR;
	}
	return CTL_OK;
}

/* Every treasury's proposals whose id starts with prefix, into seen. */
static int
prefix_search(struct ctl *c, const char *prefix, json_t *seen)
{
	json_t *treasuries = NULL, *list = NULL, *t;
	const char *tid;
	char path[96];
	size_t i;
	int rc;

	rc = http_get_all(c, "/v1/treasuries", "treasuries", &treasuries);
	json_array_foreach(treasuries, i, t) {
		if (rc != CTL_OK)
			break;
		tid = json_str(t, "id");
		if (tid == NULL || treasury_id_check(tid, strlen(tid)) !=
		    TREASURY_OK)
			continue;
		snprintf(path, sizeof(path), "/v1/treasuries/%s/proposals", tid);
		rc = http_get_all(c, path, "proposals", &list);
		if (rc == CTL_OK)
			rc = prefix_matches_add(list, prefix, seen);
		json_decref(list);
		list = NULL;
	}
	json_decref(treasuries);
	return rc;
}

int
proposal_id_prefix_resolve(struct ctl *c, const char *prefix,
    uint8_t id[PROPOSAL_ID_BYTES])
{
	char want[2 * PROPOSAL_ID_BYTES + 1];
	size_t i, len = strlen(prefix);
	json_t *seen;
	int rc;

	for (i = 0; i < len && i < 2 * PROPOSAL_ID_BYTES &&
	    isxdigit((unsigned char)prefix[i]); i++)
		want[i] = (char)tolower((unsigned char)prefix[i]);
	if (len < PROPOSAL_ID_PREFIX_MIN_DIGITS || len >= 2 *
	    PROPOSAL_ID_BYTES || i != len) {
		ctl_err("a proposal id is 64 hex digits, or a unique prefix of "
		    "%d or more: '%s'", PROPOSAL_ID_PREFIX_MIN_DIGITS, prefix);
		return CTL_USAGE;
	}
	want[len] = '\0';
	seen = json_object();
	rc = seen != NULL ? prefix_search(c, want, seen) : CTL_ERROR;
	if (rc == CTL_OK && json_object_size(seen) == 0) {
		ctl_err("no proposal starts with %s", want);
		rc = CTL_USAGE;
	} else if (rc == CTL_OK && json_object_size(seen) > 1) {
		ctl_err("%zu proposals start with %s: give more digits",
		    json_object_size(seen), want);
		rc = CTL_USAGE;
	} else if (rc == CTL_OK && hex_decode(id, PROPOSAL_ID_BYTES,
	    json_object_iter_key(json_object_iter(seen)), 2 *
	    PROPOSAL_ID_BYTES) != TREASURY_OK)
		rc = CTL_ERROR;		/* cannot happen: checked by id_lower */
	json_decref(seen);
	return rc;
}

/* ---- propose set-policy, propose unfreeze ---- */

int
propose_body_policy_kind(struct ctl *c, const char *kind, json_t *body)
{
	json_t *policy = NULL;
	int rc;

	if (strcmp(kind, "unfreeze") == 0)
		return CTL_OK;	/* the daemon names the freeze in force */
	if (c->o.file == NULL) {
		ctl_err("--file is required: the whole policy after the change, "
		    "as JSON");
		return CTL_USAGE;
	}
	rc = policy_file_load(c->o.file, &policy);
	if (rc == CTL_OK && json_object_set_new(body, "policy", policy) != 0)
		rc = CTL_ERROR;
	return rc;
}

/* An unfreeze must lift the freeze in force: the treasury's policy answer
 * says it is frozen by freeze number f->freeze_seq. */
static int
unfreeze_same(struct ctl *c, const struct proposal_fields *f,
    char field[POLICY_FIELD_MAX_BYTES])
{
	json_t *pol = NULL, *seq;
	char path[96];
	int rc;

	snprintf(path, sizeof(path), "/v1/treasuries/%s/policy", f->treasury);
	rc = http_call(c, "GET", path, NULL, &pol);
	if (rc != CTL_OK)
		return rc;
	seq = json_object_get(pol, "freeze_seq");
	if (!json_is_true(json_object_get(pol, "frozen")) ||
	    !json_is_integer(seq) || (uint64_t)json_integer_value(seq) !=
	    f->freeze_seq) {
		snprintf(field, POLICY_FIELD_MAX_BYTES, "freeze");
		rc = CTL_VERIFY;
	}
	json_decref(pol);
	return rc;
}

int
propose_policy_kind_same(struct ctl *c, json_t *body,
    const struct proposal_fields *f, char field[POLICY_FIELD_MAX_BYTES])
{
	if (f->kind == KIND_UNFREEZE)
		return unfreeze_same(c, f, field);
	return policy_file_compare(json_object_get(body, "policy"), &f->policy,
	    f->threshold_after, f->signers_after, field);
}

/* ---- cancel, settle, export ---- */

/* The id argument, fetched and verified into v (zeroed first). */
static int
verified_load(struct ctl *c, struct verified *v)
{
	uint8_t id[PROPOSAL_ID_BYTES];
	int rc;

	memset(v, 0, sizeof(*v));
	rc = proposal_id_arg(c, c->o.argv[0], id);
	if (rc == CTL_OK)
		rc = proposal_fetch_verified(c, id, v);
	return rc;
}

/* The server's answer to an act on proposal v must be about v, with
 * status want (a known name, so it may be printed). */
static int
answer_check(const struct verified *v, json_t *answer, const char *want)
{
	char id[2 * PROPOSAL_ID_BYTES + 1];
	const char *status = json_str(answer, "status");

	if (!id_lower(json_str(answer, "id"), id) || strcmp(id, v->id_hex) != 0
	    || status == NULL || strcmp(status, want) != 0) {
		ctl_err("the server's answer is not proposal %s with status %s",
		    v->id_hex, want);
		return CTL_NETWORK;
	}
	return CTL_OK;
}

int
cmd_cancel(struct ctl *c)
{
	struct verified v;
	json_t *answer = NULL;
	char path[128];
	int rc;

	rc = verified_load(c, &v);
	if (rc != CTL_OK)
		goto done;
	proposal_print(c, v.f, v.id_hex, v.trust.pin, v.status, v.proposal);
	if (strcmp(v.status, "pending") != 0) {
		ctl_err("the proposal is %s: only a pending proposal can be "
		    "cancelled", v.status);
		rc = CTL_REFUSED;
		goto done;
	}
	say(human_out(), "\nYou are about to CANCEL proposal %s: it can then "
	    "never be approved or executed.\nOnly the token that made it may "
	    "cancel it.\n", v.id_hex);
	fflush(human_out());
	if (!c->o.yes)
		rc = confirm_ask("Cancel this proposal?");
	snprintf(path, sizeof(path), "/v1/proposals/%s/cancel", v.id_hex);
	if (rc == CTL_OK)
		rc = http_call(c, "POST", path, NULL, &answer);
	if (rc == CTL_OK)
		rc = answer_check(&v, answer, "cancelled");
	if (rc == CTL_OK && c->o.json)
		json_print(answer);
	else if (rc == CTL_OK)
		say(stdout, "cancelled: proposal %s\n", v.id_hex);
done:
	json_decref(answer);
	verified_free(&v);
	return rc;
}

/* 1..128 printable ASCII without spaces (a chain transaction id). */
static int
settlement_reference_check(const char *s)
{
	size_t i, len = s != NULL ? strlen(s) : 0;

	for (i = 0; i < len && s[i] >= 0x21 && s[i] <= 0x7e; i++)
		;
	if (len == 0 || len > SETTLEMENT_REFERENCE_MAX_BYTES || i != len) {
		ctl_err("--reference must be 1..%d printable ASCII characters "
		    "without spaces (the chain transaction id)",
		    SETTLEMENT_REFERENCE_MAX_BYTES);
		return CTL_USAGE;
	}
	return CTL_OK;
}

int
cmd_settle(struct ctl *c)
{
	struct verified v;
	json_t *body = NULL, *answer = NULL;
	const char *got;
	char path[128];
	int rc;

	memset(&v, 0, sizeof(v));
	rc = settlement_reference_check(c->o.reference);
	if (rc == CTL_OK)
		rc = verified_load(c, &v);
	if (rc != CTL_OK)
		goto done;
	body = json_pack("{s:s}", "reference", c->o.reference);
	snprintf(path, sizeof(path), "/v1/proposals/%s/settlement", v.id_hex);
	rc = body != NULL ? http_call(c, "POST", path, body, &answer) :
	    CTL_ERROR;
	if (rc == CTL_OK)
		rc = answer_check(&v, answer, "executed");
	got = json_str(json_object_get(answer, "settlement"), "reference");
	if (rc == CTL_OK && (got == NULL || strcmp(got, c->o.reference) != 0)) {
		ctl_err("the server's answer does not record reference %s",
		    c->o.reference);
		rc = CTL_VERIFY;
	}
	if (rc == CTL_OK && c->o.json)
		json_print(answer);
	else if (rc == CTL_OK)
		say(stdout, "settled: proposal %s (%s of treasury %s, nonce "
		    "%llu) by %s\n", v.id_hex, proposal_kind_name(v.f->kind),
		    v.f->treasury, (unsigned long long)v.f->nonce,
		    c->o.reference);
done:
	json_decref(body);
	json_decref(answer);
	verified_free(&v);
	return rc;
}

int
cmd_export(struct ctl *c)
{
	struct verified v;
	json_t *canon;
	int rc;

	if (c->o.out == NULL)
		human_out_set(stderr);	/* standard output is the text */
	rc = verified_load(c, &v);
	if (rc != CTL_OK)
		goto done;
	/* verified: it hashes to the id and decoded strictly (printable
	 * UTF-8 lines, no control character but LF), so it is safe as is */
	canon = json_object_get(v.proposal, "canonical");
	if (c->o.out != NULL)
		rc = file_write_private(c->o.out, json_string_value(canon),
		    json_string_length(canon), c->o.force);
	else if (fwrite(json_string_value(canon), 1, json_string_length(canon),
	    stdout) != json_string_length(canon) || fflush(stdout) != 0) {
		ctl_err("cannot write the canonical text to standard output");
		rc = CTL_ERROR;
	}
	if (rc == CTL_OK)
		say(human_out(), "exported: proposal %s (%s of treasury %s, "
		    "nonce %llu), %zu bytes%s%s\nsign it offline with: "
		    "treasuryctl sign-offline %s --decision approve|reject\n",
		    v.id_hex, proposal_kind_name(v.f->kind), v.f->treasury,
		    (unsigned long long)v.f->nonce, json_string_length(canon),
		    c->o.out != NULL ? " to " : "", c->o.out != NULL ? c->o.out :
		    "", c->o.out != NULL ? c->o.out : "FILE");
done:
	verified_free(&v);
	return rc;
}
