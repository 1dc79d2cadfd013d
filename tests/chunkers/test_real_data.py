"""The chunkers on the real shared data: 17 EDGAR filings and FinanceBench text (skip if absent)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ragkit.chunkers import HierarchicalChunker, NaiveChunker, TokenCounter
from ragkit.parsers import load_document
from ragkit.types import Chunk

from .invariants import check_tables, check_token_limit, check_within_sections

pytestmark = [pytest.mark.slow, pytest.mark.data]

#: Share of cross-references found in the real filings that must resolve to a section.
MIN_RESOLVED = 0.9


def test_real_filings_invariants_and_references(
    sec_filings_dir: Path, chunker: HierarchicalChunker, tokenizer: TokenCounter
) -> None:
    found = resolved = split_tables = 0
    files = sorted(sec_filings_dir.glob("*.htm"))
    assert len(files) == 17
    for path in files:
        doc = load_document(path)
        chunks = chunker.chunk(doc)
        assert len(chunks) > 50, path.name
        check_within_sections(doc, chunks)
        check_token_limit(chunks, tokenizer, chunker.max_tokens)
        split_tables += check_tables(doc, chunks, tokenizer, chunker.max_tokens)
        section_ids = {s.id for s in doc.root.walk()}
        for chunk in chunks:
            assert set(chunk.links) <= section_ids
            for ref in chunk.metadata["references"]:
                found += 1
                resolved += ref["target"] is not None
        assert chunks[0].metadata["source_name"] == path.name
        assert chunks[0].metadata["form_type"] in ("10-K", "10-Q")
    assert split_tables > 100  # the filings hold many tables larger than one chunk
    assert found > 1000
    assert resolved / found >= MIN_RESOLVED, f"{resolved}/{found} references resolved"


def test_real_note_reference_targets(sec_filings_dir: Path, chunker: HierarchicalChunker) -> None:
    """Coca-Cola writes "refer to Note N of Notes to ..."; each resolves to note N."""
    doc = load_document(sec_filings_dir / "ko-10k-fy2024.htm")
    chunks = chunker.chunk(doc)
    checked = 0
    for chunk in chunks:
        for m in re.finditer(r"[Rr]efer to Note (\d+) of Notes", chunk.text):
            target = [
                r["target"]
                for r in chunk.metadata["references"]
                if r["label"] == f"Note {m.group(1)}"
            ]
            assert target and target[0] is not None
            section = doc.section(target[0])
            assert section is not None and section.kind == "note"
            assert section.number == m.group(1)
            checked += 1
    assert checked >= 40


def _terms(text: str) -> set[str]:
    """Words of 4+ letters and multi-digit numbers: robust to the two PDF extractions' layouts."""
    return set(re.findall(r"[a-z]{4,}|\d[\d,.]*\d", text.lower()))


def _best_chunk(chunks: list[Chunk], evidence: str) -> tuple[Chunk | None, int]:
    target = _terms(evidence)
    best, best_score = None, 0
    for chunk in chunks:
        score = len(target & _terms(chunk.text))
        if score > best_score:
            best, best_score = chunk, score
    return best, best_score


def test_financebench_evidence_pages(financebench_dir: Path, tokenizer: TokenCounter) -> None:
    """The chunk carrying most of an evidence passage spans the evidence page."""
    rows = [json.loads(line) for line in (financebench_dir / "financebench_dev.jsonl").open()]
    cases = []
    for row in rows:
        for ev in row["evidence"]:
            path = financebench_dir / "text" / f"{ev['doc_name']}.txt"
            if path.exists() and len(_terms(ev["evidence_text"])) >= 8:
                cases.append((path, ev["evidence_text"], int(ev["evidence_page_num"])))
    cases = cases[:24]
    assert len(cases) >= 10
    docs: dict[Path, list[Chunk]] = {}
    naive_docs: dict[Path, list[Chunk]] = {}
    hits = naive_hits = 0
    for path, evidence, page in cases:
        if path not in docs:
            doc = load_document(path)
            docs[path] = HierarchicalChunker(tokenizer=tokenizer).chunk(doc)
            naive_docs[path] = NaiveChunker(tokenizer=tokenizer).chunk(doc)
        chunk, score = _best_chunk(docs[path], evidence)
        assert chunk is not None and score >= 4, (path.name, evidence[:80])
        assert chunk.page_start is not None and chunk.page_end is not None
        hits += chunk.page_start <= page <= chunk.page_end
        chunk, _ = _best_chunk(naive_docs[path], evidence)
        assert chunk is not None and chunk.page_start is not None and chunk.page_end is not None
        naive_hits += chunk.page_start <= page <= chunk.page_end
    # misses seen are matching artefacts: the same figures repeated on a summary page
    assert hits >= 0.8 * len(cases), f"{hits}/{len(cases)} evidence pages in the chunk span"
    assert naive_hits >= 0.8 * len(cases), f"naive: {naive_hits}/{len(cases)}"
