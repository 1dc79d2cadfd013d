"""`BM25Index`: the sparse retriever over chunks' `search_text`, with the financial analyzer.

Two backends share the analyzer and vocabulary: bm25s (default; a precomputed sparse score
matrix, all queries of a batch scored in one sparse product) and rank-bm25 (the reference).
Adding or deleting documents refits the term statistics from the stored token ids, so the
statistics are always those of the current corpus, without re-tokenizing anything.

Example:
    >>> index = BM25Index()
    >>> index.add(chunks)
    >>> hits = index.search(["goodwill impairment"], k=5, filters={"form_type": "10-K"})
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ragkit.errors import IndexFormatError
from ragkit.indexes.analyzer import Analyzer
from ragkit.indexes.base import ChunkIndex
from ragkit.indexes.bm25_scoring import BM25Scorer, check_params
from ragkit.indexes.store import ChunkStore, load_committed
from ragkit.types import Chunk

log = logging.getLogger(__name__)


class BM25Index(ChunkIndex):
    """Sparse BM25 retrieval over chunks.

    Args:
        analyzer: the tokenizer for documents and queries (default: financial `Analyzer()`).
        backend: ``"bm25s"`` (fast, default) or ``"rank_bm25"`` (reference).
        variant: ``"lucene"`` (bm25s default), ``"okapi"``, ``"atire"``, ``"bm25l"``,
            ``"bm25plus"``; rank-bm25 offers okapi (its default), bm25l and bm25plus.
        k1, b, delta: the BM25 parameters (delta for BM25L / BM25+).
    """

    source = "bm25"

    def __init__(
        self,
        analyzer: Analyzer | None = None,
        *,
        backend: str = "bm25s",
        variant: str | None = None,
        k1: float = 1.2,
        b: float = 0.75,
        delta: float = 0.5,
    ) -> None:
        super().__init__()
        check_params(backend, variant, k1, b, delta)
        self.analyzer = analyzer or Analyzer()
        self.scorer = BM25Scorer(backend, variant, k1, b, delta)
        self._vocab: dict[str, int] = {}
        self._doc_tokens: list[np.ndarray] = []
        #: seconds the last refit of the term statistics took (add/delete cost)
        self.last_fit_seconds = 0.0

    def params(self) -> dict[str, Any]:
        """JSON-safe parameters (backend, variant, k1, b, delta, analyzer settings)."""
        return {**self.scorer.params(), "analyzer": self.analyzer.to_dict()}

    # -- building -----------------------------------------------------------------------
    def _ids(self, tokens: list[str], grow: bool) -> np.ndarray:
        vocab = self._vocab
        if grow:
            for t in tokens:
                if t not in vocab:
                    vocab[t] = len(vocab)
            return np.fromiter((vocab[t] for t in tokens), dtype=np.int32, count=len(tokens))
        ids = [vocab[t] for t in tokens if t in vocab]
        return np.asarray(ids, dtype=np.int32)

    def add(self, chunks: Iterable[Chunk]) -> int:
        """Index more chunks (their `search_text`); returns how many were added."""
        with self._lock.write():
            new = self.store.add(chunks)
            if not new:
                return 0
            for c in new:
                self._doc_tokens.append(self._ids(self.analyzer(c.search_text), grow=True))
            self._refit()
            return len(new)

    def delete(self, doc_ids: Iterable[str] | str) -> int:
        """Remove every chunk of the given documents; returns how many chunks were removed."""
        ids = [doc_ids] if isinstance(doc_ids, str) else list(doc_ids)
        with self._lock.write():
            keep = self.store.keep_mask(ids)
            removed = keep.count(False)
            if removed:
                self.store.apply_keep(keep)
                self._doc_tokens = [t for t, k in zip(self._doc_tokens, keep, strict=True) if k]
                self._refit()
            return removed

    def _refit(self) -> None:
        start = time.perf_counter()
        self.scorer.fit(self._doc_tokens, len(self._vocab))
        self.last_fit_seconds = time.perf_counter() - start
        self._changed()
        log.info(
            "BM25 statistics over %d chunks, %d terms in %.2fs",
            len(self._doc_tokens),
            len(self._vocab),
            self.last_fit_seconds,
        )

    # -- searching ----------------------------------------------------------------------
    def query_ids(self, queries: Sequence[str]) -> list[np.ndarray]:
        """Analyze queries into vocabulary ids (unknown terms dropped)."""
        vocab = self._vocab
        empty = np.zeros(0, dtype=np.int32)
        out = []
        for tokens in self.analyzer.tokenize_many(queries):
            ids = [vocab[t] for t in tokens if t in vocab]
            out.append(np.array(ids, dtype=np.int32) if ids else empty)
        return out

    def search_rows(
        self, queries: Sequence[str], k: int, mask: np.ndarray | None
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per query, the top-k (rows, scores) of chunks holding a query term and allowed by mask.

        A query whose terms are all stop words or unknown gets no rows.
        """
        return self.scorer.top_k_batch(self.query_ids(queries), k, mask)

    # -- persistence --------------------------------------------------------------------
    def _write_parts(self, folder: Path) -> dict[str, Any]:
        folder.mkdir(parents=True, exist_ok=True)
        vocab = sorted(self._vocab, key=self._vocab.__getitem__)
        (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), "utf-8")
        lengths = np.fromiter((len(t) for t in self._doc_tokens), dtype=np.int64)
        offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        flat = (
            np.concatenate(self._doc_tokens) if self._doc_tokens else np.zeros(0, np.int32)
        ).astype(np.int32)
        np.save(folder / "doc_tokens.npy", flat, allow_pickle=False)
        np.save(folder / "doc_offsets.npy", offsets, allow_pickle=False)
        self.scorer.save_arrays(folder)
        return {
            "type": "BM25Index",
            "params": self.params(),
            "n_chunks": len(self.store),
            "vocab_size": len(self._vocab),
        }

    def _read_parts(
        self, folder: Path, info: dict[str, Any], store: ChunkStore, mmap: bool
    ) -> None:
        try:
            vocab = json.loads((folder / "vocab.json").read_text("utf-8"))
            flat = np.load(folder / "doc_tokens.npy", allow_pickle=False)
            offsets = np.load(folder / "doc_offsets.npy", allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise IndexFormatError(f"BM25 files in {folder} are unreadable: {exc}") from exc
        if len(offsets) != len(store) + 1 or len(vocab) != info.get("vocab_size", len(vocab)):
            raise IndexFormatError(
                f"BM25 files in {folder} do not match the chunks: {len(offsets) - 1} token "
                f"lists for {len(store)} chunks"
            )
        self.store = store
        self._vocab = {t: i for i, t in enumerate(vocab)}
        self._doc_tokens = [flat[offsets[i] : offsets[i + 1]] for i in range(len(store))]
        if not self.scorer.load_arrays(folder, len(store), len(vocab), mmap):
            self.scorer.fit(self._doc_tokens, len(vocab))
        self._changed()

    @classmethod
    def load(cls, folder: str | Path, *, mmap: bool = True, verify: bool = True) -> BM25Index:
        """Load a folder written by `save`; raises IndexFormatError when it is not valid."""

        def read(manifest: dict[str, Any], data: Path) -> BM25Index:
            index = cls.from_params(manifest["params"])
            index._read_parts(data, manifest, ChunkStore.load(data), mmap)
            return index

        index, generation = load_committed(folder, "BM25Index", verify, read)
        index._remember(folder, generation)
        return index

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> BM25Index:
        """An empty index with the given `params()`."""
        try:
            return cls(
                Analyzer.from_dict(params["analyzer"]),
                backend=params["backend"],
                variant=params["variant"],
                k1=params["k1"],
                b=params["b"],
                delta=params["delta"],
            )
        except (KeyError, TypeError) as exc:
            raise IndexFormatError(f"BM25 parameters are malformed: {params!r}") from exc
