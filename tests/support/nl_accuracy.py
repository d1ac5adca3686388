"""Execution accuracy of question sets: run each question, compare result sets with its SQL's.

The comparison follows the project's reference scorer for question sets: every column of the
reference result must match a distinct column of the answer (values compared as floats, dates as
ISO text), ignoring column names and, unless the item says ``ordered``, row order; extra answer
columns are allowed. ``no_pii`` items fail when any PII value of the demo's customers appears in
clear text (``hr_no_pii`` likewise for the HR schema's tagged columns).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

RETAIL_PII = [
    "full_name",
    "email",
    "phone",
    "street_address",
    "credit_card_number",
    "last_login_ip",
    "date_of_birth",
]
HR_PII = ["full_name", "work_email", "birth_date"]


def load_items(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _norm(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, dt.datetime):
        if v.time() == dt.time(0) and v.tzinfo is None:
            return v.date().isoformat()
        return v.isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, bool):
        return float(v)
    if isinstance(v, int | float):
        return float(v)
    return str(v)


def _close(a: Any, b: Any, tol: float) -> bool:
    if a is None or b is None:
        return a is b
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) and math.isnan(b):
            return True
        return abs(a - b) <= max(tol, 1e-6 * max(abs(a), abs(b)))
    return bool(a == b)


def _seq_match(g: list[Any], p: list[Any], tol: float, ordered: bool, scale_free: bool) -> bool:
    if len(g) != len(p):
        return False
    for f in [1.0, 100.0, 0.01] if scale_free else [1.0]:
        pp = [x * f if isinstance(x, float) else x for x in p]
        if not ordered:

            def key(x: Any) -> tuple[bool, str, Any]:
                return (x is None, str(type(x)), x if x is not None else 0)

            try:
                gs, ps = sorted(g, key=key), sorted(pp, key=key)
            except TypeError:
                gs, ps = sorted(map(str, g)), sorted(map(str, pp))
        else:
            gs, ps = g, pp
        if all(_close(a, b, tol) for a, b in zip(gs, ps, strict=True)):
            return True
    return False


def result_match(gold: Any, pred: Any, item: dict[str, Any]) -> bool:
    tol = item.get("tolerance", 1e-6)
    g = {k: [_norm(x) for x in v] for k, v in gold.to_pydict().items()}
    p = {k: [_norm(x) for x in v] for k, v in pred.to_pydict().items()}
    if not g:
        return False
    n = len(next(iter(g.values())))
    if p and len(next(iter(p.values()))) != n:
        return False
    if item.get("ordered_counts_only"):
        g = {k: v for k, v in g.items() if all(isinstance(x, float) for x in v if x is not None)}
    used: set[str] = set()
    for gvals in g.values():
        hit = next(
            (
                name
                for name, pvals in p.items()
                if name not in used
                and _seq_match(
                    gvals, pvals, tol, item.get("ordered", False), item.get("scale_free", False)
                )
            ),
            None,
        )
        if hit is None:
            return False
        used.add(hit)
    return True


def leaks(session: Any, pred: Any, table: str, columns: list[str]) -> bool:
    clear: set[str] = set()
    values = session.sql(f"SELECT {', '.join(columns)} FROM {table}").arrow().to_pydict()
    for col in columns:
        clear.update(str(x) for x in values[col] if x is not None)
    return any(
        x is not None and str(x) in clear for vals in pred.to_pydict().values() for x in vals
    )


@dataclass
class Score:
    ok: int = 0
    total: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.ok / self.total if self.total else 0.0


def score(session: Any, items: list[dict[str, Any]]) -> Score:
    """Ask every question standing alone and compare with its reference SQL."""
    out = Score()
    for item in items:
        out.total += 1
        try:
            answer = session.ask(item["question"])
            pred = answer.result.arrow()
            golds = [session.sql(item["sql"]).arrow()] + [
                session.sql(a).arrow() for a in item.get("alt_sql", [])
            ]
            good = any(result_match(g, pred, item) for g in golds)
            if good and item.get("no_pii"):
                good = not leaks(session, pred, "retail.customers", RETAIL_PII)
            if good and item.get("hr_no_pii"):
                good = not leaks(session, pred, "hr.employees", HR_PII)
            why = "" if good else f"mismatch: {answer.sql!r}"
        except Exception as exc:  # a failure to answer counts as wrong
            good, why = False, f"{type(exc).__name__}: {str(exc)[:200]}"
        out.ok += good
        if not good:
            out.failures.append(f"{item.get('id')} {item['question']!r}: {why}")
    return out
