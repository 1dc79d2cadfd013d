"""Adapters that put ragkit retrieval inside the frameworks users already run.

Each module imports its framework when it is imported, and only then; without the framework
it raises DependencyError naming the extra to install:

- `ragkit.integrations.langchain`: `RagkitRetriever`, a LangChain `BaseRetriever`
  (`pip install 'ragkit[langchain]'`, langchain-core only);
- `ragkit.integrations.llamaindex`: `RagkitRetriever`, a LlamaIndex `BaseRetriever`, and
  `RagkitNodeParser`, the hierarchical chunker as a node parser (`ragkit[llamaindex]`);
- `ragkit.integrations.haystack`: `RagkitRetriever`, a Haystack `@component`
  (`ragkit[haystack]`).

All return the framework's own document/node type, with ragkit's section path, pages and
scores in its metadata (`hit_metadata`).
"""

from __future__ import annotations

from ragkit.integrations.common import check_retriever, hit_metadata, require

__all__ = ["check_retriever", "hit_metadata", "require"]
