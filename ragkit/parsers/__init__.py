"""Document parsers: EDGAR HTML filings, form-feed paged text and Markdown to `Document` trees.

`load_document(path)` picks the parser by content; `load(paths)` takes files and folders.
"""

from __future__ import annotations

from ragkit.parsers.edgar_html import parse_edgar_html
from ragkit.parsers.loader import DEFAULT_MAX_BYTES, load, load_document
from ragkit.parsers.markdown import parse_markdown
from ragkit.parsers.text_pages import parse_text_pages

__all__ = [
    "DEFAULT_MAX_BYTES",
    "load",
    "load_document",
    "parse_edgar_html",
    "parse_markdown",
    "parse_text_pages",
]
