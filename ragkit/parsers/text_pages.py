"""Plain text with pages (form feeds, e.g. pdftotext output) to a `Document` with page numbers.

Pages are split on `\\f` and numbered from 0 (FinanceBench's `evidence_page_num`). Blocks are
runs of lines separated by blank lines; headings are lines that read as "PART II", "Item 7.",
"Note 12 — Leases", statement titles, or short all-caps/title-case lines followed by prose
(never table line items such as "TOTAL CURRENT ASSETS"). Running headers/footers (lines
repeated at the top or bottom of many pages) and bare page numbers are dropped.
Of an item listed several times
(table of contents, then body), the occurrence followed by the most text becomes the section.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from typing import Any

from ragkit.errors import EmptyDocumentError
from ragkit.parsers.headings import (
    Candidate,
    choose_ordered,
    drop_toc_run,
    furniture_key,
    is_page_number,
    match_item,
    match_note,
    match_part,
    select_by_span,
    title_case,
)
from ragkit.parsers.statements import statement_pages
from ragkit.parsers.tree import HeadingMark, build_tree
from ragkit.types import STATEMENT_PAGES_KEY, Block, BlockKind, Document

_LETTERS = re.compile(r"[A-Za-z]")
_ROMANS = ("I", "II", "III", "IV")
_BULLET = re.compile(r"^\s*(?:[•·◦▪■●\u2022\uf0b7]|[-*]\s)")


_STATEMENT_TITLE = re.compile(
    r"^(?:(?:consolidated|combined|condensed|unaudited|interim)\s+)*"
    r"(?:balance\s+sheets?|statements?\s+of\s+[a-z ,()'’-]{4,80}"
    r"|notes\s+to\s+(?:the\s+)?(?:\w+\s+){0,3}financial\s+statements"
    r"|report\s+of\s+independent\s+registered\s+public\s+accounting\s+firm)$",
    re.I,
)
#: first words of table line items ("TOTAL CURRENT ASSETS", "Less: accumulated depreciation")
_LINE_ITEM = re.compile(r"^(?:total|subtotal|sub-total|less|add|plus)\b", re.I)
_MAX_SKIPPED_HEADINGS = 2
#: a caps/title line seen this often in one document is a running header, not a section
_MAX_REPEATS = 4
_CONTINUED = re.compile(r"\(?continued\)?\s*$", re.I)


def _is_caps_heading(line: str) -> bool:
    """Shape of an all-caps heading line (its context is judged by `_followed_by_prose`)."""
    letters = [c for c in line if c.isalpha()]
    words = line.split()
    return (
        len(letters) >= 4
        and all(c.isupper() for c in letters)
        and 1 <= len(words) <= 12
        and len(line) <= 100
        and not line.rstrip().endswith((",", ";"))
        and sum(c.isdigit() for c in line) <= len(letters) // 2
    )


def _is_title_heading(line: str) -> bool:
    """Shape of a short title-case heading line ("Cash Flow Activity", "Overview")."""
    words = line.split()
    return (
        1 <= len(words) <= 10
        and len(line) <= 80
        and line[0].isupper()
        and not line.endswith((".", ",", ";"))
        and not any(c.isdigit() for c in line)
        and title_case(line.rstrip(":"))
        and all(w[0].isupper() or len(w) <= 4 for w in words if w[0].isalpha())
    )


def _alpha_share(text: str) -> float:
    chars = [c for c in text if not c.isspace()]
    return sum(c.isalpha() for c in chars) / len(chars) if chars else 0.0


def _is_prose(lines: list[str], j: int) -> bool:
    """True when the paragraph starting at line j reads as running text, not table cells.

    pdftotext writes tables one cell per line, so their lines are short and numeric; prose
    lines are long, wrapped sentences.
    """
    first = lines[j]
    if _alpha_share(first) < 0.6:
        return False
    if len(first) >= 40 and len(first.split()) >= 6:
        return True
    para: list[str] = []
    for k in range(j, min(j + 6, len(lines))):
        if not lines[k]:
            break
        para.append(lines[k])
    joined = " ".join(para)
    return len(joined.split()) >= 10 and joined.endswith((".", ":")) and _alpha_share(joined) >= 0.6


def _heading_shape(s: str) -> bool:
    return (
        bool(match_part(s) or match_item(s) or match_note(s, allow_bare=False))
        or _is_caps_heading(s)
        or _is_title_heading(s)
    )


def _followed_by_prose(lines: list[str], i: int) -> bool:
    """True when, past blank lines and at most two further heading lines, prose follows line i."""
    skipped = 0
    for j in range(i + 1, len(lines)):
        t = lines[j]
        if not t:
            continue
        if _is_prose(lines, j):
            return True
        if skipped < _MAX_SKIPPED_HEADINGS and _heading_shape(t) and not _LINE_ITEM.match(t):
            skipped += 1
            continue
        return False
    return False


def _furniture(pages: list[list[str]]) -> set[str]:
    """Masked keys of lines repeated within the first/last 3 lines of at least a third of pages."""
    if len(pages) < 3:
        return set()
    counts: Counter[str] = Counter()
    for lines in pages:
        stripped = [ln.strip() for ln in lines if ln.strip()]
        edge = set(stripped[:3] + stripped[-3:])
        counts.update({furniture_key(ln) for ln in edge if len(ln) <= 120})
    threshold = max(3, len(pages) // 3)
    return {k for k, c in counts.items() if c >= threshold}


def parse_text_pages(text: str, doc_id: str = "document", source: str = "") -> Document:
    """Parse form-feed paged text into a Document whose blocks carry 0-based page numbers."""
    if not _LETTERS.search(text):
        raise EmptyDocumentError(
            f"{source or doc_id}: the text holds no letters ({len(text)} characters); "
            "expected a document with text"
        )
    pages = [p.split("\n") for p in text.replace("\r\n", "\n").replace("\r", "\n").split("\f")]
    furniture = _furniture(pages)
    title_lines: set[int] = set()
    # the cleaned lines of all pages ("" for a blank line), so headings can look ahead
    lines: list[str] = []
    line_pages: list[int] = []
    for page_no, page_lines in enumerate(pages):
        for line in [*page_lines, ""]:
            t = " ".join(line.split())
            if t and (is_page_number(t) or (furniture and furniture_key(t) in furniture)):
                continue
            lines.append(t)
            line_pages.append(page_no)
    repeats = Counter(t.lower() for t in lines if t)
    # (kind, text, page): kind "heading" or "para"
    units: list[tuple[str, str, int]] = []
    para: list[str] = []
    para_page = 0

    def flush() -> None:
        if para:
            units.append(("para", " ".join(para), para_page))
            para.clear()

    for i, t in enumerate(lines):
        page_no = line_pages[i]
        if para and page_no != para_page:
            flush()
        if not t:
            flush()
            continue
        prev = lines[i - 1] if i else ""
        heading = _line_is_heading(lines, i)
        if heading in ("caps", "title") and (
            repeats[t.lower()] >= _MAX_REPEATS or _CONTINUED.search(t)
        ):
            heading = None  # a running header ("Table of Contents") or a continued title
        if heading == "title" and prev and units[-1:] != [("heading", prev, line_pages[i - 1])]:
            heading = None  # a title-case line inside a run of lines is a table label
        if heading:
            flush()
            units.append(("heading", t, page_no))
            if heading == "title":
                title_lines.add(len(units) - 1)
            continue
        if _BULLET.match(t):
            flush()
        if not para:
            para_page = page_no
        para.append(t)
    flush()
    if not units:
        raise EmptyDocumentError(f"{source or doc_id}: only page furniture found; expected text")
    stream = _structure(units, title_lines)
    metadata: dict[str, Any] = {"format": "text"}
    statements = statement_pages(pages)
    if statements:
        metadata[STATEMENT_PAGES_KEY] = {str(p): kind for p, kind in statements.items()}
    return Document(id=doc_id, source=source, root=build_tree(doc_id, stream), metadata=metadata)


def _line_is_heading(lines: list[str], i: int) -> str | None:
    """The kind of heading line i is ("structural", "caps" or "title"), or None.

    Parts, items, notes and financial-statement titles are headings by their wording; other
    all-caps or title-case lines only when prose follows them, so that table line items
    ("TOTAL CURRENT ASSETS", "NET INCOME") and column labels stay inside their table.
    """
    s = lines[i]
    if len(s) > 160:
        return None
    if match_part(s) or match_item(s):
        return "structural"
    if match_note(s, allow_bare=False) and len(s) <= 100:
        return "structural"
    if _STATEMENT_TITLE.match(s.rstrip(":")) and len(s) <= 120:
        return "caps"
    if _LINE_ITEM.match(s):
        return None
    if _is_caps_heading(s) and _followed_by_prose(lines, i):
        return "caps"
    if _is_title_heading(s) and _followed_by_prose(lines, i):
        return "title"
    return None


def _structure(
    units: list[tuple[str, str, int]], title_lines: set[int]
) -> list[HeadingMark | Block]:
    n = len(units)
    weight = [0]
    for _, t, _ in units:
        weight.append(weight[-1] + len(t))
    cands: list[Candidate] = []
    for i, (kind, t, _) in enumerate(units):
        if kind != "heading":
            continue
        m = match_part(t)
        if m:
            cands.append(Candidate(i, "part", m[0], t, ("part", m[0])))
            continue
        mi = match_item(t)
        if mi:
            cands.append(Candidate(i, "item", mi[0], t, ("item", mi[0])))
            continue
        mn = match_note(t, allow_bare=False)
        if mn:
            cands.append(Candidate(i, "note", mn[0], t, ("note", mn[0])))

    def ends(cs: list[Candidate], bounds: list[int]) -> list[int]:
        """The first bound after each candidate (bounds sorted): a binary search each."""
        found = (bisect.bisect_right(bounds, c.pos) for c in cs)
        return [bounds[i] if i < len(bounds) else n for i in found]

    # a table of contents lists the items with almost no text between them: skip that run
    items = [c for c in cands if c.kind == "item"]
    item_bounds = sorted(c.pos for c in cands if c.kind in ("part", "item"))
    body_items = drop_toc_run(items, ends(items, item_bounds), weight, min_chars=120)
    kept_pos = {c.pos for c in body_items}
    last_toc = max((c.pos for c in items if c.pos not in kept_pos), default=-1)
    items = body_items
    parts = [c for c in cands if c.kind == "part" and c.pos > last_toc]
    parts = choose_ordered(parts, ends(parts, [c.pos for c in parts]), weight, _ROMANS)
    if parts:
        # items of 10-Qs repeat across parts: key them by their part
        items = [c for c in items if c.pos > parts[0].pos]
        for c in items:
            part = None
            for p in parts:
                if p.pos < c.pos:
                    part = p.number
            c.key = ("item", part or "", c.number)
    items = select_by_span(items, ends(items, item_bounds), weight)
    notes_start = next((c.pos for c in items if c.number == "8"), -1)
    if notes_start < 0:
        notes_start = next((c.pos for c in items if c.number == "1"), -1)
    notes = [c for c in cands if c.kind == "note" and c.pos > notes_start]
    note_bounds = sorted(c.pos for c in notes)
    notes = select_by_span(notes, ends(notes, note_bounds), weight)
    kept: list[Candidate] = []
    for c in notes:
        if not kept or int(c.number) > int(kept[-1].number):
            kept.append(c)
    notes = kept
    chosen = {c.pos: c for c in [*parts, *items, *notes]}
    first = min(chosen) if chosen else n

    stream: list[HeadingMark | Block] = []
    for i, (kind, t, page) in enumerate(units):
        mark = chosen.get(i)
        if mark is not None:
            stream.append(HeadingMark(mark.kind, t, mark.number, page=page))
        elif kind == "heading" and i > first and not match_item(t) and not match_part(t):
            style = "title" if i in title_lines else "caps"
            prominence = (0.5,) if style == "title" else (1.0,)
            stream.append(HeadingMark("heading", t, None, prominence, style, page=page))
        elif kind == "heading":
            stream.append(Block("heading", t, page=page))
        else:
            bkind: BlockKind = "list_item" if _BULLET.match(t) else "paragraph"
            stream.append(Block(bkind, t, page=page))
    return stream
