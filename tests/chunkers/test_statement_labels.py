"""Chunks carry the financial statement they belong to (`metadata["statement"]`): from the
statement pages of paged text, and from table captions and section titles in HTML filings."""

from __future__ import annotations

from pathlib import Path

from ragkit.chunkers import HierarchicalChunker, NaiveChunker
from ragkit.parsers import load, parse_text_pages
from ragkit.types import STATEMENT_PAGES_KEY

FILINGS = Path(__file__).resolve().parents[2] / "examples" / "filings"


def _paged_filing() -> str:
    """A pdftotext-like 10-K: narrative pages around a balance sheet and a cash flow page."""
    narrative = "Item 7. Management's Discussion and Analysis\n\nLIQUIDITY\n\n" + (
        "Our cash position improved because customers paid faster and we deferred two "
        "hangar projects to the following year.\n" * 30
    )
    balance = ["Table of Contents", "", "Orbital Freight Corp.", "Consolidated Balance Sheets",
               "(In millions)", "December 31, 2023", "December 31, 2022"]  # fmt: skip
    for i, item in enumerate(["Cash and cash equivalents", "Receivables, net", "Inventories",
                              "Total current assets", "Property and equipment, net",
                              "Goodwill", "Total assets", "Accounts payable",
                              "Total current liabilities", "Long-term debt"]):  # fmt: skip
        balance += [item, f"{2031 + 311 * i:,}", f"{1488 + 297 * i:,}"]
    cash = ["Consolidated Statements of Cash Flows", "(In millions)"]
    for i in range(10):
        cash += [f"Operating item {i}", f"{1200 + 55 * i:,}", f"({900 + 41 * i:,})"]
    return "\f".join([narrative, "\n".join(balance), "\n".join(cash), narrative])


def test_paged_text_knows_its_statement_pages() -> None:
    doc = parse_text_pages(_paged_filing(), "orbital-10k-2023")
    assert doc.metadata[STATEMENT_PAGES_KEY] == {"1": "balance_sheet", "2": "cash_flow_statement"}


def test_chunks_on_statement_pages_are_labelled(
    chunker: HierarchicalChunker, naive: NaiveChunker
) -> None:
    doc = parse_text_pages(_paged_filing(), "orbital-10k-2023")
    pages = {1: "balance_sheet", 2: "cash_flow_statement"}
    for chunks in (chunker.chunk(doc), naive.chunk(doc)):
        for c in chunks:  # a chunk touching a statement page belongs to it; others to none
            assert c.page_start is not None and c.page_end is not None
            span = range(c.page_start, c.page_end + 1)
            assert c.metadata.get("statement") == next((pages[p] for p in span if p in pages),
                                                       None)  # fmt: skip
        assert any(c.metadata.get("statement") is None for c in chunks)
        assert any("Total current assets" in c.text and c.metadata.get("statement")
                   == "balance_sheet" for c in chunks)  # fmt: skip


def test_html_statement_tables_are_labelled_by_caption(chunker: HierarchicalChunker) -> None:
    labelled = {}
    for doc in load([FILINGS]):
        for c in chunker.chunk(doc):
            if c.metadata.get("statement"):
                labelled.setdefault(doc.id, []).append(c)
    assert set(labelled) == {"acme-10k-fy2024", "acme-10q-2024q2", "globex-10k-fy2023"}
    for chunks in labelled.values():
        assert all(c.metadata["statement"] == "income_statement" for c in chunks)
        assert all(c.kind != "prose" for c in chunks)  # tables, not narrative mentions
        assert any("Net income" in c.text or "Net loss" in c.text for c in chunks)
