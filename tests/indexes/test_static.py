"""The static-minilm model: distilled from MiniLM, loaded by name, fast and still semantic.

The full distillation embeds all 30,522 vocabulary tokens (a minute or two on 2 cores), so the
test distils only the tokens its texts use, through the same code path, into a private cache.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ragkit.indexes import STATIC_MODEL, DenseIndex, Embedder
from ragkit.indexes.embeddings import packaged_model_path
from ragkit.indexes.static import build_static_model, load_static_model, static_model_dir
from ragkit.types import Chunk

from .conftest import make_chunks

QUERIES = {
    "How much cash did operating activities provide?": "Cash provided by operating activities",
    "Which accounting standard governs revenue recognition?": "Revenue is recognized under ASC",
    "Did the company record a goodwill impairment?": "Goodwill is tested for impairment",
    "How many people does the company employ?": "As of December 31, 2024, we employed",
    "What happens when storms hit the railroad?": "Severe weather, including floods",
}


@pytest.fixture(scope="module")
def static_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private ragkit cache holding a static-minilm distilled for the test texts' tokens."""
    from tokenizers import Tokenizer

    root = tmp_path_factory.mktemp("ragkit-cache")
    tok = Tokenizer.from_file(str(Path(packaged_model_path()) / "tokenizer.json"))
    texts = [c.search_text for c in make_chunks()] + list(QUERIES)
    ids = {i for e in tok.encode_batch(texts, add_special_tokens=False) for i in e.ids}
    ids |= set(range(1000, 1000 + 300))  # common tokens, so PCA sees a spread of vectors
    build_static_model(
        root / "models" / "static-minilm", token_ids=sorted(ids), show_progress=False
    )
    return root


@pytest.mark.slow
def test_loads_by_name_and_ranks_relevant_passages_first(
    static_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RAGKIT_CACHE", str(static_cache))
    assert static_model_dir() == static_cache / "models" / "static-minilm"
    emb = Embedder(STATIC_MODEL)
    assert emb.dim == 256 and emb.cache is None  # static encoding is cheaper than the cache
    chunks: list[Chunk] = make_chunks()
    vecs = emb.encode_passages([c.search_text for c in chunks])
    assert vecs.shape == (len(chunks), 256) and vecs.dtype == np.float32
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    index = DenseIndex(emb, index_type="flat")
    index.add_vectors(chunks, vecs)
    hits = index.search(list(QUERIES), k=3)
    top1 = sum(h[0].chunk.text.startswith(p) for h, p in zip(hits, QUERIES.values(), strict=True))
    top3 = sum(
        any(x.chunk.text.startswith(p) for x in h)
        for h, p in zip(hits, QUERIES.values(), strict=True)
    )
    assert top1 >= 3 and top3 >= 4, [[x.chunk.text[:40] for x in h] for h in hits]


@pytest.mark.slow
def test_static_encoding_is_the_mean_of_token_vectors(static_cache: Path) -> None:
    model = load_static_model(folder=static_cache / "models" / "static-minilm")
    text = "Goodwill impairment testing"
    ids = model.tokenizer.encode(text, add_special_tokens=False).ids
    expected = model.vectors[ids].mean(axis=0)
    expected /= np.linalg.norm(expected)
    got = model.encode([text, "", text])
    assert np.allclose(got[0], expected, atol=1e-5) and np.allclose(got[2], got[0])
    assert not got[1].any()  # no tokens: a zero vector, not NaN
