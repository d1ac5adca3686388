"""The oracle test: a non-owner learns not one bit about a masked value through any public method.

Two workspaces are built the same way, except for one masked value (customer 1's email and
customer 2's phone). An analyst then asks both the same things through every public way there is
— queries that filter, order, group, join, cast and fail on the masked columns, time travel,
writes with a grant (the rows they change), refused management calls, exploration, preflight,
EXPLAIN, cost prediction, questions, history and the audit trail — and every answer must be the
same in both worlds, once what differs by nature is set aside: ids, times, and — like timings,
which the issue sets aside — sizes (estimated bytes follow the bytes stored) and the cost
model's confidence (learned from durations). A difference is a leaked bit. Masking is ``redact`` here: a hash keeps equal values equal by
design (docs/policies.md), so its output depends on the value.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

import neurolake_lab
from neurolake_lab.exceptions import NeuroLakeError

POLICY = """\
defaults: {pii: mask, method: redact}
roles: {analyst: {}}
users: {analyst: {roles: [analyst]}}
grants:
  - {name: writes, roles: [analyst], tables: [retail.customers], privileges: [write]}
"""
WORLDS = {
    "a": ("gina@example.com", "+1 212 555 0101"),
    "b": ("zz.top.long.address@other-domain.org", "+44 20 7946 0958"),
}
T = "retail.customers"
PROBES = [
    f"SELECT * FROM {T} ORDER BY customer_id",
    f"SELECT count(*) FROM {T} WHERE email = 'gina@example.com'",
    f"SELECT count(*) FROM {T} WHERE email LIKE 'g%' OR phone LIKE '+1%'",
    f"SELECT customer_id, length(email), upper(email), email < 'm', phone > '+2' FROM {T} "
    "ORDER BY customer_id",
    f"SELECT count(DISTINCT email), min(email), max(email), min(phone) FROM {T}",
    f"SELECT customer_id FROM {T} ORDER BY email, phone, customer_id",
    f"WITH x AS (SELECT * FROM {T}) SELECT customer_id FROM x WHERE contains(email, 'example') "
    "ORDER BY 1",
    f"SELECT to_json(c) AS j FROM {T} AS c ORDER BY customer_id",
    f"SELECT sum(CASE WHEN regexp_matches(email, '^g') THEN 1 ELSE 0 END) AS n FROM {T}",
    f"SELECT c.customer_id FROM {T} c JOIN (VALUES ('gina@example.com')) v(e) ON c.email = v.e",
    f"SELECT customer_id, 1 / (CASE WHEN email LIKE 'g%' THEN 0 ELSE 1 END) FROM {T}",
    f"SELECT CAST(email AS INTEGER) FROM {T}",
    f"SELECT email FROM {T} GROUP BY email HAVING count(*) > 0 ORDER BY 1",
    f"SELECT * FROM {T} FOR VERSION AS OF $first ORDER BY customer_id",
    f"SUMMARIZE {T}",
    f"UPDATE {T} SET country = country WHERE email LIKE 'g%'",
    f"DELETE FROM {T} WHERE email = 'gina@example.com' OR phone = '+1 212 555 0101'",
    f"UPDATE {T} SET note = email WHERE customer_id = 1",
    f"SELECT note FROM {T} ORDER BY customer_id",
]

_DROP = re.compile(
    r"(^|_)(id|ids|ms|ts|seq|prev|hash|mac|at|time|timings|snapshot|snapshots|parent|bytes"
    r"|confidence)$"
)
#: Columns of the data (kept, whatever their names look like).
_DATA = frozenset({"customer_id"})
_NOISE = [
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I), "<uuid>"),
    (re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d+)?(\+\d\d:?\d\d|Z)?"), "<time>"),
    (re.compile(r"\b\d{12,}\b"), "<number>"),
    (re.compile(r"\b[0-9a-f]{16,}\b"), "<hex>"),
    (re.compile(r"\d+(\.\d+)? ?(ms|s)\b"), "<duration>"),
]


def _normal(value: Any, root: str) -> Any:
    """What a user sees, without what differs by nature: ids, times, durations, the folder."""
    if isinstance(value, dict):
        return {
            k: _normal(v, root)
            for k, v in sorted(value.items())
            if k in _DATA or not _DROP.search(k)
        }
    if isinstance(value, list | tuple):
        return [_normal(v, root) for v in value]
    if isinstance(value, str):
        text = value.replace(root, "<workspace>")
        for pattern, token in _NOISE:
            text = pattern.sub(token, text)
        return text
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, int) and abs(value) >= 10**11:  # snapshot ids
        return "<number>"
    return value


def _diff(a: Any, b: Any, where: str = "") -> list[tuple[str, Any, Any]]:
    """Where two answers differ (paths into them), for a readable failure."""
    if isinstance(a, dict) and isinstance(b, dict):
        keys = sorted(set(a) | set(b))
        return [d for k in keys for d in _diff(a.get(k), b.get(k), f"{where}.{k}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [
            d
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for d in _diff(x, y, f"{where}[{i}]")
        ]
    return [] if a == b else [(where, a, b)]


def _answer(call: Callable[[], Any]) -> Any:
    """A call's answer: its result (rows, report) or its error (title, message, hint)."""
    try:
        out = call()
    except NeuroLakeError as err:
        return {"error": type(err).__name__, "message": err.message, "hint": err.hint}
    if hasattr(out, "arrow") and hasattr(out, "report"):
        report = {k: v for k, v in out.report.items() if k not in ("cost", "timings")}
        return {"rows": out.arrow().to_pylist(), "report": report}
    if hasattr(out, "arrow"):
        return {"rows": out.arrow().to_pylist()}
    if isinstance(out, pa.Table):
        return {"rows": out.to_pylist()}
    if hasattr(out, "__dict__"):
        return vars(out)
    return out


def _world(root: Path, email: str, phone: str) -> dict[str, Any]:
    """Build one world and ask it everything, as the analyst."""
    root.mkdir()
    (root / "neurolake.toml").write_text('owner = "owner"\n')
    customers = pa.table(
        {
            "customer_id": pa.array([1, 2, 3, 4], pa.int64()),
            "email": [email, "hugo@example.org", "ida@example.net", "jon@example.com"],
            "phone": ["+1 212 555 0199", phone, "+1 212 555 0103", "+1 212 555 0104"],
            "country": ["DE", "FR", "DE", "FR"],
            "note": pa.array([None, None, None, None], pa.string()),
        }
    )
    with neurolake_lab.connect(root, user="owner") as owner:
        owner.write(T, customers)
        assert owner.classify_pii(T)["email"].entity == "EMAIL_ADDRESS"
        first = owner.snapshots(T).arrow()["snapshot_id"][0].as_py()
    (root / "policies.yaml").write_text(POLICY)
    seen: dict[str, Any] = {}
    with neurolake_lab.connect(root, user="analyst") as an:
        for i, sql in enumerate(PROBES):
            seen[f"sql {i}: {sql}"] = _answer(lambda sql=sql: an.sql(sql, {"first": first}))
            if "$first" not in sql:
                seen[f"preflight {i}"] = _answer(lambda sql=sql: an.preflight(sql))
                seen[f"predict {i}"] = _answer(
                    lambda sql=sql: (p := an.predict(sql)) and p.estimated_rows
                )
        seen["explain"] = _answer(
            lambda: an.explain(f"SELECT customer_id FROM {T} WHERE email LIKE 'g%'")
        )
        calls: dict[str, Callable[[], Any]] = {
            "describe": lambda: an.describe(T),
            "profile": lambda: an.profile(T),
            "tables": lambda: an.tables(),
            "classify": lambda: {c: t.to_json() for c, t in an.classify_pii(T).items()},
            "quality": lambda: an.quality(T),
            "layout": lambda: an.layout(T),
            "snapshots": lambda: an.snapshots(T),
            "lineage": lambda: an.lineage(f"{T}.email").to_report(),
            "set_quality": lambda: an.set_quality(T, checks=["email LIKE 'g%'"]),
            "erase": lambda: an.erase(T, "email LIKE 'g%'"),
            "set_pii": lambda: an.set_pii(T, "email", None),
            "rollback": lambda: an.rollback(T, first),
            "ask": lambda: an.ask("how many customers are there per country?"),
            "audit": lambda: [
                {"kind": r.kind, **r.data} for r in an.audit.tail(200) if r.user == "analyst"
            ],
        }
        for name, call in calls.items():
            seen[name] = _answer(call)
    return {key: _normal(answer, str(root)) for key, answer in seen.items()}


@pytest.mark.slow
def test_a_non_owner_learns_nothing_about_a_masked_value(tmp_path: Path) -> None:
    a = _world(tmp_path / "a", *WORLDS["a"])
    b = _world(tmp_path / "b", *WORLDS["b"])
    assert a.keys() == b.keys()
    differ = [f"{k}{where}: {va!r} / {vb!r}" for k in a for where, va, vb in _diff(a[k], b[k])]
    assert not differ, "answers that depend on the masked values:\n" + "\n".join(differ)
    # the probes reached the data: the answers are not all refusals
    assert a["sql 0: " + PROBES[0]]["rows"][0]["email"] == "[REDACTED]"
    assert "rows" in a[f"sql 15: {PROBES[15]}"]  # the analyst's UPDATE ran (and changed nothing)
