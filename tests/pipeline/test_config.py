"""Pipeline config validation: unknown stage, bad parameter, wrong type, files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ragkit.errors import ConfigError
from ragkit.pipeline import PipelineConfig, load_config


def test_defaults() -> None:
    cfg = load_config(None)
    assert cfg.fusion.method == "rrf" and cfg.retrieval.depth == 100 and cfg.reranker is None
    assert not cfg.expansion.enabled and cfg.generator.spec == "extractive"


def test_unknown_stage() -> None:
    with pytest.raises(ConfigError, match="unknown key \\(stage or parameter\\) 'summarizer'"):
        load_config({"summarizer": {"model": "x"}})


def test_unknown_parameter_of_a_stage() -> None:
    with pytest.raises(ConfigError, match="unknown key .*'expansion.hops'"):
        load_config({"expansion": {"enabled": True, "hops": 2}})
    with pytest.raises(ConfigError, match=r"fusion.params \['norm'\].*'rrf'.*accepts \['k'\]"):
        load_config({"fusion": {"method": "rrf", "params": {"norm": "zscore"}}})


def test_wrong_types_and_values() -> None:
    with pytest.raises(ConfigError, match="retrieval.depth: .*integer.*got 'deep'"):
        load_config({"retrieval": {"depth": "deep"}})
    with pytest.raises(ConfigError, match="k: .*greater than 0"):
        load_config({"k": 0})
    with pytest.raises(ConfigError, match="retrieval.mode"):
        load_config({"retrieval": {"mode": "splade"}})
    with pytest.raises(ConfigError, match="unknown fusion method 'borda'"):
        load_config({"fusion": {"method": "borda"}})
    with pytest.raises(ConfigError, match="unknown reranker 'colbert'"):
        load_config({"reranker": {"spec": "colbert:x"}})
    with pytest.raises(ConfigError, match="unknown generator 'gpt'"):
        load_config({"generator": {"spec": "gpt"}})
    with pytest.raises(ConfigError, match="expansion.discount"):
        load_config({"expansion": {"discount": 1.5}})


def test_yaml_and_json_files(tmp_path: Path) -> None:
    yml = tmp_path / "pipe.yaml"
    yml.write_text(
        "k: 5\nfusion:\n  method: convex\n  weights: [0.3, 0.7]\n  params: {norm: zscore}\n"
        "reranker:\n  spec: cross-encoder:./models/scifact\n  depth: 30\n"
    )
    cfg = load_config(yml)
    assert cfg.k == 5 and cfg.fusion.weights == [0.3, 0.7]
    assert cfg.reranker is not None and cfg.reranker.depth == 30
    js = tmp_path / "pipe.json"
    js.write_text(json.dumps({"expansion": {"enabled": True}}))
    assert load_config(js).expansion.enabled
    assert isinstance(load_config(cfg), PipelineConfig)
    bad = tmp_path / "bad.yaml"
    bad.write_text("k: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid"):
        load_config(bad)
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.yaml")
    listing = tmp_path / "list.json"
    listing.write_text("[1, 2]")
    with pytest.raises(ConfigError, match="must hold a mapping"):
        load_config(listing)


def test_index_query_int8_never_flips_a_shared_embedder(tmp_path: Path) -> None:
    """A pipeline does not change the embedder of an index it was handed (the caller may
    share it); asking for int8 queries over a float-query index is a clear error instead."""
    from ragkit.indexes import BM25Index, DenseIndex, Embedder, HybridIndex
    from ragkit.pipeline import HybridPipeline

    embedder = Embedder(cache=False)
    index = HybridIndex(BM25Index(), DenseIndex(embedder))
    HybridPipeline.from_index(index, {"routing": {"enabled": False}})
    with pytest.raises(ConfigError, match="query_int8"):
        HybridPipeline.from_index(index, {"index": {"query_int8": True}})
    assert embedder.query_int8 is False
    int8 = HybridIndex(BM25Index(), DenseIndex(Embedder(cache=False, query_int8=True)))
    HybridPipeline.from_index(int8, {"index": {"query_int8": True}, "routing": {"enabled": False}})


def test_index_backend_builds_with_it_and_loads_only_interchangeable_vectors(
    tmp_path: Path,
) -> None:
    """`index.backend` picks the encoder a built pipeline uses; loading, it may swap torch for
    ONNX float32 (the same vectors) but never float for int8, and a given index is not
    changed behind its caller's back."""
    from ragkit.indexes import HybridIndex
    from ragkit.pipeline import HybridPipeline, load_index
    from tests.pipeline.conftest import CHUNKS

    off = {"routing": {"enabled": False}}
    built = HybridPipeline.build(CHUNKS, {"index": {"backend": "torch"}, **off})
    dense = built.retrievers["dense"]
    assert dense.embedder.backend == "torch"
    hits, _ = built.retrieve("revolving credit facility borrowings")
    assert hits and hits[0].chunk.id == "liq"

    folder = tmp_path / "idx"
    HybridIndex.build(CHUNKS, model=dense.embedder).save(folder)
    as_onnx = load_index(folder, {"index": {"backend": "onnx", "query_int8": True}})
    assert as_onnx.dense.embedder.backend == "onnx" and as_onnx.dense.embedder.query_int8
    assert as_onnx.dense.embedder.model_name == dense.embedder.model_name
    assert load_index(folder).dense.embedder.backend == "torch"
    with pytest.raises(ConfigError, match="holds torch vectors"):
        load_index(folder, {"index": {"backend": "onnx-int8"}})
    with pytest.raises(ConfigError, match="encodes with 'torch'"):
        HybridPipeline.from_index(load_index(folder), {"index": {"backend": "onnx"}, **off})
    pipe = HybridPipeline.from_config({"index": {"path": str(folder), "backend": "onnx"}, **off})
    assert pipe.retrievers["dense"].embedder.backend == "onnx"
    with pytest.raises(ConfigError, match="index.backend"):
        load_config({"index": {"backend": "int4"}})


def test_sections_map_one_to_one_onto_stages() -> None:
    from ragkit.pipeline import stage_dicts

    cfg = load_config(
        {
            "retrieval": {"depth": 30},
            "fusion": {"method": "convex", "weights": {"dense": 0.7}},
            "expansion": {"enabled": True, "top": 3},
            "reranker": {"spec": "none", "depth": 20, "blend": 0.5},
        }
    )
    stages = stage_dicts(cfg, ["bm25", "dense"], routing=True)
    assert [s["stage"] for s in stages] == ["retrieve", "fuse", "route", "expand", "rerank"]
    assert stages[0]["retrievers"] == ["bm25", "dense"] and stages[0]["depth"] == 30
    assert stages[0]["routing"]["statement_boost"] == 1.0
    assert stages[1]["weights"] == {"dense": 0.7} and stages[3]["top"] == 3
    assert stages[4] == {"stage": "rerank", "spec": "none", "depth": 20, "blend": 0.5,
                         "query": "residual", "keep_routing": True, "params": {}}  # fmt: skip
    # one retriever: nothing to fuse; no routing: no route stage, no routing parameters
    single = stage_dicts(load_config({"retrieval": {"mode": "bm25"}}), ["bm25", "dense"], False)
    assert [s["stage"] for s in single] == ["retrieve"] and single[0]["retrievers"] == ["bm25"]
    assert "routing" not in single[0]


def test_retrievers_by_name_and_the_old_mode_are_exclusive() -> None:
    cfg = load_config({"retrieval": {"retrievers": ["bm25", "tfidf"]}})
    assert cfg.retrieval.names(["bm25", "dense"]) == ["bm25", "tfidf"]
    with pytest.raises(ConfigError, match="not both"):
        load_config({"retrieval": {"retrievers": ["bm25"], "mode": "dense"}})
    with pytest.raises(ConfigError, match="empty"):
        load_config({"retrieval": {"retrievers": []}})
