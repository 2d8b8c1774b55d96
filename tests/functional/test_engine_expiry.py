"""Expiry through the API, using the daemon's --unsafe-test-clock (the
minimum expiry is one minute and the default seven days, too long to wait).
An expired proposal reads as `expired`, and voting on or executing it is a
409 expired; the status is kept once the writer has seen it."""

import signers as sg
from framework import assert_equal, assert_problem
from treasury_helpers import setup


def advance(node, seconds):
    r = node.post("/v1/test/clock", body={"advance_s": seconds})
    assert_equal(r.status, 200, "test clock: %r" % r)
    return r.json["now"]


def test_test_clock_is_404_without_the_flag(ctx):
    node, _ = setup(ctx)
    assert_problem(node.post("/v1/test/clock", body={"advance_s": 10}), 404,
                   "not-found")


def test_pending_proposal_expires(ctx):
    node, c = setup(ctx, extra_args=["--unsafe-test-clock"])
    c.asset_ok("USDC", 6)
    a, b, d = sg.signers("exp", "ees")
    c.treasury_ok("exp", 2, [a, b, d])
    c.deposit_ok("exp", "USDC", "10", "d1")
    p = c.transfer_ok("exp", "USDC", "1")
    c.vote_ok(p["id"], a)
    advance(node, 7 * 24 * 3600 + 1)
    assert_equal(c.get_proposal(p["id"])["status"], "expired", "read status")
    listed = c.proposals("exp", status="expired")
    assert_equal([x["id"] for x in listed], [p["id"]], "listed as expired")
    assert_equal(c.proposals("exp", status="pending"), [], "none pending")
    assert_problem(c.vote(p["id"], b), 409, "expired")
    assert_problem(c.execute(p["id"]), 409, "expired")
    # A repeat of a vote already recorded stays an idempotent 200.
    assert_equal(c.vote(p["id"], a).status, 200, "replayed vote")
    assert_equal(c.balance("exp", "USDC"), "10.000000", "nothing debited")


def test_approved_proposal_expires_before_execution(ctx):
    node, c = setup(ctx, extra_args=["--unsafe-test-clock"])
    c.asset_ok("USDC", 6)
    a, b = sg.signers("exa", "es")
    c.treasury_ok("exa", 2, [a, b])
    c.deposit_ok("exa", "USDC", "10", "d1")
    p = c.transfer_ok("exa", "USDC", "1")
    c.approve_all(p["id"], [a, b])
    advance(node, 8 * 24 * 3600)
    assert_problem(c.execute(p["id"]), 409, "expired")
    assert_equal(c.get_proposal(p["id"])["status"], "expired", "status kept")
    assert_equal(c.balance("exa", "USDC"), "10.000000", "nothing debited")
    # The clock only moves forward, and only by a bounded step.
    assert_problem(node.post("/v1/test/clock", body={"advance_s": 0}), 400)
    assert_problem(node.post("/v1/test/clock", body={"advance_s": -5}), 400)
