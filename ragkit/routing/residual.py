"""The part of a question that asks for something, once routing has found its document.

"In Boeing's 10-Q for the quarter ended June 30, 2025, how much cash was held in escrow?" ->
"How much cash was held in escrow?". After routing has filtered the candidates to the
filing the question names, the words that named it (company, ticker, form, period) hold in
every candidate alike: they tell a reranker nothing about which passage answers, and a
cross-encoder trained without such clauses reads them as part of the information need. The
agent drops the same words from its greps for the same reason.
"""

from __future__ import annotations

import functools
import re

from ragkit.lexicon import Lexicon
from ragkit.routing.query_analyzer import QueryAnalysis, form_type_spans

_MARK = "\x00"
_COMPANY = "the company"


@functools.lru_cache(maxsize=8)
def _lead(lexicon: Lexicon) -> re.Pattern[str]:
    """A run of the lexicon's document connectors ("for the quarter ended") straight before
    a removed span (`Lexicon.document_connectors`)."""
    words = sorted(lexicon.document_connectors, key=lambda w: (-len(w), w))
    return re.compile(r"(?:\b(?:" + "|".join(map(re.escape, words)) + r")[\s,]+)+" + _MARK, re.I)


def document_spans(analysis: QueryAnalysis) -> list[tuple[int, int, str]]:
    """The spans of the question that name its document, with what replaces each: a company
    mention becomes "the company" (it may be the sentence's subject), a period or a form
    type is cut out; merged and in order."""
    query = analysis.query
    spans = [(c.start, c.end, _COMPANY) for c in analysis.companies]
    spans += [(p.start, p.end, _MARK) for p in analysis.periods]
    spans += [(a, b, _MARK) for a, b in form_type_spans(query)]
    merged: list[tuple[int, int, str]] = []
    for a, b, by in sorted(spans):
        if merged and a < merged[-1][1]:  # overlapping: the first span's replacement
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]), merged[-1][2])
        else:
            merged.append((a, b, by))
    return merged


def residual_query(analysis: QueryAnalysis, lexicon: Lexicon | None = None) -> str:
    """The question without the words that name its document (and the connecting words
    that led into them, `lexicon`'s document connectors; default `Lexicon.default()`); the
    question itself when nothing names a document, or when nothing of substance would be
    left."""
    query = analysis.query
    spans = document_spans(analysis)
    if not spans:
        return query
    out, last = [], 0
    for a, b, by in spans:
        out += [query[last:a], by]
        last = b
    out.append(query[last:])
    # one pass: each match is a whole run of connectors ("for the quarter ended <date>")
    lead = _lead(lexicon or Lexicon.default())
    text = lead.sub(_MARK, "".join(out).replace("’", "'")).replace(_MARK, " ")
    text = re.sub(r"\s+([,.;:?!)])", r"\1", text)
    text = re.sub(r"\(\s*\)", " ", text)
    text = re.sub(r"([,;:])(?:\s*[,;:])+", r"\1", text)
    text = re.sub(r"\s+", " ", text).strip().lstrip(",;: ").strip()
    if len(re.findall(r"[A-Za-z]{3,}", text.replace(_COMPANY, ""))) < 2:
        return query
    return text[:1].upper() + text[1:] if query[:1].isupper() else text
