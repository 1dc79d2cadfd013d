"""Metrics against hand-computed values, against ranx (a kept evaluator), and the norm rule."""

from __future__ import annotations

import math
import random
from pathlib import Path

import numpy as np
import pytest

from ragkit.bench import metrics as m
from ragkit.bench.datasets import load_beir
from ragkit.errors import ConfigError
from ragkit.types import Chunk, Hit


def _hit(
    rank: int,
    doc: str,
    text: str = "",
    pages: tuple[int, int] | None = None,
    n_tokens: int = 0,
    source: str = "",
) -> Hit:
    chunk = Chunk(
        id=f"{doc}#{rank}",
        doc_id=doc,
        text=text,
        page_start=pages[0] if pages else None,
        page_end=pages[1] if pages else None,
        n_tokens=n_tokens,
        metadata={"source_name": source} if source else {},
    )
    return Hit(chunk.id, 1.0 / rank, rank, "test", chunk)


# -- BEIR, by hand ----------------------------------------------------------------------------


def test_ndcg_recall_mrr_by_hand() -> None:
    ranked = ["d3", "d1", "d7", "d2"]
    qrels = {"d1": 1, "d2": 2, "d9": 1}
    dcg = 1 / math.log2(3) + 2 / math.log2(5)
    idcg = 2 / math.log2(2) + 1 / math.log2(3) + 1 / math.log2(4)
    assert m.ndcg_at_k(ranked, qrels, 10) == pytest.approx(dcg / idcg)
    assert m.ndcg_at_k(ranked, qrels, 2) == pytest.approx(
        (1 / math.log2(3)) / (2 + 1 / math.log2(3))
    )
    assert m.recall_at_k(ranked, qrels, 2) == pytest.approx(1 / 3)
    assert m.recall_at_k(ranked, qrels, 4) == pytest.approx(2 / 3)
    assert m.mrr_at_k(ranked, qrels, 10) == 0.5
    assert m.mrr_at_k(ranked, qrels, 1) == 0.0
    assert m.ndcg_at_k([], qrels, 10) == 0.0
    assert m.ndcg_at_k(["d1"], {}, 10) == 0.0


def test_bad_k_raises() -> None:
    with pytest.raises(ConfigError, match="positive integer, got 0"):
        m.ndcg_at_k(["a"], {"a": 1}, 0)


def test_ranked_doc_ids_keeps_best_passage_per_document() -> None:
    hits = [_hit(1, "a"), _hit(2, "b"), _hit(3, "a"), _hit(4, "c")]
    assert m.ranked_doc_ids(hits) == ["a", "b", "c"]


# -- BEIR, against ranx -----------------------------------------------------------------------


def _ranx_scores(qrels: dict[str, dict[str, int]], run: dict[str, dict[str, float]]) -> dict:
    from ranx import Qrels, Run, evaluate

    return evaluate(
        Qrels(qrels), Run(run), ["ndcg@10", "recall@100", "mrr@10"], make_comparable=True
    )


def _ours(qrels: dict[str, dict[str, int]], run: dict[str, dict[str, float]]) -> dict:
    out = {"ndcg@10": [], "recall@100": [], "mrr@10": []}
    for qid, rels in qrels.items():
        docs = sorted(run.get(qid, {}).items(), key=lambda kv: (-kv[1], kv[0]))
        ranked = [d for d, _ in docs]
        out["ndcg@10"].append(m.ndcg_at_k(ranked, rels, 10))
        out["recall@100"].append(m.recall_at_k(ranked, rels, 100))
        out["mrr@10"].append(m.mrr_at_k(ranked, rels, 10))
    return {k: float(np.mean(v)) for k, v in out.items()}


def test_beir_metrics_match_ranx_on_graded_random_runs() -> None:
    rng = random.Random(7)
    docs = [f"d{i}" for i in range(300)]
    qrels = {
        f"q{q}": {d: rng.choice([1, 1, 2, 3]) for d in rng.sample(docs, rng.randint(1, 6))}
        for q in range(40)
    }
    run = {}
    for qid, rels in qrels.items():
        pool = rng.sample(docs, 120) + list(rels)[: rng.randint(0, len(rels))]
        run[qid] = {d: rng.random() + i * 1e-9 for i, d in enumerate(dict.fromkeys(pool))}
    expected = _ranx_scores(qrels, run)
    assert _ours(qrels, run) == pytest.approx(expected, abs=1e-9)


@pytest.mark.slow
def test_beir_metrics_match_ranx_on_scifact_qrels(scifact_dir: Path) -> None:
    ds = load_beir(scifact_dir, "test")
    qrels = {q: dict(r) for q, r in ds.qrels.items()}
    rng = random.Random(11)
    corpus = [d.id for d in ds.corpus]
    run = {}
    for qid, rels in qrels.items():  # a noisy run: relevant docs at random depths
        pool = rng.sample(corpus, 150)
        for d in rels:
            if rng.random() < 0.7:
                pool.insert(rng.randint(0, 12), d)
        run[qid] = {d: 1000.0 - i for i, d in enumerate(dict.fromkeys(pool))}
    expected = _ranx_scores(qrels, run)
    ours = _ours(qrels, run)
    assert ours == pytest.approx(expected, abs=1e-9)
    assert 0.2 < ours["ndcg@10"] < 0.9  # the run is neither empty nor perfect


# -- the norm rule ----------------------------------------------------------------------------


def test_norm_examples_from_the_readme() -> None:
    assert m.norm("$ 97,690") == "97690"
    assert m.norm("Shockwave’s common stock") == "shockwavescommonstock"
    assert m.norm("Net sales | $ 14,082 | (2)\n") == "netsales140822"
    assert m.norm("Émission — Zürich_Straße") == "émissionzürichstraße"


def test_quote_matches_across_table_layouts_but_not_across_passages() -> None:
    quote = "Finished product operations | 2,462 | 2,407 | 4,869"
    one_cell_per_line = "Finished product operations\n2,462\n2,407\n4,869\nTotal"
    assert m.quote_in_text(quote, one_cell_per_line)
    assert m.quote_in_text(quote, "Finished  product operations\t$2,462\t$2,407\t$4,869")
    assert not m.quote_in_text(quote, "Finished product operations | 2,407 | 2,462 | 4,869")
    hits = [_hit(1, "ko", "Finished product operations | 2,462"), _hit(2, "ko", "| 2,407 | 4,869")]
    assert m.quotes_found(hits, [quote], 10) == [False]  # split across passages: a miss
    hits.append(_hit(3, "ko", one_cell_per_line))
    assert m.quotes_found(hits, [quote, "operations 2,462"], 10) == [True, True]
    assert m.quotes_found(hits, [quote], 2) == [False]  # beyond k
    assert not m.quote_in_text("$ --", "anything")  # a quote that normalises to nothing


# -- pages, documents, tokens, latency --------------------------------------------------------


def test_page_recall_and_coverage() -> None:
    evidence = [("3M_2018_10K", 57), ("3M_2018_10K", 59)]
    hits = [
        _hit(1, "3M_2022_10K", pages=(57, 57)),  # right page number, wrong document
        _hit(2, "3M_2018_10K", pages=(55, 57)),  # overlaps page 57
        _hit(3, "3M_2018_10K", pages=(58, 58)),
        _hit(4, "3M_2018_10K"),  # no page span: cannot count
        _hit(5, "x", source="3M_2018_10K.txt", pages=(59, 60)),  # matched by source file name
    ]
    assert m.page_hit_at_k(hits, evidence, 1) == 0.0
    assert m.page_hit_at_k(hits, evidence, 2) == 1.0
    assert m.pages_covered(hits, evidence, 4) == {("3M_2018_10K", 57)}
    assert m.pages_covered(hits, evidence, 5) == set(evidence)


def test_doc_recall() -> None:
    hits = [_hit(1, "ba-10q-2025q2"), _hit(2, "x", source="ko-10q-2025q2.htm")]
    assert m.doc_recall_at_k(hits, ["ko-10q-2025q2.htm"], 1) == 0.0
    assert m.doc_recall_at_k(hits, ["ko-10q-2025q2.htm"], 2) == 1.0
    assert m.doc_recall_at_k(hits, ["ba-10q-2025q2"], 1) == 1.0
    assert m.doc_recall_at_k([], ["ba-10q-2025q2"], 10) == 0.0


def test_context_tokens_and_percentiles() -> None:
    hits = [_hit(1, "a", "Net sales rose 4%.", n_tokens=0), _hit(2, "a", "ignored", n_tokens=100)]
    assert m.count_tokens("Net sales rose 4%.") == 6  # Net sales rose 4 % .
    assert m.context_tokens(hits, 1) == 6
    assert m.context_tokens(hits, 10) == 106
    values = [12.0, 3.0, 7.5, 40.0, 9.0, 1.0, 22.0]
    for q in (0, 50, 95, 100):
        assert m.percentile(values, q) == pytest.approx(float(np.percentile(values, q)))
    assert m.percentile([], 50) == 0.0
