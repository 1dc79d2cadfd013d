"""PNG charts of a benchmark report (matplotlib, Agg backend): quality vs latency per system,
quality vs context tokens with the Pareto front, failure-attribution bars, and recall@k
curves.

Charts read the report's JSON dict, so they can be redrawn from a saved report.json.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ragkit.errors import DependencyError

logger = logging.getLogger(__name__)

__all__ = [
    "QUALITY_VS_LATENCY",
    "QUALITY_VS_TOKENS",
    "FAILURE_ATTRIBUTION",
    "RECALL_AT_K",
    "write_charts",
    "quality_vs_latency",
    "quality_vs_tokens",
    "pareto_front",
    "failure_attribution",
    "recall_curves",
]

QUALITY_VS_LATENCY = "quality_vs_latency.png"
QUALITY_VS_TOKENS = "quality_vs_tokens.png"
FAILURE_ATTRIBUTION = "failure_attribution.png"
RECALL_AT_K = "recall_at_k.png"

_AT_K = re.compile(r"^(?P<prefix>[a-z_]+)@(?P<k>\d+)$")
_STAGE_COLOURS = {
    "chunking": "#8c564b",
    "sparse": "#ff7f0e",
    "dense": "#bcbd22",
    "sparse+dense": "#d62728",
    "retrieval": "#d62728",
    "fusion": "#9467bd",
    "expansion": "#e377c2",
    "reranking": "#1f77b4",
    "kept": "#2ca02c",
}


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError as exc:
        raise DependencyError(
            "benchmark charts need matplotlib: pip install 'ragkit[charts]' "
            "(or pass --no-charts to `ragkit bench`)"
        ) from exc

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _headline(report: Mapping[str, Any]) -> str | None:
    primary = report.get("primary_metrics") or []
    if primary:
        return str(primary[0])
    for system in report["systems"].values():
        if system["metrics"]:
            return str(next(iter(system["metrics"])))
    return None


def quality_vs_latency(report: Mapping[str, Any], path: Path) -> Path:
    """Scatter of the headline metric against p50 latency (log scale), one point per system."""
    plt = _pyplot()
    metric = _headline(report)
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    for name, system in report["systems"].items():
        x = max(float(system["latency_ms"].get("p50", 0.0)), 1e-3)
        y = float(system["metrics"].get(metric, 0.0)) if metric else 0.0
        ax.scatter([x], [y], s=60)
        ax.annotate(name, (x, y), textcoords="offset points", xytext=(6, 4), fontsize=9)
    _quality_axes(ax, metric, "latency per query, p50 (ms, log scale)",
                  f"Quality vs latency — {report['dataset']}")  # fmt: skip
    return _save(fig, plt, path)


def _quality_axes(ax: Any, metric: str | None, xlabel: str, title: str) -> None:
    """The shared frame of the quality-vs-cost scatters: log x, quality 0..1 on y, a grid."""
    ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(metric or "quality")
    ax.set_ylim(0, 1.05)
    ax.set_title(title)
    ax.grid(True, alpha=0.3)


def pareto_front(points: Mapping[str, tuple[float, float]]) -> list[str]:
    """The names of the (cost, quality) points no other point beats: none has lower or equal
    cost and higher or equal quality with one of them strictly better. Cheapest first."""
    front = [
        name
        for name, (cost, quality) in points.items()
        if not any(
            c <= cost and q >= quality and (c < cost or q > quality)
            for other, (c, q) in points.items()
            if other != name
        )
    ]
    return sorted(front, key=lambda n: (points[n][0], -points[n][1], n))


def quality_vs_tokens(report: Mapping[str, Any], path: Path) -> Path:
    """Scatter of the headline metric against mean context tokens (log scale: what a
    generator receives, or everything an agent read), the Pareto front drawn as a line."""
    plt = _pyplot()
    metric = _headline(report)
    points: dict[str, tuple[float, float]] = {}
    for name, system in report["systems"].items():
        tokens = max(float(system.get("context_tokens", {}).get("mean", 0.0)), 1.0)
        points[name] = (tokens, float(system["metrics"].get(metric, 0.0)) if metric else 0.0)
    front = pareto_front(points)
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    placed: list[tuple[float, float]] = []
    for name, (x, y) in points.items():
        on = name in front
        ax.scatter([x], [y], s=70 if on else 45, marker="o" if on else "x")
        near = sum(1 for px, py in placed if 0.7 < x / px < 1.4 and abs(y - py) < 0.04)
        placed.append((x, y))  # labels of close points step down instead of overprinting
        ax.annotate(name, (x, y), textcoords="offset points", xytext=(6, 4 - 11 * near),
                    fontsize=9)  # fmt: skip
    if len(front) > 1:
        ax.plot([points[n][0] for n in front], [points[n][1] for n in front], "--",
                color="grey", linewidth=1, label="Pareto front")  # fmt: skip
        ax.legend(fontsize=8, loc="lower right")
    _quality_axes(ax, metric, "context tokens per query, mean (log scale; agents: everything read)",
                  f"Quality vs context tokens — {report['dataset']}")  # fmt: skip
    return _save(fig, plt, path)


def failure_attribution(report: Mapping[str, Any], path: Path) -> Path:
    """Stacked horizontal bars: share of gold evidence items lost at each stage, per system."""
    plt = _pyplot()
    systems = {n: s["failure_stages"] for n, s in report["systems"].items() if s["failure_stages"]}
    fig, ax = plt.subplots(figsize=(8.5, 0.6 * max(len(systems), 1) + 1.8))
    if not systems:
        ax.text(0.5, 0.5, "no traced pipeline in this run", ha="center", va="center")
        ax.set_axis_off()
        return _save(fig, plt, path)
    from ragkit.bench.attribution import sort_stage_labels

    stages = sort_stage_labels(label for counts in systems.values() for label in counts)
    names = list(systems)
    left = [0.0] * len(names)
    for stage in stages:
        widths = []
        for name in names:
            counts = systems[name]
            total = sum(counts.values()) or 1
            widths.append(counts.get(stage, 0) / total)
        colour = _STAGE_COLOURS.get(stage.split("@", 1)[0])
        ax.barh(names, widths, left=left, label=stage, color=colour)
        left = [a + b for a, b in zip(left, widths, strict=True)]
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of gold evidence items")
    ax.set_title(f"Where evidence is lost — {report['dataset']}")
    ax.invert_yaxis()
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, title="lost at")
    return _save(fig, plt, path)


def recall_curves(report: Mapping[str, Any], path: Path) -> Path:
    """Recall-type metric against k (one line per system), for the headline recall metric."""
    plt = _pyplot()
    prefix = _recall_prefix(report)
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    all_ks: set[int] = set()
    for name, system in report["systems"].items():
        points = sorted(
            (int(match["k"]), float(v))
            for key, v in system["metrics"].items()
            if (match := _AT_K.match(key)) and match["prefix"] == prefix
        )
        all_ks.update(p[0] for p in points)
        if points:
            ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=name)
    ax.set_xscale("log")
    if all_ks:
        ax.set_xticks(sorted(all_ks), [str(k) for k in sorted(all_ks)])
        ax.minorticks_off()
    ax.set_xlabel("k (passages retrieved, log scale)")
    ax.set_ylabel(f"{prefix}@k")
    ax.set_ylim(0, 1.05)
    ax.set_title(f"{prefix}@k — {report['dataset']}")
    ax.grid(True, alpha=0.3)
    if report["systems"]:
        ax.legend(fontsize=8)
    return _save(fig, plt, path)


def _recall_prefix(report: Mapping[str, Any]) -> str:
    prefixes = {
        match["prefix"]
        for system in report["systems"].values()
        for key in system["metrics"]
        if (match := _AT_K.match(key))
    }
    for candidate in ("evidence_recall", "page_recall", "recall", "doc_recall"):
        if candidate in prefixes:
            return candidate
    return sorted(prefixes)[0] if prefixes else "recall"


def _save(fig: Any, plt: Any, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def write_charts(report: Mapping[str, Any], out_dir: str | Path) -> list[Path]:
    """Draw the four charts of a report dict into `out_dir`; returns their paths."""
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    return [
        quality_vs_latency(report, folder / QUALITY_VS_LATENCY),
        quality_vs_tokens(report, folder / QUALITY_VS_TOKENS),
        failure_attribution(report, folder / FAILURE_ATTRIBUTION),
        recall_curves(report, folder / RECALL_AT_K),
    ]
