"""`ragkit index` and `ragkit search`: build a hybrid index folder from files, and query it.

A thin layer over `ragkit.parsers.load`, `ragkit.chunkers.get_chunker` and
`ragkit.indexes.HybridIndex`; progress goes to stderr, results to stdout (`--json`: one JSON
object per query).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from ragkit.indexes.faiss_index import INDEX_TYPES
from ragkit.indexes.onnx_encoder import BACKENDS
from ragkit.models import DEFAULT_EMBEDDING_MODEL, STATIC_EMBEDDING_MODEL

_MODES = ("hybrid", "dense", "bm25")


def register(subparsers: Any) -> None:
    """Add the `index` and `search` commands."""
    _add_index(subparsers)
    _add_search(subparsers)


def _add_index(subparsers: Any) -> None:
    """`ragkit index PATH... --out DIR` and its chunking/model/index options."""
    index = subparsers.add_parser(
        "index",
        help="build a hybrid (BM25 + dense) index folder from documents",
        description="Parse and chunk each PATH (files or folders), then build and save a "
        "hybrid BM25 + dense index in DIR.",
    )
    index.add_argument("paths", metavar="PATH", nargs="+", help="files or folders to index")
    index.add_argument("--out", required=True, metavar="DIR", help="the index folder to write")
    index.add_argument(
        "--chunker",
        choices=("hierarchical", "naive"),
        default="hierarchical",
        help="hierarchical (section-aware, the default) or naive (fixed token windows)",
    )
    index.add_argument(
        "--max-tokens",
        type=int,
        default=256,
        metavar="N",
        help="token limit of a chunk (default 256)",
    )
    index.add_argument(
        "--model",
        default=None,
        metavar="M",
        help=f"embedding model: {DEFAULT_EMBEDDING_MODEL} (packaged, default), "
        f"{STATIC_EMBEDDING_MODEL} (fast), or a local sentence-transformers folder",
    )
    index.add_argument(
        "--backend",
        choices=BACKENDS,
        default=None,
        help="encoder backend: torch (float32), onnx (float32 ONNX Runtime: the same vectors, "
        "~1.45x torch) or onnx-int8 (the default on CPU when onnxruntime is installed: ~3.3x "
        "torch's passages/s, vectors within cosine 0.995 of float32)",
    )
    index.add_argument(
        "--index-type",
        choices=INDEX_TYPES,
        default="auto",
        help="FAISS index: auto (by corpus size), flat (exact), hnsw, ivf or ivfpq",
    )
    index.add_argument(
        "--bm25-backend",
        choices=("bm25s", "rank_bm25"),
        default="bm25s",
        help="sparse backend: bm25s (fast, default) or rank_bm25 (reference)",
    )
    index.add_argument(
        "--metadata",
        default=None,
        metavar="SIDECAR",
        help="a JSON or CSV file of metadata per document (doc_id or file name -> fields) "
        "to attach before chunking; filter on its fields with `search --filter`",
    )
    index.add_argument(
        "--ray",
        nargs="?",
        const="",
        default=None,
        metavar="ADDRESS",
        help="embed on Ray (pip install 'ragkit[ray]'): a local Ray without ADDRESS, "
        "'auto' or HOST:PORT to join a cluster; with --shards the shards are Ray actors",
    )
    index.add_argument(
        "--shards",
        type=int,
        default=1,
        metavar="N",
        help="split the index by document over N shards (exact, flat dense search; "
        "see README 'Scaling out on Ray'); default 1: one hybrid index",
    )
    index.set_defaults(func=_index)


def _add_search(subparsers: Any) -> None:
    """`ragkit search DIR QUERY...` and its mode/filter/fusion/rerank options."""
    search = subparsers.add_parser(
        "search",
        help="search an index folder",
        description="Search the index in DIR and print ranked chunks with score, document, "
        "section path, page and a snippet.",
    )
    search.add_argument("index_dir", metavar="DIR", help="an index folder built by `ragkit index`")
    search.add_argument("queries", metavar="QUERY", nargs="+", help="one or more queries")
    search.add_argument("-k", type=int, default=10, help="results per query (default 10)")
    search.add_argument(
        "--mode",
        choices=_MODES,
        default="hybrid",
        help="hybrid (fused BM25 + dense, default), dense or bm25",
    )
    search.add_argument(
        "--filter",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="metadata filter on any key (repeatable): KEY=V, KEY=A,B (any of), KEY>=V, KEY<V "
        "(ranges); e.g. ticker=KO, fiscal_year>=2020, section='Item 7', doc_id=...",
    )
    search.add_argument(
        "--fusion",
        default=None,
        metavar="METHOD",
        help="fusion method for hybrid mode: rrf (default), convex, combsum, combmnz, dbsf",
    )
    search.add_argument(
        "--rerank",
        default=None,
        metavar="SPEC",
        help="rerank the fused candidates: cross-encoder:MODEL_DIR or cohere[:MODEL]",
    )
    search.add_argument(
        "--rerank-depth",
        type=int,
        default=50,
        help="candidates handed to the reranker (default 50)",
    )
    search.add_argument(
        "--query-int8",
        action="store_true",
        help="encode queries with an int8 copy of the model (CPU: ~2.5x faster, slightly "
        "lower quality; see README)",
    )
    search.add_argument("--json", action="store_true", help="one JSON object per query")
    search.set_defaults(func=_search)


def parse_filters(items: list[str]) -> dict[str, Any]:
    """`["ticker=KO", "fiscal_year>=2023"]` -> `{"ticker": "KO", "fiscal_year": {">=": "2023"}}`
    (see `ragkit.indexes.filters.parse_filter_strings`)."""
    from ragkit.indexes.filters import parse_filter_strings

    return parse_filter_strings(items)


def _index(args: argparse.Namespace) -> int:
    from ragkit.chunkers import get_chunker
    from ragkit.indexes import HybridIndex
    from ragkit.parsers import load

    err = sys.stderr
    start = time.perf_counter()
    docs = load(args.paths)
    if args.metadata:
        from ragkit.metadata import apply_sidecar

        docs = apply_sidecar(docs, args.metadata)
    chunker = get_chunker(args.chunker, max_tokens=args.max_tokens)
    chunks = [c for doc in docs for c in chunker.chunk(doc)]
    err.write(
        f"parsed {len(docs)} documents into {len(chunks)} chunks "
        f"({time.perf_counter() - start:.1f}s)\n"
    )
    if args.shards > 1:
        return _index_sharded(args, chunks)
    if args.ray is not None:
        from ragkit.scale.ray_backend import connect

        connect(args.ray or None)
    index = HybridIndex.build(
        chunks,
        model=args.model,
        index_type=args.index_type,
        bm25_backend=args.bm25_backend,
        show_progress=True,
        executor="local" if args.ray is None else "ray",
        backend=args.backend,
    )
    path = index.save(args.out)
    err.write(
        f"indexed {len(index)} chunks (bm25 {index.timings.get('bm25', 0):.1f}s, dense "
        f"{index.timings.get('dense', 0):.1f}s, {index.dense.index_type}) -> {path}\n"
    )
    return 0


def _index_sharded(args: argparse.Namespace, chunks: list[Any]) -> int:
    """`ragkit index --shards N [--ray [ADDRESS]]`: a `ragkit.scale.ShardedIndex`."""
    from ragkit.scale import ShardedIndex

    start = time.perf_counter()
    index = ShardedIndex.build(
        chunks,
        n_shards=args.shards,
        model=args.model,
        executor="local" if args.ray is None else "ray",
        address=args.ray or None,
    )
    try:
        path = index.save(args.out)
    finally:
        index.close()
    sys.stderr.write(
        f"indexed {len(index)} chunks over {args.shards} shards {index.sizes} "
        f"({time.perf_counter() - start:.1f}s) -> {path}\n"
    )
    return 0


def _load_for_search(folder: str) -> Any:
    """The index in `folder`: a `HybridIndex`, or a `ShardedIndex` (shards in-process)."""
    from ragkit.indexes import HybridIndex
    from ragkit.indexes.store import read_manifest

    kind = read_manifest(folder, ("HybridIndex", "ShardedIndex"), verify=False)["type"]
    if kind == "ShardedIndex":
        from ragkit.scale import ShardedIndex

        return ShardedIndex.load(folder)
    return HybridIndex.load(folder)


def _snippet(text: str, width: int = 160) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _search(args: argparse.Namespace) -> int:
    filters = parse_filters(args.filter)
    index = _load_for_search(args.index_dir)
    embedder = index.embedder if hasattr(index, "embedder") else index.dense.embedder
    embedder.query_int8 = args.query_int8
    if args.fusion or args.rerank:
        from ragkit.pipeline import HybridPipeline

        config: dict[str, Any] = {
            "retrieval": {"mode": args.mode},
            "fusion": {"method": args.fusion or "rrf"},
        }
        if args.rerank:
            config["reranker"] = {"spec": args.rerank, "depth": args.rerank_depth}
        pipeline = HybridPipeline.from_index(index, config)
        results = pipeline.search(args.queries, args.k, filters or None)
    else:
        results = index.search(args.queries, k=args.k, filters=filters or None, mode=args.mode)
    out = sys.stdout
    for query, hits in zip(args.queries, results, strict=True):
        if args.json:
            row = {
                "query": query,
                "mode": args.mode,
                "hits": [
                    {
                        "rank": h.rank,
                        "score": h.score,
                        "chunk_id": h.chunk_id,
                        "doc_id": h.chunk.doc_id if h.chunk else None,
                        "section_path": list(h.chunk.section_path) if h.chunk else [],
                        "page_start": h.chunk.page_start if h.chunk else None,
                        "page_end": h.chunk.page_end if h.chunk else None,
                        "scores": h.scores,
                        "text": h.chunk.text if h.chunk else None,
                    }
                    for h in hits
                ],
            }
            out.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
            continue
        out.write(f"query: {query}  ({args.mode}, {len(hits)} hits)\n")
        for h in hits:
            c = h.chunk
            if c is None:
                out.write(f"{h.rank:>3}. {h.score:.4f}  {h.chunk_id}\n")
                continue
            page = "" if c.page_start is None else f"  p. {c.page_start}"
            path = " > ".join(c.section_path) or "(document)"
            out.write(f"{h.rank:>3}. {h.score:.4f}  {c.doc_id}{page}  {path}\n")
            out.write(f"     {_snippet(c.text)}\n")
    return 0
