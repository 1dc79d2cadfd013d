"""ragkit in LlamaIndex (`pip install 'ragkit[llamaindex]'`): the section-aware node parser
and a retriever over a HybridIndex.

Run: `.venv/bin/python examples/llamaindex_retriever.py [FOLDER]` (default: the example
filings beside this script).
"""

from __future__ import annotations

import sys
from pathlib import Path

from llama_index.core import Document as LlamaDocument

from ragkit.chunkers import get_chunker
from ragkit.indexes import HybridIndex
from ragkit.integrations.llamaindex import RagkitNodeParser, RagkitRetriever
from ragkit.parsers import load


def main(folder: str | None) -> None:
    """Split LlamaIndex documents with ragkit, then retrieve from a ragkit index."""
    root = Path(folder) if folder else Path(__file__).parent / "filings"
    files = sorted(p for p in root.iterdir() if p.is_file())
    llama_docs = [LlamaDocument(text="", metadata={"file_path": str(p)}) for p in files]
    nodes = RagkitNodeParser(max_tokens=256).get_nodes_from_documents(llama_docs)
    print(f"{len(nodes)} nodes; first: {nodes[0].metadata['section']!r}")

    chunks = [c for d in load(root) for c in get_chunker("hierarchical").chunk(d)]
    retriever = RagkitRetriever(HybridIndex.build(chunks, show_progress=True), k=3)
    for result in retriever.retrieve("What are the main risk factors?"):
        meta = result.node.metadata
        print(f"{result.score:.3f} {meta['doc_id']} | {meta['section']} | p. {meta['page_start']}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
