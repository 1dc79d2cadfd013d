"""A sharded index in one process (shards on threads) against one hybrid index over the
same chunks: exact merges for BM25, dense and hybrid, persistence, incremental add, delete."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ragkit.errors import ConfigError, DependencyError, IndexFormatError, QueryError
from ragkit.indexes import BM25Index, Embedder, HybridIndex
from ragkit.scale import ShardedIndex, TermStats, shard_of
from ragkit.scale.stats import check_exact, term_stats
from ragkit.types import Chunk, Retriever
from tests.scale.check import assert_same
from tests.scale.conftest import QUERIES

FILTERS: list[dict[str, Any] | None] = [
    None,
    {"form_type": "10-K"},
    {"doc_id": "acme-10q-2024q2"},
    {"section": "Item 7"},
]


@pytest.fixture(scope="module")
def sharded(synthetic_chunks: list[Chunk], scale_embedder: Embedder) -> ShardedIndex:
    return ShardedIndex.build(synthetic_chunks, n_shards=3, model=scale_embedder)


def test_documents_are_split_over_shards_whole(sharded: ShardedIndex) -> None:
    assert len(sharded) == sum(sharded.sizes) and sum(1 for n in sharded.sizes if n) >= 2
    for i, ids in enumerate(sharded.shards.call("doc_ids")):
        assert all(shard_of(d, 3) == i for d in ids)


@pytest.mark.parametrize("mode", ["bm25", "dense", "hybrid"])
@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: "none" if f is None else str(f))
def test_merged_results_equal_one_index(
    single: HybridIndex, sharded: ShardedIndex, mode: str, filters: dict[str, Any] | None
) -> None:
    for k in (1, 10):
        expected = single.search(QUERIES, k, filters, mode=mode)
        got = sharded.search(QUERIES, k, filters, mode=mode)
        assert any(expected), "the filter should leave results"
        assert_same(expected, got, (mode, filters, k))


def test_bm25_scores_are_bit_identical(single: HybridIndex, sharded: ShardedIndex) -> None:
    expected = single.search(QUERIES, 20, mode="bm25")
    for a, b in zip(expected, sharded.search(QUERIES, 20, mode="bm25"), strict=True):
        assert [h.score for h in a] == [h.score for h in b]


def test_global_statistics_are_those_of_the_whole_corpus(
    single: HybridIndex, sharded: ShardedIndex
) -> None:
    whole = term_stats(single.bm25)
    summed = TermStats.merged(sharded.shards.call("term_stats"))
    assert summed == whole == sharded.stats
    # a shard scoring with its own statistics would rank differently: the shards' local
    # document frequencies are not the corpus's
    assert any(term_stats(s.index.bm25).df != whole.df for s in sharded.shards.shards)


def test_hybrid_fuses_the_merged_runs(single: HybridIndex, sharded: ShardedIndex) -> None:
    for hits in sharded.search(QUERIES, 5, depth=30):
        assert all(h.source == "rrf" and "rrf" in h.scores for h in hits)
    assert_same(single.search(QUERIES, 5, depth=30), sharded.search(QUERIES, 5, depth=30), "d30")


def test_satisfies_the_retriever_contract(single: HybridIndex, sharded: ShardedIndex) -> None:
    assert isinstance(sharded, Retriever)
    assert all(isinstance(r, Retriever) for r in sharded.retrievers().values())
    nothing = {"doc_id": "no-such-filing"}
    try:  # one index answers no hits or refuses the filter; the sharded one does the same
        expected = single.search(QUERIES[:2], 5, nothing)
    except QueryError:
        with pytest.raises(QueryError):
            sharded.search(QUERIES[:2], 5, nothing)
    else:
        assert expected == sharded.search(QUERIES[:2], 5, nothing) == [[], []]
    assert sharded.search([], 5) == []


def test_pipeline_runs_unchanged(single: HybridIndex, sharded: ShardedIndex) -> None:
    from ragkit.pipeline import HybridPipeline

    config = {"routing": {"enabled": False}}
    expected = HybridPipeline.from_index(single, config).search(QUERIES, 5)
    got = HybridPipeline.from_index(sharded, config).search(QUERIES, 5)
    assert [[h.chunk_id for h in r] for r in expected] == [[h.chunk_id for h in r] for r in got]


def test_save_and_load_shard_by_shard(
    single: HybridIndex, sharded: ShardedIndex, scale_embedder: Embedder, tmp_path: Path
) -> None:
    path = sharded.save(tmp_path / "idx")
    manifest = json.loads((path / "manifest.json").read_text("utf-8"))
    assert manifest["type"] == "ShardedIndex" and len(manifest["shards"]) == 3
    loaded = ShardedIndex.load(path, embedder=scale_embedder)
    assert loaded.sizes == sharded.sizes and loaded.next_position == len(single)
    for mode in ("bm25", "dense", "hybrid"):
        assert_same(
            single.search(QUERIES, 8, mode=mode), loaded.search(QUERIES, 8, mode=mode), mode
        )


def _data(path: Path) -> Path:
    manifest = json.loads((path / "manifest.json").read_text("utf-8"))
    return path / manifest["data"] if "data" in manifest else path


def test_a_missing_shard_is_named_at_load(sharded: ShardedIndex, tmp_path: Path) -> None:
    path = sharded.save(tmp_path / "idx")
    shutil.rmtree(_data(path) / "shard-0001")
    with pytest.raises(IndexFormatError, match="missing shard shard-0001"):
        ShardedIndex.load(path)


def test_a_corrupt_shard_file_is_refused(sharded: ShardedIndex, tmp_path: Path) -> None:
    path = sharded.save(tmp_path / "idx")
    victim = next(p for p in (_data(path)).rglob("positions.npy"))
    victim.write_bytes(victim.read_bytes()[:-8])
    with pytest.raises(IndexFormatError):
        ShardedIndex.load(path)


def test_incremental_add_routes_documents_and_stays_exact(
    synthetic_chunks: list[Chunk], scale_embedder: Embedder, single: HybridIndex
) -> None:
    docs = list(dict.fromkeys(c.doc_id for c in synthetic_chunks))
    first = [c for c in synthetic_chunks if c.doc_id in docs[:2]]
    later = [c for c in synthetic_chunks if c.doc_id not in docs[:2]]
    index = ShardedIndex.build(first, n_shards=2, model=scale_embedder)
    before = index.sizes
    assert index.add(later) == len(later)
    for d in docs[2:]:
        owner = shard_of(d, 2)
        assert d in index.shards.call("doc_ids")[owner]
    assert sum(index.sizes) - sum(before) == len(later)
    # the single index holds the same chunks in the same order (first, then later)
    assert [c.id for c in first + later] == [c.id for c in synthetic_chunks]
    for mode in ("bm25", "dense", "hybrid"):
        assert_same(
            single.search(QUERIES, 10, mode=mode), index.search(QUERIES, 10, mode=mode), mode
        )
    with pytest.raises(ConfigError, match="already indexed"):
        index.add(later[:1])


def test_delete_stays_exact(synthetic_chunks: list[Chunk], scale_embedder: Embedder) -> None:
    victim = synthetic_chunks[0].doc_id
    one = HybridIndex.build(synthetic_chunks, model=scale_embedder, index_type="flat")
    many = ShardedIndex.build(synthetic_chunks, n_shards=2, model=scale_embedder)
    assert one.delete(victim) == many.delete(victim) > 0
    assert victim not in many.doc_ids()
    for mode in ("bm25", "dense", "hybrid"):
        assert_same(one.search(QUERIES, 10, mode=mode), many.search(QUERIES, 10, mode=mode), mode)


def test_bm25_settings_that_cannot_merge_exactly_are_refused() -> None:
    check_exact(BM25Index())
    with pytest.raises(ConfigError, match="bm25s"):
        check_exact(BM25Index(backend="rank_bm25"))
    with pytest.raises(ConfigError, match="variant"):
        check_exact(BM25Index(variant="bm25plus"))


def test_without_ray_the_error_names_the_extra(
    synthetic_chunks: list[Chunk], scale_embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now raises ImportError
    with pytest.raises(DependencyError, match=r"ragkit\[ray\]"):
        ShardedIndex.build(synthetic_chunks, n_shards=2, model=scale_embedder, executor="ray")
    with pytest.raises(DependencyError, match=r"ragkit\[ray\]"):
        HybridIndex.build(synthetic_chunks, model=scale_embedder, executor="ray")


def test_positions_break_ties_like_rows(sharded: ShardedIndex) -> None:
    positions = np.concatenate(sharded.shards.call("positions_of"))
    assert sorted(positions.tolist()) == list(range(len(sharded)))


def test_searches_run_safely_during_an_add(
    synthetic_chunks: list[Chunk], scale_embedder: Embedder, single: HybridIndex
) -> None:
    import threading

    docs = list(dict.fromkeys(c.doc_id for c in synthetic_chunks))
    first = [c for c in synthetic_chunks if c.doc_id == docs[0]]
    index = ShardedIndex.build(first, n_shards=2, model=scale_embedder)
    errors: list[BaseException] = []
    sizes: set[int] = set()
    stop = threading.Event()

    def searching() -> None:
        while not stop.is_set():
            try:
                for hits in index.search(QUERIES, 5):
                    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
                sizes.add(len(index))
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
                return

    threads = [threading.Thread(target=searching) for _ in range(2)]
    for t in threads:
        t.start()
    for d in docs[1:]:
        index.add([c for c in synthetic_chunks if c.doc_id == d])
    stop.set()
    for t in threads:
        t.join()
    assert not errors and len(sizes) >= 1
    assert_same(single.search(QUERIES, 10), index.search(QUERIES, 10), "after concurrent adds")


def test_routing_runs_unchanged(single: HybridIndex, sharded: ShardedIndex) -> None:
    from ragkit.routing import RoutedRetriever, Router

    def routed(index: Any) -> RoutedRetriever:
        chunks = index.chunks
        return RoutedRetriever(index.retrievers(), Router.from_chunks(chunks), chunks=chunks)

    queries = [*QUERIES, "Acme Widgets 10-Q liquidity", "Orbital risk factors"]
    expected = routed(single).search(queries, 5)
    got = routed(sharded).search(queries, 5)
    assert [[h.chunk_id for h in r] for r in expected] == [[h.chunk_id for h in r] for r in got]
