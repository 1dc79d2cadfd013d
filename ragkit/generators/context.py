"""Context assembly: pick chunks within a token budget, order them, render labelled blocks.

Orderings: "relevance" (best first), "lost_in_the_middle" (best at the start and the end,
weakest in the middle: Liu et al. 2023 found models use the middle of long contexts least),
"reverse" (best last, nearest the question) and "document" (by document, then position).
Each block carries its document and section path so that citations mean something.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from ragkit.errors import ConfigError
from ragkit.types import PATH_SEPARATOR, Chunk

T = TypeVar("T")
ORDERINGS = ("relevance", "lost_in_the_middle", "reverse", "document")


def estimate_tokens(text: str) -> int:
    """A model-free token estimate: whitespace words × 4/3 (English subword average)."""
    return (len(text.split()) * 4 + 2) // 3


@dataclass(frozen=True, slots=True)
class ContextBlock:
    """One chunk placed in the context: its 1-based label, the chunk, its (maybe cut) text."""

    label: int
    chunk: Chunk
    text: str
    relevance_rank: int
    truncated: bool = False

    def header(self) -> str:
        """The block's header line: label, document and section path."""
        section = PATH_SEPARATOR.join(self.chunk.section_path) or "(no section)"
        pages = ""
        if self.chunk.page_start is not None:
            pages = f" | pages {self.chunk.page_start + 1}"
            if self.chunk.page_end is not None and self.chunk.page_end != self.chunk.page_start:
                pages += f"-{self.chunk.page_end + 1}"
        return f"[{self.label}] document: {self.chunk.doc_id} | section: {section}{pages}"

    def render(self) -> str:
        """Header line then text."""
        return f"{self.header()}\n{self.text}"


def lost_in_the_middle(items: Sequence[T]) -> list[T]:
    """Relevance order [1, 2, 3, 4, 5] → [1, 3, 5, 4, 2]: best at both ends."""
    front: list[T] = []
    back: list[T] = []
    for i, item in enumerate(items):
        (front if i % 2 == 0 else back).append(item)
    return front + back[::-1]


def assemble_context(
    chunks: Sequence[Chunk],
    budget_tokens: int = 3000,
    order: str = "lost_in_the_middle",
    count_tokens: Callable[[str], int] = estimate_tokens,
) -> list[ContextBlock]:
    """Select chunks (given best first) that fit `budget_tokens` including headers, then order.

    Selection is greedy in relevance order, skipping a chunk that would overflow and trying
    the next; when not even the best chunk fits, its text is cut to the budget. Labels are
    assigned in the final order, so "[1]" is the first block the model reads.
    """
    if order not in ORDERINGS:
        raise ConfigError(f"unknown context order {order!r}; expected one of {ORDERINGS}")
    if isinstance(budget_tokens, bool) or not isinstance(budget_tokens, int) or budget_tokens <= 0:
        raise ConfigError(f"budget_tokens must be a positive int, got {budget_tokens!r}")
    chosen: list[tuple[int, Chunk, str, bool]] = []
    used = 0
    for rank, chunk in enumerate(chunks, start=1):
        probe = ContextBlock(0, chunk, chunk.text, rank)
        cost = count_tokens(probe.render())
        if used + cost <= budget_tokens:
            chosen.append((rank, chunk, chunk.text, False))
            used += cost
        elif not chosen and rank == 1:
            room = budget_tokens - count_tokens(probe.header()) - 1
            words = chunk.text.split()
            keep = max(1, room * 3 // 4)
            chosen.append((rank, chunk, " ".join(words[:keep]), True))
            used = budget_tokens
    if order == "lost_in_the_middle":
        arranged = lost_in_the_middle(chosen)
    elif order == "reverse":
        arranged = chosen[::-1]
    elif order == "document":
        arranged = sorted(chosen, key=lambda c: (c[1].doc_id, c[1].position, c[0]))
    else:
        arranged = list(chosen)
    return [
        ContextBlock(label, chunk, text, rank, cut)
        for label, (rank, chunk, text, cut) in enumerate(arranged, start=1)
    ]


def render_context(blocks: Sequence[ContextBlock]) -> str:
    """The blocks rendered one after another, separated by blank lines."""
    return "\n\n".join(b.render() for b in blocks)
