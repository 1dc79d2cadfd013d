"""LlamaIndex adapter: `RagkitRetriever` (a `BaseRetriever` over any ragkit retriever) and
`RagkitNodeParser` (ragkit's section-aware chunker as a node parser).

    from ragkit.integrations.llamaindex import RagkitNodeParser, RagkitRetriever

    nodes = RagkitNodeParser(max_tokens=256).get_nodes_from_documents(documents)
    results = RagkitRetriever(HybridIndex.load("acme.idx"), k=5).retrieve("revenue growth")
    results[0].node.metadata["section_path"], results[0].score

Needs llama-index-core only: `pip install 'ragkit[llamaindex]'`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ragkit.integrations.common import (
    check_retriever,
    chunk_metadata,
    hit_metadata,
    require,
    search_one,
)

require("llama_index.core", "llamaindex", "llama-index-core")

from llama_index.core.node_parser import NodeParser  # noqa: E402
from llama_index.core.retrievers import BaseRetriever  # noqa: E402
from llama_index.core.schema import (  # noqa: E402
    BaseNode,
    NodeRelationship,
    NodeWithScore,
    QueryBundle,
    TextNode,
)

from ragkit.chunkers import get_chunker  # noqa: E402
from ragkit.parsers import load_document, parse_edgar_html, parse_markdown, parse_text_pages  # noqa: E402
from ragkit.parsers.detect import detect_format  # noqa: E402
from ragkit.types import Document  # noqa: E402


class RagkitRetriever(BaseRetriever):
    """A LlamaIndex retriever over a ragkit `HybridIndex`, `HybridPipeline` or any Retriever.

    Returns `NodeWithScore`s of `TextNode`s (id = chunk id) whose metadata holds the doc id,
    section path, pages, rank and per-stage scores, plus the chunk's own metadata.
    """

    def __init__(
        self,
        retriever: Any,
        k: int = 4,
        filters: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self.retriever = check_retriever(retriever)
        self.k = k
        self.filters = dict(filters) if filters else None
        super().__init__(**kwargs)

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        hits = search_one(self.retriever, query_bundle.query_str, self.k, self.filters)
        return [
            NodeWithScore(
                node=TextNode(
                    id_=h.chunk_id, text=h.chunk.text if h.chunk else "", metadata=hit_metadata(h)
                ),
                score=h.score,
            )
            for h in hits
        ]


def _ragkit_document(node: BaseNode) -> Document:
    """The ragkit Document of a LlamaIndex document: its file when `file_path` names one,
    else its text (Markdown, HTML or paged text, detected as `ragkit index` does)."""
    meta = dict(node.metadata or {})
    doc_id = str(meta.get("file_name") or node.node_id)
    path = meta.get("file_path")
    if path and Path(str(path)).is_file():
        doc = load_document(str(path), doc_id=Path(str(path)).stem)
    else:
        text = node.get_content()
        fmt = detect_format(text.encode("utf-8")[:65536], str(meta.get("file_name", "")))
        if fmt in ("edgar-html", "html"):
            doc = parse_edgar_html(text.encode("utf-8"), doc_id=doc_id)
        elif fmt == "markdown":
            doc = parse_markdown(text, doc_id=doc_id)
        else:
            doc = parse_text_pages(text, doc_id=doc_id)
    flat = {k: v for k, v in meta.items() if isinstance(v, str | int | float | bool)}
    return Document(doc.id, doc.source, doc.root, {**doc.metadata, **flat})


class RagkitNodeParser(NodeParser):
    """Splits LlamaIndex documents with ragkit's parsers and chunker (section-aware by
    default), so every node keeps its section path and pages in metadata."""

    chunker: str = "hierarchical"
    max_tokens: int = 256

    def _parse_nodes(
        self, nodes: Sequence[BaseNode], show_progress: bool = False, **kwargs: Any
    ) -> list[BaseNode]:
        splitter = get_chunker(self.chunker, max_tokens=self.max_tokens)
        out: list[BaseNode] = []
        for node in nodes:
            for chunk in splitter.chunk(_ragkit_document(node)):
                child = TextNode(id_=chunk.id, text=chunk.text, metadata=chunk_metadata(chunk))
                child.relationships[NodeRelationship.SOURCE] = node.as_related_node_info()
                out.append(child)
        return out
