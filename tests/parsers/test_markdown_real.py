"""Markdown as real documentation writes it: inline HTML, heading attributes, front matter."""

from __future__ import annotations

from pathlib import Path

import pytest

from ragkit.errors import ParseError
from ragkit.parsers import load_document, parse_markdown
from ragkit.parsers.detect import detect_format

PAGE = """---
title: Routing
description: How requests reach your handlers.
tags: [routing, http]
version: 2.3
updated: 2024-05-01
---

<div align="center">
  <img src="/img/logo.png" alt="logo" width="120">
</div>

# Routing { #routing }

<p class="lead">Routes map a URL path to a handler function.</p>

## Path parameters {#path-params .important}

Declare a parameter with braces: `/items/{item_id}` passes `item_id` to the handler.

<details>
<summary>Converters</summary>

Use `{item_id:int}` to convert the value to an integer.

</details>

## Query parameters

Parameters not in the path are read from the query string.

<!-- a comment
spanning lines with a # Fake heading -->

### Defaults {: .note}

A parameter with a default value is optional.
"""


def test_md_with_inline_html_is_markdown_by_extension(tmp_path: Path) -> None:
    path = tmp_path / "routing.md"
    path.write_text(PAGE, encoding="utf-8")
    assert detect_format(PAGE.encode(), "routing.md") == "markdown"
    doc = load_document(path)
    assert doc.metadata["format"] == "markdown"
    paths = [s.path for s in doc.sections()]
    assert paths == [
        ("Routing",),
        ("Routing", "Path parameters"),
        ("Routing", "Query parameters"),
        ("Routing", "Query parameters", "Defaults"),
    ]
    path_params = next(s for s in doc.sections() if s.title == "Path parameters")
    text = path_params.text()
    assert "Converters" in text and "{item_id:int}" in text
    assert "<summary>" not in text and "<details>" not in text
    routing = next(s for s in doc.sections() if s.title == "Routing")
    assert routing.blocks[0].text == "Routes map a URL path to a handler function."
    assert "Fake heading" not in doc.text


def test_front_matter_becomes_metadata() -> None:
    doc = parse_markdown(PAGE, doc_id="routing", source="routing.md")
    meta = doc.metadata
    assert meta["title"] == "Routing" and meta["tags"] == ["routing", "http"]
    assert meta["version"] == 2.3 and meta["updated"] == "2024-05-01"
    assert doc.root.title == "Routing"
    assert "description:" not in doc.text


def test_same_html_without_md_suffix_is_still_sniffed_as_html() -> None:
    html = b"<div><p>Hello</p></div>"
    assert detect_format(html, "page.html") == "html"


@pytest.mark.parametrize(
    ("front", "message"),
    [("title: [unclosed\n", "is not valid YAML"), ("- a\n- b\n", "is a list")],
)
def test_bad_front_matter_is_a_parse_error(front: str, message: str) -> None:
    with pytest.raises(ParseError, match=rf"guide\.md: the front matter {message}"):
        parse_markdown(f"---\n{front}---\n# Guide\n\nText.\n", source="guide.md")


def test_front_matter_rejects_python_tags() -> None:
    text = "---\nx: !!python/object/apply:os.system ['echo hi']\n---\n# T\n\nBody text.\n"
    with pytest.raises(ParseError, match="not valid YAML"):
        parse_markdown(text, source="evil.md")
