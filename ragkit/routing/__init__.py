"""Query understanding and routing: which company, filing and period a question is about.

`EntityCatalog` lists the companies and documents of an index; `QueryAnalyzer` reads the
companies, periods and form types a question names; `Router` turns that into a doc_id filter
plus per-document boosts (`RoutingDecision`), with a fallback when the filter is too narrow.
"""

from __future__ import annotations

from ragkit.routing.cover_page import cover_metadata
from ragkit.routing.entities import DocRecord, Entity, EntityCatalog
from ragkit.routing.metadata_file import load_metadata_file
from ragkit.routing.query_analyzer import (
    CompanyMention,
    PeriodMention,
    QueryAnalysis,
    QueryAnalyzer,
)
from ragkit.routing.router import Router, RoutingDecision, apply_boosts, routed_search

__all__ = [
    "CompanyMention",
    "DocRecord",
    "Entity",
    "EntityCatalog",
    "PeriodMention",
    "QueryAnalysis",
    "QueryAnalyzer",
    "Router",
    "RoutingDecision",
    "apply_boosts",
    "cover_metadata",
    "load_metadata_file",
    "routed_search",
]
