"""Heading recognition in pdftotext output: statement line items stay inside their tables."""

from __future__ import annotations

from pathlib import Path

import pytest

from ragkit.parsers import load_document, parse_text_pages

_STATEMENTS = "\f".join(
    [
        "Item 7. Management's Discussion and Analysis\n\n"
        "LIQUIDITY AND CAPITAL RESOURCES\n"
        "CASH FLOW ACTIVITY\n"
        "Cash provided by operations was an inflow of $6,657 million for fiscal 2021 compared\n"
        "to $2,485 million for fiscal 2020, driven by higher net income.\n\n"
        "NET INVESTMENTS IN FOREIGN SUBSIDIARIES\n"
        "We are also exposed to the impact of foreign exchange fluctuations on our investments\n"
        "in wholly-owned foreign subsidiaries denominated in currencies other than the dollar.\n",
        "Item 8. Financial Statements and Supplementary Data\n\n"
        "CONSOLIDATED BALANCE SHEETS\n"
        "December 31,\n\n2017\n\n2016\n\n(In millions except par value)\n\n"
        "ASSETS\nCURRENT ASSETS\nCash and cash equivalents\nShort-term investments\n\n"
        "$\n\n6,006\n9,352\n\n$\n\n8,555\n9,595\n\n"
        "TOTAL CASH, CASH EQUIVALENTS AND SHORT-TERM INVESTMENTS\n\n15,358\n\n18,150\n\n"
        "Marketable securities\nInventories\n\n5,317\n2,655\n\n4,051\n2,675\n\n"
        "TOTAL CURRENT ASSETS\n\n36,545\n\n34,010\n\n"
        "EQUITY METHOD INVESTMENTS\nGOODWILL\n\n20,856\n9,401\n\n16,260\n10,629\n\n"
        "TOTAL ASSETS\nLIABILITIES AND SHAREHOLDERS' EQUITY\nCURRENT LIABILITIES\n"
        "Accounts payable and accrued expenses\nLoans and notes payable\n\n"
        "$\n\n8,748\n13,205\n\n$\n\n9,490\n12,498\n\n"
        "NET INCOME\n\n1,248\n\n6,527\n",
        "NOTES TO CONSOLIDATED FINANCIAL STATEMENTS\n\n"
        "NOTE 12 — LEASES\n"
        "We lease office space, warehouses and retail stores under operating leases with\n"
        "remaining terms of one to 20 years, some of which include options to extend.\n",
    ]
)


def test_statement_line_items_are_not_headings() -> None:
    doc = parse_text_pages(_STATEMENTS, doc_id="statements")
    titles = [s.title for s in doc.sections()]
    for line_item in (
        "TOTAL CURRENT ASSETS",
        "NET INCOME",
        "LIABILITIES AND SHAREHOLDERS' EQUITY",
        "ASSETS",
        "CURRENT ASSETS",
        "EQUITY METHOD INVESTMENTS",
    ):
        assert line_item not in titles
    sheet = next(s for s in doc.sections() if s.title == "CONSOLIDATED BALANCE SHEETS")
    assert sheet.path[-2].startswith("Item 8")
    own = " ".join(b.text for b in sheet.blocks)
    assert "TOTAL CURRENT ASSETS" in own and "NET INCOME" in own and "36,545" in own


def test_headings_followed_by_prose_are_kept() -> None:
    doc = parse_text_pages(_STATEMENTS, doc_id="statements")
    item7 = next(s for s in doc.sections() if s.kind == "item" and s.number == "7")
    sub = [s.title for s in item7.walk()]
    assert "CASH FLOW ACTIVITY" in sub
    assert "NET INVESTMENTS IN FOREIGN SUBSIDIARIES" in sub  # "Net …" followed by prose
    note = next(s for s in doc.sections() if s.kind == "note")
    assert note.number == "12" and note.page_start == 2


@pytest.mark.slow
@pytest.mark.data
def test_financebench_sections_are_not_split_by_line_items(financebench_dir: Path) -> None:
    """Real 10-Ks keep Items 7 and 8 and their notes; no section is a statement line item."""
    for name in ("3M_2018_10K", "COCACOLA_2017_10K", "NIKE_2021_10K", "ADOBE_2017_10K"):
        doc = load_document(financebench_dir / "text" / f"{name}.txt")
        sections = list(doc.sections())
        items = {s.number for s in sections if s.kind == "item"}
        assert {"7", "8"} <= items, name
        assert sum(s.kind == "note" for s in sections) >= 10, name
        line_items = [s.title for s in sections if s.title.upper().startswith("TOTAL")]
        assert not line_items, (name, line_items)
