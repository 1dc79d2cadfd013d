"""Before/after table for `ragkit adapt`: the packaged MiniLM against adapted encoders (and an
adapted reranker, no blending), side by side in one run on one dataset.

    .venv/bin/python benchmarks/adapt.py scifact --model /tmp/scifact-s0 --model /tmp/scifact-s1
    .venv/bin/python benchmarks/adapt.py secqa --model DIR --reranker RDIR

Datasets (dev/test splits only, as in `benchmarks/run_all.py`): scifact (BEIR test qrels,
adapted on the corpus alone), secqa (SEC QA dev), financebench (FinanceBench dev). Each
model runs in the `--systems` (default dense, hybrid and the routed hybrid, the best hybrid
system on filings); each reranker reranks the first model's hybrid top 30 by its own score
alone. Adapt the models first with `ragkit adapt`; every manifest's pair counts, steps,
losses and wall time are printed under the table.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from ragkit.bench.datasets import load_dataset
from ragkit.bench.runner import SystemSpec, run_benchmark
from ragkit.bench.systems import BenchEnv, TracedPipeline, build_systems

#: label -> (dataset spec relative to the data folder, corpus folder or None, cut-offs)
DATASETS: dict[str, tuple[str, str | None, list[int]]] = {
    "scifact": ("beir:beir/scifact", None, [10, 100]),
    "secqa": ("secqa:sec-qa/dev.jsonl", "sec-filings", [1, 5, 10, 20]),
    "financebench": (
        "financebench:financebench/financebench_dev.jsonl",
        "financebench/text",
        [1, 5, 10, 20],
    ),
}


def _reranked(env: BenchEnv, reranker: str, label: str) -> SystemSpec:
    """The env's hybrid top 30 reranked by `reranker` alone (blend 0)."""
    from ragkit.pipeline import HybridPipeline

    index, info = env.hybrid_index()
    rerank = {"spec": f"cross-encoder:{reranker}", "depth": 30, "blend": 0.0}
    config = {"routing": {"enabled": False}, "reranker": rerank}
    pipe = HybridPipeline.from_index(index, config)
    return SystemSpec(TracedPipeline(pipe), env.chunk_map(), {**info, "description": label})


def _systems(
    dataset: Any, models: list[str | None], rerankers: list[str], backend: str, names: str
) -> dict[str, Any]:
    systems: dict[str, Any] = {}
    first: BenchEnv | None = None
    for i, model in enumerate(models):
        env = BenchEnv(dataset, model=model, backend=backend)
        first = first or env
        tag = "base" if model is None else f"m{i}"
        built, _ = build_systems(names, env)
        for name, spec in built.items():
            systems[f"{name}[{tag}]"] = spec
    for j, reranker in enumerate(rerankers):
        assert first is not None
        systems[f"hybrid+rr{j}[base]"] = _reranked(first, reranker, f"reranker {reranker}")
    return systems


def _manifest_lines(paths: list[str]) -> list[str]:
    lines = []
    for path in paths:
        manifest_path = Path(path) / "ragkit_adapt.json"
        if not manifest_path.is_file():
            continue
        m = json.loads(manifest_path.read_text(encoding="utf-8"))
        r = m.get("result") or m
        lines.append(f"{path}: seed {m.get('seed')}, pairs {m.get('pairs')}, steps "
                     f"{r.get('steps')}, loss {r.get('initial_loss')} -> {r.get('final_loss')}, "
                     f"train {r.get('seconds')}s, wall {m.get('wall_s')}s")  # fmt: skip
    return lines


def main(argv: list[str] | None = None) -> int:
    """Run the baseline and the given models on one dataset; print metrics per system."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("dataset", choices=sorted(DATASETS))
    p.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    p.add_argument("--model", action="append", default=[], help="adapted encoder folder")
    p.add_argument("--reranker", action="append", default=[], help="adapted reranker folder")
    p.add_argument("--out", default=None, help="write the full report here")
    p.add_argument("--backend", default="torch", choices=("torch", "onnx", "onnx-int8"),
                   help="encoder backend of every model (default torch float32)")  # fmt: skip
    p.add_argument("--systems", default="dense,hybrid,hybrid-routed",
                   help="bench systems built with every model (comma-separated)")  # fmt: skip
    args = p.parse_args(argv)
    spec, corpus, ks = DATASETS[args.dataset]
    kind, _, rel = spec.partition(":")
    data = Path(args.data)
    start = time.perf_counter()
    dataset = load_dataset(f"{kind}:{data / rel}", data / corpus if corpus else None)
    systems = _systems(dataset, [None, *args.model], args.reranker, args.backend, args.systems)
    built = time.perf_counter()
    report = run_benchmark(dataset, systems, ks, args.out, progress=False, charts=False)
    done = time.perf_counter()
    metrics = report.primary_metrics
    print(f"| system | {' | '.join(metrics)} | p50 ms |\n|---|{'---|' * len(metrics)}---|")
    for name, s in report.systems.items():
        cells = " | ".join(f"{s.metrics.get(m, 0):.3f}" for m in metrics)
        print(f"| {name} | {cells} | {s.latency_ms.get('p50', 0):.0f} |")
    print("models: m<i> = --model number i (1-based); rr<j> = --reranker number j (0-based)")
    for line in _manifest_lines([*args.model, *args.reranker]):
        print(line)
    print(f"build {built - start:.1f}s, run {done - built:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
