"""A generator on any ChatClient: assemble a cited context, ask the model, map [n] to chunks.

The prompt asks the model to answer only from the numbered context blocks and to cite them
as [n]; the labels it uses become Citations, renumbered 1.. in order of first mention so
that "[n]" in the answer is its n-th source (labels naming no block are dropped).
"""

from __future__ import annotations

import time
from typing import Any

from ragkit.errors import QueryError
from ragkit.generators.base import Answer
from ragkit.generators.chat import ChatClient
from ragkit.generators.context import ContextBlock, assemble_context, cite, render_context
from ragkit.types import Chunk

SYSTEM_PROMPT = (
    "You answer questions about documents using only the numbered context blocks provided. "
    "Cite every claim with the block labels in square brackets, e.g. [2] or [1][3]. "
    "Quote figures exactly as written. If the context does not contain the answer, say so."
)


class ChatGenerator:
    """Generates cited answers with a chat model (Cohere, OpenAI-compatible, ...)."""

    def __init__(
        self,
        client: ChatClient,
        budget_tokens: int = 3000,
        order: str = "lost_in_the_middle",
        system_prompt: str = SYSTEM_PROMPT,
        **chat_params: Any,
    ) -> None:
        assemble_context([], budget_tokens, order)  # validates both
        self.client = client
        self.budget_tokens = budget_tokens
        self.order = order
        self.system_prompt = system_prompt
        self.chat_params = chat_params

    def __repr__(self) -> str:
        return f"ChatGenerator({self.client!r}, order={self.order!r})"

    def messages(
        self, query: str, contexts: list[Chunk]
    ) -> tuple[list[dict[str, Any]], list[ContextBlock]]:
        """The chat messages for a query, and the context blocks they contain."""
        blocks = assemble_context(contexts, self.budget_tokens, self.order)
        user = f"Context:\n\n{render_context(blocks)}\n\nQuestion: {query}\nAnswer:"
        return [
            {"role": "system", "content": self.system_prompt},
            {"role": "user", "content": user},
        ], blocks

    def generate(self, query: str, contexts: list[Chunk]) -> Answer:
        """Ask the model; citations are the context blocks its answer cites as [n]."""
        if not isinstance(query, str) or not query.strip():
            raise QueryError(f"generate needs a non-empty query, got {query!r}")
        messages, blocks = self.messages(query, contexts)
        start = time.perf_counter()
        response = self.client.chat(messages, **self.chat_params)
        # markers renumbered 1.. in order of first mention; labels naming no block dropped
        text, cited = cite(response.text, {b.label: b.chunk for b in blocks})
        usage = dict(response.usage)
        usage["latency_ms"] = (time.perf_counter() - start) * 1000
        usage["model"] = getattr(self.client, "model", type(self.client).__name__)
        usage["context_blocks"] = len(blocks)
        return Answer(text.strip(), cited, usage)
