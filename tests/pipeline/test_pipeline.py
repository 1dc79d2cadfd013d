"""HybridPipeline: traces, fusion (fixed and dynamic), expansion, reranking, answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ragkit.errors import ConfigError, QueryError
from ragkit.fusion import fuse
from ragkit.pipeline import HybridPipeline
from ragkit.rerankers import IdentityReranker, get_reranker
from ragkit.rerankers.base import rescored
from ragkit.types import Hit
from tests.pipeline.conftest import CHUNKS

pytestmark = pytest.mark.slow
QUERY = "What are the maturities of the senior notes?"


def test_trace_records_every_stage(hybrid_index: Any) -> None:
    pipe = HybridPipeline.from_index(hybrid_index, {"k": 3, "retrieval": {"depth": 5}})
    hits, trace = pipe.retrieve(QUERY)
    # two companies (ACME, BETA) in the index: routing is on by default; QUERY names neither
    assert [s.stage for s in trace.stages] == ["route", "bm25", "dense", "fusion"]
    route, bm25, dense, fusion = trace.stages
    assert route.hits_out == () and route.info["mode"] == "none" and not route.info["filters"]
    assert bm25.n_in == len(CHUNKS) and len(dense.hits_out) == 5
    assert 0 < len(bm25.hits_out) <= 5  # BM25 returns only chunks sharing a term
    assert fusion.n_in == len(bm25.hits_out) + 5 and fusion.info["method"] == "rrf"
    assert all(s.latency_ms >= 0 for s in trace.stages)
    # the fusion stage is exactly ragkit.fusion.fuse over the two recorded runs
    from ragkit.types import Hit

    runs = [
        [Hit(i, s, r, name) for i, r, s in st.hits_out]
        for name, st in (("bm25", bm25), ("dense", dense))
    ]
    expected = fuse(runs, "rrf")
    assert [(h.chunk_id, h.rank) for h in expected] == [(i, r) for i, r, _ in fusion.hits_out]
    assert [h.chunk_id for h in hits] == [i for i, _, _ in fusion.hits_out[:3]]
    assert [h.rank for h in hits] == [1, 2, 3]
    assert hits[0].chunk is not None and "rrf" in hits[0].scores
    assert trace.to_dict()["stages"][3]["hits"][0]["rank"] == 1
    off = HybridPipeline.from_index(hybrid_index, {"k": 3, "routing": {"enabled": False}}).retrieve(
        QUERY
    )
    assert [s.stage for s in off.trace.stages] == ["bm25", "dense", "fusion"]


def test_modes_and_fusion_choice(hybrid_index: Any) -> None:
    bm25_only = HybridPipeline.from_index(hybrid_index, {"retrieval": {"mode": "bm25"}})
    _, trace = bm25_only.retrieve("senior notes")
    assert [s.stage for s in trace.stages] == ["route", "bm25"]
    convex = HybridPipeline.from_index(
        hybrid_index,
        {"fusion": {"method": "convex", "weights": [0.3, 0.7], "params": {"norm": "zscore"}}},
    )
    hits, trace = convex.retrieve("senior notes")
    assert hits[0].source == "convex" and trace.stage("fusion").info["weights"] == [0.3, 0.7]


def test_dynamic_weights_follow_the_classifier(hybrid_index: Any) -> None:
    pipe = HybridPipeline.from_index(hybrid_index, {"fusion": {"dynamic": True}})
    _, specific = pipe.retrieve("ACME effective tax rate 21.3% in FY2024")
    assert specific.stage("fusion").info["query_kind"] == "specific"
    assert specific.stage("fusion").info["weights"] == [0.7, 0.3]
    _, conceptual = pipe.retrieve("Why might competition hurt the business?")
    assert conceptual.stage("fusion").info["weights"] == [0.4, 0.6]


def test_reference_expansion_adds_linked_section(hybrid_index: Any) -> None:
    # restrict candidates to Item 7: the Note 12 chunks can only arrive through the link
    query, only_item7 = (
        "principal sources of liquidity revolving credit facility",
        {"section": "Item 7"},
    )
    plain = HybridPipeline.from_index(hybrid_index, {"k": 5})
    hits, trace = plain.retrieve(query, filters=only_item7)
    assert trace.stage("expansion") is None  # off by default
    assert [h.chunk_id for h in hits][0] == "liq" and "n12a" not in {h.chunk_id for h in hits}
    expanding = HybridPipeline.from_index(
        hybrid_index, {"k": 5, "expansion": {"enabled": True, "discount": 0.5, "top": 1}}
    )
    hits, trace = expanding.retrieve(query, filters=only_item7)
    stage = trace.stage("expansion")
    assert stage is not None and stage.info["added"] == ["n12a", "n12b"]
    assert stage.n_in == 2 and len(stage.hits_out) == 4
    added = {h.chunk_id: h for h in hits if h.source == "expansion"}
    assert set(added) == {"n12a", "n12b"}
    liq = next(h for h in hits if h.chunk_id == "liq")
    assert added["n12a"].score == pytest.approx(liq.score * 0.5)
    assert added["n12a"].scores["expanded_from_rank"] == liq.rank
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))


def test_reranker_stage_and_search_contract(hybrid_index: Any, cross_encoder_dir: Path) -> None:
    reranker = get_reranker(f"cross-encoder:{cross_encoder_dir}")
    pipe = HybridPipeline.from_index(
        hybrid_index, {"k": 3, "reranker": {"spec": "none", "depth": 6}}, reranker=reranker
    )
    hits, trace = pipe.retrieve(QUERY)
    stage = trace.stage("rerank")
    assert stage is not None and stage.n_in == 6 and len(stage.hits_out) == 3
    fused_top6 = {i for i, _, _ in trace.stage("fusion").hits_out[:6]}
    assert {h.chunk_id for h in hits} <= fused_top6
    assert all(h.source == "cross-encoder" and "rrf" in h.scores for h in hits)
    batched = pipe.search([QUERY, "office lease in Austin"], k=2)
    assert [h.chunk_id for h in batched[0]] == [h.chunk_id for h in hits[:2]]
    assert len(batched) == 2 and [h.rank for h in batched[1]] == [1, 2]


def test_blend_interpolates_reranker_and_fused_scores(hybrid_index: Any) -> None:
    fused = HybridPipeline.from_index(hybrid_index, {"k": 4}).retrieve(QUERY)[0]
    reversed_scores = {h.chunk_id: float(i) for i, h in enumerate(fused)}  # bottom first

    class Reverser:
        def rerank(self, query: str, hits: Any, k: int | None = None) -> list[Hit]:
            return rescored(hits, [reversed_scores[h.chunk_id] for h in hits], "rev", k or 99)

    ids = [h.chunk_id for h in fused]
    for blend, expected in ((0.0, ids[::-1]), (1.0, ids)):
        config = {"k": 4, "reranker": {"spec": "none", "depth": 4, "blend": blend}}
        pipe = HybridPipeline.from_index(hybrid_index, config, reranker=Reverser())
        hits, trace = pipe.retrieve(QUERY)
        assert [h.chunk_id for h in hits] == expected
        assert trace.stage("rerank").info["blend"] == blend
    # by hand: fused minmax (1, a, b, 0) against reversed minmax (0, 1/3, 2/3, 1), weight 0.5
    top, bottom = fused[0].score, fused[-1].score
    norm = [(h.score - top) / (bottom - top) for h in fused]  # 0 for the top, 1 for the bottom
    mixed = [0.5 * (i / 3) + 0.5 * (1 - n) for i, n in zip(range(4), norm, strict=True)]
    want = [i for _, i in sorted(zip((-m for m in mixed), ids, strict=True))]
    pipe = HybridPipeline.from_index(
        hybrid_index,
        {"k": 2, "reranker": {"spec": "none", "depth": 4, "blend": 0.5}},
        reranker=Reverser(),
    )
    hits = pipe.retrieve(QUERY)[0]
    assert [h.chunk_id for h in hits] == want[:2]
    assert hits[0].source == "blend" and {"rev", "rrf"} <= set(hits[0].scores)
    assert abs(hits[0].score - max(mixed)) < 1e-9
    with pytest.raises(ConfigError, match="blend"):
        HybridPipeline.from_index(hybrid_index, {"reranker": {"spec": "none", "blend": 1.5}})


def test_a_routed_reranker_can_read_the_residual_question(hybrid_index: Any) -> None:
    """With `reranker.query` "residual", a question routing filtered to its filing reaches
    the reranker without the words that named the filing; others reach it as asked."""
    seen: list[str] = []

    class Recorder:
        def rerank(self, query: str, hits: Any, k: int | None = None) -> list[Hit]:
            seen.append(query)
            return rescored(hits, [float(-h.rank) for h in hits], "rec", k or 99)

    routed = "In ACME's 10-K for fiscal 2024, what are the maturities of the senior notes?"
    for query, expected in (("residual", "What are the maturities of the senior notes?"),
                            ("question", routed)):  # fmt: skip
        config = {"k": 3, "routing": {"min_chunks": 0, "min_hits": 1},  # a tiny filing
                  "reranker": {"spec": "none", "depth": 5, "query": query}}  # fmt: skip
        pipe = HybridPipeline.from_index(hybrid_index, config, reranker=Recorder())
        hits, trace = pipe.retrieve(routed)
        assert trace.stage("route").info["filters"], "the question names ACME's 10-K"
        assert seen[-1] == expected
        assert trace.stage("rerank").info.get("query") == (
            expected if query == "residual" else None
        )
        assert {h.chunk.doc_id for h in hits if h.chunk is not None} == {"acme-10k-2024"}
        pipe.retrieve(QUERY)  # names no filing: no filter, the reranker reads it as asked
        assert seen[-1] == QUERY
    with pytest.raises(ConfigError, match="query"):
        HybridPipeline.from_index(hybrid_index, {"reranker": {"spec": "none", "query": "x"}})


def test_filters_and_errors(hybrid_index: Any) -> None:
    pipe = HybridPipeline.from_index(
        hybrid_index, {"reranker": {"spec": "none"}}, reranker=IdentityReranker()
    )
    (hits,) = pipe.search(["revenue"], k=5, filters={"doc_id": "beta-10q-q1"})
    assert [h.chunk_id for h in hits] == ["beta-rev"]
    with pytest.raises(QueryError):
        pipe.search(["revenue"], k=0)
    with pytest.raises(QueryError):
        pipe.retrieve("   ")
    with pytest.raises(QueryError):
        pipe.search(["revenue"], k=3, filters={"colour": "red"})


def test_answer_with_extractive_generator(hybrid_index: Any) -> None:
    pipe = HybridPipeline.from_index(hybrid_index, {"k": 4, "generator": {"contexts": 4}})
    result = pipe.answer("When are the senior notes due?")
    assert "2029" in result.answer.text
    cited = {c.chunk_id for c in result.answer.citations}
    assert "n12a" in cited and cited <= {h.chunk_id for h in result.hits}
    stage = result.trace.stage("generate")
    assert stage is not None and stage.n_in == 4
    assert {i for i, _, _ in stage.hits_out} == cited
