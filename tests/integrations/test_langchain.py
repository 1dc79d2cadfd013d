"""The LangChain adapter runs inside LangChain: `invoke`, batch, and a runnable chain."""

from __future__ import annotations

import pytest

pytest.importorskip("langchain_core", reason="the langchain extra is not installed")

from langchain_core.documents import Document  # noqa: E402
from langchain_core.runnables import RunnableLambda  # noqa: E402

from ragkit.errors import ConfigError, QueryError  # noqa: E402
from ragkit.indexes import BM25Index  # noqa: E402
from ragkit.integrations.langchain import RagkitRetriever  # noqa: E402


def test_invoke_returns_langchain_documents_with_ragkit_metadata(index: BM25Index) -> None:
    retriever = RagkitRetriever(retriever=index, k=2)
    docs = retriever.invoke("When are the senior notes due?")
    assert docs and all(isinstance(d, Document) for d in docs)
    top = docs[0]
    assert "2029" in top.page_content
    assert top.metadata["doc_id"] == "acme-2024"
    assert top.metadata["section_path"] == ["Annual report 2024", "Item 8. Debt"]
    assert top.metadata["section"] == "Annual report 2024 > Item 8. Debt"
    assert top.metadata["rank"] == 1 and top.metadata["score"] > 0
    assert "bm25" in top.metadata["scores"] and top.metadata["ticker"] == "ACME"
    assert top.id == top.metadata["chunk_id"]


def test_filters_batch_and_chain(index: BM25Index) -> None:
    retriever = RagkitRetriever(retriever=index, k=3, filters={"ticker": "BOLT"})
    batches = retriever.batch(["revenue results", "margins"])
    assert all(d.metadata["doc_id"] == "bolt-2023" for docs in batches for d in docs)
    chain = retriever | RunnableLambda(lambda docs: [d.metadata["section"] for d in docs])
    assert "Annual report 2023 > Item 1A. Risks" in chain.invoke("steel costs margins")
    with pytest.raises(QueryError, match="no document has ticker BOTL; closest: BOLT"):
        RagkitRetriever(retriever=index, filters={"ticker": "BOTL"}).invoke("revenue")


def test_rejects_what_is_not_a_retriever() -> None:
    with pytest.raises((ConfigError, ValueError), match="expected a ragkit retriever"):
        RagkitRetriever(retriever="acme.idx")


def test_over_a_pipeline_with_config_filters(index: BM25Index) -> None:
    from ragkit.pipeline import HybridPipeline
    from ragkit.pipeline.config import load_config

    pipe = HybridPipeline({"bm25": index}, config=load_config({"filters": {"ticker": "ACME"}}))
    docs = RagkitRetriever(retriever=pipe, k=3).invoke("results and debt")
    assert docs and {d.metadata["doc_id"] for d in docs} == {"acme-2024"}
    assert all(d.metadata["section_path"][0] == "Annual report 2024" for d in docs)
