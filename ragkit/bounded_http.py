"""An httpx transport that bounds a whole response: a total deadline and a byte limit.

httpx's timeouts apply to each read, so a server trickling one byte every half second never
times out; this transport measures the time from the request to the last body byte and the
bytes received, and stops the response when either limit is passed (`DeadlineExceeded`,
`ResponseTooLarge`). Imported only when a remote client is first used (httpx is not loaded
by `import ragkit`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx


class DeadlineExceeded(Exception):
    """The response did not complete within the total deadline."""


class ResponseTooLarge(Exception):
    """The response body is larger than the byte limit."""


class _BoundedStream(httpx.SyncByteStream):
    def __init__(
        self, inner: httpx.SyncByteStream, deadline: float, total: float, limit: int
    ) -> None:
        self._inner = inner
        self._deadline = deadline
        self._total = total
        self._limit = limit

    def __iter__(self) -> Iterator[bytes]:
        received = 0
        for chunk in self._inner:
            received += len(chunk)
            if received > self._limit:
                raise ResponseTooLarge(f"the answer is larger than {self._limit:,} bytes")
            if time.monotonic() > self._deadline:
                raise DeadlineExceeded(
                    f"no complete answer within {self._total:g}s ({received:,} bytes so far)"
                )
            yield chunk

    def close(self) -> None:
        self._inner.close()


class BoundedTransport(httpx.BaseTransport):
    """`httpx.HTTPTransport` whose responses must complete within `total` seconds of the
    request and hold at most `limit` bytes."""

    def __init__(self, total: float, limit: int) -> None:
        self.total = total
        self.limit = limit
        self._inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send the request; the response's body stream enforces both limits."""
        start = time.monotonic()
        response = self._inner.handle_request(request)
        length = response.headers.get("content-length", "")
        if length.isdigit() and int(length) > self.limit:
            response.close()
            raise ResponseTooLarge(
                f"the answer declares {int(length):,} bytes, over the {self.limit:,}-byte limit"
            )
        if time.monotonic() - start > self.total:
            response.close()
            raise DeadlineExceeded(f"no answer within {self.total:g}s")
        assert isinstance(response.stream, httpx.SyncByteStream)
        return httpx.Response(
            status_code=response.status_code,
            headers=response.headers,
            stream=_BoundedStream(response.stream, start + self.total, self.total, self.limit),
            extensions=response.extensions,
            request=request,
        )

    def close(self) -> None:
        """Close the pooled connections."""
        self._inner.close()


def bounded_client(total: float, limit: int) -> httpx.Client:
    """An `httpx.Client` whose every response is bounded by `total` seconds and `limit` bytes
    (each read also times out after `total` seconds)."""
    return httpx.Client(timeout=httpx.Timeout(total), transport=BoundedTransport(total, limit))
