"""Hostile input against the accounting endpoints of issue #14 (categories,
ledger filters and cursors, CSV exports, report, runway, budgets, prices).

Every answer must be a 4xx problem (RFC 9457, the slug docs/api.md or
docs/accounting.md names when they name one) or a correct 2xx: never a
5xx, a crash, a hang, or a write half applied. After each group of attacks
the daemon must still answer GET /v1/health, and the runner's stop()
checks it exits 0 without logging an error. The concurrency test ends
with `treasuryd check` on the database, which must find nothing.
"""

import re
import threading
import urllib.parse

import signers as sg
import test_check_meaning as cm
from framework import assert_equal, assert_problem, assert_true
from treasury_helpers import assert_4xx, setup

MAX128 = 2 ** 128 - 1
T, U = "hos", "oth"          # the attacked treasury and a second one


# ---- helpers ----

def alive(node, what):
    """The daemon still runs and answers after a group of attacks."""
    assert_true(node.proc.poll() is None,
                "%s: treasuryd exited (%r):\n%s" % (what, node.proc.returncode,
                                                   node.stderr()[-3000:]))
    r = node.get("/v1/health", token=None)
    assert_equal((r.status, r.json), (200, {"status": "ok"}),
                 "%s: health afterwards" % what)


def q(path, params):
    """path with a query string, params a list of (name, value) pairs
    (repeats kept, values percent-encoded)."""
    return path + "?" + urllib.parse.urlencode(params)


def sane(r, what):
    """A 2xx, or a 4xx problem answer; never a 5xx or anything else."""
    assert_true(200 <= r.status < 300 or 400 <= r.status < 500,
                "%s: 2xx or 4xx wanted, got %r" % (what, r))
    if r.status >= 400:
        assert_problem(r, r.status)
    return r


def bad(r, status, slug, what, name=None):
    """The problem docs name; name (when given) appears in its detail."""
    what = what[:300]
    assert_true(r.status == status, "%s: %d wanted, got %r" % (what, status, r))
    assert_problem(r, status, slug)
    if name is not None:
        assert_true(name in r.json["detail"],
                    "%s: detail names %r: %r" % (what, name, r.json))


def category(node, tid, name, kind, token="admin"):
    return node.post("/v1/treasuries/%s/categories" % tid,
                     {"name": name, "kind": kind}, token=token)


def category_ok(node, tid, name, kind):
    r = category(node, tid, name, kind)
    assert_true(r.status in (200, 201), "category %s: %r" % (name, r))


def is_csv(r):
    return (r.header("Content-Type") or "").startswith("text/csv")


def build(ctx, decimals=6, clock=False):
    """Two treasuries with one signer each, USDC and BIG (0 decimals),
    income/expense categories, deposits and one executed transfer in
    each; returns node, client, signers and the interesting seqs."""
    node, c = setup(ctx, extra_args=["--unsafe-test-clock"] if clock else [])
    c.asset_ok("USDC", decimals)
    c.asset_ok("BIG", 0)
    (a,) = sg.signers("hos", "e")
    (b,) = sg.signers("oth", "e")
    c.treasury_ok(T, 1, [a])
    c.treasury_ok(U, 1, [b])
    for tid in (T, U):
        category_ok(node, tid, "sales", "income")
        category_ok(node, tid, "payroll", "expense")
        category_ok(node, tid, "infra", "expense")
    category_ok(node, U, "only-oth", "expense")
    seqs = {}
    for tid, s in ((T, a), (U, b)):
        seqs[tid + "-dep"] = c.deposit_ok(tid, "USDC", "1000", "d-" + tid,
                                          source="acme", category="sales")["seq"]
        p = c.transfer_ok(tid, "USDC", "10", to="alice",
                          extra={"category": "payroll"})
        c.vote_ok(p["id"], s, want_status="approved")
        c.execute_ok(p["id"])
        debits = [e for e in c.ledger(tid) if e["kind"] == "transfer"]
        seqs[tid + "-debit"] = debits[-1]["seq"]
        seqs[tid + "-prop"] = p["id"]
    return node, c, (a, b), seqs


# ---- ledger filters and cursors ----

def test_ledger_filters_hostile(ctx):
    node, c, _, seqs = build(ctx)
    path = "/v1/treasuries/%s/ledger" % T
    bad_params = [
        [("from", "2027-01-01"), ("from", "2027-02-01")],   # repeated
        [("kind", "deposit"), ("kind", "deposit")],
        [("from", "")], [("to", "")], [("from", "-1")], [("from", "+5")],
        [("from", "1e9")], [("from", "0x10")], [("from", " 1")],
        [("from", "253402300800")],          # one past 9999-12-31T23:59:59
        [("from", "9" * 13)], [("from", "9" * 400)],
        [("from", "10000-01-01")], [("from", "1969-12-31")],
        [("from", "2027-02-29")], [("from", "2027-13-01")],
        [("from", "2027-01-01T24:00:00Z")], [("from", "2027-01-01T00:00:60Z")],
        [("from", "2027-01-01T00:00:00+00:00")], [("from", "2027-01-01t00:00:00z")],
        [("kind", "Deposit")], [("kind", "")], [("kind", "x" * 5000)],
        [("asset", "")], [("asset", "A" * 33)], [("asset", "US DC")],
        [("category", "")], [("category", "Payroll")], [("category", "a" * 33)],
        [("category", "--")], [("category", "-x")],
        [("counterparty", "")], [("counterparty", "x" * 129)],
        [("counterparty", "a\x01b")], [("counterparty", "caf\u00e9")],
        [("limit", "0")], [("limit", "501")], [("limit", "-1")],
        [("limit", "99999999999999999999999")],
        [("cursor", "")], [("cursor", "x")], [("cursor", "A" * 3000)],
        [("bogus", "1")], [("from", "2027-01-01"), ("FROM", "2027-01-01")],
        [("format", "CSV")], [("format", "xml")],
        [("format", "csv"), ("format", "json")],
    ]
    for params in bad_params:
        r = node.get(q(path, params), token=c.viewer)
        bad(r, 400, "invalid-query", "ledger %r" % (params,))
    alive(node, "bad ledger filters")

    # well-formed edges: 2xx with what the filter says
    ok = [
        ([("from", "0")], 2), ([("from", "1970-01-01")], 2),
        ([("to", "253402300799")], 2), ([("to", "9999-12-31T23:59:59Z")], 2),
        ([("from", "9999-12-31")], 0), ([("from", "2028-02-29")], 0),
        ([("from", "2000-02-29"), ("to", "2000-03-01")], 0),
        ([("from", "2030-01-01"), ("to", "2020-01-01")], 0),   # to < from
        ([("from", "2030-01-01"), ("to", "2030-01-01")], 0),   # empty
        ([("category", "-")], 0), ([("category", "nope")], 0),
        ([("asset", "NOPE")], 0), ([("asset", "usdc")], 0),
        ([("counterparty", "acme")], 1), ([("counterparty", "alice")], 1),
        ([("kind", "transfer"), ("category", "payroll")], 1),
        ([("kind", "deposit"), ("category", "payroll")], 0),
    ]
    for params, n in ok:
        r = sane(node.get(q(path, params), token=c.viewer), "ledger %r" % params)
        if not (200 <= r.status < 300):
            # to before from may also be refused, as the report does
            assert_true(params[0][0] == "from" and len(params) == 2,
                        "ledger %r: %r" % (params, r))
            bad(r, 400, "invalid-query", "ledger %r" % (params,))
            continue
        assert_equal(len(r.json["entries"]), n, "ledger %r entries" % params)
        assert_equal(r.json["next_cursor"], None, "ledger %r cursor" % params)
    alive(node, "edge ledger filters")

    # cursor tampering: bound to the filters and the treasury
    for i in range(3):
        c.deposit_ok(T, "USDC", "1", "more-%d" % i, source="acme",
                     category="sales")
    r = node.get(q(path, [("limit", "1"), ("kind", "deposit")]),
                 token=c.viewer)
    assert_equal(r.status, 200, "first page: %r" % r)
    cur = r.json["next_cursor"]
    assert_true(cur, "a next page")
    for params in ([("cursor", cur)],                                # no filter
                   [("cursor", cur), ("kind", "transfer")],          # other
                   [("cursor", cur), ("kind", "deposit"), ("asset", "USDC")],
                   [("cursor", cur), ("kind", "deposit"), ("format", "csv")]
                   if False else [("cursor", cur + "A"), ("kind", "deposit")],
                   [("cursor", cur[:-1]), ("kind", "deposit")],
                   [("cursor", cur[:-2] + ("AA" if cur[-2:] != "AA" else "BB")),
                    ("kind", "deposit")],
                   [("cursor", cur), ("cursor", cur), ("kind", "deposit")]):
        r = node.get(q(path, params), token=c.viewer)
        bad(r, 400, "invalid-query", "tampered cursor %r" % (params,))
    # the cursor of one treasury on another's ledger
    r = node.get(q("/v1/treasuries/%s/ledger" % U,
                   [("cursor", cur), ("kind", "deposit")]), token=c.viewer)
    bad(r, 400, "invalid-query", "cursor of another treasury")
    # a proposals cursor on the ledger
    r = node.get(q("/v1/treasuries/%s/proposals" % T, [("limit", "1")]),
                 token=c.viewer)
    pcur = r.json["next_cursor"]
    if pcur:
        bad(node.get(q(path, [("cursor", pcur)]), token=c.viewer), 400,
            "invalid-query", "proposals cursor on the ledger")
    # the same cursor with the same filters works, also as CSV
    r = node.get(q(path, [("cursor", cur), ("kind", "deposit")]),
                 token=c.viewer)
    assert_equal(r.status, 200, "cursor with its filters: %r" % r)
    r = node.get(q(path, [("cursor", cur), ("kind", "deposit"),
                          ("format", "csv")]), token=c.viewer)
    assert_equal(r.status, 200, "csv after a cursor: %r" % r)
    assert_true(is_csv(r), "csv content type")
    assert_equal(r.body.count("\r\n"), 1 + 3, "header and three deposits")
    alive(node, "cursor tampering")


# ---- report and runway ----

def test_report_runway_hostile(ctx):
    node, c, _, seqs = build(ctx)
    rep = "/v1/treasuries/%s/report" % T
    bad_params = [
        [], [("to", "2027-01-01")],
        [("from", "2027-01-01"), ("from", "2027-01-01")],
        [("from", "-5")], [("from", "")], [("from", "2026-02-29")],
        [("from", "253402300800")], [("from", "9" * 100)],
        [("from", "2027-01-01"), ("to", "2027-01-01")],
        [("from", "2027-01-02"), ("to", "2027-01-01")],
        [("from", "9999-12-31T23:59:59Z")],          # to (now) before from
        [("from", "253402300799"), ("to", "253402300799")],
        [("from", "0"), ("to", "253402300799"), ("period", "month")],
        [("from", "0"), ("to", "253402300799"), ("period", "year")],
        [("from", "1970-01-01"), ("to", "2030-01-02"), ("period", "quarter")],
        [("from", "2027-01-01"), ("period", "week")],
        [("from", "2027-01-01"), ("period", "")],
        [("from", "2027-01-01"), ("period", "Month")],
        [("from", "2027-01-01"), ("period", "month"), ("period", "month")],
        [("from", "2027-01-01"), ("unit", "")],
        [("from", "2027-01-01"), ("unit", "U" * 33)],
        [("from", "2027-01-01"), ("unit", "US D")],
        [("from", "2027-01-01"), ("unit", "USD/")],
        [("from", "2027-01-01"), ("format", "pdf")],
        [("from", "2027-01-01"), ("limit", "5")],
    ]
    for params in bad_params:
        r = node.get(q(rep, params), token=c.viewer)
        bad(r, 400, "invalid-query", "report %r" % (params,))
    alive(node, "bad report parameters")

    ok = [
        [("from", "0")],
        [("from", "0"), ("to", "253402300799")],
        [("from", "0"), ("to", "9999-12-31T23:59:59Z"), ("period", "year")]
        if False else [("from", "9990-01-01"), ("to", "253402300799"),
                       ("period", "year")],
        [("from", "9999-01-01"), ("to", "9999-12-31T23:59:59Z"),
         ("period", "month")],
        [("from", "9999-12-31"), ("to", "253402300799"), ("period", "quarter")],
        [("from", "2028-02-29"), ("to", "2028-03-01"), ("period", "month")],
        [("from", "2000-01-01"), ("to", "2020-01-01"), ("period", "month")],
        [("from", "1970-01-01"), ("to", "2030-01-01"), ("period", "year")],
        [("from", "0"), ("unit", "U" * 32)],
        [("from", "0"), ("unit", "a.b_c-D9")],
    ]
    for params in ok:
        for extra in ([], [("format", "csv")]):
            r = node.get(q(rep, params + extra), token=c.viewer)
            assert_equal(r.status, 200, "report %r: %r" % (params + extra, r))
    r = node.get(q(rep, [("from", "9999-01-01"), ("to", "253402300799"),
                         ("period", "month")]), token=c.viewer)
    assert_equal(len(r.json["periods"]), 12, "twelve months of 9999")
    assert_equal(r.json["periods"][-1]["to"], "9999-12-31T23:59:59Z",
                 "the last period ends at the last second")
    r = node.get(q(rep, [("from", "0"), ("to", "253402300799")]),
                 token=c.viewer)
    usdc = [a for a in r.json["assets"] if a["asset"] == "USDC"][0]
    assert_equal((usdc["inflow"], usdc["outflow"], usdc["closing"]),
                 ("1000.000000", "10.000000", "990.000000"), "whole range")
    alive(node, "edge report parameters")

    run = "/v1/treasuries/%s/runway" % T
    for params in ([("unit", "")], [("unit", "U" * 33)], [("unit", "\u20ac")],
                   [("unit", "USD"), ("unit", "USD")], [("format", "csv "),],
                   [("from", "2027-01-01")], [("at", "0")]):
        bad(node.get(q(run, params), token=c.viewer), 400, "invalid-query",
            "runway %r" % (params,))
    for params in ([], [("unit", "U" * 32)], [("unit", "USD"), ("format",
                                                                 "csv")]):
        r = node.get(q(run, params), token=c.viewer)
        assert_equal(r.status, 200, "runway %r: %r" % (params, r))
    for what in ("report?from=0", "runway", "budgets", "categories",
                 "balances", "ledger/1", "ledger"):
        r = node.get("/v1/treasuries/nope/" + what, token=c.viewer)
        assert_4xx(r, ("unknown-treasury", "unknown-ledger-entry"),
                   "unknown treasury " + what)
        assert_equal(r.status, 404, "unknown treasury %s" % what)
    alive(node, "runway parameters")


# ---- prices and exact money at the limits ----

def test_report_row_limit(ctx):
    """An answer of the report has at most 20,000 rows over all its periods
    (an asset of a period, or a category of one; docs/api.md): at the
    limit a 200 with every row, past it a 400 too-large for JSON and CSV,
    and the daemon goes on."""
    node, c = setup(ctx)
    (a,) = sg.signers("rows", "e")
    c.treasury_ok("rows", 1, [a])
    for i in range(84):
        c.asset_ok("A%02d" % i, 0)
        c.deposit_ok("rows", "A%02d" % i, "1", "rows-%d" % i)
    rep = "/v1/treasuries/rows/report"
    # every asset with a balance is a row of every period: 238 x 84 = 19,992
    r = node.get(q(rep, [("from", "2000-01-01"), ("to", "2019-11-01"),
                         ("period", "month")]), token=c.viewer)
    assert_equal(r.status, 200, "19,992 rows: %r" % (r.status,))
    assert_equal(len(r.json["periods"]), 238, "periods")
    assert_true(all(len(p["assets"]) == 84 for p in r.json["periods"]),
                "84 assets in every period")
    # 239 x 84 = 20,076
    for extra in ([], [("format", "csv")]):
        r = node.get(q(rep, [("from", "2000-01-01"), ("to", "2019-12-01"),
                             ("period", "month")] + extra), token=c.viewer)
        bad(r, 400, "too-large", "20,076 rows %r" % (extra,), "20000 rows")
    alive(node, "report row limit")


def test_prices_hostile(ctx):
    node, c, _, seqs = build(ctx)
    P = "/v1/prices"

    def price(body, token="admin"):
        return node.post(P, body, token=token)

    base = {"asset": "USDC", "unit": "USD", "date": "2027-01-01"}
    cases = [
        ("1." + "1" * 18, 201, None), ("1." + "1" * 19, 422,
                                       "amount-fraction-digits"),
        ("1." + "0" * 19, 422, "amount-fraction-digits"),
        ("0." + "0" * 17 + "1", 200, None),
        ("0", 422, "amount-zero"), ("0.000", 422, "amount-zero"),
        ("-1", 400, "amount-sign"), ("+1", 400, "amount-sign"),
        ("01", 400, "amount-leading-zero"), ("1.", 400, "amount-syntax"),
        (".5", 400, "amount-syntax"), ("1e5", 400, "amount-syntax"),
        ("1,5", 400, "amount-syntax"), (" 1", 400, "amount-syntax"),
        ("1 ", 400, "amount-syntax"), ("", 400, "amount-empty"),
        ("9" * 80, 200, None), ("9" * 81, 400, "amount-too-long"),
        ("\u0661", 400, "amount-syntax"),
    ]
    for text, status, slug in cases:
        r = price(dict(base, price=text))
        if slug is None:
            assert_true(r.status in (200, 201), "price %r: %r" % (text, r))
        else:
            bad(r, status, slug, "price %r" % text, "price")
    for body, slug, status in [
            (dict(base, price=1), "field-type", 400),
            (dict(base, price=None), "field-type", 400),
            (dict(base, price="1", extra=1), "unknown-field", 400),
            ({"asset": "USDC", "unit": "USD", "price": "1"}, "missing-field",
             400),
            (dict(base, price="1", unit=""), "invalid-field", 400),
            (dict(base, price="1", unit="U" * 33), "invalid-field", 400),
            (dict(base, price="1", unit="U SD"), "invalid-field", 400),
            (dict(base, price="1", date="2027-02-29"), "invalid-field", 400),
            (dict(base, price="1", date="1969-12-31"), "invalid-field", 400),
            (dict(base, price="1", date="10000-01-01"), "invalid-field", 400),
            (dict(base, price="1", date="2027-01-01T00:00:00Z"),
             "invalid-field", 400),
            (dict(base, price="1", date="1799999999"), "invalid-field", 400),
            (dict(base, price="1", asset="NOPE"), "unknown-asset", 422)]:
        bad(price(body), status, slug, "price body %r" % body)
    alive(node, "price texts")

    # the edge dates of the calendar, and reading them back
    for date in ("1970-01-01", "2028-02-29", "9999-12-31"):
        r = price(dict(base, unit="EDGE", date=date, price="2"))
        assert_equal(r.status, 201, "price on %s: %r" % (date, r))
    r = node.get(q(P, [("asset", "USDC"), ("unit", "EDGE")]), token=c.viewer)
    assert_equal(r.status, 200, "prices through 9999-12-31: %r" % r)
    assert_equal([p["date"] for p in r.json["prices"]],
                 ["1970-01-01", "2028-02-29", "9999-12-31"], "dates")
    assert_equal(r.json["next_from"], None, "no more")
    for params in ([("from", "9999-12-31")], [("from", "1970-01-01")]):
        r = node.get(q(P, [("asset", "USDC"), ("unit", "EDGE")] + params),
                     token=c.viewer)
        assert_equal(r.status, 200, "prices %r: %r" % (params, r))
        r = node.get(q(P, [("asset", "USDC"), ("unit", "EDGE"),
                           ("format", "csv")] + params), token=c.viewer)
        assert_equal(r.status, 200, "prices csv %r: %r" % (params, r))
    alive(node, "edge dates")
    for params in ([], [("asset", "USDC")], [("unit", "USD")],
                   [("asset", "NOPE"), ("unit", "USD")],
                   [("asset", ""), ("unit", "USD")],
                   [("asset", "USDC"), ("unit", "")],
                   [("asset", "USDC"), ("unit", "USD"), ("from", "2027-1-1")],
                   [("asset", "USDC"), ("unit", "USD"), ("from", "0")],
                   [("asset", "USDC"), ("unit", "USD"),
                    ("from", "1799999999")],
                   [("asset", "USDC"), ("unit", "USD"),
                    ("from", "10000-01-01")],
                   [("asset", "USDC"), ("asset", "BIG"), ("unit", "USD")],
                   [("asset", "USDC"), ("unit", "USD"), ("limit", "2")]):
        bad(node.get(q(P, params), token=c.viewer), 400, "invalid-query",
            "prices %r" % (params,))

    # an absurd price: values past 2^256 are 422 amount-overflow, never 500
    big = "9" * 80
    r = price({"asset": "USDC", "unit": "ABS", "date": "2000-01-01",
               "price": big})
    assert_equal(r.status, 201, "absurd price: %r" % r)
    r = node.get("/v1/treasuries/%s/runway?unit=ABS" % T, token=c.viewer)
    bad(r, 422, "amount-overflow", "runway at an absurd price")
    r = node.get("/v1/treasuries/%s/runway?unit=ABS&format=csv" % T,
                 token=c.viewer)
    bad(r, 422, "amount-overflow", "runway csv at an absurd price")
    for params in ([], [("period", "year")], [("format", "csv")]):
        r = node.get(q("/v1/treasuries/%s/report" % T,
                       [("from", "0"), ("unit", "ABS")] + params),
                     token=c.viewer)
        bad(r, 422, "amount-overflow", "report at an absurd price %r" % params)
    # the largest price that keeps a value under 2^256 is still exact
    r = price({"asset": "USDC", "unit": "FINE", "date": "2000-01-01",
               "price": "9" * 30 + "." + "9" * 18})
    assert_equal(r.status, 201, "a large price: %r" % r)
    r = node.get("/v1/treasuries/%s/runway?unit=FINE" % T, token=c.viewer)
    assert_equal(r.status, 200, "runway at a large price: %r" % r)
    usdc = [a for a in r.json["assets"] if a["asset"] == "USDC"][0]
    want = 990 * (10 ** 48 - 1)          # 990 USDC at 10^30 - 10^-18
    got = usdc["value"]["balance"]
    ip, _, fp = got.partition(".")
    assert_equal(int(ip) * 10 ** 18 + int((fp + "0" * 18)[:18]), want,
                 "exact value")
    alive(node, "absurd prices")


def test_money_at_the_limits(ctx):
    node, c, (a, b), _ = build(ctx, clock=True)
    # 2^128-1 minor units of a 0-decimal asset: the most a balance holds
    r = c.deposit(T, "BIG", str(MAX128), "big-1", category="sales")
    assert_equal(r.status, 201, "deposit 2^128-1: %r" % r)
    r = c.deposit(T, "BIG", "1", "big-2")
    bad(r, 409, "balance-overflow", "one more")
    r = c.deposit(T, "BIG", str(MAX128 + 1), "big-3")
    bad(r, 422, "amount-overflow", "2^128")
    # out and in again: the report's sums pass 2^128 and stay exact
    p = c.transfer_ok(T, "BIG", str(MAX128), to="vault",
                      extra={"category": "infra"})
    c.vote_ok(p["id"], a, want_status="approved")
    c.execute_ok(p["id"])
    r = c.deposit(T, "BIG", str(MAX128), "big-4", category="sales")
    assert_equal(r.status, 201, "deposit 2^128-1 again: %r" % r)
    # (to defaults to now, the current second excluded: name the end)
    r = node.get("/v1/treasuries/%s/report?from=0&to=253402300799" % T,
                 token=c.viewer)
    assert_equal(r.status, 200, "report: %r" % r)
    big = [x for x in r.json["assets"] if x["asset"] == "BIG"][0]
    assert_equal((big["inflow"], big["outflow"], big["closing"]),
                 (str(2 * MAX128), str(MAX128), str(MAX128)), "exact sums")
    r = node.get("/v1/treasuries/%s/report?from=2020-01-01&to=2100-01-01"
                 "&format=csv&period=year" % T,
                 token=c.viewer)
    assert_equal(r.status, 200, "report csv: %r" % r)
    assert_true(str(2 * MAX128) in r.body, "csv carries the wide sum")
    # the runway counts [now - 90 days, now): one second on, the spend is in
    r = node.post("/v1/test/clock", body={"advance_s": 1})
    assert_equal(r.status, 200, "test clock: %r" % r)
    r = node.get("/v1/treasuries/%s/runway" % T, token=c.viewer)
    assert_equal(r.status, 200, "runway: %r" % r)
    big = [x for x in r.json["assets"] if x["asset"] == "BIG"][0]
    assert_equal(big["outflow_90d"], str(MAX128), "runway outflow")
    assert_equal(big["runway_months"], "3.00", "MAX / (MAX / 3)")

    # budgets: the amount at the largest value, one past it, and zero
    B = "/v1/treasuries/%s/budgets" % T
    body = {"category": "infra", "period": "month", "asset": "BIG"}
    r = node.post(B, dict(body, amount=str(MAX128)))
    assert_equal(r.status, 201, "budget 2^128-1: %r" % r)
    assert_equal(r.json["spent"], str(MAX128), "spent this month")
    assert_equal(r.json["remaining"], "0", "remaining")
    for amount, status, slug in ((str(MAX128 + 1), 422, "amount-overflow"),
                                 ("9" * 80, 422, "amount-overflow"),
                                 ("9" * 81, 400, "amount-too-long"),
                                 ("0", 422, "amount-zero"),
                                 ("-1", 400, "amount-sign"),
                                 ("1.5", 422, "amount-fraction-digits")):
        bad(node.post(B, dict(body, amount=amount)), status, slug,
            "budget amount %r" % amount, "amount")
    r = node.post(B, dict(body, amount="1"))     # below spent: alerts
    assert_equal(r.status, 200, "replaced: %r" % r)
    assert_equal(r.json["remaining"], "-" + str(MAX128 - 1), "negative")
    r = node.get(B + "?format=csv", token=c.viewer)
    assert_equal(r.status, 200, "budgets csv: %r" % r)
    assert_true(",-%d," % (MAX128 - 1) in r.body, "negative remaining: %r"
                % r.body)
    # a committed spend of 2^128-1 while spent is 2^128-1 too
    c.deposit_ok(T, "USDC", "5", "small")
    r = node.post(B, {"category": "payroll", "period": "quarter",
                      "asset": "USDC", "amount": "0.000001"})
    assert_equal(r.status, 201, "tiny budget: %r" % r)
    r = node.get(B, token=c.viewer)
    assert_equal(r.status, 200, "budgets: %r" % r)
    alive(node, "money at the limits")


# ---- limits: 256 categories, 256 budgets ----

def test_category_and_budget_limits(ctx):
    node, c, _, _ = build(ctx)
    # build() registered 3 categories in T
    for i in range(253):
        r = category(node, T, "c%03d" % i, "expense" if i % 3 else "income")
        assert_equal(r.status, 201, "category %d: %r" % (i, r))
    r = category(node, T, "one-more", "expense")
    bad(r, 409, "category-limit", "the 257th category")
    r = category(node, T, "c001", "expense")
    assert_equal(r.status, 200, "an existing one again at the limit: %r" % r)
    r = category(node, T, "c001", "income")
    bad(r, 409, "category-exists", "the other kind")
    for name, slug in (("", "category-name"), ("A", "category-name"),
                       ("a" * 33, "category-name"), ("-a", "category-name"),
                       ("a b", "category-name"), ("\u00e9", "category-name")):
        bad(category(node, T, name, "expense"), 400, slug, "name %r" % name,
            "name")
    bad(category(node, T, "zz", "Expense"), 400, "invalid-field", "kind")
    bad(category(node, T, "zz", None), 400, "field-type", "kind null")
    bad(node.post("/v1/treasuries/%s/categories" % T,
                  {"name": "zz", "kind": "income", "x": 1}), 400,
        "unknown-field", "extra field")
    bad(node.post("/v1/treasuries/%s/categories" % T, None,
                  raw_body=b'{"name":"zz","name":"yy","kind":"income"}',
                  headers={"Content-Type": "application/json"}), 400,
        "invalid-json", "duplicate key")
    r = category(node, "nope", "zz", "income")
    assert_equal(r.status, 404, "unknown treasury: %r" % r)
    r = category(node, "NOPE", "zz", "income")
    assert_4xx(r, None, "bad treasury id")
    # the other treasury is not affected by T's limit
    category_ok(node, U, "still-room", "expense")
    r = node.get("/v1/treasuries/%s/categories" % T, token=c.viewer)
    assert_equal(len(r.json["categories"]), 256, "256 listed")
    r = node.get("/v1/treasuries/%s/categories?format=csv" % T,
                 token=c.viewer)
    assert_equal(r.status, 200, "csv: %r" % r)
    assert_equal(r.body.count("\r\n"), 257, "header and 256 rows")
    alive(node, "category limit")

    expense = ["payroll", "infra"] + ["c%03d" % i for i in range(253)
                                      if i % 3]
    B = "/v1/treasuries/%s/budgets" % T
    n = 0
    for name in expense:
        for period in ("month", "quarter"):
            if n == 256:
                break
            r = node.post(B, {"category": name, "period": period,
                              "asset": "USDC", "amount": "1"})
            assert_equal(r.status, 201, "budget %d: %r" % (n, r))
            n += 1
    assert_equal(n, 256, "256 budgets made")
    last = expense[128]         # the first one without a budget
    r = node.post(B, {"category": last, "period": "quarter",
                      "asset": "USDC", "amount": "1"})
    bad(r, 409, "budget-limit", "the 257th budget")
    # replacing one at the limit is not a new one
    r = node.post(B, {"category": "payroll", "period": "month",
                      "asset": "USDC", "amount": "2"})
    assert_equal(r.status, 200, "replace at the limit: %r" % r)
    for body, status, slug in [
            ({"category": "sales", "period": "month", "asset": "USDC",
              "amount": "1"}, 422, "category-kind"),
            ({"category": "nope", "period": "month", "asset": "USDC",
              "amount": "1"}, 422, "unknown-category"),
            ({"category": "only-oth", "period": "month", "asset": "USDC",
              "amount": "1"}, 422, "unknown-category"),
            ({"category": "Payroll", "period": "month", "asset": "USDC",
              "amount": "1"}, 400, "category-name"),
            ({"category": "payroll", "period": "year", "asset": "USDC",
              "amount": "1"}, 400, "invalid-field"),
            ({"category": "payroll", "period": "m" * 1000, "asset": "USDC",
              "amount": "1"}, 400, "invalid-field"),
            ({"category": "payroll", "period": "month", "asset": "NOPE",
              "amount": "1"}, 422, "unknown-asset"),
            ({"category": None, "period": "month", "asset": "USDC",
              "amount": "1"}, 400, None),
            ({"category": "payroll", "period": "month", "asset": "USDC",
              "amount": 1}, 400, "field-type")]:
        r = node.post(B, body)
        if slug is None:
            assert_4xx(r, None, "budget %r" % body)
        else:
            bad(r, status, slug, "budget %r" % (body,))
    r = node.get(B, token=c.viewer)
    assert_equal(len(r.json["budgets"]), 256, "256 budgets listed")
    r = node.get(B + "?format=csv", token=c.viewer)
    assert_equal(r.status, 200, "budgets csv: %r" % r)
    assert_equal(r.body.count("\r\n"), 257, "header and 256 rows")
    for path, slug in (("payroll/year", "unknown-budget"),
                       ("Payroll/month", "unknown-budget"),
                       ("sales/month", "unknown-budget"),
                       ("payroll/month/x", "not-found"),
                       ("%s/month" % ("a" * 40), "unknown-budget"),
                       ("payroll/", None), ("/month", None)):
        r = node.request("DELETE", B + "/" + path)
        if slug is None:
            assert_4xx(r, None, "delete %s" % path)
        else:
            assert_4xx(r, slug, "delete %s" % path)
    r = node.request("DELETE", B + "/payroll/month")
    assert_equal(r.status, 200, "delete: %r" % r)
    r = node.request("DELETE", B + "/payroll/month")
    bad(r, 404, "unknown-budget", "deleted twice")
    r = node.post(B, {"category": last, "period": "quarter",
                      "asset": "USDC", "amount": "1"})
    assert_equal(r.status, 201, "room again after a delete: %r" % r)
    alive(node, "budget limit")


# ---- corrections across treasuries, roles, idempotency ----

def test_cross_treasury_and_roles(ctx):
    node, c, (a, b), seqs = build(ctx)
    led = "/v1/treasuries/%s/ledger/%d/category"
    # T's entries through U's path, and the reverse: 404, nothing changes
    for tid, seq in ((U, seqs[T + "-dep"]), (U, seqs[T + "-debit"]),
                     (T, seqs[U + "-dep"]), (T, seqs[U + "-debit"])):
        for cat in ("sales", "payroll", None, "only-oth"):
            r = node.post(led % (tid, seq), {"category": cat})
            bad(r, 404, "unknown-ledger-entry", "entry %d via %s" % (seq, tid))
        r = node.get("/v1/treasuries/%s/ledger/%d" % (tid, seq),
                     token=c.viewer)
        bad(r, 404, "unknown-ledger-entry", "get %d via %s" % (seq, tid))
    for seq in ("0", "-1", "01", "1e3", "x", "99999999999999999",
                "999999999999999999", "9999999999999999999",
                "9" * 40, "1%00", "%201"):
        r = node.post("/v1/treasuries/%s/ledger/%s/category" % (T, seq),
                      {"category": None})
        assert_4xx(r, ("unknown-ledger-entry", "not-found"), "seq %r" % seq)
        r = node.get("/v1/treasuries/%s/ledger/%s" % (T, seq), token=c.viewer)
        assert_4xx(r, ("unknown-ledger-entry", "not-found"), "get %r" % seq)
    # a label of U's (only-oth) on T's entries and proposals
    r = node.post(led % (T, seqs[T + "-debit"]), {"category": "only-oth"})
    bad(r, 422, "unknown-category", "U's category on T's entry")
    r = node.post(led % (T, seqs[T + "-debit"]), {"category": "sales"})
    bad(r, 422, "category-kind", "income on a debit")
    r = node.post(led % (T, seqs[T + "-dep"]), {"category": "payroll"})
    bad(r, 422, "category-kind", "expense on a deposit")
    for body, slug in (({}, "missing-field"), ({"category": 5}, "field-type"),
                       ({"category": ""}, "category-name"),
                       ({"category": "A"}, "category-name"),
                       ({"category": "x" * 33}, "category-name"),
                       ({"category": None, "item": 0}, "unknown-field")):
        bad(node.post(led % (T, seqs[T + "-dep"]), body), 400, slug,
            "ledger correction %r" % body)
    p = c.transfer_ok(T, "USDC", "1", to="bob")
    pc = "/v1/proposals/%s/category" % p["id"]
    bad(node.post(pc, {"item": 0, "category": "only-oth"}), 422,
        "unknown-category", "U's label on T's proposal")
    for body, slug in (({"item": 1, "category": "payroll"}, "invalid-field"),
                       ({"item": 64, "category": "payroll"}, "invalid-field"),
                       ({"item": -1, "category": "payroll"}, None),
                       ({"item": 2 ** 64, "category": "payroll"}, None),
                       ({"item": "0", "category": "payroll"}, "field-type"),
                       ({"item": 0.0, "category": "payroll"}, "field-type"),
                       ({"category": "payroll"}, "missing-field"),
                       ({"item": 0}, "missing-field")):
        r = node.post(pc, body)
        assert_4xx(r, slug, "proposal correction %r" % body)
    bad(node.post(pc, {"item": 0, "category": "sales"}), 422, "category-kind",
        "income on a transfer")
    bad(node.post("/v1/proposals/%s/category" % ("0" * 64),
                  {"item": 0, "category": "payroll"}), 404, "unknown-proposal",
        "unknown proposal")
    r = node.post("/v1/proposals/%s/category" % ("z" * 64),
                  {"item": 0, "category": "payroll"})
    assert_4xx(r, None, "malformed proposal id")
    r = node.post("/v1/proposals/%s/category" % seqs[T + "-prop"],
                  {"item": 0, "category": "infra"})
    bad(r, 409, "category-closed", "executed proposal")
    # nothing of the above changed a label
    ent = node.get("/v1/treasuries/%s/ledger/%d" % (T, seqs[T + "-debit"]),
                   token=c.viewer).json
    assert_equal((ent["category"], ent["category_history"]), ("payroll", []),
                 "T's debit untouched")
    ent = node.get("/v1/treasuries/%s/ledger/%d" % (U, seqs[U + "-dep"]),
                   token=c.viewer).json
    assert_equal((ent["category"], ent["category_history"]), ("sales", []),
                 "U's deposit untouched")
    alive(node, "cross treasury")

    # roles: viewer and signer write nothing here
    writes = [("POST", "/v1/treasuries/%s/categories" % T,
               {"name": "zz", "kind": "income"}),
              ("POST", led % (T, seqs[T + "-dep"]), {"category": None}),
              ("POST", pc, {"item": 0, "category": "payroll"}),
              ("POST", "/v1/treasuries/%s/budgets" % T,
               {"category": "payroll", "period": "month", "asset": "USDC",
                "amount": "1"}),
              ("DELETE", "/v1/treasuries/%s/budgets/payroll/month" % T, None),
              ("POST", "/v1/prices", {"asset": "USDC", "unit": "USD",
                                      "date": "2027-01-01", "price": "1"})]
    for method, path, body in writes:
        for tok in (c.viewer, c.signer_token):
            r = node.request(method, path, body=body, token=tok)
            bad(r, 403, "forbidden", "%s %s by %s" % (method, path, tok[:6]))
        r = node.request(method, path, body=body, token=None)
        assert_equal(r.status, 401, "%s %s without a token: %r"
                     % (method, path, r))
        r = node.request(method, path, body=body, token="tsk_" + "0" * 40)
        assert_equal(r.status, 401, "%s %s with a made-up token: %r"
                     % (method, path, r))
    ent = node.get("/v1/treasuries/%s/ledger/%d" % (T, seqs[T + "-dep"]),
                   token=c.viewer).json
    assert_equal(ent["category"], "sales", "the deposit keeps its label")
    r = node.get("/v1/treasuries/%s/budgets" % T, token=c.viewer)
    assert_equal(r.json["budgets"], [], "no budget was made")
    alive(node, "roles")


def test_idempotency_key_reuse(ctx):
    node, c, _, seqs = build(ctx)
    tok = c.treasurer
    led = "/v1/treasuries/%s/ledger/%d/category" % (T, seqs[T + "-debit"])
    p = c.transfer_ok(T, "USDC", "1", to="bob")
    groups = [
        ("/v1/treasuries/%s/categories" % T, {"name": "k1", "kind": "income"},
         {"name": "k1", "kind": "expense"}, 201),
        ("/v1/treasuries/%s/budgets" % T,
         {"category": "payroll", "period": "month", "asset": "USDC",
          "amount": "5"},
         {"category": "payroll", "period": "month", "asset": "USDC",
          "amount": "6"}, 201),
        ("/v1/prices", {"asset": "USDC", "unit": "USD", "date": "2027-01-01",
                        "price": "1"},
         {"asset": "USDC", "unit": "USD", "date": "2027-01-01",
          "price": "2"}, 201),
        (led, {"category": "infra"}, {"category": None}, 200),
        ("/v1/proposals/%s/category" % p["id"],
         {"item": 0, "category": "infra"},
         {"item": 0, "category": "payroll"}, 200),
    ]
    for i, (path, first, second, status) in enumerate(groups):
        key = {"Idempotency-Key": "acct-%d" % i}
        r1 = node.post(path, first, token=tok, headers=key)
        assert_equal(r1.status, status, "%s first: %r" % (path, r1))
        r2 = node.post(path, second, token=tok, headers=key)
        bad(r2, 422, "idempotency-key-reuse", "%s other body" % path)
        r3 = node.post(path, first, token=tok, headers=key)
        assert_equal((r3.status, r3.body), (r1.status, r1.body),
                     "%s replay" % path)
        assert_equal(r3.header("Idempotent-Replayed"), "true",
                     "%s replayed header" % path)
        # the same key on another path is a reuse as well
        other = groups[(i + 1) % len(groups)]
        r4 = node.post(other[0], other[1], token=tok, headers=key)
        bad(r4, 422, "idempotency-key-reuse", "%s on another path" % path)
    for key in ("", " ", "a b", "x" * 129, "\u00e9"):
        r = node.post("/v1/prices", groups[2][1], token=tok,
                      headers={"Idempotency-Key": key.encode("utf-8")
                               .decode("latin-1")})
        assert_4xx(r, "idempotency-key", "key %r" % key)
    # the first bodies' effects hold, the second ones' do not
    r = node.get("/v1/treasuries/%s/categories" % T, token=c.viewer)
    assert_equal([x["kind"] for x in r.json["categories"]
                  if x["name"] == "k1"], ["income"], "k1 stays income")
    r = node.get("/v1/treasuries/%s/budgets" % T, token=c.viewer)
    assert_equal([x["amount"] for x in r.json["budgets"]], ["5.000000"],
                 "budget amount of the first body")
    r = node.get("/v1/prices?asset=USDC&unit=USD", token=c.viewer)
    assert_equal([x["price"] for x in r.json["prices"]], ["1"], "price")
    ent = node.get("/v1/treasuries/%s/ledger/%d" % (T, seqs[T + "-debit"]),
                   token=c.viewer).json
    assert_equal(len(ent["category_history"]), 1, "one change")
    assert_equal(c.get_proposal(p["id"])["category"], "infra", "label")
    alive(node, "idempotency")


# ---- CSV negotiation ----

def test_csv_accept_variants(ctx):
    node, c, _, _ = build(ctx)
    c.node.post("/v1/prices", {"asset": "USDC", "unit": "USD",
                               "date": "2027-01-01", "price": "1"})
    paths = ["/v1/treasuries/%s/%s" % (T, p) for p in
             ("ledger", "proposals", "categories", "budgets", "balances",
              "report?from=0", "runway", "runway?unit=USD",
              "report?from=0&unit=USD&period=year")]
    paths.append("/v1/prices?asset=USDC&unit=USD")
    accepts = [("text/csv", True), ("TEXT/CSV", True),
               ("text/csv; charset=utf-8", True),
               ("text/csv;q=0.5, application/json", False),
               ("application/json, text/csv", False),
               ("application/json;q=0, text/csv", False),
               ("*/*", False), ("text/*", False), ("", False),
               ("text/html", False), ("x" * 4000, False),
               ("text/csv" + ", text/csv" * 500, True)]
    for path in paths:
        sep = "&" if "?" in path else "?"
        for accept, csv in accepts:
            r = node.get(path, token=c.viewer, headers={"Accept": accept})
            assert_equal(r.status, 200, "%s Accept %r: %r"
                         % (path, accept[:40], r))
            assert_equal(is_csv(r), csv, "%s Accept %r csv" % (path,
                                                               accept[:40]))
            if csv:
                assert_true(r.body.endswith("\r\n") and r.body.count("\r\n")
                            >= 1, "%s: csv lines" % path)
            else:
                assert_true(isinstance(r.json, dict), "%s: json" % path)
        for fmt, status in (("csv", 200), ("json", 200), ("CSV", 400),
                            ("", 400), ("csv\x00", 400), ("tsv", 400)):
            r = node.get(path + sep + urllib.parse.urlencode({"format": fmt}),
                         token=c.viewer, headers={"Accept": "text/csv"})
            if status == 400:
                bad(r, 400, "invalid-query", "%s format %r" % (path, fmt),
                    "format")
            else:
                assert_equal(r.status, 200, "%s format %s" % (path, fmt))
                assert_equal(is_csv(r), fmt == "csv", "format wins")
        # a problem stays JSON even when CSV was asked for
        r = node.get(path + sep + "bogus=1", token=c.viewer,
                     headers={"Accept": "text/csv"})
        bad(r, 400, "invalid-query", "%s bogus" % path)
    for path in paths[:7]:
        r = node.get(path.replace("/%s/" % T, "/nope/"), token=c.viewer,
                     headers={"Accept": "text/csv"})
        assert_4xx(r, "unknown-treasury", "csv of an unknown treasury")
    alive(node, "csv negotiation")


# ---- concurrent corrections and budget sets, then treasuryd check ----

def test_concurrent_corrections_then_check(ctx):
    node, c, (a, b), seqs = build(ctx)
    for i in range(6):
        category_ok(node, T, "e%d" % i, "expense")
    entries = []
    for i in range(4):
        p = c.transfer_ok(T, "USDC", str(i + 1), to="to-%d" % i,
                          extra={"category": "payroll"})
        c.vote_ok(p["id"], a, want_status="approved")
        c.execute_ok(p["id"])
    entries = [e["seq"] for e in c.ledger(T) if e["kind"] == "transfer"]
    opens = [c.transfer_ok(T, "USDC", "1", to="open-%d" % i)["id"]
             for i in range(2)]
    labels = ["payroll", "infra", None] + ["e%d" % i for i in range(6)]
    tok = c.treasurer
    answers, lock = [], threading.Lock()
    barrier = threading.Barrier(6)

    def worker(k):
        barrier.wait()
        for j in range(40):
            n = k * 40 + j
            lab = labels[n % len(labels)]
            if k < 2:
                path = "/v1/treasuries/%s/ledger/%d/category" % (
                    T, entries[n % len(entries)])
                r = node.post(path, {"category": lab}, token=tok)
            elif k < 4:
                path = "/v1/proposals/%s/category" % opens[n % 2]
                r = node.post(path, {"item": 0, "category": lab}, token=tok)
            else:
                path = "/v1/treasuries/%s/budgets" % T
                cat = labels[n % 2] if k == 4 else "e%d" % (n % 6)
                r = node.post(path, {"category": cat, "period":
                                     ("month", "quarter")[n % 2],
                                     "asset": "USDC",
                                     "amount": str(n % 7 + 1)}, token=tok)
            with lock:
                answers.append((path, r))

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
        assert_true(not t.is_alive(), "a worker hung")
    for path, r in answers:
        assert_true(r.status in (200, 201), "%s: %r" % (path, r))
    assert_equal(len(answers), 240, "every request answered")
    alive(node, "concurrent writes")
    # each entry's history chains: previous is the category before
    for seq in entries:
        e = node.get("/v1/treasuries/%s/ledger/%d" % (T, seq),
                     token=c.viewer).json
        hist = e["category_history"]
        for x, y in zip(hist, hist[1:]):
            assert_equal(y["previous"], x["category"], "history chains")
        if hist:
            assert_equal(hist[-1]["category"], e["category"], "last change")
    # the report still adds up by category
    r = node.get("/v1/treasuries/%s/report?from=0" % T, token=c.viewer)
    usdc = [x for x in r.json["assets"] if x["asset"] == "USDC"][0]
    total = sum(sg.amount_minor(x["outflow"], 6) for x in usdc["categories"])
    total += sg.amount_minor(usdc["uncategorised"]["outflow"], 6)
    assert_equal(total, sg.amount_minor(usdc["outflow"], 6),
                 "categories add up")
    r = node.get("/v1/treasuries/%s/budgets" % T, token=c.viewer)
    assert_equal(r.status, 200, "budgets: %r" % r)
    node.stop()
    rc, n, out = cm.check(ctx, node.db_path)
    assert_equal((rc, n), (0, 0), "treasuryd check after the storm: %s" % out)
    assert_true(not re.search(r"ledger_days|category", out) or n == 0,
                "no day or category finding: %s" % out)


def test_budget_set_delete_race(ctx):
    """Sets and deletes of one budget at once: a set is committed before
    its answer is read back, so a delete in between must not turn its
    answer into a 500 ("not applied") - it was applied."""
    node, c, _, _ = build(ctx)
    tok = c.treasurer
    B = "/v1/treasuries/%s/budgets" % T
    answers, lock = [], threading.Lock()
    barrier = threading.Barrier(4)

    def setter(k):
        barrier.wait()
        for i in range(150):
            amount = str(i % 5 + 1 + k)
            r = node.post(B, {"category": "payroll", "period": "month",
                              "asset": "USDC", "amount": amount}, token=tok)
            with lock:
                answers.append(("set", amount, r))

    def deleter():
        barrier.wait()
        for _ in range(150):
            r = node.request("DELETE", B + "/payroll/month", token=tok)
            with lock:
                answers.append(("delete", None, r))

    threads = [threading.Thread(target=setter, args=(k,)) for k in (0, 10)]
    threads += [threading.Thread(target=deleter) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
        assert_true(not t.is_alive(), "a worker hung")
    assert_equal(len(answers), 600, "every request answered")
    for what, amount, r in answers:
        if what == "delete":
            assert_true(r.status == 200 or r.status == 404,
                        "delete: %r" % r)
            if r.status == 404:
                assert_problem(r, 404, "unknown-budget")
            continue
        assert_true(r.status in (200, 201), "set %s: %r" % (amount, r))
        assert_equal((r.json["category"], r.json["period"], r.json["asset"]),
                     ("payroll", "month", "USDC"), "set answer")
        if r.json.get("deleted"):
            assert_equal(r.json["amount"], "%s.000000" % amount,
                         "a set deleted at once says what it set")
    alive(node, "set and delete race")
    node.stop()
    rc, n, out = cm.check(ctx, node.db_path)
    assert_equal((rc, n), (0, 0), "treasuryd check: %s" % out)
