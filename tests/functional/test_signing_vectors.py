"""Recompute docs/signing.md's worked examples independently in Python:
canonical text from the fields, proposal id and vote digests with hashlib,
ECDSA signatures with python3-cryptography, Schnorr with a BIP-340
reference verifier (bip340.py). None of this calls the C code."""

import hashlib
import json
import os

from framework import assert_equal, assert_true

HERE = os.path.dirname(os.path.abspath(__file__))


def tagged_hash(tag, msg):
    t = hashlib.sha256(tag.encode()).digest()
    return hashlib.sha256(t + t + msg).digest()


def format_amount(text, decimals):
    whole, _, frac = text.partition(".")
    assert len(frac) <= decimals
    return whole + ("." + frac.ljust(decimals, "0") if decimals else "")


def canonical_transfer(ex):
    lines = [
        "treasuryd proposal v1",
        "instance: " + ex["instance"],
        "treasury: " + ex["treasury"],
        "config: %d" % ex["config"],
        "kind: transfer",
        "nonce: %d" % ex["nonce"],
        "expires: " + ex["expires"],
        "asset: " + ex["asset"],
        "amount: " + format_amount(ex["amount"], ex["decimals"]),
        "to: " + ex["to"],
        "memo: " + ex["memo"],
    ]
    return "".join(l + "\n" for l in lines).encode("utf-8")


def load_examples():
    with open(os.path.join(HERE, "signing_examples.json")) as f:
        data = json.load(f)
    return data["examples"] if isinstance(data, dict) else data


def verify_ecdsa(pubkey_hex, digest, sig_hex):
    from cryptography.hazmat.primitives.asymmetric import ec, utils
    from cryptography.hazmat.primitives import hashes
    key = ec.EllipticCurvePublicKey.from_encoded_point(
        ec.SECP256K1(), bytes.fromhex(pubkey_hex))
    sig = bytes.fromhex(sig_hex)
    assert len(sig) == 64
    r = int.from_bytes(sig[:32], "big")
    s = int.from_bytes(sig[32:], "big")
    n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
    assert_true(s <= n // 2, "documented ECDSA signature is low-S")
    key.verify(utils.encode_dss_signature(r, s), digest,
               ec.ECDSA(utils.Prehashed(hashes.SHA256())))


def test_documented_examples_recompute_independently(ctx):
    import bip340
    examples = load_examples()
    assert_true(len(examples) >= 3, "at least three worked examples")
    kinds = set()
    for ex in examples:
        text = canonical_transfer(ex)
        assert_equal(text.decode(), ex["canonical"], "canonical text")
        pid = tagged_hash("treasuryd/proposal/v1", text)
        assert_equal(pid.hex(), ex["id"], "proposal id")
        approve = tagged_hash("treasuryd/vote/v1", pid + b"\x01")
        reject = tagged_hash("treasuryd/vote/v1", pid + b"\x02")
        assert_equal(approve.hex(), ex["approve_digest"], "approve digest")
        if ex.get("reject_digest"):
            assert_equal(reject.hex(), ex["reject_digest"], "reject digest")
        digests = {"approve": approve, "reject": reject}
        assert_true(ex["signatures"], "each example has a signature")
        for sig in ex["signatures"]:
            digest = digests[sig["decision"]]
            kinds.add(sig["key_type"])
            if sig["key_type"] == "ecdsa":
                verify_ecdsa(sig["pubkey"], digest, sig["signature"])
                continue
            pub = bytes.fromhex(sig["pubkey"])
            raw = bytes.fromhex(sig["signature"])
            assert_true(bip340.schnorr_verify(digest, pub, raw),
                        "BIP-340 signature verifies")
            other = digests["reject" if sig["decision"] == "approve"
                            else "approve"]
            assert_true(not bip340.schnorr_verify(other, pub, raw),
                        "BIP-340 rejects the other decision's digest")
    assert_equal(kinds, {"ecdsa", "schnorr"}, "both key types documented")
