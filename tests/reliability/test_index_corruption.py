"""Corrupt and foreign index folders: every damage is a typed IndexFormatError naming what is
wrong, never a wrong answer, a raw numpy/FAISS error or a pickle load.

Damages: a flipped byte, a truncated file and a deleted file (each data file of a hybrid
HNSW index), an extra file, a file swapped in from another index, an edited manifest,
`"files": {}`, manifest fields of the wrong type (with the manifest checksum recomputed, so
the field checks themselves are tested), a data path leaving the folder, and an index
searched with another embedding model or dimension.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ragkit.errors import IndexFormatError, IndexStateError
from ragkit.indexes import Embedder, HybridIndex
from ragkit.indexes.store import MANIFEST, _manifest_digest, committed_folder
from ragkit.types import Chunk
from tests.indexes.conftest import make_chunks


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder(cache=False)


@pytest.fixture(scope="module")
def pristine(embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> Path:
    index = HybridIndex.build(make_chunks(), model=embedder, index_type="hnsw")
    return index.save(tmp_path_factory.mktemp("pristine") / "idx")


@pytest.fixture()
def saved(pristine: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "idx"
    shutil.copytree(pristine, folder)
    return folder


def _data_files(folder: Path) -> list[Path]:
    data = committed_folder(folder)
    return sorted(p for p in data.rglob("*") if p.is_file())


def _flip(p: Path) -> None:
    raw = bytearray(p.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    p.write_bytes(bytes(raw))


def _truncate(p: Path) -> None:
    p.write_bytes(p.read_bytes()[: max(0, p.stat().st_size // 2)])


DAMAGES: dict[str, Callable[[Path], None]] = {
    "flip": _flip,
    "truncate": _truncate,
    "delete": Path.unlink,
}


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_every_damaged_data_file_is_named(
    saved: Path, pristine: Path, embedder: Embedder, damage: str
) -> None:
    files = _data_files(pristine)
    assert len(files) >= 8  # chunks, BM25 vocabulary/tokens/statistics, embeddings, FAISS
    for original in files:
        rel = original.relative_to(committed_folder(pristine))
        shutil.rmtree(saved)
        shutil.copytree(pristine, saved)
        DAMAGES[damage](committed_folder(saved) / rel)
        with pytest.raises(IndexFormatError) as info:
            HybridIndex.load(saved, embedder=embedder)
        assert rel.name in str(info.value)


def _rewrite(folder: Path, edit: Callable[[dict[str, Any]], None], reseal: bool) -> None:
    """Edit the manifest; with `reseal`, recompute its checksum as a careful forger would."""
    path = folder / MANIFEST
    manifest = json.loads(path.read_text())
    edit(manifest)
    if reseal:
        manifest["manifest_sha256"] = _manifest_digest(manifest)
    path.write_text(json.dumps(manifest))


def test_an_edited_manifest_is_refused(saved: Path, embedder: Embedder) -> None:
    _rewrite(saved, lambda m: m["params"].update(depth=7), reseal=False)
    with pytest.raises(IndexFormatError, match=r"manifest.json was edited"):
        HybridIndex.load(saved, embedder=embedder)


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(m: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = m
        for key in parents:
            node = node[key]
        node[last] = value

    return edit


BAD_FIELDS: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "files empty": (_set("files", {}), "lists no files"),
    "files a list": (_set("files", ["chunks.jsonl"]), "lists no files"),
    "checksum not hex": (lambda m: m["files"].update({"chunks.jsonl": "abc"}), "not a sha256"),
    "file outside": (
        lambda m: m["files"].update({"../../etc/passwd": "0" * 64}),
        "not a path inside",
    ),
    "data escapes": (_set("data", "../elsewhere"), "data must name"),
    "generation text": (_set("generation", "7"), "generation must be"),
    "depth text": (_set("params.depth", "deep"), "depth"),
    "depth negative": (_set("params.depth", -5), "depth"),
    "components list": (_set("components", []), "malformed"),
    "params null": (_set("params", None), "malformed"),
    "bm25 k1 text": (_set("components.bm25.params.k1", "high"), "malformed|k1"),
    "dim text": (_set("components.dense.params.embedder.dim", "wide"), "malformed"),
    "type number": (_set("type", 5), "holds a 5 index"),
    "format_version bool": (_set("format_version", True), "format_version"),
    "relabelled format 1": (_set("format_version", 1), "generation|edited"),
}


@pytest.mark.parametrize("case", sorted(BAD_FIELDS))
def test_manifest_fields_of_the_wrong_type(saved: Path, embedder: Embedder, case: str) -> None:
    edit, message = BAD_FIELDS[case]
    _rewrite(saved, edit, reseal=case != "relabelled format 1")
    with pytest.raises(IndexFormatError, match=message):
        HybridIndex.load(saved, embedder=embedder)


def test_a_file_swapped_in_from_another_index(
    saved: Path, embedder: Embedder, tmp_path: Path
) -> None:
    chunks = make_chunks()
    other = HybridIndex.build(
        [Chunk(id=c.id, doc_id=c.doc_id, text=c.text.upper(), metadata=c.metadata) for c in chunks],
        model=embedder,
        index_type="hnsw",
    ).save(tmp_path / "other")
    for rel in ("chunks.jsonl", "bm25/vocab.json", "dense/embeddings.npy"):
        backup = (committed_folder(saved) / rel).read_bytes()
        shutil.copy(committed_folder(other) / rel, committed_folder(saved) / rel)
        with pytest.raises(IndexFormatError, match=Path(rel).name):
            HybridIndex.load(saved, embedder=embedder)
        (committed_folder(saved) / rel).write_bytes(backup)
    # the other index's manifest copied over: it names a data folder this one lacks
    shutil.copy(other / MANIFEST, saved / MANIFEST)
    with pytest.raises(IndexFormatError, match="missing"):
        HybridIndex.load(saved, embedder=embedder)


def test_an_extra_file_in_the_data_folder(saved: Path, embedder: Embedder) -> None:
    (committed_folder(saved) / "bm25" / "extra.npy").write_bytes(b"\x93NUMPY")
    with pytest.raises(IndexFormatError, match="extra.npy is not listed"):
        HybridIndex.load(saved, embedder=embedder)


def test_no_pickle_anywhere(saved: Path) -> None:
    for p in _data_files(saved):
        assert p.suffix not in (".pkl", ".pickle")
        if p.suffix == ".npy":
            np.load(p, allow_pickle=False)  # loads: plain arrays only


def test_another_embedding_model_is_a_typed_error(saved: Path, tmp_path: Path) -> None:
    other = Embedder(str(tmp_path / "some-other-model"), cache=False)  # never loaded
    with pytest.raises(IndexFormatError, match="built with embedding model 'all-MiniLM-L6-v2'"):
        HybridIndex.load(saved, embedder=other)


def test_another_dimension_is_a_typed_error(saved: Path, embedder: Embedder) -> None:
    index = HybridIndex.load(saved, embedder=embedder)
    narrow = np.ones((1, 128), dtype=np.float32) / np.sqrt(128)
    with pytest.raises(IndexStateError, match="dimension 128 .* 384-dimensional"):
        index.dense.search_vectors(narrow, 5, None)
