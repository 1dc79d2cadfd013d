"""Fixtures of the scale-out tests: the synthetic filings as chunks, an embedder with a
private cache, and the single-machine hybrid index they are compared with."""

from __future__ import annotations

from pathlib import Path

import pytest

from ragkit.indexes import Embedder, EmbeddingCache, HybridIndex
from ragkit.types import Chunk
from tests.synthetic import write_synthetic_corpus

#: Queries in the voice of the synthetic filings (words from several sections and documents).
QUERIES = [
    "revenue growth results of operations",
    "senior notes interest rate revolving credit facility",
    "risk factors supply chain beryllium supplier",
    "torque settings calibration",
    "cash equivalents and marketable securities",
    "operating lease liabilities maturities",
]


@pytest.fixture(scope="session")
def synthetic_chunks(tmp_path_factory: pytest.TempPathFactory) -> list[Chunk]:
    """The four synthetic documents (10-K, 10-Q, paged text, Markdown), chunked."""
    from ragkit.chunkers import get_chunker
    from ragkit.parsers import load

    folder = tmp_path_factory.mktemp("corpus")
    write_synthetic_corpus(folder)
    chunker = get_chunker("hierarchical")
    return [c for doc in load([folder]) for c in chunker.chunk(doc)]


@pytest.fixture(scope="session")
def scale_cache_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where this session's private embedding cache lives."""
    return tmp_path_factory.mktemp("scale-emb") / "embeddings.sqlite"


@pytest.fixture(scope="session")
def scale_embedder(scale_cache_path: Path) -> Embedder:
    """The packaged MiniLM with a cache private to this session."""
    return Embedder(cache=EmbeddingCache(scale_cache_path))


@pytest.fixture(scope="session")
def single(synthetic_chunks: list[Chunk], scale_embedder: Embedder) -> HybridIndex:
    """One hybrid index over all synthetic chunks (flat dense search)."""
    return HybridIndex.build(synthetic_chunks, model=scale_embedder, index_type="flat")
