"""RemoteSettings: key lookup, typed failures, retries and timeouts, shared by every client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ragkit.errors import (
    AuthenticationError,
    ConfigError,
    ProviderError,
    ProviderTimeoutError,
    RateLimitError,
)
from ragkit.generators.chat import CohereChat, OpenAICompatibleChat
from ragkit.remote import (
    COHERE_KEY_ENV,
    FailureKind,
    LazyClient,
    RemoteSettings,
    RetryPolicy,
    TransientFailure,
    call_with_retries,
)
from ragkit.rerankers.cohere import CohereReranker
from tests.http_fakes import FakeAPIServer, Reply

KEY = "sk-remote-secret-42"


@pytest.fixture()
def server() -> Iterator[FakeAPIServer]:
    with FakeAPIServer(api_key=KEY) as srv:
        yield srv


@pytest.fixture()
def no_cohere_key(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in COHERE_KEY_ENV:
        monkeypatch.delenv(name, raising=False)


def fast(**kw: object) -> RemoteSettings:
    """Settings for a local fake server: short timeout, no real waiting between retries."""
    options: dict = {"api_key": KEY, "timeout": 2.0, "max_retries": 2, "backoff": 0.0} | kw
    return RemoteSettings.of("Fake API", ("FAKE_API_KEY",), **options)


def test_key_from_the_first_environment_variable_set(
    monkeypatch: pytest.MonkeyPatch, no_cohere_key: None
) -> None:
    monkeypatch.setenv("COHERE_API_KEY", "from-second")
    assert RemoteSettings("Cohere", COHERE_KEY_ENV).require_key() == "from-second"
    monkeypatch.setenv("CO_API_KEY", "from-first")
    assert RemoteSettings("Cohere", COHERE_KEY_ENV).api_key == "from-first"
    explicit = RemoteSettings("Cohere", COHERE_KEY_ENV, api_key="explicit")
    assert explicit.api_key == "explicit"
    assert "explicit" not in repr(explicit)


def test_missing_key_is_a_clear_authentication_error(no_cohere_key: None) -> None:
    settings = RemoteSettings("Cohere", COHERE_KEY_ENV)
    assert settings.api_key is None
    with pytest.raises(
        AuthenticationError, match="no Cohere API key.*CO_API_KEY or COHERE_API_KEY"
    ):
        settings.require_key()
    with pytest.raises(AuthenticationError, match="CO_API_KEY"):
        settings.cohere_client()


def test_every_remote_client_holds_one_remote_settings(no_cohere_key: None) -> None:
    clients: list[CohereReranker | CohereChat | OpenAICompatibleChat] = [
        CohereReranker(api_key=KEY, timeout=7.0, max_retries=1, backoff=0.25),
        CohereChat(api_key=KEY, timeout=7.0, max_retries=1, backoff=0.25),
        OpenAICompatibleChat("m", api_key=KEY, timeout=7.0, max_retries=1, backoff=0.25),
    ]
    for client in clients:
        remote = client.remote
        assert isinstance(remote, RemoteSettings)
        assert (remote.api_key, remote.timeout) == (KEY, 7.0)
        assert remote.retry == RetryPolicy(max_retries=1, backoff=0.25)
        assert KEY not in repr(client)
        assert not client._client.built  # nothing is built or imported before the first call


def test_transient_failure_is_retried_then_succeeds() -> None:
    waits: list[float] = []
    calls: list[int] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise TransientFailure("server", "HTTP 503: busy", retry_after=0.05)
        return "ok"

    policy = RetryPolicy(max_retries=2, backoff=0.01)
    assert call_with_retries(flaky, provider="Fake", what="op", policy=policy, sleep=waits.append)
    assert len(calls) == 3 and waits == [0.05, 0.05]  # Retry-After beats the shorter backoff
    assert fast().call(lambda: 7, "op") == 7


def test_transient_failures_past_the_budget_are_typed() -> None:
    def always(kind: FailureKind) -> object:
        raise TransientFailure(kind, f"{kind} again")

    with pytest.raises(RateLimitError, match="after 3 attempt"):
        fast().call(lambda: always("rate_limit"), "op")
    with pytest.raises(ProviderTimeoutError, match="raise the timeout"):
        fast().call(lambda: always("timeout"), "op")
    with pytest.raises(ProviderError, match="Fake API op failed after 1 attempt"):
        fast(max_retries=0).call(lambda: always("server"), "op")


def test_post_json_retries_a_503_then_succeeds(server: FakeAPIServer) -> None:
    server.script("/echo", Reply(503, {"message": "busy"}), Reply(200, {"answer": 42}))
    settings = fast(base_url=server.url)
    assert settings.post_json(settings.http_client(), "/echo", {"q": 1}, "echo") == {"answer": 42}
    sent = server.requests_to("/echo")
    assert len(sent) == 2 and sent[-1].headers["authorization"] == f"Bearer {KEY}"


def test_post_json_timeout_is_a_provider_timeout_error(server: FakeAPIServer) -> None:
    server.script("/slow", *[Reply(200, {"late": True}, delay=1.0)] * 2)
    settings = fast(base_url=server.url, timeout=0.2, max_retries=1)
    with pytest.raises(ProviderTimeoutError, match="Fake API slow failed after 2 attempt"):
        settings.post_json(settings.http_client(), "/slow", {}, "slow")


def test_post_json_bad_key_and_client_errors_are_not_retried(server: FakeAPIServer) -> None:
    server.script("/bad", Reply(400, {"message": "bad model"}))
    settings = fast(base_url=server.url)
    with pytest.raises(ProviderError, match="HTTP 400.*bad model"):
        settings.post_json(settings.http_client(), "/bad", {}, "bad")
    wrong = fast(base_url=server.url, api_key="wrong-key-9")
    with pytest.raises(AuthenticationError, match="HTTP 401") as info:
        wrong.post_json(wrong.http_client(), "/chat/completions", {}, "chat")
    assert "wrong-key-9" not in str(info.value)
    assert len(server.requests) == 2


def test_validation() -> None:
    with pytest.raises(ConfigError, match="timeout"):
        fast(timeout=0)
    with pytest.raises(ConfigError, match="base_url"):
        fast(base_url="ftp://example.com")
    with pytest.raises(ConfigError, match="max_retries"):
        fast(max_retries=-1)
    assert fast(base_url="http://h:1/v1/").base_url == "http://h:1/v1"


def test_lazy_client_builds_once() -> None:
    built: list[int] = []

    def build() -> int:
        built.append(1)
        return len(built)

    lazy = LazyClient(build)
    assert not lazy.built
    assert lazy.get() == lazy.get() == 1 and built == [1] and lazy.built
