"""The stream worker waits for Kafka before starting: Faust itself exits when its first connection
fails, so a worker started during a broker outage would otherwise stay down."""

from __future__ import annotations

import asyncio
import socket

import pytest
from aiokafka.client import AIOKafkaClient

from analytics_stream import app
from infra.stack.kafka import broker_answers
from services.conf import kafka_settings
from tests.conftest import require_component
from tests.faults.proxy import Cut, FaultProxy


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


def test_a_kafka_client_keeps_bootstrapping_while_no_broker_answers(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(AIOKafkaClient, "bootstrap",
                        app.retrying_bootstrap(AIOKafkaClient.bootstrap, max_delay_seconds=0.2))
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

        async def bootstrap_for_a_while() -> None:
            client = AIOKafkaClient(bootstrap_servers=f"127.0.0.1:{port}")
            try:
                await asyncio.wait_for(client.bootstrap(), timeout=1.5)
            finally:
                await client.close()

        # Unpatched, aiokafka raises KafkaConnectionError at once and the Faust worker exits.
        with pytest.raises(TimeoutError):
            asyncio.run(bootstrap_for_a_while())


@pytest.mark.integration
def test_a_kafka_client_bootstraps_once_the_broker_is_back(
        monkeypatch: pytest.MonkeyPatch) -> None:
    require_component("kafka")
    monkeypatch.setattr(AIOKafkaClient, "bootstrap",
                        app.retrying_bootstrap(AIOKafkaClient.bootstrap, max_delay_seconds=0.2))
    host, port = kafka_settings()["BOOTSTRAP_SERVERS"].split(",")[0].rsplit(":", 1)
    with FaultProxy(host, int(port)) as proxy:
        proxy.cut(Cut.REFUSE)  # the broker is down as the client starts

        async def bootstrap_through_an_outage() -> set[int]:
            client = AIOKafkaClient(bootstrap_servers=proxy.address)
            try:
                starting = asyncio.ensure_future(client.bootstrap())
                await asyncio.sleep(1.0)
                assert not starting.done(), "the client must wait while the broker is down"
                proxy.restore()
                await asyncio.wait_for(starting, timeout=30)
                return {broker.nodeId for broker in client.cluster.brokers()}
            finally:
                await client.close()

        assert asyncio.run(bootstrap_through_an_outage()) == {1}  # the broker answered: node 1
