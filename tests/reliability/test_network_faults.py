"""Network faults between the platform's processes and its components, made by a loopback proxy.

Each test puts `tests.faults.proxy.FaultProxy` between one client and one real component, breaks
the link on purpose (cut, latency, dropped connections, answers held back) and checks what the
architecture promises: the API answers 503 rather than 500 without its database, intake goes on
without Kafka and every event arrives once and in order afterwards, the stream worker holds a
batch unacknowledged while ClickHouse is away and writes it once when it is back, and a send
whose acknowledgement got lost changes no figure.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import close_old_connections, connections
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from rest_framework.test import APIClient

from analytics_stream.clickhouse.client import clickhouse_client
from analytics_stream.reconcile import reconcile
from intake.models import Centre, Visit
from services.conf import kafka_settings
from services.events.topics import CLIENTS, VISITS, topic_name
from services.metrics import STREAM_GROUP_SUFFIX
from services.outbox.models import OutboxEvent
from services.outbox.relay import RELAY_ALIAS
from services.tenancy.context import tenant_transaction
from tests.conftest import require_component
from tests.faults.kafka_metadata import KafkaMetadataRewriter
from tests.faults.processes import msc_process, tcp_peers
from tests.faults.proxy import Cut, FaultProxy
from tests.integration.keycloak_helpers import as_user
from tests.kafka_helpers import Received, consume_topic, run_topics, stop_process
from tests.waiting import wait_until

pytestmark = [pytest.mark.integration]

CONSENT = {"given_at": "2026-11-01T08:00:00Z", "scope": "service"}
DEADLINE = 60.0


def _get(client: APIClient, path: str) -> Any:
    """A request as a WSGI server runs it: stale connections are closed when it starts (the test
    client skips that step)."""
    close_old_connections()
    return client.get(path)


def _assert_503(response: Any) -> None:
    assert response.status_code == 503, response.content
    assert response["Retry-After"] == "5"
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"error": {
        "status": 503, "code": "service_unavailable",
        "message": "the database is unavailable; retry later"}}


# -- PostgreSQL ---------------------------------------------------------------------------------

@pytest.fixture
def database_proxy() -> Iterator[FaultProxy]:
    """The API's own connection (`default`, the application role) goes through a proxy."""
    require_component("postgres")
    require_component("keycloak")
    connection = connections["default"]
    port = connection.settings_dict["PORT"]
    with FaultProxy(str(connection.settings_dict["HOST"]), int(port)) as proxy:
        connection.close()
        connection.settings_dict["PORT"] = str(proxy.port)
        try:
            yield proxy
        finally:
            connection.close()
            connection.settings_dict["PORT"] = port


def _visible_centres(tenant: str) -> tuple[str, int]:
    """(role, centres) as row-level security shows them to `tenant` on the proxied connection:
    raw SQL, so the ORM's tenant filter (the second wall) plays no part."""
    with tenant_transaction(tenant), connections["default"].cursor() as cursor:
        cursor.execute("SELECT current_user, count(*) FROM intake_centre")
        row = cursor.fetchone()
    assert row is not None
    return str(row[0]), int(row[1])


@pytest.mark.django_db(transaction=True)
def test_an_unreachable_database_is_503_with_retry_after_and_200_when_back(
    database_proxy: FaultProxy, caplog: pytest.LogCaptureFixture,
) -> None:
    """A client told to retry later can do so; a 500 says the request itself was wrong."""
    for tenant, name in (("AL", "Tirana MSC"), ("RS", "Beograd MSC")):
        with tenant_transaction(tenant):
            Centre.objects.create(tenant_id=tenant, name=name, municipality_code="1")
    counsellor = as_user("counsellor.al")
    app_role = settings.DATABASES["default"]["USER"]

    # Through the proxy: the application role, the tenant setting and RLS all work.
    assert _visible_centres("AL") == (app_role, 1)
    answer = _get(counsellor, "/api/v1/centres")
    assert answer.status_code == 200, answer.content
    assert [c["name"] for c in answer.json()["results"]] == ["Tirana MSC"]
    assert database_proxy.stats().accepted >= 2

    caplog.set_level(logging.ERROR, logger="services.api.errors")
    # A connection that breaks under an open request (the test client keeps it between
    # requests): the first query inside the view fails, DRF's exception handler answers and
    # rolls the request's transaction back, so ending it does not raise again (before the
    # rollback it did, outside the view, and only the middleware kept that from being a 500).
    assert database_proxy.drop_connections() >= 1
    _assert_503(counsellor.get("/api/v1/centres"))
    assert "database unavailable (view)" in caplog.text

    # No database at all: opening the request's transaction fails before any view runs.
    for how in (Cut.REFUSE, Cut.RESET, Cut.BLACKHOLE):  # black hole: until connect_timeout
        database_proxy.cut(how)
        caplog.clear()
        _assert_503(_get(counsellor, "/api/v1/centres"))
        assert "database unavailable (transaction)" in caplog.text, how
    stats = database_proxy.stats()
    assert stats.rejected >= 1 and stats.blackholed >= 1  # each kind of cut was met

    database_proxy.restore()
    answer = _get(counsellor, "/api/v1/centres")
    assert answer.status_code == 200, answer.content
    assert [c["name"] for c in answer.json()["results"]] == ["Tirana MSC"]
    assert _visible_centres("RS") == (app_role, 1)


# -- Kafka: the outbox relay ------------------------------------------------------------------

def _bootstrap() -> tuple[str, int]:
    host, port = kafka_settings()["BOOTSTRAP_SERVERS"].split(",")[0].strip().rsplit(":", 1)
    return host, int(port)


@pytest.fixture
def topics() -> Iterator[str]:
    """This run's topics (deleted afterwards); their prefix."""
    for name in ("postgres", "kafka", "keycloak"):
        require_component(name)
    with run_topics() as prefix:
        yield prefix


@pytest.fixture
def kafka_proxy(topics: str) -> Iterator[FaultProxy]:
    """A proxy in front of the broker that keeps a client behind it (the broker advertises its
    own address; the proxy rewrites it in every Metadata answer)."""
    with FaultProxy(*_bootstrap(), stream_filter=KafkaMetadataRewriter) as proxy:
        yield proxy
        assert proxy.stats().errors == ()


def _relay_through(proxy: FaultProxy, log: Path) -> subprocess.Popen[bytes]:
    """`msc relay` whose only Kafka address is the proxy."""
    return msc_process(log, ["relay"], {"MSC_KAFKA_BOOTSTRAP": proxy.address})


def _alive(process: subprocess.Popen[bytes], log: Path) -> Callable[[], None]:
    def check() -> None:
        assert process.poll() is None, log.read_text()[-4000:]
    return check


def _outbox_ids(tenants: tuple[str, ...]) -> set[str]:
    ids: set[str] = set()
    for tenant in tenants:
        with tenant_transaction(tenant):
            ids.update(str(i) for i in OutboxEvent.objects.values_list("id", flat=True))
    return ids


def _unpublished(ids: set[str]) -> int:
    return OutboxEvent.objects.using(RELAY_ALIAS).filter(
        id__in=ids, published_at__isnull=True).count()


def _wait_published(ids: set[str], alive: Callable[[], None]) -> None:
    wait_until(lambda: _unpublished(ids) == 0, seconds=DEADLINE, still_running=alive,
               interval=0.2, failure=lambda: f"{_unpublished(ids)} of {len(ids)} events "
                                              "were not published")


def _on_kafka(*bases: str) -> list[Received]:
    return [message for base in bases for message in consume_topic(topic_name(base))]


def _register(tenant: str, given: str, birth_year: int) -> str:
    response = as_user(f"counsellor.{tenant.lower()}").post("/api/v1/clients", {
        "given_name": given, "family_name": "Mrežić", "sex": "female",
        "birth_year": birth_year, "citizenship": tenant, "category": "returnee",
        "municipality_code": f"{tenant}-1", "urban": True, "education_level": "isced3",
        "employment_status": "unemployed", "migration_intention": "labour",
        "consent": CONSENT}, format="json")
    assert response.status_code == 201, response.content
    return str(response.json()["id"])


def _record_round(tenant: str, round_: int, centre: str, clients: list[str]) -> None:
    """A visit of each client, and a change of each client's record (one more version)."""
    counsellor = as_user(f"counsellor.{tenant.lower()}")
    for client in clients:
        visit = counsellor.post("/api/v1/visits", {
            "client_id": client, "centre_id": centre, "channel": "in_person",
            "occurred_at": f"2008-07-{round_ + 1:02d}T10:00:00Z",
            "services": ["counselling"]}, format="json")
        assert visit.status_code == 201, visit.content
        current = counsellor.get(f"/api/v1/clients/{client}")
        update = counsellor.patch(f"/api/v1/clients/{client}",
                                  {"municipality_code": f"{tenant}-{round_ + 2}"},
                                  format="json", HTTP_IF_MATCH=current["ETag"])
        assert update.status_code == 200, update.content


def _versions_per_key(ids: set[str], received: list[Received]) -> dict[str, list[int]]:
    """Each Kafka key's aggregate versions in the order the broker holds them."""
    order: dict[str, list[int]] = defaultdict(list)
    for message in sorted(received, key=lambda m: (m.partition, m.offset)):
        if message.envelope["id"] in ids:
            order[message.key].append(message.envelope["aggregateversion"])
    return dict(order)


@pytest.mark.django_db(transaction=True, databases=["default", "relay"])
def test_a_plain_proxy_before_the_bootstrap_port_is_bypassed(topics: str, tmp_path: Path) -> None:
    """Why the Kafka proxy rewrites metadata: the broker advertises its own address, and a
    client that got it from the bootstrap connection talks to the broker directly."""
    log = tmp_path / "relay.log"
    with FaultProxy(*_bootstrap()) as proxy:
        relay = _relay_through(proxy, log)
        try:
            _register("MK", "Elena", 1990)
            _wait_published(_outbox_ids(("MK",)), _alive(relay, log))
            assert _bootstrap() in tcp_peers(relay.pid)
        finally:
            stop_process(relay)


@pytest.mark.django_db(transaction=True, databases=["default", "relay"])
def test_intake_goes_on_while_kafka_is_cut_and_every_event_arrives_once_in_order(
    kafka_proxy: FaultProxy, tmp_path: Path,
) -> None:
    """The outbox decouples intake from Kafka: a slow, flaky or absent broker delays events,
    never loses, doubles or reorders them."""
    tenant = "ME"
    with tenant_transaction(tenant):
        centre = str(Centre.objects.create(tenant_id=tenant, name="Nikšić MSC",
                                           municipality_code="ME-1").id)
    log = tmp_path / "relay.log"
    relay = _relay_through(kafka_proxy, log)
    alive = _alive(relay, log)
    broker = _bootstrap()
    try:
        clients = [_register(tenant, name, 1985 + n) for n, name in enumerate(("Ana", "Maja"))]
        _wait_published(_outbox_ids((tenant,)), alive)
        # Everything the relay says to Kafka goes through the proxy, nothing to the broker.
        peers = tcp_peers(relay.pid)
        assert (kafka_proxy.host, kafka_proxy.port) in peers
        assert broker not in peers, peers

        kafka_proxy.add_latency(100)  # every chunk, each way
        _record_round(tenant, 0, centre, clients)
        _wait_published(_outbox_ids((tenant,)), alive)

        # Answers held back, and the connection dropped while a send is on its way: the broker
        # may or may not have written it; the relay cannot know.
        kafka_proxy.add_latency(0, 3000)
        sent = kafka_proxy.stats().bytes_to_server
        _record_round(tenant, 1, centre, clients)
        wait_until(lambda: kafka_proxy.stats().bytes_to_server > sent, seconds=DEADLINE,
                   still_running=alive, failure=lambda: "the relay sent nothing")
        assert kafka_proxy.drop_connections() >= 1
        kafka_proxy.restore()
        _wait_published(_outbox_ids((tenant,)), alive)

        # Kafka cut off: intake goes on, nothing is published, the relay keeps trying.
        before_cut = _outbox_ids((tenant,))
        kafka_proxy.cut(Cut.RESET)
        rejected = kafka_proxy.stats().rejected
        for round_ in (2, 3, 4):
            _record_round(tenant, round_, centre, clients)
        during_cut = _outbox_ids((tenant,)) - before_cut
        assert len(during_cut) == 3 * 2 * 2
        wait_until(lambda: kafka_proxy.stats().rejected >= rejected + 2, seconds=DEADLINE,
                   still_running=alive, failure=lambda: "the relay did not try to reconnect")
        assert _unpublished(during_cut) == len(during_cut)
        assert broker not in tcp_peers(relay.pid)
        kafka_proxy.restore()
        event_ids = _outbox_ids((tenant,))
        _wait_published(event_ids, alive)
    finally:
        stop_process(relay)

    client_messages, visit_messages = _on_kafka(CLIENTS.name), _on_kafka(VISITS.name)
    received = client_messages + visit_messages
    copies = Counter(m.envelope["id"] for m in received if m.envelope["id"] in event_ids)
    assert set(copies) == event_ids, "every event reached Kafka"
    assert [i for i, n in copies.items() if n > 1] == [], "and none twice"
    assert all(m.headers["ce_id"].decode() == m.envelope["id"] for m in received)
    # In order per key: each client's six versions, each visit's one.
    assert list(_versions_per_key(event_ids, client_messages).values()) == [[1, 2, 3, 4, 5, 6]] * 2
    assert list(_versions_per_key(event_ids, visit_messages).values()) == [[1]] * 10


# -- ClickHouse and the stream worker ---------------------------------------------------------

STREAM_TENANTS = ("AL", "XK")
CLIENTS_PER_TENANT = 20


def _prepare_tenant(tenant: str) -> str:
    """A centre and some clients of `tenant` (through `/sync`); the centre's id."""
    with tenant_transaction(tenant):
        centre = str(Centre.objects.create(tenant_id=tenant, name="MSC",
                                           municipality_code="1").id)
    items = [{"kind": "client", "key": f"{tenant}-c{n}", "data": {
        "given_name": f"N{n}", "family_name": "Mreža", "sex": "male", "birth_year": 1970 + n,
        "citizenship": tenant, "category": "national", "municipality_code": "M1",
        "urban": True, "education_level": "isced3", "employment_status": "unemployed",
        "migration_intention": "labour", "consent": CONSENT, "confirm_new": True}}
        for n in range(CLIENTS_PER_TENANT)]
    answer = as_user(f"counsellor.{tenant.lower()}").post("/api/v1/sync", {"items": items},
                                                          format="json")
    assert answer.json()["summary"] == {"created": CLIENTS_PER_TENANT}, answer.content
    return centre


def _sync_visits(tenant: str, centre: str, batch: str, count: int) -> None:
    items = [{"kind": "visit", "key": f"{batch}-v{n}", "data": {
        "client_key": f"{tenant}-c{n % CLIENTS_PER_TENANT}", "centre_id": centre,
        "channel": "in_person", "occurred_at": f"2009-03-{n % 28 + 1:02d}T10:00:00Z",
        "services": ["information"] if n % 3 else ["counselling", "referral"]}}
        for n in range(count)]
    answer = as_user(f"counsellor.{tenant.lower()}").post("/api/v1/sync", {"items": items},
                                                          format="json")
    assert answer.json()["summary"] == {"created": count}, answer.content


def _facts(database: str) -> tuple[int, int, int]:
    """visit_facts as stored (duplicates included), through FINAL, and distinct visit ids; read
    directly, never through a proxy."""
    [(stored,)] = clickhouse_client(database).execute("SELECT count() FROM visit_facts")
    [(final, distinct)] = clickhouse_client(database).execute(
        "SELECT count(), uniqExact(visit_id) FROM visit_facts FINAL")
    return int(stored), int(final), int(distinct)


def _unacknowledged(base: str) -> int:
    """Events of the topic past the stream worker's committed offsets (all, if none yet)."""
    bootstrap = kafka_settings()["BOOTSTRAP_SERVERS"]
    group = f"{kafka_settings()['TOPIC_PREFIX']}{STREAM_GROUP_SUFFIX}"
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
    try:
        committed = admin.list_group_offsets({group: None}).get(group, {})
    finally:
        admin.close()
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    try:
        topic = topic_name(base)
        partitions = [TopicPartition(topic, p)
                      for p in sorted(consumer.partitions_for_topic(topic) or ())]
        ends = consumer.end_offsets(partitions)
    finally:
        consumer.close()
    done = {tp: max(0, meta.offset) for tp, meta in committed.items()}
    return sum(max(0, ends[tp] - done.get(tp, 0)) for tp in partitions)


def _visits_in_postgres(tenants: tuple[str, ...]) -> int:
    total = 0
    for tenant in tenants:
        with tenant_transaction(tenant):
            total += Visit.objects.count()
    return total


def _stop_worker(worker: subprocess.Popen[bytes]) -> None:
    """Stop the stream worker and remove the data directory Faust made for this run's app."""
    stop_process(worker)
    app = f"{kafka_settings()['TOPIC_PREFIX']}{STREAM_GROUP_SUFFIX}"
    shutil.rmtree(Path(tempfile.gettempdir()) / "msc-faust" / f"{app}-data", ignore_errors=True)


def _insert_failures(log: Path) -> int:
    return log.read_text(errors="replace").count("failed (attempt")


@pytest.fixture
def stream_database(topics: str, clickhouse_database: str) -> str:
    """This run's topics and ClickHouse database; the ClickHouse database's name."""
    return clickhouse_database


@pytest.mark.django_db(transaction=True, databases=["default", "relay"])
def test_the_stream_worker_holds_its_batch_while_clickhouse_is_cut_and_writes_it_once(
    stream_database: str, tmp_path: Path,
) -> None:
    """Acknowledging only after the insert means an absent ClickHouse costs time, not events."""
    database = stream_database
    conf = settings.CLICKHOUSE
    worker_log, relay_log = tmp_path / "stream.log", tmp_path / "relay.log"
    with FaultProxy(conf["HOST"], conf["PORT"]) as proxy:
        worker = msc_process(worker_log, ["stream", "--log-level", "info"],
                             {"MSC_CLICKHOUSE_PORT": str(proxy.port)})
        relay = msc_process(relay_log, ["relay"], {})
        worker_alive, relay_alive = _alive(worker, worker_log), _alive(relay, relay_log)

        def both_alive() -> None:
            worker_alive()
            relay_alive()

        try:
            centres = {tenant: _prepare_tenant(tenant) for tenant in STREAM_TENANTS}
            for tenant in STREAM_TENANTS:
                _sync_visits(tenant, centres[tenant], "before", 50)
            wait_until(lambda: _facts(database)[1] == 100, seconds=DEADLINE,
                       still_running=both_alive, interval=0.5,
                       failure=lambda: f"ClickHouse holds {_facts(database)} visits, not 100")
            assert proxy.stats().accepted >= 1  # the worker writes through the proxy

            proxy.cut(Cut.REFUSE)
            failures = _insert_failures(worker_log)
            for tenant in STREAM_TENANTS:
                _sync_visits(tenant, centres[tenant], "cut", 50)
            _wait_published(_outbox_ids(STREAM_TENANTS), both_alive)
            # Five failed attempts take the sink's backoff 6 s, over two of Faust's commit
            # intervals (2.8 s): an acknowledged event would have been committed by then.
            wait_until(lambda: _insert_failures(worker_log) >= failures + 5, seconds=DEADLINE,
                       still_running=both_alive, interval=0.2,
                       failure=lambda: "the worker did not retry its insert")
            # The batch is on hand and not acknowledged: ClickHouse has nothing of it, and the
            # consumer group's committed offsets stay behind the 100 new visits.
            assert _facts(database)[1] == 100
            assert _unacknowledged(VISITS.name) >= 100
            both_alive()

            proxy.restore()
            compared, differences = reconcile(tenants=STREAM_TENANTS, database=database,
                                              wait_seconds=DEADLINE)
            assert differences == [], (differences[:5], worker_log.read_text()[-3000:])
            assert compared > 0
            wait_until(lambda: _unacknowledged(VISITS.name) == 0, seconds=DEADLINE,
                       still_running=both_alive, interval=0.5,
                       failure=lambda: "the worker did not acknowledge after the insert")
        finally:
            stop_process(relay)
            _stop_worker(worker)

    visits = _visits_in_postgres(STREAM_TENANTS)
    assert visits == 200
    _, final, distinct = _facts(database)
    assert (final, distinct) == (visits, visits)


# -- ambiguous acknowledgements -----------------------------------------------------------------

# Longer than the relay's request timeout (half its 30 s send timeout: 15 s).
ANSWERS_HELD_MS = 20_000


def _resend(messages: list[Received]) -> None:
    """Send the messages again, as another producer that has no idea they were delivered."""
    producer = KafkaProducer(bootstrap_servers=kafka_settings()["BOOTSTRAP_SERVERS"], acks="all")
    try:
        for message in messages:
            producer.send(topic_name(VISITS.name), key=message.key.encode(), value=message.value,
                          headers=list(message.headers.items()))
        producer.flush(timeout=DEADLINE)
    finally:
        producer.close(timeout=DEADLINE)


@pytest.mark.django_db(transaction=True, databases=["default", "relay"])
def test_a_send_whose_acknowledgement_was_lost_changes_no_figure(
    stream_database: str, kafka_proxy: FaultProxy, tmp_path: Path,
) -> None:
    """The broker writes the batch, its answer is held back past the relay's request timeout, the
    relay retries; then every event is sent once more outright. No figure moves."""
    database = stream_database
    tenant = "XK"
    worker_log, relay_log = tmp_path / "stream.log", tmp_path / "relay.log"
    worker = msc_process(worker_log, ["stream", "--log-level", "info"], {})
    relay = _relay_through(kafka_proxy, relay_log)
    worker_alive, relay_alive = _alive(worker, worker_log), _alive(relay, relay_log)

    def both_alive() -> None:
        worker_alive()
        relay_alive()

    try:
        centre = _prepare_tenant(tenant)
        _sync_visits(tenant, centre, "first", 10)  # the relay learns the topic's partitions
        _wait_published(_outbox_ids((tenant,)), both_alive)
        before = _outbox_ids((tenant,))

        kafka_proxy.add_latency(0, ANSWERS_HELD_MS)
        accepted = kafka_proxy.stats().accepted
        _sync_visits(tenant, centre, "held", 60)
        batch = _outbox_ids((tenant,)) - before
        assert len(batch) == 60

        def written() -> int:
            return len(batch & {m.envelope["id"] for m in _on_kafka(VISITS.name)})

        # The first batch of each partition goes out (the idempotent producer sends the next
        # ones of a partition once it is answered) and the broker writes it.
        wait_until(lambda: written() > 0, seconds=DEADLINE, still_running=both_alive,
                   interval=0.5, failure=lambda: "the broker wrote nothing of the batch")
        # Written, yet unacknowledged: the relay cannot tell this from a lost send.
        assert _unpublished(batch) == len(batch)
        # The producer gives up on the request and connects again: its retry is coming.
        wait_until(lambda: kafka_proxy.stats().accepted > accepted, seconds=DEADLINE,
                   still_running=both_alive, interval=0.2,
                   failure=lambda: "the relay's request did not time out")
        assert "Request timed out" in relay_log.read_text()  # kafka-python's own words
        kafka_proxy.restore()
        _wait_published(batch, both_alive)

        delivered = [m for m in _on_kafka(VISITS.name) if m.envelope["id"] in batch]
        copies = Counter(m.envelope["id"] for m in delivered)
        assert set(copies) == batch
        # The retry carried the idempotent producer's sequence numbers: the broker recognised
        # what it had written and kept one copy.
        assert set(copies.values()) == {1}, copies
        _resend(list({m.envelope["id"]: m for m in delivered}.values()))
        wait_until(lambda: _unacknowledged(VISITS.name) == 0, seconds=DEADLINE,
                   still_running=both_alive, interval=0.5,
                   failure=lambda: "the worker did not take the duplicates")
        compared, differences = reconcile(tenants=(tenant,), database=database,
                                          wait_seconds=DEADLINE)
        assert differences == [], (differences[:5], worker_log.read_text()[-3000:])
    finally:
        stop_process(relay)
        _stop_worker(worker)

    on_kafka = Counter(m.envelope["id"] for m in _on_kafka(VISITS.name))
    assert all(on_kafka[event_id] == 2 for event_id in batch)  # the duplicates are there
    stored, final, distinct = _facts(database)
    assert (final, distinct) == (70, 70), stored
    assert _visits_in_postgres((tenant,)) == 70
