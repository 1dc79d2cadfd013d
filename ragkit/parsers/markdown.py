"""Markdown (ATX `#` headings, pipe tables, lists, paragraphs) to a `Document`."""

from __future__ import annotations

import re

from ragkit.errors import EmptyDocumentError
from ragkit.parsers.tree import HeadingMark, build_tree
from ragkit.types import Block, Document

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_SETEXT = re.compile(r"^(=+|-+)\s*$")
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_LIST = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+")
_FENCE = re.compile(r"^\s*(```|~~~)")


def _cells(line: str) -> tuple[str, ...]:
    s = line.strip()
    if s.startswith("|"):
        s = s[1:]
    if s.endswith("|"):
        s = s[:-1]
    return tuple(" ".join(c.split()) for c in s.split("|"))


def parse_markdown(text: str, doc_id: str = "document", source: str = "") -> Document:
    """Parse Markdown into a Document: `#` levels nest, pipe tables become table blocks."""
    if not re.search(r"\w", text):
        raise EmptyDocumentError(
            f"{source or doc_id}: the Markdown holds no text ({len(text)} characters); "
            "expected a document with text"
        )
    lines = text.replace("\r\n", "\n").split("\n")
    stream: list[HeadingMark | Block] = []
    para: list[str] = []

    def flush() -> None:
        if para:
            stream.append(Block("paragraph", " ".join(para)))
            para.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        if _FENCE.match(line):
            flush()
            code = [line]
            i += 1
            while i < len(lines) and not _FENCE.match(lines[i]):
                code.append(lines[i])
                i += 1
            code.append(lines[i] if i < len(lines) else "")
            stream.append(Block("paragraph", "\n".join(code).strip()))
            i += 1
            continue
        m = _HEADING.match(line)
        if m and m.group(2):
            flush()
            level = len(m.group(1))
            stream.append(HeadingMark("heading", m.group(2), None, (-level,), level))
            i += 1
            continue
        if (
            line.strip()
            and not para
            and i + 1 < len(lines)
            and _SETEXT.match(lines[i + 1])
            and "|" not in line
        ):
            level = 1 if lines[i + 1].strip().startswith("=") else 2
            stream.append(HeadingMark("heading", line.strip(), None, (-level,), level))
            i += 2
            continue
        if "|" in line and i + 1 < len(lines) and _TABLE_SEP.match(lines[i + 1]):
            flush()
            rows = [_cells(line)]
            i += 2
            while i < len(lines) and "|" in lines[i] and lines[i].strip():
                rows.append(_cells(lines[i]))
                i += 1
            stream.append(Block.table(tuple(rows), header_rows=1))
            continue
        if not line.strip():
            flush()
        elif _LIST.match(line):
            flush()
            stream.append(Block("list_item", " ".join(_LIST.sub("", line, count=1).split())))
        else:
            para.append(line.strip())
        i += 1
    flush()
    title = next((h.title for h in stream if isinstance(h, HeadingMark)), "")
    root = build_tree(doc_id, stream, root_title=title)
    return Document(id=doc_id, source=source, root=root, metadata={"format": "markdown"})
