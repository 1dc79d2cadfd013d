"""Adaptive escalation: the retrieval pipeline first, the agent's read/follow/grep steps only
when signals read off the retrieval say it is not enough (`Cascade`, `ragkit.cascade.signals`)."""

from __future__ import annotations

from ragkit.cascade.core import Cascade, CascadeResult, EscalationBudget, merge
from ragkit.cascade.signals import SIGNALS, Decision, Signals, compute_signals, decide

__all__ = [
    "SIGNALS",
    "Cascade",
    "CascadeResult",
    "Decision",
    "EscalationBudget",
    "Signals",
    "compute_signals",
    "decide",
    "merge",
]
