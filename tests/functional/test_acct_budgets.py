"""Budgets and their alerts (issue #14 §8) through the real daemon:
POST/GET/DELETE /v1/treasuries/{t}/budgets, spent/committed/remaining
computed here from what the test itself proposed and executed (never copied
from an answer), and the budget.alert entries read from GET /v1/journal.

Categories and transfer labels are made through the API (POST
/v1/treasuries/{t}/categories, POST /v1/proposals/{id}/category).
"""

import calendar
import time

import signers as sg
from framework import assert_equal, assert_problem, assert_true
from treasury_helpers import parse_ts, setup

T = "bud"
DEC = 6


# ---- categories and labels ----

def ensure_category(node, tid, name, kind):
    r = node.post("/v1/treasuries/%s/categories" % tid,
                  {"name": name, "kind": kind})
    assert_true(r.status in (200, 201), "category %s: %r" % (name, r))


def label_transfer(node, pid, item, category):
    r = node.post("/v1/proposals/%s/category" % pid,
                  {"item": item, "category": category})
    assert_equal(r.status, 200, "label %s item %d: %r" % (pid, item, r))


# ---- arithmetic of the test's own ----

def units(minor):
    """Minor units as the API writes them, sign included."""
    sign = "-" if minor < 0 else ""
    q, r = divmod(abs(minor), 10 ** DEC)
    return "%s%d.%0*d" % (sign, q, DEC, r)



def month_bounds(now_s):
    t = time.gmtime(now_s)
    start = calendar.timegm((t.tm_year, t.tm_mon, 1, 0, 0, 0))
    y, m = (t.tm_year + 1, 1) if t.tm_mon == 12 else (t.tm_year, t.tm_mon + 1)
    return start, calendar.timegm((y, m, 1, 0, 0, 0))


def quarter_bounds(now_s):
    t = time.gmtime(now_s)
    q0 = (t.tm_mon - 1) // 3 * 3 + 1
    start = calendar.timegm((t.tm_year, q0, 1, 0, 0, 0))
    y, m = (t.tm_year + 1, 1) if q0 == 10 else (t.tm_year, q0 + 3)
    return start, calendar.timegm((y, m, 1, 0, 0, 0))


def ts(unix_s):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(unix_s))


def advance(node, seconds):
    r = node.post("/v1/test/clock", body={"advance_s": seconds})
    assert_equal(r.status, 200, "test clock: %r" % r)
    return parse_ts(r.json["now"])


class Book:
    """What the test did: executed spends (category, amount, time) and
    open proposals (id -> [(category, amount)], expires)."""

    def __init__(self):
        self.spent = []
        self.open = {}

    def expect(self, category, amount, bounds, now_s, alerts):
        start, end = bounds
        spent = sum(a for c, a, at in self.spent
                    if c == category and start <= at <= now_s)
        committed = sum(a for items, expires in self.open.values()
                        if expires > now_s
                        for c, a in items if c == category)
        return {"spent": units(spent), "committed": units(committed),
                "remaining": units(amount - spent - committed),
                "period_from": ts(start), "period_to": ts(end),
                "amount": units(amount), "alerts": alerts}


def check_budget(c, book, category, period, amount, now_s, alerts):
    r = c.node.get("/v1/treasuries/%s/budgets" % T, token=c.viewer)
    assert_equal(r.status, 200, "budgets: %r" % r)
    got = [b for b in r.json["budgets"]
           if b["category"] == category and b["period"] == period]
    assert_equal(len(got), 1, "one %s %s budget: %r" % (category, period,
                                                         r.json))
    bounds = month_bounds(now_s) if period == "month" else \
        quarter_bounds(now_s)
    want = book.expect(category, amount, bounds, now_s, alerts)
    for k, v in want.items():
        assert_equal(got[0][k], v, "%s %s budget: %s" % (category, period, k))
    return got[0]


def journal(c, type_):
    entries, _ = c.all_pages("/v1/journal", "entries", limit=500)
    return [e for e in entries if e["type"] == type_]


def spend(c, signer, book, pid, items, now_s):
    c.vote_ok(pid, signer, want_status="approved")
    c.execute_ok(pid)
    for cat, amount in items:
        book.spent.append((cat, amount, now_s))
    book.open.pop(pid, None)


# ---- the test ----

def test_budgets_spent_committed_alerts(ctx):
    node, c = setup(ctx, extra_args=["--unsafe-test-clock"])
    c.asset_ok("USDC", DEC)
    (a,) = sg.signers("bud", "e")
    c.treasury_ok(T, 1, [a])
    c.deposit_ok(T, "USDC", "1000", "d1")
    book = Book()

    # Proposals first (the clock is not moved before the restarts that
    # the offline labels may need).
    plan = [("p1", "ops", 100), ("p2", "ops", 30), ("p3", "ops", 50),
            ("p4", "travel", 20), ("p5", None, 7), ("p6", "ops", 40)]
    ids = {}
    for name, cat, amount in plan:
        p = c.transfer_ok(T, "USDC", str(amount))
        ids[name] = p["id"]
        book.open[p["id"]] = ([(cat, amount * 10 ** DEC)],
                              parse_ts(p["expires_at"]))
    batch = c.propose_ok(T, {"kind": "batch", "memo": "mixed", "transfers": [
        {"asset": "USDC", "amount": "10", "to": "x-1"},
        {"asset": "USDC", "amount": "5", "to": "x-2"}]})
    book.open[batch["id"]] = ([("ops", 10 * 10 ** DEC),
                               ("travel", 5 * 10 ** DEC)],
                              parse_ts(batch["expires_at"]))
    ensure_category(node, T, "ops", "expense")
    ensure_category(node, T, "travel", "expense")
    ensure_category(node, T, "grants", "income")
    for name, cat, _ in plan:
        if cat is not None:
            label_transfer(node, ids[name], 0, cat)
    label_transfer(node, batch["id"], 0, "ops")
    label_transfer(node, batch["id"], 1, "travel")
    # p6 is cancelled: no longer committed
    assert_equal(c.cancel(ids["p6"]).status, 200, "cancel p6")
    del book.open[ids["p6"]]

    path = "/v1/treasuries/%s/budgets" % T
    body = {"category": "ops", "period": "month", "asset": "USDC",
            "amount": "150"}
    # refusals, each naming its field
    assert_problem(node.post(path, body, token=c.viewer), 403, "forbidden")
    assert_problem(node.post(path, dict(body, category="nope")), 422,
                   "unknown-category")
    assert_problem(node.post(path, dict(body, category="grants")), 422,
                   "category-kind")
    assert_problem(node.post(path, dict(body, category="Bad!")), 400,
                   "category-name")
    assert_problem(node.post(path, dict(body, period="year")), 400,
                   "invalid-field")
    assert_problem(node.post(path, dict(body, amount="0")), 422,
                   "amount-zero")
    assert_problem(node.post(path, dict(body, amount="1.0000001")), 422,
                   "amount-fraction-digits")
    assert_problem(node.post(path, dict(body, asset="NOPE")), 422,
                   "unknown-asset")
    assert_problem(node.post(path, dict(body, extra=1)), 400, "unknown-field")
    assert_problem(node.post("/v1/treasuries/nope/budgets", body), 404,
                   "unknown-treasury")
    assert_equal(journal(c, "budget.set"), [], "nothing set by refusals")

    now = advance(node, 1)
    r = node.post(path, body, token=c.treasurer)
    assert_equal(r.status, 201, "new budget: %r" % r)
    check_budget(c, book, "ops", "month", 150 * 10 ** 6, now, [])
    # 150 - 0 spent - (100 + 30 + 50 + 10) committed
    assert_equal(r.json["remaining"], "-40.000000", "over-committed")
    assert_equal(node.post(path, body).status, 200, "the same again")
    r = node.post(path, dict(body, amount="160"))
    assert_equal((r.status, r.json["amount"]), (200, "160.000000"), "raised")
    r = node.post(path, body)
    assert_equal(r.status, 200, "back to 150")
    sets = journal(c, "budget.set")
    assert_equal([(e["payload"]["amount_minor"],
                   e["payload"].get("previous_amount_minor")) for e in sets],
                 [("150000000", None), ("160000000", "150000000"),
                  ("150000000", "160000000")], "budget.set entries")
    r = node.post(path, {"category": "travel", "period": "quarter",
                         "asset": "USDC", "amount": "20"})
    assert_equal(r.status, 201, "travel budget: %r" % r)
    # an Idempotency-Key repeat answers the first answer, applies nothing
    qbody = {"category": "ops", "period": "quarter", "asset": "USDC",
             "amount": "1000"}
    r1 = node.post(path, qbody, headers={"Idempotency-Key": "q-1"})
    r2 = node.post(path, qbody, headers={"Idempotency-Key": "q-1"})
    assert_equal((r1.status, r2.status), (201, 201), "idempotent set")
    assert_equal(r2.header("Idempotent-Replayed"), "true", "replayed")
    assert_equal(r2.json, r1.json, "same answer")
    assert_equal(len(journal(c, "budget.set")), 5, "one set for two posts")
    assert_equal(node.request("DELETE", path + "/ops/quarter").status, 200,
                 "quarter budget deleted again")

    # 100 of 150: below 80 %
    now = advance(node, 1)
    spend(c, a, book, ids["p1"], [("ops", 100 * 10 ** 6)], now)
    check_budget(c, book, "ops", "month", 150 * 10 ** 6, now, [])
    assert_equal(journal(c, "budget.alert"), [], "no alert yet")
    # 130: 80 % (120) crossed
    spend(c, a, book, ids["p2"], [("ops", 30 * 10 ** 6)], now)
    check_budget(c, book, "ops", "month", 150 * 10 ** 6, now, [80])
    alerts = journal(c, "budget.alert")
    start, end = month_bounds(now)
    assert_equal(len(alerts), 1, "one alert")
    assert_equal(alerts[0]["payload"], {
        "amount_minor": "150000000", "asset": "USDC", "category": "ops",
        "level": 80, "period": "month", "period_from": ts(start),
        "period_to": ts(end), "spent_minor": "130000000", "treasury": T},
        "80 alert")
    # 180: 100 % crossed, 80 not again
    spend(c, a, book, ids["p3"], [("ops", 50 * 10 ** 6)], now)
    check_budget(c, book, "ops", "month", 150 * 10 ** 6, now, [80, 100])
    assert_equal([e["payload"]["level"] for e in journal(c, "budget.alert")],
                 [80, 100], "80 then 100, once each")
    # travel: one spend of the whole budget fires both, in order
    spend(c, a, book, ids["p4"], [("travel", 20 * 10 ** 6)], now)
    tr = [e for e in journal(c, "budget.alert")
          if e["payload"]["category"] == "travel"]
    assert_equal([(e["payload"]["level"], e["payload"]["period"]) for e in tr],
                 [(80, "quarter"), (100, "quarter")], "both levels at once")
    assert_equal(tr[1]["seq"], tr[0]["seq"] + 1, "consecutive entries")
    check_budget(c, book, "travel", "quarter", 20 * 10 ** 6, now, [80, 100])
    # an uncategorised spend touches no budget
    spend(c, a, book, ids["p5"], [(None, 7 * 10 ** 6)], now)
    assert_equal(len(journal(c, "budget.alert")), 4, "no more alerts")
    # the event stream carries the alerts too (same journal)
    ev, _ = c.all_pages("/v1/events", "events", limit=500, after="0")
    assert_equal(len([e for e in ev if e["type"] == "budget.alert"]), 4,
                 "alerts in /v1/events")

    # delete
    r = node.request("DELETE", path + "/travel/quarter", token=c.treasurer)
    assert_equal(r.status, 200, "delete: %r" % r)
    assert_problem(node.request("DELETE", path + "/travel/quarter"), 404,
                   "unknown-budget")
    assert_problem(node.request("DELETE", path + "/ops/month",
                                token=c.viewer), 403, "forbidden")
    left = node.get(path).json["budgets"]
    assert_equal([(b["category"], b["period"]) for b in left],
                 [("ops", "month")], "after delete")
    assert_equal(len(journal(c, "budget.deleted")), 2, "budget.deleted")

    # the next month: a new period, nothing spent in it yet
    _, end = month_bounds(now)
    now = advance(node, end - now + 3600)
    check_budget(c, book, "ops", "month", 150 * 10 ** 6, now, [])


# ---- prices (issue #14 §9): stored and listed, never converted here ----

def test_prices_set_and_list(ctx):
    node, c = setup(ctx)
    c.asset_ok("BTC", 8)
    path = "/v1/prices"
    body = {"asset": "BTC", "unit": "EUR", "date": "2026-03-01",
            "price": "61234.50"}
    assert_problem(node.post(path, body, token=c.viewer), 403, "forbidden")
    for field, value, status, slug in [
            ("price", "0", 422, "amount-zero"),
            ("price", "-1", 400, "amount-sign"),
            ("price", "1e3", 400, "amount-syntax"),
            ("price", "1." + "0" * 18 + "1", 422, "amount-fraction-digits"),
            ("date", "2026-02-30", 400, "invalid-field"),
            ("date", "2026-03-01T00:00:00Z", 400, "invalid-field"),
            ("unit", "E R", 400, "invalid-field"),
            ("asset", "NOPE", 422, "unknown-asset")]:
        assert_problem(node.post(path, dict(body, **{field: value})), status,
                       slug)
    assert_problem(node.post(path, dict(body, price=1.5)), 400, "field-type")
    r = node.post(path, body, token=c.treasurer)
    assert_equal((r.status, r.json["price"]), (201, "61234.5"), "new price")
    assert_equal(node.post(path, dict(body, price="61234.500")).status, 200,
                 "the same price again")
    r = node.post(path, dict(body, price="0.000000000000000001"))
    assert_equal((r.status, r.json["price"]), (200, "0.000000000000000001"),
                 "replaced, 18 fraction digits exact")
    for date, price in [("2026-03-03", "3"), ("2026-03-02", "2.25")]:
        assert_equal(node.post(path, dict(body, date=date, price=price)).status,
                     201, "price of %s" % date)
    assert_equal(node.post(path, dict(body, unit="USD", price="7")).status,
                 201, "another unit")
    r = node.get(path + "?asset=BTC&unit=EUR", token=c.viewer)
    assert_equal(r.status, 200, "list: %r" % r)
    assert_equal([(p["date"], p["price"]) for p in r.json["prices"]],
                 [("2026-03-01", "0.000000000000000001"),
                  ("2026-03-02", "2.25"), ("2026-03-03", "3")], "EUR prices")
    assert_equal(r.json["next_from"], None, "one page")
    r = node.get(path + "?asset=BTC&unit=EUR&from=2026-03-02")
    assert_equal([p["date"] for p in r.json["prices"]],
                 ["2026-03-02", "2026-03-03"], "from")
    for q in ["", "?asset=BTC", "?asset=BTC&unit=EUR&from=x",
              "?asset=NOPE&unit=EUR", "?asset=BTC&unit=EUR&x=1"]:
        assert_problem(node.get(path + q), 400, "invalid-query")
    sets = [e["payload"] for e in journal(c, "price.set")]
    assert_equal([(p["date"], p["price"], p.get("previous_price"))
                  for p in sets],
                 [("2026-03-01", "61234.5", None),
                  ("2026-03-01", "0.000000000000000001", "61234.5"),
                  ("2026-03-03", "3", None), ("2026-03-02", "2.25", None),
                  ("2026-03-01", "7", None)], "price.set entries")


def test_budget_alert_on_category_correction(ctx):
    """A correction that moves an executed spend into a budgeted category
    fires that budget's alerts, right after the category.changed entry;
    moving it out and back in the same period fires nothing again."""
    node, c = setup(ctx, extra_args=["--unsafe-test-clock"])
    c.asset_ok("USDC", DEC)
    (a,) = sg.signers("bud", "e")
    c.treasury_ok(T, 1, [a])
    c.deposit_ok(T, "USDC", "1000", "d1")
    ensure_category(node, T, "misc", "expense")
    ensure_category(node, T, "ops", "expense")
    r = node.post("/v1/treasuries/%s/budgets" % T, {
        "category": "misc", "period": "month", "asset": "USDC",
        "amount": "100"}, token=c.treasurer)
    assert_equal(r.status, 201, "budget: %r" % r)
    book = Book()
    now = advance(node, 1)
    p = c.transfer_ok(T, "USDC", "90")          # uncategorised
    spend(c, a, book, p["id"], [(None, 90 * 10 ** DEC)], now)
    assert_equal(journal(c, "budget.alert"), [], "an unlabelled spend")
    r = node.get("/v1/treasuries/%s/ledger?kind=transfer" % T)
    (entry,) = r.json["entries"]
    path = "/v1/treasuries/%s/ledger/%d/category" % (T, entry["seq"])

    r = node.post(path, {"category": "misc"}, token=c.treasurer)
    assert_equal(r.status, 200, "label misc: %r" % r)
    alerts = journal(c, "budget.alert")
    assert_equal([(e["payload"]["category"], e["payload"]["level"],
                   e["payload"]["spent_minor"]) for e in alerts],
                 [("misc", 80, "90000000")], "80 % reached by the label")
    changed = journal(c, "category.changed")
    assert_equal(alerts[0]["seq"], changed[-1]["seq"] + 1,
                 "the alert follows the change in the same command")
    book.spent = [("misc", 90 * 10 ** DEC, now)]
    check_budget(c, book, "misc", "month", 100 * 10 ** DEC, now, [80])

    # out (to ops, no budget) and back: 80 % fired once this period
    assert_equal(node.post(path, {"category": "ops"}).status, 200, "to ops")
    book.spent = [("ops", 90 * 10 ** DEC, now)]
    check_budget(c, book, "misc", "month", 100 * 10 ** DEC, now, [80])
    assert_equal(node.post(path, {"category": "misc"}).status, 200, "back")
    assert_equal(len(journal(c, "budget.alert")), 1, "not fired again")
