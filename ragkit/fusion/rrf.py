"""Reciprocal rank fusion (Cormack, Clarke & Büttcher, SIGIR 2009).

score(d) = Σ_runs w_r / (k + rank_r(d)), with 1-based ranks taken from each run's order.
A candidate missing from a run gets nothing from that run (its rank there is infinite).
"""

from __future__ import annotations

from collections.abc import Sequence

from ragkit.fusion._runs import Weights, fuse_hits
from ragkit.types import Hit


def rrf(runs: Sequence[Sequence[Hit]], weights: Weights = None, k: float = 60) -> list[Hit]:
    """Fuse runs by weighted reciprocal rank; `k` (default 60) damps the top ranks' lead.

    Ranks are positions in each run (the runs are expected best first); raw scores are
    ignored, which makes RRF robust to incomparable score scales.

    >>> # a doc ranked 1st in one run and 3rd in another scores 1/61 + 1/63
    """
    return fuse_hits("rrf", runs, weights, k=k)
