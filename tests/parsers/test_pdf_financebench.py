"""The PDF parser against the pdftotext extractions the project uses today (FinanceBench
`text/`): same page count, similar text on every page, the same parts, items and notes on
the same pages, and the same financial-statement pages. Skips without the shared data."""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import pytest

pytest.importorskip("pypdfium2", reason="the pdf extra (pypdfium2) is not installed")

from ragkit.parsers.pdf import parse_pdf, pdf_pages  # noqa: E402
from ragkit.parsers.text_pages import parse_text_pages  # noqa: E402
from ragkit.types import STATEMENT_PAGES_KEY  # noqa: E402

pytestmark = pytest.mark.data
#: the three smallest of the 10 PDFs (all 10: `python benchmarks/pdf_parsing.py`)
FAST = ["BESTBUY_2023_10K", "BESTBUY_2024Q2_10Q", "ULTABEAUTY_2023Q4_EARNINGS"]


def page_similarity(a: str, b: str) -> float:
    """Word-sequence similarity of two page texts (1.0 for two empty pages)."""
    wa, wb = re.findall(r"\w+", a.lower()), re.findall(r"\w+", b.lower())
    if not wa and not wb:
        return 1.0
    return difflib.SequenceMatcher(None, wa, wb, autojunk=False).ratio()


def _compare(financebench_dir: Path, name: str) -> None:
    pdf = financebench_dir / "pdfs" / f"{name}.pdf"
    txt = financebench_dir / "text" / f"{name}.txt"
    if not pdf.exists() or not txt.exists():
        pytest.skip(f"{name}: PDF or text extraction missing under {financebench_dir}")
    text = txt.read_text(encoding="utf-8")
    ref_pages = text.split("\f")
    if ref_pages and not ref_pages[-1].strip():
        ref_pages.pop()
    pages = pdf_pages(pdf)
    assert len(pages) == len(ref_pages)
    sims = [page_similarity(a, b) for a, b in zip(pages, ref_pages, strict=True)]
    assert sum(sims) / len(sims) >= 0.78
    assert sum(s >= 0.5 for s in sims) >= 0.9 * len(sims)
    doc, ref = parse_pdf(pdf, doc_id=name), parse_text_pages(text, doc_id=name)

    def structural(d: object) -> dict[tuple[str, str | None], int | None]:
        return {(s.kind, s.number): s.page_start for s in d.sections() if s.kind != "heading"}  # type: ignore[attr-defined]

    got, want = structural(doc), structural(ref)
    same = [k for k in want if k in got and got[k] == want[k]]
    assert len(same) >= 0.9 * len(want), (sorted(set(want) - set(same)), len(want))
    assert len(got) <= len(want) + 3
    statements = doc.metadata.get(STATEMENT_PAGES_KEY, {})
    wanted = ref.metadata.get(STATEMENT_PAGES_KEY, {})
    agree = sum(statements.get(p) == kind for p, kind in wanted.items())
    assert agree >= len(wanted) - 1


@pytest.mark.parametrize("name", FAST)
def test_pdf_matches_text_extraction(financebench_dir: Path, name: str) -> None:
    _compare(financebench_dir, name)
