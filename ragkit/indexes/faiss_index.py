"""FAISS vector indexes over normalised embeddings: exact flat, HNSW and IVF (optionally PQ).

`choose_index_type` picks by corpus size, `choose_device` decides CPU or GPU (pure functions,
tested without a GPU); `VectorIndex` builds, searches (`(scores, rows)`, padded with -1),
restricts search to allowed rows, adds vectors and saves/loads with FAISS's own file format.
"""

from __future__ import annotations

import logging
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ragkit.errors import ConfigError, IndexFormatError

if TYPE_CHECKING:
    import faiss

log = logging.getLogger(__name__)

INDEX_TYPES: tuple[str, ...] = ("auto", "flat", "hnsw", "ivf", "ivfpq")
#: Below this many vectors "auto" picks exact search; below `HNSW_MAX`, HNSW; else IVF.
FLAT_MAX = 50_000
HNSW_MAX = 2_000_000
#: Filtered searches over at most this many allowed rows are done exactly on the vectors.
EXACT_SUBSET_MAX = 50_000


def choose_index_type(n_vectors: int, requested: str = "auto") -> str:
    """The index type to build: `requested`, or by corpus size when it is "auto"."""
    if requested not in INDEX_TYPES:
        raise ConfigError(f"unknown index type {requested!r}; expected one of {list(INDEX_TYPES)}")
    if requested != "auto":
        return requested
    if n_vectors <= FLAT_MAX:
        return "flat"
    return "hnsw" if n_vectors <= HNSW_MAX else "ivf"


def choose_device(index_type: str, n_gpus: int, use_gpu: bool | None = None) -> str:
    """ "gpu" when a GPU is present, allowed and the index type runs there; else "cpu".

    FAISS has no GPU HNSW, so HNSW stays on the CPU; `use_gpu=False` forces the CPU and
    `use_gpu=True` without a GPU falls back to the CPU with a warning.
    """
    if use_gpu is False or index_type == "hnsw":
        return "cpu"
    if n_gpus <= 0:
        if use_gpu:
            log.warning("use_gpu=True but FAISS sees no GPU; searching on the CPU")
        return "cpu"
    return "gpu"


def num_gpus() -> int:
    """How many GPUs FAISS sees (0 with faiss-cpu or on error)."""
    try:
        import faiss

        return int(faiss.get_num_gpus()) if hasattr(faiss, "get_num_gpus") else 0
    except Exception:  # noqa: BLE001 - a broken GPU runtime means "no GPU"
        return 0


@dataclass
class FaissParams:
    """Tuning knobs; None means "derived from the corpus size at build time"."""

    index_type: str = "auto"
    hnsw_m: int = 32
    ef_construction: int = 200
    ef_search: int = 128
    nlist: int | None = None
    nprobe: int | None = None
    pq_m: int | None = None
    use_gpu: bool | None = None

    def __post_init__(self) -> None:
        choose_index_type(0, self.index_type)
        for name in ("hnsw_m", "ef_construction", "ef_search"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name} must be positive; got {getattr(self, name)}")
        for name in ("nlist", "nprobe", "pq_m"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ConfigError(f"{name} must be positive or None; got {value}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe fields."""
        return asdict(self)


def default_nlist(n: int) -> int:
    """IVF list count: about 4·sqrt(n), with at least 39 training points per list."""
    return max(1, min(int(4 * math.sqrt(max(n, 1))), n // 39 if n >= 39 else 1))


def default_nprobe(nlist: int) -> int:
    """IVF lists probed per query: a quarter of the lists, at least 32 (recall@10 >= 0.95)."""
    return max(1, min(nlist, max(32, nlist // 4)))


class VectorIndex:
    """A FAISS inner-product index over rows 0..n-1 of a float32 matrix."""

    def __init__(self, dim: int, params: FaissParams | None = None) -> None:
        if dim <= 0:
            raise ConfigError(f"dimension must be positive; got {dim}")
        self.dim = dim
        self.params = params or FaissParams()
        self.kind: str | None = None  # resolved type once built
        self.device = "cpu"
        self._index: Any = None
        self._cpu_index: Any = None

    @property
    def ntotal(self) -> int:
        """How many vectors are indexed."""
        return 0 if self._index is None else int(self._index.ntotal)

    def build(self, vectors: np.ndarray) -> None:
        """(Re)build the index over `vectors` (trains IVF on them)."""
        import faiss

        x = np.ascontiguousarray(vectors, dtype=np.float32)
        n = x.shape[0]
        p = self.params
        kind = self.kind if self.kind is not None else choose_index_type(n, p.index_type)
        index: faiss.Index
        if kind == "flat":
            index = faiss.IndexFlatIP(self.dim)
        elif kind == "hnsw":
            hnsw = faiss.IndexHNSWFlat(self.dim, p.hnsw_m, faiss.METRIC_INNER_PRODUCT)
            hnsw.hnsw.efConstruction = p.ef_construction
            hnsw.hnsw.efSearch = p.ef_search
            index = hnsw
        else:
            index = self._trained_ivf(x, kind)
        if n:
            index.add(x)
        self.kind = kind
        self._cpu_index = index
        self._place()

    def _trained_ivf(self, x: np.ndarray, kind: str) -> faiss.IndexIVF:
        """An IVF (or IVF-PQ when `kind` is "ivfpq") index trained on `x`."""
        import faiss

        n, d, p = x.shape[0], self.dim, self.params
        nlist = p.nlist or default_nlist(n)
        quantizer = faiss.IndexFlatIP(d)
        ivf: faiss.IndexIVF
        if kind == "ivfpq":
            m = p.pq_m or _default_pq_m(d)
            if d % m:
                raise ConfigError(f"pq_m={m} must divide the dimension {d}")
            ivf = faiss.IndexIVFPQ(quantizer, d, nlist, m, 8, faiss.METRIC_INNER_PRODUCT)
        else:
            ivf = faiss.IndexIVFFlat(quantizer, d, nlist, faiss.METRIC_INNER_PRODUCT)
        if n < nlist:
            raise ConfigError(f"IVF with nlist={nlist} needs at least {nlist} vectors; got {n}")
        ivf.train(x)
        ivf.nprobe = p.nprobe or default_nprobe(nlist)
        self._quantizer = quantizer  # the IVF index does not own it: keep it alive
        return ivf

    def _place(self) -> None:
        import faiss

        self.device = choose_device(self.kind or "flat", num_gpus(), self.params.use_gpu)
        self._index = self._cpu_index
        if self.device == "gpu":  # pragma: no cover - CI has no GPU
            try:
                res = faiss.StandardGpuResources()
                self._index = faiss.index_cpu_to_gpu(res, 0, self._cpu_index)
                self._gpu_res = res
            except Exception as exc:  # noqa: BLE001 - fall back to the CPU copy
                log.warning("moving the FAISS index to the GPU failed (%s); using the CPU", exc)
                self.device, self._index = "cpu", self._cpu_index

    def add(self, vectors: np.ndarray) -> None:
        """Append vectors as the next rows."""
        x = np.ascontiguousarray(vectors, dtype=np.float32)
        if self._index is None:
            self.build(x)
            return
        self._index.add(x)
        if self._index is not self._cpu_index:  # pragma: no cover - GPU copy
            self._cpu_index.add(x)

    def search(
        self,
        queries: np.ndarray,
        k: int,
        allowed: np.ndarray | None = None,
        vectors: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """(scores, rows) of shape (n_queries, k), -1 rows where fewer results exist.

        `allowed` (sorted row ids) restricts the search: small sets are scored exactly on
        `vectors`; larger ones use FAISS's ID selector (CPU) or oversampling (GPU).
        """
        q = np.ascontiguousarray(queries, dtype=np.float32)
        nq = q.shape[0]
        if self._index is None or self.ntotal == 0:
            return np.full((nq, k), -np.inf, np.float32), np.full((nq, k), -1, np.int64)
        if allowed is None:
            kk = min(k, self.ntotal)
            scores, rows = self._index.search(q, kk)
            return _pad(scores, rows, k)
        if len(allowed) == 0:
            return np.full((nq, k), -np.inf, np.float32), np.full((nq, k), -1, np.int64)
        if vectors is not None and (len(allowed) <= EXACT_SUBSET_MAX or self.kind == "flat"):
            return _exact_subset(q, vectors, allowed, k)
        return self._search_selected(q, k, allowed)

    def _search_selected(
        self, q: np.ndarray, k: int, allowed: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        import faiss

        kk = min(k, len(allowed))
        if len(allowed) <= EXACT_SUBSET_MAX and self.kind in ("flat", "hnsw"):
            # a graph walk under a selective filter misses rows: score the subset exactly
            vecs = self._cpu_index.reconstruct_batch(allowed.astype(np.int64))
            sub_s, sub_r = _exact_subset(q, vecs, np.arange(len(allowed)), k)
            return sub_s, np.where(sub_r >= 0, allowed[np.clip(sub_r, 0, None)], -1)
        if self.device == "cpu":
            sel = faiss.IDSelectorBatch(allowed.astype(np.int64))
            ivf = self.kind in ("ivf", "ivfpq")
            params = self._selected_params(sel, kk, len(allowed))
            scores, rows = self._cpu_index.search(q, kk, params=params)
            if ivf and (rows < 0).any():
                # the probed lists held too few allowed rows: probe every list
                params = _ivf_params(sel, self._cpu_index.nlist)
                scores, rows = self._cpu_index.search(q, kk, params=params)
            return _pad(scores, rows, k)
        # GPU: oversample until enough allowed rows come back  # pragma: no cover
        allowed_set = np.zeros(self.ntotal, dtype=bool)
        allowed_set[allowed] = True
        depth = kk * 4
        while True:
            depth = min(depth, self.ntotal, 2048)
            scores, rows = self._index.search(q, depth)
            ok = (rows >= 0) & allowed_set[np.clip(rows, 0, None)]
            if depth >= min(self.ntotal, 2048) or ok.sum(axis=1).min() >= kk:
                break
            depth *= 4
        out_s = np.full((q.shape[0], k), -np.inf, np.float32)
        out_r = np.full((q.shape[0], k), -1, np.int64)
        for i in range(q.shape[0]):
            r, s = rows[i][ok[i]][:kk], scores[i][ok[i]][:kk]
            out_r[i, : len(r)], out_s[i, : len(s)] = r, s
        return out_s, out_r

    def _selected_params(
        self, sel: faiss.IDSelector, kk: int, n_allowed: int
    ) -> faiss.SearchParameters:
        """Search parameters restricted to the rows `sel` allows, for this index type."""
        import faiss

        if self.kind == "hnsw":
            # widen the beam in proportion to how much of the graph the filter removes
            ef = int(min(4096, max(self.params.ef_search, kk) * self.ntotal / n_allowed))
            return _hnsw_params(sel, ef)
        if self.kind in ("ivf", "ivfpq"):
            return _ivf_params(sel, self._cpu_index.nprobe)
        params = faiss.SearchParameters()
        params.sel = sel
        return params

    def reset(self) -> None:
        """Forget the index (the type chosen stays, so a rebuild keeps it)."""
        self._index = self._cpu_index = None

    def save(self, path: Path) -> None:
        """Write the CPU index with `faiss.write_index` (FAISS's format, not pickle)."""
        import faiss

        if self._cpu_index is not None:
            faiss.write_index(self._cpu_index, str(path))

    def load(self, path: Path, kind: str, mmap: bool) -> None:
        """Read an index written by `save` (memory-mapped where FAISS supports it)."""
        import faiss

        try:
            index = None
            if mmap:
                try:
                    index = faiss.read_index(
                        str(path), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY
                    )
                except RuntimeError:
                    index = None
            if index is None:
                index = faiss.read_index(str(path))
        except RuntimeError as exc:
            raise IndexFormatError(f"FAISS index {path} is unreadable: {exc}") from exc
        if index.d != self.dim:
            raise IndexFormatError(
                f"FAISS index {path} has dimension {index.d}; expected {self.dim}"
            )
        hnsw = faiss.downcast_index(index)
        if kind == "hnsw" and isinstance(hnsw, faiss.IndexHNSW):
            hnsw.hnsw.efSearch = self.params.ef_search
        self.kind = kind
        self._cpu_index = index
        self._place()


def _ivf_params(sel: faiss.IDSelector, nprobe: int) -> faiss.SearchParametersIVF:
    import faiss

    params = faiss.SearchParametersIVF()
    params.sel, params.nprobe = sel, nprobe
    return params


def _hnsw_params(sel: faiss.IDSelector, ef_search: int) -> faiss.SearchParameters:
    import faiss

    lib: Any = faiss  # `SearchParametersHNSW` exists at run time; faiss's bundled stub omits it
    params: faiss.SearchParameters = lib.SearchParametersHNSW(sel=sel, efSearch=ef_search)
    return params


def _default_pq_m(d: int) -> int:
    for m in (48, 32, 24, 16, 12, 8, 6, 4, 2, 1):
        if d % m == 0 and m <= d:
            return m
    return 1


def _pad(scores: np.ndarray, rows: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    rows = rows.astype(np.int64)
    scores = np.where(rows >= 0, scores, -np.inf).astype(np.float32)
    if rows.shape[1] < k:
        extra = k - rows.shape[1]
        rows = np.pad(rows, ((0, 0), (0, extra)), constant_values=-1)
        scores = np.pad(scores, ((0, 0), (0, extra)), constant_values=-np.inf)
    return scores, rows


def _exact_subset(
    q: np.ndarray, vectors: np.ndarray, allowed: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    sims = q @ np.asarray(vectors[allowed], dtype=np.float32).T  # (nq, n_allowed)
    kk = min(k, len(allowed))
    out_s = np.full((q.shape[0], k), -np.inf, np.float32)
    out_r = np.full((q.shape[0], k), -1, np.int64)
    for i in range(q.shape[0]):
        part = np.argpartition(-sims[i], kk - 1)[:kk] if kk < len(allowed) else np.arange(kk)
        order = part[np.lexsort((allowed[part], -sims[i][part]))]
        out_r[i, :kk], out_s[i, :kk] = allowed[order], sims[i][order]
    return out_s, out_r
