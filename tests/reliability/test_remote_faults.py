"""Remote services misbehaving, against local HTTP servers: the OpenAI-compatible chat client,
the Cohere chat client (official SDK) and the Cohere reranker (official SDK).

429 then success; persistent 5xx (bounded retries with backoff); a server trickling one byte
every 0.5 s (the timeout holds for the whole answer, and the message states it); invalid
JSON; answers of the wrong shape (typed ProviderError, never AttributeError/TypeError or a
silent ""); a huge body (refused at the byte limit, whether declared or streamed); and a
server echoing the Authorization header into its errors (the key appears in no message,
traceback or log line). `--generator openai` without a key fails at once, before a request.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from ragkit.errors import (
    AuthenticationError,
    ProviderError,
    ProviderTimeoutError,
    RagkitError,
    RateLimitError,
)
from ragkit.generators import get_generator
from ragkit.generators.chat import CohereChat, OpenAICompatibleChat
from ragkit.remote import MAX_RESPONSE_BYTES, redact
from ragkit.rerankers.cohere import CohereReranker
from ragkit.types import Chunk, Hit
from tests.http_fakes import FakeAPIServer, Reply, cohere_chat_body, openai_chat_body

KEY = "sk-test-7f3a9c1e5b2d4f60a8c7e9b1d3f5a7c9"
MESSAGES = [{"role": "user", "content": "What was the operating ratio in Q2 2025?"}]
ROOT = Path(__file__).resolve().parents[2]

Call = Callable[[str, dict[str, Any]], object]


def _hits() -> list[Hit]:
    texts = [
        "The operating ratio improved 150 basis points to 59.8% on lower fuel prices.",
        "Freight revenue rose to $6.1 billion as carloads of grain and coal increased.",
    ]
    return [
        Hit(f"c{i}", 1.0 / (i + 1), i + 1, "bm25", Chunk(id=f"c{i}", doc_id="bolt", text=t), {})
        for i, t in enumerate(texts)
    ]


def openai_call(url: str, options: dict[str, Any]) -> object:
    return OpenAICompatibleChat("fake-model", url + "/v1", KEY, **options).chat(MESSAGES).text


def cohere_chat_call(url: str, options: dict[str, Any]) -> object:
    return CohereChat(api_key=KEY, base_url=url, **options).chat(MESSAGES).text


def cohere_rerank_call(url: str, options: dict[str, Any]) -> object:
    hits = CohereReranker(api_key=KEY, base_url=url, **options).rerank("operating ratio", _hits())
    return [h.chunk_id for h in hits]


CLIENTS: dict[str, tuple[Call, str, dict[str, Any]]] = {
    "openai": (openai_call, "/chat/completions", openai_chat_body("Ratio was 59.8% [1].")),
    "cohere-chat": (cohere_chat_call, "/v2/chat", cohere_chat_body("Ratio was 59.8% [1].")),
    "cohere-rerank": (
        cohere_rerank_call,
        "/v2/rerank",
        {"id": "r", "results": [{"index": 0, "relevance_score": 0.9}], "meta": {}},
    ),
}
FAST = {"timeout": 5.0, "max_retries": 2, "backoff": 0.05}


@pytest.fixture()
def server() -> Iterator[FakeAPIServer]:
    with FakeAPIServer(api_key=KEY) as fake:
        yield fake


@pytest.mark.parametrize("name", sorted(CLIENTS))
def test_429_then_success(server: FakeAPIServer, name: str) -> None:
    call, path, body = CLIENTS[name]
    server.script(path, Reply(429, {"message": "slow down"}, headers={"retry-after": "0"}))
    server.script(path, Reply(200, body))
    assert call(server.url, FAST)
    assert len(server.requests_to(path)) == 2


@pytest.mark.parametrize("name", sorted(CLIENTS))
def test_persistent_5xx_is_bounded(server: FakeAPIServer, name: str) -> None:
    call, path, _ = CLIENTS[name]
    server.script(path, *[Reply(503, {"message": "overloaded"})] * 3)
    start = time.monotonic()
    with pytest.raises(ProviderError, match=r"after 3 attempt\(s\).*HTTP 503"):
        call(server.url, FAST)
    assert len(server.requests_to(path)) == 3
    assert time.monotonic() - start < 5  # backoff 0.05 s, 0.1 s


@pytest.mark.parametrize("name", sorted(CLIENTS))
def test_persistent_429_is_a_rate_limit_error(server: FakeAPIServer, name: str) -> None:
    call, path, _ = CLIENTS[name]
    server.script(path, *[Reply(429, {"message": "slow down"})] * 3)
    with pytest.raises(RateLimitError):
        call(server.url, FAST)


# -- a server of our own for trickling, huge and echoing answers ----------------------------
class _Misbehaving(BaseHTTPRequestHandler):
    mode = "trickle"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("content-length") or 0))
        try:
            getattr(self, f"_{self.server.mode}")()  # type: ignore[attr-defined]
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up, as it should

    def _trickle(self) -> None:
        body = b'{"choices": [{"message": {"content": "' + b"x" * 200 + b'"}}]}'
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        for byte in body:
            self.wfile.write(bytes([byte]))
            self.wfile.flush()
            time.sleep(0.5)

    def _declared_huge(self) -> None:
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(300 * 2**20))
        self.end_headers()
        self.wfile.write(b'{"choices": [')
        time.sleep(2)

    def _streamed_huge(self) -> None:
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.end_headers()  # no length: the body ends when the connection closes
        block = b" " * 2**20
        self.wfile.write(b'{"pad": "')
        for _ in range(MAX_RESPONSE_BYTES // len(block) + 8):
            self.wfile.write(block)

    def _echo(self) -> None:
        echoed = {"Authorization": self.headers.get("authorization"), **dict(self.headers)}
        body = json.dumps({"message": "bad request", "you_sent": echoed}).encode()
        self.send_response(int(self.headers.get("x-status", 0)) or self.server.status)  # type: ignore[attr-defined]
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture()
def misbehaving() -> Iterator[ThreadingHTTPServer]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Misbehaving)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def _url(httpd: ThreadingHTTPServer) -> str:
    host, port = httpd.server_address[:2]
    return f"http://{host!s}:{port}"


@pytest.mark.parametrize("name", sorted(CLIENTS))
def test_trickling_server_honours_the_timeout_end_to_end(
    misbehaving: ThreadingHTTPServer, name: str
) -> None:
    """One byte every 0.5 s used to turn a 3 s timeout into ~290 s; now the whole answer
    must arrive within the timeout (2 s here, one retry: about 4 s), and the message says so."""
    misbehaving.mode = "trickle"  # type: ignore[attr-defined]
    call = CLIENTS[name][0]
    start = time.monotonic()
    with pytest.raises(ProviderTimeoutError, match=r"within 2s") as info:
        call(_url(misbehaving), {"timeout": 2.0, "max_retries": 1, "backoff": 0.05})
    elapsed = time.monotonic() - start
    assert elapsed < 2 * (2.0 + 0.6) + 1.0, elapsed
    assert "after 2 attempt(s)" in str(info.value)
    print(f"\n{name}: trickling server refused after {elapsed:.1f}s (timeout 2s, 1 retry)")


@pytest.mark.parametrize("mode", ["declared_huge", "streamed_huge"])
@pytest.mark.parametrize("name", sorted(CLIENTS))
def test_huge_body_is_refused_at_the_limit(
    misbehaving: ThreadingHTTPServer, name: str, mode: str
) -> None:
    misbehaving.mode = mode  # type: ignore[attr-defined]
    with pytest.raises(ProviderError, match=r"larger than|over the .*-byte limit"):
        CLIENTS[name][0](_url(misbehaving), {"timeout": 30.0, "max_retries": 0})


WRONG_SHAPES: dict[str, list[Any]] = {
    "openai": [
        "not json at all",
        {"choices": "none"},
        {"choices": []},
        {"choices": [{"message": "text"}]},
        {"choices": [{"message": {"content": 5}}]},
        {"choices": [{"message": {"content": "x", "tool_calls": [{"function": 3}]}}]},
        [1, 2, 3],
    ],
    "cohere-chat": [
        "not json at all",
        {"id": "x"},
        {"id": "x", "message": {"role": "assistant"}},
        {"id": "x", "message": {"role": "assistant", "content": "text"}},
        [1, 2, 3],
    ],
    "cohere-rerank": [
        "not json at all",
        {"id": "x"},
        {"id": "x", "results": "all"},
        {"id": "x", "results": [{"index": "first", "relevance_score": 1}]},
        {"id": "x", "results": [{"index": 7, "relevance_score": 1}]},
        {"id": "x", "results": [{"index": 0, "relevance_score": "high"}]},
    ],
}


@pytest.mark.parametrize("name", sorted(CLIENTS))
def test_invalid_json_and_wrong_schema_are_typed_errors(server: FakeAPIServer, name: str) -> None:
    call, path, _ = CLIENTS[name]
    for body in WRONG_SHAPES[name]:
        server.script(path, Reply(200, body))
        with pytest.raises(ProviderError):
            result = call(server.url, {**FAST, "max_retries": 0})
            pytest.fail(f"{body!r} gave {result!r}")


def _leaks(exc: BaseException) -> bool:
    text = "".join(traceback.format_exception(exc))
    return KEY in text or KEY[8:24] in text


@pytest.mark.parametrize("status", [400, 401, 500])
@pytest.mark.parametrize("name", sorted(CLIENTS))
def test_api_key_never_in_errors_tracebacks_or_logs(
    misbehaving: ThreadingHTTPServer, name: str, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    """The server echoes every request header, Authorization included, into its error."""
    misbehaving.mode, misbehaving.status = "echo", status  # type: ignore[attr-defined]
    caplog.set_level(logging.DEBUG)
    with pytest.raises(RagkitError) as info:
        CLIENTS[name][0](_url(misbehaving), {**FAST, "max_retries": 1})
    message = str(info.value)
    assert "***" in message  # the echo is in the message, redacted
    assert not _leaks(info.value), "".join(traceback.format_exception(info.value))
    assert KEY not in caplog.text


def test_redact_hides_keys_in_common_shapes() -> None:
    for text in (
        f"Authorization: Bearer {KEY}",
        f'{{"authorization": "Bearer {KEY}"}}',
        f"api_key={KEY}&x=1",
        f'{{"api-key": "{KEY}"}}',
    ):
        assert KEY not in redact(text), text
    assert redact(f"echo {KEY} back", KEY) == "echo *** back"


def test_openai_without_a_key_fails_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    start = time.monotonic()
    with pytest.raises(AuthenticationError, match="OPENAI_API_KEY"):
        get_generator("openai")
    assert time.monotonic() - start < 1.0
    # a local server needs no key
    assert get_generator("openai:llama-3", base_url="http://127.0.0.1:9/v1")


def test_cli_ask_with_openai_and_no_key_fails_before_any_request(tmp_path: Path) -> None:
    doc = tmp_path / "note.txt"
    doc.write_text("Freight revenue rose to $6.1 billion as carloads of grain increased.\n")
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "ragkit.cli", "ask", str(doc), "revenue?", "--generator", "openai"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "OPENAI_API_KEY" in proc.stderr and "Traceback" not in proc.stderr
    assert time.monotonic() - start < 120
