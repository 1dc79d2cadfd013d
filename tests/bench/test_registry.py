"""The dataset registry: known kinds, unknown kinds, a custom dataset run end to end, and the
one BEIR text form shared by the benchmark and the reranker's training pairs."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from ragkit.bench import registry
from ragkit.bench.datasets import (
    BeirDataset,
    BenchQuery,
    beir_passage_text,
    chunks_key,
    corpus_chunks,
    load_beir,
)
from ragkit.bench.registry import known_datasets, load_dataset, register_dataset
from ragkit.bench.runner import run_benchmark
from ragkit.bench.tasks import BeirTask, Task, task_for
from ragkit.errors import ConfigError, DatasetError
from ragkit.indexes import BM25Index
from ragkit.rerankers import training
from ragkit.types import Chunk

# -- the registry -----------------------------------------------------------------------------


def test_builtin_kinds_are_registered_with_descriptions() -> None:
    kinds = known_datasets()
    assert {"beir", "financebench", "secqa"} <= set(kinds)
    assert all(kinds[k] for k in ("beir", "financebench", "secqa"))


def test_unknown_kind_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError) as err:
        load_dataset("msmarco:/x")
    message = str(err.value)
    assert "'msmarco'" in message
    for name in ("beir", "financebench", "secqa"):
        assert name in message
    with pytest.raises(DatasetError, match="KIND:PATH"):
        load_dataset("beir")
    with pytest.raises(DatasetError, match="needs a corpus"):
        load_dataset("financebench:/x/questions.jsonl")


@pytest.mark.parametrize("name", ["", " beir", "a:b", "a,b"])
def test_register_rejects_bad_names(name: str) -> None:
    with pytest.raises(ConfigError, match="dataset kind"):
        register_dataset(name, lambda path, corpus, split: load_beir(path, split))


# -- a custom dataset, end to end ---------------------------------------------------------

NOTES = {
    "n1": ("Glaciers retreat as summers warm.", "Meltwater lakes form at the glacier snout."),
    "n2": ("Coral reefs bleach in hot water.", "Bleached corals can recover if waters cool."),
    "n3": ("Bees pollinate almond orchards.", "Hives are trucked in for the almond bloom."),
}


@dataclass(frozen=True)
class NotesDataset:
    """A made-up dataset: two passages per note, queries judged by note id."""

    name: str
    split: str
    queries: tuple[BenchQuery, ...]
    qrels: Mapping[str, Mapping[str, int]] = field(default_factory=dict)

    kind = "notes"

    def chunks(
        self,
        chunker: str = "hierarchical",
        chunker_params: Mapping[str, Any] | None = None,
        *,
        cache: bool = True,
    ) -> tuple[list[Chunk], dict[str, Any]]:
        chunks = [
            Chunk(id=f"{note}-{i}", doc_id=note, text=text, position=i)
            for note, texts in NOTES.items()
            for i, text in enumerate(texts)
        ]
        return chunks, {"parse_s": 0.0, "cached": False, "n_chunks": len(chunks)}

    def task(self) -> Task:
        return BeirTask(self)


def _load_notes(path: str, corpus: Path | None, split: str) -> NotesDataset:
    queries = (
        BenchQuery("q1", "meltwater lakes at glaciers", "", ("n1",)),
        BenchQuery("q2", "bleached coral recovery", "", ("n2",)),
        BenchQuery("q3", "almond bloom hives", "", ("n3",)),
    )
    qrels = {q.id: {q.doc_ids[0]: 1} for q in queries}
    return NotesDataset(f"notes:{path}/{split}", split, queries, qrels)


def test_custom_dataset_runs_end_to_end_with_bm25(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "DATASETS", dict(registry.DATASETS))
    register_dataset("notes", _load_notes, "made-up notes")
    assert known_datasets()["notes"] == "made-up notes"
    dataset = load_dataset("notes:field-notes", split="dev")
    assert dataset.name == "notes:field-notes/dev"
    assert isinstance(task_for(dataset), BeirTask)
    chunks, facts = corpus_chunks(dataset)
    assert facts["n_chunks"] == len(chunks) == 6
    index = BM25Index()
    index.add(chunks)
    report = run_benchmark(dataset, {"bm25": index}, ks=(1, 5), progress=False)
    metrics = report.systems["bm25"].metrics
    assert report.dataset == "notes:field-notes/dev" and report.n_queries == 3
    assert metrics["ndcg@1"] == metrics["recall@5"] == 1.0
    assert report.primary_metrics == ["ndcg@5", "recall@5"]


# -- one BEIR text form -----------------------------------------------------------------------

DOCS = [
    {"_id": "d1", "title": "Statin therapy and heart outcomes", "text": "Statins cut LDL."},
    {"_id": "d2", "title": "", "text": " Aspirin after a heart attack lowers recurrence. "},
    {"_id": "d3", "title": "  Vitamin D and fracture risk ", "text": " No effect on fractures."},
    {"_id": "d4", "title": "Exercise and insulin sensitivity", "text": ""},
    {"_id": "d5", "title": "Salt and blood pressure in adults", "text": "Salt raises pressure."},
]
QUERIES = {
    "q1": "Do statins lower LDL cholesterol?",
    "q2": "Does aspirin prevent a second heart attack?",
    "q3": "Does vitamin D prevent fractures?",
}
QRELS = [("q1", "d1", 1), ("q2", "d2", 1), ("q3", "d3", 2), ("q3", "d5", 0)]


def _write_beir(root: Path) -> Path:
    (root / "qrels").mkdir(parents=True)
    (root / "corpus.jsonl").write_text("".join(json.dumps(d) + "\n" for d in DOCS))
    (root / "queries.jsonl").write_text(
        "".join(json.dumps({"_id": q, "text": t}) + "\n" for q, t in QUERIES.items())
    )
    rows = "".join(f"{q}\t{d}\t{r}\n" for q, d, r in QRELS)
    (root / "qrels" / "train.tsv").write_text("query-id\tcorpus-id\tscore\n" + rows)
    return root


def test_training_pairs_use_the_text_the_bench_indexes(tmp_path: Path) -> None:
    root = _write_beir(tmp_path / "tiny-beir")
    dataset = load_dataset(f"beir:{root}", split="train")
    assert isinstance(dataset, BeirDataset)
    bench_chunks = dataset.chunks()[0]
    bench = {c.id: c.search_text for c in bench_chunks}
    assert bench == {d.id: beir_passage_text(d) for d in dataset.corpus}
    assert bench["d1"] == "Statin therapy and heart outcomes\nStatins cut LDL."
    assert bench["d2"] == DOCS[1]["text"]  # no title: the body as it is

    train_chunks, queries, qrels = training.load_beir(root, "train")
    assert {c.id: c.search_text for c in train_chunks} == bench
    assert chunks_key(train_chunks) == chunks_key(bench_chunks)  # one index key, one text
    assert queries == QUERIES and qrels["q3"] == {"d3": 2, "d5": 0}

    pairs = training.beir_pairs(root, "train", negatives=2, depth=5)
    positives = {(p.query, p.text) for p in pairs if p.label == 1.0}
    assert positives == {(QUERIES[q], bench[d]) for q, d, r in QRELS if r > 0}
    assert {p.text for p in pairs} <= set(bench.values())


def test_title_queries_hide_the_title_line(tmp_path: Path) -> None:
    train_chunks, _, _ = training.load_beir(_write_beir(tmp_path / "tiny-beir"), "train")
    pairs = training.title_pairs(train_chunks, limit=10, min_words=3, negatives=1, depth=5)
    shown = {p.query: p.text for p in pairs if p.label == 1.0}
    assert shown["Statin therapy and heart outcomes"] == "Statins cut LDL."
    assert shown["Vitamin D and fracture risk"] == " No effect on fractures."
    assert "Exercise and insulin sensitivity" not in shown  # title only: nothing to show


def test_scifact_training_text_equals_bench_text(scifact_dir: Path) -> None:
    bench = {c.id: c.search_text for c in load_beir(scifact_dir, "train").chunks()[0]}
    train_chunks, _, qrels = training.load_beir(scifact_dir, "train")
    assert {c.id: c.search_text for c in train_chunks} == bench
    assert qrels and all(d in bench for docs in qrels.values() for d in docs)
