"""Negatives for mined pairs: a hard one from ragkit's BM25 inside the pair's own document, a
random one from another document.

A hard negative is never the positive chunk, never a chunk of the positive's section (it may
well be relevant), never the same text, and never a passage holding the query verbatim (a
model would learn that word overlap means "not relevant"). One-passage documents (a BEIR
abstract) have no other passage, so theirs comes from the whole corpus, skipping the top
hits, where near-duplicates that might be relevant sit.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from ragkit.adapt.pairs import AdaptPair, contains_verbatim
from ragkit.types import Chunk

if TYPE_CHECKING:
    from ragkit.adapt.mining import MiningConfig

#: Kinds whose positive is shown without its path line; their negatives are shown alike.
BARE_KINDS = frozenset({"heading", "title", "table"})


def _shown(kind: str, chunk: Chunk) -> str:
    return chunk.text if kind in BARE_KINDS else chunk.search_text


def _usable(pair: AdaptPair, candidate: Chunk, positive: Chunk) -> bool:
    if candidate.id == pair.positive_id or candidate.section_path == positive.section_path:
        return False
    text = _shown(pair.kind, candidate)
    return text.strip() != pair.positive.strip() and not contains_verbatim(pair.query, text)


def _hard(
    pairs: Sequence[AdaptPair], by_id: dict[str, Chunk], cfg: MiningConfig
) -> list[Chunk | None]:
    """The hard negative chunk of each pair (None when none qualifies)."""
    from ragkit.indexes import BM25Index

    out: list[Chunk | None] = [None] * len(pairs)
    by_doc: dict[str, list[Chunk]] = defaultdict(list)
    for c in by_id.values():
        by_doc[c.doc_id].append(c)
    singles = [c for cs in by_doc.values() if len(cs) == 1 for c in cs]
    groups: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(pairs):
        groups[p.doc_id if len(by_doc[p.doc_id]) > 1 else ""].append(i)
    for doc_id, members in groups.items():
        pool = by_doc[doc_id] if doc_id else singles
        if len(pool) < 2:
            continue
        index = BM25Index()
        index.add(pool)
        skip = 0 if doc_id else cfg.corpus_skip
        depth = min(cfg.negative_depth + skip, len(pool))
        runs = index.search([pairs[i].query for i in members], depth)
        for i, run in zip(members, runs, strict=True):
            positive = by_id[pairs[i].positive_id]
            hits = [by_id[h.chunk_id] for h in run]
            usable = [c for c in hits if _usable(pairs[i], c, positive)]
            if len(usable) > skip:
                out[i] = usable[skip]
    return out


def attach_negatives(
    pairs: Sequence[AdaptPair], chunks: Sequence[Chunk], cfg: MiningConfig
) -> list[AdaptPair]:
    """`pairs` with `hard_negative` and `random_negative` filled in (seeded)."""
    by_id = {c.id: c for c in chunks}
    hard = _hard(pairs, by_id, cfg)
    rng = random.Random(cfg.seed + 4)
    several_docs = len({c.doc_id for c in chunks}) > 1
    out = []
    for pair, neg in zip(pairs, hard, strict=True):
        positive = by_id[pair.positive_id]
        rand: Chunk | None = None
        for _ in range(20):  # rejection sampling: a usable chunk is almost always near
            cand = chunks[rng.randrange(len(chunks))]
            other_doc = cand.doc_id != pair.doc_id or not several_docs
            if other_doc and _usable(pair, cand, positive):
                rand = cand
                break
        out.append(
            replace(
                pair,
                hard_negative=_shown(pair.kind, neg) if neg else "",
                hard_negative_id=neg.id if neg else "",
                random_negative=_shown(pair.kind, rand) if rand else "",
                random_negative_id=rand.id if rand else "",
            )
        )
    return out
