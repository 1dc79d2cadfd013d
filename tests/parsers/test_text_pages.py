"""The paged-text parser: synthetic pdftotext output and the FinanceBench extractions."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ragkit.parsers import load_document, parse_text_pages
from ragkit.types import Document
from tests.synthetic import FACTS_TEXT, synthetic_text_pages


@pytest.fixture(scope="module")
def orbital() -> Document:
    return parse_text_pages(synthetic_text_pages(), doc_id="orbital")


def test_every_block_knows_its_page(orbital: Document) -> None:
    blocks = [b for s in orbital.root.walk() for b in s.blocks]
    assert blocks and all(b.page is not None for b in blocks)
    for phrase, page in FACTS_TEXT["pages"].items():
        holders = [b for b in blocks if phrase in b.text]
        assert holders, phrase
        assert {b.page for b in holders} == {page}, phrase


def test_sections_from_headings_in_text(orbital: Document) -> None:
    parts = [s for s in orbital.root.children if s.kind == "part"]
    assert [p.number for p in parts] == ["I", "II"]
    items = [s for s in orbital.sections() if s.kind == "item"]
    assert [s.number for s in items] == ["1", "1A", "7", "8"]  # TOC entries not repeated
    item7 = items[2]
    assert (item7.page_start, item7.page_end) == FACTS_TEXT["item7_pages"]
    assert any(c.title == "LIQUIDITY AND CAPITAL RESOURCES" for c in item7.children)
    note = next(s for s in orbital.sections() if s.kind == "note")
    assert note.number == "12" and note.path[1].startswith("Item 8")
    assert note.page_start == FACTS_TEXT["note12_page"]


def test_running_footer_and_page_numbers_dropped(orbital: Document) -> None:
    assert "Orbital Freight Corp. 2023 Form 10-K" not in orbital.text


def test_load_document_detects_form_feed_text(tmp_path: Path) -> None:
    path = tmp_path / "orbital.txt"
    path.write_text(synthetic_text_pages(), encoding="utf-8")
    doc = load_document(path)
    assert doc.id == "orbital" and doc.metadata["format"] == "text"


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.slow
@pytest.mark.data
def test_financebench_evidence_pages(financebench_dir: Path) -> None:
    """The block holding each evidence text sits on FinanceBench's 0-based evidence page."""
    checked = agree = 0
    docs: dict[str, tuple[Document, list[str]]] = {}
    with (financebench_dir / "financebench_dev.jsonl").open(encoding="utf-8") as fh:
        records = [json.loads(line) for line in fh if line.strip()]
    for rec in records:
        path = financebench_dir / "text" / f"{rec['doc_name']}.txt"
        if not path.exists():
            continue
        if rec["doc_name"] not in docs:
            raw_pages = path.read_text(encoding="utf-8").split("\f")
            docs[rec["doc_name"]] = (load_document(path), [_squash(p) for p in raw_pages])
        doc, raw_pages = docs[rec["doc_name"]]
        blocks = [b for s in doc.root.walk() for b in s.blocks]
        for ev in rec["evidence"]:
            # a 40-character run from the middle of the evidence, found on exactly one page
            squashed = _squash(ev["evidence_text"])
            if len(squashed) < 80:
                continue
            for frac in (0.5, 0.25, 0.75, 0.1, 0.9):
                start = int(len(squashed) * frac)
                probe = squashed[start : start + 40]
                on_pages = [i for i, page in enumerate(raw_pages) if probe in page]
                pages = {b.page for b in blocks if probe in _squash(b.text)}
                if len(on_pages) == 1 and pages:
                    break
            else:
                continue  # no probe is unique to one page and inside one block
            assert pages == set(on_pages), (rec["doc_name"], probe, pages)
            agree += on_pages == [ev["evidence_page_num"]]
            checked += 1
    assert checked >= 20
    # FinanceBench's 0-based evidence_page_num is the form-feed page index (a few of its
    # evidence texts repeat a table that also appears on another page)
    assert agree >= 0.9 * checked, (agree, checked)
