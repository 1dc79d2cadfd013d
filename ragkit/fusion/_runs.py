"""Shared helpers of the fusion methods: validate runs and weights, build the fused Hits."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ragkit.errors import ConfigError
from ragkit.types import Chunk, Hit

Weights = Sequence[float] | Mapping[str, float] | None


def dedupe(run: Sequence[Hit]) -> list[Hit]:
    """A run with duplicate chunk ids reduced to their first (best-ranked) occurrence."""
    seen: set[str] = set()
    out: list[Hit] = []
    for hit in run:
        if hit.chunk_id not in seen:
            seen.add(hit.chunk_id)
            out.append(hit)
    return out


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
        if len(values) != len(runs):
            raise ConfigError(
                f"got {len(values)} fusion weights for {len(runs)} runs; expected one per run"
            )
    out: list[float] = []
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int | float) or v < 0:
            raise ConfigError(f"fusion weight {v!r} is invalid; expected a number >= 0")
        out.append(float(v))
    return out


def build_hits(method: str, fused: Mapping[str, float], runs: Sequence[Sequence[Hit]]) -> list[Hit]:
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
    order = sorted(fused.items(), key=lambda item: (-item[1], item[0]))
    out: list[Hit] = []
    for rank, (cid, score) in enumerate(order, start=1):
        scores = dict(stage_scores.get(cid, {}))
        scores[method] = float(score)
        out.append(Hit(cid, float(score), rank, method, chunks.get(cid), scores))
    return out
