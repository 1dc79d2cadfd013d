"""Embeddings reach the cache batch by batch: a run killed with SIGKILL mid-encode keeps every
committed batch, and the rerun computes only the rest (reporting reused vs computed)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from ragkit.indexes import Embedder, EmbeddingCache
from ragkit.indexes.onnx_encoder import onnx_model_file
from ragkit.models import packaged_model_path
from tests.indexes.conftest import make_chunks

pytest.importorskip("onnxruntime", reason="the onnx extra is not installed")

N_TEXTS = 600
BATCH = 2


def _texts() -> list[str]:
    """Distinct filing-style passages: each chunk with a numbered note of another."""
    base = [c.text for c in make_chunks()]
    return [
        f"{base[i % len(base)]} Note {i}: {base[(i * 7 + 3) % len(base)]}" for i in range(N_TEXTS)
    ]


def _committed(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db, timeout=5) as con:
            return int(con.execute("SELECT COUNT(*) FROM emb").fetchone()[0])
    except sqlite3.OperationalError:  # table not created yet
        return 0


def test_killed_encode_keeps_committed_batches(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    onnx_model_file(packaged_model_path(), "onnx-int8", root)  # export (or copy) before the child
    db = tmp_path / "emb.sqlite"
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r})
        from ragkit.indexes import Embedder, EmbeddingCache
        from tests.indexes.test_backends_commits import _texts
        emb = Embedder(backend="onnx-int8", batch_size={BATCH}, cache=EmbeddingCache({str(db)!r}))
        emb.encode_passages(_texts())
        print("finished")
        """
    )
    env = {**os.environ, "RAGKIT_CACHE": str(root)}
    child = subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while _committed(db) < 4 * BATCH and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    out = child.stdout.read() if child.stdout else b""
    assert b"finished" not in out, "the child finished before it was killed"
    committed = _committed(db)
    assert 0 < committed < N_TEXTS
    assert committed % BATCH == 0  # whole batches only

    os.environ["RAGKIT_CACHE"], old = str(root), os.environ.get("RAGKIT_CACHE")
    try:
        emb = Embedder(backend="onnx-int8", batch_size=BATCH, cache=EmbeddingCache(db))
        texts = _texts()
        vecs = emb.encode_passages(texts)
        assert (emb.last_stats.reused, emb.last_stats.computed) == (
            committed,
            N_TEXTS - committed,
        )
        fresh = Embedder(backend="onnx-int8", cache=False).encode_passages(texts[:50])
    finally:
        if old is None:
            os.environ.pop("RAGKIT_CACHE")
        else:
            os.environ["RAGKIT_CACHE"] = old
    # committed vectors are the ones a fresh run computes (int8 runs one text per call)
    assert np.array_equal(vecs[:50], fresh)
    assert _committed(db) == N_TEXTS
