"""Table footnote markers — (1), (a), * — matched to the footnote texts under the table.

When a table is split between rows, each piece carries the footnotes its rows refer to, so
a number marked "(2)" is never separated from the text that qualifies it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

_LEAD_MARKER = re.compile(
    r"^\s*(\(\s*(?:\d{1,2}|[a-zA-Z]|[ivx]{1,4})\s*\)|\*{1,3}|†|‡|\d{1,2}(?=[\s.)]))"
)
_CELL_MARKERS = re.compile(r"\(\s*(?:\d{1,2}|[a-zA-Z]|[ivx]{1,4})\s*\)|\*{1,3}|†|‡")


def footnote_marker(footnote: str) -> str | None:
    """The marker a footnote text starts with ("(1)", "(a)", "*"), normalised, or None."""
    m = _LEAD_MARKER.match(footnote)
    if not m:
        return None
    marker = m.group(1).replace(" ", "")
    if marker[0].isdigit():
        marker = f"({marker})"
    return marker


def markers_in(rows: Iterable[Sequence[str]]) -> set[str]:
    """Every footnote marker that appears in the given rows' cells."""
    found: set[str] = set()
    for row in rows:
        for cell in row:
            if "(" in cell or "*" in cell or "†" in cell or "‡" in cell:
                found.update(m.replace(" ", "") for m in _CELL_MARKERS.findall(cell))
    return found


def footnotes_for(
    footnotes: Sequence[str],
    rows: Iterable[Sequence[str]],
    table_markers: set[str] | None = None,
) -> list[str]:
    """The footnotes whose marker occurs in `rows`, in their original order.

    When `table_markers` (the markers of the whole table) is given — the caller passes it for
    the last piece of a split table — footnotes whose marker occurs nowhere in the table, or
    that have no recognisable marker, are included too, so every footnote lands in a piece.
    """
    present = markers_in(rows)
    out = []
    for note in footnotes:
        marker = footnote_marker(note)
        if marker is not None and marker in present:
            out.append(note)
        elif table_markers is not None and (marker is None or marker not in table_markers):
            out.append(note)
    return out
