"""Dataset loaders: the real shared files, small files written here, and malformed lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ragkit.bench.datasets import (
    BeirDataset,
    FinanceBenchDataset,
    SecQaDataset,
    load_beir,
    load_dataset,
    load_financebench,
    load_secqa,
)
from ragkit.errors import ConfigError, DatasetError


def _write_jsonl(path: Path, rows: list[object]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


# -- real files -------------------------------------------------------------------------------


def _lines(path: Path) -> list[str]:
    """The non-empty lines of a data file: what a loader must account for, one by one."""
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_beir_scifact_test_split(scifact_dir: Path) -> None:
    ds = load_beir(scifact_dir, "test")
    assert isinstance(ds, BeirDataset) and ds.kind == "beir"
    qrels = [line.split("\t") for line in _lines(scifact_dir / "qrels" / "test.tsv")[1:]]
    assert len(ds.corpus) == len(_lines(scifact_dir / "corpus.jsonl"))
    assert len(ds.queries) == len({row[0] for row in qrels})  # every judged query, once
    assert sum(len(d) for d in ds.qrels.values()) == len(qrels)
    first = ds.queries[0]
    assert first.id == "1" and first.text.startswith("0-dimensional biomaterials")
    assert first.doc_ids == ("31715818",)
    assert {d.id for d in ds.corpus} >= {d for q in ds.qrels.values() for d in q}


def test_financebench_dev(financebench_dir: Path) -> None:
    ds = load_financebench(financebench_dir / "financebench_dev.jsonl", financebench_dir / "text")
    assert isinstance(ds, FinanceBenchDataset)
    assert len(ds.questions) == len(_lines(financebench_dir / "financebench_dev.jsonl"))
    assert ds.skipped == ()
    texts = list((financebench_dir / "text").glob("*.txt"))
    assert len(ds.documents) == len(texts)  # the whole folder is the shared corpus
    corning = ds.questions[0]
    assert corning.id == "financebench_id_02981" and corning.doc_name == "CORNING_2021_10K"
    assert corning.evidence[0].page == 64
    # page 64 (0-based) of the text is the income statement the evidence quotes
    pages = ds.documents["CORNING_2021_10K"].read_text(encoding="utf-8").split("\f")
    assert "Consolidated Statements of Income" in pages[64]
    assert {q.question_type for q in ds.questions} == {
        "metrics-generated",
        "domain-relevant",
        "novel-generated",
    }


def test_financebench_all_questions_with_missing_documents_skipped(
    financebench_dir: Path, tmp_path: Path
) -> None:
    # keep only two documents: every other question must be skipped and counted
    docs = tmp_path / "text"
    docs.mkdir()
    for name in ("CORNING_2021_10K", "3M_2018_10K"):
        (docs / f"{name}.txt").write_text("page one\fpage two", encoding="utf-8")
    ds = load_financebench(financebench_dir / "financebench_dev.jsonl", docs)
    kept = {q.doc_name for q in ds.questions}
    assert kept <= {"CORNING_2021_10K", "3M_2018_10K"} and kept
    total = len(_lines(financebench_dir / "financebench_dev.jsonl"))
    assert len(ds.questions) + len(ds.skipped) == total and ds.skipped


def test_secqa_dev(secqa_dir: Path, sec_filings_dir: Path) -> None:
    ds = load_secqa(secqa_dir / "dev.jsonl", sec_filings_dir)
    assert isinstance(ds, SecQaDataset)
    assert len(ds.questions) == len(_lines(secqa_dir / "dev.jsonl")) and ds.skipped == ()
    assert len(ds.documents) == len([p for p in sec_filings_dir.iterdir() if p.suffix == ".htm"])
    q = ds.questions[0]
    assert q.id == "sec-ko-05" and q.type == "cross_reference" and q.hops == 2
    assert len(q.evidence) == 2 and q.evidence[1].quote.endswith("$55 million.")
    assert ds.queries[0].doc_ids == ("ko-10q-2025q2",)
    assert {x.type for x in ds.questions} == {
        "narrative",
        "table",
        "temporal",
        "cross_reference",
        "multi_section",
        "vocabulary_mismatch",
    }


def test_load_dataset_spec(secqa_dir: Path, sec_filings_dir: Path) -> None:
    ds = load_dataset(f"secqa:{secqa_dir / 'dev.jsonl'}", sec_filings_dir)
    assert ds.kind == "secqa" and len(ds.queries) == len(_lines(secqa_dir / "dev.jsonl"))
    with pytest.raises(DatasetError, match="needs a corpus"):
        load_dataset(f"secqa:{secqa_dir / 'dev.jsonl'}")
    with pytest.raises(ConfigError, match="unknown dataset kind 'msmarco'; expected one of beir"):
        load_dataset("msmarco:/x")


# -- small files written here -----------------------------------------------------------------


def _beir(tmp_path: Path, qrels: str) -> Path:
    root = tmp_path / "tiny"
    (root / "qrels").mkdir(parents=True)
    _write_jsonl(
        root / "corpus.jsonl",
        [
            {
                "_id": "d1",
                "title": "Aspirin",
                "text": "Aspirin lowers the risk of myocardial infarction.",
            },
            {"_id": "d2", "title": "", "text": "Statins reduce LDL cholesterol."},
        ],
    )
    _write_jsonl(
        root / "queries.jsonl",
        [
            {"_id": "q1", "text": "Does aspirin prevent heart attacks?"},
            {"_id": "q2", "text": "Statins and cholesterol"},
            {"_id": "q3", "text": "not judged in this split"},
        ],
    )
    (root / "qrels" / "test.tsv").write_text(qrels, encoding="utf-8")
    return root


def test_beir_small_folder_keeps_judged_queries_only(tmp_path: Path) -> None:
    root = _beir(tmp_path, "query-id\tcorpus-id\tscore\nq1\td1\t2\nq2\td2\t1\nq2\td1\t0\n")
    ds = load_beir(root)
    assert [q.id for q in ds.queries] == ["q1", "q2"]
    assert ds.qrels["q1"] == {"d1": 2}
    assert ds.queries[1].doc_ids == ("d2",)  # score 0 is not relevant


@pytest.mark.parametrize(
    ("qrels", "message"),
    [
        ("query-id\tcorpus-id\tscore\nq1\td1\n", r"test.tsv:2: expected 3 tab-separated"),
        ("query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\thigh\n", r"test.tsv:3: score should"),
        ("query-id\tcorpus-id\tscore\nq9\td1\t1\n", r"judged queries .* missing"),
    ],
)
def test_beir_malformed_qrels(tmp_path: Path, qrels: str, message: str) -> None:
    with pytest.raises(DatasetError, match=message):
        load_beir(_beir(tmp_path, qrels))


def test_beir_malformed_corpus_line_names_file_and_line(tmp_path: Path) -> None:
    root = _beir(tmp_path, "q1\td1\t1\n")
    with (root / "corpus.jsonl").open("a", encoding="utf-8") as f:
        f.write('{"_id": "d3", "text": "unterminated\n')
    with pytest.raises(DatasetError, match=r"corpus.jsonl:3: invalid JSON"):
        load_beir(root)


def test_beir_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="not a folder"):
        load_beir(tmp_path / "nope")


def _fb_row(**over: object) -> dict[str, object]:
    row: dict[str, object] = {
        "financebench_id": "fb_1",
        "company": "Acme",
        "doc_name": "ACME_2023_10K",
        "question_type": "metrics-generated",
        "question": "What was Acme's FY2023 capital expenditure?",
        "answer": "$1,577 million",
        "evidence": [
            {
                "evidence_text": "Purchases of property",
                "doc_name": "ACME_2023_10K",
                "evidence_page_num": 3,
            }
        ],
    }
    row.update(over)
    return row


def test_financebench_small(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "ACME_2023_10K.txt").write_text("p0\fp1\fp2\fPurchases of property", encoding="utf-8")
    qpath = _write_jsonl(
        tmp_path / "q.jsonl",
        [
            _fb_row(),
            _fb_row(
                financebench_id="fb_2",
                doc_name="OTHER_2022_10K",
                evidence=[{"doc_name": "OTHER_2022_10K", "evidence_page_num": 0}],
            ),
        ],
    )
    ds = load_financebench(qpath, docs)
    assert [q.id for q in ds.questions] == ["fb_1"] and ds.skipped == ("fb_2",)
    assert ds.questions[0].evidence[0].page == 3
    assert ds.queries[0].doc_ids == ("ACME_2023_10K",)
    assert ds.queries[0].qtype == "metrics-generated"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json}", r"q.jsonl:2: invalid JSON"),
        ("[1, 2]", r"q.jsonl:2: expected a JSON object, got list"),
        (
            json.dumps(_fb_row(financebench_id="fb_2", question=None)),
            r"q.jsonl:2: missing field 'question'",
        ),
        (
            json.dumps(_fb_row(financebench_id="fb_2", evidence="page 3")),
            r"q.jsonl:2: field 'evidence' should be list",
        ),
        (
            json.dumps(
                _fb_row(
                    financebench_id="fb_2",
                    evidence=[{"doc_name": "ACME_2023_10K", "evidence_page_num": "3"}],
                )
            ),
            r"q.jsonl:2: evidence\[0\]: field 'evidence_page_num' should be int",
        ),
        (json.dumps(_fb_row()), r"q.jsonl:2: duplicate financebench_id 'fb_1'"),
    ],
)
def test_financebench_malformed_line(tmp_path: Path, line: str, message: str) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "ACME_2023_10K.txt").write_text("p0", encoding="utf-8")
    qpath = tmp_path / "q.jsonl"
    qpath.write_text(json.dumps(_fb_row()) + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(DatasetError, match=message):
        load_financebench(qpath, docs)


def _secqa_row(**over: object) -> dict[str, object]:
    row: dict[str, object] = {
        "id": "sec-acme-01",
        "doc": "acme-10k-fy2024.htm",
        "question": "In Acme's 10-K for fiscal 2024, how many employees did it have?",
        "answer": "12,407",
        "answer_type": "number",
        "type": "narrative",
        "hops": 1,
        "evidence": [
            {
                "quote": "we employed approximately 12,407 full-time employees",
                "where": "Part I > Item 1 > Human Capital",
            }
        ],
    }
    row.update(over)
    return row


def test_secqa_small_and_missing_filing(tmp_path: Path) -> None:
    filings = tmp_path / "filings"
    filings.mkdir()
    (filings / "acme-10k-fy2024.htm").write_text("<html></html>", encoding="utf-8")
    qpath = _write_jsonl(
        tmp_path / "dev.jsonl",
        [
            _secqa_row(),
            _secqa_row(id="sec-gone-01", doc="gone-10k-fy2020.htm"),
        ],
    )
    ds = load_secqa(qpath, filings)
    assert [q.id for q in ds.questions] == ["sec-acme-01"] and ds.skipped == ("sec-gone-01",)
    assert ds.queries[0].doc_ids == ("acme-10k-fy2024",) and ds.queries[0].qtype == "narrative"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (_secqa_row(id="sec-acme-02", evidence=[]), r"dev.jsonl:2: 'evidence' is empty"),
        (
            _secqa_row(id="sec-acme-02", evidence=[{"where": "x"}]),
            r"dev.jsonl:2: evidence\[0\]: missing field 'quote'",
        ),
        (_secqa_row(id="sec-acme-02", hops="two"), r"dev.jsonl:2: field 'hops' should be int"),
        (_secqa_row(id="sec-acme-02", type=""), r"dev.jsonl:2: field 'type' is empty"),
        (_secqa_row(), r"dev.jsonl:2: duplicate id 'sec-acme-01'"),
    ],
)
def test_secqa_malformed_line(tmp_path: Path, row: dict[str, object], message: str) -> None:
    filings = tmp_path / "filings"
    filings.mkdir()
    (filings / "acme-10k-fy2024.htm").write_text("<html></html>", encoding="utf-8")
    qpath = _write_jsonl(tmp_path / "dev.jsonl", [_secqa_row(), row])
    with pytest.raises(DatasetError, match=message):
        load_secqa(qpath, filings)
