"""The dashboard's Accounting tab (api/ui/accounting.js) and the ledger's
category column and filter, in headless Chromium (helpers of test_ui.py).

The test builds, through the API and with --unsafe-test-clock, four months
of a treasury's life: income and expense categories, categorised deposits,
categorised transfers approved by signers and executed, a month budget
crossing 80 % and one over its amount with an open (approved, not yet
executed) proposal. What the page must show is computed here from what
the test moved (minor units, Python integers), never copied from an
answer: each budget's spent / committed / remaining and alerts, the SVG
bars' widths in the right order, the outflow of each month in the burn
chart, the runway months (floor(balance x 300 / outflow_90d) / 100,
docs/api.md). An execution over the API then shows up live. The hostile
strings: a category name holding <img onerror> is refused by the API
(category-name: names are [a-z0-9][a-z0-9_-]*), so the hostile text rides
in a deposit's source (the ledger's counterparty) and memo and must show
as text and run nothing. Screenshots at 1280 and 360 px go with test_ui's.
"""

import calendar
import time

import signers as sg
import test_ui as ui
from framework import assert_equal, assert_problem, assert_true
from treasury_helpers import parse_ts, setup

T = "acct"
DEST = ui.DEST
XSS_CAT = '<img src=x onerror="window.__xss=\'cat\'">'
XSS_SRC = '<img src=x onerror=window.__xss=7>'
DAY = 86400


def units(minor, decimals=6):
    """Minor units as the API prints them (every fraction digit)."""
    sign = "-" if minor < 0 else ""
    q, r = divmod(abs(minor), 10 ** decimals)
    return sign + ("%d.%0*d" % (q, decimals, r) if decimals else str(q))


def advance(node, seconds):
    r = node.post("/v1/test/clock", body={"advance_s": seconds})
    assert_equal(r.status, 200, "test clock: %r" % r)
    return parse_ts(r.json["now"])


def to_next_month(node, day=4):
    """Move the daemon's clock to 10:00 UTC on `day` of the next month."""
    now = advance(node, 1)
    tm = time.gmtime(now)
    y, m = (tm.tm_year + 1, 1) if tm.tm_mon == 12 else (tm.tm_year, tm.tm_mon + 1)
    target = calendar.timegm((y, m, day, 10, 0, 0))
    return advance(node, target - now)


def month_of(t):
    return time.strftime("%Y-%m", time.gmtime(t))


class Book:
    """Every movement the test made: (time, asset, signed minor, category)."""

    def __init__(self):
        self.moves = []

    def balance(self, asset):
        return sum(m for _, a, m, _ in self.moves if a == asset)

    def outflow(self, asset, frm, to):
        return -sum(m for t, a, m, _ in self.moves
                    if a == asset and m < 0 and frm <= t < to)

    def month_outflow(self, asset, month):
        return -sum(m for t, a, m, _ in self.moves
                    if a == asset and m < 0 and month_of(t) == month)

    def spent(self, category, asset, frm):
        return -sum(m for t, a, m, c in self.moves
                    if a == asset and m < 0 and c == category and t >= frm)


def deposit(c, book, asset, amount, minor, ref, **extra):
    e = c.deposit_ok(T, asset, amount, ref, **extra)
    book.moves.append((parse_ts(e["created_at"]), asset, minor,
                       extra.get("category")))
    return e


def propose(c, asset, amount, category):
    body = {"kind": "transfer", "asset": asset, "amount": amount, "to": DEST,
            "memo": ""}
    if category is not None:
        body["category"] = category
    r = c.propose(T, body)
    assert_equal(r.status, 201, "propose: %r" % r)
    assert_equal(r.json.get("category"), category, "the proposal's label")
    return r.json


def execute(c, book, pid, asset, minor, category):
    c.execute_ok(pid)
    last = c.ledger(T)[-1]
    assert_equal((last["kind"], last["proposal"], last["category"]),
                 ("transfer", pid, category), "the debit and its label")
    book.moves.append((parse_ts(last["created_at"]), asset, -minor, category))


def spend(c, book, signers_, asset, amount, minor, category):
    p = propose(c, asset, amount, category)
    c.approve_all(p["id"], signers_)
    execute(c, book, p["id"], asset, minor, category)
    return p


def build(ctx):
    node, c = setup(ctx, extra_args=["--unsafe-test-clock"])
    c.asset_ok("USDC", 6)
    c.asset_ok("BTC", 8, chain="bitcoin")
    a, b, d = sg.signers(T, "ees")
    c.treasury_ok(T, 2, [a, b, d], name="Accounting desk")
    cats = "/v1/treasuries/%s/categories" % T
    for name, kind in (("ops", "expense"), ("grants-out", "expense"),
                       ("donations", "income")):
        r = node.post(cats, {"name": name, "kind": kind}, token=c.treasurer)
        assert_equal(r.status, 201, "category %s: %r" % (name, r))
    # a category name cannot carry markup: the API refuses it
    assert_problem(node.post(cats, {"name": XSS_CAT, "kind": "expense"},
                             token=c.treasurer), 400, "category-name")
    book = Book()
    sig = [a, b]
    # month 1: income (one deposit with a hostile source and memo), spends
    to_next_month(node)
    deposit(c, book, "USDC", "1000", 1000 * 10 ** 6, "don-1",
            category="donations", source=XSS_SRC, memo=ui.XSS_MEMO)
    deposit(c, book, "BTC", "2", 2 * 10 ** 8, "btc-1")
    spend(c, book, sig, "USDC", "100", 100 * 10 ** 6, "ops")
    spend(c, book, sig, "BTC", "0.25", 25 * 10 ** 6, None)
    # months 2 and 3
    to_next_month(node)
    spend(c, book, sig, "USDC", "40.5", 40500000, "ops")
    to_next_month(node)
    spend(c, book, sig, "USDC", "60", 60 * 10 ** 6, "ops")
    # month 4, the budgets' month: spends, then open proposals
    to_next_month(node, day=10)
    budgets = "/v1/treasuries/%s/budgets" % T
    for cat, amount in (("ops", "100"), ("grants-out", "50")):
        r = node.post(budgets, {"category": cat, "period": "month",
                                "asset": "USDC", "amount": amount},
                      token=c.treasurer)
        assert_equal(r.status, 201, "budget %s: %r" % (cat, r))
    deposit(c, book, "USDC", "0.000001", 1, "don-2", category="donations")
    spend(c, book, sig, "USDC", "85", 85 * 10 ** 6, "ops")
    spend(c, book, sig, "USDC", "40", 40 * 10 ** 6, "grants-out")
    pending = propose(c, "USDC", "10", "ops")              # committed, pending
    approved = propose(c, "USDC", "25", "grants-out")      # committed, approved
    c.approve_all(approved["id"], sig)
    return node, c, book, (a, b, d), pending, approved


def expected_budgets(c, book, open_items):
    """category -> (amount, spent, committed, remaining, alerts) in minor
    units, from the test's own book; open_items: [(category, minor)]."""
    r = c.node.get("/v1/treasuries/%s/budgets" % T, token=c.viewer)
    assert_equal(r.status, 200, "budgets: %r" % r)
    out = {}
    for bud in r.json["budgets"]:
        frm = parse_ts(bud["period_from"])
        amount = {"ops": 100, "grants-out": 50}[bud["category"]] * 10 ** 6
        spent = book.spent(bud["category"], "USDC", frm)
        committed = sum(m for cat, m in open_items if cat == bud["category"])
        alerts = [lvl for lvl in (80, 100) if spent * 100 >= amount * lvl]
        want = (units(amount), units(spent), units(committed),
                units(amount - spent - committed), alerts)
        got = (bud["amount"], bud["spent"], bud["committed"], bud["remaining"],
               bud["alerts"])
        assert_equal(got, want, "the API's %s budget" % bud["category"])
        out[bud["category"]] = want
    assert_equal(sorted(out), ["grants-out", "ops"], "two budgets")
    return out


def shown_budget(drv, cat):
    sel = "#budgets article.budget[data-category='%s']" % cat
    figs = tuple(ui.text_of(drv, sel + " .figures dd.%s .num" % k)
                 for k in ("spent", "committed", "remaining"))
    alerts = ui.texts(drv, sel + " .alert")
    widths = ui.js(drv, "const o = {}; document.querySelectorAll(arguments[0])"
                        ".forEach((r) => { o[r.dataset.part] = "
                        "parseFloat(r.getAttribute('width')); }); return o;",
                   sel + " svg.budget-bar rect[data-part]")
    return figs, alerts, widths


def check_budgets(drv, want):
    ops = want["ops"]
    figs, alerts, w = shown_budget(drv, "ops")
    assert_equal(figs, ops[1:4], "ops: spent, committed, remaining as the test says")
    assert_equal(alerts, ["%d %%" % lvl for lvl in ops[4]], "ops alerts")
    # 85 spent > 10 committed > 5 remaining, in a 1000-wide bar of the 100
    assert_true(w["spent"] > w["committed"] > w["remaining"] > 0,
                "ops bar widths in order: %r" % w)
    assert_true(abs(w["spent"] + w["committed"] + w["remaining"] - 1000) < 1,
                "the ops bar is the whole budget: %r" % w)
    assert_true(abs(w["spent"] - 850) < 1, "spent is 85 %% of the bar: %r" % w)
    g = want["grants-out"]
    figs, alerts, w = shown_budget(drv, "grants-out")
    assert_equal(figs, g[1:4], "grants-out figures")
    assert_true(g[3].startswith("-"), "grants-out is over budget")
    assert_equal(alerts, ["%d %%" % lvl for lvl in g[4]], "grants-out alerts")
    assert_true("remaining" not in w and w.get("over", 0) > 0,
                "an over-budget bar has the over band, no remaining: %r" % w)
    assert_equal(ui.js(drv, "return document.querySelector(\"article.budget"
                            "[data-category='grants-out']\").classList"
                            ".contains('is-over')"), True, "marked over")
    assert_equal(ui.text_of(drv, "article.budget[data-category='grants-out'] "
                                 ".over-tag"), "over budget", "said over")
    assert_equal(ui.js(drv, "return getComputedStyle(document.querySelector("
                            "'.figures dd.remaining')).textAlign"), "right",
                 "figures right-aligned")


def check_burn(drv, book, months):
    for mo in months:
        want = units(book.month_outflow("USDC", mo))
        g = ".burn[data-asset='USDC'] svg.burn-chart g.month[data-month='%s']" % mo
        assert_equal(ui.text_of(drv, g + " title"),
                     "%s: outflow %s USDC" % (mo, want), "burn title of " + mo)
        assert_equal(ui.text_of(drv, ".burn[data-asset='USDC'] tr[data-month='%s'] "
                                     "td:nth-child(2) .num" % mo), want,
                     "burn table of " + mo)
    heights = [ui.js(drv, "return parseFloat(document.querySelector(arguments[0])"
                          ".getAttribute('height'))",
                     ".burn[data-asset='USDC'] g.month[data-month='%s'] rect.burn"
                     % mo) for mo in months]
    outs = [book.month_outflow("USDC", mo) for mo in months]
    order = sorted(range(len(months)), key=lambda i: outs[i])
    assert_equal(sorted(range(len(months)), key=lambda i: heights[i]), order,
                 "bar heights in the order of the outflows: %r %r" % (heights, outs))
    assert_equal(len(ui.texts(drv, ".burn[data-asset='USDC'] g.month")), 12,
                 "12 months")


def check_runway(drv, c, book):
    # the windows end at the page's "at" (the daemon's clock when the page
    # asked: [at - 30 days, at) leaves out an entry of that very second)
    at = parse_ts(ui.js(drv, "return document.querySelector('#runway .meta time')"
                             ".getAttribute('datetime')"))
    for asset, dec in (("USDC", 6), ("BTC", 8)):
        bal = book.balance(asset)
        o30 = book.outflow(asset, at - 30 * DAY, at)
        o90 = book.outflow(asset, at - 90 * DAY, at)
        row = "#runway-list article[data-asset='%s']" % asset
        assert_equal([ui.text_of(drv, row + " dd.%s .num" % k)
                      for k in ("balance", "o30", "o90")],
                     [units(bal, dec), units(o30, dec), units(o90, dec)],
                     asset + ": balance, 30 and 90 days")
        if o90 == 0:
            assert_equal(ui.text_of(drv, row + " .runway-months"), "no outflow",
                         asset + ": no outflow")
        else:
            months = bal * 300 // o90
            assert_equal(ui.text_of(drv, row + " .runway-months"),
                         "%d.%02d" % divmod(months, 100), asset + ": runway")
            assert_true(ui.js(drv, "return !!document.querySelector(arguments[0])",
                              row + " rect[data-part='runway']"), "runway bar")
    return at


def check_ledger(drv, c):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select
    ui.go(drv, "#/t/%s/ledger" % T, "#ledger-table")
    ledger = c.ledger(T)
    ui.wait(drv, lambda d_: len(ui.texts(d_, "#ledger-table tbody tr")) ==
            len(ledger), "every entry")
    for e in ledger:
        row = "#ledger-table tr[data-seq='%d']" % e["seq"]
        assert_equal(ui.text_of(drv, row + " .cat-name"), e["category"],
                     "category of #%d" % e["seq"])
        assert_equal(ui.text_of(drv, row + " .counterparty"),
                     e["counterparty"] or None, "counterparty of #%d" % e["seq"])
    assert_true(XSS_SRC in ui.texts(drv, "#ledger-table .counterparty"),
                "hostile counterparty as text")
    opts = ui.js(drv, "return Array.from(document.querySelectorAll("
                      "'#ledger-category option'), (o) => o.value)")
    assert_equal(opts, ["", "-", "donations", "grants-out", "ops"], "category options")
    Select(drv.find_element(By.ID, "ledger-category")).select_by_value("ops")
    drv.find_element(By.ID, "ledger-apply").click()
    n_ops = len([e for e in ledger if e["category"] == "ops"])
    ui.wait(drv, lambda d_: len(ui.texts(d_, "#ledger-table tbody tr")) == n_ops,
            "the ops filter")
    assert_equal(set(ui.texts(drv, "#ledger-table tbody .cat-name")), {"ops"},
                 "only ops")
    Select(drv.find_element(By.ID, "ledger-category")).select_by_value("-")
    drv.find_element(By.ID, "ledger-apply").click()
    n_none = len([e for e in ledger if e["category"] is None])
    ui.wait(drv, lambda d_: len(ui.texts(d_, "#ledger-table tbody tr")) == n_none,
            "the uncategorised filter")
    Select(drv.find_element(By.ID, "ledger-category")).select_by_value("")
    drv.find_element(By.ID, "ledger-apply").click()
    ui.wait(drv, lambda d_: len(ui.texts(d_, "#ledger-table tbody tr")) ==
            len(ledger), "no filter again")


def test_ui_accounting(ctx):
    """Viewer at 1280x900 then 360x740: budgets, burn per month, runway and
    the ledger's categories, live after an execution, safely."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys
    node, c, book, signers_, pending, approved = build(ctx)
    open_items = [("ops", 10 * 10 ** 6), ("grants-out", 25 * 10 ** 6)]
    want = expected_budgets(c, book, open_items)
    months = sorted({month_of(t) for t, _, m, _ in book.moves if m < 0})
    assert_equal(len(months), 4, "spends in four months: %r" % months)
    token = c.viewer
    drv = ui.browser(1280, 900)
    try:
        ui.open_page(drv, node)
        ui.sign_in(drv, token)
        ui.go(drv, "#/t/%s/queue" % T, "#queue")
        # keyboard: Tab to the Accounting tab, Enter opens it (keys sent to
        # whatever has the focus: a live re-render may replace the element)
        for _ in range(60):
            ActionChains(drv).send_keys(Keys.TAB).perform()
            if ui.js(drv, "return document.activeElement.getAttribute('href')") == \
                    "#/t/%s/accounting" % T:
                break
        else:
            raise AssertionError("the Accounting tab is not reachable with Tab")
        ActionChains(drv).send_keys(Keys.ENTER).perform()
        ui.wait(drv, lambda d_: ui.js(d_, "return !!document.querySelector("
                                          "'#runway-list')"), "the Accounting tab")
        assert_equal(ui.js(drv, "return document.activeElement.tagName"), "H1",
                     "focus on the heading")
        assert_equal(ui.text_of(drv, "nav.tabs a[aria-current='page']"),
                     "Accounting", "the current tab")
        check_budgets(drv, want)
        check_burn(drv, book, months)
        check_runway(drv, c, book)
        ui.shot(ctx, drv, "accounting-1280")

        # the approved grants-out proposal executed over the API: live
        execute(c, book, approved["id"], "USDC", 25 * 10 ** 6, "grants-out")
        want = expected_budgets(c, book, [("ops", 10 * 10 ** 6)])
        assert_equal(want["grants-out"][4], [80, 100], "100 % crossed")
        ui.wait(drv, lambda d_: ui.texts(
            d_, "article.budget[data-category='grants-out'] .alert") ==
            ["80 %", "100 %"], "the 100 % alert shown live")
        check_budgets(drv, want)
        check_burn(drv, book, months)
        check_runway(drv, c, book)
        assert_equal(ui.js(drv, "return window.__noReload"), 42, "not reloaded")
        js_budget = ui.js(drv, "return document.querySelector('#budgets')"
                               ".getBoundingClientRect().top")
        ui.js(drv, "window.scrollTo(0, arguments[0])", js_budget)
        ui.shot(ctx, drv, "accounting-live-1280")

        check_ledger(drv, c)
        ui.shot(ctx, drv, "ledger-categories-1280")
        ui.check_hygiene(drv, node, token, ui.requests_seen(drv))
    finally:
        drv.quit()

    # a treasurer token at 360 px (it also records a categorised deposit)
    token = c.token("treasurer,viewer", name="desk")
    drv = ui.browser(360, 740)
    try:
        ui.open_page(drv, node)
        ui.sign_in(drv, token)
        ui.go(drv, "#/t/%s/accounting" % T, "#runway-list")
        assert_equal(ui.js(drv, "return window.innerWidth"), 360, "viewport")
        assert_true(ui.js(drv, "return document.documentElement.scrollWidth <= "
                               "window.innerWidth"),
                    "the Accounting tab scrolls sideways at 360 px")
        check_budgets(drv, want)
        check_burn(drv, book, months)
        # the bars are not squeezed to nothing at 360 px
        bw = ui.js(drv, "return document.querySelector('svg.budget-bar')"
                        ".getBoundingClientRect().width")
        cw = ui.js(drv, "return document.querySelector('svg.burn-chart')"
                        ".getBoundingClientRect().width")
        assert_true(bw >= 250 and cw >= 250, "bars %r and chart %r wide" % (bw, cw))
        ui.shot(ctx, drv, "accounting-360")
        ui.js(drv, "document.getElementById('burn').scrollIntoView()")
        ui.shot(ctx, drv, "accounting-burn-360")
        ui.js(drv, "document.getElementById('runway').scrollIntoView()")
        ui.shot(ctx, drv, "accounting-runway-360")
        ui.go(drv, "#/t/%s/ledger" % T, "#ledger-table")
        assert_true(ui.js(drv, "return document.documentElement.scrollWidth <= "
                               "window.innerWidth"),
                    "the ledger scrolls sideways at 360 px")
        ui.shot(ctx, drv, "ledger-categories-360")
        # the deposit form offers the income categories only
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import Select
        ui.js(drv, "document.querySelector('details.panel').open = true")
        assert_equal(ui.js(drv, "return Array.from(document.querySelectorAll("
                                "'#dep-category option'), (o) => o.value)"),
                     ["", "donations"], "income categories offered")
        Select(drv.find_element(By.ID, "dep-asset")).select_by_value("USDC")
        drv.find_element(By.ID, "dep-amount").send_keys("7.25")
        drv.find_element(By.ID, "dep-reference").send_keys("page-don-1")
        Select(drv.find_element(By.ID, "dep-category")).select_by_value("donations")
        drv.find_element(By.CSS_SELECTOR, "#deposit-form button[type=submit]").click()
        ui.wait(drv, lambda d_: (ui.text_of(d_, "#deposit-outcome") or "").startswith(
            "Recorded: 7.250000 USDC"), "the deposit recorded")
        last = c.ledger(T)[-1]
        assert_equal((last["reference"], last["category"]),
                     ("page-don-1", "donations"), "the API's entry, labelled")
        ui.wait(drv, lambda d_: ui.text_of(
            d_, "#ledger-table tr[data-seq='%d'] .cat-name" % last["seq"]) ==
            "donations", "the labelled entry in the ledger")
        ui.check_hygiene(drv, node, token, ui.requests_seen(drv))
    finally:
        drv.quit()
