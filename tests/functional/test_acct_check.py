"""treasuryd check and ledger_days (issue #14): the exact day sums are
recomputed from the ledger; a copy of a real daemon's database whose
ledger_days is edited with sqlite3 (a sum changed, a row removed, a row
added for a day without entries) is reported, the untouched copy is not."""

# run.py skips every test here on PostgreSQL, saying why.
SQLITE_ONLY = "treasuryd check reads an SQLite file and these tests tamper with it"


import sqlite3

import test_check_meaning as cm
from framework import assert_equal, assert_true


def day_rows(path):
    db = sqlite3.connect(path)
    try:
        return db.execute("SELECT treasury_id, asset, category, day, inflow,"
                          " outflow, entries FROM ledger_days"
                          " ORDER BY treasury_id, asset, category,"
                          " day").fetchall()
    finally:
        db.close()


def test_ledger_days_clean_copy(ctx):
    path, _ = cm.copy_of(ctx, "days-clean")
    rows = day_rows(path)
    assert_true(any(r[5] != "0" for r in rows) and
                any(r[4] != "0" for r in rows),
                "the life cycle has deposits and debits: %r" % rows)
    rc, n, out = cm.check(ctx, path)
    assert_equal((rc, n), (0, 0), "clean copy: %s" % out)
    assert_true("ledger_days" not in out, "no day finding")


def test_ledger_days_sum_edited(ctx):
    path, _ = cm.copy_of(ctx, "days-sum")
    t, a, cat, day, inflow, outflow, n = day_rows(path)[0]
    bumped = str(int(inflow) + 1)
    cm.edit(path, ("UPDATE ledger_days SET inflow = ? WHERE treasury_id = ?"
                   " AND asset = ? AND category = ? AND day = ?",
                   (bumped, t, a, cat, day)))
    cm.assert_found(ctx, path, r"ledger_days: treasury %s asset %s category"
                    r" '%s' day %d holds in %s out %s entries %d, the ledger"
                    r" gives in %s" % (t, a, cat, day, bumped, outflow, n,
                                       inflow))


def test_ledger_days_row_removed_or_added(ctx):
    path, _ = cm.copy_of(ctx, "days-rows")
    t, a, cat, day, inflow, outflow, n = day_rows(path)[-1]
    cm.edit(path, ("DELETE FROM ledger_days WHERE treasury_id = ? AND"
                   " asset = ? AND category = ? AND day = ?",
                   (t, a, cat, day)),
            ("INSERT INTO ledger_days VALUES (?, ?, '', 5, '7', '0', 1)",
             (t, a)))
    cm.assert_found(ctx, path,
                    r"ledger_days: no row for treasury %s asset %s category"
                    r" '%s' day %d" % (t, a, cat, day),
                    r"ledger_days: treasury %s asset %s category '' day 5"
                    r" has a row but no ledger entry" % (t, a))
