"""`ragkit adapt CORPUS --out DIR`: fine-tune the embedding model (and a reranker) on pairs
mined from the corpus's own structure, without labels (a thin layer over `ragkit.adapt`)."""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ragkit.rerankers.training import LOSSES

if TYPE_CHECKING:
    from ragkit.adapt import AdaptConfig


def register(subparsers: Any) -> None:
    """Add the `adapt` command."""
    p = subparsers.add_parser(
        "adapt",
        help="adapt the embedding model (and a reranker) to a corpus, without labels",
        description="Mine training pairs from the corpus's structure (heading -> section, "
        "table row label -> table, reference sentence -> note, title -> body, inverse cloze), "
        "fine-tune the bi-encoder with in-batch negatives within a time budget, and "
        "optionally train a cross-encoder reranker from the same pairs. Resumes after an "
        "interruption. The output folder works wherever a model name does (--model DIR).",
    )
    p.add_argument("corpus", help="documents folder/file, BEIR folder, or chunks .jsonl")
    p.add_argument("--out", required=True, help="folder for the adapted embedding model")
    p.add_argument("--base", default=None, help="base model folder or name (default MiniLM)")
    p.add_argument("--reranker-out", default=None, help="also train a reranker into this folder")
    p.add_argument("--reranker-only", action="store_true",
                   help="--out is an adapted encoder already: train only the reranker from it, "
                   "on pairs mined as its manifest records")  # fmt: skip
    p.add_argument("--reranker-loss", choices=LOSSES, default="listwise",
                   help="listwise: softmax over a positive and its negatives (default); "
                   "pointwise: binary cross-entropy per pair")  # fmt: skip
    p.add_argument("--reranker-max-length", type=int, default=192,
                   help="reranker tokens per (query, passage), training only")  # fmt: skip
    p.add_argument("--reranker-pairs", type=int, default=4000,
                   help="mined pairs the reranker trains on (16 per step, one pass)")  # fmt: skip
    p.add_argument("--reranker-context-rate", type=float, default=1.0,
                   help="share of the reranker's training queries that name their document "
                        "(default 1: every one)")  # fmt: skip
    p.add_argument("--budget-minutes", type=float, default=30.0, help="training time budget")
    p.add_argument("--seed", type=int, default=0, help="seed of mining and training")
    p.add_argument("--max-pairs", type=int, default=20000, help="cap on mined pairs")
    p.add_argument("--keyword-per-chunk", type=int, default=1,
                   help="salient-term queries mined per chunk (0: none)")  # fmt: skip
    p.add_argument("--conclusion-pairs", action="store_true",
                   help="also mine a one-passage document's closing sentence (a paper's "
                   "conclusion) as a query for the rest of it")  # fmt: skip
    p.add_argument("--context-rate", type=float, default=0.5,
                   help="share of mined queries that name their document (0: none)")  # fmt: skip
    p.add_argument("--metadata-file", default=None,
                   help="document-information JSONL/CSV: company, form, period per document "
                   "where cover pages lack them (as `ragkit bench --metadata` reads)")  # fmt: skip
    p.add_argument("--batch-size", type=int, default=32, help="pairs per step (in-batch negatives)")
    p.add_argument("--learning-rate", type=float, default=2e-5, help="AdamW peak learning rate")
    p.add_argument("--epochs", type=int, default=1, help="passes over the mined pairs")
    p.add_argument("--max-steps", type=int, default=None, help="cap on optimisation steps")
    p.add_argument("--query-max-length", type=int, default=64, help="tokens, training only")
    p.add_argument("--passage-max-length", type=int, default=192, help="tokens, training only")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    p.add_argument("--device", default=None, help="cpu or cuda (default: cuda when present)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Adapt, then print the manifest's summary."""
    from ragkit.adapt import AdaptConfig, BiEncoderConfig, MiningConfig, adapt

    base = AdaptConfig()
    reranker = replace(base.reranker, loss=args.reranker_loss,
                       max_length=args.reranker_max_length)  # fmt: skip
    base = replace(base, reranker=reranker, reranker_pairs=args.reranker_pairs,
                   reranker_context_rate=args.reranker_context_rate)  # fmt: skip
    if args.reranker_only:
        return _reranker_only(args, replace(base, budget_minutes=args.budget_minutes))
    bi = BiEncoderConfig(
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        max_steps=args.max_steps,
        query_max_length=args.query_max_length,
        passage_max_length=args.passage_max_length,
    )
    cfg = replace(
        base,
        base_model=args.base,
        budget_minutes=args.budget_minutes,
        seed=args.seed,
        mining=MiningConfig(
            max_pairs=args.max_pairs,
            keyword_per_chunk=args.keyword_per_chunk,
            conclusion_pairs=args.conclusion_pairs,
            context_rate=args.context_rate,
        ),
        bi_encoder=bi,
        metadata_file=args.metadata_file,
    )
    manifest = adapt(args.corpus, args.out, cfg, reranker_out=args.reranker_out,
                     progress=not args.quiet, device=args.device, threads=args.threads)  # fmt: skip
    result = manifest["result"]
    print(f"pairs: {json.dumps(manifest['pairs'])}")
    print(
        f"bi-encoder: {result['steps']} of {result['planned_steps']} steps, loss "
        f"{result['initial_loss']:.4f} -> {result['final_loss']:.4f}, {result['seconds']}s on "
        f"{result['device']}; saved to {args.out}"
    )
    if "reranker" in manifest:
        _print_reranker(manifest["reranker"])
    print(f"wall time {manifest['wall_s']}s")
    return 0


def _reranker_only(args: argparse.Namespace, cfg: AdaptConfig) -> int:
    """`--reranker-only`: the encoder in --out is adapted already; train the reranker from
    it on the pairs its manifest says it saw (`adapt_reranker`)."""
    from ragkit.adapt.api import adapt_reranker
    from ragkit.errors import ConfigError

    if not args.reranker_out:
        raise ConfigError("--reranker-only needs --reranker-out DIR")
    _print_reranker(adapt_reranker(args.corpus, args.out, args.reranker_out, cfg,
                                   progress=not args.quiet))  # fmt: skip
    return 0


def _print_reranker(r: dict[str, Any]) -> None:
    """One line: the reranker's steps, loss, training time and folder."""
    print(f"reranker: {r['steps']} steps, loss {r['initial_loss']:.4f} -> "
          f"{r['final_loss']:.4f}, {r['seconds']}s; saved to {r['path']}")  # fmt: skip
