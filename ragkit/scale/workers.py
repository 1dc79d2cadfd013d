"""Where a sharded index's shards live: in this process (`LocalShards`, a thread per shard
call) or in Ray actors (`ragkit.scale.ray_backend.RayShards`). Both call one `Shard` method on
every shard (or on chosen shards) and return the results in shard order."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from ragkit.scale.shard import Shard


class ShardGroup(Protocol):
    """The shards of an index, wherever they run."""

    kind: str

    def __len__(self) -> int: ...

    def call(self, method: str, args: Sequence[tuple[Any, ...]] | None = None,
             only: Sequence[int] | None = None) -> list[Any]:  # fmt: skip
        """Run `method` on each shard (`only` those indices), with per-shard `args` (same
        length as the shards called) or none; results in order."""
        ...

    def close(self) -> None:
        """Release the shards' workers."""
        ...


def call_targets(
    n_shards: int, args: Sequence[tuple[Any, ...]] | None, only: Sequence[int] | None
) -> tuple[list[int], list[tuple[Any, ...]]]:
    """The shard indices a `ShardGroup.call` reaches and the argument tuple for each."""
    idx = list(range(n_shards)) if only is None else list(only)
    return idx, (list(args) if args is not None else [() for _ in idx])


class LocalShards:
    """Shards held in this process; calls run concurrently on a small thread pool (numpy,
    scipy and FAISS release the GIL)."""

    kind = "local"

    def __init__(self, shards: Sequence[Shard], threads: int | None = None) -> None:
        self.shards = list(shards)
        workers = threads or min(4, max(1, len(self.shards)))
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ragkit-shard")

    def __len__(self) -> int:
        return len(self.shards)

    def call(
        self,
        method: str,
        args: Sequence[tuple[Any, ...]] | None = None,
        only: Sequence[int] | None = None,
    ) -> list[Any]:
        """See `ShardGroup.call`."""
        idx, argv = call_targets(len(self.shards), args, only)
        if len(idx) == 1:
            return [getattr(self.shards[idx[0]], method)(*argv[0])]
        futures = [
            self._pool.submit(getattr(self.shards[i], method), *a)
            for i, a in zip(idx, argv, strict=True)
        ]
        return [f.result() for f in futures]

    def close(self) -> None:
        """Stop the thread pool."""
        self._pool.shutdown(wait=False)
