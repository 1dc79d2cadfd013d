"""Fusion of ranked lists: pure functions in a registry, plus a query-dependent weighting.

`fuse(runs, method="rrf", weights=None, **params)` is the entry point every stage uses
(the hybrid index, the pipeline, the benchmark). Output hits are sorted by
`(-score, chunk_id)`, carry `source=method`, 1-based `rank`, the chunk when any input had it,
and `scores` merging the inputs' stage scores with the fused one.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

from ragkit.errors import ConfigError
from ragkit.fusion._runs import Weights
from ragkit.fusion.classifier import (
    QueryClass,
    classify_query,
    conceptual_signals,
    dynamic_weights,
    specific_signals,
)
from ragkit.fusion.normalize import NORMALISERS, distribution, get_normaliser, min_max, z_score
from ragkit.fusion.rrf import rrf
from ragkit.fusion.score_fusion import combmnz, combsum, convex, dbsf
from ragkit.types import Hit

FusionFn = Callable[..., list[Hit]]

#: Fusion methods by name; each takes (runs, weights=None, **its own parameters).
FUSION_METHODS: dict[str, FusionFn] = {
    "rrf": rrf,
    "convex": convex,
    "combsum": combsum,
    "combmnz": combmnz,
    "dbsf": dbsf,
}


def method_params(method: str) -> list[str]:
    """The keyword parameters a fusion method accepts beyond runs and weights."""
    fn = get_fusion(method)
    return [p for p in inspect.signature(fn).parameters if p not in ("runs", "weights")]


def get_fusion(method: str) -> FusionFn:
    """The fusion function registered as `method`; ConfigError naming the known ones otherwise."""
    try:
        return FUSION_METHODS[method]
    except (KeyError, TypeError):
        raise ConfigError(
            f"unknown fusion method {method!r}; expected one of {sorted(FUSION_METHODS)}"
        ) from None


def fuse(
    runs: Sequence[Sequence[Hit]],
    method: str = "rrf",
    weights: Weights = None,
    **params: Any,
) -> list[Hit]:
    """Fuse ranked runs (each best first) into one list of Hits with `method`.

    `weights` is one number per run, or a mapping from a run's source ("bm25", "dense") to
    its weight. `params` are the method's own (`k` for rrf; `norm`, `missing` for the score
    fusions). Unknown methods or parameters raise ConfigError. Every candidate of every run
    appears once in the output; slice it for a top-k.
    """
    fn = get_fusion(method)
    allowed = method_params(method)
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise ConfigError(
            f"fusion method {method!r} got unknown parameters {unknown}; it accepts {allowed}"
        )
    return fn(list(runs), weights, **params)


__all__ = [
    "FUSION_METHODS",
    "NORMALISERS",
    "QueryClass",
    "classify_query",
    "combmnz",
    "combsum",
    "conceptual_signals",
    "convex",
    "dbsf",
    "distribution",
    "dynamic_weights",
    "fuse",
    "get_fusion",
    "get_normaliser",
    "method_params",
    "min_max",
    "rrf",
    "specific_signals",
    "z_score",
]
