"""The learned part of the cost model: ridge regression of the analytic estimate's error.

The target is ``ln(actual_ms) - ln(analytic_ms)``: how far the fixed-rate estimate was off, in
log space (durations span five orders of magnitude and q-error is a ratio). With no history the
parameters are zero and the prediction is the analytic estimate; each executed query moves them.

Why ridge regression written here rather than a library model: scikit-learn is not a dependency,
and with ~20 features and at most a few thousand observations the closed form is one small
``numpy.linalg.solve`` (well under a millisecond). A linear model is also what federated learning
needs: parameters of workspaces that share the feature space can be averaged, weighted by their
sample counts, which trees or boosted ensembles cannot. The penalty is picked by leave-one-out
error, which ridge gives in closed form (the hat matrix), so no data is held back.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]

#: |target| is clipped to this (ln 150): one pathological run (a cold cache, a paused machine)
#: must not drag the whole model; it also bounds the sensitivity of differential privacy.
TARGET_CLIP = 5.0
#: penalties tried by leave-one-out; the intercept is penalised 100 times less (machine speed
#: is the first thing to learn and should not be shrunk toward the analytic rates)
LAMBDAS = (0.1, 0.3, 1.0, 3.0, 10.0)
_INTERCEPT_PENALTY = 0.01
#: log-space spread of the analytic estimate before any history (≈ a factor of 4.5 either way)
PRIOR_SIGMA = 1.5
#: pseudo-observations of that prior spread when the residual spread is estimated
PRIOR_WEIGHT = 3.0


@dataclass(frozen=True)
class Fit:
    """Fitted parameters and what is needed to say how sure a prediction is."""

    theta: Array
    samples: int
    #: residual standard deviation in log space (leave-one-out, blended with the prior spread)
    sigma: float
    lam: float
    #: inverse of the penalised Gram matrix of the local observations (for leverage), or None
    inverse_gram: Array | None

    def predict_log(self, x: Sequence[float]) -> float:
        """The predicted log-ratio of actual to analytic duration for features ``x``."""
        return float(np.dot(self.theta, np.asarray(x, dtype=np.float64)))

    def spread(self, x: Sequence[float]) -> float:
        """Standard deviation of the log error for ``x``: residual spread widened by leverage."""
        if self.inverse_gram is None:
            return self.sigma
        v = np.asarray(x, dtype=np.float64)
        leverage = float(v @ self.inverse_gram @ v)
        return self.sigma * math.sqrt(1.0 + min(max(leverage, 0.0), 3.0))


def empty_fit(dim: int) -> Fit:
    """The model before any history: the analytic estimate, with the prior spread."""
    return Fit(np.zeros(dim), 0, PRIOR_SIGMA, LAMBDAS[-1], None)


def penalty(dim: int, lam: float) -> Array:
    """The ridge penalty matrix: ``lam`` on every feature, much less on the intercept."""
    diag = np.full(dim, lam)
    diag[0] = lam * _INTERCEPT_PENALTY
    return np.diag(diag)


def targets(actual_ms: Sequence[float], analytic_ms: Sequence[float]) -> Array:
    """Clipped log-ratios ``ln(actual / analytic)``."""
    a = np.maximum(np.asarray(actual_ms, dtype=np.float64), 0.01)
    b = np.maximum(np.asarray(analytic_ms, dtype=np.float64), 0.01)
    return np.clip(np.log(a / b), -TARGET_CLIP, TARGET_CLIP)


def fit(features: Sequence[Sequence[float]], y: Array, lam: float | None = None) -> Fit:
    """Ridge fit of ``y`` on ``features``; the penalty chosen by leave-one-out when not given."""
    x = np.asarray(features, dtype=np.float64)
    n, d = x.shape if x.size else (0, 0)
    if n == 0:
        return empty_fit(d or 1)
    gram = x.T @ x
    xty = x.T @ y
    best: tuple[float, float, Array, Array] | None = None
    for candidate in (lam,) if lam is not None else LAMBDAS:
        inv: Array = np.linalg.inv(gram + penalty(d, candidate)).astype(np.float64)
        theta = inv @ xty
        resid = y - x @ theta
        hat = np.einsum("ij,jk,ik->i", x, inv, x)
        loo = resid / np.maximum(1.0 - hat, 1e-3)
        press = float(np.mean(loo**2))
        if best is None or press < best[0]:
            best = (press, candidate, theta, inv)
    assert best is not None
    press, chosen, theta, inv = best
    sigma = math.sqrt((PRIOR_WEIGHT * PRIOR_SIGMA**2 + n * press) / (PRIOR_WEIGHT + n))
    return Fit(theta, n, sigma, chosen, inv)


def merge(local: Fit, imported: Sequence[tuple[Sequence[float], int]]) -> Array:
    """Federated averaging: parameters weighted by the samples each was fitted on."""
    total = float(local.samples)
    acc = local.theta * local.samples
    for params, samples in imported:
        acc = acc + np.asarray(params, dtype=np.float64) * samples
        total += samples
    return acc / total if total > 0 else local.theta


def refit_intercept(
    theta: Array, features: Sequence[Sequence[float]], y: Array, prior_weight: float = 10.0
) -> Array:
    """``theta`` with its intercept moved by this workspace's mean residual (shrunk when few).

    Shared parameters say how cost grows with the plan; the intercept is this machine's speed,
    which only local observations can tell.
    """
    if len(y) == 0:
        return theta
    x = np.asarray(features, dtype=np.float64)
    resid = y - x @ theta
    shift = float(np.sum(resid) / (len(y) + prior_weight))
    out = theta.copy()
    out[0] += shift
    return out


def residual_sigma(theta: Array, features: Sequence[Sequence[float]], y: Array) -> float:
    """Residual spread of ``theta`` on local observations, blended with the prior spread."""
    n = len(y)
    if n == 0:
        return PRIOR_SIGMA
    x = np.asarray(features, dtype=np.float64)
    sq = float(np.sum((y - x @ theta) ** 2))
    return math.sqrt((PRIOR_WEIGHT * PRIOR_SIGMA**2 + sq) / (PRIOR_WEIGHT + n))


def confidence(spread: float, factor: float = 2.0) -> float:
    """Probability that the actual duration is within ``factor`` of the prediction.

    The log error is taken as normal with standard deviation ``spread``, so this is
    ``P(|e| < ln factor) = erf(ln factor / (spread·√2))``: 0.36 with no history, near 1 for a
    query that ran before with steady timings.
    """
    if spread <= 0:
        return 1.0
    return float(math.erf(math.log(factor) / (spread * math.sqrt(2.0))))
