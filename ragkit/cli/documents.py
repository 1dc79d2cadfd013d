"""`ragkit outline` and `ragkit chunk`: a document's section tree and its chunks.

Thin layer over `ragkit.parsers.load_document` and `ragkit.chunkers.get_chunker`; with
`--json` the output is machine-readable (one object for outline, JSON Lines for chunk).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

from ragkit.types import Document, Section


def register(subparsers: Any) -> None:
    """Add the `outline` and `chunk` commands."""
    outline = subparsers.add_parser(
        "outline",
        help="print a document's section tree",
        description="Parse FILE and print its section tree (Part > Item > headings > notes).",
    )
    outline.add_argument("file", metavar="FILE", help="an EDGAR HTML, paged text or Markdown file")
    outline.add_argument(
        "--json",
        action="store_true",
        help="one JSON object: title, path, id, page_start/page_end, children, and metadata",
    )
    outline.set_defaults(func=_outline)

    chunk = subparsers.add_parser(
        "chunk",
        help="split documents into chunks",
        description="Parse each FILE and print its chunks with their section paths.",
    )
    chunk.add_argument("files", metavar="FILE", nargs="+", help="files or folders to chunk")
    chunk.add_argument(
        "--chunker",
        choices=("hierarchical", "naive"),
        default="hierarchical",
        help="hierarchical (section-aware, the default) or naive (fixed token windows)",
    )
    chunk.add_argument(
        "--max-tokens",
        type=int,
        default=256,
        metavar="N",
        help="token limit of a chunk, path line and special tokens included (default 256)",
    )
    chunk.add_argument(
        "--overlap-tokens",
        type=int,
        default=32,
        metavar="N",
        help="token overlap between consecutive pieces of long text (default 32)",
    )
    chunk.add_argument("--json", action="store_true", help="JSON Lines, one chunk per line")
    chunk.set_defaults(func=_chunk)


def section_to_dict(section: Section) -> dict[str, Any]:
    """A section and its descendants as JSON-safe dicts (the `outline --json` format)."""
    node: dict[str, Any] = {
        "title": section.title,
        "path": list(section.path),
        "id": section.id,
        "kind": section.kind,
    }
    if section.number is not None:
        node["number"] = section.number
    if section.page_start is not None:
        node["page_start"] = section.page_start
    if section.page_end is not None:
        node["page_end"] = section.page_end
    node["children"] = [section_to_dict(c) for c in section.children]
    return node


def outline_to_dict(doc: Document) -> dict[str, Any]:
    """The whole outline of `doc`: the root node plus `doc_id` and the filing `metadata`."""
    node = section_to_dict(doc.root)
    node["title"] = doc.root.title or str(doc.metadata.get("source_name") or doc.id)
    node["doc_id"] = doc.id
    node["metadata"] = doc.metadata
    return node


def _print_tree(section: Section, out: TextIO, depth: int = 0) -> None:
    for child in section.children:
        pages = ""
        if child.page_start is not None:
            end = child.page_end if child.page_end is not None else child.page_start
            pages = (
                f"  [p. {child.page_start}]"
                if end == child.page_start
                else (f"  [pp. {child.page_start}-{end}]")
            )
        out.write(f"{'  ' * depth}{child.title}{pages}\n")
        _print_tree(child, out, depth + 1)


def _outline(args: argparse.Namespace) -> int:
    from ragkit.parsers import load_document

    doc = load_document(args.file)
    out = sys.stdout
    if args.json:
        out.write(json.dumps(outline_to_dict(doc), ensure_ascii=False, default=str) + "\n")
        return 0
    meta = ", ".join(f"{k}={v}" for k, v in doc.metadata.items())
    out.write(f"{doc.id}  ({meta})\n")
    _print_tree(doc.root, out, 1)
    return 0


def _chunk(args: argparse.Namespace) -> int:
    from ragkit.chunkers import get_chunker
    from ragkit.parsers import load

    chunker = get_chunker(
        args.chunker, max_tokens=args.max_tokens, overlap_tokens=args.overlap_tokens
    )
    out = sys.stdout
    for doc in load(args.files):
        for chunk in chunker.chunk(doc):
            if args.json:
                row = chunk.to_dict()
                out.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
                continue
            pages = ""
            if chunk.page_start is not None:
                pages = f"  pages {chunk.page_start}-{chunk.page_end}"
            header = " > ".join(chunk.section_path) or "(document)"
            out.write(
                f"=== {chunk.doc_id} #{chunk.position}  [{chunk.kind}, "
                f"{chunk.n_tokens} tokens{pages}]\n"
            )
            out.write(f"--- {header}\n{chunk.text}\n")
            if chunk.links:
                out.write(f"--- links: {', '.join(chunk.links)}\n")
            out.write("\n")
    return 0
