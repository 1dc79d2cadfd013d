"""The PDF parser on small hand-written PDFs: pages and sections, and typed errors for
encrypted, scanned (no text layer) and damaged files, each naming the file."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("pypdfium2", reason="the pdf extra (pypdfium2) is not installed")

from ragkit.errors import EmptyDocumentError, EncryptedDocumentError, ParseError  # noqa: E402
from ragkit.parsers import load, load_document  # noqa: E402
from ragkit.parsers.pdf import parse_pdf, pdf_pages  # noqa: E402
from tests.parsers.pdf_samples import make_pdf  # noqa: E402

PAGES = [
    [
        "PART I",
        "",
        "Item 1. Business",
        "",
        "Acme Widgets Inc. designs and sells industrial widgets to customers in the U.S.",
        "and in Europe through distributors and its own online store.",
    ],
    [
        "Item 7. Management's Discussion and Analysis",
        "",
        "Net sales increased 12% to $4.2 billion in fiscal 2023, driven by higher volumes",
        "of industrial widgets and price increases in every region.",
    ],
    [
        "Note 3. Leases",
        "",
        "The Company leases warehouses and offices under operating leases that expire at",
        "various dates through 2031, some with options to renew them.",
    ],
]


def test_pages_text_and_sections(tmp_path: Path) -> None:
    path = tmp_path / "acme-10k.pdf"
    path.write_bytes(make_pdf(PAGES))
    pages = pdf_pages(path)
    assert len(pages) == 3
    assert "Acme Widgets Inc. designs" in pages[0]
    assert "Net sales increased 12% to $4.2 billion" in pages[1]
    doc = load_document(path)
    assert (
        doc.id == "acme-10k" and doc.metadata["format"] == "pdf" and doc.metadata["page_count"] == 3
    )
    found = {s.title: (s.kind, s.page_start) for s in doc.sections()}
    assert found["PART I"] == ("part", 0)
    assert found["Item 1. Business"] == ("item", 0)
    assert found["Item 7. Management's Discussion and Analysis"] == ("item", 1)
    item7 = next(s for s in doc.sections() if s.number == "7")
    assert "price increases" in item7.text()
    assert all(b.page == 1 for b in item7.blocks)


def test_pdf_from_bytes_matches_path(tmp_path: Path) -> None:
    data = make_pdf(PAGES)
    (tmp_path / "a.pdf").write_bytes(data)
    from_path = parse_pdf(tmp_path / "a.pdf", doc_id="a")
    from_bytes = parse_pdf(data, doc_id="a")
    assert [s.path for s in from_path.sections()] == [s.path for s in from_bytes.sections()]


def test_encrypted_pdf_is_a_typed_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "locked.pdf"
    path.write_bytes(make_pdf(PAGES, encrypt=True))
    with pytest.raises(EncryptedDocumentError, match=r"locked\.pdf is encrypted"):
        load_document(path)


def test_scanned_pdf_without_text_layer(tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    path.write_bytes(make_pdf([[], []], image_only=True))
    with pytest.raises(EmptyDocumentError, match=r"scan\.pdf: 2 page\(s\).*no text layer"):
        load_document(path)


@pytest.mark.parametrize(
    "data",
    [b"%PDF-1.7\n this is not a PDF body at all\n", make_pdf(PAGES)[:200]],
    ids=["garbage", "truncated"],
)
def test_damaged_pdf_is_a_parse_error(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(data)
    with pytest.raises(ParseError, match=r"broken\.pdf"):
        load_document(path)


def test_folder_with_pdf_docx_txt_and_md_loads_all(tmp_path: Path) -> None:
    (tmp_path / "report.pdf").write_bytes(make_pdf(PAGES))
    (tmp_path / "notes.txt").write_text(
        "Quarterly notes\n\nRevenue was flat in the quarter while costs fell slightly.\n"
    )
    (tmp_path / "guide.md").write_text("# Guide\n\nInstall the widget before use.\n")
    docs = {d.id: d.metadata["format"] for d in load(tmp_path)}
    assert docs == {"report": "pdf", "notes": "text", "guide": "markdown"}
