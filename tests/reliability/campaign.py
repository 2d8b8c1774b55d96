"""campaign.py: the fault campaign against a real treasuryd (see README.md).

One database lives through the whole campaign. Each cycle starts the
daemon on it, drives a mixed load from several client threads (deposits,
proposals, votes by M signers, executions; half of every kind of write with
an Idempotency-Key, half without; slow clients that send deposit bodies in
pieces), and stops the daemon at a random instant: kill -9 (crash) or
SIGTERM (graceful stop). After every restart every write
ever acknowledged is checked again against what the daemon serves, and so
is the money: the balance must be the acknowledged deposits minus the
executed spends, no spend executed twice, no overdraft.

The client keeps its own record of every write and its answer:
  acked    a 2xx came back: it must be applied, forever;
  refused  an answer other than 2xx: it must never be applied;
  unsent   the connection was refused: it cannot have been applied;
  doubt    sent, but the connection was cut before an answer: after the
           restart it is resolved, by replaying it with its Idempotency-Key
           (Idempotent-Replayed: true means it had been applied) or, for a
           write without key, by listing (ledger, proposals, approvals).
Writes in doubt that were applied are counted ("applied without answer").
After a kill -9 they are expected: the daemon died between its commit and
its answer. After a SIGTERM they are a finding: a graceful stop must answer
every write it applied.

Signatures and proposal ids are computed here, independently of treasuryd,
by the functional tests' pure-Python signer (tests/functional/signers.py).
Nothing here is timed: the random instants only choose where a stop hits.
"""

import collections
import http.client
import itertools
import json
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
FUNCTIONAL = os.path.join(os.path.dirname(HERE), "functional")
sys.path.insert(0, FUNCTIONAL)

import framework  # noqa: E402
import signers as sg  # noqa: E402

ASSET = "USDC"
DECIMALS = 6
TREASURY = "camp"
THRESHOLD = 2
HTTP_TIMEOUT_S = 120        # a hang detector, not an assertion on speed
STOP_WAIT_S = 120           # SIGTERM must end the daemon; this only bounds a hang
DEPOSITORS = 3
SPENDERS = 2
TRICKLERS = 24
# A graceful stop waits this long for requests in flight (config option
# shutdown_timeout, 10 s by default): short, so that the slow clients below
# are still sending when it runs out, and the cycles stay quick.
SHUTDOWN_TIMEOUT_S = 1
CONFIG = "shutdown_timeout = %d\n" % SHUTDOWN_TIMEOUT_S
STATUS_RANK = {"pending": 0, "approved": 1, "executed": 2}


class Answer:
    """What the client saw of one request."""

    def __init__(self, sent, status=None, headers=None, body=None):
        self.sent = sent
        self.status = status
        self.headers = {k.lower(): v for k, v in (headers or [])}
        self.body = body

    @property
    def replayed(self):
        return self.headers.get("idempotent-replayed") == "true"

    def __repr__(self):
        return "Answer(sent=%s, status=%s, body=%r)" % (
            self.sent, self.status, str(self.body)[:200])


def call_slowly(port, path, body, token, pauses):
    """A POST whose body is sent in len(pauses) + 1 pieces, each but the
    first after pause() returns (a slow client: a phone on a bad network).
    Raw HTTP/1.1 on a socket, so that the pieces really are separate."""
    data = json.dumps(body).encode()
    head = ("POST %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
            "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
            "Content-Length: %d\r\nConnection: close\r\n\r\n"
            % (path, port, token, len(data))).encode()
    cuts = sorted(random.sample(range(1, len(data)), len(pauses)))
    pieces = [data[a:b] for a, b in zip([0] + cuts, cuts + [len(data)])]
    try:
        sock = socket.create_connection(("127.0.0.1", port),
                                        timeout=HTTP_TIMEOUT_S)
    except OSError:
        return Answer(sent=False)
    try:
        sock.sendall(head + pieces[0])
        for pause, piece in zip(pauses, pieces[1:]):
            pause()
            sock.sendall(piece)
        raw = b""
        while True:
            got = sock.recv(65536)
            if not got:
                break
            raw += got
    except OSError:
        return Answer(sent=True)
    finally:
        sock.close()
    head_text, _, payload = raw.partition(b"\r\n\r\n")
    m = re.match(rb"HTTP/1\.[01] ([0-9]{3})", head_text)
    if not m:
        return Answer(sent=True)
    headers = [tuple(x.split(": ", 1)) for x in
               head_text.decode("latin-1").split("\r\n")[1:] if ": " in x]
    try:
        parsed = json.loads(payload) if payload else None
    except ValueError:
        parsed = payload.decode("utf-8", "replace")
    return Answer(True, int(m.group(1)), headers, parsed)


def call(port, method, path, body, token, key=None):
    """One request on a fresh connection; never raises for the network."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=HTTP_TIMEOUT_S)
    try:
        try:
            conn.connect()
        except OSError:
            return Answer(sent=False)
        headers = {"Authorization": "Bearer " + token}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if key is not None:
            headers["Idempotency-Key"] = key
        try:
            conn.request(method, path, body=data, headers=headers)
            resp = conn.getresponse()
            raw = resp.read()
        except (OSError, http.client.HTTPException):
            return Answer(sent=True)
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode("utf-8", "replace")
        return Answer(True, resp.status, resp.getheaders(), parsed)
    finally:
        conn.close()


class Write:
    """One write request and what became of it."""

    def __init__(self, kind, path, body, token, key, cycle, mode, **about):
        self.kind = kind            # deposit, propose, vote, execute
        self.path = path
        self.body = body
        self.token = token
        self.key = key
        self.cycle = cycle
        self.mode = mode            # kill9, sigterm, diskfull
        self.about = about          # ref / memo / pid / signer / amount
        self.state = None           # acked, refused, unsent, doubt
        self.applied = None         # for doubt: True / False once resolved
        self.answer = None

    def describe(self):
        return "%s %s (cycle %d %s, key %s, %s)" % (
            self.kind, self.about, self.cycle, self.mode,
            "yes" if self.key else "no", self.state)


class Model:
    """The client-side record of everything sent."""

    def __init__(self):
        self.lock = threading.Lock()
        self.writes = []
        self.deposits = {}          # ref -> Write
        self.proposals = {}         # memo -> Write (propose)
        self.pid_memo = {}          # pid -> memo
        self.votes = collections.defaultdict(list)     # pid -> [Write]
        self.executes = collections.defaultdict(list)  # pid -> [Write]
        self.min_status = {}        # pid -> highest status acknowledged
        self.findings = []
        self.rechecks = 0
        self.statuses = collections.Counter()

    def add(self, w, answer):
        w.answer = answer
        if not answer.sent:
            w.state = "unsent"
        elif answer.status is None:
            w.state = "doubt"
        elif 200 <= answer.status < 300:
            w.state = "acked"
        else:
            w.state = "refused"
        with self.lock:
            self.writes.append(w)
            if answer.status is not None:
                self.statuses["%s %d" % (w.kind, answer.status)] += 1
            if w.kind == "deposit":
                self.deposits[w.about["ref"]] = w
            elif w.kind == "propose":
                self.proposals[w.about["memo"]] = w
                if w.state == "acked":
                    self.pid_memo[answer.body["id"]] = w.about["memo"]
                    self.raise_status(answer.body["id"], "pending")
            elif w.kind == "vote":
                self.votes[w.about["pid"]].append(w)
                if w.state == "acked":
                    self.raise_status(w.about["pid"], answer.body.get("status"))
            elif w.kind == "execute":
                self.executes[w.about["pid"]].append(w)
                if w.state == "acked":
                    self.raise_status(w.about["pid"], "executed")
                    fresh = [x for x in self.executes[w.about["pid"]]
                             if x.state == "acked" and not x.answer.replayed]
                    if len(fresh) > 1:
                        self.finding("spend %s acknowledged as executed %d "
                                     "times" % (w.about["pid"], len(fresh)))
        return w

    def raise_status(self, pid, status):
        if status in STATUS_RANK and STATUS_RANK[status] >= STATUS_RANK.get(
                self.min_status.get(pid), -1):
            self.min_status[pid] = status

    def finding(self, text):
        self.findings.append(text)
        print("FINDING: " + text, flush=True)

    def acked(self, kind=None):
        return [w for w in self.writes if w.state == "acked" and
                (kind is None or w.kind == kind)]


class Campaign:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.model = Model()
        self.root = tempfile.mkdtemp(prefix="treasuryd-reliability-")
        self.ctx = framework.Context(os.path.abspath(args.treasuryd),
                                     os.path.dirname(os.path.dirname(HERE)),
                                     self.root)
        self.signers = sg.signers(TREASURY, "ese")
        self.cycle = 0
        self.cycles = collections.Counter()
        self.applied_unanswered = collections.Counter()
        self.diskfull_note = "not run"
        self.serial = itertools.count(1)

    # ---- the daemon ----

    def new_node(self, name, db_path=None):
        conf = os.path.join(self.root, name + ".conf")
        with open(conf, "w") as f:
            f.write(CONFIG)
        return self.ctx.node(name=name, db_path=db_path,
                             extra_args=["--config", conf])

    def setup(self, node):
        self.node = node
        self.stderr_mark = 0
        node.start()
        self.treasurer = node.create_token("camp-treasurer", "treasurer")
        self.signer_token = node.create_token("camp-signer", "signer")
        self.viewer = node.create_token("camp-viewer", "viewer")
        r = node.post("/v1/assets", {"code": ASSET, "decimals": DECIMALS,
                                     "chain": "ethereum"})
        framework.assert_equal(r.status, 201, "create asset: %r" % r)
        r = node.post("/v1/treasuries", {
            "id": TREASURY, "threshold": THRESHOLD,
            "signers": [s.as_json() for s in self.signers]})
        framework.assert_equal(r.status, 201, "create treasury: %r" % r)
        r = node.get("/v1/info")
        self.instance = r.json["instance"]

    def start(self):
        self.stderr_mark = len(self.node.stderr()) if os.path.exists(
            self.node.stderr_path) else 0
        self.node.start()

    def new_error_lines(self):
        text = self.node.stderr()[self.stderr_mark:]
        return [line for line in text.splitlines()
                if re.match(r"<[0-3]>", line)]

    # ---- load ----

    def post(self, rng, kind, path, body, token, mode, **about):
        """Send a write, half of the time with an Idempotency-Key."""
        key = None
        if rng.random() < 0.5:
            key = "%s-%d-%d" % (kind, self.cycle, next(self.serial))
        w = Write(kind, path, body, token, key, self.cycle, mode, **about)
        return self.model.add(w, call(self.node.port, "POST", path, body,
                                      token, key))

    def trickler(self, k, stop, mode):
        """Deposits without Idempotency-Key from a slow client: its body
        arrives in pieces, so some are half sent when a stop comes."""
        rng = random.Random(self.rng.random())
        i = 0
        while not stop.is_set():
            i += 1
            ref = "t%d-%d-%d" % (self.cycle, k, i)
            minor = rng.randint(1, 1000) * 10 ** DECIMALS
            body = {"asset": ASSET, "amount": sg.minor_text(minor, DECIMALS),
                    "reference": ref}
            path = "/v1/treasuries/%s/deposits" % TREASURY
            w = Write("deposit", path, body, self.treasurer, None, self.cycle,
                      mode, ref=ref, minor=minor)
            pauses = [lambda: time.sleep(rng.uniform(0, 0.3))
                      for _ in range(rng.randint(0, 2))]
            pauses.append(lambda: self.last_piece_pause(rng))
            self.model.add(w, call_slowly(self.node.port, path, body,
                                          self.treasurer, pauses))
            if w.state in ("unsent", "doubt") or w.answer.status == 503:
                return

    def last_piece_pause(self, rng):
        """A short pause; but once a SIGTERM was sent, wait until about when
        its drain runs out (shutdown_timeout after it), so that bodies
        complete on both sides of that instant."""
        if not self.sigterm_sent.wait(rng.uniform(0, 0.3)):
            return
        deadline = self.sigterm_at + SHUTDOWN_TIMEOUT_S
        time.sleep(max(0.0, deadline + rng.uniform(-0.01, 0.12) -
                       time.monotonic()))

    def depositor(self, k, stop, mode):
        rng = random.Random(self.rng.random())
        i = 0
        while not stop.is_set():
            i += 1
            ref = "d%d-%d-%d" % (self.cycle, k, i)
            minor = rng.randint(1, 1000) * 10 ** DECIMALS + rng.randint(0, 999999)
            w = self.post(rng, "deposit", "/v1/treasuries/%s/deposits" % TREASURY,
                          {"asset": ASSET, "amount": sg.minor_text(minor, DECIMALS),
                           "reference": ref}, self.treasurer, mode,
                          ref=ref, minor=minor)
            if w.state in ("unsent", "doubt") or w.answer.status == 503:
                return

    def spender(self, k, stop, mode):
        rng = random.Random(self.rng.random())
        i = 0
        while not stop.is_set():
            i += 1
            memo = "s%d-%d-%d" % (self.cycle, k, i)
            minor = rng.randint(1, 50) * 10 ** DECIMALS
            body = {"kind": "transfer", "asset": ASSET,
                    "amount": sg.minor_text(minor, DECIMALS),
                    "to": "dest-%d" % k, "memo": memo}
            w = self.post(rng, "propose", "/v1/treasuries/%s/proposals" % TREASURY,
                          body, self.signer_token, mode, memo=memo, minor=minor)
            if w.state != "acked":
                return
            pid = w.answer.body["id"]
            status = "pending"
            for s in rng.sample(self.signers, THRESHOLD):
                vote = {"signer": s.name, "decision": "approve",
                        "signature": s.sign_vote(pid, "approve")}
                v = self.post(rng, "vote", "/v1/proposals/%s/votes" % pid, vote,
                              self.signer_token, mode, pid=pid, signer=s.name)
                if v.state != "acked":
                    return
                status = v.answer.body.get("status")
            if status != "approved":
                self.model.finding("%d approvals left %s %s" % (
                    THRESHOLD, pid, status))
                return
            # sometimes two executions race for the same spend
            racers = 2 if rng.random() < 0.3 else 1
            threads = [threading.Thread(target=self.execute, args=(
                random.Random(rng.random()), pid, mode)) for _ in range(racers)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            if any(x.state in ("unsent", "doubt") for x in
                   self.model.executes[pid]):
                return

    def execute(self, rng, pid, mode):
        return self.post(rng, "execute", "/v1/proposals/%s/execute" % pid, {},
                         self.treasurer, mode, pid=pid)

    def drive(self, mode, stopper):
        """Load until stopper() has stopped the daemon."""
        stop = threading.Event()
        self.sigterm_sent = threading.Event()
        threads = [threading.Thread(target=self.depositor, args=(k, stop, mode))
                   for k in range(DEPOSITORS)]
        threads += [threading.Thread(target=self.spender, args=(k, stop, mode))
                    for k in range(SPENDERS)]
        threads += [threading.Thread(target=self.trickler, args=(k, stop, mode))
                    for k in range(TRICKLERS)]
        for t in threads:
            t.start()
        try:
            stopper()
        finally:
            stop.set()
            for t in threads:
                t.join()

    # ---- reading the daemon ----

    def get(self, path):
        a = call(self.node.port, "GET", path, None, self.viewer)
        if a.status != 200:
            raise framework.TestFailure("GET %s: %r" % (path, a))
        return a.body

    def all_pages(self, path, key):
        items, cursor = [], None
        while True:
            q = "?limit=500" + ("&cursor=" + cursor if cursor else "")
            page = self.get(path + q)
            items += page[key]
            cursor = page["next_cursor"]
            if cursor is None:
                return items

    def snapshot(self):
        ledger = self.all_pages("/v1/treasuries/%s/ledger" % TREASURY, "entries")
        props = self.all_pages("/v1/treasuries/%s/proposals" % TREASURY,
                               "proposals")
        balances = self.get("/v1/treasuries/%s/balances" % TREASURY)["balances"]
        return ledger, props, balances

    # ---- after a restart ----

    def resolve_doubts(self, mode):
        """Decide, for every write of this cycle sent without an answer,
        whether the daemon applied it; count those it did."""
        ledger, props, _ = self.snapshot()
        refs = {e.get("reference") for e in ledger if e.get("kind") == "deposit"}
        by_memo = {memo_of(p): p for p in props}
        by_pid = {p["id"]: p for p in props}
        doubts = [w for w in self.model.writes
                  if w.state == "doubt" and w.applied is None]
        for w in doubts:
            if w.key is not None:
                a = call(self.node.port, "POST", w.path, w.body, w.token, w.key)
                if a.status is not None and 200 <= a.status < 300:
                    w.applied = a.replayed
                    if not a.replayed:       # applied now, by this replay
                        self.model.add(Write(w.kind, w.path, w.body, w.token,
                                             w.key, self.cycle, mode + "-retry",
                                             **w.about), a)
                elif a.status is not None and 400 <= a.status < 500:
                    w.applied = False
                else:
                    raise framework.TestFailure("replay of %s: %r"
                                                % (w.describe(), a))
            elif w.kind == "deposit":
                w.applied = w.about["ref"] in refs
            elif w.kind == "propose":
                p = by_memo.get(w.about["memo"])
                w.applied = p is not None
                if p is not None:
                    self.model.pid_memo[p["id"]] = w.about["memo"]
            elif w.kind == "vote":
                p = by_pid.get(w.about["pid"])
                w.applied = p is not None and w.about["signer"] in {
                    v["signer"] for v in p["approvals"]}
            elif w.kind == "execute":
                pid = w.about["pid"]
                others = [x for x in self.model.executes[pid]
                          if x is not w and (x.state == "acked" or x.applied)]
                p = by_pid.get(pid)
                w.applied = bool(p and p["status"] == "executed" and not others)
            if w.applied:
                self.applied_unanswered[mode] += 1
                if mode == "sigterm":
                    self.model.finding(
                        "SIGTERM: the daemon applied a write and never "
                        "answered it: %s" % w.describe())

    def check(self, what):
        """Every acknowledged write is there; nothing else is; the money adds
        up. Each comparison is one re-check."""
        m = self.model
        ledger, props, balances = self.snapshot()
        n = 0

        def expect(cond, text):
            nonlocal n
            n += 1
            if not cond:
                m.finding("%s: %s" % (what, text))

        deposits = [e for e in ledger if e.get("kind") == "deposit"]
        debits = [e for e in ledger if e.get("kind") == "transfer"]
        by_ref = {}
        for e in deposits:
            expect(e["reference"] not in by_ref,
                   "reference %s in the ledger twice" % e["reference"])
            by_ref[e["reference"]] = e
        credited = 0
        for ref, w in m.deposits.items():
            e = by_ref.get(ref)
            if w.state == "acked":
                entry = w.answer.body.get("entry", w.answer.body)
                expect(e is not None, "acknowledged deposit %s lost" % ref)
                if e is not None:
                    expect(e["seq"] == entry["seq"] and
                           e["amount"] == entry["amount"],
                           "deposit %s changed: %r, acknowledged %r"
                           % (ref, e, entry))
            elif w.state == "doubt" and w.applied:
                expect(e is not None, "applied deposit %s lost" % ref)
            else:
                expect(e is None, "deposit %s (%s) is in the ledger"
                       % (ref, w.describe()))
            if e is not None:
                credited += sg.amount_minor(e["amount"], DECIMALS)
                expect(sg.amount_minor(e["amount"], DECIMALS) ==
                       w.about["minor"], "deposit %s amount" % ref)
        for ref in by_ref:
            expect(ref in m.deposits, "deposit %s was never sent" % ref)

        by_pid = {p["id"]: p for p in props}
        debit_count = collections.Counter(e.get("proposal") for e in debits)
        spent = 0
        for p in props:
            expect(sg.proposal_id(p["canonical"]).hex() == p["id"],
                   "proposal id is the hash of its canonical text")
            memo = memo_of(p)
            w = m.proposals.get(memo)
            expect(w is not None and (w.state == "acked" or w.applied),
                   "proposal %s (memo %r) was never acknowledged nor "
                   "applied" % (p["id"], memo))
            executed = p["status"] == "executed"
            expect(debit_count[p["id"]] == (1 if executed else 0),
                   "proposal %s %s has %d debits" % (
                       p["id"], p["status"], debit_count[p["id"]]))
            if executed:
                spent += sg.amount_minor(dict(sg.parse_canonical(
                    p["canonical"]))["amount"], DECIMALS)
                expect(any(x.state == "acked" or x.applied
                           for x in m.executes[p["id"]]),
                       "proposal %s executed without an execute that was "
                       "acknowledged or applied" % p["id"])
            if p["status"] in ("approved", "executed"):
                expect(p["approval_count"] >= THRESHOLD,
                       "%s with %d approvals" % (p["status"],
                                                 p["approval_count"]))
        memos = {memo_of(p) for p in props}
        for memo, w in m.proposals.items():
            if w.state == "acked":
                pid = w.answer.body["id"]
                expect(pid in by_pid, "acknowledged proposal %s lost" % pid)
            elif w.state in ("refused", "unsent") or w.applied is False:
                expect(memo not in memos, "proposal %s (%s) exists"
                       % (memo, w.describe()))
        for pid, want in m.min_status.items():
            p = by_pid.get(pid)
            if p is None:
                continue
            expect(STATUS_RANK.get(p["status"], -1) >= STATUS_RANK[want],
                   "proposal %s is %s, acknowledged %s" % (pid, p["status"], want))
        for pid, ws in m.votes.items():
            p = by_pid.get(pid)
            approvals = {v["signer"]: v["signature"]
                         for v in (p["approvals"] if p else [])}
            for w in ws:
                if w.state == "acked" or w.applied:
                    expect(approvals.get(w.about["signer"]) ==
                           w.body["signature"],
                           "vote %s lost or changed" % w.describe())
                elif w.state == "refused" or w.applied is False:
                    other = any(x is not w and (x.state == "acked" or x.applied)
                                and x.about["signer"] == w.about["signer"]
                                for x in ws)
                    expect(other or w.about["signer"] not in approvals,
                           "vote %s was applied" % w.describe())
        for pid, ws in m.executes.items():
            if any(x.state == "acked" for x in ws):
                expect(by_pid.get(pid, {}).get("status") == "executed",
                       "acknowledged execution of %s undone" % pid)

        running, chain_ok = 0, True
        for e in sorted(ledger, key=lambda e: e["seq"]):
            v = sg.amount_minor(e["amount"], DECIMALS)
            running += -v if e["kind"] == "transfer" else v
            expect(running >= 0, "overdraft at ledger seq %d" % e["seq"])
            after = sg.amount_minor(e["balance_after"], DECIMALS)
            if chain_ok:        # after the first break, every entry differs
                expect(after == running, "balance_after of seq %d is %s, the "
                       "running sum %s" % (e["seq"], e["balance_after"],
                                           sg.minor_text(running, DECIMALS)))
                chain_ok = after == running
        want = sg.minor_text(credited - spent, DECIMALS)
        got = {b["asset"]: b["amount"] for b in balances}.get(ASSET, "0.000000")
        expect(got == want, "balance %s, want acknowledged and applied "
               "deposits minus executed spends = %s" % (got, want))
        m.rechecks += n

    # ---- the loops ----

    def first_faults_possible(self, timeout_s=120.0):
        """--self-test, first cycle: wait (bounded) until the load has an
        acknowledged deposit and an acknowledged execution, which
        inject_faults damages; on a loaded machine (an ASan build beside
        other tests) 0.3 s of load may not have made them yet."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.model.acked("deposit") and any(
                    any(x.state == "acked" for x in ws)
                    for ws in list(self.model.executes.values())):
                return
            time.sleep(0.05)

    def stop_at_random(self, how):
        def stopper():
            if self.args.self_test and self.cycle == 1:
                self.first_faults_possible()
            time.sleep(self.rng.uniform(0.3, 1.5))   # where the stop hits
            if how == "kill9":
                self.node.kill9()
                return
            self.sigterm_at = time.monotonic()
            self.node.proc.send_signal(signal.SIGTERM)
            self.sigterm_sent.set()
            try:
                rc = self.node.proc.wait(timeout=STOP_WAIT_S)
            except subprocess.TimeoutExpired:
                self.model.finding("SIGTERM: the daemon did not exit")
                self.node.kill9()
                return
            self.node._stderr.close()
            self.node.proc = None
            if rc != 0:
                self.model.finding("SIGTERM: exit status %d" % rc)
            for line in self.new_error_lines():
                self.model.finding("SIGTERM: logged " + line)
        return stopper

    def inject_faults(self):
        """--self-test: while the daemon is down, damage the database the way
        a lost write, a double execution and a phantom write would, so that
        the checks after the restart must report each."""
        acked = [w for w in self.model.acked("deposit")]
        spent = [pid for pid, ws in self.model.executes.items()
                 if any(x.state == "acked" for x in ws)]
        if not acked or not spent:
            raise framework.TestFailure("self-test: the first cycle made no "
                                        "acknowledged deposit and execution")
        lost = acked[0].about["ref"]
        db = sqlite3.connect(self.node.db_path)
        try:
            with db:
                db.execute("DELETE FROM ledger WHERE kind = 'deposit' AND "
                           "reference = ?", (lost,))
                db.execute("INSERT INTO ledger (treasury_id, kind, asset, "
                           "amount, balance_after, reference, source, to_dest, "
                           "memo, proposal_id, created_at) SELECT treasury_id, "
                           "kind, asset, amount, balance_after, reference, "
                           "source, to_dest, memo, proposal_id, created_at "
                           "FROM ledger WHERE proposal_id = ?",
                           (bytes.fromhex(spent[0]),))
                db.execute("INSERT INTO ledger (treasury_id, kind, asset, "
                           "amount, balance_after, reference, source, to_dest, "
                           "memo, proposal_id, created_at) VALUES (?, "
                           "'deposit', ?, '1', '1', 'never-sent', '', '', '', "
                           "NULL, 0)", (TREASURY, ASSET))
        finally:
            db.close()
        return ["acknowledged deposit %s lost" % lost,
                "proposal %s executed has 2 debits" % spent[0],
                "deposit never-sent was never sent",
                "balance_after of seq", "balance "]

    def run_cycles(self, how, count):
        for _ in range(count):
            self.cycle += 1
            self.drive(how, self.stop_at_random(how))
            if self.args.self_test and self.cycle == 1:
                self.injected = self.inject_faults()
            self.start()
            self.resolve_doubts(how)
            self.check("after %s cycle %d" % (how, self.cycle))
            self.cycles[how] += 1
            doubts = [w for w in self.model.writes
                      if w.cycle == self.cycle and w.state == "doubt"]
            print("%-7s cycle %3d: %6d acknowledged writes, %d cut without "
                  "answer (%d applied), %d findings"
                  % (how, self.cycle, len(self.model.acked()), len(doubts),
                     sum(1 for w in doubts if w.applied),
                     len(self.model.findings)), flush=True)

    def disk_full(self):
        """As root: the database on a small tmpfs, filled up under load."""
        if os.geteuid() != 0:
            self.diskfull_note = "skipped (not root: cannot mount a tmpfs)"
            print("disk-full: " + self.diskfull_note, flush=True)
            return
        mnt = os.path.join(self.root, "tmpfs")
        os.makedirs(mnt)
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m,mode=0700",
                            "tmpfs", mnt], capture_output=True, text=True)
        if r.returncode != 0:
            self.diskfull_note = "skipped (mount failed: %s)" % r.stderr.strip()
            print("disk-full: " + self.diskfull_note, flush=True)
            return
        saved = (self.node, self.model, self.treasurer, self.signer_token,
                 self.viewer)
        try:
            self.model = Model()
            self.cycle += 1
            node = self.new_node("diskfull", os.path.join(mnt, "treasury.db"))
            self.setup(node)
            filler = os.path.join(mnt, "filler")
            fill(filler)
            full = self.burst("diskfull", 200)
            os.unlink(filler)
            after = self.burst("diskfull-freed", 200)
            seen = collections.Counter(
                w.answer.status for w in full if w.answer.status is not None)
            self.diskfull_note = "while full: %s; after freeing: %d of %d acked" % (
                ", ".join("%d x%d" % kv for kv in sorted(seen.items())),
                sum(1 for w in after if w.state == "acked"), len(after))
            for st in seen:
                # a full disk is 503 storage-full, never a 500 (#18, 8)
                if st not in (201, 503):
                    self.model.finding("disk full: answered %d" % st)
            if not any(st == 503 for st in seen):
                self.model.finding("disk full: no write was refused while "
                                   "the disk was full")
            if node.proc.poll() is not None:
                self.model.finding("disk full: the daemon died")
                node.proc = None
                self.start()
            if not any(w.state == "acked" for w in after):
                self.model.finding("disk full: no write acknowledged after "
                                   "space was freed (no recovery)")
            self.resolve_doubts("diskfull")
            self.check("disk full, space freed")
            node.stop(check=False)
            self.start()
            self.check("disk full, after a restart")
            node.stop(check=False)
            print("disk-full: " + self.diskfull_note, flush=True)
        finally:
            subprocess.run(["umount", "-l", mnt], capture_output=True)
            diskfull_model = self.model
            self.node, self.model = saved[0], saved[1]
            self.treasurer, self.signer_token, self.viewer = saved[2:]
            self.model.findings += diskfull_model.findings
            self.model.rechecks += diskfull_model.rechecks
            self.diskfull_acked = len(diskfull_model.acked())

    def burst(self, mode, count):
        """count deposits one after another (the daemon stays up)."""
        out = []
        for i in range(count):
            ref = "f%d-%s-%d" % (self.cycle, mode, i)
            minor = (i + 1) * 10 ** DECIMALS
            out.append(self.post(self.rng, "deposit", "/v1/treasuries/%s/deposits"
                                 % TREASURY, {"asset": ASSET,
                                              "amount": sg.minor_text(minor, DECIMALS),
                                              "reference": ref},
                                 self.treasurer, mode, ref=ref, minor=minor))
            if out[-1].state in ("unsent", "doubt"):
                break
        return out


def memo_of(p):
    return dict(sg.parse_canonical(p["canonical"])).get("memo")


def fill(path):
    """Write zeros to path until the file system is full (unbuffered, down
    to single bytes)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        for size in (1 << 20, 1 << 16, 4096, 512, 1):
            chunk = b"\0" * size
            try:
                while os.write(fd, chunk) > 0:
                    pass
            except OSError:
                pass
    finally:
        os.close(fd)


def self_test(args):
    """One kill -9 cycle with faults injected: every one must be reported
    (the checks can fail). Exit 0 when they all are."""
    args.cycles, args.sigterm_cycles, args.disk_full = 1, 0, False
    c = Campaign(args)
    try:
        c.setup(c.new_node("node"))
        c.run_cycles("kill9", 1)
        c.node.stop(check=False)
    finally:
        c.ctx.cleanup()
    missed = [want for want in c.injected
              if not any(want in f for f in c.model.findings)]
    print("self-test: %d findings for %d injected faults; missed: %r"
          % (len(c.model.findings), len(c.injected), missed), flush=True)
    if not missed:
        shutil.rmtree(c.root, ignore_errors=True)
    return 1 if missed else 0


def run(args):
    if args.self_test:
        return self_test(args)
    c = Campaign(args)
    ok = False
    try:
        c.setup(c.new_node("node"))
        c.run_cycles("kill9", args.cycles)
        c.run_cycles("sigterm", args.sigterm_cycles)
        c.node.stop(check=False)
        r = subprocess.run([c.ctx.treasuryd, "check", "--db", c.node.db_path],
                           capture_output=True, text=True)
        if r.returncode != 0:
            c.model.finding("treasuryd check: %s %s" % (r.stdout, r.stderr))
        if args.disk_full:
            c.disk_full()
        ok = True
    finally:
        c.ctx.cleanup()
        m = c.model
        print("reliability: %d kill -9 cycles, %d SIGTERM cycles, %d acknowledged "
              "writes, %d applied without answer (kill -9: %d, SIGTERM: %d), "
              "%d re-checks, disk full: %s, %d findings"
              % (c.cycles["kill9"], c.cycles["sigterm"],
                 len(m.acked()) + getattr(c, "diskfull_acked", 0),
                 sum(c.applied_unanswered.values()),
                 c.applied_unanswered["kill9"], c.applied_unanswered["sigterm"],
                 m.rechecks, c.diskfull_note, len(m.findings)), flush=True)
        if ok and not m.findings and not args.keep:
            shutil.rmtree(c.root, ignore_errors=True)
        else:
            print("reliability: files kept in " + c.root)
    return 0 if ok and not c.model.findings else 1
