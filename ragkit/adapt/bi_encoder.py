"""Fine-tune a sentence-transformers bi-encoder on mined pairs with in-batch negatives.

The loss is MultipleNegativesRankingLoss written out: each query's positive must outscore
(scaled cosine, softmax cross-entropy) every other passage of the batch plus the batch's
mined hard negatives; passages that are positives of the same query text or the query's own
positive chunk are masked out, so two chunks under one heading are never each other's
negative. A plain, deterministic torch loop (AdamW, linear warm-up/decay computed from the
step, so a resumed run follows the same schedule) with a wall-clock budget, a progress bar,
checkpoints every N steps (safetensors + JSON, no pickle, via `ragkit.rerankers.training`)
and resume; CUDA when present.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ragkit.adapt.pairs import AdaptPair
from ragkit.errors import ConfigError
from ragkit.rerankers.training import (
    CHECKPOINT_DIR,
    load_optimizer,
    parameter_groups,
    resume_state,
    save_checkpoint,
)

logger = logging.getLogger(__name__)

#: Steps timed before a wall-clock budget fixes the number of steps.
CALIBRATION_STEPS = 5
#: Runs shorter than this are too noisy to judge stalled.
MIN_JUDGED_STEPS = 8


@dataclass(frozen=True, slots=True)
class BiEncoderConfig:
    """Hyper-parameters of `train_bi_encoder`.

    `query_max_length` / `passage_max_length` truncate in training only (short inputs make
    a CPU step several times cheaper; the saved model keeps its own limit). `stall_ratio`:
    a run whose last losses average more than this fraction of its first ones is stalled.
    """

    epochs: int = 1
    batch_size: int = 32
    learning_rate: float = 2e-5
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    query_max_length: int = 64
    passage_max_length: int = 192
    scale: float = 20.0
    hard_negatives: bool = True
    max_steps: int | None = None
    checkpoint_every: int = 50
    stall_ratio: float = 0.9
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size", "query_max_length", "passage_max_length",
                     "checkpoint_every"):  # fmt: skip
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ConfigError(f"{name} must be a positive int, got {value!r}")
        if self.batch_size < 2:
            raise ConfigError("batch_size must be at least 2 (in-batch negatives)")
        if self.max_steps is not None and self.max_steps <= 0:
            raise ConfigError(f"max_steps must be a positive int or None, got {self.max_steps}")
        if not 0 < self.learning_rate < 1 or not 0 < self.stall_ratio <= 1:
            raise ConfigError("learning_rate must be in (0, 1) and stall_ratio in (0, 1]")


@dataclass(slots=True)
class TrainResult:
    """What a training run did: steps, losses, wall time, and whether it stalled."""

    steps: int
    planned_steps: int
    initial_loss: float
    final_loss: float
    seconds: float
    stalled: bool
    stopped_by_budget: bool
    device: str
    losses: list[float] = field(default_factory=list)


def fingerprint(pairs: Sequence[AdaptPair], cfg: Any) -> str:
    """A digest of the pairs and settings a checkpoint belongs to."""
    digest = hashlib.sha256(repr(asdict(cfg)).encode())
    for p in pairs:
        digest.update(f"{p.query}\x1f{p.positive}\x1f{p.hard_negative}\x1e".encode())
    return digest.hexdigest()[:16]


def model_source(model: str | Path | None) -> str:
    """A model folder or name; None and the default names mean the packaged MiniLM."""
    from ragkit.models import DEFAULT_EMBEDDING_MODEL, packaged_model_path

    if model in (None, "", "default", DEFAULT_EMBEDDING_MODEL):
        return packaged_model_path()
    return str(model)


def _load(source: str, device: str | None) -> Any:
    import torch
    from sentence_transformers import SentenceTransformer

    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    try:
        return SentenceTransformer(source, device=device)
    except OSError as exc:
        raise ConfigError(f"cannot load base model {source!r}: {exc}") from exc


def _encode(model: Any, texts: list[str], max_length: int) -> Any:
    """Normalised embeddings of `texts` with gradients, truncated at `max_length` tokens."""
    import torch

    keep = model.max_seq_length
    model.max_seq_length = max_length
    try:
        prepare = getattr(model, "preprocess", None) or model.tokenize  # newer name first
        features = prepare(texts)
    finally:
        model.max_seq_length = keep
    features = {k: v.to(model.device) if hasattr(v, "to") else v for k, v in features.items()}
    out = model(features)["sentence_embedding"]
    return torch.nn.functional.normalize(out, dim=-1)


def _mask(batch: Sequence[AdaptPair], columns: Sequence[tuple[str, str]]) -> Any:
    """True where column j must not count as a negative of query i: the positive chunk of i
    (shown elsewhere in the batch) or a positive of another pair with i's query."""
    import torch

    mask = torch.zeros(len(batch), len(columns), dtype=torch.bool)
    for i, p in enumerate(batch):
        for j, (chunk_id, query) in enumerate(columns):
            if j != i and (chunk_id == p.positive_id or query == p.query):
                mask[i, j] = True
    return mask


def batch_loss(model: Any, batch: Sequence[AdaptPair], cfg: BiEncoderConfig) -> Any:
    """The in-batch-negatives loss of one batch (a scalar tensor with gradients)."""
    import torch

    q = _encode(model, [p.query for p in batch], cfg.query_max_length)
    texts = [p.positive for p in batch]
    columns = [(p.positive_id, p.query) for p in batch]
    if cfg.hard_negatives:
        for p in batch:
            if p.hard_negative:
                texts.append(p.hard_negative)
                columns.append((p.hard_negative_id, ""))
    d = _encode(model, texts, cfg.passage_max_length)
    scores = (q @ d.T) * cfg.scale
    scores = scores.masked_fill(_mask(batch, columns).to(scores.device), float("-inf"))
    labels = torch.arange(len(batch), device=scores.device)
    return torch.nn.functional.cross_entropy(scores, labels)


def _optimizer(network: Any, cfg: BiEncoderConfig) -> Any:
    import torch

    named = [(n, p) for n, p in network.named_parameters() if p.requires_grad]
    groups = parameter_groups(named, cfg.weight_decay, cfg.learning_rate)
    return torch.optim.AdamW(groups, lr=cfg.learning_rate)


def learning_rate(cfg: BiEncoderConfig, step: int, total: int) -> float:
    """Linear warm-up over `warmup_ratio` of `total`, then linear decay to zero."""
    warmup = max(1, int(total * cfg.warmup_ratio))
    if step < warmup:
        return cfg.learning_rate * (step + 1) / warmup
    return cfg.learning_rate * max(0.0, (total - step) / max(1, total - warmup))


def _order(n: int, cfg: BiEncoderConfig, epoch: int) -> list[int]:
    order = list(range(n))
    random.Random(cfg.seed + epoch).shuffle(order)
    return order


def loss_summary(losses: Sequence[float]) -> tuple[float, float]:
    """(mean of the first quarter of the losses, mean of the last quarter): single batches
    are noisy, and a pretrained model's first losses can already be low."""
    w = max(1, len(losses) // 4)
    return sum(losses[:w]) / w, sum(losses[-w:]) / w


@dataclass(slots=True)
class _Run:
    """The mutable state of one training run (restored from a checkpoint when resuming)."""

    step: int = 0
    total: int = 0
    seconds: float = 0.0  # training time before this process
    losses: list[float] = field(default_factory=list)

    @classmethod
    def restore(cls, state: dict[str, Any], planned: int) -> _Run:
        if not state:
            return cls(total=planned)
        return cls(int(state["step"]), int(state["total"]), float(state["seconds"]),
                   list(state["losses"]))  # fmt: skip


def _calibrate(run: _Run, elapsed: float, budget_s: float, planned: int) -> None:
    """Set the number of steps that fit the budget from the time the steps so far took
    (redone every few steps: on a shared machine the pace changes; the learning-rate
    schedule follows the new total)."""
    per_step = elapsed / max(1, run.step)
    fit = run.step + int(max(0.0, budget_s - elapsed) / per_step)
    run.total = max(run.step, min(planned, fit))
    logger.debug("budget %.0fs: %.2fs/step, training %d of %d steps", budget_s, per_step,
                 run.total, planned)  # fmt: skip


def train_bi_encoder(
    pairs: Sequence[AdaptPair],
    base_model: str | Path | None,
    output_dir: str | Path,
    config: BiEncoderConfig | None = None,
    *,
    budget_s: float | None = None,
    resume: bool = True,
    progress: bool = True,
    device: str | None = None,
    threads: int | None = None,
    on_step: Callable[[int, float], None] | None = None,
) -> TrainResult:
    """Fine-tune `base_model` on `pairs` and save a sentence-transformers folder at
    `output_dir`. With `budget_s`, the number of steps is re-fitted every few steps so
    that training ends within the budget (and a hard stop saves whatever was trained).
    Resumes from `output_dir/checkpoints/` (same pairs and settings required). `threads`
    sets torch's CPU threads (on a busy machine one thread can beat two by a wide margin)."""
    cfg = config or BiEncoderConfig()
    if len(pairs) < 2:
        raise ConfigError(f"need at least 2 training pairs, got {len(pairs)}")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import torch
    from tqdm.auto import tqdm

    if threads:
        torch.set_num_threads(threads)
    output = Path(output_dir)
    output.mkdir(parents=True, exist_ok=True)
    data = fingerprint(pairs, cfg)
    per_epoch = -(-len(pairs) // cfg.batch_size)
    planned = min(per_epoch * cfg.epochs, cfg.max_steps or per_epoch * cfg.epochs)
    checkpoint, state = resume_state(output, data, planned) if resume else (None, {})
    run = _Run.restore(state, planned)
    torch.manual_seed(cfg.seed + run.step)
    source = str(checkpoint / "model") if checkpoint else model_source(base_model)
    model = _load(source, device)
    optimizer = _optimizer(model, cfg)
    if checkpoint is not None:
        load_optimizer(optimizer, checkpoint / "optimizer.safetensors")
    model.train()
    started = time.perf_counter()
    bar = tqdm(total=run.total, initial=run.step, desc="adapt bi-encoder", unit="step",
               disable=not progress)  # fmt: skip
    stopped = False
    while run.step < run.total:
        epoch, b = divmod(run.step, per_epoch)
        order = _order(len(pairs), cfg, epoch)
        batch = [pairs[i] for i in order[b * cfg.batch_size : (b + 1) * cfg.batch_size]]
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(cfg, run.step, run.total)
        loss = batch_loss(model, batch, cfg)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad()
        run.losses.append(round(float(loss.item()), 5))
        run.step += 1
        elapsed = run.seconds + time.perf_counter() - started
        if budget_s is not None and run.step % CALIBRATION_STEPS == 0:  # re-fit: load varies
            _calibrate(run, elapsed, budget_s, planned)
            bar.total = run.total
        bar.update(1)
        bar.set_postfix(loss=f"{sum(run.losses[-20:]) / len(run.losses[-20:]):.4f}")
        if on_step is not None:
            on_step(run.step, run.losses[-1])
        if run.step % cfg.checkpoint_every == 0 and run.step < run.total:
            saved = {"data": data, "total": run.total,
                     "seconds": elapsed, "losses": run.losses, "config": asdict(cfg)}  # fmt: skip
            save_checkpoint(model, optimizer, output, run.step, saved)
        if budget_s is not None and elapsed > budget_s * 1.2:
            stopped = True  # calibration was off (a busy machine): stop, keep what trained
            break
    bar.close()
    return _finish(model, output, run, cfg, planned, stopped, started)


def portable_pooling(folder: Path) -> None:
    """Rewrite a mean-pooling config saved by sentence-transformers 6 (``"pooling_mode":
    "mean"``) in the older form the packaged MiniLM uses (``pooling_mode_mean_tokens``), which
    every sentence-transformers version and ragkit's ONNX export read."""
    path = folder / "1_Pooling" / "config.json"
    if not path.is_file():
        return
    config = json.loads(path.read_text(encoding="utf-8"))
    if config.get("pooling_mode") != "mean" or set(config) - {
        "embedding_dimension",
        "pooling_mode",
        "include_prompt",
    }:
        return  # another pooling, or settings the older form cannot say
    legacy = {"word_embedding_dimension": config["embedding_dimension"],
              "pooling_mode_cls_token": False, "pooling_mode_mean_tokens": True,
              "pooling_mode_max_tokens": False, "pooling_mode_mean_sqrt_len_tokens": False,
              "include_prompt": config.get("include_prompt", True)}  # fmt: skip
    path.write_text(json.dumps(legacy, indent=2), encoding="utf-8")


def _finish(
    model: Any, output: Path, run: _Run, cfg: BiEncoderConfig, planned: int, stopped: bool,
    started: float,
) -> TrainResult:  # fmt: skip
    """Save the model, drop the checkpoints, and judge whether the loss fell."""
    model.eval()
    model.save(str(output))
    portable_pooling(output)
    shutil.rmtree(output / CHECKPOINT_DIR, ignore_errors=True)
    first, last = loss_summary(run.losses) if run.losses else (0.0, 0.0)
    stalled = len(run.losses) >= MIN_JUDGED_STEPS and last > cfg.stall_ratio * first
    if stalled:
        logger.warning("bi-encoder loss did not fall: %.4f -> %.4f", first, last)
    return TrainResult(
        steps=run.step,
        planned_steps=planned,
        initial_loss=round(first, 5),
        final_loss=round(last, 5),
        seconds=round(run.seconds + time.perf_counter() - started, 1),
        stalled=stalled,
        stopped_by_budget=stopped or run.total < planned,
        device=str(model.device),
        losses=run.losses,
    )
