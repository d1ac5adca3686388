"""``neurolake pipelines ...``: run due pipelines (cron, a systemd timer, CI), and look at them.

``run-due`` is what a scheduler calls: it runs every active pipeline whose schedule says it is due
(each as its owner), recovers runs a killed process left behind and raises freshness incidents;
two of them on one workspace never run one pipeline twice at once (the lease). Its exit status is
1 when a run failed, so cron mails and CI jobs go red.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

_COMMANDS = ("list", "run", "run-due", "history", "incidents", "pause", "resume")


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``neurolake pipelines`` to the command line."""
    pipelines = sub.add_parser("pipelines", help="run and inspect data pipelines")
    commands = pipelines.add_subparsers(dest="pipelines_command", required=True)
    listing = commands.add_parser("list", parents=[common], help="every pipeline and its health")
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    run = commands.add_parser("run", parents=[common], help="run one pipeline now")
    run.add_argument("name")
    due = commands.add_parser("run-due", parents=[common], help="run the pipelines that are due")
    due.add_argument(
        "--loop", type=float, metavar="SECONDS",
        help="keep going: look for due pipelines every SECONDS (a long-running scheduler)",
    )  # fmt: skip
    history = commands.add_parser("history", parents=[common], help="the runs of a pipeline")
    history.add_argument("name")
    history.add_argument("-n", type=int, default=20, metavar="N", help="how many (default 20)")
    history.add_argument("--json", action="store_true", help="one JSON object per line")
    incidents = commands.add_parser("incidents", parents=[common], help="the Monitor's incidents")
    incidents.add_argument("name", nargs="?")
    incidents.add_argument("--json", action="store_true", help="one JSON object per line")
    for name in ("pause", "resume"):
        commands.add_parser(name, parents=[common], help=f"{name} a pipeline").add_argument("name")


def main(args: argparse.Namespace) -> int:
    """Run one ``neurolake pipelines`` command; the exit status."""
    from neurolake_lab.exceptions import NeuroLakeError
    from neurolake_lab.session import connect

    try:
        with connect() as session:
            return _command(session.pipelines, args)
    except NeuroLakeError as exc:
        print(f"{exc.title}: {exc}", file=sys.stderr)
        return 1


def _command(pipelines: Any, args: argparse.Namespace) -> int:
    command = args.pipelines_command
    if command == "list":
        _print(pipelines.list(), args.json, ("name", "health", "status", "mode", "target",
                                              "schedule", "last_run", "next_run"))  # fmt: skip
        return 0
    if command == "run":
        run = pipelines.run(args.name)
        _print_runs([run])
        return 0 if run.ok else 1
    if command == "run-due":
        failed = False
        while True:
            runs = pipelines.run_due()
            _print_runs(runs)
            failed = failed or any(r.status in ("failed", "interrupted") for r in runs)
            if args.loop is None:
                return 1 if failed else 0
            time.sleep(args.loop)
    if command == "history":
        _print(pipelines.history(args.name, limit=args.n), args.json,
               ("start", "status", "rows_written", "snapshot_id", "error"))  # fmt: skip
        return 0
    if command == "incidents":
        rows = [i.to_json() for i in pipelines.incidents(args.name)]
        _print(rows, args.json, ("pipeline", "check", "cause", "status", "detail"))
        return 0
    getattr(pipelines, command)(args.name)
    print(f"pipeline {args.name}: {command}d")
    return 0


def _print_runs(runs: list[Any]) -> None:
    for run in runs:
        rows = f"{run.rows_written} rows" if run.rows_written is not None else "-"
        extra = f"  {run.error}" if run.error else ""
        incidents = f"  incidents: {len(run.incidents)}" if run.incidents else ""
        print(f"{run.pipeline}: {run.status} ({rows}){incidents}{extra}")


def _print(rows: list[dict[str, Any]], as_json: bool, columns: tuple[str, ...]) -> None:
    if as_json:
        for row in rows:
            print(json.dumps(row, default=str, sort_keys=True))
        return
    for row in rows:
        print("  ".join(f"{c}={row.get(c)}" for c in columns if row.get(c) is not None))
