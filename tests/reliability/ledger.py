"""The ledger test's moving parts, kept apart so that the test itself reads as its fault schedule.

- `build_plan` and `Load`: visits (bulk sync, some single POSTs) and referral steps (send, then
  the partner's accept/start/complete or decline) through the API, across several tenants; every
  accepted request is written into a `Ledger`, every refused one noted.
- `Progress`: the events done so far; the load waits at each milestone until the schedule has
  fired its fault, so a fault keyed to 20% hits at 20% however fast either side runs.
- `Fleet`: this run's relay and stream workers, which faults kill, stop and replace.
- `Snapshot` and `Recoveries`: what the pipeline looks like from outside (outbox, committed and
  end offsets, consumer-group members), polled to time how long each component took to come back
  and to catch up with the backlog the fault left.
- `Report`: the run's figures as JSON for `msc bench reliability`, in the file `MSC_LEDGER_REPORT`
  names (only when it is set).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from django.db import connections
from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition

from analytics_stream.agents import SOURCES
from infra.stack.component import Component
from infra.stack.process import port_is_open
from intake.models import Centre
from services.conf import kafka_settings
from services.events.topics import topic_name
from services.metrics import STREAM_GROUP_SUFFIX
from services.outbox.models import OutboxEvent
from services.outbox.relay import RELAY_ALIAS
from services.tenancy.context import tenant_transaction
from tests.faults.processes import msc_process
from tests.integration.keycloak_helpers import as_user
from tests.kafka_helpers import stop_process
from tests.referral_world import LANGUAGE_COURSE, make_world
from tests.waiting import wait_until

TENANTS = ("AL", "RS", "MK")
CLIENTS_PER_TENANT = 200
CONSENT = {"given_at": "2026-11-01T08:00:00Z", "scope": "service"}
FIRST_VISIT_DAY = date(2009, 3, 1)
VISIT_DAYS = 45
# Shares of the events: referral steps, and visits posted one by one instead of synced.
REFERRAL_SHARE = 0.04
SINGLE_VISIT_SHARE = 0.02
# Each referral's life: the service it goes to (`near` belongs to partner.<cc>'s institution,
# `far` to partner2.<cc>'s) and the partner's steps after the counsellor sent it.
REFERRAL_PATHS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("near", ()),
    ("near", ("accept",)),
    ("far", ("decline",)),
    ("near", ("accept", "start")),
    ("far", ("accept", "start", "complete")),
)
PARTNERS = {"near": "partner", "far": "partner2"}
STEP_BODY: dict[str, dict[str, str]] = {"decline": {"reason": "no seats this term"},
                                        "complete": {"outcome": "certificate"}}
# Faust reads this variable itself (faust.types.settings: env_name="BROKER_SESSION_TIMEOUT").
SESSION_TIMEOUT_ENV = "BROKER_SESSION_TIMEOUT"
# aiokafka's line on joining: "Joined group 'g' (generation 3) with member_id faust-0.15.3-..."
MEMBER_ID = re.compile(r"Joined group .* with member_id (\S+)")


def say(line: str) -> None:
    """Progress of a long test, visible with `-s` and in the captured output of a failure."""
    print(line, flush=True)  # noqa: T201 - the run reports its progress and recovery times


# -- the load -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Step:
    """One request of the load; `events` is how many events it makes when accepted."""

    kind: str  # sync | visit | refer | act
    tenant: str
    number: int  # the batch's, visit's or referral's number
    events: int = 1
    service: str = ""
    action: str = ""


def _spread(*lists: list[Step]) -> list[Step]:
    """The lists merged so that each is spread evenly over the whole, each in its own order."""
    keyed = [((index + 0.5) / len(steps), order, step) for order, steps in enumerate(lists)
             for index, step in enumerate(steps)]
    return [step for _, _, step in sorted(keyed, key=lambda item: (item[0], item[1]))]


def build_plan(events: int, batch: int) -> list[Step]:
    """Steps making exactly `events` events: about 4% referral steps, 2% single visits, the rest
    visits synced `batch` at a time; tenants in turn."""
    referrals: list[Step] = []
    referral_events = 0
    number = 0
    while referral_events < max(len(REFERRAL_PATHS) * len(TENANTS), events * REFERRAL_SHARE):
        tenant = TENANTS[number % len(TENANTS)]
        service, actions = REFERRAL_PATHS[number % len(REFERRAL_PATHS)]
        referrals.append(Step("refer", tenant, number, service=service))
        referrals.extend(Step("act", tenant, number, service=service, action=action)
                         for action in actions)
        referral_events += 1 + len(actions)
        number += 1
    visits = events - referral_events
    assert visits > 0, f"{events} events are too few for the referral paths"
    singles = [Step("visit", TENANTS[n % len(TENANTS)], n)
               for n in range(int(visits * SINGLE_VISIT_SHARE))]
    synced, batches = visits - len(singles), list[Step]()
    for start in range(0, synced, batch):
        count = min(batch, synced - start)
        batches.append(Step("sync", TENANTS[len(batches) % len(TENANTS)], len(batches), count))
    return _spread(batches, singles, referrals)


@dataclass
class ReferralEntry:
    tenant: str
    state: str
    version: int
    steps: int  # transitions answered 2xx, the send included


@dataclass
class Ledger:
    """What the API accepted (2xx) and what it refused, by id."""

    clients: dict[str, str] = field(default_factory=dict)  # id -> tenant
    visits: dict[str, str] = field(default_factory=dict)  # id -> tenant
    referrals: dict[str, ReferralEntry] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)
    requests: int = 0
    acknowledged: Counter[str] = field(default_factory=Counter)  # requests answered 2xx, by kind

    def of(self, tenant: str, records: dict[str, str]) -> set[str]:
        return {key for key, owner in records.items() if owner == tenant}


@dataclass
class TenantSetup:
    """A tenant's centre, synced clients (by key) and directory (`tests.referral_world`)."""

    centre: str
    clients: list[str]
    services: dict[str, str]


def _client_item(tenant: str, n: int) -> dict[str, Any]:
    return {"kind": "client", "key": f"{tenant}-c{n}", "data": {
        "given_name": f"N{n}", "family_name": "Ledger", "sex": "female" if n % 2 else "male",
        "birth_year": 1960 + n % 40, "citizenship": tenant,
        "category": ("national", "returnee", "immigrant")[n % 3], "municipality_code": "M1",
        "urban": True, "education_level": "isced3", "employment_status": "unemployed",
        "migration_intention": "labour", "consent": CONSENT, "confirm_new": True}}


def prepare_tenant(tenant: str, ledger: Ledger) -> TenantSetup:
    """A centre (ORM, as the other reliability tests make it), clients through `/sync`, and the
    directory with one more client (`make_world`, which registers it through the API)."""
    with tenant_transaction(tenant):
        centre = str(Centre.objects.create(tenant_id=tenant, name="MSC",
                                           municipality_code="1").id)
    items = [_client_item(tenant, n) for n in range(CLIENTS_PER_TENANT)]
    answer = as_user(f"counsellor.{tenant.lower()}").post("/api/v1/sync", {"items": items},
                                                          format="json")
    assert answer.status_code == 200, answer.content
    results = answer.json()["results"]
    assert [r["status"] for r in results] == ["created"] * len(items), answer.content
    clients = [str(r["id"]) for r in results]
    ledger.clients.update(dict.fromkeys(clients, tenant))
    world = make_world(tenant)
    ledger.clients[world.client_id] = tenant
    return TenantSetup(centre=centre, clients=clients, services=world.services)


def _visit_day(n: int) -> str:
    return (FIRST_VISIT_DAY + timedelta(days=n % VISIT_DAYS)).isoformat()


def _services(n: int) -> list[str]:
    return ["information"] if n % 3 else ["counselling", "referral"]


class Load:
    """Runs the plan (in a thread of its own) and keeps the ledger."""

    def __init__(self, plan: Sequence[Step], setups: dict[str, TenantSetup], ledger: Ledger,
                 progress: Progress) -> None:
        self.plan = plan
        self.setups = setups
        self.ledger = ledger
        self.progress = progress
        self.referral_ids: dict[int, str] = {}
        self.error: BaseException | None = None
        self.seconds = 0.0
        self.timings: dict[str, list[float]] = {}  # kind -> seconds of each request

    def run(self) -> None:
        started = time.monotonic()
        try:
            for step in self.plan:
                if self.progress.aborted.is_set():
                    return
                began = time.monotonic()
                self._do(step)
                self.timings.setdefault(step.kind, []).append(time.monotonic() - began)
                self.progress.add(step.events)
        except BaseException as error:  # noqa: BLE001 - handed to the test thread, which raises it
            self.error = self.progress.error = error
        finally:
            self.seconds = time.monotonic() - started
            self.progress.finish()
            connections.close_all()  # this thread's own connections

    def describe(self) -> str:
        """Requests of each kind and their mean time: where the load's time went."""
        return ", ".join(f"{len(times)} {kind} ({1000 * sum(times) / len(times):.0f} ms each)"
                         for kind, times in sorted(self.timings.items()))

    def _refused(self, step: Step, status: int, content: bytes) -> None:
        self.ledger.refused.append(f"{step}: {status} {content[:300]!r}")

    def _do(self, step: Step) -> None:
        self.ledger.requests += 1
        setup = self.setups[step.tenant]
        counsellor = f"counsellor.{step.tenant.lower()}"
        if step.kind == "sync":
            items = [{"kind": "visit", "key": f"b{step.number}-v{n}", "data": {
                "client_key": f"{step.tenant}-c{(step.number * 7 + n) % CLIENTS_PER_TENANT}",
                "centre_id": setup.centre, "channel": "in_person",
                "occurred_at": f"{_visit_day(step.number + n)}T10:00:00Z",
                "services": _services(n)}} for n in range(step.events)]
            answer = as_user(counsellor).post("/api/v1/sync", {"items": items}, format="json")
            if answer.status_code != 200:
                self._refused(step, answer.status_code, answer.content)
                return
            self.ledger.acknowledged[step.kind] += 1
            for result in answer.json()["results"]:
                if result["status"] == "created":
                    self.ledger.visits[str(result["id"])] = step.tenant
                else:
                    self._refused(step, answer.status_code, repr(result).encode())
        elif step.kind == "visit":
            answer = as_user(counsellor).post("/api/v1/visits", {
                "client_id": setup.clients[step.number % CLIENTS_PER_TENANT],
                "centre_id": setup.centre, "channel": "phone",
                "occurred_at": f"{_visit_day(step.number)}T14:30:00Z",
                "services": _services(step.number)}, format="json")
            if answer.status_code != 201:
                self._refused(step, answer.status_code, answer.content)
                return
            self.ledger.acknowledged[step.kind] += 1
            self.ledger.visits[str(answer.json()["id"])] = step.tenant
        elif step.kind == "refer":
            answer = as_user(counsellor).post("/api/v1/referrals", {
                "client_id": setup.clients[(step.number * 11) % CLIENTS_PER_TENANT],
                "service_id": setup.services[step.service], "need_id": LANGUAGE_COURSE},
                format="json")
            if answer.status_code != 201:
                self._refused(step, answer.status_code, answer.content)
                return
            self.ledger.acknowledged[step.kind] += 1
            body = answer.json()
            self.referral_ids[step.number] = str(body["id"])
            self.ledger.referrals[str(body["id"])] = ReferralEntry(
                step.tenant, str(body["state"]), int(body["version"]), 1)
        else:
            referral = self.referral_ids.get(step.number)
            if referral is None:
                self._refused(step, 0, b"its referral was refused")
                return
            partner = f"{PARTNERS[step.service]}.{step.tenant.lower()}"
            answer = as_user(partner).post(f"/api/v1/referrals/{referral}/{step.action}",
                                           STEP_BODY.get(step.action, {}), format="json")
            if answer.status_code != 200:
                self._refused(step, answer.status_code, answer.content)
                return
            self.ledger.acknowledged[step.kind] += 1
            body = answer.json()
            entry = self.ledger.referrals[referral]
            entry.state, entry.version = str(body["state"]), int(body["version"])
            entry.steps += 1


class Progress:
    """Events done by the load. The load waits at each milestone until the schedule released it
    (it has fired that milestone's fault), so faults land where the schedule says."""

    def __init__(self, total: int, milestones: Iterable[int]) -> None:
        self.total = total
        self.done = 0
        self.finished = False
        self.error: BaseException | None = None  # why the load stopped early
        self.aborted = threading.Event()
        self._pending = sorted(set(milestones))
        self._condition = threading.Condition()

    @property
    def percent(self) -> float:
        return 100.0 * self.done / self.total

    def add(self, events: int) -> None:
        """Count events (load thread); hold at an unreleased milestone."""
        with self._condition:
            self.done += events
            self._condition.notify_all()
            while (self._pending and self.done >= self._pending[0]
                   and not self.aborted.is_set()):
                self._condition.wait(timeout=1.0)

    def finish(self) -> None:
        with self._condition:
            self.finished = True
            self._condition.notify_all()

    def reached(self, milestone: int) -> bool:
        with self._condition:
            return self.done >= milestone or self.finished

    def release(self, milestone: int) -> None:
        with self._condition:
            self._pending = [m for m in self._pending if m != milestone]
            self._condition.notify_all()

    def abort(self) -> None:
        self.aborted.set()
        with self._condition:
            self._condition.notify_all()


# -- the platform's processes -------------------------------------------------------------------

class Fleet:
    """This run's outbox relay and stream workers (`msc relay`, `msc stream`), each logging to a
    file of its own; faults kill, stop and replace them."""

    def __init__(self, logs: Path, session_timeout: float) -> None:
        self.logs = logs
        self.session_timeout = session_timeout
        self.started = 0
        self.stopped: set[int] = set()  # pids under SIGSTOP
        self.log_of: dict[int, Path] = {}
        self.relay = self._start("relay", ["relay"], {})
        self.workers = [self.start_worker()]

    def _start(self, name: str, args: list[str],
               env: dict[str, str]) -> subprocess.Popen[bytes]:
        self.started += 1
        log = self.logs / f"{self.started:02d}-{name}.log"
        process = msc_process(log, args, env)
        self.log_of[process.pid] = log
        return process

    def start_worker(self) -> subprocess.Popen[bytes]:
        return self._start("stream", ["stream", "--log-level", "info"],
                           {SESSION_TIMEOUT_ENV: f"{self.session_timeout:g}"})

    def member_id(self, worker: subprocess.Popen[bytes]) -> str | None:
        """The worker's latest member id in the consumer group, as it logged it on joining."""
        joined = MEMBER_ID.findall(self.log_of[worker.pid].read_text(errors="replace"))
        return str(joined[-1]) if joined else None

    def in_group(self, snapshot: Snapshot, *workers: subprocess.Popen[bytes]) -> bool:
        """The group is stable and has each of `workers` (all of them when none are named)."""
        ids = {self.member_id(worker) for worker in workers or self.workers}
        return (snapshot.group_state == "Stable" and snapshot.members is not None
                and all(i is not None and i in snapshot.members for i in ids))

    def kill_relay(self) -> None:
        """SIGKILL, then a new relay (what a supervisor does)."""
        self.relay.send_signal(signal.SIGKILL)
        self.relay.wait(30)
        self.relay = self._start("relay", ["relay"], {})

    def kill_worker(self, index: int = 0) -> None:
        worker = self.workers[index]
        worker.send_signal(signal.SIGKILL)
        worker.wait(30)
        self.workers[index] = self.start_worker()

    def pause(self, worker: subprocess.Popen[bytes]) -> None:
        worker.send_signal(signal.SIGSTOP)
        self.stopped.add(worker.pid)

    def resume(self, worker: subprocess.Popen[bytes]) -> None:
        worker.send_signal(signal.SIGCONT)
        self.stopped.discard(worker.pid)

    def check_alive(self) -> None:
        """Fail (with its log) when a relay or worker exited by itself."""
        for process in (self.relay, *self.workers):
            code = process.poll()
            if code is not None:
                logs = sorted(self.logs.glob("*.log"))
                tails = "\n".join(f"--- {log.name}\n{log.read_text(errors='replace')[-2000:]}"
                                  for log in logs)
                raise AssertionError(f"process {process.args!r} exited with {code}\n{tails}")

    def stop_all(self) -> None:
        """Resume what is stopped, then stop everything; remove the workers' Faust data."""
        for worker in self.workers:
            if worker.pid in self.stopped:
                self.resume(worker)
        for process in (self.relay, *self.workers):
            stop_process(process, grace_seconds=30)
        app = f"{kafka_settings()['TOPIC_PREFIX']}{STREAM_GROUP_SUFFIX}"
        shutil.rmtree(Path(tempfile.gettempdir()) / "msc-faust" / f"{app}-data",
                      ignore_errors=True)


def restart_component(component: Component, *, hard: bool) -> tuple[float, float]:
    """Stop a component as `msc stack down` does (SIGTERM, a clean shutdown) or SIGKILL its
    recorded process; start it again as `msc stack up` does. Seconds until it was stopped, and
    until it was healthy again."""
    started = time.monotonic()
    if hard:
        pid = component.recorded_pid()
        assert pid is not None, f"{component.name} is not running"
        os.kill(pid, signal.SIGKILL)
        wait_until(lambda: component.recorded_pid() is None, seconds=30,
                   failure=lambda: f"{component.name} survived SIGKILL")
    else:
        assert component.stop(), f"{component.name} was not running"
    stopped = time.monotonic() - started
    component.start()
    wait_until(component.healthy, seconds=component.start_deadline_seconds, interval=0.25,
               failure=lambda: f"{component.name} was not healthy again; see "
                               f"{component.log_file}")
    component.after_start()
    return stopped, time.monotonic() - started


# -- watching the pipeline from outside ---------------------------------------------------------

Offsets = dict[tuple[str, int], int]


@dataclass(frozen=True)
class Snapshot:
    """The pipeline at one moment; Kafka's figures are None while the broker does not answer."""

    committed: Offsets | None  # the stream workers' consumer group
    ends: Offsets | None  # log-end offsets of the topics the workers read
    members: frozenset[str] | None  # member ids in the consumer group
    group_state: str | None  # Stable, PreparingRebalance, CompletingRebalance, Empty...
    published: int
    oldest_unpublished: int | None  # outbox sequence; None when everything is published
    newest: int

    def stream_progressed(self, since: Snapshot) -> bool:
        """The group committed more than it had at `since`."""
        if self.committed is None or since.committed is None:
            return False
        return sum(self.committed.values()) > sum(since.committed.values())

    def stream_caught_up(self, since: Snapshot) -> bool:
        """Every event that was in Kafka at `since` is acknowledged."""
        if self.committed is None or since.ends is None:
            return False
        return all(self.committed.get(tp, 0) >= end for tp, end in since.ends.items())

    def relay_progressed(self, since: Snapshot) -> bool:
        return self.published > since.published

    def relay_caught_up(self, since: Snapshot) -> bool:
        """Every outbox row written before `since` is published."""
        return self.oldest_unpublished is None or self.oldest_unpublished > since.newest


def stream_group() -> str:
    return f"{kafka_settings()['TOPIC_PREFIX']}{STREAM_GROUP_SUFFIX}"


class _KafkaWatch:
    """Clients that read the group's offsets and members and the topics' ends; made again after
    any failure (the broker restarts under them)."""

    def __init__(self) -> None:
        self.admin: Any = None
        self.consumer: Any = None

    def _drop(self) -> None:
        for client in (self.admin, self.consumer):
            if client is not None:
                with contextlib.suppress(Exception):  # a broken client: closing is best effort
                    client.close()
        self.admin = self.consumer = None

    def state(self) -> tuple[Offsets, Offsets, frozenset[str], str] | None:
        bootstrap = kafka_settings()["BOOTSTRAP_SERVERS"]
        host, port = bootstrap.split(",")[0].strip().rsplit(":", 1)
        if not port_is_open(host, int(port)):
            self._drop()
            return None
        partitions = [TopicPartition(topic_name(contract.name), p)
                      for contract in SOURCES for p in range(contract.partitions)]
        group = stream_group()
        try:
            if self.admin is None:
                # Faust's assignor writes member metadata kafka-python cannot decode; it would
                # warn on every describe. Only the member ids are read here.
                logging.getLogger("kafka.admin._groups").setLevel(logging.ERROR)
                self.admin = KafkaAdminClient(bootstrap_servers=bootstrap,
                                              request_timeout_ms=3000,
                                              bootstrap_timeout_ms=3000)
            if self.consumer is None:
                self.consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                                              request_timeout_ms=3000)
            committed = self.admin.list_group_offsets({group: None}).get(group, {})
            described = self.admin.describe_groups([group])[group]
            ends = self.consumer.end_offsets(partitions)
        except Exception:  # noqa: BLE001 - a restarting broker fails in many ways: no answer
            self._drop()
            return None
        return ({(tp.topic, tp.partition): max(0, meta.offset)
                 for tp, meta in committed.items()},
                {(tp.topic, tp.partition): int(end) for tp, end in ends.items()},
                frozenset(str(m["member_id"]) for m in described["members"]),
                str(described["group_state"]))

    def close(self) -> None:
        self._drop()


_KAFKA = _KafkaWatch()


def close_watch() -> None:
    """Close the clients `take_snapshot` keeps."""
    _KAFKA.close()


def take_snapshot() -> Snapshot:
    table = OutboxEvent._meta.db_table
    with connections[RELAY_ALIAS].cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FILTER (WHERE published_at IS NOT NULL), "  # noqa: S608 - table
            "min(sequence) FILTER (WHERE published_at IS NULL), coalesce(max(sequence), 0) "
            f"FROM {table}")
        row = cursor.fetchone()
    assert row is not None
    kafka = _KAFKA.state()
    return Snapshot(committed=kafka[0] if kafka else None, ends=kafka[1] if kafka else None,
                    members=kafka[2] if kafka else None,
                    group_state=kafka[3] if kafka else None, published=int(row[0]),
                    oldest_unpublished=None if row[1] is None else int(row[1]),
                    newest=int(row[2]))


Check = Callable[[Snapshot], bool]
# (now, the snapshot in which the component was back): has it caught up since?
Since = Callable[[Snapshot, Snapshot], bool]


@dataclass
class Recovery:
    """How one component fared after one fault: seconds from the fault until it worked again
    (`back`), and until it had worked off the backlog it found on coming back (`caught_up`)."""

    fault: str
    component: str
    percent: float
    started: float  # time.monotonic() of the fault
    back: Check | None
    caught_up: Since | None
    back_after: float | None = None
    back_at: Snapshot | None = None
    caught_up_after: float | None = None

    @property
    def open(self) -> bool:
        return self.back_after is None or self.caught_up_after is None

    def poll(self, snapshot: Snapshot, now: float) -> None:
        if self.back_after is None:
            if self.back is None or not self.back(snapshot):
                return
            self.back_after, self.back_at = now - self.started, snapshot
        if self.caught_up_after is None:
            since = self.back_at or snapshot
            if self.caught_up is None or self.caught_up(snapshot, since):
                self.caught_up_after = now - self.started


class Recoveries:
    """Every fault's recoveries, polled together (one snapshot a second at most)."""

    def __init__(self, began: float) -> None:
        self.began = began  # when the load started, the table's zero
        self.faults: list[tuple[str, float, float]] = []  # (fault, % of the load, seconds in)
        self.items: list[Recovery] = []
        self.notes: list[str] = []
        self._polled = 0.0

    def add(self, fault: str, component: str, percent: float, started: float, *,
            back: Check | None = None, caught_up: Since | None = None,
            back_after: float | None = None, back_at: Snapshot | None = None) -> None:
        """A recovery to time; `back_after` (and the snapshot then) when the fault itself waited
        for the component, as a restart does."""
        self.items.append(Recovery(fault, component, percent, started, back, caught_up,
                                   back_after, back_at,
                                   back_after if back_after is not None and caught_up is None
                                   else None))

    def pending(self) -> list[Recovery]:
        return [item for item in self.items if item.open]

    def poll(self, *, every: float = 1.0) -> Snapshot | None:
        now = time.monotonic()
        if now - self._polled < every:
            return None
        self._polled = now
        snapshot = take_snapshot()
        for item in self.pending():
            item.poll(snapshot, time.monotonic())
        return snapshot

    def table(self) -> str:
        def seconds(value: float | None) -> str:
            return "-" if value is None else f"{value:.1f}"

        lines = [f"{'fault':<34} {'at':>5} {'t+s':>6}  {'component':<26} {'back s':>7} "
                 f"{'caught up s':>11}"]
        lines.extend(
            f"{item.fault:<34} {item.percent:>4.0f}% {item.started - self.began:>6.1f}  "
            f"{item.component:<26} {seconds(item.back_after):>7} "
            f"{seconds(item.caught_up_after):>11}" for item in self.items)
        return "\n".join([*lines, *self.notes])


# -- the report ---------------------------------------------------------------------------------

REPORT_ENV = "MSC_LEDGER_REPORT"


@dataclass
class Report:
    """What `msc bench reliability` prints: the faults, the requests acknowledged, and what each
    check found lost or counted twice (None for a check the run did not reach)."""

    events: int
    ledger: Ledger | None = None
    recoveries: Recoveries | None = None
    lost: dict[str, int | None] = field(
        default_factory=lambda: dict.fromkeys(("postgres", "kafka", "clickhouse")))
    double_counted: dict[str, int | None] = field(
        default_factory=lambda: dict.fromkeys(("clickhouse facts", "published figures")))
    passed: bool = False

    def figures(self) -> dict[str, Any]:
        ledger, recoveries = self.ledger or Ledger(), self.recoveries or Recoveries(0.0)

        def total(counts: dict[str, int | None]) -> int | None:
            return None if None in counts.values() else sum(n or 0 for n in counts.values())

        return {
            "events": self.events, "passed": self.passed,
            "faults": [{"fault": name, "percent": round(percent, 1), "at_s": round(at, 1)}
                       for name, percent, at in recoveries.faults],
            "faults_injected": len(recoveries.faults),
            "acknowledged_by_kind": dict(ledger.acknowledged),
            "acknowledged": sum(ledger.acknowledged.values()),
            "refused": len(ledger.refused),
            "records": {"clients": len(ledger.clients), "visits": len(ledger.visits),
                        "referrals": len(ledger.referrals)},
            "lost_by_layer": self.lost, "lost": total(self.lost),
            "double_counted_by_check": self.double_counted,
            "double_counted": total(self.double_counted),
            "notes": recoveries.notes,
            "recoveries": [
                {"fault": item.fault, "component": item.component,
                 "percent": round(item.percent, 1),
                 "at_s": round(item.started - recoveries.began, 1),
                 "back_s": None if item.back_after is None else round(item.back_after, 1),
                 "caught_up_s": (None if item.caught_up_after is None
                                 else round(item.caught_up_after, 1))}
                for item in recoveries.items],
        }

    def write(self) -> None:
        """Into the file `MSC_LEDGER_REPORT` names; nothing when it is not set."""
        path = os.environ.get(REPORT_ENV)
        if path:
            Path(path).write_text(json.dumps(self.figures(), indent=1))
