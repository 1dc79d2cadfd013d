"""Retrieval metrics as pure functions over ranked lists: BEIR (nDCG, Recall, MRR), page
recall, the SEC QA `norm` rule, document recall, latency percentiles and context tokens.

Every function scores one query; the runner averages. Ranks are 1-based, cut-offs `k` count
ranked items (documents for BEIR, passages otherwise).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from ragkit.errors import ConfigError
from ragkit.types import Chunk, Hit

__all__ = [
    "norm",
    "quote_in_text",
    "ranked_doc_ids",
    "doc_matches",
    "ndcg_at_k",
    "recall_at_k",
    "mrr_at_k",
    "covers_page",
    "pages_covered",
    "page_hit_at_k",
    "quotes_found",
    "doc_recall_at_k",
    "percentile",
    "count_tokens",
    "chunk_tokens",
    "context_tokens",
]

_NON_ALNUM = re.compile(r"[\W_]+", re.UNICODE)
_TOKEN = re.compile(r"\w+|[^\w\s]")


def _check_k(k: int) -> None:
    if isinstance(k, bool) or not isinstance(k, int) or k <= 0:
        raise ConfigError(f"cut-off k must be a positive integer, got {k!r}")


# -- the norm rule (sec-qa/README.md) -------------------------------------------------------


def norm(text: str) -> str:
    """Lowercase, then keep only characters for which `str.isalnum` is true."""
    # Python's `\w` is exactly isalnum plus the underscore, so `[\W_]` drops the rest.
    return _NON_ALNUM.sub("", text.lower())


def quote_in_text(quote: str, text: str) -> bool:
    """True when norm(quote) is a substring of norm(text) (an empty quote never matches)."""
    q = norm(quote)
    return bool(q) and q in norm(text)


# -- documents --------------------------------------------------------------------------------


def _hit_doc(hit: Hit) -> str:
    return hit.chunk.doc_id if hit.chunk is not None else hit.chunk_id


def ranked_doc_ids(hits: Sequence[Hit]) -> list[str]:
    """Document ids in rank order, each once (first, i.e. best, passage wins)."""
    return list(dict.fromkeys(_hit_doc(h) for h in hits))


def doc_matches(chunk: Chunk | None, doc_name: str) -> bool:
    """Whether a passage comes from the named document: its `doc_id` or source file name
    equals the name, with or without the file extension."""
    if chunk is None:
        return False
    stem = Path(doc_name).stem
    if chunk.doc_id in (doc_name, stem):
        return True
    source = str(chunk.metadata.get("source_name") or "")
    return bool(source) and (source == doc_name or Path(source).stem in (doc_name, stem))


# -- BEIR -------------------------------------------------------------------------------------


def ndcg_at_k(ranked: Sequence[str], qrels: Mapping[str, int], k: int) -> float:
    """nDCG@k with linear gain rel/log2(rank+1) (trec_eval's and BEIR's definition)."""
    _check_k(k)
    dcg = sum(
        qrels.get(doc, 0) / math.log2(rank + 1)
        for rank, doc in enumerate(ranked[:k], start=1)
        if qrels.get(doc, 0) > 0
    )
    ideal = sorted((r for r in qrels.values() if r > 0), reverse=True)[:k]
    idcg = sum(r / math.log2(rank + 1) for rank, r in enumerate(ideal, start=1))
    return dcg / idcg if idcg > 0 else 0.0


def recall_at_k(ranked: Sequence[str], qrels: Mapping[str, int], k: int) -> float:
    """Share of the relevant documents (rel > 0) found in the top k."""
    _check_k(k)
    relevant = {d for d, r in qrels.items() if r > 0}
    if not relevant:
        return 0.0
    return len(relevant & set(ranked[:k])) / len(relevant)


def mrr_at_k(ranked: Sequence[str], qrels: Mapping[str, int], k: int) -> float:
    """Reciprocal rank of the first relevant document within the top k, else 0."""
    _check_k(k)
    for rank, doc in enumerate(ranked[:k], start=1):
        if qrels.get(doc, 0) > 0:
            return 1.0 / rank
    return 0.0


# -- FinanceBench pages -----------------------------------------------------------------------


def covers_page(chunk: Chunk | None, doc_name: str, page: int) -> bool:
    """Whether the passage comes from `doc_name` and its page span includes `page` (0-based)."""
    if chunk is None or chunk.page_start is None or not doc_matches(chunk, doc_name):
        return False
    end = chunk.page_end if chunk.page_end is not None else chunk.page_start
    return chunk.page_start <= page <= end


def pages_covered(
    hits: Sequence[Hit], evidence_pages: Iterable[tuple[str, int]], k: int
) -> set[tuple[str, int]]:
    """The (document, 0-based page) evidence pages that some top-k passage overlaps."""
    _check_k(k)
    top = hits[:k]
    return {(d, p) for d, p in set(evidence_pages) if any(covers_page(h.chunk, d, p) for h in top)}


def page_hit_at_k(hits: Sequence[Hit], evidence_pages: Iterable[tuple[str, int]], k: int) -> float:
    """1.0 when a top-k passage from the right document overlaps an evidence page, else 0."""
    return 1.0 if pages_covered(hits, evidence_pages, k) else 0.0


# -- SEC QA quotes ----------------------------------------------------------------------------


def quotes_found(hits: Sequence[Hit], quotes: Sequence[str], k: int) -> list[bool]:
    """For each quote, whether it lies (norm rule) inside the text of one top-k passage."""
    _check_k(k)
    texts = [norm(h.chunk.text) for h in hits[:k] if h.chunk is not None]
    out = []
    for quote in quotes:
        q = norm(quote)
        out.append(bool(q) and any(q in t for t in texts))
    return out


# -- documents (issue 7) ----------------------------------------------------------------------


def doc_recall_at_k(hits: Sequence[Hit], gold_docs: Sequence[str], k: int) -> float:
    """1.0 when a gold document is among the documents of the top-k passages, else 0."""
    _check_k(k)
    return (
        1.0
        if any(doc_matches(h.chunk, d) or _hit_doc(h) == d for h in hits[:k] for d in gold_docs)
        else 0.0
    )


# -- cost -------------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation (numpy's default); 0 when empty."""
    if not 0 <= q <= 100:
        raise ConfigError(f"percentile q must be in [0, 100], got {q}")
    data = sorted(values)
    if not data:
        return 0.0
    pos = (len(data) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


def count_tokens(text: str) -> int:
    """A cheap, model-free token count: words and punctuation marks."""
    return len(_TOKEN.findall(text))


def chunk_tokens(chunk: Chunk) -> int:
    """A passage's length in tokens: its `n_tokens` when set, else counted from its text."""
    return chunk.n_tokens if chunk.n_tokens > 0 else count_tokens(chunk.text)


def context_tokens(hits: Sequence[Hit], k: int) -> int:
    """Tokens a generator would receive from the top-k passages (passages x length)."""
    _check_k(k)
    return sum(chunk_tokens(h.chunk) for h in hits[:k] if h.chunk is not None)
