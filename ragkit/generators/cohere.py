"""Cohere chat generator: `ChatGenerator` over `CohereChat` (official SDK, v2 chat)."""

from __future__ import annotations

from typing import Any

from ragkit.generators.chat import CohereChat
from ragkit.generators.llm import ChatGenerator
from ragkit.models import DEFAULT_COHERE_CHAT_MODEL


class CohereGenerator(ChatGenerator):
    """Cited answers from a Cohere chat model (key from CO_API_KEY / COHERE_API_KEY); the
    remote options (key, URL, timeout, retries) go to `CohereChat`'s `RemoteSettings`."""

    def __init__(
        self,
        model: str = DEFAULT_COHERE_CHAT_MODEL,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float = 60.0,
        max_retries: int = 3,
        budget_tokens: int = 3000,
        order: str = "lost_in_the_middle",
        *,
        backoff: float = 0.5,
        **chat_params: Any,
    ) -> None:
        client = CohereChat(model, api_key, base_url, timeout, max_retries, backoff)
        super().__init__(client, budget_tokens, order, **chat_params)
