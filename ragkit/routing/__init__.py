"""Query understanding and routing: which company, filing and period a question is about.

`EntityCatalog` lists the companies and documents of an index; `QueryAnalyzer` reads the
companies, periods and form types a question names; `Router` turns that into a doc_id filter
plus per-document and per-statement boosts (`RoutingDecision`), with a fallback when the
filter is too narrow; `apply_routing` re-ranks a retriever's hits by a decision.
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
from ragkit.routing.retriever import RoutedRetriever
from ragkit.routing.router import (
    Router,
    RoutingDecision,
    StatementLookup,
    apply_boosts,
    apply_routing,
)

__all__ = [
    "CompanyMention",
    "DocRecord",
    "Entity",
    "EntityCatalog",
    "PeriodMention",
    "QueryAnalysis",
    "QueryAnalyzer",
    "Router",
    "RoutedRetriever",
    "RoutingDecision",
    "StatementLookup",
    "apply_boosts",
    "apply_routing",
    "cover_metadata",
    "load_metadata_file",
]
