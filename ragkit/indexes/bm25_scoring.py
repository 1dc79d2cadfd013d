"""Sparse BM25 scoring over token ids, with a fast bm25s backend and the rank-bm25 reference.

`BM25Scorer` holds only the term statistics of a corpus of token lists; the retriever
(`BM25Index` in `sparse.py`) adds the analyzer, the chunks and filters. The bm25s backend
precomputes every (term, document) score into a sparse matrix and scores a whole batch of
queries with one sparse product; the rank-bm25 backend scores query by query, as the
reference. A document is a candidate only when it contains at least one query term.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from ragkit.errors import ConfigError, DependencyError, IndexFormatError

log = logging.getLogger(__name__)

#: Variants whose every (term, document) score is positive, so "score > 0" means "matches".
_POSITIVE_VARIANTS = frozenset({"lucene", "bm25l", "bm25plus"})
#: A query with fewer postings than n_docs / this is scored sparsely (no n-sized vector).
_SPARSE_RATIO = 16

#: Backends and the variants each offers (rank-bm25 has Okapi, BM25L and BM25Plus).
BACKENDS: dict[str, tuple[str, ...]] = {
    "bm25s": ("lucene", "okapi", "atire", "bm25l", "bm25plus"),
    "rank_bm25": ("okapi", "bm25l", "bm25plus"),
}
_BM25S_METHOD = {
    "lucene": "lucene",
    "okapi": "robertson",
    "atire": "atire",
    "bm25l": "bm25l",
    "bm25plus": "bm25+",
}


def check_params(backend: str, variant: str | None, k1: float, b: float, delta: float) -> str:
    """Validate BM25 parameters; returns the variant (the backend's default when None)."""
    if backend not in BACKENDS:
        raise ConfigError(f"unknown BM25 backend {backend!r}; expected one of {sorted(BACKENDS)}")
    variant = variant or BACKENDS[backend][0]
    if variant not in BACKENDS[backend]:
        raise ConfigError(
            f"BM25 variant {variant!r} is not offered by backend {backend!r}; expected one of "
            f"{list(BACKENDS[backend])}"
        )
    if not k1 >= 0:
        raise ConfigError(f"k1 must be >= 0; got {k1!r}")
    if not 0 <= b <= 1:
        raise ConfigError(f"b must be in [0, 1]; got {b!r}")
    if not delta >= 0:
        raise ConfigError(f"delta must be >= 0; got {delta!r}")
    return variant


class BM25Scorer:
    """Term statistics and scoring for a corpus given as lists of token ids.

    `score_batch(query_ids)` returns, per query, the candidate rows (documents holding a query
    term) and their scores; ranking, filters and k are the caller's.
    """

    def __init__(
        self,
        backend: str = "bm25s",
        variant: str | None = None,
        k1: float = 1.2,
        b: float = 0.75,
        delta: float = 0.5,
    ) -> None:
        self.variant = check_params(backend, variant, k1, b, delta)
        self.backend = backend
        self.k1, self.b, self.delta = float(k1), float(b), float(delta)
        self.n_docs = 0
        self.vocab_size = 0
        self._matrix: Any = None  # scipy CSR (vocab x docs) of precomputed scores (bm25s)
        self._nonocc: np.ndarray | None = None  # per-term score of a non-occurring term
        self._postings: Any = None  # scipy CSR (vocab x docs) of term counts (rank_bm25)
        self._rank: Any = None  # rank_bm25 object

    def params(self) -> dict[str, Any]:
        """JSON-safe parameters."""
        return {
            "backend": self.backend,
            "variant": self.variant,
            "k1": self.k1,
            "b": self.b,
            "delta": self.delta,
        }

    # -- building -----------------------------------------------------------------------
    def fit(self, docs: Sequence[np.ndarray], vocab_size: int) -> None:
        """Compute the statistics of `docs` (one int array of token ids per document)."""
        self.n_docs = len(docs)
        self.vocab_size = vocab_size
        if self.n_docs == 0:
            self._matrix = self._postings = self._rank = self._nonocc = None
            return
        if self.backend == "bm25s":
            self._fit_bm25s(docs, vocab_size)
        else:
            self._fit_rank_bm25(docs, vocab_size)

    def _fit_bm25s(self, docs: Sequence[np.ndarray], vocab_size: int) -> None:
        import bm25s
        import scipy.sparse as sp

        quiet_bm25s_logger()

        model = bm25s.BM25(
            k1=self.k1, b=self.b, delta=self.delta, method=_BM25S_METHOD[self.variant]
        )
        vocab = {i: i for i in range(vocab_size)}
        # bm25s wants python lists; an empty document gets no postings
        model.index(
            ([d.tolist() for d in docs], vocab), create_empty_token=False, show_progress=False
        )
        sc = model.scores
        self._matrix = sp.csr_matrix(
            (sc["data"].astype(np.float32), sc["indices"], sc["indptr"]),
            shape=(vocab_size, self.n_docs),
        )
        nonocc = getattr(model, "nonoccurrence_array", None)
        self._nonocc = None if nonocc is None else np.asarray(nonocc, dtype=np.float32)

    def _fit_rank_bm25(self, docs: Sequence[np.ndarray], vocab_size: int) -> None:
        try:
            import rank_bm25
        except ImportError as exc:
            raise DependencyError(
                "the rank_bm25 backend needs rank-bm25: pip install 'ragkit[bm25-reference]' "
                "(or use the default backend, bm25s)"
            ) from exc

        cls = {
            "okapi": rank_bm25.BM25Okapi,
            "bm25l": rank_bm25.BM25L,
            "bm25plus": rank_bm25.BM25Plus,
        }[self.variant]
        kwargs: dict[str, float] = {"k1": self.k1, "b": self.b}
        if self.variant != "okapi":
            kwargs["delta"] = self.delta
        # rank-bm25 divides by the average length; an all-empty corpus gets a dummy token
        corpus = [d.tolist() if len(d) else [-1] for d in docs]
        self._rank = cls(corpus, **kwargs)
        self._postings = _postings(docs, vocab_size)

    # -- scoring ------------------------------------------------------------------------
    def score_batch(self, queries: Sequence[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per query: (rows of documents holding a query term, their scores)."""
        empty = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))
        if self.n_docs == 0:
            return [empty for _ in queries]
        if self.backend == "bm25s":
            return self._score_bm25s(queries)
        out = []
        for q in queries:
            if len(q) == 0:
                out.append(empty)
                continue
            rows = np.unique(self._postings[q].indices)
            # get_scores, not get_batch_scores: the latter weights BM25L/BM25+ terms by tf twice
            scores = np.asarray(self._rank.get_scores(q.tolist()))[rows]
            out.append((rows.astype(np.int64), scores.astype(np.float32)))
        return out

    def _score_bm25s(self, queries: Sequence[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
        import scipy.sparse as sp

        lengths = np.fromiter((len(q) for q in queries), dtype=np.int64, count=len(queries))
        indptr = np.zeros(len(queries) + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        cols = np.concatenate(queries) if len(queries) else np.zeros(0, dtype=np.int64)
        qmat = sp.csr_matrix(
            (np.ones(len(cols), dtype=np.float32), cols, indptr),
            shape=(len(queries), self.vocab_size),
        )
        result = (qmat @ self._matrix).tocsr()  # (queries x docs), only matching documents
        const = None
        if self._nonocc is not None:
            const = np.asarray(qmat @ self._nonocc).ravel()
        out = []
        for i in range(len(queries)):
            lo, hi = result.indptr[i], result.indptr[i + 1]
            scores = result.data[lo:hi]
            if const is not None:
                scores = scores + const[i]
            out.append((result.indices[lo:hi].astype(np.int64), scores))
        return out

    def top_k_batch(
        self, queries: Sequence[np.ndarray], k: int, mask: np.ndarray | None = None
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per query, the k best (rows, scores) among documents holding a query term.

        Same result as `score_batch` followed by `base.top_k` (ties broken by row), but the
        bm25s backend never builds the candidate list: each query's posting lists are
        gathered with one vectorised index and summed with `np.bincount` into a dense score
        vector that stays in cache, and `np.argpartition` picks the top k; a query whose
        postings are few against the corpus is summed sparsely instead.
        """
        from ragkit.indexes.base import top_k

        if self.backend != "bm25s" or self.n_docs == 0:
            out = []
            for rows, scores in self.score_batch(queries):
                if mask is not None and len(rows):
                    keep = mask[rows]
                    rows, scores = rows[keep], scores[keep]
                out.append(top_k(rows, scores, k))
            return out
        m, n = self._matrix, self.n_docs
        indptr, indices, data = m.indptr, m.indices, m.data
        nonocc = self._nonocc
        # with every idf positive, a document holding a query term scores > 0 (robertson and
        # atire idfs can be 0 or negative)
        positive = self.variant in _POSITIVE_VARIANTS
        kk = min(k, n)
        empty = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))
        out = []
        for q in queries:
            if len(q) == 0:
                out.append(empty)
                continue
            starts = indptr[q].astype(np.int64)
            plen = indptr[q + 1].astype(np.int64) - starts
            total = int(plen.sum())
            if total == 0:
                out.append(empty)
                continue
            pos = np.repeat(starts - (np.cumsum(plen) - plen), plen) + np.arange(total)
            docs = indices[pos]
            const = np.float32(nonocc[q].sum(dtype=np.float32)) if nonocc is not None else None
            if total * _SPARSE_RATIO < n:  # few postings: sum them without an n-sized vector
                rows, inverse = np.unique(docs, return_inverse=True)
                sums64 = np.bincount(inverse, weights=data[pos])
                keep = sums64 != 0.0
                if mask is not None:
                    keep &= mask[rows]
                rows, sums = rows[keep], sums64[keep].astype(np.float32)
                if const is not None:
                    sums += const
                out.append(top_k(rows.astype(np.int64), sums, kk))
                continue
            sums = np.bincount(docs, weights=data[pos], minlength=n)
            # a candidate is a document whose query terms sum to a non-zero score (what the
            # sparse product keeps); with positive idfs every non-candidate is exactly 0
            if mask is not None:
                sums[~mask] = 0.0
            floor = 0.0
            if not positive:
                sums[sums == 0.0] = -np.inf
                floor = -np.inf
            rows = _top_rows(sums, kk, floor)
            vals = sums[rows].astype(np.float32)
            if const is not None:
                vals += const
            order = np.lexsort((rows, -vals))[:kk]
            out.append((rows[order], vals[order]))
        return out

    # -- persistence --------------------------------------------------------------------
    def save_arrays(self, folder: Path) -> list[str]:
        """Write the precomputed bm25s matrix (if any) as .npy files; returns the file names."""
        if self.backend != "bm25s" or self._matrix is None:
            return []
        m = self._matrix
        names = {
            "scores_data.npy": m.data,
            "scores_indices.npy": m.indices,
            "scores_indptr.npy": m.indptr,
        }
        if self._nonocc is not None:
            names["nonoccurrence.npy"] = self._nonocc
        for name, arr in names.items():
            np.save(folder / name, np.ascontiguousarray(arr), allow_pickle=False)
        return sorted(names)

    def load_arrays(self, folder: Path, n_docs: int, vocab_size: int, mmap: bool) -> bool:
        """Load arrays written by `save_arrays`; False when there are none (refit instead)."""
        if self.backend != "bm25s" or not (folder / "scores_data.npy").exists():
            return False
        import scipy.sparse as sp

        mode: Literal["r"] | None = "r" if mmap else None
        try:
            data = np.load(folder / "scores_data.npy", mmap_mode=mode, allow_pickle=False)
            indices = np.load(folder / "scores_indices.npy", mmap_mode=mode, allow_pickle=False)
            indptr = np.load(folder / "scores_indptr.npy", allow_pickle=False)
            self._matrix = sp.csr_matrix((data, indices, indptr), shape=(vocab_size, n_docs))
            nonocc_path = folder / "nonoccurrence.npy"
            self._nonocc = (
                np.load(nonocc_path, allow_pickle=False) if nonocc_path.exists() else None
            )
        except (ValueError, OSError) as exc:
            raise IndexFormatError(f"BM25 score arrays in {folder} are unreadable: {exc}") from exc
        self.n_docs, self.vocab_size = n_docs, vocab_size
        return True


def _top_rows(scores: np.ndarray, k: int, floor: float) -> np.ndarray:
    """Rows of the k best scores above `floor`, plus every row tied with the k-th (int64)."""
    n = len(scores)
    if k < n:
        part = np.argpartition(-scores, k)[: k + 1]  # the k best, then the (k+1)-th
        kth = scores[part[:k]].min()
        if kth > floor:
            if scores[part[k]] < kth:  # no tie at the boundary: the k best are exact
                return part[:k].astype(np.int64)
            return np.flatnonzero(scores >= kth)
    return np.flatnonzero(scores > floor)


def _postings(docs: Sequence[np.ndarray], vocab_size: int) -> Any:
    """A (vocab x docs) CSR matrix of term counts."""
    import scipy.sparse as sp

    lengths = np.fromiter((len(d) for d in docs), dtype=np.int64, count=len(docs))
    rows = np.concatenate(docs) if docs else np.zeros(0, dtype=np.int64)
    cols = np.repeat(np.arange(len(docs)), lengths)
    m = sp.csr_matrix(
        (np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(vocab_size, len(docs))
    )
    m.sum_duplicates()
    return m


@functools.cache
def quiet_bm25s_logger() -> None:
    """bm25s sets its own logger to DEBUG at import, so its "Building index" lines reach any
    handler (the CLI's included): put it back to WARNING, once, right after that import (a
    level set later by the user stays)."""
    logger = logging.getLogger("bm25s")
    if logger.level == logging.DEBUG:
        logger.setLevel(logging.WARNING)
