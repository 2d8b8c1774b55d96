#!/bin/sh
# run.sh: install dependencies, build treasuryd and treasuryctl, and start
# treasuryd on its defaults: 127.0.0.1:8420, database ./var/treasury.db. On
# the first run the daemon writes an admin token to ./var/admin.token (mode
# 0600). The client is ./build/cli/treasuryctl (README: "From nothing to a
# first executed spend with treasuryctl alone").
set -eu
cd "$(dirname "$0")/.."

./contrib/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)" --target treasuryd treasuryctl
mkdir -p var
chmod 0700 var
echo "run: treasuryctl is $(pwd)/build/cli/treasuryctl (the client; see README.md)"
echo "run: starting treasuryd; the admin token is in ./var/admin.token after the first start"
exec ./build/daemon/treasuryd "$@"
