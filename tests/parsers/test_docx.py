"""The .docx parser on a Word file written with python-docx: heading styles nest, tables are
table blocks, list styles are list items, core properties become metadata."""

from __future__ import annotations

from pathlib import Path

import pytest

docx = pytest.importorskip("docx", reason="the docx extra (python-docx) is not installed")

from ragkit.errors import ParseError  # noqa: E402
from ragkit.parsers import load, load_document  # noqa: E402


def _write(path: Path) -> None:
    d = docx.Document()
    d.core_properties.title = "Widget Safety Manual"
    d.core_properties.author = "Acme Engineering"
    d.add_heading("Widget Safety Manual", level=0)
    d.add_heading("Installation", level=1)
    d.add_paragraph("Mount the widget on a dry wall at least 30 cm above the floor.")
    d.add_heading("Electrical requirements", level=2)
    d.add_paragraph("Use a 230 V supply protected by a 10 A breaker.")
    d.add_paragraph("Never share the circuit with a heater.", style="List Bullet")
    table = d.add_table(rows=3, cols=2)
    for r, (a, b) in enumerate([("Model", "Max load"), ("W-100", "5 kg"), ("W-200", "12 kg")]):
        table.cell(r, 0).text = a
        table.cell(r, 1).text = b
    d.add_heading("Maintenance", level=1)
    d.add_paragraph("Clean the filter every three months.")
    d.save(str(path))


def test_docx_sections_tables_and_metadata(tmp_path: Path) -> None:
    path = tmp_path / "manual.docx"
    _write(path)
    doc = load_document(path)
    assert doc.metadata["format"] == "docx"
    assert doc.metadata["title"] == "Widget Safety Manual"
    assert doc.metadata["author"] == "Acme Engineering"
    paths = [s.path for s in doc.sections()]
    assert ("Widget Safety Manual", "Installation", "Electrical requirements") in paths
    assert ("Widget Safety Manual", "Maintenance") in paths
    elec = next(s for s in doc.sections() if s.title == "Electrical requirements")
    kinds = [b.kind for b in elec.blocks]
    assert kinds == ["paragraph", "list_item", "table"]
    table = elec.blocks[2]
    assert table.rows == (("Model", "Max load"), ("W-100", "5 kg"), ("W-200", "12 kg"))
    assert table.header_rows == 1
    maint = next(s for s in doc.sections() if s.title == "Maintenance")
    assert "every three months" in maint.text()


def test_docx_in_a_folder_and_a_damaged_one(tmp_path: Path) -> None:
    _write(tmp_path / "manual.docx")
    assert [d.id for d in load(tmp_path)] == ["manual"]
    bad = tmp_path / "broken.docx"
    bad.write_bytes(b"PK\x03\x04 this is not a zip archive")
    with pytest.raises(ParseError, match=r"broken\.docx is not a readable \.docx"):
        load_document(bad)
