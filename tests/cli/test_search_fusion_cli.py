"""`ragkit search --fusion/--rerank` routes through the HybridPipeline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ragkit.cli import main
from ragkit.indexes import HybridIndex
from ragkit.types import Chunk

TEXTS = [
    "Our leases have remaining terms of 1 to 17 years.",
    "Total revenues were $97,690 million in fiscal 2024.",
    "The 4.125% Senior Notes due 2031 had an outstanding principal of $1,250 million.",
    "A single supplier provides 61% of our beryllium housings.",
]


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chunks = [Chunk(f"c{i}", "acme", t, ("Item 8",), "s8") for i, t in enumerate(TEXTS)]
    folder = tmp_path_factory.mktemp("idx") / "acme.idx"
    HybridIndex.build(chunks, show_progress=False).save(folder)
    return folder


def test_search_with_fusion_method_ranks_the_lease_chunk_first(
    index_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "search",
            str(index_dir),
            "remaining lease terms",
            "--fusion",
            "combmnz",
            "-k",
            "2",
            "--json",
        ]
    )
    assert code == 0
    row = json.loads(capsys.readouterr().out.splitlines()[0])
    assert row["hits"][0]["chunk_id"] == "c0"
    assert "combmnz" in row["hits"][0]["scores"]


def test_search_with_unknown_fusion_method_is_a_clean_error(
    index_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["search", str(index_dir), "lease", "--fusion", "bogus"]) == 2
    assert "unknown fusion method 'bogus'" in capsys.readouterr().err


def test_search_with_int8_query_encoder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`--query-int8` over float32 passages (the default int8 backend has nothing to swap)."""
    chunks = [Chunk(f"c{i}", "acme", t, ("Item 8",), "s8") for i, t in enumerate(TEXTS)]
    folder = HybridIndex.build(chunks, show_progress=False, backend="torch").save(tmp_path / "f")
    query = "Who supplies the beryllium parts?"
    args = ["search", str(folder), query, "--mode", "dense", "-k", "4", "--json"]
    assert main(args) == 0 and main([*args, "--query-int8"]) == 0
    exact, quick = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert exact["hits"][0]["chunk_id"] == quick["hits"][0]["chunk_id"] == "c3"
    assert exact["hits"][0]["score"] != quick["hits"][0]["score"]  # a different encoder ran
