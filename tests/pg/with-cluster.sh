#!/bin/sh
# with-cluster.sh: run a command against a throwaway PostgreSQL cluster.
#
#   tests/pg/with-cluster.sh COMMAND [ARG...]
#
# initdb makes a cluster in a new temporary directory, pg_ctl starts it
# listening on a unix socket in that directory only (no TCP, no system
# service), COMMAND runs with TREASURY_TEST_PG set to a libpq connection
# string for it, and the cluster is stopped and removed whatever COMMAND
# did. The exit status is COMMAND's, or 1 when the cluster could not be
# made (the test fails: CI installs postgresql with contrib/install-deps.sh).
#
# PostgreSQL refuses to run as root: as root, the cluster belongs to the
# postgres user (Debian's postgresql package creates it) and the server
# runs as that user through runuser.
set -eu

bindir=${PG_BINDIR:-}
if [ -z "$bindir" ]; then
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V); do
		bindir=$d
	done
fi
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
	echo "with-cluster: no PostgreSQL server binaries (initdb) under" \
	    "/usr/lib/postgresql/*/bin: run contrib/install-deps.sh" >&2
	exit 1
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/treasury-pg.XXXXXX")
as=""
if [ "$(id -u)" -eq 0 ]; then
	chown postgres: "$dir"
	as="runuser -u postgres --"
fi

stop() {
	$as "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
	rm -rf "$dir"
}
trap stop EXIT
trap 'exit 1' INT TERM

if ! $as "$bindir/initdb" -D "$dir/data" -U treasury -A trust -E UTF8 \
    --locale=C --no-sync >"$dir/initdb.log" 2>&1; then
	cat "$dir/initdb.log" >&2
	exit 1
fi
if ! $as "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-k $dir -c listen_addresses= -c max_connections=40" start >/dev/null; then
	cat "$dir/server.log" >&2
	exit 1
fi

TREASURY_TEST_PG="host=$dir dbname=postgres user=treasury"
export TREASURY_TEST_PG
status=0
"$@" || status=$?
if [ "$status" -ne 0 ] && [ -f "$dir/server.log" ]; then
	echo "with-cluster: the server's log:" >&2
	tail -n 40 "$dir/server.log" >&2
fi
exit "$status"
