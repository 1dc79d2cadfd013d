"""HeuristicAgent: a deterministic, offline investigator built on the agentic tools.

It works the way coding agents search a repository, broad to narrow: pick the files the
question names (company, form, period), grep them for the question's phrases, terms,
synonyms, figures and dates in parallel, rank sections by the evidence found (rare terms
weigh more, phrases more than words), read the best sections whole, and follow the
cross-references ("See Note 12") in what it read, up to a depth limit, within step and
token budgets. It is the reproducible baseline that the retrieval pipeline is measured
against, and it offers the same `search(queries, k, filters)` contract.

Given tools with a search tool (`Tools(root, searcher=pipeline)`), its first move is a search:
the sections of the best hits rank with the grep evidence, so it reads them, follows their
references and greps for what the hits lack. `investigate(question, seeds=..., seen=True)`
starts from hits the caller already holds (the cascade's escalation): they are not read
again, only what lies beyond them.
"""

from __future__ import annotations

import logging
import math
import os
import re
import time
from collections.abc import Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NamedTuple

from ragkit.agentic.base import AgentBase, check_request
from ragkit.agentic.question import (
    QuestionTerms,
    analyze,
    section_heading,
    statement_headings,
    word_pattern,
)
from ragkit.agentic.result import AgentResult, Evidence, count_tokens
from ragkit.agentic.search import SearchHit
from ragkit.agentic.tools import ReadResult, Tools
from ragkit.agentic.views import SectionSpan, View
from ragkit.errors import ConfigError, RagkitError
from ragkit.lexicon import Lexicon
from ragkit.types import PATH_SEPARATOR

logger = logging.getLogger(__name__)

_KIND_WEIGHT = {
    "statement": 3.0,
    "cue": 1.0,  # a named section's heading: rare, so its idf already makes it count
    "phrase": 2.0,
    "number": 3.0,
    "date": 1.2,
    "reference": 2.0,
    "term": 1.0,
    "synonym": 0.9,
}

#: Which lacking patterns a targeted grep runs first: a missing figure or named section is
#: the strongest hint, a single missing word comes before an unmatched word pair.
_LACKING_ORDER = ("statement", "cue", "reference", "number", "date", "term", "synonym", "phrase")


def _norm(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


@dataclass(slots=True)
class _Pattern:
    kind: str
    text: str
    regex: str
    weight: float = 0.0


@dataclass(slots=True)
class _Unit:
    """A candidate reading unit: a whole section, a page, or a block of a huge section."""

    file: str
    start: int
    end: int
    span: SectionSpan
    whole: bool
    counts: dict[int, int] = field(default_factory=dict)
    lines: set[int] = field(default_factory=set)
    score: float = 0.0
    hit: int = 0  # the best rank of a search hit inside (0: none)


class _Routing(NamedTuple):
    """What the query router says about a question over the agent's files: the files it
    filters to, its per-file period/form boosts, and the statements the question needs
    (None: no router read the question, so the agent's own reading stands)."""

    files: set[str]
    boosts: dict[str, float]
    statements: tuple[str, ...] | None = None


_NO_ROUTING = _Routing(set(), {})


class _Reader:
    """What one agent run has read: evidence, the line spans covered, tokens, the budget."""

    def __init__(self, tools: Tools, max_steps: int, max_tokens: int, all_output: bool) -> None:
        self.tools, self.max_steps, self.max_tokens = tools, max_steps, max_tokens
        self.all_output = all_output  # the token budget counts every tool's output
        self.evidence: list[Evidence] = []
        self.spans: list[tuple[str, int, int]] = []
        self.tokens = 0

    def hold(self, seeds: list[SearchHit]) -> None:
        """Count the seeds' line spans as read (the caller holds their text already)."""
        self.spans += [(h.file, h.line_start, h.line_end) for h in seeds]

    def covered(self, file: str, a: int, b: int) -> bool:
        """Whether lines a..b of `file` lie inside a span already read."""
        return any(f == file and x <= a and b <= y for f, x, y in self.spans)

    def budget_left(self) -> bool:
        """Whether tool calls and tokens read are both under budget."""
        return len(self.tools.calls) < self.max_steps and self.spent() < self.max_tokens

    def spent(self) -> int:
        """Tokens counted against the budget: what was read, or every tool's output."""
        if self.all_output:
            return sum(c.output_tokens for c in self.tools.calls)
        return self.tokens

    def chars(self, limit: int) -> int:
        """A read's character limit: `limit`, or under a hard budget (`all_output`) less when
        the budget is nearly spent (about four characters a token, never under 400)."""
        if not self.all_output:
            return limit
        return max(400, min(limit, 4 * (self.max_tokens - self.spent())))

    def take(self, res: ReadResult, score: float, why: str, span: SectionSpan) -> Evidence:
        """Count a read, remember its span and keep it as evidence."""
        self.tokens += count_tokens(res.text)
        self.spans.append((res.file, res.line_start, res.line_end))
        ev = Evidence(res.body, res.file, span.path, span.id, res.line_start, res.line_end,
                      res.page_start, res.page_end, round(score, 4), why)  # fmt: skip
        self.evidence.append(ev)
        return ev


class HeuristicAgent(AgentBase):
    """Grep → rank → read → follow, deterministic; see the module docstring.

    Args:
        corpus: a corpus folder or a `Tools` instance over one.
        max_steps: tool calls allowed per question. max_read_tokens: budget for read/follow
            (with `budget_all_output`, for every tool's output: grep listings, searches).
        max_files: files searched narrowly when the question names its document.
        max_passages: sections read directly (followed references come on top).
        follow_depth: how many hops of references to follow. max_follows: follows per question.
        section_chars: the largest section read whole; bigger ones are read in blocks.
        routing: pick files with `ragkit.routing` too (the pipeline's query analyzer over the
            files' own metadata): the files it routes to, and its period/form boosts, rank
            first. metadata_file: a document-information file supplementing that metadata.
        lexicon: the finance word lists of the question analysis and the router (default:
            `Lexicon.default()`, `ragkit/data/finance.yaml`).
        searcher: a `Retriever` over the same folder backing the search tool (or pass
            `Tools(root, searcher=...)`). search_k: hits the first search asks for.
        seed_weight: how much a search hit lifts its section against the grep evidence (a
            rank-1 hit's section scores the best grep unit's score times this on top).
        grep: "all" greps every question pattern; "lacking" greps first the patterns the
            seeds' text lacks, up to `max_patterns` (a cheap, targeted investigation).
        max_patterns: grep patterns per question (default: half of `max_steps`).
        budget_all_output: count every tool's output against `max_read_tokens` and cut reads
            to what is left (a hard budget), not only what read and follow return.
        read_seeds: with seeds the caller holds (`seen`), the first this many seeds' units
            (their sections) are candidates for reading even where grep missed them.
        seed_passages: sections read on top of `max_passages` when the search tool's hits
            are candidates too (so they do not crowd out grep's best sections).
    """

    name = "heuristic"

    def __init__(
        self,
        corpus: str | os.PathLike[str] | Tools,
        *,
        max_steps: int = 40,
        max_read_tokens: int = 20_000,
        max_files: int = 2,
        max_passages: int = 6,
        follow_depth: int = 2,
        max_follows: int = 4,
        section_chars: int = 6_000,
        min_section_chars: int = 800,
        grep_matches: int = 40,
        workers: int = 4,
        view_cache: str | os.PathLike[str] | None = None,
        routing: bool = True,
        metadata_file: str | os.PathLike[str] | None = None,
        lexicon: Lexicon | None = None,
        searcher: Any = None,
        search_k: int = 10,
        seed_weight: float = 1.0,
        grep: Literal["all", "lacking"] = "all",
        max_patterns: int | None = None,
        budget_all_output: bool = False,
        read_seeds: int = 0,
        seed_passages: int = 2,
    ) -> None:
        for label, value in (
            ("max_steps", max_steps),
            ("max_read_tokens", max_read_tokens),
            ("max_files", max_files),
            ("max_passages", max_passages),
            ("section_chars", section_chars),
            ("grep_matches", grep_matches),
            ("workers", workers),
            ("search_k", search_k),
            ("max_patterns", max_patterns or 1),
        ):
            if value <= 0:
                raise ConfigError(f"{label} must be > 0, got {value}")
        if min(follow_depth, max_follows, read_seeds, seed_passages) < 0:
            raise ConfigError(
                "follow_depth, max_follows, read_seeds and seed_passages must be >= 0, got "
                f"{follow_depth}, {max_follows}, {read_seeds}, {seed_passages}"
            )
        if grep not in ("all", "lacking") or seed_weight < 0:
            raise ConfigError(
                f"grep must be 'all' or 'lacking' and seed_weight >= 0, got {grep!r}, {seed_weight}"
            )
        if isinstance(corpus, Tools):
            if searcher is not None and corpus.searcher is not searcher:
                raise ConfigError("pass the searcher either to Tools or to the agent, not both")
            self.tools = corpus
        else:
            self.tools = Tools(corpus, view_cache=view_cache, searcher=searcher)
        self.search_k = search_k
        self.seed_weight = seed_weight
        self.grep = grep
        self.max_patterns = max_patterns
        self.budget_all_output = budget_all_output
        self.read_seeds = read_seeds
        self.seed_passages = seed_passages
        self.max_steps = max_steps
        self.max_read_tokens = max_read_tokens
        self.max_files = max_files
        self.max_passages = max_passages
        self.follow_depth = follow_depth
        self.max_follows = max_follows
        self.section_chars = section_chars
        self.min_section_chars = min_section_chars
        self.grep_matches = grep_matches
        self.workers = workers
        self.routing = routing
        self.metadata_file = metadata_file
        self.lexicon = lexicon or Lexicon.default()
        self._routers: dict[tuple[str, ...], Any] = {}

    # -- the investigation ------------------------------------------------------------------
    def run(self, question: str, filters: Mapping[str, Any] | None = None) -> AgentResult:
        """Investigate one question; returns ranked evidence and the tool-call trace. With a
        search tool, the first move is a search for the question."""
        return self.investigate(question, filters)

    def investigate(
        self,
        question: str,
        filters: Mapping[str, Any] | None = None,
        *,
        seeds: list[SearchHit] | None = None,
        seen: bool = False,
    ) -> AgentResult:
        """Investigate from `seeds` (placed hits, see `Tools.place`; None: the search tool's
        hits when there is one). With `seen`, the caller already holds the seeds' text: it is
        neither re-read nor counted, and the evidence returned is only what lies beyond it."""
        check_request(question, filters)
        t0 = time.perf_counter()
        tools = self.tools.fork()
        # a seeded escalation knows its files from the hits: no listing to read
        files = tools.files() if seen else [f.file for f in tools.glob("*").files]
        views = {f: tools.view(f) for f in files}
        files = [f for f in files if _file_passes(views[f], filters)]
        if not files:
            return AgentResult(question, [], tools.calls, stop_reason="no files",
                               latency_ms=(time.perf_counter() - t0) * 1000)  # fmt: skip
        if seeds is None and tools.searcher is not None:
            seeds = tools.search(question, k=self.search_k, filters=filters).hits
        seeds = [h for h in seeds or [] if h.file in views]
        exclude: set[str] = set()
        for f in files:
            exclude |= _identity_words(views[f], self.lexicon.corporate_suffixes)
        terms = analyze(question, exclude, lexicon=self.lexicon)
        routing = self._route(question, files, views)
        if routing.statements is not None:  # the router's reading (company names masked)
            headings = statement_headings(self.lexicon)
            terms.statements = [headings[kind] for kind in routing.statements]
        chosen = _with_seed_files(self._choose_files(terms, files, views, routing), seeds,
                                  len(files), self.max_files)  # fmt: skip
        every = self._patterns(terms)
        patterns = self._grep_patterns(every, seeds)
        units = self._grep_units(tools, patterns, chosen, views, filters)
        self._score(units, patterns, terms, views, chosen)
        refs = patterns
        if self.grep == "lacking":  # references are judged by every question pattern
            for p in every:
                p.weight = p.weight or _KIND_WEIGHT[p.kind]
            refs = every
        self._seed(units, seeds, views, len(seeds) if not seen else self.read_seeds)
        reader = _Reader(tools, self.max_steps, self.max_read_tokens, self.budget_all_output)
        if seen:
            reader.hold(seeds)
        passages = self.max_passages + (self.seed_passages if seeds and not seen else 0)
        evidence, stop = self._read_and_follow(reader, units, patterns, terms, views,
                                               seeds if seen else [], refs, passages)  # fmt: skip
        evidence.sort(key=lambda e: (-e.score, e.file, e.line_start))
        return AgentResult(question, evidence, tools.calls, stop_reason=stop,
                           latency_ms=(time.perf_counter() - t0) * 1000)  # fmt: skip

    # -- steps --------------------------------------------------------------------------------
    def _route(self, question: str, files: list[str], views: dict[str, View]) -> _Routing:
        """The files the router filters to (a certain company match), its per-file
        period/form boosts (0..0.3) and the statements it reads; nothing when routing is off."""
        if not self.routing or len(files) < 2:
            return _NO_ROUTING
        key = tuple(files)
        if key not in self._routers:
            from ragkit.routing import Router

            stems = {Path(f).stem: f for f in files}
            rows = [{"doc_id": stem, "metadata": views[f].metadata} for stem, f in stems.items()]
            router = Router.from_chunks(
                rows, self.metadata_file, min_chunks=0, lexicon=self.lexicon
            )
            self._routers[key] = (router, stems)
        router, stems = self._routers[key]
        decision = router.route(question)
        chosen = {stems[d] for d in decision.filters.get("doc_id", []) if d in stems}
        boosts = {stems[d]: b for d, b in decision.boosts.items() if d in stems}
        return _Routing(chosen, boosts, tuple(m.kind for m in decision.analysis.statements))

    def _choose_files(
        self,
        terms: QuestionTerms,
        files: list[str],
        views: dict[str, View],
        routed: _Routing = _NO_ROUTING,
    ) -> list[str]:
        """Files the question names (company, ticker, form, period; the router's choice),
        best first; all files when nothing identifies a document."""
        qnorm = _norm(terms.question)
        scored: list[tuple[float, str]] = []
        for f in files:
            meta = views[f].metadata
            score = 0.0
            names = _company_names(views[f], self.lexicon.corporate_suffixes)
            if f in routed.files or any(n and n in qnorm for n in names):
                score += 4.0  # the question names this file's company
            score += 5.0 * routed.boosts.get(f, 0.0)  # the router's period/form preference
            ticker = str(meta.get("ticker", ""))
            if ticker and re.search(rf"\b{re.escape(ticker)}\b", terms.question):
                score += 2.0
            form = str(meta.get("form_type", "")).upper() or _form_from_name(f)
            if form and form in terms.forms:
                score += 1.0
            years = _file_years(f, meta)
            if terms.years and max(terms.years) in years:
                score += 1.5  # the latest year named: its report also shows earlier years
            elif years & set(terms.years):
                score += 1.0
            period = str(meta.get("period_end", ""))
            if period and any(_iso(d) == period for d in terms.dates):
                score += 2.0
            scored.append((score, f))
        scored.sort(key=lambda x: (-x[0], x[1]))
        best = scored[0][0]
        if best < 4.0:
            return [f for _, f in scored]
        return [f for s, f in scored if s >= best - 0.5][: self.max_files]

    def _patterns(self, terms: QuestionTerms) -> list[_Pattern]:
        out: list[_Pattern] = []
        seen: set[str] = set()

        def add(kind: str, text: str, regex: str) -> None:
            if regex not in seen:
                seen.add(regex)
                out.append(_Pattern(kind, text, regex))

        for rx in terms.statements:
            add("statement", "financial statement heading", rx)
        for title in terms.cues:
            add("cue", title, section_heading(title))
        for ref in terms.references:
            kind, _, number = ref.rpartition(" ")
            add("reference", ref, rf"\b{re.escape(kind.split(',')[-1].strip())}\s+{number}\b")
        for num in terms.numbers[:3]:
            add("number", num, re.escape(num).replace(r"\ ", r"\s*"))
        for date in dict.fromkeys(terms.dates):
            month, day, year = date.replace(",", "").split()
            add("date", date, rf"\b{month}\s+{day},?\s+{year}\b")
        for phrase in terms.phrases[:8]:
            add("phrase", phrase, word_pattern(phrase))
        for term in terms.terms[:12]:
            add("term", term, word_pattern(term))
        for syn in terms.synonyms[:5]:
            add("synonym", syn, word_pattern(syn))
        return out

    def _grep_patterns(self, patterns: list[_Pattern], seeds: list[SearchHit]) -> list[_Pattern]:
        """The patterns to grep, at most `max_patterns` (default half the step budget): in
        question order, or with `grep="lacking"` those the seeds' text lacks first."""
        budget = self.max_patterns or max(1, self.max_steps // 2)
        if self.grep == "lacking" and seeds:
            text = "\n".join(PATH_SEPARATOR.join(h.section_path) + "\n" + h.text for h in seeds)
            lacking = [p for p in patterns if not re.search(p.regex, text, re.I | re.M)]
            lacking.sort(key=lambda p: _LACKING_ORDER.index(p.kind))  # stable: question order
            patterns = lacking + [p for p in patterns if p not in lacking]
        return patterns[:budget]

    def _seed(
        self, units: dict[tuple[str, int], _Unit], seeds: list[SearchHit],
        views: dict[str, View], add: int,
    ) -> None:  # fmt: skip
        """Lift the units that hold a seed hit by `seed_weight` times the best grep score
        over the square root of the hit's rank; the units of the first `add` seeds join the
        candidates even where grep missed them (they are read like units grep found)."""
        top = max((u.score for u in units.values()), default=0.0) or 1.0
        lifted: set[tuple[str, int]] = set()
        for rank, hit in enumerate(seeds, start=1):
            unit = self._unit_for(views[hit.file], hit.line_start)
            key = (unit.file, unit.start)
            if key not in units:
                if rank > add:
                    continue
                units[key] = unit
            if key not in lifted:
                lifted.add(key)
                units[key].score += self.seed_weight * top / math.sqrt(rank)
                units[key].hit = rank

    def _grep_units(
        self,
        tools: Tools,
        patterns: list[_Pattern],
        chosen: list[str],
        views: dict[str, View],
        filters: Mapping[str, Any] | None,
    ) -> dict[tuple[str, int], _Unit]:
        glob = chosen[0] if len(chosen) == 1 else "{" + ",".join(chosen) + "}"

        def one(p: _Pattern) -> Any:
            try:
                return tools.grep(
                    p.regex, glob=glob, context=0, max_matches=self.grep_matches, max_line_chars=160
                )
            except RagkitError as exc:
                logger.info("grep %r failed: %s", p.regex, exc)
                return None

        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            results = list(pool.map(one, patterns))
        section_prefix = _section_filter(filters)
        units: dict[tuple[str, int], _Unit] = {}
        for pi, res in enumerate(results):
            if res is None:
                continue
            for m in res.matches:
                if not m.is_match:
                    continue
                view = views[m.file]
                unit = self._unit_for(view, m.line)
                if section_prefix and not any(
                    PATH_SEPARATOR.join(unit.span.path).lower().startswith(s)
                    for s in section_prefix
                ):
                    continue
                key = (unit.file, unit.start)
                unit = units.setdefault(key, unit)
                unit.counts[pi] = unit.counts.get(pi, 0) + 1
                unit.lines.add(m.line)
        return units

    def _unit_for(self, view: View, line: int) -> _Unit:
        """The reading unit holding `line`: the smallest section of a useful size, else the
        page, else a block of lines of the oversized section."""
        span = view.section_at(line)
        while (
            span.parent is not None
            and span.parent != 0
            and view.chars(span.start, span.end) < self.min_section_chars
            and view.chars(*_bounds(view.sections[span.parent])) <= self.section_chars
        ):
            span = view.sections[span.parent]
        if span.index != 0 and view.chars(span.start, span.end) <= self.section_chars:
            return _Unit(view.file, span.start, span.end, span, True)
        page = view.page_of(line)
        lo, hi = (span.start, span.end) if span.index else (1, len(view.lines))
        if page is not None:
            a = b = line
            while a > lo and view.page_of(a - 1) == page:
                a -= 1
            while b < hi and view.page_of(b + 1) == page:
                b += 1
            if view.chars(a, b) <= self.section_chars * 2:
                return _Unit(view.file, a, b, span, False)
        block = self.section_chars // 2
        a = lo
        while True:  # fixed blocks, so every hit in the same block maps to the same unit
            b = a
            while b < hi and view.chars(a, b + 1) <= block:
                b += 1
            if b >= line or b >= hi:
                return _Unit(view.file, a, b, span, False)
            a = b + 1

    def _score(
        self,
        units: dict[tuple[str, int], _Unit],
        patterns: list[_Pattern],
        terms: QuestionTerms,
        views: dict[str, View],
        chosen: list[str],
    ) -> None:
        n_sections = max(10, sum(len(views[f].sections) for f in chosen))
        df = [0] * len(patterns)
        for unit in units.values():
            for pi in unit.counts:
                df[pi] += 1
        for pi, p in enumerate(patterns):
            p.weight = _KIND_WEIGHT[p.kind] * math.log(1 + n_sections / (1 + df[pi]))
        targets: set[tuple[str, str]] = set()
        for f in chosen:
            for ref in terms.references:
                try:
                    span = self.tools.resolve(views[f], ref)
                except RagkitError:
                    span = None
                if span is not None:
                    targets.add((f, span.id))
        stems = [
            (p, re.compile(p.regex, re.I))
            for p in patterns
            if p.kind in ("term", "phrase", "synonym")
        ]
        file_rank = {f: i for i, f in enumerate(chosen)}
        for unit in units.values():
            score = sum(
                patterns[pi].weight * (1 + 0.5 * math.log(c)) for pi, c in unit.counts.items()
            )
            covered = len(unit.counts)
            score *= 1 + 0.15 * max(0, covered - 1)
            title = PATH_SEPARATOR.join(unit.span.path[-2:])
            score += sum(0.5 * p.weight for p, rx in stems if rx.search(title))
            if (unit.file, unit.span.id) in targets:
                score += 10.0
            chars = views[unit.file].chars(unit.start, unit.end)
            score /= 1 + 0.2 * math.log(1 + chars / 2000)
            score *= 1 - 0.05 * min(file_rank.get(unit.file, 5), 5)
            unit.score = score

    def _read_and_follow(
        self,
        reader: _Reader,
        units: dict[tuple[str, int], _Unit],
        patterns: list[_Pattern],
        terms: QuestionTerms,
        views: dict[str, View],
        held: list[SearchHit],
        refs: list[_Pattern],
        passages: int,
    ) -> tuple[list[Evidence], str]:
        """Read the best units (best first, up to `passages`), then follow their relevant
        references (and those of the `held` seeds, whose text the caller has) breadth first,
        a reference being relevant on a line matching `refs`; stops at the passage, step,
        token and follow budgets."""
        ranked = sorted(units.values(), key=lambda u: (-u.score, u.file, u.start))
        rx = [(p, re.compile(p.regex, re.I)) for p in refs if p.weight > 0]
        queue: list[tuple[Evidence, int, SectionSpan]] = [
            (_held_evidence(h), 1, h.section) for h in held
        ]
        stop = "done"
        top = ranked[0].score if ranked else 0.0
        for unit in ranked:
            if len([e for e in reader.evidence if not e.why.startswith("via")]) >= passages:
                break
            if not reader.budget_left():
                stop = "budget"
                break
            if unit.score < 0.15 * top:
                break
            if reader.covered(unit.file, unit.start, unit.end):
                continue
            ev = self._read_unit(reader, unit, patterns)
            if ev is not None:
                queue.append((ev, 1, unit.span))
        follows = 0
        while queue and follows < self.max_follows:
            ev, depth, span = queue.pop(0)
            if depth > self.follow_depth:
                continue
            for ref_label in self._relevant_references(ev, rx, terms):
                if follows >= self.max_follows or not reader.budget_left():
                    break
                followed = self._follow(reader, views[ev.file], ref_label, ev, span, ranked)
                if followed is not None:
                    follows += 1
                    queue.append((followed[0], depth + 1, followed[1]))
        if not reader.budget_left():
            stop = "budget"
        return reader.evidence, stop

    def _read_unit(self, reader: _Reader, unit: _Unit, patterns: list[_Pattern]) -> Evidence | None:
        """Read one grep unit (its whole section, or its lines with a margin)."""
        a, b = unit.start, unit.end
        if not unit.whole:  # a margin so quotes straddling a block edge stay whole
            margin = max(2, (b - a) // 4)
            a, b = max(unit.span.start, a - margin), min(unit.span.end or b, b + margin)
        try:
            if unit.whole:
                res = reader.tools.read(
                    unit.file,
                    section=unit.span.id,
                    max_chars=reader.chars(self.section_chars + 500),
                )
            else:
                res = reader.tools.read(
                    unit.file, start=a, end=b, max_chars=reader.chars(self.section_chars * 2)
                )
        except RagkitError as exc:
            logger.info("read failed: %s", exc)
            return None
        why = "grep: " + ", ".join(sorted({patterns[i].text for i in unit.counts})[:6])
        if unit.hit:
            why = f"hit {unit.hit}" + (f"; {why}" if unit.counts else "")
        return reader.take(res, unit.score, why, unit.span)

    def _follow(
        self, reader: _Reader, view: View, ref_label: str, ev: Evidence, span: SectionSpan,
        ranked: list[_Unit],
    ) -> tuple[Evidence, SectionSpan] | None:  # fmt: skip
        """Follow one reference from `ev`: the whole target section when it is short (or
        holds no grep unit), else its best grep unit; None when not followed."""
        tools = reader.tools
        try:
            target = tools.resolve(view, ref_label, within=span)
        except RagkitError:
            target = None
        if target is None or target.index == 0:
            return None
        if reader.covered(view.file, *_bounds(target)) or _inside(span, target):
            return None
        if reader.covered(view.file, target.start, target.start):
            return None  # followed before (its opening was read): nothing new up front
        inner = [
            u
            for u in ranked
            if u.file == view.file
            and target.start <= u.start
            and u.end <= max(target.end, u.end)
            and u.start <= target.end
        ]
        try:
            if view.chars(*_bounds(target)) <= self.section_chars or not inner:
                res = tools.follow(view.file, ref_label, max_chars=reader.chars(self.section_chars))
                got = target
            else:
                best = inner[0]
                if reader.covered(best.file, best.start, best.end):
                    return None
                res = tools.read(view.file, start=best.start, end=best.end,
                                 max_chars=reader.chars(self.section_chars * 2))  # fmt: skip
                got = best.span
        except RagkitError as exc:
            logger.info("follow %s failed: %s", ref_label, exc)
            return None
        own = max((u.score for u in inner), default=0.0)
        why = f"via {ref_label} from {PATH_SEPARATOR.join(span.path[-1:])}"
        return reader.take(res, max(own, ev.score * 0.9), why, got), got

    def _relevant_references(
        self, ev: Evidence, rx: list[tuple[_Pattern, re.Pattern[str]]], terms: QuestionTerms
    ) -> list[str]:
        """References in the passage, those on lines with question evidence first; references
        the question itself names always count, and so do those of a section the question
        names by its title (a section cue: "Item 3. Legal Proceedings" often only points to
        the note that holds the matters)."""
        try:
            from ragkit.chunkers.references import find_references
        except ImportError:  # pragma: no cover
            return []
        title = ev.section_path[-1] if ev.section_path else ""
        named = sum(p.weight for p, r in rx if p.kind == "cue" and r.search(title))
        scored: dict[str, float] = {}
        for line in ev.text.split("\n"):
            refs = find_references(line)
            if not refs:
                continue
            weight = named + sum(p.weight for p, r in rx if r.search(line))
            for ref in refs:
                if ref.kind == "part":
                    continue
                label = ref.label
                if label in terms.references:
                    weight += 10
                if weight > 0:
                    scored[label] = max(scored.get(label, 0.0), weight)
        return [lab for lab, _ in sorted(scored.items(), key=lambda x: (-x[1], x[0]))][:3]


# -- helpers -------------------------------------------------------------------------------------
def _held_evidence(hit: SearchHit) -> Evidence:
    """A seed the caller holds, as a passage whose references can be followed."""
    return Evidence(hit.text, hit.file, hit.section_path, hit.section.id, hit.line_start,
                    hit.line_end, hit.page_start, hit.page_end, hit.score,
                    f"seed {hit.rank}")  # fmt: skip


def _with_seed_files(
    chosen: list[str], seeds: list[SearchHit], n_files: int, max_files: int
) -> list[str]:
    """The files to grep: the agent's own choice plus the seeds' best files; when the agent
    could single out no file (it would grep them all) and seeds exist, the seeds' files."""
    seed_files = list(dict.fromkeys(h.file for h in seeds))[:max_files]
    if not seed_files:
        return chosen
    if len(chosen) == n_files and n_files > max_files:
        return seed_files
    return [*chosen, *(f for f in seed_files if f not in chosen)]


def _bounds(span: SectionSpan) -> tuple[int, int]:
    return span.start, span.end


def _inside(outer: SectionSpan, inner: SectionSpan) -> bool:
    return outer.start <= inner.start and inner.end <= outer.end


def _iso(date: str) -> str:
    months = (
        "january february march april may june july august september october november december"
    ).split()
    month, day, year = date.replace(",", "").split()
    return f"{year}-{months.index(month.lower()) + 1:02d}-{int(day):02d}"


def _company_names(view: View, suffixes: Collection[str]) -> list[str]:
    """Normalised company names for a file: from metadata (corporate `suffixes`, the
    lexicon's, dropped) and from its file name."""
    names: list[str] = []
    company = str(view.metadata.get("company", ""))
    if company:
        words = [w for w in re.split(r"[^A-Za-z0-9&]+", company) if w]
        core = [w for w in words if w.lower() not in suffixes]
        if core:
            names.append(_norm(" ".join(core)))
            names.append(_norm(core[0])) if len(core[0]) >= 4 else None
    stem = Path(view.file).stem
    head = re.split(
        r"[_\-\s]+(?:19|20)\d{2}|[_\-\s]+10-?[kq]\b|-fy|-\d", stem, maxsplit=1, flags=re.I
    )[0]
    if len(_norm(head)) >= 2:
        names.append(_norm(head))
    return [n for n in names if n and len(n) >= 2]


def _identity_words(view: View, suffixes: Collection[str]) -> set[str]:
    """Words that name a file's company (not searched inside files); corporate `suffixes`
    are not among them."""
    out: set[str] = set()
    company = str(view.metadata.get("company", ""))
    for w in re.split(r"[^A-Za-z0-9&\-]+", company):
        if w and w.lower() not in suffixes:
            out.add(w.lower())
    if company:
        out.add(_norm(company.split(",")[0]))
    ticker = str(view.metadata.get("ticker", ""))
    if ticker:
        out.add(ticker.lower())
    for name in _company_names(view, suffixes):
        out.add(name)
    return out


def _file_years(file: str, meta: Mapping[str, Any]) -> set[int]:
    years = {int(y) for y in re.findall(r"(?<!\d)((?:19|20)\d{2})(?!\d)", file)}
    for key in ("fiscal_year",):
        if isinstance(meta.get(key), int):
            years.add(int(meta[key]))
    period = str(meta.get("period_end", ""))
    if re.match(r"\d{4}", period):
        years.add(int(period[:4]))
    return years


def _form_from_name(file: str) -> str:
    m = re.search(r"10-?([kq])", file, re.I)
    return f"10-{m.group(1).upper()}" if m else ""


def _values(value: Any) -> list[str]:
    items = value if isinstance(value, list | tuple | set) else [value]
    return [str(v).lower() for v in items]


def _file_passes(view: View, filters: Mapping[str, Any] | None) -> bool:
    if not filters:
        return True
    for key, value in filters.items():
        if key == "section":
            continue
        wanted = _values(value)
        have = Path(view.file).stem if key == "doc_id" else view.metadata.get(key)
        if have is None or str(have).lower() not in wanted:
            return False
    return True


def _section_filter(filters: Mapping[str, Any] | None) -> list[str]:
    if not filters or "section" not in filters:
        return []
    return _values(filters["section"])
