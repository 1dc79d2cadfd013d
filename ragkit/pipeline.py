"""`HybridPipeline`: chunker → hybrid index → fusion → [reference expansion] → [reranker] →
[generator], each stage optional or swappable, configured from Python or a YAML/JSON file.

Every retrieval returns a `ragkit.types.Trace` with, per stage, the candidates received and
returned (ids, ranks, scores) and the latency, so that a benchmark can see where evidence is
lost. The pipeline is also a retriever: `search(queries, k, filters) -> list[list[Hit]]`.

Example:
    >>> pipe = HybridPipeline.build(chunks, {"fusion": {"method": "rrf"}, "k": 5})
    >>> hits, trace = pipe.retrieve("What was long-term debt in 2024?")
    >>> pipe.answer("What was long-term debt in 2024?").answer.text
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ragkit.errors import ConfigError, QueryError
from ragkit.fusion import FUSION_METHODS, classify_query, fuse, method_params
from ragkit.generators.base import Answer, Generator
from ragkit.rerankers.base import RERANKERS, Reranker, blend_with_incoming
from ragkit.types import Chunk, Hit, Trace

logger = logging.getLogger(__name__)

Pair = tuple[float, float]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False, frozen=True)


class ChunkerConfig(_Strict):
    """Which chunker builds the index from documents, with its parameters."""

    name: Literal["hierarchical", "naive"] = "hierarchical"
    params: dict[str, Any] = Field(default_factory=dict)


class IndexConfig(_Strict):
    """Where the hybrid index lives (a folder written by `ragkit index`) and how to build it."""

    path: str | None = None
    model: str | None = None
    #: encode queries with an int8 copy of the model on CPU (`Embedder(query_int8=True)`)
    query_int8: bool = False


class RetrievalConfig(_Strict):
    """Which retrievers run and how many candidates each returns (`depth`, not the output k)."""

    mode: Literal["hybrid", "bm25", "dense"] = "hybrid"
    depth: int = Field(100, gt=0, le=10_000)


class DynamicWeights(_Strict):
    """(sparse, dense) weights per query kind, chosen by `ragkit.fusion.classify_query`."""

    specific: tuple[float, float] = (0.7, 0.3)
    conceptual: tuple[float, float] = (0.4, 0.6)
    mixed: tuple[float, float] = (0.5, 0.5)


class FusionConfig(_Strict):
    """Fusion method, its parameters, and fixed or query-dependent (dynamic) weights."""

    method: str = "rrf"
    params: dict[str, Any] = Field(default_factory=dict)
    weights: tuple[float, float] | None = None
    dynamic: bool = False
    dynamic_weights: DynamicWeights = Field(default_factory=DynamicWeights)

    @field_validator("method")
    @classmethod
    def _known_method(cls, value: str) -> str:
        if value not in FUSION_METHODS:
            raise ValueError(
                f"unknown fusion method {value!r}; expected one of {sorted(FUSION_METHODS)}"
            )
        return value


class ExpansionConfig(_Strict):
    """Reference expansion: add the chunks of sections that top hits link to ("See Note 12")."""

    enabled: bool = False
    top: int = Field(5, gt=0)
    discount: float = Field(0.5, gt=0, le=1)
    max_per_link: int = Field(3, gt=0)


class RerankerConfig(_Strict):
    """A reranker spec ("cross-encoder:PATH", "cohere:rerank-v3.5"), how many it rescores."""

    spec: str
    depth: int = Field(50, gt=0)
    params: dict[str, Any] = Field(default_factory=dict)
    #: weight of the incoming (fused) score mixed into the reranker's; see
    #: `ragkit.rerankers.base.blend_with_incoming`. 0: the reranker's order alone.
    blend: float = Field(0.0, ge=0.0, le=1.0)

    @field_validator("spec")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        kind = value.partition(":")[0]
        if kind not in RERANKERS:
            raise ValueError(f"unknown reranker {kind!r}; expected one of {sorted(RERANKERS)}")
        return value


class GeneratorConfig(_Strict):
    """A generator spec ("extractive", "cohere[:MODEL]", "openai[:MODEL]") and its options."""

    spec: str = "extractive"
    contexts: int = Field(5, gt=0)
    params: dict[str, Any] = Field(default_factory=dict)

    @field_validator("spec")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        from ragkit.generators import GENERATORS

        if value.partition(":")[0] not in GENERATORS:
            raise ValueError(f"unknown generator {value!r}; expected one of {list(GENERATORS)}")
        return value


class RoutingConfig(_Strict):
    """Query routing (`ragkit.routing`): the company a question names becomes a doc_id filter
    on both retrievers, its period and form boost their filings; a filter that leaves fewer
    than `min_hits` (default: k) candidates falls back to the whole index. `enabled` "auto"
    (default) routes when the index holds filings of two or more companies. A question that
    needs a financial statement boosts that statement's chunks by `statement_boost` and adds
    those of its preferred filing to the candidates (0 turns this off)."""

    enabled: bool | Literal["auto"] = "auto"
    min_confidence: float = Field(0.8, ge=0.0, le=1.0)
    boost: float = Field(0.3, ge=0.0)
    statement_boost: float = Field(1.0, ge=0.0)
    narrow: bool = True
    min_chunks: int = Field(10, ge=0)
    min_hits: int | None = Field(None, gt=0)
    metadata_file: str | None = None


class PipelineConfig(_Strict):
    """The whole pipeline; unknown stages or keys are rejected."""

    k: int = Field(10, gt=0)
    chunker: ChunkerConfig = Field(default_factory=ChunkerConfig)
    index: IndexConfig = Field(default_factory=IndexConfig)
    retrieval: RetrievalConfig = Field(default_factory=RetrievalConfig)
    routing: RoutingConfig = Field(default_factory=RoutingConfig)
    fusion: FusionConfig = Field(default_factory=FusionConfig)
    expansion: ExpansionConfig = Field(default_factory=ExpansionConfig)
    reranker: RerankerConfig | None = None
    generator: GeneratorConfig = Field(default_factory=GeneratorConfig)


def _describe(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "(config)"
        if err["type"] == "extra_forbidden":
            msg = f"unknown key (stage or parameter) {where!r}"
        else:
            got = err.get("input")
            msg = f"{where}: {err['msg']} (got {got!r:.80})"
        lines.append(msg)
    return "invalid pipeline config: " + "; ".join(lines)


def load_config(source: PipelineConfig | Mapping[str, Any] | str | Path | None) -> PipelineConfig:
    """A validated PipelineConfig from a config object, a dict, or a .yaml/.yml/.json file."""
    if source is None:
        return PipelineConfig()
    if isinstance(source, PipelineConfig):
        return source
    if isinstance(source, str | Path):
        path = Path(source)
        if not path.is_file():
            raise ConfigError(f"pipeline config file {str(path)!r} not found")
        text = path.read_text(encoding="utf-8")
        try:
            if path.suffix.lower() == ".json":
                data = json.loads(text)
            else:
                import yaml

                data = yaml.safe_load(text)
        except ValueError as exc:  # json.JSONDecodeError and yaml.YAMLError
            raise ConfigError(f"pipeline config {str(path)!r} is not valid: {exc}") from exc
        except Exception as exc:  # yaml.YAMLError does not subclass ValueError
            raise ConfigError(f"pipeline config {str(path)!r} is not valid YAML: {exc}") from exc
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise ConfigError(
                f"pipeline config {str(path)!r} must hold a mapping, got {type(data).__name__}"
            )
        source = data
    if not isinstance(source, Mapping):
        raise ConfigError(f"pipeline config must be a mapping or a file path, got {source!r:.80}")
    try:
        config = PipelineConfig.model_validate(dict(source))
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None
    allowed = method_params(config.fusion.method)
    unknown = sorted(set(config.fusion.params) - set(allowed))
    if unknown:
        raise ConfigError(
            f"invalid pipeline config: fusion.params {unknown} are not parameters of "
            f"{config.fusion.method!r}; it accepts {allowed}"
        )
    return config


class Retrieval(NamedTuple):
    """Final hits of one query and the trace of every stage."""

    hits: list[Hit]
    trace: Trace


@dataclass(frozen=True, slots=True)
class AnswerResult:
    """An answer with the hits it was generated from and the full trace."""

    answer: Answer
    hits: list[Hit]
    trace: Trace


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000


class HybridPipeline:
    """Hybrid retrieval with fusion, optional expansion and reranking, and generation.

    Args:
        index: a `ragkit.indexes.HybridIndex` (or anything with `bm25`, `dense`, `chunks`).
        config: a PipelineConfig, a dict, or a YAML/JSON path.
        reranker: overrides `config.reranker` with a ready object.
        generator: overrides `config.generator` with a ready object.
        router: a ready `ragkit.routing.Router` used when `config.routing.enabled` (default:
            one built from the index's chunks and `routing.metadata_file`).
    """

    def __init__(
        self,
        index: Any,
        config: PipelineConfig | Mapping[str, Any] | str | Path | None = None,
        reranker: Reranker | None = None,
        generator: Generator | None = None,
        router: Any = None,
    ) -> None:
        self.config = load_config(config)
        self.index = index
        embedder = getattr(getattr(index, "dense", None), "embedder", None)
        if embedder is not None and self.config.index.query_int8:
            embedder.query_int8 = True
        self._reranker = reranker
        self._generator = generator
        self._router = router
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="ragkit-pipeline")
        self._sections: dict[tuple[str, str], list[Chunk]] | None = None
        self._statements: Any = None  # ragkit.routing.StatementLookup, built at first use

    # -- construction -------------------------------------------------------------------
    @classmethod
    def from_config(
        cls,
        config: PipelineConfig | Mapping[str, Any] | str | Path,
        index: Any = None,
        **overrides: Any,
    ) -> HybridPipeline:
        """A pipeline from a config; loads `config.index.path` when no index is given."""
        cfg = load_config(config)
        if index is None:
            if not cfg.index.path:
                raise ConfigError("the config names no index.path and no index was given")
            from ragkit.indexes import HybridIndex

            index = HybridIndex.load(cfg.index.path)
        return cls(index, cfg, **overrides)

    @classmethod
    def build(
        cls,
        source: Iterable[Chunk] | Iterable[str | Path] | str | Path,
        config: PipelineConfig | Mapping[str, Any] | str | Path | None = None,
        **overrides: Any,
    ) -> HybridPipeline:
        """Chunk (if given document paths) and index, then wrap in a pipeline."""
        from ragkit.indexes import HybridIndex

        cfg = load_config(config)
        items = [source] if isinstance(source, str | Path) else list(source)
        if items and not isinstance(items[0], Chunk):
            from ragkit.chunkers import get_chunker
            from ragkit.parsers import load

            chunker = get_chunker(cfg.chunker.name, **cfg.chunker.params)
            chunks = [c for doc in load([Path(p) for p in items]) for c in chunker.chunk(doc)]
        else:
            chunks = list(items)  # type: ignore[arg-type]
        index = HybridIndex.build(chunks, model=cfg.index.model, depth=cfg.retrieval.depth)
        return cls(index, cfg, **overrides)

    @property
    def reranker(self) -> Reranker | None:
        """The reranker (built from the config at first use), or None."""
        if self._reranker is None and self.config.reranker is not None:
            from ragkit.rerankers import get_reranker

            self._reranker = get_reranker(self.config.reranker.spec, **self.config.reranker.params)
        return self._reranker

    @property
    def router(self) -> Any:
        """The query router when routing is enabled (built at first use), else None."""
        cfg = self.config.routing
        if cfg.enabled is False:
            return None
        if self._router is None:
            from ragkit.routing import Router

            self._router = Router.from_chunks(
                self.index.chunks,
                cfg.metadata_file,
                min_confidence=cfg.min_confidence,
                boost=cfg.boost,
                narrow=cfg.narrow,
                min_chunks=cfg.min_chunks,
                statement_boost=cfg.statement_boost,
            )
        if cfg.enabled == "auto" and len(self._router.catalog.entities) < 2:
            return None  # one company (or none known): nothing to route between
        return self._router

    @property
    def generator(self) -> Generator:
        """The generator (built from the config at first use)."""
        if self._generator is None:
            from ragkit.generators import get_generator

            self._generator = get_generator(
                self.config.generator.spec, **self.config.generator.params
            )
        return self._generator

    # -- stages ---------------------------------------------------------------------------
    def _candidates(
        self, queries: list[str], depth: int, filters: Mapping[str, Any] | None
    ) -> tuple[list[list[Hit]], list[list[Hit]], float, float]:
        """Sparse and dense runs (either may be empty by mode), retrieved concurrently."""
        mode = self.config.retrieval.mode

        def timed(side: Any) -> tuple[list[list[Hit]], float]:
            start = time.perf_counter()
            return side.search(queries, depth, filters), _ms(start)

        # BM25 (short) on the pool, dense (long, torch) in this thread: see HybridIndex
        sparse_f = self._pool.submit(timed, self.index.bm25) if mode != "dense" else None
        dense, dense_ms = timed(self.index.dense) if mode != "bm25" else ([], 0.0)
        sparse, sparse_ms = sparse_f.result() if sparse_f is not None else ([], 0.0)
        n = len(queries)
        return (
            sparse or [[] for _ in range(n)],
            dense or [[] for _ in range(n)],
            sparse_ms,
            dense_ms,
        )

    def _routed_candidates(
        self,
        queries: list[str],
        depth: int,
        k: int,
        filters: Mapping[str, Any] | None,
        traces: list[Trace],
    ) -> tuple[list[list[Hit]], list[list[Hit]], float, float, list[Any]]:
        """`_candidates` under each query's routing decision (queries sharing a scope are
        searched together); a "route" stage opens each trace. Without routing: decisions
        are None."""
        router = self.router
        if router is None:
            return (*self._candidates(queries, depth, filters), [None] * len(queries))
        base = dict(filters or {})
        decisions, scopes = [], []
        for query, trace in zip(queries, traces, strict=True):
            start = time.perf_counter()
            decision = router.route(query)
            trace.add("route", _ms(start), 0, [])
            decisions.append(decision)
            scoped = decision.filters and "doc_id" not in base
            scopes.append({**base, **decision.filters} if scoped else (base or None))
        n = len(queries)
        sparse: list[list[Hit]] = [[] for _ in range(n)]
        dense: list[list[Hit]] = [[] for _ in range(n)]
        totals = [0.0, 0.0]

        def run(indices: list[int], scope: Mapping[str, Any] | None) -> None:
            s, d, s_ms, d_ms = self._candidates([queries[i] for i in indices], depth, scope)
            for j, i in enumerate(indices):
                sparse[i], dense[i] = s[j], d[j]
            totals[0] += s_ms
            totals[1] += d_ms

        groups: dict[str, list[int]] = {}
        for i, scope in enumerate(scopes):
            groups.setdefault(json.dumps(scope, sort_keys=True, default=str), []).append(i)
        for indices in groups.values():
            run(indices, scopes[indices[0]])
        min_hits = self.config.routing.min_hits or k
        narrow = [
            i
            for i in range(n)
            if scopes[i] != (base or None)
            and len({h.chunk_id for h in sparse[i]} | {h.chunk_id for h in dense[i]}) < min_hits
        ]
        if narrow:  # the filter left too little: search the whole (user-filtered) index
            run(narrow, base or None)
            for i in narrow:
                decisions[i] = decisions[i].without_filter(f"filter returned < {min_hits} hits")
        for trace, decision in zip(traces, decisions, strict=True):
            trace.stages[-1].info.update(decision.to_record())
        return sparse, dense, totals[0], totals[1], decisions

    def _fusion_weights(self, query: str) -> tuple[list[float] | None, dict[str, Any]]:
        cfg = self.config.fusion
        if cfg.dynamic:
            dw = cfg.dynamic_weights
            verdict = classify_query(query, dw.specific, dw.conceptual, dw.mixed)
            weights = [verdict.sparse_weight, verdict.dense_weight]
            return weights, {
                "query_kind": verdict.kind,
                "weights": weights,
                "signals": list(verdict.specific_signals + verdict.conceptual_signals),
            }
        weights = list(cfg.weights) if cfg.weights is not None else None
        return weights, {"weights": weights}

    def _section_chunks(self) -> dict[tuple[str, str], list[Chunk]]:
        if self._sections is None:
            sections: dict[tuple[str, str], list[Chunk]] = {}
            for chunk in self.index.chunks:
                if chunk.section_id:
                    sections.setdefault((chunk.doc_id, chunk.section_id), []).append(chunk)
            for chunks in sections.values():
                chunks.sort(key=lambda c: c.position)
            self._sections = sections
        return self._sections

    def expand(self, hits: list[Hit]) -> tuple[list[Hit], list[str]]:
        """Add chunks of the sections the top hits link to, scored parent × discount."""
        cfg = self.config.expansion
        present = {h.chunk_id for h in hits}
        sections = self._section_chunks()
        added: dict[str, Hit] = {}
        for hit in hits[: cfg.top]:
            if hit.chunk is None:
                continue
            for link in hit.chunk.links:
                for chunk in sections.get((hit.chunk.doc_id, link), [])[: cfg.max_per_link]:
                    if chunk.id in present:
                        continue
                    score = hit.score * cfg.discount
                    if chunk.id not in added or added[chunk.id].score < score:
                        scores = {"expansion": score, "expanded_from_rank": float(hit.rank)}
                        added[chunk.id] = Hit(chunk.id, score, 0, "expansion", chunk, scores)
        if not added:
            return hits, []
        merged = sorted([*hits, *added.values()], key=lambda h: (-h.score, h.chunk_id))
        out = [
            Hit(h.chunk_id, h.score, rank, h.source, h.chunk, dict(h.scores))
            for rank, h in enumerate(merged, start=1)
        ]
        return out, sorted(added)

    # -- public API -----------------------------------------------------------------------
    def retrieve_many(
        self,
        queries: Sequence[str],
        k: int | None = None,
        filters: Mapping[str, Any] | None = None,
    ) -> list[Retrieval]:
        """Retrieve for many queries at once (batched retrieval and reranking), with traces."""
        if isinstance(queries, str):
            raise QueryError("retrieve_many takes a list of queries, got one string")
        qs = list(queries)
        for q in qs:
            if not isinstance(q, str) or not q.strip():
                raise QueryError(f"queries must be non-empty strings, got {q!r}")
        k = self.config.k if k is None else k
        if isinstance(k, bool) or not isinstance(k, int) or k <= 0:
            raise QueryError(f"k must be a positive int, got {k!r}")
        if not qs:
            return []
        cfg = self.config
        reranking = self.reranker is not None and cfg.reranker is not None
        depth = max(cfg.retrieval.depth, k)
        traces = [Trace(q) for q in qs]
        sparse, dense, sparse_ms, dense_ms, decisions = self._routed_candidates(
            qs, depth, k, filters, traces
        )
        # the retrievers that ran; their batch time is shared evenly per query
        sides: list[tuple[str, list[list[Hit]], float]] = []
        if cfg.retrieval.mode != "dense":
            sides.append(("bm25", sparse, sparse_ms))
        if cfg.retrieval.mode != "bm25":
            sides.append(("dense", dense, dense_ms))
        per_query: list[list[Hit]] = []
        for i, q in enumerate(qs):
            trace = traces[i]
            for name, runs, ms in sides:
                n_in = len(self.index.chunks)
                trace.add(name, ms / len(qs), n_in, runs[i], batch_ms=ms, batch_size=len(qs))
            if cfg.retrieval.mode == "hybrid":
                start = time.perf_counter()
                weights, info = self._fusion_weights(q)
                hits = fuse([sparse[i], dense[i]], cfg.fusion.method, weights, **cfg.fusion.params)
                trace.add(
                    "fusion",
                    _ms(start),
                    len(sparse[i]) + len(dense[i]),
                    hits,
                    method=cfg.fusion.method,
                    **info,
                )
            else:
                hits = sparse[i] if cfg.retrieval.mode == "bm25" else dense[i]
            decision = decisions[i]
            if decision is not None and decision.reranks:
                from ragkit.routing import StatementLookup, apply_routing

                start = time.perf_counter()
                n_in = len(hits)
                if self._statements is None and decision.statement_docs:
                    self._statements = StatementLookup(self.index.chunks)
                hits, added = apply_routing(hits, decision, self._statements)
                trace.add("routing", _ms(start), n_in, hits, boosts=len(decision.boosts),
                          statements=list(decision.statements),
                          added=[h.chunk_id for h in added])  # fmt: skip
            if cfg.expansion.enabled:
                start = time.perf_counter()
                n_in = len(hits)
                hits, added = self.expand(hits)
                trace.add("expansion", _ms(start), n_in, hits, added=added)
            per_query.append(hits)
        if reranking:
            assert cfg.reranker is not None and self.reranker is not None
            rdepth, blend = cfg.reranker.depth, cfg.reranker.blend
            heads = [h[:rdepth] for h in per_query]
            keep = None if blend else k  # blending needs every head hit's new score
            start = time.perf_counter()
            many = getattr(self.reranker, "rerank_many", None)
            if many is not None:
                reranked = many(qs, heads, keep)
                shared = _ms(start)
                latencies = [shared / len(qs)] * len(qs)
            else:
                reranked, latencies = [], []
                for q, head in zip(qs, heads, strict=True):
                    one = time.perf_counter()
                    reranked.append(self.reranker.rerank(q, head, keep))
                    latencies.append(_ms(one))
            if blend:
                reranked = [
                    blend_with_incoming(head, out, blend, k)
                    for head, out in zip(heads, reranked, strict=True)
                ]
            for trace, head, out, ms in zip(traces, heads, reranked, latencies, strict=True):
                trace.add("rerank", ms, len(head), out, reranker=cfg.reranker.spec, blend=blend)
            per_query = reranked
        results = []
        for trace, hits in zip(traces, per_query, strict=True):
            final = [
                h if h.rank == r else Hit(h.chunk_id, h.score, r, h.source, h.chunk, h.scores)
                for r, h in enumerate(hits[:k], start=1)
            ]
            results.append(Retrieval(final, trace))
        return results

    def retrieve(
        self, query: str, k: int | None = None, filters: Mapping[str, Any] | None = None
    ) -> Retrieval:
        """Final hits for one query plus its Trace."""
        return self.retrieve_many([query], k, filters)[0]

    def search(
        self, queries: Sequence[str], k: int = 10, filters: Mapping[str, Any] | None = None
    ) -> list[list[Hit]]:
        """The retriever contract: ranked hits per query (traces dropped)."""
        return [r.hits for r in self.retrieve_many(queries, k, filters)]

    def answer(
        self, query: str, filters: Mapping[str, Any] | None = None, k: int | None = None
    ) -> AnswerResult:
        """Retrieve, then generate from the top `generator.contexts` chunks."""
        n = max(k or self.config.k, self.config.generator.contexts)
        hits, trace = self.retrieve(query, n, filters)
        contexts = [h.chunk for h in hits[: self.config.generator.contexts] if h.chunk]
        start = time.perf_counter()
        answer = self.generator.generate(query, contexts)
        cited = {c.chunk_id for c in answer.citations}
        trace.add(
            "generate",
            _ms(start),
            len(contexts),
            [h for h in hits if h.chunk_id in cited],
            generator=self.config.generator.spec,
        )
        return AnswerResult(answer, hits[: k or self.config.k], trace)
