"""OpenAI-compatible generator: `ChatGenerator` over `OpenAICompatibleChat` (works with
OpenAI, vLLM, llama.cpp's server, Ollama's /v1 and other compatible servers)."""

from __future__ import annotations

from typing import Any

from ragkit.generators.chat import OpenAICompatibleChat
from ragkit.generators.llm import ChatGenerator
from ragkit.models import DEFAULT_OPENAI_BASE_URL


class OpenAICompatibleGenerator(ChatGenerator):
    """Cited answers from any /chat/completions endpoint (key from OPENAI_API_KEY if set)."""

    def __init__(
        self,
        model: str,
        base_url: str = DEFAULT_OPENAI_BASE_URL,
        api_key: str | None = None,
        timeout: float = 60.0,
        max_retries: int = 3,
        budget_tokens: int = 3000,
        order: str = "lost_in_the_middle",
        *,
        backoff: float = 0.5,
        **chat_params: Any,
    ) -> None:
        client = OpenAICompatibleChat(model, base_url, api_key, timeout, max_retries, backoff)
        super().__init__(client, budget_tokens, order, **chat_params)
