"""`msc stack up` twice and `msc stack down`, on a second stack of its own (own home, own ports).

The second stack shares only the download cache, so the suite's main stack is never disturbed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.stack.config import load_config
from infra.stack.process import pid_alive, port_is_open

pytestmark = pytest.mark.integration

PORTS = {
    "MSC_PG_PORT": 56432,
    "MSC_KAFKA_PORT": 20092,
    "MSC_KAFKA_CONTROLLER_PORT": 20093,
    "MSC_CLICKHOUSE_PORT": 20000,
    "MSC_CLICKHOUSE_HTTP_PORT": 19123,
    "MSC_KEYCLOAK_PORT": 19080,
    "MSC_KEYCLOAK_MANAGEMENT_PORT": 19081,
}
COMPONENTS = ("postgres", "kafka", "clickhouse", "keycloak")


@pytest.fixture(scope="module")
def stack_env() -> Iterator[dict[str, str]]:
    busy = [f"{name}={port}" for name, port in PORTS.items() if port_is_open("127.0.0.1", port)]
    if busy:
        pytest.fail(f"ports needed by the lifecycle test are in use: {', '.join(busy)}")
    # Below the main stack's home: as root, the postgres user must be able to traverse it.
    home = load_config().home / "lifecycle-tests" / uuid.uuid4().hex[:8]
    env = {**os.environ, **{k: str(v) for k, v in PORTS.items()}, "MSC_HOME": str(home),
           "MSC_CACHE": str(load_config().cache)}
    try:
        yield env
    finally:
        _msc(env, "stack", "down", check=False)
        shutil.rmtree(home, ignore_errors=True)


def _msc(env: dict[str, str], *args: str, check: bool = True) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "services.cli", *args],
        env=env, capture_output=True, text=True, timeout=600, check=False,
    )
    output = done.stdout + done.stderr
    if check:
        assert done.returncode == 0, output
    return output


def _recorded_pids(home: Path) -> dict[str, int]:
    return {c: int((home / "run" / f"{c}.pid").read_text().split()[0]) for c in COMPONENTS}


def _processes_using(path: str) -> list[str]:
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if path in cmdline and pid_alive(int(proc.name)):
            found.append(f"{proc.name}: {cmdline[:120]}")
    return found


def test_up_twice_starts_nothing_twice_and_down_leaves_nothing(
    stack_env: dict[str, str],
) -> None:
    home = Path(stack_env["MSC_HOME"])
    first = _msc(stack_env, "stack", "up")
    assert "all components healthy" in first
    pids = _recorded_pids(home)
    processes = _processes_using(str(home))

    second = _msc(stack_env, "stack", "up")
    for component in COMPONENTS:
        assert f"{component}: already up" in second
    assert _recorded_pids(home) == pids
    assert sorted(_processes_using(str(home))) == sorted(processes)

    status = _msc(stack_env, "stack", "status", "--json")
    assert json.loads(status.strip().splitlines()[-1]) == dict.fromkeys(COMPONENTS, "up")

    down = _msc(stack_env, "stack", "down")
    for component in COMPONENTS:
        assert f"{component}: stopped" in down
    assert not any(pid_alive(pid) for pid in pids.values())
    assert _processes_using(str(home)) == []
    assert not any(port_is_open("127.0.0.1", port) for port in PORTS.values())

    after = _msc(stack_env, "stack", "status", "--json", check=False)
    assert json.loads(after.strip().splitlines()[-1]) == dict.fromkeys(COMPONENTS, "down")
