"""HierarchicalChunker on documents built from ragkit.types (independent of the parsers)."""

from __future__ import annotations

import pytest

from ragkit.chunkers import HierarchicalChunker, TokenCounter, get_chunker
from ragkit.errors import ConfigError
from ragkit.types import Block, Chunk, Document

from .builders import FOOTNOTES, INTRO, LIQUIDITY, LONG_INTRO, filing, paged, section
from .invariants import check_tables, check_token_limit, check_within_sections


def _in(chunks: list[Chunk], needle: str) -> list[Chunk]:
    return [c for c in chunks if needle in c.text]


def test_structural_invariants(chunker: HierarchicalChunker, tokenizer: TokenCounter) -> None:
    doc = filing()
    chunks = chunker.chunk(doc)
    check_within_sections(doc, chunks)
    assert check_token_limit(chunks, tokenizer, 256) == 0
    assert check_tables(doc, chunks, tokenizer) == 1  # the 80-row revenue table
    assert [c.position for c in chunks] == list(range(len(chunks)))


@pytest.mark.parametrize("max_tokens", [64, 128, 512])
def test_limits_hold_for_other_sizes(tokenizer: TokenCounter, max_tokens: int) -> None:
    doc = filing()
    chunks = HierarchicalChunker(max_tokens, 16, tokenizer=tokenizer).chunk(doc)
    check_within_sections(doc, chunks)
    check_token_limit(chunks, tokenizer, max_tokens)
    check_tables(doc, chunks, tokenizer, max_tokens)


def test_search_text_carries_path(chunker: HierarchicalChunker) -> None:
    chunk = _in(chunker.chunk(filing()), "beryllium")[0]
    assert chunk.section_path == ("Part I", "Item 1A. Risk Factors")
    assert chunk.search_text.startswith("Part I > Item 1A. Risk Factors\n")


def test_small_blocks_packed_and_kind(chunker: HierarchicalChunker) -> None:
    chunks = chunker.chunk(filing())
    results = [c for c in chunks if c.section_path[-1:] == ("Results of Operations",)]
    # prose, intro, small table and the closing sentence fit in one chunk: kind mixed
    assert len(results) == 1
    assert results[0].kind == "mixed"
    assert "Net revenues increased 6%" in results[0].text
    assert "Total revenues | $ 97,690 | $ 96,773 | $ 81,462" in results[0].text
    assert results[0].text.index(INTRO) < results[0].text.index("Total revenues")
    note12 = [c for c in chunks if c.section_path[-1:] == ("Note 12 — Leases",)]
    assert len(note12) == 1 and note12[0].kind == "prose"


def test_long_prose_split_at_sentences_with_overlap(chunker: HierarchicalChunker) -> None:
    chunks = [
        c
        for c in chunker.chunk(filing())
        if c.section_path[-1:] == ("Liquidity and Capital Resources",)
    ]
    pieces = [c for c in chunks if "In quarter" in c.text]
    assert len(pieces) >= 3
    for piece in pieces:
        # every piece starts at a sentence start and ends at a sentence end
        assert piece.text.startswith("In quarter"), piece.text[:60]
        body = piece.text.split("\n\n")[0]
        assert body.endswith("facilities."), body[-60:]
        assert body in LIQUIDITY
    for prev, nxt in zip(pieces, pieces[1:], strict=False):
        first_sentence = nxt.text.split(". ")[0]
        assert first_sentence in prev.text  # overlap of one sentence (< 32 tokens)


def test_oversized_table_split_between_rows_with_headers(
    chunker: HierarchicalChunker, tokenizer: TokenCounter
) -> None:
    chunks = [c for c in chunker.chunk(filing()) if "Flux Capacitor Series" in c.text]
    assert len(chunks) >= 3
    rows_seen: list[str] = []
    for c in chunks:
        assert c.kind == "table"
        lines = c.text.split("\n")
        assert "Disaggregation of revenue by product line (in millions)" in lines
        assert "Year Ended December 31," in lines and "(in millions) | 2024 | 2023 | 2022" in lines
        body = [line for line in lines if line.startswith(("Flux", "Total"))]
        for line in body:  # never split by column: every row has all three periods
            assert line.count("|") == 3, line
        rows_seen.extend(body)
    assert len(rows_seen) == 81 and len(set(rows_seen)) == 81
    # the introducing sentence stays with the first piece only
    assert LONG_INTRO in chunks[0].text and all(LONG_INTRO not in c.text for c in chunks[1:])
    # footnotes follow the rows that carry their marker
    with_1 = [c for c in chunks if "Flux Capacitor Series 3 (1)" in c.text][0]
    with_2 = [c for c in chunks if "Flux Capacitor Series 71 (2)" in c.text][0]
    assert FOOTNOTES[0] in with_1.text and FOOTNOTES[1] in with_2.text
    assert sum(FOOTNOTES[0] in c.text for c in chunks) == 1


def test_intro_sentence_moves_with_table(tokenizer: TokenCounter) -> None:
    long_para = (
        " ".join(
            f"Sentence {i} explains pricing actions in the Americas segment." for i in range(40)
        )
        + " The following table presents segment results:"
    )
    rows = (("", "2024", "2023"),) + tuple(
        (f"Segment {i}", f"$ {i}", f"$ {i + 1}") for i in range(12)
    )
    sec = section(
        "Segments",
        ("Item 7", "Segments"),
        blocks=(Block("paragraph", long_para), Block.table(rows, header_rows=1)),
    )
    root = section("", (), "document", children=(sec,))
    doc = Document("seg", "seg.htm", root, {})
    chunks = HierarchicalChunker(128, 16, tokenizer=tokenizer).chunk(doc)
    check_within_sections(doc, chunks)
    table_chunks = [c for c in chunks if "Segment 0 | $ 0 | $ 1" in c.text]
    assert len(table_chunks) == 1
    assert table_chunks[0].text.startswith("The following table presents segment results:")
    others = [c for c in chunks if c is not table_chunks[0]]
    assert all("The following table" not in c.text for c in others)


def test_row_longer_than_a_chunk_is_cut_at_sentences(tokenizer: TokenCounter) -> None:
    huge = " ".join(
        f"Sentence {i} of the audit matter describes a tax position." for i in range(30)
    )
    rows = (("Matter", "Description"), ("Alpha", "short"), ("Beta", huge), ("Gamma", "short"))
    sec = section("Exhibits", ("Item 15",), "item", "15", (Block.table(rows, header_rows=1),))
    doc = Document("ex", "ex.htm", section("", (), "document", children=(sec,)), {})
    chunks = HierarchicalChunker(64, 8, tokenizer=tokenizer).chunk(doc)
    check_within_sections(doc, chunks)
    assert check_token_limit(chunks, tokenizer, 64) >= 4  # every chunk fits, row pieces flagged
    pieces = [c for c in chunks if c.metadata.get("split_row")]
    for piece in pieces:
        assert piece.text.startswith("Matter | Description\n")
        row_part = piece.text.split("\n\n")[0]
        assert row_part.endswith("tax position.")  # cut at sentence ends
    joined = " ".join(p.text.split("\n", 1)[1] for p in pieces)
    assert all(f"Sentence {i} of" in joined for i in range(30))
    assert "Alpha | short" in chunks[0].text and "Gamma | short" in chunks[-1].text


def test_pages_from_blocks(chunker: HierarchicalChunker) -> None:
    chunks = HierarchicalChunker(64, 8, tokenizer=chunker.tokenizer).chunk(paged())
    assert len(chunks) > 3
    for c in chunks:
        pages = {int(line.split()[1]) for line in c.text.split("\n\n")}
        assert (c.page_start, c.page_end) == (min(pages), max(pages))


def test_references_become_links(chunker: HierarchicalChunker) -> None:
    doc = filing()
    ids = {s.path[-1]: s.id for s in doc.sections()}
    chunks = chunker.chunk(doc)
    results = _in(chunks, "See Note 12")[0]
    assert ids["Note 12 — Leases"] in results.links
    assert ids["Note 1 — Summary of Significant Accounting Policies"] in results.links
    assert ids["Item 8. Financial Statements and Supplementary Data"] in results.links
    refs = {r["label"]: r["target"] for r in results.metadata["references"]}
    assert refs["Note 12"] == ids["Note 12 — Leases"]
    liq = _in(chunks, "refer to Note 7")[0]
    assert liq.links == (ids["Note 7 — Debt"], ids["Item 1A. Risk Factors"])
    debt = _in(chunks, "Senior Notes due 2031")[0]
    assert debt.links == (
        ids["Note 1 — Summary of Significant Accounting Policies"],
        ids["Note 12 — Leases"],
    )


def test_metadata_copied(chunker: HierarchicalChunker) -> None:
    doc = filing()
    for c in chunker.chunk(doc):
        assert c.doc_id == "acme-10k"
        assert c.metadata["ticker"] == "ACME" and c.metadata["fiscal_year"] == 2024
        assert c.metadata["source_name"] == "acme-10k.htm"
        assert "format" not in c.metadata and isinstance(c.metadata["references"], list)


def test_ids_deterministic(tokenizer: TokenCounter) -> None:
    a = HierarchicalChunker(tokenizer=tokenizer).chunk(filing())
    b = HierarchicalChunker(tokenizer=tokenizer).chunk(filing())
    assert [c.id for c in a] == [c.id for c in b]
    assert len({c.id for c in a}) == len(a)
    assert a == b


def test_empty_and_root_blocks(chunker: HierarchicalChunker) -> None:
    root = section("", (), "document", blocks=(Block("paragraph", "Cover page."),))
    chunks = chunker.chunk(Document("d", "d.txt", root, {}))
    assert [c.text for c in chunks] == ["Cover page."]
    assert chunks[0].section_path == () and chunks[0].search_text == "Cover page."
    assert chunker.chunk(Document("e", "e.txt", section("", (), "document"), {})) == []


def test_bad_parameters() -> None:
    with pytest.raises(ConfigError, match="max_tokens"):
        HierarchicalChunker(max_tokens=8)
    with pytest.raises(ConfigError, match="overlap_tokens"):
        HierarchicalChunker(max_tokens=64, overlap_tokens=40)
    with pytest.raises(ConfigError, match="unknown chunker 'fancy'"):
        get_chunker("fancy")
    with pytest.raises(ConfigError, match="invalid parameters"):
        get_chunker("naive", size=3)
    assert isinstance(get_chunker("hierarchical", max_tokens=128), HierarchicalChunker)
