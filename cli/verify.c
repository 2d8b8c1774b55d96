/*
 * verify.c: clear signing's trust checks. The server is not trusted: what
 * a signer approves is the canonical text, hashed here, decoded here.
 *
 * proposal_fetch_verified() refuses (CTL_VERIFY, reason printed) when
 *   - the canonical text does not hash to the id the user asked for, or
 *     the JSON "id" differs;
 *   - the text does not decode strictly (proposal_decode);
 *   - a JSON field (treasury, kind, config_version, nonce, expires_at, and
 *     any transfer field present) disagrees with the text: it names it;
 *   - the text's instance is not the instance pinned for this server
 *     URL, or the treasury's config is not the pinned one (trust.c);
 *   - the JSON status is not one of the known statuses;
 *   - an asset's decimals on the server differ from the text's amount;
 *   - for a current config: the proposal's threshold or signer_count
 *     differ from the pinned config's.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ctl.h"
#include "treasury/canonical.h"
#include "treasury/hash.h"
#include "treasury/hex.h"

int
proposal_id_arg(struct ctl *c, const char *s, uint8_t id[PROPOSAL_ID_BYTES])
{
	if (strlen(s) != 2 * PROPOSAL_ID_BYTES)
		return proposal_id_prefix_resolve(c, s, id);	/* workflow.c */
	if (hex_decode(id, PROPOSAL_ID_BYTES, s, strlen(s)) != TREASURY_OK) {
		ctl_err("a proposal id is 64 hex digits: '%s'", s);
		return CTL_USAGE;
	}
	return CTL_OK;
}

void
verified_free(struct verified *v)
{
	json_decref(v->proposal);
	free(v->f);
	trust_ctx_free(&v->trust);
	memset(v, 0, sizeof(*v));
}

int
refuse(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ctl_err("REFUSED, nothing signed: %s", msg);
	return CTL_VERIFY;
}

int
canonical_decode_checked(struct ctl *c, const char *text, size_t len,
    struct proposal_fields *f)
{
	treasury_err err;

	if (strlen(text) != len)
		return refuse("the canonical text contains a NUL byte");
	err = proposal_decode(c->verifier, text, len, f);
	if (err != TREASURY_OK)
		return refuse("the canonical text is not a valid proposal "
		    "(%s: %s)", treasury_err_name(err),
		    treasury_err_text(err));
	return CTL_OK;
}

/* JSON string field `key` must equal want. */
static int
field_str_check(json_t *p, const char *key, const char *want)
{
	const char *got = json_str(p, key);

	if (got == NULL)
		return refuse("the server's JSON has no string field '%s' "
		    "(canonical text: '%s')", key, want);
	if (strcmp(got, want) != 0)
		return refuse("the server's JSON field '%s' says '%s' but the "
		    "canonical text says '%s'", key, got, want);
	return CTL_OK;
}

/* JSON integer field `key` must equal want. */
static int
field_int_check(json_t *p, const char *key, uint64_t want)
{
	json_t *v = json_object_get(p, key);
	char w[24], g[24];

	snprintf(w, sizeof(w), "%llu", (unsigned long long)want);
	if (!json_is_integer(v))
		return refuse("the server's JSON has no integer field '%s' "
		    "(canonical text: %s)", key, w);
	snprintf(g, sizeof(g), "%lld", (long long)json_integer_value(v));
	if (strcmp(g, w) != 0)
		return refuse("the server's JSON field '%s' says %s but the "
		    "canonical text says %s", key, g, w);
	return CTL_OK;
}

/* Transfer fields, when the JSON carries them (it need not). */
static int
transfer_fields_check(json_t *p, const struct proposal_fields *f)
{
	const struct transfer_fields *t = &f->transfers[0];
	char amount[AMOUNT_FORMAT_MAX_BYTES];
	int rc = CTL_OK;

	if (f->kind != KIND_TRANSFER)
		return CTL_OK;
	if (amount_format(t->amount, t->decimals, amount, sizeof(amount)) !=
	    TREASURY_OK)
		return CTL_ERROR;
	if (json_object_get(p, "asset") != NULL)
		rc = field_str_check(p, "asset", t->asset);
	if (rc == CTL_OK && json_object_get(p, "amount") != NULL)
		rc = field_str_check(p, "amount", amount);
	if (rc == CTL_OK && json_object_get(p, "to") != NULL)
		rc = field_str_check(p, "to", t->to);
	if (rc == CTL_OK && json_object_get(p, "memo") != NULL)
		rc = field_str_check(p, "memo", t->memo);
	return rc;
}

static int
json_fields_check(json_t *p, const struct proposal_fields *f)
{
	char expires[TIMESTAMP_BYTES + 1];
	int rc;

	timestamp_format(f->expires_s, expires);
	rc = field_str_check(p, "treasury", f->treasury);
	if (rc == CTL_OK)
		rc = field_str_check(p, "kind", proposal_kind_name(f->kind));
	if (rc == CTL_OK)
		rc = field_int_check(p, "config_version", f->config_version);
	if (rc == CTL_OK)
		rc = field_int_check(p, "nonce", f->nonce);
	if (rc == CTL_OK)
		rc = field_str_check(p, "expires_at", expires);
	if (rc == CTL_OK)
		rc = transfer_fields_check(p, f);
	return rc;
}

/* The canonical text must hash to the id asked for, and JSON "id" too. */
static int
id_check(json_t *p, const uint8_t id[PROPOSAL_ID_BYTES], const char **text,
    size_t *len)
{
	uint8_t got[PROPOSAL_ID_BYTES], json_id[PROPOSAL_ID_BYTES];
	char want_hex[2 * PROPOSAL_ID_BYTES + 1], got_hex[sizeof(want_hex)];
	json_t *canon = json_object_get(p, "canonical");
	const char *jid = json_str(p, "id");

	hex_encode(want_hex, id, PROPOSAL_ID_BYTES);
	if (!json_is_string(canon))
		return refuse("the server sent no canonical text for %s",
		    want_hex);
	*text = json_string_value(canon);
	*len = json_string_length(canon);
	proposal_id_compute(got, *text, *len);
	hex_encode(got_hex, got, sizeof(got));
	if (sodium_memcmp(got, id, PROPOSAL_ID_BYTES) != 0)
		return refuse("the canonical text the server sent hashes to %s, "
		    "not to the id you asked for, %s", got_hex, want_hex);
	if (jid == NULL || hex_decode(json_id, sizeof(json_id), jid,
	    strlen(jid)) != TREASURY_OK || memcmp(json_id, id,
	    sizeof(json_id)) != 0)
		return refuse("the server's JSON field 'id' says '%s' but the "
		    "canonical text's id is %s", jid ? jid : "(none)", want_hex);
	return CTL_OK;
}

static int
instance_check(const struct verified *v)
{
	char want[2 * INSTANCE_ID_BYTES + 1], got[2 * INSTANCE_ID_BYTES + 1];

	hex_encode(want, v->f->instance, INSTANCE_ID_BYTES);
	hex_encode(got, v->trust.instance, INSTANCE_ID_BYTES);
	if (memcmp(v->f->instance, v->trust.instance, INSTANCE_ID_BYTES) != 0)
		return refuse("the proposal is for instance %s but this server "
		    "is pinned as instance %s", want, got);
	return CTL_OK;
}

/* Every transfer's asset must exist with the text's number of decimals. */
static int
assets_check(struct ctl *c, const struct proposal_fields *f)
{
	json_t *answer = NULL, *list, *a;
	char dec[8], have[8];
	unsigned i;
	size_t k;
	int rc, found;

	if (f->transfer_count == 0)
		return CTL_OK;
	rc = http_call(c, "GET", "/v1/assets", NULL, &answer);
	if (rc != CTL_OK)
		return rc;
	list = json_object_get(answer, "assets");
	for (i = 0; i < f->transfer_count && rc == CTL_OK; i++) {
		found = 0;
		json_array_foreach(list, k, a) {
			const char *code = json_str(a, "code");

			if (code == NULL || strcmp(code, f->transfers[i].asset))
				continue;
			found = 1;
			snprintf(dec, sizeof(dec), "%u", f->transfers[i].decimals);
			snprintf(have, sizeof(have), "%lld", (long long)
			    json_integer_value(json_object_get(a, "decimals")));
			if (strcmp(dec, have) != 0)
				rc = refuse("asset %s has %s decimals on the "
				    "server but the text's amount has %s",
				    code, have, dec);
		}
		if (!found)
			rc = refuse("asset %s of the text is not an asset of "
			    "this server", f->transfers[i].asset);
	}
	json_decref(answer);
	return rc;
}

int
policy_fetch_verified(struct ctl *c, const char *treasury,
    const struct pinned *pin, json_t **answer)
{
	uint8_t got[DIGEST_BYTES];
	const char *hex;
	json_t *cv;
	char path[96];
	int rc;

	snprintf(path, sizeof(path), "/v1/treasuries/%s/policy", treasury);
	rc = http_call(c, "GET", path, NULL, answer);
	if (rc != CTL_OK)
		return rc;
	hex = json_str(*answer, "digest");
	cv = json_object_get(*answer, "config_version");
	if (!json_is_integer(cv) || (uint64_t)json_integer_value(cv) !=
	    pin->config_version)
		return refuse("the server's policy is not for the pinned config "
		    "version %llu", (unsigned long long)pin->config_version);
	if (hex == NULL || strlen(hex) != 2 * DIGEST_BYTES ||
	    hex_decode(got, DIGEST_BYTES, hex, strlen(hex)) != TREASURY_OK ||
	    memcmp(got, pin->policy_digest, DIGEST_BYTES) != 0)
		return refuse("the server's policy digest is not the pinned "
		    "policy's");
	return CTL_OK;
}

/* Proposal threshold/signer_count against the pinned config; a config
 * change needs M + 1 approvals when the policy says so. */
static int
policy_check(json_t *p, const struct proposal_fields *f,
    const struct pinned *pin)
{
	unsigned m = policy_base_threshold(&pin->policy,
	    proposal_kind_track(f->kind), pin->set.threshold);
	int rc;

	rc = field_int_check(p, "threshold", m);
	if (rc == CTL_OK)
		rc = field_int_check(p, "signer_count", pin->set.count);
	return rc;
}

static int
status_parse(json_t *p, const char **out)
{
	static const char *const names[] = { "pending", "approved", "executed",
	    "rejected", "expired", "stale", "cancelled", "vetoed" };
	const char *s = json_str(p, "status");
	size_t i;

	for (i = 0; s != NULL && i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i]) == 0) {
			*out = names[i];
			return CTL_OK;
		}
	return refuse("the server's proposal status is not a known status");
}

/* The pinned context of the text's treasury, and what it says of v. */
static int
context_check(struct ctl *c, struct verified *v)
{
	int rc;

	rc = trust_context(c, v->f->treasury, &v->trust);
	if (rc == CTL_OK)
		rc = instance_check(v);
	if (rc != CTL_OK)
		return rc;
	if (v->f->config_version > v->trust.pin->config_version)
		return refuse("the proposal is for config version %llu, newer "
		    "than the treasury's %llu",
		    (unsigned long long)v->f->config_version,
		    (unsigned long long)v->trust.pin->config_version);
	v->config_current = v->trust.pin->config_version ==
	    v->f->config_version;
	v->policy = v->config_current ? &v->trust.pin->policy : NULL;
	return v->config_current ? policy_check(v->proposal, v->f,
	    v->trust.pin) : CTL_OK;
}

int
proposal_fetch_verified(struct ctl *c, const uint8_t id[PROPOSAL_ID_BYTES],
    struct verified *v)
{
	char path[96];
	const char *text = NULL;
	size_t len = 0;
	int rc;

	memset(v, 0, sizeof(*v));
	memcpy(v->id, id, PROPOSAL_ID_BYTES);
	hex_encode(v->id_hex, id, PROPOSAL_ID_BYTES);
	snprintf(path, sizeof(path), "/v1/proposals/%s", v->id_hex);
	rc = http_call(c, "GET", path, NULL, &v->proposal);
	if (rc != CTL_OK)
		return rc;
	v->f = calloc(1, sizeof(*v->f));
	if (v->f == NULL) {
		ctl_err("out of memory");
		return CTL_ERROR;
	}
	rc = id_check(v->proposal, id, &text, &len);
	if (rc == CTL_OK)
		rc = canonical_decode_checked(c, text, len, v->f);
	if (rc == CTL_OK)
		rc = json_fields_check(v->proposal, v->f);
	if (rc == CTL_OK)
		rc = status_parse(v->proposal, &v->status);
	if (rc == CTL_OK)
		rc = context_check(c, v);
	if (rc == CTL_OK)
		rc = assets_check(c, v->f);
	return rc;
}

