/*
 * policy_json.c: a treasury policy as JSON (docs/policies.md §12.3): the
 * "policy" member of POST /v1/treasuries and of a set-policy proposal
 * into struct treasury_policy, and the policy back out for
 * GET /v1/treasuries/{t}/policy.
 *
 * Every member is optional; absent means the empty policy's value.
 * Unknown members and duplicate keys are refused like everywhere else.
 * Amounts are decimal strings in the asset's units, a limit of null (or
 * absent) is none, and "0" is refused (amount-zero). config_threshold is
 * the absolute M or M + 1; the caller maps it (policy_config_threshold).
 * The lists are sorted by the writer (policy_normalize), so from the API a
 * policy-order error means a duplicate.
 */
#include <stdio.h>
#include <string.h>

#include "treasury/canonical.h"
#include "treasury/policy.h"

#include "internal.h"

/* A member that may be null: true with *v NULL when absent or null. */
static json_t *
member_nullable(json_t *obj, const char *name)
{
	json_t *v = json_object_get(obj, name);

	return v == NULL || json_is_null(v) ? NULL : v;
}

static bool
policy_timelocks(struct reply *rp, json_t *obj, struct treasury_policy *p)
{
	unsigned spend = 0, config = 0;
	bool has_config = false;

	if (!field_uint(rp, obj, "policy", "timelock_spend_s", false, 0,
	    (unsigned)POLICY_TIMELOCK_MAX_S, TREASURY_ERR_POLICY_TIMELOCK,
	    &spend, NULL) ||
	    !field_uint(rp, obj, "policy", "timelock_config_s", false, 0,
	    (unsigned)POLICY_TIMELOCK_MAX_S, TREASURY_ERR_POLICY_TIMELOCK,
	    &config, &has_config))
		return false;
	p->timelock_spend_s = spend;
	/* absent: as long as the spend delay (the least it may be) */
	p->timelock_config_s = has_config ? config : spend;
	return true;
}

/* An unsigned member that may be null (0 then). */
static bool
uint_nullable(struct reply *rp, json_t *obj, const char *name,
    treasury_err range_err, unsigned *out)
{
	*out = 0;
	if (member_nullable(obj, name) == NULL)
		return true;
	return field_uint(rp, obj, "policy", name, true, 1,
	    SIGNERS_PER_TREASURY_MAX, range_err, out, NULL);
}

static bool
policy_thresholds(struct reply *rp, json_t *obj, struct treasury_policy *p,
    unsigned *config_threshold)
{
	json_t *kp;

	if (!uint_nullable(rp, obj, "veto_count",
	    TREASURY_ERR_POLICY_VETO_COUNT, &p->veto_count) ||
	    !uint_nullable(rp, obj, "config_threshold",
	    TREASURY_ERR_POLICY_CONFIG_THRESHOLD, config_threshold) ||
	    !uint_nullable(rp, obj, "high_threshold",
	    TREASURY_ERR_POLICY_HIGH_THRESHOLD, &p->high_threshold))
		return false;
	kp = json_object_get(obj, "key_proof");
	if (kp != NULL && !json_is_boolean(kp)) {
		reply_err(rp, TREASURY_ERR_FIELD_TYPE,
		    "field 'policy.key_proof' must be a boolean");
		return false;
	}
	p->key_proof = kp != NULL && json_is_true(kp);
	return true;
}

/* A limit or reserve amount of asset a: a decimal string > 0. */
static bool
policy_amount(struct reply *rp, json_t *v, const char *path,
    const struct asset *a, amount_minor *out)
{
	treasury_err err;

	if (!json_is_string(v)) {
		reply_err(rp, TREASURY_ERR_FIELD_TYPE,
		    "field '%s' must be a decimal string or null", path);
		return false;
	}
	err = amount_parse(json_string_value(v), json_string_length(v),
	    a->decimals, out);
	if (err != TREASURY_OK) {
		reply_err(rp, err, "field '%s': %s (%s has %u decimals)", path,
		    treasury_err_text(err), a->code, a->decimals);
		return false;
	}
	return true;
}

static bool
policy_limit(struct request *rq, struct reply *rp, json_t *item,
    const char *prefix, struct policy_limit *l)
{
	static const char *const fields[] = { "asset", "day", "week", "month",
	    NULL };
	char path[FIELD_PATH_MAX_BYTES];
	struct asset a;
	json_t *v;
	int w;

	if (!fields_only(rp, item, prefix, fields) ||
	    !field_asset(rq, rp, item, prefix, &a))
		return false;
	text_copy(l->asset, sizeof(l->asset), a.code, strlen(a.code));
	l->decimals = a.decimals;
	for (w = 0; w < POLICY_WINDOWS; w++) {
		v = member_nullable(item, policy_window_name(w));
		field_path(path, prefix, policy_window_name(w));
		if (v != NULL && !policy_amount(rp, v, path, &a,
		    &l->limit_minor[w]))
			return false;
	}
	return true;
}

static bool
policy_reserve(struct request *rq, struct reply *rp, json_t *item,
    const char *prefix, struct policy_reserve *r)
{
	static const char *const fields[] = { "asset", "amount", NULL };
	char path[FIELD_PATH_MAX_BYTES];
	struct asset a;
	json_t *v;

	if (!fields_only(rp, item, prefix, fields) ||
	    !field_asset(rq, rp, item, prefix, &a))
		return false;
	text_copy(r->asset, sizeof(r->asset), a.code, strlen(a.code));
	r->decimals = a.decimals;
	field_path(path, prefix, "amount");
	v = json_object_get(item, "amount");
	if (v == NULL) {
		reply_err(rp, TREASURY_ERR_MISSING_FIELD,
		    "field '%s' is required", path);
		return false;
	}
	return policy_amount(rp, v, path, &a, &r->reserve_minor);
}

static bool
policy_destination(struct reply *rp, json_t *item, const char *prefix,
    struct policy_destination *d)
{
	static const char *const fields[] = { "to", "label", NULL };
	const char *to, *label;
	size_t to_len, label_len;

	if (!fields_only(rp, item, prefix, fields) ||
	    !field_string(rp, item, prefix, "to", true, &to, &to_len) ||
	    !field_check(rp, destination_check, prefix, "to", to, to_len) ||
	    !field_string(rp, item, prefix, "label", false, &label,
	    &label_len))
		return false;
	if (label != NULL && (label_len > POLICY_LABEL_MAX_BYTES ||
	    memo_check(label, label_len) != TREASURY_OK)) {
		reply_err(rp, TREASURY_ERR_POLICY_LABEL, "field '%s.label': at"
		    " most %d bytes of memo-safe text", prefix,
		    POLICY_LABEL_MAX_BYTES);
		return false;
	}
	text_copy(d->to, sizeof(d->to), to, to_len);
	if (label != NULL)
		text_copy(d->label, sizeof(d->label), label, label_len);
	return true;
}

typedef bool (*item_parser)(struct request *, struct reply *, json_t *,
    const char *, void *);

static bool
limit_item(struct request *rq, struct reply *rp, json_t *item,
    const char *prefix, void *out)
{
	return policy_limit(rq, rp, item, prefix, out);
}

static bool
reserve_item(struct request *rq, struct reply *rp, json_t *item,
    const char *prefix, void *out)
{
	return policy_reserve(rq, rp, item, prefix, out);
}

static bool
destination_item(struct request *rq, struct reply *rp, json_t *item,
    const char *prefix, void *out)
{
	(void)rq;
	return policy_destination(rp, item, prefix, out);
}

/* A list member of obj (absent: empty) of at most max objects. */
static bool
policy_list(struct request *rq, struct reply *rp, json_t *obj,
    const char *prefix, const char *name, size_t max, item_parser parse,
    void *items, size_t item_size, unsigned *count)
{
	char path[FIELD_PATH_MAX_BYTES], item_path[FIELD_PATH_MAX_BYTES + 24];
	json_t *list, *item;
	size_t i;

	*count = 0;
	if (json_object_get(obj, name) == NULL)
		return true;
	if (!field_array(rp, obj, prefix, name, 0, max, &list))
		return false;
	field_path(path, prefix, name);
	for (i = 0; i < json_array_size(list); i++) {
		snprintf(item_path, sizeof(item_path), "%s[%zu]", path, i);
		item = json_array_get(list, i);
		if (!json_is_object(item)) {
			reply_err(rp, TREASURY_ERR_FIELD_TYPE,
			    "field '%s' must be an object", item_path);
			return false;
		}
		if (!parse(rq, rp, item, item_path, (char *)items +
		    i * item_size))
			return false;
	}
	*count = (unsigned)i;
	return true;
}

static bool
policy_allowlist(struct request *rq, struct reply *rp, json_t *obj,
    struct treasury_policy *p)
{
	static const char *const fields[] = { "enabled", "destinations",
	    NULL };
	json_t *al, *en;

	al = json_object_get(obj, "allowlist");
	if (al == NULL)
		return true;
	if (!json_is_object(al)) {
		reply_err(rp, TREASURY_ERR_FIELD_TYPE,
		    "field 'policy.allowlist' must be an object");
		return false;
	}
	en = json_object_get(al, "enabled");
	if (!fields_only(rp, al, "policy.allowlist", fields))
		return false;
	if (en == NULL || !json_is_boolean(en)) {
		reply_err(rp, TREASURY_ERR_FIELD_TYPE,
		    "field 'policy.allowlist.enabled' must be a boolean");
		return false;
	}
	p->allowlist_on = json_is_true(en);
	return policy_list(rq, rp, al, "policy.allowlist", "destinations",
	    POLICY_ALLOWLIST_MAX, destination_item, p->allowlist,
	    sizeof(p->allowlist[0]), &p->allowlist_count);
}

bool
policy_from_json(struct request *rq, struct reply *rp, json_t *obj,
    struct treasury_policy *p, unsigned *config_threshold)
{
	static const char *const fields[] = { "timelock_spend_s",
	    "timelock_config_s", "veto_count", "config_threshold",
	    "high_threshold", "key_proof", "limits", "reserves", "allowlist",
	    NULL };

	policy_init(p);
	*config_threshold = 0;
	if (!json_is_object(obj)) {
		reply_err(rp, TREASURY_ERR_FIELD_TYPE,
		    "field 'policy' must be an object");
		return false;
	}
	return fields_only(rp, obj, "policy", fields) &&
	    policy_timelocks(rp, obj, p) &&
	    policy_thresholds(rp, obj, p, config_threshold) &&
	    policy_list(rq, rp, obj, "policy", "limits", POLICY_LIMITS_MAX,
	    limit_item, p->limits, sizeof(p->limits[0]), &p->limit_count) &&
	    policy_list(rq, rp, obj, "policy", "reserves", POLICY_RESERVES_MAX,
	    reserve_item, p->reserves, sizeof(p->reserves[0]),
	    &p->reserve_count) &&
	    policy_allowlist(rq, rp, obj, p);
}

treasury_err
policy_config_threshold(struct treasury_policy *p, unsigned config_threshold,
    unsigned m)
{
	if (config_threshold == 0 || config_threshold == m)
		p->config_extra = 0;
	else if (config_threshold == m + 1)
		p->config_extra = 1;
	else
		return TREASURY_ERR_POLICY_CONFIG_THRESHOLD;
	return TREASURY_OK;
}

static json_t *
amount_or_null(amount_minor v, unsigned decimals)
{
	return v == 0 ? json_null() : json_amount(v, decimals);
}

static json_t *
limits_json(const struct treasury_policy *p)
{
	json_t *list = json_array(), *item;
	unsigned i;

	for (i = 0; list != NULL && i < p->limit_count; i++) {
		const struct policy_limit *l = &p->limits[i];

		item = json_pack("{s:s, s:o, s:o, s:o}", "asset", l->asset,
		    "day", amount_or_null(l->limit_minor[WINDOW_DAY],
		    l->decimals), "week", amount_or_null(
		    l->limit_minor[WINDOW_WEEK], l->decimals), "month",
		    amount_or_null(l->limit_minor[WINDOW_MONTH], l->decimals));
		json_array_append_new(list, item);
	}
	return list;
}

static json_t *
reserves_json(const struct treasury_policy *p)
{
	json_t *list = json_array();
	unsigned i;

	for (i = 0; list != NULL && i < p->reserve_count; i++)
		json_array_append_new(list, json_pack("{s:s, s:o}", "asset",
		    p->reserves[i].asset, "amount", json_amount(
		    p->reserves[i].reserve_minor, p->reserves[i].decimals)));
	return list;
}

static json_t *
allowlist_json(const struct treasury_policy *p)
{
	json_t *list = json_array();
	unsigned i;

	for (i = 0; list != NULL && i < p->allowlist_count; i++)
		json_array_append_new(list, json_pack("{s:s, s:s}", "to",
		    p->allowlist[i].to, "label", p->allowlist[i].label));
	return json_pack("{s:b, s:o}", "enabled", p->allowlist_on,
	    "destinations", list);
}

static json_t *
uint_or_null(unsigned v)
{
	return v == 0 ? json_null() : json_integer(v);
}

json_t *
policy_json(const struct treasury_policy *p, unsigned m)
{
	return json_pack("{s:I, s:I, s:o, s:I, s:o, s:b, s:o, s:o, s:o}",
	    "timelock_spend_s", (json_int_t)p->timelock_spend_s,
	    "timelock_config_s", (json_int_t)p->timelock_config_s,
	    "veto_count", uint_or_null(p->veto_count),
	    "config_threshold", (json_int_t)(m + p->config_extra),
	    "high_threshold", uint_or_null(p->high_threshold),
	    "key_proof", p->key_proof,
	    "limits", limits_json(p),
	    "reserves", reserves_json(p),
	    "allowlist", allowlist_json(p));
}

/*
 * What this daemon enforces. A policy member that is accepted is enforced
 * end to end; the others are refused (docs/api.md "Policies"), so that no
 * treasury believes it is protected by a rule nothing checks.
 */
treasury_err
policy_supported(const struct treasury_policy *p)
{
	(void)p;	/* every member is enforced now */
	return TREASURY_OK;
}
