"""The chunk store and the index folder format: manifest, checksums, atomic save, checked load.

An index folder holds `manifest.json` (format name and version, ragkit version, component
types and parameters, the generation, the sha256 of every data file and of the manifest
itself) and one data folder `data-<generation>-<token>/` of `.npy`, FAISS and JSON files;
nothing is pickled. The commit protocol (`save_folder`), under the folder's writer lock:
write a new data folder and fsync it, write the manifest to a temporary file, fsync it, and
`os.replace` it over `manifest.json` (the commit point), fsync the folder, then delete the
data folders no manifest names. A crash at any moment leaves `manifest.json` naming either
the old or the new data folder, complete and checksummed; leftovers are removed by the next
save (or load). Format 1 folders (files beside the manifest) still load.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import secrets
import shutil
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from ragkit.errors import ConcurrentModificationError, ConfigError, IndexFormatError
from ragkit.indexes.locking import LOCK_NAME, folder_lock, try_folder_lock
from ragkit.types import Chunk

log = logging.getLogger(__name__)

#: The format name written into every manifest; a folder with another name is foreign.
FORMAT_NAME = "ragkit-index"
#: The newest folder format this code reads and the one it writes (1: files beside the
#: manifest; 2: a versioned data folder, generation and manifest checksum).
FORMAT_VERSION = 2
MANIFEST = "manifest.json"
_DATA_RE = re.compile(r"data-(\d{8})-([0-9a-f]{8})")
_TMP_MANIFEST = ".manifest.json.tmp-"
_HEX64 = re.compile(r"[0-9a-f]{64}")
T = TypeVar("T")


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


class Commit(NamedTuple):
    """A committed save: the index folder and the generation its manifest now holds."""

    path: Path
    generation: int


def _manifest_digest(manifest: dict[str, Any]) -> str:
    """The sha256 of a manifest's canonical JSON without its own `manifest_sha256` field."""
    body = {k: v for k, v in manifest.items() if k != "manifest_sha256"}
    text = json.dumps(body, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def _fsync_path(path: Path, directory: bool = False) -> None:
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if directory else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sync_tree(root: Path) -> dict[str, str]:
    """fsync every file and folder under `root`; the sha256 of each file by relative path."""
    files: dict[str, str] = {}
    for p in sorted(root.rglob("*")):
        if p.is_file():
            files[p.relative_to(root).as_posix()] = sha256_file(p)
            _fsync_path(p)
        elif p.is_dir():
            _fsync_path(p, directory=True)
    _fsync_path(root, directory=True)
    return files


def _ours(name: str) -> bool:
    """Whether a name in an index folder is one the commit protocol writes."""
    return (
        name in (MANIFEST, LOCK_NAME)
        or bool(_DATA_RE.fullmatch(name))
        or (name.startswith(_TMP_MANIFEST))
    )


def _check_target(target: Path) -> None:
    if target.exists() and not target.is_dir():
        raise ConfigError(f"cannot save an index to {target}: it exists and is not a folder")
    if target.is_dir() and not (target / MANIFEST).exists():
        foreign = [p.name for p in target.iterdir() if not _ours(p.name)]
        if foreign:
            raise ConfigError(
                f"refusing to replace {target}: it is a non-empty folder that is not a ragkit "
                f"index (it holds {foreign[0]!r})"
            )


def _committed(target: Path) -> dict[str, Any] | None:
    """The manifest now committed in `target` (unverified), or None when there is none."""
    try:
        value = json.loads((target / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return {}
    return value if isinstance(value, dict) else {}


def generation(manifest: dict[str, Any]) -> int:
    """A manifest's generation (0 for format 1 folders, which have none)."""
    value = manifest.get("generation", 0)
    return value if isinstance(value, int) and not isinstance(value, bool) else -1


def _cleanup(target: Path, manifest: dict[str, Any] | None) -> int:
    """Delete what no committed manifest names: other data folders, temporary manifests and
    a format-1 folder's files once a format-2 manifest has replaced it; returns how many."""
    keep = manifest.get("data") if manifest else None
    removed = 0
    for p in target.iterdir():
        name = p.name
        if name.startswith(_TMP_MANIFEST) or (_DATA_RE.fullmatch(name) and name != keep):
            if p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)
            removed += 1
    return removed


def _cleanup_legacy(target: Path, old: dict[str, Any] | None) -> None:
    """After a format-2 commit over a format-1 folder: delete the files the old manifest
    listed beside it (and folders left empty)."""
    if not old or "data" in old or not isinstance(old.get("files"), dict):
        return
    for name in old["files"]:
        p = (target / str(name)).resolve()
        if p.parent != target and target not in p.parents:
            continue
        if p.is_file():
            p.unlink(missing_ok=True)
            parent = p.parent
            while parent != target and not any(parent.iterdir()):
                parent.rmdir()
                parent = parent.parent


def recover(target: str | Path) -> bool:
    """Bring back an index that an older ragkit's interrupted save left in hidden sibling
    folders (`.NAME.old-*` holds the previous index when NAME is missing) and delete those
    leftovers; True when an index was restored."""
    target = Path(target).expanduser().resolve()
    parent = target.parent
    if not parent.is_dir():
        return False
    restored = False
    for p in sorted(parent.glob(f".{target.name}.old-*")):
        if not restored and not (target / MANIFEST).exists() and (p / MANIFEST).is_file():
            try:
                if target.is_dir() and not any(target.iterdir()):
                    target.rmdir()
                os.rename(p, target)  # fails, harmlessly, when another process restored it
                restored = True
                log.warning("restored index %s from an interrupted save (%s)", target, p.name)
                continue
            except OSError:
                pass
        shutil.rmtree(p, ignore_errors=True)
    for p in parent.glob(f".{target.name}.tmp-*"):
        shutil.rmtree(p, ignore_errors=True)
    return restored


def save_folder(
    target: str | Path,
    write: Callable[[Path], dict[str, Any]],
    expected_generation: int | None = None,
    lock_timeout: float | None = None,
) -> Commit:
    """Commit what `write(data_folder)` writes as the new version of index folder `target`.

    `write` writes its files and returns the manifest body (type, parameters); this adds the
    format, versions, generation and checksums and commits (see the module docstring). With
    `expected_generation`, the save is refused (ConcurrentModificationError) when another
    writer committed since that generation was loaded.
    """
    target = Path(target).expanduser().resolve()
    recover(target)
    _check_target(target)
    with folder_lock(target, lock_timeout):
        _check_target(target)
        old = _committed(target)
        current = generation(old) if old else 0
        if expected_generation is not None and old is not None and current != expected_generation:
            raise ConcurrentModificationError(
                f"index {target} changed since it was loaded (generation {expected_generation}, "
                f"now {current}): another writer saved it; reload it and apply the change again, "
                "or use open_for_update() to serialise writers"
            )
        _cleanup(target, old)
        gen = max(current, 0) + 1
        data = f"data-{gen:08d}-{secrets.token_hex(4)}"
        folder = target / data
        folder.mkdir()
        try:
            body = write(folder)
            files = _sync_tree(folder)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)  # not committed: nothing refers to it
            raise
        manifest: dict[str, Any] = {
            **body,
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "ragkit_version": _ragkit_version(),
            "generation": gen,
            "data": data,
            "files": files,
        }
        manifest["manifest_sha256"] = _manifest_digest(manifest)
        tmp = target / f"{_TMP_MANIFEST}{secrets.token_hex(4)}"
        with tmp.open("w", encoding="utf-8") as fh:
            json.dump(manifest, fh, indent=2, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target / MANIFEST)  # the commit point
        _fsync_path(target, directory=True)
        _cleanup(target, manifest)
        _cleanup_legacy(target, old)
    log.info("saved index %s generation %d (%d files)", target, gen, len(files))
    return Commit(target, gen)


def data_folder(folder: str | Path, manifest: dict[str, Any]) -> Path:
    """Where a manifest's files are: its data folder (format 2) or the index folder (1)."""
    folder = Path(folder).expanduser()
    return folder / manifest["data"] if "data" in manifest else folder


def committed_folder(folder: str | Path) -> Path:
    """The data folder of the index now committed in `folder` (for tools and tests)."""
    manifest = read_manifest(folder, ("HybridIndex", "BM25Index", "DenseIndex"), verify=False)
    return data_folder(folder, manifest)


def _bad(path: Path, what: str) -> IndexFormatError:
    return IndexFormatError(f"{path} is not a valid ragkit manifest: {what}")


def _parse_manifest(folder: Path) -> dict[str, Any]:
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
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise IndexFormatError(f"{path} has no valid integer format_version; got {version!r}")
    if version > FORMAT_VERSION:
        raise IndexFormatError(
            f"{folder} was written in index format {version} by ragkit "
            f"{manifest.get('ragkit_version', '?')}; this ragkit ({_ragkit_version()}) reads "
            f"format {FORMAT_VERSION} at most: upgrade ragkit or rebuild the index"
        )
    return manifest


def _check_fields(path: Path, manifest: dict[str, Any]) -> None:
    """Structure and types of a format-2 manifest, and its own checksum."""
    digest = manifest.get("manifest_sha256")
    if not isinstance(digest, str) or digest != _manifest_digest(manifest):
        raise IndexFormatError(
            f"{path} was edited or is corrupt: its content does not match its manifest_sha256"
        )
    if generation(manifest) < 1:
        raise _bad(
            path, f"generation must be a positive integer; got {manifest.get('generation')!r}"
        )
    data = manifest.get("data")
    if not isinstance(data, str) or not _DATA_RE.fullmatch(data):
        raise _bad(path, f"data must name a data-<generation>-<token> folder; got {data!r}")


def _check_files(folder: Path, manifest: dict[str, Any], verify: bool) -> None:
    path = folder / MANIFEST
    files = manifest.get("files")
    if not isinstance(files, dict) or not files:
        raise _bad(path, "it lists no files (every index has data files to checksum)")
    root = data_folder(folder, manifest)
    for name, digest in files.items():
        parts = Path(str(name)).parts
        if not isinstance(name, str) or not parts or ".." in parts or Path(name).is_absolute():
            raise _bad(path, f"file name {name!r} is not a path inside the index")
        if not isinstance(digest, str) or not _HEX64.fullmatch(digest):
            raise _bad(path, f"the checksum of {name} is not a sha256 hex digest: {digest!r}")
        p = root / name
        if not p.is_file():
            raise IndexFormatError(
                f"{folder} is incomplete: file {name} listed in the manifest is missing"
            )
        if verify and sha256_file(p) != digest:
            raise IndexFormatError(
                f"{p} is corrupt or truncated: its sha256 differs from the manifest's"
            )
    if "data" in manifest:
        extra = [
            p.relative_to(root).as_posix()
            for p in sorted(root.rglob("*"))
            if p.is_file() and p.relative_to(root).as_posix() not in files
        ]
        if extra:
            raise IndexFormatError(
                f"{root / extra[0]} is not listed in the manifest: a file was added to the index"
            )


def read_manifest(
    folder: str | Path, expected_type: str | Sequence[str], verify: bool = True
) -> dict[str, Any]:
    """Read and check an index folder's manifest; raises IndexFormatError saying what is wrong.

    Checks the folder exists, the manifest parses, the format is ragkit's, the version is not
    newer than this code reads, the manifest's own checksum and field types, the type is the
    expected one, every listed file is present (with `verify`: with its recorded sha256) and
    no unlisted file sits in the data folder.
    """
    folder = Path(folder).expanduser()
    if not (folder / MANIFEST).exists():
        recover(folder)
    manifest = _parse_manifest(folder)
    path = folder / MANIFEST
    if manifest["format_version"] >= 2 or "data" in manifest or "manifest_sha256" in manifest:
        _check_fields(path, manifest)  # (a format 2 manifest relabelled 1 is checked too)
    expected = (expected_type,) if isinstance(expected_type, str) else tuple(expected_type)
    if manifest.get("type") not in expected:
        raise IndexFormatError(
            f"{folder} holds a {manifest.get('type')!r} index; expected {' or '.join(expected)}"
        )
    _check_files(folder, manifest, verify)
    return manifest


def load_committed(
    folder: str | Path,
    expected_type: str,
    verify: bool,
    load: Callable[[dict[str, Any], Path], T],
) -> tuple[T, int]:
    """`load(manifest, data_folder)` on the committed version of `folder`, and its generation.

    A writer may commit and delete the data folder being read: then the load is retried on
    the new version. Leftovers of interrupted saves are removed when no writer holds the lock.
    Anything malformed the loader trips over is an IndexFormatError naming the folder.
    """
    folder = Path(folder).expanduser()
    for attempt in range(5):
        before = _committed(folder)
        try:
            manifest = read_manifest(folder, expected_type, verify)
            value = load(manifest, data_folder(folder, manifest))
        except (IndexFormatError, FileNotFoundError) as exc:
            # a writer may have committed (and deleted what we were reading, even between a
            # file's existence check and its opening): retry then
            now = _committed(folder)
            if attempt == 4 or not before or not now or generation(now) == generation(before):
                if isinstance(exc, FileNotFoundError):
                    raise IndexFormatError(f"{folder}: missing file {exc.filename}") from exc
                raise
            continue
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            raise IndexFormatError(
                f"{folder / MANIFEST} has malformed or inconsistent fields: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        _tidy(folder, manifest)
        return value, generation(manifest)
    raise AssertionError("unreachable")  # pragma: no cover


def _tidy(folder: Path, manifest: dict[str, Any]) -> None:
    """Remove leftovers of interrupted saves, if no writer is at work and we may write."""
    if "data" not in manifest:
        return
    keep = manifest["data"]
    if not any(
        p.name.startswith(_TMP_MANIFEST) or (_DATA_RE.fullmatch(p.name) and p.name != keep)
        for p in folder.iterdir()
    ):
        return
    fd = try_folder_lock(folder)
    if fd is None:
        return
    try:
        current = _committed(folder)
        if current and current.get("data") == manifest["data"]:
            _cleanup(folder, current)
    finally:
        os.close(fd)
