"""The Haystack adapter runs inside a Haystack Pipeline."""

from __future__ import annotations

import pytest

pytest.importorskip("haystack", reason="the haystack extra is not installed")

from haystack import Document, Pipeline  # noqa: E402

from ragkit.indexes import BM25Index  # noqa: E402
from ragkit.integrations.haystack import RagkitRetriever  # noqa: E402


def test_component_in_a_pipeline(index: BM25Index) -> None:
    pipe = Pipeline()
    pipe.add_component("retriever", RagkitRetriever(index, top_k=2))
    out = pipe.run({"retriever": {"query": "When are the senior notes due?"}})
    docs = out["retriever"]["documents"]
    assert docs and all(isinstance(d, Document) for d in docs)
    top = docs[0]
    assert "2029" in top.content and top.score == pytest.approx(top.meta["score"])
    assert top.meta["section_path"] == ["Annual report 2024", "Item 8. Debt"]
    assert top.id == top.meta["chunk_id"] and top.meta["ticker"] == "ACME"


def test_run_arguments_override_the_defaults(index: BM25Index) -> None:
    component = RagkitRetriever(index, top_k=5, filters={"ticker": "ACME"})
    docs = component.run("results", top_k=1, filters={"ticker": "BOLT"})["documents"]
    assert len(docs) == 1 and docs[0].meta["doc_id"] == "bolt-2023"
