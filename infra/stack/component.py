"""What every component of the local stack can do, so `msc stack` treats them alike."""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path

from infra.stack.config import StackConfig
from infra.stack.process import read_pid, stop_pid


class Component(ABC):
    """One server of the stack: installed on first use, started detached, checked by health."""

    name: str
    start_deadline_seconds: float = 120.0

    def __init__(self, config: StackConfig) -> None:
        self.config = config

    @property
    @abstractmethod
    def port(self) -> int:
        """The loopback port clients use."""

    @property
    def state_dir(self) -> Path:
        return self.config.home / self.name

    @property
    def log_file(self) -> Path:
        return self.config.log_dir / f"{self.name}.log"

    @property
    def pid_file(self) -> Path:
        return self.config.run_dir / f"{self.name}.pid"

    def recorded_pid(self) -> int | None:
        """Pid of the process `msc stack up` started, if it still runs."""
        return read_pid(self.pid_file)

    @abstractmethod
    def install(self) -> None:
        """Put the software on the machine (first time only; cheap when already there)."""

    @abstractmethod
    def start(self) -> None:
        """Prepare state (first time only) and launch the server detached, recording its pid."""

    @abstractmethod
    def healthy(self) -> bool:
        """True when the server answers its own protocol, not merely when the port is open."""

    def after_start(self) -> None:  # noqa: B027 - optional hook, most components need nothing
        """Idempotent set-up that needs the running server (roles, databases)."""

    @abstractmethod
    def version(self) -> str:
        """Version reported by the running server, or the one installed."""

    def stop(self) -> bool:
        """Stop what `up` started; True when something was running."""
        return stop_pid(self.pid_file)
