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

The document is also validated against the official OpenAPI 3.1 JSON
Schema, in its "schema-base" form that holds every Schema Object to the
OAS 3.1 dialect (JSON Schema 2020-12 plus the OAS base vocabulary). The
schemas are vendored in oas31/ (README.md there says where from; Apache-2.0,
OpenAPI Initiative) and checked with Debian's python3-jsonschema.
"""

import copy
import json
import os
import re

import yaml

from framework import assert_equal, assert_true, TestFailure

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch",
                "trace")
PROBE_METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH")
# Values for path parameters when probing: well-formed, need not exist.
PARAM_VALUES = {"t": "no-such-treasury", "id": "ab" * 32, "file": "index.html"}
# The dashboard's paths (api/ui.c): static files, served without a token.
UI_PATHS = ("/", "/ui", "/ui/", "/ui/{file}")


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


OAS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "oas31")
OAS_FILES = ("schema.json", "schema-base.json", "dialect-base.json",
             "meta-base.json")
SCHEMA_ID = "https://spec.openapis.org/oas/3.1/schema/2022-10-07"
SCHEMA_BASE_ID = "https://spec.openapis.org/oas/3.1/schema-base/2022-10-07"


def bind_dynamic_meta(node, target):
    """A copy of a schema whose every `$dynamicRef: "#meta"` is a `$ref` to
    target. Validation starts at schema-base, the outermost resource of
    every dynamic scope, and it defines the dynamic anchor "meta" (in
    $defs/schema); so by JSON Schema 2020-12 (8.2.3.2) each "#meta" in any
    of the schemas below it resolves there. python3-jsonschema 4.10 does
    not follow a dynamic scope across resources (it falls back to the
    nearest anchor, and Schema Objects would go unchecked), hence this
    binding, done at load time on the unchanged vendored files."""
    if isinstance(node, list):
        return [bind_dynamic_meta(v, target) for v in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "$dynamicRef" and isinstance(value, str):
            if value != "#meta":
                raise TestFailure("unexpected $dynamicRef %r" % value)
            out["$ref"] = target
        else:
            out[key] = bind_dynamic_meta(value, target)
    return out


def oas_validator():
    """A Draft 2020-12 validator for OpenAPI 3.1 documents (schema-base)."""
    from jsonschema import Draft202012Validator, RefResolver

    # the JSON Schema 2020-12 meta-schemas that python3-jsonschema ships
    store = dict(RefResolver("", {}).store.items())
    for name in OAS_FILES:
        with open(os.path.join(OAS_DIR, name)) as f:
            schema = json.load(f)
        store[schema["$id"]] = schema
    assert_true(SCHEMA_ID in store and SCHEMA_BASE_ID in store,
                "vendored schemas carry the 2022-10-07 $ids")
    target = SCHEMA_BASE_ID + "#/$defs/schema"
    store = {uri: bind_dynamic_meta(s, target) for uri, s in store.items()}
    root = store[SCHEMA_BASE_ID]
    Draft202012Validator.check_schema(root)
    return Draft202012Validator(
        root, resolver=RefResolver.from_schema(root, store=store),
        format_checker=Draft202012Validator.FORMAT_CHECKER)


def schema_errors(validator, doc):
    """Every violation as 'path: message', sorted."""
    return sorted("/".join(str(p) for p in e.absolute_path) + ": " +
                  e.message for e in validator.iter_errors(doc))


def spdx_of_license_file(source_dir):
    """The SPDX identifier of the repository's LICENSE (first line)."""
    with open(os.path.join(source_dir, "LICENSE")) as f:
        first = f.readline().strip()
    known = {"MIT License": "MIT",
             "Apache License": "Apache-2.0",
             "BSD 2-Clause License": "BSD-2-Clause",
             "ISC License": "ISC"}
    assert_true(first in known, "LICENSE names a known licence: %r" % first)
    return known[first]


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
        assert_true(path.startswith("/v1/") or path == "/metrics" or
                    path in UI_PATHS, "path under /v1 (or Prometheus' "
                    "/metrics, or the dashboard's): %s" % path)
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
            ok = [s for s in responses if str(s).startswith("2") or
                  (path in UI_PATHS and str(s) == "302")]
            assert_true(ok, "%s has a 2xx answer (a dashboard path may "
                        "redirect)" % where)
            for status, resp in responses.items():
                if "$ref" in resp:
                    resp = resolve(doc, resp["$ref"])
                if str(status)[0] in "45":
                    assert_true("application/problem+json" in
                                resp.get("content", {}),
                                "%s %s is a problem+json" % (where, status))
            public = path == "/v1/health" or path in UI_PATHS
            assert_equal(op.get("security") == [], public,
                         "%s security (only /v1/health and the dashboard's "
                         "files need no token)"
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
            "/v1/proposals/") else PARAM_VALUES["file"] if path.startswith(
            "/ui/") else PARAM_VALUES["t"])
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


def test_openapi_validates_against_oas31_schema(ctx):
    """docs/openapi.yaml is a valid OpenAPI 3.1 document by the official
    schema (schema-base 2022-10-07), and its info.license names the
    repository's licence by SPDX identifier (finding 17: `license: {name:
    see LICENSE}` named no licence, and the schema iterations before
    2022-10-07, still bundled by common validators, reject a license
    without identifier or url)."""
    doc = load_openapi(ctx.source_dir)
    validator = oas_validator()
    errors = schema_errors(validator, doc)
    assert_equal(errors, [], "docs/openapi.yaml against the OAS 3.1 schema")
    lic = doc["info"].get("license", {})
    assert_equal(lic.get("identifier"), spdx_of_license_file(ctx.source_dir),
                 "info.license.identifier is the SPDX id of LICENSE")
    assert_true("url" not in lic, "identifier and url are exclusive")


def test_openapi_schema_validator_rejects_broken_documents(ctx):
    """The validator above can fail: broken documents are refused, each for
    its own reason, down to a Schema Object nested in a component (reached
    only through the schema-base dialect). One broken copy of the real
    document, then small ones (a whole-document check takes seconds)."""
    doc = load_openapi(ctx.source_dir)
    validator = oas_validator()
    bad = copy.deepcopy(doc)
    name = sorted(bad["components"]["schemas"])[0]
    bad["components"]["schemas"][name] = {
        "type": "object", "properties": {"x": {"type": "strin"}}}
    errors = schema_errors(validator, bad)
    assert_true(any("'strin' is not valid" in e for e in errors),
                "a broken nested Schema Object is refused: %r" % errors[:5])

    small = {"openapi": "3.1.0",
             "info": {"title": "t", "version": "1",
                      "license": {"name": "MIT", "identifier": "MIT"}},
             "paths": {"/v1/health": {"get": {"responses": {
                 "200": {"description": "ok"}}}}}}
    assert_equal(schema_errors(validator, small), [], "a small valid document")

    def broken(change, want):
        d = copy.deepcopy(small)
        change(d)
        errors = schema_errors(validator, d)
        assert_true(any(want in e for e in errors),
                    "%r among the errors: %r" % (want, errors[:5]))

    def no_title(d):
        del d["info"]["title"]

    def both_license_forms(d):
        d["info"]["license"]["url"] = "https://opensource.org/license/mit"

    def unknown_operation_member(d):
        d["paths"]["/v1/health"]["get"]["x_bogus"] = 1

    def bad_status_key(d):
        d["paths"]["/v1/health"]["get"]["responses"]["2000"] = {
            "description": "no such status"}

    def bad_parameter_schema(d):
        d["paths"]["/v1/health"]["get"]["parameters"] = [
            {"name": "q", "in": "query", "schema": {"minLength": "one"}}]

    def bad_openapi_version(d):
        d["openapi"] = "3.0.3"

    broken(no_title, "'title' is a required property")
    broken(both_license_forms, "license")
    broken(unknown_operation_member, "x_bogus")
    broken(bad_status_key, "2000")
    broken(bad_parameter_schema, "'one' is not of type 'integer'")
    broken(bad_openapi_version, "does not match")
    assert_true(schema_errors(validator, {"openapi": "3.1.0"}),
                "a document without info is refused")
