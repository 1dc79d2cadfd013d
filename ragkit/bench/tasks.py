"""What each dataset measures: per-query scores, gold evidence items for attribution, and
how per-query scores aggregate (means, or micro-averages over evidence items).

- BEIR: `ndcg@k`, `recall@k`, `mrr@k` over documents ranked by their best passage.
- FinanceBench: `page_recall@k` (a top-k passage from the right document overlaps an evidence
  page), `page_coverage@k` (share of all evidence pages covered, micro-averaged) and
  `doc_recall@k`.
- SEC QA: `evidence_recall@k` (share of evidence quotes found by the `norm` rule,
  micro-averaged over quotes), `question_recall@k` (share of questions with every quote
  found) and `doc_recall@k`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ragkit.bench import metrics as m
from ragkit.bench.datasets import BenchQuery, Dataset, FinanceBenchDataset, SecQaDataset
from ragkit.errors import ConfigError
from ragkit.types import Chunk, Hit

__all__ = [
    "QueryScore",
    "EvidenceItem",
    "NormCache",
    "Task",
    "JudgedDataset",
    "BeirTask",
    "FinanceBenchTask",
    "SecQaTask",
    "task_for",
]


@dataclass(frozen=True, slots=True)
class QueryScore:
    """One query's metric values plus the counts that micro-averaged metrics sum."""

    metrics: dict[str, float]
    counts: dict[str, int] = field(default_factory=dict)


class NormCache:
    """norm(chunk.text) per chunk id, computed once (evidence checks repeat over chunks)."""

    def __init__(self) -> None:
        self._texts: dict[str, str] = {}

    def get(self, chunk: Chunk) -> str:
        """The normalised text of the chunk."""
        text = self._texts.get(chunk.id)
        if text is None:
            text = self._texts[chunk.id] = m.norm(chunk.text)
        return text


@dataclass(frozen=True, slots=True)
class EvidenceItem:
    """One gold evidence item: a quote (`norm` rule), a document page, or a whole document."""

    kind: str  # "quote" | "page" | "doc"
    label: str
    doc: str
    page: int | None = None
    quote_norm: str = ""

    def matches(self, chunk: Chunk, cache: NormCache | None = None) -> bool:
        """Whether this single chunk contains the item."""
        if self.kind == "doc":
            return m.doc_matches(chunk, self.doc)
        if self.kind == "page":
            return self.page is not None and m.covers_page(chunk, self.doc, self.page)
        text = cache.get(chunk) if cache is not None else m.norm(chunk.text)
        return bool(self.quote_norm) and self.quote_norm in text


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


class Task(Protocol):
    """The dataset-specific half of a benchmark run."""

    name: str
    kind: str
    queries: tuple[BenchQuery, ...]

    def metric_names(self, ks: Sequence[int]) -> list[str]:
        """Aggregate metric names in display order."""
        ...

    def primary_metrics(self, ks: Sequence[int]) -> list[str]:
        """The metrics compared between systems and charted (headline first)."""
        ...

    def score(self, query: BenchQuery, hits: Sequence[Hit], ks: Sequence[int]) -> QueryScore:
        """Score one query's ranked passages."""
        ...

    def evidence(self, query: BenchQuery) -> tuple[EvidenceItem, ...]:
        """The query's gold evidence items, for failure attribution."""
        ...

    def aggregate(self, scores: Sequence[QueryScore], ks: Sequence[int]) -> dict[str, float]:
        """Aggregate per-query scores into the system's metrics."""
        ...


class _BaseTask:
    """Shared aggregation: means of per-query metrics, micro-averages where declared."""

    name: str
    kind: str
    queries: tuple[BenchQuery, ...]
    #: metric prefix -> (found count prefix, total count key)
    micro: Mapping[str, tuple[str, str]] = {}
    prefixes: tuple[str, ...] = ()
    headline: tuple[str, ...] = ()

    def metric_names(self, ks: Sequence[int]) -> list[str]:
        """Every aggregate metric name, prefix by prefix, k ascending."""
        return [f"{p}@{k}" for p in self.prefixes for k in sorted(ks)]

    def primary_metrics(self, ks: Sequence[int]) -> list[str]:
        """Headline metrics at k=10 (or the nearest available cut-off)."""
        k = 10 if 10 in ks else min(ks, key=lambda x: abs(x - 10))
        return [f"{p}@{k}" for p in self.headline]

    def aggregate(self, scores: Sequence[QueryScore], ks: Sequence[int]) -> dict[str, float]:
        """Means over queries, except micro-averaged metrics (summed counts)."""
        out: dict[str, float] = {}
        for name in self.metric_names(ks):
            prefix, _, k = name.partition("@")
            if prefix in self.micro:
                found_prefix, total_key = self.micro[prefix]
                total = sum(s.counts.get(total_key, 0) for s in scores)
                found = sum(s.counts.get(f"{found_prefix}@{k}", 0) for s in scores)
                out[name] = found / total if total else 0.0
            else:
                out[name] = _mean([s.metrics[name] for s in scores if name in s.metrics])
        return out


class JudgedDataset(Protocol):
    """A dataset judged by graded qrels over document ids: BEIR, or any registered dataset
    that scores like it."""

    @property
    def name(self) -> str:
        """The dataset's label in reports."""
        ...

    @property
    def queries(self) -> tuple[BenchQuery, ...]:
        """The judged queries."""
        ...

    @property
    def qrels(self) -> Mapping[str, Mapping[str, int]]:
        """{query id: {document id: relevance}}."""
        ...


class BeirTask(_BaseTask):
    """BEIR: graded qrels over documents."""

    kind = "beir"
    prefixes = ("ndcg", "recall", "mrr")
    headline = ("ndcg", "recall")

    def __init__(self, dataset: JudgedDataset) -> None:
        self.name = dataset.name
        self.queries = dataset.queries
        self.qrels = dataset.qrels

    def score(self, query: BenchQuery, hits: Sequence[Hit], ks: Sequence[int]) -> QueryScore:
        """nDCG, recall and MRR at each k over the documents of the ranked passages."""
        ranked = m.ranked_doc_ids(hits)
        qrels = self.qrels.get(query.id, {})
        out: dict[str, float] = {}
        for k in ks:
            out[f"ndcg@{k}"] = m.ndcg_at_k(ranked, qrels, k)
            out[f"recall@{k}"] = m.recall_at_k(ranked, qrels, k)
            out[f"mrr@{k}"] = m.mrr_at_k(ranked, qrels, k)
        return QueryScore(out)

    def evidence(self, query: BenchQuery) -> tuple[EvidenceItem, ...]:
        """Each relevant document."""
        return tuple(EvidenceItem("doc", d, d) for d in query.doc_ids)


class FinanceBenchTask(_BaseTask):
    """FinanceBench: evidence pages of the question's documents."""

    kind = "financebench"
    prefixes = ("page_recall", "page_coverage", "doc_recall")
    headline = ("page_recall", "doc_recall")
    micro = {"page_coverage": ("pages_found", "pages_total")}

    def __init__(self, dataset: FinanceBenchDataset) -> None:
        self.name = dataset.name
        self.queries = dataset.queries
        self._pages = {
            q.id: tuple(dict.fromkeys((e.doc_name, e.page) for e in q.evidence))
            for q in dataset.questions
        }

    def score(self, query: BenchQuery, hits: Sequence[Hit], ks: Sequence[int]) -> QueryScore:
        """Page recall, page coverage and document recall at each k."""
        pages = self._pages[query.id]
        out: dict[str, float] = {}
        counts = {"pages_total": len(pages)}
        for k in ks:
            covered = m.pages_covered(hits, pages, k)
            out[f"page_recall@{k}"] = 1.0 if covered else 0.0
            out[f"page_coverage@{k}"] = len(covered) / len(pages) if pages else 0.0
            out[f"doc_recall@{k}"] = m.doc_recall_at_k(hits, query.doc_ids, k)
            counts[f"pages_found@{k}"] = len(covered)
        return QueryScore(out, counts)

    def evidence(self, query: BenchQuery) -> tuple[EvidenceItem, ...]:
        """Each (document, page) evidence page."""
        return tuple(EvidenceItem("page", f"{d} p.{p}", d, p) for d, p in self._pages[query.id])


class SecQaTask(_BaseTask):
    """SEC QA: evidence quotes matched with the `norm` rule."""

    kind = "secqa"
    prefixes = ("evidence_recall", "question_recall", "doc_recall")
    headline = ("evidence_recall", "question_recall", "doc_recall")
    micro = {"evidence_recall": ("quotes_found", "quotes_total")}

    def __init__(self, dataset: SecQaDataset) -> None:
        self.name = dataset.name
        self.queries = dataset.queries
        self._quotes = {q.id: tuple(e.quote for e in q.evidence) for q in dataset.questions}
        self._docs = {q.id: q.doc for q in dataset.questions}

    def score(self, query: BenchQuery, hits: Sequence[Hit], ks: Sequence[int]) -> QueryScore:
        """Per-quote and per-question evidence recall, and document recall, at each k."""
        quotes = self._quotes[query.id]
        out: dict[str, float] = {}
        counts = {"quotes_total": len(quotes)}
        for k in ks:
            found = m.quotes_found(hits, quotes, k)
            n = sum(found)
            out[f"evidence_recall@{k}"] = n / len(quotes) if quotes else 0.0
            out[f"question_recall@{k}"] = 1.0 if quotes and all(found) else 0.0
            out[f"doc_recall@{k}"] = m.doc_recall_at_k(hits, query.doc_ids, k)
            counts[f"quotes_found@{k}"] = n
        return QueryScore(out, counts)

    def evidence(self, query: BenchQuery) -> tuple[EvidenceItem, ...]:
        """Each evidence quote."""
        doc = Path(self._docs[query.id]).stem
        return tuple(
            EvidenceItem("quote", q if len(q) <= 60 else q[:57] + "...", doc, None, m.norm(q))
            for q in self._quotes[query.id]
        )


def task_for(dataset: Dataset) -> Task:
    """The task that scores this dataset (what its `task()` gives)."""
    if not callable(getattr(dataset, "task", None)):
        raise ConfigError(
            f"unsupported dataset {type(dataset).__name__}: it has no task(); expected a "
            "dataset satisfying ragkit.bench.datasets.Dataset"
        )
    return dataset.task()
