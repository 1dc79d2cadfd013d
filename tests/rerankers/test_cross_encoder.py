"""The cross-encoder reranker on a real model (MiniLM with a seeded, untrained head)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ragkit.errors import ConfigError, QueryError
from ragkit.rerankers import Reranker, get_reranker
from ragkit.rerankers.cross_encoder import CrossEncoderReranker
from ragkit.types import Chunk, Hit

TEXTS = [
    "Total net revenue increased 8% to $4.2 billion, driven by subscription growth.",
    "The Company leases office space in Austin, Texas under operating leases.",
    "Long-term debt consists of senior notes due 2029 with a 4.5% coupon; see Note 12.",
    "Risk factors include competition, supply chain disruption and cybersecurity threats.",
]


def hits(source: str = "rrf") -> list[Hit]:
    out = []
    for i, text in enumerate(TEXTS, start=1):
        chunk = Chunk(id=f"c{i}", doc_id="acme-10k", text=text, section_path=("Item 7",))
        out.append(Hit(f"c{i}", 1.0 / i, i, source, chunk, {"bm25": 10.0 - i}))
    return out


pytestmark = pytest.mark.slow


def test_reranks_with_real_model_keeping_earlier_scores(cross_encoder_dir: Path) -> None:
    reranker = get_reranker(f"cross-encoder:{cross_encoder_dir}", batch_size=2)
    assert isinstance(reranker, Reranker)
    out = reranker.rerank("What was total revenue?", hits(), k=3)
    assert len(out) == 3
    assert [h.rank for h in out] == [1, 2, 3]
    assert all(h.source == "cross-encoder" for h in out)
    keys = [(-h.score, h.chunk_id) for h in out]
    assert keys == sorted(keys)
    for h in out:
        original = next(x for x in hits() if x.chunk_id == h.chunk_id)
        assert h.scores["rrf"] == original.score
        assert h.scores["bm25"] == original.scores["bm25"]
        assert h.scores["cross-encoder"] == h.score
        assert h.chunk is not None


def test_scores_match_direct_model_and_batches_agree(cross_encoder_dir: Path) -> None:
    small = CrossEncoderReranker(cross_encoder_dir, batch_size=1)
    big = CrossEncoderReranker(cross_encoder_dir, batch_size=64)
    query = "senior notes interest rate"
    direct = small.score_pairs([(query, h.chunk.search_text) for h in hits()])  # type: ignore[union-attr]
    assert len(set(round(s, 6) for s in direct)) > 1  # the head does distinguish texts
    by_id = {h.chunk_id: h.score for h in big.rerank(query, hits())}
    assert [by_id[f"c{i}"] for i in range(1, 5)] == pytest.approx(direct, abs=1e-5)


def test_rerank_many_equals_single_calls(cross_encoder_dir: Path) -> None:
    reranker = CrossEncoderReranker(cross_encoder_dir)
    queries = ["revenue growth", "office leases"]
    many = reranker.rerank_many(queries, [hits(), hits()[:2]], k=2)
    single = [
        reranker.rerank(q, h, k=2) for q, h in zip(queries, [hits(), hits()[:2]], strict=True)
    ]
    assert [[x.chunk_id for x in r] for r in many] == [[x.chunk_id for x in r] for r in single]


def test_errors(cross_encoder_dir: Path, tmp_path: Path) -> None:
    reranker = CrossEncoderReranker(cross_encoder_dir)
    bare = [Hit("x", 1.0, 1, "bm25")]
    with pytest.raises(QueryError, match="carries no chunk"):
        reranker.rerank("q", bare)
    with pytest.raises(QueryError, match="positive int"):
        reranker.rerank("q", hits(), k=0)
    with pytest.raises(QueryError, match="non-empty query"):
        reranker.rerank("  ", hits())
    assert reranker.rerank("q", [], k=5) == []
    with pytest.raises(ConfigError, match="cannot load cross-encoder"):
        CrossEncoderReranker(tmp_path / "missing").rerank("q", hits())
    with pytest.raises(ConfigError, match="batch_size"):
        CrossEncoderReranker(cross_encoder_dir, batch_size=0)


def test_registry_errors() -> None:
    with pytest.raises(ConfigError, match="unknown reranker 'colbert'"):
        get_reranker("colbert:foo")
    with pytest.raises(ConfigError, match="needs a model"):
        get_reranker("cross-encoder")
    assert [h.chunk_id for h in get_reranker("none").rerank("q", hits(), 2)] == ["c1", "c2"]
