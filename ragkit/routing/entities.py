"""The catalog of companies and filings present in an index, for routing questions to them.

One `DocRecord` per document (company, form, period end, fiscal year/period, CIK, ticker),
built from parsed `Document`s or from chunk metadata (one entry per doc_id), optionally
supplemented by cover-page text and a user metadata file. Records are grouped into `Entity`s
(a company known under several names, tickers or CIKs is one entity), and every entity gets
the aliases a question may use: its normalised names, their distinctive prefixes ("Lockheed"),
run-together forms ("ExxonMobil"), tickers and the well-known nicknames of the lexicon ("J&J",
`Lexicon.aliases`); the lexicon's common words ("general", "american") are no prefix aliases.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from ragkit.errors import ConfigError, IndexFormatError
from ragkit.lexicon import Lexicon
from ragkit.routing.names import name_tokens, normalize_name, tokens
from ragkit.types import Chunk, Document, stable_id

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1


@dataclass(frozen=True, slots=True)
class DocRecord:
    """The routing facts of one document (None where unknown)."""

    doc_id: str
    company: str | None = None
    names: tuple[str, ...] = ()
    form_type: str | None = None
    period_end: str | None = None
    fiscal_year: int | None = None
    fiscal_period: str | None = None
    cik: str | None = None
    ticker: str | None = None
    source_name: str | None = None
    n_chunks: int = 0
    entity_id: str = ""

    @property
    def all_names(self) -> tuple[str, ...]:
        """The registrant name followed by any other names the document is known by."""
        head = (self.company,) if self.company else ()
        return head + tuple(n for n in self.names if n and n != self.company)

    @property
    def period_end_date(self) -> date | None:
        """`period_end` as a date, or None."""
        try:
            return date.fromisoformat(self.period_end) if self.period_end else None
        except ValueError:
            return None


@dataclass(frozen=True, slots=True)
class Entity:
    """A company: every name, ticker and CIK it is known by, and its documents."""

    id: str
    name: str
    names: tuple[str, ...]
    tickers: tuple[str, ...]
    ciks: tuple[str, ...]
    doc_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Alias:
    """A token sequence that names an entity in a question; `strength` 2 = full name.

    `needs_capital`: it names the company only when capitalised (a lexicon common word, or
    the first word of a longer name: "Foot" Locker, not "per square foot"); `common_word`:
    it is an ordinary English word, so a match is less sure.
    """

    tokens: tuple[str, ...]
    entity_ids: tuple[str, ...]
    strength: int
    needs_capital: bool = False
    common_word: bool = False


@dataclass
class _Group:
    records: list[DocRecord] = field(default_factory=list)


def _clean(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def record_from_metadata(doc_id: str, metadata: Mapping[str, Any], n_chunks: int = 0) -> DocRecord:
    """A DocRecord from a `Document.metadata` / `Chunk.metadata` dict (unknown keys ignored)."""
    fy = metadata.get("fiscal_year")
    try:
        fiscal_year = int(fy) if fy not in (None, "") else None
    except (TypeError, ValueError):
        fiscal_year = None
    cik = _clean(metadata.get("cik"))
    if cik is not None:
        cik = str(cik).zfill(10) if str(cik).isdigit() else str(cik)
    ticker = _clean(metadata.get("ticker"))
    names = metadata.get("names") or ()
    return DocRecord(
        doc_id=str(doc_id),
        company=_clean(metadata.get("company")),
        names=tuple(str(n) for n in names if n),
        form_type=_clean(metadata.get("form_type")),
        period_end=_clean(metadata.get("period_end")),
        fiscal_year=fiscal_year,
        fiscal_period=(_clean(metadata.get("fiscal_period")) or None),
        cik=cik,
        ticker=str(ticker).upper() if ticker else None,
        source_name=_clean(metadata.get("source_name")),
        n_chunks=n_chunks,
    )


def merge_records(primary: DocRecord, extra: Mapping[str, Any]) -> DocRecord:
    """Fill the fields `primary` lacks from `extra`; extra names are added as other names."""
    sup = record_from_metadata(primary.doc_id, extra)
    updates: dict[str, Any] = {}
    end = primary.period_end_date
    if primary.fiscal_year is None and end is not None and _annual_form(primary.form_type):
        updates["fiscal_year"] = infer_fiscal_year(end)  # the document's own date wins
        primary = replace(primary, fiscal_year=updates["fiscal_year"])
    for key in ("company", "form_type", "period_end", "fiscal_year", "fiscal_period", "cik",
                "ticker", "source_name"):  # fmt: skip
        if getattr(primary, key) is None and getattr(sup, key) is not None:
            updates[key] = getattr(sup, key)
    names = list(primary.names)
    for n in sup.all_names:
        if n and n != primary.company and n not in names:
            names.append(n)
    updates["names"] = tuple(names)
    return replace(primary, **updates)


def _annual_form(form: str | None) -> bool:
    return (form or "").upper().startswith("10-K")


def _head_text(doc: Document, limit: int = 6000) -> str:
    """The first `limit` characters of a document's visible text, without joining it all."""
    parts: list[str] = []
    size = 0
    for section in doc.root.walk():
        if section.title:
            parts.append(section.title)
            size += len(section.title)
        for block in section.blocks:
            parts.append(block.visible_text)
            size += len(block.visible_text) + 1
            if size >= limit:
                return "\n".join(parts)[:limit]
    return "\n".join(parts)[:limit]


def infer_fiscal_year(period_end: date) -> int:
    """The fiscal-year label of a year ending on `period_end` (52/53-week years ending in the
    first week of January belong to the previous year, e.g. J&J's fiscal 2022 ends Jan 1, 2023)."""
    if period_end.month == 1 and period_end.day <= 7:
        return period_end.year - 1
    return period_end.year


class EntityCatalog:
    """Companies and documents of an index, with the alias table the query analyzer matches.

    Build it with `from_documents`, `from_chunks` or `from_records`; it is JSON-serialisable
    (`to_dict` / `save`), so it can be kept beside an index folder. `lexicon` supplies the
    corporate suffixes, common words and nicknames (default: `Lexicon.default()`).
    """

    def __init__(self, records: Iterable[DocRecord], lexicon: Lexicon | None = None) -> None:
        self.lexicon = lexicon or Lexicon.default()
        recs: dict[str, DocRecord] = {}
        for r in records:
            if not isinstance(r, DocRecord):
                raise ConfigError(f"EntityCatalog takes DocRecord items; got {type(r).__name__}")
            recs[r.doc_id] = r
        self._build(list(recs.values()))

    # ----------------------------------------------------------------- construction
    @classmethod
    def from_records(
        cls, records: Iterable[DocRecord], lexicon: Lexicon | None = None
    ) -> EntityCatalog:
        """A catalog from ready-made records."""
        return cls(records, lexicon)

    @classmethod
    def from_documents(
        cls,
        docs: Iterable[Document],
        supplement: Mapping[str, Mapping[str, Any]] | None = None,
        use_cover_page: bool = True,
        lexicon: Lexicon | None = None,
    ) -> EntityCatalog:
        """A catalog from parsed documents: their metadata first, then the cover page text
        for missing facts, then `supplement` (doc_id -> metadata, e.g. a metadata file)."""
        from ragkit.routing.cover_page import cover_metadata

        records = []
        for doc in docs:
            rec = record_from_metadata(doc.id, doc.metadata)
            if use_cover_page and _incomplete(rec):
                rec = merge_records(rec, cover_metadata(_head_text(doc)))
            records.append(_supplemented(rec, supplement))
        return cls(records, lexicon)

    @classmethod
    def from_texts(
        cls,
        texts: Mapping[str, str],
        supplement: Mapping[str, Mapping[str, Any]] | None = None,
        lexicon: Lexicon | None = None,
    ) -> EntityCatalog:
        """A catalog from raw document texts (doc_id -> text), read through their cover pages."""
        from ragkit.routing.cover_page import cover_metadata

        records = []
        for doc_id, text in texts.items():
            rec = record_from_metadata(doc_id, cover_metadata(text[:8000]))
            records.append(_supplemented(rec, supplement))
        return cls(records, lexicon)

    @classmethod
    def from_chunks(
        cls,
        chunks: Iterable[Chunk | Mapping[str, Any]],
        supplement: Mapping[str, Mapping[str, Any]] | None = None,
        lexicon: Lexicon | None = None,
    ) -> EntityCatalog:
        """A catalog from chunks or chunk dicts (`Chunk.to_dict()` shape): one record per
        doc_id from the first chunk's metadata, with the number of chunks per document."""
        first: dict[str, Mapping[str, Any]] = {}
        counts: dict[str, int] = {}
        for c in chunks:
            if isinstance(c, Chunk):
                doc_id, meta = c.doc_id, c.metadata
            elif isinstance(c, Mapping) and "doc_id" in c:
                doc_id = str(c["doc_id"])
                meta = c.get("metadata", c)
            else:
                raise ConfigError(
                    f"from_chunks takes Chunk objects or dicts with a 'doc_id'; got {c!r:.80}"
                )
            first.setdefault(doc_id, meta)
            counts[doc_id] = counts.get(doc_id, 0) + 1
        records = [
            _supplemented(record_from_metadata(d, m, counts[d]), supplement)
            for d, m in first.items()
        ]
        return cls(records, lexicon)

    # ----------------------------------------------------------------- grouping
    def _build(self, records: list[DocRecord]) -> None:
        parent = list(range(len(records)))

        def find(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        def union(i: int, j: int) -> None:
            ri, rj = find(i), find(j)
            if ri != rj:
                parent[max(ri, rj)] = min(ri, rj)

        lex = self.lexicon
        seen: dict[tuple[str, str], int] = {}
        full_names: list[set[str]] = []
        for i, r in enumerate(records):
            keys = [("name", k) for n in r.all_names if (k := normalize_name(n, lex))]
            full_names.append({k for _, k in keys})
            if r.cik:
                keys.append(("cik", r.cik))
            if r.ticker:
                keys.append(("ticker", r.ticker))
            for key in keys:
                if key in seen:
                    union(i, seen[key])
                else:
                    seen[key] = i
        # "adobe" and "adobe systems": a full name that is a token prefix of another's
        by_name = {k: i for (kind, k), i in seen.items() if kind == "name"}
        for i, own_names in enumerate(full_names):
            for n in own_names:
                toks = n.split()
                for cut in range(1, len(toks)):
                    prefix = " ".join(toks[:cut])
                    j = by_name.get(prefix)
                    if j is not None and (cut > 1 or prefix not in lex.common_words):
                        union(i, j)

        groups: dict[int, list[int]] = {}
        for i in range(len(records)):
            groups.setdefault(find(i), []).append(i)

        self.docs: dict[str, DocRecord] = {}
        entities: list[Entity] = []
        for members in groups.values():
            recs = [records[i] for i in members]
            names: list[str] = []
            for r in recs:
                for n in r.all_names:
                    if n not in names:
                        names.append(n)
            tickers = sorted({r.ticker for r in recs if r.ticker})
            ciks = sorted({r.cik for r in recs if r.cik})
            id_key = (
                ciks[0] if ciks else (normalize_name(names[0], lex) if names else recs[0].doc_id)
            )
            eid = stable_id("entity", id_key, length=12)
            display = names[0] if names else recs[0].doc_id
            doc_ids = tuple(sorted(r.doc_id for r in recs))
            entities.append(
                Entity(eid, display, tuple(names), tuple(tickers), tuple(ciks), doc_ids)
            )
            for r in _infer_quarters(recs):
                self.docs[r.doc_id] = replace(r, entity_id=eid)
        self.entities: tuple[Entity, ...] = tuple(sorted(entities, key=lambda e: e.name.lower()))
        #: the entities known as companies (a name, ticker or CIK from the documents), not
        #: documents without any, which stand for themselves under their doc_id
        self.companies: tuple[Entity, ...] = tuple(
            e for e in self.entities if e.names or e.tickers or e.ciks
        )
        self._by_id = {e.id: e for e in self.entities}
        self.aliases: dict[tuple[str, ...], Alias] = _alias_table(self.entities, lex)
        self.tickers: dict[str, str] = {}
        for e in self.entities:
            for t in e.tickers:
                self.tickers.setdefault(t.upper(), e.id)
        logger.debug("catalog: %d documents, %d entities", len(self.docs), len(self.entities))

    # ----------------------------------------------------------------- queries
    def __len__(self) -> int:
        return len(self.docs)

    def entity(self, entity_id: str) -> Entity:
        """The entity with this id (KeyError when absent)."""
        return self._by_id[entity_id]

    def entity_of(self, doc_id: str) -> Entity | None:
        """The entity a document belongs to, or None for an unknown doc_id."""
        rec = self.docs.get(doc_id)
        return self._by_id.get(rec.entity_id) if rec else None

    def find(self, name: str) -> Entity | None:
        """The entity a name, alias or ticker denotes, or None (ambiguous or unknown)."""
        alias = self.aliases.get(tuple(tokens(name)))
        if alias is not None and len(alias.entity_ids) == 1:
            return self._by_id[alias.entity_ids[0]]
        eid = self.tickers.get(name.strip().upper())
        return self._by_id.get(eid) if eid else None

    def records_of(self, entity_id: str) -> list[DocRecord]:
        """The documents of an entity."""
        return [self.docs[d] for d in self._by_id[entity_id].doc_ids]

    # ----------------------------------------------------------------- persistence
    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict (records only; entities and aliases are rebuilt on load)."""
        recs = []
        for r in self.docs.values():
            d = asdict(r)
            d.pop("entity_id")
            d["names"] = list(r.names)
            recs.append(d)
        return {"type": "ragkit.routing.EntityCatalog", "format_version": FORMAT_VERSION,
                "records": recs}  # fmt: skip

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], lexicon: Lexicon | None = None) -> EntityCatalog:
        """Inverse of `to_dict` (the lexicon is not saved: pass it again)."""
        if data.get("type") != "ragkit.routing.EntityCatalog":
            raise IndexFormatError(
                f"not an entity catalog: type {data.get('type')!r}, expected "
                "'ragkit.routing.EntityCatalog'"
            )
        if int(data.get("format_version", 0)) > FORMAT_VERSION:
            raise IndexFormatError(
                f"entity catalog format {data.get('format_version')} is newer than "
                f"{FORMAT_VERSION}; upgrade ragkit"
            )
        recs = []
        for d in data.get("records", []):
            d = dict(d)
            d["names"] = tuple(d.get("names", ()))
            recs.append(DocRecord(**d))
        return cls(recs, lexicon)

    def save(self, path: str | Path) -> Path:
        """Write the catalog as JSON (atomically) and return the path."""
        p = Path(path)
        tmp = p.with_name(p.name + ".tmp")
        tmp.write_text(json.dumps(self.to_dict(), indent=1), encoding="utf-8")
        tmp.replace(p)
        return p

    @classmethod
    def load(cls, path: str | Path, lexicon: Lexicon | None = None) -> EntityCatalog:
        """Read a catalog written by `save`."""
        p = Path(path)
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise IndexFormatError(f"cannot read entity catalog {p}: {exc}") from exc
        return cls.from_dict(data, lexicon)


def _incomplete(rec: DocRecord) -> bool:
    return rec.company is None or rec.form_type is None or rec.period_end is None


def _supplemented(rec: DocRecord, supplement: Mapping[str, Mapping[str, Any]] | None) -> DocRecord:
    if not supplement:
        return rec
    extra = supplement.get(rec.doc_id)
    if extra is None and rec.source_name:
        extra = supplement.get(Path(rec.source_name).stem)
    return merge_records(rec, extra) if extra else rec


def _infer_quarters(recs: list[DocRecord]) -> list[DocRecord]:
    """Fill fiscal year/period of quarterly reports from the entity's annual period end, and
    fiscal years of annual reports from their period end."""
    annual_end: date | None = None
    for r in recs:
        if r.form_type and r.form_type.upper().startswith("10-K") and r.period_end_date:
            annual_end = r.period_end_date
    out = []
    for r in recs:
        end = r.period_end_date
        if end is None:
            out.append(r)
            continue
        updates: dict[str, Any] = {}
        form = (r.form_type or "").upper()
        if form.startswith("10-K"):
            if r.fiscal_year is None:
                updates["fiscal_year"] = infer_fiscal_year(end)
            if r.fiscal_period is None:
                updates["fiscal_period"] = "FY"
        elif form.startswith("10-Q") and (r.fiscal_year is None or r.fiscal_period is None):
            fy, q = _fiscal_quarter(end, annual_end)
            updates.setdefault("fiscal_year", r.fiscal_year or fy)
            updates.setdefault("fiscal_period", r.fiscal_period or f"Q{q}")
        elif r.fiscal_year is None:
            updates["fiscal_year"] = end.year
        out.append(replace(r, **updates) if updates else r)
    return out


def _fiscal_quarter(end: date, annual_end: date | None) -> tuple[int, int]:
    """(fiscal year, quarter) of a quarter ending on `end`, given the fiscal year-end date."""
    if annual_end is None:
        return end.year, (end.month - 1) // 3 + 1
    day = min(annual_end.day, 28)
    fy_end = next(
        d for y in (end.year, end.year + 1)
        if (d := date(y, annual_end.month, day)) >= end - timedelta(days=15)
    )  # fmt: skip
    days_left = (fy_end - end).days
    quarter = max(1, min(4, 4 - round(days_left / 91.3)))
    return infer_fiscal_year(fy_end), quarter


@functools.lru_cache(maxsize=16)
def _known_aliases(lexicon: Lexicon) -> dict[str, tuple[tuple[str, ...], ...]]:
    """The lexicon's nicknames as token sequences, keyed by the normalised company name."""
    out: dict[str, tuple[tuple[str, ...], ...]] = {}
    for name, aliases in lexicon.aliases.items():
        key = normalize_name(name, lexicon)
        toks = tuple(t for a in aliases if (t := tuple(tokens(a))))
        out[key] = out.get(key, ()) + toks
    return out


def _alias_table(entities: tuple[Entity, ...], lexicon: Lexicon) -> dict[tuple[str, ...], Alias]:
    """Alias token sequences -> entities; ambiguous derived aliases are dropped."""
    cand: dict[tuple[str, ...], dict[str, int]] = {}
    common = lexicon.common_words
    known = _known_aliases(lexicon)

    def add(toks: tuple[str, ...], eid: str, strength: int) -> None:
        if not toks:
            return
        slot = cand.setdefault(toks, {})
        slot[eid] = max(slot.get(eid, 0), strength)

    for e in entities:
        for n in e.names:
            full = name_tokens(n, lexicon)
            if not full:
                continue
            add(full, e.id, 2)
            add(tuple(tokens(n)), e.id, 2)  # with its suffix: "3m company"
            if len(full) > 1:
                add(("".join(full),), e.id, 2)  # "cocacola", "exxonmobil"
            for cut in range(len(full) - 1, 0, -1):
                prefix = full[:cut]
                if prefix[-1] in {"and", "of", "the", "for"}:
                    continue
                if cut == 1 and (len(prefix[0]) < 3 or prefix[0] in common):
                    continue
                add(prefix, e.id, 1)
            for alias in known.get(" ".join(full), ()):
                add(alias, e.id, 2)
    table: dict[tuple[str, ...], Alias] = {}
    for toks, owners in cand.items():
        best = max(owners.values())
        eids = tuple(sorted(e for e, s in owners.items() if s == best))
        if len(eids) > 1 and best < 2:
            continue  # a derived alias two companies share ("american") names neither
        common_word = len(toks) == 1 and toks[0] in common
        needs_capital = common_word or (len(toks) == 1 and best < 2)
        table[toks] = Alias(toks, eids, best, needs_capital, common_word)
    return table
