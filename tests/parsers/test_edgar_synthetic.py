"""The EDGAR HTML parser on the synthetic 10-K and 10-Q (always run)."""

from __future__ import annotations

from ragkit.types import Document, Section
from tests.synthetic import FACTS_10K, FACTS_10Q, synthetic_10k_html


def _items(doc: Document) -> list[Section]:
    return [s for s in doc.sections() if s.kind == "item"]


def _find(doc: Document, title: str) -> Section:
    return next(s for s in doc.sections() if s.title == title)


def test_metadata_from_dei_facts(acme_10k: Document) -> None:
    for key in (
        "company",
        "ticker",
        "cik",
        "form_type",
        "fiscal_year",
        "fiscal_period",
        "period_end",
    ):
        assert acme_10k.metadata[key] == FACTS_10K[key], key
    assert acme_10k.metadata["format"] == "edgar-html"


def test_parts_hold_items_once_each_despite_toc(acme_10k: Document) -> None:
    parts = [s for s in acme_10k.root.children if s.kind == "part"]
    assert [p.number for p in parts] == FACTS_10K["parts"]
    numbers = [s.number for s in _items(acme_10k)]
    assert len(numbers) == len(set(numbers)), numbers  # the TOC did not add a second copy
    for number in FACTS_10K["items"]:
        assert number in numbers
    item7 = next(s for s in _items(acme_10k) if s.number == "7")
    assert item7.path[0] == "PART II" and item7.level == 2
    assert len(item7.text()) > 500


def test_hidden_header_script_and_style_dropped(acme_10k: Document) -> None:
    text = acme_10k.text
    assert "do not index this script text" not in text
    assert "acme-20241231.xsd" not in text
    assert "display:none" not in text
    assert "\u00a0" not in text


def test_headings_nest_by_style(acme_10k: Document) -> None:
    cash = _find(acme_10k, FACTS_10K["subheading"])
    assert cash.path[-2:] == (FACTS_10K["subheading_parent"], FACTS_10K["subheading"])
    assert cash.path[1].startswith("ITEM 7.")
    assert FACTS_10K["cash_phrase"] in cash.text()
    item7 = next(s for s in _items(acme_10k) if s.number == "7")
    assert [c.title for c in item7.children if c.kind == "heading"][:3] == FACTS_10K[
        "mdna_headings"
    ]


def test_notes_are_sections_under_item_8(acme_10k: Document) -> None:
    item8 = next(s for s in _items(acme_10k) if s.number == "8")
    notes = [c for c in item8.children if c.kind == "note"]
    assert [int(n.number) for n in notes] == FACTS_10K["notes"]
    note12 = notes[-1]
    assert note12.title == "Note 12 \u2014 Leases"
    assert FACTS_10K["lease_phrase"] in note12.text()
    assert FACTS_10K["debt_phrase"] in notes[6].text()


def test_table_cells_cleaned_and_headers_detected(acme_10k: Document) -> None:
    results = _find(acme_10k, "Results of Operations")
    table = next(b for b in results.blocks if b.kind == "table")
    assert FACTS_10K["results_row"] in table.text.split("\n")
    assert FACTS_10K["net_income_row"] in table.text.split("\n")
    assert table.header_rows == 2
    assert table.rows[1] == ("2024", "2023", "2022")
    # the sentence that introduces the table is the block right before it
    index = results.blocks.index(table)
    assert results.blocks[index - 1].text == FACTS_10K["table_intro"]


def test_long_table_keeps_all_rows_caption_and_footnotes(acme_10k: Document) -> None:
    note3 = next(s for s in acme_10k.sections() if s.kind == "note" and s.number == "3")
    table = next(b for b in note3.blocks if b.kind == "table")
    assert len(table.rows) - table.header_rows == FACTS_10K["long_table_rows"]
    lines = table.text.split("\n")
    assert FACTS_10K["long_table_first_row"] in lines
    assert lines[-1] == FACTS_10K["long_table_total_row"]
    assert table.caption == FACTS_10K["long_table_caption"]
    assert table.footnotes == (FACTS_10K["footnote_1"], FACTS_10K["footnote_2"])
    # the footnotes moved into the table: they are not repeated as paragraphs
    assert all(b.text != FACTS_10K["footnote_1"] for b in note3.blocks)


def test_page_numbers_from_page_breaks(acme_10k: Document) -> None:
    item1 = next(s for s in _items(acme_10k) if s.number == "1")
    item7 = next(s for s in _items(acme_10k) if s.number == "7")
    assert item1.page_start == 2  # cover page 0, table of contents page 1
    assert item7.page_start is not None and item7.page_end is not None
    assert item7.page_start < item7.page_end
    # running footers and page numbers are not text
    assert "Form 10-K |" not in acme_10k.text


def test_cover_page_stays_in_root_not_a_section(acme_10k: Document) -> None:
    root_text = " ".join(b.text for b in acme_10k.root.blocks)
    assert "(Exact name of registrant" in root_text
    assert acme_10k.root.children[0].kind == "part"


def test_10q_items_per_part_and_notes_under_part_i_item_1(acme_10q: Document) -> None:
    for key in ("form_type", "fiscal_period", "period_end"):
        assert acme_10q.metadata[key] == FACTS_10Q[key]
    parts = [s for s in acme_10q.root.children if s.kind == "part"]
    assert [p.number for p in parts] == ["I", "II"]
    assert [c.number for c in parts[0].children] == FACTS_10Q["part1_items"]
    assert [c.number for c in parts[1].children] == FACTS_10Q["part2_items"]
    item1 = parts[0].children[0]
    notes = [c for c in item1.children if c.kind == "note"]
    assert [int(n.number) for n in notes] == FACTS_10Q["notes"]
    assert FACTS_10Q["debt_phrase"] in notes[-1].text()


def test_section_ids_are_stable_and_unique(acme_10k: Document) -> None:
    from ragkit.parsers import parse_edgar_html

    again = parse_edgar_html(synthetic_10k_html(), doc_id="acme-10k")
    ids = [s.id for s in acme_10k.root.walk()]
    assert ids == [s.id for s in again.root.walk()]
    assert len(ids) == len(set(ids))


def test_other_company_parameters_flow_through() -> None:
    from ragkit.parsers import parse_edgar_html

    doc = parse_edgar_html(
        synthetic_10k_html("Borealis Rail Corp.", "BRLX", "0000999001", 2023), doc_id="b"
    )
    assert doc.metadata["company"] == "Borealis Rail Corp."
    assert doc.metadata["ticker"] == "BRLX"
    assert doc.metadata["fiscal_year"] == 2023
    assert doc.metadata["period_end"] == "2023-12-31"


def test_note_heading_laid_out_as_a_two_cell_table() -> None:
    """Some filings set a note heading as a layout table: "5." in one cell, the bold title
    in the next, each cell its own paragraph; it is still the note's heading."""
    from ragkit.parsers import parse_edgar_html

    def bold(text: str) -> str:
        return f"<p><font style='font:10pt Times New Roman'><b>{text}</b></font></p>"

    def body(text: str) -> str:
        return f"<p><font style='font:10pt Times New Roman'>{text}</font></p>"

    cell = "<td valign='top'><p><font style='font:10pt Times New Roman'><b>{}</b></font></p></td>"
    layout = (
        f"<table><tr>{cell.format('2.')}{cell.format('Related Party Transactions')}</tr></table>"
    )
    filler = " ".join(["The Partnership leases equipment to lessees under operating leases."] * 4)
    html = (
        "<html><body>"
        + bold("PART II")
        + bold("Item 8. Financial Statements and Supplementary Data")
        + bold("Notes to Financial Statements")
        + bold("1. Business")
        + body(filler)
        + layout
        + body("The General Partner earned management fees of $1,234 during the year. " + filler)
        + bold("3. Notes Payable")
        + body("Notes payable bear interest at 4.5% per year. " + filler)
        + "</body></html>"
    )
    doc = parse_edgar_html(html, source="fund-10k.htm")
    notes = [s for s in doc.sections() if s.kind == "note"]
    assert [(n.number, n.title) for n in notes] == [
        ("1", "1. Business"),
        ("2", "2. Related Party Transactions"),
        ("3", "3. Notes Payable"),
    ]
    assert "management fees of $1,234" in notes[1].text()
    assert "management fees" not in notes[0].text()
