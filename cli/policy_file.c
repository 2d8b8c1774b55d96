/*
 * policy_file.c: the policy JSON object of docs/api.md ("The policy
 * object") as a signer writes it in a file, for propose set-policy and
 * treasury create --policy.
 *
 * The client does not link the api's parser: it reads the object here,
 * strictly (only known members, each of its type and range, codes,
 * destinations, labels and amounts by their grammar), and compares it
 * with what the server made by writing both as policy lines
 * (policy_lines_append, docs/signing.md §9.1): one policy has one text,
 * so equal lines are equal policies, and the first line that differs
 * names the field at fault.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "treasury/canonical.h"
#include "treasury/policy.h"

enum { POLICY_FILE_MAX_BYTES = 256 * 1024 };

/* One conversion: where amounts take their decimals, and the first
 * member at fault. */
struct policy_parse {
	const struct treasury_policy *ref;	/* decimals from; NULL: up to
						 * ASSET_DECIMALS_MAX */
	unsigned m;			/* 0: config_threshold is not mapped */
	char field[POLICY_FIELD_MAX_BYTES];
	const char *why;
};

static bool bad(struct policy_parse *pp, const char *why, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

/* Record the member at fault (fmt) and why; returns false. */
static bool
bad(struct policy_parse *pp, const char *why, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(pp->field, sizeof(pp->field), fmt, ap);
	va_end(ap);
	pp->why = why;
	return false;
}

/* Every member of obj (at path; "" for the policy) is one of names
 * (NULL-terminated). */
static bool
members_known(struct policy_parse *pp, json_t *obj, const char *path,
    const char *const *names)
{
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach(obj, key, v) {
		for (i = 0; names[i] != NULL; i++)
			if (strcmp(key, names[i]) == 0)
				break;
		if (names[i] == NULL)
			return bad(pp, "is not a member of a policy", "%s%s%s",
			    path, *path != '\0' ? "." : "", key);
	}
	return true;
}

/* An integer member min..max; absent (or null when nullable) is 0. */
static bool
uint_member(struct policy_parse *pp, json_t *obj, const char *name,
    json_int_t min, json_int_t max, bool nullable, unsigned *out)
{
	json_t *v = json_object_get(obj, name);

	*out = 0;
	if (v == NULL || (nullable && json_is_null(v)))
		return true;
	if (!json_is_integer(v) || json_integer_value(v) < min ||
	    json_integer_value(v) > max)
		return bad(pp, nullable ? "must be null or an integer in range" :
		    "must be an integer in range", "%s", name);
	*out = (unsigned)json_integer_value(v);
	return true;
}

static bool
timelocks_parse(struct policy_parse *pp, json_t *obj,
    struct treasury_policy *p)
{
	unsigned spend, config;

	if (!uint_member(pp, obj, "timelock_spend_s", 0, POLICY_TIMELOCK_MAX_S,
	    false, &spend) || !uint_member(pp, obj, "timelock_config_s", 0,
	    POLICY_TIMELOCK_MAX_S, false, &config))
		return false;
	p->timelock_spend_s = spend;
	/* absent: as long as the spend delay, as the daemon reads it */
	p->timelock_config_s = json_object_get(obj, "timelock_config_s") !=
	    NULL ? config : spend;
	return true;
}

static bool
thresholds_parse(struct policy_parse *pp, json_t *obj,
    struct treasury_policy *p)
{
	unsigned config;
	json_t *kp = json_object_get(obj, "key_proof");

	if (!uint_member(pp, obj, "veto_count", 1, SIGNERS_PER_TREASURY_MAX,
	    true, &p->veto_count) || !uint_member(pp, obj, "config_threshold",
	    1, SIGNERS_PER_TREASURY_MAX, true, &config) || !uint_member(pp,
	    obj, "high_threshold", 1, SIGNERS_PER_TREASURY_MAX, true,
	    &p->high_threshold))
		return false;
	if (kp != NULL && !json_is_boolean(kp))
		return bad(pp, "must be true or false", "key_proof");
	p->key_proof = json_is_true(kp);
	p->config_extra = 0;
	if (pp->m != 0 && config != 0 && config != pp->m) {
		if (config != pp->m + 1)
			return bad(pp, "is neither the threshold M nor M + 1",
			    "config_threshold");
		p->config_extra = 1;
	}
	return true;
}

/* The decimals of asset: the reference policy's (limits, then reserves,
 * exact code), or ASSET_DECIMALS_MAX to check syntax only. */
static bool
asset_decimals(struct policy_parse *pp, const char *asset, const char *path,
    unsigned *out)
{
	const struct policy_limit *l;
	const struct policy_reserve *r;

	*out = ASSET_DECIMALS_MAX;
	if (pp->ref == NULL)
		return true;
	l = policy_limit_find(pp->ref, asset);
	r = policy_reserve_find(pp->ref, asset);
	if (l == NULL && r == NULL)
		return bad(pp, "is not in the other policy", "%s.asset", path);
	*out = l != NULL ? l->decimals : r->decimals;
	return true;
}

/* The asset member of a limit or reserve into code. */
static bool
asset_member(struct policy_parse *pp, json_t *item, const char *path,
    char code[ASSET_CODE_MAX_BYTES + 1], unsigned *decimals)
{
	const char *s = json_str(item, "asset");

	if (s == NULL || asset_code_check(s, strlen(s)) != TREASURY_OK)
		return bad(pp, "must be an asset code", "%s.asset", path);
	memcpy(code, s, strlen(s) + 1);
	return asset_decimals(pp, code, path, decimals);
}

/* An amount member: a decimal string > 0; absent or null is 0 when
 * optional. */
static bool
amount_member(struct policy_parse *pp, json_t *item, const char *path,
    const char *name, unsigned decimals, bool optional, amount_minor *out)
{
	json_t *v = json_object_get(item, name);

	*out = 0;
	if (optional && (v == NULL || json_is_null(v)))
		return true;
	if (!json_is_string(v) || amount_parse(json_string_value(v),
	    json_string_length(v), decimals, out) != TREASURY_OK)
		return bad(pp, "must be a decimal string greater than zero, "
		    "within the asset's decimals", "%s.%s", path, name);
	return true;
}

static bool
limit_parse(struct policy_parse *pp, json_t *item, const char *path,
    struct treasury_policy *p)
{
	static const char *const names[] = { "asset", "day", "week", "month",
	    NULL };
	struct policy_limit *l = &p->limits[p->limit_count];
	enum policy_window w;
	if (!members_known(pp, item, path, names) ||
	    !asset_member(pp, item, path, l->asset, &l->decimals))
		return false;
	for (w = WINDOW_DAY; w <= WINDOW_MONTH; w++)
		if (!amount_member(pp, item, path, policy_window_name(w),
		    l->decimals, true, &l->limit_minor[w]))
			return false;
	if (l->limit_minor[WINDOW_DAY] == 0 && l->limit_minor[WINDOW_WEEK] ==
	    0 && l->limit_minor[WINDOW_MONTH] == 0)
		return bad(pp, "sets no limit (day, week or month)", "%s", path);
	p->limit_count++;
	return true;
}

static bool
reserve_parse(struct policy_parse *pp, json_t *item, const char *path,
    struct treasury_policy *p)
{
	static const char *const names[] = { "asset", "amount", NULL };
	struct policy_reserve *r = &p->reserves[p->reserve_count];

	if (!members_known(pp, item, path, names) ||
	    !asset_member(pp, item, path, r->asset, &r->decimals) ||
	    !amount_member(pp, item, path, "amount", r->decimals, false,
	    &r->reserve_minor))
		return false;
	p->reserve_count++;
	return true;
}

static bool
destination_parse(struct policy_parse *pp, json_t *item, const char *path,
    struct treasury_policy *p)
{
	static const char *const names[] = { "to", "label", NULL };
	struct policy_destination *d = &p->allowlist[p->allowlist_count];
	const char *to = json_str(item, "to"), *label = json_str(item, "label");
	json_t *lv = json_object_get(item, "label");

	if (!members_known(pp, item, path, names))
		return false;
	if (to == NULL || destination_check(to, strlen(to)) != TREASURY_OK)
		return bad(pp, "must be 1..128 printable ASCII characters, no "
		    "space", "%s.to", path);
	if (lv != NULL && (label == NULL || json_string_length(lv) >
	    POLICY_LABEL_MAX_BYTES || memo_check(label, json_string_length(lv))
	    != TREASURY_OK))
		return bad(pp, "must be at most 64 bytes of memo-safe text",
		    "%s.label", path);
	memcpy(d->to, to, strlen(to) + 1);
	if (label != NULL)
		memcpy(d->label, label, strlen(label) + 1);
	p->allowlist_count++;
	return true;
}

typedef bool (*item_parse)(struct policy_parse *, json_t *, const char *,
    struct treasury_policy *);

/* A list member of obj (absent: empty) of at most max objects. */
static bool
list_parse(struct policy_parse *pp, json_t *obj, const char *name,
    const char *path, size_t max, item_parse parse, struct treasury_policy *p)
{
	char item_path[POLICY_FIELD_MAX_BYTES];
	json_t *list = json_object_get(obj, name), *item;
	size_t i;

	if (list == NULL)
		return true;
	if (!json_is_array(list) || json_array_size(list) > max)
		return bad(pp, "must be a list of at most 16 items (64 "
		    "destinations)", "%s", path);
	json_array_foreach(list, i, item) {
		snprintf(item_path, sizeof(item_path), "%s[%zu]", path, i);
		if (!json_is_object(item))
			return bad(pp, "must be an object", "%s", item_path);
		if (!parse(pp, item, item_path, p))
			return false;
	}
	return true;
}

static bool
allowlist_parse(struct policy_parse *pp, json_t *obj,
    struct treasury_policy *p)
{
	static const char *const names[] = { "enabled", "destinations", NULL };
	json_t *al = json_object_get(obj, "allowlist");

	if (al == NULL)
		return true;
	if (!json_is_object(al))
		return bad(pp, "must be an object", "allowlist");
	if (!members_known(pp, al, "allowlist", names))
		return false;
	if (!json_is_boolean(json_object_get(al, "enabled")))
		return bad(pp, "must be true or false", "allowlist.enabled");
	p->allowlist_on = json_is_true(json_object_get(al, "enabled"));
	return list_parse(pp, al, "destinations", "allowlist.destinations",
	    POLICY_ALLOWLIST_MAX, destination_parse, p);
}

/* The whole object into *p (policy_init first). */
static bool
policy_parse(struct policy_parse *pp, json_t *obj, struct treasury_policy *p)
{
	static const char *const names[] = { "timelock_spend_s",
	    "timelock_config_s", "veto_count", "config_threshold",
	    "high_threshold", "key_proof", "limits", "reserves", "allowlist",
	    NULL };

	policy_init(p);
	if (!json_is_object(obj))
		return bad(pp, "must be a JSON object", "policy");
	return members_known(pp, obj, "", names) &&
	    timelocks_parse(pp, obj, p) && thresholds_parse(pp, obj, p) &&
	    list_parse(pp, obj, "limits", "limits", POLICY_LIMITS_MAX,
	    limit_parse, p) &&
	    list_parse(pp, obj, "reserves", "reserves", POLICY_RESERVES_MAX,
	    reserve_parse, p) &&
	    allowlist_parse(pp, obj, p);
}

int
policy_file_load(const char *path, json_t **out)
{
	struct policy_parse pp = { NULL, 0, "", NULL };
	struct treasury_policy *p = NULL;
	json_error_t jerr;
	char *text = NULL;
	size_t len;
	int rc;

	*out = NULL;
	rc = file_read_all(path, POLICY_FILE_MAX_BYTES, false, &text, &len);
	if (rc != CTL_OK)
		return rc;
	*out = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	free(text);
	if (*out == NULL) {
		ctl_err("%s:%d: not JSON (duplicate keys are refused too): %s",
		    path, jerr.line, jerr.text);
		return CTL_USAGE;
	}
	p = malloc(sizeof(*p));
	if (p == NULL) {
		ctl_err("out of memory");
		rc = CTL_ERROR;
	} else if (!policy_parse(&pp, *out, p)) {
		ctl_err("%s: '%s' %s", path, pp.field, pp.why);
		rc = CTL_USAGE;
	}
	free(p);
	if (rc != CTL_OK) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

/* The key of the first line where mine and theirs differ (as theirs
 * writes it when it has that line: "limit.1.day"). */
static void
first_difference(const struct textbuf *mine, const struct textbuf *theirs,
    char field[POLICY_FIELD_MAX_BYTES])
{
	const struct textbuf *t;
	size_t i, start = 0, end;

	for (i = 0; i < mine->len && i < theirs->len &&
	    mine->data[i] == theirs->data[i]; i++)
		if (mine->data[i] == '\n')
			start = i + 1;
	t = i < theirs->len ? theirs : mine;
	for (end = start; end < t->len && t->data[end] != ':' &&
	    t->data[end] != '\n'; end++)
		;
	snprintf(field, POLICY_FIELD_MAX_BYTES, "%.*s", (int)(end - start),
	    t->data + start);
}

int
policy_file_compare(json_t *want, const struct treasury_policy *got,
    unsigned m, unsigned n, char field[POLICY_FIELD_MAX_BYTES])
{
	struct policy_parse pp = { got, m, "", NULL };
	struct treasury_policy *p = malloc(sizeof(*p));
	struct textbuf mine, theirs;
	treasury_err err;
	int rc = CTL_VERIFY;

	textbuf_init(&mine, CANONICAL_MAX_BYTES);
	textbuf_init(&theirs, CANONICAL_MAX_BYTES);
	snprintf(field, POLICY_FIELD_MAX_BYTES, "policy");
	if (p == NULL || !policy_parse(&pp, want, p)) {
		if (p != NULL)
			snprintf(field, POLICY_FIELD_MAX_BYTES, "%s", pp.field);
		goto done;
	}
	policy_normalize(p);
	err = policy_lines_append(&mine, p, m, n);
	if (err == TREASURY_OK)
		err = policy_lines_append(&theirs, got, m, n);
	if (err != TREASURY_OK)
		snprintf(field, POLICY_FIELD_MAX_BYTES, "policy (%s)",
		    treasury_err_name(err));
	else if (mine.len == theirs.len && memcmp(mine.data, theirs.data,
	    mine.len) == 0)
		rc = CTL_OK;
	else
		first_difference(&mine, &theirs, field);
done:
	textbuf_free(&mine);
	textbuf_free(&theirs);
	free(p);
	return rc;
}
