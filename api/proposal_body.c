/*
 * proposal_body.c: the body of POST /v1/treasuries/{t}/proposals, one
 * parser per kind, into struct proposal_fields.
 *
 *   transfer        {"asset","amount","to"}
 *   batch           {"transfers":[{"asset","amount","to","memo"}, ...]}
 *   add-signer      {"signer":{"name","key_type","pubkey"}}
 *   remove-signer   {"signer":"carol"}
 *   replace-signer  {"signer":"carol","key_type","pubkey"}
 *   set-threshold   {"new_threshold":3}
 *   set-policy      {"policy":{...}} (the whole policy; policy_json.c)
 *   unfreeze        {} (the writer names the freeze in force)
 *
 * plus "kind" and the optional "memo" and "expires_at" on every kind.
 * instance, config_version and nonce are the writer's to assign, and so
 * are threshold_after/signers_after of add- and remove-signer. For
 * set-policy, threshold_after carries the policy's absolute
 * config_threshold (0 when absent) to the writer, which knows M and maps
 * it to config_extra before filling threshold_after with M.
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "treasury/canonical.h"

#include "internal.h"

#define COMMON_FIELDS "kind", "memo", "expires_at"

/* memo (optional, "" when absent) into out. */
static bool
memo_field(struct reply *rp, json_t *obj, const char *prefix,
    char out[MEMO_MAX_BYTES + 1])
{
	const char *memo;
	size_t len;

	if (!field_string(rp, obj, prefix, "memo", false, &memo, &len) ||
	    (memo != NULL && !field_check(rp, memo_check, prefix, "memo", memo,
	    len)))
		return false;
	text_copy(out, MEMO_MAX_BYTES + 1, memo, len);
	return true;
}

/* asset, amount, to and (when with_memo) memo of one transfer. */
static bool
transfer_fields_parse(struct request *rq, struct reply *rp, json_t *obj,
    const char *prefix, bool with_memo, struct transfer_fields *t)
{
	struct asset asset;
	const char *to;
	size_t to_len;

	if (!field_asset(rq, rp, obj, prefix, &asset) ||
	    !field_amount(rp, obj, prefix, &asset, &t->amount) ||
	    !field_string(rp, obj, prefix, "to", true, &to, &to_len) ||
	    !field_check(rp, destination_check, prefix, "to", to, to_len) ||
	    (with_memo && !memo_field(rp, obj, prefix, t->memo)))
		return false;
	text_copy(t->asset, sizeof(t->asset), asset.code, strlen(asset.code));
	t->decimals = asset.decimals;
	text_copy(t->to, sizeof(t->to), to, to_len);
	return true;
}

static bool
kind_transfer(struct request *rq, struct reply *rp, json_t *body,
    struct proposal_fields *p)
{
	if (!transfer_fields_parse(rq, rp, body, "", false, &p->transfers[0]))
		return false;
	p->transfer_count = 1;
	memcpy(p->transfers[0].memo, p->memo, sizeof(p->memo));
	return true;
}

static bool
kind_batch(struct request *rq, struct reply *rp, json_t *body,
    struct proposal_fields *p)
{
	static const char *const item_fields[] = { "asset", "amount", "to",
	    "memo", "category", NULL };
	char prefix[FIELD_PATH_MAX_BYTES];
	json_t *list, *item;

	if (!field_array(rp, body, "", "transfers", 1, BATCH_TRANSFERS_MAX,
	    &list))
		return false;
	p->transfer_count = (unsigned)json_array_size(list);
	for (unsigned i = 0; i < p->transfer_count; i++) {
		snprintf(prefix, sizeof(prefix), "transfers[%u]", i);
		item = json_array_get(list, i);
		if (!json_is_object(item)) {
			reply_err(rp, TREASURY_ERR_FIELD_TYPE,
			    "field '%s' must be an object", prefix);
			return false;
		}
		if (!fields_only(rp, item, prefix, item_fields) ||
		    !transfer_fields_parse(rq, rp, item, prefix, true,
		    &p->transfers[i]))
			return false;
	}
	return true;
}

/* A signer name member `name` of obj into out. */
static bool
signer_name_field(struct reply *rp, json_t *obj, const char *prefix,
    const char *name, char out[SIGNER_NAME_MAX_BYTES + 1])
{
	const char *s;
	size_t len;

	if (!field_string(rp, obj, prefix, name, true, &s, &len) ||
	    !field_check(rp, signer_name_check, prefix, name, s, len))
		return false;
	text_copy(out, SIGNER_NAME_MAX_BYTES + 1, s, len);
	return true;
}

static bool
kind_add_signer(struct request *rq, struct reply *rp, json_t *body,
    struct proposal_fields *p)
{
	static const char *const signer_fields[] = { "name", "key_type",
	    "pubkey", NULL };
	json_t *signer;

	signer = json_object_get(body, "signer");
	if (signer == NULL || !json_is_object(signer)) {
		reply_err_titled(rp, signer == NULL ?
		    TREASURY_ERR_MISSING_FIELD : TREASURY_ERR_FIELD_TYPE,
		    "Invalid signer", "field 'signer' must be an object "
		    "{\"name\",\"key_type\",\"pubkey\"}");
		return false;
	}
	return fields_only(rp, signer, "signer", signer_fields) &&
	    signer_name_field(rp, signer, "signer", "name", p->signer) &&
	    field_signer_key(rq, rp, signer, "signer", &p->key);
}

static bool
kind_remove_signer(struct request *rq, struct reply *rp, json_t *body,
    struct proposal_fields *p)
{
	(void)rq;
	return signer_name_field(rp, body, "", "signer", p->signer);
}

static bool
kind_replace_signer(struct request *rq, struct reply *rp, json_t *body,
    struct proposal_fields *p)
{
	return signer_name_field(rp, body, "", "signer", p->signer) &&
	    field_signer_key(rq, rp, body, "", &p->key);
}

static bool
kind_set_threshold(struct request *rq, struct reply *rp, json_t *body,
    struct proposal_fields *p)
{
	(void)rq;
	return field_uint(rp, body, "", "new_threshold", true, 1,
	    SIGNERS_PER_TREASURY_MAX, TREASURY_ERR_THRESHOLD,
	    &p->threshold_after, NULL);
}

static bool
kind_set_policy(struct request *rq, struct reply *rp, json_t *body,
    struct proposal_fields *p)
{
	json_t *obj = json_object_get(body, "policy");
	treasury_err err;

	if (obj == NULL) {
		reply_err(rp, TREASURY_ERR_MISSING_FIELD,
		    "field 'policy' is required (the whole policy)");
		return false;
	}
	if (!policy_from_json(rq, rp, obj, &p->policy, &p->threshold_after))
		return false;
	err = policy_supported(&p->policy);
	if (err != TREASURY_OK) {
		reply_err(rp, err, "field 'policy': %s", treasury_err_text(err));
		return false;
	}
	return true;
}

/* The writer fills freeze_seq with the freeze in force. */
static bool
kind_unfreeze(struct request *rq, struct reply *rp, json_t *body,
    struct proposal_fields *p)
{
	(void)rq;
	(void)rp;
	(void)body;
	(void)p;
	return true;
}

typedef bool (*kind_parser)(struct request *, struct reply *, json_t *,
    struct proposal_fields *);

static const struct kind_def {
	enum proposal_kind kind;
	const char *const fields[8];	/* allowed members, NULL-terminated */
	kind_parser parse;
} kinds[] = {
	{ KIND_TRANSFER, { COMMON_FIELDS, "asset", "amount", "to",
	    "category", NULL },
	    kind_transfer },
	{ KIND_BATCH, { COMMON_FIELDS, "transfers", NULL }, kind_batch },
	{ KIND_ADD_SIGNER, { COMMON_FIELDS, "signer", NULL },
	    kind_add_signer },
	{ KIND_REMOVE_SIGNER, { COMMON_FIELDS, "signer", NULL },
	    kind_remove_signer },
	{ KIND_REPLACE_SIGNER, { COMMON_FIELDS, "signer", "key_type",
	    "pubkey", NULL }, kind_replace_signer },
	{ KIND_SET_THRESHOLD, { COMMON_FIELDS, "new_threshold", NULL },
	    kind_set_threshold },
	{ KIND_SET_POLICY, { COMMON_FIELDS, "policy", NULL }, kind_set_policy },
	{ KIND_UNFREEZE, { COMMON_FIELDS, NULL }, kind_unfreeze },
};

static const struct kind_def *
kind_def_find(enum proposal_kind kind)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kinds[i].kind == kind)
			return &kinds[i];
	return NULL;
}

/* expires_at: absent is 0, which the writer makes now + the track's delay
 * + 7 days. Given, it must be 1 minute to 90 days after now plus the
 * delay of the proposal's track (docs/policies.md §1). Only the writer
 * knows that delay, so it checks the window and states the real bound
 * when refusing; here only what no policy allows is refused: a time not
 * after now (which also keeps 0, "absent", from being given), or beyond
 * 90 days after the longest delay. */
static bool
expiry_field(struct reply *rp, json_t *body, int64_t now_s, int64_t *out)
{
	char now_text[TIMESTAMP_BYTES + 1], latest_text[TIMESTAMP_BYTES + 1];
	int64_t earliest_s, latest_s;
	const char *s;
	size_t len;
	treasury_err err;

	if (!field_string(rp, body, "", "expires_at", false, &s, &len))
		return false;
	if (s == NULL) {
		*out = 0;
		return true;
	}
	err = timestamp_parse(s, len, out);
	if (err != TREASURY_OK) {
		reply_err(rp, err, "field 'expires_at': %s",
		    treasury_err_text(err));
		return false;
	}
	timestamp_format(now_s, now_text);
	if (*out <= now_s) {
		reply_err(rp, TREASURY_ERR_EXPIRY_TOO_SOON, "field 'expires_at': "
		    "%s: it is not after now (%s); the earliest allowed is now + "
		    "60 s + the delay of the treasury's policy",
		    treasury_err_text(TREASURY_ERR_EXPIRY_TOO_SOON), now_text);
		return false;
	}
	if (policy_expiry_check(*out, now_s, POLICY_TIMELOCK_MAX_S) !=
	    TREASURY_ERR_EXPIRY_TOO_LATE)
		return true;
	policy_expiry_bounds(now_s, POLICY_TIMELOCK_MAX_S, &earliest_s,
	    &latest_s);
	timestamp_format(latest_s, latest_text);
	reply_err(rp, TREASURY_ERR_EXPIRY_TOO_LATE, "field 'expires_at': %s: "
	    "must be at most 90 days after now (%s) plus the delay of the "
	    "treasury's policy; the latest allowed under any policy is %s",
	    treasury_err_text(TREASURY_ERR_EXPIRY_TOO_LATE), now_text,
	    latest_text);
	return false;
}

/* The optional "category" of a transfer, or of each batch item: an
 * accounting label kept beside the proposal, never in its canonical text
 * (the writer checks each is an expense category of the treasury). */
static bool
categories_fields(struct reply *rp, json_t *body,
    const struct proposal_fields *p, struct proposal_categories *cats)
{
	char prefix[FIELD_PATH_MAX_BYTES];
	json_t *list;

	memset(cats, 0, sizeof(*cats));
	if (p->kind == KIND_TRANSFER)
		return field_category(rp, body, "", cats->item[0]);
	if (p->kind != KIND_BATCH)
		return true;
	list = json_object_get(body, "transfers");
	assert(json_array_size(list) == p->transfer_count);
	for (unsigned i = 0; i < p->transfer_count; i++) {
		snprintf(prefix, sizeof(prefix), "transfers[%u]", i);
		if (!field_category(rp, json_array_get(list, i), prefix,
		    cats->item[i]))
			return false;
	}
	return true;
}

bool
proposal_from_body(struct request *rq, struct reply *rp, json_t *body,
    int64_t now_s, struct proposal_fields *p,
    struct proposal_categories *cats)
{
	const struct kind_def *def = NULL;
	const char *kind;
	char shown[41];
	size_t len;

	if (!field_string(rp, body, "", "kind", true, &kind, &len))
		return false;
	if (proposal_kind_parse(kind, len, &p->kind) == TREASURY_OK)
		def = kind_def_find(p->kind);
	if (def == NULL) {
		text_for_detail(shown, sizeof(shown), kind);
		reply_err(rp, TREASURY_ERR_KIND, "field 'kind': '%s' is not "
		    "one of transfer, batch, add-signer, remove-signer, "
		    "replace-signer, set-threshold, set-policy, unfreeze", shown);
		return false;
	}
	text_copy(p->treasury, sizeof(p->treasury), rq->params[0],
	    strlen(rq->params[0]));
	return fields_only(rp, body, "", def->fields) &&
	    memo_field(rp, body, "", p->memo) &&
	    expiry_field(rp, body, now_s, &p->expires_s) &&
	    def->parse(rq, rp, body, p) &&
	    categories_fields(rp, body, p, cats);
}
