"""`ragkit index --shards N` then `ragkit search` on the sharded folder: the same hits as the
one-index folder built from the same documents."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ragkit.cli import main
from tests.synthetic import write_synthetic_corpus


def _search(folder: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> list[dict]:
    capsys.readouterr()
    query = "senior notes interest rate"
    assert main(["search", str(folder), query, "-k", "5", "--json", *extra]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_sharded_index_then_search(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RAGKIT_CACHE", str(tmp_path / "cache"))
    docs = tmp_path / "docs"
    write_synthetic_corpus(docs)
    common = ["--index-type", "flat"]  # the packaged MiniLM; the second build hits the cache
    assert main(["index", str(docs), "--out", str(tmp_path / "one"), *common]) == 0
    assert (
        main(["index", str(docs), "--out", str(tmp_path / "many"), "--shards", "3", *common]) == 0
    )
    assert "over 3 shards" in capsys.readouterr().err
    manifest = json.loads((tmp_path / "many" / "manifest.json").read_text("utf-8"))
    assert manifest["type"] == "ShardedIndex"
    for extra in ([], ["--mode", "bm25"], ["--filter", "form_type=10-K"]):
        one = _search(tmp_path / "one", capsys, *extra)
        many = _search(tmp_path / "many", capsys, *extra)
        assert [h["chunk_id"] for h in one[0]["hits"]] == [h["chunk_id"] for h in many[0]["hits"]]
        assert one[0]["hits"], extra
