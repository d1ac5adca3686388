"""What each REST endpoint answers, as JSON-ready dicts made from a user's ``Session``.

Every function takes the session of the requesting Jupyter user (so the workspace's policies apply
to that identity exactly as in a kernel) and plain arguments; the handlers only parse parameters
and write JSON. Only the session's public API is used: ``tables``, ``snapshots``, ``lineage``,
``sql``, ``classify_pii``, ``set_pii``, ``audit``, ``policies`` and the metadata index the
``%%nl`` agents read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from neurolake_lab.compliance.audit import summary
from neurolake_lab.exceptions import UsageError

if TYPE_CHECKING:
    from neurolake_lab.compliance.audit.record import AuditRecord
    from neurolake_lab.index.model import SchemaSnapshot, TableInfo
    from neurolake_lab.session import Session

#: Audit decisions the Governance panel filters by.
DECISIONS = summary.DECISIONS


class NotFound(UsageError):
    """The table the request names does not exist (the API answers 404)."""


def page(items: list[Any], offset: int, limit: int) -> dict[str, Any]:
    """One page of ``items`` in the API's envelope: ``{items, total, offset, limit}``."""
    return {
        "items": items[offset : offset + limit],
        "total": len(items),
        "offset": offset,
        "limit": limit,
    }


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    return str(value)


def _json_number(value: Any) -> Any:
    """An integer too big for a JavaScript number (snapshot ids) as a string."""
    return str(value) if isinstance(value, int) and abs(value) > 2**53 - 1 else value


# -- the lakehouse ----------------------------------------------------------------------------


def _index(session: Session) -> SchemaSnapshot:
    """The metadata index's view of every table, refreshed against the catalog."""
    from neurolake_lab.agents import orchestrator_for

    session.tables()  # refreshes the session's view of the catalog first
    return orchestrator_for(session).index.refresh(session.query)


def _table_info(session: Session, table: str) -> TableInfo:
    info = _index(session).table(table)
    if info is None:
        raise NotFound(f"no table {table} in this workspace")
    return info


def _last_commit(session: Session, table: str) -> dict[str, Any] | None:
    rows = session.snapshots(table).arrow().slice(0, 1).to_pylist()
    if not rows:
        return None
    return {"snapshot_id": _json_number(rows[0]["snapshot_id"]),
            "committed_at": _iso(rows[0]["committed_at"]), "user": rows[0]["user"]}  # fmt: skip


def namespaces(session: Session) -> list[dict[str, Any]]:
    """Each namespace with how many tables it holds."""
    counts: dict[str, int] = {}
    for tid in _index(session).tables:
        ns = tid.split(".", 1)[0]
        counts[ns] = counts.get(ns, 0) + 1
    return [{"name": ns, "tables": n} for ns, n in sorted(counts.items())]


def tables(session: Session, namespace: str | None) -> list[dict[str, Any]]:
    """The tables (of one namespace, or all), with description, columns, rows, PII count."""
    out = []
    for tid, info in _index(session).tables.items():
        ns, name = tid.split(".", 1)
        if namespace is not None and ns != namespace:
            continue
        out.append(
            {
                "id": tid,
                "namespace": ns,
                "name": name,
                "description": info.description,
                "columns": len(info.columns),
                "rows": info.rows,
                "pii_columns": sum(1 for c in info.columns if c.is_pii),
                "snapshot_id": _json_number(info.snapshot_id),
            }
        )
    return out


def table_detail(session: Session, table: str) -> dict[str, Any]:
    """One table: its columns (type, description, PII tag), rows and the last commit."""
    info = _table_info(session, table)
    ns, name = info.id.split(".", 1)
    return {
        "id": info.id,
        "namespace": ns,
        "name": name,
        "description": info.description,
        "rows": info.rows,
        "snapshot_id": _json_number(info.snapshot_id),
        "last_commit": _last_commit(session, info.id),
        "primary_key": list(info.primary_key),
        "columns": [
            {
                "name": c.name,
                "type": c.data_type,
                "description": c.description,
                "pii": c.pii_entity,
                "pii_source": c.pii_source,
            }
            for c in info.columns
        ],
    }


def snapshots(session: Session, table: str) -> list[dict[str, Any]]:
    """The table's snapshots, newest first, each with a ``FOR VERSION AS OF`` query."""
    info = _table_info(session, table)
    rows = session.snapshots(info.id).arrow().to_pylist()
    return [
        {
            "snapshot_id": _json_number(r["snapshot_id"]),
            "committed_at": _iso(r["committed_at"]),
            "operation": r["operation"],
            "rows_added": r["rows_added"],
            "rows_removed": r["rows_removed"],
            "total_rows": r["total_rows"],
            "user": r["user"],
            "current": r["current"],
            "query": f"SELECT * FROM {info.id} FOR VERSION AS OF {r['snapshot_id']}",
        }
        for r in rows
    ]


def table_lineage(session: Session, table: str, direction: str, depth: int) -> dict[str, Any]:
    """The tables ``table`` was made from (upstream) or that were made from it (downstream)."""
    info = _table_info(session, table)
    graph = session.lineage(info.id, direction, depth)
    edges = graph.to_report()["edges"]

    def of(column_id: str) -> str:
        return column_id.rsplit(".", 1)[0]

    pairs = {(of(e["source"]), of(e["target"])) for e in edges}
    links = sorted((s, t) for s, t in pairs if s != t)
    related = {s for s, _ in links} | {t for _, t in links}
    return {
        "table": info.id,
        "direction": direction,
        "tables": sorted(related - {info.id}),
        "links": [{"source": s, "target": t} for s, t in links],
        "edges": edges,
    }


def sample(session: Session, table: str, limit: int) -> dict[str, Any]:
    """The first rows of ``table`` as the requesting user may see them (policies applied)."""
    from neurolake_lab.report import preview_rows

    info = _table_info(session, table)
    result = session.sql(f"SELECT * FROM {info.id} LIMIT {int(limit)}")
    arrow = result.arrow()
    report = result.report
    return {
        "table": info.id,
        "columns": report["result"]["columns"],
        "rows": preview_rows(arrow, limit),
        "masked": [m["column"] for m in report["compliance"]["masked"]],
        "denied": [d["column"] for d in report["compliance"]["denied"]],
        "audit_id": report["audit_id"],
    }


def search(session: Session, query: str, limit: int) -> list[dict[str, Any]]:
    """Tables and columns for a search box: name matches first, then the index's nearest."""
    snapshot = _index(session)
    needle = query.lower()
    hits: dict[str, dict[str, Any]] = {}

    def add(kind: str, table: TableInfo, column: str | None, score: float) -> None:
        key = f"{table.id}.{column}" if column else table.id
        if key not in hits:
            col = table.column(column) if column else None
            hits[key] = {
                "kind": kind,
                "id": key,
                "table": table.id,
                "column": column,
                "description": col.description if col else table.description,
                "type": col.data_type if col else None,
                "pii": col.pii_entity if col else None,
                "score": round(score, 4),
            }

    for info in snapshot.tables.values():
        if needle in info.id.lower():
            add("table", info, None, 1.0)
        for col in info.columns:
            if needle in col.name.lower():
                add("column", info, col.name, 1.0)
    from neurolake_lab.agents import orchestrator_for

    for hit in orchestrator_for(session).index.relevant(query, limit):
        found = snapshot.table(hit.table)
        if found is not None and hit.score > 0.2:
            add(hit.kind, found, hit.column, hit.score)
    return list(hits.values())[:limit]


# -- governance -------------------------------------------------------------------------------


def decision(record: AuditRecord) -> str:
    """How the policies treated one audited statement (one of ``DECISIONS``)."""
    return summary.decision(record.data)


def _record_tables(record: AuditRecord) -> set[str]:
    data = record.data
    found = set(data.get("tables") or {}) | set(data.get("sources") or {})
    if isinstance(data.get("table"), str):
        found.add(data["table"])
    return {t.lower() for t in found}


def audit(
    session: Session, *, user: str | None, table: str | None, decided: str | None
) -> Iterator[dict[str, Any]]:
    """Audit records, latest first, filtered by user, table read or written, and decision."""
    records = list(session.audit.records())
    for record in reversed(records):
        if user is not None and record.user != user:
            continue
        if table is not None and table.lower() not in _record_tables(record):
            continue
        found = decision(record)
        if decided is not None and found != decided:
            continue
        data = record.data
        yield {
            "seq": record.seq,
            "id": record.id,
            "time": record.ts,
            "user": record.user,
            "kind": record.kind,
            "decision": found,
            "sql": data.get("sql") or data.get("question"),
            "question": data.get("question"),
            "what": summary.describe(record.kind, data),
            "tables": sorted(_record_tables(record)),
            "masked": [m.get("column") for m in data.get("masked", []) if isinstance(m, dict)],
            "error": data.get("error"),
        }


def verify(session: Session) -> dict[str, Any]:
    """Whether the audit log is intact (``%audit --verify``)."""
    found = session.audit.verify()
    return {"ok": found.ok, "records": found.records, "first_bad": found.first_bad,
            "reason": found.reason, "incomplete_tail": found.incomplete_tail}  # fmt: skip


def policies(session: Session) -> dict[str, Any]:
    """The policy in force: the file's text, its version and source, its validation error."""
    store = session.policies
    policy = store.current()
    text = store.stored_text()
    error = policy.error
    return {
        "path": store.location,
        "exists": text is not None,
        "text": text,
        "version": policy.version,
        "source": policy.source,
        "mode": policy.mode,
        "owner": policy.owner,
        "errors": [] if error is None else [{"message": error.message, "hint": error.hint}],
        "rules": len(policy.rules),
        "row_filters": len(policy.row_filters),
    }


def pii(session: Session, table: str) -> list[dict[str, Any]]:
    """The PII classification of every column, with confidence and whether it was overridden."""
    info = _table_info(session, table)
    return [
        {
            "column": column,
            "entity": tag.entity,
            "entities": list(tag.entities),
            "confidence": round(tag.score, 4),
            "category": tag.category,
            "free_text": tag.free_text,
            "source": tag.source,
            "origin": list(tag.origin),
        }
        for column, tag in session.classify_pii(info.id).items()
    ]


def set_pii(session: Session, table: str, column: str, entity: str | None) -> dict[str, Any]:
    """Override one column's PII tag (the owner only; the handler checks)."""
    info = _table_info(session, table)
    tag = session.set_pii(info.id, column, entity)
    return {"column": column, "entity": tag.entity, "source": tag.source,
            "confidence": round(tag.score, 4)}  # fmt: skip
