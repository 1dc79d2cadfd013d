"""Context assembly: pick chunks within a token budget, order them, render labelled blocks.

Orderings: "relevance" (best first), "lost_in_the_middle" (best at the start and the end,
weakest in the middle: Liu et al. 2023 found models use the middle of long contexts least),
"reverse" (best last, nearest the question) and "document" (by document, then position).
Each block carries its document and section path so that citations mean something;
`cite` turns the block labels an answer uses into citations numbered as the reader sees them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from ragkit.errors import ConfigError
from ragkit.generators.base import Citation
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


_MARKER = re.compile(r"\s?\[(\d+(?:\s*[,;]\s*\d+)*)\]")


def cite(text: str, by_label: Mapping[int, Chunk]) -> tuple[str, list[Citation]]:
    """Rewrite an answer's `[n]` markers so that they number its sources 1, 2, ... .

    Labels are context block labels (`by_label`); each distinct chunk gets the next number in
    order of first mention, so "[3] ... [1][3]" becomes "[1] ... [2][1]" with two citations,
    a chunk cited twice (or under two labels) is listed once, and a label that names no
    block is dropped from the text: every marker left points at a listed source.
    """
    numbers: dict[str, int] = {}
    citations: list[Citation] = []

    def renumber(match: re.Match[str]) -> str:
        out: list[int] = []
        for raw in re.split(r"[,;]", match.group(1)):
            chunk = by_label.get(int(raw))
            if chunk is None:
                continue
            if chunk.id not in numbers:
                numbers[chunk.id] = len(numbers) + 1
                citations.append(Citation.of(chunk))
            if numbers[chunk.id] not in out:
                out.append(numbers[chunk.id])
        lead = match.group(0)[0] if match.group(0)[0].isspace() and out else ""
        return lead + "".join(f"[{n}]" for n in out)

    renumbered = _MARKER.sub(renumber, text)
    return re.sub(r"(\[\d+\])(?:\1)+", r"\1", renumbered), citations
