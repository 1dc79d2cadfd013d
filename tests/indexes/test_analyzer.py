"""The financial analyzer: number canonicalisation, kept terms, stop words, saved settings."""

from __future__ import annotations

import pytest

from ragkit.errors import ConfigError
from ragkit.indexes import Analyzer, BM25Index, canonical_number
from ragkit.types import Chunk


@pytest.mark.parametrize(
    "spelling", ["$45.2M", "$45.2 million", "45,200,000", "$45,200 thousand", "$45.2m"]
)
def test_spellings_of_one_amount_meet_in_one_token(spelling: str) -> None:
    assert Analyzer()(f"Revenue was {spelling} for the year") == ["revenu", "45200000", "year"]


def test_canonical_number_values() -> None:
    assert canonical_number("$1.2", 10**9) == "1200000000"
    assert canonical_number("0.50") == "0.5"
    assert canonical_number("59.8") == "59.8"
    assert canonical_number("2,024") == "2024"


def test_financial_terms_survive_as_tokens() -> None:
    tokens = Analyzer()("Under ASC 606, see the 10-K Item 1A and Item 1B; CECL and EBITDA.")
    for term in ["asc", "606", "10-k", "item", "1a", "1b", "cecl", "ebitda"]:
        assert term in tokens
    # "Item 1B" is not one billion, and form names stay whole
    assert "1000000000" not in tokens
    assert Analyzer()("Form 10-Q and 8-K filings") == ["form", "10-q", "8-k", "file"]


def test_stop_words_and_stemming() -> None:
    a = Analyzer()
    assert a("the and of to") == []
    assert a("Impairments of goodwill") == ["impair", "goodwil"]
    assert Analyzer(stemmer=None, stopwords=None)("The Impairments") == ["the", "impairments"]


def test_settings_round_trip_and_validation() -> None:
    a = Analyzer(stopwords=["foo"], protected=["xbrl"])
    b = Analyzer.from_dict(a.to_dict())
    assert a == b and b("foo XBRLs") == a("foo XBRLs") == ["xbrls"]
    with pytest.raises(ConfigError, match="stemmer language"):
        Analyzer(stemmer="klingon")
    with pytest.raises(ConfigError, match="stopwords"):
        Analyzer(stopwords="fr")


@pytest.mark.parametrize(
    ("query", "written"),
    [
        ("$45.2M", "Operating lease liabilities totaled $45,200 thousand."),
        ("45,200,000 lease liabilities", "Operating lease liabilities were $45.2 million."),
        ("$1.2 billion EBITDA", "Adjusted EBITDA was $1.2B for fiscal 2024."),
    ],
)
def test_query_with_one_spelling_finds_chunk_with_another(query: str, written: str) -> None:
    others = [
        "Revenue grew 4% on higher prices.",
        "Goodwill was not impaired in 2024.",
        "Cash and equivalents were $45 million.",
    ]
    chunks = [Chunk(id=f"c{i}", doc_id="d", text=t) for i, t in enumerate([written, *others])]
    index = BM25Index()
    index.add(chunks)
    hits = index.search([query], k=2)[0]
    assert hits[0].chunk_id == "c0"
