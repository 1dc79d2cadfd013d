"""Fixtures for the agentic tests: small realistic corpora written per test, a shared view
cache per session, and a session-wide agent over a few real filings."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

LEASE_TEXT = """ACME WIDGETS, INC.
ANNUAL REPORT ON FORM 10-K FOR THE FISCAL YEAR ENDED DECEMBER 31, 2024

Liquidity and Capital Resources
As of December 31, 2024, we had cash, cash equivalents and marketable securities of $4,318 million.
We lease our headquarters in Denver under an operating lease that expires in 2031.
See Note 12 for the maturities of our operating lease liabilities.
\f
Note 12 - Leases
Operating lease expense was $212 million in 2024 and $198 million in 2023.
The weighted-average remaining lease term was 7.4 years.
Maturities of operating lease liabilities | 2025 | $ 61 | 2026 | $ 58
"""

RISK_TEXT = """ACME WIDGETS, INC. RISK FACTORS
Risks Related to Our Supply Chain
A single supplier in Tromso provides 61% of our beryllium housings.
The flux capacitor market is cyclical; demand fell 12% in 2023.
Beryllium prices rose sharply in the fourth quarter.
"""


@pytest.fixture()
def text_corpus(tmp_path: Path) -> Path:
    """A folder with two small plain-text filings and a Markdown note."""
    root = tmp_path / "corpus"
    (root / "sub").mkdir(parents=True)
    (root / "acme-10k-2024.txt").write_text(LEASE_TEXT, encoding="utf-8")
    (root / "sub" / "acme-risks.txt").write_text(RISK_TEXT, encoding="utf-8")
    (root / "notes.md").write_text(
        "# Board minutes\n\nThe board approved a dividend of $0.42 per share.\n"
        "Beryllium sourcing was discussed at length.\n",
        encoding="utf-8",
    )
    return root


@pytest.fixture(scope="session")
def view_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One rendered-view cache for the whole session (real filings are parsed once)."""
    return tmp_path_factory.mktemp("views")


@pytest.fixture(scope="session")
def real_corpus(sec_filings_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Copies of three real filings (a 10-Q with 'Refer to Note' references, a 10-K, an old
    10-K) in a temporary folder; the shared data stays read-only."""
    root = tmp_path_factory.mktemp("filings")
    for name in ("ko-10q-2025q2.htm", "nvda-10q-fy2026q2.htm", "medicis-10k-fy1999.htm"):
        shutil.copy(sec_filings_dir / name, root / name)
    return root
