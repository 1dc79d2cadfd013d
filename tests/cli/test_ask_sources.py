"""`ragkit ask` printed output: every [n] in the answer is a listed source, each source once."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ragkit.cli import main


def test_ask_citations_match_the_sources_list(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "acme.md").write_text(
        "# Overview\n\nAcme Inc. makes industrial widgets in Ohio and Texas.\n\n"
        "# Segments\n\nThe Tools segment makes hand tools. The Services segment repairs them.\n\n"
        "# Leases\n\nLease cost was $41.5 million in 2024 and leases run through 2031.\n\n"
        "# Sales by region\n\nNet sales in the U.S. rose 4.5% to $2.1 billion in fiscal 2024. "
        "Net sales outside the U.S. were flat at $0.9 billion in fiscal 2024.\n",
        encoding="utf-8",
    )
    question = "How did net sales in the U.S. and outside the U.S. change in fiscal 2024?"
    assert main(["ask", str(docs), question]) == 0
    out = capsys.readouterr().out
    answer, _, sources = out.partition("\nSources:\n")
    listed = re.findall(r"^\s+\[(\d+)\] (.+)$", sources, re.M)
    assert listed, out
    assert [int(n) for n, _ in listed] == list(range(1, len(listed) + 1))
    assert len({line for _, line in listed}) == len(listed)  # each chunk listed once
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", answer)}
    assert cited and cited <= set(range(1, len(listed) + 1))
    assert "Net sales in the U.S. rose 4.5% to $2.1 billion in fiscal 2024. [1]" in answer
