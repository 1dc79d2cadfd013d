"""Paired significance tests: seeded, symmetric, and sensitive to a real difference."""

from __future__ import annotations

import random

import pytest

from ragkit.bench.significance import compare, compare_all, paired_bootstrap, randomization_test
from ragkit.errors import ConfigError


def test_identical_systems_are_not_different() -> None:
    scores = [0.2, 0.5, 1.0, 0.0, 0.7]
    assert randomization_test(scores, scores) == 1.0
    diff, low, high = paired_bootstrap(scores, scores)
    assert diff == low == high == 0.0


def test_consistent_improvement_is_significant_and_ci_brackets_it() -> None:
    rng = random.Random(3)
    b = [rng.random() * 0.5 for _ in range(60)]
    a = [x + 0.2 + rng.uniform(-0.05, 0.05) for x in b]
    p = randomization_test(a, b, 5000, seed=1)
    assert p < 0.001
    diff, low, high = paired_bootstrap(a, b, 5000, seed=1)
    assert low < diff < high and 0.17 < low and high < 0.23


def test_noise_is_not_significant_and_results_are_seeded() -> None:
    rng = random.Random(5)
    a = [rng.random() for _ in range(40)]
    b = [x + rng.choice([-0.1, 0.1]) for x in a]
    b[0] = a[0]  # one tie
    p1 = randomization_test(a, b, 2000, seed=9)
    assert p1 == randomization_test(a, b, 2000, seed=9)
    assert p1 > 0.05
    assert randomization_test(a, b, 2000, seed=9) == randomization_test(b, a, 2000, seed=9)
    assert paired_bootstrap(a, b, 2000, seed=9) == paired_bootstrap(a, b, 2000, seed=9)


def test_compare_pairs_by_query_id() -> None:
    a = {"q1": 1.0, "q2": 1.0, "q3": 0.0, "q4": 1.0}
    b = {"q3": 0.0, "q2": 0.0, "q1": 0.0, "q9": 1.0}
    test = compare("hybrid", a, "bm25", b, "page_recall@10", n_resamples=1000)
    assert test.n == 3 and test.mean_a == pytest.approx(2 / 3) and test.mean_b == 0.0
    assert test.diff == pytest.approx(2 / 3)
    assert test.to_dict()["metric"] == "page_recall@10"
    tests = compare_all({"x": a, "y": b, "z": a}, "m", n_resamples=200)
    assert [(t.a, t.b) for t in tests] == [("x", "y"), ("x", "z"), ("y", "z")]


def test_bad_inputs() -> None:
    with pytest.raises(ConfigError, match="same length"):
        randomization_test([1.0, 2.0], [1.0])
    with pytest.raises(ConfigError, match="empty"):
        paired_bootstrap([], [])
    with pytest.raises(ConfigError, match="share no scored query"):
        compare("a", {"q1": 1.0}, "b", {"q2": 1.0}, "m")
