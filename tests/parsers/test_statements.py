"""Financial-statement detection: titles as pdftotext and EDGAR write them, pages dense with
figures, and the lines that only mention a statement."""

from __future__ import annotations

import pytest

from ragkit.parsers.statements import page_statement, statement_pages, statement_title


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("CONSOLIDATED BALANCE SHEETS", "balance_sheet"),
        ("Consolidated Balance Shee t", "balance_sheet"),  # pdftotext splits words
        ("Consolidated Statements of Financial Position", "balance_sheet"),
        ("Condensed Consolidated Statements of Financial Condition", "balance_sheet"),
        ("3M Company and Subsidiaries Consolidated Statement of Incom e", "income_statement"),
        ("CONSOLIDATED STATEMENTS OF OPERATIONS", "income_statement"),
        ("Consolidated Statements of Operations and Comprehensive Loss", "income_statement"),
        ("Consolidated Statement of Earnings", "income_statement"),
        ("Consolidated Income Statements", "income_statement"),
        ("INCOME STATEMENTS", "income_statement"),  # Microsoft's titles
        ("CASH FLOWS STATEMENTS", "cash_flow_statement"),
        ("COMPREHENSIVE INCOME STATEMENTS", None),
        ("CONSOLIDATED STATEMENTS OF CASH FLOWS", "cash_flow_statement"),
        ("Condensed Consolidated Statements of Cash Flows (Unaudited)", "cash_flow_statement"),
        ("Consolidated Balance Sheets (continued)", "balance_sheet"),
        ("Consolidated Statement of Comprehensive Income", None),  # not the income statement
        ("Consolidated Statements of Shareholders' Equity", None),
        ("Notes to Consolidated Financial Statements", None),
        ("See the consolidated balance sheets.", None),
        ("Impact of derivatives on the Consolidated statements of income", None),
        ("are included in the consolidated balance sheets;", None),
        ("Consolidated Balance Sheets .......... 52", None),  # an index of statements
        (
            "The accompanying notes are an integral part of these consolidated statements of "
            "operations and are presented on the following pages of this annual report for "
            "the year",
            None,
        ),  # fmt: skip
    ],
)
def test_statement_titles(line: str, kind: str | None) -> None:
    assert statement_title(line) == kind


def _page(title: str, n_figures: int, bare: int = 0) -> list[str]:
    lines = ["Table of Contents", "", "Orbital Freight Corp.", title, "(In millions)", ""]
    for i in range(n_figures):
        lines += [f"Line item {i}", f"{1000 + 37 * i:,}"]
    for i in range(bare):  # amounts under 1,000, alone on their line as pdftotext writes them
        lines += [f"Small item {i}", str(12 + 7 * i)]
    return lines


def test_a_statement_page_opens_with_its_title_and_is_dense_with_figures() -> None:
    assert page_statement(_page("Consolidated Balance Sheets", 20)) == "balance_sheet"
    # small amounts count when enough figures are formatted as amounts
    assert page_statement(_page("Consolidated Statements of Cash Flows", 10, bare=10)) == (
        "cash_flow_statement"
    )
    # an index of the statements (bare page numbers) or a page naming one has too few
    assert page_statement(_page("Consolidated Balance Sheets", 5)) is None
    assert page_statement(_page("Consolidated Balance Sheets", 0, bare=30)) is None
    # the title must open the page: a note's column header "Balance Sheet" comes later
    late = ["x"] * 6 + _page("Consolidated Balance Sheets", 20)
    assert page_statement(late) is None


def test_statement_pages_numbers_pages_from_zero() -> None:
    pages = [
        ["Cover page"],
        _page("Consolidated Statements of Income", 18),
        _page("Notes to Consolidated Financial Statements", 30),
        _page("Consolidated Statements of Cash Flows", 25),
    ]
    assert statement_pages(pages) == {1: "income_statement", 3: "cash_flow_statement"}
