"""`DenseIndex`: embedding retrieval over chunks' `search_text` with a FAISS index.

The embedding matrix is kept (and saved as `.npy`, memory-mapped on load), so deleting
documents rebuilds the FAISS index from stored vectors and adding documents encodes only the
new chunks: the dense side is never re-encoded. Filters restrict the search inside FAISS (or
exactly over the allowed rows), so k results still come back.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ragkit.errors import ConfigError, IndexFormatError, IndexStateError
from ragkit.indexes.base import ChunkIndex
from ragkit.indexes.embeddings import Embedder, vectors_compatible
from ragkit.indexes.faiss_index import FaissParams, VectorIndex
from ragkit.indexes.onnx_encoder import RECIPE
from ragkit.indexes.store import ChunkStore, load_committed
from ragkit.types import Chunk

log = logging.getLogger(__name__)


class DenseIndex(ChunkIndex):
    """Dense retrieval: normalised sentence embeddings, inner product in FAISS.

    Args:
        embedder: an `Embedder`, or a model name/folder for one (default: packaged MiniLM).
        index_type: ``"auto"`` (by corpus size), ``"flat"`` (exact), ``"hnsw"``, ``"ivf"`` or
            ``"ivfpq"``; other FAISS knobs are `FaissParams` fields given as keywords.
        backend: the encoder backend of a new embedder (``"torch"``, ``"onnx"``,
            ``"onnx-int8"``; default `embeddings.DEFAULT_BACKEND`), or a check on a given one.
    """

    source = "dense"

    def __init__(
        self,
        embedder: Embedder | str | None = None,
        *,
        index_type: str = "auto",
        backend: str | None = None,
        **faiss_params: Any,
    ) -> None:
        super().__init__()
        if not isinstance(embedder, Embedder):
            embedder = Embedder(embedder, backend=backend)
        elif backend is not None and embedder.backend != backend:
            raise ConfigError(f"backend={backend!r} but the embedder's is {embedder.backend!r}")
        self.embedder = embedder
        self.faiss_params = FaissParams(index_type=index_type, **faiss_params)
        self._vectors: np.ndarray | None = None  # (n, dim) float32, row-aligned with the store
        self._vindex: VectorIndex | None = None

    @property
    def vectors(self) -> np.ndarray:
        """The (n_chunks, dim) embedding matrix."""
        if self._vectors is None:
            return np.zeros((0, self.embedder.dim), dtype=np.float32)
        return self._vectors

    @property
    def index_type(self) -> str | None:
        """The FAISS index type in use (resolved from "auto" at first build)."""
        return None if self._vindex is None else self._vindex.kind

    def params(self) -> dict[str, Any]:
        """JSON-safe parameters: embedder settings and FAISS settings."""
        return {
            "embedder": self.embedder.params(),
            "faiss": self.faiss_params.to_dict(),
            "resolved_index_type": self.index_type,
        }

    # -- building -----------------------------------------------------------------------
    def add(self, chunks: Iterable[Chunk], show_progress: bool | None = None) -> int:
        """Embed and index more chunks; returns how many were added."""
        new = list(chunks)
        if not new:
            return 0
        vecs = self.embedder.encode_passages([c.search_text for c in new], show_progress)
        with self._lock.write():  # encoded outside the lock: searches go on meanwhile
            self.store.add(new)
            self._append(vecs)
            return len(new)

    def add_vectors(self, chunks: Sequence[Chunk], vectors: np.ndarray) -> int:
        """Index chunks whose embeddings are already known (same model, normalised)."""
        vecs = np.asarray(vectors, dtype=np.float32)
        if vecs.shape != (len(chunks), self.embedder.dim):
            raise ValueError(
                f"vectors must have shape ({len(chunks)}, {self.embedder.dim}); got {vecs.shape}"
            )
        with self._lock.write():
            self.store.add(chunks)
            self._append(vecs)
            return len(chunks)

    def _append(self, vecs: np.ndarray) -> None:
        old = self._vectors
        self._vectors = vecs if old is None or len(old) == 0 else np.concatenate([old, vecs])
        if self._vindex is None:
            self._vindex = VectorIndex(self.embedder.dim, self.faiss_params)
            self._vindex.build(self._vectors)
        else:
            self._vindex.add(vecs)
        self._changed()

    def delete(self, doc_ids: Iterable[str] | str) -> int:
        """Remove every chunk of the given documents (FAISS rebuilt from stored vectors)."""
        ids = [doc_ids] if isinstance(doc_ids, str) else list(doc_ids)
        with self._lock.write():
            keep = self.store.keep_mask(ids)
            removed = keep.count(False)
            if removed:
                self.store.apply_keep(keep)
                self._vectors = np.ascontiguousarray(self.vectors[np.asarray(keep, dtype=bool)])
                if self._vindex is not None:
                    kind = self._vindex.kind
                    self._vindex.reset()
                    if len(self._vectors):
                        try:
                            self._vindex.build(self._vectors)
                        except Exception:  # e.g. too few vectors left to train IVF
                            log.warning("rebuilding a %s index failed; using flat", kind)
                            self._vindex.kind = "flat"
                            self._vindex.build(self._vectors)
                self._changed()
            return removed

    # -- searching ----------------------------------------------------------------------
    def search_vectors(
        self, qvecs: np.ndarray, k: int, mask: np.ndarray | None
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per query vector, the top-k (rows, scores) among rows allowed by `mask`."""
        if self._vindex is None:
            return [(np.zeros(0, np.int64), np.zeros(0, np.float32)) for _ in qvecs]
        if qvecs.ndim != 2 or qvecs.shape[1] != self._vindex.dim:
            raise IndexStateError(
                f"query vectors have dimension {qvecs.shape[-1]} but the index holds "
                f"{self._vindex.dim}-dimensional embeddings: search with the embedding model "
                "the index was built with"
            )
        k = max(1, min(int(k), self._vindex.ntotal))
        allowed = None if mask is None else np.flatnonzero(mask)
        scores, rows = self._vindex.search(qvecs, k, allowed, self._vectors)
        out = []
        for s, r in zip(scores, rows, strict=True):
            ok = r >= 0
            out.append((r[ok], s[ok]))
        return out

    def search_rows(
        self, queries: Sequence[str], k: int, mask: np.ndarray | None
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """Encode the queries, then `search_vectors`."""
        return self.search_vectors(self.embedder.encode_queries(queries), k, mask)

    # -- persistence --------------------------------------------------------------------
    def _write_parts(self, folder: Path) -> dict[str, Any]:
        folder.mkdir(parents=True, exist_ok=True)
        np.save(folder / "embeddings.npy", np.ascontiguousarray(self.vectors), allow_pickle=False)
        kind = self.index_type
        if self._vindex is not None and kind != "flat":
            self._vindex.save(folder / "index.faiss")
        return {
            "type": "DenseIndex",
            "params": self.params(),
            "n_chunks": len(self.store),
            "model": self.embedder.model_name,
            "dim": self.embedder.dim,
        }

    def _read_parts(
        self, folder: Path, info: dict[str, Any], store: ChunkStore, mmap: bool
    ) -> None:
        try:
            vecs = np.load(
                folder / "embeddings.npy", mmap_mode="r" if mmap else None, allow_pickle=False
            )
        except (OSError, ValueError) as exc:
            raise IndexFormatError(f"embeddings in {folder} are unreadable: {exc}") from exc
        built = info["params"]["embedder"]
        dim = int(built["dim"])
        if self.embedder.model_name != built["model"]:
            raise IndexFormatError(
                f"the index in {folder} was built with embedding model "
                f"{built['model']!r} (dim {dim}); the embedder given is "
                f"{self.embedder.model_name!r}: load it with that model"
            )
        backend = built.get("backend", "torch")  # indexes from before backends: torch
        if not vectors_compatible(backend, self.embedder.backend):
            raise IndexFormatError(
                f"the index in {folder} holds {backend} vectors; the embedder given encodes "
                f"with backend {self.embedder.backend!r}, whose vectors differ: load it with "
                f"Embedder(backend={backend!r}) (or no embedder), or rebuild the index"
            )
        recipe = built.get("recipe", "r3")  # int8 indexes from before the field: r3
        if backend == "onnx-int8" and recipe != RECIPE:
            raise IndexFormatError(
                f"the index in {folder} holds int8 vectors of quantisation recipe {recipe}; "
                f"this ragkit encodes int8 queries with recipe {RECIPE}, whose vectors differ: "
                "rebuild the index (its float32 embeddings cache stays valid)"
            )
        if vecs.ndim != 2 or vecs.shape[0] != len(store) or vecs.shape[1] != dim:
            raise IndexFormatError(
                f"embeddings in {folder} have shape {vecs.shape}; expected ({len(store)}, {dim})"
            )
        self.store = store
        self._vectors = vecs
        kind = info["params"].get("resolved_index_type")
        if kind is None or len(store) == 0:
            self._vindex = None
        else:
            self._vindex = VectorIndex(dim, self.faiss_params)
            if kind == "flat" or not (folder / "index.faiss").exists():
                self._vindex.kind = kind
                self._vindex.build(np.asarray(vecs))
            else:
                self._vindex.load(folder / "index.faiss", kind, mmap)
        self._changed()

    @classmethod
    def load(
        cls,
        folder: str | Path,
        *,
        embedder: Embedder | None = None,
        mmap: bool = True,
        verify: bool = True,
    ) -> DenseIndex:
        """Load a folder written by `save` (an `embedder` of the same model may be shared)."""

        def read(manifest: dict[str, Any], data: Path) -> DenseIndex:
            index = cls.from_params(manifest["params"], embedder)
            index._read_parts(data, manifest, ChunkStore.load(data), mmap)
            return index

        index, generation = load_committed(folder, "DenseIndex", verify, read)
        index._remember(folder, generation)
        return index

    @classmethod
    def from_params(cls, params: dict[str, Any], embedder: Embedder | None = None) -> DenseIndex:
        """An empty index with the given `params()` (the embedder is loaded lazily)."""
        try:
            emb = params["embedder"]
            if embedder is None:
                embedder = Embedder.from_params(emb)
            faiss = dict(params["faiss"])
            index_type = faiss.pop("index_type")
            return cls(embedder, index_type=index_type, **faiss)
        except (KeyError, TypeError) as exc:
            raise IndexFormatError(f"dense index parameters are malformed: {params!r}") from exc
