"""Which columns of the governed tables a statement reads, without resolving its scopes.

The answer errs on the side of *more*: a column counts when a column of that name appears
qualified by the reference's alias or unqualified, and every column counts under a star
(``*``, ``alias.*``, ``COLUMNS(...)``) or when the alias itself is read as a value (DuckDB packs
the whole row into a struct). It names the PII a query touches in the report and the denied
columns it may need; the exact lineage then narrows the latter (``enforce``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlglot import exp


def referenced_columns(
    root: exp.Expr, refs: Iterable[tuple[exp.Table, str]], columns: Mapping[str, Mapping[str, str]]
) -> dict[str, set[str]]:
    """Lower-cased columns each governed table (``ns.t``) may be read for.

    Args:
        root: The statement.
        refs: Governed references and the table each names.
        columns: ``ns.t`` → lower-cased column → type.
    """
    aliases: dict[str, list[str]] = {}
    for ref, table in refs:
        aliases.setdefault(ref.alias_or_name.lower(), []).append(table)
    tables = sorted({t for ts in aliases.values() for t in ts})
    out: dict[str, set[str]] = {t: set() for t in tables}
    if not tables:
        return out

    def everything(qualifier: str, excluded: set[str]) -> None:
        for table in aliases.get(qualifier, ()) if qualifier else tables:
            out[table] |= set(columns.get(table, {})) - excluded

    for node in root.walk():
        if isinstance(node, exp.Column):
            star = node.this
            qualifier = node.table.lower()
            if isinstance(star, exp.Star):
                everything(qualifier, _excluded(star))
                continue
            name = node.name.lower()
            if not qualifier and name in aliases:
                everything(name, set())  # the alias as a value: the whole row as a struct
            for table in aliases.get(qualifier, ()) if qualifier else tables:
                if name in columns.get(table, {}):
                    out[table].add(name)
        elif isinstance(node, exp.Star) and _is_projection(node):
            everything("", _excluded(node))
        elif isinstance(node, exp.Columns):
            everything("", set())
        elif isinstance(node, exp.Summarize | exp.Pivot) and isinstance(node.this, exp.Table):
            everything(node.this.alias_or_name.lower(), set())  # every column, summarised
    return out


def _is_projection(star: exp.Star) -> bool:
    parent = star.parent
    return isinstance(parent, exp.Select | exp.Returning) and star.arg_key == "expressions"


def _excluded(star: exp.Star) -> set[str]:
    """Columns a star's EXCLUDE drops (REPLACE keeps them: they are read)."""
    return {e.name.lower() for e in star.args.get("except_") or []}
