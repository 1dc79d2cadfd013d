"""The small, frozen types every stage exchanges: Block, Section, Document, Chunk, Hit, Trace,
and the one `Retriever` contract every searchable thing in ragkit satisfies.

Ids are derived from content and position with sha256 (`stable_id`), never random, so that
re-parsing and re-indexing the same corpus yields the same ids.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

BlockKind = Literal["paragraph", "table", "heading", "list_item"]
SectionKind = Literal["document", "part", "item", "note", "heading"]
ChunkKind = Literal["prose", "table", "mixed"]

#: Keys of the filing metadata that parsers fill in `Document.metadata` (absent when unknown).
#: form_type "10-K"; period_end ISO date "2024-12-31"; fiscal_year int; fiscal_period "FY"|"Q1"..;
#: company; cik (10 digits, zero-padded); ticker.
FILING_METADATA_KEYS: tuple[str, ...] = (
    "form_type",
    "period_end",
    "fiscal_year",
    "fiscal_period",
    "company",
    "cik",
    "ticker",
)

#: `Document.metadata` key of a paged document's financial-statement pages: {"57": "balance_sheet"}
#: (see `ragkit.parsers.statements`); chunks on those pages carry `metadata["statement"]`.
STATEMENT_PAGES_KEY = "statement_pages"

#: The separator used when a section path is written as one string.
PATH_SEPARATOR = " > "


def stable_id(*parts: object, length: int = 16) -> str:
    """A deterministic hex id from the given parts (sha256 of their joined reprs)."""
    joined = "\x1f".join(str(p) for p in parts)
    # surrogatepass: a file name that is not UTF-8 (lone surrogates) still gets an id
    digest = hashlib.sha256(joined.encode("utf-8", errors="surrogatepass")).hexdigest()
    return digest[:length]


def render_table(rows: tuple[tuple[str, ...], ...]) -> str:
    """Render table rows one per line with cells joined by `` | `` (the CLI's table rule)."""
    return "\n".join(" | ".join(cell for cell in row if cell) for row in rows if any(row))


@dataclass(frozen=True, slots=True)
class Block:
    """A unit of a section's content: a paragraph, table, heading or list item.

    For tables, `rows` holds every row (cleaned cells, document order) and the first
    `header_rows` of them are headers; `text` is the rendered table. `footnotes` holds the
    footnote texts that markers in the table such as (1), (a) or * refer to.
    """

    kind: BlockKind
    text: str
    rows: tuple[tuple[str, ...], ...] = ()
    header_rows: int = 0
    caption: str = ""
    footnotes: tuple[str, ...] = ()
    page: int | None = None

    @classmethod
    def table(
        cls,
        rows: tuple[tuple[str, ...], ...],
        header_rows: int = 0,
        caption: str = "",
        footnotes: tuple[str, ...] = (),
        page: int | None = None,
    ) -> Block:
        """Build a table block whose text is the rendered rows."""
        return cls("table", render_table(rows), rows, header_rows, caption, footnotes, page)

    @property
    def visible_text(self) -> str:
        """The block as it reads on the page: a table's rows, then the footnotes the parser
        lifted into it (`text` is the rows alone)."""
        return "\n".join((self.text, *self.footnotes)) if self.footnotes else self.text


@dataclass(frozen=True, slots=True)
class Section:
    """A node of a document's section tree.

    `path` lists the titles from the top-level section down to this one (the root's path is
    empty). `kind` tells parts, items and notes apart from plain headings, and `number` holds
    their number as written ("II", "7A", "12") so that cross-references can be resolved.
    """

    id: str
    title: str
    level: int
    path: tuple[str, ...]
    kind: SectionKind = "heading"
    number: str | None = None
    blocks: tuple[Block, ...] = ()
    children: tuple[Section, ...] = ()
    page_start: int | None = None
    page_end: int | None = None

    def walk(self) -> Iterator[Section]:
        """This section and all its descendants, depth first in document order."""
        stack: list[Section] = [self]
        while stack:
            section = stack.pop()
            yield section
            stack.extend(reversed(section.children))

    @property
    def path_text(self) -> str:
        """The path as one string, e.g. "Part II > Item 7 > Liquidity"."""
        return PATH_SEPARATOR.join(self.path)

    def text(self, recursive: bool = True) -> str:
        """The section's visible text (its blocks, then its children's when recursive)."""
        parts = [b.visible_text for b in self.blocks]
        if recursive:
            parts.extend(c.title + "\n" + c.text() for c in self.children)
        return "\n\n".join(p for p in parts if p)


@dataclass(frozen=True, slots=True)
class Document:
    """A parsed document: its section tree plus metadata (filing facts, format, source)."""

    id: str
    source: str
    root: Section
    metadata: dict[str, Any] = field(default_factory=dict)

    def sections(self) -> Iterator[Section]:
        """Every section below the root, depth first in document order."""
        for child in self.root.children:
            yield from child.walk()

    def section(self, section_id: str) -> Section | None:
        """The section with this id, or None."""
        return next((s for s in self.root.walk() if s.id == section_id), None)

    @property
    def text(self) -> str:
        """The whole visible text in document order."""
        return self.root.text()


@dataclass(frozen=True, slots=True)
class Chunk:
    """A retrievable passage: text from one section, with its path, pages, links and metadata.

    `text` is the passage body; `search_text` prefixes it with the section path, and is what
    both retrievers index, so a query naming a section can match it. `links` holds the ids of
    sections in the same document that the text refers to ("See Note 12").
    """

    id: str
    doc_id: str
    text: str
    section_path: tuple[str, ...] = ()
    section_id: str = ""
    kind: ChunkKind = "prose"
    page_start: int | None = None
    page_end: int | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    links: tuple[str, ...] = ()
    position: int = 0
    n_tokens: int = 0

    @property
    def search_text(self) -> str:
        """The text both retrievers index: section path line, then the body."""
        if not self.section_path:
            return self.text
        return PATH_SEPARATOR.join(self.section_path) + "\n" + self.text

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict (the CLI's and the index store's chunk format)."""
        return {
            "id": self.id,
            "doc_id": self.doc_id,
            "text": self.text,
            "section_path": list(self.section_path),
            "section_id": self.section_id,
            "kind": self.kind,
            "page_start": self.page_start,
            "page_end": self.page_end,
            "links": list(self.links),
            "metadata": self.metadata,
            "position": self.position,
            "n_tokens": self.n_tokens,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Chunk:
        """Inverse of `to_dict`."""
        return cls(
            id=data["id"],
            doc_id=data["doc_id"],
            text=data["text"],
            section_path=tuple(data.get("section_path", ())),
            section_id=data.get("section_id", ""),
            kind=data.get("kind", "prose"),
            page_start=data.get("page_start"),
            page_end=data.get("page_end"),
            metadata=dict(data.get("metadata", {})),
            links=tuple(data.get("links", ())),
            position=int(data.get("position", 0)),
            n_tokens=int(data.get("n_tokens", 0)),
        )


@dataclass(frozen=True, slots=True)
class Hit:
    """One ranked result: a chunk id with its score and 1-based rank at the stage `source`.

    `scores` keeps every earlier stage's score ({"bm25": 12.1, "dense": 0.61, "rrf": 0.03})
    for later analysis; `chunk` carries the chunk itself when the stage has it.
    """

    chunk_id: str
    score: float
    rank: int
    source: str
    chunk: Chunk | None = None
    scores: dict[str, float] = field(default_factory=dict)


@runtime_checkable
class Retriever(Protocol):
    """The contract of everything that searches: BM25, dense and hybrid indexes, a routed
    retriever, the pipeline, an agent. One call serves a batch of queries.

    `search` returns, per query and in query order, at most `k` hits ranked 1.. best first.
    `filters` restrict the candidates by chunk metadata (``{"doc_id": [...]}``, see
    `ragkit.indexes.filters`). Empty or non-string queries, a bare string instead of a list,
    and k < 1 raise `ragkit.errors.QueryError`; an empty list of queries returns [].
    """

    def search(
        self, queries: Sequence[str], k: int, filters: Mapping[str, Any] | None = None
    ) -> list[list[Hit]]:
        """For each query, its top-k hits, best first."""
        ...


@dataclass(frozen=True, slots=True)
class StageRecord:
    """What one pipeline stage did for one query: candidates in and out, and its latency."""

    stage: str
    latency_ms: float
    n_in: int
    hits_out: tuple[tuple[str, int, float], ...]  # (chunk_id, rank, score)
    info: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Trace:
    """The per-stage record of one retrieval; stages append to it in order."""

    query: str
    stages: list[StageRecord] = field(default_factory=list)

    def add(self, stage: str, latency_ms: float, n_in: int, hits: list[Hit], **info: Any) -> None:
        """Record a stage's output hits."""
        out = tuple((h.chunk_id, h.rank, h.score) for h in hits)
        self.stages.append(StageRecord(stage, latency_ms, n_in, out, dict(info)))

    def stage(self, name: str) -> StageRecord | None:
        """The first record of the named stage, or None."""
        return next((s for s in self.stages if s.stage == name), None)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict."""
        return {
            "query": self.query,
            "stages": [
                {
                    "stage": s.stage,
                    "latency_ms": s.latency_ms,
                    "n_in": s.n_in,
                    "hits": [{"id": i, "rank": r, "score": sc} for i, r, sc in s.hits_out],
                    "info": s.info,
                }
                for s in self.stages
            ],
        }
