"""Markdown (ATX `#` headings, pipe tables, lists, paragraphs) to a `Document`.

Written the way real documentation is: YAML front matter (`---` ... `---`) becomes document
metadata (safe loader; bad YAML is a ParseError naming the file), heading attribute suffixes
(`## Title { #anchor }`, `{: .class}`) are dropped from titles, and inline HTML (`<div>`,
`<img>`, `<details>`, comments) is stripped to its text without ending the Markdown.
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any

import yaml

from ragkit.errors import EmptyDocumentError, ParseError
from ragkit.parsers.tree import HeadingMark, build_tree
from ragkit.types import Block, Document

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_SETEXT = re.compile(r"^(=+|-+)\s*$")
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_LIST = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+")
_FENCE = re.compile(r"^\s*(```|~~~)")
_ATTRS = re.compile(r"\s*\{:?\s*[#.][^{}]*\}\s*$")
_FRONT = re.compile(r"\A\ufeff?---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")


def _json_safe(value: Any) -> Any:
    """YAML dates become ISO strings; lists and mappings are converted recursively."""
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def front_matter(text: str, label: str = "document") -> tuple[dict[str, Any], str]:
    """(metadata, body): the YAML front matter of a Markdown text parsed with the safe loader,
    and the text after it. ParseError (naming `label`) when the YAML is bad or not a mapping."""
    m = _FRONT.match(text)
    if not m:
        return {}, text
    try:
        data = yaml.safe_load(m.group(1))
    except yaml.YAMLError as exc:
        raise ParseError(f"{label}: the front matter is not valid YAML ({exc})") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ParseError(
            f"{label}: the front matter is a {type(data).__name__}; expected key: value pairs"
        )
    # keep the line count so nothing else shifts; the body starts after the closing fence
    return _json_safe(data), text[m.end() :]


def _strip_html(line: str) -> str:
    """The line without inline HTML tags (their text stays: `<summary>More</summary>`)."""
    return _TAG.sub(" ", line) if "<" in line else line


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
    meta, text = front_matter(text.replace("\r\n", "\n"), source or doc_id)
    lines = _COMMENT.sub("", text).split("\n")
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
        line = _strip_html(line)
        m = _HEADING.match(line)
        title = _ATTRS.sub("", m.group(2)).strip() if m else ""
        if m and title:
            flush()
            level = len(m.group(1))
            stream.append(HeadingMark("heading", title, None, (-level,), level))
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
            title = _ATTRS.sub("", line).strip()
            stream.append(HeadingMark("heading", title, None, (-level,), level))
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
    title = str(meta.get("title") or "") or next(
        (h.title for h in stream if isinstance(h, HeadingMark)), ""
    )
    root = build_tree(doc_id, stream, root_title=title)
    return Document(id=doc_id, source=source, root=root, metadata={**meta, "format": "markdown"})
