"""`ragkit ask` (retrieve, rerank, generate a cited answer) and `ragkit train-reranker`.

Thin layers over `ragkit.pipeline.HybridPipeline` and `ragkit.rerankers.training`; progress
goes to stderr, results to stdout.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ragkit.errors import ConfigError, DatasetError, QueryError
from ragkit.rerankers.training import LOSSES


def register(subparsers: Any) -> None:
    """Add the `ask` and `train-reranker` commands."""
    _add_ask(subparsers)
    _add_train_reranker(subparsers)


def _add_ask(subparsers: Any) -> None:
    """`ragkit ask DIR QUESTION` and its retrieval/generation options."""
    ask = subparsers.add_parser(
        "ask",
        help="answer a question from an index folder (or documents) with citations",
        description="Retrieve with the hybrid pipeline (BM25 + dense, fusion, optional "
        "reranking) and answer QUESTION from the best chunks, citing them. DIR is an index "
        "folder built by `ragkit index`, or documents to index in memory.",
    )
    ask.add_argument("source", metavar="DIR", help="index folder, or a documents file/folder")
    ask.add_argument("question", metavar="QUESTION", help="the question to answer")
    ask.add_argument(
        "--generator",
        default=None,
        help="extractive (offline, default), cohere[:MODEL] or openai[:MODEL]",
    )
    ask.add_argument("--base-url", default=None, help="API base URL for cohere/openai generators")
    ask.add_argument(
        "--rerank",
        default=None,
        metavar="SPEC",
        help="reranker: cross-encoder:PATH_OR_NAME, cohere[:MODEL] or none",
    )
    ask.add_argument(
        "--rerank-depth",
        type=int,
        default=None,
        metavar="N",
        help="candidates the reranker rescores (default 50)",
    )
    ask.add_argument(
        "--fusion",
        default=None,
        metavar="METHOD",
        help="rrf (default), convex, combsum, combmnz or dbsf",
    )
    ask.add_argument(
        "--dynamic-weights",
        action="store_true",
        help="set BM25/dense weights per query with the query classifier",
    )
    ask.add_argument(
        "--expand",
        action="store_true",
        help="add chunks of sections the top hits refer to (See Note 12)",
    )
    ask.add_argument(
        "--config",
        default=None,
        metavar="FILE",
        help="a YAML/JSON pipeline config; options above override it",
    )
    ask.add_argument("-k", type=int, default=None, help="context chunks given to the generator")
    ask.add_argument(
        "--filter",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="metadata filter (repeatable): form_type, fiscal_year, ticker, doc_id, section, ...",
    )
    ask.add_argument(
        "--json", action="store_true", help="print answer, citations, hits and trace as JSON"
    )
    ask.set_defaults(func=_ask)


def _add_train_reranker(subparsers: Any) -> None:
    """`ragkit train-reranker`: its data options, then mining and optimisation options."""
    train = subparsers.add_parser(
        "train-reranker",
        help="fine-tune a cross-encoder reranker on your relevance data",
        description="Fine-tune a cross-encoder from BASE on BEIR qrels (--beir) or on "
        "questions with evidence quotes (--evidence with --docs), with hard negatives mined "
        "by ragkit's BM25 (or hybrid) retrieval. Resumable; the output folder loads with "
        "--rerank cross-encoder:OUT.",
    )
    train.add_argument(
        "--base",
        required=True,
        metavar="MODEL",
        help="base model folder or name (e.g. the packaged MiniLM folder)",
    )
    train.add_argument("--out", required=True, metavar="DIR", help="output model folder")
    data = train.add_mutually_exclusive_group(required=True)
    data.add_argument("--beir", metavar="DIR", help="a BEIR folder (corpus, queries, qrels)")
    data.add_argument(
        "--evidence",
        metavar="FILE",
        help="JSONL with 'question' and 'evidence' (texts or {evidence_text})",
    )
    train.add_argument("--split", default="train", help="BEIR qrels split (default train)")
    train.add_argument(
        "--docs",
        nargs="*",
        default=[],
        metavar="PATH",
        help="documents to chunk as the corpus for --evidence",
    )
    _add_mining_options(train)
    _add_optimisation_options(train)
    train.set_defaults(func=_train)


def _add_mining_options(train: argparse.ArgumentParser) -> None:
    """How training pairs are made: hard, random and title-query negatives."""
    train.add_argument("--negatives", type=int, default=4, help="hard negatives per query")
    train.add_argument(
        "--random-negatives",
        type=int,
        default=0,
        metavar="N",
        help="random (easy) negatives per query besides the mined ones (default 0)",
    )
    train.add_argument(
        "--title-queries",
        type=int,
        default=0,
        metavar="N",
        help="add N self-supervised pairs: a section/document title as the query for its "
        "chunks, shown without the title (default 0)",
    )
    train.add_argument("--depth", type=int, default=30, help="retrieval depth for mining")
    train.add_argument(
        "--skip-top",
        type=int,
        default=0,
        help="skip the N best non-positives (unjudged positives guard)",
    )
    train.add_argument(
        "--miner",
        choices=("bm25", "hybrid"),
        default="bm25",
        help="retriever that mines hard negatives",
    )


def _add_optimisation_options(train: argparse.ArgumentParser) -> None:
    """How the model is trained: epochs, batches, learning rate, checkpoints, seed."""
    train.add_argument("--epochs", type=int, default=1, help="passes over the pairs (default 1)")
    train.add_argument(
        "--batch-size",
        type=int,
        default=16,
        help="pairs per step, or groups with --loss listwise (default 16)",
    )
    train.add_argument(
        "--loss",
        choices=LOSSES,
        default="pointwise",
        help="pointwise: binary cross-entropy per pair; listwise: a softmax over each "
        "positive and its query's negatives (default pointwise)",
    )
    train.add_argument("--lr", type=float, default=2e-5, help="learning rate")
    train.add_argument(
        "--head-lr",
        type=float,
        default=None,
        help="learning rate of the pooler and classifier (default --lr); raise it when the "
        "base is a bi-encoder, whose scoring head is new",
    )
    train.add_argument("--max-length", type=int, default=256, help="max tokens per pair")
    train.add_argument("--max-steps", type=int, default=None, help="stop after N steps")
    train.add_argument(
        "--checkpoint-every",
        type=int,
        default=100,
        metavar="N",
        help="write a resumable checkpoint every N steps (default 100)",
    )
    train.add_argument("--no-resume", action="store_true", help="ignore existing checkpoints")
    train.add_argument("--seed", type=int, default=0, help="seed of head init, sampling, order")


def _pipeline_config(args: argparse.Namespace) -> dict[str, Any]:
    from ragkit.pipeline import load_config

    config = load_config(args.config).model_dump() if args.config else {}
    if args.fusion:
        fusion = config.setdefault("fusion", {})
        if fusion.get("method") != args.fusion:
            fusion["params"] = {}  # the config's parameters belong to another method
        fusion["method"] = args.fusion
    if args.dynamic_weights:
        config.setdefault("fusion", {})["dynamic"] = True
    if args.expand:
        config.setdefault("expansion", {})["enabled"] = True
    if args.rerank:
        config["reranker"] = {"spec": args.rerank}
    if args.rerank_depth is not None:
        if not config.get("reranker"):
            raise ConfigError("--rerank-depth needs --rerank (or a reranker in --config)")
        config["reranker"]["depth"] = args.rerank_depth
    if args.generator:
        gen = config.setdefault("generator", {})
        gen["spec"] = args.generator
        if args.base_url:
            gen.setdefault("params", {})["base_url"] = args.base_url
    if args.k is not None:
        config.setdefault("generator", {})["contexts"] = args.k
        config["k"] = args.k
    return config


def _ask(args: argparse.Namespace) -> int:
    from ragkit.cli.indexing import parse_filters
    from ragkit.pipeline import HybridPipeline

    if not args.question.strip():
        raise QueryError("the question is empty")
    config = _pipeline_config(args)
    source = Path(args.source)
    if not source.exists():
        raise ConfigError(f"{args.source!r} does not exist; expected an index folder or documents")
    if (source / "manifest.json").is_file():
        from ragkit.pipeline import load_index

        pipe = HybridPipeline.from_index(load_index(source, config), config)
    else:
        sys.stderr.write(f"indexing {source} in memory (use `ragkit index` to keep it)\n")
        pipe = HybridPipeline.build(source, config)
    result = pipe.answer(args.question, filters=parse_filters(args.filter) or None)
    if args.json:
        payload = {
            "question": args.question,
            "answer": result.answer.to_dict(),
            "hits": [
                {
                    "rank": h.rank,
                    "chunk_id": h.chunk_id,
                    "score": h.score,
                    "doc_id": h.chunk.doc_id if h.chunk else None,
                    "section": " > ".join(h.chunk.section_path) if h.chunk else None,
                    "scores": h.scores,
                }
                for h in result.hits
            ],
            "trace": result.trace.to_dict(),
        }
        print(json.dumps(payload, indent=2, default=str))
        return 0
    print(result.answer.text)
    if result.answer.citations:
        print("\nSources:")
        for i, c in enumerate(result.answer.citations, start=1):
            section = " > ".join(c.section_path) or "(no section)"
            print(f"  [{i}] {c.doc_id} | {section} | chunk {c.chunk_id}")
    return 0


def _evidence_questions(path: Path) -> dict[str, list[str]]:
    questions: dict[str, list[str]] = {}
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                question = row["question"]
            except (ValueError, KeyError) as exc:
                raise DatasetError(f"{path}:{number}: expected JSON with a 'question'") from exc
            evidence = row.get("evidence") or row.get("evidence_text") or []
            if isinstance(evidence, str | dict):
                evidence = [evidence]
            texts = [
                e.get("evidence_text", "") if isinstance(e, dict) else str(e) for e in evidence
            ]
            questions.setdefault(question, []).extend(t for t in texts if t.strip())
    return questions


def _train(args: argparse.Namespace) -> int:
    from ragkit.rerankers.training import (
        TrainingConfig,
        beir_positives,
        evidence_pairs,
        load_beir,
        mine_pairs,
        title_pairs,
        train_cross_encoder,
    )

    mining = {
        "negatives": args.negatives,
        "depth": args.depth,
        "skip_top": args.skip_top,
        "retriever": args.miner,
        "seed": args.seed,
        "random_negatives": args.random_negatives,
    }
    cfg = TrainingConfig(
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.lr,
        max_length=args.max_length,
        max_steps=args.max_steps,
        checkpoint_every=args.checkpoint_every,
        seed=args.seed,
        loss=args.loss,
        head_learning_rate=args.head_lr,
    )
    if args.beir:
        chunks, queries, qrels = load_beir(args.beir, args.split)  # read once: pairs, titles
        pairs = mine_pairs(chunks, beir_positives(queries, qrels), **mining)
    else:
        if not args.docs:
            raise ConfigError("--evidence needs --docs PATH... (the documents to chunk)")
        from ragkit.chunkers import get_chunker
        from ragkit.parsers import load

        chunker = get_chunker("hierarchical")
        chunks = [c for doc in load(args.docs) for c in chunker.chunk(doc)]
        pairs = evidence_pairs(_evidence_questions(Path(args.evidence)), chunks, **mining)
    if args.title_queries:
        pairs += title_pairs(chunks, args.title_queries, **mining)
    positives = sum(1 for p in pairs if p.label > 0)
    sys.stderr.write(
        f"{len(pairs)} training pairs ({positives} positive, "
        f"{len(pairs) - positives} mined negatives)\n"
    )
    out = train_cross_encoder(
        pairs, args.base, args.out, cfg, resume=not args.no_resume, progress=True
    )
    print(f"saved fine-tuned cross-encoder to {out}; use --rerank cross-encoder:{out}")
    return 0
