"""A small hybrid index over realistic 10-K passages, built once per session."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from ragkit.types import Chunk
from tests.rerankers.models import seeded_cross_encoder_dir

DOC = "acme-10k-2024"
NOTE12 = "sec-note-12"


def _chunk(
    cid: str,
    text: str,
    path: tuple[str, ...],
    section: str,
    pos: int,
    links: tuple[str, ...] = (),
    doc: str = DOC,
    **meta: Any,
) -> Chunk:
    metadata = {"form_type": "10-K", "fiscal_year": 2024, "ticker": "ACME", **meta}
    return Chunk(
        id=cid,
        doc_id=doc,
        text=text,
        section_path=path,
        section_id=section,
        position=pos,
        links=links,
        metadata=metadata,
    )


CHUNKS = [
    _chunk(
        "liq",
        "Our principal sources of liquidity are cash from operations and borrowings "
        "under the revolving credit facility. For the maturities of our senior notes, "
        "see Note 12.",
        ("Part II", "Item 7", "Liquidity and Capital Resources"),
        "sec-item7-liq",
        20,
        links=(NOTE12,),
    ),
    _chunk(
        "rev",
        "Total net revenue increased 8% to $4.2 billion in fiscal 2024, driven by "
        "subscription growth of 12%.",
        ("Part II", "Item 7", "Results of Operations"),
        "sec-item7-res",
        10,
    ),
    _chunk(
        "n12a",
        "Note 12 - Debt. Long-term debt consisted of $1.5 billion of 4.5% senior "
        "notes due 2029 and $0.5 billion of term loans.",
        ("Part II", "Item 8", "Note 12"),
        NOTE12,
        40,
    ),
    _chunk(
        "n12b",
        "Scheduled principal payments are $50 million in 2025, $50 million in 2026 "
        "and $1.4 billion thereafter.",
        ("Part II", "Item 8", "Note 12"),
        NOTE12,
        41,
    ),
    _chunk(
        "lease",
        "The Company leases its headquarters in Austin, Texas under an operating "
        "lease expiring in 2031.",
        ("Part I", "Item 2", "Properties"),
        "sec-item2",
        5,
    ),
    _chunk(
        "risk",
        "Competition in cloud services may reduce our margins and market share.",
        ("Part I", "Item 1A", "Risk Factors"),
        "sec-item1a",
        3,
    ),
    _chunk(
        "cyber",
        "A cybersecurity incident could disrupt operations and harm our reputation.",
        ("Part I", "Item 1A", "Risk Factors"),
        "sec-item1a",
        4,
    ),
    _chunk(
        "tax",
        "The effective tax rate was 21.3% compared with 19.8% in the prior year.",
        ("Part II", "Item 8", "Note 9 - Income Taxes"),
        "sec-note-9",
        35,
    ),
    _chunk(
        "beta-rev",
        "Beta Corp revenue declined 4% to $900 million in the first quarter.",
        ("Part I", "Item 2", "MD&A"),
        "beta-item2",
        2,
        doc="beta-10q-q1",
        form_type="10-Q",
        ticker="BETA",
    ),
]


@pytest.fixture(scope="session")
def hybrid_index() -> Any:
    """A HybridIndex (BM25 + packaged MiniLM) over the passages above."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from ragkit.indexes import HybridIndex

    return HybridIndex.build(CHUNKS, index_type="flat")


@pytest.fixture(scope="session")
def cross_encoder_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The packaged MiniLM with a seeded, untrained cross-encoder head, saved to a folder."""
    return seeded_cross_encoder_dir(tmp_path_factory.mktemp("models"))
