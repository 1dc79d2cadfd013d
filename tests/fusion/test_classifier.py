"""The query classifier on a labelled list of queries, and the weights it chooses."""

from __future__ import annotations

import pytest

from ragkit.errors import ConfigError
from ragkit.fusion import classify_query, dynamic_weights

LABELLED = [
    ("What was Apple's total revenue in fiscal 2023?", "specific"),
    ("AAPL diluted EPS Q3 2024", "specific"),
    ('Where does the filing mention "material weakness"?', "specific"),
    ("ASC 606 performance obligations", "specific"),
    ("Item 7A quantitative disclosures about market risk", "specific"),
    ("What is the effective tax rate for FY2022?", "specific"),
    ("long-term debt maturities table 2025 2026", "specific"),
    ("Why did management change the company's strategy?", "conceptual"),
    ("How does the company approach competition in cloud services?", "conceptual"),
    ("Explain the main risks facing the business", "conceptual"),
    ("Describe the culture and philosophy of the firm", "conceptual"),
    ("How does ASC 606 affect revenue recognition?", "mixed"),
    ("Why did operating margin fall in 2023?", "specific"),
    ("supply chain resilience", "mixed"),
]


@pytest.mark.parametrize(("query", "kind"), LABELLED)
def test_labelled_queries(query: str, kind: str) -> None:
    verdict = classify_query(query)
    assert verdict.kind == kind, (verdict.specific_signals, verdict.conceptual_signals)


def test_weights_follow_the_rule_of_thumb() -> None:
    assert dynamic_weights("AAPL revenue 2023") == (0.7, 0.3)
    assert dynamic_weights("Why does strategy matter?") == (0.4, 0.6)
    assert dynamic_weights("supply chain resilience") == (0.5, 0.5)
    assert dynamic_weights("AAPL revenue 2023", specific=(0.9, 0.1)) == (0.9, 0.1)


def test_signals_are_reported() -> None:
    verdict = classify_query("Net income of $4.2 billion under ASC 606 in FY2023")
    assert "code:ASC 606" in verdict.specific_signals
    assert "number:$4.2" in verdict.specific_signals
    assert "period:FY2023" in verdict.specific_signals
    assert "term:net income" in verdict.specific_signals
    assert not any(s.startswith("ticker:ASC") for s in verdict.specific_signals)


def test_bad_weights_rejected() -> None:
    with pytest.raises(ConfigError, match="specific weights"):
        classify_query("x", specific=(0.7,))  # type: ignore[arg-type]
