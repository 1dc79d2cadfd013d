"""`Fanout`: a named group of retrievers searched together, each run kept apart.

Fusion, routing and the pipeline need every retriever's own ranked list, not one merged list,
so `Fanout.search_runs` returns per query a mapping name -> hits. The retrievers run
concurrently: all but the last on a small thread pool, the last in the calling thread (torch,
FAISS and scipy release the GIL; measured on the hybrid index, running the short BM25 search
on the pool and the long dense one in the caller is the faster order, so list it last).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from numbers import Integral
from typing import Any

from ragkit.errors import ConfigError, QueryError
from ragkit.types import Hit, Retriever

#: Per query: retriever name -> its ranked hits.
Runs = dict[str, list[Hit]]


def check_queries(queries: Sequence[str] | str, k: int) -> list[str]:
    """The queries as a list, after the `Retriever` contract's input checks (QueryError): a
    list of non-empty strings (a lone string is refused, not iterated char by char) and a
    positive integer k."""
    if isinstance(queries, str):
        raise QueryError("search() takes a list of queries; use search_one() for a single query")
    if isinstance(k, bool) or not isinstance(k, Integral):
        raise QueryError(f"k must be a positive integer; got {k!r}")
    if k <= 0:
        raise QueryError(f"k must be a positive integer; got {k}")
    out = list(queries)
    for i, q in enumerate(out):
        if not isinstance(q, str):
            raise QueryError(f"query {i} must be a string; got {type(q).__name__}")
        if not q.strip():
            raise QueryError(f"query {i} is empty; give a question or keywords")
        if not q.isascii():
            try:
                q.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise QueryError(
                    f"query {i} is not valid Unicode text (a lone surrogate at {exc.start})"
                ) from None
    return out


def ranked(hits: Sequence[Hit]) -> list[Hit]:
    """The hits with ranks 1..n in list order (hits already so ranked are kept as they are)."""
    return [h if h.rank == r else replace(h, rank=r) for r, h in enumerate(hits, start=1)]


@dataclass(frozen=True, slots=True)
class FanoutResult:
    """The runs of a batch (one `Runs` per query) and each retriever's batch time in ms."""

    runs: list[Runs]
    batch_ms: dict[str, float]


class Fanout:
    """Named retrievers searched concurrently; hits are labelled with their retriever's name.

    Args:
        retrievers: name -> anything with the `Retriever` contract, in the order their runs
            are fused (the last one runs in the calling thread).
    """

    def __init__(self, retrievers: Mapping[str, Retriever]) -> None:
        if not retrievers:
            raise ConfigError("a pipeline needs at least one retriever")
        for name, retriever in retrievers.items():
            if not isinstance(name, str) or not name or name != name.strip():
                raise ConfigError(f"retriever names must be non-empty words, got {name!r}")
            if not callable(getattr(retriever, "search", None)):
                raise ConfigError(
                    f"retriever {name!r} ({type(retriever).__name__}) has no search(queries, "
                    f"k, filters) method"
                )
        self.retrievers = dict(retrievers)
        workers = max(1, len(self.retrievers) - 1)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ragkit-fanout")

    @classmethod
    def of(cls, retriever: Retriever | Mapping[str, Retriever] | Fanout) -> Fanout:
        """A Fanout from a Fanout, a mapping of named retrievers, or one retriever (named by
        its `source` attribute when it has one)."""
        if isinstance(retriever, Fanout):
            return retriever
        if isinstance(retriever, Mapping):
            return cls(retriever)
        return cls({str(getattr(retriever, "source", "retriever")): retriever})

    @property
    def names(self) -> list[str]:
        """The retriever names in fusion order."""
        return list(self.retrievers)

    def search_runs(
        self, queries: Sequence[str], depth: int, filters: Mapping[str, Any] | None = None
    ) -> FanoutResult:
        """Every retriever's top-`depth` run for every query, searched concurrently."""
        qs = list(queries)
        if not qs:
            return FanoutResult([], {name: 0.0 for name in self.retrievers})

        def timed(name: str) -> tuple[list[list[Hit]], float]:
            start = time.perf_counter()
            out = self.retrievers[name].search(qs, depth, filters)
            return out, (time.perf_counter() - start) * 1000

        *pooled, last = self.names
        futures = {name: self._pool.submit(timed, name) for name in pooled}
        results: dict[str, tuple[list[list[Hit]], float]] = {}
        try:
            results[last] = timed(last)
        finally:
            for name, future in futures.items():
                results[name] = future.result()
        runs: list[Runs] = [{} for _ in qs]
        for name in self.names:
            per_query, _ = results[name]
            if len(per_query) != len(qs):
                raise QueryError(
                    f"retriever {name!r} returned {len(per_query)} result lists for "
                    f"{len(qs)} queries"
                )
            for i, hits in enumerate(per_query):
                runs[i][name] = _labelled(hits, name)
        return FanoutResult(runs, {name: results[name][1] for name in self.names})


def _labelled(hits: list[Hit], name: str) -> list[Hit]:
    """Hits with `source` set to the retriever's name (unchanged when it already is)."""
    if all(h.source == name for h in hits):
        return hits
    return [
        h if h.source == name else replace(h, source=name, scores={**h.scores, name: h.score})
        for h in hits
    ]
