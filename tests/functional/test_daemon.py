"""Daemon foundation: health, info, auth, tokens, config, database checks."""

import os
import re
import sqlite3
import stat

import framework
from framework import (sqlite_only, assert_equal, assert_problem, assert_true, free_port,
                       TestFailure)


def test_health_needs_no_token(ctx):
    node = ctx.start_node()
    r = node.get("/v1/health", token=None)
    assert_equal(r.status, 200, "health status")
    assert_equal(r.json, {"status": "ok"}, "health body")
    assert_equal(r.header("Content-Type"), "application/json", "content type")


def test_info_needs_a_token(ctx):
    node = ctx.start_node()
    r = node.get("/v1/info", token=None)
    assert_problem(r, 401, "unauthorized")
    assert_true(r.header("WWW-Authenticate", ).startswith("Bearer"),
                "WWW-Authenticate header")
    assert_problem(node.get("/v1/info", token="trd_" + "0" * 64), 401,
                   "unauthorized")
    assert_problem(node.get("/v1/info", token=""), 401, "unauthorized")
    r = node.get("/v1/info")
    assert_equal(r.status, 200, "info with admin token")
    assert_true(re.fullmatch(r"[0-9a-f]{64}", r.json["instance"]),
                "instance is 64 lowercase hex: %r" % r.json)
    assert_true(r.json["version"], "version present")
    assert_equal(sorted(r.json), ["instance", "journal_public_key",
                                  "version"], "info fields")
    assert_true(re.fullmatch(r"[0-9a-f]{64}", r.json["journal_public_key"]),
                "journal_public_key is 64 lowercase hex: %r" % r.json)


def test_instance_is_stable_across_restarts_and_differs_between_dbs(ctx):
    a = ctx.start_node()
    first = a.get("/v1/info").json["instance"]
    a.stop()
    a.start()
    assert_equal(a.get("/v1/info").json["instance"], first, "after restart")
    b = ctx.start_node()
    assert_true(b.get("/v1/info").json["instance"] != first,
                "two databases have different instance ids")


def test_first_run_admin_token_file(ctx):
    node = ctx.start_node()
    path = os.path.join(node.files_dir, "admin.token")
    mode = stat.S_IMODE(os.stat(path).st_mode)
    assert_equal(mode, 0o600, "admin.token mode")
    with open(path) as f:
        text = f.read()
    assert_true(re.fullmatch(r"trd_[0-9a-f]{64}\n", text),
                "token file holds one token")
    token = text.strip()
    assert_true(token not in node.stderr(), "token never logged")
    if framework.ENGINE == "sqlite":
        db_mode = stat.S_IMODE(os.stat(node.db_path).st_mode)
        assert_equal(db_mode, 0o600, "database mode")
    # A restart does not make a second admin token.
    node.stop()
    os.unlink(path)
    node.start()
    assert_true(not os.path.exists(path), "no new token on restart")
    assert_equal(node.get("/v1/info", token=token).status, 200,
                 "old token still valid")


def test_every_role_can_read(ctx):
    node = ctx.start_node()
    for role in ("viewer", "signer", "treasurer", "admin",
                 "treasurer,signer"):
        tok = node.create_token("t-" + role.replace(",", "-"), role)
        assert_equal(node.get("/v1/info", token=tok).status, 200,
                     "info as " + role)


def test_token_cli_create_list_revoke_while_running(ctx):
    node = ctx.start_node()
    tok = node.create_token("alice-laptop", "signer,viewer")
    assert_true(re.fullmatch(r"trd_[0-9a-f]{64}", tok), "token format")
    assert_equal(node.get("/v1/info", token=tok).status, 200, "new token")
    r = node.token_cmd("list")
    assert_equal(r.returncode, 0, "list exit")
    assert_true("alice-laptop" in r.stdout and "signer,viewer" in r.stdout,
                "list shows name and roles: " + r.stdout)
    assert_true(tok not in r.stdout, "list never shows a token")
    r = node.token_cmd("create", "--name", "alice-laptop", "--role", "viewer")
    assert_equal(r.returncode, 1, "duplicate name refused")
    assert_true("already exists" in r.stderr, r.stderr)
    r = node.token_cmd("create", "--name", "x", "--role", "root")
    assert_equal(r.returncode, 2, "unknown role is a usage error")
    r = node.token_cmd("create", "--name", "has space", "--role", "viewer")
    assert_equal(r.returncode, 2, "bad name is a usage error")
    r = node.token_cmd("revoke", "--name", "alice-laptop")
    assert_equal(r.returncode, 0, "revoke exit: " + r.stderr)
    assert_problem(node.get("/v1/info", token=tok), 401, "unauthorized")
    r = node.token_cmd("revoke", "--name", "alice-laptop")
    assert_equal(r.returncode, 1, "revoking twice fails")


def test_unknown_path_404_and_wrong_method_405(ctx):
    node = ctx.start_node()
    assert_problem(node.get("/v1/nope"), 404, "not-found")
    assert_problem(node.get("/v2"), 404, "not-found")
    assert_equal(node.get("/", token=None).status, 302, "/ redirects to the dashboard")
    r = node.post("/v1/health", body={})
    assert_problem(r, 405, "method-not-allowed")
    assert_equal(r.header("Allow"), "GET", "Allow header")
    r = node.request("DELETE", "/v1/info")
    assert_problem(r, 405, "method-not-allowed")


def test_body_over_limit_is_413(ctx):
    node = ctx.start_node()
    # a POST route: on a GET-only path 405 comes first (docs/api.md)
    r = node.request("POST", "/v1/assets", raw_body=b"x" * (64 * 1024 + 1),
                     headers={"Content-Type": "application/json"})
    assert_problem(r, 413, "body-too-large")
    assert_equal(node.get("/v1/health", token=None).status, 200,
                 "serves the next request")


def test_url_over_limit_is_414(ctx):
    node = ctx.start_node()
    r = node.get("/v1/" + "a" * 3000)
    assert_problem(r, 414, "uri-too-long")


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def test_check_config_reports_every_mistake_with_line(ctx):
    d = ctx.tmpdir("cfg")
    path = os.path.join(d, "treasuryd.conf")
    write(path, "# comment\nlisten = 127.0.0.1:99999\nthreads = 0\n"
          "colour = blue\nlog_level = info\n")
    r = ctx.run_treasuryd(["--config", path, "--check-config"])
    assert_true(r.returncode != 0, "exit code non-zero")
    for line in (2, 3, 4):
        assert_true("%s:%d:" % (path, line) in r.stderr,
                    "error for line %d in:\n%s" % (line, r.stderr))
    assert_true("listen" in r.stderr and "threads" in r.stderr and
                "colour" in r.stderr, r.stderr)
    assert_equal(len(r.stderr.strip().splitlines()), 3, "three errors")


def test_check_config_accepts_a_good_file(ctx):
    d = ctx.tmpdir("cfg")
    path = os.path.join(d, "treasuryd.conf")
    write(path, "listen = [::1]:8421\nthreads = 4\nlog_level = debug\n"
          "db = /nonexistent/x.db\n")
    r = ctx.run_treasuryd(["--config", path, "-n"])
    assert_equal(r.returncode, 0, "exit code: " + r.stderr)


def test_check_config_duplicate_option_and_missing_file(ctx):
    d = ctx.tmpdir("cfg")
    path = os.path.join(d, "dup.conf")
    write(path, "threads = 2\nthreads = 3\nno equals sign\n")
    r = ctx.run_treasuryd(["--config", path, "--check-config"])
    assert_true(r.returncode != 0, "exit code")
    assert_true(path + ":2:" in r.stderr and "twice" in r.stderr, r.stderr)
    assert_true(path + ":3:" in r.stderr, r.stderr)
    r = ctx.run_treasuryd(["--config", os.path.join(d, "missing.conf"), "-n"])
    assert_true(r.returncode != 0 and "cannot open" in r.stderr, r.stderr)


def test_public_address_refused(ctx):
    r = ctx.run_treasuryd(["--listen", "0.0.0.0:8420", "--check-config"])
    assert_true(r.returncode != 0, "public address refused")
    assert_true("non-loopback" in r.stderr, r.stderr)
    r = ctx.run_treasuryd(["--listen", "[::]:8420", "--check-config"])
    assert_true(r.returncode != 0, "[::] refused")


def one_line_failure(ctx, args, cwd, must_contain):
    r = ctx.run_treasuryd(args, cwd=cwd)
    assert_true(r.returncode not in (0, -11, -6), "exit code %d" % r.returncode)
    lines = r.stderr.strip().splitlines()
    assert_equal(len(lines), 1, "one-line error, got:\n" + r.stderr)
    assert_true(must_contain in lines[0], "%r in %r" % (must_contain, lines[0]))
    return lines[0]


def test_database_in_missing_directory(ctx):
    d = ctx.tmpdir("db")
    db = os.path.join(d, "nope", "treasury.db")
    one_line_failure(ctx, ["--db", db, "--listen", "127.0.0.1:%d" % free_port()],
                     d, db)
    assert_true(not os.path.exists(os.path.dirname(db)), "nothing created")


@sqlite_only("the SQLite file's permissions")
def test_database_readable_by_others_refused(ctx):
    node = ctx.start_node()
    node.stop()
    os.chmod(node.db_path, 0o644)
    before = open(node.db_path, "rb").read()
    line = one_line_failure(ctx, node.args()[1:], node.dir, node.db_path)
    assert_true("chmod" in line or "0644" in line or "permission" in line,
                line)
    assert_equal(open(node.db_path, "rb").read(), before, "file untouched")


@sqlite_only("sets the SQLite file's user_version")
def test_database_from_newer_version_refused_untouched(ctx):
    node = ctx.start_node()
    node.stop()
    con = sqlite3.connect(node.db_path)
    version = con.execute("PRAGMA user_version").fetchone()[0]
    con.execute("PRAGMA user_version = %d" % (version + 1))
    con.commit()
    con.close()
    with open(node.db_path, "rb") as f:
        before = f.read()
    line = one_line_failure(ctx, node.args()[1:], node.dir, "newer")
    with open(node.db_path, "rb") as f:
        assert_equal(f.read(), before, "database bytes unchanged")
    assert_true(node.db_path in line, line)


def test_sigint_also_stops_cleanly(ctx):
    import signal as sig
    node = ctx.start_node()
    node.proc.send_signal(sig.SIGINT)
    assert_equal(node.proc.wait(timeout=20), 0, "exit code after SIGINT")
    node._stderr.close()
    node.proc = None
    if node.error_lines():
        raise TestFailure("errors logged: %r" % node.error_lines())


def test_log_lines_carry_syslog_priorities(ctx):
    node = ctx.start_node()
    node.stop()
    lines = [l for l in node.stderr().splitlines() if l]
    assert_true(lines, "something was logged")
    for line in lines:
        assert_true(re.match(r"<[0-7]>", line), "priority prefix: %r" % line)


def test_new_requests_while_draining_are_503_shutting_down(ctx):
    """SIGTERM with a request still in flight (its body not yet sent): the
    daemon drains it; a new request meanwhile is answered 503
    shutting-down with Retry-After, and the daemon still exits 0 (the
    listen socket is not quiesced: see api/server.c reply_shutting_down)."""
    import signal
    import socket
    import time
    node = ctx.start_node()
    slow = socket.create_connection(("127.0.0.1", node.port), timeout=10)
    slow.sendall(b"POST /v1/assets HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 b"Authorization: Bearer " + node.admin_token.encode() +
                 b"\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 60\r\n\r\n{\"code\"")
    time.sleep(0.2)     # the daemon has read the headers: in flight
    node.proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 5
    got = None
    while time.monotonic() < deadline:
        try:
            r = node.get("/v1/health", token=None)
        except OSError:
            break
        if r.status == 503:
            got = r
            break
        time.sleep(0.02)
    assert_true(got is not None, "a 503 while draining")
    assert_equal(got.json["type"].rsplit(":", 1)[-1],
                 "shutting-down", "problem type")
    assert_equal(got.header("Retry-After"), "1", "Retry-After")
    slow.close()
    node.stop()
