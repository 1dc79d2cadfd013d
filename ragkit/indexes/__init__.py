"""Retrieval indexes: BM25 (bm25s / rank-bm25), dense FAISS, and both together (`HybridIndex`).

Every retriever offers `search(queries, k, filters=None) -> list[list[Hit]]` and saves to a
folder with a checked manifest. Importing this package imports no heavy library; bm25s,
FAISS and sentence-transformers load at first use.
"""

from __future__ import annotations

from typing import Any

from ragkit.indexes.analyzer import Analyzer, canonical_number
from ragkit.indexes.bm25 import BM25Index
from ragkit.indexes.dense import DenseIndex
from ragkit.indexes.embeddings import DEFAULT_MODEL, STATIC_MODEL, Embedder, EmbeddingCache
from ragkit.indexes.faiss_index import (
    FaissParams,
    VectorIndex,
    choose_device,
    choose_index_type,
)
from ragkit.indexes.filters import FILTER_KEYS
from ragkit.indexes.hybrid import MODES, HybridIndex
from ragkit.indexes.store import FORMAT_VERSION, ChunkStore, read_manifest

__all__ = [
    "DEFAULT_MODEL",
    "FILTER_KEYS",
    "FORMAT_VERSION",
    "MODES",
    "STATIC_MODEL",
    "Analyzer",
    "BM25Index",
    "ChunkStore",
    "DenseIndex",
    "Embedder",
    "EmbeddingCache",
    "FaissParams",
    "HybridIndex",
    "VectorIndex",
    "canonical_number",
    "choose_device",
    "choose_index_type",
    "load_index",
    "read_manifest",
]


def load_index(folder: str, **kwargs: Any) -> HybridIndex | BM25Index | DenseIndex:
    """Load any ragkit index folder, whichever type its manifest names."""
    manifest = read_manifest(folder, ("HybridIndex", "BM25Index", "DenseIndex"), verify=False)
    kind = manifest["type"]
    if kind == "HybridIndex":
        return HybridIndex.load(folder, **kwargs)
    if kind == "BM25Index":
        return BM25Index.load(folder, **kwargs)
    return DenseIndex.load(folder, **kwargs)
