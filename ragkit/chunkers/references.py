"""Cross-references in filing text ("See Note 12", "Part II, Item 8") and their target sections.

`find_references(text)` finds the mentions; `resolve_reference(doc, ref)` maps one to the
section of the same document it names (notes by number, items by number within the right
part, parts by numeral). The chunkers store the resolved ids as `Chunk.links`; the agentic
`follow` tool and the pipeline's reference expansion reuse the same two functions.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from ragkit.types import Document, Section

ReferenceKind = Literal["note", "item", "part"]

_NUM_LIST_SEP = r"\s*(?:,\s*(?:and\s+|or\s+)?|and|or|&|through|to|-|–|—)\s*"
_NOTE_NUM = r"\d{1,2}(?:\.\d{1,2})?[A-Z]?(?![\d,]*%)(?!\.?\d)(?![A-Za-z])"
_NOTE_RE = re.compile(
    rf"\b(?:Notes?|NOTES?)\s+(?P<nums>{_NOTE_NUM}(?:{_NUM_LIST_SEP}{_NOTE_NUM})*)"
    r"(?P<tail>\s+(?:of|to|in)\s+(?:the\s+|our\s+|these\s+|its\s+)?(?:accompanying\s+)?"
    r"(?:notes\s+to\s+(?:the\s+)?)?(?:unaudited\s+)?(?:condensed\s+)?(?:consolidated\s+)?"
    r"financial\s+statements)?",
    re.IGNORECASE,
)
_ITEM_NUM = r"\d{1,2}[A-C]?(?![\d%])(?![a-z])"
_PART_NUM = r"(?:IV|I{1,3})"
_ITEM_RE = re.compile(
    rf"(?:\b(?:Part|PART)\s+(?P<pre_part>{_PART_NUM})\b\s*,?\s*)?"
    rf"\b(?:Items?|ITEMS?)\s+(?P<nums>{_ITEM_NUM}(?:{_NUM_LIST_SEP}{_ITEM_NUM})*)"
    rf"(?:\s*(?:,\s*)?(?:of|in)\s+(?:this\s+)?(?:Part|PART)\s+(?P<post_part>{_PART_NUM})\b)?"
)
_PART_RE = re.compile(rf"\b(?:Part|PART)\s+(?P<num>{_PART_NUM})\b(?!\s*,?\s*(?:Items?|ITEMS?)\b)")
_SINGLE_NUM = re.compile(r"\d{1,2}(?:\.\d{1,2})?[A-Za-z]?")

# A mention followed by "of our 2023 Annual Report on Form 10-K" points at another filing.
_EXTERNAL_RE = re.compile(
    r"\.?[^.;]{0,80}?\b(?:of|in|to)\s+(?:our|its|the\s+Company['’]s|the\s+(?=(?:fiscal\s+)?\d{4}))"
    r"\s*(?:(?:fiscal\s+)?(?:year\s+)?(?P<year>\d{4})\s+|most\s+recent\s+|latest\s+|prior\s+)?"
    r"(?:Annual\s+Report(?:\s+on\s+Form\s+(?P<form1>10-?K))?|Quarterly\s+Report"
    r"(?:\s+on\s+Form\s+(?P<form2>10-?Q))?|Form\s+(?P<form3>10-?[KQ]))",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Reference:
    """One cross-reference mention: the matched text, its kind and the number it names.

    `part` qualifies items ("Part II, Item 8"). `external_form` / `external_year` are set
    when the mention names another filing ("Note 12 of our 2024 Form 10-K"); such references
    only resolve in a document of that form and year.
    """

    text: str
    kind: ReferenceKind
    number: str
    part: str | None = None
    start: int = 0
    end: int = 0
    external_form: str | None = None
    external_year: int | None = None

    @property
    def label(self) -> str:
        """A canonical label such as "Note 12", "Part II, Item 8" or "Part I"."""
        if self.kind == "note":
            return f"Note {self.number}"
        if self.kind == "part":
            return f"Part {self.number}"
        return f"Part {self.part}, Item {self.number}" if self.part else f"Item {self.number}"


def _normalize_number(number: str) -> str:
    number = number.strip().upper().rstrip(".")
    head = number.lstrip("0")
    return head if head and head[0].isdigit() else number


def _external(text: str, end: int) -> tuple[str | None, int | None]:
    m = _EXTERNAL_RE.match(text, end)
    if not m:
        return None, None
    form = m.group("form1") or m.group("form2") or m.group("form3")
    if form is None:
        form = "10-K" if "annual" in m.group(0).lower() else "10-Q"
    form = form.upper().replace("10K", "10-K").replace("10Q", "10-Q")
    year = int(m.group("year")) if m.group("year") else None
    return form, year


def _iter_references(text: str) -> Iterator[Reference]:
    for m in _NOTE_RE.finditer(text):
        form, year = _external(text, m.end())
        for num in _SINGLE_NUM.findall(m.group("nums")):
            yield Reference(
                m.group(0), "note", _normalize_number(num), None, m.start(), m.end(), form, year
            )
    item_spans: list[tuple[int, int]] = []
    for m in _ITEM_RE.finditer(text):
        part = m.group("pre_part") or m.group("post_part")
        form, year = _external(text, m.end())
        item_spans.append((m.start(), m.end()))
        for num in _SINGLE_NUM.findall(m.group("nums")):
            yield Reference(
                m.group(0), "item", _normalize_number(num), part, m.start(), m.end(), form, year
            )
    for m in _PART_RE.finditer(text):
        if any(a <= m.start() < b for a, b in item_spans):
            continue
        form, year = _external(text, m.end())
        yield Reference(m.group(0), "part", m.group("num"), None, m.start(), m.end(), form, year)


def find_references(text: str) -> list[Reference]:
    """Every note, item and part reference in `text`, in order of position.

    "Notes 3 and 4" yields two references (numbers "3" and "4") sharing the matched text.
    """
    refs = sorted(_iter_references(text), key=lambda r: r.start)
    return refs


class SectionIndex:
    """Looks sections of one document up by kind and number, for resolving many references."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.notes: dict[str, Section] = {}
        self.parts: dict[str, Section] = {}
        self.items: dict[str, list[tuple[str | None, Section]]] = {}
        self.part_of: dict[str, str | None] = {}
        self._index(doc.root, None)

    def _index(self, section: Section, part: str | None) -> None:
        if section.kind == "part" and section.number:
            part = section.number.upper()
            self.parts.setdefault(part, section)
        elif section.kind == "note" and section.number:
            self.notes.setdefault(_normalize_number(section.number), section)
        elif section.kind == "item" and section.number:
            self.items.setdefault(_normalize_number(section.number), []).append((part, section))
        self.part_of[section.id] = part
        for child in section.children:
            self._index(child, part)

    def resolve(self, ref: Reference, within: Section | None = None) -> Section | None:
        """The section `ref` names, or None (unknown number, or another filing's section)."""
        if ref.external_form is not None or ref.external_year is not None:
            meta = self.doc.metadata
            form = str(meta.get("form_type", "")).upper()
            if ref.external_form and not form.startswith(ref.external_form):
                return None
            if ref.external_year is not None and meta.get("fiscal_year") not in (
                None,
                ref.external_year,
            ):
                return None
        if ref.kind == "note":
            return self.notes.get(ref.number)
        if ref.kind == "part":
            return self.parts.get(ref.number.upper())
        candidates = self.items.get(ref.number, [])
        if not candidates:
            return None
        if ref.part:
            return next((s for p, s in candidates if p == ref.part.upper()), None)
        if within is not None and len(candidates) > 1:
            here = self.part_of.get(within.id)
            for p, s in candidates:
                if p == here:
                    return s
        return candidates[0][1]


def resolve_reference(
    doc: Document, reference: Reference | str, within: Section | None = None
) -> Section | None:
    """The section of `doc` that `reference` names ("Note 12", "Part II, Item 8"), or None.

    A string is parsed with `find_references` (its first reference is used); None is
    returned when it holds none or the target is not in the document. `within` is the
    referring section, used to pick the item of the same part when an item number appears in
    several parts (10-Q Part I Item 1 vs Part II Item 1).
    """
    if isinstance(reference, str):
        found = find_references(reference)
        if not found:
            return None
        reference = found[0]
    return SectionIndex(doc).resolve(reference, within)
