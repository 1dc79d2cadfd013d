"""Haystack adapter: `RagkitRetriever`, a `@component` over any ragkit retriever.

    from haystack import Pipeline
    from ragkit.integrations.haystack import RagkitRetriever

    pipe = Pipeline()
    pipe.add_component("retriever", RagkitRetriever(HybridIndex.load("acme.idx"), top_k=5))
    pipe.run({"retriever": {"query": "What drove revenue growth?"}})["retriever"]["documents"]

`filters` are ragkit filters (``{"ticker": "KO", "fiscal_year": {">=": 2020}}``), not
Haystack's filter syntax. Needs haystack-ai: `pip install 'ragkit[haystack]'`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ragkit.integrations.common import check_retriever, hit_metadata, require, search_one

require("haystack", "haystack", "haystack-ai")

from haystack import Document, component  # noqa: E402


@component
class RagkitRetriever:
    """Retrieves Haystack `Document`s (id = chunk id, `score` = the hit's score) whose `meta`
    holds the doc id, section path, pages, rank and per-stage scores, plus the chunk's own
    metadata."""

    def __init__(
        self, retriever: Any, top_k: int = 10, filters: Mapping[str, Any] | None = None
    ) -> None:
        self.retriever = check_retriever(retriever)
        self.top_k = top_k
        self.filters = dict(filters) if filters else None

    @component.output_types(documents=list[Document])
    def run(
        self, query: str, top_k: int | None = None, filters: dict[str, Any] | None = None
    ) -> dict[str, list[Document]]:
        """The top_k hits for `query` (filters replace the component's own when given)."""
        hits = search_one(
            self.retriever, query, top_k or self.top_k, filters if filters else self.filters
        )
        return {
            "documents": [
                Document(
                    id=h.chunk_id,
                    content=h.chunk.text if h.chunk else "",
                    meta=hit_metadata(h),
                    score=h.score,
                )
                for h in hits
            ]
        }
