"""treasury_helpers.py: a thin client over treasuryd's HTTP API (docs/api.md)
for the engine tests: assets, treasuries, tokens, deposits, proposals (with
the client-side check of every canonical line and of the id), votes signed
by signers.Signer, execution, balances and paginated lists.

Helpers named *_ok assert the success status and the contract fields;
the others return the framework.Response for the test to judge.
"""

import calendar
import re
import time
import urllib.parse

import signers as sg
from framework import assert_equal, assert_true, TestFailure

TS_RE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z"
DAY_S = 24 * 3600


def ts(unix_s):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(unix_s)))


def parse_ts(text):
    assert_true(re.fullmatch(TS_RE, text), "timestamp form: %r" % text)
    return calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ"))


def entry_of(resp):
    """The ledger entry of a deposit answer ("201 with the ledger entry"):
    the body itself, or its "entry" member."""
    body = resp.json
    assert_true(isinstance(body, dict), "deposit answer is an object: %r" % resp)
    if "entry" in body and isinstance(body["entry"], dict):
        return body["entry"]
    return body


def is_debit(entry):
    """A ledger entry made by an executed transfer/batch (it carries a
    proposal); deposits carry a reference."""
    kind = entry.get("kind")
    if kind is not None:
        assert_true(kind in ("deposit", "transfer"), "ledger kind %r" % kind)
        return kind == "transfer"
    return bool(entry.get("proposal"))


class Client:
    def __init__(self, node):
        self.node = node
        r = node.get("/v1/info")
        assert_equal(r.status, 200, "info")
        self.instance = r.json["instance"]
        self._tokens = {}
        self.decimals = {}
        self.nonces = {}

    # ---- tokens ----

    def token(self, roles, name=None):
        """A token with the given roles (made once per name)."""
        name = name or "t-" + roles.replace(",", "-")
        if name not in self._tokens:
            self._tokens[name] = self.node.create_token(name, roles)
        return self._tokens[name]

    @property
    def treasurer(self):
        return self.token("treasurer")

    @property
    def signer_token(self):
        return self.token("signer")

    @property
    def viewer(self):
        return self.token("viewer")

    # ---- admin ----

    def asset_ok(self, code, decimals, chain="ethereum"):
        r = self.node.post("/v1/assets", {"code": code, "decimals": decimals,
                                          "chain": chain})
        assert_equal(r.status, 201, "create asset %s: %r" % (code, r))
        self.decimals[code] = decimals
        return r.json

    def treasury_ok(self, tid, threshold, signer_list, name=None):
        body = {"id": tid, "name": name or "Treasury " + tid,
                "threshold": threshold,
                "signers": [s.as_json() for s in signer_list]}
        r = self.node.post("/v1/treasuries", body)
        assert_equal(r.status, 201, "create treasury %s: %r" % (tid, r))
        assert_equal(r.json.get("config_version"), 1,
                     "new treasury config_version")
        self.nonces[tid] = 0
        return r.json

    def treasury(self, tid, token=None):
        r = self.node.get("/v1/treasuries/" + tid, token=token or self.viewer)
        assert_equal(r.status, 200, "get treasury %s: %r" % (tid, r))
        return r.json

    # ---- money ----

    def deposit(self, tid, asset, amount, reference, token=None, **extra):
        body = {"asset": asset, "amount": amount, "reference": reference}
        body.update(extra)
        return self.node.post("/v1/treasuries/%s/deposits" % tid, body,
                              token=token or self.treasurer)

    def deposit_ok(self, tid, asset, amount, reference, **extra):
        r = self.deposit(tid, asset, amount, reference, **extra)
        assert_equal(r.status, 201, "deposit %s: %r" % (reference, r))
        e = entry_of(r)
        assert_equal(e.get("reference"), reference, "entry reference")
        assert_equal(e.get("asset"), asset, "entry asset")
        assert_equal(e.get("amount"),
                     sg.format_amount(amount, self.decimals[asset]),
                     "entry amount")
        return e

    def balances(self, tid, token=None):
        r = self.node.get("/v1/treasuries/%s/balances" % tid,
                          token=token or self.viewer)
        assert_equal(r.status, 200, "balances: %r" % r)
        out = {}
        for b in r.json["balances"]:
            assert_true(b["asset"] not in out, "asset listed once")
            out[b["asset"]] = b["amount"]
        return out

    def balance(self, tid, asset):
        return self.balances(tid).get(asset)

    # ---- paginated lists ----

    def page(self, path, limit=None, cursor=None, token=None, **params):
        q = dict(params)
        if limit is not None:
            q["limit"] = str(limit)
        if cursor is not None:
            q["cursor"] = cursor
        if q:
            path += "?" + urllib.parse.urlencode(q)
        return self.node.get(path, token=token or self.viewer)

    def all_pages(self, path, key, limit=None, max_pages=10000, **params):
        items, cursor, pages = [], None, 0
        while True:
            r = self.page(path, limit=limit, cursor=cursor, **params)
            assert_equal(r.status, 200, "page of %s: %r" % (path, r))
            assert_true(key in r.json and "next_cursor" in r.json,
                        "page has %s and next_cursor: %r" % (key, r.json))
            if limit is not None:
                assert_true(len(r.json[key]) <= limit, "page within limit")
            items += r.json[key]
            cursor = r.json["next_cursor"]
            pages += 1
            assert_true(pages <= max_pages, "too many pages")
            if cursor is None:
                return items, pages
            assert_true(isinstance(cursor, str) and cursor,
                        "next_cursor is a non-empty string or null")

    def ledger(self, tid, limit=500):
        return self.all_pages("/v1/treasuries/%s/ledger" % tid, "entries",
                              limit=limit)[0]

    def proposals(self, tid, limit=500, **params):
        return self.all_pages("/v1/treasuries/%s/proposals" % tid,
                              "proposals", limit=limit, **params)[0]

    def check_balances_match_ledger(self, tid):
        """Each balance equals the sum of its ledger entries."""
        sums = {}
        for e in self.ledger(tid):
            d = self.decimals[e["asset"]]
            v = sg.amount_minor(e["amount"], d)
            sums[e["asset"]] = sums.get(e["asset"], 0) + (-v if is_debit(e) else v)
        bal = self.balances(tid)
        want = {a: sg.minor_text(v, self.decimals[a]) for a, v in sums.items()}
        assert_equal(bal, want, "balances equal the ledger sums")
        return bal

    # ---- proposals ----

    def propose(self, tid, body, token=None):
        return self.node.post("/v1/treasuries/%s/proposals" % tid, body,
                              token=token or self.signer_token)

    def expected_kind_lines(self, tid, body, treasury):
        """The kind-specific lines of what the client asked for."""
        kind = body["kind"]
        memo = body.get("memo", "")
        if kind == "transfer":
            return sg.transfer_lines(
                body["asset"],
                sg.format_amount(body["amount"], self.decimals[body["asset"]]),
                body["to"], memo)
        if kind == "batch":
            return sg.batch_lines(
                [(t["asset"], sg.format_amount(t["amount"],
                                               self.decimals[t["asset"]]),
                  t["to"], t.get("memo", "")) for t in body["transfers"]],
                memo)
        m, n = treasury["threshold"], len(treasury["signers"])
        if kind == "add-signer":
            s = body["signer"]
            return sg.add_signer_lines(s["name"], s["key_type"],
                                       s["pubkey"].lower(), m, n + 1, memo)
        if kind == "remove-signer":
            return sg.remove_signer_lines(body["signer"], m, n - 1, memo)
        if kind == "replace-signer":
            return sg.replace_signer_lines(body["signer"], body["key_type"],
                                           body["pubkey"].lower(), memo)
        if kind == "set-threshold":
            return sg.set_threshold_lines(body["new_threshold"], n, memo)
        raise TestFailure("unknown kind " + kind)

    def check_proposal(self, tid, body, p, config, nonce):
        """Client-side check of a proposal answer: id recomputed from the
        canonical text, every line equal to what was asked."""
        assert_true(re.fullmatch(r"[0-9a-f]{64}", p.get("id", "")),
                    "id is 64 lowercase hex: %r" % p)
        canonical = p["canonical"]
        assert_equal(sg.proposal_id(canonical).hex(), p["id"],
                     "id recomputed from canonical")
        pairs = sg.parse_canonical(canonical)
        assert_equal(sg.canonical_text(pairs), canonical, "canonical round trip")
        expires = dict(pairs).get("expires", "")
        if "expires_at" in body:
            assert_equal(expires, body["expires_at"], "expires as asked")
        else:
            want = time.time() + 7 * DAY_S
            assert_true(abs(parse_ts(expires) - want) <= 10,
                        "default expiry 7 days ahead: %r" % expires)
        if "expires_at" in p:
            assert_equal(p["expires_at"], expires, "expires_at field")
        treasury = self.treasury(tid)
        want = sg.common_lines(self.instance, tid, config, body["kind"],
                               nonce, expires)
        want += self.expected_kind_lines(tid, body, treasury)
        for i, (got_kv, want_kv) in enumerate(zip(pairs, want)):
            assert_equal(got_kv, want_kv, "canonical line %d" % (i + 2))
        assert_equal(len(pairs), len(want), "canonical line count")
        return pairs

    def propose_ok(self, tid, body, token=None, config=None):
        """Propose, assert 201 pending, check the canonical text and the id.
        The nonce is the next one of this treasury (all proposals of a
        treasury go through this client)."""
        treasury = self.treasury(tid)
        if config is None:
            config = treasury["config_version"]
        r = self.propose(tid, body, token)
        assert_equal(r.status, 201, "propose %r: %r" % (body, r))
        p = r.json
        assert_equal(p.get("status"), "pending", "new proposal status")
        self.nonces[tid] = self.nonces.get(tid, 0) + 1
        self.check_proposal(tid, body, p, config, self.nonces[tid])
        return p

    def transfer_ok(self, tid, asset, amount, to="dest-1", memo="", **kw):
        body = {"kind": "transfer", "asset": asset, "amount": amount,
                "to": to, "memo": memo}
        body.update(kw.pop("extra", {}))
        return self.propose_ok(tid, body, **kw)

    def get_proposal(self, pid, token=None):
        r = self.node.get("/v1/proposals/" + pid, token=token or self.viewer)
        assert_equal(r.status, 200, "get proposal: %r" % r)
        return r.json

    # ---- votes and execution ----

    def vote(self, pid, signer, decision="approve", fmt="compact",
             high_s=False, signature=None, name=None, token=None):
        sig = signature if signature is not None else \
            signer.sign_vote(pid, decision, fmt, high_s)
        body = {"signer": name or signer.name, "decision": decision,
                "signature": sig}
        return self.node.post("/v1/proposals/%s/votes" % pid, body,
                              token=token or self.signer_token)

    def vote_ok(self, pid, signer, decision="approve", want_status=None, **kw):
        r = self.vote(pid, signer, decision, **kw)
        assert_equal(r.status, 200, "vote by %s: %r" % (signer.name, r))
        if want_status is not None:
            assert_equal(r.json.get("status"), want_status,
                         "status after vote by %s" % signer.name)
        return r.json

    def approve_all(self, pid, signer_list, final="approved"):
        """Approvals in order: pending until the last, then `final`."""
        for i, s in enumerate(signer_list):
            last = i == len(signer_list) - 1
            self.vote_ok(pid, s, "approve", want_status=final if last else "pending")

    def execute(self, pid, token=None):
        return self.node.post("/v1/proposals/%s/execute" % pid, {},
                              token=token or self.treasurer)

    def execute_ok(self, pid):
        r = self.execute(pid)
        assert_equal(r.status, 200, "execute: %r" % r)
        assert_equal(r.json.get("status"), "executed", "status after execute")
        return r.json

    def cancel(self, pid, token=None):
        return self.node.post("/v1/proposals/%s/cancel" % pid, {},
                              token=token or self.signer_token)


def freeze_sig(c, signer, tid, config, seq):
    """The signature of a freeze of tid at config version `config` with
    sequence number `seq` (docs/signing.md, the freeze text)."""
    text = ("treasuryd freeze v1\ninstance: %s\ntreasury: %s\nconfig: %d\n"
            "freeze: %d\n" % (c.instance, tid, config, seq))
    return signer.sign_digest(sg.tagged_hash("treasuryd/freeze/v1",
                                             text.encode())).hex()


def assert_4xx(resp, slug, what=""):
    """A problem answer in the 4xx range with type urn:treasuryd:problem:<slug>
    (slug may be a tuple of acceptable slugs, or None for any type), for
    where docs/api.md does not fix the exact status."""
    from framework import assert_problem
    assert_true(400 <= resp.status < 500, "%s: 4xx wanted, got %r" % (what, resp))
    assert_problem(resp, resp.status)
    if slug is None:        # a shape error docs/api.md names no slug for
        return
    slugs = slug if isinstance(slug, tuple) else (slug,)
    got = resp.json["type"]
    assert_true(got in ["urn:treasuryd:problem:" + s for s in slugs],
                "%s: problem type %r, want one of %r (%r)" % (what, got, slugs, resp))


def setup(ctx, **kw):
    node = ctx.start_node(**kw)
    return node, Client(node)
