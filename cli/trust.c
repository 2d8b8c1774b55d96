/*
 * trust.c: the trust store: what treasuryctl has pinned about each server
 * and treasury, so that context it cannot verify is never taken on the
 * server's word (docs/signing.md §11, treasuryctl(1) TRUST STORE).
 *
 * Pinned, per server URL: the instance id. Per treasury of an instance,
 * per config version: the signer set (names, key types, keys), the
 * threshold, and the policy (its lines and digest).
 *
 *   first sight   shown in full for out-of-band comparison and recorded
 *                 when the user says yes on the terminal (or --yes), as
 *                 ssh does with a new host key;
 *   same version  the server's set, threshold and policy must be the
 *                 pinned ones, or the command refuses (exit 5) saying
 *                 what changed;
 *   later version the pins advance only through executed config changes
 *                 that verify here: the bundle's canonical text hashes to
 *                 its id, decodes to a config change of the pinned
 *                 version, and carries enough valid approvals by keys of
 *                 the pinned set; the result must be what the server
 *                 shows. Anything else refuses (exit 5);
 *   older version refused (a server cannot roll a treasury back).
 *
 * The store is one JSON file (mode 0600, owned by the user, written
 * atomically): TREASURYCTL_TRUST, else $XDG_CONFIG_HOME/treasuryctl/trust,
 * else ~/.config/treasuryctl/trust.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "ctl.h"
#include "treasury/canonical.h"
#include "treasury/hash.h"
#include "treasury/hex.h"

#define TRUST_FORMAT "treasuryctl trust store v1"

/* An open trust store: the parsed file, changed in memory, saved once. */
struct trust_store {
	char path[PATH_MAX_BYTES];
	json_t *root;		/* {"format", "servers": [], "treasuries": []} */
	bool dirty;
};

/* ---- strings from anywhere: grammar first ---- */

/* A signer object {"name","key_type","pubkey"} into e; NULL `why` fields
 * are never printed raw: the caller names the place, this the field. */
const char *
signer_entry_parse(const treasury_verifier *v, json_t *j,
    struct signer_entry *e)
{
	const char *name = json_str(j, "name"), *type = json_str(j, "key_type");
	const char *pub = json_str(j, "pubkey");
	enum key_type kt;

	memset(e, 0, sizeof(*e));
	if (!json_is_object(j))
		return "is not an object";
	if (name == NULL || signer_name_check(name, strlen(name)) != TREASURY_OK)
		return "has no valid 'name' ([a-z0-9][a-z0-9_-]{0,31})";
	if (type == NULL || key_type_parse(type, strlen(type), &kt) !=
	    TREASURY_OK)
		return "has no valid 'key_type' (ecdsa or schnorr)";
	if (pub == NULL || signer_key_parse_hex(v, kt, pub, strlen(pub),
	    &e->key) != TREASURY_OK)
		return "has no valid 'pubkey' for its key type";
	memcpy(e->name, name, strlen(name) + 1);
	return NULL;
}

int
signer_set_from_json(struct ctl *c, json_t *signers, json_t *threshold,
    const char *where, struct signer_set *out)
{
	const char *why;
	json_t *j;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (!json_is_array(signers) || json_array_size(signers) < 1 ||
	    json_array_size(signers) > SIGNERS_PER_TREASURY_MAX)
		return refuse("%s: 'signers' is not a list of 1..%d signers",
		    where, SIGNERS_PER_TREASURY_MAX);
	if (!json_is_integer(threshold) || json_integer_value(threshold) < 1 ||
	    json_integer_value(threshold) > SIGNERS_PER_TREASURY_MAX)
		return refuse("%s: 'threshold' is not an integer 1..%d", where,
		    SIGNERS_PER_TREASURY_MAX);
	out->threshold = (unsigned)json_integer_value(threshold);
	json_array_foreach(signers, i, j) {
		why = signer_entry_parse(c->verifier, j, &out->signers[i]);
		if (why != NULL)
			return refuse("%s: signer %zu %s", where, i + 1, why);
		out->count++;
	}
	if (signer_set_check(out) != TREASURY_OK)
		return refuse("%s: the signer set is not valid (threshold above "
		    "the signer count, or a name or key twice)", where);
	return CTL_OK;
}

json_t *
signer_set_to_json(const struct signer_set *s)
{
	char pub[2 * ECDSA_PUBKEY_BYTES + 1];
	json_t *list = json_array();
	unsigned i;

	for (i = 0; list != NULL && i < s->count; i++) {
		hex_encode(pub, s->signers[i].key.bytes, s->signers[i].key.len);
		if (json_array_append_new(list, json_pack("{s:s, s:s, s:s}",
		    "name", s->signers[i].name, "key_type",
		    key_type_name(s->signers[i].key.type), "pubkey", pub)) != 0) {
			json_decref(list);
			return NULL;
		}
	}
	return list;
}

/* ---- a config: set + policy ---- */

/* The policy lines and digest of p for the set's M and N into pin. */
static int
pin_policy_set(struct pinned *pin, const struct treasury_policy *p)
{
	struct textbuf text;
	int rc = CTL_OK;

	if (&pin->policy != p)
		pin->policy = *p;
	textbuf_init(&text, CANONICAL_MAX_BYTES);
	if (policy_lines_append(&text, p, pin->set.threshold, pin->set.count) !=
	    TREASURY_OK || policy_digest_compute(pin->policy_digest, p,
	    pin->set.threshold, pin->set.count) != TREASURY_OK)
		rc = CTL_VERIFY;
	else if (text.len + 1 > sizeof(pin->policy_text))
		rc = CTL_VERIFY;
	else {
		memcpy(pin->policy_text, text.data, text.len);
		pin->policy_text[text.len] = '\0';
	}
	textbuf_free(&text);
	return rc;
}

/* Policy lines (as the server or the store has them) into pin, for the
 * set already in pin: they must decode, be for its M and N, and (when
 * digest_hex is not NULL) hash to that digest. */
static int
pin_policy_parse(struct pinned *pin, const char *text, const char *digest_hex,
    const char *where)
{
	struct treasury_policy *p;
	uint8_t want[DIGEST_BYTES];
	unsigned m = 0, n = 0;
	int rc = CTL_OK;

	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		ctl_err("out of memory");
		return CTL_ERROR;
	}
	if (text == NULL || policy_lines_decode(text, strlen(text), p, &m,
	    &n) != TREASURY_OK)
		rc = refuse("%s: the policy text does not decode", where);
	else if (m != pin->set.threshold || n != pin->set.count)
		rc = refuse("%s: the policy is for %u of %u signers, not for the"
		    " treasury's %u of %u", where, m, n, pin->set.threshold,
		    pin->set.count);
	else if (pin_policy_set(pin, p) != CTL_OK)
		rc = refuse("%s: the policy is not valid", where);
	else if (digest_hex != NULL && (strlen(digest_hex) != 2 * DIGEST_BYTES
	    || hex_decode(want, DIGEST_BYTES, digest_hex, strlen(digest_hex))
	    != TREASURY_OK || memcmp(want, pin->policy_digest,
	    DIGEST_BYTES) != 0))
		rc = refuse("%s: the policy digest is not the digest of the "
		    "policy text", where);
	free(p);
	return rc;
}

/* ---- the store file ---- */

static int
store_path(char *out, size_t size)
{
	return user_config_path(out, size, "TREASURYCTL_TRUST", "trust");
}

static int
store_damaged(const struct trust_store *s, const char *what)
{
	ctl_err("%s: the trust store is damaged (%s); nothing was trusted. "
	    "Move it away to start over: every server and treasury will be "
	    "shown for comparison again", s->path, what);
	return CTL_ERROR;
}

static int
store_open(struct trust_store *s)
{
	json_error_t jerr;
	char *text = NULL;
	size_t len;
	int rc;

	memset(s, 0, sizeof(*s));
	if (store_path(s->path, sizeof(s->path)) != 0) {
		ctl_err("no trust store path: set TREASURYCTL_TRUST or HOME");
		return CTL_USAGE;
	}
	if (access(s->path, F_OK) != 0) {
		s->root = json_pack("{s:s, s:[], s:[]}", "format", TRUST_FORMAT,
		    "servers", "treasuries");
		return s->root != NULL ? CTL_OK : CTL_ERROR;
	}
	rc = file_read_all(s->path, TRUST_STORE_MAX_BYTES, true, &text, &len);
	if (rc != CTL_OK)
		return rc;
	s->root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	free(text);
	if (s->root == NULL || !json_is_object(s->root))
		return store_damaged(s, "not JSON");
	if (json_str(s->root, "format") == NULL || strcmp(json_str(s->root,
	    "format"), TRUST_FORMAT) != 0 || !json_is_array(json_object_get(
	    s->root, "servers")) || !json_is_array(json_object_get(s->root,
	    "treasuries")))
		return store_damaged(s, "not a treasuryctl trust store v1");
	return CTL_OK;
}

static int
store_save(struct trust_store *s)
{
	char *text;
	int rc;

	if (!s->dirty)
		return CTL_OK;
	text = json_dumps(s->root, JSON_INDENT(1) | JSON_SORT_KEYS |
	    JSON_ENSURE_ASCII);
	if (text == NULL) {
		ctl_err("out of memory");
		return CTL_ERROR;
	}
	if (strlen(text) > TRUST_STORE_MAX_BYTES) {
		free(text);
		ctl_err("%s: the trust store would exceed %d bytes", s->path,
		    TRUST_STORE_MAX_BYTES);
		return CTL_ERROR;
	}
	rc = file_write_private(s->path, text, strlen(text), true);
	free(text);
	if (rc == CTL_OK)
		s->dirty = false;
	return rc;
}

static void
store_close(struct trust_store *s)
{
	json_decref(s->root);
	s->root = NULL;
}

static void
now_text(char out[TIMESTAMP_BYTES + 1])
{
	timestamp_format((int64_t)time(NULL), out);
}

/* ---- servers ---- */

static json_t *
server_find(struct trust_store *s, const char *url)
{
	json_t *e;
	size_t i;

	json_array_foreach(json_object_get(s->root, "servers"), i, e) {
		const char *u = json_str(e, "url");

		if (u != NULL && strcmp(u, url) == 0)
			return e;
	}
	return NULL;
}

/* Ask "yes" on the terminal unless --yes; without either, refuse. */
static int
first_use_confirm(struct ctl *c, const char *question)
{
	int rc;

	fflush(human_out());
	if (c->o.yes)
		return CTL_OK;
	rc = confirm_ask(question);
	if (rc == CTL_USAGE)
		return refuse("not pinned yet, and no terminal to ask on: "
		    "compare what is shown above out of band, then run again "
		    "with --yes");
	return rc;
}

/* The server's instance: GET /v1/info, 64 lower-case hex. */
static int
instance_fetch(struct ctl *c, uint8_t out[INSTANCE_ID_BYTES],
    char hex[2 * INSTANCE_ID_BYTES + 1])
{
	json_t *info = NULL;
	const char *inst;
	int rc;

	rc = http_call(c, "GET", "/v1/info", NULL, &info);
	if (rc != CTL_OK)
		return rc;
	inst = json_str(info, "instance");
	if (inst == NULL || strlen(inst) != 2 * INSTANCE_ID_BYTES ||
	    hex_decode(out, INSTANCE_ID_BYTES, inst, strlen(inst)) !=
	    TREASURY_OK)
		rc = refuse("the server's /v1/info has no valid instance id");
	else
		hex_encode(hex, out, INSTANCE_ID_BYTES);
	json_decref(info);
	return rc;
}

static int
instance_check(struct ctl *c, struct trust_store *s,
    uint8_t instance[INSTANCE_ID_BYTES])
{
	char hex[2 * INSTANCE_ID_BYTES + 1], ts[TIMESTAMP_BYTES + 1];
	json_t *e;
	const char *pinned;
	int rc;

	rc = instance_fetch(c, instance, hex);
	if (rc != CTL_OK)
		return rc;
	e = server_find(s, c->url);
	if (e != NULL) {
		pinned = json_str(e, "instance");
		if (pinned == NULL)
			return store_damaged(s, "a server without instance");
		if (strcmp(pinned, hex) != 0)
			return refuse("server %s was pinned as instance %s but now"
			    " says it is instance %s: a different daemon (or a "
			    "man in the middle) answers at this URL. If the "
			    "operator really replaced it, compare the new "
			    "instance out of band and run 'treasuryctl trust "
			    "forget-server'", c->url, pinned, hex);
		return CTL_OK;
	}
	say(human_out(), "NEW SERVER: %s is instance %s\n"
	    "  Compare this instance id with your operator out of band.\n",
	    c->url, hex);
	rc = first_use_confirm(c, "Pin this server's instance?");
	if (rc != CTL_OK)
		return rc;
	now_text(ts);
	if (json_array_append_new(json_object_get(s->root, "servers"),
	    json_pack("{s:s, s:s, s:s}", "url", c->url, "instance", hex,
	    "pinned_at", ts)) != 0)
		return CTL_ERROR;
	s->dirty = true;
	return CTL_OK;
}

/* ---- treasuries ---- */

static json_t *
treasury_entry(struct trust_store *s, const char *instance_hex,
    const char *treasury, bool create)
{
	json_t *list = json_object_get(s->root, "treasuries"), *e;
	size_t i;

	json_array_foreach(list, i, e) {
		const char *in = json_str(e, "instance"), *t = json_str(e,
		    "treasury");

		if (in != NULL && t != NULL && strcmp(in, instance_hex) == 0 &&
		    strcmp(t, treasury) == 0)
			return e;
	}
	if (!create)
		return NULL;
	e = json_pack("{s:s, s:s, s:[]}", "instance", instance_hex, "treasury",
	    treasury, "versions");
	if (e == NULL || json_array_append_new(list, e) != 0)
		return NULL;
	return e;
}

/* A pinned version from the store into pin (checked as strictly as what
 * the server sends: the store is a file anyone with the user's rights
 * could have edited). */
static int
version_load(struct ctl *c, struct trust_store *s, json_t *v,
    struct pinned *pin)
{
	json_t *cv = json_object_get(v, "config_version");
	char where[PATH_MAX_BYTES + 32];

	snprintf(where, sizeof(where), "trust store %s", s->path);
	memset(pin, 0, sizeof(*pin));
	if (!json_is_integer(cv) || json_integer_value(cv) < 1)
		return store_damaged(s, "a version without config_version");
	pin->config_version = (uint64_t)json_integer_value(cv);
	if (signer_set_from_json(c, json_object_get(v, "signers"),
	    json_object_get(v, "threshold"), where, &pin->set) != CTL_OK ||
	    pin_policy_parse(pin, json_str(v, "policy"), json_str(v,
	    "policy_digest"), where) != CTL_OK)
		return store_damaged(s, "a version that does not check");
	return CTL_OK;
}

static json_t *
version_to_json(const struct pinned *pin, const char *source)
{
	char digest[2 * DIGEST_BYTES + 1], ts[TIMESTAMP_BYTES + 1];
	json_t *signers = signer_set_to_json(&pin->set);

	if (signers == NULL)
		return NULL;
	hex_encode(digest, pin->policy_digest, DIGEST_BYTES);
	now_text(ts);
	return json_pack("{s:I, s:I, s:o, s:s, s:s, s:s, s:s}",
	    "config_version", (json_int_t)pin->config_version,
	    "threshold", (json_int_t)pin->set.threshold, "signers", signers,
	    "policy", pin->policy_text, "policy_digest", digest,
	    "source", source, "pinned_at", ts);
}

/* Record pin as the treasury's newest version (keeping the last
 * TRUST_VERSIONS_KEPT). */
static int
version_add(struct trust_store *s, json_t *entry, const struct pinned *pin,
    const char *source)
{
	json_t *versions = json_object_get(entry, "versions");
	json_t *v = version_to_json(pin, source);

	if (v == NULL || json_array_append_new(versions, v) != 0) {
		ctl_err("out of memory");
		return CTL_ERROR;
	}
	while (json_array_size(versions) > TRUST_VERSIONS_KEPT)
		(void)json_array_remove(versions, 0);
	s->dirty = true;
	return CTL_OK;
}

/* ---- what the server says now ---- */

/* GET /v1/treasuries/{t} and its policy into cur, strictly checked. */
static int
server_config_fetch(struct ctl *c, const char *treasury, struct pinned *cur)
{
	char path[96], where[64];
	json_t *t = NULL, *pol = NULL, *cv;
	int rc;

	memset(cur, 0, sizeof(*cur));
	snprintf(where, sizeof(where), "the server's treasury %s", treasury);
	snprintf(path, sizeof(path), "/v1/treasuries/%s", treasury);
	rc = http_call(c, "GET", path, NULL, &t);
	if (rc != CTL_OK)
		return rc;
	cv = json_object_get(t, "config_version");
	if (json_str(t, "id") == NULL || strcmp(json_str(t, "id"),
	    treasury) != 0)
		rc = refuse("%s: the answer is for another treasury", where);
	else if (!json_is_integer(cv) || json_integer_value(cv) < 1)
		rc = refuse("%s: no valid config_version", where);
	else {
		cur->config_version = (uint64_t)json_integer_value(cv);
		rc = signer_set_from_json(c, json_object_get(t, "signers"),
		    json_object_get(t, "threshold"), where, &cur->set);
	}
	snprintf(path, sizeof(path), "/v1/treasuries/%s/policy", treasury);
	if (rc == CTL_OK)
		rc = http_call(c, "GET", path, NULL, &pol);
	if (rc == CTL_OK && (!json_is_integer(json_object_get(pol,
	    "config_version")) || (uint64_t)json_integer_value(
	    json_object_get(pol, "config_version")) != cur->config_version))
		rc = refuse("%s: the policy is for another config version "
		    "(changed while read? try again)", where);
	if (rc == CTL_OK)
		rc = pin_policy_parse(cur, json_str(pol, "text"), json_str(pol,
		    "digest"), where);
	json_decref(t);
	json_decref(pol);
	return rc;
}

/* ---- showing a config ---- */

static void
config_show(const struct pinned *pin, const char *indent)
{
	char pub[2 * ECDSA_PUBKEY_BYTES + 1], digest[2 * DIGEST_BYTES + 1];
	unsigned i;

	say(human_out(), "%sconfig version %llu: threshold %u of %u signers\n",
	    indent, (unsigned long long)pin->config_version,
	    pin->set.threshold, pin->set.count);
	for (i = 0; i < pin->set.count; i++) {
		hex_encode(pub, pin->set.signers[i].key.bytes,
		    pin->set.signers[i].key.len);
		say(human_out(), "%s  %-20s %-8s %s\n", indent,
		    pin->set.signers[i].name,
		    key_type_name(pin->set.signers[i].key.type), pub);
	}
	hex_encode(digest, pin->policy_digest, DIGEST_BYTES);
	say(human_out(), "%spolicy digest %s\n", indent, digest);
}

/* Say how the server's config differs from the pinned one. */
static void
config_diff_print(const struct pinned *pinned, const struct pinned *server)
{
	const struct signer_set *a = &pinned->set, *b = &server->set;
	char pub[2 * ECDSA_PUBKEY_BYTES + 1];
	unsigned i;
	int j;

	if (a->threshold != b->threshold || a->count != b->count)
		say(stderr, "  threshold: pinned %u of %u, server says %u of %u\n",
		    a->threshold, a->count, b->threshold, b->count);
	for (i = 0; i < a->count; i++) {
		j = signer_set_find_name(b, a->signers[i].name);
		hex_encode(pub, a->signers[i].key.bytes, a->signers[i].key.len);
		if (j < 0)
			say(stderr, "  signer %s (%s): pinned, missing on the "
			    "server\n", a->signers[i].name, pub);
		else if (a->signers[i].key.len != b->signers[j].key.len ||
		    memcmp(a->signers[i].key.bytes, b->signers[j].key.bytes,
		    a->signers[i].key.len) != 0)
			say(stderr, "  signer %s: pinned key %s, the server shows "
			    "another key\n", a->signers[i].name, pub);
	}
	for (i = 0; i < b->count; i++)
		if (signer_set_find_name(a, b->signers[i].name) < 0) {
			hex_encode(pub, b->signers[i].key.bytes,
			    b->signers[i].key.len);
			say(stderr, "  signer %s (%s): on the server, not "
			    "pinned\n", b->signers[i].name, pub);
		}
	if (memcmp(pinned->policy_digest, server->policy_digest,
	    DIGEST_BYTES) != 0)
		say(stderr, "  policy: the server's policy is not the pinned "
		    "policy\n");
}

static bool
config_equal(const struct pinned *a, const struct pinned *b)
{
	return a->config_version == b->config_version &&
	    signer_set_equal(&a->set, &b->set) &&
	    memcmp(a->policy_digest, b->policy_digest, DIGEST_BYTES) == 0;
}

/* ---- advancing through verified config changes ---- */

int
bundle_verify(struct ctl *c, json_t *bundle, const uint8_t id[PROPOSAL_ID_BYTES],
    const uint8_t instance[INSTANCE_ID_BYTES], const struct pinned *pin,
    struct proposal_fields *f, struct bundle_approvers *who)
{
	uint8_t got[PROPOSAL_ID_BYTES], digest[DIGEST_BYTES];
	uint8_t sig[SIG_DER_MAX_BYTES];
	bool used[SIGNERS_PER_TREASURY_MAX] = { false };
	json_t *canon = json_object_get(bundle, "canonical"), *a;
	struct signer_entry e;
	const char *hex;
	size_t i, sig_len;
	unsigned need;
	int k;

	memset(who, 0, sizeof(*who));
	if (!json_is_string(canon))
		return refuse("the bundle has no canonical text");
	proposal_id_compute(got, json_string_value(canon),
	    json_string_length(canon));
	if (sodium_memcmp(got, id, PROPOSAL_ID_BYTES) != 0)
		return refuse("the bundle's canonical text does not hash to its"
		    " proposal id");
	if (canonical_decode_checked(c, json_string_value(canon),
	    json_string_length(canon), f) != CTL_OK)
		return CTL_VERIFY;
	if (memcmp(f->instance, instance, INSTANCE_ID_BYTES) != 0)
		return refuse("the bundle's proposal is for another instance");
	if (f->config_version != pin->config_version)
		return refuse("the bundle's proposal is for config version %llu,"
		    " not %llu", (unsigned long long)f->config_version,
		    (unsigned long long)pin->config_version);
	vote_digest_compute(digest, id, VOTE_APPROVE);
	need = policy_base_threshold(&pin->policy, proposal_kind_track(f->kind),
	    pin->set.threshold);
	json_array_foreach(json_object_get(bundle, "approvals"), i, a) {
		if (i >= 2 * SIGNERS_PER_TREASURY_MAX)
			break;
		hex = json_str(a, "signature");
		if (json_str(a, "signer") == NULL || hex == NULL ||
		    hex_decode_var(sig, sizeof(sig), &sig_len, hex,
		    strlen(hex)) != TREASURY_OK)
			continue;
		k = signer_set_find_name(&pin->set, json_str(a, "signer"));
		if (k < 0 || used[k])
			continue;
		e = pin->set.signers[k];	/* the PINNED key, not the bundle's */
		if (vote_signature_verify(c->verifier, &e.key, digest, sig,
		    sig_len) != TREASURY_OK)
			continue;
		used[k] = true;
		memcpy(who->names[who->count++], e.name, sizeof(e.name));
	}
	if (who->count < need)
		return refuse("the bundle has %u valid approvals by pinned keys "
		    "of config version %llu; it needs %u", who->count,
		    (unsigned long long)pin->config_version, need);
	return CTL_OK;
}

/* Executed config changes of the treasury, as (config_version, id). */
static int
config_changes_list(struct ctl *c, const char *treasury, json_t **out)
{
	char path[128];

	snprintf(path, sizeof(path), "/v1/treasuries/%s/proposals?status="
	    "executed", treasury);
	return http_get_all(c, path, "proposals", out);
}

/* From pin (version v) to version v + 1 through an executed config change
 * of version v whose bundle verifies. */
static int
advance_one(struct ctl *c, json_t *changes, const uint8_t instance[32],
    struct pinned *pin, char source[96])
{
	struct proposal_fields *f;
	struct bundle_approvers who;
	uint8_t id[PROPOSAL_ID_BYTES];
	char path[128];
	json_t *p, *bundle;
	size_t i;
	int rc = CTL_VERIFY;
	enum proposal_kind kind;
	unsigned tried = 0;

	f = calloc(1, sizeof(*f));
	if (f == NULL)
		return CTL_ERROR;
	json_array_foreach(changes, i, p) {
		const char *jid = json_str(p, "id"), *k = json_str(p, "kind");
		json_t *cv = json_object_get(p, "config_version");

		/* the JSON only picks candidates: the bundle's text decides */
		if (jid == NULL || strlen(jid) != 2 * PROPOSAL_ID_BYTES ||
		    hex_decode(id, sizeof(id), jid, strlen(jid)) != TREASURY_OK ||
		    !json_is_integer(cv) || (uint64_t)json_integer_value(cv) !=
		    pin->config_version || k == NULL || proposal_kind_parse(k,
		    strlen(k), &kind) != TREASURY_OK ||
		    !proposal_kind_is_config(kind))
			continue;
		if (tried++ == TRUST_CANDIDATES_MAX)
			break;
		snprintf(path, sizeof(path), "/v1/proposals/%s/bundle", jid);
		bundle = NULL;
		rc = http_call(c, "GET", path, NULL, &bundle);
		if (rc == CTL_OK)
			rc = bundle_verify(c, bundle, id, instance, pin, f, &who);
		json_decref(bundle);
		if (rc == CTL_OK && !proposal_kind_is_config(f->kind))
			rc = CTL_VERIFY;	/* a spend: not what we look for */
		if (rc != CTL_OK)
			continue;
		if (signer_set_apply(&pin->set, f) != TREASURY_OK) {
			rc = refuse("the verified config change %.16s... does not"
			    " apply to the pinned signer set", jid);
			break;
		}
		if (pin_policy_set(pin, f->kind == KIND_SET_POLICY ?
		    &f->policy : &pin->policy) != CTL_OK) {
			rc = refuse("the verified config change %.16s... leaves "
			    "an invalid policy", jid);
			break;
		}
		pin->config_version++;
		snprintf(source, 96, "proposal %s", jid);
		say(human_out(), "pinned config of treasury %s advanced to "
		    "version %llu: %s %.16s... verified (%u approvals by pinned "
		    "keys)\n", f->treasury,
		    (unsigned long long)pin->config_version,
		    proposal_kind_name(f->kind), jid, who.count);
		rc = CTL_OK;
		break;
	}
	free(f);
	return rc;
}

/* Advance the newest pin (in pin) to the server's version (cur), pinning
 * each verified step. */
static int
advance(struct ctl *c, struct trust_store *s, json_t *entry,
    const char *treasury, const uint8_t instance[32], struct pinned *pin,
    const struct pinned *cur)
{
	char source[96];
	json_t *changes = NULL;
	uint64_t from = pin->config_version;
	int rc;

	if (cur->config_version - from > TRUST_ADVANCE_MAX_STEPS)
		return refuse("treasury %s moved from pinned config version %llu"
		    " to %llu: more than %d changes to verify", treasury,
		    (unsigned long long)from,
		    (unsigned long long)cur->config_version,
		    TRUST_ADVANCE_MAX_STEPS);
	rc = config_changes_list(c, treasury, &changes);
	while (rc == CTL_OK && pin->config_version < cur->config_version) {
		rc = advance_one(c, changes, instance, pin, source);
		if (rc == CTL_VERIFY)
			rc = refuse("the server says treasury %s is at config "
			    "version %llu, but no executed config change of "
			    "version %llu verifies against the pinned signers",
			    treasury, (unsigned long long)cur->config_version,
			    (unsigned long long)pin->config_version);
		if (rc == CTL_OK)
			rc = version_add(s, entry, pin, source);
	}
	json_decref(changes);
	if (rc == CTL_OK && !config_equal(pin, cur)) {
		say(stderr, "treasuryctl: the server's config version %llu of "
		    "treasury %s is not what the verified changes make:\n",
		    (unsigned long long)cur->config_version, treasury);
		config_diff_print(pin, cur);
		rc = refuse("the server's signer set or policy differs from "
		    "the verified one");
	}
	return rc;
}

static int
first_sight(struct ctl *c, struct trust_store *s, const char *instance_hex,
    const char *treasury, const struct pinned *cur)
{
	json_t *entry;
	int rc;

	say(human_out(), "NEW TREASURY: %s on instance %s, not pinned yet.\n",
	    treasury, instance_hex);
	config_show(cur, "  ");
	say(human_out(), "  policy lines:\n");
	say_lines(human_out(), "    ", cur->policy_text);
	say(human_out(), "  Compare the signer keys, the threshold and the "
	    "policy digest with your co-signers out of band.\n");
	rc = first_use_confirm(c, "Pin this treasury's signers and policy?");
	if (rc != CTL_OK)
		return rc;
	entry = treasury_entry(s, instance_hex, treasury, true);
	if (entry == NULL)
		return CTL_ERROR;
	return version_add(s, entry, cur, "first use");
}

int
trust_context(struct ctl *c, const char *treasury, struct trust_ctx *out)
{
	struct trust_store s;
	struct pinned *cur = NULL;
	char hex[2 * INSTANCE_ID_BYTES + 1];
	json_t *entry, *versions;
	int rc;

	memset(out, 0, sizeof(*out));
	out->pin = calloc(1, sizeof(*out->pin));
	cur = calloc(1, sizeof(*cur));
	if (out->pin == NULL || cur == NULL) {
		free(cur);
		ctl_err("out of memory");
		return CTL_ERROR;
	}
	rc = store_open(&s);
	if (rc == CTL_OK)
		rc = instance_check(c, &s, out->instance);
	if (rc == CTL_OK)
		rc = server_config_fetch(c, treasury, cur);
	if (rc != CTL_OK)
		goto done;
	hex_encode(hex, out->instance, INSTANCE_ID_BYTES);
	entry = treasury_entry(&s, hex, treasury, false);
	versions = json_object_get(entry, "versions");
	if (entry == NULL || json_array_size(versions) == 0) {
		rc = first_sight(c, &s, hex, treasury, cur);
		*out->pin = *cur;
		goto done;
	}
	rc = version_load(c, &s, json_array_get(versions,
	    json_array_size(versions) - 1), out->pin);
	if (rc != CTL_OK)
		goto done;
	if (cur->config_version < out->pin->config_version)
		rc = refuse("the server says treasury %s is at config version "
		    "%llu, older than the pinned version %llu: a rollback is "
		    "never accepted", treasury,
		    (unsigned long long)cur->config_version,
		    (unsigned long long)out->pin->config_version);
	else if (cur->config_version > out->pin->config_version)
		rc = advance(c, &s, entry, treasury, out->instance, out->pin,
		    cur);
	else if (!config_equal(out->pin, cur)) {
		say(stderr, "treasuryctl: treasury %s at config version %llu "
		    "differs from what you pinned:\n", treasury,
		    (unsigned long long)cur->config_version);
		config_diff_print(out->pin, cur);
		rc = refuse("the server's signer set or policy is not the "
		    "pinned one");
	}
done:
	if (rc == CTL_OK)
		rc = store_save(&s);
	store_close(&s);
	free(cur);
	if (rc != CTL_OK)
		trust_ctx_free(out);
	return rc;
}

void
trust_ctx_free(struct trust_ctx *t)
{
	free(t->pin);
	t->pin = NULL;
}

/* ---- treasuryctl trust ... ---- */

/* The newest pinned version of a treasury of instance_hex, or the one
 * of config version cv (cv != 0). Returns CTL_OK, or CTL_VERIFY with the
 * reason printed when it is not pinned. */
static int
version_find(struct ctl *c, struct trust_store *s, const char *instance_hex,
    const char *treasury, uint64_t cv, struct pinned *pin)
{
	json_t *entry = treasury_entry(s, instance_hex, treasury, false), *v;
	json_t *versions = json_object_get(entry, "versions");
	size_t i;

	json_array_foreach(versions, i, v) {
		json_t *n = json_object_get(v, "config_version");

		if ((cv == 0 && i + 1 == json_array_size(versions)) ||
		    (json_is_integer(n) && (uint64_t)json_integer_value(n) == cv))
			return version_load(c, s, v, pin);
	}
	if (cv == 0)
		return refuse("treasury %s of instance %.16s... is not pinned",
		    treasury, instance_hex);
	return refuse("config version %llu of treasury %s is not in the trust "
	    "store (it keeps the last %d versions)", (unsigned long long)cv,
	    treasury, TRUST_VERSIONS_KEPT);
}

int
cmd_trust_show(struct ctl *c)
{
	struct trust_ctx t;
	char inst[2 * INSTANCE_ID_BYTES + 1], path[PATH_MAX_BYTES];
	int rc;

	rc = trust_context(c, c->o.argv[0], &t);
	if (rc != CTL_OK)
		return rc;
	hex_encode(inst, t.instance, INSTANCE_ID_BYTES);
	if (store_path(path, sizeof(path)) != 0)
		path[0] = '\0';
	say(human_out(), "Trust store %s\nserver %s: instance %s (pinned)\n"
	    "treasury %s (pinned, current on the server):\n", path, c->url,
	    inst, c->o.argv[0]);
	config_show(t.pin, "  ");
	say(human_out(), "  policy lines:\n");
	say_lines(human_out(), "    ", t.pin->policy_text);
	trust_ctx_free(&t);
	return CTL_OK;
}

int
cmd_trust_list(struct ctl *c)
{
	struct trust_store s;
	json_t *e, *v;
	size_t i;
	int rc;

	rc = store_open(&s);
	if (rc == CTL_OK && c->o.json)
		json_print(s.root);
	else if (rc == CTL_OK) {
		say(human_out(), "Trust store %s\nservers:\n", s.path);
		json_array_foreach(json_object_get(s.root, "servers"), i, e) {
			say(human_out(), "  %s  instance %s  since %s\n",
			    json_str(e, "url") ? json_str(e, "url") : "?",
			    json_str(e, "instance") ? json_str(e, "instance") :
			    "?", json_str(e, "pinned_at") ? json_str(e,
			    "pinned_at") : "?");
		}
		say(human_out(), "treasuries (newest pinned version):\n");
		json_array_foreach(json_object_get(s.root, "treasuries"), i, e) {
			v = json_array_get(json_object_get(e, "versions"),
			    json_array_size(json_object_get(e, "versions")) - 1);
			say(human_out(), "  %s on instance %.16s...  config %lld, "
			    "from %s\n", json_str(e, "treasury") ? json_str(e,
			    "treasury") : "?", json_str(e, "instance") ?
			    json_str(e, "instance") : "?", (long long)
			    json_integer_value(json_object_get(v,
			    "config_version")), json_str(v, "source") ?
			    json_str(v, "source") : "?");
		}
	}
	store_close(&s);
	return rc;
}

/* Remove the server's pin (forget-server) or a treasury's pins of the
 * instance pinned for this server (forget TREASURY). Local only. */
static int
trust_forget(struct ctl *c, bool server)
{
	struct trust_store s;
	json_t *e, *list;
	const char *inst;
	size_t i;
	int rc, found = 0;

	rc = store_open(&s);
	if (rc != CTL_OK)
		goto done;
	e = server_find(&s, c->url);
	inst = json_str(e, "instance");
	list = json_object_get(s.root, server ? "servers" : "treasuries");
	json_array_foreach(list, i, e) {
		if (server ? json_str(e, "url") != NULL && strcmp(json_str(e,
		    "url"), c->url) == 0 : inst != NULL && json_str(e,
		    "instance") != NULL && strcmp(json_str(e, "instance"),
		    inst) == 0 && strcmp(json_str(e, "treasury") ?
		    json_str(e, "treasury") : "", c->o.argv[0]) == 0) {
			(void)json_array_remove(list, i);
			found = 1;
			s.dirty = true;
			break;
		}
	}
	if (!found) {
		ctl_err("nothing pinned for %s%s%s", server ? "server " :
		    "treasury ", server ? c->url : c->o.argv[0], server ? "" :
		    " at this server's instance");
		rc = CTL_ERROR;
		goto done;
	}
	rc = store_save(&s);
	if (rc == CTL_OK)
		say(human_out(), "forgotten: %s will be shown for comparison "
		    "and asked again on next use\n", server ? c->url :
		    c->o.argv[0]);
done:
	store_close(&s);
	return rc;
}

int
cmd_trust_forget(struct ctl *c)
{
	return trust_forget(c, false);
}

int
cmd_trust_forget_server(struct ctl *c)
{
	return trust_forget(c, true);
}

/* ---- treasuryctl bundle ---- */

/* Verify a bundle (from the server or a file) against the pinned config
 * of its version, found by the instance and treasury of its own text. */
static int
bundle_check(struct ctl *c, json_t *bundle, struct proposal_fields *f)
{
	struct trust_store s;
	struct bundle_approvers who;
	struct pinned *pin = NULL;
	uint8_t id[PROPOSAL_ID_BYTES];
	char inst[2 * INSTANCE_ID_BYTES + 1];
	json_t *canon = json_object_get(bundle, "canonical");
	const char *jid = json_str(bundle, "id");
	unsigned i;
	int rc;

	if (jid == NULL || strlen(jid) != 2 * PROPOSAL_ID_BYTES ||
	    hex_decode(id, sizeof(id), jid, strlen(jid)) != TREASURY_OK ||
	    !json_is_string(canon))
		return refuse("the bundle has no valid id or canonical text");
	rc = canonical_decode_checked(c, json_string_value(canon),
	    json_string_length(canon), f);
	if (rc != CTL_OK)
		return rc;
	hex_encode(inst, f->instance, INSTANCE_ID_BYTES);
	pin = calloc(1, sizeof(*pin));
	rc = pin != NULL ? store_open(&s) : CTL_ERROR;
	if (rc != CTL_OK) {
		free(pin);
		return rc;
	}
	rc = version_find(c, &s, inst, f->treasury, f->config_version, pin);
	if (rc == CTL_OK)
		rc = bundle_verify(c, bundle, id, f->instance, pin, f, &who);
	if (rc == CTL_OK) {
		proposal_print(c, f, jid, pin, NULL, NULL);
		say(human_out(), "\nBUNDLE VERIFIED: executed with %u approvals "
		    "by pinned keys of config version %llu (%u needed):",
		    who.count, (unsigned long long)pin->config_version,
		    policy_base_threshold(&pin->policy, proposal_kind_track(
		    f->kind), pin->set.threshold));
		for (i = 0; i < who.count; i++)
			say(human_out(), " %s", who.names[i]);
		say(human_out(), "\n");
	}
	store_close(&s);
	free(pin);
	return rc;
}

int
cmd_bundle(struct ctl *c)
{
	struct proposal_fields *f;
	uint8_t id[PROPOSAL_ID_BYTES];
	json_error_t jerr;
	json_t *bundle = NULL;
	char path[128], hex[2 * PROPOSAL_ID_BYTES + 1], *text = NULL;
	size_t len;
	int rc;

	if ((c->o.argc == 0) == (c->o.file == NULL)) {
		ctl_err("bundle takes an ID (download) or --file FILE (offline)");
		return CTL_USAGE;
	}
	f = calloc(1, sizeof(*f));
	if (f == NULL)
		return CTL_ERROR;
	if (c->o.file != NULL) {
		rc = file_read_all(c->o.file, BUNDLE_MAX_BYTES, false, &text,
		    &len);
		bundle = rc == CTL_OK ? json_loadb(text, len,
		    JSON_REJECT_DUPLICATES, &jerr) : NULL;
		if (rc == CTL_OK && !json_is_object(bundle)) {
			ctl_err("%s: not a bundle (JSON object)", c->o.file);
			rc = CTL_USAGE;
		}
	} else {
		rc = proposal_id_arg(c, c->o.argv[0], id);
		hex_encode(hex, id, sizeof(id));
		snprintf(path, sizeof(path), "/v1/proposals/%s/bundle", hex);
		if (rc == CTL_OK)
			rc = http_call(c, "GET", path, NULL, &bundle);
		if (rc == CTL_OK && (json_str(bundle, "id") == NULL ||
		    strcmp(json_str(bundle, "id"), hex) != 0))
			rc = refuse("the server sent the bundle of another "
			    "proposal");
	}
	if (rc == CTL_OK)
		rc = bundle_check(c, bundle, f);
	if (rc == CTL_OK && c->o.out != NULL) {
		free(text);
		text = json_dumps(bundle, JSON_INDENT(1) | JSON_SORT_KEYS |
		    JSON_ENSURE_ASCII);
		rc = text != NULL ? file_write_private(c->o.out, text,
		    strlen(text), true) : CTL_ERROR;
		if (rc == CTL_OK)
			say(human_out(), "saved to %s\n", c->o.out);
	}
	free(text);
	free(f);
	json_decref(bundle);
	return rc;
}
