"""Document parsers: EDGAR HTML filings, form-feed paged text, Markdown, PDF (the `pdf` extra)
and Word .docx (the `docx` extra) to `Document` trees.

`load_document(path)` picks the parser by content; `load(paths)` takes files and folders.
"""

from __future__ import annotations

from ragkit.parsers.docx import parse_docx
from ragkit.parsers.edgar_html import parse_edgar_html
from ragkit.parsers.loader import DEFAULT_MAX_BYTES, load, load_document
from ragkit.parsers.markdown import parse_markdown
from ragkit.parsers.pdf import parse_pdf
from ragkit.parsers.text_pages import parse_text_pages

__all__ = [
    "DEFAULT_MAX_BYTES",
    "load",
    "load_document",
    "parse_docx",
    "parse_edgar_html",
    "parse_markdown",
    "parse_pdf",
    "parse_text_pages",
]
