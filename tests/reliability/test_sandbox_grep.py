"""grep under hostile patterns: bounded by its timeout on both engines, no option injection,
no unbounded compilation; and the corpus rule shared by `ragkit agent` and `ragkit index`."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from ragkit.agentic.grep import find_rg
from ragkit.agentic.tools import Tools
from ragkit.cli import main
from ragkit.errors import ConfigError, DocumentTooLargeError, QueryError, ToolTimeoutError
from ragkit.parsers import load

ENGINES = ["python", *(["rg"] if find_rg() else [])]
HOSTILE_LINE = "a" * 34 + "!" + "MATCHME" + " and the rest of a long line" * 20


@pytest.fixture()
def hostile(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "notes.txt").write_text(
        "Operating lease expense was $212 million.\n\n" + HOSTILE_LINE + "\n", encoding="utf-8"
    )
    return root


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("pattern", ["(a+)+$|MATCHME", "(a|aa)+!b|MATCHME", "(a|a)*!x|MATCHME"])
def test_catastrophic_patterns_end_within_the_timeout(
    hostile: Path, tmp_path: Path, engine: str, pattern: str
) -> None:
    tools = Tools(hostile, engine=engine, timeout_s=2, view_cache=tmp_path / engine)
    tools.view("notes.txt")  # render first: the limit is on the search
    t0 = time.perf_counter()
    try:
        result = tools.grep(pattern)
    except ToolTimeoutError:
        pass
    else:  # ripgrep's automaton has no backtracking: it answers, and the line is clipped
        assert result.n_matches == 1 and "MATCHME" in result.text
    assert time.perf_counter() - t0 < 3.5


def test_patterns_whose_compilation_never_ends_are_refused(hostile: Path, tmp_path: Path) -> None:
    tools = Tools(hostile, view_cache=tmp_path / "v")
    t0 = time.perf_counter()
    for pattern in ["(?:a{10000}){10000}", "((a{100}){100}){100}", "x" * 5000]:
        with pytest.raises(QueryError):
            tools.grep(pattern)
    assert time.perf_counter() - t0 < 2.0
    assert tools.grep(r"\$\d{1,3}(?:,\d{3})*").n_matches == 1  # ordinary counted repeats


@pytest.mark.parametrize("engine", ENGINES)
def test_patterns_starting_with_a_dash_are_patterns(
    tmp_path: Path, engine: str, hostile: Path
) -> None:
    (hostile / "flags.txt").write_text(
        "run it with --pre=sh or --files; -e names a pattern\n", encoding="utf-8"
    )
    tools = Tools(hostile, engine=engine, view_cache=tmp_path / engine)
    for pattern in ["--pre=sh", "--files", "-e"]:
        result = tools.grep(pattern)
        assert result.n_matches == 1 and result.matches[0].file == "flags.txt"
    assert tools.grep("--version").n_matches == 0


def test_too_large_files_are_refused_and_grep_says_so(hostile: Path, tmp_path: Path) -> None:
    with open(hostile / "huge.txt", "wb") as fh:
        fh.truncate(150 * 1024 * 1024)  # sparse: the size is checked before a byte is read
    tools = Tools(hostile, view_cache=tmp_path / "v")
    t0 = time.perf_counter()
    result = tools.grep("lease")
    assert result.n_matches == 1 and "[not searched: huge.txt:" in result.text
    with pytest.raises(DocumentTooLargeError, match="limit"):
        tools.read("huge.txt")
    assert time.perf_counter() - t0 < 2.0


def _symlinked(tmp_path: Path, inside: bool) -> Path:
    data, corpus = tmp_path / "data", tmp_path / "corpus"
    (corpus / "store").mkdir(parents=True)
    data.mkdir()
    target_dir = corpus / "store" if inside else data
    for name in ("acme-10k.txt", "acme-10q.txt"):
        (target_dir / name).write_text(
            "ITEM 7. MANAGEMENT'S DISCUSSION\n\nOperating lease expense was $212 million.\n",
            encoding="utf-8",
        )
        (corpus / name).symlink_to(target_dir / name)
    if inside:
        return corpus
    os.rmdir(corpus / "store")
    return corpus


def test_outside_symlinks_are_refused_by_index_and_agent_alike(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = _symlinked(tmp_path, inside=False)
    with pytest.raises(ConfigError, match="no documents found.*symlink"):
        load(corpus)
    assert main(["agent", str(corpus), "lease expense"]) == 2
    err = capsys.readouterr().err
    assert "no documents found" in err and "outside" in err and "acme-10k.txt" in err


def test_inside_symlinks_are_followed_by_index_and_agent_alike(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = _symlinked(tmp_path, inside=True)
    docs = load(corpus)
    assert sorted(d.metadata["source_name"] for d in docs) == [
        "acme-10k.txt",
        "acme-10k.txt",
        "acme-10q.txt",
        "acme-10q.txt",
    ]
    assert main(["agent", str(corpus), "lease expense", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["evidence"] and isinstance(out["evidence"][0]["section_path"], list)
    assert out["evidence"][0]["section_path"] == ["ITEM 7. MANAGEMENT'S DISCUSSION"]


def test_an_empty_folder_is_an_error_not_a_silent_zero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "empty" / ".hidden").mkdir(parents=True)
    assert main(["agent", str(tmp_path / "empty"), "lease"]) == 2
    assert "no documents found" in capsys.readouterr().err
    with pytest.raises(ConfigError, match="no documents found"):
        load(tmp_path / "empty")
