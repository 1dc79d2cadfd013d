"""Chat clients against local servers speaking the OpenAI and Cohere v2 chat protocols."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from ragkit.errors import (
    AuthenticationError,
    ConfigError,
    ProviderError,
    ProviderTimeoutError,
    RateLimitError,
)
from ragkit.generators.chat import ChatClient, CohereChat, OpenAICompatibleChat
from tests.http_fakes import FakeAPIServer, Reply, cohere_chat_body, openai_chat_body

KEY = "sk-test-secret-123"
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "grep",
            "description": "Search the filings for a regular expression.",
            "parameters": {
                "type": "object",
                "properties": {"pattern": {"type": "string"}},
                "required": ["pattern"],
            },
        },
    }
]
MESSAGES = [
    {"role": "system", "content": "Answer from the 10-K only."},
    {"role": "user", "content": "What does Note 12 say about long-term debt?"},
]


@pytest.fixture()
def server() -> Iterator[FakeAPIServer]:
    with FakeAPIServer(api_key=KEY) as srv:
        yield srv


def openai(server: FakeAPIServer, **kw: object) -> OpenAICompatibleChat:
    params: dict = {"api_key": KEY, "backoff": 0.01, "timeout": 2.0} | kw
    return OpenAICompatibleChat("llama-3", base_url=server.url + "/v1", **params)


def cohere(server: FakeAPIServer, **kw: object) -> CohereChat:
    params: dict = {"api_key": KEY, "backoff": 0.01, "timeout": 2.0} | kw
    return CohereChat(base_url=server.url, **params)


def test_openai_text_turn_and_request_shape(server: FakeAPIServer) -> None:
    client = openai(server)
    assert isinstance(client, ChatClient)
    response = client.chat(MESSAGES, temperature=0.0)
    assert response.text == "echo: What does Note 12 say about long-term debt?"
    assert response.usage["total_tokens"] == 17
    assert response.finish_reason == "stop"
    sent = server.requests_to("/v1/chat/completions")[-1]
    assert sent.json["model"] == "llama-3"
    assert sent.json["temperature"] == 0.0
    assert sent.json["messages"] == MESSAGES
    assert sent.headers["authorization"] == f"Bearer {KEY}"


def test_openai_tool_calls_round_trip(server: FakeAPIServer) -> None:
    server.script(
        "/chat/completions",
        Reply(200, openai_chat_body(None, [("call_1", "grep", {"pattern": "Note 12"})])),
    )
    response = openai(server).chat(MESSAGES, tools=TOOLS)
    assert response.text == ""
    assert [(c.id, c.name) for c in response.tool_calls] == [("call_1", "grep")]
    assert response.tool_calls[0].parsed_arguments() == {"pattern": "Note 12"}
    assert server.requests[-1].json["tools"] == TOOLS
    follow_up = MESSAGES + [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "grep", "arguments": '{"pattern": "Note 12"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "Note 12 - Debt: $4.2 billion"},
    ]
    assert openai(server).chat(follow_up, tools=TOOLS).text.startswith("echo:")


def test_cohere_text_and_tool_calls(server: FakeAPIServer) -> None:
    client = cohere(server)
    response = client.chat(MESSAGES)
    assert response.text == "echo: What does Note 12 say about long-term debt?"
    assert response.usage == {"input_tokens": 12, "output_tokens": 5}
    server.script("/v2/chat", Reply(200, cohere_chat_body("", [("t1", "grep", {"pattern": "x"})])))
    calls = client.chat(MESSAGES, tools=TOOLS).tool_calls
    assert calls[0].name == "grep" and calls[0].parsed_arguments() == {"pattern": "x"}
    sent = server.requests_to("/v2/chat")[-1]
    assert sent.json["model"] == "command-a-03-2025"
    assert sent.json["tools"] == TOOLS


@pytest.mark.parametrize("make", [openai, cohere])
def test_429_then_success(server: FakeAPIServer, make) -> None:  # type: ignore[no-untyped-def]
    path = "/v2/chat" if make is cohere else "/chat/completions"
    server.script(path, Reply(429, {"message": "slow down"}), Reply(503))
    assert make(server).chat(MESSAGES).text.startswith("echo:")
    assert len(server.requests_to(path)) == 3


@pytest.mark.parametrize("make", [openai, cohere])
def test_persistent_500_raises_after_budget(server: FakeAPIServer, make) -> None:  # type: ignore[no-untyped-def]
    path = "/v2/chat" if make is cohere else "/chat/completions"
    server.script(path, *[Reply(500, {"message": "boom"})] * 3)
    with pytest.raises(ProviderError, match="after 3 attempt"):
        make(server, max_retries=2).chat(MESSAGES)
    assert len(server.requests_to(path)) == 3


@pytest.mark.parametrize("make", [openai, cohere])
def test_persistent_429_is_a_rate_limit_error(server: FakeAPIServer, make) -> None:  # type: ignore[no-untyped-def]
    path = "/v2/chat" if make is cohere else "/chat/completions"
    server.script(path, *[Reply(429)] * 2)
    with pytest.raises(RateLimitError):
        make(server, max_retries=1).chat(MESSAGES)


@pytest.mark.parametrize("make", [openai, cohere])
def test_timeout(server: FakeAPIServer, make) -> None:  # type: ignore[no-untyped-def]
    path = "/v2/chat" if make is cohere else "/chat/completions"
    server.script(path, Reply(200, delay=0.6), Reply(200, delay=0.6))
    with pytest.raises(ProviderTimeoutError):
        make(server, timeout=0.2, max_retries=1).chat(MESSAGES)


@pytest.mark.parametrize("make", [openai, cohere])
def test_bad_key_is_not_retried_and_not_logged(
    server: FakeAPIServer,
    make,
    caplog: pytest.LogCaptureFixture,  # type: ignore[no-untyped-def]
) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(AuthenticationError, match="HTTP 401") as info:
        make(server, api_key="sk-wrong-key-999").chat(MESSAGES)
    assert len(server.requests) == 1
    assert "sk-wrong-key-999" not in str(info.value)
    assert "sk-wrong-key-999" not in caplog.text
    assert "sk-wrong-key-999" not in repr(make(server, api_key="sk-wrong-key-999"))


def test_keys_from_environment(server: FakeAPIServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.delenv("CO_API_KEY", raising=False)
    monkeypatch.setenv("COHERE_API_KEY", KEY)
    assert OpenAICompatibleChat("m", base_url=server.url).chat(MESSAGES).text
    assert CohereChat(base_url=server.url).chat(MESSAGES).text
    monkeypatch.delenv("COHERE_API_KEY")
    with pytest.raises(AuthenticationError, match="CO_API_KEY"):
        CohereChat(base_url=server.url).chat(MESSAGES)


def test_client_errors_are_not_retried(server: FakeAPIServer) -> None:
    server.script("/chat/completions", Reply(400, {"error": {"message": "bad model"}}))
    with pytest.raises(ProviderError, match="HTTP 400.*bad model"):
        openai(server).chat(MESSAGES)
    assert len(server.requests) == 1


def test_validation() -> None:
    with pytest.raises(ConfigError, match="base_url"):
        OpenAICompatibleChat("m", base_url="localhost:8000")
    with pytest.raises(ConfigError, match="non-empty list"):
        OpenAICompatibleChat("m", api_key="x").chat([])
    with pytest.raises(ConfigError, match="max_retries"):
        CohereChat(max_retries=-1)
