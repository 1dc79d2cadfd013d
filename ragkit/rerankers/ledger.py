"""A cost ledger for remote reranking/generation calls: search units, tokens and latency.

Thread-safe (batches run in parallel); `summary()` gives totals, `save(path)` writes JSON
lines so a benchmark can attach the spend to its report.
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One remote call: what, with which model, how many documents, billed units, latency."""

    provider: str
    operation: str
    model: str
    n_documents: int = 0
    search_units: float = 0.0
    input_tokens: int = 0
    output_tokens: int = 0
    latency_ms: float = 0.0
    ok: bool = True
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


class CostLedger:
    """Accumulates LedgerEntry records; cheap enough to keep always on."""

    def __init__(self) -> None:
        self._entries: list[LedgerEntry] = []
        self._lock = threading.Lock()

    def record(self, entry: LedgerEntry) -> None:
        """Append one entry."""
        with self._lock:
            self._entries.append(entry)

    @property
    def entries(self) -> list[LedgerEntry]:
        """A copy of the entries, in recording order."""
        with self._lock:
            return list(self._entries)

    def summary(self) -> dict[str, float]:
        """Totals: calls, failures, documents, search units, tokens, latency (ms)."""
        entries = self.entries
        return {
            "calls": len(entries),
            "failed_calls": sum(1 for e in entries if not e.ok),
            "documents": sum(e.n_documents for e in entries),
            "search_units": sum(e.search_units for e in entries),
            "input_tokens": sum(e.input_tokens for e in entries),
            "output_tokens": sum(e.output_tokens for e in entries),
            "latency_ms": sum(e.latency_ms for e in entries),
        }

    def save(self, path: str | Path) -> Path:
        """Write the entries as JSON lines."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("w", encoding="utf-8") as fh:
            for entry in self.entries:
                fh.write(json.dumps(asdict(entry)) + "\n")
        return target
