/*
 * test_lifecycle.c: the life cycle of a proposal (core/lifecycle.c)
 * without any storage: every transition of docs/api.md's statuses, the
 * gate of each action at its edges (one second before and at the expiry,
 * the version it was made for and the next), what a tally makes of an
 * open proposal, and what a config change makes of the other proposals.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "treasury/lifecycle.h"

#define NOW_S (1798675200LL)		/* 2026-12-31T00:00:00Z */
#define EXPIRES_S (NOW_S + 3600)
#define DAY_S (86400LL)

static const enum proposal_status all_statuses[] = {
	STATUS_PENDING, STATUS_APPROVED, STATUS_EXECUTED, STATUS_REJECTED,
	STATUS_EXPIRED, STATUS_STALE, STATUS_CANCELLED, STATUS_VETOED,
};

#define STATUS_COUNT (sizeof(all_statuses) / sizeof(all_statuses[0]))

/* Made for config version 1 and expiring at EXPIRES_S. */
static struct lifecycle_proposal
proposal(enum proposal_status stored)
{
	struct lifecycle_proposal p = { stored, EXPIRES_S, 1 };

	return p;
}

/* The gate of action at now_s, the treasury at version 1. */
static treasury_err
gate_at(enum lifecycle_action action, enum proposal_status stored,
    int64_t now_s, struct lifecycle_verdict *v)
{
	struct treasury_policy p;
	struct lifecycle_act act = { action, &p, TRACK_SPEND, VOTE_APPROVE };
	struct lifecycle_proposal pr = proposal(stored);

	policy_init(&p);
	p.timelock_spend_s = DAY_S;	/* vetoes apply */
	return lifecycle_gate(&act, &pr, 1, now_s, v);
}

static treasury_err
gate(enum lifecycle_action action, enum proposal_status stored,
    struct lifecycle_verdict *v)
{
	return gate_at(action, stored, NOW_S, v);
}

static void
test_names(void **state)
{
	enum proposal_status st;
	unsigned i;

	(void)state;
	for (i = 0; i < STATUS_COUNT; i++) {
		const char *name = proposal_status_name(all_statuses[i]);

		assert_int_equal(proposal_status_parse(name, strlen(name), &st),
		    TREASURY_OK);
		assert_int_equal(st, all_statuses[i]);
	}
	assert_string_equal(proposal_status_name(STATUS_PENDING), "pending");
	assert_string_equal(proposal_status_name(STATUS_VETOED), "vetoed");
	assert_string_equal(proposal_status_name(0), "unknown");
	assert_string_equal(proposal_status_name(PROPOSAL_STATUS_LAST + 1),
	    "unknown");
	assert_int_equal(proposal_status_parse("pend", 4, &st),
	    TREASURY_ERR_CANONICAL);
	assert_int_equal(proposal_status_parse("Pending", 7, &st),
	    TREASURY_ERR_CANONICAL);
	assert_int_equal(proposal_status_parse("pendingx", 7, &st),
	    TREASURY_OK);	/* len bounds the name */
}

static void
test_status_at(void **state)
{
	unsigned i;

	(void)state;
	assert_true(proposal_status_is_open(STATUS_PENDING));
	assert_true(proposal_status_is_open(STATUS_APPROVED));
	/* open: itself until one second before the expiry, expired at it */
	assert_int_equal(proposal_status_at(STATUS_PENDING, EXPIRES_S,
	    EXPIRES_S - 1), STATUS_PENDING);
	assert_int_equal(proposal_status_at(STATUS_PENDING, EXPIRES_S,
	    EXPIRES_S), STATUS_EXPIRED);
	assert_int_equal(proposal_status_at(STATUS_APPROVED, EXPIRES_S,
	    EXPIRES_S - 1), STATUS_APPROVED);
	assert_int_equal(proposal_status_at(STATUS_APPROVED, EXPIRES_S,
	    EXPIRES_S + DAY_S), STATUS_EXPIRED);
	/* final: never moves, executed proposals never expire */
	for (i = 0; i < STATUS_COUNT; i++) {
		enum proposal_status st = all_statuses[i];

		if (proposal_status_is_open(st))
			continue;
		assert_int_equal(proposal_status_at(st, EXPIRES_S, INT64_MAX),
		    st);
	}
}

/* Every action but a settlement refuses a proposal past its expiry, and
 * tells the caller to store it as expired unless it already is. */
static void
test_gate_expired(void **state)
{
	enum lifecycle_action a;
	struct lifecycle_verdict v;

	(void)state;
	for (a = ACTION_VOTE; a <= ACTION_EXECUTE; a++) {
		assert_int_equal(gate_at(a, STATUS_PENDING, EXPIRES_S, &v),
		    TREASURY_ERR_EXPIRED);
		assert_int_equal(v.status, STATUS_EXPIRED);
		assert_true(v.store);
		assert_int_equal(v.reason, REASON_EXPIRED);
		assert_int_equal(gate_at(a, STATUS_APPROVED, EXPIRES_S, &v),
		    TREASURY_ERR_EXPIRED);
		assert_true(v.store);
		assert_int_equal(gate_at(a, STATUS_EXPIRED, NOW_S, &v),
		    TREASURY_ERR_EXPIRED);
		assert_false(v.store);
	}
}

static void
test_gate_stale(void **state)
{
	struct treasury_policy p;
	struct lifecycle_act act = { ACTION_VOTE, &p, TRACK_SPEND,
	    VOTE_APPROVE };
	struct lifecycle_proposal pr = proposal(STATUS_PENDING);
	struct lifecycle_verdict v;
	enum lifecycle_action a;

	(void)state;
	policy_init(&p);
	/* stored stale: refused, nothing to store */
	for (a = ACTION_VOTE; a <= ACTION_EXECUTE; a++) {
		assert_int_equal(gate(a, STATUS_STALE, &v), TREASURY_ERR_STALE);
		assert_false(v.store);
		assert_int_equal(v.reason, REASON_STALE);
	}
	/* open and made for version 1 while the treasury is at 2 */
	assert_int_equal(lifecycle_gate(&act, &pr, 2, NOW_S, &v),
	    TREASURY_ERR_STALE);
	assert_int_equal(v.status, STATUS_STALE);
	assert_true(v.store);
	assert_int_equal(v.reason, REASON_VERSION);
	pr.stored = STATUS_APPROVED;
	act.action = ACTION_EXECUTE;
	assert_int_equal(lifecycle_gate(&act, &pr, 2, NOW_S, &v),
	    TREASURY_ERR_STALE);
	assert_true(v.store);
	/* expiry comes first */
	assert_int_equal(lifecycle_gate(&act, &pr, 2, EXPIRES_S, &v),
	    TREASURY_ERR_EXPIRED);
	assert_int_equal(v.status, STATUS_EXPIRED);
	/* a final status is not made stale: the action judges it */
	pr.stored = STATUS_REJECTED;
	act.action = ACTION_KEY_PROOF;
	assert_int_equal(lifecycle_gate(&act, &pr, 2, NOW_S, &v), TREASURY_OK);
	assert_int_equal(v.status, STATUS_REJECTED);
	assert_false(v.store);
}

static void
test_gate_executed(void **state)
{
	struct lifecycle_verdict v;

	(void)state;
	assert_int_equal(gate(ACTION_VETO, STATUS_EXECUTED, &v),
	    TREASURY_ERR_ALREADY_EXECUTED);
	assert_int_equal(v.reason, REASON_EXECUTED);
	assert_int_equal(v.status, STATUS_EXECUTED);
	assert_int_equal(gate(ACTION_REVOKE, STATUS_EXECUTED, &v),
	    TREASURY_ERR_ALREADY_EXECUTED);
	assert_int_equal(gate(ACTION_KEY_PROOF, STATUS_EXECUTED, &v),
	    TREASURY_ERR_ALREADY_EXECUTED);
	/* past the expiry too: executed proposals never expire */
	assert_int_equal(gate_at(ACTION_EXECUTE, STATUS_EXECUTED, EXPIRES_S,
	    &v), TREASURY_ERR_ALREADY_EXECUTED);
	/* a vote or cancel says it is not pending */
	assert_int_equal(gate(ACTION_VOTE, STATUS_EXECUTED, &v),
	    TREASURY_ERR_NOT_PENDING);
	assert_int_equal(v.reason, REASON_STATUS);
	assert_int_equal(v.status, STATUS_EXECUTED);
	assert_int_equal(gate(ACTION_CANCEL, STATUS_EXECUTED, &v),
	    TREASURY_ERR_NOT_PENDING);
}

/* A vote of `d` on an approved spend or config proposal. */
static treasury_err
vote_on_approved(unsigned high, enum policy_track track, enum vote_decision d)
{
	struct treasury_policy p;
	struct lifecycle_act act = { ACTION_VOTE, &p, track, d };
	struct lifecycle_proposal pr = proposal(STATUS_APPROVED);
	struct lifecycle_verdict v;
	treasury_err err;

	policy_init(&p);
	p.high_threshold = high;
	err = lifecycle_gate(&act, &pr, 1, NOW_S, &v);
	assert_int_equal(v.status, STATUS_APPROVED);
	assert_false(v.store);
	return err;
}

static void
test_gate_vote_and_cancel(void **state)
{
	struct lifecycle_verdict v;

	(void)state;
	assert_int_equal(gate_at(ACTION_VOTE, STATUS_PENDING, EXPIRES_S - 1,
	    &v), TREASURY_OK);
	assert_int_equal(v.status, STATUS_PENDING);
	assert_false(v.store);
	assert_int_equal(v.reason, REASON_NONE);
	assert_int_equal(gate(ACTION_CANCEL, STATUS_PENDING, &v), TREASURY_OK);
	assert_int_equal(gate(ACTION_VOTE, STATUS_VETOED, &v),
	    TREASURY_ERR_VETOED);
	assert_int_equal(gate(ACTION_CANCEL, STATUS_VETOED, &v),
	    TREASURY_ERR_VETOED);
	assert_int_equal(gate(ACTION_VOTE, STATUS_REJECTED, &v),
	    TREASURY_ERR_NOT_PENDING);
	assert_int_equal(gate(ACTION_VOTE, STATUS_CANCELLED, &v),
	    TREASURY_ERR_NOT_PENDING);
	assert_int_equal(gate(ACTION_CANCEL, STATUS_APPROVED, &v),
	    TREASURY_ERR_NOT_PENDING);
	assert_int_equal(v.reason, REASON_STATUS);
	/* an approval of an approved spend only under a high threshold */
	assert_int_equal(vote_on_approved(0, TRACK_SPEND, VOTE_APPROVE),
	    TREASURY_ERR_NOT_PENDING);
	assert_int_equal(vote_on_approved(3, TRACK_SPEND, VOTE_APPROVE),
	    TREASURY_OK);
	assert_int_equal(vote_on_approved(3, TRACK_SPEND, VOTE_REJECT),
	    TREASURY_ERR_NOT_PENDING);
	assert_int_equal(vote_on_approved(3, TRACK_CONFIG, VOTE_APPROVE),
	    TREASURY_ERR_NOT_PENDING);
}

static void
test_gate_veto(void **state)
{
	struct treasury_policy p;
	struct lifecycle_act act = { ACTION_VETO, &p, TRACK_CONFIG, 0 };
	struct lifecycle_proposal pr = proposal(STATUS_PENDING);
	struct lifecycle_verdict v;

	(void)state;
	policy_init(&p);
	p.timelock_spend_s = DAY_S;
	/* the config track has no delay here: no veto window */
	assert_int_equal(lifecycle_gate(&act, &pr, 1, NOW_S, &v),
	    TREASURY_ERR_VETO_CLOSED);
	assert_int_equal(v.reason, REASON_NO_DELAY);
	/* no window is said before the status */
	pr.stored = STATUS_REJECTED;
	assert_int_equal(lifecycle_gate(&act, &pr, 1, NOW_S, &v),
	    TREASURY_ERR_VETO_CLOSED);
	assert_int_equal(v.reason, REASON_NO_DELAY);
	assert_int_equal(gate(ACTION_VETO, STATUS_PENDING, &v), TREASURY_OK);
	assert_int_equal(gate(ACTION_VETO, STATUS_APPROVED, &v), TREASURY_OK);
	assert_int_equal(v.status, STATUS_APPROVED);
	assert_int_equal(gate(ACTION_VETO, STATUS_REJECTED, &v),
	    TREASURY_ERR_VETO_CLOSED);
	assert_int_equal(v.reason, REASON_STATUS);
	assert_int_equal(gate(ACTION_VETO, STATUS_VETOED, &v),
	    TREASURY_ERR_VETO_CLOSED);
	assert_int_equal(v.status, STATUS_VETOED);
}

static void
test_gate_revoke_key_proof(void **state)
{
	struct lifecycle_verdict v;

	(void)state;
	assert_int_equal(gate(ACTION_REVOKE, STATUS_PENDING, &v), TREASURY_OK);
	assert_int_equal(gate(ACTION_REVOKE, STATUS_APPROVED, &v), TREASURY_OK);
	assert_int_equal(gate(ACTION_REVOKE, STATUS_CANCELLED, &v),
	    TREASURY_ERR_NOT_PENDING);
	assert_int_equal(v.reason, REASON_STATUS);
	assert_int_equal(gate(ACTION_REVOKE, STATUS_VETOED, &v),
	    TREASURY_ERR_NOT_PENDING);
	/* a key proof is taken in any status left after the common checks */
	assert_int_equal(gate(ACTION_KEY_PROOF, STATUS_PENDING, &v),
	    TREASURY_OK);
	assert_int_equal(gate(ACTION_KEY_PROOF, STATUS_REJECTED, &v),
	    TREASURY_OK);
	assert_int_equal(v.status, STATUS_REJECTED);
	assert_int_equal(gate(ACTION_KEY_PROOF, STATUS_CANCELLED, &v),
	    TREASURY_OK);
}

static void
test_gate_execute_settle(void **state)
{
	struct lifecycle_verdict v;

	(void)state;
	assert_int_equal(gate_at(ACTION_EXECUTE, STATUS_APPROVED,
	    EXPIRES_S - 1, &v), TREASURY_OK);
	assert_int_equal(v.status, STATUS_APPROVED);
	assert_int_equal(gate(ACTION_EXECUTE, STATUS_PENDING, &v),
	    TREASURY_ERR_NOT_APPROVED);
	assert_int_equal(v.reason, REASON_STATUS);
	assert_int_equal(gate(ACTION_EXECUTE, STATUS_REJECTED, &v),
	    TREASURY_ERR_NOT_APPROVED);
	assert_int_equal(gate(ACTION_EXECUTE, STATUS_VETOED, &v),
	    TREASURY_ERR_VETOED);
	/* a settlement needs executed, reports the status at now */
	assert_int_equal(gate(ACTION_SETTLE, STATUS_EXECUTED, &v), TREASURY_OK);
	assert_int_equal(v.status, STATUS_EXECUTED);
	assert_int_equal(gate(ACTION_SETTLE, STATUS_APPROVED, &v),
	    TREASURY_ERR_NOT_EXECUTED);
	assert_int_equal(v.status, STATUS_APPROVED);
	assert_int_equal(gate_at(ACTION_SETTLE, STATUS_APPROVED, EXPIRES_S, &v),
	    TREASURY_ERR_NOT_EXECUTED);
	assert_int_equal(v.status, STATUS_EXPIRED);
	assert_false(v.store);
	assert_int_equal(gate(ACTION_SETTLE, STATUS_STALE, &v),
	    TREASURY_ERR_NOT_EXECUTED);
}

static void
test_tally_vote(void **state)
{
	struct policy_tally t = { 0, 0, 0 };

	(void)state;
	lifecycle_tally_vote(&t, VOTE_APPROVE, false);
	lifecycle_tally_vote(&t, VOTE_APPROVE, false);
	lifecycle_tally_vote(&t, VOTE_REJECT, false);
	lifecycle_tally_vote(&t, VOTE_APPROVE, true);	/* revoked: neither */
	assert_int_equal(t.approvals, 2);
	assert_int_equal(t.rejections, 1);
	assert_int_equal(t.vetoes, 0);
}

/* The step a tally of a approvals, r rejections and v vetoes gives an
 * open proposal at 2 of 3 (config M + 1 when extra) on the spend track
 * with a one-day delay (vetoes apply, ceil(3/3) = 1 vetoes cancel). */
static struct lifecycle_step
step(enum proposal_status current, enum policy_track track, unsigned extra,
    unsigned a, unsigned r, unsigned v)
{
	struct policy_tally t = { a, r, v };
	struct treasury_policy p;
	struct lifecycle_step out;

	policy_init(&p);
	p.timelock_spend_s = DAY_S;
	p.timelock_config_s = DAY_S;
	p.config_extra = extra;
	lifecycle_tally_step(current, &p, track, 2, 3, &t, NOW_S, &out);
	return out;
}

static void
test_tally_step(void **state)
{
	struct lifecycle_step s;

	(void)state;
	/* pending stays pending below both thresholds */
	s = step(STATUS_PENDING, TRACK_SPEND, 0, 1, 1, 0);
	assert_int_equal(s.status, STATUS_PENDING);
	assert_false(s.store_status);
	assert_false(s.store_approved);
	/* pending -> approved at M approvals: approved_at is now */
	s = step(STATUS_PENDING, TRACK_SPEND, 0, 2, 0, 0);
	assert_int_equal(s.status, STATUS_APPROVED);
	assert_true(s.store_status);
	assert_true(s.store_approved);
	assert_int_equal(s.approved_s, NOW_S);
	/* the config track with M + 1: 2 approvals are not enough */
	s = step(STATUS_PENDING, TRACK_CONFIG, 1, 2, 0, 0);
	assert_int_equal(s.status, STATUS_PENDING);
	s = step(STATUS_PENDING, TRACK_CONFIG, 1, 3, 0, 0);
	assert_int_equal(s.status, STATUS_APPROVED);
	/* pending -> rejected at N - M + 1 rejections */
	s = step(STATUS_PENDING, TRACK_SPEND, 0, 0, 2, 0);
	assert_int_equal(s.status, STATUS_REJECTED);
	assert_true(s.store_status);
	assert_false(s.store_approved);
	/* with M + 1, one rejection of 3 rejects (3 - 3 + 1) */
	s = step(STATUS_PENDING, TRACK_CONFIG, 1, 0, 1, 0);
	assert_int_equal(s.status, STATUS_REJECTED);
	/* approved stays approved (an extra approval): nothing stored */
	s = step(STATUS_APPROVED, TRACK_SPEND, 0, 3, 0, 0);
	assert_int_equal(s.status, STATUS_APPROVED);
	assert_false(s.store_status);
	assert_false(s.store_approved);
	/* approved -> pending by a revocation: approved_at cleared */
	s = step(STATUS_APPROVED, TRACK_SPEND, 0, 1, 0, 0);
	assert_int_equal(s.status, STATUS_PENDING);
	assert_true(s.store_status);
	assert_true(s.store_approved);
	assert_int_equal(s.approved_s, 0);
	/* pending or approved -> vetoed at the veto count; approved_at kept */
	s = step(STATUS_PENDING, TRACK_SPEND, 0, 0, 0, 1);
	assert_int_equal(s.status, STATUS_VETOED);
	assert_true(s.store_status);
	assert_false(s.store_approved);
	s = step(STATUS_APPROVED, TRACK_SPEND, 0, 2, 0, 1);
	assert_int_equal(s.status, STATUS_VETOED);
	assert_false(s.store_approved);
}

static void
test_after_config_change(void **state)
{
	struct lifecycle_proposal p = proposal(STATUS_PENDING);
	unsigned i;

	(void)state;
	/* open and made for version 1, the treasury now at 2 */
	assert_int_equal(lifecycle_after_config_change(&p, 2, NOW_S),
	    STATUS_STALE);
	p.stored = STATUS_APPROVED;
	assert_int_equal(lifecycle_after_config_change(&p, 2, EXPIRES_S - 1),
	    STATUS_STALE);
	assert_int_equal(lifecycle_after_config_change(&p, 2, EXPIRES_S),
	    STATUS_EXPIRED);
	/* made for the new version: untouched, even past its expiry */
	p.config_version = 2;
	assert_int_equal(lifecycle_after_config_change(&p, 2, EXPIRES_S),
	    STATUS_APPROVED);
	/* final statuses keep theirs */
	p.config_version = 1;
	for (i = 0; i < STATUS_COUNT; i++) {
		p.stored = all_statuses[i];
		if (!proposal_status_is_open(p.stored))
			assert_int_equal(lifecycle_after_config_change(&p, 2,
			    NOW_S), p.stored);
	}
}

/* What an action that passed the gate leaves: cancel cancels, execute
 * executes, the others leave the status to the tally; new is pending. */
static void
test_status_after(void **state)
{
	(void)state;
	assert_int_equal(lifecycle_status_created(), STATUS_PENDING);
	assert_int_equal(lifecycle_status_after(ACTION_CANCEL, STATUS_PENDING),
	    STATUS_CANCELLED);
	assert_int_equal(lifecycle_status_after(ACTION_EXECUTE,
	    STATUS_APPROVED), STATUS_EXECUTED);
	assert_int_equal(lifecycle_status_after(ACTION_VOTE, STATUS_PENDING),
	    STATUS_PENDING);
	assert_int_equal(lifecycle_status_after(ACTION_SETTLE,
	    STATUS_EXECUTED), STATUS_EXECUTED);
	assert_int_equal(lifecycle_status_after(ACTION_KEY_PROOF,
	    STATUS_APPROVED), STATUS_APPROVED);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_status_at),
		cmocka_unit_test(test_gate_expired),
		cmocka_unit_test(test_gate_stale),
		cmocka_unit_test(test_gate_executed),
		cmocka_unit_test(test_gate_vote_and_cancel),
		cmocka_unit_test(test_gate_veto),
		cmocka_unit_test(test_gate_revoke_key_proof),
		cmocka_unit_test(test_gate_execute_settle),
		cmocka_unit_test(test_tally_vote),
		cmocka_unit_test(test_tally_step),
		cmocka_unit_test(test_after_config_change),
		cmocka_unit_test(test_status_after),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
