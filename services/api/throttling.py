"""Request rates per caller: a burst and a sustained limit per token subject, and one per client
address for the calls that need no token (the OpenAPI schema). Over a limit: 429 in the error
envelope, with `Retry-After`.

The rates are DRF's `DEFAULT_THROTTLE_RATES` (settings, from `MSC_THROTTLE_*`), read at each
request. Each limit counts a caller's requests in fixed windows (the minute, the hour, aligned
on the clock): the window's first requests up to the rate pass, the others are refused until the
window ends, which is what `Retry-After` says. A refused request counts too; it never pushes the
end of the window back.

The counts live in small files under `THROTTLE_DIR`, one per limit and caller, each changed under
an exclusive `flock`: every gunicorn worker on the host shares them, an increment is atomic, and
one costs some 20 µs. Django's caches do not fit: locmem is per process; the file cache lists
its whole directory and rewrites a temporary file on every set (0.5 to 5 ms here) and, like the
database cache, increments by read-then-write, losing concurrent counts; the database cache, on
the request's connection, would be rolled back with every refused request and hold a row lock
per caller until the request commits, queueing one caller's concurrent requests. Counts are per
host: behind a load balancer each API host allows the rates on its own.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import math
import os
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from services.auth.tokens import Principal

log = logging.getLogger(__name__)

_RECORD_BYTES = 32  # "<window start> <count>", padded with spaces
# A count nobody updated for longer than the longest window (a day) is of no use any more.
STALE_SECONDS = 86400
PRUNE_EVERY_SECONDS = 3600


class WindowCounts:
    """Requests per key in the current fixed window, in files shared by a host's processes.

    A file per key, so the directory holds a file per caller seen within a day: when a new
    caller comes, the files of the callers not seen for a day are removed (at most once an hour
    per process), so that addresses seen once do not pile up.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._failing = False
        self._pruned_at = 0.0

    def hit(self, key: str, window_start: int) -> int | None:
        """Count one request of `key` in the window starting at `window_start` (seconds since
        the epoch): the window's count so far, or None if the counts cannot be kept (then the
        request is let through: a full disk must not stop the API)."""
        path = self.directory / hashlib.sha256(key.encode()).hexdigest()
        try:
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            except FileNotFoundError:
                self.directory.mkdir(parents=True, exist_ok=True)
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)  # released by the close
                record = os.pread(fd, _RECORD_BYTES, 0)
                count = _count_in(record, window_start) + 1
                os.pwrite(fd, f"{window_start} {count}".encode().ljust(_RECORD_BYTES), 0)
            finally:
                os.close(fd)
            if not record:
                self._prune()
        except OSError:
            if not self._failing:  # once, not on every request
                log.exception("request counts cannot be kept in %s; not throttling",
                              self.directory)
            self._failing = True
            return None
        self._failing = False
        return count

    def _prune(self) -> None:
        now = time.time()
        if now - self._pruned_at < PRUNE_EVERY_SECONDS:
            return
        self._pruned_at = now
        with os.scandir(self.directory) as entries:
            for entry in entries:
                with contextlib.suppress(FileNotFoundError):  # another process was first
                    if entry.stat().st_mtime < now - STALE_SECONDS:
                        os.unlink(entry.path)


def _count_in(record: bytes, window_start: int) -> int:
    """The count a record holds for the window; 0 for another window or an unreadable record."""
    fields = record.split()
    if len(fields) != 2 or fields[0] != str(window_start).encode() or not fields[1].isdigit():
        return 0
    return int(fields[1])


@lru_cache(maxsize=4)
def window_counts(directory: Path) -> WindowCounts:
    """The process's counts kept in `directory` (one object per directory)."""
    return WindowCounts(directory)


class WindowRateThrottle(SimpleRateThrottle):
    """`DEFAULT_THROTTLE_RATES[scope]` requests per fixed window per caller (None: no limit).

    Subclasses say who the caller is (`get_cache_key`). The clock is DRF's `timer` (time.time),
    which tests move forward instead of waiting for a window to end.
    """

    # Set by DRF from the rate (None: no limit).
    num_requests: int | None
    duration: int | None
    retry_after: float = 0.0

    def get_rate(self) -> str | None:
        # At each request, not once at import as DRF's `THROTTLE_RATES`: a changed setting applies.
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(str(self.scope))
        return None if rate is None else str(rate)

    def allow_request(self, request: Request, view: Any) -> bool:
        key = self.get_cache_key(request, view)
        if key is None or self.num_requests is None or self.duration is None:
            return True
        now = self.timer()
        window_start = math.floor(now / self.duration) * self.duration
        self.retry_after = window_start + self.duration - now
        count = window_counts(Path(settings.THROTTLE_DIR)).hit(key, window_start)
        return count is None or count <= self.num_requests

    def wait(self) -> float:
        """Seconds until the window ends: DRF sends them (rounded up) as `Retry-After`."""
        return self.retry_after


class UserRateThrottle(WindowRateThrottle):
    """Counts the requests of each token subject (a user, or a client's service account)."""

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        principal = request.user
        if not isinstance(principal, Principal):
            return None
        return f"{self.scope}:{principal.subject}"


class UserBurstThrottle(UserRateThrottle):
    scope = "user_burst"


class UserSustainedThrottle(UserRateThrottle):
    scope = "user_sustained"


class AnonymousThrottle(WindowRateThrottle):
    """Counts the requests without a token per client address (DRF's `NUM_PROXIES` says whether
    to read it from `X-Forwarded-For`). Only operations open to everyone get that far: the
    others refuse such a request with 401 before any throttle."""

    scope = "anon"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if isinstance(request.user, Principal):
            return None
        return f"{self.scope}:{self.get_ident(request)}"

