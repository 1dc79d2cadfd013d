"""Compose a pipeline by hand: three named retrievers, explicit stages, and query routing.

Run: `.venv/bin/python examples/custom_pipeline.py ["question"]` (indexes the example filings
in memory, about half a minute on two CPU cores the first time; embeddings are cached).

The third retriever is a second BM25 index whose analyzer keeps stop words and does not stem
— any object with `search(queries, k, filters)` would do. Stages are small objects: retrieve
(with routing), fuse with a weight per retriever name, route (document and statement
boosts), expand "See Note N" references. `pipeline.to_dict()` prints the whole shape.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from ragkit.chunkers import get_chunker
from ragkit.indexes import Analyzer, BM25Index, HybridIndex
from ragkit.parsers import load
from ragkit.pipeline import Expand, Fuse, HybridPipeline, Retrieve, Route
from ragkit.routing import RoutedRetriever, Router

os.environ.setdefault("HF_HUB_OFFLINE", "1")
FILINGS = Path(__file__).resolve().parent / "filings"


def main() -> None:
    question = (
        sys.argv[1] if len(sys.argv) > 1 else "How long are Acme Widgets' remaining lease terms?"
    )
    chunker = get_chunker("hierarchical")
    chunks = [c for doc in load([FILINGS]) for c in chunker.chunk(doc)]
    index = HybridIndex.build(chunks, show_progress=False)
    exact = BM25Index(Analyzer(stopwords=None, stemmer=None))
    exact.add(chunks)
    retrievers = {**index.retrievers(), "exact": exact}

    routed = RoutedRetriever(retrievers, Router.from_chunks(chunks), chunks=chunks)
    retrieve = Retrieve(retrievers, depth=50, routed=routed)
    stages = [
        retrieve,
        Fuse("rrf", weights={"exact": 0.5}),
        Route(retrieve),
        Expand(chunks, top=3),
    ]
    pipeline = HybridPipeline(retrievers, stages, k=5)
    print(json.dumps(pipeline.to_dict(), indent=1, default=str)[:800], "…\n")

    hits, trace = pipeline.retrieve(question)
    for hit in hits:
        print(f"{hit.rank}. {hit.score:.3f} {hit.chunk_id} {' > '.join(hit.chunk.section_path)}")
    print("\nstages:")
    for stage in trace.stages:
        print(f"  {stage.stage:<10} in {stage.n_in:>4}  out {len(stage.hits_out):>3}  "
              f"{stage.latency_ms:6.1f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
