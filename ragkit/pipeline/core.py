"""`HybridPipeline`: named retrievers, then a sequence of stages (route, fuse, expand,
rerank, …), then an optional generator — one loop that times each stage and records it in
every query's `Trace`.

Every retrieval returns a `ragkit.types.Trace` with, per stage, the candidates received and
returned (ids, ranks, scores) and the latency, so that a benchmark can see where evidence is
lost. The pipeline is itself a `Retriever`: `search(queries, k, filters)`.

Example:
    >>> pipe = HybridPipeline.build(chunks, {"fusion": {"method": "rrf"}, "k": 5})
    >>> hits, trace = pipe.retrieve("What was long-term debt in 2024?")
    >>> pipe.answer("What was long-term debt in 2024?").answer.text
    >>> HybridPipeline({"bm25": bm25, "dense": dense, "tfidf": tfidf},
    ...                [Retrieve({...}), Fuse("rrf", weights={"tfidf": 0.5})])
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from ragkit.errors import ConfigError
from ragkit.generators.base import Answer, Generator
from ragkit.lexicon import Lexicon
from ragkit.pipeline.config import IndexConfig, PipelineConfig, load_config, stage_dicts
from ragkit.pipeline.stages import Batch, Stage, StageContext, stages_from_dicts
from ragkit.rerankers.base import Reranker
from ragkit.retrievers import check_queries, ranked
from ragkit.types import Chunk, Hit, Retriever, Trace

ConfigSource = PipelineConfig | Mapping[str, Any] | str | Path | None


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


class HybridPipeline:
    """Named retrievers and the stages over their runs (see the module docstring).

    Args:
        retrievers: name -> `Retriever`, searched concurrently by the first stage.
        stages: the stages in order; the first is normally a `Retrieve` over `retrievers`
            (default: one `Retrieve` of all of them, fused when there are several).
        k: hits returned when a call names no k.
        generator: what `answer` generates with (default: from `config.generator`).
        config: the config the pipeline was built from, kept for `answer` and `to_dict`.
    """

    def __init__(
        self,
        retrievers: Mapping[str, Retriever],
        stages: Sequence[Stage] | None = None,
        *,
        k: int = 10,
        generator: Generator | None = None,
        config: PipelineConfig | None = None,
    ) -> None:
        if isinstance(k, bool) or not isinstance(k, int) or k <= 0:
            raise ConfigError(f"k must be a positive int, got {k!r}")
        if not isinstance(retrievers, Mapping):
            raise ConfigError(
                "HybridPipeline takes a mapping of named retrievers, e.g. index.retrievers(); "
                "to build one from an index and a config use HybridPipeline.from_index"
            )
        self.retrievers = dict(retrievers)
        if stages is None:
            cfg = config or PipelineConfig()
            ctx = StageContext(self.retrievers)
            stages = stages_from_dicts(stage_dicts(cfg, list(self.retrievers), False), ctx)
        self.stages = list(stages)
        self.k = k
        self.config = config or PipelineConfig(k=k)
        self._generator = generator

    # -- construction -------------------------------------------------------------------
    @classmethod
    def from_index(
        cls,
        index: Any,
        config: ConfigSource = None,
        *,
        reranker: Reranker | None = None,
        generator: Generator | None = None,
        router: Any = None,
        retrievers: Mapping[str, Retriever] | None = None,
    ) -> HybridPipeline:
        """The pipeline a config describes over an index: its retrievers are the index's
        (`index.retrievers()`, or the index itself), plus any extra ones given by name."""
        cfg = load_config(config)
        named = dict(_index_retrievers(index))
        named.update(retrievers or {})
        _check_query_encoder(cfg.index, named.get("dense"))
        chunks = list(getattr(index, "chunks", ()))
        lexicon = Lexicon.load(cfg.lexicon) if cfg.lexicon else None
        ctx = StageContext(named, chunks, reranker, router, cfg.routing.metadata_file, lexicon)
        stages = stages_from_dicts(stage_dicts(cfg, list(named), _routing_on(cfg, ctx)), ctx)
        return cls(named, stages, k=cfg.k, generator=generator, config=cfg)

    @classmethod
    def from_config(
        cls, config: ConfigSource, index: Any = None, **overrides: Any
    ) -> HybridPipeline:
        """A pipeline from a config; loads `config.index.path` when no index is given."""
        cfg = load_config(config)
        if index is None:
            if not cfg.index.path:
                raise ConfigError("the config names no index.path and no index was given")
            index = load_index(cfg.index.path, cfg)
        return cls.from_index(index, cfg, **overrides)

    @classmethod
    def build(
        cls,
        source: Iterable[Chunk] | Iterable[str | Path] | str | Path,
        config: ConfigSource = None,
        **overrides: Any,
    ) -> HybridPipeline:
        """Chunk (if given document paths) and index, then wrap in a pipeline."""
        from ragkit.indexes import Embedder, HybridIndex

        cfg = load_config(config)
        items = [source] if isinstance(source, str | Path) else list(source)
        chunks: list[Chunk] = [c for c in items if isinstance(c, Chunk)]
        if len(chunks) != len(items):
            from ragkit.chunkers import get_chunker
            from ragkit.parsers import load

            chunker = get_chunker(cfg.chunker.name, **cfg.chunker.params)
            paths = [Path(p) for p in items if isinstance(p, str | Path)]
            chunks = [c for doc in load(paths) for c in chunker.chunk(doc)]
        spec = cfg.index
        model = Embedder(spec.model, query_int8=spec.query_int8, backend=spec.backend)
        index = HybridIndex.build(chunks, model=model, depth=cfg.retrieval.depth)
        return cls.from_index(index, cfg, **overrides)

    def to_dict(self) -> dict[str, Any]:
        """The retriever names and every stage's dict (`stages_from_dicts` rebuilds them)."""
        return {
            "retrievers": list(self.retrievers),
            "k": self.k,
            "stages": [s.to_dict() for s in self.stages],
        }

    @property
    def generator(self) -> Generator:
        """The generator (built from the config at first use)."""
        if self._generator is None:
            from ragkit.generators import get_generator

            spec = self.config.generator
            self._generator = get_generator(spec.spec, **spec.params)
        return self._generator

    # -- public API -----------------------------------------------------------------------
    def retrieve_many(
        self,
        queries: Sequence[str],
        k: int | None = None,
        filters: Mapping[str, Any] | None = None,
    ) -> list[Retrieval]:
        """Run every stage over a batch of queries; final hits and a trace per query."""
        k = self.k if k is None else k
        qs = check_queries(queries, k)
        if not qs:
            return []
        if self.config.filters:
            filters = {**self.config.filters, **(filters or {})}
        batch = Batch(qs, k, filters, [Trace(q) for q in qs])
        for stage in self.stages:
            n_in = [sum(len(r) for r in runs.values()) for runs in batch.runs] or [0] * len(qs)
            start = time.perf_counter()
            entries = stage.run(batch)
            shared = (time.perf_counter() - start) * 1000 / len(qs)
            for i, per_query in enumerate(entries):
                for name, info in per_query.items():
                    info = dict(info)
                    ms, n = info.pop("latency_ms", shared), info.pop("n_in", n_in[i])
                    batch.traces[i].add(name, ms, n, batch.runs[i].get(name, []), **info)
        return [Retrieval(ranked(batch.hits(i)[:k]), trace) for i, trace in enumerate(batch.traces)]

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
        contexts_n = self.config.generator.contexts
        hits, trace = self.retrieve(query, max(k or self.k, contexts_n), filters)
        contexts = [h.chunk for h in hits[:contexts_n] if h.chunk]
        start = time.perf_counter()
        answer = self.generator.generate(query, contexts)
        cited = {c.chunk_id for c in answer.citations}
        trace.add(
            "generate",
            (time.perf_counter() - start) * 1000,
            len(contexts),
            [h for h in hits if h.chunk_id in cited],
            generator=self.config.generator.spec,
            role="generator",
        )
        return AnswerResult(answer, hits[: k or self.k], trace)


def load_index(path: str | Path, config: ConfigSource = None) -> Any:
    """The `HybridIndex` at `path`, its queries encoded as `config`'s index section says:
    `query_int8`, and `backend` where its vectors are interchangeable with the index's."""
    from ragkit.indexes import HybridIndex
    from ragkit.indexes.embeddings import vectors_compatible

    spec = load_config(config).index
    index = HybridIndex.load(path)
    embedder = index.dense.embedder  # ours: loaded here, so changed in place
    embedder.query_int8 = spec.query_int8
    if spec.backend is not None and spec.backend != embedder.backend:
        if not vectors_compatible(spec.backend, embedder.backend):
            raise ConfigError(
                f"index.backend is {spec.backend!r} but the index at {path} holds "
                f"{embedder.backend} vectors, which differ: rebuild it with that backend or "
                "drop index.backend"
            )
        index.dense.embedder = embedder.with_backend(spec.backend)
    return index


def _check_query_encoder(spec: IndexConfig, dense: Any) -> None:
    """A given index must encode queries as the config's index section asks (`query_int8`,
    `backend` when set): the pipeline does not change the embedder of an index a caller may
    share."""
    embedder = getattr(dense, "embedder", None)
    if embedder is None:
        return
    if spec.query_int8 and not embedder.query_int8:
        raise ConfigError(
            "index.query_int8 is set but the given index encodes float queries; load "
            "it with HybridIndex.load(path, embedder=Embedder(query_int8=True)) or give "
            "index.path in the config"
        )
    if spec.backend is not None and embedder.backend != spec.backend:
        raise ConfigError(
            f"index.backend is {spec.backend!r} but the given index encodes with "
            f"{embedder.backend!r}: load it with HybridIndex.load(path, "
            f"embedder=Embedder(backend={spec.backend!r})) or give index.path in the config"
        )


def _index_retrievers(index: Any) -> Mapping[str, Retriever]:
    """An index's named retrievers: `index.retrievers()` when it has them, else the index."""
    if index is None:
        raise ConfigError("no index given: pass an index or set index.path in the config")
    named = getattr(index, "retrievers", None)
    if callable(named):
        return dict(named())
    if callable(getattr(index, "search", None)):
        return {str(getattr(index, "source", "retriever")): index}
    raise ConfigError(f"{type(index).__name__} is not an index: it has no search() method")


def _routing_on(cfg: PipelineConfig, ctx: StageContext) -> bool:
    """Whether routing runs: on, or "auto" over a corpus of two or more companies — documents
    with no company name, ticker or CIK (a BEIR corpus) do not count (the router is built
    here and kept in `ctx` for the retrieve stage)."""
    if cfg.routing.enabled is False:
        return False
    if ctx.router is None:
        from ragkit.routing import Router

        r = cfg.routing
        ctx.router = Router.from_chunks(
            ctx.chunks, r.metadata_file, lexicon=ctx.lexicon, **r.router_params()
        )
    return cfg.routing.enabled is True or len(ctx.router.catalog.companies) >= 2


__all__ = ["AnswerResult", "HybridPipeline", "Retrieval"]
