"""Question analysis for the heuristic agent: key terms, phrases, numbers, periods, section
cues and synonyms, each turned into grep patterns.

Deterministic and model-free: a stop list, a crude suffix stemmer (patterns match any word
ending) and a small general finance thesaurus that maps everyday words to the terms filings use.
The stop list, the thesaurus, the section cues and the statement titles come from the lexicon
(`Lexicon.stopwords`, `synonyms`, `section_cues`, `statements`; `ragkit/data/finance.yaml`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from ragkit.lexicon import STATEMENT_KINDS, Lexicon
from ragkit.routing.statement_intent import statement_intent

_WORD = re.compile(r"[A-Za-z][A-Za-z&'’\-]*[A-Za-z]|[A-Za-z]")
_MONTHS = (
    "january february march april may june july august september october november december"
).split()
_DATE = re.compile(
    r"\b(" + "|".join(m.capitalize() for m in _MONTHS) + r")\s+(\d{1,2}),\s+(\d{4})\b", re.I
)
_YEAR = re.compile(r"\b(?:FY\s?)?((?:19|20)\d{2})\b", re.I)
_AMOUNT = re.compile(r"\$?\s?\d[\d,]*(?:\.\d+)?\s?%?")


def _heading_word(word: str) -> str:
    """A title word as a grep pattern: any case, plural "s" optional, and pdftotext's split
    before the last letter tolerated ("Shee t", "Incom e")."""
    w = word.lower()
    core = re.escape(w[:-1]) + r"\s?" + re.escape(w[-1]) if len(w) >= 4 else re.escape(w)
    return core + "s?"


@functools.lru_cache(maxsize=16)
def statement_headings(lexicon: Lexicon | None = None) -> Mapping[str, str]:
    """Grep patterns of each financial statement's heading line, from the lexicon's titles
    (default: `Lexicon.default()`): "Consolidated Balance Shee t" as pdftotext splits it."""
    lex = lexicon or Lexicon.default()
    qualifiers = "|".join(re.escape(q) for q in lex.statement_qualifiers)
    lead = rf"(?:(?:{qualifiers})\s+)*" if qualifiers else ""
    out: dict[str, str] = {}
    for kind in STATEMENT_KINDS:
        titles = [
            (r"\s+" + lead).join(_heading_word(w) for w in title.split())
            for title in lex.statements[kind].titles
        ]
        out[kind] = r"^\W*" + lead + "(?:" + "|".join(titles) + ")"
    return MappingProxyType(out)


@dataclass(slots=True)
class QuestionTerms:
    """What the heuristic agent searches for, as words and as grep patterns."""

    question: str
    terms: list[str] = field(default_factory=list)  # content words, lowercase
    phrases: list[str] = field(default_factory=list)  # adjacent content-word pairs
    synonyms: list[str] = field(default_factory=list)  # filing vocabulary for everyday words
    numbers: list[str] = field(default_factory=list)  # figures named in the question
    years: list[int] = field(default_factory=list)
    dates: list[str] = field(default_factory=list)  # "June 28, 2024"
    references: list[str] = field(default_factory=list)  # "Note 16", "Item 7"
    cues: list[str] = field(default_factory=list)  # section-title words
    forms: list[str] = field(default_factory=list)  # "10-K", "10-Q"
    words: set[str] = field(default_factory=set)  # every lowercased word (file matching)
    statements: list[str] = field(default_factory=list)  # heading patterns of statements


def stem(word: str) -> str:
    """A crude suffix stripper: the stem grep patterns extend with ``\\w*``."""
    w = word.lower().replace("’", "'")
    for suffix in (
        "ization",
        "ational",
        "ations",
        "ation",
        "ments",
        "ment",
        "ings",
        "ing",
        "ities",
        "ity",
        "ies",
        "ed",
        "es",
        "s",
        "'s",
    ):
        if w.endswith(suffix) and len(w) - len(suffix) >= 4:
            return w[: -len(suffix)]
    return w


def word_pattern(text: str) -> str:
    """A grep pattern for a word or phrase: stems with any ending, flexible whitespace."""
    parts = []
    for w in text.split():
        s = re.escape(stem(w))
        parts.append(rf"{s}\w*" if len(s) >= 4 else s)
    return r"\b" + r"[\s\-]+".join(parts)


def analyze(
    question: str, exclude: set[str] | None = None, *, lexicon: Lexicon | None = None
) -> QuestionTerms:
    """Extract terms, phrases, synonyms, numbers, periods, references and cues.

    `exclude` holds words that identify documents rather than evidence (company names,
    tickers): they help choose files but are not searched inside them. Stop words, synonyms,
    cues and statements come from `lexicon` (default: `Lexicon.default()`).
    """
    lex = lexicon or Lexicon.default()
    exclude = {e.lower() for e in (exclude or set())}
    q = question.replace("’", "'")
    out = QuestionTerms(question)
    out.words = {w.lower().strip("'") for w in _WORD.findall(q)}
    out.forms = sorted({f.upper().replace("–", "-") for f in re.findall(r"10-?[KQ]\b", q, re.I)})
    for m in _DATE.finditer(q):
        out.dates.append(f"{m.group(1).capitalize()} {int(m.group(2))}, {m.group(3)}")
    out.years = sorted({int(y) for y in _YEAR.findall(q)})
    for m in _AMOUNT.finditer(q):
        digits = re.sub(r"[^\d.]", "", m.group())
        if len(digits.replace(".", "")) >= 3 and not re.fullmatch(r"(19|20)\d\d", digits):
            out.numbers.append(m.group().strip().lstrip("$").strip())
    try:
        from ragkit.chunkers.references import find_references

        out.references = list(dict.fromkeys(r.label for r in find_references(q)))
    except ImportError:  # pragma: no cover - chunkers ship with ragkit
        out.references = []
    low = q.lower()
    # the statements the question names or its metric implies (the pipeline router's reading)
    headings = statement_headings(lex)
    out.statements = [headings[m.kind] for m in statement_intent(q, lexicon=lex)]
    tokens = [w.lower().strip("'-") for w in _WORD.findall(q)]
    content: list[str | None] = []
    for t in tokens:
        t = t.removesuffix("'s")
        keep = (
            len(t) >= 3
            and t not in lex.stopwords
            and t not in exclude
            and t not in _MONTHS
            and not re.fullmatch(r"10-?[kq]", t)
        )
        content.append(t if keep else None)
    seen: dict[str, None] = {}
    for t in content:
        if t:
            seen.setdefault(t, None)
    out.terms = list(seen)
    pairs: dict[str, None] = {}
    for a, b in zip(content, content[1:], strict=False):
        if a and b:
            pairs.setdefault(f"{a} {b}", None)
    out.phrases = list(pairs)
    syn: dict[str, None] = {}
    for key in (*out.terms, *out.phrases):  # a word or two adjacent content words
        for s in lex.synonyms.get(key, ()):
            if s not in seen:
                syn.setdefault(s, None)
    out.synonyms = list(syn)
    # the sections the question's words, or the filing words they stand for, point to
    said = "\n".join([low, *out.synonyms])
    out.cues = list(
        dict.fromkeys(
            title
            for key, title in lex.section_cues.items()
            if re.search(rf"\b{re.escape(key.lower())}", said)
        )
    )
    return out


def section_heading(title: str) -> str:
    """A grep pattern of a section's heading line: the title alone on its line, perhaps
    numbered ("Item 3. Legal Proceedings", "Note 12 — Income Taxes", "14. Segment
    Information"), with up to nine more words (the rest of a long item title, "and Analysis
    of Financial Condition and Results of Operations") or a page number."""
    words = r"\s+".join(_heading_word(w) for w in title.split()).replace("'", "['’]")
    number = r"(?:(?:item|note|part)\s+[\divx]+[a-z]?\W*|\d{1,2}\W+)?"
    return rf"^\W*{number}{words}\b(?:\W+[\w&',]+){{0,9}}\W*$"
