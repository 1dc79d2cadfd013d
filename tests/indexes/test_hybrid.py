"""Dense and hybrid retrieval with the packaged MiniLM: cache, modes, filters, add/delete,
concurrency, persistence, and real EDGAR filing text."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from ragkit.errors import ConfigError, IndexFormatError, IndexStateError, QueryError
from ragkit.indexes import BM25Index, DenseIndex, Embedder, EmbeddingCache, HybridIndex
from ragkit.indexes.store import committed_folder
from ragkit.types import Chunk

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def hybrid(embedder: Embedder) -> HybridIndex:
    from .conftest import make_chunks

    return HybridIndex.build(make_chunks(), model=embedder)


def _ids(hits: list) -> list[str]:
    return [h.chunk_id for h in hits]


def test_embeddings_are_normalised_and_cached(embedder: Embedder, tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path / "e.sqlite")
    emb = Embedder(cache=cache)
    emb._model = embedder.model  # share the loaded weights, not the cache
    texts = [
        "Goodwill impairment testing.",
        "Freight revenue rose.",
        "Goodwill impairment testing.",
    ]
    first = emb.encode_passages(texts)
    assert first.shape == (3, embedder.dim) and first.dtype == np.float32
    assert np.allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-5)
    assert cache.count(emb.model_id) == 2  # the repeated text is embedded once
    again = Embedder(cache=cache)
    again._model = embedder.model
    assert np.array_equal(again.encode_passages(texts[:2]), first[:2])
    assert cache.count() == 2
    assert np.allclose(emb.encode_queries(["Goodwill impairment testing."])[0], first[0], atol=1e-5)


def test_dense_finds_paraphrases_bm25_cannot(hybrid: HybridIndex) -> None:
    q = "How many people work at the company?"
    dense = hybrid.search([q], k=3, mode="dense")[0]
    assert "12,407 full-time employees" in dense[0].chunk.text
    assert dense[0].source == "dense" and -1.0 <= dense[0].score <= 1.0


def test_modes_and_search_both(hybrid: HybridIndex) -> None:
    q = ["What interest rate applies to revolving credit borrowings?", "the of and"]
    fused = hybrid.search(q, k=4)
    assert "SOFR plus 1.25%" in fused[0][0].chunk.text
    assert {"bm25", "dense"} <= set(fused[0][0].scores)
    # a query of only stop words: BM25 has nothing, dense and hybrid still answer
    assert hybrid.search(q[1:], k=3, mode="bm25") == [[]]
    assert len(fused[1]) == 3 or len(fused[1]) == 4
    sparse, dense = hybrid.search_both(q, depth=7)
    assert len(dense[0]) == 7 and len(sparse[1]) == 0
    assert all(h.source == "bm25" for h in sparse[0])
    assert hybrid.search_one(q[0], k=2, mode="bm25") == hybrid.search(q[:1], 2, mode="bm25")[0]
    with pytest.raises(QueryError, match="mode"):
        hybrid.search(q, k=3, mode="sparse")


def test_filters_in_both_retrievers_still_return_k(hybrid: HybridIndex) -> None:
    filters = {"ticker": "BOLT", "section": "Item 2"}
    for mode in ("hybrid", "dense", "bm25"):
        hits = hybrid.search(
            ["cybersecurity incident data breach"], k=3, filters=filters, mode=mode
        )[0]
        assert all(h.chunk.doc_id == "bolt-10q-2025q2" for h in hits)
        assert all(h.chunk.section_path[1].startswith("Item 2") for h in hits)
        if mode != "bm25":
            assert len(hits) == 3  # dense always ranks every allowed chunk
    with pytest.raises(QueryError, match="no document has fiscal_year 1999"):
        hybrid.search(["revenue"], k=3, filters={"fiscal_year": 1999})
    assert hybrid.search(["revenue"], k=3, filters={"fiscal_year": {">": 2030}}) == [[]]
    with pytest.raises(QueryError, match="unknown filter"):
        hybrid.search(["revenue"], k=3, filters={"year": 2024})


def test_bad_inputs_and_k_capping(hybrid: HybridIndex, embedder: Embedder) -> None:
    with pytest.raises(QueryError):
        hybrid.search([""], k=3)
    with pytest.raises(QueryError):
        hybrid.search(["revenue"], k=0)
    for mode in ("hybrid", "dense"):
        assert len(hybrid.search(["revenue"], k=500, mode=mode)[0]) == len(hybrid)
    with pytest.raises(IndexStateError, match="empty"):
        HybridIndex(BM25Index(), DenseIndex(embedder)).search(["revenue"], k=3)


def test_concurrent_searches_equal_serial(hybrid: HybridIndex) -> None:
    queries = [
        "fuel price exposure",
        "goodwill impairment",
        "lease term",
        "asbestos lawsuits",
        "cash from operations",
        "internal control effective",
    ] * 2
    serial = [_ids(hybrid.search_one(q, 5)) for q in queries]
    with ThreadPoolExecutor(max_workers=4) as pool:
        threaded = list(pool.map(lambda q: _ids(hybrid.search_one(q, 5)), queries))
    assert threaded == serial


def test_add_delete_without_reencoding(embedder: Embedder, chunks: list[Chunk]) -> None:
    acme = [c for c in chunks if c.doc_id.startswith("acme")]
    bolt = [c for c in chunks if c.doc_id.startswith("bolt")]
    index = HybridIndex.build(acme, model=embedder)
    index.add(bolt)
    full = HybridIndex.build(chunks, model=embedder)
    q = ["diesel fuel hedging", "beryllium supplier"]
    assert [_ids(r) for r in index.search(q, 5)] == [_ids(r) for r in full.search(q, 5)]
    before = index.dense.vectors[: len(acme)].copy()
    calls = []
    original = embedder.encode_raw
    embedder.encode_raw = lambda texts, *a, **kw: (
        calls.append(len(texts)) or original(texts, *a, **kw)
    )  # type: ignore[method-assign]
    try:
        assert index.delete("bolt-10q-2025q2") == len(bolt)
    finally:
        del embedder.encode_raw
    assert calls == []  # deleting re-encodes nothing
    assert np.array_equal(index.dense.vectors, before)
    assert {h.chunk.doc_id for h in index.search(["fuel"], 10)[0]} == {"acme-10k-2024"}


@pytest.mark.parametrize("index_type", ["flat", "hnsw"])
def test_save_load_round_trip(
    embedder: Embedder, chunks: list[Chunk], tmp_path: Path, index_type: str
) -> None:
    index = HybridIndex.build(chunks, model=embedder, index_type=index_type)
    path = index.save(tmp_path / "h")
    manifest = (path / "manifest.json").read_text()
    assert '"model": "all-MiniLM-L6-v2"' in manifest and f'"dim": {embedder.dim}' in manifest
    loaded = HybridIndex.load(path, embedder=embedder)
    assert loaded.dense.index_type == index_type
    assert isinstance(loaded.dense.vectors, np.memmap)
    q = ["weighted-average remaining lease term", "carloads of grain"]
    for mode in ("hybrid", "dense", "bm25"):
        assert [_ids(r) for r in loaded.search(q, 5, mode=mode)] == [
            _ids(r) for r in index.search(q, 5, mode=mode)
        ]
    (committed_folder(path) / "dense" / "embeddings.npy").write_bytes(b"\x93NUMPY garbage")
    with pytest.raises(IndexFormatError, match="embeddings.npy is corrupt"):
        HybridIndex.load(path, embedder=embedder)


@pytest.mark.data
def test_real_filing_text(embedder: Embedder, sec_filings_dir: Path) -> None:
    """Paragraphs stripped from a real 10-K: the right passages come back on both sides."""
    from lxml import html as lxml_html

    raw = (sec_filings_dir / "ko-10k-fy2024.htm").read_bytes()
    tree = lxml_html.fromstring(raw)
    paras = [re.sub(r"\s+", " ", el.text_content()).strip() for el in tree.iter("div", "p")]
    paras = list(dict.fromkeys(p for p in paras if 200 <= len(p) <= 900))[:60]
    assert len(paras) >= 40
    chunks = [
        Chunk(
            id=f"ko-{i}",
            doc_id="ko-10k-fy2024",
            text=p,
            metadata={"ticker": "KO", "form_type": "10-K", "fiscal_year": 2024},
        )
        for i, p in enumerate(paras)
    ]
    index = HybridIndex.build(chunks, model=embedder)
    for i in (3, 17, 31):
        words = paras[i].split()
        query = " ".join(words[5:17])
        assert index.search([query], 3, mode="bm25")[0][0].chunk_id == f"ko-{i}"
        assert f"ko-{i}" in _ids(index.search([query], 5, mode="dense")[0])
        assert f"ko-{i}" in _ids(index.search([query], 3)[0])
    with pytest.raises(QueryError, match="no document has ticker PEP"):
        index.search(["bottling"], 3, filters={"ticker": "PEP"})


def test_int8_query_encoder_agrees_with_float_and_ignores_batching(
    embedder: Embedder, hybrid: HybridIndex
) -> None:
    """The torch int8 query encoder: close to float, batch-independent, same top hit."""
    float32 = Embedder(cache=False, backend="torch")
    quick = Embedder(cache=False, query_int8=True, backend="torch")
    quick._model = float32.model  # share the float weights; the int8 copy is made from them
    queries = [f"How many people work at the company? variant {i}" for i in range(12)]
    one = np.vstack([quick.encode_queries([q]) for q in queries[:3]])
    many = Embedder(cache=False, query_int8=True, backend="torch")
    many._model = float32.model
    batched = many.encode_queries(queries)  # > SMALL_BATCH: still the int8 encoder
    assert np.allclose(one, batched[:3], atol=1e-5)
    exact = float32.encode_queries(queries)
    cosine = np.sum(exact * batched, axis=1)
    assert np.all(cosine > 0.9) and not np.allclose(exact, batched, atol=1e-6)
    assert quick._query_model is not None and quick._query_model is not float32.model
    q = "How many people work at the company?"
    fast = DenseIndex(quick)
    fast.add_vectors(hybrid.dense.chunks, hybrid.dense.vectors)
    assert "12,407 full-time employees" in fast.search([q], k=3)[0][0].chunk.text


@pytest.mark.parametrize("method", ["rrf", "convex", "combsum", "combmnz", "dbsf"])
def test_row_fusion_matches_the_fusion_module(hybrid: HybridIndex, method: str) -> None:
    """The index fuses (rows, scores) arrays with the same core as `ragkit.fusion.fuse` over
    Hits: identical ranks, scores, ties and `scores` for every method and weighting."""
    from ragkit.fusion import fuse

    queries = [
        "What interest rate applies to revolving credit borrowings?",
        "How many people work at the company?",
        "goodwill impairment",
    ]
    for weights in (None, [0.7, 0.3]):
        hybrid.fusion, hybrid.weights = method, weights
        try:
            fast = hybrid.search(queries, k=8, depth=20)
            sparse, dense = hybrid.search_both(queries, 20)
        finally:
            hybrid.fusion, hybrid.weights = "rrf", None
        for got, s, d in zip(fast, sparse, dense, strict=True):
            want = fuse([s, d], method, weights)[:8]
            assert [h.chunk_id for h in got] == [h.chunk_id for h in want]
            assert [h.score for h in got] == [h.score for h in want]
            assert [h.scores for h in got] == [h.scores for h in want]
            assert all(h.chunk is not None and h.source == method for h in got)


def test_unknown_fusion_parameters_are_refused() -> None:
    with pytest.raises(ConfigError, match="unknown parameters"):
        HybridIndex(fusion="rrf", fusion_params={"norm": "minmax"})


def test_clear_query_caches_forgets_recent_queries(embedder: Embedder) -> None:
    from ragkit.indexes.embeddings import clear_query_caches

    embedder.encode_queries(["Which segment grew fastest?"])
    assert embedder._query_lru
    clear_query_caches()
    assert not embedder._query_lru
