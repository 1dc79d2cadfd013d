"""Load: many threads searching one loaded index at once, and the pipeline with a reranker.

8 threads × N searches on one index loaded from disk — hybrid (BM25 + dense + fusion), each
side alone, filtered, and the routed pipeline — then 8 threads × M searches of a pipeline
with a cross-encoder reranker (the packaged MiniLM with a seeded head). No error, no
deadlock (every thread joins within its limit), and every result identical to the one a
single thread got for the same request; throughput is printed. CI runs 8 × 100 (reranker
8 × 3 over 5 queries: a cross-encoder pass is ~0.1-3 s on 2 shared cores); `-m soak` runs
8 × 2,000 (reranker 8 × 250).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ragkit.indexes import Embedder, HybridIndex
from ragkit.pipeline import HybridPipeline
from ragkit.types import Chunk, Hit
from tests.indexes.conftest import make_chunks
from tests.rerankers.models import seeded_cross_encoder_dir

THREADS = 8
COMPANIES = {
    "CBLT": "Cobalt Mining Ltd.",
    "DLTA": "Delta Freightways Inc.",
    "EMBR": "Ember Utilities Co.",
}
TOPICS = [
    "revenue increased on higher volumes and pricing",
    "operating margin declined as fuel and labor costs rose",
    "the revolving credit facility matures in 2029 at SOFR plus 1.5%",
    "goodwill impairment testing found no impairment",
    "capital expenditures of $1.2 billion for fleet renewal",
    "the pension plan was 92% funded at year end",
    "cybersecurity incidents could disrupt operations",
    "lease liabilities and weighted-average remaining lease term",
]
QUERIES = [
    "What was Acme's revenue growth in 2024?",
    "Bolt Railways operating ratio fuel prices",
    "Cobalt Mining credit facility maturity",
    "Delta Freightways capital expenditures fleet",
    "Ember Utilities pension funding",
    "goodwill impairment test",
    "How many employees does Acme have?",
    "cybersecurity risk factors",
    "lease term weighted average",
    "Which company hedges diesel fuel?",
]


def corpus() -> list[Chunk]:
    """The two filings of the index tests plus three more companies' filings (~60 chunks)."""
    chunks = make_chunks()
    for ticker, company in COMPANIES.items():
        doc = f"{ticker.lower()}-10k-2024"
        for i, topic in enumerate(TOPICS):
            chunks.append(
                Chunk(
                    id=f"{doc}-{i:03d}",
                    doc_id=doc,
                    text=f"{company} reported that {topic} in fiscal 2024 (note {i + 1}).",
                    section_path=("Part II", "Item 7. MD&A"),
                    metadata={
                        "ticker": ticker,
                        "company": company,
                        "form_type": "10-K",
                        "fiscal_year": 2024,
                    },
                )
            )
    return chunks


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> HybridIndex:
    embedder = Embedder(cache=False)
    folder = HybridIndex.build(corpus(), model=embedder).save(
        tmp_path_factory.mktemp("load") / "idx"
    )
    return HybridIndex.load(folder, embedder=embedder)


def _key(hits: list[Hit]) -> list[tuple[str, float]]:
    return [(h.chunk_id, round(float(h.score), 5)) for h in hits]


def _requests(index: HybridIndex, pipeline: HybridPipeline) -> list[Callable[[str], Any]]:
    """The kinds of search a thread makes, each a function of the query."""
    return [
        lambda q: _key(index.search([q], k=10)[0]),
        lambda q: _key(index.search([q], k=5, mode="bm25")[0]),
        lambda q: _key(index.search([q], k=5, mode="dense")[0]),
        lambda q: _key(index.search([q], k=5, filters={"ticker": ["ACME", "CBLT"]})[0]),
        lambda q: _key(pipeline.search([q], k=10)[0]),
    ]


def _hammer(
    requests: list[Callable[[str], Any]], per_thread: int, queries: list[str] = QUERIES
) -> tuple[float, int]:
    """Single-threaded expected answers, then THREADS threads × `per_thread` requests each
    compared with them; returns (requests per second under load, requests made)."""
    work = [(r, q) for r in range(len(requests)) for q in range(len(queries))]
    expected = {(r, q): requests[r](queries[q]) for r, q in work}
    errors: list[str] = []
    done = [0] * THREADS

    def worker(t: int) -> None:
        for i in range(per_thread):
            r, q = work[(t * 7 + i) % len(work)]
            try:
                got = requests[r](queries[q])
            except Exception as exc:  # noqa: BLE001 - every error is a failure, counted
                errors.append(f"{type(exc).__name__}: {exc}")
                continue
            if got != expected[(r, q)]:
                errors.append(f"request {r} query {q!r}: {got[:3]} != {expected[(r, q)][:3]}")
            done[t] += 1

    threads = [threading.Thread(target=worker, args=(t,), daemon=True) for t in range(THREADS)]
    start = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=1800)
    elapsed = time.perf_counter() - start
    assert not any(th.is_alive() for th in threads), "deadlock: a search thread never finished"
    assert errors == [], (len(errors), errors[:5])
    assert sum(done) == THREADS * per_thread
    return sum(done) / elapsed, sum(done)


def _pipeline(index: HybridIndex, reranker_dir: Path | None = None) -> HybridPipeline:
    config: dict[str, Any] = {
        "routing": {"enabled": True, "min_chunks": 4},  # narrow to the company named
        "fusion": {"method": "rrf"},
    }
    if reranker_dir is not None:
        config["reranker"] = {"spec": f"cross-encoder:{reranker_dir}", "depth": 20}
    return HybridPipeline.from_index(index, config)


@pytest.mark.parametrize(
    "per_thread", [100, pytest.param(2000, marks=pytest.mark.soak, id="soak-2000")]
)
def test_threads_searching_one_index_agree_with_one_thread(
    loaded: HybridIndex, per_thread: int
) -> None:
    rate, n = _hammer(_requests(loaded, _pipeline(loaded)), per_thread)
    print(f"\nindex + routed pipeline: {n} searches by {THREADS} threads, {rate:.0f}/s, 0 errors")


@pytest.mark.parametrize(
    "per_thread", [3, pytest.param(250, marks=pytest.mark.soak, id="soak-250")]
)
def test_threads_searching_a_reranking_pipeline_agree_with_one_thread(
    loaded: HybridIndex, per_thread: int, tmp_path_factory: pytest.TempPathFactory
) -> None:
    pipeline = _pipeline(loaded, seeded_cross_encoder_dir(tmp_path_factory.mktemp("ce")))
    rerank = [lambda q: _key(pipeline.search([q], k=10)[0])]
    rate, n = _hammer(rerank, per_thread, QUERIES if per_thread > 3 else QUERIES[:5])
    print(f"\nreranking pipeline: {n} searches by {THREADS} threads, {rate:.1f}/s, 0 errors")
