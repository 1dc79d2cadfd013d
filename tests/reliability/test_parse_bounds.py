"""Parsing stays linear and typed on hostile HTML: nested tables, deep nesting, wrong charsets,
deep outlines and file names that are not UTF-8."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from ragkit.errors import ParseError
from ragkit.parsers import load_document, parse_edgar_html, parse_markdown
from ragkit.parsers.html_blocks import table_rows
from ragkit.parsers.tree import MAX_DEPTH
from ragkit.types import stable_id
from tests.synthetic import FACTS_10K, synthetic_10k_html


def _nested_tables(n: int) -> str:
    return "<html><body>" + "<table><tr><td>" * n + "cell" + "</td></tr></table>" * n


@pytest.mark.parametrize("n", [20, 200])
def test_nested_tables_parse_in_linear_time(n: int) -> None:
    t0 = time.perf_counter()
    doc = parse_edgar_html(_nested_tables(n))
    elapsed = time.perf_counter() - t0
    assert doc.text == "cell"
    assert elapsed < 1.0, f"{n} nested tables took {elapsed:.2f} s"


def test_nested_table_time_grows_linearly() -> None:
    def timed(n: int) -> float:
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            parse_edgar_html(_nested_tables(n))
            best = min(best, time.perf_counter() - t0)
        return best

    small, large = timed(50), timed(400)
    # 8x the depth: linear is ~8x; the old walk doubled per level (2**350x)
    assert large < 40 * small + 0.05, (small, large)


def test_rows_of_a_nested_table_are_not_rows_of_the_outer_one() -> None:
    html = (
        "<html><body><table><tbody><tr><td>Revenue</td><td>"
        "<table><tr><td>Product</td><td>1,200</td></tr><tr><td>Service</td><td>300</td></tr>"
        "</table></td><td>1,500</td></tr><tr><td>Costs</td><td>900</td><td>800</td></tr>"
        "</tbody></table></body></html>"
    )
    from lxml import html as lxml_html

    table = lxml_html.document_fromstring(html).find(".//table")
    rows = table_rows(table)
    assert len(rows) == 2  # the outer table's own rows, not the two nested ones
    doc = parse_edgar_html(html)
    tables = [b for s in doc.root.walk() for b in s.blocks if b.kind == "table"]
    assert len(tables) == 1
    assert tables[0].rows[0] == ("Revenue", "Product 1,200 Service 300", "1,500")
    assert tables[0].rows[1] == ("Costs", "900", "800")


@pytest.mark.parametrize("n", [1_000, 2_000])
def test_deep_divs_keep_their_text(n: int) -> None:
    html = (
        "<html><body><p>Revenue grew 5% in fiscal 2024.</p>"
        + "<div>" * n
        + "<b>Deep</b> text at the bottom"
        + "</div>" * n
        + "<p>Costs fell.</p></body></html>"
    )
    doc = parse_edgar_html(html)
    assert doc.text.split("\n\n") == [
        "Revenue grew 5% in fiscal 2024.",
        "Deep text at the bottom",
        "Costs fell.",
    ]


@pytest.mark.parametrize("n", [5_000, 100_000])
def test_nesting_past_the_parser_limit_is_a_typed_error(n: int) -> None:
    """lxml silently drops everything past 2,048 levels: that is refused, not lost quietly."""
    html = "<html><body><p>before</p>" + "<div>" * n + "deep" + "</div>" * n + "<p>after</p>"
    t0 = time.perf_counter()
    with pytest.raises(ParseError, match="nested too deeply"):
        parse_edgar_html(html)
    assert time.perf_counter() - t0 < 5.0


def test_deep_tables_in_a_real_filing_layout_keep_the_filing_intact() -> None:
    html = synthetic_10k_html()
    body = html.index("<body")
    body = html.index(">", body) + 1
    wrapped = html[:body] + "<div>" * 300 + html[body:]
    doc = parse_edgar_html(wrapped, doc_id="deep")
    plain = parse_edgar_html(html, doc_id="deep")
    assert FACTS_10K["cash_phrase"] in doc.text
    assert [(s.id, s.path) for s in doc.sections()] == [(s.id, s.path) for s in plain.sections()]
    assert doc.text == plain.text


def test_declared_utf16_on_ascii_text_decodes_as_utf8(tmp_path: Path) -> None:
    path = tmp_path / "wrong-charset.htm"
    path.write_bytes(
        b"<html><head><meta charset=utf-16></head><body>"
        b"<p>Net revenue grew 12% to $4,318 million in fiscal 2024.</p></body></html>"
    )
    doc = load_document(path)
    assert doc.text == "Net revenue grew 12% to $4,318 million in fiscal 2024."
    assert doc.metadata["encoding"] == "utf-8"


def test_ascii_incompatible_declaration_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "ebcdic-claim.htm"
    path.write_bytes(b"<html><head><meta charset=cp500></head><body><p>Revenue grew</p>")
    doc = load_document(path)
    assert doc.text == "Revenue grew"


def test_a_deep_markdown_outline_is_capped_not_a_recursion_error() -> None:
    # HTML headings nest by prominence; Markdown stops at 6 levels, so build the stream directly
    from ragkit.parsers.tree import HeadingMark, build_tree
    from ragkit.types import Block

    stream: list[HeadingMark | Block] = []
    for i in range(3_000):
        stream.append(HeadingMark("heading", f"Level {i}", None, (-float(i),), i))
        stream.append(Block("paragraph", f"Text of level {i}."))
    root = build_tree("deep", stream)
    sections = list(root.walk())
    assert len(sections) == 3_001
    assert max(s.level for s in sections) == MAX_DEPTH
    assert "Text of level 2999." in root.text()
    assert parse_markdown("# A\n\ntext\n\n## B\n\nmore").root.children[0].children[0].title == "B"


def test_non_utf8_file_name_gets_an_id_and_parses(tmp_path: Path) -> None:
    raw = os.fsencode(tmp_path) + b"/r\xe9sum\xe9-10k.txt"
    with open(raw, "wb") as fh:
        fh.write(b"ITEM 7. MANAGEMENT'S DISCUSSION\n\nRevenue grew 12% in fiscal 2024.\n")
    path = Path(os.fsdecode(raw))
    doc = load_document(path)
    assert "Revenue grew 12%" in doc.text
    assert len(stable_id(doc.id, path.name)) == 16
    assert stable_id("a", "b") == stable_id("a", "b") != stable_id("a", "c")
