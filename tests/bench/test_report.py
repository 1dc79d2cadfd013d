"""The report on its own: schema, Markdown tables, charts redrawn from a saved report.json,
the agent hook for context tokens, and a cheap import."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ragkit.bench.charts import write_charts
from ragkit.bench.datasets import load_secqa
from ragkit.bench.report import BenchReport, SystemResult, render_markdown, write_report
from ragkit.bench.runner import run_benchmark
from ragkit.types import Chunk, Hit

from .conftest import TermOverlapRetriever


def _report() -> BenchReport:
    per_query = [
        {"id": "q1", "type": "table", "metrics": {"evidence_recall@10": 1.0}, "latency_ms": 4.0},
        {"id": "q2", "type": "temporal", "metrics": {"evidence_recall@10": 0.0}, "latency_ms": 9.0},
    ]
    systems = {
        "bm25": SystemResult(
            metrics={"evidence_recall@1": 0.25, "evidence_recall@10": 0.5},
            latency_ms={"p50": 4.0, "p95": 8.8},
            context_tokens={"mean": 2100.0},
            per_query=per_query,
            metrics_by_type={
                "table": {"evidence_recall@10": 1.0},
                "temporal": {"evidence_recall@10": 0.0},
            },
        ),
        "agentic": SystemResult(
            metrics={"evidence_recall@1": 0.5, "evidence_recall@10": 0.75},
            latency_ms={"p50": 900.0, "p95": 2400.0},
            context_tokens={"mean": 18000.0},
            info={"index_build_s": 0.0},
        ),
    }
    return BenchReport(
        dataset="secqa:dev",
        n_queries=2,
        systems=systems,
        environment={"python": "3.11", "cpu_count": 2},
        primary_metrics=["evidence_recall@10"],
    )


def test_write_report_without_traces(tmp_path: Path) -> None:
    paths = write_report(_report(), tmp_path)
    assert [p.name for p in paths] == [
        "report.json",
        "report.md",
        "quality_vs_latency.png",
        "quality_vs_tokens.png",
        "failure_attribution.png",
        "recall_at_k.png",
    ]
    data = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert data["systems"]["agentic"]["metrics"]["evidence_recall@10"] == 0.75
    assert data["systems"]["bm25"]["failure_stages"] == {}
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "| agentic | 0.750 | 900.000 | 2400.000 | 18000.000 | 0.000 |" in md
    assert "| bm25 | 1.000 | 0.000 |" in md  # per type: table, temporal
    assert "Failure attribution" not in md  # nothing traced, no empty table
    assert not list(tmp_path.glob("*.tmp"))


def test_charts_redraw_from_saved_json(tmp_path: Path) -> None:
    write_report(_report(), tmp_path, charts=False)
    assert not (tmp_path / "recall_at_k.png").exists()
    data = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    paths = write_charts(data, tmp_path / "charts")
    assert all(p.read_bytes()[:4] == b"\x89PNG" and p.stat().st_size > 2000 for p in paths)


def test_markdown_lists_every_metric() -> None:
    md = render_markdown(_report())
    assert md.startswith("# Benchmark: secqa:dev")
    assert "| evidence_recall@1 | 0.250 | 0.500 |" in md


class _ReadingAgent:
    """An agent-like retriever: returns term-overlap passages but reports that it read
    every passage of the corpus (its context cost), via `last_context_tokens`."""

    def __init__(self, chunks: list[Chunk]) -> None:
        self.inner = TermOverlapRetriever(chunks)
        self.read = sum(len(c.text.split()) for c in chunks)
        self.last_context_tokens: list[int] = []

    def search(
        self, queries: Sequence[str], k: int, filters: Mapping[str, Any] | None = None
    ) -> list[list[Hit]]:
        self.last_context_tokens = [self.read for _ in queries]
        return self.inner.search(queries, k, filters)


def test_context_tokens_hook(tmp_path: Path, filing_chunks: list[Chunk]) -> None:
    filings = tmp_path / "filings"
    filings.mkdir()
    (filings / "ba-10q-2025q2.htm").write_text("<html></html>", encoding="utf-8")
    qpath = tmp_path / "dev.jsonl"
    qpath.write_text(
        json.dumps(
            {
                "id": "sec-ba-06",
                "doc": "ba-10q-2025q2.htm",
                "type": "narrative",
                "hops": 1,
                "question": "How many airplanes did Commercial Airplanes deliver?",
                "answer": "150",
                "evidence": [
                    {"quote": "Commercial Airplanes delivered 150 airplanes in the quarter"}
                ],
            }
        )
        + "\n",
        encoding="utf-8",
    )
    dataset = load_secqa(qpath, filings)
    agent = _ReadingAgent(filing_chunks)
    report = run_benchmark(
        dataset,
        {"agent": agent, "rag": agent.inner},
        ks=(1, 5),
        context_k=1,
        progress=False,
        n_resamples=100,
    )
    assert report.systems["agent"].context_tokens["mean"] == agent.read
    top = agent.inner.search(["How many airplanes did Commercial Airplanes deliver?"], 1)[0][0]
    assert top.chunk is not None
    # RAG's cost: the one passage it hands on, counted as words and punctuation
    assert report.systems["rag"].context_tokens["mean"] < agent.read
    assert report.systems["rag"].metrics["evidence_recall@1"] == 1.0


def test_import_is_cheap() -> None:
    probe = "import sys, ragkit.bench; print(','.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded = set(out.stdout.strip().split(","))
    heavy = {"torch", "faiss", "sentence_transformers", "bm25s", "matplotlib", "ranx", "cohere"}
    assert not loaded & heavy, loaded & heavy
