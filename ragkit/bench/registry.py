"""The dataset registry: named loaders that turn a `KIND:PATH` spec into a benchmark dataset.

`beir`, `financebench` and `secqa` are registered here. Add one with
`register_dataset(name, loader, description)`; a loader takes the spec's path, the corpus
folder (None when not given) and the split, and returns an object satisfying
`ragkit.bench.datasets.Dataset` (queries, chunks, task), which `run_benchmark` and the
benchmark systems then use like the built-in kinds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ragkit.bench.datasets import Dataset, load_beir, load_financebench, load_secqa
from ragkit.errors import ConfigError, DatasetError

__all__ = [
    "DatasetLoader",
    "DATASETS",
    "register_dataset",
    "known_datasets",
    "get_loader",
    "load_dataset",
]

#: (path, corpus folder or None, split) -> dataset
DatasetLoader = Callable[[str, Path | None, str], Dataset]


@dataclass(frozen=True)
class _Entry:
    loader: DatasetLoader
    description: str


#: kind -> loader and description; `register_dataset` adds to it.
DATASETS: dict[str, _Entry] = {}


def register_dataset(name: str, loader: DatasetLoader, description: str = "") -> None:
    """Make `loader` available as dataset kind `name` (replacing any earlier one)."""
    if not name or name != name.strip() or any(c in name for c in ":,"):
        raise ConfigError(f"dataset kind must be a non-empty word without ':' or ',', got {name!r}")
    DATASETS[name] = _Entry(loader, description)


def known_datasets() -> dict[str, str]:
    """Registered dataset kinds and their one-line descriptions."""
    return {name: entry.description for name, entry in DATASETS.items()}


def get_loader(name: str) -> DatasetLoader:
    """The loader of dataset kind `name`; ConfigError listing the known kinds otherwise."""
    entry = DATASETS.get(name)
    if entry is None:
        raise ConfigError(f"unknown dataset kind {name!r}; expected one of {', '.join(DATASETS)}")
    return entry.loader


def load_dataset(spec: str, corpus: str | Path | None = None, split: str = "test") -> Dataset:
    """Load from a spec `KIND:PATH`, e.g. `beir:FOLDER`, `financebench:QUESTIONS_JSONL` or
    `secqa:QA_JSONL`; `corpus` is the documents folder of the kinds that need one."""
    kind, sep, path = spec.partition(":")
    if not sep or not path:
        raise DatasetError(
            f"dataset spec {spec!r} should be KIND:PATH with KIND one of {', '.join(DATASETS)}"
        )
    return get_loader(kind)(path, None if corpus is None else Path(corpus), split)


def _needs_corpus(kind: str, corpus: Path | None, path: str) -> Path:
    if corpus is None:
        raise DatasetError(f"dataset {kind}:{path} needs a corpus folder (--corpus DIR)")
    return corpus


def _register_defaults() -> None:
    register_dataset(
        "beir",
        lambda path, corpus, split: load_beir(path, split),
        "a BEIR folder (corpus.jsonl, queries.jsonl, qrels/SPLIT.tsv); one chunk per document",
    )
    register_dataset(
        "financebench",
        lambda path, corpus, split: load_financebench(
            path, _needs_corpus("financebench", corpus, path)
        ),
        "FinanceBench questions JSONL + --corpus folder of <doc_name>.txt; evidence pages",
    )
    register_dataset(
        "secqa",
        lambda path, corpus, split: load_secqa(path, _needs_corpus("secqa", corpus, path)),
        "SEC QA questions JSONL + --corpus folder of filings; evidence quotes",
    )


_register_defaults()
