"""Locks for indexes: a readers-writer lock (searches run together, add/delete run alone) and
a folder lock (`fcntl.flock` on `.lock` in an index folder) that serialises writers of one
index folder across threads and processes.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ragkit.errors import ConcurrentModificationError

log = logging.getLogger(__name__)

#: The lock file inside an index folder (empty; only its flock matters).
LOCK_NAME = ".lock"


class ReadWriteLock:
    """Many readers or one writer; a waiting writer holds back new readers (no starvation).

    The writing thread may take the read side too (a save inside an update); a reader must
    not take the read side of the same lock again (a waiting writer would block it).
    """

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._readers = 0
        self._writer: int | None = None
        self._depth = 0
        self._waiting = 0

    @contextmanager
    def read(self) -> Iterator[None]:
        """Hold the read side (shared with other readers)."""
        me = threading.get_ident()
        with self._cond:
            own = self._writer == me
            if not own:
                while self._writer is not None or self._waiting:
                    self._cond.wait()
                self._readers += 1
        try:
            yield
        finally:
            if not own:
                with self._cond:
                    self._readers -= 1
                    if not self._readers:
                        self._cond.notify_all()

    @contextmanager
    def write(self) -> Iterator[None]:
        """Hold the write side (alone; re-entrant in the writing thread)."""
        me = threading.get_ident()
        with self._cond:
            if self._writer == me:
                self._depth += 1
            else:
                self._waiting += 1
                try:
                    while self._writer is not None or self._readers:
                        self._cond.wait()
                finally:
                    self._waiting -= 1
                self._writer, self._depth = me, 1
        try:
            yield
        finally:
            with self._cond:
                self._depth -= 1
                if not self._depth:
                    self._writer = None
                    self._cond.notify_all()


_held: dict[str, tuple[int, int]] = {}  # folder -> (owning thread, depth) in this process
_held_guard = threading.Lock()


def _owned(key: str) -> bool:
    with _held_guard:
        owner = _held.get(key)
        if owner is not None and owner[0] == threading.get_ident():
            _held[key] = (owner[0], owner[1] + 1)
            return True
    return False


def _release_owned(key: str) -> bool:
    """Drop one level of a re-entrant hold; True when the lock is still held after it."""
    with _held_guard:
        owner, depth = _held[key]
        if depth > 1:
            _held[key] = (owner, depth - 1)
            return True
        del _held[key]
        return False


def _flock(fd: int, blocking: bool) -> bool:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: threads are still serialised
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
    except BlockingIOError:
        return False
    return True


@contextmanager
def folder_lock(folder: Path, timeout: float | None = None) -> Iterator[None]:
    """Hold the writer lock of index folder `folder` (created if needed); re-entrant in the
    holding thread. Waits at most `timeout` seconds (None: forever), then raises
    ConcurrentModificationError."""
    folder.mkdir(parents=True, exist_ok=True)
    key = str(folder.resolve())
    if _owned(key):
        try:
            yield
        finally:
            _release_owned(key)
        return
    fd = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = None if timeout is None else time.monotonic() + timeout
        while not _flock(fd, blocking=False):
            if deadline is not None and time.monotonic() >= deadline:
                raise ConcurrentModificationError(
                    f"another writer holds the lock of index {folder} ({folder / LOCK_NAME}) "
                    f"after waiting {timeout:.1f}s; retry when it is done"
                )
            time.sleep(0.01)
        with _held_guard:
            _held[key] = (threading.get_ident(), 1)
        try:
            yield
        finally:
            _release_owned(key)
    finally:
        os.close(fd)  # closing the descriptor releases the flock


def try_folder_lock(folder: Path) -> int | None:
    """The descriptor of `folder`'s lock taken without waiting, or None when another writer
    holds it (or the folder is read-only); close the descriptor to release it."""
    try:
        fd = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        return None
    if _flock(fd, blocking=False):
        return fd
    os.close(fd)
    return None
