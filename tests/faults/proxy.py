"""A TCP proxy on loopback whose link to its target the test breaks on purpose.

The tests put it between a client (the API, the outbox relay, the stream worker) and a real
component (PostgreSQL, Kafka, ClickHouse, Keycloak) and switch it at run time between:

- pass-through;
- added latency: every chunk waits the given milliseconds before it is forwarded, each way
  (or one way only, e.g. answers held back longer than a client's request timeout); a change
  applies to the chunks already waiting, so restoring the link releases them at once;
- dropping every current connection (reset, as when a firewall or a NAT forgets them);
- a full cut: current connections are reset and new ones are refused by the kernel
  (`Cut.REFUSE`: the listening socket is closed, and opened again on the same port when the link
  is restored), reset as soon as they are accepted (`Cut.RESET`: counted, so a test can see the
  client trying), or accepted and never answered (`Cut.BLACKHOLE`: the client's own timeout has
  to notice).

It runs one asyncio loop in one thread of its own, started and stopped as a context manager, and
leaves no thread behind. It listens on 127.0.0.1 only (an ephemeral port) and forwards to
loopback targets only: nothing here can reach beyond the machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import ipaddress
import socket
import struct
import threading
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Protocol, TypeVar

LOOPBACK = "127.0.0.1"
CHUNK_BYTES = 65536
CONTROL_TIMEOUT_SECONDS = 10.0
CONNECT_TIMEOUT_SECONDS = 5.0

T = TypeVar("T")


class Cut(enum.Enum):
    """How new connections fare while the link is cut (current ones are always reset)."""

    REFUSE = "refuse"
    RESET = "reset"
    BLACKHOLE = "blackhole"


class StreamFilter(Protocol):
    """Sees (and may rewrite) the bytes of one connection, each way, in order."""

    def to_server(self, data: bytes) -> bytes: ...

    def to_client(self, data: bytes) -> bytes: ...


# Called once per forwarded connection with the proxy's own host and port.
FilterFactory = Callable[[str, int], StreamFilter]


@dataclass(frozen=True)
class ProxyStats:
    """Counters since the proxy started."""

    accepted: int  # connections forwarded to the target
    rejected: int  # connections reset on arrival (Cut.RESET) or whose target did not answer
    blackholed: int  # connections accepted and never answered (Cut.BLACKHOLE)
    dropped: int  # connections the proxy reset by `drop_connections` or `cut`
    open: int  # connections open now
    bytes_to_server: int
    bytes_to_client: int
    errors: tuple[str, ...]  # a stream filter that failed (its connection was reset)


@dataclass
class _Counts:
    accepted: int = 0
    rejected: int = 0
    blackholed: int = 0
    dropped: int = 0
    bytes_to_server: int = 0
    bytes_to_client: int = 0


@dataclass(eq=False)
class _Link:
    client: asyncio.StreamWriter
    server: asyncio.StreamWriter | None = None
    stream_filter: StreamFilter | None = None
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    closed: bool = False


def _hard_close(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP reset rather than an orderly FIN, as a broken network would."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


class FaultProxy:
    """`with FaultProxy("127.0.0.1", 5432) as proxy:` clients connect to `proxy.port`."""

    def __init__(self, target_host: str, target_port: int, *,
                 stream_filter: FilterFactory | None = None) -> None:
        if not ipaddress.ip_address(target_host).is_loopback:
            raise ValueError(f"the proxy forwards to loopback only, not {target_host}")
        self.target_host = target_host
        self.target_port = target_port
        self.host = LOOPBACK
        self.port = 0
        self._filter_factory = stream_filter
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None
        self._stop: asyncio.Future[None] | None = None
        self._server: asyncio.Server | None = None
        self._links: set[_Link] = set()
        self._cut: Cut | None = None
        self._latency_to_server = 0.0
        self._latency_to_client = 0.0
        self._latency_changed: asyncio.Event  # made in the proxy's loop
        self._counts = _Counts()
        self._errors: list[str] = []

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    # -- life cycle -------------------------------------------------------------------------

    def __enter__(self) -> FaultProxy:
        self._thread = threading.Thread(target=self._run, name=f"fault-proxy-{self.target_port}",
                                        daemon=True)
        self._thread.start()
        if not self._ready.wait(CONTROL_TIMEOUT_SECONDS):
            raise RuntimeError("the proxy did not start")
        if self._startup_error is not None:
            self._thread.join(CONTROL_TIMEOUT_SECONDS)
            raise RuntimeError("the proxy did not start") from self._startup_error
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        loop, stop, thread = self._loop, self._stop, self._thread
        if loop is not None and stop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop may have ended already
                loop.call_soon_threadsafe(self._finish, stop)
        if thread is not None:
            thread.join(CONTROL_TIMEOUT_SECONDS)
            if thread.is_alive():
                raise RuntimeError("the proxy's thread did not stop")

    @staticmethod
    def _finish(stop: asyncio.Future[None]) -> None:
        if not stop.done():
            stop.set_result(None)

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = self._loop.create_future()
        self._latency_changed = asyncio.Event()
        try:
            await self._listen()
        except BaseException as exc:  # reported to __enter__, which raises it
            self._startup_error = exc
            self._ready.set()
            return
        self._ready.set()
        try:
            await self._stop
        finally:
            await self._close_server()
            links = list(self._links)
            for link in links:
                self._close_link(link, hard=True)
            await asyncio.gather(*(t for link in links for t in link.tasks),
                                 return_exceptions=True)
        # asyncio.run cancels whatever is left and shuts the default executor down.

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._accept, self.host, self.port,
                                                  reuse_address=True)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def _close_server(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
            await server.wait_closed()

    def _call(self, make: Callable[[], Coroutine[Any, Any, T]]) -> T:
        """Run a control coroutine in the proxy's loop; return when it has taken effect."""
        loop = self._loop
        if loop is None or self._thread is None or not self._thread.is_alive():
            raise RuntimeError("the proxy is not running (use it as a context manager)")
        return asyncio.run_coroutine_threadsafe(make(), loop).result(CONTROL_TIMEOUT_SECONDS)

    # -- controls (called from the test's thread) -------------------------------------------

    def restore(self) -> None:
        """Pass-through again: no cut, no latency (the listening port stays the same)."""
        async def apply() -> None:
            self._cut = None
            self._set_latency(0.0, 0.0)
            if self._server is None:
                await self._listen()  # same port; raises if someone took it meanwhile
        self._call(apply)

    def add_latency(self, to_server_ms: float, to_client_ms: float | None = None) -> None:
        """Hold every chunk back this long before forwarding it (`to_client_ms`: the answers)."""
        async def apply() -> None:
            self._set_latency(to_server_ms / 1000,
                              (to_server_ms if to_client_ms is None else to_client_ms) / 1000)
        self._call(apply)

    def drop_connections(self) -> int:
        """Reset every open connection (new ones go through as before); how many there were."""
        async def apply() -> int:
            return self._drop_all()
        return self._call(apply)

    def cut(self, how: Cut = Cut.REFUSE) -> int:
        """Cut the link: reset every open connection and refuse, reset or black-hole new ones."""
        async def apply() -> int:
            self._cut = how
            if how is Cut.REFUSE:
                await self._close_server()
            elif self._server is None:
                await self._listen()  # from refusing to resetting or black-holing
            return self._drop_all()
        return self._call(apply)

    def stats(self) -> ProxyStats:
        async def snapshot() -> ProxyStats:
            counts = self._counts
            return ProxyStats(accepted=counts.accepted, rejected=counts.rejected,
                              blackholed=counts.blackholed, dropped=counts.dropped,
                              open=len(self._links), bytes_to_server=counts.bytes_to_server,
                              bytes_to_client=counts.bytes_to_client, errors=tuple(self._errors))
        return self._call(snapshot)

    # -- connections (in the proxy's loop) --------------------------------------------------

    def _drop_all(self) -> int:
        links = list(self._links)
        for link in links:
            self._close_link(link, hard=True)
        self._counts.dropped += len(links)
        return len(links)

    def _close_link(self, link: _Link, *, hard: bool) -> None:
        if link.closed:
            return
        link.closed = True
        self._links.discard(link)
        for writer in (link.client, link.server):
            if writer is None:
                continue
            if hard:
                _hard_close(writer)
            else:
                writer.close()
        current = asyncio.current_task()
        for task in link.tasks:
            if task is not current:
                task.cancel()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._cut in (Cut.RESET, Cut.REFUSE):
            # REFUSE: one that arrived while the listening socket was being closed.
            self._counts.rejected += 1
            _hard_close(writer)
            return
        link = _Link(client=writer)
        self._links.add(link)
        if self._cut is Cut.BLACKHOLE:
            self._counts.blackholed += 1
            await self._swallow(link, reader)
            return
        try:
            server_reader, server_writer = await asyncio.wait_for(
                asyncio.open_connection(self.target_host, self.target_port),
                CONNECT_TIMEOUT_SECONDS)
        except (OSError, TimeoutError):
            self._counts.rejected += 1
            self._close_link(link, hard=True)
            return
        link.server = server_writer
        if link.closed:  # dropped or cut while connecting to the target
            _hard_close(server_writer)
            return
        if self._filter_factory is not None:
            link.stream_filter = self._filter_factory(self.host, self.port)
        self._counts.accepted += 1
        link.tasks = [asyncio.create_task(self._pump(link, reader, server_writer, to_server=True)),
                      asyncio.create_task(self._pump(link, server_reader, writer,
                                                     to_server=False))]
        await asyncio.gather(*link.tasks, return_exceptions=True)

    async def _hold(self, read_at: float, *, to_server: bool) -> None:
        """Wait until the chunk read at `read_at` is due under the latency in force (a change of
        latency applies to chunks already held: restoring the link releases them)."""
        loop = asyncio.get_running_loop()
        while True:
            delay = self._latency_to_server if to_server else self._latency_to_client
            remaining = read_at + delay - loop.time()
            if remaining <= 0:
                return
            changed = self._latency_changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)

    def _set_latency(self, to_server: float, to_client: float) -> None:
        self._latency_to_server, self._latency_to_client = to_server, to_client
        self._latency_changed.set()
        self._latency_changed = asyncio.Event()

    async def _swallow(self, link: _Link, reader: asyncio.StreamReader) -> None:
        """Read and discard until the client gives up or the proxy drops the connection."""
        try:
            while not link.closed and await reader.read(CHUNK_BYTES):
                pass
        except (OSError, asyncio.CancelledError):
            pass
        finally:
            self._close_link(link, hard=False)

    async def _pump(self, link: _Link, reader: asyncio.StreamReader,
                    writer: asyncio.StreamWriter, *, to_server: bool) -> None:
        hard = False
        try:
            while True:
                data = await reader.read(CHUNK_BYTES)
                if not data:
                    break
                await self._hold(asyncio.get_running_loop().time(), to_server=to_server)
                if link.stream_filter is not None:
                    data = (link.stream_filter.to_server(data) if to_server
                            else link.stream_filter.to_client(data))
                if data:
                    writer.write(data)
                    await writer.drain()
                    if to_server:
                        self._counts.bytes_to_server += len(data)
                    else:
                        self._counts.bytes_to_client += len(data)
        except (OSError, asyncio.CancelledError):
            hard = True
        except Exception as exc:  # a filter that could not parse: report, and reset the link
            self._errors.append(f"{type(exc).__name__}: {exc}")
            hard = True
        finally:
            self._close_link(link, hard=hard)
