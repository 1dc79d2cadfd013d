"""Score-based fusion: convex combination, CombSUM, CombMNZ and distribution-based fusion.

Scores are first normalised per run (see `ragkit.fusion.normalize`). **Missing candidates:**
a candidate absent from a run is given, for that run, the run's lowest normalised score
(`missing="min"`, the default: it ranks no better than the worst candidate the run did
return, as in Pyserini's hybrid searcher) or 0 (`missing="zero"`, as in ranx and Qdrant).
With min-max normalisation both rules give 0. CombMNZ counts only the runs that returned it.
"""

from __future__ import annotations

from collections.abc import Sequence

from ragkit.errors import ConfigError
from ragkit.fusion._runs import Weights, build_hits, dedupe, resolve_weights
from ragkit.fusion.normalize import get_normaliser
from ragkit.types import Hit

_MISSING = ("min", "zero")


def _normalised(
    runs: Sequence[Sequence[Hit]], norm: str, missing: str
) -> tuple[list[dict[str, float]], list[float], set[str]]:
    """Per run: {chunk_id: normalised score}, the value a missing candidate gets; all ids."""
    if missing not in _MISSING:
        raise ConfigError(f"unknown missing-candidate rule {missing!r}; expected one of {_MISSING}")
    normaliser = get_normaliser(norm)
    per_run: list[dict[str, float]] = []
    fill: list[float] = []
    ids: set[str] = set()
    for run in runs:
        hits = dedupe(run)
        values = normaliser([float(h.score) for h in hits])
        per_run.append({h.chunk_id: v for h, v in zip(hits, values, strict=True)})
        fill.append(min(values) if (values and missing == "min") else 0.0)
        ids.update(h.chunk_id for h in hits)
    return per_run, fill, ids


def combsum(
    runs: Sequence[Sequence[Hit]],
    weights: Weights = None,
    norm: str = "minmax",
    missing: str = "min",
) -> list[Hit]:
    """CombSUM (Fox & Shaw, TREC-2 1994): Σ_runs w_r · norm_r(d)."""
    return _weighted_sum("combsum", runs, resolve_weights(runs, weights), norm, missing)


def combmnz(
    runs: Sequence[Sequence[Hit]],
    weights: Weights = None,
    norm: str = "minmax",
    missing: str = "min",
) -> list[Hit]:
    """CombMNZ (Fox & Shaw 1994): CombSUM × the number of runs that returned the candidate."""
    w = resolve_weights(runs, weights)
    per_run, fill, ids = _normalised(runs, norm, missing)
    fused: dict[str, float] = {}
    for cid in ids:
        total = sum(wt * r.get(cid, f) for r, f, wt in zip(per_run, fill, w, strict=True))
        fused[cid] = total * sum(1 for r in per_run if cid in r)
    return build_hits("combmnz", fused, runs)


def convex(
    runs: Sequence[Sequence[Hit]],
    weights: Weights = None,
    norm: str = "minmax",
    missing: str = "min",
) -> list[Hit]:
    """Convex combination: Σ_runs α_r · norm_r(d) with the weights rescaled to sum to 1.

    With two runs and weights (0.3, 0.7) this is 0.3·sparse + 0.7·dense (Bruch et al. 2023,
    "An Analysis of Fusion Functions for Hybrid Retrieval").
    """
    w = resolve_weights(runs, weights)
    total = sum(w)
    if runs and total == 0.0:
        raise ConfigError("convex fusion weights sum to 0; expected at least one weight > 0")
    return _weighted_sum("convex", runs, [x / total for x in w] if runs else w, norm, missing)


def dbsf(
    runs: Sequence[Sequence[Hit]], weights: Weights = None, missing: str = "zero"
) -> list[Hit]:
    """Distribution-based score fusion: each run's scores mapped from mean ± 3σ onto [0, 1]
    (clipped), then summed with the run weights. A missing candidate gets 0 by default.
    """
    return _weighted_sum("dbsf", runs, resolve_weights(runs, weights), "dbsf", missing)


def _weighted_sum(
    method: str, runs: Sequence[Sequence[Hit]], w: list[float], norm: str, missing: str
) -> list[Hit]:
    per_run, fill, ids = _normalised(runs, norm, missing)
    fused = {
        cid: sum(wt * r.get(cid, f) for r, f, wt in zip(per_run, fill, w, strict=True))
        for cid in ids
    }
    return build_hits(method, fused, runs)
