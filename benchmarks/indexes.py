"""Benchmark ragkit's indexes on BEIR SciFact: speed against the raw libraries, and quality.

Prints one table: BM25 queries/s (ragkit bm25s backend vs raw bm25s vs raw rank-bm25),
encoding passages/s (ragkit vs raw SentenceTransformer.encode on the same sample), FAISS
flat/HNSW/IVF build time, queries/s and recall@10 against flat, hybrid single-query latency
(p50/p95, query encoding included), concurrent/sequential ratio, index size and load time,
and nDCG@10 of BM25 and dense on the SciFact test qrels (BM25 parameters tuned on train only);
then a second table of encoder backends side by side (torch float32, ONNX float32, ONNX int8,
static-minilm): passages/s (rounds alternating between backends), hybrid query p50, dense and
hybrid nDCG@10, model load time, and the float32 FLOP ceiling of these cores.

Run: `.venv/bin/python benchmarks/indexes.py [--data DIR] [--sample N] [--backend B] [--json OUT]`.
The full corpus is embedded once into the embedding cache (about 10 minutes on 2 cores);
later runs read it from there.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from ragkit.bench.datasets import BeirDataset
from ragkit.bench.registry import load_dataset
from ragkit.indexes import BM25Index, DenseIndex, Embedder, HybridIndex
from ragkit.indexes.embeddings import DEFAULT_BACKEND, STATIC_MODEL
from ragkit.indexes.faiss_index import FaissParams, VectorIndex
from ragkit.indexes.onnx_encoder import BACKENDS, OnnxEncoder
from ragkit.settings import data_dir
from ragkit.types import Chunk

os.environ.setdefault("HF_HUB_OFFLINE", "1")
#: MiniLM-L6 float32 cost per token and the float32 rate these 2 cores measured (issue 15)
FLOP_PER_TOKEN = 21e6
CORE_FLOPS = 82e9


def load_scifact(
    folder: Path,
) -> tuple[list[Chunk], dict[str, str], dict[str, dict[str, dict[str, int]]]]:
    """Chunks (one per abstract, the benchmark's passage text), the judged queries, and qrels
    by split, read through the dataset registry as `ragkit bench` reads them."""
    chunks: list[Chunk] = []
    queries: dict[str, str] = {}
    qrels: dict[str, dict[str, dict[str, int]]] = {}
    for split in ("train", "test"):
        dataset = load_dataset(f"beir:{folder}", split=split)
        if not isinstance(dataset, BeirDataset):
            raise TypeError(f"beir:{folder} loaded as {type(dataset).__name__}")
        chunks = chunks or dataset.chunks()[0]
        queries.update((q.id, q.text) for q in dataset.queries)
        qrels[split] = {qid: dict(docs) for qid, docs in dataset.qrels.items()}
    return chunks, queries, qrels


def ndcg_at_10(run: dict[str, list[str]], qrels: dict[str, dict[str, int]]) -> float:
    """Mean nDCG@10 (binary/graded gains, log2 discount) over the queries in qrels."""
    total = 0.0
    for qid, rels in qrels.items():
        ranked = run.get(qid, [])[:10]
        dcg = sum(rels.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked))
        ideal = sorted(rels.values(), reverse=True)[:10]
        idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
        total += dcg / idcg if idcg else 0.0
    return total / max(len(qrels), 1)


def _qps(fn: Any, n: int, repeat: int = 3) -> float:
    best = min(_timed(fn) for _ in range(repeat))
    return n / best


def _timed(fn: Any) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def bench_bm25(chunks: list[Chunk], queries: dict[str, str], qrels: dict) -> dict[str, Any]:
    """BM25 speed (ragkit vs raw libraries), train-tuned parameters, test nDCG@10."""
    import bm25s
    import rank_bm25
    import Stemmer

    res: dict[str, Any] = {}
    test_q = [queries[q] for q in qrels["test"]]
    test_ids = list(qrels["test"])
    train_ids = [q for q in qrels["train"] if q in queries]

    # tune k1, b on train only
    best = (-1.0, 1.2, 0.75)
    for k1 in (0.9, 1.2, 1.5):
        for b in (0.6, 0.75, 0.9):
            ix = BM25Index(k1=k1, b=b)
            ix.add(chunks)
            hits = ix.search([queries[q] for q in train_ids], 10)
            score = ndcg_at_10(
                {q: [h.chunk_id for h in r] for q, r in zip(train_ids, hits, strict=True)},
                {q: qrels["train"][q] for q in train_ids},
            )
            best = max(best, (score, k1, b))
    res["bm25_train_ndcg"], res["bm25_k1"], res["bm25_b"] = best
    start = time.perf_counter()
    index = BM25Index(k1=best[1], b=best[2])
    index.add(chunks)
    res["bm25_build_s"] = time.perf_counter() - start
    hits = index.search(test_q, 10)
    res["bm25_ndcg10_test"] = ndcg_at_10(
        {q: [h.chunk_id for h in r] for q, r in zip(test_ids, hits, strict=True)}, qrels["test"]
    )
    # end to end = tokenize the query texts + score + top-10 (+ Hit objects for ragkit)
    res["bm25_qps_ragkit"] = _qps(lambda: index.search(test_q, 10), len(test_q))
    qids = index.query_ids(test_q)
    res["bm25_qps_ragkit_pretok"] = _qps(lambda: index.scorer.top_k_batch(qids, 10), len(test_q))
    res["bm25_qps_ragkit_analyzer"] = _qps(
        lambda: index.analyzer.tokenize_many(test_q), len(test_q)
    )

    # raw bm25s: its own tokenizer (regex \w\w+, Lucene stop words, the same PyStemmer
    # English stemmer; no number canonicalisation), then its retrieve (numpy backend)
    stemmer = Stemmer.Stemmer("english")
    corpus_texts = [c.text for c in chunks]
    raw = bm25s.BM25(k1=best[1], b=best[2])
    raw.index(
        bm25s.tokenize(corpus_texts, stopwords="en", stemmer=stemmer, show_progress=False),
        show_progress=False,
    )

    def raw_search() -> None:
        toks = bm25s.tokenize(test_q, stopwords="en", stemmer=stemmer, show_progress=False)
        raw.retrieve(toks, k=10, show_progress=False)

    res["bm25_qps_raw_bm25s"] = _qps(raw_search, len(test_q))
    raw_toks = bm25s.tokenize(test_q, stopwords="en", stemmer=stemmer, show_progress=False)
    res["bm25_qps_raw_bm25s_pretok"] = _qps(
        lambda: raw.retrieve(raw_toks, k=10, show_progress=False), len(test_q)
    )
    res["bm25_qps_raw_bm25s_tokenizer"] = _qps(
        lambda: bm25s.tokenize(test_q, stopwords="en", stemmer=stemmer, show_progress=False),
        len(test_q),
    )
    raw_res = raw.retrieve(raw_toks, k=10, show_progress=False)
    res["bm25_ndcg10_raw_bm25s"] = ndcg_at_10(
        {
            q: [chunks[int(i)].id for i in row]
            for q, row in zip(test_ids, raw_res.documents, strict=True)
        },
        qrels["test"],
    )

    # raw rank-bm25 on the same analyzer's tokens, one query at a time (its only API)
    tok = index.analyzer
    okapi = rank_bm25.BM25Okapi([tok(t) for t in corpus_texts], k1=best[1], b=best[2])
    sub = test_q[:60]

    def rank_search() -> None:
        for q in sub:
            scores = okapi.get_scores(tok(q))
            np.argpartition(-scores, 10)[:10]

    res["bm25_qps_raw_rank_bm25"] = _qps(rank_search, len(sub), repeat=1)
    # sparse refit cost (what add/delete pay)
    res["bm25_refit_s"] = _timed(lambda: index.scorer.fit(index._doc_tokens, len(index._vocab)))
    return res


def bench_encode(chunks: list[Chunk], sample: int) -> dict[str, Any]:
    """Passages/s of ragkit's encoder (no cache) vs raw SentenceTransformer.encode."""
    emb = Embedder(cache=False, show_progress=False, backend="torch")
    texts = [c.search_text for c in chunks[:sample]]
    model = emb.model
    model.encode(texts[:8], batch_size=emb.batch_size)  # warm up
    raw_s = _timed(
        lambda: model.encode(texts, batch_size=emb.batch_size, normalize_embeddings=True)
    )
    ours_s = _timed(lambda: emb.encode_passages(texts))
    static = Embedder("static-minilm", show_progress=False)
    _ = static.model  # distils it on first use (a minute or two, with a progress bar)
    all_texts = [c.search_text for c in chunks]
    static_s = _timed(lambda: static.encode_passages(all_texts))
    return {
        "static_pps": len(all_texts) / static_s,
        "encode_sample": len(texts),
        "encode_pps_raw": len(texts) / raw_s,
        "encode_pps_ragkit": len(texts) / ours_s,
    }


def bench_faiss(vectors: np.ndarray, qvecs: np.ndarray) -> dict[str, Any]:
    """Build time, queries/s and recall@10 vs flat for flat, HNSW and IVF."""
    res: dict[str, Any] = {}
    exact = None
    for kind in ("flat", "hnsw", "ivf"):
        vi = VectorIndex(vectors.shape[1], FaissParams(index_type=kind))
        res[f"faiss_{kind}_build_s"] = _timed(lambda vi=vi: vi.build(vectors))
        res[f"faiss_{kind}_qps"] = _qps(lambda vi=vi: vi.search(qvecs, 10), len(qvecs))
        _, rows = vi.search(qvecs, 10)
        if exact is None:
            exact = rows
        res[f"faiss_{kind}_recall10"] = float(
            np.mean([len(set(a) & set(e)) / 10 for a, e in zip(rows, exact, strict=True)])
        )
    return res


def quality_and_latency(index: HybridIndex, queries: dict[str, str], qrels: dict) -> dict[str, Any]:
    """Test nDCG@10 of dense and hybrid; single-query latency with query encoding included
    (fresh train-split queries every time): hybrid p50/p95, BM25 and dense p50, and the
    hybrid / slower-retriever ratio."""
    res: dict[str, Any] = {}
    test_ids = list(qrels["test"])
    test_q = [queries[q] for q in test_ids]
    for mode in ("dense", "hybrid"):
        hits = index.search(test_q, 10, mode=mode)
        res[f"{mode}_ndcg10_test"] = ndcg_at_10(
            {q: [h.chunk_id for h in r] for q, r in zip(test_ids, hits, strict=True)},
            qrels["test"],
        )
    lat_q = [queries[q] for q in list(qrels["train"])[:120] if q in queries]
    for q in lat_q[:5]:
        index.search_one(q + " warm", 10)
    hyb, bm, de = [], [], []
    for q in lat_q[5:]:
        hyb.append(_timed(lambda q=q: index.search_one(q, 10)))
        bm.append(_timed(lambda q=q: index.bm25.search_one(q + " ", 10)))
        de.append(_timed(lambda q=q: index.dense.search_one(q + "  ", 10)))
    p = lambda xs, f: float(np.percentile(np.array(xs) * 1000, f))  # noqa: E731
    res["hybrid_p50_ms"], res["hybrid_p95_ms"] = p(hyb, 50), p(hyb, 95)
    res["bm25_p50_ms"], res["dense_p50_ms"] = p(bm, 50), p(de, 50)
    res["concurrent_vs_slower"] = statistics.median(hyb) / max(
        statistics.median(bm), statistics.median(de)
    )
    res["sequential_ms"] = p(bm, 50) + p(de, 50)
    return res


def bench_variant(
    prefix: str,
    emb: Embedder,
    chunks: list[Chunk],
    queries: dict[str, str],
    qrels: dict,
    bm25_params: tuple[float, float],
) -> dict[str, Any]:
    """`quality_and_latency` for another query-side embedder (static-minilm, int8 MiniLM),
    its keys prefixed with `prefix`."""
    dense = DenseIndex(emb, index_type="flat")
    dense.add(chunks)
    bm25 = BM25Index(k1=bm25_params[0], b=bm25_params[1])
    bm25.add(chunks)
    res = quality_and_latency(HybridIndex(bm25, dense), queries, qrels)
    return {f"{prefix}_{key}": value for key, value in res.items()}


def bench_backends(
    chunks: list[Chunk],
    queries: dict[str, str],
    qrels: dict,
    bm25_params: tuple[float, float],
    sample: int,
    rounds: int = 2,
) -> dict[str, Any]:
    """Every encoder backend side by side: load s (a fresh model, export already cached),
    passages/s on `sample` abstracts without the cache (rounds alternate between backends,
    best round kept), vector agreement with torch, then `bench_variant` quality and latency
    (full corpus through the cache), and the float32 FLOP ceiling in passages/s."""
    res: dict[str, Any] = {"load_avg_start": os.getloadavg()[0]}
    texts = [c.search_text for c in chunks[:sample]]
    embs: dict[str, Embedder] = {}
    for backend in BACKENDS:
        Embedder(backend=backend, cache=False).encode_queries(["export once"])
        emb = Embedder(backend=backend, cache=False, show_progress=False)
        res[f"{backend}_load_s"] = _timed(lambda emb=emb: emb.encode_queries(["load"]))
        emb.encode_raw(texts[:4])
        embs[backend] = emb
    best = {b: math.inf for b in BACKENDS}
    vecs: dict[str, np.ndarray] = {}
    for _ in range(rounds):
        for backend, emb in embs.items():
            start = time.perf_counter()
            vecs[backend] = emb.encode_raw(texts)
            best[backend] = min(best[backend], time.perf_counter() - start)
    for backend in BACKENDS:
        res[f"{backend}_pps"] = len(texts) / best[backend]
    cos = np.sum(vecs["torch"] * vecs["onnx-int8"], axis=1)
    res["int8_cos_min"], res["int8_cos_mean"] = float(cos.min()), float(cos.mean())
    res["onnx_max_abs_diff"] = float(np.abs(vecs["torch"] - vecs["onnx"]).max())
    model = embs["onnx-int8"].model
    assert isinstance(model, OnnxEncoder)
    tokens = [len(e.ids) for e in model.tokenizer.encode_batch(texts)]
    res["mean_tokens"] = float(np.mean(tokens))
    res["fp32_ceiling_pps"] = CORE_FLOPS / (FLOP_PER_TOKEN * res["mean_tokens"])
    static = Embedder(STATIC_MODEL)
    res["static_load_s"] = _timed(lambda: static.encode_queries(["load"]))
    res["load_avg_end"] = os.getloadavg()[0]
    for backend in BACKENDS:
        emb = Embedder(backend=backend)
        res.update(bench_variant(backend, emb, chunks, queries, qrels, bm25_params))
    return res


def bench_hybrid(
    chunks: list[Chunk],
    queries: dict[str, str],
    qrels: dict,
    bm25_params: tuple[float, float],
    backend: str = DEFAULT_BACKEND,
) -> dict[str, Any]:
    """Dense build time, `quality_and_latency`, size on disk and load time."""
    res: dict[str, Any] = {}
    emb = Embedder(backend=backend)
    start = time.perf_counter()
    dense = DenseIndex(emb)
    dense.add(chunks, show_progress=True)
    res["dense_build_s"] = time.perf_counter() - start
    bm25 = BM25Index(k1=bm25_params[0], b=bm25_params[1])
    bm25.add(chunks)
    index = HybridIndex(bm25, dense)
    res.update(quality_and_latency(index, queries, qrels))
    with tempfile.TemporaryDirectory() as tmp:
        path = index.save(Path(tmp) / "scifact.idx")
        res["disk_mb"] = sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6
        res["load_s"] = _timed(lambda: HybridIndex.load(path, embedder=emb))
        res["load_noverify_s"] = _timed(lambda: HybridIndex.load(path, embedder=emb, verify=False))
    res["_vectors"] = dense.vectors
    res["_qvecs"] = emb.encode_queries([queries[q] for q in qrels["test"]])
    return res


def print_backends(res: dict[str, Any]) -> None:
    """The encoder-backend table (markdown), ratios against torch float32."""
    base = res["torch_pps"]
    print(f"\nencoder backends on SciFact, 2 cores; load average {res['load_avg_start']:.1f} "
          f"-> {res['load_avg_end']:.1f}; {res['mean_tokens']:.0f} tokens per passage")  # fmt: skip
    print("| backend | passages/s | vs torch | hybrid query p50 ms | dense nDCG@10 | "
          "hybrid nDCG@10 | model load s |\n|---|---|---|---|---|---|---|")  # fmt: skip
    for name in (*BACKENDS, "static"):
        pps = res[f"{name}_pps"]
        print(
            f"| {STATIC_MODEL if name == 'static' else name} | {pps:.1f} | {pps / base:.2f}x | "
            f"{res[f'{name}_hybrid_p50_ms']:.1f} | {res[f'{name}_dense_ndcg10_test']:.3f} | "
            f"{res[f'{name}_hybrid_ndcg10_test']:.3f} | {res[f'{name}_load_s']:.2f} |"
        )
    ceiling = res["fp32_ceiling_pps"]
    print(f"| float32 FLOP ceiling (21 MFLOP/token at 82 GFLOP/s) | {ceiling:.1f} | "
          f"{ceiling / base:.2f}x | | | | |")  # fmt: skip
    print(
        f"int8 vs torch cosine min / mean {res['int8_cos_min']:.4f} / "
        f"{res['int8_cos_mean']:.4f}; onnx vs torch max abs diff {res['onnx_max_abs_diff']:.1e}\n"
    )


def main() -> None:
    """Run everything once and print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=data_dir() / "beir" / "scifact")
    ap.add_argument("--sample", type=int, default=200, help="passages for the encode comparison")
    ap.add_argument("--json", type=Path, default=None, help="also write the results here")
    ap.add_argument(
        "--backend",
        choices=BACKENDS,
        default=DEFAULT_BACKEND,
        help=f"encoder backend of the main hybrid index (default {DEFAULT_BACKEND})",
    )
    ap.add_argument("--backends-only", action="store_true", help="only the backend table")
    args = ap.parse_args()
    chunks, queries, qrels = load_scifact(args.data)
    res: dict[str, Any] = {"docs": len(chunks), "test_queries": len(qrels["test"])}
    res.update(bench_bm25(chunks, queries, qrels))
    res.update(bench_encode(chunks, args.sample))
    bm25_params = (res["bm25_k1"], res["bm25_b"])
    res.update(bench_backends(chunks, queries, qrels, bm25_params, args.sample))
    res.update(bench_variant("static", Embedder(STATIC_MODEL), chunks, queries, qrels, bm25_params))
    print_backends(res)
    if args.backends_only:
        if args.json:
            args.json.write_text(json.dumps(res, indent=2, default=float))
        return
    res.update(bench_hybrid(chunks, queries, qrels, bm25_params, args.backend))
    res.update(bench_faiss(res.pop("_vectors"), res.pop("_qvecs")))
    emb = Embedder(backend="torch", query_int8=True)
    res.update(bench_variant("int8", emb, chunks, queries, qrels, bm25_params))

    rows = [
        ("corpus", f"{res['docs']} docs, {res['test_queries']} test queries"),
        (
            "BM25 q/s ragkit end-to-end (financial analyzer + score + top-10 + Hits)",
            f"{res['bm25_qps_ragkit']:.0f}",
        ),
        (
            "BM25 q/s raw bm25s end-to-end (bm25s.tokenize + retrieve)",
            f"{res['bm25_qps_raw_bm25s']:.0f}",
        ),
        (
            "  pre-tokenized: ragkit top_k_batch / raw retrieve",
            f"{res['bm25_qps_ragkit_pretok']:.0f} / {res['bm25_qps_raw_bm25s_pretok']:.0f}",
        ),
        (
            "  tokenizing only: ragkit analyzer / bm25s.tokenize",
            f"{res['bm25_qps_ragkit_analyzer']:.0f} / {res['bm25_qps_raw_bm25s_tokenizer']:.0f}",
        ),
        ("BM25 q/s raw rank-bm25", f"{res['bm25_qps_raw_rank_bm25']:.1f}"),
        ("  ragkit / raw bm25s", f"{res['bm25_qps_ragkit'] / res['bm25_qps_raw_bm25s']:.2f}x"),
        ("  ragkit / rank-bm25", f"{res['bm25_qps_ragkit'] / res['bm25_qps_raw_rank_bm25']:.0f}x"),
        (
            "BM25 build s / refit s (add-delete cost)",
            f"{res['bm25_build_s']:.2f} / {res['bm25_refit_s']:.2f}",
        ),
        (
            "encode passages/s ragkit vs raw ST",
            f"{res['encode_pps_ragkit']:.1f} vs {res['encode_pps_raw']:.1f} "
            f"({res['encode_pps_ragkit'] / res['encode_pps_raw']:.2f}x, n={res['encode_sample']})",
        ),
        ("dense build s (cache-backed)", f"{res['dense_build_s']:.1f}"),
        (
            "encode passages/s static-minilm (full corpus, no cache)",
            f"{res['static_pps']:.0f} ({res['static_pps'] / res['encode_pps_ragkit']:.0f}x MiniLM)",
        ),
    ]
    for kind in ("flat", "hnsw", "ivf"):
        rows.append(
            (
                f"FAISS {kind}: build s / q/s / recall@10",
                f"{res[f'faiss_{kind}_build_s']:.3f} / {res[f'faiss_{kind}_qps']:.0f} / "
                f"{res[f'faiss_{kind}_recall10']:.3f}",
            )
        )
    rows += [
        (
            "hybrid single query p50 / p95 ms",
            f"{res['hybrid_p50_ms']:.1f} / {res['hybrid_p95_ms']:.1f}",
        ),
        (
            "bm25 p50 ms / dense p50 ms (sequential sum)",
            f"{res['bm25_p50_ms']:.2f} / {res['dense_p50_ms']:.1f} ({res['sequential_ms']:.1f})",
        ),
        ("concurrent / slower retriever", f"{res['concurrent_vs_slower']:.2f}"),
        (
            "hybrid single query p50 / p95 ms (ratio), int8 MiniLM queries",
            f"{res['int8_hybrid_p50_ms']:.1f} / {res['int8_hybrid_p95_ms']:.1f} "
            f"({res['int8_concurrent_vs_slower']:.2f})",
        ),
        (
            "hybrid single query p50 / p95 ms (ratio), static-minilm",
            f"{res['static_hybrid_p50_ms']:.1f} / {res['static_hybrid_p95_ms']:.1f} "
            f"({res['static_concurrent_vs_slower']:.2f})",
        ),
        (
            "index on disk MB / load s (verify) / load s (no verify)",
            f"{res['disk_mb']:.1f} / {res['load_s']:.2f} / {res['load_noverify_s']:.2f}",
        ),
        (
            "BM25 k1, b (tuned on train; train nDCG@10)",
            f"{res['bm25_k1']}, {res['bm25_b']} ({res['bm25_train_ndcg']:.3f})",
        ),
        ("nDCG@10 test BM25 ragkit (published 0.68)", f"{res['bm25_ndcg10_test']:.3f}"),
        ("nDCG@10 test BM25 raw bm25s", f"{res['bm25_ndcg10_raw_bm25s']:.3f}"),
        ("nDCG@10 test dense MiniLM (published 0.645)", f"{res['dense_ndcg10_test']:.3f}"),
        ("nDCG@10 test hybrid (RRF)", f"{res['hybrid_ndcg10_test']:.3f}"),
        (
            "nDCG@10 test dense / hybrid, int8 MiniLM queries",
            f"{res['int8_dense_ndcg10_test']:.3f} / {res['int8_hybrid_ndcg10_test']:.3f}",
        ),
        (
            "nDCG@10 test dense / hybrid, static-minilm",
            f"{res['static_dense_ndcg10_test']:.3f} / {res['static_hybrid_ndcg10_test']:.3f}",
        ),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}} | value")
    print(f"{'-' * width}-|------")
    for name, value in rows:
        print(f"{name:<{width}} | {value}")
    if args.json:
        args.json.write_text(json.dumps(res, indent=2, default=float))


if __name__ == "__main__":
    main()
