"""Cross-encoder reranking on sentence-transformers' `CrossEncoder`.

Loads any local model folder (e.g. one written by `ragkit train-reranker`) or model name
(e.g. "cross-encoder/ms-marco-MiniLM-L-6-v2" for a user with internet), at first use.
Pairs are scored in batches, across queries too in `rerank_many`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ragkit.errors import ConfigError, DependencyError
from ragkit.rerankers.base import check_rerank_args, hit_text, rescored
from ragkit.types import Hit

logger = logging.getLogger(__name__)


class CrossEncoderReranker:
    """Scores (query, chunk text) pairs with a cross-encoder and keeps the best k."""

    def __init__(
        self,
        model: str | Path | Any,
        batch_size: int = 32,
        max_length: int = 256,
        device: str | None = None,
        name: str = "cross-encoder",
    ) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
            raise ConfigError(f"batch_size must be a positive int, got {batch_size!r}")
        if isinstance(max_length, bool) or not isinstance(max_length, int) or max_length <= 0:
            raise ConfigError(f"max_length must be a positive int, got {max_length!r}")
        self.batch_size = batch_size
        self.max_length = max_length
        self.device = device
        self.name = name
        if isinstance(model, str | Path):
            self.model_name = str(model)
            self._model: Any = None
        else:  # an already built sentence_transformers.CrossEncoder
            self.model_name = type(model).__name__
            self._model = model
        self.last_latency_ms = 0.0

    def __repr__(self) -> str:
        return f"CrossEncoderReranker({self.model_name!r}, max_length={self.max_length})"

    @property
    def model(self) -> Any:
        """The loaded `CrossEncoder` (loaded on first access)."""
        if self._model is None:
            local = Path(self.model_name).expanduser()
            if local.exists() or self.model_name.startswith(("/", ".", "~")):
                if not (local / "config.json").is_file():  # e.g. cross-encoder:/etc
                    raise ConfigError(
                        f"cannot load cross-encoder {self.model_name!r}: {local} is not a "
                        "model folder (it has no config.json)"
                    )
            try:
                from sentence_transformers import CrossEncoder
            except ImportError as exc:  # pragma: no cover - a declared dependency
                raise DependencyError(
                    "the cross-encoder reranker needs `pip install sentence-transformers`"
                ) from exc
            logger.info("loading cross-encoder %s", self.model_name)
            try:
                self._model = CrossEncoder(
                    self.model_name, max_length=self.max_length, device=self.device
                )
            except (OSError, ValueError) as exc:  # missing, or a folder that is no model
                raise ConfigError(
                    f"cannot load cross-encoder {self.model_name!r}: expected a local model "
                    f"folder or a model name reachable online ({exc})"
                ) from exc
        return self._model

    def score_pairs(self, pairs: Sequence[tuple[str, str]]) -> list[float]:
        """Raw model scores for (query, text) pairs, batched."""
        if not pairs:
            return []
        scores = self.model.predict(
            [list(p) for p in pairs],
            batch_size=self.batch_size,
            show_progress_bar=False,
            convert_to_numpy=True,
        )
        return [float(s) for s in scores.reshape(len(pairs), -1)[:, -1]]

    def rerank(self, query: str, hits: Sequence[Hit], k: int | None = None) -> list[Hit]:
        """Rescore `hits` for `query` and return the best k (all when k is None)."""
        return self.rerank_many([query], [hits], k)[0]

    def rerank_many(
        self, queries: Sequence[str], hits: Sequence[Sequence[Hit]], k: int | None = None
    ) -> list[list[Hit]]:
        """Rerank several queries' candidates, scoring all their pairs in shared batches."""
        if len(queries) != len(hits):
            raise ConfigError(f"got {len(queries)} queries but {len(hits)} candidate lists")
        ks = [check_rerank_args(q, h, k) for q, h in zip(queries, hits, strict=True)]
        pairs = [(q, hit_text(h)) for q, hs in zip(queries, hits, strict=True) for h in hs]
        start = time.perf_counter()
        scores = self.score_pairs(pairs)
        self.last_latency_ms = (time.perf_counter() - start) * 1000
        out: list[list[Hit]] = []
        offset = 0
        for hs, n in zip(hits, ks, strict=True):
            out.append(rescored(hs, scores[offset : offset + len(hs)], self.name, n))
            offset += len(hs)
        return out
