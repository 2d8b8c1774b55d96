#!/bin/sh
# check-banned.sh: fail if C sources call a banned function (curl manner).
# Banned: unbounded or error-hiding libc calls that have a safer twin here.
set -eu
cd "$(dirname "$0")/.."
banned='\b(strcpy|strcat|sprintf|vsprintf|gets|strtok|atoi|atol|atoll|atof|strncpy|strncat|tmpnam|mktemp)[[:space:]]*\('
if grep -rnE "$banned" --include='*.c' --include='*.h' \
	include base core storage api daemon cli bench tests 2>/dev/null; then
	echo "check-banned: banned function used (see above)" >&2
	exit 1
fi
echo "check-banned: 0 banned calls"
