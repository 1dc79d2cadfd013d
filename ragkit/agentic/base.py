"""What every agent policy shares: the retriever contract on top of `run`, and input checks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ragkit.agentic.result import AgentResult
from ragkit.errors import QueryError
from ragkit.types import Hit

#: Filter keys the agents accept: the retriever contract's keys (a test pins them to
#: `ragkit.indexes.FILTER_KEYS`; not imported from there to keep this package light).
FILTER_KEYS: frozenset[str] = frozenset(
    {"form_type", "fiscal_year", "fiscal_period", "ticker", "cik", "doc_id", "section"}
)


class AgentBase:
    """Base of the agent policies: `search` (the retriever contract) is built on `run`."""

    name: str = "agent"

    def run(self, question: str, filters: Mapping[str, Any] | None = None) -> AgentResult:
        """Investigate one question; subclasses implement the policy."""
        raise NotImplementedError

    def search(
        self, queries: Sequence[str], k: int, filters: Mapping[str, Any] | None = None
    ) -> list[list[Hit]]:
        """For each query, the top-k evidence passages as `Hit`s (chunks inside)."""
        if k <= 0:
            raise QueryError(f"k must be > 0, got {k}")
        return [self.run(q, filters).hits(k, self.name) for q in queries]


def check_request(question: str, filters: Mapping[str, Any] | None) -> None:
    """Refuse an empty question or unknown filter keys before any tool runs."""
    if not question or not question.strip():
        raise QueryError("empty question; expected text to investigate")
    if filters:
        unknown = set(filters) - FILTER_KEYS
        if unknown:
            raise QueryError(
                f"unknown filter keys {sorted(unknown)}; expected {sorted(FILTER_KEYS)}"
            )
