"""ONNX Runtime encoders for sentence-transformers models: float32 and int8 (VNNI) backends.

A local model folder (the packaged MiniLM by default) is exported once with
`torch.onnx.export` (mean pooling and normalisation inside the graph); the int8 file is the
float32 one with every MatMul weight quantised per channel by
`onnxruntime.quantization.quantize_dynamic` (uint8 activations x int8 weights: the VNNI dot
product). Both files are cached under ``cache_dir()/onnx/<model content hash>-<backend>/``,
so a second load never re-exports. Only `OnnxEncoder` needs onnxruntime; importing this module
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
from pathlib import Path
from typing import Any

import numpy as np

from ragkit.errors import ConfigError, DependencyError
from ragkit.models import model_digest
from ragkit.settings import cache_dir

log = logging.getLogger(__name__)

#: Encoder backends: PyTorch float32, ONNX Runtime float32, ONNX Runtime int8.
BACKENDS = ("torch", "onnx", "onnx-int8")
ONNX_BACKENDS = ("onnx", "onnx-int8")
#: Part of the cache folder name; bump it when the export or quantisation recipe changes.
RECIPE = "r3"
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
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
                _quantize(float_file, out)
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


def _mean_pooling(config: dict[str, Any]) -> bool:
    """Whether a sentence-transformers pooling config means mean pooling: the pre-v6 form
    (``pooling_mode_mean_tokens: true``) or the v6 form (``pooling_mode: "mean"``)."""
    return bool(config.get("pooling_mode_mean_tokens")) or config.get("pooling_mode") == "mean"


def _export_float(folder: Path, out: Path) -> None:
    """torch.onnx.export of the transformer + mean pooling + L2 normalisation (float32)."""
    import warnings

    import torch
    from transformers import AutoModel

    pooling = folder / "1_Pooling" / "config.json"
    if pooling.is_file() and not _mean_pooling(json.loads(pooling.read_text())):
        raise ConfigError(f"the ONNX backends support mean-pooling models only; {folder} is not")
    log.info("exporting %s to ONNX (once; cached in %s)", folder, out.parent.parent)
    # eager attention exports as plain MatMul/Softmax nodes that ONNX Runtime fuses
    model = AutoModel.from_pretrained(str(folder), attn_implementation="eager").eval()
    wrapped = _mean_pooled_class()(model)
    ids = torch.tensor([[101, 7592, 2088, 102, 0], [101, 2023, 2003, 1037, 102]])
    args = (ids, (ids > 0).long(), torch.zeros_like(ids))
    axes = {name: {0: "batch", 1: "tokens"} for name in _INPUTS}
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            wrapped,
            args,
            str(out),
            input_names=list(_INPUTS),
            output_names=["embedding"],
            dynamic_axes={**axes, "embedding": {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )


def _quantize(float_file: Path, out: Path) -> None:
    """Dynamic int8 quantisation of the MatMul weights, per output channel, except the
    feed-forward output projections (a third of the MatMul work): their GELU activations have
    outliers that one uint8 scale per tensor cannot hold. Measured: all quantised, worst
    cosine to float32 on filing passages 0.988 and SciFact hybrid nDCG@10 -0.008; layer 0's
    kept float32, 0.993 and -0.008; all six kept float32, 0.996 and -0.004 (dense +0.003)."""
    import onnx

    require_onnxruntime()
    from onnxruntime.quantization import QuantType, quantize_dynamic

    log.info("quantising %s to int8 (once)", float_file)
    graph = onnx.load(str(float_file), load_external_data=False).graph
    keep_float = [
        n.name
        for n in graph.node
        if n.op_type == "MatMul" and "/output/dense/" in n.name and "attention" not in n.name
    ]
    quiet = logging.getLogger()  # quantize_dynamic warns on the root logger about pre-processing
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        quantize_dynamic(
            str(float_file),
            str(out),
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul"],
            nodes_to_exclude=keep_float,
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
    finally:
        quiet.setLevel(level)


def _mean_pooled_class() -> type:
    import torch

    class MeanPooled(torch.nn.Module):
        """The transformer's token states, mean-pooled over the mask and L2-normalised."""

        def __init__(self, model: Any) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            out = self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            mask = attention_mask.unsqueeze(-1).to(out.last_hidden_state.dtype)
            summed = (out.last_hidden_state * mask).sum(1)
            mean = summed / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, dim=1)

    return MeanPooled


class OnnxEncoder:
    """Encodes texts with an ONNX Runtime session: the `encode` interface `Embedder` uses for a
    SentenceTransformer, plus `encode_queries` on a separate session with fewer threads.

    Inputs are tokenised with the folder's `tokenizer.json` and truncated to its
    `max_seq_length`. Float32 batches are sorted by token length and padded only to the
    longest text of each batch. The int8 model runs one text per call: dynamic quantisation
    scales activations by the whole input tensor, so batching would make a text's vector
    depend on its batch-mates (and their padding); one text per call keeps every vector
    reproducible and, measured on SciFact, is also faster than batches of 32.
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
        self.dim = int(config["hidden_size"])
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
        self._threads = threads or os.cpu_count() or 1
        self._query_threads = query_threads or self._threads
        self.session = self._session(self._threads)
        self._query_session: Any = None

    def _session(self, threads: int) -> Any:
        ort = self._ort
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # idle worker threads sleep instead of spinning, so BM25 beside them gets the cores
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        return ort.InferenceSession(str(self.path), opts, providers=["CPUExecutionProvider"])

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
        """Normalised float32 vectors of `texts`, in order (length-sorted batches inside)."""
        return self._run(self.session, texts, batch_size, show_progress_bar)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Like `encode`, on the query session (`query_threads` threads)."""
        if self._query_session is None:
            self._query_session = (
                self.session
                if self._query_threads == self._threads
                else self._session(self._query_threads)
            )
        return self._run(self._query_session, texts, 32, False)

    def _run(
        self, session: Any, texts: Sequence[str], batch_size: int, progress: bool
    ) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        encodings = self.tokenizer.encode_batch(list(texts))
        lengths = np.array([len(e.ids) for e in encodings])
        order = np.argsort(-lengths, kind="stable")
        step = 1 if self.backend == "onnx-int8" else batch_size
        tick = _progress(len(texts), progress)
        for start in range(0, len(order), step):
            rows = order[start : start + step]
            width = int(lengths[rows].max())
            ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for i, row in enumerate(rows):
                n = lengths[row]
                ids[i, :n] = encodings[row].ids
                mask[i, :n] = 1
            feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            out[rows] = session.run(None, feeds)[0]
            tick(len(rows))
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
