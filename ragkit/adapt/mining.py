"""Mine `AdaptPair`s from chunks: queries from headings, titles, table row labels, reference
sentences and inverse cloze; hard negatives from ragkit's BM25 within the same document.

Everything is seeded and read from the chunks alone (no questions, no labels). A pair's query
and positive always come from one document (a reference resolves inside its document), and
no positive contains its query verbatim (`pairs.clean_positive`).
"""

from __future__ import annotations

import random
import re
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from ragkit.adapt.context import with_context
from ragkit.adapt.pairs import PAIR_KINDS, AdaptPair, clean_positive, contains_verbatim, squash
from ragkit.chunkers.text_units import sentence_spans
from ragkit.errors import ConfigError
from ragkit.types import PATH_SEPARATOR, Chunk


@dataclass(frozen=True, slots=True)
class MiningConfig:
    """How many pairs of each kind to mine, and how negatives are drawn.

    `max_pairs` caps the total (kinds keep their shares, sampled with `seed`);
    `per_heading` caps the chunks paired with one heading (a long section would otherwise
    repeat its heading dozens of times); `ict_per_chunk` sentences per prose chunk;
    `rows_per_table` row labels per table chunk; `keyword_per_chunk` salient-term queries
    per chunk, each of up to `keyword_terms` terms found in at most `keyword_max_df` of the
    chunks; `negative_depth` BM25 hits looked at for a
    hard negative; `corpus_skip` top hits skipped when a one-passage document's negative has
    to come from the whole corpus (near-duplicates there may be relevant too);
    `context_rate` the share of queries that name their document (company, form, period from
    its own metadata: `ragkit.adapt.context`), as questions about one filing do;
    `conclusion_pairs` whether a one-passage document's closing sentence is a query too (off:
    on SciFact it measured no gain, see README).
    """

    max_pairs: int = 20000
    per_heading: int = 3
    ict_per_chunk: int = 1
    rows_per_table: int = 2
    keyword_per_chunk: int = 1
    keyword_terms: int = 8
    keyword_max_df: float = 0.02
    min_query_words: int = 2
    max_query_words: int = 48
    negative_depth: int = 20
    corpus_skip: int = 3
    context_rate: float = 0.5
    conclusion_pairs: bool = False
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("max_pairs", "per_heading", "negative_depth", "min_query_words"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name} must be positive, got {getattr(self, name)}")
        counts = ("ict_per_chunk", "rows_per_table", "keyword_per_chunk", "corpus_skip")
        if any(getattr(self, name) < 0 for name in counts):
            raise ConfigError(f"{', '.join(counts)} must be >= 0")
        if self.keyword_terms < 2 or not 0 < self.keyword_max_df <= 1:
            raise ConfigError("keyword_terms must be >= 2 and keyword_max_df in (0, 1]")
        if not 0 <= self.context_rate <= 1:
            raise ConfigError(f"context_rate must be in [0, 1], got {self.context_rate}")


_WORD = re.compile(r"[A-Za-z][A-Za-z'&-]+")
#: Words a sentence (or table row) needs to stand as an inverse-cloze, conclusion or keyword unit.
MIN_SENTENCE_WORDS = 6
_NUMERIC_LABEL = re.compile(r"^[\W\d_]*$")


def _words(text: str) -> int:
    return len(text.split())


def _query_ok(query: str, cfg: MiningConfig) -> bool:
    n = _words(query)
    return cfg.min_query_words <= n <= cfg.max_query_words and bool(_WORD.search(query))


def _pair(kind: str, query: str, passage: str, chunk: Chunk) -> AdaptPair | None:
    positive = clean_positive(query, passage)
    if positive is None:
        return None
    return AdaptPair(kind, squash(query), positive, chunk.doc_id, chunk.id)


def _heading_query(path: Sequence[str]) -> str:
    """The last heading, with its parent when it is short ("Overview", "Leases")."""
    last = path[-1].strip()
    if _words(last) < 3 and len(path) > 1:
        return f"{path[-2].strip()} {PATH_SEPARATOR.strip()} {last}"
    return last


def heading_pairs(chunks: Sequence[Chunk], cfg: MiningConfig) -> Iterator[AdaptPair]:
    """Section heading → the text of a chunk under it (shown without its path). A document
    of one chunk under one title (a BEIR abstract) gives a ``title`` pair instead."""
    rng = random.Random(cfg.seed)
    per_doc = Counter(c.doc_id for c in chunks)
    groups: dict[tuple[str, tuple[str, ...]], list[Chunk]] = defaultdict(list)
    for c in chunks:
        if c.section_path:
            groups[(c.doc_id, c.section_path)].append(c)
    for (doc_id, path), members in groups.items():
        query = _heading_query(path)
        if not _query_ok(query, cfg):
            continue
        kind = "title" if per_doc[doc_id] == 1 and len(path) == 1 else "heading"
        for c in sorted(rng.sample(members, min(cfg.per_heading, len(members))), key=members.index):
            pair = _pair(kind, query, c.text, c)
            if pair is not None:
                yield pair


def _row_label(label: str) -> bool:
    """A row header worth asking about: 2-10 words of mostly letters, no amounts, no total."""
    letters = sum(ch.isalpha() for ch in label)
    return (
        2 <= _words(label) <= 10
        and not _NUMERIC_LABEL.match(label)
        and not any(ch in label for ch in "$%")
        and letters >= 0.8 * sum(not ch.isspace() for ch in label)
        and not label.lower().startswith("total")
    )


def _table_rows(text: str) -> tuple[list[str], list[str]]:
    """(lines that are not rows, row labels): rows are the lines with cells (" | ")."""
    lead: list[str] = []
    labels: list[str] = []
    for line in text.splitlines():
        if " | " not in line:
            lead.append(line)
            continue
        label = line.split(" | ", 1)[0].strip()
        if _row_label(label):
            labels.append(label)
    return lead, labels


def table_pairs(chunks: Sequence[Chunk], cfg: MiningConfig) -> Iterator[AdaptPair]:
    """Row label + the table's section title → the table chunk with that label cut out of its
    row (the other rows, caption and figures stay), so the pair teaches what a table about
    the label looks like rather than string matching."""
    rng = random.Random(cfg.seed + 1)
    for c in chunks:
        if c.kind == "prose":
            continue
        _, labels = _table_rows(c.text)
        labels = list(dict.fromkeys(labels))
        title = c.section_path[-1].strip() if c.section_path else ""
        for label in rng.sample(labels, min(cfg.rows_per_table, len(labels))):
            query = f"{label} {title}".strip() if title and title not in label else label
            if not _query_ok(query, cfg):
                continue
            positive = clean_positive(label, c.text)
            if positive is not None and clean_positive(query, positive) is not None:
                yield AdaptPair("table", squash(query), positive, c.doc_id, c.id)


def _sentence_with(text: str, needle: str) -> str | None:
    for start, end in sentence_spans(text):
        sentence = text[start:end]
        if needle in sentence and " | " not in sentence:
            return sentence
    return None


def reference_pairs(chunks: Sequence[Chunk], cfg: MiningConfig) -> Iterator[AdaptPair]:
    """The sentence holding a resolved reference ("See Note 12 for ...") → the chunk of the
    referred section (same document) sharing most words with it; the reference's own words
    are cut from the query so that the pair cannot be matched on "Note 12"."""
    sections: dict[tuple[str, str], list[Chunk]] = defaultdict(list)
    for c in chunks:
        if c.section_id:
            sections[(c.doc_id, c.section_id)].append(c)
    for c in chunks:
        for ref in c.metadata.get("references") or ():
            target = ref.get("target") if isinstance(ref, dict) else None
            if not target or target == c.section_id or (c.doc_id, target) not in sections:
                continue
            sentence = _sentence_with(c.text, str(ref.get("text") or ""))
            if sentence is None:
                continue
            query = squash(remove_ref(sentence, str(ref["text"])))
            if not _query_ok(query, cfg):
                continue
            words = set(query.lower().split())
            members = sections[(c.doc_id, target)]
            best = max(members, key=lambda m: len(words & set(m.text.lower().split())))
            pair = _pair("reference", query, best.search_text, best)
            if pair is not None:
                yield pair


def remove_ref(sentence: str, ref_text: str) -> str:
    """`sentence` without the reference phrase (and a dangling "See"/"refer to" before it)."""
    lead = r"\b(?:see|refer to|described in|discussed in|included in)\s+(?:also\s+)?"
    out = re.sub(lead + re.escape(ref_text), " ", sentence, flags=re.IGNORECASE)
    return out.replace(ref_text, " ")


def _cloze_pair(kind: str, query: str, chunk: Chunk, start: int, end: int) -> AdaptPair | None:
    """`query` (the sentence at `chunk.text[start:end]`, or what is left of it) → the chunk as
    indexed (path line included) with that sentence removed."""
    rest = replace(chunk, text=(chunk.text[:start] + chunk.text[end:]).strip()).search_text
    return _pair(kind, query, rest, chunk)


def ict_pairs(chunks: Sequence[Chunk], cfg: MiningConfig) -> Iterator[AdaptPair]:
    """Inverse cloze: a sentence of a prose chunk → the chunk (path line included, as indexed)
    with that sentence removed."""
    rng = random.Random(cfg.seed + 2)
    for c in chunks:
        if c.kind == "table" or cfg.ict_per_chunk == 0:
            continue
        spans = [
            (s, e)
            for s, e in sentence_spans(c.text)
            if MIN_SENTENCE_WORDS <= _words(c.text[s:e]) <= cfg.max_query_words
            and " | " not in c.text[s:e]
        ]
        if len(spans) < 2:
            continue
        for s, e in rng.sample(spans, min(cfg.ict_per_chunk, len(spans))):
            pair = _cloze_pair("ict", c.text[s:e], c, s, e)
            if pair is not None:
                yield pair


#: A label opening an abstract's closing sentence: "[Conclusion]", "CONCLUSIONS AND RELEVANCE",
#: "Summary:" (a capitalised word of six letters or more: "HIV" or "BRCA1" is no label).
_SECTION_LABEL = re.compile(
    r"^(?:\[[^\]]{1,40}\]\s*|(?:[A-Z]{2,}\s+)*[A-Z]{6,}\s+(?=[A-Z][a-z])|[A-Z]\w+(?: \w+)?:\s+)"
)
#: Sentences a passage needs before its last one counts as its conclusion.
MIN_CONCLUSION_SENTENCES = 4


def conclusion_pairs(chunks: Sequence[Chunk], cfg: MiningConfig) -> Iterator[AdaptPair]:
    """A one-passage document's closing sentence (a paper's conclusion, its label dropped) →
    the passage without it. Other documents cite a paper for what it concludes, so its
    conclusion is the nearest thing the corpus holds to a question about it (a claim)."""
    if not cfg.conclusion_pairs:
        return
    per_doc = Counter(c.doc_id for c in chunks)
    for c in chunks:
        if c.kind == "table" or per_doc[c.doc_id] != 1:
            continue
        spans = sentence_spans(c.text)
        if len(spans) < MIN_CONCLUSION_SENTENCES:
            continue
        s, e = spans[-1]
        query = _SECTION_LABEL.sub("", c.text[s:e].strip())
        if not MIN_SENTENCE_WORDS <= _words(query) <= cfg.max_query_words:
            continue
        pair = _cloze_pair("conclusion", query, c, s, e)
        if pair is not None:
            yield pair


#: Words and figures as keyword queries take them ("$6,173", "2.1", "non-prosecution").
_TERM = re.compile(r"\$?\d(?:[\d,.]*\d)?%?|[A-Za-z][A-Za-z'&-]*[A-Za-z]")
#: A keyword query needs at least this many salient terms, words among them: a row of
#: figures alone is nobody's search (a question about a table names its row).
MIN_KEYWORD_TERMS = 3
MIN_KEYWORD_WORDS = 2


def _units(chunk: Chunk) -> list[str]:
    """A chunk's sentences (prose) or rows (table), each of six words or more."""
    if chunk.kind == "prose":
        units = [chunk.text[s:e] for s, e in sentence_spans(chunk.text)]
    else:
        units = [line for line in chunk.text.splitlines() if " | " in line]
    return [u for u in units if _words(u) >= MIN_SENTENCE_WORDS]


def keyword_pairs(chunks: Sequence[Chunk], cfg: MiningConfig) -> Iterator[AdaptPair]:
    """Salient terms of one sentence or table row, in their order (words and figures found
    in at most `keyword_max_df` of the chunks) → the whole chunk as indexed. The terms are
    not contiguous text, so the pair is no string match, but it teaches what BM25 knows
    and a general encoder misses: a rare name or an exact figure decides relevance."""
    if cfg.keyword_per_chunk == 0:
        return
    rng = random.Random(cfg.seed + 5)
    df: Counter[str] = Counter()
    for c in chunks:
        df.update({t.lower() for t in _TERM.findall(c.text)})
    limit = max(1.0, cfg.keyword_max_df * len(chunks))
    for c in chunks:
        units = _units(c)
        for unit in rng.sample(units, min(cfg.keyword_per_chunk, len(units))):
            terms = list(dict.fromkeys(t for t in _TERM.findall(unit) if df[t.lower()] <= limit))
            if len(terms) > cfg.keyword_terms:
                keep = sorted(rng.sample(range(len(terms)), cfg.keyword_terms))
                terms = [terms[i] for i in keep]
            words = sum(1 for t in terms if t[0].isalpha())
            if len(terms) < MIN_KEYWORD_TERMS or words < MIN_KEYWORD_WORDS:
                continue
            query = " ".join(terms)
            if not contains_verbatim(query, c.search_text):
                yield AdaptPair("keyword", query, c.search_text, c.doc_id, c.id)


_MINERS = {
    "heading": heading_pairs,
    "table": table_pairs,
    "reference": reference_pairs,
    "ict": ict_pairs,
    "conclusion": conclusion_pairs,
    "keyword": keyword_pairs,
}


def mine_pairs(
    chunks: Sequence[Chunk], config: MiningConfig | None = None, *, negatives: bool = True
) -> list[AdaptPair]:
    """Every kind of pair from `chunks`, capped to `max_pairs` (each kind keeps its share),
    with hard and random negatives attached (`attach_negatives`) unless `negatives` is False,
    then a `context_rate` share of the queries given their document's context (after the
    negatives, which are found for the bare query)."""
    cfg = config or MiningConfig()
    if not chunks:
        raise ConfigError("no chunks to mine pairs from")
    ids = [c.id for c in chunks]
    if len(set(ids)) != len(ids):
        raise ConfigError("chunk ids must be unique to mine pairs")
    found: list[AdaptPair] = []
    for miner in _MINERS.values():
        found.extend(miner(chunks, cfg))
    found = _dedupe(found)
    if len(found) > cfg.max_pairs:
        keep = sorted(random.Random(cfg.seed + 3).sample(range(len(found)), cfg.max_pairs))
        found = [found[i] for i in keep]
    if negatives:
        from ragkit.adapt.negatives import attach_negatives

        found = attach_negatives(found, chunks, cfg)
    return with_context(found, chunks, cfg.context_rate, cfg.seed)


def _dedupe(pairs: list[AdaptPair]) -> list[AdaptPair]:
    seen: set[tuple[str, str]] = set()
    out = []
    for p in pairs:
        key = (p.query.lower(), p.positive_id)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


def pair_counts(pairs: Sequence[AdaptPair]) -> dict[str, int]:
    """Pairs by kind (every kind listed, zeros included), plus how many have a hard negative."""
    counts = Counter(p.kind for p in pairs)
    out = {k: counts.get(k, 0) for k in PAIR_KINDS}
    out["with_hard_negative"] = sum(1 for p in pairs if p.hard_negative)
    return out
