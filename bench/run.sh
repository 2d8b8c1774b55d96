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
#      (for hello-world and each run against treasuryd it also records the
#      CPU time of every server thread, by name from /proc/PID/task/*/comm:
#      the writer "td-writer", the webhook thread "td-webhooks",
#      libmicrohttpd's "MHD-*" or, with an older libmicrohttpd, the
#      process's own name. It prints the CPU seconds of each busy thread
#      and the CPU µs per 2xx answer of each role: HTTP threads, writer,
#      other);
#   7. stops treasuryd (SIGTERM, must exit 0) and counts the votes in the
#      database;
#   8. for each N of THREAD_COUNTS: treasuryd with N HTTP threads on a
#      fresh database (PROPOSALS_EXTRA proposals), one wrk vote run as in
#      5, SIGTERM, votes counted;
#   8b. unless POSTGRESQL=0, or without Debian's postgresql: the same on
#      PostgreSQL (a throwaway cluster, tests/pg/with-cluster.sh), one
#      daemon, PROPOSALS_EXTRA proposals, one wrk vote run, votes counted;
#      then two daemons on one database of the cluster, half the votes
#      through each at once (pg_two_run);
#   9. prints a summary: rates, ratios to the ceilings measured above
#      (and to the combined ceiling of HTTP and verify), latencies, CPU per
#      answer, and whether each goal of issue #16 is met.
#
# Not a test: it is not in ctest and exits 0 whether or not goals are met
# (non-zero only when something broke). Knobs (environment):
#   BUILD_DIR (build)  PROPOSALS (8000)  VOTE_S (8)  HELLO_S (5)  BAL_S (5)
#   THREAD_COUNTS ("4 8"; empty skips step 8)  PROPOSALS_EXTRA (4000)
#   LAT_S (10)  LAT_RATE (1000)  VERIFY_S (2)  WRK_THREADS (1)
#   WRK_CONNS (16, GET runs)  VOTE_CONNS (64)  LAT_CONNS (32)
#   TREASURYD_THREADS (unset: the daemon's default, 2)  KEEP=1 keeps the
#   temporary directory.  PERF=1 records a perf profile of treasuryd
#   during the fixed-rate run and each full-speed vote run (with KEEP=1:
#   DIR/perf-latency.txt, DIR/perf-votes.txt, by thread and symbol).  WEBHOOKS=1 registers one webhook endpoint (every
#   entry type) before prepare, on a local sink (Python, answers 204), so
#   that every vote's journal entries are also queued in the outbox and
#   delivered: compare "durable votes" with and without it (the sink
#   shares the 2 cores).
set -eu

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD_DIR:-$SRC/build}
PY=/usr/bin/python3
PROPOSALS=${PROPOSALS:-8000}
THREAD_COUNTS=${THREAD_COUNTS-4 8}
PROPOSALS_EXTRA=${PROPOSALS_EXTRA:-4000}
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

# thread_ticks PID: "TID NAME utime+stime" per thread, sorted by TID. The
# name is /proc/PID/task/TID/comm, blanks made "_"; stat's fields are
# counted after its "(comm) ", which may hold blanks (utime is field 14).
thread_ticks() {
	for t in /proc/"$1"/task/*; do
		name=$(tr ' ' _ 2>/dev/null <"$t/comm") || continue
		awk -v t="${t##*/}" -v n="$name" '
			{ sub(/^.*\) /, ""); print t, n, $12 + $13 }' "$t/stat" \
			2>/dev/null || true
	done | sort -n
}

# thread_cpu BEFORE AFTER: "TID NAME SECONDS" of each thread between the
# two thread_ticks (a thread started in between counts from 0).
thread_cpu() {
	awk -v hz="$(getconf CLK_TCK)" 'NR == FNR { t0[$1] = $3; next }
		{ printf "%s %s %.3f\n", $1, $2, ($3 - t0[$1]) / hz }' "$1" "$2"
}

# busy_threads BEFORE AFTER: "NAME SECONDS" of each thread busy >= 0.05 s.
busy_threads() {
	thread_cpu "$1" "$2" | awk '
		$3 >= 0.05 { printf "%s%s %.2f", sep, $2, $3; sep = ", " }'
}

# role_cpu BEFORE AFTER N PROCNAME: CPU µs per answer (N answers) of the
# HTTP threads (libmicrohttpd's, named MHD-* or, with an older
# libmicrohttpd, PROCNAME like the idle main thread), the writer and the
# others (td-webhooks and any other).
role_cpu() {
	thread_cpu "$1" "$2" | awk -v n="$3" -v p="$4" '
		$2 == "td-writer" { w += $3; next }
		$2 ~ /^MHD-/ || $2 == p { h += $3; next }
		{ o += $3 }
		END {
			if (n <= 0) { print "none answered 2xx"; exit }
			printf "http threads %.1f, writer %.1f, other %.1f, total %.1f\n",
			    h * 1e6 / n, w * 1e6 / n, o * 1e6 / n, (h + w + o) * 1e6 / n
		}'
}

# thread_io PID: "TID NAME SYSCR SYSCW WCHAR" of each thread of PID
# (/proc/PID/task/TID/io: read and write system calls, bytes written).
thread_io() {
	for t in /proc/"$1"/task/*; do
		name=$(tr ' ' _ 2>/dev/null <"$t/comm") || continue
		awk -v t="${t##*/}" -v n="$name" '
			{ v[$1] = $2 }
			END { print t, n, v["syscr:"] + 0, v["syscw:"] + 0, v["wchar:"] + 0 }' \
			"$t/io" 2>/dev/null || true
	done | sort -n
}

# role_io BEFORE AFTER N PROCNAME: per answer (N answers), the read and
# write system calls of the HTTP threads and of the writer, and the KiB
# the writer wrote (WAL, database, journal key...): counts that do not
# depend on the machine's speed.
role_io() {
	awk -v n="$3" -v p="$4" 'NR == FNR { r0[$1] = $3; w0[$1] = $4; b0[$1] = $5; next }
		{ r = $3 - r0[$1]; w = $4 - w0[$1]; b = $5 - b0[$1] }
		$2 == "td-writer" { wr += r; ww += w; wb += b; next }
		$2 ~ /^MHD-/ || $2 == p { hr += r; hw += w; next }
		END {
			if (n <= 0) { print "none answered 2xx"; exit }
			printf "http threads %.2f reads + %.2f writes, writer %.2f reads + %.2f writes, %.1f KiB written\n",
			    hr / n, hw / n, wr / n, ww / n, wb / 1024 / n
		}' "$1" "$2"
}

# writer_counts DIR: "GROUPS COMMANDS COMMIT_S" from the daemon on PORT's
# /v1/metrics (group commits, commands in them, seconds in COMMIT).
writer_counts() {
	$PY - "$PORT" "$(cat "$1/viewer.token")" <<'EOF'
import http.client, re, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=10)
c.request("GET", "/v1/metrics", headers={"Authorization": "Bearer " + sys.argv[2]})
m = c.getresponse().read().decode()
def num(name):
    r = re.search(r"^%s ([0-9.e+-]+)$" % name, m, re.M)
    return r.group(1) if r else "0"
print(num("treasuryd_writer_group_size_count"), num("treasuryd_writer_group_size_sum"),
      num("treasuryd_writer_commit_seconds_sum"))
EOF
}

# group_line BEFORE AFTER: commands per group commit between two
# writer_counts, and the mean time of a COMMIT.
group_line() {
	echo "$1 $2" | awk '{ g = $4 - $1; c = $5 - $2; t = $6 - $3
		if (g <= 0) { print "no group committed"; exit }
		printf "%.2f commands per COMMIT (%d COMMITs, %.3f ms each)\n", c / g, g, t * 1000 / g }'
}

# count_votes DB: rows in the votes table of DB (a PostgreSQL URI: psql).
count_votes() {
	case "$1" in
	postgresql://*)
		psql -X -At "$PG_CONN_BENCH" -c "SELECT count(*) FROM votes"
		return ;;
	esac
	$PY - "$1" <<'EOF'
import sqlite3, sys
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
print(db.execute("SELECT count(*) FROM votes").fetchone()[0])
EOF
}

# db_of DIR: the database of the run in DIR: the URI in DIR/db.uri (the
# PostgreSQL run), else DIR/db/treasury.db.
db_of() {
	if [ -f "$1/db.uri" ]; then cat "$1/db.uri"; else echo "$1/db/treasury.db"; fi
}

# start_treasuryd DIR: treasuryd with DIR/treasuryd.conf, the database
# db_of DIR and the log DIR/treasuryd.log, on a free port; sets PORT and
# DAEMON_PID, returns once it answers.
start_treasuryd() {
	PORT=$(free_port)
	"$TREASURYD" --config "$1/treasuryd.conf" --db "$(db_of "$1")" \
		--listen "127.0.0.1:$PORT" 2>"$1/treasuryd.log" &
	DAEMON_PID=$!
	wait_http "$PORT" /v1/health
}

# stop_treasuryd DIR: SIGTERM; sets DAEMON_RC, DB_VOTES (votes in the
# database afterwards) and ERROR_LINES (log lines at err or worse).
stop_treasuryd() {
	kill -TERM "$DAEMON_PID"
	DAEMON_RC=0
	wait "$DAEMON_PID" || DAEMON_RC=$?
	DAEMON_PID=
	DB_VOTES=$(count_votes "$(db_of "$1")") || DB_VOTES=unknown
	ERROR_LINES=$(grep -c '^<[0-3]>' "$1/treasuryd.log" || true)
}

# prepare_votes DIR PROPOSALS: prepare.py against the daemon on PORT;
# writes DIR/votes.txt, DIR/*.token and DIR/prepare.out.
prepare_votes() {
	say "prepare: $2 proposals, $(($2 * 32)) signed votes"
	$PY "$SRC/bench/prepare.py" --url "http://127.0.0.1:$PORT" \
		--admin-token-file "$1/db/admin.token" --db "$(db_of "$1")" \
		--treasuryd "$TREASURYD" --signer-bin "$BIN/bench_sign" \
		--proposals "$2" --out "$1" >"$1/prepare.out"
}

# vote_run DIR FILE: wrk posts FILE's votes for VOTE_S s to the daemon on
# PORT; writes DIR/votes.out and the thread ticks DIR/vticks0, DIR/vticks1.
vote_run() {
	say "votes at full speed, wrk ${VOTE_S} s, $VOTE_CONNS connections"
	thread_ticks "$DAEMON_PID" >"$1/vticks0"
	thread_io "$DAEMON_PID" >"$1/vio0"
	writer_counts "$1" >"$1/vgroups0" || echo "0 0 0" >"$1/vgroups0"
	perf_start "$1/perf-votes"
	wrk -t"$WRK_THREADS" -c"$VOTE_CONNS" -d"${VOTE_S}s" \
		-s "$SRC/bench/requests.lua" "http://127.0.0.1:$PORT/" -- \
		"$2" "$(cat "$1/signer.token")" "$WRK_THREADS" >"$1/votes.out"
	perf_stop "$1/perf-votes"
	thread_ticks "$DAEMON_PID" >"$1/vticks1"
	thread_io "$DAEMON_PID" >"$1/vio1"
	writer_counts "$1" >"$1/vgroups1" || echo "0 0 0" >"$1/vgroups1"
}

# perf_start NAME / perf_stop NAME: with PERF=1, perf record (call graphs)
# of treasuryd meanwhile; perf_stop writes NAME.txt, the profile by
# thread name and symbol (perf report --sort comm,sym, 0.5 % and above).
perf_start() {
	[ "${PERF:-0}" = 1 ] || return 0
	perf record -q -F 999 -g -p "$DAEMON_PID" -o "$1.data" 2>/dev/null &
	PERF_PID=$!
}
perf_stop() {
	[ "${PERF:-0}" = 1 ] || return 0
	kill -INT "$PERF_PID"
	wait "$PERF_PID" || true
	perf report -i "$1.data" --no-children --sort comm,sym \
		--percent-limit 0.5 --stdio -g none >"$1.txt" 2>/dev/null || true
	say "profile: $1.txt"
}

# extra_run N: step 8 for N HTTP threads, in $TMP/threads-N; appends one
# tab-separated line to $TMP/extra.tsv for the summary.
extra_run() {
	d=$TMP/threads-$1
	mkdir "$d"
	mkdir -m 700 "$d/db"
	printf 'threads = %s\n' "$1" >"$d/treasuryd.conf"
	start_treasuryd "$d"
	say "treasuryd with $1 HTTP threads on 127.0.0.1:$PORT, database $d/db"
	prepare_votes "$d" "$PROPOSALS_EXTRA"
	vote_run "$d" "$d/votes.txt"
	stop_treasuryd "$d"
	ok=$(($(result "$d/votes.out" wrk_requests) - $(result "$d/votes.out" wrk_errors)))
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" \
	    "$(result "$d/votes.out" wrk_rate_per_s)" \
	    "$(result "$d/votes.out" wrk_p50_ms)" \
	    "$(result "$d/votes.out" wrk_p99_ms)" \
	    "$ok" "$(result "$d/votes.out" wrk_errors)" \
	    "$(result "$d/votes.out" wrk_repeats)" \
	    "$DB_VOTES" "$DAEMON_RC" "$ERROR_LINES" \
	    "$(busy_threads "$d/vticks0" "$d/vticks1")" \
	    "$(role_cpu "$d/vticks0" "$d/vticks1" "$ok" treasuryd)" \
	    >>"$TMP/extra.tsv"
}

# pg_two_run CONNINFO: step 8b's two daemons, in $TMP/pg2 and $TMP/pg2b,
# on one new database of the cluster of CONNINFO (the same journal key,
# the same admin token file): PROPOSALS_EXTRA proposals made through the
# first, then half of the votes posted to each by two wrk at once. Sets
# PG2_RATE (the sum of both rates), PG2_OK, PG2_ERRS, PG2_DB_VOTES, PG2_RC
# (both exit statuses) and PG2_ERRORS.
pg_two_run() {
	a=$TMP/pg2 b=$TMP/pg2b
	mkdir -m 711 "$a" "$b"
	mkdir -m 700 "$a/db"
	psql -X -q "$1" -c "CREATE DATABASE bench2" >/dev/null ||
		fail "cannot create the bench2 database"
	PG_CONN_BENCH=$(echo "$1" | sed 's/dbname=postgres/dbname=bench2/')
	echo "postgresql:///bench2?host=$PG_CLUSTER&user=treasury" >"$a/db.uri"
	printf 'admin_token_file = %s\njournal_key = %s\n' \
	    "$a/db/admin.token" "$a/db/journal.key" >"$a/treasuryd.conf"
	cp "$a/db.uri" "$a/treasuryd.conf" "$b/"
	start_treasuryd "$a"
	PORT_A=$PORT PID_A=$DAEMON_PID
	prepare_votes "$a" "$PROPOSALS_EXTRA"
	start_treasuryd "$b"
	PORT_B=$PORT PID_B=$DAEMON_PID
	say "a second treasuryd on the same database on 127.0.0.1:$PORT_B"
	awk 'NR % 2 == 1' "$a/votes.txt" >"$a/votes-a.txt"
	awk 'NR % 2 == 0' "$a/votes.txt" >"$a/votes-b.txt"
	say "votes at full speed through both, wrk ${VOTE_S} s, $VOTE_CONNS connections each"
	wrk_pids=
	for x in a b; do
		eval port=\$PORT_$(echo $x | tr ab AB)
		wrk -t"$WRK_THREADS" -c"$VOTE_CONNS" -d"${VOTE_S}s" \
			-s "$SRC/bench/requests.lua" "http://127.0.0.1:$port/" -- \
			"$a/votes-$x.txt" "$(cat "$a/signer.token")" \
			"$WRK_THREADS" >"$a/votes-$x.out" &
		wrk_pids="$wrk_pids $!"
	done
	wait $wrk_pids
	PG2_RATE=0 PG2_OK=0 PG2_ERRS=0 PG2_RC= PG2_ERRORS=0
	for x in a b; do
		rate=$(result "$a/votes-$x.out" wrk_rate_per_s)
		errs=$(result "$a/votes-$x.out" wrk_errors)
		PG2_RATE=$(awk -v s="$PG2_RATE" -v r="$rate" 'BEGIN { printf "%.1f", s + r }')
		PG2_OK=$((PG2_OK + $(result "$a/votes-$x.out" wrk_requests) - errs))
		PG2_ERRS=$((PG2_ERRS + errs))
	done
	DAEMON_PID=$PID_B
	stop_treasuryd "$b"
	PG2_RC=$DAEMON_RC PG2_ERRORS=$ERROR_LINES
	DAEMON_PID=$PID_A PID_A=
	stop_treasuryd "$a"
	PG2_RC="$PG2_RC and $DAEMON_RC" PG2_ERRORS=$((PG2_ERRORS + ERROR_LINES))
	PG2_DB_VOTES=$DB_VOTES
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
PG_CLUSTER=
PG_CONN_BENCH=
PID_A=
cleanup() {
	[ -n "$PID_A" ] && kill "$PID_A" 2>/dev/null && wait "$PID_A" 2>/dev/null
	if [ -n "$PG_CLUSTER" ]; then
		"$SRC/tests/pg/with-cluster.sh" stop "$PG_CLUSTER"
	fi
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
HELLO_OK=$(($(result "$TMP/hello.out" wrk_requests) - $(result "$TMP/hello.out" wrk_errors)))
HELLO_ROLES=$(role_cpu "$TMP/ticks0" "$TMP/ticks1" "$HELLO_OK" bench_hello_mhd)
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
start_treasuryd "$TMP"
say "treasuryd on 127.0.0.1:$PORT, database $DB"
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
prepare_votes "$TMP" "$PROPOSALS"
SIGNER=$(cat "$TMP/signer.token")
VIEWER=$(cat "$TMP/viewer.token")
BALANCES=$(result "$TMP/prepare.out" balances_path)
LAT_N=$(awk -v r="$LAT_RATE" -v d="$LAT_S" -v w="$LAT_WARM_S" 'BEGIN { printf "%d", r * (d + w) }')
head -n "$LAT_N" "$TMP/votes.txt" >"$TMP/votes-latency.txt"
tail -n +"$((LAT_N + 1))" "$TMP/votes.txt" >"$TMP/votes-max.txt"

# ---- 4. latency at a fixed rate ----
say "votes at a fixed ${LAT_RATE}/s for ${LAT_S} s (+${LAT_WARM_S} s warm-up), open loop"
thread_ticks "$DAEMON_PID" >"$TMP/lticks0"
perf_start "$TMP/perf-latency"
"$BIN/bench_loadgen" -p "$PORT" -r "$LAT_RATE" -d "$LAT_S" -w "$LAT_WARM_S" \
	-c "$LAT_CONNS" -f "$TMP/votes-latency.txt" \
	-H "Authorization: Bearer $SIGNER" >"$TMP/latency.out" ||
	say "loadgen: some votes failed (see above)"
perf_stop "$TMP/perf-latency"
thread_ticks "$DAEMON_PID" >"$TMP/lticks1"
LAT_ROLES=$(role_cpu "$TMP/lticks0" "$TMP/lticks1" \
	"$(result "$TMP/latency.out" lat_all_2xx)" treasuryd)

# ---- 5. durable vote rate ----
vote_run "$TMP" "$TMP/votes-max.txt"
# CPU seconds of each busy treasuryd thread during the run (MHD keeps a
# connection on the thread that accepted it), and per vote answered 2xx.
THREAD_CPU=$(busy_threads "$TMP/vticks0" "$TMP/vticks1")
VOTE_OK=$(($(result "$TMP/votes.out" wrk_requests) - $(result "$TMP/votes.out" wrk_errors)))
VOTE_ROLES=$(role_cpu "$TMP/vticks0" "$TMP/vticks1" "$VOTE_OK" treasuryd)
VOTE_IO=$(role_io "$TMP/vio0" "$TMP/vio1" "$VOTE_OK" treasuryd)
VOTE_GROUPS=$(group_line "$(cat "$TMP/vgroups0")" "$(cat "$TMP/vgroups1")")

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
BAL_OK=$(($(result "$TMP/balances.out" wrk_requests) - $(result "$TMP/balances.out" wrk_errors)))
BAL_ROLES=$(role_cpu "$TMP/ticks0" "$TMP/ticks1" "$BAL_OK" treasuryd)

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
stop_treasuryd "$TMP"
MAIN_DB_VOTES=$DB_VOTES MAIN_RC=$DAEMON_RC MAIN_ERRORS=$ERROR_LINES
if [ -n "$SINK_PID" ]; then
	kill -TERM "$SINK_PID"
	wait "$SINK_PID" || true
	SINK_PID=
fi

# ---- 8. votes with more HTTP threads ----
: >"$TMP/extra.tsv"
for nthreads in $THREAD_COUNTS; do
	extra_run "$nthreads"
done

# ---- 8b. votes on PostgreSQL (issue #17), one daemon, then two ----
PG_LINE=
if [ "${POSTGRESQL:-1}" = 1 ] &&
    ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
	d=$TMP/pg
	mkdir -m 711 "$d"
	mkdir -m 700 "$d/db"
	chmod 711 "$TMP"	# the server runs as postgres: it must reach its dir
	PG_CLUSTER=$d/cluster
	conn=$("$SRC/tests/pg/with-cluster.sh" start "$PG_CLUSTER") ||
		fail "cannot start a PostgreSQL cluster (tests/pg/with-cluster.sh)"
	psql -X -q "$conn" -c "CREATE DATABASE bench" >/dev/null ||
		fail "cannot create the bench database"
	PG_CONN_BENCH=$(echo "$conn" | sed 's/dbname=postgres/dbname=bench/')
	echo "postgresql:///bench?host=$PG_CLUSTER&user=treasury" >"$d/db.uri"
	printf 'admin_token_file = %s\njournal_key = %s\n' \
	    "$d/db/admin.token" "$d/db/journal.key" >"$d/treasuryd.conf"
	start_treasuryd "$d"
	say "treasuryd on PostgreSQL (a throwaway cluster in $PG_CLUSTER) on 127.0.0.1:$PORT"
	prepare_votes "$d" "$PROPOSALS_EXTRA"
	vote_run "$d" "$d/votes.txt"
	stop_treasuryd "$d"
	PG1_DB_VOTES=$DB_VOTES PG1_RC=$DAEMON_RC PG1_ERRORS=$ERROR_LINES
	pg_two_run "$conn"
	"$SRC/tests/pg/with-cluster.sh" stop "$PG_CLUSTER"
	PG_CLUSTER=
	ok=$(($(result "$d/votes.out" wrk_requests) - $(result "$d/votes.out" wrk_errors)))
	PG_LINE=$(awk -v r="$(result "$d/votes.out" wrk_rate_per_s)" \
	    -v p50="$(result "$d/votes.out" wrk_p50_ms)" \
	    -v p99="$(result "$d/votes.out" wrk_p99_ms)" \
	    -v lite="$(result "$TMP/votes.out" wrk_rate_per_s)" \
	    -v ok="$ok" -v db="$PG1_DB_VOTES" -v rc="$PG1_RC" \
	    -v errs="$PG1_ERRORS" -v err="$(result "$d/votes.out" wrk_errors)" \
	    -v cpu="$(busy_threads "$d/vticks0" "$d/vticks1")" \
	    -v r2="$PG2_RATE" -v ok2="$PG2_OK" -v err2="$PG2_ERRS" \
	    -v db2="$PG2_DB_VOTES" -v rc2="$PG2_RC" -v errs2="$PG2_ERRORS" 'BEGIN {
		printf "%-44s %8.0f /s   (wrk p50 %.2f ms, p99 %.2f ms)\n", "durable votes, PostgreSQL, 1 daemon", r, p50, p99
		printf "  (CPU s of each busy treasuryd thread)      %s\n", cpu
		printf "%-44s %14.3f\n", "  PostgreSQL / SQLite (same run, 2 threads)", r / lite
		printf "  checks: wrk vote errors %d; votes in the database %s (answered 2xx: %d); treasuryd exit %d, error lines %d\n", err, db, ok, rc, errs
		printf "%-44s %8.0f /s   (two wrk, one a daemon, at once)\n", "durable votes, PostgreSQL, 2 daemons", r2
		printf "%-44s %14.3f\n", "  2 daemons / 1 daemon (same cluster)", r2 / r
		printf "%-44s %14.3f\n", "  2 daemons / SQLite (same run)", r2 / lite
		printf "  checks: wrk vote errors %d; votes in the database %s (answered 2xx: %d); treasuryd exits %s, error lines %d\n", err2, db2, ok2, rc2, errs2
	}')
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
    -v bal_err="$BAL_ERR" -v hello_err="$HELLO_ERR" -v db="$MAIN_DB_VOTES" \
    -v expect_db="$EXPECT_DB" -v rc="$MAIN_RC" -v errs="$MAIN_ERRORS" \
    -v fsync="$FSYNC" -v fsync_p50="$FSYNC_P50" -v fsync_p99="$FSYNC_P99" \
    -v hello_cpu="$HELLO_CPU" -v bal_cpu="$BAL_CPU" -v thread_cpu="$THREAD_CPU" \
    -v hello_roles="$HELLO_ROLES" -v lat_roles="$LAT_ROLES" \
    -v vote_roles="$VOTE_ROLES" -v bal_roles="$BAL_ROLES" -v vote_io="$VOTE_IO" \
    -v vote_groups="$VOTE_GROUPS" \
    -v extra="$TMP/extra.tsv" -v load="$LOAD0" -v conns="$VOTE_CONNS" \
    -v threads="${TREASURYD_THREADS:-default}" -v secs="$(($(date +%s) - T0))" '
# durable(DB, EXPECT): every vote answered 2xx is in the database (plus
# at most one per connection: wrk stops with votes in flight, committed
# but not counted).
function durable(d, e) { return d ~ /^[0-9]+$/ && d + 0 >= e + 0 }
function sane(d, e) { return durable(d, e) && d + 0 <= e + conns }
BEGIN {
	scaling = vrn / vr1
	combined = 1 / (1 / hello + 1 / vrn)
	ok = (vote_err == 0 && vote_rep == 0 && lat_failed == 0 && bal_err == 0 && hello_err == 0)
	clean = ok && rc == 0 && errs == 0 && sane(db, expect_db)
	ndur = durable(db, expect_db)
	nx = 0
	while ((getline line < extra) > 0) {
		nx++
		split(line, f, "\t")
		xn[nx] = f[1]; xrate[nx] = f[2]; xp50[nx] = f[3]; xp99[nx] = f[4]
		xok[nx] = f[5]; xerr[nx] = f[6]; xrep[nx] = f[7]; xdb[nx] = f[8]
		xrc[nx] = f[9]; xerrs[nx] = f[10]; xbusy[nx] = f[11]; xroles[nx] = f[12]
		ndur += durable(xdb[nx], xok[nx])
		if (xerr[nx] != 0 || xrep[nx] != 0 || xrc[nx] != 0 || xerrs[nx] != 0 || !sane(xdb[nx], xok[nx]))
			clean = 0
	}
	printf "\ntreasuryd benchmark, %d cores, treasuryd threads %s, 127.0.0.1, %d s, load average at start %s\n\n", cores, threads, secs, load
	printf "%-44s %14s\n", "measure", "value"
	printf "%-44s %14.0f /s\n", "ECDSA verify, raw libsecp256k1, 1 core", vr1
	printf "%-44s %14.0f /s\n", "ECDSA verify, raw libsecp256k1, all cores", vrn
	printf "%-44s %14.0f /s\n", "ECDSA verify, treasuryd path, all cores", vtn
	printf "%-44s %14.0f /s\n", "HTTP hello-world (libmicrohttpd, wrk GET)", hello
	printf "%-44s %s\n", "  (CPU s of each busy hello-world thread)", hello_cpu
	printf "  CPU µs per hello-world GET: %s\n", hello_roles
	printf "%-44s %14.0f /s\n", "combined ceiling 1/(1/hello + 1/verify all)", combined
	printf "%-44s %14.0f /s   (p50 %.3f ms, p99 %.3f ms)\n", "disk: 4 KiB append + fdatasync, 1 stream", fsync, fsync_p50, fsync_p99
	printf "%-44s %14.0f /s   (wrk p50 %.2f ms, p99 %.2f ms)\n", "durable votes (wrk POST, max rate)", votes, vp50, vp99
	printf "%-44s %s\n", "  (CPU s of each busy treasuryd thread)", thread_cpu
	printf "  CPU µs per vote: %s\n", vote_roles
	printf "  system calls per vote: %s\n", vote_io
	printf "  writer: %s\n", vote_groups
	for (i = 1; i <= nx; i++) {
		printf "%-44s %14.0f /s   (wrk p50 %.2f ms, p99 %.2f ms)\n", sprintf("durable votes, %d HTTP threads", xn[i]), xrate[i], xp50[i], xp99[i]
		printf "%-44s %s\n", "  (CPU s of each busy treasuryd thread)", xbusy[i]
		printf "  CPU µs per vote: %s\n", xroles[i]
	}
	printf "%-44s %14.0f /s\n", "GET balances (wrk)", bal
	printf "%-44s %s\n", "  (CPU s of each busy treasuryd thread)", bal_cpu
	printf "  CPU µs per GET balances: %s\n", bal_roles
	printf "%-44s %14.3f ms\n", sprintf("vote latency p50 at %d/s (open loop)", rate), p50
	printf "%-44s %14.3f ms\n", sprintf("vote latency p90 at %d/s", rate), p90
	printf "%-44s %14.3f ms\n", sprintf("vote latency p99 at %d/s", rate), p99
	printf "%-44s %14.3f ms\n", sprintf("vote latency max at %d/s", rate), pmax
	printf "%-44s %14.3f ms\n", "  (p99 from write, excl. loadgen lag)", sp99
	printf "  CPU µs per vote at %d/s: %s\n", rate, lat_roles
	printf "\n%-44s %14s\n", "ratio", "value"
	printf "%-44s %14.3f\n", "durable votes / combined ceiling", votes / combined
	for (i = 1; i <= nx; i++)
		printf "%-44s %14.3f\n", sprintf("  %d HTTP threads / combined ceiling", xn[i]), xrate[i] / combined
	printf "%-44s %14.3f\n", "durable votes / raw verify (all cores)", votes / vrn
	printf "%-44s %14.3f\n", "durable votes / hello-world", votes / hello
	printf "%-44s %14.3f\n", "GET balances / hello-world", bal / hello
	printf "%-44s %14.3f\n", "durable votes / fdatasync rate", votes / fsync
	printf "\n%-44s %14s  %s\n", "goal (issue #16)", "reached", "met"
	printf "%-44s %14.3f  %s\n", "durable votes / combined ceiling >= 0.60", votes / combined, (votes / combined >= 0.60 ? "yes" : "NO")
	printf "%-44s %14.3f  %s\n", "GET balances / hello-world >= 0.70", bal / hello, (bal / hello >= 0.70 ? "yes" : "NO")
	printf "%-44s %14.3f  %s\n", sprintf("p99 < 5 ms at %d votes/s", rate), p99, (p99 < 5 ? "yes" : "NO")
	printf "%-44s %14s  %s\n", "every 2xx vote in the db after SIGTERM", sprintf("%d of %d runs", ndur, nx + 1), (ndur == nx + 1 ? "yes" : "NO")
	printf "\nchecks: failed votes at fixed rate %d; wrk vote errors %d, repeats %d; GET errors %d/%d;\n", lat_failed, vote_err, vote_rep, hello_err, bal_err
	printf "        votes in the database %s (answered 2xx: %d); treasuryd exit %d, error lines %d\n", db, expect_db, rc, errs
	for (i = 1; i <= nx; i++)
		printf "        %d HTTP threads: wrk vote errors %d, repeats %d; votes in the database %s (answered 2xx: %d); treasuryd exit %d, error lines %d\n", xn[i], xerr[i], xrep[i], xdb[i], xok[i], xrc[i], xerrs[i]
	if (scaling < 0.9 * cores)
		printf "WARNING: verify scales %.2fx on %d cores: something else used the CPU; numbers are low\n", scaling, cores
	if (!clean)
		printf "WARNING: the run is not clean (see checks); its numbers are suspect\n"
}'
if [ -n "$PG_LINE" ]; then
	printf '\n%s\n' "$PG_LINE"
fi
if [ -n "$WEBHOOK_LINE" ]; then
	printf '%s (the sink got %s POSTs)\n' "$WEBHOOK_LINE" \
	    "$(result "$TMP/sink.out" sink_posts)"
fi
