"""PDF to a paged `Document`: pypdfium2 extracts each page's text layer, then the paged-text
parser (`parse_text_pages`) builds the same section tree and statement pages as for pdftotext.

Pages are numbered from 0 like FinanceBench's `evidence_page_num`. A password-protected file
raises EncryptedDocumentError, a file without a text layer (scanned pages) EmptyDocumentError,
a damaged one ParseError; each names the file. Needs the `pdf` extra (`pip install ragkit[pdf]`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ragkit.errors import DependencyError, EmptyDocumentError, EncryptedDocumentError, ParseError
from ragkit.parsers.text_pages import parse_text_pages
from ragkit.types import Document

#: fewer letters than this per page on average reads as a scan without a text layer
MIN_LETTERS_PER_PAGE = 5
_LETTER = re.compile(r"[^\W\d_]")
_PASSWORD_ERRORS = ("password", "security")
#: a gap between lines wider than this many usual line pitches starts a new paragraph
_PARAGRAPH_GAP = 1.5


def _pdfium() -> Any:
    try:
        import pypdfium2
    except ImportError as exc:
        raise DependencyError(
            "reading PDFs needs pypdfium2: pip install 'ragkit[pdf]' (or pip install pypdfium2)"
        ) from exc
    return pypdfium2


def pdf_pages(data: bytes | str | Path, name: str = "") -> list[str]:
    """The text of each page (lines joined by "\\n"), in page order.

    Raises EncryptedDocumentError for a password-protected file and ParseError for a damaged
    one; `name` (the file, by default `data` when it is a path) appears in every message.
    """
    pdfium = _pdfium()
    label = name or (str(data) if not isinstance(data, bytes) else "the PDF")
    source = str(data) if isinstance(data, Path) else data
    try:
        pdf = pdfium.PdfDocument(source)
    except pdfium.PdfiumError as exc:
        message = str(exc)
        if any(word in message.lower() for word in _PASSWORD_ERRORS):
            raise EncryptedDocumentError(
                f"{label} is encrypted (password-protected); decrypt it first (e.g. "
                "`qpdf --decrypt --password=... in.pdf out.pdf`) and parse the copy"
            ) from exc
        raise ParseError(
            f"{label} is not a readable PDF ({message}); expected a valid PDF"
        ) from exc
    try:
        pages: list[str] = []
        for i in range(len(pdf)):
            page = pdf[i]
            textpage = page.get_textpage()
            try:
                pages.append(_page_text(textpage))
            finally:
                textpage.close()
                page.close()
        return pages
    except pdfium.PdfiumError as exc:
        raise ParseError(f"{label}: a page could not be read ({exc}); the PDF is damaged") from exc
    finally:
        pdf.close()


def _page_text(textpage: Any) -> str:
    """A page's text, one line per text line, with a blank line where the vertical gap
    between two lines is wider than the page's usual line pitch (a paragraph break, as
    pdftotext writes it), so the paged-text parser sees the same paragraphs."""
    text: str = textpage.get_text_range().replace("\f", " ")
    lines = text.split("\r\n") if "\r\n" in text else text.split("\n")
    tops: list[float | None] = []
    pos = 0
    for line in lines:
        lead = len(line) - len(line.lstrip())
        top = None
        if line.strip():
            _, _, _, top = textpage.get_charbox(pos + lead)
        tops.append(top)
        pos += len(line) + 2
    pitches = sorted(
        a - b for a, b in zip(tops, tops[1:], strict=False) if a is not None and b is not None
    )
    pitches = [p for p in pitches if p > 0]
    if not pitches:
        return "\n".join(lines)
    usual = pitches[len(pitches) // 2]
    out: list[str] = []
    prev: float | None = None
    for line, top in zip(lines, tops, strict=True):
        if top is not None and prev is not None and out and out[-1]:
            gap = prev - top
            if gap > _PARAGRAPH_GAP * usual or gap < -usual:
                out.append("")
        out.append(line.rstrip())
        prev = top if top is not None else prev
    return "\n".join(out)


def parse_pdf(data: bytes | str | Path, doc_id: str = "document", source: str = "") -> Document:
    """Parse a PDF (bytes or a path) into a Document whose blocks carry 0-based page numbers."""
    label = source or (str(data) if not isinstance(data, bytes) else doc_id)
    pages = pdf_pages(data, name=label)
    letters = sum(len(_LETTER.findall(p)) for p in pages)
    if not pages or letters < MIN_LETTERS_PER_PAGE * len(pages):
        raise EmptyDocumentError(
            f"{label}: {len(pages)} page(s) but only {letters} letters of text; the PDF has no "
            "text layer (a scan?) - run OCR on it first (e.g. `ocrmypdf in.pdf out.pdf`)"
        )
    doc = parse_text_pages("\f".join(pages), doc_id=doc_id, source=source or label)
    doc.metadata["format"] = "pdf"
    doc.metadata["page_count"] = len(pages)
    return doc
