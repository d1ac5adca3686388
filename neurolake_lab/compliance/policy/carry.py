"""No laundering through writes: PII tags follow the data into the table a CTAS/INSERT fills.

A target column whose value is derived (``IDENTITY``, ``TRANSFORMATION`` or ``AGGREGATION``
lineage) from a PII column must carry a PII tag too, whether the copy was masked or not: a hash of
an e-mail address is still about that person, and a later reader must not see the copy as clean.
Only aggregates that reveal no value (``count``, ``approx_count_distinct``) carry nothing.

Example:
    >>> carried = carry_tags(
    ...     "CREATE TABLE crm.export AS SELECT id, lower(email) AS contact FROM crm.people",
    ...     schema={"crm.people": {"id": "INTEGER", "email": "VARCHAR"}},
    ...     tags={"crm.people": {"email": {"entity": "EMAIL_ADDRESS", "entities": ["EMAIL_ADDRESS"],
    ...                                    "category": "identifier", "score": 0.9}}},
    ... )
    >>> carried["contact"].tag["entity"], carried["contact"].sources
    ('EMAIL_ADDRESS', ('crm.people.email',))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlglot import exp

from neurolake_lab.compliance.policy.model import TagInfo
from neurolake_lab.compliance.policy.tables import Schema

#: How strongly a category protects, most first: the carried tag keeps the strongest.
_CATEGORY_RANK: Final = {"sensitive": 0, "identifier": 1, "quasi-identifier": 2}


@dataclass(frozen=True)
class CarriedTag:
    """The tag a target column must get, and the PII columns it comes from.

    ``tag`` has ``PiiTag.to_json()``'s shape with ``source: "carried"`` (so classification of
    the new table does not replace it) and ``origin`` its sources, and ``score`` the highest of
    its sources'.
    """

    column: str
    tag: dict[str, Any]
    sources: tuple[str, ...]


def carry_tags(
    statement: str | exp.Expr,
    *,
    schema: Schema,
    tags: Mapping[str, Mapping[str, Any]],
    target_columns: Sequence[str] | None = None,
    target_tags: Mapping[str, Any] | None = None,
) -> dict[str, CarriedTag]:
    """The PII tags the columns written by a CTAS or INSERT must carry.

    Args:
        statement: The CTAS/INSERT (or just its source query, with ``target_columns``).
        schema: ``{"ns.table": {column: duckdb_type}}`` of the tables it reads.
        tags: ``{"ns.table": {column: tag}}`` of those tables.
        target_columns: The target's columns in the order the query fills them (needed when
            ``statement`` is a bare query, or to map an INSERT without a column list).
        target_tags: The target's current tags (``{column: tag}``), if it exists already.

    Returns:
        Target column → the tag it must get; only columns whose current tag lacks an entity of
        their sources are listed.
    """
    from neurolake_lab.lineage import query_lineage

    graph = query_lineage(statement, {t: dict(c) for t, c in schema.items()})
    pii: dict[str, TagInfo] = {}
    scores: dict[str, float] = {}
    for table, columns in tags.items():
        for column, tag in columns.items():
            info = TagInfo.of(tag)
            if info is not None and info.is_pii:
                key = f"{table}.{column}".lower()
                pii[key] = info
                scores[key] = _score(tag)
    names = _target_names(graph.outputs, target_columns)
    sources: dict[str, list[str]] = {}
    for edge in graph.edges:
        if not edge.direct or (edge.masked and edge.kind == "AGGREGATION"):
            continue  # a count of e-mail addresses is about no one; a hash of one still is
        if edge.source.lower() in pii and edge.target in names:
            found = sources.setdefault(names[edge.target], [])
            if edge.source.lower() not in found:
                found.append(edge.source.lower())

    current = {str(c).lower(): TagInfo.of(t) for c, t in (target_tags or {}).items()}
    out: dict[str, CarriedTag] = {}
    for column, found in sources.items():
        infos = [pii[s] for s in found]
        entities: list[str] = []
        for info in infos:
            for entity in (info.entity, *info.entities):
                if entity and entity not in entities:
                    entities.append(entity)
        have = current.get(column.lower())
        if have is not None and have.is_pii and set(entities) <= {have.entity, *have.entities}:
            continue
        if have is not None and have.is_pii:
            entities += [e for e in (have.entity, *have.entities) if e and e not in entities]
        strongest = min(infos, key=lambda i: _CATEGORY_RANK.get(i.category or "identifier", 1))
        entity = strongest.entity or strongest.entities[0]
        out[column] = CarriedTag(
            column=column,
            tag={
                "entity": entity,
                "entities": entities,
                "score": max(scores[s] for s in found),
                "category": strongest.category or "identifier",
                "free_text": False,
                "source": "carried",
                "origin": list(found),
            },
            sources=tuple(found),
        )
    return out


def _target_names(outputs: Sequence[str], target_columns: Sequence[str] | None) -> dict[str, str]:
    """Lineage target id → target column name."""
    if target_columns is not None:
        return {out: str(col) for out, col in zip(outputs, target_columns, strict=False)}
    return {out: out.rsplit(".", 1)[-1] for out in outputs}


def _score(tag: object) -> float:
    value = tag.get("score") if isinstance(tag, Mapping) else getattr(tag, "score", None)
    return float(value) if isinstance(value, int | float) else 1.0
