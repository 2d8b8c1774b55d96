#!/bin/sh
# with-cluster.sh: a throwaway PostgreSQL cluster.
#
#   tests/pg/with-cluster.sh COMMAND [ARG...]
#   tests/pg/with-cluster.sh start DIR     (DIR must not exist)
#   tests/pg/with-cluster.sh stop DIR
#
# initdb makes a cluster in a new directory, pg_ctl starts it listening on
# a unix socket in that directory only (no TCP, no system service). In the
# first form COMMAND runs with TREASURY_TEST_PG set to a libpq connection
# string for it, and the cluster is stopped and removed whatever COMMAND
# did; the exit status is COMMAND's, or 1 when the cluster could not be
# made (the test fails: CI installs postgresql with contrib/install-deps.sh).
# "start" prints the connection string and leaves the cluster running
# (bench/run.sh); "stop" stops it and removes DIR.
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
as=""
if [ "$(id -u)" -eq 0 ]; then
	as="runuser -u postgres --"
fi

# cluster_start DIR: make and start the cluster; 1 (its log printed) when
# it cannot be.
cluster_start() {
	[ "$(id -u)" -ne 0 ] || chown postgres: "$1"
	if ! $as "$bindir/initdb" -D "$1/data" -U treasury -A trust -E UTF8 \
	    --locale=C --no-sync >"$1/initdb.log" 2>&1; then
		cat "$1/initdb.log" >&2
		return 1
	fi
	if ! $as "$bindir/pg_ctl" -D "$1/data" -l "$1/server.log" -w -t 60 \
	    -o "-k $1 -c listen_addresses= -c max_connections=100" \
	    start >/dev/null; then
		cat "$1/server.log" >&2
		return 1
	fi
}

cluster_stop() {
	$as "$bindir/pg_ctl" -D "$1/data" -m immediate stop >/dev/null 2>&1 ||
	    true
	rm -rf "$1"
}

case "${1:-}" in
start)
	[ $# -eq 2 ] || { echo "usage: with-cluster.sh start DIR" >&2; exit 2; }
	mkdir -m 755 "$2"
	dir=$(cd "$2" && pwd)
	cluster_start "$dir" || { rm -rf "$dir"; exit 1; }
	echo "host=$dir dbname=postgres user=treasury"
	exit 0 ;;
stop)
	[ $# -eq 2 ] || { echo "usage: with-cluster.sh stop DIR" >&2; exit 2; }
	cluster_stop "$2"
	exit 0 ;;
esac

dir=$(mktemp -d "${TMPDIR:-/tmp}/treasury-pg.XXXXXX")
trap 'cluster_stop "$dir"' EXIT
trap 'exit 1' INT TERM
cluster_start "$dir" || exit 1
TREASURY_TEST_PG="host=$dir dbname=postgres user=treasury"
export TREASURY_TEST_PG
status=0
"$@" || status=$?
if [ "$status" -ne 0 ] && [ -f "$dir/server.log" ]; then
	echo "with-cluster: the server's log:" >&2
	tail -n 40 "$dir/server.log" >&2
fi
exit "$status"
