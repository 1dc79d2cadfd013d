"""Exact merges of per-shard candidate runs: the global top-k of a side is the top-k of the
union of every shard's top-k, ordered by score then corpus position (a single index's row
order), so ties fall as they would in one index."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ragkit.scale.shard import Candidates


@dataclass(frozen=True, slots=True)
class Merged:
    """One query's merged run of one side: positions, scores, owning shard and local row,
    chunk ids, best first."""

    positions: np.ndarray
    scores: np.ndarray
    shards: np.ndarray
    rows: np.ndarray
    ids: list[str]

    def __len__(self) -> int:
        return len(self.positions)


def merge_side(parts: Sequence[Candidates], k: int, owners: Sequence[int]) -> Merged:
    """The k best candidates of one query over shards' (positions, scores, rows, ids);
    `owners` are the shards' indices."""
    pos = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int64)
    scores = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, np.float32)
    rows = np.concatenate([p[2] for p in parts]) if parts else np.zeros(0, np.int64)
    shards = np.concatenate(
        [np.full(len(p[0]), i, dtype=np.int32) for i, p in zip(owners, parts, strict=True)]
    ) if parts else np.zeros(0, np.int32)  # fmt: skip
    ids = [cid for p in parts for cid in p[3]]
    order = np.lexsort((pos, -scores))[:k]
    return Merged(pos[order], scores[order], shards[order], rows[order],
                  [ids[i] for i in order.tolist()])  # fmt: skip


def merge_runs(
    per_shard: Mapping[int, Mapping[str, list[Candidates]]], side: str, n_queries: int, k: int
) -> list[Merged]:
    """Per query, the merged top-k of `side` from the search results of shards (by index)."""
    owners = list(per_shard)
    return [
        merge_side([per_shard[s][side][q] for s in owners], k, owners) for q in range(n_queries)
    ]
