/*
 * lifecycle.h: the life cycle of a proposal as pure decisions: its
 * statuses, the status it has at a time, the gate every action on it
 * passes, what the tally of its votes and vetoes makes of it, and what an
 * executed config change makes of the treasury's other proposals.
 *
 *   pending --base approvals--> approved --execute--> executed
 *      ^                           |
 *      '--revocation below base----'
 *   pending --n - base + 1 rejections--> rejected
 *   pending --the proposer cancels--> cancelled
 *   pending or approved --vetoes reach the veto count--> vetoed
 *   pending or approved --now >= expires_at--> expired
 *   pending or approved --a config change executes--> stale
 *
 * Pure functions over plain values: no I/O and no clock. Storage loads a
 * proposal's stored status, expiry, config version and tally, asks these
 * functions, and stores what they answer. The thresholds are policy.h's
 * (policy_state_of and its helpers); docs/api.md and docs/policies.md
 * state the same rules for clients.
 */
#ifndef TREASURY_LIFECYCLE_H
#define TREASURY_LIFECYCLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "treasury/error.h"
#include "treasury/hash.h"
#include "treasury/policy.h"

enum proposal_status {
	STATUS_PENDING = 1,
	STATUS_APPROVED,
	STATUS_EXECUTED,
	STATUS_REJECTED,
	STATUS_EXPIRED,
	STATUS_STALE,
	STATUS_CANCELLED,
	STATUS_VETOED,		/* final: vetoes reached the veto count */
};

#define PROPOSAL_STATUS_LAST STATUS_VETOED

/* "pending", "approved", ...; "unknown" for a value out of the enum. */
const char *proposal_status_name(enum proposal_status st);
/* Returns TREASURY_OK or TREASURY_ERR_CANONICAL for an unknown name. */
TREASURY_WARN_UNUSED treasury_err
proposal_status_parse(const char *s, size_t len, enum proposal_status *out);

/* Whether a proposal with this status is open: pending or approved, the
 * statuses that votes, vetoes, revocations, the clock and config changes
 * still move. Every other status is final. */
bool proposal_status_is_open(enum proposal_status st);

/* The status at now_s of a proposal stored with status `stored` that
 * expires at expires_s: an open one at or past its expiry
 * (now_s >= expires_s) is expired; any other status is what is stored. */
enum proposal_status proposal_status_at(enum proposal_status stored,
    int64_t expires_s, int64_t now_s);

/* ---- the gate of an action ---- */

/* What the gate needs of a proposal, as stored. */
struct lifecycle_proposal {
	enum proposal_status stored;
	int64_t expires_s;
	uint64_t config_version;	/* the version it was made for */
};

/* The actions on a proposal that its status decides. */
enum lifecycle_action {
	ACTION_VOTE = 1,	/* pending; see lifecycle_gate for approved */
	ACTION_CANCEL,		/* pending */
	ACTION_VETO,		/* pending or approved, on a track with vetoes */
	ACTION_REVOKE,		/* pending or approved */
	ACTION_KEY_PROOF,	/* not executed, expired or stale */
	ACTION_EXECUTE,		/* approved */
	ACTION_SETTLE,		/* executed */
};

struct lifecycle_act {
	enum lifecycle_action action;
	/* ACTION_VOTE and ACTION_VETO: the policy of the proposal's config
	 * version (its scalars are read, not its lists) and its track;
	 * NULL and 0 for the other actions */
	const struct treasury_policy *policy;
	enum policy_track track;
	enum vote_decision decision;	/* ACTION_VOTE */
};

/* Why a gate refused, for the caller's detail text. */
enum lifecycle_reason {
	REASON_NONE = 0,		/* passed */
	REASON_EXECUTED,		/* stored executed */
	REASON_EXPIRED,			/* past expires_s */
	REASON_STALE,			/* stored stale */
	REASON_VERSION,			/* made for another config version */
	REASON_STATUS,			/* the status is not one the action
					 * takes: say which (status) */
	REASON_NO_DELAY,		/* a veto on a track without delay */
};

struct lifecycle_verdict {
	enum proposal_status status;	/* the status at now_s, to report */
	bool store;			/* status is not the stored one: store
					 * it, even though the action fails */
	enum lifecycle_reason reason;
};

/* Whether act may be done on proposal p at now_s, its treasury being at
 * config version current_version. The checks, in this order:
 *   TREASURY_ERR_ALREADY_EXECUTED  stored executed (veto, revoke, key
 *                                  proof, execute; a vote or cancel of an
 *                                  executed proposal is _NOT_PENDING);
 *   TREASURY_ERR_EXPIRED           proposal_status_at is expired (stored
 *                                  unless it already is);
 *   TREASURY_ERR_STALE             stored stale, or open and made for a
 *                                  version other than current_version
 *                                  (status stale, stored);
 *   then what the action needs of the status:
 *     vote, cancel: pending, else TREASURY_ERR_VETOED for vetoed and
 *       _NOT_PENDING for any other; but an approving vote on an approved
 *       proposal passes when the policy has a high threshold and the
 *       proposal is on the spend track (it may need those approvals to
 *       execute: docs/policies.md §2-3);
 *     veto: TREASURY_ERR_VETO_CLOSED when policy_vetoes_apply is false
 *       for its track (REASON_NO_DELAY), or the status is not open;
 *     revoke: open, else TREASURY_ERR_NOT_PENDING;
 *     key proof: any status left;
 *     execute: approved, else _VETOED for vetoed, _NOT_APPROVED for any
 *       other.
 * A settlement checks only that the stored status is executed, else
 * TREASURY_ERR_NOT_EXECUTED (out->status is proposal_status_at).
 * Returns TREASURY_OK or the error above. out is always filled: status,
 * whether to store it, and the reason of a refusal. */
TREASURY_WARN_UNUSED treasury_err
lifecycle_gate(const struct lifecycle_act *act,
    const struct lifecycle_proposal *p, uint64_t current_version,
    int64_t now_s, struct lifecycle_verdict *out);

/* The status a new proposal is stored with (STATUS_PENDING). */
enum proposal_status lifecycle_status_created(void);

/* The status an action that lifecycle_gate let through leaves on a
 * proposal whose status was `current`: ACTION_CANCEL cancels,
 * ACTION_EXECUTE executes; the other actions leave it to the tally
 * (lifecycle_tally_step) or do not change it. */
enum proposal_status lifecycle_status_after(enum lifecycle_action action,
    enum proposal_status current);

/* ---- the tally ---- */

/* Count one signer's vote into t: an approval not revoked in approvals, a
 * rejection in rejections, a revoked approval in neither. */
void lifecycle_tally_vote(struct policy_tally *t, enum vote_decision d,
    bool revoked);

/* What a tally makes of an open proposal. */
struct lifecycle_step {
	enum proposal_status status;	/* the status after */
	bool store_status;		/* status is not `current` */
	bool store_approved;		/* approved_s is to be stored */
	int64_t approved_s;		/* when store_approved: now_s, or 0
					 * (none) when it leaves approved */
};

/* The status that tally t gives an open proposal whose status is
 * `current`, at a config version of threshold m and n signers with
 * policy p (scalars), on `track` (policy_state_of). approved_at is set
 * to now_s when it becomes approved (its delay runs from then) and
 * cleared when a revocation takes it back to pending; a proposal vetoed
 * while approved keeps it. current must be open (asserted). */
void lifecycle_tally_step(enum proposal_status current,
    const struct treasury_policy *p, enum policy_track track, unsigned m,
    unsigned n, const struct policy_tally *t, int64_t now_s,
    struct lifecycle_step *out);

/* ---- the clock and config changes ---- */

/* What an executed config change, which moved the treasury to
 * new_version, makes of another proposal of it at now_s: one stored open
 * and made for an older version becomes expired when its expiry has
 * passed (now_s >= expires_s), stale otherwise; any other keeps its
 * stored status. */
enum proposal_status lifecycle_after_config_change(
    const struct lifecycle_proposal *p, uint64_t new_version, int64_t now_s);

#endif
