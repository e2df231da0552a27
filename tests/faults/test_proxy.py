"""The fault proxy against an echo server: each fault does what the reliability tests rely on."""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading
import time
from collections.abc import Iterator

import pytest
from kafka.protocol.metadata import MetadataRequest, MetadataResponse

from tests.faults.kafka_metadata import KafkaMetadataRewriter
from tests.faults.proxy import Cut, FaultProxy

TIMEOUT = 5.0


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        try:
            while data := self.request.recv(65536):
                self.request.sendall(data)
        except OSError:
            pass  # the proxy reset the connection: that is what the tests do


@pytest.fixture
def echo() -> Iterator[int]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Echo)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(TIMEOUT)


def _connect(proxy: FaultProxy) -> socket.socket:
    return socket.create_connection((proxy.host, proxy.port), timeout=TIMEOUT)


def _round_trip(sock: socket.socket, payload: bytes = b"ping") -> bytes:
    sock.sendall(payload)
    received = b""
    while len(received) < len(payload):
        chunk = sock.recv(65536)
        if not chunk:
            break
        received += chunk
    return received


def _is_broken(sock: socket.socket) -> bool:
    """The peer reset or closed the connection (what a client sees after a drop or a cut)."""
    try:
        sock.sendall(b"x")
        return sock.recv(1) == b""
    except OSError:
        return True


def _proxy_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("fault-proxy-")]


def test_pass_through_and_counters(echo: int) -> None:
    with FaultProxy("127.0.0.1", echo) as proxy, _connect(proxy) as sock:
        assert _round_trip(sock, b"hello" * 1000) == b"hello" * 1000
        stats = proxy.stats()
        assert (stats.accepted, stats.open) == (1, 1)
        assert stats.bytes_to_server == stats.bytes_to_client == 5000
    assert _proxy_threads() == []


def test_latency_holds_each_chunk_back_each_way_or_one_way(echo: int) -> None:
    # A lower bound only: sleeping guarantees it however loaded the machine is.
    with FaultProxy("127.0.0.1", echo) as proxy, _connect(proxy) as sock:
        proxy.add_latency(150)
        started = time.monotonic()
        assert _round_trip(sock) == b"ping"
        assert time.monotonic() - started >= 0.29
        proxy.add_latency(0, 250)
        started = time.monotonic()
        assert _round_trip(sock) == b"ping"
        assert time.monotonic() - started >= 0.24
        proxy.restore()
        assert _round_trip(sock) == b"ping"


def test_restoring_releases_the_chunks_held_back(echo: int) -> None:
    with FaultProxy("127.0.0.1", echo) as proxy, _connect(proxy) as sock:
        proxy.add_latency(0, 60_000)  # answers held a minute
        sock.sendall(b"held")
        sock.settimeout(0.3)
        with pytest.raises(TimeoutError):
            sock.recv(4)
        proxy.restore()
        sock.settimeout(TIMEOUT)
        assert sock.recv(4) == b"held"


def test_drop_resets_open_connections_and_lets_new_ones_through(echo: int) -> None:
    with FaultProxy("127.0.0.1", echo) as proxy, _connect(proxy) as first:
        assert _round_trip(first) == b"ping"
        assert proxy.drop_connections() == 1
        assert _is_broken(first)
        with _connect(proxy) as second:
            assert _round_trip(second) == b"ping"
        assert proxy.stats().dropped == 1


def test_refusing_cut_closes_the_port_and_restore_reopens_the_same_one(echo: int) -> None:
    with FaultProxy("127.0.0.1", echo) as proxy, _connect(proxy) as open_one:
        port = proxy.port
        assert _round_trip(open_one) == b"ping"
        proxy.cut(Cut.REFUSE)
        assert _is_broken(open_one)
        with pytest.raises(ConnectionRefusedError):
            _connect(proxy)
        proxy.cut(Cut.RESET)  # from one kind of cut to another: listening again, resetting
        with contextlib.suppress(ConnectionResetError), _connect(proxy) as reset:
            assert _is_broken(reset)
        assert proxy.stats().rejected == 1
        proxy.restore()
        assert proxy.port == port
        with _connect(proxy) as again:
            assert _round_trip(again) == b"ping"


def test_resetting_cut_accepts_then_resets_and_counts(echo: int) -> None:
    with FaultProxy("127.0.0.1", echo) as proxy:
        proxy.cut(Cut.RESET)
        for _ in range(3):
            try:
                sock = _connect(proxy)
            except ConnectionResetError:
                continue  # the reset came before connect() returned: as broken as it gets
            with sock:
                assert _is_broken(sock)
        assert proxy.stats().rejected == 3
        proxy.restore()
        with _connect(proxy) as sock:
            assert _round_trip(sock) == b"ping"


def test_black_hole_never_answers_until_restored(echo: int) -> None:
    with FaultProxy("127.0.0.1", echo) as proxy:
        proxy.cut(Cut.BLACKHOLE)
        with _connect(proxy) as sock:
            sock.settimeout(0.3)
            sock.sendall(b"anyone?")
            with pytest.raises(TimeoutError):
                sock.recv(1)
            assert proxy.stats().blackholed == 1
            proxy.restore()  # a black-holed connection stays dead; new ones work
            with _connect(proxy) as fresh:
                assert _round_trip(fresh) == b"ping"


def test_unreachable_target_resets_the_client() -> None:
    with socket.socket() as placeholder:
        placeholder.bind(("127.0.0.1", 0))
        free_port = placeholder.getsockname()[1]  # bound, never listening: refuses
        with FaultProxy("127.0.0.1", free_port) as proxy:
            try:
                with _connect(proxy) as sock:
                    assert _is_broken(sock)
            except ConnectionResetError:
                pass  # the proxy's reset came before connect() returned: a reset all the same
            assert proxy.stats().rejected == 1


def test_loopback_only_and_no_thread_left_behind(echo: int) -> None:
    with pytest.raises(ValueError, match="loopback"):
        FaultProxy("192.0.2.1", 80)
    proxy = FaultProxy("127.0.0.1", echo)
    with proxy, _connect(proxy) as sock:
        assert _round_trip(sock) == b"ping"
        assert proxy.host == "127.0.0.1"
    assert _proxy_threads() == []
    with pytest.raises(RuntimeError, match="not running"):
        proxy.cut()


# -- Kafka metadata ---------------------------------------------------------------------------

def _metadata_response(version: int, correlation: int) -> bytes:
    broker = MetadataResponse.MetadataResponseBroker
    topic = MetadataResponse.MetadataResponseTopic
    partition = topic.MetadataResponsePartition
    response = MetadataResponse(
        throttle_time_ms=0, cluster_id="cluster", controller_id=1,
        brokers=[broker(node_id=1, host="127.0.0.1", port=19092, rack="r1"),
                 broker(node_id=2, host="broker-two.example", port=29092, rack=None)],
        topics=[topic(error_code=0, name="test.visits", is_internal=False, partitions=[
            partition(error_code=0, partition_index=0, leader_id=1, leader_epoch=3,
                      replica_nodes=[1], isr_nodes=[1], offline_replicas=[])])],
        version=version)
    response.with_header(correlation_id=correlation)
    return bytes(response.encode(header=True, framed=True))


def _metadata_request(version: int, correlation: int) -> bytes:
    request = MetadataRequest(topics=None, version=version)
    request.with_header(correlation_id=correlation, client_id="msc-outbox-relay")
    return bytes(request.encode(header=True, framed=True))


def _in_pieces(data: bytes, size: int) -> list[bytes]:
    return [data[i:i + size] for i in range(0, len(data), size)]


@pytest.mark.parametrize("version", range(14))
def test_metadata_answers_name_the_proxy_as_every_broker(version: int) -> None:
    rewriter = KafkaMetadataRewriter("127.0.0.1", 40001)
    # An unrelated request first (api key 18, ApiVersions), split awkwardly, then Metadata.
    other = b"\x00\x00\x00\x0a\x00\x12\x00\x00\x00\x00\x00\x01\xff\xff"
    requests = other + _metadata_request(version, 2)
    assert b"".join(rewriter.to_server(p) for p in _in_pieces(requests, 3)) == requests
    other_answer = b"\x00\x00\x00\x06\x00\x00\x00\x01\x00\x00"
    answers = other_answer + _metadata_response(version, 2)
    rewritten = b"".join(rewriter.to_client(p) for p in _in_pieces(answers, 5))
    assert rewritten.startswith(other_answer)
    decoded = MetadataResponse.decode(rewritten[len(other_answer):], version=version,
                                      header=True, framed=True)
    assert [(b.node_id, b.host, b.port) for b in decoded.brokers] == [
        (1, "127.0.0.1", 40001), (2, "127.0.0.1", 40001)]
    if version >= 1:
        assert [b.rack for b in decoded.brokers] == ["r1", None]
    [topic] = decoded.topics
    assert (topic.name, topic.partitions[0].leader_id) == ("test.visits", 1)
    assert rewriter.rewritten == 1
