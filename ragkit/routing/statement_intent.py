"""Which financial statement a question needs: named outright, or implied by the figure it asks.

"...shown in the balance sheet" names one (weight 1.0). "Year-end net PP&E", "FY2019 operating
margin" or "capex" imply one (weight `IMPLIED`): an analyst reads them off the balance sheet,
the income statement and the cash flow statement. Adjusted (non-GAAP) figures, guidance and
"what drove" questions are answered in narrative text, so they imply nothing; nor does the
revenue of a named line of business ("Automotive revenue", "US sales"), which the segment note
breaks down. Callers mask company names first ("Nike revenue" is the whole company's). The
words come from the lexicon (`Lexicon.statements`, `narrative`, ...; `ragkit/data/finance.yaml`).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from ragkit.lexicon import STATEMENT_KINDS, Lexicon, StatementKind, phrase_regex

#: weight of a statement implied by a metric (a named statement weighs 1.0)
IMPLIED = 0.7


@dataclass(frozen=True, slots=True)
class _Patterns:
    """A lexicon's statement words compiled: named and implied statements, the narrative
    cues, and the "<Capitalised words> revenue" shape of a line of business."""

    named: tuple[tuple[StatementKind, re.Pattern[str]], ...]
    implied: tuple[tuple[StatementKind, re.Pattern[str]], ...]
    all_three: re.Pattern[str]
    narrative: re.Pattern[str]
    line_of_business: re.Pattern[str]
    not_a_line: frozenset[str]


@functools.lru_cache(maxsize=16)
def _patterns(lexicon: Lexicon) -> _Patterns:
    """Compile a lexicon's statement words once."""
    terms = lexicon.statements
    named = tuple(
        (k, re.compile(phrase_regex(terms[k].titles + terms[k].names), re.I))
        for k in STATEMENT_KINDS
    )
    implied = tuple(
        (k, re.compile(phrase_regex(terms[k].implied_by), re.I)) for k in STATEMENT_KINDS
    )
    openers = "|".join(re.escape(w) for w in lexicon.narrative_openers) or "(?!)"
    narrative = phrase_regex(lexicon.narrative) + rf"|^\s*(?:{openers})\b"
    heads = "|".join(re.escape(w) for w in lexicon.line_of_business_heads) or "(?!)"
    return _Patterns(
        named=named,
        implied=implied,
        all_three=re.compile(phrase_regex(lexicon.implied_by_all), re.I),
        narrative=re.compile(narrative, re.I),
        # case matters: the words before "revenue" are capitalised, as names are
        line_of_business=re.compile(
            rf"\b([A-Z][\w&-]*(?:\s+[A-Z][\w&-]*){{0,2}})\s+(?:{heads})s?\b"
        ),
        not_a_line=lexicon.not_a_line,
    )


def _names_line_of_business(query: str, patterns: _Patterns) -> bool:
    """Whether the question asks for the revenue of a named product, segment or region."""
    for m in patterns.line_of_business.finditer(query):
        words = m.group(1).split()
        before = query[: m.start()].rstrip()
        at_sentence_start = not before or before.endswith((".", "?", "!", ":"))
        if at_sentence_start:
            words = words[1:]
        if words and not any(w.lower() in patterns.not_a_line for w in words):
            return True
    return False


@dataclass(frozen=True, slots=True)
class StatementMention:
    """A statement the question needs, how sure (1.0 named, `IMPLIED` for a metric), and the
    words that said so."""

    kind: StatementKind
    weight: float
    text: str


def statement_intent(
    query: str, implied: float = IMPLIED, *, lexicon: Lexicon | None = None
) -> tuple[StatementMention, ...]:
    """The statements a question needs, named ones first; empty when it needs none.

    The statement names, the metrics that imply each statement and the narrative cues come
    from `lexicon` (default: `Lexicon.default()`).
    """
    pats = _patterns(lexicon or Lexicon.default())
    found: dict[StatementKind, StatementMention] = {}
    for kind, pattern in pats.named:
        if m := pattern.search(query):
            found[kind] = StatementMention(kind, 1.0, m.group(0))
    if implied > 0 and not pats.narrative.search(query):
        if not _names_line_of_business(query, pats):
            if m := pats.all_three.search(query):
                for kind in STATEMENT_KINDS:
                    found.setdefault(kind, StatementMention(kind, implied, m.group(0)))
            for kind, pattern in pats.implied:
                if kind not in found and (m := pattern.search(query)):
                    found[kind] = StatementMention(kind, implied, m.group(0))
    return tuple(found.values())
