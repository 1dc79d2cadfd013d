"""Index folders: manifest contents, checksums, atomic save, and typed errors on bad folders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ragkit.errors import ConfigError, IndexFormatError
from ragkit.indexes import FORMAT_VERSION, BM25Index, read_manifest
from ragkit.indexes.store import committed_folder
from ragkit.types import Chunk


@pytest.fixture()
def saved(chunks: list[Chunk], tmp_path: Path) -> Path:
    index = BM25Index()
    index.add(chunks)
    return index.save(tmp_path / "idx")


def test_manifest_lists_versions_params_and_checksums(saved: Path) -> None:
    m = json.loads((saved / "manifest.json").read_text())
    assert m["format"] == "ragkit-index" and m["format_version"] == FORMAT_VERSION
    assert m["type"] == "BM25Index" and m["ragkit_version"]
    assert m["params"]["analyzer"]["stemmer"] == "english"
    data = committed_folder(saved)
    assert data.parent == saved and data.name == m["data"]
    on_disk = {p.relative_to(data).as_posix() for p in data.rglob("*") if p.is_file()}
    assert set(m["files"]) == on_disk
    assert {p.name for p in saved.iterdir()} == {"manifest.json", ".lock", m["data"]}
    assert all(len(v) == 64 for v in m["files"].values())
    assert not any(p.suffix in (".pkl", ".pickle") for p in saved.rglob("*"))


def test_truncated_file_is_reported(saved: Path) -> None:
    target = committed_folder(saved) / "doc_tokens.npy"
    target.write_bytes(target.read_bytes()[:-8])
    with pytest.raises(IndexFormatError, match=r"doc_tokens.npy is corrupt or truncated"):
        BM25Index.load(saved)


def test_missing_file_is_reported(saved: Path) -> None:
    (committed_folder(saved) / "vocab.json").unlink()
    with pytest.raises(IndexFormatError, match="vocab.json .*missing"):
        BM25Index.load(saved)


def test_corrupt_manifest_is_reported(saved: Path) -> None:
    (saved / "manifest.json").write_text('{"format": "ragkit-index", "format_ver')
    with pytest.raises(IndexFormatError, match="corrupt or truncated"):
        BM25Index.load(saved)


def test_foreign_and_missing_folders(tmp_path: Path) -> None:
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "manifest.json").write_text(json.dumps({"format": "chroma", "version": 3}))
    with pytest.raises(IndexFormatError, match="not a ragkit index.*chroma"):
        BM25Index.load(foreign)
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "notes.txt").write_text("hello")
    with pytest.raises(IndexFormatError, match="no manifest.json"):
        BM25Index.load(plain)
    with pytest.raises(IndexFormatError, match="does not exist"):
        BM25Index.load(tmp_path / "nowhere")
    with pytest.raises(ConfigError, match="not a ragkit index"):
        BM25Index().save(plain)  # never overwrite a folder that is not an index


def test_newer_format_is_refused(saved: Path) -> None:
    m = json.loads((saved / "manifest.json").read_text())
    m["format_version"] = FORMAT_VERSION + 1
    (saved / "manifest.json").write_text(json.dumps(m))  # refused before the checksum
    with pytest.raises(IndexFormatError, match="newer|format 2 .*upgrade ragkit"):
        read_manifest(saved, "BM25Index")


def test_failed_save_leaves_previous_index_intact(saved: Path, chunks: list[Chunk]) -> None:
    index = BM25Index.load(saved)
    # metadata that JSON cannot hold makes the save fail part-way through writing
    index.add([Chunk(id="bad", doc_id="bad", text="Bad metadata chunk.", metadata={"x": {1, 2}})])
    with pytest.raises(TypeError):
        index.save(saved)
    again = BM25Index.load(saved)
    assert len(again) == len(chunks)
    leftovers = [p.name for p in saved.parent.iterdir() if p.name.startswith(".idx")]
    assert leftovers == []
    assert len([p for p in saved.iterdir() if p.name.startswith("data-")]) == 1


def test_save_replaces_an_existing_index(saved: Path, chunks: list[Chunk]) -> None:
    index = BM25Index.load(saved)
    index.delete("bolt-10q-2025q2")
    index.save(saved)
    assert BM25Index.load(saved).doc_ids() == ["acme-10k-2024"]
