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
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ragkit.errors import QueryError, ToolTimeoutError

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class GrepLine:
    """One output line: file index, 1-based line number, text, and whether it matched.

    `start` is the character offset of the first match in a matched line (-1 when unknown or a
    context line): callers clip long lines around it without running the pattern again.
    """

    file_index: int
    line: int
    text: str
    is_match: bool
    start: int = field(default=-1, compare=False)


def find_rg() -> str | None:
    """The ripgrep binary: next to the running interpreter (the venv's wheel), else on PATH."""
    beside = Path(sys.executable).parent / "rg"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("rg")


def _python_flags(ignore_case: bool) -> int:
    import re

    return (re.IGNORECASE if ignore_case else 0) | re.MULTILINE


#: Longest pattern accepted, in characters.
MAX_PATTERN_CHARS = 4_000
#: Largest product of nested counted repeats (`(?:a{100}){100}` = 10,000): the regex module
#: expands counted repeats when compiling, so `(?:a{10000}){10000}` would never finish.
MAX_REPEAT_PRODUCT = 10_000
_COUNT = re.compile(r"\{(\d*)(?:,(\d*))?\}")


def check_pattern_size(pattern: str) -> None:
    """Refuse patterns whose compilation alone is unbounded (`QueryError`)."""
    if len(pattern) > MAX_PATTERN_CHARS:
        raise QueryError(
            f"grep pattern of {len(pattern):,} characters; expected at most {MAX_PATTERN_CHARS:,}"
        )
    weight = repeat_product(pattern)
    if weight > MAX_REPEAT_PRODUCT:
        raise QueryError(
            f"grep pattern {pattern[:80]!r} nests counted repeats multiplying to {weight:,}; "
            f"expected at most {MAX_REPEAT_PRODUCT:,} (use + or * for open-ended repeats)"
        )


def repeat_product(pattern: str) -> int:
    """The largest product of nested `{m,n}` counts in a pattern (1 when it has none)."""
    groups: list[list[int]] = [[1, 1]]  # per open group: [largest weight inside, last atom's]
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        top = groups[-1]
        if c == "\\":
            end = i + 2
            if pattern[i + 1 : i + 2] in ("p", "P", "N", "x") and pattern[end : end + 1] == "{":
                end = pattern.find("}", end) + 1 or n
            top[1], i = 1, end
        elif c == "[":
            i, top[1] = _class_end(pattern, i), 1
        elif c == "(":
            groups.append([1, 1])
            i += 1
        elif c == ")" and len(groups) > 1:
            inner = groups.pop()[0]
            groups[-1][1] = inner
            groups[-1][0] = max(groups[-1][0], inner)
            i += 1
        elif c == "{" and (m := _COUNT.match(pattern, i)) and (m.group(1) or m.group(2)):
            count = max(int(m.group(1) or 0), int(m.group(2) or 0), 1)
            top[1] = min(top[1] * count, 10**12)
            top[0] = max(top[0], top[1])
            i = m.end()
        else:
            top[1] = 1
            i += 1
    while len(groups) > 1:  # unbalanced: the compiler will refuse it
        inner = groups.pop()[0]
        groups[-1][0] = max(groups[-1][0], inner)
    return groups[0][0]


def _class_end(pattern: str, i: int) -> int:
    """The index after the character class that starts at `pattern[i] == "["`."""
    j = i + 1
    if pattern[j : j + 1] == "^":
        j += 1
    if pattern[j : j + 1] == "]":
        j += 1
    while j < len(pattern) and pattern[j] != "]":
        j += 2 if pattern[j] == "\\" else 1
    return j + 1


def compile_pattern(pattern: str, ignore_case: bool, word: bool):  # noqa: ANN201
    """Compile with the `regex` module (supports timeouts) or `re`; bad patterns → QueryError."""
    if not pattern:
        raise QueryError("empty grep pattern; expected a regular expression")
    check_pattern_size(pattern)
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
    """The pure-Python engine: the same results as `grep_rg`.

    The search runs in a worker thread that releases the GIL while matching, and the caller
    waits at most `timeout_s` of wall-clock time: the `regex` module's own timeout counts CPU
    time, which on a loaded machine is a fraction of the time that passes. A worker that is
    given up on stops at its next line or when its regex timeout (CPU) runs out.
    """
    compiled = compile_pattern(pattern, ignore_case, word)
    cancel = threading.Event()
    found: list[GrepLine] = []
    failed: list[BaseException] = []

    def work() -> None:
        try:
            search = _timed_search(compiled, pattern, timeout_s, cancel)
            found.extend(_grep_files(search, files, context, max_count))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            failed.append(exc)

    worker = threading.Thread(target=work, name="ragkit-grep", daemon=True)
    worker.start()
    worker.join(timeout_s)
    if worker.is_alive():
        cancel.set()
        raise ToolTimeoutError(f"grep {pattern!r} ran past {timeout_s:g} s")
    if failed:
        raise failed[0]
    return found


def _grep_files(
    search: Callable[[str], int], files: Sequence[Path], context: int, max_count: int
) -> list[GrepLine]:
    out: list[GrepLine] = []
    for fi, path in enumerate(files):
        lines = path.read_text(encoding="utf-8", errors="replace").split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        hits: dict[int, int] = {}  # line index -> start of its first match
        for i, line in enumerate(lines):
            start = search(line)
            if start >= 0:
                hits[i] = start
                if len(hits) >= max_count:
                    break
        # like ripgrep, after-context lines past the max-count-th match still show as matches
        if len(hits) >= max_count:
            last = max(hits)
            for j in range(last + 1, min(len(lines), last + context + 1)):
                start = search(lines[j])
                if start >= 0:
                    hits[j] = start
        out.extend(_with_context(fi, lines, hits, context, max_count))
    return out


def _timed_search(
    compiled: Any, pattern: str, timeout_s: float, cancel: threading.Event
) -> Callable[[str], int]:
    """A search function over lines sharing one deadline: the start of the first match or
    -1; past the deadline (a catastrophic pattern included) it raises `ToolTimeoutError`."""
    deadline = time.monotonic() + timeout_s
    supports_timeout = "regex" in type(compiled).__module__

    def search(line: str) -> int:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or cancel.is_set():
            raise ToolTimeoutError(f"grep {pattern!r} ran past {timeout_s:g} s")
        try:
            found = (
                compiled.search(line, timeout=remaining, concurrent=True)
                if supports_timeout
                else compiled.search(line)
            )
        except TimeoutError as exc:
            raise ToolTimeoutError(f"grep {pattern!r} ran past {timeout_s:g} s") from exc
        return found.start() if found else -1

    return search


def _with_context(
    fi: int, lines: list[str], hits: dict[int, int], context: int, max_count: int
) -> list[GrepLine]:
    """Matched lines plus `context` lines around each, merged, in line order."""
    if not hits:
        return []
    counted = sorted(hits)[:max_count]
    wanted: set[int] = set()
    last_hit = counted[-1]
    for h in counted:
        wanted.update(range(max(0, h - context), min(len(lines), h + context + 1)))
    # ripgrep stops reading a file after its max-count match and prints only its after-context
    wanted = {i for i in wanted if i <= last_hit + context}
    return [GrepLine(fi, i + 1, lines[i], i in hits, hits.get(i, -1)) for i in sorted(wanted)]


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
        raise QueryError(
            "ripgrep (rg) not found; pip install 'ragkit[ripgrep]' or use engine='python'"
        )
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
        start = _match_start(text, data.get("submatches") or []) if kind == "match" else -1
        out.append(GrepLine(fi, int(data["line_number"]), text, kind == "match", start))
    out.sort(key=lambda g: (g.file_index, g.line))
    return out


def _match_start(text: str, submatches: list[dict[str, Any]]) -> int:
    """The character offset of ripgrep's first submatch (ripgrep reports UTF-8 byte offsets)."""
    if not submatches:
        return -1
    offset = int(submatches[0].get("start", 0))
    return len(text.encode("utf-8")[:offset].decode("utf-8", errors="ignore"))
