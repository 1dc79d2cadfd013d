"""Fine-tune a cross-encoder reranker on the user's relevance data (`ragkit train-reranker`).

Training pairs come from BEIR qrels or from FinanceBench/SEC-QA-style evidence quotes;
positives are the judged (or evidence-bearing) passages, hard negatives the passages ragkit's
own BM25 (or hybrid) retrieval ranks highest that are not positives. Training is a plain,
deterministic PyTorch loop over the sentence-transformers `CrossEncoder` (binary
cross-entropy on logits, or a listwise softmax over each positive and its query's negatives;
AdamW, linear warm-up/decay); it checkpoints every N steps
(safetensors + JSON, no pickle), resumes from the latest checkpoint, shows progress, and
saves a model folder that `CrossEncoderReranker` loads.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import re
import shutil
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from ragkit.errors import ConfigError
from ragkit.types import Chunk

logger = logging.getLogger(__name__)

CHECKPOINT_DIR = "checkpoints"
TRAINING_INFO = "ragkit_training.json"
#: `TrainingConfig.loss` values: one label per pair, or one softmax per positive's group.
LOSSES = ("pointwise", "listwise")


@dataclass(frozen=True, slots=True)
class TrainingPair:
    """One labelled (query, passage) pair: label 1.0 relevant, 0.0 not."""

    query: str
    text: str
    label: float


# -- data ---------------------------------------------------------------------------------
def load_beir(
    folder: str | Path, split: str = "train"
) -> tuple[list[Chunk], dict[str, str], dict[str, dict[str, int]]]:
    """A BEIR folder read by the benchmark's reader → (one chunk per document, the queries
    judged in `split` {id: text}, qrels {query id: {doc id: relevance}}).

    Each chunk's `search_text`, which pairs are made of, is the benchmark's passage text
    (`ragkit.bench.datasets.beir_passage_text`), so a reranker trains on the text it is
    benchmarked on; the title line is held as the section path so that `title_pairs` can
    show a passage without it.
    """
    from ragkit.bench.datasets import beir_chunk
    from ragkit.bench.datasets import load_beir as read_beir  # lazily: ragkit.bench loads numpy

    dataset = read_beir(folder, split)
    chunks = [beir_chunk(doc, pos, title_path=True) for pos, doc in enumerate(dataset.corpus)]
    queries = {q.id: q.text for q in dataset.queries}
    qrels = {qid: dict(docs) for qid, docs in dataset.qrels.items()}
    return chunks, queries, qrels


def _search_fn(chunks: Sequence[Chunk], retriever: str) -> Callable[[list[str], int], list[list]]:
    if retriever == "bm25":
        from ragkit.indexes import BM25Index

        index: Any = BM25Index()
        index.add(chunks)
        return lambda qs, k: index.search(qs, k)
    if retriever == "hybrid":
        from ragkit.indexes import HybridIndex

        hybrid = HybridIndex.build(chunks)
        return lambda qs, k: hybrid.search(qs, k)
    raise ConfigError(f"unknown mining retriever {retriever!r}; expected 'bm25' or 'hybrid'")


def mine_pairs(
    chunks: Sequence[Chunk],
    positives: Mapping[str, set[str]],
    negatives: int = 4,
    depth: int = 30,
    skip_top: int = 0,
    retriever: str = "bm25",
    seed: int = 0,
    random_negatives: int = 0,
) -> list[TrainingPair]:
    """Positive pairs for each query's positive chunk ids, plus `negatives` hard negatives:
    the highest-ranked non-positive chunks of `retriever` (after skipping `skip_top`, which
    guards against unjudged positives), sampled from the top 2×`negatives`; random
    passages fill in when retrieval returns too few. `random_negatives` adds that many
    random passages per query: with hard negatives alone a model can learn "more word
    overlap means less relevant" (its negatives overlap the query more than its positives
    do), which inverts the ranking of the candidates it is asked to rerank."""
    if negatives < 0 or depth <= 0 or random_negatives < 0:
        raise ConfigError(
            "negatives and random_negatives must be >= 0 and depth > 0, got "
            f"{negatives}, {random_negatives}, {depth}"
        )
    by_id = {c.id: c for c in chunks}
    queries = [q for q, ids in positives.items() if any(i in by_id for i in ids)]
    rng, fill = random.Random(seed), random.Random(seed + 1)  # fill draws leave rng alone
    search = _search_fn(chunks, retriever) if negatives else None
    runs = search(queries, depth) if search is not None and queries else [[] for _ in queries]
    pairs: list[TrainingPair] = []
    for query, run in zip(queries, runs, strict=True):
        pos = positives[query]
        for cid in sorted(pos):
            if cid in by_id:
                pairs.append(TrainingPair(query, by_id[cid].search_text, 1.0))
        pool = [h.chunk_id for h in run if h.chunk_id not in pos][skip_top:]
        head = pool[: negatives * 2]
        chosen = sorted(rng.sample(head, min(negatives, len(head))), key=head.index)
        wanted = negatives + random_negatives  # retrieval found too few: random passages fill
        if len(chosen) < wanted:
            taken = set(chosen)
            rest = [c.id for c in chunks if c.id not in pos and c.id not in taken]
            chosen += fill.sample(rest, min(wanted - len(chosen), len(rest)))
        for cid in chosen:
            pairs.append(TrainingPair(query, by_id[cid].search_text, 0.0))
    return pairs


def beir_positives(
    queries: Mapping[str, str], qrels: Mapping[str, Mapping[str, int]]
) -> dict[str, set[str]]:
    """{query text: ids of its relevant documents} from BEIR qrels (relevance > 0)."""
    return {
        queries[qid]: {d for d, rel in docs.items() if rel > 0}
        for qid, docs in qrels.items()
        if qid in queries
    }


def beir_pairs(folder: str | Path, split: str = "train", **mining: Any) -> list[TrainingPair]:
    """Training pairs from a BEIR folder's qrels (relevance > 0 is positive), over the
    benchmark's passage texts (`load_beir`)."""
    chunks, queries, qrels = load_beir(folder, split)
    return mine_pairs(chunks, beir_positives(queries, qrels), **mining)


def title_pairs(
    chunks: Sequence[Chunk],
    limit: int,
    min_words: int = 4,
    max_group: int = 3,
    **mining: Any,
) -> list[TrainingPair]:
    """Self-supervised pairs from the corpus itself, for domains without relevance labels (or
    with few): a chunk's section title (a BEIR title, a filing's heading) is a pseudo-query
    whose positives are the chunks under it, shown *without* their section path so the
    title cannot be matched verbatim. Titles need `min_words` words and at most `max_group`
    chunks (generic headings such as "Risk Factors" are skipped); `limit` titles are
    sampled (seeded). Negatives are mined as in `mine_pairs`."""
    if limit <= 0:
        return []
    groups: dict[str, list[str]] = {}
    for c in chunks:
        title = c.section_path[-1].strip() if c.section_path else ""
        if len(title.split()) >= min_words:
            groups.setdefault(title, []).append(c.id)
    titles = sorted(t for t, ids in groups.items() if len(ids) <= max_group)
    rng = random.Random(mining.get("seed", 0))
    chosen = rng.sample(titles, min(limit, len(titles)))
    bare = [replace(c, section_path=()) for c in chunks]
    return mine_pairs(bare, {t: set(groups[t]) for t in chosen}, **mining)


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def evidence_positives(
    questions: Mapping[str, Sequence[str]], chunks: Sequence[Chunk], min_overlap: float = 0.6
) -> dict[str, set[str]]:
    """FinanceBench/SEC-QA style: a chunk is positive for a question when it contains at
    least `min_overlap` of the words of one of its evidence quotes."""
    sets = [(c.id, set(_words(c.text))) for c in chunks]
    out: dict[str, set[str]] = {}
    for question, quotes in questions.items():
        hits: set[str] = set()
        for quote in quotes:
            words = set(_words(quote))
            if not words:
                continue
            for cid, chunk_words in sets:
                if len(words & chunk_words) / len(words) >= min_overlap:
                    hits.add(cid)
        if hits:
            out[question] = hits
    return out


def evidence_pairs(
    questions: Mapping[str, Sequence[str]], chunks: Sequence[Chunk], **mining: Any
) -> list[TrainingPair]:
    """Training pairs from questions with evidence quotes over the user's own chunks."""
    return mine_pairs(chunks, evidence_positives(questions, chunks), **mining)


# -- training -----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class TrainingConfig:
    """Hyper-parameters of `train_cross_encoder`.

    `loss`: "pointwise" is binary cross-entropy on every pair's label; "listwise" is a
    softmax cross-entropy over each positive and its query's negatives (localized contrastive
    estimation), which learns the order within a query rather than an absolute score, and
    then `batch_size` counts groups (a positive and its negatives), not pairs.
    `head_learning_rate` (None: `learning_rate`) is the pooler's and classifier's: a model
    that starts from a bi-encoder has a new head that learns slowly at the encoder's rate.
    """

    epochs: int = 1
    batch_size: int = 16
    learning_rate: float = 2e-5
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    max_length: int = 256
    max_steps: int | None = None
    checkpoint_every: int = 100
    seed: int = 0
    loss: str = "pointwise"
    head_learning_rate: float | None = None

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size", "max_length", "checkpoint_every"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ConfigError(f"{name} must be a positive int, got {value!r}")
        if self.max_steps is not None and self.max_steps <= 0:
            raise ConfigError(f"max_steps must be a positive int or None, got {self.max_steps}")
        if not 0 < self.learning_rate < 1:
            raise ConfigError(f"learning_rate must be in (0, 1), got {self.learning_rate}")
        if self.head_learning_rate is not None and not 0 < self.head_learning_rate < 1:
            raise ConfigError(
                f"head_learning_rate must be in (0, 1), got {self.head_learning_rate}"
            )
        if self.loss not in LOSSES:
            raise ConfigError(f"loss must be one of {LOSSES}, got {self.loss!r}")


def training_groups(pairs: Sequence[TrainingPair], loss: str) -> list[tuple[TrainingPair, ...]]:
    """What one training example is: each pair alone ("pointwise"), or ("listwise") each
    positive followed by all negatives of its query (in their order); a query without a
    negative, or without a positive, gives no listwise group."""
    if loss == "pointwise":
        return [(p,) for p in pairs]
    positives: dict[str, list[TrainingPair]] = {}
    negatives: dict[str, list[TrainingPair]] = {}
    for p in pairs:
        (positives if p.label > 0 else negatives).setdefault(p.query, []).append(p)
    return [
        (pos, *negatives[query])
        for query, group in positives.items()
        if negatives.get(query)
        for pos in group
    ]


def _fingerprint(pairs: Sequence[TrainingPair], loss: str) -> str:
    """The data and the loss a checkpoint was trained with (the loss decides the steps)."""
    digest = hashlib.sha256(loss.encode())
    for p in pairs:
        digest.update(f"{p.query}\x1f{p.text}\x1f{p.label}\x1e".encode())
    return digest.hexdigest()[:16]


def _latest_checkpoint(output: Path) -> Path | None:
    folder = output / CHECKPOINT_DIR
    if not folder.is_dir():
        return None
    steps = [
        p
        for p in folder.iterdir()
        if p.name.startswith("step-") and (p / "trainer_state.json").is_file()
    ]
    return max(steps, key=lambda p: int(p.name.split("-")[1]), default=None)


def _save_optimizer(optimizer: Any, path: Path) -> None:
    from safetensors.torch import save_file

    tensors = {}
    for index, state in optimizer.state_dict()["state"].items():
        for key, value in state.items():
            tensors[f"{index}.{key}"] = (
                value.detach().clone().contiguous().reshape(value.shape if value.dim() else (1,))
            )
    save_file(tensors, str(path))


def load_optimizer(optimizer: Any, path: Path) -> None:
    from safetensors.torch import load_file

    flat = load_file(str(path))
    current = optimizer.state_dict()
    state: dict[int, dict[str, Any]] = {}
    for name, tensor in flat.items():
        index, key = name.split(".", 1)
        state.setdefault(int(index), {})[key] = tensor.reshape(()) if key == "step" else tensor
    current["state"] = state
    optimizer.load_state_dict(current)


def train_cross_encoder(
    pairs: Sequence[TrainingPair],
    base_model: str | Path,
    output_dir: str | Path,
    config: TrainingConfig | None = None,
    resume: bool = True,
    progress: bool = True,
    on_step: Callable[[int, float], None] | None = None,
    budget_s: float | None = None,
) -> Path:
    """Fine-tune `base_model` (any model folder or name) on `pairs`; returns `output_dir`.

    Resumes from `output_dir/checkpoints/step-N` when present (same data required). The
    final folder is a sentence-transformers CrossEncoder plus `ragkit_training.json`.
    `on_step(step, loss)` is called after every optimisation step (progress reporting).
    `budget_s` stops training (and saves) once this process has trained that long.
    """
    cfg = config or TrainingConfig()
    if not pairs:
        raise ConfigError("no training pairs: check the qrels/evidence and the corpus ids")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import torch
    from tqdm.auto import tqdm

    groups = training_groups(pairs, cfg.loss)
    if not groups:
        raise ConfigError("no listwise groups: every query needs a positive and a negative")
    output = Path(output_dir)
    output.mkdir(parents=True, exist_ok=True)
    fingerprint = _fingerprint(pairs, cfg.loss)
    steps_per_epoch = -(-len(groups) // cfg.batch_size)
    total = steps_per_epoch * cfg.epochs
    if cfg.max_steps is not None:
        total = min(total, cfg.max_steps)
    checkpoint, state = resume_state(output, fingerprint, total) if resume else (None, {})
    torch.manual_seed(cfg.seed)
    model = _load_model(base_model, checkpoint, cfg.max_length)
    step = int(state.get("step", 0))
    optimizer, scheduler = _optimizer(model.model, cfg, total, checkpoint, step)
    model.model.train()
    started = time.perf_counter()
    losses: list[float] = list(state.get("losses", []))
    bar = tqdm(total=total, initial=step, desc="train-reranker", disable=not progress, unit="step")
    for epoch in range(cfg.epochs):
        if step >= total:
            break
        order = list(range(len(groups)))
        random.Random(cfg.seed + epoch).shuffle(order)
        for b in range(steps_per_epoch):
            if epoch * steps_per_epoch + b < step:
                continue  # already trained before the checkpoint
            batch = [groups[i] for i in order[b * cfg.batch_size : (b + 1) * cfg.batch_size]]
            losses.append(round(_train_step(model, batch, cfg, optimizer, scheduler), 5))
            step += 1
            bar.update(1)
            bar.set_postfix(loss=f"{sum(losses[-20:]) / len(losses[-20:]):.4f}")
            if step % cfg.checkpoint_every == 0 and step < total:
                saved = {"data": fingerprint, "losses": losses, "config": asdict(cfg)}
                save_checkpoint(model, optimizer, output, step, saved)
            if on_step is not None:
                on_step(step, losses[-1])
            if budget_s is not None and time.perf_counter() - started > budget_s:
                total = step  # out of time: stop here and save
            if step >= total:
                break
    bar.close()
    model.model.eval()
    model.save(str(output))
    info = {"base_model": str(base_model), "pairs": len(pairs), "groups": len(groups),
            "positives": sum(1 for p in pairs if p.label > 0), "steps": step,
            "data": fingerprint, "config": asdict(cfg),
            "seconds": round(time.perf_counter() - started, 1),
            "initial_loss": sum(losses[:20]) / max(1, len(losses[:20])),
            "final_loss": sum(losses[-20:]) / max(1, len(losses[-20:]))}  # fmt: skip
    (output / TRAINING_INFO).write_text(json.dumps(info, indent=2))
    shutil.rmtree(output / CHECKPOINT_DIR, ignore_errors=True)
    logger.info("saved fine-tuned cross-encoder to %s after %d steps", output, step)
    return output


def _load_model(base_model: str | Path, checkpoint: Path | None, max_length: int) -> Any:
    """The CrossEncoder to train: the checkpoint's when resuming, else `base_model` (a new
    scoring head when it is a bi-encoder)."""
    from sentence_transformers import CrossEncoder

    source = str(checkpoint / "model") if checkpoint is not None else str(base_model)
    try:
        return CrossEncoder(source, num_labels=1, max_length=max_length)
    except OSError as exc:
        raise ConfigError(f"cannot load base model {str(base_model)!r}: {exc}") from exc


def resume_state(output: Path, fingerprint: str, total: int) -> tuple[Path | None, dict[str, Any]]:
    """The latest checkpoint in `output` and its trainer state ({} when there is none);
    ConfigError when it was trained on other data (another fingerprint)."""
    checkpoint = _latest_checkpoint(output)
    if checkpoint is None:
        return None, {}
    state: dict[str, Any] = json.loads((checkpoint / "trainer_state.json").read_text())
    if state.get("data") != fingerprint:
        raise ConfigError(
            f"checkpoint {checkpoint} was trained on other data (fingerprint "
            f"{state.get('data')} != {fingerprint}); use a new output folder or resume=False"
        )
    logger.info("resuming from %s (step %d of %d)", checkpoint, state["step"], total)
    return checkpoint, state


def _optimizer(
    network: Any, cfg: TrainingConfig, total: int, checkpoint: Path | None, step: int
) -> tuple[Any, Any]:
    """AdamW (no weight decay on biases and norms) and its linear warm-up/decay schedule,
    restored from `checkpoint` and fast-forwarded to `step` when resuming."""
    import torch
    from transformers import get_linear_schedule_with_warmup

    named = list(network.named_parameters())
    groups = parameter_groups(named, cfg.weight_decay, cfg.learning_rate, cfg.head_learning_rate)
    optimizer = torch.optim.AdamW(groups, lr=cfg.learning_rate)
    scheduler = get_linear_schedule_with_warmup(optimizer, int(total * cfg.warmup_ratio), total)
    if checkpoint is not None:
        load_optimizer(optimizer, checkpoint / "optimizer.safetensors")
        with warnings.catch_warnings():  # fast-forwarding the schedule, not training
            warnings.simplefilter("ignore", UserWarning)
            for _ in range(step):
                scheduler.step()
    return optimizer, scheduler


def parameter_groups(
    named: Sequence[tuple[str, Any]],
    weight_decay: float,
    learning_rate: float,
    head_learning_rate: float | None = None,
) -> list[dict[str, Any]]:
    """AdamW parameter groups: no weight decay on biases and norms; with
    `head_learning_rate`, the scoring head (`_is_head`) in groups of its own at that rate.
    Shared with the bi-encoder trainer of `ragkit.adapt`."""
    no_decay = ("bias", "LayerNorm.weight", "layer_norm", "norm.weight")
    parts = [(named, learning_rate)]
    if head_learning_rate is not None:
        parts = [([(n, p) for n, p in named if not _is_head(n)], learning_rate),
                 ([(n, p) for n, p in named if _is_head(n)], head_learning_rate)]  # fmt: skip
    groups = []
    for members, lr in parts:
        for decay in (True, False):
            params = [p for n, p in members if any(x in n for x in no_decay) != decay]
            if params:
                groups.append({"params": params, "weight_decay": weight_decay * decay, "lr": lr})
    return groups


def _is_head(name: str) -> bool:
    """Whether a parameter belongs to the scoring head (pooler and classifier) that a
    bi-encoder checkpoint lacks or never trained, rather than to the pretrained encoder."""
    return name.startswith("classifier") or ".pooler." in name or name.startswith("pooler")


def _train_step(
    model: Any,
    batch: Sequence[tuple[TrainingPair, ...]],
    cfg: TrainingConfig,
    optimizer: Any,
    scheduler: Any,
) -> float:
    """One optimisation step on `batch` (groups from `training_groups`); its loss: binary
    cross-entropy on each pair's logit, or cross-entropy of each group's softmax against its
    first member (the positive), groups of unequal size padded with -inf."""
    import torch

    network = model.model
    device = next(network.parameters()).device
    flat = [p for group in batch for p in group]
    enc = model.tokenizer(
        [p.query for p in flat],
        [p.text for p in flat],
        padding=True,
        truncation=True,
        max_length=cfg.max_length,
        return_tensors="pt",
    )
    enc = {k: v.to(device) for k, v in enc.items()}
    logits = network(**enc).logits.view(-1)
    if cfg.loss == "listwise":
        width = max(len(group) for group in batch)
        table = torch.full((len(batch), width), float("-inf"), device=device)
        start = 0
        for row, group in enumerate(batch):
            table[row, : len(group)] = logits[start : start + len(group)]
            start += len(group)
        target = torch.zeros(len(batch), dtype=torch.long, device=device)
        loss = torch.nn.functional.cross_entropy(table, target)
    else:
        labels = torch.tensor([p.label for p in flat], dtype=torch.float32, device=device)
        loss = torch.nn.BCEWithLogitsLoss()(logits, labels)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(network.parameters(), 1.0)
    optimizer.step()
    scheduler.step()
    optimizer.zero_grad()
    return float(loss.item())


def save_checkpoint(
    model: Any, optimizer: Any, output: Path, step: int, state: Mapping[str, Any]
) -> None:
    """Write `checkpoints/step-N/` atomically (the model folder, the optimizer state as
    safetensors, `state` + step as JSON) and keep only the latest two. Shared with the
    bi-encoder trainer of `ragkit.adapt`."""
    folder = output / CHECKPOINT_DIR
    tmp = folder / f".tmp-step-{step}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    model.save(str(tmp / "model"))
    _save_optimizer(optimizer, tmp / "optimizer.safetensors")
    (tmp / "trainer_state.json").write_text(json.dumps({**state, "step": step}))
    final = folder / f"step-{step}"
    shutil.rmtree(final, ignore_errors=True)
    tmp.rename(final)
    olds = sorted(
        (p for p in folder.iterdir() if p.name.startswith("step-")),
        key=lambda p: int(p.name.split("-")[1]),
    )
    for old in olds[:-2]:
        shutil.rmtree(old, ignore_errors=True)
    logger.info("checkpoint %s", final)
