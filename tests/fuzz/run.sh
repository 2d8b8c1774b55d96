#!/bin/sh
# run.sh: build the libFuzzer targets of tests/fuzz with clang and run each
# for a while on its seed corpus.
#
# Usage: tests/fuzz/run.sh [-o BUILD_DIR] [-t SECONDS] [-j PARALLEL]
#                          [-w WORK_DIR] [TARGET...]
#   -o  where the binaries go (default /tmp/treasuryd-fuzz)
#   -t  seconds per target (default 10; 0 = build only)
#   -j  targets run at once (default 2)
#   -w  where new corpus entries and crashes go (default BUILD_DIR/work);
#       the seed corpus in tests/fuzz/corpus is only read
# Targets default to every fuzz_*.c. Exits non-zero if a build fails or a
# target finds a crash (the reproducer is left in WORK_DIR/<target>/).
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=/tmp/treasuryd-fuzz
SECONDS_EACH=10
PARALLEL=2
WORK=""

while getopts "o:t:j:w:" opt; do
	case $opt in
	o) OUT=$OPTARG ;;
	t) SECONDS_EACH=$OPTARG ;;
	j) PARALLEL=$OPTARG ;;
	w) WORK=$OPTARG ;;
	*) echo "usage: $0 [-o DIR] [-t SECONDS] [-j N] [-w DIR] [TARGET...]" >&2
	   exit 2 ;;
	esac
done
shift $((OPTIND - 1))
WORK=${WORK:-$OUT/work}
CC=${FUZZ_CC:-clang}

if ! command -v "$CC" >/dev/null 2>&1; then
	echo "run.sh: $CC not found (contrib/install-deps.sh installs clang)" >&2
	exit 77
fi

TARGETS=${*:-$(cd "$HERE" && ls fuzz_*.c | sed 's/\.c$//')}
mkdir -p "$OUT/obj" "$WORK"

# One include path for every source here: the layer rules (include/CMakeLists.txt)
# are enforced by the project's own build of the same base/, core/ and api/
# sources, and a harness may reach across layers like treasuryd.
# The project's own build (gcc) enforces -Werror on core/ and api/; here
# only the harnesses get it, so that a clang-only warning in someone's new
# code does not stop the fuzzers.
CFLAGS="-std=c17 -g -O1 -fno-omit-frame-pointer -Wall -Wextra
	-Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla -Wformat=2 -Wno-format-nonliteral
	-D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -DTREASURYD_VERSION=\"fuzz\"
	-I$ROOT/include -fsanitize=fuzzer-no-link,address,undefined
	-fno-sanitize-recover=all -ffunction-sections -fdata-sections"
DEPS_CFLAGS=$(pkg-config --cflags libsecp256k1 libsodium jansson libmicrohttpd)
# Transitional: the JSON nesting limit is becoming an api_options field
# (json_depth_max, from the config); fuzz_json_body sets it when it exists.
if grep -q 'json_depth_max' "$ROOT/include/treasury/api.h"; then
	DEPS_CFLAGS="$DEPS_CFLAGS -DFUZZ_HAVE_JSON_DEPTH_MAX=1"
fi
DEPS_LIBS=$(pkg-config --libs libsecp256k1 libsodium jansson libmicrohttpd)

# The sources each target needs besides itself (base/ and core/ are always
# linked); one that does not exist (yet, or any more) is left out.
extra_sources() {
	case $1 in
	fuzz_json_body) echo "api/json.c api/proposal_body.c api/reply.c
		api/errors.c api/test_clock.c api/policy_json.c
		api/render.c" ;;
	*) ;;
	esac
}

compile() {	# source object [extra flags]
	# shellcheck disable=SC2086
	$CC $CFLAGS ${3:-} $DEPS_CFLAGS -c "$1" -o "$2"
}

build() {	# target
	objs=""
	for src in "$ROOT"/base/*.c "$ROOT"/core/*.c $(extra_sources "$1"); do
		case $src in /*) ;; *) src=$ROOT/$src ;; esac
		[ -e "$src" ] || continue
		obj=$OUT/obj/$(echo "${src#"$ROOT"/}" | tr / _).o
		# rebuilt when the source or any header is newer
		if [ ! -e "$obj" ] || [ "$src" -nt "$obj" ] ||
		    [ -n "$(find "$ROOT/include" "$ROOT/api" "$ROOT/core" \
		    -name '*.h' -newer "$obj" | head -n 1)" ]; then
			compile "$src" "$obj"
		fi
		objs="$objs $obj"
	done
	compile "$HERE/$1.c" "$OUT/obj/$1.o" -Werror
	# An archive, so that only what the target reaches is linked (and
	# needs its own dependencies).
	rm -f "$OUT/obj/lib$1.a"
	# shellcheck disable=SC2086
	ar rcs "$OUT/obj/lib$1.a" $objs
	# shellcheck disable=SC2086
	$CC -fsanitize=fuzzer,address,undefined \
	    -o "$OUT/$1" "$OUT/obj/$1.o" "$OUT/obj/lib$1.a" $DEPS_LIBS -lpthread
}

for t in $TARGETS; do
	build "$t"
done
echo "run.sh: built" $TARGETS "in $OUT"
[ "$SECONDS_EACH" -gt 0 ] || exit 0

run_one() {	# target
	mkdir -p "$WORK/$1/corpus"
	log=$WORK/$1/fuzz.log
	if ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	    "$OUT/$1" -max_total_time="$SECONDS_EACH" -timeout=10 \
	    -rss_limit_mb=2048 -max_len=70000 -print_final_stats=1 \
	    -artifact_prefix="$WORK/$1/" \
	    "$WORK/$1/corpus" "$HERE/corpus/$1" >"$log" 2>&1; then
		echo "run.sh: $1: ok, $(grep -E '^stat::number_of_executed_units' \
		    "$log" | awk '{print $2}') runs in ${SECONDS_EACH} s"
	else
		echo "run.sh: $1: FAILED, see $log" >&2
		tail -40 "$log" >&2
		return 1
	fi
}

status=0
pids=""
n=0
for t in $TARGETS; do
	run_one "$t" &
	pids="$pids $!"
	n=$((n + 1))
	if [ "$n" -ge "$PARALLEL" ]; then
		for p in $pids; do wait "$p" || status=1; done
		pids=""
		n=0
	fi
done
for p in $pids; do wait "$p" || status=1; done
exit $status
