"""The baseline chunker: fixed token windows over the whole text, blind to structure.

Kept so the benchmark can show what structure-aware chunking buys: windows cut through
sections and tables, and carry no section path.
"""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Sequence
from typing import Any, overload

from ragkit.chunkers.common import TokenBudget, base_metadata, link_references, statement_of
from ragkit.chunkers.references import SectionIndex
from ragkit.chunkers.text_units import text_segments
from ragkit.chunkers.tokenizer import TokenCounter
from ragkit.types import Chunk, Document, Section, stable_id


def document_text_with_pages(doc: Document) -> tuple[str, list[tuple[int, int, int]]]:
    """The document's text (as `Document.text` lays it out) and `(start, end, page)` spans.

    A span is recorded for every block whose page is known, so character offsets can be
    mapped back to pages.
    """
    pieces: list[str] = []
    spans: list[tuple[int, int, int]] = []
    pos = 0

    def add(text: str, page: int | None) -> None:
        nonlocal pos
        if not text:
            return
        if pieces:
            pieces.append("\n\n")
            pos += 2
        pieces.append(text)
        if page is not None:
            spans.append((pos, pos + len(text), page))
        pos += len(text)

    def visit(section: Section, with_title: bool) -> None:
        if with_title and section.title:
            add(section.title, section.page_start)
        for block in section.blocks:
            add(block.visible_text, block.page)
        for child in section.children:
            visit(child, True)

    visit(doc.root, False)
    return "".join(pieces), spans


class NaiveChunker(TokenBudget):
    """Fixed windows of `max_tokens` model tokens (special tokens included), `overlap_tokens` apart.

    Window edges are moved to the nearest word boundary (at most a few tokens) so that the
    window's text re-tokenizes to the same count and never exceeds `max_tokens`.
    The section path is empty and `kind` is always "prose"; pages come from the blocks that a
    window overlaps. Cross-references are still resolved into `links`.
    """

    name = "naive"

    def __init__(
        self,
        max_tokens: int = 256,
        overlap_tokens: int = 32,
        tokenizer: TokenCounter | str | None = None,
    ) -> None:
        super().__init__(max_tokens, overlap_tokens, tokenizer, min_tokens=8)

    def __repr__(self) -> str:
        return f"NaiveChunker(max_tokens={self.max_tokens}, overlap_tokens={self.overlap_tokens})"

    def chunk(self, doc: Document) -> list[Chunk]:
        """Token windows over the document's whole text, in order."""
        tok = self.tokenizer
        text, page_spans = document_text_with_pages(doc)
        offsets = token_offsets(tok, text)
        window = self.max_tokens - tok.n_special
        ranges = word_windows(text, offsets, window, min(self.overlap_tokens, window // 2))
        index = SectionIndex(doc)
        meta = base_metadata(doc)
        chunks: list[Chunk] = []
        starts = [s for s, _, _ in page_spans]
        for position, (ta, tb) in enumerate(ranges):
            a, b = offsets[ta][0], offsets[tb - 1][1]
            body = text[a:b]
            pages = _pages_between(page_spans, starts, a, b)
            links, references = link_references(index, body, None)
            metadata: dict[str, Any] = dict(meta)
            metadata["references"] = references
            page_start, page_end = (min(pages), max(pages)) if pages else (None, None)
            statement = statement_of(doc, page_start, page_end)
            if statement:
                metadata["statement"] = statement
            chunks.append(
                Chunk(
                    id=stable_id(doc.id, "", position, body),
                    doc_id=doc.id,
                    text=body,
                    kind="prose",
                    page_start=page_start,
                    page_end=page_end,
                    metadata=metadata,
                    links=links,
                    position=position,
                    n_tokens=tb - ta + tok.n_special,
                )
            )
        return chunks

    def chunk_many(self, docs: Sequence[Document]) -> list[Chunk]:
        """The chunks of several documents, one after the other."""
        return [c for doc in docs for c in self.chunk(doc)]


class TokenOffsets(Sequence[tuple[int, int]]):
    """The character spans of a text's tokens held in two integer arrays (16 bytes a token,
    not a list of tuples and a whole-text encoding)."""

    def __init__(self) -> None:
        self.starts = array("q")
        self.ends = array("q")

    def __len__(self) -> int:
        return len(self.starts)

    @overload
    def __getitem__(self, i: int) -> tuple[int, int]: ...

    @overload
    def __getitem__(self, i: slice) -> list[tuple[int, int]]: ...

    def __getitem__(self, i: int | slice) -> tuple[int, int] | list[tuple[int, int]]:
        if isinstance(i, slice):
            return list(zip(self.starts[i], self.ends[i], strict=True))
        return self.starts[i], self.ends[i]


def token_offsets(tok: TokenCounter, text: str) -> TokenOffsets:
    """Every token's character span in `text`, tokenized segment by segment (cut before
    whitespace, so the tokens are the whole text's) in batches: memory stays linear and small."""
    out = TokenOffsets()
    segments = text_segments(text, _SEGMENT_CHARS)
    for first in range(0, len(segments), _SEGMENT_BATCH):
        batch = segments[first : first + _SEGMENT_BATCH]
        encodings = tok.encode_batch([text[a:b] for a, b in batch])
        for (a, _), enc in zip(batch, encodings, strict=True):
            for start, end in enc.offsets:
                out.starts.append(a + start)
                out.ends.append(a + end)
    return out


#: Characters tokenized per segment, and segments per batch, by `token_offsets`.
_SEGMENT_CHARS = 20_000
_SEGMENT_BATCH = 16


def word_windows(
    text: str, offsets: Sequence[tuple[int, int]], window: int, overlap: int
) -> list[tuple[int, int]]:
    """Token ranges of at most `window` tokens, `overlap` apart, snapped to whole words.

    Windows do not start or end inside a word (a word longer than a window is the exception),
    so re-tokenizing a window's text gives back exactly its token count.
    """
    n = len(offsets)
    starts_word = [o[0] == 0 or text[o[0] - 1].isspace() for o in offsets]
    ranges: list[tuple[int, int]] = []
    start = 0
    while start < n:
        end = min(start + window, n)
        if end < n:
            cut = end
            while cut > start + 1 and not starts_word[cut]:
                cut -= 1
            if starts_word[cut] and cut > start:
                end = cut
        ranges.append((start, end))
        if end == n:
            break
        nxt = max(end - overlap, start + 1)
        while nxt < end and not starts_word[nxt]:
            nxt += 1
        start = nxt
    return ranges


def _pages_between(
    page_spans: Sequence[tuple[int, int, int]], starts: Sequence[int], a: int, b: int
) -> list[int]:
    i = max(bisect.bisect_right(starts, a) - 1, 0)
    pages = []
    while i < len(page_spans) and page_spans[i][0] < b:
        s, e, p = page_spans[i]
        if e > a:
            pages.append(p)
        i += 1
    return pages
