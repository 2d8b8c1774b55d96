"""Webhooks (docs/webhooks.md): a receiver written here (http.server in a
thread, its own Standard Webhooks HMAC check) gets the journal's entries in
order; kill -9 with deliveries pending loses none; failures are retried on
the documented schedule; the allowlist, the secret shown once, rotation,
redelivery, dead letters, disable/delete and the deliveries log."""

import base64
import hashlib
import hmac
import http.server
import json
import os
import threading
import time

import signers as sg
from framework import assert_equal, assert_problem, assert_true, free_port, sqlite_only
from treasury_helpers import setup

DEST = "0x742d35Cc6634C0532925a3b844Bc454e4438f44e"


class Receiver:
    """An HTTP endpoint that records every POST and checks its signature.

    statuses: answers to give in turn (the last one repeats)."""

    def __init__(self, port=None, statuses=(204,), delay_s=0):
        self.port = port or free_port()
        self.delay_s = delay_s          # before answering (a hanging one)
        self.statuses = list(statuses)
        self.calls = []          # dicts: id, ts, sig, body, status, t
        self.secrets = []        # "whsec_..." accepted
        self.bad_signatures = []
        self.lock = threading.RLock()
        self.server = None
        self.thread = None

    @property
    def url(self):
        return "http://127.0.0.1:%d/hook" % self.port

    def start(self):
        recv = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                with recv.lock:
                    idx = len(recv.calls)
                    status = recv.statuses[min(idx, len(recv.statuses) - 1)]
                    call = {"id": self.headers.get("webhook-id"),
                            "ts": self.headers.get("webhook-timestamp"),
                            "sig": self.headers.get("webhook-signature"),
                            "body": body, "status": status,
                            "t": time.monotonic()}
                    if not recv.verify(call):
                        recv.bad_signatures.append(call)
                    recv.calls.append(call)
                if recv.delay_s:
                    time.sleep(recv.delay_s)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port),
                                                      Handler)
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       daemon=True)
        self.thread.start()
        return self

    def stop(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def verify(self, call):
        """Standard Webhooks: v1,base64(HMAC-SHA256(key, id.ts.body))."""
        if not call["id"] or not call["ts"] or not call["sig"]:
            return False
        signed = ("%s.%s." % (call["id"], call["ts"])).encode() + call["body"]
        for secret in self.secrets:
            key = base64.b64decode(secret[len("whsec_"):])
            want = base64.b64encode(hmac.new(key, signed,
                                             hashlib.sha256).digest()).decode()
            for part in call["sig"].split(" "):
                if part == "v1," + want:
                    return True
        return False

    def delivered(self):
        """Bodies answered 2xx, parsed, in arrival order, with their id."""
        with self.lock:
            return [(c["id"], json.loads(c["body"])) for c in self.calls
                    if 200 <= c["status"] <= 299]

    def wait(self, pred, timeout=20, what="receiver"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if pred(self):
                    return
            time.sleep(0.05)
        raise AssertionError("timed out waiting for %s; calls: %r"
                             % (what, [(c["id"], c["status"])
                                       for c in self.calls]))


def wait_metrics(node, lines, timeout=15):
    """Until /v1/metrics holds every line (counters are raised just after
    the receiver has answered, the pending gauge at the next pass)."""
    deadline = time.monotonic() + timeout
    while True:
        m = node.get("/v1/metrics").body
        if all(x in m for x in lines) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    for x in lines:
        assert_true(x in m, "metrics hold %r:\n%s" % (x, m[-900:]))


def deliveries(node, wid, at_least=0, timeout=15):
    """The endpoint's deliveries log, once it holds at_least attempts (the
    outcome of an attempt is committed just after the receiver answers)."""
    deadline = time.monotonic() + timeout
    while True:
        r = node.get("/v1/webhooks/%d/deliveries" % wid)
        assert_equal(r.status, 200, "deliveries: %r" % r)
        ds = r.json["deliveries"]
        if len(ds) >= at_least or time.monotonic() > deadline:
            return ds
        time.sleep(0.1)


def wait_info(node, wid, timeout=15, **want):
    """GET /v1/webhooks/{id} once its members have the wanted values."""
    deadline = time.monotonic() + timeout
    while True:
        info = node.get("/v1/webhooks/%d" % wid).json
        got = {k: info.get(k) for k in want}
        if got == want or time.monotonic() > deadline:
            assert_equal(got, want, "endpoint %d" % wid)
            return info
        time.sleep(0.1)


def webhook_node(ctx, port, base_ms=300, attempts=None, hosts=None,
                 extra_args=()):
    d = ctx.tmpdir("conf")
    path = os.path.join(d, "treasuryd.conf")
    with open(path, "w") as f:
        f.write("webhook_hosts = %s\n" % (hosts or "127.0.0.1:%d" % port))
        f.write("webhook_retry_base_ms = %d\n" % base_ms)
        if attempts is not None:
            f.write("webhook_attempts_max = %d\n" % attempts)
    return setup(ctx, extra_args=["--config", path] + list(extra_args))


def register(node, recv, **body):
    b = {"url": recv.url}
    b.update(body)
    r = node.post("/v1/webhooks", b)
    assert_equal(r.status, 201, "register: %r" % r)
    assert_true(r.json["secret"].startswith("whsec_"), "secret form")
    assert_true(len(base64.b64decode(r.json["secret"][6:])) >= 24,
                "secret of 24+ bytes")
    recv.secrets.append(r.json["secret"])
    return r.json


def events_after(node, after):
    """The journal as GET /v1/events shows it, entries after seq `after`."""
    out, cursor = [], None
    while True:
        path = "/v1/events?limit=500" + ("&cursor=" + cursor if cursor else "")
        r = node.get(path)
        assert_equal(r.status, 200, "events: %r" % r)
        out += [e for e in r.json["events"] if e["id"] > after]
        cursor = r.json.get("next_cursor")
        if not cursor:
            return out


def life_cycle(c, tid="grants"):
    """Asset, treasury, deposits, a transfer approved and executed, a
    rejected one, a cancelled one."""
    c.asset_ok("USDC", 6)
    a, b, d = sg.signers(tid, "eee")
    c.treasury_ok(tid, 2, [a, b, d])
    c.deposit_ok(tid, "USDC", "1000", "dep-1")
    p = c.transfer_ok(tid, "USDC", "100", to=DEST, memo="first")
    c.vote_ok(p["id"], a, "approve")
    c.vote_ok(p["id"], b, "approve", want_status="approved")
    c.execute_ok(p["id"])
    q = c.transfer_ok(tid, "USDC", "5", to=DEST)
    c.vote_ok(q["id"], a, "reject")
    c.vote_ok(q["id"], b, "reject", want_status="rejected")
    x = c.transfer_ok(tid, "USDC", "6", to=DEST)
    r = c.cancel(x["id"])
    assert_equal(r.status, 200, "cancel: %r" % r)


def test_webhooks_life_cycle_in_order_signed(ctx):
    recv = Receiver().start()
    try:
        node, c = webhook_node(ctx, recv.port)
        w = register(node, recv)
        life_cycle(c)
        want = events_after(node, w["after_seq"])
        assert_true(len(want) >= 10, "the life cycle journalled: %r" % want)
        recv.wait(lambda r: len(r.delivered()) >= len(want), what="every entry")
        time.sleep(0.5)      # nothing more may come
        got = recv.delivered()
        assert_equal(recv.bad_signatures, [], "every signature checks")
        assert_equal([b["data"]["seq"] for _, b in got],
                     [e["id"] for e in want], "every entry once, in order")
        assert_equal([b["type"] for _, b in got], [e["type"] for e in want],
                     "types")
        for (mid, b), e in zip(got, want):
            assert_equal(mid, "msg_%d_%d" % (w["id"], e["id"]), "webhook-id")
            assert_equal(b["data"]["treasury"], e["data"].get("treasury"),
                         "treasury")
            assert_equal(b["data"]["payload"], e["data"], "payload")
            assert_true(set(b["data"]["actor"]) == {"token", "signer"},
                        "actor: %r" % b)
            assert_true(b["timestamp"].endswith("Z"), "timestamp RFC 3339")
        types = {b["type"] for _, b in got}
        for t in ("treasury.created", "deposit",
                  "proposal.created", "proposal.voted", "proposal.approved",
                  "proposal.executed", "proposal.rejected",
                  "proposal.cancelled"):
            assert_true(t in types, "%s delivered: %r" % (t, sorted(types)))
        # metrics count them
        wait_metrics(node, ['treasuryd_webhook_deliveries_total{result="ok"} %d'
                            % len(want), "treasuryd_webhook_outbox_pending 0"])
        # the deliveries log: newest first, a 2xx each
        r = node.get("/v1/webhooks/%d/deliveries?limit=3" % w["id"])
        assert_equal(r.status, 200, "deliveries: %r" % r)
        ds = r.json["deliveries"]
        assert_equal([d["seq"] for d in ds], [e["id"] for e in want][::-1][:3],
                     "newest first")
        assert_true(all(d["outcome"] == "delivered" and d["status"] == 204 and
                        d["attempt"] == 1 and d["next_attempt"] is None
                        for d in ds), ds)
    finally:
        recv.stop()


def test_webhooks_filters_by_type_and_treasury(ctx):
    recv = Receiver().start()
    try:
        node, c = webhook_node(ctx, recv.port)
        c.asset_ok("USDC", 6)
        a, b, d = sg.signers("one", "eee")
        c.treasury_ok("one", 2, [a, b, d])
        e, f, g = sg.signers("two", "eee")
        c.treasury_ok("two", 2, [e, f, g])
        w = register(node, recv, events=["deposit", "proposal.created"],
                     treasury="two")
        assert_equal(w["events"], ["deposit", "proposal.created"], "filter")
        assert_equal(w["treasury"], "two", "treasury filter")
        c.deposit_ok("one", "USDC", "1", "d1")
        c.deposit_ok("two", "USDC", "2", "d2")
        c.transfer_ok("one", "USDC", "1", to=DEST)
        c.transfer_ok("two", "USDC", "1", to=DEST)
        recv.wait(lambda r: len(r.delivered()) >= 2, what="two entries")
        time.sleep(0.6)
        got = recv.delivered()
        assert_equal([(b["type"], b["data"]["treasury"]) for _, b in got],
                     [("deposit", "two"), ("proposal.created", "two")],
                     "only treasury two's deposits and proposals")
    finally:
        recv.stop()


def test_webhooks_kill9_with_pending_then_restart_delivers_all(ctx):
    port = free_port()
    node, c = webhook_node(ctx, port, base_ms=200)
    recv = Receiver(port=port)          # not listening yet: down
    w = register(node, recv)
    life_cycle(c)
    want = [e["id"] for e in events_after(node, w["after_seq"])]
    # wait until the first entry has failed at least once
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        r = node.get("/v1/webhooks/%d/deliveries" % w["id"])
        if r.json["deliveries"]:
            break
        time.sleep(0.05)
    ds = r.json["deliveries"]
    assert_true(ds and ds[0]["outcome"] == "retry" and ds[0]["status"] is None
                and ds[0]["error"], "a failed attempt logged: %r" % ds)
    assert_equal(node.get("/v1/webhooks/%d" % w["id"]).json["pending"],
                 len(want), "every entry pending")
    node.kill9()
    recv.start()
    try:
        node.start()
        recv.wait(lambda r: len(r.delivered()) >= len(want), timeout=30,
                  what="all after restart")
        time.sleep(0.5)
        got = recv.delivered()
        seqs = [b["data"]["seq"] for _, b in got]
        assert_equal(sorted(set(seqs)), sorted(want), "none lost")
        first = []
        for s in seqs:
            if s not in first:
                first.append(s)
        assert_equal(first, want, "first deliveries in journal order")
        for mid, b in got:     # a repeat carries the same webhook-id
            assert_equal(mid, "msg_%d_%d" % (w["id"], b["data"]["seq"]),
                         "stable webhook-id")
        assert_equal(recv.bad_signatures, [], "signatures")
        wait_info(node, w["id"], pending=0, dead=0)
    finally:
        recv.stop()


def test_webhooks_retry_schedule(ctx):
    """500, 500, 500, 500, then 204: gaps of base * 2^(n-1), jitter +-20%."""
    base = 400
    recv = Receiver(statuses=(500, 500, 500, 500, 204)).start()
    try:
        node, c = webhook_node(ctx, recv.port, base_ms=base)
        w = register(node, recv, events=["treasury.created"])
        c.asset_ok("USDC", 6)
        c.treasury_ok("t", 1, sg.signers("t", "e"))
        recv.wait(lambda r: len(r.delivered()) >= 1, timeout=30,
                  what="delivery after four failures")
        calls = recv.calls
        assert_equal([x["status"] for x in calls], [500, 500, 500, 500, 204],
                     "attempts")
        assert_equal(len({x["id"] for x in calls}), 1, "one webhook-id")
        for n in range(1, 5):
            gap_ms = (calls[n]["t"] - calls[n - 1]["t"]) * 1000
            nominal = base * 2 ** (n - 1)
            # jitter [0.8, 1.2); + the delivery thread's poll (200 ms), a
            # commit and a loaded machine's delays
            assert_true(0.8 * nominal - 50 <= gap_ms <= 1.2 * nominal + 1000,
                        "gap %d: %.0f ms for nominal %d ms" % (n, gap_ms,
                                                              nominal))
        ds = deliveries(node, w["id"], at_least=5)[::-1]
        assert_equal([(d["attempt"], d["status"], d["outcome"]) for d in ds],
                     [(1, 500, "retry"), (2, 500, "retry"), (3, 500, "retry"),
                      (4, 500, "retry"), (5, 204, "delivered")], "log")
        assert_true(all(d["next_attempt"] for d in ds[:4]), "next attempts")
        wait_metrics(node, ['treasuryd_webhook_deliveries_total'
                            '{result="failed"} 4'])
    finally:
        recv.stop()


def test_webhooks_dead_letter_and_redeliver(ctx):
    recv = Receiver(statuses=(500, 500, 204)).start()
    try:
        node, c = webhook_node(ctx, recv.port, base_ms=100, attempts=2)
        c.asset_ok("USDC", 6)
        a, b, d = sg.signers("t", "eee")
        c.treasury_ok("t", 2, [a, b, d])
        w = register(node, recv, events=["deposit"])
        c.deposit_ok("t", "USDC", "1", "d1")   # attempts 1, 2: 500 -> dead
        c.deposit_ok("t", "USDC", "2", "d2")   # then this one: 204
        recv.wait(lambda r: len(r.delivered()) >= 1, what="second entry")
        wait_info(node, w["id"], pending=0, dead=1)
        got = recv.delivered()
        assert_equal([b["data"]["payload"]["reference"] for _, b in got],
                     ["d2"], "the next one went on")
        dead_seq = json.loads(recv.calls[0]["body"])["data"]["seq"]
        r = node.get("/v1/webhooks/%d/deliveries" % w["id"])
        assert_true(any(d["outcome"] == "dead" and d["seq"] == dead_seq
                        for d in r.json["deliveries"]), r.json)
        wait_metrics(node, ['treasuryd_webhook_deliveries_total'
                            '{result="dead"} 1'])
        # redeliver the dead one, and a delivered one
        d2_seq = got[0][1]["data"]["seq"]
        r = node.post("/v1/webhooks/%d/redeliver" % w["id"],
                      {"from_seq": dead_seq, "to_seq": d2_seq})
        assert_equal(r.status, 200, "redeliver: %r" % r)
        assert_equal(r.json["queued"], 2, "two queued (deposits only)")
        recv.wait(lambda r: len(r.delivered()) >= 3, what="redelivered")
        ids = [mid for mid, _ in recv.delivered()]
        assert_equal(ids[1:], ["msg_%d_%d" % (w["id"], dead_seq),
                               "msg_%d_%d" % (w["id"], d2_seq)],
                     "redelivered in order with the same ids")
        assert_equal(node.get("/v1/webhooks/%d" % w["id"]).json["dead"], 0,
                     "no dead left")
        for body in ({}, {"seq": 0}, {"seq": "1"}, {"from_seq": 5},
                     {"seq": 1, "to_seq": 2}, {"from_seq": 9, "to_seq": 3},
                     {"from_seq": 1, "to_seq": 20000}):
            r = node.post("/v1/webhooks/%d/redeliver" % w["id"], body)
            assert_true(r.status == 400, "redeliver %r: %r" % (body, r))
    finally:
        recv.stop()


def test_webhooks_allowlist_and_validation(ctx):
    node, c = setup(ctx)               # default: webhook_hosts empty
    r = node.post("/v1/webhooks", {"url": "http://127.0.0.1:9/x"})
    assert_problem(r, 422, "webhook-url")
    assert_true("webhook_hosts" in r.json["detail"], r.json["detail"])
    node.stop()

    recv = Receiver()
    node, c = webhook_node(ctx, recv.port,
                           hosts="127.0.0.1:%d, hooks.example" % recv.port)
    bad = [
        ("http://127.0.0.2:%d/x" % recv.port, "host"),
        ("http://127.0.0.1:%d/x" % (recv.port + 1), "port"),
        ("http://user:pw@127.0.0.1:%d/x" % recv.port, "user name"),
        ("ftp://127.0.0.1:%d/x" % recv.port, "http"),
        ("file:///etc/passwd", "http"),
        ("http://127.0.0.1:%d/%s" % (recv.port, "a" * 2048), "2048"),
        ("http://127.0.0.1:%d/a b" % recv.port, "printable"),
        ("http://hooks.example.evil/x", "host"),
        ("http://[::1]/x", "host"),
    ]
    for url, word in bad:
        r = node.post("/v1/webhooks", {"url": url})
        assert_problem(r, 422, "webhook-url")
        assert_true(word in r.json["detail"], "%s: %s" % (url, r.json["detail"]))
    ok = node.post("/v1/webhooks", {"url": "https://HOOKS.example:8443/p?q=1"})
    assert_equal(ok.status, 201, "host alone allows any port: %r" % ok)
    assert_problem(node.post("/v1/webhooks", {"url": recv.url,
                                              "events": ["nope"]}),
                   400, "invalid-field")
    assert_problem(node.post("/v1/webhooks", {"url": recv.url, "events": []}),
                   400, "list-length")
    assert_problem(node.post("/v1/webhooks", {"url": recv.url,
                                              "treasury": "ghost"}),
                   404, "unknown-treasury")
    assert_problem(node.post("/v1/webhooks", {"url": recv.url, "x": 1}),
                   400, "unknown-field")
    assert_problem(node.post("/v1/webhooks", {}), 400, "missing-field")
    assert_problem(node.post("/v1/webhooks", {"url": recv.url},
                             token=c.viewer), 403, "forbidden")
    assert_problem(node.get("/v1/webhooks", token=c.treasurer), 403,
                   "forbidden")
    for path in ("/v1/webhooks/0", "/v1/webhooks/abc", "/v1/webhooks/99"):
        assert_problem(node.get(path), 404, "unknown-webhook")
    assert_problem(node.request("DELETE", "/v1/webhooks/99"), 404,
                   "unknown-webhook")
    r = node.request("PUT", "/v1/webhooks/1")
    assert_problem(r, 405, "method-not-allowed")
    assert_equal(r.header("Allow"), "GET, DELETE", "Allow")
    # the endpoint limit
    n = len(node.get("/v1/webhooks").json["webhooks"])
    for i in range(64 - n):
        r = node.post("/v1/webhooks", {"url": recv.url + str(i)})
        assert_equal(r.status, 201, "endpoint %d: %r" % (i, r))
    assert_problem(node.post("/v1/webhooks", {"url": recv.url}), 409,
                   "webhook-limit")


def test_webhooks_secret_once_rotate_disable_delete(ctx):
    recv = Receiver().start()
    try:
        node, c = webhook_node(ctx, recv.port)
        c.asset_ok("USDC", 6)
        a, b, d = sg.signers("t", "eee")
        c.treasury_ok("t", 2, [a, b, d])
        c.deposit_ok("t", "USDC", "9", "d0")    # the treasurer's token made
        w = register(node, recv, events=["deposit"])
        r = node.get("/v1/webhooks")
        assert_equal(r.status, 200, "list")
        assert_true("secret" not in r.body and w["secret"] not in r.body,
                    "the list shows no secret")
        one = node.get("/v1/webhooks/%d" % w["id"])
        assert_true("secret" not in one.json, "get shows no secret")
        assert_equal(one.json["url"], recv.url, "url")
        assert_equal(one.json["events"], ["deposit"], "the filter")
        assert_equal(one.json["enabled"], True, "enabled")
        # rotate: a new secret, shown once; later messages signed with it
        r = node.post("/v1/webhooks/%d/rotate-secret" % w["id"], {})
        assert_equal(r.status, 200, "rotate: %r" % r)
        new = r.json["secret"]
        assert_true(new.startswith("whsec_") and new != w["secret"], "new")
        recv.secrets = [new]
        c.deposit_ok("t", "USDC", "1", "d1")
        recv.wait(lambda r: len(r.delivered()) >= 1, what="after rotation")
        assert_equal(recv.bad_signatures, [], "signed with the new secret")
        # disable: nothing queued meanwhile; enable: later entries again
        r = node.post("/v1/webhooks/%d/disable" % w["id"], {})
        assert_equal((r.status, r.json["enabled"]), (200, False), "disable")
        c.deposit_ok("t", "USDC", "2", "d2")
        time.sleep(0.6)
        assert_equal(len(recv.delivered()), 1, "nothing while disabled")
        r = node.post("/v1/webhooks/%d/enable" % w["id"])
        assert_equal((r.status, r.json["enabled"]), (200, True), "enable")
        c.deposit_ok("t", "USDC", "3", "d3")
        recv.wait(lambda r: len(r.delivered()) >= 2, what="after enable")
        assert_equal([b["data"]["payload"]["reference"]
                      for _, b in recv.delivered()], ["d1", "d3"],
                     "d2 was made while disabled")
        # delete
        r = node.request("DELETE", "/v1/webhooks/%d" % w["id"])
        assert_equal((r.status, r.json), (200, {"id": w["id"],
                                                "deleted": True}), "delete")
        assert_problem(node.get("/v1/webhooks/%d" % w["id"]), 404,
                       "unknown-webhook")
        assert_problem(node.get("/v1/webhooks/%d/deliveries" % w["id"]), 404,
                       "unknown-webhook")
        c.deposit_ok("t", "USDC", "4", "d4")
        time.sleep(0.6)
        assert_equal(len(recv.delivered()), 2, "nothing after delete")
        # ids are never reused
        w2 = register(node, recv)
        assert_true(w2["id"] > w["id"], "a new id")
        # every admin act is journalled, by the admin's token, naming the
        # endpoint by id and host: never its secret, path or query
        r = node.get("/v1/journal?limit=500")
        assert_equal(r.status, 200, "journal: %r" % r)
        acts = [(e["type"], e["actor"]["token"], e["payload"])
                for e in r.json["entries"] if e["type"].startswith("webhook.")]
        assert_equal([(t, tok) for t, tok, _ in acts],
                     [("webhook.created", "admin"),
                      ("webhook.secret_rotated", "admin"),
                      ("webhook.disabled", "admin"),
                      ("webhook.enabled", "admin"),
                      ("webhook.deleted", "admin"),
                      ("webhook.created", "admin")], "the admin's acts")
        assert_equal(acts[0][2], {"events": ",deposit,", "host": "127.0.0.1",
                                  "id": w["id"], "port": recv.port,
                                  "treasury": None}, "created payload")
        assert_equal(acts[1][2], {"id": w["id"]}, "rotation payload")
        text = r.body
        for secret in (w["secret"], new, w2["secret"]):
            assert_true(secret[6:] not in text, "no secret in the journal")
        assert_true("/hook" not in text, "no URL path in the journal")
    finally:
        recv.stop()


def test_webhooks_every_entry_type_of_a_full_life_cycle(ctx):
    """test_journal's full life cycle (every entry type, with actors) run
    on a daemon with one endpoint registered first: the receiver gets
    every entry GET /v1/journal shows, once, in order, signed, with the
    journal's type, treasury, actor and payload."""
    import test_journal as tj
    recv = Receiver().start()
    made = {}

    def setup_with_webhook(ctx_, extra_args=()):
        node, c = webhook_node(ctx_, recv.port, extra_args=extra_args)
        made["w"] = register(node, recv)
        made["node"] = node
        return node, c

    saved = tj.setup
    tj.setup = setup_with_webhook
    try:
        tj.test_journal_full_life_cycle(ctx)
        node, w = made["node"], made["w"]
        entries = [e for e in tj.journal(node, "admin")
                   if e["seq"] > w["after_seq"]]
        recv.wait(lambda r: len(r.delivered()) >= len(entries), timeout=30,
                  what="every journal entry")
        time.sleep(0.5)
        got = recv.delivered()
        assert_equal(recv.bad_signatures, [], "every signature checks")
        assert_equal([b["data"]["seq"] for _, b in got],
                     [e["seq"] for e in entries], "every entry once, in order")
        for (mid, b), e in zip(got, entries):
            assert_equal(mid, "msg_%d_%d" % (w["id"], e["seq"]), "webhook-id")
            assert_equal((b["type"], b["data"]["treasury"], b["data"]["actor"],
                          b["data"]["payload"], b["data"]["time_s"]),
                         (e["type"], e["treasury"], e["actor"], e["payload"],
                          e["time_s"]), "entry %d as journalled" % e["seq"])
        types = {b["type"] for _, b in got}
        assert_true(len(types) >= 24, "every type: %r" % sorted(types))
    finally:
        tj.setup = saved
        recv.stop()


def test_webhooks_sigterm_cuts_a_hanging_delivery_short(ctx):
    """A receiver that does not answer: SIGTERM still stops the daemon at
    once and cleanly; the entry stays pending and goes again after the
    restart with the same webhook-id."""
    port = free_port()
    slow = Receiver(port=port, delay_s=15).start()
    node, c = webhook_node(ctx, port)
    w = register(node, slow, events=["treasury.created"])
    c.asset_ok("USDC", 6)
    c.treasury_ok("t", 1, sg.signers("t", "e"))
    slow.wait(lambda r: len(r.calls) >= 1, what="the attempt in flight")
    t0 = time.monotonic()
    node.stop()                         # exit 0, no error logged
    took = time.monotonic() - t0
    # without the cut the stop would wait for curl's 10 s timeout
    assert_true(took < 6, "stopped in %.1f s with a delivery in flight"
                % took)
    slow.server.shutdown()
    slow.server.server_close()
    fast = Receiver(port=port)
    fast.secrets = slow.secrets
    fast.start()
    try:
        node.start()
        fast.wait(lambda r: len(r.delivered()) >= 1, what="after restart")
        mid, body = fast.delivered()[0]
        assert_equal(mid, slow.calls[0]["id"], "the same webhook-id")
        assert_equal(body["type"], "treasury.created", "the same entry")
        assert_equal(fast.bad_signatures, [], "signature")
    finally:
        fast.stop()


def treasury_setup(c, tid="grants"):
    c.asset_ok("USDC", 6)
    c.treasury_ok(tid, 2, sg.signers(tid, "eee"))


def calls_after(recv, t):
    """The receiver's calls that arrived after monotonic time t."""
    with recv.lock:
        return [x for x in recv.calls if x["t"] > t]


@sqlite_only("moves the SQLite file away")
def test_webhooks_unrecorded_results_are_not_sent_again_in_a_loop(ctx):
    """The writer cannot record delivery results (the database file
    renamed under the daemon): the thread keeps them, sends nothing while
    they are unsaved and submits them again with a backoff; the receiver
    gets a handful of POSTs, not hundreds."""
    port = free_port()
    node, c = webhook_node(ctx, port, base_ms=2000)
    recv = Receiver(port=port)          # down for now
    node.allowed_error_patterns.append(".*")
    w = register(node, recv)
    treasury_setup(c)
    deliveries(node, w["id"], at_least=1)   # the first attempt failed
    os.rename(node.db_path, node.db_path + ".moved")
    recv.start()
    try:
        time.sleep(7)                   # the head's retry is due in ~2 s
        with recv.lock:
            n = len(recv.calls)
        assert_true(1 <= n <= 5, "POSTs while results cannot be recorded: "
                    "%d (ids %r)" % (n, sorted({x["id"] for x in recv.calls})))
        r = node.get("/v1/metrics")
        if r.status == 200:
            assert_true('treasuryd_webhook_deliveries_total{result="ok"} 0'
                        in r.body or 'result="ok"' not in r.body,
                        "unrecorded deliveries not counted:\n%s" % r.body)
    finally:
        recv.stop()
        node.kill9()


def backlog(ctx, recv, deposits=30):
    """A node whose endpoint (recv, not started yet) has a backlog: its
    head failed once and waits a 60 s backoff while the deposits queue
    behind it; then recv starts and a redelivery of the head lets the
    backlog flow (whatever the speed of the machine)."""
    node, c = webhook_node(ctx, recv.port, base_ms=60000)
    treasury_setup(c)
    w = register(node, recv)
    c.deposit_ok("grants", "USDC", "1", "first")
    head = deliveries(node, w["id"], at_least=1)[0]["seq"]
    for i in range(deposits):
        c.deposit_ok("grants", "USDC", "1", "d%d" % i)
    recv.start()
    r = node.post("/v1/webhooks/%d/redeliver" % w["id"], {"seq": head})
    assert_equal(r.status, 200, "redeliver: %r" % r)
    return node, w


def test_webhooks_disable_stops_a_backlog_at_once(ctx):
    """Disable while a backlog is being sent: no POST starts after the
    disable's answer (the one in flight may still arrive)."""
    recv = Receiver(delay_s=0.25)
    try:
        node, w = backlog(ctx, recv)
        recv.wait(lambda r: len(r.calls) >= 3, what="three")
        r = node.post("/v1/webhooks/%d/disable" % w["id"], {})
        assert_equal(r.status, 200, "disable: %r" % r)
        t = time.monotonic()
        time.sleep(3)
        late = calls_after(recv, t)
        assert_true(len(late) <= 1, "%d POSTs after the disable answered"
                    % len(late))
        assert_true(node.get("/v1/webhooks/%d" % w["id"]).json["pending"]
                    > 0, "the backlog waits")
    finally:
        recv.stop()


def test_webhooks_rotation_applies_to_the_rest_of_a_backlog(ctx):
    """Rotate the secret while a backlog is being sent: every attempt that
    starts after the rotation's answer is signed with the new secret."""
    recv = Receiver(delay_s=0.2)
    try:
        node, w = backlog(ctx, recv)
        recv.wait(lambda r: len(r.calls) >= 3, what="three")
        r = node.post("/v1/webhooks/%d/rotate-secret" % w["id"], {})
        assert_equal(r.status, 200, "rotate: %r" % r)
        t = time.monotonic()
        new = Receiver()
        new.secrets = [r.json["secret"]]
        recv.secrets.append(r.json["secret"])
        recv.wait(lambda x: len(calls_after(x, t)) >= 4, timeout=30,
                  what="attempts after the rotation")
        late = calls_after(recv, t)
        # the first may have started before the answer (in flight)
        old = [x["id"] for x in late[1:] if not new.verify(x)]
        assert_equal(old, [], "attempts after the rotation signed with the "
                     "old secret only")
    finally:
        recv.stop()


def test_webhooks_slow_endpoint_does_not_hold_the_others(ctx):
    """An endpoint that takes 1 s per answer, with a backlog of 12: a
    second endpoint's first delivery does not wait for that backlog
    (round-robin: one delivery per endpoint per turn)."""
    slow = Receiver(delay_s=1.0).start()
    fast = Receiver().start()
    try:
        node, c = webhook_node(ctx, slow.port, hosts="127.0.0.1:%d, "
                               "127.0.0.1:%d" % (slow.port, fast.port))
        treasury_setup(c)
        register(node, slow)
        register(node, fast)
        for i in range(12):
            c.deposit_ok("grants", "USDC", "1", "d%d" % i)
        fast.wait(lambda r: len(r.calls) >= 1, timeout=60, what="fast")
        slow.wait(lambda r: len(r.calls) >= 1, timeout=60, what="slow")
        lag = fast.calls[0]["t"] - slow.calls[0]["t"]
        assert_true(lag < 3.0, "the fast endpoint's first delivery came "
                    "%.1f s after the slow one's" % lag)
        assert_equal(fast.bad_signatures + slow.bad_signatures, [],
                     "signatures")
    finally:
        slow.stop()
        fast.stop()


def test_webhooks_redeliver_resets_a_pending_head(ctx):
    """A head waiting its backoff (60 s base): redeliver makes it due now
    with its attempts counted from 0."""
    recv = Receiver(statuses=(500,)).start()
    try:
        node, c = webhook_node(ctx, recv.port, base_ms=60000)
        w = register(node, recv)
        treasury_setup(c)
        deliveries(node, w["id"], at_least=1)
        head = json.loads(recv.calls[0]["body"])["data"]["seq"]
        with recv.lock:
            recv.statuses = [204]
        r = node.post("/v1/webhooks/%d/redeliver" % w["id"], {"seq": head})
        assert_equal(r.status, 200, "redeliver: %r" % r)
        assert_equal(r.json["queued"], 1, "the pending head counted")
        recv.wait(lambda x: len(x.delivered()) >= 1, timeout=10,
                  what="the head again")
        assert_equal(recv.delivered()[0][1]["data"]["seq"], head, "head")
        ds = deliveries(node, w["id"], at_least=2)
        ok = [d for d in ds if d["seq"] == head and d["outcome"] ==
              "delivered"]
        assert_true(ok and ok[0]["attempt"] == 1,
                    "attempts counted from 0 again: %r" % ds)
    finally:
        recv.stop()


def test_webhooks_ignore_the_proxy_environment(ctx):
    """http_proxy / ALL_PROXY in the daemon's environment: deliveries
    still go straight to the endpoint, never through the proxy."""
    proxy = Receiver().start()
    recv = Receiver().start()
    names = ("http_proxy", "HTTP_PROXY", "https_proxy", "ALL_PROXY",
             "all_proxy")
    saved = {k: os.environ.get(k) for k in names + ("no_proxy", "NO_PROXY")}
    try:
        for k in names:
            os.environ[k] = "http://127.0.0.1:%d" % proxy.port
        for k in ("no_proxy", "NO_PROXY"):
            os.environ.pop(k, None)
        node, c = webhook_node(ctx, recv.port)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    try:
        register(node, recv)
        treasury_setup(c)
        recv.wait(lambda r: len(r.delivered()) >= 2, what="direct")
        assert_equal(len(proxy.calls), 0, "POSTs through the proxy")
    finally:
        proxy.stop()
        recv.stop()
