"""Bad input: each gives a sensible tree or a typed error, never a crash or a silent empty "
"result."""

from __future__ import annotations

from pathlib import Path

import pytest

from ragkit.errors import (
    DocumentTooLargeError,
    EmptyDocumentError,
    ParseError,
    UnsupportedFormatError,
)
from ragkit.parsers import load_document, parse_edgar_html
from tests.synthetic import FACTS_10K, synthetic_10k_html


def test_truncated_html_gives_the_tree_so_far() -> None:
    html = synthetic_10k_html()
    cut = html[: html.index("7A. QUANTITATIVE") + 200]  # stops mid-document, tags left open
    doc = parse_edgar_html(cut, doc_id="cut")
    numbers = [s.number for s in doc.sections() if s.kind == "item"]
    assert numbers[-2:] == ["7", "7A"]
    assert FACTS_10K["cash_phrase"] in doc.text


def test_malformed_html_unclosed_and_stray_tags() -> None:
    html = (
        "<html><body><div><b>PART I</b><div><b>Item 1. Business</p></span>"
        "<p>We make <i>gears</b> for tractors.<td>stray cell</td><p>More text</div></div>"
        "<table><tr><td>Revenue<td>$<td>1,200</tr></table>"
    )
    doc = parse_edgar_html(html, doc_id="bad")
    item = next(s for s in doc.sections() if s.kind == "item")
    assert item.number == "1"
    assert "We make gears for tractors." in item.text()
    assert any(b.kind == "table" and b.text == "Revenue | $ 1,200" for b in item.blocks)


def test_cp1252_file_decoded(tmp_path: Path) -> None:
    body = "Management\u2019s \u201cOutlook\u201d \u2014 caf\u00e9 \u20ac5"
    text = f"<html><body><p>{body}</p></body></html>"
    path = tmp_path / "old.htm"
    path.write_bytes(text.encode("cp1252"))
    doc = load_document(path)
    assert "Management\u2019s \u201cOutlook\u201d \u2014 caf\u00e9 \u20ac5" in doc.text
    assert doc.metadata["encoding"] == "cp1252"


def test_declared_latin1_charset_honoured(tmp_path: Path) -> None:
    text = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1">'
        "</head><body><p>Soci\u00e9t\u00e9 G\u00e9n\u00e9rale \u00a9 1999, \u00bd share</p>"
        "</body></html>"
    )
    path = tmp_path / "latin.htm"
    path.write_bytes(text.encode("latin-1"))
    doc = load_document(path)
    assert "Soci\u00e9t\u00e9 G\u00e9n\u00e9rale \u00a9 1999, \u00bd share" in doc.text


def test_latin1_text_without_declaration(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes("R\u00e9sum\u00e9 of na\u00efve caf\u00e9 owners\f page two".encode("latin-1"))
    doc = load_document(path)
    assert "R\u00e9sum\u00e9 of na\u00efve caf\u00e9 owners" in doc.text


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.htm"
    path.write_bytes(b"")
    with pytest.raises(EmptyDocumentError, match="empty"):
        load_document(path)


def test_html_without_visible_text(tmp_path: Path) -> None:
    path = tmp_path / "blank.htm"
    path.write_text(
        '<html><head><script>var x = 1;</script></head><body><div style="display:none">'
        "hidden</div>&#160;</body></html>",
        encoding="utf-8",
    )
    with pytest.raises(EmptyDocumentError):
        load_document(path)


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "image.htm"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8)
    with pytest.raises(UnsupportedFormatError, match="binary"):
        load_document(path)


def test_huge_file_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.htm"
    with path.open("wb") as fh:
        fh.truncate(200 * 1024 * 1024)  # sparse: no 200 MB are written
    with pytest.raises(DocumentTooLargeError, match="209,715,200 bytes"):
        load_document(path)
    small = tmp_path / "small.htm"
    small.write_text("<html><body><p>Some text here.</p></body></html>", encoding="utf-8")
    with pytest.raises(DocumentTooLargeError):
        load_document(small, max_bytes=10)


def test_document_without_headings_keeps_blocks_in_root() -> None:
    html = (
        "<html><body>"
        + "".join(
            f"<p>Paragraph {i} of a plain letter with no headings at all.</p>" for i in range(5)
        )
        + "</body></html>"
    )
    doc = parse_edgar_html(html, doc_id="letter")
    assert doc.root.children == ()
    assert [b.text for b in doc.root.blocks][
        0
    ] == "Paragraph 0 of a plain letter with no headings at all."
    assert len(doc.root.blocks) == 5
    assert doc.metadata["format"] == "html"


def test_missing_file_and_folder_errors(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="cannot read"):
        load_document(tmp_path / "missing.htm")
    with pytest.raises(ParseError, match="not a regular file"):
        load_document(tmp_path)
