"""Parse and chunk the 17 real EDGAR filings; print throughput, chunk sizes and references.

Run: `python benchmarks/parse_chunk.py [--max-tokens 256]` (data from `$RAGKIT_DATA/sec-filings`).
Goal: at least 5 MB/s per core for parse + chunk (single process, so one core).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from ragkit.chunkers import HierarchicalChunker, NaiveChunker  # noqa: E402
from ragkit.parsers import load_document  # noqa: E402
from ragkit.settings import data_dir  # noqa: E402


def _quantiles(values: list[int]) -> str:
    v = sorted(values)
    if not v:
        return "-"

    def q(p: float) -> int:
        return v[min(len(v) - 1, int(p * (len(v) - 1) + 0.5))]

    return f"min {v[0]} / p10 {q(0.1)} / p50 {q(0.5)} / p90 {q(0.9)} / max {v[-1]}"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its tables; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--max-tokens", type=int, default=256)
    parser.add_argument("--overlap-tokens", type=int, default=32)
    args = parser.parse_args(argv)
    folder = data_dir() / "sec-filings"
    files = sorted(folder.glob("*.htm"))
    if not files:
        print(f"no filings found in {folder}; set RAGKIT_DATA", file=sys.stderr)
        return 1
    hier = HierarchicalChunker(args.max_tokens, args.overlap_tokens)
    naive = NaiveChunker(args.max_tokens, args.overlap_tokens)
    hier.tokenizer.count("warm up")  # load the tokenizer outside the timings

    header = (
        f"{'file':<50} {'MB':>5} {'parse s':>8} {'chunk s':>8} {'chunks':>7} {'tables':>7} "
        f"{'tbl ch':>6} {'refs':>6} {'resolved':>9}"
    )
    print(header)
    print("-" * len(header))
    tot = {
        "mb": 0.0,
        "parse": 0.0,
        "chunk": 0.0,
        "naive": 0.0,
        "chunks": 0,
        "naive_chunks": 0,
        "refs": 0,
        "resolved": 0,
        "cpu": 0.0,
    }
    sizes: list[int] = []
    naive_sizes: list[int] = []
    kinds: dict[str, int] = {}
    for path in files:
        mb = path.stat().st_size / 1e6
        c0 = time.process_time()
        t0 = time.perf_counter()
        doc = load_document(path)
        t1 = time.perf_counter()
        chunks = hier.chunk(doc)
        t2 = time.perf_counter()
        tot["cpu"] += time.process_time() - c0
        naive_chunks = naive.chunk(doc)
        t3 = time.perf_counter()
        tables = sum(b.kind == "table" for s in doc.root.walk() for b in s.blocks)
        split_tables = sum(c.kind != "prose" for c in chunks)
        refs = [r for c in chunks for r in c.metadata["references"]]
        resolved = sum(r["target"] is not None for r in refs)
        print(
            f"{path.name:<50} {mb:5.2f} {t1 - t0:8.2f} {t2 - t1:8.2f} {len(chunks):7d} "
            f"{tables:7d} {split_tables:6d} {len(refs):6d} {resolved:9d}"
        )
        tot["mb"] += mb
        tot["parse"] += t1 - t0
        tot["chunk"] += t2 - t1
        tot["naive"] += t3 - t2
        tot["chunks"] += len(chunks)
        tot["naive_chunks"] += len(naive_chunks)
        tot["refs"] += len(refs)
        tot["resolved"] += resolved
        sizes.extend(c.n_tokens for c in chunks)
        naive_sizes.extend(c.n_tokens for c in naive_chunks)
        for c in chunks:
            kinds[c.kind] = kinds.get(c.kind, 0) + 1
    print("-" * len(header))
    both = tot["parse"] + tot["chunk"]
    print(
        f"{'total':<50} {tot['mb']:5.1f} {tot['parse']:8.2f} {tot['chunk']:8.2f} {tot['chunks']:7d}"
    )
    print()
    print(f"parse            {tot['mb'] / tot['parse']:7.2f} MB/s")
    print(
        f"chunk            {tot['mb'] / tot['chunk']:7.2f} MB/s   "
        f"{tot['chunks'] / tot['chunk']:8.0f} chunks/s (hierarchical)"
    )
    print(f"parse + chunk    {tot['mb'] / both:7.2f} MB/s   wall clock, one process")
    print(
        f"parse + chunk    {tot['mb'] / tot['cpu']:7.2f} MB per CPU-second (all threads; "
        "goal >= 5 per core)"
    )
    print(
        f"naive chunk      {tot['mb'] / tot['naive']:7.2f} MB/s   "
        f"{tot['naive_chunks'] / tot['naive']:8.0f} chunks/s"
    )
    print()
    print(f"chunk size in tokens (search_text, special tokens included; limit {args.max_tokens})")
    print(f"  hierarchical  n={len(sizes):6d}  {_quantiles(sizes)}")
    print(f"  naive         n={len(naive_sizes):6d}  {_quantiles(naive_sizes)}")
    print(f"  hierarchical kinds: {dict(sorted(kinds.items()))}")
    print()
    rate = tot["resolved"] / tot["refs"] if tot["refs"] else 0.0
    print(f"cross-references: {tot['refs']} found, {tot['resolved']} resolved ({rate:.1%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
