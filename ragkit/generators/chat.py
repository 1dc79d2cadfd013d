"""Low-level chat clients shared by the generators and the LLM agent (tool calling).

`ChatClient.chat(messages, tools=None, **params) -> ChatResponse` takes OpenAI-style
messages (`{"role": "user", "content": "..."}`, assistant `tool_calls`, `tool` replies with
`tool_call_id`) and OpenAI-style tool schemas (`{"type": "function", "function": {...}}`),
which Cohere's v2 API also accepts. Both clients reach their API through one
`ragkit.remote.RemoteSettings` (key, URL, timeout, retries with bounded backoff, then ragkit's
typed provider errors; API keys are never logged). `get_chat_client("openai:MODEL@URL")` or
`get_chat_client("cohere[:MODEL]")` builds one from a spec (the `CHAT_CLIENTS` registry).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from ragkit.errors import AuthenticationError, ConfigError, ProviderError
from ragkit.models import DEFAULT_COHERE_CHAT_MODEL, DEFAULT_OPENAI_BASE_URL
from ragkit.registry import Registry
from ragkit.remote import COHERE_KEY_ENV, OPENAI_KEY_ENV, LazyClient, RemoteSettings, redact

if TYPE_CHECKING:
    import cohere
    import httpx

logger = logging.getLogger(__name__)


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


def _check_model(model: str) -> str:
    if not model or not isinstance(model, str):
        raise ConfigError(f"model must be a non-empty string, got {model!r}")
    return model


def _check_messages(messages: list[dict[str, Any]]) -> None:
    if not isinstance(messages, list) or not messages:
        raise ConfigError(f"messages must be a non-empty list of dicts, got {messages!r:.100}")
    for m in messages:
        if not isinstance(m, dict) or "role" not in m:
            raise ConfigError(f"each message must be a dict with a 'role', got {m!r:.100}")


class OpenAICompatibleChat:
    """Chat over any OpenAI-compatible `/chat/completions` endpoint (OpenAI, vLLM,
    llama.cpp's server, Ollama's /v1), through httpx; the key (OPENAI_API_KEY) is optional,
    since local servers need none."""

    def __init__(
        self,
        model: str,
        base_url: str = DEFAULT_OPENAI_BASE_URL,
        api_key: str | None = None,
        timeout: float = 60.0,
        max_retries: int = 3,
        backoff: float = 0.5,
    ) -> None:
        self.model = _check_model(model)
        self.remote = RemoteSettings.of(
            "OpenAI-compatible API",
            OPENAI_KEY_ENV,
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            backoff=backoff,
        )
        if self.remote.api_key is None and self.base_url == DEFAULT_OPENAI_BASE_URL:
            raise AuthenticationError(
                f"no OpenAI API key for {DEFAULT_OPENAI_BASE_URL}: set OPENAI_API_KEY (or pass "
                "api_key), or give the base URL of a local OpenAI-compatible server"
            )
        self._client: LazyClient[httpx.Client] = LazyClient(self.remote.http_client)

    @property
    def base_url(self) -> str:
        """The API's base URL, without a trailing '/'."""
        return self.remote.base_url or DEFAULT_OPENAI_BASE_URL

    def __repr__(self) -> str:
        return f"OpenAICompatibleChat(model={self.model!r}, base_url={self.base_url!r})"

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
        start = time.perf_counter()
        data = self.remote.post_json(self._client.get(), "/chat/completions", payload, "chat")
        return _parse_openai(data, (time.perf_counter() - start) * 1000)


def _schema_error(what: str, data: Any) -> ProviderError:
    return ProviderError(
        f"chat response does not follow the API's schema ({what}): "
        f"{redact(json.dumps(data, default=str))[:200]}"
    )


def _openai_call(c: Any) -> ToolCall:
    function = c.get("function") if isinstance(c, dict) else None
    if not isinstance(function, dict) or not isinstance(function.get("name"), str):
        raise _schema_error("a tool call without a function name", c)
    arguments = function.get("arguments") or "{}"
    if not isinstance(arguments, str):
        arguments = json.dumps(arguments)
    return ToolCall(str(c.get("id", "")), function["name"], arguments)


def _parse_openai(data: Any, latency_ms: float) -> ChatResponse:
    """One turn from an OpenAI chat-completions answer; ProviderError on any other shape."""
    choices = data.get("choices") if isinstance(data, dict) else None
    choice = choices[0] if isinstance(choices, list) and choices else None
    message = choice.get("message") if isinstance(choice, dict) else None
    if not isinstance(message, dict):
        raise _schema_error("no choices[0].message object", data)
    raw_calls = message.get("tool_calls") or []
    if not isinstance(raw_calls, list):
        raise _schema_error("tool_calls is not a list", data)
    calls = [_openai_call(c) for c in raw_calls]
    content = message.get("content") or ""
    if isinstance(content, list):
        content = "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    elif not isinstance(content, str):
        raise _schema_error("content is neither text nor a list of parts", data)
    usage = data.get("usage")
    finish = choice.get("finish_reason") if isinstance(choice, dict) else None
    return ChatResponse(
        content,
        calls,
        dict(usage) if isinstance(usage, dict) else {},
        data,
        finish if isinstance(finish, str) else None,
        latency_ms,
    )


class CohereChat:
    """Chat through Cohere's official SDK (`cohere.ClientV2.chat`), default model
    `command-a-03-2025`; `base_url` may point at any server speaking Cohere's v2 API."""

    def __init__(
        self,
        model: str = DEFAULT_COHERE_CHAT_MODEL,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float = 60.0,
        max_retries: int = 3,
        backoff: float = 0.5,
    ) -> None:
        self.model = _check_model(model)
        self.remote = RemoteSettings.of(
            "Cohere",
            COHERE_KEY_ENV,
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            backoff=backoff,
        )
        self._client: LazyClient[cohere.ClientV2] = LazyClient(self.remote.cohere_client)

    def __repr__(self) -> str:
        return f"CohereChat(model={self.model!r}, base_url={self.remote.base_url!r})"

    def chat(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]] | None = None,
        **params: Any,
    ) -> ChatResponse:
        """One Cohere v2 chat turn with OpenAI-style messages and tools."""
        _check_messages(messages)
        client = self._client.get()
        kwargs: dict[str, Any] = dict(params)
        if tools:
            kwargs["tools"] = tools
        start = time.perf_counter()
        response = self.remote.call_cohere(
            # the SDK serialises OpenAI-style dicts as they are; its hint names only its models
            lambda: client.chat(model=self.model, messages=messages, **kwargs),  # type: ignore[arg-type]
            "chat",
        )
        return _parse_cohere(response, (time.perf_counter() - start) * 1000)


def _parse_cohere(response: Any, latency_ms: float) -> ChatResponse:
    """One turn from a Cohere v2 chat answer; ProviderError when it holds neither text nor
    tool calls (an answer of another shape is not an empty answer)."""
    message = getattr(response, "message", None)
    parts = getattr(message, "content", None) or []
    if not isinstance(parts, list):
        raise _schema_error("message.content is not a list", str(parts))
    text = "".join(str(getattr(p, "text", "") or "") for p in parts)
    calls = [
        ToolCall(
            str(getattr(c, "id", "") or ""),
            getattr(getattr(c, "function", None), "name", "") or "",
            getattr(getattr(c, "function", None), "arguments", None) or "{}",
        )
        for c in (getattr(message, "tool_calls", None) or [])
    ]
    if not text and not calls and getattr(response, "finish_reason", None) != "MAX_TOKENS":
        raise _schema_error("no message text and no tool calls", str(response)[:300])
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


def _openai_chat(arg: str, /, **options: Any) -> ChatClient:
    """ "openai:MODEL[@BASE_URL]": the model is required (no server has a universal default)."""
    model, _, base_url = arg.partition("@")
    model = model or options.pop("model", "")
    if not model:
        raise ConfigError(f"chat spec 'openai:{arg}' names no model; expected openai:MODEL[@URL]")
    if base_url:
        options["base_url"] = base_url
    return OpenAICompatibleChat(model, **options)


def _cohere_chat(arg: str, /, **options: Any) -> ChatClient:
    """ "cohere[:MODEL][@BASE_URL]"."""
    model, _, base_url = arg.partition("@")
    if base_url:
        options["base_url"] = base_url
    if model:
        options["model"] = model
    return CohereChat(**options)


#: Chat clients by spec kind, shared by the LLM agent's CLI and benchmark.
CHAT_CLIENTS: Registry[ChatClient] = Registry(
    "chat client", examples="'openai:MODEL@http://localhost:8000/v1', 'cohere:MODEL'"
)
CHAT_CLIENTS.register(
    "openai", _openai_chat, "any OpenAI-compatible /chat/completions server (OpenAI, vLLM, ...)"
)
CHAT_CLIENTS.register(
    "cohere", _cohere_chat, f"Cohere v2 chat (default {DEFAULT_COHERE_CHAT_MODEL})"
)


def get_chat_client(spec: str, **options: Any) -> ChatClient:
    """A chat client from a spec: "openai:MODEL[@BASE_URL]" or "cohere[:MODEL][@BASE_URL]";
    `options` (api_key, timeout, max_retries, backoff, base_url) go to its constructor."""
    return CHAT_CLIENTS.get(spec, **options)
