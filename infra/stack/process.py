"""Starting, finding and stopping the processes of the local stack by recorded process id."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path


class StackError(RuntimeError):
    """A component could not be installed, started or stopped; the message says which and why."""


def port_is_open(host: str, port: int, timeout: float = 0.5) -> bool:
    """True when something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _start_ticks(pid: int) -> str | None:
    """When the process started (clock ticks since boot): with the pid, it names one process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else None


def write_pid(pid_file: Path, pid: int) -> None:
    """Record pid with its start time, so a later reuse of the number is never mistaken for it."""
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    pid_file.write_text(f"{pid} {_start_ticks(pid) or ''}\n")


def read_pid(pid_file: Path) -> int | None:
    """The process id recorded in pid_file, if that very process is still alive."""
    try:
        fields = pid_file.read_text().split()
        pid = int(fields[0])
    except (OSError, ValueError, IndexError):
        return None
    if not pid_alive(pid):
        return None
    if len(fields) > 1 and _start_ticks(pid) != fields[1]:
        return None  # the number now belongs to another process (e.g. after a reboot)
    return pid


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child is dead for our purposes.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def spawn(
    argv: Sequence[str],
    *,
    log_file: Path,
    pid_file: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    user: str | None = None,
) -> int:
    """Start argv detached in its own session, append its output to log_file, record its pid."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    command = list(argv)
    if user is not None:
        command = ["runuser", "-u", user, "--", *command]
    with log_file.open("ab") as log:
        proc = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            start_new_session=True,
        )
    write_pid(pid_file, proc.pid)
    return proc.pid


def stop_pid(pid_file: Path, *, grace_seconds: float = 30.0) -> bool:
    """Stop the process group recorded in pid_file: SIGTERM, then SIGKILL after the grace period.

    Returns True when a process was stopped; the pid file is removed either way.
    """
    pid = read_pid(pid_file)
    if pid is None:
        pid_file.unlink(missing_ok=True)
        return False
    _signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_seconds
    while time.monotonic() < deadline and pid_alive(pid):
        _reap(pid)
        time.sleep(0.2)
    if pid_alive(pid):
        _signal_group(pid, signal.SIGKILL)
        time.sleep(0.5)
        _reap(pid)
    pid_file.unlink(missing_ok=True)
    return True


def _signal_group(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(os.getpgid(pid), sig)
    except (ProcessLookupError, PermissionError):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


def _reap(pid: int) -> None:
    # Only children of this process can be reaped; for others this is a no-op.
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def wait_until(
    check: Callable[[], bool],
    *,
    what: str,
    deadline_seconds: float,
    log_file: Path,
    alive: Callable[[], bool] | None = None,
) -> None:
    """Poll check until it is true; fail with the component's name and log file otherwise."""
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        if check():
            return
        if alive is not None and not alive():
            raise StackError(f"{what} exited during start-up; see its log {log_file}")
        time.sleep(0.5)
    raise StackError(
        f"{what} was not healthy within {deadline_seconds:.0f}s; see its log {log_file}"
    )


def tail(path: Path, lines: int = 40) -> str:
    """The last lines of a log file, or a note that there is none."""
    try:
        content = path.read_text(errors="replace").splitlines()
    except OSError:
        return f"(no log at {path})"
    return "\n".join(content[-lines:])


def run(argv: Sequence[str], *, what: str, env: Mapping[str, str] | None = None,
        user: str | None = None, timeout: float = 900) -> str:
    """Run a set-up step to completion; raise StackError with its output when it fails."""
    command = list(argv)
    if user is not None:
        command = ["runuser", "-u", user, "--", *command]
    try:
        done = subprocess.run(
            command,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            env=dict(env) if env is not None else None,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError as exc:
        raise StackError(f"{what}: {command[0]} is not installed") from exc
    except subprocess.TimeoutExpired as exc:
        raise StackError(f"{what}: timed out after {timeout:.0f}s") from exc
    if done.returncode != 0:
        output = (done.stdout + done.stderr).strip().splitlines()[-30:]
        raise StackError(f"{what} failed (exit {done.returncode}):\n" + "\n".join(output))
    return done.stdout
