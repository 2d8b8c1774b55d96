"""Functional test framework for treasuryd (Bitcoin Core manner).

Each test gets a fresh temporary directory. A Node starts the real
treasuryd binary on a free loopback port with its database in that
directory, waits for /v1/health, and talks HTTP to it. stop() sends
SIGTERM and fails the test if the daemon did not exit 0 or logged an
error (a line with syslog priority 0..3).

Standard library only, plus Debian's python3-cryptography in the tests
that sign (run with /usr/bin/python3).

With run.py --engine postgresql (under tests/pg/with-cluster.sh, which
sets TREASURY_TEST_PG), a node without a database path of its own gets a
new, empty PostgreSQL database of that cluster instead of an SQLite file;
a test that is about the SQLite file itself says so with @sqlite_only.
"""

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import time

READY_TIMEOUT_S = 15
STOP_TIMEOUT_S = 20
HTTP_TIMEOUT_S = 30


class TestFailure(AssertionError):
    pass


# "sqlite" (the embedded default) or "postgresql" (run.py --engine).
ENGINE = "sqlite"
_pg_databases = 0


class SkipTest(Exception):
    """Raised by a test that does not apply to the engine under test."""


def _engine_only(engine, reason):
    def wrap(fn):
        def run(ctx):
            if ENGINE != engine:
                raise SkipTest(reason)
            return fn(ctx)
        run.__name__ = fn.__name__
        run.__doc__ = fn.__doc__
        return run
    return wrap


def sqlite_only(reason):
    """A test of the SQLite file itself (its bytes, its path, its
    maintenance commands): skipped on PostgreSQL, with the reason."""
    return _engine_only("sqlite", reason)


def postgresql_only(reason):
    """A test of what only the PostgreSQL engine has: skipped on SQLite."""
    return _engine_only("postgresql", reason)


def pg_admin(sql):
    """Run sql as the test cluster's superuser (in its postgres database);
    the output, unaligned."""
    r = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1",
                        os.environ["TREASURY_TEST_PG"], "-c", sql],
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise TestFailure("psql %r: %s" % (sql, r.stderr))
    return r.stdout


def pg_database_name(uri):
    """The database name of a pg_database() URI."""
    return uri.split("///", 1)[1].split("?", 1)[0]


def pg_database():
    """A new, empty database of the test cluster, as a treasuryd --db URI
    (no password: the cluster trusts its unix socket)."""
    global _pg_databases
    conninfo = dict(kv.split("=", 1)
                    for kv in os.environ["TREASURY_TEST_PG"].split())
    _pg_databases += 1
    name = "t%d_%d" % (os.getpid(), _pg_databases)
    r = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1",
                        os.environ["TREASURY_TEST_PG"],
                        "-c", "CREATE DATABASE %s" % name],
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise TestFailure("CREATE DATABASE %s: %s" % (name, r.stderr))
    return "postgresql:///%s?host=%s&user=%s" % (name, conninfo["host"],
                                                 conninfo["user"])


def assert_equal(got, want, what=""):
    if got != want:
        raise TestFailure("%s: got %r, want %r" % (what or "value", got, want))


def assert_true(cond, what):
    if not cond:
        raise TestFailure(what)


# run.py --shard gives each shard its own block of ports below the kernel's
# ephemeral range, so shards running side by side never pick the same port
# and a port is not handed out twice within a run (a node's "must stay unused"
# port stays unused).  Without a shard: the kernel's choice.
PORT_BLOCK = None          # (first, count) or None
_port_next = 0


def free_port():
    global _port_next
    if PORT_BLOCK is None:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]
    first, count = PORT_BLOCK
    for _ in range(count):
        port = first + _port_next % count
        _port_next += 1
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise TestFailure("no free port in %d..%d" % (first, first + count - 1))


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def __repr__(self):
        return "Response(%d, %r)" % (self.status, self.body[:300])


def assert_problem(resp, status, slug=None):
    """Check an RFC 9457 problem answer with the given status and type."""
    assert_equal(resp.status, status, "status of %r" % resp)
    assert_equal(resp.header("Content-Type"), "application/problem+json",
                 "problem content type")
    body = resp.json
    assert_true(isinstance(body, dict), "problem body is an object")
    for key in ("type", "title", "status", "detail"):
        assert_true(key in body, "problem has %s: %r" % (key, body))
    assert_equal(body["status"], status, "problem status field")
    if slug is not None:
        assert_equal(body["type"], "urn:treasuryd:problem:" + slug,
                     "problem type")


class Node:
    """One treasuryd process on a temporary directory and port."""

    def __init__(self, ctx, name="node", db_path=None, extra_args=None):
        self.ctx = ctx
        self.dir = ctx.tmpdir(name)
        self.port = free_port()
        if db_path is None and ENGINE == "postgresql":
            db_path = pg_database()
        if db_path is not None and db_path.startswith("postgresql://"):
            os.makedirs(os.path.join(self.dir, "var"), mode=0o700)
        self.db_path = db_path or os.path.join(self.dir, "treasury.db")
        self.extra_args = list(extra_args or [])
        self.proc = None
        self.stderr_path = os.path.join(self.dir, "stderr.log")
        self.allowed_error_patterns = []
        self._admin_token = None

    # ---- process ----

    def args(self):
        return [self.ctx.treasuryd, "--db", self.db_path,
                "--listen", "127.0.0.1:%d" % self.port] + self.extra_args

    def start(self, wait=True):
        self._stderr = open(self.stderr_path, "ab")
        self.proc = subprocess.Popen(self.args(), stdout=subprocess.DEVNULL,
                                     stderr=self._stderr, cwd=self.dir)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self):
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise TestFailure("treasuryd exited with %d during start:\n%s"
                                  % (self.proc.returncode, self.stderr()))
            try:
                r = self.request("GET", "/v1/health", token=None)
                if r.status == 200 and r.json == {"status": "ok"}:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise TestFailure("treasuryd not ready within %d s" % READY_TIMEOUT_S)

    def stderr(self):
        with open(self.stderr_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def error_lines(self):
        bad = []
        for line in self.stderr().splitlines():
            m = re.match(r"<([0-7])>", line)
            if m and int(m.group(1)) <= 3:
                if not any(re.search(p, line)
                           for p in self.allowed_error_patterns):
                    bad.append(line)
        return bad

    def stop(self, check=True):
        """SIGTERM, wait, and check a clean exit without logged errors."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise TestFailure("treasuryd did not stop within %d s"
                              % STOP_TIMEOUT_S)
        finally:
            self._stderr.close()
            self.proc = None
        if check:
            assert_equal(rc, 0, "treasuryd exit code after SIGTERM\n" +
                         self.stderr())
            errors = self.error_lines()
            assert_true(not errors, "treasuryd logged errors:\n" +
                        "\n".join(errors))

    def kill9(self):
        self.proc.kill()
        self.proc.wait()
        self._stderr.close()
        self.proc = None

    @property
    def files_dir(self):
        """Where the files beside the database are (admin.token,
        journal.key): its directory, or ./var of the node for PostgreSQL."""
        if self.db_path.startswith("postgresql://"):
            return os.path.join(self.dir, "var")
        return os.path.dirname(self.db_path)

    # ---- tokens ----

    @property
    def admin_token(self):
        if self._admin_token is None:
            path = os.path.join(self.files_dir, "admin.token")
            with open(path) as f:
                self._admin_token = f.read().strip()
        return self._admin_token

    def token_cmd(self, *args):
        return subprocess.run([self.ctx.treasuryd, "token"] + list(args) +
                              ["--db", self.db_path], capture_output=True,
                              text=True, timeout=30)

    def create_token(self, name, roles):
        r = self.token_cmd("create", "--name", name, "--role", roles)
        assert_equal(r.returncode, 0, "token create exit code: " + r.stderr)
        return r.stdout.split()[-1]

    # ---- HTTP ----

    def request(self, method, path, body=None, token="admin", headers=None,
                raw_body=None):
        if token == "admin":
            token = self.admin_token
        h = dict(headers or {})
        if token is not None:
            h["Authorization"] = "Bearer " + token
        data = raw_body
        if body is not None:
            data = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                          timeout=HTTP_TIMEOUT_S)
        try:
            conn.request(method, path, body=data, headers=h)
            resp = conn.getresponse()
            return Response(resp.status, resp.getheaders(),
                            resp.read().decode("utf-8", "replace"))
        finally:
            conn.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body=body, **kw)


class Context:
    """What every test function receives."""

    def __init__(self, treasuryd, source_dir, root, treasuryctl=None):
        self.treasuryd = treasuryd
        self.treasuryctl = treasuryctl
        self.source_dir = source_dir
        self.root = root
        self.nodes = []
        self._n = 0

    def tmpdir(self, name):
        self._n += 1
        path = os.path.join(self.root, "%s%d" % (name, self._n))
        os.makedirs(path, mode=0o700)
        return path

    def node(self, **kw):
        n = Node(self, **kw)
        self.nodes.append(n)
        return n

    def start_node(self, **kw):
        return self.node(**kw).start()

    def run_treasuryd(self, args, cwd=None, timeout=30):
        return subprocess.run([self.treasuryd] + list(args), cwd=cwd,
                              capture_output=True, text=True, timeout=timeout)

    def cleanup(self):
        for n in self.nodes:
            if n.proc is not None:
                n.proc.kill()
                n.proc.wait()
