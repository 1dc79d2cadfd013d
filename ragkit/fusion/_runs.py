"""The `Hit`-list side of fusion: name runs, resolve weights, call the array core once and
build the fused Hits."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from ragkit.errors import ConfigError
from ragkit.fusion.core import Run, check_weights, fuse_scores, top_keys
from ragkit.types import Chunk, Hit

Weights = Sequence[float] | Mapping[str, float] | None


def run_name(run: Sequence[Hit], index: int) -> str:
    """The name of a run: the `source` of its hits, or `run<i>` when it is empty."""
    return run[0].source if run else f"run{index}"


def resolve_weights(runs: Sequence[Sequence[Hit]], weights: Weights) -> list[float]:
    """One non-negative weight per run (default 1.0 each).

    `weights` may be a sequence aligned with `runs` or a mapping from a run's source name
    ("bm25", "dense") to its weight; runs a mapping does not name get 1.0.
    """
    if weights is None:
        return [1.0] * len(runs)
    if isinstance(weights, Mapping):
        names = [run_name(r, i) for i, r in enumerate(runs)]
        unknown = set(weights) - set(names)
        if unknown:
            raise ConfigError(
                f"fusion weights name unknown runs {sorted(unknown)}; the runs are {names}"
            )
        values = [weights.get(n, 1.0) for n in names]
    else:
        values = list(weights)
    return check_weights(values, len(runs))


def fuse_hits(
    method: str, runs: Sequence[Sequence[Hit]], weights: Weights, **params: Any
) -> list[Hit]:
    """Fuse Hit runs with `method` of `ragkit.fusion.core` (keys are chunk ids)."""
    w = resolve_weights(runs, weights)
    arrays = [
        Run(run_name(r, i), [h.chunk_id for h in r], finite_scores([float(h.score) for h in r]))
        for i, r in enumerate(runs)
    ]
    return build_hits(method, fuse_scores(method, arrays, w, **params), runs)


def finite_scores(scores: list[float]) -> list[float]:
    """Scores with NaN and infinities replaced so that normalisation cannot spread them to every
    fused score: +inf just above the run's best finite score, -inf and NaN just below its worst
    (a NaN is no evidence). A run of finite scores comes back unchanged."""
    if all(math.isfinite(x) for x in scores):
        return scores
    finite = [x for x in scores if math.isfinite(x)]
    top, bottom = (max(finite), min(finite)) if finite else (0.0, 0.0)
    gap = max(1.0, top - bottom)
    return [x if math.isfinite(x) else top + gap if x > 0 else bottom - gap for x in scores]


def build_hits(method: str, fused: Mapping[Any, float], runs: Sequence[Sequence[Hit]]) -> list[Hit]:
    """Fused scores → Hits sorted by (-score, chunk_id), with rank, chunk and merged scores.

    Each output hit's `scores` merges the input hits' `scores` and their stage scores (keyed
    by each input's `source`), plus the fused score under `method`.
    """
    chunks: dict[str, Chunk] = {}
    stage_scores: dict[str, dict[str, float]] = {}
    for run in runs:
        for hit in run:
            merged = stage_scores.setdefault(hit.chunk_id, {})
            merged.update(hit.scores)
            merged[hit.source] = float(hit.score)
            if hit.chunk is not None and hit.chunk_id not in chunks:
                chunks[hit.chunk_id] = hit.chunk
    out: list[Hit] = []
    for rank, cid in enumerate(top_keys(dict(fused), None), start=1):
        score = float(fused[cid])
        scores = dict(stage_scores.get(cid, {}))
        scores[method] = score
        out.append(Hit(cid, score, rank, method, chunks.get(cid), scores))
    return out
