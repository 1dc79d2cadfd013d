"""Label-free training pairs read off a corpus's structure: one query, its positive passage,
and the text forms and overlap rule every kind of pair shares.

Kinds: ``heading`` (section heading → the section's text), ``title`` (a one-passage
document's title → its body, e.g. a BEIR abstract), ``table`` (row label + section title →
the table chunk), ``reference`` (the sentence holding "See Note 12" → the note's text) and
``ict`` (inverse cloze: a sentence → the rest of its passage, the sentence removed) and
``keyword`` (the rare words and figures of one sentence or row → its whole passage).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Every kind of pair, in the order reports list them.
PAIR_KINDS: tuple[str, ...] = (
    "heading",
    "title",
    "table",
    "reference",
    "ict",
    "conclusion",
    "keyword",
)

#: A positive left with fewer words than this after removing the query is dropped.
MIN_POSITIVE_WORDS = 8


@dataclass(frozen=True, slots=True)
class AdaptPair:
    """One mined training example.

    `positive` is the passage text the query should find (never containing the query
    verbatim); `hard_negative` a passage of the same document that BM25 ranks high for the
    query but is not the positive ("" when none was found); `random_negative` a random
    passage, from another document when the corpus has several. Ids name the chunks.
    """

    kind: str
    query: str
    positive: str
    doc_id: str
    positive_id: str
    hard_negative: str = ""
    hard_negative_id: str = ""
    random_negative: str = ""
    random_negative_id: str = ""


_SPACE = re.compile(r"\s+")


def squash(text: str) -> str:
    """Whitespace collapsed to single spaces, ends stripped."""
    return _SPACE.sub(" ", text).strip()


def contains_verbatim(query: str, passage: str) -> bool:
    """Whether `query` (case and spacing ignored) appears inside `passage`."""
    q = squash(query).lower()
    return bool(q) and q in squash(passage).lower()


def remove_verbatim(query: str, passage: str) -> str:
    """`passage` with every occurrence of `query` (case and spacing ignored) cut out, so a
    model cannot match the pair by string overlap; the rest keeps its line breaks."""
    words = squash(query).split(" ")
    if not words or not words[0]:
        return passage
    pattern = r"\s+".join(re.escape(w) for w in words)
    out = re.sub(pattern, " ", passage, flags=re.IGNORECASE)
    return re.sub(r"[ \t]{2,}", " ", out).strip()


def clean_positive(query: str, passage: str) -> str | None:
    """The positive without the query's verbatim text; None when too little is left."""
    text = remove_verbatim(query, passage) if contains_verbatim(query, passage) else passage
    if len(text.split()) < MIN_POSITIVE_WORDS or contains_verbatim(query, text):
        return None
    return text
