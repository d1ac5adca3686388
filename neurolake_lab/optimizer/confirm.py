"""Whether a cell should ask before it runs: its predicted cost against configured thresholds.

``neurolake.toml`` may set ``[cost] confirm_above_ms`` and ``confirm_above_bytes`` (and the
environment ``NEUROLAKE_COST_CONFIRM_MS`` / ``NEUROLAKE_COST_CONFIRM_BYTES`` wins over them).
The defaults ask before a query predicted to run longer than 30 seconds or to read more than
10 GB. A prediction the model is unsure of counts by its interval: a query predicted at 5 s that
may well take a minute (the 90th percentile of its interval is above the threshold) asks too,
saying so, when the data it reads and produces is enough for that time to be the data's (at
least ``SLOW_BYTES_PER_S`` per second of the threshold, or a join that multiplies rows). A wide
interval over little data is the model's doubt and the machine's noise (the predictions are in
units of a speed probe, ``cost/speed.py``): a demo's CTAS of a few hundred kilobytes must not
stop at Run or Cancel because the machine was busy. The point is to ask, not to refuse.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from neurolake_lab.cost.prediction import Prediction
from neurolake_lab.exceptions import UsageError

DEFAULT_CONFIRM_MS = 30_000.0
DEFAULT_CONFIRM_BYTES = 10 * 1024**3


@dataclass(frozen=True)
class Confirmation:
    """The decision for one cell: ``needed`` and, when it is, why (a sentence for the user)."""

    needed: bool
    reason: str | None
    threshold_ms: float | None
    threshold_bytes: int | None


def cost_settings(extra: Mapping[str, Any] | None) -> dict[str, Any]:
    """The ``[cost]`` table of ``neurolake.toml`` (``Settings.extra``), or an empty one."""
    table = (extra or {}).get("cost", {})
    return dict(table) if isinstance(table, Mapping) else {}


def thresholds(extra: Mapping[str, Any] | None = None) -> tuple[float | None, int | None]:
    """``(ms, bytes)`` above which a cell asks first; ``None`` (or 0) switches one off."""
    table = cost_settings(extra)
    ms = _number(os.environ.get("NEUROLAKE_COST_CONFIRM_MS"), table.get("confirm_above_ms"),
                 DEFAULT_CONFIRM_MS, "confirm_above_ms")  # fmt: skip
    size = _number(os.environ.get("NEUROLAKE_COST_CONFIRM_BYTES"),
                   table.get("confirm_above_bytes"), DEFAULT_CONFIRM_BYTES,
                   "confirm_above_bytes")  # fmt: skip
    return (ms or None), (int(size) if size else None)


def needs_confirmation(
    prediction: Prediction,
    extra: Mapping[str, Any] | None = None,
    *,
    threshold_ms: float | None = None,
    threshold_bytes: int | None = None,
) -> Confirmation:
    """Whether the cell predicted as ``prediction`` should ask before it runs.

    Explicit thresholds win over the settings (``extra`` is ``Settings.extra``).
    """
    cfg_ms, cfg_bytes = thresholds(extra)
    ms = threshold_ms if threshold_ms is not None else cfg_ms
    size = threshold_bytes if threshold_bytes is not None else cfg_bytes
    reasons = []
    interval = prediction.interval_ms
    # a statement over little data asks only when it took that long itself before (a repeat)
    little = bool(ms) and _little_data(prediction, ms or 0.0)
    if (
        ms
        and prediction.predicted_ms is not None
        and prediction.predicted_ms > ms
        and (not little or prediction.basis == "repeat")
    ):
        reasons.append(
            f"it is predicted to run for {_duration(prediction.predicted_ms)} (more than "
            f"{_duration(ms)})"
        )
    elif (
        ms
        and prediction.predicted_ms is not None
        and interval is not None
        and interval[1] > ms
        and not little
    ):
        reasons.append(
            f"it is predicted to run for {_duration(prediction.predicted_ms)}, but the estimate "
            f"is uncertain and it may take up to {_duration(interval[1])} (more than "
            f"{_duration(ms)})"
        )
    if size and prediction.estimated_bytes is not None and prediction.estimated_bytes > size:
        reasons.append(
            f"it is predicted to read {_bytes(prediction.estimated_bytes)} (more than "
            f"{_bytes(size)})"
        )
    reason = None
    if reasons:
        sure = f" (confidence {prediction.confidence:.0%})" if prediction.confidence else ""
        joins = [j for j in prediction.joins if j.kind in ("cross", "many_to_many")]
        if joins:
            j = max(joins, key=lambda j: j.rows)
            kind = "cross join" if j.kind == "cross" else "many-to-many join"
            sure += f"; a {kind} is estimated to make {j.rows:,.0f} rows"
        reason = "This query may be expensive: " + " and ".join(reasons) + sure + "."
    return Confirmation(bool(reasons), reason, ms, size)


#: A data rate far below DuckDB's on any machine it runs on (it scans hundreds of MB/s per core):
#: a statement that reads and handles less than this per second of the threshold cannot take
#: that long because of its data. Its predicted time then comes from the model's doubt, a slow
#: first write it learnt from, or the machine's speed probe in a busy moment, so it does not ask.
SLOW_BYTES_PER_S = 1024**2
#: bytes counted per row scanned, processed, handed back or written (a lower bound of a row)
ROW_BYTES = 8


def _little_data(prediction: Prediction, threshold_ms: float) -> bool:
    """Whether the data read and handled is too little for the time to reach ``threshold_ms``.

    A join that multiplies rows is never little: its rows are not in the bytes it reads.
    """
    if any(j.kind in ("cross", "many_to_many") for j in prediction.joins):
        return False
    return _data_bytes(prediction) < SLOW_BYTES_PER_S * threshold_ms / 1000


def _data_bytes(prediction: Prediction) -> float:
    """Bytes the statements read plus ``ROW_BYTES`` per row they scan, process, return or write.

    From the plan figures of each statement; a prediction without them (made elsewhere) counts
    its bytes read and its rows out.
    """
    if not prediction.statements:
        return (prediction.estimated_bytes or 0) + (prediction.estimated_rows or 0) * ROW_BYTES
    total = 0.0
    for est in prediction.statements:
        f = est.figures
        rows = f.rows_scanned + f.work_rows + f.pair_rows + f.result_cells + f.write_cells
        total += f.bytes_scanned + ROW_BYTES * rows
    return total


def _number(env: str | None, configured: Any, default: float, name: str) -> float | None:
    value = env if env not in (None, "") else configured
    if value is None:
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise UsageError(f"[cost] {name} must be a number, not {value!r}") from None
    return number if number > 0 else None


def _duration(ms: float) -> str:
    if ms >= 60_000:
        return f"{ms / 60_000:.1f} min"
    if ms >= 1000:
        return f"{ms / 1000:.1f} s"
    return f"{ms:.0f} ms"


def _bytes(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"
