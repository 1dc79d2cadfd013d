"""Global BM25 statistics for a sharded index, so every shard scores as the whole corpus would.

BM25 weighs a term by its document frequency (idf) and a document by its length against the
average length. A shard that used its own statistics would score differently from one index
over all chunks, so shards report `TermStats` (documents, total length, per-term document
frequency), the driver sums them, and each shard rebuilds its score matrix with the sums. The
arithmetic is bm25s's own (its scoring functions, same dtypes), so a sharded score equals the
single index's score bit for bit (tested).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ragkit.errors import ConfigError, IndexStateError
from ragkit.indexes.bm25 import BM25Index
from ragkit.indexes.bm25_scoring import _BM25S_METHOD, BM25Scorer

#: bm25s variants whose scores need no per-corpus constant for absent terms (BM25L and BM25+
#: add a "non-occurrence" score for every query term the corpus holds, which a shard that
#: lacks the term cannot reproduce).
EXACT_VARIANTS: tuple[str, ...] = ("lucene", "okapi", "atire")


@dataclass(slots=True)
class TermStats:
    """What BM25 needs to know about a corpus: documents, summed length, document frequencies."""

    n_docs: int = 0
    total_len: int = 0
    df: Counter[str] = field(default_factory=Counter)

    @classmethod
    def merged(cls, parts: Iterable[TermStats]) -> TermStats:
        """The statistics of the union of disjoint corpora (sums)."""
        out = cls()
        for p in parts:
            out.n_docs += p.n_docs
            out.total_len += p.total_len
            out.df.update(p.df)
        return out

    @property
    def avgdl(self) -> np.float64:
        """Average document length as bm25s computes it (a float64 mean of integer lengths)."""
        return np.float64(self.total_len) / np.float64(max(self.n_docs, 1))

    def summary(self) -> dict[str, int]:
        """JSON-safe totals (kept in the sharded index's manifest as a consistency check)."""
        return {"n_docs": self.n_docs, "total_len": self.total_len, "n_terms": len(self.df)}


def check_exact(bm25: BM25Index) -> None:
    """Refuse BM25 settings whose scores a shard cannot reproduce from global statistics."""
    p = bm25.scorer.params()
    if p["backend"] != "bm25s" or p["variant"] not in EXACT_VARIANTS:
        raise ConfigError(
            f"a sharded index needs the bm25s backend with variant in {list(EXACT_VARIANTS)}; "
            f"got backend {p['backend']!r}, variant {p['variant']!r}"
        )


def term_stats(bm25: BM25Index) -> TermStats:
    """The statistics of one shard's BM25 side (from its stored token ids)."""
    docs: Sequence[np.ndarray] = bm25._doc_tokens  # the index's token ids, one array per chunk
    terms = sorted(bm25._vocab, key=bm25._vocab.__getitem__)
    if not docs:
        return TermStats()
    uniq = np.concatenate([np.unique(d) for d in docs]) if docs else np.zeros(0, np.int32)
    counts = np.bincount(uniq, minlength=len(terms))
    df = Counter({terms[i]: int(c) for i, c in enumerate(counts.tolist()) if c})
    return TermStats(len(docs), int(sum(len(d) for d in docs)), df)


class GlobalStatsScorer(BM25Scorer):
    """A bm25s scorer whose statistics come from the whole corpus, not from its own documents.

    `fit` (called by `BM25Index.add`/`delete`) only records the shape and marks the scores
    stale; `apply` builds the score matrix from global `TermStats`. Searching a stale scorer
    raises IndexStateError (the sharded index always applies statistics after a change).
    """

    stale = False

    def fit(self, docs: Sequence[np.ndarray], vocab_size: int) -> None:
        """Defer scoring until `apply` brings the global statistics."""
        self.n_docs, self.vocab_size = len(docs), vocab_size
        self._matrix = self._nonocc = None
        self.stale = self.n_docs > 0

    def top_k_batch(
        self, queries: Sequence[np.ndarray], k: int, mask: np.ndarray | None = None
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """As `BM25Scorer.top_k_batch`, refusing stale statistics."""
        if self.stale:
            raise IndexStateError("this shard's BM25 scores await the global statistics")
        return super().top_k_batch(queries, k, mask)

    def apply(self, bm25: BM25Index, stats: TermStats) -> None:
        """Score `bm25`'s documents with the global `stats` (bm25s arithmetic, float32)."""
        import scipy.sparse as sp
        from bm25s import scoring

        docs = [d.tolist() for d in bm25._doc_tokens]
        terms = sorted(bm25._vocab, key=bm25._vocab.__getitem__)
        self.n_docs, self.vocab_size = len(docs), len(terms)
        if not docs:
            self._matrix, self.stale = None, False
            return
        local_df = _local_df(bm25._doc_tokens, len(terms))
        # a term no document holds any more (after a delete) keeps df 0, as in one index
        missing = [t for i, t in enumerate(terms) if local_df[i] and stats.df.get(t, 0) <= 0]
        if missing:
            raise IndexStateError(
                f"global statistics lack {len(missing)} terms, e.g. {missing[0]!r}"
            )
        method = _BM25S_METHOD[self.variant]
        idf = scoring._build_idf_array(
            {i: stats.df.get(t, 0) for i, t in enumerate(terms)},
            n_docs=stats.n_docs,
            compute_idf_fn=scoring._select_idf_scorer(method),
            dtype="float32",
        )
        values, doc_idx, voc_idx = scoring._build_scores_and_indices_for_matrix(
            corpus_token_ids=docs, idf_array=idf, avg_doc_len=stats.avgdl,
            doc_frequencies=local_df, k1=self.k1, b=self.b, delta=self.delta,
            nonoccurrence_array=None, method=method, dtype="float32", int_dtype="int32",
            show_progress=False,
        )  # fmt: skip
        csc = sp.csc_matrix(
            (values, (doc_idx, voc_idx)), shape=(len(docs), len(terms)), dtype="float32"
        )
        self._matrix = sp.csr_matrix(
            (csc.data.astype(np.float32), csc.indices, csc.indptr), shape=(len(terms), len(docs))
        )
        self._nonocc = None
        self.stale = False


def _local_df(docs: Sequence[np.ndarray], vocab_size: int) -> dict[int, int]:
    """Per local term id, the number of this shard's documents holding it (sizes bm25s's
    output arrays)."""
    uniq = np.concatenate([np.unique(d) for d in docs]) if docs else np.zeros(0, np.int32)
    counts = np.bincount(uniq, minlength=vocab_size)
    return {i: int(c) for i, c in enumerate(counts.tolist())}


def use_global_stats(bm25: BM25Index) -> GlobalStatsScorer:
    """Swap `bm25`'s scorer for a `GlobalStatsScorer` with the same parameters, keeping any
    scores it already holds (a loaded shard's matrix was written with global statistics)."""
    check_exact(bm25)
    old = bm25.scorer
    if isinstance(old, GlobalStatsScorer):
        return old
    new = GlobalStatsScorer(**old.params())
    state: dict[str, Any] = {
        "n_docs": old.n_docs, "vocab_size": old.vocab_size,
        "_matrix": old._matrix, "_nonocc": old._nonocc,
    }  # fmt: skip
    for key, value in state.items():
        setattr(new, key, value)
    bm25.scorer = new
    return new
