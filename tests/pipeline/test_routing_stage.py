"""The pipeline's routing stage on the example filings: a named company filters both
retrievers, period and form boost the matching filing, and a too-narrow filter falls back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ragkit.bench.attribution import attribute
from ragkit.chunkers import get_chunker
from ragkit.errors import ConfigError
from ragkit.indexes import BM25Index
from ragkit.parsers import load
from ragkit.pipeline import HybridPipeline

FILINGS = Path(__file__).resolve().parents[2] / "examples" / "filings"


@pytest.fixture(scope="module")
def index() -> BM25Index:
    chunker = get_chunker("hierarchical")
    bm25 = BM25Index()
    bm25.add([c for doc in load([FILINGS]) for c in chunker.chunk(doc)])
    return bm25


def _pipe(index: Any, **routing: Any) -> HybridPipeline:
    config = {"k": 5, "retrieval": {"mode": "bm25"}, "routing": {"enabled": True, **routing}}
    return HybridPipeline.from_index(index, config)


def test_company_in_question_filters_and_is_traced(index: BM25Index) -> None:
    question = "What were Globex Corporation's risk factors?"
    off = {"k": 5, "retrieval": {"mode": "bm25"}, "routing": {"enabled": False}}
    plain = HybridPipeline.from_index(index, off).retrieve(question)
    assert plain.trace.stage("route") is None
    assert {h.chunk.doc_id for h in plain.hits} != {"globex-10k-fy2023"}  # unrouted: mixed
    hits, trace = _pipe(index).retrieve(question)
    assert {h.chunk.doc_id for h in hits} == {"globex-10k-fy2023"}
    route = trace.stages[0]
    assert route.stage == "route" and route.hits_out == ()
    assert route.info["mode"] == "filter" and route.info["filters"]["doc_id"] == [
        "globex-10k-fy2023"
    ]


def test_period_and_form_pick_the_filing(index: BM25Index) -> None:
    hits, trace = _pipe(index).retrieve("Acme Widgets liquidity in its 10-Q for Q2 2024")
    assert hits and {h.chunk.doc_id for h in hits} == {"acme-10q-2024q2"}
    assert trace.stage("route").info["filters"]["doc_id"] == ["acme-10q-2024q2"]


def test_boosts_are_a_stage_attribution_can_blame(index: BM25Index) -> None:
    hits, trace = _pipe(index, narrow=False).retrieve("Acme Widgets revenue in fiscal 2024")
    routing = trace.stage("routing")
    assert routing is not None and routing.info["boosts"] >= 1
    assert hits[0].chunk.doc_id == "acme-10k-fy2024" and hits[0].source == "route"
    dropped = trace.stage("bm25").hits_out[-1][0]  # in the candidates, not in the output
    if dropped not in {h.chunk_id for h in hits}:
        assert attribute(trace, lambda cid: cid == dropped, final_k=5).stage == "routing"


def test_too_narrow_filter_falls_back_to_the_whole_index(index: BM25Index) -> None:
    hits, trace = _pipe(index, min_hits=500).retrieve("What were Globex Corporation's risks?")
    info = trace.stage("route").info
    assert info["mode"] != "filter" and not info["filters"]
    assert len({h.chunk.doc_id for h in hits}) >= 1 and len(hits) == 5
    user = _pipe(index).retrieve("Globex risks", filters={"doc_id": "acme-10k-fy2024"})
    assert {h.chunk.doc_id for h in user.hits} == {"acme-10k-fy2024"}  # user filter wins


def test_auto_routing_needs_two_companies(index: BM25Index) -> None:
    auto = {"k": 3, "retrieval": {"mode": "bm25"}}  # routing.enabled defaults to "auto"
    assert (
        HybridPipeline.from_index(index, auto).retrieve("Globex risks").trace.stage("route")
        is not None
    )
    acme = BM25Index()
    acme.add([c for c in index.chunks if c.doc_id.startswith("acme")])
    one = HybridPipeline.from_index(acme, auto).retrieve("Acme Widgets risks")
    assert one.trace.stage("route") is None  # one company: nothing to route between


def test_routing_config_is_validated() -> None:
    with pytest.raises(ConfigError, match="routing.min_confidence"):
        HybridPipeline.from_index(None, {"routing": {"enabled": True, "min_confidence": 2}})
    with pytest.raises(ConfigError, match="unknown key"):
        HybridPipeline.from_index(None, {"routing": {"enable": True}})


def test_a_needed_statement_is_read_off_the_preferred_filing(index: BM25Index) -> None:
    """The P&L names no word of the statement's table, yet its chunks come first."""
    question = "Looking at Acme Widgets' P&L, how did fiscal 2024 go?"
    hits, trace = _pipe(index, narrow=False).retrieve(question)
    routing = trace.stage("routing")
    assert routing is not None and routing.info["statements"] == ["income_statement"]
    assert trace.stage("route").info["statement_docs"] == ["acme-10k-fy2024"]
    top = hits[0].chunk
    assert top.doc_id == "acme-10k-fy2024" and top.metadata["statement"] == "income_statement"
    # switched off, the statement does not lead
    plain, _ = _pipe(index, narrow=False, statement_boost=0.0).retrieve(question)
    assert plain[0].chunk.metadata.get("statement") != "income_statement"


def test_statement_chunks_missing_from_the_candidates_are_added(index: BM25Index) -> None:
    """A filing's statement chunks that neither retriever returned join at the floor score."""
    from ragkit.routing import Router, StatementLookup

    router = Router.from_chunks(index.chunks, narrow=False)
    decision = router.route("Acme Widgets fiscal 2024 income statement")
    statement = [c for c in index.chunks if c.doc_id == "acme-10k-fy2024"
                 and c.metadata.get("statement") == "income_statement"]  # fmt: skip
    assert statement
    lookup = StatementLookup(index.chunks)
    added = lookup.missing(decision, [])
    assert {h.chunk_id for h in added} == {c.id for c in statement}
    assert all(h.source == "statement" and h.score == 0.0 for h in added)
    assert lookup.missing(decision, added) == []  # present already: nothing added


def test_a_custom_lexicon_file_in_the_config_reaches_the_router(
    index: BM25Index, tmp_path: Path
) -> None:
    """`lexicon: PATH` in the config: the pipeline's router reads a user's nicknames."""
    path = tmp_path / "my-finance.yaml"
    path.write_text("version: 1\ncompanies:\n  aliases:\n    Globex Corporation: [Big G]\n")
    question = "What did Big G say about its risks?"
    plain = _pipe(index).retrieve(question).trace.stage("route")
    assert plain is not None and not plain.info["filters"]
    config = {"k": 5, "retrieval": {"mode": "bm25"}, "routing": {"enabled": True},
              "lexicon": str(path)}  # fmt: skip
    hits, trace = HybridPipeline.from_index(index, config).retrieve(question)
    assert trace.stage("route").info["filters"]["doc_id"] == ["globex-10k-fy2023"]
    assert {h.chunk.doc_id for h in hits} == {"globex-10k-fy2023"}


def test_auto_routing_ignores_documents_without_a_company() -> None:
    """A BEIR-like corpus (no company names, tickers or CIKs) is not routed by "auto"."""
    from ragkit.types import Chunk

    papers = BM25Index()
    papers.add([Chunk(id=f"p{i}", doc_id=f"p{i}", text=f"protein folding study {i}")
                for i in range(5)])  # fmt: skip
    hits, trace = HybridPipeline.from_index(papers, {"retrieval": {"mode": "bm25"}}).retrieve(
        "protein folding"
    )
    assert trace.stage("route") is None and hits


def test_a_reranker_can_keep_the_statement_routing_decided(index: BM25Index) -> None:
    """A reranker reads one passage at a time and cannot know that the question needs the
    income statement: its order alone drops the statement chunks routing lifted, while
    `keep_routing` adds the same boosts to its scores (and the trace says so)."""
    from ragkit.rerankers.base import rescored

    class Reverser:  # the worst reranker for this question: the routed order, reversed
        def rerank(self, query: str, hits: Any, k: int | None = None) -> list[Any]:
            return rescored(hits, [float(h.rank) for h in hits], "reverse", k or len(hits))

    question = "Looking at Acme Widgets' P&L, how did fiscal 2024 go?"
    tops = {}
    for keep in (False, True):
        config = {"k": 5, "retrieval": {"mode": "bm25"}, "routing": {"enabled": True,
                  "narrow": False}, "reranker": {"spec": "none", "depth": 30,
                  "keep_routing": keep}}  # fmt: skip
        pipe = HybridPipeline.from_index(index, config, reranker=Reverser())
        hits, trace = pipe.retrieve(question)
        assert trace.stage("routing").info["statements"] == ["income_statement"]
        assert trace.stage("rerank").info.get("routing_kept", False) is keep
        tops[keep] = [h.chunk.metadata.get("statement") for h in hits]
        assert pipe.config.reranker is not None and pipe.config.reranker.keep_routing is keep
        if keep:  # among hits with equal boosts the reranker's order stands
            same = [h.scores["reverse"] for h in hits if not h.chunk.metadata.get("statement")
                    and h.chunk.doc_id == "acme-10k-fy2024"]  # fmt: skip
            assert len(same) >= 2 and same == sorted(same, reverse=True)
    assert tops[False][0] != "income_statement"
    assert tops[True][0] == "income_statement"
    off = {"k": 5, "retrieval": {"mode": "bm25"}, "routing": {"enabled": False},
           "reranker": {"spec": "none", "keep_routing": True}}  # fmt: skip
    unrouted = HybridPipeline.from_index(index, off, reranker=Reverser()).retrieve(question)
    assert unrouted.trace.stage("rerank").info.get("routing_kept") is None  # nothing to keep
