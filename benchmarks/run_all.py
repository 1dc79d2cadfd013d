"""Reproduce the README's benchmark tables: SciFact test, FinanceBench dev (shared corpus) and
SEC QA dev, each with the systems that make sense, printing the tables and each phase's time.

    .venv/bin/python benchmarks/run_all.py [--data ../shared/data] [--out bench-out] [--quick]

`--quick` restricts every dataset to BM25 and agentic systems (no embedding). The first full
run embeds every corpus: about 82,000 unique chunk texts (FinanceBench's hierarchical and
naive chunks dominate) plus SciFact's 5,183 abstracts: 23.6 minutes on 2 CPU cores with the
default int8 encoder (63 with torch float32; measured from an empty cache) and 42 s of
embedding on one H200 GPU. Indexes and embeddings are cached
under `ragkit.settings.cache_dir()`, so a rerun takes about a minute.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ragkit.bench.datasets import load_dataset
from ragkit.bench.report import render_markdown, write_report
from ragkit.bench.runner import run_benchmark
from ragkit.bench.systems import BenchEnv, build_systems

#: (label, dataset spec relative to the data folder, corpus folder or None, full, quick)
PHASES: tuple[tuple[str, str, str | None, str, str], ...] = (
    ("scifact", "beir:beir/scifact", None, "bm25,dense,hybrid,hybrid-dynamic", "bm25"),
    (
        "financebench",
        "financebench:financebench/financebench_dev.jsonl",
        "financebench/text",
        "bm25,bm25-routed,dense,hybrid,hybrid-dynamic,hybrid-routed,naive-hybrid,"
        "naive-hybrid-routed,agentic,agentic-unrouted,agentic-hybrid,cascade",
        "bm25,bm25-routed,agentic",
    ),
    (
        "secqa",
        "secqa:sec-qa/dev.jsonl",
        "sec-filings",
        "bm25,bm25-routed,dense,hybrid,hybrid-dynamic,hybrid-refs,hybrid-routed,naive-hybrid,"
        "agentic,agentic-unrouted,agentic-hybrid,cascade",
        "bm25,bm25-routed,agentic",
    ),
)


def main(argv: list[str] | None = None) -> int:
    """Run every phase; print each report's tables and the wall time per phase."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    p.add_argument("--out", default="bench-out", help="one report folder per dataset")
    p.add_argument("--quick", action="store_true", help="BM25 and agentic systems only")
    p.add_argument("--only", default=None, help="comma-separated phases (scifact,...)")
    p.add_argument("--reranker", default=None, help="cross-encoder folder for hybrid-rerank")
    p.add_argument("--limit", type=int, default=None, help="first N queries per dataset")
    p.add_argument("--backend", default=None, choices=("torch", "onnx", "onnx-int8"),
                   help="encoder backend (default: onnx-int8 on CPU with onnxruntime)")  # fmt: skip
    args = p.parse_args(argv)
    data = Path(args.data)
    wanted = set(args.only.split(",")) if args.only else None
    timings: list[tuple[str, float, float]] = []
    for label, spec, corpus, full, quick in PHASES:
        if wanted is not None and label not in wanted:
            continue
        kind, _, rel = spec.partition(":")
        if not (data / rel).exists():
            print(f"[{label}] skipped: {data / rel} not found")
            continue
        names = quick if args.quick else full
        if args.reranker and not args.quick:
            names += ",hybrid-rerank"
        start = time.perf_counter()
        dataset = load_dataset(f"{kind}:{data / rel}", data / corpus if corpus else None)
        metadata = data / "financebench" / "financebench_document_information.jsonl"
        env = BenchEnv(
            dataset,
            backend=args.backend,
            reranker=args.reranker,
            metadata_file=metadata if label == "financebench" and metadata.is_file() else None,
        )
        systems, skipped = build_systems(names, env)
        built = time.perf_counter()
        for name, why in skipped.items():
            print(f"[{label}] skipped {name}: {why}")
        ks = [10, 100] if kind == "beir" else [1, 5, 10, 20]
        report = run_benchmark(dataset, systems, ks, None, limit=args.limit)
        done = time.perf_counter()
        report.settings["skipped_systems"] = skipped
        report.settings["wall_s"] = {"build_systems": round(built - start, 2),
                                     "run": round(done - built, 2)}  # fmt: skip
        write_report(report, Path(args.out) / label)
        print(render_markdown(report))
        print(f"[{label}] build {built - start:.1f}s, run {done - built:.1f}s\n", flush=True)
        timings.append((label, built - start, done - built))
    print("| phase | build s | run s |\n|---|---|---|")
    for label, b, r in timings:
        print(f"| {label} | {b:.1f} | {r:.1f} |")
    print(f"| total | {sum(t[1] for t in timings):.1f} | {sum(t[2] for t in timings):.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
