"""A small BM25 index over a two-company corpus for the framework adapters' tests."""

from __future__ import annotations

import pytest

from ragkit.chunkers import get_chunker
from ragkit.indexes import BM25Index
from ragkit.parsers import parse_markdown
from ragkit.types import Document

PAGES = {
    "acme-2024": (
        "ACME",
        "# Annual report 2024\n\n## Item 7. Results\n\nNet sales rose 8% to $4.2 billion as "
        "widget volumes grew.\n\n## Item 8. Debt\n\nSenior notes of $1.5 billion are due in "
        "2029 and bear interest at 4.5%.\n",
    ),
    "bolt-2023": (
        "BOLT",
        "# Annual report 2023\n\n## Item 7. Results\n\nRevenue fell 3% to $900 million on lower "
        "bolt prices.\n\n## Item 1A. Risks\n\nSteel costs may rise and cut margins.\n",
    ),
}


@pytest.fixture(scope="session")
def index() -> BM25Index:
    """BM25 over the chunks of both documents, with ticker metadata."""
    chunker = get_chunker("hierarchical", max_tokens=64)
    idx = BM25Index()
    for doc_id, (ticker, text) in PAGES.items():
        parsed = parse_markdown(text, doc_id=doc_id, source=f"{doc_id}.md")
        doc = Document(doc_id, parsed.source, parsed.root, {**parsed.metadata, "ticker": ticker})
        idx.add(chunker.chunk(doc))
    return idx
