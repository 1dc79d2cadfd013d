"""Before/after table for `ragkit adapt`: the packaged MiniLM against adapted encoders (and an
adapted reranker, no blending), side by side in one run on one dataset.

    .venv/bin/python benchmarks/adapt.py scifact --model /tmp/scifact-s0 --model /tmp/scifact-s1
    .venv/bin/python benchmarks/adapt.py secqa --model DIR --reranker RDIR
    .venv/bin/python benchmarks/adapt.py secqa --backend onnx-int8 --model DIR --quote-ranks

Datasets (dev/test splits only, as in `benchmarks/run_all.py`): scifact (BEIR test qrels, or
`--split train` to choose settings on; adapted on the corpus alone), secqa (SEC QA dev),
financebench (FinanceBench dev). Each model runs in the `--systems` (default dense, hybrid and
the routed hybrid, the best hybrid system on filings); each reranker reranks every model's
hybrid and routed hybrid top 30 (no blending with retrieval's scores; over routed candidates,
routing's boosts kept unless `--rerank-routing drop`). Adapt the models first with `ragkit
adapt`; every manifest's pair counts, steps, losses and wall time are printed under the table.
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
from ragkit.bench.systems import BenchEnv, build_systems, pipeline_spec

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


def _reranked(
    env: BenchEnv,
    reranker: str,
    label: str,
    routed: bool,
    query: str = "residual",
    keep_routing: bool = True,
) -> SystemSpec:
    """The env's hybrid top 30 (routed or not) reranked by `reranker` (blend 0), shown the
    question as asked or its residual (`RerankerConfig.query`), its scores alone or plus the
    routing boosts (`RerankerConfig.keep_routing`)."""
    rerank = {"spec": f"cross-encoder:{reranker}", "depth": 30, "blend": 0.0, "query": query,
              "keep_routing": keep_routing}  # fmt: skip
    return pipeline_spec(env, {"reranker": rerank}, description=label, routed=routed)


def _tag(i: int, env: BenchEnv) -> str:
    """A model's column name: "base" for the packaged model, m<i> for --model number i."""
    return "base" if env.model is None else f"m{i}"


def _systems(
    envs: list[BenchEnv],
    rerankers: list[str],
    names: str,
    residual: str = "residual",
    routing: str = "keep",
) -> dict[str, Any]:
    """Every model's `names` systems, then each reranker over every model's hybrid and routed
    hybrid top 30; over the routed ones the reranker reads the residual question (`residual`
    "residual", names with "/res"), the question as asked ("question") or both, and its
    scores get the routing boosts (`routing` "keep", the pipeline's default; names ending in
    "+keep") or stand alone ("drop") or both."""
    systems: dict[str, Any] = {}
    for i, env in enumerate(envs):
        built, _ = build_systems(names, env)
        for name, spec in built.items():
            systems[f"{name}[{_tag(i, env)}]"] = spec
    queries = [q for q in ("question", "residual") if residual in (q, "both")]
    keeps = [k for k, v in ((False, "drop"), (True, "keep")) if routing in (v, "both")]
    variants = [(False, "hybrid", "question", False)]  # unrouted: nothing names a filing
    variants += [(True, "hybrid-routed", q, k) for q in queries for k in keeps]
    for i, env in enumerate(envs):
        for j, reranker in enumerate(rerankers):
            for routed, name, query, keep in variants:
                tail = ("/res" if query == "residual" else "") + ("+keep" if keep else "")
                label = f"{name} of {_tag(i, env)} reranked by {reranker} ({query})"
                systems[f"{name}+rr{j}{tail}[{_tag(i, env)}]"] = _reranked(
                    env, reranker, label, routed, query, keep
                )
    return systems


#: How deep `--quote-ranks` looks for each evidence quote.
RANK_DEPTH = 300


def quote_ranks(dataset: Any, envs: list[BenchEnv]) -> list[str]:
    """Table lines: the dense rank (1-based, within `RANK_DEPTH`) of the first chunk holding
    each SEC QA evidence quote under every model, then per model the quotes in the top 10
    and top 20 and the mean reciprocal rank (finer than recall@10 on a set of 18 quotes)."""
    from ragkit.bench.metrics import norm

    tags = [_tag(i, env) for i, env in enumerate(envs)]
    texts = {cid: norm(c.text) for cid, c in envs[0].chunk_map().items()}  # same chunks for all
    columns: list[list[int | None]] = []
    for env in envs:
        index, _ = env.hybrid_index()  # loaded once already for the systems above
        ranks: list[int | None] = []
        for q in dataset.questions:
            hits = index.dense.search_one(q.question, k=RANK_DEPTH)
            for ev in q.evidence:
                quote = norm(ev.quote)
                found = (i for i, h in enumerate(hits, 1) if quote in texts[h.chunk_id])
                ranks.append(next(found, None))
        columns.append(ranks)
    labels = [
        f"{q.id}: {ev.quote[:40].replace('|', '/')}" for q in dataset.questions for ev in q.evidence
    ]
    lines = [f"| quote | {' | '.join(tags)} |", f"|---|{'---|' * len(tags)}"]
    for row, label in enumerate(labels):
        cells = " | ".join(str(col[row] or f">{RANK_DEPTH}") for col in columns)
        lines.append(f"| {label} | {cells} |")
    for tag, col in zip(tags, columns, strict=True):
        top = [sum(1 for r in col if r is not None and r <= k) for k in (10, 20)]
        mrr = sum(1 / r for r in col if r) / len(col)
        lines.append(f"{tag}: top 10 {top[0]}/{len(col)}, top 20 {top[1]}, dense MRR {mrr:.3f}")
    return lines


def _manifest_lines(paths: list[str]) -> list[str]:
    """One line per adapted folder: an encoder's seed, pairs, steps, loss and times, or a
    reranker's base encoder, loss, steps and training time."""
    lines = []
    for path in paths:
        manifest_path = Path(path) / "ragkit_adapt.json"
        if not manifest_path.is_file():
            continue
        m = json.loads(manifest_path.read_text(encoding="utf-8"))
        if m.get("kind") == "reranker":
            t = m.get("training", {})
            lines.append(f"{path}: reranker from {m.get('base_model')}, {t.get('loss')} loss, "
                         f"seed {t.get('seed')}, {m.get('pairs')} pairs, steps {m.get('steps')}, "
                         f"loss {m.get('initial_loss'):.4f} -> {m.get('final_loss'):.4f}, "
                         f"train {m.get('seconds')}s")  # fmt: skip
            continue
        r = m["result"]
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
    p.add_argument("--rerank-query", default="residual", choices=("question", "residual", "both"),
                   help="what the reranker reads over routed candidates: the residual question "
                        "(the words naming the filing dropped; the default), the question, "
                        "or both")  # fmt: skip
    p.add_argument("--rerank-routing", default="keep", choices=("drop", "keep", "both"),
                   help="over routed candidates: the reranker's scores plus the routing "
                        "decision's document and statement boosts (keep, the default), "
                        "its scores alone (drop), or both")  # fmt: skip
    p.add_argument("--split", default="test",
                   help="qrels split of a BEIR dataset (scifact: train is the development split "
                        "to choose settings on, test the held-out one)")  # fmt: skip
    p.add_argument("--quote-ranks", action="store_true",
                   help="secqa: also print each evidence quote's dense rank per model")  # fmt: skip
    args = p.parse_args(argv)
    if args.quote_ranks and args.dataset != "secqa":
        p.error("--quote-ranks needs the secqa dataset (quotes)")
    spec, corpus, ks = DATASETS[args.dataset]
    kind, _, rel = spec.partition(":")
    data = Path(args.data)
    start = time.perf_counter()
    if args.split != "test" and kind != "beir":
        p.error("--split is for BEIR datasets (scifact); the others are development sets")
    dataset = load_dataset(f"{kind}:{data / rel}", data / corpus if corpus else None, args.split)
    info = data / "financebench" / "financebench_document_information.jsonl"
    metadata = info if args.dataset == "financebench" and info.is_file() else None  # as run_all
    envs = [BenchEnv(dataset, model=model, backend=args.backend, metadata_file=metadata)
            for model in [None, *args.model]]  # fmt: skip
    systems = _systems(envs, args.reranker, args.systems, args.rerank_query, args.rerank_routing)
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
    if args.quote_ranks:
        print("\n".join(quote_ranks(dataset, envs)))
    print(f"build {built - start:.1f}s, run {done - built:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
