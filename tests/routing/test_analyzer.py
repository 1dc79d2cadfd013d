"""The query analyzer on a labelled list of questions: company, year, quarter, form."""

from __future__ import annotations

import pytest

from ragkit.lexicon import Lexicon
from ragkit.routing.entities import EntityCatalog, record_from_metadata
from ragkit.routing.query_analyzer import QueryAnalyzer, extract_form_types, extract_periods
from tests.routing.conftest import FILINGS

# (question, expected company doc prefix or None, expected years, expected forms)
LABELLED = [
    ("What was American Express's total revenue in fiscal 2022?", "axp", (2022,), ()),
    ("How much did American Water Works invest in capital in 2021?", "awk", (2021,), ()),
    ("Did American Water's rate base grow in FY2022?", "awk", (2022,), ()),
    ("What was AMEX's net card fees in FY2022?", "axp", (2022,), ()),
    ("What was 3M's FY2018 capital expenditure?", "mmm", (2018,), ()),
    ("Net sales for MMM in the 2022 annual report", "mmm", (2022,), ("10-K",)),
    ("Did 3M Company pay dividends in 2022?", "mmm", (2022,), ()),
    ("Roughly how many times has JnJ sold its inventory in FY2022?", "jnj", (2022,), ()),
    ("What did J&J report for pharmaceutical sales in fiscal 2024?", "jnj", (2024,), ()),
    ("JNJ's 10-K for fiscal year 2024: total debt?", "jnj", (2024,), ("10-K",)),
    ("Johnson & Johnson talc litigation reserve as of December 29, 2024", "jnj", (2024,), ()),
    ("In Coca-Cola's 10-Q for the quarter ended June 27, 2025, what was revenue?", "ko",
     (2025,), ("10-Q",)),
    ("What did KO report as unit case volume growth in Q2 2025?", "ko", (2025,), ()),
    ("The Coca-Cola Company's fairlife payment in the second quarter of 2025", "ko", (2025,), ()),
    ("COCA COLA CO bottling investments in 2024", "ko", (2024,), ()),
    ("What was Coca Cola's return on assets in FY2024?", "ko", (2024,), ()),
    ("Visa (V) payments volume growth in fiscal 2024", "v", (2024,), ()),
    ("What is NYSE: ALL's catastrophe loss in 2023?", "all", (2023,), ()),
    ("Allstate's auto insurance premiums written in 2023", "all", (2023,), ()),
    ("ON Semiconductor's silicon carbide revenue in 2023", "on", (2023,), ()),
    ("Gartner research contract value at year end 2023", "it", (2023,), ()),
    ("NVIDIA's data center revenue in fiscal 2025", "nvda", (2025,), ()),
    ("NIKE's revenue for the fiscal year ended May 31, 2025", "nke", (2025,), ()),
    ("Boeing's Q2 2025 10-Q: what was the 737 delivery count?", "ba", (2025,), ("10-Q",)),
    # no company named: no company found
    ("Which companies spend more on IT than on R&D in 2023?", None, (2023,), ()),
    ("Is it all on track for the V-shaped recovery?", None, (), ()),
    ("What is the definition of free cash flow in an earnings release?", None, (),
     ("EARNINGS",)),
    ("Were there any board nominees with many votes against?", None, (), ()),
]  # fmt: skip


@pytest.mark.parametrize(("question", "company", "years", "forms"), LABELLED)
def test_labelled_questions(
    catalog: EntityCatalog, question: str, company: str | None, years: tuple, forms: tuple
) -> None:
    a = QueryAnalyzer(catalog).analyze(question)
    got = {catalog.entity(e).doc_ids[0].split("-")[0] for e in a.entity_ids}
    assert got == ({company} if company else set()), (question, a.companies)
    assert a.years == years
    assert a.form_types == forms


def test_shared_words_pick_the_longer_name(catalog: EntityCatalog) -> None:
    a = QueryAnalyzer(catalog).analyze("Compare American Express and American Water Works")
    names = [catalog.entity(c.entity_id).doc_ids[0][:3] for c in a.companies]
    assert names == ["axp", "awk"]
    assert QueryAnalyzer(catalog).analyze("Which American company grew fastest?").companies == ()


def test_common_word_tickers_need_ticker_context(catalog: EntityCatalog) -> None:
    an = QueryAnalyzer(catalog)
    assert an.analyze("Turn IT ON and take ALL of it").companies == ()
    assert an.analyze("visa fees rose").companies  # the name, case ignored
    hits = an.analyze("Shares of (IT) and NYSE: ON fell").companies
    assert [c.text for c in hits] == ["IT", "ON"]
    assert all(c.kind == "ticker" for c in hits)


def test_one_entity_for_several_names(catalog: EntityCatalog) -> None:
    for name in ("3M", "MMM", "3M Company"):
        found = catalog.find(name)
        assert found is not None
        assert found.doc_ids == ("mmm-10k-fy2018", "mmm-10k-fy2022")
    ko = catalog.find("KO")
    assert ko is not None
    for name in ("Coca-Cola", "The Coca-Cola Company", "COCA COLA CO", "coca cola"):
        assert catalog.find(name) == ko
    assert ko.doc_ids == ("ko-10k-fy2024", "ko-10q-2025q2")
    assert catalog.find("J&J") == catalog.find("Johnson & Johnson") == catalog.find("JNJ")
    boeing = catalog.find("Boeing")
    assert boeing is not None and boeing.doc_ids == ("ba-10k-fy2024", "ba-10q-2025q2")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("FY2019 - FY2021 average", [("fiscal_year", 2019, None), ("fiscal_year", 2021, None)]),
        ("as of December 31, 2024", [("date", 2024, None)]),
        ("fiscal 2022", [("fiscal_year", 2022, None)]),
        ("Q2 2023", [("quarter", 2023, 2)]),
        ("second quarter of 2025", [("quarter", 2025, 2)]),
        ("in 2019", [("year", 2019, None)]),
        ("As of Q2'2023", [("quarter", 2023, 2)]),
        ("As of FY2023Q1", [("quarter", 2023, 1)]),
        ("H1 FY2023", [("quarter", 2023, 2)]),
        ("FY 2022 data", [("fiscal_year", 2022, None)]),
        ("$2019 million and 2020% growth", []),
    ],
)  # fmt: skip
def test_periods(text: str, expected: list) -> None:
    assert [(p.kind, p.year, p.quarter) for p in extract_periods(text)] == expected


def test_dates_are_iso() -> None:
    (p,) = extract_periods("the quarter ended June 27, 2025")
    assert p.date == "2025-06-27"


def test_form_types() -> None:
    assert extract_form_types("the annual report and the 10-Q") == ["10-K", "10-Q"]
    assert extract_form_types("its 8-K and the earnings release") == ["8-K", "EARNINGS"]
    assert extract_form_types("how much cash?") == []


def test_without_catalog_reads_periods_only() -> None:
    a = QueryAnalyzer().analyze("3M's FY2018 10-K")
    assert a.companies == () and a.years == (2018,) and a.form_types == ("10-K",)


def test_a_first_word_alone_names_a_company_only_when_capitalised() -> None:
    """ "Lockheed" and "Foot" are Lockheed Martin and Foot Locker; "per square foot" is not."""
    cat = EntityCatalog(
        [
            record_from_metadata("fl-10k", {"company": "Foot Locker, Inc."}),
            record_from_metadata("lmt-10k", {"company": "Lockheed Martin Corporation"}),
        ]
    )
    an = QueryAnalyzer(cat)
    assert an.analyze("What were sales per square foot in 2023?").companies == ()
    assert an.analyze("what is lockheed's backlog?").companies == ()
    (lmt,) = an.analyze("What is Lockheed's backlog?").companies
    assert lmt.kind == "alias" and lmt.confidence == 0.85
    (fl,) = an.analyze("Foot Locker's sales per square foot").companies
    assert fl.text == "Foot Locker" and fl.kind == "name"
    assert an.analyze("what did foot locker report?").companies  # a full name: any case


def test_nicknames_come_from_the_lexicon(catalog: EntityCatalog) -> None:
    assert catalog.find("Amex") == catalog.find("American Express")
    bare = Lexicon.from_dict({"version": 1, "companies": {"aliases": {}}})
    records = [record_from_metadata(d, dict(m)) for d, m in FILINGS]
    assert EntityCatalog(records, bare).find("Amex") is None
