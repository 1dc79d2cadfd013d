"""Agentic search: sandboxed grep/glob/outline/read/follow tools over raw files, and the
agents that use them (a deterministic heuristic investigator and a tool-calling LLM loop)."""

from __future__ import annotations

from ragkit.agentic.heuristic import HeuristicAgent
from ragkit.agentic.llm import LLMAgent
from ragkit.agentic.result import AgentResult, Evidence, ToolCall, count_tokens
from ragkit.agentic.sandbox import Sandbox
from ragkit.agentic.tools import Tools

__all__ = [
    "AgentResult",
    "Evidence",
    "HeuristicAgent",
    "LLMAgent",
    "Sandbox",
    "ToolCall",
    "Tools",
    "count_tokens",
]
