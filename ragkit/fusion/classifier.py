"""A small, transparent query classifier that sets sparse/dense fusion weights per query.

Metric- or term-specific queries (numbers, tickers, accounting terms, quoted phrases, codes
such as "ASC 606" or "Item 7A") favour BM25; conceptual ones ("why", "how does", "explain
the strategy") favour dense retrieval; queries with both kinds of signal, or none, split
evenly. Every decision lists the signals that caused it, so it can be audited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from ragkit.errors import ConfigError

QueryKind = Literal["specific", "conceptual", "mixed"]

_ACCOUNTING_TERMS = (
    "revenue",
    "revenues",
    "net income",
    "net loss",
    "operating income",
    "gross margin",
    "gross profit",
    "operating margin",
    "ebitda",
    "ebit",
    "eps",
    "earnings per share",
    "diluted",
    "free cash flow",
    "cash flow from operations",
    "operating cash flow",
    "capex",
    "capital expenditure",
    "capital expenditures",
    "dividend",
    "dividends",
    "goodwill",
    "impairment",
    "amortization",
    "depreciation",
    "accounts receivable",
    "accounts payable",
    "inventory",
    "inventories",
    "total assets",
    "total liabilities",
    "shareholders' equity",
    "stockholders' equity",
    "working capital",
    "current ratio",
    "quick ratio",
    "debt",
    "long-term debt",
    "interest expense",
    "effective tax rate",
    "income tax",
    "deferred tax",
    "segment",
    "backlog",
    "share repurchase",
    "buyback",
    "cogs",
    "cost of goods sold",
    "sg&a",
    "r&d",
    "return on assets",
    "return on equity",
    "roe",
    "roa",
    "roic",
    "margin",
    "gaap",
    "non-gaap",
    "fiscal year",
    "fy",
    "quarter",
    "10-k",
    "10-q",
    "8-k",
)
_ACRONYMS_NOT_TICKERS = frozenset(
    "I A AN THE AND OR OF US USA CEO CFO COO CTO SEC FASB IFRS GAAP ESG AI IT HR PDF FAQ Q"
    " EPS EBITDA EBIT ROE ROA ROIC COGS FY".split()
)
_CONCEPTUAL_PATTERNS = (
    r"\bwhy\b",
    r"\bhow (?:does|do|did|can|could|would|should|is|are|might)\b",
    r"\bexplain",
    r"\bdescribe",
    r"\boverview\b",
    r"\bstrateg(?:y|ies|ic)\b",
    r"\bapproach(?:es)?\b",
    r"\bimpact(?:s|ed)?\b",
    r"\baffect(?:s|ed)?\b",
    r"\brelationship\b",
    r"\bimplications?\b",
    r"\brisks\b",
    r"\bchallenges?\b",
    r"\boutlook\b",
    r"\bphilosophy\b",
    r"\bculture\b",
    r"\bcompetitive (?:position|advantage|landscape)\b",
    r"\bin general\b",
    r"\bconcept",
    r"\bmechanism",
    r"\bwhat (?:is|are) the (?:main|key|primary)\b",
    r"\bdifference between\b",
    r"\bmeaning\b",
    r"\bunderstand",
)
_TERM_RE = re.compile(
    r"(?<![\w&'-])(?:"
    + "|".join(re.escape(t) for t in sorted(_ACCOUNTING_TERMS, key=len, reverse=True))
    + r")(?![\w&-])",
    re.IGNORECASE,
)
_CODE_RE = re.compile(
    r"\b(?:ASC|ASU|IFRS|IAS|SFAS|FAS|Rule|Regulation|Section|Item|Note|Form|Schedule)"
    r"\s+\d+[A-Za-z]?(?:[-.]\d+)*\b",
    re.IGNORECASE,
)
_NUMBER_RE = re.compile(r"(?<![\w.$€£])[$€£]?\d[\d,.]*%?(?![\w-])")
_PERIOD_RE = re.compile(r"\b(?:FY|Q[1-4]\s?)'?\d{2,4}\b", re.IGNORECASE)
_QUOTED_RE = re.compile(r"\"[^\"]{2,}\"|“[^”]{2,}”|'[^']{3,}'(?!s)")
_TICKER_RE = re.compile(r"(?<![\w$])\$?[A-Z]{2,5}(?![\w])")
_CONCEPTUAL_RE = re.compile("|".join(_CONCEPTUAL_PATTERNS), re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class QueryClass:
    """The classifier's verdict: the kind, the sparse/dense weights, and the signals seen."""

    kind: QueryKind
    sparse_weight: float
    dense_weight: float
    specific_signals: tuple[str, ...] = field(default_factory=tuple)
    conceptual_signals: tuple[str, ...] = field(default_factory=tuple)


def specific_signals(query: str) -> list[str]:
    """The term-specific evidence in a query, each as "kind:text" (e.g. "code:ASC 606")."""
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
    signals += [f"term:{m.group(0).lower()}" for m in _TERM_RE.finditer(query)]
    for m in _TICKER_RE.finditer(query):
        token = m.group(0).lstrip("$")
        if not free(m):
            continue
        if token not in _ACRONYMS_NOT_TICKERS or m.group(0).startswith("$"):
            signals.append(f"ticker:{token}")
    return signals


def conceptual_signals(query: str) -> list[str]:
    """The conceptual evidence in a query ("why", "how does", "strategy", "risks", ...)."""
    return [f"concept:{m.group(0).lower()}" for m in _CONCEPTUAL_RE.finditer(query)]


def classify_query(
    query: str,
    specific: tuple[float, float] = (0.7, 0.3),
    conceptual: tuple[float, float] = (0.4, 0.6),
    mixed: tuple[float, float] = (0.5, 0.5),
) -> QueryClass:
    """Classify a query and pick (sparse, dense) weights for it.

    The rule: more specific signals than conceptual ones → "specific" (default 70% BM25);
    more conceptual → "conceptual" (default 60% dense); a tie, including no signal at all →
    "mixed" (50/50). The three weight pairs are parameters.
    """
    for name, pair in (("specific", specific), ("conceptual", conceptual), ("mixed", mixed)):
        if len(pair) != 2 or any(not isinstance(x, int | float) or x < 0 for x in pair):
            raise ConfigError(
                f"{name} weights must be two numbers >= 0 (sparse, dense), got {pair!r}"
            )
    s, c = specific_signals(query), conceptual_signals(query)
    if len(s) > len(c):
        kind: QueryKind = "specific"
        weights = specific
    elif len(c) > len(s):
        kind, weights = "conceptual", conceptual
    else:
        kind, weights = "mixed", mixed
    return QueryClass(kind, float(weights[0]), float(weights[1]), tuple(s), tuple(c))


def dynamic_weights(query: str, **pairs: tuple[float, float]) -> tuple[float, float]:
    """The (sparse, dense) weights `classify_query` chooses for this query."""
    verdict = classify_query(query, **pairs)
    return verdict.sparse_weight, verdict.dense_weight
