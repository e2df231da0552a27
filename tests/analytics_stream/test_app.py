"""The stream worker waits for Kafka before starting: Faust itself exits when its first connection
fails, so a worker started during a broker outage would otherwise stay down."""

from __future__ import annotations

import socket

import pytest

from analytics_stream import app
from infra.stack.kafka import broker_answers


def test_the_worker_waits_with_backoff_until_the_broker_answers(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    answers = iter([False, False, False, False, False, True])
    slept: list[float] = []
    monkeypatch.setattr(app, "broker_answers", lambda bootstrap: next(answers))
    monkeypatch.setattr("analytics_stream.app.time.sleep", slept.append)
    app.wait_for_broker("127.0.0.1:1", max_delay_seconds=3.0)
    assert slept == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert "Kafka at 127.0.0.1:1 does not answer yet" in capsys.readouterr().err


def test_a_closed_port_is_no_broker_and_is_told_at_once() -> None:
    with socket.socket() as probe:  # a port nobody listens on: bound, never listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        assert broker_answers(f"127.0.0.1:{port}") is False
