#!/bin/sh
# bench/accounting.sh: issue #14's performance goals, in one command
# (docs: bench/README.md, "Accounting reads and the CSV export").
#
#   1. builds treasuryd and bench_acct_fill (BUILD_DIR, default build);
#   2. starts treasuryd on a temporary directory and free port, and has
#      accounting.py setup make 3 assets, a 1-of-1 treasury "acct" and 10
#      categories through the API, plus a treasurer and a viewer token
#      (treasuryd token create); stops it (SIGTERM, must exit 0);
#   3. bench_acct_fill writes ENTRIES ledger entries over DAYS days from
#      the next UTC midnight on, through the engine's writer (deposits,
#      batch proposals, signed votes, executions: bench/acct_fill.c; the
#      days are in the future because the writer never applies a command
#      before the database's clock mark, which the setup set to now; the
#      restarted daemon's clock stays at the mark, the last entry's time);
#   4. runs `treasuryd check` on the result (exit 0 and 0 findings expected;
#      printed, not enforced);
#   5. restarts treasuryd on it; accounting.py reads: report over the
#      whole range, one quarter, period=month over the range, runway, N
#      times each, against SELECT count(*) FROM ledger WHERE treasury_id
#      = ? over the same rows (the ceiling, same run, interleaved);
#   6. accounting.py csv: the whole ledger as CSV, RSS of treasuryd sampled
#      throughout, rows and exact sums checked against the balances;
#   7. stops treasuryd (must exit 0) and prints a summary with ratios.
#
# Not a test: not in ctest, exits 0 whether or not goals are met (non-zero
# only when something broke). Knobs (environment): BUILD_DIR (build)
# ENTRIES (1000000) DAYS (730) N (20) KEEP=1 keeps the temporary directory;
# REUSE=DIR skips 2-4 and copies DIR/db (a directory kept by KEEP=1);
# AUDIT=1 also runs treasuryd audit verify with the journal key.
# With 1,000,000 entries the fill takes about 3 min and `treasuryd check`
# about 20 min (bench/README.md says why); the measures about 1 min.
set -eu

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD_DIR:-$SRC/build}
PY=/usr/bin/python3
ENTRIES=${ENTRIES:-1000000}
DAYS=${DAYS:-730}
N=${N:-20}
TID=acct
GOAL_MS=200
RSS_BOUND_KIB=16384

say() { printf '== %s\n' "$*" >&2; }
fail() { printf 'accounting: %s\n' "$*" >&2; exit 1; }
result() { awk -v k="$2" '$1 == "RESULT" && $2 == k { v = $3 } END { print v }' "$1"; }
free_port() {
	$PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_http() {
	$PY - "$1" <<'EOF' || fail "nothing answers 200 on 127.0.0.1:$1/v1/health"
import http.client, sys, time
end = time.monotonic() + 60
while time.monotonic() < end:
    try:
        c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=2)
        c.request("GET", "/v1/health")
        if c.getresponse().status == 200:
            sys.exit(0)
    except OSError:
        pass
    time.sleep(0.05)
sys.exit(1)
EOF
}

T0=$(date +%s)
LOAD0=$(cut -d' ' -f1 /proc/loadavg)
[ -x "$PY" ] && $PY -c 'import cryptography' 2>/dev/null ||
	fail "$PY with python3-cryptography is needed"

say "build ($BUILD)"
[ -f "$BUILD/CMakeCache.txt" ] || cmake -S "$SRC" -B "$BUILD" >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target treasuryd bench_acct_fill \
	>/dev/null || fail "build failed (run: cmake --build $BUILD)"
BUILD_TYPE=$(awk -F= '/^CMAKE_BUILD_TYPE:/ { print $2 }' "$BUILD/CMakeCache.txt")
TREASURYD=$BUILD/daemon/treasuryd
FILL=$BUILD/bench/bench_acct_fill

TMP=$(mktemp -d "${TMPDIR:-/tmp}/treasuryd-acct.XXXXXX")
DAEMON_PID=
cleanup() {
	[ -n "$DAEMON_PID" ] && kill "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null
	if [ "${KEEP:-0}" = 1 ]; then
		printf 'accounting: kept %s\n' "$TMP" >&2
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

DB=$TMP/db/treasury.db
start_daemon() {
	PORT=$(free_port)
	URL=http://127.0.0.1:$PORT
	"$TREASURYD" --db "$DB" --listen "127.0.0.1:$PORT" 2>>"$TMP/treasuryd.log" &
	DAEMON_PID=$!
	wait_http "$PORT"
}
stop_daemon() {
	kill -TERM "$DAEMON_PID"
	rc=0
	wait "$DAEMON_PID" || rc=$?
	DAEMON_PID=
	[ "$rc" = 0 ] || fail "treasuryd exited $rc (see $TMP/treasuryd.log)"
}

if [ -n "${REUSE:-}" ]; then
	say "reusing $REUSE/db"
	cp -a "$REUSE/db" "$TMP/db"
	cp "$REUSE"/*.token "$REUSE"/fill.out "$REUSE"/check.out "$TMP/"
	CHECK_RC=$(cat "$REUSE/check.rc")
	CHECK_S=$(cat "$REUSE/check.s")
	AUDIT_RC=$(cat "$REUSE/audit.rc")
	cp "$REUSE/audit.out" "$TMP/"
else
	mkdir -m 700 "$TMP/db"
	# ---- 2. schema, treasury, assets, categories through the API ----
	start_daemon
	say "treasuryd on $URL: assets, treasury $TID, categories"
	$PY "$SRC/bench/accounting.py" setup --url "$URL" \
		--admin-token-file "$TMP/db/admin.token" --treasury "$TID" \
		>"$TMP/setup.out"
	"$TREASURYD" token create --db "$DB" --role treasurer --name bench-acct |
		awk '{ t = $NF } END { print t }' >"$TMP/treasurer.token"
	"$TREASURYD" token create --db "$DB" --role viewer --name bench-viewer |
		awk '{ t = $NF } END { print t }' >"$TMP/viewer.token"
	stop_daemon
	TOKEN_ID=$($PY -c 'import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print(db.execute("SELECT id FROM tokens WHERE name = ? AND revoked_at IS NULL",
                 ("bench-acct",)).fetchone()[0])' "$DB")
	# ---- 3. the ledger, through the engine's writer ----
	say "bench_acct_fill: $ENTRIES entries over $DAYS days (daemon stopped)"
	"$FILL" "$DB" "$TMP/db/journal.key" "$TID" "$(result "$TMP/setup.out" signer)" \
		"$(result "$TMP/setup.out" seckey)" bench-acct "$TOKEN_ID" \
		"$ENTRIES" "$DAYS" "$(date +%s)" >"$TMP/fill.out" ||
		fail "bench_acct_fill failed"
	# ---- 4. treasuryd check ----
	say "treasuryd check --db $DB"
	C0=$(date +%s.%N)
	CHECK_RC=0
	"$TREASURYD" check --db "$DB" >"$TMP/check.out" 2>&1 || CHECK_RC=$?
	CHECK_S=$(awk -v a="$C0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	echo "$CHECK_RC" >"$TMP/check.rc"
	echo "$CHECK_S" >"$TMP/check.s"
	# audit verify runs every check of `check` again, then the journal's
	# signatures: as long again (20 min for 1,000,000 entries), so only
	# with AUDIT=1
	AUDIT_RC="not run (AUDIT=1 runs it)"
	echo "" >"$TMP/audit.out"
	if [ "${AUDIT:-0}" = 1 ]; then
		say "treasuryd audit verify --db $DB --key journal.key"
		AUDIT_RC=0
		"$TREASURYD" audit verify --db "$DB" --key "$TMP/db/journal.key" \
			>"$TMP/audit.out" 2>&1 || AUDIT_RC=$?
		AUDIT_RC="exit $AUDIT_RC"
	fi
	echo "$AUDIT_RC" >"$TMP/audit.rc"
fi
FROM_S=$(result "$TMP/fill.out" fill_from_s)
TO_S=$(result "$TMP/fill.out" fill_to_s)
DB_MIB=$(du -m "$DB" | cut -f1)

# ---- 5. reads, warm, against the count(*) ceiling ----
start_daemon
say "treasuryd on $URL: report x3 and runway, $N times each, and count(*)"
$PY "$SRC/bench/accounting.py" reads --url "$URL" \
	--token-file "$TMP/viewer.token" --db "$DB" --treasury "$TID" \
	--from "$FROM_S" --to "$TO_S" -n "$N" >"$TMP/reads.out"
# ---- 6. CSV export and RSS ----
say "GET ledger?format=csv, RSS of treasuryd (pid $DAEMON_PID) sampled"
$PY "$SRC/bench/accounting.py" csv --url "$URL" \
	--token-file "$TMP/viewer.token" --db "$DB" --treasury "$TID" \
	--pid "$DAEMON_PID" >"$TMP/csv.out"
stop_daemon
ERROR_LINES=$(grep -c '^<[0-3]>' "$TMP/treasuryd.log" || true)

# ---- 7. summary ----
R=$TMP/reads.out
C=$TMP/csv.out
F=$TMP/fill.out
{
	printf '\ntreasuryd accounting benchmark, %d cores, build %s, %d s, load average at start %s\n' \
		"$(nproc)" "$BUILD_TYPE" "$(($(date +%s) - T0))" "$LOAD0"
	printf 'data: %s deposits + %s transfers (%s batch proposals) over %s days, %s .. %s, database %s MiB, filled in %s s\n' \
		"$(result "$F" fill_deposits)" "$(result "$F" fill_transfers)" \
		"$(result "$F" fill_proposals)" "$DAYS" \
		"$(date -u -d "@$FROM_S" +%F)" "$(date -u -d "@$TO_S" +%F)" \
		"$DB_MIB" "$(result "$F" fill_s)"
	printf 'treasuryd check: exit %s in %s s: %s\n' "$CHECK_RC" "$CHECK_S" \
		"$(tail -n 1 "$TMP/check.out")"
	printf 'treasuryd audit verify (journal key): %s: %s\n' "$AUDIT_RC" \
		"$(tail -n 1 "$TMP/audit.out")"
	printf 'ceiling: %s (plan: %s), %s rows\n' \
		"SELECT count(*) FROM ledger WHERE treasury_id = ?" \
		"$(result "$R" count_plan | tr _ ' ')" "$(result "$R" count_rows)"
	printf 'quarter: %s; period=month: %s periods; N = %s each, interleaved, after 2 warm-up rounds\n\n' \
		"$(result "$R" quarter)" "$(result "$R" month_periods)" "$(result "$R" n)"
	printf '%-28s %10s %10s %10s %14s %10s\n' measure p50_ms p95_ms min_ms \
		"p50/count_p50" "p95/200ms"
	for m in count report_all report_quarter report_month runway; do
		awk -v m="$m" -v p50="$(result "$R" "${m}_p50_ms")" \
		    -v p95="$(result "$R" "${m}_p95_ms")" \
		    -v mn="$(result "$R" "${m}_min_ms")" \
		    -v c="$(result "$R" count_p50_ms)" -v g="$GOAL_MS" 'BEGIN {
			printf "%-28s %10.2f %10.2f %10.2f %14.3f %10.3f\n",
			    m, p50, p95, mn, p50 / c, p95 / g }'
	done
	awk -v rows="$(result "$C" csv_rows)" -v dbrows="$(result "$C" db_rows)" \
	    -v entries="$ENTRIES" -v secs="$(result "$C" csv_s)" \
	    -v rate="$(result "$C" csv_rows_per_s)" -v bytes="$(result "$C" csv_bytes)" \
	    -v balmatch="$(result "$C" csv_balances_match)" \
	    -v r0="$(result "$C" rss_before_kib)" -v rmax="$(result "$C" rss_max_kib)" \
	    -v r1="$(result "$C" rss_after_kib)" -v h0="$(result "$C" hwm_before_kib)" \
	    -v h1="$(result "$C" hwm_after_kib)" -v grow="$(result "$C" rss_growth_kib)" \
	    -v samples="$(result "$C" rss_samples)" -v bound="$RSS_BOUND_KIB" \
	    -v errs="$ERROR_LINES" \
	    -v g1="$(result "$R" report_all_p95_ms)" -v g2="$(result "$R" report_quarter_p95_ms)" \
	    -v g3="$(result "$R" report_month_p95_ms)" -v g4="$(result "$R" runway_p95_ms)" \
	    -v goal="$GOAL_MS" 'BEGIN {
		printf "\nCSV export: %d rows + header (ledger: %d) in %.2f s, %.0f rows/s, %.1f MiB\n",
		    rows, dbrows, secs, rate, bytes / 1048576
		printf "  per asset, deposits - transfers (exact minor units) = balances table: %s\n",
		    balmatch == 1 ? "yes" : "NO"
		printf "  treasuryd VmRSS: before %.1f MiB, max during %.1f MiB, after %.1f MiB (%d samples, 20 ms)\n",
		    r0 / 1024, rmax / 1024, r1 / 1024, samples
		printf "  treasuryd VmHWM: before %.1f MiB, after %.1f MiB\n", h0 / 1024, h1 / 1024
		printf "  RSS growth %.2f MiB against the bound 16 MiB: ratio %.3f\n",
		    grow / 1024, grow / bound
		worst = g1; if (g2 > worst) worst = g2; if (g3 > worst) worst = g3; if (g4 > worst) worst = g4
		printf "\ngoal: report and runway < %d ms (worst p95 %.1f ms): %s\n", goal, worst,
		    worst < goal ? "met" : "NOT met"
		printf "goal: CSV of %d entries in bounded memory, growth < 16 MiB: %s\n", entries,
		    (grow < bound && rows == entries && balmatch == 1) ? "met" : "NOT met"
		printf "treasuryd error lines logged: %d\n", errs
	}'
}
