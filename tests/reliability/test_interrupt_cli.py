"""Ctrl-C during `ragkit index` and `ragkit bench`: a real process is sent SIGINT while it
embeds; it must stop within seconds with one line ("ragkit: interrupted") and exit status
130 — no traceback, no "terminate called without an active exception" from torch's threads
— and the index that was already in --out must still load, unchanged.
"""

from __future__ import annotations

import json
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


def _beir(folder: Path, docs: int = 240) -> None:
    """A small BEIR-format data set of fresh text (corpus, queries, test qrels)."""
    folder.mkdir()
    (folder / "qrels").mkdir()
    tag = uuid.uuid4().hex[:10]
    with (folder / "corpus.jsonl").open("w") as fh:
        for d in range(docs):
            words = " ".join(WORDS[(d * 5 + i) % len(WORDS)] for i in range(80))
            fh.write(json.dumps({"_id": f"d{d}", "title": f"Note {d} {tag}", "text": words}))
            fh.write("\n")
    with (folder / "queries.jsonl").open("w") as fh:
        for q in range(5):
            fh.write(json.dumps({"_id": f"q{q}", "text": f"{WORDS[q]} {WORDS[q + 3]}"}) + "\n")
    rows = "".join(f"q{q}\td{q * 7}\t1\n" for q in range(5))
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\n" + rows)


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _interrupt(args: list[str]) -> tuple[int, float, str]:
    """Run `ragkit ARGS`, send SIGINT 1 s into its embedding; (exit status, seconds it took
    to stop, stderr)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "ragkit.cli", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        # a job started in the background by a non-interactive shell (as CI may run the
        # suite) inherits SIGINT ignored, and a command that ignores SIGINT rightly keeps
        # running: give the child the terminal's default, as a user's shell does
        preexec_fn=_default_sigint,
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
    return code, stopped_in, b"".join(err).decode(errors="replace")


def _check_stopped(code: int, stopped_in: float, stderr: str) -> None:
    assert code == 130, stderr[-2000:]
    assert stopped_in < 10, f"took {stopped_in:.1f}s to stop"
    assert stderr.rstrip().splitlines()[-1] == "ragkit: interrupted", stderr[-2000:]
    assert "Traceback" not in stderr and "terminate called" not in stderr, stderr[-2000:]


def test_sigint_during_bench_stops_cleanly(tmp_path: Path) -> None:
    data = tmp_path / "beir"
    _beir(data)
    args = ["bench", "--dataset", f"beir:{data}", "--systems", "dense", "--out"]
    code, stopped_in, stderr = _interrupt([*args, str(tmp_path / "report"), "--no-cache"])
    _check_stopped(code, stopped_in, stderr)
    print(f"SIGINT mid-bench: exit 130 after {stopped_in:.2f}s")


def test_sigint_during_index_stops_cleanly_and_keeps_the_old_index(tmp_path: Path) -> None:
    out = tmp_path / "idx"
    old = BM25Index()
    old.add(make_chunks())
    old.save(out)
    before = read_manifest(out, "BM25Index")
    corpus = tmp_path / "corpus"
    _corpus(corpus)
    code, stopped_in, stderr = _interrupt(["index", str(corpus), "--out", str(out)])
    _check_stopped(code, stopped_in, stderr)
    # the previous index is untouched and loads
    assert read_manifest(out, "BM25Index") == before
    assert [c.id for c in BM25Index.load(out).chunks] == [c.id for c in old.chunks]
    print(f"SIGINT mid-embedding: exit 130 after {stopped_in:.2f}s")
