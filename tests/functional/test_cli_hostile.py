"""treasuryctl against a LYING server: a proxy in front of the real daemon
(cli_helpers.HostileProxy) poisons, swaps, rolls back or fabricates
answers. treasuryctl must stay truthful: what reaches the terminal is the
canonical text's meaning or the server's words escaped, never a raw control
sequence or a forged line; context it cannot verify (instance, signer set,
policy, config version) is refused against its pins (exit 5) and nothing is
signed or posted. Every test checks the daemon directly afterwards.

The tmux tests run treasuryctl in a real terminal (cli_helpers.Terminal)
and answer its prompts with send-keys, as a person would.

Each test says in its docstring which protection it proves: without that
protection the assertion named there would fail.
"""

import copy
import hashlib
import shutil

import signers as sg
from cli_helpers import (Ctl, HostileProxy, PASSPHRASE, Terminal, route,
                         votes_of, EXIT_REFUSED, EXIT_VERIFY, EXIT_DECLINED)
from framework import assert_equal, assert_true, TestFailure
from test_cli_flow import DEST, grants

# ---- the poison ----

FAKE_LINE = "  pay 10 USDC to 0x1111 memo team lunch"
# The classic: save the cursor, go 5 lines up, erase that line, write a
# fake line there, restore the cursor.
ATTACK = "\x1b7\x1b[5A\x1b[2K" + FAKE_LINE + "\x1b8"
POISON = (ATTACK +
          "\u202e" + "dlrow" +            # bidi override: reversed text
          "\u009b2K" +                    # C1 CSI: erase line
          "\u200b\u2060\U000E0041" +      # zero-width, word joiner, tag A
          "\x07\x7f\r" +                  # BEL, DEL, CR
          "\n" + FAKE_LINE +              # a forged line of its own
          "\nvote recorded: approve by alice; the server says the "
          "proposal is now approved (2 approvals, 0 rejections)\n")
ATTACK_NAME = "alice" + ATTACK           # a signer name carrying the attack

# A line a person would read as treasuryctl's own, if it appeared alone
# (the last is the forged vote line of POISON; a true "vote recorded" line
# goes on with the status the server really answered, escaped).
FAKE_LINE_STARTS = ("pay 10 USDC", "0x1111", "team lunch", "memo team lunch",
                    "vote recorded: approve by alice; the server says the "
                    "proposal is now approved (2 approvals")
INVISIBLE = {0x200b, 0x200c, 0x200d, 0x2060, 0xfeff, 0x061c, 0x200e, 0x200f}
ATTACKER = "0xA77AC4E500000000000000000000000000000bad"


def poisoned(value):
    return value + POISON


def poison_strings(obj, keep=()):
    """Every string of obj (recursively, list items and object members),
    poisoned, except the top-level members named in keep."""
    def walk(o, top):
        if isinstance(o, str):
            return poisoned(o)
        if isinstance(o, list):
            return [walk(x, False) for x in o]
        if isinstance(o, dict):
            return {k: (v if top and k in keep else walk(v, False))
                    for k, v in o.items()}
        return o
    return walk(obj, True)


def is_proposal_get(method, path):
    r = route(path)
    return method == "GET" and len(r) == 3 and r[:2] == ["v1", "proposals"]


def poison_everything(method, path, status, obj):
    """Every string field of every JSON answer, problem answers too; only
    the proposal's canonical text and id are kept."""
    keep = ("canonical", "id") if is_proposal_get(method, path) else ()
    return poison_strings(obj, keep)


def raw_controls(text):
    """The characters of text that must never reach a terminal raw: C0
    but LF, DEL, C1, bidi controls, invisible and tag characters."""
    bad = []
    for ch in text:
        cp = ord(ch)
        if ((cp < 0x20 and ch != "\n") or 0x7f <= cp <= 0x9f or
                0x202a <= cp <= 0x202e or 0x2066 <= cp <= 0x2069 or
                cp in INVISIBLE or 0xe0000 <= cp <= 0xe007f):
            bad.append("U+%04X" % cp)
    return bad


def fake_lines(text):
    return [line for line in text.splitlines()
            if line.strip().startswith(FAKE_LINE_STARTS)]


def assert_truthful(text, what):
    """No raw control reached the output and no forged line stands on its
    own (the forged text may appear only inside an escaped server value)."""
    bad = raw_controls(text)
    assert_true(not bad, "%s: raw control characters %s reached the "
                "terminal:\n%s" % (what, sorted(set(bad)), text))
    fakes = fake_lines(text)
    assert_true(not fakes, "%s: forged lines shown as if treasuryctl's "
                "own: %r\nwhole output:\n%s" % (what, fakes, text))


def via(ctx, ctls, proxy, who="alice"):
    """A Ctl for signer `who` talking to the proxy, with a home (trust
    store) of its own; its keystore stays in the signer's home."""
    with open(ctls[who].token_file) as f:
        tok = f.read().strip()
    return Ctl(ctx, proxy.url, tok, name="via-proxy-" + who)


def approve_args(ctls, pid, who="alice", yes=True):
    args = ["approve", pid, "--keystore", ctls[who].keystore(who)]
    return args + (["--yes"] if yes else [])


def approve_through(ctx, node, ctls, pid, **proxy_kw):
    """alice approves pid (--yes) through a HostileProxy(node, **proxy_kw),
    closed afterwards. Returns (result, proxy)."""
    proxy = HostileProxy(node, **proxy_kw)
    try:
        res = via(ctx, ctls, proxy).run(*approve_args(ctls, pid),
                                        passphrase=PASSPHRASE)
    finally:
        proxy.close()
    return res, proxy


def assert_no_vote(node, proxy, pid):
    assert_equal(proxy.vote_posts, 0, "no vote request was sent")
    assert_equal(votes_of(node, pid), [], "the daemon has no vote")


def need_tmux():
    if shutil.which("tmux") is None:
        raise TestFailure("tmux is not installed (apt-get install tmux; "
                          "contrib/install-deps.sh)")


# ---- 1. the terminal end to end ----

def test_cli_hostile_poison_everything_plain_output_is_clean(ctx):
    """Every string of every answer poisoned (canonical text and id kept):
    exit 5, nothing posted, and the bytes treasuryctl writes hold no raw
    control character and no forged line. Proves the one escaped output
    path, including refusal messages that quote the server's words."""
    node, c, ctls, _ = grants(ctx)
    p = c.transfer_ok("grants", "USDC", "3000", to=DEST, memo="Q3 grants")
    res, proxy = approve_through(ctx, node, ctls, p["id"], rewrite=poison_everything)
    assert_equal(res.rc, EXIT_VERIFY, "poisoned answers refused: %r" % res)
    assert_true("REFUSED, nothing signed" in res.err, "says why: %r" % res)
    assert_truthful(res.out, "stdout")
    assert_truthful(res.err, "stderr")
    assert_no_vote(node, proxy, p["id"])


def test_cli_hostile_tmux_poison_everything_refused(ctx):
    """The same in a real terminal, without --yes: the refusal comes before
    any question (the proposal's JSON no longer matches its text), the
    pane shows no forged line and holds no raw control character. Without
    the escaping, ESC 7 / ESC [5A / ESC [2K would have written the fake
    payment line 5 lines up: fake_lines() finds it."""
    need_tmux()
    node, c, ctls, _ = grants(ctx)
    p = c.transfer_ok("grants", "USDC", "3000", to=DEST, memo="Q3 grants")
    proxy = HostileProxy(node, rewrite=poison_everything)
    term = None
    try:
        term = Terminal(ctx, via(ctx, ctls, proxy),
                        approve_args(ctls, p["id"], yes=False))
        rc, screen = term.exit_code()
    finally:
        if term is not None:
            term.close()
        proxy.close()
    assert_equal(rc, EXIT_VERIFY, "refused:\n" + screen)
    assert_true("REFUSED, nothing signed" in screen, "reason shown:\n" +
                screen)
    assert_true("Type 'yes'" not in screen, "nothing asked:\n" + screen)
    assert_truthful(screen, "pane")
    assert_no_vote(node, proxy, p["id"])


def poison_signer_names(method, path, status, obj):
    """Only the signer names: the treasury's signers, the proposal's
    approvals, bundles' approvals. The first becomes the classic attack."""
    obj = copy.deepcopy(obj)
    for s in obj.get("signers") or []:
        if isinstance(s, dict) and isinstance(s.get("name"), str):
            s["name"] = ATTACK_NAME if s["name"] == "alice" else \
                poisoned(s["name"])
    for key in ("approvals", "rejections"):
        for v in obj.get(key) or []:
            if isinstance(v, dict) and isinstance(v.get("signer"), str):
                v["signer"] = poisoned(v["signer"])
    return obj


def test_cli_hostile_tmux_poisoned_signer_names_refused(ctx):
    """Signer names carrying "alice ESC7 ESC[5A ESC[2K pay 10 USDC to
    0x1111 memo team lunch ESC8": the person pins the server's instance
    (asked in the terminal, answered yes), then treasuryctl refuses the
    signer set because a name breaks the name grammar ([a-z0-9][a-z0-9_-]
    {0,31}): exit 5, nothing asked about the proposal, no vote. Proves the
    grammar check on the server's signer set (without it the set would be
    shown for pinning with the attack in it)."""
    need_tmux()
    node, c, ctls, _ = grants(ctx)
    p = c.transfer_ok("grants", "USDC", "3000", to=DEST, memo="Q3 grants")
    ctls["bob"].ok(*approve_args(ctls, p["id"], who="bob"),
                   passphrase=PASSPHRASE)
    proxy = HostileProxy(node, rewrite=poison_signer_names)
    term = None
    try:
        term = Terminal(ctx, via(ctx, ctls, proxy),
                        approve_args(ctls, p["id"], yes=False))
        term.answer("Pin this server's instance?", "yes")
        rc, screen = term.exit_code()
    finally:
        if term is not None:
            term.close()
        proxy.close()
    assert_equal(rc, EXIT_VERIFY, "refused:\n" + screen)
    assert_true("NEW SERVER" in screen and c.instance in screen,
                "the true instance was shown for pinning:\n" + screen)
    assert_true("has no valid 'name'" in screen, "names the bad field:\n" +
                screen)
    assert_true("Pin this treasury" not in screen and
                "Approve proposal" not in screen, "nothing else asked:\n" +
                screen)
    assert_truthful(screen, "pane")
    assert_true("team lunch" not in screen, "the attack name is not shown "
                "at all:\n" + screen)
    assert_equal(proxy.vote_posts, 0, "no vote request was sent")
    assert_equal([v["signer"] for v in votes_of(node, p["id"])], ["bob"],
                 "the daemon has bob's vote only")


FREE_TEXT_FIELDS = ("name", "created_at", "voted_at", "chain", "version",
                    "frozen_at", "executed_at", "approved_at")


def poison_free_text(method, path, status, obj):
    """Only what treasuryctl never needs to check (names of treasuries,
    times, chains, the daemon's version, vote times): it must still show
    the canonical text's truth, and may print these only escaped. Signer
    names are left alone (their grammar is checked: see above)."""
    def walk(o):
        if isinstance(o, list):
            return [walk(x) for x in o]
        if isinstance(o, dict):
            return {k: (poisoned(v) if isinstance(v, str) and
                        k in FREE_TEXT_FIELDS and
                        not (k == "name" and "key_type" in o)
                        else walk(v)) for k, v in o.items()}
        return o
    return walk(obj)


def vote_answered_with_lying_problem(method, path, body):
    """The vote POST answered by the proxy itself: a 422 whose type, title
    and detail carry escapes and a forged "vote recorded" line."""
    if method == "POST" and path.split("?")[0].endswith("/votes"):
        return (422, "application/problem+json", {
            "type": "urn:treasuryd:problem:signature-invalid\x1b[2K",
            "title": "Signature invalid\u202e",
            "status": 422,
            "detail": "the signature does not verify\r\x1b[2K\x1b[1A"
                      "vote recorded: approve by alice; the server says the "
                      "proposal is now approved\n" + FAKE_LINE +
                      "\u009b2K\u200b\U000E0041"})
    return None


def tmux_approve_through(ctx, decision):
    """alice approves in the terminal through a proxy that poisons free
    text and answers the vote with a lying problem; decision is what she
    types at the "Approve ...?" question."""
    need_tmux()
    node, c, ctls, _ = grants(ctx)
    p = c.transfer_ok("grants", "USDC", "3000", to=DEST, memo="Q3 grants")
    proxy = HostileProxy(node, rewrite=poison_free_text,
                         intercept=vote_answered_with_lying_problem)
    term = None
    try:
        term = Terminal(ctx, via(ctx, ctls, proxy),
                        approve_args(ctls, p["id"], yes=False))
        term.answer("Pin this server's instance?", "yes")
        term.answer("Pin this treasury's signers and policy?", "yes")
        term.answer("as alice? Type 'yes'", decision)
        if decision == "yes":
            term.answer("Keystore passphrase:", PASSPHRASE)
        rc, screen = term.exit_code()
    finally:
        if term is not None:
            term.close()
        proxy.close()
    # The truth, from the canonical text, on the screen.
    for want in ("3000.000000 USDC", DEST, '"Q3 grants"',
                 "APPROVE, as signer alice", "total      3000.000000 USDC",
                 "FINAL CHECK"):
        assert_true(want in screen, "%r shown:\n%s" % (want, screen))
    assert_truthful(screen, "pane")
    assert_equal(votes_of(node, p["id"]), [], "the daemon has no vote")
    return rc, screen, proxy


def test_cli_hostile_tmux_lying_problem_detail_shown_escaped(ctx):
    """The whole clear-signing dialogue in a terminal (pin, pin, approve,
    passphrase); the vote POST is answered with a 422 whose detail holds
    escapes and a forged "vote recorded" line. The screen shows the true
    amount, asset and destination, the refusal with the server's words on
    the refusal's own line, no forged line and no raw control; exit 4.
    Proves the problem detail goes through the escaping path (without it
    CR/ESC[2K/ESC[1A would have replaced the refusal with the forged
    line)."""
    rc, screen, proxy = tmux_approve_through(ctx, "yes")
    assert_equal(rc, EXIT_REFUSED, "the server's refusal:\n" + screen)
    assert_equal(proxy.vote_posts, 1, "the vote was sent (and refused)")
    line = [x for x in screen.splitlines() if "the server refused: 422" in x]
    assert_equal(len(line), 1, "one refusal line:\n" + screen)
    assert_true("signature-invalid" in line[0] and
                "the signature does not verify" in line[0],
                "the server's words are on the refusal line: %r" % line)
    assert_true(line[0].index("the server refused") <
                line[0].index("vote recorded"),
                "the forged text stays inside the refusal: %r" % line)


def test_cli_hostile_tmux_decline_posts_nothing(ctx):
    """Same dialogue, answered "no" at the approval question: exit 7, no
    passphrase asked, nothing sent. Proves the question gates signing."""
    rc, screen, proxy = tmux_approve_through(ctx, "no")
    assert_equal(rc, EXIT_DECLINED, "declined:\n" + screen)
    assert_true("Keystore passphrase" not in screen, "no passphrase asked")
    assert_equal(proxy.vote_posts, 0, "no vote request was sent")


def test_cli_hostile_problem_detail_escape_is_visible(ctx):
    """The contract: a C0 character of the server's text is shown as a
    visible escape (ESC as \\u{001B}), not dropped nor replaced by a
    character the server could have sent itself ('?'): the person must be
    able to tell that the server sent control characters."""
    node, c, ctls, _ = grants(ctx)
    p = c.transfer_ok("grants", "USDC", "3000", to=DEST)
    res, proxy = approve_through(ctx, node, ctls, p["id"], intercept=vote_answered_with_lying_problem)
    assert_equal(res.rc, EXIT_REFUSED, "refused by the server: %r" % res)
    assert_truthful(res.err, "stderr")
    line = [x for x in res.err.splitlines() if "server refused" in x]
    assert_equal(len(line), 1, "one refusal line: %r" % res.err)
    assert_true("\\u{001B}[2K" in line[0] and "\\u{000D}" in line[0],
                "ESC and CR shown as visible escapes: %r" % line[0])


def test_cli_hostile_poisoned_canonical_or_id_refused(ctx):
    """Poison reaching the canonical text, or only the JSON id: exit 5
    (the text no longer hashes to the id asked for / the JSON id is not
    the text's), nothing posted, output clean. Proves the id check comes
    first whatever else the answer holds."""
    node, c, ctls, _ = grants(ctx)
    p = c.transfer_ok("grants", "USDC", "3000", to=DEST)

    def with_canonical(method, path, status, obj):
        keep = ("id",) if is_proposal_get(method, path) else ()
        return poison_strings(obj, keep)

    def only_id(method, path, status, obj):
        if is_proposal_get(method, path):
            obj["id"] = poisoned(obj["id"])
        return obj

    def absolutely_everything(method, path, status, obj):
        return poison_strings(obj)

    for rewrite, reason in ((with_canonical, "hashes to"),
                            (absolutely_everything, "hashes to"),
                            (only_id, "field 'id'")):
        res, proxy = approve_through(ctx, node, ctls, p["id"], rewrite=rewrite)
        assert_equal(res.rc, EXIT_VERIFY, "refused (%s): %r" % (reason, res))
        assert_true(reason in res.err, "reason %r: %r" % (reason, res.err))
        assert_truthful(res.out + res.err, "output")
        assert_no_vote(node, proxy, p["id"])


# ---- 2. context the server cannot change ----

def pinned_alice(ctx, node, ctls, proxy, pid):
    """alice looks at a proposal through the (still honest) proxy with
    --yes: instance, signer set and policy get pinned for the proxy URL."""
    alice = via(ctx, ctls, proxy)
    res = alice.ok("show", pid, "--yes")
    assert_true("NEW TREASURY" in res.out, "pinned on first use: %r" % res)
    return alice


def is_get(method, path, *parts):
    return method == "GET" and route(path) == ["v1"] + list(parts)


def test_cli_hostile_swapped_signer_key_refused(ctx):
    """After alice pinned the treasury, the server shows another key for
    bob at the same config version (what a server would do to make its
    own key count as bob's). alice approving a remove-signer: exit 5
    naming bob and the key change; nothing posted. Proves the pinned
    signer set is compared at the same version."""
    node, c, ctls, _ = grants(ctx)
    p = c.propose_ok("grants", {"kind": "remove-signer", "signer": "carol",
                                "memo": "carol leaves"})
    proxy = HostileProxy(node)
    alice = pinned_alice(ctx, node, ctls, proxy, p["id"])
    mallory = sg.Signer("bob", "schnorr", label="mallory")

    def swap_bob(method, path, status, obj):
        if is_get(method, path, "treasuries", "grants"):
            for s in obj["signers"]:
                if s["name"] == "bob":
                    s["pubkey"] = mallory.pubkey
        return obj

    proxy.rewrite = swap_bob
    try:
        res = alice.run(*approve_args(ctls, p["id"]), passphrase=PASSPHRASE)
    finally:
        proxy.close()
    assert_equal(res.rc, EXIT_VERIFY, "swapped key refused: %r" % res)
    assert_true("differs from what you pinned" in res.err and
                "signer bob: pinned key" in res.err and
                "another key" in res.err, "says what changed: %r" % res.err)
    assert_no_vote(node, proxy, p["id"])


def policy_with(answer, destinations):
    """A policy answer like `answer` with an allowlist of destinations
    [(to, label)], text and digest consistent (signing.md §9.1)."""
    out = copy.deepcopy(answer)
    text = answer["text"].split("allowlist: ")[0]
    text += "allowlist: on\ndestinations: %d\n" % len(destinations)
    for i, (to, label) in enumerate(destinations, 1):
        text += "destination.%d.to: %s\ndestination.%d.label: %s\n" % (
            i, to, i, label)
    out["text"] = text
    out["digest"] = sg.tagged_hash("treasuryd/policy/v1",
                                   text.encode()).hex()
    out["policy"]["allowlist"] = {
        "enabled": True,
        "destinations": [{"to": t, "label": l} for t, l in destinations]}
    return out


def fake_payroll(method, path, status, obj):
    if is_get(method, path, "treasuries", "grants", "policy"):
        return policy_with(obj, [(ATTACKER, "Payroll")])
    return obj


def test_cli_hostile_fake_allowlist_label_refused_when_pinned(ctx):
    """A transfer to the attacker's address; the server's policy answer
    (text, digest and object consistent) adds that address to an
    allowlist with the label "Payroll", to make it look vetted. With the
    policy pinned: exit 5, "policy ... not the pinned policy", the label
    is never shown as verified, nothing posted. Proves the policy pin is
    compared at the same version (without it alice would go on and sign:
    exit 0 and a vote POST)."""
    node, c, ctls, _ = grants(ctx)
    p = c.transfer_ok("grants", "USDC", "3000", to=ATTACKER)
    proxy = HostileProxy(node)
    alice = pinned_alice(ctx, node, ctls, proxy, p["id"])
    proxy.rewrite = fake_payroll
    try:
        res = alice.run(*approve_args(ctls, p["id"]), passphrase=PASSPHRASE)
    finally:
        proxy.close()
    assert_equal(res.rc, EXIT_VERIFY, "fake policy refused: %r" % res)
    assert_true("policy: the server's policy is not the pinned policy" in
                res.err, "says the policy changed: %r" % res.err)
    assert_true("Payroll" not in res.out, "no label shown: %r" % res.out)
    assert_no_vote(node, proxy, p["id"])


def test_cli_hostile_fake_allowlist_label_first_use_not_trusted(ctx):
    """The same lie on first sight of the treasury (the server itself is
    pinned already, through another treasury), without --yes and without
    a terminal: the policy is shown for out-of-band comparison as NEW
    TREASURY and refused "not pinned yet" (exit 5); never "label
    verified". Proves first use is not silent trust."""
    node, c, ctls, _ = grants(ctx)
    signer_set = [{"name": n, "key_type": "ecdsa",
                   "pubkey": sg.Signer(n, label="ops/" + n).pubkey}
                  for n in ("x", "y", "z")]
    r = node.post("/v1/treasuries", {"id": "ops", "threshold": 2,
                                     "signers": signer_set})
    assert_equal(r.status, 201, "second treasury: %r" % r)
    p = c.transfer_ok("grants", "USDC", "3000", to=ATTACKER)
    proxy = HostileProxy(node, rewrite=fake_payroll)
    try:
        alice = via(ctx, ctls, proxy)
        alice.ok("policy", "ops", "--yes")          # pins the server
        res = alice.run(*approve_args(ctls, p["id"], yes=False),
                        passphrase=PASSPHRASE)
    finally:
        proxy.close()
    assert_equal(res.rc, EXIT_VERIFY, "first use not trusted: %r" % res)
    assert_true("not pinned yet" in res.err, "says why: %r" % res.err)
    assert_true("NEW SERVER" not in res.out, "the server was pinned")
    assert_true("NEW TREASURY: grants" in res.out and ATTACKER in res.out,
                "shown for comparison: %r" % res.out)
    assert_true("label verified" not in res.out, "never verified: %r" % res)
    assert_no_vote(node, proxy, p["id"])


def test_cli_hostile_changed_instance_refused(ctx):
    """After pinning, GET /v1/info says another instance (another daemon,
    or a man in the middle, at the same URL): exit 5 naming both
    instances; nothing posted. Proves the per-URL instance pin."""
    node, c, ctls, _ = grants(ctx)
    p = c.transfer_ok("grants", "USDC", "3000", to=DEST)
    proxy = HostileProxy(node)
    alice = pinned_alice(ctx, node, ctls, proxy, p["id"])
    other = hashlib.sha256(b"another instance").hexdigest()

    def other_instance(method, path, status, obj):
        if is_get(method, path, "info"):
            obj["instance"] = other
        return obj

    proxy.rewrite = other_instance
    try:
        res = alice.run(*approve_args(ctls, p["id"]), passphrase=PASSPHRASE)
    finally:
        proxy.close()
    assert_equal(res.rc, EXIT_VERIFY, "other instance refused: %r" % res)
    assert_true("pinned as instance %s" % c.instance in res.err and
                other in res.err, "names both: %r" % res.err)
    assert_no_vote(node, proxy, p["id"])


def forged_proposal(real, **lines):
    """A proposal answer like `real` whose canonical text has other values
    for the given lines; id and JSON fields consistent with the text."""
    pairs = [(k, lines.get(k, v)) for k, v in sg.parse_canonical(
        real["canonical"])]
    text = sg.canonical_text(pairs)
    out = copy.deepcopy(real)
    out["canonical"] = text
    out["id"] = sg.proposal_id(text).hex()
    if "expires" in lines:
        out["expires_at"] = lines["expires"]
    return out


def serve(proposals):
    """An intercept answering GET /v1/proposals/{id} for the forged
    proposals (a dict id -> answer) itself."""
    def intercept(method, path, body):
        r = route(path)
        if method == "GET" and len(r) == 3 and r[:2] == ["v1", "proposals"] \
                and r[2] in proposals:
            return 200, "application/json", proposals[r[2]]
        return None
    return intercept


def test_cli_hostile_expired_text_shown_pending_refused(ctx):
    """A text whose expiry has passed (by this machine's clock), served
    with status "pending" and every JSON field consistent with it (the
    server made the text: its id is the text's hash). treasuryctl shows it
    EXPIRED, refuses at the final check (exit 5) and posts nothing.
    Proves the local expiry check of final_summary_print (without it the
    vote would be signed and POSTed: vote_posts would be 1)."""
    import time
    node, c, ctls, _ = grants(ctx)
    real = c.transfer_ok("grants", "USDC", "3000", to=DEST)
    past = time.strftime("%Y-%m-%dT%H:%M:%SZ",
                         time.gmtime(time.time() - 3600))
    old = forged_proposal(c.get_proposal(real["id"]), expires=past)
    old["status"] = "pending"
    proxy = HostileProxy(node, intercept=serve({old["id"]: old}))
    try:
        res = via(ctx, ctls, proxy).run(*approve_args(ctls, old["id"]),
                                        passphrase=PASSPHRASE)
    finally:
        proxy.close()
    assert_equal(res.rc, EXIT_VERIFY, "expired text refused: %r" % res)
    assert_true("EXPIRED by this machine's clock" in res.out,
                "shown expired: %r" % res.out)
    assert_true("expired at %s" % past in res.err and
                "whatever the server says" in res.err, "why: %r" % res.err)
    assert_equal(proxy.vote_posts, 0, "no vote request was sent")
    assert_equal(votes_of(node, real["id"]), [], "the daemon has no vote")


def test_cli_hostile_malformed_signer_objects_refused(ctx):
    """Signer objects that break their grammar (no name, a name with a
    space, a name that is not a string, a non-hex key, a key of the wrong
    length, an unknown key type, a signer that is not an object, signers
    that are not a list, a threshold that is not an integer): exit 5 each
    time, no crash, the bad signer named by position. Proves the strict
    parse of the server's signer set."""
    node, c, ctls, _ = grants(ctx)
    p = c.transfer_ok("grants", "USDC", "3000", to=DEST)

    def signer(i, **kw):
        def mutate(t):
            s = t["signers"][i]
            for k, v in kw.items():
                if v is None:
                    del s[k]
                else:
                    s[k] = v(s[k]) if callable(v) else v
        return mutate

    cases = [
        (signer(1, name=None), "signer 2 has no valid 'name'"),
        (signer(1, name="bob smith"), "signer 2 has no valid 'name'"),
        (signer(1, name=7), "signer 2 has no valid 'name'"),
        (signer(0, pubkey=lambda k: "zz" + k[2:]),
         "signer 1 has no valid 'pubkey'"),
        (signer(2, pubkey=lambda k: k[:-2]),
         "signer 3 has no valid 'pubkey'"),
        (signer(2, key_type="rsa"), "signer 3 has no valid 'key_type'"),
        (lambda t: t["signers"].append("carol"),
         "signer 4 is not an object"),
        (lambda t: t.update(signers={"alice": "02" + "11" * 32}),
         "'signers' is not a list"),
        (lambda t: t.update(threshold="2"), "'threshold' is not an integer"),
    ]
    for mutate, want in cases:
        def rewrite(method, path, status, obj, mutate=mutate):
            if is_get(method, path, "treasuries", "grants"):
                mutate(obj)
            return obj
        res, proxy = approve_through(ctx, node, ctls, p["id"], rewrite=rewrite)
        assert_equal(res.rc, EXIT_VERIFY, "%s: %r" % (want, res))
        assert_true(want in res.err, "%r named: %r" % (want, res.err))
        assert_no_vote(node, proxy, p["id"])


def add_dave(ctx, node, c, ctls):
    """add-signer dave approved by alice and bob (directly, no proxy) and
    executed: the treasury moves to config version 2."""
    dave = sg.Signer("dave", "schnorr", label="dave")
    p = c.propose_ok("grants", {"kind": "add-signer",
                                "signer": dave.as_json(),
                                "memo": "dave joins"})
    for who in ("alice", "bob"):
        ctls[who].ok(*approve_args(ctls, p["id"], who=who),
                     passphrase=PASSPHRASE)
    assert_equal(c.execute_ok(p["id"])["status"], "executed", "dave added")
    assert_equal(c.treasury("grants")["config_version"], 2, "version 2")
    return dave, p


def test_cli_hostile_verified_config_change_advances_pins(ctx):
    """The honest path of the same machinery: alice pins version 1; a
    real add-signer is approved and executed; alice's next `show` WITHOUT
    --yes (and without a terminal, so nothing could be asked) succeeds,
    saying the pins advanced through the verified change. Proves the
    refusals below are not refusals of every version change."""
    node, c, ctls, _ = grants(ctx)
    first = c.transfer_ok("grants", "USDC", "1", to=DEST)
    proxy = HostileProxy(node)
    try:
        alice = pinned_alice(ctx, node, ctls, proxy, first["id"])
        add_dave(ctx, node, c, ctls)
        p = c.transfer_ok("grants", "USDC", "3000", to=DEST, config=2)
        res = alice.run("show", p["id"])
    finally:
        proxy.close()
    assert_equal(res.rc, 0, "show after a verified change: %r" % res)
    assert_true("pinned config of treasury grants advanced to version 2: "
                "add-signer" in res.out and "(2 approvals by pinned keys)"
                in res.out, "says the pins advanced: %r" % res.out)
    assert_true("config     version 2 (current, pinned)" in res.out,
                "current and pinned: %r" % res.out)
    assert_true("NEW TREASURY" not in res.out, "nothing re-asked")


def test_cli_hostile_unverified_config_bump_refused(ctx):
    """After alice pinned version 1, the server says version 2 with a new
    signer mallory (threshold, policy text and digest consistent), first
    with no executed config change to show for it, then with a forged
    executed add-signer whose bundle carries "alice" and "bob" approvals
    signed by mallory's key (and mallory's key as theirs in the bundle).
    Both: exit 5, no vote. Proves that pins advance only through changes
    verified against the PINNED keys (if the bundle's keys were used, the
    forged bundle would verify and the fake set would be pinned)."""
    node, c, ctls, _ = grants(ctx)
    p = c.transfer_ok("grants", "USDC", "3000", to=DEST)
    proxy = HostileProxy(node)
    alice = pinned_alice(ctx, node, ctls, proxy, p["id"])
    mallory = sg.Signer("mallory", "ecdsa", label="mallory")
    expires = c.get_proposal(p["id"])["expires_at"]
    text = sg.canonical_text(
        sg.common_lines(c.instance, "grants", 1, "add-signer", 99, expires) +
        sg.add_signer_lines("mallory", "ecdsa", mallory.pubkey, 2, 4, ""))
    fid = sg.proposal_id(text).hex()
    sig = mallory.sign_vote(fid, "approve")
    bundle = {"id": fid, "instance": c.instance, "treasury": "grants",
              "kind": "add-signer", "config_version": 1, "threshold": 2,
              "canonical": text,
              "approve_digest": sg.vote_digest(fid, "approve").hex(),
              "executed_at": expires,
              "approvals": [{"signer": n, "key_type": "ecdsa",
                             "pubkey": mallory.pubkey, "signature": sig}
                            for n in ("alice", "bob")]}
    fake_entry = {"id": fid, "treasury": "grants", "kind": "add-signer",
                  "status": "executed", "canonical": text,
                  "config_version": 1, "nonce": 99, "expires_at": expires}

    def bump(method, path, status, obj, listed):
        if is_get(method, path, "treasuries", "grants"):
            obj["config_version"] = 2
            obj["signers"].append(mallory.as_json())
        elif is_get(method, path, "treasuries", "grants", "policy"):
            obj["config_version"] = 2
            obj["text"] = obj["text"].replace("signers: 3\n", "signers: 4\n")
            obj["digest"] = sg.tagged_hash("treasuryd/policy/v1",
                                           obj["text"].encode()).hex()
        elif listed and is_get(method, path, "treasuries", "grants",
                               "proposals"):
            obj["proposals"].append(fake_entry)
        return obj

    def bundle_of_fake(method, path, body):
        if method == "GET" and route(path) == ["v1", "proposals", fid,
                                               "bundle"]:
            return 200, "application/json", bundle
        return None

    try:
        for listed in (False, True):
            proxy.rewrite = lambda m, pa, s, o, listed=listed: \
                bump(m, pa, s, o, listed)
            proxy.intercept = bundle_of_fake if listed else None
            res = alice.run(*approve_args(ctls, p["id"]),
                            passphrase=PASSPHRASE)
            assert_equal(res.rc, EXIT_VERIFY, "bump refused (forged bundle "
                         "listed: %s): %r" % (listed, res))
            assert_true("no executed config change of version 1 verifies"
                        in res.err, "says why: %r" % res.err)
            if listed:
                assert_true(("GET", "/v1/proposals/%s/bundle" % fid) in
                            proxy.requests, "the forged bundle was examined")
            assert_true("advanced" not in res.out, "no pin advanced: %r" %
                        res.out)
        # Nothing of the lie was pinned: honest again, version 1 holds.
        proxy.rewrite = proxy.intercept = None
        res = alice.ok("show", p["id"])
    finally:
        proxy.close()
    assert_true("config     version 1 (current, pinned)" in res.out,
                "the pins stayed at version 1: %r" % res.out)
    assert_no_vote(node, proxy, p["id"])


def test_cli_hostile_rollback_refused(ctx):
    """alice's pins are at version 2 (a real, verified add-signer); the
    server then answers with its version 1 treasury and policy, as they
    were (a restored old backup, or a replay): exit 5 "rollback", nothing
    posted. Proves that an older version is never accepted."""
    node, c, ctls, _ = grants(ctx)
    first = c.transfer_ok("grants", "USDC", "1", to=DEST)
    old = {}

    def record(method, path, status, obj):
        for parts in (("treasuries", "grants"),
                      ("treasuries", "grants", "policy")):
            if is_get(method, path, *parts):
                old[parts] = copy.deepcopy(obj)
        return obj

    proxy = HostileProxy(node, rewrite=record)
    try:
        alice = pinned_alice(ctx, node, ctls, proxy, first["id"])
        assert_equal(len(old), 2, "version 1 answers recorded")
        proxy.rewrite = None
        add_dave(ctx, node, c, ctls)
        p = c.transfer_ok("grants", "USDC", "3000", to=DEST, config=2)
        assert_true("advanced to version 2" in alice.ok("show", p["id"]).out,
                    "pins at version 2")

        def replay(method, path, status, obj):
            for parts, answer in old.items():
                if is_get(method, path, *parts):
                    return copy.deepcopy(answer)
            return obj

        proxy.rewrite = replay
        res = alice.run(*approve_args(ctls, p["id"]), passphrase=PASSPHRASE)
        res_old = alice.run(*approve_args(ctls, first["id"]),
                            passphrase=PASSPHRASE)
    finally:
        proxy.close()
    for r, pid in ((res, p["id"]), (res_old, first["id"])):
        assert_equal(r.rc, EXIT_VERIFY, "rollback refused: %r" % r)
        assert_true("older than the pinned version 2" in r.err and
                    "rollback is never accepted" in r.err, "why: %r" % r.err)
        assert_no_vote(node, proxy, pid)


# ---- 3. what the server answers to an action ----

def poison_post_answers(method, path, status, obj):
    """Every string of the answer to a POST (vote, execute, deposit)."""
    return poison_strings(obj) if method == "POST" else obj


def test_cli_hostile_vote_answer_poisoned(ctx):
    """A real vote whose answer (status) is poisoned: the vote is recorded
    at the daemon and the output shows no raw control and no forged line
    (the answer's status may hold its own line feeds)."""
    node, c, ctls, _ = grants(ctx)
    p = c.transfer_ok("grants", "USDC", "3000", to=DEST)
    res, proxy = approve_through(ctx, node, ctls, p["id"], rewrite=poison_post_answers)
    assert_equal(proxy.vote_posts, 1, "the vote was sent")
    assert_equal([v["signer"] for v in votes_of(node, p["id"])], ["alice"],
                 "the daemon has alice's vote")
    assert_true(res.rc in (0, EXIT_VERIFY), "no crash: %r" % res)
    assert_truthful(res.out, "stdout")
    assert_truthful(res.err, "stderr")


def test_cli_hostile_execute_answer_poisoned(ctx):
    """A real execution whose answer (status) is poisoned: executed at the
    daemon, no raw control and no forged line in the output."""
    node, c, ctls, treasurer = grants(ctx)
    c.deposit_ok("grants", "USDC", "5000", "dep-1")
    p = c.transfer_ok("grants", "USDC", "3000", to=DEST)
    for who in ("alice", "bob"):
        ctls[who].ok(*approve_args(ctls, p["id"], who=who),
                     passphrase=PASSPHRASE)
    proxy = HostileProxy(node, rewrite=poison_post_answers)
    try:
        with open(treasurer.token_file) as f:
            t = Ctl(ctx, proxy.url, f.read().strip(), name="treasurer-proxy")
        res = t.run("execute", p["id"], "--yes")
    finally:
        proxy.close()
    assert_equal(c.get_proposal(p["id"])["status"], "executed", "executed")
    assert_true(res.rc in (0, EXIT_VERIFY), "no crash: %r" % res)
    assert_truthful(res.out, "stdout")
    assert_truthful(res.err, "stderr")


def test_cli_hostile_deposit_answer_poisoned(ctx):
    """A real deposit whose answer (amount, balance_after, ...) is
    poisoned: recorded at the daemon, no raw control and no forged line
    in the output."""
    node, c, ctls, treasurer = grants(ctx)
    proxy = HostileProxy(node, rewrite=poison_post_answers)
    try:
        with open(treasurer.token_file) as f:
            t = Ctl(ctx, proxy.url, f.read().strip(), name="treasurer-proxy")
        res = t.run("deposit", "grants", "--asset", "USDC", "--amount",
                    "1500.5", "--reference", "dep-1")
    finally:
        proxy.close()
    assert_equal(c.balances("grants"), {"USDC": "1500.500000"}, "deposited")
    assert_true(res.rc in (0, EXIT_VERIFY), "no crash: %r" % res)
    assert_truthful(res.out, "stdout")
    assert_truthful(res.err, "stderr")
