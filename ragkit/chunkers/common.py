"""What every chunker attaches to its chunks: filing metadata, resolved cross-references and
the financial statement a chunk belongs to."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from ragkit.chunkers.references import SectionIndex, find_references
from ragkit.chunkers.tokenizer import TokenCounter, get_tokenizer
from ragkit.errors import ConfigError
from ragkit.parsers.statements import statement_title
from ragkit.types import STATEMENT_PAGES_KEY, Chunk, Document, Section


class Chunker(Protocol):
    """Turns a parsed document into retrievable chunks."""

    name: str

    def chunk(self, doc: Document) -> list[Chunk]:
        """The chunks of `doc`, in document order."""
        ...


class TokenBudget:
    """Token limit, overlap and a lazily loaded tokenizer, shared by the chunkers.

    `min_tokens` differs per chunker (a hierarchical chunk must leave room for its path line).
    """

    def __init__(
        self,
        max_tokens: int,
        overlap_tokens: int,
        tokenizer: TokenCounter | str | None,
        min_tokens: int,
    ) -> None:
        if not isinstance(max_tokens, int) or max_tokens < min_tokens:
            raise ConfigError(f"max_tokens must be an int >= {min_tokens}, got {max_tokens!r}")
        if not isinstance(overlap_tokens, int) or not 0 <= overlap_tokens <= max_tokens // 2:
            raise ConfigError(
                f"overlap_tokens must be an int in [0, max_tokens // 2 = {max_tokens // 2}], "
                f"got {overlap_tokens!r}"
            )
        self.max_tokens = max_tokens
        self.overlap_tokens = overlap_tokens
        self._tokenizer_spec = tokenizer
        self._tokenizer: TokenCounter | None = (
            tokenizer if isinstance(tokenizer, TokenCounter) else None
        )

    @property
    def tokenizer(self) -> TokenCounter:
        """The token counter (loaded on first use)."""
        if self._tokenizer is None:
            self._tokenizer = get_tokenizer(self._tokenizer_spec)
        return self._tokenizer


#: document metadata that stays on the document (parser details, per-page maps)
_DOCUMENT_ONLY = frozenset({STATEMENT_PAGES_KEY, "encoding", "format", "page_count"})


def _flat(value: Any) -> bool:
    scalar = (str, int, float, bool)
    return isinstance(value, scalar) or (
        isinstance(value, list) and all(isinstance(v, scalar) for v in value)
    )


def base_metadata(doc: Document) -> dict[str, Any]:
    """The metadata every chunk of `doc` carries: the document's own (filing facts, front
    matter, sidecar fields, `Document(metadata=...)`: scalars and lists of them, so that
    filters can use any key) plus `source_name`."""
    meta = {k: v for k, v in doc.metadata.items() if k not in _DOCUMENT_ONLY and _flat(v)}
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


def statement_of(
    doc: Document,
    page_start: int | None,
    page_end: int | None,
    titles: tuple[str, ...] = (),
) -> str | None:
    """The financial statement a chunk belongs to ("balance_sheet", ...), or None.

    Paged text knows its statement pages (`STATEMENT_PAGES_KEY`): a chunk touching one belongs
    to it. Otherwise (HTML) a table chunk belongs to the statement its `titles` name (its
    caption, then its section titles, nearest first); callers pass no titles for prose.
    """
    pages = doc.metadata.get(STATEMENT_PAGES_KEY)
    if pages is not None:
        if page_start is None:
            return None
        end = page_end if page_end is not None else page_start
        return next((pages[str(p)] for p in range(page_start, end + 1) if str(p) in pages), None)
    return next((k for title in titles if (k := statement_title(title))), None)
