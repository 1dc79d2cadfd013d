"""User metadata end to end: front matter, a JSON/CSV sidecar and `Document(metadata=...)`
reach every chunk, and filters on any key (equality, any-of, ranges) select them; mistakes
(unknown key, wrong type, value no document has) are QueryErrors, not empty results."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ragkit.chunkers import get_chunker
from ragkit.errors import ConfigError, QueryError
from ragkit.indexes import BM25Index
from ragkit.indexes.filters import parse_filter_strings
from ragkit.metadata import apply_sidecar, read_sidecar
from ragkit.parsers import load, parse_markdown
from ragkit.types import Document

PAGES = {
    "gbx-2021.md": ("GBX", 2021, "Railcar deliveries rose as lease fleet utilization improved."),
    "gbx-2023.md": ("GBX", 2023, "Railcar backlog reached a record while margins widened."),
    "trn-2022.md": ("TRN", 2022, "Railcar leasing revenue grew with higher renewal rates."),
}


def _corpus(folder: Path) -> Path:
    folder.mkdir()
    for name, (ticker, year, text) in PAGES.items():
        body = f"---\nticker: {ticker}\nfiscal_year: {year}\ntags: [rail, {ticker.lower()}]\n---\n"
        body += f"# Annual review {year}\n\n## Operations\n\n{text}\n"
        (folder / name).write_text(body, encoding="utf-8")
    return folder


@pytest.fixture()
def index(tmp_path: Path) -> BM25Index:
    docs = load(_corpus(tmp_path / "docs"))
    sidecar = tmp_path / "meta.csv"
    sidecar.write_text("doc_id,region,rating\ngbx-2021,west,4.5\ntrn-2022.md,south,3\n")
    docs = apply_sidecar(docs, sidecar)
    docs.append(
        Document(
            id="memo",
            source="memo.txt",
            root=parse_markdown("# Memo\n\nRailcar orders slowed in the quarter.", "memo").root,
            metadata={"ticker": "MEMO", "fiscal_year": 2024, "confidential": True},
        )
    )
    chunker = get_chunker("naive", max_tokens=64)
    idx = BM25Index()
    idx.add([c for d in docs for c in chunker.chunk(d)])
    return idx


def _docs(index: BM25Index, filters: dict) -> set[str]:
    return {h.chunk.doc_id for h in index.search(["railcar"], k=20, filters=filters)[0] if h.chunk}


def test_every_source_of_metadata_reaches_the_chunks(index: BM25Index) -> None:
    meta = {c.doc_id: c.metadata for c in index.chunks}
    assert meta["gbx-2021"]["tags"] == ["rail", "gbx"] and meta["gbx-2021"]["region"] == "west"
    assert meta["trn-2022"]["rating"] == 3 and meta["gbx-2021"]["rating"] == 4.5
    assert meta["memo"]["confidential"] is True


def test_equality_any_of_ranges_and_lists(index: BM25Index) -> None:
    assert _docs(index, {"ticker": "GBX"}) == {"gbx-2021", "gbx-2023"}
    assert _docs(index, {"ticker": ["gbx", "TRN"]}) == {"gbx-2021", "gbx-2023", "trn-2022"}
    assert _docs(index, {"fiscal_year": {">=": 2022}}) == {"gbx-2023", "trn-2022", "memo"}
    assert _docs(index, {"fiscal_year": {">": 2021, "<": 2024}}) == {"gbx-2023", "trn-2022"}
    assert _docs(index, {"fiscal_year": {">": 2030}}) == set()  # a range may select nothing
    assert _docs(index, {"tags": "trn"}) == {"trn-2022"}  # a list field contains the value
    assert _docs(index, {"region": "west", "ticker": "GBX"}) == {"gbx-2021"}
    assert _docs(index, {"rating": {">=": 4}}) == {"gbx-2021"}
    assert _docs(index, {"confidential": True}) == {"memo"}
    assert _docs(index, parse_filter_strings(["fiscal_year>=2022", "fiscal_year<2024"])) == {
        "gbx-2023",
        "trn-2022",
    }
    assert _docs(index, parse_filter_strings(["ticker=GBX,TRN", "fiscal_year=2021"])) == {
        "gbx-2021"
    }


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"ticker": "GLBX"}, "no document has ticker GLBX; closest: GBX"),
        ({"ticker": 5}, "ticker holds text"),
        ({"fiscal_year": "abc"}, "fiscal_year holds numbers"),
        ({"fiscal_year": {">=": "soon"}}, "fiscal_year holds numbers"),
        ({"tikcer": "GBX"}, "unknown filter key 'tikcer'.*closest: ticker"),
        ({"ticker": []}, "empty list"),
        ({"fiscal_year": {"~": 1}}, "unknown operator"),
        ({"confidential": "maybe"}, "true/false"),
    ],
)
def test_mistakes_are_query_errors(index: BM25Index, filters: dict, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        index.search(["railcar"], k=5, filters=filters)


def test_cli_filter_forms() -> None:
    assert parse_filter_strings(["fiscal_year>=2020", "fiscal_year<2024", "ticker=KO,PEP"]) == {
        "fiscal_year": {">=": "2020", "<": "2024"},
        "ticker": ["KO", "PEP"],
    }
    for bad in (["ticker"], ["=KO"], ["ticker>="], ["year>=2020", "year=2021"]):
        with pytest.raises(QueryError):
            parse_filter_strings(bad)


def test_json_sidecar_forms_and_errors(tmp_path: Path) -> None:
    as_object = tmp_path / "a.json"
    as_object.write_text(json.dumps({"gbx-2021": {"team": "risk", "year": 2021}}))
    as_rows = tmp_path / "b.json"
    as_rows.write_text(json.dumps([{"doc_id": "gbx-2021", "team": "risk", "year": 2021}]))
    assert (
        read_sidecar(as_object)
        == read_sidecar(as_rows)
        == {"gbx-2021": {"team": "risk", "year": 2021}}
    )
    nested = tmp_path / "c.json"
    nested.write_text(json.dumps({"x": {"owner": {"name": "a"}}}))
    with pytest.raises(ConfigError, match="field 'owner' is dict"):
        read_sidecar(nested)
    docs = load(_corpus(tmp_path / "docs"))
    stranger = tmp_path / "d.json"
    stranger.write_text(json.dumps({"gbx-2012": {"team": "x"}}))
    with pytest.raises(ConfigError, match="names a loaded document.*closest: gbx-2023, gbx-2021"):
        apply_sidecar(docs, stranger)
    no_id = tmp_path / "e.csv"
    no_id.write_text("name,team\nx,y\n")
    with pytest.raises(ConfigError, match="'doc_id' column"):
        read_sidecar(no_id)


def test_pipeline_config_filters(index: BM25Index) -> None:
    from ragkit.pipeline import HybridPipeline
    from ragkit.pipeline.config import load_config

    config = load_config({"filters": {"fiscal_year": {">=": 2022}}})
    pipe = HybridPipeline({"bm25": index}, config=config)
    got = {h.chunk.doc_id for h in pipe.search(["railcar"], k=10)[0] if h.chunk}
    assert got == {"gbx-2023", "trn-2022", "memo"}
    got = {h.chunk.doc_id for h in pipe.search(["railcar"], 10, {"ticker": "TRN"})[0] if h.chunk}
    assert got == {"trn-2022"}
    with pytest.raises(ConfigError, match="unknown operator"):
        load_config({"filters": {"fiscal_year": {"~": 1}}})
