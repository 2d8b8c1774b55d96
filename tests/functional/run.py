#!/usr/bin/python3
"""Run every functional test: each test_*() function in tests/functional/
test_*.py gets a fresh Context (temporary directory, the treasuryd path).

Usage: run.py --treasuryd PATH [--treasuryctl PATH] [--source-dir DIR]
              [-k SUBSTRING] [--shard I/N]
--shard I/N runs every N-th test starting at the I-th (1 <= I <= N), with
ports from a block of its own, so that ctest can run N shards side by side.
Prints one line per test and a closing 'N passed, N failed'; exits 1 if any
test failed.
"""

import argparse
import importlib.util
import os
import shutil
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import framework  # noqa: E402


def discover(pattern):
    tests = []
    for fname in sorted(os.listdir(HERE)):
        if not (fname.startswith("test_") and fname.endswith(".py")):
            continue
        spec = importlib.util.spec_from_file_location(fname[:-3],
                                                      os.path.join(HERE, fname))
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        for name in sorted(dir(mod)):
            fn = getattr(mod, name)
            full = "%s.%s" % (fname[:-3], name)
            if name.startswith("test_") and callable(fn) and pattern in full:
                reason = getattr(mod, "SQLITE_ONLY", None)
                if reason is not None:
                    fn = framework.sqlite_only(reason)(fn)
                tests.append((full, fn))
    return tests


# Shards take ports from 20000 up, below Linux's ephemeral range (32768+),
# where the kernel's own choices (port 0) land; the PostgreSQL shards
# (--engine postgresql) from the blocks after the SQLite ones, since ctest
# runs both side by side.
PORT_FIRST = 20000
PORT_BLOCK_SIZE = 500
SHARDS_MAX = 12


def parse_shard(ap, text):
    try:
        i, n = (int(x) for x in text.split("/"))
    except ValueError:
        ap.error("--shard wants I/N, e.g. 2/4")
    if not 1 <= n <= SHARDS_MAX or not 1 <= i <= n:
        ap.error("--shard I/N wants 1 <= I <= N <= %d" % SHARDS_MAX)
    return i, n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--treasuryd", required=True)
    ap.add_argument("--treasuryctl", default=None)
    ap.add_argument("--source-dir", default=os.path.dirname(os.path.dirname(HERE)))
    ap.add_argument("-k", default="")
    ap.add_argument("--shard", default="1/1")
    ap.add_argument("--engine", choices=("sqlite", "postgresql"),
                    default="sqlite")
    args = ap.parse_args()
    framework.ENGINE = args.engine
    if args.engine == "postgresql" and "TREASURY_TEST_PG" not in os.environ:
        ap.error("--engine postgresql runs under tests/pg/with-cluster.sh")
    shard, shards = parse_shard(ap, args.shard)
    if shards > 1:
        block = shard - 1 + (SHARDS_MAX if args.engine == "postgresql" else 0)
        framework.PORT_BLOCK = (PORT_FIRST + block * PORT_BLOCK_SIZE,
                                PORT_BLOCK_SIZE)
    treasuryd = os.path.abspath(args.treasuryd)
    passed = failed = skipped = 0
    for full, fn in discover(args.k)[shard - 1::shards]:
        root = tempfile.mkdtemp(prefix="treasuryd-test-")
        ctx = framework.Context(treasuryd, os.path.abspath(args.source_dir), root,
                                treasuryctl=args.treasuryctl and os.path.abspath(args.treasuryctl))
        t0 = time.monotonic()
        try:
            try:
                fn(ctx)
            except framework.SkipTest as e:
                skipped += 1
                print("SKIP %-60s %s" % (full, e), flush=True)
                continue
            for n in ctx.nodes:
                n.stop()
            passed += 1
            print("PASS %-60s %.2fs" % (full, time.monotonic() - t0), flush=True)
            shutil.rmtree(root, ignore_errors=True)
        except Exception:
            failed += 1
            print("FAIL %s" % full, flush=True)
            traceback.print_exc()
            for n in ctx.nodes:
                if n.proc is not None or os.path.exists(n.stderr_path):
                    try:
                        print("--- %s stderr:\n%s" % (n.dir, n.stderr()[-3000:]))
                    except OSError:
                        pass
        finally:
            ctx.cleanup()
    print("%d passed, %d failed, %d skipped (%s)" % (passed, failed, skipped,
                                                    args.engine))
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
