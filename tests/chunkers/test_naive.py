"""NaiveChunker: fixed token windows with overlap over the whole text."""

from __future__ import annotations

import pytest

from ragkit.chunkers import NaiveChunker, TokenCounter
from ragkit.chunkers.naive import document_text_with_pages
from ragkit.errors import ConfigError

from .builders import FOOTNOTES, filing, paged


def test_windows_and_overlap(tokenizer: TokenCounter) -> None:
    doc = filing()
    text, _ = document_text_with_pages(doc)
    offsets = tokenizer.offsets(text)
    chunks = NaiveChunker(64, 16, tokenizer=tokenizer).chunk(doc)
    window = 64 - tokenizer.n_special
    assert len(chunks) >= len(offsets) // window + 1
    pos = 0
    for c in chunks:
        assert c.n_tokens == tokenizer.count(c.text) + tokenizer.n_special <= 64
        assert c.n_tokens >= 64 - 8 or c is chunks[-1]  # full windows, bar word snapping
        assert c.section_path == () and c.search_text == c.text and c.kind == "prose"
        start = text.index(c.text, max(pos - 200, 0))  # windows are slices of the text, in order
        assert start >= pos - 200
        pos = start + len(c.text)
    assert text.rstrip().endswith(chunks[-1].text.rstrip())
    for prev, nxt in zip(chunks, chunks[1:], strict=False):
        tail = [o[0] for o in tokenizer.offsets(prev.text)[-16:]]
        # the next window starts inside the last 16 tokens of the previous one
        assert any(nxt.text.startswith(prev.text[t:]) for t in tail)
    # windows cross section boundaries: the baseline ignores structure
    assert any("Item 7" in c.text and "Risk" in c.text for c in chunks)
    # it reads what is on the page, a table's footnotes included, like the structured chunker
    assert all(any(note in c.text for c in chunks) for note in FOOTNOTES)


def test_pages_and_metadata(tokenizer: TokenCounter) -> None:
    chunks = NaiveChunker(48, 8, tokenizer=tokenizer).chunk(paged())
    for c in chunks:
        pages = {int(w.split()[1]) for w in c.text.split("\n\n") if w.startswith("Page ")}
        if pages:
            assert c.page_start is not None and c.page_end is not None
            assert c.page_start <= min(pages) and max(pages) <= c.page_end
        assert c.metadata["source_name"] == "paged.txt"
    doc = filing()
    chunks = NaiveChunker(tokenizer=tokenizer).chunk(doc)
    assert chunks[0].metadata["ticker"] == "ACME"
    assert any(c.links for c in chunks)
    assert [c.id for c in chunks] == [c.id for c in NaiveChunker(tokenizer=tokenizer).chunk(doc)]


def test_bad_parameters() -> None:
    with pytest.raises(ConfigError, match="max_tokens"):
        NaiveChunker(max_tokens=0)
    with pytest.raises(ConfigError, match="overlap_tokens"):
        NaiveChunker(max_tokens=64, overlap_tokens=64)
