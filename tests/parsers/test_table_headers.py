"""Header rows of EDGAR tables: titles, units, periods and years before the first amounts."""

from __future__ import annotations

import pytest

from ragkit.parsers.edgar_html import header_row_count


def _count(rows: list[list[str]], first_empty: list[bool] | None = None) -> int:
    return header_row_count(rows, first_empty or [False] * len(rows))


def test_multi_period_headers_before_a_label_row() -> None:
    rows = [
        ["Upstream Financial Results"],
        ["(millions of dollars)", "Three Months Ended June 30,", "Six Months Ended June 30,"],
        ["2025", "2024", "2025", "2024"],
        ["Earnings (loss) (U.S. GAAP)"],
        ["United States", "1,417", "1,392", "2,959", "2,879"],
        ["Non-U.S.", "3,972", "5,682", "8,590", "11,006"],
    ]
    assert _count(rows, [False, False, True, False, False, False]) == 3


def test_units_and_years_rows_then_amounts() -> None:
    rows = [
        ["(Dollars in millions)"],
        ["Years ended December 31,", "2024", "2023", "2022"],
        ["Commercial Airplanes", "($7,969)", "($1,635)", "($2,341)"],
        ["Global Services", "3,618", "3,329", "2,727"],
    ]
    assert _count(rows) == 2


def test_text_tables_get_only_their_label_row() -> None:
    exhibits = [
        ["3.1", "Amended and Restated Certificate of Incorporation dated May 5, 2006"],
        ["3.2", "By-Laws, as amended and restated, effective August 29, 2023"],
        ["4.1", "Description of Securities Registered under Section 12"],
    ]
    assert _count(exhibits) == 0
    listing = [
        ["Title of each class", "Trading Symbol(s)", "Name of each exchange on which registered"],
        ["Common Stock, $5.00 Par Value", "BA", "New York Stock Exchange"],
    ]
    assert _count(listing) == 1


def test_a_table_without_column_labels_has_no_header() -> None:
    rows = [["Revenues", "1,204", "1,100"], ["Cost of sales", "(640)", "(600)"]]
    assert _count(rows) == 0


@pytest.mark.slow
@pytest.mark.data
def test_xom_segment_tables_have_period_headers(real_filings: dict) -> None:
    doc, _ = real_filings["xom-10q-2025q2.htm"]
    tables = [b for s in doc.root.walk() for b in s.blocks if b.kind == "table"]
    upstream = [t for t in tables if t.rows[0] == ("Upstream Financial Results",)]
    assert upstream
    for table in upstream:
        header = " ".join(c for r in table.rows[: table.header_rows] for c in r)
        assert "Three Months Ended June 30," in header and "2024" in header
        assert not any(c.replace(",", "").isdigit() and len(c) > 4 for c in header.split())
