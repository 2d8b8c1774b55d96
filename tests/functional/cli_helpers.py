"""cli_helpers.py: drive the real treasuryctl binary in functional tests.

Ctl runs treasuryctl with a private HOME (so no user config leaks in), the
server URL and a token file (mode 0600) from the environment, and the
keystore passphrase through a pipe (--passphrase-fd, never argv).
TamperProxy is a small HTTP proxy in front of the daemon that can rewrite
GET /v1/proposals/{id} answers, to test that clear signing refuses them.
"""

import http.client
import http.server
import json
import os
import subprocess
import termios
import threading
import time
import urllib.parse

from framework import assert_equal, assert_true

PASSPHRASE = "correct horse battery staple"

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_NETWORK = 0, 1, 2, 3
EXIT_REFUSED, EXIT_VERIFY, EXIT_PASSPHRASE, EXIT_DECLINED = 4, 5, 6, 7


class Result:
    def __init__(self, p):
        self.rc = p.returncode
        self.out = p.stdout
        self.err = p.stderr

    def json(self):
        return json.loads(self.out)

    def __repr__(self):
        return "Result(rc=%d, out=%r, err=%r)" % (self.rc, self.out[-2000:],
                                                  self.err[-2000:])


class Ctl:
    def __init__(self, ctx, url, token=None, name="ctl"):
        self.ctx = ctx
        assert_true(ctx.treasuryctl, "run.py needs --treasuryctl")
        self.home = ctx.tmpdir(name)
        self.url = url
        self.token_file = None
        if token is not None:
            self.token_file = os.path.join(self.home, "token")
            fd = os.open(self.token_file, os.O_WRONLY | os.O_CREAT, 0o600)
            os.write(fd, (token + "\n").encode())
            os.close(fd)

    def keystore(self, name):
        return os.path.join(self.home, name + ".keystore")

    def run(self, *args, passphrase=None, stdin=None, env=None, url=True,
            timeout=60):
        """Run treasuryctl; passphrase (str) goes through a pipe fd."""
        e = {"HOME": self.home, "PATH": os.environ.get("PATH", "/usr/bin"),
             "TREASURYCTL_KDF": "interactive"}
        if url:
            e["TREASURYCTL_URL"] = self.url
        if self.token_file:
            e["TREASURYCTL_TOKEN_FILE"] = self.token_file
        e.update(env or {})
        argv = [self.ctx.treasuryctl] + [str(a) for a in args]
        fds = ()
        r = None
        if passphrase is not None:
            r, w = os.pipe()
            os.write(w, (passphrase + "\n").encode())
            os.close(w)
            argv += ["--passphrase-fd", str(r)]
            fds = (r,)
        try:
            # A new session has no controlling terminal: treasuryctl can
            # never wait on /dev/tty for a passphrase or a confirmation.
            p = subprocess.run(argv, env=e, input=stdin, capture_output=True,
                               text=True, timeout=timeout, pass_fds=fds,
                               start_new_session=True)
        finally:
            if r is not None:
                os.close(r)
        return Result(p)

    def ok(self, *args, **kw):
        res = self.run(*args, **kw)
        assert_equal(res.rc, 0, "treasuryctl %s: %r" % (" ".join(
            str(a) for a in args), res))
        return res

    def key_new(self, name, key_type="ecdsa"):
        ks = self.keystore(name)
        self.ok("key", "new", "--type", key_type, "--name", name,
                "--keystore", ks, passphrase=PASSPHRASE)
        pub = self.ok("key", "export-public", "--keystore", ks).json()
        assert_equal(pub["name"], name, "exported name")
        assert_equal(pub["key_type"], key_type, "exported key type")
        return pub


def core_limits(pid):
    """Process pid's core file size limits [soft, hard], as strings."""
    with open("/proc/%d/limits" % pid) as f:
        for line in f:
            if line.startswith("Max core file size"):
                return line.split()[4:6]
    return None


def votes_of(node, pid):
    r = node.get("/v1/proposals/" + pid)
    assert_equal(r.status, 200, "get proposal")
    return r.json["approvals"] + r.json["rejections"]


def serve(handler):
    """Serve handler on a free loopback port in a daemon thread; returns
    the server (shutdown() and server_close() it) and its URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, "http://127.0.0.1:%d" % server.server_address[1]


class TamperProxy:
    """Forward every request to the daemon; pass GET /v1/proposals/{id}
    answers through mutate(dict) -> dict first. Counts vote POSTs."""

    def __init__(self, node, mutate):
        self.node = node
        self.mutate = mutate
        self.vote_posts = 0
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def _forward(self, method):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else None
                if method == "POST" and self.path.endswith("/votes"):
                    proxy.vote_posts += 1
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() in ("authorization", "content-type",
                                            "accept")}
                c = http.client.HTTPConnection("127.0.0.1", proxy.node.port,
                                               timeout=30)
                c.request(method, self.path, body=body, headers=headers)
                r = c.getresponse()
                data = r.read()
                ctype = r.getheader("Content-Type", "application/json")
                parts = self.path.split("?")[0].strip("/").split("/")
                if (method == "GET" and r.status == 200 and len(parts) == 3
                        and parts[:2] == ["v1", "proposals"]):
                    data = json.dumps(proxy.mutate(json.loads(data))).encode()
                c.close()
                self.send_response(r.status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                self._forward("GET")

            def do_POST(self):
                self._forward("POST")

        self.server, self.url = serve(Handler)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class ListStub:
    """A fake server: every GET is answered 200 with answer(path, query)
    (a dict, sent as JSON); query is a dict of single values. Counts the
    requests."""

    def __init__(self, answer):
        self.requests = 0
        stub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                stub.requests += 1
                path, _, q = self.path.partition("?")
                query = dict(urllib.parse.parse_qsl(q))
                data = json.dumps(answer(path, query)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server, self.url = serve(Handler)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Tmux:
    """A bash in a private tmux server (its own socket, no config file),
    to drive treasuryctl on a real terminal. Every wait polls the pane
    until a deadline: no fixed sleeps."""

    DEADLINE_S = 30
    POLL_S = 0.05

    def __init__(self, ctx, env):
        self.runs = 0
        self.sock = os.path.join(ctx.tmpdir("tmux"), "sock")
        e = {"PATH": os.environ.get("PATH", "/usr/bin"), "PS1": "$ ",
             "TERM": "xterm"}
        e.update(env)
        subprocess.run(["tmux", "-S", self.sock, "-f", "/dev/null",
                        "new-session", "-d", "-x", "200", "-y", "50",
                        "exec bash --norc --noprofile"], env=e, check=True,
                       timeout=30)

    def tmux(self, *args):
        return subprocess.run(["tmux", "-S", self.sock] + list(args),
                              capture_output=True, text=True, check=True,
                              timeout=30).stdout

    def send(self, *keys):
        """send-keys: plain words are typed literally; "Enter", "C-c"
        and "C-z" are keys."""
        self.tmux("send-keys", *keys)

    def type(self, text):
        self.tmux("send-keys", "-l", text)

    def pane(self):
        """All the pane's text, scrollback included, wrapped lines joined."""
        return self.tmux("capture-pane", "-p", "-J", "-S", "-")

    def poll(self, probe, what):
        """Call probe() until it returns something other than None;
        fail after DEADLINE_S."""
        deadline = time.monotonic() + self.DEADLINE_S
        while True:
            v = probe()
            if v is not None:
                return v
            if time.monotonic() > deadline:
                raise AssertionError("tmux: %s; pane:\n%s" % (what,
                                                              self.pane()))
            time.sleep(self.POLL_S)

    def wait_for(self, text, after=0):
        """Wait until text appears in the pane after offset `after`;
        returns the offset just past it."""
        def probe():
            i = self.pane().find(text, after)
            return i + len(text) if i >= 0 else None
        return self.poll(probe, "%r not shown" % text)

    def run(self, line):
        """Type a shell command line that prints its exit status after a
        marker (quoted in the line, so only the output matches it);
        returns the marker for wait_status()."""
        self.runs += 1
        marker = "status%d=" % self.runs
        self.type("%s; echo status%d''=$?" % (line, self.runs))
        self.send("Enter")
        return marker

    def wait_status(self, marker):
        end = self.wait_for(marker)
        return int(self.pane()[end:].split()[0])

    def echo_on(self):
        """The terminal's ECHO flag, read from outside."""
        fd = os.open(self.tmux("display-message", "-p", "#{pane_tty}").strip(),
                     os.O_RDWR | os.O_NOCTTY)
        try:
            return bool(termios.tcgetattr(fd)[3] & termios.ECHO)
        finally:
            os.close(fd)

    def wait_echo(self, on):
        """Wait until the terminal's echo is on (or off)."""
        self.poll(lambda: True if self.echo_on() == on else None,
                  "echo never turned %s" % ("on" if on else "off"))

    def shell_pid(self):
        return int(self.tmux("display-message", "-p", "#{pane_pid}"))

    def child_pid(self, depth=1):
        """The pid of the foreground command the shell runs (depth 2:
        that command's child), polled until it exists."""
        pid = self.shell_pid()
        for _ in range(depth):
            pid = self._child_of(pid)
        return pid

    def _child_of(self, parent):
        def probe():
            for name in filter(str.isdigit, os.listdir("/proc")):
                try:
                    with open("/proc/%s/stat" % name) as f:
                        stat = f.read()
                except OSError:     # not a process, or gone
                    continue
                if int(stat.rpartition(")")[2].split()[1]) == parent:
                    return int(name)
            return None
        return self.poll(probe, "process %d has no child" % parent)

    def close(self):
        subprocess.run(["tmux", "-S", self.sock, "kill-server"],
                       capture_output=True, timeout=30)
