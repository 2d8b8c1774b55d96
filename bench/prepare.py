#!/usr/bin/python3
"""prepare.py: set up a running treasuryd for bench/run.sh and precompute
signed votes.

Starts nothing: it is given the URL of a daemon that is already running,
its admin token, its database path (for `treasuryd token create`) and the
treasuryd binary. It then

  1. makes a signer token, a treasurer token and a viewer token;
  2. creates an asset and a treasury with 32 ECDSA signers and threshold 32,
     so that no vote ever finishes a proposal (every vote stays a plain
     durable insert on a pending proposal);
  3. deposits into the treasury, so that GET balances has a row to show;
  4. creates P transfer proposals (concurrently, over keep-alive
     connections) and checks each returned id against the tagged hash of
     the returned canonical text (docs/signing.md §4);
  5. signs all 32*P approve votes, one per distinct (proposal, signer) pair,
     with bench_sign (libsecp256k1, RFC 6979, low-S) or, without it, with
     python3-cryptography forced to low-S; checks a sample of the
     signatures independently with python3-cryptography;
  6. writes them in a fixed pseudo-random order to OUT/votes.txt, one
     request per line: "POST /v1/proposals/<id>/votes <json body>", the
     format bench_loadgen and requests.lua read, plus OUT/*.token files.

The secret keys are derived from public labels: benchmark use only.
Prints "RESULT name value" lines on stdout, progress on stderr.
"""

import argparse
import concurrent.futures
import hashlib
import http.client
import json
import os
import random
import subprocess
import sys
import threading
import time
import urllib.parse

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils

N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
SIGNERS = 32
PROPOSAL_TAG = b"treasuryd/proposal/v1"
VOTE_TAG = b"treasuryd/vote/v1"
APPROVE = b"\x01"
ASSET = "BENCH"
SAMPLE_CHECKS = 64


def log(msg):
    sys.stderr.write("prepare: %s\n" % msg)
    sys.stderr.flush()


def tagged_hash(tag, msg):
    t = hashlib.sha256(tag).digest()
    return hashlib.sha256(t + t + msg).digest()


def seckey(i):
    """Signer i's secret key (test only: derived from a public label)."""
    d = int.from_bytes(hashlib.sha256(b"treasuryd-bench-signer-%d" % i)
                       .digest(), "big") % N
    assert d != 0
    return d


def pubkey_hex(d):
    key = ec.derive_private_key(d, ec.SECP256K1())
    return key.public_key().public_bytes(
        serialization.Encoding.X962,
        serialization.PublicFormat.CompressedPoint).hex()


class Client:
    """One keep-alive HTTP/1.1 connection per thread."""

    def __init__(self, url):
        u = urllib.parse.urlsplit(url)
        if u.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise SystemExit("prepare: loopback URLs only, not %s" % url)
        self.host, self.port = u.hostname, u.port
        self.local = threading.local()

    def conn(self):
        c = getattr(self.local, "conn", None)
        if c is None:
            c = http.client.HTTPConnection(self.host, self.port, timeout=60)
            self.local.conn = c
        return c

    def request(self, method, path, token, body=None):
        headers = {"Authorization": "Bearer " + token}
        data = None
        if body is not None:
            data = json.dumps(body, separators=(",", ":")).encode()
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):
            c = self.conn()
            try:
                c.request(method, path, body=data, headers=headers)
                r = c.getresponse()
                text = r.read().decode("utf-8", "replace")
                return r.status, text
            except (ConnectionError, http.client.HTTPException):
                c.close()
                self.local.conn = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


def expect(status, text, want, what):
    if status not in want:
        raise SystemExit("prepare: %s: HTTP %d: %s" % (what, status,
                                                       text[:500]))
    return json.loads(text)


def token_create(treasuryd, db, name, role):
    r = subprocess.run([treasuryd, "token", "create", "--db", db, "--role",
                        role, "--name", name], capture_output=True,
                       text=True, timeout=60)
    if r.returncode != 0:
        raise SystemExit("prepare: token create %s: %s" % (name, r.stderr))
    return r.stdout.split()[-1]


def sign_all(jobs, signer_bin):
    """jobs: [(seckey int, digest bytes)] -> [compact hex]."""
    if signer_bin:
        data = "".join("%064x %s\n" % (d, dg.hex()) for d, dg in jobs)
        r = subprocess.run([signer_bin], input=data, capture_output=True,
                           text=True, timeout=600)
        if r.returncode != 0:
            raise SystemExit("prepare: bench_sign: " + r.stderr)
        sigs = r.stdout.split()
        if len(sigs) != len(jobs):
            raise SystemExit("prepare: bench_sign gave %d signatures for %d"
                             % (len(sigs), len(jobs)))
        return sigs
    keys = {}
    out = []
    for d, dg in jobs:
        k = keys.get(d)
        if k is None:
            k = keys[d] = ec.derive_private_key(d, ec.SECP256K1())
        der = k.sign(dg, ec.ECDSA(utils.Prehashed(hashes.SHA256())))
        r_, s_ = utils.decode_dss_signature(der)
        if s_ > N // 2:
            s_ = N - s_
        out.append("%064x%064x" % (r_, s_))
    return out


def check_sample(jobs, sigs, rng):
    """Verify some signatures with python3-cryptography, independently of
    libsecp256k1, and check that they are low-S."""
    for i in rng.sample(range(len(jobs)), min(SAMPLE_CHECKS, len(jobs))):
        d, dg = jobs[i]
        r_, s_ = int(sigs[i][:64], 16), int(sigs[i][64:], 16)
        if not (1 <= r_ < N and 1 <= s_ <= N // 2):
            raise SystemExit("prepare: signature %d is not low-S" % i)
        pub = ec.derive_private_key(d, ec.SECP256K1()).public_key()
        pub.verify(utils.encode_dss_signature(r_, s_), dg,
                   ec.ECDSA(utils.Prehashed(hashes.SHA256())))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--url", required=True)
    ap.add_argument("--admin-token-file", required=True)
    ap.add_argument("--db", required=True)
    ap.add_argument("--treasuryd", required=True)
    ap.add_argument("--signer-bin", default=None,
                    help="bench_sign (fast); without it Python signs")
    ap.add_argument("--proposals", type=int, default=4000)
    ap.add_argument("--treasury", default="bench")
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--out", required=True, help="output directory")
    a = ap.parse_args()

    t_start = time.monotonic()
    cl = Client(a.url)
    with open(a.admin_token_file) as f:
        admin = f.read().strip()
    signer_tok = token_create(a.treasuryd, a.db, "bench-signer", "signer")
    treasurer_tok = token_create(a.treasuryd, a.db, "bench-treasurer",
                                 "treasurer")
    viewer_tok = token_create(a.treasuryd, a.db, "bench-viewer", "viewer")

    st, text = cl.request("POST", "/v1/assets", admin,
                          {"code": ASSET, "decimals": 6, "chain": "bench"})
    expect(st, text, (201,), "POST /v1/assets")
    keys = [seckey(i) for i in range(SIGNERS)]
    names = ["s%02d" % i for i in range(SIGNERS)]
    signers = [{"name": names[i], "key_type": "ecdsa",
                "pubkey": pubkey_hex(keys[i])} for i in range(SIGNERS)]
    st, text = cl.request("POST", "/v1/treasuries", admin,
                          {"id": a.treasury, "name": "benchmark",
                           "threshold": SIGNERS, "signers": signers})
    expect(st, text, (201,), "POST /v1/treasuries")
    st, text = cl.request("POST", "/v1/treasuries/%s/deposits" % a.treasury,
                          treasurer_tok, {"asset": ASSET,
                                          "amount": "1000000",
                                          "reference": "bench-deposit-1"})
    expect(st, text, (201,), "POST deposits")
    log("asset, treasury with %d signers (threshold %d), deposit: ok"
        % (SIGNERS, SIGNERS))

    t0 = time.monotonic()
    path = "/v1/treasuries/%s/proposals" % a.treasury

    def make(i):
        st_, text_ = cl.request("POST", path, signer_tok,
                                {"kind": "transfer", "asset": ASSET,
                                 "amount": "1", "to": "bench-destination",
                                 "memo": "bench %d" % i})
        p = expect(st_, text_, (201,), "POST proposals")
        pid = bytes.fromhex(p["id"])
        if tagged_hash(PROPOSAL_TAG, p["canonical"].encode()) != pid:
            raise SystemExit("prepare: proposal id is not the tagged hash "
                             "of its canonical text: %r" % p)
        if p["status"] != "pending":
            raise SystemExit("prepare: new proposal not pending: %r" % p)
        return pid

    with concurrent.futures.ThreadPoolExecutor(a.threads) as ex:
        pids = list(ex.map(make, range(a.proposals)))
    if len(set(pids)) != len(pids):
        raise SystemExit("prepare: duplicate proposal ids")
    t_prop = time.monotonic() - t0
    log("%d proposals in %.1f s (%.0f/s)" % (len(pids), t_prop,
                                             len(pids) / t_prop))

    t0 = time.monotonic()
    jobs = []
    for pid in pids:
        dg = tagged_hash(VOTE_TAG, pid + APPROVE)
        for i in range(SIGNERS):
            jobs.append((keys[i], dg))
    sigs = sign_all(jobs, a.signer_bin)
    rng = random.Random(20260101)
    check_sample(jobs, sigs, rng)
    t_sign = time.monotonic() - t0
    log("%d votes signed in %.1f s (%s); %d checked with "
        "python3-cryptography" % (len(sigs), t_sign,
                                  "bench_sign" if a.signer_bin else
                                  "python3-cryptography", SAMPLE_CHECKS))

    lines = []
    for k, sig in enumerate(sigs):
        pid, i = pids[k // SIGNERS], k % SIGNERS
        body = json.dumps({"signer": names[i], "decision": "approve",
                           "signature": sig}, separators=(",", ":"))
        lines.append("POST /v1/proposals/%s/votes %s\n" % (pid.hex(), body))
    rng.shuffle(lines)
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "votes.txt"), "w") as f:
        f.writelines(lines)
    for name, tok in (("signer", signer_tok), ("viewer", viewer_tok)):
        fd = os.open(os.path.join(a.out, name + ".token"),
                     os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(tok + "\n")

    print("RESULT prepare_proposals %d" % len(pids))
    print("RESULT prepare_votes %d" % len(lines))
    print("RESULT prepare_proposal_rate_per_s %.0f" % (len(pids) / t_prop))
    print("RESULT prepare_seconds %.1f" % (time.monotonic() - t_start))
    print("RESULT balances_path /v1/treasuries/%s/balances" % a.treasury)


if __name__ == "__main__":
    main()
