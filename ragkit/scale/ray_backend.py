"""Ray for ragkit: distributed passage embedding with Ray Data, and shards as Ray actors.

Embedding keeps the cache's promise that no text is embedded twice: the driver looks every
passage up in the content-hash `EmbeddingCache`, sends only the distinct misses through
`Dataset.map_batches` to a pool of `EncodeBatch` actors (each holds the model; one per GPU or
per group of cores), and commits each batch of vectors to the cache as it streams back. A
worker that dies is restarted and its batch retried by Ray (`max_restarts`,
`max_task_retries`); when retries run out the build raises `WorkerError` and nothing is saved.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Iterable, Mapping, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np

from ragkit.errors import DependencyError, RagkitError, WorkerError
from ragkit.indexes.embeddings import Embedder, text_key
from ragkit.indexes.store import ChunkStore
from ragkit.scale.shard import Shard
from ragkit.scale.workers import call_targets
from ragkit.types import Chunk

if TYPE_CHECKING:
    from ragkit.indexes.hybrid import HybridIndex

log = logging.getLogger(__name__)

#: How many times Ray restarts a dead worker and retries its batch before the build fails.
DEFAULT_RETRIES = 3


def require_ray() -> ModuleType:
    """The `ray` module, or DependencyError naming the extra that installs it."""
    try:
        import ray
    except ImportError as exc:
        raise DependencyError(
            'running on Ray needs the ray extra: pip install "ragkit[ray]"'
        ) from exc
    return ray


def connect(address: str | None = None, **init_kwargs: Any) -> ModuleType:
    """Ray, connected: the running session, else `ray.init(address)` ("auto" joins a cluster
    started with `ray start`; None starts a local one)."""
    ray = require_ray()
    if not ray.is_initialized():
        init_kwargs.setdefault("include_dashboard", False)
        init_kwargs.setdefault("log_to_driver", False)
        ray.init(address=address, **init_kwargs)
    return ray


class EncodeBatch:
    """A Ray Data actor that holds the embedding model and encodes batches of exact texts."""

    def __init__(
        self,
        model: str,
        threads: int | None = None,
        batch_size: int = 32,
        backend: str | None = None,
    ) -> None:
        self.embedder = Embedder(
            model, cache=False, threads=threads, batch_size=batch_size, backend=backend
        )

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        texts = [str(t) for t in batch["text"]]
        return {"key": batch["key"], "vec": self.embedder.encode_raw(texts, show_progress=False)}


def embed_passages(
    texts: Sequence[str],
    embedder: Embedder,
    *,
    workers: int | None = None,
    cpus_per_worker: float = 1.0,
    gpus_per_worker: float = 0.0,
    batch_size: int = 256,
    retries: int = DEFAULT_RETRIES,
    encoder: type = EncodeBatch,
) -> np.ndarray:
    """Passage vectors of `texts` (the embedder's passage prefix applied), computed on a Ray
    actor pool for the texts its cache lacks; same vectors and cache as `encode_passages`.
    `workers` defaults to one per GPU in the cluster, else one per 4 CPUs."""
    ray = connect()
    if workers is None:  # one actor per GPU, else one per group of up to 4 cores
        workers = default_workers()
        res = ray.cluster_resources()
        if res.get("GPU"):
            gpus_per_worker = gpus_per_worker or 1.0
        else:
            cpus_per_worker = max(1.0, min(4.0, float(res.get("CPU", 1)) // workers))
    prefix = embedder.passage_prefix
    full = [prefix + t for t in texts]
    keys = [text_key(t) for t in full]
    cache = embedder.cache
    model_id, dim = embedder.model_id, embedder.dim
    found = cache.get(model_id, keys, dim) if cache is not None else {}
    missing = {k: t for k, t in zip(keys, full, strict=True) if k not in found}
    log.info("ray: embedding %d distinct new texts (%d cached)", len(missing), len(found))
    if missing:
        items = [{"key": k, "text": t} for k, t in missing.items()]
        with warnings.catch_warnings():  # max_restarts has no named parameter yet
            warnings.filterwarnings("ignore", message=".*ray_remote_args.*")
            ds = ray.data.from_items(items).map_batches(
                encoder,
                fn_constructor_kwargs={
                    "model": embedder.model_name,
                    "threads": max(1, int(cpus_per_worker)),
                    "batch_size": embedder.batch_size,
                    "backend": getattr(embedder, "backend", None),
                },
                batch_size=batch_size,
                batch_format="numpy",
                compute=ray.data.ActorPoolStrategy(size=workers),
                num_cpus=cpus_per_worker,
                num_gpus=gpus_per_worker or None,
                max_restarts=retries,
                max_task_retries=retries,
            )
        try:
            for out in ds.iter_batches(batch_size=batch_size, batch_format="numpy"):
                bkeys = [bytes(k) for k in out["key"]]
                vecs = np.asarray(out["vec"], dtype=np.float32)
                if cache is not None:
                    cache.put(model_id, bkeys, vecs)
                found.update(zip(bkeys, vecs, strict=True))
        except ray.exceptions.RayError as exc:
            raise WorkerError(f"embedding on Ray failed after {retries} retries: {exc}") from exc
    return np.stack([found[k] for k in keys]) if keys else np.zeros((0, dim), np.float32)


class RayShards:
    """Shards as Ray actors (one `Shard` per actor); see `ragkit.scale.workers.ShardGroup`."""

    kind = "ray"

    def __init__(self, actors: Sequence[Any]) -> None:
        self.actors = list(actors)
        self._ray = require_ray()

    @classmethod
    def start(
        cls,
        specs: Sequence[Mapping[str, Any]],
        *,
        cpus_per_shard: float = 0.25,
        retries: int = DEFAULT_RETRIES,
    ) -> RayShards:
        """One actor per spec (`Shard` keyword arguments: name, bm25_params, embedder_params,
        folder)."""
        ray = connect()
        remote = ray.remote(num_cpus=cpus_per_shard, max_restarts=0)(Shard)
        env = {"env_vars": {"OMP_NUM_THREADS": str(max(1, int(cpus_per_shard)))}}
        actors = [remote.options(runtime_env=env).remote(**dict(s)) for s in specs]
        return cls(actors)

    def __len__(self) -> int:
        return len(self.actors)

    def call(
        self,
        method: str,
        args: Sequence[tuple[Any, ...]] | None = None,
        only: Sequence[int] | None = None,
    ) -> list[Any]:
        """See `ShardGroup.call`; a dead shard actor raises WorkerError."""
        idx, argv = call_targets(len(self.actors), args, only)
        refs = [getattr(self.actors[i], method).remote(*a) for i, a in zip(idx, argv, strict=True)]
        try:
            return list(self._ray.get(refs))
        except self._ray.exceptions.RayTaskError as exc:
            cause = getattr(exc, "cause", None)
            if isinstance(cause, RagkitError):
                raise cause from None  # a ragkit error inside the shard: re-raise it as is
            raise WorkerError(f"shard call {method} failed: {exc}") from exc
        except self._ray.exceptions.RayError as exc:
            raise WorkerError(f"a shard actor failed during {method}: {exc}") from exc

    def close(self) -> None:
        """Kill the shard actors."""
        for actor in self.actors:
            self._ray.kill(actor)
        self.actors = []


def default_workers() -> int:
    """Encoder actors by default: one per GPU Ray sees, else one per 4 CPUs (at least 1)."""
    ray = connect()
    res = ray.cluster_resources()
    gpus = int(res.get("GPU", 0))
    return gpus if gpus else max(1, int(res.get("CPU", os.cpu_count() or 1)) // 4)


def add_embedded_on_ray(index: HybridIndex, chunks: Iterable[Chunk], **options: Any) -> int:
    """Add `chunks` to a `HybridIndex`, their passages embedded by `embed_passages`
    (`HybridIndex.build(chunks, executor="ray")`); returns how many were added."""
    new = list(chunks)
    ChunkStore(new)  # repeated ids are refused before any work
    vecs = embed_passages([c.search_text for c in new], index.dense.embedder, **options)
    index.bm25.add(new)
    index.dense.add_vectors(new, vecs)
    return len(new)
