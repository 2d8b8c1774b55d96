"""Every 4xx path of a vote (docs/signing.md §6 signatures;
docs/api.md POST /v1/proposals/{id}/votes for counting), the accepted
encodings (DER, uppercase hex), and the expiry bounds of a proposal."""

import hashlib
import time

import signers as sg
from framework import assert_equal, assert_problem, assert_true
from treasury_helpers import DAY_S, assert_4xx, parse_ts, setup, ts


def two_treasuries(ctx):
    node, c = setup(ctx)
    c.asset_ok("USDC", 6)
    a = sg.signers("va", "eese")
    b = sg.signers("vb", "es")
    c.treasury_ok("alpha", 3, a)
    c.treasury_ok("beta", 1, b)
    c.deposit_ok("alpha", "USDC", "100", "d1")
    p = c.transfer_ok("alpha", "USDC", "10")
    return node, c, a, b, p["id"]


def assert_no_votes(c, pid):
    got = c.get_proposal(pid)
    assert_equal((got["status"], got["approvals"], got["rejections"]),
                 ("pending", [], []), "nothing recorded")


def test_vote_by_unknown_signer_name(ctx):
    node, c, a, b, pid = two_treasuries(ctx)
    stranger = sg.Signer("mallory")
    assert_4xx(c.vote(pid, stranger), "unknown-signer", "non-signer name")
    # A valid signature by a real signer's key, under a name that is not a
    # signer: still unknown.
    assert_4xx(c.vote(pid, a[0], name="nobody"), "unknown-signer",
               "known key, unknown name")
    assert_4xx(c.vote(pid, a[0], name="Bad Name!"),
               ("unknown-signer", "signer-name"), "invalid name")
    assert_no_votes(c, pid)


def test_vote_by_signer_of_another_treasury(ctx):
    node, c, a, b, pid = two_treasuries(ctx)
    # b[0] is a signer of beta, not of alpha: its name and key exist, but
    # not in this proposal's treasury.
    assert_4xx(c.vote(pid, b[0]), "unknown-signer", "beta's signer on alpha")
    assert_4xx(c.vote(pid, b[1]), "unknown-signer", "beta's schnorr signer")
    assert_no_votes(c, pid)
    # And beta's 1-of-2 proposal is not passed by alpha's signers.
    c.deposit_ok("beta", "USDC", "5", "db")
    pb = c.transfer_ok("beta", "USDC", "5")
    assert_4xx(c.vote(pb["id"], a[0]), "unknown-signer", "alpha's signer on beta")
    assert_equal(c.get_proposal(pb["id"])["status"], "pending", "beta pending")
    # Same signer name in two treasuries with different keys: the key of
    # the proposal's treasury is the one that counts.
    twin = sg.Signer(a[0].name, "ecdsa", label="twin-of-" + a[0].name)
    c.treasury_ok("gamma", 1, [twin])
    c.deposit_ok("gamma", "USDC", "1", "dg")
    pg = c.transfer_ok("gamma", "USDC", "1")
    assert_4xx(c.vote(pg["id"], a[0]), "signature-invalid",
               "alpha's key under gamma's same name")
    c.vote_ok(pg["id"], twin, want_status="approved")
    assert_4xx(c.vote(pid, twin), "signature-invalid",
               "gamma's key under alpha's same name")
    assert_no_votes(c, pid)


def test_vote_high_s_refused(ctx):
    node, c, a, b, pid = two_treasuries(ctx)
    for fmt in ("compact", "der"):
        r = c.vote(pid, a[0], fmt=fmt, high_s=True)
        assert_4xx(r, "signature-high-s", "high-S " + fmt)
        assert_true(r.json["type"].endswith("signature-high-s"), "type")
    assert_no_votes(c, pid)
    c.vote_ok(pid, a[0], want_status="pending")


def test_vote_malformed_signature(ctx):
    node, c, a, b, pid = two_treasuries(ctx)
    good = a[0].sign_vote(pid)
    r_bytes, s_bytes = bytes.fromhex(good[:64]), bytes.fromhex(good[64:])
    enc = ("signature-encoding", "hex-char", "hex-length")
    cases = [
        ("non-hex", "zz" * 64, enc),
        ("odd length", good[:-1], enc),
        ("63 bytes", good[:-2], enc),
        ("65 bytes", good + "00", enc),
        ("empty", "", enc),
        ("spaces", good[:64] + " " + good[65:], enc),
        ("0x prefix", "0x" + good[2:], enc),
        ("r = 0", "00" * 32 + s_bytes.hex(), ("signature-encoding",)),
        ("s = 0", r_bytes.hex() + "00" * 32, ("signature-encoding",)),
        ("r = n", sg.N.to_bytes(32, "big").hex() + s_bytes.hex(),
         ("signature-encoding",)),
        ("DER with trailing byte", a[0].sign_vote(pid, fmt="der") + "00",
         ("signature-encoding",)),
        ("DER with a sighash-like 01", a[0].sign_vote(pid, fmt="der") + "01",
         ("signature-encoding",)),
        ("DER negative r", "3006020180020101", ("signature-encoding",)),
        ("DER padded r", "300702020001020101", ("signature-encoding",)),
    ]
    for what, sig, slugs in cases:
        r = c.vote(pid, a[0], signature=sig)
        assert_4xx(r, slugs, what)
    # Schnorr keys take exactly 64 bytes: a DER-shaped signature is refused.
    schnorr = a[2]
    assert_equal(schnorr.key_type, "schnorr", "fixture")
    ssig = schnorr.sign_vote(pid)
    for what, sig in (("schnorr 63 bytes", ssig[:-2]),
                      ("schnorr 65 bytes", ssig + "00"),
                      ("schnorr as DER", sg.compact_to_der(
                          bytes.fromhex(ssig)).hex())):
        assert_4xx(c.vote(pid, schnorr, signature=sig),
                   ("signature-encoding", "hex-length", "signature-invalid"),
                   what)
    for what, decision in (("maybe", "maybe"), ("uppercase", "APPROVE"),
                           ("empty", "")):
        body = {"signer": a[0].name, "decision": decision, "signature": good}
        r = node.post("/v1/proposals/%s/votes" % pid, body, token=c.signer_token)
        assert_true(400 <= r.status < 500, "decision %r: %r" % (decision, r))
    for body in ({"signer": a[0].name, "decision": "approve"},
                 {"signer": a[0].name, "signature": good},
                 {"decision": "approve", "signature": good},
                 {"signer": a[0].name, "decision": "approve",
                  "signature": good, "extra": 1}):
        r = node.post("/v1/proposals/%s/votes" % pid, body, token=c.signer_token)
        assert_true(400 <= r.status < 500, "body %r: %r" % (body, r))
    assert_no_votes(c, pid)


def test_vote_wrong_signature(ctx):
    node, c, a, b, pid = two_treasuries(ctx)
    other = c.transfer_ok("alpha", "USDC", "11")["id"]
    for s in (a[0], a[2]):  # ecdsa, schnorr
        # Signed the reject digest but sent as approve.
        sig = s.sign_vote(pid, "reject")
        assert_4xx(c.vote(pid, s, "approve", signature=sig),
                   "signature-invalid", "reject digest as approve " + s.key_type)
        # Signed another proposal's digest.
        sig = s.sign_vote(other, "approve")
        assert_4xx(c.vote(pid, s, signature=sig), "signature-invalid",
                   "other proposal " + s.key_type)
        # Signed the digest hashed again, or the raw proposal id.
        d = sg.vote_digest(pid, "approve")
        for msg in (hashlib.sha256(d).digest(), bytes.fromhex(pid)):
            sig = s.sign_digest(msg).hex()
            assert_4xx(c.vote(pid, s, signature=sig), "signature-invalid",
                       "wrong message " + s.key_type)
    # Another signer's valid signature under this signer's name.
    assert_4xx(c.vote(pid, a[1], signature=a[0].sign_vote(pid)),
               "signature-invalid", "a[0]'s signature as a[1]")
    # Same secret, other key type: a[0]'s key is ecdsa; a Schnorr signature
    # by the same secret does not count as an ECDSA one.
    twin = sg.Signer(a[0].name, "schnorr", secret=a[0].secret)
    # (read as compact r||s it fails, or has a high or out-of-range s)
    assert_4xx(c.vote(pid, twin), ("signature-invalid", "signature-encoding",
                                   "signature-high-s"),
               "schnorr signature for an ecdsa key")
    assert_no_votes(c, pid)


def test_duplicate_vote_is_idempotent_and_counted_once(ctx):
    node, c, a, b, pid = two_treasuries(ctx)
    first = a[0].sign_vote(pid)
    c.vote_ok(pid, a[0], signature=first, want_status="pending")
    c.vote_ok(pid, a[0], signature=first, want_status="pending")
    # Another valid signature for the same vote (ECDSA nonces are random,
    # and DER is another encoding): still 200, the first is kept.
    second = a[0].sign_vote(pid)
    assert_true(second != first, "fresh ECDSA signature differs")
    c.vote_ok(pid, a[0], signature=second, want_status="pending")
    c.vote_ok(pid, a[0], fmt="der", want_status="pending")
    got = c.get_proposal(pid)
    assert_equal([(v["signer"], v["signature"]) for v in got["approvals"]],
                 [(a[0].name, first)], "counted once, first signature kept")
    # Schnorr twice as well.
    s1 = a[2].sign_vote(pid)
    c.vote_ok(pid, a[2], signature=s1, want_status="pending")
    c.vote_ok(pid, a[2], signature=s1, want_status="pending")
    got = c.get_proposal(pid)
    assert_equal(len(got["approvals"]), 2, "two distinct approvals of 3")
    # The third distinct one passes it; a repeat after that is still 200.
    c.vote_ok(pid, a[1], want_status="approved")
    r = c.vote(pid, a[0], signature=first)
    assert_equal(r.status, 200, "repeat of a recorded vote after approval: %r" % r)
    assert_equal(r.json.get("status"), "approved", "status unchanged")
    assert_equal(len(c.get_proposal(pid)["approvals"]), 3, "three approvals")


def test_contrary_vote_is_409(ctx):
    node, c, a, b, pid = two_treasuries(ctx)
    c.vote_ok(pid, a[0], "approve")
    assert_problem(c.vote(pid, a[0], "reject"), 409, "vote-conflict")
    c.vote_ok(pid, a[1], "reject")
    assert_problem(c.vote(pid, a[1], "approve"), 409, "vote-conflict")
    got = c.get_proposal(pid)
    assert_equal([v["signer"] for v in got["approvals"]], [a[0].name], "approvals")
    assert_equal([v["signer"] for v in got["rejections"]], [a[1].name],
                 "rejections")


def test_vote_on_executed_or_cancelled_is_409(ctx):
    node, c, a, b, pid = two_treasuries(ctx)
    c.approve_all(pid, a[:3])
    c.execute_ok(pid)
    assert_problem(c.vote(pid, a[3]), 409, "not-pending")
    assert_problem(c.vote(pid, a[3], "reject"), 409, "not-pending")
    p = c.transfer_ok("alpha", "USDC", "1")
    r = c.cancel(p["id"])
    assert_equal(r.status, 200, "cancel: %r" % r)
    assert_problem(c.vote(p["id"], a[0]), 409, "not-pending")
    assert_problem(c.vote(p["id"], a[0], "reject"), 409, "not-pending")


def test_vote_on_unknown_or_malformed_proposal_id(ctx):
    node, c, a, b, pid = two_treasuries(ctx)
    missing = "ab" * 32
    assert_problem(c.vote(missing, a[0]), 404, "unknown-proposal")
    assert_problem(node.get("/v1/proposals/" + missing, token=c.viewer), 404,
                   "unknown-proposal")
    for bad in ("xyz", pid[:-1], pid + "00", "g" * 64):
        r = node.get("/v1/proposals/" + bad, token=c.viewer)
        assert_true(400 <= r.status < 500, "id %r: %r" % (bad, r))
        r = c.vote(bad, a[0], signature=a[0].sign_vote(pid))
        assert_true(400 <= r.status < 500, "vote on id %r: %r" % (bad, r))


def test_der_and_uppercase_hex_accepted(ctx):
    node, c, a, b, pid = two_treasuries(ctx)
    der = a[0].sign_vote(pid, fmt="der")
    assert_true(len(der) < 144 and der.startswith("30"), "DER form")
    c.vote_ok(pid, a[0], signature=der, want_status="pending")
    up = a[1].sign_vote(pid).upper()
    r = node.post("/v1/proposals/%s/votes" % pid.upper(),
                  {"signer": a[1].name, "decision": "approve", "signature": up},
                  token=c.signer_token)
    assert_equal(r.status, 200, "uppercase id and signature: %r" % r)
    sch = a[2].sign_vote(pid).upper()
    c.vote_ok(pid, a[2], signature=sch, want_status="approved")
    got = node.get("/v1/proposals/" + pid.upper(), token=c.viewer)
    assert_equal(got.status, 200, "uppercase id in path")
    sigs = {v["signer"]: v["signature"] for v in got.json["approvals"]}
    assert_equal(sigs[a[0].name], der, "DER stored and returned as sent")
    assert_equal(sigs[a[1].name], up.lower(), "written in lowercase")
    assert_equal(sigs[a[2].name], sch.lower(), "schnorr lowercase")
    assert_equal(got.json["id"], pid, "id lowercase")
    # Uppercase pubkeys at creation are stored lowercase.
    u = sg.Signer("upper", "ecdsa", label="upper")
    body = {"id": "upper", "name": "U", "threshold": 1,
            "signers": [{"name": u.name, "key_type": "ecdsa",
                         "pubkey": u.pubkey.upper()}]}
    r = node.post("/v1/treasuries", body)
    assert_equal(r.status, 201, "uppercase pubkey accepted: %r" % r)
    t = c.treasury("upper")
    assert_equal(t["signers"][0]["pubkey"], u.pubkey, "pubkey written lowercase")


def test_expiry_bounds_and_default(ctx):
    node, c = setup(ctx)
    c.asset_ok("USDC", 6)
    c.treasury_ok("exp", 1, sg.signers("exp", "e"))
    base = {"kind": "transfer", "asset": "USDC", "amount": "1", "to": "x",
            "memo": ""}
    now = time.time()
    for what, value, slug in (
            ("30 s ahead", ts(now + 30), "expiry-too-soon"),
            ("in the past", ts(now - 3600), "expiry-too-soon"),
            ("91 days ahead", ts(now + 91 * DAY_S), "expiry-too-late"),
            ("year 9999", "9999-12-31T23:59:59Z", "expiry-too-late"),
            ("no Z", ts(now + DAY_S)[:-1], "timestamp"),
            ("space", ts(now + DAY_S).replace("T", " "), "timestamp"),
            ("lowercase t", ts(now + DAY_S).replace("T", "t"), "timestamp"),
            ("fraction", ts(now + DAY_S)[:-1] + ".000Z", "timestamp"),
            ("offset", ts(now + DAY_S)[:-1] + "+00:00", "timestamp"),
            ("month 13", "2031-13-01T00:00:00Z", "timestamp"),
            ("Feb 30", "2031-02-30T00:00:00Z", "timestamp"),
            ("not a date", "tomorrow", "timestamp"),
            ("empty", "", "timestamp")):
        body = dict(base, expires_at=value)
        assert_4xx(c.propose("exp", body), slug, "expires_at " + what)
    r = c.propose("exp", dict(base, expires_at=int(now + DAY_S)))
    assert_true(400 <= r.status < 500, "numeric expires_at refused: %r" % r)
    # Inside the window: taken exactly.
    for ahead in (5 * 60, 89 * DAY_S):
        p = c.propose_ok("exp", dict(base, expires_at=ts(time.time() + ahead)))
    # Default: 7 days ahead (propose_ok checks the expires line and, when
    # present, the expires_at field).
    p = c.propose_ok("exp", base)
    exp = dict(sg.parse_canonical(p["canonical"]))["expires"]
    assert_true(abs(parse_ts(exp) - (time.time() + 7 * DAY_S)) <= 10,
                "default expiry: %s" % exp)
    got = c.get_proposal(p["id"])
    if "expires_at" in got:
        assert_equal(got["expires_at"], exp, "expires_at of GET")
    assert_true("expires_at" in p or "expires_at" in got,
                "the proposal shows expires_at: %r" % p)
