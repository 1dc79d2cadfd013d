"""The catalog from cover pages, chunk dicts and a metadata file; persistence."""

from __future__ import annotations

from pathlib import Path

import pytest

from ragkit.errors import DatasetError, IndexFormatError
from ragkit.routing.cover_page import cover_metadata
from ragkit.routing.entities import EntityCatalog
from ragkit.routing.metadata_file import load_metadata_file
from ragkit.types import Chunk

TENK = """UNITED STATES
SECURITIES AND EXCHANGE COMMISSION
Washington, D.C. 20549
FORM 10-K
(Mark One)
☒ ANNUAL REPORT PURSUANT TO SECTION 13 OR 15(d) OF THE SECURITIES EXCHANGE ACT OF 1934
FOR THE FISCAL YEAR ENDED
May 31, 2019
Commission File No. 1-10635
NIKE, Inc.
(Exact name of Registrant as specified in its charter)
Oregon
SECURITIES REGISTERED PURSUANT TO SECTION 12(B) OF THE ACT:
Class B Common Stock
NKE
New York Stock Exchange
(Title of each class)
(Trading symbol)
\f
Item 1. Business
"""
TENQ = """FORM 10-Q
☒ QUARTERLY REPORT PURSUANT TO SECTION 13 OR 15(d) OF THE SECURITIES EXCHANGE ACT OF 1934
For the quarterly period ended July 29, 2023
Commission File Number: 1-9595
BEST BUY CO., INC.
(Exact name of registrant as specified in its charter)
"""
RELEASE = """FOR IMMEDIATE RELEASE
• 2022 Fourth-Quarter reported sales decline of 4.4% to $23.7 Billion
New Brunswick, N.J. (January 24, 2023) – Johnson & Johnson (NYSE: JNJ) today announced results
for fourth-quarter and full year 2022.
"""
EIGHTK = """FORM 8-K
CURRENT REPORT
Date of Report (Date of earliest event reported): May 3, 2023
PepsiCo, Inc.
(Exact name of registrant as specified in its charter)
"""
SMALL_CAPS = """FORM 10-K
For the fiscal year ended December 31, 2018
Commission File No. 001-10362
MGM R ESORTS I NTERNATIONAL
(Exact name of Registrant as specified in its charter)
"""


def test_cover_page_of_an_annual_report() -> None:
    m = cover_metadata(TENK)
    assert m == {"form_type": "10-K", "period_end": "2019-05-31", "fiscal_period": "FY",
                 "company": "NIKE, Inc.", "ticker": "NKE"}  # fmt: skip


def test_cover_pages_of_other_documents() -> None:
    assert cover_metadata(TENQ)["period_end"] == "2023-07-29"
    assert cover_metadata(TENQ)["company"] == "BEST BUY CO., INC."
    rel = cover_metadata(RELEASE)
    assert rel["company"] == "Johnson & Johnson" and rel["ticker"] == "JNJ"
    assert (rel["fiscal_year"], rel["fiscal_period"], rel["form_type"]) == (2022, "Q4", "EARNINGS")
    ek = cover_metadata(EIGHTK)
    assert (ek["form_type"], ek["period_end"], ek["company"]) == (
        "8-K",
        "2023-05-03",
        "PepsiCo, Inc.",
    )
    assert cover_metadata(SMALL_CAPS)["company"] == "MGM RESORTS INTERNATIONAL"
    assert cover_metadata("Just some notes about the weather.") == {}


def test_catalog_from_texts_infers_fiscal_quarters() -> None:
    annual = TENQ.replace("FORM 10-Q", "FORM 10-K").replace(
        "quarterly period ended July 29, 2023", "fiscal year ended January 28, 2023"
    )
    cat = EntityCatalog.from_texts({"BBY_2023_10K": annual, "BBY_2024Q2_10Q": TENQ})
    q = cat.docs["BBY_2024Q2_10Q"]
    assert (q.fiscal_year, q.fiscal_period) == (2024, "Q2")  # Best Buy's year ends in January
    assert cat.docs["BBY_2023_10K"].fiscal_year == 2023
    assert len(cat.entities) == 1


def test_metadata_file_supplements_but_does_not_override(tmp_path: Path) -> None:
    meta = tmp_path / "info.jsonl"
    meta.write_text(
        '{"doc_name": "SQ_2020_10K", "company": "Block", "doc_type": "10k", "doc_period": 2020}\n'
        '{"doc_name": "NKE_2019_10K", "company": "Nike", "doc_type": "10k", "doc_period": 2018}\n'
        '{"doc_name": "KO_2017_10K", "company": "Coca-Cola", "doc_type": "10k",'
        ' "doc_period": 2017}\n',
        encoding="utf-8",
    )
    sup = load_metadata_file(meta)
    square = TENK.replace("NIKE, Inc.", "SQUARE, INC.").replace("NKE", "SQ")
    no_name = TENK.replace("NIKE, Inc.\n", "")
    cat = EntityCatalog.from_texts(
        {"SQ_2020_10K": square, "NKE_2019_10K": TENK, "KO_2017_10K": no_name}, supplement=sup
    )
    assert cat.docs["NKE_2019_10K"].fiscal_year == 2019  # the document wins over the file
    assert cat.find("Block") == cat.find("Square")  # a former name is the same entity
    assert cat.docs["KO_2017_10K"].company == "Coca-Cola"  # the file fills a gap
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"doc_name": "x"}\nnot json\n', encoding="utf-8")
    with pytest.raises(DatasetError, match=r"bad.jsonl:2"):
        load_metadata_file(bad)


def test_from_chunk_dicts_and_round_trip(tmp_path: Path) -> None:
    meta = {"company": "Tesla, Inc.", "ticker": "TSLA", "cik": "1318605", "form_type": "10-K",
            "period_end": "2024-12-31", "fiscal_year": 2024, "fiscal_period": "FY"}  # fmt: skip
    chunks = [Chunk(id=f"c{i}", doc_id="tsla-10k", text="x", metadata=meta).to_dict()
              for i in range(4)]  # fmt: skip
    cat = EntityCatalog.from_chunks(chunks)
    assert cat.docs["tsla-10k"].n_chunks == 4 and cat.docs["tsla-10k"].cik == "0001318605"
    path = cat.save(tmp_path / "catalog.json")
    again = EntityCatalog.load(path)
    tesla = again.find("TSLA")
    assert again.docs == cat.docs and tesla is not None and tesla.doc_ids == ("tsla-10k",)
    path.write_text('{"type": "something else"}', encoding="utf-8")
    with pytest.raises(IndexFormatError, match="not an entity catalog"):
        EntityCatalog.load(path)
