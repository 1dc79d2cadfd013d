"""Cohere chat generator: `ChatGenerator` over `CohereChat` (official SDK, v2 chat)."""

from __future__ import annotations

from typing import Any

from ragkit.generators.chat import CohereChat
from ragkit.generators.llm import ChatGenerator


class CohereGenerator(ChatGenerator):
    """Cited answers from a Cohere chat model (key from CO_API_KEY / COHERE_API_KEY)."""

    def __init__(
        self,
        model: str = "command-a-03-2025",
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float = 60.0,
        max_retries: int = 3,
        budget_tokens: int = 3000,
        order: str = "lost_in_the_middle",
        **chat_params: Any,
    ) -> None:
        client = CohereChat(model, api_key, base_url, timeout, max_retries)
        super().__init__(client, budget_tokens, order, **chat_params)
