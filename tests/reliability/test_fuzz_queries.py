"""Fuzzing what reads queries and fuses rankings: the index analyzer (finance tokens and
numbers), the question analyzer and router, the agent's question terms, the query
classifier and every fusion method. Any input gives a result or a `RagkitError`, quickly, and
no result is silently empty where the input has content."""

from __future__ import annotations

import math
import time

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from ragkit.agentic.question import analyze as question_terms
from ragkit.errors import RagkitError
from ragkit.fusion import FUSION_METHODS, classify_query, fuse
from ragkit.indexes.analyzer import Analyzer
from ragkit.routing.entities import EntityCatalog, record_from_metadata
from ragkit.routing.query_analyzer import QueryAnalyzer
from ragkit.routing.router import Router
from ragkit.types import Hit
from tests.routing.conftest import FILINGS

ANALYZER = Analyzer()
CATALOG = EntityCatalog([record_from_metadata(d, m) for d, m in FILINGS])
ROUTER = Router(CATALOG)
QUERY_ANALYZER = QueryAnalyzer(CATALOG)

HOSTILE_QUERIES = [
    "",
    " " * 10_000,
    "\x00\ud800 lone surrogate \udfff",
    "$" * 5_000 + "1" * 5_000,
    "10-K " * 3_000,
    "Q1 FY2024 " * 2_000,
    "(" * 5_000 + "revenue" + ")" * 5_000,
    "What was 3M's revenue in " + "fiscal " * 4_000 + "2024?",
    "1,2,3,4,5,6,7,8,9,0," * 2_000 + " billion",
    "ＡＰＰＬＥ 收入 ﷽ 𝔑𝔦𝔨𝔢 revenue",
    "Nike " * 5_000,
]

#: Finance words a query is made of (none is a stop word).
VOCAB = st.sampled_from(
    "revenue operating income lease liabilities capex dividend margin goodwill impairment "
    "inventory segment backlog repurchase EBITDA cash flow debt maturities tax rate".split()
)


def _timed(fn: object, *args: object) -> object:
    t0 = time.perf_counter()
    try:
        out = fn(*args)  # type: ignore[operator]
    except RagkitError:
        out = None
    assert time.perf_counter() - t0 < 5.0
    return out


@pytest.mark.parametrize("query", HOSTILE_QUERIES, ids=range(len(HOSTILE_QUERIES)))
def test_hostile_queries(query: str) -> None:
    for fn in (ANALYZER, QUERY_ANALYZER.analyze, ROUTER.route, question_terms, classify_query):
        _timed(fn, query)


@given(st.text(max_size=500))
@example("What was Nike's revenue in FY2024 and Q2 2025 (10-Q)?")
def test_any_text_is_handled(query: str) -> None:
    tokens = _timed(ANALYZER, query)
    assert tokens is None or all(isinstance(t, str) and t for t in tokens)  # type: ignore[union-attr]
    _timed(QUERY_ANALYZER.analyze, query)
    _timed(ROUTER.route, query)
    _timed(question_terms, query)
    _timed(classify_query, query)


@given(st.lists(VOCAB, min_size=1, max_size=8), st.text(alphabet=" ,.;:?!()$%", max_size=20))
def test_content_words_are_never_dropped(words: list[str], noise: str) -> None:
    query = noise.join(words) if noise.strip() else " ".join(words)
    assert ANALYZER(query), query  # finance words always make tokens
    terms = question_terms(query)
    assert terms.terms or terms.phrases, query


@given(
    st.sampled_from(
        [("NIKE", "nke"), ("Nike", "nke"), ("Boeing", "ba"), ("NVIDIA", "nvda"), ("3M", "mmm")]
    ),
    st.lists(VOCAB, min_size=1, max_size=5),
    st.sampled_from(["2024", "fiscal 2024", "FY2025", ""]),
)
def test_a_named_company_is_always_found(
    company: tuple[str, str], words: list[str], year: str
) -> None:
    name, prefix = company
    query = f"What was {name}'s {' '.join(words)} {year}?"
    analysis = QUERY_ANALYZER.analyze(query)
    assert analysis.companies, query
    decision = ROUTER.route(query)
    ranked = decision.ranked_docs or tuple(decision.filters.get("doc_id", ()))
    assert ranked and all(d.startswith(prefix) for d in ranked[:1]), (query, decision.reason)


# -- fusion ------------------------------------------------------------------------------

SCORES = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@st.composite
def runs(draw: st.DrawFn) -> list[list[Hit]]:
    keys = draw(st.lists(st.sampled_from([f"c{i}" for i in range(12)]), min_size=0, max_size=12))
    out: list[list[Hit]] = []
    for source in draw(st.lists(st.sampled_from(["bm25", "dense", "tfidf"]), min_size=1,
                                max_size=3, unique=True)):  # fmt: skip
        ids = draw(st.permutations(sorted(set(keys))))[: draw(st.integers(0, 12))]
        scores = sorted((draw(SCORES) for _ in ids), reverse=True)
        out.append(
            [Hit(i, s, r + 1, source) for r, (i, s) in enumerate(zip(ids, scores, strict=True))]
        )
    return out


@pytest.mark.parametrize("method", sorted(FUSION_METHODS))
@given(runs())
def test_fusion_keeps_every_candidate_once_with_finite_scores(
    method: str, lists: list[list[Hit]]
) -> None:
    fused = fuse(lists, method=method)
    expected = {h.chunk_id for run in lists for h in run}
    assert sorted(h.chunk_id for h in fused) == sorted(expected)
    assert [h.rank for h in fused] == list(range(1, len(fused) + 1))
    assert all(math.isfinite(h.score) for h in fused)
    assert [h.score for h in fused] == sorted((h.score for h in fused), reverse=True)


@pytest.mark.parametrize("method", sorted(FUSION_METHODS))
@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_fusion_on_non_finite_scores_is_typed_or_finite(method: str, bad: float) -> None:
    lists = [
        [Hit("a", bad, 1, "bm25"), Hit("b", 1.0, 2, "bm25")],
        [Hit("b", 0.5, 1, "dense"), Hit("c", 0.1, 2, "dense")],
    ]
    try:
        fused = fuse(lists, method=method)
    except RagkitError:
        return
    assert {h.chunk_id for h in fused} == {"a", "b", "c"}
    assert all(math.isfinite(h.score) for h in fused), [(h.chunk_id, h.score) for h in fused]


@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=3), runs())
def test_fusion_weights_of_any_value(weights: list[float], lists: list[list[Hit]]) -> None:
    try:
        fused = fuse(lists, method="rrf", weights=weights)
    except RagkitError:
        return
    assert all(math.isfinite(h.score) for h in fused)
