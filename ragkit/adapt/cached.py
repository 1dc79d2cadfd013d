"""Adapted models built once per corpus and settings, for the benchmark's `*-adapted` systems.

The folder is `cache_dir()/adapted/<sha256 of corpus hash + settings + metadata file
content>/` holding `encoder/` and `reranker/`; a folder with its manifest is reused, an
interrupted one resumes. Settings come from the arguments or the environment:
``RAGKIT_ADAPT_BUDGET_MINUTES`` (default 30), ``RAGKIT_ADAPT_SEED`` (0),
``RAGKIT_ADAPT_THREADS`` (torch default).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Sequence
from dataclasses import asdict, replace
from pathlib import Path

from ragkit.adapt.api import MANIFEST, AdaptConfig, adapt, adapt_reranker, read_manifest
from ragkit.adapt.corpus import corpus_hash
from ragkit.errors import TrainingStalledError
from ragkit.settings import cache_dir
from ragkit.types import Chunk

logger = logging.getLogger(__name__)


def env_config() -> tuple[AdaptConfig, int | None]:
    """The adaptation settings read from the environment, and the torch thread count."""
    budget = float(os.environ.get("RAGKIT_ADAPT_BUDGET_MINUTES", "30"))
    seed = int(os.environ.get("RAGKIT_ADAPT_SEED", "0"))
    threads = os.environ.get("RAGKIT_ADAPT_THREADS")
    return replace(AdaptConfig(), budget_minutes=budget, seed=seed), int(
        threads
    ) if threads else None


def adapted_folder(chunks: Sequence[Chunk], config: AdaptConfig) -> Path:
    """Where the models adapted to `chunks` with `config` live: keyed by the corpus, the
    settings and the metadata file's content (a file edited in place is another run)."""
    settings = json.dumps(asdict(config), sort_keys=True, default=str)
    meta = Path(config.metadata_file) if config.metadata_file else None
    content = hashlib.sha256(meta.read_bytes()).hexdigest() if meta and meta.is_file() else ""
    key = hashlib.sha256((corpus_hash(chunks) + settings + content).encode()).hexdigest()[:16]
    return cache_dir() / "adapted" / key


def adapted_models(
    chunks: Sequence[Chunk],
    config: AdaptConfig | None = None,
    *,
    reranker: bool = False,
    threads: int | None = None,
    progress: bool = True,
    metadata_file: str | Path | None = None,
) -> tuple[Path, Path | None]:
    """(encoder folder, reranker folder or None) adapted to `chunks`, trained when absent;
    `TrainingStalledError` when either stalled (now or in the cached run). `metadata_file`
    (a document-information file, as routing reads) replaces the config's."""
    if config is None:
        config, env_threads = env_config()
        threads = threads or env_threads
    if metadata_file is not None:
        config = replace(config, metadata_file=str(metadata_file))
    folder = adapted_folder(chunks, config)
    encoder, ranker = folder / "encoder", folder / "reranker"
    if not (encoder / MANIFEST).is_file():
        logger.info("adapting models to the corpus into %s", folder)
        adapt(chunks, encoder, config, reranker_out=ranker if reranker else None,
              progress=progress, threads=threads)  # fmt: skip
    elif reranker and not (ranker / MANIFEST).is_file():
        adapt_reranker(chunks, encoder, ranker, config, progress=progress)
    for folder in (encoder, ranker) if reranker else (encoder,):
        manifest = read_manifest(folder) or {}
        if manifest.get("stalled"):  # saved for inspection, never served
            raise TrainingStalledError(f"the adapted model in {folder} stalled in training")
    return encoder, (ranker if reranker else None)


def bench_corpus(dataset: object, chunks: Sequence[Chunk]) -> list[Chunk]:
    """The chunks to adapt on for a bench dataset: the indexed chunks, except that a BEIR
    document's title is held as its section path (the same indexed text) so that it gives a
    title pair. Documents only: queries and qrels are never read."""
    from ragkit.bench.datasets import BeirDataset, beir_chunk

    if isinstance(dataset, BeirDataset):
        return [beir_chunk(doc, pos, title_path=True) for pos, doc in enumerate(dataset.corpus)]
    return list(chunks)
