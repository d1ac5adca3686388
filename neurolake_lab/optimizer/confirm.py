"""Whether a cell should ask before it runs: its predicted cost against configured thresholds.

``neurolake.toml`` may set ``[cost] confirm_above_ms`` and ``confirm_above_bytes`` (and the
environment ``NEUROLAKE_COST_CONFIRM_MS`` / ``NEUROLAKE_COST_CONFIRM_BYTES`` wins over them).
The defaults ask before a query predicted to run longer than 30 seconds or to read more than
10 GB. A prediction the model is unsure of counts by its interval: a query predicted at 5 s that
may well take a minute (the 90th percentile of its interval is above the threshold) asks too,
saying so. The point is to ask, not to refuse.
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
    if ms and prediction.predicted_ms is not None and prediction.predicted_ms > ms:
        reasons.append(
            f"it is predicted to run for {_duration(prediction.predicted_ms)} (more than "
            f"{_duration(ms)})"
        )
    elif (
        ms
        and prediction.predicted_ms is not None
        and interval is not None
        and interval[1] > ms
        and not _tiny(prediction)
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


#: Reads below this size with no exploding join are not asked about for an uncertain interval:
#: their time is not the data's (a one-row INSERT once learnt from a slow first write).
TINY_READ_BYTES = 64 * 1024


def _tiny(prediction: Prediction) -> bool:
    """Whether the statement reads almost nothing and joins nothing that explodes."""
    if prediction.estimated_bytes is None or prediction.estimated_bytes >= TINY_READ_BYTES:
        return False
    return not any(j.kind in ("cross", "many_to_many") for j in prediction.joins)


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
