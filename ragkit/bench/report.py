"""The benchmark report: `report.json` (the schema of issue 6), `report.md` (tables a person
reads) and the PNG charts, all written from one `BenchReport`.

report.json: `{"dataset", "n_queries", "systems": {name: {"metrics", "latency_ms": {"p50",
"p95", ...}, "context_tokens": {"mean", ...}, "failure_stages", "per_query", ...}},
"environment", ...}`; the extra keys (`metrics_by_type`, `failure_stages_by_type`, `info`,
`comparisons`, `settings`) sit beside the required ones.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ragkit.bench.attribution import sort_stage_labels

logger = logging.getLogger(__name__)

__all__ = [
    "SystemResult",
    "BenchReport",
    "environment_info",
    "render_markdown",
    "write_report",
    "REPORT_JSON",
    "REPORT_MD",
]

REPORT_JSON = "report.json"
REPORT_MD = "report.md"


@dataclass(slots=True)
class SystemResult:
    """One system's results on one dataset."""

    metrics: dict[str, float]
    latency_ms: dict[str, Any]
    context_tokens: dict[str, float]
    failure_stages: dict[str, int] = field(default_factory=dict)
    per_query: list[dict[str, Any]] = field(default_factory=list)
    metrics_by_type: dict[str, dict[str, float]] = field(default_factory=dict)
    failure_stages_by_type: dict[str, dict[str, int]] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    escalation: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON-safe dict stored under `systems.<name>`."""
        return {
            "escalation": self.escalation,
            "metrics": self.metrics,
            "latency_ms": self.latency_ms,
            "context_tokens": self.context_tokens,
            "failure_stages": self.failure_stages,
            "per_query": self.per_query,
            "metrics_by_type": self.metrics_by_type,
            "failure_stages_by_type": self.failure_stages_by_type,
            "info": self.info,
        }

    def scores(self, metric: str) -> dict[str, float]:
        """{query id: value} of one metric, for paired comparisons."""
        return {
            q["id"]: float(q["metrics"][metric]) for q in self.per_query if metric in q["metrics"]
        }


@dataclass(slots=True)
class BenchReport:
    """A whole benchmark run: dataset, systems' results, comparisons and environment."""

    dataset: str
    n_queries: int
    systems: dict[str, SystemResult]
    environment: dict[str, Any] = field(default_factory=dict)
    comparisons: list[dict[str, Any]] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    primary_metrics: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The JSON-safe dict written as report.json."""
        return {
            "dataset": self.dataset,
            "n_queries": self.n_queries,
            "systems": {name: s.to_dict() for name, s in self.systems.items()},
            "environment": self.environment,
            "comparisons": self.comparisons,
            "settings": self.settings,
            "primary_metrics": self.primary_metrics,
        }


def _git_commit() -> str | None:
    root = Path(__file__).resolve().parents[2]
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = out.stdout.strip()
    return commit if out.returncode == 0 and commit else None


def environment_info() -> dict[str, Any]:
    """Python, platform, CPU count, ragkit version and git commit (when in a checkout)."""
    import ragkit

    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "ragkit_version": getattr(ragkit, "__version__", "unknown"),
        "git_commit": _git_commit(),
    }


# -- markdown ---------------------------------------------------------------------------------


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_fmt(c) for c in row) + " |" for row in rows]
    return lines + [""]


def _stages(counts: Sequence[Mapping[str, int]]) -> list[str]:
    return sort_stage_labels(label for c in counts for label in c)


def render_markdown(report: BenchReport) -> str:
    """The report as Markdown tables: metrics, per type, attribution, latency, comparisons."""
    primary = report.primary_metrics or sorted(
        {m for s in report.systems.values() for m in s.metrics}
    )
    settings = ", ".join(f"{k}={v}" for k, v in report.settings.items())
    out = [f"# Benchmark: {report.dataset}", "", f"{report.n_queries} queries. {settings}", ""]
    out += _summary_section(report.systems, primary)
    out += _by_type_section(report.systems, primary)
    out += _escalation_section(report.systems)
    out += _attribution_section(report.systems)
    out += _stage_latency_section(report.systems)
    out += _comparison_section(report.comparisons)
    if report.environment:
        out += ["## Environment", ""]
        out += [f"- {k}: {v}" for k, v in report.environment.items()] + [""]
    return "\n".join(out)


def _summary_section(systems: Mapping[str, SystemResult], primary: list[str]) -> list[str]:
    """The summary table (primary metrics, latency, tokens, build time) and all metrics."""
    header = ["system", *primary, "p50 ms", "p95 ms", "context tokens", "index build s"]
    rows = [
        [
            name,
            *(s.metrics.get(m) for m in primary),
            s.latency_ms.get("p50"),
            s.latency_ms.get("p95"),
            s.context_tokens.get("mean"),
            s.info.get("index_build_s"),
        ]
        for name, s in systems.items()
    ]
    out = ["## Summary", "", *_table(header, rows)]
    all_metrics = list(dict.fromkeys(m for s in systems.values() for m in s.metrics))
    if all_metrics:
        out += ["## All metrics", ""]
        out += _table(
            ["metric", *systems],
            [[m, *(s.metrics.get(m) for s in systems.values())] for m in all_metrics],
        )
    return out


def _by_type_section(systems: Mapping[str, SystemResult], primary: list[str]) -> list[str]:
    """One table per primary metric with a column per question type."""
    types = sorted({t for s in systems.values() for t in s.metrics_by_type})
    if not types or not primary:
        return []
    out = ["## By question type", ""]
    for metric in primary:
        rows = [
            [name, *(s.metrics_by_type.get(t, {}).get(metric) for t in types)]
            for name, s in systems.items()
        ]
        out += [f"### {metric}", "", *_table(["system", *types], rows)]
    return out


def _escalation_section(systems: Mapping[str, SystemResult]) -> list[str]:
    """How often each escalating system escalated, and what escalation gained or lost."""
    rows = [
        [
            name,
            e["escalated"],
            e["queries"],
            e["rate"],
            e["precision"],
            e["items_gained"],
            e["items_lost"],
        ]
        for name, s in systems.items()
        if (e := s.escalation)
    ]
    if not rows:
        return []
    header = ["system", "escalated", "queries", "rate", "precision", "items gained", "items lost"]
    note = (
        "Precision: share of escalations whose top-k held gold evidence the pipeline's own "
        "top-k missed."
    )
    return ["## Escalation", "", note, "", *_table(header, rows)]


def _attribution_section(systems: Mapping[str, SystemResult]) -> list[str]:
    """Failure attribution counts per system, then per question type."""
    traced = {n: s for n, s in systems.items() if s.failure_stages}
    if not traced:
        return []
    out = ["## Failure attribution (gold evidence items, first stage that lost each)", ""]
    stages = _stages([s.failure_stages for s in traced.values()])
    rows = []
    for name, s in traced.items():
        total = sum(s.failure_stages.values()) or 1
        cells = [
            f"{s.failure_stages.get(st, 0)} ({s.failure_stages.get(st, 0) / total:.0%})"
            for st in stages
        ]
        rows.append([name, *cells, total])
    out += _table(["system", *stages, "items"], rows)
    for name, s in traced.items():
        by_type = s.failure_stages_by_type
        if not by_type:
            continue
        st = _stages(list(by_type.values()))
        rows = [
            [t, *(c.get(x, 0) for x in st), sum(c.values())] for t, c in sorted(by_type.items())
        ]
        out += [f"### {name} by question type", "", *_table(["type", *st, "items"], rows)]
    return out


def _stage_latency_section(systems: Mapping[str, SystemResult]) -> list[str]:
    """p50 / p95 latency of every traced stage per system."""
    staged = {n: s for n, s in systems.items() if s.latency_ms.get("stages")}
    if not staged:
        return []
    names = list(dict.fromkeys(st for s in staged.values() for st in s.latency_ms["stages"]))
    rows = []
    for name, s in staged.items():
        cells = []
        for st in names:
            v = s.latency_ms["stages"].get(st)
            cells.append(f"{v['p50']:.1f} / {v['p95']:.1f}" if v else "–")
        rows.append([name, *cells])
    return ["## Latency per stage (ms, p50 / p95)", "", *_table(["system", *names], rows)]


def _comparison_section(comparisons: Sequence[Mapping[str, Any]]) -> list[str]:
    """Paired bootstrap/randomisation comparisons between systems."""
    if not comparisons:
        return []
    rows = [
        [
            c["metric"], c["a"], c["b"], c["mean_a"], c["mean_b"], c["diff"],
            f"[{c['ci_low']:.3f}, {c['ci_high']:.3f}]", c["p_value"],
            "yes" if c["p_value"] < 0.05 else "no",
        ]
        for c in comparisons
    ]  # fmt: skip
    header = ["metric", "a", "b", "mean a", "mean b", "diff", "95% CI", "p", "p<0.05"]
    title = (
        "## Paired comparisons (per-query scores; difference a − b; 95% bootstrap CI; "
        "randomisation p)"
    )
    return [title, "", *_table(header, rows)]


def write_report(report: BenchReport, out_dir: str | Path, charts: bool = True) -> list[Path]:
    """Write report.json, report.md and (when `charts`) the PNG charts; returns the paths."""
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    data = report.to_dict()
    json_path = folder / REPORT_JSON
    _atomic_write(json_path, json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False))
    md_path = folder / REPORT_MD
    _atomic_write(md_path, render_markdown(report))
    written = [json_path, md_path]
    if charts:
        from ragkit.bench.charts import write_charts

        written += write_charts(data, folder)
    logger.info("wrote %s", ", ".join(str(p) for p in written))
    return written


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
