"""Find the primary financial statements: balance sheet, income statement, cash flow statement.

Analysts open these first for any figure question ("year-end inventories", "FY2019 operating
margin", "capex"), yet their pages are tables of numbers that neither BM25 nor embeddings
match well. A paged document's statement page opens with the statement's title and is dense
with figures; in HTML the title heads the section holding the table. Titles are matched on
letters only ("Consolidated Balance Shee t" from pdftotext still reads as a balance sheet).
The titles and the detection thresholds come from the lexicon (`Lexicon.statements`,
`Lexicon.detection`; documented in `ragkit/data/finance.yaml`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ragkit.lexicon import STATEMENT_KINDS, Lexicon, StatementKind, StatementTerms, phrase_regex

__all__ = ["STATEMENT_KINDS", "StatementKind", "page_statement", "statement_pages",
           "statement_title"]  # fmt: skip

#: figures as statements print them: 1,234 / (1,234) / $12,345.6 / 12.5 / (45)
_FIGURE = re.compile(r"(?<![\w.])\(?\$?\d{1,3}(?:,\d{3})+(?:\.\d+)?\)?|(?<![\w.])\d+\.\d+|\(\d+\)")
#: a small amount alone on its line, as pdftotext writes table cells (not a year)
_BARE_AMOUNT = re.compile(r"^[ \t$]*(?!(?:19|20)\d\d\b)\d{1,4}[ \t]*$", re.M)
#: a line that points elsewhere: dot leaders of an index, or a sentence's end
_NOT_A_TITLE_SHAPE = r"\.{4}|[.;:,]\s*$"


def _letters(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower())


def _title_regex(terms: StatementTerms, qualifiers: Sequence[str]) -> str:
    """A statement's titles over a line's lowercase letters, anchored at its end: each word
    may take a plural "s" and be followed by qualifiers ("statementsofconsolidatedincome")."""
    between = "(?:" + "|".join(_letters(q) for q in qualifiers) + ")*" if qualifiers else ""
    alternatives = []
    for title in terms.titles:
        words = [w for w in (_letters(x) for x in title.split()) if w]
        alternatives.append(between.join(w + "s?" for w in words))
    extension = ""
    if terms.title_extensions:
        extension = "(?:" + "|".join(_letters(e) for e in terms.title_extensions) + ")?"
    not_after = "".join(f"(?<!{_letters(w)})" for w in terms.not_after)
    return f"{not_after}(?:{'|'.join(alternatives)}){extension}$"


@dataclass(frozen=True, slots=True)
class _TitlePatterns:
    """A lexicon's statement titles and title rules, compiled."""

    titles: tuple[tuple[StatementKind, re.Pattern[str]], ...]
    title_word: re.Pattern[str]
    sentence_word: re.Pattern[str]
    not_a_title: re.Pattern[str]
    trailer: re.Pattern[str]


@functools.lru_cache(maxsize=16)
def _title_patterns(lexicon: Lexicon) -> _TitlePatterns:
    """Compile a lexicon's title words once."""
    det = lexicon.detection
    terms = lexicon.statements
    first_words = sorted({t.split()[0].lower() for k in STATEMENT_KINDS for t in terms[k].titles})
    trailers = "|".join(_letters(w) for w in det.title_trailers) or "(?!)"
    sentence = "|".join(re.escape(w) for w in det.sentence_words) or "(?!)"
    return _TitlePatterns(
        titles=tuple(
            (k, re.compile(_title_regex(terms[k], lexicon.statement_qualifiers)))
            for k in STATEMENT_KINDS
        ),
        title_word=re.compile(
            r"\b(?:" + "|".join(f"{re.escape(w)}s?" for w in first_words) + r")\b", re.I
        ),  # fmt: skip
        # lowercase on purpose: "Statement Of Income" in title case is still a title
        sentence_word=re.compile(rf"\b(?:{sentence})\b"),
        not_a_title=re.compile(phrase_regex(det.not_a_title) + "|" + _NOT_A_TITLE_SHAPE, re.I),
        trailer=re.compile(f"(?:{trailers})+$"),
    )


def statement_title(line: str, *, lexicon: Lexicon | None = None) -> StatementKind | None:
    """The statement a title line names ("Consolidated Statements of Cash Flows" ->
    "cash_flow_statement"), or None for any other line, including sentences mentioning one.

    Titles, qualifiers and limits come from `lexicon` (default: `Lexicon.default()`).
    """
    lex = lexicon or Lexicon.default()
    pats = _title_patterns(lex)
    if len(line) > lex.detection.max_title_chars or pats.not_a_title.search(line):
        return None
    first = pats.title_word.search(line)
    if first is None or pats.sentence_word.search(line, 0, first.start()):
        return None
    letters = pats.trailer.sub("", _letters(line))
    for kind, pattern in pats.titles:
        match = pattern.search(letters)
        if match and match.start() <= lex.detection.max_prefix_letters:
            return kind
    return None


def page_statement(lines: Sequence[str], *, lexicon: Lexicon | None = None) -> StatementKind | None:
    """The statement a page holds: a title among its first lines and enough figures, else None.

    The thresholds are `lexicon.detection` (`min_figures`, `min_formatted`, `title_lines`;
    their meaning is documented in `ragkit/data/finance.yaml`).
    """
    lex = lexicon or Lexicon.default()
    det = lex.detection
    text = "\n".join(lines)
    formatted = len(_FIGURE.findall(text))
    if formatted < det.min_formatted:
        return None
    if formatted + len(_BARE_AMOUNT.findall(text)) < det.min_figures:
        return None
    head = [ln.strip() for ln in lines if ln.strip()][: det.title_lines]
    return next((kind for ln in head if (kind := statement_title(ln, lexicon=lex))), None)


def statement_pages(
    pages: Sequence[Sequence[str]], *, lexicon: Lexicon | None = None
) -> dict[int, StatementKind]:
    """0-based page number -> statement, for the pages of a document that hold one."""
    return {
        i: kind for i, lines in enumerate(pages) if (kind := page_statement(lines, lexicon=lexicon))
    }
