"""Both chunkers on the parsed synthetic filings (10-K, 10-Q HTML, paged text, Markdown)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ragkit.chunkers import HierarchicalChunker, NaiveChunker, TokenCounter, resolve_reference
from ragkit.parsers import load_document
from ragkit.types import Chunk, Document
from tests.synthetic import FACTS_10K, FACTS_10Q, FACTS_TEXT, write_synthetic_corpus

from .invariants import check_tables, check_token_limit, check_within_sections


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Document]:
    files = write_synthetic_corpus(tmp_path_factory.mktemp("synthetic"))
    return {kind: load_document(path) for kind, path in files.items()}


def _holding(chunks: list[Chunk], needle: str) -> Chunk:
    found = [c for c in chunks if needle in c.text]
    assert found, f"no chunk holds {needle!r}"
    return found[0]


@pytest.mark.parametrize("kind", ["10k", "10q", "text", "markdown"])
@pytest.mark.parametrize("max_tokens", [96, 256])
def test_invariants(
    corpus: dict[str, Document], tokenizer: TokenCounter, kind: str, max_tokens: int
) -> None:
    doc = corpus[kind]
    chunks = HierarchicalChunker(max_tokens, 16, tokenizer=tokenizer).chunk(doc)
    assert chunks
    check_within_sections(doc, chunks)
    check_token_limit(chunks, tokenizer, max_tokens)
    check_tables(doc, chunks, tokenizer, max_tokens)


def test_10k_long_table_split_by_rows(
    corpus: dict[str, Document], chunker: HierarchicalChunker
) -> None:
    doc = corpus["10k"]
    chunks = chunker.chunk(doc)
    assert check_tables(doc, chunks, chunker.tokenizer) >= 1
    pieces = [c for c in chunks if str(FACTS_10K["long_table_caption"]) in c.text]
    assert len(pieces) >= 3
    assert all(p.section_path[-1].startswith("Note 3") for p in pieces)
    rows = [
        line
        for p in pieces
        for line in p.text.split("\n")
        if " Series " in line or line.startswith("Total |")
    ]
    assert len(rows) == len(set(rows)) == FACTS_10K["long_table_rows"]  # 79 lines + Total
    assert str(FACTS_10K["long_table_first_row"]) in pieces[0].text
    assert str(FACTS_10K["long_table_total_row"]) in pieces[-1].text
    for note in (FACTS_10K["footnote_1"], FACTS_10K["footnote_2"]):
        assert sum(str(note) in p.text for p in pieces) == 1


def test_10k_intro_sentence_with_table(
    corpus: dict[str, Document], chunker: HierarchicalChunker
) -> None:
    chunk = _holding(chunker.chunk(corpus["10k"]), str(FACTS_10K["results_row"]))
    assert str(FACTS_10K["table_intro"]) in chunk.text
    assert chunk.text.index(str(FACTS_10K["table_intro"])) < chunk.text.index("Total revenues")
    assert chunk.kind in ("table", "mixed")


def _target(doc: Document, label: str) -> str:
    section = resolve_reference(doc, label)
    assert section is not None, label
    return section.id


def test_10k_references_resolve(corpus: dict[str, Document], chunker: HierarchicalChunker) -> None:
    doc = corpus["10k"]
    chunks = chunker.chunk(doc)
    note12 = _target(doc, "Note 12")
    assert doc.section(note12).title.startswith("Note 12")  # type: ignore[union-attr]
    see = _holding(chunks, str(FACTS_10K["see_note_sentence"]))
    assert note12 in see.links
    refer = _holding(chunks, str(FACTS_10K["refer_note_sentence"]))
    assert _target(doc, "Note 7") in refer.links
    assert doc.section(_target(doc, "Note 7")).number == "7"  # type: ignore[union-attr]
    item7a = _target(doc, "Part II, Item 7A")
    assert doc.section(item7a).kind == "item"  # type: ignore[union-attr]
    assert item7a in _holding(chunks, "see Part II, Item 7A").links
    refs = [r for c in chunks for r in c.metadata["references"]]
    assert refs and all(r["target"] is not None for r in refs)


def test_10q_references_resolve(corpus: dict[str, Document], chunker: HierarchicalChunker) -> None:
    doc = corpus["10q"]
    chunks = chunker.chunk(doc)
    see = _holding(chunks, str(FACTS_10Q["see_note_sentence"]))
    note5 = _target(doc, "Note 5")
    assert note5 in see.links
    # Part I Item 1 and Part II Item 1 are different sections
    assert _target(doc, "Part I, Item 1") != _target(doc, "Part II, Item 1")
    assert chunks[0].metadata["form_type"] == "10-Q"


def test_text_pages(corpus: dict[str, Document], chunker: HierarchicalChunker) -> None:
    doc = corpus["text"]
    chunks = chunker.chunk(doc)
    for phrase, page in FACTS_TEXT["pages"].items():  # type: ignore[union-attr]
        chunk = _holding(chunks, phrase)
        assert chunk.page_start is not None and chunk.page_end is not None
        assert chunk.page_start <= page <= chunk.page_end, (phrase, chunk.page_start)
    naive = NaiveChunker(64, 8, tokenizer=chunker.tokenizer).chunk(doc)
    for phrase, page in FACTS_TEXT["pages"].items():  # type: ignore[union-attr]
        chunk = _holding(naive, phrase)
        assert chunk.page_start is not None and chunk.page_end is not None
        assert chunk.page_start <= page <= chunk.page_end, (phrase, chunk.page_start)


def test_same_ids_across_runs(tmp_path: Path, tokenizer: TokenCounter) -> None:
    first = write_synthetic_corpus(tmp_path / "a")
    second = write_synthetic_corpus(tmp_path / "b")
    for kind in ("10k", "text"):
        a = HierarchicalChunker(tokenizer=tokenizer).chunk(load_document(first[kind]))
        b = HierarchicalChunker(tokenizer=tokenizer).chunk(load_document(second[kind]))
        assert [c.id for c in a] == [c.id for c in b]
