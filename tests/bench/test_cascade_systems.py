"""The `agentic-hybrid` and `cascade` systems on synthetic filings (routed BM25 as their
pipeline, so no model loads): context tokens counted like the agent's, the escalation rate
and precision in the report, and the quality-vs-tokens chart with its Pareto front."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ragkit.bench.charts import pareto_front
from ragkit.bench.datasets import load_secqa
from ragkit.bench.report import render_markdown, write_report
from ragkit.bench.runner import run_benchmark
from ragkit.bench.systems import (
    BenchEnv,
    agentic_hybrid_system,
    build_systems,
    cascade_system,
    known_systems,
)
from tests.synthetic import write_synthetic_corpus

QUESTIONS = [
    {
        "id": "q-note",
        "doc": "orbital-10k-2023.txt",
        "question": "Which lease commitments does Orbital's discussion of net cash provided by "
        "operating activities refer to?",
        "answer": "$611 million due after five years",
        "answer_type": "number",
        "type": "cross_reference",
        "hops": 2,
        "evidence": [
            {"quote": "See Note 12 for lease commitments.", "where": "Item 7"},
            {
                "quote": "Operating lease liabilities due after five years were $611 million.",
                "where": "Note 12",
            },
        ],  # fmt: skip
    },
    {
        "id": "q-supplier",
        "doc": "orbital-10k-2023.txt",
        "question": "Which share of Orbital's rotor blades comes from its supplier in Oulu?",
        "answer": "48%",
        "answer_type": "number",
        "type": "narrative",
        "hops": 1,
        "evidence": [
            {"quote": "a single supplier in Oulu provides 48% of rotor blades", "where": "Item 1A"}
        ],  # fmt: skip
    },
]


@pytest.fixture()
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> BenchEnv:
    monkeypatch.setenv("RAGKIT_CACHE", str(tmp_path / "cache"))
    write_synthetic_corpus(tmp_path / "filings")
    qa = tmp_path / "qa.jsonl"
    qa.write_text("".join(json.dumps(q) + "\n" for q in QUESTIONS), encoding="utf-8")
    return BenchEnv(load_secqa(qa, tmp_path / "filings"), progress=False)


def test_both_systems_are_registered() -> None:
    assert {"agentic-hybrid", "cascade"} <= set(known_systems())


def test_cascade_and_agent_with_search_in_a_benchmark(env: BenchEnv, tmp_path: Path) -> None:
    systems, _ = build_systems("bm25-routed,agentic", env)
    systems["agentic-hybrid"] = agentic_hybrid_system(env, "bm25")
    systems["cascade"] = cascade_system(env, "bm25", threshold=2.0)  # always escalates
    report = run_benchmark(env.dataset, systems, [1, 3], tmp_path / "out", context_k=3,
                           progress=False)  # fmt: skip
    cascade, pipeline = report.systems["cascade"], report.systems["bm25-routed"]
    assert cascade.escalation["escalated"] == 2 and cascade.escalation["rate"] == 1.0
    note = next(q for q in cascade.per_query if q["id"] == "q-note")
    assert note["escalation"]["escalated"] and note["escalation"]["lost"] == []
    assert "Operating lease liabilities due" in note["escalation"]["gained"][0]
    assert cascade.escalation["precision"] == 0.5  # one escalation of two found more
    assert cascade.metrics["evidence_recall@3"] >= pipeline.metrics["evidence_recall@3"]
    # tokens: the pipeline's context plus everything the escalation read
    for q_c, q_p in zip(cascade.per_query, pipeline.per_query, strict=True):
        assert q_c["context_tokens"] > q_p["context_tokens"]
    agent = report.systems["agentic-hybrid"]
    assert (
        agent.metrics["evidence_recall@3"] >= report.systems["agentic"].metrics["evidence_recall@3"]
    )
    assert pipeline.escalation == {} and "escalation" not in pipeline.per_query[0]
    md = render_markdown(report)
    assert "## Escalation" in md and "| cascade | 2 | 2 | 1.000 | 0.500 |" in md
    assert (tmp_path / "out" / "quality_vs_tokens.png").stat().st_size > 2000
    data = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert data["systems"]["cascade"]["escalation"]["items_gained"] == 1
    write_report(report, tmp_path / "again")  # a report redraws from itself


def test_pareto_front() -> None:
    points = {"cheap": (100.0, 0.5), "dear": (1000.0, 0.9), "worse": (500.0, 0.4),
              "tie": (100.0, 0.5), "mid": (300.0, 0.7)}  # fmt: skip
    assert pareto_front(points) == ["cheap", "tie", "mid", "dear"]
    assert pareto_front({}) == []
