"""Fuzzing the parsers (HTML, paged text, Markdown): any input gives a Document or a
`RagkitError`, within the deadline, and no visible word of a generated document is lost.

The CI profile (tests/reliability/conftest.py) runs a few dozen examples per test;
`HYPOTHESIS_PROFILE=soak pytest -m soak tests/reliability` runs thousands. The seed corpus
(`SEEDS`) holds what broke or could break parsers: deep nesting, huge tables, entity
expansion and XXE attempts, odd encodings, truncated markup.
"""

from __future__ import annotations

import html as html_lib
import time

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ragkit.errors import RagkitError
from ragkit.parsers import parse_edgar_html, parse_markdown, parse_text_pages
from ragkit.parsers.decode import declared_charset, decode_bytes
from ragkit.types import Document

#: Distinct visible words: letters only, never a page number, roman numeral or stop phrase.
WORDS = st.text(alphabet="bcdfghjklmnpqrstvwz", min_size=3, max_size=8).map(lambda w: "qz" + w)

XXE = (
    '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">'
    '<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
    "<html><body><p>Revenue &xxe; &c; grew</p></body></html>"
)
SEEDS: list[bytes] = [
    ("<table><tr><td>" * 300 + "deep cell" + "</td></tr></table>" * 300).encode(),
    ("<div>" * 3000 + "deep div" + "</div>" * 3000).encode(),
    ("<div>" * 100_000 + "too deep" + "</div>" * 100_000).encode(),
    (
        "<table>"
        + "".join(f"<tr><td>Row {i}</td><td>{i},000</td></tr>" for i in range(20_000))
        + "</table>"
    ).encode(),
    XXE.encode(),
    b"<html><head><meta charset=utf-16></head><body><p>wrong charset</p></body></html>",
    "<html><body><p>caf\u00e9 \u20ac5</p></body></html>".encode("utf-16"),
    "<p>Soci\u00e9t\u00e9 \u00a9</p>".encode("cp1252"),
    b"<html><body><p>\xff\xfe\x00\x00 stray bytes \x80\x81</p>",
    b"<div style='display:none'>" + b"hidden " * 50_000,
    b"<p>" + b"<" * 200_000 + b"</p><p>after the brackets</p>",
    b"<html><body><table><tr><td>unclosed <b>bold <i>italic",
    b"\x00\x01\x02binary\x00",
    b"",
    b"   \n\t ",
]


def _visible(doc: Document) -> str:
    """Every text a reader could see: titles, blocks, table rows, captions, footnotes."""
    parts: list[str] = []
    for section in doc.root.walk():
        parts.append(section.title)
        for block in section.blocks:
            parts += [block.text, block.caption, *block.footnotes]
            parts += [cell for row in block.rows for cell in row]
    return " ".join(parts)


def _parse_or_typed(fn: object, data: object) -> Document | None:
    t0 = time.perf_counter()
    try:
        doc = fn(data)  # type: ignore[operator]
    except RagkitError:
        doc = None
    assert time.perf_counter() - t0 < 20.0
    return doc


@pytest.mark.parametrize("data", SEEDS, ids=range(len(SEEDS)))
def test_seed_corpus(data: bytes) -> None:
    doc = _parse_or_typed(parse_edgar_html, data)
    if doc is not None and b"deep cell" in data:
        assert "deep cell" in _visible(doc)
    if doc is not None and data == XXE.encode():
        assert "root:" not in doc.text and "aaaaaaaaaa" * 5 not in doc.text  # nothing expanded
    text, _ = decode_bytes(data, declared_charset(data))
    _parse_or_typed(parse_text_pages, text)
    _parse_or_typed(parse_markdown, text)


# -- HTML built from a small grammar: the visible words are known ---------------------------

_TAGS = ["div", "p", "span", "b", "i", "u", "h1", "h2", "h3", "li", "em", "strong", "a", "font"]


@st.composite
def html_tree(draw: st.DrawFn, depth: int = 0) -> tuple[str, list[str]]:
    """(markup, visible words) of a random element tree with hidden parts mixed in."""
    kind = draw(
        st.sampled_from(["text", "el", "el", "table", "hidden", "br"] if depth < 6 else ["text"])
    )
    if kind == "text":
        words = draw(st.lists(WORDS, min_size=1, max_size=4))
        return " ".join(words), words
    if kind == "br":
        return "<br>", []
    if kind == "hidden":
        secret = draw(WORDS)
        wrap = draw(st.sampled_from(["<script>{}</script>", "<div style='display:none'>{}</div>",
                                     "<style>{}</style>"]))  # fmt: skip
        return wrap.format(secret.upper() + "hidden"), []
    if kind == "table":
        rows = draw(st.lists(st.lists(html_tree(depth + 2), min_size=1, max_size=3), max_size=3))
        cells = "".join("<tr>" + "".join(f"<td>{m}</td>" for m, _ in row) + "</tr>" for row in rows)
        return f"<table>{cells}</table>", [w for row in rows for _, ws in row for w in ws]
    tag = draw(st.sampled_from(_TAGS))
    style = draw(st.sampled_from(["", " style='font-weight:bold'", " style='font-size:18pt'"]))
    kids = draw(st.lists(html_tree(depth + 1), min_size=1, max_size=3))
    return f"<{tag}{style}>" + "".join(m for m, _ in kids) + f"</{tag}>", [
        w for _, ws in kids for w in ws
    ]


@given(html_tree())
@example(("<div>" * 1500 + "<p>qzdeep</p>" + "</div>" * 1500, ["qzdeep"]))
@example(("<table><tr><td>" * 200 + "qzcell" + "</td></tr></table>" * 200, ["qzcell"]))
@settings(suppress_health_check=[HealthCheck.too_slow])
def test_html_keeps_every_visible_word(tree: tuple[str, list[str]]) -> None:
    markup, words = tree
    doc = _parse_or_typed(parse_edgar_html, f"<html><body>{markup}</body></html>")
    if doc is None:
        assert not words  # only a document with no visible text may be refused
        return
    seen = _visible(doc)
    missing = [w for w in words if w not in seen]
    assert not missing, (missing, markup[:300])
    assert "hidden" not in seen.lower() or "hidden" in markup.lower().replace("hidden</", "")


@given(st.binary(max_size=3000))
def test_html_on_arbitrary_bytes(data: bytes) -> None:
    _parse_or_typed(parse_edgar_html, data)


@given(st.text(max_size=2000))
def test_html_on_arbitrary_text(text: str) -> None:
    _parse_or_typed(parse_edgar_html, "<html><body>" + html_lib.escape(text) + "</body></html>")
    _parse_or_typed(parse_edgar_html, "<p>" + text)


# -- paged text and Markdown ----------------------------------------------------------------


def _line_tag(k: int) -> str:
    """A word unique to line k ("qzx" + k in consonants): lines repeated on many pages are
    running headers, which the parsers drop by design; tagged lines never repeat."""
    digits = "bcdfghjklm"
    return "qzx" + "".join(digits[int(d)] for d in str(k))


@st.composite
def paged_text(draw: st.DrawFn) -> tuple[str, list[str]]:
    pages = draw(st.lists(st.lists(st.lists(WORDS, min_size=1, max_size=8), max_size=12),
                          min_size=1, max_size=6))  # fmt: skip
    lines = iter(range(10_000))
    pages = [[[*line, _line_tag(next(lines))] for line in page] for page in pages]
    words = [w for page in pages for line in page for w in line]
    text = "\f".join("\n".join(" ".join(line) for line in page) for page in pages)
    return text, words


@given(paged_text())
def test_paged_text_keeps_every_word(case: tuple[str, list[str]]) -> None:
    text, words = case
    doc = _parse_or_typed(parse_text_pages, text)
    if doc is None:
        assert not words
        return
    seen = _visible(doc)
    assert not [w for w in words if w not in seen]


@given(st.text(max_size=3000))
@example("\f" * 10_000)
@example("PART I\nItem 1. Business\n" * 2000)
def test_paged_text_on_arbitrary_text(text: str) -> None:
    _parse_or_typed(parse_text_pages, text)


_MD_LINE = st.one_of(
    WORDS.map(lambda w: f"# {w}"),
    WORDS.map(lambda w: f"### {w}"),
    WORDS.map(lambda w: f"- {w}"),
    WORDS.map(lambda w: f"1. {w}"),
    st.lists(WORDS, min_size=1, max_size=6).map(" ".join),
    st.lists(WORDS, min_size=2, max_size=3).map(lambda ws: "| " + " | ".join(ws) + " |"),
    st.just("|---|---|"),
    st.just(""),
    st.just("```"),
    st.just("> quoted"),
)


@given(st.lists(_MD_LINE, min_size=1, max_size=40))
def test_markdown_keeps_every_word(lines: list[str]) -> None:
    text = "\n".join(lines)
    words = [w for w in text.replace("|", " ").split() if w.startswith("qz")]
    doc = _parse_or_typed(parse_markdown, text)
    if doc is None:
        assert not words
        return
    seen = _visible(doc)
    assert not [w for w in words if w not in seen], text


@given(st.text(max_size=3000))
@example("#" * 10_000)
@example("|" * 10_000 + "\n|---|\n")
@example("```\n" * 5000)
@example("---\ntitle: x\n---\n" + "a: &a [1]\n" * 10)
def test_markdown_on_arbitrary_text(text: str) -> None:
    _parse_or_typed(parse_markdown, text)


@pytest.mark.soak
@given(st.binary(min_size=1, max_size=50_000))
@settings(max_examples=2000, deadline=None)
def test_soak_html_on_large_arbitrary_bytes(data: bytes) -> None:
    _parse_or_typed(parse_edgar_html, data)


# -- PDF (pypdfium2): damaged and truncated files are typed errors --------------------------


@given(st.lists(st.lists(st.lists(WORDS, min_size=2, max_size=6).map(" ".join), min_size=1,
                         max_size=5), min_size=1, max_size=3),
       st.integers(min_value=0, max_value=2000), st.binary(max_size=64))  # fmt: skip
def test_pdf_pages_keep_words_and_damage_is_typed(
    pages: list[list[str]], cut: int, junk: bytes
) -> None:
    pytest.importorskip("pypdfium2", reason="the pdf extra (pypdfium2) is not installed")
    from ragkit.parsers.pdf import parse_pdf
    from tests.parsers.pdf_samples import make_pdf

    tags = iter(range(10_000))
    pages = [[f"{line} {_line_tag(next(tags))}" for line in page] for page in pages]
    data = make_pdf(pages)
    doc = _parse_or_typed(parse_pdf, data)
    if doc is not None:  # too few letters per page is a typed refusal (a scanned PDF)
        seen = _visible(doc)
        assert not [w for line in sum(pages, []) for w in line.split() if w not in seen]
    damaged = data[: len(data) - cut] + junk
    _parse_or_typed(parse_pdf, damaged)
