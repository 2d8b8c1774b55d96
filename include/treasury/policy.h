/*
 * policy.h: treasury policies (docs/policies.md) as pure logic: the policy a
 * treasury holds at one config version, its validation, the decisions the
 * engine takes from it (thresholds, spending limits, reserves, allowlist,
 * timelocks, vetoes, freezes, revocations) and the digests of the signed
 * messages that are not proposals (veto, revoke, freeze, key possession).
 *
 * Nothing here does I/O or reads a clock: the caller passes the time and
 * the sums it read from the database. docs/policies.md states every rule
 * and the engine integration; docs/signing.md §9 the texts and digests.
 *
 * A policy belongs to a config version, like the signer set and the
 * threshold: it changes only by an executed set-policy proposal (which
 * moves the treasury to the next config version), or is given when the
 * treasury is created. The all-zero policy (policy_init) is "no policy":
 * a treasury that has it behaves exactly as one without policies.
 */
#ifndef TREASURY_POLICY_H
#define TREASURY_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "treasury/amount.h"
#include "treasury/canonical.h"
#include "treasury/error.h"
#include "treasury/limits.h"

enum {
	POLICY_LIMITS_MAX = 16,		/* assets with spending limits */
	POLICY_RESERVES_MAX = 16,	/* assets with a reserve */
	POLICY_ALLOWLIST_MAX = 64,	/* allowlisted destinations */
	POLICY_LABEL_MAX_BYTES = 64,	/* memo rules, 0..64 bytes */
	POLICY_WINDOWS = 3,		/* day, week, month */
};

#define POLICY_TIMELOCK_MAX_S (90LL * 24 * 3600)

/* Rolling windows of the spending limits. */
enum policy_window {
	WINDOW_DAY = 0,			/* 86 400 s */
	WINDOW_WEEK = 1,		/* 604 800 s */
	WINDOW_MONTH = 2,		/* 2 592 000 s: 30 days */
};

/* Which delay and which base threshold a proposal kind takes: the spend
 * track (transfer, batch, unfreeze) or the config track (add-, remove-,
 * replace-signer, set-threshold, set-policy). See proposal_kind_track. */
enum policy_track {
	TRACK_SPEND = 1,
	TRACK_CONFIG = 2,
};

/* Rolling-window limits on one asset's executed outflow. A limit of 0
 * means no limit in that window ("none" in the text); at least one of the
 * three is non-zero. decimals is the asset's. */
struct policy_limit {
	char asset[ASSET_CODE_MAX_BYTES + 1];
	unsigned decimals;
	amount_minor limit_minor[POLICY_WINDOWS];
};

/* An emergency reserve: a spend that would leave less than reserve_minor
 * of the asset needs the high threshold. reserve_minor > 0. */
struct policy_reserve {
	char asset[ASSET_CODE_MAX_BYTES + 1];
	unsigned decimals;
	amount_minor reserve_minor;
};

/* An allowlisted destination and its label (shown when signing). */
struct policy_destination {
	char to[DESTINATION_MAX_BYTES + 1];
	char label[POLICY_LABEL_MAX_BYTES + 1];	/* may be "" */
};

/* The policy of a treasury at one config version. Fixed size (~15 KB),
 * every list bounded. Lists are in canonical order (policy_normalize):
 * limits and reserves by asset code compared ignoring ASCII case,
 * destinations by bytes; no duplicates. */
struct treasury_policy {
	int64_t timelock_spend_s;	/* 0 .. 90 days */
	int64_t timelock_config_s;	/* timelock_spend_s .. 90 days */
	unsigned veto_count;		/* 0 = default ceil(N/3); else 1..N */
	unsigned config_extra;		/* 0, or 1: config changes need M+1 */
	unsigned high_threshold;	/* 0 = none; else M..N */
	bool key_proof;			/* new keys must prove possession */
	unsigned limit_count;
	struct policy_limit limits[POLICY_LIMITS_MAX];
	unsigned reserve_count;
	struct policy_reserve reserves[POLICY_RESERVES_MAX];
	bool allowlist_on;		/* transfers only to listed destinations */
	unsigned allowlist_count;	/* 0 when allowlist_on is false */
	struct policy_destination allowlist[POLICY_ALLOWLIST_MAX];
};

/* ---- the policy itself ---- */

/* Set *p to the empty policy: no delay, default vetoes, no extra config
 * approval, no high threshold, no limits, reserves or allowlist. */
void policy_init(struct treasury_policy *p);

/* True when p is the empty policy (all of policy_init's values). */
bool policy_is_empty(const struct treasury_policy *p);

/* Sort the limits, reserves and destinations into canonical order (see
 * struct treasury_policy), so that one policy has one text. Duplicates are
 * kept (treasury_policy_check refuses them). Counts must be within their
 * maximum (asserted). */
void policy_normalize(struct treasury_policy *p);

/* Check p against a treasury of threshold m and n signers
 * (1 <= m <= n <= 32, else TREASURY_ERR_THRESHOLD).
 * Returns TREASURY_OK or the first failing rule, in this order:
 *   TREASURY_ERR_POLICY_TIMELOCK  a delay < 0 or > 90 days, or the config
 *                                 delay shorter than the spend delay;
 *   TREASURY_ERR_POLICY_VETO_COUNT veto_count > n;
 *   TREASURY_ERR_POLICY_CONFIG_THRESHOLD config_extra > 1, or 1 when m == n;
 *   TREASURY_ERR_POLICY_HIGH_THRESHOLD high_threshold not 0 and not m..n;
 *   TREASURY_ERR_TOO_LARGE        a count above its maximum;
 *   TREASURY_ERR_ASSET_CODE, _DECIMALS, _DESTINATION: a malformed entry;
 *   TREASURY_ERR_POLICY_LIMIT     a limit entry with all three limits 0;
 *   TREASURY_ERR_POLICY_RESERVE   a reserve of 0;
 *   TREASURY_ERR_POLICY_LABEL     a label over 64 bytes or not memo-safe;
 *   TREASURY_ERR_POLICY_ALLOWLIST destinations while the allowlist is off;
 *   TREASURY_ERR_POLICY_ORDER     a list not in canonical order, or a
 *                                 duplicate (asset codes ignoring case);
 *   TREASURY_ERR_POLICY_DECIMALS  one asset with two decimals (limit and
 *                                 reserve disagree).
 * Lists are checked limits, reserves, destinations; entry by entry. */
TREASURY_WARN_UNUSED treasury_err
treasury_policy_check(const struct treasury_policy *p, unsigned m, unsigned n);

/* The limit entry for asset (exact code), or NULL. */
const struct policy_limit *
policy_limit_find(const struct treasury_policy *p, const char *asset);

/* The reserve entry for asset (exact code), or NULL. */
const struct policy_reserve *
policy_reserve_find(const struct treasury_policy *p, const char *asset);

/* Length of window w in seconds (86400, 604800, 2592000). */
int64_t policy_window_s(enum policy_window w);

/* "day", "week", "month". */
const char *policy_window_name(enum policy_window w);

/* ---- thresholds ---- */

/* Approvals for a proposal of the given track to become approved, at a
 * config version of threshold m and n signers with a checked policy p:
 * m for the spend track; m + p->config_extra for the config track. */
unsigned policy_base_threshold(const struct treasury_policy *p,
    enum policy_track track, unsigned m);
/* The same from M and the policy's config_extra alone (0 or 1), for code
 * that has read those two columns but not the whole policy. */
unsigned policy_track_threshold(enum policy_track track, unsigned m,
    unsigned config_extra);

/* Rejections that make a proposal rejected: n - base + 1, the first count
 * at which base approvals can no longer be reached. 1 <= base <= n. */
unsigned policy_rejection_threshold(unsigned base, unsigned n);

/* Vetoes that cancel a proposal: p->veto_count, or ceil(n / 3) when it is
 * 0 (n = 1..3 give 1, 4..6 give 2, ..., 31..32 give 11). 1 <= n <= 32. */
unsigned policy_veto_threshold(const struct treasury_policy *p, unsigned n);

/* ---- spends: limits, reserves, allowlist ---- */

/* One asset of a spend, as the engine sees it at execution:
 *   spend_minor    the proposal's total for the asset (a batch adds up);
 *   balance_minor  the treasury's balance of it now;
 *   outflow_minor  per window, the sum of the amounts of the treasury's
 *                  executed transfer debits of this asset whose execution
 *                  time t satisfies now_s - policy_window_s(w) < t <= now_s
 *                  (a debit exactly one window old no longer counts). The
 *                  caller saturates each sum at AMOUNT_MINOR_MAX. */
struct policy_spend_asset {
	const char *asset;
	amount_minor spend_minor;
	amount_minor balance_minor;
	amount_minor outflow_minor[POLICY_WINDOWS];
};

/* Why a spend needs more than m approvals (or cannot execute yet). */
enum policy_spend_reason {
	SPEND_WITHIN_POLICY = 0,
	SPEND_OVER_LIMIT,		/* outflow + spend > limit in a window */
	SPEND_INTO_RESERVE,		/* balance - spend < reserve */
};

struct policy_spend_verdict {
	unsigned required;		/* approvals needed to execute */
	enum policy_spend_reason reason;
	unsigned asset_index;		/* the first asset at fault */
	enum policy_window window;	/* SPEND_OVER_LIMIT: the window */
};

/* Decide what a spend needs. Every asset is looked at in order; for each,
 * limits are checked before the reserve; the first breach is reported.
 * A limit is exceeded when outflow + spend > limit (equal is allowed; a
 * sum that would pass 2^128-1 counts as exceeded). The reserve is
 * breached when balance - spend < reserve.
 * Returns: TREASURY_OK: out->required is m when within policy, else the
 *          high threshold (reason and position say why);
 *          TREASURY_ERR_LIMIT_EXCEEDED or TREASURY_ERR_RESERVE when
 *          breached and the policy has no high threshold (the spend waits
 *          for the window, or cannot execute): out says where, and
 *          out->required is 0 (no number of approvals is enough);
 *          TREASURY_ERR_INSUFFICIENT_BALANCE when spend > balance (checked
 *          first, for each asset).
 * In: p checked; count <= BATCH_TRANSFERS_MAX. */
TREASURY_WARN_UNUSED treasury_err
policy_spend_evaluate(const struct treasury_policy *p, unsigned m,
    const struct policy_spend_asset *assets, unsigned count,
    struct policy_spend_verdict *out);

/* What may still be spent of asset in window w before its limit is hit:
 * limit - outflow, or 0 when outflow >= limit. *unlimited is set (and
 * *remaining_minor is AMOUNT_MINOR_MAX) when the asset has no limit in w. */
void policy_remaining(const struct treasury_policy *p, const char *asset,
    enum policy_window w, amount_minor outflow_minor, bool *unlimited,
    amount_minor *remaining_minor);

/* Whether an executed debit at executed_s counts in window w at now_s:
 * now_s - window < executed_s <= now_s. */
bool policy_window_contains(enum policy_window w, int64_t executed_s,
    int64_t now_s);

/* Check a destination against the allowlist (exact bytes, case included).
 * Returns TREASURY_OK when the allowlist is off or lists `to`, else
 * TREASURY_ERR_NOT_ALLOWLISTED. Out: *label, when not NULL, the label
 * ("" when off or unlabelled). */
TREASURY_WARN_UNUSED treasury_err
policy_destination_check(const struct treasury_policy *p, const char *to,
    const char **label);

/* ---- timelock and vetoes ---- */

/* The delay of a track: timelock_spend_s or timelock_config_s. */
int64_t policy_delay_s(const struct treasury_policy *p,
    enum policy_track track);
/* The same from the policy's two delays alone. */
int64_t policy_track_delay_s(enum policy_track track, int64_t spend_s,
    int64_t config_s);

/* approved_s + delay_s (0 <= delay_s <= 90 days, approved_s >= 0). */
int64_t policy_executable_at(int64_t approved_s, int64_t delay_s);

/* Check an approved proposal's delay at now_s.
 * Returns TREASURY_OK when now_s >= approved_s + delay_s, else
 * TREASURY_ERR_TIMELOCKED. */
TREASURY_WARN_UNUSED treasury_err
policy_timelock_check(int64_t approved_s, int64_t delay_s, int64_t now_s);

/* The expiry window of a new proposal whose track has delay_s: expires_s
 * in [now_s + delay_s + 60 s, now_s + delay_s + 90 days] (expiry_check
 * shifted by the delay, so a proposal can outlive its delay).
 * Returns TREASURY_OK, TREASURY_ERR_EXPIRY_TOO_SOON or _TOO_LATE. */
TREASURY_WARN_UNUSED treasury_err
policy_expiry_check(int64_t expires_s, int64_t now_s, int64_t delay_s);

/* The window policy_expiry_check allows, for the refusal's detail:
 * *earliest_s = now_s + delay_s + 60 s, *latest_s = now_s + delay_s +
 * 90 days (both saturating; 0 <= delay_s <= POLICY_TIMELOCK_MAX_S). */
void policy_expiry_bounds(int64_t now_s, int64_t delay_s,
    int64_t *earliest_s, int64_t *latest_s);

/* Whether vetoes are accepted on a proposal of this track: only when its
 * delay is > 0 (a treasury without a delay has no veto window). The
 * engine further accepts them only while the proposal is pending or
 * approved (not executed). */
bool policy_vetoes_apply(const struct treasury_policy *p,
    enum policy_track track);

/* ---- the state of a proposal ---- */

/* Distinct signers of the proposal's config version, by what they did.
 * A revoked approval counts in none of approvals and rejections. */
struct policy_tally {
	unsigned approvals;
	unsigned rejections;
	unsigned vetoes;
};

enum policy_state {
	STATE_PENDING = 1,
	STATE_APPROVED,
	STATE_REJECTED,
	STATE_VETOED,
};

/* The state a tally gives a not yet executed proposal of the given track,
 * at a config version of threshold m and n signers:
 *   VETOED   when vetoes apply to the track and vetoes >= the veto
 *            threshold (checked first: a veto beats approvals);
 *   APPROVED when approvals >= policy_base_threshold;
 *   REJECTED when rejections >= policy_rejection_threshold;
 *   PENDING  otherwise, which is also what an approved proposal returns to
 *            when a revocation takes its approvals below the base.
 * The engine sets approved_s when the state becomes APPROVED and clears it
 * when it leaves it; the delay runs from approved_s. */
enum policy_state policy_state_of(const struct treasury_policy *p,
    enum policy_track track, unsigned m, unsigned n,
    const struct policy_tally *t);

/* ---- freeze ---- */

/* A treasury's freeze state: freezes are numbered 1, 2, ... per treasury;
 * freeze_seq is the number of the last freeze (0 = never frozen). */
struct policy_freeze_state {
	bool frozen;
	uint64_t freeze_seq;
};

/* Apply a freeze request numbered seq (its signature checked by the
 * caller against a signer of the current config version).
 * Returns TREASURY_OK when it freezes the treasury (not frozen and
 * seq == freeze_seq + 1: *st is updated, *replayed false), or when the
 * treasury is already frozen by this very freeze (seq == freeze_seq:
 * *replayed true, nothing changes); else TREASURY_ERR_FREEZE_SEQUENCE
 * (a used, future or concurrent number: fetch the state and sign again). */
TREASURY_WARN_UNUSED treasury_err
policy_freeze_apply(struct policy_freeze_state *st, uint64_t seq,
    bool *replayed);

/* Whether a proposal of an unfreeze-or-not kind may execute or, for
 * unfreeze, be proposed, given the freeze state:
 *   is_unfreeze false: TREASURY_OK when not frozen, else _FROZEN;
 *   is_unfreeze true:  TREASURY_OK when frozen with freeze_seq == seq,
 *                      _NOT_FROZEN when not frozen, _FREEZE_SEQUENCE when
 *                      frozen by another freeze. */
TREASURY_WARN_UNUSED treasury_err
policy_freeze_gate(const struct policy_freeze_state *st, bool is_unfreeze,
    uint64_t seq);

/* ---- signed messages that are not proposals (docs/signing.md §9) ---- */

#define VETO_TAG "treasuryd/veto/v1"
#define REVOKE_TAG "treasuryd/revoke/v1"
#define POSSESSION_TAG "treasuryd/possession/v1"
#define FREEZE_TAG "treasuryd/freeze/v1"
#define POLICY_TAG "treasuryd/policy/v1"

/* H_"treasuryd/veto/v1"(id): a signer's veto of the proposal. */
void veto_digest_compute(uint8_t digest[DIGEST_BYTES],
    const uint8_t id[PROPOSAL_ID_BYTES]);

/* H_"treasuryd/revoke/v1"(id): a signer withdraws its approval. */
void revoke_digest_compute(uint8_t digest[DIGEST_BYTES],
    const uint8_t id[PROPOSAL_ID_BYTES]);

/* H_"treasuryd/possession/v1"(id): signed by the NEW key of an add-signer
 * or replace-signer proposal, proving that someone holds it. */
void possession_digest_compute(uint8_t digest[DIGEST_BYTES],
    const uint8_t id[PROPOSAL_ID_BYTES]);

/* A freeze request: the text
 *   "treasuryd freeze v1\n" "instance: <64 hex>\n" "treasury: <id>\n"
 *   "config: <version>\n" "freeze: <seq>\n"
 * with the current config version and seq = the last freeze number + 1. */
struct freeze_request {
	uint8_t instance[INSTANCE_ID_BYTES];
	const char *treasury;		/* NUL-terminated */
	uint64_t config_version;	/* >= 1 */
	uint64_t freeze_seq;		/* >= 1 */
};

/* Write the freeze request text into out (initialised, empty).
 * Returns TREASURY_OK, TREASURY_ERR_TREASURY_ID, TREASURY_ERR_INTERNAL
 * (config_version or freeze_seq 0), _NOMEM or _TOO_LARGE. */
TREASURY_WARN_UNUSED treasury_err
freeze_request_encode(struct textbuf *out, const struct freeze_request *r);

/* digest = H_"treasuryd/freeze/v1"(freeze request text). Same returns as
 * freeze_request_encode. */
TREASURY_WARN_UNUSED treasury_err
freeze_digest_compute(uint8_t digest[DIGEST_BYTES],
    const struct freeze_request *r);

/* ---- the policy as text ---- */

/* Append the policy lines of a set-policy proposal (docs/signing.md
 * §9.1), from "threshold" to the last destination, for a treasury of
 * threshold m and n signers. Also the "policy" text of GET
 * /v1/treasuries/{t}/policy. p must pass treasury_policy_check(p, m, n).
 * Returns TREASURY_OK, the treasury_policy_check error, _NOMEM or
 * _TOO_LARGE. */
TREASURY_WARN_UNUSED treasury_err
policy_lines_append(struct textbuf *out, const struct treasury_policy *p,
    unsigned m, unsigned n);

/* Strictly decode policy lines as policy_lines_append writes them (the
 * form storage keeps a config version's policy in), into *p, *m and *n.
 * Returns TREASURY_OK, a field or policy error, TREASURY_ERR_TOO_LARGE,
 * or TREASURY_ERR_CANONICAL for any other spelling or layout. */
TREASURY_WARN_UNUSED treasury_err
policy_lines_decode(const char *text, size_t len, struct treasury_policy *p,
    unsigned *m, unsigned *n);

/* digest = H_"treasuryd/policy/v1"(policy lines): a short name for a
 * treasury's policy, shown by the API and treasuryctl. */
TREASURY_WARN_UNUSED treasury_err
policy_digest_compute(uint8_t digest[DIGEST_BYTES],
    const struct treasury_policy *p, unsigned m, unsigned n);

#endif
