"""The dashboard's ledger (api/ui/views.js): filters sent to the server
(GET .../ledger?from=&to=&kind=&asset=&category=&counterparty=), pages
read with the server's cursor ("Load more"), the same filtered query
downloaded as CSV (format=csv, a real download into Chrome's download
directory) and a refused filter shown as the server's problem detail.

The test builds, with --unsafe-test-clock, seven days of a treasury's
ledger (deposits in two assets with and without income categories and
sources, batches of categorised and uncategorised transfers to two
destinations): more than six pages of 25. It keeps its own record of every
entry (seq, time, kind, asset, amount, category, counterparty) as it
makes them, and computes what each filter must show from that record,
never from a filtered answer of the API. Screenshots go with test_ui's.
"""

import csv
import os
import time

import signers as sg
import test_ui as ui
from framework import assert_equal, assert_true
from treasury_helpers import parse_ts, setup

T = "books"
DEST_A = ui.DEST
DEST_B = "0x1111111111111111111111111111111111111111"
DAYS = 7
DEPOSITS_PER_DAY = 18
PAGE = 25
CSV_COLUMNS = ["seq", "created_at", "kind", "asset", "amount", "balance_after",
               "category", "counterparty", "reference", "source", "to", "memo",
               "proposal_id"]
DECIMALS = {"USDC": 6, "BTC": 8}


def units(minor, asset):
    d = DECIMALS[asset]
    q, r = divmod(minor, 10 ** d)
    return "%d.%0*d" % (q, d, r)


def day_of(t):
    return time.strftime("%Y-%m-%d", time.gmtime(t))


def midnight(date):
    return int(parse_ts(date + "T00:00:00Z"))


class Record:
    """Every entry the test made, as it made it."""

    def __init__(self):
        self.entries = []       # dicts: seq, t, kind, asset, amount, category, cp

    def add(self, seq, t, kind, asset, amount, category, cp):
        assert_true(not self.entries or seq > self.entries[-1]["seq"],
                    "seq grows")
        self.entries.append({"seq": seq, "t": t, "kind": kind, "asset": asset,
                             "amount": amount, "category": category, "cp": cp})

    def select(self, frm=None, to=None, kind=None, asset=None, category=None,
               cp=None):
        """The seqs the filters keep (dates: UTC days, [from, to))."""
        out = []
        for e in self.entries:
            if frm and e["t"] < midnight(frm):
                continue
            if to and e["t"] >= midnight(to):
                continue
            if kind and e["kind"] != kind:
                continue
            if asset and e["asset"] != asset:
                continue
            if category == "-" and e["category"] is not None:
                continue
            if category and category != "-" and e["category"] != category:
                continue
            if cp and e["cp"] != cp:
                continue
            out.append(e["seq"])
        return out

    def by_seq(self, seq):
        return next(e for e in self.entries if e["seq"] == seq)


def build(ctx):
    node, c = setup(ctx, extra_args=["--unsafe-test-clock"])
    c.asset_ok("USDC", 6)
    c.asset_ok("BTC", 8, chain="bitcoin")
    a, b, d = sg.signers(T, "ees")
    c.treasury_ok(T, 2, [a, b, d], name="Books")
    for name, kind in (("payroll", "expense"), ("ops", "expense"),
                       ("grants", "income"), ("sales", "income")):
        r = node.post("/v1/treasuries/%s/categories" % T,
                      {"name": name, "kind": kind}, token=c.treasurer)
        assert_equal(r.status, 201, "category %s: %r" % (name, r))
    rec = Record()
    n = 0
    for day in range(DAYS):
        if day:
            # 27 hours: every day of entries is on a later UTC date
            r = node.post("/v1/test/clock", body={"advance_s": 27 * 3600})
            assert_equal(r.status, 200, "test clock: %r" % r)
        for i in range(DEPOSITS_PER_DAY):
            asset = ("USDC", "BTC", "USDC")[n % 3]
            category = (None, "grants", "sales", "grants")[n % 4]
            source = ("bank-a", "bank-b", "exchange", None, "bank-b")[n % 5]
            minor = (10 + n) * 10 ** DECIMALS[asset] // (1 if asset == "USDC" else 100)
            extra = {}
            if category:
                extra["category"] = category
            if source:
                extra["source"] = source
            e = c.deposit_ok(T, asset, units(minor, asset), "dep-%d" % n, **extra)
            rec.add(e["seq"], parse_ts(e["created_at"]), "deposit", asset,
                    units(minor, asset), category, source)
            n += 1
        items = [("USDC", 1500000, "payroll", DEST_A),
                 ("BTC", 100000, "ops", DEST_B),
                 ("USDC", 2000000 + day, None, DEST_B)]
        body = {"kind": "batch", "memo": "day %d" % day, "transfers": []}
        for asset, minor, cat, to in items:
            it = {"asset": asset, "amount": units(minor, asset), "to": to,
                  "memo": ""}
            if cat:
                it["category"] = cat
            body["transfers"].append(it)
        r = c.propose(T, body)
        assert_equal(r.status, 201, "batch: %r" % r)
        c.approve_all(r.json["id"], [a, b])
        c.execute_ok(r.json["id"])
        debits = c.ledger(T)[-len(items):]
        for (asset, minor, cat, to), e in zip(items, debits):
            assert_equal((e["kind"], e["asset"], e["amount"], e["category"],
                          e["counterparty"], e["proposal"]),
                         ("transfer", asset, units(minor, asset), cat, to,
                          r.json["id"]), "a debit of day %d" % day)
            rec.add(e["seq"], parse_ts(e["created_at"]), "transfer", asset,
                    units(minor, asset), cat, to)
    assert_equal(len(rec.entries), DAYS * (DEPOSITS_PER_DAY + 3), "entries made")
    assert_equal([e["seq"] for e in c.ledger(T)], [e["seq"] for e in rec.entries],
                 "the ledger is what the test made")
    return node, c, rec


def shown(drv):
    return ui.js(drv, "return Array.from(document.querySelectorAll("
                      "'#ledger-table tbody tr'), (r) => Number(r.dataset.seq))")


def settled(drv):
    return ui.js(drv, "const r = document.getElementById('ledger-region');"
                      "return !!r && !r.hasAttribute('aria-busy')")


def more_visible(drv):
    return ui.js(drv, "const b = document.getElementById('ledger-more');"
                      "return !!b && !b.hidden")


def set_filters(drv, frm="", to="", kind="", asset="", category="", cp="",
                page=PAGE):
    """Fill the form (dates by value, with the input event a user's typing
    makes: a date input's typing is locale's). The view may re-render
    meanwhile (a live event, the sign-in's own render): what was typed is
    kept as a draft, so the form is filled again only if an element went
    stale under the test, and then checked whole."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select
    want = [frm, to, kind, asset, category, cp, str(page)]
    for attempt in range(5):
        try:
            ui.js(drv, "for (const [id, v] of [['ledger-from', arguments[0]],"
                       "    ['ledger-to', arguments[1]]]) {"
                       "  const n = document.getElementById(id);"
                       "  n.value = v;"
                       "  n.dispatchEvent(new Event('input', {bubbles: true}));"
                       "}", frm, to)
            Select(drv.find_element(By.ID, "ledger-kind")).select_by_value(kind)
            Select(drv.find_element(By.ID, "ledger-asset")).select_by_value(asset)
            Select(drv.find_element(By.ID, "ledger-category")).select_by_value(
                category)
            Select(drv.find_element(By.ID, "ledger-page-size")).select_by_value(
                str(page))
            field = drv.find_element(By.ID, "ledger-counterparty")
            field.clear()
            if cp:
                field.send_keys(cp)
            break
        except StaleElementReferenceException:
            continue
    got = ui.js(drv, "return ['ledger-from', 'ledger-to', 'ledger-kind',"
                     " 'ledger-asset', 'ledger-category', 'ledger-counterparty',"
                     " 'ledger-page-size'].map((id) =>"
                     " document.getElementById(id).value)")
    assert_equal(got, want, "the form as filled")


def apply_and_page(drv, want, what):
    """Apply, then "Load more" to the end: the rows are exactly want, in
    order, each page the next PAGE of them (no gap, no duplicate)."""
    from selenium.webdriver.common.by import By
    drv.find_element(By.ID, "ledger-apply").click()
    first = want[:PAGE]
    ui.wait(drv, lambda d_: settled(d_) and shown(d_) == first,
            what + ": the first page")
    pages = 1
    while len(shown(drv)) < len(want):
        assert_true(more_visible(drv), what + ": Load more after %d rows" %
                    len(shown(drv)))
        n = len(shown(drv))
        drv.find_element(By.ID, "ledger-more").click()
        ui.wait(drv, lambda d_: settled(d_) and len(shown(d_)) > n,
                what + ": page %d" % (pages + 1))
        pages += 1
        assert_equal(shown(drv), want[:n + PAGE], what + ": page %d" % pages)
    got = shown(drv)
    assert_equal(got, want, what + ": every row, in order")
    assert_equal(len(set(got)), len(got), what + ": no duplicate")
    ui.wait(drv, lambda d_: not more_visible(d_), what + ": no Load more at the end")
    assert_equal(ui.text_of(drv, "#ledger-count"), "%d %s shown, oldest first%s" % (
        len(want), "entry" if len(want) == 1 else "entries",
        "; that is all" if want else ""), what + ": the count")
    return pages


def check_rows(drv, rec, what):
    """Each shown row's asset, amount, category and counterparty are the
    test's own."""
    rows = ui.js(drv, "return Array.from(document.querySelectorAll("
                      "'#ledger-table tbody tr'), (r) => [Number(r.dataset.seq),"
                      " r.dataset.kind, r.children[3].textContent,"
                      " r.children[4].querySelector('.num').textContent,"
                      " (r.querySelector('.cat-name') || {}).textContent || null,"
                      " (r.querySelector('.counterparty') || {}).textContent || null])")
    for seq, kind, asset, amount, cat, cp in rows:
        e = rec.by_seq(seq)
        assert_equal([kind, asset, amount, cat, cp],
                     [e["kind"], e["asset"], e["amount"], e["category"], e["cp"]],
                     what + ": row #%d" % seq)


def downloaded(path):
    if not os.path.exists(path):
        return False
    d = os.path.dirname(path)
    return not any(n.endswith(".crdownload") for n in os.listdir(d))


def test_ui_ledger_filters_pages_csv(ctx):
    """Viewer at 1280x900: server-side filters compared with the test's own
    record, every page by "Load more" without gaps or duplicates, the
    filtered CSV downloaded and parsed, refused filters shown as text;
    keyboard only for a filter and a page; then the filters at 360 px."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    node, c, rec = build(ctx)
    token = c.viewer
    dates = sorted({day_of(e["t"]) for e in rec.entries})
    assert_true(len(dates) >= DAYS, "entries on %d UTC dates" % len(dates))
    downloads = os.path.join(ui.artifacts_dir(ctx), "downloads")
    os.makedirs(downloads, exist_ok=True)
    csv_path = os.path.join(downloads, "ledger-%s.csv" % T)
    if os.path.exists(csv_path):
        os.remove(csv_path)
    drv = ui.browser(1280, 900, download_dir=downloads)
    try:
        ui.open_page(drv, node)
        ui.sign_in(drv, token)
        ui.go(drv, "#/t/%s/ledger" % T, "#ledger-table")
        # the asset and category choices: the treasury's
        assert_equal(ui.js(drv, "return Array.from(document.querySelectorAll("
                                "'#ledger-asset option'), (o) => o.value)"),
                     ["", "BTC", "USDC"], "asset options")
        assert_equal(ui.js(drv, "return Array.from(document.querySelectorAll("
                                "'#ledger-category option'), (o) => o.value)"),
                     ["", "-", "grants", "ops", "payroll", "sales"],
                     "category options (uncategorised is -)")
        assert_equal(ui.js(drv, "return [document.getElementById('ledger-from').type,"
                                "document.getElementById('ledger-to').type]"),
                     ["date", "date"], "date inputs")
        assert_true("UTC" in ui.text_of(drv, "label[for='ledger-from']") and
                    "UTC" in ui.text_of(drv, "#ledger-dates-hint"),
                    "the dates are said to be UTC")
        # no filter: the first 100 of the default page, not everything
        everything = rec.select()
        ui.wait(drv, lambda d_: settled(d_) and shown(d_) == everything[:100],
                "the first page of 100")
        assert_true(more_visible(drv), "more than one page")

        # every entry, 25 at a time
        set_filters(drv)
        pages = apply_and_page(drv, everything, "no filter")
        assert_true(pages >= 6, "%d pages" % pages)
        check_rows(drv, rec, "no filter")
        ui.js(drv, "document.getElementById('ledger-filters').scrollIntoView()")
        ui.shot(ctx, drv, "ledger-paged-1280")

        # dates, asset and kind: more than one page
        frm, to = dates[1], dates[5]
        want_a = rec.select(frm=frm, to=to, kind="deposit", asset="USDC")
        assert_true(PAGE < len(want_a) < len(everything), "filter A: %d" % len(want_a))
        set_filters(drv, frm=frm, to=to, kind="deposit", asset="USDC")
        apply_and_page(drv, want_a, "dates, deposits, USDC")
        check_rows(drv, rec, "filter A")
        ui.js(drv, "document.getElementById('ledger-filters').scrollIntoView()")
        ui.shot(ctx, drv, "ledger-filtered-1280")

        # the same filters as CSV: a real download, parsed
        drv.find_element(By.ID, "ledger-csv").click()
        ui.wait(drv, lambda d_: downloaded(csv_path), "the CSV in " + downloads)
        ui.wait(drv, lambda d_: (ui.text_of(d_, "#ledger-csv-outcome") or "")
                .startswith("Saved ledger-%s.csv" % T), "the download said")
        with open(csv_path, newline="", encoding="utf-8") as f:
            raw = f.read()
        assert_true(raw.endswith("\r\n"), "CRLF line ends")
        rows = list(csv.reader(raw.splitlines(True)))
        assert_equal(rows[0], CSV_COLUMNS, "CSV header")
        assert_equal([int(r[0]) for r in rows[1:]], want_a, "CSV rows: filter A")
        for r in rows[1:]:
            e = rec.by_seq(int(r[0]))
            row = dict(zip(CSV_COLUMNS, r))
            assert_equal([row["kind"], row["asset"], row["amount"], row["category"],
                          row["counterparty"], int(parse_ts(row["created_at"]))],
                         [e["kind"], e["asset"], e["amount"], e["category"] or "",
                          e["cp"] or "", int(e["t"])], "CSV row #%s" % r[0])
        # the table still shows filter A (the export applied the same form)
        ui.wait(drv, lambda d_: settled(d_) and shown(d_) == want_a[:PAGE],
                "filter A after the download")
        os.remove(csv_path)

        # uncategorised from one source
        want_b = rec.select(category="-", cp="bank-b")
        assert_true(0 < len(want_b) <= PAGE, "filter B: %d" % len(want_b))
        set_filters(drv, category="-", cp="bank-b")
        apply_and_page(drv, want_b, "uncategorised from bank-b")
        check_rows(drv, rec, "filter B")

        # payroll transfers up to a date, keyboard only: Tab through the
        # form to Apply, Enter
        want_c = rec.select(to=dates[-1], kind="transfer", category="payroll")
        assert_true(0 < len(want_c) < DAYS, "filter C: %d" % len(want_c))
        set_filters(drv, to=dates[-1], kind="transfer", category="payroll")
        ui.js(drv, "document.getElementById('ledger-from').focus()")
        order = ["ledger-from"]
        for _ in range(30):
            ActionChains(drv).send_keys(Keys.TAB).perform()
            order.append(ui.js(drv, "return document.activeElement.id"))
            if order[-1] == "ledger-apply":
                break
        else:
            raise AssertionError("Apply is not reachable with Tab: %r" % order)
        for want_id in ("ledger-to", "ledger-kind", "ledger-asset",
                        "ledger-category", "ledger-counterparty",
                        "ledger-page-size"):
            assert_true(want_id in order, "%s reached with Tab: %r" % (want_id, order))
        ActionChains(drv).send_keys(Keys.ENTER).perform()
        ui.wait(drv, lambda d_: settled(d_) and shown(d_) == want_c,
                "payroll transfers, applied with the keyboard")
        check_rows(drv, rec, "filter C")
        assert_equal(set(ui.texts(drv, "#ledger-table tbody .cat-name")),
                     {"payroll"}, "only payroll")
        # Load more with the keyboard (no filter, 25 a page)
        set_filters(drv)
        drv.find_element(By.ID, "ledger-apply").click()
        ui.wait(drv, lambda d_: settled(d_) and shown(d_) == everything[:PAGE],
                "the first page again")
        ui.js(drv, "document.getElementById('ledger-csv').focus()")
        for _ in range(30):
            ActionChains(drv).send_keys(Keys.TAB).perform()
            if ui.js(drv, "return document.activeElement.id") == "ledger-more":
                break
        else:
            raise AssertionError("Load more is not reachable with Tab")
        ActionChains(drv).send_keys(Keys.ENTER).perform()
        ui.wait(drv, lambda d_: settled(d_) and shown(d_) == everything[:2 * PAGE],
                "the second page, loaded with the keyboard")

        # so far: no CSP violation (the blob: download included), no
        # console error (this also empties the console log)
        ui.check_hygiene(drv, node, token, ui.requests_seen(drv))

        # a date the server refuses (before 1970): its problem detail, as text
        r = node.get("/v1/treasuries/%s/ledger?from=1969-12-31" % T, token=token)
        assert_equal(r.status, 400, "the API refuses the date: %r" % r)
        detail = r.json["detail"]
        assert_true("from" in detail, "the detail names from: %r" % detail)
        set_filters(drv, frm="1969-12-31")
        drv.find_element(By.ID, "ledger-apply").click()
        ui.wait(drv, lambda d_: ui.text_of(d_, "#ledger-error") ==
                "The daemon refused the filters (400): " + detail,
                "the 400 detail shown")
        assert_equal(ui.js(drv, "return document.getElementById('ledger-error')"
                                ".hidden"), False, "the error is visible")
        ui.wait(drv, settled, "the load ended")
        assert_equal(shown(drv), [], "no row under a refused filter")
        assert_true(not more_visible(drv), "no Load more")
        assert_equal(ui.text_of(drv, "h1 .tname"), "Books", "the page still stands")
        ui.js(drv, "document.getElementById('ledger-filters').scrollIntoView()")
        ui.shot(ctx, drv, "ledger-error-1280")
        # a refused export: the detail too, and no file
        long_cp = "x" * 129
        r = node.get("/v1/treasuries/%s/ledger?counterparty=%s&format=csv" %
                     (T, long_cp), token=token)
        assert_equal(r.status, 400, "the API refuses the counterparty: %r" % r)
        cp_detail = r.json["detail"]
        set_filters(drv, cp=long_cp)
        drv.find_element(By.ID, "ledger-csv").click()
        ui.wait(drv, lambda d_: ui.text_of(d_, "#ledger-error") ==
                "The daemon refused the filters (400): " + cp_detail,
                "the export's 400 detail shown")
        ui.wait(drv, lambda d_: ui.js(d_, "return !document.getElementById("
                                          "'ledger-csv').disabled"), "export ended")
        assert_equal(ui.text_of(drv, "#ledger-csv-outcome"), "", "nothing saved")
        assert_equal(os.listdir(downloads), [], "no file downloaded")
        # a good filter again clears the error
        set_filters(drv, kind="transfer")
        drv.find_element(By.ID, "ledger-apply").click()
        want_t = rec.select(kind="transfer")
        ui.wait(drv, lambda d_: settled(d_) and shown(d_) == want_t[:PAGE],
                "transfers")
        assert_equal(ui.js(drv, "return document.getElementById('ledger-error')"
                                ".hidden"), True, "the error gone")
        # the refusals: Chrome logs each 400 answer as a network error, and
        # nothing else (no script error); no CSP violation
        logs = drv.get_log("browser")
        assert_true(logs, "the 400s were logged")
        for e in logs:
            assert_true(e.get("source") == "network" and "/ledger?" in e["message"]
                        and "status of 400" in e["message"],
                        "only the refused filters in the console: %r" % e)
        assert_equal(ui.js(drv, "return window.__violations"), [], "CSP violations")
        assert_equal(ui.js(drv, "return window.__noReload"), 42, "not reloaded")
    finally:
        drv.quit()

    # 360 px: the filters wrap, nothing scrolls sideways
    drv = ui.browser(360, 740)
    try:
        ui.open_page(drv, node)
        ui.sign_in(drv, token)
        ui.go(drv, "#/t/%s/ledger" % T, "#ledger-table")
        assert_equal(ui.js(drv, "return window.innerWidth"), 360, "viewport")
        set_filters(drv, frm=dates[1], to=dates[5], kind="deposit", asset="USDC")
        drv.find_element(By.ID, "ledger-apply").click()
        ui.wait(drv, lambda d_: settled(d_) and shown(d_) == want_a[:PAGE],
                "filter A at 360 px")
        assert_true(ui.js(drv, "return document.documentElement.scrollWidth <= "
                               "window.innerWidth"),
                    "the ledger scrolls sideways at 360 px (%s)" %
                    ui.js(drv, "return document.documentElement.scrollWidth"))
        for i in ("ledger-from", "ledger-to", "ledger-counterparty", "ledger-apply",
                  "ledger-csv"):
            right = ui.js(drv, "return document.getElementById(arguments[0])"
                               ".getBoundingClientRect().right", i)
            assert_true(right <= 360, "%s inside the screen (%s)" % (i, right))
        ui.js(drv, "document.getElementById('ledger-filters').scrollIntoView()")
        ui.shot(ctx, drv, "ledger-filters-360")
        # typed but not applied: a live deposit re-renders the view (a new
        # table), and the form still holds what was typed
        set_filters(drv, frm=dates[2], kind="transfer", cp="bank-b", page=25)
        ui.js(drv, "window.__oldTable = document.getElementById('ledger-table')")
        c.deposit_ok(T, "USDC", "1", "dep-live")
        ui.wait(drv, lambda d_: ui.js(d_, "const t = document.getElementById("
                                          "'ledger-table'); return !!t && "
                                          "t !== window.__oldTable"),
                "the re-render on the live deposit")
        assert_equal(ui.js(drv, "return ['ledger-from', 'ledger-to', 'ledger-kind',"
                                " 'ledger-counterparty', 'ledger-page-size']"
                                ".map((id) => document.getElementById(id).value)"),
                     [dates[2], "", "transfer", "bank-b", "25"],
                     "the unapplied filters kept")
        assert_equal(shown(drv), want_a[:PAGE], "the applied filter still shown")
        ui.check_hygiene(drv, node, token, ui.requests_seen(drv))
    finally:
        drv.quit()
