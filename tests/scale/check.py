"""Comparing a sharded index's results with a single index's: ids equal, scores close."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ragkit.types import Hit

TOLERANCE = 1e-5


def assert_same(expected: Sequence[Sequence[Hit]], got: Sequence[Sequence[Hit]], what: Any) -> None:
    """Same chunk ids in the same order, and scores within float tolerance, query by query."""
    assert len(expected) == len(got), what
    for q, (a, b) in enumerate(zip(expected, got, strict=True)):
        assert [h.chunk_id for h in a] == [h.chunk_id for h in b], (what, q)
        for x, y in zip(a, b, strict=True):
            assert abs(x.score - y.score) <= TOLERANCE, (what, q, x.chunk_id, x.score, y.score)
            assert x.rank == y.rank and x.source == y.source, (what, q)
        assert all(h.chunk == g.chunk for h, g in zip(a, b, strict=True)), (what, q)
