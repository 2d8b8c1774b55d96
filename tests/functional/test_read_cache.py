"""GET balances from memory (issue #16, api/cache.c): the answer a thread
keeps is served again only while no commit became visible since, so every
answer equals what the database holds now; a token revoked or made by
`treasuryd token` in another process is seen by the very next request.

The tests compare each answer with the database itself (Python's sqlite3,
read-only), never with an earlier answer alone, and they make enough
requests that both of the daemon's HTTP threads serve from memory.
"""

import json
import os
import sqlite3
import threading

import signers as sg
from framework import assert_equal, assert_problem, assert_true, sqlite_only
from treasury_helpers import freeze_sig, setup

ROUNDS = 40     # requests per check: both HTTP threads, hits and misses
# A trust bound far longer than any test: what these tests see of a change
# cannot come from the bound running out, only from the counts and the
# changes word (api/cache.c).
TRUST_MS = 60000


def start(ctx):
    conf = os.path.join(ctx.tmpdir("cfg"), "treasuryd.conf")
    with open(conf, "w") as f:
        f.write("memory_answers_ms = %d\n" % TRUST_MS)
    return setup(ctx, extra_args=["--config", conf])


def db_balances(node, tid):
    """{asset: minor units} straight from the database file."""
    con = sqlite3.connect("file:%s?mode=ro" % node.db_path, uri=True)
    try:
        rows = con.execute("SELECT asset, amount FROM balances WHERE "
                           "treasury_id = ?", (tid,)).fetchall()
    finally:
        con.close()
    return {a: int(v) for a, v in rows}


def minor(text, decimals):
    whole, _, frac = text.partition(".")
    return int(whole) * 10 ** decimals + int((frac or "0").ljust(decimals, "0"))


def answers(node, tid, token):
    """ROUNDS answers of GET balances: (status, content type, body)."""
    out = set()
    for _ in range(ROUNDS):
        r = node.get("/v1/treasuries/%s/balances" % tid, token=token)
        out.add((r.status, r.header("Content-Type"), r.body))
    return out


def from_memory(node):
    """treasuryd_answers_from_memory_total: {"token": n, "balances": n}."""
    r = node.get("/v1/metrics")
    assert_equal(r.status, 200, "metrics")
    out = {}
    for line in r.body.splitlines():
        if line.startswith("treasuryd_answers_from_memory_total{what=\""):
            what = line.split('"')[1]
            out[what] = int(line.split()[-1])
    assert_equal(sorted(out), ["balances", "token", "treasury"],
                 "the three counters")
    return out


def one_answer(node, tid, token, c):
    got = answers(node, tid, token)
    assert_equal(len(got), 1, "every GET gives the same answer: %r" % got)
    status, ctype, body = got.pop()
    assert_equal((status, ctype), (200, "application/json"), body)
    r = node.get("/v1/treasuries/%s/balances" % tid, token=token)
    shown = {b["asset"]: minor(b["amount"], c.decimals[b["asset"]])
             for b in r.json["balances"]}
    assert_equal(shown, db_balances(node, tid), "the answer is the database")
    return body


@sqlite_only("memory answers: PostgreSQL has no data_version or changes file, so every read goes to the database there")
def test_balances_follow_every_commit(ctx):
    node, c = start(ctx)
    c.asset_ok("USDC", 6)
    c.asset_ok("WEI", 18)
    a, b = sg.signers("mem", "es")
    c.treasury_ok("mem", 2, [a, b])
    c.treasury_ok("other", 2, list(sg.signers("other", "es")))
    viewer = c.viewer
    assert_equal(one_answer(node, "mem", viewer, c),
                 '{"treasury":"mem","balances":[]}', "no balances yet")
    seen = set()
    for i in range(1, 6):
        c.deposit_ok("mem", "USDC", "%d.000001" % i, "u%d" % i)
        # the first GET after the commit already shows it
        r = node.get("/v1/treasuries/mem/balances", token=viewer)
        assert_true(r.body not in seen, "a new answer after deposit %d" % i)
        body = one_answer(node, "mem", viewer, c)
        assert_equal(r.body, body, "the first answer is the kept one")
        seen.add(body)
        # a commit to another treasury changes nothing here, and the
        # answer stays what the database holds
        c.deposit_ok("other", "WEI", "0.%018d" % i, "w%d" % i)
        assert_equal(one_answer(node, "mem", viewer, c), body,
                     "unchanged by another treasury's deposit")
    hits = from_memory(node)
    assert_true(hits["balances"] >= 5 * 2 * (ROUNDS - 2) and
                hits["token"] >= hits["balances"],
                "most answers came from memory: %r" % hits)
    c.deposit_ok("mem", "WEI", "340282366920938463463.374607431768211455",
                 "max")
    body = one_answer(node, "mem", viewer, c)
    assert_true("340282366920938463463.374607431768211455" in body, body)
    # what is not kept: other answers, other formats, unknown treasuries
    assert_problem(node.get("/v1/treasuries/nope/balances", token=viewer),
                   404, "unknown-treasury")
    r = node.get("/v1/treasuries/mem/balances?format=csv", token=viewer)
    assert_equal(r.status, 200, r.body)
    assert_true(r.header("Content-Type").startswith("text/csv"), r.body)
    assert_problem(node.get("/v1/treasuries/mem/balances?x=1", token=viewer),
                   400, "invalid-query")
    node.stop()


@sqlite_only("memory answers: PostgreSQL has no data_version or changes file, so every read goes to the database there")
def test_tokens_from_another_process_are_seen_at_once(ctx):
    node, c = start(ctx)
    c.asset_ok("USDC", 6)
    c.treasury_ok("mem", 2, list(sg.signers("mem", "es")))
    c.deposit_ok("mem", "USDC", "1", "d1")
    changes = node.db_path + "-changes"
    assert_true(os.path.isfile(changes), "the daemon made %s" % changes)
    assert_equal(os.path.getsize(changes), 8, "8 bytes")
    for round_ in range(3):
        tok = node.create_token("late-%d" % round_, "viewer")
        # made by another process, used at once: found in the database
        # (a new token is never in a cache), then kept by both threads
        before = from_memory(node)["token"]
        one_answer(node, "mem", tok, c)
        assert_true(from_memory(node)["token"] >= before + ROUNDS - 2,
                    "the token came from memory")
        with open(changes, "rb") as f:
            before = f.read()
        r = node.token_cmd("revoke", "--name", "late-%d" % round_)
        assert_equal(r.returncode, 0, r.stderr)
        with open(changes, "rb") as f:
            assert_true(f.read() != before, "revoke wrote a new value")
        # nothing the daemon committed: only the changes word tells it
        got = answers(node, "mem", tok)
        assert_equal({s for s, _, _ in got}, {401},
                     "revoked: refused by the very next request")
        one_answer(node, "mem", c.viewer, c)    # others unaffected
    assert_true(from_memory(node)["token"] > 0, "tokens from memory")
    node.stop()


@sqlite_only("memory answers: PostgreSQL has no data_version or changes file, so every read goes to the database there")
def test_without_the_changes_file_everything_is_read(ctx):
    """A changes file that cannot be made (a directory in its place): the
    daemon says so and reads every answer from the database."""
    node, c = setup(ctx)
    c.asset_ok("USDC", 6)
    c.treasury_ok("mem", 2, list(sg.signers("mem", "es")))
    node.stop()
    changes = node.db_path + "-changes"
    os.remove(changes)
    os.mkdir(changes)
    node.start()
    assert_true("every answer is read from the database" in node.stderr(),
                "the daemon says so")
    one_answer(node, "mem", c.viewer, c)
    tok = node.create_token("late", "viewer")
    one_answer(node, "mem", tok, c)
    r = node.token_cmd("revoke", "--name", "late")
    assert_equal(r.returncode, 0, r.stderr)
    assert_equal({s for s, _, _ in answers(node, "mem", tok)}, {401},
                 "revoked")
    c.deposit_ok("mem", "USDC", "2", "d2")
    one_answer(node, "mem", c.viewer, c)
    assert_equal(from_memory(node), {"token": 0, "balances": 0, "treasury": 0},
                 "nothing from memory")
    node.stop()


def freeze(c, tid, signer, seq):
    sig = freeze_sig(c, signer, tid, 1, seq)
    r = c.node.post("/v1/treasuries/%s/freeze" % tid,
                    {"signer": signer.name, "freeze": seq, "signature": sig},
                    token=c.signer_token)
    assert_equal(r.status, 200, "freeze: %r" % r)


@sqlite_only("memory answers: PostgreSQL has no data_version or changes file, so every read goes to the database there")
def test_treasury_answer_follows_a_freeze(ctx):
    """GET /v1/treasuries/{t} from memory: a freeze (a write of the
    writer) shows on the very next GET, and the frozen answer is kept."""
    node, c = start(ctx)
    a, b = sg.signers("mem", "es")
    c.treasury_ok("mem", 2, [a, b])
    viewer = c.viewer

    def treasury_answers():
        got = set()
        for _ in range(ROUNDS):
            r = node.get("/v1/treasuries/mem", token=viewer)
            assert_equal(r.status, 200, r.body)
            got.add(r.body)
        assert_equal(len(got), 1, "one answer: %r" % got)
        return json.loads(got.pop())

    before = from_memory(node)["treasury"]
    assert_equal(treasury_answers().get("frozen"), False, "not frozen")
    assert_true(from_memory(node)["treasury"] >= before + ROUNDS - 2,
                "served from memory")
    freeze(c, "mem", a, 1)
    r = node.get("/v1/treasuries/mem", token=viewer)
    assert_equal(r.json.get("frozen"), True, "the next GET shows the freeze")
    assert_equal(treasury_answers(), r.json, "and keeps showing it")
    assert_problem(node.get("/v1/treasuries/nope", token=viewer), 404,
                   "unknown-treasury")
    node.stop()


@sqlite_only("memory answers: PostgreSQL has no data_version or changes file, so every read goes to the database there")
def test_votes_from_memory_answer_as_before(ctx):
    """Votes take their token and the proposal's fixed facts from memory:
    the answers are those of the database (counts, statuses, refusals),
    a token revoked from the command line is refused at once, and an
    Idempotency-Key is still honoured."""
    node, c = start(ctx)
    c.asset_ok("USDC", 6)
    sig = sg.signers("mem", "eses")
    c.treasury_ok("mem", 3, sig)
    c.deposit_ok("mem", "USDC", "100", "d1")
    pids = [c.transfer_ok("mem", "USDC", "1")["id"] for _ in range(4)]
    before = from_memory(node)["token"]
    for pid in pids:
        c.vote_ok(pid, sig[0], want_status="pending")
        c.vote_ok(pid, sig[1], want_status="pending")
        # the same vote again: an idempotent replay with the same counts
        again = c.vote_ok(pid, sig[1], want_status="pending")
        assert_equal((again["approval_count"], again["rejection_count"]),
                     (2, 0), "counts of the replay")
        r = c.vote(pid, sig[2], decision="reject", token=c.signer_token)
        assert_equal(r.status, 200, r.body)
        assert_equal((r.json["approval_count"], r.json["rejection_count"],
                      r.json["threshold"], r.json["signer_count"]),
                     (2, 1, 3, 4), "counts after the rejection")
        # a contrary vote of one who voted: a conflict, as before
        assert_problem(c.vote(pid, sig[0], decision="reject"), 409,
                       "vote-conflict")
    hits = from_memory(node)["token"] - before
    # 20 vote requests; each HTTP thread reads the token once at least
    assert_true(hits >= 10, "most votes' tokens came from memory: %d" % hits)
    # a name that is not a signer, on a proposal whose facts are kept
    r = c.vote(pids[0], sig[3], name="mallory")
    assert_problem(r, 422, "unknown-signer")
    # sig[0]'s signature under sig[2]'s name, whose key this thread keeps
    # for pids[0]: refused by the signature check, as before
    r = c.vote(pids[0], sig[0], name=sig[2].name, decision="reject")
    assert_problem(r, 422, "signature-invalid")
    assert_equal(c.get_proposal(pids[0])["approval_count"], 2,
                 "nothing recorded by the refusals")
    # Idempotency-Key: the first answer, then its replay
    body = {"signer": sig[3].name, "decision": "approve",
            "signature": sig[3].sign_vote(pids[1], "approve", "compact",
                                          False)}
    h = {"Idempotency-Key": "vote-mem-1"}
    r1 = node.post("/v1/proposals/%s/votes" % pids[1], body,
                   token=c.signer_token, headers=h)
    r2 = node.post("/v1/proposals/%s/votes" % pids[1], body,
                   token=c.signer_token, headers=h)
    assert_equal((r1.status, r2.status), (200, 200), r2.body)
    assert_equal(r2.header("Idempotent-Replayed"), "true", "replayed")
    assert_equal(r1.json, r2.json, "the same answer")
    # a signer token revoked from the command line: the next vote is 401
    tok = node.create_token("late-signer", "signer")
    c.vote_ok(pids[2], sig[3], token=tok)
    one_answer(node, "mem", tok, c)     # kept by both threads
    r = node.token_cmd("revoke", "--name", "late-signer")
    assert_equal(r.returncode, 0, r.stderr)
    r = c.vote(pids[3], sig[3], token=tok)
    assert_equal(r.status, 401, "revoked: %r" % r)
    assert_equal(c.get_proposal(pids[3])["approval_count"], 2,
                 "the refused vote left nothing")
    node.stop()


@sqlite_only("memory answers: PostgreSQL has no data_version or changes file, so every read goes to the database there")
def test_reads_racing_commits_never_lag_an_acknowledged_write(ctx):
    """Deposits one after another while three clients read balances as
    fast as they can: every answer holds at least every deposit answered
    201 before the read was sent, and never more than was sent."""
    node, c = start(ctx)
    c.asset_ok("USDC", 6)
    c.treasury_ok("mem", 2, list(sg.signers("mem", "es")))
    viewer, deposits = c.viewer, 60
    state = {"acked": 0, "sent": 0, "done": False, "bad": [], "reads": 0}
    lock = threading.Lock()

    def writer():
        for i in range(1, deposits + 1):
            with lock:
                state["sent"] = i
            c.deposit_ok("mem", "USDC", "0.000001", "r%d" % i)
            with lock:
                state["acked"] = i
        with lock:
            state["done"] = True

    def reader():
        while True:
            with lock:
                acked, done = state["acked"], state["done"]
            r = node.get("/v1/treasuries/mem/balances", token=viewer)
            with lock:
                sent = state["sent"]
                state["reads"] += 1
            got = sum(minor(b["amount"], 6) for b in r.json["balances"]) \
                if r.status == 200 else None
            if got is None or not acked <= got <= sent:
                with lock:
                    state["bad"].append((acked, got, sent, r.status))
            if done:
                return

    threads = [threading.Thread(target=writer)] + \
        [threading.Thread(target=reader) for _ in range(3)]
    before = from_memory(node)["balances"]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert_true(not any(t.is_alive() for t in threads), "threads ended")
    assert_equal(state["bad"], [], "answers behind an acknowledged deposit")
    assert_equal(one_answer(node, "mem", viewer, c),
                 '{"treasury":"mem","balances":[{"asset":"USDC",'
                 '"amount":"0.000060"}]}', "all deposits")
    assert_true(state["reads"] > deposits, "reads raced the writes: %d"
                % state["reads"])
    assert_true(from_memory(node)["balances"] > before, "some from memory")
    node.stop()


@sqlite_only("memory answers: PostgreSQL has no data_version or changes file, so every read goes to the database there")
def test_memory_answers_off(ctx):
    """memory_answers_ms = 0: every answer is read from the database, and
    no changes file is needed or made."""
    conf = os.path.join(ctx.tmpdir("cfg"), "treasuryd.conf")
    with open(conf, "w") as f:
        f.write("memory_answers_ms = 0\n")
    node, c = setup(ctx, extra_args=["--config", conf])
    c.asset_ok("USDC", 6)
    c.treasury_ok("mem", 2, list(sg.signers("mem", "es")))
    c.deposit_ok("mem", "USDC", "1", "d1")
    one_answer(node, "mem", c.viewer, c)
    assert_equal(from_memory(node), {"token": 0, "balances": 0,
                                     "treasury": 0}, "nothing from memory")
    assert_true(not os.path.exists(node.db_path + "-changes"),
                "no changes file")
    node.stop()


def test_vote_facts_kept_from_the_proposal_answer(ctx):
    """The proposal's answer (on creation, or a GET) leaves its fixed facts
    for the votes that follow, so that they need not be read again: a vote
    answers with the same M and N as the proposal, M + 1 for a config
    change whose policy asks one approval more, and a vote under a name
    that is not a signer is still refused."""
    node, c = start(ctx)
    sig = sg.signers("facts", "ese")
    body = {"id": "facts", "threshold": 2,
            "signers": [s.as_json() for s in sig],
            "policy": {"config_threshold": 3}}
    r = node.post("/v1/treasuries", body)
    assert_equal(r.status, 201, r.body)
    c.nonces["facts"] = 0
    c.asset_ok("USDC", 6)
    c.deposit_ok("facts", "USDC", "10", "d1")
    spend = c.transfer_ok("facts", "USDC", "1")
    new = sg.signers("facts-new", "e")[0]
    config = c.propose_ok("facts", {"kind": "add-signer",
                                    "signer": new.as_json()})
    assert_equal((spend["threshold"], config["threshold"]), (2, 3),
                 "thresholds of the proposals")
    for p in (spend, config):
        v = c.vote_ok(p["id"], sig[0], want_status="pending")
        got = c.get_proposal(p["id"])
        assert_equal((v["threshold"], v["signer_count"], v["config_version"],
                      v["treasury"]),
                     (got["threshold"], 3, got["config_version"], "facts"),
                     "the vote's facts are the proposal's")
        assert_problem(c.vote(p["id"], sig[1], name="mallory"), 422,
                       "unknown-signer")
    v = c.vote_ok(config["id"], sig[1], want_status="pending")
    assert_equal((v["approval_count"], v["threshold"]), (2, 3),
                 "a config change needs M + 1")
    c.vote_ok(config["id"], sig[2], want_status="approved")
