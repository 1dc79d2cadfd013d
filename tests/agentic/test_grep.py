"""grep: ripgrep and the pure-Python engine agree; options, bounds, errors and timeouts."""

from __future__ import annotations

from pathlib import Path

import pytest

from ragkit.agentic.grep import find_rg, grep_python, grep_rg
from ragkit.agentic.tools import Tools
from ragkit.errors import QueryError, ToolTimeoutError

needs_rg = pytest.mark.skipif(find_rg() is None, reason="ripgrep binary not installed")

LINES_A = [
    "Item 7. Management's Discussion and Analysis",
    "Net revenues rose to $ 97,690 million; see Note 12.",
    "Operating lease expense was $212 million.",
    "The LEASE portfolio is concentrated in Denver.",
    "Leaseholds and leased assets are amortized.",
    "Note 12 - Leases",
    "Maturities of operating lease liabilities | 2025 | $ 61",
    "Beryllium from Tromsø; café supplies; naïve forecasts.",
]
LINES_B = ["nothing relevant here", "lease", "still nothing", "lease again", "end"]


@pytest.fixture()
def files(tmp_path: Path) -> list[Path]:
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("\n".join(LINES_A) + "\n", encoding="utf-8")
    b.write_text("\n".join(LINES_B) + "\n", encoding="utf-8")
    return [a, b]


CASES = [
    ("lease", {}),
    ("lease", {"ignore_case": False}),
    ("lease", {"word": True}),
    ("LEASE", {"ignore_case": False}),
    (r"\$\s?\d[\d,]+", {}),
    (r"Note\s+12\b", {"context": 1}),
    ("lease", {"context": 2}),
    ("lease", {"context": 1, "max_count": 2}),
    ("tromsø|café", {}),
    ("^Item", {}),
    (r"million\.$", {}),
]


@needs_rg
@pytest.mark.parametrize(("pattern", "options"), CASES)
def test_ripgrep_and_python_engines_agree(files: list[Path], pattern: str, options: dict) -> None:
    got_rg = grep_rg(pattern, files, **options)
    got_py = grep_python(pattern, files, **options)
    assert got_rg == got_py
    assert any(g.is_match for g in got_rg)


def test_case_word_and_context_behaviour(files: list[Path]) -> None:
    insensitive = [g.line for g in grep_python("lease", files[:1]) if g.is_match]
    sensitive = [g.line for g in grep_python("lease", files[:1], ignore_case=False)]
    words = [g.line for g in grep_python("lease", files[:1], word=True)]
    assert insensitive == [3, 4, 5, 6, 7]
    assert sensitive == [3, 5, 7]
    assert words == [3, 4, 7]  # "Leaseholds", "leased", "Leases" are not the word
    ctx = grep_python(r"Note\s+12 -", files[:1], context=1)
    assert [(g.line, g.is_match) for g in ctx] == [(5, False), (6, True), (7, False)]


def test_invalid_pattern_is_a_query_error(files: list[Path]) -> None:
    with pytest.raises(QueryError, match="invalid regular expression"):
        grep_python("lease(", files)
    if find_rg():
        with pytest.raises(QueryError):
            grep_rg("lease(", files)
    with pytest.raises(QueryError):
        grep_python("", files)


def test_pathological_pattern_times_out_in_python(tmp_path: Path) -> None:
    path = tmp_path / "evil.txt"
    path.write_text("a" * 40 + "!\n", encoding="utf-8")
    with pytest.raises(ToolTimeoutError, match="ran past"):
        grep_python(r"(a|aa)+$", [path], timeout_s=0.3)


@needs_rg
def test_ripgrep_timeout_is_a_tool_timeout(files: list[Path]) -> None:
    with pytest.raises(ToolTimeoutError):
        grep_rg("lease", files, timeout_s=0.000001)


@needs_rg
def test_tools_output_is_identical_across_engines(text_corpus: Path, tmp_path: Path) -> None:
    rg = Tools(text_corpus, engine="rg", view_cache=tmp_path / "c1")
    py = Tools(text_corpus, engine="python", view_cache=tmp_path / "c2")
    for pattern in ("beryllium", r"Note\s+12", "lease"):
        a, b = rg.grep(pattern, context=1), py.grep(pattern, context=1)
        assert a.text == b.text
        assert [(m.file, m.line) for m in a.matches] == [(m.file, m.line) for m in b.matches]


def test_grep_output_is_bounded_and_says_so(text_corpus: Path, tmp_path: Path) -> None:
    tools = Tools(text_corpus, view_cache=tmp_path / "c")
    res = tools.grep("e", context=0, max_matches=3)
    assert res.n_matches == 3 and res.truncated
    assert "[output truncated at 3 matches" in res.text
    long_line = "x" * 5000 + " needle " + "y" * 5000
    (text_corpus / "long.txt").write_text(long_line + "\n", encoding="utf-8")
    res = tools.grep("needle", glob="long.txt", max_line_chars=200)
    assert "needle" in res.text and len(res.text) < 400


def test_new_file_is_searchable_at_once(text_corpus: Path, tmp_path: Path) -> None:
    tools = Tools(text_corpus, view_cache=tmp_path / "c")
    assert tools.grep("zirconium").n_matches == 0
    (text_corpus / "late.txt").write_text("Zirconium supply was secured.\n", encoding="utf-8")
    res = tools.grep("zirconium")
    assert res.n_matches == 1 and res.matches[0].file == "late.txt"
