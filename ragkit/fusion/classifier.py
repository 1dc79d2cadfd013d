"""A small, transparent query classifier that sets sparse/dense fusion weights per query.

Metric- or term-specific queries (numbers, tickers, accounting terms, quoted phrases, codes
such as "ASC 606" or "Item 7A") favour BM25; conceptual ones ("why", "how does", "explain
the strategy") favour dense retrieval; queries with both kinds of signal, or none, split
evenly. Every decision lists the signals that caused it, so it can be audited.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Literal

from ragkit.errors import ConfigError
from ragkit.lexicon import Lexicon, phrase_regex

QueryKind = Literal["specific", "conceptual", "mixed"]

_CODE_RE = re.compile(
    r"\b(?:ASC|ASU|IFRS|IAS|SFAS|FAS|Rule|Regulation|Section|Item|Note|Form|Schedule)"
    r"\s+\d+[A-Za-z]?(?:[-.]\d+)*\b",
    re.IGNORECASE,
)
_NUMBER_RE = re.compile(r"(?<![\w.$€£])[$€£]?\d[\d,.]*%?(?![\w-])")
_PERIOD_RE = re.compile(r"\b(?:FY|Q[1-4]\s?)'?\d{2,4}\b", re.IGNORECASE)
_QUOTED_RE = re.compile(r"\"[^\"]{2,}\"|“[^”]{2,}”|'[^']{3,}'(?!s)")
_TICKER_RE = re.compile(r"(?<![\w$])\$?[A-Z]{2,5}(?![\w])")


@functools.lru_cache(maxsize=16)
def _lexicon_patterns(lexicon: Lexicon) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The lexicon's accounting terms (matched as written, whole words) and conceptual
    phrases, compiled once."""
    terms = sorted(lexicon.accounting_terms, key=len, reverse=True)
    term_re = re.compile(
        r"(?<![\w&'-])(?:" + "|".join(re.escape(t) for t in terms) + r")(?![\w&-])"
        if terms
        else "(?!)",
        re.IGNORECASE,
    )
    return term_re, re.compile(phrase_regex(lexicon.conceptual), re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class QueryClass:
    """The classifier's verdict: the kind, the sparse/dense weights, and the signals seen."""

    kind: QueryKind
    sparse_weight: float
    dense_weight: float
    specific_signals: tuple[str, ...] = field(default_factory=tuple)
    conceptual_signals: tuple[str, ...] = field(default_factory=tuple)


def specific_signals(query: str, *, lexicon: Lexicon | None = None) -> list[str]:
    """The term-specific evidence in a query, each as "kind:text" (e.g. "code:ASC 606");
    accounting terms and non-ticker acronyms come from `lexicon` (default: the packaged one)."""
    lex = lexicon or Lexicon.default()
    term_re = _lexicon_patterns(lex)[0]
    signals: list[str] = []
    codes = [m.group(0) for m in _CODE_RE.finditer(query)]
    signals += [f"code:{c}" for c in codes]
    taken = [m.span() for m in _CODE_RE.finditer(query)]
    for m in _PERIOD_RE.finditer(query):
        signals.append(f"period:{m.group(0)}")
        taken.append(m.span())

    def free(m: re.Match[str]) -> bool:
        return not any(a <= m.start() < b for a, b in taken)

    signals += [f"quoted:{m.group(0)}" for m in _QUOTED_RE.finditer(query)]
    for m in _NUMBER_RE.finditer(query):
        if free(m):
            signals.append(f"number:{m.group(0).rstrip(',.')}")
    signals += [f"term:{m.group(0).lower()}" for m in term_re.finditer(query)]
    for m in _TICKER_RE.finditer(query):
        token = m.group(0).lstrip("$")
        if not free(m):
            continue
        if token not in lex.acronyms_not_tickers or m.group(0).startswith("$"):
            signals.append(f"ticker:{token}")
    return signals


def conceptual_signals(query: str, *, lexicon: Lexicon | None = None) -> list[str]:
    """The conceptual evidence in a query ("why", "how does", "strategy", "risks", ...): the
    lexicon's conceptual phrases (default: the packaged lexicon)."""
    pattern = _lexicon_patterns(lexicon or Lexicon.default())[1]
    return [f"concept:{m.group(0).lower()}" for m in pattern.finditer(query)]


def classify_query(
    query: str,
    specific: tuple[float, float] = (0.7, 0.3),
    conceptual: tuple[float, float] = (0.4, 0.6),
    mixed: tuple[float, float] = (0.5, 0.5),
    *,
    lexicon: Lexicon | None = None,
) -> QueryClass:
    """Classify a query and pick (sparse, dense) weights for it.

    The rule: more specific signals than conceptual ones → "specific" (default 70% BM25);
    more conceptual → "conceptual" (default 60% dense); a tie, including no signal at all →
    "mixed" (50/50). The three weight pairs are parameters; `lexicon` supplies the terms
    and phrases the signals are read with (default: `Lexicon.default()`).
    """
    for name, pair in (("specific", specific), ("conceptual", conceptual), ("mixed", mixed)):
        if len(pair) != 2 or any(not isinstance(x, int | float) or x < 0 for x in pair):
            raise ConfigError(
                f"{name} weights must be two numbers >= 0 (sparse, dense), got {pair!r}"
            )
    s = specific_signals(query, lexicon=lexicon)
    c = conceptual_signals(query, lexicon=lexicon)
    if len(s) > len(c):
        kind: QueryKind = "specific"
        weights = specific
    elif len(c) > len(s):
        kind, weights = "conceptual", conceptual
    else:
        kind, weights = "mixed", mixed
    return QueryClass(kind, float(weights[0]), float(weights[1]), tuple(s), tuple(c))


def dynamic_weights(
    query: str, *, lexicon: Lexicon | None = None, **pairs: tuple[float, float]
) -> tuple[float, float]:
    """The (sparse, dense) weights `classify_query` chooses for this query."""
    verdict = classify_query(query, lexicon=lexicon, **pairs)
    return verdict.sparse_weight, verdict.dense_weight
