"""Fixtures of the chunker tests: the tokenizer (loaded once) and default chunkers."""

from __future__ import annotations

import os

import pytest

from ragkit.chunkers import HierarchicalChunker, NaiveChunker, TokenCounter, get_tokenizer

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def tokenizer() -> TokenCounter:
    """The packaged all-MiniLM-L6-v2 tokenizer."""
    return get_tokenizer()


@pytest.fixture(scope="session")
def chunker(tokenizer: TokenCounter) -> HierarchicalChunker:
    """The default hierarchical chunker (256 tokens, 32 overlap)."""
    return HierarchicalChunker(tokenizer=tokenizer)


@pytest.fixture(scope="session")
def naive(tokenizer: TokenCounter) -> NaiveChunker:
    """The default naive chunker."""
    return NaiveChunker(tokenizer=tokenizer)
