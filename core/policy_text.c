/*
 * policy_text.c: the canonical text of the policy kinds, set-policy and
 * unfreeze (docs/signing.md §9), and of the freeze request.
 *
 * A set-policy text states the whole policy after the change, one value
 * per line, lists numbered from 1 like a batch's transfers; an unfreeze
 * names the freeze it lifts. Words stand where a number would mislead a
 * reader: "none" for no limit or no high threshold, "default" for the
 * default veto count, never a 0 that could be read as "nothing allowed".
 *
 * The reader here is as strict as proposal.c's: one forward pass over
 * fixed keys; proposal_decode then re-encodes the fields and compares, so
 * any spelling this writer would not produce is refused.
 */
#include <assert.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "treasury/amount.h"
#include "treasury/canonical.h"
#include "treasury/hash.h"
#include "treasury/hex.h"
#include "treasury/policy.h"
#include "treasury/proposal.h"

#include "canonical_text.h"
#include "policy_text.h"

/* "destination." + 2 digits + "." + NUL, with room to spare. */
#define LIST_PREFIX_BYTES (24)
#define FREEZE_FIRST_LINE "treasuryd freeze v1\n"

static const char *const window_keys[POLICY_WINDOWS] = {
	"day", "week", "month"
};

/* ---- writing ---- */

static treasury_err
word_append(struct textbuf *out, const char *key, const char *word)
{
	return canonical_line_append(out, key, word, strlen(word));
}

/* "<prefix><key>: <value>\n" with a list prefix such as "limit.3.". */
static treasury_err
item_append(struct textbuf *out, const char *prefix, const char *key,
    const char *value, size_t value_len)
{
	char full[LIST_PREFIX_BYTES + 16];
	int n;

	n = snprintf(full, sizeof(full), "%s%s", prefix, key);
	assert(n > 0 && (size_t)n < sizeof(full));
	return canonical_line_append(out, full, value, value_len);
}

static void
list_prefix(char prefix[LIST_PREFIX_BYTES], const char *list, unsigned i)
{
	int n;

	n = snprintf(prefix, LIST_PREFIX_BYTES, "%s.%u.", list, i + 1);
	assert(n > 0 && n < LIST_PREFIX_BYTES);
}

/* An amount line, or "none" for a zero limit. */
static treasury_err
amount_or_none_append(struct textbuf *out, const char *prefix,
    const char *key, amount_minor v, unsigned decimals)
{
	char text[AMOUNT_FORMAT_MAX_BYTES];
	treasury_err err;

	if (v == 0)
		return item_append(out, prefix, key, "none", 4);
	err = amount_format(v, decimals, text, sizeof(text));
	if (err != TREASURY_OK)
		return err;
	return item_append(out, prefix, key, text, strlen(text));
}

static treasury_err
limits_append(struct textbuf *out, const struct treasury_policy *p)
{
	char prefix[LIST_PREFIX_BYTES];
	const struct policy_limit *l;
	treasury_err err;
	unsigned i, w;

	err = canonical_line_append_u64(out, "limits", p->limit_count);
	for (i = 0; i < p->limit_count && err == TREASURY_OK; i++) {
		l = &p->limits[i];
		list_prefix(prefix, "limit", i);
		err = item_append(out, prefix, "asset", l->asset,
		    strlen(l->asset));
		for (w = 0; w < POLICY_WINDOWS && err == TREASURY_OK; w++)
			err = amount_or_none_append(out, prefix, window_keys[w],
			    l->limit_minor[w], l->decimals);
	}
	return err;
}

static treasury_err
reserves_append(struct textbuf *out, const struct treasury_policy *p)
{
	char prefix[LIST_PREFIX_BYTES];
	const struct policy_reserve *r;
	treasury_err err;
	unsigned i;

	err = canonical_line_append_u64(out, "reserves", p->reserve_count);
	for (i = 0; i < p->reserve_count && err == TREASURY_OK; i++) {
		r = &p->reserves[i];
		list_prefix(prefix, "reserve", i);
		err = item_append(out, prefix, "asset", r->asset,
		    strlen(r->asset));
		if (err == TREASURY_OK)
			err = amount_or_none_append(out, prefix, "amount",
			    r->reserve_minor, r->decimals);
	}
	return err;
}

static treasury_err
allowlist_append(struct textbuf *out, const struct treasury_policy *p)
{
	char prefix[LIST_PREFIX_BYTES];
	const struct policy_destination *d;
	treasury_err err;
	unsigned i;

	err = word_append(out, "allowlist", p->allowlist_on ? "on" : "off");
	if (err == TREASURY_OK)
		err = canonical_line_append_u64(out, "destinations",
		    p->allowlist_count);
	for (i = 0; i < p->allowlist_count && err == TREASURY_OK; i++) {
		d = &p->allowlist[i];
		list_prefix(prefix, "destination", i);
		err = item_append(out, prefix, "to", d->to, strlen(d->to));
		if (err == TREASURY_OK)
			err = item_append(out, prefix, "label", d->label,
			    strlen(d->label));
	}
	return err;
}

/* threshold .. key_proof: the scalar values. */
static treasury_err
scalars_append(struct textbuf *out, const struct treasury_policy *p,
    unsigned m, unsigned n)
{
	treasury_err err;

	err = canonical_line_append_u64(out, "threshold", m);
	if (err == TREASURY_OK)
		err = canonical_line_append_u64(out, "signers", n);
	if (err == TREASURY_OK)
		err = canonical_line_append_u64(out, "timelock_spend_s",
		    (uint64_t)p->timelock_spend_s);
	if (err == TREASURY_OK)
		err = canonical_line_append_u64(out, "timelock_config_s",
		    (uint64_t)p->timelock_config_s);
	if (err == TREASURY_OK)
		err = p->veto_count == 0 ?
		    word_append(out, "veto_count", "default") :
		    canonical_line_append_u64(out, "veto_count", p->veto_count);
	if (err == TREASURY_OK)
		err = canonical_line_append_u64(out, "config_threshold",
		    (uint64_t)m + p->config_extra);
	if (err == TREASURY_OK)
		err = p->high_threshold == 0 ?
		    word_append(out, "high_threshold", "none") :
		    canonical_line_append_u64(out, "high_threshold",
		    p->high_threshold);
	if (err == TREASURY_OK)
		err = word_append(out, "key_proof",
		    p->key_proof ? "required" : "none");
	return err;
}

treasury_err
policy_lines_append(struct textbuf *out, const struct treasury_policy *p,
    unsigned m, unsigned n)
{
	treasury_err err;

	err = treasury_policy_check(p, m, n);
	if (err == TREASURY_OK)
		err = scalars_append(out, p, m, n);
	if (err == TREASURY_OK)
		err = limits_append(out, p);
	if (err == TREASURY_OK)
		err = reserves_append(out, p);
	if (err == TREASURY_OK)
		err = allowlist_append(out, p);
	return err;
}

treasury_err
policy_digest_compute(uint8_t digest[DIGEST_BYTES],
    const struct treasury_policy *p, unsigned m, unsigned n)
{
	struct textbuf tb;
	treasury_err err;

	textbuf_init(&tb, CANONICAL_MAX_BYTES);
	err = policy_lines_append(&tb, p, m, n);
	if (err == TREASURY_OK)
		tagged_hash(digest, POLICY_TAG, (const uint8_t *)tb.data,
		    tb.len);
	textbuf_free(&tb);
	return err;
}

/* ---- the hooks for proposal.c: check and write ---- */

treasury_err
policy_body_check(const struct proposal_fields *p)
{
	unsigned m = p->threshold_after, n = p->signers_after;

	if (p->kind == KIND_UNFREEZE)
		return p->freeze_seq >= 1 ? TREASURY_OK : TREASURY_ERR_CANONICAL;
	assert(p->kind == KIND_SET_POLICY);
	if (m < 1 || m > n || n > SIGNERS_PER_TREASURY_MAX)
		return TREASURY_ERR_THRESHOLD;
	return treasury_policy_check(&p->policy, m, n);
}

treasury_err
policy_body_append(struct textbuf *out, const struct proposal_fields *p)
{
	if (p->kind == KIND_UNFREEZE)
		return canonical_line_append_u64(out, "freeze", p->freeze_seq);
	assert(p->kind == KIND_SET_POLICY);
	return policy_lines_append(out, &p->policy, p->threshold_after,
	    p->signers_after);
}

/* ---- reading ---- */

static bool
value_is(const char *v, size_t n, const char *word)
{
	return strlen(word) == n && memcmp(v, word, n) == 0;
}

static treasury_err
u64_line_take(struct cursor *c, const char *prefix, const char *key,
    uint64_t *out)
{
	const char *v;
	size_t n;
	treasury_err err;

	err = canonical_line_take(c, prefix, key, &v, &n);
	if (err == TREASURY_OK)
		err = canonical_u64_parse(v, n, out);
	return err;
}

/* A number in 1..max, or the word (giving 0). 0 itself is _CANONICAL (it
 * is spelt as the word); above max is too_big. */
static treasury_err
number_or_word_take(struct cursor *c, const char *key, const char *word,
    uint64_t max, treasury_err too_big, unsigned *out)
{
	const char *v;
	size_t n;
	uint64_t x;
	treasury_err err;

	err = canonical_line_take(c, "", key, &v, &n);
	if (err != TREASURY_OK)
		return err;
	if (value_is(v, n, word)) {
		*out = 0;
		return TREASURY_OK;
	}
	err = canonical_u64_parse(v, n, &x);
	if (err == TREASURY_OK && x == 0)
		err = TREASURY_ERR_CANONICAL;
	if (err == TREASURY_OK && x > max)
		err = too_big;
	if (err == TREASURY_OK)
		*out = (unsigned)x;
	return err;
}

/* One of two words: *out is true for yes, false for no. */
static treasury_err
word_take(struct cursor *c, const char *key, const char *yes, const char *no,
    bool *out)
{
	const char *v;
	size_t n;
	treasury_err err;

	err = canonical_line_take(c, "", key, &v, &n);
	if (err != TREASURY_OK)
		return err;
	if (value_is(v, n, yes))
		*out = true;
	else if (value_is(v, n, no))
		*out = false;
	else
		return TREASURY_ERR_CANONICAL;
	return TREASURY_OK;
}

static treasury_err
delay_take(struct cursor *c, const char *key, int64_t *out)
{
	uint64_t v;
	treasury_err err;

	err = u64_line_take(c, "", key, &v);
	if (err == TREASURY_OK && v > (uint64_t)POLICY_TIMELOCK_MAX_S)
		err = TREASURY_ERR_POLICY_TIMELOCK;
	if (err == TREASURY_OK)
		*out = (int64_t)v;
	return err;
}

static treasury_err
count_take(struct cursor *c, const char *key, unsigned max, unsigned *out)
{
	uint64_t v;
	treasury_err err;

	err = u64_line_take(c, "", key, &v);
	if (err == TREASURY_OK && v > max)
		err = TREASURY_ERR_TOO_LARGE;
	if (err == TREASURY_OK)
		*out = (unsigned)v;
	return err;
}

/* threshold and signers: 1 <= M <= N <= 32, checked as one rule. */
static treasury_err
m_of_n_take(struct cursor *c, unsigned *m_out, unsigned *n_out)
{
	uint64_t m, n;
	treasury_err err;

	err = u64_line_take(c, "", "threshold", &m);
	if (err == TREASURY_OK)
		err = u64_line_take(c, "", "signers", &n);
	if (err != TREASURY_OK)
		return err;
	if (m < 1 || m > n || n > SIGNERS_PER_TREASURY_MAX)
		return TREASURY_ERR_THRESHOLD;
	*m_out = (unsigned)m;
	*n_out = (unsigned)n;
	return TREASURY_OK;
}

/* config_threshold is M or M + 1; stored as the extra 0 or 1. */
static treasury_err
config_threshold_take(struct cursor *c, unsigned m, unsigned *extra)
{
	uint64_t v;
	treasury_err err;

	err = u64_line_take(c, "", "config_threshold", &v);
	if (err != TREASURY_OK)
		return err;
	if (v < m || v > (uint64_t)m + 1)
		return TREASURY_ERR_POLICY_CONFIG_THRESHOLD;
	*extra = (unsigned)(v - m);
	return TREASURY_OK;
}

static treasury_err
scalars_take(struct cursor *c, struct treasury_policy *pol, unsigned *m,
    unsigned *n)
{
	treasury_err err;

	err = m_of_n_take(c, m, n);
	if (err == TREASURY_OK)
		err = delay_take(c, "timelock_spend_s", &pol->timelock_spend_s);
	if (err == TREASURY_OK)
		err = delay_take(c, "timelock_config_s", &pol->timelock_config_s);
	if (err == TREASURY_OK)
		err = number_or_word_take(c, "veto_count", "default",
		    SIGNERS_PER_TREASURY_MAX, TREASURY_ERR_POLICY_VETO_COUNT,
		    &pol->veto_count);
	if (err == TREASURY_OK)
		err = config_threshold_take(c, *m, &pol->config_extra);
	if (err == TREASURY_OK)
		err = number_or_word_take(c, "high_threshold", "none",
		    SIGNERS_PER_TREASURY_MAX, TREASURY_ERR_POLICY_HIGH_THRESHOLD,
		    &pol->high_threshold);
	if (err == TREASURY_OK)
		err = word_take(c, "key_proof", "required", "none",
		    &pol->key_proof);
	return err;
}

/* Copy a checked value of n bytes into dst[size], NUL-terminated. */
static void
value_copy(char *dst, size_t size, const char *v, size_t n)
{
	assert(n < size);
	memcpy(dst, v, n);
	dst[n] = '\0';
}

static treasury_err
asset_take(struct cursor *c, const char *prefix,
    char dst[ASSET_CODE_MAX_BYTES + 1])
{
	const char *v;
	size_t n;
	treasury_err err;

	err = canonical_line_take(c, prefix, "asset", &v, &n);
	if (err == TREASURY_OK)
		err = asset_code_check(v, n);
	if (err == TREASURY_OK)
		value_copy(dst, ASSET_CODE_MAX_BYTES + 1, v, n);
	return err;
}

/* An amount or "none" (0). The amount's fraction digits give its
 * decimals; *decimals is set by the first amount of an entry
 * (*have_decimals) and every later one must have as many. */
static treasury_err
amount_or_none_take(struct cursor *c, const char *prefix, const char *key,
    unsigned *decimals, bool *have_decimals, amount_minor *out)
{
	const char *v, *dot;
	size_t n, d = 0;
	treasury_err err;

	err = canonical_line_take(c, prefix, key, &v, &n);
	if (err != TREASURY_OK)
		return err;
	if (value_is(v, n, "none")) {
		*out = 0;
		return TREASURY_OK;
	}
	dot = memchr(v, '.', n);
	if (dot != NULL)
		d = n - (size_t)(dot - v) - 1;
	if (d > ASSET_DECIMALS_MAX)
		return TREASURY_ERR_DECIMALS;
	if (*have_decimals && d != *decimals)
		return TREASURY_ERR_CANONICAL;
	*decimals = (unsigned)d;
	*have_decimals = true;
	return amount_parse(v, n, *decimals, out);
}

static treasury_err
limits_take(struct cursor *c, struct treasury_policy *pol)
{
	char prefix[LIST_PREFIX_BYTES];
	struct policy_limit *l;
	bool have;
	treasury_err err;
	unsigned i, w;

	err = count_take(c, "limits", POLICY_LIMITS_MAX, &pol->limit_count);
	for (i = 0; i < pol->limit_count && err == TREASURY_OK; i++) {
		l = &pol->limits[i];
		list_prefix(prefix, "limit", i);
		have = false;
		err = asset_take(c, prefix, l->asset);
		for (w = 0; w < POLICY_WINDOWS && err == TREASURY_OK; w++)
			err = amount_or_none_take(c, prefix, window_keys[w],
			    &l->decimals, &have, &l->limit_minor[w]);
	}
	return err;
}

static treasury_err
reserves_take(struct cursor *c, struct treasury_policy *pol)
{
	char prefix[LIST_PREFIX_BYTES];
	struct policy_reserve *r;
	bool have;
	treasury_err err;
	unsigned i;

	err = count_take(c, "reserves", POLICY_RESERVES_MAX,
	    &pol->reserve_count);
	for (i = 0; i < pol->reserve_count && err == TREASURY_OK; i++) {
		r = &pol->reserves[i];
		list_prefix(prefix, "reserve", i);
		have = false;
		err = asset_take(c, prefix, r->asset);
		if (err == TREASURY_OK)
			err = amount_or_none_take(c, prefix, "amount",
			    &r->decimals, &have, &r->reserve_minor);
	}
	return err;
}

static treasury_err
destination_take(struct cursor *c, const char *prefix,
    struct policy_destination *d)
{
	const char *v;
	size_t n;
	treasury_err err;

	err = canonical_line_take(c, prefix, "to", &v, &n);
	if (err == TREASURY_OK)
		err = destination_check(v, n);
	if (err != TREASURY_OK)
		return err;
	value_copy(d->to, sizeof(d->to), v, n);
	err = canonical_line_take(c, prefix, "label", &v, &n);
	if (err == TREASURY_OK && (n > POLICY_LABEL_MAX_BYTES ||
	    memo_check(v, n) != TREASURY_OK))
		err = TREASURY_ERR_POLICY_LABEL;
	if (err == TREASURY_OK)
		value_copy(d->label, sizeof(d->label), v, n);
	return err;
}

static treasury_err
allowlist_take(struct cursor *c, struct treasury_policy *pol)
{
	char prefix[LIST_PREFIX_BYTES];
	treasury_err err;
	unsigned i;

	err = word_take(c, "allowlist", "on", "off", &pol->allowlist_on);
	if (err == TREASURY_OK)
		err = count_take(c, "destinations", POLICY_ALLOWLIST_MAX,
		    &pol->allowlist_count);
	for (i = 0; i < pol->allowlist_count && err == TREASURY_OK; i++) {
		list_prefix(prefix, "destination", i);
		err = destination_take(c, prefix, &pol->allowlist[i]);
	}
	return err;
}

/* Every policy line, from threshold to the last destination. */
static treasury_err
policy_lines_take(struct cursor *c, struct treasury_policy *pol, unsigned *m,
    unsigned *n)
{
	treasury_err err;

	policy_init(pol);
	err = scalars_take(c, pol, m, n);
	if (err == TREASURY_OK)
		err = limits_take(c, pol);
	if (err == TREASURY_OK)
		err = reserves_take(c, pol);
	if (err == TREASURY_OK)
		err = allowlist_take(c, pol);
	if (err == TREASURY_OK)
		err = treasury_policy_check(pol, *m, *n);
	return err;
}

treasury_err
policy_body_take(struct cursor *c, struct proposal_fields *p)
{
	treasury_err err;

	if (p->kind == KIND_UNFREEZE) {
		err = u64_line_take(c, "", "freeze", &p->freeze_seq);
		if (err == TREASURY_OK && p->freeze_seq == 0)
			err = TREASURY_ERR_CANONICAL;
		return err;
	}
	assert(p->kind == KIND_SET_POLICY);
	return policy_lines_take(c, &p->policy, &p->threshold_after,
	    &p->signers_after);
}

treasury_err
policy_lines_decode(const char *text, size_t len, struct treasury_policy *p,
    unsigned *m, unsigned *n)
{
	struct cursor c = { text, len, 0 };
	struct textbuf tb;
	treasury_err err;

	if (len > CANONICAL_MAX_BYTES)
		return TREASURY_ERR_TOO_LARGE;
	if (text == NULL || memchr(text, '\r', len) != NULL ||
	    memchr(text, '\t', len) != NULL)
		return TREASURY_ERR_CANONICAL;
	err = policy_lines_take(&c, p, m, n);
	if (err == TREASURY_OK && c.pos != c.len)
		err = TREASURY_ERR_CANONICAL;
	if (err != TREASURY_OK)
		return err;
	textbuf_init(&tb, CANONICAL_MAX_BYTES);
	err = policy_lines_append(&tb, p, *m, *n);
	if (err == TREASURY_OK &&
	    (tb.len != len || memcmp(tb.data, text, len) != 0))
		err = TREASURY_ERR_CANONICAL;
	textbuf_free(&tb);
	return err;
}

/* ---- freeze request ---- */

treasury_err
freeze_request_encode(struct textbuf *out, const struct freeze_request *r)
{
	char instance_hex[INSTANCE_ID_BYTES * 2 + 1];
	treasury_err err;

	assert(out->len == 0);
	if (r->treasury == NULL ||
	    treasury_id_check(r->treasury, strlen(r->treasury)) != TREASURY_OK)
		return TREASURY_ERR_TREASURY_ID;
	if (r->config_version == 0 || r->freeze_seq == 0)
		return TREASURY_ERR_INTERNAL;
	hex_encode(instance_hex, r->instance, INSTANCE_ID_BYTES);
	err = textbuf_append(out, FREEZE_FIRST_LINE,
	    sizeof(FREEZE_FIRST_LINE) - 1);
	if (err == TREASURY_OK)
		err = canonical_line_append(out, "instance", instance_hex,
		    INSTANCE_ID_BYTES * 2);
	if (err == TREASURY_OK)
		err = canonical_line_append(out, "treasury", r->treasury,
		    strlen(r->treasury));
	if (err == TREASURY_OK)
		err = canonical_line_append_u64(out, "config",
		    r->config_version);
	if (err == TREASURY_OK)
		err = canonical_line_append_u64(out, "freeze", r->freeze_seq);
	if (err != TREASURY_OK)
		canonical_text_reset(out);
	return err;
}

treasury_err
freeze_digest_compute(uint8_t digest[DIGEST_BYTES],
    const struct freeze_request *r)
{
	struct textbuf tb;
	treasury_err err;

	textbuf_init(&tb, CANONICAL_MAX_BYTES);
	err = freeze_request_encode(&tb, r);
	if (err == TREASURY_OK)
		tagged_hash(digest, FREEZE_TAG, (const uint8_t *)tb.data,
		    tb.len);
	textbuf_free(&tb);
	return err;
}
