#!/usr/bin/python3
"""accounting.py: the Python half of bench/accounting.sh (issue #14's
performance goals). Three subcommands, each against a running treasuryd:

  setup   makes the assets USDC (6), EURC (6) and ETH (18), a 1-of-1
          treasury whose ECDSA signer's secret key is derived from a public
          label (benchmark use only), 3 income and 7 expense categories,
          all through the API; prints the secret key for bench_acct_fill.
  reads   times GET report (whole range, one quarter, period=month over the
          range) and GET runway, N times each after a warm-up, and in the
          same run the ceiling SELECT count(*) FROM ledger WHERE
          treasury_id = ? (Python sqlite3, read-only, same rows), N times.
  csv     streams GET ledger?format=csv to the end, reading in 16 KiB
          pieces with a short pause every 1 MiB, while a thread samples
          the daemon's VmRSS/VmHWM (/proc/PID/status) every 20 ms; checks
          the row count and that, per asset, deposits - transfers (exact
          integers of minor units) equal the balances table.

Prints "RESULT name value" lines on stdout, progress on stderr.
"""

import argparse
import calendar
import csv
import hashlib
import http.client
import io
import json
import sqlite3
import statistics
import sys
import threading
import time
import urllib.parse

N_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
ASSETS = (("USDC", 6), ("EURC", 6), ("ETH", 18))
INCOME = ("grants-in", "sales", "interest")
EXPENSE = ("payroll", "hosting", "legal", "travel", "grants-out",
           "marketing", "office")
SIGNER = "fin"


def log(msg):
    sys.stderr.write("accounting: %s\n" % msg)
    sys.stderr.flush()


def conn(url, timeout=120):
    u = urllib.parse.urlsplit(url)
    if u.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("accounting: loopback URLs only, not %s" % url)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)


def call(c, method, path, token, body=None):
    headers = {"Authorization": "Bearer " + token}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    c.request(method, path, body=data, headers=headers)
    r = c.getresponse()
    return r.status, r.read()


def expect(st, text, want, what):
    if st not in want:
        raise SystemExit("accounting: %s: HTTP %d: %s" % (what, st,
                                                          text[:300]))


def seckey():
    d = int.from_bytes(hashlib.sha256(b"treasuryd-bench-acct-signer")
                       .digest(), "big") % N_ORDER
    assert d != 0
    return d


def cmd_setup(a):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    admin = open(a.admin_token_file).read().strip()
    c = conn(a.url)
    for code, dec in ASSETS:
        st, t = call(c, "POST", "/v1/assets", admin,
                     {"code": code, "decimals": dec, "chain": "bench"})
        expect(st, t, (201,), "asset " + code)
    d = seckey()
    pub = ec.derive_private_key(d, ec.SECP256K1()).public_key().public_bytes(
        serialization.Encoding.X962,
        serialization.PublicFormat.CompressedPoint).hex()
    st, t = call(c, "POST", "/v1/treasuries", admin,
                 {"id": a.treasury, "name": "Accounting bench",
                  "threshold": 1, "signers": [
                      {"name": SIGNER, "key_type": "ecdsa", "pubkey": pub}]})
    expect(st, t, (201,), "treasury")
    for kind, names in (("income", INCOME), ("expense", EXPENSE)):
        for n in names:
            st, t = call(c, "POST", "/v1/treasuries/%s/categories"
                         % a.treasury, admin, {"name": n, "kind": kind})
            expect(st, t, (200, 201), "category " + n)
    print("RESULT signer %s" % SIGNER)
    print("RESULT seckey %064x" % d)


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def timed_get(c, path, token):
    t = time.perf_counter()
    st, body = call(c, "GET", path, token)
    dt = (time.perf_counter() - t) * 1e3
    if st != 200:
        raise SystemExit("accounting: GET %s: HTTP %d: %s" % (path, st,
                                                              body[:300]))
    return dt, body


def quarter_in(frm, to):
    """The last whole calendar quarter inside [frm, to) (UTC)."""
    t = time.gmtime(to)
    y, q = t.tm_year, (t.tm_mon - 1) // 3
    for _ in range(8):
        start = (y, 3 * q + 1)
        q -= 1
        if q < 0:
            y, q = y - 1, 3
        end_m = start[1] + 3
        end = (start[0] + (end_m > 12), (end_m - 1) % 12 + 1)
        s = calendar.timegm((start[0], start[1], 1, 0, 0, 0))
        e = calendar.timegm((end[0], end[1], 1, 0, 0, 0))
        if frm <= s and e <= to:
            return s, e
    return max(frm, to - 91 * 86400), to    # a short range: its last 91 days


def cmd_reads(a):
    tok = open(a.token_file).read().strip()
    c = conn(a.url)
    base = "/v1/treasuries/%s/" % a.treasury
    qf, qt = quarter_in(a.frm, a.to)
    cases = [
        ("report_all", "report?from=%d&to=%d" % (a.frm, a.to)),
        ("report_quarter", "report?from=%d&to=%d" % (qf, qt)),
        ("report_month", "report?from=%d&to=%d&period=month"
         % (a.frm, a.to)),
        ("runway", "runway"),
    ]
    db = sqlite3.connect("file:%s?mode=ro" % a.db, uri=True)
    sql = "SELECT count(*) FROM ledger WHERE treasury_id = ?"
    plan = " / ".join(r[-1] for r in db.execute("EXPLAIN QUERY PLAN " + sql,
                                                (a.treasury,)))
    count = None

    def ceiling(n):
        nonlocal count
        out = []
        for _ in range(n):
            t = time.perf_counter()
            count = db.execute(sql, (a.treasury,)).fetchone()[0]
            out.append((time.perf_counter() - t) * 1e3)
        return out

    # warm-up: every request twice, the count twice (page cache, statements)
    for _, p in cases:
        for _ in range(2):
            timed_get(c, base + p, tok)
    ceiling(2)
    # interleaved rounds, so that noise from the other users of the 2 cores
    # falls on every measure alike
    lat = {name: [] for name, _ in cases}
    lat["count"] = []
    for _ in range(a.n):
        lat["count"] += ceiling(1)
        for name, p in cases:
            lat[name].append(timed_get(c, base + p, tok)[0])
    _, body = timed_get(c, base + cases[2][1], tok)
    months = len(json.loads(body)["periods"])
    print("RESULT count_rows %d" % count)
    print("RESULT count_plan %s" % plan.replace(" ", "_"))
    print("RESULT quarter %s..%s" % (time.strftime("%Y-%m-%d", time.gmtime(qf)),
                                      time.strftime("%Y-%m-%d", time.gmtime(qt))))
    print("RESULT month_periods %d" % months)
    print("RESULT n %d" % a.n)
    for name in ["count"] + [n for n, _ in cases]:
        xs = lat[name]
        print("RESULT %s_p50_ms %.3f" % (name, statistics.median(xs)))
        print("RESULT %s_p95_ms %.3f" % (name, pct(xs, 95)))
        print("RESULT %s_min_ms %.3f" % (name, min(xs)))


def status_kib(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM"):
                out[k] = int(v.split()[0])
    return out


def minor(text, decimals):
    """Exact minor units of an amount text "123.450000" (never a float)."""
    whole, _, frac = text.partition(".")
    if len(frac) > decimals or not whole.isdigit() or \
            (frac and not frac.isdigit()):
        raise SystemExit("accounting: bad amount %r" % text)
    return int(whole) * 10 ** decimals + int(frac.ljust(decimals, "0") or 0)


def cmd_csv(a):
    tok = open(a.token_file).read().strip()
    decimals = dict(ASSETS)
    before = status_kib(a.pid)
    samples = []
    stop = threading.Event()

    def sampler():
        while not stop.is_set():
            try:
                samples.append(status_kib(a.pid))
            except OSError:
                return
            time.sleep(0.02)

    th = threading.Thread(target=sampler, daemon=True)
    th.start()
    c = conn(a.url, timeout=600)
    t0 = time.perf_counter()
    c.request("GET", "/v1/treasuries/%s/ledger?format=csv" % a.treasury,
              headers={"Authorization": "Bearer " + tok})
    r = c.getresponse()
    if r.status != 200:
        raise SystemExit("accounting: CSV: HTTP %d" % r.status)
    rows = 0
    nbytes = 0
    header = None
    sums = {}          # (asset, kind) -> minor units
    last_seq = 0
    pending = b""
    since_pause = 0
    while True:
        chunk = r.read(16384)
        if not chunk:
            break
        nbytes += len(chunk)
        since_pause += len(chunk)
        if since_pause >= 1 << 20:     # "slowly-ish": a pause every MiB
            since_pause = 0
            time.sleep(0.005)
        pending += chunk
        cut = pending.rfind(b"\r\n")
        if cut < 0:
            continue
        block, pending = pending[:cut + 2], pending[cut + 2:]
        for rec in csv.reader(io.StringIO(block.decode("utf-8"),
                                          newline="")):
            if header is None:
                header = rec
                continue
            rows += 1
            seq, kind, asset, amount = int(rec[0]), rec[2], rec[3], rec[4]
            if seq <= last_seq:
                raise SystemExit("accounting: CSV seq %d after %d"
                                 % (seq, last_seq))
            last_seq = seq
            k = (asset, kind)
            sums[k] = sums.get(k, 0) + minor(amount, decimals[asset])
    elapsed = time.perf_counter() - t0
    stop.set()
    th.join()
    after = status_kib(a.pid)
    if pending.strip():
        raise SystemExit("accounting: CSV ends in a partial row")
    db = sqlite3.connect("file:%s?mode=ro" % a.db, uri=True)
    bal = {asset: int(amount) for asset, amount in db.execute(
        "SELECT asset, amount FROM balances WHERE treasury_id = ?",
        (a.treasury,))}
    n_db = db.execute("SELECT count(*) FROM ledger WHERE treasury_id = ?",
                      (a.treasury,)).fetchone()[0]
    ok = True
    for asset, _ in ASSETS:
        net = sums.get((asset, "deposit"), 0) - sums.get((asset, "transfer"),
                                                          0)
        same = net == bal.get(asset, 0)
        ok = ok and same
        print("RESULT csv_net_%s %d" % (asset, net))
        print("RESULT db_balance_%s %d" % (asset, bal.get(asset, 0)))
    rss0 = before["VmRSS"]
    rss_max = max([s["VmRSS"] for s in samples] + [after["VmRSS"]])
    print("RESULT csv_header %s" % (",".join(header or [])))
    print("RESULT csv_rows %d" % rows)
    print("RESULT db_rows %d" % n_db)
    print("RESULT csv_bytes %d" % nbytes)
    print("RESULT csv_s %.3f" % elapsed)
    print("RESULT csv_rows_per_s %.0f" % (rows / elapsed))
    print("RESULT csv_balances_match %d" % ok)
    print("RESULT rss_before_kib %d" % rss0)
    print("RESULT rss_max_kib %d" % rss_max)
    print("RESULT rss_after_kib %d" % after["VmRSS"])
    print("RESULT rss_growth_kib %d" % (rss_max - rss0))
    print("RESULT hwm_before_kib %d" % before["VmHWM"])
    print("RESULT hwm_after_kib %d" % after["VmHWM"])
    print("RESULT rss_samples %d" % len(samples))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("setup")
    s.add_argument("--url", required=True)
    s.add_argument("--admin-token-file", required=True)
    s.add_argument("--treasury", required=True)
    s = sub.add_parser("reads")
    s.add_argument("--url", required=True)
    s.add_argument("--token-file", required=True)
    s.add_argument("--db", required=True)
    s.add_argument("--treasury", required=True)
    s.add_argument("--from", dest="frm", type=int, required=True)
    s.add_argument("--to", type=int, required=True)
    s.add_argument("-n", type=int, default=20)
    s = sub.add_parser("csv")
    s.add_argument("--url", required=True)
    s.add_argument("--token-file", required=True)
    s.add_argument("--db", required=True)
    s.add_argument("--treasury", required=True)
    s.add_argument("--pid", type=int, required=True)
    a = ap.parse_args()
    {"setup": cmd_setup, "reads": cmd_reads, "csv": cmd_csv}[a.cmd](a)


if __name__ == "__main__":
    main()
