"""Clear signing against a lying server (docs/signing.md §10): a proxy in front of the
real daemon rewrites GET /v1/proposals/{id} answers. treasuryctl must
refuse with the verification exit code, name what disagrees, and sign and
post nothing; the daemon is checked directly afterwards."""

import signers as sg
from cli_helpers import Ctl, PASSPHRASE, EXIT_VERIFY, TamperProxy, votes_of
from framework import assert_equal, assert_true
from test_cli_flow import DEST, grants


def tampered_approve(ctx, mutate, want_in_err):
    node, c, ctls, _ = grants(ctx)
    p = c.transfer_ok("grants", "USDC", "10", to=DEST, memo="rent")
    proxy = TamperProxy(node, mutate)
    try:
        alice = Ctl(ctx, proxy.url, ctls["alice"].token_file and
                    open(ctls["alice"].token_file).read().strip(),
                    name="via-proxy")
        res = alice.run("approve", p["id"], "--yes", "--keystore",
                        ctls["alice"].keystore("alice"),
                        passphrase=PASSPHRASE)
    finally:
        proxy.close()
    assert_equal(res.rc, EXIT_VERIFY, "tampered answer refused: %r" % res)
    assert_true("REFUSED" in res.err and want_in_err in res.err,
                "reason names %r: %r" % (want_in_err, res.err))
    assert_true("vote recorded" not in res.out, "nothing posted")
    assert_equal(proxy.vote_posts, 0, "no vote request was sent")
    assert_equal(votes_of(node, p["id"]), [], "the daemon has no vote")
    # The same command straight to the daemon works: the refusal was
    # caused by the tampering only.
    ctls["alice"].ok("approve", p["id"], "--yes", "--keystore",
                     ctls["alice"].keystore("alice"), passphrase=PASSPHRASE)
    assert_equal(len(votes_of(node, p["id"])), 1, "honest path votes")


def test_cli_refuses_tampered_canonical_amount(ctx):
    def mutate(p):
        p["canonical"] = p["canonical"].replace("amount: 10.000000",
                                                "amount: 99.000000")
        return p
    tampered_approve(ctx, mutate, "hashes to")


def test_cli_refuses_tampered_canonical_with_matching_json_id(ctx):
    """The server swaps the text and makes its JSON id consistent with
    it: the id the signer asked for still differs."""
    def mutate(p):
        p["canonical"] = p["canonical"].replace("to: " + DEST, "to: 0xevil")
        p["id"] = sg.proposal_id(p["canonical"]).hex()
        return p
    tampered_approve(ctx, mutate, "not to the id you asked for")


def test_cli_refuses_tampered_json_field(ctx):
    def mutate(p):
        p["expires_at"] = "2099-01-01T00:00:00Z"
        return p
    tampered_approve(ctx, mutate, "field 'expires_at'")


def test_cli_refuses_tampered_json_treasury(ctx):
    def mutate(p):
        p["treasury"] = "other"
        return p
    tampered_approve(ctx, mutate, "field 'treasury'")


def test_cli_refuses_json_amount_that_disagrees(ctx):
    """A JSON amount field (which the daemon does not send) disagreeing
    with the text is named."""
    def mutate(p):
        p["amount"] = "1.000000"
        return p
    tampered_approve(ctx, mutate, "field 'amount'")


def test_cli_refuses_tampered_threshold(ctx):
    def mutate(p):
        p["threshold"] = 1
        return p
    tampered_approve(ctx, mutate, "field 'threshold'")
