"""ragkit's benchmark: dataset loaders, metrics, failure attribution, significance tests and
the report, over any object with the retriever contract `search(queries, k, filters)`.

Import the submodules directly (`ragkit.bench.runner.run_benchmark`, ...); this package
imports nothing heavy.
"""

from __future__ import annotations

from ragkit.bench.datasets import (
    BeirDataset,
    BenchQuery,
    FinanceBenchDataset,
    SecQaDataset,
    load_beir,
    load_dataset,
    load_financebench,
    load_secqa,
)
from ragkit.bench.report import BenchReport, SystemResult, write_report
from ragkit.bench.runner import SystemSpec, per_document_filter, run_benchmark

__all__ = [
    "BenchQuery",
    "BeirDataset",
    "FinanceBenchDataset",
    "SecQaDataset",
    "load_beir",
    "load_dataset",
    "load_financebench",
    "load_secqa",
    "BenchReport",
    "SystemResult",
    "write_report",
    "SystemSpec",
    "per_document_filter",
    "run_benchmark",
]
