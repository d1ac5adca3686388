"""How a question was read, from its intent: one sentence, then how each part was read.

Shown above the SQL of a ``%%nl`` cell and kept in ``NLResult.explanation``, so that a person can
see at a glance whether the reading was right ("Counted rows of retail.customers where churned_at
is in last month.") without reading the SQL. The second part lists each piece of the question with
its reading ("'unresolved' -> resolved_at is empty; 'last month' -> opened_at from ... to ...")
so that a word read differently from what was meant is visible at once.
"""

from __future__ import annotations

from typing import Any

from neurolake_lab.agents.intent import Filter, Intent, Measure

_OPS = {
    "=": "is", "!=": "is not", "in": "is one of", "not in": "is none of", "<": "<", "<=": "<=",
    ">": ">", ">=": ">=", "between": "is between", "is null": "is empty",
    "is not null": "is set", "is true": "is true", "is false": "is false",
}  # fmt: skip


def _short(column_id: str | None) -> str:
    return (column_id or "").rpartition(".")[2]


def _value(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_value(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value) if isinstance(value, str) else str(value)


def describe_filter(f: Filter) -> str:
    """``country is 'Germany'``."""
    if f.op == "sql":
        return f"{f.text or f.sql}"
    if f.value is None or f.op.startswith("is"):
        return f"{_short(f.column)} {_OPS.get(f.op, f.op)}"
    return f"{_short(f.column)} {_OPS.get(f.op, f.op)} {_value(f.value)}"


def describe_measure(m: Measure) -> str:
    """``the average of total_amount``, ``revenue``, ``the number of rows``."""
    names = {"avg": "average", "sum": "total", "median": "median", "min": "minimum",
             "max": "maximum"}  # fmt: skip
    if m.func == "count":
        return "the number of rows"
    if m.func == "count_distinct":
        return f"the number of distinct {_short(m.column)} values"
    if m.func == "metric":
        return f"{m.metric} (as the workspace defines it)"
    if m.func == "share":
        what = " and ".join(describe_filter(f) for f in m.condition) or "the condition"
        base = f"{m.metric}" if m.metric else "rows"
        return f"the share of {base} where {what}"
    if m.func.endswith("_count"):
        per = (m.per or "").rpartition(".")[2]
        return (
            f"the {names.get(m.func.split('_')[0], 'average')} number of {m.table} rows per {per}"
        )
    if m.duration:
        start, end = (_short(c) for c in m.duration)
        return f"the {names.get(m.func, m.func)} time from {start} to {end} in {m.unit}s"
    return f"the {names.get(m.func, m.func)} of {_short(m.column)}"


def readings(intent: Intent) -> list[tuple[str, str]]:
    """(words of the question, how they were read), in the order the question has them."""
    out: list[tuple[str, str]] = []

    asked = intent.question.lower()

    def add(words: str, reading: str) -> None:
        if words and words.lower() in asked and all(w != words for w, _ in out):
            out.append((words, reading))

    for f in intent.filters:
        add(f.text, describe_filter(f))
    for rel in intent.relations:
        inner = ", ".join(describe_filter(f) for f in rel.filters)
        what = f"{rel.min_count[0]} {_value(rel.min_count[1])} rows" if rel.min_count else (
            "no rows" if rel.negated else "some rows")  # fmt: skip
        add(rel.text, f"{what} of {rel.table}" + (f" where {inner}" if inner else ""))
    windows = [intent.window] + [r.window for r in intent.relations]
    for w in windows:
        if w is not None:
            bounds = " and ".join(
                b for b in [f">= {w.start}" if w.start else "", f"< {w.end}" if w.end else ""] if b
            )
            add(w.text, f"{_short(w.column) or 'the main date'} {bounds}")
    for g in intent.grouping:
        add(g.text, f"per {g.grain + ' of ' if g.grain else ''}{_short(g.column) or g.table}")
    for words, reading in intent.readings:
        add(words, reading)
    return out


def explain(intent: Intent, notes: list[str] | None = None) -> str:
    """How ``intent`` reads, in one or two sentences."""
    entity = intent.entity or "the tables"
    parts: list[str] = []
    if intent.action == "list":
        parts.append(f"Listed rows of {entity}")
    elif intent.action == "count" and len(intent.measures) == 1:
        table = intent.measures[0].table or entity
        parts.append(f"Counted rows of {table}")
    elif intent.measures:
        parts.append("Computed " + " and ".join(describe_measure(m) for m in intent.measures))
    else:
        parts.append(f"Read the question against {entity}")
    conds = [describe_filter(f) for f in intent.filters]
    if intent.window is not None:
        column = _short(intent.window.column) or "the main date"
        conds.append(f"{column} in {intent.window.text}")
    for rel in intent.relations:
        table = rel.table.rpartition(".")[2]
        if rel.min_count is not None:
            op, n = rel.min_count
            conds.append(f"{op} {_value(n)} {table}")
        else:
            inner = [describe_filter(f) for f in rel.filters]
            if rel.window is not None:
                inner.append(f"{_short(rel.window.column) or 'date'} in {rel.window.text}")
            detail = f" ({', '.join(inner)})" if inner else ""
            conds.append(f"{'no' if rel.negated else 'some'} {table}{detail}")
    if conds:
        parts.append("where " + " and ".join(conds))
    groups = []
    for g in intent.grouping:
        if g.grain:
            groups.append(f"{g.grain} of {_short(g.column) or 'the date'}")
        elif g.table:
            groups.append(f"row of {g.table.rpartition('.')[2]}")
        elif g.column:
            groups.append(_short(g.column))
    if groups:
        parts.append("per " + ", ".join(groups))
    if intent.having:
        parts.append("keeping groups where " + " and ".join(
            f"the value {f.op} {_value(f.value)}" for f in intent.having))  # fmt: skip
    if intent.order:
        o = intent.order[0]
        if o.column:
            key = _short(o.column)
        elif o.measure is not None and o.measure < len(intent.measures):
            key = intent.measures[o.measure].label or "the value"
        else:
            key = "the value"
        if intent.limit:
            edge = "top" if o.descending else "bottom"
            parts.append(f"keeping the {edge} {intent.limit} by {key}")
        else:
            parts.append(f"ordered by {key}, {'highest' if o.descending else 'lowest'} first")
    elif intent.limit:
        parts.append(f"at most {intent.limit} rows")
    sentence = " ".join(parts).strip() + "."
    extra = [n for n in (notes or intent.notes) if n]
    if intent.remove_pii:
        extra.insert(0, "PII columns are left out")
    if extra:
        note = "; ".join(extra[:3])
        sentence += " " + note[:1].upper() + note[1:] + "."
    read = readings(intent) if intent.source == "planner" else []
    if read:
        sentence += " Read as: " + "; ".join(f"{w!r} -> {r}" for w, r in read) + "."
    return sentence
