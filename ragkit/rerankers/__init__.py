"""Rerankers: cross-encoder (local), Cohere Rerank (remote), training, and a registry.

Importing this package is cheap: models and API clients load at first use.
"""

from __future__ import annotations

from ragkit.rerankers.base import (
    RERANKERS,
    IdentityReranker,
    Reranker,
    check_rerank_args,
    get_reranker,
    hit_text,
    rescored,
)
from ragkit.rerankers.ledger import CostLedger, LedgerEntry

__all__ = [
    "RERANKERS",
    "CostLedger",
    "IdentityReranker",
    "LedgerEntry",
    "Reranker",
    "check_rerank_args",
    "get_reranker",
    "hit_text",
    "rescored",
]
