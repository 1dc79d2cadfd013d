"""Routing on the real data: the 17 SEC filings (parsed) and FinanceBench's 74 text files."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from ragkit.routing.entities import EntityCatalog
from ragkit.routing.metadata_file import load_metadata_file
from ragkit.routing.router import Router

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sec_catalog(sec_filings_dir: Path) -> EntityCatalog:
    parsers = pytest.importorskip("ragkit.parsers")
    if not hasattr(parsers, "load_document"):
        pytest.skip("ragkit.parsers.load_document is not available yet")
    docs = [parsers.load_document(p) for p in sorted(sec_filings_dir.glob("*.htm"))]
    return EntityCatalog.from_documents(docs)


def test_sec_catalog_matches_filings_csv(sec_catalog: EntityCatalog, sec_filings_dir: Path) -> None:
    rows = list(csv.DictReader((sec_filings_dir / "filings.csv").open(encoding="utf-8")))
    assert len(sec_catalog.docs) == len(rows) == 17
    for row in rows:
        rec = sec_catalog.docs[Path(row["file"]).stem]
        assert rec.form_type == row["form"], row["file"]
        assert rec.period_end == row["period_end"], row["file"]
        assert rec.fiscal_year == int(row["fiscal_year"]), row["file"]
        assert rec.fiscal_period == row["fiscal_period"], row["file"]
        assert (rec.ticker or "") == row["ticker"], row["file"]
    # "BOEING CO" and "THE BOEING COMPANY" are one entity; so are the two KO and NVDA filings
    assert len(sec_catalog.entities) == 14
    assert sec_catalog.find("Boeing").doc_ids == ("ba-10k-fy2024", "ba-10q-2025q2")


def test_sec_qa_questions_route_to_their_filing(
    sec_catalog: EntityCatalog, secqa_dir: Path
) -> None:
    router = Router(sec_catalog)
    questions = [json.loads(x) for x in (secqa_dir / "dev.jsonl").read_text().splitlines() if x]
    right = 0
    for q in questions:
        d = router.route(q["question"])
        right += d.filters.get("doc_id") == [Path(q["doc"]).stem]
    assert right == len(questions) == 14


def _financebench_catalog(fb: Path, supplement: bool) -> EntityCatalog:
    texts = {
        p.stem: p.read_text(encoding="utf-8")[:8000] for p in sorted((fb / "text").glob("*.txt"))
    }
    sup = load_metadata_file(fb / "financebench_document_information.jsonl") if supplement else None
    return EntityCatalog.from_texts(texts, supplement=sup)


@pytest.mark.parametrize(
    ("supplement", "min_company", "min_top"), [(False, 46, 38), (True, 47, 40)]
)
def test_financebench_dev_routing(
    financebench_dir: Path, supplement: bool, min_company: int, min_top: int
) -> None:
    cat = _financebench_catalog(financebench_dir, supplement)
    assert len(cat.docs) == 74
    router = Router(cat)
    lines = (financebench_dir / "financebench_dev.jsonl").read_text().splitlines()
    company = in_scope = top = 0
    for q in map(json.loads, filter(None, lines)):
        d = router.route(q["question"])
        gold = q["doc_name"]
        company += cat.entity_of(gold).id in d.entity_ids
        in_scope += not d.filters or gold in d.filters["doc_id"]
        top += d.top_doc == gold
    # every question that names its company is routed to it; the two that name none
    # (a Best Buy 10-Q and a Foot Locker 8-K question) are left unfiltered
    assert company >= min_company
    assert in_scope == 49
    assert top >= min_top
