/*
 * propose.c: treasuryctl propose (every kind), deposit and execute.
 *
 * After proposing, the canonical text the server made is checked against
 * what was asked for (id recomputed, every kind line compared, amounts by
 * value at the asset's decimals): a server cannot turn "pay 10 to A" into
 * anything else unnoticed. --approve then runs the full clear-signing flow
 * of approve on the new id.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "treasury/canonical.h"
#include "treasury/hash.h"
#include "treasury/hex.h"

enum { CSV_MAX_BYTES = 256 * 1024 };

/* "3d", "12h", "30m", "90s" from now, or a YYYY-MM-DDTHH:MM:SSZ time. */
static int
expires_arg(const char *s, char out[TIMESTAMP_BYTES + 1])
{
	int64_t t;
	char *end;
	long long n, unit;

	if (timestamp_parse(s, strlen(s), &t) == TREASURY_OK) {
		timestamp_format(t, out);
		return CTL_OK;
	}
	errno = 0;
	n = strtoll(s, &end, 10);
	unit = *end == 'd' ? 86400 : *end == 'h' ? 3600 : *end == 'm' ? 60 :
	    *end == 's' ? 1 : 0;
	if (errno != 0 || end == s || n <= 0 || n > 1000000 || unit == 0 ||
	    end[1] != '\0') {
		ctl_err("--expires must be like 3d, 12h, 30m or "
		    "YYYY-MM-DDTHH:MM:SSZ");
		return CTL_USAGE;
	}
	timestamp_format((int64_t)time(NULL) + n * unit, out);
	return CTL_OK;
}

static int
body_common(struct ctl *c, json_t *body, const char *kind)
{
	char expires[TIMESTAMP_BYTES + 1];
	int rc = CTL_OK;

	if (json_object_set_new(body, "kind", json_string(kind)) != 0)
		return CTL_ERROR;
	if (c->o.memo != NULL && json_object_set_new(body, "memo",
	    json_string(c->o.memo)) != 0) {
		ctl_err("--memo must be UTF-8 text");
		return CTL_USAGE;
	}
	if (c->o.expires != NULL) {
		rc = expires_arg(c->o.expires, expires);
		if (rc == CTL_OK && json_object_set_new(body, "expires_at",
		    json_string(expires)) != 0)
			rc = CTL_ERROR;
	}
	return rc;
}

static int
need(const char *value, const char *option)
{
	if (value != NULL)
		return CTL_OK;
	ctl_err("%s is required", option);
	return CTL_USAGE;
}

static json_t *
transfer_item(const char *asset, const char *amount, const char *to,
    const char *memo)
{
	json_t *t = json_pack("{s:s, s:s, s:s}", "asset", asset, "amount",
	    amount, "to", to);

	if (t != NULL && memo != NULL && json_object_set_new(t, "memo",
	    json_string(memo)) != 0) {
		json_decref(t);
		return NULL;
	}
	return t;
}

static int
body_transfer(struct ctl *c, json_t *body)
{
	json_t *t;
	int rc;

	rc = need(c->o.asset, "--asset");
	if (rc == CTL_OK)
		rc = need(c->o.amount, "--amount");
	if (rc == CTL_OK)
		rc = need(c->o.to, "--to");
	if (rc != CTL_OK)
		return rc;
	t = transfer_item(c->o.asset, c->o.amount, c->o.to, NULL);
	if (t == NULL || json_object_update(body, t) != 0) {
		json_decref(t);
		ctl_err("invalid transfer fields");
		return CTL_USAGE;
	}
	json_decref(t);
	return CTL_OK;
}

/* One CSV line "asset,amount,to[,memo]" (memo: the rest of the line). */
static json_t *
csv_item(char *line)
{
	char *f[3], *p = line;
	int i;

	for (i = 0; i < 3; i++) {
		f[i] = p;
		p = strchr(p, ',');
		if (p == NULL && i < 2)
			return NULL;
		if (p != NULL)
			*p++ = '\0';
	}
	return transfer_item(f[0], f[1], f[2], p);
}

static int
csv_parse(const char *path, char *text, json_t *list)
{
	char *cursor = text, *line;
	unsigned lineno = 0;
	json_t *item;

	while ((line = line_next(&cursor)) != NULL) {
		lineno++;
		if (*line != '\0' && *line != '#' && !(lineno == 1 &&
		    strncmp(line, "asset,", 6) == 0)) {
			item = csv_item(line);
			if (item == NULL || json_array_append_new(list, item)) {
				ctl_err("%s:%u: expected asset,amount,to[,memo]",
				    path, lineno);
				return CTL_USAGE;
			}
		}
	}
	if (json_array_size(list) < 1 || json_array_size(list) >
	    BATCH_TRANSFERS_MAX) {
		ctl_err("%s: a batch has 1..%d transfers", path,
		    BATCH_TRANSFERS_MAX);
		return CTL_USAGE;
	}
	return CTL_OK;
}

static int
body_batch(struct ctl *c, json_t *body)
{
	json_t *list;
	char *text = NULL;
	size_t len;
	int rc;

	rc = need(c->o.file, "--file");
	if (rc == CTL_OK)
		rc = file_read_all(c->o.file, CSV_MAX_BYTES, false, &text, &len);
	if (rc != CTL_OK)
		return rc;
	list = json_array();
	rc = list != NULL ? csv_parse(c->o.file, text, list) : CTL_ERROR;
	free(text);
	if (rc == CTL_OK && json_object_set(body, "transfers", list) != 0)
		rc = CTL_ERROR;
	json_decref(list);
	return rc;
}

static int
body_signer(struct ctl *c, json_t *body, const char *kind)
{
	int rc = need(c->o.name, "--name");
	json_t *s;

	if (rc != CTL_OK || strcmp(kind, "remove-signer") == 0)
		return rc == CTL_OK ? (json_object_set_new(body, "signer",
		    json_string(c->o.name)) ? CTL_ERROR : CTL_OK) : rc;
	rc = need(c->o.key_type, "--type");
	if (rc == CTL_OK)
		rc = need(c->o.pubkey, "--pubkey");
	if (rc != CTL_OK)
		return rc;
	if (strcmp(kind, "add-signer") == 0) {
		s = json_pack("{s:s, s:s, s:s}", "name", c->o.name, "key_type",
		    c->o.key_type, "pubkey", c->o.pubkey);
		return json_object_set_new(body, "signer", s) ? CTL_ERROR : CTL_OK;
	}
	s = json_pack("{s:s, s:s, s:s}", "signer", c->o.name, "key_type",
	    c->o.key_type, "pubkey", c->o.pubkey);
	rc = s != NULL && json_object_update(body, s) == 0 ? CTL_OK : CTL_ERROR;
	json_decref(s);
	return rc;
}

static int
body_build(struct ctl *c, const char *kind, json_t *body)
{
	int rc = body_common(c, body, kind);

	if (rc != CTL_OK)
		return rc;
	if (strcmp(kind, "transfer") == 0)
		return body_transfer(c, body);
	if (strcmp(kind, "batch") == 0)
		return body_batch(c, body);
	if (strcmp(kind, "set-threshold") == 0) {
		if (c->o.threshold < 1) {
			ctl_err("--threshold is required");
			return CTL_USAGE;
		}
		return json_object_set_new(body, "new_threshold",
		    json_integer(c->o.threshold)) ? CTL_ERROR : CTL_OK;
	}
	if (strcmp(kind, "set-policy") == 0 || strcmp(kind, "unfreeze") == 0)
		return propose_body_policy_kind(c, kind, body);	/* workflow.c */
	return body_signer(c, body, kind);
}

/* ---- what the server made vs what was asked ---- */

static int
differs(const char *field)
{
	say(stderr, "treasuryctl: REFUSED: the proposal the server made "
	    "differs from what you asked for in '%s'. Do not approve it.\n",
	    field);
	return CTL_VERIFY;
}

static int
transfer_same(json_t *want, const struct transfer_fields *t)
{
	const char *amount = json_str(want, "amount");
	const char *memo = json_str(want, "memo");
	amount_minor v;

	if (strcmp(json_str(want, "asset"), t->asset) != 0)
		return differs("asset");
	if (amount_parse(amount, strlen(amount), t->decimals, &v) !=
	    TREASURY_OK || v != t->amount)
		return differs("amount");
	if (strcmp(json_str(want, "to"), t->to) != 0)
		return differs("to");
	if (strcmp(memo != NULL ? memo : "", t->memo) != 0)
		return differs("memo");
	return CTL_OK;
}

static int
key_same(struct ctl *c, const struct proposal_fields *f)
{
	struct signer_key k;
	enum key_type type;

	if (key_type_parse(c->o.key_type, strlen(c->o.key_type), &type) !=
	    TREASURY_OK || signer_key_parse_hex(c->verifier, type,
	    c->o.pubkey, strlen(c->o.pubkey), &k) != TREASURY_OK ||
	    k.type != f->key.type || k.len != f->key.len ||
	    memcmp(k.bytes, f->key.bytes, k.len) != 0)
		return differs("pubkey");
	return CTL_OK;
}

static int
kind_same(struct ctl *c, json_t *body, const struct proposal_fields *f)
{
	json_t *list = json_object_get(body, "transfers");
	const char *memo = json_str(body, "memo");
	char field[POLICY_FIELD_MAX_BYTES];
	size_t i;
	int rc = CTL_OK;

	switch (f->kind) {
	case KIND_TRANSFER:
		return transfer_same(body, &f->transfers[0]);
	case KIND_BATCH:
		if (json_array_size(list) != f->transfer_count)
			return differs("transfers");
		for (i = 0; i < f->transfer_count && rc == CTL_OK; i++)
			rc = transfer_same(json_array_get(list, i),
			    &f->transfers[i]);
		break;
	case KIND_SET_THRESHOLD:
		if ((long)f->threshold_after != c->o.threshold)
			return differs("threshold");
		break;
	case KIND_SET_POLICY:
	case KIND_UNFREEZE:
		rc = propose_policy_kind_same(c, body, f, field);
		if (rc == CTL_VERIFY)
			return differs(field);
		break;
	default:
		if (strcmp(c->o.name, f->signer) != 0)
			return differs("signer");
		if (f->kind != KIND_REMOVE_SIGNER)
			rc = key_same(c, f);
		break;
	}
	if (rc == CTL_OK && strcmp(memo != NULL ? memo : "", f->memo) != 0)
		return differs("memo");
	return rc;
}

static int
created_check(struct ctl *c, const char *treasury, json_t *body, json_t *p,
    struct proposal_fields *f, uint8_t id[PROPOSAL_ID_BYTES])
{
	json_t *canon = json_object_get(p, "canonical");
	const char *jid = json_str(p, "id"), *exp = json_str(body, "expires_at");
	char ts[TIMESTAMP_BYTES + 1];
	uint8_t got[PROPOSAL_ID_BYTES];
	int rc;

	if (!json_is_string(canon) || jid == NULL || hex_decode(id,
	    PROPOSAL_ID_BYTES, jid, strlen(jid)) != TREASURY_OK)
		return differs("id");
	proposal_id_compute(got, json_string_value(canon),
	    json_string_length(canon));
	if (memcmp(got, id, sizeof(got)) != 0)
		return differs("id");
	rc = canonical_decode_checked(c, json_string_value(canon),
	    json_string_length(canon), f);
	if (rc != CTL_OK)
		return rc;
	if (strcmp(f->treasury, treasury) != 0)
		return differs("treasury");
	if (strcmp(proposal_kind_name(f->kind), json_str(body, "kind")) != 0)
		return differs("kind");
	timestamp_format(f->expires_s, ts);
	if (exp != NULL && strcmp(exp, ts) != 0)
		return differs("expires");
	return kind_same(c, body, f);
}

int
cmd_propose(struct ctl *c)
{
	const char *kind = strchr(c->command, ' ') + 1;
	const char *t = c->o.argv[0];
	struct proposal_fields *f = NULL;
	uint8_t id[PROPOSAL_ID_BYTES];
	char path[96], id_hex[2 * PROPOSAL_ID_BYTES + 1];
	json_t *body, *answer = NULL;
	int rc;

	if (treasury_id_check(t, strlen(t)) != TREASURY_OK) {
		ctl_err("'%s' is not a treasury id", t);
		return CTL_USAGE;
	}
	body = json_object();
	f = calloc(1, sizeof(*f));
	rc = body != NULL && f != NULL ? body_build(c, kind, body) : CTL_ERROR;
	snprintf(path, sizeof(path), "/v1/treasuries/%s/proposals", t);
	if (rc == CTL_OK)
		rc = http_call(c, "POST", path, body, &answer);
	if (rc == CTL_OK)
		rc = created_check(c, t, body, answer, f, id);
	if (rc == CTL_OK) {
		hex_encode(id_hex, id, sizeof(id));
		if (c->o.json)
			json_print(answer);
		else
			say(stdout, "proposed: %s (%s, nonce %llu); the canonical "
			    "text matches what you asked for\n", id_hex, kind,
			    (unsigned long long)f->nonce);
		fflush(stdout);
		if (c->o.approve_after)
			rc = vote_clear_sign(c, id, VOTE_APPROVE);
	}
	json_decref(answer);
	json_decref(body);
	free(f);
	return rc;
}

int
cmd_deposit(struct ctl *c)
{
	const char *t = c->o.argv[0];
	json_t *body, *e = NULL;
	char path[96];
	int rc;

	if (treasury_id_check(t, strlen(t)) != TREASURY_OK) {
		ctl_err("'%s' is not a treasury id", t);
		return CTL_USAGE;
	}
	rc = need(c->o.asset, "--asset");
	if (rc == CTL_OK)
		rc = need(c->o.amount, "--amount");
	if (rc == CTL_OK)
		rc = need(c->o.reference, "--reference");
	if (rc != CTL_OK)
		return rc;
	body = json_pack("{s:s, s:s, s:s}", "asset", c->o.asset, "amount",
	    c->o.amount, "reference", c->o.reference);
	if (body == NULL || (c->o.source != NULL && json_object_set_new(body,
	    "source", json_string(c->o.source))) || (c->o.memo != NULL &&
	    json_object_set_new(body, "memo", json_string(c->o.memo)))) {
		json_decref(body);
		ctl_err("invalid deposit fields (not UTF-8?)");
		return CTL_USAGE;
	}
	snprintf(path, sizeof(path), "/v1/treasuries/%s/deposits", t);
	rc = http_call(c, "POST", path, body, &e);
	json_decref(body);
	if (rc != CTL_OK)
		return rc;
	if (c->o.json)
		json_print(e);
	else
		say(stdout, "deposit recorded: %s %s into %s, reference %s; balance "
		    "%s %s (ledger seq %lld)\n", json_str(e, "amount") ?
		    json_str(e, "amount") : "?", c->o.asset, t, c->o.reference,
		    json_str(e, "balance_after") ? json_str(e, "balance_after")
		    : "?", c->o.asset, (long long)json_integer_value(
		    json_object_get(e, "seq")));
	json_decref(e);
	return CTL_OK;
}

int
cmd_execute(struct ctl *c)
{
	uint8_t id[PROPOSAL_ID_BYTES];
	struct verified v;
	json_t *answer = NULL;
	char path[96];
	int rc;

	memset(&v, 0, sizeof(v));
	rc = proposal_id_arg(c, c->o.argv[0], id);
	if (rc == CTL_OK)
		rc = proposal_fetch_verified(c, id, &v);
	if (rc != CTL_OK)
		goto done;
	proposal_print(c, v.f, v.id_hex, v.trust.pin, v.status, v.proposal);
	rc = final_summary_print(c, v.f, v.id_hex, v.trust.pin,
	    "nothing: EXECUTE this proposal (the treasurer's act)");
	if (rc == CTL_OK && !c->o.yes)
		rc = confirm_ask("Execute this proposal?");
	if (rc != CTL_OK)
		goto done;
	snprintf(path, sizeof(path), "/v1/proposals/%s/execute", v.id_hex);
	rc = http_call(c, "POST", path, NULL, &answer);
	if (rc == CTL_OK && c->o.json)
		json_print(answer);
	else if (rc == CTL_OK)
		say(stdout, "\nexecuted: the server says the proposal is now %s\n",
		    json_str(answer, "status") ? json_str(answer, "status") :
		    "?");
	json_decref(answer);
done:
	verified_free(&v);
	return rc;
}
