"""The optimizer agent's suggestions: each rule proposes rewrites, the cost model judges them.

Rules (``rules/``, one per file) look at the parsed cell, DuckDB's plan and the tables' metadata
and propose rewrites. Each rewrite is planned and predicted like the original; it is suggested
when the model expects it to save time or bytes, with the saving it expects. Advice without a
rewrite (a join that explodes on a condition only the author can fix) is passed on as it is.
Suggestions are made for cells of one query statement; the rewrite is the whole cell.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from neurolake_lab.cost.prediction import (
    ADVICE_WARNING_MS,
    WARNING_MIN_MS,
    WARNING_SHARE,
    Prediction,
    Suggestion,
)
from neurolake_lab.exceptions import NeuroLakeError
from neurolake_lab.optimizer.context import Candidate, RuleContext
from neurolake_lab.optimizer.rules import joins, limit, pruning, select_star, summary_table

if TYPE_CHECKING:
    from neurolake_lab.context import QueryContext
    from neurolake_lab.cost.cost_model import CostModel

Rule = Callable[[RuleContext], list[Candidate]]
RULES: tuple[Rule, ...] = (
    pruning.candidates,
    summary_table.candidates,
    select_star.candidates,
    joins.candidates,
    limit.candidates,
)
#: a rewrite is worth suggesting when it saves at least this share of time or of bytes
MIN_SAVING = 0.05


def suggest(
    query: QueryContext,
    sql: str,
    prediction: Prediction,
    model: CostModel,
    *,
    params: Mapping[str, Any] | Sequence[Any] | None = None,
    namespace: Mapping[str, Any] | None = None,
) -> list[Suggestion]:
    """The suggestions for the cell ``sql`` predicted as ``prediction``, best saving first."""
    from neurolake_lab.cost.estimate import evaluator
    from neurolake_lab.optimizer.confirm import cost_settings

    if len(prediction.statements) != 1:
        return []
    est = prediction.statements[0]
    tree = est.tree
    if not isinstance(tree, exp.Select | exp.Union) or not _is_whole_cell(sql, est.sql):
        return []
    ctx = RuleContext(
        query, est.sql, tree, est, prediction, evaluator(query),
        cost_settings(query.settings.extra),
    )  # fmt: skip
    out: list[Suggestion] = []
    for rule in RULES:
        try:
            found = rule(ctx)
        except NeuroLakeError:
            continue  # a rule that cannot read the query gives no advice, never an error
        for candidate in found:
            judged = judge(query, candidate, prediction, model, params, namespace)
            if judged is not None:
                out.append(judged)
    out.sort(key=lambda s: -(s.predicted_saving_ms or 0.0))
    return out


def judge(
    query: QueryContext,
    candidate: Candidate,
    original: Prediction,
    model: CostModel,
    params: Mapping[str, Any] | Sequence[Any] | None,
    namespace: Mapping[str, Any] | None,
) -> Suggestion | None:
    """Predict ``candidate``'s rewrite; a ``Suggestion`` with its saving, or ``None``."""
    if candidate.rewrite is None:
        heavy = (original.predicted_ms or 0.0) >= ADVICE_WARNING_MS
        return Suggestion(candidate.kind, candidate.message, None, equivalent=False,
                          severity="warning" if heavy else "info")  # fmt: skip
    try:
        estimates = model.estimate(query, candidate.rewrite, params, namespace=namespace)
    except NeuroLakeError:
        return None  # a rewrite DuckDB cannot plan is never suggested
    rewritten = model.predict_estimates(estimates, use_repeats=False)
    base = model.predict_estimates(original.statements, use_repeats=False)
    if rewritten.predicted_ms is None or base.predicted_ms is None:
        return None
    saving_ms = base.predicted_ms - rewritten.predicted_ms
    saving_bytes = (base.estimated_bytes or 0) - (rewritten.estimated_bytes or 0)
    faster = saving_ms > MIN_SAVING * base.predicted_ms
    lighter = saving_bytes > MIN_SAVING * max(base.estimated_bytes or 0, 1)
    # a rewrite that changes the result must be worth it in time; one that does not may be
    # suggested for reading less alone (pruning: on a busy disk or remote storage it is time)
    if not (faster or (lighter and candidate.equivalent)):
        return None
    message = (
        f"{candidate.message}: predicted {_ms(base.predicted_ms)} → {_ms(rewritten.predicted_ms)}"
    )
    if saving_bytes > 0:
        message += (
            f", {_mb(base.estimated_bytes or 0)} → {_mb(rewritten.estimated_bytes or 0)} read"
        )
    share = max(saving_ms, 0.0) / base.predicted_ms if base.predicted_ms > 0 else 0.0
    # orange only when it matters: a large share of a time the user notices
    warn = share >= WARNING_SHARE and saving_ms >= WARNING_MIN_MS
    return Suggestion(
        kind=candidate.kind,
        message=message,
        rewrite=candidate.rewrite,
        predicted_ms=rewritten.predicted_ms,
        predicted_saving_ms=max(saving_ms, 0.0),
        predicted_saving_bytes=max(saving_bytes, 0),
        equivalent=candidate.equivalent,
        saving_share=share,
        severity="warning" if warn else "info",
    )


def _is_whole_cell(cell: str, statement: str) -> bool:
    """True when the cell is exactly this one statement (so its rewrite replaces the cell)."""

    def norm(text: str) -> str:
        return text.strip().rstrip(";").strip()

    return norm(cell) == norm(statement)


def _ms(ms: float) -> str:
    return f"{ms / 1000:.1f} s" if ms >= 1000 else f"{ms:.0f} ms" if ms >= 10 else f"{ms:.1f} ms"


def _mb(n: float) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e5 else f"{n / 1e3:.0f} kB"
