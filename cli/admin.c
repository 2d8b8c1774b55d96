/*
 * admin.c: the administrator's commands, so that setting up a treasury
 * needs no curl:
 *
 *   asset create --code C --decimals D --chain CH       POST /v1/assets
 *   treasury create ID --threshold M --file signers.jsonl [--name NAME]
 *       [--policy policy.json]                          POST /v1/treasuries
 *
 * signers.jsonl holds the `treasuryctl key export-public` objects
 * ({"name","key_type","pubkey"}) one after the other (one per line, or as
 * that command prints them); every one is checked here (grammar, key on
 * the curve, no name or key twice) and errors name file:line.
 * What is printed is what was sent; the server's answer must echo it
 * (signer set and threshold; the stored policy's lines, with --policy),
 * else exit 5.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "treasury/canonical.h"
#include "treasury/hex.h"
#include "treasury/signer_set.h"

enum { SIGNERS_FILE_MAX_BYTES = 64 * 1024 };

/* ---- asset create ---- */

/* A decimal 0..ASSET_DECIMALS_MAX. */
static int
decimals_arg(const char *s, unsigned *out)
{
	char *end;
	long v;

	errno = 0;
	v = s != NULL ? strtol(s, &end, 10) : -1;
	if (s == NULL || errno != 0 || end == s || *end != '\0' || v < 0 ||
	    v > ASSET_DECIMALS_MAX) {
		ctl_err("--decimals must be an integer 0..%d", ASSET_DECIMALS_MAX);
		return CTL_USAGE;
	}
	*out = (unsigned)v;
	return CTL_OK;
}

static int
asset_args_check(struct ctl *c, unsigned *decimals)
{
	if (c->o.code == NULL || asset_code_check(c->o.code,
	    strlen(c->o.code)) != TREASURY_OK) {
		ctl_err("--code must be an asset code "
		    "[A-Za-z0-9][A-Za-z0-9._-]{0,31}");
		return CTL_USAGE;
	}
	if (c->o.chain == NULL || chain_check(c->o.chain, strlen(c->o.chain))
	    != TREASURY_OK) {
		ctl_err("--chain must be 1..%d of [a-z0-9._-]", CHAIN_MAX_BYTES);
		return CTL_USAGE;
	}
	return decimals_arg(c->o.decimals, decimals);
}

int
cmd_asset_create(struct ctl *c)
{
	json_t *body = NULL, *answer = NULL;
	unsigned decimals;
	const char *code, *chain;
	int rc;

	rc = asset_args_check(c, &decimals);
	if (rc != CTL_OK)
		return rc;
	body = json_pack("{s:s, s:i, s:s}", "code", c->o.code, "decimals",
	    (int)decimals, "chain", c->o.chain);
	rc = body != NULL ? http_call(c, "POST", "/v1/assets", body, &answer) :
	    CTL_ERROR;
	code = json_str(answer, "code");
	chain = json_str(answer, "chain");
	if (rc == CTL_OK && (code == NULL || strcmp(code, c->o.code) != 0 ||
	    chain == NULL || strcmp(chain, c->o.chain) != 0 ||
	    json_integer_value(json_object_get(answer, "decimals")) !=
	    (json_int_t)decimals || !json_is_integer(json_object_get(answer,
	    "decimals")))) {
		ctl_err("REFUSED: the server's answer is not the asset you "
		    "created (%s, %u decimals, chain %s)", c->o.code, decimals,
		    c->o.chain);
		rc = CTL_VERIFY;
	}
	if (rc == CTL_OK && c->o.json)
		json_print(answer);
	else if (rc == CTL_OK)
		say(stdout, "asset created: %s, %u decimals, chain %s\n",
		    c->o.code, decimals, c->o.chain);
	json_decref(body);
	json_decref(answer);
	return rc;
}

/* ---- treasury create: the signers file ---- */

/* Add line's signer to set unless its name or key is there already;
 * lines[] remembers where each came from. */
static const char *
signer_add(struct signer_set *set, unsigned lines[], unsigned lineno,
    const struct signer_entry *e, unsigned *first)
{
	int k = signer_set_find_name(set, e->name);

	if (k < 0)
		k = signer_set_find_key(set, e->key.x);
	if (k >= 0) {
		*first = lines[k];
		return strcmp(set->signers[k].name, e->name) == 0 ?
		    "repeats the signer name of line" :
		    "repeats the key of line";
	}
	if (set->count == SIGNERS_PER_TREASURY_MAX)
		return "is one signer too many (at most 32)";
	lines[set->count] = lineno;
	set->signers[set->count++] = *e;
	return NULL;
}

/* Skip white space and '#' comment lines from text[*pos]. */
static void
blank_skip(const char *text, size_t len, size_t *pos)
{
	while (*pos < len) {
		if (text[*pos] == '#')
			while (*pos < len && text[*pos] != '\n')
				(*pos)++;
		else if (text[*pos] == ' ' || text[*pos] == '\t' ||
		    text[*pos] == '\r' || text[*pos] == '\n')
			(*pos)++;
		else
			break;
	}
}

static unsigned
line_of(const char *text, size_t pos)
{
	unsigned line = 1;
	size_t i;

	for (i = 0; i < pos; i++)
		line += text[i] == '\n';
	return line;
}

/* The JSON objects of text, one after the other (one per line as in
 * JSON Lines, or as `key export-public` prints them, indented), '#'
 * lines being comments, into set; errors reported as path:line. */
static int
signers_parse(struct ctl *c, const char *path, const char *text, size_t len,
    struct signer_set *set)
{
	unsigned lines[SIGNERS_PER_TREASURY_MAX], first;
	struct signer_entry e;
	json_error_t jerr;
	const char *why;
	size_t pos = 0;
	json_t *j;
	int rc = CTL_OK;

	for (blank_skip(text, len, &pos); pos < len; blank_skip(text, len,
	    &pos)) {
		j = json_loadb(text + pos, len - pos, JSON_DISABLE_EOF_CHECK |
		    JSON_REJECT_DUPLICATES, &jerr);
		if (j == NULL) {
			ctl_err("%s:%u: not JSON: %s", path, line_of(text, pos) +
			    (unsigned)jerr.line - 1, jerr.text);
			return CTL_USAGE;
		}
		first = 0;
		why = signer_entry_parse(c->verifier, j, &e);
		if (why == NULL && json_object_size(j) != 3)
			why = "has members other than name, key_type and pubkey";
		json_decref(j);
		if (why == NULL)
			why = signer_add(set, lines, line_of(text, pos), &e,
			    &first);
		if (why != NULL && first != 0)
			ctl_err("%s:%u: the signer %s %u", path, line_of(text,
			    pos), why, first);
		else if (why != NULL)
			ctl_err("%s:%u: the signer %s", path, line_of(text, pos),
			    why);
		if (why != NULL)
			rc = CTL_USAGE;
		pos += jerr.position;
	}
	if (rc == CTL_OK && set->count == 0) {
		ctl_err("%s: no signer", path);
		rc = CTL_USAGE;
	}
	return rc;
}

static int
signers_file_read(struct ctl *c, const char *path, struct signer_set *set)
{
	char *text = NULL;
	size_t len;
	int rc;

	memset(set, 0, sizeof(*set));
	rc = file_read_text(path, SIGNERS_FILE_MAX_BYTES, false, &text, &len);
	if (rc == CTL_OK)
		rc = signers_parse(c, path, text, len, set);
	free(text);
	return rc;
}

/* ---- treasury create: the request and its answer ---- */

static int
treasury_args_check(struct ctl *c, struct signer_set *set, json_t **policy)
{
	const char *t = c->o.argv[0];
	int rc;

	*policy = NULL;
	if (treasury_id_check(t, strlen(t)) != TREASURY_OK) {
		ctl_err("'%s' is not a treasury id [a-z0-9][a-z0-9_-]{0,31}", t);
		return CTL_USAGE;
	}
	if (c->o.name != NULL && treasury_name_check(c->o.name,
	    strlen(c->o.name)) != TREASURY_OK) {
		ctl_err("--name must be 1..%d bytes of text without control or "
		    "invisible characters", TREASURY_NAME_MAX_BYTES);
		return CTL_USAGE;
	}
	if (c->o.threshold < 1 || c->o.file == NULL) {
		ctl_err("--threshold M and --file signers.jsonl are required");
		return CTL_USAGE;
	}
	rc = signers_file_read(c, c->o.file, set);
	if (rc != CTL_OK)
		return rc;
	set->threshold = (unsigned)c->o.threshold;
	if (set->threshold > set->count) {
		ctl_err("--threshold %u is more than the %u signers of %s",
		    set->threshold, set->count, c->o.file);
		return CTL_USAGE;
	}
	return c->o.policy != NULL ? policy_file_load(c->o.policy, policy) :
	    CTL_OK;
}

/* The stored policy (GET .../policy, its lines decoded) must be the
 * file's. */
static int
treasury_policy_echo(struct ctl *c, json_t *want, const struct signer_set *set)
{
	struct treasury_policy *p = malloc(sizeof(*p));
	char path[96], field[POLICY_FIELD_MAX_BYTES];
	json_t *answer = NULL;
	const char *text;
	unsigned m = 0, n = 0;
	int rc = p != NULL ? CTL_OK : CTL_ERROR;

	snprintf(path, sizeof(path), "/v1/treasuries/%s/policy", c->o.argv[0]);
	if (rc == CTL_OK)
		rc = http_call(c, "GET", path, NULL, &answer);
	text = json_str(answer, "text");
	if (rc == CTL_OK && (text == NULL || policy_lines_decode(text,
	    strlen(text), p, &m, &n) != TREASURY_OK || m != set->threshold ||
	    n != set->count))
		rc = refuse("the server's policy of the new treasury does not "
		    "decode for %u of %u signers", set->threshold, set->count);
	if (rc == CTL_OK && policy_file_compare(want, p, m, n, field) !=
	    CTL_OK)
		rc = refuse("the policy the server stored differs from %s in "
		    "'%s'", c->o.policy, field);
	json_decref(answer);
	free(p);
	return rc;
}

static void
treasury_created_print(struct ctl *c, const struct signer_set *set)
{
	char pub[2 * ECDSA_PUBKEY_BYTES + 1];
	unsigned i;

	say(stdout, "treasury created: %s (\"%s\"), %u of %u signers, config "
	    "version 1%s%s%s\n", c->o.argv[0], c->o.name != NULL ? c->o.name :
	    c->o.argv[0], set->threshold, set->count, c->o.policy != NULL ?
	    ", policy of " : "", c->o.policy != NULL ? c->o.policy : "",
	    c->o.policy != NULL ? " (stored as sent)" : "");
	for (i = 0; i < set->count; i++) {
		hex_encode(pub, set->signers[i].key.bytes,
		    set->signers[i].key.len);
		say(stdout, "  %-32s %-8s %s\n", set->signers[i].name,
		    key_type_name(set->signers[i].key.type), pub);
	}
}

int
cmd_treasury_create(struct ctl *c)
{
	struct signer_set *sent = calloc(1, sizeof(*sent));
	struct signer_set *got = calloc(1, sizeof(*got));
	json_t *policy = NULL, *body = NULL, *answer = NULL;
	int rc = sent != NULL && got != NULL ? CTL_OK : CTL_ERROR;

	if (rc == CTL_OK)
		rc = treasury_args_check(c, sent, &policy);
	if (rc != CTL_OK)
		goto done;
	body = json_pack("{s:s, s:i, s:o}", "id", c->o.argv[0], "threshold",
	    (int)sent->threshold, "signers", signer_set_to_json(sent));
	if (body == NULL || (c->o.name != NULL && json_object_set_new(body,
	    "name", json_string(c->o.name)) != 0) || (policy != NULL &&
	    json_object_set(body, "policy", policy) != 0)) {
		rc = CTL_ERROR;
		goto done;
	}
	rc = http_call(c, "POST", "/v1/treasuries", body, &answer);
	if (rc == CTL_OK && (json_str(answer, "id") == NULL ||
	    strcmp(json_str(answer, "id"), c->o.argv[0]) != 0))
		rc = refuse("the server's answer is not treasury %s",
		    c->o.argv[0]);
	if (rc == CTL_OK)
		rc = signer_set_from_json(c, json_object_get(answer, "signers"),
		    json_object_get(answer, "threshold"), "the server's answer",
		    got);
	if (rc == CTL_OK && !signer_set_equal(sent, got))
		rc = refuse("the server's answer does not echo the signer set "
		    "and threshold you sent");
	if (rc == CTL_OK && policy != NULL)
		rc = treasury_policy_echo(c, policy, sent);
	if (rc == CTL_OK && c->o.json)
		json_print(answer);
	else if (rc == CTL_OK)
		treasury_created_print(c, sent);
done:
	json_decref(policy);
	json_decref(body);
	json_decref(answer);
	free(sent);
	free(got);
	return rc;
}
