"""Cohere Rerank through the official SDK (`cohere.ClientV2.rerank`, default `rerank-v3.5`).

Long documents are split into pieces of at most `max_tokens_per_doc` (estimated at 0.75
words per token) scored separately and merged back by their best piece; more pieces than
one request allows go out in parallel batches. 429/5xx/timeouts are retried with bounded
backoff, then raise a typed ProviderError, or fall back to a local reranker if one is given.
Every request is written to a CostLedger (search units, latency). Keys are never logged.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from ragkit.errors import ConfigError, ProviderError
from ragkit.models import DEFAULT_COHERE_RERANK_MODEL
from ragkit.remote import COHERE_KEY_ENV, LazyClient, RemoteSettings
from ragkit.rerankers.base import Reranker, check_rerank_args, get_reranker, hit_text, rescored
from ragkit.rerankers.ledger import CostLedger, LedgerEntry
from ragkit.types import Hit

if TYPE_CHECKING:
    import cohere

logger = logging.getLogger(__name__)

WORDS_PER_TOKEN = 0.75


def split_words(text: str, max_tokens: int) -> list[str]:
    """Split a text into pieces of about `max_tokens` tokens (whitespace words × 0.75)."""
    words = text.split()
    size = max(1, int(max_tokens * WORDS_PER_TOKEN))
    if len(words) <= size:
        return [text]
    return [" ".join(words[i : i + size]) for i in range(0, len(words), size)]


def _scores(response: object, n: int) -> list[float]:
    """A relevance score per document from a rerank answer (-inf for documents it omits);
    ProviderError for an answer of another shape."""
    results = getattr(response, "results", None)
    if not isinstance(results, list):
        raise ProviderError(f"Cohere rerank answer has no results list: {str(response)[:200]}")
    scores = [float("-inf")] * n
    for result in results:
        index = getattr(result, "index", None)
        score = getattr(result, "relevance_score", None)
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < n:
            raise ProviderError(f"Cohere rerank returned index {index!r} for {n} documents")
        if isinstance(score, bool) or not isinstance(score, int | float):
            raise ProviderError(f"Cohere rerank returned relevance score {score!r}")
        scores[index] = float(score)
    return scores


class CohereReranker:
    """Reranks candidates with Cohere Rerank; see the module docstring for the behaviour."""

    def __init__(
        self,
        model: str = DEFAULT_COHERE_RERANK_MODEL,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float = 30.0,
        max_retries: int = 3,
        backoff: float = 0.5,
        max_docs_per_request: int = 1000,
        max_tokens_per_doc: int = 4096,
        parallelism: int = 4,
        fallback: Reranker | str | None = None,
        ledger: CostLedger | None = None,
        name: str = "cohere",
    ) -> None:
        for label, value in (
            ("max_docs_per_request", max_docs_per_request),
            ("max_tokens_per_doc", max_tokens_per_doc),
            ("parallelism", parallelism),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ConfigError(f"{label} must be a positive int, got {value!r}")
        self.model = model
        self.remote = RemoteSettings.of(
            "Cohere",
            COHERE_KEY_ENV,
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            backoff=backoff,
        )
        self.max_docs_per_request = max_docs_per_request
        self.max_tokens_per_doc = max_tokens_per_doc
        self.parallelism = parallelism
        self.fallback = get_reranker(fallback) if isinstance(fallback, str) else fallback
        self.ledger = ledger if ledger is not None else CostLedger()
        self.name = name
        self._client: LazyClient[cohere.ClientV2] = LazyClient(self.remote.cohere_client)

    def __repr__(self) -> str:
        return f"CohereReranker(model={self.model!r}, base_url={self.remote.base_url!r})"

    def _request(self, query: str, documents: list[str]) -> list[float]:
        """One rerank request; returns a relevance score per document (in input order)."""
        client = self._client.get()
        start = time.perf_counter()
        try:
            response = self.remote.call_cohere(
                lambda: client.rerank(
                    model=self.model,
                    query=query,
                    documents=documents,
                    top_n=len(documents),
                    max_tokens_per_doc=self.max_tokens_per_doc,
                ),
                "rerank",
            )
        except ProviderError as exc:
            self.ledger.record(
                LedgerEntry(
                    "cohere",
                    "rerank",
                    self.model,
                    len(documents),
                    latency_ms=(time.perf_counter() - start) * 1000,
                    ok=False,
                    note=type(exc).__name__,
                )
            )
            raise
        latency = (time.perf_counter() - start) * 1000
        units = getattr(
            getattr(getattr(response, "meta", None), "billed_units", None), "search_units", None
        )
        self.ledger.record(
            LedgerEntry(
                "cohere",
                "rerank",
                self.model,
                len(documents),
                float(units or 0),
                latency_ms=latency,
            )
        )
        return _scores(response, len(documents))

    def piece_scores(self, query: str, texts: Sequence[str]) -> list[float]:
        """One score per text: texts split into pieces, pieces batched in parallel, max-merged."""
        pieces: list[str] = []
        owner: list[int] = []
        for i, text in enumerate(texts):
            for piece in split_words(text, self.max_tokens_per_doc):
                pieces.append(piece)
                owner.append(i)
        size = self.max_docs_per_request
        batches = [pieces[i : i + size] for i in range(0, len(pieces), size)]
        if len(batches) == 1:
            results = [self._request(query, batches[0])]
        else:
            workers = min(self.parallelism, len(batches))
            with ThreadPoolExecutor(max_workers=workers) as pool:
                results = list(pool.map(lambda b: self._request(query, b), batches))
        flat = [s for batch in results for s in batch]
        merged = [float("-inf")] * len(texts)
        for i, score in zip(owner, flat, strict=True):
            merged[i] = max(merged[i], score)
        return merged

    def rerank(self, query: str, hits: Sequence[Hit], k: int | None = None) -> list[Hit]:
        """Rescore `hits` for `query` with Cohere; the best k (all when None)."""
        n = check_rerank_args(query, hits, k)
        if not hits:
            return []
        texts = [hit_text(h) for h in hits]
        try:
            scores = self.piece_scores(query, texts)
        except ProviderError as exc:
            if self.fallback is None:
                raise
            logger.warning("Cohere rerank failed (%s); using the fallback reranker", exc)
            self.ledger.record(
                LedgerEntry("cohere", "rerank", self.model, len(hits), ok=False, note="fallback")
            )
            return self.fallback.rerank(query, hits, k)
        return rescored(hits, scores, self.name, n)
