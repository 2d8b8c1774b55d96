#!/bin/sh
# run.sh: install dependencies, build, and start treasuryd on its defaults:
# 127.0.0.1:8420, database ./var/treasury.db. On the first run the daemon
# writes an admin token to ./var/admin.token (mode 0600).
set -eu
cd "$(dirname "$0")/.."

./contrib/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)" --target treasuryd
mkdir -p var
chmod 0700 var
echo "run: starting treasuryd; the admin token is in ./var/admin.token after the first start"
exec ./build/daemon/treasuryd "$@"
