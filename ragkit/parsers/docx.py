"""Word (.docx) to a `Document` with python-docx: "Title"/"Heading N" paragraph styles become
nested sections, tables become table blocks, list styles become list items.

The core properties a user fills in Word (title, author, subject, keywords, created) go into
`Document.metadata`. Needs the `docx` extra (`pip install ragkit[docx]`).
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from ragkit.errors import DependencyError, EmptyDocumentError, ParseError
from ragkit.parsers.tree import HeadingMark, build_tree
from ragkit.types import Block, Document

_HEADING_STYLE = re.compile(r"^heading\s*(\d)$", re.I)


def _python_docx() -> Any:
    try:
        import docx
    except ImportError as exc:
        raise DependencyError(
            "reading .docx files needs python-docx: pip install 'ragkit[docx]' "
            "(or pip install python-docx)"
        ) from exc
    return docx


def _heading_level(style_name: str) -> int | None:
    """1-9 for "Heading N", 0 for "Title", None for any other style."""
    if style_name.strip().lower() == "title":
        return 0
    m = _HEADING_STYLE.match(style_name.strip())
    return int(m.group(1)) if m else None


def _table_block(table: Any) -> Block | None:
    rows: list[tuple[str, ...]] = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            text = " ".join(cell.text.split())
            if not cells or cells[-1] != text or not text:  # merged cells repeat their text
                cells.append(text)
        if any(cells):
            rows.append(tuple(cells))
    return Block.table(tuple(rows), header_rows=1 if len(rows) > 1 else 0) if rows else None


def _stream(document: Any, docx: Any) -> list[HeadingMark | Block]:
    """Headings and blocks in body order (paragraphs and tables interleaved as written)."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    stream: list[HeadingMark | Block] = []
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            block = _table_block(item)
            if block is not None:
                stream.append(block)
            continue
        if not isinstance(item, Paragraph):
            continue
        text = " ".join(item.text.split())
        if not text:
            continue
        style = item.style.name if item.style is not None else ""
        level = _heading_level(style)
        if level is not None:
            stream.append(HeadingMark("heading", text, None, (-level,), level))
        elif "list" in style.lower():
            stream.append(Block("list_item", text))
        else:
            stream.append(Block("paragraph", text))
    return stream


def _core_metadata(document: Any) -> dict[str, Any]:
    props = document.core_properties
    meta: dict[str, Any] = {}
    for key in ("title", "author", "subject", "keywords", "category"):
        value = getattr(props, key, None)
        if value:
            meta[key] = str(value)
    if props.created is not None:
        meta["created"] = props.created.date().isoformat()
    return meta


def parse_docx(data: bytes | str | Path, doc_id: str = "document", source: str = "") -> Document:
    """Parse a .docx file (bytes or a path) into a Document; ParseError names a damaged file."""
    docx = _python_docx()
    label = source or (str(data) if not isinstance(data, bytes) else doc_id)
    try:
        document = docx.Document(io.BytesIO(data) if isinstance(data, bytes) else str(data))
    except Exception as exc:  # python-docx raises zipfile, KeyError and lxml errors alike
        raise ParseError(
            f"{label} is not a readable .docx file ({exc}); expected Word 2007+"
        ) from exc
    stream = _stream(document, docx)
    if not any(isinstance(s, Block) or s.title for s in stream):
        raise EmptyDocumentError(f"{label}: the .docx holds no text; expected a document with text")
    metadata = _core_metadata(document)
    title = metadata.get("title") or next(
        (h.title for h in stream if isinstance(h, HeadingMark)), ""
    )
    root = build_tree(doc_id, stream, root_title=title)
    metadata["format"] = "docx"
    return Document(id=doc_id, source=source or label, root=root, metadata=metadata)
