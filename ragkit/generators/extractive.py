"""An offline extractive generator: the context sentences that best match the query, cited.

Sentences are scored by the IDF-weighted share of query terms they contain (IDF over the
candidate sentences), with a small bonus for sentences from higher-ranked chunks; the best
`max_sentences` above `min_score` form the answer, each followed by its citation label.
Labels number the cited chunks 1, 2, ... in order of first use, one per chunk, so "[n]" is
always the n-th listed source. Sentences are split by pysbd, which knows abbreviations
("U.S.", "Inc.", "No. 12") and decimals. Useful without any LLM, and a transparent baseline
for the benchmark.
"""

from __future__ import annotations

import math
import re
import time
from functools import lru_cache
from typing import Any

from ragkit.errors import ConfigError, DependencyError, QueryError
from ragkit.generators.base import Answer, Citation
from ragkit.types import Chunk

_LINES = re.compile(r"\n+")
_WORD = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)*")
_STOPWORDS = frozenset(
    "a an and are as at be by did do does for from had has have how in is it its of on or "
    "that the their this to was were what when where which who why will with".split()
)

NO_ANSWER = "No answer found in the retrieved context."


@lru_cache(maxsize=1)
def _segmenter() -> Any:
    try:
        import pysbd
    except ImportError as exc:  # a core dependency; only a broken install lacks it
        raise DependencyError("sentence splitting needs pysbd: pip install pysbd") from exc
    return pysbd.Segmenter(language="en", clean=False)


def sentences(text: str) -> list[str]:
    """Split a passage into sentences (and table rows, which sit on their own lines)."""
    out: list[str] = []
    for line in _LINES.split(text):
        if len(line.strip()) <= 2:
            continue
        pieces = _segmenter().segment(line) if any(c in line for c in ".!?") else [line]
        out.extend(p.strip() for p in pieces if len(p.strip()) > 2)
    return out


def terms(text: str) -> list[str]:
    """Lower-cased content words and numbers."""
    return [t for t in _WORD.findall(text.lower()) if t not in _STOPWORDS]


class ExtractiveGenerator:
    """Returns the best-matching context sentences with citations to their chunks."""

    def __init__(
        self, max_sentences: int = 3, min_score: float = 0.15, rank_bonus: float = 0.05
    ) -> None:
        if isinstance(max_sentences, bool) or not isinstance(max_sentences, int):
            raise ConfigError(f"max_sentences must be a positive int, got {max_sentences!r}")
        if max_sentences <= 0:
            raise ConfigError(f"max_sentences must be a positive int, got {max_sentences!r}")
        if not 0 <= min_score <= 1:
            raise ConfigError(f"min_score must be within [0, 1], got {min_score!r}")
        self.max_sentences = max_sentences
        self.min_score = min_score
        self.rank_bonus = rank_bonus

    def generate(self, query: str, contexts: list[Chunk]) -> Answer:
        """The top sentences of `contexts` for `query`, each cited as [n] (n = chunk rank)."""
        if not isinstance(query, str) or not query.strip():
            raise QueryError(f"generate needs a non-empty query, got {query!r}")
        start = time.perf_counter()
        q_terms = set(terms(query))
        candidates: list[tuple[int, int, str, set[str]]] = []
        for rank, chunk in enumerate(contexts, start=1):
            for position, sentence in enumerate(sentences(chunk.text)):
                candidates.append((rank, position, sentence, set(terms(sentence))))
        n = len(candidates)
        df: dict[str, int] = {}
        for *_, words in candidates:
            for t in words & q_terms:
                df[t] = df.get(t, 0) + 1
        idf = {t: math.log(1 + (n + 1) / (df.get(t, 0) + 0.5)) for t in q_terms}
        total = sum(idf.values()) or 1.0
        scored = []
        for rank, position, sentence, words in candidates:
            coverage = sum(idf[t] for t in words & q_terms) / total
            if coverage < self.min_score:
                continue
            score = coverage + self.rank_bonus / rank
            scored.append((score, rank, position, sentence))
        scored.sort(key=lambda s: (-s[0], s[1], s[2]))
        best: list[tuple[float, int, int, str]] = []
        seen: set[str] = set()
        for item in scored:  # overlapping chunks repeat sentences: quote each once
            key = " ".join(item[3].lower().split())
            if key not in seen and len(best) < self.max_sentences:
                seen.add(key)
                best.append(item)
        usage = {"model": "extractive", "latency_ms": (time.perf_counter() - start) * 1000}
        if not best:
            return Answer(NO_ANSWER, [], usage)
        labels: dict[str, int] = {}  # chunk id -> its number among the sources
        quotes: list[list[str]] = []
        cited: list[Chunk] = []
        parts: list[str] = []
        for _, rank, _, sentence in best:
            chunk = contexts[rank - 1]
            if chunk.id not in labels:
                labels[chunk.id] = len(labels) + 1
                cited.append(chunk)
                quotes.append([])
            quotes[labels[chunk.id] - 1].append(sentence)
            parts.append(f"{sentence} [{labels[chunk.id]}]")
        citations = [Citation.of(c, " ".join(q)) for c, q in zip(cited, quotes, strict=True)]
        return Answer(" ".join(parts), citations, usage)
