"""The system registry: names, unknown names, skipping, custom systems, the corpus chunks."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from ragkit.bench.datasets import load_beir
from ragkit.bench.runner import SystemSpec
from ragkit.bench.systems import (
    SYSTEMS,
    BenchEnv,
    build_systems,
    chunks_key,
    corpus_chunks,
    get_factory,
    known_systems,
    parse_names,
    register_system,
)
from ragkit.errors import ConfigError
from ragkit.fusion import FUSION_METHODS


def test_registry_has_every_issue_system() -> None:
    names = set(known_systems())
    expected = {
        "bm25",
        "dense",
        "hybrid",
        "hybrid-dynamic",
        "hybrid-rerank",
        "hybrid-refs",
        "naive-hybrid",
        "naive-hybrid-routed",
        "hybrid-routed",
        "hybrid-routed-adapted-rerank",
        "bm25-routed",
        "agentic",
        "agentic-unrouted",
        "agentic-llm",
    }
    assert expected <= names
    assert {f"hybrid-{m}" for m in FUSION_METHODS} <= names


def test_unknown_system_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError) as err:
        parse_names("bm25,hybird")
    message = str(err.value)
    assert "'hybird'" in message
    for name in ("bm25", "hybrid", "agentic", "hybrid-routed"):
        assert name in message
    with pytest.raises(ConfigError, match="no systems"):
        parse_names(" , ")
    assert parse_names("bm25, agentic,bm25") == ["bm25", "agentic"]


def _beir(tmp_path: Path) -> Path:
    root = tmp_path / "mini"
    (root / "qrels").mkdir(parents=True)
    (root / "corpus.jsonl").write_text(
        '{"_id": "d1", "title": "Statins", "text": "Statins lower LDL cholesterol."}\n'
        '{"_id": "d2", "title": "", "text": "Aspirin reduces platelet aggregation."}\n',
        encoding="utf-8",
    )
    (root / "queries.jsonl").write_text(
        '{"_id": "q1", "text": "do statins lower cholesterol"}\n', encoding="utf-8"
    )
    (root / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\n")
    return root


def test_beir_corpus_is_one_chunk_per_document(tmp_path: Path) -> None:
    chunks, info = corpus_chunks(load_beir(_beir(tmp_path)))
    assert [(c.id, c.doc_id) for c in chunks] == [("d1", "d1"), ("d2", "d2")]
    assert chunks[0].text == "Statins\nStatins lower LDL cholesterol."
    assert chunks[1].text == "Aspirin reduces platelet aggregation."
    assert info["n_chunks"] == 2
    assert chunks_key(chunks, model="a") != chunks_key(chunks, model="b")
    assert chunks_key(chunks, model="a") != chunks_key(chunks[:1], model="a")
    # metadata is part of the key: a cached index must not serve stale statement labels
    relabelled = [replace(chunks[0], metadata={"statement": "balance_sheet"}), chunks[1]]
    assert chunks_key(relabelled, model="a") != chunks_key(chunks, model="a")


def test_skipped_systems_say_what_they_need(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RAGKIT_BENCH_LLM", raising=False)
    env = BenchEnv(load_beir(_beir(tmp_path)), progress=False)
    systems, skipped = build_systems("hybrid-rerank,agentic-llm,agentic", env)
    assert systems == {}
    assert "--reranker" in skipped["hybrid-rerank"]
    assert "--llm" in skipped["agentic-llm"]
    assert "BEIR" in skipped["agentic"]


def test_bm25_system_runs_and_new_systems_can_register(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RAGKIT_CACHE", str(tmp_path / "cache"))
    env = BenchEnv(load_beir(_beir(tmp_path)), progress=False)
    spec = get_factory("bm25")(env)
    hits = spec.retriever.search(["statins cholesterol"], 2)[0]
    assert hits[0].chunk_id == "d1"
    assert [s.stage for s in spec.retriever.last_traces[0].stages] == ["bm25"]
    assert spec.info["cached"] is False and spec.info["index_bytes"] > 0
    again = get_factory("bm25")(BenchEnv(env.dataset, progress=False))
    assert again.info["cached"] is True
    assert again.info["index_build_s"] == spec.info["index_build_s"]

    def first_doc(e: BenchEnv) -> SystemSpec:
        return SystemSpec(get_factory("bm25")(e).retriever, e.chunk_map(), {"custom": True})

    register_system("test-custom", first_doc, "a custom system")
    try:
        systems, _ = build_systems(["test-custom"], env)
        assert systems["test-custom"].info == {"custom": True}
    finally:
        SYSTEMS.pop("test-custom")
