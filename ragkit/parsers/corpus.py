"""Which files of a folder are documents: one rule for `ragkit index` (the loader) and the agent.

Folders are walked recursively in name order and hidden entries (names starting with ".")
are skipped. A symlinked file is followed when its target lies inside the folder, and
skipped, with a warning naming it, when it leads outside (or dangles, or loops): the agent
must never read outside its folder, and indexing follows the same rule so that both see the
same corpus. Symlinked folders are not descended (every file is listed once, loops are
impossible); they are reported too.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from ragkit.errors import ConfigError

logger = logging.getLogger(__name__)


def corpus_files(
    folder: str | os.PathLike[str], skipped: list[str] | None = None
) -> Iterator[Path]:
    """The document files under `folder` (see the module docstring), as `folder / relative`.

    Each file left out by the symlink rule is logged and, when `skipped` is given, appended to
    it as one line of explanation (callers put them in their "no documents found" errors).
    """
    top = Path(folder)
    root = top.resolve()
    for dirpath, dirnames, filenames in os.walk(top):
        here = Path(dirpath)
        kept = []
        for name in sorted(dirnames):
            if name.startswith("."):
                continue
            if (here / name).is_symlink():
                _skip(skipped, f"{here / name}: a symlinked folder (folders are not followed)")
                continue
            kept.append(name)
        dirnames[:] = kept
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            path = here / name
            if path.is_symlink():
                reason = _symlink_problem(path, root)
                if reason:
                    _skip(skipped, f"{path}: {reason}")
                    continue
            yield path


def _symlink_problem(path: Path, root: Path) -> str | None:
    """Why a symlinked file cannot be followed, or None when its target is inside `root`."""
    try:
        target = path.resolve(strict=True)
    except FileNotFoundError:
        return "a dangling symlink"
    except (OSError, RuntimeError):
        return "a symlink loop"
    if not target.is_relative_to(root):
        return (
            f"a symlink to {target}, outside {root} (symlinks are followed only inside the "
            "folder; pass the target's folder instead)"
        )
    return None


def _skip(skipped: list[str] | None, message: str) -> None:
    logger.warning("skipped %s", message)
    if skipped is not None:
        skipped.append(message)


def no_documents_error(
    paths: Sequence[str | os.PathLike[str]], skipped: Sequence[str]
) -> ConfigError:
    """The error for a corpus that yields no document (never a silent empty result)."""
    where = ", ".join(str(p) for p in paths[:3]) + (" ..." if len(paths) > 3 else "")
    message = f"no documents found in {where}; expected HTML, text, Markdown, PDF or .docx files"
    if skipped:
        shown = "; ".join(skipped[:5]) + (
            f"; and {len(skipped) - 5} more" if len(skipped) > 5 else ""
        )
        message += f" ({len(skipped)} skipped: {shown})"
    else:
        message += " (hidden files and folders, whose names start with '.', are skipped)"
    return ConfigError(message)
