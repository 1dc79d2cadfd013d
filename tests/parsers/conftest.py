"""Fixtures for the parser tests: synthetic filings parsed once, real filings parsed once."""

from __future__ import annotations

import csv
import time
from pathlib import Path

import pytest

from ragkit.parsers import load_document, parse_edgar_html
from ragkit.types import Document
from tests.synthetic import synthetic_10k_html, synthetic_10q_html


@pytest.fixture(scope="session")
def acme_10k() -> Document:
    """The synthetic inline-XBRL 10-K, parsed."""
    return parse_edgar_html(synthetic_10k_html(), doc_id="acme-10k")


@pytest.fixture(scope="session")
def acme_10q() -> Document:
    """The synthetic inline-XBRL 10-Q, parsed."""
    return parse_edgar_html(synthetic_10q_html(), doc_id="acme-10q")


@pytest.fixture(scope="session")
def filings_csv(sec_filings_dir: Path) -> dict[str, dict[str, str]]:
    """filings.csv rows by file name."""
    with (sec_filings_dir / "filings.csv").open(encoding="utf-8") as fh:
        return {row["file"]: row for row in csv.DictReader(fh)}


@pytest.fixture(scope="session")
def real_filings(sec_filings_dir: Path) -> dict[str, tuple[Document, float]]:
    """Every real filing parsed once: {file name: (document, parse seconds)}."""
    out: dict[str, tuple[Document, float]] = {}
    for path in sorted(sec_filings_dir.glob("*.htm")):
        start = time.perf_counter()
        doc = load_document(path)
        out[path.name] = (doc, time.perf_counter() - start)
    return out
