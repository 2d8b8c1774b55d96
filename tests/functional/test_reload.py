"""SIGHUP reload: live options change at once, the others are reported as
needing a restart, a bad file keeps the running configuration."""

import os
import signal
import time

from framework import assert_equal, assert_true, TestFailure


def write_config(path, text):
    with open(path, "w") as f:
        f.write(text)


def wait_log(node, text, count=1, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if node.stderr().count(text) >= count:
            return
        time.sleep(0.05)
    raise TestFailure("log line %r (x%d) not seen:\n%s"
                      % (text, count, node.stderr()[-2000:]))


def body_of(size):
    """A JSON body of exactly size bytes (rejected for its content, which
    does not matter here: only 413 or not)."""
    pad = size - len('{"code":""}')
    return ('{"code":"%s"}' % ("A" * pad)).encode()


def start_with_config(ctx, text):
    node = ctx.node()
    path = os.path.join(node.dir, "treasuryd.conf")
    write_config(path, text)
    node.extra_args = ["--config", path]
    node.start()
    return node, path


def test_reload_applies_live_options_and_reports_restart_ones(ctx):
    node, path = start_with_config(ctx, "body_max_bytes = 2048\nthreads = 2\n")
    big = body_of(3000)
    assert_equal(node.post("/v1/assets", raw_body=big).status, 413, "before")
    assert_true("-> 200" not in node.stderr(), "no debug lines yet")
    write_config(path, "body_max_bytes = 4096\nthreads = 3\n"
                 "log_level = debug\n")
    node.proc.send_signal(signal.SIGHUP)
    wait_log(node, "reload: done")
    log = node.stderr()
    assert_true("reload: body_max_bytes changed; applied" in log, log)
    assert_true("reload: log_level changed; applied" in log, log)
    assert_true("reload: threads changed; restart treasuryd to apply it" in log,
                log)
    assert_true("1 changed option needs a restart" in log, log)
    r = node.post("/v1/assets", raw_body=big)
    assert_true(r.status != 413, "3000 bytes accepted after reload: %r" % r)
    node.get("/v1/health", token=None)
    wait_log(node, "GET /v1/health -> 200")     # debug level is live


def test_bad_reload_keeps_the_running_config(ctx):
    node, path = start_with_config(ctx, "body_max_bytes = 2048\n")
    node.allowed_error_patterns = [r"treasuryd\.conf:[12]: ",
                                   r"reload: 2 errors"]
    write_config(path, "body_max_bytes = 999999999\nno_such_option = 1\n")
    node.proc.send_signal(signal.SIGHUP)
    wait_log(node, "keeping the running configuration")
    log = node.stderr()
    assert_true("treasuryd.conf:1: body_max_bytes = '999999999'" in log, log)
    assert_true("treasuryd.conf:2: unknown option 'no_such_option'" in log, log)
    assert_equal(node.post("/v1/assets", raw_body=body_of(3000)).status, 413,
                 "old limit still applies")
    assert_equal(node.get("/v1/health", token=None).status, 200, "serving")
    # A later good reload still works.
    write_config(path, "body_max_bytes = 4096\n")
    node.proc.send_signal(signal.SIGHUP)
    wait_log(node, "reload: done")
    assert_true(node.post("/v1/assets", raw_body=body_of(3000)).status != 413,
                "new limit after the good reload")


def test_tokens_need_no_reload(ctx):
    """Tokens live in the database and are read per request: one made by
    the CLI works at once, a revoked one stops at once, no SIGHUP."""
    node = ctx.start_node()
    tok = node.create_token("late", "viewer")
    assert_equal(node.get("/v1/info", token=tok).status, 200, "new token")
    r = node.token_cmd("revoke", "--name", "late")
    assert_equal(r.returncode, 0, r.stderr)
    assert_equal(node.get("/v1/info", token=tok).status, 401, "revoked")
