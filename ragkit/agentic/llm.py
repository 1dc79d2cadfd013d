"""LLMAgent: the agentic tools offered to a chat model through tool (function) calling.

Given tools with a search tool (`Tools(root, searcher=pipeline)`), the model gets `search`
as one more tool: ranked hits with file, section path, lines and page, to `read` around.

The model is pluggable: any `ragkit.generators.chat.ChatClient` (OpenAI-compatible endpoints
such as vLLM or llama.cpp's server, or Cohere). The loop runs within step, token and time
budgets; malformed tool calls (unknown tool, invalid JSON, bad arguments) are answered with
an error message the model can correct, and model errors end the run cleanly. It returns
the same `AgentResult` as the heuristic agent: every section it read is evidence.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Callable, Mapping
from typing import Any

from ragkit.agentic.base import AgentBase, check_request
from ragkit.agentic.result import AgentResult, Evidence, ToolCall
from ragkit.agentic.tools import ReadResult, Tools
from ragkit.errors import ConfigError, QueryError, RagkitError

logger = logging.getLogger(__name__)

SYSTEM_PROMPT = """You investigate a folder of long documents (SEC filings, annual reports) \
to find the passages that answer a question. Work like a careful analyst: list the files, \
grep for distinctive words, numbers and dates, look at a document's outline, read whole \
sections, and follow cross-references such as "See Note 12" with the follow tool. Read only \
what you need. When you have the evidence, reply without a tool call: give the answer and \
name the file and section it comes from."""


def _fn(name: str, description: str, properties: dict[str, Any], required: list[str]) -> dict:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {"type": "object", "properties": properties, "required": required},
        },
    }


_S = {"type": "string"}
_I = {"type": "integer"}
_B = {"type": "boolean"}

#: The tool schemas, OpenAI style (Cohere's v2 chat accepts the same shape).
TOOL_SCHEMAS: list[dict[str, Any]] = [
    _fn(
        "glob",
        "List corpus files whose name matches a glob pattern, newest first.",
        {"pattern": {**_S, "description": "e.g. '*.htm' or '*10k*'"}},
        [],
    ),
    _fn(
        "grep",
        "Search the visible text of the files with a regular expression; returns "
        "file, line numbers, section and matching lines.",
        {
            "pattern": {**_S, "description": "regular expression"},
            "glob": {**_S, "description": "restrict to files matching this glob"},
            "context": {**_I, "description": "context lines around each match (default 1)"},
            "max_matches": _I,
            "ignore_case": _B,
            "word": _B,
        },
        ["pattern"],
    ),
    _fn(
        "outline",
        "The section tree of one document: ids, titles, kinds, line spans, sizes.",
        {"file": _S},
        ["file"],
    ),
    _fn(
        "read",
        "Read a whole section (id, title or 'Note 12'), or a line range, of a file.",
        {"file": _S, "section": _S, "start": _I, "end": _I},
        ["file"],
    ),
    _fn(
        "follow",
        "Resolve a cross-reference such as 'Note 12', 'Item 7' or 'Part II, Item 8' "
        "in a file and read the section it names.",
        {"file": _S, "reference": _S},
        ["file", "reference"],
    ),
]
#: The search tool's schema, offered when the tools have a searcher.
SEARCH_SCHEMA: dict[str, Any] = _fn(
    "search",
    "Search the documents with the retrieval pipeline (keywords and meaning); returns "
    "ranked hits with file, section path, line span, page and a snippet, to read around.",
    {
        "query": {**_S, "description": "what to look for, in words"},
        "k": {**_I, "description": "hits to return (default 5, at most 20)"},
        "file": {**_S, "description": "restrict to this file"},
        "glob": {**_S, "description": "restrict to files matching this glob"},
    },
    ["query"],
)
_ALLOWED = {
    t["function"]["name"]: set(t["function"]["parameters"]["properties"])
    for t in [*TOOL_SCHEMAS, SEARCH_SCHEMA]
}


class LLMAgent(AgentBase):
    """A chat model driving the sandboxed tools; same contract as `HeuristicAgent`.

    Args:
        corpus: a corpus folder or a `Tools` instance.
        client: a `ChatClient` (`OpenAICompatibleChat`, `CohereChat`, ...).
        max_steps: model turns. max_tokens: model input+output tokens plus tool output
        tokens. time_budget_s: wall-clock limit. max_output_chars: per tool result.
    """

    name = "llm"

    def __init__(
        self,
        corpus: str | os.PathLike[str] | Tools,
        client: Any,
        *,
        max_steps: int = 12,
        max_tokens: int = 60_000,
        time_budget_s: float = 180.0,
        max_output_chars: int = 6_000,
        system_prompt: str = SYSTEM_PROMPT,
        chat_params: Mapping[str, Any] | None = None,
        view_cache: str | os.PathLike[str] | None = None,
    ) -> None:
        if not callable(getattr(client, "chat", None)):
            raise ConfigError(f"client must have a chat(messages, tools) method, got {client!r}")
        if max_steps <= 0 or max_tokens <= 0 or time_budget_s <= 0 or max_output_chars <= 0:
            raise ConfigError(
                "max_steps, max_tokens, time_budget_s and max_output_chars must be > 0, got "
                f"{max_steps}, {max_tokens}, {time_budget_s}, {max_output_chars}"
            )
        self.tools = corpus if isinstance(corpus, Tools) else Tools(corpus, view_cache=view_cache)
        self.client = client
        self.max_steps = max_steps
        self.max_tokens = max_tokens
        self.time_budget_s = time_budget_s
        self.max_output_chars = max_output_chars
        self.system_prompt = system_prompt
        self.chat_params = dict(chat_params or {})

    def run(self, question: str, filters: Mapping[str, Any] | None = None) -> AgentResult:
        """Let the model investigate `question`; returns its evidence and trace."""
        check_request(question, filters)
        t0 = time.perf_counter()
        tools = self.tools.fork()
        scope = ""
        if filters and "doc_id" in filters:
            scope = f"\nOnly these documents are in scope: {filters['doc_id']}."
        messages: list[dict[str, Any]] = [
            {"role": "system", "content": self.system_prompt},
            {"role": "user", "content": question.strip() + scope},
        ]
        schemas = [*TOOL_SCHEMAS, SEARCH_SCHEMA] if tools.searcher is not None else TOOL_SCHEMAS
        evidence: list[Evidence] = []
        usage = {"input_tokens": 0, "output_tokens": 0}
        answer: str | None = None
        stop = "max_steps"
        for _turn in range(self.max_steps):
            if time.perf_counter() - t0 > self.time_budget_s:
                stop = "time_budget"
                break
            spent = usage["input_tokens"] + usage["output_tokens"]
            if spent + sum(c.output_tokens for c in tools.calls) > self.max_tokens:
                stop = "token_budget"
                break
            try:
                reply = self.client.chat(messages, tools=schemas, **self.chat_params)
            except RagkitError as exc:
                logger.warning("model error, stopping: %s", exc)
                stop = f"model_error: {exc}"[:300]
                break
            _add_usage(usage, reply.usage)
            if not reply.tool_calls:
                answer = reply.text.strip()
                stop = "answered"
                break
            messages.append(
                {
                    "role": "assistant",
                    "content": reply.text or "",
                    "tool_calls": [
                        {
                            "id": c.id or f"call_{len(messages)}_{i}",
                            "type": "function",
                            "function": {"name": c.name, "arguments": c.arguments or "{}"},
                        }
                        for i, c in enumerate(reply.tool_calls)
                    ],
                }
            )
            for i, call in enumerate(reply.tool_calls):
                content = self._dispatch(tools, call, evidence, filters)
                messages.append(
                    {
                        "role": "tool",
                        "tool_call_id": call.id or f"call_{len(messages) - 1 - i}_{i}",
                        "content": content,
                    }
                )
        _rank(evidence, answer)
        return AgentResult(
            question, evidence, tools.calls, answer, stop, (time.perf_counter() - t0) * 1000, usage
        )

    def _dispatch(
        self,
        tools: Tools,
        call: Any,
        evidence: list[Evidence],
        filters: Mapping[str, Any] | None,
    ) -> str:
        """Run one tool call; any mistake comes back to the model as an error message."""
        n_before = len(tools.calls)
        args: dict[str, Any] = {}
        try:
            offered = set(_ALLOWED) - ({"search"} if tools.searcher is None else set())
            if call.name not in offered:
                raise QueryError(f"unknown tool {call.name!r}; expected one of {sorted(offered)}")
            args = call.parsed_arguments()
            extra = set(args) - _ALLOWED[call.name]
            if extra:
                raise QueryError(
                    f"tool {call.name!r} got unexpected arguments {sorted(extra)}; "
                    f"expected {sorted(_ALLOWED[call.name])}"
                )
            fn: Callable[..., Any] = getattr(tools, call.name)
            if call.name == "grep":
                args.setdefault("context", 1)
                args.setdefault("max_matches", 30)
            if call.name in ("read", "follow"):
                args["max_chars"] = self.max_output_chars
            if call.name == "search":
                args["k"] = min(int(args.get("k", 5)), 20)
                args["filters"] = dict(filters) if filters else None
            _check_doc_scope(args, filters)
            result = fn(**args)
        except (RagkitError, TypeError, ValueError) as exc:
            message = f"error: {exc}"[:1000]
            if len(tools.calls) == n_before:  # refused before reaching a tool: record it
                tools.calls.append(
                    ToolCall(
                        n_before + 1,
                        call.name or "?",
                        {"raw": (call.arguments or "")[:200]},
                        len(message),
                        0,
                        0.0,
                        message[:300],
                    )
                )
            return message
        if isinstance(result, ReadResult) and result.body:
            span = result.section
            evidence.append(
                Evidence(
                    result.body,
                    result.file,
                    span.path if span else (),
                    span.id if span else "",
                    result.line_start,
                    result.line_end,
                    result.page_start,
                    result.page_end,
                    0.0,
                    f"{call.name} {json.dumps(args, sort_keys=True)[:120]}",
                )
            )
        text = result.text
        if len(text) > self.max_output_chars:
            text = text[: self.max_output_chars] + "\n[... output truncated]"
        return text


def _check_doc_scope(args: Mapping[str, Any], filters: Mapping[str, Any] | None) -> None:
    if not filters or "doc_id" not in filters or "file" not in args:
        return
    wanted = filters["doc_id"]
    allowed = {str(w) for w in (wanted if isinstance(wanted, list | tuple | set) else [wanted])}
    stem = os.path.splitext(os.path.basename(str(args["file"])))[0]
    if stem not in allowed:
        raise QueryError(f"file {args['file']!r} is outside the filtered documents {allowed}")


def _add_usage(total: dict[str, int], usage: Mapping[str, Any]) -> None:
    total["input_tokens"] += int(usage.get("input_tokens", usage.get("prompt_tokens", 0)) or 0)
    total["output_tokens"] += int(
        usage.get("output_tokens", usage.get("completion_tokens", 0)) or 0
    )


def _rank(evidence: list[Evidence], answer: str | None) -> None:
    """Order passages by how many of the answer's words and figures they hold (read order
    breaks ties); without an answer, the most recent reads first."""
    words = set(re.findall(r"\w+", (answer or "").lower()))
    n = len(evidence)
    scored = []
    for i, ev in enumerate(evidence):
        overlap = len(words & set(re.findall(r"\w+", ev.text.lower()))) if words else 0
        scored.append((overlap + (i / n if not words else -i / (10 * n)), i, ev))
    scored.sort(key=lambda x: (-x[0], x[1]))
    evidence[:] = [
        Evidence(
            ev.text,
            ev.file,
            ev.section_path,
            ev.section_id,
            ev.line_start,
            ev.line_end,
            ev.page_start,
            ev.page_end,
            round(score, 4),
            ev.why,
        )
        for score, _, ev in scored
    ]
