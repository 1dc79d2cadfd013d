"""Run a dataset through any number of retrievers and build the report.

A system is anything with the retriever contract `search(queries, k, filters=None) ->
list[list[Hit]]` whose hits carry their chunks. Optional hooks, read after each call:
`last_traces` (one `ragkit.types.Trace` per query, enabling failure attribution and per-stage
latency) and `last_context_tokens` (tokens the system read or hands on per query, e.g.
everything an agent read). Wrap a retriever in `SystemSpec` to give the chunks of its index
(needed to attribute losses, and to tell chunking losses apart) and facts such as index build
time, size or money cost, which are copied into the report. A system that escalates (the
cascade) may also keep `last_escalations`: per query `{"escalated": bool, "score": float,
"baseline": [Hit, ...]}`, the hits it would have returned without escalating; the runner
then counts the gold evidence escalation added and lost, and reports the escalation rate and
precision (share of escalations that found evidence the baseline had missed).
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ragkit.bench import metrics as m
from ragkit.bench.attribution import attribute, count_stages
from ragkit.bench.datasets import BenchQuery, Dataset
from ragkit.bench.report import BenchReport, SystemResult, environment_info, write_report
from ragkit.bench.significance import compare_all
from ragkit.bench.tasks import EvidenceItem, NormCache, QueryScore, Task, task_for
from ragkit.errors import ConfigError
from ragkit.types import Chunk, Hit, Retriever, Trace

logger = logging.getLogger(__name__)

__all__ = [
    "Retriever",
    "SystemSpec",
    "FilterRule",
    "per_document_filter",
    "run_benchmark",
    "run_system",
    "DEFAULT_KS",
]

DEFAULT_KS: tuple[int, ...] = (1, 5, 10, 20)

#: A query's filters: a fixed mapping, or a function of the query (None: no filter).
FilterRule = Mapping[str, Any] | Callable[[BenchQuery], Mapping[str, Any] | None] | None


@dataclass(frozen=True)
class SystemSpec:
    """A retriever plus what the benchmark cannot ask it: the chunks of its index (a mapping
    id -> Chunk, for attribution) and facts for the report (`index_build_s`, `index_bytes`,
    `cost_usd`, `description`, ...)."""

    retriever: Retriever
    chunks: Mapping[str, Chunk] | None = None
    info: Mapping[str, Any] = field(default_factory=dict)


def per_document_filter(query: BenchQuery) -> Mapping[str, Any] | None:
    """The per-document setting: restrict the search to the query's gold document(s)."""
    if not query.doc_ids:
        return None
    return {"doc_id": query.doc_ids[0] if len(query.doc_ids) == 1 else list(query.doc_ids)}


def _filters_for(rule: FilterRule, query: BenchQuery) -> Mapping[str, Any] | None:
    if rule is None:
        return None
    if callable(rule):
        return rule(query)
    return rule


def _filter_label(rule: FilterRule) -> str:
    if rule is None:
        return "none"
    if rule is per_document_filter:
        return "per-document"
    if callable(rule):
        return getattr(rule, "__name__", "custom")
    return str(dict(rule))


class _Evidence:
    """Evidence checks against one system's chunks: which chunk ids contain an item, and
    whether any chunk does (chunking), with the chunks grouped by document."""

    def __init__(self, chunks: Mapping[str, Chunk]) -> None:
        self.chunks = chunks
        self.cache = NormCache()
        self.by_doc: dict[str, list[Chunk]] = defaultdict(list)
        for chunk in chunks.values():
            self.by_doc[chunk.doc_id].append(chunk)
            source = str(chunk.metadata.get("source_name") or "")
            stem = Path(source).stem
            if stem and stem != chunk.doc_id:
                self.by_doc[stem].append(chunk)
        self._in_corpus: dict[EvidenceItem, bool] = {}

    def contains(self, item: EvidenceItem) -> Callable[[str], bool]:
        def check(chunk_id: str) -> bool:
            chunk = self.chunks.get(chunk_id)
            return chunk is not None and item.matches(chunk, self.cache)

        return check

    def in_corpus(self, item: EvidenceItem) -> bool:
        known = self._in_corpus.get(item)
        if known is None:
            candidates: Iterable[Chunk] = self.by_doc.get(Path(item.doc).stem, [])
            known = any(item.matches(c, self.cache) for c in candidates)
            if not known and item.kind == "quote":
                known = any(item.matches(c, self.cache) for c in self.chunks.values())
            self._in_corpus[item] = known
        return known


def _hook(retriever: Any, name: str, n: int) -> list[Any] | None:
    value = getattr(retriever, name, None)
    if value is None:
        return None
    try:
        items = list(value)
    except TypeError:
        return None
    return items if len(items) == n else None


def _latency_summary(values: Sequence[float]) -> dict[str, float]:
    return {
        "p50": round(m.percentile(values, 50), 3),
        "p95": round(m.percentile(values, 95), 3),
        "mean": round(sum(values) / len(values), 3) if values else 0.0,
    }


def _hit_record(hit: Hit) -> dict[str, Any]:
    chunk = hit.chunk
    record: dict[str, Any] = {"rank": hit.rank, "chunk_id": hit.chunk_id, "score": hit.score}
    if chunk is not None:
        record["doc_id"] = chunk.doc_id
        if chunk.page_start is not None:
            record["pages"] = [chunk.page_start, chunk.page_end]
    return record


@dataclass
class _Tally:
    """What one system's run accumulates over its queries."""

    scores: list[QueryScore] = field(default_factory=list)
    per_query: list[dict[str, Any]] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    tokens: list[int] = field(default_factory=list)
    stage_latency: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    by_type: dict[str, list[Any]] = field(default_factory=lambda: defaultdict(list))
    attributions: list[Any] = field(default_factory=list)
    escalations: list[dict[str, Any]] = field(default_factory=list)

    def add_escalation(
        self, record: Mapping[str, Any], task: Task, query: BenchQuery, hits: Sequence[Hit],
        context_k: int,
    ) -> dict[str, Any]:  # fmt: skip
        """Compare the gold evidence in the top `context_k` with and without escalation."""
        cache = NormCache()

        def found(ranked: Sequence[Hit]) -> set[EvidenceItem]:
            chunks = [h.chunk for h in ranked[:context_k] if h.chunk is not None]
            return {i for i in task.evidence(query) if any(i.matches(c, cache) for c in chunks)}

        final, base = found(hits), found(list(record.get("baseline") or []))
        out = {
            "escalated": bool(record.get("escalated")),
            "score": round(float(record.get("score", 0.0)), 4),
            "gained": sorted(i.label for i in final - base),
            "lost": sorted(i.label for i in base - final),
        }
        self.escalations.append(out)
        return out

    def escalation_summary(self) -> dict[str, Any]:
        """Escalation rate, precision (escalations that gained evidence), items gained/lost."""
        if not self.escalations:
            return {}
        esc = [e for e in self.escalations if e["escalated"]]
        gained = [e for e in esc if e["gained"]]
        return {
            "queries": len(self.escalations),
            "escalated": len(esc),
            "rate": round(len(esc) / len(self.escalations), 4),
            "precision": round(len(gained) / len(esc), 4) if esc else None,
            "items_gained": sum(len(e["gained"]) for e in esc),
            "items_lost": sum(len(e["lost"]) for e in esc),
            "queries_lost": sum(1 for e in esc if e["lost"]),
        }

    def add_trace(
        self, trace: Trace, task: Task, query: BenchQuery, evidence: _Evidence | None,
        context_k: int,
    ) -> list[dict[str, Any]] | None:  # fmt: skip
        """Record a query's stage latencies; attribute each evidence item's loss."""
        for stage in trace.stages:
            self.stage_latency[stage.stage].append(stage.latency_ms)
        if evidence is None:
            return None
        items = []
        for item in task.evidence(query):
            verdict = attribute(trace, evidence.contains(item),
                                in_corpus=evidence.in_corpus(item), final_k=context_k)  # fmt: skip
            self.attributions.append(verdict)
            self.by_type[query.qtype or "all"].append(verdict)
            items.append({"item": item.label, **verdict.to_dict()})
        return items

    def result(
        self, task: Task, qs: Sequence[BenchQuery], ks: Sequence[int], context_k: int,
        info: Mapping[str, Any],
    ) -> SystemResult:  # fmt: skip
        """The system's aggregated result."""
        latency: dict[str, Any] = _latency_summary(self.latencies)
        if self.stage_latency:
            latency["stages"] = {st: _latency_summary(v) for st, v in self.stage_latency.items()}
        scores_by_type: dict[str, list[QueryScore]] = defaultdict(list)
        for query, score in zip(qs, self.scores, strict=True):
            if query.qtype:
                scores_by_type[query.qtype].append(score)
        tokens = self.tokens
        return SystemResult(
            metrics=task.aggregate(self.scores, ks),
            latency_ms=latency,
            context_tokens={
                "mean": round(sum(tokens) / len(tokens), 1) if tokens else 0.0,
                "p50": m.percentile(tokens, 50),
                "k": context_k,
            },
            failure_stages=count_stages(self.attributions),
            per_query=self.per_query,
            metrics_by_type={t: task.aggregate(s, ks) for t, s in sorted(scores_by_type.items())},
            failure_stages_by_type=(
                {t: count_stages(a) for t, a in sorted(self.by_type.items())}
                if self.attributions
                else {}
            ),
            info=dict(info),
            escalation=self.escalation_summary(),
        )


def run_system(
    task: Task,
    name: str,
    system: Retriever | SystemSpec,
    ks: Sequence[int],
    *,
    context_k: int = 10,
    filters: FilterRule = None,
    queries: Sequence[BenchQuery] | None = None,
    progress: bool = True,
) -> SystemResult:
    """Evaluate one system on the task's queries, one query at a time (timed)."""
    from tqdm import tqdm

    spec = system if isinstance(system, SystemSpec) else SystemSpec(system)
    retriever = spec.retriever
    if not callable(getattr(retriever, "search", None)):
        raise ConfigError(
            f"system {name!r} is a {type(retriever).__name__} without search(queries, k, "
            "filters); expected a retriever"
        )
    depth = max(ks)
    evidence = _Evidence(spec.chunks) if spec.chunks is not None else None
    tally = _Tally()
    qs = list(queries if queries is not None else task.queries)
    for query in tqdm(qs, desc=name, unit="q", disable=not progress, leave=False):
        t0 = time.perf_counter()
        results = retriever.search([query.text], depth, _filters_for(filters, query))
        elapsed = (time.perf_counter() - t0) * 1000
        if len(results) != 1:
            raise ConfigError(
                f"system {name!r} returned {len(results)} result lists for 1 query; expected 1"
            )
        hits = list(results[0])
        score = task.score(query, hits, ks)
        tally.scores.append(score)
        tally.latencies.append(elapsed)
        read = _hook(retriever, "last_context_tokens", 1)
        n_tokens = int(read[0]) if read else m.context_tokens(hits, context_k)
        tally.tokens.append(n_tokens)
        record: dict[str, Any] = {
            "id": query.id,
            "type": query.qtype,
            "metrics": score.metrics,
            "counts": score.counts,
            "latency_ms": round(elapsed, 3),
            "context_tokens": n_tokens,
            "hits": [_hit_record(h) for h in hits[:context_k]],
        }
        escalations = _hook(retriever, "last_escalations", 1)
        if escalations and isinstance(escalations[0], Mapping):
            record["escalation"] = tally.add_escalation(
                escalations[0], task, query, hits, context_k
            )
        traces = _hook(retriever, "last_traces", 1)
        if traces and isinstance(traces[0], Trace):
            items = tally.add_trace(traces[0], task, query, evidence, context_k)
            if items is not None:
                record["evidence"] = items
        tally.per_query.append(record)
    return tally.result(task, qs, ks, context_k, spec.info)


def run_benchmark(
    dataset: Dataset,
    systems: Mapping[str, Retriever | SystemSpec],
    ks: Sequence[int] = DEFAULT_KS,
    out_dir: str | Path | None = None,
    *,
    context_k: int = 10,
    filters: FilterRule = None,
    limit: int | None = None,
    progress: bool = True,
    charts: bool = True,
    seed: int = 0,
    n_resamples: int = 10_000,
) -> BenchReport:
    """Evaluate every system on the dataset and (when `out_dir` is given) write the report.

    `ks` are the cut-offs (systems are asked for max(ks) passages per query); `context_k`
    the passages a generator would receive (context tokens, attribution's `kept`);
    `filters` a fixed filter or a function of the query (e.g. `per_document_filter`);
    `limit` keeps the first n queries. Paired comparisons use a fixed `seed`.
    """
    if not systems:
        raise ConfigError("no systems to run; expected a mapping of name -> retriever")
    ks = sorted(set(ks))
    if not ks or any(isinstance(k, bool) or not isinstance(k, int) or k <= 0 for k in ks):
        raise ConfigError(f"ks must be positive integers, got {ks}")
    if context_k <= 0:
        raise ConfigError(f"context_k must be > 0, got {context_k}")
    task = task_for(dataset)
    queries = list(task.queries)
    if limit is not None:
        if limit <= 0:
            raise ConfigError(f"limit must be > 0, got {limit}")
        queries = queries[:limit]
    if not queries:
        raise ConfigError(f"dataset {task.name} has no queries to run")
    results: dict[str, SystemResult] = {}
    from ragkit.indexes.embeddings import clear_query_caches

    for name, system in systems.items():
        logger.info("running %s on %s (%d queries)", name, task.name, len(queries))
        clear_query_caches()  # systems sharing an index must not reuse each other's encodings
        results[name] = run_system(
            task,
            name,
            system,
            ks,
            context_k=context_k,
            filters=filters,
            queries=queries,
            progress=progress,
        )
    primary = list(task.primary_metrics(ks))
    comparisons = []
    if len(results) > 1:
        for metric in primary:
            per_system = {n: r.scores(metric) for n, r in results.items()}
            comparisons += [c.to_dict() for c in compare_all(per_system, metric, n_resamples, seed)]
    report = BenchReport(
        dataset=task.name,
        n_queries=len(queries),
        systems=results,
        environment=environment_info(),
        comparisons=comparisons,
        settings={
            "ks": list(ks),
            "depth": max(ks),
            "context_k": context_k,
            "filters": _filter_label(filters),
            "skipped_queries": len(getattr(dataset, "skipped", ())),
            "seed": seed,
        },
        primary_metrics=primary,
    )
    if out_dir is not None:
        write_report(report, out_dir, charts=charts)
    return report
