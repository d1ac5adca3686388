"""``%%pipeline`` and ``%pipelines``: define, run and watch pipelines from a notebook.

::

    %%pipeline daily_totals --into mart.totals --mode merge --key customer_id --schedule "every 1h"
    SELECT customer_id, sum(amount) AS total FROM retail.orders GROUP BY ALL

defines (or updates) the pipeline and runs it once now (``--no-run`` only defines it); the body
may be a question instead of SQL with ``--nl``, resolved to SQL once and kept. ``%pipelines``
lists every pipeline with its health; ``%pipelines --incidents [NAME]`` the Monitor's incidents
and fixes; ``%pipelines history|run|pause|resume|delete|sql NAME`` the rest.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from IPython.core.magic import Magics, cell_magic, line_magic, magics_class, no_var_expand

from neurolake_lab.exceptions import UsageError

if TYPE_CHECKING:
    import pyarrow as pa

    from neurolake_lab.pipelines.api import Pipelines
    from neurolake_lab.pipelines.model import Run
    from neurolake_lab.result import QueryResult
    from neurolake_lab.session import Session

PIPELINES_USAGE = (
    "usage: %pipelines [--incidents [NAME]] | %pipelines history|run|pause|resume|delete|sql NAME"
)
_ACTIONS = ("history", "run", "pause", "resume", "delete", "sql")


def _parser() -> Any:
    from neurolake_lab.magics import _MagicParser

    parser = _MagicParser(prog="%%pipeline", add_help=False)
    parser.add_argument("name")
    parser.add_argument("--into", required=True, metavar="NS.TABLE")
    parser.add_argument("--mode", choices=["append", "overwrite", "merge"], default="append")
    parser.add_argument("--key", help="merge key column(s), comma-separated")
    parser.add_argument("--schedule", help='"every 1h", "daily at 02:00" or a cron expression')
    parser.add_argument("--check", action="append", default=[], help="a SQL predicate per row")
    parser.add_argument("--not-null", help="columns that must not be NULL, comma-separated")
    parser.add_argument("--unique", action="append", default=[], help="unique column(s)")
    parser.add_argument("--quarantine", action="store_true", help="quarantine bad rows")
    parser.add_argument("--no-run", action="store_true", help="define it, do not run it now")
    parser.add_argument("--no-pii", nargs="?", const="mask", choices=["mask", "drop"],
                        help="mask (or drop) personal data in what it writes")  # fmt: skip
    parser.add_argument("--nl", action="store_true", help="the body is a question, not SQL")
    return parser


def _columns(text: str | None) -> list[str]:
    return [c.strip() for c in (text or "").split(",") if c.strip()]


def checks_from(args: Any) -> dict[str, Any]:
    """The quality rules the magic's options declare (``Session.set_quality`` arguments)."""
    checks: dict[str, Any] = {}
    if args.check:
        checks["checks"] = list(args.check)
    if args.not_null:
        checks["not_null"] = _columns(args.not_null)
    if args.unique:
        checks["unique"] = [_columns(u) for u in args.unique]
    if args.quarantine:
        checks["on_failure"] = "quarantine"
    return checks


@magics_class
class PipelineMagics(Magics):
    """``%%pipeline`` and ``%pipelines``, on the session of the NeuroLake magics."""

    @property
    def session(self) -> Session:
        """The session of the ``%%sql`` magics."""
        from neurolake_lab.magics import magics_session

        return magics_session(self.shell)

    @no_var_expand
    @cell_magic
    def pipeline(self, line: str, cell: str) -> QueryResult:
        """Define (or update) a pipeline from the cell's SQL and run it once (module docstring)."""
        args = _parser().parse_line(line)
        text = cell.strip()
        if not text:
            raise UsageError("the cell holds no SQL: write the SELECT whose rows it writes")
        question = None
        if args.nl:
            question = text
            text = self.session.ask(question, execute=False).sql
        pipelines = self.session.pipelines
        pipeline = pipelines.create(
            args.name, text, args.into, mode=args.mode, key=_columns(args.key) or None,
            schedule=args.schedule, checks=checks_from(args), question=question,
            no_pii=args.no_pii, replace=True,
        )  # fmt: skip
        what = f"pipeline {pipeline.name} (v{pipeline.version}): {pipeline.mode} into "
        what += f"{pipeline.target}" + (f", {pipeline.schedule}" if pipeline.schedule else "")
        if args.no_run:
            print(what + "; defined, not run")
            return _table([_definition_row(pipelines, pipeline.name)], f"%%pipeline {line}")
        run = pipelines.run(pipeline.name, trigger="cell")
        print(what + f"; run {run.status}" + _run_note(run))
        return _table(pipelines.history(pipeline.name, limit=1), f"%%pipeline {line}")

    @line_magic
    def pipelines(self, line: str = "") -> QueryResult:
        """``%pipelines``: every pipeline with its health, last run and next run (see usage)."""
        words = line.split()
        pipelines = self.session.pipelines
        if not words:
            rows = [{**p, "key": ", ".join(p["key"]) or None,
                     "sources": ", ".join(p["sources"])} for p in pipelines.list()]  # fmt: skip
            return _table(rows, "%pipelines")
        if words[0] == "--incidents" and len(words) <= 2:
            name = words[1] if len(words) == 2 else None
            rows = [_incident_row(i.to_json()) for i in pipelines.incidents(name)]
            return _table(rows, f"%pipelines {line}")
        if len(words) != 2 or words[0] not in _ACTIONS:
            raise UsageError(PIPELINES_USAGE)
        action, name = words
        if action == "history":
            rows = [_history_row(r) for r in pipelines.history(name)]
        elif action == "run":
            run = pipelines.run(name)
            print(f"pipeline {name}: run {run.status}" + _run_note(run))
            rows = [_history_row(r) for r in pipelines.history(name, limit=1)]
        elif action == "sql":
            rows = [{**v, "at": _iso(v["at"])} for v in pipelines.sql_versions(name)]
        elif action == "delete":
            pipelines.delete(name)
            print(f"pipeline {name} deleted (its table stays)")
            return _table([], f"%pipelines {line}")
        else:
            getattr(pipelines, action)(name)
            rows = [_definition_row(pipelines, name)]
        return _table(rows, f"%pipelines {line}")


def _iso(moment: float | None) -> str | None:
    from neurolake_lab.pipelines.model import iso

    return iso(moment)


def _run_note(run: Run) -> str:
    parts = []
    if run.rows_written is not None:
        parts.append(f"{run.rows_written} rows written")
    if run.rows_quarantined:
        parts.append(f"{run.rows_quarantined} quarantined")
    if run.incidents:
        parts.append(f"{len(run.incidents)} incident(s): %pipelines --incidents {run.pipeline}")
    if run.error:
        parts.append(run.error)
    return (" — " + "; ".join(parts)) if parts else ""


def _definition_row(pipelines: Pipelines, name: str) -> dict[str, Any]:
    row = next(p for p in pipelines.list() if p["name"] == name)
    return {**row, "key": ", ".join(row["key"]) or None, "sources": ", ".join(row["sources"])}


def _history_row(run: dict[str, Any]) -> dict[str, Any]:
    return {
        **{k: v for k, v in run.items() if k not in ("incidents", "fixes")},
        "incidents": "; ".join(f"{i['check']}: {i['detail']}" for i in run["incidents"]) or None,
        "fixes": "; ".join(f"{a['kind']}: {a['detail']}" for a in run["fixes"]) or None,
    }


def _incident_row(data: dict[str, Any]) -> dict[str, Any]:
    actions = data.get("actions", [])
    sql = [a for a in actions if a.get("new_sql")]
    return {
        "at": _iso(data["at"]), "pipeline": data["pipeline"], "check": data["check"],
        "cause": data.get("cause"), "status": data["status"], "detail": data["detail"],
        "fixes": "; ".join(f"{a['kind']}: {a['detail']}" for a in actions) or None,
        "old_sql": sql[-1]["old_sql"] if sql else None,
        "new_sql": sql[-1]["new_sql"] if sql else None,
        "run_id": data.get("run_id"), "incident": data["id"],
    }  # fmt: skip


def _table(rows: list[dict[str, Any]], sql: str) -> QueryResult:
    import pyarrow as pa

    from neurolake_lab.result import QueryResult

    table = _to_arrow(rows) if rows else pa.table({"pipelines": pa.array([], pa.string())})
    return QueryResult(table, sql=sql, statement_type="PIPELINES")


def _to_arrow(rows: list[dict[str, Any]]) -> pa.Table:
    """Rows as Arrow; lists and dicts in them as JSON text (the preview shows them whole)."""
    import pyarrow as pa

    def cell(value: Any) -> Any:
        return json.dumps(value, default=str) if isinstance(value, list | dict) else value

    return pa.Table.from_pylist([{k: cell(v) for k, v in row.items()} for row in rows])
