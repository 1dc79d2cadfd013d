"""The agent's sandbox: every escape refused, races included, and no special file hangs it."""

from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path
from typing import Any

import pytest

from ragkit.agentic.sandbox import Sandbox
from ragkit.agentic.tools import Tools
from ragkit.errors import QueryError, SandboxError

INSIDE = "ITEM 7. MANAGEMENT'S DISCUSSION\n\nOperating lease expense was $212 million in 2024.\n"
SECRET = "the launch code is 0000\n"


@pytest.fixture()
def layout(tmp_path: Path) -> tuple[Path, Path]:
    """corpus/ with a document in a folder, and outside/ with a secret at the same path."""
    corpus, outside = tmp_path / "corpus", tmp_path / "outside"
    (corpus / "filings").mkdir(parents=True)
    (outside / "filings").mkdir(parents=True)
    (corpus / "filings" / "acme.txt").write_text(INSIDE, encoding="utf-8")
    (outside / "filings" / "acme.txt").write_text(SECRET, encoding="utf-8")
    return corpus, outside


def _swapper(corpus: str, outside: str, stop: Any, started: Any) -> None:
    """Swap corpus/filings for a symlink to outside/filings and back, as fast as possible
    (run in its own process, so the swaps race the reads for real)."""
    real, parked = os.path.join(corpus, "filings"), os.path.join(corpus, "parked")
    target = os.path.join(outside, "filings")
    started.set()
    while not stop.is_set():
        os.rename(real, parked)
        os.symlink(target, real)
        os.unlink(real)
        os.rename(parked, real)


class _Swapping:
    """Context manager running `_swapper` in a spawned process."""

    def __init__(self, corpus: Path, outside: Path) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.stop, self.started = ctx.Event(), ctx.Event()
        args = (str(corpus), str(outside), self.stop, self.started)
        self.proc = ctx.Process(target=_swapper, args=args)

    def __enter__(self) -> _Swapping:
        self.proc.start()
        assert self.started.wait(60), "the swapping process did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.proc.join(10)


def _read_racing(box: Sandbox, tries: int) -> tuple[int, int, int]:
    leaks = reads = refused = 0
    for _ in range(tries):
        try:
            with box.open("filings/acme.txt") as f:
                data = f.read()
        except (SandboxError, QueryError):
            refused += 1  # caught mid-swap: the symlink leads outside, or nothing is there
            continue
        reads += 1
        leaks += b"launch code" in data
    return leaks, reads, refused


def test_swapping_a_folder_for_a_symlink_never_leaks(layout: tuple[Path, Path]) -> None:
    corpus, outside = layout
    leaks = reads = refused = 0
    with _Swapping(corpus, outside):
        # rounds until both states were hit 30 times: on a loaded machine the swapping process
        # can hold one state for most of a round (20 reads in 3,000 tries under load 4)
        for _ in range(20):
            more_leaks, more_reads, more_refused = _read_racing(Sandbox(corpus), 1000)
            leaks, reads, refused = leaks + more_leaks, reads + more_reads, refused + more_refused
            if reads > 30 and refused > 30:
                break
    assert leaks == 0
    assert reads > 30 and refused > 30, (reads, refused)  # both states were hit


def test_tools_read_under_the_swap_race_never_leaks(
    layout: tuple[Path, Path], tmp_path: Path
) -> None:
    corpus, outside = layout
    tools = Tools(corpus, view_cache=tmp_path / "views")
    texts: list[str] = []
    with _Swapping(corpus, outside):
        for _ in range(300):
            try:
                texts.append(tools.read("filings/acme.txt").body)
            except (SandboxError, QueryError):
                continue  # a read spans several opens: under fast swaps most are refused
    assert not any("launch code" in t for t in texts)
    # refusals came from the race, not from a broken read: once the swaps stop, it reads
    assert "Operating lease expense" in tools.read("filings/acme.txt").body


def test_every_escape_is_refused(layout: tuple[Path, Path], tmp_path: Path) -> None:
    corpus, outside = layout
    sibling = tmp_path / "corpus-private"  # shares the root's prefix
    sibling.mkdir()
    (sibling / "notes.txt").write_text(SECRET, encoding="utf-8")
    (corpus / "out.txt").symlink_to(outside / "filings" / "acme.txt")
    (corpus / "outdir").symlink_to(outside, target_is_directory=True)
    (corpus / "relative-out.txt").symlink_to("../outside/filings/acme.txt")
    (corpus / "loop-a").symlink_to("loop-b")
    (corpus / "loop-b").symlink_to("loop-a")
    (corpus / "proc").symlink_to("/proc/self/root/etc/hostname")
    box = Sandbox(corpus)
    for name in [
        "../outside/filings/acme.txt",
        str(outside / "filings" / "acme.txt"),
        str(sibling / "notes.txt"),
        "out.txt",
        "outdir/filings/acme.txt",
        "relative-out.txt",
        "loop-a",
        "proc",
        "/proc/self/root" + str(outside / "filings" / "acme.txt"),
        "/etc/passwd",
        "filings/../../outside/filings/acme.txt",
        "**/../../outside/filings/acme.txt",
        "",
        "filings/acme.txt\x00.htm",
    ]:
        with pytest.raises(SandboxError):
            box.open(name)
    tools = Tools(corpus, view_cache=tmp_path / "views")
    listed = tools.glob("*").text
    assert "acme.txt" in listed and "out.txt" not in listed and "outdir" not in listed
    assert "launch code" not in tools.grep("launch code|lease").text


def test_symlinks_inside_the_root_are_followed(layout: tuple[Path, Path]) -> None:
    corpus, _ = layout
    (corpus / "alias.txt").symlink_to("filings/acme.txt")
    (corpus / "abs-alias.txt").symlink_to(corpus / "filings" / "acme.txt")
    (corpus / "filings" / "up.txt").symlink_to("../alias.txt")  # .. that stays inside
    box = Sandbox(corpus)
    for name in ("alias.txt", "abs-alias.txt", "filings/up.txt"):
        with box.open(name) as f:
            assert f.rel == "filings/acme.txt"
            assert f.read() == INSIDE.encode()


def test_fifo_and_devices_are_refused_without_hanging(layout: tuple[Path, Path]) -> None:
    corpus, _ = layout
    os.mkfifo(corpus / "pipe.txt")
    (corpus / "pipe-link.txt").symlink_to("pipe.txt")
    (corpus / "null.txt").symlink_to("/dev/null")
    box = Sandbox(corpus)
    t0 = time.perf_counter()
    for name in ("pipe.txt", "pipe-link.txt", "null.txt", "/dev/zero", "/dev/stdin"):
        with pytest.raises(SandboxError):
            box.open(name)
    assert time.perf_counter() - t0 < 2.0
    assert [p.name for p in box.files()] == ["acme.txt"]


def test_hardlinks_are_refused_unless_allowed(layout: tuple[Path, Path], tmp_path: Path) -> None:
    corpus, outside = layout
    os.link(outside / "filings" / "acme.txt", corpus / "hard.txt")
    with pytest.raises(SandboxError, match="hard links"):
        Sandbox(corpus).open("hard.txt")
    skipped: list[str] = []
    assert [p.name for p in Sandbox(corpus).files(skipped=skipped)] == ["acme.txt"]
    assert any("hard.txt" in s and "hard links" in s for s in skipped)
    with Sandbox(corpus, allow_hardlinks=True).open("hard.txt") as f:
        assert f.read() == SECRET.encode()  # the documented opt-in
    tools = Tools(corpus, view_cache=tmp_path / "views")
    assert "launch code" not in tools.grep("launch").text


def test_dangling_symlink_and_directory_are_query_errors(layout: tuple[Path, Path]) -> None:
    corpus, _ = layout
    (corpus / "gone.txt").symlink_to("missing.txt")
    box = Sandbox(corpus)
    with pytest.raises(QueryError, match="no file"):
        box.open("gone.txt")
    with pytest.raises(QueryError, match="directory"):
        box.open("filings")
    with pytest.raises(QueryError, match="no file"):
        box.open("filings/acme.txt/inside")
