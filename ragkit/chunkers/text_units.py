"""Sentence boundaries and token-window cutting for long prose, used by the chunkers.

Sentences are found with a small rule set tuned for filings (abbreviations such as "Inc." or
"U.S." and decimal numbers do not end a sentence); cuts fall on sentence boundaries where
possible, else on word boundaries, else between tokens.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence

_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*\s+(?=[\"“'(\[$•\-–A-Z0-9])|\n+")
_ABBREVIATIONS = frozenset(
    "inc corp co ltd llc plc no nos mr mrs ms dr vs e.g i.e u.s u.k st jr sr approx est "
    "fig jan feb mar apr jun jul aug sep sept oct nov dec rev dept div ave corp. etc".split()
)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences (and lines) of `text`, covering it in order."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        end = m.start() + 1 if text[m.start()] != "\n" else m.start()
        if text[m.start()] == ".":
            word = text[max(start, m.start() - 12) : m.start()].rsplit(None, 1)
            last = word[-1].lower().lstrip("(\"'") if word else ""
            if last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha()):
                continue
        if end > start:
            spans.append((start, end))
        start = m.end()
    if start < len(text) and text[start:].strip():
        spans.append((start, len(text)))
    return spans


def token_units(
    text: str, offsets: Sequence[tuple[int, int]]
) -> tuple[list[tuple[int, int]], list[int]]:
    """Sentence units as token ranges `[a, b)` over `offsets`, plus each token's start char."""
    starts = [o[0] for o in offsets]
    units: list[tuple[int, int]] = []
    for a_char, b_char in sentence_spans(text):
        a = bisect.bisect_left(starts, a_char)
        b = bisect.bisect_left(starts, b_char)
        if b > a:
            units.append((a, b))
    # Tokens not covered by a sentence (rare: leading punctuation) join their neighbour.
    if units:
        units[0] = (0, units[0][1])
        units[-1] = (units[-1][0], len(offsets))
        for i in range(1, len(units)):
            if units[i][0] != units[i - 1][1]:
                units[i] = (units[i - 1][1], units[i][1])
    return units, starts


def _word_start(text: str, offsets: Sequence[tuple[int, int]], i: int) -> bool:
    start = offsets[i][0]
    return start == 0 or text[start - 1].isspace()


def pack_token_ranges(
    text: str,
    offsets: Sequence[tuple[int, int]],
    first_limit: int,
    limit: int,
    overlap: int,
) -> list[tuple[int, int]]:
    """Token ranges `[a, b)` covering `text`, each within its limit, cut at sentence ends.

    Consecutive sentences are packed greedily; a sentence longer than the limit is cut at a
    word boundary. Each range after the first starts up to `overlap` tokens before the end
    of the previous one, at a sentence start if one lies there, else at a word start.
    """
    n = len(offsets)
    if n == 0:
        return []
    units, _ = token_units(text, offsets)
    if not units:
        units = [(0, n)]
    sentence_starts = {a for a, _ in units}
    overlap = max(0, min(overlap, limit // 4))
    ranges: list[tuple[int, int]] = []
    i = 0
    cur = units[0][0]
    while i < len(units):
        lim = first_limit if not ranges else limit
        lim = max(lim, overlap + 1)
        j = i
        while j < len(units) and units[j][1] - cur <= lim:
            j += 1
        if j == i:
            # The next sentence does not fit: cut it inside, at a word start if possible.
            end = cur + lim
            for k in range(end, cur + lim // 2, -1):
                if k < n and _word_start(text, offsets, k):
                    end = k
                    break
            ranges.append((cur, end))
            units[i] = (end, units[i][1])
        else:
            end = units[j - 1][1]
            ranges.append((cur, end))
            i = j
        if i >= len(units) or units[i][0] >= units[i][1]:
            if i < len(units):
                i += 1
            if i >= len(units):
                break
        # Overlap: back up to a sentence start, else a word start, within `overlap` tokens.
        nxt = units[i][0]
        cur = nxt
        if overlap > 0:
            lo = max(end - overlap, ranges[-1][0] + 1)
            sent = [s for s in range(lo, end) if s in sentence_starts]
            if sent:
                cur = sent[0]
            else:
                cur = next((k for k in range(lo, end) if _word_start(text, offsets, k)), nxt)
            cur = min(cur, nxt)
    return ranges


def text_segments(text: str, max_chars: int) -> list[tuple[int, int]]:
    """Character spans of at most `max_chars` covering `text` in order, each cut just before a
    space (after a sentence end when one lies in the span's second half).

    Word-piece tokenizers never join tokens across whitespace, so tokenizing the segments one
    by one gives the whole text's tokens while holding only one segment's encoding at a time.
    """
    spans: list[tuple[int, int]] = []
    start, n = 0, len(text)
    while n - start > max_chars:
        limit = start + max_chars
        cut = text.rfind(". ", start + max_chars // 2, limit)
        if cut >= 0:
            cut += 1
        else:
            cut = max(text.rfind(" ", start + 1, limit), text.rfind("\n", start + 1, limit))
            if cut <= start:
                cut = limit  # no space at all: a cut inside a "word" of max_chars letters
        spans.append((start, cut))
        start = cut
    spans.append((start, n))
    return spans
