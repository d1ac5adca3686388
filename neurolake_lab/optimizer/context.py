"""What an optimizer rule sees: the parsed cell, its plan estimate, and the tables it reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from neurolake_lab.cost.sources import Source

if TYPE_CHECKING:
    from neurolake_lab.context import QueryContext
    from neurolake_lab.cost.estimate import Evaluate, StatementEstimate
    from neurolake_lab.cost.prediction import Prediction
    from neurolake_lab.cost.table_stats import TableFiles


@dataclass(frozen=True)
class Candidate:
    """A rewrite a rule proposes; the cost model decides whether it is worth suggesting.

    ``rewrite`` is ``None`` for advice without an automatic fix (a join that explodes on a
    condition only the user can correct): it is suggested when the plan shows the problem.
    """

    kind: str
    message: str
    rewrite: str | None
    equivalent: bool


@dataclass
class RuleContext:
    """One single-statement query cell, ready for the rules."""

    query: QueryContext
    sql: str
    tree: exp.Expr
    estimate: StatementEstimate
    prediction: Prediction
    evaluate: Evaluate
    settings: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def iceberg(self) -> dict[str, Source]:
        """The query's Iceberg inputs by every name a column may use for them (alias, name)."""
        out: dict[str, Source] = {}
        by_name = {s.name.lower(): s for s in self.estimate.sources if s.kind == "iceberg"}
        for table in self.tree.find_all(exp.Table):
            src = self.source_of(table, by_name)
            if src is None:
                continue
            out.setdefault(table.alias_or_name.lower(), src)
            out.setdefault(table.name.lower(), src)
        return out

    def source_of(
        self, table: exp.Table, by_name: dict[str, Source] | None = None
    ) -> Source | None:
        """The Iceberg source a table reference reads, if it reads one."""
        by_name = by_name or {
            s.name.lower(): s for s in self.estimate.sources if s.kind == "iceberg"
        }
        if table.db:
            return by_name.get(f"{table.db}.{table.name}".lower())
        matches = [s for n, s in by_name.items() if n.rsplit(".", 1)[-1] == table.name.lower()]
        return matches[0] if len(matches) == 1 else None

    def files(self, source: Source) -> TableFiles:
        """The data files of an Iceberg input at the snapshot the query reads."""
        from neurolake_lab.cost.table_stats import table_files

        assert source.location is not None
        return table_files(source.location, source.snapshot_id)

    def column_source(self, column: exp.Column) -> Source | None:
        """The Iceberg input a column belongs to (by its qualifier, else by a unique name)."""
        if column.table:
            return self.iceberg.get(column.table.lower())
        name = column.name.lower()
        owners = {s.name: s for s in self.iceberg.values() if name in self.files(s).field_ids}
        return next(iter(owners.values())) if len(owners) == 1 else None

    def column_type(self, source: Source, column: str) -> str | None:
        """DuckDB's type of a column of an Iceberg input (upper case), or ``None``."""
        types: dict[str, dict[str, str]] = self.query.memo.setdefault("cost_types", {})
        key = f"{source.name}@{source.snapshot_id}"
        if key not in types:
            if len(types) > 256:
                types.clear()
            ns, _, table = source.name.partition(".")
            rows = self.query.engine.con.execute(
                "SELECT column_name, data_type FROM duckdb_columns() "
                "WHERE schema_name = ? AND table_name = ?",
                [ns, table],
            ).fetchall()
            types[key] = {str(n).lower(): str(t).upper() for n, t in rows}
        return types[key].get(column.lower())

    def render(self, tree: exp.Expr) -> str:
        """SQL text of a rewritten tree, in DuckDB's dialect."""
        return tree.sql("duckdb", pretty=True)
