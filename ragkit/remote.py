"""Remote model APIs: one `RemoteSettings` (key, URL, timeout, retries) for every client.

The Cohere reranker, the Cohere chat client and the OpenAI-compatible chat client all reach
their API through a `RemoteSettings`: the key comes from the caller or the environment, the
SDK or HTTP client is built on first use (`LazyClient`), and each call either succeeds, fails
at once (bad key → AuthenticationError, other 4xx → ProviderError), or fails transiently
(429, 5xx, timeout, refused connection) and is retried with bounded exponential backoff until
the budget is spent, then raises RateLimitError, ProviderTimeoutError or ProviderError.
Every request is bounded end to end (`ragkit.bounded_http`): a total deadline of `timeout`
seconds per attempt, however slowly the server trickles bytes, and at most
`max_response_bytes` read. Messages, logs and exception chains never contain the API key,
even when a server echoes it back (`redact`).
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from ragkit.errors import (
    AuthenticationError,
    ConfigError,
    DependencyError,
    ProviderError,
    ProviderTimeoutError,
    RateLimitError,
)

if TYPE_CHECKING:
    import cohere
    import httpx

logger = logging.getLogger(__name__)

T = TypeVar("T")
C = TypeVar("C")
FailureKind = Literal["rate_limit", "server", "timeout", "connection"]

#: Environment variables holding a Cohere key, in lookup order.
COHERE_KEY_ENV = ("CO_API_KEY", "COHERE_API_KEY")
#: Environment variables holding an OpenAI(-compatible) key, in lookup order.
OPENAI_KEY_ENV = ("OPENAI_API_KEY",)


#: The most bytes read from one answer by default (a chat or rerank answer is far smaller).
MAX_RESPONSE_BYTES = 32 * 2**20
_SECRETS = re.compile(
    r"(?i)(bearer\s+|authorization[\"']?\s*[:=]\s*[\"']?(?:bearer\s+)?|api[-_]?key[\"']?\s*[:=]\s*[\"']?)"
    r"[^\s\"',;}]+"
)


def redact(text: str, secret: str | None = None) -> str:
    """`text` with `secret` and anything shaped like a bearer token or API key replaced by
    '***' (a server may echo the Authorization header in an error body)."""
    if secret:
        text = text.replace(secret, "***")
    return _SECRETS.sub(lambda m: m.group(1) + "***", text)


class TransientFailure(Exception):
    """Raised inside an attempt for a failure worth retrying (429, 5xx, timeout)."""

    def __init__(self, kind: FailureKind, detail: str, retry_after: float | None = None):
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently to retry: `max_retries` after the first attempt, waiting
    `backoff · 2^i` seconds (capped at `max_backoff`, or the server's Retry-After if shorter
    than the cap)."""

    max_retries: int = 3
    backoff: float = 0.5
    max_backoff: float = 8.0

    def __post_init__(self) -> None:
        if isinstance(self.max_retries, bool) or not isinstance(self.max_retries, int):
            raise ConfigError(f"max_retries must be an int >= 0, got {self.max_retries!r}")
        if self.max_retries < 0:
            raise ConfigError(f"max_retries must be >= 0, got {self.max_retries}")
        if self.backoff < 0 or self.max_backoff < 0:
            raise ConfigError(
                f"backoff times must be >= 0, got {self.backoff!r} and {self.max_backoff!r}"
            )

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number `attempt` (0-based)."""
        wait = min(self.max_backoff, self.backoff * (2**attempt))
        if retry_after is not None and retry_after >= 0:
            wait = min(self.max_backoff, max(wait, retry_after))
        return wait


def call_with_retries(
    attempt: Callable[[], T],
    *,
    provider: str,
    what: str,
    policy: RetryPolicy,
    sleep: Callable[[float], None] | None = None,
) -> T:
    """Run `attempt` until it succeeds, retrying TransientFailure within `policy`'s budget;
    then raise the typed error for the last failure. `sleep` defaults to `time.sleep`."""
    wait_for = sleep or time.sleep
    start = time.monotonic()
    last: TransientFailure | None = None
    for i in range(policy.max_retries + 1):
        try:
            return attempt()
        except TransientFailure as failure:
            last = failure
            if i == policy.max_retries:
                break
            wait = policy.delay(i, failure.retry_after)
            logger.info(
                "%s %s: %s (%s); retry %d/%d in %.2fs",
                provider,
                what,
                failure.kind,
                failure.detail,
                i + 1,
                policy.max_retries,
                wait,
            )
            wait_for(wait)
    assert last is not None
    message = (
        f"{provider} {what} failed after {policy.max_retries + 1} attempt(s) in "
        f"{time.monotonic() - start:.1f}s: {last.detail}"
    )
    if last.kind == "rate_limit":
        raise RateLimitError(message + "; slow down or raise max_retries")
    if last.kind == "timeout":
        raise ProviderTimeoutError(message + "; raise the timeout or check the server")
    raise ProviderError(message)


def raise_for_status(
    status: int,
    body: str,
    *,
    provider: str,
    what: str,
    retry_after: str | None = None,
    secret: str | None = None,
) -> None:
    """Turn an HTTP status into success (2xx), a TransientFailure, or a typed error (the
    body excerpt in messages is redacted)."""
    if 200 <= status < 300:
        return
    excerpt = redact(" ".join(body[:2000].split()), secret)[:300]
    if status in (401, 403):
        raise AuthenticationError(
            f"{provider} {what} rejected the API key (HTTP {status}): {excerpt}; "
            "check the key in the environment"
        )
    if status == 429:
        raise TransientFailure("rate_limit", f"HTTP 429: {excerpt}", _seconds(retry_after))
    if status >= 500 or status == 408:
        raise TransientFailure("server", f"HTTP {status}: {excerpt}", _seconds(retry_after))
    raise ProviderError(f"{provider} {what} failed with HTTP {status}: {excerpt}")


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _key_from_env(explicit: str | None, names: tuple[str, ...]) -> str | None:
    """The explicit key, else the first of the environment variables `names` that is set."""
    if explicit:
        return explicit
    return next((value for name in names if (value := os.environ.get(name))), None)


@dataclass(frozen=True, slots=True)
class RemoteSettings:
    """How to reach one remote model API: provider name (for messages), API key (explicit,
    else the first of `key_env` set in the environment when the settings are made), base
    URL (None: the SDK's default), per-request timeout in seconds, and retry policy.

    The key never appears in `repr`, logs or error messages.
    """

    provider: str
    key_env: tuple[str, ...] = ()
    api_key: str | None = field(default=None, repr=False)
    base_url: str | None = None
    timeout: float = 60.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    max_response_bytes: int = MAX_RESPONSE_BYTES

    def __post_init__(self) -> None:
        limit = self.max_response_bytes
        if isinstance(limit, bool) or not isinstance(limit, int) or limit <= 0:
            raise ConfigError(f"max_response_bytes must be a positive int, got {limit!r}")
        timeout = self.timeout
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
            raise ConfigError(f"timeout must be > 0 seconds, got {timeout!r}")
        url = self.base_url
        if url is not None and (
            not isinstance(url, str) or not url.startswith(("http://", "https://"))
        ):
            raise ConfigError(f"base_url must be an http(s) URL, got {url!r}")
        object.__setattr__(self, "timeout", float(timeout))
        object.__setattr__(self, "base_url", url.rstrip("/") if url else None)
        object.__setattr__(self, "api_key", _key_from_env(self.api_key, self.key_env))

    @classmethod
    def of(
        cls,
        provider: str,
        key_env: tuple[str, ...],
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float = 60.0,
        max_retries: int = 3,
        backoff: float = 0.5,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
    ) -> RemoteSettings:
        """Settings from the flat keyword options the remote clients' constructors take."""
        retry = RetryPolicy(max_retries, backoff)
        return cls(provider, key_env, api_key, base_url, timeout, retry, max_response_bytes)

    def require_key(self) -> str:
        """The API key; AuthenticationError naming the environment variables when none."""
        if self.api_key:
            return self.api_key
        where = " or ".join(self.key_env) or "the provider's key variable"
        raise AuthenticationError(f"no {self.provider} API key: pass api_key or set {where}")

    def call(self, attempt: Callable[[], T], what: str) -> T:
        """Run one API call with these settings' retries (see `call_with_retries`)."""
        return call_with_retries(attempt, provider=self.provider, what=what, policy=self.retry)

    def redact(self, text: str) -> str:
        """`text` without this API key (or anything shaped like a key)."""
        return redact(text, self.api_key)

    def http_client(self) -> httpx.Client:
        """An `httpx.Client` whose answers are bounded by this timeout end to end and by
        `max_response_bytes` (for OpenAI-compatible servers and the Cohere SDK)."""
        from ragkit.bounded_http import bounded_client

        return bounded_client(self.timeout, self.max_response_bytes)

    def post_json(self, client: httpx.Client, path: str, payload: dict[str, Any], what: str) -> Any:
        """POST `payload` to `{base_url}{path}` with retries (Bearer key when there is one);
        the decoded JSON answer. Non-JSON answers are a ProviderError."""
        import httpx

        headers = {"content-type": "application/json"}
        if self.api_key:
            headers["authorization"] = f"Bearer {self.api_key}"
        url = f"{self.base_url or ''}{path}"

        def attempt() -> Any:
            from ragkit.bounded_http import DeadlineExceeded, ResponseTooLarge

            problem = ""
            try:
                response = client.post(url, json=payload, headers=headers)
            except (httpx.TimeoutException, DeadlineExceeded):
                problem = "timeout"
            except ResponseTooLarge as exc:
                problem = str(exc)
            except httpx.TransportError as exc:
                problem = "connection: " + self.redact(f"{type(exc).__name__}: {exc}")
            # raised here, outside the handlers: nothing chained into the traceback
            if problem == "timeout":
                raise TransientFailure("timeout", self._late())
            if problem.startswith("connection: "):
                raise TransientFailure("connection", problem.removeprefix("connection: "))
            if problem:
                raise ProviderError(f"{self.provider} {what}: {problem}")
            raise_for_status(
                response.status_code,
                response.text,
                provider=self.provider,
                what=what,
                retry_after=response.headers.get("retry-after"),
                secret=self.api_key,
            )
            try:
                return response.json()
            except ValueError:
                pass
            raise ProviderError(
                f"{self.provider} {what} at {self.base_url} answered non-JSON: "
                f"{self.redact(response.text[:200])!r}"
            )

        return self.call(attempt, what)

    def _late(self) -> str:
        return (
            f"no complete answer within {self.timeout:g}s (the limit for a whole request, "
            "however slowly the server sends)"
        )

    def cohere_client(self) -> cohere.ClientV2:
        """A `cohere.ClientV2` without the SDK's own retries (ragkit retries itself)."""
        key = self.require_key()
        try:
            import cohere
        except ImportError as exc:  # the cohere extra is not installed
            raise DependencyError(
                "the Cohere client needs its extra: pip install 'ragkit[cohere]'"
            ) from exc
        kwargs: dict[str, Any] = {
            "timeout": self.timeout,
            "max_retries": 0,
            "httpx_client": self.http_client(),
        }
        if self.base_url:
            kwargs["base_url"] = self.base_url
        return cohere.ClientV2(api_key=key, **kwargs)

    def call_cohere(self, fn: Callable[[], T], what: str) -> T:
        """Call the Cohere SDK with these retries, mapping SDK/httpx exceptions to typed ones."""

        def attempt() -> T:
            import httpx
            from cohere.core.api_error import ApiError

            from ragkit.bounded_http import DeadlineExceeded, ResponseTooLarge

            status, body, retry_after, problem = 0, "", None, ""
            try:
                return fn()
            except ApiError as exc:
                status, body = exc.status_code or 0, str(exc.body)
                headers = exc.headers or {}
                retry_after = headers.get("retry-after") or headers.get("Retry-After")
            except (httpx.TimeoutException, DeadlineExceeded):
                problem = "timeout"
            except httpx.TransportError as exc:
                problem = "connection: " + self.redact(f"{type(exc).__name__}: {exc}")
            except ResponseTooLarge as exc:
                problem = f"too large: {exc}"
            except (ValueError, TypeError, AttributeError, KeyError) as exc:
                # invalid JSON, or an answer the SDK cannot fit to its schema
                problem = "invalid: " + self.redact(f"{type(exc).__name__}: {exc}")[:300]
            # raised here, outside the handlers: the SDK's error (which may quote the
            # request's headers) is not chained into the traceback
            if problem == "timeout":
                raise TransientFailure("timeout", self._late())
            if problem.startswith("connection: "):
                raise TransientFailure("connection", problem.removeprefix("connection: "))
            if problem:
                raise ProviderError(f"{self.provider} {what} answer is {problem}")
            raise_for_status(
                status, body, provider=self.provider, what=what, retry_after=retry_after,
                secret=self.api_key,
            )  # fmt: skip
            raise ProviderError(f"{self.provider} {what} failed: HTTP {status}")

        return self.call(attempt, what)


class LazyClient(Generic[C]):
    """An SDK or HTTP client built from `build` on first use, once, even across threads:
    constructing a remote reranker or generator imports nothing heavy and opens nothing."""

    def __init__(self, build: Callable[[], C]) -> None:
        self._build = build
        self._client: C | None = None
        self._lock = threading.Lock()

    def get(self) -> C:
        """The client, built now if this is the first call."""
        with self._lock:  # uncontended in the common case; a network call dwarfs it
            if self._client is None:
                self._client = self._build()
            return self._client

    @property
    def built(self) -> bool:
        """Whether the client has been built yet."""
        return self._client is not None
