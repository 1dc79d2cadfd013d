"""Confinement of the agentic tools to one corpus root.

Every path a tool receives is resolved here: absolute paths outside the root, ``..``
components, symlinks that lead outside and anything that is not a regular file (devices,
FIFOs, sockets) are refused with `SandboxError`, before any byte is read.
"""

from __future__ import annotations

import fnmatch
import os
import re
import stat
from pathlib import Path, PurePosixPath

from ragkit.errors import ConfigError, QueryError, SandboxError

#: File suffixes the tools treat as documents; other files are searched only if they look
#: like text (no NUL byte in their first 8 KiB).
TEXT_SUFFIXES: frozenset[str] = frozenset(
    {".htm", ".html", ".xhtml", ".xml", ".txt", ".text", ".md", ".markdown", ".rst"}
)
_BINARY_SUFFIXES: frozenset[str] = frozenset(
    {".pdf", ".zip", ".gz", ".png", ".jpg", ".jpeg", ".gif", ".npy", ".faiss", ".pkl", ".bin"}
)


class Sandbox:
    """A corpus root plus the rules that keep every tool call inside it."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        path = Path(root).expanduser()
        if not path.is_dir():
            raise ConfigError(f"corpus root must be an existing directory, got {str(root)!r}")
        self.root = path.resolve(strict=True)

    def relative(self, path: Path) -> str:
        """The corpus-relative POSIX name of a resolved path inside the root."""
        return path.relative_to(self.root).as_posix()

    def resolve(self, name: str | os.PathLike[str]) -> Path:
        """The resolved regular file `name` names inside the root; raises `SandboxError`.

        A missing file raises `QueryError` (the request is wrong, not dangerous).
        """
        raw = str(name)
        if not raw or "\x00" in raw:
            raise SandboxError(f"invalid path {raw!r}: expected a file name inside the corpus")
        given = Path(raw)
        if ".." in PurePosixPath(raw.replace("\\", "/")).parts:
            raise SandboxError(f"path {raw!r} uses '..'; paths must stay inside {self.root}")
        candidate = given if given.is_absolute() else self.root / given
        try:
            resolved = candidate.resolve(strict=False)
        except (OSError, RuntimeError) as exc:  # symlink loops
            raise SandboxError(f"path {raw!r} cannot be resolved: {exc}") from exc
        if not resolved.is_relative_to(self.root):
            raise SandboxError(
                f"path {raw!r} resolves to {resolved}, outside the corpus root {self.root}"
            )
        try:
            mode = os.stat(resolved).st_mode
        except FileNotFoundError as exc:
            raise QueryError(f"no file {raw!r} in the corpus {self.root}") from exc
        if stat.S_ISDIR(mode):
            raise QueryError(f"{raw!r} is a directory; expected a file (use glob to list)")
        if not stat.S_ISREG(mode):
            raise SandboxError(f"{raw!r} is not a regular file (device, FIFO or socket)")
        return resolved

    def files(self, pattern: str | None = None) -> list[Path]:
        """Searchable regular files under the root (sorted by name), optionally by glob.

        Symlinks are followed only when they resolve inside the root; hidden files and
        folders, binary files and special files are skipped.
        """
        found: list[Path] = []
        for dirpath, dirnames, filenames in os.walk(self.root, followlinks=False):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for fname in sorted(filenames):
                if fname.startswith("."):
                    continue
                path = Path(dirpath) / fname
                try:
                    resolved = self.resolve(path)
                except (SandboxError, QueryError):
                    continue
                rel = path.relative_to(self.root).as_posix()
                if pattern and not match_glob(rel, pattern):
                    continue
                if is_text_file(resolved):
                    found.append(path)
        return found


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


def is_text_file(path: Path) -> bool:
    """True for known document suffixes, or unknown ones without NUL bytes up front."""
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return True
    if suffix in _BINARY_SUFFIXES:
        return False
    try:
        with open(path, "rb") as fh:
            return b"\x00" not in fh.read(8192)
    except OSError:
        return False
