"""`adapt()`: mine pairs from a corpus, fine-tune the bi-encoder (and optionally a
cross-encoder reranker) on them within a wall-clock budget, and record what was done.

The output folder is a sentence-transformers model that loads wherever a model name does
(`Embedder(model=DIR)`, `ragkit index --model DIR`, `HybridIndex.build(..., model=DIR)`),
plus `ragkit_adapt.json`: base model, corpus hash, pair counts by kind, settings, seed,
initial and final loss, wall time and whether the loss fell. A run whose loss did not fall
is saved with ``"stalled": true`` and raises `TrainingStalledError`.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from ragkit.adapt.bi_encoder import (
    MIN_JUDGED_STEPS,
    BiEncoderConfig,
    model_source,
    train_bi_encoder,
)
from ragkit.adapt.corpus import corpus_hash, load_corpus, with_metadata
from ragkit.adapt.mining import MiningConfig, mine_pairs, pair_counts
from ragkit.adapt.pairs import AdaptPair
from ragkit.errors import ConfigError, TrainingStalledError
from ragkit.rerankers.training import TrainingConfig
from ragkit.types import Chunk

logger = logging.getLogger(__name__)

#: The record written into an adapted model folder.
MANIFEST = "ragkit_adapt.json"
MANIFEST_VERSION = 1


@dataclass(frozen=True, slots=True)
class AdaptConfig:
    """Everything `adapt` needs besides the corpus and the output folders.

    `budget_minutes` bounds training wall time (mining and saving come on top); with a
    reranker, `reranker_share` of it goes to the cross-encoder. `reranker_pairs` caps the
    mined pairs the cross-encoder sees (each gives a positive and up to two negatives).
    `metadata_file` (a document-information JSONL or CSV, as routing reads) fills in the
    company, form and period that documents' own cover pages did not give (for context).
    `reranker_context_rate` is the share of the reranker's training queries that name their
    document (the pairs mined again at that rate; None: the encoder's `mining.context_rate`).
    """

    base_model: str | None = None
    budget_minutes: float | None = 30.0
    seed: int = 0
    mining: MiningConfig = field(default_factory=MiningConfig)
    bi_encoder: BiEncoderConfig = field(default_factory=BiEncoderConfig)
    reranker: TrainingConfig = field(
        default_factory=lambda: TrainingConfig(
            batch_size=16,
            learning_rate=5e-5,
            head_learning_rate=1e-3,
            max_length=192,
            checkpoint_every=50,
            loss="listwise",
        )
    )
    reranker_share: float = 0.35
    reranker_pairs: int = 4000
    metadata_file: str | None = None
    reranker_context_rate: float | None = 1.0

    def __post_init__(self) -> None:
        if self.budget_minutes is not None and self.budget_minutes <= 0:
            raise ConfigError(f"budget_minutes must be > 0, got {self.budget_minutes}")
        if not 0 < self.reranker_share < 1:
            raise ConfigError(f"reranker_share must be in (0, 1), got {self.reranker_share}")
        if self.reranker_pairs <= 0:
            raise ConfigError(f"reranker_pairs must be > 0, got {self.reranker_pairs}")
        rate = self.reranker_context_rate
        if rate is not None and not 0 <= rate <= 1:
            raise ConfigError(f"reranker_context_rate must be in [0, 1], got {rate}")

    def seeded(self) -> AdaptConfig:
        """This config with `seed` applied to mining and both trainers."""
        return replace(
            self,
            mining=replace(self.mining, seed=self.seed),
            bi_encoder=replace(self.bi_encoder, seed=self.seed),
            reranker=replace(self.reranker, seed=self.seed),
        )


def read_manifest(folder: str | Path) -> dict[str, Any] | None:
    """The `ragkit_adapt.json` of an adapted model folder, or None."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        return None
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _budgets(cfg: AdaptConfig, with_reranker: bool) -> tuple[float | None, float | None]:
    if cfg.budget_minutes is None:
        return None, None
    total = cfg.budget_minutes * 60
    if not with_reranker:
        return total, None
    return total * (1 - cfg.reranker_share), total * cfg.reranker_share


def _mined(
    corpus: str | Path | Sequence[Chunk], cfg: AdaptConfig
) -> tuple[list[Chunk], list[AdaptPair]]:
    """The corpus's chunks and the pairs mined from them (documents named by
    `cfg.metadata_file` where their cover pages did not): what `adapt` and `adapt_reranker`
    both train on."""
    chunks = list(corpus) if not isinstance(corpus, str | Path) else load_corpus(corpus)
    return chunks, mine_pairs(with_metadata(chunks, cfg.metadata_file), cfg.mining)


def _reranker_mining(cfg: AdaptConfig) -> MiningConfig | None:
    """The mining settings of the reranker's pairs when they differ from the encoder's
    (`reranker_context_rate`), else None: the encoder's pairs serve."""
    rate = cfg.reranker_context_rate
    if rate is None or rate == cfg.mining.context_rate:
        return None
    return replace(cfg.mining, context_rate=rate)


def adapt(
    corpus: str | Path | Sequence[Chunk],
    out: str | Path,
    config: AdaptConfig | None = None,
    *,
    reranker_out: str | Path | None = None,
    progress: bool = True,
    device: str | None = None,
    threads: int | None = None,
) -> dict[str, Any]:
    """Adapt the embedding model (and, with `reranker_out`, a reranker) to `corpus` (a
    folder/file `load_corpus` reads, or chunks). Returns the manifest written to `out`."""
    cfg = (config or AdaptConfig()).seeded()
    started = time.perf_counter()
    chunks, pairs = _mined(corpus, cfg)
    counts = pair_counts(pairs)
    mined_s = time.perf_counter() - started
    logger.info("mined %d pairs in %.1fs: %s", len(pairs), mined_s, counts)
    bi_budget, ce_budget = _budgets(cfg, reranker_out is not None)
    result = train_bi_encoder(pairs, cfg.base_model, out, cfg.bi_encoder, budget_s=bi_budget,
                              progress=progress, device=device, threads=threads)  # fmt: skip
    manifest: dict[str, Any] = {
        "version": MANIFEST_VERSION,
        "base_model": cfg.base_model or "all-MiniLM-L6-v2",
        "base_model_source": model_source(cfg.base_model),
        "corpus": {
            "source": str(corpus) if isinstance(corpus, str | Path) else "chunks",
            "hash": corpus_hash(chunks),
            "chunks": len(chunks),
            "documents": len({c.doc_id for c in chunks}),
        },
        "pairs": {"total": len(pairs), **counts},
        "seed": cfg.seed,
        "budget_minutes": cfg.budget_minutes,
        "mining": asdict(cfg.mining),
        "metadata_file": str(Path(cfg.metadata_file).resolve()) if cfg.metadata_file else None,
        "training": asdict(cfg.bi_encoder),
        "result": {k: v for k, v in asdict(result).items() if k != "losses"},
        "loss_curve": _curve(result.losses),
        "stalled": result.stalled,
        "mining_s": round(mined_s, 1),
    }
    if reranker_out is not None and not result.stalled:
        if (mining := _reranker_mining(cfg)) is not None:
            pairs = mine_pairs(with_metadata(chunks, cfg.metadata_file), mining)
        manifest["reranker"] = _reranker(pairs, out, reranker_out, cfg, ce_budget, progress)
    manifest["wall_s"] = round(time.perf_counter() - started, 1)
    Path(out, MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    if result.stalled:
        raise TrainingStalledError(
            f"the bi-encoder's loss did not fall ({result.initial_loss:.4f} -> "
            f"{result.final_loss:.4f} over {result.steps} steps); the model in {out} is marked "
            "stalled: try a lower learning rate, more steps or more pairs"
        )
    if manifest.get("reranker", {}).get("stalled"):
        raise _reranker_stalled(manifest["reranker"])
    return manifest


def _reranker_stalled(r: dict[str, Any]) -> TrainingStalledError:
    """The error for a reranker record whose loss did not fall."""
    return TrainingStalledError(
        f"the reranker's loss did not fall ({r['initial_loss']:.4f} -> "
        f"{r['final_loss']:.4f} over {r['steps']} steps); {r['path']} is marked stalled: "
        "give it a larger budget (--budget-minutes; in a whole adapt run its share is "
        "reranker_share of it)"
    )


def _curve(losses: Sequence[float], points: int = 50) -> list[float]:
    """The loss curve as at most `points` window means."""
    if not losses:
        return []
    size = max(1, -(-len(losses) // points))
    return [
        round(sum(losses[i : i + size]) / len(losses[i : i + size]), 4)
        for i in range(0, len(losses), size)
    ]


def _reranker(
    pairs: Sequence[Any], bi_out: str | Path, out: str | Path, cfg: AdaptConfig,
    budget_s: float | None, progress: bool,
) -> dict[str, Any]:  # fmt: skip
    """Train the cross-encoder from the adapted bi-encoder; its record, with a manifest in
    its own folder too."""
    from ragkit.adapt.cross_encoder import train_reranker

    info = train_reranker(pairs, bi_out, out, cfg.reranker, limit=cfg.reranker_pairs,
                          budget_s=budget_s, progress=progress)  # fmt: skip
    record: dict[str, Any] = {
        "path": str(out), "base_model": str(bi_out), "pairs": info.get("pairs"),
        "steps": info.get("steps"), "seconds": info.get("seconds"),
        "initial_loss": info.get("initial_loss"), "final_loss": info.get("final_loss"),
        "context_rate": (_reranker_mining(cfg) or cfg.mining).context_rate,
        "training": asdict(cfg.reranker),
    }  # fmt: skip
    first, last = record["initial_loss"], record["final_loss"]
    steps = int(record["steps"] or 0)
    record["stalled"] = bool(
        steps >= MIN_JUDGED_STEPS and first and last > cfg.bi_encoder.stall_ratio * first
    )
    Path(out, MANIFEST).write_text(json.dumps({"version": MANIFEST_VERSION, "kind": "reranker",
                                               **record}, indent=2), encoding="utf-8")  # fmt: skip
    return record


def adapt_reranker(
    corpus: str | Path | Sequence[Chunk],
    encoder: str | Path,
    out: str | Path,
    config: AdaptConfig | None = None,
    *,
    progress: bool = True,
) -> dict[str, Any]:
    """Train only the reranker, from an already adapted `encoder` folder; its record. The
    pairs are mined again with the seed and mining settings of the encoder's manifest, so
    they are the pairs the encoder saw (with its metadata file; a setting newer than the
    manifest takes its default); `config` gives the rest (reranker training, and the budget,
    all of it the reranker's). A
    stalled encoder gets no reranker, and a stalled reranker raises, as in `adapt`."""
    manifest = read_manifest(encoder)
    if manifest is None or "mining" not in manifest:
        raise ConfigError(f"{encoder} holds no adapted encoder: adapt the encoder first")
    if manifest.get("stalled"):
        raise TrainingStalledError(f"the encoder in {encoder} is marked stalled: adapt it again")
    cfg = replace(config or AdaptConfig(), seed=manifest["seed"],
                  mining=MiningConfig(**manifest["mining"]),
                  metadata_file=manifest.get("metadata_file")).seeded()  # fmt: skip
    cfg = replace(cfg, mining=_reranker_mining(cfg) or cfg.mining)
    _, pairs = _mined(corpus, cfg)
    whole = _budgets(cfg, False)[0]  # nothing else trains here: the whole budget is its
    record = _reranker(pairs, encoder, out, cfg, whole, progress)
    if record["stalled"]:
        raise _reranker_stalled(record)
    return record
