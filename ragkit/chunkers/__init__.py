"""Chunkers: turn parsed documents into retrievable chunks (hierarchical default, naive baseline).

`get_chunker("hierarchical", max_tokens=256)` builds one by name; both emit `ragkit.Chunk`.
"""

from __future__ import annotations

from typing import Any

from ragkit.chunkers.common import Chunker
from ragkit.chunkers.hierarchical import HierarchicalChunker
from ragkit.chunkers.naive import NaiveChunker
from ragkit.chunkers.references import Reference, find_references, resolve_reference
from ragkit.chunkers.tokenizer import TokenCounter, get_tokenizer
from ragkit.errors import ConfigError

#: Chunkers by name, for configs and the CLI.
CHUNKERS: dict[str, type[HierarchicalChunker] | type[NaiveChunker]] = {
    "hierarchical": HierarchicalChunker,
    "naive": NaiveChunker,
}


def get_chunker(name: str = "hierarchical", **params: Any) -> Chunker:
    """A chunker by name ("hierarchical" or "naive") built with `params`."""
    try:
        cls = CHUNKERS[name]
    except KeyError:
        raise ConfigError(f"unknown chunker {name!r}; expected one of {sorted(CHUNKERS)}") from None
    try:
        return cls(**params)
    except TypeError as exc:
        raise ConfigError(f"invalid parameters for chunker {name!r}: {exc}") from exc


__all__ = [
    "CHUNKERS",
    "Chunker",
    "HierarchicalChunker",
    "NaiveChunker",
    "Reference",
    "TokenCounter",
    "find_references",
    "get_chunker",
    "get_tokenizer",
    "resolve_reference",
]
