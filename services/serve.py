"""`msc serve`: the API under gunicorn with several workers, in the foreground or detached."""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

from infra.stack.config import load_config
from infra.stack.process import read_pid, spawn, stop_pid, wait_until

API_PROCESS = "api"
# gunicorn kills a worker whose request runs longer: every request must be bounded well below it
# (PostgreSQL's statement timeout, ClickHouse's max_execution_time).
WORKER_TIMEOUT_SECONDS = 60


def default_workers() -> int:
    return max(2, min(8, 2 * (os.cpu_count() or 1) + 1))


def gunicorn_argv(workers: int) -> list[str]:
    cfg = load_config()
    return [
        sys.executable, "-m", "gunicorn", "services.wsgi:application",
        "--bind", f"{cfg.host}:{cfg.api_port}",
        "--workers", str(workers),
        "--timeout", str(WORKER_TIMEOUT_SECONDS),
        "--graceful-timeout", "20",
        "--access-logfile", "-",
        "--forwarded-allow-ips", "127.0.0.1",
    ]


def _api_healthy() -> bool:
    cfg = load_config()
    try:
        with urllib.request.urlopen(  # noqa: S310 - loopback URL from config
            f"http://{cfg.host}:{cfg.api_port}/healthz", timeout=2
        ) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def serve(*, workers: int | None = None, daemon: bool = False) -> int:
    """Run gunicorn; detached, it records its pid so `msc stack down` stops it."""
    cfg = load_config()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "services.settings.dev")
    argv = gunicorn_argv(workers or default_workers())
    if not daemon:
        os.execv(argv[0], argv)  # noqa: S606 - replaces this process with gunicorn
    pid_file = cfg.run_dir / f"{API_PROCESS}.pid"
    log_file = cfg.log_dir / f"{API_PROCESS}.log"
    if read_pid(pid_file) is not None and _api_healthy():
        print(f"api: already serving on http://{cfg.host}:{cfg.api_port}")  # noqa: T201
        return 0
    stop_pid(pid_file)
    spawn(argv, log_file=log_file, pid_file=pid_file, env=dict(os.environ))
    wait_until(_api_healthy, what="api", deadline_seconds=60, log_file=log_file,
               alive=lambda: read_pid(pid_file) is not None)
    print(f"api: serving on http://{cfg.host}:{cfg.api_port} (log {log_file})")  # noqa: T201
    return 0


def stop_api() -> bool:
    return stop_pid(load_config().run_dir / f"{API_PROCESS}.pid")


def print_welcome(*, demo: bool = False) -> None:
    cfg = load_config()
    period = "?from=2008-06-01&to=2008-08-31" if demo else ""
    demo_note = "; the demo quarter of all seven tenants" if demo else ""
    print(  # noqa: T201
        f"""
The MSC platform is running.
  Web app        http://{cfg.host}:{cfg.api_port}/   (counsellors, managers, admins, partners:
                 log in as counsellor.al or partner.al; language switch in the header)
  API            http://{cfg.host}:{cfg.api_port}/api/v1/me   (bearer token from Keycloak)
  Health         http://{cfg.host}:{cfg.api_port}/readyz
  OpenAPI        http://{cfg.host}:{cfg.api_port}/api/v1/schema
  Dashboard      http://{cfg.host}:{cfg.api_port}/dashboard/{period}
                 (log in as regional.monitor{demo_note})
  Keycloak       {cfg.keycloak_url}/admin   (admin / {cfg.keycloak_admin_password}, dev only)
  Demo users     counsellor.al, manager.al, admin.al, partner.al, partner2.al ... for al ba hr
                 xk mk me rs, and regional.monitor; password msc-dev-password (dev only)
Get a token:
  curl -s -d grant_type=password -d client_id=msc-cli-dev -d username=counsellor.al \\
       -d password=msc-dev-password {cfg.keycloak_url}/realms/msc/protocol/openid-connect/token
Stop everything: .venv/bin/msc stack down
""",
        end="",
    )

