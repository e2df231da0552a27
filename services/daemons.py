"""The platform's own background processes that `msc up` starts: outbox relay, stream worker
and referral scheduler.

The API has its own start (`services.serve`), which waits until it answers. These two have no
port to probe: each records its pid (with the process's start time, so a recycled pid is never
mistaken for it) and `msc stack down` stops them before the components they talk to.
"""

from __future__ import annotations

import os
import sys

from infra.stack.config import load_config
from infra.stack.process import read_pid, spawn, stop_pid

WORKERS: dict[str, list[str]] = {
    "relay": ["relay"],
    "stream": ["stream"],
    "scheduler": ["scheduler"],
}


def start_worker(name: str) -> None:
    """Start `msc <name>` in the background unless it already runs."""
    cfg = load_config()
    pid_file = cfg.run_dir / f"{name}.pid"
    log_file = cfg.log_dir / f"{name}.log"
    pid = read_pid(pid_file)
    if pid is not None:
        print(f"{name}: already running (pid {pid})")  # noqa: T201
        return
    argv = [sys.executable, "-m", "services.cli", *WORKERS[name]]
    pid = spawn(argv, log_file=log_file, pid_file=pid_file, env=dict(os.environ))
    print(f"{name}: started (pid {pid}, log {log_file})")  # noqa: T201


def stop_workers() -> list[str]:
    """Stop the background workers that run; the names of those stopped."""
    cfg = load_config()
    return [name for name in WORKERS if stop_pid(cfg.run_dir / f"{name}.pid")]


def platform_pids() -> dict[str, int | None]:
    """The pid of the API and of each worker that runs in the background, None where none does."""
    cfg = load_config()
    return {name: read_pid(cfg.run_dir / f"{name}.pid") for name in ("api", *WORKERS)}
