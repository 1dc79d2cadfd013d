"""Small, real, deterministic retrievers for the benchmark tests (no models).

`TermOverlapRetriever` ranks chunks by how many distinct query terms they contain;
`TrigramRetriever` by character-trigram overlap (a different notion of similarity, standing
in for a dense retriever); `TracedHybrid` runs both to a candidate depth, fuses them with
reciprocal rank fusion, keeps `fused_k`, and records every stage in a `Trace`, as
`HybridPipeline` does.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from ragkit.errors import QueryError
from ragkit.types import Chunk, Hit, Trace

_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    "a an and the of in on for to what was were is are how by from that with as at its it "
    "this which did does do".split()
)


def terms(text: str) -> set[str]:
    """Lowercased word terms without stop words."""
    return {t for t in _WORD.findall(text.lower()) if t not in _STOP}


def trigrams(text: str) -> set[str]:
    """Character trigrams of the lowercased, space-joined words."""
    s = " ".join(_WORD.findall(text.lower()))
    return {s[i : i + 3] for i in range(max(len(s) - 2, 0))}


class _ScoringRetriever:
    name = "base"

    def __init__(self, chunks: Sequence[Chunk]) -> None:
        self.chunks = list(chunks)
        self.by_id = {c.id: c for c in self.chunks}

    def score(self, query: str, chunk: Chunk) -> float:
        raise NotImplementedError

    def search(
        self, queries: Sequence[str], k: int, filters: Mapping[str, Any] | None = None
    ) -> list[list[Hit]]:
        if k <= 0:
            raise QueryError(f"k must be > 0, got {k}")
        allowed = None
        if filters:
            unknown = set(filters) - {"doc_id"}
            if unknown:
                raise QueryError(f"unknown filter keys {sorted(unknown)}")
            value = filters["doc_id"]
            allowed = {value} if isinstance(value, str) else set(value)
        out = []
        for query in queries:
            if not query.strip():
                raise QueryError("empty query")
            scored = [
                (self.score(query, c), c)
                for c in self.chunks
                if allowed is None or c.doc_id in allowed
            ]
            scored = [(s, c) for s, c in scored if s > 0]
            scored.sort(key=lambda sc: (-sc[0], sc[1].id))
            out.append(
                [
                    Hit(c.id, s, rank, self.name, c, {self.name: s})
                    for rank, (s, c) in enumerate(scored[:k], start=1)
                ]
            )
        return out


class TermOverlapRetriever(_ScoringRetriever):
    """Score = number of distinct query terms in the chunk's search text."""

    name = "bm25"

    def score(self, query: str, chunk: Chunk) -> float:
        return float(len(terms(query) & terms(chunk.search_text)))


class TrigramRetriever(_ScoringRetriever):
    """Score = Jaccard overlap of character trigrams (query vs chunk)."""

    name = "dense"

    def score(self, query: str, chunk: Chunk) -> float:
        q, c = trigrams(query), trigrams(chunk.search_text)
        return len(q & c) / len(q | c) if q and c else 0.0


class TracedHybrid:
    """Sparse + 'dense' candidates to `depth`, RRF (k=60) fusion, top `fused_k` kept; records
    a Trace per query in `last_traces`."""

    def __init__(self, chunks: Sequence[Chunk], depth: int = 5, fused_k: int = 3) -> None:
        self.sparse = TermOverlapRetriever(chunks)
        self.dense = TrigramRetriever(chunks)
        self.depth = depth
        self.fused_k = fused_k
        self.last_traces: list[Trace] = []

    def search(
        self, queries: Sequence[str], k: int, filters: Mapping[str, Any] | None = None
    ) -> list[list[Hit]]:
        self.last_traces = []
        out = []
        for query in queries:
            trace = Trace(query)
            t0 = time.perf_counter()
            sparse = self.sparse.search([query], self.depth, filters)[0]
            trace.add("bm25", (time.perf_counter() - t0) * 1000, 0, sparse, depth=self.depth)
            t0 = time.perf_counter()
            dense = self.dense.search([query], self.depth, filters)[0]
            trace.add("dense", (time.perf_counter() - t0) * 1000, 0, dense, depth=self.depth)
            t0 = time.perf_counter()
            fused: dict[str, float] = {}
            chunks: dict[str, Chunk] = {}
            for run in (sparse, dense):
                for hit in run:
                    fused[hit.chunk_id] = fused.get(hit.chunk_id, 0.0) + 1 / (60 + hit.rank)
                    assert hit.chunk is not None
                    chunks[hit.chunk_id] = hit.chunk
            order = sorted(fused, key=lambda cid: (-fused[cid], cid))[: min(k, self.fused_k)]
            hits = [
                Hit(cid, fused[cid], rank, "rrf", chunks[cid], {"rrf": fused[cid]})
                for rank, cid in enumerate(order, start=1)
            ]
            trace.add("fusion", (time.perf_counter() - t0) * 1000, len(fused), hits)
            self.last_traces.append(trace)
            out.append(hits)
        return out


@pytest.fixture()
def filing_chunks() -> list[Chunk]:
    """Passages of two small 10-Q-like filings (realistic wording, known facts)."""

    def chunk(doc: str, i: int, path: tuple[str, ...], text: str) -> Chunk:
        return Chunk(
            id=f"{doc}-{i}",
            doc_id=doc,
            text=text,
            section_path=path,
            position=i,
            metadata={"source_name": f"{doc}.htm"},
        )

    ko = "ko-10q-2025q2"
    ba = "ba-10q-2025q2"
    return [
        chunk(
            ko,
            0,
            ("Part I", "Item 1", "Note 17 — Operating Segments"),
            "Operating income (loss) was reduced by $31 million for Latin America due to the "
            "impairment of a trademark. Refer to Note 16.",
        ),
        chunk(
            ko,
            1,
            ("Part I", "Item 1", "Note 16 — Fair Value Measurements"),
            "This charge was recorded in the line item other operating charges in our "
            "consolidated statements of income. The remaining carrying value of the "
            "trademark is $55 million.",
        ),
        chunk(
            ko,
            2,
            ("Part I", "Item 2", "Liquidity"),
            "The decrease was primarily driven by $6,069 million of the $6,173 million final "
            "milestone payment for fairlife, which was recorded in operating activities.",
        ),
        chunk(
            ko,
            3,
            ("Part I", "Item 2", "Liquidity", "Financing"),
            "Other financing activities included $104 million of the $6,173 million final "
            "milestone payment for fairlife.",
        ),
        chunk(
            ba,
            0,
            ("Part I", "Item 1", "Note 1"),
            "Restricted cash & cash equivalents includes $689 placed in escrow pursuant to "
            "the May 2025 non-prosecution agreement. See Note 12.",
        ),
        chunk(
            ba,
            1,
            ("Part I", "Item 1", "Note 12 — Legal Proceedings"),
            "The escrow consists of a $244 fine and a $445 compensation fund for the "
            "families of those who died in the 737 MAX accidents.",
        ),
        chunk(
            ba,
            2,
            ("Part I", "Item 2", "Commercial Airplanes"),
            "Commercial Airplanes delivered 150 airplanes in the quarter, and backlog "
            "included over 5,900 airplanes valued at $522 billion.",
        ),
    ]
