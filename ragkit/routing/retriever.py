"""`RoutedRetriever`: any retriever (or named group of them) searched under each question's
routing decision — the one routing implementation the pipeline and stand-alone use share.

For each query the router decides once; queries that share a scope are searched together;
the decision's filter is merged into the caller's filters (a caller's own `doc_id` filter
wins); when the scoped search leaves fewer than `min_hits` distinct candidates over all runs,
the query is searched again with the caller's filters alone and the decision records the
fallback. `search` then fuses the runs (when there are several), applies the decision's
document and statement boosts (`apply_routing`) and keeps the top k.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ragkit.errors import ConfigError
from ragkit.retrievers import Fanout, Runs, check_queries, ranked
from ragkit.routing.router import Router, RoutingDecision, StatementLookup, apply_routing
from ragkit.types import Chunk, Hit, Retriever

#: Candidates taken per retriever before boosting when the caller names no depth.
DEFAULT_DEPTH = 100


@dataclass(frozen=True, slots=True)
class RoutedRuns:
    """The runs of a routed batch, each query's final decision, and the batch time per
    retriever and of routing itself (ms)."""

    runs: list[Runs]
    decisions: list[RoutingDecision]
    batch_ms: dict[str, float]
    route_ms: list[float]


class RoutedRetriever:
    """Search under routing decisions (see the module docstring).

    Args:
        retriever: one retriever, a mapping of named retrievers, or a `Fanout`.
        router: the `ragkit.routing.Router` deciding filters and boosts.
        min_hits: fewer distinct candidates than this under a filter falls back to the
            unfiltered search (default: the k of the call).
        depth: candidates per retriever before boosting (default 100, at least k).
        chunks: the corpus chunks, to add a needed statement's chunks that retrieval missed
            (default: the retriever's `chunks` attribute when it has one).
        fusion: how several runs are fused in `search` (a `ragkit.fusion` method).
    """

    def __init__(
        self,
        retriever: Retriever | Mapping[str, Retriever] | Fanout,
        router: Router,
        *,
        min_hits: int | None = None,
        depth: int | None = None,
        chunks: Iterable[Chunk] | None = None,
        fusion: str = "rrf",
    ) -> None:
        if min_hits is not None and min_hits <= 0:
            raise ConfigError(f"min_hits must be a positive integer; got {min_hits}")
        if depth is not None and depth <= 0:
            raise ConfigError(f"depth must be a positive integer; got {depth}")
        self.fanout = Fanout.of(retriever)
        self.router = router
        self.min_hits = min_hits
        self.depth = depth or DEFAULT_DEPTH
        self.fusion = fusion
        if chunks is None and not isinstance(retriever, Mapping | Fanout):
            chunks = getattr(retriever, "chunks", None)
        self._chunks = list(chunks) if chunks is not None else None
        self._lookup: StatementLookup | None = None
        #: the decisions of the last `search` call, in query order
        self.last_decisions: list[RoutingDecision] = []

    def route_runs(
        self,
        queries: Sequence[str],
        depth: int,
        filters: Mapping[str, Any] | None = None,
        min_hits: int | None = None,
    ) -> RoutedRuns:
        """Route each query once, search each scope's queries together, fall back when a
        filter leaves fewer than `min_hits` candidates (default `self.min_hits`, else depth)."""
        qs = list(queries)
        base = dict(filters or {})
        decisions: list[RoutingDecision] = []
        route_ms: list[float] = []
        scopes: list[dict[str, Any] | None] = []
        for q in qs:
            start = time.perf_counter()
            decision = self.router.route(q)
            route_ms.append((time.perf_counter() - start) * 1000)
            decisions.append(decision)
            scoped = bool(decision.filters) and "doc_id" not in base
            scopes.append({**base, **decision.filters} if scoped else (base or None))
        runs: list[Runs] = [{} for _ in qs]
        batch_ms = {name: 0.0 for name in self.fanout.names}

        def search(indices: list[int], scope: Mapping[str, Any] | None) -> None:
            result = self.fanout.search_runs([qs[i] for i in indices], depth, scope)
            for j, i in enumerate(indices):
                runs[i] = result.runs[j]
            for name, ms in result.batch_ms.items():
                batch_ms[name] += ms

        groups: dict[str, list[int]] = {}
        for i, scope in enumerate(scopes):
            groups.setdefault(json.dumps(scope, sort_keys=True, default=str), []).append(i)
        for indices in groups.values():
            search(indices, scopes[indices[0]])
        need = min_hits or self.min_hits or depth
        narrow = [
            i
            for i in range(len(qs))
            if scopes[i] != (base or None)
            and len({h.chunk_id for hits in runs[i].values() for h in hits}) < need
        ]
        if narrow:  # the filter left too little: search the whole (caller-filtered) index
            search(narrow, base or None)
            for i in narrow:
                decisions[i] = decisions[i].without_filter(f"filter returned < {need} hits")
        return RoutedRuns(runs, decisions, batch_ms, route_ms)

    def boost(self, hits: Sequence[Hit], decision: RoutingDecision) -> tuple[list[Hit], list[Hit]]:
        """Apply a decision's document and statement boosts; returns (hits, added chunks)."""
        if self._lookup is None and decision.statement_docs and self._chunks is not None:
            self._lookup = StatementLookup(self._chunks)
        return apply_routing(hits, decision, self._lookup)

    def search(
        self, queries: Sequence[str], k: int, filters: Mapping[str, Any] | None = None
    ) -> list[list[Hit]]:
        """Top-k hits per query under its routing decision (see the module docstring)."""
        from ragkit.fusion import fuse

        qs = check_queries(queries, k)
        routed = self.route_runs(qs, max(k, self.depth), filters, self.min_hits or k)
        out: list[list[Hit]] = []
        for runs, decision in zip(routed.runs, routed.decisions, strict=True):
            hits = (
                fuse(list(runs.values()), self.fusion)
                if len(runs) > 1
                else [*next(iter(runs.values()), [])]
            )
            boosted = self.boost(hits, decision)[0] if decision.reranks else hits
            out.append(ranked(boosted[:k]))
        self.last_decisions = routed.decisions
        return out
