"""ragkit on a local Ray cluster (loopback, 2 CPUs): Ray Data embedding through the cache,
shards as actors, exact equality with one index, a worker dying mid-build, persistence."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ragkit.errors import WorkerError
from ragkit.indexes import Embedder, EmbeddingCache, HybridIndex
from ragkit.scale import ShardedIndex
from ragkit.scale.ray_backend import EncodeBatch, embed_passages
from ragkit.types import Chunk
from tests.scale.check import assert_same
from tests.scale.conftest import QUERIES

ray = pytest.importorskip("ray", reason='needs the ray extra: pip install "ragkit[ray]"')

ROOT = Path(__file__).resolve().parents[2]
#: Small batches, so that the corpus takes several and a retried one is a part of the build.
RAY = {"workers": 1, "batch_size": 16, "cpus_per_worker": 1.0}


@pytest.fixture(scope="module", autouse=True)
def cluster() -> Iterator[None]:
    """One local Ray cluster for the module: 2 CPUs, no dashboard, loopback only."""
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        runtime_env={"env_vars": {"PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}},
    )
    yield
    ray.shutdown()


def counting(log: Path) -> type:
    """An encoder that records how many texts each batch held."""

    class Counting(EncodeBatch):
        def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
            with log.open("a") as fh:
                fh.write(f"{len(batch['text'])}\n")
            return super().__call__(batch)

    return Counting


def dying(marker: Path, times: int) -> type:
    """An encoder whose process exits (as a crash would) on its first `times` batches."""

    class Dying(EncodeBatch):
        def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
            died = int(marker.read_text()) if marker.exists() else 0
            if died < times:
                marker.write_text(str(died + 1))
                os._exit(1)
            return super().__call__(batch)

    return Dying


def _encoded(log: Path) -> int:
    return sum(int(n) for n in log.read_text().split()) if log.exists() else 0


def test_ray_embedding_fills_the_cache_once(synthetic_chunks: list[Chunk], tmp_path: Path) -> None:
    embedder = Embedder(cache=EmbeddingCache(tmp_path / "emb.sqlite"))
    texts = [c.search_text for c in synthetic_chunks]
    log = tmp_path / "encoded.txt"
    vecs = embed_passages(texts, embedder, encoder=counting(log), **RAY)
    distinct = len(set(texts))
    assert _encoded(log) == distinct == embedder.cache.count()  # duplicates encoded once
    local = embedder.encode_raw([embedder.passage_prefix + t for t in texts[:8]])
    assert np.allclose(vecs[:8], local, atol=1e-5)
    again = embed_passages(texts, embedder, encoder=counting(log), **RAY)
    assert _encoded(log) == distinct  # everything came from the cache the second time
    assert np.array_equal(again, vecs)


def test_sharded_on_ray_equals_one_index(
    synthetic_chunks: list[Chunk], scale_embedder: Embedder, single: HybridIndex, tmp_path: Path
) -> None:
    index = ShardedIndex.build(
        synthetic_chunks, n_shards=2, model=scale_embedder, executor="ray", ray_options=RAY
    )
    try:
        assert index.shards.kind == "ray" and sum(index.sizes) == len(single)
        for mode in ("bm25", "dense", "hybrid"):
            for filters in (None, {"form_type": "10-Q"}):
                expected = single.search(QUERIES, 10, filters, mode=mode)
                assert_same(expected, index.search(QUERIES, 10, filters, mode=mode), mode)
        path = index.save(tmp_path / "idx")
    finally:
        index.close()
    loaded = ShardedIndex.load(path, executor="ray", embedder=scale_embedder)
    try:
        assert_same(single.search(QUERIES, 10), loaded.search(QUERIES, 10), "loaded")
    finally:
        loaded.close()


def test_hybrid_build_on_ray_is_the_same_index(
    synthetic_chunks: list[Chunk], scale_embedder: Embedder, single: HybridIndex
) -> None:
    index = HybridIndex.build(
        synthetic_chunks, model=scale_embedder, index_type="flat", executor="ray",
        ray_options=RAY,
    )  # fmt: skip
    assert np.array_equal(index.dense.vectors, single.dense.vectors)
    assert_same(single.search(QUERIES, 10), index.search(QUERIES, 10), "hybrid")


def test_a_worker_dying_once_is_retried(synthetic_chunks: list[Chunk], tmp_path: Path) -> None:
    embedder = Embedder(cache=EmbeddingCache(tmp_path / "emb.sqlite"))
    marker = tmp_path / "died"
    index = ShardedIndex.build(
        synthetic_chunks, n_shards=2, model=embedder, executor="ray",
        ray_options={**RAY, "encoder": dying(marker, 1)},
    )  # fmt: skip
    try:
        assert marker.read_text() == "1"  # the worker did die, and the build completed
        assert len(index) == len(synthetic_chunks)
        reference = HybridIndex.build(synthetic_chunks, model=embedder, index_type="flat")
        assert_same(reference.search(QUERIES, 10), index.search(QUERIES, 10), "after retry")
    finally:
        index.close()


def test_a_worker_that_keeps_dying_fails_typed_and_saves_nothing(
    synthetic_chunks: list[Chunk], tmp_path: Path
) -> None:
    embedder = Embedder(cache=EmbeddingCache(tmp_path / "emb.sqlite"))
    options: dict[str, Any] = {**RAY, "encoder": dying(tmp_path / "died", 1000), "retries": 1}
    target = tmp_path / "idx"
    with pytest.raises(WorkerError, match="retries"):
        ShardedIndex.build(
            synthetic_chunks, n_shards=2, model=embedder, executor="ray", ray_options=options
        ).save(target)
    assert not target.exists()


@pytest.mark.slow
@pytest.mark.data
def test_sec_filings_sharded_on_ray_equal_one_index(sec_filings_dir: Path) -> None:
    """The 17 SEC filings (~7,000 chunks) over 3 Ray shards against one index; the static
    model keeps embedding cheap on 2 cores (the exactness does not depend on the model)."""
    from ragkit.bench.datasets import document_chunks

    files = {p.name: p for p in sorted(sec_filings_dir.glob("*.htm"))}
    chunks, _ = document_chunks(files)
    embedder = Embedder("static-minilm")
    single = HybridIndex.build(chunks, model=embedder, index_type="flat")
    index = ShardedIndex.build(chunks, n_shards=3, model=embedder, executor="ray", ray_options=RAY)
    queries = [
        "total revenues and net income for the fiscal year",
        "goodwill impairment testing",
        "risk factors related to supply chain disruptions",
        "share repurchase program authorization",
        "long-term debt maturities and interest rates",
        "Coca-Cola bottling partners",
    ]
    try:
        for mode in ("bm25", "dense", "hybrid"):
            for filters in (None, {"ticker": "KO"}, {"form_type": "10-Q"}):
                expected = single.search(queries, 10, filters, mode=mode)
                assert_same(
                    expected, index.search(queries, 10, filters, mode=mode), (mode, filters)
                )
    finally:
        index.close()
