"""Named, configurable benchmark systems: a registry of factories that turn a dataset into a
`SystemSpec` (retriever + chunks + index facts), with indexes cached by content hash.

`bm25`, `dense`, `hybrid` (RRF), `hybrid-<fusion>`, `hybrid-dynamic`, `hybrid-rerank`,
`hybrid-refs`, `naive-hybrid`, `naive-hybrid-routed`, `hybrid-routed`, `bm25-routed`,
`agentic`, `agentic-unrouted`, `agentic-llm`, `agentic-hybrid` (the agent with the routed
hybrid pipeline as its search tool) and `cascade` (that pipeline, escalating to the agent
when its signals say the retrieval is short).
Add one with `register_system(name, factory, description)`; a factory takes a `BenchEnv` and
returns a `SystemSpec`, or raises `SystemSkipped` when it cannot run here (no reranker model,
no LLM endpoint), which `build_systems` reports without failing the run.

Corpus: each dataset supplies its chunks (`ragkit.bench.datasets`: BEIR gives one chunk per
document; FinanceBench and SEC QA documents are parsed, chunked and cached under
`cache_dir()/bench-chunks/`). Indexes are cached under
`cache_dir()/bench-indexes/<sha256 of chunk ids+texts, model, parameters>/`, so a second run
neither re-parses nor re-embeds.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ragkit.bench.datasets import (
    Dataset,
    FinanceBenchDataset,
    SecQaDataset,
    chunks_key,
    corpus_chunks,
)
from ragkit.bench.runner import SystemSpec
from ragkit.errors import ConfigError, RagkitError
from ragkit.models import model_digest
from ragkit.settings import cache_dir
from ragkit.types import Chunk, Hit, Trace

logger = logging.getLogger(__name__)

__all__ = [
    "BenchEnv",
    "SystemFactory",
    "SystemSkipped",
    "SYSTEMS",
    "register_system",
    "known_systems",
    "get_factory",
    "build_systems",
    "TracedPipeline",
    "AgentRetriever",
    "CascadeRetriever",
    "routed_pipeline",
    "agentic_hybrid_system",
    "cascade_system",
    "corpus_chunks",
    "chunks_key",
]


class SystemSkipped(RagkitError):
    """A system that cannot run in this setting (its message says what it needs)."""


SystemFactory = Callable[["BenchEnv"], SystemSpec]


@dataclass(frozen=True)
class _Entry:
    factory: SystemFactory
    description: str


#: name -> factory and description; `register_system` adds to it.
SYSTEMS: dict[str, _Entry] = {}


def register_system(name: str, factory: SystemFactory, description: str = "") -> None:
    """Make `factory` available as system `name` (replacing any earlier one)."""
    if not name or "," in name or name != name.strip():
        raise ConfigError(f"system name must be a non-empty word without commas, got {name!r}")
    SYSTEMS[name] = _Entry(factory, description)


def known_systems() -> dict[str, str]:
    """Registered system names and their one-line descriptions."""
    return {name: entry.description for name, entry in SYSTEMS.items()}


def get_factory(name: str) -> SystemFactory:
    """The factory of system `name`; ConfigError listing the known systems otherwise."""
    entry = SYSTEMS.get(name)
    if entry is None:
        raise ConfigError(f"unknown system {name!r}; expected one of {', '.join(SYSTEMS)}")
    return entry.factory


# -- the environment a factory builds in ----------------------------------------------------


def _folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


@dataclass
class BenchEnv:
    """What system factories build from: the dataset and options, with memoised chunks and
    indexes shared between systems of one run.

    Args:
        dataset: a loaded benchmark dataset.
        model: embedding model (folder or name; None: the packaged MiniLM).
        backend: encoder backend ("torch", "onnx", "onnx-int8"; None: the embedder's default).
        reranker: a cross-encoder model folder or a reranker spec ("cross-encoder:PATH");
            None: `hybrid-rerank` is skipped.
        llm: the `agentic-llm` endpoint, "openai:MODEL[@BASE_URL]" or "cohere[:MODEL]";
            None: read `$RAGKIT_BENCH_LLM`; absent: `agentic-llm` is skipped.
        metadata_file: optional document-information JSONL supplementing routing metadata.
        cache: reuse and write the chunk and index caches.
        progress: show progress bars while indexing.
    """

    dataset: Dataset
    model: str | None = None
    backend: str | None = None
    reranker: str | None = None
    llm: str | None = None
    metadata_file: str | Path | None = None
    cache: bool = True
    progress: bool = True
    _chunks: dict[str, tuple[list[Chunk], dict[str, Any]]] = field(default_factory=dict)
    _indexes: dict[tuple[str, str], tuple[Any, dict[str, Any]]] = field(default_factory=dict)
    _routers: dict[str, Any] = field(default_factory=dict)

    # -- corpus ---------------------------------------------------------------------------
    def chunks(self, chunker: str = "hierarchical") -> tuple[list[Chunk], dict[str, Any]]:
        """The corpus chunks (memoised) and their facts."""
        if chunker not in self._chunks:
            self._chunks[chunker] = corpus_chunks(self.dataset, chunker, cache=self.cache)
        return self._chunks[chunker]

    def chunk_map(self, chunker: str = "hierarchical") -> dict[str, Chunk]:
        """The corpus chunks by id (what `SystemSpec.chunks` wants)."""
        return {c.id: c for c in self.chunks(chunker)[0]}

    def documents_dir(self) -> Path:
        """The folder of raw documents (for agents); SystemSkipped for BEIR."""
        if isinstance(self.dataset, SecQaDataset):
            return self.dataset.filings_dir
        if isinstance(self.dataset, FinanceBenchDataset):
            return self.dataset.documents_dir
        raise SystemSkipped("agents read raw document files; a BEIR corpus is one JSONL file")

    # -- indexes --------------------------------------------------------------------------
    def _model_name(self) -> str:
        """The model's name in index cache keys; int8 indexes hold other vectors than float32
        ones (torch and onnx share), so they are keyed apart."""
        from ragkit.indexes import DEFAULT_MODEL, Embedder
        from ragkit.indexes.onnx_encoder import RECIPE

        name = str(self.model or DEFAULT_MODEL)
        int8 = Embedder(self.model, backend=self.backend, cache=False).backend == "onnx-int8"
        return f"{name}|onnx-int8-{RECIPE}" if int8 else name

    def _cached(
        self, kind: str, chunker: str, build: Callable[[list[Chunk]], Any],
        load: Callable[[Path], Any], params: Mapping[str, Any],
    ) -> tuple[Any, dict[str, Any]]:  # fmt: skip
        memo = (kind, chunker)
        if memo in self._indexes:
            return self._indexes[memo]
        chunks, chunk_info = self.chunks(chunker)
        key = chunks_key(chunks, kind=kind, **params)
        folder = cache_dir() / "bench-indexes" / key
        meta_path = folder / "bench-meta.json"
        info: dict[str, Any] = {"chunker": chunker, "n_chunks": len(chunks),
                                "parse_s": chunk_info["parse_s"],
                                "chunks_cached": chunk_info["cached"]}  # fmt: skip
        index = None
        if self.cache and meta_path.is_file():
            start = time.perf_counter()
            try:
                index = load(folder)
                meta = json.loads(meta_path.read_text(encoding="utf-8"))
            except (RagkitError, OSError, ValueError) as exc:
                logger.warning("cached index %s unreadable (%s); rebuilding", folder, exc)
                index = None
            else:
                info.update(index_build_s=meta.get("index_build_s"), cached=True,
                            load_s=round(time.perf_counter() - start, 3))  # fmt: skip
        if index is None:
            start = time.perf_counter()
            index = build(chunks)
            build_s = round(time.perf_counter() - start, 3)
            info.update(index_build_s=build_s, cached=False)
            if self.cache:
                if folder.exists():
                    shutil.rmtree(folder)
                index.save(folder)
                meta_path.write_text(json.dumps({"index_build_s": build_s, "kind": kind,
                                                 **params}), encoding="utf-8")  # fmt: skip
        if self.cache and folder.is_dir():
            info["index_bytes"] = _folder_bytes(folder)
            info["index_path"] = str(folder)
        info["index_key"] = key[:16]
        self._indexes[memo] = (index, info)
        return index, info

    def bm25_index(self, chunker: str = "hierarchical") -> tuple[Any, dict[str, Any]]:
        """A BM25 index over the corpus (cached); no embedding."""
        from ragkit.indexes import BM25Index

        def build(chunks: list[Chunk]) -> Any:
            index = BM25Index()
            index.add(chunks)
            return index

        return self._cached("bm25", chunker, build, BM25Index.load, {})

    def hybrid_index(self, chunker: str = "hierarchical") -> tuple[Any, dict[str, Any]]:
        """A hybrid (BM25 + dense) index over the corpus (cached; embeddings cached too)."""
        from ragkit.indexes import HybridIndex

        def build(chunks: list[Chunk]) -> Any:
            return HybridIndex.build(chunks, model=self.model, backend=self.backend,
                                     show_progress=self.progress)  # fmt: skip

        def load(folder: Path) -> Any:
            return HybridIndex.load(folder)

        params = {"model": self._model_name()}
        digest = model_digest(self.model)
        if digest:  # a local folder: its weights, not its path, key the index
            params["model_digest"] = digest
        return self._cached("hybrid", chunker, build, load, params)

    def router(self, chunker: str = "hierarchical") -> Any:
        """A `ragkit.routing.Router` over the corpus's documents (cover-page metadata of the
        chunks, supplemented by `metadata_file` when given)."""
        if chunker not in self._routers:
            from ragkit.routing import Router

            chunks = self.chunks(chunker)[0]
            self._routers[chunker] = Router.from_chunks(chunks, self.metadata_file)
        return self._routers[chunker]


# -- retriever wrappers ---------------------------------------------------------------------


class TracedPipeline:
    """A `HybridPipeline` as a benchmark retriever: `search` keeps each query's `Trace` in
    `last_traces` (stages bm25/dense/fusion/expansion/rerank) for failure attribution."""

    def __init__(self, pipeline: Any) -> None:
        self.pipeline = pipeline
        self.last_traces: list[Trace] = []

    def search(
        self, queries: Sequence[str], k: int = 10, filters: Mapping[str, Any] | None = None
    ) -> list[list[Hit]]:
        """Ranked hits per query; traces kept in `last_traces`."""
        results = self.pipeline.retrieve_many(list(queries), k, filters)
        self.last_traces = [r.trace for r in results]
        return [r.hits for r in results]


class AgentRetriever:
    """An agent (`run(question, filters) -> AgentResult`) as a benchmark retriever: keeps the
    tokens it read per query in `last_context_tokens` and a one-stage "agent" trace."""

    def __init__(self, agent: Any, name: str = "agent") -> None:
        self.agent = agent
        self.name = name
        self.last_context_tokens: list[int] = []
        self.last_traces: list[Trace] = []
        self.last_steps: list[int] = []

    def search(
        self, queries: Sequence[str], k: int = 10, filters: Mapping[str, Any] | None = None
    ) -> list[list[Hit]]:
        """Top-k evidence passages per query."""
        from ragkit.retrievers import check_queries

        out, tokens, traces, steps = [], [], [], []
        for q in check_queries(queries, k):
            result = self.agent.run(q, filters)
            hits = result.hits(k, self.name)
            trace = Trace(q)
            trace.add("agent", result.latency_ms, 0, hits, steps=result.steps,
                      tokens_read=result.tokens_read, stop=result.stop_reason)  # fmt: skip
            out.append(hits)
            tokens.append(int(result.tokens_read))
            traces.append(trace)
            steps.append(result.steps)
        self.last_context_tokens, self.last_traces, self.last_steps = tokens, traces, steps
        return out


class CascadeRetriever:
    """A `ragkit.cascade.Cascade` as a benchmark retriever: per query its trace, its context
    tokens (pipeline hits handed on + everything the escalation read) and, in
    `last_escalations`, whether it escalated and the pipeline's own hits (the runner counts
    the evidence escalation added or lost)."""

    def __init__(self, cascade: Any) -> None:
        self.cascade = cascade
        self.last_context_tokens: list[int] = []
        self.last_traces: list[Trace] = []
        self.last_escalations: list[dict[str, Any]] = []

    def search(
        self, queries: Sequence[str], k: int = 10, filters: Mapping[str, Any] | None = None
    ) -> list[list[Hit]]:
        """Top-k hits per query."""
        results = self.cascade.retrieve_many(list(queries), k, filters)
        self.last_context_tokens = [int(r.context_tokens) for r in results]
        self.last_traces = [r.trace for r in results]
        self.last_escalations = [
            {"escalated": r.escalated, "score": r.decision.score, "baseline": r.pipeline_hits}
            for r in results
        ]
        return [r.hits for r in results]


# -- factories ------------------------------------------------------------------------------


def pipeline_spec(
    env: BenchEnv, config: Mapping[str, Any], *, chunker: str = "hierarchical",
    description: str = "", routed: bool = False, reranker: Any = None,
) -> SystemSpec:  # fmt: skip
    """A bench system: a traced `HybridPipeline` with `config` over the env's index built with
    `chunker` (BM25 alone when the config's retrieval mode is bm25), routed or not."""
    from ragkit.pipeline import HybridPipeline

    mode = config.get("retrieval", {}).get("mode", "hybrid")
    index, info = env.bm25_index(chunker) if mode == "bm25" else env.hybrid_index(chunker)
    cfg = {"chunker": {"name": chunker}, **config}
    cfg["routing"] = {"enabled": routed}  # explicit: the with/without comparison
    router = env.router(chunker) if routed else None
    pipe = HybridPipeline.from_index(index, cfg, reranker=reranker, router=router)
    retriever: Any = TracedPipeline(pipe)
    return SystemSpec(retriever, env.chunk_map(chunker),
                      {**info, "description": description})  # fmt: skip


def _agentic_factory(routing: bool) -> SystemFactory:
    name = "agentic" if routing else "agentic-unrouted"

    def factory(env: BenchEnv) -> SystemSpec:
        from ragkit.agentic import HeuristicAgent

        agent = HeuristicAgent(env.documents_dir(), view_cache=cache_dir() / "agent-views",
                               routing=routing, metadata_file=env.metadata_file)  # fmt: skip
        how = "with" if routing else "without"
        return SystemSpec(AgentRetriever(agent, name), None,
                          {"index_build_s": 0, "index_bytes": 0, "cached": False,
                           "description": f"heuristic grep/read/follow agent over raw files "
                                          f"{how} query routing; no index"})  # fmt: skip

    return factory


def routed_pipeline(env: BenchEnv, mode: str = "hybrid") -> Any:
    """The routed pipeline over the hierarchical chunks (`hybrid-routed`; `bm25-routed` with
    mode "bm25"): the search tool of `agentic-hybrid` and the first stage of `cascade`."""
    from ragkit.pipeline import HybridPipeline

    index, _ = env.bm25_index() if mode == "bm25" else env.hybrid_index()
    cfg = {"chunker": {"name": "hierarchical"}, "retrieval": {"mode": mode},
           "routing": {"enabled": True}}  # fmt: skip
    return HybridPipeline.from_index(index, cfg, router=env.router())


def agentic_hybrid_system(env: BenchEnv, mode: str = "hybrid") -> SystemSpec:
    """`agentic-hybrid`: the heuristic agent with the routed pipeline (`mode` "bm25": BM25
    only) as its search tool."""
    from ragkit.agentic import HeuristicAgent

    pipe = routed_pipeline(env, mode)
    agent = HeuristicAgent(env.documents_dir(), view_cache=cache_dir() / "agent-views",
                           metadata_file=env.metadata_file, searcher=pipe)  # fmt: skip
    info = dict((env.bm25_index() if mode == "bm25" else env.hybrid_index())[1])
    info["description"] = ("heuristic agent whose first move is a search with the routed "
                           "hybrid pipeline, then read/follow/grep")  # fmt: skip
    return SystemSpec(AgentRetriever(agent, "agentic-hybrid"), None, info)


def cascade_system(env: BenchEnv, mode: str = "hybrid", **options: Any) -> SystemSpec:
    """`cascade`: the routed hybrid pipeline (`mode` "bm25": BM25 only), escalating to the
    agent (defaults of `ragkit.cascade.Cascade`: threshold, budget); `options` override them."""
    from ragkit.cascade import Cascade

    pipe = routed_pipeline(env, mode)
    cascade = Cascade(pipe, env.documents_dir(), metadata_file=env.metadata_file,
                      view_cache=cache_dir() / "agent-views", **options)  # fmt: skip
    info = dict((env.bm25_index() if mode == "bm25" else env.hybrid_index())[1])
    info.update(description=f"routed hybrid pipeline; agent escalation below sufficiency "
                            f"{cascade.threshold} (budget {cascade.budget.max_tokens} tokens)",
                threshold=cascade.threshold, budget=asdict(cascade.budget))  # fmt: skip
    return SystemSpec(CascadeRetriever(cascade), None, info)


def _agentic_llm(env: BenchEnv) -> SystemSpec:
    spec = env.llm or os.environ.get("RAGKIT_BENCH_LLM")
    if not spec:
        raise SystemSkipped("agentic-llm needs a model endpoint: pass --llm "
                            "openai:MODEL[@BASE_URL] or cohere[:MODEL] (or set "
                            "RAGKIT_BENCH_LLM)")  # fmt: skip
    from ragkit.agentic import LLMAgent
    from ragkit.generators.chat import get_chat_client

    agent = LLMAgent(env.documents_dir(), get_chat_client(spec),
                     view_cache=cache_dir() / "agent-views")  # fmt: skip
    return SystemSpec(AgentRetriever(agent, "agentic-llm"), None,
                      {"index_build_s": 0, "index_bytes": 0, "cached": False, "llm": spec,
                       "description": "tool-calling LLM agent over raw files"})  # fmt: skip


def _rerank(env: BenchEnv) -> SystemSpec:
    if not env.reranker:
        raise SystemSkipped(
            "hybrid-rerank needs a cross-encoder: pass --reranker PATH "
            "(a model folder, e.g. one trained by `ragkit train-reranker`)"
        )
    spec = env.reranker
    if ":" not in spec or Path(spec).exists():
        spec = f"cross-encoder:{spec}"
    # depth 50 and blend 0.5: the settings chosen on SciFact dev for the fine-tuned MiniLM
    return pipeline_spec(env, {"reranker": {"spec": spec, "depth": 50, "blend": 0.5}},
                          description=f"hybrid RRF + {spec} (depth 50, blend 0.5)")  # fmt: skip


def _adapted_factory(mode: str, rerank: bool = False, routed: bool = False) -> SystemFactory:
    """`dense-adapted`, `hybrid-adapted`, `hybrid-adapted-rerank` and their `-routed-` twins:
    the encoder (and reranker) adapted to the bench corpus itself by `ragkit.adapt` (no
    questions, no labels), built once and cached by corpus hash + settings
    (`ragkit.adapt.cached`); the bench's metadata file, when given, names the documents for
    the queries' context as it does for routing. Routed, the reranker reads the residual
    question and keeps the routing's boosts (the pipeline's defaults)."""

    def factory(env: BenchEnv) -> SystemSpec:
        from dataclasses import replace

        from ragkit.adapt.cached import adapted_models, bench_corpus
        from ragkit.errors import TrainingStalledError

        try:  # the metadata file names the documents for the queries' context, as for routing
            encoder, ranker = adapted_models(bench_corpus(env.dataset, env.chunks()[0]),
                                             reranker=rerank, progress=env.progress,
                                             metadata_file=env.metadata_file)  # fmt: skip
        except TrainingStalledError as exc:  # reported as skipped, never benchmarked
            raise SystemSkipped(str(exc)) from exc
        adapted = replace(env, model=str(encoder), _indexes={})
        config: dict[str, Any] = {"retrieval": {"mode": mode}} if mode != "hybrid" else {}
        if ranker is not None:  # no blending: the adapted reranker's order alone
            config["reranker"] = {"spec": f"cross-encoder:{ranker}", "depth": 30, "blend": 0.0}
        what = f"{mode} with the corpus-adapted encoder" + (" + adapted reranker" if rerank else "")
        what += ", with query routing" if routed else ""
        spec = pipeline_spec(adapted, config, description=what, reranker=None, routed=routed)
        return replace(spec, info={**spec.info, "adapted_model": str(encoder)})

    return factory


def _fusion_factory(method: str) -> SystemFactory:
    def factory(env: BenchEnv) -> SystemSpec:
        return pipeline_spec(env, {"fusion": {"method": method}},
                              description=f"hybrid with {method} fusion")  # fmt: skip

    return factory


def _register_defaults() -> None:
    from ragkit.fusion import FUSION_METHODS

    register_system(
        "bm25",
        lambda env: pipeline_spec(env, {"retrieval": {"mode": "bm25"}}, description="BM25 alone"),
        "BM25 alone",
    )
    register_system("dense", lambda env: pipeline_spec(
        env, {"retrieval": {"mode": "dense"}}, description="dense (MiniLM) alone"),
        "dense embeddings alone")  # fmt: skip
    register_system("hybrid", _fusion_factory("rrf"), "BM25 + dense, reciprocal rank fusion")
    for method in FUSION_METHODS:
        register_system(f"hybrid-{method}", _fusion_factory(method), f"hybrid, {method} fusion")
    register_system("hybrid-dynamic", lambda env: pipeline_spec(
        env, {"fusion": {"method": "convex", "dynamic": True}},
        description="hybrid, query-dependent convex weights"),
        "hybrid with query-dependent weights")  # fmt: skip
    register_system("hybrid-rerank", _rerank, "hybrid RRF + cross-encoder (needs --reranker)")
    register_system("dense-adapted", _adapted_factory("dense"),
                    "dense with the corpus-adapted encoder")  # fmt: skip
    register_system("hybrid-adapted", _adapted_factory("hybrid"),
                    "hybrid with the corpus-adapted encoder")  # fmt: skip
    register_system("hybrid-adapted-rerank", _adapted_factory("hybrid", rerank=True),
                    "hybrid with the corpus-adapted encoder and reranker")  # fmt: skip
    register_system("hybrid-routed-adapted", _adapted_factory("hybrid", routed=True),
                    "hybrid-routed with the corpus-adapted encoder")  # fmt: skip
    register_system("hybrid-routed-adapted-rerank",
                    _adapted_factory("hybrid", rerank=True, routed=True),
                    "hybrid-routed with the corpus-adapted encoder and reranker "
                    "(residual question, routing kept)")  # fmt: skip
    register_system("hybrid-refs", lambda env: pipeline_spec(
        env, {"expansion": {"enabled": True}}, description="hybrid RRF + reference expansion"),
        "hybrid RRF + reference expansion")  # fmt: skip
    register_system("naive-hybrid", lambda env: pipeline_spec(
        env, {}, chunker="naive", description="hybrid RRF over the naive chunker"),
        "hybrid RRF over fixed-size naive chunks")  # fmt: skip
    register_system("naive-hybrid-routed", lambda env: pipeline_spec(
        env, {}, chunker="naive", routed=True,
        description="hybrid RRF over the naive chunker, with query routing"),
        "naive chunks + hybrid RRF + query routing")  # fmt: skip
    register_system("hybrid-routed", lambda env: pipeline_spec(
        env, {}, routed=True, description="hybrid RRF with query routing"),
        "hybrid RRF with company/period routing (filters + boosts, fallback)")  # fmt: skip
    register_system(
        "bm25-routed",
        lambda env: pipeline_spec(
            env, {"retrieval": {"mode": "bm25"}}, routed=True, description="BM25 with query routing"
        ),
        "BM25 with company/period routing",
    )
    register_system(
        "agentic",
        _agentic_factory(True),
        "heuristic agent over raw files (no index), files picked with routing",
    )
    register_system(
        "agentic-unrouted",
        _agentic_factory(False),
        "heuristic agent without the query router (its own file matching only)",
    )
    register_system("agentic-llm", _agentic_llm, "LLM tool-calling agent (needs an endpoint)")
    register_system(
        "agentic-hybrid",
        agentic_hybrid_system,
        "heuristic agent with the routed hybrid pipeline as its first tool (search)",
    )
    register_system(
        "cascade",
        cascade_system,
        "routed hybrid pipeline; escalates to the agent when retrieval signals fall short",
    )


_register_defaults()


def parse_names(names: str | Iterable[str]) -> list[str]:
    """System names from "a,b,c" or a list, checked against the registry (ConfigError)."""
    items = names.split(",") if isinstance(names, str) else list(names)
    out = [n.strip() for n in items if n.strip()]
    if not out:
        raise ConfigError(f"no systems given ({names!r}); expected e.g. bm25,hybrid,agentic")
    for name in out:
        get_factory(name)
    return list(dict.fromkeys(out))


def build_systems(
    names: str | Iterable[str], env: BenchEnv
) -> tuple[dict[str, SystemSpec], dict[str, str]]:
    """Build the named systems; returns (name -> SystemSpec, name -> why skipped)."""
    systems: dict[str, SystemSpec] = {}
    skipped: dict[str, str] = {}
    for name in parse_names(names):
        try:
            systems[name] = get_factory(name)(env)
        except SystemSkipped as exc:
            logger.warning("skipping system %s: %s", name, exc)
            skipped[name] = str(exc)
    return systems, skipped
