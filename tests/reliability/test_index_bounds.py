"""Bounds and bad requests on a loaded hybrid index: huge k is capped at the index size (was
~150 s for k=10**9 on 186 chunks: the dense side allocated k slots), and bad k, depth, queries
and reranker specs are typed errors, all fast.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from ragkit.errors import ConfigError, QueryError
from ragkit.indexes import Embedder, HybridIndex
from ragkit.rerankers import get_reranker
from ragkit.types import Chunk, Hit
from tests.indexes.conftest import make_chunks


@pytest.fixture(scope="module")
def index() -> HybridIndex:
    return HybridIndex.build(make_chunks(), model=Embedder(cache=False))


def _timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


@pytest.mark.parametrize("k", [10**9, 2**63, 2**100])
@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_huge_k_is_capped_at_the_index_size(index: HybridIndex, mode: str, k: int) -> None:
    (hits,), seconds = _timed(lambda: index.search(["fuel prices"], k=k, mode=mode))
    assert 0 < len(hits) <= len(index) and seconds < 2.0
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))


def test_huge_k_and_depth_through_every_entry_point(index: HybridIndex) -> None:
    _, seconds = _timed(lambda: index.search(["revenue"], k=5, depth=10**9))
    assert seconds < 2.0
    (sparse,), (dense,) = index.search_both(["revenue"], depth=10**9)
    assert len(dense) == len(index) and len(sparse) <= len(index)
    for side in (index.bm25, index.dense):
        assert len(side.search(["revenue"], k=2**63)[0]) <= len(index)


@pytest.mark.parametrize("depth", [-5, 0, 2.5, "10", True])
def test_bad_depth_is_a_query_error(index: HybridIndex, depth: Any) -> None:
    with pytest.raises(QueryError, match="depth must be a positive integer"):
        index.search(["revenue"], k=5, depth=depth)
    with pytest.raises(QueryError, match="depth must be a positive integer"):
        index.search_both(["revenue"], depth=depth)


@pytest.mark.parametrize("k", [0, -1, 1.5, "10", None, True])
def test_bad_k_is_a_query_error(index: HybridIndex, k: Any) -> None:
    for mode in ("hybrid", "dense", "bm25"):
        with pytest.raises(QueryError, match="k must be a positive integer"):
            index.search(["revenue"], k=k, mode=mode)


@pytest.mark.parametrize("query", ["revenue \ud800 growth", "\udfff", "lease\udc80term"])
def test_lone_surrogates_are_a_query_error(index: HybridIndex, query: str) -> None:
    for mode in ("hybrid", "dense", "bm25"):
        with pytest.raises(QueryError, match="not valid Unicode"):
            index.search([query], k=3, mode=mode)


def test_bad_depth_in_the_constructor_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="depth"):
        HybridIndex(depth=-5)


@pytest.mark.parametrize("spec", ["cross-encoder:/etc", "cross-encoder:/nonexistent/model"])
def test_a_reranker_spec_naming_no_model_is_a_config_error(spec: str) -> None:
    reranker = get_reranker(spec)  # loaded lazily: the error comes on first use
    chunk = Chunk(id="c", doc_id="d", text="The operating ratio improved to 59.8%.")
    start = time.perf_counter()
    with pytest.raises(ConfigError, match="cannot load cross-encoder"):
        reranker.rerank("operating ratio", [Hit("c", 1.0, 1, "bm25", chunk, {})])
    assert time.perf_counter() - start < 2  # was 66 s for /etc (a scan of the folder)
