"""Format detection: PDF and Word by their magic bytes, Markdown by its extension (a `.md` file
with inline HTML is still Markdown), then by content: EDGAR/HTML, form-feed paged text,
Markdown, plain text, binary."""

from __future__ import annotations

import re
from typing import Literal

Format = Literal["edgar-html", "html", "text", "markdown", "pdf", "docx", "binary"]

_HTML = re.compile(rb"<\s*(?:!doctype\s+html|html|body|div|p|table|head)\b", re.I)
_EDGAR = re.compile(
    rb"ix:header|xbrl|securities\s+and\s+exchange\s+commission|form\s+10-[kq]|<sec-document", re.I
)
_MD_HEADING = re.compile(r"^#{1,6}\s+\S", re.M)
_MD_TABLE = re.compile(r"^\s*\|.*\|\s*$\n^\s*\|?\s*:?-{3,}", re.M)
_MD_SUFFIXES = (".md", ".markdown", ".mdown")


def looks_binary(sample: bytes) -> bool:
    """True when the sample holds NUL bytes or is mostly non-text control characters."""
    if not sample:
        return False
    if b"\x00" in sample:
        # UTF-16 text has NULs too, but starts with a BOM
        return not sample.startswith((b"\xff\xfe", b"\xfe\xff"))
    control = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13))
    return control / len(sample) > 0.05


def _utf8_view(sample: bytes) -> bytes:
    """The sample as UTF-8 when it is UTF-16 with a byte-order mark, so that the byte patterns
    below see its markup (a UTF-16 HTML file would otherwise pass for plain text)."""
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return sample.decode("utf-16", errors="replace").encode("utf-8")
    return sample


def detect_format(sample: bytes, name: str = "") -> Format:
    """Guess the format of a document from its first bytes and its name.

    The name decides only for Markdown (`.md`, `.markdown`, `.mdown`) and Word (`.docx`, a zip
    archive); PDFs are known by their `%PDF-` header whatever the name.
    """
    lower = name.lower()
    if sample.lstrip()[:5] == b"%PDF-":
        return "pdf"
    if lower.endswith(".docx") and sample[:2] == b"PK":
        return "docx"
    if looks_binary(sample):
        return "binary"
    if lower.endswith(_MD_SUFFIXES):
        return "markdown"
    sample = _utf8_view(sample)
    head = sample[:65536]
    if _HTML.search(head[:8192]) or head.lstrip()[:1] == b"<" and _HTML.search(head):
        return "edgar-html" if _EDGAR.search(head) else "html"
    if b"\f" in sample:
        return "text"
    text = head.decode("utf-8", errors="replace")
    if _MD_TABLE.search(text) or len(_MD_HEADING.findall(text)) >= 2:
        return "markdown"
    return "text"
