"""`msc stack up | down | status | logs`: the local stack, started natively and idempotently."""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from infra.stack.clickhouse import ClickHouse
from infra.stack.component import Component
from infra.stack.config import StackConfig, load_config
from infra.stack.kafka import Kafka
from infra.stack.keycloak import Keycloak
from infra.stack.postgres import Postgres
from infra.stack.process import StackError, port_is_open, tail, wait_until

_print_lock = threading.Lock()


def say(message: str) -> None:
    """Progress line, safe to call from the per-component threads."""
    with _print_lock:
        print(message, flush=True)  # noqa: T201 - this is the command's output


def components(config: StackConfig | None = None) -> list[Component]:
    """The stack's components; `up` starts them in parallel, `down` stops them in reverse."""
    cfg = config or load_config()
    return [Postgres(cfg), Kafka(cfg), ClickHouse(cfg), Keycloak(cfg)]


def component_named(name: str, config: StackConfig | None = None) -> Component:
    for component in components(config):
        if component.name == name:
            return component
    names = ", ".join(c.name for c in components(config))
    raise StackError(f"unknown component {name!r}; choose one of {names}")


def _bring_up(component: Component) -> str:
    started = time.monotonic()
    host = component.config.host
    if component.healthy():
        owner = "started by msc" if component.recorded_pid() else "not started by msc"
        component.after_start()
        return f"{component.name}: already up on {host}:{component.port} ({owner})"
    if component.recorded_pid() is None and port_is_open(host, component.port):
        raise StackError(
            f"{component.name}: port {host}:{component.port} is held by another program that is "
            f"not a healthy {component.name}; stop it or choose another port "
            f"(see README, 'Configuration')"
        )
    say(f"{component.name}: installing (first run downloads and caches it)")
    component.install()
    if component.recorded_pid() is None:
        say(f"{component.name}: starting on {host}:{component.port}")
        component.start()
    else:
        say(f"{component.name}: process {component.recorded_pid()} is starting, waiting for it")
    wait_until(
        component.healthy,
        what=component.name,
        deadline_seconds=component.start_deadline_seconds,
        log_file=component.log_file,
        alive=lambda: component.recorded_pid() is not None,
    )
    component.after_start()
    return f"{component.name}: up on {host}:{component.port} in {time.monotonic() - started:.1f}s"


def stack_up(config: StackConfig | None = None) -> None:
    """Install (first time) and start every component in parallel; wait until all are healthy."""
    cfg = config or load_config()
    for directory in (cfg.home, cfg.cache, cfg.run_dir, cfg.log_dir):
        directory.mkdir(parents=True, exist_ok=True)
    # The postgres user must traverse the home to reach its data directory; nothing secret here.
    os.chmod(cfg.home, 0o755)  # noqa: S103
    started = time.monotonic()
    failures: list[tuple[Component, BaseException]] = []
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {pool.submit(_bring_up, c): c for c in components(cfg)}
        for future, component in futures.items():
            try:
                say(future.result())
            except Exception as error:  # noqa: BLE001 - each failure is reported with its component
                failures.append((component, error))
    if failures:
        for component, failure in failures:
            say(f"FAILED {failure}")
            say(f"--- last lines of {component.log_file} ---\n{tail(component.log_file)}")
        names = ", ".join(c.name for c, _ in failures)
        raise StackError(f"stack up failed for: {names}")
    say(f"stack up: all components healthy in {time.monotonic() - started:.1f}s")


def stack_down(config: StackConfig | None = None) -> None:
    """Stop only what `stack up` and `msc up` started, by recorded process id, in reverse order."""
    from services.daemons import stop_workers
    from services.serve import stop_api

    if stop_api():
        say("api: stopped")
    for name in stop_workers():
        say(f"{name}: stopped")
    for component in reversed(components(config)):
        if component.stop():
            say(f"{component.name}: stopped")
        else:
            say(f"{component.name}: was not started by msc, left alone")


def stack_status(config: StackConfig | None = None, *, as_json: bool = False) -> bool:
    """One line per component; with as_json a JSON object on the last line. True if all are up."""
    summary: dict[str, str] = {}
    for component in components(config):
        up = component.healthy()
        summary[component.name] = "up" if up else "down"
        version = component.version() if up else ""
        say(
            f"{component.name:<11} {'up' if up else 'down':<5} "
            f"{component.config.host}:{component.port:<6} {version}"
        )
    from services.daemons import platform_pids

    for name, pid in platform_pids().items():
        say(f"{name:<11} {'up' if pid else 'down':<5} {'pid ' + str(pid) if pid else ''}")
    if all(state == "up" for state in summary.values()):
        say(_pipeline_line())
    if as_json:
        say(json.dumps(summary, sort_keys=True))
    return all(state == "up" for state in summary.values())


def _pipeline_line() -> str:
    """Outbox backlog, stream lag and freshness, from the platform's own metrics."""
    try:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "services.settings.dev")
        import django

        django.setup()
        from services.metrics import collect, describe

        return describe(collect())
    except Exception as exc:  # noqa: BLE001 - status must print, whatever the pipeline's state
        return f"pipeline    unknown ({type(exc).__name__}: {exc})"


def stack_logs(name: str, *, lines: int = 200, config: StackConfig | None = None) -> None:
    from services.daemons import platform_pids

    if name in platform_pids():
        log_file = (config or load_config()).log_dir / f"{name}.log"
    else:
        log_file = component_named(name, config).log_file
    say(f"--- {log_file} ---")
    sys.stdout.write(tail(log_file, lines) + "\n")
