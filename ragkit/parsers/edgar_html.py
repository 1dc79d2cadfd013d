"""EDGAR HTML (10-K, 10-Q, any HTML) to a `Document`: Part > Item > headings, notes as sections.

Steps: decode, parse with lxml, flatten to styled blocks (`html_blocks`), number pages from
page-break rules, drop running headers/footers and bare page numbers, find parts/items/notes
(the occurrence followed by the most text wins, so the table of contents is not mistaken for
the items), treat the remaining short styled blocks as headings nested by prominence, turn
tables into table blocks with header rows and footnotes, and read the filing metadata.
"""

from __future__ import annotations

import bisect
import logging
import re
from collections import Counter
from typing import Any

from lxml import etree
from lxml import html as lxml_html

from ragkit.errors import EmptyDocumentError, ParseError
from ragkit.parsers.decode import declared_charset, decode_bytes
from ragkit.parsers.filing_metadata import cover_facts, dei_facts
from ragkit.parsers.headings import (
    NOTES_TITLE_RE,
    Candidate,
    choose_ordered,
    furniture_key,
    is_page_number,
    match_item,
    match_note,
    match_part,
    select_by_span,
    title_case,
)
from ragkit.parsers.html_blocks import BlockExtractor, RawBlock, is_numeric
from ragkit.parsers.tree import HeadingMark, build_tree
from ragkit.types import Block, BlockKind, Document

logger = logging.getLogger(__name__)

_BULLET_START = re.compile(r"^[•·◦▪■●\u2022\uf0b7]\s*")
_FOOTNOTE_START = re.compile(r"^(\(\d{1,2}\)|\([a-z]\)|\d{1,2}\)|[a-z]\)|\*{1,3})\s*(?=\S)")
_YEARISH = re.compile(r"^(?:19|20)\d{2}$|^(?:fiscal|fy)\s*\d{2,4}$", re.I)
_LETTERS = re.compile(r"[A-Za-z]")
_ENUM_HEADING = re.compile(r"^\([a-z0-9]{1,3}\)\s+[A-Z]")
_MAX_HEADING_CHARS = 250
_MAX_HEADER_ROWS = 5


def parse_edgar_html(
    data: bytes | str, doc_id: str = "document", source: str = "", fmt: str | None = None
) -> Document:
    """Parse an EDGAR (or any) HTML document into a Document with a section tree.

    `fmt` overrides the `format` metadata ("edgar-html" when filing metadata or items are
    found, else "html"). Raises EmptyDocumentError when the document has no visible text.
    """
    if isinstance(data, bytes):
        text, codec = decode_bytes(data, declared_charset(data))
    else:
        text, codec = data, "str"
    root = _parse_tree(text, source)
    metadata: dict[str, Any] = dei_facts(root)
    body = root.find("body")
    raw = BlockExtractor().walk(body if body is not None else root)
    has_pages = _assign_pages(raw)
    raw = [b for b in raw if b.kind != "break"]
    raw = _drop_furniture(raw, has_pages)
    if not any(b.kind == "table" or _LETTERS.search(b.text) for b in raw):
        raise EmptyDocumentError(
            f"{source or doc_id}: the HTML holds no visible text "
            f"({len(text)} characters of markup); expected a document with text"
        )
    if not {"form_type", "period_end", "company"} <= metadata.keys():
        cover = cover_facts([b.text for b in raw[:80] if b.kind == "text"])
        for key, value in cover.items():
            metadata.setdefault(key, value)
    stream, n_structural = _structure(raw, has_pages)
    title = metadata.get("company", "") or _title_of(root)
    root_section = build_tree(doc_id, stream, root_title=title)
    metadata["format"] = fmt or (
        "edgar-html" if n_structural or "form_type" in metadata else "html"
    )
    metadata["encoding"] = codec
    logger.debug("parsed %s: %d blocks, %d structural sections", doc_id, len(raw), n_structural)
    return Document(id=doc_id, source=source, root=root_section, metadata=metadata)


def _parse_tree(text: str, source: str) -> Any:
    parser = lxml_html.HTMLParser(
        encoding="utf-8", remove_comments=True, remove_pis=True, huge_tree=True
    )
    try:
        root = lxml_html.document_fromstring(text.encode("utf-8", errors="replace"), parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise EmptyDocumentError(
            f"{source or 'document'}: no HTML content could be parsed ({exc}); "
            "expected an HTML document with visible text"
        ) from exc
    if root is None:
        raise ParseError(f"{source or 'document'}: lxml returned no tree; expected HTML")
    for entry in parser.error_log:
        if entry.type_name == "ERR_RESOURCE_LIMIT":
            # libxml2 stops building the tree (silently dropping the rest) past 2,048 levels
            raise ParseError(
                f"{source or 'document'}: the HTML is nested too deeply to parse "
                f"({entry.message.strip()}, line {entry.line}); expected at most 2,048 levels"
            )
    return root


def _title_of(root: Any) -> str:
    el = root.find(".//title")
    return " ".join(el.text_content().split()) if el is not None else ""


# -- pages ---------------------------------------------------------------------------------


def _assign_pages(raw: list[RawBlock]) -> bool:
    """Number the blocks' pages from page-break styles (else `<hr>` rules); False if neither."""
    hard = sum(1 for b in raw if b.kind == "break" and b.hard_break)
    soft = sum(1 for b in raw if b.kind == "break" and not b.hard_break)
    use_hard = hard >= 2
    if not use_hard and soft < 2:
        return False
    page = 0
    seen_content = False
    for b in raw:
        if b.kind == "break":
            if b.hard_break == use_hard and seen_content:
                page += 1
                seen_content = False
            continue
        b.page = page
        seen_content = True
    return True


def _drop_furniture(raw: list[RawBlock], has_pages: bool) -> list[RawBlock]:
    """Drop bare page numbers and running headers/footers (short texts repeated at page edges)."""
    keep = [not (b.kind == "text" and is_page_number(b.text)) for b in raw]
    if has_pages:
        edge = [False] * len(raw)
        for i, b in enumerate(raw):
            prev_page = raw[i - 1].page if i else -1
            next_page = raw[i + 1].page if i + 1 < len(raw) else -1
            edge[i] = b.page != prev_page or b.page != next_page
        counts: Counter[str] = Counter()
        edge_counts: Counter[str] = Counter()
        keys: list[str | None] = []
        for i, b in enumerate(raw):
            if b.kind == "text" and len(b.text) <= 150:
                k = furniture_key(b.text)
                counts[k] += 1
                if edge[i]:
                    edge_counts[k] += 1
                keys.append(k)
            else:
                keys.append(None)
        for i, key in enumerate(keys):
            if key is None or not edge[i]:
                continue
            if counts[key] >= 3 and edge_counts[key] >= 0.6 * counts[key]:
                keep[i] = False
    return [b for b, k in zip(raw, keep, strict=True) if k]


# -- structure -----------------------------------------------------------------------------


def _body_size(raw: list[RawBlock]) -> float:
    sizes: Counter[float] = Counter()
    for b in raw:
        if b.kind == "text":
            sizes[round(b.size * 2) / 2] += len(b.text)
    return sizes.most_common(1)[0][0] if sizes else 10.0


def _is_caps(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 4 and all(c.isupper() for c in letters)


def _heading_like(b: RawBlock, body: float) -> bool:
    """A short standalone block styled apart from body text (bold, larger, underlined, caps)."""
    text = b.text
    if b.kind != "text" or len(text) > _MAX_HEADING_CHARS or b.linked >= 0.5:
        return False
    if not _LETTERS.search(text) or text[0].islower() or text[0] in "•·–—-*" or is_numeric(text):
        return False
    if text[0] == "(" and not _ENUM_HEADING.match(text):
        return False
    if _BULLET_START.match(text):
        return False
    words = len(text.split())
    styled = b.bold >= 0.8 or b.underline >= 0.8 or b.size >= body + 1.0
    if styled:
        return True
    if _is_caps(text) and words <= 15:
        return True
    return b.italic >= 0.9 and words <= 12 and not text.endswith((".", ",", ";"))


def _style_key(b: RawBlock) -> tuple[Any, ...]:
    return (
        round(b.size * 2) / 2,
        b.bold >= 0.5,
        b.italic >= 0.5,
        b.underline >= 0.5,
        _is_caps(b.text),
        b.center,
    )


def _prominence(b: RawBlock) -> tuple[float, ...]:
    return (
        round(b.size * 2) / 2,
        float(_is_caps(b.text)),
        float(b.bold >= 0.5),
        float(b.underline >= 0.5),
        float(b.italic < 0.5),
        float(b.center),
    )


def _block_weights(raw: list[RawBlock]) -> list[int]:
    weight = [0]
    for b in raw:
        n = len(b.text) if b.kind == "text" else sum(len(c) + 3 for r in b.rows for c in r)
        weight.append(weight[-1] + n)
    return weight


def _structure(raw: list[RawBlock], has_pages: bool) -> tuple[list[HeadingMark | Block], int]:
    """Decide parts, items, notes and headings; return the ordered stream for `build_tree`."""
    body = _body_size(raw)
    heading = [_heading_like(b, body) for b in raw]
    weight = _block_weights(raw)
    n = len(raw)
    consumed: set[int] = set()

    def short_standalone(i: int) -> bool:
        b = raw[i]
        return (
            b.kind == "text"
            and b.linked < 0.5
            and len(b.text) <= _MAX_HEADING_CHARS
            and (heading[i] or len(b.text) <= 100)
        )

    # parts
    part_cands = []
    for i, b in enumerate(raw):
        if b.kind == "text" and len(b.text) <= 120 and short_standalone(i):
            m = match_part(b.text)
            if m:
                part_cands.append(Candidate(i, "part", m[0], b.text, ("part", m[0])))
    part_ends = [c.pos for c in part_cands[1:]] + [n] if part_cands else []
    parts = choose_ordered(part_cands, part_ends, weight, ("I", "II", "III", "IV"))

    # items
    item_cands: list[Candidate] = []
    for i, b in enumerate(raw):
        if not short_standalone(i):
            continue
        m = match_item(b.text)
        if not m:
            continue
        part = _enclosing(parts, i)
        if parts and part is None:
            continue  # before the first part: cover page or table of contents
        item_cands.append(Candidate(i, "item", m[0], b.text, ("item", part or "", m[0])))
    boundaries = sorted([c.pos for c in item_cands] + [c.pos for c in part_cands])
    item_ends = [_next_after(boundaries, c.pos, n) for c in item_cands]
    items = select_by_span(item_cands, item_ends, weight) if item_cands else []
    for c in items:
        matched = match_item(c.title)  # matched when selected: a title-less "Item 7."
        if matched is not None and not matched[1]:
            _merge_title(raw, c, heading, consumed)

    # notes
    notes = _find_notes(raw, heading, items, parts, weight, consumed)

    structural = {c.pos: c for c in [*parts, *items, *notes]}
    first_structural = min(structural) if structural else n
    stream: list[HeadingMark | Block] = []
    footnoted: set[int] = set()
    for i, b in enumerate(raw):
        if i in consumed or i in footnoted:
            continue
        page = b.page if has_pages else None
        cand = structural.get(i)
        if cand is not None:
            stream.append(HeadingMark(cand.kind, cand.title, cand.number, page=page))
            continue
        if b.kind == "table":
            stream.append(_table_block(raw, i, page, footnoted))
            continue
        if _is_caption_source(raw, i) and i + 1 < n and raw[i + 1].kind == "table":
            continue  # becomes the caption of the next table
        if heading[i] and i > first_structural:
            stream.append(
                HeadingMark("heading", b.text, None, _prominence(b), _style_key(b), page=page)
            )
            continue
        kind: BlockKind = (
            "heading" if heading[i] else "list_item" if _BULLET_START.match(b.text) else "paragraph"
        )
        stream.append(Block(kind, b.text, page=page))
    return stream, len(structural)


def _increasing(cands: list[Candidate], key: Any) -> list[Candidate]:
    out: list[Candidate] = []
    for c in cands:
        if not out or key(c) > key(out[-1]):
            out.append(c)
    return out


def _enclosing(cands: list[Candidate], pos: int) -> str | None:
    found = None
    for c in cands:
        if c.pos < pos:
            found = c.number
        else:
            break
    return found


def _next_after(sorted_positions: list[int], pos: int, default: int) -> int:
    i = bisect.bisect_right(sorted_positions, pos)
    return sorted_positions[i] if i < len(sorted_positions) else default


def _merge_title(
    raw: list[RawBlock], cand: Candidate, heading: list[bool], consumed: set[int]
) -> None:
    """ "Item 1A." alone on its line: take the title from the next short block."""
    j = cand.pos + 1
    if (
        j < len(raw)
        and raw[j].kind == "text"
        and len(raw[j].text) <= 150
        and (heading[j] or len(raw[j].text) <= 80)
    ):
        if match_item(raw[j].text) or match_part(raw[j].text):
            return
        cand.title = f"{cand.title} {raw[j].text}"
        consumed.add(j)


def _find_notes(
    raw: list[RawBlock],
    heading: list[bool],
    items: list[Candidate],
    parts: list[Candidate],
    weight: list[int],
    consumed: set[int],
) -> list[Candidate]:
    """Notes to the financial statements: in Item 8 (10-K) or Part I Item 1 (10-Q)."""
    n = len(raw)
    regions: list[tuple[int, int]] = []
    for k, c in enumerate(items):
        if c.number == "8" or (c.number == "1" and c.key[1] in ("I", "")):
            end = items[k + 1].pos if k + 1 < len(items) else n
            regions.append((c.pos, end))
    titles = [
        i
        for i, b in enumerate(raw)
        if b.kind == "text"
        and len(b.text) <= 150
        and NOTES_TITLE_RE.search(b.text)
        and b.linked < 0.5
    ]
    best: list[Candidate] = []
    tried: list[tuple[int, int]] = list(regions)
    if titles:
        tried.append((titles[0], n))
    tried.append((items[0].pos if items else 0, n))
    for start, end in tried:
        found = _notes_in(raw, heading, start, end, weight)
        if len(found) > len(best):
            best = found
        if len(best) >= 3:
            break
    for c in best:
        if not c.title.split(maxsplit=2)[2:] and match_note(c.title, True):
            m = match_note(c.title, True)
            if m and not m[1]:
                j = c.pos + 1
                if j < n and raw[j].kind == "text" and len(raw[j].text) <= 150:
                    c.title = f"{c.title} {raw[j].text}"
                    consumed.add(j)
    return best


def _notes_in(
    raw: list[RawBlock], heading: list[bool], start: int, end: int, weight: list[int]
) -> list[Candidate]:
    cands: list[Candidate] = []
    for i in range(start + 1, end):
        b = raw[i]
        if b.kind != "text" or len(b.text) > 260 or b.linked >= 0.5:
            continue
        bare_ok = heading[i] or (len(b.text) <= 120 and title_case(b.text))
        m = match_note(b.text, allow_bare=bare_ok)
        if not m:
            continue
        number, title, form = m
        if form == "prefixed" and not (heading[i] or b.bold >= 0.5 or len(b.text) <= 60):
            continue
        if form == "prefixed" and not title and i + 1 < end and raw[i + 1].kind != "text":
            continue
        cands.append(Candidate(i, "note", number, b.text, ("note", number), _style_key(b)))
    if not cands:
        return []
    # keep the dominant form (and for bare numbers, the dominant style): lists look alike
    forms = Counter("p" if c.title.lower().startswith("note") else "b" for c in cands)
    form = forms.most_common(1)[0][0]
    cands = [c for c in cands if ("p" if c.title.lower().startswith("note") else "b") == form]
    if form == "b":
        style = Counter(c.style for c in cands).most_common(1)[0][0]
        cands = [c for c in cands if c.style == style]
    positions = [c.pos for c in cands]
    ends = [_next_after(positions, c.pos, end) for c in cands]
    chosen = select_by_span(cands, ends, weight)
    return _increasing(chosen, lambda c: int(c.number))


# -- tables --------------------------------------------------------------------------------


def header_row_count(rows: list[list[str]], first_empty: list[bool]) -> int:
    """Leading rows that label columns, before the first row with numeric values.

    Header rows hold titles and units ("(Dollars in millions)"), periods ("Three Months Ended
    June 30,"), years, dates and column labels, but no amounts. A one-cell row that comes after
    the column labels ("Operating activities:") starts the body. A table with no numeric row
    only has headers where its leading rows leave the label column empty.
    """
    count = 0
    seen_columns = False
    found_data = False
    for row, empty in zip(rows, first_empty, strict=True):
        values = row if empty else row[1:]
        if any(is_numeric(c) and not _YEARISH.match(c.strip("$ ")) for c in values):
            found_data = True
            break
        if len(row) == 1 and not empty:
            if seen_columns:
                found_data = True  # a body label row
                break
        else:
            seen_columns = True
        count += 1
    if found_data and seen_columns and 0 < count <= _MAX_HEADER_ROWS:
        return count
    if not found_data and _is_label_row(rows[0], rows[1:2]):
        return 1  # a text table under a row of column labels ("Title of each class | …")
    # no amounts to anchor on: leading rows with an empty label cell are the headers
    count = 0
    for row, empty in zip(rows, first_empty, strict=True):
        values = row if empty else row[1:]
        if not empty or count >= 4 or count >= len(rows) - 1:
            break
        if any(is_numeric(c) and not _YEARISH.match(c.strip("$ ")) for c in values):
            break
        count += 1
    return count


def _is_label_row(row: list[str], following: list[list[str]]) -> bool:
    """True for a row of short worded column labels as wide as the row under it."""
    return (
        bool(following)
        and len(row) >= 2
        and len(row) == len(following[0])
        and all(_LETTERS.search(c) and not any(ch.isdigit() for ch in c) for c in row)
        and all(len(c) <= 60 for c in row)
    )


def _table_block(raw: list[RawBlock], i: int, page: int | None, footnoted: set[int]) -> Block:
    b = raw[i]
    rows = tuple(tuple(r) for r in b.rows)
    caption = raw[i - 1].text if i > 0 and _is_caption_source(raw, i - 1) else ""
    table_text = " ".join(c for r in b.rows for c in r)
    footnotes: list[str] = []
    j = i + 1
    while j < len(raw) and len(footnotes) < 12:
        nb = raw[j]
        if nb.kind != "text":
            break
        m = _FOOTNOTE_START.match(nb.text)
        if not m or not _marker_in(m.group(1), table_text):
            break
        footnotes.append(nb.text)
        footnoted.add(j)
        j += 1
    return Block.table(
        rows, header_row_count(b.rows, b.raw_first_empty), caption, tuple(footnotes), page
    )


def _is_caption_source(raw: list[RawBlock], i: int) -> bool:
    b = raw[i]
    return (
        b.kind == "text"
        and b.center
        and len(b.text) <= 150
        and not _is_caps(b.text)
        and (b.bold >= 0.8 or b.italic >= 0.8)
    )


def _marker_in(marker: str, table_text: str) -> bool:
    if marker.startswith("*"):
        return marker in table_text
    core = marker.strip("()")
    return (
        f"({core})" in table_text
        or re.search(rf"(?<=\w){re.escape(core)}\)", table_text) is not None
    )
