"""Concurrent writers and readers of one index, with real processes and threads.

- Two processes that load the same folder, add different documents and save: before, one
  document was silently lost; now the second save is a typed ConcurrentModificationError
  (the folder changed since it was loaded), and with `open_for_update` writers take turns
  and every document is kept.
- Many processes saving the same folder at once: every save succeeds (no OSError), the
  folder loads, nothing is left over.
- The embedding cache written by several processes at once (sqlite WAL): every vector kept.
- One thread adding and deleting documents while others search: no error, every result
  consistent with some state of the index.

This file is also the worker script the process tests start (`python this.py WORKER ...`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from ragkit.errors import ConcurrentModificationError
from ragkit.indexes import BM25Index, EmbeddingCache, HybridIndex
from ragkit.types import Chunk
from tests.indexes.conftest import make_chunks

ROOT = Path(__file__).resolve().parents[2]


def doc_chunks(tag: str, n: int = 2) -> list[Chunk]:
    """A small filing `tag` of `n` chunks."""
    return [
        Chunk(
            id=f"{tag}-{i:03d}",
            doc_id=tag,
            text=f"Filing {tag}: segment revenue of unit {i} rose on pricing; backlog grew {i}%.",
            metadata={"ticker": tag.upper()[:4], "form_type": "10-Q"},
        )
        for i in range(n)
    ]


# -- worker processes -------------------------------------------------------------------
def _wait_for(path: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} never appeared")
        time.sleep(0.01)


def _racing_writer(folder: Path, tag: str, sync: Path) -> None:
    """Load, signal, wait for the go signal, add `tag`, save; print the outcome."""
    index = BM25Index.load(folder)
    (sync / f"loaded-{tag}").touch()
    _wait_for(sync / "go")
    index.add(doc_chunks(tag))
    try:
        index.save(folder)
        print(json.dumps({"tag": tag, "outcome": "saved"}))
    except ConcurrentModificationError as exc:
        print(json.dumps({"tag": tag, "outcome": "refused", "error": str(exc)}))


def _updating_writer(folder: Path, tag: str, rounds: int) -> None:
    """`rounds` times: add a document under open_for_update."""
    for r in range(rounds):
        with BM25Index.open_for_update(folder) as index:
            index.add(doc_chunks(f"{tag}r{r}"))
    print(json.dumps({"tag": tag, "outcome": "done"}))


def _saver(folder: Path, tag: str, rounds: int) -> None:
    """`rounds` times: save a fresh index over `folder` (a rebuild, not an update)."""
    errors = []
    for r in range(rounds):
        index = BM25Index()
        index.add(doc_chunks(f"{tag}r{r}"))
        try:
            index.save(folder)
        except Exception as exc:  # noqa: BLE001 - the test counts every failure
            errors.append(f"{type(exc).__name__}: {exc}")
    print(json.dumps({"tag": tag, "errors": errors}))


def _cache_writer(path: Path, tag: str, n: int) -> None:
    """Put `n` vectors keyed by this worker's texts into the shared cache, in batches."""
    cache = EmbeddingCache(path)
    rng = np.random.default_rng(abs(hash(tag)) % 2**32)
    for start in range(0, n, 25):
        keys = [f"{tag}-{i}".encode() for i in range(start, min(n, start + 25))]
        cache.put("test-model", keys, rng.standard_normal((len(keys), 8)).astype(np.float32))
    print(json.dumps({"tag": tag, "count": cache.count("test-model")}))


def _spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, __file__, *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def _results(procs: Sequence[subprocess.Popen[str]]) -> list[dict[str, object]]:
    out = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=300)
        assert p.returncode == 0, stderr[-3000:]
        out.append(json.loads(stdout.strip().splitlines()[-1]))
    return out


def _base_index(folder: Path) -> BM25Index:
    index = BM25Index()
    index.add(make_chunks())
    index.save(folder)
    return index


# -- tests ------------------------------------------------------------------------------
def test_two_processes_updating_one_folder_never_lose_an_update(tmp_path: Path) -> None:
    """Both load, both add, both save: one is saved, the other refused with a typed error
    naming the change (3 trials); no document silently disappears."""
    folder = tmp_path / "idx"
    for trial in range(3):
        _base_index(folder)
        sync = tmp_path / f"sync{trial}"
        sync.mkdir()
        procs = [_spawn("race", str(folder), tag, str(sync)) for tag in ("alpha", "beta")]
        _wait_for(sync / "loaded-alpha")
        _wait_for(sync / "loaded-beta")
        (sync / "go").touch()
        results = _results(procs)
        outcomes = sorted(str(r["outcome"]) for r in results)
        assert outcomes == ["refused", "saved"], results
        refused = next(r for r in results if r["outcome"] == "refused")
        assert "changed since it was loaded" in str(refused["error"])
        saved = next(str(r["tag"]) for r in results if r["outcome"] == "saved")
        docs = set(BM25Index.load(folder).doc_ids())
        assert saved in docs and {"acme-10k-2024", "bolt-10q-2025q2"} <= docs


def test_open_for_update_serialises_writers_across_processes(tmp_path: Path) -> None:
    """Three processes × three updates each under open_for_update: all nine kept."""
    folder = tmp_path / "idx"
    _base_index(folder)
    procs = [_spawn("update", str(folder), f"w{i}", "3") for i in range(3)]
    _results(procs)
    docs = set(BM25Index.load(folder).doc_ids())
    assert {f"w{i}r{r}" for i in range(3) for r in range(3)} <= docs
    assert len(docs) == 2 + 9


def test_loads_during_saves_always_see_a_whole_index(tmp_path: Path) -> None:
    """A process commits 15 updates while this one loads the folder in a loop: every load
    succeeds (a reader whose data folder is deleted by a commit retries on the new one) and
    sees a whole index: the base documents plus a prefix of the updates."""
    folder = tmp_path / "idx"
    _base_index(folder)
    writer = _spawn("update", str(folder), "w", "15")
    loads, generations = 0, set()
    while writer.poll() is None:
        index = BM25Index.load(folder)
        docs = index.doc_ids()
        assert docs[:2] == ["acme-10k-2024", "bolt-10q-2025q2"]
        assert docs[2:] == [f"wr{r}" for r in range(len(docs) - 2)]
        assert index._origin is not None
        generations.add(index._origin[1])
        loads += 1
    _results([writer])
    assert len(BM25Index.load(folder).doc_ids()) == 2 + 15
    assert loads > 0 and len(generations) > 1, (loads, generations)


@pytest.mark.parametrize(
    ("workers", "rounds"), [(4, 5), pytest.param(8, 10, marks=pytest.mark.soak)]
)
def test_many_concurrent_saves_all_succeed(tmp_path: Path, workers: int, rounds: int) -> None:
    """Processes saving a rebuilt index over one folder at once (soak: 8 × 10): no OSError
    (was 1 in 80 ENOTEMPTY), the last save wins whole, nothing left over."""
    folder = tmp_path / "idx"
    procs = [_spawn("save", str(folder), f"s{i}", str(rounds)) for i in range(workers)]
    results = _results(procs)
    errors = [e for r in results for e in r["errors"]]  # type: ignore[attr-defined]
    assert errors == []
    final = BM25Index.load(folder)
    assert len(final.doc_ids()) == 1 and final.doc_ids()[0].startswith("s")
    assert len([p for p in folder.iterdir() if p.name.startswith("data-")]) == 1


def test_embedding_cache_written_by_several_processes(tmp_path: Path) -> None:
    """Four processes committing batches to one sqlite cache at once: every vector kept."""
    path = tmp_path / "emb.sqlite"
    EmbeddingCache(path)
    procs = [_spawn("cache", str(path), f"p{i}", "200") for i in range(4)]
    _results(procs)
    cache = EmbeddingCache(path)
    assert cache.count("test-model") == 800
    got = cache.get("test-model", [f"p{i}-{j}".encode() for i in range(4) for j in (0, 199)], 8)
    assert len(got) == 8


def _search_while_mutating(index: HybridIndex | BM25Index, queries: list[str]) -> int:
    """Three threads search while one adds and deletes documents; no error may escape and
    every hit list must be well formed (k hits at most, ranks 1.., known chunk ids)."""
    stop = threading.Event()
    errors: list[BaseException] = []
    searches = [0]
    known = {c.id for c in make_chunks()} | {c.id for i in range(50) for c in doc_chunks(f"x{i}")}

    def reader() -> None:
        while not stop.is_set():
            try:
                for hits in index.search(queries, k=5):
                    assert len(hits) <= 5 and [h.rank for h in hits] == list(
                        range(1, len(hits) + 1)
                    )
                    assert all(h.chunk_id in known and h.chunk is not None for h in hits)
                searches[0] += len(queries)
            except BaseException as exc:  # noqa: BLE001 - recorded for the assertion
                errors.append(exc)
                return

    def writer() -> None:
        try:
            while searches[0] == 0 and not errors:
                time.sleep(0.001)  # start mutating once the readers are searching
            for i in range(50):
                index.add(doc_chunks(f"x{i}"))
                if i % 2:
                    index.delete(f"x{i - 1}")
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            stop.set()

    threads = [threading.Thread(target=reader) for _ in range(3)]
    threads.append(threading.Thread(target=writer))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "deadlock: a thread never finished"
    assert errors == [], errors[:3]
    assert searches[0] > 0
    return searches[0]


def test_read_write_lock_orders_readers_and_writers() -> None:
    """Readers share; a writer waits for them and holds new readers back while it waits
    (no starvation under constant searching); the writer may re-enter and read."""
    from ragkit.indexes.locking import ReadWriteLock

    lock = ReadWriteLock()
    events: list[str] = []
    reading = threading.Event()
    release = threading.Event()

    def reader(name: str) -> None:
        with lock.read():
            events.append(f"{name} in")
            reading.set()
            release.wait(10)
        events.append(f"{name} out")

    def writer() -> None:
        with lock.write():
            with lock.write(), lock.read():  # re-entrant in the writing thread
                events.append("writer in")

    first = threading.Thread(target=reader, args=("r1",))
    first.start()
    assert reading.wait(10)
    w = threading.Thread(target=writer)
    w.start()
    time.sleep(0.2)  # the writer is now waiting for r1
    late = threading.Thread(target=reader, args=("r2",))
    late.start()
    time.sleep(0.2)
    assert events == ["r1 in"]  # neither the writer nor the late reader got in
    release.set()
    for t in (first, w, late):
        t.join(10)
    assert events.index("writer in") < events.index("r2 in")


QUERIES = ["revenue growth", "fuel prices operating ratio", "segment backlog pricing"]


def test_bm25_add_and_delete_while_searching() -> None:
    index = BM25Index()
    index.add(make_chunks())
    _search_while_mutating(index, QUERIES)
    assert len(index.doc_ids()) == 2 + 25


def test_hybrid_add_and_delete_while_searching() -> None:
    from ragkit.indexes import Embedder

    index = HybridIndex.build(make_chunks(), model=Embedder(cache=False))
    _search_while_mutating(index, QUERIES)
    assert len(index.doc_ids()) == 2 + 25
    assert [c.id for c in index.bm25.chunks] == [c.id for c in index.dense.chunks]


if __name__ == "__main__":
    role, target, name, extra = sys.argv[1], Path(sys.argv[2]), sys.argv[3], sys.argv[4]
    if role == "race":
        _racing_writer(target, name, Path(extra))
    elif role == "update":
        _updating_writer(target, name, int(extra))
    elif role == "save":
        _saver(target, name, int(extra))
    else:
        _cache_writer(target, name, int(extra))
