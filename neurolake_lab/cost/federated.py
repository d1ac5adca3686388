"""Federated learning of the cost model: share parameters, never queries or data.

``export_update`` writes what this workspace's history taught the model: the ridge parameters
over the fixed feature set (``features.py``) and the number of observations they were fitted
on. Nothing else leaves: no query text or fingerprint, no table or column name, no path, user
or time. ``merge_updates`` folds updates from other workspaces in; the live model is then the
average of the local and imported parameters weighted by their sample counts (federated
averaging), with the intercept re-fitted on local observations (it is this machine's speed).

Differential privacy (``epsilon``): the exported parameters are perturbed so that whether any one
query was in the history changes the distribution of the file by at most a factor ``e^epsilon``.
The mechanism is output perturbation for regularised empirical risk minimisation (Chaudhuri,
Monteleoni and Sarwate, JMLR 2011, Algorithm 1): each feature vector is scaled to an L2 norm of
at most ``B``, each target clipped to ``|y| <= Y``, and the parameters minimise
``(1/n) Σ ½(y - θ·x)² + (λ/2)‖θ‖²``. Then ``‖θ‖ <= Y/√λ``, the loss is ``L``-Lipschitz on that
ball with ``L = (Y + B·Y/√λ)·B``, and the L2 sensitivity of the minimiser to replacing one
record is at most ``Δ = 2L/(nλ)``. Noise with density ``∝ exp(-ε‖b‖/Δ)`` (a uniform direction,
a norm drawn from ``Gamma(d, Δ/ε)``) makes the release ``ε``-differentially private. The sample
count ``n`` is published exactly (it is treated as public, as in that paper). Noise shrinks as
``1/(nε)``: with the defaults, ``ε = 1`` needs tens of thousands of observations before the
noise is small next to the parameters; a small history shared with ``ε = 1`` mostly adds noise.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from neurolake_lab.cost import model as ridge
from neurolake_lab.cost.features import FEATURE_NAMES, FEATURE_VERSION
from neurolake_lab.exceptions import CostModelError

if TYPE_CHECKING:
    from neurolake_lab.cost.cost_model import CostModel

FORMAT = "neurolake-cost-update"
FORMAT_VERSION = 1
#: bound on each feature vector's L2 norm (vectors are scaled down to it) for the DP fit
DP_FEATURE_NORM = 3.0
#: bound on |target| (ln actual/analytic) for the DP fit
DP_TARGET_BOUND = ridge.TARGET_CLIP
#: ridge penalty of the DP fit (larger: less sensitivity, more bias)
DP_LAMBDA = 1.0


def export_update(
    model: CostModel, *, epsilon: float | None = None, seed: int | None = None
) -> dict[str, Any]:
    """The update of this workspace: parameters and sample count (noised with ``epsilon``).

    Raises:
        CostModelError: there is no history to learn from, or ``epsilon`` is not positive.
    """
    observations = model.store.observations(FEATURE_VERSION)
    if not observations:
        raise CostModelError(
            "this workspace has no cost history yet: run some queries before exporting"
        )
    x = np.asarray([o.features for o in observations], dtype=np.float64)
    y = ridge.targets([o.actual_ms for o in observations], [o.analytic_ms for o in observations])
    update: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "feature_version": FEATURE_VERSION,
        "samples": len(observations),
    }
    if epsilon is None:
        update["parameters"] = [float(v) for v in ridge.fit(x.tolist(), y).theta]
        update["privacy"] = {"mechanism": "none"}
        return update
    if not (epsilon > 0 and math.isfinite(epsilon)):
        raise CostModelError(f"epsilon must be a positive number, not {epsilon}")
    theta, sensitivity = private_fit(x, y)
    noise = laplace_l2_noise(len(theta), sensitivity / epsilon, np.random.default_rng(seed))
    update["parameters"] = [float(v) for v in theta + noise]
    update["privacy"] = {
        "mechanism": "output perturbation, L2-Laplace (Chaudhuri et al. 2011)",
        "epsilon": float(epsilon),
        "lambda": DP_LAMBDA,
        "feature_norm_bound": DP_FEATURE_NORM,
        "target_bound": DP_TARGET_BOUND,
        "sensitivity": sensitivity,
    }
    return update


Array = np.ndarray[Any, np.dtype[np.float64]]


def private_fit(x: Array, y: Array) -> tuple[Array, float]:
    """The clipped, regularised fit the DP release perturbs, and its L2 sensitivity ``Δ``."""
    n, d = x.shape
    norms = np.linalg.norm(x, axis=1)
    scale = np.minimum(1.0, DP_FEATURE_NORM / np.maximum(norms, 1e-12))
    xc = x * scale[:, None]
    yc = np.clip(y, -DP_TARGET_BOUND, DP_TARGET_BOUND)
    theta = np.linalg.solve(xc.T @ xc / n + DP_LAMBDA * np.eye(d), xc.T @ yc / n)
    lipschitz = (DP_TARGET_BOUND + DP_FEATURE_NORM * DP_TARGET_BOUND / math.sqrt(DP_LAMBDA)) * (
        DP_FEATURE_NORM
    )
    return theta, 2.0 * lipschitz / (n * DP_LAMBDA)


def laplace_l2_noise(dim: int, scale: float, rng: np.random.Generator) -> Array:
    """Noise with density ``∝ exp(-‖b‖/scale)``: uniform direction, ``Gamma(dim, scale)`` norm."""
    direction = rng.standard_normal(dim)
    direction /= np.linalg.norm(direction)
    return direction * rng.gamma(dim, scale)


def write_update(update: dict[str, Any], path: str | Path) -> Path:
    """Write an update as JSON (readable by everyone: it holds no data)."""
    out = Path(path)
    out.write_text(json.dumps(update, indent=1, sort_keys=True) + "\n")
    return out


def read_update(path: str | Path) -> dict[str, Any]:
    """Read and check an update file.

    Raises:
        CostModelError: the file is missing, not JSON, or not a cost update this version reads.
    """
    p = Path(path)
    try:
        data = json.loads(p.read_text())
    except OSError as exc:
        raise CostModelError(f"cannot read the update {p}: {exc.strerror or exc}") from None
    except ValueError:
        raise CostModelError(f"{p} is not a cost update (not JSON)") from None
    problem = _check(data)
    if problem:
        raise CostModelError(f"{p} is not a usable cost update: {problem}")
    return dict(data)


def _check(data: Any) -> str | None:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return f"its format is not {FORMAT!r}"
    if data.get("format_version") != FORMAT_VERSION:
        return (
            f"format version {data.get('format_version')!r} (this version reads {FORMAT_VERSION})"
        )
    if data.get("feature_version") != FEATURE_VERSION:
        return (
            f"it was made with feature set {data.get('feature_version')!r}, this version uses "
            f"{FEATURE_VERSION}"
        )
    params = data.get("parameters")
    if not isinstance(params, list) or len(params) != len(FEATURE_NAMES):
        return f"it needs {len(FEATURE_NAMES)} parameters"
    if not all(isinstance(v, int | float) and math.isfinite(v) for v in params):
        return "a parameter is not a finite number"
    samples = data.get("samples")
    if not isinstance(samples, int) or isinstance(samples, bool) or samples <= 0:
        return "its sample count is not a positive integer"
    return None


def digest(update: dict[str, Any]) -> str:
    """A hash of an update's content: the same file merged twice counts once."""
    return hashlib.sha256(json.dumps(update, sort_keys=True).encode()).hexdigest()


def merge_updates(model: CostModel, updates: Sequence[dict[str, Any]]) -> tuple[int, int]:
    """Fold ``updates`` into the workspace; ``(updates newly merged, their samples)``."""
    merged = samples = 0
    for update in updates:
        problem = _check(update)
        if problem:
            raise CostModelError(f"not a usable cost update: {problem}")
        privacy = update.get("privacy") or {}
        epsilon = privacy.get("epsilon") if isinstance(privacy, dict) else None
        added = model.store.add_update(
            digest(update),
            FEATURE_VERSION,
            [float(v) for v in update["parameters"]],
            int(update["samples"]),
            float(epsilon) if isinstance(epsilon, int | float) else None,
        )
        if added:
            merged += 1
            samples += int(update["samples"])
    model.clear_cache()
    return merged, samples
