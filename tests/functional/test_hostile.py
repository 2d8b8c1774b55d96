"""Hostile input: a catalogue of bad requests sent over
raw sockets, each answered with its exact 4xx (docs/api.md), none with a
5xx, and the daemon answering GET /v1/health after every one of them.

The catalogue covers malformed JSON, duplicate keys, wrong types, huge
numbers, NUL bytes, invalid UTF-8, overlong hex, wrong key lengths, path
traversal and overlong ids, header abuse (huge and many headers, bad and
duplicate Content-Length, bad chunked encoding, bad Authorization),
truncated bodies and wrong methods. A treasury, an asset, tokens and a
pending proposal exist first, so that each request reaches a real route.

Requests libmicrohttpd refuses before treasuryd sees them (bad request
lines, bad framing) are answered by libmicrohttpd with a plain 4xx, not a
problem document: those entries have no slug. A truncated body (fewer
bytes than Content-Length) gets no answer until the connection timeout;
the test waits briefly, accepts silence, a close or a 4xx, and moves on.
"""

import json
import select
import socket
import time

import signers as sg
from framework import assert_equal, assert_true, TestFailure
from treasury_helpers import setup

READ_TIMEOUT_S = 5.0
TRUNCATED_WAIT_S = 0.3
SILENT = "silent-or-4xx"        # expected status of a truncated request

PK_G = "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
# 2G, compressed: a valid key that is not one of the treasury's signers
PK_2G = "02c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5"
HEX64 = "ab" * 32


# ---- raw HTTP ----

class RawResponse:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body
        try:
            self.json = json.loads(body.decode("utf-8")) if body else None
        except ValueError:
            self.json = None

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def __repr__(self):
        return "RawResponse(%r, %r)" % (self.status, self.body[:300])


def parse_response(data):
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/"):
        raise TestFailure("not an HTTP answer: %r" % data[:200])
    headers = []
    for line in lines[1:]:
        k, _, v = line.partition(b":")
        headers.append((k.decode("latin-1").strip(),
                        v.decode("latin-1").strip()))
    return RawResponse(int(parts[1]), headers, body)


def send_raw(port, data, timeout=READ_TIMEOUT_S):
    """Send bytes, read until the server closes (every request says
    Connection: close) or the timeout. Returns a RawResponse, or None when
    nothing came back before the timeout or the server closed silently."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    chunks = []
    try:
        # Send in pieces and stop once an answer is waiting (a 413 or 431
        # comes before the whole request is sent): writing on would make
        # the server's close a reset that can swallow the answer.
        try:
            for i in range(0, len(data), 8192):
                if select.select([s], [], [], 0)[0]:
                    break
                s.sendall(data[i:i + 8192])
        except (BrokenPipeError, ConnectionResetError):
            pass    # refused mid-send (e.g. too large): read the answer
        s.settimeout(timeout)
        while True:
            try:
                c = s.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                break
            if not c:
                break
            chunks.append(c)
    finally:
        s.close()
    data = b"".join(chunks)
    if not data:
        return None
    return parse_response(data)


def request_bytes(method, path, headers=(), body=None, content_length=True,
                  version="HTTP/1.1", host=True):
    """One request. headers is a list of (name, value) (str or bytes);
    Content-Length is added when there is a body unless told otherwise."""
    def b(x):
        return x if isinstance(x, bytes) else x.encode("latin-1")
    out = [b(method) + b" " + b(path) + b" " + b(version) + b"\r\n"]
    if host:
        out.append(b"Host: 127.0.0.1\r\n")
    for k, v in headers:
        out.append(b(k) + b": " + b(v) + b"\r\n")
    if body is not None and content_length:
        out.append(b"Content-Length: %d\r\n" % len(body))
    out.append(b"Connection: close\r\n\r\n")
    if body is not None:
        out.append(body)
    return b"".join(out)


# ---- the catalogue ----

class Case:
    def __init__(self, name, method, path, body=None, status=400, slug=None,
                 token="admin", ctype="application/json", headers=(),
                 raw=None, content_length=True, known=None, allow_5xx=False):
        self.name = name
        self.known = known          # a deviation from docs/api.md, reported
        self.allow_5xx = allow_5xx
        self.method = method
        self.path = path
        self.body = body.encode("utf-8") if isinstance(body, str) else body
        self.status = status
        self.slug = slug
        self.token = token
        self.ctype = ctype
        self.headers = list(headers)
        self.raw = raw
        self.content_length = content_length

    def bytes(self, tokens):
        if self.raw is not None:
            return self.raw
        h = []
        if self.token is not None:
            h.append(("Authorization", "Bearer " + tokens[self.token]))
        if self.ctype is not None and self.body is not None:
            h.append(("Content-Type", self.ctype))
        h += self.headers
        return request_bytes(self.method, self.path, h, self.body,
                             self.content_length)


def js(obj):
    return json.dumps(obj)


def catalogue(pid, tokens, signer):
    """Every hostile request. pid: a pending proposal of treasury grants,
    signer: the name of one of its signers."""
    C = []
    T = "/v1/treasuries/grants"
    P = "/v1/proposals/" + pid
    asset_ok = {"code": "EURX", "decimals": 2, "chain": "ethereum"}
    dep_ok = {"asset": "USDC", "amount": "1", "reference": "hostile-ref"}
    tr_ok = {"kind": "transfer", "asset": "USDC", "amount": "1", "to": "d"}
    vote_ok = {"signer": signer, "decision": "approve",
               "signature": "00" * 31 + "01" + "00" * 31 + "01"}
    treas_ok = {"id": "hostile", "threshold": 1,
                "signers": [{"name": "a", "key_type": "ecdsa",
                             "pubkey": PK_2G}]}

    def add(*a, **kw):
        case = Case(*a, **kw)
        taken = {x.name for x in C}
        n = 2
        base = case.name
        while case.name in taken:       # "<name> #2" for a repeated one
            case.name = "%s #%d" % (base, n)
            n += 1
        C.append(case)

    # -- malformed JSON, on every route that takes a body --
    bad_json = [
        ("open brace", b"{"),
        ("close brace", b"}"),
        ("missing value", b'{"code":}'),
        ("trailing comma", b'{"code":"USDC",}'),
        ("array top level", b"[]"),
        ("string top level", b'"USDC"'),
        ("number top level", b"123"),
        ("null top level", b"null"),
        ("true top level", b"true"),
        ("single quotes", b"{'code':'USDC'}"),
        ("trailing garbage", b'{"code":"USDC"} x'),
        ("two objects", b"{}{}"),
        ("byte order mark", b"\xef\xbb\xbf{}"),
        ("duplicate key", b'{"code":"A","code":"B"}'),
        ("duplicate key nested", b'{"a":{"x":1,"x":1}}'),
        ("escaped NUL", b'{"code":"US\\u0000DC"}'),
        ("raw NUL in string", b'{"code":"US\x00DC"}'),
        ("raw NUL after object", b"{}\x00"),
        ("invalid UTF-8 byte", b'{"code":"\xff"}'),
        ("overlong UTF-8", b'{"code":"\xc0\xaf"}'),
        ("UTF-8 surrogate", b'{"code":"\xed\xa0\x80"}'),
        ("truncated UTF-8", b'{"code":"\xe2\x82"}'),
        ("invalid UTF-8 in key", b'{"\xfe":1}'),
        ("lone surrogate escape", b'{"code":"\\ud800"}'),
        ("bad escape", b'{"code":"\\x41"}'),
        ("raw control char", b'{"code":"a\x01b"}'),
        ("raw newline in string", b'{"code":"a\nb"}'),
        ("NaN", b'{"decimals":NaN}'),
        ("Infinity", b'{"decimals":Infinity}'),
        ("real overflow", b'{"decimals":1e999}'),
        ("integer overflow", b'{"decimals":99999999999999999999999}'),
        ("leading zero number", b'{"decimals":06}'),
        ("hex number", b'{"decimals":0x10}'),
        ("comment", b'{/* c */"code":"USDC"}'),
        ("unterminated string", b'{"code":"USDC'),
        ("unterminated object", b'{"code":"USDC"'),
        ("nesting 9", b'{"a":' + b"[" * 8 + b"]" * 8 + b"}"),
        ("nesting 10000", b"[" * 10000),
        ("whitespace only", b"   \r\n\t "),
        # jansson quotes the bad token, cut inside a UTF-8 character
        ("error text with half a character",
         b'{"code":"caf\\u3\xc8\x9a\xc6\xdd"}'),
    ]
    body_routes = [("POST", "/v1/assets", "admin"),
                   ("POST", "/v1/treasuries", "admin"),
                   ("POST", T + "/deposits", "treasurer"),
                   ("POST", T + "/proposals", "signer"),
                   ("POST", P + "/votes", "signer"),
                   ("POST", P + "/settlement", "treasurer")]
    for i, (what, body) in enumerate(bad_json):
        # each malformation on two routes, rotating over all of them
        for method, path, tok in (body_routes[i % len(body_routes)],
                                  body_routes[(i + 3) % len(body_routes)]):
            add("json %s -> %s" % (what, path), method, path, body, 400,
                "invalid-json", token=tok)
    for method, path, tok in body_routes:
        add("empty body with content type -> " + path, method, path, b"", 400,
            "invalid-json", token=tok)

    # -- media type --
    for ct in ["text/plain", "application/jsonp", "application/x-www-form-"
               "urlencoded", "text/json", "json", "application/json5",
               "multipart/form-data; boundary=x", None]:
        add("content type %r on assets" % ct, "POST", "/v1/assets",
            js(asset_ok), 415, "unsupported-media-type", ctype=ct)
    add("content type missing on cancel with body", "POST", P + "/cancel",
        b"{}", 415, "unsupported-media-type", token="signer", ctype=None)

    # -- unknown, missing fields, wrong types --
    add("asset unknown field", "POST", "/v1/assets",
        js(dict(asset_ok, extra=1)), 400, "unknown-field")
    # the detail quotes 64 bytes of the key: cut inside a character
    add("asset unknown field cut inside UTF-8", "POST", "/v1/assets",
        js(dict(asset_ok, **{"a" + "\u00e9" * 40: 1})), 400, "unknown-field")
    add("asset missing code", "POST", "/v1/assets",
        js({"decimals": 2, "chain": "x"}), 400, "missing-field")
    add("asset missing chain", "POST", "/v1/assets",
        js({"code": "EURX", "decimals": 2}), 400, "missing-field")
    for val, what in [("6", "string"), (6.0, "real"), (True, "bool"),
                      (None, "null"), ([6], "array"), ({"v": 6}, "object")]:
        add("asset decimals %s" % what, "POST", "/v1/assets",
            js(dict(asset_ok, decimals=val)), 400, "field-type")
    for val in [19, -1, 2 ** 40, 2 ** 63 - 1, -2 ** 63]:
        add("asset decimals %d" % val, "POST", "/v1/assets",
            js(dict(asset_ok, decimals=val)), 400, "decimals")
    add("asset code number", "POST", "/v1/assets", js(dict(asset_ok, code=1)),
        400, "field-type")
    add("asset code empty", "POST", "/v1/assets", js(dict(asset_ok, code="")),
        400, "asset-code")
    add("asset code 33 chars", "POST", "/v1/assets",
        js(dict(asset_ok, code="A" * 33)), 400, "asset-code")
    add("asset code traversal", "POST", "/v1/assets",
        js(dict(asset_ok, code="../etc")), 400, "asset-code")
    add("asset code unicode", "POST", "/v1/assets",
        js(dict(asset_ok, code="US\u0110C")), 400, "asset-code")
    add("asset code 100 KB", "POST", "/v1/assets",
        js(dict(asset_ok, code="A" * 100000)), 413, "body-too-large")
    add("asset chain upper", "POST", "/v1/assets",
        js(dict(asset_ok, chain="Ethereum")), 400, "chain")
    add("asset chain 33", "POST", "/v1/assets",
        js(dict(asset_ok, chain="a" * 33)), 400, "chain")
    add("asset chain list", "POST", "/v1/assets",
        js(dict(asset_ok, chain=["x"])), 400, "field-type")
    add("asset exists other case", "POST", "/v1/assets",
        js({"code": "usdc", "decimals": 6, "chain": "ethereum"}), 409,
        "asset-exists")

    # treasuries
    def treas(**kw):
        return js(dict(treas_ok, **kw))
    add("treasury id upper", "POST", "/v1/treasuries", treas(id="Bad"), 400,
        "treasury-id")
    add("treasury id traversal", "POST", "/v1/treasuries", treas(id="../x"),
        400, "treasury-id")
    add("treasury id 33", "POST", "/v1/treasuries", treas(id="a" * 33), 400,
        "treasury-id")
    add("treasury id number", "POST", "/v1/treasuries", treas(id=7), 400,
        "field-type")
    add("treasury name 129", "POST", "/v1/treasuries", treas(name="n" * 129),
        400, "treasury-name")
    add("treasury name bidi", "POST", "/v1/treasuries",
        treas(name="a\u202eb"), 400, "treasury-name")
    add("treasury signers empty", "POST", "/v1/treasuries", treas(signers=[]),
        400, "list-length")
    add("treasury signers 33", "POST", "/v1/treasuries",
        treas(signers=[{"name": "s%d" % i, "key_type": "ecdsa",
                        "pubkey": PK_2G} for i in range(33)]),
        400, "list-length")
    add("treasury signers object", "POST", "/v1/treasuries",
        treas(signers={"a": 1}), 400, "field-type")
    add("treasury signer not object", "POST", "/v1/treasuries",
        treas(signers=["alice"]), 400, "field-type")
    add("treasury signer extra field", "POST", "/v1/treasuries",
        treas(signers=[{"name": "a", "key_type": "ecdsa", "pubkey": PK_2G,
                        "weight": 2}]), 400, "unknown-field")
    add("treasury key type rsa", "POST", "/v1/treasuries",
        treas(signers=[{"name": "a", "key_type": "rsa", "pubkey": PK_2G}]),
        400, "key-type")
    add("treasury key type upper", "POST", "/v1/treasuries",
        treas(signers=[{"name": "a", "key_type": "ECDSA", "pubkey": PK_2G}]),
        400, "key-type")
    for pk, slug, what in [
            (PK_2G[:-2], "pubkey", "32 bytes for ecdsa"),
            (PK_2G + "00", "pubkey", "34 bytes"),
            (PK_2G[:-1], "hex-length", "odd length"),
            ("04" + "11" * 64, "pubkey", "uncompressed"),
            ("04" + "11" * 65, "hex-length", "66 bytes"),
            ("zz" + PK_2G[2:], "hex-char", "non hex"),
            ("05" + PK_2G[2:], "pubkey", "bad prefix"),
            ("02" + "ff" * 32, "pubkey", "x not on curve"),
            ("", "hex-length", "empty"),
            ("0x" + PK_2G[2:], "hex-char", "0x prefix"),
            (PK_2G * 100, "hex-length", "overlong 3 KB")]:
        add("treasury ecdsa pubkey " + what, "POST", "/v1/treasuries",
            treas(signers=[{"name": "a", "key_type": "ecdsa", "pubkey": pk}]),
            400, slug)
    add("treasury schnorr pubkey 33 bytes", "POST", "/v1/treasuries",
        treas(signers=[{"name": "a", "key_type": "schnorr", "pubkey": PK_2G}]),
        400, "pubkey")
    add("treasury schnorr pubkey zero", "POST", "/v1/treasuries",
        treas(signers=[{"name": "a", "key_type": "schnorr",
                        "pubkey": "00" * 32}]), 400, "pubkey")
    add("treasury duplicate signer", "POST", "/v1/treasuries",
        treas(signers=[{"name": "a", "key_type": "ecdsa", "pubkey": PK_2G},
                       {"name": "a", "key_type": "ecdsa", "pubkey": PK_G}]),
        422, "duplicate-signer")
    add("treasury duplicate key across types", "POST", "/v1/treasuries",
        treas(signers=[{"name": "a", "key_type": "ecdsa", "pubkey": PK_2G},
                       {"name": "b", "key_type": "schnorr",
                        "pubkey": PK_2G[2:]}]), 422, "duplicate-key")
    for th in [0, 2, 2 ** 40, -1]:
        add("treasury threshold %d" % th, "POST", "/v1/treasuries",
            treas(threshold=th), 422, "threshold")
    add("treasury threshold string", "POST", "/v1/treasuries",
        treas(threshold="1"), 400, "field-type")
    add("treasury exists", "POST", "/v1/treasuries", treas(id="grants"), 409,
        "treasury-exists")

    # deposits
    def dep(**kw):
        d = dict(dep_ok, **kw)
        return js({k: v for k, v in d.items() if v is not Ellipsis})
    D = T + "/deposits"
    amount_cases = [
        (1.5, 400, "field-type"), (1, 400, "field-type"),
        (None, 400, "field-type"), ("", 400, "amount-empty"),
        ("-1", 400, "amount-sign"), ("+1", 400, "amount-sign"),
        ("1e6", 400, "amount-exponent"), ("1E6", 400, "amount-exponent"),
        (" 1", 400, "amount-space"), ("1 ", 400, "amount-space"),
        ("01", 400, "amount-leading-zero"), ("00.5", 400,
                                             "amount-leading-zero"),
        ("1.", 400, "amount-syntax"), (".5", 400, "amount-syntax"),
        ("1,5", 400, "amount-syntax"), ("0x10", 400, "amount-syntax"),
        ("\uff11", 400, "amount-syntax"), ("1.2.3", 400, "amount-syntax"),
        ("9" * 81, 400, "amount-too-long"),
        ("9" * 80, 422, "amount-overflow"),
        ("340282366920938463463374607431768.211456", 422, "amount-overflow"),
        ("340282366920938463463374607431768211456", 422, "amount-overflow"),
        ("0", 422, "amount-zero"), ("0.000000", 422, "amount-zero"),
        ("1.1234567", 422, "amount-fraction-digits"),
        ("1.0000000", 422, "amount-fraction-digits"),
    ]
    for amt, st, slug in amount_cases:
        add("deposit amount %r (%s)" % (amt if not isinstance(amt, str)
                                         else amt[:20], slug),
            "POST", D, dep(amount=amt), st, slug, token="treasurer")
    add("deposit asset unknown", "POST", D, dep(asset="EUR"), 422,
        "unknown-asset", token="treasurer")
    add("deposit asset lower case", "POST", D, dep(asset="usdc"), 422,
        "unknown-asset", token="treasurer")
    add("deposit asset bad code", "POST", D, dep(asset="US DC"), 400,
        "asset-code", token="treasurer")
    add("deposit missing reference", "POST", D, dep(reference=Ellipsis), 400,
        "missing-field", token="treasurer")
    for ref, what in [("", "empty"), (" x", "leading space"),
                      ("x ", "trailing space"), ("r" * 129, "129 chars"),
                      ("a\u007fb", "DEL"), ("a\tb", "tab"),
                      ("caf\u00e9", "non ASCII"), ("a\nb", "newline")]:
        add("deposit reference " + what, "POST", D, dep(reference=ref), 400,
            "reference", token="treasurer")
    add("deposit reference number", "POST", D, dep(reference=5), 400,
        "field-type", token="treasurer")
    add("deposit source empty", "POST", D, dep(source=""), 400,
        "invalid-field", token="treasurer")
    add("deposit source null", "POST", D, dep(source=None), 400,
        "field-type", token="treasurer")
    add("deposit memo object", "POST", D, dep(memo={}), 400, "field-type",
        token="treasurer")
    add("deposit memo 257 bytes", "POST", D, dep(memo="m" * 257), 400,
        "memo-too-long", token="treasurer")
    for ch, what in [("\u202e", "bidi override"), ("\u200b", "zero width"),
                     ("\ufeff", "BOM"), ("\u0007", "bell"),
                     ("\u0085", "C1 NEL"), ("\u2028", "line separator"),
                     ("\ufffe", "noncharacter"), ("\U0010ffff",
                                                  "plane 16 nonchar")]:
        add("deposit memo " + what, "POST", D, dep(memo="a" + ch), 400,
            "memo-char", token="treasurer")
    add("deposit unknown field", "POST", D, dep(fee="1"), 400,
        "unknown-field", token="treasurer")
    add("deposit reference conflict", "POST", D,
        dep(reference="seed-1", amount="2"), 409, "reference-conflict",
        token="treasurer")
    add("deposit by signer token", "POST", D, dep(), 403, "forbidden",
        token="signer")
    add("deposit by viewer token", "POST", D, dep(), 403, "forbidden",
        token="viewer")
    add("deposit to unknown treasury", "POST",
        "/v1/treasuries/nosuch/deposits", dep(), 404, "unknown-treasury",
        token="treasurer")

    # proposals
    PR = T + "/proposals"

    def prop(**kw):
        d = dict(tr_ok, **kw)
        return js({k: v for k, v in d.items() if v is not Ellipsis})
    add("proposal kind missing", "POST", PR, prop(kind=Ellipsis), 400,
        "missing-field", token="signer")
    for kind in ["arbitrary-call", "TRANSFER", "", "transfer ",
                 "delegatecall", "a" + "\u00e9" * 30]:
        add("proposal kind %r" % kind[:20], "POST", PR, prop(kind=kind), 400,
            "kind", token="signer")
    add("proposal kind number", "POST", PR, prop(kind=1), 400, "field-type",
        token="signer")
    add("proposal nonce field", "POST", PR, prop(nonce=1), 400,
        "unknown-field", token="signer")
    add("proposal instance field", "POST", PR, prop(instance=HEX64), 400,
        "unknown-field", token="signer")
    add("proposal transfer with transfers", "POST", PR, prop(transfers=[]),
        400, "unknown-field", token="signer")
    for exp, st, slug in [("2026-13-01T00:00:00Z", 400, "timestamp"),
                          ("2026-02-30T00:00:00Z", 400, "timestamp"),
                          ("2026-01-01 00:00:00Z", 400, "timestamp"),
                          ("2026-01-01T00:00:00+00:00", 400, "timestamp"),
                          ("2026-01-01T00:00:00.000Z", 400, "timestamp"),
                          ("1970-01-01T00:00:00Z", 422, "expiry-too-soon"),
                          ("9999-12-31T23:59:59Z", 422, "expiry-too-late"),
                          (1893456000, 400, "field-type")]:
        add("proposal expires %r" % exp, "POST", PR, prop(expires_at=exp),
            st, slug, token="signer")
    for to, what in [("", "empty"), ("a b", "space"), ("d" * 129, "129"),
                     ("caf\u00e9", "non ASCII"), ("a\u0000b", "NUL")]:
        add("proposal to " + what, "POST", PR, prop(to=to),
            400, "invalid-json" if "\u0000" in to else "destination",
            token="signer")
    add("proposal asset unknown", "POST", PR, prop(asset="EUR"), 422,
        "unknown-asset", token="signer")
    add("proposal amount number", "POST", PR, prop(amount=1), 400,
        "field-type", token="signer")
    add("proposal amount too many digits", "POST", PR,
        prop(amount="0.0000001"), 422, "amount-fraction-digits",
        token="signer")
    add("batch empty", "POST", PR, js({"kind": "batch", "transfers": []}),
        400, "list-length", token="signer")
    add("batch 65", "POST", PR,
        js({"kind": "batch", "transfers": [
            {"asset": "USDC", "amount": "1", "to": "d"}] * 65}),
        400, "list-length", token="signer")
    add("batch item string", "POST", PR,
        js({"kind": "batch", "transfers": ["x"]}), 400, "field-type",
        token="signer")
    add("batch item extra", "POST", PR,
        js({"kind": "batch", "transfers": [
            {"asset": "USDC", "amount": "1", "to": "d", "x": 1}]}),
        400, "unknown-field", token="signer")
    add("batch item 3 unknown asset", "POST", PR,
        js({"kind": "batch", "transfers": [
            {"asset": "USDC", "amount": "1", "to": "d"}] * 3 +
            [{"asset": "NOPE", "amount": "1", "to": "d"}]}),
        422, "unknown-asset", token="signer")
    add("batch transfers object", "POST", PR,
        js({"kind": "batch", "transfers": {}}), 400, "field-type",
        token="signer")
    add("add-signer signer string", "POST", PR,
        js({"kind": "add-signer", "signer": "dave"}), 400, "field-type",
        token="signer")
    add("add-signer missing signer", "POST", PR, js({"kind": "add-signer"}),
        400, "missing-field", token="signer")
    add("add-signer bad key", "POST", PR,
        js({"kind": "add-signer", "signer": {"name": "dave",
                                             "key_type": "ecdsa",
                                             "pubkey": "02" + "00" * 32}}),
        400, "pubkey", token="signer")
    add("remove-signer object", "POST", PR,
        js({"kind": "remove-signer", "signer": {"name": "carol"}}), 400,
        "field-type", token="signer")
    add("remove-signer bad name", "POST", PR,
        js({"kind": "remove-signer", "signer": "Carol!"}), 400, "signer-name",
        token="signer")
    add("replace-signer missing key", "POST", PR,
        js({"kind": "replace-signer", "signer": "carol"}), 400,
        "missing-field", token="signer")
    for th, st, slug in [(0, 422, "threshold"), (33, 422, "threshold"),
                         (2 ** 53, 422, "threshold"), ("3", 400,
                                                       "field-type"),
                         (2.5, 400, "field-type"), (None, 400, "field-type")]:
        add("set-threshold %r" % (th,), "POST", PR,
            js({"kind": "set-threshold", "new_threshold": th}), st, slug,
            token="signer")
    add("proposal by treasurer token", "POST", PR, prop(), 403, "forbidden",
        token="treasurer")
    add("proposal on unknown treasury", "POST",
        "/v1/treasuries/nosuch/proposals", prop(), 404, "unknown-treasury",
        token="signer")

    # votes
    V = P + "/votes"

    def vote(**kw):
        d = dict(vote_ok, **kw)
        return js({k: v for k, v in d.items() if v is not Ellipsis})
    for sig, st, slug, what in [
            ("zz" * 64, 400, "signature-encoding", "non hex"),
            ("00" * 73, 400, "signature-encoding", "73 bytes"),
            ("00" * 7, 400, "signature-encoding", "7 bytes"),
            ("0" * 127, 400, "signature-encoding", "odd length"),
            ("", 400, "signature-encoding", "empty"),
            ("ab" * 5000, 400, "signature-encoding", "10 KB hex"),
            ("00" * 64, 400, "signature-encoding", "r = s = 0"),
            ("ff" * 64, 400, "signature-encoding", "r, s >= n"),
            ("3006020101020101" + "00", 400, "signature-encoding",
             "DER trailing byte"),
            ("3007020200010201" + "01", 400, "signature-encoding",
             "DER non-minimal"),
            ("3006020181020101", 400, "signature-encoding",
             "DER negative r"),
            ("00" * 32 + "00" * 31 + "01", 400, "signature-encoding",
             "r = 0"),
            ("00" * 31 + "01" + "7f" + "ff" * 31, 422, "signature-high-s",
             "high s"),
            ("00" * 31 + "01" + "00" * 31 + "01", 422, "signature-invalid",
             "r = s = 1"),
            ("3006020101020101", 422, "signature-invalid", "DER r = s = 1")]:
        add("vote signature " + what, "POST", V, vote(signature=sig), st,
            slug, token="signer")
    add("vote signature number", "POST", V, vote(signature=1), 400,
        "field-type", token="signer")
    add("vote decision maybe", "POST", V, vote(decision="maybe"), 400,
        "invalid-field", token="signer")
    add("vote decision upper", "POST", V, vote(decision="APPROVE"), 400,
        "invalid-field", token="signer")
    add("vote decision null", "POST", V, vote(decision=None), 400,
        "field-type", token="signer")
    add("vote signer unknown", "POST", V, vote(signer="mallory"), 422,
        "unknown-signer", token="signer")
    add("vote signer bad name", "POST", V, vote(signer="../" + signer), 400,
        "signer-name", token="signer")
    add("vote missing signature", "POST", V, vote(signature=Ellipsis), 400,
        "missing-field", token="signer")
    add("vote extra field", "POST", V, vote(weight=100), 400,
        "unknown-field", token="signer")
    add("vote by viewer", "POST", V, vote(), 403, "forbidden",
        token="viewer")

    # cancel, execute, settlement, bundle
    add("cancel with member", "POST", P + "/cancel", js({"force": True}),
        400, "unknown-field", token="signer")
    add("cancel by other signer token", "POST", P + "/cancel", b"", 403,
        "not-proposer", token="signer2", ctype=None)
    add("execute pending", "POST", P + "/execute", b"", 409, "not-approved",
        token="treasurer", ctype=None)
    add("execute with member", "POST", P + "/execute", js({"x": 1}), 400,
        "unknown-field", token="treasurer")
    add("execute by signer", "POST", P + "/execute", b"", 403, "forbidden",
        token="signer", ctype=None)
    add("settlement not executed", "POST", P + "/settlement",
        js({"reference": "0xabc"}), 409, "not-executed", token="treasurer")
    add("settlement reference space", "POST", P + "/settlement",
        js({"reference": "0x a"}), 400, "reference", token="treasurer")
    add("bundle not executed", "GET", P + "/bundle", None, 409,
        "not-executed", token="viewer")

    # -- path ids: traversal, overlong, bad bytes --
    for seg, what in [("..", "dot dot"), ("%2e%2e", "encoded dot dot"),
                      ("GRANTS", "upper case"), ("a" * 33, "33 chars"),
                      ("a" * 1500, "1500 chars"), ("%ff%fe", "bytes ff fe"),
                      ("gr%20ants", "space"), ("-grants", "leading dash"),
                      ("grants%0a", "newline"), ("%c3%a9", "e acute"),
                      ("nosuch", "unknown")]:
        add("treasury path " + what, "GET", "/v1/treasuries/" + seg, None,
            404, "unknown-treasury", token="viewer")
        add("treasury balances path " + what, "GET",
            "/v1/treasuries/%s/balances" % seg, None, 404,
            "unknown-treasury", token="viewer")
    for seg, what in [(pid[:-1], "63 hex"), (pid + "0", "65 hex"),
                      ("g" * 64, "non hex"), ("..", "dot dot"),
                      (pid[:-2] + "%ff", "byte ff"), ("0x" + pid[2:], "0x"),
                      ("%20" + pid[1:], "encoded space"), (HEX64, "unknown"),
                      ("0" * 1900, "1900 zeros")]:
        add("proposal path " + what, "GET", "/v1/proposals/" + seg, None, 404,
            "unknown-proposal", token="viewer")
        add("vote path " + what, "POST", "/v1/proposals/%s/votes" % seg,
            vote(), 404, "unknown-proposal", token="signer")
    # The path is percent-decoded before routing: %2f is a separator.
    # %2F is not decoded (api/server.c url_unescape): one segment, a
    # malformed proposal id
    add("proposal path encoded traversal", "GET", "/v1/proposals/"
        "%2e%2e%2f%2e%2e", None, 404, "unknown-proposal", token="viewer")
    add("proposal path 4000 zeros", "GET", "/v1/proposals/" + "0" * 4000,
        None, 414, "uri-too-long", token="viewer")
    add("proposal path upper hex served", "GET", "/v1/proposals/" +
        pid.upper(), None, 200, None, token="viewer")
    for path in ["/v1/../v1/health/x", "/v1/treasuries/grants/../../assets",
                 "/v1/treasuries/", "/v1/treasuries//balances",
                 "/v1//assets", "/V1/health", "/v1/health/", "/v2/health",
                 "/v1", "/v1/assets/USDC", "/.well-known/x",
                 "/v1/proposals/" + pid + "/votes/x",
                 "/v1/treasuries/grants/balances/..", "//v1/health",
                 "/v1/test/clocks"]:
        add("unknown path %s" % path[:40], "GET", path, None, 404,
            "not-found", token="viewer")
    add("path 2047 bytes", "GET", "/v1/treasuries/" + "a" * 2032, None, 404,
        "unknown-treasury", token="viewer")
    add("path 2048 bytes", "GET", "/v1/treasuries/" + "a" * 2033, None, 414,
        "uri-too-long", token="viewer")
    add("path 8 KB", "GET", "/v1/" + "a" * 8000, None, 414, "uri-too-long",
        token="viewer")

    # -- query strings --
    L = T + "/ledger"
    for q, what in [("limit=0", "limit 0"), ("limit=501", "limit 501"),
                    ("limit=-1", "limit -1"), ("limit=1e2", "limit 1e2"),
                    ("limit=01", "limit 01"), ("limit=", "limit empty"),
                    ("limit=99999999999999999999999", "limit huge"),
                    ("limit=%00", "limit NUL"),
                    ("cursor=abc", "cursor abc"), ("cursor=-1", "cursor -1"),
                    ("cursor=99999999999999999999", "cursor huge"),
                    ("cursor=9223372036854775808", "cursor 2^63"),
                    ("x=1", "unknown"), ("limit=1&limit=2", "repeated"),
                    ("%ff=1", "key byte ff"), ("status=pending",
                                               "status on ledger")]:
        add("ledger query " + what, "GET", L + "?" + q, None, 400,
            "invalid-query", token="viewer")
    for q in ["status=bogus", "status=", "status=PENDING",
              "status=pending&status=approved"]:
        add("proposals query " + q, "GET", T + "/proposals?" + q, None, 400,
            "invalid-query", token="viewer")
    add("treasuries cursor bad", "GET", "/v1/treasuries?cursor=..", None,
        400, "invalid-query", token="viewer")
    add("balances unknown param", "GET", T + "/balances?debug=1", None, 400,
        "invalid-query", token="viewer")

    # -- auth headers --
    for auth, what in [(None, "missing"), ("Bearer", "Bearer only"),
                       ("Bearer ", "Bearer space"), ("Basic YWRtaW46eA==",
                                                     "Basic"),
                       ("Bearer " + "a" * 600, "600 bytes"),
                       ("Bearer trd_" + "0" * 64, "unknown token"),
                       ("Bearer\t" + "x", "tab"),
                       ("Token abc", "other scheme")]:
        h = [] if auth is None else [("Authorization", auth)]
        add("auth " + what, "GET", "/v1/info", None, 401, "unauthorized",
            token=None, headers=h)
    add("auth admin token with trailing garbage", "GET", "/v1/info", None,
        401, "unauthorized", token=None,
        headers=[("Authorization", "Bearer " + tokens["admin"] + "x")])
    add("assets create by viewer", "POST", "/v1/assets", js(asset_ok), 403,
        "forbidden", token="viewer")
    add("test clock without flag", "POST", "/v1/test/clock",
        js({"advance_s": 10}), 404, "not-found")

    # -- wrong methods --
    for method, path in [("DELETE", "/v1/health"), ("PUT", "/v1/assets"),
                         ("PATCH", T), ("POST", "/v1/health"),
                         ("POST", "/v1/info"), ("GET", T + "/deposits"),
                         ("POST", T + "/balances"), ("POST", T + "/ledger"),
                         ("POST", P), ("GET", P + "/votes"),
                         ("GET", P + "/cancel"), ("GET", P + "/execute"),
                         ("POST", P + "/bundle"), ("GET", P + "/settlement"),
                         ("DELETE", T + "/proposals"), ("OPTIONS", T),
                         ("get", "/v1/health"), ("GETX", "/v1/health"),
                         ("M" * 500, "/v1/health"), ("GET", "/v1/test/clock")]:
        add("method %s %s" % (method[:10], path[-30:]), method, path, None,
            405, "method-not-allowed", token="viewer")

    # -- header abuse and framing (raw) --
    tok = tokens["admin"]
    auth = ("Authorization", "Bearer " + tok)
    ok_body = js(asset_ok).encode()
    add("header 10 KB", "GET", "/v1/info", None, 200, None, token="viewer",
        headers=[("X-Pad", "p" * 10000)])
    add("header 100 KB", "GET", "/v1/info", None, 431, None, token="viewer",
        headers=[("X-Pad", "p" * 100000)])
    add("1000 headers", "GET", "/v1/info", None, 431, None, token="viewer",
        headers=[("X-H%d" % i, "v" * 60) for i in range(1000)])
    add("200 small headers", "GET", "/v1/info", None, 200, None,
        token="viewer", headers=[("X-H%d" % i, "v") for i in range(200)])
    add("two Authorization headers", "GET", "/v1/info", None, 200, None,
        token="viewer", headers=[("Authorization", "Bearer nope")])
    add("header without colon", "GET", "/v1/health", raw=
        b"GET /v1/health HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n"
        b"Connection: close\r\n\r\n", status=400)
    # libmicrohttpd 0.9.75 accepts these even with
    # MHD_OPTION_STRICT_FOR_CLIENT (which does refuse a missing Host):
    # served, harmlessly, since no handler reads these headers.
    add("header name with space", "GET", "/v1/health", raw=
        b"GET /v1/health HTTP/1.1\r\nHost: x\r\nBad Name: v\r\n"
        b"Connection: close\r\n\r\n", status=200,
        known="MHD 0.9.75 accepts it in strict mode")
    add("NUL in header value", "GET", "/v1/health", raw=
        b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX: a\x00b\r\n"
        b"Connection: close\r\n\r\n", status=200,
        known="MHD 0.9.75 accepts it in strict mode")
    add("no Host on HTTP/1.1", "GET", "/v1/health", raw=
        b"GET /v1/health HTTP/1.1\r\nConnection: close\r\n\r\n",
        status=400)
    add("NUL in path", "GET", "/v1/health", raw=
        b"GET /v1/hea\x00lth HTTP/1.1\r\nHost: x\r\n"
        b"Connection: close\r\n\r\n", status=404, slug="not-found")
    # %00 is never decoded (server.c url_unescape): no NUL can cut a path
    # or a query value short.
    add("encoded NUL in path", "GET", "/v1/health%00/x", None, 404,
        "not-found", token=None)
    add("encoded NUL in query value", "GET",
        "/v1/treasuries/grants/ledger?limit=1%00x", None, 400,
        "invalid-query", token="viewer")
    # RFC 9110 §15.6.6: the one 5xx a client can cause, by design.
    add("HTTP/9.9", "GET", "/v1/health", raw=
        b"GET /v1/health HTTP/9.9\r\nHost: x\r\nConnection: close\r\n\r\n",
        status=505, allow_5xx=True, known="505 from MHD for HTTP/9.9")
    add("HTTP/1.2", "GET", "/v1/health", raw=
        b"GET /v1/health HTTP/1.2\r\nHost: x\r\nConnection: close\r\n\r\n",
        status=200)
    add("garbage request line", "GET", "/v1/health", raw=
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",
        status=SILENT)
    add("request line only spaces", "GET", "/v1/health", raw=
        b"   \r\nHost: x\r\n\r\n", status=SILENT)
    add("Content-Length letters", "POST", "/v1/assets", raw=request_bytes(
        "POST", "/v1/assets", [auth, ("Content-Type", "application/json"),
                               ("Content-Length", "abc")], ok_body,
        content_length=False), status=400)
    add("Content-Length negative", "POST", "/v1/assets", raw=request_bytes(
        "POST", "/v1/assets", [auth, ("Content-Type", "application/json"),
                               ("Content-Length", "-1")], ok_body,
        content_length=False), status=400)
    add("Content-Length 2^64", "POST", "/v1/assets", raw=request_bytes(
        "POST", "/v1/assets", [auth, ("Content-Type", "application/json"),
                               ("Content-Length", "18446744073709551616")],
        ok_body, content_length=False), status=413)
    add("Content-Length 1 MiB", "POST", "/v1/assets", raw=request_bytes(
        "POST", "/v1/assets", [auth, ("Content-Type", "application/json"),
                               ("Content-Length", "1048576")],
        b"{", content_length=False), status=413, slug="body-too-large")
    # Two Content-Length headers are refused (RFC 9112 §6.3).
    add("duplicate Content-Length differing", "POST", "/v1/assets",
        raw=request_bytes("POST", "/v1/assets",
                          [auth, ("Content-Type", "application/json"),
                           ("Content-Length", "2"),
                           ("Content-Length", "5")], b"{}   ",
                          content_length=False), status=400,
        slug="invalid-header")
    add("body 64 KiB + 1", "POST", "/v1/assets",
        b"{" + b" " * 65535 + b"}", 413, "body-too-large")
    add("body 1 MiB", "POST", T + "/deposits", b" " * (1 << 20), 413,
        "body-too-large", token="treasurer")
    chunked = [auth, ("Content-Type", "application/json"),
               ("Transfer-Encoding", "chunked")]
    add("chunked bad size", "POST", "/v1/assets", raw=request_bytes(
        "POST", "/v1/assets", chunked, b"zz\r\n{}\r\n0\r\n\r\n",
        content_length=False), status=400)
    add("chunked size overflow", "POST", "/v1/assets", raw=request_bytes(
        "POST", "/v1/assets", chunked,
        b"ffffffffffffffffffff\r\n{}\r\n0\r\n\r\n", content_length=False),
        status=SILENT)
    # A chunked body over body_max_bytes is read to its end, dropped, and
    # answered 413 (MHD cannot answer in the middle of an upload).
    add("chunked 70000 bytes", "POST", "/v1/assets", raw=request_bytes(
        "POST", "/v1/assets", chunked,
        b"11170\r\n" + b" " * 70000 + b"\r\n0\r\n\r\n",
        content_length=False), status=413, slug="body-too-large")
    add("chunked 40000 + 40000 bytes", "POST", "/v1/assets",
        raw=request_bytes("POST", "/v1/assets", chunked,
                          (b"9c40\r\n" + b" " * 40000 + b"\r\n") * 2 +
                          b"0\r\n\r\n", content_length=False),
        status=413, slug="body-too-large")
    add("chunked valid small", "POST", "/v1/assets", raw=request_bytes(
        "POST", "/v1/assets", chunked, b"2\r\n{}\r\n0\r\n\r\n",
        content_length=False), status=400, slug="missing-field")
    add("chunked and Content-Length", "POST", "/v1/assets", raw=request_bytes(
        "POST", "/v1/assets", chunked + [("Content-Length", "2")],
        b"2\r\n{}\r\n0\r\n\r\n", content_length=False), status=400)
    add("truncated body", "POST", "/v1/assets", raw=request_bytes(
        "POST", "/v1/assets", [auth, ("Content-Type", "application/json"),
                               ("Content-Length", "100")], b'{"code":',
        content_length=False), status=SILENT)
    add("truncated headers", "GET", "/v1/health",
        raw=b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Half: ab",
        status=SILENT)
    add("truncated chunked body", "POST", "/v1/assets", raw=request_bytes(
        "POST", "/v1/assets", chunked, b"10\r\n{\"co", content_length=False),
        status=SILENT)
    add("HTTP/1.0 without Host", "GET", "/v1/health", raw=
        b"GET /v1/health HTTP/1.0\r\n\r\n", status=200)
    add("absolute URI", "GET", "/v1/health", raw=
        b"GET http://127.0.0.1/v1/health HTTP/1.1\r\nHost: x\r\n"
        b"Connection: close\r\n\r\n", status=404, slug="not-found")
    add("asterisk URI", "GET", "*", None, 404, "not-found", token=None)
    return C


# ---- the test ----

def check_answer(case, resp):
    what = "%s: %r" % (case.name, resp)
    if case.status == SILENT:
        assert_true(resp is None or 400 <= resp.status < 500,
                    "%s: silence or a 4xx wanted" % what)
        return
    assert_true(resp is not None, "%s: no answer" % case.name)
    assert_true(resp.status < 500 or case.allow_5xx, "%s: 5xx" % what)
    assert_equal(resp.status, case.status, "status of " + what)
    if case.slug is not None:
        assert_equal(resp.header("Content-Type"), "application/problem+json",
                     "content type of " + what)
        body = resp.json
        assert_true(isinstance(body, dict), "problem body of " + what)
        for key in ("type", "title", "status", "detail"):
            assert_true(key in body, "%s: problem lacks %s" % (what, key))
        assert_equal(body["type"], "urn:treasuryd:problem:" + case.slug,
                     "problem type of " + what)
        assert_equal(body["status"], case.status, "problem status of " + what)
    if case.status == 405 and case.slug is not None:
        assert_true(resp.header("Allow"), "%s: 405 without Allow" % what)
    if case.status == 401 and case.slug is not None:
        assert_true((resp.header("WWW-Authenticate") or "").startswith(
            "Bearer"), "%s: 401 without WWW-Authenticate" % what)


def health_ok(port):
    r = send_raw(port, request_bytes("GET", "/v1/health"))
    assert_true(r is not None and r.status == 200 and
                r.json == {"status": "ok"}, "health after: %r" % (r,))


def test_hostile_catalogue(ctx):
    node, c = setup(ctx)
    c.asset_ok("USDC", 6)
    alice, bob, carol = sg.signers("grants", "eee")
    c.treasury_ok("grants", 2, [alice, bob, carol])
    c.deposit_ok("grants", "USDC", "100", "seed-1")
    p = c.transfer_ok("grants", "USDC", "1", to="dest")
    tokens = {"admin": node.admin_token, "treasurer": c.treasurer,
              "signer": c.signer_token, "viewer": c.viewer,
              "signer2": c.token("signer", name="signer-two")}
    cases = catalogue(p["id"], tokens, alice.name)
    assert_true(len(cases) >= 200, "catalogue of %d cases" % len(cases))
    names = [x.name for x in cases]
    dup = {n for n in names if names.count(n) > 1}
    assert_true(not dup, "case names unique: %r" % dup)

    failures = []
    t0 = time.monotonic()
    for case in cases:
        timeout = TRUNCATED_WAIT_S if case.status == SILENT else READ_TIMEOUT_S
        try:
            resp = send_raw(node.port, case.bytes(tokens), timeout)
            check_answer(case, resp)
        except (TestFailure, OSError) as e:
            failures.append("%s: %s" % (case.name, e))
        health_ok(node.port)
    elapsed = time.monotonic() - t0
    assert_true(not failures, "%d of %d hostile cases failed:\n%s" % (
        len(failures), len(cases), "\n".join(failures)))

    # Nothing was changed by the catalogue: the proposal is still pending,
    # the balance is the seed deposit, and valid requests are served.
    assert_equal(c.get_proposal(p["id"])["status"], "pending",
                 "proposal untouched")
    assert_equal(c.balances("grants"), {"USDC": "100.000000"},
                 "balance untouched")
    c.asset_ok("EURX", 2)
    print("  %d hostile requests in %.1f s; known deviations:\n    %s" % (
        len(cases), elapsed, "\n    ".join(
            "%s: %s" % (x.name, x.known) for x in cases if x.known)))
