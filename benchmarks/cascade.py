"""The cascade's threshold on development questions: one run of the pipeline alone and of the
cascade that always escalates gives, for every threshold, what the cascade would return
(escalation is deterministic and does not depend on the threshold), so the sensitivity
table costs a single escalation per question.

    .venv/bin/python benchmarks/cascade.py --only secqa,financebench [--out bench-out/cascade]

Prints, per data set, the headline metric at 10, mean context tokens, escalation rate and
precision for each threshold, next to the pipeline and the agent; writes each run's report
(`report.json`, `report.md`, charts) and `sensitivity.md` under `--out`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ragkit.bench.datasets import load_dataset
from ragkit.bench.report import BenchReport, render_markdown, write_report
from ragkit.bench.runner import run_benchmark
from ragkit.bench.systems import BenchEnv, agentic_hybrid_system, build_systems, cascade_system
from ragkit.bench.tasks import QueryScore, Task, task_for
from ragkit.cascade.core import DEFAULT_THRESHOLD

#: label -> (dataset spec relative to the data folder, corpus folder, metadata file or None)
DATASETS: dict[str, tuple[str, str, str | None]] = {
    "secqa": ("secqa:sec-qa/dev.jsonl", "sec-filings", None),
    "financebench": (
        "financebench:financebench/financebench_dev.jsonl",
        "financebench/text",
        "financebench/financebench_document_information.jsonl",
    ),
}
THRESHOLDS: tuple[float, ...] = (0.0, 0.5, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 1.01)


def sweep(
    task: Task,
    pipeline: Mapping[str, Any],
    always: Mapping[str, Any],
    thresholds: Sequence[float],
    k: int = 10,
) -> list[dict[str, Any]]:
    """Per threshold, the cascade's metrics, mean tokens, escalation rate and precision,
    recombined per query from the pipeline-only and always-escalating runs' report dicts."""
    base = {q["id"]: q for q in pipeline["per_query"]}
    rows = []
    for t in thresholds:
        scores, tokens, escalated, gained, lost = [], [], 0, 0, 0
        for q in always["per_query"]:
            esc = q["escalation"]["score"] < t
            chosen = q if esc else base[q["id"]]
            scores.append(QueryScore(chosen["metrics"], chosen.get("counts", {})))
            tokens.append(chosen["context_tokens"])
            escalated += esc
            gained += esc and bool(q["escalation"]["gained"])
            lost += len(q["escalation"]["lost"]) if esc else 0
        metrics = task.aggregate(scores, [k])
        rows.append({"threshold": t, **metrics, "tokens": sum(tokens) / len(tokens),
                     "rate": escalated / len(tokens), "lost": lost,
                     "precision": gained / escalated if escalated else None})  # fmt: skip
    return rows


def _table(rows: list[dict[str, Any]], metrics: list[str]) -> str:
    head = ["threshold", *metrics, "mean tokens", "escalation rate", "precision", "items lost"]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        prec = "–" if r["precision"] is None else f"{r['precision']:.2f}"
        cells = [f"{r['threshold']:.2f}", *(f"{r[m]:.3f}" for m in metrics),
                 f"{r['tokens']:,.0f}", f"{r['rate']:.2f}", prec, str(r["lost"])]  # fmt: skip
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def run(
    label: str, data: Path, out: Path, systems: str, retrieval: str, backend: str | None = None
) -> str:
    """Run one data set (`backend`: the encoder's; None: the default); returns its
    sensitivity table as Markdown."""
    spec, corpus, metadata = DATASETS[label]
    kind, _, rel = spec.partition(":")
    dataset = load_dataset(f"{kind}:{data / rel}", data / corpus)
    env = BenchEnv(dataset, metadata_file=data / metadata if metadata else None, backend=backend)
    built, _ = build_systems(systems, env)
    if retrieval == "bm25":  # a quick look without embeddings: every system on routed BM25
        built["agentic-hybrid"] = agentic_hybrid_system(env, retrieval)
        built["cascade"] = cascade_system(env, retrieval)
    built["cascade-always"] = cascade_system(env, retrieval, threshold=2.0)
    report: BenchReport = run_benchmark(dataset, built, [1, 5, 10, 20], None, progress=False)
    write_report(report, out / label)
    print(render_markdown(report))
    data_dict = report.to_dict()
    task = task_for(dataset)
    metrics = [m for m in report.primary_metrics if m.endswith("@10")][:2]
    rows = sweep(task, data_dict["systems"]["hybrid-routed" if retrieval == "hybrid"
                                           else "bm25-routed"],
                 data_dict["systems"]["cascade-always"], THRESHOLDS)  # fmt: skip
    lines = [f"### {label} ({report.n_queries} questions, default threshold {DEFAULT_THRESHOLD})",
             "", _table(rows, metrics), ""]  # fmt: skip
    for name in ("hybrid-routed", "bm25-routed", "agentic", "agentic-hybrid", "cascade"):
        s = data_dict["systems"].get(name)
        if s:
            vals = ", ".join(f"{m} {s['metrics'][m]:.3f}" for m in metrics)
            lines.append(f"- {name}: {vals}, {s['context_tokens']['mean']:,.0f} tokens")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the chosen data sets and print/write their sensitivity tables."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    p.add_argument("--out", default="bench-out/cascade")
    p.add_argument("--only", default="secqa,financebench", help="comma-separated data sets")
    p.add_argument("--retrieval", choices=("hybrid", "bm25"), default="hybrid",
                   help="the pipeline: routed hybrid (default) or routed BM25")  # fmt: skip
    p.add_argument("--backend", default=None, choices=("torch", "onnx", "onnx-int8"),
                   help="encoder backend (default: onnx-int8 on CPU with onnxruntime)")  # fmt: skip
    args = p.parse_args(argv)
    pipe = "hybrid-routed" if args.retrieval == "hybrid" else "bm25-routed"
    systems = f"{pipe},agentic" + (",agentic-hybrid,cascade" if args.retrieval == "hybrid" else "")
    tables = [run(label, Path(args.data), Path(args.out), systems, args.retrieval, args.backend)
              for label in args.only.split(",")]  # fmt: skip
    text = "\n".join(tables)
    Path(args.out).mkdir(parents=True, exist_ok=True)
    (Path(args.out) / "sensitivity.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
