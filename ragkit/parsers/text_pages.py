"""Plain text with pages (form feeds, e.g. pdftotext output) to a `Document` with page numbers.

Pages are split on `\\f` and numbered from 0 (FinanceBench's `evidence_page_num`). Blocks are
runs of lines separated by blank lines; headings are lines that read as "PART II", "Item 7.",
"Note 12 — Leases" or short all-caps lines. Running headers/footers (lines repeated at the top
or bottom of many pages) and bare page numbers are dropped. Of an item listed several times
(table of contents, then body), the occurrence followed by the most text becomes the section.
"""

from __future__ import annotations

import re
from collections import Counter

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
)
from ragkit.parsers.tree import HeadingMark, build_tree
from ragkit.types import Block, Document

_LETTERS = re.compile(r"[A-Za-z]")
_ROMANS = ("I", "II", "III", "IV")
_BULLET = re.compile(r"^\s*(?:[•·◦▪■●\u2022\uf0b7]|[-*]\s)")


def _is_caps_heading(line: str) -> bool:
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
    # (kind, text, page): kind "line-heading" or "para"
    units: list[tuple[str, str, int]] = []
    for page_no, lines in enumerate(pages):
        para: list[str] = []

        def flush(page: int = page_no, para: list[str] = para) -> None:
            if para:
                units.append(("para", " ".join(para), page))
                para.clear()

        for line in lines:
            s = " ".join(line.split())
            if not s:
                flush()
                continue
            if is_page_number(s) or (furniture and furniture_key(s) in furniture):
                continue
            if _line_is_heading(s):
                flush()
                units.append(("heading", s, page_no))
                continue
            if _BULLET.match(s):
                flush()
            para.append(s)
        flush()
    if not units:
        raise EmptyDocumentError(f"{source or doc_id}: only page furniture found; expected text")
    stream = _structure(units)
    metadata = {"format": "text"}
    return Document(id=doc_id, source=source, root=build_tree(doc_id, stream), metadata=metadata)


def _line_is_heading(s: str) -> bool:
    if len(s) > 160:
        return False
    if match_part(s) or match_item(s) and len(s) <= 160:
        return True
    note = match_note(s, allow_bare=False)
    if note and len(s) <= 100:
        return True
    return _is_caps_heading(s)


def _structure(units: list[tuple[str, str, int]]) -> list[HeadingMark | Block]:
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
        return [next((p for p in bounds if p > c.pos), n) for c in cs]

    # a table of contents lists the items with almost no text between them: skip that run
    items = [c for c in cands if c.kind == "item"]
    item_bounds = sorted(c.pos for c in cands if c.kind in ("part", "item"))
    body_items = drop_toc_run(items, ends(items, item_bounds), weight, min_chars=120)
    last_toc = max((c.pos for c in items if c not in body_items), default=-1)
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
        c = chosen.get(i)
        if c is not None:
            stream.append(HeadingMark(c.kind, t, c.number, page=page))  # type: ignore[arg-type]
        elif kind == "heading" and i > first and not match_item(t) and not match_part(t):
            stream.append(HeadingMark("heading", t, None, (1.0,), "caps", page=page))
        elif kind == "heading":
            stream.append(Block("heading", t, page=page))
        else:
            bkind = "list_item" if _BULLET.match(t) else "paragraph"
            stream.append(Block(bkind, t, page=page))
    return stream
