#!/bin/sh
# check-units.sh: CI check of the systemd units (run by ctest).
#
#   check-units.sh UNIT_DIR TREASURYD SOURCE_DIR
#
# UNIT_DIR holds the configured treasuryd.service and treasuryd.socket.
# The service is copied with ExecStart= pointing at the built TREASURYD
# (verify insists that the binary exists), the man pages named in
# Documentation= are put on a temporary MANPATH, then:
#   1. systemd-analyze verify must accept both units without a word;
#   2. systemd-analyze security --offline=yes must score at most 2.0;
#   3. systemd-sysusers and systemd-tmpfiles must apply our sysusers.d and
#      tmpfiles.d files to an empty root.
set -eu
units=$1
bin=$2
src=$3
max_exposure=2.0

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

sed "s|^ExecStart=[^ ]*|ExecStart=$bin|" "$units/treasuryd.service" \
	>"$tmp/treasuryd.service"
cp "$units/treasuryd.socket" "$tmp/"
mkdir -p "$tmp/man/man5" "$tmp/man/man8"
cp "$src/docs/man/treasuryd.8" "$tmp/man/man8/"
cp "$src/docs/man/treasuryd.conf.5" "$tmp/man/man5/"

echo "== systemd-analyze verify"
if ! MANPATH="$tmp/man" systemd-analyze verify \
	"$tmp/treasuryd.socket" "$tmp/treasuryd.service" >"$tmp/verify.log" 2>&1 ||
	[ -s "$tmp/verify.log" ]; then
	cat "$tmp/verify.log"
	echo "check-units: systemd-analyze verify failed" >&2
	exit 1
fi
echo "verify: OK"

echo "== systemd-analyze security --offline=yes"
systemd-analyze security --offline=yes "$tmp/treasuryd.service" \
	>"$tmp/security.log" 2>&1 || true
grep -v '^✓' "$tmp/security.log"
score=$(sed -n 's/.*Overall exposure level for treasuryd.service: \([0-9.]*\).*/\1/p' \
	"$tmp/security.log")
if [ -z "$score" ]; then
	echo "check-units: no exposure level in the output" >&2
	exit 1
fi
if ! awk -v s="$score" -v m="$max_exposure" 'BEGIN { exit !(s <= m) }'; then
	echo "check-units: exposure $score is above $max_exposure" >&2
	exit 1
fi
echo "security: exposure $score <= $max_exposure"

echo "== sysusers.d and tmpfiles.d"
mkdir -p "$tmp/root/etc" "$tmp/root/var/lib"
systemd-sysusers --root="$tmp/root" "$src/contrib/systemd/treasuryd.sysusers"
grep -q '^treasuryd:' "$tmp/root/etc/passwd"
systemd-tmpfiles --root="$tmp/root" --create \
	"$src/contrib/systemd/treasuryd.tmpfiles"
mode=$(stat -c %a "$tmp/root/var/lib/treasuryd")
if [ "$mode" != 700 ]; then
	echo "check-units: /var/lib/treasuryd has mode $mode, not 700" >&2
	exit 1
fi
echo "sysusers/tmpfiles: OK"
echo "check-units: all passed"
