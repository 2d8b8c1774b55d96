#!/bin/sh
# install-deps.sh: install the Debian 12 packages treasuryd needs to build,
# run and test. Packages already installed are skipped; apt-get runs only
# when something is missing. Uses sudo when not run as root.
set -eu

PACKAGES="
	build-essential cmake pkg-config
	libsecp256k1-dev libsodium-dev libsqlite3-dev libmicrohttpd-dev
	libjansson-dev libcmocka-dev libcurl4-openssl-dev libgnutls28-dev
	libpq-dev postgresql
	python3 python3-cryptography python3-yaml python3-jsonschema
	chromium chromium-driver python3-selenium
	clang libclang-rt-14-dev
	systemd man-db tmux
	openssl nginx
"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	echo "install-deps: all packages present"
	exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	SUDO="sudo"
fi
echo "install-deps: installing:$missing"
$SUDO apt-get update -qq
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
