"""Low-level chat clients shared by the generators and the LLM agent (tool calling).

`ChatClient.chat(messages, tools=None, **params) -> ChatResponse` takes OpenAI-style
messages (`{"role": "user", "content": "..."}`, assistant `tool_calls`, `tool` replies with
`tool_call_id`) and OpenAI-style tool schemas (`{"type": "function", "function": {...}}`),
which Cohere's v2 API also accepts. Both clients retry 429/5xx/timeouts with bounded backoff
and then raise ragkit's typed provider errors; API keys are never logged.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from ragkit.errors import ConfigError, ProviderError
from ragkit.rerankers.remote import (
    RetryPolicy,
    TransientFailure,
    api_key_from_env,
    call_with_retries,
    cohere_call,
    cohere_client,
    raise_for_status,
)

logger = logging.getLogger(__name__)

OPENAI_KEY_ENV = ("OPENAI_API_KEY",)
COHERE_KEY_ENV = ("CO_API_KEY", "COHERE_API_KEY")


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A tool call the model asked for; `arguments` is the JSON text the model wrote."""

    id: str
    name: str
    arguments: str

    def parsed_arguments(self) -> dict[str, Any]:
        """The arguments as a dict; ProviderError if the model wrote invalid JSON."""
        try:
            value = json.loads(self.arguments or "{}")
        except ValueError as exc:
            raise ProviderError(
                f"tool call {self.name!r} has invalid JSON arguments: {self.arguments[:200]!r}"
            ) from exc
        if not isinstance(value, dict):
            raise ProviderError(f"tool call {self.name!r} arguments are not an object: {value!r}")
        return value


@dataclass(frozen=True, slots=True)
class ChatResponse:
    """One model turn: its text, the tool calls it asked for, token usage, the raw payload."""

    text: str
    tool_calls: list[ToolCall] = field(default_factory=list)
    usage: dict[str, Any] = field(default_factory=dict)
    raw: Any = None
    finish_reason: str | None = None
    latency_ms: float = 0.0


@runtime_checkable
class ChatClient(Protocol):
    """Anything that can answer a list of chat messages, optionally with tool calls."""

    def chat(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]] | None = None,
        **params: Any,
    ) -> ChatResponse:
        """One chat turn."""
        ...


def _check_messages(messages: list[dict[str, Any]]) -> None:
    if not isinstance(messages, list) or not messages:
        raise ConfigError(f"messages must be a non-empty list of dicts, got {messages!r:.100}")
    for m in messages:
        if not isinstance(m, dict) or "role" not in m:
            raise ConfigError(f"each message must be a dict with a 'role', got {m!r:.100}")


class OpenAICompatibleChat:
    """Chat over any OpenAI-compatible `/chat/completions` endpoint (OpenAI, vLLM,
    llama.cpp's server, Ollama's /v1), through httpx."""

    def __init__(
        self,
        model: str,
        base_url: str = "https://api.openai.com/v1",
        api_key: str | None = None,
        timeout: float = 60.0,
        max_retries: int = 3,
        backoff: float = 0.5,
    ) -> None:
        if not model or not isinstance(model, str):
            raise ConfigError(f"model must be a non-empty string, got {model!r}")
        if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
            raise ConfigError(f"base_url must be an http(s) URL, got {base_url!r}")
        if timeout <= 0:
            raise ConfigError(f"timeout must be > 0 seconds, got {timeout!r}")
        self.model = model
        self.base_url = base_url.rstrip("/")
        self.timeout = float(timeout)
        self.policy = RetryPolicy(max_retries=max_retries, backoff=backoff)
        self._api_key = api_key_from_env(api_key, OPENAI_KEY_ENV)
        self._client: Any = None

    def __repr__(self) -> str:
        return f"OpenAICompatibleChat(model={self.model!r}, base_url={self.base_url!r})"

    def _http(self) -> Any:
        if self._client is None:
            import httpx

            self._client = httpx.Client(timeout=self.timeout)
        return self._client

    def chat(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]] | None = None,
        **params: Any,
    ) -> ChatResponse:
        """POST the messages (and tools) to `{base_url}/chat/completions`; parse one turn."""
        _check_messages(messages)
        payload: dict[str, Any] = {"model": self.model, "messages": messages, **params}
        if tools:
            payload["tools"] = tools
        headers = {"content-type": "application/json"}
        if self._api_key:
            headers["authorization"] = f"Bearer {self._api_key}"
        url = f"{self.base_url}/chat/completions"

        def attempt() -> Any:
            import httpx

            try:
                response = self._http().post(url, json=payload, headers=headers)
            except httpx.TimeoutException as exc:
                raise TransientFailure("timeout", f"no answer within {self.timeout}s") from exc
            except httpx.TransportError as exc:
                raise TransientFailure("connection", f"{type(exc).__name__}: {exc}") from exc
            raise_for_status(
                response.status_code,
                response.text,
                provider="OpenAI-compatible API",
                what="chat",
                retry_after=response.headers.get("retry-after"),
            )
            try:
                return response.json()
            except ValueError as exc:
                raise ProviderError(
                    f"OpenAI-compatible API at {self.base_url} answered non-JSON: "
                    f"{response.text[:200]!r}"
                ) from exc

        start = time.perf_counter()
        data = call_with_retries(
            attempt, provider="OpenAI-compatible API", what="chat", policy=self.policy
        )
        latency = (time.perf_counter() - start) * 1000
        return _parse_openai(data, latency)


def _parse_openai(data: Any, latency_ms: float) -> ChatResponse:
    try:
        choice = data["choices"][0]
        message = choice["message"]
    except (KeyError, IndexError, TypeError) as exc:
        raise ProviderError(
            f"chat response has no choices[0].message: {json.dumps(data)[:200]}"
        ) from exc
    calls = [
        ToolCall(
            str(c.get("id", "")),
            c.get("function", {}).get("name", ""),
            c.get("function", {}).get("arguments") or "{}",
        )
        for c in message.get("tool_calls") or []
    ]
    content = message.get("content") or ""
    if isinstance(content, list):
        content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ChatResponse(
        str(content),
        calls,
        dict(data.get("usage") or {}),
        data,
        choice.get("finish_reason"),
        latency_ms,
    )


class CohereChat:
    """Chat through Cohere's official SDK (`cohere.ClientV2.chat`), default model
    `command-a-03-2025`; `base_url` may point at any server speaking Cohere's v2 API."""

    def __init__(
        self,
        model: str = "command-a-03-2025",
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float = 60.0,
        max_retries: int = 3,
        backoff: float = 0.5,
    ) -> None:
        if not model or not isinstance(model, str):
            raise ConfigError(f"model must be a non-empty string, got {model!r}")
        if timeout <= 0:
            raise ConfigError(f"timeout must be > 0 seconds, got {timeout!r}")
        self.model = model
        self.base_url = base_url
        self.timeout = float(timeout)
        self.policy = RetryPolicy(max_retries=max_retries, backoff=backoff)
        self._api_key = api_key_from_env(api_key, COHERE_KEY_ENV)
        self._client: Any = None

    def __repr__(self) -> str:
        return f"CohereChat(model={self.model!r}, base_url={self.base_url!r})"

    def _sdk(self) -> Any:
        if self._client is None:
            self._client = cohere_client(self._api_key, self.base_url, self.timeout)
        return self._client

    def chat(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]] | None = None,
        **params: Any,
    ) -> ChatResponse:
        """One Cohere v2 chat turn with OpenAI-style messages and tools."""
        _check_messages(messages)
        client = self._sdk()
        kwargs: dict[str, Any] = dict(params)
        if tools:
            kwargs["tools"] = tools
        start = time.perf_counter()
        response = cohere_call(
            lambda: client.chat(model=self.model, messages=messages, **kwargs),
            what="chat",
            policy=self.policy,
        )
        latency = (time.perf_counter() - start) * 1000
        return _parse_cohere(response, latency)


def _parse_cohere(response: Any, latency_ms: float) -> ChatResponse:
    message = getattr(response, "message", None)
    parts = getattr(message, "content", None) or []
    text = "".join(getattr(p, "text", "") or "" for p in parts)
    calls = [
        ToolCall(
            str(getattr(c, "id", "") or ""),
            getattr(getattr(c, "function", None), "name", "") or "",
            getattr(getattr(c, "function", None), "arguments", None) or "{}",
        )
        for c in (getattr(message, "tool_calls", None) or [])
    ]
    usage: dict[str, Any] = {}
    raw_usage = getattr(response, "usage", None)
    if raw_usage is not None:
        tokens = getattr(raw_usage, "tokens", None) or getattr(raw_usage, "billed_units", None)
        if tokens is not None:
            usage = {
                key: int(value)
                for key in ("input_tokens", "output_tokens")
                if (value := getattr(tokens, key, None)) is not None
            }
    return ChatResponse(
        text, calls, usage, response, getattr(response, "finish_reason", None), latency_ms
    )
