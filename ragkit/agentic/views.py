"""Line-oriented text views of corpus files, cached per file version.

EDGAR HTML is a few enormous lines of tag soup, so grepping the raw bytes is of little use.
Every file is therefore searched and read through its *view*: the visible text rendered one
paragraph, heading or table row per line, with each line mapped to the section of the parsed
document it belongs to (and its page where known). Views are built with ragkit's parsers on
first use and cached on disk keyed by the file's path, size and mtime, so a file dropped into
the corpus is searchable at once and an edited file is re-rendered; there is no index.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import json
import logging
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from ragkit.agentic.sandbox import OpenFile
from ragkit.errors import DocumentTooLargeError, ParseError
from ragkit.parsers.loader import DEFAULT_MAX_BYTES
from ragkit.types import Document, Section, SectionKind

logger = logging.getLogger(__name__)

#: Bumped whenever the rendering changes, so stale cached views are ignored
#: (2: a table's footnotes follow it, as on the page).
VIEW_FORMAT = 2
_HTML_SUFFIXES = (".htm", ".html", ".xhtml", ".xml")


@dataclass(frozen=True, slots=True)
class SectionSpan:
    """A section of a view: its identity in the parsed document and its 1-based line span.

    `start` is the title line (or first line), `own_end` the last line before its first
    child, `end` the last line of the section with its descendants (``end < start`` when empty).
    """

    index: int
    id: str
    title: str
    kind: SectionKind
    number: str | None
    level: int
    path: tuple[str, ...]
    start: int
    own_end: int
    end: int
    parent: int | None
    page_start: int | None = None
    page_end: int | None = None

    @property
    def n_lines(self) -> int:
        """Lines in the section, descendants included."""
        return max(0, self.end - self.start + 1)


@dataclass(slots=True)
class View:
    """The rendered lines of one file plus its section spans, pages and metadata."""

    file: str
    text_path: Path
    lines: list[str]
    sections: list[SectionSpan]
    page_runs: list[tuple[int, int]] = field(default_factory=list)  # (first line, page)
    metadata: dict[str, Any] = field(default_factory=dict)
    _starts: list[int] = field(default_factory=list)
    _skeleton: Document | None = None
    _cum: list[int] = field(default_factory=list)

    def chars(self, start: int, end: int) -> int:
        """Characters (newlines included) in lines `start`..`end`, 1-based inclusive."""
        if not self._cum:
            total = 0
            self._cum = [0]
            for line in self.lines:
                total += len(line) + 1
                self._cum.append(total)
        if end < start:
            return 0
        return self._cum[min(end, len(self.lines))] - self._cum[max(start, 1) - 1]

    def line(self, number: int) -> str:
        """The text of 1-based line `number`."""
        return self.lines[number - 1]

    def page_of(self, number: int) -> int | None:
        """The 0-based page of a line, or None when the file has no pages."""
        if not self.page_runs:
            return None
        i = bisect.bisect_right([r[0] for r in self.page_runs], number) - 1
        return self.page_runs[i][1] if i >= 0 else None

    def section_at(self, number: int) -> SectionSpan:
        """The deepest section whose own lines contain line `number` (the root otherwise)."""
        if not self._starts:
            self._starts = [s.start for s in self.sections]
        i = bisect.bisect_right(self._starts, number) - 1
        while i > 0:
            span = self.sections[i]
            if span.start <= number <= span.end:
                return span
            i = span.parent if span.parent is not None else 0
        return self.sections[0]

    def text(self, start: int, end: int) -> str:
        """Lines `start`..`end` (1-based, inclusive) joined by newlines."""
        return "\n".join(self.lines[max(0, start - 1) : max(0, end)])

    def skeleton(self) -> Document:
        """A block-less `Document` with this view's section tree (for reference resolution)."""
        if self._skeleton is not None:
            return self._skeleton
        kids: dict[int, list[int]] = {}
        for span in self.sections[1:]:
            kids.setdefault(span.parent or 0, []).append(span.index)

        def build(i: int) -> Section:
            s = self.sections[i]
            return Section(
                id=s.id,
                title=s.title,
                level=s.level,
                path=s.path,
                kind=s.kind,
                number=s.number,
                children=tuple(build(c) for c in kids.get(i, [])),
                page_start=s.page_start,
                page_end=s.page_end,
            )

        self._skeleton = Document(
            id=Path(self.file).stem, source=self.file, root=build(0), metadata=dict(self.metadata)
        )
        return self._skeleton


class ViewCache:
    """Builds and caches views: in memory per process, on disk across processes.

    Files are read through the sandbox's open descriptors (`OpenFile`), never by path, and
    files over `max_bytes` are refused with `DocumentTooLargeError` before a byte is read.
    """

    def __init__(self, cache_dir: Path | None, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.cache_dir = cache_dir
        self.max_bytes = max_bytes
        self._memory: dict[tuple[str, int, int], View] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, opened: OpenFile, rel: str | None = None) -> View:
        """The view of an opened corpus file (named `rel`, default its resolved name)."""
        st = opened.st
        rel = rel or opened.rel
        key = (str(opened.path), st.st_mtime_ns, st.st_size)
        cached = self._memory.get(key)
        if cached is not None:
            return cached
        if st.st_size > self.max_bytes:
            raise DocumentTooLargeError(
                f"{rel} is {st.st_size:,} bytes; the limit is {self.max_bytes:,} bytes "
                "(the agent's tools read documents up to that size)"
            )
        with self._guard:
            lock = self._locks.setdefault(str(opened.path), threading.Lock())
        with lock:
            cached = self._memory.get(key)
            if cached is None:
                cached = self._load_or_build(opened, rel, key)
                self._memory = {k: v for k, v in self._memory.items() if k[0] != key[0]}
                self._memory[key] = cached
        return cached

    def _paths(self, key: tuple[str, int, int]) -> tuple[Path, Path]:
        assert self.cache_dir is not None
        name = f"{VIEW_FORMAT}\x1f{key[0]}".encode(errors="surrogatepass")  # non-UTF-8 names
        digest = hashlib.sha256(name).hexdigest()[:20]
        stem = f"{digest}-{key[1]}-{key[2]}"
        return self.cache_dir / f"{stem}.txt", self.cache_dir / f"{stem}.json"

    def _load_or_build(self, opened: OpenFile, rel: str, key: tuple[str, int, int]) -> View:
        if self.cache_dir is not None:
            text_path, meta_path = self._paths(key)
            if text_path.exists() and meta_path.exists():
                try:
                    return _read_view(rel, text_path, meta_path)
                except (OSError, ValueError, KeyError) as exc:
                    logger.warning("ignoring unreadable cached view %s: %s", meta_path, exc)
        lines, sections, runs, metadata = render_bytes(opened.read(self.max_bytes), rel)
        if self.cache_dir is None:
            raise RuntimeError("ViewCache needs a cache_dir to write views for ripgrep")
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        text_path, meta_path = self._paths(key)
        for old in self.cache_dir.glob(text_path.name.split("-")[0] + "-*"):
            old.unlink(missing_ok=True)  # earlier versions of the same file
        tmp = text_path.with_suffix(f".tmp{os.getpid()}{threading.get_ident()}")
        tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
        os.replace(tmp, text_path)
        meta = {
            "format": VIEW_FORMAT,
            "sections": [_span_to_json(s) for s in sections],
            "page_runs": runs,
            "metadata": metadata,
        }
        tmp = meta_path.with_suffix(f".tmp{os.getpid()}{threading.get_ident()}")
        tmp.write_text(json.dumps(meta), encoding="utf-8")
        os.replace(tmp, meta_path)
        logger.info("rendered %s: %d lines, %d sections", rel, len(lines), len(sections))
        return View(rel, text_path, lines, sections, _page_runs(runs), metadata)


def _span_to_json(s: SectionSpan) -> list[Any]:
    return [
        s.id,
        s.title,
        s.kind,
        s.number,
        s.level,
        list(s.path),
        s.start,
        s.own_end,
        s.end,
        s.parent,
        s.page_start,
        s.page_end,
    ]


def _read_view(rel: str, text_path: Path, meta_path: Path) -> View:
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if meta.get("format") != VIEW_FORMAT:
        raise ValueError("old view format")
    lines = text_path.read_text(encoding="utf-8").split("\n")[:-1]
    sections = [
        SectionSpan(
            i, r[0], r[1], r[2], r[3], r[4], tuple(r[5]), r[6], r[7], r[8], r[9], r[10], r[11]
        )
        for i, r in enumerate(meta["sections"])
    ]
    return View(
        rel, text_path, lines, sections, _page_runs(meta["page_runs"]), meta.get("metadata", {})
    )


def _page_runs(runs: list[list[int]]) -> list[tuple[int, int]]:
    """JSON page runs ([first line, page] lists) as the (first line, page) tuples a View holds."""
    return [(int(line), int(page)) for line, page in runs]


_WS = re.compile(r"[ \t\r\f\v\u00a0\u2000-\u200b\u3000]+")


def _clean(line: str) -> str:
    return _WS.sub(" ", line).strip()


def render_bytes(
    data: bytes, name: str
) -> tuple[list[str], list[SectionSpan], list[list[int]], dict[str, Any]]:
    """Render one file's bytes (`name`: its corpus name) to (lines, section spans, page runs,
    JSON-safe metadata).

    Uses `ragkit.parsers.loader.parse_bytes`; a file the parsers cannot structure (an
    unsupported or malformed document, any `ParseError`) falls back to a plain visible-text
    rendering with a single root section (linear time).
    """
    from ragkit.parsers.loader import parse_bytes

    try:
        doc = parse_bytes(data, PurePosixPath(name).name, PurePosixPath(name).stem, name)
    except ParseError as exc:
        logger.warning("parser failed on %s (%s); using plain text view", name, exc)
        return _render_plain(data, name)
    return render_document(doc)


def render_document(
    doc: Document,
) -> tuple[list[str], list[SectionSpan], list[list[int]], dict[str, Any]]:
    """Render a parsed document: each section's title, then its blocks, then its children."""
    lines: list[str] = []
    pages: list[int | None] = []
    spans: dict[int, SectionSpan] = {}  # by pre-order index: a parent's index precedes its kids

    def emit(text: str, page: int | None) -> None:
        for raw in text.split("\n"):
            line = _clean(raw)
            if line:
                lines.append(line)
                pages.append(page)

    def visit(sec: Section, parent: int | None) -> None:
        index = next(indexes)
        start = len(lines) + 1
        if sec.kind != "document" and sec.title:
            emit(sec.title, sec.page_start)
        for block in sec.blocks:
            emit(block.visible_text, block.page if block.page is not None else sec.page_start)
        own_end = len(lines)
        for child in sec.children:
            visit(child, index)
        spans[index] = SectionSpan(
            index,
            sec.id,
            sec.title,
            sec.kind,
            sec.number,
            sec.level,
            tuple(sec.path),
            start,
            own_end,
            len(lines),
            parent,
            sec.page_start,
            sec.page_end,
        )

    indexes = itertools.count()
    visit(doc.root, None)
    runs: list[list[int]] = []
    last: int | None = -1
    for i, page in enumerate(pages, start=1):
        if page is not None and page != last:
            runs.append([i, page])
            last = page
    metadata = {k: v for k, v in doc.metadata.items() if isinstance(v, str | int | float | bool)}
    return lines, [spans[i] for i in range(len(spans))], runs, metadata


_BLOCK_TAGS = re.compile(
    r"<\s*(/?)(p|div|br|tr|li|h[1-6]|table|section|article|hr|title)\b[^<>]*>", re.I
)
_CELL_END = re.compile(r"</t[dh]\s*>", re.I)
_TAG = re.compile(r"<[^<>]+>")
#: Openings of hidden content; each runs to its closing tag (`_hidden_end`). `[^<>]` keeps
#: every attempt inside one tag, so a megabyte of unclosed `<` costs linear time.
_HIDDEN_OPEN = re.compile(
    r"<(script|style|ix:header|head)\b|<[^<>]*display\s*:\s*none[^<>]*>", re.I
)


def _strip_hidden(raw: str) -> str:
    """`raw` without scripts, styles, inline-XBRL headers and `display:none` blocks (up to
    their first closing `</div>`), in one left-to-right pass: linear time on any input."""
    out: list[str] = []
    pos = 0
    closed_out: set[str] = set()  # closers that no longer occur after the search position
    while True:
        m = _HIDDEN_OPEN.search(raw, pos)
        if m is None:
            break
        tag = (m.group(1) or "div").lower()
        end = None if tag in closed_out else _hidden_end(raw, m.end(), tag)
        if end is None:
            closed_out.add(tag)  # unclosed: the text stays visible, as the old rule kept it
            out.append(raw[pos : m.end()])
            pos = m.end()
            continue
        out.append(raw[pos : m.start()])
        out.append(" ")
        pos = end
    out.append(raw[pos:])
    return "".join(out)


def _hidden_end(raw: str, start: int, tag: str) -> int | None:
    closer = re.compile(rf"</{re.escape(tag)}\s*>", re.I)
    m = closer.search(raw, start)
    return m.end() if m else None


def _render_plain(
    data: bytes, name: str
) -> tuple[list[str], list[SectionSpan], list[list[int]], dict[str, Any]]:
    """A parser-free rendering: visible text of HTML, or the raw lines of text (form feeds as
    page breaks); one root section. Every step is a linear scan."""
    import html as html_lib

    raw = data.decode("utf-8", errors="replace")
    lines: list[str] = []
    runs: list[list[int]] = []
    head = raw[:4096].lstrip()[:200].lower()
    if PurePosixPath(name).suffix.lower() in _HTML_SUFFIXES or head.startswith("<"):
        body = _strip_hidden(raw)
        body = _BLOCK_TAGS.sub("\n", body)
        body = _CELL_END.sub(" | ", body)
        body = _TAG.sub(" ", body)
        for ln in html_lib.unescape(body).split("\n"):
            line = _clean(ln).strip("| ").strip()
            if line:
                lines.append(line)
    else:
        paged = "\f" in raw
        for page, chunk in enumerate(raw.split("\f")):
            first = paged
            for ln in chunk.split("\n"):
                line = _clean(ln)
                if line:
                    if first:
                        runs.append([len(lines) + 1, page])
                        first = False
                    lines.append(line)
    root = SectionSpan(0, "root", "", "document", None, 0, (), 1, len(lines), len(lines), None)
    return lines, [root], runs, {"source_name": PurePosixPath(name).name}
