"""Fixtures for the index tests: realistic filing passages as chunks, one shared embedder."""

from __future__ import annotations

from pathlib import Path

import pytest

from ragkit.indexes import Embedder, EmbeddingCache
from ragkit.types import Chunk

#: (doc_id, metadata, section path, text): short passages in the voice of real 10-K/10-Q filings.
PASSAGES: list[tuple[str, dict[str, object], tuple[str, ...], str]] = []

_ACME = {
    "form_type": "10-K",
    "fiscal_year": 2024,
    "fiscal_period": "FY",
    "ticker": "ACME",
    "cik": "0000123456",
    "company": "Acme Widgets, Inc.",
}
_BOLT = {
    "form_type": "10-Q",
    "fiscal_year": 2025,
    "fiscal_period": "Q2",
    "ticker": "BOLT",
    "cik": "0000987654",
    "company": "Bolt Railways Corp.",
}

_ACME_TEXT = [
    (
        ("Part I", "Item 1. Business"),
        "Acme designs precision flux capacitors for 1,842 industrial customers in 31 countries.",
    ),
    (
        ("Part I", "Item 1. Business", "Human Capital"),
        "As of December 31, 2024, we employed approximately 12,407 full-time employees.",
    ),
    (
        ("Part I", "Item 1A. Risk Factors"),
        "A single supplier in Norway provides 61% of our beryllium housings; a disruption "
        "could materially harm our results of operations.",
    ),
    (
        ("Part I", "Item 1A. Risk Factors"),
        "Cybersecurity incidents could disrupt our manufacturing systems and expose customer data.",
    ),
    (("Part I", "Item 1B. Unresolved Staff Comments"), "None."),
    (
        ("Part II", "Item 7. Management's Discussion and Analysis", "Results of Operations"),
        "Total revenues increased 12% to $45.2 million, driven by higher service volume.",
    ),
    (
        (
            "Part II",
            "Item 7. Management's Discussion and Analysis",
            "Liquidity and Capital Resources",
        ),
        "We held cash, cash equivalents and marketable securities of $4,318 million at year end.",
    ),
    (
        ("Part II", "Item 7. Management's Discussion and Analysis", "Non-GAAP Measures"),
        "Adjusted EBITDA was $1.2 billion, compared with $1.1 billion in the prior year.",
    ),
    (
        ("Part II", "Item 7A. Quantitative and Qualitative Disclosures About Market Risk"),
        "A hypothetical 100 basis point increase in interest rates would raise annual interest "
        "expense by $3.4 million on our floating-rate term loan.",
    ),
    (
        (
            "Part II",
            "Item 8. Financial Statements",
            "Note 1. Summary of Significant Accounting Policies",
        ),
        "Revenue is recognized under ASC 606 when control of the promised goods transfers to the "
        "customer, in an amount reflecting the consideration we expect to receive.",
    ),
    (
        ("Part II", "Item 8. Financial Statements", "Note 5. Goodwill"),
        "Goodwill is tested for impairment annually in the fourth quarter; no impairment was "
        "recorded in 2024.",
    ),
    (
        ("Part II", "Item 8. Financial Statements", "Note 7. Debt"),
        "The revolving credit facility provides borrowing capacity of $500 million and matures "
        "in 2029; borrowings bear interest at SOFR plus 1.25%.",
    ),
    (
        ("Part II", "Item 8. Financial Statements", "Note 12. Leases"),
        "Operating lease liabilities totaled $45,200 thousand, with a weighted-average remaining "
        "lease term of 6.2 years.",
    ),
    (
        ("Part II", "Item 9A. Controls and Procedures"),
        "Management concluded that our internal control over financial reporting was effective.",
    ),
]
_BOLT_TEXT = [
    (
        ("Part I", "Item 1. Financial Statements", "Note 3. Allowance for Credit Losses"),
        "We estimate expected credit losses on receivables under CECL; the allowance was "
        "45,200,000 at June 30, 2025.",
    ),
    (
        ("Part I", "Item 2. Management's Discussion and Analysis", "Operating Results"),
        "Freight revenue rose to $6.1 billion as carloads of grain and coal increased.",
    ),
    (
        ("Part I", "Item 2. Management's Discussion and Analysis", "Operating Results"),
        "The operating ratio improved 150 basis points to 59.8% on lower fuel prices.",
    ),
    (
        ("Part I", "Item 2. Management's Discussion and Analysis", "Liquidity"),
        "Cash provided by operating activities was $4.3 billion for the six months.",
    ),
    (
        ("Part I", "Item 3. Quantitative and Qualitative Disclosures About Market Risk"),
        "Diesel fuel price swings are our largest commodity exposure; we do not hedge fuel.",
    ),
    (
        ("Part II", "Item 1A. Risk Factors"),
        "Severe weather, including floods and hurricanes, can interrupt rail service across our "
        "network.",
    ),
    (
        ("Part II", "Item 1. Legal Proceedings"),
        "We are defendants in lawsuits alleging exposure to asbestos by former employees.",
    ),
    (
        ("Part II", "Item 6. Exhibits"),
        "Exhibit 31.1 contains the certification of the chief executive officer.",
    ),
]


def make_chunks() -> list[Chunk]:
    """Chunks of two synthetic filings (ACME 10-K FY2024, BOLT 10-Q Q2 2025)."""
    chunks = []
    for doc_id, meta, rows in (
        ("acme-10k-2024", _ACME, _ACME_TEXT),
        ("bolt-10q-2025q2", _BOLT, _BOLT_TEXT),
    ):
        for pos, (path, text) in enumerate(rows):
            chunks.append(
                Chunk(
                    id=f"{doc_id}-{pos:03d}",
                    doc_id=doc_id,
                    text=text,
                    section_path=path,
                    page_start=pos // 3,
                    page_end=pos // 3,
                    metadata=dict(meta),
                    position=pos,
                )
            )
    return chunks


@pytest.fixture()
def chunks() -> list[Chunk]:
    """Fresh chunks of the two synthetic filings."""
    return make_chunks()


@pytest.fixture(scope="session")
def embed_cache(tmp_path_factory: pytest.TempPathFactory) -> EmbeddingCache:
    """An embedding cache private to this test session."""
    return EmbeddingCache(tmp_path_factory.mktemp("emb") / "embeddings.sqlite")


@pytest.fixture(scope="session")
def embedder(embed_cache: EmbeddingCache) -> Embedder:
    """The packaged MiniLM, loaded once per session, caching into the session cache."""
    emb = Embedder(cache=embed_cache)
    _ = emb.model
    return emb


def scifact_docs(folder: Path, n: int) -> list[tuple[str, str]]:
    """The first n (doc id, title + text) of the SciFact corpus."""
    import json

    out = []
    with (folder / "corpus.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            d = json.loads(line)
            out.append((str(d["_id"]), f"{d.get('title', '')} {d.get('text', '')}".strip()))
            if len(out) >= n:
                break
    return out
