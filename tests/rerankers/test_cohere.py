"""Cohere Rerank through the SDK against a local server speaking the v2 rerank protocol."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from ragkit.errors import (
    AuthenticationError,
    ConfigError,
    ProviderError,
    ProviderTimeoutError,
    RateLimitError,
)
from ragkit.rerankers import CostLedger, IdentityReranker, get_reranker
from ragkit.rerankers.cohere import CohereReranker, split_words
from ragkit.types import Chunk, Hit
from tests.http_fakes import FakeAPIServer, Reply

KEY = "co-test-secret-42"
TEXTS = {
    "rev": "Total net revenue increased 8% to $4.2 billion driven by subscriptions.",
    "lease": "The Company leases office space in Austin, Texas.",
    "debt": "Senior notes due 2029 carry a 4.5% coupon; see Note 12 for debt maturities.",
    "risk": "Competition and cybersecurity threats are principal risk factors.",
}


def hits() -> list[Hit]:
    return [
        Hit(cid, 1.0 / i, i, "rrf", Chunk(id=cid, doc_id="acme", text=t), {"bm25": float(i)})
        for i, (cid, t) in enumerate(TEXTS.items(), start=1)
    ]


@pytest.fixture()
def server() -> Iterator[FakeAPIServer]:
    with FakeAPIServer(api_key=KEY) as srv:
        yield srv


def make(server: FakeAPIServer, **kw: object) -> CohereReranker:
    params: dict = {"api_key": KEY, "base_url": server.url, "backoff": 0.01, "timeout": 2.0}
    return CohereReranker(**(params | kw))


def test_success_orders_by_relevance_and_records_cost(server: FakeAPIServer) -> None:
    reranker = make(server)
    out = reranker.rerank("senior notes coupon debt maturities", hits(), k=2)
    assert [h.chunk_id for h in out] == ["debt", "lease"]  # zero-score tie broken by id
    assert out[0].source == "cohere" and out[0].rank == 1
    assert out[0].scores["rrf"] == pytest.approx(1 / 3) and out[0].scores["bm25"] == 3.0
    sent = server.requests_to("/v2/rerank")[0].json
    assert sent["model"] == "rerank-v3.5"
    assert len(sent["documents"]) == 4
    summary = reranker.ledger.summary()
    assert summary["calls"] == 1 and summary["search_units"] == 1 and summary["documents"] == 4
    assert summary["latency_ms"] > 0


def test_long_documents_split_and_merged_by_max(server: FakeAPIServer) -> None:
    filler = " ".join(["boilerplate"] * 60)
    long_text = filler + " senior notes coupon debt maturities"  # relevant part at the end
    many = [Hit("long", 1.0, 1, "rrf", Chunk(id="long", doc_id="d", text=long_text))] + hits()
    reranker = make(server, max_tokens_per_doc=20)  # 15 words per piece
    out = reranker.rerank("senior notes coupon debt maturities", many)
    sent = server.requests_to("/v2/rerank")[0].json["documents"]
    assert len(sent) == 5 + 4  # 65 words → 5 pieces, plus the four short texts
    assert all(len(d.split()) <= 15 for d in sent[:5])
    assert out[0].chunk_id in {"long", "debt"}
    long_hit = next(h for h in out if h.chunk_id == "long")
    assert long_hit.score == pytest.approx(5 / 6)  # the last piece holds all 5 query words


def test_more_candidates_than_one_request_go_in_parallel_batches(server: FakeAPIServer) -> None:
    ledger = CostLedger()
    candidates = [
        Hit(f"c{i}", 0.0, i + 1, "bm25", Chunk(id=f"c{i}", doc_id="d", text=f"note {i} text"))
        for i in range(25)
    ]
    reranker = make(server, max_docs_per_request=10, ledger=ledger)
    out = reranker.rerank("note 7", candidates, k=25)
    assert len(server.requests_to("/v2/rerank")) == 3
    assert sorted(len(r.json["documents"]) for r in server.requests) == [5, 10, 10]
    assert {h.chunk_id for h in out} == {f"c{i}" for i in range(25)}
    assert out[0].chunk_id == "c7"
    assert ledger.summary()["calls"] == 3 and ledger.summary()["documents"] == 25


def test_429_then_success(server: FakeAPIServer) -> None:
    server.script("/v2/rerank", Reply(429, {"message": "too many"}), Reply(502))
    out = make(server).rerank("revenue", hits(), k=1)
    assert out[0].chunk_id == "rev"
    assert len(server.requests) == 3


def test_persistent_500(server: FakeAPIServer) -> None:
    server.script("/v2/rerank", *[Reply(500, {"message": "internal"})] * 3)
    reranker = make(server, max_retries=2)
    with pytest.raises(ProviderError, match="rerank failed after 3 attempt"):
        reranker.rerank("revenue", hits())
    assert reranker.ledger.summary()["failed_calls"] == 1


def test_persistent_429(server: FakeAPIServer) -> None:
    server.script("/v2/rerank", *[Reply(429)] * 2)
    with pytest.raises(RateLimitError):
        make(server, max_retries=1).rerank("revenue", hits())


def test_timeout(server: FakeAPIServer) -> None:
    server.script("/v2/rerank", Reply(200, delay=0.6), Reply(200, delay=0.6))
    with pytest.raises(ProviderTimeoutError):
        make(server, timeout=0.2, max_retries=1).rerank("revenue", hits())


def test_bad_key(server: FakeAPIServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(AuthenticationError, match="HTTP 401") as info:
        make(server, api_key="co-wrong-777").rerank("revenue", hits())
    assert len(server.requests) == 1  # not retried
    assert "co-wrong-777" not in str(info.value) + caplog.text


def test_missing_key(monkeypatch: pytest.MonkeyPatch, server: FakeAPIServer) -> None:
    monkeypatch.delenv("CO_API_KEY", raising=False)
    monkeypatch.delenv("COHERE_API_KEY", raising=False)
    with pytest.raises(AuthenticationError, match="CO_API_KEY"):
        CohereReranker(base_url=server.url).rerank("revenue", hits())
    monkeypatch.setenv("CO_API_KEY", KEY)
    assert get_reranker("cohere:rerank-english-v3.0", base_url=server.url).rerank("q", hits())
    assert server.requests[-1].json["model"] == "rerank-english-v3.0"


def test_fallback_to_local_reranker(server: FakeAPIServer) -> None:
    server.script("/v2/rerank", *[Reply(503)] * 2)
    reranker = make(server, max_retries=1, fallback=IdentityReranker())
    out = reranker.rerank("revenue", hits(), k=2)
    assert [h.chunk_id for h in out] == ["rev", "lease"]
    notes = [e.note for e in reranker.ledger.entries]
    assert "fallback" in notes


def test_split_words_and_validation() -> None:
    assert split_words("a b c d e", 4) == ["a b c", "d e"]
    assert split_words("short", 100) == ["short"]
    with pytest.raises(ConfigError, match="max_docs_per_request"):
        CohereReranker(api_key=KEY, max_docs_per_request=0)


def test_ledger_saves_json_lines(server: FakeAPIServer, tmp_path) -> None:  # type: ignore[no-untyped-def]
    reranker = make(server)
    reranker.rerank("revenue", hits())
    path = reranker.ledger.save(tmp_path / "ledger.jsonl")
    lines = path.read_text().splitlines()
    assert len(lines) == 1 and '"search_units": 1.0' in lines[0]
