"""Routing decisions: filters, year preferences, fallback, boosts and routed search."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from ragkit.errors import ConfigError
from ragkit.routing import RoutedRetriever
from ragkit.routing.entities import EntityCatalog, record_from_metadata
from ragkit.routing.router import Router, apply_boosts
from ragkit.types import Chunk, Hit


def test_company_becomes_a_doc_filter(catalog: EntityCatalog) -> None:
    d = Router(catalog).route("What was 3M's capital expenditure?")
    assert d.mode == "filter"
    assert d.filters == {"doc_id": ["mmm-10k-fy2018", "mmm-10k-fy2022"]}
    assert d.top_doc is None  # no period named: no preference between the two
    rec = d.to_record()
    assert rec["mode"] == "filter" and rec["analysis"]["companies"][0]["text"] == "3M"


def test_no_company_no_filter(catalog: EntityCatalog) -> None:
    d = Router(catalog).route("What is a typical risk profile for industrials?")
    assert d.mode == "none" and d.filters == {} and d.boosts == {}
    d = Router(catalog).route("What is a typical capex ratio for industrials?")
    assert d.filters == {} and d.boosts == {}  # only the statement capex implies
    assert d.mode == "boost" and d.statements == {"cash_flow_statement": 0.7}
    d = Router(catalog).route("Which company had the best margin in fiscal 2023?")
    assert d.filters == {} and d.mode == "boost"
    assert set(d.boosts) >= {"all-10k-fy2023", "on-10k-fy2023", "it-10k-fy2023"}


def test_fiscal_year_ending_in_another_calendar_year(catalog: EntityCatalog) -> None:
    r = Router(catalog)
    # NVIDIA's fiscal 2025 ends January 26, 2025
    assert r.route("NVIDIA's data center revenue in fiscal 2025").top_doc == "nvda-10k-fy2025"
    # calendar 2024 is mostly NVIDIA's fiscal 2025, but the FY2024 label wins
    d = r.route("NVIDIA's revenue in 2024")
    assert d.ranked_docs[:2] == ("nvda-10k-fy2024", "nvda-10k-fy2025")
    # NIKE's fiscal 2025 ends May 31, 2025
    assert r.route("NIKE's FY2025 gross margin").top_doc == "nke-10k-fy2025"
    d = r.route("NIKE's revenue for the fiscal year ended May 31, 2024")
    assert d.top_doc == "nke-10k-fy2024"
    # J&J's fiscal 2022 ended January 1, 2023 (fiscal year inferred from the period end)
    assert catalog.docs["jnj-10k-fy2022"].fiscal_year == 2022
    assert r.route("J&J inventory turnover in FY2022").top_doc == "jnj-10k-fy2022"


def test_next_years_filing_is_second_choice(catalog: EntityCatalog) -> None:
    d = Router(catalog).route("American Water Works capital spending in 2021")
    assert d.ranked_docs == ("awk-10k-fy2021", "awk-10k-fy2022")
    assert d.boosts["awk-10k-fy2021"] > d.boosts["awk-10k-fy2022"] > 0
    assert d.filters == {"doc_id": ["awk-10k-fy2021", "awk-10k-fy2022"]}  # a boost, not a filter


def test_a_fourth_quarter_release_reports_its_fiscal_year() -> None:
    """A Q4 earnings release carries the full-year results beside the quarter's: a question
    about the fiscal year ranks it with the annual report, a Q2 release well below them."""
    meta = {"company": "Amcor plc", "ticker": "AMCR", "fiscal_year": 2023}
    catalog = EntityCatalog([
        record_from_metadata("amcor-10k-fy2023", {**meta, "form_type": "10-K",
                                                  "fiscal_period": "FY"}),
        record_from_metadata("amcor-fy2023q4-release", {**meta, "form_type": "EARNINGS",
                                                        "fiscal_period": "Q4"}),
        record_from_metadata("amcor-fy2023q2-release", {**meta, "form_type": "EARNINGS",
                                                        "fiscal_period": "Q2"}),
    ])  # fmt: skip
    d = Router(catalog).route("What was Amcor's adjusted EBITDA for FY2023?")
    assert d.ranked_docs[:2] == ("amcor-10k-fy2023", "amcor-fy2023q4-release")
    annual, q4, q2 = (d.boosts[x] for x in d.ranked_docs)
    assert annual - q4 < 0.02 and q4 - q2 > 0.1
    # the release is still the quarter's own document for a question about the quarter
    d = Router(catalog).route("Amcor's sales in the fourth quarter of fiscal 2023")
    assert d.top_doc == "amcor-fy2023q4-release"


def test_form_and_exact_period_narrow_to_one_filing(catalog: EntityCatalog) -> None:
    r = Router(catalog)
    d = r.route("In Coca-Cola's 10-Q for the quarter ended June 27, 2025, what was revenue?")
    assert d.filters == {"doc_id": ["ko-10q-2025q2"]}
    d = r.route("Boeing's Q2 2025 10-Q: 737 deliveries")
    assert d.filters == {"doc_id": ["ba-10q-2025q2"]}
    assert catalog.docs["ba-10q-2025q2"].fiscal_period == "Q2"  # inferred from the period end
    d = Router(catalog, narrow=False).route("Boeing's Q2 2025 10-Q: 737 deliveries")
    assert d.filters == {"doc_id": ["ba-10k-fy2024", "ba-10q-2025q2"]}
    assert d.top_doc == "ba-10q-2025q2"


def _chunks(doc_id: str, n: int, **meta: Any) -> list[Chunk]:
    return [Chunk(id=f"{doc_id}-{i}", doc_id=doc_id, text=f"text {i}", metadata=meta)
            for i in range(n)]  # fmt: skip


def test_fallback_when_filter_leaves_too_few_chunks(catalog: EntityCatalog) -> None:
    chunks = _chunks(
        "mmm-10k-fy2022", 3, company="3M Company", form_type="10-K", period_end="2022-12-31"
    ) + _chunks("ko-10k-fy2024", 40, company="COCA COLA CO")
    cat = EntityCatalog.from_chunks(chunks)
    assert cat.docs["mmm-10k-fy2022"].n_chunks == 3
    d = Router(cat, min_chunks=10).route("3M's FY2022 capex")
    assert d.filters == {} and d.fallback and "too few" in d.fallback
    assert d.boosts == {"mmm-10k-fy2022": pytest.approx(0.3)}
    assert Router(cat, min_chunks=2).route("3M's FY2022 capex").filters


def test_bad_parameters() -> None:
    cat = EntityCatalog([])
    with pytest.raises(ConfigError, match="min_confidence"):
        Router(cat, min_confidence=1.5)
    with pytest.raises(ConfigError, match="boost"):
        Router(cat, boost=-1)


def _hit(cid: str, doc: str, score: float, rank: int) -> Hit:
    return Hit(cid, score, rank, "bm25", Chunk(id=cid, doc_id=doc, text=cid))


def test_apply_boosts_reranks_by_document() -> None:
    hits = [_hit("a", "d1", 10.0, 1), _hit("b", "d2", 9.0, 2), _hit("c", "d2", 5.0, 3)]
    out = apply_boosts(hits, {"d2": 0.3})
    # normalised: a=1.0, b=0.8+0.3=1.1, c=0.0+0.3=0.3
    assert [h.chunk_id for h in out] == ["b", "a", "c"]
    assert out[0].score == pytest.approx(1.1) and out[0].scores["route_in"] == 9.0
    assert [h.rank for h in out] == [1, 2, 3]
    assert apply_boosts(hits, {}) == hits


class _OverlapSearch:
    """A tiny word-overlap retriever honouring the doc_id filter (stands in for an index)."""

    def __init__(self, chunks: list[Chunk]) -> None:
        self.chunks = chunks
        self.calls: list[Mapping[str, Any] | None] = []

    def search(self, queries: list[str], k: int, filters: Mapping | None = None) -> list[list[Hit]]:
        self.calls.append(filters)
        out = []
        for q in queries:
            words = set(q.lower().split())
            pool = [c for c in self.chunks
                    if not filters or c.doc_id in filters["doc_id"]]  # fmt: skip
            scored = sorted(
                ((len(words & set(c.text.lower().split())), c) for c in pool),
                key=lambda x: (-x[0], x[1].id),
            )[:k]
            out.append([Hit(c.id, float(s), i, "overlap", c)
                        for i, (s, c) in enumerate(scored, 1)])  # fmt: skip
        return out


def test_routed_retriever_filters_then_falls_back(catalog: EntityCatalog) -> None:
    chunks = [
        Chunk(id="ko1", doc_id="ko-10k-fy2024", text="unit case volume grew 2 percent"),
        Chunk(id="ko2", doc_id="ko-10q-2025q2", text="unit case volume grew 1 percent"),
        Chunk(id="v1", doc_id="v-10k-fy2024", text="unit case volume payments volume grew"),
    ]
    s = _OverlapSearch(chunks)
    router = Router(catalog)
    routed = RoutedRetriever(s, router, min_hits=1)
    hits = routed.search(["Coca-Cola unit case volume in FY2024"], 2)
    decisions = routed.last_decisions
    assert [h.chunk_id for h in hits[0]] == ["ko1", "ko2"]
    assert decisions[0].mode == "filter" and s.calls[0] == decisions[0].filters
    # a filter that returns fewer than min_hits (default: k) falls back to the unfiltered search
    routed = RoutedRetriever(s, router)
    hits = routed.search(["Allstate unit case volume"], 2)
    assert routed.last_decisions[0].fallback and routed.last_decisions[0].filters == {}
    assert len(hits[0]) == 2 and s.calls[-1] is None
    # the caller's own filters are kept inside the routed scope
    routed.search(["Coca-Cola unit case volume in FY2024"], 1, filters={"kind": "prose"})
    assert s.calls[-1] == {"kind": "prose", **routed.last_decisions[0].filters}


def test_a_needed_statement_is_boosted_and_its_filing_named(catalog: EntityCatalog) -> None:
    d = Router(catalog).route(
        "What is the year end FY2022 net PPNE for 3M? Answer using the balance sheet."
    )
    assert d.mode == "filter" and d.statements == {"balance_sheet": 1.0}
    assert d.statement_docs == ("mmm-10k-fy2022",)  # the filing of the named year
    assert d.to_record()["statements"] == {"balance_sheet": 1.0}
    # no period named: the company's two filings tie, so none is opened for its statement
    assert Router(catalog).route("3M's balance sheet inventories").statement_docs == ()
    # no company: statements still boost, across the whole index
    d = Router(catalog).route("Which balance sheet item matters most for a retailer?")
    assert d.mode == "boost" and d.filters == {} and d.statement_docs == ()
    assert d.statements == {"balance_sheet": 1.0} and d.reranks
    off = Router(catalog, statement_boost=0.0).route("3M's FY2022 balance sheet")
    assert off.statements == {} and off.statement_docs == ()


def test_apply_boosts_adds_the_statement_boost() -> None:
    def hit(cid: str, doc: str, score: float, rank: int, statement: str | None) -> Hit:
        meta = {"statement": statement} if statement else {}
        return Hit(cid, score, rank, "rrf", Chunk(cid, doc, cid, metadata=meta))

    hits = [
        hit("mdna", "d1", 10.0, 1, None),
        hit("note", "d1", 8.0, 2, None),
        hit("bs", "d1", 5.0, 3, "balance_sheet"),
        hit("cf", "d1", 0.0, 4, "cash_flow_statement"),
    ]
    out = apply_boosts(hits, {}, statements={"balance_sheet": 1.0})
    # normalised: mdna 1.0, note 0.6, bs 0.5 + 1.0, cf 0.0
    assert [h.chunk_id for h in out] == ["bs", "mdna", "note", "cf"]
    assert out[0].score == pytest.approx(1.5)


def test_routed_retriever_adds_the_needed_statement(catalog: EntityCatalog) -> None:
    """Given the retriever's chunks, the preferred filing's statement joins even when the
    retriever returned none of its words."""
    chunks = [
        Chunk(id="ko1", doc_id="ko-10k-fy2024", text="unit case volume grew 2 percent"),
        Chunk(
            id="ko2",
            doc_id="ko-10k-fy2024",
            text="Total assets 100,549 Total equity 26,908",
            metadata={"statement": "balance_sheet"},
        ),  # fmt: skip
        Chunk(id="ko3", doc_id="ko-10q-2025q2", text="unit case volume grew 1 percent"),
    ]
    question = ["Coca-Cola FY2024 balance sheet: how did unit case volume grow?"]
    s = _OverlapSearch([c for c in chunks if c.id != "ko2"])  # the statement is never retrieved
    routed = RoutedRetriever(s, Router(catalog), min_hits=1, chunks=chunks)
    hits = routed.search(question, 2)
    assert routed.last_decisions[0].statement_docs == ("ko-10k-fy2024",)
    top = hits[0][0]  # joined at the retrieved hits' floor score; its boost lifted it
    assert top.chunk_id == "ko2" and top.scores["route_in"] == min(
        h.scores["route_in"] for h in hits[0]
    )
    plain = RoutedRetriever(s, Router(catalog), min_hits=1, chunks=[]).search(question, 2)
    assert "ko2" not in {h.chunk_id for h in plain[0]}
