"""`msc`: the platform's one command-line entry point.

    msc stack up|down|status [--json]|logs NAME   the native PostgreSQL, Kafka, ClickHouse, Keycloak
    msc migrate                                   Django + ClickHouse migrations, Kafka topics
    msc serve [--workers N] [--daemon]            the API under gunicorn
    msc stream                                    the faust stream worker
    msc relay [--once]                            publish the event outbox to Kafka
    msc scheduler [--once]                        expire unanswered referrals, send webhooks
    msc reconcile [--from D] [--to D] [--tenant CC] [--wait S]   PostgreSQL vs ClickHouse figures
    msc replay [--rebuild]                        ClickHouse rebuilt from PostgreSQL
    msc report --from D --to D [--tenant CC] [--format text|json|csv|xlsx|pdf] [--output F]
    msc bench intake|... [--json]                 benchmarks (see benchmarks/)
    msc demo-data [--reference PATH] [--seed N] [--visits N --from D --to D]
                                                  load demo data through the API
    msc up                                        all of the above (API, relay, stream and
                                                  scheduler in
                                                  the background), then where to log in
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from infra.stack.process import StackError

if TYPE_CHECKING:
    from services.demo.loader import Transport


def _django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "services.settings.dev")
    import django

    django.setup()


def _cmd_stack(args: argparse.Namespace) -> int:
    from infra.stack import manager

    if args.action == "up":
        manager.stack_up()
    elif args.action == "down":
        manager.stack_down()
    elif args.action == "status":
        return 0 if manager.stack_status(as_json=args.json) else 3
    elif args.action == "logs":
        if not args.name:
            raise StackError("msc stack logs needs a component name")
        manager.stack_logs(args.name, lines=args.lines)
    return 0


def _cmd_migrate(args: argparse.Namespace) -> int:
    from services.migrate import migrate_all

    _django_setup()
    migrate_all(verbose=not args.quiet)
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    from services.serve import serve

    return serve(workers=args.workers, daemon=args.daemon)


def _cmd_stream(args: argparse.Namespace) -> int:
    argv = [sys.executable, "-m", "faust", "-A", "analytics_stream.worker", "worker",
            "--without-web", "-l", args.log_level]
    os.execv(argv[0], argv)  # noqa: S606 - replaces this process with the faust worker


def _cmd_relay(args: argparse.Namespace) -> int:
    _django_setup()
    from services.outbox.relay import RelaySettings, run_relay

    return run_relay(once=args.once, relay_settings=RelaySettings(batch_size=args.batch_size))


def _cmd_scheduler(args: argparse.Namespace) -> int:
    _django_setup()
    from referrals import scheduler

    if args.once:
        expired, attempted = scheduler.tick()
        print(f"expired {expired} referrals, {attempted} webhook attempts")  # noqa: T201
        return 0
    scheduler.run()
    return 0


# The figures the programme published for June-August 2008 (a copy of the shared reference).
DEMO_REFERENCE = Path(__file__).resolve().parent / "demo/reference/msc-statistics-2008q3.json"


def _load_demo_referrals(transport: Transport) -> None:
    """Each tenant's demo directory of institutions and a few referrals (once)."""
    from datetime import UTC, datetime

    from services.demo.directory import load_demo_referrals
    from services.tenancy.models import TENANT_CODES

    print("demo data: directories of institutions and referrals")  # noqa: T201
    for tenant in sorted(TENANT_CODES):
        load_demo_referrals(transport, tenant, datetime.now(UTC).date(), out=lambda _: None)


def _cmd_up(args: argparse.Namespace) -> int:
    import json

    from infra.stack import manager
    from services.daemons import WORKERS, start_worker
    from services.migrate import migrate_all
    from services.serve import print_welcome, serve

    manager.stack_up()
    _django_setup()
    migrate_all(verbose=True)
    code = serve(workers=args.workers, daemon=True)
    if code != 0:
        return code
    for name in WORKERS:
        start_worker(name)
    if not args.no_demo_data:
        from services.demo.calibrated import calibrated_plan
        from services.demo.loader import HttpTransport, LoadError, load_plan

        print("demo data: the June-August 2008 quarter, through the API")  # noqa: T201
        try:
            transport = HttpTransport.local()
            load_plan(calibrated_plan(json.loads(DEMO_REFERENCE.read_text()), seed=1),
                      transport, out=lambda _: None)
            _load_demo_referrals(transport)
        except (LoadError, ValueError, OSError) as exc:
            raise StackError(f"demo data: {exc}") from exc
    print_welcome(demo=not args.no_demo_data)
    return 0


def _cmd_reconcile(args: argparse.Namespace) -> int:
    from datetime import date

    _django_setup()
    from analytics_stream.reconcile import reconcile
    from services.tenancy.models import TENANT_CODES

    tenants = [t.upper() for t in args.tenant] or sorted(TENANT_CODES)
    unknown = sorted(set(tenants) - TENANT_CODES)
    if unknown:
        raise StackError(f"unknown tenant {', '.join(unknown)}; choose from "
                         f"{', '.join(sorted(TENANT_CODES))}")
    start = date.fromisoformat(args.start) if args.start else date(2000, 1, 1)
    end = date.fromisoformat(args.end) if args.end else date(2100, 1, 1)
    if end < start:
        raise StackError("--to is before --from")
    compared, differences = reconcile(tenants=tenants, start=start, end=end,
                                      wait_seconds=args.wait)
    for difference in differences:
        print(difference)  # noqa: T201 - the command's output
    print(f"reconcile: {compared} tenant-days compared, "  # noqa: T201
          f"{len(differences) or 'no'} differences")
    return 1 if differences else 0


def _cmd_replay(args: argparse.Namespace) -> int:
    _django_setup()
    from analytics_stream.replay import replay

    result = replay(rebuild=args.rebuild)
    print(f"replay: {result.visits} visits, {result.sessions} group sessions and "  # noqa: T201
          f"{result.referrals} referrals written "
          f"in {result.seconds:.1f}s{' (tables rebuilt and swapped)' if args.rebuild else ''}")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from datetime import date

    _django_setup()
    from analytics_stream.report import render
    from analytics_stream.statistics import Scope, summary_of
    from services.tenancy.models import TENANT_CODES

    try:
        start, end = date.fromisoformat(args.start), date.fromisoformat(args.end)
    except ValueError as exc:
        raise StackError(f"--from and --to are dates, YYYY-MM-DD: {exc}") from exc
    if end < start:
        raise StackError("--to is before --from")
    tenant = args.tenant.upper() if args.tenant else None
    if tenant is not None and tenant not in TENANT_CODES:
        raise StackError(f"unknown tenant {tenant}; choose from {', '.join(sorted(TENANT_CODES))}")
    # The regional report is published: small cells are withheld. A tenant's own report is not.
    scope = Scope(tenants=(tenant,) if tenant else tuple(sorted(TENANT_CODES)), start=start,
                  end=end, controlled=tenant is None)
    output = render(summary_of(scope), args.format)
    if args.output:
        with open(args.output, "wb") as file:
            file.write(output)
        print(f"report: written to {args.output}")  # noqa: T201
    else:
        sys.stdout.buffer.write(output)
    return 0


BENCHMARKS = {"intake": "benchmarks.intake_load", "stream": "benchmarks.stream_throughput",
              "freshness": "benchmarks.freshness", "routing": "benchmarks.routing",
              "web": "benchmarks.web_pages", "soak": "benchmarks.soak", "stats": "benchmarks.stats",
              "reliability": "benchmarks.reliability"}


def _cmd_bench(args: argparse.Namespace) -> int:
    import importlib

    module = importlib.import_module(BENCHMARKS[args.name])
    code: int = module.main(args.rest)
    return code


def _cmd_demo_data(args: argparse.Namespace) -> int:
    import json
    from datetime import date
    from pathlib import Path

    from infra.stack import manager
    from services.daemons import start_worker
    from services.migrate import migrate_all
    from services.serve import serve

    scaled = args.visits is not None
    reference = Path(args.reference) if args.reference else DEMO_REFERENCE
    if scaled and not (args.start and args.end):
        raise StackError("--visits needs --from and --to")
    if not scaled and (args.start or args.end):
        raise StackError("--from and --to go with --visits")
    if not scaled and not reference.is_file():
        raise StackError(f"no reference figures at {reference}; give --reference PATH")
    try:
        start, end = (date.fromisoformat(args.start), date.fromisoformat(args.end)) if scaled \
            else (None, None)
    except ValueError as exc:
        raise StackError(f"--from and --to are dates, YYYY-MM-DD: {exc}") from exc
    manager.stack_up()
    _django_setup()
    migrate_all(verbose=False)
    if serve(daemon=True) != 0:
        raise StackError("the API did not start; see `msc stack logs api`")
    for name in ("relay", "stream"):
        start_worker(name)

    from services.demo.calibrated import calibrated_plan, scaled_plan
    from services.demo.loader import HttpTransport, LoadError, load_plan, load_scaled

    try:
        if start is not None and end is not None:
            load_scaled(scaled_plan(seed=args.seed, visits=args.visits, start=start, end=end),
                        HttpTransport.local())
        else:
            transport = HttpTransport.local()
            load_plan(calibrated_plan(json.loads(reference.read_text()), seed=args.seed),
                      transport)
            _load_demo_referrals(transport)
    except (LoadError, ValueError) as exc:
        raise StackError(f"demo-data: {exc}") from exc
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="msc", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    stack = sub.add_parser("stack", help="install, start, stop and inspect the local stack")
    stack.add_argument("action", choices=["up", "down", "status", "logs"])
    stack.add_argument("name", nargs="?", help="component, for `logs`")
    stack.add_argument("--json", action="store_true", help="status: JSON summary on the last line")
    stack.add_argument("--lines", type=int, default=200, help="logs: how many lines")
    stack.set_defaults(handler=_cmd_stack)

    migrate = sub.add_parser("migrate", help="Django and ClickHouse migrations, Kafka topics")
    migrate.add_argument("--quiet", action="store_true")
    migrate.set_defaults(handler=_cmd_migrate)

    serve = sub.add_parser("serve", help="run the API under gunicorn")
    serve.add_argument("--workers", type=int, default=None)
    serve.add_argument("--daemon", action="store_true", help="run in the background")
    serve.set_defaults(handler=_cmd_serve)

    stream = sub.add_parser("stream", help="run the faust stream worker (Kafka -> ClickHouse)")
    stream.add_argument("--log-level", default="info")
    stream.set_defaults(handler=_cmd_stream)

    relay = sub.add_parser("relay", help="publish the event outbox to Kafka")
    relay.add_argument("--once", action="store_true", help="publish what is there, then exit")
    relay.add_argument("--batch-size", type=int, default=500, help="events per bucket and send")
    relay.set_defaults(handler=_cmd_relay)

    scheduler = sub.add_parser("scheduler",
                               help="expire unanswered referrals and deliver webhooks")
    scheduler.add_argument("--once", action="store_true", help="one round, then exit")
    scheduler.set_defaults(handler=_cmd_scheduler)

    reconcile = sub.add_parser("reconcile", help="compare ClickHouse with PostgreSQL, per day")
    reconcile.add_argument("--from", dest="start", help="first day, YYYY-MM-DD")
    reconcile.add_argument("--to", dest="end", help="last day, YYYY-MM-DD")
    reconcile.add_argument("--tenant", action="append", default=[], help="repeatable; default all")
    reconcile.add_argument("--wait", type=float, default=0.0,
                           help="seconds to keep comparing while the pipeline catches up")
    reconcile.set_defaults(handler=_cmd_reconcile)

    replay = sub.add_parser("replay", help="rebuild ClickHouse's facts from PostgreSQL")
    replay.add_argument("--rebuild", action="store_true",
                        help="into fresh tables swapped in at the end (drops stray rows)")
    replay.set_defaults(handler=_cmd_replay)

    report = sub.add_parser("report", help="the quarterly statistical report")
    report.add_argument("--from", dest="start", required=True, help="first day, YYYY-MM-DD")
    report.add_argument("--to", dest="end", required=True, help="last day, YYYY-MM-DD")
    report.add_argument("--tenant", help="one tenant's own report (default: the region's)")
    report.add_argument("--format", default="text",
                        choices=["text", "json", "csv", "xlsx", "pdf"])
    report.add_argument("--output", help="file to write (default: standard output)")
    report.set_defaults(handler=_cmd_report)

    bench = sub.add_parser("bench", help="run a benchmark; `msc bench NAME --help` for options")
    bench.add_argument("name", choices=sorted(BENCHMARKS))
    bench.add_argument("rest", nargs=argparse.REMAINDER, help="the benchmark's own options")
    bench.set_defaults(handler=_cmd_bench)

    demo = sub.add_parser("demo-data", help="load demo data through the API (idempotent)")
    demo.add_argument("--reference", help="published figures to reproduce (calibrated plan)")
    demo.add_argument("--seed", type=int, default=1, help="the same seed, the same records")
    demo.add_argument("--visits", type=int, help="a scaled plan of N visits instead")
    demo.add_argument("--from", dest="start", help="scaled plan: first day, YYYY-MM-DD")
    demo.add_argument("--to", dest="end", help="scaled plan: last day, YYYY-MM-DD")
    demo.set_defaults(handler=_cmd_demo_data)

    up = sub.add_parser("up", help="stack, migrations; API, relay and stream in the background")
    up.add_argument("--workers", type=int, default=None)
    up.add_argument("--no-demo-data", action="store_true",
                    help="do not load the demo quarter (it is loaded once, then reused)")
    up.set_defaults(handler=_cmd_up)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `msc` console script."""
    args = build_parser().parse_args(argv)
    try:
        code: int = args.handler(args)
    except StackError as exc:
        print(f"msc: {exc}", file=sys.stderr)  # noqa: T201 - CLI error output
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
