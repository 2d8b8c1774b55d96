"""Engine flow (docs/signing.md, docs/api.md): deposits to executed transfers and batches,
with exact balances and ledger, the client recomputing every proposal id
and canonical line; deposit idempotency; all-or-nothing batches; bundle and
settlement; rejection; cancel; role rules."""

import json
import os

import bip340
import signers as sg
from framework import assert_equal, assert_problem, assert_true
from treasury_helpers import assert_4xx, entry_of, is_debit, setup

HERE = os.path.dirname(os.path.abspath(__file__))
DEST = "0x742d35Cc6634C0532925a3b844Bc454e4438f44e"


def test_signers_reproduce_documented_examples(ctx):
    """Self-check of signers.py against docs/signing.md (no daemon)."""
    with open(os.path.join(HERE, "signing_examples.json")) as f:
        examples = json.load(f)["examples"]
    for ex in examples:
        pairs = sg.common_lines(ex["instance"], ex["treasury"], ex["config"],
                                "transfer", ex["nonce"], ex["expires"])
        pairs += sg.transfer_lines(ex["asset"],
                                   sg.format_amount(ex["amount"], ex["decimals"]),
                                   ex["to"], ex["memo"])
        text = sg.canonical_text(pairs)
        assert_equal(text, ex["canonical"], "canonical of " + ex["name"])
        assert_equal(sg.parse_canonical(text), pairs, "parse round trip")
        pid = sg.proposal_id(text)
        assert_equal(pid.hex(), ex["id"], "id")
        assert_equal(sg.vote_digest(pid, "approve").hex(), ex["approve_digest"],
                     "approve digest")
        assert_equal(sg.vote_digest(pid, "reject").hex(), ex["reject_digest"],
                     "reject digest")
        for s in ex["signatures"]:
            signer = sg.Signer("x", s["key_type"],
                               secret=bytes.fromhex(s["secret_key"]))
            assert_equal(signer.pubkey, s["pubkey"], "pubkey")
            digest = sg.vote_digest(pid, s["decision"])
            assert_true(signer.verify(digest, bytes.fromhex(s["signature"])),
                        "documented signature verifies")
            if s["key_type"] == "schnorr":
                assert_equal(bip340.schnorr_sign(digest, signer.secret,
                                                 b"\0" * 32).hex(),
                             s["signature"], "BIP-340 sign reproduces")
            mine = bytes.fromhex(signer.sign_vote(pid, s["decision"]))
            assert_true(signer.verify(digest, mine), "own signature verifies")
            if s["key_type"] == "ecdsa":
                assert_true(int.from_bytes(mine[32:], "big") <= sg.HALF_N, "low S")
                high = bytes.fromhex(signer.sign_vote(pid, s["decision"],
                                                      high_s=True))
                assert_true(int.from_bytes(high[32:], "big") > sg.HALF_N,
                            "high S")
                assert_true(signer.verify(digest, high),
                            "high-S is still mathematically valid")
                der = bytes.fromhex(signer.sign_vote(pid, s["decision"], "der"))
                assert_true(der[0] == 0x30 and signer.verify(digest, der), "DER")
    # Same secret, both key types: x-only is the compressed key minus prefix.
    e = sg.Signer("e", "ecdsa", label="same")
    s = sg.Signer("s", "schnorr", label="same")
    assert_equal(e.pubkey[2:], s.pubkey, "x-only = compressed without prefix")


def test_two_of_three_ecdsa_deposit_to_execution(ctx):
    node, c = setup(ctx)
    c.asset_ok("USDC", 6)
    a, b, d = sg.signers("grants", "eee")
    c.treasury_ok("grants", 2, [a, b, d])
    t = c.treasury("grants")
    assert_equal(t["threshold"], 2, "threshold")
    assert_equal(t["config_version"], 1, "config_version")
    assert_equal(sorted((s["name"], s["key_type"], s["pubkey"])
                        for s in t["signers"]),
                 sorted((s.name, s.key_type, s.pubkey) for s in (a, b, d)),
                 "signers as created")

    e1 = c.deposit_ok("grants", "USDC", "1500.5", "dep-1", source="bank-1",
                      memo="seed")
    assert_equal(e1["amount"], "1500.500000", "amount with 6 decimals")
    e2 = c.deposit_ok("grants", "USDC", "250", "dep-2")
    assert_equal(c.balances("grants"), {"USDC": "1750.500000"}, "balance")

    memo = "Q4 grants — café"
    p = c.transfer_ok("grants", "USDC", "1000.25", to=DEST, memo=memo)
    pid = p["id"]
    assert_true("amount: 1000.250000\n" in p["canonical"], p["canonical"])
    assert_true(("memo: " + memo + "\n") in p["canonical"], "memo as given")
    got = c.get_proposal(pid)
    assert_equal(got["id"], pid, "id")
    assert_equal(got["treasury"], "grants", "treasury")
    assert_equal(got["status"], "pending", "status")
    assert_equal(got["canonical"], p["canonical"], "canonical")
    assert_equal(got["threshold"], 2, "threshold")
    assert_equal(got["approvals"], [], "no approvals yet")
    assert_equal(got["rejections"], [], "no rejections yet")

    assert_problem(c.execute(pid), 409, "not-approved")

    sig_a = a.sign_vote(pid)
    assert_equal(c.vote_ok(pid, a, signature=sig_a)["status"], "pending",
                 "after one approval")
    sig_b = b.sign_vote(pid)
    assert_equal(c.vote_ok(pid, b, signature=sig_b)["status"], "approved",
                 "after two approvals")
    got = c.get_proposal(pid)
    assert_equal(got["status"], "approved", "status")
    assert_equal(sorted((v["signer"], v["signature"]) for v in got["approvals"]),
                 sorted([(a.name, sig_a), (b.name, sig_b)]), "approvals")
    assert_equal(got["rejections"], [], "rejections")

    r = c.execute_ok(pid)
    assert_equal(c.balances("grants"), {"USDC": "750.250000"}, "after execute")
    ledger = c.ledger("grants")
    assert_equal(len(ledger), 3, "three ledger entries: %r" % ledger)
    assert_equal([x.get("reference") for x in ledger[:2]], ["dep-1", "dep-2"],
                 "deposits first (newest last)")
    assert_equal([x["amount"] for x in ledger], ["1500.500000", "250.000000",
                                                 "1000.250000"], "amounts")
    assert_equal(ledger[2].get("proposal"), pid, "debit names its proposal")
    assert_true(is_debit(ledger[2]) and not is_debit(ledger[0]), "kinds")
    assert_equal(ledger[0].get("source"), "bank-1", "deposit source")
    assert_equal(ledger[0].get("memo"), "seed", "deposit memo")
    for k in ("reference", "asset", "amount"):
        assert_equal(ledger[0].get(k), e1.get(k), "ledger entry = deposit entry " + k)
        assert_equal(ledger[1].get(k), e2.get(k), "ledger entry 2 " + k)
    c.check_balances_match_ledger("grants")

    assert_equal(c.get_proposal(pid)["status"], "executed", "status executed")
    r = c.execute(pid)
    assert_equal(r.status, 409, "execute twice: %r" % r)
    assert_problem(r, 409, "already-executed")
    assert_equal(c.balances("grants"), {"USDC": "750.250000"}, "no double debit")

    # The next proposal of this treasury has nonce 2 (checked by propose_ok).
    p2 = c.transfer_ok("grants", "USDC", "1", to="x")
    assert_true("\nnonce: 2\n" in p2["canonical"], p2["canonical"])


def test_three_of_five_mixed_ecdsa_schnorr(ctx):
    node, c = setup(ctx)
    c.asset_ok("BTC", 8, "bitcoin")
    c.asset_ok("gold.bar_1", 0, "vault")
    sig = sg.signers("ops-eu", "esese")
    c.treasury_ok("ops-eu", 3, sig)
    t = c.treasury("ops-eu")
    assert_equal({s["name"]: s["pubkey"] for s in t["signers"]},
                 {s.name: s.pubkey for s in sig}, "pubkeys lowercase as given")
    c.deposit_ok("ops-eu", "BTC", "1.5", "btc-in-1")
    c.deposit_ok("ops-eu", "BTC", "0.00000001", "btc-in-2")
    c.deposit_ok("ops-eu", "gold.bar_1", "7", "gold-in")
    assert_equal(c.balances("ops-eu"), {"BTC": "1.50000001", "gold.bar_1": "7"},
                 "balances")

    p = c.transfer_ok("ops-eu", "BTC", "0.00012345",
                      to="bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq")
    pid = p["id"]
    # Schnorr, ECDSA, Schnorr: the third distinct approval passes it.
    c.vote_ok(pid, sig[1], want_status="pending")
    c.vote_ok(pid, sig[0], want_status="pending")
    c.vote_ok(pid, sig[3], want_status="approved")
    got = c.get_proposal(pid)
    assert_equal(sorted(v["signer"] for v in got["approvals"]),
                 sorted([sig[0].name, sig[1].name, sig[3].name]), "approvals")
    # A new vote once it is no longer pending is a 409.
    r = c.vote(pid, sig[4], "reject")
    assert_problem(r, 409, "not-pending")
    c.execute_ok(pid)
    assert_equal(c.balances("ops-eu"), {"BTC": "1.49987656", "gold.bar_1": "7"},
                 "balances after execute")

    p = c.transfer_ok("ops-eu", "gold.bar_1", "7", to="acct:vault-7/slot#3",
                      memo="invoice 2024-17: net 30 days")
    for s in (sig[4], sig[2], sig[1]):
        c.vote_ok(p["id"], s)
    c.execute_ok(p["id"])
    assert_equal(c.balances("ops-eu"), {"BTC": "1.49987656", "gold.bar_1": "0"},
                 "whole gold balance spent")
    c.check_balances_match_ledger("ops-eu")


def test_deposit_idempotency_and_errors(ctx):
    node, c = setup(ctx)
    c.asset_ok("USDC", 6)
    c.asset_ok("EURC", 6)
    c.treasury_ok("t1", 1, sg.signers("t1", "e"))
    c.treasury_ok("t2", 1, sg.signers("t2", "e"))
    first = c.deposit_ok("t1", "USDC", "1500.5", "inv-1", source="acme",
                         memo="first")
    for amount in ("1500.5", "1500.50", "1500.500000"):
        r = c.deposit("t1", "USDC", amount, "inv-1", source="acme",
                      memo="first")
        assert_equal(r.status, 200, "same deposit again (%s): %r" % (amount, r))
        assert_equal(entry_of(r), first, "the first entry is returned")
    assert_equal(c.balances("t1"), {"USDC": "1500.500000"}, "credited once")
    for what, kw in (("amount", dict(amount="1500.4")),
                     ("asset", dict(asset="EURC")),
                     ("source", dict(source="other")),
                     ("no source", dict(source=None)),
                     ("memo", dict(memo="second"))):
        args = dict(asset="USDC", amount="1500.5", source="acme", memo="first")
        args.update(kw)
        extra = {k: v for k, v in args.items()
                 if k in ("source", "memo") and v is not None}
        r = c.deposit("t1", args["asset"], args["amount"], "inv-1", **extra)
        assert_problem(r, 409, "reference-conflict")
    assert_equal(c.balances("t1"), {"USDC": "1500.500000"}, "no change")
    assert_equal(len(c.ledger("t1")), 1, "one ledger entry")

    # The reference is unique per treasury, not globally.
    c.deposit_ok("t2", "USDC", "1", "inv-1")
    r = c.deposit("t1", "NOPE", "1", "inv-9")
    assert_problem(r, 422, "unknown-asset")
    # Asset codes are matched exactly; "usdc" is not registered.
    assert_problem(c.deposit("t1", "usdc", "1", "inv-10"), 422, "unknown-asset")
    assert_4xx(c.deposit("nope", "USDC", "1", "inv-11"), "unknown-treasury",
               "unknown treasury")
    # Bad amounts and references never credit anything.
    for amount in ("0", "-1", "1e3", "1.1234567", "01", " 1", "", "1.", ".5"):
        r = c.deposit("t1", "USDC", amount, "bad-" + amount)
        assert_true(400 <= r.status < 500, "amount %r refused: %r" % (amount, r))
    # docs/api.md "Limits": 1..128 printable ASCII (0x20..0x7e).
    for ref in ("", "x" * 129, "tab\tref", "nl\nref", "\x7f", "é",
                " lead", "trail ", " "):
        r = c.deposit("t1", "USDC", "1", ref)
        assert_4xx(r, "reference", "reference %r" % ref)
    assert_equal(c.balances("t1"), {"USDC": "1500.500000"}, "still unchanged")
    assert_equal(c.deposit("t2", "USDC", "1", "wire 2026-11 #42").status, 201,
                 "inner spaces are printable ASCII")
    assert_equal(c.balances("t2"), {"USDC": "2.000000"}, "t2")
    c.check_balances_match_ledger("t1")


def test_batch_all_or_nothing(ctx):
    node, c = setup(ctx)
    c.asset_ok("USDC", 6)
    c.asset_ok("EURC", 2)
    a, b = sg.signers("pay", "es")
    c.treasury_ok("payroll", 2, [a, b])
    c.deposit_ok("payroll", "USDC", "100", "u1")
    c.deposit_ok("payroll", "EURC", "50", "e1")
    body = {"kind": "batch", "memo": "March payroll",
            "transfers": [
                {"asset": "USDC", "amount": "60.5", "to": "alice-wallet",
                 "memo": "alice"},
                {"asset": "EURC", "amount": "80", "to": "IBAN:DE89370400440532013000"},
                {"asset": "USDC", "amount": "9.5", "to": "bob-wallet",
                 "memo": ""},
            ]}
    p = c.propose_ok("payroll", body)
    assert_true("transfers: 3\n" in p["canonical"], p["canonical"])
    assert_true("transfer.2.amount: 80.00\n" in p["canonical"], p["canonical"])
    c.approve_all(p["id"], [a, b])
    before_ledger = c.ledger("payroll")
    r = c.execute(p["id"])
    assert_problem(r, 409, "insufficient-balance")
    assert_equal(c.balances("payroll"), {"USDC": "100.000000", "EURC": "50.00"},
                 "nothing debited")
    assert_equal(c.ledger("payroll"), before_ledger, "ledger unchanged")
    assert_equal(c.get_proposal(p["id"])["status"], "approved",
                 "still approved after a failed execute")
    c.deposit_ok("payroll", "EURC", "30", "e2")
    c.execute_ok(p["id"])
    assert_equal(c.balances("payroll"), {"USDC": "30.000000", "EURC": "0.00"},
                 "all three debited")
    debits = [e for e in c.ledger("payroll") if is_debit(e)]
    assert_equal(sorted((e["asset"], e["amount"]) for e in debits),
                 sorted([("USDC", "60.500000"), ("EURC", "80.00"),
                         ("USDC", "9.500000")]), "three debits")
    for e in debits:
        assert_equal(e.get("proposal"), p["id"], "debit names the batch")
    c.check_balances_match_ledger("payroll")

    # A single transfer above the balance: 409 and nothing debited either.
    p = c.transfer_ok("payroll", "USDC", "30.000001")
    c.approve_all(p["id"], [b, a])
    assert_problem(c.execute(p["id"]), 409, "insufficient-balance")
    assert_equal(c.balances("payroll"), {"USDC": "30.000000", "EURC": "0.00"},
                 "unchanged")
    # Asset never credited: also insufficient (not unknown) at execution.
    c.asset_ok("DAI", 18)
    p = c.transfer_ok("payroll", "DAI", "1")
    c.approve_all(p["id"], [a, b])
    assert_problem(c.execute(p["id"]), 409, "insufficient-balance")


def test_bundle_and_settlement(ctx):
    node, c = setup(ctx)
    c.asset_ok("USDC", 6)
    a, b, d = sg.signers("set", "ees")
    c.treasury_ok("settle", 2, [a, b, d])
    c.deposit_ok("settle", "USDC", "10", "d1")
    p = c.transfer_ok("settle", "USDC", "4", to=DEST)
    pid = p["id"]
    assert_4xx(node.get("/v1/proposals/%s/bundle" % pid, token=c.viewer),
               "not-executed", "bundle of a pending proposal")
    r = node.post("/v1/proposals/%s/settlement" % pid, {"reference": "0xabc"},
                  token=c.treasurer)
    assert_problem(r, 409, "not-executed")
    sa, sd = a.sign_vote(pid), d.sign_vote(pid)
    c.vote_ok(pid, a, signature=sa)
    c.vote_ok(pid, d, signature=sd)
    c.execute_ok(pid)

    r = node.get("/v1/proposals/%s/bundle" % pid, token=c.viewer)
    assert_equal(r.status, 200, "bundle of an executed proposal: %r" % r)
    text = r.body
    assert_true(isinstance(r.json, dict), "bundle is a JSON object")
    for needle in (pid, sa, sd):
        assert_true(needle in text, "bundle holds %s: %s" % (needle, text[:500]))
    assert_true(json.dumps(p["canonical"])[1:-1] in text or
                p["canonical"].encode().hex() in text,
                "bundle holds the canonical text: %s" % text[:500])

    tx = "0x" + "ab" * 32
    r = node.post("/v1/proposals/%s/settlement" % pid, {"reference": tx},
                  token=c.treasurer)
    assert_true(r.status in (200, 201), "first settlement: %r" % r)
    r = node.post("/v1/proposals/%s/settlement" % pid, {"reference": tx},
                  token=c.treasurer)
    assert_equal(r.status, 200, "same settlement again: %r" % r)
    r = node.post("/v1/proposals/%s/settlement" % pid,
                  {"reference": "0x" + "cd" * 32}, token=c.treasurer)
    assert_problem(r, 409, "settlement-conflict")
    for ref in ("", "has space", "y" * 129):
        assert_4xx(node.post("/v1/proposals/%s/settlement" % pid,
                             {"reference": ref}, token=c.treasurer),
                   "reference", "settlement reference %r" % ref)
    assert_equal(c.get_proposal(pid)["settlement"]["reference"], tx,
                 "settlement recorded once")
    r = node.post("/v1/proposals/%s/settlement" % pid, {"reference": tx},
                  token=c.viewer)
    assert_equal(r.status, 403, "viewer cannot settle: %r" % r)
    assert_4xx(node.post("/v1/proposals/%s/settlement" % ("0" * 64),
                         {"reference": tx}, token=c.treasurer),
               "unknown-proposal", "settlement of unknown proposal")
    assert_4xx(node.get("/v1/proposals/%s/bundle" % ("0" * 64), token=c.viewer),
               "unknown-proposal", "bundle of unknown proposal")


def test_rejection_reaches_n_minus_m_plus_1(ctx):
    node, c = setup(ctx)
    c.asset_ok("USDC", 6)
    s3 = sg.signers("r3", "ees")
    s5 = sg.signers("r5", "eeses")
    c.treasury_ok("two-of-three", 2, s3)
    c.treasury_ok("three-of-five", 3, s5)
    # 2-of-3: rejected at 3 - 2 + 1 = 2 rejections.
    p = c.transfer_ok("two-of-three", "USDC", "1")
    c.vote_ok(p["id"], s3[0], "reject", want_status="pending")
    c.vote_ok(p["id"], s3[2], "reject", want_status="rejected")
    got = c.get_proposal(p["id"])
    assert_equal(got["status"], "rejected", "status")
    assert_equal(sorted(v["signer"] for v in got["rejections"]),
                 sorted([s3[0].name, s3[2].name]), "rejections")
    assert_problem(c.execute(p["id"]), 409, "not-approved")
    assert_problem(c.vote(p["id"], s3[1], "approve"), 409, "not-pending")
    # 2-of-3 with one approval: still two rejections to reject.
    p = c.transfer_ok("two-of-three", "USDC", "1")
    c.vote_ok(p["id"], s3[1], "approve", want_status="pending")
    c.vote_ok(p["id"], s3[0], "reject", want_status="pending")
    c.vote_ok(p["id"], s3[2], "reject", want_status="rejected")
    # 3-of-5: rejected at 5 - 3 + 1 = 3 rejections.
    p = c.transfer_ok("three-of-five", "USDC", "1")
    c.vote_ok(p["id"], s5[0], "reject", want_status="pending")
    c.vote_ok(p["id"], s5[1], "approve", want_status="pending")
    c.vote_ok(p["id"], s5[2], "reject", want_status="pending")
    c.vote_ok(p["id"], s5[3], "approve", want_status="pending")
    c.vote_ok(p["id"], s5[4], "reject", want_status="rejected")
    r = node.get("/v1/treasuries/three-of-five/proposals?status=rejected",
                 token=c.viewer)
    assert_equal(r.status, 200, "list rejected")
    assert_equal([x["id"] for x in r.json["proposals"]], [p["id"]],
                 "status filter")


def test_cancel_by_proposer_only(ctx):
    node, c = setup(ctx)
    c.asset_ok("USDC", 6)
    a, b = sg.signers("can", "ee")
    c.treasury_ok("cancel", 2, [a, b])
    mine = c.token("signer", "proposer-1")
    other = c.token("signer", "other-signer")
    both = c.token("treasurer,signer", "both-roles")
    p = c.propose_ok("cancel", {"kind": "transfer", "asset": "USDC",
                                "amount": "5", "to": "x", "memo": ""},
                     token=mine)
    pid = p["id"]
    c.vote_ok(pid, a)
    for tok in (other, both):
        assert_problem(c.cancel(pid, token=tok), 403, "not-proposer")
    r = c.cancel(pid, token=c.treasurer)
    assert_equal(r.status, 403, "treasurer cannot cancel: %r" % r)
    assert_equal(c.get_proposal(pid)["status"], "pending", "still pending")
    r = c.cancel(pid, token=mine)
    assert_equal(r.status, 200, "proposer cancels: %r" % r)
    assert_equal(r.json.get("status"), "cancelled", "cancel answer status")
    assert_equal(c.get_proposal(pid)["status"], "cancelled", "status")
    assert_problem(c.cancel(pid, token=mine), 409, "not-pending")
    assert_problem(c.vote(pid, b), 409, "not-pending")
    assert_problem(c.execute(pid), 409, "not-approved")
    # An approved proposal is no longer pending: the proposer cannot
    # withdraw it.
    p = c.propose_ok("cancel", {"kind": "transfer", "asset": "USDC",
                                "amount": "5", "to": "x", "memo": ""},
                     token=both)
    c.approve_all(p["id"], [a, b])
    assert_problem(c.cancel(p["id"], token=both), 409, "not-pending")
    assert_4xx(c.cancel("0" * 64, token=mine), "unknown-proposal",
               "cancel unknown")


def test_every_role_rule(ctx):
    node, c = setup(ctx)
    c.asset_ok("USDC", 6)
    a, b = sg.signers("roles", "ee")
    c.treasury_ok("roles", 1, [a, b])
    c.deposit_ok("roles", "USDC", "10", "d1")
    p = c.transfer_ok("roles", "USDC", "1")
    pid = p["id"]
    transfer = {"kind": "transfer", "asset": "USDC", "amount": "1", "to": "x",
                "memo": ""}
    dep = {"asset": "USDC", "amount": "1", "reference": "d-x"}
    vote = {"signer": a.name, "decision": "approve",
            "signature": a.sign_vote(pid)}
    viewer, signer, treasurer = c.viewer, c.signer_token, c.treasurer
    forbidden = [
        (viewer, "/v1/treasuries/roles/proposals", transfer),
        (treasurer, "/v1/treasuries/roles/proposals", transfer),
        (signer, "/v1/treasuries/roles/deposits", dep),
        (viewer, "/v1/treasuries/roles/deposits", dep),
        (treasurer, "/v1/proposals/%s/votes" % pid, vote),
        (viewer, "/v1/proposals/%s/votes" % pid, vote),
        (signer, "/v1/proposals/%s/execute" % pid, {}),
        (viewer, "/v1/proposals/%s/execute" % pid, {}),
        (signer, "/v1/assets", {"code": "X", "decimals": 0, "chain": "c"}),
        (treasurer, "/v1/treasuries",
         {"id": "x", "name": "x", "threshold": 1, "signers": [a.as_json()]}),
    ]
    for tok, path, body in forbidden:
        r = node.post(path, body, token=tok)
        assert_equal(r.status, 403, "wrong role on %s: %r" % (path, r))
        assert_problem(r, 403)
    for path, body in [("/v1/treasuries/roles/proposals", transfer),
                       ("/v1/treasuries/roles/deposits", dep),
                       ("/v1/proposals/%s/votes" % pid, vote),
                       ("/v1/proposals/%s/execute" % pid, {}),
                       ("/v1/assets", {"code": "X", "decimals": 0,
                                       "chain": "c"})]:
        assert_problem(node.post(path, body, token=None), 401, "unauthorized")
        assert_problem(node.post(path, body, token="trd_" + "1" * 64), 401,
                       "unauthorized")
    for path in ("/v1/treasuries/roles", "/v1/treasuries/roles/balances",
                 "/v1/treasuries/roles/ledger", "/v1/treasuries/roles/proposals",
                 "/v1/proposals/" + pid):
        assert_problem(node.get(path, token=None), 401, "unauthorized")
        for tok in (viewer, signer, treasurer, node.admin_token):
            assert_equal(node.get(path, token=tok).status, 200,
                         "every role reads " + path)
    assert_equal(c.balances("roles"), {"USDC": "10.000000"}, "nothing moved")
    assert_equal(c.get_proposal(pid)["approvals"], [], "no vote recorded")
    # A token with both roles may do both duties.
    both = c.token("treasurer,signer", "both")
    c.vote_ok(pid, a, token=both, want_status="approved")
    r = c.execute(pid, token=both)
    assert_equal(r.status, 200, "treasurer,signer executes: %r" % r)


def test_proposal_field_rules(ctx):
    node, c = setup(ctx)
    c.asset_ok("USDC", 6)
    c.asset_ok("BTC", 8)
    c.treasury_ok("fields", 1, sg.signers("fld", "e"))
    base = {"kind": "transfer", "asset": "USDC", "amount": "1", "to": "dest",
            "memo": ""}

    def bad(what, slug, **change):
        body = dict(base)
        body.update(change)
        body = {k: v for k, v in body.items() if v is not None}
        assert_4xx(c.propose("fields", body), slug, what)

    bad("7 decimals at 6", "amount-fraction-digits", amount="1.1234567")
    bad("zero", "amount-zero", amount="0")
    bad("zero with decimals", "amount-zero", amount="0.000000")
    bad("exponent", "amount-exponent", amount="1e3")
    bad("sign", "amount-sign", amount="-1")
    bad("plus sign", "amount-sign", amount="+1")
    bad("leading zero", "amount-leading-zero", amount="01")
    bad("81 characters", "amount-too-long", amount="1" * 81)
    bad("2^128 minor units", "amount-overflow",
        amount=str(2 ** 128 // 10 ** 6 + 1))
    bad("amount as a JSON number", None, amount=1)
    bad("unknown asset", "unknown-asset", asset="NOPE")
    bad("asset in other case", "unknown-asset", asset="usdc")
    bad("space in to", "destination", to="has space")
    bad("empty to", "destination", to="")
    bad("129-character to", "destination", to="x" * 129)
    bad("non-ASCII to", "destination", to="café")
    bad("memo of 257 bytes", "memo-too-long", memo="a" * 257)
    bad("memo of 257 bytes UTF-8", "memo-too-long", memo="é" * 128 + "a")
    for ch in ("\t", "\n", "\r", "\x00", "\x7f", "\x85", "\u061c", "\u200e",
               "\u202e", "\u2066", "\u200b", "\u2060", "\ufeff", "\u2028",
               "\u2029", "\ufdd0", "\ufffe", "\U0001ffff", "\U0010ffff",
               "\u00ad", "\u034f", "\u2065", "\u3164", "\ufe0f", "\ufff0",
               "\U0001d173", "\U000e0001", "\U000e0100", "\U000e0fff"):
        # (NUL may already be refused by the JSON parser)
        bad("memo with U+%04X" % ord(ch),
            ("memo-char", "invalid-json") if ch == "\x00" else "memo-char",
            memo="ok" + ch + "ok")
    r = node.post("/v1/treasuries/fields/proposals", raw_body=(
        '{"kind":"transfer","asset":"USDC","amount":"1","to":"d",'
        '"memo":"\\ud800"}').encode(), token=c.signer_token,
        headers={"Content-Type": "application/json"})
    assert_true(400 <= r.status < 500, "lone surrogate in memo: %r" % r)
    bad("unknown kind", "kind", kind="arbitrary-call")
    bad("missing to", None, to=None)
    r = c.propose("fields", dict(base, fee="1"))
    assert_true(400 <= r.status < 500, "unknown field: %r" % r)
    r = node.post("/v1/treasuries/fields/proposals", raw_body=(
        b'{"kind":"transfer","asset":"USDC","amount":"1","amount":"9",'
        b'"to":"d","memo":""}'), token=c.signer_token,
        headers={"Content-Type": "application/json"})
    assert_true(400 <= r.status < 500, "duplicate key: %r" % r)
    assert_4xx(c.propose("nope", base), "unknown-treasury", "unknown treasury")
    assert_equal(c.proposals("fields"), [], "nothing proposed")

    # Accepted as given, without normalisation; every line checked.
    for memo in ("café", "cafe\u0301", "é" * 128, "a" * 256,
                 "spaces  and\u00a0punctuation: !#$%&'()*+,-./",
                 "\U0001f600 private \ue000"):
        c.propose_ok("fields", dict(base, memo=memo))
    ids = [p["id"] for p in c.proposals("fields")]
    assert_equal(len(set(ids)), 6, "NFC and NFD are different proposals")
    c.propose_ok("fields", dict(base, asset="BTC", amount="0.00000001",
                                to="x" * 128))
    c.propose_ok("fields", dict(base, amount=str(2 ** 128 // 10 ** 6)))
    # Batches: 1..64 transfers.
    item = {"asset": "USDC", "amount": "1", "to": "d", "memo": ""}
    assert_true(400 <= c.propose("fields", {"kind": "batch", "transfers": []}
                                 ).status < 500, "empty batch")
    assert_true(400 <= c.propose("fields", {"kind": "batch",
                                            "transfers": [item] * 65}
                                 ).status < 500, "65 transfers")
    p = c.propose_ok("fields", {"kind": "batch", "transfers": [item] * 64})
    assert_true("transfer.64.memo: \n" in p["canonical"], "64 transfers")
    bad_item = dict(item, amount="1.1234567")
    assert_4xx(c.propose("fields", {"kind": "batch",
                                    "transfers": [item, bad_item]}),
               "amount-fraction-digits", "bad amount in a batch")


def test_treasury_and_asset_rules(ctx):
    node, c = setup(ctx)
    c.asset_ok("USDC", 6)
    for body, slug in (({"code": "usdc", "decimals": 6, "chain": "ethereum"},
                        "asset-exists"),
                       ({"code": "X", "decimals": 19, "chain": "c"}, "decimals"),
                       ({"code": "-X", "decimals": 1, "chain": "c"},
                        "asset-code")):
        assert_4xx(node.post("/v1/assets", body), slug, "asset %r" % body)
    a, b = sg.signers("tr", "ee")
    s = sg.Signer("tr-s", "schnorr", label="tr/0")   # a's secret as schnorr
    assert_equal(s.pubkey, a.pubkey[2:], "fixture: same key")
    other_parity = ("03" if a.pubkey[:2] == "02" else "02") + a.pubkey[2:]

    def bad(what, slug, tid="t", threshold=1, signers_json=None):
        body = {"id": tid, "name": "T", "threshold": threshold,
                "signers": signers_json or [a.as_json(), b.as_json()]}
        assert_4xx(node.post("/v1/treasuries", body), slug, what)

    bad("threshold 0", None, threshold=0)
    bad("threshold above N", "threshold", threshold=3)
    bad("same name twice", "duplicate-signer",
        signers_json=[a.as_json(), dict(b.as_json(), name=a.name)])
    bad("same key as schnorr", "duplicate-key",
        signers_json=[a.as_json(), s.as_json()])
    bad("same key other parity", "duplicate-key",
        signers_json=[a.as_json(), {"name": "z", "key_type": "ecdsa",
                                    "pubkey": other_parity}])
    bad("uncompressed key", "pubkey",
        signers_json=[{"name": "z", "key_type": "ecdsa",
                       "pubkey": "04" + a.pubkey[2:] * 2}])
    bad("not on the curve", "pubkey",
        signers_json=[{"name": "z", "key_type": "schnorr",
                       "pubkey": "00" * 32}])
    bad("schnorr key given as ecdsa", ("pubkey", "hex-length"),
        signers_json=[{"name": "z", "key_type": "ecdsa", "pubkey": s.pubkey}])
    bad("key type", "key-type",
        signers_json=[{"name": "z", "key_type": "rsa", "pubkey": a.pubkey}])
    bad("treasury id in upper case", "treasury-id", tid="Grants")
    bad("signer name in upper case", "signer-name",
        signers_json=[dict(a.as_json(), name="Alice")])
    c.treasury_ok("t", 2, [a, b])
    bad("treasury exists", "treasury-exists")
    # A key may be reused in another treasury.
    c.treasury_ok("t2", 1, [a])


def test_replace_and_remove_signer(ctx):
    node, c = setup(ctx)
    c.asset_ok("USDC", 6)
    a, b, d = sg.signers("rs", "ees")
    c.treasury_ok("rs", 2, [a, b, d])
    c.deposit_ok("rs", "USDC", "10", "d1")
    new_d = sg.Signer(d.name, "ecdsa", label="rs/new-d")
    assert_4xx(c.propose("rs", {"kind": "replace-signer", "signer": d.name,
                                "key_type": "schnorr", "pubkey": d.pubkey}),
               ("duplicate-key", "config-change"), "replace with current key")
    assert_4xx(c.propose("rs", {"kind": "replace-signer", "signer": d.name,
                                "key_type": "ecdsa", "pubkey": a.pubkey}),
               ("duplicate-key", "config-change"), "replace with a's key")
    assert_4xx(c.propose("rs", {"kind": "add-signer",
                                "signer": dict(new_d.as_json(), name=a.name)}),
               ("duplicate-signer", "config-change"), "add an existing name")
    assert_4xx(c.propose("rs", {"kind": "remove-signer", "signer": "nobody"}),
               ("unknown-signer", "config-change"), "remove unknown")
    assert_4xx(c.propose("rs", {"kind": "set-threshold", "new_threshold": 4}),
               ("threshold", "config-change"), "threshold above N")
    rep = c.propose_ok("rs", {"kind": "replace-signer", "signer": d.name,
                              "key_type": "ecdsa", "pubkey": new_d.pubkey,
                              "memo": "lost key"})
    c.approve_all(rep["id"], [d, a])
    c.execute_ok(rep["id"])
    t = c.treasury("rs")
    assert_equal(t["config_version"], 2, "config 2")
    assert_equal({x["name"]: (x["key_type"], x["pubkey"]) for x in t["signers"]}
                 [d.name], ("ecdsa", new_d.pubkey), "replaced key")
    p = c.transfer_ok("rs", "USDC", "1")
    assert_4xx(c.vote(p["id"], d), ("signature-invalid", "signature-encoding",
                                     "signature-high-s"), "old key")
    c.vote_ok(p["id"], new_d, want_status="pending")

    rem = c.propose_ok("rs", {"kind": "remove-signer", "signer": b.name})
    c.approve_all(rem["id"], [a, new_d])
    c.execute_ok(rem["id"])
    t = c.treasury("rs")
    assert_equal((t["config_version"], t["threshold"], len(t["signers"])),
                 (3, 2, 2), "2 of 2 after removal")
    assert_equal(c.get_proposal(p["id"])["status"], "stale", "p stale")
    p = c.transfer_ok("rs", "USDC", "1")
    assert_4xx(c.vote(p["id"], b), "unknown-signer", "removed signer")
    # Removing another would leave M = 2 > N = 1.
    assert_4xx(c.propose("rs", {"kind": "remove-signer", "signer": a.name}),
               ("config-change", "threshold"), "remove below the threshold")
    c.approve_all(p["id"], [a, new_d])
    c.execute_ok(p["id"])
    assert_equal(c.balances("rs"), {"USDC": "9.000000"}, "balance")
