"""The journal (issue #13, docs/api.md "GET /v1/journal").

A full treasury life cycle through the HTTP API and `treasuryd token`:
every entry type appears, in order, with the right actor (token and
signer), and every hash is recomputed here independently of the daemon
(hashlib, the tagged hash of include/treasury/journal.h) from
GET /v1/journal, as is the canonical form of every payload. GET
/v1/events is the same journal (id = seq, data = payload).
"""

import datetime
import hashlib
import json
import re
import time

import signers as sg
from framework import assert_equal, assert_problem, assert_true
from treasury_helpers import freeze_sig, parse_ts, setup

CLOCK = ["--unsafe-test-clock"]
TAG = b"treasuryd/journal/v1"


# ---- an independent implementation of the chain ----

def tagged_hash(tag, msg):
    t = hashlib.sha256(tag).digest()
    return hashlib.sha256(t + t + msg).digest()


def entry_bytes(e):
    def opt(v):
        return "" if v is None else v
    return ("seq=%d\ntime=%d\ntreasury=%s\ntype=%s\nactor_token=%s\n"
            "actor_signer=%s\npayload=%s\n" % (
                e["seq"], e["time_s"], opt(e["treasury"]), e["type"],
                opt(e["actor"]["token"]), opt(e["actor"]["signer"]),
                e["payload_text"])).encode("ascii")


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


def check_chain(entries):
    """Every hash recomputed from the entry before; seq 1, 2, 3 ..."""
    prev = bytes(32)
    for i, e in enumerate(entries):
        assert_equal(e["seq"], i + 1, "seq without gaps")
        want = tagged_hash(TAG, prev + entry_bytes(e))
        assert_equal(e["hash"], want.hex(), "hash of entry %d" % e["seq"])
        p = e["payload_text"]
        assert_equal(p, canonical(json.loads(p)),
                     "payload %d is canonical" % e["seq"])
        assert_equal(json.loads(p), e["payload"], "payload parsed")
        assert_true(all(0x20 <= ord(ch) <= 0x7e for ch in p), "ASCII")
        assert_equal(parse_ts(e["created_at"]), e["time_s"], "created_at")
        prev = want


# ---- the acts ----

def advance(node, seconds):
    r = node.post("/v1/test/clock", body={"advance_s": seconds})
    assert_equal(r.status, 200, "test clock: %r" % r)
    return parse_ts(r.json["now"])


def act_sign(signer, tag, pid):
    return signer.sign_digest(sg.tagged_hash(tag, bytes.fromhex(pid))).hex()


def signed_act(c, pid, signer, what, tag):
    body = {"signer": signer.name,
            "signature": act_sign(signer, tag, pid)}
    r = c.node.post("/v1/proposals/%s/%s" % (pid, what), body,
                    token=c.signer_token)
    assert_equal(r.status, 200, "%s: %r" % (what, r))
    return r.json


def freeze(c, tid, signer, seq):
    sig = freeze_sig(c, signer, tid, 1, seq)
    r = c.node.post("/v1/treasuries/%s/freeze" % tid,
                    {"signer": signer.name, "freeze": seq, "signature": sig},
                    token=c.signer_token)
    assert_equal(r.status, 200, "freeze: %r" % r)


def propose(c, tid, body):
    r = c.propose(tid, body)
    assert_equal(r.status, 201, "propose %r: %r" % (body, r))
    return r.json["id"]


def transfer(c, amount, **extra):
    body = {"kind": "transfer", "asset": "USDC", "amount": amount,
            "to": "dest-1"}
    body.update(extra)
    return propose(c, "jt", body)


def journal(node, token, **params):
    """Every entry, page by page (cursor), and checks after= agrees."""
    out, cursor = [], None
    for _ in range(1000):
        q = "&".join("%s=%s" % kv for kv in sorted(params.items()))
        path = "/v1/journal?limit=7" + ("&" + q if q else "")
        if cursor:
            path += "&cursor=" + cursor
        r = node.get(path, token=token)
        assert_equal(r.status, 200, "journal page: %r" % r)
        out += r.json["entries"]
        cursor = r.json["next_cursor"]
        if cursor is None:
            return out
    raise AssertionError("no end of pages")


def wait_for_type(node, token, typ, timeout_s=15):
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if any(e["type"] == typ for e in journal(node, token)):
            return
        time.sleep(0.2)
    raise AssertionError("no %s entry within %ds" % (typ, timeout_s))


def test_journal_full_life_cycle(ctx):
    node, c = setup(ctx, extra_args=CLOCK)
    # every client token first (each is a token.created by the command
    # line, without actor)
    for t in (c.viewer, c.treasurer, c.signer_token):
        assert_true(t, "token")
    ADM, TRE, SIG = "admin", "t-treasurer", "t-signer"
    want = [("token.created", None, None)] * 4     # admin (first run) + 3

    # tokens over HTTP (actor: admin) and on the command line (none)
    r = node.post("/v1/tokens", {"name": "tok-api", "roles": ["viewer"]})
    assert_equal(r.status, 201, "token: %r" % r)
    r = node.post("/v1/tokens/tok-api/revoke", {})
    assert_equal(r.status, 200, "revoke: %r" % r)
    want += [("token.created", ADM, None), ("token.revoked", ADM, None)]
    c.token("viewer", name="tok-cli")
    cert = "ab" * 32
    for args in (("bind", "--name", "tok-cli", "--client-cert-sha256", cert),
                 ("unbind", "--name", "tok-cli"),
                 ("revoke", "--name", "tok-cli")):
        r = node.token_cmd(*args)
        assert_equal(r.returncode, 0, "token %s: %s" % (args[0], r.stderr))
    want += [("token.created", None, None), ("token.bound", None, None),
             ("token.bound", None, None), ("token.revoked", None, None)]
    # created bound: one token.created with the binding, no token.bound
    r = node.token_cmd("create", "--name", "tok-bound", "--role", "viewer",
                       "--client-cert-sha256", "cd" * 32)
    assert_equal(r.returncode, 0, "token create bound: %s" % r.stderr)
    want += [("token.created", None, None)]

    c.asset_ok("USDC", 6)
    a, b, d = sg.signers("jt", "ese")
    r = node.post("/v1/treasuries", {
        "id": "jt", "name": "Journal \"test\" \u00e9", "threshold": 2,
        "signers": [s.as_json() for s in (a, b, d)],
        "policy": {"timelock_spend_s": 3600, "key_proof": True}})
    assert_equal(r.status, 201, "treasury: %r" % r)
    c.nonces["jt"] = 0
    digests = [policy_digest(c, "jt")]
    c.deposit_ok("jt", "USDC", "100", "dep-1", memo="first \\ one")
    want += [("asset.created", ADM, None), ("treasury.created", ADM, None),
             ("deposit", TRE, None)]

    created = [("proposal.created", SIG, None),
               ("proposal.awaiting", SIG, None)]
    # p1: approvals, a revocation back to pending, approved again
    p1 = transfer(c, "10")
    c.vote_ok(p1, a, want_status="pending")
    c.vote_ok(p1, b, want_status="approved")
    signed_act(c, p1, b, "revocations", "treasuryd/revoke/v1")
    c.vote_ok(p1, d, want_status="approved")
    want += created + [
        ("proposal.voted", SIG, a.name), ("proposal.awaiting", SIG, None),
        ("proposal.voted", SIG, b.name), ("proposal.approved", SIG, None),
        ("vote.revoked", SIG, b.name), ("proposal.pending", SIG, None),
        ("proposal.awaiting", SIG, None),
        ("proposal.voted", SIG, d.name), ("proposal.approved", SIG, None)]
    # p2 vetoed (one veto of three signers), p3 rejected, p4 cancelled
    p2 = transfer(c, "5")
    signed_act(c, p2, a, "vetoes", "treasuryd/veto/v1")
    p3 = transfer(c, "6")
    c.vote_ok(p3, a, decision="reject")
    c.vote_ok(p3, b, decision="reject", want_status="rejected")
    p4 = transfer(c, "7")
    assert_equal(c.cancel(p4).status, 200, "cancel")
    want += created + [("veto.recorded", SIG, a.name),
                       ("proposal.vetoed", SIG, None)]
    want += created + [
        ("proposal.voted", SIG, a.name), ("proposal.awaiting", SIG, None),
        ("proposal.voted", SIG, b.name), ("proposal.rejected", SIG, None)]
    want += created + [("proposal.cancelled", SIG, None)]
    # a freeze, a second signer's request for it, the unfreeze approved
    freeze(c, "jt", d, 1)
    freeze(c, "jt", d, 1)           # a repeat: no entry
    freeze(c, "jt", a, 1)
    u = propose(c, "jt", {"kind": "unfreeze"})
    c.vote_ok(u, a, want_status="pending")
    c.vote_ok(u, b, want_status="approved")
    want += [("treasury.frozen", SIG, d.name),
             ("treasury.frozen", SIG, a.name)]
    want += created + [
        ("proposal.voted", SIG, a.name), ("proposal.awaiting", SIG, None),
        ("proposal.voted", SIG, b.name), ("proposal.approved", SIG, None)]
    # p5 expires: the daemon's sweep (no actor)
    now = advance(node, 1)
    p5 = transfer(c, "8", expires_at=datetime.datetime.fromtimestamp(
        now + 3600 + 120, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ"))
    want += created
    advance(node, 3600 + 300)
    wait_for_type(node, c.viewer, "proposal.expired")
    want += [("proposal.expired", None, None)]
    # the unfreeze, the spend and its settlement
    r = c.execute(u)
    assert_equal(r.status, 200, "execute unfreeze: %r" % r)
    c.execute_ok(p1)
    r = node.post("/v1/proposals/%s/settlement" % p1, {"reference": "0xabc"},
                  token=c.treasurer)
    assert_equal(r.status, 200, "settlement: %r" % r)
    want += [("treasury.unfrozen", TRE, None),
             ("proposal.executed", TRE, None),
             ("proposal.executed", TRE, None),
             ("proposal.settled", TRE, None)]
    # add-signer with its key proof; the pending spend goes stale
    e = sg.Signer("erin")
    q = propose(c, "jt", {"kind": "add-signer", "signer": e.as_json()})
    p7 = transfer(c, "9")
    c.vote_ok(q, a, want_status="pending")
    c.vote_ok(q, b, want_status="approved")
    signed_act_proof = {"signature": act_sign(e, "treasuryd/possession/v1",
                                              q)}
    r = node.post("/v1/proposals/%s/key-proof" % q, signed_act_proof,
                  token=c.signer_token)
    assert_equal(r.status, 200, "key proof: %r" % r)
    advance(node, 3600)             # the config track's delay
    r = c.execute(q)
    assert_equal(r.status, 200, "execute add-signer: %r" % r)
    digests.append(policy_digest(c, "jt"))
    want += created + created + [
        ("proposal.voted", SIG, a.name), ("proposal.awaiting", SIG, None),
        ("proposal.voted", SIG, b.name), ("proposal.approved", SIG, None),
        ("key.proved", SIG, e.name), ("config.changed", TRE, None),
        ("proposal.executed", TRE, None), ("proposal.stale", TRE, None)]

    entries = journal(node, c.viewer)
    # the admin's webhook.* entries (test_webhooks registers an endpoint
    # before this life cycle) are test_webhooks' to check
    got = [(x["type"], x["actor"]["token"], x["actor"]["signer"])
           for x in entries if not x["type"].startswith("webhook.")]
    assert_equal(len(got), len(want), "entries: %r" % got)
    for i, (g, w) in enumerate(zip(got, want)):
        assert_equal(g, w, "entry %d" % (i + 1))
    check_chain(entries)
    types = {x["type"] for x in entries}
    for t in ("asset.created", "treasury.created", "config.changed",
              "deposit", "proposal.created", "proposal.voted",
              "proposal.awaiting", "proposal.approved", "proposal.rejected",
              "proposal.cancelled", "proposal.expired", "proposal.stale",
              "proposal.vetoed", "proposal.executed", "veto.recorded",
              "vote.revoked", "key.proved", "treasury.frozen",
              "treasury.unfrozen", "proposal.settled", "token.created",
              "token.revoked", "token.bound"):
        assert_true(t in types, "type %s appears" % t)
    check_payloads(entries, [a, b, d], e, digests, p1, p5, p7, q, u)
    check_pages_and_events(node, c, entries)


def by_type(entries, t):
    return [x for x in entries if x["type"] == t]


def policy_digest(c, tid):
    r = c.node.get("/v1/treasuries/%s/policy" % tid, token=c.viewer)
    assert_equal(r.status, 200, "policy: %r" % r)
    return r.json["digest"]


def signer_set(signers):
    """The signers of a config version as the journal lists them."""
    return sorted(({"key_type": s.key_type, "name": s.name,
                    "pubkey": s.pubkey} for s in signers),
                  key=lambda x: x["name"])


def check_payloads(entries, signers, added, digests, p1, p5, p7, q, u):
    names = [s.name for s in signers]
    assert_true(digests[0] != digests[1], "N is in the policy text")
    t = by_type(entries, "treasury.created")[0]
    assert_equal(t["payload"], {
        "config_version": 1, "name": "Journal \"test\" \u00e9",
        "policy_digest": digests[0], "signers": signer_set(signers),
        "threshold": 2, "treasury": "jt"},
        "treasury.created")
    assert_true("\\u00e9" in t["payload_text"], "non-ASCII escaped")
    dep = by_type(entries, "deposit")[0]["payload"]
    assert_equal(dep, {"amount_minor": "100000000", "asset": "USDC",
                       "ledger_seq": 1, "memo": "first \\ one",
                       "reference": "dep-1", "source": "",
                       "treasury": "jt"}, "deposit")
    aw = by_type(entries, "proposal.awaiting")
    assert_equal(aw[0]["payload"], {"approvals": 0, "awaiting": sorted(names),
                                    "proposal": p1, "threshold": 2,
                                    "treasury": "jt"}, "awaiting at creation")
    assert_equal((aw[1]["payload"]["approvals"], aw[1]["payload"]["awaiting"]),
                 (1, sorted(names)[1:]), "awaiting after a's vote")
    # after b's revocation: a approved, b revoked (no second vote), d left
    assert_equal((aw[2]["payload"]["approvals"], aw[2]["payload"]["awaiting"]),
                 (1, [sorted(names)[2]]), "awaiting after the revocation")
    ex = by_type(entries, "proposal.executed")
    assert_equal(ex[0]["payload"], {"debits": [], "previous": "approved",
                                    "proposal": u, "status": "executed",
                                    "treasury": "jt"}, "unfreeze executed")
    assert_equal(ex[1]["payload"]["debits"], [
        {"amount_minor": "10000000", "asset": "USDC", "ledger_seq": 2,
         "to": "dest-1"}], "debits")
    fr = by_type(entries, "treasury.frozen")
    assert_equal([(x["payload"]["first"], x["payload"]["freeze_seq"])
                  for x in fr], [(True, 1), (False, 1)], "frozen")
    assert_equal(by_type(entries, "treasury.unfrozen")[0]["payload"],
                 {"freeze_seq": 1, "proposal": u, "treasury": "jt"},
                 "unfrozen")
    assert_equal(by_type(entries, "proposal.expired")[0]["payload"]
                 ["proposal"], p5, "expired")
    assert_equal(by_type(entries, "proposal.stale")[0]["payload"],
                 {"previous": "pending", "proposal": p7, "status": "stale",
                  "treasury": "jt"}, "stale")
    assert_equal(by_type(entries, "proposal.settled")[0]["payload"],
                 {"proposal": p1, "reference": "0xabc", "treasury": "jt"},
                 "settled")
    assert_equal(by_type(entries, "config.changed")[0]["payload"],
                 {"config_version": 2, "policy_digest": digests[1],
                  "proposal": q, "signers": signer_set(signers + [added]),
                  "threshold": 2, "treasury": "jt"}, "config.changed")
    v = by_type(entries, "veto.recorded")[0]["payload"]
    assert_equal((v["vetoes"], v["veto_threshold"]), (1, 1), "veto counts")
    bound = [x["payload"] for x in by_type(entries, "token.bound")]
    assert_equal(bound, [{"client_cert_sha256": "ab" * 32,
                          "name": "tok-cli"},
                         {"client_cert_sha256": None, "name": "tok-cli"}],
                 "token.bound")
    tc = [dict(x["payload"]) for x in by_type(entries, "token.created")]
    hashes = [x.pop("token_hash") for x in tc]
    assert_true(all(re.fullmatch("[0-9a-f]{64}", h) for h in hashes),
                "token hashes: %r" % hashes)
    assert_equal(len(set(hashes)), len(hashes), "one hash a token")
    assert_equal(tc[0], {"client_cert_sha256": None, "name": "admin",
                         "roles": ["admin"]}, "first-run token")
    assert_equal(tc[-1], {"client_cert_sha256": "cd" * 32,
                          "name": "tok-bound", "roles": ["viewer"]},
                 "a token created bound")
    for x in entries:
        if x["type"].split(".")[0] in ("token", "webhook") or \
                x["type"] == "asset.created":
            assert_equal(x["treasury"], None, "no treasury: %r" % x)
        else:
            assert_equal(x["treasury"], "jt", "treasury: %r" % x)


def check_pages_and_events(node, c, entries):
    # after= starts after that seq; the cursor walk gave the same list
    r = node.get("/v1/journal?after=%d&limit=3" % (len(entries) - 2),
                 token=c.viewer)
    assert_equal([x["seq"] for x in r.json["entries"]],
                 [len(entries) - 1, len(entries)], "after=")
    assert_equal(r.json["next_cursor"], None, "last page")
    assert_equal(r.json["entries"], entries[-2:], "same entries")
    for bad in ("after=-1", "after=x", "limit=0", "cursor=zz", "other=1"):
        assert_problem(node.get("/v1/journal?" + bad, token=c.viewer), 400)
    assert_problem(node.get("/v1/journal", token=None), 401)
    # GET /v1/events is the same journal: id = seq, data = payload
    ev, _ = c.all_pages("/v1/events", "events", limit=50, after="0")
    assert_equal([(x["id"], x["type"], x["data"]) for x in ev],
                 [(x["seq"], x["type"], x["payload"]) for x in entries],
                 "events are the journal")


def test_journal_largest_batch(ctx):
    """A batch of 64 transfers with the longest amounts, asset code and
    destinations (every destination byte escaped in JSON) executes: its
    proposal.executed entry names the 64 debits and its hash checks out.
    A stream whose connection buffer cannot hold that event gets it
    without its data (truncated) rather than stalling."""
    from test_platform import SSE, write_config
    node = ctx.node(extra_args=CLOCK)
    write_config(node, "connection_memory = 16384\n")
    node.start()
    from treasury_helpers import Client
    c = Client(node)
    for t in (c.viewer, c.treasurer, c.signer_token):
        assert_true(t, "token")
    code = "X" * 32
    c.asset_ok(code, 0)
    (a,) = sg.signers("big", "e")
    c.treasury_ok("big", 1, [a])
    amount = "5" + "0" * 36                     # 37 digits, 64 of them fit
    c.deposit_ok("big", code, str(64 * int(amount)), "d1")
    to = ("\"\\" * 64)[:128]
    body = {"kind": "batch", "transfers": [
        {"asset": code, "amount": amount, "to": to} for _ in range(64)]}
    pid = propose(c, "big", body)
    c.vote_ok(pid, a, want_status="approved")
    last = journal(node, c.viewer)[-1]["seq"]
    stream = SSE(node, c.viewer, last_id=last)
    c.execute_ok(pid)
    entries = journal(node, c.viewer)
    check_chain(entries)
    ex = by_type(entries, "proposal.executed")[0]
    debits = ex["payload"]["debits"]
    assert_equal(len(debits), 64, "debits")
    assert_equal(debits[0], {"amount_minor": amount, "asset": code,
                             "ledger_seq": 2, "to": to}, "first debit")
    assert_equal([d["ledger_seq"] for d in debits], list(range(2, 66)),
                 "ledger order")
    assert_true(len(ex["payload_text"]) > 16384, "a large payload: %d" %
                len(ex["payload_text"]))
    got = stream.events(1, timeout=10)
    stream.close()
    data = json.loads(got[0]["data"])
    assert_equal((int(got[0]["id"]), got[0]["event"]),
                 (ex["seq"], "proposal.executed"), "streamed")
    assert_equal((data["data"], data.get("truncated")), (None, True),
                 "sent without its data: %r" % data)
