"""CSV exports of the lists a treasurer exports (issue #14 §2, docs/api.md
"CSV"): categories, budgets, balances, prices and proposals, asked for both
ways (?format=csv and Accept: text/csv), parsed with Python's csv module and
compared row by row with the JSON answers and with values this test
computed itself (exact strings and integers, never floats).

Text fields starting with =, +, -, @ come back with the formula guard (a
leading '); quotes and commas round-trip. The proposals export is streamed
page by page: it is checked whole and in order over many reads, with
batches whose rows do not fit in one block."""

import csv as csvmod
import io
import time
import urllib.parse

import signers as sg
from framework import assert_equal, assert_problem, assert_true
from treasury_helpers import parse_ts, setup

DEC = 6
HOSTILE = ['=HYPERLINK("x")', '+1', '-2', '@cmd', 'a "quoted" word',
           'comma, separated', 'plain']
# destinations: 1..128 of 0x21..0x7e (no spaces)
HOSTILE_TO = ['=cmd|"x",y', '+to', '-to', '@to', 'q"uo"te', 'a,b', 'dest-1']


# ---- helpers (as test_acct_reads.py and test_acct_budgets.py) ----

def units(minor, decimals=DEC):
    """Minor units as the API writes them, sign included."""
    sign = "-" if minor < 0 else ""
    q, r = divmod(abs(minor), 10 ** decimals)
    return "%s%d.%0*d" % (sign, q, decimals, r) if decimals else \
        "%s%d" % (sign, q)


def guard(text):
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def advance(node, seconds):
    r = node.post("/v1/test/clock", body={"advance_s": seconds})
    assert_equal(r.status, 200, "test clock: %r" % r)
    return parse_ts(r.json["now"])


def ensure_category(node, tid, name, kind):
    r = node.post("/v1/treasuries/%s/categories" % tid,
                  {"name": name, "kind": kind})
    assert_true(r.status in (200, 201), "category %s: %r" % (name, r))


def label_transfer(node, pid, item, category):
    r = node.post("/v1/proposals/%s/category" % pid,
                  {"item": item, "category": category})
    assert_equal(r.status, 200, "label %s item %d: %r" % (pid, item, r))


def csv_rows(r):
    assert_equal(r.status, 200, "csv answer: %r" % r)
    assert_equal(r.header("Content-Type"), "text/csv; charset=utf-8",
                 "csv content type")
    assert_true((r.header("Content-Disposition") or "").startswith(
        "attachment; filename="), "attachment")
    text = r.body.decode("utf-8") if isinstance(r.body, bytes) else r.body
    assert_true(text.endswith("\r\n"), "ends with CRLF")
    return list(csvmod.reader(io.StringIO(text, newline="")))


def both_ways(c, path, **params):
    """The CSV of path asked with format=csv and with Accept: text/csv:
    the same rows both ways; returns (header, [row dicts])."""
    q = dict(params, format="csv")
    a = csv_rows(c.node.get(path + "?" + urllib.parse.urlencode(q),
                            token=c.viewer))
    plain = path + ("?" + urllib.parse.urlencode(params) if params else "")
    b = csv_rows(c.node.get(plain, token=c.viewer,
                            headers={"Accept": "text/csv"}))
    assert_equal(a, b, "format=csv and Accept: text/csv agree on " + path)
    head = a[0]
    for row in a[1:]:
        assert_equal(len(row), len(head), "every row has every column")
    return head, [dict(zip(head, row)) for row in a[1:]]


def json_of(c, path, **params):
    if params:
        path += "?" + urllib.parse.urlencode(params)
    r = c.node.get(path, token=c.viewer)
    assert_equal(r.status, 200, "json %s: %r" % (path, r))
    assert_true(r.header("Content-Type").startswith("application/json"),
                "JSON by default")
    return r.json


def refusals(c, path, **params):
    """format=xml is a 400 naming format; Accept naming JSON gets JSON."""
    q = dict(params, format="xml")
    r = c.node.get(path + "?" + urllib.parse.urlencode(q), token=c.viewer)
    assert_problem(r, 400, "invalid-query")
    assert_true("format" in r.json.get("detail", ""), "detail names format")
    plain = path + ("?" + urllib.parse.urlencode(params) if params else "")
    r = c.node.get(plain, token=c.viewer,
                   headers={"Accept": "text/csv, application/json"})
    assert_equal(r.status, 200, "json: %r" % r)
    assert_true(r.header("Content-Type").startswith("application/json"),
                "an Accept naming application/json gets JSON")


# ---- categories, budgets, balances ----

T = "exp"


def build_books(ctx):
    node, c = setup(ctx, extra_args=["--unsafe-test-clock"])
    c.asset_ok("USDC", DEC)
    c.asset_ok("WEI", 18)
    (a,) = sg.signers("csvb", "e")
    c.treasury_ok(T, 1, [a])
    advance(node, 1)
    c.deposit_ok(T, "USDC", "1000.000001", "d1")
    c.deposit_ok(T, "WEI", "340282366920938463463.374607431768211455", "d2")
    for name, kind in [("ops", "expense"), ("travel", "expense"),
                       ("grants", "income"), ("0-first", "expense")]:
        ensure_category(node, T, name, kind)
    return node, c, a


def test_categories_budgets_balances_csv(ctx):
    node, c, signer = build_books(ctx)
    base = "/v1/treasuries/%s/" % T
    # spent 130 of ops (one executed transfer), committed 60 (pending)
    p = c.transfer_ok(T, "USDC", "130", to="x-1")
    label_transfer(node, p["id"], 0, "ops")
    c.vote_ok(p["id"], signer, want_status="approved")
    c.execute_ok(p["id"])
    p = c.transfer_ok(T, "USDC", "60.000001", to="x-2")
    label_transfer(node, p["id"], 0, "ops")
    for body in [{"category": "ops", "period": "month", "asset": "USDC",
                  "amount": "150"},
                 {"category": "travel", "period": "quarter", "asset": "WEI",
                  "amount": "0.000000000000000001"}]:
        r = node.post(base + "budgets", body, token=c.treasurer)
        assert_equal(r.status, 201, "budget: %r" % r)

    # categories: name,kind,created_at, by name
    want = json_of(c, base + "categories")["categories"]
    head, rows = both_ways(c, base + "categories")
    assert_equal(head, ["name", "kind", "created_at"], "categories header")
    assert_equal(rows, [{"name": x["name"], "kind": x["kind"],
                         "created_at": x["created_at"]} for x in want],
                 "categories rows = JSON")
    assert_equal([(x["name"], x["kind"]) for x in rows],
                 [("0-first", "expense"), ("grants", "income"),
                  ("ops", "expense"), ("travel", "expense")],
                 "the categories the test made")

    # budgets: every JSON member, alerts as alert_80 / alert_100
    want = json_of(c, base + "budgets")["budgets"]
    head, rows = both_ways(c, base + "budgets")
    assert_equal(head, ["category", "period", "asset", "amount",
                        "period_from", "period_to", "spent", "committed",
                        "remaining", "alert_80", "alert_100", "created_at",
                        "updated_at"], "budgets header")
    assert_equal(len(rows), len(want), "one row per budget")
    for row, b in zip(rows, want):
        for k in head:
            if k.startswith("alert_"):
                assert_equal(row[k], "true" if int(k[6:]) in b["alerts"]
                             else "false", "%s %s" % (b["category"], k))
            else:
                assert_equal(row[k], b[k], "%s %s" % (b["category"], k))
    ops = rows[0]
    assert_equal((ops["category"], ops["amount"], ops["spent"],
                  ops["committed"], ops["remaining"]),
                 ("ops", units(150 * 10 ** 6), units(130 * 10 ** 6),
                  units(60 * 10 ** 6 + 1),
                  units(150 * 10 ** 6 - 130 * 10 ** 6 - 60 * 10 ** 6 - 1)),
                 "ops: the test's own sums (remaining negative, unguarded)")
    assert_equal((ops["alert_80"], ops["alert_100"]), ("true", "false"),
                 "130 of 150 fired 80 only")
    travel = rows[1]
    assert_equal((travel["asset"], travel["amount"], travel["spent"],
                  travel["remaining"]),
                 ("WEI", units(1, 18), units(0, 18), units(1, 18)),
                 "travel: 18 decimals exact")

    # balances: asset,amount
    want = json_of(c, base + "balances")["balances"]
    head, rows = both_ways(c, base + "balances")
    assert_equal(head, ["asset", "amount"], "balances header")
    assert_equal(rows, want, "balances rows = JSON")
    assert_equal(rows, [
        {"asset": "USDC", "amount": units(1000 * 10 ** 6 + 1 - 130 * 10 ** 6)},
        {"asset": "WEI", "amount": units(
            340282366920938463463374607431768211455, 18)}],
        "balances: the test's own sums")

    for what in ("categories", "budgets", "balances"):
        refusals(c, base + what)
    assert_problem(c.node.get("/v1/treasuries/nope/budgets?format=csv",
                              token=c.viewer), 404, "unknown-treasury")
    assert_problem(c.node.get("/v1/treasuries/nope/categories?format=csv",
                              token=c.viewer), 404, "unknown-treasury")
    assert_problem(c.node.get("/v1/treasuries/nope/balances?format=csv",
                              token=c.viewer), 404, "unknown-treasury")


# ---- prices ----

def test_prices_csv_streamed(ctx):
    node, c = setup(ctx)
    c.asset_ok("BTC", 8)
    # 1100 days: more than one store page (1000) and many blocks
    start = parse_ts("2020-01-01T00:00:00Z") // 86400
    want = []
    for i in range(1100):
        date = time.strftime("%Y-%m-%d", time.gmtime((start + i) * 86400))
        whole, frac = 61234 + i, "%018d" % (i * 7919 + 1)
        price = "%d.%s" % (whole, frac.rstrip("0")) if frac.rstrip("0") \
            else str(whole)
        r = node.post("/v1/prices", {"asset": "BTC", "unit": "EUR",
                                     "date": date, "price": price},
                      token=c.treasurer)
        assert_equal(r.status, 201, "price %s: %r" % (date, r))
        want.append((date, price))
    assert_equal(node.post("/v1/prices", {"asset": "BTC", "unit": "USD",
                                          "date": "2020-01-01",
                                          "price": "7"}).status, 201, "USD")
    head, rows = both_ways(c, "/v1/prices", asset="BTC", unit="EUR")
    assert_equal(head, ["asset", "unit", "date", "price", "set_at"],
                 "prices header")
    assert_equal([(r["date"], r["price"]) for r in rows], want,
                 "every price, in day order, exact")
    assert_true(all(r["asset"] == "BTC" and r["unit"] == "EUR"
                    for r in rows), "only that pair")
    j, frm = [], None
    while True:
        q = {"asset": "BTC", "unit": "EUR"}
        if frm:
            q["from"] = frm
        page = json_of(c, "/v1/prices", **q)
        j += page["prices"]
        frm = page["next_from"]
        if frm is None:
            break
    assert_equal(rows, j, "CSV rows = the JSON pages")
    head, rows = both_ways(c, "/v1/prices", asset="BTC", unit="EUR",
                           **{"from": "2022-12-01"})
    assert_equal([r["date"] for r in rows],
                 [d for d, _ in want if d >= "2022-12-01"], "from applies")
    refusals(c, "/v1/prices", asset="BTC", unit="EUR")
    assert_problem(c.node.get("/v1/prices?format=csv", token=c.viewer), 400,
                   "invalid-query")


# ---- proposals ----

P = "prp"
PCOLS = ["id", "treasury", "nonce", "kind", "status", "proposer",
         "created_at", "expires_at", "executed_at", "settlement", "memo",
         "item", "asset", "amount", "to", "item_memo", "category"]


def expect_rows(p, sent, proposer):
    """The rows of proposal p (JSON) and what the test sent for it."""
    common = {"id": p["id"], "treasury": p["treasury"],
              "nonce": str(p["nonce"]), "kind": p["kind"],
              "status": p["status"], "proposer": proposer,
              "created_at": p["created_at"], "expires_at": p["expires_at"],
              "executed_at": p["executed_at"] or "",
              "settlement": guard((p["settlement"] or {}).get("reference",
                                                              "")),
              "memo": guard(sent.get("memo", ""))}
    if p["kind"] == "transfer":
        items = [dict(sent, memo="")]
        labels = [p["category"]]
    elif p["kind"] == "batch":
        items = sent["transfers"]
        labels = p["categories"]
    else:
        return [dict(common, item="", asset="", amount="", to="",
                     item_memo="", category="")]
    rows = []
    for i, (t, label) in enumerate(zip(items, labels)):
        rows.append(dict(common, item=str(i), asset=t["asset"],
                         amount=t["minor_text"], to=guard(t["to"]),
                         item_memo=guard(t.get("memo", "")),
                         category=label or ""))
    return rows


def test_proposals_csv_hostile_and_kinds(ctx):
    node, c = setup(ctx)
    c.asset_ok("USDC", DEC)
    c.asset_ok("WEI", 18)
    a, b = sg.signers("csvp", "es")
    c.treasury_ok(P, 1, [a, b])
    c.deposit_ok(P, "USDC", "100000", "d1")
    ensure_category(node, P, "ops", "expense")
    ensure_category(node, P, "travel", "expense")
    sent = {}
    for i, (memo, to) in enumerate(zip(HOSTILE, HOSTILE_TO)):
        minor = 1000000 + i * 1000001
        body = {"kind": "transfer", "asset": "USDC", "amount": units(minor),
                "to": to, "memo": memo, "minor_text": units(minor)}
        p = c.transfer_ok(P, "USDC", body["amount"], to=to, memo=memo)
        sent[p["id"]] = body
        if i % 2 == 0:
            label_transfer(node, p["id"], 0, "ops")
    items = [{"asset": "USDC", "amount": "0.000001", "to": "x,1",
              "memo": '=SUM(A1:A9)', "minor_text": "0.000001"},
             {"asset": "WEI",
              "amount": "340282366920938463463.374607431768211455",
              "to": "+x", "memo": 'say "hi", then -go',
              "minor_text": "340282366920938463463.374607431768211455"},
             {"asset": "USDC", "amount": "2", "to": "x-3",
              "minor_text": "2.000000"}]
    batch = c.propose_ok(P, {"kind": "batch", "memo": "@batch, \"one\"",
                             "transfers": [{k: v for k, v in t.items()
                                            if k != "minor_text"}
                                           for t in items]})
    sent[batch["id"]] = {"memo": "@batch, \"one\"", "transfers": items}
    label_transfer(node, batch["id"], 1, "travel")
    th = c.propose_ok(P, {"kind": "set-threshold", "new_threshold": 2,
                          "memo": "-raise"})
    sent[th["id"]] = {"memo": "-raise"}
    # one executed with a settlement; one cancelled
    first = next(iter(sent))
    c.vote_ok(first, a, want_status="approved")
    c.execute_ok(first)
    r = node.post("/v1/proposals/%s/settlement" % first,
                  {"reference": "=tx,\"0xabc\""}, token=c.treasurer)
    assert_equal(r.status, 200, "settlement: %r" % r)
    assert_equal(c.cancel(th["id"]).status, 200, "cancel")

    want = c.proposals(P)
    proposer = "t-signer"
    expected = []
    for p in want:
        expected += expect_rows(p, sent[p["id"]], proposer)
    head, rows = both_ways(c, "/v1/treasuries/%s/proposals" % P)
    assert_equal(head, PCOLS, "proposals header")
    assert_equal(len(rows), len(HOSTILE) + 3 + 1, "one row per transfer "
                 "item, one for the config change")
    for i, (got, exp) in enumerate(zip(rows, expected)):
        assert_equal(got, exp, "row %d" % i)
    assert_equal(rows[0]["status"], "executed", "executed")
    assert_true(rows[0]["executed_at"] != "", "executed_at")
    assert_equal(rows[-1]["status"], "cancelled", "cancelled")
    # the status filter and the cursor apply as to the JSON list
    head, rows = both_ways(c, "/v1/treasuries/%s/proposals" % P,
                           status="pending")
    assert_equal([r["id"] for r in rows],
                 [r["id"] for r in expected if r["status"] == "pending"],
                 "status=pending")
    page = c.page("/v1/treasuries/%s/proposals" % P, limit=3)
    head, rows = both_ways(c, "/v1/treasuries/%s/proposals" % P,
                           cursor=page.json["next_cursor"])
    assert_equal(rows, expected[3:], "after the cursor")
    refusals(c, "/v1/treasuries/%s/proposals" % P)
    assert_problem(c.node.get("/v1/treasuries/%s/proposals?format=csv&"
                              "status=nope" % P, token=c.viewer), 400,
                   "invalid-query")
    assert_problem(c.node.get("/v1/treasuries/nope/proposals?format=csv",
                              token=c.viewer), 404, "unknown-treasury")


def test_proposals_csv_many_pages(ctx):
    node, c = setup(ctx)
    c.asset_ok("USDC", DEC)
    (a,) = sg.signers("csvm", "e")
    c.treasury_ok(P, 1, [a])
    n, want_minor = 130, []
    for i in range(n):
        minor = 10 ** 6 + i * 7919
        r = c.propose(P, {"kind": "transfer", "asset": "USDC",
                          "amount": units(minor), "to": "d-%d" % i,
                          "memo": "m, \"%d\"" % i})
        assert_equal(r.status, 201, "proposal %d: %r" % (i, r))
        want_minor.append((r.json["id"], 0, minor))
        for _ in range(3 if i == 40 else 0):
            # 64 items with 256-byte memos of quotes (~46 KB of rows): three
            # in a row are more than a 64 KiB block, so a batch is
            # continued at its next item in the next read
            memo = '"' * 256
            r = c.propose(P, {"kind": "batch", "memo": "big", "transfers": [
                {"asset": "USDC", "amount": units(k + 1), "to": "b-%d" % k,
                 "memo": memo} for k in range(64)]})
            assert_equal(r.status, 201, "batch: %r" % r)
            want_minor += [(r.json["id"], k, k + 1) for k in range(64)]
    head, rows = both_ways(c, "/v1/treasuries/%s/proposals" % P)
    assert_equal(len(rows), n + 3 * 64, "every row of every proposal")
    assert_equal([(r["id"], int(r["item"]), r["amount"]) for r in rows],
                 [(pid, k, units(m)) for pid, k, m in want_minor],
                 "in nonce order, items in order, amounts exact")
    nonces = [int(r["nonce"]) for r in rows]
    assert_equal(nonces, sorted(nonces), "nonce order")
    assert_equal(len(set(nonces)), n + 3, "every proposal")
    big = [r for r in rows if r["kind"] == "batch"]
    assert_true(all(r["item_memo"] == '"' * 256 for r in big),
                "quoted memos round trip")
    total = sum(int(r["amount"].replace(".", "")) for r in rows)
    assert_equal(total, sum(m for _, _, m in want_minor), "amounts add up")
    ids = [p["id"] for p in c.proposals(P, limit=50)]
    assert_equal(list(dict.fromkeys(r["id"] for r in rows)), ids,
                 "the same proposals as the JSON pages")
