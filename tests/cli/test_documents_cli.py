"""`ragkit outline` and `ragkit chunk` through `ragkit.cli.main`, parsing their JSON output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ragkit.cli import main
from tests.synthetic import FACTS_10K, write_synthetic_corpus


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_synthetic_corpus(tmp_path_factory.mktemp("cli"))


def _walk(node: dict) -> list[dict]:
    return [node] + [n for c in node["children"] for n in _walk(c)]


def test_outline_json(corpus: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["outline", str(corpus["10k"]), "--json"]) == 0
    tree = json.loads(capsys.readouterr().out)
    assert tree["metadata"]["ticker"] == FACTS_10K["ticker"]
    assert tree["metadata"]["form_type"] == "10-K"
    nodes = _walk(tree)
    assert {"title", "path", "id", "children"} <= set(nodes[1])
    items = [n for n in nodes if n.get("kind") == "item"]
    assert {n["number"] for n in items} >= {"1", "1A", "7", "7A", "8", "9A"}
    note12 = [n for n in nodes if n.get("kind") == "note" and n["number"] == "12"][0]
    assert note12["path"][-1].startswith("Note 12") and len(note12["path"]) == 3


def test_outline_pages_and_text(
    corpus: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["outline", str(corpus["text"]), "--json"]) == 0
    nodes = _walk(json.loads(capsys.readouterr().out))
    assert any("page_start" in n for n in nodes[1:])
    assert main(["outline", str(corpus["10k"])]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith("acme-10k-fy2024")
    part2 = next(i for i, line in enumerate(lines) if line.strip().startswith("PART II"))
    assert lines[part2 + 1].startswith("    ")  # items indented under their part


def test_chunk_jsonl(corpus: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chunk", str(corpus["10k"]), str(corpus["10q"]), "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {r["doc_id"] for r in rows} == {"acme-10k-fy2024", "acme-10q-2024q2"}
    keys = {
        "id",
        "doc_id",
        "text",
        "section_path",
        "kind",
        "page_start",
        "page_end",
        "links",
        "metadata",
    }
    assert all(keys <= set(r) for r in rows)
    assert {r["kind"] for r in rows} >= {"prose", "table"}
    see = [r for r in rows if FACTS_10K["see_note_sentence"] in r["text"]][0]
    assert see["links"] and see["section_path"][0] == "PART II"
    assert see["metadata"]["ticker"] == "ACME"
    assert len({r["id"] for r in rows}) == len(rows)


def test_chunk_naive_and_max_tokens(
    corpus: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["chunk", str(corpus["10k"]), "--chunker", "naive", "--max-tokens", "128", "--json"])
        == 0
    )
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert rows and all(r["section_path"] == [] and r["n_tokens"] <= 128 for r in rows)
    assert main(["chunk", str(corpus["markdown"])]) == 0
    out = capsys.readouterr().out
    assert "--- Widget Operations Guide" in out and "M8 | 42 | 3" in out


def test_chunk_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chunk", str(tmp_path / "missing.htm")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ragkit: error:") and len(err.strip().splitlines()) == 1
    assert main(["chunk", str(tmp_path), "--max-tokens", "4"]) == 2
    assert "max_tokens" in capsys.readouterr().err


def test_help_text() -> None:
    from ragkit.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name in ("outline", "chunk"):
        assert sub.choices[name].description  # type: ignore[index]
