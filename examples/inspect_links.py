"""Inspect a chunk's section path and cross-reference links ("See Note 12" -> the note).

Run: `python examples/inspect_links.py [FILE]` (default: a synthetic 10-K).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from ragkit.chunkers import HierarchicalChunker, find_references, resolve_reference  # noqa: E402
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
    chunks = HierarchicalChunker().chunk(doc)

    linked = [c for c in chunks if c.links and c.section_path][:5]
    for chunk in linked:
        print(" > ".join(chunk.section_path))
        print("   ", chunk.text[:160].replace("\n", " "), "...")
        for ref in chunk.metadata["references"]:
            target = doc.section(ref["target"]) if ref["target"] else None
            where = " > ".join(target.path) if target else "(not in this document)"
            print(f"    {ref['text']!r} -> {where}")
        print()

    # The same functions work on any text, e.g. inside an agent's `follow` tool:
    for ref in find_references("Refer to Note 7 and Part II, Item 7A for details."):
        section = resolve_reference(doc, ref)
        print(f"{ref.label}: {section.title if section else 'unresolved'}")


if __name__ == "__main__":
    main()
