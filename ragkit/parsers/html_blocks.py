"""Flatten an lxml HTML tree into an ordered list of styled text blocks, tables and page breaks.

EDGAR HTML marks structure with styling (bold spans, font sizes, centred divs) rather than with
`<h1>`, so each text block carries style features (bold/italic/underline share of its letters,
font size, centring, share inside links) for the heading detector. Hidden content (`display:none`,
`ix:header`, scripts, styles) is dropped; `&#160;` becomes a space.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

_SKIP_TAGS = frozenset(
    {"script", "style", "head", "title", "noscript", "template", "ix:header", "xbrli:context"}
)
_BLOCK_TAGS = frozenset(
    {
        "div", "p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "tr", "center",
        "blockquote", "pre", "section", "article", "body", "html", "dl", "dt", "dd", "header",
        "footer", "form", "address", "caption", "thead", "tbody", "tfoot", "nav", "main",
        "page", "document", "type", "sequence", "filename", "description", "text",
    }
)  # fmt: skip
#: tags whose start separates words inside a table cell (td/th/tr: a table nested in a cell)
_CELL_BREAKS = frozenset({"br", "p", "div", "td", "th", "tr"})
_HEADING_SIZES = {"h1": 18.0, "h2": 15.0, "h3": 13.0, "h4": 12.0, "h5": 11.0, "h6": 10.0}
_FONT_SIZES = {"1": 7.5, "2": 10.0, "3": 12.0, "4": 13.5, "5": 18.0, "6": 24.0, "7": 36.0}
_WS = re.compile(r"[\s\u00a0\u2002\u2003\u2009\u200b\u202f]+")
_SIZE = re.compile(r"([\d.]+)\s*(pt|px|em|rem|%)?")
_NUMERIC = re.compile(r"^[\s$€£(]*[-—–]?[\d.,]*\d[\d.,]*\s*[)%]*$|^[-—–]+$")
_CURRENCY = frozenset({"$", "€", "£", "¥", "US$"})
_CLOSERS = frozenset({")", "%", ")%", "%)", "pts", "bps"})
_BULLETS = frozenset({"•", "·", "◦", "▪", "■", "●", "-", "—", "–", "o", "§", "\uf0b7"})

# State: (bold, italic, underline, size, center, linked)
State = tuple[bool, bool, bool, float, bool, bool]
_ROOT_STATE: State = (False, False, False, 10.0, False, False)
#: Tables nested deeper than this in one another become one paragraph of their text (nothing
#: is dropped); real filings nest none, and this bounds the cost of each cell's text to
#: MAX_TABLE_DEPTH visits per element.
MAX_TABLE_DEPTH = 32


@dataclass(slots=True)
class RawBlock:
    """One text block, table or page break in document order, with its style features."""

    kind: str  # "text" | "table" | "break"
    text: str = ""
    bold: float = 0.0
    italic: float = 0.0
    underline: float = 0.0
    size: float = 10.0
    center: bool = False
    linked: float = 0.0
    rows: list[list[str]] = field(default_factory=list)
    raw_first_empty: list[bool] = field(default_factory=list)
    page: int = 0
    hard_break: bool = True  # for breaks: a page-break style (True) or a bare <hr> (False)


def clean_text(text: str) -> str:
    """Collapse whitespace (including no-break and zero-width spaces) and strip."""
    return _WS.sub(" ", text).strip()


def is_numeric(cell: str) -> bool:
    """True for cells like `97,690`, `(1,204)`, `$ 3.2`, `12 %`, `—`."""
    return bool(_NUMERIC.match(cell))


def _parse_size(value: str, parent: float) -> float:
    m = _SIZE.match(value.strip())
    if not m:
        keywords = {"small": 9.0, "medium": 12.0, "large": 13.5, "x-large": 18.0, "smaller": 0.83}
        v = keywords.get(value.strip().lower())
        if v is None:
            return parent
        return parent * v if v < 1 else v
    num = float(m.group(1)) if m.group(1).count(".") <= 1 else parent
    unit = m.group(2) or "px"
    if unit == "pt":
        return num
    if unit == "px":
        return num * 0.75
    if unit in ("em", "rem"):
        return parent * num
    return parent * num / 100.0


class _StyleInfo:
    """What one element's style/tag changes (cached per distinct tag+style+attrs)."""

    __slots__ = ("bold", "italic", "underline", "size", "center", "hidden", "pb_before",
                 "pb_after")  # fmt: skip

    def __init__(self) -> None:
        self.bold: bool | None = None
        self.italic: bool | None = None
        self.underline: bool | None = None
        self.size: str | None = None
        self.center: bool | None = None
        self.hidden = False
        self.pb_before = False
        self.pb_after = False


def _style_info(tag: str, style: str, size_attr: str | None, align: str | None) -> _StyleInfo:
    info = _StyleInfo()
    if tag in ("b", "strong", "th"):
        info.bold = True
    elif tag in ("i", "em", "cite"):
        info.italic = True
    elif tag == "u" or tag == "ins":
        info.underline = True
    elif tag in _HEADING_SIZES:
        info.bold = True
        info.size = f"{_HEADING_SIZES[tag]}pt"
    elif tag == "center":
        info.center = True
    if size_attr:
        s = size_attr.strip()
        if s in _FONT_SIZES:
            info.size = f"{_FONT_SIZES[s]}pt"
        elif s[:1] in "+-" and s[1:].isdigit():
            info.size = f"{_FONT_SIZES.get(str(3 + int(s)), 12.0)}pt"
    if align and align.lower() == "center":
        info.center = True
    if style:
        for decl in style.split(";"):
            name, sep, value = decl.partition(":")
            if not sep:
                continue
            name = name.strip().lower()
            value = value.strip().lower()
            if name == "display" and value.startswith("none"):
                info.hidden = True
            elif name == "visibility" and value.startswith("hidden"):
                info.hidden = True
            elif name == "font-weight":
                info.bold = value.startswith("bold") or (
                    value[:3].isdigit() and int(value[:3]) >= 600
                )
            elif name == "font-style":
                info.italic = value.startswith(("italic", "oblique"))
            elif name in ("text-decoration", "text-decoration-line"):
                info.underline = "underline" in value
            elif name == "font-size":
                info.size = value
            elif name == "font":
                info.bold = "bold" in value or bool(re.search(r"\b[6-9]00\b", value))
                info.italic = "italic" in value
                m = re.search(r"([\d.]+(?:pt|px|em|%))", value)
                if m:
                    info.size = m.group(1)
            elif name == "text-align":
                info.center = value.startswith("center")
            elif name in ("page-break-before", "break-before"):
                info.pb_before = value.startswith(("always", "page"))
            elif name in ("page-break-after", "break-after"):
                info.pb_after = value.startswith(("always", "page"))
    return info


class BlockExtractor:
    """Walks an lxml tree once and collects RawBlocks (see module docstring)."""

    def __init__(self) -> None:
        self.blocks: list[RawBlock] = []
        self._frags: list[tuple[str, State]] = []
        self._cache: dict[tuple[Any, ...], _StyleInfo] = {}
        self._last_br = False
        self._todo: list[tuple[Callable[..., None], tuple[Any, ...]]] = []
        self._row_starts: list[int] = []

    # -- text buffer -------------------------------------------------------------------
    def _add(self, text: str | None, state: State) -> None:
        if text:
            self._frags.append((text, state))
            if not text.isspace():
                self._last_br = False

    def _flush(self) -> None:
        frags = self._frags
        if not frags:
            return
        self._frags = []
        self._last_br = False
        text = clean_text("".join(t for t, _ in frags))
        if not text:
            return
        total = bold = italic = under = linked = 0
        size_sum = 0.0
        center = False
        for t, st in frags:
            n = sum(1 for ch in t if ch.isalnum()) if len(t) < 400 else len(t)
            if not n:
                continue
            total += n
            if st[0]:
                bold += n
            if st[1]:
                italic += n
            if st[2]:
                under += n
            if st[5]:
                linked += n
            size_sum += st[3] * n
            center = center or st[4]
        if total == 0:
            total = 1
            size_sum = frags[0][1][3]
            center = frags[0][1][4]
        self.blocks.append(
            RawBlock(
                "text",
                text,
                bold / total,
                italic / total,
                under / total,
                size_sum / total,
                center,
                linked / total,
            )
        )

    def _break(self, hard: bool) -> None:
        self._flush()
        self.blocks.append(RawBlock("break", hard_break=hard))

    # -- walking -----------------------------------------------------------------------
    def _info(self, el: Any, tag: str) -> _StyleInfo:
        get = el.get
        style = get("style") or ""
        size_attr = get("size") if tag == "font" else None
        align = get("align")
        key = (tag, style, size_attr, align)
        info = self._cache.get(key)
        if info is None:
            info = _style_info(tag, style, size_attr, align)
            self._cache[key] = info
        return info

    def _state(self, info: _StyleInfo, parent: State, tag: str, el: Any) -> State:
        bold, italic, under, size, center, linked = parent
        if info.bold is not None:
            bold = info.bold
        if info.italic is not None:
            italic = info.italic
        if info.underline is not None:
            under = info.underline
        if info.size is not None:
            size = _parse_size(info.size, size)
        if info.center is not None:
            center = info.center
        if tag == "a" and el.get("href"):
            linked = True
        return (bold, italic, under, size, center, linked)

    def walk(self, root: Any) -> list[RawBlock]:
        """Extract the blocks of `root` (an lxml element) and return them.

        The walk is iterative (a stack of pending steps), so nesting as deep as lxml builds
        (2,048 levels) costs no Python recursion.
        """
        self._todo = [(self._walk, (root, _ROOT_STATE, 0))]
        while self._todo:
            step, args = self._todo.pop()
            step(*args)
        self._flush()
        return self.blocks

    def _then(self, steps: list[tuple[Callable[..., None], tuple[Any, ...]]]) -> None:
        """Schedule `steps` to run next, in the order given."""
        self._todo.extend(reversed(steps))

    def _children(
        self, el: Any, state: State, tables: int
    ) -> list[tuple[Callable[..., None], tuple[Any, ...]]]:
        """The steps that walk `el`'s children, each followed by its tail text."""
        steps: list[tuple[Callable[..., None], tuple[Any, ...]]] = []
        for child in el:
            steps.append((self._walk, (child, state, tables)))
            steps.append((self._add, (child.tail, state)))
        return steps

    def _walk(self, el: Any, state: State, tables: int) -> None:
        tag = el.tag
        if not isinstance(tag, str):  # comment or processing instruction
            return
        tag = tag.lower()
        if tag in _SKIP_TAGS:
            return
        info = self._info(el, tag)
        if info.hidden:
            return
        if info.pb_before:
            self._break(True)
        after = [(self._break, (True,))] if info.pb_after else []
        if tag == "table":
            self._then(self._table(el, state, tables) + after)
            return
        if tag == "br":
            if self._last_br:
                self._flush()
            else:
                self._frags.append(("\n", state))
                self._last_br = True
            return
        if tag == "hr":
            self._break(False)
            self._then(after)
            return
        new_state = self._state(info, state, tag, el)
        block = tag in _BLOCK_TAGS
        if block:
            self._flush()
        elif tag in ("td", "th"):
            self._frags.append((" ", new_state))
        self._add(el.text, new_state)
        end = [(self._flush, ())] if block else []
        self._then(self._children(el, new_state, tables) + end + after)

    # -- tables ------------------------------------------------------------------------
    def _cell_text(self, el: Any) -> str:
        parts: list[str] = []
        self._collect(el, parts)
        return clean_text("".join(parts))

    def _collect(self, el: Any, parts: list[str]) -> None:
        """Append the visible text of `el` and its descendants (iteratively: any depth)."""
        stack: list[tuple[Any, bool]] = [(el, False)]
        while stack:
            node, is_tail = stack.pop()
            if is_tail:
                if node.tail:
                    parts.append(node.tail)
                continue
            tag = node.tag
            if not isinstance(tag, str):
                continue
            tag = tag.lower()
            if tag in _SKIP_TAGS or self._info(node, tag).hidden:
                continue
            if tag in _CELL_BREAKS:
                parts.append(" ")
            if node.text:
                parts.append(node.text)
            for child in reversed(node):
                # a child's tail follows the child's own text, whatever the child is
                stack.append((child, True))
                stack.append((child, False))

    def _table(
        self, table: Any, state: State, tables: int
    ) -> list[tuple[Callable[..., None], tuple[Any, ...]]]:
        """Emit a table block; a layout table returns the steps that walk its rows as text."""
        self._flush()
        if tables >= MAX_TABLE_DEPTH:
            # tables nested deeper than any real filing's: their text as one paragraph
            self._add(self._cell_text(table), state)
            self._flush()
            return []
        own_rows = table_rows(table)
        raw_rows: list[list[str]] = []
        for tr in own_rows:
            cells = [
                self._cell_text(td)
                for td in tr
                if isinstance(td.tag, str) and td.tag.lower() in ("td", "th")
            ]
            raw_rows.append(cells)
        rows = [merge_cells(r) for r in raw_rows]
        content = [(r, raw) for r, raw in zip(rows, raw_rows, strict=True) if r]
        if not content:
            return []
        if _is_layout_table([r for r, _ in content]):
            # a table used for layout (headings, bullets, footnotes): walk it as text
            steps: list[tuple[Callable[..., None], tuple[Any, ...]]] = []
            for tr in own_rows:
                steps.append((self._row_start, ()))
                steps += self._row_steps(tr, state, tables + 1)
                steps.append((self._row_end, ()))
            return steps
        self.blocks.append(
            RawBlock(
                "table",
                rows=[r for r, _ in content],
                raw_first_empty=[not raw or not raw[0] for _, raw in content],
            )
        )
        return []

    def _row_start(self) -> None:
        self._flush()
        self._row_starts.append(len(self.blocks))

    def _row_end(self) -> None:
        self._flush()
        self._join_marker(self._row_starts.pop())

    def _join_marker(self, start: int) -> None:
        """A layout row that became two blocks, a marker and its text ("5." | "Related Party
        Transactions", each cell a paragraph), is one line: the marker joins the text."""
        new = self.blocks[start:]
        if (
            len(new) == 2
            and new[0].kind == new[1].kind == "text"
            and _is_marker(new[0].text.strip())
        ):
            self.blocks[start:] = [replace(new[1], text=f"{new[0].text.strip()} {new[1].text}")]

    def _row_steps(
        self, tr: Any, state: State, tables: int
    ) -> list[tuple[Callable[..., None], tuple[Any, ...]]]:
        """The steps that walk one layout-table row's cells as text."""
        info = self._info(tr, "tr")
        row_state = self._state(info, state, "tr", tr)
        steps: list[tuple[Callable[..., None], tuple[Any, ...]]] = []
        for td in tr:
            if not isinstance(td.tag, str):
                continue
            tag = td.tag.lower()
            cinfo = self._info(td, tag)
            if cinfo.hidden:
                continue
            cstate = self._state(cinfo, row_state, tag, td)
            steps.append((self._cell_start, (td, cstate)))
            steps += self._children(td, cstate, tables)
        return steps

    def _cell_start(self, td: Any, state: State) -> None:
        self._frags.append((" ", state))
        self._add(td.text, state)


def table_rows(table: Any) -> list[Any]:
    """The `<tr>` rows of `table` itself, in order: not those of tables nested in its cells
    (their text belongs to the outer cell), so nested tables cost linear time, not exponential.
    """
    rows: list[Any] = []
    stack = [child for child in reversed(table) if isinstance(child.tag, str)]
    while stack:
        el = stack.pop()
        tag = el.tag.lower()
        if tag == "tr":
            rows.append(el)
        elif tag != "table":
            stack.extend(child for child in reversed(el) if isinstance(child.tag, str))
    return rows


def merge_cells(cells: list[str]) -> list[str]:
    """Drop empty cells; join a lone `$` to the next cell and a lone `)` or `%` to the previous."""
    out: list[str] = []
    pending = ""
    for cell in cells:
        if not cell:
            continue
        if cell in _CURRENCY:
            pending = (pending + " " + cell).strip()
            continue
        if cell in _CLOSERS and out and not pending:
            out[-1] += cell
            continue
        if pending:
            cell = f"{pending} {cell}"
            pending = ""
        out.append(cell)
    if pending:
        out.append(pending)
    return out


def _is_layout_table(rows: list[list[str]]) -> bool:
    """True when a table only arranges text: bullets, footnote markers, "Item 1. | Business"."""
    for row in rows:
        if len(row) > 2:
            return False
        if any(is_numeric(c) and not _is_marker(c) for c in row):
            return False
        if len(row) == 2 and len(row[0]) > 12:
            return False
    if len(rows) == 1:
        return True
    # several rows of two cells: only bullets/markers in the first column make it layout
    return all(len(r) == 1 or r[0] in _BULLETS or _is_marker(r[0]) for r in rows)


_MARKER = re.compile(r"^(?:\(?[0-9]{1,2}\)|\(?[a-z]\)|\*{1,3}|[0-9]{1,2}\.|[a-z]\.)$")


def _is_marker(text: str) -> bool:
    return bool(_MARKER.match(text))
