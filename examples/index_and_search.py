"""Index the example filings (or any files given) and run a few searches in each mode.

Run: `.venv/bin/python examples/index_and_search.py [PATH ...]` (default: the shared
sec-filings folder's Coca-Cola 10-K). The first run embeds the chunks (minutes on a laptop
CPU); later runs read the embeddings from the cache.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from ragkit.chunkers import get_chunker
from ragkit.indexes import HybridIndex
from ragkit.parsers import load
from ragkit.settings import data_dir


def main(paths: list[str]) -> None:
    """Parse, chunk, index, save, reload and search."""
    docs = load(paths or [str(data_dir() / "sec-filings" / "ko-10k-fy2024.htm")])
    chunker = get_chunker("hierarchical", max_tokens=256)
    chunks = [c for d in docs for c in chunker.chunk(d)]
    print(f"{len(docs)} documents, {len(chunks)} chunks")
    index = HybridIndex.build(chunks, show_progress=True)
    with tempfile.TemporaryDirectory() as tmp:
        index = HybridIndex.load(index.save(Path(tmp) / "example.idx"))
        for mode in ("bm25", "dense", "hybrid"):
            hits = index.search_one(
                "How much cash and cash equivalents at year end?",
                3,
                filters={"section": "Item 7"},
                mode=mode,
            )
            print(f"\n== {mode}")
            for h in hits:
                c = h.chunk
                assert c is not None
                print(f"{h.rank}. {h.score:.3f} {' > '.join(c.section_path)}\n   {c.text[:120]}")


if __name__ == "__main__":
    main(sys.argv[1:])
