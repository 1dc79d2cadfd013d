"""Recognising parts, items, notes and running page furniture in filing text (HTML and paged text).

Shared by the EDGAR HTML and the paged-text parsers. The patterns are the SEC's own vocabulary
("PART II", "Item 7A.", "Note 12 —"), not titles of particular filings. Choosing *which*
occurrence of an item is the real one (a table of contents lists every item a second time) is
done by `select_by_span`: the real heading is the one followed by the most text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

#: The structural heading kinds a Candidate can be (a subset of `ragkit.types.SectionKind`).
CandidateKind = Literal["part", "item", "note"]

PART_RE = re.compile(r"^(?i:part)\s+((?i:iv|i{1,3}))\b(?!\s*,)\s*[.:\-—–]?\s*(.*)$")
ITEM_RE = re.compile(
    r"^(?i:items?)\s*(\d{1,2})\s*([a-dA-D])?\b(?:\s*\([tT]\))?"
    r"(?:\s*(?i:and|&|,|through|-)\s*\d{1,2}[a-dA-D]?)*"
    r"\s*(?:[.:\-—–]+\s*(.*)|\s+([A-Z\[(].*)|)$"
)
NOTE_PREFIXED_RE = re.compile(r"^(?i:note)\s+(\d{1,2})\s*(?:[.:\-—–]+\s*(.*)|\s+([A-Z(].*)|)$")
NOTE_BARE_RE = re.compile(r"^\(?(\d{1,2})\s*[.:\-—–)]\s*([A-Z][^.]{2,250})$")
NOTES_TITLE_RE = re.compile(r"notes?\s+to\s+(?:the\s+)?(?:\w+\s+){0,3}financial\s+statements", re.I)
PAGE_NUMBER_RE = re.compile(
    r"^(?:page\s+)?(?:[a-z]{1,2}\s?-\s?)?\d{1,3}$|^-\s*\d{1,3}\s*-$|^[ivxlc]{1,6}$"
    r"|^page\s+\d{1,3}\s+of\s+\d{1,4}$",
    re.I,
)
_DIGITS = re.compile(r"\d+")


@dataclass(slots=True)
class Candidate:
    """A possible part/item/note heading at `pos` in the block list."""

    pos: int
    kind: CandidateKind
    number: str
    title: str
    key: tuple[str, ...] = ()
    style: object = None
    score: float = 0.0


def match_part(text: str) -> tuple[str, str] | None:
    """("II", rest) for "PART II — OTHER INFORMATION"; None when not a part heading."""
    m = PART_RE.match(text)
    if not m:
        return None
    rest = m.group(2).strip()
    if rest and rest[0].islower():
        return None
    return m.group(1).upper(), rest


def match_item(text: str) -> tuple[str, str] | None:
    """("7A", title) for "Item 7A. Quantitative and …"; None when not an item heading."""
    m = ITEM_RE.match(text)
    if not m:
        return None
    number = m.group(1).lstrip("0") + (m.group(2) or "").upper()
    title = (m.group(3) or m.group(4) or "").strip()
    if not number:
        return None
    return number, title


def match_note(text: str, allow_bare: bool) -> tuple[str, str, str] | None:
    """(number, title, form) for "Note 12 — Leases" (form "prefixed") or "12. Leases" ("bare")."""
    m = NOTE_PREFIXED_RE.match(text)
    if m:
        title = (m.group(2) or m.group(3) or "").strip()
        return str(int(m.group(1))), title, "prefixed"
    if allow_bare:
        m = NOTE_BARE_RE.match(text)
        if m and int(m.group(1)) > 0:
            return str(int(m.group(1))), m.group(2).strip(), "bare"
    return None


def is_page_number(text: str) -> bool:
    """True for bare page numbers and labels: "12", "F-12", "- 3 -", "iv", "Page 4 of 90"."""
    return len(text) <= 16 and bool(PAGE_NUMBER_RE.match(text))


def furniture_key(text: str) -> str:
    """The text with digits masked, for spotting running headers and footers."""
    return _DIGITS.sub("#", text.lower())


def select_by_span(
    cands: Sequence[Candidate], ends: Sequence[int], weight: Sequence[int]
) -> list[Candidate]:
    """For each key keep the occurrence followed by the most text, in document order.

    `ends[i]` is the block position where candidate i's span ends; `weight[p]` is the cumulative
    text length up to block p, so the span's text length is `weight[end] - weight[pos]`.
    Ties go to the later occurrence (the body follows the table of contents).
    """
    best: dict[tuple[str, ...], tuple[float, Candidate]] = {}
    for cand, end in zip(cands, ends, strict=True):
        span = weight[end] - weight[cand.pos + 1] + cand.score
        prev = best.get(cand.key)
        if prev is None or span >= prev[0]:
            best[cand.key] = (span, cand)
    return sorted((c for _, c in best.values()), key=lambda c: c.pos)


def drop_toc_run(
    cands: list[Candidate], ends: Sequence[int], weight: Sequence[int], min_chars: int = 200
) -> list[Candidate]:
    """Drop the leading run of candidates followed by almost no text (a table of contents).

    The run ends at the first candidate followed by at least `min_chars` characters of text.
    """
    for k, (cand, end) in enumerate(zip(cands, ends, strict=True)):
        if weight[end] - weight[cand.pos + 1] >= min_chars:
            return list(cands[k:])
    return list(cands)


def title_case(text: str) -> bool:
    """True when most longer words start with a capital ("Background and Summary of …")."""
    words = [w for w in text.split() if len(w) > 3 and w[0].isalpha()]
    return bool(words) and sum(w[0].isupper() for w in words) >= 0.6 * len(words)


def choose_ordered(
    cands: Sequence[Candidate], ends: Sequence[int], weight: Sequence[int], order: Sequence[str]
) -> list[Candidate]:
    """One occurrence per number so that positions follow `order` ("I" < "II" …), keeping
    as many numbers as possible and then the most text after them (parts of a filing)."""
    spans = {id(c): weight[e] - weight[c.pos + 1] for c, e in zip(cands, ends, strict=True)}
    by_number = {num: [c for c in cands if c.number == num] for num in order}
    # best[(k, last_pos)] over numbers processed so far: (count, span, chosen)
    states: list[tuple[int, int, int, list[Candidate]]] = [(0, 0, -1, [])]
    for num in order:
        new_states = list(states)
        for count, span, last, chosen in states:
            for c in by_number[num]:
                if c.pos > last:
                    new_states.append((count + 1, span + spans[id(c)], c.pos, [*chosen, c]))
        # prune: keep the best state for each last position
        best: dict[int, tuple[int, int, int, list[Candidate]]] = {}
        for st in new_states:
            if st[2] not in best or st[:2] > best[st[2]][:2]:
                best[st[2]] = st
        states = list(best.values())
    return max(states, key=lambda st: (st[0], st[1]))[3]
