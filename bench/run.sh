#!/bin/sh
# bench/run.sh: treasuryd's benchmark, in one command (docs: bench/README.md).
#
# Builds treasuryd and the bench programs, then, all on 127.0.0.1:
#   1. bench_verify_rate: ECDSA verify rate, 1 core and all cores (ceiling 1);
#   2. bench_hello_mhd + wrk GET: libmicrohttpd hello-world rate (ceiling 2);
#   3. times 4 KiB append + fdatasync on the database's file system (what
#      one group commit waits for at least), starts treasuryd on a temporary
#      directory and port, and has prepare.py make an asset, a 32-of-32
#      treasury, proposals and 32 signed votes for each;
#   4. bench_loadgen: votes at a fixed 1,000/s (open loop), p50/p99;
#   5. wrk with requests.lua: votes as fast as they are answered, each a
#      distinct (proposal, signer) pair, i.e. a durable insert;
#   6. wrk GET /v1/treasuries/bench/balances
#      (for each wrk run it also records the CPU seconds of every busy
#      server thread: libmicrohttpd keeps a connection on the thread that
#      accepted it, and one thread often accepts them all);
#   7. stops treasuryd (SIGTERM, must exit 0), counts the votes in the
#      database, and prints a summary: rates, ratios to the ceilings
#      measured above, latencies, and whether each goal of the issue is met.
#
# Not a test: it is not in ctest and exits 0 whether or not goals are met
# (non-zero only when something broke). Knobs (environment):
#   BUILD_DIR (build)  PROPOSALS (8000)  VOTE_S (8)  HELLO_S (5)  BAL_S (5)
#   LAT_S (10)  LAT_RATE (1000)  VERIFY_S (2)  WRK_THREADS (1)
#   WRK_CONNS (16, GET runs)  VOTE_CONNS (64)  LAT_CONNS (32)
#   TREASURYD_THREADS (unset: the daemon's default, 2)  KEEP=1 keeps the
#   temporary directory.  WEBHOOKS=1 registers one webhook endpoint (every
#   entry type) before prepare, on a local sink (Python, answers 204), so
#   that every vote's journal entries are also queued in the outbox and
#   delivered: compare "durable votes" with and without it (the sink
#   shares the 2 cores).
set -eu

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD_DIR:-$SRC/build}
PY=/usr/bin/python3
PROPOSALS=${PROPOSALS:-8000}
VOTE_S=${VOTE_S:-8}
HELLO_S=${HELLO_S:-5}
BAL_S=${BAL_S:-5}
LAT_S=${LAT_S:-10}
LAT_RATE=${LAT_RATE:-1000}
LAT_WARM_S=1
VERIFY_S=${VERIFY_S:-2}
WRK_THREADS=${WRK_THREADS:-1}
WRK_CONNS=${WRK_CONNS:-16}
VOTE_CONNS=${VOTE_CONNS:-64}
LAT_CONNS=${LAT_CONNS:-32}

say() { printf '== %s\n' "$*" >&2; }
fail() { printf 'bench: %s\n' "$*" >&2; exit 1; }
# result FILE NAME: the value of "RESULT NAME value" in FILE.
result() { awk -v k="$2" '$1 == "RESULT" && $2 == k { v = $3 } END { print v }' "$1"; }
free_port() {
	$PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# wait_http PORT PATH: until GET answers 200 (15 s at most).
wait_http() {
	$PY - "$1" "$2" <<'EOF' || fail "nothing answers 200 on 127.0.0.1:$1$2"
import http.client, sys, time
end = time.monotonic() + 15
while time.monotonic() < end:
    try:
        c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=2)
        c.request("GET", sys.argv[2])
        if c.getresponse().status == 200:
            sys.exit(0)
    except OSError:
        pass
    time.sleep(0.05)
sys.exit(1)
EOF
}

# thread_ticks PID: "TID utime+stime" per thread, sorted by TID.
thread_ticks() {
	for t in /proc/"$1"/task/*; do
		awk -v t="${t##*/}" '{ print t, $14 + $15 }' "$t/stat"
	done | sort
}

# busy_threads BEFORE AFTER: CPU seconds of each thread busy >= 0.05 s.
busy_threads() {
	join "$1" "$2" | awk -v hz="$(getconf CLK_TCK)" '
		{ d = ($3 - $2) / hz; if (d >= 0.05) { printf "%s%.2f", sep, d; sep = " " } }'
}

T0=$(date +%s)
LOAD0=$(cut -d' ' -f1 /proc/loadavg)
command -v wrk >/dev/null 2>&1 || {
	say "wrk missing: apt-get install -y wrk"
	apt-get install -y wrk >/dev/null || fail "cannot install wrk (Debian package wrk)"
}
[ -x "$PY" ] && $PY -c 'import cryptography' 2>/dev/null ||
	fail "$PY with python3-cryptography is needed"

say "build ($BUILD)"
[ -f "$BUILD/CMakeCache.txt" ] || cmake -S "$SRC" -B "$BUILD" >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target treasuryd bench_verify_rate \
	bench_hello_mhd bench_loadgen bench_sign >/dev/null ||
	fail "build failed (run: cmake --build $BUILD)"
BIN=$BUILD/bench
TREASURYD=$BUILD/daemon/treasuryd

TMP=$(mktemp -d "${TMPDIR:-/tmp}/treasuryd-bench.XXXXXX")
HELLO_PID=
DAEMON_PID=
SINK_PID=
cleanup() {
	[ -n "$SINK_PID" ] && kill "$SINK_PID" 2>/dev/null && wait "$SINK_PID" 2>/dev/null
	[ -n "$HELLO_PID" ] && kill "$HELLO_PID" 2>/dev/null && wait "$HELLO_PID" 2>/dev/null
	[ -n "$DAEMON_PID" ] && kill "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null
	if [ "${KEEP:-0}" = 1 ]; then
		printf 'bench: kept %s\n' "$TMP" >&2
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- 1. signature ceiling ----
say "verify rate (${VERIFY_S} s per run, 4 runs)"
"$BIN/bench_verify_rate" -s "$VERIFY_S" >"$TMP/verify.out"

# ---- 2. HTTP ceiling ----
PORT=$(free_port)
say "hello-world libmicrohttpd on 127.0.0.1:$PORT, wrk ${HELLO_S} s"
"$BIN/bench_hello_mhd" -p "$PORT" -t 2 2>"$TMP/hello.log" &
HELLO_PID=$!
wait_http "$PORT" /v1/health
wrk -t"$WRK_THREADS" -c"$WRK_CONNS" -d1s "http://127.0.0.1:$PORT/v1/health" >/dev/null
thread_ticks "$HELLO_PID" >"$TMP/ticks0"
wrk -t"$WRK_THREADS" -c"$WRK_CONNS" -d"${HELLO_S}s" -s "$SRC/bench/requests.lua" \
	"http://127.0.0.1:$PORT/v1/health" >"$TMP/hello.out"
thread_ticks "$HELLO_PID" >"$TMP/ticks1"
HELLO_CPU=$(busy_threads "$TMP/ticks0" "$TMP/ticks1")
kill "$HELLO_PID"
wait "$HELLO_PID" || true
HELLO_PID=

# ---- 3. disk: what one commit costs, then treasuryd ----
mkdir -m 700 "$TMP/db"
DB=$TMP/db/treasury.db
say "disk: 4 KiB append + fdatasync, one stream, 2 s, in $TMP/db"
$PY - "$TMP/db/fsync-probe" >"$TMP/fsync.out" <<'EOF'
import os, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
lat, block, end = [], b"\0" * 4096, time.monotonic() + 2
while time.monotonic() < end:
    t = time.monotonic()
    os.write(fd, block)
    os.fdatasync(fd)
    lat.append(time.monotonic() - t)
os.close(fd)
os.unlink(sys.argv[1])
lat.sort()
print("RESULT fsync_per_s %.0f" % (len(lat) / sum(lat)))
print("RESULT fsync_p50_ms %.3f" % (lat[len(lat) // 2] * 1e3))
print("RESULT fsync_p99_ms %.3f" % (lat[int(len(lat) * 0.99)] * 1e3))
EOF
PORT=$(free_port)
say "treasuryd on 127.0.0.1:$PORT, database $DB"
set -- --db "$DB" --listen "127.0.0.1:$PORT"
: >"$TMP/treasuryd.conf"
if [ -n "${TREASURYD_THREADS:-}" ]; then
	printf 'threads = %s\n' "$TREASURYD_THREADS" >>"$TMP/treasuryd.conf"
	say "treasuryd threads = $TREASURYD_THREADS (hello-world keeps 2)"
fi
if [ "${WEBHOOKS:-0}" = 1 ]; then
	SINK_PORT=$(free_port)
	$PY - "$SINK_PORT" >"$TMP/sink.out" 2>&1 <<'EOF' &
import http.server, signal, sys
class Sink(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"      # keep-alive, as curl reuses it
    count = 0
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(204)
        self.end_headers()
        Sink.count += 1
    def log_message(self, *args):
        pass
def done(*args):
    print("RESULT sink_posts %d" % Sink.count, flush=True)
    sys.exit(0)
signal.signal(signal.SIGTERM, done)
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Sink).serve_forever()
EOF
	SINK_PID=$!
	printf 'webhook_hosts = 127.0.0.1:%s\n' "$SINK_PORT" >>"$TMP/treasuryd.conf"
	say "webhooks: one endpoint, sink on 127.0.0.1:$SINK_PORT (204)"
fi
set -- --config "$TMP/treasuryd.conf" "$@"
"$TREASURYD" "$@" 2>"$TMP/treasuryd.log" &
DAEMON_PID=$!
wait_http "$PORT" /v1/health
if [ -n "$SINK_PID" ]; then
	$PY - "$PORT" "$TMP/db/admin.token" "$SINK_PORT" <<'EOF' || fail "cannot register the webhook"
import http.client, json, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=10)
c.request("POST", "/v1/webhooks", json.dumps(
    {"url": "http://127.0.0.1:%s/sink" % sys.argv[3]}),
    {"Authorization": "Bearer " + open(sys.argv[2]).read().strip(),
     "Content-Type": "application/json"})
r = c.getresponse()
sys.exit(0 if r.status == 201 else 1)
EOF
fi
say "prepare: $PROPOSALS proposals, $((PROPOSALS * 32)) signed votes"
$PY "$SRC/bench/prepare.py" --url "http://127.0.0.1:$PORT" \
	--admin-token-file "$TMP/db/admin.token" --db "$DB" \
	--treasuryd "$TREASURYD" --signer-bin "$BIN/bench_sign" \
	--proposals "$PROPOSALS" --out "$TMP" >"$TMP/prepare.out"
SIGNER=$(cat "$TMP/signer.token")
VIEWER=$(cat "$TMP/viewer.token")
BALANCES=$(result "$TMP/prepare.out" balances_path)
LAT_N=$(awk -v r="$LAT_RATE" -v d="$LAT_S" -v w="$LAT_WARM_S" 'BEGIN { printf "%d", r * (d + w) }')
head -n "$LAT_N" "$TMP/votes.txt" >"$TMP/votes-latency.txt"
tail -n +"$((LAT_N + 1))" "$TMP/votes.txt" >"$TMP/votes-max.txt"

# ---- 4. latency at a fixed rate ----
say "votes at a fixed ${LAT_RATE}/s for ${LAT_S} s (+${LAT_WARM_S} s warm-up), open loop"
"$BIN/bench_loadgen" -p "$PORT" -r "$LAT_RATE" -d "$LAT_S" -w "$LAT_WARM_S" \
	-c "$LAT_CONNS" -f "$TMP/votes-latency.txt" \
	-H "Authorization: Bearer $SIGNER" >"$TMP/latency.out" ||
	say "loadgen: some votes failed (see above)"

# ---- 5. durable vote rate ----
say "votes at full speed, wrk ${VOTE_S} s, $VOTE_CONNS connections"
thread_ticks "$DAEMON_PID" >"$TMP/ticks0"
wrk -t"$WRK_THREADS" -c"$VOTE_CONNS" -d"${VOTE_S}s" -s "$SRC/bench/requests.lua" \
	"http://127.0.0.1:$PORT/" -- "$TMP/votes-max.txt" "$SIGNER" "$WRK_THREADS" \
	>"$TMP/votes.out"
thread_ticks "$DAEMON_PID" >"$TMP/ticks1"
# CPU seconds of each busy treasuryd thread during the run (the writer is
# one of them; MHD keeps a connection on the thread that accepted it).
THREAD_CPU=$(busy_threads "$TMP/ticks0" "$TMP/ticks1")

# ---- 6. reads ----
say "GET $BALANCES, wrk ${BAL_S} s"
wrk -t"$WRK_THREADS" -c"$WRK_CONNS" -d1s -H "Authorization: Bearer $VIEWER" \
	"http://127.0.0.1:$PORT$BALANCES" >/dev/null
thread_ticks "$DAEMON_PID" >"$TMP/ticks0"
wrk -t"$WRK_THREADS" -c"$WRK_CONNS" -d"${BAL_S}s" -s "$SRC/bench/requests.lua" \
	-H "Authorization: Bearer $VIEWER" "http://127.0.0.1:$PORT$BALANCES" \
	>"$TMP/balances.out"
thread_ticks "$DAEMON_PID" >"$TMP/ticks1"
BAL_CPU=$(busy_threads "$TMP/ticks0" "$TMP/ticks1")

# ---- 7. stop, count what is durable ----
WEBHOOK_LINE=
if [ -n "$SINK_PID" ]; then
	WEBHOOK_LINE=$($PY - "$PORT" "$VIEWER" <<'EOF'
import http.client, re, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=10)
c.request("GET", "/v1/metrics", headers={"Authorization": "Bearer " + sys.argv[2]})
m = c.getresponse().read().decode()
ok = re.search(r'treasuryd_webhook_deliveries_total\{result="ok"\} (\d+)', m)
pend = re.search(r"treasuryd_webhook_outbox_pending (\d+)", m)
print("webhooks: %s delivered, %s pending in the outbox at the end of the run"
      % (ok.group(1) if ok else "?", pend.group(1) if pend else "?"))
EOF
) || WEBHOOK_LINE="webhooks: metrics unreadable"
fi
kill -TERM "$DAEMON_PID"
DAEMON_RC=0
wait "$DAEMON_PID" || DAEMON_RC=$?
DAEMON_PID=
DB_VOTES=$($PY - "$DB" <<'EOF'
import sqlite3, sys
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
print(db.execute("SELECT count(*) FROM votes").fetchone()[0])
EOF
) || DB_VOTES=unknown
ERROR_LINES=$(grep -c '^<[0-3]>' "$TMP/treasuryd.log" || true)
if [ -n "$SINK_PID" ]; then
	kill -TERM "$SINK_PID"
	wait "$SINK_PID" || true
	SINK_PID=
fi

# ---- summary ----
VR1=$(result "$TMP/verify.out" verify_raw_1core_per_s)
VRN=$(result "$TMP/verify.out" verify_raw_allcores_per_s)
VTN=$(result "$TMP/verify.out" verify_treasuryd_allcores_per_s)
HELLO=$(result "$TMP/hello.out" wrk_rate_per_s)
FSYNC=$(result "$TMP/fsync.out" fsync_per_s)
FSYNC_P50=$(result "$TMP/fsync.out" fsync_p50_ms)
FSYNC_P99=$(result "$TMP/fsync.out" fsync_p99_ms)
HELLO_ERR=$(result "$TMP/hello.out" wrk_errors)
VOTES=$(result "$TMP/votes.out" wrk_rate_per_s)
VOTE_REQS=$(result "$TMP/votes.out" wrk_requests)
VOTE_ERR=$(result "$TMP/votes.out" wrk_errors)
VOTE_REP=$(result "$TMP/votes.out" wrk_repeats)
VOTE_P50=$(result "$TMP/votes.out" wrk_p50_ms)
VOTE_P99=$(result "$TMP/votes.out" wrk_p99_ms)
BAL=$(result "$TMP/balances.out" wrk_rate_per_s)
BAL_ERR=$(result "$TMP/balances.out" wrk_errors)
LAT_OK=$(result "$TMP/latency.out" lat_all_2xx)
LAT_FAILED=$(result "$TMP/latency.out" lat_failed)
P50=$(result "$TMP/latency.out" lat_p50_ms)
P90=$(result "$TMP/latency.out" lat_p90_ms)
P99=$(result "$TMP/latency.out" lat_p99_ms)
PMAX=$(result "$TMP/latency.out" lat_max_ms)
SP99=$(result "$TMP/latency.out" lat_service_p99_ms)
# Votes answered 2xx by both vote runs (warm-up too): all must be durable.
EXPECT_DB=$((VOTE_REQS - VOTE_ERR + LAT_OK))

awk -v vr1="$VR1" -v vrn="$VRN" -v vtn="$VTN" -v hello="$HELLO" \
    -v votes="$VOTES" -v bal="$BAL" -v p50="$P50" -v p90="$P90" \
    -v p99="$P99" -v pmax="$PMAX" -v sp99="$SP99" -v rate="$LAT_RATE" \
    -v vp50="$VOTE_P50" -v vp99="$VOTE_P99" -v cores="$(nproc)" \
    -v lat_failed="$LAT_FAILED" -v vote_err="$VOTE_ERR" -v vote_rep="$VOTE_REP" \
    -v bal_err="$BAL_ERR" -v hello_err="$HELLO_ERR" -v db="$DB_VOTES" \
    -v expect_db="$EXPECT_DB" -v rc="$DAEMON_RC" -v errs="$ERROR_LINES" \
    -v fsync="$FSYNC" -v fsync_p50="$FSYNC_P50" -v fsync_p99="$FSYNC_P99" \
    -v hello_cpu="$HELLO_CPU" -v bal_cpu="$BAL_CPU" -v thread_cpu="$THREAD_CPU" -v load="$LOAD0" -v conns="$VOTE_CONNS" -v threads="${TREASURYD_THREADS:-default}" -v secs="$(($(date +%s) - T0))" 'BEGIN {
	scaling = vrn / vr1
	ok = (vote_err == 0 && vote_rep == 0 && lat_failed == 0 && bal_err == 0 && hello_err == 0)
	printf "\ntreasuryd benchmark, %d cores, treasuryd threads %s, 127.0.0.1, %d s, load average at start %s\n\n", cores, threads, secs, load
	printf "%-44s %14s\n", "measure", "value"
	printf "%-44s %14.0f /s\n", "ECDSA verify, raw libsecp256k1, 1 core", vr1
	printf "%-44s %14.0f /s\n", "ECDSA verify, raw libsecp256k1, all cores", vrn
	printf "%-44s %14.0f /s\n", "ECDSA verify, treasuryd path, all cores", vtn
	printf "%-44s %14.0f /s\n", "HTTP hello-world (libmicrohttpd, wrk GET)", hello
	printf "%-44s %s\n", "  (CPU s of each busy hello-world thread)", hello_cpu
	printf "%-44s %14.0f /s   (p50 %.3f ms, p99 %.3f ms)\n", "disk: 4 KiB append + fdatasync, 1 stream", fsync, fsync_p50, fsync_p99
	printf "%-44s %14.0f /s   (wrk p50 %.2f ms, p99 %.2f ms)\n", "durable votes (wrk POST, max rate)", votes, vp50, vp99
	printf "%-44s %s\n", "  (CPU s of each busy treasuryd thread)", thread_cpu
	printf "%-44s %14.0f /s\n", "GET balances (wrk)", bal
	printf "%-44s %s\n", "  (CPU s of each busy treasuryd thread)", bal_cpu
	printf "%-44s %14.3f ms\n", sprintf("vote latency p50 at %d/s (open loop)", rate), p50
	printf "%-44s %14.3f ms\n", sprintf("vote latency p90 at %d/s", rate), p90
	printf "%-44s %14.3f ms\n", sprintf("vote latency p99 at %d/s", rate), p99
	printf "%-44s %14.3f ms\n", sprintf("vote latency max at %d/s", rate), pmax
	printf "%-44s %14.3f ms\n", "  (p99 from write, excl. loadgen lag)", sp99
	printf "\n%-44s %14s\n", "ratio", "value"
	printf "%-44s %14.3f\n", "durable votes / raw verify (all cores)", votes / vrn
	printf "%-44s %14.3f\n", "durable votes / hello-world", votes / hello
	printf "%-44s %14.3f\n", "GET balances / hello-world", bal / hello
	printf "%-44s %14.3f\n", "durable votes / fdatasync rate", votes / fsync
	printf "\n%-44s %14s  %s\n", "goal (issue, 2 cores)", "reached", "met"
	printf "%-44s %14.0f  %s\n", "durable votes/s >= 10000", votes, (votes >= 10000 ? "yes" : "NO")
	printf "%-44s %14.3f  %s\n", sprintf("p99 < 5 ms at %d votes/s", rate), p99, (p99 < 5 ? "yes" : "NO")
	printf "%-44s %14.3f  %s\n", "GET balances >= 0.70 x hello-world", bal / hello, (bal / hello >= 0.70 ? "yes" : "NO")
	printf "\nchecks: failed votes at fixed rate %d; wrk vote errors %d, repeats %d; GET errors %d/%d;\n", lat_failed, vote_err, vote_rep, hello_err, bal_err
	printf "        votes in the database %s (answered 2xx: %d); treasuryd exit %d, error lines %d\n", db, expect_db, rc, errs
	# wrk stops with up to VOTE_CONNS votes in flight: committed, not counted.
	if (scaling < 0.9 * cores)
		printf "WARNING: verify scales %.2fx on %d cores: something else used the CPU; numbers are low\n", scaling, cores
	if (!ok || rc != 0 || errs != 0 || db < expect_db || db > expect_db + conns)
		printf "WARNING: the run is not clean (see checks); its numbers are suspect\n"
}'
if [ -n "$WEBHOOK_LINE" ]; then
	printf '%s (the sink got %s POSTs)\n' "$WEBHOOK_LINE" \
	    "$(result "$TMP/sink.out" sink_posts)"
fi
