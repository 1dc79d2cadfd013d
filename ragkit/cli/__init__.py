"""The `ragkit` command line: a thin layer over the library.

Each command group lives in its own module with a `register(subparsers)` function, so that
stages stay independent; library errors become one clean line on stderr and exit status 2,
and Ctrl-C (SIGINT) one line and exit status 130, at once: from the command line the process
ends without waiting for worker threads (a long encode would otherwise run on, and torch's
threads abort with "terminate called without an active exception" at interpreter exit).
Index saves are crash-safe (`ragkit.indexes.store`), so stopping mid-save keeps the old index.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence

from ragkit.errors import RagkitError

#: Command modules, in the order their commands are listed by `ragkit --help`.
COMMAND_MODULES: tuple[str, ...] = (
    "ragkit.cli.documents",  # outline, chunk
    "ragkit.cli.indexing",  # index, search
    "ragkit.cli.answering",  # ask, train-reranker
    "ragkit.cli.agent",  # agent
    "ragkit.cli.bench",  # bench
    "ragkit.cli.adapt",  # adapt
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every available command registered."""
    parser = argparse.ArgumentParser(
        prog="ragkit",
        description="Hybrid retrieval over long structured documents, measured against "
        "agentic search.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:  # a command group not built yet
            if exc.name == name:
                continue
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `ragkit` console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.func(args) or 0)
    except RagkitError as exc:
        print(f"ragkit: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `ragkit chunk ... | head`
        return 0
    except KeyboardInterrupt:
        return _interrupted(from_command_line=argv is None)


def _interrupted(from_command_line: bool) -> int:
    """Say "interrupted" on one line; from the command line, end the process now (exit 130)
    rather than join worker threads still running native code."""
    try:
        sys.stdout.flush()
    except (BrokenPipeError, ValueError):
        pass
    # on a fresh line: a progress bar (or the terminal's ^C) may have left the cursor mid-line
    print("\nragkit: interrupted", file=sys.stderr, flush=True)
    if from_command_line:
        os._exit(130)
    return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
