"""Each escalation signal on small, explicit retrievals, and the decision built on them."""

from __future__ import annotations

from typing import Any

import pytest

from ragkit.agentic.question import analyze
from ragkit.cascade.signals import (
    SIGNALS,
    Signals,
    agreement,
    compute_signals,
    coverage,
    decide,
    figures,
    margin,
    open_links,
    routing_certainty,
    sections,
    statements,
)
from ragkit.errors import ConfigError
from ragkit.lexicon import Lexicon
from ragkit.types import Chunk, Hit, Trace

ACME = {"company": "Acme Widgets, Inc.", "ticker": "ACME"}


def _hit(
    cid: str,
    text: str,
    rank: int,
    score: float = 1.0,
    *,
    section_id: str = "",
    section_path: tuple[str, ...] = (),
    metadata: dict[str, Any] | None = None,
) -> Hit:
    chunk = Chunk(cid, "acme-10k", text, section_path, section_id,
                  metadata={**ACME, **(metadata or {})})  # fmt: skip
    return Hit(cid, score, rank, "fusion", chunk)


def _trace(runs: dict[str, list[str]], route: dict[str, object] | None = None) -> Trace:
    trace = Trace("q")
    if route is not None:
        trace.add("route", 0.1, 0, [], role="decision", **route)
    for name, ids in runs.items():
        hits = [Hit(c, 1.0 / r, r, name) for r, c in enumerate(ids, start=1)]
        trace.add(name, 1.0, 100, hits, role="retriever", depth=len(ids))
    return trace


def test_agreement_is_the_share_of_the_head_every_retriever_ranked_high() -> None:
    head = [_hit("a", "x", 1), _hit("b", "x", 2), _hit("c", "x", 3), _hit("d", "x", 4)]
    trace = _trace({"bm25": ["a", "b", "z", "c"], "dense": ["b", "y", "a", "d"]})
    assert agreement(trace, head, window=4) == pytest.approx(0.5)  # a and b in both
    assert agreement(trace, head, window=2) == pytest.approx(0.25)  # bm25 a,b; dense b,y
    assert agreement(trace, head[:2], window=3) == pytest.approx(1.0)
    assert agreement(_trace({"bm25": ["a"]}), head) is None  # one retriever: nothing to agree
    assert agreement(None, head) is None


def test_margin_is_the_relative_gap_across_the_head() -> None:
    assert margin([_hit("a", "x", 1, 2.0), _hit("b", "x", 2, 1.5)]) == pytest.approx(0.25)
    assert margin([_hit("a", "x", 1, 2.0), _hit("b", "x", 2, 2.0)]) == pytest.approx(0.0)
    assert margin([_hit("a", "x", 1, 2.0)]) is None


def test_routing_certainty_reads_the_route_entry() -> None:
    sure = {"mode": "filter", "confidence": 0.9, "fallback": None}
    assert routing_certainty(_trace({}, sure)) == pytest.approx(0.9)
    fell_back = {"mode": "boost", "confidence": 0.9, "fallback": "filter returned < 10 hits"}
    assert routing_certainty(_trace({}, fell_back)) == 0.0
    assert routing_certainty(_trace({}, {"mode": "none", "confidence": 0.0})) is None
    assert routing_certainty(_trace({})) is None  # no routing ran


def test_coverage_counts_stems_in_any_passage_and_in_the_best_one() -> None:
    texts = ["Operating lease expense rose.", "The weighted-average remaining term was 7 years."]
    cov = coverage(["leases", "remaining", "terms", "hangars"], texts)
    assert cov.union == pytest.approx(0.75) and cov.best == pytest.approx(0.5)
    assert cov.missing == ("hangars",)
    assert coverage([], texts).union is None


def test_figures_and_dates_the_question_names() -> None:
    q = analyze("Was the $4,318 million balance at December 31, 2024 above $5,000 million?")
    found, missing = figures(q, ["As of December 31, 2024 we held $4,318 million."])
    assert found == pytest.approx(2 / 3) and missing == ["5,000"]
    assert figures(analyze("What are the lease terms?"), ["x"]) == (None, [])


def test_sections_the_question_names_among_the_head_paths() -> None:
    q = analyze("What does Note 12 say about leases, and what does Item 7 add?")
    head = [_hit("a", "x", 1, section_path=("PART II", "ITEM 8", "Note 12 — Leases"))]
    value, missing = sections(q, head)
    assert value == pytest.approx(0.5) and missing == ["Item 7"]
    assert sections(analyze("What are the lease terms?"), head) == (None, [])


def test_statements_needed_and_found() -> None:
    lex = Lexicon.default()
    bs = _hit("a", "Total assets | 9,870", 1, metadata={"statement": "balance_sheet"})
    question = "What were total assets on the consolidated balance sheet?"
    assert statements(question, [bs], lex) == 1.0
    assert statements(question, [_hit("b", "prose", 1)], lex) == 0.0
    assert statements("Who audits the company?", [bs], lex) is None


def test_open_links_point_to_sections_nobody_retrieved() -> None:
    q = analyze("What are the maturities of operating lease liabilities?")
    ref = {"text": "Note 12", "label": "Note 12", "target": "note12"}
    mdna = _hit("a", "See Note 12 for the maturities of our operating lease liabilities.", 1,
                section_id="mdna", metadata={"references": [ref]})  # fmt: skip
    other = {"text": "Note 3", "label": "Note 3", "target": "note3"}
    aside = _hit("b", "Revenue is described in Note 3.", 2, section_id="mdna2",
                 metadata={"references": [other]})  # fmt: skip
    assert open_links(q, [mdna, aside], [mdna, aside]) == ["acme-10k#note12"]  # not Note 3
    note = _hit("c", "Maturities were $212 million.", 3, section_id="note12")
    assert open_links(q, [mdna], [mdna, note]) == []  # the target was retrieved
    named = analyze("What does Note 3 say?")
    assert open_links(named, [aside], [aside]) == ["acme-10k#note3"]  # named by the question


def test_compute_signals_on_a_retrieval_missing_the_referenced_note() -> None:
    ref = {"text": "Note 12", "label": "Note 12", "target": "note12"}
    hits = [
        _hit("a", "See Note 12 for the maturities of our operating lease liabilities.", 1, 3.0,
             section_id="mdna", section_path=("ITEM 7", "Contractual Obligations"),
             metadata={"references": [ref]}),
        _hit("b", "Our contractual obligations consist of debt and interest.", 2, 2.0,
             section_id="mdna"),
    ]  # fmt: skip
    trace = _trace({"bm25": ["a", "b"], "dense": ["b", "x"]}, {"mode": "filter",
                   "confidence": 1.0, "fallback": None})  # fmt: skip
    s = compute_signals("What are Acme's maturities of operating lease liabilities?", hits, trace)
    assert s.links == 0.0 and s.open_links == ("acme-10k#note12",)
    assert s.agreement == pytest.approx(0.5) and s.routing == 1.0
    assert s.term_coverage == 1.0  # "acme" names the company: not a term to cover
    assert s.figures is None and s.sections is None
    assert set(s.values()) <= set(SIGNALS)
    with pytest.raises(ConfigError):
        compute_signals("q", hits, head=0)


def test_decide_averages_the_applicable_signals() -> None:
    s = Signals(term_coverage=1.0, links=0.0, figures=None)
    d = decide(s, threshold=0.6)
    assert d.score == pytest.approx(0.5) and d.escalate
    assert not decide(s, threshold=0.5).escalate  # below, not at, the threshold escalates
    assert decide(s, 0.6, {"links": 0.0}).score == pytest.approx(1.0)  # weight 0 ignores it
    assert decide(s, 0.6, {"links": 3.0}).score == pytest.approx(0.25)
    assert decide(Signals(), 0.1).escalate  # nothing to go on: escalate
    assert not decide(Signals(term_coverage=0.0), 0.0).escalate  # threshold 0: never
    record = d.to_dict()
    assert record["signals"]["links"] == 0.0 and record["escalate"] is True
    with pytest.raises(ConfigError, match="unknown signal"):
        decide(s, 0.5, {"colour": 1.0})
    with pytest.raises(ConfigError):
        decide(s, 0.5, {"links": -1.0})
