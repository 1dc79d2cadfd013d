"""The agentic tools: grep, glob, outline, read, follow and (given a retriever) search,
confined to one corpus root.

Every call is recorded (tool, arguments, output size in characters and tokens, latency) so
that an agent's cost can be measured. Tools work on raw files with no index: each file is
seen through its cached line view (see `ragkit.agentic.views`), so grep line numbers, read
line ranges and section spans all refer to the same rendering of the visible text.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from ragkit.agentic.grep import GrepLine, find_rg, grep_python, grep_rg
from ragkit.agentic.result import ToolCall, count_tokens
from ragkit.agentic.sandbox import Sandbox
from ragkit.agentic.search import DocFiles, SearchHit, SearchResult, place_hit, render_hits
from ragkit.agentic.views import SectionSpan, View, ViewCache
from ragkit.errors import (
    ConfigError,
    DependencyError,
    DocumentTooLargeError,
    QueryError,
    RagkitError,
    SandboxError,
)
from ragkit.parsers.loader import DEFAULT_MAX_BYTES
from ragkit.settings import cache_dir
from ragkit.types import PATH_SEPARATOR, Hit, Retriever

logger = logging.getLogger(__name__)

_R = TypeVar("_R", bound="ToolOutput | SearchResult")
ENGINES = ("auto", "rg", "python")


@dataclass(slots=True)
class ToolOutput:
    """Base of every tool result: `text` is what a model would read."""

    text: str = ""


@dataclass(slots=True)
class GrepMatch:
    """A grep output line with its location in the corpus."""

    file: str
    line: int
    text: str
    is_match: bool
    section_index: int
    section_path: tuple[str, ...]
    page: int | None


@dataclass(slots=True)
class GrepResult(ToolOutput):
    """Matches (with context lines) in file order; `truncated` when `max_matches` was hit."""

    matches: list[GrepMatch] = field(default_factory=list)
    n_matches: int = 0
    truncated: bool = False
    skipped: list[str] = field(default_factory=list)


@dataclass(slots=True)
class FileInfo:
    """A corpus file: name, size in bytes, modification time."""

    file: str
    size: int
    modified: float


@dataclass(slots=True)
class GlobResult(ToolOutput):
    """Files matching a pattern, newest first."""

    files: list[FileInfo] = field(default_factory=list)


@dataclass(slots=True)
class OutlineResult(ToolOutput):
    """A document's section tree as spans (titles, ids, kinds, line spans, sizes)."""

    file: str = ""
    sections: list[SectionSpan] = field(default_factory=list)


@dataclass(slots=True)
class ReadResult(ToolOutput):
    """Text read from a file: a section, a line range or the whole document."""

    file: str = ""
    body: str = ""
    section: SectionSpan | None = None
    line_start: int = 0
    line_end: int = 0
    truncated: bool = False
    page_start: int | None = None
    page_end: int | None = None


class Tools:
    """The sandboxed tool set over one corpus root, with a call recorder.

    Args:
        root: the corpus folder; every path is resolved inside it.
        engine: "auto" (ripgrep when found, else Python), "rg" or "python".
        view_cache: folder for rendered views (default `$RAGKIT_CACHE/agentic-views`).
        timeout_s: grep time limit. max_read_chars: default read budget per call.
        searcher: a `Retriever` over the same documents (a `HybridPipeline`, an index)
            that backs the `search` tool; None: no search tool.
        max_file_bytes: larger files are refused (`DocumentTooLargeError`; grep skips them
            and says so). allow_hardlinks: read files with several hard links (refused by
            default: another link may be a file outside the root; see `Sandbox`).
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        engine: str = "auto",
        view_cache: str | os.PathLike[str] | None = None,
        timeout_s: float = 10.0,
        max_read_chars: int = 20_000,
        searcher: Retriever | None = None,
        max_file_bytes: int = DEFAULT_MAX_BYTES,
        allow_hardlinks: bool = False,
    ) -> None:
        if engine not in ENGINES:
            raise ConfigError(f"engine must be one of {ENGINES}, got {engine!r}")
        if timeout_s <= 0 or max_read_chars <= 0:
            raise ConfigError(
                f"timeout_s and max_read_chars must be > 0, got {timeout_s}, {max_read_chars}"
            )
        self.sandbox = Sandbox(root, allow_hardlinks=allow_hardlinks)
        self.rg = find_rg() if engine in ("auto", "rg") else None
        if engine == "rg" and self.rg is None:
            raise DependencyError(
                "ripgrep binary not found: pip install 'ragkit[ripgrep]' (or use engine='auto')"
            )
        self.engine = "rg" if self.rg else "python"
        folder = Path(view_cache) if view_cache else cache_dir() / "agentic-views"
        self.views = ViewCache(folder, max_file_bytes)
        self.timeout_s = timeout_s
        self.max_read_chars = max_read_chars
        if searcher is not None and not callable(getattr(searcher, "search", None)):
            raise ConfigError(
                f"searcher must have search(queries, k, filters), got {type(searcher).__name__}"
            )
        self.searcher = searcher
        self._doc_files: DocFiles | None = None
        self.calls: list[ToolCall] = []
        self._lock = threading.Lock()

    @property
    def root(self) -> Path:
        """The resolved corpus root."""
        return self.sandbox.root

    def fork(self) -> Tools:
        """A tool set sharing this one's sandbox and view cache, with an empty call record."""
        clone = object.__new__(Tools)
        clone.sandbox, clone.rg, clone.engine = self.sandbox, self.rg, self.engine
        clone.views, clone.timeout_s = self.views, self.timeout_s
        clone.max_read_chars = self.max_read_chars
        clone.searcher = self.searcher
        clone._doc_files = self._files() if self.searcher is not None else None
        clone.calls, clone._lock = [], threading.Lock()
        return clone

    # -- recording -------------------------------------------------------------------------
    def _record(self, tool: str, args: dict[str, Any], fn: Callable[[], _R]) -> _R:
        t0 = time.perf_counter()
        error: str | None = None
        text = ""
        try:
            out = fn()
            text = out.text
            return out
        except RagkitError as exc:
            error = f"{type(exc).__name__}: {exc}"
            raise
        finally:
            ms = (time.perf_counter() - t0) * 1000
            clean = {k: v for k, v in args.items() if v is not None}
            with self._lock:
                self.calls.append(
                    ToolCall(
                        len(self.calls) + 1,
                        tool,
                        clean,
                        len(text),
                        count_tokens(text),
                        round(ms, 2),
                        error,
                    )
                )

    def files(self) -> list[str]:
        """Corpus-relative names of the searchable files, by name (unrecorded: for callers
        that already know the corpus, such as an escalation seeded with retrieval hits)."""
        return [self.sandbox.relative(p) for p in self.sandbox.files()]

    def view(self, file: str) -> View:
        """The line view of a corpus file (unrecorded; used by the tools and agents)."""
        with self.sandbox.open(file) as opened:
            return self.views.get(opened)

    # -- tools -----------------------------------------------------------------------------
    def glob(self, pattern: str = "*") -> GlobResult:
        """Corpus files whose path or name matches `pattern`, newest first."""
        return self._record("glob", {"pattern": pattern}, lambda: self._glob(pattern))

    def _glob(self, pattern: str) -> GlobResult:
        infos = []
        for path in self.sandbox.files(pattern):
            rel = self.sandbox.relative(path)
            try:
                with self.sandbox.open(rel) as opened:
                    st = opened.st
            except (SandboxError, QueryError):
                continue  # changed since it was listed
            infos.append(FileInfo(rel, st.st_size, st.st_mtime))
        infos.sort(key=lambda f: (-f.modified, f.file))
        lines = [
            f"{f.file}\t{f.size} bytes\t"
            f"{datetime.fromtimestamp(f.modified, UTC).strftime('%Y-%m-%d %H:%M')}"
            for f in infos
        ]
        return GlobResult("\n".join(lines) or f"(no files match {pattern!r})", infos)

    def grep(
        self,
        pattern: str,
        glob: str | None = None,
        context: int = 2,
        max_matches: int = 50,
        ignore_case: bool = True,
        word: bool = False,
        max_line_chars: int = 300,
    ) -> GrepResult:
        """Lines matching a regular expression in the corpus (optionally files matching
        `glob`), with `context` lines around each match; at most `max_matches` matches."""
        args = {
            "pattern": pattern,
            "glob": glob,
            "context": context,
            "max_matches": max_matches,
            "ignore_case": ignore_case,
            "word": word,
        }
        return self._record(
            "grep",
            args,
            lambda: self._grep(
                pattern, glob, context, max_matches, ignore_case, word, max_line_chars
            ),
        )

    def _grep(
        self,
        pattern: str,
        glob: str | None,
        context: int,
        max_matches: int,
        ignore_case: bool,
        word: bool,
        max_line_chars: int,
    ) -> GrepResult:
        if context < 0 or max_matches <= 0:
            raise QueryError(
                f"context must be >= 0 and max_matches > 0, got {context}, {max_matches}"
            )
        views, skipped = self._views(self.sandbox.files(glob))
        files = [v.text_path for v in views]
        search = functools.partial(grep_rg, rg=self.rg) if self.engine == "rg" else grep_python
        raw = search(
            pattern,
            files,
            ignore_case=ignore_case,
            word=word,
            context=context,
            max_count=max_matches,
            timeout_s=self.timeout_s,
        )
        result = self._grep_result(pattern, raw, views, max_matches, max_line_chars)
        if skipped:
            result.skipped = skipped
            result.text += "".join(f"\n[not searched: {s}]" for s in skipped)
        return result

    def _views(self, paths: list[Path]) -> tuple[list[View], list[str]]:
        """The views of listed files; files too large (or changed into something the sandbox
        refuses since they were listed) are left out, each with a line saying why."""
        views: list[View] = []
        skipped: list[str] = []
        for path in paths:
            rel = self.sandbox.relative(path)
            try:
                with self.sandbox.open(rel) as opened:
                    views.append(self.views.get(opened, rel))
            except (DocumentTooLargeError, SandboxError, QueryError) as exc:
                skipped.append(f"{rel}: {exc}")
        return views, skipped

    def _grep_result(
        self,
        pattern: str,
        raw: list[GrepLine],
        views: list[View],
        max_matches: int,
        max_line_chars: int,
    ) -> GrepResult:
        matches: list[GrepMatch] = []
        n = 0
        truncated = False
        for g in raw:
            if g.is_match:
                if n >= max_matches:
                    truncated = True
                    break
                n += 1
            view = views[g.file_index]
            span = view.section_at(g.line)
            matches.append(
                GrepMatch(
                    view.file,
                    g.line,
                    g.text,
                    g.is_match,
                    span.index,
                    span.path,
                    view.page_of(g.line),
                )
            )
        while matches and not matches[-1].is_match and truncated:
            matches.pop()  # context after the last kept match belongs to a dropped one
        out: list[str] = []
        last: tuple[str, int] | None = None
        for m, g in zip(matches, raw, strict=False):  # matches: a prefix of raw
            if last and (last[0] != m.file or m.line > last[1] + 1):
                out.append("--")
            if last is None or last[0] != m.file:
                out.append(f"== {m.file}")
            sep = ":" if m.is_match else "-"
            where = f"[{PATH_SEPARATOR.join(m.section_path[-2:])}] " if m.section_path else ""
            out.append(f"{m.line}{sep} {where}{_clip(m.text, g.start, max_line_chars)}")
            last = (m.file, m.line)
        if truncated:
            out.append(f"[output truncated at {max_matches} matches; narrow the pattern or glob]")
        text = "\n".join(out) if out else f"(no matches for {pattern!r})"
        return GrepResult(text, matches, n, truncated)

    def outline(self, file: str) -> OutlineResult:
        """The section tree of a document: ids, kinds, titles, line spans and sizes."""
        return self._record("outline", {"file": file}, lambda: self._outline(file))

    def _outline(self, file: str) -> OutlineResult:
        view = self.view(file)
        lines = [f"{view.file}: {len(view.lines)} lines, {len(view.sections) - 1} sections"]
        for s in view.sections[1:]:
            chars = sum(len(x) + 1 for x in view.lines[s.start - 1 : s.end])
            page = f" p.{s.page_start}" if s.page_start is not None else ""
            lines.append(
                f"{'  ' * (s.level - 1)}[{s.id}] {s.title} ({s.kind}, lines {s.start}-{s.end},"
                f" {chars} chars{page})"
            )
        return OutlineResult("\n".join(lines), view.file, list(view.sections))

    def read(
        self,
        file: str,
        section: str | None = None,
        start: int | None = None,
        end: int | None = None,
        max_chars: int | None = None,
    ) -> ReadResult:
        """A section (by id, title or reference such as "Note 12"), a 1-based inclusive line
        range, or the whole document, cut at `max_chars` with an explicit marker."""
        args = {
            "file": file,
            "section": section,
            "start": start,
            "end": end,
            "max_chars": max_chars,
        }
        return self._record("read", args, lambda: self._read(file, section, start, end, max_chars))

    def _read(
        self,
        file: str,
        section: str | None,
        start: int | None,
        end: int | None,
        max_chars: int | None,
    ) -> ReadResult:
        view = self.view(file)
        span: SectionSpan | None = None
        if section is not None:
            span = self.find_section(view, section)
            lo, hi = span.start, span.end
            if start is not None:
                lo = max(lo, start)
            if end is not None:
                hi = min(hi, end)
        else:
            lo = 1 if start is None else start
            hi = len(view.lines) if end is None else end
            if lo < 1 or hi < lo:
                raise QueryError(
                    f"line range {start}-{end} is invalid; expected 1 <= start <= end "
                    f"(the file has {len(view.lines)} lines)"
                )
            hi = min(hi, len(view.lines))
        return self._read_span(view, lo, hi, span, max_chars or self.max_read_chars)

    def _read_span(
        self, view: View, lo: int, hi: int, span: SectionSpan | None, budget: int
    ) -> ReadResult:
        kept: list[str] = []
        used = 0
        last = lo - 1
        for n in range(lo, hi + 1):
            line = view.line(n)
            if used + len(line) + 1 > budget and kept:
                break
            kept.append(line[:budget] if not kept else line)
            used += len(line) + 1
            last = n
        truncated = last < hi
        body = "\n".join(kept)
        where = PATH_SEPARATOR.join(span.path) if span and span.path else "(document)"
        header = f"== {view.file} > {where} (lines {lo}-{last})"
        text = header + "\n" + body
        if truncated:
            text += (
                f"\n[... truncated: lines {last + 1}-{hi} not shown; "
                f"read with start={last + 1} to continue]"
            )
        pages = [p for p in (view.page_of(lo), view.page_of(max(lo, last))) if p is not None]
        return ReadResult(
            text,
            view.file,
            body,
            span,
            lo,
            last,
            truncated,
            min(pages) if pages else None,
            max(pages) if pages else None,
        )

    def follow(self, file: str, reference: str, max_chars: int | None = None) -> ReadResult:
        """Resolve a cross-reference ("Note 12", "Item 7", "Part II, Item 8") in `file` to
        its section and read it."""
        args = {"file": file, "reference": reference, "max_chars": max_chars}
        return self._record("follow", args, lambda: self._follow(file, reference, max_chars))

    def _follow(self, file: str, reference: str, max_chars: int | None) -> ReadResult:
        view = self.view(file)
        span = self.resolve(view, reference)
        if span is None:
            raise QueryError(
                f"reference {reference!r} does not resolve to a section of {view.file}; "
                "expected e.g. 'Note 12', 'Item 7' or 'Part II, Item 8'"
            )
        return self._read_span(view, span.start, span.end, span, max_chars or self.max_read_chars)

    def search(
        self,
        query: str,
        k: int = 5,
        file: str | None = None,
        glob: str | None = None,
        filters: Mapping[str, Any] | None = None,
        snippet_chars: int = 240,
    ) -> SearchResult:
        """The searcher's top-k hits for `query`, each placed in its corpus file (section,
        lines, pages) with a snippet; `file` or `glob` restrict it to matching corpus files
        (a path outside the root is refused like every path), `filters` are the retriever
        contract's. Hits from documents that are not corpus files are dropped."""
        args = {"query": query, "k": k, "file": file, "glob": glob,
                "filters": dict(filters) if filters else None}  # fmt: skip
        return self._record(
            "search", args, lambda: self._search(query, k, file, glob, filters, snippet_chars)
        )

    def _search(
        self, query: str, k: int, file: str | None, glob: str | None,
        filters: Mapping[str, Any] | None, snippet_chars: int,
    ) -> SearchResult:  # fmt: skip
        if self.searcher is None:
            raise ConfigError(
                "no search tool: these tools were built without a searcher; pass "
                "Tools(root, searcher=pipeline) with a retriever over the same documents"
            )
        if not query or not query.strip():
            raise QueryError("empty search query; expected words to search for")
        if isinstance(k, bool) or not isinstance(k, int) or not 0 < k <= 100:
            raise QueryError(f"k must be an integer in 1..100, got {k!r}")
        scope = dict(filters or {})
        if file is not None or glob is not None:
            paths = [self.sandbox.resolve(file)] if file is not None else self.sandbox.files(glob)
            rels = [self.sandbox.relative(p) for p in paths]
            if not rels:
                return SearchResult(f"(no files match {glob!r})", query, [])
            ids = {self._files().doc_id(r) for r in rels}
            if "doc_id" in scope:  # the caller's filter still holds
                given = scope["doc_id"]
                given = given if isinstance(given, list | tuple | set) else [given]
                ids &= {str(d) for d in given}
            if not ids:
                return SearchResult("(no files in scope)", query, [])
            scope["doc_id"] = sorted(ids)
        hits = self.searcher.search([query], k, scope or None)[0]
        return self._placed(query, hits, snippet_chars)

    def _files(self) -> DocFiles:
        if self._doc_files is None:
            self._doc_files = DocFiles(self.files())
        return self._doc_files

    def _placed(self, query: str, hits: list[Hit], snippet_chars: int) -> SearchResult:
        placed: list[SearchHit] = []
        for hit in hits:
            placed_hit = self.place(hit, len(placed) + 1)
            if placed_hit is not None:
                placed.append(placed_hit)
        return SearchResult(render_hits(query, placed, snippet_chars), query, placed)

    def place(self, hit: Hit, rank: int | None = None) -> SearchHit | None:
        """A retriever hit placed in its corpus file (unrecorded); None when its document is
        not a file inside the root or the hit has no chunk."""
        if hit.chunk is None:
            return None
        rel = self._files().file_of(hit.chunk)
        if rel is None:
            return None
        try:
            view = self.view(rel)
        except (SandboxError, QueryError):
            return None
        return place_hit(view, hit, hit.rank if rank is None else rank)

    # -- helpers shared with the agents -----------------------------------------------------
    def resolve(
        self, view: View, reference: Any, within: SectionSpan | None = None
    ) -> SectionSpan | None:
        """The section a reference (text or `Reference`) points to, via ragkit's chunkers;
        `within` (the referring section) disambiguates items repeated across parts."""
        try:
            from ragkit.chunkers.references import resolve_reference
        except ImportError as exc:
            raise DependencyError(
                "ragkit.chunkers.references is needed to follow references"
            ) from exc
        doc = view.skeleton()
        here = doc.section(within.id) if within is not None else None
        target = resolve_reference(doc, reference, here)
        if target is None:
            return None
        return next((s for s in view.sections if s.id == target.id), None)

    def find_section(self, view: View, section: str) -> SectionSpan:
        """A section by id, exact title or path, title substring, or reference text."""
        wanted = section.strip()
        low = wanted.lower()
        for s in view.sections:
            if s.id == wanted:
                return s
        for s in view.sections[1:]:
            if s.title.lower() == low or PATH_SEPARATOR.join(s.path).lower() == low:
                return s
        try:
            span = self.resolve(view, wanted)
        except (DependencyError, RagkitError):
            span = None
        if span is not None:
            return span
        for s in view.sections[1:]:
            if low in s.title.lower():
                return s
        raise QueryError(
            f"no section {section!r} in {view.file}; expected a section id, a title or a "
            "reference such as 'Note 12' (see outline)"
        )


def _clip(text: str, start: int, limit: int) -> str:
    """A long line cut to `limit` characters around its first match (at `start`, from the
    grep engine: the pattern is never run again here, so it cannot escape grep's timeout)."""
    if len(text) <= limit:
        return text
    centre = max(start, 0)
    lo = max(0, centre - limit // 3)
    hi = min(len(text), lo + limit)
    return ("…" if lo else "") + text[lo:hi] + ("…" if hi < len(text) else "")
