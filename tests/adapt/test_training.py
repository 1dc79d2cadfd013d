"""A tiny adaptation run: the loss falls, the folder loads as an Embedder, in a hybrid index,
through `ragkit index --model DIR` and as a reranker; an interrupted run resumes; a run whose
loss does not fall is reported as stalled."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from ragkit.adapt import (
    MANIFEST,
    AdaptConfig,
    AdaptPair,
    BiEncoderConfig,
    MiningConfig,
    adapt,
    mine_pairs,
    train_bi_encoder,
)
from ragkit.adapt.bi_encoder import batch_loss, model_source
from ragkit.errors import TrainingStalledError
from ragkit.types import Chunk

TINY = BiEncoderConfig(batch_size=8, query_max_length=24, passage_max_length=64,
                       learning_rate=1e-4, checkpoint_every=2, epochs=4)  # fmt: skip


@pytest.fixture(scope="module")
def tiny_pairs(filing_chunks: list[Chunk]) -> list[AdaptPair]:
    """Sixteen mined pairs of several kinds, with their negatives."""
    pairs = mine_pairs(filing_chunks, MiningConfig(seed=1))
    chosen = [p for p in pairs if p.kind == "reference"][:4]
    chosen += [p for p in pairs if p.kind == "heading"][:6]
    chosen += [p for p in pairs if p.kind == "ict"][:6]
    return chosen


def _eval_loss(model_dir: str, pairs: list[AdaptPair]) -> float:
    import torch
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(model_dir, device="cpu")
    model.eval()
    with torch.no_grad():
        return float(batch_loss(model, pairs, replace(TINY, hard_negatives=False)))


@pytest.fixture(scope="module")
def trained(tiny_pairs: list[AdaptPair], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("adapted") / "encoder"
    cfg = replace(TINY, max_steps=4)
    result = train_bi_encoder(tiny_pairs, None, out, cfg, progress=False, threads=1)
    assert result.steps == 4 and not result.stopped_by_budget
    return out


def test_loss_falls_on_the_training_pairs(trained: Path, tiny_pairs: list[AdaptPair]) -> None:
    before = _eval_loss(model_source(None), tiny_pairs[:8])
    after = _eval_loss(str(trained), tiny_pairs[:8])
    assert after < before * 0.9, (before, after)
    assert not (trained / "checkpoints").exists()


def test_adapted_folder_loads_wherever_a_model_name_does(
    trained: Path,
    filing_chunks: list[Chunk],
    corpus_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ragkit.cli import main
    from ragkit.indexes import Embedder, HybridIndex

    monkeypatch.setenv("RAGKIT_CACHE", str(tmp_path / "cache"))

    embedder = Embedder(model=str(trained), cache=False)
    vecs = embedder.encode_passages(["Our leases have remaining terms of 1 to 17 years."])
    assert vecs.shape == (1, 384)
    assert embedder.model_id.startswith(f"{trained}|384|")  # keyed by content digest
    index = HybridIndex.build(filing_chunks[:12], model=str(trained))
    assert index.search(["operating lease maturities"], k=3)[0]
    md = next(p for p in corpus_dir.iterdir() if p.suffix == ".md")
    out = tmp_path / "index"
    assert main(["index", str(md), "--out", str(out), "--model", str(trained)]) == 0
    assert str(trained) in (out / "manifest.json").read_text(encoding="utf-8")


def test_interrupted_run_resumes_from_its_checkpoint(
    tiny_pairs: list[AdaptPair], tmp_path: Path
) -> None:
    cfg = replace(TINY, max_steps=4)

    def interrupt(step: int, _loss: float) -> None:
        if step == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train_bi_encoder(tiny_pairs, None, tmp_path, cfg, progress=False, threads=1,
                         on_step=interrupt)  # fmt: skip
    assert (tmp_path / "checkpoints" / "step-2" / "trainer_state.json").is_file()
    steps: list[int] = []
    result = train_bi_encoder(tiny_pairs, None, tmp_path, cfg, progress=False, threads=1,
                              on_step=lambda s, _: steps.append(s))  # fmt: skip
    assert steps == [3, 4] and result.steps == 4 and len(result.losses) == 4


def test_adapt_writes_a_manifest_and_a_reranker(filing_chunks: list[Chunk], tmp_path: Path) -> None:
    from ragkit.rerankers.cross_encoder import CrossEncoderReranker
    from ragkit.rerankers.training import TrainingConfig
    from ragkit.types import Hit

    cfg = AdaptConfig(budget_minutes=None, seed=2, mining=MiningConfig(max_pairs=24),
                      bi_encoder=replace(TINY, max_steps=2, epochs=1),
                      reranker=TrainingConfig(batch_size=8, max_length=64, max_steps=2),
                      reranker_pairs=8)  # fmt: skip
    manifest = adapt(filing_chunks, tmp_path / "enc", cfg, reranker_out=tmp_path / "rr",
                     progress=False, threads=1)  # fmt: skip
    saved = json.loads((tmp_path / "enc" / MANIFEST).read_text(encoding="utf-8"))
    assert saved == manifest
    assert manifest["pairs"]["total"] == 24 and manifest["seed"] == 2
    assert manifest["mining"]["context_rate"] == MiningConfig().context_rate  # recorded
    assert manifest["metadata_file"] is None  # --reranker-only re-mines with the same file
    assert len(manifest["corpus"]["hash"]) == 64 and manifest["result"]["steps"] == 2
    assert manifest["reranker"]["steps"] == 2
    assert manifest["reranker"]["context_rate"] == 1.0  # every reranker query names its filing
    reranker = CrossEncoderReranker(str(tmp_path / "rr"))
    hits = [Hit(c.id, 1.0, i + 1, "t", c) for i, c in enumerate(filing_chunks[:3])]
    assert len(reranker.rerank("operating lease maturities", hits, k=2)) == 2


def test_a_run_whose_loss_does_not_fall_is_reported(
    tiny_pairs: list[AdaptPair], tmp_path: Path
) -> None:
    # a learning rate this high wrecks the pretrained model: the loss rises from the low
    # start MiniLM has on inverse-cloze pairs to chance level (ln 8), not falls (keyword
    # pairs start near chance already, so they are left out of this corpus's mining)
    cfg = AdaptConfig(budget_minutes=None, mining=MiningConfig(keyword_per_chunk=0),
                      bi_encoder=replace(TINY, learning_rate=0.5, max_steps=8, batch_size=4,
                                         epochs=8))  # fmt: skip
    with pytest.raises(TrainingStalledError, match="did not fall"):
        adapt(_chunks_of(tiny_pairs), tmp_path, cfg, progress=False, threads=1)
    assert json.loads((tmp_path / MANIFEST).read_text(encoding="utf-8"))["stalled"] is True


def _chunks_of(pairs: list[AdaptPair]) -> list[Chunk]:
    """A small corpus: the positives of `pairs` as chunks (two documents)."""
    return [
        Chunk(id=f"c{i}", doc_id=f"doc{i % 2}", text=p.positive, section_path=(f"S{i}",))
        for i, p in enumerate(pairs)
    ]


def test_cli_trains_only_the_reranker_from_an_adapted_encoder(
    corpus_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ragkit.cli import main

    enc, rr = tmp_path / "enc", tmp_path / "rr"
    assert main(["adapt", str(corpus_dir), "--out", str(enc), "--reranker-only"]) == 2
    assert "--reranker-out" in capsys.readouterr().err
    args = ["adapt", str(corpus_dir), "--out", str(enc), "--reranker-only", "--reranker-out",
            str(rr), "--reranker-max-length", "64", "--reranker-pairs", "6", "--quiet"]  # fmt: skip
    assert main(args) == 2  # no adapted encoder there yet
    assert "no adapted encoder" in capsys.readouterr().err
    cfg = AdaptConfig(budget_minutes=None, seed=3, mining=MiningConfig(max_pairs=20),
                      bi_encoder=replace(TINY, max_steps=1, epochs=1))  # fmt: skip
    adapt(corpus_dir, enc, cfg, progress=False, threads=1)
    assert main(args) == 0
    assert "reranker:" in capsys.readouterr().out
    record = json.loads((rr / MANIFEST).read_text(encoding="utf-8"))
    assert record["kind"] == "reranker" and record["base_model"] == str(enc)
    assert record["training"]["loss"] == "listwise" and record["training"]["max_length"] == 64
    assert record["training"]["seed"] == 3  # the encoder's seed, read from its manifest
    assert record["context_rate"] == 1.0 and manifest_rate(enc) == 0.5  # its own rate
    info = json.loads((rr / "ragkit_training.json").read_text(encoding="utf-8"))
    assert info["groups"] == 6  # one group per mined pair, as many as --reranker-pairs asks
    manifest = json.loads((enc / MANIFEST).read_text(encoding="utf-8"))
    (enc / MANIFEST).write_text(json.dumps({**manifest, "stalled": True}), encoding="utf-8")
    assert main(args) == 2  # a stalled encoder gets no reranker, as in a whole `adapt` run
    assert "marked stalled" in capsys.readouterr().err


def manifest_rate(folder: Path) -> float:
    """The context rate an adapted encoder's pairs were mined at."""
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    return float(manifest["mining"]["context_rate"])


@pytest.mark.parametrize("rate", [1.0, None])
def test_the_reranker_trains_on_pairs_mined_at_its_own_context_rate(
    filing_chunks: list[Chunk], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    rate: float | None,
) -> None:  # fmt: skip
    """The reranker's queries name their document at `reranker_context_rate` (the encoder's
    pairs again when None), the same pairs as mining at that rate with the encoder's seed."""
    import ragkit.adapt.cross_encoder as cross_encoder
    from ragkit.adapt.mining import mine_pairs

    given: list[list[AdaptPair]] = []

    def record(pairs: list[AdaptPair], _base: Any, out: Path, *_: Any, **__: Any) -> dict[str, Any]:
        given.append(list(pairs))
        Path(out).mkdir(parents=True)
        return {"pairs": len(pairs), "steps": 0, "seconds": 0.0}

    monkeypatch.setattr(cross_encoder, "train_reranker", record)
    mining = MiningConfig(max_pairs=40, context_rate=0.5)
    cfg = AdaptConfig(budget_minutes=None, seed=2, mining=mining, reranker_context_rate=rate,
                      bi_encoder=replace(TINY, max_steps=1, epochs=1))  # fmt: skip
    manifest = adapt(filing_chunks, tmp_path / "enc", cfg, reranker_out=tmp_path / "rr",
                     progress=False, threads=1)  # fmt: skip
    expected = mine_pairs(filing_chunks, replace(mining, seed=2, context_rate=rate or 0.5))
    assert given == [expected]
    assert manifest["reranker"]["context_rate"] == (rate or 0.5)
    if rate == 1.0:  # more of its queries name their filing than the encoder's did
        bare = mine_pairs(filing_chunks, replace(mining, seed=2, context_rate=0.0))
        half = mine_pairs(filing_chunks, replace(mining, seed=2))

        def named(pairs: list[AdaptPair]) -> int:
            return sum(p.query != b.query for p, b in zip(pairs, bare, strict=True))

        assert named(given[0]) > named(half) > 0


def test_a_reranker_trained_alone_gets_the_whole_budget(
    filing_chunks: list[Chunk], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """In a whole `adapt` run the reranker gets `reranker_share` of the budget; trained alone
    (`adapt_reranker`, `--reranker-only`) nothing else trains, so it gets all of it."""
    import ragkit.adapt.cross_encoder as cross_encoder
    from ragkit.adapt import adapt_reranker

    budgets: list[float | None] = []

    def record(_p: Any, _base: Any, out: Path, *_: Any, budget_s: float | None = None,
               **__: Any) -> dict[str, Any]:  # fmt: skip
        budgets.append(budget_s)
        Path(out).mkdir(parents=True, exist_ok=True)
        return {"pairs": 0, "steps": 0, "seconds": 0.0}

    monkeypatch.setattr(cross_encoder, "train_reranker", record)
    cfg = AdaptConfig(budget_minutes=10, seed=2, mining=MiningConfig(max_pairs=20),
                      bi_encoder=replace(TINY, max_steps=1, epochs=1))  # fmt: skip
    adapt(filing_chunks, tmp_path / "enc", cfg, reranker_out=tmp_path / "rr", progress=False,
          threads=1)  # fmt: skip
    adapt_reranker(filing_chunks, tmp_path / "enc", tmp_path / "rr2", cfg, progress=False)
    assert budgets == [pytest.approx(600 * cfg.reranker_share), 600]


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [("--context-rate", "1.5", "context_rate must be in [0, 1]"),
     ("--reranker-context-rate", "-0.1", "reranker_context_rate must be in [0, 1]"),
     ("--reranker-pairs", "0", "reranker_pairs must be > 0")],
)  # fmt: skip
def test_cli_refuses_an_out_of_range_setting_before_mining(
    corpus_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    option: str, value: str, message: str,
) -> None:  # fmt: skip
    from ragkit.cli import main

    args = ["adapt", str(corpus_dir), "--out", str(tmp_path / "enc"), option, value]
    assert main(args) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "enc").exists()  # refused before anything was mined or written


def test_cli_conclusion_pairs_reach_the_mined_pairs_and_the_manifest(
    beir_dir: Path, tmp_path: Path
) -> None:
    from ragkit.cli import main

    out = tmp_path / "enc"
    args = ["adapt", str(beir_dir), "--out", str(out), "--conclusion-pairs", "--max-steps", "1",
            "--batch-size", "2", "--query-max-length", "16", "--passage-max-length", "32",
            "--threads", "1", "--quiet"]  # fmt: skip
    assert main(args) == 0
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["mining"]["conclusion_pairs"] is True
    assert manifest["pairs"]["conclusion"] == 2  # the two abstracts closing on six words or more
