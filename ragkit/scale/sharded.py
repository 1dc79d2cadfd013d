"""`ShardedIndex`: a hybrid index split by document over shards (in-process or Ray actors),
searched by fanning each batch of queries out to every shard and merging exactly.

Exactness: BM25 shards score with the whole corpus's statistics (`ragkit.scale.stats`), the
dense side is flat (exact) inner product on vectors the driver encodes once, every shard
returns its own top-depth per side, and the merge orders the union by score then corpus
position (the single index's row order). Hybrid mode fuses the two *merged* runs, so RRF
sees global ranks. Results therefore equal one `HybridIndex` over the same chunks (tested:
ids equal, scores within float tolerance; BM25 scores bit for bit).

Example:
    >>> index = ShardedIndex.build(chunks, n_shards=4)                  # threads, one process
    >>> index = ShardedIndex.build(chunks, n_shards=4, executor="ray")  # Ray actors
    >>> index.search(["goodwill impairment"], k=5, filters={"ticker": "KO"})
    >>> index.save("sp500.idx"); ShardedIndex.load("sp500.idx", executor="ray")
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ragkit.errors import ConfigError, IndexStateError, QueryError
from ragkit.fusion import method_params
from ragkit.fusion.core import Parts, Run, fuse_scores, top_keys
from ragkit.indexes import filters as _filters
from ragkit.indexes.analyzer import Analyzer
from ragkit.indexes.bm25 import BM25Index
from ragkit.indexes.embeddings import Embedder
from ragkit.indexes.hybrid import DEFAULT_DEPTH, MODES, HybridIndex
from ragkit.indexes.locking import ReadWriteLock
from ragkit.indexes.store import ChunkStore
from ragkit.retrievers import check_queries
from ragkit.scale.merge import Merged, merge_runs
from ragkit.scale.shard import REFUSED, Shard
from ragkit.scale.stats import TermStats, check_exact
from ragkit.scale.workers import LocalShards, ShardGroup
from ragkit.types import Chunk, Hit, Retriever

log = logging.getLogger(__name__)

EXECUTORS: tuple[str, ...] = ("local", "ray")


def shard_of(doc_id: str, n_shards: int) -> int:
    """The shard of a document: a stable hash of its id (same on every machine and run), so
    all of a document's chunks, and later additions to it, land on one shard."""
    digest = hashlib.sha256(doc_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % n_shards


def shard_name(i: int) -> str:
    """The folder name of shard `i`."""
    return f"shard-{i:04d}"


class ShardedIndex:
    """BM25 + dense retrieval over document shards, with `HybridIndex`'s search API.

    Args:
        shards: where the shards live (`LocalShards` or `ray_backend.RayShards`).
        embedder: encodes queries (once per batch, on the driver) and new passages.
        bm25_params: the shards' `BM25Index.params()`.
        next_position: the corpus position the next added chunk gets.
        executor: "local" or "ray": how new passages are embedded.
        ray_options: `ray_backend.embed_passages` keywords (workers, cpus_per_worker, ...).
        fusion, fusion_params, weights, depth: as `HybridIndex`.
    """

    source = "sharded"

    def __init__(
        self,
        shards: ShardGroup,
        embedder: Embedder,
        *,
        bm25_params: Mapping[str, Any],
        next_position: int = 0,
        executor: str = "local",
        ray_options: Mapping[str, Any] | None = None,
        fusion: str = "rrf",
        fusion_params: Mapping[str, Any] | None = None,
        weights: Sequence[float] | None = None,
        depth: int = DEFAULT_DEPTH,
    ) -> None:
        if executor not in EXECUTORS:
            raise ConfigError(f"unknown executor {executor!r}; expected one of {list(EXECUTORS)}")
        if depth <= 0:
            raise ConfigError(f"depth must be a positive integer; got {depth}")
        unknown = sorted(set(fusion_params or {}) - set(method_params(fusion)))
        if unknown:
            raise ConfigError(f"fusion method {fusion!r} got unknown parameters {unknown}")
        self.shards = shards
        self.embedder = embedder
        self.bm25_params = dict(bm25_params)
        self.next_position = next_position
        self.executor = executor
        self.ray_options = dict(ray_options or {})
        self.fusion, self.fusion_params = fusion, dict(fusion_params or {})
        self.weights = list(weights) if weights is not None else None
        self.depth = depth
        self.stats = TermStats()
        self._sizes = [int(n) for n in shards.call("size")]
        self._lock = ReadWriteLock()  # searches share it; add, delete take it alone

    @classmethod
    def build(
        cls,
        chunks: Iterable[Chunk],
        *,
        n_shards: int = 2,
        model: str | Embedder | None = None,
        analyzer: Analyzer | None = None,
        executor: str = "local",
        address: str | None = None,
        cpus_per_shard: float = 0.25,
        ray_options: Mapping[str, Any] | None = None,
        show_progress: bool | None = None,
        **kwargs: Any,
    ) -> ShardedIndex:
        """Embed `chunks` (Ray Data when executor="ray"), split them by document over
        `n_shards` shards and index each; keyword arguments go to `__init__`."""
        if n_shards < 1:
            raise ConfigError(f"n_shards must be a positive integer; got {n_shards}")
        embedder = model if isinstance(model, Embedder) else Embedder(model)
        bm25 = BM25Index(analyzer)
        check_exact(bm25)
        specs = [
            {"name": shard_name(i), "bm25_params": bm25.params(),
             "embedder_params": embedder.params()}
            for i in range(n_shards)
        ]  # fmt: skip
        group = start_shards(specs, executor, address, cpus_per_shard)
        try:
            index = cls(group, embedder, bm25_params=bm25.params(), executor=executor,
                        ray_options=ray_options, **kwargs)  # fmt: skip
            index.add(chunks, show_progress=show_progress)
        except BaseException:
            group.close()
            raise
        return index

    @classmethod
    def from_index(
        cls, index: HybridIndex, *, n_shards: int = 2, executor: str = "local", **kwargs: Any
    ) -> ShardedIndex:
        """Split an existing hybrid index over shards, reusing its vectors (nothing is
        re-embedded); fusion settings are the index's unless given."""
        bm25 = index.bm25
        check_exact(bm25)
        embedder = index.dense.embedder
        specs = [
            {"name": shard_name(i), "bm25_params": bm25.params(),
             "embedder_params": embedder.params()}
            for i in range(n_shards)
        ]  # fmt: skip
        settings = {**index.params(), **kwargs}
        group = start_shards(specs, executor, None, 0.25)
        try:
            out = cls(group, embedder, bm25_params=bm25.params(), executor=executor, **settings)
            out._add_embedded(index.chunks, np.asarray(index.dense.vectors, dtype=np.float32))
        except BaseException:
            group.close()
            raise
        return out

    def __len__(self) -> int:
        return sum(self._sizes)

    @property
    def n_shards(self) -> int:
        """How many shards the index has."""
        return len(self.shards)

    @property
    def sizes(self) -> list[int]:
        """Chunks per shard."""
        return list(self._sizes)

    @property
    def chunks(self) -> list[Chunk]:
        """Every chunk in corpus order (gathered from the shards: for routing and tests)."""
        parts = self.shards.call("chunks")
        positions = self.shards.call("positions_of")
        pairs = [(int(p), c) for ps, cs in zip(positions, parts, strict=True)
                 for p, c in zip(ps, cs, strict=True)]  # fmt: skip
        return [c for _, c in sorted(pairs, key=lambda pc: pc[0])]

    def doc_ids(self) -> list[str]:
        """Ids of the indexed documents (shard by shard)."""
        return [d for ids in self.shards.call("doc_ids") for d in ids]

    def close(self) -> None:
        """Release the shards' workers (Ray actors are killed)."""
        self.shards.close()

    # -- building -----------------------------------------------------------------------
    def _embed(self, texts: list[str], show_progress: bool | None) -> np.ndarray:
        if self.executor == "ray":
            from ragkit.scale.ray_backend import embed_passages

            return embed_passages(texts, self.embedder, **self.ray_options)
        return self.embedder.encode_passages(texts, show_progress)

    def add(self, chunks: Iterable[Chunk], show_progress: bool | None = None) -> int:
        """Embed new chunks, route each document to its shard (`shard_of`), index them and
        refresh the global BM25 statistics on every shard; returns how many were added."""
        new = list(chunks)
        if not new:
            return 0
        ChunkStore(new)  # reject repeated ids before touching any shard
        taken = [c for found in self.shards.call("known", [([c.id for c in new],)] * self.n_shards)
                 for c in found]  # fmt: skip
        if taken:
            raise ConfigError(
                f"chunk id {taken[0]!r} is already indexed; delete its document first"
            )
        vecs = self._embed([c.search_text for c in new], show_progress)  # searches go on
        self._add_embedded(new, vecs)
        return len(new)

    def _add_embedded(self, new: list[Chunk], vecs: np.ndarray) -> None:
        """Route chunks with their vectors to their shards, then refresh the statistics."""
        with self._lock.write():
            n = self.n_shards
            owner = np.array([shard_of(c.doc_id, n) for c in new], dtype=np.int64)
            positions = np.arange(self.next_position, self.next_position + len(new))
            args = []
            for i in range(n):
                sel = np.flatnonzero(owner == i)
                args.append(([new[j] for j in sel.tolist()], vecs[sel], positions[sel]))
            self.shards.call("add", args)
            self.next_position += len(new)
            self._refresh()
        log.info("indexed %d chunks over %d shards %s", len(new), n, self._sizes)

    def delete(self, doc_ids: Iterable[str] | str) -> int:
        """Remove every chunk of the given documents; returns how many chunks went."""
        ids = [doc_ids] if isinstance(doc_ids, str) else list(doc_ids)
        with self._lock.write():
            removed = sum(self.shards.call("delete", [(ids,)] * self.n_shards))
            if removed:
                self._refresh()
        return int(removed)

    def _refresh(self) -> None:
        """Sum the shards' BM25 statistics and give the sums back to every shard."""
        self.stats = TermStats.merged(self.shards.call("term_stats"))
        self.shards.call("apply_stats", [(self.stats,)] * self.n_shards)
        self._sizes = [int(n) for n in self.shards.call("size")]

    # -- searching ----------------------------------------------------------------------
    def _check(
        self, queries: Sequence[str], k: int, filters: Mapping[str, Any] | None, mode: str
    ) -> list[str]:
        if mode not in MODES:
            raise QueryError(f"unknown search mode {mode!r}; expected one of {list(MODES)}")
        qs = check_queries(queries, k)
        _filters.validate(filters)
        if len(self) == 0:
            raise IndexStateError("the sharded index is empty; add chunks before searching")
        return qs

    def _runs(
        self, qs: list[str], depth: int, filters: Mapping[str, Any] | None, dense: bool
    ) -> dict[str, list[Merged]]:
        """Per side, per query, the merged top-`depth` run (query vectors encoded once)."""
        qvecs = self.embedder.encode_queries(qs) if dense else None
        n = self.n_shards
        answers = self.shards.call("search", [(qs, qvecs, depth, filters)] * n)
        per_shard = {i: a for i, a in enumerate(answers) if REFUSED not in a}
        if not per_shard:  # every shard's chunks refuse the filters: so would one index's
            reasons = "; ".join(f"{shard_name(i)}: {a[REFUSED]}" for i, a in enumerate(answers))
            raise QueryError(f"no shard's chunks match the filters ({reasons})")
        sides = ("bm25", "dense") if dense else ("bm25",)
        return {side: merge_runs(per_shard, side, len(qs), depth) for side in sides}

    def search(
        self,
        queries: Sequence[str],
        k: int = 10,
        filters: Mapping[str, Any] | None = None,
        mode: str = "hybrid",
        depth: int | None = None,
    ) -> list[list[Hit]]:
        """Ranked hits per query; `mode` is "hybrid" (fused), "dense" or "bm25"."""
        qs = self._check(queries, k, filters, mode)
        if not qs:
            return []
        with self._lock.read():
            return self._search(qs, int(k), filters, mode, depth)

    def _search(
        self, qs: list[str], k: int, filters: Mapping[str, Any] | None, mode: str,
        depth: int | None,
    ) -> list[list[Hit]]:  # fmt: skip
        """`search` on checked queries, under the read lock."""
        if mode != "hybrid":
            runs = self._runs(qs, int(k), filters, dense=mode == "dense")[mode]
            return self._hits_of([[(m, i) for i in range(len(m))] for m in runs], mode, None)
        runs2 = self._runs(qs, max(int(k), depth or self.depth), filters, dense=True)
        fused = [
            self._fuse(b, d, int(k)) for b, d in zip(runs2["bm25"], runs2["dense"], strict=True)
        ]
        picks = [[pick for pick, _, _ in f] for f in fused]
        extra = [[(score, parts) for _, score, parts in f] for f in fused]
        return self._hits_of(picks, self.fusion, extra)

    def _fuse(
        self, bm25: Merged, dense: Merged, k: int
    ) -> list[tuple[tuple[Merged, int], float, dict[str, float]]]:
        """The fused top k of one query's two merged runs: ((run, index), score, parts)."""
        runs = [Run("bm25", bm25.positions.tolist(), bm25.scores.tolist()),
                Run("dense", dense.positions.tolist(), dense.scores.tolist())]  # fmt: skip
        parts: Parts = {}
        fused = fuse_scores(self.fusion, runs, self.weights, parts=parts, **self.fusion_params)
        where: dict[int, tuple[Merged, int]] = {}
        for m in (dense, bm25):  # bm25 last, so it wins: any owner of a position will do
            for i, p in enumerate(m.positions.tolist()):
                where[p] = (m, i)
        top = top_keys(fused, k, lambda p: where[p][0].ids[where[p][1]])
        return [(where[p], fused[p], {**parts[p], self.fusion: fused[p]}) for p in top]

    def _hits_of(
        self,
        picks: list[list[tuple[Merged, int]]],
        source: str,
        extra: list[list[tuple[float, dict[str, float]]]] | None,
    ) -> list[list[Hit]]:
        """Hits for the picked candidates, their chunks fetched from their shards at once."""
        wanted: dict[int, dict[int, None]] = {}
        for query in picks:
            for m, i in query:
                wanted.setdefault(int(m.shards[i]), {})[int(m.rows[i])] = None
        order = sorted(wanted)
        fetched = self.shards.call("fetch", [(list(wanted[s]),) for s in order], only=order)
        chunk_at = {(s, r): c for s, cs in zip(order, fetched, strict=True)
                    for r, c in zip(wanted[s], cs, strict=True)}  # fmt: skip
        out: list[list[Hit]] = []
        for q, query in enumerate(picks):
            hits = []
            for rank, (m, i) in enumerate(query, start=1):
                chunk = chunk_at[(int(m.shards[i]), int(m.rows[i]))]
                if extra is None:
                    score = float(m.scores[i])
                    hits.append(Hit(chunk.id, score, rank, source, chunk, {source: score}))
                else:
                    score, parts = extra[q][rank - 1]
                    hits.append(Hit(chunk.id, score, rank, source, chunk, parts))
            out.append(hits)
        return out

    def search_one(
        self, query: str, k: int = 10, filters: Mapping[str, Any] | None = None,
        mode: str = "hybrid",
    ) -> list[Hit]:  # fmt: skip
        """`search` for a single query."""
        return self.search([query], k, filters, mode)[0]

    def retrievers(self) -> dict[str, Retriever]:
        """The two sides by name, for a `HybridPipeline` that fuses them itself."""
        return {"bm25": ShardedSide(self, "bm25"), "dense": ShardedSide(self, "dense")}

    # -- persistence --------------------------------------------------------------------
    def save(self, folder: str | Path) -> Path:
        """Save shard by shard under one manifest (see `ragkit.scale.persist`)."""
        from ragkit.scale.persist import save_sharded

        with self._lock.read():
            return save_sharded(self, folder)

    @classmethod
    def load(cls, folder: str | Path, **kwargs: Any) -> ShardedIndex:
        """Load a folder written by `save` (see `ragkit.scale.persist.load_sharded`)."""
        from ragkit.scale.persist import load_sharded

        return load_sharded(folder, **kwargs)

    def params(self) -> dict[str, Any]:
        """JSON-safe parameters kept in the manifest."""
        return {"fusion": self.fusion, "fusion_params": self.fusion_params,
                "weights": self.weights, "depth": self.depth}  # fmt: skip


class ShardedSide:
    """One side ("bm25" or "dense") of a sharded index as a `Retriever` (for the pipeline)."""

    def __init__(self, index: ShardedIndex, side: str) -> None:
        self.index, self.source = index, side
        self.embedder = index.embedder

    def search(
        self, queries: Sequence[str], k: int = 10, filters: Mapping[str, Any] | None = None
    ) -> list[list[Hit]]:
        """The side's ranked hits per query, merged over the shards."""
        return self.index.search(queries, k, filters, mode=self.source)

    def __len__(self) -> int:
        return len(self.index)


def start_shards(
    specs: Sequence[Mapping[str, Any]], executor: str, address: str | None, cpus: float
) -> ShardGroup:
    """Shards from `Shard` keyword specs: in this process, or one Ray actor each."""
    if executor == "ray":
        from ragkit.scale.ray_backend import RayShards, connect

        connect(address)
        return RayShards.start(specs, cpus_per_shard=cpus)
    if executor != "local":
        raise ConfigError(f"unknown executor {executor!r}; expected one of {list(EXECUTORS)}")
    return LocalShards([Shard(**dict(s)) for s in specs])
