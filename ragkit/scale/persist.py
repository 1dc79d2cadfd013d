"""Saving and loading a sharded index: one folder per shard under one manifest.

The sharded folder is an ordinary ragkit index folder (`ragkit.indexes.store.save_folder`:
atomic commit, versioned JSON manifest with the sha256 of every file) whose data holds
`shard-NNNN/` folders (chunks, BM25 and dense files, corpus positions, `shard.json`). The
manifest names the shards, their sizes and the global BM25 totals; loading checks every shard
is present (a missing one is an IndexFormatError naming it) and the totals agree. Shards on
Ray write and read their own folders, so on a cluster the folder must be on shared storage.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ragkit.errors import IndexFormatError
from ragkit.indexes.embeddings import Embedder
from ragkit.indexes.hybrid import DEFAULT_DEPTH
from ragkit.indexes.store import MANIFEST, read_manifest, save_folder
from ragkit.scale.shard import KnownDimEmbedder

if TYPE_CHECKING:
    from ragkit.scale.sharded import ShardedIndex

#: The manifest `type` of a sharded index, and the version of its own layout.
SHARDED_TYPE = "ShardedIndex"
SHARDED_LAYOUT = 1


def save_sharded(index: ShardedIndex, folder: str | Path) -> Path:
    """Write every shard (each by its own worker) and commit one manifest over them all."""
    target = Path(folder).expanduser().resolve()

    def write(data: Path) -> dict[str, Any]:
        names = [f"shard-{i:04d}" for i in range(index.n_shards)]
        entries = index.shards.call("save", [(str(data / n),) for n in names])
        return {
            "type": SHARDED_TYPE,
            "layout": SHARDED_LAYOUT,
            "params": index.params(),
            "n_chunks": len(index),
            "next_position": index.next_position,
            "routing": "sha256(doc_id) mod n_shards",
            "embedder": index.embedder.params(),
            "bm25_params": index.bm25_params,
            "bm25_totals": index.stats.summary(),
            "shards": [{k: e[k] for k in ("name", "n_chunks", "n_docs")} for e in entries],
        }

    save_folder(target, write)
    return target


def _data_dir(folder: Path, manifest: dict[str, Any]) -> Path:
    """Where the manifest's files are (a data sub-folder in newer formats)."""
    return folder / str(manifest["data"]) if "data" in manifest else folder


def check_shards(folder: str | Path) -> tuple[dict[str, Any], Path]:
    """The manifest and data folder of a sharded index, after checking that each shard it
    names is present (IndexFormatError naming the first missing one) and every file checks."""
    folder = Path(folder).expanduser()
    try:
        raw = json.loads((folder / MANIFEST).read_text("utf-8"))
        shards = [str(s["name"]) for s in raw["shards"]]
    except FileNotFoundError:
        shards, raw = [], {}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise IndexFormatError(
            f"{folder / MANIFEST} is not a sharded index manifest: {exc}"
        ) from exc
    if raw:
        data = _data_dir(folder, raw)
        for i, name in enumerate(shards):
            if not (data / name).is_dir():
                raise IndexFormatError(
                    f"{folder} is missing shard {name} ({i + 1} of {len(shards)}): restore "
                    "that folder or rebuild the index"
                )
    manifest = read_manifest(folder, SHARDED_TYPE)
    return manifest, _data_dir(folder, manifest)


def load_sharded(
    folder: str | Path,
    *,
    executor: str = "local",
    address: str | None = None,
    embedder: Embedder | None = None,
    cpus_per_shard: float = 0.25,
    ray_options: dict[str, Any] | None = None,
) -> ShardedIndex:
    """Load a sharded index: each shard in this process or in its own Ray actor."""
    from ragkit.scale.sharded import ShardedIndex, start_shards

    manifest, data = check_shards(folder)
    try:
        emb = manifest["embedder"]
        params = manifest["params"]
        names = [str(s["name"]) for s in manifest["shards"]]
        specs = [{"name": n, "bm25_params": manifest["bm25_params"], "embedder_params": emb,
                  "folder": str(data / n)} for n in names]  # fmt: skip
        if embedder is None:
            embedder = Embedder.from_params(emb)
    except (KeyError, TypeError) as exc:
        raise IndexFormatError(f"{folder}/{MANIFEST} is incomplete: {exc!r}") from exc
    group = start_shards(specs, executor, address, cpus_per_shard)
    try:
        index = ShardedIndex(
            group, embedder, bm25_params=manifest["bm25_params"],
            next_position=int(manifest["next_position"]), executor=executor,
            ray_options=ray_options, fusion=params.get("fusion", "rrf"),
            fusion_params=params.get("fusion_params"), weights=params.get("weights"),
            depth=int(params.get("depth", DEFAULT_DEPTH)),
        )  # fmt: skip
        index._refresh()
    except BaseException:
        group.close()
        raise
    _check_totals(index, manifest, folder)
    return index


def _check_totals(index: ShardedIndex, manifest: dict[str, Any], folder: str | Path) -> None:
    expected = manifest.get("bm25_totals", {})
    if index.stats.summary() != expected or len(index) != manifest.get("n_chunks"):
        raise IndexFormatError(
            f"{folder}: the shards hold {len(index)} chunks with BM25 totals "
            f"{index.stats.summary()}, but the manifest records {manifest.get('n_chunks')} and "
            f"{expected}"
        )


__all__ = ["KnownDimEmbedder", "check_shards", "load_sharded", "save_sharded"]
