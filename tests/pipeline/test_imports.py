"""Importing the fusion, reranker, generator and pipeline modules loads no heavy library."""

from __future__ import annotations

import subprocess
import sys


def test_light_imports() -> None:
    code = (
        "import sys, ragkit.fusion, ragkit.rerankers, ragkit.rerankers.cohere, "
        "ragkit.rerankers.cross_encoder, ragkit.rerankers.training, ragkit.generators, "
        "ragkit.generators.cohere, ragkit.generators.openai_compatible, ragkit.pipeline, "
        "ragkit.cli.answering\n"
        "heavy = [m for m in ('torch', 'sentence_transformers', 'cohere', 'faiss', 'bm25s', "
        "'httpx', 'transformers') if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
