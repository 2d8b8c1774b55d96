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

def deposit_loop(port, token, prefix, results):
    """Deposit on keep-alive connections until the daemon is gone. Every
    reference sent is recorded with its status (None: no answer)."""
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
                if r.status == 503:
                    assert_equal(r.header("Connection"), "close",
                                 "a 503 shutting-down closes: %r" % r)
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
    for cycle in range(6):
        results = []
        threads = [threading.Thread(
            target=deposit_loop,
            args=(node.port, token, "c%d-t%d" % (cycle, i), results))
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
        for ref, status, r in results:
            answered[ref] = status
        import collections
        print(collections.Counter((s, r.header("Connection") if r else None) for _, s, r in results))
        node.start()
        assert_true(not node.error_lines(), "no errors: %r" %
                    node.error_lines())
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
    node.stop()
