"""What every chunker attaches to its chunks: filing metadata and resolved cross-references."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from ragkit.chunkers.references import SectionIndex, find_references
from ragkit.types import FILING_METADATA_KEYS, Chunk, Document, Section


class Chunker(Protocol):
    """Turns a parsed document into retrievable chunks."""

    name: str

    def chunk(self, doc: Document) -> list[Chunk]:
        """The chunks of `doc`, in document order."""
        ...


def base_metadata(doc: Document) -> dict[str, Any]:
    """The metadata every chunk of `doc` carries: filing facts plus `source_name`."""
    meta = {k: doc.metadata[k] for k in FILING_METADATA_KEYS if k in doc.metadata}
    meta["source_name"] = doc.metadata.get("source_name") or Path(doc.source).name
    return meta


def link_references(
    index: SectionIndex, text: str, within: Section | None
) -> tuple[tuple[str, ...], list[dict[str, Any]]]:
    """The section ids `text` refers to, and `[{"text", "label", "target"}]` per distinct reference.

    Repeated mentions of one target are listed once; unresolved mentions are kept with
    `target` None, so resolution rates can be measured.
    """
    links: list[str] = []
    references: list[dict[str, Any]] = []
    seen: set[tuple[str, str | None]] = set()
    for ref in find_references(text):
        target = index.resolve(ref, within)
        key = (ref.label, target.id if target else None)
        if key in seen:
            continue
        seen.add(key)
        references.append(
            {"text": ref.text, "label": ref.label, "target": target.id if target else None}
        )
        if target is not None and target.id not in links:
            links.append(target.id)
    return tuple(links), references
