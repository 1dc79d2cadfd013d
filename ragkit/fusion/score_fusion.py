"""Score-based fusion: convex combination, CombSUM, CombMNZ and distribution-based fusion.

Scores are first normalised per run (see `ragkit.fusion.normalize`). **Missing candidates:**
a candidate absent from a run is given, for that run, the run's lowest normalised score
(`missing="min"`, the default: it ranks no better than the worst candidate the run did
return, as in Pyserini's hybrid searcher) or 0 (`missing="zero"`, as in ranx and Qdrant).
With min-max normalisation both rules give 0. CombMNZ counts only the runs that returned it.
The arithmetic lives in `ragkit.fusion.core`; these are its `Hit`-list entry points.
"""

from __future__ import annotations

from collections.abc import Sequence

from ragkit.fusion._runs import Weights, fuse_hits
from ragkit.types import Hit


def combsum(
    runs: Sequence[Sequence[Hit]],
    weights: Weights = None,
    norm: str = "minmax",
    missing: str = "min",
) -> list[Hit]:
    """CombSUM (Fox & Shaw, TREC-2 1994): Σ_runs w_r · norm_r(d)."""
    return fuse_hits("combsum", runs, weights, norm=norm, missing=missing)


def combmnz(
    runs: Sequence[Sequence[Hit]],
    weights: Weights = None,
    norm: str = "minmax",
    missing: str = "min",
) -> list[Hit]:
    """CombMNZ (Fox & Shaw 1994): CombSUM × the number of runs that returned the candidate."""
    return fuse_hits("combmnz", runs, weights, norm=norm, missing=missing)


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
    return fuse_hits("convex", runs, weights, norm=norm, missing=missing)


def dbsf(
    runs: Sequence[Sequence[Hit]], weights: Weights = None, missing: str = "zero"
) -> list[Hit]:
    """Distribution-based score fusion: each run's scores mapped from mean ± 3σ onto [0, 1]
    (clipped), then summed with the run weights. A missing candidate gets 0 by default.
    """
    return fuse_hits("dbsf", runs, weights, missing=missing)
