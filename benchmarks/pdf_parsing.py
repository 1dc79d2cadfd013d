"""Benchmark: the PDF parser (pypdfium2) against the pdftotext extractions FinanceBench uses.

For each of the 10 FinanceBench PDFs prints: pages (PDF / text), mean and lowest per-page
word similarity, parts/items/notes found with the same start page as in the text extraction,
statement pages that agree, and pages per second for text extraction and for the full parse.

    .venv/bin/python benchmarks/pdf_parsing.py [--data DIR]
"""

from __future__ import annotations

import argparse
import difflib
import re
import time
from pathlib import Path

from ragkit.parsers.pdf import parse_pdf, pdf_pages
from ragkit.parsers.text_pages import parse_text_pages
from ragkit.settings import data_dir
from ragkit.types import STATEMENT_PAGES_KEY, Document


def _similarity(a: str, b: str) -> float:
    wa, wb = re.findall(r"\w+", a.lower()), re.findall(r"\w+", b.lower())
    if not wa and not wb:
        return 1.0
    return difflib.SequenceMatcher(None, wa, wb, autojunk=False).ratio()


def _structural(doc: Document) -> dict[tuple[str, str | None], int | None]:
    return {(s.kind, s.number): s.page_start for s in doc.sections() if s.kind != "heading"}


def _row(pdf: Path, txt: Path) -> tuple[str, ...]:
    text = txt.read_text(encoding="utf-8")
    ref_pages = text.split("\f")
    if ref_pages and not ref_pages[-1].strip():
        ref_pages.pop()
    t0 = time.perf_counter()
    pages = pdf_pages(pdf)
    t_text = time.perf_counter() - t0
    t0 = time.perf_counter()
    doc = parse_pdf(pdf, doc_id=pdf.stem)
    t_parse = time.perf_counter() - t0
    ref = parse_text_pages(text, doc_id=pdf.stem)
    sims = [_similarity(a, b) for a, b in zip(pages, ref_pages, strict=False)]
    got, want = _structural(doc), _structural(ref)
    same = sum(got.get(k, -1) == v for k, v in want.items())
    st, st_ref = (
        doc.metadata.get(STATEMENT_PAGES_KEY, {}),
        ref.metadata.get(STATEMENT_PAGES_KEY, {}),
    )
    st_same = sum(st.get(p) == kind for p, kind in st_ref.items())
    return (
        pdf.stem,
        f"{len(pages)}/{len(ref_pages)}",
        f"{sum(sims) / len(sims):.3f}",
        f"{min(sims):.3f}",
        f"{same}/{len(want)} (+{len(set(got) - set(want))})",
        f"{st_same}/{len(st_ref)}",
        f"{len(pages) / t_text:.0f}",
        f"{len(pages) / t_parse:.0f}",
    )


def main() -> None:
    """Print the comparison table for every PDF that has a text extraction."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None, help="the shared data folder")
    args = parser.parse_args()
    root = (args.data or data_dir()) / "financebench"
    header = (
        "document",
        "pages pdf/txt",
        "page sim mean",
        "page sim min",
        "parts/items/notes same page",
        "statement pages",
        "text pages/s",
        "parse pages/s",
    )
    print("| " + " | ".join(header) + " |")
    print("|" + " --- |" * len(header))
    for pdf in sorted((root / "pdfs").glob("*.pdf")):
        txt = root / "text" / f"{pdf.stem}.txt"
        if txt.exists():
            print("| " + " | ".join(_row(pdf, txt)) + " |")


if __name__ == "__main__":
    main()
