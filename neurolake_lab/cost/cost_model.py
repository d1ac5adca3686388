"""``CostModel``: predict a cell's cost before it runs, learn from what it really cost.

A prediction is the analytic estimate from DuckDB's plan and the Iceberg metadata (``estimate``),
corrected by a ridge model fitted on this workspace's history (``model``), plus federated updates
merged from other workspaces. A statement that ran before over the same snapshots is predicted
from its own earlier timings. Predictions for the same cell text, snapshots and model are kept,
so a preflight repeated while the user types costs a dictionary lookup.
"""

from __future__ import annotations

import math
import os
import re
import statistics
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from neurolake_lab.config import Workspace
from neurolake_lab.cost import model as ridge
from neurolake_lab.cost.estimate import StatementEstimate, estimate_statement
from neurolake_lab.cost.features import FEATURE_NAMES, FEATURE_VERSION
from neurolake_lab.cost.history import HistoryStore, Observation
from neurolake_lab.cost.ndv import ColumnStatistics
from neurolake_lab.cost.prediction import Prediction
from neurolake_lab.cost.speed import SpeedReadings, probe_ms
from neurolake_lab.cost.writes import pii_model_loaded, write_shape
from neurolake_lab.lru import LRU

if TYPE_CHECKING:
    from collections.abc import Callable

    from neurolake_lab.context import QueryContext
    from neurolake_lab.cost.prediction import Suggestion

#: statement types DuckDB can EXPLAIN that may do real work
_PLANNABLE = frozenset({"SELECT", "INSERT", "CREATE", "UPDATE", "DELETE", "EXPLAIN"})
_PREDICTION_CACHE_SIZE = 256


@dataclass(frozen=True)
class LiveModel:
    """The parameters in use now, and where they came from."""

    theta: np.ndarray[Any, np.dtype[np.float64]]
    sigma: float
    fit: ridge.Fit
    local_samples: int
    imported_samples: int
    version: tuple[int, int]
    #: correction of DuckDB's rows-out estimate (log ratio), learned from local history
    rows_fit: ridge.Fit | None = None

    def rows(self, raw: float, features: Sequence[float], bounded: bool) -> int:
        """Rows out: DuckDB's estimate, corrected by what similar queries really returned."""
        if bounded or self.rows_fit is None:
            return round(raw)
        log_ratio = max(-_ROWS_CLIP, min(_ROWS_CLIP, self.rows_fit.predict_log(features)))
        return max(0, round((raw + 1) * math.exp(log_ratio) - 1))

    def spread(self, x: Sequence[float]) -> float:
        """Log-space standard deviation of the duration error for features ``x``.

        The residual spread, widened by the leverage of ``x`` among the local observations:
        a query unlike anything this workspace ran gets a wider spread (a lower confidence).
        """
        if self.fit.inverse_gram is None:
            return self.sigma
        v = np.asarray(x, dtype=np.float64)
        leverage = float(v @ self.fit.inverse_gram @ v)
        return self.sigma * math.sqrt(1.0 + min(max(leverage, 0.0), 3.0))


class CostModel:
    """Predicts and records query costs for one workspace (share one per process or session).

    Args:
        workspace: the workspace folder; the history goes to its ``catalog.db``.
    """

    def __init__(self, workspace: str | os.PathLike[str] | Workspace) -> None:
        root = workspace.root if isinstance(workspace, Workspace) else Path(workspace)
        self.workspace = Workspace(Path(root).expanduser().resolve())
        self.store = HistoryStore(self.workspace.catalog_db)
        #: distinct counts and ranges of columns, per snapshot (join and filter selectivity)
        self.statistics = ColumnStatistics(self.workspace.catalog_db)
        #: the machine's speed probe readings, smoothed across this workspace's kernels
        self.speed = SpeedReadings(self.workspace.catalog_db)
        self._live: LiveModel | None = None
        #: predictions by cell text, snapshots, model version and machine speed
        self.predictions: LRU[Prediction] = LRU(_PREDICTION_CACHE_SIZE)

    # -- predicting -----------------------------------------------------------------------

    def predict(
        self,
        ctx: QueryContext,
        sql: str,
        params: Mapping[str, Any] | Sequence[Any] | None = None,
        *,
        namespace: Mapping[str, Any] | None = None,
        advise: Callable[[Prediction], list[Suggestion]] | None = None,
    ) -> Prediction:
        """Predict the cost of the cell ``sql`` without running it.

        Every statement DuckDB can plan is estimated; the prediction sums their durations and
        bytes and gives the last one's rows. ``namespace`` holds the notebook's variables
        (DataFrames used as tables, ``$name`` values). ``advise`` (the optimizer, which
        depends on this model and not the other way round) adds its suggested rewrites; they
        are kept with the prediction.

        Raises:
            QueryError: the cell cannot be planned (syntax, unknown table or column, a
                parameter without a value): the error running it would give.
        """
        start = time.perf_counter()
        namespace = namespace if namespace is not None else {}
        lake = ctx.lakehouse
        ctx.refresh()
        live = self.live_model()
        probe = probe_ms(ctx.engine.con, readings=self.speed) or 1.0
        key = (
            sql, repr(params), tuple(sorted(lake.pointers.items())),
            tuple(sorted(ctx.snippets.items())), live.version, advise is not None,
            _namespace_key(sql, namespace), round(math.log2(probe) * 2), pii_model_loaded(),
        )  # fmt: skip
        hit = self.predictions.get(key)
        if hit is not None:
            return hit
        estimates = self.estimate(ctx, sql, params, namespace=namespace)
        prediction = self._predict(estimates, live)
        if advise is not None and estimates:
            t0 = time.perf_counter()
            prediction.suggestions = advise(prediction)
            prediction.timings["suggest_ms"] = (time.perf_counter() - t0) * 1000
        prediction.timings["total_ms"] = (time.perf_counter() - start) * 1000
        self.predictions.put(key, prediction)
        return prediction

    def estimate(
        self,
        ctx: QueryContext,
        sql: str,
        params: Mapping[str, Any] | Sequence[Any] | None = None,
        *,
        namespace: Mapping[str, Any] | None = None,
    ) -> list[StatementEstimate]:
        """The plan-and-metadata estimate of each plannable statement of the cell ``sql``."""
        from neurolake_lab import snippets as snippet_mod
        from neurolake_lab.engine.params import bind, colon_to_dollar
        from neurolake_lab.lakehouse.dialect import split_cell
        from neurolake_lab.lakehouse.time_travel import has_time_travel

        namespace = namespace if namespace is not None else {}
        lake = ctx.lakehouse
        probe = probe_ms(ctx.engine.con, readings=self.speed) or 1.0
        text = colon_to_dollar(sql)
        if has_time_travel(text):
            text = lake.rewrite_time_travel(text)
        out: list[StatementEstimate] = []
        for stmt in split_cell(ctx.engine, text):
            query = snippet_mod.compose(stmt.query.strip(), ctx.snippets)
            target: str | None = query
            writes = False
            lake_stmt = lake.analyze(query, stmt.type)
            if lake_stmt is not None and lake_stmt.kind != "local_table":
                target = lake_stmt.body  # the query of a CTAS/INSERT into Iceberg, else nothing
                writes = True
            elif stmt.type not in _PLANNABLE:
                target = None
            if not target:
                continue
            bound = bind(stmt.named_parameters, params, namespace)
            shape = None
            if writes and lake_stmt is not None:
                try:
                    shape = write_shape(ctx, lake_stmt, bound, namespace.get)
                except OSError:  # a table dropped meanwhile: its query's estimate still counts
                    shape = None
            est = estimate_statement(
                ctx, target, bound, namespace.get, statistics=self.statistics,
                writes=writes, probe_ms=probe, shape=shape, loads_pii_model=not pii_model_loaded(),
            )  # fmt: skip
            out.append(est)
        return out

    def predict_estimates(
        self, estimates: Sequence[StatementEstimate], *, use_repeats: bool = True
    ) -> Prediction:
        """The prediction for statements already estimated (the optimizer compares rewrites).

        ``use_repeats=False`` ignores earlier runs of the same statements, so an original and
        its rewrite are both judged by the model alone.
        """
        return self._predict(list(estimates), self.live_model(), use_repeats)

    def _predict(
        self, estimates: list[StatementEstimate], live: LiveModel, use_repeats: bool = True
    ) -> Prediction:
        if not estimates:
            return Prediction(None, None, None, None, basis="none")
        total_ms = 0.0
        variance = 0.0
        bases = set()
        for est in estimates:
            ms, spread, basis = self._statement_ms(est, live, use_repeats)
            total_ms += ms
            # spreads of a sum, weighted by each statement's share: the big one dominates
            variance += (ms * spread) ** 2
            bases.add(basis)
        spread = math.sqrt(variance) / total_ms if total_ms > 0 else ridge.PRIOR_SIGMA
        timings: dict[str, float] = {}
        for est in estimates:
            for k, v in est.timings.items():
                timings[k] = timings.get(k, 0.0) + v
        last = estimates[-1]
        rows_spread = last.figures.rows_spread
        return Prediction(
            predicted_ms=total_ms,
            estimated_rows=live.rows(
                last.figures.rows_out, last.features, last.figures.rows_bounded
            ),
            estimated_bytes=sum(e.estimated_bytes for e in estimates),
            confidence=ridge.confidence(spread),
            statements=estimates,
            basis="model" if "model" in bases else bases.pop() if len(bases) == 1 else "model",
            spread=spread,
            timings=timings,
            rows_spread=rows_spread,
            joins=[j for e in estimates for j in e.joins],
        )

    def _statement_ms(
        self, est: StatementEstimate, live: LiveModel, use_repeats: bool
    ) -> tuple[float, float, str]:
        repeats = self.store.repeats(est.fingerprint) if use_repeats and live.version[0] else []
        if repeats:
            logs = [math.log(max(r, 0.01)) for r in repeats]
            spread = statistics.pstdev(logs) if len(logs) > 1 else 0.35
            return statistics.median(repeats), max(spread, 0.15), "repeat"
        log_ratio = float(np.dot(live.theta, est.features))
        log_ratio = max(-ridge.TARGET_CLIP, min(ridge.TARGET_CLIP, log_ratio))
        ms = est.analytic_ms * math.exp(log_ratio)
        basis = "model" if live.local_samples or live.imported_samples else "analytic"
        # what the rows estimate guessed widens the duration's spread too (most work is rows);
        # once the workspace has history, its residual spread already holds those errors
        samples = live.local_samples + live.imported_samples
        weight = math.sqrt(ridge.PRIOR_WEIGHT / (ridge.PRIOR_WEIGHT + samples))
        rows_part = _ROWS_ELASTICITY * est.figures.rows_spread * weight
        spread = math.hypot(live.spread(est.features), rows_part)
        return ms, spread, basis

    # -- learning -------------------------------------------------------------------------

    def record(
        self,
        prediction: Prediction,
        actual_ms: float,
        actual_rows: int | None,
        actual_bytes: int | None = None,
    ) -> int | None:
        """Store what a predicted cell really cost, next to the prediction; the model learns it.

        Only cells with one plannable statement are learned from (the duration of a cell
        with several cannot be split between them). Returns the history id, or ``None``.
        Nothing of the text is stored, only the statement's fingerprint.
        """
        if len(prediction.statements) != 1 or not math.isfinite(actual_ms) or actual_ms < 0:
            return None
        est = prediction.statements[0]
        return self.store.record(
            fingerprint=est.fingerprint,
            feature_version=FEATURE_VERSION,
            features=est.features,
            analytic_ms=est.analytic_ms,
            predicted_ms=prediction.predicted_ms,
            confidence=prediction.confidence,
            actual_ms=float(actual_ms),
            estimated_rows=prediction.estimated_rows,
            actual_rows=actual_rows,
            estimated_bytes=prediction.estimated_bytes,
            actual_bytes=actual_bytes,
        )

    def live_model(self) -> LiveModel:
        """The model as of the latest history and imported updates (refitted when they change)."""
        version = self.store.version()
        live = self._live
        if live is not None and live.version == version:
            return live
        observations = self.store.observations(FEATURE_VERSION)
        x = [o.features for o in observations]
        y = ridge.targets(
            [o.actual_ms for o in observations], [o.analytic_ms for o in observations]
        )
        local = ridge.fit(x, y) if observations else ridge.empty_fit(len(FEATURE_NAMES))
        updates = self.store.updates(FEATURE_VERSION)
        theta = local.theta
        sigma = local.sigma
        imported = sum(u.samples for u in updates)
        if updates:
            theta = ridge.merge(local, [(u.parameters, u.samples) for u in updates])
            if observations:
                theta = ridge.refit_intercept(theta, x, y)
                sigma = ridge.residual_sigma(theta, x, y)
        live = LiveModel(
            theta, sigma, local, len(observations), imported, version, _rows_fit(observations)
        )
        self._live = live
        return live

    def local_fit(self) -> ridge.Fit:
        """The ridge fit of this workspace's own history alone (what ``learn export`` shares)."""
        observations = self.store.observations(FEATURE_VERSION)
        if not observations:
            return ridge.empty_fit(len(FEATURE_NAMES))
        x = [o.features for o in observations]
        y = ridge.targets(
            [o.actual_ms for o in observations], [o.analytic_ms for o in observations]
        )
        return ridge.fit(x, y)

    def warm(self, ctx: QueryContext) -> float:
        """Read what a first prediction needs (pyiceberg, every table's file list, the model).

        The first prediction in a process otherwise pays for it (a few hundred milliseconds);
        a kernel can call this in a background thread when it starts. Returns milliseconds.
        """
        from neurolake_lab.cost.sources import snapshot_of
        from neurolake_lab.cost.table_stats import table_files

        start = time.perf_counter()
        lake = ctx.lakehouse
        ctx.refresh()
        for location in list(lake.pointers.values()):
            table_files(location, snapshot_of(location))
        self.live_model()
        return (time.perf_counter() - start) * 1000

    def clear_cache(self) -> None:
        """Forget cached predictions (the next ``predict`` plans again)."""
        self.predictions.clear()

    def close(self) -> None:
        """Close the history store's connection of this thread."""
        self.store.close()
        self.statistics.close()
        self.speed.close()


_ROWS_CLIP = 10.0
#: how much of a rows estimate's log error shows in the duration's (most cost is per row)
_ROWS_ELASTICITY = 0.8
_ROWS_OUT = FEATURE_NAMES.index("log_rows_out")
_BOUNDED = FEATURE_NAMES.index("rows_bounded")
#: observations with a rows figure needed before the rows correction is used
_MIN_ROWS_SAMPLES = 5


def _rows_fit(observations: Sequence[Observation]) -> ridge.Fit | None:
    """Ridge fit of ln((actual rows + 1) / (estimated + 1)) over results no limit bounds.

    DuckDB's estimate of a GROUP BY's groups is often the input's row count; what queries like
    this one returned before is a better guide. The estimate is read back from the features
    (``log_rows_out`` is ``log1p(rows) / 20``), so the stored prediction is not needed.
    """
    rows = [o for o in observations if o.actual_rows is not None and not o.features[_BOUNDED]]
    if len(rows) < _MIN_ROWS_SAMPLES:
        return None
    raw = np.expm1(np.asarray([o.features[_ROWS_OUT] for o in rows]) * 20.0)
    actual = np.asarray([float(o.actual_rows or 0) for o in rows])
    y = np.clip(np.log((actual + 1.0) / (raw + 1.0)), -_ROWS_CLIP, _ROWS_CLIP)
    return ridge.fit([o.features for o in rows], y)


def _namespace_key(sql: str, namespace: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """What of the notebook's variables the cell may use: DataFrames by identity, values by repr.

    Only names that occur as words in the cell can be a table or a ``$name`` of it.
    """
    from neurolake_lab.engine.duckdb_engine import is_frame

    out = []
    for word in sorted(set(_WORD.findall(sql))):
        if word in namespace:
            value = namespace[word]
            out.append((word, f"id:{id(value)}" if is_frame(value) else repr(value)[:200]))
    return tuple(out)


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
