"""One contract suite run over every `Retriever` ragkit ships: BM25, dense, the hybrid index,
a routed retriever, the pipeline, the agent and the cascade (as Haystack's and bm25s's
suites check every component the same way). Corpus: the three example filings (two companies)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ragkit.errors import QueryError
from ragkit.types import Chunk, Retriever

pytestmark = pytest.mark.slow

FILINGS = Path(__file__).resolve().parents[1] / "examples" / "filings"
QUERIES = [
    "What were Globex Corporation's risk factors?",
    "Acme Widgets revenue growth and liquidity",
    "senior notes interest rate",
]
DOC = "globex-10k-fy2023"


@pytest.fixture(scope="module")
def chunks() -> list[Chunk]:
    from ragkit.chunkers import get_chunker
    from ragkit.parsers import load

    chunker = get_chunker("hierarchical")
    return [c for doc in load([FILINGS]) for c in chunker.chunk(doc)]


@pytest.fixture(scope="module")
def hybrid(chunks: list[Chunk]) -> Any:
    from ragkit.indexes import Embedder, HybridIndex

    return HybridIndex.build(chunks, model=Embedder(cache=False), show_progress=False)


def _bm25(hybrid: Any) -> Retriever:
    return hybrid.bm25


def _dense(hybrid: Any) -> Retriever:
    return hybrid.dense


def _hybrid(hybrid: Any) -> Retriever:
    return hybrid


def _routed(hybrid: Any) -> Retriever:
    from ragkit.routing import RoutedRetriever, Router

    return RoutedRetriever(
        hybrid.retrievers(), Router.from_chunks(hybrid.chunks), chunks=hybrid.chunks
    )


def _pipeline(hybrid: Any) -> Retriever:
    from ragkit.pipeline import HybridPipeline

    return HybridPipeline.from_index(hybrid, {"expansion": {"enabled": True}})


def _agent(hybrid: Any) -> Retriever:
    from ragkit.agentic import HeuristicAgent
    from ragkit.bench.systems import AgentRetriever

    return AgentRetriever(HeuristicAgent(FILINGS), "agent")


def _cascade(hybrid: Any) -> Retriever:
    from ragkit.cascade import Cascade
    from ragkit.pipeline import HybridPipeline

    return Cascade(HybridPipeline.from_index(hybrid, {}), FILINGS, threshold=0.9)


def _sharded(hybrid: Any) -> Retriever:
    from ragkit.scale import ShardedIndex

    return ShardedIndex.from_index(hybrid, n_shards=2)


MAKERS: dict[str, Callable[[Any], Retriever]] = {
    "bm25": _bm25,
    "dense": _dense,
    "hybrid-index": _hybrid,
    "routed": _routed,
    "pipeline": _pipeline,
    "agent": _agent,
    "cascade": _cascade,
    "sharded": _sharded,
}


@pytest.fixture(scope="module", params=list(MAKERS))
def retriever(request: pytest.FixtureRequest, hybrid: Any) -> Retriever:
    return MAKERS[request.param](hybrid)


def test_satisfies_the_protocol(retriever: Retriever) -> None:
    assert isinstance(retriever, Retriever)


def test_a_batch_equals_its_queries_one_by_one(retriever: Retriever) -> None:
    batch = retriever.search(QUERIES, 4)
    assert len(batch) == len(QUERIES)
    for query, hits in zip(QUERIES, batch, strict=True):
        alone = retriever.search([query], 4)[0]
        assert [h.chunk_id for h in hits] == [h.chunk_id for h in alone]


@pytest.mark.parametrize("k", [1, 3, 7])
def test_at_most_k_hits_ranked_best_first(retriever: Retriever, k: int) -> None:
    for hits in retriever.search(QUERIES, k):
        assert 0 < len(hits) <= k
        assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
        scores = [h.score for h in hits]
        assert scores == sorted(scores, reverse=True)
        assert len({h.chunk_id for h in hits}) == len(hits)


def test_filters_restrict_to_the_named_document(retriever: Retriever) -> None:
    for hits in retriever.search(QUERIES, 5, filters={"doc_id": DOC}):
        assert all(h.chunk is not None and h.chunk.doc_id == DOC for h in hits)


def test_a_filter_matching_nothing_gives_empty_results(retriever: Retriever) -> None:
    # each value exists (Globex's filing, Acme's ticker) but no chunk has both
    nothing = {"doc_id": DOC, "ticker": "ACME"}
    assert retriever.search(QUERIES[:2], 5, filters=nothing) == [[], []]


def test_a_filter_value_no_document_has_is_a_query_error(
    retriever: Retriever, request: pytest.FixtureRequest
) -> None:
    if request.node.callspec.params["retriever"] == "agent":
        pytest.skip("the agent filters the files it reads and keeps no catalogue of values")
    with pytest.raises(QueryError, match="no document has ticker GLBX; closest: GBX"):
        retriever.search(QUERIES[:1], 5, filters={"ticker": "GLBX"})


def test_no_queries_give_no_results(retriever: Retriever) -> None:
    assert retriever.search([], 5) == []


@pytest.mark.parametrize(
    ("queries", "k"),
    [(["   "], 5), ([""], 5), ("one string, not a list", 5), (QUERIES[:1], 0), (QUERIES[:1], -2)],
)
def test_bad_input_is_a_query_error(retriever: Retriever, queries: Any, k: int) -> None:
    with pytest.raises(QueryError):
        retriever.search(queries, k)
