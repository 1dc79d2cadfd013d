"""Parse a filing and chunk it: the section tree, then the first chunks with their paths.

Run: `python examples/parse_and_chunk.py [FILE]` (default: a synthetic 10-K written to a
temporary folder, or pass any EDGAR .htm, form-feed .txt or Markdown file).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from ragkit.chunkers import HierarchicalChunker  # noqa: E402
from ragkit.parsers import load_document  # noqa: E402


def _sample_file() -> Path:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.synthetic import synthetic_10k_html

    path = Path(tempfile.mkdtemp()) / "acme-10k-fy2024.htm"
    path.write_text(synthetic_10k_html(), encoding="utf-8")
    return path


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else _sample_file()
    doc = load_document(path)
    print(
        f"{doc.id}: {doc.metadata.get('company')} {doc.metadata.get('form_type')} "
        f"for {doc.metadata.get('period_end')}"
    )
    for section in doc.sections():
        if section.kind in ("part", "item", "note"):
            print("  " * (len(section.path) - 1) + section.title)

    chunker = HierarchicalChunker(max_tokens=256, overlap_tokens=32)
    chunks = chunker.chunk(doc)
    print(f"\n{len(chunks)} chunks; the first table chunk:\n")
    table = next(c for c in chunks if c.kind != "prose")
    print(table.search_text)  # path line + body: what the retrievers index
    print(f"\n[{table.kind}, {table.n_tokens} tokens, pages {table.page_start}-{table.page_end}]")


if __name__ == "__main__":
    main()
