"""The dashboard at /ui/ (api/ui.c, api/ui/): its files and headers over
plain HTTP, then the page itself in headless Chromium through Selenium
(Debian's chromium, chromium-driver and python3-selenium, installed by
contrib/install-deps.sh; run with /usr/bin/python3).

The browser tests start the real treasuryd, make assets, treasuries,
deposits and proposals through the API, and check what the page shows
against what the API answers: every treasury and its exact balances, a
proposal's canonical text and id, a vote made over the API appearing
without a reload, the queue, history, ledger and policy views, and that
hostile text (a memo, a treasury name, a deposit reference holding <script>
or <img onerror>) is shown as text and runs nothing. They also check that
the page asks no origin but the daemon's (Chrome's performance log), that
the token is never in a URL and stays in sessionStorage, that no
Content-Security-Policy violation happened, and that at 360 px the page
does not scroll sideways.

Screenshots of each view are saved in the build tree, in
<build>/test-artifacts/ui/ where <build> is the directory above the
treasuryd binary's (build/daemon/treasuryd -> build/test-artifacts/ui/), or
in $TREASURYD_UI_ARTIFACTS when set. docs/ui-queue.png (README) is a copy
of one of them.
"""

import json
import os
import re
import urllib.parse

import signers as sg
from framework import assert_equal, assert_problem, assert_true
from treasury_helpers import setup

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; "
       "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
       "base-uri 'none'; form-action 'self'")
TYPES = {".html": "text/html; charset=utf-8",
         ".css": "text/css; charset=utf-8",
         ".js": "text/javascript; charset=utf-8"}
DEST = "0x742d35Cc6634C0532925a3b844Bc454e4438f44e"
XSS_MEMO = '<script>window.__xss = "memo"</script><img src=x onerror="window.__xss=\'img\'">'
XSS_NAME = 'Ops <img src=x onerror="window.__xss=\'name\'"> & <b>co</b>'
XSS_REF = '<img src=y onerror=window.__xss=1>'
WAIT_S = 15


def ui_dir(ctx):
    return os.path.join(ctx.source_dir, "api", "ui")


def ui_files(ctx):
    return sorted(n for n in os.listdir(ui_dir(ctx))
                  if os.path.splitext(n)[1] in TYPES)


def assert_ui_headers(r, what):
    assert_equal(r.header("Content-Security-Policy"), CSP, what + ": CSP")
    assert_equal(r.header("X-Content-Type-Options"), "nosniff", what + ": nosniff")
    assert_equal(r.header("Referrer-Policy"), "no-referrer", what + ": referrer")
    assert_equal(r.header("X-Frame-Options"), "DENY", what + ": frame options")
    assert_true(r.header("Cache-Control") in ("no-cache", "no-store"),
                what + ": Cache-Control %r" % r.header("Cache-Control"))
    assert_true("unsafe" not in r.header("Content-Security-Policy"),
                what + ": no unsafe-inline or unsafe-eval")


def raw_get(node, path, headers=None):
    """GET without any client normalisation of the path."""
    import http.client
    from framework import Response
    conn = http.client.HTTPConnection("127.0.0.1", node.port, timeout=10)
    try:
        conn.putrequest("GET", path, skip_accept_encoding=True)
        for k, v in (headers or {}).items():
            conn.putheader(k, v)
        conn.endheaders()
        resp = conn.getresponse()
        return Response(resp.status, resp.getheaders(), resp.read().decode(
            "utf-8", "replace"))
    finally:
        conn.close()


def test_ui_files_and_headers(ctx):
    """Every file of api/ui/ is served byte for byte without a token, with
    its type, ETag (304 on If-None-Match), no-cache and the security
    headers; so is every other answer under /ui (redirects, 404, 405);
    no path outside the table is served; the sources hold no inline
    script or style, no HTML sink and no other origin."""
    node = ctx.start_node()
    names = ui_files(ctx)
    assert_true("index.html" in names and len(names) >= 3, "ui files %r" % names)
    for name in names:
        with open(os.path.join(ui_dir(ctx), name), encoding="utf-8") as f:
            want = f.read()
        paths = ["/ui/" + name] + (["/ui/"] if name == "index.html" else [])
        for path in paths:
            r = node.get(path, token=None)
            assert_equal(r.status, 200, "GET %s: %r" % (path, r))
            assert_equal(r.body, want, "%s served byte for byte" % path)
            assert_equal(r.header("Content-Type"), TYPES[os.path.splitext(name)[1]],
                         path + " type")
            assert_equal(r.header("Cache-Control"), "no-cache", path + " cache")
            etag = r.header("ETag")
            assert_true(etag and re.fullmatch(r'"[0-9a-f]{32}"', etag),
                        path + " ETag %r" % etag)
            assert_ui_headers(r, path)
            r2 = node.get(path, token=None, headers={"If-None-Match": etag})
            assert_equal(r2.status, 304, path + " revalidated")
            assert_equal(r2.body, "", path + " 304 has no body")
            assert_ui_headers(r2, path + " 304")
        # the sources: no inline script or style, no HTML sink, no eval,
        # no other origin
        if name.endswith(".html"):
            assert_true(not re.search(r"<script(?![^>]*\bsrc=)", want),
                        name + ": inline script")
            assert_true(not re.search(r"\sstyle\s*=|<style", want),
                        name + ": inline style")
            assert_true(not re.search(r"\son[a-z]+\s*=", want),
                        name + ": inline event handler")
        # the SVG namespace (accounting.js's createElementNS) is a name,
        # never fetched: the one "http://" allowed, and only as that string
        src = want.replace("'http://www.w3.org/2000/svg'", "")
        for bad in ("innerHTML", "outerHTML", "insertAdjacentHTML",
                    "document.write", "eval(", "new Function", "setAttribute('style'",
                    "http://", "https://", "//cdn", "localStorage", "EventSource",
                    ".style.", "cssText"):
            assert_true(bad not in src, "%s holds %r" % (name, bad))
    for path in ("/", "/ui"):
        r = node.get(path, token=None)
        assert_equal(r.status, 302, path + " redirects")
        assert_equal(r.header("Location"), "ui/", path + " Location")
        assert_ui_headers(r, path)
    for path in ("/ui/nosuch.js", "/ui/index.htm", "/ui/../ui/index.html",
                 "/ui/..", "/ui/%2e%2e", "/ui/..%2findex.html",
                 "/ui/%2e%2e%2f%2e%2e%2fetc%2fpasswd", "/ui/core.js/x",
                 "/ui//", "/ui/./index.html", "/ui/.", "/ui/ui_files.h",
                 "/ui/embed.cmake", "/ui/%00index.html", "/ui/index.html%00"):
        r = raw_get(node, path)
        assert_problem(r, 404, "not-found")
        assert_ui_headers(r, path)
    r = node.post("/ui/", {}, token=None)
    assert_problem(r, 405, "method-not-allowed")
    assert_equal(r.header("Allow"), "GET", "Allow of /ui/")
    assert_ui_headers(r, "POST /ui/")
    # The API's own answers keep their no-store and carry no UI headers.
    r = node.get("/v1/health", token=None)
    assert_equal(r.header("Cache-Control"), "no-store", "API cache")
    assert_equal(r.header("Content-Security-Policy"), None, "API has no CSP")
    # /uix is not the dashboard
    assert_problem(node.get("/uix", token=None), 404, "not-found")


# ---- the browser ----

def artifacts_dir(ctx):
    d = os.environ.get("TREASURYD_UI_ARTIFACTS") or os.path.join(
        os.path.dirname(os.path.dirname(ctx.treasuryd)), "test-artifacts", "ui")
    os.makedirs(d, exist_ok=True)
    return d


def browser(width, height, download_dir=None):
    """Headless Chromium at width x height; with download_dir, downloads
    are saved there without asking."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu",
              "--disable-dev-shm-usage", "--window-size=%d,%d" % (width, height),
              "--no-first-run", "--disable-extensions",
              "--disable-background-networking", "--disable-component-update",
              "--disable-sync", "--disable-default-apps",
              "--force-device-scale-factor=1", "--lang=en-US"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"performance": "ALL",
                                              "browser": "ALL"})
    if download_dir:
        opts.add_experimental_option("prefs", {
            "download.default_directory": download_dir,
            "download.prompt_for_download": False,
            "download.directory_upgrade": True,
            "safebrowsing.enabled": False})
    drv = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    drv.set_page_load_timeout(30)
    # headless Chromium keeps a window at least ~500 px wide: emulate the
    # viewport itself so that 360 px means 360 CSS pixels
    drv.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1,
        "mobile": width < 600})
    if download_dir:
        drv.execute_cdp_cmd("Browser.setDownloadBehavior", {
            "behavior": "allow", "downloadPath": download_dir})
    return drv


def wait(drv, cond, what):
    from selenium.webdriver.support.ui import WebDriverWait
    try:
        return WebDriverWait(drv, WAIT_S, poll_frequency=0.1).until(
            lambda d: cond(d))
    except Exception as e:
        raise AssertionError("waited %d s for %s (%s); page text:\n%s" % (
            WAIT_S, what, type(e).__name__, text_of(drv, "body")[:2000]))


def js(drv, script, *args):
    return drv.execute_script(script, *args)


def text_of(drv, selector):
    """textContent of the first match (exact, not Selenium's rendered text)."""
    return js(drv, "const n = document.querySelector(arguments[0]);"
                   "return n ? n.textContent : null;", selector)


def texts(drv, selector):
    return js(drv, "return Array.from(document.querySelectorAll(arguments[0]),"
                   " (n) => n.textContent);", selector)


def shot(ctx, drv, name):
    path = os.path.join(artifacts_dir(ctx), name + ".png")
    assert_true(drv.save_screenshot(path), "screenshot " + path)
    return path


def open_page(drv, node):
    drv.get("http://127.0.0.1:%d/" % node.port)     # / redirects to /ui/
    wait(drv, lambda d: js(d, "return document.readyState === 'complete' && "
                              "!!window.TD && !document.getElementById('login').hidden"),
         "the token form")
    assert_equal(drv.current_url, "http://127.0.0.1:%d/ui/" % node.port, "url")
    # record CSP violations and mark the document (a reload would lose both)
    js(drv, "window.__violations = [];"
            "document.addEventListener('securitypolicyviolation', (e) =>"
            " window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"
            "window.__noReload = 42;")


def sign_in(drv, token):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    field = drv.find_element(By.ID, "token")
    assert_equal(js(drv, "return document.activeElement.id"), "token",
                 "the token field has the focus")
    field.send_keys(token + Keys.ENTER)
    wait(drv, lambda d: js(d, "return document.getElementById('login').hidden"),
         "signed in")
    wait(drv, lambda d: text_of(d, "#live") == "live", "the event stream open")


def go(drv, hash_path, ready_selector):
    js(drv, "location.hash = arguments[0]", hash_path)
    wait(drv, lambda d: js(d, "return !!document.querySelector(arguments[0])",
                           ready_selector), ready_selector)


def requests_seen(drv):
    urls = []
    for entry in drv.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg.get("method") == "Network.requestWillBeSent":
            urls.append(msg["params"]["request"]["url"])
    return urls


def check_hygiene(drv, node, token, urls):
    """Only the daemon's origin was asked, never with the token in the URL;
    the token is in sessionStorage only; nothing hostile ran; no CSP
    violation; no script error in the console."""
    origin = "http://127.0.0.1:%d/" % node.port
    assert_true(urls, "requests were logged")
    for u in urls:
        # blob: URLs of the page's own origin: a CSV download (core.js)
        assert_true(u.startswith(origin) or u.startswith("data:") or
                    u.startswith("blob:" + origin),
                    "request to another origin: %r" % u)
        assert_true(token not in urllib.parse.unquote(u), "token in a URL")
    assert_true(any("/v1/events" in u for u in urls), "the event stream was opened")
    assert_equal(js(drv, "return sessionStorage.getItem('treasuryd.token')"), token,
                 "token in sessionStorage")
    assert_equal(js(drv, "return localStorage.length"), 0, "nothing in localStorage")
    assert_true(token not in js(drv, "return document.cookie"), "no cookie")
    assert_equal(js(drv, "return window.__xss === undefined"), True,
                 "no injected script ran")
    assert_equal(js(drv, "return document.querySelectorAll("
                         "'img, script:not([src]), [onerror]').length"), 0,
                 "no injected element")
    assert_equal(js(drv, "return window.__violations"), [], "CSP violations")
    assert_equal(js(drv, "return window.__noReload"), 42, "the page never reloaded")
    severe = [e for e in drv.get_log("browser") if e.get("level") == "SEVERE"]
    assert_equal(severe, [], "console errors")


def world(ctx, extra_args=None):
    """Two treasuries with balances, a queue, a history and hostile text."""
    node, c = setup(ctx, extra_args=extra_args)
    c.asset_ok("USDC", 6)
    c.asset_ok("BTC", 8, chain="bitcoin")
    a, b, d = sg.signers("grants", "ees")
    c.treasury_ok("grants", 2, [a, b, d], name="Grants committee")
    c.deposit_ok("grants", "USDC", "1500.5", "dep-1", source="bank-1", memo="seed")
    c.deposit_ok("grants", "BTC", "0.00012345", "dep-2")
    c.deposit_ok("grants", "USDC", "0.000001", XSS_REF, memo=XSS_MEMO)
    done = c.transfer_ok("grants", "USDC", "250", to=DEST, memo="first grant")
    c.approve_all(done["id"], [a, b])
    c.execute_ok(done["id"])
    r = c.node.post("/v1/proposals/%s/settlement" % done["id"],
                    {"reference": "0xfeedbeef01"}, token=c.treasurer)
    assert_equal(r.status, 200, "settlement: %r" % r)
    pend = c.transfer_ok("grants", "USDC", "12.5", to=DEST, memo=XSS_MEMO)
    # the second treasury: a hostile name, a spend delay, approved and waiting
    x, y = sg.signers("ops", "ee")
    r = node.post("/v1/treasuries", {
        "id": "ops", "name": XSS_NAME, "threshold": 1,
        "signers": [x.as_json(), y.as_json()],
        "policy": {"timelock_spend_s": 3600,
                   "limits": [{"asset": "USDC", "day": "100", "week": None,
                               "month": None}]}})
    assert_equal(r.status, 201, "ops: %r" % r)
    c.nonces["ops"] = 0
    c.deposit_ok("ops", "USDC", "42", "ops-1")
    r = c.propose("ops", {"kind": "transfer", "asset": "USDC", "amount": "5",
                          "to": DEST, "memo": "timelocked"})
    assert_equal(r.status, 201, "ops proposal: %r" % r)
    locked = r.json
    c.vote_ok(locked["id"], x, want_status="approved")
    # signer names cannot carry markup at all: the API refuses them
    bad = sg.Signer("bad", "ecdsa", label="bad-name")
    body = bad.as_json()
    body["name"] = "<script>x</script>"
    r = node.post("/v1/treasuries", {"id": "bad", "threshold": 1,
                                     "signers": [body]})
    assert_problem(r, 400, "signer-name")
    return node, c, (a, b, d), (x, y), pend, done, locked


def test_ui_viewer_sees_everything_live_and_safely(ctx):
    """A viewer token, 1280x900: treasuries and exact balances, the queue
    with who voted, a vote over the API appearing without a reload, the
    proposal's canonical text and id, history, ledger filters, policy."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select
    node, c, (a, b, d), (x, y), pend, done, locked = world(ctx)
    token = c.viewer
    drv = browser(1280, 900)
    try:
        open_page(drv, node)
        shot(ctx, drv, "login-1280")
        sign_in(drv, token)
        wait(drv, lambda d_: len(texts(d_, "#treasuries .card")) == 2, "2 treasuries")
        # every treasury and the exact balances the API answers
        treasuries = node.get("/v1/treasuries", token=token).json["treasuries"]
        assert_equal(sorted(texts(drv, "#treasuries .card code.tid")),
                     sorted(t["id"] for t in treasuries), "treasury ids shown")
        for t in treasuries:
            card = "#treasuries .card[data-treasury='%s']" % t["id"]
            assert_equal(text_of(drv, card + " .tname"), t["name"], "name as text")
            api_bal = c.balances(t["id"])
            shown = js(drv, "const o = {}; document.querySelectorAll(arguments[0])"
                            ".forEach((r) => { o[r.dataset.asset] = "
                            "r.querySelector('.num').textContent; }); return o;",
                       card + " tr[data-asset]")
            assert_equal(shown, api_bal, "balances of %s as the API says" % t["id"])
        assert_equal(c.balances("grants"), {"USDC": "1250.500001",
                                            "BTC": "0.00012345"}, "the API's")
        assert_equal(js(drv, "return getComputedStyle(document.querySelector("
                             "'#treasuries td.num')).textAlign"), "right",
                     "amounts right-aligned")
        shot(ctx, drv, "treasuries-1280")

        # keyboard: Tab to the grants link, Enter opens its queue
        for _ in range(40):
            drv.switch_to.active_element.send_keys(Keys.TAB)
            if js(drv, "return document.activeElement.getAttribute('href')") == \
                    "#/t/grants":
                break
        else:
            raise AssertionError("the grants link is not reachable with Tab")
        drv.switch_to.active_element.send_keys(Keys.ENTER)
        card = "#queue article[data-proposal='%s']" % pend["id"]
        wait(drv, lambda d_: js(d_, "return !!document.querySelector(arguments[0])",
                                card), "the queue")
        assert_equal(js(drv, "return document.activeElement.tagName"), "H1",
                     "focus moves to the view's heading")
        assert_equal(text_of(drv, card + " .memo-text"), XSS_MEMO, "memo as text")
        assert_equal(text_of(drv, card + " .needs"), "needs 2 more", "needs")
        votes = dict(zip(texts(drv, card + " .votes .signer"),
                         js(drv, "return Array.from(document.querySelectorAll("
                                 "arguments[0]), (n) => n.dataset.vote)",
                            card + " .votes li")))
        assert_equal(votes, {a.name: "waiting", b.name: "waiting",
                             d.name: "waiting"}, "nobody voted yet")
        assert_equal(text_of(drv, card + " code[data-command]"),
                     "treasuryctl approve " + pend["id"], "the approve command")
        assert_equal(js(drv, "return document.querySelectorAll('[data-execute]')"
                             ".length"), 0, "a viewer gets no execute button")
        shot(ctx, drv, "queue-before-vote-1280")

        # a vote over the API appears without a reload, and the keyboard
        # focus stays where it was
        js(drv, "document.querySelector(arguments[0]).focus()", card + " h3 a")
        c.vote_ok(pend["id"], a, want_status="pending")
        wait(drv, lambda d_: js(d_, "const n = document.querySelector(arguments[0]);"
                                    "return n && n.dataset.vote === 'approved'",
                                card + " li[data-signer='%s']" % a.name),
             "alice's vote shown live")
        assert_equal(text_of(drv, card + " .needs"), "needs 1 more", "needs 1 more")
        assert_equal(js(drv, "return window.__noReload"), 42, "not reloaded")
        assert_equal(js(drv, "return document.activeElement.getAttribute('href')"),
                     "#/p/" + pend["id"], "the focus kept across the update")
        shot(ctx, drv, "queue-1280")

        # the proposal: canonical text verbatim and its id
        drv.find_element(By.CSS_SELECTOR, card + " h3 a").click()
        wait(drv, lambda d_: text_of(d_, "#canonical") is not None, "proposal view")
        p = c.get_proposal(pend["id"])
        assert_equal(text_of(drv, "#canonical"), p["canonical"], "canonical verbatim")
        assert_equal(js(drv, "return getComputedStyle(document.getElementById("
                             "'canonical')).whiteSpace"), "pre", "kept as laid out")
        assert_equal(text_of(drv, "#proposal-id"), pend["id"], "the id")
        assert_true(XSS_MEMO in text_of(drv, "#canonical"), "hostile memo as text")
        time_title = js(drv, "return document.querySelector('dd time').title")
        assert_true(time_title.startswith("Local time: "), "local time on hover")
        assert_true(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC",
                                 text_of(drv, "dd time")), "UTC shown")
        shot(ctx, drv, "proposal-1280")
        # a second vote, seen on the proposal page too
        c.vote_ok(pend["id"], b, want_status="approved")
        wait(drv, lambda d_: js(d_, "return document.querySelector("
                                    "'[data-proposal]').dataset.status === 'approved'"),
             "approved live")

        # history: executed with its settlement reference
        go(drv, "#/t/grants/history", "#history-table")
        row = "#history-table tr[data-proposal='%s']" % done["id"]
        assert_equal(text_of(drv, row + " .settlement"), "0xfeedbeef01", "settlement")
        shot(ctx, drv, "history-1280")

        # ledger: every entry, filters, hostile reference and memo as text
        go(drv, "#/t/grants/ledger", "#ledger-table")
        ledger = c.ledger("grants")
        assert_equal(len(texts(drv, "#ledger-table tbody tr")), len(ledger), "rows")
        assert_equal(sorted(texts(drv, "#ledger-table tbody td:nth-child(5) .num")),
                     sorted(e["amount"] for e in ledger), "exact amounts")
        assert_true(XSS_REF in texts(drv, "#ledger-table .ref"), "reference as text")
        assert_true(XSS_MEMO in texts(drv, "#ledger-table .memo-text"), "memo as text")
        assert_equal(js(drv, "return document.getElementById('deposit-form')"), None,
                     "a viewer gets no deposit form")
        Select(drv.find_element(By.ID, "ledger-kind")).select_by_value("transfer")
        drv.find_element(By.ID, "ledger-apply").click()
        wait(drv, lambda d_: len(texts(d_, "#ledger-table tbody tr")) == 1,
             "the transfer filter")
        Select(drv.find_element(By.ID, "ledger-kind")).select_by_value("")
        drv.find_element(By.ID, "ledger-counterparty").send_keys("bank-1" + Keys.ENTER)
        wait(drv, lambda d_: texts(d_, "#ledger-table tbody .counterparty") ==
             ["bank-1"], "the counterparty filter (Enter applies)")
        shot(ctx, drv, "ledger-1280")

        # policy of ops: remaining allowance, a timelocked proposal's countdown
        go(drv, "#/t/ops/policy", "#policy-text")
        pol = node.get("/v1/treasuries/ops/policy", token=token).json
        assert_equal(text_of(drv, "#policy-text"), pol["text"], "policy text")
        assert_equal(texts(drv, "#limits tr[data-asset='USDC'] .num")[:2],
                     ["100.000000", pol["remaining"][0]["day"]], "limit, remaining")
        assert_equal(text_of(drv, "h1 .tname"), XSS_NAME, "hostile name as text")
        shot(ctx, drv, "policy-1280")
        go(drv, "#/t/ops/queue", "#queue article[data-status='approved']")
        cd = text_of(drv, "#queue .countdown")
        assert_true(re.fullmatch(r"executable in (00h 59m|01h 00m) \d\ds", cd),
                    "countdown %r" % cd)
        check_hygiene(drv, node, token, requests_seen(drv))
    finally:
        drv.quit()


def test_ui_treasurer_narrow_screen(ctx):
    """A treasurer token at 360x740: no sideways scrolling, a deposit
    recorded from the page, an approved proposal executed from it, the
    frozen banner; screenshots of each."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select
    node, c, (a, b, d), (x, y), pend, done, locked = world(ctx)
    c.vote_ok(pend["id"], a)
    c.vote_ok(pend["id"], b, want_status="approved")
    token = c.token("treasurer,viewer", name="desk")
    drv = browser(360, 740)
    try:
        open_page(drv, node)
        sign_in(drv, token)
        wait(drv, lambda d_: len(texts(d_, "#treasuries .card")) == 2, "treasuries")
        assert_equal(js(drv, "return window.innerWidth"), 360, "viewport width")

        def no_sideways(what):
            assert_true(js(drv, "return document.documentElement.scrollWidth <= "
                                "window.innerWidth"),
                        "%s scrolls sideways at 360 px (%s > %s)" % (
                            what, js(drv, "return document.documentElement.scrollWidth"),
                            js(drv, "return window.innerWidth")))
        no_sideways("treasuries")
        shot(ctx, drv, "treasuries-360")

        go(drv, "#/t/grants/queue", "#queue [data-execute]")
        no_sideways("queue")
        shot(ctx, drv, "queue-360")
        drv.find_element(By.CSS_SELECTOR, "[data-execute='%s']" % pend["id"]).click()
        wait(drv, lambda d_: d_.switch_to.alert, "the confirmation")
        drv.switch_to.alert.accept()
        wait(drv, lambda d_: c.get_proposal(pend["id"])["status"] == "executed",
             "executed from the page")
        wait(drv, lambda d_: not js(d_, "return !!document.querySelector("
                                        "\"[data-proposal='%s']\")" % pend["id"]),
             "gone from the queue")

        go(drv, "#/t/grants/ledger", "#ledger-table")
        js(drv, "document.querySelector('details.panel').open = true")
        Select(drv.find_element(By.ID, "dep-asset")).select_by_value("BTC")
        drv.find_element(By.ID, "dep-amount").send_keys("1.5")
        drv.find_element(By.ID, "dep-reference").send_keys("page-dep-1")
        drv.find_element(By.ID, "dep-memo").send_keys("from the page")
        no_sideways("ledger with the deposit form")
        shot(ctx, drv, "ledger-deposit-360")
        # someone else's deposit re-renders the ledger live (a new table):
        # the half-typed form is kept, not wiped
        js(drv, "window.__oldTable = document.getElementById('ledger-table')")
        c.deposit_ok("grants", "USDC", "1", "api-dep-live")
        wait(drv, lambda d_: js(d_, "const t = document.getElementById("
                                    "'ledger-table'); return !!t && "
                                    "t !== window.__oldTable"),
             "the re-render on the live deposit")
        assert_equal(js(drv, "return ['dep-asset', 'dep-amount', 'dep-reference',"
                             " 'dep-memo'].map((id) => document.getElementById(id)"
                             ".value)"), ["BTC", "1.5", "page-dep-1", "from the page"],
                     "the half-typed deposit kept")
        drv.find_element(By.CSS_SELECTOR, "#deposit-form button[type=submit]").click()
        wait(drv, lambda d_: (text_of(d_, "#deposit-outcome") or "").startswith(
            "Recorded: 1.50000000 BTC"), "deposit recorded")
        assert_equal(c.balance("grants", "BTC"), "1.50012345", "the API's balance")
        wait(drv, lambda d_: "1.50012345" in texts(
            d_, "#ledger-table tbody td:nth-child(6) .num"), "the new entry live")

        # a freeze (a signer's signed request over the API) shows the banner
        text = ("treasuryd freeze v1\ninstance: %s\ntreasury: ops\nconfig: 1\n"
                "freeze: 1\n" % c.instance)
        sig = x.sign_digest(sg.tagged_hash("treasuryd/freeze/v1",
                                           text.encode())).hex()
        go(drv, "#/t/ops/queue", "#queue")
        r = node.post("/v1/treasuries/ops/freeze", {"signer": x.name, "freeze": 1,
                                                    "signature": sig},
                      token=c.signer_token)
        assert_equal(r.status, 200, "freeze: %r" % r)
        wait(drv, lambda d_: text_of(d_, "#frozen-banner") is not None,
             "the frozen banner, live")
        no_sideways("frozen queue")
        shot(ctx, drv, "queue-frozen-360")
        check_hygiene(drv, node, token, requests_seen(drv))
    finally:
        drv.quit()
