"""The cell report and its HTML and plain-text fallbacks: the contract with the front end.

The report is the contract with the JupyterLab extension: ``schema/report.schema.json`` fixes its
shape and both sides test against it. The HTML and text renderings are written here by hand because
they must stay bounded and cheap (a preview of at most ``preview_rows`` rows) and must not convert
the Arrow result to pandas just to print fifty rows.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import pyarrow as pa

REPORT_MIME = "application/vnd.neurolake.report+json"
ERROR_MIME = "application/vnd.neurolake.error+json"
REPORT_VERSION = 1
_MAX_SAFE_INT = 2**53 - 1


@cache
def report_schema() -> dict[str, Any]:
    """The JSON Schema of the cell report, as shipped in the package."""
    text = resources.files("neurolake_lab.schema").joinpath("report.schema.json").read_text()
    schema: dict[str, Any] = json.loads(text)
    return schema


def to_json_value(value: Any) -> Any:
    """One preview value as JSON: exact numbers as strings, times as ISO-8601, NaN as null."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value if abs(value) <= _MAX_SAFE_INT else str(value)  # JS numbers lose precision
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return str(value) if value.is_finite() else None
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("ascii", "backslashreplace") if value.isascii() else _hex(value)
    if isinstance(value, dict):
        return {str(k): to_json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        if value and all(isinstance(item, tuple) and len(item) == 2 for item in value):
            return {str(k): to_json_value(v) for k, v in value}  # an Arrow MAP
        return [to_json_value(item) for item in value]
    return str(value)


def _hex(value: bytes) -> str:
    return "".join(f"\\x{b:02X}" for b in value)


def preview_rows(table: pa.Table, limit: int) -> list[list[Any]]:
    """The first ``limit`` rows of ``table`` as lists of JSON values."""
    head = table.slice(0, limit)
    columns = [[to_json_value(v) for v in col.to_pylist()] for col in head.columns]
    return [list(row) for row in zip(*columns, strict=True)] if columns else []


class ReportSource(Protocol):
    """What a report is built from (a ``QueryResult``), without importing it."""

    sql: str
    executed_sql: str
    statement_type: str
    kind: str
    column_types: list[str]
    timings: dict[str, float]
    preview_limit: int
    notices: list[str]
    audit_id: str | None
    lineage: dict[str, Any]
    compliance: dict[str, Any]
    cost: dict[str, Any] | None

    def arrow(self) -> pa.Table:
        """The whole result."""
        ...


#: what a preview shows instead of a value the saved notebook must not carry in clear
WITHHELD = "[withheld]"


def build_report(result: ReportSource) -> dict[str, Any]:
    """The versioned cell report of a query result (see ``schema/report.schema.json``).

    The report is what the notebook saves, so columns in ``result.withheld`` (personal data a
    reader's policy would mask) are replaced in the preview by ``[withheld]``.
    """
    table = result.arrow()
    rows = preview_rows(table, result.preview_limit) if table.num_columns else []
    withheld = list(getattr(result, "withheld", None) or [])
    if withheld and rows:
        hide = {w["column"] for w in withheld}
        idx = [i for i, name in enumerate(table.column_names) if name in hide]
        rows = [[WITHHELD if i in idx else v for i, v in enumerate(row)] for row in rows]
    timings = {k: round(v, 3) for k, v in result.timings.items()}
    return {
        "version": REPORT_VERSION,
        "kind": result.kind,
        "sql": result.sql,
        "executed_sql": result.executed_sql,
        "statement_type": result.statement_type,
        "notices": list(result.notices),
        "result": {
            "columns": [
                {"name": name, "type": dtype}
                for name, dtype in zip(table.column_names, result.column_types, strict=True)
            ],
            "rows_preview": rows,
            "row_count": table.num_rows,
            "truncated": len(rows) < table.num_rows,
            **({"withheld": withheld} if withheld else {}),
        },
        "cost": result.cost
        or {
            "predicted_ms": None,
            "estimated_rows": None,
            "estimated_bytes": None,
            "actual_ms": timings.get("execute_ms"),
            "confidence": None,
            "suggestions": [],
        },
        "lineage": result.lineage,
        "compliance": result.compliance,
        "audit_id": result.audit_id,
        "timings": timings,
    }


def format_ms(ms: float | None) -> str:
    """``1.2 ms`` below a second, ``2.35 s`` above."""
    if ms is None:
        return ""
    return f"{ms:.1f} ms" if ms < 1000 else f"{ms / 1000:.2f} s"


def summary_line(report: dict[str, Any]) -> str:
    """The strip under the table, as text: rows shown of how many, the time, the prediction."""
    res = report["result"]
    n, shown = res["row_count"], len(res["rows_preview"])
    if not res["columns"]:
        rows = report.get("statement_type") or "OK"
    elif res["truncated"]:
        rows = f"showing {shown:,} of {n:,} rows"
    else:
        rows = f"{n:,} row" + ("" if n == 1 else "s")
    cost = report.get("cost") or {}
    ms = cost.get("actual_ms") or report["timings"].get("total_ms")
    line = f"{rows} · {format_ms(ms)}" if ms is not None else rows
    predicted = cost.get("predicted_ms")
    if predicted is not None:
        line += f" (predicted {format_ms(predicted)})"
    miss = cost.get("misprediction")
    if miss:
        line += f" · ⚠ {miss['ratio']:.0f}x {miss['direction']} than predicted"
    return line


def warning_lines(report: dict[str, Any]) -> list[str]:
    """What the live view warns about, for the fallbacks: PII in clear or masked, denials."""
    compliance = report.get("compliance") or {}
    lines = [f"⚠ {w}" for w in compliance.get("warnings", [])]
    masked = [m["column"] for m in compliance.get("masked", [])]
    if masked:
        lines.append("masked by policy: " + ", ".join(masked))
    filters = [f["table"] for f in compliance.get("row_filters", [])]
    if filters:
        lines.append("rows filtered by policy: " + ", ".join(filters))
    withheld = report["result"].get("withheld") or []
    if withheld:
        names = ", ".join(w["column"] for w in withheld)
        lines.append(f"⚠ not saved in clear (personal data a reader's policy masks): {names}")
    return lines


def suggestion_lines(report: dict[str, Any]) -> list[str]:
    """The cost suggestions worth a warning, one line each."""
    suggestions = (report.get("cost") or {}).get("suggestions", [])
    return [f"⚠ {s['message']}" for s in suggestions if s.get("severity") == "warning"]


def _cell_text(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def rows_html(names: list[str], rows: list[list[Any]]) -> str:
    """An HTML table of ``rows`` (JSON values, as :func:`preview_rows` gives) under ``names``."""
    head = "".join(f"<th>{html.escape(name)}</th>" for name in names)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_cell_text(v))}</td>" for v in row) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def report_html(report: dict[str, Any]) -> str:
    """A bounded HTML table with the summary line, for front ends without our extension."""
    res = report["result"]
    parts = ['<div class="neurolake-report">']
    if res["columns"]:
        parts.append(rows_html([c["name"] for c in res["columns"]], res["rows_preview"]))
    parts.append(f"<p><small>{html.escape(summary_line(report))}</small></p>")
    parts.extend(
        f'<p class="neurolake-warning"><small>{html.escape(w)}</small></p>'
        for w in [*warning_lines(report), *suggestion_lines(report)]
    )
    parts.extend(f"<p><small>Note: {html.escape(n)}</small></p>" for n in report.get("notices", []))
    parts.append("</div>")
    return "".join(parts)


def report_text(report: dict[str, Any], max_rows: int = 20, max_width: int = 40) -> str:
    """An aligned plain-text table of the first rows, with the summary line."""
    res = report["result"]
    extra = [*warning_lines(report), *suggestion_lines(report)]
    if not res["columns"]:
        notes = (f"note: {n}" for n in report.get("notices", []))
        return "\n".join([summary_line(report), *extra, *notes])
    header = [c["name"] for c in res["columns"]]
    body = [
        [_clip(_cell_text(v), max_width) for v in row] for row in res["rows_preview"][:max_rows]
    ]
    widths = [max([len(h), *(len(r[i]) for r in body)]) for i, h in enumerate(header)]
    lines = [
        "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip(),
        "  ".join("-" * w for w in widths),
    ]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in body]
    footer = summary_line(report)
    if len(res["rows_preview"]) > max_rows:
        footer = f"showing {max_rows:,} of {res['row_count']:,} rows" + footer[footer.find(" ·") :]
    lines.append(footer)
    lines.extend(extra)
    lines.extend(f"note: {n}" for n in report.get("notices", []))
    return "\n".join(lines)


def _clip(text: str, width: int) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def report_bundle(report: dict[str, Any]) -> dict[str, Any]:
    """The MIME bundle of a report: our JSON, plus HTML and text for every other front end."""
    return {
        REPORT_MIME: report,
        "text/html": report_html(report),
        "text/plain": report_text(report),
    }
