"""Document context on mined queries: a question about one filing names it ("Boeing's 10-Q
for the quarter ended June 30, 2025, ..."); a mined query (a heading, a row label) does not.

A model trained only on bare queries has never seen such a clause and reads it as part of
what is asked (a reranker fed SEC QA questions with that clause cut off kept more of the
evidence: README, "Adapting to your corpus"). So some queries get a context phrase built
from their own document's metadata (company, ticker, form, period, as the parsers extracted
them from the document itself). The hard negative
comes from the same document, so the phrase cannot tell it from the positive and the model
learns to look past it; the random negative comes from another document, where a named
company that does not match is a fair reason to rank it low.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from ragkit.adapt.pairs import AdaptPair
from ragkit.routing.names import name_tokens
from ragkit.types import Chunk

#: A longer "company name" is a cover page misread (an exchange list, a sentence): not used.
MAX_NAME_WORDS = 8


def _period_phrases(meta: Mapping[str, Any]) -> list[str]:
    """The ways a period is named: the period-end date, the fiscal year, the quarter."""
    out: list[str] = []
    end = meta.get("period_end")
    try:
        day = date.fromisoformat(str(end)) if end else None
    except ValueError:
        day = None
    if day is not None:
        out.append(f"{day:%B} {day.day}, {day.year}")
    year = meta.get("fiscal_year")
    if isinstance(year, int):
        out += [f"fiscal {year}", f"FY{year}"]
        quarter = str(meta.get("fiscal_period") or "")
        if quarter.startswith("Q"):
            out.append(f"{quarter} {year}")
    return out


def context_phrases(meta: Mapping[str, Any]) -> list[str]:
    """Every context phrase a document's metadata allows ([] without a company or form):
    its name (without "the" and corporate suffixes) or ticker, alone or with its form and a
    period, or the form with a period."""
    words = name_tokens(str(meta.get("company") or ""))
    names = [" ".join(words)] if 0 < len(words) <= MAX_NAME_WORDS else []
    if meta.get("ticker"):
        names.append(str(meta["ticker"]))
    form = str(meta.get("form_type") or "")
    periods = _period_phrases(meta)
    out = list(names)
    for name in names:
        if form:
            out.append(f"{name} {form}")
            out += [f"{name} {form} {p}" for p in periods]
        out += [f"{name} {p}" for p in periods]
    if form:
        out += [f"{form} {p}" for p in periods]
    return out


def _doc_metadata(chunks: Sequence[Chunk]) -> dict[str, Mapping[str, Any]]:
    """Each document's metadata (its first chunk's: the parsers put the filing's on all)."""
    out: dict[str, Mapping[str, Any]] = {}
    for c in chunks:
        out.setdefault(c.doc_id, c.metadata)
    return out


def with_context(
    pairs: Sequence[AdaptPair], chunks: Sequence[Chunk], rate: float, seed: int = 0
) -> list[AdaptPair]:
    """`pairs` where about `rate` of the queries carry a context phrase of their document,
    before ("phrase: query") or after ("query (phrase)"), seeded; documents whose metadata
    names no company and no form keep their queries bare."""
    if rate <= 0:
        return list(pairs)
    rng = random.Random(seed + 5)
    phrases = {doc: context_phrases(meta) for doc, meta in _doc_metadata(chunks).items()}
    out = []
    for pair in pairs:
        choices = phrases.get(pair.doc_id) or []
        if not choices or rng.random() >= rate:
            out.append(pair)
            continue
        phrase = rng.choice(choices)
        query = f"{phrase}: {pair.query}" if rng.random() < 0.5 else f"{pair.query} ({phrase})"
        out.append(replace(pair, query=query))
    return out
