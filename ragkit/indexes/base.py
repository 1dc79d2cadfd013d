"""What every ragkit retriever shares: the chunk store, query checks, filters and top-k to Hits.

Internals pass `(rows, scores)` arrays; hits are made once, at the public edge. Searches
hold the read side of the index's readers-writer lock and add/delete the write side, so a
mutation never runs under a search; k is capped at the index size before any work.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from ragkit.errors import IndexStateError
from ragkit.indexes import filters as _filters
from ragkit.indexes.locking import ReadWriteLock, folder_lock
from ragkit.indexes.store import ChunkStore, save_folder
from ragkit.retrievers import check_queries
from ragkit.types import Chunk, Hit


class Persisted:
    """Where an index was loaded from or last saved to, and that folder's generation then:
    a save back to the same folder is refused when another writer committed meanwhile."""

    def __init__(self) -> None:
        self._origin: tuple[Path, int] | None = None

    def _remember(self, folder: str | Path, generation: int) -> None:
        self._origin = (Path(folder).expanduser().resolve(), generation)

    def _expected(self, folder: str | Path) -> int | None:
        """The generation `folder` must still hold for a save there (None: no check)."""
        if self._origin is None:
            return None
        origin, gen = self._origin
        return gen if origin == Path(folder).expanduser().resolve() else None


@contextmanager
def update_folder(folder: str | Path, load: Any, timeout: float | None = None) -> Iterator[Any]:
    """Hold `folder`'s writer lock while the caller changes `load(folder)` and save it back
    (only when the block ends without an exception): writers take turns, none is lost."""
    path = Path(folder).expanduser()
    with folder_lock(path, timeout):
        index = load(path)
        yield index
        index.save(path)


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


class ChunkIndex(Persisted):
    """Base of the retrievers: a chunk store plus the batched `search` contract."""

    #: The `Hit.source` and `Hit.scores` key of this retriever.
    source = "index"

    def __init__(self) -> None:
        super().__init__()
        self.store = ChunkStore()
        self._mask_cache: dict[str, np.ndarray | None] = {}
        self._lock = ReadWriteLock()

    @classmethod
    def open_for_update(
        cls, folder: str | Path, *, timeout: float | None = None, **load_kwargs: Any
    ) -> Any:
        """`with Index.open_for_update(folder) as index:` load under the folder's writer
        lock, change the index, and it is saved when the block ends (writers take turns)."""
        return update_folder(folder, lambda p: cls.load(p, **load_kwargs), timeout)  # type: ignore[attr-defined]

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
        """Commit the chunks and this index's files (`_write_parts`) as the folder's new
        version (a crash mid-save leaves the previous version loadable); ConcurrentModification
        Error when another writer saved the folder since this index was loaded from it."""

        def write(tmp: Path) -> dict[str, Any]:
            self.store.save(tmp)
            return self._write_parts(tmp)

        with self._lock.read():
            commit = save_folder(folder, write, self._expected(folder))
        self._remember(commit.path, commit.generation)
        return commit.path

    def search(
        self, queries: Sequence[str], k: int = 10, filters: Mapping[str, Any] | None = None
    ) -> list[list[Hit]]:
        """Ranked hits for each query; k beyond the corpus is capped, filters apply inside."""
        qs = check_queries(queries, k)
        with self._lock.read():
            mask = self._mask(filters)
            if len(self.store) == 0:
                raise IndexStateError(
                    f"the {self.source} index is empty; add chunks before searching"
                )
            if not qs:
                return []
            k = min(int(k), len(self.store))
            return [self._to_hits(r, s) for r, s in self.search_rows(qs, k, mask)]

    def search_one(
        self, query: str, k: int = 10, filters: Mapping[str, Any] | None = None
    ) -> list[Hit]:
        """`search` for a single query."""
        return self.search([query], k, filters)[0]

    def doc_ids(self) -> list[str]:
        """Ids of the indexed documents."""
        return self.store.doc_ids()
