"""Shared fixtures: the shared data folder (skipped when absent) and session-wide models."""

from __future__ import annotations

from pathlib import Path

import pytest

from ragkit.settings import data_dir


def _shared(sub: str) -> Path:
    root = data_dir()
    path = root / sub
    if not path.exists():
        pytest.skip(
            f"shared data not found at {path}; set RAGKIT_DATA to the folder that holds "
            "sec-filings/, financebench/, beir/ and sec-qa/"
        )
    return path


@pytest.fixture(scope="session")
def sec_filings_dir() -> Path:
    """`$RAGKIT_DATA/sec-filings` (17 real EDGAR filings and filings.csv)."""
    return _shared("sec-filings")


@pytest.fixture(scope="session")
def financebench_dir() -> Path:
    """`$RAGKIT_DATA/financebench` (dev questions, document text with form feeds)."""
    return _shared("financebench")


@pytest.fixture(scope="session")
def scifact_dir() -> Path:
    """`$RAGKIT_DATA/beir/scifact` (BEIR-format corpus, queries, qrels)."""
    return _shared("beir/scifact")


@pytest.fixture(scope="session")
def secqa_dir() -> Path:
    """`$RAGKIT_DATA/sec-qa` (dev questions with evidence quotes)."""
    return _shared("sec-qa")
