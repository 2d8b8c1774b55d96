/*
 * queries.h: the read side of the treasury engine: queries on any store (the
 * daemon gives each request thread a read-only one), in one snapshot
 * between store_read_begin and store_read_end, and the views they fill
 * beside the records (records.h).
 */
#ifndef TREASURY_QUERIES_H
#define TREASURY_QUERIES_H

#include <stdbool.h>
#include <stdint.h>

#include "treasury/amount.h"
#include "treasury/amount_wide.h"
#include "treasury/calendar.h"
#include "treasury/auth.h"
#include "treasury/error.h"
#include "treasury/hash.h"
#include "treasury/journal.h"
#include "treasury/limits.h"
#include "treasury/policy.h"
#include "treasury/price.h"
#include "treasury/records.h"
#include "treasury/sig.h"
#include "treasury/storage.h"

enum {
	PAGE_LIMIT_DEFAULT = 50,
	PAGE_LIMIT_MAX = 500,
};

/* Open a read snapshot on s (a deferred BEGIN): every query until
 * store_read_end sees one committed state, and pays for one WAL read
 * transaction instead of one per statement. Queries run inside join it.
 * Nothing the writer commits after the snapshot began is visible in it:
 * end it before waiting for a command. Returns TREASURY_OK or a database
 * error (then no snapshot is open). */
TREASURY_WARN_UNUSED treasury_err store_read_begin(struct store *s);

/* End the snapshot store_read_begin opened; nothing when none is open. */
void store_read_end(struct store *s);

/* PRAGMA data_version of s: it changes when any other connection, in this
 * process or another, has committed since s last looked (inside a
 * snapshot: as of the snapshot). For caches of rows read through s.
 * On PostgreSQL, which has no such number, it is new at every call: a
 * cache keyed on it always misses (issue #17: LISTEN/NOTIFY is to bring
 * the other processes' commits).
 * Returns TREASURY_OK or a database error. */
TREASURY_WARN_UNUSED treasury_err
store_data_version(struct store *s, int64_t *out);

/* What POST /v1/proposals/{id}/votes needs before it verifies the
 * signature, read in one snapshot by point reads (the proposal's head and
 * the one signer's row, not every signer or vote). Every member is fixed
 * once the proposal exists (a proposal's treasury and config version, and
 * a config version's signers, never change), so a request thread may keep
 * it (api/cache.c); what can change is the writer's to check. */
struct vote_context {
	char treasury[TREASURY_ID_MAX_BYTES + 1];
	uint64_t config_version;
	unsigned threshold;		/* M of its config version */
	unsigned signer_count;		/* N of its config version */
	bool signer_found;		/* signer is in that config version */
	struct signer_key key;		/* the signer's key, when found */
};

/* Returns TREASURY_OK (signer_found says whether `signer` is one),
 * TREASURY_ERR_UNKNOWN_PROPOSAL or a database error. */
TREASURY_WARN_UNUSED treasury_err
store_vote_context(struct store *s, const uint8_t id[PROPOSAL_ID_BYTES],
    const char *signer, struct vote_context *out);

/* Returns TREASURY_OK or TREASURY_ERR_UNKNOWN_ASSET (exact code match). */
TREASURY_WARN_UNUSED treasury_err
store_asset_get(struct store *s, const char *code, struct asset *out);

/* Assets in code order. fn returning non-zero stops the walk. */
TREASURY_WARN_UNUSED treasury_err
store_assets_list(struct store *s, int (*fn)(const struct asset *, void *),
    void *ctx);

/* The treasury at its current config version.
 * Returns TREASURY_OK or TREASURY_ERR_UNKNOWN_TREASURY. */
TREASURY_WARN_UNUSED treasury_err
store_treasury_get(struct store *s, const char *id, struct treasury *out);

/* The treasury's signer set and threshold at an older or current version.
 * Returns TREASURY_OK or TREASURY_ERR_UNKNOWN_TREASURY. */
TREASURY_WARN_UNUSED treasury_err
store_treasury_at_version(struct store *s, const char *id, uint64_t version,
    struct treasury *out);

/* Treasuries in id order after `after_id` ("" = from the start), at most
 * limit; *more is set when further rows exist. */
TREASURY_WARN_UNUSED treasury_err
store_treasuries_page(struct store *s, const char *after_id, unsigned limit,
    int (*fn)(const struct treasury *, void *), void *ctx, bool *more);

/* Balances of a treasury in asset code order, only assets ever credited.
 * Returns TREASURY_OK or TREASURY_ERR_UNKNOWN_TREASURY. */
TREASURY_WARN_UNUSED treasury_err
store_balances(struct store *s, const char *treasury,
    int (*fn)(const struct balance *, void *), void *ctx);

/* Ledger entries of a treasury with seq > after_seq in seq order (newest
 * last), at most limit; *more is set when further entries exist.
 * Returns TREASURY_OK or TREASURY_ERR_UNKNOWN_TREASURY. */
TREASURY_WARN_UNUSED treasury_err
store_ledger_page(struct store *s, const char *treasury, int64_t after_seq,
    unsigned limit, int (*fn)(const struct ledger_entry *, void *), void *ctx,
    bool *more);

/* What GET /v1/treasuries/{t}/ledger may filter on; every member set
 * narrows the list (ledger_filter_init: none). */
struct ledger_filter {
	int64_t from_s;		/* created_at >= from_s (INT64_MIN: any) */
	int64_t to_s;		/* created_at < to_s (INT64_MAX: any) */
	enum ledger_kind kind;	/* 0: any */
	char asset[ASSET_CODE_MAX_BYTES + 1];		/* "": any */
	bool by_category;	/* category applies; "" = uncategorised */
	char category[CATEGORY_NAME_MAX_BYTES + 1];
	/* a deposit's source or a transfer's to, exactly; "": any */
	char counterparty[DESTINATION_MAX_BYTES + 1];
};

/* *f = no filter. */
void ledger_filter_init(struct ledger_filter *f);

/* store_ledger_page of the entries f keeps, in (created_at, seq) order
 * (the order of seq, as the writer's clock never goes back), by the
 * ledger_time index: after_seq is the last entry of the previous page
 * (0: from the start) and must be one the same filter kept. f NULL:
 * store_ledger_page.
 * Returns TREASURY_OK or TREASURY_ERR_UNKNOWN_TREASURY. */
TREASURY_WARN_UNUSED treasury_err
store_ledger_page_filtered(struct store *s, const char *treasury,
    const struct ledger_filter *f, int64_t after_seq, unsigned limit,
    int (*fn)(const struct ledger_entry *, void *), void *ctx, bool *more);

/* The seq of the treasury's newest ledger entry into *out, 0 when none.
 * Returns TREASURY_OK or TREASURY_ERR_UNKNOWN_TREASURY. */
TREASURY_WARN_UNUSED treasury_err
store_ledger_last_seq(struct store *s, const char *treasury, int64_t *out);

/* Proposals of a treasury with nonce > after_nonce in nonce order, at most
 * limit, filtered by effective status at now_s when status != 0. Records
 * are freed by the walker after fn returns (fn must copy what it keeps).
 * Returns TREASURY_OK or TREASURY_ERR_UNKNOWN_TREASURY. */
TREASURY_WARN_UNUSED treasury_err
store_proposals_page(struct store *s, const char *treasury,
    enum proposal_status status, uint64_t after_nonce, unsigned limit,
    int64_t now_s, int (*fn)(const struct proposal_record *, void *),
    void *ctx, bool *more);

/* The largest nonce of the treasury's proposals into *out, 0 when none.
 * Returns TREASURY_OK or TREASURY_ERR_UNKNOWN_TREASURY. */
TREASURY_WARN_UNUSED treasury_err
store_proposals_last_nonce(struct store *s, const char *treasury,
    uint64_t *out);

/* "Needs your signature" (GET /v1/signers/{name}/pending): the proposals
 * of every treasury that await signer: pending at now_s (not expired),
 * made for a config version whose signer set holds a signer of that name,
 * and without a vote of that name (an approval, a rejection, or an
 * approval it revoked: docs/policies.md §8 makes a revocation final).
 * In creation order, after position after_pos (0 = from the start), at
 * most limit; *last_pos is the position of the last proposal given to fn
 * (after_pos when none: the cursor of the next page) and *more is set
 * when further proposals exist. Records are freed after fn returns.
 * Returns TREASURY_OK or a database error. */
TREASURY_WARN_UNUSED treasury_err
store_pending_for_signer(struct store *s, const char *signer,
    uint64_t after_pos, unsigned limit, int64_t now_s,
    int (*fn)(const struct proposal_record *, void *), void *ctx,
    uint64_t *last_pos, bool *more);

/* One proposal with its votes, effective status at now_s. The caller
 * frees with proposal_record_free.
 * Returns TREASURY_OK or TREASURY_ERR_UNKNOWN_PROPOSAL. */
TREASURY_WARN_UNUSED treasury_err
store_proposal_get(struct store *s, const uint8_t id[PROPOSAL_ID_BYTES],
    int64_t now_s, struct proposal_record *out);

/* A treasury's current policy (storage/cmd_policy.c, issue #8). */
struct policy_view {
	uint64_t config_version;
	unsigned threshold;		/* M */
	unsigned signer_count;		/* N */
	struct treasury_policy policy;
	char *text;			/* malloc'd policy lines */
	uint8_t digest[DIGEST_BYTES];
	bool frozen;
	uint64_t freeze_seq;
	int64_t frozen_at_s;		/* 0 when not frozen */
};

/* Returns TREASURY_OK (free out->text), TREASURY_ERR_UNKNOWN_TREASURY,
 * _DB_CORRUPT or a database error. out is large: heap-allocate it. */
TREASURY_WARN_UNUSED treasury_err
store_policy_get(struct store *s, const char *treasury,
    struct policy_view *out);

/* The executed transfer outflow of asset from treasury in each window
 * (policy_window_contains) at now_s, each sum saturating at
 * AMOUNT_MINOR_MAX. Returns TREASURY_OK or a database error. */
TREASURY_WARN_UNUSED treasury_err
store_outflow(struct store *s, const char *treasury, const char *asset,
    int64_t now_s, amount_minor out[POLICY_WINDOWS]);

/* A signed act on a proposal other than a vote (a veto, a revocation). */
struct signed_act {
	char signer[SIGNER_NAME_MAX_BYTES + 1];
	uint8_t signature[SIG_DER_MAX_BYTES];
	size_t signature_len;
};

/* What the policy makes of a proposal (GET /v1/proposals/{id}). */
struct proposal_policy_view {
	unsigned required;		/* base threshold: M or M + 1 */
	int64_t approved_s;		/* 0 unless approved or executed */
	int64_t executable_s;		/* 0 unless approved_s */
	bool vetoes_apply;		/* its track has a delay */
	unsigned veto_threshold;
	unsigned veto_count;
	struct signed_act vetoes[SIGNERS_PER_TREASURY_MAX];
	unsigned revocation_count;
	struct signed_act revocations[SIGNERS_PER_TREASURY_MAX];
	bool key_proof;			/* add-/replace-signer: proved */
};

/* For proposal id whose config version has n signers and base threshold
 * `base` (proposal_record.threshold). Returns TREASURY_OK,
 * TREASURY_ERR_UNKNOWN_PROPOSAL, _DB_CORRUPT or a database error. */
TREASURY_WARN_UNUSED treasury_err
store_proposal_policy(struct store *s, const uint8_t id[PROPOSAL_ID_BYTES],
    unsigned base, unsigned n, struct proposal_policy_view *out);

/* ---- platform queries (storage/platform.c) ---- */

/* Returns TREASURY_OK, TREASURY_ERR_NOT_FOUND or a database error. */
TREASURY_WARN_UNUSED treasury_err
store_idempotency_get(struct store *s, int64_t token_id, const char *key,
    struct idempotency_record *out);

/* Events with id > after_id in id order, at most limit; *more is set
 * when further events exist. */
TREASURY_WARN_UNUSED treasury_err
store_events_page(struct store *s, int64_t after_id, unsigned limit,
    int (*fn)(const struct event_record *, void *), void *ctx, bool *more);

/* The newest event id into *out, 0 when there are no events (one index
 * lookup, not a walk). */
TREASURY_WARN_UNUSED treasury_err
store_events_last_id(struct store *s, int64_t *out);

/* Journal entries with seq > after_seq in seq order, at most limit (>= 1),
 * each with its stored hash; *more is set when further entries exist.
 * fn returns non-zero to stop; e->payload points into the row and is
 * valid only during the call. Every field is checked as it is read (a
 * stored value journal_entry_valid refuses, or a hash that is not 32
 * bytes, is TREASURY_ERR_DB_CORRUPT); the hashes are not recomputed
 * here (treasuryd audit verify does that). */
TREASURY_WARN_UNUSED treasury_err
store_journal_page(struct store *s, int64_t after_seq, unsigned limit,
    int (*fn)(const struct journal_entry *e, const uint8_t hash[DIGEST_BYTES],
    void *ctx), void *ctx, bool *more);

/* Live tokens with id > after_id in id order, at most limit. */
TREASURY_WARN_UNUSED treasury_err
store_tokens_page(struct store *s, int64_t after_id, unsigned limit,
    int (*fn)(const struct token_info *, void *), void *ctx, bool *more);

/* Stored proposal statuses and how many proposals have each. */
TREASURY_WARN_UNUSED treasury_err
store_proposal_status_counts(struct store *s,
    int (*fn)(const char *status, int64_t count, void *), void *ctx);

/* One ledger entry by seq. Returns TREASURY_OK or TREASURY_ERR_NOT_FOUND. */
TREASURY_WARN_UNUSED treasury_err
store_ledger_entry_get(struct store *s, int64_t seq, struct ledger_entry *out);

/* ---- accounting categories (issue #14) ---- */

/* The categories of treasury, by name (at most
 * CATEGORIES_PER_TREASURY_MAX; more is TREASURY_ERR_DB_CORRUPT); fn
 * returning non-zero stops the walk. */
TREASURY_WARN_UNUSED treasury_err
store_categories_list(struct store *s, const char *treasury,
    int (*fn)(const struct category *, void *), void *ctx);

/* The category changes of ledger entry seq, oldest first, at most max of
 * them (the first max). */
TREASURY_WARN_UNUSED treasury_err
store_category_history(struct store *s, int64_t seq, unsigned max,
    int (*fn)(const struct category_change *, void *), void *ctx);
/* ---- budgets (issue #14 §8, storage/budget.c) ---- */

/* One budget as GET /v1/treasuries/{t}/budgets shows it, for the period
 * containing now_s. */
struct budget_view {
	char category[CATEGORY_NAME_MAX_BYTES + 1];
	enum calendar_period period;	/* PERIOD_MONTH or PERIOD_QUARTER */
	struct asset asset;		/* code and decimals */
	amount_minor amount;		/* > 0 */
	int64_t period_from_s, period_to_s;	/* [from, to) */
	/* executed outflow of the category and asset in [from, now] */
	struct amount_wide spent;
	/* the transfers of that category and asset in open proposals
	 * (pending or approved, timelocked included, not expired at now) */
	struct amount_wide committed;
	/* amount - spent - committed: its magnitude, and its sign */
	struct amount_wide remaining;
	bool remaining_negative;
	bool alert_80, alert_100;	/* fired in this period */
	int64_t created_s, updated_s;
};

/* Every budget of treasury (at most BUDGETS_PER_TREASURY_MAX), by
 * category then period (month before quarter), given to fn in one
 * snapshot; fn returning non-zero stops the walk. Open proposals' texts
 * are decoded with v (not NULL) to find their transfers.
 * Returns TREASURY_OK, TREASURY_ERR_UNKNOWN_TREASURY, _NOMEM,
 * _DB_CORRUPT or a database error. */
TREASURY_WARN_UNUSED treasury_err
store_budgets_list(struct store *s, const treasury_verifier *v,
    const char *treasury, int64_t now_s,
    int (*fn)(const struct budget_view *, void *), void *ctx);

/* ---- prices (issue #14 §9, storage/prices.c) ---- */

enum { PRICES_PAGE_MAX = 1000 };

struct price_view {
	char asset[ASSET_CODE_MAX_BYTES + 1];
	char unit[PRICE_UNIT_MAX_BYTES + 1];
	int64_t day;			/* UTC day */
	char price[PRICE_TEXT_MAX_BYTES + 1];
	int64_t created_s;		/* when last set */
};

/* The prices of (asset, unit) on days >= from_day, in day order, at most
 * PRICES_PAGE_MAX given to fn; *more is set when further ones exist.
 * Returns TREASURY_OK, _DB_CORRUPT or a database error. */
/* The price of asset in unit on the latest day <= day, if any: *found
 * false when there is none (never guessed from anything else).
 * Returns TREASURY_OK, _DB_CORRUPT or a database error. */
TREASURY_WARN_UNUSED treasury_err
store_price_at(struct store *s, const char *asset, const char *unit,
    int64_t day, struct price_view *out, bool *found);

TREASURY_WARN_UNUSED treasury_err
store_prices_list(struct store *s, const char *asset, const char *unit,
    int64_t from_day, int (*fn)(const struct price_view *, void *),
    void *ctx, bool *more);
/* ---- accounting reads (storage/report.c, docs/api.md "Reports") ---- */

enum {
	/* assets of one report (assets with ledger entries or a balance in
	 * the treasury); more is TREASURY_ERR_TOO_LARGE */
	REPORT_ASSETS_MAX = 256,
};

/* A category of the treasury, as registered. */
struct report_category {
	char name[CATEGORY_NAME_MAX_BYTES + 1];
	bool income;			/* kind "income", else "expense" */
};

/* The movement of one asset under one category in a report's range. */
struct report_flow {
	struct amount_wide inflow;	/* deposits */
	struct amount_wide outflow;	/* transfers */
	int64_t entries;		/* 0: no movement (not listed) */
};

struct report_asset {
	char asset[ASSET_CODE_MAX_BYTES + 1];
	unsigned decimals;
	struct amount_wide opening;	/* everything before from */
	struct amount_wide inflow;	/* in [from, to), all categories */
	struct amount_wide outflow;
	struct amount_wide closing;	/* opening + inflow - outflow */
	struct report_flow uncategorised;
	/* NULL when no categorised movement, else category_count flows in
	 * the order of report.categories */
	struct report_flow *by_category;
};

/* One report over [from_s, to_s) of one treasury. Heap-allocate it (tens
 * of KiB); free its arrays with report_free. */
struct report {
	int64_t from_s, to_s;
	unsigned category_count;
	struct report_category categories[CATEGORIES_PER_TREASURY_MAX];
	unsigned asset_count;		/* in asset code order */
	struct report_asset assets[REPORT_ASSETS_MAX];
};

/* The report of treasury over [from_s, to_s): for each asset with ledger
 * entries or a balance row, opening (the sum of every entry before
 * from_s: deposits in, transfers out), the inflow and outflow in the range
 * per category and uncategorised, and closing. Exact (amount_wide): whole
 * UTC days come from ledger_days, the partial first and last days from
 * the ledger (ledger_time index). Runs in one snapshot (joins an open one).
 * Contract: from_s < to_s, both in 0..CALENDAR_TIME_MAX_S (asserted).
 * Returns: TREASURY_OK (call report_free); TREASURY_ERR_UNKNOWN_TREASURY;
 *          TREASURY_ERR_TOO_LARGE beyond REPORT_ASSETS_MAX assets;
 *          TREASURY_ERR_DB_CORRUPT when the sums cannot be right (a
 *          negative opening or closing, an entry of an unregistered
 *          category, a malformed sum); TREASURY_ERR_NOMEM; a database
 *          error. out is reset (and freed) on any error. */
TREASURY_WARN_UNUSED treasury_err
store_report(struct store *s, const char *treasury, int64_t from_s,
    int64_t to_s, struct report *out);

/* The report of the period after prev, [prev->to_s, to_s), as store_report
 * would make it, with prev's closing as its opening: prev is a report of
 * the same treasury made in the same snapshot (the caller holds it open
 * between the calls). Reads only the period's day sums, pair by pair
 * through ledger_days' primary key: a report of many periods costs about
 * one report, not one per period.
 * Contract: prev != out, prev->to_s < to_s <= CALENDAR_TIME_MAX_S
 * (asserted).
 * Returns: as store_report. */
TREASURY_WARN_UNUSED treasury_err
store_report_next(struct store *s, const char *treasury,
    const struct report *prev, int64_t to_s, struct report *out);

/* Free what store_report allocated in r (not r itself); idempotent. */
void report_free(struct report *r);

/* The runway of one asset at a time `at`. */
struct runway_asset {
	char asset[ASSET_CODE_MAX_BYTES + 1];
	unsigned decimals;
	amount_minor balance;
	struct amount_wide outflow_30d;	/* transfers in [at - 30 d, at) */
	struct amount_wide outflow_90d;	/* transfers in [at - 90 d, at) */
	bool has_months;		/* false when outflow_90d is 0 */
	/* floor(balance * 300 / outflow_90d): hundredths of a month */
	struct amount_wide months_x100;
	/* with a unit of account: its latest price on or before at's UTC
	 * day (price_day), if there is one (priced) */
	bool priced;
	int64_t price_day;
	char price[PRICE_TEXT_MAX_BYTES + 1];
};

/* For each balance row of treasury (asset code order), its runway at
 * at_s: runway months = balance / (outflow_90d / 3), rounded down to
 * hundredths, exactly; with unit (not NULL), each asset's price in that
 * unit of account too (store_price_at on at_s's day). fn returning
 * non-zero stops the walk. One snapshot.
 * Contract: 0 <= at_s <= CALENDAR_TIME_MAX_S (asserted).
 * Returns: TREASURY_OK; TREASURY_ERR_UNKNOWN_TREASURY; _DB_CORRUPT;
 *          _NOMEM; a database error. */
TREASURY_WARN_UNUSED treasury_err
store_runway(struct store *s, const char *treasury, int64_t at_s,
    const char *unit, int (*fn)(const struct runway_asset *, void *),
    void *ctx);

#endif
