"""Turn a question's analysis into retrieval routing: hard filters, soft boosts, a fallback.

A company named with certainty becomes a hard `{"doc_id": [...]}` filter over that company's
documents (the filter shape every retriever accepts); the question's period and form become
per-document boosts, so the filing whose fiscal period covers the named year ranks first and
the next year's filing, which reports it as the prior period, second. When the question also
names the form and an exact period that one filing matches, the filter narrows to it. A filter
whose documents hold too few chunks falls back to a wider one, and then to none.

A question that needs a financial statement ("...shown in the balance sheet", "net PP&E")
boosts the chunks of that statement (`Chunk.metadata["statement"]`), and names the preferred
filing whose statement chunks a pipeline adds to the candidates (`statement_docs`): the
statement is read off the right filing even when neither retriever ranked its page.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Literal

from ragkit.errors import ConfigError
from ragkit.fusion.normalize import min_max
from ragkit.lexicon import Lexicon
from ragkit.routing.entities import DocRecord, EntityCatalog
from ragkit.routing.query_analyzer import PeriodMention, QueryAnalysis, QueryAnalyzer
from ragkit.types import Chunk, Hit

logger = logging.getLogger(__name__)

RoutingMode = Literal["none", "boost", "filter"]
#: The `Router` constructor parameters a config can set (see `Router.params`).
ROUTER_PARAMS: tuple[str, ...] = ("min_confidence", "boost", "narrow", "min_chunks",
                                  "statement_boost")  # fmt: skip
SearchFn = Callable[..., list[list[Hit]]]


@dataclass(frozen=True, slots=True)
class RoutingDecision:
    """How to search for one question: a filter (maybe empty), boosts per doc_id, and why.

    `ranked_docs` lists the in-scope documents by preference (best first) when the question
    names a period or form; `fallback` says which wider scope was used and why, if any.
    """

    query: str
    mode: RoutingMode
    filters: dict[str, Any]
    boosts: dict[str, float]
    confidence: float
    reason: str
    analysis: QueryAnalysis
    ranked_docs: tuple[str, ...] = ()
    entity_ids: tuple[str, ...] = ()
    fallback: str | None = None
    statements: dict[str, float] = field(default_factory=dict)
    statement_docs: tuple[str, ...] = ()
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def reranks(self) -> bool:
        """Whether the decision changes the order of hits (document or statement boosts)."""
        return bool(self.boosts or self.statements)

    @property
    def top_doc(self) -> str | None:
        """The most preferred document, or None when nothing singles one out."""
        return self.ranked_docs[0] if self.ranked_docs else None

    def without_filter(self, why: str) -> RoutingDecision:
        """The same decision with its filter dropped (boosts kept): the fallback."""
        return replace(self, mode="boost" if self.reranks else "none", filters={},
                       fallback=why)  # fmt: skip

    def to_record(self) -> dict[str, Any]:
        """A JSON-safe record for `Trace.add(..., **record)`."""
        return {
            "mode": self.mode,
            "filters": {
                k: list(v) if isinstance(v, list | tuple) else v for k, v in self.filters.items()
            },  # fmt: skip
            "boosts": dict(self.boosts),
            "confidence": self.confidence,
            "reason": self.reason,
            "ranked_docs": list(self.ranked_docs[:10]),
            "entities": list(self.entity_ids),
            "fallback": self.fallback,
            "statements": dict(self.statements),
            "statement_docs": list(self.statement_docs),
            "analysis": self.analysis.to_dict(),
        }


def _annual(rec: DocRecord) -> bool:
    return (rec.form_type or "").upper().startswith("10-K") or rec.fiscal_period == "FY"


def _reports_full_year(rec: DocRecord) -> bool:
    """A fourth-quarter earnings release: it reports the whole fiscal year beside the quarter."""
    return (rec.form_type or "").upper() == "EARNINGS" and rec.fiscal_period == "Q4"


def period_score(rec: DocRecord, p: PeriodMention) -> float:
    """How well a document's period matches a period the question names (0..1).

    1 = the document's own period; 0.8 = its period covers that calendar year/quarter; 0.5 =
    the following year's annual report, which reports it as the prior period.
    """
    end = rec.period_end_date
    annual = _annual(rec)
    if p.kind == "date" and p.date:
        d = date.fromisoformat(p.date)
        if end is not None:
            if end == d:
                return 1.0
            span = timedelta(days=366 if annual else 93)
            if end - span < d <= end:
                return 0.7
            if annual and abs((end - timedelta(days=365) - d).days) <= 10:
                return 0.5
        if rec.fiscal_year == d.year and end is None:
            return 0.6
        return 0.0
    if p.kind == "quarter" and p.quarter:
        if rec.fiscal_year == p.year and rec.fiscal_period == f"Q{p.quarter}":
            return 1.0
        if (not annual and end is not None and end.year == p.year
                and (end.month - 1) // 3 + 1 == p.quarter):  # fmt: skip
            return 0.8
        if annual and rec.fiscal_year == p.year:
            return 0.7 if p.quarter == 4 else 0.3
        if rec.fiscal_year == p.year:
            return 0.3
        return 0.0
    # a year: "FY2022" / "fiscal 2022" (the company's label) or "in 2022" (calendar)
    if rec.fiscal_year == p.year:
        return 1.0 if annual or _reports_full_year(rec) else 0.6
    if not p.fiscal and end is not None and annual:
        start = end - timedelta(days=364)
        overlap = (min(end, date(p.year, 12, 31)) - max(start, date(p.year, 1, 1))).days
        if overlap >= 182:
            return 0.8
    if annual and rec.fiscal_year == p.year + 1:
        return 0.5
    if p.fiscal and end is not None and end.year == p.year and end.month <= 2:
        return 0.6  # a year ending in January/February, labelled by the year it ends in
    if annual and rec.fiscal_year == p.year - 1:
        return 0.3  # last year's report, which holds the outlook for this year
    return 0.0


def preference(rec: DocRecord, analysis: QueryAnalysis) -> float:
    """A document's fit to the question's periods (latest year weighs most) and forms."""
    score = 0.0
    if analysis.periods:
        latest = max(p.year for p in analysis.periods)
        score = max(
            period_score(rec, p) * (1.0 if p.year == latest else 0.8) for p in analysis.periods
        )
    form = (rec.form_type or "").upper()
    if analysis.form_types:
        if any(form.startswith(f) for f in analysis.form_types):
            score += 0.5
    elif score > 0 and form.startswith("10-K"):
        score += 0.05  # unnamed form: the annual report is the fuller source
    return score


class Router:
    """Routes questions over the documents of a catalog (see the module docstring).

    Args:
        catalog: the companies and documents of the index.
        min_confidence: company mentions at least this sure become a hard filter; weaker
            ones only boost their company's documents.
        boost: the boost of the best-matching document (scores are min-max normalised to
            0..1 before boosting, see `apply_boosts`).
        narrow: filter to the one filing that matches a named form and exact period.
        min_chunks: fall back to a wider scope when the filter's documents hold fewer chunks
            than this (only when the catalog knows chunk counts, i.e. built from chunks).
        statement_boost: the boost of chunks of a statement the question names (one a metric
            implies gets `statement_intent.IMPLIED` of it); 0 turns statement routing off.
    """

    def __init__(
        self,
        catalog: EntityCatalog,
        *,
        min_confidence: float = 0.8,
        boost: float = 0.3,
        narrow: bool = True,
        min_chunks: int = 10,
        statement_boost: float = 1.0,
        lexicon: Lexicon | None = None,
    ) -> None:
        """`lexicon`: the finance word lists the query analyzer reads (default: the catalog's,
        `Lexicon.default()` unless the catalog was built with another)."""
        if not 0.0 <= min_confidence <= 1.0:
            raise ConfigError(f"min_confidence must be in [0, 1]; got {min_confidence}")
        if boost < 0:
            raise ConfigError(f"boost must be >= 0; got {boost}")
        if min_chunks < 0:
            raise ConfigError(f"min_chunks must be >= 0; got {min_chunks}")
        if statement_boost < 0:
            raise ConfigError(f"statement_boost must be >= 0; got {statement_boost}")
        self.catalog = catalog
        self.analyzer = QueryAnalyzer(catalog, lexicon=lexicon)
        self.lexicon = self.analyzer.lexicon
        self.min_confidence = min_confidence
        self.boost = boost
        self.narrow = narrow
        self.min_chunks = min_chunks
        self.statement_boost = statement_boost

    @classmethod
    def from_chunks(
        cls,
        chunks: Any,
        metadata_file: str | os.PathLike[str] | None = None,
        *,
        lexicon: Lexicon | None = None,
        **params: Any,
    ) -> Router:
        """A router over the documents of `chunks` (Chunks or `{"doc_id", "metadata"}` dicts,
        see `EntityCatalog.from_chunks`), their metadata supplemented by `metadata_file`;
        `lexicon` serves both the catalog (names, nicknames) and the query analyzer."""
        from ragkit.routing.metadata_file import load_metadata_file

        extra = load_metadata_file(Path(metadata_file)) if metadata_file else None
        catalog = EntityCatalog.from_chunks(chunks, extra, lexicon=lexicon)
        return cls(catalog, lexicon=lexicon, **params)

    def params(self) -> dict[str, Any]:
        """The parameters this router was built with (JSON-safe; the catalog aside)."""
        return {name: getattr(self, name) for name in ROUTER_PARAMS}

    def route(self, query: str) -> RoutingDecision:
        """The routing decision for one question."""
        decision = self._route_documents(query)
        if not self.statement_boost or not decision.analysis.statements:
            return decision
        statements: dict[str, float] = {
            s.kind: round(self.statement_boost * s.weight, 4) for s in decision.analysis.statements
        }
        docs: tuple[str, ...] = ()
        if decision.mode == "filter":
            in_scope = decision.filters["doc_id"]
            docs = decision.ranked_docs[:1] or (tuple(in_scope) if len(in_scope) == 1 else ())
        mode = decision.mode if decision.mode != "none" else "boost"
        reason = decision.reason + "; statements: " + ", ".join(statements)
        return replace(decision, mode=mode, statements=statements, statement_docs=docs,
                       reason=reason)  # fmt: skip

    def _route_documents(self, query: str) -> RoutingDecision:
        """The company, period and form part of `route`."""
        analysis = self.analyzer.analyze(query)
        sure: dict[str, float] = {}
        unsure: dict[str, float] = {}
        for c in analysis.companies:
            target = sure if c.confidence >= self.min_confidence else unsure
            target[c.entity_id] = max(target.get(c.entity_id, 0.0), c.confidence)
        unsure = {e: v for e, v in unsure.items() if e not in sure}
        if sure:
            scope = [d for e in sure for d in self.catalog.entity(e).doc_ids]
        else:
            scope = list(self.catalog.docs)
        prefs = {d: preference(self.catalog.docs[d], analysis) for d in scope}
        top = max(prefs.values(), default=0.0)
        ranked = tuple(sorted((d for d in scope if prefs[d] > 0), key=lambda d: (-prefs[d], d)))
        boosts = {d: round(self.boost * prefs[d] / top, 4) for d in ranked} if top > 0 else {}
        for e in unsure:
            for d in self.catalog.entity(e).doc_ids:
                boosts[d] = max(boosts.get(d, 0.0), round(self.boost * 0.5, 4))
        if not sure:
            if not unsure and not (analysis.periods or analysis.form_types):
                why = "no company, period or form named"
                return RoutingDecision(query, "none", {}, {}, 0.0, why, analysis)
            reason = "no company named with certainty: boosts only"
            # no company: period/form boosts alone are weak evidence, halve them
            if not unsure:
                boosts = {d: round(b * 0.5, 4) for d, b in boosts.items()}
            return RoutingDecision(query, "boost" if boosts else "none", {}, boosts, 0.5, reason,
                                   analysis, ranked, tuple(unsure))  # fmt: skip
        entity_ids = tuple(sure)
        conf = min(sure.values())
        doc_filter = sorted(scope)
        reason = "company: " + ", ".join(self.catalog.entity(e).name for e in entity_ids)
        fallback = None
        if self.narrow and analysis.form_types and analysis.periods:
            exact = [d for d in ranked if self._exact(self.catalog.docs[d], analysis)]
            if exact and len(exact) <= len(entity_ids):
                if self._enough(exact):
                    doc_filter, reason = exact, reason + "; form and period: " + ", ".join(exact)
                    conf = min(conf, 0.95)
                else:
                    fallback = "narrowed filing has too few chunks; company filter kept"
        decision = RoutingDecision(query, "filter", {"doc_id": doc_filter}, boosts, conf, reason,
                                   analysis, ranked, entity_ids, fallback)  # fmt: skip
        if not self._enough(doc_filter):
            return decision.without_filter("company documents have too few chunks")
        return decision

    def route_many(self, queries: Sequence[str]) -> list[RoutingDecision]:
        """Decisions for a batch of questions."""
        return [self.route(q) for q in queries]

    @staticmethod
    def _exact(rec: DocRecord, analysis: QueryAnalysis) -> bool:
        """The named form and one named period are this document's own."""
        form = (rec.form_type or "").upper()
        return any(form.startswith(f) for f in analysis.form_types) and any(
            period_score(rec, p) >= 1.0 for p in analysis.periods
        )

    def _enough(self, doc_ids: Sequence[str]) -> bool:
        counts = [self.catalog.docs[d].n_chunks for d in doc_ids if d in self.catalog.docs]
        if not counts or not any(counts):
            return True  # chunk counts unknown: trust the filter; search-time fallback applies
        return sum(counts) >= self.min_chunks


def apply_boosts(
    hits: Sequence[Hit],
    boosts: dict[str, float],
    source: str = "route",
    statements: dict[str, float] | None = None,
) -> list[Hit]:
    """Re-rank hits by min-max-normalised score plus their document's boost and, with
    `statements` (statement -> boost), the boost of the financial statement they belong to.

    The previous score is kept in `Hit.scores[source + "_in"]`; ties break by chunk id. Hits
    need their `chunk` (for its doc_id) to be boosted; hits without one keep their score.
    """
    if not hits or not (boosts or statements):
        return list(hits)
    statements = statements or {}
    scored = []
    for base, h in zip(min_max([h.score for h in hits]), hits, strict=True):
        if h.chunk is not None:
            base += boosts.get(h.chunk.doc_id, 0.0)
            base += statements.get(h.chunk.metadata.get("statement", ""), 0.0)
        scored.append((base, h))
    scored.sort(key=lambda x: (-x[0], x[1].chunk_id))
    return [
        replace(h, score=s, rank=i, source=source, scores={**h.scores, source + "_in": h.score})
        for i, (s, h) in enumerate(scored, 1)
    ]


class StatementLookup:
    """The chunks of each (document, statement) of a corpus, to add a needed statement of the
    preferred filing that retrieval missed (see `RoutingDecision.statement_docs`)."""

    def __init__(self, chunks: Iterable[Chunk]) -> None:
        self.table: dict[tuple[str, str], list[Chunk]] = {}
        for chunk in chunks:
            if statement := chunk.metadata.get("statement"):
                self.table.setdefault((chunk.doc_id, statement), []).append(chunk)

    def missing(self, decision: RoutingDecision, hits: Sequence[Hit]) -> list[Hit]:
        """The needed statements' chunks of the decision's filings absent from `hits`, scored
        at the hits' floor, so that only their statement boost lifts them."""
        if not decision.statements or not decision.statement_docs:
            return []
        present = {h.chunk_id for h in hits}
        floor = min((h.score for h in hits), default=0.0)
        return [
            Hit(chunk.id, floor, 0, "statement", chunk)
            for doc in decision.statement_docs
            for kind in decision.statements
            for chunk in self.table.get((doc, kind), [])
            if chunk.id not in present
        ]


def apply_routing(
    hits: Sequence[Hit], decision: RoutingDecision, lookup: StatementLookup | None = None
) -> tuple[list[Hit], list[Hit]]:
    """Re-rank hits by the decision's document and statement boosts, after adding the missing
    statement chunks `lookup` finds; returns (hits, the added ones)."""
    added = lookup.missing(decision, hits) if lookup is not None else []
    return apply_boosts([*hits, *added], decision.boosts, statements=decision.statements), added
