"""The pipeline's stages: each one small object that turns a batch's candidate runs into new
ones, and says per query what it did.

A stage has a `name`, `run(batch) -> list[Entries]` and `to_dict()`; `stage_from_dict`
rebuilds one from its dict (objects such as a reranker or router come from a
`StageContext`). `run` replaces each query's runs in `batch.runs` and returns, per query,
`{trace entry name: info}`; the pipeline loop records each entry once (name, latency,
candidates in and out). Retrieval writes one run per retriever (and a "route" entry when it
routes); every later stage writes one run under its own name. A new stage is one class here
plus `register_stage`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, Protocol

from ragkit.errors import ConfigError
from ragkit.fusion import classify_query, fuse, method_params
from ragkit.lexicon import Lexicon
from ragkit.pipeline.config import DynamicWeights
from ragkit.rerankers.base import Reranker, blend_with_incoming
from ragkit.retrievers import Fanout, Runs
from ragkit.routing.router import apply_boosts
from ragkit.types import Chunk, Hit, Retriever, Trace

#: Per query: trace entry name -> its info (reserved keys: "latency_ms", "n_in").
Entries = dict[str, dict[str, Any]]


@dataclass
class Batch:
    """What flows between stages: the queries, their current named runs, routing decisions
    and traces. After fusion each query holds one run."""

    queries: list[str]
    k: int
    filters: Mapping[str, Any] | None
    traces: list[Trace]
    runs: list[Runs] = field(default_factory=list)
    decisions: list[Any] = field(default_factory=list)  # RoutingDecision | None per query

    def hits(self, i: int) -> list[Hit]:
        """Query i's single current run (ConfigError when several runs are still unfused)."""
        runs = self.runs[i]
        if len(runs) > 1:
            raise ConfigError(
                f"a stage that needs one ranked list got {len(runs)} runs ({list(runs)}); "
                "put a fuse stage before it"
            )
        return next(iter(runs.values()), [])


class Stage(Protocol):
    """One step of the pipeline (see the module docstring)."""

    name: str

    def run(self, batch: Batch) -> list[Entries]:
        """Transform `batch.runs`; per query, the trace entries to record."""
        ...

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe description that `stage_from_dict` turns back into this stage."""
        ...


@dataclass
class StageContext:
    """What `stage_from_dict` needs beyond a stage's dict: the retrievers, the corpus chunks,
    and ready objects that override specs (a reranker, a router)."""

    retrievers: Mapping[str, Retriever]
    chunks: Sequence[Chunk] = ()
    reranker: Reranker | None = None
    router: Any = None
    metadata_file: str | None = None
    lexicon: Lexicon | None = None
    #: the stages built so far, in order (a stage may depend on an earlier one)
    built: list[Stage] = field(default_factory=list)


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000


def _size(retriever: Retriever) -> int:
    """How many chunks a retriever searches (its `len`; 0 when it has none). Not
    `len(retriever.chunks)`, which copies the whole chunk list on every batch."""
    try:
        return len(retriever)  # type: ignore[arg-type]
    except TypeError:
        return 0


class Retrieve:
    """Search every retriever to `depth` candidates, concurrently; with a `RoutedRetriever`,
    each query is first routed (a "route" entry records the decision) and searched in its
    scope. `min_hits` (default: the batch's k) is routing's fallback threshold."""

    name = "retrieve"

    def __init__(
        self,
        retrievers: Mapping[str, Retriever] | Fanout,
        depth: int = 100,
        routed: Any = None,
        min_hits: int | None = None,
    ) -> None:
        if depth <= 0:
            raise ConfigError(f"retrieval depth must be a positive integer; got {depth}")
        self.fanout = Fanout.of(retrievers)
        self.depth = depth
        self.routed = routed  # ragkit.routing.RoutedRetriever over the same Fanout, or None
        self.min_hits = min_hits

    def run(self, batch: Batch) -> list[Entries]:
        """Fill `batch.runs` (one run per retriever) and `batch.decisions`."""
        n, depth = len(batch.queries), max(self.depth, batch.k)
        if self.routed is None:
            result = self.fanout.search_runs(batch.queries, depth, batch.filters)
            batch.runs, batch.decisions = result.runs, [None] * n
            batch_ms = result.batch_ms
            entries: list[Entries] = [{} for _ in range(n)]
        else:
            routed = self.routed.route_runs(
                batch.queries, depth, batch.filters, self.min_hits or batch.k
            )
            batch.runs, batch.decisions, batch_ms = routed.runs, routed.decisions, routed.batch_ms
            entries = [
                {"route": {"latency_ms": ms, "n_in": 0, "role": "decision", **d.to_record()}}
                for d, ms in zip(routed.decisions, routed.route_ms, strict=True)
            ]
        sizes = {name: _size(r) for name, r in self.fanout.retrievers.items()}
        for entry in entries:
            for name, ms in batch_ms.items():
                entry[name] = {
                    "latency_ms": ms / n,
                    "n_in": sizes[name],
                    "role": "retriever",
                    "depth": depth,
                    "batch_ms": ms,
                    "batch_size": n,
                }
        return entries

    def to_dict(self) -> dict[str, Any]:
        """The retriever names, depth and whether it routes."""
        out: dict[str, Any] = {
            "stage": "retrieve",
            "retrievers": self.fanout.names,
            "depth": self.depth,
        }
        if self.routed is not None:
            out["routing"] = {**self.routed.router.params(), "min_hits": self.min_hits}
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], ctx: StageContext) -> Retrieve:
        """Select `retrievers` (default: all) from the context; route when `routing` is set."""
        names = list(data.get("retrievers") or ctx.retrievers)
        missing = [name for name in names if name not in ctx.retrievers]
        if missing:
            raise ConfigError(
                f"retrievers {missing} are not available; the pipeline was given "
                f"{list(ctx.retrievers)}"
            )
        fanout = Fanout({name: ctx.retrievers[name] for name in names})
        routing = data.get("routing")
        routed = None
        if routing is not None:
            from ragkit.routing import RoutedRetriever, Router

            params = {k: v for k, v in routing.items() if k != "min_hits"}
            router = ctx.router or Router.from_chunks(
                ctx.chunks, ctx.metadata_file, lexicon=ctx.lexicon, **params
            )
            routed = RoutedRetriever(fanout, router, chunks=ctx.chunks)
            min_hits = routing.get("min_hits")
        return cls(
            fanout,  # the routed retriever's own: one thread pool
            int(data.get("depth", 100)),
            routed,
            min_hits if routed is not None else None,
        )


@dataclass
class Fuse:
    """Fuse each query's runs into one ("fusion") with a `ragkit.fusion` method.

    `weights` are keyed by retriever name (missing names get 1.0) or given as a list in
    retriever order. With `dynamic`, `classify_query` picks the weights per query from the
    (sparse, dense) pairs: the sparse weight goes to the retrievers named in `sparse`.
    """

    method: str = "rrf"
    params: dict[str, Any] = field(default_factory=dict)
    weights: Mapping[str, float] | Sequence[float] | None = None
    dynamic: bool = False
    dynamic_weights: DynamicWeights = field(default_factory=DynamicWeights)
    sparse: tuple[str, ...] = ("bm25",)
    lexicon: Lexicon | None = None
    name: ClassVar[str] = "fusion"

    def __post_init__(self) -> None:
        unknown = sorted(set(self.params) - set(method_params(self.method)))
        if unknown:
            raise ConfigError(
                f"fusion.params {unknown} are not parameters of {self.method!r}; it accepts "
                f"{method_params(self.method)}"
            )

    def _weights(self, query: str, names: list[str]) -> tuple[list[float] | None, dict[str, Any]]:
        if self.dynamic:
            dw = self.dynamic_weights
            verdict = classify_query(
                query, dw.specific, dw.conceptual, dw.mixed, lexicon=self.lexicon
            )
            weights = [
                verdict.sparse_weight if n in self.sparse else verdict.dense_weight for n in names
            ]
            signals = list(verdict.specific_signals + verdict.conceptual_signals)
            return weights, {"query_kind": verdict.kind, "weights": weights, "signals": signals}
        if self.weights is None:
            return None, {"weights": None}
        if isinstance(self.weights, Mapping):
            unknown = sorted(set(self.weights) - set(names))
            if unknown:
                raise ConfigError(
                    f"fusion weights name unknown retrievers {unknown}; the retrievers are {names}"
                )
            weights = [float(self.weights.get(n, 1.0)) for n in names]
        else:
            weights = [float(w) for w in self.weights]
        return weights, {"weights": weights}

    def run(self, batch: Batch) -> list[Entries]:
        """Replace each query's runs by their fusion."""
        entries: list[Entries] = []
        for i, query in enumerate(batch.queries):
            start = time.perf_counter()
            runs = batch.runs[i]
            weights, info = self._weights(query, list(runs))
            hits = fuse(list(runs.values()), self.method, weights, **self.params)
            batch.runs[i] = {self.name: hits}
            n_in = sum(len(r) for r in runs.values())
            entries.append(
                {self.name: {"latency_ms": _ms(start), "n_in": n_in, "method": self.method, **info}}
            )
        return entries

    def to_dict(self) -> dict[str, Any]:
        """The method, parameters and weighting."""
        weights = dict(self.weights) if isinstance(self.weights, Mapping) else self.weights
        return {
            "stage": "fuse",
            "method": self.method,
            "params": dict(self.params),
            "weights": list(weights) if isinstance(weights, tuple) else weights,
            "dynamic": self.dynamic,
            "sparse": list(self.sparse),
            "dynamic_weights": self.dynamic_weights.model_dump(mode="json"),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], ctx: StageContext) -> Fuse:
        """The inverse of `to_dict`."""
        pairs = DynamicWeights.model_validate(data.get("dynamic_weights", {}))
        return cls(
            data.get("method", "rrf"),
            dict(data.get("params", {})),
            data.get("weights"),
            bool(data.get("dynamic", False)),
            pairs,
            tuple(data.get("sparse", ("bm25",))),
            ctx.lexicon,
        )


class Route:
    """Apply each query's routing decision to its ranked list ("routing"): document and
    statement boosts, and the preferred filing's statement chunks retrieval missed. Needs a
    routing `Retrieve` stage before it; queries whose decision changes no order pass."""

    name = "routing"

    def __init__(self, retrieve: Retrieve) -> None:
        if retrieve.routed is None:
            raise ConfigError("the route stage needs a retrieve stage that routes")
        self.routed = retrieve.routed

    def run(self, batch: Batch) -> list[Entries]:
        """Boost each routed query's hits."""
        entries: list[Entries] = []
        for i, decision in enumerate(batch.decisions):
            if decision is None or not decision.reranks:
                entries.append({})
                continue
            start = time.perf_counter()
            hits = batch.hits(i)
            boosted, added = self.routed.boost(hits, decision)
            batch.runs[i] = {self.name: boosted}
            entries.append(
                {
                    self.name: {
                        "latency_ms": _ms(start),
                        "n_in": len(hits),
                        "boosts": len(decision.boosts),
                        "statements": list(decision.statements),
                        "added": [h.chunk_id for h in added],
                    }
                }
            )
        return entries

    def to_dict(self) -> dict[str, Any]:
        """No parameters of its own: they are the routing retrieve stage's."""
        return {"stage": "route"}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], ctx: StageContext) -> Route:
        """The route stage over the last routing retrieve stage before it."""
        for stage in reversed(ctx.built):
            if isinstance(stage, Retrieve) and stage.routed is not None:
                return cls(stage)
        raise ConfigError("the route stage needs a retrieve stage with routing before it")


class Expand:
    """Reference expansion ("expansion"): add the chunks of sections that the top hits link
    to ("See Note 12"), scored parent × `discount`."""

    name = "expansion"

    def __init__(
        self, chunks: Sequence[Chunk], top: int = 5, discount: float = 0.5, max_per_link: int = 3
    ) -> None:
        self.top, self.discount, self.max_per_link = top, discount, max_per_link
        sections: dict[tuple[str, str], list[Chunk]] = {}
        for chunk in chunks:
            if chunk.section_id:
                sections.setdefault((chunk.doc_id, chunk.section_id), []).append(chunk)
        for members in sections.values():
            members.sort(key=lambda c: c.position)
        self.sections = sections

    def expand(self, hits: list[Hit]) -> tuple[list[Hit], list[str]]:
        """The hits with linked sections' chunks merged in by score; and the added ids."""
        present = {h.chunk_id for h in hits}
        added: dict[str, Hit] = {}
        for hit in hits[: self.top]:
            if hit.chunk is None:
                continue
            for link in hit.chunk.links:
                for chunk in self.sections.get((hit.chunk.doc_id, link), [])[: self.max_per_link]:
                    score = hit.score * self.discount
                    if chunk.id in present or (
                        chunk.id in added and added[chunk.id].score >= score
                    ):
                        continue
                    scores = {"expansion": score, "expanded_from_rank": float(hit.rank)}
                    added[chunk.id] = Hit(chunk.id, score, 0, "expansion", chunk, scores)
        if not added:
            return hits, []
        merged = sorted([*hits, *added.values()], key=lambda h: (-h.score, h.chunk_id))
        out = [replace(h, rank=rank, scores=dict(h.scores)) for rank, h in enumerate(merged, 1)]
        return out, sorted(added)

    def run(self, batch: Batch) -> list[Entries]:
        """Expand each query's hits."""
        entries: list[Entries] = []
        for i in range(len(batch.queries)):
            start = time.perf_counter()
            hits = batch.hits(i)
            out, added = self.expand(hits)
            batch.runs[i] = {self.name: out}
            entries.append(
                {self.name: {"latency_ms": _ms(start), "n_in": len(hits), "added": added}}
            )
        return entries

    def to_dict(self) -> dict[str, Any]:
        """The expansion parameters."""
        return {
            "stage": "expand",
            "top": self.top,
            "discount": self.discount,
            "max_per_link": self.max_per_link,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], ctx: StageContext) -> Expand:
        """The inverse of `to_dict`, over the context's chunks."""
        return cls(
            ctx.chunks,
            int(data.get("top", 5)),
            float(data.get("discount", 0.5)),
            int(data.get("max_per_link", 3)),
        )


#: What a rerank stage shows its reranker: the question as asked, or (for a query routing
#: filtered to its documents) the question without the words that named them.
RERANK_QUERIES = ("question", "residual")


class Rerank:
    """Rescore the top `depth` hits with a reranker ("rerank"), batched when it offers
    `rerank_many`; `blend` mixes in the incoming score (see `blend_with_incoming`).
    `query` "residual" (default) gives the reranker `ragkit.routing.residual.residual_query`
    of each question whose routing filtered the candidates to the documents it names (the
    others as asked; its connecting words come from `lexicon`); "question" gives it every
    question as asked. `keep_routing` (default) adds each routed query's document and
    statement boosts to the reranker's scores (`ragkit.routing.router.apply_boosts`), as the
    route stage adds them to retrieval's, instead of letting the reranker's order discard
    them."""

    name = "rerank"

    def __init__(
        self,
        reranker: Reranker,
        spec: str = "",
        depth: int = 50,
        blend: float = 0.0,
        params: Mapping[str, Any] | None = None,
        query: str = "residual",
        lexicon: Lexicon | None = None,
        keep_routing: bool = True,
    ) -> None:
        if query not in RERANK_QUERIES:
            raise ConfigError(f"rerank query must be one of {RERANK_QUERIES}, got {query!r}")
        self.reranker, self.spec, self.depth, self.blend = reranker, spec, depth, blend
        self.params = dict(params or {})
        self.query, self.lexicon, self.keep_routing = query, lexicon, keep_routing

    def queries(self, batch: Batch) -> list[str]:
        """What the reranker reads for each query (see the class docstring)."""
        if self.query == "question" or not batch.decisions:
            return list(batch.queries)
        from ragkit.routing.residual import residual_query

        return [
            residual_query(d.analysis, self.lexicon) if d is not None and d.filters else q
            for q, d in zip(batch.queries, batch.decisions, strict=True)
        ]

    def run(self, batch: Batch) -> list[Entries]:
        """Rerank every query's head; blending needs every head hit's new score."""
        n = len(batch.queries)
        heads = [batch.hits(i)[: self.depth] for i in range(n)]
        keep = None if self.blend or self.keep_routing else batch.k
        queries = self.queries(batch)
        start = time.perf_counter()
        many = getattr(self.reranker, "rerank_many", None)
        if many is not None:
            reranked = many(queries, heads, keep)
            latencies = [_ms(start) / n] * n
        else:
            reranked, latencies = [], []
            for q, head in zip(queries, heads, strict=True):
                one = time.perf_counter()
                reranked.append(self.reranker.rerank(q, head, keep))
                latencies.append(_ms(one))
        if self.blend:  # cut to k unless routing's boosts may yet reorder the whole head
            cut = max(len(h) for h in heads) if self.keep_routing else batch.k
            reranked = [
                blend_with_incoming(head, out, self.blend, cut)
                for head, out in zip(heads, reranked, strict=True)
            ]
        boosted = [False] * n
        if self.keep_routing and batch.decisions:
            for i, decision in enumerate(batch.decisions):
                if decision is not None and decision.reranks:
                    reranked[i] = apply_boosts(
                        reranked[i], decision.boosts, "rerank_routed", decision.statements
                    )
                    boosted[i] = True
        reranked = [list(out)[: batch.k] for out in reranked]  # the whole head was for boosts
        entries: list[Entries] = []
        for i, (head, out, ms) in enumerate(zip(heads, reranked, latencies, strict=True)):
            batch.runs[i] = {self.name: list(out)}
            entries.append(
                {
                    self.name: {
                        "latency_ms": ms,
                        "n_in": len(head),
                        "reranker": self.spec,
                        "blend": self.blend,
                        **({"query": queries[i]} if queries[i] != batch.queries[i] else {}),
                        **({"routing_kept": True} if boosted[i] else {}),
                    }
                }
            )
        return entries

    def to_dict(self) -> dict[str, Any]:
        """The reranker spec and settings."""
        return {
            "stage": "rerank",
            "spec": self.spec,
            "depth": self.depth,
            "blend": self.blend,
            "query": self.query,
            "keep_routing": self.keep_routing,
            "params": dict(self.params),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], ctx: StageContext) -> Rerank:
        """The context's reranker, or one built from `spec` and `params`."""
        spec, params = str(data.get("spec", "")), dict(data.get("params", {}))
        reranker = ctx.reranker
        if reranker is None:
            from ragkit.rerankers import get_reranker

            reranker = get_reranker(spec, **params)
        return cls(
            reranker,
            spec,
            int(data.get("depth", 50)),
            float(data.get("blend", 0.0)),
            params,
            str(data.get("query", "residual")),
            ctx.lexicon,
            bool(data.get("keep_routing", True)),
        )


#: Stage type -> its class; `stage_from_dict` dispatches on a dict's "stage" key.
STAGES: dict[str, Any] = {
    "retrieve": Retrieve,
    "fuse": Fuse,
    "route": Route,
    "expand": Expand,
    "rerank": Rerank,
}


def register_stage(kind: str, cls: Any) -> None:
    """Make a stage class (with `from_dict(data, ctx)`) available to configs as `kind`."""
    if not kind or not isinstance(kind, str):
        raise ConfigError(f"stage kind must be a non-empty string, got {kind!r}")
    STAGES[kind] = cls


def stages_from_dicts(items: Sequence[Mapping[str, Any]], ctx: StageContext) -> list[Stage]:
    """Build stages in order from their dicts (what `Stage.to_dict` wrote)."""
    ctx.built = []
    for data in items:
        kind = data.get("stage")
        cls = STAGES.get(kind) if isinstance(kind, str) else None
        if cls is None:
            raise ConfigError(f"unknown stage {kind!r}; expected one of {sorted(STAGES)}")
        ctx.built.append(cls.from_dict(data, ctx))
    return list(ctx.built)
