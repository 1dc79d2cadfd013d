"""The one fusion core: every method computed on runs of (keys, scores) arrays.

A key is whatever identifies a candidate to the caller: a chunk id for `ragkit.fusion.fuse`
over `Hit` lists, an index row for `HybridIndex`, which builds `Hit`s for its top k only.
Both paths call `fuse_scores`, so the two can never disagree on a fused score.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from ragkit.errors import ConfigError
from ragkit.fusion.normalize import get_normaliser

_MISSING = ("min", "zero")


@dataclass(frozen=True, slots=True)
class Run:
    """One retriever's ranked candidates, best first: `keys[i]` scored `scores[i]`.

    Duplicate keys are allowed on input; only the first (best-ranked) occurrence counts.
    """

    name: str
    keys: Sequence[Hashable]
    scores: Sequence[float]

    def deduped(self, parts: Parts | None) -> tuple[list[Hashable], list[float]]:
        """The keys and scores with later duplicates of a key dropped. With `parts`, each
        kept score is also recorded in `parts[key][self.name]` (which then serves as the
        seen-set: one pass for the hybrid index's row fusion)."""
        keys: list[Hashable] = []
        scores: list[float] = []
        if parts is None:
            seen: set[Hashable] = set()
            for key, score in zip(self.keys, self.scores, strict=True):
                if key not in seen:
                    seen.add(key)
                    keys.append(key)
                    scores.append(float(score))
            return keys, scores
        name = self.name
        for key, score in zip(self.keys, self.scores, strict=True):
            part = parts.get(key)
            if part is None:
                part = parts[key] = {}
            elif name in part:
                continue
            part[name] = score = float(score)
            keys.append(key)
            scores.append(score)
        return keys, scores


FusedScores = dict[Hashable, float]
#: key -> {run name: the key's (first) raw score in that run}
Parts = dict[Hashable, dict[str, float]]
CoreFn = Callable[..., FusedScores]


def _rrf(
    runs: Sequence[Run], w: Sequence[float], parts: Parts | None, k: float = 60
) -> FusedScores:
    if isinstance(k, bool) or not isinstance(k, int | float) or k < 0:
        raise ConfigError(f"rrf k must be a number >= 0, got {k!r}")
    fused: FusedScores = {}
    for run, weight in zip(runs, w, strict=True):
        keys, _ = run.deduped(parts)
        for position, key in enumerate(keys, start=1):
            fused[key] = fused.get(key, 0.0) + weight / (k + position)
    return fused


def _normalised(
    runs: Sequence[Run], norm: str, missing: str, parts: Parts | None
) -> tuple[list[dict[Hashable, float]], list[float], list[Hashable]]:
    """Per run {key: normalised score}, the value a missing candidate gets, and all keys
    in first-seen order."""
    if missing not in _MISSING:
        raise ConfigError(f"unknown missing-candidate rule {missing!r}; expected one of {_MISSING}")
    normaliser = get_normaliser(norm)
    per_run: list[dict[Hashable, float]] = []
    fill: list[float] = []
    order: dict[Hashable, None] = {}
    for run in runs:
        keys, scores = run.deduped(parts)
        values = normaliser(scores)
        per_run.append(dict(zip(keys, values, strict=True)))
        fill.append(min(values) if (values and missing == "min") else 0.0)
        order.update(dict.fromkeys(keys))
    return per_run, fill, list(order)


def _weighted_sum(
    runs: Sequence[Run], w: Sequence[float], parts: Parts | None, norm: str, missing: str
) -> FusedScores:
    per_run, fill, keys = _normalised(runs, norm, missing, parts)
    return {
        key: sum(wt * r.get(key, f) for r, f, wt in zip(per_run, fill, w, strict=True))
        for key in keys
    }


def _combsum(
    runs: Sequence[Run],
    w: Sequence[float],
    parts: Parts | None,
    norm: str = "minmax",
    missing: str = "min",
) -> FusedScores:
    return _weighted_sum(runs, w, parts, norm, missing)


def _combmnz(
    runs: Sequence[Run],
    w: Sequence[float],
    parts: Parts | None,
    norm: str = "minmax",
    missing: str = "min",
) -> FusedScores:
    per_run, fill, keys = _normalised(runs, norm, missing, parts)
    fused: FusedScores = {}
    for key in keys:
        total = sum(wt * r.get(key, f) for r, f, wt in zip(per_run, fill, w, strict=True))
        fused[key] = total * sum(1 for r in per_run if key in r)
    return fused


def _convex(
    runs: Sequence[Run],
    w: Sequence[float],
    parts: Parts | None,
    norm: str = "minmax",
    missing: str = "min",
) -> FusedScores:
    total = sum(w)
    if runs and total == 0.0:
        raise ConfigError("convex fusion weights sum to 0; expected at least one weight > 0")
    return _weighted_sum(runs, [x / total for x in w] if runs else w, parts, norm, missing)


def _dbsf(
    runs: Sequence[Run], w: Sequence[float], parts: Parts | None, missing: str = "zero"
) -> FusedScores:
    return _weighted_sum(runs, w, parts, "dbsf", missing)


#: The fused-score function of each method: (runs, one weight per run, parts, **params).
CORES: dict[str, CoreFn] = {
    "rrf": _rrf,
    "convex": _convex,
    "combsum": _combsum,
    "combmnz": _combmnz,
    "dbsf": _dbsf,
}


def check_weights(values: Sequence[Any], n_runs: int) -> list[float]:
    """One number >= 0 per run, as floats; ConfigError otherwise."""
    if len(values) != n_runs:
        raise ConfigError(
            f"got {len(values)} fusion weights for {n_runs} runs; expected one per run"
        )
    out: list[float] = []
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int | float) or not 0 <= v < math.inf:
            raise ConfigError(f"fusion weight {v!r} is invalid; expected a number >= 0 (finite)")
        out.append(float(v))
    return out


def fuse_scores(
    method: str,
    runs: Sequence[Run],
    weights: Sequence[float] | None = None,
    *,
    parts: Parts | None = None,
    **params: Any,
) -> FusedScores:
    """The fused score of every key of every run under `method` (weights default to 1.0).

    `parts`, when given, receives every key's raw score in each run (by run name), from the
    same pass that fuses them."""
    try:
        core = CORES[method]
    except (KeyError, TypeError):
        raise ConfigError(
            f"unknown fusion method {method!r}; expected one of {sorted(CORES)}"
        ) from None
    w = check_weights(list(weights), len(runs)) if weights is not None else [1.0] * len(runs)
    return core(runs, w, parts, **params)


def top_keys(
    fused: FusedScores, k: int | None, tiebreak: Callable[[Any], Any] | None = None
) -> list[Any]:
    """The keys of the `k` best fused scores (all when k is None), ties broken by
    `tiebreak(key)` (default: the key itself)."""
    if tiebreak is None:
        rank: Callable[[Any], tuple[float, Any]] = lambda key: (-fused[key], key)  # noqa: E731
    else:
        rank = lambda key: (-fused[key], tiebreak(key))  # noqa: E731
    if k is None or k >= len(fused):
        return sorted(fused, key=rank)
    cut = heapq.nlargest(k, fused.values())[-1]  # the k-th best score: only keys >= it sort
    return sorted((key for key, score in fused.items() if score >= cut), key=rank)[:k]
