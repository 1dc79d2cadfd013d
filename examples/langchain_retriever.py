"""ragkit's hybrid retrieval as a LangChain retriever (`pip install 'ragkit[langchain]'`).

Run: `.venv/bin/python examples/langchain_retriever.py [PATH ...]` (default: the example
filings beside this script). Builds a HybridIndex, wraps it in `RagkitRetriever`, and runs
it alone, batched and in a small LCEL chain that formats cited context for an LLM prompt.
"""

from __future__ import annotations

import sys
from pathlib import Path

from langchain_core.documents import Document
from langchain_core.runnables import RunnableLambda

from ragkit.chunkers import get_chunker
from ragkit.indexes import HybridIndex
from ragkit.integrations.langchain import RagkitRetriever
from ragkit.parsers import load


def format_context(docs: list[Document]) -> str:
    """Numbered context blocks with their section path and pages, as a prompt would hold."""
    return "\n\n".join(
        f"[{i}] {d.metadata['doc_id']} | {d.metadata['section']} | p. {d.metadata['page_start']}"
        f"\n{d.page_content[:300]}"
        for i, d in enumerate(docs, start=1)
    )


def main(paths: list[str]) -> None:
    """Index, then retrieve through LangChain."""
    docs = load(paths or [str(Path(__file__).parent / "filings")])
    chunks = [c for d in docs for c in get_chunker("hierarchical").chunk(d)]
    index = HybridIndex.build(chunks, show_progress=True)
    retriever = RagkitRetriever(retriever=index, k=3)
    for doc in retriever.invoke("What was total revenue and how did it change?"):
        meta = doc.metadata
        print(f"{meta['rank']}. {meta['score']:.3f} {meta['doc_id']} | {meta['section']}")
    chain = retriever | RunnableLambda(format_context)
    print("\n" + chain.invoke("When do the senior notes mature?"))


if __name__ == "__main__":
    main(sys.argv[1:])
