"""The API platform (docs/api.md): token management and whoami,
Idempotency-Key (one effect, the stored first response, 422 on reuse,
kept across a restart), opaque cursors and pagination while rows are
being inserted, the events journal (SSE with Last-Event-ID reconnects,
JSON catch-up, the expiry sweep), /v1/metrics, and the request deadline
and stream limit."""

import http.client
import json
import os
import re
import socket
import sqlite3
import threading
import time
import urllib.parse

import signers as sg
from framework import assert_equal, assert_problem, assert_true, sqlite_only
from treasury_helpers import setup


def write_config(node, text):
    path = os.path.join(node.dir, "treasuryd.conf")
    with open(path, "w") as f:
        f.write(text)
    node.extra_args += ["--config", path]


# ---- tokens and whoami ----

def test_tokens_over_http_and_whoami(ctx):
    node, c = setup(ctx)
    r = node.get("/v1/whoami")
    assert_equal(r.json, {"name": "admin", "roles": ["admin"]}, "whoami")
    r = node.post("/v1/tokens", {"name": "bob", "roles": ["viewer", "signer"]})
    assert_equal(r.status, 201, "token create: %r" % r)
    tok = r.json["token"]
    assert_true(re.fullmatch(r"trd_[0-9a-f]{64}", tok), "token form")
    assert_equal(r.json["roles"], ["signer", "viewer"], "roles in order")
    r = node.get("/v1/whoami", token=tok)
    assert_equal(r.json, {"name": "bob", "roles": ["signer", "viewer"]},
                 "whoami of the new token")
    assert_problem(node.post("/v1/tokens", {"name": "x", "roles": ["admin"]},
                             token=tok), 403, "forbidden")
    assert_problem(node.post("/v1/tokens", {"name": "bob",
                                            "roles": ["viewer"]}), 409,
                   "conflict")
    assert_problem(node.post("/v1/tokens", {"name": "c", "roles": ["root"]}),
                   400, "role")
    assert_problem(node.post("/v1/tokens", {"name": "c", "roles": []}), 400,
                   "list-length")
    assert_problem(node.post("/v1/tokens", {"name": "a b",
                                            "roles": ["viewer"]}), 400,
                   "token-name")
    for i in range(3):
        assert_equal(node.post("/v1/tokens", {"name": "v%d" % i,
                                              "roles": ["viewer"]}).status,
                     201, "token v%d" % i)
    items, pages = c.all_pages("/v1/tokens", "tokens", limit=2)
    # c.all_pages reads with a viewer token it makes first
    assert_equal([t["name"] for t in items],
                 ["admin", "bob", "v0", "v1", "v2", "t-viewer"], "token list")
    assert_equal(pages, 3, "three pages of two")
    for t in items:
        assert_equal(sorted(t), ["created_at", "name", "roles"],
                     "a listed token shows no secret")
    r = node.post("/v1/tokens/bob/revoke", None)
    assert_equal(r.status, 200, "revoke: %r" % r)
    assert_problem(node.get("/v1/whoami", token=tok), 401, "unauthorized")
    assert_problem(node.post("/v1/tokens/bob/revoke", None), 404,
                   "unknown-token")
    assert_true(tok not in node.stderr(), "the token is never logged")


# ---- idempotency ----

@sqlite_only("reads the idempotency table from the SQLite file")
def test_idempotency_key(ctx):
    node, c = setup(ctx)
    c.asset_ok("USDC", 6)
    c.treasury_ok("idem", 1, sg.signers("id", "e"))
    path = "/v1/treasuries/idem/deposits"
    body = {"asset": "USDC", "amount": "5", "reference": "dep-1"}
    h = {"Idempotency-Key": "key-1"}
    first = node.post(path, body, token=c.treasurer, headers=h)
    assert_equal(first.status, 201, "first: %r" % first)
    again = node.post(path, body, token=c.treasurer, headers=h)
    assert_equal((again.status, again.body), (first.status, first.body),
                 "the stored first response")
    assert_equal(again.header("Idempotent-Replayed"), "true", "replay header")
    other = dict(body, amount="6")
    assert_problem(node.post(path, other, token=c.treasurer, headers=h), 422,
                   "idempotency-key-reuse")
    # A request refused before the writer (400 here) stores nothing.
    assert_problem(node.post("/v1/treasuries/idem/proposals", body,
                             token=c.signer_token, headers=h), 400,
                   "missing-field")
    for bad in ("", "a b", "x" * 129, "caf\u00e9"):
        r = node.post(path, dict(body, reference="dep-bad"), token=c.treasurer,
                      headers={"Idempotency-Key": bad.encode("utf-8").decode(
                          "latin-1")})
        assert_problem(r, 400, "idempotency-key")
    # Concurrent requests with one key: one proposal, identical answers.
    prop = {"kind": "transfer", "asset": "USDC", "amount": "1", "to": "d",
            "memo": ""}
    hk = {"Idempotency-Key": "prop-1"}
    answers = [None] * 8

    def send(i):
        answers[i] = node.post("/v1/treasuries/idem/proposals", prop,
                               token=c.signer_token, headers=hk)
    threads = [threading.Thread(target=send, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for a in answers:
        assert_equal(a.status, 201, "concurrent same key: %r" % a)
        assert_equal(a.json["id"], answers[0].json["id"], "one proposal")
    assert_equal(len(c.proposals("idem")), 1, "applied once")
    # The key is per token: another token's same key is its own.
    r = node.post(path, dict(body, reference="dep-2"), token=c.treasurer,
                  headers={"Idempotency-Key": "shared"})
    assert_equal(r.status, 201, "treasurer's key")
    t2 = c.token("treasurer", name="treasurer-2")
    r = node.post(path, dict(body, reference="dep-3"), token=t2,
                  headers={"Idempotency-Key": "shared"})
    assert_equal(r.status, 201, "another token's same key")
    # Token creation: the replay never holds the secret.
    tk = {"Idempotency-Key": "tok-1"}
    r1 = node.post("/v1/tokens", {"name": "carol", "roles": ["viewer"]},
                   headers=tk)
    assert_equal(r1.status, 201, "token create")
    time.sleep(0.2)
    r2 = node.post("/v1/tokens", {"name": "carol", "roles": ["viewer"]},
                   headers=tk)
    assert_equal(r2.status, 201, "token replay: %r" % r2)
    assert_true("token" in r1.json and "token" not in r2.json,
                "the token is shown once")
    # Records survive a restart (they are in the database).
    time.sleep(0.2)
    node.stop()
    node.start()
    after = node.post(path, body, token=c.treasurer, headers=h)
    assert_equal((after.status, after.body), (first.status, first.body),
                 "stored response after a restart")
    # A record without a stored response (over 256 KiB, or left by an
    # older daemon that died before storing it): the repeat is answered
    # from the record's outcome, rendered again.
    node.stop()
    db = sqlite3.connect(node.db_path)
    db.execute("UPDATE idempotency SET response_status = NULL,"
               " response_body = NULL")
    db.commit()
    db.close()
    node.start()
    lost = node.post(path, body, token=c.treasurer, headers=h)
    assert_equal((lost.status, lost.json), (first.status, first.json),
                 "re-rendered from the outcome")
    assert_equal(lost.header("Idempotent-Replayed"), "true", "replayed")
    assert_equal(len(c.ledger("idem")), 3, "three deposits, no double credit")
    assert_equal(c.balance("idem", "USDC"), "15.000000", "balance")


# ---- pagination ----

def test_pagination_while_rows_arrive(ctx):
    node, c = setup(ctx)
    c.asset_ok("USDC", 6)
    c.treasury_ok("busy", 1, sg.signers("pb", "e"))
    c.treasury_ok("calm", 1, sg.signers("pc", "e"))
    for i in range(40):
        c.deposit_ok("busy", "USDC", "1", "pre-%03d" % i)
    for i in range(15):
        c.transfer_ok("busy", "USDC", "1", to="d%d" % i)
    before_refs = [e["reference"] for e in c.ledger("busy")]
    before_ids = [p["id"] for p in c.proposals("busy")]
    stop = threading.Event()
    errors = []
    treasurer, signer = c.treasurer, c.signer_token

    def insert_deposits(k):
        n = 0
        while not stop.is_set():
            r = node.post("/v1/treasuries/busy/deposits",
                          {"asset": "USDC", "amount": "1",
                           "reference": "live-%d-%d" % (k, n)},
                          token=treasurer)
            if r.status != 201:
                errors.append(r)
            n += 1

    def insert_proposals():
        n = 0
        while not stop.is_set():
            r = node.post("/v1/treasuries/busy/proposals",
                          {"kind": "transfer", "asset": "USDC",
                           "amount": "1", "to": "live%d" % n, "memo": ""},
                          token=signer)
            if r.status != 201:
                errors.append(r)
            n += 1
    threads = [threading.Thread(target=insert_deposits, args=(k,))
               for k in range(2)] + [threading.Thread(target=insert_proposals)]
    for t in threads:
        t.start()
    try:
        time.sleep(0.2)
        for _ in range(2):
            entries, _ = c.all_pages("/v1/treasuries/busy/ledger", "entries",
                                     limit=7)
            props, _ = c.all_pages("/v1/treasuries/busy/proposals",
                                   "proposals", limit=5)
            seqs = [e["seq"] for e in entries] if "seq" in entries[0] else None
            refs = [e["reference"] for e in entries]
            ids = [p["id"] for p in props]
            assert_equal(len(refs), len(set(refs)), "no duplicate entries")
            assert_equal(len(ids), len(set(ids)), "no duplicate proposals")
            assert_equal(refs[:len(before_refs)], before_refs,
                         "every entry of the start, in order, first")
            assert_equal(ids[:len(before_ids)], before_ids,
                         "every proposal of the start, in order, first")
            if seqs is not None:
                assert_equal(seqs, sorted(seqs), "ledger order stable")
            nonces = [p["nonce"] for p in props]
            assert_equal(nonces, sorted(nonces), "proposal order stable")
            assert_true(len(refs) > len(before_refs), "rows arrived meanwhile")
            paged_refs, paged_ids = refs, ids
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert_true(not errors, "inserts failed: %r" % errors[:3])
    # What was paged is a prefix of the final order: no gaps at all.
    final_refs = [e["reference"] for e in c.ledger("busy")]
    final_ids = [p["id"] for p in c.proposals("busy")]
    assert_equal(final_refs[:len(paged_refs)], paged_refs, "ledger prefix")
    assert_equal(final_ids[:len(paged_ids)], paged_ids, "proposals prefix")


def test_cursors_are_opaque_and_bound_to_their_list(ctx):
    node, c = setup(ctx)
    c.asset_ok("USDC", 6)
    c.treasury_ok("ca", 1, sg.signers("ca", "e"))
    c.treasury_ok("cb", 1, sg.signers("cb", "e"))
    for t in ("ca", "cb"):
        for i in range(3):
            c.deposit_ok(t, "USDC", "1", "r%d" % i)
            c.transfer_ok(t, "USDC", "1", to="d%d" % i)
    r = c.page("/v1/treasuries/ca/ledger", limit=1)
    cur = r.json["next_cursor"]
    assert_true(re.fullmatch(r"[A-Za-z0-9_-]+", cur) and not cur.isdigit(),
                "an opaque base64url cursor: %r" % cur)
    assert_equal(c.page("/v1/treasuries/ca/ledger", limit=1,
                        cursor=cur).status, 200, "the cursor works")
    flipped = cur[:-2] + ("A" if cur[-2] != "A" else "B") + cur[-1]
    assert_problem(c.page("/v1/treasuries/ca/ledger", limit=1,
                          cursor=flipped), 400, "invalid-query")
    assert_problem(c.page("/v1/treasuries/cb/ledger", limit=1, cursor=cur),
                   400, "invalid-query")
    pc = c.page("/v1/treasuries/ca/proposals", limit=1).json["next_cursor"]
    assert_problem(c.page("/v1/treasuries/ca/proposals", limit=1, cursor=pc,
                          status="pending"), 400, "invalid-query")
    assert_problem(c.page("/v1/treasuries/ca/ledger", limit=1, cursor=pc),
                   400, "invalid-query")
    tr = c.page("/v1/treasuries", limit=1).json["next_cursor"]
    r = c.page("/v1/treasuries", limit=1, cursor=tr)
    assert_equal([t["id"] for t in r.json["treasuries"]], ["cb"],
                 "treasuries page 2")


# ---- events ----

class SSE:
    """A GET /v1/events stream read line by line."""

    def __init__(self, node, token, last_id=None):
        self.conn = http.client.HTTPConnection("127.0.0.1", node.port,
                                               timeout=10)
        h = {"Authorization": "Bearer " + token,
             "Accept": "text/event-stream"}
        if last_id is not None:
            h["Last-Event-ID"] = str(last_id)
        self.conn.request("GET", "/v1/events", headers=h)
        self.resp = self.conn.getresponse()

    def events(self, n, timeout=10):
        out, cur = [], {}
        deadline = time.monotonic() + timeout
        while len(out) < n:
            assert_true(time.monotonic() < deadline, "events in time: %r"
                        % out)
            line = self.resp.readline().decode()
            assert_true(line != "", "stream ended early")
            line = line.rstrip("\n")
            if line == "":
                if "id" in cur:
                    out.append(cur)
                cur = {}
            elif line.startswith(":"):
                continue
            else:
                k, _, v = line.partition(": ")
                cur[k] = v
        return out

    def close(self):
        self.conn.close()


def test_events_stream_reconnect_and_catch_up(ctx):
    node = ctx.node(extra_args=["--unsafe-test-clock"])
    write_config(node, "sse_max_streams = 2\nsse_heartbeat = 1\n")
    node.start()
    from treasury_helpers import Client
    c = Client(node)
    # every token first: a token made later is a token.created event
    for t in (c.viewer, c.treasurer, c.signer_token):
        assert_true(t, "token")
    c.asset_ok("USDC", 6)
    signer_list = sg.signers("ev", "e")
    c.treasury_ok("ev", 1, signer_list)
    r = node.get("/v1/events?after=0", token=c.viewer)
    assert_equal(r.status, 200, "catch-up page: %r" % r)
    start_id = r.json["events"][-1]["id"]
    # the journal: the tokens the client made, the asset, the treasury
    types = [e["type"] for e in r.json["events"]]
    assert_true("asset.created" in types and "treasury.created" in types,
                "types: %r" % types)
    s = SSE(node, c.viewer, last_id=start_id)
    assert_equal(s.resp.status, 200, "stream status")
    assert_equal(s.resp.getheader("Content-Type"), "text/event-stream",
                 "stream type")
    s2 = SSE(node, c.viewer)
    assert_problem(node.get("/v1/events", token=c.viewer,
                            headers={"Accept": "text/event-stream"}), 429,
                   "too-many-streams")
    s2.close()
    c.deposit_ok("ev", "USDC", "3", "e-1")
    pid = c.transfer_ok("ev", "USDC", "1")["id"]
    got = s.events(2)
    assert_equal([e["event"] for e in got], ["deposit", "proposal.created"],
                 "first events")
    s.close()
    # Missed while disconnected: a vote (voted, approved), a cancel of
    # another proposal, and an expiry found by the sweep.
    c.vote_ok(pid, signer_list[0], want_status="approved")
    other = c.transfer_ok("ev", "USDC", "1", to="x")["id"]
    assert_equal(c.cancel(other).status, 200, "cancel")
    late = c.transfer_ok("ev", "USDC", "1", to="y",
                         extra={"expires_at": time.strftime(
                             "%Y-%m-%dT%H:%M:%SZ",
                             time.gmtime(time.time() + 120))})["id"]
    assert_equal(node.post("/v1/test/clock", {"advance_s": 300}).status, 200,
                 "clock")
    s = SSE(node, c.viewer, last_id=got[-1]["id"])
    more = s.events(9, timeout=15)
    s.close()
    types = [e["event"] for e in more]
    assert_equal(types, ["proposal.awaiting", "proposal.voted",
                         "proposal.approved",
                         "proposal.created", "proposal.awaiting",
                         "proposal.cancelled",
                         "proposal.created", "proposal.awaiting",
                         "proposal.expired"],
                 "events after reconnect")
    ids = [int(e["id"]) for e in got + more]
    assert_equal(ids, sorted(set(ids)), "increasing, no duplicates")
    assert_equal(ids, list(range(ids[0], ids[0] + len(ids))), "none missed")
    data = json.loads(more[1]["data"])
    assert_equal(data["data"]["proposal"], pid, "event names the proposal")
    expired = {json.loads(e["data"])["data"]["proposal"] for e in more
               if e["event"] == "proposal.expired"}
    assert_true(late in expired, "the sweep persisted the expiry")
    # The JSON catch-up says the same, page by page.
    items, _ = c.all_pages("/v1/events", "events", limit=3,
                           after=str(start_id))
    assert_equal([e["id"] for e in items][:len(ids)], ids, "catch-up")
    assert_problem(node.get("/v1/events?after=x", token=c.viewer), 400,
                   "invalid-query")


# ---- metrics ----

METRIC_RE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$')


def metrics(node, token, path="/v1/metrics"):
    r = node.get(path, token=token)
    assert_equal(r.status, 200, "metrics: %r" % r)
    assert_true(r.header("Content-Type").startswith("text/plain"), "type")
    out = {}
    for line in r.body.splitlines():
        if not line or line.startswith("#"):
            continue
        m = METRIC_RE.match(line)
        assert_true(m, "a metric line: %r" % line)
        out[m.group(1) + (m.group(2) or "")] = float(m.group(3))
    return out


def test_metrics(ctx):
    node, c = setup(ctx)
    c.asset_ok("USDC", 6)
    a = sg.signers("mx", "e")
    c.treasury_ok("mx", 1, a)
    m0 = metrics(node, c.viewer)
    # Prometheus' default path serves the same families.
    assert_equal(sorted(k.split("{")[0] for k in metrics(node, c.viewer,
                                                         "/metrics")
                        if not k.startswith("treasuryd_http")),
                 sorted(k.split("{")[0] for k in m0
                        if not k.startswith("treasuryd_http")),
                 "/metrics and /v1/metrics")
    dep = ('treasuryd_http_requests_total{method="POST",'
           'route="/v1/treasuries/{}/deposits",status="201"}')
    for i in range(3):
        c.deposit_ok("mx", "USDC", "1", "m%d" % i)
    pid = c.transfer_ok("mx", "USDC", "1")["id"]
    c.vote_ok(pid, a[0])
    node.get("/v1/nowhere")
    m1 = metrics(node, c.viewer)
    assert_equal(m1.get(dep, 0) - m0.get(dep, 0), 3, "deposits counted")
    hist = ('treasuryd_http_request_duration_seconds_count{method="POST",'
            'route="/v1/treasuries/{}/deposits",status="201"}')
    assert_equal(m1[hist], m1[dep], "histogram count")
    assert_true(m1['treasuryd_http_requests_total{method="",'
                   'route="unmatched",status="404"}'] >= 1, "404 counted")
    assert_true(m1["treasuryd_writer_group_size_count"] >
                m0["treasuryd_writer_group_size_count"], "groups counted")
    assert_true(m1["treasuryd_writer_commit_seconds_count"] >
                m0["treasuryd_writer_commit_seconds_count"], "commits timed")
    assert_true("treasuryd_writer_queue_depth" in m1, "queue depth")
    assert_equal(m1['treasuryd_signature_verifications_total'
                    '{result="valid"}'], 1, "one signature verified")
    assert_equal(m1['treasuryd_proposals{status="approved"}'], 1,
                 "proposals by status")
    assert_true(m1["treasuryd_connections"] >= 1, "connections")
    assert_true(not any("/v1/treasuries/mx" in k for k in m1),
                "labels are route patterns, not raw paths")


# ---- request deadline ----

def test_request_deadline_cuts_a_slow_body(ctx):
    """A body trickled byte by byte (each byte resets MHD's idle timeout)
    is cut at request_timeout: the connection is closed, others are
    served."""
    node = ctx.node()
    write_config(node, "request_timeout = 1\n")
    node.start()
    s = socket.create_connection(("127.0.0.1", node.port), timeout=10)
    t0 = time.monotonic()
    closed_at = None
    try:
        s.sendall(("POST /v1/assets HTTP/1.1\r\nHost: x\r\n"
                   "Authorization: Bearer %s\r\nContent-Type: "
                   "application/json\r\nContent-Length: 40\r\n\r\n{"
                   % node.admin_token).encode())
        for _ in range(20):
            time.sleep(0.3)
            try:
                s.sendall(b" ")
                s.settimeout(0.01)
                if s.recv(4096) == b"":
                    closed_at = time.monotonic()
                    break
            except socket.timeout:
                pass
            except OSError:
                closed_at = time.monotonic()
                break
    finally:
        s.close()
    assert_true(closed_at is not None and closed_at - t0 < 3,
                "connection cut near the deadline")
    assert_equal(node.get("/v1/health", token=None).status, 200,
                 "others are served")
