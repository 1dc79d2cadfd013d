"""Adding a retriever touches no pipeline code: a TF-IDF retriever written here joins BM25 and
dense from a config, is fused with a weight keyed by its name, traced, and attributed."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pytest

from ragkit.bench.attribution import attribute
from ragkit.fusion import fuse
from ragkit.indexes.filters import compile_mask
from ragkit.pipeline import HybridPipeline, StageContext, stages_from_dicts
from ragkit.retrievers import check_queries
from ragkit.types import Chunk, Hit, Retriever

pytestmark = pytest.mark.slow
QUERY = "What are the maturities of the senior notes?"
_WORD = re.compile(r"[a-z0-9]+")


class TfidfRetriever:
    """Cosine similarity of log-tf × idf vectors over the chunks' search text."""

    source = "tfidf"

    def __init__(self, chunks: Sequence[Chunk]) -> None:
        self.chunks = list(chunks)
        docs = [Counter(_WORD.findall(c.search_text.lower())) for c in self.chunks]
        df = Counter(term for doc in docs for term in doc)
        self.vocab = {term: i for i, term in enumerate(sorted(df))}
        self.idf = np.array([math.log(len(docs) / df[t]) + 1.0 for t in sorted(df)])
        self.matrix = np.stack([self._vector(doc) for doc in docs])

    def _vector(self, counts: Counter[str]) -> np.ndarray:
        vec = np.zeros(len(self.vocab))
        for term, n in counts.items():
            if term in self.vocab:
                vec[self.vocab[term]] = (1.0 + math.log(n)) * self.idf[self.vocab[term]]
        norm = np.linalg.norm(vec)
        return vec / norm if norm else vec

    def search(
        self, queries: Sequence[str], k: int, filters: Mapping[str, Any] | None = None
    ) -> list[list[Hit]]:
        out = []
        mask = compile_mask(filters, self.chunks)
        for q in check_queries(queries, k):
            scores = self.matrix @ self._vector(Counter(_WORD.findall(q.lower())))
            rows = [r for r in np.argsort(-scores, kind="stable") if scores[r] > 0]
            rows = [r for r in rows if mask is None or mask[r]][:k]
            out.append([Hit(self.chunks[r].id, float(scores[r]), i, self.source, self.chunks[r])
                        for i, r in enumerate(rows, start=1)])  # fmt: skip
        return out


def test_a_third_retriever_from_config(hybrid_index: Any) -> None:
    tfidf = TfidfRetriever(hybrid_index.chunks)
    assert isinstance(tfidf, Retriever)
    config = {
        "k": 5,
        "retrieval": {"retrievers": ["bm25", "dense", "tfidf"], "depth": 8},
        "fusion": {"method": "rrf", "weights": {"tfidf": 0.5}},
        "routing": {"enabled": False},
    }
    pipe = HybridPipeline.from_index(hybrid_index, config, retrievers={"tfidf": tfidf})
    hits, trace = pipe.retrieve(QUERY)
    assert [s.stage for s in trace.stages] == ["bm25", "dense", "tfidf", "fusion"]
    runs = {s.stage: s for s in trace.stages[:3]}
    assert all(r.info["role"] == "retriever" and r.info["depth"] == 8 for r in runs.values())
    assert trace.stage("fusion").info["weights"] == [1.0, 1.0, 0.5]
    # the fused list is exactly ragkit.fusion.fuse over the three recorded runs
    recorded = [[Hit(i, s, r, name) for i, r, s in runs[name].hits_out] for name in runs]
    want = fuse(recorded, "rrf", [1.0, 1.0, 0.5])[:5]
    assert [h.chunk_id for h in hits] == [h.chunk_id for h in want]
    assert hits[0].scores.keys() >= {"rrf"} and len(hits) == 5
    # failure attribution reads the three retrievers from the trace
    lost = attribute(trace, lambda cid: False)
    assert lost.stage == "sparse+dense+tfidf@8"
    found_by_tfidf_only = next(
        (i for i, _, _ in runs["tfidf"].hits_out
         if i not in {j for j, _, _ in runs["bm25"].hits_out + runs["dense"].hits_out}),
        None,
    )  # fmt: skip
    if found_by_tfidf_only is not None:
        assert "tfidf" in attribute(trace, lambda cid: cid == found_by_tfidf_only).found_by
    # the pipeline round-trips through its stage dicts
    again = pipe.to_dict()
    assert again["retrievers"] == ["bm25", "dense", "tfidf"]
    assert [s["stage"] for s in again["stages"]] == ["retrieve", "fuse"]
    rebuilt = stages_from_dicts(again["stages"], StageContext(pipe.retrievers))
    copy = HybridPipeline(pipe.retrievers, rebuilt, k=5)
    assert [h.chunk_id for h in copy.retrieve(QUERY).hits] == [h.chunk_id for h in hits]


def test_an_unknown_retriever_name_is_a_clear_error(hybrid_index: Any) -> None:
    from ragkit.errors import ConfigError

    with pytest.raises(ConfigError, match=r"retrievers \['tfidf'\] are not available"):
        HybridPipeline.from_index(hybrid_index, {"retrieval": {"retrievers": ["bm25", "tfidf"]}})
    with pytest.raises(ConfigError, match="unknown retrievers"):
        pipe = HybridPipeline.from_index(
            hybrid_index, {"fusion": {"weights": {"sparse": 2.0}}, "routing": {"enabled": False}}
        )
        pipe.retrieve(QUERY)
