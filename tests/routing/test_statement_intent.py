"""Which financial statement a question needs: a labelled list of FinanceBench- and SEC-style
questions, including the ones that must imply none."""

from __future__ import annotations

import pytest

from ragkit.routing.entities import EntityCatalog
from ragkit.routing.query_analyzer import QueryAnalyzer
from ragkit.routing.statement_intent import IMPLIED, statement_intent

BS, IS, CF = "balance_sheet", "income_statement", "cash_flow_statement"


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # named outright (FinanceBench's instruction sentences)
        (
            "What is the year end FY2019 total amount of inventories for Best Buy? Base your "
            "judgments on the information provided primarily in the balance sheet.",
            {BS: 1.0},
        ),
        (
            "Basing your judgment by information plainly provided in the balance sheet and the "
            "P&L statement, what is the FY2020 asset turnover ratio?",
            {BS: 1.0, IS: 1.0},
        ),
        (
            "Please utilize information provided primarily within the statement of cash flows.",
            {CF: 1.0},
        ),
        ("According to the consolidated statements of operations, what was net income?", {IS: 1.0}),
        # implied by the metric
        ("What is the year end FY2018 net PP&E for 3M?", {BS: IMPLIED}),
        ("What were net property, plant & equipment at year end?", {BS: IMPLIED}),
        ("What is the FY2018 capital expenditure amount for 3M?", {CF: IMPLIED}),
        (
            "Does AMCOR have an improving gross margin profile as of FY2023? If gross margin is "
            "not a useful metric for a company like this, then state that and explain why.",
            {IS: IMPLIED},
        ),
        (
            "Is 3M a capital-intensive business based on FY2022 data?",
            {BS: IMPLIED, IS: IMPLIED, CF: IMPLIED},
        ),
        # answered in narrative text, a segment note or a non-GAAP reconciliation: none
        ("What drove gross margin change as of FY2022 for JnJ?", {}),
        ("What Was AMCOR's Adjusted Non GAAP EBITDA for FY 2023", {}),
        ("Is growth in JnJ's adjusted EPS expected to accelerate in FY2023?", {}),
        ("What was Automotive revenue for the first half of fiscal year 2026?", {}),
        ("How did JnJ's US sales growth compare to international sales growth in FY2022?", {}),
        ("Has Pepsico reported any materially important ongoing legal battles?", {}),
        ("What industry does AMCOR primarily operate in?", {}),
    ],
)
def test_statement_intent(question: str, expected: dict[str, float]) -> None:
    assert {m.kind: m.weight for m in statement_intent(question)} == expected


def test_a_named_statement_outweighs_a_narrative_cue() -> None:
    got = statement_intent("Using the cash flow statement, what drove the change in capex?")
    assert [(m.kind, m.weight, m.text) for m in got] == [(CF, 1.0, "cash flow statement")]


def test_implied_weight_is_a_parameter() -> None:
    assert statement_intent("What was the FY2022 net income?", implied=0.0) == ()
    assert statement_intent("What was the FY2022 net income?", implied=0.4)[0].weight == 0.4


def test_the_analyzer_masks_company_names_first(catalog: EntityCatalog) -> None:
    """ "Visa revenue" is the company's revenue, not a business line's."""
    analysis = QueryAnalyzer(catalog).analyze("What was Visa revenue in fiscal 2024?")
    assert [(s.kind, s.weight) for s in analysis.statements] == [(IS, IMPLIED)]
    assert analysis.to_dict()["statements"][0]["kind"] == IS
    assert QueryAnalyzer(catalog).analyze("What was Data Center revenue?").statements == ()
