"""The reverse-proxy alternative of docs/operations.md "Remote signers":
treasuryd stays on loopback, plain HTTP; nginx terminates TLS in front of
it with the configuration the document gives (the same directives, read
from the document's nginx block), and treasuryctl approves through it with
--cacert. nginx comes from contrib/install-deps.sh."""

import os
import re
import shutil
import signal
import subprocess
import time

from cli_helpers import Ctl, PASSPHRASE, EXIT_NETWORK, votes_of
from framework import TestFailure, assert_equal, assert_true, free_port
from test_tls import self_signed, spki_pin
from treasury_helpers import setup

DEST = "0x742d35Cc6634C0532925a3b844Bc454e4438f44e"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def doc_server_block(ctx):
    """The nginx server block of docs/operations.md (between the
    'nginx.conf' fence), so the document is what is tested."""
    path = os.path.join(ctx.source_dir, "docs", "operations.md")
    with open(path) as f:
        text = f.read()
    m = re.search(r"```nginx\n(server \{.*?\n\})\n```", text, re.S)
    assert_true(m is not None, "docs/operations.md has a ```nginx server "
                "block")
    return m.group(1)


class Nginx:
    def __init__(self, ctx, daemon_port, cert, key):
        assert_true(os.path.exists(NGINX), "nginx is not installed: run "
                    "contrib/install-deps.sh")
        self.dir = ctx.tmpdir("nginx")
        self.port = free_port()
        block = doc_server_block(ctx)
        block = (block.replace("203.0.113.10:8443", "127.0.0.1:%d" % self.port)
                 .replace("/etc/treasuryd/tls/cert.pem", cert)
                 .replace("/etc/treasuryd/tls/key.pem", key)
                 .replace("127.0.0.1:8420", "127.0.0.1:%d" % daemon_port))
        conf = os.path.join(self.dir, "nginx.conf")
        with open(conf, "w") as f:
            f.write("%s\nworker_processes 1;\npid %s/nginx.pid;\n"
                    "error_log %s/error.log info;\n"
                    "events { worker_connections 64; }\n"
                    "http {\n access_log %s/access.log;\n"
                    " client_body_temp_path %s/body;\n"
                    " proxy_temp_path %s/proxy;\n"
                    " fastcgi_temp_path %s/fcgi;\n uwsgi_temp_path %s/uwsgi;\n"
                    " scgi_temp_path %s/scgi;\n%s\n}\n" % (
                        "user root;" if os.geteuid() == 0 else "",
                        self.dir, self.dir, self.dir, self.dir, self.dir,
                        self.dir, self.dir, self.dir, block))
        self.proc = subprocess.Popen(
            [NGINX, "-p", self.dir, "-e", os.path.join(self.dir, "error.log"),
             "-c", conf, "-g", "daemon off;"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise TestFailure("nginx exited: %s" %
                                  self.proc.stderr.read().decode())
            if os.path.exists(os.path.join(self.dir, "nginx.pid")):
                return
            time.sleep(0.05)
        raise TestFailure("nginx did not start")

    def stop(self):
        self.proc.send_signal(signal.SIGQUIT)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def test_reverse_proxy_tls_termination(ctx):
    node, c = setup(ctx)
    pki = ctx.tmpdir("pki")
    cert, key = self_signed(pki, "proxy")
    proxy = Nginx(ctx, node.port, cert, key)
    try:
        c.asset_ok("USDC", 6)
        signer_tok = node.create_token("cli-signer", "signer")
        url = "https://127.0.0.1:%d" % proxy.port
        ctls, pubs = {}, []
        for name in ("alice", "bob"):
            ctls[name] = Ctl(ctx, url, signer_tok, name="home-" + name)
            pubs.append(ctls[name].key_new(name))
        r = node.post("/v1/treasuries", {"id": "ops", "threshold": 2,
                                         "signers": pubs})
        assert_equal(r.status, 201, "create treasury: %r" % r)
        c.deposit_ok("ops", "USDC", "50", "d1")
        env = {"TREASURYCTL_CACERT": cert}
        res = ctls["alice"].ok("propose", "transfer", "ops", "--asset",
                               "USDC", "--amount", "5", "--to", DEST,
                               "--approve", "--yes", "--keystore",
                               ctls["alice"].keystore("alice"),
                               passphrase=PASSPHRASE, env=env)
        pid = res.out.split("proposed: ")[1].split()[0]
        res = ctls["bob"].ok("approve", pid, "--yes", "--keystore",
                             ctls["bob"].keystore("bob"),
                             passphrase=PASSPHRASE,
                             env={"TREASURYCTL_PIN": spki_pin(cert)})
        assert_true("now approved" in res.out, "approved through the "
                    "proxy: %r" % res)
        assert_equal(len(votes_of(node, pid)), 2, "two votes")
        # The proxy's certificate is checked like the daemon's own.
        other, _ = self_signed(pki, "other")
        bad = ctls["bob"].run("treasuries", env={"TREASURYCTL_CACERT": other})
        assert_equal(bad.rc, EXIT_NETWORK, "wrong CA refused: %r" % bad)
        # Problem answers pass through unchanged (status and type).
        res = ctls["bob"].run("approve", "f" * 64, "--yes", "--keystore",
                              ctls["bob"].keystore("bob"),
                              passphrase=PASSPHRASE, env=env)
        assert_true(res.rc != 0 and "unknown-proposal" in res.err,
                    "problem through the proxy: %r" % res)
    finally:
        proxy.stop()
