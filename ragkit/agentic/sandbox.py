"""Confinement of the agentic tools to one corpus root.

Every file a tool reads is opened here, relative to a file descriptor of the root, one path
component at a time with `O_NOFOLLOW`: symlinks are resolved by this code (followed only
while they stay inside the root), so swapping a folder for a symlink while a read runs cannot
lead outside (no check-then-open race). `..` components, absolute paths outside the root,
symlinks leading outside, symlink loops and anything that is not a regular file (devices,
FIFOs, sockets: opened non-blocking, so a FIFO never hangs) are refused with `SandboxError`.

Hard links: a regular file with more than one link may be the same file as one outside the
root, and nothing can tell where its other names live; such files are refused unless the
sandbox is built with `allow_hardlinks=True`.
"""

from __future__ import annotations

import errno
import fnmatch
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from types import TracebackType

from ragkit.errors import ConfigError, QueryError, SandboxError
from ragkit.parsers.corpus import corpus_files

#: File suffixes the tools treat as documents; other files are searched only if they look
#: like text (no NUL byte in their first 8 KiB).
TEXT_SUFFIXES: frozenset[str] = frozenset(
    {".htm", ".html", ".xhtml", ".xml", ".txt", ".text", ".md", ".markdown", ".rst"}
)
_BINARY_SUFFIXES: frozenset[str] = frozenset(
    {".pdf", ".zip", ".gz", ".png", ".jpg", ".jpeg", ".gif", ".npy", ".faiss", ".pkl", ".bin"}
)
#: Symlinks followed while opening one path, as the kernel allows (ELOOP past it).
_MAX_SYMLINKS = 40
_OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)


@dataclass(slots=True)
class OpenFile:
    """A regular file opened inside the sandbox: read it only through `fd`.

    `rel` is its corpus-relative name after resolving symlinks, `path` the root joined with
    it, `st` its `fstat`. Close it (or use it as a context manager).
    """

    fd: int
    rel: str
    path: Path
    st: os.stat_result

    def read(self, limit: int | None = None) -> bytes:
        """The file's bytes from the start, at most `limit` of them."""
        size = self.st.st_size if limit is None else min(limit, self.st.st_size)
        chunks: list[bytes] = []
        offset = 0
        while offset < size:
            chunk = os.pread(self.fd, min(size - offset, 1 << 24), offset)
            if not chunk:
                break
            chunks.append(chunk)
            offset += len(chunk)
        return b"".join(chunks)

    def close(self) -> None:
        """Close the descriptor (idempotent)."""
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self) -> OpenFile:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class Sandbox:
    """A corpus root plus the rules that keep every tool call inside it."""

    def __init__(self, root: str | os.PathLike[str], *, allow_hardlinks: bool = False) -> None:
        path = Path(root).expanduser()
        if not path.is_dir():
            raise ConfigError(f"corpus root must be an existing directory, got {str(root)!r}")
        self.root = path.resolve(strict=True)
        self._given = Path(os.path.abspath(path))
        self.allow_hardlinks = allow_hardlinks

    def relative(self, path: Path) -> str:
        """The corpus-relative POSIX name of a path inside the root (as listed or resolved)."""
        for base in (self.root, self._given):
            if path.is_relative_to(base):
                return path.relative_to(base).as_posix()
        return path.resolve().relative_to(self.root).as_posix()

    def resolve(self, name: str | os.PathLike[str]) -> Path:
        """The regular file `name` names inside the root, symlinks resolved; raises
        `SandboxError` (a missing file or a directory: `QueryError`)."""
        with self.open(name) as f:
            return f.path

    def open(self, name: str | os.PathLike[str]) -> OpenFile:
        """Open the regular file `name` names inside the root (see the module docstring)."""
        raw = os.fspath(name)
        parts = self._parts(raw)
        try:
            root_fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0))
        except OSError as exc:
            raise SandboxError(f"corpus root {self.root} is gone: {exc.strerror or exc}") from exc
        try:
            return _Walk(self, raw, root_fd).open(parts)
        finally:
            os.close(root_fd)

    def _parts(self, raw: str) -> list[str]:
        """The corpus-relative components of a requested name (lexical checks only)."""
        if not raw or "\x00" in raw:
            raise SandboxError(f"invalid path {raw!r}: expected a file name inside the corpus")
        posix = PurePosixPath(raw.replace("\\", "/"))
        if ".." in posix.parts:
            raise SandboxError(f"path {raw!r} uses '..'; paths must stay inside {self.root}")
        given = Path(raw)
        if not given.is_absolute():
            return [p for p in posix.parts if p not in ("", ".")]
        for base in (self.root, self._given):
            if given.is_relative_to(base):
                return list(given.relative_to(base).parts)
        resolved = Path(os.path.realpath(given))
        if not resolved.is_relative_to(self.root):
            raise SandboxError(
                f"path {raw!r} resolves to {resolved}, outside the corpus root {self.root}"
            )
        return list(resolved.relative_to(self.root).parts)

    def files(self, pattern: str | None = None, skipped: list[str] | None = None) -> list[Path]:
        """Searchable regular files under the root (sorted by name), optionally by glob.

        Listed by `ragkit.parsers.corpus.corpus_files` (the loader's rule: symlinked files
        followed only inside the root, hidden entries skipped); files the sandbox refuses
        (special files, hard links) and binary files are left out, the refused ones with a
        line in `skipped` when it is given.
        """
        found: list[Path] = []
        for path in corpus_files(self.root, skipped):
            rel = path.relative_to(self.root).as_posix()
            if pattern and not match_glob(rel, pattern):
                continue
            try:
                with self.open(rel) as f:
                    if is_text(f):
                        found.append(path)
            except (SandboxError, QueryError, OSError) as exc:
                if skipped is not None:
                    skipped.append(f"{rel}: {exc}")
        return found


class _Walk:
    """Resolves one requested name component by component below the root's descriptor."""

    def __init__(self, box: Sandbox, raw: str, root_fd: int) -> None:
        self.box = box
        self.raw = raw
        self.root_fd = root_fd
        self.fds: list[int] = []  # descriptors of the folders entered, below the root
        self.names: list[str] = []
        self.links = 0

    def _dir(self) -> int:
        return self.fds[-1] if self.fds else self.root_fd

    def _up(self) -> None:
        if not self.names:
            raise SandboxError(
                f"path {self.raw!r} leads outside the corpus root {self.box.root} (via a symlink)"
            )
        os.close(self.fds.pop())
        self.names.pop()

    def open(self, parts: list[str]) -> OpenFile:
        try:
            return self._open(list(reversed(parts)))
        finally:
            for fd in self.fds:
                os.close(fd)

    def _open(self, todo: list[str]) -> OpenFile:
        """`todo`: the components left, last one first (a stack)."""
        if not todo:
            raise QueryError(f"{self.raw!r} is a directory; expected a file (use glob to list)")
        while todo:
            part = todo.pop()
            if part in ("", "."):
                continue
            if part == "..":
                self._up()
                continue
            last = not todo
            try:
                info = os.stat(part, dir_fd=self._dir(), follow_symlinks=False)
            except (FileNotFoundError, NotADirectoryError) as exc:
                raise QueryError(f"no file {self.raw!r} in the corpus {self.box.root}") from exc
            except OSError as exc:  # permission denied, name too long, ...
                raise SandboxError(f"cannot read {self.raw!r}: {exc.strerror or exc}") from exc
            if stat.S_ISLNK(info.st_mode):
                self._follow(part, todo)
                continue
            if stat.S_ISDIR(info.st_mode) and last:
                raise QueryError(f"{self.raw!r} is a directory; expected a file (use glob to list)")
            if not stat.S_ISDIR(info.st_mode) and not last:
                raise QueryError(f"no file {self.raw!r} in the corpus {self.box.root}")
            if not stat.S_ISDIR(info.st_mode) and not stat.S_ISREG(info.st_mode):
                raise SandboxError(f"{self.raw!r} is not a regular file (device, FIFO or socket)")
            fd = self._open_component(part, last, todo)
            if fd is None:
                continue  # it became a symlink meanwhile: resolved on the next turn
            if not last:
                self.fds.append(fd)
                self.names.append(part)
                continue
            return self._checked(fd, part)
        raise QueryError(f"{self.raw!r} is a directory; expected a file (use glob to list)")

    def _open_component(self, part: str, last: bool, todo: list[str]) -> int | None:
        flags = _OPEN_FLAGS | (0 if last else os.O_DIRECTORY)
        try:
            return os.open(part, flags, dir_fd=self._dir())
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.EMLINK):  # swapped for a symlink after stat
                self._count_link()
                todo.append(part)
                return None
            if exc.errno in (errno.ENOENT, errno.ENOTDIR):
                raise QueryError(f"no file {self.raw!r} in the corpus {self.box.root}") from exc
            raise SandboxError(f"cannot open {self.raw!r}: {exc.strerror or exc}") from exc

    def _count_link(self) -> None:
        self.links += 1
        if self.links > _MAX_SYMLINKS:
            raise SandboxError(f"path {self.raw!r} cannot be resolved: a symlink loop")

    def _follow(self, part: str, todo: list[str]) -> None:
        """Replace symlink `part` by its target's components (resolved from here or the root)."""
        self._count_link()
        try:
            target = os.readlink(part, dir_fd=self._dir())
        except OSError as exc:  # changed since the lstat: look at it again
            if exc.errno == errno.EINVAL:  # no longer a symlink
                todo.append(part)
                return
            raise QueryError(f"no file {self.raw!r} in the corpus {self.box.root}") from exc
        parts = list(PurePosixPath(target).parts)
        if target.startswith("/"):
            absolute = Path(target)
            base = next(
                (b for b in (self.box.root, self.box._given) if absolute.is_relative_to(b)), None
            )
            if base is None:
                raise SandboxError(
                    f"path {self.raw!r} leads to {target}, outside the corpus root "
                    f"{self.box.root} (via a symlink)"
                )
            while self.names:
                self._up()
            parts = list(absolute.relative_to(base).parts)
        todo.extend(reversed(parts))

    def _checked(self, fd: int, part: str) -> OpenFile:
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise SandboxError(f"{self.raw!r} is not a regular file (device, FIFO or socket)")
            if st.st_nlink > 1 and not self.box.allow_hardlinks:
                raise SandboxError(
                    f"{self.raw!r} has {st.st_nlink} hard links; one may be a file outside the "
                    "corpus, so it is not read (copy it, or allow hard links explicitly)"
                )
        except BaseException:
            os.close(fd)
            raise
        rel = "/".join([*self.names, part])
        return OpenFile(fd, rel, self.box.root / rel, st)


def match_glob(rel: str, pattern: str) -> bool:
    """Whether a corpus-relative name matches a glob (on the whole path or the file name);
    one level of braces is expanded: ``{a.htm,b.htm}`` matches either."""
    brace = re.search(r"\{([^{}]*)\}", pattern)
    if brace:
        return any(
            match_glob(rel, pattern[: brace.start()] + alt + pattern[brace.end() :])
            for alt in brace.group(1).split(",")
        )
    if pattern.startswith("./"):
        pattern = pattern[2:]
    if fnmatch.fnmatch(rel, pattern) or fnmatch.fnmatch(rel.rsplit("/", 1)[-1], pattern):
        return True
    return "**" in pattern and PurePosixPath(rel).match(pattern.replace("**/", ""))


def is_text(f: OpenFile) -> bool:
    """True for known document suffixes, or unknown ones without NUL bytes up front."""
    suffix = PurePosixPath(f.rel).suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return True
    if suffix in _BINARY_SUFFIXES:
        return False
    return b"\x00" not in f.read(8192)
