"""Ctrl-C during `ragkit index`: a real process is sent SIGINT while it embeds; it must stop
within seconds with one line ("ragkit: interrupted") and exit status 130 — no traceback, no
"terminate called without an active exception" from torch's threads — and the index that
was already in --out must still load, unchanged.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from ragkit.indexes import BM25Index
from ragkit.indexes.store import read_manifest
from tests.indexes.conftest import make_chunks

ROOT = Path(__file__).resolve().parents[2]
WORDS = (
    "revenue margin freight carloads grain coal fuel diesel hedging liquidity covenant lease "
    "goodwill impairment segment backlog pricing dividend buyback depreciation pension SOFR"
).split()


def _corpus(folder: Path, files: int = 60) -> None:
    """Filings of fresh text (a unique tag per run, so no embedding is already cached)."""
    folder.mkdir()
    tag = uuid.uuid4().hex[:10]
    for d in range(files):
        paras = [
            f"Section {p} of filing {d} ({tag}). "
            + " ".join(WORDS[(d * 7 + p * 3 + i) % len(WORDS)] for i in range(60))
            + "."
            for p in range(6)
        ]
        (folder / f"filing{d:03d}.txt").write_text("\n\n".join(paras) + "\n")


def _read_stderr(proc: subprocess.Popen[bytes], out: list[bytes], seen: threading.Event) -> None:
    assert proc.stderr is not None
    for chunk in iter(lambda: proc.stderr.read1(4096), b""):  # type: ignore[union-attr]
        out.append(chunk)
        if b"Embedding" in b"".join(out[-3:]) or b"text/s" in chunk:
            seen.set()


def test_sigint_during_index_stops_cleanly_and_keeps_the_old_index(tmp_path: Path) -> None:
    out = tmp_path / "idx"
    old = BM25Index()
    old.add(make_chunks())
    old.save(out)
    before = read_manifest(out, "BM25Index")
    corpus = tmp_path / "corpus"
    _corpus(corpus)
    proc = subprocess.Popen(
        [sys.executable, "-m", "ragkit.cli", "index", str(corpus), "--out", str(out)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    err: list[bytes] = []
    embedding = threading.Event()
    reader = threading.Thread(target=_read_stderr, args=(proc, err, embedding), daemon=True)
    reader.start()
    try:
        assert embedding.wait(240), b"".join(err).decode(errors="replace")[-2000:]
        time.sleep(1.0)  # well inside the encode
        proc.send_signal(signal.SIGINT)
        sent = time.monotonic()
        code = proc.wait(timeout=60)
        stopped_in = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
    reader.join(timeout=10)
    stderr = b"".join(err).decode(errors="replace")
    assert code == 130, stderr[-2000:]
    assert stopped_in < 10, f"took {stopped_in:.1f}s to stop"
    assert stderr.rstrip().splitlines()[-1] == "ragkit: interrupted", stderr[-2000:]
    assert "Traceback" not in stderr and "terminate called" not in stderr, stderr[-2000:]
    # the previous index is untouched and loads
    assert read_manifest(out, "BM25Index") == before
    assert [c.id for c in BM25Index.load(out).chunks] == [c.id for c in old.chunks]
    print(f"SIGINT mid-embedding: exit 130 after {stopped_in:.2f}s")
