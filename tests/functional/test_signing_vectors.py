"""Recompute docs/signing.md's worked examples independently in Python:
canonical text from the fields, proposal id and vote digests with hashlib,
ECDSA signatures with python3-cryptography, Schnorr with a BIP-340
reference verifier (bip340.py). None of this calls the C code."""

import hashlib
import json
import os
import re

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


COMMON_KEYS = ["instance", "treasury", "config", "kind", "nonce", "expires"]
KIND_KEYS = {
    "transfer": ["asset", "amount", "to", "memo"],
    "add-signer": ["signer", "key_type", "pubkey", "threshold", "signers",
                   "memo"],
    "remove-signer": ["signer", "threshold", "signers", "memo"],
    "replace-signer": ["signer", "key_type", "pubkey", "memo"],
    "set-threshold": ["threshold", "signers", "memo"],
    "unfreeze": ["freeze", "memo"],
}
NUMBER_KEYS = {"config", "nonce", "transfers", "threshold", "signers",
               "freeze"}
POLICY_HEAD = ["threshold", "signers", "timelock_spend_s",
               "timelock_config_s", "veto_count", "config_threshold",
               "high_threshold", "key_proof"]


def policy_layout(lines, at):
    """The key order of the policy lines of docs/signing.md section 9.1
    starting at lines[at]; the lists depend on their count lines."""
    fields = dict(lines)
    keys = POLICY_HEAD + ["limits"]
    for i in range(1, int(fields["limits"]) + 1):
        keys += ["limit.%d.%s" % (i, k) for k in ("asset", "day", "week",
                                                  "month")]
    keys.append("reserves")
    for i in range(1, int(fields["reserves"]) + 1):
        keys += ["reserve.%d.%s" % (i, k) for k in ("asset", "amount")]
    keys += ["allowlist", "destinations"]
    for i in range(1, int(fields["destinations"]) + 1):
        keys += ["destination.%d.%s" % (i, k) for k in ("to", "label")]
    assert_equal(lines[at][0], "threshold", "policy lines start at threshold")
    return keys


def kind_layout(kind, lines):
    """The documented key order of a text of this kind (docs/signing.md
    section 8); a batch's depends on its `transfers` line."""
    if kind == "set-policy":
        return COMMON_KEYS + policy_layout(lines, len(COMMON_KEYS)) + \
            ["memo"]
    if kind != "batch":
        return COMMON_KEYS + KIND_KEYS[kind]
    count = int(lines[len(COMMON_KEYS)][1])
    keys = COMMON_KEYS + ["transfers"]
    for i in range(1, count + 1):
        keys += ["transfer.%d.%s" % (i, k) for k in ("asset", "amount",
                                                     "to", "memo")]
    return keys + ["memo"]


def split_canonical(text):
    """Check the line form of a canonical text and return its
    (key, value) lines after the first."""
    assert_true(text.endswith("\n"), "text ends with LF")
    assert_true("\r" not in text and "\t" not in text, "no CR or tab")
    raw = text[:-1].split("\n")
    assert_equal(raw[0], "treasuryd proposal v1", "first line")
    lines = []
    for line in raw[1:]:
        key, sep, value = line.partition(": ")
        assert_true(sep and key and " " not in key, "key: value: %r" % line)
        lines.append((key, value))
    return lines


def check_kind_values(ex, fields):
    assert_equal(fields["kind"], ex["kind"], "kind line")
    assert_true(re.fullmatch(r"[0-9a-f]{64}", fields["instance"]),
                "instance is 64 lowercase hex")
    for key in NUMBER_KEYS & set(fields):
        assert_true(re.fullmatch(r"[1-9][0-9]*", fields[key]),
                    "%s is a decimal >= 1 without leading zero" % key)
    if "threshold" in fields:
        m, n = int(fields["threshold"]), int(fields["signers"])
        assert_true(1 <= m <= n <= 32, "1 <= threshold <= signers <= 32")
    if "pubkey" in fields:
        want = (r"0[23][0-9a-f]{64}" if fields["key_type"] == "ecdsa"
                else r"[0-9a-f]{64}")
        assert_true(re.fullmatch(want, fields["pubkey"]),
                    "pubkey spelling for " + fields["key_type"])
    if "transfers" in fields:
        assert_true(1 <= int(fields["transfers"]) <= 64, "1..64 transfers")


def test_kind_examples_recompute_independently(ctx):
    with open(os.path.join(HERE, "signing_examples.json")) as f:
        examples = json.load(f)["kind_examples"]
    kinds = {ex["kind"] for ex in examples}
    assert_equal(kinds, {"batch", "add-signer", "remove-signer",
                         "replace-signer", "set-threshold", "set-policy",
                         "unfreeze"},
                 "one example per kind at least")
    for ex in examples:
        text = ex["canonical"]
        lines = split_canonical(text)
        keys = [k for k, _ in lines]
        assert_equal(keys, kind_layout(ex["kind"], lines),
                     ex["name"] + ": keys in the documented order")
        check_kind_values(ex, dict(lines))
        pid = tagged_hash("treasuryd/proposal/v1", text.encode("utf-8"))
        assert_equal(pid.hex(), ex["id"], ex["name"] + ": proposal id")
        approve = tagged_hash("treasuryd/vote/v1", pid + b"\x01")
        assert_equal(approve.hex(), ex["approve_digest"],
                     ex["name"] + ": approve digest")
        if ex.get("reject_digest"):
            reject = tagged_hash("treasuryd/vote/v1", pid + b"\x02")
            assert_equal(reject.hex(), ex["reject_digest"],
                         ex["name"] + ": reject digest")
        for key, tag in (("veto_digest", "treasuryd/veto/v1"),
                         ("revoke_digest", "treasuryd/revoke/v1")):
            if ex.get(key):
                assert_equal(tagged_hash(tag, pid).hex(), ex[key],
                             ex["name"] + ": " + key)
        if ex.get("policy_digest"):
            body = text[text.index("\nthreshold: ") + 1:
                        text.rindex("memo: ")]
            assert_equal(tagged_hash("treasuryd/policy/v1",
                                     body.encode("utf-8")).hex(),
                         ex["policy_digest"], ex["name"] + ": policy digest")
