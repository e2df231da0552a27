"""Time `msc stack up` cold (empty download cache, new home) and warm (everything cached, stopped).

Runs a second stack on its own ports and home so the main stack is untouched, prints the
figures, and removes what it made. Debian packages (PostgreSQL, ClickHouse) are installed once per
machine and are not removed, and Maven's own ~/.m2 repository is kept, so "cold" here means an empty
project download cache (copied from ~/.m2 or fetched) and every first-time set-up.

    .venv/bin/python -m benchmarks.stack_startup [--keep-cache]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from infra.stack.config import load_config

PORTS = {
    "MSC_PG_PORT": "57432", "MSC_KAFKA_PORT": "21092", "MSC_KAFKA_CONTROLLER_PORT": "21093",
    "MSC_CLICKHOUSE_PORT": "21000", "MSC_CLICKHOUSE_HTTP_PORT": "20123",
    "MSC_KEYCLOAK_PORT": "20080", "MSC_KEYCLOAK_MANAGEMENT_PORT": "20081",
}


def _msc(env: dict[str, str], *args: str) -> float:
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "services.cli", *args], env=env, check=False,
                          capture_output=True, text=True)
    elapsed = time.monotonic() - started
    if done.returncode != 0:
        print(done.stdout + done.stderr)
        raise SystemExit(f"msc {' '.join(args)} failed")
    for line in done.stdout.splitlines():
        if " in " in line and ("up on" in line or "healthy" in line):
            print(f"    {line}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keep-cache", action="store_true",
                        help="reuse the normal download cache (measures set-up without downloads)")
    args = parser.parse_args()
    home = load_config().home / "benchmark-stack"
    cache = load_config().cache if args.keep_cache else Path(tempfile.mkdtemp(prefix="msc-cache-"))
    env = {**os.environ, **PORTS, "MSC_HOME": str(home), "MSC_CACHE": str(cache)}
    shutil.rmtree(home, ignore_errors=True)
    try:
        print("cold: new home" + ("" if args.keep_cache else ", empty download cache"))
        cold = _msc(env, "stack", "up")
        _msc(env, "stack", "down")
        print("warm: everything cached and initialised, all stopped")
        warm = _msc(env, "stack", "up")
        again = _msc(env, "stack", "up")
    finally:
        subprocess.run([sys.executable, "-m", "services.cli", "stack", "down"], env=env,
                       check=False, capture_output=True)
        shutil.rmtree(home, ignore_errors=True)
        if not args.keep_cache:
            shutil.rmtree(cache, ignore_errors=True)
    print(f"stack up cold:            {cold:7.1f} s   (target < 600 s)")
    print(f"stack up warm:            {warm:7.1f} s   (target < 90 s)")
    print(f"stack up when already up: {again:7.1f} s")


if __name__ == "__main__":
    main()
