"""`load` and `load_document`: format by content, folders recursive and sorted, unique ids."""

from __future__ import annotations

from pathlib import Path

from ragkit.parsers import load, load_document
from tests.synthetic import FACTS_10K, synthetic_10k_html, write_synthetic_corpus


def test_load_folder_recursive_sorted_skips_hidden(tmp_path: Path) -> None:
    files = write_synthetic_corpus(tmp_path / "corpus")
    sub = tmp_path / "corpus" / "more"
    sub.mkdir()
    (sub / "acme-10k-fy2024.htm").write_text(synthetic_10k_html(), encoding="utf-8")
    (tmp_path / "corpus" / ".hidden.md").write_text("# Secret\n\ntext\n", encoding="utf-8")
    docs = load(tmp_path / "corpus")
    ids = [d.id for d in docs]
    assert len(ids) == len(set(ids)) == len(files) + 1
    assert "acme-10k-fy2024" in ids and "more/acme-10k-fy2024" in ids
    assert all("Secret" not in d.text for d in docs)
    formats = {d.metadata["source_name"]: d.metadata["format"] for d in docs}
    assert formats["acme-10k-fy2024.htm"] == "edgar-html"
    assert formats["orbital-10k-2023.txt"] == "text"
    assert formats["widget-guide.md"] == "markdown"


def test_html_detected_by_content_not_extension(tmp_path: Path) -> None:
    path = tmp_path / "filing.txt"
    path.write_text(synthetic_10k_html(), encoding="utf-8")
    doc = load_document(path)
    assert doc.id == "filing"
    assert doc.metadata["format"] == "edgar-html"
    assert doc.metadata["ticker"] == FACTS_10K["ticker"]


def test_load_accepts_files_and_single_path(tmp_path: Path) -> None:
    files = write_synthetic_corpus(tmp_path)
    docs = load([files["markdown"], files["text"]])
    assert [d.id for d in docs] == ["widget-guide", "orbital-10k-2023"]
    assert [d.id for d in load(files["markdown"])] == ["widget-guide"]
