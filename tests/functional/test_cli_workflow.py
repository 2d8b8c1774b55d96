"""The signer's whole workflow with treasuryctl alone: the
README walkthrough from nothing to an executed spend, set-policy and
unfreeze proposals (and a server that makes another policy), cancel,
settle, export -> sign-offline -> vote, proposal id prefixes, the address
book, and the admin commands. Setup goes through treasuryctl (and
`treasuryd token create`); HTTP is only used to check the daemon's state
afterwards."""

import json
import os
import stat

import signers as sg
from cli_helpers import (Ctl, PASSPHRASE, EXIT_USAGE, EXIT_REFUSED,
                         EXIT_VERIFY, EXIT_ERROR, HostileProxy)
from framework import assert_equal, assert_true

DEST = "0x742d35Cc6634C0532925a3b844Bc454e4438f44e"
NAMES = ("alice", "bob", "carol")


def url_of(node):
    return "http://127.0.0.1:%d" % node.port


def write(ctl, name, text, mode=0o600):
    path = os.path.join(ctl.home, name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    os.write(fd, text.encode())
    os.close(fd)
    return path


def proposed_id(res):
    return res.out.split("proposed: ")[1].split()[0]


class Team:
    """The README's cast: an admin, a signer+treasurer token shared by
    three signers (each with a keystore made by treasuryctl) and the
    treasurer, and a 2-of-3 treasury made with treasuryctl."""

    def __init__(self, ctx, key_types=("ecdsa", "schnorr", "ecdsa")):
        self.ctx = ctx
        self.node = ctx.start_node()
        url = url_of(self.node)
        self.admin = Ctl(ctx, url, self.node.admin_token, name="admin")
        team_tok = self.node.create_token("team", "signer,treasurer")
        self.ctls, self.pubs, exported = {}, [], ""
        for name, kt in zip(NAMES, key_types):
            self.ctls[name] = Ctl(ctx, url, team_tok, name="home-" + name)
            self.ctls[name].key_new(name, kt)
            out = self.ctls[name].ok("key", "export-public", "--keystore",
                                     self.ctls[name].keystore(name)).out
            self.pubs.append(json.loads(out))
            exported += out     # as `key export-public >> signers.jsonl`
        self.signers_file = write(self.admin, "signers.jsonl", exported)
        self.treasurer = Ctl(ctx, url, team_tok, name="home-treasurer")

    def create(self, tid="grants", policy=None):
        self.admin.ok("asset", "create", "--code", "USDC", "--decimals", "6",
                      "--chain", "ethereum")
        args = ["treasury", "create", tid, "--threshold", "2", "--file",
                self.signers_file, "--name", "Grants committee"]
        if policy is not None:
            args += ["--policy", write(self.admin, "initial.json",
                                       json.dumps(policy))]
        return self.admin.ok(*args)

    def sign(self, who, *args):
        """A signer's command with --yes, its keystore and passphrase."""
        ctl = self.ctls[who]
        return ctl.run(*args, "--yes", "--keystore", ctl.keystore(who),
                       passphrase=PASSPHRASE)

    def sign_ok(self, who, *args):
        res = self.sign(who, *args)
        assert_equal(res.rc, 0, "%s %s: %r" % (who, args, res))
        return res

    def get(self, path):
        r = self.node.get(path)
        assert_equal(r.status, 200, "GET %s: %r" % (path, r))
        return r.json


# ---- the README walkthrough ----

def test_cli_walkthrough_from_nothing(ctx):
    """README "From nothing to a first executed spend with treasuryctl
    alone", command for command."""
    team = Team(ctx)
    res = team.create()
    for want in ("treasury created: grants", "2 of 3 signers", "alice",
                 "bob", "carol"):
        assert_true(want in res.out, "%r in %r" % (want, res.out))
    t = team.get("/v1/treasuries/grants")
    assert_equal((t["threshold"], [s["name"] for s in t["signers"]]),
                 (2, list(NAMES)), "the daemon has the treasury")
    res = team.treasurer.ok("deposit", "grants", "--asset", "USDC",
                            "--amount", "1000", "--reference", "tx-1")
    assert_true("1000.000000" in res.out, "deposit: %r" % res)
    res = team.sign_ok("alice", "propose", "transfer", "grants", "--asset",
                       "USDC", "--amount", "250", "--to", DEST, "--memo",
                       "first grant", "--approve")
    pid = proposed_id(res)
    assert_true("vote recorded: approve by alice" in res.out, "%r" % res.out)
    res = team.sign_ok("bob", "approve", pid[:12])
    assert_true("now approved" in res.out, "approved: %r" % res.out)
    res = team.treasurer.ok("execute", pid[:12], "--yes")
    assert_true("executed" in res.out, "%r" % res)
    res = team.treasurer.ok("balances", "grants")
    assert_true("750.000000" in res.out, "balances: %r" % res.out)
    assert_equal(team.get("/v1/proposals/" + pid)["status"], "executed",
                 "the daemon executed it")


# ---- set-policy ----

POLICY = {"timelock_spend_s": 0, "config_threshold": 3, "key_proof": True,
          "limits": [{"asset": "USDC", "day": "100", "week": None}],
          "allowlist": {"enabled": True, "destinations": [
              {"to": DEST, "label": "Payroll"},
              {"to": "0xabc", "label": ""}]}}


def test_cli_propose_set_policy(ctx):
    team = Team(ctx)
    team.create()
    alice = team.ctls["alice"]
    path = write(alice, "policy.json", json.dumps(POLICY))
    res = team.sign_ok("alice", "propose", "set-policy", "grants", "--file",
                       path, "--memo", "tighten", "--approve")
    pid = proposed_id(res)
    for want in ("the canonical text matches", "SET POLICY",
                 "+ limit.1.day: 100.000000", "Payroll"):
        assert_true(want in res.out, "%r shown: %r" % (want, res.out))
    team.sign_ok("bob", "approve", pid)
    team.treasurer.ok("execute", pid, "--yes")
    pol = team.get("/v1/treasuries/grants/policy")
    assert_equal((pol["policy"]["config_threshold"],
                  pol["policy"]["limits"][0]["day"]), (3, "100.000000"),
                 "the policy is the file's")
    # Local checks: nothing is sent for a file that is not a policy.
    for bad, member in (({"colour": "blue"}, "'colour'"),
                        ({"limits": [{"asset": "USDC", "day": "1.5e3"}]},
                         "'limits[0].day'"),
                        ({"allowlist": {"enabled": True, "destinations": [
                            {"to": "has space"}]}},
                         "'allowlist.destinations[0].to'")):
        res = alice.run("propose", "set-policy", "grants", "--file",
                        write(alice, "bad.json", json.dumps(bad)))
        assert_equal(res.rc, EXIT_USAGE, "bad policy file: %r" % res)
        assert_true(member in res.err, "%s named: %r" % (member, res.err))
    res = alice.run("propose", "set-policy", "grants", "--file",
                    write(alice, "dup.json", '{"key_proof": true, '
                          '"key_proof": false}'))
    assert_equal(res.rc, EXIT_USAGE, "duplicate key refused: %r" % res)
    # The same policy again: the daemon refuses it (config-change).
    res = alice.run("propose", "set-policy", "grants", "--file", path)
    assert_equal(res.rc, EXIT_REFUSED, "same policy: %r" % res)


def tampered_set_policy(ctx, edit, field):
    """A proxy answers the set-policy POST with another policy (its id
    recomputed, so only the comparison with the file can catch it)."""
    team = Team(ctx)
    team.create()
    alice = team.ctls["alice"]

    def rewrite(method, path, status, body):
        if method == "POST" and path.endswith("/proposals") and \
                status == 201:
            body["canonical"] = edit(body["canonical"])
            body["id"] = sg.proposal_id(body["canonical"]).hex()
        return body

    proxy = HostileProxy(team.node, rewrite=rewrite)
    try:
        via = Ctl(ctx, proxy.url, open(alice.token_file).read().strip(),
                  name="via-proxy")
        res = via.run("propose", "set-policy", "grants", "--file",
                      write(alice, "policy.json", json.dumps(POLICY)),
                      "--approve", "--yes", "--keystore",
                      alice.keystore("alice"), passphrase=PASSPHRASE)
    finally:
        proxy.close()
    assert_equal(res.rc, EXIT_VERIFY, "another policy refused: %r" % res)
    assert_true("REFUSED" in res.err and "'%s'" % field in res.err,
                "names %r: %r" % (field, res.err))
    assert_equal(proxy.vote_posts, 0, "nothing approved")


def test_cli_set_policy_server_makes_another_policy(ctx):
    tampered_set_policy(ctx, lambda t: t.replace(
        "limit.1.day: 100.000000\n", "limit.1.day: 1000.000000\n"),
        "limit.1.day")


def test_cli_set_policy_server_drops_a_destination(ctx):
    tampered_set_policy(ctx, lambda t: t.replace(
        "destination.1.label: Payroll\n", "destination.1.label: Payrol\n"),
        "destination.1.label")


# ---- unfreeze, cancel, settle ----

def test_cli_propose_unfreeze(ctx):
    team = Team(ctx)
    team.create()
    res = team.ctls["alice"].run("propose", "unfreeze", "grants")
    assert_equal(res.rc, EXIT_REFUSED, "not frozen: %r" % res)
    assert_true("not-frozen" in res.err, "%r" % res.err)
    team.sign_ok("carol", "freeze", "grants")
    assert_true(team.get("/v1/treasuries/grants/policy")["frozen"], "frozen")
    res = team.sign_ok("alice", "propose", "unfreeze", "grants", "--memo",
                       "all clear", "--approve")
    pid = proposed_id(res)
    assert_true("UNFREEZE" in res.out and "freeze number 1" in res.out,
                "unfreeze shown: %r" % res.out)
    team.sign_ok("bob", "approve", pid)
    team.treasurer.ok("execute", pid, "--yes")
    assert_true(not team.get("/v1/treasuries/grants/policy")["frozen"],
                "unfrozen")


def test_cli_unfreeze_of_another_freeze_is_refused(ctx):
    """A server whose policy answer names another freeze than the text:
    the text does not lift the freeze in force."""
    team = Team(ctx)
    team.create()
    team.sign_ok("carol", "freeze", "grants")
    alice = team.ctls["alice"]

    def rewrite(method, path, status, body):
        if method == "GET" and path.endswith("/policy") and status == 200:
            body["freeze_seq"] = 2
        return body

    proxy = HostileProxy(team.node, rewrite=rewrite)
    try:
        via = Ctl(ctx, proxy.url, open(alice.token_file).read().strip(),
                  name="via-proxy")
        res = via.run("propose", "unfreeze", "grants")
    finally:
        proxy.close()
    assert_equal(res.rc, EXIT_VERIFY, "%r" % res)
    assert_true("'freeze'" in res.err, "%r" % res.err)


def test_cli_cancel(ctx):
    team = Team(ctx)
    team.create()
    alice = team.ctls["alice"]
    pid = proposed_id(alice.ok("propose", "transfer", "grants", "--asset",
                               "USDC", "--amount", "1", "--to", DEST))
    res = alice.run("cancel", pid)
    assert_true(res.rc != 0, "no cancel without a confirmation: %r" % res)
    assert_equal(team.get("/v1/proposals/" + pid)["status"], "pending",
                 "still pending")
    res = alice.ok("cancel", pid, "--yes")
    assert_true("cancelled: proposal " + pid in res.out, "%r" % res)
    assert_true("1.000000 USDC" in res.out, "shown first: %r" % res.out)
    assert_equal(team.get("/v1/proposals/" + pid)["status"], "cancelled",
                 "the daemon cancelled it")
    res = alice.run("cancel", pid, "--yes")
    assert_equal(res.rc, EXIT_REFUSED, "not pending any more: %r" % res)


def test_cli_settle(ctx):
    team = Team(ctx)
    team.create()
    tr = team.treasurer
    tr.ok("deposit", "grants", "--asset", "USDC", "--amount", "10",
          "--reference", "d1")
    res = team.sign_ok("alice", "propose", "transfer", "grants", "--asset",
                       "USDC", "--amount", "4", "--to", DEST, "--approve")
    pid = proposed_id(res)
    res = tr.run("settle", pid, "--reference", "0xfeed", "--yes")
    assert_equal(res.rc, EXIT_REFUSED, "not executed yet: %r" % res)
    team.sign_ok("bob", "approve", pid)
    tr.ok("execute", pid, "--yes")
    for bad in ("has space", "x" * 129, ""):
        res = tr.run("settle", pid, "--reference", bad)
        assert_equal(res.rc, EXIT_USAGE, "reference %r: %r" % (bad, res))
    res = tr.ok("settle", pid, "--reference", "0xfeed:1")
    assert_true("settled: proposal %s" % pid in res.out, "%r" % res)
    assert_equal(team.get("/v1/proposals/" + pid)["settlement"]["reference"],
                 "0xfeed:1", "recorded")
    tr.ok("settle", pid, "--reference", "0xfeed:1")
    res = tr.run("settle", pid, "--reference", "0xother")
    assert_equal(res.rc, EXIT_REFUSED, "another reference: %r" % res)


# ---- export -> sign-offline -> vote ----

def test_cli_export_sign_offline_vote(ctx):
    team = Team(ctx, key_types=("schnorr", "ecdsa", "ecdsa"))
    team.create()
    bob = team.ctls["bob"]
    pid = proposed_id(bob.ok("propose", "transfer", "grants", "--asset",
                             "USDC", "--amount", "7.5", "--to", DEST,
                             "--memo", "offline"))
    canonical = team.get("/v1/proposals/" + pid)["canonical"]
    res = bob.ok("export", pid[:10], "--yes")
    assert_equal(res.out, canonical, "standard output is the exact text")
    out = os.path.join(bob.home, "p.txt")
    res = bob.ok("export", pid, "--out", out)
    assert_true("exported: proposal " + pid in res.out, "%r" % res)
    assert_equal(stat.S_IMODE(os.stat(out).st_mode), 0o600, "mode 0600")
    with open(out) as f:
        assert_equal(f.read(), canonical, "the file is the exact text")
    assert_true(bob.run("export", pid, "--out", out).rc != 0,
                "no overwrite without --force")
    bob.ok("export", pid, "--out", out, "--force")
    # The air-gapped machine: no URL, no token, only the file.
    offline = Ctl(ctx, "http://127.0.0.1:9", name="airgap")
    signed = offline.ok("sign-offline", out, "--decision", "approve",
                        "--yes", "--keystore",
                        team.ctls["alice"].keystore("alice"), "--json",
                        passphrase=PASSPHRASE, url=False).json()
    assert_equal(signed["id"], pid, "the exported text has the id")
    res = bob.ok("vote", pid, "--signature", signed["signature"], "--yes")
    assert_true("approve by alice" in res.out, "%r" % res)
    approvals = team.get("/v1/proposals/" + pid)["approvals"]
    assert_equal([(a["signer"], a["signature"]) for a in approvals],
                 [("alice", signed["signature"])], "recorded as signed")


# ---- id prefixes ----

def test_cli_proposal_id_prefix(ctx):
    team = Team(ctx)
    team.create()
    alice = team.ctls["alice"]
    ids = [proposed_id(alice.ok("propose", "transfer", "grants", "--asset",
                                "USDC", "--amount", str(i + 1), "--to",
                                DEST)) for i in range(3)]
    n = 8
    while len({i[:n] for i in ids}) < len(ids):
        n += 1
    for pid in ids:
        res = alice.ok("show", pid[:n].upper(), "--yes")
        assert_true("Proposal " + pid in res.out, "unique prefix: %r" % res)
    # A full id needs no listing; too short a prefix is a usage error.
    assert_equal(alice.run("show", ids[0][:7]).rc, EXIT_USAGE, "7 digits")
    assert_equal(alice.run("show", ids[0][:8] + "zz").rc, EXIT_USAGE,
                 "not hex")
    unknown = "f" * 8 if not any(i.startswith("f" * 8) for i in ids) else \
        "0" * 8
    res = alice.run("show", unknown)
    assert_equal(res.rc, EXIT_USAGE, "none: %r" % res)
    assert_true("no proposal starts with " + unknown in res.err, "%r" %
                res.err)

    # Ambiguous: a listing with a second id of the same prefix (and ids
    # that are not 64 hex digits, which never count).
    def rewrite(method, path, status, body):
        if method == "GET" and status == 200 and \
                path.split("?")[0].endswith("/proposals"):
            twin = dict(body["proposals"][0])
            twin["id"] = ids[0][:n] + ("0" if ids[0][n] != "0" else "1") * \
                (64 - n)
            body["proposals"] += [twin, {"id": ids[0][:n] + "zz"},
                                  {"id": 7}, {}]
        return body

    proxy = HostileProxy(team.node, rewrite=rewrite)
    try:
        via = Ctl(ctx, proxy.url, open(alice.token_file).read().strip(),
                  name="via-proxy")
        amb = via.run("show", ids[0][:n], "--yes")
        one = via.run("show", ids[1][:n], "--yes")
    finally:
        proxy.close()
    assert_equal(amb.rc, EXIT_USAGE, "ambiguous: %r" % amb)
    assert_true("2 proposals start with " + ids[0][:n] in amb.err,
                "how many: %r" % amb.err)
    assert_equal(one.rc, 0, "garbage ids ignored: %r" % one)


# ---- the address book ----

def test_cli_address_book(ctx):
    ctl = Ctl(ctx, "http://127.0.0.1:9", name="book")
    book = os.path.join(ctl.home, ".config", "treasuryctl", "addresses")
    assert_true("is empty" in ctl.ok("address", "list").out, "empty")
    ctl.ok("address", "add", DEST, "--label", "Payroll")
    ctl.ok("address", "add", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
           "--label", "Cold storage \u00e9")
    assert_equal(stat.S_IMODE(os.stat(book).st_mode), 0o600, "private")
    listed = ctl.ok("address", "list", "--json").json()["addresses"]
    assert_equal(listed, [
        {"to": DEST, "label": "Payroll"},
        {"to": "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
         "label": "Cold storage \u00e9"}], "sorted by destination")
    assert_true("Payroll" in ctl.ok("address", "list").out, "table")
    # Relabelling needs --force; bad input is refused.
    assert_equal(ctl.run("address", "add", DEST, "--label", "Other").rc,
                 EXIT_ERROR, "relabel without --force")
    ctl.ok("address", "add", DEST, "--label", "Other", "--force")
    for dest, label in ((DEST, "a,b"), (DEST, ""), (DEST, "x" * 65),
                        (DEST, "bidi \u202e"), ("has space", "L"),
                        (DEST, "tab\there")):
        res = ctl.run("address", "add", dest, "--label", label)
        assert_equal(res.rc, EXIT_USAGE, "%r %r: %r" % (dest, label, res))
    ctl.ok("address", "remove", DEST)
    assert_equal(ctl.run("address", "remove", DEST).rc, EXIT_ERROR,
                 "not there")
    # Import: all or nothing, errors by file:line.
    bad = write(ctl, "bad.csv", "dest,label\n# comment\n0x1,One\n"
                "0x2 two,Two\n0x3,\n0x1,Again\n")
    res = ctl.run("address", "import", bad)
    assert_equal(res.rc, EXIT_USAGE, "bad import: %r" % res)
    for want in ("bad.csv:4:", "bad.csv:5:", "bad.csv:6:", "line 3",
                 "nothing imported"):
        assert_true(want in res.err, "%r in %r" % (want, res.err))
    assert_equal(len(ctl.ok("address", "list", "--json").json()[
        "addresses"]), 1, "nothing imported")
    good = write(ctl, "good.csv", "dest,label\r\n# team\r\n0x1,One\r\n"
                 "0xa,b,c,Commas in the destination\r\n"
                 "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq,Cold\r\n")
    res = ctl.ok("address", "import", good)
    assert_true("3 addresses" in res.out and "2 new, 1 relabelled" in
                res.out, "%r" % res.out)
    listed = {e["to"]: e["label"] for e in ctl.ok(
        "address", "list", "--json").json()["addresses"]}
    assert_equal(listed, {"0x1": "One", "0xa,b,c": "Commas in the destination",
                          "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq": "Cold"},
                 "imported")
    # TREASURYCTL_ADDRESSES moves the book; a book others can read is
    # refused.
    other = os.path.join(ctl.home, "other-book")
    ctl.ok("address", "add", "0xb", "--label", "B",
           env={"TREASURYCTL_ADDRESSES": other})
    assert_true(os.path.exists(other), "the book is where the env says")
    os.chmod(other, 0o644)
    res = ctl.run("address", "list", env={"TREASURYCTL_ADDRESSES": other})
    assert_true(res.rc != 0, "a book others can read: %r" % res)
    # The limit of entries.
    many = write(ctl, "many.csv", "".join("0x%d,L\n" % i for i in
                                          range(1001)))
    res = ctl.run("address", "import", many)
    assert_equal(res.rc, EXIT_USAGE, "1001 addresses: %r" % res)
    assert_true("more than 1000" in res.err, "%r" % res.err)


def test_cli_address_book_label_shown_when_signing(ctx):
    """address_book_label: the signer's own label beside a destination;
    a malformed book is reported once and no label is shown."""
    team = Team(ctx)
    team.create()
    alice = team.ctls["alice"]
    alice.ok("address", "add", DEST, "--label", "Payroll (mine)")
    res = team.sign_ok("alice", "propose", "transfer", "grants", "--asset",
                       "USDC", "--amount", "1", "--to", DEST, "--approve")
    assert_true('your address book: "Payroll (mine)"' in res.out,
                "own label shown: %r" % res.out)
    book = os.path.join(alice.home, ".config", "treasuryctl", "addresses")
    with open(book, "a") as f:
        f.write("no comma here\n")
    res = team.sign_ok("alice", "propose", "transfer", "grants", "--asset",
                       "USDC", "--amount", "2", "--to", DEST, "--approve")
    assert_true("addresses:3:" in res.err and res.err.count(
        "the address book is not used") == 1, "reported once: %r" % res.err)
    assert_true('your address book: "' not in res.out and
                "NEW DESTINATION" in res.out, "no label: %r" % res.out)


# ---- admin commands ----

def test_cli_admin_asset_and_treasury_create(ctx):
    team = Team(ctx)
    admin = team.admin
    for args in (["--code", "US$", "--decimals", "6", "--chain", "eth"],
                 ["--code", "USDC", "--decimals", "19", "--chain", "eth"],
                 ["--code", "USDC", "--decimals", "6", "--chain", "Eth"],
                 ["--code", "USDC", "--decimals", "x", "--chain", "eth"]):
        assert_equal(admin.run("asset", "create", *args).rc, EXIT_USAGE,
                     "bad asset %r" % args)
    res = admin.ok("asset", "create", "--code", "USDC", "--decimals", "6",
                   "--chain", "ethereum")
    assert_true("asset created: USDC, 6 decimals, chain ethereum" in res.out,
                "%r" % res.out)
    assert_equal(admin.run("asset", "create", "--code", "usdc", "--decimals",
                           "6", "--chain", "ethereum").rc, EXIT_REFUSED,
                 "asset-exists")
    lines = [json.dumps(p) for p in team.pubs]     # one per line (JSONL)
    alice = team.pubs[0]

    def create(text, *extra):
        path = write(admin, "s.jsonl", text)
        return admin.run("treasury", "create", "t1", "--threshold", "2",
                         "--file", path, *extra)

    dup_name = dict(json.loads(lines[1]), name="alice")
    dup_key = dict(alice, name="alice2")
    for text, want in (
            ("\n".join(lines + [json.dumps(dup_name)]), "s.jsonl:4:"),
            ("# ours\n\n" + "\n".join(lines + [json.dumps(dup_key)]),
             "s.jsonl:6: the signer repeats the key of line 3"),
            (lines[0] + "\n" + json.dumps(dict(alice, extra=1)),
             "s.jsonl:2:"),
            (lines[0] + "\n" + json.dumps(dict(alice, name="Bad Name")),
             "s.jsonl:2:"),
            (lines[0] + "\n" + json.dumps(dict(alice, name="x",
                                               pubkey="02" + "00" * 32)),
             "s.jsonl:2:"),
            (lines[0] + "\nnot json", "s.jsonl:2:")):
        res = create(text)
        assert_equal(res.rc, EXIT_USAGE, "refused locally: %r" % res)
        assert_true(want in res.err, "%r in %r" % (want, res.err))
    assert_equal(create(lines[0]).rc, EXIT_USAGE, "threshold above N")
    assert_equal(team.node.get("/v1/treasuries/t1").status, 404,
                 "nothing was created")
    res = create("\n".join(lines), "--policy", write(
        admin, "p.json", json.dumps({"timelock_spend_s": 60,
                                     "limits": [{"asset": "USDC",
                                                 "month": "5"}]})))
    assert_equal(res.rc, 0, "created with a policy: %r" % res)
    for want in ("treasury created: t1", "2 of 3 signers", alice["pubkey"],
                 "stored as sent"):
        assert_true(want in res.out, "%r in %r" % (want, res.out))
    assert_equal(create("\n".join(lines)).rc, EXIT_REFUSED,
                 "treasury-exists")

    # A server that answers with another signer set: exit 5.
    def rewrite(method, path, status, body):
        if method == "POST" and path == "/v1/treasuries" and status == 201:
            body["signers"][0]["pubkey"] = json.loads(lines[2])["pubkey"]
            body["signers"][2]["pubkey"] = alice["pubkey"]
        return body

    proxy = HostileProxy(team.node, rewrite=rewrite)
    try:
        via = Ctl(ctx, proxy.url, team.node.admin_token, name="via-proxy")
        res = via.run("treasury", "create", "t2", "--threshold", "2",
                      "--file", team.signers_file)
    finally:
        proxy.close()
    assert_equal(res.rc, EXIT_VERIFY, "another signer set: %r" % res)
    assert_true("does not echo the signer set" in res.err, "%r" % res.err)


# ---- help ----

def test_cli_group_help(ctx):
    ctl = Ctl(ctx, "http://127.0.0.1:9", name="help")
    for args in (["key", "--help"], ["help", "key"]):
        res = ctl.ok(*args)
        for sub in ("key new", "key import", "key show", "key export-public"):
            assert_true(sub in res.out, "%s lists %s: %r" % (args, sub,
                                                             res.out))
        assert_true("Make a new secret key" in res.out, "one-line help")
    res = ctl.run("key")
    assert_equal(res.rc, EXIT_USAGE, "no subcommand")
    assert_true("key export-public" in res.err, "listed: %r" % res.err)
    res = ctl.ok("propose", "--help")
    for kind in ("transfer", "batch", "add-signer", "remove-signer",
                 "replace-signer", "set-threshold", "set-policy", "unfreeze"):
        assert_true("propose " + kind in res.out, "propose --help lists %s"
                    % kind)
    for group in ("address", "asset", "treasury"):
        assert_true("%s " % group in ctl.ok(group, "--help").out, group)
    for cmd in (["propose", "set-policy"], ["propose", "unfreeze"],
                ["cancel"], ["settle"], ["export"], ["asset", "create"],
                ["treasury", "create"], ["address", "add"],
                ["address", "list"], ["address", "remove"],
                ["address", "import"]):
        res = ctl.ok(*(cmd + ["--help"]))
        assert_true("usage: treasuryctl " + " ".join(cmd) in res.out,
                    "help of %s: %r" % (cmd, res.out))
