"""Generators: turn a query and retrieved chunks into a cited Answer.

`get_generator(spec, **options)` builds one from "extractive", "cohere[:MODEL]" or
"openai[:MODEL]". The chat clients in `ragkit.generators.chat` are shared with the agents.
"""

from __future__ import annotations

from typing import Any

from ragkit.errors import ConfigError
from ragkit.generators.base import Answer, Citation, Generator
from ragkit.generators.chat import (
    ChatClient,
    ChatResponse,
    CohereChat,
    OpenAICompatibleChat,
    ToolCall,
)
from ragkit.generators.context import (
    ORDERINGS,
    ContextBlock,
    assemble_context,
    lost_in_the_middle,
    render_context,
)
from ragkit.generators.extractive import ExtractiveGenerator

GENERATORS = ("extractive", "cohere", "openai")


def get_generator(spec: str = "extractive", **options: Any) -> Generator:
    """A generator from a spec: "extractive", "cohere[:MODEL]", "openai[:MODEL]"."""
    if not isinstance(spec, str):
        raise ConfigError(f"generator spec must be a string, got {spec!r}")
    kind, _, model = spec.strip().partition(":")
    if kind == "extractive":
        return ExtractiveGenerator(**options)
    if kind == "cohere":
        from ragkit.generators.cohere import CohereGenerator

        return CohereGenerator(model=model, **options) if model else CohereGenerator(**options)
    if kind == "openai":
        from ragkit.generators.openai_compatible import OpenAICompatibleGenerator

        model = model or options.pop("model", "") or "gpt-4o-mini"
        return OpenAICompatibleGenerator(model=model, **options)
    raise ConfigError(
        f"unknown generator {kind!r} in spec {spec!r}; expected one of {list(GENERATORS)}"
    )


__all__ = [
    "GENERATORS",
    "ORDERINGS",
    "Answer",
    "ChatClient",
    "ChatResponse",
    "Citation",
    "CohereChat",
    "ContextBlock",
    "ExtractiveGenerator",
    "Generator",
    "OpenAICompatibleChat",
    "ToolCall",
    "assemble_context",
    "get_generator",
    "lost_in_the_middle",
    "render_context",
]
