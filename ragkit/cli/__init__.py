"""The `ragkit` command line: a thin layer over the library.

Each command group lives in its own module with a `register(subparsers)` function, so that
stages stay independent; library errors become one clean line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import importlib
import logging
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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
