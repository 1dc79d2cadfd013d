"""What the agents return: evidence passages, the recorded tool calls, and the run summary."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ragkit.types import Chunk, Hit, stable_id

_TOKEN = re.compile(r"\w+|[^\w\s]")


def count_tokens(text: str) -> int:
    """A cheap, model-free token count: words and punctuation marks (close to BPE counts on
    English prose, slightly low on numbers)."""
    return len(_TOKEN.findall(text))


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One recorded tool call: name, arguments, output size and latency (and error, if any)."""

    step: int
    tool: str
    args: dict[str, Any]
    output_chars: int
    output_tokens: int
    latency_ms: float
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Evidence:
    """One evidence passage: text read from `file`, its section path, lines and pages."""

    text: str
    file: str
    section_path: tuple[str, ...] = ()
    section_id: str = ""
    line_start: int = 0
    line_end: int = 0
    page_start: int | None = None
    page_end: int | None = None
    score: float = 0.0
    why: str = ""

    @property
    def id(self) -> str:
        """A stable id from file and line span."""
        return stable_id("agentic", self.file, self.line_start, self.line_end)

    def to_chunk(self, position: int = 0, metadata: dict[str, Any] | None = None) -> Chunk:
        """The passage as a `Chunk`, so agents fit the retriever contract."""
        meta = dict(metadata or {})
        meta.setdefault("source_name", Path(self.file).name)
        meta.update({"line_start": self.line_start, "line_end": self.line_end, "why": self.why})
        return Chunk(
            id=self.id,
            doc_id=Path(self.file).stem,
            text=self.text,
            section_path=self.section_path,
            section_id=self.section_id,
            page_start=self.page_start,
            page_end=self.page_end,
            metadata=meta,
            position=position,
            n_tokens=count_tokens(self.text),
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict (`text`, `file`, `section_path` as a list of titles like a search
        hit's, `page_start`, ...)."""
        data = asdict(self)
        data["section_path"] = list(self.section_path)
        return data


@dataclass(slots=True)
class AgentResult:
    """The outcome of one investigation: ranked evidence, the tool-call trace and totals."""

    question: str
    evidence: list[Evidence]
    calls: list[ToolCall] = field(default_factory=list)
    answer: str | None = None
    stop_reason: str = "done"
    latency_ms: float = 0.0
    usage: dict[str, int] = field(default_factory=dict)  # model tokens (LLM agents)

    @property
    def steps(self) -> int:
        """Number of tool calls made."""
        return len(self.calls)

    @property
    def tokens_read(self) -> int:
        """Tokens of tool output the agent read (grep listings, sections, ...)."""
        return sum(c.output_tokens for c in self.calls)

    @property
    def files_read(self) -> list[str]:
        """Files opened with read or follow, in first-read order."""
        seen: dict[str, None] = {}
        for c in self.calls:
            if c.tool in ("read", "follow") and c.error is None:
                seen.setdefault(str(c.args.get("file")), None)
        return list(seen)

    def hits(self, k: int, source: str = "agent") -> list[Hit]:
        """The top-k evidence as `Hit`s with their chunks."""
        out: list[Hit] = []
        for rank, ev in enumerate(self.evidence[:k], start=1):
            chunk = ev.to_chunk(rank - 1)
            out.append(Hit(chunk.id, ev.score, rank, source, chunk, {source: ev.score}))
        return out

    def trace_dict(self) -> dict[str, Any]:
        """The trace as a JSON-safe dict: totals plus every call."""
        return {
            "steps": self.steps,
            "files_read": self.files_read,
            "tokens_read": self.tokens_read,
            "latency_ms": round(self.latency_ms, 1),
            "stop_reason": self.stop_reason,
            "model_usage": dict(self.usage),
            "calls": [c.to_dict() for c in self.calls],
        }

    def to_dict(self) -> dict[str, Any]:
        """`{"question", "answer", "evidence": [...], "trace": {...}}`."""
        return {
            "question": self.question,
            "answer": self.answer,
            "evidence": [e.to_dict() for e in self.evidence],
            "trace": self.trace_dict(),
        }
