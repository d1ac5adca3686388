"""IPython magics: ``%%sql``, exploration and the lakehouse's history and upkeep.

Exploration: ``%tables``, ``%describe``, ``%profile``, ``%snippets``; the lakehouse:
``%snapshots``, ``%rollback``, ``%maintain``, ``%layout``; compliance: ``%pii``, ``%audit``;
lineage: ``%lineage``; data pipelines: ``%%pipeline``, ``%pipelines`` (``pipeline_magics.py``).

Thin by design (docs/architecture.md): parse the magic line, call the session, hand back the
result, whose rich display is the cell report. Works in any IPython kernel via
``%load_ext neurolake_lab`` and is loaded at start by the NeuroLake kernel.
"""

from __future__ import annotations

import argparse
import re
import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

from IPython.core.magic import (
    Magics,
    line_cell_magic,
    line_magic,
    magics_class,
    no_var_expand,
)
from IPython.display import display

from neurolake_lab.exceptions import UsageError

if TYPE_CHECKING:
    import pyarrow as pa
    from IPython.core.interactiveshell import InteractiveShell

    from neurolake_lab.result import QueryResult
    from neurolake_lab.session import Session

SQL_USAGE = (
    "usage: %%sql [-o NAME] [--save NAME [--no-execute]] [--explain] [--no-pii[=drop]]\n"
    "             [--optimize] [--yes] [--engine duckdb|daft|daft-ray]\n"
    "             [--explore | --chart[=KIND]]\n"
    "  -o, --out NAME   store the result (a QueryResult) in the variable NAME\n"
    "  --save NAME      keep the query as a snippet later queries can use as a table\n"
    "  --no-execute     with --save: only save, do not run\n"
    "  --explain        show DuckDB's plan instead of running the query\n"
    "  --no-pii[=drop]  mask (or drop) every PII-tagged column the query reads\n"
    "  --optimize       run the cheapest rewrite the optimizer finds that returns the same rows\n"
    "  -y, --yes        run even when the predicted cost is above the confirmation threshold\n"
    "  --engine NAME    run the queries on duckdb, daft (local) or daft-ray (the Ray cluster)\n"
    "  --explore        page, sort, filter and profile the whole result in a widget\n"
    "  --chart[=KIND]   chart the result (bar, line or scatter; picked from the column types)"
)


@dataclass
class SqlOptions:
    """The options of one ``%sql``/``%%sql`` call."""

    out: str | None = None
    save: str | None = None
    no_execute: bool = False
    explain: bool = False
    no_pii: str | None = None
    optimize: bool = False
    yes: bool = False
    engine: str | None = None
    explore: bool = False
    chart: str | None = None  # "auto" or a kind


_TOKEN = re.compile(r"\S+")


def parse_sql_line(line: str) -> tuple[SqlOptions, str]:
    """Split a magic line into options and the SQL after them.

    Options come first; the SQL is the rest of the line verbatim (never re-tokenized, so quotes
    and spacing in it are kept).

    >>> opts, sql = parse_sql_line("-o res --chart=bar SELECT 'a  b'")
    >>> opts.out, opts.chart, sql
    ('res', 'bar', "SELECT 'a  b'")
    """
    opts = SqlOptions()
    pos = 0
    tokens = list(_TOKEN.finditer(line))
    i = 0
    while i < len(tokens):
        tok = tokens[i].group()
        if not tok.startswith("-") or tok == "--":
            break
        name, _, inline = tok.partition("=")
        if name == "--engine":
            if not inline:
                i += 1
                if i >= len(tokens):
                    raise UsageError(f"--engine needs a name\n{SQL_USAGE}")
            opts.engine = (inline or tokens[i].group()).lower()
        elif name in ("-o", "--out", "--save"):
            if inline:
                value = inline
            else:
                i += 1
                if i >= len(tokens):
                    raise UsageError(f"{name} needs a name\n{SQL_USAGE}")
                value = tokens[i].group()
            if not value.isidentifier():
                raise UsageError(f"{name} needs a Python identifier, not {value!r}")
            if name == "--save":
                opts.save = value
            else:
                opts.out = value
        elif name == "--explain":
            opts.explain = True
        elif name == "--optimize":
            opts.optimize = True
        elif name in ("--yes", "-y"):
            opts.yes = True
        elif name == "--explore":
            opts.explore = True
        elif name == "--chart":
            from neurolake_lab.charts import KINDS

            if inline and inline not in KINDS:
                raise UsageError(f"--chart takes {', '.join(KINDS)}, not {inline!r}\n{SQL_USAGE}")
            opts.chart = inline or "auto"
        elif name == "--no-pii":
            if inline not in ("", "mask", "drop"):
                raise UsageError(f"--no-pii takes mask or drop, not {inline!r}\n{SQL_USAGE}")
            opts.no_pii = inline or "mask"
        elif name == "--no-execute":
            opts.no_execute = True
        else:
            raise UsageError(f"unknown option {tok}\n{SQL_USAGE}")
        pos = tokens[i].end()
        i += 1
    if opts.no_execute and not opts.save:
        raise UsageError(f"--no-execute only makes sense with --save\n{SQL_USAGE}")
    if opts.explore and opts.chart:
        raise UsageError(f"--explore and --chart are two views: choose one\n{SQL_USAGE}")
    return opts, line[pos:].strip()


@magics_class
class NeuroLakeMagics(Magics):
    """The NeuroLake magics, bound to one lazily opened ``Session``."""

    def __init__(self, shell: InteractiveShell) -> None:
        super().__init__(shell)
        self._session: Session | None = None
        #: the confirmation panel of the last cell that asked before running (tests use it)
        self.last_confirm: Any = None

    @property
    def session(self) -> Session:
        """The session the magics use; opened on first use with the default workspace."""
        if self._session is None:
            from neurolake_lab.session import connect

            self._session = connect()
        return self._session

    @session.setter
    def session(self, value: Session) -> None:
        self._session = value

    @property
    def has_session(self) -> bool:
        """Whether a session was opened (completion must not open one just to complete)."""
        return self._session is not None

    @property
    def user_ns(self) -> dict[str, Any]:
        """The notebook's variables."""
        assert self.shell is not None
        ns: dict[str, Any] = self.shell.user_ns
        return ns

    @no_var_expand
    @line_cell_magic
    def sql(self, line: str, cell: str | None = None) -> Any:
        """Run SQL on the NeuroLake session; the last statement's result is the cell's value.

        ``$name`` and ``:name`` are bound parameters taken from the notebook's variables, and
        DataFrames or Arrow tables in the notebook can be queried by name. With ``--explore``
        or ``--chart`` the value is the explorer or chart (its ``.result`` is the result).
        """
        opts, rest = parse_sql_line(line)
        if cell is None:
            text = rest
        elif rest:
            raise UsageError(f"unexpected text after the options: {rest!r}\n{SQL_USAGE}")
        else:
            text = cell
        if not text.strip():
            raise UsageError(f"there is no SQL to run\n{SQL_USAGE}")
        session = self.session
        session.cell_context = self.cell_context()
        if opts.save:
            session.save_snippet(opts.save, text)
            if opts.no_execute:
                print(f"saved snippet {opts.save!r}")
                return None
        if opts.explain:
            from neurolake_lab.display import plan_bundle

            plan = session.explain(text, namespace=self.user_ns)
            display(plan_bundle(plan), raw=True)  # type: ignore[no-untyped-call]
            return None
        notices: list[str] = []
        if opts.optimize or not opts.yes:
            text, notices, ask = self._consider_cost(text, opts)
            if ask is not None:
                self._confirm(text, opts, ask)
                return None
        return self._present(self._run_sql(text, opts, notices), opts)

    @staticmethod
    def _present(result: QueryResult, opts: SqlOptions) -> Any:
        """What the cell shows: the result (its report), or its explorer or chart."""
        if opts.explore:
            return result.explore()
        if opts.chart:
            return result.chart(None if opts.chart == "auto" else opts.chart)
        return result

    def _consider_cost(self, text: str, opts: SqlOptions) -> tuple[str, list[str], str | None]:
        """Apply ``--optimize``; say why the cell should ask first (``None``: it need not)."""
        from neurolake_lab.optimizer import best, needs_confirmation

        session = self.session
        if not opts.optimize and session.answered_by_cache(
            text, namespace=self.user_ns, no_pii=opts.no_pii or False, engine=opts.engine
        ):
            return text, [], None  # a cached result costs nothing: not predicted, not asked
        prediction = session.predict(text, namespace=self.user_ns)
        if prediction is None:
            return text, [], None
        notices = []
        if opts.optimize:
            chosen = best(prediction.suggestions)
            if chosen is not None and chosen.rewrite:
                text = chosen.rewrite
                notices.append(f"optimized: {chosen.message}")
                prediction = session.predict(text, namespace=self.user_ns) or prediction
        if opts.yes:
            return text, notices, None
        decision = needs_confirmation(prediction, session.settings.extra)
        return text, notices, decision.reason if decision.needed else None

    def _run_sql(self, text: str, opts: SqlOptions, notices: list[str]) -> QueryResult:
        session = self.session
        result = session.sql(
            text, namespace=self.user_ns, no_pii=opts.no_pii or False, engine=opts.engine
        )
        result.notices[:0] = notices
        if opts.out:
            self.user_ns[opts.out] = result
        return result

    def _confirm(self, text: str, opts: SqlOptions, reason: str) -> None:
        """Show the cell's SQL with Run/Cancel: its predicted cost is above the threshold."""
        from neurolake_lab.nl_widgets import ConfirmPanel

        panel = ConfirmPanel(
            text, run=lambda sql: self._present(self._run_sql(sql, opts, []), opts), reason=reason
        )
        self.last_confirm = panel
        display(panel)  # type: ignore[no-untyped-call]

    @line_magic
    def tables(self, line: str = "") -> QueryResult:
        """List the tables and views the session can query."""
        return self.session.tables()

    @line_magic
    def describe(self, line: str) -> QueryResult:
        """``%describe TABLE``: the columns of a table and their types."""
        return self.session.describe(_one_name(line, "%describe TABLE"))

    @line_magic
    def profile(self, line: str) -> QueryResult:
        """``%profile TABLE``: per-column statistics (min, max, distinct, nulls, quartiles)."""
        return self.session.profile(_one_name(line, "%profile TABLE"))

    @line_magic
    def snippets(self, line: str = "") -> dict[str, str]:
        """The saved snippets, name → SQL."""
        return dict(self.session.snippets)

    @line_magic
    def snapshots(self, line: str) -> QueryResult:
        """``%snapshots TABLE``: the table's snapshots, newest first (who, when, which cell)."""
        return self.session.snapshots(_one_name(line, "%snapshots NAMESPACE.TABLE"))

    @line_magic
    def rollback(self, line: str) -> QueryResult:
        """``%rollback TABLE SNAPSHOT_ID``: make an earlier snapshot current again."""
        parts = line.split()
        if len(parts) != 2 or not parts[1].lstrip("-").isdigit():
            raise UsageError("usage: %rollback NAMESPACE.TABLE SNAPSHOT_ID (see %snapshots)")
        session = self.session
        session.cell_context = self.cell_context()
        outcome = session.rollback(parts[0], int(parts[1]))
        return _outcome_result(outcome.to_arrow(), f"%rollback {line.strip()}", "ROLLBACK")

    @line_magic
    def maintain(self, line: str) -> QueryResult:
        """``%maintain TABLE [--expire-older-than 7d] [--retain-last 5] [--no-compact] ...``."""
        parser = _MagicParser(prog="%maintain", add_help=False)
        parser.add_argument("table")
        parser.add_argument("--expire-older-than", default="7d")
        parser.add_argument("--retain-last", type=int, default=5)
        parser.add_argument("--no-compact", action="store_true")
        parser.add_argument("--small-file-mb", type=float, default=32)
        parser.add_argument("--no-orphans", action="store_true")
        parser.add_argument("--orphans-older-than", default="1d")
        args = parser.parse_line(line)
        session = self.session
        session.cell_context = self.cell_context()
        report = session.maintain(
            args.table, expire_older_than=args.expire_older_than, retain_last=args.retain_last,
            compact=not args.no_compact, small_file_mb=args.small_file_mb,
            remove_orphans=not args.no_orphans, orphans_older_than=args.orphans_older_than,
        )  # fmt: skip
        return _outcome_result(report.to_arrow(), f"%maintain {line.strip()}", "MAINTAIN")

    @line_magic
    def layout(self, line: str) -> QueryResult | None:
        """``%layout TABLE [--apply]``: the suggested partitioning/sort order, or apply it."""
        parts = line.split()
        if not parts or len(parts) > 2 or (len(parts) == 2 and parts[1] != "--apply"):
            raise UsageError("usage: %layout NAMESPACE.TABLE [--apply]")
        session = self.session
        if len(parts) == 2:
            session.cell_context = self.cell_context()
            outcome = session.apply_layout(parts[0])
            return _outcome_result(outcome.to_arrow(), f"%layout {line.strip()}", "LAYOUT")
        suggestion = session.layout(parts[0])
        print(suggestion.message if suggestion else f"{parts[0]}: no layout change suggested")
        return None

    @line_magic
    def pii(self, line: str) -> QueryResult:
        """``%pii TABLE``: its columns' PII tags; ``%pii TABLE.COLUMN ENTITY|none``: override."""
        import pyarrow as pa

        from neurolake_lab.compliance.tagging import tag_rows

        parts = line.split()
        session = self.session
        if len(parts) == 1:
            tags = session.classify_pii(parts[0])
            return _outcome_result(pa.Table.from_pylist(tag_rows(tags)), f"%pii {line}", "PII")
        if len(parts) == 2 and parts[0].count(".") >= 1:
            table, _, column = parts[0].rpartition(".")
            entity = None if parts[1].lower() in ("none", "null", "-") else parts[1]
            tag = session.set_pii(table, column, entity)
            return _outcome_result(
                pa.Table.from_pylist(tag_rows({column: tag})), f"%pii {line}", "PII"
            )
        raise UsageError("usage: %pii NAMESPACE.TABLE  or  %pii NAMESPACE.TABLE.COLUMN ENTITY|none")

    @line_magic
    def audit(self, line: str = "") -> QueryResult:
        """``%audit [-n N] [--verify]``: the latest audit records, or check the whole log."""
        import pyarrow as pa

        from neurolake_lab.compliance.audit.summary import describe

        parts = line.split()
        session = self.session
        if parts == ["--verify"]:
            result = session.audit.verify()
            row = {"ok": result.ok, "records": result.records, "first_bad": result.first_bad,
                   "reason": result.reason}  # fmt: skip
            return _outcome_result(pa.Table.from_pylist([row]), "%audit --verify", "AUDIT")
        n = 20
        if parts:
            if len(parts) != 2 or parts[0] != "-n" or not parts[1].isdigit():
                raise UsageError("usage: %audit [-n N] | %audit --verify")
            n = int(parts[1])
        rows = [
            {
                "seq": r.seq,
                "id": r.id,
                "time": r.ts,
                "user": r.user,
                "kind": r.kind,
                "what": describe(r.kind, r.data),
            }
            for r in session.audit.tail(n)
        ]
        fields: list[pa.Field[Any]] = [pa.field("seq", pa.int64())] + [
            pa.field(name, pa.string()) for name in ("id", "time", "user", "kind", "what")
        ]
        schema = pa.schema(fields)
        return _outcome_result(pa.Table.from_pylist(rows, schema=schema), f"%audit {line}", "AUDIT")

    @line_magic
    def lineage(self, line: str) -> QueryResult:
        """``%lineage NS.TABLE[.COLUMN] [--downstream] [--depth N]``: recorded column lineage."""
        import pyarrow as pa

        from neurolake_lab.lineage.tracker import lineage_rows

        parser = _MagicParser(prog="%lineage", add_help=False)
        parser.add_argument("target")
        parser.add_argument("--downstream", action="store_true")
        parser.add_argument("--depth", type=int, default=5)
        args = parser.parse_line(line)
        graph = self.session.lineage(
            args.target, "downstream" if args.downstream else "upstream", args.depth
        )
        fields: list[pa.Field[Any]] = [
            pa.field("source", pa.string()), pa.field("target", pa.string()),
            pa.field("kind", pa.string()), pa.field("masked", pa.bool_()),
        ]  # fmt: skip
        rows = pa.Table.from_pylist(lineage_rows(graph), schema=pa.schema(fields))
        result = _outcome_result(rows, f"%lineage {line}", "LINEAGE")
        if not graph.edges:
            way = "downstream of" if args.downstream else "upstream of"
            result.notices.append(
                f"nothing is recorded {way} {args.target}: lineage is recorded when a table is "
                "written from a query (CREATE TABLE ... AS SELECT, INSERT ... SELECT)"
            )
        return result

    def cell_context(self) -> dict[str, Any] | None:
        """Where the running cell comes from: notebook path, cell id, execution count."""
        import os

        shell = self.shell
        if shell is None:
            return None
        # IPython counts the running cell before running it (ipykernel reports count - 1 too)
        context: dict[str, Any] = {"execution_count": shell.execution_count - 1}
        notebook = os.environ.get("JPY_SESSION_NAME")
        if notebook:
            context["notebook"] = notebook
        kernel = getattr(shell, "kernel", None)
        if kernel is not None:
            try:
                parent = kernel.get_parent()
            except Exception:  # no parent message outside a kernel request
                parent = None
            cell_id = (parent or {}).get("metadata", {}).get("cellId")
            if cell_id:
                context["cell_id"] = cell_id
        return context


class _MagicParser(argparse.ArgumentParser):
    """argparse that raises instead of exiting the kernel on a bad option."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message}\n{self.format_usage().strip()}")

    def parse_line(self, line: str) -> argparse.Namespace:
        """Parse a magic's line split as a shell would; an unclosed quote is a usage error too."""
        try:
            words = shlex.split(line)
        except ValueError as exc:
            self.error(str(exc))
        return self.parse_args(words)


def _outcome_result(table: pa.Table, sql: str, kind: str) -> QueryResult:
    from neurolake_lab.result import QueryResult

    return QueryResult(table, sql=sql, statement_type=kind)


def _one_name(line: str, usage: str) -> str:
    parts = line.split()
    if len(parts) != 1:
        raise UsageError(f"usage: {usage}")
    return parts[0]


def magics_session(shell: InteractiveShell | None) -> Session:
    """The session of the ``%%sql`` magics, which ``%%nl`` and ``%%pipeline`` work on too."""
    magics = get_magics(shell) if shell is not None else None
    if magics is None:
        raise UsageError("load the NeuroLake magics first: %load_ext neurolake_lab")
    return magics.session


def get_magics(shell: InteractiveShell) -> NeuroLakeMagics | None:
    """The loaded ``NeuroLakeMagics`` of ``shell``, if the extension is loaded."""
    magics = shell.magics_manager.registry.get("NeuroLakeMagics")
    return magics if isinstance(magics, NeuroLakeMagics) else None
