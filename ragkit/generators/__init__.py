"""Generators: turn a query and retrieved chunks into a cited Answer.

`get_generator(spec, **options)` builds one from "extractive", "cohere[:MODEL]" or
"openai[:MODEL]". The chat clients in `ragkit.generators.chat` are shared with the agents.
"""

from __future__ import annotations

from typing import Any

from ragkit.generators.base import Answer, Citation, Generator
from ragkit.generators.chat import (
    CHAT_CLIENTS,
    ChatClient,
    ChatResponse,
    CohereChat,
    OpenAICompatibleChat,
    ToolCall,
    get_chat_client,
)
from ragkit.generators.context import (
    ORDERINGS,
    ContextBlock,
    assemble_context,
    lost_in_the_middle,
    render_context,
)
from ragkit.generators.extractive import ExtractiveGenerator
from ragkit.models import DEFAULT_OPENAI_CHAT_MODEL
from ragkit.registry import Registry


def _extractive(arg: str, /, **options: Any) -> Generator:
    return ExtractiveGenerator(**options)


def _cohere(arg: str, /, **options: Any) -> Generator:
    from ragkit.generators.cohere import CohereGenerator

    return CohereGenerator(model=arg, **options) if arg else CohereGenerator(**options)


def _openai(arg: str, /, **options: Any) -> Generator:
    from ragkit.generators.openai_compatible import OpenAICompatibleGenerator

    model = arg or options.pop("model", "") or DEFAULT_OPENAI_CHAT_MODEL
    return OpenAICompatibleGenerator(model=model, **options)


#: Generator factories by spec kind; each takes the text after ':' (a model) and options.
GENERATORS: Registry[Generator] = Registry("generator", examples="'extractive', 'openai:MODEL'")
GENERATORS.register("extractive", _extractive, "quotes the context's best sentences (no model)")
GENERATORS.register("cohere", _cohere, "a Cohere chat model, answers citing [n] blocks")
GENERATORS.register(
    "openai", _openai, f"an OpenAI-compatible chat model (default {DEFAULT_OPENAI_CHAT_MODEL})"
)


def get_generator(spec: str = "extractive", **options: Any) -> Generator:
    """A generator from a spec: "extractive", "cohere[:MODEL]", "openai[:MODEL]"."""
    return GENERATORS.get(spec, **options)


__all__ = [
    "CHAT_CLIENTS",
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
    "get_chat_client",
    "get_generator",
    "lost_in_the_middle",
    "render_context",
]
