"""Encoder backends (torch float32, ONNX float32, ONNX int8): vector agreement, cache keys,
the manifest guard against mixed backends, export caching and the missing-onnxruntime error."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from ragkit.errors import ConfigError, DependencyError, IndexFormatError
from ragkit.indexes import DenseIndex, Embedder, EmbeddingCache, HybridIndex, onnx_encoder
from ragkit.models import packaged_model_path
from ragkit.settings import data_dir
from tests.indexes.conftest import make_chunks, scifact_docs

pytest.importorskip("onnxruntime", reason="the onnx extra is not installed")

#: Share of the float32 top-10 that the int8 top-10 must keep, per query (mean).
TOP10_OVERLAP = 0.8


@pytest.fixture(scope="module")
def onnx_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A private cache folder holding both ONNX files: exported once into the user's cache
    (reused by later sessions), copied here."""
    for backend in onnx_encoder.ONNX_BACKENDS:
        onnx_encoder.onnx_model_file(packaged_model_path(), backend)
    root = tmp_path_factory.mktemp("onnx-cache")
    old = os.environ.get("RAGKIT_CACHE")
    os.environ["RAGKIT_CACHE"] = str(root)
    for backend in onnx_encoder.ONNX_BACKENDS:
        onnx_encoder.onnx_model_file(packaged_model_path(), backend)
    yield root
    if old is None:
        os.environ.pop("RAGKIT_CACHE", None)
    else:
        os.environ["RAGKIT_CACHE"] = old


@pytest.fixture(scope="module")
def encoders(onnx_cache: Path) -> dict[str, Embedder]:
    """One cache-less embedder per backend."""
    return {b: Embedder(backend=b, cache=False) for b in onnx_encoder.BACKENDS}


def _passages() -> list[str]:
    return [c.search_text for c in make_chunks()]


def test_onnx_float32_matches_torch(encoders: dict[str, Embedder]) -> None:
    texts = _passages()[:12]
    torch_vecs = encoders["torch"].encode_passages(texts)
    onnx_vecs = encoders["onnx"].encode_passages(texts)
    # so close that the two share cached vectors (one cache key)
    assert np.abs(torch_vecs - onnx_vecs).max() < 1e-5
    assert encoders["torch"].model_id == encoders["onnx"].model_id


def test_int8_vectors_close_to_float32(encoders: dict[str, Embedder]) -> None:
    texts = _passages()
    f32 = encoders["onnx"].encode_passages(texts)
    i8 = encoders["onnx-int8"].encode_passages(texts)
    cosine = np.sum(f32 * i8, axis=1)
    # the int8 kernel is the CPU's: worst 0.9946 (mean 0.996) with AVX-512 VNNI, worst 0.9893
    # (mean ~0.993) on the CI machine; 7-bit weights (reduce_range) measure 0.954 here
    assert cosine.min() >= 0.985, cosine.min()
    assert cosine.mean() >= 0.99, cosine.mean()
    assert np.allclose(np.linalg.norm(i8, axis=1), 1.0, atol=1e-4)
    assert encoders["onnx-int8"].model_id != encoders["onnx"].model_id


def test_int8_vector_does_not_depend_on_batch(encoders: dict[str, Embedder]) -> None:
    texts = _passages()
    emb = encoders["onnx-int8"]
    together = emb.encode_raw(texts)
    alone = np.stack([emb.encode_raw([t])[0] for t in texts[:5]])
    assert np.array_equal(together[:5], alone)
    query = emb.encode_queries(["How many employees did Acme have?"])
    assert np.array_equal(query[0], emb.encode_raw(["How many employees did Acme have?"])[0])


def test_int8_keeps_float32_top10(encoders: dict[str, Embedder]) -> None:
    folder = data_dir() / "beir" / "scifact"
    if not (folder / "corpus.jsonl").is_file():
        pytest.skip(f"SciFact not found under {folder}")
    docs = [text for _, text in scifact_docs(folder, 80)]
    queries = [
        "Vitamin D supplementation reduces the risk of fractures in older adults.",
        "Obesity is associated with insulin resistance.",
        "Tumour suppressor genes are silenced by DNA methylation in cancer cells.",
        "Antibiotic resistance spreads between bacteria by horizontal gene transfer.",
        "Regular exercise lowers blood pressure.",
        "Smoking increases the risk of lung cancer.",
    ]
    top: dict[str, np.ndarray] = {}
    for backend in ("onnx", "onnx-int8"):
        emb = encoders[backend]
        scores = emb.encode_queries(queries) @ emb.encode_raw(docs).T
        top[backend] = np.argsort(-scores, axis=1)[:, :10]
    overlap = [
        len(set(a) & set(b)) / 10 for a, b in zip(top["onnx"], top["onnx-int8"], strict=True)
    ]
    assert float(np.mean(overlap)) >= TOP10_OVERLAP, overlap


def test_cache_never_serves_int8_as_float32(onnx_cache: Path, tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path / "emb.sqlite")
    texts = _passages()[:6]
    int8 = Embedder(backend="onnx-int8", cache=cache)
    int8.encode_passages(texts)
    assert int8.last_stats.computed == 6
    float32 = Embedder(backend="onnx", cache=cache)
    float32.encode_passages(texts)
    assert (float32.last_stats.reused, float32.last_stats.computed) == (0, 6)
    again = Embedder(backend="onnx-int8", cache=cache)
    again.encode_passages(texts)
    assert (again.last_stats.reused, again.last_stats.computed) == (6, 0)


def test_manifest_guards_against_mixed_backends(onnx_cache: Path, tmp_path: Path) -> None:
    chunks = make_chunks()
    index = HybridIndex.build(chunks, backend="onnx-int8", index_type="flat")
    assert index.dense.embedder.backend == "onnx-int8"
    path = index.save(tmp_path / "int8.idx")
    with pytest.raises(IndexFormatError, match="onnx-int8"):
        HybridIndex.load(path, embedder=Embedder(backend="torch", cache=False))
    loaded = HybridIndex.load(path)  # the manifest's backend
    assert loaded.dense.embedder.backend == "onnx-int8"
    hit = loaded.search_one("How many full-time employees did Acme employ?", 3, mode="dense")
    assert hit[0].chunk is not None and "12,407" in hit[0].chunk.text

    dense = DenseIndex(Embedder(backend="onnx", cache=False), index_type="flat")
    dense.add(chunks)
    folder = dense.save(tmp_path / "f32.idx")
    shared = DenseIndex.load(folder, embedder=Embedder(backend="torch", cache=False))
    assert shared.embedder.backend == "torch"  # float32 vectors: torch and onnx interchange
    with pytest.raises(IndexFormatError, match="backend"):
        DenseIndex.load(folder, embedder=Embedder(backend="onnx-int8", cache=False))
    with pytest.raises(ConfigError, match="backend"):
        DenseIndex(Embedder(backend="torch", cache=False), backend="onnx-int8")


def test_manifest_guards_against_another_int8_recipe(
    onnx_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """int8 vectors of one quantisation recipe are never searched with another's queries."""
    dense = DenseIndex(Embedder(backend="onnx-int8", cache=False), index_type="flat")
    dense.add(make_chunks())
    folder = dense.save(tmp_path / "int8.idx")
    assert DenseIndex.load(folder).embedder.backend == "onnx-int8"
    monkeypatch.setattr("ragkit.indexes.dense.RECIPE", "r-next")
    with pytest.raises(IndexFormatError, match=f"recipe {onnx_encoder.RECIPE}"):
        DenseIndex.load(folder)


def test_export_is_cached(onnx_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_export(*args: object) -> None:
        raise AssertionError("exported again")

    model = packaged_model_path()
    files = {b: onnx_encoder.onnx_model_file(model, b) for b in onnx_encoder.ONNX_BACKENDS}
    stamps = {b: f.stat().st_mtime_ns for b, f in files.items()}
    monkeypatch.setattr(onnx_encoder, "_export_float", no_export)
    monkeypatch.setattr(onnx_encoder, "_quantize", no_export)
    for backend, file in files.items():
        assert onnx_encoder.onnx_model_file(model, backend) == file
        assert file.stat().st_mtime_ns == stamps[backend]
    assert Embedder(backend="onnx-int8", cache=False).encode_queries(["revenue"]).shape == (1, 384)
    # int8 weights in two thirds of the MatMuls; the word-embedding table stays float32
    assert files["onnx-int8"].stat().st_size < files["onnx"].stat().st_size * 0.85


def test_missing_onnxruntime_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import onnxruntime -> ImportError
    with pytest.raises(DependencyError, match=r"ragkit\[onnx\]"):
        Embedder(backend="onnx-int8", cache=False).encode_queries(["net income"])
    assert Embedder(cache=False).backend == "torch"  # the default falls back


def test_unknown_backend_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="onnx-int8"):
        Embedder(backend="int4")


def test_reuse_counts_are_logged(
    onnx_cache: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cache = EmbeddingCache(tmp_path / "emb.sqlite")
    texts = _passages()
    Embedder(backend="onnx-int8", cache=cache).encode_passages(texts[:5])
    emb = Embedder(backend="onnx-int8", cache=cache)
    with caplog.at_level(logging.INFO, logger="ragkit.indexes.embeddings"):
        emb.encode_passages(texts)
    assert emb.last_stats.reused == 5
    assert emb.last_stats.computed == len(set(texts)) - 5
    assert f"5 reused from the cache, {len(set(texts)) - 5} to compute" in caplog.text


def test_cli_index_backend_recorded(
    onnx_cache: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ragkit.cli import main

    filing = Path(__file__).resolve().parents[2] / "examples" / "filings" / "acme-10k-fy2024.htm"
    out = tmp_path / "acme.idx"
    assert main(["index", str(filing), "--out", str(out), "--backend", "onnx-int8"]) == 0
    assert HybridIndex.load(out).dense.embedder.backend == "onnx-int8"
    capsys.readouterr()
    assert main(["search", str(out), "remaining lease terms", "-k", "2", "--json"]) == 0
    assert "acme" in capsys.readouterr().out.lower()


def test_both_pooling_config_forms_mean_mean_pooling() -> None:
    """sentence-transformers 6 saves ``pooling_mode: "mean"``; older versions the flag form."""
    from ragkit.indexes.onnx_export import _mean_pooling

    assert _mean_pooling({"pooling_mode": "mean"})
    assert _mean_pooling({"pooling_mode_mean_tokens": True, "pooling_mode_cls_token": False})
    assert not _mean_pooling({"pooling_mode": "cls"})
    assert not _mean_pooling({"pooling_mode_cls_token": True})


def test_outlier_split_changes_nothing_in_float32(onnx_cache: Path, tmp_path: Path) -> None:
    """The int8 recipe's rewrite (outlier channels through a float32 side product) is exact
    before quantisation, and MiniLM has such channels to split."""
    import onnxruntime as ort

    from ragkit.indexes.onnx_export import split_outlier_channels

    model = Path(packaged_model_path())
    float_file = onnx_encoder.onnx_model_file(model, "onnx")
    split = tmp_path / "split.onnx"
    kept = split_outlier_channels(float_file, split, model / "tokenizer.json")
    assert kept and all(name.endswith("/outliers") for name in kept)
    encoder = onnx_encoder.OnnxEncoder(model, "onnx", threads=1)
    ids = np.asarray([encoder.tokenizer.encode(_passages()[0]).ids], dtype=np.int64)
    feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": 0 * ids}
    before, after = (
        ort.InferenceSession(str(f), providers=["CPUExecutionProvider"]).run(None, feeds)[0]
        for f in (float_file, split)
    )
    assert np.abs(before - after).max() < 1e-5


def test_worker_threads_do_not_change_vectors(onnx_cache: Path) -> None:
    """Passages run one per call on N worker threads: the vectors are those of one thread."""
    texts = _passages()
    model = packaged_model_path()
    one = onnx_encoder.OnnxEncoder(model, "onnx-int8", threads=1).encode(texts)
    three = onnx_encoder.OnnxEncoder(model, "onnx-int8", threads=3).encode(texts)
    assert np.array_equal(one, three)


def _tiny_model(kind: str, folder: Path) -> Path:
    """A two-layer, randomly initialised sentence-transformers folder of an architecture
    without segment ids (MPNet, as all-mpnet-base-v2; DistilBERT), with MiniLM's tokenizer:
    built offline, small enough to export in a second."""
    import json
    import shutil

    import torch
    from transformers import DistilBertConfig, DistilBertModel, MPNetConfig, MPNetModel

    torch.manual_seed(0)
    model = (
        MPNetModel(MPNetConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                               intermediate_size=64, max_position_embeddings=130))
        if kind == "mpnet"
        else DistilBertModel(DistilBertConfig(dim=32, n_layers=2, n_heads=2, hidden_dim=64,
                                              max_position_embeddings=128))
    )  # fmt: skip
    model.save_pretrained(folder)
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"):
        shutil.copyfile(Path(packaged_model_path()) / name, folder / name)
    (folder / "1_Pooling").mkdir()
    (folder / "1_Pooling" / "config.json").write_text(
        json.dumps({"word_embedding_dimension": 32, "pooling_mode_mean_tokens": True})
    )
    (folder / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 64}))
    modules = [
        {"idx": i, "name": str(i), "path": path, "type": f"sentence_transformers.models.{module}"}
        for i, (path, module) in enumerate([("", "Transformer"), ("1_Pooling", "Pooling")])
    ]
    (folder / "modules.json").write_text(json.dumps(modules))
    return folder


@pytest.mark.parametrize("kind", ["mpnet", "distilbert"])
def test_a_model_without_segment_ids_runs_on_the_onnx_backends(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A user's MPNet or DistilBERT folder (no token_type_ids input, DistilBERT's width under
    another config key) gets the default ONNX backends, with torch's vectors."""
    monkeypatch.setenv("RAGKIT_CACHE", str(tmp_path / "cache"))
    folder = _tiny_model(kind, tmp_path / kind)
    texts = _passages()[:8]
    vectors = {
        b: Embedder(model=str(folder), backend=b, cache=False).encode_passages(texts)
        for b in onnx_encoder.BACKENDS
    }
    assert vectors["torch"].shape == (8, 32)
    assert np.abs(vectors["torch"] - vectors["onnx"]).max() < 1e-5
    cosine = (vectors["onnx"] * vectors["onnx-int8"]).sum(axis=1)
    assert cosine.min() > 0.95
    assert Embedder(model=str(folder), cache=False).backend == "onnx-int8"  # the CPU default


def test_a_model_that_does_not_mean_pool_defaults_to_torch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ONNX recipe covers mean pooling only: a [CLS]-pooling folder (as BGE's) gets torch
    by default, and a typed error when ONNX is asked for by name."""
    import json

    monkeypatch.setenv("RAGKIT_CACHE", str(tmp_path / "cache"))
    folder = _tiny_model("distilbert", tmp_path / "cls")
    (folder / "1_Pooling" / "config.json").write_text(
        json.dumps({"word_embedding_dimension": 32, "pooling_mode": "cls"})
    )
    default = Embedder(model=str(folder), cache=False)
    assert default.backend == "torch"
    assert default.encode_passages(_passages()[:2]).shape == (2, 32)
    with pytest.raises(ConfigError, match="mean-pooling models only"):
        Embedder(model=str(folder), backend="onnx", cache=False).encode_passages(["a"])
