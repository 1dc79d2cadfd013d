"""The Generator protocol and what it returns: an Answer with citations to chunk ids."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from ragkit.types import PATH_SEPARATOR, Chunk


@dataclass(frozen=True, slots=True)
class Citation:
    """A pointer from an answer to the chunk (document, section) that supports it."""

    chunk_id: str
    doc_id: str
    section_path: tuple[str, ...] = ()
    quote: str = ""

    @classmethod
    def of(cls, chunk: Chunk, quote: str = "") -> Citation:
        """The citation of a chunk, optionally with the quoted sentence."""
        return cls(chunk.id, chunk.doc_id, chunk.section_path, quote)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict."""
        return {
            "chunk_id": self.chunk_id,
            "doc_id": self.doc_id,
            "section": PATH_SEPARATOR.join(self.section_path),
            "quote": self.quote,
        }


@dataclass(frozen=True, slots=True)
class Answer:
    """A generated answer: text, the chunks it cites, and usage (tokens, latency, model)."""

    text: str
    citations: list[Citation] = field(default_factory=list)
    usage: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict."""
        return {
            "text": self.text,
            "citations": [c.to_dict() for c in self.citations],
            "usage": self.usage,
        }


@runtime_checkable
class Generator(Protocol):
    """Answers a query from retrieved chunks (most relevant first)."""

    def generate(self, query: str, contexts: list[Chunk]) -> Answer:
        """An answer grounded in `contexts`, citing their chunk ids."""
        ...
