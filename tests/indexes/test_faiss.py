"""FAISS index choice, device choice, approximate recall against exact search, filtered search."""

from __future__ import annotations

import numpy as np
import pytest

from ragkit.errors import ConfigError
from ragkit.indexes import FaissParams, VectorIndex, choose_device, choose_index_type


def test_index_type_by_corpus_size() -> None:
    assert choose_index_type(1_000) == "flat"
    assert choose_index_type(50_000) == "flat"
    assert choose_index_type(200_000) == "hnsw"
    assert choose_index_type(5_000_000) == "ivf"
    assert choose_index_type(10, "hnsw") == "hnsw"
    with pytest.raises(ConfigError, match="unknown index type"):
        choose_index_type(10, "annoy")


def test_device_choice_without_and_with_gpus() -> None:
    assert choose_device("flat", n_gpus=0) == "cpu"
    assert choose_device("flat", n_gpus=0, use_gpu=True) == "cpu"  # falls back
    assert choose_device("flat", n_gpus=1) == "gpu"
    assert choose_device("ivf", n_gpus=2) == "gpu"
    assert choose_device("hnsw", n_gpus=1) == "cpu"  # no GPU HNSW in FAISS
    assert choose_device("flat", n_gpus=1, use_gpu=False) == "cpu"


def test_index_on_this_machine_runs_where_faiss_says() -> None:
    import faiss

    index = VectorIndex(8, FaissParams(index_type="flat"))
    index.build(np.eye(8, dtype=np.float32))
    assert index.device == ("gpu" if faiss.get_num_gpus() > 0 else "cpu")


def _clustered(n: int, d: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(64, d))
    x = centers[rng.integers(0, 64, n)] + 0.35 * rng.normal(size=(n, d))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x.astype(np.float32)


def _recall(approx: np.ndarray, exact: np.ndarray) -> float:
    return float(
        np.mean([len(set(a) & set(e)) / len(e) for a, e in zip(approx, exact, strict=True)])
    )


@pytest.mark.parametrize("kind", ["hnsw", "ivf"])
def test_approximate_recall_at_10_against_exact(kind: str) -> None:
    x = _clustered(6000, 64, seed=0)
    q = _clustered(200, 64, seed=1)
    flat = VectorIndex(64, FaissParams(index_type="flat"))
    flat.build(x)
    approx = VectorIndex(64, FaissParams(index_type=kind))
    approx.build(x)
    _, exact_rows = flat.search(q, 10)
    _, rows = approx.search(q, 10)
    assert approx.kind == kind
    assert _recall(rows, exact_rows) >= 0.95


def test_ivfpq_builds_and_finds_itself() -> None:
    x = _clustered(3000, 64, seed=2)
    index = VectorIndex(64, FaissParams(index_type="ivfpq", pq_m=16))
    index.build(x)
    _, rows = index.search(x[:50], 10)
    assert np.mean([i in r for i, r in enumerate(rows)]) >= 0.9


@pytest.mark.parametrize("kind", ["flat", "hnsw", "ivf"])
def test_filtered_search_returns_k_allowed_rows(kind: str) -> None:
    x = _clustered(4000, 32, seed=3)
    index = VectorIndex(32, FaissParams(index_type=kind))
    index.build(x)
    allowed = np.arange(0, 4000, 97)  # 42 rows, far from most queries
    for vectors in (x, None):  # exact over the subset, and FAISS's ID selector
        scores, rows = index.search(x[:5], 10, allowed=allowed, vectors=vectors)
        assert rows.shape == (5, 10)
        assert set(rows.ravel()) <= set(allowed)
        assert np.all(np.diff(scores, axis=1) <= 1e-6)
    # exact subset search equals brute force
    _, rows = index.search(x[:1], 5, allowed=allowed, vectors=x)
    brute = allowed[np.argsort(-(x[allowed] @ x[0]))[:5]]
    assert list(rows[0]) == list(brute)


def test_k_beyond_corpus_is_padded_and_empty_selection() -> None:
    x = _clustered(20, 16, seed=4)
    index = VectorIndex(16, FaissParams(index_type="flat"))
    index.build(x)
    scores, rows = index.search(x[:2], 30)
    assert (rows[:, :20] >= 0).all() and (rows[:, 20:] == -1).all()
    _, rows = index.search(x[:2], 5, allowed=np.zeros(0, dtype=np.int64), vectors=x)
    assert (rows == -1).all()


def test_bad_parameters_are_rejected() -> None:
    with pytest.raises(ConfigError, match="ef_search"):
        FaissParams(ef_search=0)
    with pytest.raises(ConfigError, match="dimension"):
        VectorIndex(0)
