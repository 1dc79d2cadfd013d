"""Signals read off one retrieval that say whether it is enough, and the escalation decision.

Every signal is general: it reads the retrieval itself (retriever runs, scores, the routing
decision, the hits' text, section paths and links) and the question's own words, figures and
named sections, never a rule about any particular wording. Each is a number in [0, 1] where
1 means "the retrieval looks sufficient", or None when it does not apply (one retriever, no
routing, a question naming no figure):

- `agreement`: share of the final head (top `head` hits) that every retriever ranked within
  its own top `window` (lexical and semantic evidence agree on the head);
- `margin`: how far the best hit stands above the last of the head, relative to its score;
- `routing`: the router's confidence in its document choice (0 after a fallback);
- `term_coverage`: share of the question's content words found in the head's text;
- `focus`: the largest share of them found in one head passage (one place answers it all);
- `figures`: share of the figures and dates the question names found in the head;
- `sections`: share of the sections it names ("Note 12", "Item 7") among the head's paths;
- `statements`: share of the financial statements it needs found in the head;
- `links`: 1 unless a head passage refers, on a line holding a question word, to a section
  of its document that no retrieved hit comes from (0 then): the evidence may sit there.

`decide` averages the available signals with their weights into a sufficiency score and
escalates when it falls below the threshold. The thresholds are chosen on development
questions and reported with a sensitivity table; the signals' weights default to 1.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from ragkit.agentic.question import QuestionTerms, analyze, word_pattern
from ragkit.errors import ConfigError
from ragkit.lexicon import Lexicon
from ragkit.routing.statement_intent import statement_intent
from ragkit.types import PATH_SEPARATOR, Chunk, Hit, Trace

#: The signal names, in the order the trace lists them.
SIGNALS: tuple[str, ...] = (
    "agreement",
    "margin",
    "routing",
    "term_coverage",
    "focus",
    "figures",
    "sections",
    "statements",
    "links",
)
_IDENTITY_KEYS = ("company", "ticker")


@dataclass(frozen=True, slots=True)
class Signals:
    """The signals of one retrieval (see the module docstring); None: not applicable."""

    agreement: float | None = None
    margin: float | None = None
    routing: float | None = None
    term_coverage: float | None = None
    focus: float | None = None
    figures: float | None = None
    sections: float | None = None
    statements: float | None = None
    links: float | None = None
    open_links: tuple[str, ...] = ()  # "doc_id#section_id" of the unretrieved targets
    missing: tuple[str, ...] = ()  # question terms, figures, sections the head lacks

    def values(self) -> dict[str, float]:
        """The applicable signals by name."""
        return {n: v for n in SIGNALS if (v := getattr(self, n)) is not None}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict (rounded values)."""
        data = asdict(self)
        for name in SIGNALS:
            if data[name] is not None:
                data[name] = round(float(data[name]), 4)
        data["open_links"], data["missing"] = list(self.open_links), list(self.missing)
        return data


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether to escalate: the sufficiency score, the threshold and the signals behind it."""

    escalate: bool
    score: float
    threshold: float
    signals: Signals
    weights: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe record for the trace."""
        return {
            "escalate": self.escalate,
            "score": round(self.score, 4),
            "threshold": self.threshold,
            "signals": self.signals.to_dict(),
        }


# -- individual signals -------------------------------------------------------------------------


def agreement(trace: Trace | None, head: Sequence[Hit], window: int = 20) -> float | None:
    """Share of the head's hits that every retriever of the trace ranked within its top
    `window`; None with fewer than two retriever runs (nothing to agree)."""
    if trace is None or not head:
        return None
    runs = [s for s in trace.stages if s.info.get("role") == "retriever"]
    if len(runs) < 2:
        return None
    tops = [{cid for cid, rank, _ in run.hits_out if rank <= window} for run in runs]
    both = sum(1 for h in head if all(h.chunk_id in top for top in tops))
    return both / len(head)


def margin(head: Sequence[Hit]) -> float | None:
    """(best score − last head score) / |best score|, in [0, 1]; None under two hits or a
    zero best score."""
    if len(head) < 2 or head[0].score == 0:
        return None
    value = (head[0].score - head[-1].score) / abs(head[0].score)
    return min(1.0, max(0.0, value))


def routing_certainty(trace: Trace | None) -> float | None:
    """The routing decision's confidence (0 when its filter fell back); None when the trace
    holds no routing decision or the router chose nothing."""
    if trace is None:
        return None
    route = trace.stage("route")
    if route is None or route.info.get("mode") in (None, "none"):
        return 0.0 if route is not None and route.info.get("fallback") else None
    if route.info.get("fallback"):
        return 0.0
    return min(1.0, max(0.0, float(route.info.get("confidence", 0.0))))


def _head_text(head: Sequence[Hit]) -> list[str]:
    return [h.chunk.search_text for h in head if h.chunk is not None]


@dataclass(frozen=True, slots=True)
class Coverage:
    """How the question's terms are covered: in any text, at most in one, and which lack."""

    union: float | None
    best: float | None
    missing: tuple[str, ...] = ()


def coverage(terms: Sequence[str], texts: Sequence[str]) -> Coverage:
    """Share of `terms` found in any text, the largest share found in one text, and the
    terms found nowhere (Nones when there are no terms). Terms match as the agent greps
    them: stems with any ending."""
    if not terms:
        return Coverage(None, None)
    patterns = [re.compile(word_pattern(t), re.I) for t in terms]
    per_text = [{i for i, p in enumerate(patterns) if p.search(text)} for text in texts]
    union: set[int] = set().union(*per_text) if per_text else set()
    best = max((len(found) for found in per_text), default=0)
    missing = tuple(t for i, t in enumerate(terms) if i not in union)
    return Coverage(len(union) / len(terms), best / len(terms), missing)


def figures(q: QuestionTerms, texts: Sequence[str]) -> tuple[float | None, list[str]]:
    """Share of the question's figures and dates found in the texts, and the missing ones."""
    wanted = [(n, re.escape(n).replace(r"\ ", r"\s*")) for n in q.numbers]
    for date in dict.fromkeys(q.dates):
        month, day, year = date.replace(",", "").split()
        wanted.append((date, rf"\b{month}\s+{day},?\s+{year}\b"))
    if not wanted:
        return None, []
    blob = "\n".join(texts)
    missing = [label for label, rx in wanted if not re.search(rx, blob, re.I)]
    return 1 - len(missing) / len(wanted), missing


def sections(q: QuestionTerms, head: Sequence[Hit]) -> tuple[float | None, list[str]]:
    """Share of the sections the question names found among the head's section paths."""
    if not q.references:
        return None, []
    paths = [PATH_SEPARATOR.join(h.chunk.section_path) for h in head if h.chunk is not None]
    missing = []
    for ref in q.references:
        kind, _, number = ref.rpartition(" ")
        rx = re.compile(rf"\b{re.escape(kind.split(',')[-1].strip())}\s+{re.escape(number)}\b",
                        re.I)  # fmt: skip
        if not any(rx.search(p) for p in paths):
            missing.append(ref)
    return 1 - len(missing) / len(q.references), missing


def statements(question: str, head: Sequence[Hit], lexicon: Lexicon) -> float | None:
    """Share of the financial statements the question needs (named or implied, as the
    router reads it) that some head passage belongs to; None when it needs none."""
    needed = {m.kind for m in statement_intent(question, lexicon=lexicon)}
    if not needed:
        return None
    have = {str(h.chunk.metadata.get("statement")) for h in head if h.chunk is not None}
    return len(needed & have) / len(needed)


def open_links(
    q: QuestionTerms, head: Sequence[Hit], hits: Sequence[Hit], terms: Sequence[str] = ()
) -> list[str]:
    """Targets ("doc_id#section_id") that head passages refer to on a line holding a
    question word (`terms`, default the question's), figure or named reference, and that
    none of `hits` (the passages handed on) comes from."""
    retrieved = {(h.chunk.doc_id, h.chunk.section_id) for h in hits if h.chunk is not None}
    words = [re.compile(word_pattern(t), re.I) for t in (terms or q.terms)]
    words += [re.compile(re.escape(n), re.I) for n in q.numbers]
    out: list[str] = []
    for hit in head:
        chunk = hit.chunk
        if chunk is None:
            continue
        for ref in chunk.metadata.get("references") or ():
            target = ref.get("target")
            if not target or (chunk.doc_id, target) in retrieved:
                continue
            named = ref.get("label") in q.references
            if named or _relevant_line(chunk, str(ref.get("text", "")), words):
                key = f"{chunk.doc_id}#{target}"
                if key not in out:
                    out.append(key)
    return out


def _relevant_line(chunk: Chunk, ref_text: str, words: Sequence[re.Pattern[str]]) -> bool:
    """Whether a line of the chunk holding the reference also holds a question word."""
    for line in chunk.text.split("\n"):
        if ref_text and ref_text in line and any(w.search(line) for w in words):
            return True
    return False


# -- all of them, and the decision --------------------------------------------------------------


def identity_words(hits: Sequence[Hit]) -> set[str]:
    """Words naming the hits' companies (company name words, ticker, the name run
    together): they pick documents, they are not evidence, so coverage ignores them (as the
    agent's grep does)."""
    out: set[str] = set()
    for h in hits:
        if h.chunk is None:
            continue
        for key in _IDENTITY_KEYS:
            value = str(h.chunk.metadata.get(key) or "")
            out |= {w.lower() for w in re.split(r"[^A-Za-z0-9&\-]+", value) if len(w) >= 2}
            if key == "company" and value:
                out.add(_alnum(value))
    return out


def _alnum(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def _evidence_terms(q: QuestionTerms, identity: set[str]) -> list[str]:
    """The question's content words less those that spell part of a company's name
    ("Coca-Cola's" in "COCA COLA CO")."""
    names = [n for n in identity if len(n) >= 6]
    return [t for t in q.terms if not (len(_alnum(t)) >= 3 and any(_alnum(t) in n for n in names))]


def compute_signals(
    question: str,
    hits: Sequence[Hit],
    trace: Trace | None = None,
    *,
    head: int = 5,
    window: int = 20,
    context: int = 10,
    lexicon: Lexicon | None = None,
) -> Signals:
    """Every signal of one retrieval: `hits` are its final ranking (the first `context`
    are handed on, so a link counts as open when none of those comes from its target),
    `trace` its pipeline trace (retriever runs, routing decision) when there is one."""
    if head <= 0 or window <= 0 or context <= 0:
        raise ConfigError(f"head, window and context must be > 0, got {head}, {window}, {context}")
    lex = lexicon or Lexicon.default()
    top = list(hits[:head])
    identity = identity_words(hits)
    q = analyze(question, identity, lexicon=lex)
    terms = _evidence_terms(q, identity)
    texts = _head_text(top)
    cov = coverage(terms, texts)
    fig, fig_missing = figures(q, texts)
    sec, sec_missing = sections(q, top)
    links = open_links(q, top, hits[:context], terms)
    return Signals(
        agreement=agreement(trace, top, window),
        margin=margin(top),
        routing=routing_certainty(trace),
        term_coverage=cov.union,
        focus=cov.best,
        figures=fig,
        sections=sec,
        statements=statements(question, top, lex),
        links=(0.0 if links else 1.0) if top else None,
        open_links=tuple(links),
        missing=(*cov.missing, *fig_missing, *sec_missing),
    )


def check_weights(weights: Mapping[str, float] | None) -> dict[str, float]:
    """Every signal's weight (default 1); ConfigError for unknown names or negative values."""
    unknown = sorted(set(weights or {}) - set(SIGNALS))
    if unknown:
        raise ConfigError(f"unknown signal weights {unknown}; expected some of {list(SIGNALS)}")
    w = {name: float((weights or {}).get(name, 1.0)) for name in SIGNALS}
    if any(v < 0 for v in w.values()):
        raise ConfigError(f"signal weights must be >= 0, got {w}")
    return w


def decide(
    signals: Signals, threshold: float, weights: Mapping[str, float] | None = None
) -> Decision:
    """Escalate when the weighted mean of the applicable signals is below `threshold`
    (weights default to 1; a weight of 0 ignores a signal). No applicable signal: escalate."""
    w = check_weights(weights)
    values = signals.values()
    total = sum(w[n] for n in values)
    score = sum(w[n] * v for n, v in values.items()) / total if total > 0 else 0.0
    return Decision(score < threshold, score, threshold, signals, w)
