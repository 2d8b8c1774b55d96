#!/usr/bin/python3
"""slowloris.py: does treasuryd keep answering GET /v1/health within 100 ms
while 2,000 idle connections and 50 slowloris clients are held open
against it? (the goal in bench/README.md, last section)

Starts its own treasuryd on a free loopback port with a temporary database
and a config that allows the connections (max_connections and
per_ip_connections 4096, every client being 127.0.0.1; connection_timeout
60 s so that the idle connections really stay for the whole run), then:

  1. measures a baseline: PROBES health requests, each on a new connection,
     PROBE_INTERVAL_S apart;
  2. opens IDLE connections that never send a byte;
  3. opens SLOW slowloris clients: half send a request's headers one byte
     every TRICKLE_S seconds and never finish them; half send complete
     headers of a POST with Content-Length 4096 and then one body byte
     every TRICKLE_S seconds;
  4. measures again, the same way, while trickling;
  5. counts how many idle and slowloris connections the server still holds
     open at the end (a closed one reads as EOF), stops the daemon with
     SIGTERM and checks that it exited 0.

Loopback only, bounded in time (about 2 * PROBES * PROBE_INTERVAL_S plus
the set-up; never more than MAX_RUN_S) and in count; stops by itself. Raises
RLIMIT_NOFILE to what it needs (the daemon inherits it). Prints a summary
and "RESULT name value" lines; exits 0 when the goal was met, 1 when not,
2 when something broke.

Usage: bench/slowloris.py --treasuryd build/daemon/treasuryd
           [--idle 2000] [--slow 50] [--probes 200] [--threads 2]
"""

import argparse
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

GOAL_MS = 100.0
PROBE_INTERVAL_S = 0.05
TRICKLE_S = 1.0
MAX_RUN_S = 120.0
READY_TIMEOUT_S = 15.0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def health_once(port, timeout=5.0):
    """One GET /v1/health on a new connection: (ms, status)."""
    t0 = time.perf_counter()
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(b"GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  b"Connection: close\r\n\r\n")
        data = b""
        while True:
            c = s.recv(4096)
            if not c:
                break
            data += c
    finally:
        s.close()
    ms = (time.perf_counter() - t0) * 1000.0
    status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/") else 0
    return ms, status


def probe(port, n, interval_s):
    """n health requests, interval_s apart: list of ms (failures as inf)."""
    out = []
    for _ in range(n):
        t_next = time.monotonic() + interval_s
        try:
            ms, status = health_once(port)
            out.append(ms if status == 200 else float("inf"))
        except OSError:
            out.append(float("inf"))
        delay = t_next - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    return out


def summary(name, ms):
    ok = [x for x in ms if x != float("inf")]
    q = sorted(ok)
    p = (lambda f: q[min(len(q) - 1, int(f * len(q)))]) if q else (lambda f: 0)
    over = sum(1 for x in ms if x > GOAL_MS)
    print("%-9s n=%d failed=%d p50=%.2f ms p99=%.2f ms max=%.2f ms "
          "mean=%.2f ms over_%dms=%d" % (
              name, len(ms), len(ms) - len(ok), p(0.5), p(0.99),
              max(ok) if ok else 0, statistics.mean(ok) if ok else 0,
              GOAL_MS, over))
    for k, v in (("p50_ms", p(0.5)), ("p99_ms", p(0.99)),
                 ("max_ms", max(ok) if ok else 0),
                 ("failed", len(ms) - len(ok)), ("over_goal", over)):
        print("RESULT %s_%s %s" % (name, k, round(v, 3)))
    return over == 0 and len(ok) == len(ms)


def still_open(socks):
    """How many of socks the server has not closed (no EOF, no reset)."""
    n = 0
    for s in socks:
        try:
            s.setblocking(False)
            data = s.recv(1, socket.MSG_PEEK)
            if data:
                n += 1          # an answer (e.g. 408) but not closed yet
        except BlockingIOError:
            n += 1              # nothing to read: still open
        except OSError:
            pass
    return n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--treasuryd", required=True)
    ap.add_argument("--idle", type=int, default=2000)
    ap.add_argument("--slow", type=int, default=50)
    ap.add_argument("--probes", type=int, default=200)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--default-limits", action="store_true",
                    help="keep the default max_connections, "
                    "per_ip_connections and connection_timeout (4096, 4096, 10 s)")
    args = ap.parse_args()
    assert 0 <= args.idle <= 10000 and 0 <= args.slow <= 1000
    assert 1 <= args.probes <= 2000

    need = args.idle + args.slow + 4096 + 256
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        if hard != resource.RLIM_INFINITY and hard < need:
            print("RLIMIT_NOFILE hard limit %d < %d needed" % (hard, need))
            return 2
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))

    tmp = tempfile.mkdtemp(prefix="treasuryd-slowloris-")
    port = free_port()
    conf = os.path.join(tmp, "treasuryd.conf")
    with open(conf, "w") as f:
        f.write("threads = %d\nlog_level = warning\n" % args.threads)
        if not args.default_limits:
            f.write("max_connections = 4096\nper_ip_connections = 4096\n"
                    "connection_timeout = 60\n")
    log = open(os.path.join(tmp, "stderr.log"), "wb")
    daemon = subprocess.Popen(
        [args.treasuryd, "--config", conf, "--db",
         os.path.join(tmp, "treasury.db"), "--listen", "127.0.0.1:%d" % port],
        stdout=subprocess.DEVNULL, stderr=log, cwd=tmp)
    deadline = time.monotonic() + MAX_RUN_S
    stop = threading.Event()
    idle, slow = [], []
    rc = 2
    try:
        t_ready = time.monotonic() + READY_TIMEOUT_S
        while True:
            if daemon.poll() is not None:
                raise RuntimeError("treasuryd exited %d" % daemon.returncode)
            try:
                if health_once(port, 1.0)[1] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > t_ready:
                raise RuntimeError("treasuryd not ready")
            time.sleep(0.05)
        print("treasuryd on 127.0.0.1:%d, threads=%d, %s" % (
            port, args.threads, "default limits (max_connections 4096, "
            "per_ip_connections 4096, connection_timeout 10 s)"
            if args.default_limits else "max_connections=4096, "
            "per_ip_connections=4096, connection_timeout=60 s"))

        base = probe(port, args.probes, PROBE_INTERVAL_S)

        t0 = time.monotonic()
        for _ in range(args.idle):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            idle.append(s)
        for i in range(args.slow):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            if i % 2 == 0:
                s.sendall(b"GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          b"X-Slow: ")
            else:
                s.sendall(b"POST /v1/assets HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          b"Content-Type: application/json\r\n"
                          b"Content-Length: 4096\r\n\r\n{")
            slow.append(s)
        print("opened %d idle and %d slowloris connections in %.2f s"
              % (len(idle), len(slow), time.monotonic() - t0))

        def trickle():
            while not stop.wait(TRICKLE_S):
                for s in slow:
                    try:
                        s.send(b"a")
                    except OSError:
                        pass
                if time.monotonic() > deadline:
                    return
        th = threading.Thread(target=trickle, daemon=True)
        th.start()
        time.sleep(2 * TRICKLE_S)        # the slow ones have trickled
        loaded = probe(port, args.probes, PROBE_INTERVAL_S)
        stop.set()
        th.join()
        fds = len(os.listdir("/proc/%d/fd" % daemon.pid))
        print("treasuryd holds %d file descriptors" % fds)
        print("RESULT daemon_fds %d" % fds)
        open_idle, open_slow = still_open(idle), still_open(slow)
        print("still held open by the server at the end: %d of %d idle, "
              "%d of %d slowloris" % (open_idle, len(idle), open_slow,
                                      len(slow)))
        print("RESULT idle_open %d\nRESULT slow_open %d" % (open_idle,
                                                             open_slow))
        summary("baseline", base)
        met = summary("loaded", loaded)
        met = met and open_idle == len(idle) and open_slow == len(slow)
        print("GOAL health within %d ms under %d idle + %d slowloris: %s"
              % (GOAL_MS, args.idle, args.slow, "MET" if met else "NOT MET"))
        rc = 0 if met else 1
    except (RuntimeError, OSError) as e:
        print("slowloris.py: %s" % e)
        rc = 2
    finally:
        stop.set()
        for s in idle + slow:
            s.close()
        if daemon.poll() is None:
            daemon.send_signal(signal.SIGTERM)
            try:
                code = daemon.wait(timeout=30)
            except subprocess.TimeoutExpired:
                daemon.kill()
                code = daemon.wait()
            if code != 0:
                print("treasuryd exited %d after SIGTERM" % code)
                rc = 2
        log.close()
        with open(os.path.join(tmp, "stderr.log"), "rb") as f:
            errors = [l for l in f.read().decode("utf-8", "replace")
                      .splitlines() if l[:3] in ("<0>", "<1>", "<2>", "<3>")]
        if errors:
            print("treasuryd logged errors:\n" + "\n".join(errors[:20]))
            rc = 2
        if rc == 0:
            subprocess.run(["rm", "-rf", tmp])
        else:
            print("kept " + tmp)
    return rc


if __name__ == "__main__":
    sys.exit(main())
