"""LangChain adapter: `RagkitRetriever`, a `BaseRetriever` over any ragkit retriever.

    from ragkit.indexes import HybridIndex
    from ragkit.integrations.langchain import RagkitRetriever

    retriever = RagkitRetriever(retriever=HybridIndex.load("acme.idx"), k=5)
    docs = retriever.invoke("What drove revenue growth?")
    docs[0].metadata["section_path"], docs[0].metadata["page_start"], docs[0].metadata["score"]

Needs langchain-core only: `pip install 'ragkit[langchain]'`.
"""

from __future__ import annotations

from typing import Any

from ragkit.integrations.common import check_retriever, hit_metadata, require, search_one

require("langchain_core", "langchain", "langchain-core")

from langchain_core.callbacks import CallbackManagerForRetrieverRun  # noqa: E402
from langchain_core.documents import Document  # noqa: E402
from langchain_core.retrievers import BaseRetriever  # noqa: E402
from pydantic import ConfigDict, field_validator  # noqa: E402


class RagkitRetriever(BaseRetriever):
    """A LangChain retriever over a ragkit `HybridIndex`, `HybridPipeline` or any Retriever.

    Returns LangChain `Document`s: the chunk text as `page_content`, the chunk id as `id`, and
    in `metadata` the doc id, section path (list and string), pages, rank, score and every
    stage's score, plus the chunk's own metadata (filing fields, user fields).
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    retriever: Any
    k: int = 4
    filters: dict[str, Any] | None = None

    @field_validator("retriever")
    @classmethod
    def _is_retriever(cls, value: Any) -> Any:
        return check_retriever(value)

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        hits = search_one(self.retriever, query, self.k, self.filters)
        return [
            Document(
                page_content=h.chunk.text if h.chunk else "",
                metadata=hit_metadata(h),
                id=h.chunk_id,
            )
            for h in hits
        ]
