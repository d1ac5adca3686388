"""Stages: the cell's cost predicted before it runs, and its actual cost learned after.

Only the plan is looked at (``EXPLAIN`` and Iceberg metadata), never the data; a cell reading no
table is not predicted. The optimizer's suggestions come with the prediction (the optimizer
depends on the cost model, not the other way round). A failing model never fails a query; an
interrupt during prediction stops the cell.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from neurolake_lab.exceptions import NeuroLakeError, QueryError

if TYPE_CHECKING:
    from neurolake_lab.cell.plan import CellPlan
    from neurolake_lab.cost import Prediction
    from neurolake_lab.cost.prediction import Suggestion
    from neurolake_lab.engine.params import Params
    from neurolake_lab.services import Services

_log = logging.getLogger(__name__)


def predict(plan: CellPlan, services: Services) -> None:
    """Fill ``plan.prediction`` (``None`` when the cell reads no table or cannot be planned).

    A cell the result cache answers is not predicted: the strip shows the cache hit instead.
    """
    from neurolake_lab.cell.cache import answered

    if "from" not in plan.text.lower() or answered(plan, services):
        return
    plan.prediction = predict_text(services, plan.text, plan.params, plan.namespace)


def predict_text(
    services: Services,
    text: str,
    params: Params = None,
    namespace: Mapping[str, Any] | None = None,
    *,
    suggest: bool = True,
) -> Prediction | None:
    """The predicted cost of a cell's text, with the optimizer's suggestions (or ``None``)."""
    from neurolake_lab.optimizer import suggest as optimizer_suggest

    ns = namespace if namespace is not None else {}
    model = services.cost_model
    query = services.query

    def advise(prediction: Prediction) -> list[Suggestion]:
        return optimizer_suggest(query, text, prediction, model, params=params, namespace=ns)

    try:
        return model.predict(query, text, params, namespace=ns, advise=advise if suggest else None)
    except NeuroLakeError as err:
        if getattr(err, "kind", None) == "interrupted":
            raise  # the user interrupted the kernel: stop the cell, not just the advice
        return None
    except Exception as exc:  # advice: a bug in the model must never stop the query itself
        if "interrupted" in str(exc).lower():
            raise QueryError(
                "the query was cancelled; the session is unchanged and ready", kind="interrupted"
            ) from None
        _log.exception("cost prediction failed")
        return None


def learn(plan: CellPlan, services: Services) -> None:
    """Keep the actual figures of a cell that ran next to its prediction (the history)."""
    prediction = plan.prediction
    if prediction is None or prediction.predicted_ms is None or not services.settings.learn_costs:
        return
    if plan.last.cached:
        return  # a cache hit says nothing about what the query costs
    execution = plan.last.execution
    rows = execution.table.num_rows if execution is not None and execution.table else None
    try:
        services.cost_model.record(prediction, plan.run_ms, rows)
    except Exception:  # a lost history line must not fail a cell that ran
        _log.exception("recording the cost of a cell failed")
