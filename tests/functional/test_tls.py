"""TLS in the daemon (docs/operations.md "Remote signers",
docs/configuration.md "TLS"): treasuryctl approves over HTTPS with a
pinned server key and refuses a wrong one; plain HTTP gets nothing on the
TLS port; a non-loopback listener needs TLS; the key file must be
private; SIGHUP swaps the certificate for new connections (and keeps the
running one when the new files are bad); a token bound to a client
certificate is refused without it. Certificates are made here with
openssl."""

import base64
import hashlib
import http.client
import os
import shutil
import signal
import socket
import ssl
import subprocess
import time

from cli_helpers import (Ctl, PASSPHRASE, EXIT_USAGE, EXIT_NETWORK,
                         EXIT_REFUSED, votes_of)
from framework import (HTTP_TIMEOUT_S, Node, Response, TestFailure,
                       assert_equal, assert_true, free_port)
from treasury_helpers import Client

DEST = "0x742d35Cc6634C0532925a3b844Bc454e4438f44e"
SAN = "subjectAltName=IP:127.0.0.1,DNS:localhost"


# ---- certificates (openssl) ----

def openssl(*args):
    p = subprocess.run(["openssl"] + list(args), capture_output=True,
                       text=True, timeout=60)
    if p.returncode != 0:
        raise TestFailure("openssl %s: %s" % (" ".join(args), p.stderr))
    return p.stdout


def self_signed(d, name):
    """A self-signed P-256 server certificate for 127.0.0.1; key 0600."""
    key, cert = os.path.join(d, name + ".key"), os.path.join(d, name + ".pem")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert,
            "-days", "30", "-subj", "/CN=" + name, "-addext", SAN)
    os.chmod(key, 0o600)
    return cert, key


def ca_make(d, name):
    return self_signed(d, name)


def ca_issue(d, ca, name, client=False):
    """A certificate for name signed by ca (cert, key); key 0600."""
    key, csr = os.path.join(d, name + ".key"), os.path.join(d, name + ".csr")
    cert, ext = os.path.join(d, name + ".pem"), os.path.join(d, name + ".ext")
    with open(ext, "w") as f:
        f.write("extendedKeyUsage=%s\n" % ("clientAuth" if client
                                           else "serverAuth"))
        if not client:
            f.write(SAN + "\n")
    openssl("req", "-new", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", csr,
            "-subj", "/CN=" + name)
    openssl("x509", "-req", "-in", csr, "-CA", ca[0], "-CAkey", ca[1],
            "-CAcreateserial", "-out", cert, "-days", "30", "-extfile", ext)
    os.chmod(key, 0o600)
    return cert, key


def spki_pin(cert):
    """curl's pin: sha256// + base64 SHA-256 of the SubjectPublicKeyInfo."""
    pem = openssl("x509", "-in", cert, "-pubkey", "-noout")
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"],
                         input=pem.encode(), capture_output=True,
                         timeout=60).stdout
    return "sha256//" + base64.b64encode(hashlib.sha256(der).digest()).decode()


def cert_der(cert):
    with open(cert) as f:
        return ssl.PEM_cert_to_DER_cert(f.read())


def openssl_fingerprint(cert):
    """'AB:CD:...' as openssl prints it (token bind accepts that form)."""
    out = openssl("x509", "-in", cert, "-noout", "-fingerprint", "-sha256")
    return out.strip().split("=", 1)[1]


# ---- a daemon serving HTTPS ----

class TlsNode(Node):
    """A Node whose config file turns TLS on; its HTTP helpers speak
    HTTPS, trusting cafile (and presenting client=(cert, key))."""

    def __init__(self, ctx, conf, cafile, listen=None, **kw):
        super().__init__(ctx, **kw)
        self.conf_path = os.path.join(self.dir, "treasuryd.conf")
        with open(self.conf_path, "w") as f:
            f.write("".join("%s = %s\n" % kv for kv in conf.items()))
        self.extra_args += ["--config", self.conf_path]
        self.cafile = cafile
        self.client = None
        self.listen = listen
        ctx.nodes.append(self)

    def args(self):
        a = super().args()
        if self.listen is not None:
            a[a.index("--listen") + 1] = self.listen
        return a

    def url(self):
        return "https://127.0.0.1:%d" % self.port

    def tls_context(self, client=None):
        c = ssl.create_default_context(cafile=self.cafile)
        if client is not None:
            c.load_cert_chain(*client)
        return c

    def request(self, method, path, body=None, token="admin", headers=None,
                raw_body=None, client=None):
        import json
        if token == "admin":
            token = self.admin_token
        h = dict(headers or {})
        if token is not None:
            h["Authorization"] = "Bearer " + token
        data = raw_body
        if body is not None:
            data = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        conn = http.client.HTTPSConnection(
            "127.0.0.1", self.port, timeout=HTTP_TIMEOUT_S,
            context=self.tls_context(client or self.client))
        try:
            conn.request(method, path, body=data, headers=h)
            resp = conn.getresponse()
            return Response(resp.status, resp.getheaders(),
                            resp.read().decode("utf-8", "replace"))
        finally:
            conn.close()

    def served_cert_der(self):
        """The DER certificate a new connection is given."""
        c = ssl.create_default_context()
        c.check_hostname = False
        c.verify_mode = ssl.CERT_NONE
        with socket.create_connection(("127.0.0.1", self.port), 10) as s:
            with c.wrap_socket(s) as t:
                return t.getpeercert(binary_form=True)


def tls_node(ctx, pki, conf_extra=None, **kw):
    cert, key = self_signed(pki, "server")
    conf = {"tls_cert": cert, "tls_key": key}
    conf.update(conf_extra or {})
    return TlsNode(ctx, conf, cafile=cert, **kw), cert


def plain_http_gets_nothing(port):
    """A plain HTTP request to the TLS port: no HTTP answer at all."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/v1/health")
        resp = conn.getresponse()
        raise TestFailure("plain HTTP got an answer: %d" % resp.status)
    except (http.client.RemoteDisconnected, http.client.BadStatusLine,
            ConnectionResetError, BrokenPipeError):
        pass
    finally:
        conn.close()


# ---- the tests ----

def test_tls_approve_with_pinned_certificate(ctx):
    pki = ctx.tmpdir("pki")
    node, cert = tls_node(ctx, pki)
    node.start()
    c = Client(node)
    c.asset_ok("USDC", 6)
    signer_tok = node.create_token("cli-signer", "signer")
    pin = spki_pin(cert)
    env = {"TREASURYCTL_PIN": pin}
    ctls, pubs = {}, []
    for name in ("alice", "bob", "carol"):
        ctls[name] = Ctl(ctx, node.url(), signer_tok, name="home-" + name)
        pubs.append(ctls[name].key_new(name))
    r = node.post("/v1/treasuries", {"id": "grants", "threshold": 2,
                                     "signers": pubs})
    assert_equal(r.status, 201, "create treasury: %r" % r)
    r = node.post("/v1/treasuries/grants/deposits",
                  {"asset": "USDC", "amount": "100", "reference": "d1"},
                  token=c.treasurer)
    assert_equal(r.status, 201, "deposit: %r" % r)
    res = ctls["alice"].ok("propose", "transfer", "grants", "--asset", "USDC",
                           "--amount", "10", "--to", DEST, "--approve",
                           "--yes", "--keystore",
                           ctls["alice"].keystore("alice"),
                           passphrase=PASSPHRASE, env=env)
    pid = res.out.split("proposed: ")[1].split()[0]
    # bob approves over TLS with the pin given as a flag
    res = ctls["bob"].ok("--pin", pin, "approve", pid, "--yes", "--keystore",
                         ctls["bob"].keystore("bob"), passphrase=PASSPHRASE,
                         env={})
    assert_true("now approved" in res.out, "approved over TLS: %r" % res)
    assert_equal(len(votes_of(node, pid)), 2, "two votes")

    # A wrong certificate is refused before anything is sent: another
    # key's pin, or a CA that did not issue the server's certificate.
    other_cert, _ = self_signed(pki, "impostor")
    carol = ctls["carol"]
    args = ("reject", pid, "--yes", "--keystore", carol.keystore("carol"))
    bad = carol.run(*args, passphrase=PASSPHRASE,
                    env={"TREASURYCTL_PIN": spki_pin(other_cert)})
    assert_equal(bad.rc, EXIT_NETWORK, "wrong pin refused: %r" % bad)
    assert_true("pinned public key" in bad.err, "says why: %r" % bad.err)
    bad = carol.run("--cacert", other_cert, *args, passphrase=PASSPHRASE)
    assert_equal(bad.rc, EXIT_NETWORK, "wrong CA refused: %r" % bad)
    bad = carol.run(*args, passphrase=PASSPHRASE)
    assert_equal(bad.rc, EXIT_NETWORK, "system CAs do not know it: %r" % bad)
    assert_equal(len(votes_of(node, pid)), 2, "nothing posted")
    # --cacert with the right certificate works too (name checked).
    ok = carol.run("--cacert", cert, "treasuries")
    assert_equal(ok.rc, 0, "--cacert: %r" % ok)
    # A pin with an http:// URL protects nothing: a usage error.
    plain = Ctl(ctx, "http://127.0.0.1:%d" % node.port, signer_tok)
    res = plain.run("treasuries", env={"TREASURYCTL_PIN": pin})
    assert_equal(res.rc, EXIT_USAGE, "pin with http://: %r" % res)
    assert_equal(plain.run("--pin", "sha256//short", "treasuries").rc,
                 EXIT_USAGE, "malformed pin")

    # Plain HTTP on the TLS port gets nothing: no status, no body.
    plain_http_gets_nothing(node.port)
    res = plain.run("treasuries")
    assert_equal(res.rc, EXIT_NETWORK, "treasuryctl over http: %r" % res)
    # TLS 1.2 is refused unless tls_min_version = 1.2.
    ctx12 = node.tls_context()
    ctx12.maximum_version = ssl.TLSVersion.TLSv1_2
    with socket.create_connection(("127.0.0.1", node.port), 10) as s:
        try:
            ctx12.wrap_socket(s, server_hostname="127.0.0.1")
            raise TestFailure("a TLS 1.2 handshake succeeded")
        except ssl.SSLError:
            pass
    assert_equal(node.get("/v1/health", token=None).status, 200,
                 "still serving")


def test_tls_1_2_when_allowed(ctx):
    pki = ctx.tmpdir("pki")
    node, _ = tls_node(ctx, pki, {"tls_min_version": "1.2"})
    node.start()
    ctx12 = node.tls_context()
    ctx12.maximum_version = ssl.TLSVersion.TLSv1_2
    with socket.create_connection(("127.0.0.1", node.port), 10) as s:
        with ctx12.wrap_socket(s, server_hostname="127.0.0.1") as t:
            assert_equal(t.version(), "TLSv1.2", "negotiated")


def test_tls_listen_and_key_rules(ctx):
    pki = ctx.tmpdir("pki")
    cert, key = self_signed(pki, "server")
    port = free_port()
    # A non-loopback listener without TLS: refused, saying why.
    r = ctx.run_treasuryd(["--listen", "0.0.0.0:%d" % port,
                           "--check-config"])
    assert_equal(r.returncode, 1, "non-loopback without TLS")
    assert_true("non-loopback address without TLS" in r.stderr and
                "tls_cert" in r.stderr, r.stderr)
    conf = os.path.join(pki, "tls.conf")
    with open(conf, "w") as f:
        f.write("tls_cert = %s\ntls_key = %s\n" % (cert, key))
    r = ctx.run_treasuryd(["--config", conf, "--listen", "0.0.0.0:%d" % port,
                           "--check-config"])
    assert_equal(r.returncode, 0, "non-loopback with TLS: " + r.stderr)
    with open(conf, "w") as f:
        f.write("tls_cert = %s\n" % cert)
    r = ctx.run_treasuryd(["--config", conf, "--check-config"])
    assert_true(r.returncode == 1 and "tls_cert and tls_key" in r.stderr,
                "cert without key: " + r.stderr)

    def start_fails(conf_extra, want):
        n = TlsNode(ctx, dict({"tls_cert": cert, "tls_key": key},
                              **conf_extra), cafile=cert)
        n.start(wait=False)
        rc = n.proc.wait(timeout=30)
        n._stderr.close()
        n.proc = None
        assert_equal(rc, 1, "treasuryd exit code for %r" % conf_extra)
        assert_true(want in n.stderr(), "%r: %s" % (want, n.stderr()))
        assert_true("BEGIN" not in n.stderr() and
                    open(key).read().splitlines()[1] not in n.stderr(),
                    "no key material logged")

    # The key must be private: group or other permission is refused.
    loose = os.path.join(pki, "loose.key")
    shutil.copy(key, loose)
    os.chmod(loose, 0o640)
    start_fails({"tls_key": loose}, "chmod 600")
    # ... not through a symbolic link, not a FIFO (never hangs).
    link = os.path.join(pki, "link.key")
    os.symlink(key, link)
    start_fails({"tls_key": link}, "symbolic link")
    fifo = os.path.join(pki, "fifo.key")
    os.mkfifo(fifo, 0o600)
    start_fails({"tls_key": fifo}, "not a regular file")
    # A key that is not the certificate's.
    _, other_key = self_signed(pki, "other")
    start_fails({"tls_key": other_key}, "does not belong to the certificate")
    # A client CA file that holds no certificate.
    junk = os.path.join(pki, "junk.pem")
    with open(junk, "w") as f:
        f.write("not a certificate\n")
    start_fails({"tls_client_ca": junk}, "client CA")


def test_tls_sighup_replaces_certificate(ctx):
    pki = ctx.tmpdir("pki")
    node, cert = tls_node(ctx, pki)
    node.allowed_error_patterns = [r"TLS key .* does not belong",
                                   r"reload: TLS certificate and key not "
                                   r"replaced"]
    node.start()
    first = node.served_cert_der()
    assert_equal(first, cert_der(cert), "serves the configured certificate")
    # Renewed in place: the same paths, new contents, then SIGHUP.
    new_cert, new_key = self_signed(pki, "renewed")
    key = node_conf(node)["tls_key"]
    shutil.copy(new_cert, cert)
    shutil.copy(new_key, key)
    os.chmod(key, 0o600)
    node.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: node.served_cert_der() == cert_der(new_cert),
             "the renewed certificate served after SIGHUP")
    assert_equal(node.get("/v1/health", token=None).status, 200,
                 "serving (the CA file is the renewed cert now)")
    # A bad pair (key of another certificate): the running pair stays.
    _, stray_key = self_signed(pki, "stray")
    shutil.copy(stray_key, key)
    node.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: "TLS certificate and key not replaced" in node.stderr(),
             "the failed reload logged")
    assert_equal(node.served_cert_der(), cert_der(new_cert),
                 "the running pair kept")
    assert_true("<3>" in node.stderr(), "logged at err")
    assert_equal(node.get("/v1/health", token=None).status, 200, "serving")


def node_conf(node):
    with open(node.conf_path) as f:
        return dict(line.split(" = ", 1) for line in f.read().splitlines())


def wait_for(cond, what, timeout_s=10):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.05)
    raise TestFailure("timed out waiting for: " + what)


def test_tls_token_bound_to_client_certificate(ctx):
    pki = ctx.tmpdir("pki")
    ca = ca_make(pki, "client-ca")
    alice = ca_issue(pki, ca, "alice", client=True)
    mallory = ca_issue(pki, ca, "mallory", client=True)
    rogue = self_signed(pki, "rogue")          # not from the client CA
    node, cert = tls_node(ctx, pki, {"tls_client_ca": ca[0]})
    node.start()
    r = node.token_cmd("create", "--name", "alice", "--role", "viewer",
                       "--client-cert-sha256", openssl_fingerprint(alice[0]))
    assert_equal(r.returncode, 0, "bound token: " + r.stderr)
    tok = r.stdout.split()[-1]
    listed = node.token_cmd("list").stdout
    assert_true(hashlib.sha256(cert_der(alice[0])).hexdigest() in listed,
                "token list shows the binding: " + listed)
    # Without the certificate, with another one of the same CA, or with
    # one the CA did not issue: 401.
    for client, what in ((None, "no certificate"), (mallory, "another one"),
                         (rogue, "not from the CA")):
        r = node.get("/v1/whoami", token=tok, client=client)
        assert_equal(r.status, 401, "%s: %r" % (what, r))
        assert_true("bound to a TLS client certificate" in r.json["detail"],
                    "says why: %r" % r)
    r = node.get("/v1/whoami", token=tok, client=alice)
    assert_equal(r.status, 200, "with alice's certificate: %r" % r)
    # Unbound tokens need no certificate.
    assert_equal(node.get("/v1/whoami").status, 200, "admin, unbound")
    # treasuryctl presents it with --client-cert/--client-key.
    ctl = Ctl(ctx, node.url(), tok)
    base = ("--cacert", cert)
    res = ctl.run(*base, "treasuries")
    assert_equal(res.rc, EXIT_REFUSED, "treasuryctl without it: %r" % res)
    res = ctl.run(*base, "--client-cert", alice[0], "--client-key", alice[1],
                  "treasuries")
    assert_equal(res.rc, 0, "treasuryctl with it: %r" % res)
    res = ctl.run(*base, "--client-cert", alice[0], "treasuries")
    assert_equal(res.rc, EXIT_USAGE, "cert without key: %r" % res)
    # unbind: the token alone works again; bind again: refused again.
    assert_equal(node.token_cmd("unbind", "--name", "alice").returncode, 0,
                 "unbind")
    assert_equal(node.get("/v1/whoami", token=tok).status, 200, "unbound")
    r = node.token_cmd("bind", "--name", "alice", "--client-cert-sha256",
                       hashlib.sha256(cert_der(alice[0])).hexdigest())
    assert_equal(r.returncode, 0, "bind: " + r.stderr)
    assert_equal(node.get("/v1/whoami", token=tok).status, 401, "bound")
    bad = node.token_cmd("bind", "--name", "alice", "--client-cert-sha256",
                         "abcd")
    assert_true(bad.returncode == 2 and "64 hex digits" in bad.stderr,
                "malformed fingerprint: " + bad.stderr)


def test_tls_passed_socket_may_be_public_with_tls(ctx):
    """Socket activation on 0.0.0.0: refused without TLS (test_service_
    systemd), served with it."""
    activate = shutil.which("systemd-socket-activate")
    assert_true(activate is not None, "systemd-socket-activate is missing")
    pki = ctx.tmpdir("pki")
    cert, key = self_signed(pki, "server")
    conf = os.path.join(pki, "tls.conf")
    with open(conf, "w") as f:
        f.write("tls_cert = %s\ntls_key = %s\n" % (cert, key))
    port = free_port()
    d = ctx.tmpdir("public")
    proc = subprocess.Popen(
        [activate, "-l", "0.0.0.0:%d" % port, ctx.treasuryd, "--config",
         conf, "--db", os.path.join(d, "t.db")],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    status = None
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and status is None:
            conn = http.client.HTTPSConnection(
                "127.0.0.1", port, timeout=5,
                context=ssl.create_default_context(cafile=cert))
            try:
                conn.request("GET", "/v1/health")
                status = conn.getresponse().status
            except OSError:
                time.sleep(0.1)
            finally:
                conn.close()
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert_equal(status, 200, "health over TLS on the passed socket")
    assert_equal(proc.returncode, 0, "clean exit: %r" % err)
    assert_true(b"serving on the passed socket 0.0.0.0:%d" % port in err,
                "passed socket used: %r" % err)
