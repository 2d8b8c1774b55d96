/*
 * lifecycle.c: the life cycle of a proposal as pure decisions
 * (include/treasury/lifecycle.h): its statuses, the gate of each action,
 * what a tally makes of it and what a config change makes of the others.
 *
 * No I/O and no clock: storage passes the stored values and the time.
 * The thresholds are policy.c's.
 */
#include <assert.h>
#include <string.h>

#include "treasury/lifecycle.h"

static const char *const status_names[] = {
	[STATUS_PENDING] = "pending",
	[STATUS_APPROVED] = "approved",
	[STATUS_EXECUTED] = "executed",
	[STATUS_REJECTED] = "rejected",
	[STATUS_EXPIRED] = "expired",
	[STATUS_STALE] = "stale",
	[STATUS_CANCELLED] = "cancelled",
	[STATUS_VETOED] = "vetoed",
};

#define STATUS_LAST PROPOSAL_STATUS_LAST

const char *
proposal_status_name(enum proposal_status st)
{
	if (st < STATUS_PENDING || st > STATUS_LAST)
		return "unknown";
	return status_names[st];
}

treasury_err
proposal_status_parse(const char *s, size_t len, enum proposal_status *out)
{
	int i;

	for (i = STATUS_PENDING; i <= STATUS_LAST; i++) {
		if (strlen(status_names[i]) == len &&
		    memcmp(status_names[i], s, len) == 0) {
			*out = (enum proposal_status)i;
			return TREASURY_OK;
		}
	}
	return TREASURY_ERR_CANONICAL;
}

bool
proposal_status_is_open(enum proposal_status st)
{
	return st == STATUS_PENDING || st == STATUS_APPROVED;
}

enum proposal_status
proposal_status_at(enum proposal_status stored, int64_t expires_s,
    int64_t now_s)
{
	if (proposal_status_is_open(stored) && now_s >= expires_s)
		return STATUS_EXPIRED;
	return stored;
}

/* ---- the gate of an action ---- */

static treasury_err
refuse(struct lifecycle_verdict *out, enum lifecycle_reason why,
    treasury_err err)
{
	out->reason = why;
	return err;
}

/* Executed, expired, stale: what every action checks first. */
static treasury_err
gate_common(const struct lifecycle_act *act,
    const struct lifecycle_proposal *p, uint64_t current_version,
    int64_t now_s, struct lifecycle_verdict *out)
{
	bool executed_is_final = act->action != ACTION_VOTE &&
	    act->action != ACTION_CANCEL;

	if (executed_is_final && p->stored == STATUS_EXECUTED)
		return refuse(out, REASON_EXECUTED,
		    TREASURY_ERR_ALREADY_EXECUTED);
	out->status = proposal_status_at(p->stored, p->expires_s, now_s);
	if (out->status == STATUS_EXPIRED) {
		out->store = p->stored != STATUS_EXPIRED;
		return refuse(out, REASON_EXPIRED, TREASURY_ERR_EXPIRED);
	}
	if (out->status == STATUS_STALE)
		return refuse(out, REASON_STALE, TREASURY_ERR_STALE);
	if (proposal_status_is_open(out->status) &&
	    p->config_version != current_version) {
		out->status = STATUS_STALE;
		out->store = true;
		return refuse(out, REASON_VERSION, TREASURY_ERR_STALE);
	}
	return TREASURY_OK;
}

/* An approval of an approved proposal is recorded only when the policy
 * has a high threshold, which a spend may need (policies.md §2-3). */
static bool
vote_on_approved(const struct lifecycle_act *act)
{
	assert(act->policy != NULL);
	return act->decision == VOTE_APPROVE &&
	    act->policy->high_threshold != 0 && act->track == TRACK_SPEND;
}

/* What the action needs of a status that passed gate_common. */
static treasury_err
gate_status(const struct lifecycle_act *act, struct lifecycle_verdict *out)
{
	enum proposal_status st = out->status;

	switch (act->action) {
	case ACTION_VOTE:
		if (st == STATUS_APPROVED && vote_on_approved(act))
			return TREASURY_OK;
		/* FALLTHROUGH */
	case ACTION_CANCEL:
		if (st == STATUS_PENDING)
			return TREASURY_OK;
		return refuse(out, REASON_STATUS, st == STATUS_VETOED ?
		    TREASURY_ERR_VETOED : TREASURY_ERR_NOT_PENDING);
	case ACTION_VETO:
		assert(act->policy != NULL);
		if (!policy_vetoes_apply(act->policy, act->track))
			return refuse(out, REASON_NO_DELAY,
			    TREASURY_ERR_VETO_CLOSED);
		if (!proposal_status_is_open(st))
			return refuse(out, REASON_STATUS,
			    TREASURY_ERR_VETO_CLOSED);
		return TREASURY_OK;
	case ACTION_REVOKE:
		if (!proposal_status_is_open(st))
			return refuse(out, REASON_STATUS,
			    TREASURY_ERR_NOT_PENDING);
		return TREASURY_OK;
	case ACTION_KEY_PROOF:
		return TREASURY_OK;
	case ACTION_EXECUTE:
		if (st == STATUS_APPROVED)
			return TREASURY_OK;
		return refuse(out, REASON_STATUS, st == STATUS_VETOED ?
		    TREASURY_ERR_VETOED : TREASURY_ERR_NOT_APPROVED);
	case ACTION_SETTLE:
		break;		/* lifecycle_gate's own */
	}
	return TREASURY_ERR_INTERNAL;
}

treasury_err
lifecycle_gate(const struct lifecycle_act *act,
    const struct lifecycle_proposal *p, uint64_t current_version,
    int64_t now_s, struct lifecycle_verdict *out)
{
	treasury_err err;

	memset(out, 0, sizeof(*out));
	out->status = p->stored;
	if (act->action == ACTION_SETTLE) {
		out->status = proposal_status_at(p->stored, p->expires_s, now_s);
		if (p->stored == STATUS_EXECUTED)
			return TREASURY_OK;
		return refuse(out, REASON_STATUS, TREASURY_ERR_NOT_EXECUTED);
	}
	err = gate_common(act, p, current_version, now_s, out);
	if (err == TREASURY_OK)
		err = gate_status(act, out);
	return err;
}

/* ---- the tally ---- */

void
lifecycle_tally_vote(struct policy_tally *t, enum vote_decision d,
    bool revoked)
{
	assert(d == VOTE_APPROVE || d == VOTE_REJECT);
	if (revoked)
		return;
	if (d == VOTE_APPROVE)
		t->approvals++;
	else
		t->rejections++;
}

static enum proposal_status
status_of_state(enum policy_state st)
{
	switch (st) {
	case STATE_APPROVED:
		return STATUS_APPROVED;
	case STATE_REJECTED:
		return STATUS_REJECTED;
	case STATE_VETOED:
		return STATUS_VETOED;
	case STATE_PENDING:
		break;
	}
	return STATUS_PENDING;
}

void
lifecycle_tally_step(enum proposal_status current,
    const struct treasury_policy *p, enum policy_track track, unsigned m,
    unsigned n, const struct policy_tally *t, int64_t now_s,
    struct lifecycle_step *out)
{
	assert(proposal_status_is_open(current));
	memset(out, 0, sizeof(*out));
	out->status = status_of_state(policy_state_of(p, track, m, n, t));
	out->store_status = out->status != current;
	if (out->status == STATUS_APPROVED && current != STATUS_APPROVED) {
		out->store_approved = true;	/* the delay runs from now */
		out->approved_s = now_s;
	} else if (current == STATUS_APPROVED &&
	    out->status == STATUS_PENDING) {
		out->store_approved = true;	/* it starts again later */
		out->approved_s = 0;
	}
}

/* ---- the clock and config changes ---- */

enum proposal_status
lifecycle_after_config_change(const struct lifecycle_proposal *p,
    uint64_t new_version, int64_t now_s)
{
	if (!proposal_status_is_open(p->stored) ||
	    p->config_version >= new_version)
		return p->stored;
	if (proposal_status_at(p->stored, p->expires_s, now_s) ==
	    STATUS_EXPIRED)
		return STATUS_EXPIRED;
	return STATUS_STALE;
}

enum proposal_status
lifecycle_status_created(void)
{
	return STATUS_PENDING;
}

enum proposal_status
lifecycle_status_after(enum lifecycle_action action,
    enum proposal_status current)
{
	if (action == ACTION_CANCEL)
		return STATUS_CANCELLED;
	if (action == ACTION_EXECUTE)
		return STATUS_EXECUTED;
	return current;
}
