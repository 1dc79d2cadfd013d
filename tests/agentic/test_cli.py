"""`ragkit agent DIR "question"`: text and JSON output, clean errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ragkit.cli import main
from tests.synthetic import FACTS_10K, write_synthetic_corpus


@pytest.fixture()
def corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RAGKIT_CACHE", str(tmp_path / "cache"))
    write_synthetic_corpus(tmp_path / "corpus")
    return tmp_path / "corpus"


def test_json_output(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["agent", str(corpus), "What are Acme's remaining lease terms?", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) >= {"evidence", "trace"}
    first = data["evidence"][0]
    assert set(first) >= {"text", "file", "section_path", "page_start"}
    assert any(str(FACTS_10K["lease_phrase"]) in e["text"] for e in data["evidence"])
    assert data["trace"]["steps"] == len(data["trace"]["calls"]) > 0
    assert data["trace"]["tokens_read"] > 0


def test_text_output_and_errors(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["agent", str(corpus), "beryllium supplier", "-k", "2"]) == 0
    out = capsys.readouterr().out
    assert "[1] " in out and "trace:" in out and "tokens read" in out
    assert main(["agent", str(corpus / "nope"), "x"]) == 2
    assert "corpus root" in capsys.readouterr().err
    assert main(["agent", str(corpus), "x", "--policy", "llm"]) == 2
    assert "--model" in capsys.readouterr().err


@pytest.mark.slow
def test_index_gives_the_agent_a_search_tool(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "idx"
    assert main(["index", str(corpus), "--out", str(out)]) == 0
    capsys.readouterr()
    question = "What are Acme's remaining lease terms?"
    assert main(["agent", str(corpus), question, "--index", str(out), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    tools = [c["tool"] for c in data["trace"]["calls"]]
    assert tools[:2] == ["glob", "search"]
    assert any(str(FACTS_10K["lease_phrase"]) in e["text"] for e in data["evidence"])
