"""Semantic definitions: what business words mean in this workspace's data.

A data set's conventions ("revenue excludes cancelled and returned orders") are data, not planner
code: they live in a table property ``neurolake.semantics`` (the demo loader writes the retail
ones) and in ``<workspace>/semantics.yaml``, which wins by name. The shape, in YAML::

    metrics:
      - name: revenue
        synonyms: [sales, turnover]
        description: Order totals, without cancelled and returned orders.
        definitions:            # first one whose table can reach the question's columns wins
          - table: shop.orders
            expression: sum(total_amount)
            filter: status NOT IN ('cancelled', 'returned')
          - table: shop.order_items
            expression: sum(quantity * unit_price)
            filter: orders.status NOT IN ('cancelled', 'returned')   # a joined table, by name
    filters:
      - name: active
        table: shop.customers
        condition: churned_at IS NULL
        synonyms: [current]

Expressions use the definition table's columns bare and other tables' columns qualified by table
name; the SQL generator re-aliases them. Entries that name unknown tables or do not parse are left
out and reported in :attr:`Semantics.problems`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from neurolake_lab.index.model import SchemaSnapshot

WORKSPACE_FILES = ("semantics.yaml", "semantics.yml", "semantics.json")


@dataclass(frozen=True)
class MetricDefinition:
    """How a metric is computed from one table (``expression`` is an aggregate)."""

    table: str
    expression: str
    filter: str | None = None


@dataclass(frozen=True)
class Metric:
    """A named measure ("revenue") with its synonyms and one definition per grain."""

    name: str
    synonyms: tuple[str, ...]
    description: str
    definitions: tuple[MetricDefinition, ...]

    @property
    def words(self) -> tuple[str, ...]:
        """The name and synonyms."""
        return (self.name, *self.synonyms)


@dataclass(frozen=True)
class NamedFilter:
    """A named condition on a table ("active" customers)."""

    name: str
    table: str
    condition: str
    synonyms: tuple[str, ...] = ()
    description: str = ""

    @property
    def words(self) -> tuple[str, ...]:
        """The name and synonyms."""
        return (self.name, *self.synonyms)


@dataclass(frozen=True)
class Semantics:
    """Every semantic definition in force, and what was wrong with the ones left out."""

    metrics: tuple[Metric, ...] = ()
    filters: tuple[NamedFilter, ...] = ()
    problems: tuple[str, ...] = field(default=())

    def metric(self, name: str) -> Metric | None:
        """The metric called ``name``."""
        return next((m for m in self.metrics if m.name == name), None)

    def to_json(self) -> dict[str, Any]:
        """The definitions in the file's shape (for prompts and reports)."""
        return {
            "metrics": [
                {
                    "name": m.name,
                    "synonyms": list(m.synonyms),
                    "description": m.description,
                    "definitions": [
                        {"table": d.table, "expression": d.expression, "filter": d.filter}
                        for d in m.definitions
                    ],
                }
                for m in self.metrics
            ],
            "filters": [
                {
                    "name": f.name,
                    "table": f.table,
                    "condition": f.condition,
                    "synonyms": list(f.synonyms),
                }
                for f in self.filters
            ],
        }


_FILE_CACHE: dict[Path, tuple[float, dict[str, Any] | str]] = {}


def read_workspace_file(root: Path) -> tuple[dict[str, Any], list[str]]:
    """The workspace's semantics file as a dict (cached by modification time), and problems."""
    for name in WORKSPACE_FILES:
        path = root / name
        try:
            mtime = path.stat().st_mtime
        except OSError:
            continue
        cached = _FILE_CACHE.get(path)
        if cached is None or cached[0] != mtime:
            cached = (mtime, _parse_file(path))
            _FILE_CACHE[path] = cached
        data = cached[1]
        if isinstance(data, str):
            return {}, [data]
        return data, []
    return {}, []


def _parse_file(path: Path) -> dict[str, Any] | str:
    try:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".json":
            data = json.loads(text)
        else:
            import yaml  # type: ignore[import-untyped]

            data = yaml.safe_load(text)
    except Exception as exc:  # any parse error is reported, never fatal to a question
        return f"{path.name} cannot be read: {exc}"
    if data is None:
        return {}
    if not isinstance(data, dict):
        return f"{path.name} must hold a mapping with 'metrics' and 'filters'"
    return data


def load_semantics(snapshot: SchemaSnapshot, workspace: Path | None) -> Semantics:
    """The semantic definitions of every table's property, then the workspace file's (winning)."""
    metrics: dict[str, Metric] = {}
    filters: dict[str, NamedFilter] = {}
    problems: list[str] = []
    sources: list[tuple[str, dict[str, Any], str]] = [
        (f"{tid} (neurolake.semantics)", dict(t.semantics), t.namespace)
        for tid, t in sorted(snapshot.tables.items())
        if t.semantics
    ]
    if workspace is not None:
        data, issues = read_workspace_file(workspace)
        problems.extend(issues)
        if data:
            sources.append(("semantics.yaml", data, ""))
    for where, data, namespace in sources:
        for item in _list(data.get("metrics")):
            metric = _metric(item, snapshot, namespace, where, problems)
            if metric is not None:
                metrics[metric.name] = metric
        for item in _list(data.get("filters")):
            named = _filter(item, snapshot, namespace, where, problems)
            if named is not None:
                filters[named.name] = named
    return Semantics(tuple(metrics.values()), tuple(filters.values()), tuple(problems))


def _list(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _words(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value.strip().lower(),)
    if isinstance(value, list):
        return tuple(str(v).strip().lower() for v in value if str(v).strip())
    return ()


def _table(name: Any, snapshot: SchemaSnapshot, namespace: str) -> str | None:
    if not isinstance(name, str) or not name.strip():
        return None
    name = name.strip()
    for candidate in (name, f"{namespace}.{name}" if namespace else name):
        found = snapshot.table(candidate)
        if found is not None:
            return found.id
    bare = [t for t in snapshot.tables.values() if t.name.lower() == name.lower()]
    return bare[0].id if len(bare) == 1 else None


def _parses(expression: str) -> bool:
    import sqlglot
    from sqlglot.errors import SqlglotError

    try:
        return sqlglot.parse_one(expression, read="duckdb") is not None
    except SqlglotError:
        return False


def _metric(
    item: dict[str, Any], snapshot: SchemaSnapshot, namespace: str, where: str, problems: list[str]
) -> Metric | None:
    name = str(item.get("name", "")).strip().lower()
    if not name:
        problems.append(f"{where}: a metric without a name was left out")
        return None
    definitions = []
    for d in _list(item.get("definitions")) or ([item] if "expression" in item else []):
        table = _table(d.get("table"), snapshot, namespace)
        expression = str(d.get("expression", "")).strip()
        condition = str(d.get("filter") or "").strip() or None
        if table is None:
            continue  # a definition for a table this workspace does not have
        if not expression or not _parses(expression) or (condition and not _parses(condition)):
            problems.append(f"{where}: metric {name!r} on {table} does not parse; left out")
            continue
        definitions.append(MetricDefinition(table, expression, condition))
    if not definitions:
        return None
    return Metric(
        name, _words(item.get("synonyms")), str(item.get("description", "")), tuple(definitions)
    )


def _filter(
    item: dict[str, Any], snapshot: SchemaSnapshot, namespace: str, where: str, problems: list[str]
) -> NamedFilter | None:
    name = str(item.get("name", "")).strip().lower()
    table = _table(item.get("table"), snapshot, namespace)
    condition = str(item.get("condition", "")).strip()
    if not name or table is None:
        return None
    if not condition or not _parses(condition):
        problems.append(f"{where}: filter {name!r} does not parse; left out")
        return None
    return NamedFilter(
        name, table, condition, _words(item.get("synonyms")), str(item.get("description", ""))
    )
