"""BM25Index: both backends, bad inputs, filters, add/delete statistics, persistence, threads."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from ragkit.errors import ConfigError, IndexFormatError, IndexStateError, QueryError
from ragkit.indexes import BM25Index
from ragkit.types import Chunk

from .conftest import scifact_docs


def _ids(hits: list) -> list[str]:
    return [h.chunk_id for h in hits]


@pytest.mark.parametrize("backend", ["bm25s", "rank_bm25"])
def test_finds_the_passage_and_carries_chunks(backend: str, chunks: list[Chunk]) -> None:
    index = BM25Index(backend=backend)
    index.add(chunks)
    hits = index.search(["revolving credit facility SOFR"], k=3)[0]
    assert hits[0].chunk.text.startswith("The revolving credit facility")
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
    assert hits[0].source == "bm25" and hits[0].scores["bm25"] == hits[0].score
    # the section path is indexed too: a query naming only the section finds it
    assert index.search(["Unresolved Staff Comments"], k=1)[0][0].chunk.text == "None."


def test_bad_inputs(chunks: list[Chunk]) -> None:
    index = BM25Index()
    with pytest.raises(IndexStateError, match="empty"):
        index.search(["revenue"], k=5)
    index.add(chunks)
    with pytest.raises(QueryError, match="empty"):
        index.search([""], k=5)
    with pytest.raises(QueryError, match="empty"):
        index.search(["   "], k=5)
    for bad_k in (0, -3):
        with pytest.raises(QueryError, match="positive"):
            index.search(["revenue"], k=bad_k)
    with pytest.raises(QueryError, match="unknown filter"):
        index.search(["revenue"], k=5, filters={"sector": "rail"})
    with pytest.raises(QueryError, match="list of queries"):
        index.search("revenue", k=5)  # type: ignore[arg-type]
    assert index.search(["the of and"], k=5) == [[]]  # only stop words: no term to match
    assert index.search(["zyzzyva"], k=5) == [[]]  # unknown term
    assert index.search([], k=5) == []


def test_k_larger_than_corpus_is_capped(chunks: list[Chunk]) -> None:
    index = BM25Index()
    index.add(chunks)
    hits = index.search(["revenue operating cash fuel interest"], k=1000)[0]
    assert 0 < len(hits) <= len(chunks)
    assert len({h.chunk_id for h in hits}) == len(hits)


def test_filters_apply_inside_retrieval(chunks: list[Chunk]) -> None:
    index = BM25Index()
    index.add(chunks)
    # "revenue" matches both filings; only BOLT passes the filter, yet results come back
    hits = index.search(["revenue billion"], k=5, filters={"ticker": "bolt"})[0]
    assert hits and all(h.chunk.doc_id == "bolt-10q-2025q2" for h in hits)
    assert index.search(["revenue"], k=5, filters={"fiscal_year": "2024"})[0][0].chunk.doc_id == (
        "acme-10k-2024"
    )
    in_item8 = index.search(["interest"], k=10, filters={"section": "Item 8"})[0]
    assert in_item8 and all(h.chunk.section_path[1].startswith("Item 8") for h in in_item8)
    # "Item 1" is not "Item 1A" or "Item 1B"
    item1 = index.search(
        ["risk supplier none"],
        k=10,
        filters={"section": "Part I > Item 1", "doc_id": "acme-10k-2024"},
    )[0]
    assert all(h.chunk.section_path[1].startswith("Item 1.") for h in item1)
    assert index.search(["revenue"], k=5, filters={"form_type": ["10-K", "10-Q"], "cik": 987654})[0]
    with pytest.raises(QueryError, match="no document has ticker NOPE"):
        index.search(["revenue"], k=5, filters={"ticker": "NOPE"})


def test_add_and_delete_keep_statistics_exact(chunks: list[Chunk]) -> None:
    acme = [c for c in chunks if c.doc_id.startswith("acme")]
    bolt = [c for c in chunks if c.doc_id.startswith("bolt")]
    grown = BM25Index()
    grown.add(acme)
    grown.add(bolt)
    fresh = BM25Index()
    fresh.add(chunks)
    queries = ["revenue billion", "interest rate SOFR", "credit losses CECL"]
    for a, b in zip(grown.search(queries, 5), fresh.search(queries, 5), strict=True):
        assert [(h.chunk_id, round(h.score, 5)) for h in a] == [
            (h.chunk_id, round(h.score, 5)) for h in b
        ]
    assert grown.delete("bolt-10q-2025q2") == len(bolt)
    only = BM25Index()
    only.add(acme)
    for a, b in zip(grown.search(queries, 5), only.search(queries, 5), strict=True):
        assert [(h.chunk_id, round(h.score, 5)) for h in a] == [
            (h.chunk_id, round(h.score, 5)) for h in b
        ]
    assert grown.delete(["no-such-doc"]) == 0
    with pytest.raises(ConfigError, match="already in the index"):
        grown.add(acme[:1])


@pytest.mark.parametrize("backend", ["bm25s", "rank_bm25"])
def test_save_load_round_trip(backend: str, chunks: list[Chunk], tmp_path: Path) -> None:
    index = BM25Index(backend=backend, variant="bm25plus", k1=1.5, b=0.6, delta=1.0)
    index.add(chunks)
    index.save(tmp_path / "bm25")
    loaded = BM25Index.load(tmp_path / "bm25")
    assert loaded.params() == index.params()
    q = ["lease liabilities $45.2 million", "weather floods"]
    assert [[(h.chunk_id, h.score) for h in r] for r in loaded.search(q, 4)] == [
        [(h.chunk_id, h.score) for h in r] for r in index.search(q, 4)
    ]
    loaded.add([Chunk(id="new", doc_id="x", text="Floods closed the line for a week.")])
    assert "new" in _ids(loaded.search(["floods"], 3)[0])
    with pytest.raises(IndexFormatError, match="BM25Index"):
        from ragkit.indexes import DenseIndex

        DenseIndex.load(tmp_path / "bm25")


def test_concurrent_searches_equal_serial(chunks: list[Chunk]) -> None:
    index = BM25Index()
    index.add(chunks)
    queries = [c.text[:40] for c in chunks] * 3
    serial = [_ids(index.search_one(q, 5)) for q in queries]
    with ThreadPoolExecutor(max_workers=6) as pool:
        threaded = list(pool.map(lambda q: _ids(index.search_one(q, 5)), queries))
    assert threaded == serial


def test_bad_parameters_are_rejected() -> None:
    with pytest.raises(ConfigError, match="backend"):
        BM25Index(backend="lucene")
    with pytest.raises(ConfigError, match="variant"):
        BM25Index(backend="rank_bm25", variant="lucene")
    with pytest.raises(ConfigError, match="b must"):
        BM25Index(b=1.5)


@pytest.mark.data
@pytest.mark.parametrize("variant", ["okapi", "bm25plus"])
def test_backends_rank_alike_on_real_text(variant: str, scifact_dir: Path) -> None:
    docs = scifact_docs(scifact_dir, 800)
    chunks = [Chunk(id=i, doc_id=i, text=t) for i, t in docs]
    fast, ref = BM25Index(variant=variant), BM25Index(backend="rank_bm25", variant=variant)
    fast.add(chunks)
    ref.add(chunks)
    # queries: the first sentence of every 20th document's abstract
    queries = [t.split(". ")[1][:120] for _, t in docs[::20] if t.count(". ") > 1]
    agree = []
    for a, b in zip(fast.search(queries, 10), ref.search(queries, 10), strict=True):
        sa, sb = {h.chunk_id: h.score for h in a}, {h.chunk_id: h.score for h in b}
        if variant == "bm25plus":  # identical formulas: identical scores
            assert sa.keys() == sb.keys()
            for cid in sa:
                assert sa[cid] == pytest.approx(sb[cid], rel=1e-4)
        assert a[0].chunk_id == b[0].chunk_id or a[0].score == pytest.approx(a[1].score)
        agree.append(len(sa.keys() & sb.keys()) / max(len(sa), 1))
    assert sum(agree) / len(agree) >= 0.9
