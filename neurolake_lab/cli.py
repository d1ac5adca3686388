"""The ``neurolake`` command: ``neurolake lab`` starts JupyterLab, ``neurolake sql`` runs a query.

``neurolake learn export`` / ``neurolake learn merge FILE...`` share the cost model's learning;
``neurolake pipelines run-due`` runs the data pipelines that are due (``pipelines_cli.py``).

Every command takes ``--workspace DIR`` (default: ``$NEUROLAKE_WORKSPACE``, else ``~/.neurolake``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from neurolake_lab import __version__

#: the notebook ``neurolake lab`` opens (every shipped notebook is copied beside it)
TOUR = "tour.ipynb"


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--workspace",
        metavar="DIR",
        help="workspace folder (default: $NEUROLAKE_WORKSPACE, else ~/.neurolake)",
    )
    parser = argparse.ArgumentParser(prog="neurolake", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"neurolake {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    lab = sub.add_parser("lab", parents=[common], help="start JupyterLab on the NeuroLake kernel")
    lab.add_argument("--port", type=int, default=8888)
    lab.add_argument("--ip", default="127.0.0.1")
    lab.add_argument("--no-browser", action="store_true", help="do not open a browser")
    lab.add_argument(
        "--notebook-dir",
        metavar="DIR",
        help="folder JupyterLab shows (default: the workspace's notebooks/ folder)",
    )
    lab.add_argument(
        "--no-demo",
        action="store_true",
        help="do not load the demo data set into an empty workspace",
    )
    lab.add_argument("lab_args", nargs=argparse.REMAINDER, help="more options for jupyter lab")

    sql = sub.add_parser("sql", parents=[common], help="run SQL and print the result")
    sql.add_argument("query", help="one or more SQL statements; the last result is printed")
    sql.add_argument(
        "--format", choices=["table", "csv", "json"], default="table", help="output format"
    )

    demo = sub.add_parser("demo", help="the demo data set")
    demo_sub = demo.add_subparsers(dest="demo_command", required=True)
    load = demo_sub.add_parser(
        "load", parents=[common], help="(re)create the retail namespace with the demo tables"
    )
    load.add_argument("--scale", type=float, default=1.0, help="row-count factor (default 1)")
    load.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    load.add_argument(
        "--if-stale",
        action="store_true",
        help="only when no demo is loaded, or its dates were placed around an earlier day",
    )

    notebooks = sub.add_parser("notebooks", help="copy the demo notebooks into a folder")
    notebooks.add_argument("folder", help="where to copy them (notebooks already there are kept)")

    audit = sub.add_parser("audit", help="check or show the workspace's audit log")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    audit_sub.add_parser(
        "verify",
        parents=[common],
        help="check every record, the chain and its head; exit status 0 only when intact",
    )
    tail = audit_sub.add_parser("tail", parents=[common], help="show the latest records")
    tail.add_argument("-n", type=int, default=20, metavar="N", help="how many (default 20)")
    tail.add_argument("--json", action="store_true", help="print the stored JSON lines")

    learn = sub.add_parser("learn", help="share the cost model's learning between workspaces")
    learn_sub = learn.add_subparsers(dest="learn_command", required=True)
    export = learn_sub.add_parser(
        "export",
        parents=[common],
        help="write the cost model's update (parameters and sample count only, no queries)",
    )
    export.add_argument(
        "--epsilon",
        type=float,
        metavar="E",
        help="add differential-privacy noise with this epsilon (smaller: more private, noisier)",
    )
    export.add_argument(
        "-o", "--output", metavar="FILE", help="write to FILE (default: standard output)"
    )
    export.add_argument(
        "--seed", type=int, help="seed of the privacy noise (for reproducible tests)"
    )
    merge = learn_sub.add_parser(
        "merge", parents=[common], help="fold updates from other workspaces into this one"
    )
    merge.add_argument("files", nargs="+", metavar="FILE", help="update files (learn export)")

    from neurolake_lab import pipelines_cli

    pipelines_cli.add_parser(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    if getattr(args, "workspace", None):
        os.environ["NEUROLAKE_WORKSPACE"] = str(Path(args.workspace).expanduser().resolve())
    if args.command == "sql":
        return _sql(args.query, args.format)
    if args.command == "audit":
        return _audit(args)
    if args.command == "demo":
        return _demo_load(args.scale, args.seed, if_stale=args.if_stale)
    if args.command == "notebooks":
        copied = copy_notebooks(Path(args.folder).expanduser().resolve())
        for path in copied:
            print(path)
        return 0
    if args.command == "learn":
        return _learn(args)
    if args.command == "pipelines":
        from neurolake_lab import pipelines_cli

        return pipelines_cli.main(args)
    return _lab(args)


def _learn(args: argparse.Namespace) -> int:
    """``neurolake learn export`` / ``neurolake learn merge FILE...``."""
    from neurolake_lab.config import default_workspace
    from neurolake_lab.cost import CostModel
    from neurolake_lab.cost import federated as fed
    from neurolake_lab.exceptions import NeuroLakeError, WorkspaceError

    root = default_workspace().resolve()
    try:
        if not root.is_dir():
            raise WorkspaceError(f"no workspace folder at {root}")
        model = CostModel(root)
        try:
            if args.learn_command == "export":
                update = fed.export_update(model, epsilon=args.epsilon, seed=args.seed)
                noise = f", epsilon {args.epsilon:g}" if args.epsilon is not None else ""
                if args.output:
                    fed.write_update(update, args.output)
                    print(f"wrote the cost model update ({update['samples']} samples{noise}) "
                          f"to {args.output}", file=sys.stderr)  # fmt: skip
                else:
                    import json

                    print(json.dumps(update, indent=1, sort_keys=True))
                return 0
            updates = [fed.read_update(f) for f in args.files]
            merged, samples = fed.merge_updates(model, updates)
            live = model.live_model()
            print(f"merged {merged} update{'' if merged == 1 else 's'} ({samples} samples); "
                  f"{len(updates) - merged} already merged. The model now uses "
                  f"{live.local_samples} local and {live.imported_samples} imported "
                  "samples.")  # fmt: skip
            return 0
        finally:
            model.close()
    except NeuroLakeError as exc:
        print(f"{exc.title}: {exc}", file=sys.stderr)
        return 1


def _demo_load(scale: float, seed: int, if_stale: bool = False) -> int:
    import datetime as dt
    import time

    from neurolake_lab.demo import load_retail
    from neurolake_lab.demo.load import demo_day
    from neurolake_lab.exceptions import NeuroLakeError
    from neurolake_lab.session import connect

    start = time.perf_counter()
    try:
        with connect() as session:
            if if_stale and demo_day(session) == dt.datetime.now(dt.UTC).date():
                print(f"the demo data in {session.settings.workspace} is current")
                return 0
            counts = load_retail(session, scale=scale, seed=seed)
            where = session.settings.workspace
    except NeuroLakeError as exc:
        print(f"{exc.title}: {exc}", file=sys.stderr)
        return 1
    for name, rows in counts.items():
        print(f"retail.{name:<16} {rows:>12,} rows")
    print(f"loaded in {time.perf_counter() - start:.1f} s into {where}")
    return 0


def _workspace_is_empty() -> bool:
    """No Iceberg table yet: a first start, when ``neurolake lab`` loads the demo."""
    from neurolake_lab.session import connect

    with connect() as session:
        session.lakehouse.refresh(session.engine.con)
        return not session.lakehouse.pointers


def _sql(query: str, fmt: str) -> int:
    from neurolake_lab.exceptions import NeuroLakeError
    from neurolake_lab.session import connect

    try:
        with connect() as session:
            result = session.sql(query, namespace={})
            if fmt == "table":
                from neurolake_lab.report import report_text

                print(report_text(result.report, max_rows=result.preview_limit))
            elif fmt == "csv":
                import pyarrow.csv as pacsv

                pacsv.write_csv(result.arrow(), sys.stdout.buffer)
            else:
                import json

                from neurolake_lab.report import to_json_value

                for row in result.arrow().to_pylist():
                    print(json.dumps({k: to_json_value(v) for k, v in row.items()}))
    except NeuroLakeError as exc:
        print(f"{exc.title}: {exc}", file=sys.stderr)
        return 1
    return 0


def _audit(args: argparse.Namespace) -> int:
    """``neurolake audit verify`` (exit status 0 only when intact) and ``neurolake audit tail``."""
    from neurolake_lab.compliance.audit import open_audit_log
    from neurolake_lab.config import default_workspace, resolve_settings
    from neurolake_lab.exceptions import NeuroLakeError, WorkspaceError
    from neurolake_lab.lakehouse.catalog import catalog_config

    root = default_workspace().resolve()
    try:
        if not root.is_dir():
            raise WorkspaceError(f"no workspace folder at {root}")
        log = open_audit_log(root, catalog_config(resolve_settings(root)).uri)
        if args.audit_command == "verify":
            result = log.verify()
            records = f"{result.records} record{'' if result.records == 1 else 's'}"
            if result.ok:
                print(f"audit log intact: {records} ({log.location})")
                if result.reason:
                    print(f"note: {result.reason}")
                return 0
            print(f"audit log NOT intact: {result.reason}")
            first = f"; first bad record: {result.first_bad}" if result.first_bad else ""
            print(f"{records} verified before the problem{first} ({log.location})")
            return 1
        import json

        for record in log.tail(args.n):
            if args.json:
                print(record.line().decode("ascii"), end="")
            else:
                data = json.dumps(record.data, sort_keys=True, ensure_ascii=False)
                print(f"{record.seq:>6}  {record.id}  {record.ts}  {record.user}  {record.kind}  "
                      f"{data}")  # fmt: skip
    except NeuroLakeError as exc:
        print(f"{exc.title}: {exc}", file=sys.stderr)
        return 1
    return 0


def copy_notebooks(folder: Path) -> list[Path]:
    """Copy the shipped demo notebooks into ``folder``, keeping any the user already has."""
    folder.mkdir(parents=True, exist_ok=True)
    copied = []
    for source in resources.files("neurolake_lab.notebooks").iterdir():
        target = folder / source.name
        if source.name.endswith(".ipynb") and not target.exists():
            with resources.as_file(source) as path:
                shutil.copyfile(path, target)
            copied.append(target)
    return copied


def _lab(args: argparse.Namespace) -> int:
    from neurolake_lab.config import Workspace, default_workspace

    workspace = Workspace(default_workspace().resolve())
    workspace.ensure()
    os.environ["NEUROLAKE_WORKSPACE"] = str(workspace.root)
    if not args.no_demo and _workspace_is_empty():
        print("First start: loading the demo data set (neurolake demo load) ...", flush=True)
        if _demo_load(1.0, 42) != 0:
            return 1
    root = Path(args.notebook_dir).resolve() if args.notebook_dir else workspace.notebooks
    copy_notebooks(root)
    notebook = root / TOUR
    argv = [
        "jupyter-lab",
        f"--ServerApp.root_dir={root}",
        f"--ServerApp.ip={args.ip}",
        f"--ServerApp.port={args.port}",
        "--MappingKernelManager.default_kernel_name=neurolake",
        *(["--no-browser"] if args.no_browser else []),
        # containers and CI often run as root; JupyterLab refuses that unless told
        *(["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),
        *[a for a in args.lab_args if a != "--"],
        str(notebook),
    ]
    from jupyterlab.labapp import main as lab_main

    sys.argv = argv
    lab_main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
