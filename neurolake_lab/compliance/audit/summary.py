"""Audit records read by people: the policy decision a record carries, and one line saying what.

``%audit``, the CLI and the Governance panel show each record as one line. Every kind the system
writes (:data:`~neurolake_lab.compliance.audit.record.KINDS`) has its own wording here, so no
record shows an empty "what"; a kind added without one still gets its fields, never nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

#: How the policies treated an audited statement (the Governance panel filters by these).
DECISIONS = ("allowed", "masked", "filtered", "denied", "error")


def decision(data: Mapping[str, Any]) -> str:
    """The policy decision a record of a statement carries: one of :data:`DECISIONS`."""
    error = str(data.get("error") or "")
    if error:
        lowered = error.lower()
        policy = lowered.startswith(("policy", "access denied", "denied", "refused"))
        return "denied" if policy else "error"
    if data.get("denied") or data.get("refusals"):
        return "denied"
    if data.get("masked"):
        return "masked"
    if data.get("row_filters"):
        return "filtered"
    return "allowed"


def _columns(items: Any) -> str:
    names = [str(i.get("column", "")) for i in items or [] if isinstance(i, Mapping)]
    return ", ".join(n.rsplit(".", 1)[-1] for n in names if n)


def _decided(data: Mapping[str, Any]) -> str:
    """``  [masked: email, phone]``: what the policies did, when they did something."""
    found = decision(data)
    if found == "allowed":
        return ""
    if found == "masked":
        return f"  [masked: {_columns(data.get('masked'))}]"
    if found == "filtered":
        tables = sorted({str(f.get("table")) for f in data.get("row_filters") or []})
        return f"  [rows filtered: {', '.join(tables)}]"
    if found == "denied" and data.get("denied"):
        return f"  [denied: {_columns(data.get('denied'))}]"
    return f"  [{found}]" if not data.get("error") else ""


def _rows(data: Mapping[str, Any]) -> str:
    rows = data.get("rows")
    if not isinstance(rows, int):
        return ""
    return f"  → {rows:,} row" + ("" if rows == 1 else "s")


def _statement(data: Mapping[str, Any]) -> str:
    what = str(data.get("sql") or "")
    if data.get("error"):
        return f"{what}  ✗ {data['error']}"
    return f"{what}{_rows(data)}{_decided(data)}"


def _nl(data: Mapping[str, Any]) -> str:
    question = str(data.get("question") or "")
    sql = str(data.get("sql") or "")
    text = f"“{question}”" + (f" → {sql}" if sql else "")
    if data.get("error"):
        return f"{text}  ✗ {data['error']}"
    return text + _rows(data) + _decided(data)


def _write(data: Mapping[str, Any]) -> str:
    if data.get("error"):
        return f"{data.get('sql') or data.get('table') or ''}  ✗ {data['error']}"
    op = str(data.get("operation") or "write")
    table = str(data.get("table") or "")
    counts = [f"+{data['rows_added']:,}" if data.get("rows_added") else "",
              f"-{data['rows_removed']:,}" if data.get("rows_removed") else ""]  # fmt: skip
    shown = " ".join(c for c in counts if c)
    head = f"{op} {table}" + (f" ({shown} rows)" if shown else "")
    sql = data.get("sql")
    return f"{head}: {sql}" if sql else head


def _policy_change(data: Mapping[str, Any]) -> str:
    if data.get("action") == "pii override":
        entity = data.get("entity") or "not PII"
        return f"PII tag of {data.get('table')}.{data.get('column')} set to {entity}"
    old, new = data.get("old_version"), data.get("new_version")
    text = f"policy {old or '(none)'} → {new or '(none)'}"
    if data.get("source"):
        text += f" ({data['source']})"
    if data.get("error"):
        text += f"  ✗ {data['error']}"
    return text


def _refusal(data: Mapping[str, Any]) -> str:
    rules = [str(r.get("rule")) for r in data.get("refusals") or [] if isinstance(r, Mapping)]
    why = f"refused by rule {', '.join(rules)}" if rules else "refused"
    if data.get("denied"):
        why = f"denied: {_columns(data.get('denied'))}"
    return f"{data.get('sql') or ''}  ✗ {why}"


def _erasure(data: Mapping[str, Any]) -> str:
    return (
        f"erased {data.get('rows_removed', 0):,} rows of {data.get('table')} where "
        f"{data.get('predicate')} ({data.get('snapshots_expired', 0)} snapshots expired)"
    )


def _maintenance(data: Mapping[str, Any]) -> str:
    action = data.get("action")
    if action:
        return f"{action} on {data.get('table')}"
    parts = [f"{data.get(k, 0)} {label}" for k, label in (
        ("expired", "snapshots expired"), ("files_compacted", "files compacted"),
        ("orphans_removed", "orphans removed"))]  # fmt: skip
    return f"maintenance of {data.get('table')}: " + ", ".join(parts)


def _pipeline(data: Mapping[str, Any]) -> str:
    text = f"pipeline {data.get('pipeline')}: {data.get('action')}"
    if data.get("table"):
        text += f" → {data['table']}"
    if data.get("reason"):
        text += f" ({data['reason']})"
    return text


def _pipeline_run(data: Mapping[str, Any]) -> str:
    text = f"pipeline {data.get('pipeline')} run {data.get('status')}"
    if isinstance(data.get("rows"), int):
        text += f": {data['rows']:,} rows into {data.get('table')}"
    if data.get("error"):
        text += f"  ✗ {data['error']}"
    return text


def _pipeline_incident(data: Mapping[str, Any]) -> str:
    text = f"pipeline {data.get('pipeline')} incident ({data.get('check')}, {data.get('status')})"
    detail = data.get("action") or data.get("detail")
    return f"{text}: {detail}" if detail else text


def _nl_feedback(data: Mapping[str, Any]) -> str:
    return f"{data.get('verdict', 'feedback')} of “{data.get('question', '')}”"


_BY_KIND: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "query": _statement,
    "nl": _nl,
    "write": _write,
    "policy_decision": _refusal,
    "policy_change": _policy_change,
    "refusal": _refusal,
    "erasure": _erasure,
    "maintenance": _maintenance,
    "pipeline": _pipeline,
    "pipeline_run": _pipeline_run,
    "pipeline_incident": _pipeline_incident,
    "nl_feedback": _nl_feedback,
}


def describe(kind: str, data: Mapping[str, Any]) -> str:
    """One line saying what an audit record of ``kind`` with ``data`` records."""
    summarize = _BY_KIND.get(kind)
    text = summarize(data) if summarize is not None else ""
    if not text.strip():  # an unknown kind: its fields, so the line is never empty
        text = ", ".join(f"{k}={v}" for k, v in sorted(data.items()) if v not in (None, ""))
    return text or kind
