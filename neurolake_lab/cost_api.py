"""The cost part of ``Session``: predictions before a cell runs, the result cache, preflight.

Before a cell runs its cost is predicted (rows, bytes, duration, with a confidence, and cheaper
rewrites); after it runs the actual figures go into the workspace's history, which the learned
model trains on. ``preflight`` gives a cell's cost, lineage and compliance without running it,
for the extension to show beside the cell while the user types.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from neurolake_lab.exceptions import NeuroLakeError
from neurolake_lab.session_core import SessionCore

if TYPE_CHECKING:
    from neurolake_lab.cache import ResultCache
    from neurolake_lab.compliance.policy import Enforcement, NoPii
    from neurolake_lab.cost import CostModel, Prediction
    from neurolake_lab.lineage.graph import LineageGraph
    from neurolake_lab.session import Session

_log = logging.getLogger(__name__)
_EMPTY_COMPLIANCE: dict[str, list[Any]] = {
    "pii_columns": [],
    "masked": [],
    "row_filters": [],
    "denied": [],
    "warnings": [],
}


class CostAPI(SessionCore):
    """``Session.predict``, ``Session.preflight``, ``Session.result_cache``."""

    if TYPE_CHECKING:  # provided by Session
        _cost_model: CostModel | None
        _result_cache: ResultCache | None

        def govern(  # noqa: D102
            self, sql: str, statement_type: str, no_pii: NoPii = None, *, audit: bool = True
        ) -> Enforcement | None: ...

        def statement_lineage(  # noqa: D102
            self, sql: str, statement_type: str, output_table: str | None = None
        ) -> LineageGraph | None: ...

    @property
    def _session(self) -> Session:
        """The ``Session`` this mixin is a part of (the cost model takes a session)."""
        from neurolake_lab.session import Session

        assert isinstance(self, Session)
        return self

    @property
    def cost_model(self) -> CostModel:
        """The workspace's cost model (history in ``catalog.db``, shared by every kernel)."""
        if self._cost_model is None:
            from neurolake_lab.cost import CostModel

            self._cost_model = CostModel(self.settings.workspace)
        return self._cost_model

    @property
    def result_cache(self) -> ResultCache:
        """Results keyed by SQL, input snapshots and policy context (memory, then disk)."""
        if self._result_cache is None:
            from neurolake_lab.cache import ResultCache

            self._result_cache = ResultCache(self.settings.workspace)
        return self._result_cache

    def predict(
        self,
        text: str,
        params: Mapping[str, Any] | Sequence[Any] | None = None,
        *,
        namespace: Mapping[str, Any] | None = None,
        suggest: bool = True,
    ) -> Prediction | None:
        """The predicted cost of a cell (``None`` when it cannot be planned, e.g. a typo)."""
        try:
            return self.cost_model.predict(
                self._session, text, params, namespace=namespace or {}, suggest=suggest
            )
        except NeuroLakeError as err:
            if getattr(err, "kind", None) == "interrupted":
                raise  # the user interrupted the kernel: stop the cell, not just the advice
            return None
        except Exception as exc:  # advice: a bug in the model must never stop the query itself
            if "interrupted" in str(exc).lower():
                from neurolake_lab.exceptions import QueryError

                raise QueryError(
                    "the query was cancelled; the session is unchanged and ready",
                    kind="interrupted",
                ) from None
            _log.exception("cost prediction failed")
            return None

    def record_cost(
        self, text: str, prediction: Prediction | None, actual_ms: float, rows: int | None
    ) -> None:
        """Keep the actual figures of a cell that ran next to its prediction (the history)."""
        if prediction is None or prediction.predicted_ms is None or not self.settings.learn_costs:
            return
        try:
            self.cost_model.record(self._session, text, prediction, actual_ms, rows)
        except Exception:  # a lost history line must not fail a cell that ran
            _log.exception("recording the cost of a cell failed")

    def preflight_question(self, question: str) -> dict[str, Any]:
        """Preflight of a ``%%nl`` question: the offline planner's SQL, then its preflight.

        It never calls the LLM and leaves the conversation as it was.
        """
        from neurolake_lab.agents import orchestrator_for

        start = time.perf_counter()
        empty: dict[str, Any] = {
            "sql": None, "cost": None, "lineage": {"nodes": [], "edges": []},
            "compliance": dict(_EMPTY_COMPLIANCE), "error": None,
        }  # fmt: skip
        if not question:
            return empty
        orchestrator = orchestrator_for(self._session)
        try:
            context = orchestrator.context(mode="offline", options={"learn": False})
            draft = orchestrator.engineer.run(question, context)
        except NeuroLakeError as err:
            empty["error"] = {"title": err.title, "message": err.message, "hint": err.hint}
            return empty
        out = self.preflight(draft.sql)
        out["sql"] = draft.sql
        out["intent"] = draft.intent.to_dict()
        out["preflight_ms"] = round((time.perf_counter() - start) * 1000, 3)
        return out

    def preflight(self, text: str, *, no_pii: bool | str = False) -> dict[str, Any]:
        """Cost, lineage and compliance of a ``%%sql`` cell, without running it.

        Every statement is governed first (a refused statement is reported, never planned);
        the prediction and the lineage are those of the last query of the cell.
        """
        from neurolake_lab.engine.params import colon_to_dollar
        from neurolake_lab.lakehouse.dialect import split_cell
        from neurolake_lab.session import _no_pii

        start = time.perf_counter()
        out: dict[str, Any] = {
            "cost": None,
            "lineage": {"nodes": [], "edges": []},
            "compliance": dict(_EMPTY_COMPLIANCE),
            "error": None,
        }
        try:
            self.lakehouse.refresh(self.engine.con)
            statements = split_cell(self.engine, colon_to_dollar(text))
            enforcement = None
            for stmt in statements:
                enforcement = self.govern(
                    stmt.query.strip(), stmt.type, _no_pii(no_pii), audit=False
                )
            if statements:
                last = statements[-1]
                if enforcement is not None:
                    out["compliance"] = enforcement.to_report()
                graph = self.statement_lineage(last.query.strip(), last.type)
                if graph is not None:
                    if enforcement is not None:
                        graph = graph.mark_masked(m["column"] for m in enforcement.masked)
                    out["lineage"] = graph.to_report()
            prediction = self.predict(text)
            out["cost"] = prediction.to_report() if prediction is not None else None
        except NeuroLakeError as err:
            from neurolake_lab.compliance.policy import PolicyViolation

            if isinstance(err, PolicyViolation) and err.enforcement is not None:
                out["compliance"] = err.enforcement.to_report()
            out["error"] = {"title": err.title, "message": err.message, "hint": err.hint}
        out["preflight_ms"] = round((time.perf_counter() - start) * 1000, 3)
        return out
