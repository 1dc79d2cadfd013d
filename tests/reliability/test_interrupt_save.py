"""Crash safety of index saves: kill the saving process at every file operation of a save,
an incremental add and a delete; each time the folder must load (checksums verified) as
exactly the old or exactly the new index, never a mixture, and the next save must succeed
and leave no leftovers.

The kills are real: a driver process (this file run as a script) loads the index and makes
the change once, then per kill point forks a child that saves with the file operations
(`open`, `os.open`, `os.replace`, `os.fsync`, `mkdir`, `unlink`, `rmtree`, ...) counted and
`os._exit`s just before the N-th one, so every intermediate state on disk is visited. The
driver verifies the folder after each kill and restores the old version for the next point.
"""

from __future__ import annotations

import builtins
import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ragkit.errors import IndexFormatError
from ragkit.indexes import BM25Index, HybridIndex
from ragkit.indexes.store import MANIFEST, committed_folder, read_manifest, recover
from ragkit.types import Chunk
from tests.indexes.conftest import make_chunks

ROOT = Path(__file__).resolve().parents[2]
KILLED = 77

_COUNTED = (
    (os, "open"),
    (os, "replace"),
    (os, "rename"),
    (os, "fsync"),
    (os, "mkdir"),
    (os, "unlink"),
    (os, "rmdir"),
    (shutil, "rmtree"),
    (builtins, "open"),
    (io, "open"),
)


def _install_kill_at(n: int) -> None:
    """Make the N-th counted file operation from now on end the process before it runs."""
    count = [0]

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        def counted(*args: Any, **kwargs: Any) -> Any:
            count[0] += 1
            if count[0] == n:
                os._exit(KILLED)
            return fn(*args, **kwargs)

        return counted

    for module, name in _COUNTED:
        setattr(module, name, wrap(getattr(module, name)))


def extra_chunks() -> list[Chunk]:
    """A third filing's chunks, added by the incremental update."""
    texts = [
        "Cobalt Mining Ltd. produced 41,300 tonnes of refined cobalt in fiscal 2024.",
        "Royalty expense rose 9% on higher realised prices at the Kolwezi concession.",
        "The company repaid its $750 million term loan due 2026 from operating cash flow.",
    ]
    return [
        Chunk(
            id=f"cobalt-10k-2024-{i:03d}",
            doc_id="cobalt-10k-2024",
            text=t,
            section_path=("Part II", "Item 7. MD&A"),
            metadata={"ticker": "CBLT", "form_type": "10-K", "fiscal_year": 2024},
        )
        for i, t in enumerate(texts)
    ]


def _fingerprint(index: Any) -> dict[str, Any]:
    """What must match the old or the new index exactly: chunk ids, texts, BM25 hits and,
    for a hybrid index, the embedding matrix."""
    print_ = {
        "ids": [c.id for c in index.chunks],
        "texts": [c.text for c in index.chunks],
        "hits": [h.chunk_id for h in index.search(["revenue fuel cobalt loan"], k=5)[0]],
    }
    if isinstance(index, HybridIndex):
        print_["vectors"] = np.asarray(index.dense.vectors).round(5).tolist()
    return print_


def _driver(kind: str, change: str, folder: Path, stride: int) -> None:
    """Run every `stride`-th kill point of `change` ("add" or "delete") on the index in
    `folder`; print one JSON line per kill point and a summary."""
    load: Callable[[Path], Any]
    if kind == "hybrid":
        from ragkit.indexes import Embedder

        embedder = Embedder(cache=False)

        def load(p: Path) -> Any:
            return HybridIndex.load(p, embedder=embedder)

        HybridIndex.build(make_chunks(), model=embedder).save(folder)
    else:
        load = BM25Index.load
        index = BM25Index()
        index.add(make_chunks())
        index.save(folder)
    pristine = folder.parent / "pristine"
    shutil.copytree(folder, pristine)
    old_print = _fingerprint(load(folder))
    updated = load(folder)
    if change == "add":
        updated.add(extra_chunks())
    elif change == "delete":
        updated.delete("bolt-10q-2025q2")
    new_print = _fingerprint(updated)
    n, outcomes = 1, []
    while True:
        pid = os.fork()
        if pid == 0:  # the child: save with the N-th file operation fatal
            _install_kill_at(n)
            updated._origin = None  # every child saves over the same old generation
            updated.save(folder)
            os._exit(0)
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        try:
            got = _fingerprint(load(folder))
            state = "old" if got == old_print else "new" if got == new_print else "MIXTURE"
        except IndexFormatError as exc:
            state = f"UNLOADABLE: {exc}"
        if state in ("old", "new"):  # the next save over whatever is there must work
            again = load(folder)
            again.save(folder)
            names = sorted(p.name for p in folder.iterdir())
            if len(names) != 3 or _fingerprint(load(folder)) != got:
                state = f"BAD NEXT SAVE: {names}"
        outcomes.append({"n": n, "exit": code, "state": state})
        print(json.dumps(outcomes[-1]), flush=True)
        shutil.rmtree(folder)
        shutil.copytree(pristine, folder)
        if code == 0:
            break
        n += stride
    print(json.dumps({"summary": True, "points": len(outcomes)}), flush=True)


def _run_driver(kind: str, change: str, tmp_path: Path, stride: int) -> list[dict[str, Any]]:
    proc = subprocess.run(
        [sys.executable, __file__, kind, change, str(tmp_path / "idx"), str(stride)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert rows and rows[-1].get("summary"), proc.stdout[-2000:]
    return rows[:-1]


def _check(points: list[dict[str, Any]], minimum: int) -> None:
    bad = [p for p in points if p["state"] not in ("old", "new")]
    assert not bad, bad[:5]
    kills = [p for p in points if p["exit"] == KILLED]
    assert len(kills) >= minimum, f"only {len(kills)} kill points"
    states = {p["state"] for p in kills}
    assert states == {"old", "new"}, states  # both sides of the commit point were visited
    assert points[-1]["exit"] == 0 and points[-1]["state"] == "new"
    # once the commit point has passed, every later kill leaves the new index
    first_new = next(i for i, p in enumerate(points) if p["state"] == "new")
    assert all(p["state"] == "new" for p in points[first_new:])


def test_kill_at_every_file_operation_of_a_bm25_incremental_add(tmp_path: Path) -> None:
    points = _run_driver("bm25", "add", tmp_path, stride=1)
    _check(points, minimum=40)
    print(f"bm25 add: {len(points) - 1} kill points, all old or new")


def test_kill_at_every_third_file_operation_of_a_hybrid_incremental_add(tmp_path: Path) -> None:
    points = _run_driver("hybrid", "add", tmp_path, stride=3)
    _check(points, minimum=18)
    print(f"hybrid add: {len(points) - 1} kill points (every third), all old or new")


@pytest.mark.soak
@pytest.mark.parametrize(("kind", "change"), [("hybrid", "add"), ("hybrid", "delete"),
                                              ("bm25", "delete")])  # fmt: skip
def test_kill_at_every_file_operation_soak(tmp_path: Path, kind: str, change: str) -> None:
    points = _run_driver(kind, change, tmp_path, stride=1)
    _check(points, minimum=40)
    print(f"{kind} {change}: {len(points) - 1} kill points, all old or new")


def _legacy_copy(saved: Path, dest: Path) -> None:
    """A format-1 folder (files beside the manifest) with the same content as `saved`."""
    manifest = read_manifest(saved, "BM25Index")
    shutil.copytree(committed_folder(saved), dest)
    for key in ("data", "generation", "manifest_sha256"):
        manifest.pop(key)
    manifest["format_version"] = 1
    (dest / MANIFEST).write_text(json.dumps(manifest))


def test_an_older_ragkits_interrupted_save_is_recovered(tmp_path: Path) -> None:
    """The old protocol renamed the index away, then the new copy in: killed in between, the
    target was missing and the index sat in a hidden `.NAME.old-*` folder. Loading (or
    saving) now restores it and removes the leftovers."""
    index = BM25Index()
    index.add(make_chunks())
    saved = index.save(tmp_path / "built")
    target = tmp_path / "idx"
    _legacy_copy(saved, tmp_path / ".idx.old-4242-abcdefgh")
    (tmp_path / ".idx.tmp-abcdefgh").mkdir()
    (tmp_path / ".idx.tmp-abcdefgh" / "chunks.jsonl").write_text("{half a line")
    loaded = BM25Index.load(target)
    assert [c.id for c in loaded.chunks] == [c.id for c in index.chunks]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["built", "idx"]
    assert recover(target) is False  # nothing left to recover
    # a format-1 folder is upgraded in place by the next save, its old files removed
    loaded.add(extra_chunks())
    loaded.save(target)
    assert {p.name for p in target.iterdir()} == {
        MANIFEST,
        ".lock",
        read_manifest(target, "BM25Index")["data"],
    }
    assert len(BM25Index.load(target)) == len(index) + 3


if __name__ == "__main__":
    _driver(sys.argv[1], sys.argv[2], Path(sys.argv[3]), int(sys.argv[4]))
