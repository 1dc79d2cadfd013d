"""Scale-out: a hybrid index split by document over shards, searched with exact merges, in
one process or on Ray (`pip install "ragkit[ray]"`; Ray is imported only when used).

`ShardedIndex` has `HybridIndex`'s API (`search(queries, k, filters, mode)`, `add`,
`delete`, `save`/`load`, `retrievers()`) so pipelines, routing and the bench run on it.
`ragkit.scale.ray_backend.embed_passages` embeds passages on a Ray Data actor pool through
the shared embedding cache.
"""

from __future__ import annotations

from ragkit.scale.sharded import ShardedIndex, shard_of
from ragkit.scale.stats import TermStats

__all__ = ["ShardedIndex", "TermStats", "shard_of"]
