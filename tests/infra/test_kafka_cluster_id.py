"""The KRaft cluster id given to `kafka-storage format` (pure logic, no services)."""

from __future__ import annotations

import base64
from collections.abc import Iterator

from infra.stack.kafka import new_cluster_id


def _draws(*values: bytes) -> Iterator[bytes]:
    yield from values


def test_an_id_that_would_start_with_a_dash_is_drawn_again() -> None:
    # 0xF8 encodes to "-" first in URL-safe base64: the storage tool would read it as an option.
    dash_first = bytes([0xF8]) + bytes(15)
    plain = bytes(range(16))
    draws = _draws(dash_first, plain)

    cluster_id = new_cluster_id(lambda: next(draws))

    assert base64.urlsafe_b64encode(dash_first).decode().startswith("-")
    assert cluster_id == base64.urlsafe_b64encode(plain).decode().rstrip("=")


def test_an_id_is_a_uuid_in_url_safe_base64_without_padding() -> None:
    cluster_id = new_cluster_id()

    assert len(cluster_id) == 22
    assert not cluster_id.startswith("-")
    assert len(base64.urlsafe_b64decode(cluster_id + "==")) == 16
