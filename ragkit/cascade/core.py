"""`Cascade`: the retrieval pipeline first; the agent only when the retrieval looks short.

For each question the pipeline retrieves; `ragkit.cascade.signals` reads the retrieval (do
the retrievers agree, does the best hit stand out, how sure is routing, do the top hits hold
the question's terms, figures and named sections, do they point to a section nobody
retrieved) into a sufficiency score. Above the threshold the pipeline's hits are the answer.
Below it the heuristic agent investigates, seeded with those hits (placed in their files'
line views) and under a small budget: it does not re-read them, it follows their relevant
references and greps the files they come from for what they lack, and its passages join the
ranking after the pipeline's first `insert_at` hits (a passage that contains pipeline hits
replaces them).

Cost is counted like the agent's: the tokens of the pipeline hits handed on (the first
`context_k`) plus every token of tool output the escalation read (grep listings included).
The decision, its signals and the escalation's summary are entries of the query's trace.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

from ragkit.agentic.heuristic import HeuristicAgent
from ragkit.agentic.result import AgentResult, count_tokens
from ragkit.agentic.search import SearchHit
from ragkit.agentic.tools import Tools
from ragkit.cascade.signals import Decision, check_weights, compute_signals, decide
from ragkit.errors import ConfigError
from ragkit.lexicon import Lexicon
from ragkit.retrievers import check_queries
from ragkit.types import Hit, Retriever, Trace

#: The default threshold on the sufficiency score, chosen on the development questions (SEC
#: QA and FinanceBench dev; the README's sensitivity table): the middle of the range where
#: escalation recovers what the agent alone finds at under a third of its tokens.
DEFAULT_THRESHOLD = 0.7


@dataclass(frozen=True, slots=True)
class EscalationBudget:
    """What one escalation may spend (defaults chosen on the development questions: six
    grep patterns of twenty matches find co-occurring evidence a three-pattern grep missed).

    Args:
        max_tokens: tokens of tool output (grep listings, reads, follows) in all.
        max_steps: tool calls. max_passages: sections read from grep evidence.
        max_follows: references followed. max_patterns: grep patterns (lacking ones first).
        grep_matches: matches listed per grep. section_chars: the largest section read whole.
        read_hits: the first this many pipeline hits have their sections (or pages) read
            around them when grep's evidence does not rank higher.
    """

    max_tokens: int = 6_000
    max_steps: int = 10
    max_passages: int = 2
    max_follows: int = 2
    max_patterns: int = 6
    grep_matches: int = 20
    section_chars: int = 4_000
    read_hits: int = 1

    def __post_init__(self) -> None:
        zero_ok = ("max_follows", "read_hits")
        bad = {k: v for k, v in asdict(self).items() if v < (0 if k in zero_ok else 1)}
        if bad:
            raise ConfigError(f"escalation budget values must be positive, got {bad}")

    def agent_options(self) -> dict[str, Any]:
        """The `HeuristicAgent` settings that enforce this budget."""
        return {
            "max_read_tokens": self.max_tokens,
            "budget_all_output": True,
            "max_steps": self.max_steps,
            "max_passages": self.max_passages,
            "max_follows": self.max_follows,
            "follow_depth": 1,
            "max_patterns": self.max_patterns,
            "grep_matches": self.grep_matches,
            "section_chars": self.section_chars,
            "grep": "lacking",
            "read_seeds": self.read_hits,
        }


@dataclass(slots=True)
class CascadeResult:
    """One question's outcome: final hits, the trace, the decision, the pipeline's own hits,
    the context tokens (pipeline hits handed on + everything the escalation read) and the
    escalation's `AgentResult` (None when it did not escalate)."""

    hits: list[Hit]
    trace: Trace
    decision: Decision
    pipeline_hits: list[Hit]
    context_tokens: int
    escalation: AgentResult | None = None

    @property
    def escalated(self) -> bool:
        """Whether the agent ran."""
        return self.escalation is not None


class Cascade:
    """Pipeline first, agent on demand (see the module docstring); a `Retriever`.

    Args:
        pipeline: a `HybridPipeline` (its traces feed the agreement and routing signals) or
            any `Retriever` whose hits carry chunks of the corpus files.
        corpus: the folder of the documents the pipeline indexed, or `Tools` over it.
        threshold: escalate when the sufficiency score is below it (0: never; above 1:
            always). weights: per-signal weights (default 1 each).
        budget: what one escalation may spend (`EscalationBudget`).
        head: hits the signals judge. window: retriever depth for agreement; at least this
            many candidates are retrieved, so the signals do not depend on the call's k.
        context_k: pipeline hits handed on (and counted; fewer when a call asks for fewer
            hits). insert_at: new passages go after
            this many pipeline hits. routing, metadata_file, lexicon, view_cache: the agent's.
    """

    name = "cascade"

    def __init__(
        self,
        pipeline: Retriever,
        corpus: str | os.PathLike[str] | Tools,
        *,
        threshold: float = DEFAULT_THRESHOLD,
        weights: Mapping[str, float] | None = None,
        budget: EscalationBudget | None = None,
        head: int = 5,
        window: int = 20,
        context_k: int = 10,
        insert_at: int = 3,
        routing: bool = True,
        metadata_file: str | os.PathLike[str] | None = None,
        lexicon: Lexicon | None = None,
        view_cache: str | os.PathLike[str] | None = None,
    ) -> None:
        if not callable(getattr(pipeline, "search", None)):
            raise ConfigError(f"pipeline must be a retriever, got {type(pipeline).__name__}")
        if head <= 0 or window <= 0 or context_k <= 0 or insert_at < 0:
            raise ConfigError(
                "head, window and context_k must be > 0 and insert_at >= 0, got "
                f"{head}, {window}, {context_k}, {insert_at}"
            )
        self.pipeline = pipeline
        self.threshold = float(threshold)
        self.weights = check_weights(weights)
        self.budget = budget or EscalationBudget()
        self.head, self.window = head, window
        self.context_k, self.insert_at = context_k, insert_at
        self.lexicon = lexicon or Lexicon.default()
        tools = corpus if isinstance(corpus, Tools) else Tools(corpus, view_cache=view_cache)
        options = self.budget.agent_options()
        self.agent = HeuristicAgent(tools, routing=routing, metadata_file=metadata_file,
                                    lexicon=self.lexicon, **options)  # fmt: skip

    # -- the retriever contract ---------------------------------------------------------------
    def search(
        self, queries: Sequence[str], k: int = 10, filters: Mapping[str, Any] | None = None
    ) -> list[list[Hit]]:
        """Top-k hits per query (the pipeline's, with the escalation's passages when it ran)."""
        return [r.hits for r in self.retrieve_many(queries, k, filters)]

    def retrieve(
        self, question: str, k: int = 10, filters: Mapping[str, Any] | None = None
    ) -> CascadeResult:
        """One question's hits, trace, decision and cost."""
        return self.retrieve_many([question], k, filters)[0]

    def retrieve_many(
        self, questions: Sequence[str], k: int = 10, filters: Mapping[str, Any] | None = None
    ) -> list[CascadeResult]:
        """The pipeline over the batch, then each question's decision and escalation."""
        qs = check_queries(questions, k)
        depth = max(k, self.context_k, self.window)  # the same candidates whatever k is
        runs = self._pipeline(qs, depth, filters)
        return [
            self._one(q, hits, trace, k, filters) for q, (hits, trace) in zip(qs, runs, strict=True)
        ]

    # -- steps ----------------------------------------------------------------------------------
    def _pipeline(
        self, qs: list[str], depth: int, filters: Mapping[str, Any] | None
    ) -> list[tuple[list[Hit], Trace]]:
        """The pipeline's hits and trace per question (a one-stage trace for a plain
        retriever)."""
        retrieve_many = getattr(self.pipeline, "retrieve_many", None)
        if callable(retrieve_many):
            return [(list(r.hits), r.trace) for r in retrieve_many(qs, depth, filters)]
        start = time.perf_counter()
        found = self.pipeline.search(qs, depth, filters)
        ms = (time.perf_counter() - start) * 1000 / max(1, len(qs))
        out = []
        for q, hits in zip(qs, found, strict=True):
            trace = Trace(q)
            trace.add("pipeline", ms, 0, list(hits), role="retriever", depth=depth)
            out.append((list(hits), trace))
        return out

    def _one(
        self, question: str, hits: list[Hit], trace: Trace, k: int,
        filters: Mapping[str, Any] | None,
    ) -> CascadeResult:  # fmt: skip
        start = time.perf_counter()
        n_handed = min(k, self.context_k)
        signals = compute_signals(question, hits, trace, head=self.head, window=self.window,
                                  context=n_handed, lexicon=self.lexicon)  # fmt: skip
        decision = decide(signals, self.threshold, self.weights)
        trace.add("cascade", (time.perf_counter() - start) * 1000, 0, [], role="decision",
                  **decision.to_dict())  # fmt: skip
        handed = hits[:n_handed]
        tokens = sum(h.chunk.n_tokens or count_tokens(h.chunk.text) for h in handed if h.chunk)
        if not decision.escalate:
            return CascadeResult(hits[:k], trace, decision, hits, tokens)
        seeds = [p for r, h in enumerate(handed, 1) if (p := self.agent.tools.place(h, r))]
        result = self.agent.investigate(question, filters, seeds=seeds, seen=True)
        found = result.hits(len(result.evidence), "escalation")
        merged = merge(hits, seeds, found, result, k, self.insert_at)
        trace.add("escalation", result.latency_ms, len(hits), merged, steps=result.steps,
                  tokens_read=result.tokens_read, stop=result.stop_reason,
                  passages=[e.why for e in result.evidence])  # fmt: skip
        return CascadeResult(merged, trace, decision, hits, tokens + result.tokens_read, result)


def merge(
    hits: list[Hit],
    seeds: list[SearchHit],
    found: list[Hit],
    result: AgentResult,
    k: int,
    insert_at: int,
) -> list[Hit]:
    """The pipeline's hits with the escalation's passages, in the agent's order, after the
    first `insert_at` pipeline hits. A passage that contains pipeline hits (their text,
    whitespace and punctuation aside) replaces them: in place when one of them is among the
    first `insert_at`, else it joins the others; a passage read twice counts once. At most
    k, ranked; pipeline and agent scores do not compare, so each hit's score becomes 1/rank
    and its own score stays in `scores` under its source."""
    out: list[Hit | None] = list(hits)
    held = {s.chunk_id: _alnum(s.text) for s in seeds}
    block: list[Hit] = []
    seen: set[str] = set()
    for ev, hit in zip(result.evidence, found, strict=False):
        if hit.chunk_id in seen:
            continue
        seen.add(hit.chunk_id)
        text = _alnum(ev.text)
        inside = [
            i
            for i, h in enumerate(out)
            if h is not None and h.source != "escalation" and (t := held.get(h.chunk_id))
            and t in text
        ]  # fmt: skip
        for i in inside:
            out[i] = None
        if inside and inside[0] < insert_at:
            out[inside[0]] = hit
        else:
            block.append(hit)
    lead = [h for h in out[:insert_at] if h is not None]
    rest = [h for h in out[insert_at:] if h is not None]
    final = [*lead, *block, *rest][:k]
    return [
        replace(h, rank=r, score=round(1.0 / r, 6), scores={**h.scores, h.source: h.score})
        for r, h in enumerate(final, start=1)
    ]


def _alnum(text: str) -> str:
    """Lowercased letters and digits only: containment regardless of layout."""
    return "".join(ch for ch in text.lower() if ch.isalnum())
