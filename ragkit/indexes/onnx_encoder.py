"""ONNX Runtime encoders for sentence-transformers models: float32 and int8 (VNNI) backends.

A local model folder (the packaged MiniLM by default) is exported once and quantised once
(the recipe: `ragkit.indexes.onnx_export`). Both files are cached under
``cache_dir()/onnx/<model content hash>-<recipe>-<backend>/``, so a second load never
re-exports. Only `OnnxEncoder` needs onnxruntime; importing this module
imports nothing heavy.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from ragkit.errors import ConfigError, DependencyError
from ragkit.indexes.onnx_export import UNFUSED, feeds
from ragkit.indexes.onnx_export import export_float as _export_float
from ragkit.indexes.onnx_export import quantize_int8 as _quantize
from ragkit.models import model_digest
from ragkit.settings import cache_dir

log = logging.getLogger(__name__)

#: Encoder backends: PyTorch float32, ONNX Runtime float32, ONNX Runtime int8.
BACKENDS = ("torch", "onnx", "onnx-int8")
ONNX_BACKENDS = ("onnx", "onnx-int8")
#: Part of the cache folder name; bump it when the export or quantisation recipe changes.
RECIPE = "r4"
_EXPORT_LOCK = threading.RLock()
#: (folder name in the cache, backend) -> a file this process exported or found: a cache
#: folder pointed elsewhere (tests, a fresh RAGKIT_CACHE) gets a copy instead of a re-export
_KNOWN: dict[str, Path] = {}


def check_backend(backend: str) -> str:
    """`backend` if it names a known backend, else a ConfigError listing them."""
    if backend not in BACKENDS:
        raise ConfigError(f"unknown encoder backend {backend!r}; choose one of {BACKENDS}")
    return backend


def require_onnxruntime() -> Any:
    """The onnxruntime module, or a DependencyError naming the extra that installs it."""
    try:
        import onnxruntime
    except ImportError as exc:
        raise DependencyError(
            "the onnx and onnx-int8 encoder backends need ONNX Runtime: "
            "pip install 'ragkit[onnx]' (or pip install onnxruntime onnx); "
            "or use backend='torch'"
        ) from exc
    return onnxruntime


def onnxruntime_available() -> bool:
    """Whether onnxruntime can be imported (decides the default backend)."""
    try:
        require_onnxruntime()
    except DependencyError:
        return False
    return True


def onnx_model_file(folder: str | Path, backend: str, root: Path | None = None) -> Path:
    """The cached ONNX file of `folder` for `backend`, exported (and quantised) on first use.

    Files are written to a temporary folder and renamed into place, so a killed export leaves
    nothing half-written and concurrent processes at worst export twice."""
    if backend not in ONNX_BACKENDS:
        raise ConfigError(f"{backend!r} is not an ONNX backend; choose one of {ONNX_BACKENDS}")
    src = Path(folder)
    base = (root or cache_dir()) / "onnx"
    target = base / f"{model_digest(str(src))}-{RECIPE}-{backend}" / "model.onnx"
    if target.is_file():
        _KNOWN[target.parent.name] = target
        return target
    with _EXPORT_LOCK:
        if target.is_file():
            return target
        base.mkdir(parents=True, exist_ok=True)
        known = _KNOWN.get(target.parent.name)
        known = known if known is not None and known.is_file() else None
        float_file = target
        if backend != "onnx" and known is None:
            float_file = onnx_model_file(src, "onnx", root)
        with tempfile.TemporaryDirectory(
            dir=base, prefix=".export-", ignore_cleanup_errors=True
        ) as tmp:
            out = Path(tmp) / "model.onnx"
            if known is not None:
                shutil.copyfile(known, out)
            elif backend == "onnx":
                _export_float(src, out)
            else:
                _quantize(float_file, out, src / "tokenizer.json")
            (Path(tmp) / "source.json").write_text(
                json.dumps({"source": str(src), "backend": backend, "recipe": RECIPE})
            )
            try:
                os.replace(tmp, target.parent)
            except OSError:  # another process finished first
                if not target.is_file():
                    raise
        _KNOWN[target.parent.name] = target
    return target


class OnnxEncoder:
    """Encodes texts with an ONNX Runtime session: the `encode` interface `Embedder` uses for a
    SentenceTransformer, plus `encode_queries` for single queries.

    Inputs are tokenised with the folder's `tokenizer.json` and truncated to its
    `max_seq_length`. Every text runs on its own (no padding, and a vector never depends on
    its batch-mates: int8 activations are scaled per input tensor), through one
    single-threaded session called from `threads` worker threads at once. Measured on 100
    SciFact abstracts on 2 cores: 2 one-thread calls at once encode 7-16% more texts/s than
    one call on 2 intra-op threads (small per-layer kernels scale poorly across threads),
    and one text per call beats batches of 16 (no padding).
    """

    def __init__(
        self,
        folder: str | Path,
        backend: str,
        *,
        threads: int | None = None,
        query_threads: int = 1,
    ) -> None:
        ort = require_onnxruntime()
        from tokenizers import Tokenizer

        self.folder = Path(folder)
        self.backend = backend
        self.path = onnx_model_file(self.folder, backend)
        config = json.loads((self.folder / "config.json").read_text())
        st_config = self.folder / "sentence_bert_config.json"
        limit = (
            json.loads(st_config.read_text()).get("max_seq_length") if st_config.is_file() else None
        )
        self.max_seq_length = int(limit or config.get("max_position_embeddings", 512))
        prompts_file = self.folder / "config_sentence_transformers.json"
        extra = json.loads(prompts_file.read_text()) if prompts_file.is_file() else {}
        self.prompts: dict[str, str] = dict(extra.get("prompts") or {})
        self.tokenizer = Tokenizer.from_file(str(self.folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(self.max_seq_length)
        self.tokenizer.no_padding()
        self._ort = ort
        self.workers = max(1, threads or os.cpu_count() or 1)
        self.session = self._session(1)
        self._query_session = self.session if query_threads <= 1 else self._session(query_threads)
        # the exported graph's inputs: BERT takes token_type_ids, MPNet and DistilBERT do not
        self._inputs = frozenset(i.name for i in self.session.get_inputs())
        # the export declares only the batch axis dynamic, so the output width is static
        self.dim = int(self.session.get_outputs()[0].shape[-1])

    def _session(self, threads: int) -> Any:
        ort = self._ort
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # idle worker threads sleep instead of spinning, so BM25 beside them gets the cores
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        return ort.InferenceSession(
            str(self.path),
            opts,
            providers=["CPUExecutionProvider"],
            disabled_optimizers=list(UNFUSED),
        )

    def get_sentence_embedding_dimension(self) -> int:
        """The embedding dimension (the SentenceTransformer method's name)."""
        return self.dim

    get_embedding_dimension = get_sentence_embedding_dimension

    def encode(
        self,
        texts: Sequence[str],
        batch_size: int = 32,
        show_progress_bar: bool = False,
        **_: Any,
    ) -> np.ndarray:
        """Normalised float32 vectors of `texts`, in order (`batch_size` is accepted for the
        SentenceTransformer interface; texts run one per call, longest first)."""
        return self._run(self.session, texts, self.workers, show_progress_bar)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Like `encode`, on the query session (`query_threads` intra-op threads)."""
        return self._run(self._query_session, texts, 1, False)

    def _run(self, session: Any, texts: Sequence[str], workers: int, progress: bool) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        encodings = self.tokenizer.encode_batch(list(texts))
        order = iter(sorted(range(len(texts)), key=lambda i: -len(encodings[i].ids)))
        lock = threading.Lock()
        tick = _progress(len(texts), progress)

        def work() -> None:
            while True:
                with lock:
                    row = next(order, None)
                if row is None:
                    return
                ids = np.asarray([encodings[row].ids], dtype=np.int64)
                out[row] = session.run(None, feeds(ids, self._inputs))[0][0]
                with lock:
                    tick(1)

        workers = min(workers, len(texts))
        if workers == 1:
            work()
        else:
            with ThreadPoolExecutor(workers, thread_name_prefix="ragkit-onnx") as pool:
                for future in [pool.submit(work) for _ in range(workers)]:
                    future.result()
        tick(0, close=True)
        return out


def _progress(total: int, show: bool) -> Callable[..., None]:
    """A progress-bar updater (a no-op when `show` is false)."""
    if not show:
        return lambda n, close=False: None
    from tqdm.auto import tqdm

    bar = tqdm(total=total, desc="Batches", unit="text")

    def tick(n: int, close: bool = False) -> None:
        bar.update(n)
        if close:
            bar.close()

    return tick
