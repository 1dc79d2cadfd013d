"""Retries with bounded exponential backoff for remote model APIs, and typed failures.

Shared by the Cohere reranker and the chat clients: a call either succeeds, fails at once
(bad key → AuthenticationError, other 4xx → ProviderError), or fails transiently (429, 5xx,
timeout, refused connection) and is retried until the budget is spent, then raises
RateLimitError, ProviderTimeoutError or ProviderError. Messages never contain API keys.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from ragkit.errors import (
    AuthenticationError,
    ConfigError,
    DependencyError,
    ProviderError,
    ProviderTimeoutError,
    RateLimitError,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")
FailureKind = Literal["rate_limit", "server", "timeout", "connection"]


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
    attempt: Callable[[], T], *, provider: str, what: str, policy: RetryPolicy
) -> T:
    """Run `attempt` until it succeeds, retrying TransientFailure within `policy`'s budget."""
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
            time.sleep(wait)
    assert last is not None
    attempts = policy.max_retries + 1
    message = f"{provider} {what} failed after {attempts} attempt(s): {last.detail}"
    if last.kind == "rate_limit":
        raise RateLimitError(message + "; slow down or raise max_retries")
    if last.kind == "timeout":
        raise ProviderTimeoutError(message + "; raise the timeout or check the server")
    raise ProviderError(message)


def raise_for_status(
    status: int, body: str, *, provider: str, what: str, retry_after: str | None = None
) -> None:
    """Turn an HTTP status into success (2xx), a TransientFailure, or a typed error."""
    if 200 <= status < 300:
        return
    excerpt = " ".join(body.split())[:300]
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


def api_key_from_env(explicit: str | None, names: tuple[str, ...]) -> str | None:
    """The explicit key, else the first of the environment variables `names` that is set."""
    if explicit:
        return explicit
    for name in names:
        value = os.environ.get(name)
        if value:
            return value
    return None


def cohere_call(fn: Callable[[], T], *, what: str, policy: RetryPolicy) -> T:
    """Call the Cohere SDK with ragkit's retries, mapping SDK/httpx exceptions to typed ones."""

    def attempt() -> T:
        import httpx
        from cohere.core.api_error import ApiError

        try:
            return fn()
        except ApiError as exc:
            status = exc.status_code or 0
            headers = exc.headers or {}
            retry_after = headers.get("retry-after") or headers.get("Retry-After")
            raise_for_status(
                status, str(exc.body), provider="Cohere", what=what, retry_after=retry_after
            )
            raise ProviderError(f"Cohere {what} failed: HTTP {status}") from exc
        except httpx.TimeoutException as exc:
            raise TransientFailure("timeout", f"timed out ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            raise TransientFailure("connection", f"{type(exc).__name__}: {exc}") from exc

    return call_with_retries(attempt, provider="Cohere", what=what, policy=policy)


def cohere_client(api_key: str | None, base_url: str | None, timeout: float) -> Any:
    """A `cohere.ClientV2` without the SDK's own retries (ragkit retries itself)."""
    if not api_key:
        raise AuthenticationError(
            "no Cohere API key: pass api_key or set CO_API_KEY (or COHERE_API_KEY)"
        )
    try:
        import cohere
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise DependencyError("the Cohere client needs `pip install cohere`") from exc
    kwargs: dict[str, Any] = {"timeout": timeout, "max_retries": 0}
    if base_url:
        kwargs["base_url"] = base_url.rstrip("/")
    return cohere.ClientV2(api_key=api_key, **kwargs)
