"""One Registry shape for rerankers, generators and chat clients."""

from __future__ import annotations

from typing import Any

import pytest

from ragkit.errors import ConfigError
from ragkit.generators import CHAT_CLIENTS, GENERATORS, ExtractiveGenerator, get_chat_client
from ragkit.generators.chat import CohereChat, OpenAICompatibleChat
from ragkit.models import DEFAULT_COHERE_CHAT_MODEL
from ragkit.registry import Registry
from ragkit.rerankers import RERANKERS, IdentityReranker, get_reranker


def _echo(arg: str, /, **options: Any) -> tuple[str, dict[str, Any]]:
    return arg, options


def test_registry_parses_specs_and_lists_known_names() -> None:
    registry: Registry[tuple[str, dict[str, Any]]] = Registry("widget", examples="'echo:x'")
    registry.register("echo", _echo, "returns its argument")
    assert registry.get("echo:a:b", size=2) == ("a:b", {"size": 2})  # split at the first ':'
    assert registry.get(" echo ") == ("", {})
    assert "echo" in registry and list(registry) == registry.names() == ["echo"]
    assert registry.describe() == {"echo": "returns its argument"} and len(registry) == 1
    with pytest.raises(ConfigError, match=r"unknown widget 'ecko'.*\['echo'\].*'echo:x'"):
        registry.get("ecko:1")
    with pytest.raises(ConfigError, match="non-empty string"):
        registry.get("  ")
    with pytest.raises(ConfigError, match="already registered"):
        registry.register("echo", _echo, "again")
    with pytest.raises(ConfigError, match="without ':'"):
        registry.register("a:b", _echo, "bad name")


def test_the_three_registries_share_the_shape() -> None:
    assert sorted(RERANKERS) == ["cohere", "cross-encoder", "none"]
    assert list(GENERATORS) == ["cohere", "extractive", "openai"]
    assert "openai" in CHAT_CLIENTS and "cohere" in CHAT_CLIENTS
    for registry in (RERANKERS, GENERATORS, CHAT_CLIENTS):
        assert isinstance(registry, Registry)
        assert all(registry.describe().values())
    assert isinstance(get_reranker("none"), IdentityReranker)
    assert isinstance(GENERATORS.get("extractive"), ExtractiveGenerator)
    with pytest.raises(ConfigError, match="unknown reranker 'colbert'.*cross-encoder"):
        get_reranker("colbert:x")


def test_chat_client_specs() -> None:
    openai = get_chat_client("openai:llama-3.1-8b@http://localhost:8000/v1", api_key="k")
    assert isinstance(openai, OpenAICompatibleChat)
    assert (openai.model, openai.base_url) == ("llama-3.1-8b", "http://localhost:8000/v1")
    cohere = get_chat_client("cohere", api_key="k", timeout=5.0)
    assert isinstance(cohere, CohereChat) and cohere.model == DEFAULT_COHERE_CHAT_MODEL
    assert cohere.remote.timeout == 5.0
    custom = get_chat_client("cohere:command-r@http://h:1", api_key="k")
    assert isinstance(custom, CohereChat) and custom.model == "command-r"
    assert custom.remote.base_url == "http://h:1"
    with pytest.raises(ConfigError, match="names no model"):
        get_chat_client("openai")
    with pytest.raises(ConfigError, match="unknown chat client 'gemini'"):
        get_chat_client("gemini:pro")
