"""`ragkit ask` and `ragkit train-reranker` through the real command line entry point."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ragkit.cli import build_parser, main

pytestmark = pytest.mark.slow


def test_ask_over_a_saved_index_json(
    hybrid_index: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = hybrid_index.save(tmp_path / "acme.idx")
    code = main(
        [
            "ask",
            str(folder),
            "When are the senior notes due?",
            "--json",
            "--fusion",
            "dbsf",
            "--expand",
            "-k",
            "3",
        ]
    )
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert "2029" in out["answer"]["text"]
    assert out["answer"]["citations"][0]["doc_id"] == "acme-10k-2024"
    stages = [s["stage"] for s in out["trace"]["stages"]]
    # two companies in the index: routing is on ("auto"); the question names none
    assert stages == ["route", "bm25", "dense", "fusion", "expansion", "generate"]
    assert out["trace"]["stages"][0]["info"]["mode"] == "none"
    assert out["trace"]["stages"][3]["info"]["method"] == "dbsf"
    assert len(out["hits"]) == 3 and out["hits"][0]["rank"] == 1


def test_ask_over_documents_text_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "acme.md").write_text(
        "# Item 7. Management's Discussion\n\nTotal revenue rose 8% to $4.2 billion in 2024.\n\n"
        "# Item 8. Financial Statements\n\n## Note 12 - Debt\n\nSenior notes of $1.5 billion "
        "are due in 2029 and bear interest at 4.5%.\n"
    )
    assert main(["ask", str(docs), "What interest rate do the senior notes bear?"]) == 0
    out = capsys.readouterr().out
    assert "4.5%" in out and "Sources:" in out and "acme" in out


def test_clean_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", str(tmp_path / "nope"), "q"]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["ask", str(tmp_path), "q", "--fusion", "borda"]) == 2
    assert "unknown fusion method 'borda'" in capsys.readouterr().err
    assert (
        main(
            [
                "train-reranker",
                "--base",
                "x",
                "--out",
                str(tmp_path / "o"),
                "--evidence",
                str(tmp_path / "e.jsonl"),
            ]
        )
        == 2
    )
    assert "--evidence needs --docs" in capsys.readouterr().err


def test_commands_have_help() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name in ("ask", "train-reranker"):
        command = sub.choices[name]  # type: ignore[index]
        assert command.description
        assert all(a.help for a in command._actions if a.dest != "help")
