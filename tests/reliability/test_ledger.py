"""The ledger test: N visits and referral steps across three tenants through the API while a
fault schedule runs, and afterwards every accepted request is accounted for at every layer.

Schedule, keyed to the load's progress (the load waits at each mark until its fault is fired):
10% SIGKILL of the outbox relay; 20%, 50%, 80% SIGKILL of the Faust worker; 30% a clean restart
of the Kafka broker (SIGTERM, as `msc stack down` stops it); 40% SIGSTOP of a Faust worker for
longer than the consumer session timeout while a second worker stands by, then SIGCONT; 60% a
restart of ClickHouse; 70% a hard restart of Kafka (SIGKILL of its recorded pid). A killed relay
or worker is replaced at once, as a supervisor would.

Afterwards: every request answered 2xx is in PostgreSQL (and nothing else is); the outbox is
drained; every event id is on Kafka; `msc reconcile` finds ClickHouse equal to PostgreSQL for
every tenant and day (visits and referrals); each visit and referral is one fact in ClickHouse,
in the state the API last answered, and counted once in the published figures. The run prints
N, how long it took, and each component's recovery: seconds until it worked again and until it
had caught up with the backlog it found. With `MSC_LEDGER_REPORT` set, it also writes these
figures, and what each check found lost or counted twice, as JSON to that file, passed or not
(`msc bench reliability` runs it so).

The session timeout: Faust's default is 60 s; the test's workers run with 10 s
(`BROKER_SESSION_TIMEOUT`, a variable Faust itself reads), so the SIGSTOP outlasts it quickly and
a killed worker's partitions are reassigned after 10 s rather than 60 s.

N counts events: each visit and each referral step makes one (about 4% are referral steps, 2%
visits posted one by one, the rest synced). It comes from `MSC_LEDGER_EVENTS`; the default,
8,000, took 3m04s and 3m16s on this 2-core machine while other test runs shared it. The issue's
full run, 100,000 events, took 19 minutes here:

    MSC_LEDGER_EVENTS=100000 .venv/bin/pytest tests/reliability/test_ledger.py -s

Visits are synced 1,000 a batch once N is at least 20,000; below, batches are N/20 so that the
schedule's 10% marks fall between batches.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from analytics_stream.clickhouse.client import clickhouse_client
from analytics_stream.clickhouse.sql.referrals import REFERRAL_FACTS_TABLE
from analytics_stream.clickhouse.sql.visits import VISIT_FACTS_TABLE
from analytics_stream.reconcile import reconcile
from analytics_stream.statistics import Scope, figures_of, referral_figures_of
from infra.stack.component import Component
from infra.stack.manager import stack_up
from intake.models import Client, Visit
from referrals.models import Referral, ReferralTransition
from services.events.topics import topic_name
from services.outbox.models import OutboxEvent
from services.outbox.relay import RELAY_ALIAS
from services.tenancy.context import tenant_transaction
from tests.conftest import require_component, require_started_by_msc
from tests.faults.processes import msc_process
from tests.kafka_helpers import consume_topic, run_topics, stop_process
from tests.reliability.ledger import (
    TENANTS,
    Fleet,
    Ledger,
    Load,
    Progress,
    Recoveries,
    Report,
    Snapshot,
    build_plan,
    close_watch,
    prepare_tenant,
    restart_component,
    say,
    take_snapshot,
)
from tests.waiting import wait_until

pytestmark = [pytest.mark.integration,
              pytest.mark.django_db(transaction=True, databases=["default", "relay"])]

EVENTS = int(os.environ.get("MSC_LEDGER_EVENTS", "8000"))
BATCH = min(1000, max(50, EVENTS // 20))
SESSION_TIMEOUT = 10.0
# Bounds: how long one wait (a milestone, a recovery, the drain) may take, scaled with N.
DEADLINE = 300.0 + EVENTS / 100


@dataclass
class Components:
    kafka: Component
    clickhouse: Component


@pytest.fixture
def components(clickhouse_database: str) -> Iterator[Components]:
    """Kafka and ClickHouse as `msc stack up` started them (the test restarts both); whatever
    happens, every component is healthy again afterwards."""
    kafka = require_started_by_msc("kafka")
    clickhouse = require_started_by_msc("clickhouse")
    require_component("keycloak")
    try:
        yield Components(kafka, clickhouse)
    finally:
        stack_up()


@pytest.fixture
def report() -> Iterator[Report]:
    """The run's figures, written after the test (passed or failed) when MSC_LEDGER_REPORT is
    set."""
    figures = Report(EVENTS)
    yield figures
    figures.write()


class Schedule:
    """The faults, fired from the test thread at the load's milestones."""

    def __init__(self, fleet: Fleet, parts: Components, progress: Progress,
                 recoveries: Recoveries) -> None:
        self.fleet = fleet
        self.parts = parts
        self.progress = progress
        self.recoveries = recoveries
        self.standby: subprocess.Popen[bytes] | None = None

    def start_standby(self) -> subprocess.Popen[bytes]:
        """A second worker for the SIGSTOP, started ahead (a worker needs seconds to join)."""
        self.standby = self.fleet.start_worker()
        self.fleet.workers.append(self.standby)
        return self.standby

    def watch(self, until: Callable[[Snapshot], bool], *, seconds: float, what: str) -> float:
        """Poll the pipeline (and every open recovery) until `until` holds; seconds it took."""
        def holds() -> bool:
            snapshot = self.recoveries.poll(every=0.5)
            return snapshot is not None and until(snapshot)

        return wait_until(holds, seconds=seconds, failure=lambda: f"{what} within {seconds:.0f}s",
                          still_running=self.fleet.check_alive)

    def tick(self) -> None:
        """Between polls: fail early if a process died, and keep the recoveries up to date."""
        self.fleet.check_alive()
        self.recoveries.poll()

    def at(self, percent: int, fault: Callable[[float, int], None]) -> None:
        """Wait for the milestone, then fire the fault (which releases the load)."""
        milestone = EVENTS * percent // 100
        wait_until(lambda: self.progress.reached(milestone), seconds=DEADLINE,
                   failure=lambda: f"the load did not reach {percent}%", still_running=self.tick)
        if self.progress.error is not None:
            raise AssertionError("the load failed") from self.progress.error
        percent_now, fired = self.progress.percent, time.monotonic()
        fault(percent_now, milestone)
        self.recoveries.faults.append((fault.__name__, percent_now, fired - self.recoveries.began))
        say(f"  {percent}% mark: {fault.__name__} at {percent_now:.0f}% of the load, "
            f"t+{fired - self.recoveries.began:.0f}s, took {time.monotonic() - fired:.0f}s")

    # -- the faults ------------------------------------------------------------------------
    # `back`: the relay published again / the worker is in a stable group / ClickHouse took an
    # insert again (the group committed more); `caught up`: the backlog present at that moment
    # is published / acknowledged.

    def kill_relay(self, percent: float, milestone: int) -> None:
        before = take_snapshot()
        started = time.monotonic()
        self.fleet.kill_relay()
        self.progress.release(milestone)
        self.recoveries.add("relay SIGKILL", "relay", percent, started,
                            back=lambda s: s.relay_progressed(before),
                            caught_up=lambda s, back: s.relay_caught_up(back))

    def kill_worker(self, percent: float, milestone: int) -> None:
        started = time.monotonic()
        self.fleet.kill_worker()
        self.progress.release(milestone)
        worker = self.fleet.workers[0]

        def back(s: Snapshot) -> bool:  # the replacement, or whichever replaced it in turn
            return self.fleet.in_group(s, *(w for w in [worker] if w in self.fleet.workers))

        self.recoveries.add("stream worker SIGKILL", "stream worker", percent, started,
                            back=back,
                            caught_up=lambda s, back: s.stream_caught_up(back))

    def restart_kafka(self, hard: bool) -> Callable[[float, int], None]:
        def fault(percent: float, milestone: int) -> None:
            name = f"kafka {'SIGKILL + start' if hard else 'clean restart'}"
            started = time.monotonic()
            self.progress.release(milestone)
            stopped, took = restart_component(self.parts.kafka, hard=hard)
            after = take_snapshot()
            self.recoveries.notes.append(f"{name}: the broker was down after {stopped:.1f}s "
                                         f"and healthy again after {took:.1f}s")
            self.recoveries.add(name, "kafka broker", percent, started, back_after=took,
                                back_at=after)
            self.recoveries.add(name, "relay", percent, started,
                                back=lambda s: s.relay_progressed(after),
                                caught_up=lambda s, back: s.relay_caught_up(back))
            workers = list(self.fleet.workers)

            def back(s: Snapshot) -> bool:  # the workers of the moment, unless replaced since
                return self.fleet.in_group(s, *(w for w in workers if w in self.fleet.workers))

            self.recoveries.add(name, "stream worker", percent, started, back=back,
                                caught_up=lambda s, since: s.stream_caught_up(since))
        fault.__name__ = f"restart_kafka_{'hard' if hard else 'clean'}"
        return fault

    def restart_clickhouse(self, percent: float, milestone: int) -> None:
        before = take_snapshot()
        started = time.monotonic()
        self.progress.release(milestone)
        _, took = restart_component(self.parts.clickhouse, hard=False)
        self.recoveries.add("clickhouse restart", "clickhouse", percent, started,
                            back_after=took, back_at=take_snapshot())
        self.recoveries.add("clickhouse restart", "stream worker", percent, started,
                            back=lambda s: s.stream_progressed(before),
                            caught_up=lambda s, back: s.stream_caught_up(back))

    def stop_worker(self, percent: float, milestone: int) -> None:
        """A second worker (started ahead) is in the group; the first is stopped past the session
        timeout (the group gives its partitions to the second), then resumed (it rejoins); the
        second leaves.

        Members are told apart by the member id each worker logs on joining: a count is not
        enough, as a killed worker's member lingers until its session times out (and a broker
        restart starts that timeout again)."""
        name, fleet = "stream worker SIGSTOP", self.fleet
        stopped, standby = fleet.workers[0], self.standby or self.start_standby()

        def group_is(*workers: subprocess.Popen[bytes]) -> Callable[[Snapshot], bool]:
            def check(s: Snapshot) -> bool:
                ids = [fleet.member_id(worker) for worker in workers]
                expected = frozenset(i for i in ids if i is not None)
                return (s.group_state == "Stable" and len(expected) == len(workers)
                        and s.members == expected)
            return check

        joined = self.watch(group_is(stopped, standby), seconds=120,
                            what="both workers, and only they, in the group")
        self.recoveries.notes.append(f"SIGSTOP: both workers were in the group {joined:.1f}s "
                                     "after the 40% mark")
        started = time.monotonic()
        fleet.pause(stopped)
        self.progress.release(milestone)
        self.recoveries.add(name, "group → standby worker", percent, started,
                            back=group_is(standby),
                            caught_up=lambda s, back: s.stream_caught_up(back))
        self.watch(group_is(standby), seconds=SESSION_TIMEOUT * 3 + 60,
                   what="the group dropped the stopped worker")
        until = started + SESSION_TIMEOUT + 5.0  # well past the session timeout
        self.watch(lambda s: time.monotonic() >= until, seconds=SESSION_TIMEOUT + 60,
                   what="the worker stayed stopped")
        resumed = time.monotonic()
        fleet.resume(stopped)
        self.recoveries.add("stream worker SIGCONT", "resumed worker rejoins", percent, resumed,
                            back=group_is(stopped, standby),
                            caught_up=lambda s, back: s.stream_caught_up(back))
        self.watch(group_is(stopped, standby), seconds=120,
                   what="the resumed worker rejoined the group")
        fleet.workers.remove(standby)
        stop_process(standby, grace_seconds=30)
        self.standby = None
        left = self.watch(group_is(stopped), seconds=120, what="the group let the standby go")
        self.recoveries.notes.append(
            f"SIGSTOP: the worker was stopped {resumed - started:.1f}s (session timeout "
            f"{SESSION_TIMEOUT:g}s); the standby left the group {left:.1f}s after SIGTERM")


def _check_postgres(ledger: Ledger, report: Report) -> None:
    """Every accepted request's record is in PostgreSQL, as the answer said, and nothing else.
    The accepted records (and referral steps) missing are counted for the report first."""
    found = []
    for tenant in TENANTS:
        with tenant_transaction(tenant):
            clients = {str(i) for i in Client.objects.values_list("id", flat=True)}
            visits = {str(i) for i in Visit.objects.values_list("id", flat=True)}
            referrals = {str(r.id): (r.state, r.version) for r in Referral.objects.all()}
            steps = Counter(str(i) for i in ReferralTransition.objects.values_list(
                "referral_id", flat=True))
        mine = {key: entry for key, entry in ledger.referrals.items() if entry.tenant == tenant}
        found.append((tenant, clients, visits, referrals, steps, mine))
    report.lost["postgres"] = sum(
        len(ledger.of(tenant, ledger.clients) - clients)
        + len(ledger.of(tenant, ledger.visits) - visits) + len(set(mine) - set(referrals))
        + sum((Counter({key: e.steps for key, e in mine.items()}) - steps).values())
        for tenant, clients, visits, referrals, steps, mine in found)
    for tenant, clients, visits, referrals, steps, mine in found:
        assert clients == ledger.of(tenant, ledger.clients), tenant
        assert visits == ledger.of(tenant, ledger.visits), tenant
        assert referrals == {key: (e.state, e.version) for key, e in mine.items()}, tenant
        assert steps == Counter({key: e.steps for key, e in mine.items()}), tenant


def _check_kafka(outbox: dict[str, str], report: Report) -> Counter[str]:
    """Every outbox event is on its topic, and nothing foreign is; copies of each id."""
    copies: Counter[str] = Counter()
    for base in sorted(set(outbox.values())):
        copies.update(m.envelope["id"]
                      for m in consume_topic(topic_name(base), timeout=DEADLINE))
    missing = set(outbox) - set(copies)
    report.lost["kafka"] = len(missing)
    assert not missing, f"{len(missing)} of {len(outbox)} events never reached Kafka"
    assert set(copies) == set(outbox), "events on the run's topics that the outbox never had"
    return copies


def _check_clickhouse(database: str, ledger: Ledger, report: Report) -> tuple[int, int]:
    """Each visit and referral once in the facts, in the state the API last answered; the rows
    stored before deduplication (what the faults redelivered), for the report."""
    client = clickhouse_client(database)
    visits = Counter(v for (v,) in client.execute(
        f"SELECT visit_id FROM {VISIT_FACTS_TABLE} FINAL"))  # noqa: S608
    referrals = client.execute(
        f"SELECT referral_id, state, version FROM {REFERRAL_FACTS_TABLE} FINAL")  # noqa: S608
    referral_ids = Counter(r for r, _, _ in referrals)
    # The figures the statistics API, dashboard and report publish.
    scope = Scope(tenants=TENANTS, start=date(2000, 1, 1), end=date(2100, 1, 1))
    visits_total = figures_of(scope, database=database).visits_total
    total = referral_figures_of(scope, database=database).total
    states = Counter(entry.state for entry in ledger.referrals.values())
    published = (total.sent, total.waiting, total.declined, total.completed)
    accepted = (len(ledger.referrals), states["sent"], states["declined"], states["completed"])
    report.lost["clickhouse"] = (len(set(ledger.visits) - set(visits))
                                 + len(set(ledger.referrals) - set(referral_ids)))
    report.double_counted["clickhouse facts"] = (sum(n - 1 for n in visits.values())
                                                 + sum(n - 1 for n in referral_ids.values()))
    report.double_counted["published figures"] = sum(
        max(0, shown - true) for shown, true in
        zip((visits_total, *published), (len(ledger.visits), *accepted), strict=True))
    assert visits == Counter(dict.fromkeys(ledger.visits, 1))
    assert len(referrals) == len(referral_ids)
    assert {r: (s, v) for r, s, v in referrals} == {
        key: (e.state, e.version) for key, e in ledger.referrals.items()}
    assert visits_total == len(ledger.visits)
    assert published == accepted
    [(visit_rows,)] = client.execute(f"SELECT count() FROM {VISIT_FACTS_TABLE}")  # noqa: S608
    [(referral_rows,)] = client.execute(
        f"SELECT count() FROM {REFERRAL_FACTS_TABLE}")  # noqa: S608
    return int(visit_rows), int(referral_rows)


def test_every_accepted_request_is_in_every_layer_once_after_a_fault_schedule(
    components: Components, clickhouse_database: str, tmp_path: Path, report: Report,
) -> None:
    say(f"\nledger: N={EVENTS} events (MSC_LEDGER_EVENTS), sync batches of {BATCH}, "
        f"tenants {', '.join(TENANTS)}")
    test_started = time.monotonic()
    ledger = Ledger()
    plan = build_plan(EVENTS, BATCH)
    marks = {10: "relay", 20: "kill", 30: "kafka", 40: "stop", 50: "kill", 60: "clickhouse",
             70: "kafka-hard", 80: "kill"}
    progress = Progress(EVENTS, [EVENTS * percent // 100 for percent in marks])
    recoveries = Recoveries(time.monotonic())
    report.ledger, report.recoveries = ledger, recoveries
    load_thread: threading.Thread | None = None
    with run_topics():
        fleet = Fleet(tmp_path, SESSION_TIMEOUT)
        try:
            setups = {tenant: prepare_tenant(tenant, ledger) for tenant in TENANTS}
            load = Load(plan, setups, ledger, progress)
            schedule = Schedule(fleet, components, progress, recoveries)
            faults: dict[str, Callable[[float, int], None]] = {
                "relay": schedule.kill_relay, "kill": schedule.kill_worker,
                "kafka": schedule.restart_kafka(hard=False), "stop": schedule.stop_worker,
                "clickhouse": schedule.restart_clickhouse,
                "kafka-hard": schedule.restart_kafka(hard=True)}
            recoveries.began = time.monotonic()
            load_thread = threading.Thread(target=load.run, name="ledger-load", daemon=True)
            load_thread.start()
            for percent, kind in marks.items():
                schedule.at(percent, faults[kind])
                if kind == "kafka":
                    schedule.start_standby()  # it joins while the load goes on to 40%
            wait_until(lambda: progress.finished,
                       seconds=DEADLINE * 3 - (time.monotonic() - recoveries.began),
                       failure=lambda: "the load stalled", interval=0.2,
                       still_running=schedule.tick)
            load_thread.join(60)
            if load.error is not None:
                raise load.error
            load_done = time.monotonic()
            recoveries.notes.append(
                f"load: {ledger.requests} requests, {len(ledger.visits)} visits and "
                f"{len(ledger.referrals)} referrals accepted in {load.seconds:.1f}s "
                f"(waits at the marks included): {load.describe()}")
            assert ledger.refused == [], ledger.refused[:5]
            _check_postgres(ledger, report)

            drained = schedule.watch(lambda s: s.oldest_unpublished is None, seconds=DEADLINE,
                                     what="the outbox drained")
            recoveries.notes.append(f"outbox drained {drained:.1f}s after the last request")
            schedule.watch(lambda s: not recoveries.pending(), seconds=DEADLINE,
                           what="every component recovered and caught up")
            compared, differences = reconcile(tenants=TENANTS, database=clickhouse_database,
                                              wait_seconds=DEADLINE)
            recoveries.notes.append(
                f"ClickHouse equal to PostgreSQL {time.monotonic() - load_done:.1f}s after the "
                f"last request ({compared} tenant-days)")
            assert differences == [], differences[:5]
            fleet.check_alive()
        finally:
            progress.abort()
            try:
                if load_thread is not None:
                    load_thread.join(60)
                fleet.stop_all()  # resumes a stopped worker first
            finally:
                close_watch()
                say(recoveries.table())
                stack_up()  # whatever failed: the broker must be up to delete the topics

        command = msc_process(tmp_path / "reconcile.log",
                              ["reconcile", *(f"--tenant={t}" for t in TENANTS)], {})
        assert command.wait(120) == 0, (tmp_path / "reconcile.log").read_text()
        assert "no differences" in (tmp_path / "reconcile.log").read_text()

        outbox = {str(i): topic for i, topic in
                  OutboxEvent.objects.using(RELAY_ALIAS).values_list("id", "topic")}
        copies = _check_kafka(outbox, report)
    stored_visits, stored_referrals = _check_clickhouse(clickhouse_database, ledger, report)
    recoveries.notes.append(
        f"events: {len(outbox)} in the outbox, {sum(copies.values())} messages on Kafka "
        f"({sum(n - 1 for n in copies.values())} copies sent again); ClickHouse holds "
        f"{stored_visits} visit rows for {len(ledger.visits)} visits and {stored_referrals} "
        f"referral rows for {len(ledger.referrals)} referrals before FINAL (unmerged versions "
        "and redeliveries), each counted once through FINAL")
    say(recoveries.notes[-1])
    say(f"ledger test: {time.monotonic() - test_started:.0f}s for N={EVENTS}")
    report.passed = True
