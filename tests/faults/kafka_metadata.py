"""Keeping a Kafka client behind the fault proxy after its first metadata request.

A Kafka client uses its bootstrap address only to ask for metadata; the answer names every
broker by its advertised listener (here 127.0.0.1:19092), and from then on the client connects
there directly. A proxy in front of the bootstrap port alone would be bypassed, and cutting it
would prove nothing. This filter rewrites every broker address in Metadata responses (API key 3,
versions 0-13, flexible or not) to the proxy's own, so that all the client's traffic goes through
the proxy. Everything else passes byte for byte.

Limits: a single-broker cluster (every broker becomes the proxy), and only Metadata is rewritten:
FindCoordinator answers (consumer groups, transactions) still name the real broker, so a consumer
group member would reach the coordinator directly. The outbox relay's idempotent producer has no
transactional id and never asks for a coordinator.
"""

from __future__ import annotations

import struct

METADATA_API_KEY = 3
FIRST_FLEXIBLE_VERSION = 9
# Bytes of a request before anything this filter needs: size, api key, api version, correlation.
REQUEST_PREFIX = struct.Struct(">ihhi")


class KafkaFrameError(ValueError):
    """A Kafka frame this filter cannot read."""


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, count: int) -> bytes:
        if count < 0 or self.pos + count > len(self.data):
            raise KafkaFrameError(f"frame ends before {count} more bytes at {self.pos}")
        chunk = self.data[self.pos:self.pos + count]
        self.pos += count
        return chunk

    def int16(self) -> int:
        value: int = struct.unpack(">h", self.take(2))[0]
        return value

    def int32(self) -> int:
        value: int = struct.unpack(">i", self.take(4))[0]
        return value

    def uvarint(self) -> int:
        value = shift = 0
        while True:
            byte = self.take(1)[0]
            value |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return value
            shift += 7
            if shift > 28:
                raise KafkaFrameError("varint too long")

    def string(self, *, flexible: bool) -> None:
        """Skip a (nullable) string."""
        length = self.uvarint() - 1 if flexible else self.int16()
        if length > 0:
            self.take(length)

    def tagged_fields(self) -> None:
        for _ in range(self.uvarint()):
            self.uvarint()  # tag
            self.take(self.uvarint())


def _uvarint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _string(text: str, *, flexible: bool) -> bytes:
    raw = text.encode()
    return (_uvarint(len(raw) + 1) if flexible else struct.pack(">h", len(raw))) + raw


def rewrite_metadata_response(frame: bytes, version: int, host: str, port: int) -> bytes:
    """A Metadata response (without its size prefix) whose brokers are all at host:port."""
    flexible = version >= FIRST_FLEXIBLE_VERSION
    reader = _Reader(frame)
    reader.int32()  # correlation id
    if flexible:
        reader.tagged_fields()  # response header v1
    if version >= 3:
        reader.int32()  # throttle_time_ms
    count = reader.uvarint() - 1 if flexible else reader.int32()
    out = bytearray(frame[:reader.pos])
    if count < 0:
        raise KafkaFrameError("a Metadata response without a broker array")
    for _ in range(count):
        node_id = reader.int32()
        reader.string(flexible=flexible)  # the advertised host
        reader.int32()  # the advertised port
        kept_from = reader.pos
        if version >= 1:
            reader.string(flexible=flexible)  # rack
        if flexible:
            reader.tagged_fields()
        out += struct.pack(">i", node_id) + _string(host, flexible=flexible)
        out += struct.pack(">i", port) + frame[kept_from:reader.pos]
    out += frame[reader.pos:]
    return bytes(out)


class KafkaMetadataRewriter:
    """A `StreamFilter` for `FaultProxy`: Metadata answers name the proxy as the only broker."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._request_head = bytearray()
        self._request_rest = 0  # bytes of the current request still to pass unread
        self._metadata_versions: dict[int, int] = {}  # correlation id -> Metadata version
        self._responses = bytearray()
        self.rewritten = 0

    def to_server(self, data: bytes) -> bytes:
        """Requests pass unchanged; the filter notes which ones ask for metadata."""
        pos = 0
        while pos < len(data):
            if self._request_rest:
                step = min(self._request_rest, len(data) - pos)
                self._request_rest -= step
                pos += step
                continue
            step = min(REQUEST_PREFIX.size - len(self._request_head), len(data) - pos)
            self._request_head += data[pos:pos + step]
            pos += step
            if len(self._request_head) < REQUEST_PREFIX.size:
                break
            size, api_key, api_version, correlation = REQUEST_PREFIX.unpack(self._request_head)
            self._request_head.clear()
            if size < REQUEST_PREFIX.size - 4:
                raise KafkaFrameError(f"request frame of {size} bytes")
            if api_key == METADATA_API_KEY:
                self._metadata_versions[correlation] = api_version
            self._request_rest = size - (REQUEST_PREFIX.size - 4)
        return data

    def to_client(self, data: bytes) -> bytes:
        """Whole response frames, Metadata ones rewritten; a partial frame waits for the rest."""
        self._responses += data
        out = bytearray()
        while len(self._responses) >= 4:
            (size,) = struct.unpack_from(">i", self._responses)
            if size < 4:
                raise KafkaFrameError(f"response frame of {size} bytes")
            if len(self._responses) < 4 + size:
                break
            frame = bytes(self._responses[4:4 + size])
            del self._responses[:4 + size]
            (correlation,) = struct.unpack_from(">i", frame)
            version = self._metadata_versions.pop(correlation, None)
            if version is not None:
                frame = rewrite_metadata_response(frame, version, self.host, self.port)
                self.rewritten += 1
            out += struct.pack(">i", len(frame)) + frame
        return bytes(out)
