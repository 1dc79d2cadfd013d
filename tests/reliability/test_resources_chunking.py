"""Chunking memory stays linear and small on huge prose (a 20 MB one-paragraph Markdown used
to take 10.6 GB): measured as peak-RSS growth in a fresh process."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ragkit.chunkers import get_tokenizer
from ragkit.chunkers.naive import token_offsets
from ragkit.chunkers.text_units import text_segments

PARA = (
    "Operating lease expense was $212 million in fiscal 2024, up from $198 million, as we "
    "opened 14 new distribution sites in Denver and Tromso; see Note 12 for the maturities. "
)

_MEASURE = r"""
import json, resource, sys
from ragkit.chunkers import get_chunker
from ragkit.parsers import parse_markdown
chunker = get_chunker(sys.argv[1])
chunker.chunk(parse_markdown("# Warm up\n\nA short paragraph to load the tokenizer."))
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
text = "# Annual report\n\n" + sys.argv[2] * int(sys.argv[3])
chunks = chunker.chunk(parse_markdown(text))
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"growth_mb": (peak - base) / 1024, "chunks": len(chunks),
                  "chars": sum(len(c.text) for c in chunks), "text": len(text)}))
"""


@pytest.mark.parametrize("chunker", ["hierarchical", "naive"])
def test_one_huge_paragraph_chunks_in_bounded_memory(chunker: str) -> None:
    repeats = 1_500_000 // len(PARA)  # 1.5 MB in one paragraph
    proc = subprocess.run(
        [sys.executable, "-c", _MEASURE, chunker, PARA, str(repeats)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    row = json.loads(proc.stdout.strip().splitlines()[-1])
    # the text and its chunks (with overlap) alone are ~2 x 1.5 MB; offsets of the whole
    # paragraph as Python tuples plus its encoding took ~280 MB before
    assert row["growth_mb"] < 80, row
    assert row["chunks"] > 1000 and row["chars"] >= 0.95 * row["text"], row


def test_segmented_offsets_equal_whole_text_offsets() -> None:
    tok = get_tokenizer()
    text = (
        "Net revenues rose 12% to $97,690 million.\n\n" + PARA
    ) * 800 + "supercalifragilistic" * 50
    whole = [tuple(o) for o in tok.offsets(text)]
    streamed = token_offsets(tok, text)
    assert len(streamed) == len(whole)
    assert list(streamed) == whole
    spans = text_segments(text, 2_000)
    assert spans[0][0] == 0 and spans[-1][1] == len(text)
    assert all(b - a <= 2_000 and a < b for a, b in spans)
    assert all(spans[i][1] == spans[i + 1][0] for i in range(len(spans) - 1))
