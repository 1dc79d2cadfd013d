"""What the framework adapters share: the missing-framework error and a hit's metadata."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from types import ModuleType
from typing import Any

from ragkit.errors import ConfigError, DependencyError
from ragkit.types import PATH_SEPARATOR, Chunk, Hit, Retriever


def require(module: str, extra: str, package: str) -> ModuleType:
    """Import `module`, or raise DependencyError naming the ragkit extra that installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise DependencyError(
            f"this adapter needs {package}: pip install 'ragkit[{extra}]' "
            f"(or pip install {package})"
        ) from exc


def check_retriever(retriever: Any) -> Retriever:
    """The retriever itself when it has ragkit's `search(queries, k, filters)`; else ConfigError."""
    if not isinstance(retriever, Retriever):
        raise ConfigError(
            f"expected a ragkit retriever (HybridIndex, HybridPipeline, BM25Index, ...) with "
            f"search(queries, k, filters); got {type(retriever).__name__}"
        )
    return retriever


def chunk_metadata(chunk: Chunk) -> dict[str, Any]:
    """A chunk's metadata for a framework document: ids, section path, pages, user fields."""
    meta: dict[str, Any] = dict(chunk.metadata)
    meta.update(
        {
            "chunk_id": chunk.id,
            "doc_id": chunk.doc_id,
            "section_path": list(chunk.section_path),
            "section": PATH_SEPARATOR.join(chunk.section_path),
            "page_start": chunk.page_start,
            "page_end": chunk.page_end,
            "kind": chunk.kind,
        }
    )
    return meta


def hit_metadata(hit: Hit) -> dict[str, Any]:
    """`chunk_metadata` plus the hit's rank, final score and every stage's score."""
    if hit.chunk is None:
        raise ConfigError(f"hit {hit.chunk_id} carries no chunk; the retriever must return chunks")
    meta = chunk_metadata(hit.chunk)
    meta.update({"rank": hit.rank, "score": hit.score, "scores": dict(hit.scores)})
    return meta


def search_one(
    retriever: Retriever, query: str, k: int, filters: Mapping[str, Any] | None
) -> list[Hit]:
    """One query's hits (the batch contract with a batch of one)."""
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ConfigError(f"k must be a positive int, got {k!r}")
    return retriever.search([query], k, filters)[0]
