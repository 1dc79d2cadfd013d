"""Local HTTP servers that speak the Cohere (v2 rerank, v2 chat) and OpenAI chat-completions
protocols, for testing remote rerankers, generators and agents without a network.

A `FakeAPIServer` answers each path from a script of `Reply`s (consumed in order) and, when
the script is empty, from a default handler that speaks the protocol; it logs every request.

    with FakeAPIServer(api_key="test-key") as server:
        server.script("/v2/rerank", Reply(429), Reply(200, {...}))
        client = cohere.ClientV2(api_key="test-key", base_url=server.url)
        ...
        assert server.requests[-1].json["model"] == "rerank-v3.5"
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    """One scripted answer: HTTP status, JSON body (dict) or raw text, delay before answering."""

    status: int = 200
    body: Any = None
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class RecordedRequest:
    """A request the server received (headers lower-cased; json is None if not JSON)."""

    method: str
    path: str
    headers: dict[str, str]
    json: Any


Handler = Callable[[RecordedRequest], Reply]


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def overlap_score(query: str, document: str) -> float:
    """A deterministic relevance in [0, 1): share of query words found in the document."""
    q = _words(query)
    return 0.0 if not q else len(q & _words(document)) / (len(q) + 1)


def cohere_rerank_handler(request: RecordedRequest) -> Reply:
    """Default `/v2/rerank`: scores by word overlap; 1 search unit per 100 documents."""
    body = request.json or {}
    docs = body.get("documents", [])
    results = [
        {"index": i, "relevance_score": overlap_score(body.get("query", ""), d)}
        for i, d in enumerate(docs)
    ]
    results.sort(key=lambda r: (-r["relevance_score"], r["index"]))
    if body.get("top_n"):
        results = results[: body["top_n"]]
    units = max(1, math.ceil(len(docs) / 100))
    return Reply(
        200,
        {
            "id": "rerank-fake",
            "results": results,
            "meta": {"api_version": {"version": "2"}, "billed_units": {"search_units": units}},
        },
    )


def cohere_chat_body(
    text: str = "",
    tool_calls: list[tuple[str, str, dict[str, Any]]] | None = None,
    input_tokens: int = 12,
    output_tokens: int = 5,
) -> dict[str, Any]:
    """A Cohere v2 chat response body; tool_calls as (id, name, arguments-dict)."""
    message: dict[str, Any] = {"role": "assistant"}
    if text:
        message["content"] = [{"type": "text", "text": text}]
    if tool_calls:
        message["tool_calls"] = [
            {"id": i, "type": "function", "function": {"name": n, "arguments": json.dumps(a)}}
            for i, n, a in tool_calls
        ]
        message["tool_plan"] = "I will call the tools."
    usage = {"input_tokens": input_tokens, "output_tokens": output_tokens}
    return {
        "id": "chat-fake",
        "finish_reason": "TOOL_CALL" if tool_calls else "COMPLETE",
        "message": message,
        "usage": {"billed_units": usage, "tokens": usage},
    }


def openai_chat_body(
    text: str | None = "",
    tool_calls: list[tuple[str, str, dict[str, Any]]] | None = None,
    prompt_tokens: int = 12,
    completion_tokens: int = 5,
    model: str = "fake-model",
) -> dict[str, Any]:
    """An OpenAI chat-completions response body; tool_calls as (id, name, arguments-dict)."""
    message: dict[str, Any] = {"role": "assistant", "content": text or None}
    if tool_calls:
        message["tool_calls"] = [
            {"id": i, "type": "function", "function": {"name": n, "arguments": json.dumps(a)}}
            for i, n, a in tool_calls
        ]
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "tool_calls" if tool_calls else "stop",
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def _last_user_text(request: RecordedRequest) -> str:
    for message in reversed((request.json or {}).get("messages", [])):
        if message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, list):
                return " ".join(c.get("text", "") for c in content if isinstance(c, dict))
            return str(content)
    return ""


def cohere_chat_handler(request: RecordedRequest) -> Reply:
    """Default `/v2/chat`: answers "echo: <last user message>"."""
    return Reply(200, cohere_chat_body("echo: " + _last_user_text(request)[:200]))


def openai_chat_handler(request: RecordedRequest) -> Reply:
    """Default `.../chat/completions`: answers "echo: <last user message>"."""
    model = (request.json or {}).get("model", "fake-model")
    return Reply(200, openai_chat_body("echo: " + _last_user_text(request)[:200], model=model))


DEFAULT_HANDLERS: dict[str, Handler] = {
    "/v2/rerank": cohere_rerank_handler,
    "/v2/chat": cohere_chat_handler,
    "/chat/completions": openai_chat_handler,
}


class FakeAPIServer:
    """A threaded local HTTP server with scripted replies per path and a request log.

    Paths match by suffix, so "/chat/completions" also serves "/v1/chat/completions". When
    `api_key` is set, a request without `Authorization: Bearer <api_key>` gets a 401.
    """

    def __init__(self, api_key: str | None = None) -> None:
        self.api_key = api_key
        self.requests: list[RecordedRequest] = []
        self.handlers: dict[str, Handler] = dict(DEFAULT_HANDLERS)
        self._scripts: dict[str, deque[Reply]] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Base URL, e.g. http://127.0.0.1:40123 (no trailing slash)."""
        assert self._server is not None, "server not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def script(self, path: str, *replies: Reply) -> None:
        """Queue replies for requests whose path ends with `path`, answered in order."""
        with self._lock:
            self._scripts.setdefault(path, deque()).extend(replies)

    def requests_to(self, path: str) -> list[RecordedRequest]:
        """The logged requests whose path ends with `path`."""
        return [r for r in self.requests if r.path.endswith(path)]

    def _reply_for(self, request: RecordedRequest) -> Reply:
        with self._lock:
            self.requests.append(request)
            for path, queue in self._scripts.items():
                if request.path.endswith(path) and queue:
                    return queue.popleft()
        if self.api_key is not None:
            if request.headers.get("authorization") != f"Bearer {self.api_key}":
                return Reply(401, {"message": "invalid api token"})
        for path, handler in self.handlers.items():
            if request.path.endswith(path):
                return handler(request)
        return Reply(404, {"message": f"no route for {request.path}"})

    def start(self) -> FakeAPIServer:
        """Start serving on a free local port in a daemon thread."""
        server = self

        class _Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    payload = json.loads(raw) if raw else None
                except ValueError:
                    payload = None
                headers = {k.lower(): v for k, v in self.headers.items()}
                reply = server._reply_for(RecordedRequest("POST", self.path, headers, payload))
                if reply.delay:
                    time.sleep(reply.delay)
                body = reply.body if reply.body is not None else {"message": "scripted"}
                data = (body if isinstance(body, str) else json.dumps(body)).encode("utf-8")
                try:
                    self.send_response(reply.status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    for key, value in reply.headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # client gave up (timeout)
                    pass

            do_GET = do_POST  # noqa: N815

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Shut the server down."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeAPIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
