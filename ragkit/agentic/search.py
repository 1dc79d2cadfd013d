"""The agent's `search` tool: any `Retriever` (a `HybridPipeline`, an index) over the same
folder, its hits placed in the agent's line views.

A retriever returns chunks; an agent reads files. A pipeline chunk carries its document id
(the file stem), its section id and its text, and the view of that file keeps the parsed
document's section ids (`SectionSpan.id`), so every hit maps to a file, a section span and,
by matching the chunk's first lines inside that section, to the line span the agent can
`read` around (falling back to the whole section when the lines cannot be matched). Hits
from documents that are not files inside the corpus root are dropped: the search tool sees
no more than grep does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ragkit.agentic.views import SectionSpan, View
from ragkit.types import PATH_SEPARATOR, Chunk, Hit

_WS = re.compile(r"\s+")
#: Characters of a chunk line compared with a view line (long paragraphs are split by the
#: chunker, so only a line's head is sure to be whole).
_HEAD = 60


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One search hit placed in a corpus file: its section, 1-based line span and pages."""

    rank: int
    file: str
    section: SectionSpan
    line_start: int
    line_end: int
    page_start: int | None
    page_end: int | None
    score: float
    chunk_id: str
    text: str
    located: bool = True  # False: the lines were not matched; the span is the whole section

    @property
    def section_path(self) -> tuple[str, ...]:
        """The section path of the hit."""
        return self.section.path


@dataclass(slots=True)
class SearchResult:
    """What the search tool returns: the hits, and `text`, the listing a model reads."""

    text: str = ""
    query: str = ""
    hits: list[SearchHit] = field(default_factory=list)


class DocFiles:
    """Corpus files by the document ids a retriever gives its chunks: the file stem, or the
    relative path without suffix when stems repeat (`ragkit.parsers.load`'s rule), plus
    unique file names (`Chunk.metadata["source_name"]`)."""

    def __init__(self, files: Iterable[str]) -> None:
        self.by_id: dict[str, str] = {}
        self.id_of: dict[str, str] = {}
        names: dict[str, list[str]] = {}
        stems: dict[str, list[str]] = {}
        for rel in files:
            path = Path(rel)
            self.by_id[path.with_suffix("").as_posix()] = rel
            self.id_of[rel] = path.with_suffix("").as_posix()
            stems.setdefault(path.stem, []).append(rel)
            names.setdefault(path.name, []).append(rel)
        for stem, rels in stems.items():
            if len(rels) == 1:
                self.by_id.setdefault(stem, rels[0])
                self.id_of[rels[0]] = stem
        self.by_name = {name: rels[0] for name, rels in names.items() if len(rels) == 1}

    def doc_id(self, rel: str) -> str:
        """The document id a retriever gives the chunks of corpus file `rel`."""
        return self.id_of.get(rel, Path(rel).with_suffix("").as_posix())

    def file_of(self, chunk: Chunk) -> str | None:
        """The corpus file a chunk comes from, or None when it is not in the corpus."""
        found = self.by_id.get(chunk.doc_id)
        if found is None:
            found = self.by_name.get(str(chunk.metadata.get("source_name") or ""))
        return found


def _clean(text: str) -> str:
    return _WS.sub(" ", text).strip()


def chunk_lines(text: str) -> list[str]:
    """A chunk's text as the view renders it: whitespace-cleaned, non-empty lines."""
    return [line for line in (_clean(raw) for raw in text.split("\n")) if line]


def _matches(view_line: str, chunk_line: str) -> bool:
    head = chunk_line[:_HEAD]
    return bool(head) and head in view_line


def _anchor(view: View, lo: int, hi: int, lines: list[str]) -> tuple[int, list[int]] | None:
    """The first of the chunk's first three lines found in lines lo..hi, with where."""
    for i, first in enumerate(lines[:3]):
        starts = [n for n in range(lo, hi + 1) if _matches(view.line(n), first)]
        if starts:
            return i, starts
    return None


def locate_lines(view: View, span: SectionSpan, text: str) -> tuple[int, int] | None:
    """The 1-based line span of `text` (a chunk body) inside `span` of `view`, or None.

    The chunk's first line is searched from the section's start (its second or third when
    the first is not rendered, e.g. a table caption); where it occurs more than once (a
    table header repeated in each piece of a split table) the occurrence followed by the
    chunk's next line wins. The span ends at the chunk's last line, searched from there.
    """
    lines = chunk_lines(text)
    if not lines or span.end < span.start:
        return None
    lo, hi = span.start, span.end
    anchor = _anchor(view, lo, hi, lines)
    if anchor is None:
        return None
    i, starts = anchor
    start = starts[0]
    if i + 1 < len(lines) and len(starts) > 1:
        after = lines[i + 1]
        start = next((n for n in starts if n < hi and _matches(view.line(n + 1), after)), start)
    end = start + len(lines) - 1 - i
    last = lines[-1]
    if end > hi or not _matches(view.line(end), last):
        found = [n for n in range(start, hi + 1) if _matches(view.line(n), last)]
        end = found[0] if found else min(hi, end)
    return start, max(start, end)


def section_span(view: View, chunk: Chunk) -> SectionSpan:
    """The view's span of the chunk's section (by id, then by path); the root otherwise."""
    if chunk.section_id:
        for span in view.sections:
            if span.id == chunk.section_id:
                return span
    if chunk.section_path:
        for span in view.sections:
            if span.path == chunk.section_path:
                return span
    return view.sections[0]


def place_hit(view: View, hit: Hit, rank: int) -> SearchHit | None:
    """A retriever hit placed in `view`: section span, line span, pages; None without chunk."""
    chunk = hit.chunk
    if chunk is None:
        return None
    span = section_span(view, chunk)
    lines = locate_lines(view, span, chunk.text)
    located = lines is not None
    a, b = lines if lines is not None else (span.start, max(span.start, span.end))
    pages = [p for p in (view.page_of(a), view.page_of(b)) if p is not None]
    page_start = chunk.page_start if chunk.page_start is not None else min(pages, default=None)
    page_end = chunk.page_end if chunk.page_end is not None else max(pages, default=None)
    return SearchHit(rank, view.file, span, a, b, page_start, page_end, hit.score,
                     hit.chunk_id, chunk.text, located)  # fmt: skip


def render_hits(query: str, hits: list[SearchHit], snippet_chars: int) -> str:
    """The listing a model reads: rank, file, section path, lines, page and a snippet."""
    if not hits:
        return f"(no search hits for {query!r})"
    out = [f"search {query!r}: {len(hits)} hits"]
    for h in hits:
        where = PATH_SEPARATOR.join(h.section_path) or "(document)"
        page = f", p.{h.page_start}" if h.page_start is not None else ""
        out.append(f"{h.rank}. {h.file} > {where} (lines {h.line_start}-{h.line_end}{page})")
        snippet = _clean(h.text)
        if len(snippet) > snippet_chars:
            snippet = snippet[:snippet_chars].rsplit(" ", 1)[0] + " …"
        out.append(f"   {snippet}")
    return "\n".join(out)
