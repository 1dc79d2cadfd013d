"""Benchmark: the heuristic agent against the hybrid retriever on the development questions.

For sec-qa dev (evidence quotes, the README's `norm` rule) and FinanceBench dev (evidence
pages), prints per system: evidence recall (per quote / page and per question fully
supported), passages returned, tokens read per question and latency. Development questions
only; never the held-out sets.

    .venv/bin/python benchmarks/agentic.py [--data DIR] [--k 10] [--no-hybrid] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ragkit.agentic import HeuristicAgent
from ragkit.agentic.result import count_tokens
from ragkit.settings import cache_dir, data_dir

logger = logging.getLogger("benchmarks.agentic")


def norm(text: str) -> str:
    """The sec-qa matching rule: lowercase, keep only letters and digits."""
    return "".join(ch for ch in text.lower() if ch.isalnum())


def load_jsonl(path: Path) -> list[dict[str, Any]]:
    """Read a JSON Lines file."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


Passage = tuple[str, str, int | None, int | None]  # text, file, page_start, page_end


def secqa_scores(question: dict[str, Any], passages: Sequence[Passage]) -> tuple[int, int]:
    """(quotes found, quotes) under the norm rule."""
    texts = [norm(p[0]) for p in passages]
    quotes = [norm(e["quote"]) for e in question["evidence"]]
    return sum(any(q in t for t in texts) for q in quotes), len(quotes)


def fb_scores(question: dict[str, Any], passages: Sequence[Passage]) -> tuple[int, int]:
    """(evidence pages covered, evidence pages): a page counts when a passage from the right
    document spans it."""
    wanted = {(e["doc_name"], int(e["evidence_page_num"])) for e in question["evidence"]}
    got = set()
    for _text, file, a, b in passages:
        if a is None:
            continue
        stem = Path(file).stem
        for page in range(a, (b if b is not None else a) + 1):
            got.add((stem, page))
    return len(wanted & got), len(wanted)


System = Callable[[str, dict[str, Any]], tuple[list[Passage], int]]


def agent_system(root: Path, **params: Any) -> System:
    """The heuristic agent as a system: all its evidence, tokens = what its tools returned."""
    agent = HeuristicAgent(root, **params)

    def run(question: str, q: dict[str, Any]) -> tuple[list[Passage], int]:
        res = agent.run(question)
        return [(e.text, e.file, e.page_start, e.page_end) for e in res.evidence], res.tokens_read

    return run


def hybrid_system(root: Path, k: int, name: str) -> System | None:
    """The hybrid retriever over the same files (top-k chunks), or None when unavailable."""
    try:
        from ragkit.chunkers import HierarchicalChunker
        from ragkit.indexes import HybridIndex
        from ragkit.parsers import load
    except ImportError as exc:
        logger.warning("hybrid retriever unavailable: %s", exc)
        return None
    folder = cache_dir() / "bench-agentic" / name
    try:
        index = HybridIndex.load(folder)
    except Exception:  # noqa: BLE001 - build when absent or stale
        docs = load([root])
        chunks = [c for d in docs for c in HierarchicalChunker().chunk(d)]
        index = HybridIndex.build(chunks)
        index.save(folder)

    def run(question: str, q: dict[str, Any]) -> tuple[list[Passage], int]:
        hits = index.search([question], k)[0]
        passages = [
            (
                h.chunk.text,
                h.chunk.metadata.get("source_name", h.chunk.doc_id),
                h.chunk.page_start,
                h.chunk.page_end,
            )
            for h in hits
            if h.chunk
        ]
        return passages, sum(count_tokens(p[0]) for p in passages)

    return run


def evaluate(
    system: System, questions: list[dict[str, Any]], scorer: Callable[..., tuple[int, int]]
) -> dict[str, Any]:
    """Run one system over the questions; recall per item and per question, tokens, latency."""
    found = total = full = 0
    tokens: list[int] = []
    latency: list[float] = []
    n_passages: list[int] = []
    misses: list[str] = []
    for q in questions:
        t0 = time.perf_counter()
        passages, n_tok = system(q["question"], q)
        latency.append(time.perf_counter() - t0)
        f, t = scorer(q, passages)
        found, total = found + f, total + t
        full += f == t
        if f < t:
            misses.append(q.get("id") or q.get("financebench_id", "?"))
        tokens.append(n_tok)
        n_passages.append(len(passages))
    return {
        "recall_item": found / max(1, total),
        "recall_question": full / max(1, len(questions)),
        "passages": statistics.mean(n_passages),
        "tokens_mean": statistics.mean(tokens),
        "latency_s_mean": statistics.mean(latency),
        "latency_s_p95": sorted(latency)[max(0, math.ceil(0.95 * len(latency)) - 1)],
        "misses": misses,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print one table per dataset."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=data_dir())
    parser.add_argument("--k", type=int, default=10, help="chunks the hybrid retriever returns")
    parser.add_argument("--no-hybrid", action="store_true")
    parser.add_argument("--only", choices=("sec-qa", "financebench"), default=None)
    parser.add_argument("--json", type=Path, default=None, help="write results here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    sets = [
        (
            "sec-qa",
            args.data / "sec-filings",
            args.data / "sec-qa" / "dev.jsonl",
            secqa_scores,
            "quotes",
        ),
        (
            "financebench",
            args.data / "financebench" / "text",
            args.data / "financebench" / "financebench_dev.jsonl",
            fb_scores,
            "pages",
        ),
    ]
    results: dict[str, Any] = {}
    for name, root, qfile, scorer, unit in sets:
        if args.only and name != args.only:
            continue
        if not qfile.exists():
            print(f"{name}: {qfile} not found, skipped")
            continue
        questions = load_jsonl(qfile)
        systems: list[tuple[str, System | None]] = [("heuristic agent", agent_system(root))]
        if not args.no_hybrid:
            systems.append((f"hybrid top-{args.k}", hybrid_system(root, args.k, name)))
        print(f"\n## {name} dev: {len(questions)} questions, recall of evidence {unit}")
        print(
            f"| system | recall ({unit}) | fully supported | passages | tokens/q | "
            "latency mean s | p95 s |"
        )
        print("|---|---|---|---|---|---|---|")
        for label, system in systems:
            if system is None:
                print(f"| {label} | unavailable | | | | | |")
                continue
            r = evaluate(system, questions, scorer)
            results[f"{name}/{label}"] = r
            print(
                f"| {label} | {r['recall_item']:.3f} | {r['recall_question']:.3f} | "
                f"{r['passages']:.1f} | {r['tokens_mean']:.0f} | {r['latency_s_mean']:.2f} | "
                f"{r['latency_s_p95']:.2f} |"
            )
            print(f"<!-- {label} misses: {', '.join(r['misses'])} -->")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
