"""What every ragkit retriever shares: the chunk store, query checks, filters and top-k to Hits.

Internals pass `(rows, scores)` arrays; hits are made once, at the public edge.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ragkit.errors import IndexStateError
from ragkit.indexes import filters as _filters
from ragkit.indexes.store import ChunkStore, save_folder
from ragkit.retrievers import check_queries
from ragkit.types import Chunk, Hit


def top_k(rows: np.ndarray, scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k best (rows, scores), sorted by score descending then row (deterministic ties)."""
    if len(rows) > k:
        part = np.argpartition(-scores, k - 1)[:k]
        # keep every row tied with the k-th score so the tie-break is by row, not by chance
        kth = scores[part].min()
        part = np.flatnonzero(scores >= kth)
        rows, scores = rows[part], scores[part]
    order = np.lexsort((rows, -scores))[:k]
    return rows[order], scores[order]


class ChunkIndex:
    """Base of the retrievers: a chunk store plus the batched `search` contract."""

    #: The `Hit.source` and `Hit.scores` key of this retriever.
    source = "index"

    def __init__(self) -> None:
        self.store = ChunkStore()
        self._mask_cache: dict[str, np.ndarray | None] = {}
        self._lock = threading.RLock()

    def __len__(self) -> int:
        return len(self.store)

    @property
    def chunks(self) -> list[Chunk]:
        """The indexed chunks in row order."""
        return self.store.chunks

    def _mask(self, filters: Mapping[str, Any] | None) -> np.ndarray | None:
        if not filters:
            _filters.validate(filters)
            return None
        spec = _filters.validate(filters)
        key = repr(sorted((k, sorted(v)) for k, v in spec.items()))
        mask = self._mask_cache.get(key)
        if mask is None:
            mask = _filters.compile_mask(filters, self.store.chunks)
            if len(self._mask_cache) > 256:
                self._mask_cache.clear()
            self._mask_cache[key] = mask
        return mask

    def _changed(self) -> None:
        self._mask_cache.clear()

    def _to_hits(self, rows: np.ndarray, scores: np.ndarray) -> list[Hit]:
        chunks = self.store._chunks
        src = self.source
        out = []
        for rank, (r, s) in enumerate(zip(rows.tolist(), scores.tolist(), strict=True), start=1):
            chunk = chunks[r]
            out.append(Hit(chunk.id, s, rank, src, chunk, {src: s}))
        return out

    def search_rows(
        self, queries: Sequence[str], k: int, mask: np.ndarray | None
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per query, the top-k (rows, scores) among rows allowed by `mask`."""
        raise NotImplementedError

    def _write_parts(self, folder: Path) -> dict[str, Any]:
        """Write this index's own files into `folder`; returns its manifest entries."""
        raise NotImplementedError

    def save(self, folder: str | Path) -> Path:
        """Write the chunks and this index's files (`_write_parts`) atomically, under the
        index lock (a crash mid-save leaves the previous folder intact)."""

        def write(tmp: Path) -> dict[str, Any]:
            self.store.save(tmp)
            return self._write_parts(tmp)

        with self._lock:
            return save_folder(folder, write)

    def search(
        self, queries: Sequence[str], k: int = 10, filters: Mapping[str, Any] | None = None
    ) -> list[list[Hit]]:
        """Ranked hits for each query; k beyond the corpus is capped, filters apply inside."""
        qs = check_queries(queries, k)
        mask = self._mask(filters)
        if len(self.store) == 0:
            raise IndexStateError(f"the {self.source} index is empty; add chunks before searching")
        if not qs:
            return []
        return [self._to_hits(r, s) for r, s in self.search_rows(qs, int(k), mask)]

    def search_one(
        self, query: str, k: int = 10, filters: Mapping[str, Any] | None = None
    ) -> list[Hit]:
        """`search` for a single query."""
        return self.search([query], k, filters)[0]

    def doc_ids(self) -> list[str]:
        """Ids of the indexed documents."""
        return self.store.doc_ids()
