"""The EDGAR parser on the 17 real filings in the shared data (skipped when absent)."""

from __future__ import annotations

import pytest

from ragkit.types import Document

pytestmark = [pytest.mark.slow, pytest.mark.data]

_KEYS = {
    "company": "company",
    "ticker": "ticker",
    "cik": "cik",
    "form_type": "form",
    "period_end": "period_end",
    "fiscal_year": "fiscal_year",
    "fiscal_period": "fiscal_period",
}
_TEN_K_ITEMS = {"1", "1A", "7", "7A", "8", "9A"}


def _items(doc: Document) -> list:
    return [s for s in doc.sections() if s.kind == "item"]


def test_all_17_filings_parsed(real_filings: dict) -> None:
    assert len(real_filings) == 17


def test_metadata_matches_filings_csv(real_filings: dict, filings_csv: dict) -> None:
    for name, (doc, _) in real_filings.items():
        row = filings_csv[name]
        for key, column in _KEYS.items():
            if row[column]:
                assert str(doc.metadata.get(key)) == row[column], (name, key)
        assert doc.metadata["source_name"] == name
        assert doc.metadata["format"] == "edgar-html"


def test_required_items_found_once_each(real_filings: dict, filings_csv: dict) -> None:
    for name, (doc, _) in real_filings.items():
        row = filings_csv[name]
        items = _items(doc)
        keys = [(s.path[0] if len(s.path) > 1 else "", s.number) for s in items]
        assert len(keys) == len(set(keys)), (name, keys)  # the TOC is not a second copy
        numbers = {s.number for s in items}
        if row["form"] == "10-K" and row["inline_xbrl"] == "True":
            assert _TEN_K_ITEMS <= numbers, (name, sorted(numbers))
        elif row["form"] == "10-K":
            assert {"1", "7", "8"} <= numbers, (name, sorted(numbers))
        else:
            part1 = [
                s
                for s in items
                if s.path[0].upper().startswith("PART I")
                and not s.path[0].upper().startswith("PART II")
            ]
            assert [s.number for s in part1] == ["1", "2", "3", "4"], name


def test_item_sections_hold_the_body_not_the_toc(real_filings: dict, filings_csv: dict) -> None:
    for name, (doc, _) in real_filings.items():
        for s in _items(doc):
            row = filings_csv[name]
            if s.number in ("1A", "7") and row["form"] == "10-K" and row["inline_xbrl"] == "True":
                assert len(s.text()) > 5000, (name, s.title)
            if s.number == "2" and filings_csv[name]["form"] == "10-Q":
                if s.path[0].upper().startswith("PART I") and "II" not in s.path[0].upper():
                    assert len(s.text()) > 5000, (name, s.title)


def test_notes_are_numbered_sections_in_the_financial_statements_item(
    real_filings: dict, filings_csv: dict
) -> None:
    for name, (doc, _) in real_filings.items():
        if name.startswith("medicis"):
            continue  # its financial statements are incorporated from the annual report
        notes = [s for s in doc.sections() if s.kind == "note"]
        assert len(notes) >= 5, name
        numbers = [int(s.number) for s in notes]
        assert numbers == sorted(numbers) and numbers[0] == 1, (name, numbers)
        if filings_csv[name]["inline_xbrl"] == "True":
            parents = {s.path[:-1] for s in notes}
            assert len(parents) == 1, name
            parent_title = next(iter(parents))[-1].upper()
            assert "ITEM 8" in parent_title or "ITEM 1" in parent_title, (name, parent_title)
            assert all(len(s.text()) > 200 for s in notes), name


def test_tables_are_cleaned(real_filings: dict) -> None:
    for name, (doc, _) in real_filings.items():
        tables = [b for s in doc.root.walk() for b in s.blocks if b.kind == "table"]
        assert len(tables) >= 10, name
        for t in tables:
            for row in t.rows:
                assert all(cell and cell != "$" for cell in row), (name, row)
            assert "\u00a0" not in t.text
