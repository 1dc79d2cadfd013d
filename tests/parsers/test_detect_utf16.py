"""A UTF-16 HTML file (with its byte-order mark) is detected and parsed as HTML, not as text
holding its own markup."""

from __future__ import annotations

import pytest

from ragkit.parsers.detect import detect_format
from ragkit.parsers.loader import parse_bytes

HTML = (
    "<html><body><h1>Item 7. Management's Discussion</h1><p>Revenue rose 12% to $4.2 billion."
    "</p><h2>Liquidity</h2><p>Cash and equivalents were $1.1 billion.</p></body></html>"
)


@pytest.mark.parametrize("bom, codec", [(b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")])
def test_utf16_html_keeps_its_headings(bom: bytes, codec: str) -> None:
    data = bom + HTML.encode(codec)
    assert detect_format(data[:4096], "report.htm") in ("html", "edgar-html")
    doc = parse_bytes(data, "report.htm", "report")
    titles = [s.title for s in doc.root.walk()]
    assert "Item 7. Management's Discussion" in titles and "Liquidity" in titles
    text = " ".join(b.text for s in doc.root.walk() for b in s.blocks)
    assert "$1.1 billion" in text and "<p>" not in text


def test_utf16_plain_text_stays_text() -> None:
    data = b"\xff\xfe" + "Revenue rose 12% in fiscal 2024.\nCash was $1.1 billion.\n".encode(
        "utf-16-le"
    )
    assert detect_format(data, "notes.txt") == "text"
