"""`ragkit bench`: run named systems on a benchmark dataset and write report.json, report.md
and PNG charts (a thin layer over `ragkit.bench.systems` and `ragkit.bench.runner`)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from ragkit.errors import ConfigError


def _ks(text: str) -> list[int]:
    try:
        ks = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        msg = f"--k takes integers like 1,5,10,20, got {text!r}"
        raise argparse.ArgumentTypeError(msg) from None
    if not ks or any(k <= 0 for k in ks):
        raise argparse.ArgumentTypeError(f"--k takes positive integers, got {text!r}")
    return ks


def register(subparsers: Any) -> None:
    """Add the `bench` command."""
    from ragkit.bench.systems import known_systems

    names = ", ".join(known_systems())
    p = subparsers.add_parser(
        "bench",
        help="benchmark retrieval systems (RAG pipelines, agents) on a dataset",
        description="Run systems on a dataset and write report.json, report.md and charts. "
        f"Systems: {names}.",
    )
    p.add_argument(
        "--dataset",
        required=True,
        help="beir:FOLDER | financebench:QUESTIONS_JSONL | secqa:QA_JSONL",
    )
    p.add_argument("--corpus", default=None, help="documents/filings folder (financebench, secqa)")
    p.add_argument("--systems", default="bm25,hybrid,agentic", help="comma-separated names")
    p.add_argument("--out", required=True, help="output folder for the report")
    p.add_argument("--split", default="test", help="BEIR qrels split (default test)")
    p.add_argument("--k", type=_ks, default=[1, 5, 10, 20], help="cut-offs (default 1,5,10,20)")
    p.add_argument("--context-k", type=int, default=10, help="passages handed to a generator")
    p.add_argument(
        "--per-document",
        action="store_true",
        help="restrict each search to the question's gold document (FinanceBench setting)",
    )
    p.add_argument("--limit", type=int, default=None, help="run only the first N queries")
    p.add_argument("--model", default=None, help="embedding model (default: packaged MiniLM)")
    p.add_argument(
        "--backend",
        choices=("torch", "onnx", "onnx-int8"),
        default=None,
        help="encoder backend (default: onnx-int8 on CPU when onnxruntime is installed)",
    )
    p.add_argument(
        "--reranker", default=None, help="cross-encoder model folder (enables hybrid-rerank)"
    )
    p.add_argument(
        "--llm", default=None, help="agentic-llm endpoint: openai:MODEL[@URL] or cohere[:MODEL]"
    )
    p.add_argument(
        "--metadata", default=None, help="document-information JSONL supplementing routing"
    )
    p.add_argument("--no-cache", action="store_true", help="rebuild chunks and indexes")
    p.add_argument("--no-charts", action="store_true", help="skip the PNG charts")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Build the systems, run the benchmark, write and summarise the report."""
    from ragkit.bench.datasets import load_dataset
    from ragkit.bench.report import write_report
    from ragkit.bench.runner import per_document_filter, run_benchmark
    from ragkit.bench.systems import BenchEnv, build_systems, parse_names

    names = parse_names(args.systems)  # unknown names fail before any work
    if args.limit is not None and args.limit <= 0:
        raise ConfigError(f"--limit must be > 0, got {args.limit}")
    t0 = time.perf_counter()
    dataset = load_dataset(args.dataset, args.corpus, split=args.split)
    env = BenchEnv(
        dataset,
        model=args.model,
        backend=args.backend,
        reranker=args.reranker,
        llm=args.llm,
        metadata_file=args.metadata,
        cache=not args.no_cache,
        progress=not args.quiet,
    )
    t1 = time.perf_counter()
    systems, skipped = build_systems(names, env)
    t2 = time.perf_counter()
    for name, why in skipped.items():
        print(f"skipped {name}: {why}")
    if not systems:
        raise ConfigError(f"every system was skipped ({', '.join(skipped)}); nothing to run")
    report = run_benchmark(
        dataset,
        systems,
        args.k,
        None,
        context_k=args.context_k,
        filters=per_document_filter if args.per_document else None,
        limit=args.limit,
        progress=not args.quiet,
    )
    t3 = time.perf_counter()
    report.settings["skipped_systems"] = skipped
    report.settings["wall_s"] = {
        "load_dataset": round(t1 - t0, 2),
        "build_systems": round(t2 - t1, 2),
        "run": round(t3 - t2, 2),
    }
    paths = write_report(report, args.out, charts=not args.no_charts)
    print(_summary(report))
    print(
        f"wall time: load {t1 - t0:.1f}s, build {t2 - t1:.1f}s, run {t3 - t2:.1f}s; "
        f"wrote {', '.join(str(Path(p).name) for p in paths)} to {args.out}"
    )
    return 0


def _summary(report: Any) -> str:
    """One line per system: primary metrics, latency, context tokens, index facts."""
    lines = [f"{report.dataset}: {report.n_queries} queries"]
    for name, s in report.systems.items():
        metrics = " ".join(f"{m}={s.metrics.get(m, 0):.3f}" for m in report.primary_metrics)
        info = s.info
        lines.append(
            f"  {name:14s} {metrics}  p50={s.latency_ms.get('p50', 0):.0f}ms "
            f"ctx={s.context_tokens.get('mean', 0):.0f}tok "
            f"build={info.get('index_build_s')}s cached={info.get('cached')}"
        )
    return "\n".join(lines)
