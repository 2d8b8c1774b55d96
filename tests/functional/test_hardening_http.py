"""HTTP hardening (issue #18): shutdown that answers what it applied,
request framing (methods, Content-Length with Transfer-Encoding), the
event-stream limit taken before any work, a deadline on receiving headers,
and answers in the order and shape docs/api.md gives.

Raw HTTP goes over Python sockets (helpers from test_hostile.py); a
keep-alive client here reads each answer by its Content-Length.
"""

import json
import os
import signal
import socket
import threading
import time

import signers as sg
from framework import assert_equal, assert_true, TestFailure
from test_hostile import parse_response, request_bytes, send_raw
from treasury_helpers import setup

READ_TIMEOUT_S = 5.0


def write_config(node, text):
    path = os.path.join(node.dir, "treasuryd.conf")
    with open(path, "w") as f:
        f.write(text)
    node.extra_args = ["--config", path]


# ---- a keep-alive client on one socket ----

class KeepAlive:
    """Requests one after another on one connection. read_answer returns
    a RawResponse, or None when the connection ended without one."""

    def __init__(self, port, timeout=READ_TIMEOUT_S):
        self.sock = socket.create_connection(("127.0.0.1", port),
                                             timeout=timeout)
        self.buf = b""

    def close(self):
        self.sock.close()

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self):
        c = self.sock.recv(65536)
        if not c:
            raise ConnectionError("closed")
        self.buf += c

    def read_answer(self):
        try:
            while b"\r\n\r\n" not in self.buf:
                self._fill()
            head, _, rest = self.buf.partition(b"\r\n\r\n")
            r = parse_response(head + b"\r\n\r\n")
            n = int(r.header("Content-Length") or 0)
            self.buf = rest
            while len(self.buf) < n:
                self._fill()
            body, self.buf = self.buf[:n], self.buf[n:]
            return parse_response(head + b"\r\n\r\n" + body)
        except (OSError, ConnectionError):
            return None


def keepalive_request(method, path, token, body=None, extra=()):
    """A request without Connection: close."""
    h = ["%s %s HTTP/1.1" % (method, path), "Host: 127.0.0.1"]
    if token is not None:
        h.append("Authorization: Bearer " + token)
    data = b""
    if body is not None:
        data = json.dumps(body).encode()
        h += ["Content-Type: application/json",
              "Content-Length: %d" % len(data)]
    h += list(extra)
    return ("\r\n".join(h) + "\r\n\r\n").encode() + data


# ---- 1. SIGTERM answers everything it applied ----

def deposit_loop(port, token, prefix, results, problems):
    """Deposit on keep-alive connections until the daemon is gone. Every
    reference sent is recorded with its status (None: no answer); an
    answer that breaks the contract goes to problems."""
    n = 0
    while True:
        try:
            ka = KeepAlive(port)
        except OSError:
            return
        try:
            while True:
                ref = "%s-%d" % (prefix, n)
                n += 1
                body = {"asset": "USDC", "amount": "1", "reference": ref}
                try:
                    ka.send(keepalive_request(
                        "POST", "/v1/treasuries/drain/deposits", token,
                        body))
                except OSError:
                    results.append((ref, None, None))
                    break
                r = ka.read_answer()
                results.append((ref, r.status if r else None, r))
                if r is None:
                    break
                if r.status == 503 and r.header("Connection") != "close":
                    problems.append("a 503 without Connection: close: %r"
                                    % r)
                if (r.header("Connection") or "").lower() == "close":
                    break
        finally:
            ka.close()


def test_sigterm_answers_every_deposit_it_commits(ctx):
    """Keep-alive clients deposit in a loop while SIGTERM arrives, over
    several stop/start cycles: after a restart, every deposit in the ledger
    was answered 2xx, and none answered otherwise (or not at all) was
    applied."""
    node, c = setup(ctx)
    c.asset_ok("USDC", 0)
    c.treasury_ok("drain", 1, sg.signers("drain", "e"))
    token = c.treasurer
    answered = {}
    problems = []
    for cycle in range(6):
        results = []
        threads = [threading.Thread(
            target=deposit_loop,
            args=(node.port, token, "c%d-t%d" % (cycle, i), results,
                  problems))
            for i in range(4)]
        for t in threads:
            t.start()
        time.sleep(0.3 + 0.05 * cycle)
        node.proc.send_signal(signal.SIGTERM)
        rc = node.proc.wait(timeout=30)
        node._stderr.close()
        node.proc = None
        assert_equal(rc, 0, "exit code after SIGTERM")
        for t in threads:
            t.join(timeout=30)
            assert_true(not t.is_alive(), "client thread finished")
        for ref, status, _ in results:
            answered[ref] = status
        node.start()
        assert_true(not node.error_lines(), "no errors: %r" %
                    node.error_lines())
    assert_true(not problems, "; ".join(problems[:3]))
    committed = {e["reference"] for e in c.ledger("drain")}
    ok = {ref for ref, st in answered.items()
          if st is not None and 200 <= st < 300}
    assert_true(len(ok) > 0, "some deposits were answered 2xx")
    unanswered = sorted(committed - ok)
    assert_true(not unanswered, "%d committed deposits not answered 2xx "
                "(e.g. %r: %r)" % (len(unanswered), unanswered[:5],
                                   [answered.get(r) for r in
                                    unanswered[:5]]))
    lost = sorted(ok - committed)
    assert_true(not lost, "answered 2xx but not in the ledger: %r" % lost[:5])
    assert_equal(c.balance("drain", "USDC"), str(len(ok)),
                 "the balance counts the deposits answered 2xx")
    node.stop()


def read_to_close(sock, timeout=READ_TIMEOUT_S):
    """Everything the server sends until it closes (None on a timeout:
    the connection stayed open)."""
    sock.settimeout(timeout)
    chunks = []
    try:
        while True:
            c = sock.recv(65536)
            if not c:
                return b"".join(chunks)
            chunks.append(c)
    except ConnectionResetError:
        return b"".join(chunks)
    except socket.timeout:
        return None


def test_sigterm_request_in_flight_answered_with_close(ctx):
    """SIGTERM while a keep-alive deposit's headers are in and its body is
    not: its body sent after the signal is run and answered 201 with
    Connection: close, and the connection ends there. A connection that
    sat idle between two requests sends one during the drain: 503
    shutting-down, Connection: close, not applied. After a restart the
    ledger holds exactly the first."""
    node, c = setup(ctx)
    c.asset_ok("USDC", 0)
    c.treasury_ok("drain", 1, sg.signers("drain", "e"))
    token = c.treasurer
    idle = KeepAlive(node.port)
    idle.send(keepalive_request("GET", "/v1/health", None))
    r = idle.read_answer()
    assert_equal(r.status, 200, "idle connection's first request")
    assert_true(r.header("Connection") != "close", "kept alive: %r" % r)
    slow = KeepAlive(node.port)
    req = keepalive_request("POST", "/v1/treasuries/drain/deposits", token,
                            {"asset": "USDC", "amount": "5",
                             "reference": "in-flight"})
    slow.send(req[:-10])
    time.sleep(0.3)                 # its headers are read: in flight
    node.proc.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    idle.send(keepalive_request("POST", "/v1/treasuries/drain/deposits",
                                token, {"asset": "USDC", "amount": "7",
                                        "reference": "after-sigterm"}))
    r = idle.read_answer()
    assert_true(r is not None, "the idle connection's request is answered")
    assert_equal(r.status, 503, "new request while draining: %r" % r)
    assert_equal(r.json["type"], "urn:treasuryd:problem:shutting-down",
                 "problem type")
    assert_equal(r.header("Connection"), "close", "503 closes")
    assert_equal(read_to_close(idle.sock), b"", "closed after the 503")
    slow.send(req[-10:])
    r = slow.read_answer()
    assert_true(r is not None, "the request in flight is answered")
    assert_equal(r.status, 201, "the request in flight: %r" % r)
    assert_equal(r.header("Connection"), "close",
                 "an answer while draining closes the connection")
    assert_equal(read_to_close(slow.sock), b"", "closed after the answer")
    assert_equal(node.proc.wait(timeout=30), 0, "exit code")
    node._stderr.close()
    node.proc = None
    node.start()
    refs = [e["reference"] for e in c.ledger("drain")]
    assert_equal(refs, ["in-flight"], "the ledger after the restart")
    node.stop()


# ---- 11. a method that is not a token ----

def test_non_token_method_is_400_without_error_log(ctx):
    node, c = setup(ctx)
    for method in (b"GET\x80", b"P\xc3\xa9ST", b"GE(T"):
        r = send_raw(node.port, request_bytes(method, "/v1/health"))
        assert_true(r is not None, "%r answered" % method)
        assert_equal(r.status, 400, "method %r: %r" % (method, r))
        assert_equal(r.json["type"], "urn:treasuryd:problem:invalid-method",
                     "problem type")
        assert_equal(r.header("Cache-Control"), "no-store", "Cache-Control")
    # a token method the route lacks stays 405
    r = send_raw(node.port, request_bytes("PATCH", "/v1/health"))
    assert_equal(r.status, 405, "PATCH: %r" % r)
    assert_equal(node.get("/v1/health", token=None).status, 200, "health")
    node.stop()             # fails on any line logged at err or worse


# ---- 12. framing: Content-Length with Transfer-Encoding ----

def test_content_length_with_transfer_encoding_is_400_and_closes(ctx):
    """A proxy that frames by Content-Length would pass the bytes after the
    chunked end as part of this body; treasuryd must not run them as a
    second request."""
    node, c = setup(ctx)
    admin = node.admin_token
    smuggled = request_bytes("POST", "/v1/assets", [
        ("Authorization", "Bearer " + admin),
        ("Content-Type", "application/json")],
        json.dumps({"code": "SMUG", "decimals": 2,
                    "chain": "ethereum"}).encode())
    smuggled = smuggled.replace(b"Connection: close\r\n", b"")
    body = b"0\r\n\r\n" + smuggled
    head = ("POST /v1/assets HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
            "Content-Length: %d\r\nTransfer-Encoding: chunked\r\n\r\n"
            % (admin, len(body))).encode()
    s = socket.create_connection(("127.0.0.1", node.port),
                                 timeout=READ_TIMEOUT_S)
    s.sendall(head + body)
    data = read_to_close(s)
    s.close()
    assert_true(data is not None, "the connection is closed")
    assert_equal(data.count(b"HTTP/1.1 "), 1, "one answer only: %r" % data)
    r = parse_response(data)
    assert_equal(r.status, 400, "CL + TE: %r" % r)
    assert_equal(r.json["type"], "urn:treasuryd:problem:invalid-header",
                 "problem type")
    assert_equal(r.header("Connection"), "close", "Connection: close")
    r = node.get("/v1/assets")
    assert_true(all(a["code"] != "SMUG" for a in r.json["assets"]),
                "the smuggled request did not run: %r" % r.json)
    node.stop()


def test_unknown_transfer_encoding_is_501_and_closes(ctx):
    node, c = setup(ctx)
    for coding in ("gzip", "chunked, gzip", "identity"):
        raw = ("POST /v1/assets HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               "Authorization: Bearer %s\r\n"
               "Content-Type: application/json\r\n"
               "Transfer-Encoding: %s\r\n\r\n" % (node.admin_token, coding)
               ).encode() + b"5\r\nhello\r\n0\r\n\r\n"
        s = socket.create_connection(("127.0.0.1", node.port),
                                     timeout=READ_TIMEOUT_S)
        s.sendall(raw)
        data = read_to_close(s)
        s.close()
        assert_true(data, "Transfer-Encoding %r answered and closed: %r"
                    % (coding, data))
        r = parse_response(data)
        assert_equal(r.status, 501, "Transfer-Encoding %r: %r" % (coding, r))
        assert_equal(r.json["type"], "urn:treasuryd:problem:not-implemented",
                     "problem type")
        assert_equal(r.header("Connection"), "close", "Connection: close")
    node.stop()


# ---- 13. event streams: the slot before any read, start at the newest ----

def events_read(node, token):
    r = node.get("/v1/metrics", token=token)
    assert_equal(r.status, 200, "metrics")
    for line in r.body.splitlines():
        if line.startswith("treasuryd_events_read_total "):
            return int(line.split()[1])
    raise TestFailure("no treasuryd_events_read_total in /v1/metrics")


def open_stream(port, token, query=""):
    s = socket.create_connection(("127.0.0.1", port), timeout=READ_TIMEOUT_S)
    s.sendall(("GET /v1/events%s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               "Authorization: Bearer %s\r\nAccept: text/event-stream\r\n"
               "\r\n" % (query, token)).encode())
    head = b""
    while b"\r\n\r\n" not in head:
        c = s.recv(1)
        if not c:
            break
        head += c
    return s, parse_response(head)


def stream_events(sock, want, timeout=READ_TIMEOUT_S):
    """Read SSE frames until `want` events arrived; returns their ids."""
    sock.settimeout(timeout)
    buf, ids = b"", []
    deadline = time.monotonic() + timeout
    while len(ids) < want and time.monotonic() < deadline:
        buf += sock.recv(65536)
        while b"\n\n" in buf:
            frame, buf = buf.split(b"\n\n", 1)
            for line in frame.split(b"\n"):
                if line.startswith(b"id: "):
                    ids.append(int(line[4:]))
    return ids


def test_event_stream_limit_checked_before_reading_events(ctx):
    """With sse_max_streams open, a further stream is refused 429 without
    reading a single event (treasuryd_events_read_total unchanged, however
    many events exist); a stream opened without a start point reads none
    either and begins at the newest id: the next commit's event is the
    first it sends."""
    node = ctx.node()
    write_config(node, "sse_max_streams = 2\nsse_heartbeat = 1\n")
    node.start()
    from treasury_helpers import Client
    c = Client(node)
    c.asset_ok("USDC", 0)
    c.treasury_ok("ev", 1, sg.signers("ev", "e"))
    for i in range(120):
        c.deposit_ok("ev", "USDC", "1", "ev-%d" % i)
    viewer = c.viewer
    r = node.get("/v1/events?after=0&limit=500", token=viewer)
    newest = r.json["events"][-1]["id"]
    assert_true(newest >= 120, "events exist: %d" % newest)
    a, ra = open_stream(node.port, viewer)
    b, rb = open_stream(node.port, viewer)
    assert_equal((ra.status, rb.status), (200, 200), "two streams open")
    before = events_read(node, viewer)
    third, r3 = open_stream(node.port, viewer)
    assert_equal(r3.status, 429, "a third stream: %r" % r3)
    third.close()
    assert_equal(events_read(node, viewer), before,
                 "the refused stream read no events")
    b.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        d, rd = open_stream(node.port, viewer)
        if rd.status == 200:
            break
        d.close()
        time.sleep(0.2)
    assert_equal(rd.status, 200, "a slot is free again")
    assert_equal(events_read(node, viewer), before,
                 "opening a stream read no events to find its start")
    c.deposit_ok("ev", "USDC", "1", "ev-next")
    assert_equal(stream_events(d, 1), [newest + 1],
                 "the new stream starts after the newest event")
    assert_equal(stream_events(a, 1), [newest + 1], "the old stream too")
    a.close()
    d.close()
    node.stop()


# ---- 14. a deadline on the request headers ----

def test_trickled_headers_are_cut_at_request_timeout(ctx):
    """A client sending one header byte every 0.2 s never goes idle for
    connection_timeout; its headers must still be complete within
    request_timeout (2 s here), else the connection is closed."""
    node = ctx.node()
    write_config(node, "request_timeout = 2\nconnection_timeout = 30\n")
    node.start()
    s = socket.create_connection(("127.0.0.1", node.port), timeout=1)
    line = b"GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + \
        b"a" * 10000
    start = time.monotonic()
    closed_after = None
    for i in range(len(line)):
        if time.monotonic() - start > 12:
            break
        try:
            s.sendall(line[i:i + 1])
            s.setblocking(False)
            try:
                if s.recv(1) == b"":
                    closed_after = time.monotonic() - start
                    break
            except BlockingIOError:
                pass
            finally:
                s.setblocking(True)
        except (BrokenPipeError, ConnectionResetError):
            closed_after = time.monotonic() - start
            break
        time.sleep(0.2)
    s.close()
    assert_true(closed_after is not None,
                "the trickling connection was still open after 12 s")
    assert_true(closed_after >= 1.8, "not cut before request_timeout: "
                "%.1f s" % closed_after)
    # a prompt client on a fresh connection is unaffected
    assert_equal(node.get("/v1/health", token=None).status, 200, "health")
    node.stop()


# ---- 15. answers in the documented order and shape ----

def test_404_and_405_come_before_413(ctx):
    """docs/api.md: 404, then 405, then 413."""
    node, c = setup(ctx)
    big = b"x" * 70000            # over the default body_max_bytes
    h = [("Authorization", "Bearer " + node.admin_token),
         ("Content-Type", "application/json")]
    r = send_raw(node.port, request_bytes("POST", "/v1/no-such-route", h,
                                          big))
    assert_equal(r.status, 404, "unknown path with a large body: %r" % r)
    assert_equal(r.json["type"], "urn:treasuryd:problem:not-found", "type")
    r = send_raw(node.port, request_bytes("POST", "/v1/health", h, big))
    assert_equal(r.status, 405, "GET-only path with a large body: %r" % r)
    assert_equal(r.header("Allow"), "GET", "Allow")
    r = send_raw(node.port, request_bytes("POST", "/v1/assets", h, big))
    assert_equal(r.status, 413, "known route with a large body: %r" % r)
    node.stop()


def test_encoded_slash_is_not_a_path_separator(ctx):
    """%2F stays inside its path segment: /v1/treasuries/t%2Fbalances is
    treasury "t/balances" (no such id: 404 unknown-treasury), not the
    balances of treasury t."""
    node, c = setup(ctx)
    c.asset_ok("USDC", 0)
    c.treasury_ok("t", 1, sg.signers("t", "e"))
    assert_equal(node.get("/v1/treasuries/t/balances").status, 200,
                 "the real route")
    for path in ("/v1/treasuries/t%2Fbalances", "/v1/treasuries/t%2fbalances"):
        r = node.get(path)
        assert_equal(r.status, 404, "%s: %r" % (path, r))
        assert_equal(r.json["type"], "urn:treasuryd:problem:unknown-treasury",
                     "problem type")
    node.stop()
