"""The bench's adapted systems adapt to the dataset's own documents once, cache the models
by corpus hash + settings, and search with them."""

from __future__ import annotations

from pathlib import Path

import pytest

from ragkit.adapt import MANIFEST, read_manifest
from ragkit.types import Chunk


def test_adapted_systems_build_from_the_corpus_and_are_cached(
    beir_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ragkit.bench.datasets import load_beir
    from ragkit.bench.systems import BenchEnv, build_systems

    (beir_dir / "qrels").mkdir()
    (beir_dir / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\n")
    monkeypatch.setenv("RAGKIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("RAGKIT_ADAPT_BUDGET_MINUTES", "2")
    monkeypatch.setenv("RAGKIT_ADAPT_THREADS", "1")
    env = BenchEnv(load_beir(beir_dir), backend="torch", progress=False)
    names = {"dense-adapted", "hybrid-adapted-rerank", "hybrid-routed-adapted-rerank"}
    systems, skipped = build_systems(",".join(sorted(names)), env)
    assert not skipped and set(systems) == names
    folders = list((tmp_path / "cache" / "adapted").iterdir())
    assert len(folders) == 1  # one adaptation serves every system
    manifest = read_manifest(folders[0] / "encoder")
    assert manifest is not None and manifest["pairs"]["title"] == 4
    assert manifest["corpus"]["documents"] == 4
    assert (folders[0] / "reranker" / MANIFEST).is_file()
    dense = systems["dense-adapted"].retriever.search(["statins and heart attacks"], 2)
    assert dense[0][0].chunk_id == "d1"
    reranked = systems["hybrid-adapted-rerank"].retriever
    assert len(reranked.search(["statins and heart attacks"], 2)[0]) == 2
    assert "rerank" in [s.stage for s in reranked.last_traces[0].stages]
    routed = systems["hybrid-routed-adapted-rerank"]
    assert routed.info["adapted_model"] == str(folders[0] / "encoder")
    assert len(routed.retriever.search(["statins and heart attacks"], 2)[0]) == 2
    stages = [s.name for s in routed.retriever.pipeline.stages]
    assert stages.index("routing") < stages.index("rerank")
    assert "routing" not in [s.name for s in reranked.pipeline.stages]
    stamp = (folders[0] / "encoder" / MANIFEST).stat().st_mtime_ns
    again, _ = build_systems("hybrid-adapted", BenchEnv(env.dataset, backend="torch"))
    assert (folders[0] / "encoder" / MANIFEST).stat().st_mtime_ns == stamp  # reused
    assert again["hybrid-adapted"].info["adapted_model"] == str(folders[0] / "encoder")


def test_adapted_systems_adapt_with_the_benchs_metadata_file(
    beir_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file that names documents for routing names them for the queries' context too;
    what adaptation was asked is seen through a stalled run, which the bench reports skipped."""
    import ragkit.adapt.cached as cached
    from ragkit.adapt import AdaptConfig
    from ragkit.bench.datasets import load_beir
    from ragkit.bench.systems import BenchEnv, build_systems
    from ragkit.errors import TrainingStalledError

    (beir_dir / "qrels").mkdir(exist_ok=True)
    (beir_dir / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\n")
    info = tmp_path / "docs.jsonl"
    info.write_text('{"doc_name": "d1", "company": "Statin Research Group"}\n', encoding="utf-8")
    monkeypatch.setenv("RAGKIT_CACHE", str(tmp_path / "cache"))
    asked: list[AdaptConfig] = []

    def stalled(chunks: object, out: object, config: AdaptConfig, **kwargs: object) -> None:
        asked.append(config)
        raise TrainingStalledError("stalled")

    monkeypatch.setattr(cached, "adapt", stalled)
    env = BenchEnv(load_beir(beir_dir), backend="torch", progress=False, metadata_file=info)
    systems, skipped = build_systems("dense-adapted", env)
    assert not systems and "dense-adapted" in skipped
    assert [c.metadata_file for c in asked] == [str(info)]


def test_the_cache_key_follows_the_metadata_files_content(
    filing_chunks: list[Chunk], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A document-information file edited in place names documents differently, so the models
    adapted with it are another cache entry (the path alone would serve the old ones)."""
    from ragkit.adapt import AdaptConfig
    from ragkit.adapt.cached import adapted_folder

    monkeypatch.setenv("RAGKIT_CACHE", str(tmp_path / "cache"))
    meta = tmp_path / "docs.jsonl"
    meta.write_text('{"doc_name": "acme-10k", "company": "Acme"}\n')
    config = AdaptConfig(metadata_file=str(meta))
    first = adapted_folder(filing_chunks, config)
    assert adapted_folder(filing_chunks, config) == first
    meta.write_text('{"doc_name": "acme-10k", "company": "Acme Holdings"}\n')
    assert adapted_folder(filing_chunks, config) != first
    assert adapted_folder(filing_chunks, AdaptConfig()) != first
