"""`msc bench reliability`: the ledger test (`tests/reliability/test_ledger.py`) at full size.

It runs that test, unchanged, in a pytest subprocess with `MSC_LEDGER_EVENTS=--events` while its
fault schedule kills, stops and restarts the relay, the stream worker, Kafka (clean and hard) and
ClickHouse, and prints what the test wrote to `MSC_LEDGER_REPORT`: the faults injected, the
requests acknowledged (2xx) by kind, the records lost at each layer (PostgreSQL, Kafka,
ClickHouse), the figures double counted, and each component's recovery (seconds until it worked
again, and until it had caught up with the backlog it found), with the test's notes. pytest's
own output is shown only when the test fails. The lost and double
counted figures are those the test's checks found; a check the run did not reach shows `-`.
The exit code is pytest's: non-zero when any check failed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.common import json_line

ROOT = Path(__file__).resolve().parent.parent
TEST = "tests/reliability/test_ledger.py"


def _figure(value: int | None) -> str:
    return "-" if value is None else str(value)


def _table(report: dict[str, Any], passed: bool) -> str:
    lines = [f"reliability: N={report['events']} events, "
             f"{'passed' if passed else 'FAILED'}",
             f"faults injected: {report['faults_injected']}"]
    lines.extend(f"  {f['fault']:<22} at {f['percent']:>5.1f}% of the load, t+{f['at_s']:.0f}s"
                 for f in report["faults"])
    lines.append(f"requests acknowledged (2xx): {report['acknowledged']} "
                 f"({report['refused']} refused)")
    lines.extend(f"  {kind:<22} {count}"
                 for kind, count in sorted(report["acknowledged_by_kind"].items()))
    records = report["records"]
    lines.append(f"  records accepted: {records['clients']} clients, {records['visits']} visits, "
                 f"{records['referrals']} referrals")
    lines.append(f"records lost: {_figure(report['lost'])}")
    lines.extend(f"  {layer:<22} {_figure(count)}"
                 for layer, count in report["lost_by_layer"].items())
    lines.append(f"figures double counted: {_figure(report['double_counted'])}")
    lines.extend(f"  {check:<22} {_figure(count)}"
                 for check, count in report["double_counted_by_check"].items())
    lines.append(f"recovery per component (s after the fault):\n"
                 f"  {'fault':<24} {'t+s':>6}  {'component':<26} {'back':>6} {'caught up':>9}")

    def seconds(value: float | None) -> str:
        return "-" if value is None else f"{value:.1f}"

    lines.extend(f"  {r['fault']:<24} {r['at_s']:>6.1f}  {r['component']:<26} "
                 f"{seconds(r['back_s']):>6} {seconds(r['caught_up_s']):>9}"
                 for r in report["recoveries"])
    lines.extend(f"  {note}" for note in report["notes"])
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="msc bench reliability", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100_000,
                        help="events the load makes (MSC_LEDGER_EVENTS)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="msc-ledger-") as directory:
        path = Path(directory) / "report.json"
        env = {**os.environ, "MSC_LEDGER_EVENTS": str(args.events),
               "MSC_LEDGER_REPORT": str(path)}
        code = subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
            [sys.executable, "-m", "pytest", TEST, "-q", "-p", "no:cacheprovider"],
            cwd=ROOT, env=env, check=False).returncode
        if not path.exists():
            print(f"msc bench reliability: the test wrote no report (pytest exit {code})",
                  file=sys.stderr)
            return code or 1
        report: dict[str, Any] = json.loads(path.read_text())
    passed = code == 0 and bool(report["passed"])
    print(_table(report, passed))
    if args.json:
        print(json_line({**report, "passed": passed}, sort_keys=True))
    return 0 if passed else (code or 1)
