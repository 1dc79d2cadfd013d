"""Fusion methods checked against values computed by hand on tiny runs."""

from __future__ import annotations

import math

import pytest

from ragkit.errors import ConfigError
from ragkit.fusion import FUSION_METHODS, fuse, min_max, z_score
from ragkit.fusion.normalize import distribution
from ragkit.types import Chunk, Hit


def run(source: str, *pairs: tuple[str, float]) -> list[Hit]:
    return [Hit(cid, score, i, source) for i, (cid, score) in enumerate(pairs, start=1)]


SPARSE = run("bm25", ("a", 12.0), ("b", 8.0), ("c", 2.0))
DENSE = run("dense", ("c", 0.9), ("d", 0.6), ("a", 0.3))


def scores(hits: list[Hit]) -> dict[str, float]:
    return {h.chunk_id: h.score for h in hits}


def test_rrf_matches_hand_computed_values() -> None:
    fused = fuse([SPARSE, DENSE], "rrf")
    got = scores(fused)
    assert got["a"] == pytest.approx(1 / 61 + 1 / 63)
    assert got["c"] == pytest.approx(1 / 63 + 1 / 61)
    assert got["b"] == pytest.approx(1 / 62)  # missing from dense: contributes nothing there
    assert got["d"] == pytest.approx(1 / 62)
    # a and c tie, b and d tie: ties broken by chunk id
    assert [h.chunk_id for h in fused] == ["a", "c", "b", "d"]
    assert [h.rank for h in fused] == [1, 2, 3, 4]
    assert {h.source for h in fused} == {"rrf"}


def test_rrf_k_and_weights() -> None:
    got = scores(fuse([SPARSE, DENSE], "rrf", weights=[0.7, 0.3], k=10))
    assert got["a"] == pytest.approx(0.7 / 11 + 0.3 / 13)
    assert got["d"] == pytest.approx(0.3 / 12)
    by_name = scores(fuse([SPARSE, DENSE], "rrf", weights={"dense": 2.0}, k=0))
    assert by_name["c"] == pytest.approx(1 / 3 + 2 / 1)


def test_normalisers_by_hand() -> None:
    assert min_max([12.0, 8.0, 2.0]) == pytest.approx([1.0, 0.6, 0.0])
    assert min_max([3.0, 3.0]) == [1.0, 1.0]
    # mean 2, population std sqrt(2/3)
    std = math.sqrt(2 / 3)
    assert z_score([1.0, 2.0, 3.0]) == pytest.approx([-1 / std, 0.0, 1 / std])
    # mean ± 3σ onto [0, 1]: x=3 → (3 - (2 - 3σ)) / 6σ = 0.5 + 1/(6σ)
    third = 1 / (6 * std)
    assert distribution([1.0, 2.0, 3.0]) == pytest.approx([0.5 - third, 0.5, 0.5 + third])
    assert distribution([0.0] * 30 + [100.0])[-1] == 1.0  # clipped at mean + 3σ


def test_convex_combination_with_min_max() -> None:
    # sparse minmax: a=1, b=0.6, c=0; dense minmax: c=1, d=0.5, a=0
    got = scores(fuse([SPARSE, DENSE], "convex", weights=[3, 7]))  # rescaled to 0.3 / 0.7
    assert got["a"] == pytest.approx(0.3 * 1 + 0.7 * 0)
    assert got["b"] == pytest.approx(0.3 * 0.6 + 0.7 * 0)  # missing from dense → 0
    assert got["c"] == pytest.approx(0.3 * 0 + 0.7 * 1)
    assert got["d"] == pytest.approx(0.3 * 0 + 0.7 * 0.5)
    assert [h.chunk_id for h in fuse([SPARSE, DENSE], "convex", weights=[3, 7])] == [
        "c",
        "d",
        "a",
        "b",
    ]


def test_convex_with_z_score_gives_missing_the_run_minimum() -> None:
    zs = z_score([12.0, 8.0, 2.0])
    zd = z_score([0.9, 0.6, 0.3])
    got = scores(fuse([SPARSE, DENSE], "convex", norm="zscore"))
    assert got["a"] == pytest.approx(0.5 * zs[0] + 0.5 * zd[2])
    assert got["b"] == pytest.approx(0.5 * zs[1] + 0.5 * min(zd))
    assert got["d"] == pytest.approx(0.5 * min(zs) + 0.5 * zd[1])
    zero = scores(fuse([SPARSE, DENSE], "convex", norm="zscore", missing="zero"))
    assert zero["b"] == pytest.approx(0.5 * zs[1])


def test_combsum_and_combmnz() -> None:
    s = scores(fuse([SPARSE, DENSE], "combsum"))
    assert s == pytest.approx({"a": 1.0, "b": 0.6, "c": 1.0, "d": 0.5})
    m = scores(fuse([SPARSE, DENSE], "combmnz"))
    # a and c appear in both runs (× 2); b and d in one (× 1)
    assert m == pytest.approx({"a": 2.0, "b": 0.6, "c": 2.0, "d": 0.5})


def test_dbsf_by_hand() -> None:
    ds, dd = distribution([12.0, 8.0, 2.0]), distribution([0.9, 0.6, 0.3])
    got = scores(fuse([SPARSE, DENSE], "dbsf"))
    assert got["a"] == pytest.approx(ds[0] + dd[2])
    assert got["b"] == pytest.approx(ds[1])  # missing from dense → 0
    assert got["d"] == pytest.approx(dd[1])


@pytest.mark.parametrize("method", sorted(FUSION_METHODS))
def test_outputs_carry_chunk_and_merged_stage_scores(method: str) -> None:
    chunk = Chunk(id="a", doc_id="10k", text="Revenue rose 8% to $4.2 billion.")
    sparse = [Hit("a", 12.0, 1, "bm25", None, {}), Hit("b", 3.0, 2, "bm25")]
    dense = [Hit("a", 0.8, 1, "dense", chunk, {"embed_ms": 1.0}), Hit("c", 0.2, 2, "dense")]
    fused = fuse([sparse, dense], method)
    top = next(h for h in fused if h.chunk_id == "a")
    assert top.chunk is chunk
    assert top.scores["bm25"] == 12.0 and top.scores["dense"] == 0.8
    assert top.scores["embed_ms"] == 1.0
    assert top.scores[method] == top.score
    assert [h.rank for h in fused] == list(range(1, len(fused) + 1))
    keys = [(-h.score, h.chunk_id) for h in fused]
    assert keys == sorted(keys)


def test_duplicates_within_a_run_count_once() -> None:
    dup = run("bm25", ("a", 5.0), ("a", 4.0), ("b", 1.0))
    got = scores(fuse([dup], "rrf"))
    assert got == pytest.approx({"a": 1 / 61, "b": 1 / 62})


def test_empty_inputs() -> None:
    assert fuse([], "rrf") == []
    assert scores(fuse([SPARSE, []], "convex")) == pytest.approx({"a": 0.5, "b": 0.3, "c": 0.0})


def test_errors_are_clear() -> None:
    with pytest.raises(ConfigError, match="unknown fusion method 'borda'"):
        fuse([SPARSE], "borda")
    with pytest.raises(ConfigError, match=r"unknown parameters \['norm'\].*accepts \['k'\]"):
        fuse([SPARSE], "rrf", norm="minmax")
    with pytest.raises(ConfigError, match="2 runs"):
        fuse([SPARSE, DENSE], "rrf", weights=[1.0])
    with pytest.raises(ConfigError, match="expected a number >= 0"):
        fuse([SPARSE, DENSE], "rrf", weights=[1.0, -1.0])
    with pytest.raises(ConfigError, match="unknown runs"):
        fuse([SPARSE, DENSE], "rrf", weights={"splade": 1.0})
    with pytest.raises(ConfigError, match="unknown score normalisation 'l2'"):
        fuse([SPARSE], "convex", norm="l2")
    with pytest.raises(ConfigError, match="rrf k"):
        fuse([SPARSE], "rrf", k=-1)
