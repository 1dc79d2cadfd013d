"""The Reranker protocol, the shared rescoring helper, and the `get_reranker(spec)` registry.

A reranker rescores the candidates of one query and returns the best `k` as new Hits whose
`scores` keep every earlier stage's score (`dataclasses.replace` style: inputs are untouched).
Specs: "cross-encoder:PATH_OR_NAME", "cohere" or "cohere:MODEL", "none".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from ragkit.errors import ConfigError, QueryError
from ragkit.fusion.normalize import min_max
from ragkit.models import DEFAULT_COHERE_RERANK_MODEL
from ragkit.registry import Registry
from ragkit.types import Hit


@runtime_checkable
class Reranker(Protocol):
    """Rescores one query's candidate hits and returns the best `k`."""

    def rerank(self, query: str, hits: Sequence[Hit], k: int | None = None) -> list[Hit]:
        """Rerank `hits` for `query`; `k` None keeps them all."""
        ...


def check_rerank_args(query: str, hits: Sequence[Hit], k: int | None) -> int:
    """Validate a rerank call; returns the effective k (capped at len(hits))."""
    if not isinstance(query, str) or not query.strip():
        raise QueryError(f"rerank needs a non-empty query string, got {query!r}")
    if k is not None and (isinstance(k, bool) or not isinstance(k, int) or k <= 0):
        raise QueryError(f"rerank k must be a positive int or None, got {k!r}")
    return len(hits) if k is None else min(k, len(hits))


def hit_text(hit: Hit) -> str:
    """The text a reranker reads for a hit: its chunk's `search_text` (path line + body)."""
    if hit.chunk is None:
        raise QueryError(
            f"hit {hit.chunk_id!r} carries no chunk; rerankers need the chunk text "
            "(retrieve with an index that attaches chunks)"
        )
    return hit.chunk.search_text


def rescored(hits: Sequence[Hit], new_scores: Sequence[float], source: str, k: int) -> list[Hit]:
    """New hits sorted by (-new score, chunk_id), cut to k, with earlier scores kept."""
    order = sorted(range(len(hits)), key=lambda i: (-float(new_scores[i]), hits[i].chunk_id))[:k]
    out: list[Hit] = []
    for rank, i in enumerate(order, start=1):
        hit = hits[i]
        scores = dict(hit.scores)
        scores[hit.source] = float(hit.score)
        scores[source] = float(new_scores[i])
        out.append(Hit(hit.chunk_id, float(new_scores[i]), rank, source, hit.chunk, scores))
    return out


def blend_with_incoming(
    head: Sequence[Hit], reranked: Sequence[Hit], weight: float, k: int
) -> list[Hit]:
    """Interpolate a reranker with the stage before it: ``(1 - weight) * minmax(reranker) +
    weight * minmax(incoming)`` over the reranked head, sorted by (-score, chunk_id), cut to
    k. A weak (small, little-trained) reranker gains from keeping the fused evidence: on
    SciFact dev the fine-tuned MiniLM reranker did best at weight 0.5. Both inputs' scores
    stay in `Hit.scores`; the new score is recorded as "blend"."""
    if not 0.0 <= weight <= 1.0:
        raise ConfigError(f"blend weight must be in [0, 1], got {weight!r}")
    by_id = {h.chunk_id: h for h in head}
    new = min_max([float(h.score) for h in reranked])
    old = min_max([float(by_id[h.chunk_id].score) for h in reranked])
    mixed = [(1.0 - weight) * n + weight * o for n, o in zip(new, old, strict=True)]
    out = rescored(reranked, mixed, "blend", k)
    for hit in out:  # the incoming stage's own score, under its own name
        before = by_id[hit.chunk_id]
        hit.scores.setdefault(before.source, float(before.score))
    return out


class IdentityReranker:
    """Keeps the incoming order (a "no reranking" baseline that still honours k)."""

    def rerank(self, query: str, hits: Sequence[Hit], k: int | None = None) -> list[Hit]:
        """The first k hits, unchanged."""
        n = check_rerank_args(query, hits, k)
        return list(hits[:n])


def _cross_encoder(arg: str, /, **options: Any) -> Reranker:
    from ragkit.rerankers.cross_encoder import CrossEncoderReranker

    if not arg:
        raise ConfigError("cross-encoder spec needs a model: 'cross-encoder:PATH_OR_NAME'")
    return CrossEncoderReranker(arg, **options)


def _cohere(arg: str, /, **options: Any) -> Reranker:
    from ragkit.rerankers.cohere import CohereReranker

    return CohereReranker(model=arg, **options) if arg else CohereReranker(**options)


def _none(arg: str, /, **options: Any) -> Reranker:
    return IdentityReranker()


#: Reranker factories by spec kind; each takes the text after ':' and keyword options.
RERANKERS: Registry[Reranker] = Registry(
    "reranker", examples="'cross-encoder:PATH', 'cohere:rerank-v3.5'"
)
RERANKERS.register(
    "cross-encoder", _cross_encoder, "a local sentence-transformers cross-encoder (folder/name)"
)
RERANKERS.register("cohere", _cohere, f"Cohere Rerank (default {DEFAULT_COHERE_RERANK_MODEL})")
RERANKERS.register("none", _none, "no reranking: keeps the incoming order, cut to k")


def get_reranker(spec: str, **options: Any) -> Reranker:
    """Build a reranker from a spec such as "cross-encoder:./models/scifact-ce" or
    "cohere:rerank-v3.5"; ConfigError naming the known kinds otherwise (never None)."""
    return RERANKERS.get(spec, **options)
