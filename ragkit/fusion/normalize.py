"""Score normalisation kept separate from fusion: min-max, z-score and distribution-based.

Each function maps one run's raw scores (a 1-D sequence) to comparable values, so that scores
from BM25 (unbounded) and cosine similarity ([-1, 1]) can be added. They are pure and cheap.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from ragkit.errors import ConfigError

Normaliser = Callable[[Sequence[float]], list[float]]


def min_max(scores: Sequence[float]) -> list[float]:
    """Map scores linearly onto [0, 1] (min → 0, max → 1); a constant run maps to all 1.0."""
    if not scores:
        return []
    lo, hi = min(scores), max(scores)
    if hi == lo:
        return [1.0] * len(scores)
    return [(s - lo) / (hi - lo) for s in scores]


def z_score(scores: Sequence[float]) -> list[float]:
    """Standardise scores to mean 0 and (population) standard deviation 1; constant → all 0.0."""
    if not scores:
        return []
    mean = sum(scores) / len(scores)
    std = math.sqrt(sum((s - mean) ** 2 for s in scores) / len(scores))
    if std == 0.0:
        return [0.0] * len(scores)
    return [(s - mean) / std for s in scores]


def distribution(scores: Sequence[float]) -> list[float]:
    """Distribution-based normalisation (DBSF): map [mean − 3σ, mean + 3σ] onto [0, 1], clipped.

    Unlike min-max, one outlier score does not squash the rest of the run (Qdrant's DBSF).
    A constant run maps to all 0.5.
    """
    if not scores:
        return []
    mean = sum(scores) / len(scores)
    std = math.sqrt(sum((s - mean) ** 2 for s in scores) / len(scores))
    if std == 0.0:
        return [0.5] * len(scores)
    lo, hi = mean - 3.0 * std, mean + 3.0 * std
    return [min(1.0, max(0.0, (s - lo) / (hi - lo))) for s in scores]


def identity(scores: Sequence[float]) -> list[float]:
    """No normalisation: the raw scores (only sensible when the runs share one scale)."""
    return [float(s) for s in scores]


#: Normalisers by name, as accepted by the `norm` parameter of the score-based fusions.
NORMALISERS: dict[str, Normaliser] = {
    "minmax": min_max,
    "zscore": z_score,
    "dbsf": distribution,
    "none": identity,
}


def get_normaliser(name: str) -> Normaliser:
    """The normaliser registered under `name`; ConfigError listing the known names otherwise."""
    try:
        return NORMALISERS[name]
    except (KeyError, TypeError):
        raise ConfigError(
            f"unknown score normalisation {name!r}; expected one of {sorted(NORMALISERS)}"
        ) from None
