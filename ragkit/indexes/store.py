"""The chunk store and the index folder format: manifest, checksums, atomic save, checked load.

An index folder holds `manifest.json` (format name and version, ragkit version, component
types and parameters, the sha256 of every other file) beside `.npy`, FAISS and JSON files;
nothing is pickled. Saving writes a temporary sibling folder and renames it into place, so a
crash mid-save leaves the previous index as it was.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from ragkit.errors import ConfigError, IndexFormatError
from ragkit.types import Chunk

log = logging.getLogger(__name__)

#: The format name written into every manifest; a folder with another name is foreign.
FORMAT_NAME = "ragkit-index"
#: The newest folder format this code reads and the one it writes.
FORMAT_VERSION = 1
MANIFEST = "manifest.json"


class ChunkStore:
    """Chunks in row order, with lookups by chunk id and by document id."""

    def __init__(self, chunks: Iterable[Chunk] = ()) -> None:
        self._chunks: list[Chunk] = []
        self._row_of: dict[str, int] = {}
        self.add(chunks)

    def __len__(self) -> int:
        return len(self._chunks)

    def __getitem__(self, row: int) -> Chunk:
        return self._chunks[row]

    @property
    def chunks(self) -> list[Chunk]:
        """All chunks in row order (a copy)."""
        return list(self._chunks)

    def row(self, chunk_id: str) -> int | None:
        """The row of a chunk id, or None."""
        return self._row_of.get(chunk_id)

    def add(self, chunks: Iterable[Chunk]) -> list[Chunk]:
        """Append chunks; raises ConfigError on a chunk id already stored or repeated."""
        new = list(chunks)
        seen: set[str] = set()
        for c in new:
            if not isinstance(c, Chunk):
                raise ConfigError(f"expected Chunk objects; got {type(c).__name__}")
            if c.id in self._row_of or c.id in seen:
                raise ConfigError(
                    f"chunk id {c.id!r} (document {c.doc_id!r}) is already in the index; "
                    "delete its document first or give chunks unique ids"
                )
            seen.add(c.id)
        for c in new:
            self._row_of[c.id] = len(self._chunks)
            self._chunks.append(c)
        return new

    def keep_mask(self, doc_ids: Iterable[str]) -> list[bool]:
        """Per row, False for chunks of the given documents."""
        drop = set(doc_ids)
        return [c.doc_id not in drop for c in self._chunks]

    def apply_keep(self, keep: Sequence[bool]) -> None:
        """Drop the rows whose keep flag is False, renumbering the rest."""
        self._chunks = [c for c, k in zip(self._chunks, keep, strict=True) if k]
        self._row_of = {c.id: i for i, c in enumerate(self._chunks)}

    def doc_ids(self) -> list[str]:
        """Document ids in first-appearance order."""
        return list(dict.fromkeys(c.doc_id for c in self._chunks))

    def save(self, folder: Path) -> str:
        """Write `chunks.jsonl` (one chunk dict per line); returns the file name."""
        path = folder / "chunks.jsonl"
        with path.open("w", encoding="utf-8") as fh:
            for c in self._chunks:
                fh.write(json.dumps(c.to_dict(), ensure_ascii=False))
                fh.write("\n")
        return path.name

    @classmethod
    def load(cls, folder: Path) -> ChunkStore:
        """Read `chunks.jsonl` written by `save`."""
        path = folder / "chunks.jsonl"
        store = cls()
        try:
            with path.open(encoding="utf-8") as fh:
                store.add(Chunk.from_dict(json.loads(line)) for line in fh if line.strip())
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise IndexFormatError(f"{path} is unreadable or malformed: {exc}") from exc
        return store


def sha256_file(path: Path) -> str:
    """The hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _ragkit_version() -> str:
    from ragkit import __version__

    return __version__


def save_folder(target: str | Path, write: Callable[[Path], dict[str, Any]]) -> Path:
    """Atomically (re)place folder `target` with what `write(tmp)` puts in a temporary folder.

    `write` writes its files and returns the manifest body (type, parameters); this adds the
    format, versions and the sha256 of every file, then swaps the folder into place.
    """
    target = Path(target).expanduser().resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists() and not target.is_dir():
        raise ConfigError(f"cannot save an index to {target}: it exists and is not a folder")
    if target.is_dir() and any(target.iterdir()) and not (target / MANIFEST).exists():
        raise ConfigError(
            f"refusing to replace {target}: it is a non-empty folder that is not a ragkit index"
        )
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        body = write(tmp)
        files = {
            p.relative_to(tmp).as_posix(): sha256_file(p)
            for p in sorted(tmp.rglob("*"))
            if p.is_file()
        }
        manifest = {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "ragkit_version": _ragkit_version(),
            **body,
            "files": files,
        }
        with (tmp / MANIFEST).open("w", encoding="utf-8") as fh:
            json.dump(manifest, fh, indent=2, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        old = None
        if target.exists():
            old = target.parent / f".{target.name}.old-{os.getpid()}-{tmp.name[-8:]}"
            os.replace(target, old)
        os.replace(tmp, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log.info("saved index to %s (%d files)", target, len(files))
    return target


def read_manifest(
    folder: str | Path, expected_type: str | Sequence[str], verify: bool = True
) -> dict[str, Any]:
    """Read and check an index folder's manifest; raises IndexFormatError saying what is wrong.

    Checks the folder exists, the manifest parses, the format is ragkit's, the version is not
    newer than this code reads, the type is the expected one, and (with `verify`) that every
    listed file is present with its recorded sha256.
    """
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise IndexFormatError(f"index folder {folder} does not exist or is not a folder")
    path = folder / MANIFEST
    if not path.is_file():
        raise IndexFormatError(
            f"{folder} is not a ragkit index: it has no {MANIFEST} (build one with `ragkit index`)"
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IndexFormatError(f"{path} is corrupt or truncated: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        got = manifest.get("format") if isinstance(manifest, dict) else type(manifest).__name__
        raise IndexFormatError(
            f"{folder} is not a ragkit index: manifest format is {got!r}, expected {FORMAT_NAME!r}"
        )
    version = manifest.get("format_version")
    if not isinstance(version, int):
        raise IndexFormatError(f"{path} has no integer format_version; got {version!r}")
    if version > FORMAT_VERSION:
        raise IndexFormatError(
            f"{folder} was written in index format {version} by ragkit "
            f"{manifest.get('ragkit_version', '?')}; this ragkit ({_ragkit_version()}) reads "
            f"format {FORMAT_VERSION} at most: upgrade ragkit or rebuild the index"
        )
    expected = (expected_type,) if isinstance(expected_type, str) else tuple(expected_type)
    if manifest.get("type") not in expected:
        raise IndexFormatError(
            f"{folder} holds a {manifest.get('type')!r} index; expected {' or '.join(expected)}"
        )
    files = manifest.get("files")
    if not isinstance(files, dict):
        raise IndexFormatError(f"{path} lists no files; the manifest is incomplete")
    for name, digest in files.items():
        p = folder / name
        if not p.is_file():
            raise IndexFormatError(
                f"{folder} is incomplete: file {name} listed in the manifest is missing"
            )
        if verify and sha256_file(p) != digest:
            raise IndexFormatError(
                f"{p} is corrupt or truncated: its sha256 differs from the manifest's"
            )
    return manifest
