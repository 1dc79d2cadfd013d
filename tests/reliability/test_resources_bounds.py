"""Resource bounds: alias bombs and bad configs fail fast and typed, the agent's plain renderer
is linear, views honour the size limit."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ragkit.agentic.tools import Tools
from ragkit.agentic.views import _render_plain, _strip_hidden, render_bytes
from ragkit.errors import ConfigError, DocumentTooLargeError
from ragkit.pipeline.config import _short, load_config

BOMB = """a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
retrieval:
  depth: *i
"""


def test_yaml_alias_bomb_fails_fast_and_typed(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB, encoding="utf-8")
    assert len(BOMB) < 800
    t0 = time.perf_counter()
    with pytest.raises(ConfigError, match="alias"):
        load_config(path)
    assert time.perf_counter() - t0 < 1.0


def test_error_messages_never_repr_a_huge_value() -> None:
    import yaml

    shared: list[object] = ["lol"] * 9
    for _ in range(9):  # 9**10 leaves reachable, 10 distinct lists: a parsed alias bomb
        shared = [shared] * 9
    t0 = time.perf_counter()
    with pytest.raises(ConfigError) as info:
        load_config({"retrieval": {"depth": shared}})
    assert time.perf_counter() - t0 < 2.0
    assert len(str(info.value)) < 400
    assert len(_short("x" * 10_000_000)) < 100
    assert yaml.safe_load("a: 1") == {"a": 1}  # plain YAML still loads


def test_non_utf8_and_oversized_config_files_are_config_errors(tmp_path: Path) -> None:
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("fusion:\n  method: rrf  # r\u00e9sum\u00e9\n".encode("latin-1"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(latin)
    big = tmp_path / "big.yaml"
    big.write_text("# padding\n" * 200_000, encoding="utf-8")
    with pytest.raises(ConfigError, match="bytes"):
        load_config(big)
    deep = tmp_path / "deep.yaml"
    deep.write_text("fusion: " + "[" * 50_000 + "]" * 50_000 + "\n", encoding="utf-8")
    with pytest.raises(ConfigError):
        load_config(deep)
    good = tmp_path / "good.yaml"
    good.write_text("fusion:\n  method: rrf\nretrieval:\n  depth: 50\n", encoding="utf-8")
    assert load_config(good).retrieval.depth == 50


def test_unclosed_display_none_is_stripped_in_linear_time() -> None:
    unclosed = '<div style="display:none">' + "hidden text " * 29_000  # ~351 KB, never closed
    t0 = time.perf_counter()
    out = _strip_hidden(unclosed)
    assert time.perf_counter() - t0 < 0.5
    assert out == unclosed  # unclosed: nothing to strip (as before), but found in linear time
    many = '<div style="display: none">x' * 20_000 + "</div>visible"
    t0 = time.perf_counter()
    assert _strip_hidden(many).strip().endswith("visible")
    lt = "<" * 400_000 + "<div style=display:none>secret</div>shown"
    assert _strip_hidden(lt).endswith(" shown") and "secret" not in _strip_hidden(lt)
    assert time.perf_counter() - t0 < 2.0


def test_plain_renderer_is_linear_on_large_text() -> None:
    line = "Operating lease expense was $212 million in fiscal 2024 across 14 sites.\n"
    data = (line * 140_000).encode()  # ~10 MB, no form feed (the old check was per line)
    t0 = time.perf_counter()
    lines, sections, runs, _ = _render_plain(data, "big.txt")
    assert time.perf_counter() - t0 < 5.0
    assert len(lines) == 140_000 and len(sections) == 1 and runs == []
    html = ("<p>" + line + "</p><<" + "<td>cell</td>") * 20_000
    t0 = time.perf_counter()
    lines, _, _, _ = _render_plain(html.encode(), "big.htm")
    assert time.perf_counter() - t0 < 5.0
    assert sum("Operating lease" in ln for ln in lines) == 20_000


def test_html_the_parser_refuses_falls_back_to_plain_text() -> None:
    deep = "<html><body>" + "<div>" * 5_000 + "Revenue grew 12%." + "</div>" * 5_000
    lines, sections, _, _ = render_bytes(deep.encode(), "deep.htm")  # ParseError: too deep
    assert lines == ["Revenue grew 12%."] and len(sections) == 1


def test_views_honour_the_size_limit(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    root.mkdir()
    body = "Operating lease expense was $212 million.\n" * 30_000  # ~1.3 MB
    (root / "big.txt").write_text(body, encoding="utf-8")
    (root / "small.txt").write_text("Revenue grew 12%.\n", encoding="utf-8")
    tools = Tools(root, view_cache=tmp_path / "v", max_file_bytes=1_000_000)
    t0 = time.perf_counter()
    with pytest.raises(DocumentTooLargeError):
        tools.read("big.txt")
    result = tools.grep("lease|Revenue")
    assert result.n_matches == 1 and any("big.txt" in s for s in result.skipped)
    assert time.perf_counter() - t0 < 2.0
    assert Tools(root, view_cache=tmp_path / "w").grep("lease").matches[0].file == "big.txt"
