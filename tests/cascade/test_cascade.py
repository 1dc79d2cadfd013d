"""The cascade on synthetic filings: escalation brings in evidence that sits in a referenced
note without losing what the pipeline found; the decision and its signals are traced; the
budget bounds what escalation reads; the merge keeps pipeline hits a passage contains."""

from __future__ import annotations

from pathlib import Path

import pytest

from ragkit.agentic import Tools
from ragkit.agentic.result import AgentResult, Evidence
from ragkit.cascade import Cascade, EscalationBudget, merge
from ragkit.chunkers import get_chunker
from ragkit.errors import ConfigError, QueryError
from ragkit.indexes import BM25Index
from ragkit.parsers import load
from ragkit.types import Chunk, Hit
from tests.synthetic import write_synthetic_corpus

#: The question's evidence: the liquidity discussion's pointer and the note it points to.
QUESTION = (
    "Which lease commitments does Orbital's discussion of net cash provided by operating "
    "activities refer to?"
)
POINTER = "See Note 12 for lease commitments."
IN_NOTE = "Operating lease liabilities due after five years were $611 million."


def _norm(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def _relevant(hits: list[Hit]) -> int:
    gold = [_norm(POINTER), _norm(IN_NOTE)]
    return sum(1 for h in hits if h.chunk and any(g in _norm(h.chunk.text) for g in gold))


def _has(hits: list[Hit], text: str) -> bool:
    return any(h.chunk is not None and _norm(text) in _norm(h.chunk.text) for h in hits)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cascade")
    write_synthetic_corpus(root / "corpus")
    return root / "corpus"


@pytest.fixture(scope="module")
def index(corpus: Path) -> BM25Index:
    chunker = get_chunker("hierarchical")
    built = BM25Index()
    built.add([c for doc in load([corpus]) for c in chunker.chunk(doc)])
    return built


def _cascade(index: BM25Index, corpus: Path, tmp_path: Path, **kw: object) -> Cascade:
    return Cascade(index, corpus, view_cache=tmp_path / "views", **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("k", [3, 4, 6])
def test_never_fewer_relevant_hits_than_the_pipeline_when_evidence_is_in_a_note(
    index: BM25Index, corpus: Path, tmp_path: Path, k: int
) -> None:
    pipeline = index.search([QUESTION], k)[0]
    assert _has(pipeline, POINTER) and not _has(pipeline, IN_NOTE)  # the note is missed
    result = _cascade(index, corpus, tmp_path).retrieve(QUESTION, k)
    assert result.escalated
    assert "orbital-10k-2023#" in " ".join(result.decision.signals.open_links)
    assert _relevant(result.hits) >= _relevant(pipeline)
    assert _has(result.hits, IN_NOTE) and _has(result.hits, POINTER)
    assert len(result.hits) <= k and [h.rank for h in result.hits] == list(range(1, k + 1))


def test_the_decision_and_its_signals_are_in_the_trace(
    index: BM25Index, corpus: Path, tmp_path: Path
) -> None:
    result = _cascade(index, corpus, tmp_path).retrieve(QUESTION, 4)
    decision = result.trace.stage("cascade")
    assert decision is not None and decision.info["role"] == "decision"
    assert decision.info["escalate"] is True and decision.info["score"] < decision.info["threshold"]
    assert decision.info["signals"]["links"] == 0.0
    escalation = result.trace.stage("escalation")
    assert escalation is not None and escalation.info["tokens_read"] > 0
    assert [cid for cid, _, _ in escalation.hits_out] == [h.chunk_id for h in result.hits]
    pipeline_tokens = sum(h.chunk.n_tokens for h in result.pipeline_hits[:4] if h.chunk)
    assert result.escalation is not None
    assert result.context_tokens == pipeline_tokens + result.escalation.tokens_read


def test_no_escalation_returns_the_pipeline_hits_at_pipeline_cost(
    index: BM25Index, corpus: Path, tmp_path: Path
) -> None:
    result = _cascade(index, corpus, tmp_path, threshold=0.0).retrieve(QUESTION, 5)
    pipeline = index.search([QUESTION], 10)[0]
    assert not result.escalated and result.trace.stage("escalation") is None
    assert [h.chunk_id for h in result.hits] == [h.chunk_id for h in pipeline[:5]]
    assert result.context_tokens == sum(h.chunk.n_tokens for h in pipeline[:5] if h.chunk)


def test_the_budget_bounds_what_escalation_reads(
    index: BM25Index, corpus: Path, tmp_path: Path
) -> None:
    small = EscalationBudget(max_tokens=300, max_patterns=1, grep_matches=3)
    tight = _cascade(index, corpus, tmp_path, threshold=2.0, budget=small)
    result = tight.retrieve("What are Acme's remaining lease terms and revenue?", 6)
    assert result.escalation is not None
    # a read starts only under budget and is cut to what is left (never under 400 chars)
    assert result.escalation.tokens_read <= small.max_tokens + 150
    assert result.escalation.steps <= small.max_steps
    roomy = _cascade(index, corpus, tmp_path, threshold=2.0).retrieve(
        "What are Acme's remaining lease terms and revenue?", 6
    )
    assert roomy.escalation is not None
    assert roomy.escalation.tokens_read >= result.escalation.tokens_read


def test_the_contract_and_bad_settings(index: BM25Index, corpus: Path, tmp_path: Path) -> None:
    cascade = _cascade(index, corpus, tmp_path)
    assert cascade.search([], 3) == []
    hits = cascade.search([QUESTION, "flux capacitor customers"], 3)
    assert len(hits) == 2 and all(0 < len(h) <= 3 for h in hits)
    only = cascade.search([QUESTION], 5, filters={"doc_id": "acme-10k-fy2024"})[0]
    assert only and all(h.chunk is not None and h.chunk.doc_id == "acme-10k-fy2024" for h in only)
    with pytest.raises(QueryError):
        cascade.search(["  "], 3)
    with pytest.raises(ConfigError):
        _cascade(index, corpus, tmp_path, weights={"colour": 1.0})
    with pytest.raises(ConfigError):
        _cascade(index, corpus, tmp_path, head=0)
    with pytest.raises(ConfigError):
        EscalationBudget(max_tokens=0)
    with pytest.raises(ConfigError):
        Cascade(object(), corpus)  # type: ignore[arg-type]


def test_merge_puts_a_containing_passage_in_place_of_the_hits_it_holds(
    corpus: Path, tmp_path: Path
) -> None:
    tools = Tools(corpus, view_cache=tmp_path / "v")
    index = BM25Index()
    chunker = get_chunker("hierarchical")
    chunks = [c for doc in load([corpus / "acme-10k-fy2024.htm"]) for c in chunker.chunk(doc)]
    index.add(chunks)
    hits = index.search(["operating leases remaining terms"], 4)[0]
    seeds = [s for h in hits if (s := tools.place(h)) is not None]
    first = seeds[0]
    section = tools.view(first.file).text(first.section.start, first.section.end)
    around = Evidence(section, first.file, first.section_path, first.section.id,
                      first.section.start, first.section.end, score=2.0)  # fmt: skip
    elsewhere = Evidence("a note", first.file, (), "", 1, 1, score=1.0)
    result = AgentResult("q", [around, elsewhere, elsewhere])  # a passage read twice
    found = result.hits(3, "escalation")
    merged = merge(hits, seeds, found, result, 4, insert_at=1)
    ids = [h.chunk_id for h in merged]
    assert ids[0] == around.id  # in the place of the hit whose text it contains
    assert ids[1] == elsewhere.id and ids.count(elsewhere.id) == 1  # after insert_at=1 hits
    assert hits[0].chunk_id not in ids and len(merged) == 4
    assert [h.score for h in merged] == sorted((h.score for h in merged), reverse=True)
    assert merged[0].scores["escalation"] == 2.0
    assert isinstance(merged[2].chunk, Chunk)
