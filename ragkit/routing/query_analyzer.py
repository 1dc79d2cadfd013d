"""Read a question's targets: companies (from a catalog), fiscal periods, form types and the
financial statements it needs.

"What was 3M's FY2018 capex?" -> company 3M, fiscal year 2018; "In Coca-Cola's 10-Q for the
quarter ended June 27, 2025 ..." -> Coca-Cola, 10-Q, period end 2025-06-27. Companies are only
those of the catalog (names, aliases, tickers); tickers that are common words ("V", "ALL",
"IT", "ON"; `Lexicon.common_words`) count only in ticker context ("NYSE: V", "(V)", "ticker V").
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

from ragkit.lexicon import Lexicon
from ragkit.routing.cover_page import parse_date
from ragkit.routing.entities import EntityCatalog
from ragkit.routing.statement_intent import StatementMention, statement_intent

PeriodKind = Literal["fiscal_year", "year", "quarter", "date"]

_WORD = re.compile(r"[A-Za-z0-9]+|&")
_QUARTER_WORDS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2,
                  "3rd": 3, "4th": 4}  # fmt: skip
_Y = r"((?:19|20)\d{2})"
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("q_fy", re.compile(r"\bFY\s?'?" + _Y + r"\s?Q([1-4])\b", re.I)),  # FY2023Q1
    ("yq", re.compile(r"\b" + _Y + r"\s?Q([1-4])\b", re.I)),  # 2023Q1
    ("q_y", re.compile(r"\bQ([1-4])\s*(?:of\s+)?(?:'|FY\s?|fiscal\s+(?:year\s+)?)?" + _Y + r"\b",
                       re.I)),
    ("q_y2", re.compile(r"\b([1-4])Q\s?'?(\d{2})\b", re.I)),  # 4Q22
    ("h_y", re.compile(r"\b(?:H([12])|([12])H)\s*(?:of\s+)?(?:FY\s?|fiscal\s+)?" + _Y + r"\b",
                       re.I)),
    ("qw_y", re.compile(
        r"\b(first|second|third|fourth|1st|2nd|3rd|4th)[-\s]quarter\s+(?:of\s+)?"
        r"(?:(fiscal|FY)\s*(?:year\s+)?)?'?" + _Y + r"\b", re.I)),
    ("y_qw", re.compile(r"\b" + _Y + r"\s+(first|second|third|fourth)[-\s]quarter\b", re.I)),
    ("date", re.compile(r"\b([A-Z][a-z]{2,8}\.?\s+\d{1,2},?\s+(?:19|20)\d{2})\b")),
    ("fy", re.compile(r"\b(?:FY|F)\s?'?((?:19|20)\d{2}|\d{2})\b", re.I)),
    ("fiscal", re.compile(r"\bfiscal\s+(?:year\s+)?" + _Y + r"\b", re.I)),
    ("year", re.compile(r"(?<![\d$.,])" + _Y + r"(?![\d%])")),
]  # fmt: skip
_FORMS: list[tuple[str, re.Pattern[str]]] = [
    ("10-K", re.compile(r"\b10-?K\b|\bannual\s+report\b", re.I)),
    ("10-Q", re.compile(r"\b10-?Q\b|\bquarterly\s+report\b", re.I)),
    ("8-K", re.compile(r"\b8-?K\b|\bcurrent\s+report\b", re.I)),
    (
        "EARNINGS",
        re.compile(
            r"\bearnings\s+(?:release|report|press\s+release|call)\b|"
            r"\bpress\s+release\b",
            re.I,
        ),
    ),  # fmt: skip
]
_TICKER_CONTEXT_BEFORE = re.compile(
    r"(?:\b(?:NYSE|NASDAQ|Nasdaq|ticker|symbol)\s*:?\s*|\(\s*)$", re.I
)


@dataclass(frozen=True, slots=True)
class CompanyMention:
    """A company named in the question: which entity, the words used, and how sure."""

    entity_id: str
    name: str
    text: str
    start: int
    end: int
    kind: Literal["name", "alias", "ticker"]
    confidence: float


@dataclass(frozen=True, slots=True)
class PeriodMention:
    """A period named in the question: a (fiscal) year, a quarter, or a date.

    `fiscal` is True when the question says "fiscal"/"FY" (the company's own year label);
    `start`/`end` locate `text` in the question.
    """

    kind: PeriodKind
    year: int
    text: str
    quarter: int | None = None
    date: str | None = None
    fiscal: bool = False
    start: int = 0
    end: int = 0


@dataclass(frozen=True, slots=True)
class QueryAnalysis:
    """Everything the analyzer read from one question."""

    query: str
    companies: tuple[CompanyMention, ...] = ()
    periods: tuple[PeriodMention, ...] = ()
    form_types: tuple[str, ...] = ()
    statements: tuple[StatementMention, ...] = ()

    @property
    def entity_ids(self) -> tuple[str, ...]:
        """Distinct entities mentioned, in order of first mention."""
        return tuple(dict.fromkeys(c.entity_id for c in self.companies))

    @property
    def years(self) -> tuple[int, ...]:
        """Distinct years mentioned, ascending."""
        return tuple(sorted({p.year for p in self.periods}))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict (for the trace)."""
        return {
            "companies": [asdict(c) for c in self.companies],
            "periods": [asdict(p) for p in self.periods],
            "form_types": list(self.form_types),
            "statements": [asdict(s) for s in self.statements],
        }


def _two_digit(y: str) -> int:
    n = int(y)
    return n if n >= 100 else 2000 + n if n < 70 else 1900 + n


def extract_periods(query: str) -> list[PeriodMention]:
    """Fiscal years, quarters, halves (as Q2/Q4) and dates named in a question."""
    taken: list[tuple[int, int]] = []
    out: list[tuple[int, PeriodMention]] = []

    def free(a: int, b: int) -> bool:
        return all(b <= s or a >= e for s, e in taken)

    for kind, pat in _PATTERNS:
        for m in pat.finditer(query):
            if not free(m.start(), m.end()):
                continue
            text = m.group(0)
            pm: PeriodMention | None = None
            if kind == "q_fy":
                pm = PeriodMention("quarter", int(m.group(1)), text, int(m.group(2)), fiscal=True)
            elif kind == "yq":
                pm = PeriodMention("quarter", int(m.group(1)), text, int(m.group(2)), fiscal=True)
            elif kind == "q_y":
                pm = PeriodMention("quarter", int(m.group(2)), text, int(m.group(1)), fiscal=True)
            elif kind == "q_y2":
                pm = PeriodMention("quarter", _two_digit(m.group(2)), text, int(m.group(1)))
            elif kind == "h_y":
                half = int(m.group(1) or m.group(2))
                pm = PeriodMention("quarter", int(m.group(3)), text, 2 * half, fiscal=True)
            elif kind == "qw_y":
                q = _QUARTER_WORDS[m.group(1).lower()]
                pm = PeriodMention("quarter", int(m.group(3)), text, q, fiscal=bool(m.group(2)))
            elif kind == "y_qw":
                pm = PeriodMention(
                    "quarter", int(m.group(1)), text, _QUARTER_WORDS[m.group(2).lower()]
                )
            elif kind == "date":
                iso = parse_date(m.group(1))
                if iso:
                    pm = PeriodMention("date", int(iso[:4]), text, date=iso)
            elif kind == "fy":
                pm = PeriodMention("fiscal_year", _two_digit(m.group(1)), text, fiscal=True)
            elif kind == "fiscal":
                pm = PeriodMention("fiscal_year", int(m.group(1)), text, fiscal=True)
            elif kind == "year":
                pm = PeriodMention("year", int(m.group(1)), text)
            if pm is not None:
                taken.append((m.start(), m.end()))
                out.append((m.start(), replace(pm, start=m.start(), end=m.end())))
    return [pm for _, pm in sorted(out, key=lambda x: x[0])]


def form_type_spans(query: str) -> list[tuple[int, int]]:
    """Where a question names a form type ("10-Q", "annual report", "earnings release")."""
    return sorted((m.start(), m.end()) for _, pat in _FORMS for m in pat.finditer(query))


def extract_form_types(query: str) -> list[str]:
    """Form types named in a question ("annual report" -> "10-K", "earnings release" -> ...)."""
    found = [(m.start(), form) for form, pat in _FORMS if (m := pat.search(query))]
    return [f for _, f in sorted(found)]


class QueryAnalyzer:
    """Extracts companies (matched against `catalog`), periods, form types and the financial
    statements a question needs (`statement_intent`). Without a catalog, no companies.

    `lexicon` supplies the statement words and the common words that make a ticker ambiguous
    (default: the catalog's lexicon, else `Lexicon.default()`).
    """

    def __init__(
        self, catalog: EntityCatalog | None = None, lexicon: Lexicon | None = None
    ) -> None:
        self.catalog = catalog
        self.lexicon = lexicon or (catalog.lexicon if catalog else Lexicon.default())
        self._max_len = max((len(a) for a in catalog.aliases), default=1) if catalog else 1

    def analyze(self, query: str) -> QueryAnalysis:
        """Analyse one question."""
        companies = tuple(self.companies(query))
        masked = query
        for c in reversed(companies):  # "Nike revenue" is the company's, not a business line's
            masked = masked[: c.start] + "the company" + masked[c.end :]
        return QueryAnalysis(
            query=query,
            companies=companies,
            periods=tuple(extract_periods(query)),
            form_types=tuple(extract_form_types(query)),
            statements=statement_intent(masked, lexicon=self.lexicon),
        )

    def analyze_many(self, queries: list[str]) -> list[QueryAnalysis]:
        """Analyse a batch of questions."""
        return [self.analyze(q) for q in queries]

    def companies(self, query: str) -> list[CompanyMention]:
        """Company mentions, longest alias first, left to right; tickers last."""
        if self.catalog is None:
            return []
        words = [(m.group(0), m.start(), m.end()) for m in _WORD.finditer(query)]
        toks = ["and" if w == "&" else w.lower() for w, _, _ in words]
        # possessive "'s" after a word: drop the "s" token so "3M's" reads as "3m"
        keep = [
            i for i, (w, s, _) in enumerate(words)
            if not (w == "s" and s > 0 and query[s - 1] in "'\u2019")
        ]  # fmt: skip
        words = [words[i] for i in keep]
        toks = [toks[i] for i in keep]
        out: list[CompanyMention] = []
        used = [False] * len(words)
        i = 0
        while i < len(words):
            match = None
            for n in range(min(self._max_len, len(words) - i), 0, -1):
                alias = self.catalog.aliases.get(tuple(toks[i : i + n]))
                if alias is None:
                    continue
                if alias.needs_capital and not words[i][0][:1].isupper():
                    continue
                if len(alias.entity_ids) != 1:
                    continue
                match = (alias, n)
                break
            if match is None:
                i += 1
                continue
            alias, n = match
            start, end = words[i][1], words[i + n - 1][2]
            eid = alias.entity_ids[0]
            kind: Literal["name", "alias"] = "name" if alias.strength >= 2 else "alias"
            conf = 0.95 if alias.strength >= 2 else 0.85
            if alias.common_word:
                conf = 0.7
            out.append(CompanyMention(eid, self.catalog.entity(eid).name, query[start:end],
                                      start, end, kind, conf))  # fmt: skip
            for j in range(i, i + n):
                used[j] = True
            i += n
        for idx, (w, s, e) in enumerate(words):
            if used[idx]:
                continue
            ticker_of = self.catalog.tickers.get(w.upper())
            if ticker_of is None:
                continue
            conf = self._ticker_confidence(query, w, s, e)
            if conf > 0:
                out.append(CompanyMention(ticker_of, self.catalog.entity(ticker_of).name, w, s, e,
                                          "ticker", conf))  # fmt: skip
        return sorted(out, key=lambda c: c.start)

    def _ticker_confidence(self, query: str, word: str, start: int, end: int) -> float:
        """How sure a token is a ticker: 0 when it is probably an ordinary word."""
        in_context = bool(_TICKER_CONTEXT_BEFORE.search(query[:start])) and (
            query[start - 1 : start] != "(" or query[end : end + 1] == ")"
        )
        ambiguous = len(word) == 1 or word.lower() in self.lexicon.common_words
        if ambiguous:
            return 0.9 if in_context and word.isupper() else 0.0
        if len(word) <= 2:
            return 0.85 if word.isupper() else 0.0
        if word.isupper():
            return 0.9
        return 0.6  # "Jnj", "amzn": an unusual word that is still the ticker
