"""Accounting reads (issue #14): GET /v1/treasuries/{t}/report and /runway.

Money moves at times the test sets with --unsafe-test-clock; the expected
opening, inflow, outflow, closing and runway are computed here from the
amounts the test moved (minor units, Python integers), never copied from
an answer. Boundaries are half-open: an entry exactly at `from` is in the
period, one exactly at `to` is not."""

import urllib.parse

import signers as sg
from framework import assert_equal, assert_problem, assert_true
from treasury_helpers import setup, parse_ts, ts

DAY = 86400


def advance(node, seconds):
    r = node.post("/v1/test/clock", body={"advance_s": seconds})
    assert_equal(r.status, 200, "test clock: %r" % r)
    return parse_ts(r.json["now"])


def units(minor, decimals=6):
    """Minor units as the API prints them (exact, all fraction digits)."""
    q, r = divmod(minor, 10 ** decimals)
    return "%d.%0*d" % (q, decimals, r) if decimals else str(q)


def get(c, tid, what, **params):
    path = "/v1/treasuries/%s/%s" % (tid, what)
    if params:
        path += "?" + urllib.parse.urlencode(params)
    return c.node.get(path, token=c.viewer)


class Book:
    """What the test did: (time, +/- minor units) per movement."""

    def __init__(self):
        self.moves = []

    def add(self, t, signed):
        self.moves.append((t, signed))

    def expect(self, frm, to):
        opening = sum(m for t, m in self.moves if t < frm)
        inflow = sum(m for t, m in self.moves if frm <= t < to and m > 0)
        outflow = -sum(m for t, m in self.moves if frm <= t < to and m < 0)
        return opening, inflow, outflow, opening + inflow - outflow

    def outflow(self, frm, to):
        return -sum(m for t, m in self.moves if frm <= t < to and m < 0)


def spend(c, tid, signers_, amount, minor, book):
    r = c.propose(tid, {"kind": "transfer", "asset": "USDC",
                        "amount": amount, "to": "dest-1", "memo": ""})
    assert_equal(r.status, 201, "propose: %r" % r)
    p = r.json
    c.approve_all(p["id"], signers_)
    r = c.execute_ok(p["id"])
    entries = c.ledger(tid)
    last = entries[-1]
    assert_equal(last["kind"], "transfer", "last entry is the debit")
    book.add(parse_ts(last["created_at"]), -minor)
    return r


def deposit(c, tid, amount, minor, ref, book):
    e = c.deposit_ok(tid, "USDC", amount, ref)
    book.add(parse_ts(e["created_at"]), minor)
    return e


def build(ctx):
    node, c = setup(ctx, extra_args=["--unsafe-test-clock"])
    c.asset_ok("USDC", 6)
    a, b = sg.signers("rep", "es")
    c.treasury_ok("rep", 2, [a, b])
    book = Book()
    # Start at a day boundary plus a few hours, so partial days matter.
    now = advance(node, 1)
    now = advance(node, DAY - now % DAY + 3 * 3600)
    deposit(c, "rep", "1000", 1000 * 10 ** 6, "d1", book)
    advance(node, 3600)
    deposit(c, "rep", "0.000001", 1, "d2", book)
    advance(node, 2 * DAY + 1800)
    spend(c, "rep", [a, b], "12.5", 12500000, book)
    advance(node, 40 * DAY)
    deposit(c, "rep", "250.25", 250250000, "d3", book)
    advance(node, 7)
    spend(c, "rep", [a, b], "100", 100 * 10 ** 6, book)
    advance(node, 20 * DAY)
    spend(c, "rep", [a, b], "0.3", 300000, book)
    advance(node, 5 * DAY)
    return node, c, book


def check_asset(asset, book, frm, to, what):
    opening, inflow, outflow, closing = book.expect(frm, to)
    assert_equal(asset["asset"], "USDC", what)
    assert_equal(asset["decimals"], 6, what)
    assert_equal(asset["opening"], units(opening), what + " opening")
    assert_equal(asset["inflow"], units(inflow), what + " inflow")
    assert_equal(asset["outflow"], units(outflow), what + " outflow")
    assert_equal(asset["closing"], units(closing), what + " closing")
    # no categories on this branch's entries: all uncategorised
    assert_equal(asset["uncategorised"], {"inflow": units(inflow),
                 "outflow": units(outflow)}, what + " uncategorised")
    assert_equal(asset["categories"], [], what + " categories")


def test_report_boundaries_and_partial_days(ctx):
    node, c, book = build(ctx)
    times = sorted(t for t, _ in book.moves)
    first, last = times[0], times[-1]
    # Every window whose ends are at, just before or just after each
    # movement (and at day boundaries), against the book.
    edges = set()
    for t in times:
        edges.update((t - 1, t, t + 1, t - t % DAY, t - t % DAY + DAY))
    edges = sorted(e for e in edges if e > 0)
    pairs = [(f, t) for f in edges for t in edges if f < t]
    pairs = pairs[::max(1, len(pairs) // 60)] + [(first, last),
                                                 (first, last + 1)]
    for frm, to in pairs:
        r = get(c, "rep", "report", **{"from": str(frm), "to": str(to)})
        assert_equal(r.status, 200, "report %d..%d: %r" % (frm, to, r))
        assert_equal(r.json["from"], ts(frm), "from echoed")
        assert_equal(r.json["to"], ts(to), "to echoed")
        assert_equal(len(r.json["assets"]), 1, "one asset")
        check_asset(r.json["assets"][0], book, frm, to,
                    "report [%d, %d)" % (frm, to))
    # The entry exactly at `from` is in, exactly at `to` is out.
    r = get(c, "rep", "report", **{"from": ts(first), "to": ts(last)})
    a = r.json["assets"][0]
    assert_equal(a["opening"], "0.000000", "nothing before the first entry")
    assert_equal(a["outflow"], units(12500000 + 100 * 10 ** 6),
                 "the last spend, at to, is out")
    # to defaults to now: the closing is the balance.
    r = get(c, "rep", "report", **{"from": "1970-01-02"})
    assert_equal(r.status, 200, "report to now")
    assert_equal(r.json["assets"][0]["closing"], c.balance("rep", "USDC"),
                 "closing at now = balance")


def test_report_periods(ctx):
    node, c, book = build(ctx)
    first = min(t for t, _ in book.moves)
    frm = first - first % DAY
    to = frm + 120 * DAY
    r = get(c, "rep", "report", **{"from": str(frm), "to": str(to),
                                   "period": "month"})
    assert_equal(r.status, 200, "monthly report: %r" % r)
    assert_equal(r.json["period"], "month", "period echoed")
    periods = r.json["periods"]
    assert_equal(periods[0]["from"], ts(frm), "first period starts at from")
    assert_equal(periods[-1]["to"], ts(to), "last period ends at to")
    for p, q in zip(periods, periods[1:]):
        assert_equal(p["to"], q["from"], "periods are contiguous")
    for p in periods:
        pf, pt = parse_ts(p["from"]), parse_ts(p["to"])
        if p is not periods[-1]:
            assert_true(pt % DAY == 0 and p["to"][8:10] == "01",
                        "cut at the 1st of a month: %s" % p["to"])
        check_asset(p["assets"][0], book, pf, pt, "period " + p["from"])
    assert_true(4 <= len(periods) <= 5, "120 days: 4 or 5 months")


def test_runway(ctx):
    node, c, book = build(ctx)
    r = get(c, "rep", "runway")
    assert_equal(r.status, 200, "runway: %r" % r)
    now = parse_ts(r.json["at"])
    (a,) = r.json["assets"]
    balance = sum(m for _, m in book.moves)
    o30 = book.outflow(now - 30 * DAY, now)
    o90 = book.outflow(now - 90 * DAY, now)
    assert_true(o30 != o90, "the windows differ in this history")
    assert_equal(a["asset"], "USDC", "asset")
    assert_equal(a["balance"], units(balance), "balance")
    assert_equal(a["outflow_30d"], units(o30), "outflow_30d")
    assert_equal(a["outflow_90d"], units(o90), "outflow_90d")
    months = balance * 300 // o90
    assert_equal(a["runway_months"], "%d.%02d" % divmod(months, 100),
                 "runway months, rounded down")
    # 91 days later nothing went out in 90 days: null.
    advance(node, 91 * DAY)
    r = get(c, "rep", "runway")
    assert_equal(r.json["assets"][0]["runway_months"], None, "no outflow")
    assert_equal(r.json["assets"][0]["outflow_90d"], "0.000000", "zero")


def test_report_bad_parameters(ctx):
    node, c, book = build(ctx)
    bad = [({}, "from"), ({"from": "yesterday"}, "from"),
           ({"from": "2026-02-30"}, "from"),
           ({"from": "2026-01-01", "to": "2026-01-01"}, "to"),
           ({"from": "2026-01-02", "to": "2026-01-01"}, "to"),
           ({"from": "2026-01-01", "to": "x"}, "to"),
           ({"from": "2026-01-01", "period": "week"}, "period"),
           ({"from": "1990-01-01", "to": "2020-01-02", "period": "month"},
            "period"),
           ({"from": "2026-01-01", "bogus": "1"}, "bogus")]
    for params, name in bad:
        r = get(c, "rep", "report", **params)
        assert_problem(r, 400, "invalid-query")
        assert_true(name in r.json.get("detail", ""),
                    "detail names %s: %r" % (name, r.json))
    # 240 months is the most
    r = get(c, "rep", "report", **{"from": "2000-01-01", "to": "2020-01-01",
                                   "period": "month"})
    assert_equal(r.status, 200, "240 periods: %r" % r)
    assert_equal(len(r.json["periods"]), 240, "240 months")
    assert_problem(get(c, "nope", "report", **{"from": "2026-01-01"}), 404,
                   "unknown-treasury")
    assert_problem(get(c, "nope", "runway"), 404, "unknown-treasury")


# ---- ledger filters ----

def ledger_filtered(c, tid, limit=None, **filters):
    items, _ = c.all_pages("/v1/treasuries/%s/ledger" % tid, "entries",
                           limit=limit, **filters)
    return [e["seq"] for e in items]


def tparse(v):
    return int(v) if v.isdigit() else parse_ts(v)


def counterparty(e):
    return e.get("source") if e["kind"] == "deposit" else e.get("to")


def test_ledger_filters(ctx):
    node, c, book = build(ctx)
    c.asset_ok("BTC", 8)
    c.deposit_ok("rep", "BTC", "0.5", "b1", source="acme, inc")
    advance(node, 10)
    c.deposit_ok("rep", "USDC", "3", "d9", source="acme, inc")
    full = c.ledger("rep")
    assert_true(len(full) >= 8, "history built")
    times = sorted({parse_ts(e["created_at"]) for e in full})
    cases = []
    for t in times:
        cases += [{"from": str(t)}, {"to": str(t)}, {"from": ts(t)},
                  {"from": str(t), "to": str(t + 1)},
                  {"from": str(t - t % DAY), "to": str(t - t % DAY + DAY)}]
    cases += [{"kind": "deposit"}, {"kind": "transfer"}, {"asset": "BTC"},
              {"asset": "USDC", "kind": "transfer"}, {"category": "-"},
              {"category": "grants"}, {"counterparty": "acme, inc"},
              {"counterparty": "dest-1"}, {"asset": "NOPE"},
              {"counterparty": "acme, inc", "asset": "USDC",
               "from": str(times[1])}]

    def keep(e, f):
        t = parse_ts(e["created_at"])
        if "from" in f and t < tparse(f["from"]):
            return False
        if "to" in f and t >= tparse(f["to"]):
            return False
        if "kind" in f and e["kind"] != f["kind"]:
            return False
        if "asset" in f and e["asset"] != f["asset"]:
            return False
        if "category" in f and (e.get("category") or "-") != f["category"]:
            return False
        if "counterparty" in f and counterparty(e) != f["counterparty"]:
            return False
        return True

    for f in cases:
        want = [e["seq"] for e in full if keep(e, f)]
        if f in ({"kind": "transfer"}, {"asset": "BTC"}, {"category": "-"},
                 {"counterparty": "acme, inc"}, {"counterparty": "dest-1"}):
            assert_true(want, "the history has entries for %r" % f)
        if f in ({"asset": "NOPE"}, {"category": "grants"}):
            assert_equal(want, [], "nothing for %r" % f)
        assert_equal(ledger_filtered(c, "rep", **f), want, "filter %r" % f)
        # pages of 2 under the filter give the same list
        assert_equal(ledger_filtered(c, "rep", limit=2, **f), want,
                     "filter %r in pages of 2" % f)
    # The boundary entries exactly: an entry at from is in, one at to out.
    t = times[2]
    at_t = [e["seq"] for e in full if parse_ts(e["created_at"]) == t]
    got = ledger_filtered(c, "rep", **{"from": str(t), "to": str(t + 1)})
    assert_equal(got, at_t, "exactly the entries at t")
    assert_true(all(s not in ledger_filtered(c, "rep", to=str(t))
                    for s in at_t), "to=t excludes t")
    # A cursor is bound to its filters.
    r = c.page("/v1/treasuries/rep/ledger", limit=1, kind="deposit")
    cur = r.json["next_cursor"]
    assert_true(cur, "a next page")
    assert_problem(c.page("/v1/treasuries/rep/ledger", limit=1, cursor=cur,
                          kind="transfer"), 400, "invalid-query")
    assert_problem(c.page("/v1/treasuries/rep/ledger", limit=1, cursor=cur),
                   400, "invalid-query")
    for name, value in [("kind", "withdrawal"), ("asset", "US DC"),
                        ("category", "Bad"), ("category", ""),
                        ("counterparty", ""), ("counterparty", "a\tb"),
                        ("from", "2026-13-01"), ("to", "-5")]:
        r = c.page("/v1/treasuries/rep/ledger", **{name: value})
        assert_problem(r, 400, "invalid-query")
        assert_true(name in r.json["detail"], "detail names %s: %r"
                    % (name, r.json))


# ---- CSV ----

import csv as csvmod
import io


def csv_rows(r):
    assert_equal(r.status, 200, "csv answer: %r" % r)
    assert_equal(r.header("Content-Type"), "text/csv; charset=utf-8",
                 "csv content type")
    assert_true((r.header("Content-Disposition") or "").startswith(
        "attachment; filename="), "attachment")
    text = r.body.decode("utf-8") if isinstance(r.body, bytes) else r.body
    lines = text.split("\r\n")
    assert_equal(lines[-1], "", "ends with CRLF")
    return list(csvmod.reader(io.StringIO(text, newline="")))


HOSTILE = ['=HYPERLINK("x")', '+1', '-2', '@cmd', 'a "quoted" word',
           'comma, separated', 'plain']


def test_ledger_csv_round_trip(ctx):
    node, c = setup(ctx)
    c.asset_ok("USDC", 6)
    c.asset_ok("WEI", 18)
    a, b = sg.signers("csv", "es")
    c.treasury_ok("csv", 2, [a, b])
    for i, h in enumerate(HOSTILE):
        c.deposit_ok("csv", "USDC", "1%d.00000%d" % (i, i), "r%d" % i,
                     source=h, memo=h)
    c.deposit_ok("csv", "WEI", "340282366920938463463.374607431768211455",
                 "big")
    want = c.ledger("csv")
    for how in ({"format": "csv"}, None):
        if how:
            r = get(c, "csv", "ledger", **how)
        else:
            r = c.node.get("/v1/treasuries/csv/ledger", token=c.viewer,
                           headers={"Accept": "text/csv"})
        rows = csv_rows(r)
        head, body = rows[0], rows[1:]
        assert_equal(head, ["seq", "created_at", "kind", "asset", "amount",
                            "balance_after", "category", "counterparty",
                            "reference", "source", "to", "memo",
                            "proposal_id"], "header row")
        assert_equal(len(body), len(want), "every entry")
        for row, e in zip(body, want):
            got = dict(zip(head, row))
            assert_equal(int(got["seq"]), e["seq"], "seq")
            assert_equal(got["amount"], e["amount"], "amount exact")
            assert_equal(got["balance_after"], e["balance_after"],
                         "balance exact")
            assert_equal(got["created_at"], e["created_at"], "time")
            src = e.get("source") or ""
            guarded = "'" + src if src[:1] in ("=", "+", "-", "@") else src
            assert_equal(got["source"], guarded, "source, formula-guarded")
            assert_equal(got["counterparty"], guarded, "counterparty")
            memo = e.get("memo") or ""
            assert_equal(got["memo"], "'" + memo if memo[:1] in "=+-@"
                         and memo else memo, "memo")
    # JSON stays the default, and a bad format is a 400
    assert_equal(get(c, "csv", "ledger", format="json").status, 200, "json")
    assert_problem(get(c, "csv", "ledger", format="xml"), 400,
                   "invalid-query")


def test_ledger_csv_stream_3000(ctx):
    node, c = setup(ctx)
    c.asset_ok("USDC", 6)
    a, b = sg.signers("big", "es")
    c.treasury_ok("big", 2, [a, b])
    total = 0
    for i in range(3000):
        amount = 1000000 + i * 7919
        total += amount
        r = c.deposit("big", "USDC", units(amount), "r%d" % i,
                      memo="m, \"%d\"" % i)
        assert_equal(r.status, 201, "deposit %d" % i)
    rows = csv_rows(get(c, "big", "ledger", format="csv"))[1:]
    assert_equal(len(rows), 3000, "all 3000 entries streamed")
    seqs = [int(r[0]) for r in rows]
    assert_equal(seqs, sorted(seqs), "in order")
    assert_equal(len(set(seqs)), 3000, "no entry twice")
    got = sum(int(r[4].replace(".", "")) for r in rows)
    assert_equal(got, total, "the amounts add up exactly")
    assert_equal(rows[-1][5], units(total), "last balance")
    assert_equal(rows[1234][11], 'm, "1234"', "memo round trip")
    # after a cursor, filtered: the rest only
    r = c.page("/v1/treasuries/big/ledger", limit=100, kind="deposit")
    cur = r.json["next_cursor"]
    rows = csv_rows(get(c, "big", "ledger", format="csv", kind="deposit",
                        cursor=cur))[1:]
    assert_equal(len(rows), 2900, "after the cursor")


def test_report_csv(ctx):
    node, c, book = build(ctx)
    first = min(t for t, _ in book.moves)
    frm, to = first - first % DAY, first - first % DAY + 90 * DAY
    j = get(c, "rep", "report", **{"from": str(frm), "to": str(to),
                                   "period": "month"}).json
    rows = csv_rows(get(c, "rep", "report", **{
        "from": str(frm), "to": str(to), "period": "month",
        "format": "csv"}))
    assert_equal(rows[0], ["from", "to", "asset", "line", "kind", "inflow",
                           "outflow", "amount"], "header")
    for p in j["periods"]:
        mine = [r for r in rows[1:] if r[0] == p["from"]]
        a = p["assets"][0]
        lines = {r[3]: r for r in mine}
        assert_equal(lines["opening"][7], a["opening"], "opening")
        assert_equal(lines["closing"][7], a["closing"], "closing")
        assert_equal(lines["total"][5:7], [a["inflow"], a["outflow"]],
                     "totals")
        opening, inflow, outflow, closing = book.expect(
            parse_ts(p["from"]), parse_ts(p["to"]))
        assert_equal(lines["closing"][7], units(closing), "closing vs book")


def test_runway_csv(ctx):
    node, c, book = build(ctx)
    j = get(c, "rep", "runway").json
    rows = csv_rows(get(c, "rep", "runway", format="csv"))
    assert_equal(rows[0], ["asset", "balance", "outflow_30d", "outflow_90d",
                           "runway_months"], "header")
    a = j["assets"][0]
    assert_equal(rows[1], ["USDC", a["balance"], a["outflow_30d"],
                           a["outflow_90d"], a["runway_months"]], "row")
    assert_equal(a["balance"], units(sum(m for _, m in book.moves)),
                 "balance vs book")
