"""ragkit's hybrid retrieval as a Haystack component (`pip install 'ragkit[haystack]'`).

Run: `.venv/bin/python examples/haystack_pipeline.py [PATH ...]` (default: the example
filings beside this script). The component sits in a Haystack Pipeline; its filters are
ragkit filters (any metadata key, lists, ranges).
"""

from __future__ import annotations

import sys
from pathlib import Path

from haystack import Pipeline

from ragkit.chunkers import get_chunker
from ragkit.indexes import HybridIndex
from ragkit.integrations.haystack import RagkitRetriever
from ragkit.parsers import load


def main(paths: list[str]) -> None:
    """Index, then retrieve through a Haystack Pipeline."""
    docs = load(paths or [str(Path(__file__).parent / "filings")])
    chunks = [c for d in docs for c in get_chunker("hierarchical").chunk(d)]
    pipe = Pipeline()
    pipe.add_component("retriever", RagkitRetriever(HybridIndex.build(chunks), top_k=3))
    query = {"query": "How much long-term debt is outstanding?", "filters": {"form_type": "10-K"}}
    for doc in pipe.run({"retriever": query})["retriever"]["documents"]:
        print(
            f"{doc.score:.3f} {doc.meta['doc_id']} | {doc.meta['section']}\n   {doc.content[:120]}"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
