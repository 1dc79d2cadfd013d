"""`ragkit ask`'s answers: every [n] names a listed source, sources are unique, and sentences
are not cut at abbreviations ("U.S.", "Inc.", "No.") or decimals."""

from __future__ import annotations

import re

import pytest

from ragkit.generators.context import cite
from ragkit.generators.extractive import ExtractiveGenerator, sentences
from ragkit.types import Chunk


def _chunk(cid: str, text: str, path: tuple[str, ...] = ("Item 7",)) -> Chunk:
    return Chunk(id=cid, doc_id="acme-10k", text=text, section_path=path)


CONTEXTS = [
    _chunk("overview", "Acme Inc. sells industrial widgets. It was founded in 1952 in Ohio."),
    _chunk("segments", "The company reports two segments. Tools and Services are both profitable."),
    _chunk("leases", "Lease cost was $41.5 million. Leases run through 2031 in most cases."),
    _chunk(
        "us-sales",
        "Net sales in the U.S. rose 4.5% to $2.1 billion in fiscal 2024, led by Tools. "
        "Sales outside the U.S. were flat at $0.9 billion.",
    ),
    # the same chunk listed twice, as a fused result list can hold it under two stages
    _chunk(
        "us-sales",
        "Net sales in the U.S. rose 4.5% to $2.1 billion in fiscal 2024, led by Tools. "
        "Sales outside the U.S. were flat at $0.9 billion.",
    ),
]


def _markers(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"\[(\d+)\]", text)]


def test_markers_point_at_listed_unique_sources() -> None:
    answer = ExtractiveGenerator(max_sentences=3).generate(
        "How did net sales in the U.S. and outside the U.S. change in fiscal 2024?", CONTEXTS
    )
    ids = [c.chunk_id for c in answer.citations]
    assert len(ids) == len(set(ids))
    assert ids[0] == "us-sales"
    assert set(_markers(answer.text)) == set(range(1, len(ids) + 1))
    # both U.S. sentences come from one chunk: one source, quoted in full, cited as [1]
    assert "Net sales in the U.S. rose 4.5% to $2.1 billion in fiscal 2024, led by Tools. [1]" in (
        answer.text
    )
    assert answer.text.count("Sales outside the U.S. were flat") == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Acme Inc. reported sales of $383.3 billion in the U.S. and abroad. Margins rose.",
            ["Acme Inc. reported sales of $383.3 billion in the U.S. and abroad.", "Margins rose."],
        ),
        (
            "See Note No. 12 for details. Revenue grew 2.5% vs. last year.",
            ["See Note No. 12 for details.", "Revenue grew 2.5% vs. last year."],
        ),
        (
            "Total assets | 1,234.5 | 1,100.2\nTotal liabilities | 800.1 | 790.0",
            ["Total assets | 1,234.5 | 1,100.2", "Total liabilities | 800.1 | 790.0"],
        ),
    ],
)
def test_sentences_know_abbreviations_and_decimals(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


def test_cite_renumbers_labels_in_order_of_first_mention() -> None:
    a, b, c = CONTEXTS[0], CONTEXTS[1], CONTEXTS[2]
    text, citations = cite(
        "Widgets [3]. Two segments [1][3]. Leases [2, 3]. Made up [9].", {1: b, 2: c, 3: a, 4: a}
    )
    assert text == "Widgets [1]. Two segments [2][1]. Leases [3][1]. Made up."
    assert [x.chunk_id for x in citations] == ["overview", "segments", "leases"]
    text, citations = cite("Same chunk under two labels [3][4].", {3: a, 4: a})
    assert text == "Same chunk under two labels [1]." and len(citations) == 1
