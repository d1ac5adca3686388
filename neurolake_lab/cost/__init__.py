"""Query cost before it runs: plan and Iceberg metadata estimates, corrected by a learned model.

``CostModel(workspace).predict(session, sql)`` returns a ``Prediction`` (duration, rows out, bytes
scanned, confidence, the optimizer's suggestions); ``.record(session, sql, prediction,
actual_ms, actual_rows, actual_bytes)`` stores what it really cost, and the model learns from it.
``profile_query`` measures the actual figures (DuckDB's profiler: time, rows, bytes read).
``federated`` exports and merges the model's parameters between workspaces.
"""

from neurolake_lab.cost.cost_model import CostModel, LiveModel
from neurolake_lab.cost.estimate import StatementEstimate
from neurolake_lab.cost.features import FEATURE_NAMES, FEATURE_VERSION
from neurolake_lab.cost.prediction import Prediction, Suggestion

__all__ = [
    "FEATURE_NAMES",
    "FEATURE_VERSION",
    "CostModel",
    "LiveModel",
    "Prediction",
    "StatementEstimate",
    "Suggestion",
]
