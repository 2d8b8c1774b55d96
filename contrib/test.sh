#!/bin/sh
# test.sh: install dependencies, then build and run every test twice: a
# normal build (build/) and an AddressSanitizer + UBSan build (build-asan/).
# Unit tests (cmocka) and functional tests (the real daemon over HTTP) both
# run under ctest.
set -eu
cd "$(dirname "$0")/.."

./contrib/install-deps.sh

jobs=$(nproc)
for variant in normal asan; do
	if [ "$variant" = asan ]; then
		dir=build-asan
		flags="-DTREASURY_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug"
	else
		dir=build
		flags="-DCMAKE_BUILD_TYPE=RelWithDebInfo"
	fi
	echo "=== $variant build ($dir)"
	# shellcheck disable=SC2086
	cmake -S . -B "$dir" $flags >/dev/null
	cmake --build "$dir" -j "$jobs"
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --test-dir "$dir" --output-on-failure -j "$jobs"
done
echo "test: all builds passed"
