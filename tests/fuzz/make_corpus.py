#!/usr/bin/python3
"""make_corpus.py: write the seed corpora of tests/fuzz/corpus/<target>/
from the signing examples and hand-picked edge cases. Every seed is text:
the selector byte at the start of the amount, signature and json_body
inputs is a printable character (see README.md). Run again after changing
the seeds; libFuzzer only reads these directories."""

import hashlib
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.join(HERE, "..", "functional", "signing_examples.json")


def write(target, items):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        os.unlink(os.path.join(d, f))
    for data in items:
        if isinstance(data, str):
            data = data.encode("utf-8")
        name = hashlib.sha1(data).hexdigest()[:16]
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)


def dec(d):          # fuzz_amount: byte 0 % 20 is the decimals
    return chr(60 + d)


def main():
    ex = json.load(open(EXAMPLES))
    texts = [e["canonical"] for e in ex["examples"]]
    texts += [e["canonical"] for e in ex["kind_examples"]]

    amounts = []
    for d, t in [(6, "1500.5"), (6, "1500.500000"), (0, "7"), (8, "0.00012345"),
                 (18, "0.000000000000000001"), (6, "0"), (6, "0.0"),
                 (6, "01"), (6, "1."), (6, ".5"), (6, "-1"), (6, "+1"),
                 (6, "1e6"), (6, " 1"), (6, "1.1234567"), (2, "1,5"),
                 (0, "340282366920938463463374607431768211455"),
                 (0, "340282366920938463463374607431768211456"),
                 (18, "340282366920938463463.374607431768211455"),
                 (19, "1"), (6, "9" * 80), (6, "9" * 81), (6, "１")]:
        amounts.append(dec(d) + t)
    amounts.append(dec(6) + "0123456789abcdef" + "1")   # raw value mode

    sigs = ["0" + "00ff", "0" + "DEADbeef", "0" + "abc", "0" + "zz",
            "0" + "0" * 144]
    sigs.append("1" + "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798")
    sigs.append("2" + "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798")
    for e in ex["examples"]:
        for s in e["signatures"]:
            sigs.append(("3" if s["key_type"] == "ecdsa" else "4") +
                        bytes.fromhex(s["signature"]).decode("latin-1"))
            sigs.append(("1" if s["key_type"] == "ecdsa" else "2") + s["pubkey"])
    der = "3006020101020101"
    sigs += ["3" + bytes.fromhex(der).decode("latin-1"),
             "3" + bytes.fromhex("300702020001020101").decode("latin-1"),
             "5digest-one", "5" + "x" * 32]

    usdc = {"kind": "transfer", "asset": "USDC", "amount": "1500.5",
            "to": "0x742d35Cc6634C0532925a3b844Bc454e4438f44e", "memo": "Q4"}
    pk = "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
    bodies = [usdc,
              {"kind": "transfer", "asset": "BTC", "amount": "0.1", "to": "bc1q",
               "expires_at": "2026-01-02T00:00:00Z"},
              {"kind": "batch", "transfers": [
                  {"asset": "USDC", "amount": "1", "to": "a"},
                  {"asset": "JPY", "amount": "5", "to": "b", "memo": "m"}],
               "memo": "batch"},
              {"kind": "add-signer", "signer": {"name": "dave",
                                                "key_type": "ecdsa", "pubkey": pk}},
              {"kind": "remove-signer", "signer": "carol"},
              {"kind": "replace-signer", "signer": "carol",
               "key_type": "schnorr", "pubkey": pk[2:]},
              {"kind": "set-threshold", "new_threshold": 3},
              {"code": "USDC", "decimals": 6, "chain": "ethereum"},
              {"id": "grants", "name": "G", "threshold": 1,
               "signers": [{"name": "alice", "key_type": "ecdsa", "pubkey": pk}]},
              {"asset": "USDC", "amount": "1.5", "reference": "ref 1",
               "source": "bank", "memo": "café"}]
    jb = ["0" + json.dumps(b) for b in bodies]
    jb += ["0", "1", "0{}", "0[]", "0null", '0{"a":1,"a":2}',
           "0" + "[" * 9 + "]" * 9, '0{"kind":"transfer","amount":1.5}',
           '0{"kind":"x\\u0000"}', '0{"memo":"\\ud800"}', "4{}", "6{}",
           '0{"kind":"transfer","asset":"USDC","amount":"1","to":"x",'
           '"expires_at":"2026-02-30T00:00:00Z"}']
    write("fuzz_amount", amounts)
    write("fuzz_canonical", texts)
    write("fuzz_signature", sigs)
    write("fuzz_json_body", jb)


if __name__ == "__main__":
    main()
