"""Find the primary financial statements: balance sheet, income statement, cash flow statement.

Analysts open these first for any figure question ("year-end inventories", "FY2019 operating
margin", "capex"), yet their pages are tables of numbers that neither BM25 nor embeddings
match well. A paged document's statement page opens with the statement's title and is dense
with figures; in HTML the title heads the section holding the table. Titles are matched on
letters only ("Consolidated Balance Shee t" from pdftotext still reads as a balance sheet).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

StatementKind = Literal["balance_sheet", "income_statement", "cash_flow_statement"]
STATEMENT_KINDS: tuple[StatementKind, ...] = (
    "balance_sheet",
    "income_statement",
    "cash_flow_statement",
)

# matched against the line's lowercase letters only, anchored at its end; a prefix such as
# "3M Company and Subsidiaries" or "Condensed Consolidated" may precede the title
_TITLES: tuple[tuple[StatementKind, re.Pattern[str]], ...] = (
    (
        "balance_sheet",
        re.compile(r"(?:balancesheets?|statements?of(?:consolidated)?financial(?:position|condition))$"),
    ),
    (
        "income_statement",
        re.compile(
            r"(?:statements?of(?:consolidated)?(?:income|operations|earnings)"
            r"(?:andcomprehensive(?:income|loss|earnings))?|(?<!comprehensive)incomestatements?)$"
        ),
    ),
    ("cash_flow_statement", re.compile(
        r"(?:statements?of(?:consolidated)?cashflows?|cashflowsstatements?)$")),
)  # fmt: skip
#: letters a title line may carry before the title itself (a company name and "and subsidiaries")
_MAX_PREFIX_LETTERS = 48
#: what may follow a title: "(Unaudited)", "(continued)" (a statement's second page)
_SUFFIX = re.compile(r"(?:unaudited|continued)+$")
#: a lowercase function word before the title's first word makes a sentence or a table label
#: ("Impact of derivatives on the Consolidated statements of income"), not a title
_FUNCTION_WORD = re.compile(r"\b(?:on|in|to|of|the|for|from|as|at|by|with|into|per)\b")
_TITLE_WORD = re.compile(r"\b(?:balance|statements?|income|cash)\b", re.I)
_NOT_A_TITLE = re.compile(r"notes?\s+to|\.{4}|\bsee\b|\bpages?\b|[.;:,]\s*$", re.I)
#: figures as statements print them: 1,234 / (1,234) / $12,345.6 / 12.5 / (45)
_FIGURE = re.compile(r"(?<![\w.])\(?\$?\d{1,3}(?:,\d{3})+(?:\.\d+)?\)?|(?<![\w.])\d+\.\d+|\(\d+\)")
#: a small amount alone on its line, as pdftotext writes table cells (not a year)
_BARE_AMOUNT = re.compile(r"^[ \t$]*(?!(?:19|20)\d\d\b)\d{1,4}[ \t]*$", re.M)
#: a statement page holds at least this many figures, `MIN_FORMATTED` of them formatted as
#: amounts (an index of statements holds a few bare page numbers)
MIN_FIGURES = 15
MIN_FORMATTED = 10
#: how many non-blank lines at the top of a page may hold the title (a company name and
#: "Table of Contents" may come first; a note's column header "Balance Sheet" comes later)
TITLE_LINES = 5


def statement_title(line: str) -> StatementKind | None:
    """The statement a title line names ("Consolidated Statements of Cash Flows" ->
    "cash_flow_statement"), or None for any other line, including sentences mentioning one."""
    if len(line) > 120 or _NOT_A_TITLE.search(line):
        return None
    first = _TITLE_WORD.search(line)
    if first is None or _FUNCTION_WORD.search(line, 0, first.start()):
        return None
    letters = _SUFFIX.sub("", re.sub(r"[^a-z]", "", line.lower()))
    for kind, pattern in _TITLES:
        match = pattern.search(letters)
        if match and match.start() <= _MAX_PREFIX_LETTERS:
            return kind
    return None


def page_statement(lines: Sequence[str]) -> StatementKind | None:
    """The statement a page holds: a title among its first lines and enough figures, else None."""
    text = "\n".join(lines)
    formatted = len(_FIGURE.findall(text))
    if formatted < MIN_FORMATTED or formatted + len(_BARE_AMOUNT.findall(text)) < MIN_FIGURES:
        return None
    head = [ln.strip() for ln in lines if ln.strip()][:TITLE_LINES]
    return next((kind for ln in head if (kind := statement_title(ln))), None)


def statement_pages(pages: Sequence[Sequence[str]]) -> dict[int, StatementKind]:
    """0-based page number -> statement, for the pages of a document that hold one."""
    return {i: kind for i, lines in enumerate(pages) if (kind := page_statement(lines))}
