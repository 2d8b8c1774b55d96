#!/bin/sh
# check-install.sh: `cmake --install` into a temporary DESTDIR and check
# that every file lands in its configured place (run by ctest as
# install-layout, which passes the configured absolute directories):
#
#   check-install.sh BUILD SBINDIR SYSCONFDIR MANDIR DOCDIR UNITDIR \
#       SYSUSERSDIR TMPFILESDIR
set -eu
build=$1 sbin=$2 etc=$3 man=$4 doc=$5 units=$6 sysusers=$7 tmpfiles=$8
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

if ! DESTDIR="$tmp/root" cmake --install "$build" >"$tmp/install.log" 2>&1; then
	cat "$tmp/install.log"
	exit 1
fi
status=0
for f in \
	"$sbin/treasuryd" \
	"$units/treasuryd.service" \
	"$units/treasuryd.socket" \
	"$sysusers/treasuryd.conf" \
	"$tmpfiles/treasuryd.conf" \
	"$man/man8/treasuryd.8" \
	"$man/man5/treasuryd.conf.5" \
	"$doc/examples/treasuryd.conf" \
	"$etc/treasuryd/treasuryd.conf"
do
	if [ ! -s "$tmp/root$f" ]; then
		echo "check-install: missing $f" >&2
		status=1
	fi
done
[ -x "$tmp/root$sbin/treasuryd" ] ||
	{ echo "check-install: $sbin/treasuryd is not executable" >&2; status=1; }
if ! grep -qx "ExecStart=$sbin/treasuryd --config $etc/treasuryd/treasuryd.conf" \
	"$tmp/root$units/treasuryd.service"; then
	echo "check-install: ExecStart does not name the installed paths" >&2
	status=1
fi
# A second install keeps an operator's config.
echo "# edited" >>"$tmp/root$etc/treasuryd/treasuryd.conf"
DESTDIR="$tmp/root" cmake --install "$build" >"$tmp/install.log" 2>&1
grep -q '^# edited$' "$tmp/root$etc/treasuryd/treasuryd.conf" ||
	{ echo "check-install: reinstall replaced the config" >&2; status=1; }
if [ "$status" -eq 0 ]; then
	echo "check-install: all files in place under DESTDIR"
fi
exit "$status"
