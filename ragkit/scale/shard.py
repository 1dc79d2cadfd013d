"""`Shard`: one part of a sharded index (a BM25 side with global statistics and an exact dense
side), with a plain-data interface so it runs in-process or as a Ray actor unchanged.

A shard never encodes text: the driver sends passage vectors when building and query vectors
when searching, so shard processes do not load the embedding model. Rows carry their
position in the whole corpus (`positions`), which breaks score ties as one index's rows do.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ragkit.errors import ConfigError, IndexFormatError, QueryError
from ragkit.indexes.bm25 import BM25Index
from ragkit.indexes.dense import DenseIndex
from ragkit.indexes.embeddings import Embedder
from ragkit.indexes.hybrid import HybridIndex
from ragkit.indexes.store import ChunkStore
from ragkit.scale.stats import TermStats, term_stats, use_global_stats
from ragkit.types import Chunk

#: Per query and side: (positions, scores, local rows, chunk ids), best first.
Candidates = tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]
POSITIONS_FILE = "positions.npy"
#: The key of a shard's search answer when its chunks refuse the filters.
REFUSED = "refused"
#: The shard's own entry (what `Shard.save` returned), written beside its files.
SHARD_INFO = "shard.json"


class KnownDimEmbedder(Embedder):
    """An `Embedder` whose dimension and prompts are given, so a shard that only stores and
    compares vectors never loads the model (it is loaded only if asked to encode)."""

    def __init__(self, params: Mapping[str, Any]) -> None:
        super().__init__(**Embedder.saved_arguments(params), cache=False)
        self._dim = int(params["dim"])

    @property
    def dim(self) -> int:
        """The embedding dimension given at construction."""
        return self._dim


class Shard:
    """The chunks of some documents, indexed for BM25 (global statistics) and flat dense search.

    Args:
        name: the shard's folder name ("shard-0003").
        bm25_params: `BM25Index.params()` of the index (analyzer, variant, k1, b).
        embedder_params: `Embedder.params()` of the model that made the vectors.
        folder: load the shard saved there instead of starting empty.
    """

    def __init__(
        self,
        name: str,
        bm25_params: Mapping[str, Any],
        embedder_params: Mapping[str, Any],
        folder: str | None = None,
    ) -> None:
        self.name = name
        embedder = KnownDimEmbedder(embedder_params)
        bm25 = BM25Index.from_params(dict(bm25_params))
        dense = DenseIndex(embedder, index_type="flat")
        self.positions = np.zeros(0, dtype=np.int64)
        if folder is not None:
            self.positions = _read_parts(Path(folder), bm25, dense)
        self.index = HybridIndex(bm25, dense)
        use_global_stats(bm25)

    def __len__(self) -> int:
        return len(self.index)

    def size(self) -> int:
        """How many chunks the shard holds (a method, so Ray actors can answer it)."""
        return len(self.index)

    def doc_ids(self) -> list[str]:
        """Ids of the shard's documents."""
        return self.index.doc_ids()

    def chunks(self) -> list[Chunk]:
        """The shard's chunks in row order."""
        return self.index.chunks

    def positions_of(self) -> np.ndarray:
        """The corpus position of each row."""
        return self.positions

    def known(self, chunk_ids: Sequence[str]) -> list[str]:
        """Those of `chunk_ids` this shard already holds."""
        store = self.index.bm25.store
        return [c for c in chunk_ids if store.row(c) is not None]

    def nbytes(self) -> dict[str, int]:
        """Bytes held by the dense vectors and the BM25 score matrix."""
        matrix = self.index.bm25.scorer._matrix
        sparse = 0 if matrix is None else matrix.data.nbytes + matrix.indices.nbytes
        return {"vectors": int(self.index.dense.vectors.nbytes), "bm25": int(sparse)}

    # -- building -----------------------------------------------------------------------
    def add(self, chunks: Sequence[Chunk], vectors: np.ndarray, positions: np.ndarray) -> int:
        """Append chunks with their passage vectors and corpus positions (BM25 scores wait for
        `apply_stats`)."""
        new = list(chunks)
        pos = np.asarray(positions, dtype=np.int64)
        if len(pos) != len(new) or (
            len(self.positions) and len(pos) and pos[0] <= self.positions[-1]
        ):
            raise ConfigError("positions must be one per chunk and increase past the shard's")
        if not new:
            return 0
        self.index.bm25.add(new)
        self.index.dense.add_vectors(new, vectors)
        self.positions = np.concatenate([self.positions, pos])
        return len(new)

    def delete(self, doc_ids: Sequence[str]) -> int:
        """Remove the chunks of these documents; returns how many went."""
        keep = np.asarray(self.index.bm25.store.keep_mask(doc_ids), dtype=bool)
        removed = self.index.delete(list(doc_ids))
        if removed:
            self.positions = self.positions[keep]
        return removed

    def term_stats(self) -> TermStats:
        """This shard's BM25 statistics (the driver sums every shard's)."""
        return term_stats(self.index.bm25)

    def apply_stats(self, stats: TermStats) -> None:
        """Rebuild the BM25 scores with the whole corpus's statistics."""
        use_global_stats(self.index.bm25).apply(self.index.bm25, stats)
        self.index.bm25._changed()

    # -- searching ----------------------------------------------------------------------
    def search(
        self,
        queries: Sequence[str],
        qvecs: np.ndarray | None,
        depth: int,
        filters: Mapping[str, Any] | None,
    ) -> dict[str, Any]:
        """Per side ("bm25" always, "dense" when query vectors are given), per query, the
        top-`depth` candidates allowed by `filters`; ``{REFUSED: message}`` when the shard's
        chunks refuse the filters."""
        out: dict[str, Any] = {}
        if len(self.index) == 0:
            if filters:
                return {REFUSED: f"shard {self.name} holds no chunks to filter"}
            empty = _candidates(self, np.zeros(0, np.int64), np.zeros(0, np.float32))
            out["bm25"] = [empty for _ in queries]
            if qvecs is not None:
                out["dense"] = [empty for _ in queries]
            return out
        try:
            mask = self.index.bm25._mask(filters)
        except QueryError as exc:
            # filters are checked against the chunks held (a key or value this shard lacks
            # is refused): the driver raises only when every shard refuses, as one index would
            return {REFUSED: str(exc)}
        # BM25 on the index's pool, dense in this thread (both release the GIL)
        sparse = self.index._pool.submit(self.index.bm25.search_rows, queries, depth, mask)
        try:
            if qvecs is not None:
                runs = self.index.dense.search_vectors(qvecs, depth, mask)
                out["dense"] = [_candidates(self, r, s) for r, s in runs]
        finally:
            out["bm25"] = [_candidates(self, r, s) for r, s in sparse.result()]
        return out

    def fetch(self, rows: Sequence[int]) -> list[Chunk]:
        """The chunks at these local rows."""
        store = self.index.bm25.store
        return [store[int(r)] for r in rows]

    # -- persistence --------------------------------------------------------------------
    def save(self, folder: str) -> dict[str, Any]:
        """Write the shard's chunks, BM25 and dense files and positions into `folder` (inside
        the sharded index's data folder, whose manifest checksums them); returns its entry."""
        path = Path(folder)
        path.mkdir(parents=True)
        bm25, dense = self.index.bm25, self.index.dense
        bm25.store.save(path)
        np.save(path / POSITIONS_FILE, self.positions, allow_pickle=False)
        entry = {
            "name": self.name,
            "n_chunks": len(self.index),
            "n_docs": len(self.index.doc_ids()),
            "bm25": bm25._write_parts(path / "bm25"),
            "dense": dense._write_parts(path / "dense"),
        }
        (path / SHARD_INFO).write_text(json.dumps(entry, indent=1, sort_keys=True), "utf-8")
        return entry


def _candidates(shard: Shard, rows: np.ndarray, scores: np.ndarray) -> Candidates:
    store = shard.index.bm25.store
    rows = rows.astype(np.int64)
    return (
        shard.positions[rows],
        scores.astype(np.float32),
        rows,
        [store[r].id for r in rows.tolist()],
    )


def _read_parts(folder: Path, bm25: BM25Index, dense: DenseIndex) -> np.ndarray:
    """Fill `bm25` and `dense` from a shard folder written by `Shard.save`; its positions."""
    info = json.loads((folder / SHARD_INFO).read_text("utf-8"))
    store = ChunkStore.load(folder)
    bm25._read_parts(folder / "bm25", info["bm25"], store, True)
    dense._read_parts(folder / "dense", info["dense"], ChunkStore(store.chunks), True)
    n = len(store)
    try:
        pos = np.load(folder / POSITIONS_FILE, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise IndexFormatError(
            f"shard {folder.name}: {POSITIONS_FILE} is unreadable: {exc}"
        ) from exc
    if pos.shape != (n,) or (n > 1 and not bool(np.all(np.diff(pos) > 0))):
        raise IndexFormatError(
            f"shard {folder.name}: {POSITIONS_FILE} holds {pos.shape} positions for {n} chunks "
            "(expected one increasing position per chunk)"
        )
    return pos.astype(np.int64)
