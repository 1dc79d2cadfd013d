"""The LlamaIndex adapters run inside LlamaIndex: the retriever and the node parser."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("llama_index.core", reason="the llamaindex extra is not installed")

from llama_index.core import Document as LlamaDocument  # noqa: E402
from llama_index.core.schema import NodeRelationship, NodeWithScore, TextNode  # noqa: E402

from ragkit.indexes import BM25Index  # noqa: E402
from ragkit.integrations.llamaindex import RagkitNodeParser, RagkitRetriever  # noqa: E402
from tests.integrations.conftest import PAGES  # noqa: E402


def test_retrieve_returns_nodes_with_scores_and_sections(index: BM25Index) -> None:
    results = RagkitRetriever(index, k=2).retrieve("When are the senior notes due?")
    assert results and all(isinstance(r, NodeWithScore) for r in results)
    top = results[0]
    assert isinstance(top.node, TextNode) and "2029" in top.node.get_content()
    assert top.score == pytest.approx(top.node.metadata["score"])
    assert top.node.metadata["section_path"] == ["Annual report 2024", "Item 8. Debt"]
    assert top.node.node_id == top.node.metadata["chunk_id"]
    only_bolt = RagkitRetriever(index, k=5, filters={"ticker": "BOLT"}).retrieve("results")
    assert {r.node.metadata["doc_id"] for r in only_bolt} == {"bolt-2023"}


def test_node_parser_splits_by_section_and_links_the_source(tmp_path: Path) -> None:
    text = PAGES["acme-2024"][1]
    source = LlamaDocument(text=text, metadata={"file_name": "acme-2024.md", "team": "ir"})
    nodes = RagkitNodeParser(max_tokens=64).get_nodes_from_documents([source])
    paths = [n.metadata["section_path"] for n in nodes]
    assert ["Annual report 2024", "Item 7. Results"] in paths
    assert ["Annual report 2024", "Item 8. Debt"] in paths
    debt = next(n for n in nodes if n.metadata["section"].endswith("Debt"))
    assert "4.5%" in debt.get_content() and debt.metadata["team"] == "ir"
    assert debt.relationships[NodeRelationship.SOURCE].node_id == source.doc_id
    # a document read from a file is parsed from the file itself (here a .md with HTML)
    path = tmp_path / "guide.md"
    path.write_text("<div>x</div>\n\n# Guide\n\n## Setup\n\nInstall the widget first.\n")
    from_file = LlamaDocument(text="ignored", metadata={"file_path": str(path)})
    nodes = RagkitNodeParser().get_nodes_from_documents([from_file])
    assert ["Guide", "Setup"] in [n.metadata["section_path"] for n in nodes]
    assert not any("<div>" in n.get_content() or "ignored" in n.get_content() for n in nodes)
