"""The residual question: what a question asks once routing has found the filing it names."""

from __future__ import annotations

import pytest

from ragkit.routing.entities import EntityCatalog
from ragkit.routing.query_analyzer import QueryAnalyzer
from ragkit.routing.residual import document_spans, residual_query

CASES = [
    ("In Coca-Cola's 10-Q for the quarter ended June 27, 2025, what was revenue?",
     "What was revenue?"),
    ("What was 3M's FY2018 capital expenditure?", "What was capital expenditure?"),
    ("According to NIKE's 10-K for the fiscal year ended May 31, 2025, how many employees "
     "did the company have?", "How many employees did the company have?"),
    ("Boeing's Q2 2025 10-Q: what was the 737 delivery count?",
     "What was the 737 delivery count?"),
    # a company that is the subject stays as "the company"
    ("What did KO report as unit case volume growth in Q2 2025?",
     "What did the company report as unit case volume growth?"),
    ("Did 3M Company pay dividends in 2022?", "Did the company pay dividends?"),
]  # fmt: skip


@pytest.mark.parametrize(("question", "residual"), CASES)
def test_the_words_that_name_the_filing_are_dropped(
    catalog: EntityCatalog, question: str, residual: str
) -> None:
    assert residual_query(QueryAnalyzer(catalog).analyze(question)) == residual


def test_a_question_that_names_no_filing_or_only_one_is_kept_whole(
    catalog: EntityCatalog,
) -> None:
    analyzer = QueryAnalyzer(catalog)
    plain = "Which companies disclose a material weakness in internal control?"
    assert residual_query(analyzer.analyze(plain)) == plain
    only = "Coca-Cola 10-K 2024"  # nothing would be left to rerank with
    assert residual_query(analyzer.analyze(only)) == only


def test_document_spans_cover_company_period_and_form(catalog: EntityCatalog) -> None:
    question = "In Coca-Cola's 10-Q for the quarter ended June 27, 2025, what was revenue?"
    spans = document_spans(QueryAnalyzer(catalog).analyze(question))
    assert [question[a:b] for a, b, _ in spans] == ["Coca-Cola", "10-Q", "June 27, 2025"]
    assert [by for _, _, by in spans][0] == "the company"


def test_the_connecting_words_come_from_the_lexicon(catalog: EntityCatalog) -> None:
    """`rerank.document_connectors` in the lexicon decides which words go with the filing."""
    from ragkit.lexicon import Lexicon

    question = "According to NIKE's 10-K, how many employees did the company have?"
    analysis = QueryAnalyzer(catalog).analyze(question)
    assert residual_query(analysis) == "How many employees did the company have?"
    fewer = Lexicon.from_dict({"version": 1, "rerank": {"document_connectors": "to the company's"}})
    assert residual_query(analysis, fewer) == "According, how many employees did the company have?"
