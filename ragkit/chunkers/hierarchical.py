"""The default chunker: chunks that follow the section tree and keep tables whole.

Rules (see `HierarchicalChunker`): a chunk never crosses a section boundary; small blocks
of one section are packed together; long prose is cut at sentence boundaries with a small
overlap; tables stay whole when they fit and are otherwise split only between rows, with the
header rows repeated; the sentence introducing a table travels with it; every chunk's
`search_text` (path line + body) fits the embedding model's token limit.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ragkit.chunkers.common import TokenBudget, base_metadata, link_references, statement_of
from ragkit.chunkers.footnotes import footnotes_for, markers_in
from ragkit.chunkers.references import SectionIndex
from ragkit.chunkers.text_units import pack_token_ranges, sentence_spans, text_segments
from ragkit.chunkers.tokenizer import TokenCounter
from ragkit.types import PATH_SEPARATOR, Block, Chunk, ChunkKind, Document, Section, stable_id

logger = logging.getLogger(__name__)

#: Separator between packed blocks inside one chunk.
BLOCK_SEPARATOR = "\n\n"
#: Prose longer than this (characters) is tokenized and cut one segment at a time
#: (`text_segments`), so memory stays bounded however long a paragraph is; no paragraph of a
#: real filing comes near it.
LONG_PROSE_CHARS = 50_000


@dataclass(slots=True)
class _Atom:
    """An indivisible piece of chunk body: a block, a slice of one, or a table piece."""

    text: str
    tokens: int
    kind: str  # "prose" | "table"
    pages: tuple[int, ...]
    split_row: bool = False


def _render_row(row: Sequence[str]) -> str:
    return " | ".join(cell for cell in row if cell)


class HierarchicalChunker(TokenBudget):
    """Section-aware chunker measured in the embedding model's tokens.

    `max_tokens` bounds the whole model input of `Chunk.search_text` (path line + body, and
    the [CLS]/[SEP] special tokens). The default 256 matches all-MiniLM-L6-v2, which
    truncates its input at 256 word pieces: a longer chunk would lose its tail when embedded.
    `overlap_tokens` is the overlap between consecutive pieces of one long prose block (at a
    sentence start when one lies in the overlap, else at a word start).

    Tables: a table that fits stays whole with its caption, header rows and footnotes; a
    larger one is split between rows, the caption and header rows repeated in every piece
    (dropped from the repetition only when they alone take over half the budget) and each
    footnote placed with the piece whose rows carry its marker. Columns are never split. The
    one exception to "rows are never cut": a single row that alone exceeds the limit (prose
    laid out in a table, such as an audit matter or an exhibit description) is cut at
    sentence boundaries like prose, each piece under the repeated header rows; such chunks
    have `metadata["split_row"] = True`. So every chunk fits `max_tokens`.

    `tokenizer` is a `TokenCounter`, a model folder, a tokenizer.json path or a Hugging Face
    tokenizer name; default the packaged all-MiniLM-L6-v2. It is loaded on first use.
    """

    name = "hierarchical"

    def __init__(
        self,
        max_tokens: int = 256,
        overlap_tokens: int = 32,
        tokenizer: TokenCounter | str | None = None,
        pack_blocks: bool = True,
    ) -> None:
        super().__init__(max_tokens, overlap_tokens, tokenizer, min_tokens=32)
        self.pack_blocks = pack_blocks

    def __repr__(self) -> str:
        return (
            f"HierarchicalChunker(max_tokens={self.max_tokens}, "
            f"overlap_tokens={self.overlap_tokens})"
        )

    def chunk(self, doc: Document) -> list[Chunk]:
        """The chunks of `doc`, in document order."""
        return _DocumentChunking(self, doc).run()

    def chunk_many(self, docs: Sequence[Document]) -> list[Chunk]:
        """The chunks of several documents, one after the other."""
        return [c for doc in docs for c in self.chunk(doc)]


class _DocumentChunking:
    """The state of chunking one document (token counts cache, section index)."""

    def __init__(self, chunker: HierarchicalChunker, doc: Document) -> None:
        self.chunker = chunker
        self.doc = doc
        self.tok = chunker.tokenizer
        self.limit = chunker.max_tokens - self.tok.n_special
        self.overlap = chunker.overlap_tokens
        self.counts: dict[str, int] = {}
        self.encodings: dict[str, Any] = {}
        self.index = SectionIndex(doc)
        self.metadata = base_metadata(doc)

    # -- token counts -------------------------------------------------------------------
    def _prefetch(self) -> None:
        """Count every string the chunker will need in one batch call."""
        texts: set[str] = set()
        prose: set[str] = set()
        for section in self.doc.root.walk():
            if section.path:
                texts.add(PATH_SEPARATOR.join(section.path))
            for block in section.blocks:
                if block.kind == "table":
                    if block.rows:
                        texts.update(_render_row(r) for r in block.rows)
                    else:
                        texts.update(block.text.split("\n"))
                    texts.add(block.caption)
                    texts.update(block.footnotes)
                else:
                    prose.add(block.text.strip())
        texts.discard("")
        prose.discard("")
        unique = sorted(texts - prose)
        self.counts = dict(zip(unique, self.tok.count_batch(unique), strict=True))
        # Prose keeps its encodings: long paragraphs are cut at their token offsets. Very
        # long prose is counted segment by segment and never encoded whole.
        long = sorted(t for t in prose if len(t) > LONG_PROSE_CHARS)
        for text in long:
            segments = _segments(text)
            self.counts[text] = sum(
                sum(self.tok.count_batch(segments[i : i + _ENCODE_BATCH // 8]))
                for i in range(0, len(segments), _ENCODE_BATCH // 8)
            )
        ordered = sorted(prose.difference(long))
        for start in range(0, len(ordered), _ENCODE_BATCH):
            batch = ordered[start : start + _ENCODE_BATCH]
            for text, enc in zip(batch, self.tok.encode_batch(batch), strict=True):
                self.counts[text] = len(enc.ids)
                if len(enc.ids) > self.limit // 2:
                    self.encodings[text] = enc
        self.counts[""] = 0

    def count(self, text: str) -> int:
        n = self.counts.get(text)
        if n is None:
            n = self.counts[text] = self.tok.count(text)
        return n

    def count_lines(self, lines: Sequence[str]) -> int:
        return sum(self.count(line) for line in lines if line)

    # -- the document ---------------------------------------------------------------------
    def run(self) -> list[Chunk]:
        self._prefetch()
        chunks: list[Chunk] = []
        for section in self.doc.root.walk():
            if section.blocks:
                self._section(section, chunks)
        return chunks

    def _section(self, section: Section, chunks: list[Chunk]) -> None:
        path_line = PATH_SEPARATOR.join(section.path)
        path_tokens = self.count(path_line)
        budget = max(self.limit - path_tokens, self.chunker.max_tokens // 4)
        if path_tokens and self.limit - path_tokens < budget:
            logger.warning(
                "section path of %d tokens leaves too little room in %s: %r",
                path_tokens,
                self.doc.id,
                path_line[:80],
            )
        atoms = self._atoms(section.blocks, budget)
        groups: list[list[_Atom]] = []
        total = 0
        for atom in atoms:
            sep = 0  # "\n\n" adds no token for whitespace-splitting tokenizers
            if groups and self.chunker.pack_blocks and total + sep + atom.tokens <= budget:
                groups[-1].append(atom)
                total += sep + atom.tokens
            else:
                groups.append([atom])
                total = atom.tokens
        for group in groups:
            self._emit(section, group, path_tokens, chunks)

    def _emit(
        self, section: Section, group: list[_Atom], path_tokens: int, chunks: list[Chunk]
    ) -> None:
        text = BLOCK_SEPARATOR.join(a.text for a in group)
        kinds = {a.kind for a in group}
        kind: ChunkKind = "mixed" if len(kinds) > 1 else ("table" if "table" in kinds else "prose")
        pages = [p for a in group for p in a.pages]
        page_start = min(pages) if pages else section.page_start
        page_end = max(pages) if pages else section.page_end
        position = len(chunks)
        links, references = link_references(self.index, text, section)
        metadata: dict[str, Any] = dict(self.metadata)
        metadata["references"] = references
        if any(a.split_row for a in group):
            metadata["split_row"] = True
        titles = (text.split("\n", 1)[0], *section.path[::-1][:2]) if kind != "prose" else ()
        statement = statement_of(self.doc, page_start, page_end, titles)
        if statement:
            metadata["statement"] = statement
        n_tokens = self.tok.n_special + path_tokens + sum(a.tokens for a in group)
        chunks.append(
            Chunk(
                id=stable_id(self.doc.id, section.id, position, text),
                doc_id=self.doc.id,
                text=text,
                section_path=section.path,
                section_id=section.id,
                kind=kind,
                page_start=page_start,
                page_end=page_end,
                metadata=metadata,
                links=links,
                position=position,
                n_tokens=n_tokens,
            )
        )

    # -- blocks to atoms ------------------------------------------------------------------
    def _atoms(self, blocks: Sequence[Block], budget: int) -> list[_Atom]:
        atoms: list[_Atom] = []
        pending: list[tuple[str, int, int | None]] = []  # glued to the next atom

        def take_pending() -> tuple[list[str], int, tuple[int, ...]]:
            texts = [t for t, _, _ in pending]
            tokens = sum(n for _, n, _ in pending)
            pages = tuple(p for _, _, p in pending if p is not None)
            pending.clear()
            return texts, tokens, pages

        def flush_pending() -> None:
            if pending:
                texts, tokens, pages = take_pending()
                atoms.append(_Atom(BLOCK_SEPARATOR.join(texts), tokens, "prose", pages))

        for i, block in enumerate(blocks):
            if not block.text.strip() and not block.rows:
                continue
            if block.kind == "table":
                prefix = take_pending()
                atoms.extend(self._table_atoms(block, budget, prefix))
                continue
            text = block.text.strip()
            n = self.count(text)
            if block.kind == "heading":
                if sum(t for _, t, _ in pending) + n > budget // 2:
                    flush_pending()
                pending.append((text, n, block.page))
                continue
            next_is_table = i + 1 < len(blocks) and blocks[i + 1].kind == "table"
            if next_is_table:
                body, intro = self._split_intro(text, n, budget)
                if body:
                    prefix = take_pending()
                    atoms.extend(
                        self._prose_atoms(body, self.count(body), block.page, budget, prefix)
                    )
                if sum(t for _, t, _ in pending) + self.count(intro) > budget // 2:
                    flush_pending()
                pending.append((intro, self.count(intro), block.page))
                continue
            prefix = take_pending()
            atoms.extend(self._prose_atoms(text, n, block.page, budget, prefix))
        flush_pending()
        return atoms

    def _split_intro(self, text: str, n: int, budget: int) -> tuple[str, str]:
        """Split a paragraph that precedes a table into (body, intro sentence)."""
        if n <= min(64, budget // 4):
            return "", text
        spans = sentence_spans(text)
        if len(spans) <= 1:
            return (text, "") if n > budget // 3 else ("", text)
        a, b = spans[-1]
        intro = text[a:b].strip()
        if self.count(intro) > budget // 3:
            return text, ""
        return text[:a].strip(), intro

    def _prose_atoms(
        self,
        text: str,
        n: int,
        page: int | None,
        budget: int,
        prefix: tuple[list[str], int, tuple[int, ...]],
    ) -> list[_Atom]:
        pre_texts, pre_tokens, pre_pages = prefix
        pages = pre_pages + ((page,) if page is not None else ())
        if not text:
            if pre_texts:
                return [_Atom(BLOCK_SEPARATOR.join(pre_texts), pre_tokens, "prose", pages)]
            return []
        if n + pre_tokens <= budget:
            return [_Atom(BLOCK_SEPARATOR.join([*pre_texts, text]), n + pre_tokens, "prose", pages)]
        if len(text) > LONG_PROSE_CHARS:
            return self._long_prose_atoms(text, page, budget, prefix)
        enc = self.encodings.get(text)
        offsets = list(enc.offsets) if enc is not None else self.tok.offsets(text)
        ranges = pack_token_ranges(text, offsets, budget - pre_tokens, budget, self.overlap)
        atoms = []
        for k, (a, b) in enumerate(ranges):
            piece = text[offsets[a][0] : offsets[b - 1][1]]
            if k == 0 and pre_texts:
                atoms.append(
                    _Atom(
                        BLOCK_SEPARATOR.join([*pre_texts, piece]),
                        pre_tokens + (b - a),
                        "prose",
                        pages,
                    )
                )
            else:
                atoms.append(_Atom(piece, b - a, "prose", (page,) if page is not None else ()))
        return atoms

    def _long_prose_atoms(
        self,
        text: str,
        page: int | None,
        budget: int,
        prefix: tuple[list[str], int, tuple[int, ...]],
    ) -> list[_Atom]:
        """Atoms of prose too long to tokenize at once: each segment is cut on its own (the
        prefix joins the first), so at most one segment's offsets are held at a time."""
        atoms: list[_Atom] = []
        segments = _segments(text)
        step = _ENCODE_BATCH // 32
        for i in range(0, len(segments), step):
            batch = segments[i : i + step]  # encoded together (in parallel), then dropped
            for segment, enc in zip(batch, self.tok.encode_batch(batch), strict=True):
                self.encodings[segment] = enc
                first = prefix if not atoms else ([], 0, ())
                atoms.extend(self._prose_atoms(segment, len(enc.ids), page, budget, first))
                del self.encodings[segment]
        return atoms

    def _table_atoms(
        self, block: Block, budget: int, prefix: tuple[list[str], int, tuple[int, ...]]
    ) -> list[_Atom]:
        pre_texts, pre_tokens, pre_pages = prefix
        page_t = (block.page,) if block.page is not None else ()
        if block.rows:
            n_header = min(block.header_rows, len(block.rows))
            header = [_render_row(r) for r in block.rows[:n_header] if any(r)]
            body_rows = [r for r in block.rows[n_header:] if any(r)]
            body = [_render_row(r) for r in body_rows]
        else:  # a table known only by its text: its lines are its rows
            header, body_rows = [], []
            body = [line for line in block.text.split("\n") if line.strip()]
        caption = [block.caption] if block.caption else []
        footnotes = list(block.footnotes)
        whole_tokens = pre_tokens + self.count_lines([*caption, *header, *body, *footnotes])
        if whole_tokens <= budget or not body:
            text = self._join_table(pre_texts, [*caption, *header, *body], footnotes)
            if whole_tokens <= budget:
                return [_Atom(text, whole_tokens, "table", pre_pages + page_t)]
            # header rows only: cut as prose (no body row to keep whole)
            return self._prose_atoms(text, self.count(text), block.page, budget, ([], 0, ()))

        # Header rows (and caption) repeated in every piece, as long as they leave room.
        lead = [*caption, *header]
        if self.count_lines(lead) > budget // 2:
            lead = header if self.count_lines(header) <= budget // 2 else []
        return _TableSplit(self, block, budget, prefix, lead, body, body_rows, footnotes).run()

    @staticmethod
    def _join_table(lead: Sequence[str], lines: Sequence[str], notes: Sequence[str]) -> str:
        parts = [*lead, "\n".join(lines)]
        if notes:
            parts.append("\n".join(notes))
        return BLOCK_SEPARATOR.join(p for p in parts if p)


def _segments(text: str) -> list[str]:
    """`text` cut into pieces of at most a fifth of `LONG_PROSE_CHARS` (stripped)."""
    pieces = (text[a:b].strip() for a, b in text_segments(text, LONG_PROSE_CHARS // 5))
    return [p for p in pieces if p]


#: Paragraphs tokenized per `encode_batch` call (bounds the encodings held at once).
_ENCODE_BATCH = 512


class _TableSplit:
    """Cuts one table too long for a chunk into pieces of whole rows under the repeated
    `lead` (caption, header rows); a row longer than a chunk is cut at sentences; each
    footnote goes with the piece whose rows cite it; the pending prefix (an introducing
    sentence) joins the first piece when it fits, else becomes a prose atom of its own."""

    def __init__(
        self,
        doc: _DocumentChunking,
        block: Block,
        budget: int,
        prefix: tuple[list[str], int, tuple[int, ...]],
        lead: list[str],
        body: list[str],
        body_rows: Sequence[Sequence[str]],
        footnotes: list[str],
    ) -> None:
        self.doc = doc
        self.block = block
        self.budget = budget
        self.pre_texts, self.pre_tokens, self.pre_pages = prefix
        self.page_t: tuple[int, ...] = (block.page,) if block.page is not None else ()
        self.lead = lead
        self.fixed = doc.count_lines(lead)
        self.body = body
        self.body_rows = body_rows
        self.footnotes = footnotes
        self.markers = markers_in(block.rows) if block.rows else set()
        self.row_tokens = [doc.count(line) for line in body]
        self.first_pending = bool(self.pre_texts)
        self.atoms: list[_Atom] = []

    def run(self) -> list[_Atom]:
        """The table's atoms, in order."""
        start = 0
        while start < len(self.body):
            pre = self.pre_tokens if self.first_pending else 0
            if pre and pre + self.fixed + self.row_tokens[start] > self.budget:
                text = BLOCK_SEPARATOR.join(self.pre_texts)
                self.atoms.append(_Atom(text, self.pre_tokens, "prose", self.pre_pages))
                self.first_pending = False
                continue
            if self.fixed + self.row_tokens[start] > self.budget:
                self._oversized_row(start, pre)
                start += 1
            else:
                start = self._rows(start, pre)
        return self.atoms

    def _notes_for(self, start: int, end: int) -> list[str]:
        """The footnotes cited by body rows start..end-1 (the last piece takes the rest)."""
        if not self.footnotes:
            return []
        last = end == len(self.body)
        rows = self.body_rows[start:end] if self.body_rows else []
        return footnotes_for(self.footnotes, rows, self.markers if last else None)

    def _prefix(self) -> tuple[list[str], tuple[int, ...]]:
        """The pending prefix's texts and pages for the next atom (empty once placed)."""
        if self.first_pending:
            return self.pre_texts, self.pre_pages + self.page_t
        return [], self.page_t

    def _notes_as_prose(self, notes: list[str]) -> list[_Atom]:
        return self.doc._prose_atoms(
            "\n".join(notes), self.doc.count_lines(notes), self.block.page, self.budget, ([], 0, ())
        )

    def _oversized_row(self, start: int, pre: int) -> None:
        """One row longer than a whole chunk (prose laid out in a table): cut its text at
        sentences, each piece under the repeated lead; its footnotes follow as prose."""
        row_text = self.body[start]
        offsets = self.doc.tok.offsets(row_text)
        lead_text = "\n".join(self.lead)
        budget, fixed = self.budget, self.fixed
        for a, b in pack_token_ranges(
            row_text, offsets, budget - fixed - pre, budget - fixed, self.doc.overlap
        ):
            piece = row_text[offsets[a][0] : offsets[b - 1][1]]
            lines = [lead_text, piece] if lead_text else [piece]
            lead_pre, pages = self._prefix()
            tokens = (pre if self.first_pending else 0) + fixed + (b - a)
            text = self.doc._join_table(lead_pre, lines, [])
            self.atoms.append(_Atom(text, tokens, "table", pages, split_row=True))
            self.first_pending = False
        notes = self._notes_for(start, start + 1)
        if notes:
            self.atoms.extend(self._notes_as_prose(notes))

    def _rows(self, start: int, pre: int) -> int:
        """One piece of whole rows from `start` (with the footnotes they cite when those
        fit, else followed by them as prose); returns the first row not taken."""
        used = pre + self.fixed
        end = start
        notes: list[str] = []
        while end < len(self.body):
            if end > start and self.fixed + self.row_tokens[end] > self.budget:
                break  # an oversized row gets pieces of its own
            cand = self._notes_for(start, end + 1)
            if (
                end > start
                and used + self.row_tokens[end] + self.doc.count_lines(cand) > self.budget
            ):
                break
            used += self.row_tokens[end]
            notes = cand
            end += 1
        extra: list[_Atom] = []
        notes_tokens = self.doc.count_lines(notes)
        if used + notes_tokens > self.budget:  # the footnotes do not fit: they follow
            extra = self._notes_as_prose(notes)
            notes, notes_tokens = [], 0
        lead_pre, pages = self._prefix()
        text = self.doc._join_table(lead_pre, [*self.lead, *self.body[start:end]], notes)
        self.atoms.append(_Atom(text, used + notes_tokens, "table", pages))
        self.atoms.extend(extra)
        self.first_pending = False
        return end
