"""treasuryctl report and runway (issue #14 §3, docs/man/treasuryctl.1).

Against the real daemon: a small book (two assets, income and expense
categories, categorised and uncategorised deposits, an executed transfer
with a category) is built through the API at times the test sets
(--unsafe-test-clock); the figures treasuryctl prints are compared with
figures computed here from the amounts the test moved (minor units,
Python integers), never copied from an answer.

Against a lying server (cli_helpers.ListStub): a report that does not add
up, a runway whose months are wrong and names carrying terminal escapes
are refused with exit 5 and nothing on standard output; figures beyond
2^128-1 minor units that do add up are shown exactly.

One case runs treasuryctl in a real terminal (tmux, cli_helpers.Terminal)
and reads the table off the screen."""

import copy
import shutil

import signers as sg
from cli_helpers import Ctl, ListStub, Terminal, EXIT_USAGE, EXIT_VERIFY
from framework import assert_equal, assert_true
from test_cli_flow import url_of
from treasury_helpers import setup, parse_ts, ts

DAY = 86400


def advance(node, seconds):
    r = node.post("/v1/test/clock", body={"advance_s": seconds})
    assert_equal(r.status, 200, "test clock: %r" % r)
    return parse_ts(r.json["now"])


def units(minor, decimals):
    """Minor units as the API prints them (exact, all fraction digits)."""
    q, r = divmod(minor, 10 ** decimals)
    return "%d.%0*d" % (q, decimals, r) if decimals else str(q)


class Book:
    """What the test did: (time, asset, signed minor units, category)."""

    def __init__(self):
        self.moves = []

    def add(self, t, asset, signed, category=None):
        self.moves.append((t, asset, signed, category))

    def expect(self, asset, frm, to):
        """opening, inflow, outflow, closing, {category: [in, out]},
        [uncategorised in, out] of asset in [frm, to)."""
        mine = [m for m in self.moves if m[1] == asset]
        opening = sum(s for t, _, s, _ in mine if t < frm)
        inside = [m for m in mine if frm <= m[0] < to]
        inflow = sum(s for _, _, s, _ in inside if s > 0)
        outflow = -sum(s for _, _, s, _ in inside if s < 0)
        cats, uncat = {}, [0, 0]
        for _, _, s, cat in inside:
            flow = cats.setdefault(cat, [0, 0]) if cat else uncat
            flow[0 if s > 0 else 1] += abs(s)
        return opening, inflow, outflow, opening + inflow - outflow, cats, \
            uncat


def build(ctx):
    """Two assets, two categories; money moved at set times. Returns
    node, client, book, a viewer's Ctl and the times of interest."""
    node, c = setup(ctx, extra_args=["--unsafe-test-clock"])
    c.asset_ok("USDC", 6)
    c.asset_ok("BTC", 8)
    a, b = sg.signers("rep", "es")
    c.treasury_ok("rep", 2, [a, b])
    for name, kind in (("grants", "income"), ("payroll", "expense")):
        r = node.post("/v1/treasuries/rep/categories",
                      {"name": name, "kind": kind})
        assert_equal(r.status, 201, "category %s: %r" % (name, r))
    book = Book()
    now = advance(node, 1)
    now = advance(node, DAY - now % DAY + 3600)    # 01:00 of a day

    def deposit(asset, amount, minor, ref, category=None):
        extra = {"category": category} if category else {}
        e = c.deposit_ok("rep", asset, amount, ref, **extra)
        book.add(parse_ts(e["created_at"]), asset, minor, category)

    deposit("USDC", "1000", 1000 * 10 ** 6, "seed")
    deposit("BTC", "2", 2 * 10 ** 8, "seed-btc")
    frm = advance(node, DAY)
    deposit("USDC", "250.25", 250250000, "g1", "grants")
    deposit("USDC", "0.000001", 1, "tip")
    deposit("BTC", "0.5", 50000000, "g2", "grants")
    advance(node, 3600)
    r = c.propose("rep", {"kind": "transfer", "asset": "USDC",
                          "amount": "112.5", "to": "dest-1", "memo": "",
                          "category": "payroll"})
    assert_equal(r.status, 201, "propose: %r" % r)
    c.approve_all(r.json["id"], [a, b])
    c.execute_ok(r.json["id"])
    last = c.ledger("rep")[-1]
    assert_equal(last["kind"], "transfer", "the debit")
    book.add(parse_ts(last["created_at"]), "USDC", -112500000, "payroll")
    to = advance(node, DAY)
    viewer = Ctl(ctx, url_of(node), c.viewer, name="report-viewer")
    return node, c, book, viewer, frm, to


def sections(out):
    """The report's tables: {asset: {line: [fields after the name]}}."""
    tables, cur = {}, None
    for line in out.splitlines():
        if line and not line.startswith(" ") and " (" in line and \
                line.endswith("decimals)"):
            cur = tables.setdefault(line.split()[0], {})
        elif cur is not None and line.startswith("  ") and line.strip():
            words = line.split()
            cur[words[0]] = words[1:]
    return tables


def check_table(table, book, asset, decimals, frm, to):
    opening, inflow, outflow, closing, cats, uncat = book.expect(asset, frm,
                                                                 to)
    u = lambda m: units(m, decimals)    # noqa: E731
    assert_equal(table["opening"], [u(opening)], asset + " opening")
    assert_equal(table["closing"], [u(closing)], asset + " closing")
    assert_equal(table["total"], [u(inflow), u(outflow)], asset + " total")
    assert_equal(table["uncategorised"], [u(uncat[0]), u(uncat[1])],
                 asset + " uncategorised")
    kinds = {"grants": "income", "payroll": "expense"}
    for name, (i, o) in cats.items():
        assert_equal(table[name], [kinds[name], u(i), u(o)],
                     "%s category %s" % (asset, name))
    listed = set(table) - {"LINE", "opening", "closing", "total",
                           "uncategorised"}
    assert_equal(listed, set(cats), asset + ": only categories that moved")


def test_cli_report_table_matches_the_book(ctx):
    node, c, book, viewer, frm, to = build(ctx)
    res = viewer.ok("report", "rep", "--from", str(frm), "--to", ts(to))
    assert_true("Report of treasury rep, [%s, %s)" % (ts(frm), ts(to))
                in res.out, "heading: %r" % res)
    tables = sections(res.out)
    assert_equal(sorted(tables), ["BTC", "USDC"], "one table per asset")
    check_table(tables["USDC"], book, "USDC", 6, frm, to)
    check_table(tables["BTC"], book, "BTC", 8, frm, to)
    # amounts are right-aligned: every amount column ends at one place
    usdc = res.out[res.out.index("USDC ("):]
    lines = [ln for ln in usdc.splitlines()[1:6] if ln.strip()]
    ends = {len(ln.rstrip()) for ln in lines if ln.split()[0] in
            ("uncategorised", "total", "payroll", "grants")}
    assert_equal(len(ends), 1, "flows right-aligned: %r" % lines)
    # --json: the verified answer as the server sent it
    js = viewer.ok("report", "rep", "--from", str(frm), "--to", ts(to),
                   "--json").json()
    direct = node.get("/v1/treasuries/rep/report?from=%d&to=%d" % (frm, to),
                      token=c.viewer).json
    assert_equal(js, direct, "--json is the server's answer")


def test_cli_report_periods(ctx):
    node, c, book, viewer, frm, to = build(ctx)
    start = frm - frm % DAY - 40 * DAY
    res = viewer.ok("report", "rep", "--from", str(start), "--to", ts(to),
                    "--period", "month")
    heads = [ln for ln in res.out.splitlines() if ln.startswith("== month")]
    assert_true(2 <= len(heads) <= 3, "months: %r" % res.out)
    # the last period holds the movements; its figures match the book
    last = res.out[res.out.rindex("== month"):]
    p_from = parse_ts(heads[-1].split("[")[1].split(",")[0])
    tables = sections(last)
    check_table(tables["USDC"], book, "USDC", 6, p_from, to)
    check_table(tables["BTC"], book, "BTC", 8, p_from, to)


def test_cli_report_usage(ctx):
    node, c, book, viewer, frm, to = build(ctx)
    for args in (("report", "rep"), ("report", "rep", "--from", "yesterday"),
                 ("report", "rep", "--from", "2026-02-01", "--to",
                  "2026-01-01"),
                 ("report", "rep", "--from", "2026-01-01", "--period",
                  "week"),
                 ("report", "Rep!", "--from", "2026-01-01"),
                 ("runway", "rep", "--from", "2026-01-01")):
        r = viewer.run(*args)
        assert_equal(r.rc, EXIT_USAGE, "%r: %r" % (args, r))
        assert_equal(r.out, "", "nothing on stdout")


def test_cli_runway_matches_the_book(ctx):
    node, c, book, viewer, frm, to = build(ctx)
    res = viewer.ok("runway", "rep")
    rows = {ln.split()[0]: ln.split()[1:] for ln in res.out.splitlines()
            if ln.split() and ln.split()[0] in ("USDC", "BTC")}
    at = to
    for asset, dec in (("USDC", 6), ("BTC", 8)):
        mine = [m for m in book.moves if m[1] == asset]
        bal = sum(m[2] for m in mine)
        o30 = -sum(m[2] for m in mine if at - 30 * DAY <= m[0] < at
                   and m[2] < 0)
        o90 = -sum(m[2] for m in mine if at - 90 * DAY <= m[0] < at
                   and m[2] < 0)
        months = "-" if o90 == 0 else units(bal * 300 // o90, 2)
        assert_equal(rows[asset], [units(bal, dec), units(o30, dec),
                                   units(o90, dec), months],
                     "runway of " + asset)
    assert_equal(rows["BTC"][3], "-", "no outflow: no runway")
    js = viewer.ok("runway", "rep", "--json").json()
    assert_equal([a["asset"] for a in js["assets"]], ["BTC", "USDC"],
                 "--json: the verified answer")


def test_cli_report_in_a_terminal(ctx):
    """The table as a person sees it on a real terminal (tmux)."""
    assert_true(shutil.which("tmux"), "tmux is needed (contrib/install-deps.sh)")
    node, c, book, viewer, frm, to = build(ctx)
    term = Terminal(ctx, viewer, ["report", "rep", "--from", str(frm),
                                  "--to", ts(to)], name="report-term")
    try:
        rc, screen = term.exit_code()
    finally:
        term.close()
    assert_equal(rc, 0, "report in a terminal:\n" + screen)
    opening, inflow, outflow, closing, cats, uncat = book.expect("USDC", frm,
                                                                 to)
    for want in ("USDC (6 decimals)", "LINE", "INFLOW", "OUTFLOW", "BALANCE"):
        assert_true(want in screen, "%r on screen:\n%s" % (want, screen))
    usdc = sections(screen)["USDC"]
    assert_equal(usdc["closing"], [units(closing, 6)], "closing on screen")
    assert_equal(usdc["payroll"], ["expense", "0.000000",
                                   units(cats["payroll"][1], 6)],
                 "payroll on screen")


# ---- a lying server ----

BIG = 2 ** 128 - 1      # the largest amount; sums go past it


def honest_report():
    """A report that adds up, with sums past 2^128-1 minor units."""
    inflow = 2 * BIG
    outflow = BIG + 5
    opening = 7
    return {
        "treasury": "rep", "from": "2026-01-01T00:00:00Z",
        "to": "2026-04-01T00:00:00Z",
        "assets": [{
            "asset": "USDC", "decimals": 6,
            "opening": units(opening, 6), "inflow": units(inflow, 6),
            "outflow": units(outflow, 6),
            "closing": units(opening + inflow - outflow, 6),
            "uncategorised": {"inflow": units(BIG, 6),
                              "outflow": units(5, 6)},
            "categories": [
                {"category": "grants", "kind": "income",
                 "inflow": units(BIG, 6), "outflow": units(0, 6)},
                {"category": "payroll", "kind": "expense",
                 "inflow": units(0, 6), "outflow": units(BIG, 6)}]}]}


def honest_runway():
    return {"treasury": "rep", "at": "2026-04-01T00:00:00Z", "assets": [
        {"asset": "BTC", "balance": "2.00000000", "outflow_30d": "0.00000000",
         "outflow_90d": "0.00000000", "runway_months": None},
        {"asset": "USDC", "balance": "1000.000000",
         "outflow_30d": "12.500000", "outflow_90d": "112.500000",
         "runway_months": units(1000 * 300 * 10 ** 6 // 112500000, 2)}]}


def via_stub(ctx, answer, *args):
    stub = ListStub(answer)
    try:
        return Ctl(ctx, stub.url, "trd_" + "0" * 64, name="stub").run(*args)
    finally:
        stub.close()


REPORT_ARGS = ("report", "rep", "--from", "2026-01-01", "--to", "2026-04-01")


def lie(mutate):
    def answer(path, query):
        if path.endswith("/runway"):
            obj = honest_runway()
        else:
            obj = honest_report()
        mutate(obj)
        return obj
    return answer


def test_cli_report_hostile_sums_past_2_128_shown_exactly(ctx):
    res = via_stub(ctx, lie(lambda o: None), *REPORT_ARGS)
    assert_equal(res.rc, 0, "an honest report: %r" % res)
    t = sections(res.out)["USDC"]
    assert_equal(t["total"], [units(2 * BIG, 6), units(BIG + 5, 6)],
                 "sums past 2^128-1 in full")
    assert_equal(t["closing"], [units(7 + 2 * BIG - BIG - 5, 6)], "closing")
    res = via_stub(ctx, lie(lambda o: None), "runway", "rep")
    assert_equal(res.rc, 0, "an honest runway: %r" % res)
    assert_true("26.66" in res.out and "-" in res.out, res.out)


def refused(ctx, mutate, *want, args=REPORT_ARGS):
    res = via_stub(ctx, lie(mutate), *args)
    assert_equal(res.rc, EXIT_VERIFY, "refused: %r" % res)
    assert_equal(res.out, "", "nothing printed as if valid: %r" % res)
    for w in want:
        assert_true(w in res.err, "%r named: %r" % (w, res.err))
    assert_true("\x1b" not in res.err and "\u202e" not in res.err,
                "no raw escape: %r" % res.err)
    return res


def test_cli_report_hostile_closing_does_not_add_up(ctx):
    def off_by_one(o):
        a = o["assets"][0]
        a["closing"] = units(7 + 2 * BIG - BIG - 5 + 1, 6)
    refused(ctx, off_by_one, "asset USDC", "closing")


def test_cli_report_hostile_categories_do_not_add_up(ctx):
    def inflow(o):
        o["assets"][0]["categories"][0]["inflow"] = units(BIG - 1, 6)
    refused(ctx, inflow, "asset USDC", "inflow")

    def outflow(o):
        o["assets"][0]["uncategorised"]["outflow"] = units(6, 6)
    refused(ctx, outflow, "asset USDC", "outflow")


def test_cli_report_hostile_spend_shown_as_income(ctx):
    """Deposits take income categories, transfers expense ones: an income
    category with outflow is a lie even when the sums add up."""
    def relabel(o):
        cats = o["assets"][0]["categories"]
        cats[0]["outflow"], cats[1]["outflow"] = cats[1]["outflow"], \
            cats[0]["outflow"]
    refused(ctx, relabel, "asset USDC", "income category grants has outflow")

    def income_as_expense(o):
        cats = o["assets"][0]["categories"]
        cats[1]["inflow"], cats[0]["inflow"] = cats[0]["inflow"], \
            cats[1]["inflow"]
    refused(ctx, income_as_expense, "expense category payroll has inflow")


def test_cli_report_hostile_grammar(ctx):
    cases = [
        ("category name with escapes and bidi",
         lambda o: o["assets"][0]["categories"][0].update(
             category="grants\x1b[2J\u202eevil"), "category 1"),
        ("amount with the wrong decimals",
         lambda o: o["assets"][0].update(opening="7.0"), "opening"),
        ("amount not canonical",
         lambda o: o["assets"][0].update(opening="00.000007"), "opening"),
        ("negative amount",
         lambda o: o["assets"][0].update(opening="-0.000007"), "opening"),
        ("asset code with an escape",
         lambda o: o["assets"][0].update(asset="USDC\x1b[1A"), "code"),
        ("kind", lambda o: o["assets"][0]["categories"][0].update(
            kind="income\x07"), "kind"),
        ("decimals", lambda o: o["assets"][0].update(decimals=19),
         "decimals"),
        ("categories out of order",
         lambda o: o["assets"][0]["categories"].reverse(), "order"),
        ("time", lambda o: o.update(to="2026-04-01T00:00:00Z\x1b[2K"),
         "[from, to)"),
        ("another range",
         lambda o: o.update({"from": "2025-01-01T00:00:00Z"}), "range"),
        ("another treasury", lambda o: o.update(treasury="other"),
         "treasury"),
    ]
    for what, mutate, named in cases:
        res = refused(ctx, mutate, named)
        assert_true("evil" not in res.err, what + ": the name not shown")


def test_cli_report_hostile_periods(ctx):
    def periodic(o):
        one = copy.deepcopy(o)
        del one["treasury"]
        o.clear()
        o.update({"treasury": "rep", "from": one["from"], "to": one["to"],
                  "period": "quarter", "periods": [
                      {"from": one["from"], "to": one["to"],
                       "assets": one["assets"]}]})
    args = REPORT_ARGS + ("--period", "quarter")
    res = via_stub(ctx, lie(periodic), *args)
    assert_equal(res.rc, 0, "one honest quarter: %r" % res)
    assert_true("== quarter [2026-01-01T00:00:00Z, 2026-04-01T00:00:00Z)"
                in res.out, res.out)

    def split_wrong(o):
        periodic(o)
        p = o["periods"][0]
        p["to"] = "2026-02-01T00:00:00Z"
        o["periods"].append({"from": "2026-02-01T00:00:00Z",
                             "to": one_end, "assets": []})
    one_end = "2026-04-01T00:00:00Z"
    refused(ctx, split_wrong, "period 1", args=args)

    def not_continued(o):
        o.clear()
        months = [("2026-01-01", "2026-02-01"), ("2026-02-01", "2026-03-01"),
                  ("2026-03-01", "2026-04-01")]
        periods = []
        for i, (f, t) in enumerate(months):
            a = honest_report()["assets"][0]
            if i == 2:
                a["opening"] = units(8, 6)
                a["closing"] = units(8 + BIG - 5, 6)
            periods.append({"from": f + "T00:00:00Z", "to": t + "T00:00:00Z",
                            "assets": [a]})
        o.update({"treasury": "rep", "from": "2026-01-01T00:00:00Z",
                  "to": "2026-04-01T00:00:00Z", "period": "month",
                  "periods": periods})
    refused(ctx, not_continued, "asset USDC", "period before",
            args=REPORT_ARGS + ("--period", "month"))


def test_cli_runway_hostile(ctx):
    args = ("runway", "rep")

    def months(o):
        o["assets"][1]["runway_months"] = "26.67"
    refused(ctx, months, "asset USDC", "runway_months", args=args)

    def no_null(o):
        o["assets"][0]["runway_months"] = "0.00"
    refused(ctx, no_null, "asset BTC", "null", args=args)

    def null_with_outflow(o):
        o["assets"][1]["runway_months"] = None
    refused(ctx, null_with_outflow, "asset USDC", args=args)

    def thirty_more(o):
        o["assets"][1]["outflow_30d"] = "112.500001"
    refused(ctx, thirty_more, "outflow_30d", args=args)

    def decimals(o):
        o["assets"][1]["outflow_90d"] = "112.5"
    refused(ctx, decimals, "outflow_90d", args=args)

    def name(o):
        o["assets"][1]["asset"] = "\u202eUSDC"
    refused(ctx, name, "code", args=args)
