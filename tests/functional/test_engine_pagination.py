"""Paginated lists (docs/api.md "Pagination"): ledger entries and proposals page with
limit/cursor, next_cursor null on the last page, no duplicates or gaps,
limit > 500 and bad cursors refused with 400."""

import signers as sg
from framework import assert_equal, assert_problem, assert_true
from treasury_helpers import setup


def fill(c, deposits, proposals):
    c.asset_ok("USDC", 6)
    a = sg.signers("pg", "e")
    c.treasury_ok("pages", 1, a)
    c.treasury_ok("other", 1, sg.signers("pgo", "e"))
    refs = []
    for i in range(deposits):
        ref = "ref-%03d" % i
        c.deposit_ok("pages", "USDC", "%d.5" % (i + 1), ref)
        refs.append(ref)
        if i % 5 == 0:
            c.deposit_ok("other", "USDC", "1", ref)   # interleaved elsewhere
    ids = [c.transfer_ok("pages", "USDC", "1", to="d%d" % i)["id"]
           for i in range(proposals)]
    c.transfer_ok("other", "USDC", "1")
    return a, refs, ids


def check_pages(c, path, key, limit, want, ident, **params):
    items, pages = c.all_pages(path, key, limit=limit, **params)
    got = [ident(x) for x in items]
    assert_equal(len(got), len(set(got)), "no duplicates (limit %d)" % limit)
    assert_equal(got, want, "all items, in order, no gaps (limit %d)" % limit)
    want_pages = max(1, -(-len(want) // limit))
    assert_equal(pages, want_pages, "page count at limit %d" % limit)


def test_ledger_pages(ctx):
    node, c = setup(ctx)
    a, refs, ids = fill(c, 23, 0)
    path = "/v1/treasuries/pages/ledger"
    for limit in (1, 5, 7, 23, 500):
        check_pages(c, path, "entries", limit, refs, lambda e: e["reference"])
    # Exactly a multiple of the limit: the last full page says null.
    c.deposit_ok("pages", "USDC", "1", "ref-023")
    c.deposit_ok("pages", "USDC", "1", "ref-024")
    check_pages(c, path, "entries", 5, refs + ["ref-023", "ref-024"],
                lambda e: e["reference"])
    r = c.page(path)
    assert_equal(r.status, 200, "no limit: %r" % r)
    assert_equal(len(r.json["entries"]), 25, "default limit covers 25")
    assert_equal(r.json["next_cursor"], None, "single page")
    # A cursor taken before new entries still continues without gaps.
    r = c.page(path, limit=10)
    cursor = r.json["next_cursor"]
    c.deposit_ok("pages", "USDC", "1", "ref-late")
    rest = []
    while cursor is not None:
        r2 = c.page(path, limit=10, cursor=cursor)
        assert_equal(r2.status, 200, "page: %r" % r2)
        rest += [e["reference"] for e in r2.json["entries"]]
        cursor = r2.json["next_cursor"]
    assert_equal([e["reference"] for e in r.json["entries"]] + rest,
                 refs + ["ref-023", "ref-024", "ref-late"], "continued")


def test_proposal_pages_and_status_filter(ctx):
    node, c = setup(ctx)
    a, refs, ids = fill(c, 1, 12)
    path = "/v1/treasuries/pages/proposals"
    for limit in (1, 4, 5, 12, 500):
        check_pages(c, path, "proposals", limit, ids, lambda p: p["id"])
    for p in c.proposals("pages"):
        assert_equal(p["treasury"], "pages", "treasury of a listed proposal")
        assert_equal(p["status"], "pending", "status")
        assert_equal(sg.proposal_id(p["canonical"]).hex(), p["id"],
                     "listed canonical hashes to its id")
    for pid in ids[2:9:3]:          # cancel three: 2, 5, 8
        assert_equal(c.cancel(pid).status, 200, "cancel")
    c.vote_ok(ids[10], a[0], want_status="approved")
    cancelled = [ids[i] for i in (2, 5, 8)]
    pending = [ids[i] for i in range(12) if i not in (2, 5, 8, 10)]
    check_pages(c, path, "proposals", 2, cancelled,
                lambda p: p["id"], status="cancelled")
    check_pages(c, path, "proposals", 3, pending,
                lambda p: p["id"], status="pending")
    check_pages(c, path, "proposals", 3, [ids[10]],
                lambda p: p["id"], status="approved")
    check_pages(c, path, "proposals", 3, [],
                lambda p: p["id"], status="executed")
    r = c.page(path, status="bogus")
    assert_true(400 <= r.status < 500, "unknown status filter: %r" % r)


def test_bad_limit_and_cursor(ctx):
    node, c = setup(ctx)
    a, refs, ids = fill(c, 3, 3)
    for path in ("/v1/treasuries/pages/ledger",
                 "/v1/treasuries/pages/proposals"):
        assert_equal(c.page(path, limit=500).status, 200, "limit 500")
        for limit in ("501", "100000", "-1", "abc", "1.5", "99999999999999999999"):
            assert_problem(c.page(path, limit=limit), 400)
        for cursor in ("garbage", "!!", "x" * 300, "-1"):
            assert_problem(c.page(path, limit=1, cursor=cursor), 400)
        r = c.page(path, limit=1)
        good = r.json["next_cursor"]
        assert_true(good, "a cursor")
        assert_equal(c.page(path, limit=1, cursor=good).status, 200,
                     "a real cursor works")
        assert_problem(c.page(path, limit=1, cursor=good + "x"), 400)
    r = c.page("/v1/treasuries/nope/ledger")
    assert_true(400 <= r.status < 500 and r.json["type"].endswith(
        "unknown-treasury"), "ledger of unknown treasury: %r" % r)
    r = c.page("/v1/treasuries/nope/proposals")
    assert_true(400 <= r.status < 500 and r.json["type"].endswith(
        "unknown-treasury"), "proposals of unknown treasury: %r" % r)
