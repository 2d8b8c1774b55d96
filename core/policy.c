/*
 * policy.c: treasury policies as pure decisions
 * (docs/policies.md): validation, thresholds, spending limits over rolling
 * windows, reserves, the allowlist, timelocks, vetoes, the state a tally
 * gives a proposal, freezes, and the tagged-hash digests of vetoes,
 * revocations and key-possession proofs.
 *
 * No I/O and no clock: the engine passes the time and the sums it read.
 * Amounts are unsigned 128-bit minor units and every sum is checked, so
 * a limit is never passed by wrapping around. The text of the policy kinds
 * is in policy_text.c.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "treasury/canonical.h"
#include "treasury/hash.h"
#include "treasury/policy.h"

#include "canonical_text.h"

#define DAY_S (86400LL)

static const int64_t window_lengths_s[POLICY_WINDOWS] = {
	[WINDOW_DAY] = DAY_S,
	[WINDOW_WEEK] = 7 * DAY_S,
	[WINDOW_MONTH] = 30 * DAY_S,
};

static const char *const window_names[POLICY_WINDOWS] = {
	[WINDOW_DAY] = "day",
	[WINDOW_WEEK] = "week",
	[WINDOW_MONTH] = "month",
};

/* ---- the policy itself ---- */

void
policy_init(struct treasury_policy *p)
{
	memset(p, 0, sizeof(*p));
}

bool
policy_is_empty(const struct treasury_policy *p)
{
	return p->timelock_spend_s == 0 && p->timelock_config_s == 0 &&
	    p->veto_count == 0 && p->config_extra == 0 &&
	    p->high_threshold == 0 && !p->key_proof && p->limit_count == 0 &&
	    p->reserve_count == 0 && !p->allowlist_on &&
	    p->allowlist_count == 0;
}

static char
ascii_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* strcmp of two asset codes with ASCII letters folded to lower case. */
static int
asset_cmp_fold(const char *a, const char *b)
{
	unsigned char x, y;

	for (;; a++, b++) {
		x = (unsigned char)ascii_lower(*a);
		y = (unsigned char)ascii_lower(*b);
		if (x != y || x == '\0')
			return (int)x - (int)y;
	}
}

static int
limit_order(const void *a, const void *b)
{
	return asset_cmp_fold(((const struct policy_limit *)a)->asset,
	    ((const struct policy_limit *)b)->asset);
}

static int
reserve_order(const void *a, const void *b)
{
	return asset_cmp_fold(((const struct policy_reserve *)a)->asset,
	    ((const struct policy_reserve *)b)->asset);
}

static int
destination_order(const void *a, const void *b)
{
	return strcmp(((const struct policy_destination *)a)->to,
	    ((const struct policy_destination *)b)->to);
}

void
policy_normalize(struct treasury_policy *p)
{
	assert(p->limit_count <= POLICY_LIMITS_MAX);
	assert(p->reserve_count <= POLICY_RESERVES_MAX);
	assert(p->allowlist_count <= POLICY_ALLOWLIST_MAX);
	qsort(p->limits, p->limit_count, sizeof(p->limits[0]), limit_order);
	qsort(p->reserves, p->reserve_count, sizeof(p->reserves[0]),
	    reserve_order);
	qsort(p->allowlist, p->allowlist_count, sizeof(p->allowlist[0]),
	    destination_order);
}

static treasury_err
asset_entry_check(const char asset[ASSET_CODE_MAX_BYTES + 1],
    unsigned decimals)
{
	size_t len;

	if (!array_strlen(asset, ASSET_CODE_MAX_BYTES + 1, &len) ||
	    asset_code_check(asset, len) != TREASURY_OK)
		return TREASURY_ERR_ASSET_CODE;
	if (decimals > ASSET_DECIMALS_MAX)
		return TREASURY_ERR_DECIMALS;
	return TREASURY_OK;
}

static treasury_err
scalars_check(const struct treasury_policy *p, unsigned m, unsigned n)
{
	if (p->timelock_spend_s < 0 ||
	    p->timelock_spend_s > POLICY_TIMELOCK_MAX_S ||
	    p->timelock_config_s < p->timelock_spend_s ||
	    p->timelock_config_s > POLICY_TIMELOCK_MAX_S)
		return TREASURY_ERR_POLICY_TIMELOCK;
	if (p->veto_count > n)
		return TREASURY_ERR_POLICY_VETO_COUNT;
	if (p->config_extra > 1 || m + p->config_extra > n)
		return TREASURY_ERR_POLICY_CONFIG_THRESHOLD;
	if (p->high_threshold != 0 &&
	    (p->high_threshold < m || p->high_threshold > n))
		return TREASURY_ERR_POLICY_HIGH_THRESHOLD;
	if (p->limit_count > POLICY_LIMITS_MAX ||
	    p->reserve_count > POLICY_RESERVES_MAX ||
	    p->allowlist_count > POLICY_ALLOWLIST_MAX)
		return TREASURY_ERR_TOO_LARGE;
	return TREASURY_OK;
}

static treasury_err
limits_check(const struct treasury_policy *p)
{
	const struct policy_limit *l;
	treasury_err err;
	unsigned i;

	for (i = 0; i < p->limit_count; i++) {
		l = &p->limits[i];
		err = asset_entry_check(l->asset, l->decimals);
		if (err != TREASURY_OK)
			return err;
		if (l->limit_minor[WINDOW_DAY] == 0 &&
		    l->limit_minor[WINDOW_WEEK] == 0 &&
		    l->limit_minor[WINDOW_MONTH] == 0)
			return TREASURY_ERR_POLICY_LIMIT;
		if (i > 0 && asset_cmp_fold(p->limits[i - 1].asset,
		    l->asset) >= 0)
			return TREASURY_ERR_POLICY_ORDER;
	}
	return TREASURY_OK;
}

static treasury_err
reserves_check(const struct treasury_policy *p)
{
	const struct policy_reserve *r;
	const struct policy_limit *l;
	treasury_err err;
	unsigned i;

	for (i = 0; i < p->reserve_count; i++) {
		r = &p->reserves[i];
		err = asset_entry_check(r->asset, r->decimals);
		if (err != TREASURY_OK)
			return err;
		if (r->reserve_minor == 0)
			return TREASURY_ERR_POLICY_RESERVE;
		if (i > 0 && asset_cmp_fold(p->reserves[i - 1].asset,
		    r->asset) >= 0)
			return TREASURY_ERR_POLICY_ORDER;
	}
	for (i = 0; i < p->reserve_count; i++) {
		r = &p->reserves[i];
		l = policy_limit_find(p, r->asset);
		if (l != NULL && l->decimals != r->decimals)
			return TREASURY_ERR_POLICY_DECIMALS;
	}
	return TREASURY_OK;
}

static treasury_err
allowlist_check(const struct treasury_policy *p)
{
	const struct policy_destination *d;
	size_t len;
	unsigned i;

	if (!p->allowlist_on && p->allowlist_count > 0)
		return TREASURY_ERR_POLICY_ALLOWLIST;
	for (i = 0; i < p->allowlist_count; i++) {
		d = &p->allowlist[i];
		if (!array_strlen(d->to, sizeof(d->to), &len) ||
		    destination_check(d->to, len) != TREASURY_OK)
			return TREASURY_ERR_DESTINATION;
		if (!array_strlen(d->label, sizeof(d->label), &len) ||
		    memo_check(d->label, len) != TREASURY_OK)
			return TREASURY_ERR_POLICY_LABEL;
		if (i > 0 && strcmp(p->allowlist[i - 1].to, d->to) >= 0)
			return TREASURY_ERR_POLICY_ORDER;
	}
	return TREASURY_OK;
}

treasury_err
treasury_policy_check(const struct treasury_policy *p, unsigned m, unsigned n)
{
	treasury_err err;

	if (m < 1 || m > n || n > SIGNERS_PER_TREASURY_MAX)
		return TREASURY_ERR_THRESHOLD;
	err = scalars_check(p, m, n);
	if (err == TREASURY_OK)
		err = limits_check(p);
	if (err == TREASURY_OK)
		err = reserves_check(p);
	if (err == TREASURY_OK)
		err = allowlist_check(p);
	return err;
}

const struct policy_limit *
policy_limit_find(const struct treasury_policy *p, const char *asset)
{
	unsigned i;

	for (i = 0; i < p->limit_count && i < POLICY_LIMITS_MAX; i++)
		if (asset_cmp_fold(p->limits[i].asset, asset) == 0)
			return &p->limits[i];
	return NULL;
}

const struct policy_reserve *
policy_reserve_find(const struct treasury_policy *p, const char *asset)
{
	unsigned i;

	for (i = 0; i < p->reserve_count && i < POLICY_RESERVES_MAX; i++)
		if (asset_cmp_fold(p->reserves[i].asset, asset) == 0)
			return &p->reserves[i];
	return NULL;
}

int64_t
policy_window_s(enum policy_window w)
{
	assert((unsigned)w < POLICY_WINDOWS);
	return window_lengths_s[w];
}

const char *
policy_window_name(enum policy_window w)
{
	if ((unsigned)w >= POLICY_WINDOWS)
		return "unknown";
	return window_names[w];
}

/* ---- thresholds ---- */

unsigned
policy_base_threshold(const struct treasury_policy *p, enum policy_track track,
    unsigned m)
{
	return policy_track_threshold(track, m, p->config_extra);
}

unsigned
policy_track_threshold(enum policy_track track, unsigned m,
    unsigned config_extra)
{
	assert(config_extra <= 1);
	return track == TRACK_CONFIG ? m + config_extra : m;
}

unsigned
policy_rejection_threshold(unsigned base, unsigned n)
{
	assert(base >= 1 && base <= n);
	return n - base + 1;
}

unsigned
policy_veto_threshold(const struct treasury_policy *p, unsigned n)
{
	assert(n >= 1 && n <= SIGNERS_PER_TREASURY_MAX);
	if (p->veto_count != 0)
		return p->veto_count;
	return (n + 2) / 3;
}

/* ---- spends ---- */

/* Whether outflow + spend passes limit (0 = no limit). */
static bool
limit_exceeded(amount_minor limit, amount_minor outflow, amount_minor spend)
{
	amount_minor sum;

	if (limit == 0)
		return false;
	if (amount_add(outflow, spend, &sum) != TREASURY_OK)
		return true;	/* past 2^128-1: past any limit */
	return sum > limit;
}

/* The first breach of one asset: a limit window, then its reserve. */
static enum policy_spend_reason
asset_breach(const struct treasury_policy *p,
    const struct policy_spend_asset *a, enum policy_window *window)
{
	const struct policy_limit *l = policy_limit_find(p, a->asset);
	const struct policy_reserve *r = policy_reserve_find(p, a->asset);
	unsigned w;

	assert(a->spend_minor <= a->balance_minor);
	for (w = 0; l != NULL && w < POLICY_WINDOWS; w++) {
		if (limit_exceeded(l->limit_minor[w], a->outflow_minor[w],
		    a->spend_minor)) {
			*window = (enum policy_window)w;
			return SPEND_OVER_LIMIT;
		}
	}
	if (r != NULL && a->balance_minor - a->spend_minor < r->reserve_minor)
		return SPEND_INTO_RESERVE;
	return SPEND_WITHIN_POLICY;
}

treasury_err
policy_spend_evaluate(const struct treasury_policy *p, unsigned m,
    const struct policy_spend_asset *assets, unsigned count,
    struct policy_spend_verdict *out)
{
	enum policy_spend_reason why = SPEND_WITHIN_POLICY;
	unsigned i;

	assert(count <= BATCH_TRANSFERS_MAX);
	memset(out, 0, sizeof(*out));
	out->required = m;
	for (i = 0; i < count; i++) {
		if (assets[i].spend_minor > assets[i].balance_minor) {
			out->asset_index = i;
			return TREASURY_ERR_INSUFFICIENT_BALANCE;
		}
	}
	for (i = 0; i < count && why == SPEND_WITHIN_POLICY; i++) {
		why = asset_breach(p, &assets[i], &out->window);
		out->asset_index = i;
	}
	out->reason = why;
	if (why == SPEND_WITHIN_POLICY) {
		out->asset_index = 0;
		return TREASURY_OK;
	}
	if (p->high_threshold == 0) {
		out->required = 0;	/* no number of approvals is enough */
		return why == SPEND_OVER_LIMIT ? TREASURY_ERR_LIMIT_EXCEEDED :
		    TREASURY_ERR_RESERVE;
	}
	out->required = p->high_threshold;
	return TREASURY_OK;
}

void
policy_remaining(const struct treasury_policy *p, const char *asset,
    enum policy_window w, amount_minor outflow_minor, bool *unlimited,
    amount_minor *remaining_minor)
{
	const struct policy_limit *l = policy_limit_find(p, asset);
	amount_minor limit;

	assert((unsigned)w < POLICY_WINDOWS);
	limit = l != NULL ? l->limit_minor[w] : 0;
	*unlimited = limit == 0;
	if (*unlimited)
		*remaining_minor = AMOUNT_MINOR_MAX;
	else
		*remaining_minor = outflow_minor >= limit ? 0 :
		    limit - outflow_minor;
}

bool
policy_window_contains(enum policy_window w, int64_t executed_s,
    int64_t now_s)
{
	int64_t age_s;

	/* now_s - window < executed_s <= now_s, without overflow */
	if (executed_s > now_s ||
	    __builtin_sub_overflow(now_s, executed_s, &age_s))
		return false;
	return age_s < policy_window_s(w);
}

treasury_err
policy_destination_check(const struct treasury_policy *p, const char *to,
    const char **label)
{
	unsigned i;

	if (label != NULL)
		*label = "";
	if (!p->allowlist_on)
		return TREASURY_OK;
	for (i = 0; i < p->allowlist_count && i < POLICY_ALLOWLIST_MAX; i++) {
		if (strcmp(p->allowlist[i].to, to) == 0) {
			if (label != NULL)
				*label = p->allowlist[i].label;
			return TREASURY_OK;
		}
	}
	return TREASURY_ERR_NOT_ALLOWLISTED;
}

/* ---- timelock and vetoes ---- */

int64_t
policy_delay_s(const struct treasury_policy *p, enum policy_track track)
{
	return policy_track_delay_s(track, p->timelock_spend_s,
	    p->timelock_config_s);
}

int64_t
policy_track_delay_s(enum policy_track track, int64_t spend_s,
    int64_t config_s)
{
	return track == TRACK_CONFIG ? config_s : spend_s;
}

int64_t
policy_executable_at(int64_t approved_s, int64_t delay_s)
{
	assert(approved_s >= 0);
	assert(delay_s >= 0 && delay_s <= POLICY_TIMELOCK_MAX_S);
	if (approved_s > INT64_MAX - delay_s)
		return INT64_MAX;	/* never, in practice */
	return approved_s + delay_s;
}

treasury_err
policy_timelock_check(int64_t approved_s, int64_t delay_s, int64_t now_s)
{
	if (now_s < policy_executable_at(approved_s, delay_s))
		return TREASURY_ERR_TIMELOCKED;
	return TREASURY_OK;
}

treasury_err
policy_expiry_check(int64_t expires_s, int64_t now_s, int64_t delay_s)
{
	int64_t ahead_s;

	assert(delay_s >= 0 && delay_s <= POLICY_TIMELOCK_MAX_S);
	if (__builtin_sub_overflow(expires_s, now_s, &ahead_s))
		return expires_s < now_s ? TREASURY_ERR_EXPIRY_TOO_SOON :
		    TREASURY_ERR_EXPIRY_TOO_LATE;
	if (ahead_s < INT64_MIN + delay_s)
		return TREASURY_ERR_EXPIRY_TOO_SOON;
	return expiry_check(ahead_s - delay_s, 0);
}

/* a + b, saturating at the ends of int64_t */
static int64_t
add_saturating(int64_t a, int64_t b)
{
	int64_t sum;

	if (!__builtin_add_overflow(a, b, &sum))
		return sum;
	return b > 0 ? INT64_MAX : INT64_MIN;
}

void
policy_expiry_bounds(int64_t now_s, int64_t delay_s, int64_t *earliest_s,
    int64_t *latest_s)
{
	assert(delay_s >= 0 && delay_s <= POLICY_TIMELOCK_MAX_S);
	*earliest_s = add_saturating(now_s, delay_s + PROPOSAL_EXPIRY_MIN_S);
	*latest_s = add_saturating(now_s, delay_s + PROPOSAL_EXPIRY_MAX_S);
}

bool
policy_vetoes_apply(const struct treasury_policy *p, enum policy_track track)
{
	return policy_delay_s(p, track) > 0;
}

enum policy_state
policy_state_of(const struct treasury_policy *p, enum policy_track track,
    unsigned m, unsigned n, const struct policy_tally *t)
{
	unsigned base = policy_base_threshold(p, track, m);

	assert(base >= 1 && base <= n);
	if (policy_vetoes_apply(p, track) &&
	    t->vetoes >= policy_veto_threshold(p, n))
		return STATE_VETOED;
	if (t->approvals >= base)
		return STATE_APPROVED;
	if (t->rejections >= policy_rejection_threshold(base, n))
		return STATE_REJECTED;
	return STATE_PENDING;
}

/* ---- freeze ---- */

treasury_err
policy_freeze_apply(struct policy_freeze_state *st, uint64_t seq,
    bool *replayed)
{
	*replayed = false;
	if (st->frozen && seq == st->freeze_seq) {
		*replayed = true;
		return TREASURY_OK;
	}
	if (st->frozen || st->freeze_seq == UINT64_MAX ||
	    seq != st->freeze_seq + 1)
		return TREASURY_ERR_FREEZE_SEQUENCE;
	st->frozen = true;
	st->freeze_seq = seq;
	return TREASURY_OK;
}

treasury_err
policy_freeze_gate(const struct policy_freeze_state *st, bool is_unfreeze,
    uint64_t seq)
{
	if (!is_unfreeze)
		return st->frozen ? TREASURY_ERR_FROZEN : TREASURY_OK;
	if (!st->frozen)
		return TREASURY_ERR_NOT_FROZEN;
	return seq == st->freeze_seq ? TREASURY_OK :
	    TREASURY_ERR_FREEZE_SEQUENCE;
}

/* ---- digests ---- */

void
veto_digest_compute(uint8_t digest[DIGEST_BYTES],
    const uint8_t id[PROPOSAL_ID_BYTES])
{
	tagged_hash(digest, VETO_TAG, id, PROPOSAL_ID_BYTES);
}

void
revoke_digest_compute(uint8_t digest[DIGEST_BYTES],
    const uint8_t id[PROPOSAL_ID_BYTES])
{
	tagged_hash(digest, REVOKE_TAG, id, PROPOSAL_ID_BYTES);
}

void
possession_digest_compute(uint8_t digest[DIGEST_BYTES],
    const uint8_t id[PROPOSAL_ID_BYTES])
{
	tagged_hash(digest, POSSESSION_TAG, id, PROPOSAL_ID_BYTES);
}
