"""docs/openapi.yaml against what the daemon serves.

Every route the daemon serves must be described in docs/openapi.yaml and
every route described there must be served. What is served is read two
ways, without any help from the daemon:
  - statically, from the route table in api/router.c: each line
    `{ "METHOD", <pattern>, ...}` whose pattern is string literals and
    macros #defined to string literals in that file;
  - live, from a daemon (started with --unsafe-test-clock so that
    POST /v1/test/clock exists): a served method on a well-formed path
    never answers 404 not-found or 405, and any other method answers 405
    with an Allow header listing exactly the documented methods.
Adding a route (token management, events, metrics, ...) without describing
it here therefore fails this test, and so does describing one that is not
served. YAML is read with Debian's python3-yaml (contrib/install-deps.sh).
"""

import os
import re

import yaml

from framework import assert_equal, assert_true, TestFailure

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch",
                "trace")
PROBE_METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH")
# Values for path parameters when probing: well-formed, need not exist.
PARAM_VALUES = {"t": "no-such-treasury", "id": "ab" * 32}


def norm(path):
    """/v1/treasuries/{t}/ledger and /v1/treasuries/{}/ledger -> same."""
    return re.sub(r"\{[^}/]*\}", "{}", path)


def router_routes(source_dir):
    """{(METHOD, normalised pattern)} from api/router.c's table."""
    with open(os.path.join(source_dir, "api", "router.c")) as f:
        text = f.read()
    macros = dict(re.findall(r'^#define\s+(\w+)\s+"([^"]*)"\s*$', text, re.M))
    table = re.search(r"static const struct route routes\[\]\s*=\s*"
                      r"\{(.*?)\n\};", text, re.S)
    assert_true(table, "route table found in api/router.c")
    routes = set()
    for line in table.group(1).splitlines():
        m = re.match(r'\s*\{\s*"([A-Z]+)"\s*,\s*([^,]+?)\s*,', line)
        if not m:
            assert_true(not re.match(r"\s*\{", line),
                        "unparsed route line in api/router.c: %r" % line)
            continue
        pattern = ""
        for tok in re.findall(r'"[^"]*"|\w+', m.group(2)):
            if tok.startswith('"'):
                pattern += tok[1:-1]
            elif tok in macros:
                pattern += macros[tok]
            else:
                raise TestFailure("route pattern %r uses %r, not a string "
                                  "macro of router.c" % (m.group(2), tok))
        routes.add((m.group(1), norm(pattern)))
    assert_true(len(routes) >= 10, "route table parsed: %r" % routes)
    return routes


def load_openapi(source_dir):
    with open(os.path.join(source_dir, "docs", "openapi.yaml")) as f:
        return yaml.safe_load(f)


def openapi_routes(doc):
    """{(METHOD, normalised path)} and {normalised path: original path}."""
    routes, originals = set(), {}
    for path, item in doc["paths"].items():
        originals[norm(path)] = path
        for method in item:
            if method in HTTP_METHODS:
                routes.add((method.upper(), norm(path)))
    return routes, originals


def resolve(doc, ref):
    assert_true(ref.startswith("#/"), "local $ref: %r" % ref)
    node = doc
    for part in ref[2:].split("/"):
        assert_true(isinstance(node, dict) and part in node,
                    "$ref %s resolves" % ref)
        node = node[part]
    return node


def walk_refs(doc, node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref":
                resolve(doc, v)
            else:
                walk_refs(doc, v)
    elif isinstance(node, list):
        for v in node:
            walk_refs(doc, v)


def check_document(doc):
    """The parts of OpenAPI 3.1 this project relies on."""
    assert_true(str(doc.get("openapi", "")).startswith("3.1."),
                "openapi: 3.1.x, got %r" % doc.get("openapi"))
    for key in ("title", "version"):
        assert_true(key in doc.get("info", {}), "info.%s" % key)
    schemes = doc["components"]["securitySchemes"]
    assert_equal(schemes["bearer"]["type"], "http", "bearer scheme type")
    assert_equal(schemes["bearer"]["scheme"], "bearer", "bearer scheme")
    assert_equal(doc["security"], [{"bearer": []}], "bearer by default")
    walk_refs(doc, doc)
    op_ids = []
    for path, item in doc["paths"].items():
        assert_true(path.startswith("/v1/") or path == "/metrics",
                    "path under /v1 (or Prometheus' /metrics): %s" % path)
        shared = item.get("parameters", [])
        for method, op in item.items():
            if method not in HTTP_METHODS:
                continue
            where = "%s %s" % (method.upper(), path)
            op_ids.append(op.get("operationId"))
            params = [resolve(doc, p["$ref"]) if "$ref" in p else p
                      for p in shared + op.get("parameters", [])]
            in_path = {p["name"] for p in params if p["in"] == "path"}
            assert_equal(in_path, set(re.findall(r"\{([^}]+)\}", path)),
                         "path parameters of " + where)
            responses = op.get("responses", {})
            ok = [s for s in responses if str(s).startswith("2")]
            assert_true(ok, "%s has a 2xx answer" % where)
            for status, resp in responses.items():
                if "$ref" in resp:
                    resp = resolve(doc, resp["$ref"])
                if str(status)[0] in "45":
                    assert_true("application/problem+json" in
                                resp.get("content", {}),
                                "%s %s is a problem+json" % (where, status))
            public = path == "/v1/health"
            assert_equal(op.get("security") == [], public,
                         "%s security (only /v1/health needs no token)"
                         % where)
            if not public:
                assert_true("401" in responses, "%s documents 401" % where)
            if method == "post" and op.get("requestBody", {}).get(
                    "required"):
                assert_true("application/json" in op["requestBody"][
                    "content"], "%s takes application/json" % where)
    assert_true(None not in op_ids and len(set(op_ids)) == len(op_ids),
                "operationIds present and unique: %r" % op_ids)


def test_openapi_matches_router_table(ctx):
    doc = load_openapi(ctx.source_dir)
    check_document(doc)
    served = router_routes(ctx.source_dir)
    described, _ = openapi_routes(doc)
    missing = sorted(served - described)
    extra = sorted(described - served)
    assert_true(not missing, "served by api/router.c but not in "
                "docs/openapi.yaml: %r" % missing)
    assert_true(not extra, "in docs/openapi.yaml but not served by "
                "api/router.c: %r" % extra)


def concrete(path):
    return re.sub(r"\{([^}/]*)\}", lambda m: PARAM_VALUES.get(m.group(1),
                                                             "x"), path)


def test_openapi_matches_live_daemon(ctx):
    doc = load_openapi(ctx.source_dir)
    described, originals = openapi_routes(doc)
    node = ctx.start_node(extra_args=["--unsafe-test-clock"])
    by_path = {}
    for method, path in described:
        by_path.setdefault(path, set()).add(method)
    for path, methods in sorted(by_path.items()):
        url = concrete(originals[path])
        for method in PROBE_METHODS:
            r = node.request(method, url, raw_body=b"" if method != "GET"
                             else None)
            where = "%s %s" % (method, url)
            slug = (r.json or {}).get("type", "") if r.json else ""
            if method in methods:
                assert_true(r.status < 500, "%s: 5xx %r" % (where, r))
                assert_true(r.status != 405, "%s documented but 405: %r"
                            % (where, r))
                assert_true(not (r.status == 404 and slug.endswith(
                    ":not-found")), "%s documented but not served: %r"
                    % (where, r))
            else:
                assert_equal(r.status, 405, "%s not documented: status of %r"
                             % (where, r))
                allow = {m.strip() for m in
                         (r.header("Allow") or "").split(",") if m.strip()}
                assert_equal(allow, methods, "Allow of %s (served methods) vs "
                             "docs/openapi.yaml" % url)
    # Every route of the router table is served as parsed (so that the
    # static comparison above compares with what really runs).
    for method, path in sorted(router_routes(ctx.source_dir)):
        url = path.replace("{}", "ab" * 32 if path.startswith(
            "/v1/proposals/") else PARAM_VALUES["t"])
        r = node.request(method, url, raw_body=b"" if method != "GET"
                         else None)
        slug = (r.json or {}).get("type", "") if r.json else ""
        assert_true(r.status not in (404, 405) or (
            r.status == 404 and not slug.endswith(":not-found")),
            "router.c route %s %s not served: %r" % (method, url, r))
    # Somewhere no route exists, the daemon says so (the probe can tell).
    r = node.get("/v1/no-such-route")
    assert_equal(r.status, 404, "unknown path")
    assert_true(r.json["type"].endswith(":not-found"), "not-found slug")
