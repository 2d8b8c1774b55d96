"""Treasurer's accounting (issue #14, docs/accounting.md): categories,
corrections and their history, ledger filters, CSV, the period report,
runway, budgets and their alerts, and treasuryctl's report and unsigned
label.

Written from the design (notes of issue #14) alone, independently of the
implementation. Every figure the daemon reports is compared with a value
computed here, in Python integers (minor units), from the test's OWN record
of what it did (class Books), never from the ledger endpoint. The daemon
runs with --unsafe-test-clock: activity is placed in chosen calendar months
by moving its clock forward (POST /v1/test/clock), and every recorded time
is the one the daemon answered (a deposit's created_at, an execution's
executed_at).

The quarter (build_quarter) is relative to the day the test runs: the first
calendar quarter starting at least 25 days from now, with activity 20 days
before it (so the quarter's opening balance is not zero), in each of its
three months, on its first and last days, and after it.
"""

import calendar
import csv
import io
import re
import time
import urllib.parse

import signers as sg
from cli_helpers import Ctl
from framework import assert_equal, assert_problem, assert_true, TestFailure
from treasury_helpers import DAY_S, parse_ts, setup, ts

CLOCK = ["--unsafe-test-clock"]
HOUR_S = 3600
FORMULA_START = "=+-@"
PREFIX = "/v1/treasuries/"


# ---- time and calendar (independent of core/calendar.c) ----

def advance(node, seconds):
    """Move the daemon's clock forward; its new "now" (unix seconds)."""
    r = node.post("/v1/test/clock", body={"advance_s": int(seconds)})
    assert_equal(r.status, 200, "test clock: %r" % r)
    return parse_ts(r.json["now"])


def utc(y, m, d=1, hh=0, mm=0, ss=0):
    return calendar.timegm((y, m, d, hh, mm, ss, 0, 0, 0))


def date_text(t):
    return time.strftime("%Y-%m-%d", time.gmtime(t))


def next_month(y, m):
    return (y + 1, 1) if m == 12 else (y, m + 1)


def period_bounds(t, period):
    """[from, to) of the UTC calendar month / quarter / year holding t."""
    g = time.gmtime(t)
    y, m = g.tm_year, g.tm_mon
    if period == "month":
        n = 1
    elif period == "quarter":
        m, n = (m - 1) // 3 * 3 + 1, 3
    elif period == "year":
        m, n = 1, 12
    else:
        raise ValueError(period)
    ny, nm = y, m
    for _ in range(n):
        ny, nm = next_month(ny, nm)
    return utc(y, m), utc(ny, nm)


def first_quarter_start_after(t):
    g = time.gmtime(t)
    y, m = g.tm_year, g.tm_mon
    while True:
        if (m - 1) % 3 == 0 and utc(y, m) >= t:
            return utc(y, m)
        y, m = next_month(y, m)


def time_value(v):
    """A time as the API may print it (unix seconds, RFC 3339 Z or a
    date): unix seconds. Which form the report uses is open."""
    if isinstance(v, int) and not isinstance(v, bool):
        return v
    assert_true(isinstance(v, str), "a time: %r" % (v,))
    if re.fullmatch(r"[0-9]+", v):
        return int(v)
    if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", v):
        return calendar.timegm(time.strptime(v, "%Y-%m-%d"))
    return parse_ts(v)


# ---- amounts (exact: Python int minor units) ----

def fmt(minor, decimals):
    """Signed minor units as the API prints them ("-12.500000")."""
    sign = "-" if minor < 0 else ""
    return sign + sg.minor_text(abs(minor), decimals)


def minor(text, decimals):
    """The API's exact decimal text to signed minor units; it must have
    exactly `decimals` fraction digits."""
    assert_true(isinstance(text, str), "amount is a string: %r" % (text,))
    m = re.fullmatch(r"(-?)(0|[1-9][0-9]*)(?:\.([0-9]+))?", text)
    assert_true(m is not None, "amount form: %r" % text)
    frac = m.group(3) or ""
    assert_equal(len(frac), decimals, "fraction digits of %r" % text)
    v = int(m.group(2)) * 10 ** decimals + int(frac or "0")
    return -v if m.group(1) else v


def runway_text(balance, outflow_90d):
    """balance / (outflow_90d / 3), two fraction digits, rounded down."""
    if outflow_90d == 0:
        return None
    hundredths = balance * 300 // outflow_90d
    return "%d.%02d" % (hundredths // 100, hundredths % 100)


# ---- journal and CSV ----

def journal_entries(node, typ=None, treasury=None):
    out, cursor = [], None
    for _ in range(10000):
        path = "/v1/journal?limit=500"
        if cursor:
            path += "&cursor=" + urllib.parse.quote(cursor)
        r = node.get(path)
        assert_equal(r.status, 200, "journal: %r" % r)
        out += r.json["entries"]
        cursor = r.json["next_cursor"]
        if not cursor:
            break
    return [e for e in out if (typ is None or e["type"] == typ) and
            (treasury is None or e["treasury"] == treasury)]


def neutralised(value):
    """What a CSV field holds for a JSON value: text as is, a leading
    = + - @ prefixed with an apostrophe, null as the empty field."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    s = str(value)
    if s and s[0] in FORMULA_START:
        return "'" + s
    return s


def parse_csv(resp, what):
    """Check the transport (200, text/csv, RFC 4180 CRLF records, a header
    row, a constant number of fields) and parse with Python's csv module:
    (header, [row dict, ...])."""
    assert_equal(resp.status, 200, "%s: %r" % (what, resp))
    ctype = resp.header("Content-Type") or ""
    assert_true(ctype.split(";")[0].strip().lower() == "text/csv",
                "%s: Content-Type text/csv, got %r" % (what, ctype))
    body = resp.body
    assert_true(body.endswith("\r\n"), "%s: the last record ends in CRLF"
                % what)
    # No field can hold CR or LF (the server's grammars refuse them), so
    # every LF is a record end and is preceded by CR.
    assert_true("\n" not in body.replace("\r\n", "") and
                "\r" not in body.replace("\r\n", ""),
                "%s: records end in CRLF, no bare CR or LF" % what)
    rows = list(csv.reader(io.StringIO(body, newline=""), strict=True))
    assert_true(len(rows) >= 1, "%s: a header row" % what)
    header = rows[0]
    assert_equal(len(set(header)), len(header), "%s: header names unique"
                 % what)
    for i, row in enumerate(rows[1:], 2):
        assert_equal(len(row), len(header), "%s: fields in record %d"
                     % (what, i))
    return header, [dict(zip(header, row)) for row in rows[1:]]


def all_fields(rows):
    return [v for row in rows for v in row.values()]


def csv_amount_fields(rows):
    """Fields that look like a decimal amount (possibly neutralised)."""
    return [v for v in all_fields(rows)
            if re.fullmatch(r"'?-?[0-9]+\.[0-9]+", v)]


def check_no_formula_fields(rows, what, allow_negative_amounts=False):
    for v in all_fields(rows):
        if allow_negative_amounts and re.fullmatch(r"-[0-9]+\.[0-9]+", v):
            continue    # open point: is "-12.5" prefixed too?
        assert_true(not v or v[0] not in FORMULA_START,
                    "%s: field %r starts a spreadsheet formula" % (what, v))


def problem_names(resp, status, words, what):
    """A problem answer with this status whose detail names every word."""
    assert_equal(resp.status, status, "%s: %r" % (what, resp))
    body = resp.json or {}
    detail = body.get("detail", "")
    for w in words:
        assert_true(w in detail, "%s: the detail names %r: %r"
                    % (what, w, detail))


def assert_4xx_status(resp, allowed, what):
    assert_true(resp.status in allowed, "%s: status in %r, got %r"
                % (what, allowed, resp))


# ---- the test's own books ----

class Books:
    """What the test did to one treasury, kept independently of the
    daemon: every ledger entry (time, kind, asset, minor units, category,
    counterparty), open proposals (for "committed"), budgets and the
    alerts they must have fired (simulated from spent x 100 >= amount x
    level, once per budget, period and level)."""

    def __init__(self, node, c, tid, signer_list, now):
        self.node, self.c, self.tid = node, c, tid
        self.signers = signer_list
        self.now = now
        self.entries = []       # dicts, in ledger order
        self.kinds = {}         # category -> "expense" | "income"
        self.open = {}          # proposal id -> [(asset, minor, category)]
        self.budgets = {}       # (category, period) -> (asset, minor)
        self.fired = set()      # (category, period, period_from, level)
        self.alerts = []        # expected budget.alert payloads, in order
        self.targets = {}       # proposal id -> [to, ...]

    # clock

    def tick(self, seconds=60):
        self.now = advance(self.node, seconds)
        return self.now

    def goto(self, t):
        now = self.tick(1)
        if t > now:
            now = self.tick(t - now)
        return now

    def expires(self):
        return ts(self.now + 3 * DAY_S)

    # categories

    def category(self, name, kind, want=201):
        r = self.node.post(PREFIX + self.tid + "/categories",
                           {"name": name, "kind": kind},
                           token=self.c.treasurer)
        assert_equal(r.status, want, "category %s: %r" % (name, r))
        assert_equal((r.json["name"], r.json["kind"]), (name, kind),
                     "category answer")
        self.kinds[name] = kind
        return r.json

    # money in

    def deposit(self, asset, amount, ref, category=None, source=None,
                memo=None):
        extra = {}
        if category is not None:
            extra["category"] = category
        if source is not None:
            extra["source"] = source
        if memo is not None:
            extra["memo"] = memo
        e = self.c.deposit_ok(self.tid, asset, amount, ref, **extra)
        assert_equal(e.get("category"), category, "deposit entry category")
        t = parse_ts(e["created_at"])
        self.entries.append({
            "seq": e["seq"], "t": t, "kind": "deposit", "asset": asset,
            "minor": sg.amount_minor(amount, self.c.decimals[asset]),
            "category": category, "counterparty": source, "ref": ref})
        return e

    # money out

    def body(self, items, memo=""):
        """items: [(asset, amount, to, category or None), ...]; one item
        is a transfer, more a batch."""
        if len(items) == 1:
            asset, amount, to, cat = items[0]
            b = {"kind": "transfer", "asset": asset, "amount": amount,
                 "to": to, "memo": memo}
            if cat is not None:
                b["category"] = cat
        else:
            b = {"kind": "batch", "memo": memo, "transfers": []}
            for asset, amount, to, cat in items:
                it = {"asset": asset, "amount": amount, "to": to, "memo": ""}
                if cat is not None:
                    it["category"] = cat
                b["transfers"].append(it)
        b["expires_at"] = self.expires()
        return b

    def propose(self, items, memo="", approve=False):
        """Propose (the helper checks every canonical line: the category is
        in none of them) and optionally approve; not executed."""
        p = self.c.propose_ok(self.tid, self.body(items, memo))
        self.open[p["id"]] = [
            (a, sg.amount_minor(x, self.c.decimals[a]), cat)
            for a, x, _, cat in items]
        self.targets[p["id"]] = [to for _, _, to, _ in items]
        if approve:
            self.c.approve_all(p["id"], self.signers)
        return p

    def execute(self, pid):
        r = self.c.execute_ok(pid)
        t = r.get("executed_at") or self.c.get_proposal(pid)["executed_at"]
        t = parse_ts(t)
        for (asset, m, cat), to in zip(self.open.pop(pid),
                                       self.targets.pop(pid)):
            self.entries.append({
                "seq": None, "t": t, "kind": "transfer", "asset": asset,
                "minor": m, "category": cat, "counterparty": to,
                "proposal": pid})
        self.check_alerts(t)
        return t

    def spend(self, items, memo=""):
        p = self.propose(items, memo, approve=True)
        self.execute(p["id"])
        return p

    # corrections

    def fill_seqs(self):
        """The seq of every entry, by position in the treasury's ledger
        (used only to name entries, never for a figure)."""
        ledger = self.c.ledger(self.tid)
        assert_equal(len(ledger), len(self.entries), "ledger length")
        for got, mine in zip(ledger, self.entries):
            assert_equal((got["kind"], got["asset"], got["amount"]),
                         (mine["kind"], mine["asset"],
                          sg.minor_text(mine["minor"],
                                        self.c.decimals[mine["asset"]])),
                         "ledger entry %d is the one recorded" % got["seq"])
            mine["seq"] = got["seq"]

    def recategorise(self, index, category, token=None):
        e = self.entries[index]
        if e["seq"] is None:
            self.fill_seqs()
        r = self.node.post("%s%s/ledger/%d/category" % (PREFIX, self.tid,
                                                        e["seq"]),
                           {"category": category},
                           token=token or self.c.treasurer)
        assert_equal(r.status, 200, "category correction: %r" % r)
        assert_equal(r.json.get("category"), category, "corrected category")
        assert_equal(r.json.get("seq"), e["seq"], "the same entry")
        e["category"] = category
        self.check_alerts(self.now)
        return r.json

    # budgets and their alerts

    def budget(self, category, period, asset, amount, want=None):
        r = self.node.post(PREFIX + self.tid + "/budgets",
                           {"category": category, "period": period,
                            "asset": asset, "amount": amount},
                           token=self.c.treasurer)
        key = (category, period)
        want = want or (200 if key in self.budgets else 201)
        assert_equal(r.status, want, "budget %r: %r" % (key, r))
        self.budgets[key] = (asset,
                             sg.amount_minor(amount, self.c.decimals[asset]))
        self.check_alerts(self.now)
        return r.json

    def spent(self, category, asset, frm, to):
        return sum(e["minor"] for e in self.entries
                   if e["kind"] == "transfer" and e["category"] == category
                   and e["asset"] == asset and frm <= e["t"] < to)

    def committed(self, category, asset):
        return sum(m for items in self.open.values()
                   for a, m, cat in items if a == asset and cat == category)

    def check_alerts(self, now):
        """Expected alerts after an act at time now: for each budget (in
        (category, period) order), level 80 then 100."""
        for (cat, period), (asset, amount) in sorted(self.budgets.items()):
            pf, pt = period_bounds(now, period)
            spent = self.spent(cat, asset, pf, pt)
            for level in (80, 100):
                k = (cat, period, pf, level)
                if spent * 100 >= amount * level and k not in self.fired:
                    self.fired.add(k)
                    # journal payloads carry minor units, as deposits do
                    self.alerts.append({
                        "treasury": self.tid, "category": cat,
                        "period": period, "period_from": pf,
                        "period_to": pt, "asset": asset, "level": level,
                        "spent_minor": str(spent),
                        "amount_minor": str(amount)})

    def expected_budgets(self, now):
        out = {}
        for (cat, period), (asset, amount) in self.budgets.items():
            d = self.c.decimals[asset]
            pf, pt = period_bounds(now, period)
            spent = self.spent(cat, asset, pf, pt)
            committed = self.committed(cat, asset)
            out[(cat, period)] = {
                "asset": asset, "amount": fmt(amount, d),
                "period_from": pf, "period_to": pt,
                "spent": fmt(spent, d), "committed": fmt(committed, d),
                "remaining": fmt(amount - spent - committed, d),
                "alerts": sorted(lv for (c2, p2, f2, lv) in self.fired
                                 if (c2, p2, f2) == (cat, period, pf))}
        return out

    # reports, computed from the record

    def expected_assets(self, frm, to):
        acc = {}
        for e in self.entries:
            a = acc.setdefault(e["asset"], {
                "opening": 0, "inflow": 0, "outflow": 0, "u_in": 0,
                "u_out": 0, "cats": {}})
            signed = e["minor"] if e["kind"] == "deposit" else -e["minor"]
            if e["t"] < frm:
                a["opening"] += signed
            elif e["t"] < to:
                side = "inflow" if e["kind"] == "deposit" else "outflow"
                a[side] += e["minor"]
                if e["category"] is None:
                    a["u_in" if side == "inflow" else "u_out"] += e["minor"]
                else:
                    cat = a["cats"].setdefault(e["category"], [0, 0])
                    cat[0 if side == "inflow" else 1] += e["minor"]
        out = {}
        for asset, a in acc.items():
            if not (a["opening"] or a["inflow"] or a["outflow"]):
                continue
            d = self.c.decimals[asset]
            closing = a["opening"] + a["inflow"] - a["outflow"]
            out[asset] = {
                "decimals": d, "opening": fmt(a["opening"], d),
                "inflow": fmt(a["inflow"], d),
                "outflow": fmt(a["outflow"], d), "closing": fmt(closing, d),
                "uncategorised": {"inflow": fmt(a["u_in"], d),
                                  "outflow": fmt(a["u_out"], d)},
                "categories": {
                    name: {"kind": self.kinds[name], "inflow": fmt(i, d),
                           "outflow": fmt(o, d)}
                    for name, (i, o) in a["cats"].items() if i or o}}
        return out

    def expected_runway(self, at):
        out = {}
        for e in self.entries:
            a = out.setdefault(e["asset"], [0, 0, 0])
            assert_true(e["t"] < at, "runway asked after every entry")
            if e["kind"] == "deposit":
                a[0] += e["minor"]
            else:
                a[0] -= e["minor"]
                if at - 30 * DAY_S <= e["t"]:
                    a[1] += e["minor"]
                if at - 90 * DAY_S <= e["t"]:
                    a[2] += e["minor"]
        res = {}
        for asset, (bal, o30, o90) in out.items():
            d = self.c.decimals[asset]
            res[asset] = {"balance": fmt(bal, d), "outflow_30d": fmt(o30, d),
                          "outflow_90d": fmt(o90, d),
                          "runway_months": runway_text(bal, o90)}
        return res

    def entry_keys(self, pred=lambda e: True):
        """Sortable keys of recorded entries, to compare a ledger answer
        with (several entries may share a key, so compare sorted lists)."""
        return sorted((e["t"], e["kind"], e["asset"],
                       sg.minor_text(e["minor"], self.c.decimals[e["asset"]]),
                       e["category"] or "", e["counterparty"] or "")
                      for e in self.entries if pred(e))


def ledger_key(e):
    cp = e.get("counterparty")
    if cp is None:      # open: absent / null / "" for a deposit without source
        cp = ""
    return (parse_ts(e["created_at"]), e["kind"], e["asset"], e["amount"],
            e.get("category") or "", cp)


def normalise_assets(assets, decimals, what):
    """A report's assets as {asset: ...} in the shape of
    Books.expected_assets, after checking its exact arithmetic. Categories
    and assets whose figures are all zero are left out (whether the
    daemon lists them is open)."""
    out = {}
    for a in assets:
        code = a["asset"]
        assert_true(code not in out, "%s: asset %s listed once" % (what, code))
        d = a["decimals"]
        assert_equal(d, decimals[code], "%s: decimals of %s" % (what, code))
        op, inf, outf, cl = (minor(a[k], d) for k in
                             ("opening", "inflow", "outflow", "closing"))
        assert_equal(op + inf - outf, cl, "%s: %s opening + inflow - outflow"
                     " = closing" % (what, code))
        u = a["uncategorised"]
        cats, sum_in, sum_out = {}, minor(u["inflow"], d), \
            minor(u["outflow"], d)
        for cat in a["categories"]:
            name = cat["category"]
            assert_true(name not in cats, "%s: category %s once"
                        % (what, name))
            ci, co = minor(cat["inflow"], d), minor(cat["outflow"], d)
            sum_in += ci
            sum_out += co
            if ci or co:
                cats[name] = {"kind": cat["kind"], "inflow": cat["inflow"],
                              "outflow": cat["outflow"]}
        assert_equal((sum_in, sum_out), (inf, outf), "%s: %s categories + "
                     "uncategorised = inflow, outflow" % (what, code))
        if not (op or inf or outf):
            continue
        out[code] = {"decimals": d, "opening": a["opening"],
                     "inflow": a["inflow"], "outflow": a["outflow"],
                     "closing": a["closing"],
                     "uncategorised": {"inflow": u["inflow"],
                                       "outflow": u["outflow"]},
                     "categories": cats}
    return out


def report(node, tid, token, **params):
    return node.get("%s%s/report?%s" % (PREFIX, tid,
                                        urllib.parse.urlencode(params)),
                    token=token)


def report_ok(node, tid, token, **params):
    r = report(node, tid, token, **params)
    assert_equal(r.status, 200, "report %r: %r" % (params, r))
    assert_equal(r.json["treasury"], tid, "report treasury")
    return r.json


def ledger_filtered(c, tid, limit=500, **params):
    return c.all_pages(PREFIX + tid + "/ledger", "entries", limit=limit,
                       **params)[0]


# ---- the quarter ----

class Quarter:
    pass


INCOME = ("sales", "grants-in")
EXPENSE = ("payroll", "infra", "grants")


def build_quarter(ctx):
    """A 2-of-2 treasury "dao" with USDC (6 decimals) and ETH (18), five
    categories, and a quarter of activity with activity before and after
    it. Returns a Quarter: node, c, books, q_from, q_to, month starts,
    notable entry indexes."""
    node, c = setup(ctx, extra_args=CLOCK)
    c.asset_ok("USDC", 6)
    c.asset_ok("ETH", 18)
    signer_list = sg.signers("acct", "es")
    c.treasury_ok("dao", 2, signer_list)
    b = Books(node, c, "dao", signer_list, advance(node, 1))
    for name in INCOME:
        b.category(name, "income")
    for name in EXPENSE:
        b.category(name, "expense")
    q = Quarter()
    q.node, q.c, q.books = node, c, b
    q.q_from = first_quarter_start_after(b.now + 25 * DAY_S)
    _, q.q_to = period_bounds(q.q_from, "quarter")
    q.months = [q.q_from]
    g = time.gmtime(q.q_from)
    y, m = g.tm_year, g.tm_mon
    for _ in range(2):
        y, m = next_month(y, m)
        q.months.append(utc(y, m))

    # Before the quarter: the opening balances.
    b.goto(q.q_from - 20 * DAY_S + 9 * HOUR_S)
    b.deposit("USDC", "10000", "pre-1", "sales", source="acme-corp")
    b.tick()
    b.deposit("ETH", "100000", "pre-2", "grants-in", source="foundation")
    b.tick()
    b.deposit("USDC", "500", "pre-3")
    b.tick()
    b.spend([("USDC", "1200", "alice-wallet", "payroll")], "salary")
    b.tick()
    b.spend([("ETH", "0.25", "aws", "infra")])
    # The quarter's first hours.
    b.goto(q.q_from + 2 * HOUR_S)
    b.deposit("USDC", "0.000001", "q-first", "sales", source="acme-corp")
    # Month 1.
    b.goto(q.months[0] + 14 * DAY_S + 9 * HOUR_S)
    q.m1_deposit = len(b.entries)
    b.deposit("USDC", "3000.5", "m1-dep", source="customer-7")  # sales later
    b.tick(600)
    b.spend([("USDC", "1200", "alice-wallet", "payroll")], "salary")
    b.tick(600)
    b.spend([("USDC", "99.999999", "aws", "infra"),
             ("ETH", "1.5", "grantee-1", "grants"),
             ("USDC", "10", "misc", None)], "month 1 batch")
    # Month 2.
    b.goto(q.months[1] + 12 * DAY_S + 9 * HOUR_S)
    b.deposit("ETH", "0.000000000000000001", "m2-wei", "grants-in")
    b.tick(600)
    b.deposit("USDC", "250", "m2-dep")
    b.tick(600)
    b.spend([("USDC", "1200", "alice-wallet", "payroll")], "salary")
    b.tick(600)
    b.spend([("ETH", "0.3", "misc", None)])
    # Month 3.
    b.goto(q.months[2] + 19 * DAY_S + 9 * HOUR_S)
    q.m3_first = len(b.entries)
    b.deposit("USDC", "4000", "m3-grant", "grants-in", source="foundation")
    b.tick(600)
    b.spend([("USDC", "1250.25", "alice-wallet", "payroll")], "salary")
    b.tick(600)
    b.spend([("USDC", "700", "grantee-2", "grants"),
             ("ETH", "0.05", "aws", "infra")], "month 3 batch")
    # The quarter's last day, 21:00 onwards.
    b.goto(q.q_to - 3 * HOUR_S)
    b.spend([("USDC", "333.333333", "aws", "infra")])
    b.tick(600)
    b.deposit("USDC", "42", "q-last", "sales")
    # The month 1 deposit was sales after all (a correction, recorded).
    b.recategorise(q.m1_deposit, "sales")
    # After the quarter.
    b.goto(q.q_to + DAY_S + 9 * HOUR_S)
    b.deposit("USDC", "1000", "after-1", "sales", source="acme-corp")
    b.tick(600)
    b.spend([("USDC", "1300", "alice-wallet", "payroll")], "salary")
    b.tick(600)
    q.pending = b.propose([("USDC", "400", "bob-wallet", "payroll")],
                          "bonus")
    q.approved = b.propose([("USDC", "100", "carol-wallet", "payroll"),
                            ("USDC", "50", "aws", "infra")], "approved",
                           approve=True)
    b.tick(600)
    return q


# ---- categories ----

def test_categories_register_and_list(ctx):
    node, c = setup(ctx, extra_args=CLOCK)
    c.treasury_ok("dao", 1, sg.signers("cat", "e"))
    c.treasury_ok("other", 1, sg.signers("cat2", "e"))
    path = PREFIX + "dao/categories"
    r = node.post(path, {"name": "payroll", "kind": "expense"},
                  token=c.treasurer)
    assert_equal(r.status, 201, "register: %r" % r)
    first = r.json
    assert_equal((first["name"], first["kind"]), ("payroll", "expense"),
                 "answer")
    parse_ts(first["created_at"])
    r = node.post(path, {"name": "payroll", "kind": "expense"},
                  token=c.treasurer)
    assert_equal(r.status, 200, "the same again: %r" % r)
    assert_equal(r.json, first, "the same again answers the first")
    r = node.post(path, {"name": "payroll", "kind": "income"},
                  token=c.treasurer)
    assert_equal(r.status, 409, "other kind: %r" % r)
    assert_equal(node.post(path, {"name": "sales", "kind": "income"}).status,
                 201, "admin registers")
    longest = "a" + "b-_9" * 7 + "z" * 3
    assert_equal(len(longest), 32, "fixture")
    assert_equal(node.post(path, {"name": longest, "kind": "income"},
                           token=c.treasurer).status, 201, "32 bytes")
    for bad in ("Payroll", "-x", "_x", "", "a" * 33, "pay roll", "payr\u00f6ll",
                "a/b", "a.b", " payroll", "payroll\n", "\u202egrants"):
        r = node.post(path, {"name": bad, "kind": "expense"},
                      token=c.treasurer)
        assert_4xx_status(r, (400, 422), "name %r" % bad)
    for bad_kind in ("asset", "Expense", "", None, 1):
        r = node.post(path, {"name": "fees", "kind": bad_kind},
                      token=c.treasurer)
        assert_4xx_status(r, (400, 422), "kind %r" % (bad_kind,))
    assert_4xx_status(node.post(path, {"name": "fees"}, token=c.treasurer),
                      (400, 422), "missing kind")
    assert_4xx_status(node.post(path, {"name": "fees", "kind": "expense",
                                       "colour": "red"}, token=c.treasurer),
                      (400, 422), "unknown field")
    r = node.post(PREFIX + "nope/categories", {"name": "x", "kind": "income"},
                  token=c.treasurer)
    assert_equal(r.status, 404, "unknown treasury: %r" % r)
    assert_equal(node.get(PREFIX + "nope/categories", token=c.viewer).status,
                 404, "list of an unknown treasury")
    for tok in (c.viewer, c.signer_token):
        r = node.post(path, {"name": "fees", "kind": "expense"}, token=tok)
        assert_equal(r.status, 403, "admin or treasurer only: %r" % r)
    assert_equal(node.post(path, {"name": "fees", "kind": "expense"},
                           token=None).status, 401, "no token")
    # Per treasury: the same name may be the other kind elsewhere.
    assert_equal(node.post(PREFIX + "other/categories",
                           {"name": "payroll", "kind": "income"},
                           token=c.treasurer).status, 201, "per treasury")

    r = node.get(path, token=c.viewer)
    assert_equal(r.status, 200, "list: %r" % r)
    got = {x["name"]: x["kind"] for x in r.json["categories"]}
    assert_equal(got, {"payroll": "expense", "sales": "income",
                       longest: "income"}, "listed")
    assert_equal(len(r.json["categories"]), 3, "each once")
    for x in r.json["categories"]:
        parse_ts(x["created_at"])
    r = node.get(PREFIX + "other/categories", token=c.viewer)
    assert_equal([(x["name"], x["kind"]) for x in r.json["categories"]],
                 [("payroll", "income")], "the other treasury's")
    created = journal_entries(node, "category.created")
    assert_equal(len(created), 4, "one category.created per new category "
                 "(none for the repeat): %r" % created)

    # At most 256 per treasury.
    for i in range(255):
        r = node.post(PREFIX + "other/categories",
                      {"name": "c%03d" % i, "kind": "expense"},
                      token=c.treasurer)
        assert_equal(r.status, 201, "category %d: %r" % (i, r))
    r = node.post(PREFIX + "other/categories",
                  {"name": "one-too-many", "kind": "expense"},
                  token=c.treasurer)
    assert_true(400 <= r.status < 500, "the 257th is refused: %r" % r)
    r = node.get(PREFIX + "other/categories", token=c.viewer)
    assert_equal(len(r.json["categories"]), 256, "256 listed")


def proposal_categories(p):
    """Each item's category as the proposal JSON shows it. A transfer has
    "category"; where a batch's per-item categories sit is open: an item
    list ("transfers" or "items") with a "category" each, or a
    "categories" list."""
    if p["kind"] == "transfer":
        return [p.get("category")]
    for key in ("transfers", "items"):
        if isinstance(p.get(key), list):
            return [it.get("category") for it in p[key]]
    if isinstance(p.get("categories"), list):
        return list(p["categories"])
    raise TestFailure("no per-item categories in the batch: %r" % p)


def test_categories_on_deposits_and_proposals(ctx):
    node, c = setup(ctx, extra_args=CLOCK)
    c.asset_ok("USDC", 6)
    sigs = sg.signers("lab", "ee")
    c.treasury_ok("dao", 2, sigs)
    b = Books(node, c, "dao", sigs, advance(node, 1))
    b.category("sales", "income")
    b.category("payroll", "expense")
    b.category("infra", "expense")

    e = b.deposit("USDC", "100", "d-1", "sales", source="acme")
    assert_equal(e["category"], "sales", "deposit category")
    assert_equal(e.get("counterparty"), "acme", "counterparty = source")
    e = b.deposit("USDC", "50", "d-2")
    assert_true("category" in e and e["category"] is None,
                "uncategorised is null: %r" % e)
    r = c.deposit("dao", "USDC", "1", "d-3", category="payroll")
    problem_names(r, 422, ["category"], "expense category on a deposit")
    r = c.deposit("dao", "USDC", "1", "d-4", category="nosuch")
    problem_names(r, 422, ["'nosuch' is not a category of treasury 'dao'"],
                  "unknown category on a deposit")
    r = c.deposit("dao", "USDC", "1", "d-5", category="Sales")
    assert_4xx_status(r, (400, 422), "bad category name")
    assert_equal(len(c.ledger("dao")), 2, "nothing credited by a refusal")

    # The category is not signed: the canonical text is what the client
    # builds from the body WITHOUT the category (propose_ok checks every
    # line and the id), and no line carries it.
    p = b.propose([("USDC", "10", "alice", "payroll")], "pay")
    assert_equal(p.get("category"), "payroll", "proposal category")
    assert_true("payroll" not in p["canonical"] and
                "category" not in p["canonical"], "not in the canonical text")
    expires = dict(sg.parse_canonical(p["canonical"]))["expires"]
    want = sg.canonical_text(
        sg.common_lines(c.instance, "dao", 1, "transfer", c.nonces["dao"],
                        expires) +
        sg.transfer_lines("USDC", "10.000000", "alice", "pay"))
    assert_equal(p["canonical"].encode(), want.encode(),
                 "byte-identical to the text without a category")
    p2 = b.propose([("USDC", "10", "alice", None)], "pay")
    assert_true("category" in p2 and p2["category"] is None,
                "an uncategorised transfer: null")
    pb = b.propose([("USDC", "1", "a", "payroll"), ("USDC", "2", "b", None),
                    ("USDC", "3", "c", "infra")], "batch")
    assert_equal(proposal_categories(pb), ["payroll", None, "infra"],
                 "batch item categories")
    assert_true("infra" not in pb["canonical"], "batch canonical")
    got = c.get_proposal(pb["id"])
    assert_equal(proposal_categories(got), ["payroll", None, "infra"],
                 "GET shows them too")
    for what, items, words in (
            ("income category on a transfer",
             [("USDC", "1", "x", "sales")], ["category"]),
            ("unknown category on a transfer", [("USDC", "1", "x", "zzz")],
             ["'zzz' is not a category of treasury 'dao'"]),
            ("income category on a batch item",
             [("USDC", "1", "x", None), ("USDC", "1", "y", "sales")],
             ["category"]),
            ("unknown category on a batch item",
             [("USDC", "1", "x", "payroll"), ("USDC", "1", "y", "zzz")],
             ["zzz"])):
        r = c.propose("dao", b.body(items))
        problem_names(r, 422, words, what)
    assert_equal(len(c.proposals("dao")), 3, "no proposal from a refusal")

    # Executed: the ledger entries carry the item categories.
    c.approve_all(pb["id"], sigs)
    b.execute(pb["id"])
    debits = [x for x in c.ledger("dao") if x["kind"] == "transfer"]
    assert_equal([(x["amount"], x.get("category"), x.get("counterparty"))
                  for x in debits],
                 [("1.000000", "payroll", "a"), ("2.000000", None, "b"),
                  ("3.000000", "infra", "c")], "categories on the ledger")


def test_category_corrections_and_history(ctx):
    node, c = setup(ctx, extra_args=CLOCK)
    c.asset_ok("USDC", 6)
    sigs = sg.signers("cor", "ee")
    c.treasury_ok("dao", 2, sigs)
    c.treasury_ok("other", 1, sg.signers("cor2", "e"))
    b = Books(node, c, "dao", sigs, advance(node, 1))
    b.category("sales", "income")
    b.category("grants-in", "income")
    b.category("payroll", "expense")
    b.category("infra", "expense")
    treasurer_name = "t-treasurer"     # Client.token's name for "treasurer"

    e = b.deposit("USDC", "100", "d-1", "sales")
    seq = e["seq"]
    r = node.get("%sdao/ledger/%d" % (PREFIX, seq), token=c.viewer)
    assert_equal(r.status, 200, "GET one entry: %r" % r)
    assert_equal(r.json.get("category_history"), [], "no change yet")
    assert_equal(r.json["category"], "sales", "category")

    t1 = b.tick(120)
    b.recategorise(0, "grants-in")
    t2 = b.tick(120)
    r = node.post("%sdao/ledger/%d/category" % (PREFIX, seq),
                  {"category": None})
    assert_equal(r.status, 200, "admin sets null: %r" % r)
    assert_true(r.json["category"] is None, "uncategorised now")
    b.entries[0]["category"] = None
    r = node.get("%sdao/ledger/%d" % (PREFIX, seq), token=c.viewer)
    hist = r.json["category_history"]
    assert_equal([(h["previous"], h["category"]) for h in hist],
                 [("sales", "grants-in"), ("grants-in", None)],
                 "history oldest first")

    def actor_of(h):
        a = h["actor"]
        return a.get("token") if isinstance(a, dict) else a

    assert_equal(actor_of(hist[0]), treasurer_name, "who: the token name")
    admin_name = actor_of(hist[1])
    assert_true(isinstance(admin_name, str) and admin_name and
                admin_name != treasurer_name, "the admin token named")
    at1, at2 = parse_ts(hist[0]["at"]), parse_ts(hist[1]["at"])
    assert_true(t1 <= at1 < t2 and t2 <= at2 < t2 + 60,
                "when: %r %r (clock %d %d)" % (hist[0]["at"], hist[1]["at"],
                                               t1, t2))
    # The ledger list shows the current category too.
    assert_equal(c.ledger("dao")[0].get("category"), None, "list")

    for what, body, status in (
            ("expense category on a deposit", {"category": "payroll"}, 422),
            ("unknown category", {"category": "nosuch"}, 422)):
        r = node.post("%sdao/ledger/%d/category" % (PREFIX, seq), body,
                      token=c.treasurer)
        problem_names(r, status, ["category"], what)
    assert_4xx_status(node.post("%sdao/ledger/%d/category" % (PREFIX, seq),
                                {}, token=c.treasurer), (400, 422),
                      "no category member")
    for tok in (c.viewer, c.signer_token):
        r = node.post("%sdao/ledger/%d/category" % (PREFIX, seq),
                      {"category": "sales"}, token=tok)
        assert_equal(r.status, 403, "role: %r" % r)
    r = node.post("%sother/ledger/%d/category" % (PREFIX, seq),
                  {"category": "sales"}, token=c.treasurer)
    assert_equal(r.status, 404, "the entry of another treasury: %r" % r)
    assert_equal(node.post("%sdao/ledger/999999/category" % PREFIX,
                           {"category": "sales"},
                           token=c.treasurer).status, 404, "unknown seq")
    assert_equal(node.get("%sdao/ledger/999999" % PREFIX,
                          token=c.viewer).status, 404, "GET unknown seq")
    r = node.get("%sdao/ledger/%d" % (PREFIX, seq), token=c.viewer)
    assert_equal(len(r.json["category_history"]), 2, "refusals not recorded")

    # A pending proposal: the category changes, the signed text and the
    # votes do not.
    b.deposit("USDC", "1000", "d-2")
    p = b.propose([("USDC", "10", "alice", "payroll")], "pay")
    pid = p["id"]
    c.vote_ok(pid, sigs[0], want_status="pending")
    r = node.post("/v1/proposals/%s/category" % pid,
                  {"item": 0, "category": "infra"}, token=c.treasurer)
    assert_equal(r.status, 200, "correct a pending transfer: %r" % r)
    b.open[pid] = [("USDC", 10000000, "infra")]
    got = c.get_proposal(pid)
    assert_equal(got["category"], "infra", "corrected")
    assert_equal((got["id"], got["canonical"]), (pid, p["canonical"]),
                 "id and canonical text unchanged")
    assert_equal(len(got["approvals"]), 1, "the vote still stands")
    for what, body, ok in (
            ("income category", {"item": 0, "category": "sales"}, (422,)),
            ("unknown category", {"item": 0, "category": "zzz"}, (422,)),
            ("item out of range", {"item": 1, "category": "payroll"},
             (400, 404, 422)),
            ("negative item", {"item": -1, "category": "payroll"},
             (400, 422))):
        assert_4xx_status(node.post("/v1/proposals/%s/category" % pid, body,
                                    token=c.treasurer), ok, what)
    assert_equal(node.post("/v1/proposals/%s/category" % pid,
                           {"item": 0, "category": "payroll"},
                           token=c.viewer).status, 403, "viewer")
    assert_equal(node.post("/v1/proposals/%s/category" % ("0" * 64),
                           {"item": 0, "category": "payroll"},
                           token=c.treasurer).status, 404,
                 "unknown proposal")
    c.vote_ok(pid, sigs[1], want_status="approved")
    # Approved, not executed: still correctable.
    r = node.post("/v1/proposals/%s/category" % pid,
                  {"item": 0, "category": "payroll"}, token=c.treasurer)
    assert_equal(r.status, 200, "correct an approved transfer: %r" % r)
    b.open[pid] = [("USDC", 10000000, "payroll")]
    b.execute(pid)
    debit = c.ledger("dao")[-1]
    assert_equal(debit.get("category"), "payroll", "the execution carries it")
    r = node.post("/v1/proposals/%s/category" % pid,
                  {"item": 0, "category": "infra"}, token=c.treasurer)
    assert_equal(r.status, 409, "after execution: correct the entry: %r" % r)
    r = node.post("%sdao/ledger/%d/category" % (PREFIX, debit["seq"]),
                  {"category": "infra"}, token=c.treasurer)
    assert_equal(r.status, 200, "the debit corrected instead: %r" % r)
    r = node.post("%sdao/ledger/%d/category" % (PREFIX, debit["seq"]),
                  {"category": "sales"}, token=c.treasurer)
    problem_names(r, 422, ["category"], "income category on a debit")

    # A batch item.
    pb = b.propose([("USDC", "1", "a", "payroll"), ("USDC", "2", "b", None)])
    r = node.post("/v1/proposals/%s/category" % pb["id"],
                  {"item": 1, "category": "infra"}, token=c.treasurer)
    assert_equal(r.status, 200, "batch item 1: %r" % r)
    r = node.post("/v1/proposals/%s/category" % pb["id"],
                  {"item": 0, "category": None}, token=c.treasurer)
    assert_equal(r.status, 200, "batch item 0 to null: %r" % r)
    got = c.get_proposal(pb["id"])
    assert_equal(proposal_categories(got), [None, "infra"], "batch corrected")
    assert_equal(got["canonical"], pb["canonical"], "batch text unchanged")

    changed = journal_entries(node, "category.changed", "dao")
    assert_equal(len(changed), 7, "one category.changed per correction "
                 "(2 + 2 + 1 + 2): %r" % [x["payload"] for x in changed])
    assert_equal(changed[0]["actor"]["token"], treasurer_name, "actor")


# ---- ledger filters ----

def test_ledger_filters(ctx):
    q = build_quarter(ctx)
    c, b = q.c, q.books
    path = PREFIX + "dao/ledger"

    def check(what, pred, **params):
        got = sorted(ledger_key(e) for e in ledger_filtered(c, "dao",
                                                            **params))
        assert_equal(got, b.entry_keys(pred), what)
        return got

    in_q = lambda e: q.q_from <= e["t"] < q.q_to  # noqa: E731
    whole = check("from/to as dates", in_q, **{
        "from": date_text(q.q_from), "to": date_text(q.q_to)})
    assert_true(len(whole) >= 15, "the quarter has entries")
    check("from/to as RFC 3339", in_q, **{"from": ts(q.q_from),
                                          "to": ts(q.q_to)})
    check("from/to as unix seconds", in_q, **{"from": str(q.q_from),
                                              "to": str(q.q_to)})
    check("mixed forms", in_q, **{"from": date_text(q.q_from),
                                  "to": str(q.q_to)})
    check("from only", lambda e: e["t"] >= q.months[1],
          **{"from": date_text(q.months[1])})
    check("to only", lambda e: e["t"] < q.months[1],
          **{"to": ts(q.months[1])})
    # Half-open: an entry exactly at `from` is in, exactly at `to` out.
    edge = b.entries[q.m3_first]
    te = edge["t"]
    assert_equal(sum(1 for e in b.entries if e["t"] == te), 1,
                 "fixture: one entry at that second")
    check("entry exactly at from", lambda e: e["t"] >= te, **{"from": str(te)})
    check("entry exactly at to", lambda e: e["t"] < te, **{"to": ts(te)})
    one = check("[t, t + 1)", lambda e: e["t"] == te,
                **{"from": ts(te), "to": str(te + 1)})
    assert_equal(len(one), 1, "exactly that entry")
    check("kind=deposit", lambda e: e["kind"] == "deposit", kind="deposit")
    check("kind=transfer", lambda e: e["kind"] == "transfer", kind="transfer")
    check("asset=ETH", lambda e: e["asset"] == "ETH", asset="ETH")
    check("category=payroll", lambda e: e["category"] == "payroll",
          category="payroll")
    check("category=sales (with the corrected one)",
          lambda e: e["category"] == "sales", category="sales")
    check("category=- (uncategorised)", lambda e: e["category"] is None,
          category="-")
    check("counterparty of deposits", lambda e: e["counterparty"] ==
          "acme-corp", counterparty="acme-corp")
    check("counterparty of transfers", lambda e: e["counterparty"] == "aws",
          counterparty="aws")
    check("counterparty is exact", lambda e: False, counterparty="aw")
    check("asset=USDC", lambda e: e["asset"] == "USDC", asset="USDC")
    check("combined", lambda e: in_q(e) and e["kind"] == "transfer" and
          e["asset"] == "USDC" and e["category"] == "infra",
          **{"from": date_text(q.q_from), "to": date_text(q.q_to),
             "kind": "transfer", "asset": "USDC", "category": "infra"})
    # Pagination with filters: pages of 2 give the same entries, in order.
    paged, pages = c.all_pages(path, "entries", limit=2, category="payroll")
    assert_true(pages >= 3, "several pages: %d" % pages)
    assert_equal([e["seq"] for e in paged],
                 [e["seq"] for e in ledger_filtered(c, "dao",
                                                    category="payroll")],
                 "pages of 2 = one page")
    assert_equal([e["seq"] for e in paged], sorted(e["seq"] for e in paged),
                 "oldest first")
    paged, _ = c.all_pages(path, "entries", limit=3, kind="deposit",
                           **{"from": date_text(q.q_from)})
    assert_equal(sorted(ledger_key(e) for e in paged),
                 b.entry_keys(lambda e: e["kind"] == "deposit" and
                              e["t"] >= q.q_from), "pages with two filters")

    for name, value in (("from", "2027-02-30"), ("from", "2027-1-1"),
                        ("from", "yesterday"), ("from", "-5"),
                        ("from", "2027-01-01T00:00:00"),
                        ("from", "2027-01-01T00:00:00+01:00"),
                        ("from", "1e9"),
                        ("to", "12abc"), ("to", "2027-01-01T24:00:00Z"),
                        ("to", "99999999999999999999999"),
                        ("kind", "credit"), ("kind", "Deposit"),
                        ("category", "Payroll"), ("category", "a" * 33),
                        ("category", "--")):
        r = c.page(path, **{name: value})
        problem_names(r, 400, [name], "%s=%r" % (name, value))


# ---- the period report ----

def test_quarter_report(ctx):
    q = build_quarter(ctx)
    node, c, b = q.node, q.c, q.books
    tok = c.viewer

    def compare(got_assets, frm, to, what):
        assert_equal(normalise_assets(got_assets, c.decimals, what),
                     b.expected_assets(frm, to), what)

    # The whole quarter, three ways of writing it.
    for frm, to in ((date_text(q.q_from), date_text(q.q_to)),
                    (ts(q.q_from), ts(q.q_to)),
                    (str(q.q_from), str(q.q_to))):
        rep = report_ok(node, "dao", tok, **{"from": frm, "to": to})
        assert_equal((time_value(rep["from"]), time_value(rep["to"])),
                     (q.q_from, q.q_to), "report bounds")
        compare(rep["assets"], q.q_from, q.q_to, "quarter %s" % frm)
    exp = b.expected_assets(q.q_from, q.q_to)
    # Sanity of the fixture itself: both assets, an opening, the
    # corrected category and an uncategorised flow each way.
    assert_true(set(exp) == {"USDC", "ETH"} and
                exp["USDC"]["opening"] != "0.000000" and
                exp["USDC"]["uncategorised"]["inflow"] != "0.000000" and
                exp["ETH"]["uncategorised"]["outflow"] != fmt(0, 18),
                "fixture: %r" % exp)
    assert_equal(exp["USDC"]["opening"], "9300.000000", "fixture opening")
    assert_equal(exp["ETH"]["inflow"], "0.000000000000000001",
                 "one wei in the quarter")

    # By month: three rows, each its own month.
    rep = report_ok(node, "dao", tok, period="month", **{
        "from": date_text(q.q_from), "to": date_text(q.q_to)})
    assert_equal(rep["period"], "month", "period")
    assert_equal(len(rep["periods"]), 3, "three months")
    bounds = q.months + [q.q_to]
    for i, row in enumerate(rep["periods"]):
        assert_equal((time_value(row["from"]), time_value(row["to"])),
                     (bounds[i], bounds[i + 1]), "month %d bounds" % i)
        compare(row["assets"], bounds[i], bounds[i + 1], "month %d" % i)
    # Closings chain into the next openings.
    for i in range(2):
        a = {x["asset"]: x for x in rep["periods"][i]["assets"]}
        n = {x["asset"]: x for x in rep["periods"][i + 1]["assets"]}
        for asset in ("USDC", "ETH"):
            assert_equal(n[asset]["opening"], a[asset]["closing"],
                         "month %d closing = month %d opening" % (i, i + 1))
    rep = report_ok(node, "dao", tok, period="quarter", **{
        "from": date_text(q.q_from), "to": date_text(q.q_to)})
    assert_equal(len(rep["periods"]), 1, "one quarter")
    compare(rep["periods"][0]["assets"], q.q_from, q.q_to, "period=quarter")

    # A range not aligned to days: one second after the month 1 deposit
    # to exactly the first entry of month 3 (partial first and last days).
    t0 = b.entries[q.m1_deposit]["t"] + 1
    t1 = b.entries[q.m3_first]["t"]
    rep = report_ok(node, "dao", tok, **{"from": str(t0), "to": ts(t1)})
    compare(rep["assets"], t0, t1, "unaligned range")
    exp = b.expected_assets(t0, t1)
    assert_true("sales" not in exp["USDC"]["categories"],
                "the month 1 deposit is outside: %r" % exp)
    # Within one day (the quarter's last): [20:00, 22:00).
    t0, t1 = q.q_to - 4 * HOUR_S, q.q_to - 2 * HOUR_S
    rep = report_ok(node, "dao", tok, **{"from": ts(t0), "to": str(t1)})
    compare(rep["assets"], t0, t1, "inside one day")
    # From the epoch: opening zero. `to` defaults to now.
    rep = report_ok(node, "dao", tok, **{"from": "1970-01-01",
                                         "to": date_text(q.q_to)})
    compare(rep["assets"], 0, q.q_to, "since 1970")
    rep = report_ok(node, "dao", tok, **{"from": date_text(q.q_from)})
    to = time_value(rep["to"])
    assert_true(abs(to - b.now) <= 60, "to defaults to now: %r" % rep["to"])
    compare(rep["assets"], q.q_from, to, "to = now")

    # Refusals.
    path = PREFIX + "dao/report"
    for params, name in (({"to": date_text(q.q_to)}, "from"),
                         ({"from": date_text(q.q_to),
                           "to": date_text(q.q_from)}, "to"),
                         ({"from": str(q.q_from), "to": str(q.q_from)}, "to"),
                         ({"from": "2027-13-01"}, "from"),
                         ({"from": str(q.q_from), "to": "soon"}, "to"),
                         ({"from": str(q.q_from), "period": "week"},
                          "period")):
        r = node.get(path + "?" + urllib.parse.urlencode(params), token=tok)
        problem_names(r, 400, [name], "report %r" % params)
    r = node.get(path + "?" + urllib.parse.urlencode(
        {"from": "1990-01-01", "to": date_text(q.q_to), "period": "month"}),
        token=tok)
    assert_true(400 <= r.status < 500, "more than 240 periods: %r" % r)
    assert_equal(node.get(PREFIX + "nope/report?from=2027-01-01",
                          token=tok).status, 404, "unknown treasury")


def test_report_sums_beyond_128_bits(ctx):
    """Inflow over a period may exceed 2^128 - 1 minor units: printed
    exactly (amount_wide)."""
    node, c = setup(ctx, extra_args=CLOCK)
    c.asset_ok("BIG", 0)
    c.asset_ok("WEI", 18)
    sigs = sg.signers("big", "e")
    c.treasury_ok("dao", 1, sigs)
    b = Books(node, c, "dao", sigs, advance(node, 1))
    b.category("sales", "income")
    b.category("out", "expense")
    top = 2 ** 128 - 1
    start = b.now
    for asset, d in (("BIG", 0), ("WEI", 18)):
        text = sg.minor_text(top, d)
        b.deposit(asset, text, asset + "-1", "sales")
        b.tick()
        b.spend([(asset, text, "sink", "out")])
        b.tick()
        b.deposit(asset, text, asset + "-2", "sales")
        b.tick()
    rep = report_ok(node, "dao", c.viewer, **{"from": str(start - 1),
                                              "to": str(b.now + 1)})
    got = normalise_assets(rep["assets"], c.decimals, "wide sums")
    assert_equal(got, b.expected_assets(start - 1, b.now + 1), "wide sums")
    assert_equal(got["BIG"]["inflow"], str(2 * top), "2 x (2^128 - 1)")
    assert_equal(got["BIG"]["categories"]["sales"]["inflow"], str(2 * top),
                 "a category's inflow too")
    assert_equal(got["WEI"]["inflow"], sg.minor_text(2 * top, 18), "WEI")


# ---- runway ----

def test_runway(ctx):
    q = build_quarter(ctx)
    node, c, b = q.node, q.c, q.books
    c.treasury_ok("idle", 1, sg.signers("idle", "e"))
    c.deposit_ok("idle", "USDC", "5", "idle-1")
    b.tick(3600)
    r = node.get(PREFIX + "dao/runway", token=c.viewer)
    assert_equal(r.status, 200, "runway: %r" % r)
    at = time_value(r.json["at"])
    assert_true(abs(at - b.now) <= 60, "at is now: %r" % r.json["at"])
    got = {a["asset"]: {k: a[k] for k in ("balance", "outflow_30d",
                                          "outflow_90d", "runway_months")}
           for a in r.json["assets"]}
    want = b.expected_runway(at)
    assert_equal(got, want, "runway")
    # The fixture makes the windows differ and the quotients non-trivial.
    assert_true(want["USDC"]["outflow_30d"] != want["USDC"]["outflow_90d"],
                "fixture: 30 d and 90 d differ: %r" % want)
    assert_equal(got["USDC"]["balance"], c.balance("dao", "USDC"),
                 "runway balance = the balance")
    for asset, a in got.items():
        assert_true(a["runway_months"] is None or
                    re.fullmatch(r"[0-9]+\.[0-9]{2}", a["runway_months"]),
                    "two fraction digits: %r" % a)
    # Nothing went out: null.
    r = node.get(PREFIX + "idle/runway", token=c.viewer)
    assert_equal(r.status, 200, "idle runway: %r" % r)
    (a,) = r.json["assets"]
    assert_equal((a["asset"], a["balance"], a["outflow_30d"],
                  a["outflow_90d"]), ("USDC", "5.000000", "0.000000",
                                      "0.000000"), "idle figures")
    assert_true("runway_months" in a and a["runway_months"] is None,
                "null when nothing went out: %r" % a)
    # 91 days later everything is outside the windows: null too.
    b.tick(91 * DAY_S)
    r = node.get(PREFIX + "dao/runway", token=c.viewer)
    at = time_value(r.json["at"])
    got = {a["asset"]: a["runway_months"] for a in r.json["assets"]}
    assert_equal(got, {k: v["runway_months"] for k, v in
                       b.expected_runway(at).items()}, "91 days later")
    assert_equal(set(got.values()), {None}, "all null")
    assert_equal(node.get(PREFIX + "nope/runway", token=c.viewer).status,
                 404, "unknown treasury")


def value_e18(minor, decimals, price):
    """floor(minor / 10^decimals * price) in 10^-18 of the unit, from the
    price's decimal text, with Python's integers."""
    whole, _, frac = price.partition(".")
    p18 = int(whole + frac.ljust(18, "0"))
    return minor * p18 // 10 ** decimals


def value_text(v18):
    t = "%d.%018d" % divmod(v18, 10 ** 18)
    return t.rstrip("0").rstrip(".")


def test_runway_in_a_unit(ctx):
    """runway?unit=USD: each asset's latest price on or before today
    (never a later one, never another unit's), its values, and the priced
    assets' total runway; an asset without a price is listed, not guessed."""
    q = build_quarter(ctx)
    node, c, b = q.node, q.c, q.books
    b.tick(3600)
    r = node.get(PREFIX + "dao/runway", token=c.viewer)
    at = time_value(r.json["at"])
    day = lambda d: time.strftime("%Y-%m-%d", time.gmtime(at + d * DAY_S))
    prices = [("USDC", "USD", day(-40), "1.01"),
              ("USDC", "USD", day(-3), "0.998"),   # the one used
              ("USDC", "USD", day(2), "5"),        # later than today
              ("ETH", "EUR", day(-1), "2500.5")]   # another unit
    for asset, unit, date, price in prices:
        assert_equal(node.post("/v1/prices", {"asset": asset, "unit": unit,
                                              "date": date, "price": price},
                               token=c.treasurer).status, 201, "price")
    r = node.get(PREFIX + "dao/runway?unit=USD", token=c.viewer)
    assert_equal(r.status, 200, "runway in USD: %r" % r)
    want = b.expected_runway(at)
    got = {a["asset"]: a for a in r.json["assets"]}
    assert_equal(set(got), set(want), "assets")
    bal_m, o30_m, o90_m = {}, {}, {}
    for e in b.entries:
        a = e["asset"]
        sign = 1 if e["kind"] == "deposit" else -1
        bal_m[a] = bal_m.get(a, 0) + sign * e["minor"]
        if e["kind"] != "deposit":
            if at - 30 * DAY_S <= e["t"]:
                o30_m[a] = o30_m.get(a, 0) + e["minor"]
            if at - 90 * DAY_S <= e["t"]:
                o90_m[a] = o90_m.get(a, 0) + e["minor"]
    d = c.decimals["USDC"]
    u = got["USDC"]
    assert_equal(u["price"], {"unit": "USD", "date": day(-3),
                              "price": "0.998"}, "the latest price by today")
    vals = [value_e18(m.get("USDC", 0), d, "0.998")
            for m in (bal_m, o30_m, o90_m)]
    assert_equal(u["value"], {"balance": value_text(vals[0]),
                              "outflow_30d": value_text(vals[1]),
                              "outflow_90d": value_text(vals[2])},
                 "USDC in USD")
    assert_equal((got["ETH"]["price"], got["ETH"]["value"]), (None, None),
                 "ETH has no USD price: none guessed")
    for k in ("balance", "outflow_30d", "outflow_90d", "runway_months"):
        assert_equal(got["USDC"][k], want["USDC"][k], "unchanged " + k)
    t = r.json["total"]
    months = vals[0] * 300 // vals[2] if vals[2] else None
    assert_equal(t, {"unit": "USD", "balance": value_text(vals[0]),
                     "outflow_30d": value_text(vals[1]),
                     "outflow_90d": value_text(vals[2]),
                     "runway_months": None if months is None else
                     "%d.%02d" % divmod(months, 100),
                     "priced": ["USDC"], "unpriced": ["ETH"]}, "total")
    assert_true(vals[2] > 0, "fixture: USDC went out in 90 days")
    # CSV: the same values in their columns, exactly
    r = node.get(PREFIX + "dao/runway?unit=USD&format=csv", token=c.viewer)
    assert_equal(r.status, 200, "runway CSV: %r" % r)
    rows = list(csv.DictReader(io.StringIO(r.body)))
    by = {x["asset"]: x for x in rows}
    assert_equal((by["USDC"]["unit"], by["USDC"]["price_date"],
                  by["USDC"]["price"], by["USDC"]["balance_value"],
                  by["USDC"]["outflow_90d_value"]),
                 ("USD", day(-3), "0.998", value_text(vals[0]),
                  value_text(vals[2])), "CSV USDC")
    assert_equal((by["ETH"]["price"], by["ETH"]["balance_value"]), ("", ""),
                 "CSV ETH unpriced")
    # a bad unit is a 400 naming it; no unit: no price members at all
    r = node.get(PREFIX + "dao/runway?unit=U%20S", token=c.viewer)
    assert_problem(r, 400, "invalid-query")
    assert_true("unit" in r.json["detail"], "names unit: %r" % r.json)
    r = node.get(PREFIX + "dao/runway", token=c.viewer)
    assert_true("total" not in r.json and
                all("price" not in a for a in r.json["assets"]),
                "without a unit: the plain runway")


def exact_value_text(minor, decimals, price, scale_to=None):
    """minor units of an asset at a price, exactly, as the shortest decimal
    (Python integers: 10^-(decimals + 18) of the unit, or 10^-36 when
    scale_to is 36)."""
    whole, _, frac = price.partition(".")
    v = minor * int(whole + frac.ljust(18, "0"))
    scale = decimals + 18
    if scale_to is not None:
        v *= 10 ** (scale_to - scale)
        scale = scale_to
    t = "%d.%0*d" % (v // 10 ** scale, scale, v % 10 ** scale)
    return t.rstrip("0").rstrip(".")


def test_report_in_a_unit(ctx):
    """report?unit=USD values each asset's opening, inflow, outflow and
    closing at its latest price on or before the range's last day, exactly
    (opening + inflow - outflow = closing holds in the unit too), and adds
    the priced assets; per period with period=month; CSV columns."""
    q = build_quarter(ctx)
    node, c, b = q.node, q.c, q.books
    day = lambda t: time.strftime("%Y-%m-%d", time.gmtime(t))
    last = q.q_to - DAY_S                  # the quarter's last day
    prices = [("USDC", "USD", day(q.q_from - 5 * DAY_S), "1.02"),
              ("USDC", "USD", day(last), "0.999999"),   # the one used
              ("USDC", "USD", day(q.q_to), "7"),        # after the range
              ("ETH", "USD", day(q.q_from + 10 * DAY_S), "3120.123456789012345678"),
              ("ETH", "EUR", day(last), "1")]           # another unit
    for asset, unit, date, price in prices:
        r = node.post("/v1/prices", {"asset": asset, "unit": unit,
                                     "date": date, "price": price},
                      token=c.treasurer)
        assert_equal(r.status, 201, "price %s %s: %r" % (asset, date, r))
    used = {"USDC": (day(last), "0.999999"),
            "ETH": (day(q.q_from + 10 * DAY_S), "3120.123456789012345678")}
    rep = report_ok(node, "dao", c.viewer, unit="USD",
                    **{"from": str(q.q_from), "to": str(q.q_to)})
    exp = b.expected_assets(q.q_from, q.q_to)
    minor = lambda text, d: sg.amount_minor(text, d)
    totals = {k: 0 for k in ("opening", "inflow", "outflow", "closing")}
    for a in rep["assets"]:
        asset, d = a["asset"], c.decimals[a["asset"]]
        date, price = used[asset]
        assert_equal(a["price"], {"unit": "USD", "date": date,
                                  "price": price}, "%s price" % asset)
        want = {k: exact_value_text(minor(exp[asset][k], d), d, price)
                for k in totals}
        assert_equal(a["value"], want, "%s values" % asset)
        for k in totals:
            whole, _, frac = price.partition(".")
            totals[k] += (minor(exp[asset][k], d) *
                          int(whole + frac.ljust(18, "0")) *
                          10 ** (18 - d))
    text36 = lambda v: ("%d.%036d" % divmod(v, 10 ** 36)).rstrip("0").rstrip(".")
    assert_equal(rep["total"], {
        "unit": "USD", "priced": ["ETH", "USDC"], "unpriced": [],
        **{k: text36(v) for k, v in totals.items()}}, "total")
    assert_equal(totals["opening"] + totals["inflow"] - totals["outflow"],
                 totals["closing"], "exact in the unit too")
    # The per-asset figures are the plain report's.
    plain = report_ok(node, "dao", c.viewer,
                      **{"from": str(q.q_from), "to": str(q.q_to)})
    strip = lambda xs: [{k: v for k, v in x.items()
                         if k not in ("price", "value")} for x in xs]
    assert_equal(strip(rep["assets"]), plain["assets"], "same figures")
    # By month: the first month is valued at the prices on or before its
    # own last day: USDC at 1.02 (set before the quarter; 0.999999 comes
    # later), ETH at the price of the quarter's day 10.
    rep = report_ok(node, "dao", c.viewer, unit="USD", period="month",
                    **{"from": str(q.q_from), "to": str(q.q_to)})
    first = rep["periods"][0]
    got = {a["asset"]: a["price"] for a in first["assets"]}
    assert_equal(got["USDC"]["price"], "1.02", "month 1 USDC price")
    assert_equal(got["ETH"]["price"], "3120.123456789012345678",
                 "month 1 ETH price")
    assert_true("total" in first, "a total per period")
    # A unit without any price: every asset unpriced, nothing guessed.
    rep = report_ok(node, "dao", c.viewer, unit="CHF",
                    **{"from": str(q.q_from), "to": str(q.q_to)})
    assert_equal([(a["price"], a["value"]) for a in rep["assets"]],
                 [(None, None)] * len(rep["assets"]), "no CHF price")
    assert_equal((rep["total"]["priced"], rep["total"]["closing"]),
                 ([], "0"), "nothing priced")
    # CSV: the value columns on the opening, total and closing lines.
    r = node.get(PREFIX + "dao/report?unit=USD&format=csv&from=%d&to=%d"
                 % (q.q_from, q.q_to), token=c.viewer)
    assert_equal(r.status, 200, "report CSV: %r" % r)
    rows = list(csv.DictReader(io.StringIO(r.body)))
    closing = [x for x in rows if x["asset"] == "USDC" and
               x["line"] == "closing"]
    d = c.decimals["USDC"]
    assert_equal((closing[0]["unit"], closing[0]["price_date"],
                  closing[0]["price"], closing[0]["amount_value"]),
                 ("USD", day(last), "0.999999",
                  exact_value_text(minor(exp["USDC"]["closing"], d), d,
                                   "0.999999")), "CSV closing value")


def test_runway_rounds_down(ctx):
    """balance 100, outflow_90d 3 x 7 = 21: 100 / 7 = 14.2857... -> 14.28
    (never 14.29); an exact 3.00 and 1.00; 0.5 / (120.5 / 3) = 0.01244...
    -> 0.01."""
    node, c = setup(ctx, extra_args=CLOCK)
    c.asset_ok("USDC", 6)
    c.asset_ok("EUR", 2)
    sigs = sg.signers("rw", "e")
    c.treasury_ok("dao", 1, sigs)
    b = Books(node, c, "dao", sigs, advance(node, 1))
    b.deposit("USDC", "121", "u")
    b.deposit("EUR", "4", "e")
    for _ in range(3):
        b.tick(DAY_S)
        b.spend([("USDC", "7", "x", None)])
    b.tick(DAY_S)
    b.spend([("EUR", "2", "x", None)])      # balance 2, 3 months' worth = 6
    b.tick(60)
    r = node.get(PREFIX + "dao/runway", token=c.viewer)
    got = {a["asset"]: a["runway_months"] for a in r.json["assets"]}
    assert_equal(got, {"USDC": "14.28", "EUR": "3.00"}, "rounded down")
    b.spend([("EUR", "1", "x", None)])      # balance 1 over 3 / 3 = 1 -> 1.00
    b.spend([("USDC", "99.5", "x", None)])  # 0.5 / (120.5 / 3) = 0.0124..
    b.tick(60)
    r = node.get(PREFIX + "dao/runway", token=c.viewer)
    got = {a["asset"]: a["runway_months"] for a in r.json["assets"]}
    assert_equal(got, {"USDC": "0.01", "EUR": "1.00"}, "rounded down again")
    assert_equal(got, {k: v["runway_months"] for k, v in
                       b.expected_runway(time_value(r.json["at"])).items()},
                 "= the test's computation")


# ---- budgets ----

def budgets_by_key(resp):
    assert_equal(resp.status, 200, "budgets: %r" % resp)
    out = {}
    for x in resp.json["budgets"]:
        k = (x["category"], x["period"])
        assert_true(k not in out, "budget %r listed once" % (k,))
        out[k] = {"asset": x["asset"], "amount": x["amount"],
                  "period_from": time_value(x["period_from"]),
                  "period_to": time_value(x["period_to"]),
                  "spent": x["spent"], "committed": x["committed"],
                  "remaining": x["remaining"],
                  "alerts": sorted(int(v) for v in x["alerts"])}
    return out


def alert_payloads(node, tid):
    out = []
    for e in journal_entries(node, "budget.alert", tid):
        p = dict(e["payload"])
        p["period_from"] = time_value(p["period_from"])
        p["period_to"] = time_value(p["period_to"])
        p["level"] = int(p["level"])
        out.append(p)
    return out


def test_budgets_spent_committed_remaining(ctx):
    q = build_quarter(ctx)
    node, c, b = q.node, q.c, q.books
    path = PREFIX + "dao/budgets"
    b.budget("payroll", "month", "USDC", "1500")     # 1300 spent: 80 fires
    b.budget("infra", "quarter", "USDC", "1000")
    b.budget("grants", "month", "ETH", "2")
    b.budget("payroll", "quarter", "USDC", "5000")
    now = b.tick(60)
    got = budgets_by_key(node.get(path, token=c.viewer))
    want = b.expected_budgets(now)
    assert_equal(got, want, "budgets")
    assert_equal(got[("payroll", "month")]["remaining"], "-300.000000",
                 "may be negative: 1500 - 1300 - (400 + 100)")
    assert_equal(got[("payroll", "month")]["committed"], "500.000000",
                 "pending + approved")
    assert_equal(got[("payroll", "month")]["alerts"], [80], "80 fired")
    assert_equal(alert_payloads(node, "dao"), b.alerts, "alert journal")
    # Replaced: 200, a budget.set each time.
    b.budget("infra", "quarter", "USDC", "40", want=200)   # committed 50 only
    b.tick(60)
    # Executing the approved batch moves 100 + 50 from committed to spent.
    b.execute(q.approved["id"])
    # Cancelling the pending one removes it from committed.
    r = c.cancel(q.pending["id"])
    assert_equal(r.status, 200, "cancel: %r" % r)
    del b.open[q.pending["id"]]
    now = b.tick(60)
    got = budgets_by_key(node.get(path, token=c.viewer))
    assert_equal(got, b.expected_budgets(now), "after execute and cancel")
    assert_equal(got[("infra", "quarter")]["alerts"], [80, 100],
                 "50 of 40 spent")
    assert_equal(alert_payloads(node, "dao"), b.alerts, "alert journal")
    sets = journal_entries(node, "budget.set", "dao")
    assert_equal(len(sets), 5, "one budget.set per POST")
    # Refusals.
    for body, what in (
            ({"category": "sales", "period": "month", "asset": "USDC",
              "amount": "1"}, "income category"),
            ({"category": "nosuch", "period": "month", "asset": "USDC",
              "amount": "1"}, "unknown category"),
            ({"category": "payroll", "period": "week", "asset": "USDC",
              "amount": "1"}, "period"),
            ({"category": "payroll", "period": "month", "asset": "NOPE",
              "amount": "1"}, "unknown asset"),
            ({"category": "payroll", "period": "month", "asset": "USDC",
              "amount": "1.1234567"}, "7 decimals"),
            ({"category": "payroll", "period": "month", "asset": "USDC",
              "amount": "-1"}, "negative"),
            ({"category": "payroll", "period": "month", "asset": "USDC",
              "amount": 1}, "amount as a number")):
        r = node.post(path, body, token=c.treasurer)
        assert_4xx_status(r, (400, 409, 422), what)
    for tok in (c.viewer, c.signer_token):
        r = node.post(path, {"category": "payroll", "period": "month",
                             "asset": "USDC", "amount": "1"}, token=tok)
        assert_equal(r.status, 403, "role: %r" % r)
    assert_equal(len(journal_entries(node, "budget.set", "dao")), 5,
                 "no budget.set for a refusal")
    assert_equal(budgets_by_key(node.get(path, token=c.viewer)), got,
                 "nothing changed")


def test_budget_alerts_once_per_period(ctx):
    node, c = setup(ctx, extra_args=CLOCK)
    c.asset_ok("USDC", 6)
    c.asset_ok("ETH", 18)
    sigs = sg.signers("al", "e")
    c.treasury_ok("dao", 1, sigs)
    b = Books(node, c, "dao", sigs, advance(node, 1))
    for name in ("payroll", "grants", "infra", "ops"):
        b.category(name, "expense")
    # The 10th of the next month, so that every act below stays in it.
    g = time.gmtime(b.now + DAY_S)
    y, m = next_month(g.tm_year, g.tm_mon)
    b.goto(utc(y, m, 10, 9))
    b.deposit("USDC", "100000", "fund")
    b.deposit("ETH", "10", "fund-eth")
    start = len(journal_entries(node))

    def fired():
        return [(p["category"], p["level"]) for p in
                alert_payloads(node, "dao")]

    b.budget("payroll", "month", "USDC", "1000")
    b.spend([("USDC", "500", "x", "payroll")])
    assert_equal(fired(), [], "50%: nothing")
    b.spend([("ETH", "5", "x", "payroll")])
    assert_equal(fired(), [], "another asset does not count")
    b.spend([("USDC", "300", "x", "payroll")])
    assert_equal(fired(), [("payroll", 80)], "exactly 80%: fires")
    b.spend([("USDC", "100", "x", "payroll")])
    b.spend([("USDC", "99.999999", "x", "payroll")])
    assert_equal(fired(), [("payroll", 80)], "90%, 99.9999999%: once only")
    b.spend([("USDC", "0.000001", "x", "payroll")])
    assert_equal(fired(), [("payroll", 80), ("payroll", 100)],
                 "exactly 100%: fires")
    b.spend([("USDC", "50", "x", "payroll")])
    b.budget("payroll", "month", "USDC", "1000", want=200)
    assert_equal(len(fired()), 2, "beyond, and the same budget again: "
                 "nothing new")

    # One spend crossing both: 80 then 100, two entries. Budgets warn,
    # they never block.
    b.budget("grants", "month", "USDC", "100")
    b.spend([("USDC", "150", "x", "grants")])
    assert_equal(fired()[2:], [("grants", 80), ("grants", 100)],
                 "one spend crossing both")
    # A batch's items count each.
    b.budget("ops", "quarter", "USDC", "10")
    b.spend([("USDC", "4", "x", "ops"), ("USDC", "4", "y", "ops"),
             ("USDC", "1", "z", "payroll")])
    assert_equal(fired()[4:], [("ops", 80)], "batch: 8 of 10")
    # Pending proposals are committed, not spent: no alert.
    pending = b.propose([("USDC", "1000", "x", "ops")])
    assert_equal(len(fired()), 5, "a pending proposal fires nothing")
    # A budget set below what was spent fires at the set.
    b.spend([("USDC", "90", "x", "infra")])
    b.budget("infra", "month", "USDC", "100")
    assert_equal(fired()[5:], [("infra", 80)], "set over 80% spent")
    # A category change that moves a spend into the category fires.
    b.spend([("USDC", "20", "x", None)])
    b.recategorise(len(b.entries) - 1, "infra")
    assert_equal(fired()[6:], [("infra", 100)], "a correction fires")
    # Lowering the amount fires nothing already fired.
    b.budget("infra", "month", "USDC", "50", want=200)
    assert_equal(len(fired()), 7, "no repeat on a lower amount")
    # Raising it above what was spent, then crossing again in the same
    # period: still once.
    b.budget("infra", "month", "USDC", "1000", want=200)
    b.spend([("USDC", "800", "x", "infra")])
    assert_equal(len(fired()), 7, "once per period, whatever the amount")

    assert_equal(alert_payloads(node, "dao"), b.alerts,
                 "every alert's payload and order")
    for e in journal_entries(node, "budget.alert", "dao"):
        assert_equal(e["actor"]["signer"], None, "no signer on an alert")
    now = b.tick(60)
    got = budgets_by_key(node.get(PREFIX + "dao/budgets", token=c.viewer))
    assert_equal(got, b.expected_budgets(now), "budgets in the first month")
    assert_equal(got[("payroll", "month")]["alerts"], [80, 100], "alerts")

    # The next month: a new period, the month budgets fire again; the
    # quarter budget fires again only if the quarter changed too.
    first_period = period_bounds(now, "month")[0]
    assert_equal(c.cancel(pending["id"]).status, 200, "cancel (it would "
                 "expire in the next month)")
    del b.open[pending["id"]]
    y, m = next_month(y, m)
    b.goto(utc(y, m, 5, 9))
    now = b.tick(60)
    got = budgets_by_key(node.get(PREFIX + "dao/budgets", token=c.viewer))
    assert_equal(got[("payroll", "month")]["spent"], "0.000000",
                 "a new month starts at zero")
    assert_equal(got[("payroll", "month")]["alerts"], [], "none yet")
    before = len(b.alerts)
    b.spend([("USDC", "800", "x", "payroll")])
    b.spend([("USDC", "2", "x", "ops")])
    new = alert_payloads(node, "dao")[before:]
    assert_equal(new, b.alerts[before:], "the new period's alerts")
    assert_equal(new[0]["category"], "payroll", "payroll again")
    assert_equal(new[0]["level"], 80, "at 80")
    assert_true(new[0]["period_from"] > first_period, "a later period")
    assert_equal(new[0]["period_from"], period_bounds(now, "month")[0],
                 "period_from is this month")
    assert_equal(alert_payloads(node, "dao"), b.alerts, "all alerts")
    got = budgets_by_key(node.get(PREFIX + "dao/budgets", token=c.viewer))
    assert_equal(got, b.expected_budgets(b.tick(60)), "budgets, month 2")
    kinds = [e["type"] for e in journal_entries(node)[start:]]
    # seven sets, one of them the payroll budget set again unchanged: no
    # state change, so no journal entry (docs/api.md, budget.set)
    assert_equal(kinds.count("budget.set"), 6, "budget.set entries")


# ---- CSV ----

HOSTILE = (
    ('He said "hi", then left', None),
    ('=HYPERLINK("http://evil.example","x")', '@SUM(1,2)'),
    ("+1 555 0100", "-2,3"),
    ("caf\u00e9; tab-free, quote\" end", '"quoted"'),
    ("@calc", "=1+1"),
)


def test_csv_ledger(ctx):
    q = build_quarter(ctx)
    node, c, b = q.node, q.c, q.books
    b.category("odd", "income")
    # Memos and sources that a spreadsheet would misread. CR and LF are
    # refused by the memo and source grammars, so no field can hold one.
    for i, (memo, source) in enumerate(HOSTILE):
        b.tick()
        b.deposit("USDC", "1.5", "hostile-%d" % i, "odd", source=source,
                  memo=memo)
    for bad in ("line\r\nbreak", "line\nbreak", "cr\rmemo"):
        r = c.deposit("dao", "USDC", "1", "crlf", memo=bad)
        assert_true(400 <= r.status < 500, "memo %r refused: %r" % (bad, r))
        r = c.deposit("dao", "USDC", "1", "crlf", source=bad)
        assert_true(400 <= r.status < 500, "source %r refused: %r" % (bad, r))
    entries = c.ledger("dao")
    path = PREFIX + "dao/ledger"
    by_accept = node.get(path, token=c.viewer,
                         headers={"Accept": "text/csv"})
    by_param = node.get(path + "?format=csv", token=c.viewer)
    assert_equal(by_accept.body, by_param.body, "Accept = format=csv")
    header, rows = parse_csv(by_param, "ledger CSV")
    for col in ("seq", "asset", "amount", "kind", "category", "memo"):
        assert_true(col in header, "column %s in %r" % (col, header))
    assert_equal(len(rows), len(entries), "one row per entry, all pages")
    common = [k for k in header if any(k in e for e in entries)]
    for row, e in zip(rows, entries):
        for k in common:
            assert_equal(row[k], neutralised(e.get(k)),
                         "entry %d column %s" % (e["seq"], k))
        d = c.decimals[e["asset"]]
        assert_equal(minor(row["amount"], d), minor(e["amount"], d),
                     "amount round trip")
    check_no_formula_fields(rows, "ledger CSV")
    # The quoting, on the wire.
    raw = by_param.body
    assert_true('"He said ""hi"", then left"' in raw, "quotes doubled")
    assert_true('"\'=HYPERLINK(""http://evil.example"",""x"")"' in raw,
                "a formula neutralised and quoted")
    assert_true("'@SUM(1,2)" in raw and '"\'@SUM(1,2)"' in raw,
                "source neutralised and quoted")
    assert_true('"\'-2,3"' in raw and "'+1 555 0100" in raw, "+ and -")
    got_memos = [r.get("memo") for r in rows]
    for memo, _ in HOSTILE:
        assert_true(neutralised(memo) in got_memos, "memo %r read back" % memo)
    # 18-decimal amounts beyond 2^64 minor units, exactly.
    eth = [r for r in rows if r["asset"] == "ETH"]
    assert_true(any(minor(r["amount"], 18) > 2 ** 64 for r in eth),
                "an ETH amount above 2^64 wei")
    assert_true(any(r["amount"] == "0.000000000000000001" for r in eth),
                "one wei")
    # With filters.
    for params in ({"category": "payroll"}, {"asset": "ETH"},
                   {"from": date_text(q.q_from), "to": date_text(q.q_to),
                    "kind": "transfer"}, {"category": "-"}):
        json_rows = ledger_filtered(c, "dao", **params)
        _, crows = parse_csv(node.get(path + "?" + urllib.parse.urlencode(
            dict(params, format="csv")), token=c.viewer), "CSV %r" % params)
        assert_equal([r["seq"] for r in crows],
                     [str(e["seq"]) for e in json_rows], "CSV %r" % params)
        assert_equal([r["amount"] for r in crows],
                     [e["amount"] for e in json_rows], "amounts %r" % params)
    # The other CSV lists parse too.
    for what, p in (("categories", PREFIX + "dao/categories?format=csv"),
                    ("proposals", PREFIX + "dao/proposals?format=csv"),
                    ("runway", PREFIX + "dao/runway?format=csv")):
        h, rs = parse_csv(node.get(p, token=c.viewer), what + " CSV")
        assert_true(len(rs) >= 1, "%s rows" % what)
    h, rs = parse_csv(node.get(PREFIX + "dao/categories?format=csv",
                               token=c.viewer), "categories CSV")
    assert_equal(sorted(r["name"] for r in rs),
                 sorted(INCOME + EXPENSE + ("odd",)), "categories CSV")


def report_amounts(rep):
    out = set()

    def walk(o):
        if isinstance(o, dict):
            for k, v in o.items():
                if k in ("opening", "inflow", "outflow", "closing", "amount",
                         "spent", "committed", "remaining", "balance",
                         "outflow_30d", "outflow_90d",
                         "runway_months") and \
                        isinstance(v, str):
                    out.add(v)
                else:
                    walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)
    walk(rep)
    return out


def check_amounts_round_trip(rows, json_body, what):
    """Every amount of the JSON is a field of the CSV, and every decimal
    field of the CSV is one of the JSON's amounts (the layout is open;
    exactness is not). A negative amount may carry the formula prefix
    (open point)."""
    want = report_amounts(json_body)
    fields = set(all_fields(rows))
    for a in want:
        ok = a in fields or (a.startswith("-") and "'" + a in fields)
        assert_true(ok, "%s: amount %s in the CSV" % (what, a))
    for f in csv_amount_fields(rows):
        assert_true(f.lstrip("'") in want, "%s: CSV amount %r is one of the "
                    "JSON's" % (what, f))
    return want


def test_csv_report_and_budgets(ctx):
    q = build_quarter(ctx)
    node, c, b = q.node, q.c, q.books
    b.budget("payroll", "month", "USDC", "1500")     # remaining -300
    b.budget("infra", "quarter", "ETH", "1")
    params = {"from": date_text(q.q_from), "to": date_text(q.q_to)}
    base = PREFIX + "dao/report?" + urllib.parse.urlencode(params)
    rep = report_ok(node, "dao", c.viewer, **params)
    r1 = node.get(base + "&format=csv", token=c.viewer)
    r2 = node.get(base, token=c.viewer, headers={"Accept": "text/csv"})
    assert_equal(r1.body, r2.body, "Accept = format=csv")
    header, rows = parse_csv(r1, "report CSV")
    amounts = check_amounts_round_trip(rows, rep, "report CSV")
    assert_true("0.000000000000000001" in amounts, "one wei in the report")
    fields = set(all_fields(rows))
    for name in ("USDC", "ETH", "payroll", "sales", "grants-in", "infra"):
        assert_true(name in fields, "report CSV names %s" % name)
    check_no_formula_fields(rows, "report CSV")
    # By month.
    rep = report_ok(node, "dao", c.viewer, period="month", **params)
    _, rows = parse_csv(node.get(base + "&period=month&format=csv",
                                 token=c.viewer), "monthly report CSV")
    check_amounts_round_trip(rows, rep, "monthly report CSV")
    assert_true(len(rows) >= 3, "rows for three months")
    # Budgets.
    path = PREFIX + "dao/budgets"
    bj = node.get(path, token=c.viewer).json
    _, rows = parse_csv(node.get(path + "?format=csv", token=c.viewer),
                        "budgets CSV")
    _, rows2 = parse_csv(node.get(path, token=c.viewer,
                                  headers={"Accept": "text/csv"}),
                         "budgets CSV by Accept")
    assert_equal(rows, rows2, "Accept = format=csv")
    assert_equal(len(rows), 2, "one row per budget")
    amounts = check_amounts_round_trip(rows, bj, "budgets CSV")
    assert_true("-300.000000" in amounts, "a negative remaining")
    check_no_formula_fields(rows, "budgets CSV", allow_negative_amounts=True)
    # Runway.
    rj = node.get(PREFIX + "dao/runway", token=c.viewer).json
    _, rows = parse_csv(node.get(PREFIX + "dao/runway?format=csv",
                                 token=c.viewer), "runway CSV")
    check_amounts_round_trip(rows, rj, "runway CSV")
    months = {a["runway_months"] for a in rj["assets"]} - {None}
    assert_true(months <= set(all_fields(rows)), "runway_months in the CSV")


def test_csv_large_export_streams(ctx):
    """3,009 ledger entries (one deposit, 47 batches of 64) stream
    complete, in order, exactly."""
    node, c = setup(ctx, extra_args=CLOCK)
    c.asset_ok("USDC", 6)
    sigs = sg.signers("big", "e")
    c.treasury_ok("dao", 1, sigs)
    b = Books(node, c, "dao", sigs, advance(node, 1))
    b.category("ops", "expense")
    c.deposit_ok("dao", "USDC", "1000000", "fund")
    total = 0
    for n in range(47):
        items = [{"asset": "USDC", "amount": "%d.%06d" % (n, i + 1),
                  "to": "payee-%d-%d" % (n, i), "memo": "", "category": "ops"}
                 for i in range(64)]
        total += sum(n * 10 ** 6 + i + 1 for i in range(64))
        r = c.propose("dao", {"kind": "batch", "transfers": items,
                              "expires_at": b.expires()})
        assert_equal(r.status, 201, "batch %d: %r" % (n, r))
        c.vote_ok(r.json["id"], sigs[0], want_status="approved")
        c.execute_ok(r.json["id"])
    entries = c.ledger("dao")
    assert_equal(len(entries), 1 + 47 * 64, "entries")
    r = node.get(PREFIX + "dao/ledger?format=csv", token=c.viewer)
    header, rows = parse_csv(r, "large CSV")
    assert_equal(len(rows), len(entries), "every entry streamed, none twice")
    assert_equal([row["seq"] for row in rows],
                 [str(e["seq"]) for e in entries], "in seq order")
    assert_equal([row["amount"] for row in rows],
                 [e["amount"] for e in entries], "amounts exact")
    out = sum(minor(row["amount"], 6) for row in rows
              if row["kind"] == "transfer")
    assert_equal(out, total, "the sum of the debits")
    _, rows = parse_csv(node.get(PREFIX + "dao/ledger?format=csv&category=ops",
                                 token=c.viewer), "large filtered CSV")
    assert_equal(len(rows), 47 * 64, "filtered export")


# ---- treasuryctl ----

def test_cli_report_and_unsigned_label(ctx):
    q = build_quarter(ctx)
    c, b = q.c, q.books
    ctl = Ctl(ctx, "http://127.0.0.1:%d" % q.node.port, c.treasurer)
    ctl.ok("trust", "show", "dao", "--yes")
    res = ctl.ok("report", "dao", "--from", date_text(q.q_from), "--to",
                 date_text(q.q_to))
    exp = b.expected_assets(q.q_from, q.q_to)
    for asset, a in exp.items():
        for k in ("opening", "inflow", "outflow", "closing"):
            assert_true(a[k] in res.out, "report table shows %s %s %s: %s"
                        % (asset, k, a[k], res.out))
        for name, cat in a["categories"].items():
            assert_true(name in res.out, "category %s shown" % name)
    assert_true("USDC" in res.out and "ETH" in res.out, "assets")
    res = ctl.ok("report", "dao", "--from", date_text(q.q_from), "--to",
                 date_text(q.q_to), "--period", "month")
    bounds = q.months + [q.q_to]
    for i in range(3):
        exp = b.expected_assets(bounds[i], bounds[i + 1])
        assert_true(exp["USDC"]["closing"] in res.out,
                    "month %d closing shown: %s" % (i, res.out))
    bad = ctl.run("report", "dao", "--from", date_text(q.q_to), "--to",
                  date_text(q.q_from))
    assert_true(bad.rc != 0, "to before from: %r" % bad)
    # The proposal's category is shown as an unsigned label.
    shown = ctl.ok("show", q.pending["id"]).out
    lines = [ln for ln in shown.splitlines() if "(unsigned label)" in ln]
    assert_true(len(lines) == 1 and "payroll" in lines[0],
                "category (unsigned label): payroll in %s" % shown)
    assert_true(re.search(r"category \(unsigned label\):\s+payroll",
                          lines[0]), "the documented form: %r" % lines[0])
    shown = ctl.ok("show", q.approved["id"]).out
    labels = [ln for ln in shown.splitlines() if "(unsigned label)" in ln]
    assert_true(any("payroll" in ln for ln in labels) and
                any("infra" in ln for ln in labels),
                "each batch item's label: %s" % shown)
