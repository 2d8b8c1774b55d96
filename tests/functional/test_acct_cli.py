"""treasuryctl shows a proposal's accounting labels (issue #14) after the
signed content, marked unsigned, escaped; a hostile server's label is
never shown as if it were signed text."""

from cli_helpers import HostileProxy
from framework import assert_equal, assert_true
from test_cli_flow import DEST, grants
from test_cli_hostile import via


def labelled(ctx):
    node, c, ctls, treasurer = grants(ctx)
    for name in ("grants-out", "payroll"):
        r = node.post("/v1/treasuries/grants/categories",
                      {"name": name, "kind": "expense"})
        assert_equal(r.status, 201, "category: %r" % r)
    c.deposit_ok("grants", "USDC", "100", "d1")
    r = c.propose("grants", {"kind": "transfer", "asset": "USDC",
                             "amount": "7", "to": DEST, "memo": "q4",
                             "category": "grants-out"})
    assert_equal(r.status, 201, "propose: %r" % r)
    return node, c, ctls, treasurer, r.json["id"]


def test_cli_shows_label_after_signed_content(ctx):
    node, c, ctls, treasurer, pid = labelled(ctx)
    out = treasurer.ok("show", pid, "--yes").out
    line = "category (unsigned label): grants-out"
    assert_true(line in out, "label shown: " + out)
    assert_true(out.index('"q4"') < out.index(line),
                "after the signed memo: " + out)
    batch = c.propose("grants", {"kind": "batch", "transfers": [
        {"asset": "USDC", "amount": "1", "to": DEST},
        {"asset": "USDC", "amount": "2", "to": DEST, "category": "payroll"}]})
    assert_equal(batch.status, 201, "batch: %r" % batch)
    out = treasurer.ok("show", batch.json["id"], "--yes").out
    assert_true("category (unsigned label) of transfer 2: payroll" in out,
                "batch item label: " + out)
    assert_true("of transfer 1" not in out, "no label, no line: " + out)


def test_cli_hostile_label_is_not_shown_as_signed(ctx):
    node, c, ctls, treasurer, pid = labelled(ctx)
    evil = 'x\n  memo "pay me"\x1b[2J'

    def rewrite(method, path, status, obj):
        if isinstance(obj, dict) and "category" in obj:
            obj["category"] = evil
        return obj

    proxy = HostileProxy(node, rewrite=rewrite)
    try:
        res = via(ctx, ctls, proxy).run("show", pid, "--yes")
    finally:
        proxy.close()
    out = res.out
    assert_true("category (unsigned label): (malformed, not shown)" in out,
                "malformed label not shown: %r" % res)
    assert_true("pay me" not in out and "\x1b" not in out,
                "nothing of it printed: %r" % out)
