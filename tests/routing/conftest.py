"""A realistic multi-company catalog shared by the routing tests (built from filing metadata)."""

from __future__ import annotations

import pytest

from ragkit.routing.entities import EntityCatalog, record_from_metadata

#: (doc_id, metadata as the parsers put it in Document.metadata / Chunk.metadata)
FILINGS: list[tuple[str, dict]] = [
    ("axp-10k-fy2022", {"company": "American Express Company", "ticker": "AXP",
                        "cik": "4962", "form_type": "10-K", "period_end": "2022-12-31",
                        "fiscal_year": 2022, "fiscal_period": "FY"}),
    ("awk-10k-fy2022", {"company": "AMERICAN WATER WORKS COMPANY, INC.", "ticker": "AWK",
                        "cik": "1410636", "form_type": "10-K", "period_end": "2022-12-31",
                        "fiscal_year": 2022, "fiscal_period": "FY"}),
    ("awk-10k-fy2021", {"company": "American Water Works Company, Inc.", "ticker": "AWK",
                        "cik": "1410636", "form_type": "10-K", "period_end": "2021-12-31",
                        "fiscal_year": 2021, "fiscal_period": "FY"}),
    ("v-10k-fy2024", {"company": "VISA INC.", "ticker": "V", "cik": "1403161",
                      "form_type": "10-K", "period_end": "2024-09-30", "fiscal_year": 2024,
                      "fiscal_period": "FY"}),
    ("ko-10k-fy2024", {"company": "COCA COLA CO", "ticker": "KO", "cik": "0000021344",
                       "form_type": "10-K", "period_end": "2024-12-31", "fiscal_year": 2024,
                       "fiscal_period": "FY"}),
    ("ko-10q-2025q2", {"company": "The Coca-Cola Company", "ticker": "KO", "cik": "21344",
                       "form_type": "10-Q", "period_end": "2025-06-27", "fiscal_year": 2025,
                       "fiscal_period": "Q2"}),
    ("all-10k-fy2023", {"company": "The Allstate Corporation", "ticker": "ALL",
                        "cik": "899051", "form_type": "10-K", "period_end": "2023-12-31",
                        "fiscal_year": 2023, "fiscal_period": "FY"}),
    ("on-10k-fy2023", {"company": "ON Semiconductor Corporation", "ticker": "ON",
                       "cik": "1097864", "form_type": "10-K", "period_end": "2023-12-31",
                       "fiscal_year": 2023, "fiscal_period": "FY"}),
    ("it-10k-fy2023", {"company": "Gartner, Inc.", "ticker": "IT", "cik": "749251",
                       "form_type": "10-K", "period_end": "2023-12-31", "fiscal_year": 2023,
                       "fiscal_period": "FY"}),
    ("mmm-10k-fy2018", {"company": "3M COMPANY", "form_type": "10-K",
                        "period_end": "2018-12-31"}),
    ("mmm-10k-fy2022", {"company": "3M Company", "ticker": "MMM", "form_type": "10-K",
                        "period_end": "2022-12-31"}),
    ("jnj-10k-fy2022", {"company": "JOHNSON & JOHNSON", "ticker": "JNJ", "form_type": "10-K",
                        "period_end": "2023-01-01"}),
    ("jnj-10k-fy2024", {"company": "Johnson & Johnson", "ticker": "JNJ", "cik": "200406",
                        "form_type": "10-K", "period_end": "2024-12-29", "fiscal_year": 2024,
                        "fiscal_period": "FY"}),
    ("nvda-10k-fy2025", {"company": "NVIDIA CORP", "ticker": "NVDA", "cik": "1045810",
                         "form_type": "10-K", "period_end": "2025-01-26", "fiscal_year": 2025,
                         "fiscal_period": "FY"}),
    ("nvda-10k-fy2024", {"company": "NVIDIA Corporation", "ticker": "NVDA", "cik": "1045810",
                         "form_type": "10-K", "period_end": "2024-01-28", "fiscal_year": 2024,
                         "fiscal_period": "FY"}),
    ("nvda-10q-fy2026q2", {"company": "NVIDIA CORP", "ticker": "NVDA", "cik": "1045810",
                           "form_type": "10-Q", "period_end": "2025-07-27",
                           "fiscal_year": 2026, "fiscal_period": "Q2"}),
    ("nke-10k-fy2025", {"company": "NIKE, Inc.", "ticker": "NKE", "cik": "320187",
                        "form_type": "10-K", "period_end": "2025-05-31", "fiscal_year": 2025,
                        "fiscal_period": "FY"}),
    ("nke-10k-fy2024", {"company": "NIKE, Inc.", "ticker": "NKE", "cik": "320187",
                        "form_type": "10-K", "period_end": "2024-05-31", "fiscal_year": 2024,
                        "fiscal_period": "FY"}),
    ("ba-10q-2025q2", {"company": "THE BOEING COMPANY", "ticker": "BA", "cik": "12927",
                       "form_type": "10-Q", "period_end": "2025-06-30"}),
    ("ba-10k-fy2024", {"company": "BOEING CO", "ticker": "BA", "cik": "0000012927",
                       "form_type": "10-K", "period_end": "2024-12-31", "fiscal_year": 2024,
                       "fiscal_period": "FY"}),
]  # fmt: skip


@pytest.fixture(scope="session")
def catalog() -> EntityCatalog:
    """The catalog of FILINGS."""
    return EntityCatalog([record_from_metadata(d, m) for d, m in FILINGS])
