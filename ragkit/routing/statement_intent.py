"""Which financial statement a question needs: named outright, or implied by the figure it asks.

"...shown in the balance sheet" names one (weight 1.0). "Year-end net PP&E", "FY2019 operating
margin" or "capex" imply one (weight `IMPLIED`): an analyst reads them off the balance sheet,
the income statement and the cash flow statement. Adjusted (non-GAAP) figures, guidance and
"what drove" questions are answered in narrative text, so they imply nothing; nor does the
revenue of a named line of business ("Automotive revenue", "US sales"), which the segment note
breaks down. Callers mask company names first ("Nike revenue" is the whole company's).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ragkit.parsers.statements import StatementKind

#: weight of a statement implied by a metric (a named statement weighs 1.0)
IMPLIED = 0.7

_NAMED: tuple[tuple[StatementKind, re.Pattern[str]], ...] = (
    ("balance_sheet", re.compile(
        r"\bbalance[-\s]sheets?\b|\bstatements?\s+of\s+financial\s+(?:position|condition)\b",
        re.I)),
    ("income_statement", re.compile(
        r"\bincome\s+statements?\b|\bstatements?\s+of\s+(?:income|operations|earnings)\b"
        r"|\bP\s?&\s?L\b|\bprofit\s+and\s+loss\b", re.I)),
    ("cash_flow_statement", re.compile(
        r"\bcash[-\s]flows?\s+statements?\b|\bstatements?\s+of\s+cash[-\s]flows?\b", re.I)),
)  # fmt: skip
_IMPLIED: tuple[tuple[StatementKind, re.Pattern[str]], ...] = (
    ("balance_sheet", re.compile(
        r"\bPP\s?&\s?E\b|\bPPNE\b|\bproperty,?\s+plant\b|\binventor(?:y|ies)\b|\btotal\s+assets\b"
        r"|\bcurrent\s+(?:assets|liabilities|ratio)\b|\bworking\s+capital\b|\bquick\s+ratio\b"
        r"|\baccounts\s+(?:receivable|payable)\b|\b(?:total|long-term|net)\s+debt\b"
        r"|\b(?:shareholders|stockholders)['\u2019]?\s+equity\b|\bbook\s+value\b"
        r"|\breturn\s+on\s+(?:assets|equity)\b|\bRO[AE]\b|\bdebt\b.{0,40}\bbalance\b", re.I)),
    ("income_statement", re.compile(
        r"\brevenues?\b|\bnet\s+sales\b|\bgross\s+(?:margin|profit)\b"
        r"|\boperating\s+(?:income|margin|profit)\b|\bnet\s+(?:income|profit|earnings|margin)\b"
        r"|\bEPS\b|\bearnings\s+per\s+share\b|\bCOGS\b|\bcost\s+of\s+(?:goods|sales|revenues?)\b"
        r"|\binterest\s+expense\b|\beffective\s+tax\s+rate\b|\bEBITDA?\b|\bSG\s?&\s?A\b"
        r"|\breturn\s+on\s+(?:assets|equity)\b|\bRO[AE]\b", re.I)),
    ("cash_flow_statement", re.compile(
        r"\bcapex\b|\bcapital\s+expenditures?\b|\bD\s?&\s?A\b|\bdepreciation\b"
        r"|\bfree\s+cash\s*flows?\b|\bcash\s+(?:flows?\s+)?from\s+(?:operations|operating)\b"
        r"|\b(?:operating|investing|financing)\s+activities\b|\bdividends?\s+paid\b"
        r"|\b(?:share|stock)\s+(?:repurchases?|buybacks?)\b|\bcash\s*flows?\b", re.I)),
)  # fmt: skip
#: capital intensity is judged from all three: capex, fixed assets and revenue
_ALL_THREE = re.compile(r"\bcapital[-\s]intensi(?:ve|ty)\b", re.I)
#: figures and questions answered outside the primary statements
_NARRATIVE = re.compile(
    r"\badjusted\b|\bnon[-\s]?GAAP\b|\bguidance\b|\boutlook\b|\bexpect(?:s|ed)?\b|\bforecast"
    r"|\bdr(?:ove|ivers?|iven)\b|^\s*why\b|\bwhy\s+(?:did|does|do|is|was|were|has|have)\b"
    r"|\bsegments?\b|\bregions?\b|\bgeograph",
    re.I,
)
#: "<Capitalised words> revenue/sales": a product, segment or region line, unless the words
#: are one of these
_LINE_OF_BUSINESS = re.compile(r"\b([A-Z][\w&-]*(?:\s+[A-Z][\w&-]*){0,2})\s+(?:revenues?|sales)\b")
_NOT_A_LINE = frozenset(
    {"total", "net", "gross", "operating", "consolidated", "annual", "quarterly", "reported",
     "gaap", "company", "the", "what", "how", "is", "was", "did", "does", "its", "their"}
)  # fmt: skip


def _names_line_of_business(query: str) -> bool:
    """Whether the question asks for the revenue of a named product, segment or region."""
    for m in _LINE_OF_BUSINESS.finditer(query):
        words = m.group(1).split()
        before = query[: m.start()].rstrip()
        at_sentence_start = not before or before.endswith((".", "?", "!", ":"))
        if at_sentence_start:
            words = words[1:]
        if words and not any(w.lower() in _NOT_A_LINE for w in words):
            return True
    return False


@dataclass(frozen=True, slots=True)
class StatementMention:
    """A statement the question needs, how sure (1.0 named, `IMPLIED` for a metric), and the
    words that said so."""

    kind: StatementKind
    weight: float
    text: str


def statement_intent(query: str, implied: float = IMPLIED) -> tuple[StatementMention, ...]:
    """The statements a question needs, named ones first; empty when it needs none."""
    found: dict[StatementKind, StatementMention] = {}
    for kind, pattern in _NAMED:
        if m := pattern.search(query):
            found[kind] = StatementMention(kind, 1.0, m.group(0))
    if implied > 0 and not _NARRATIVE.search(query) and not _names_line_of_business(query):
        if m := _ALL_THREE.search(query):
            for kind, _ in _IMPLIED:
                found.setdefault(kind, StatementMention(kind, implied, m.group(0)))
        for kind, pattern in _IMPLIED:
            if kind not in found and (m := pattern.search(query)):
                found[kind] = StatementMention(kind, implied, m.group(0))
    return tuple(found.values())
