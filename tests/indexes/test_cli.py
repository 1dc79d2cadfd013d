"""`ragkit index` and `ragkit search` end to end on synthetic filings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ragkit.cli import main
from ragkit.cli.indexing import parse_filters
from ragkit.errors import QueryError


def test_parse_filters() -> None:
    assert parse_filters(["ticker=KO", "fiscal_year=2023,2024", "section=Part II > Item 8"]) == {
        "ticker": "KO",
        "fiscal_year": ["2023", "2024"],
        "section": "Part II > Item 8",
    }
    with pytest.raises(QueryError, match="KEY=VALUE"):
        parse_filters(["ticker"])


@pytest.mark.slow
def test_index_then_search(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.synthetic import FACTS_10Q, synthetic_10q_html, synthetic_text_pages

    monkeypatch.setenv("RAGKIT_CACHE", str(tmp_path / "cache"))
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "acme-10q-2024q2.htm").write_text(synthetic_10q_html(), encoding="utf-8")
    (docs / "orbital-10k-2023.txt").write_text(synthetic_text_pages(), encoding="utf-8")
    out = tmp_path / "idx"
    assert main(["index", str(docs), "--out", str(out), "--max-tokens", "200"]) == 0
    err = capsys.readouterr().err
    assert "indexed" in err and (out / "manifest.json").exists()

    assert (
        main(
            [
                "search",
                str(out),
                "revenue by segment",
                "-k",
                "3",
                "--mode",
                "bm25",
                "--filter",
                "form_type=10-Q",
                "--json",
            ]
        )
        == 0
    )
    row = json.loads(capsys.readouterr().out)
    assert row["query"] == "revenue by segment" and 0 < len(row["hits"]) <= 3
    assert all(h["doc_id"].startswith("acme-10q") for h in row["hits"])
    assert row["hits"][0]["rank"] == 1 and row["hits"][0]["section_path"]

    assert (
        main(
            [
                "search",
                str(out),
                "revenue",
                "-k",
                "2",
                "--filter",
                f"ticker={FACTS_10Q.get('ticker', 'ACME')}",
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert text.startswith("query: revenue  (hybrid") and "  1. " in text

    assert main(["search", str(out), "revenue", "--filter", "colour=red"]) == 2
    assert "unknown filter key" in capsys.readouterr().err
    assert main(["search", str(tmp_path / "docs"), "revenue"]) == 2
    assert "not a ragkit index" in capsys.readouterr().err
