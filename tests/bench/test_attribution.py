"""Cascading-failure attribution on constructed traces: one case per stage."""

from __future__ import annotations

from ragkit.bench.attribution import Attribution, attribute, count_stages, sort_stage_labels
from ragkit.types import Hit, Trace

GOLD = "c-note16"  # the chunk holding the evidence


def contains(chunk_id: str) -> bool:
    return chunk_id == GOLD


def _hits(ids: list[str], source: str) -> list[Hit]:
    return [Hit(cid, 1.0 / r, r, source) for r, cid in enumerate(ids, start=1)]


def _trace(**stages: list[str]) -> Trace:
    trace = Trace("What is the remaining carrying value of the trademark?")
    trace.add("route", 0.1, 0, [], decision="none")  # carries no candidates: ignored
    for name, ids in stages.items():
        trace.add(name, 1.0, 0, _hits(ids, name), depth=4)
    return trace


def test_chunking() -> None:
    trace = _trace(bm25=[GOLD, "a"], dense=["b"], fusion=[GOLD])
    assert attribute(trace, contains, in_corpus=False) == Attribution("chunking")


def test_lost_by_both_retrievers() -> None:
    verdict = attribute(_trace(bm25=["a", "b"], dense=["c", "d"], fusion=["a", "c"]), contains)
    assert verdict.stage == "sparse+dense@4" and verdict.found_by == ()


def test_lost_by_the_only_retriever() -> None:
    assert attribute(_trace(bm25=["a", "b"]), contains).stage == "sparse@4"
    assert attribute(_trace(dense=["a", "b"], rerank=["a"]), contains).stage == "dense@4"


def test_one_retriever_missing_is_not_a_retrieval_loss() -> None:
    verdict = attribute(_trace(bm25=["a", "b"], dense=["c", GOLD], fusion=["a", GOLD]), contains)
    assert verdict.stage == "kept"
    assert verdict.found_by == ("dense",)  # which retriever found it is recorded
    assert verdict.ranks == {"dense": 2, "fusion": 2}


def test_fusion() -> None:
    verdict = attribute(
        _trace(bm25=["a", GOLD], dense=["c", "d"], fusion=["a", "c", "d"], rerank=["a"]),
        contains,
    )
    assert verdict.stage == "fusion" and verdict.found_by == ("sparse",)
    assert verdict.ranks == {"bm25": 2}


def test_reranking() -> None:
    verdict = attribute(
        _trace(bm25=[GOLD], dense=[GOLD], fusion=[GOLD, "a"], rerank=["a", "b"]), contains
    )
    assert verdict.stage == "reranking" and verdict.found_by == ("sparse", "dense")


def test_final_cut_applies_to_the_last_stage() -> None:
    trace = _trace(bm25=[GOLD], dense=["x"], fusion=["x", GOLD], rerank=["a", "b", "c", GOLD])
    assert attribute(trace, contains).stage == "kept"
    assert attribute(trace, contains, final_k=3).stage == "reranking"
    assert attribute(trace, contains, final_k=4).stage == "kept"


def test_expansion_can_restore_what_fusion_cut() -> None:
    trace = _trace(bm25=[GOLD], dense=["x"], fusion=["x"], expand=["x", GOLD], rerank=[GOLD])
    assert attribute(trace, contains).stage == "kept"
    cut_again = _trace(bm25=[GOLD], dense=["x"], fusion=["x"], expand=["x", GOLD], rerank=["x"])
    assert attribute(cut_again, contains).stage == "reranking"


def test_trace_without_retrieval_stages_is_judged_on_its_last_stage() -> None:
    agent = Trace("q")
    agent.add("agent", 5.0, 0, _hits(["a", GOLD], "agent"))
    assert attribute(agent, contains).stage == "kept"
    agent.add("agent", 5.0, 0, _hits(["a"], "agent"))
    assert attribute(agent, contains).stage == "agent"


def test_counts_in_pipeline_order() -> None:
    verdicts = [Attribution(s) for s in ("kept", "fusion", "chunking", "kept", "sparse+dense@100")]
    assert count_stages(verdicts) == {"chunking": 1, "sparse+dense@100": 1, "fusion": 1, "kept": 2}
    assert sort_stage_labels(["kept", "reranking", "dense@50", "sparse@50", "agent"]) == [
        "sparse@50",
        "dense@50",
        "reranking",
        "kept",
        "agent",
    ]
