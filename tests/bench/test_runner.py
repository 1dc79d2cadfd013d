"""End to end: real (tiny, deterministic) retrievers through the runner, metrics and report."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from ragkit.bench.datasets import load_beir, load_financebench, load_secqa
from ragkit.bench.metrics import ndcg_at_k
from ragkit.bench.runner import SystemSpec, per_document_filter, run_benchmark
from ragkit.errors import ConfigError
from ragkit.types import Chunk

from .conftest import TermOverlapRetriever, TracedHybrid

SPLIT_QUOTE = (
    "which was recorded in operating activities. Other financing activities included $104 million"
)


def _secqa(tmp_path: Path) -> Path:
    filings = tmp_path / "filings"
    filings.mkdir()
    for name in ("ko-10q-2025q2.htm", "ba-10q-2025q2.htm"):
        (filings / name).write_text("<html><body>filing</body></html>", encoding="utf-8")
    rows = [
        {
            "id": "sec-ko-05",
            "doc": "ko-10q-2025q2.htm",
            "type": "cross_reference",
            "hops": 2,
            "question": "Latin America operating income was reduced by a trademark impairment; "
            "what is the remaining carrying value of the trademark?",
            "answer": "$55 million",
            "answer_type": "number",
            "evidence": [
                {
                    "quote": "Operating income (loss) was reduced by $31 million for Latin America "
                    "due to the impairment of a trademark."
                },
                {"quote": "The remaining carrying value of the trademark is $55 million."},
            ],
        },
        {
            "id": "sec-ba-05",
            "doc": "ba-10q-2025q2.htm",
            "type": "cross_reference",
            "hops": 2,
            "question": "What two amounts make up the escrow under the non-prosecution agreement?",
            "answer": "$244 fine and $445 fund",
            "answer_type": "number",
            "evidence": [
                {
                    "quote": "includes $689 placed in escrow pursuant to the May 2025 "
                    "non-prosecution agreement"
                },
                {"quote": "The escrow consists of a $244 fine and a $445 compensation fund"},
            ],
        },
        {
            "id": "sec-ko-07",
            "doc": "ko-10q-2025q2.htm",
            "type": "multi_section",
            "hops": 2,
            "question": "How was the fairlife milestone payment split between operating and "
            "financing activities?",
            "answer": "$6,069 million and $104 million",
            "answer_type": "number",
            "evidence": [
                {"quote": "$6,069 million of the $6,173 million final milestone payment"},
                {"quote": SPLIT_QUOTE},
            ],
        },
        {
            "id": "sec-ba-06",
            "doc": "ba-10q-2025q2.htm",
            "type": "narrative",
            "hops": 1,
            "question": "How many airplanes did Commercial Airplanes deliver and what was the "
            "backlog?",
            "answer": "150",
            "answer_type": "number",
            "evidence": [{"quote": "Commercial Airplanes delivered 150 airplanes in the quarter"}],
        },
    ]
    qpath = tmp_path / "dev.jsonl"
    qpath.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return qpath


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_secqa_end_to_end_with_attribution(tmp_path: Path, filing_chunks: list[Chunk]) -> None:
    dataset = load_secqa(_secqa(tmp_path), tmp_path / "filings")
    chunks = {c.id: c for c in filing_chunks}
    systems = {
        "overlap": TermOverlapRetriever(filing_chunks),
        "hybrid": SystemSpec(
            TracedHybrid(filing_chunks, depth=5, fused_k=3),
            chunks,
            {"index_build_s": 0.0, "description": "test hybrid"},
        ),
        "hybrid-narrow": SystemSpec(TracedHybrid(filing_chunks, depth=2, fused_k=1), chunks),
    }
    out = tmp_path / "out"
    report = run_benchmark(
        dataset, systems, ks=(1, 3, 5), out_dir=out, context_k=3, progress=False, n_resamples=500
    )

    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert data["dataset"] == "secqa:dev" and data["n_queries"] == 4
    assert set(data["systems"]) == {"overlap", "hybrid", "hybrid-narrow"}
    assert {"python", "platform", "cpu_count", "ragkit_version", "git_commit"} <= set(
        data["environment"]
    )
    for system in data["systems"].values():
        assert {"metrics", "latency_ms", "context_tokens", "failure_stages", "per_query"} <= set(
            system
        )
        assert {"p50", "p95"} <= set(system["latency_ms"])
        assert system["context_tokens"]["mean"] > 0
        assert len(system["per_query"]) == 4
        for k in (1, 3, 5):
            for name in ("evidence_recall", "question_recall", "doc_recall"):
                assert 0.0 <= system["metrics"][f"{name}@{k}"] <= 1.0
    # 7 quotes; SPLIT_QUOTE spans two passages so no system can ever find it
    overlap = report.systems["overlap"]
    assert overlap.metrics["evidence_recall@5"] <= 6 / 7
    assert overlap.metrics["question_recall@5"] <= 3 / 4
    ba06 = next(q for q in overlap.per_query if q["id"] == "sec-ba-06")
    assert ba06["metrics"]["evidence_recall@1"] == 1.0  # the only passage naming deliveries
    assert ba06["hits"][0]["chunk_id"] == "ba-10q-2025q2-2"
    assert overlap.metrics["doc_recall@1"] == 1.0  # every top passage is from the right filing
    assert set(overlap.metrics_by_type) == {"cross_reference", "multi_section", "narrative"}
    # recall never decreases with k
    for system in report.systems.values():
        values = [system.metrics[f"evidence_recall@{k}"] for k in (1, 3, 5)]
        assert values == sorted(values)

    # attribution: only the traced system has it, one verdict per quote
    assert overlap.failure_stages == {}
    hybrid = report.systems["hybrid"]
    assert sum(hybrid.failure_stages.values()) == 7
    assert hybrid.failure_stages.get("chunking") == 1
    split = next(q for q in hybrid.per_query if q["id"] == "sec-ko-07")
    assert split["evidence"][1]["stage"] == "chunking"
    kept = hybrid.failure_stages.get("kept", 0)
    assert kept == round(hybrid.metrics["evidence_recall@3"] * 7)  # kept == found in context
    assert sum(hybrid.failure_stages_by_type["multi_section"].values()) == 2
    assert set(hybrid.latency_ms["stages"]) == {"bm25", "dense", "fusion"}
    assert hybrid.info["description"] == "test hybrid"
    # the narrow pipeline (depth 2, one fused passage) loses evidence at fusion; for sec-ko-05
    # both quotes reach the candidate lists but only the first passage survives fusion
    narrow = report.systems["hybrid-narrow"]
    ko05 = next(q for q in narrow.per_query if q["id"] == "sec-ko-05")
    assert [e["stage"] for e in ko05["evidence"]] == ["kept", "fusion"]
    assert narrow.failure_stages["fusion"] >= 1 and narrow.failure_stages["chunking"] == 1
    assert narrow.failure_stages["kept"] == round(narrow.metrics["evidence_recall@1"] * 7)
    assert sum(narrow.failure_stages.values()) == 7

    # paired comparisons on the headline metrics
    assert {c["metric"] for c in data["comparisons"]} == set(data["primary_metrics"])
    assert all(0 < c["p_value"] <= 1 for c in data["comparisons"])

    md = (out / "report.md").read_text(encoding="utf-8")
    assert "| system | evidence_recall@10" not in md  # ks has no 10: nearest cut-off is used
    assert "| system | evidence_recall@5 | question_recall@5 | doc_recall@5 |" in md
    assert "## Failure attribution" in md
    assert "| system | chunking | fusion | kept | items |" in md
    assert "| hybrid-narrow | 1 (14%) | 2 (29%) | 4 (57%) | 7 |" in md
    assert "## Paired comparisons" in md and "### hybrid by question type" in md
    for name in (
        "quality_vs_latency.png",
        "quality_vs_tokens.png",
        "failure_attribution.png",
        "recall_at_k.png",
    ):
        width, height = _png_size(out / name)
        assert width > 300 and height > 150


def _financebench(tmp_path: Path) -> tuple[Path, Path, list[Chunk]]:
    docs = tmp_path / "text"
    docs.mkdir()
    pages = {
        "ACME_2022_10K": [
            "Acme Corporation annual report cover page",
            "Capital expenditures were $1,200 million.",
            "Revenue was $9,100 million in fiscal 2022.",
        ],
        "ACME_2023_10K": [
            "Acme Corporation annual report cover page",
            "Acme revenue was $9,650 million in fiscal 2023, compared with fiscal 2022.",
            "Capital expenditures were $1,577 million in fiscal 2023.",
        ],
    }
    chunks = []
    for doc, texts in pages.items():
        (docs / f"{doc}.txt").write_text("\f".join(texts), encoding="utf-8")
        for i, text in enumerate(texts):
            chunks.append(
                Chunk(
                    id=f"{doc}-p{i}",
                    doc_id=doc,
                    text=text,
                    page_start=i,
                    page_end=i,
                    metadata={"source_name": f"{doc}.txt"},
                )
            )
    rows = [
        {
            "financebench_id": "fb1",
            "doc_name": "ACME_2023_10K",
            "question_type": "metrics-generated",
            "question": "What were Acme capital expenditures in fiscal 2023?",
            "answer": "$1,577m",
            "evidence": [{"doc_name": "ACME_2023_10K", "evidence_page_num": 2}],
        },
        {
            "financebench_id": "fb2",
            "doc_name": "ACME_2022_10K",
            "question_type": "domain-relevant",
            "question": "What was Acme revenue in fiscal 2022?",
            "answer": "$9,100 million",
            "evidence": [{"doc_name": "ACME_2022_10K", "evidence_page_num": 2}],
        },
    ]
    qpath = tmp_path / "fb.jsonl"
    qpath.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return qpath, docs, chunks


def test_financebench_shared_corpus_vs_per_document(tmp_path: Path) -> None:
    qpath, docs, chunks = _financebench(tmp_path)
    dataset = load_financebench(qpath, docs)
    retriever = TermOverlapRetriever(chunks)
    shared = run_benchmark(dataset, {"overlap": retriever}, ks=(1, 2), progress=False)
    per_doc = run_benchmark(
        dataset, {"overlap": retriever}, ks=(1, 2), progress=False, filters=per_document_filter
    )
    s, p = shared.systems["overlap"], per_doc.systems["overlap"]
    # shared corpus: fb2 ("Acme revenue in fiscal 2022") is pulled to the 2023 filing, whose
    # revenue sentence also names fiscal 2022; its own page comes second
    fb2 = next(q for q in s.per_query if q["id"] == "fb2")
    assert [h["chunk_id"] for h in fb2["hits"][:2]] == ["ACME_2023_10K-p1", "ACME_2022_10K-p2"]
    assert s.metrics["page_recall@1"] == 0.5 and s.metrics["page_recall@2"] == 1.0
    assert s.metrics["doc_recall@1"] == 0.5
    # per document: the filter keeps each question inside its own filing
    assert p.metrics["page_recall@1"] == 1.0 and p.metrics["doc_recall@1"] == 1.0
    for query, doc in zip(p.per_query, ["ACME_2023_10K", "ACME_2022_10K"], strict=True):
        assert {h["doc_id"] for h in query["hits"]} == {doc}
    assert p.metrics["page_coverage@1"] == 1.0 and s.metrics["page_coverage@1"] == 0.5
    assert s.metrics_by_type["domain-relevant"]["page_recall@1"] == 0.0
    assert per_doc.settings["filters"] == "per-document" and shared.settings["filters"] == "none"
    assert set(s.metrics) == {
        f"{m}@{k}" for m in ("page_recall", "page_coverage", "doc_recall") for k in (1, 2)
    }


def test_beir_end_to_end_matches_direct_metric(tmp_path: Path) -> None:
    root = tmp_path / "tiny"
    (root / "qrels").mkdir(parents=True)
    docs = {
        "d1": "Aspirin lowers the risk of myocardial infarction in older adults.",
        "d2": "Statins reduce LDL cholesterol and cardiovascular events.",
        "d3": "Myocardial infarction outcomes after statin therapy.",
        "d4": "Vitamin D supplementation and bone density.",
    }
    (root / "corpus.jsonl").write_text(
        "".join(json.dumps({"_id": d, "title": "", "text": t}) + "\n" for d, t in docs.items()),
        encoding="utf-8",
    )
    (root / "queries.jsonl").write_text(
        json.dumps({"_id": "q1", "text": "statins myocardial infarction"})
        + "\n"
        + json.dumps({"_id": "q2", "text": "vitamin D bone"})
        + "\n",
        encoding="utf-8",
    )
    (root / "qrels" / "test.tsv").write_text("q1\td3\t2\nq1\td2\t1\nq2\td4\t1\n", encoding="utf-8")
    dataset = load_beir(root)
    chunks = [Chunk(id=f"{d}-0", doc_id=d, text=t) for d, t in docs.items()]
    retriever = TermOverlapRetriever(chunks)
    report = run_benchmark(dataset, {"overlap": retriever}, ks=(1, 10), progress=False)
    ranked_q1 = [h.chunk.doc_id for h in retriever.search(["statins myocardial infarction"], 10)[0]]
    expected = (ndcg_at_k(ranked_q1, {"d3": 2, "d2": 1}, 10) + 1.0) / 2
    assert report.systems["overlap"].metrics["ndcg@10"] == pytest.approx(expected)
    assert report.systems["overlap"].metrics["recall@10"] == 1.0
    assert report.primary_metrics == ["ndcg@10", "recall@10"]


def test_runner_rejects_bad_arguments(tmp_path: Path, filing_chunks: list[Chunk]) -> None:
    dataset = load_secqa(_secqa(tmp_path), tmp_path / "filings")
    retriever = TermOverlapRetriever(filing_chunks)
    with pytest.raises(ConfigError, match="no systems"):
        run_benchmark(dataset, {})
    with pytest.raises(ConfigError, match="ks must be positive"):
        run_benchmark(dataset, {"x": retriever}, ks=(0, 5))
    with pytest.raises(ConfigError, match="without search"):
        run_benchmark(dataset, {"x": object()}, progress=False)  # type: ignore[dict-item]
