"""`ragkit bench` end to end on a tiny SEC-QA-format dataset over the synthetic filings: the
report's schema, and a second run served from the index cache."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from ragkit.cli import main
from tests.synthetic import FACTS_10K, FACTS_10Q, write_synthetic_corpus

QUESTIONS = [
    {
        "id": "acme-01",
        "doc": "acme-10k-fy2024.htm",
        "type": "lookup",
        "question": "How many full-time employees did Acme Widgets employ at the end of 2024?",
        "evidence": [{"quote": FACTS_10K["employees_phrase"]}],
    },
    {
        "id": "acme-02",
        "doc": "acme-10k-fy2024.htm",
        "type": "lookup",
        "question": "What principal was outstanding on Acme's 4.125% Senior Notes due 2031?",
        "evidence": [{"quote": FACTS_10K["debt_phrase"]}],
    },
    {
        "id": "acme-03",
        "doc": "acme-10k-fy2024.htm",
        "type": "cross_reference",
        "question": "Acme's MD&A points to Note 12 for lease maturities; what remaining lease "
        "terms does that note give?",
        "evidence": [
            {"quote": FACTS_10K["see_note_sentence"]},
            {"quote": FACTS_10K["lease_phrase"]},
        ],
    },
    {
        "id": "acme-04",
        "doc": "acme-10q-2024q2.htm",
        "type": "lookup",
        "question": "In Acme's 10-Q for the second quarter of 2024, what were borrowings under "
        "the commercial paper program?",
        "evidence": [{"quote": FACTS_10Q["debt_phrase"]}],
    },
]


@pytest.fixture(scope="module")
def bench_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Two `ragkit bench` runs over the same data and cache (the second one cached)."""
    root = tmp_path_factory.mktemp("bench-cli")
    corpus = root / "filings"
    write_synthetic_corpus(corpus)
    qa = root / "qa.jsonl"
    qa.write_text("".join(json.dumps(q) + "\n" for q in QUESTIONS), encoding="utf-8")
    mp = pytest.MonkeyPatch()
    mp.setenv("RAGKIT_CACHE", str(root / "cache"))
    mp.setenv("HF_HUB_OFFLINE", "1")
    out: dict[str, Any] = {}
    try:
        for run in ("first", "second"):
            start = time.perf_counter()
            status = main(["bench", "--dataset", f"secqa:{qa}", "--corpus", str(corpus),
                           "--systems", "bm25,hybrid,agentic", "--out", str(root / run),
                           "--k", "1,5,10", "--quiet"])  # fmt: skip
            out[run] = {
                "status": status,
                "seconds": time.perf_counter() - start,
                "dir": root / run,
                "report": json.loads((root / run / "report.json").read_text()),
            }
    finally:
        mp.undo()
    return out


@pytest.mark.slow
def test_report_schema(bench_runs: dict[str, Any]) -> None:
    first = bench_runs["first"]
    assert first["status"] == 0
    report = first["report"]
    assert report["dataset"].startswith("secqa:")
    assert report["n_queries"] == len(QUESTIONS)
    assert set(report["systems"]) == {"bm25", "hybrid", "agentic"}
    for name, system in report["systems"].items():
        for k in (1, 5, 10):
            for metric in ("evidence_recall", "doc_recall"):
                value = system["metrics"][f"{metric}@{k}"]
                assert 0.0 <= value <= 1.0, (name, metric, k)
        assert (
            system["latency_ms"]["p50"] > 0
            and system["latency_ms"]["p95"] >= (system["latency_ms"]["p50"])
        )
        assert system["context_tokens"]["mean"] > 0
        assert isinstance(system["failure_stages"], dict)
        assert len(system["per_query"]) == len(QUESTIONS)
    # pipelines are traced stage by stage; every evidence item is attributed once
    n_items = sum(len(q["evidence"]) for q in QUESTIONS)
    for name in ("bm25", "hybrid"):
        stages = report["systems"][name]["failure_stages"]
        assert sum(stages.values()) == n_items
        assert set(report["systems"][name]["latency_ms"]["stages"]) >= {"bm25"}
    assert {"bm25", "dense", "fusion"} <= set(report["systems"]["hybrid"]["latency_ms"]["stages"])
    # the lookups are easy on this corpus: BM25 finds the 10-K debt quote in its top 10
    assert report["systems"]["bm25"]["metrics"]["evidence_recall@10"] >= 0.5
    assert report["systems"]["agentic"]["info"]["index_build_s"] == 0
    assert (first["dir"] / "report.md").is_file()
    assert list(first["dir"].glob("*.png"))


@pytest.mark.slow
def test_second_run_is_cached(bench_runs: dict[str, Any]) -> None:
    first = bench_runs["first"]["report"]["systems"]
    second = bench_runs["second"]["report"]["systems"]
    for name in ("bm25", "hybrid"):
        assert first[name]["info"]["cached"] is False
        assert second[name]["info"]["cached"] is True
        assert second[name]["info"]["chunks_cached"] is True
        assert second[name]["info"]["index_build_s"] == first[name]["info"]["index_build_s"]
        assert second[name]["info"]["index_bytes"] > 0
        assert second[name]["metrics"] == first[name]["metrics"]


def test_unknown_system_is_one_clean_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["bench", "--dataset", "secqa:x.jsonl", "--systems", "bm25,nope",
                   "--out", str(tmp_path)])  # fmt: skip
    assert status == 2
    err = capsys.readouterr().err
    assert "unknown system 'nope'" in err and "hybrid-routed" in err
