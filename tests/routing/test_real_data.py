"""Routing on the real data: the SEC filings (parsed) and FinanceBench's text files.

These tests check invariants and ranges, not development-set counts: a company the router is
sure of is the right one, the gold document is never filtered out, and most questions (which
name their company) are routed to it.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from ragkit.routing.entities import EntityCatalog
from ragkit.routing.metadata_file import load_metadata_file
from ragkit.routing.router import Router

pytestmark = pytest.mark.slow

#: share of questions that must reach their company / filing (all of them name it)
MOST = 0.85


@pytest.fixture(scope="module")
def sec_catalog(sec_filings_dir: Path) -> EntityCatalog:
    parsers = pytest.importorskip("ragkit.parsers")
    if not hasattr(parsers, "load_document"):
        pytest.skip("ragkit.parsers.load_document is not available yet")
    docs = [parsers.load_document(p) for p in sorted(sec_filings_dir.glob("*.htm"))]
    return EntityCatalog.from_documents(docs)


def test_sec_catalog_matches_filings_csv(sec_catalog: EntityCatalog, sec_filings_dir: Path) -> None:
    rows = list(csv.DictReader((sec_filings_dir / "filings.csv").open(encoding="utf-8")))
    assert len(sec_catalog.docs) == len(rows)
    for row in rows:
        rec = sec_catalog.docs[Path(row["file"]).stem]
        assert rec.form_type == row["form"], row["file"]
        assert rec.period_end == row["period_end"], row["file"]
        assert rec.fiscal_year == int(row["fiscal_year"]), row["file"]
        assert rec.fiscal_period == row["fiscal_period"], row["file"]
        assert (rec.ticker or "") == row["ticker"], row["file"]
    # one entity per registrant ("BOEING CO" and "THE BOEING COMPANY" share a CIK)
    registrant: dict[str, set[str]] = {}
    for row in rows:
        registrant.setdefault(row["cik"] or row["company"], set()).add(Path(row["file"]).stem)
    assert len(sec_catalog.entities) == len(registrant)
    for docs in registrant.values():
        entity = sec_catalog.entity_of(next(iter(docs)))
        assert entity is not None and set(entity.doc_ids) == docs


def test_sec_qa_questions_route_to_their_filing(
    sec_catalog: EntityCatalog, secqa_dir: Path
) -> None:
    router = Router(sec_catalog)
    questions = [json.loads(x) for x in (secqa_dir / "dev.jsonl").read_text().splitlines() if x]
    exact = 0
    for q in questions:
        gold = Path(q["doc"]).stem
        d = router.route(q["question"])
        gold_entity = sec_catalog.entity_of(gold)
        assert gold_entity is not None
        # a company the router is sure of is the filing's own; its filter keeps the filing
        assert set(d.entity_ids) <= {gold_entity.id}, q["question"]
        assert not d.filters or gold in d.filters["doc_id"], q["question"]
        exact += d.filters.get("doc_id") == [gold]
    # every question names company, form and period: most narrow to exactly their filing
    assert exact >= MOST * len(questions)


def _financebench_catalog(fb: Path, supplement: bool) -> EntityCatalog:
    texts = {
        p.stem: p.read_text(encoding="utf-8")[:8000] for p in sorted((fb / "text").glob("*.txt"))
    }
    sup = load_metadata_file(fb / "financebench_document_information.jsonl") if supplement else None
    return EntityCatalog.from_texts(texts, supplement=sup)


@pytest.mark.parametrize("supplement", [False, True])
def test_financebench_dev_routing(financebench_dir: Path, supplement: bool) -> None:
    cat = _financebench_catalog(financebench_dir, supplement)
    n_docs = len(list((financebench_dir / "text").glob("*.txt")))
    assert len(cat.docs) == n_docs
    router = Router(cat)
    lines = (financebench_dir / "financebench_dev.jsonl").read_text().splitlines()
    questions = [json.loads(x) for x in lines if x]
    company = top = 0
    for q in questions:
        d = router.route(q["question"])
        gold = q["doc_name"]
        gold_entity = cat.entity_of(gold)
        assert gold_entity is not None
        # never a wrong company, never the gold document filtered out
        assert set(d.entity_ids) <= {gold_entity.id}, q["question"]
        assert not d.filters or gold in d.filters["doc_id"], q["question"]
        company += gold_entity.id in d.entity_ids
        top += d.top_doc == gold
    # most questions name their company; a few name none ("the board nominees")
    assert company >= MOST * len(questions)
    # the named year picks the filing for most of them
    assert top >= 0.7 * len(questions)
