"""Every Kafka topic of the platform and its contract, in one place.

In the spirit of sentry-kafka-schemas: a topic is declared once, with its partitions, retention,
who writes it, who reads it and which event types (CloudEvents `type`, reverse-DNS with a `.vN`
version suffix) may appear on it. Producers, consumers, `msc migrate` and the tests all read
these contracts instead of spelling topic names themselves.

The broker runs with `auto.create.topics.enable=false`, so a topic exists only once
`ensure_topics` (run by `msc migrate`) has created it from its contract.
"""

from __future__ import annotations

from dataclasses import dataclass

DAY_MS = 24 * 60 * 60 * 1000


@dataclass(frozen=True)
class TopicContract:
    """What a topic carries and who uses it; `name` is the base name, without the run prefix."""

    name: str
    partitions: int
    retention_ms: int
    producers: tuple[str, ...]
    consumers: tuple[str, ...]
    event_types: tuple[str, ...]
    description: str


OUTBOX_RELAY = "outbox-relay"
STREAM_WORKER = "stream-worker"

CLIENTS = TopicContract(
    name="msc.intake.clients",
    partitions=3,
    retention_ms=7 * DAY_MS,
    producers=(OUTBOX_RELAY,),
    consumers=(STREAM_WORKER,),
    event_types=(
        "org.msc.intake.client.registered.v1",
        "org.msc.intake.client.updated.v1",
        "org.msc.intake.client.erased.v1",
    ),
    description=(
        "A client was registered, changed or erased (right to erasure). Pseudonymised: keyed "
        "client pseudonym, age band, municipality code; never names or documents. "
        "Key: tenant:client id."
    ),
)

VISITS = TopicContract(
    name="msc.intake.visits",
    partitions=3,
    retention_ms=7 * DAY_MS,
    producers=(OUTBOX_RELAY,),
    consumers=(STREAM_WORKER,),
    event_types=("org.msc.intake.visit.recorded.v1", "org.msc.intake.visit.corrected.v1"),
    description=(
        "A counsellor recorded a client's visit to a centre and the services given. "
        "Key: tenant:visit id."
    ),
)

GROUP_SESSIONS = TopicContract(
    name="msc.intake.group-sessions",
    partitions=3,
    retention_ms=7 * DAY_MS,
    producers=(OUTBOX_RELAY,),
    consumers=(STREAM_WORKER,),
    event_types=("org.msc.intake.group-session.held.v1",),
    description=(
        "A centre held a group session (CV preparation, job-search workshop) with its "
        "pseudonymised attendees. Key: tenant:session id."
    ),
)

REFERRALS = TopicContract(
    name="msc.referrals.referrals",
    partitions=3,
    retention_ms=7 * DAY_MS,
    producers=(OUTBOX_RELAY,),
    consumers=(STREAM_WORKER,),
    event_types=(
        "org.msc.referrals.referral.sent.v1",
        "org.msc.referrals.referral.accepted.v1",
        "org.msc.referrals.referral.declined.v1",
        "org.msc.referrals.referral.started.v1",
        "org.msc.referrals.referral.held.v1",
        "org.msc.referrals.referral.completed.v1",
        "org.msc.referrals.referral.not-completed.v1",
        "org.msc.referrals.referral.cancelled.v1",
        "org.msc.referrals.referral.expired.v1",
    ),
    description=(
        "A referral of a client to a skills-development institution and each step of its "
        "life (accepted, declined, started, held, completed or not, cancelled, expired). "
        "Key: tenant:referral id."
    ),
)

DIRECTORY = TopicContract(
    name="msc.referrals.directory",
    partitions=3,
    retention_ms=7 * DAY_MS,
    producers=(OUTBOX_RELAY,),
    consumers=(),
    event_types=("org.msc.referrals.service.capacity-changed.v1",),
    description=(
        "Changes of the institutions' directory that others act on: a service's seats and "
        "waiting list. Key: tenant:service id."
    ),
)

DEADLETTER = TopicContract(
    name="msc.deadletter",
    # One partition: low volume, and one ordered stream is easiest to inspect and replay.
    partitions=1,
    # Kept longer than the sources so an operator has time to look before the evidence expires.
    retention_ms=30 * DAY_MS,
    producers=(STREAM_WORKER,),
    consumers=(),
    event_types=("org.msc.deadletter.message.rejected.v1",),
    description=(
        "Messages a consumer could not decode or process, unchanged, with the source topic, "
        "partition, offset and the reason."
    ),
)

CONTRACTS: tuple[TopicContract, ...] = (CLIENTS, VISITS, GROUP_SESSIONS, REFERRALS, DIRECTORY,
                                         DEADLETTER)
_BY_NAME = {contract.name: contract for contract in CONTRACTS}


def contract_for(base: str) -> TopicContract:
    """The contract of a topic by its base name; `KeyError` names an undeclared topic."""
    try:
        return _BY_NAME[base]
    except KeyError:
        raise KeyError(f"no topic contract named {base!r}; declare it in {__name__}") from None


def topic_name(base: str, prefix: str | None = None) -> str:
    """The topic's name on the broker: the base name behind this deployment's (or run's) prefix.

    Tests set a per-run prefix so that two runs never read each other's events.
    """
    if prefix is None:
        from django.conf import settings

        prefix = settings.KAFKA["TOPIC_PREFIX"]
    return f"{prefix}{base}"


def ensure_topics(bootstrap: str, prefix: str, *, timeout_ms: int = 30_000) -> list[str]:
    """Create every declared topic that is missing under `prefix`; the names created.

    Idempotent: existing topics are left alone (their settings are not changed), and a topic
    that another process creates at the same moment counts as existing.
    """
    from kafka.admin import KafkaAdminClient
    from kafka.errors import TopicAlreadyExistsError, for_code

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="msc-ensure-topics",
                             request_timeout_ms=timeout_ms)
    try:
        existing = set(admin.list_topics())
        missing = {
            topic_name(contract.name, prefix): {
                "num_partitions": contract.partitions,
                # -1: the broker's default.replication.factor, 1 on the single dev node and
                # whatever the operators chose on a real cluster.
                "replication_factor": -1,
                "configs": {"retention.ms": str(contract.retention_ms)},
            }
            for contract in CONTRACTS
            if topic_name(contract.name, prefix) not in existing
        }
        if not missing:
            return []
        # raise_errors=False: one topic created concurrently must not hide the others' results.
        response = admin.create_topics(missing, timeout_ms=timeout_ms, raise_errors=False)
        created: list[str] = []
        for result in response["topics"]:
            error = for_code(result["error_code"])
            if error is TopicAlreadyExistsError:
                continue
            if result["error_code"] != 0:
                raise error(f"creating topic {result['name']}: {result.get('error_message')}")
            created.append(result["name"])
        if created:
            # Producers that start right after `msc migrate` must find a leader for every partition.
            admin.wait_for_topics(created)
        return sorted(created)
    finally:
        admin.close()


def delete_topics(bootstrap: str, prefix: str) -> list[str]:
    """Delete every topic under `prefix` (a test run's or a benchmark's own); the names deleted."""
    if not prefix:
        raise ValueError("refusing to delete topics without a prefix: that is every topic")
    from kafka.admin import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="msc-delete-topics")
    try:
        ours = [name for name in admin.list_topics() if name.startswith(prefix)]
        if ours:
            admin.delete_topics(ours)
        return ours
    finally:
        admin.close()
