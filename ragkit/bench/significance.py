"""Paired significance tests between two systems' per-query scores, with a fixed seed.

The randomisation (sign-flip) test gives the p-value; the paired bootstrap gives a confidence
interval for the mean difference (Smucker et al. 2007; Berg-Kirkpatrick et al. 2012).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from ragkit.errors import ConfigError

__all__ = ["PairedTest", "paired_bootstrap", "randomization_test", "compare", "compare_all"]


@dataclass(frozen=True, slots=True)
class PairedTest:
    """One paired comparison: means, difference (a - b), its 95% CI and a two-sided p-value."""

    a: str
    b: str
    metric: str
    n: int
    mean_a: float
    mean_b: float
    diff: float
    ci_low: float
    ci_high: float
    p_value: float

    @property
    def significant(self) -> bool:
        """p < 0.05."""
        return self.p_value < 0.05

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict."""
        return asdict(self)


def _pair(a: Sequence[float], b: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(a, dtype=float)
    y = np.asarray(b, dtype=float)
    if x.shape != y.shape or x.ndim != 1:
        raise ConfigError(
            f"paired scores need two 1-D sequences of the same length, got {x.shape} and {y.shape}"
        )
    if x.size == 0:
        raise ConfigError("paired scores are empty; expected at least one query")
    return x, y


def _check_resamples(n_resamples: int) -> None:
    if n_resamples < 1:
        raise ConfigError(f"n_resamples must be >= 1, got {n_resamples}")


def paired_bootstrap(
    a: Sequence[float],
    b: Sequence[float],
    n_resamples: int = 10_000,
    seed: int = 0,
    confidence: float = 0.95,
) -> tuple[float, float, float]:
    """Bootstrap over queries: (mean difference a-b, CI low, CI high) at `confidence`."""
    _check_resamples(n_resamples)
    if not 0 < confidence < 1:
        raise ConfigError(f"confidence must be in (0, 1), got {confidence}")
    x, y = _pair(a, b)
    d = x - y
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, d.size, size=(n_resamples, d.size))
    means = d[idx].mean(axis=1)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return float(d.mean()), float(low), float(high)


def randomization_test(
    a: Sequence[float], b: Sequence[float], n_resamples: int = 10_000, seed: int = 0
) -> float:
    """Two-sided paired randomisation test: p-value that the mean difference is zero.

    Each resample flips the sign of every per-query difference with probability 1/2;
    p = (1 + #|resampled mean| >= |observed mean|) / (1 + n_resamples).
    """
    _check_resamples(n_resamples)
    x, y = _pair(a, b)
    d = x - y
    observed = abs(d.mean())
    if not np.any(d):
        return 1.0
    rng = np.random.default_rng(seed)
    signs = rng.choice(np.array([-1.0, 1.0]), size=(n_resamples, d.size))
    means = np.abs((signs * d).mean(axis=1))
    extreme = int(np.count_nonzero(means >= observed - 1e-12))
    return (1 + extreme) / (1 + n_resamples)


def compare(
    name_a: str,
    scores_a: Mapping[str, float],
    name_b: str,
    scores_b: Mapping[str, float],
    metric: str,
    n_resamples: int = 10_000,
    seed: int = 0,
) -> PairedTest:
    """Compare two systems on the queries both scored (matched by query id)."""
    common = sorted(set(scores_a) & set(scores_b))
    if not common:
        raise ConfigError(f"systems {name_a!r} and {name_b!r} share no scored query")
    x = [scores_a[q] for q in common]
    y = [scores_b[q] for q in common]
    diff, low, high = paired_bootstrap(x, y, n_resamples, seed)
    p = randomization_test(x, y, n_resamples, seed)
    return PairedTest(
        name_a,
        name_b,
        metric,
        len(common),
        float(np.mean(x)),
        float(np.mean(y)),
        diff,
        low,
        high,
        p,
    )


def compare_all(
    per_query: Mapping[str, Mapping[str, float]],
    metric: str,
    n_resamples: int = 10_000,
    seed: int = 0,
) -> list[PairedTest]:
    """Every pair of systems (in the given order) on one metric: {system: {query id: score}}."""
    names = list(per_query)
    return [
        compare(a, per_query[a], b, per_query[b], metric, n_resamples, seed)
        for i, a in enumerate(names)
        for b in names[i + 1 :]
    ]
