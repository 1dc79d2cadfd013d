"""The Markdown parser: `#` heading levels nest, pipe tables become table blocks."""

from __future__ import annotations

from pathlib import Path

from ragkit.parsers import load_document, parse_markdown
from tests.synthetic import FACTS_MARKDOWN, synthetic_markdown


def test_headings_nest_and_table_parsed() -> None:
    doc = parse_markdown(synthetic_markdown(), doc_id="guide")
    top = doc.root.children
    assert [s.title for s in top] == [FACTS_MARKDOWN["title"]]
    assert [c.title for c in top[0].children] == ["Installation", "Calibration"]
    torque = top[0].children[1].children[0]
    assert torque.path == ("Widget Operations Guide", "Calibration", "Torque Settings")
    table = next(b for b in torque.blocks if b.kind == "table")
    assert table.header_rows == 1
    assert table.text.split("\n")[0] == FACTS_MARKDOWN["table_header"]
    assert FACTS_MARKDOWN["table_row"] in table.text.split("\n")
    assert FACTS_MARKDOWN["torque_phrase"] in torque.text()
    items = [b for b in top[0].children[0].blocks if b.kind == "list_item"]
    assert [b.text for b in items] == ["Check the supply polarity.", "Ground the chassis."]


def test_markdown_detected_by_content_without_extension(tmp_path: Path) -> None:
    path = tmp_path / "guide.notes"
    path.write_text(synthetic_markdown(), encoding="utf-8")
    doc = load_document(path)
    assert doc.metadata["format"] == "markdown"
    assert doc.metadata["source_name"] == "guide.notes"
