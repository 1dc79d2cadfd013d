"""Fixtures of the adaptation tests: the synthetic filings as chunks (parsed once), and a
tiny BEIR-style corpus."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ragkit.chunkers import HierarchicalChunker
from ragkit.parsers import load
from ragkit.types import Chunk
from tests.synthetic import write_synthetic_corpus

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The synthetic 10-K, 10-Q, paged text and Markdown documents in one folder."""
    folder = tmp_path_factory.mktemp("filings")
    write_synthetic_corpus(folder)
    return folder


@pytest.fixture(scope="session")
def filing_chunks(corpus_dir: Path) -> list[Chunk]:
    """Every synthetic document chunked by the default hierarchical chunker."""
    chunker = HierarchicalChunker()
    return [c for doc in load(corpus_dir) for c in chunker.chunk(doc)]


ABSTRACTS = [
    (
        "d1",
        "Statins lower cardiovascular mortality in elderly patients",
        "We followed 4,102 patients over seventy for nine years. Those assigned atorvastatin had "
        "fewer fatal myocardial infarctions than those given placebo. The effect held after "
        "adjustment for smoking and diabetes. Adverse events were rare and mostly muscular.",
    ),
    (
        "d2",
        "Gut microbiota composition shapes the response to checkpoint inhibitors",
        "Fecal samples from 112 melanoma patients were sequenced before anti-PD-1 therapy. "
        "Responders carried more Faecalibacterium and fewer Bacteroidales. Transplanting "
        "responder microbiota into germ-free mice improved tumour control. These findings "
        "suggest the microbiome modulates antitumour immunity.",
    ),
    (
        "d3",
        "Sleep deprivation impairs hippocampal memory consolidation",
        "Mice deprived of sleep for five hours after training showed weaker object-place memory. "
        "Phosphorylation of cofilin rose in the hippocampus during deprivation. Blocking "
        "cofilin restored spine density and memory. Sleep thus protects synaptic remodelling.",
    ),
    (
        "d4",
        "Vitamin D supplementation does not prevent fractures in community-dwelling adults",
        "A randomised trial enrolled 25,871 adults without known deficiency. Daily vitamin D3 "
        "did not reduce total, hip or non-vertebral fractures over five years compared with "
        "placebo. Subgroups by baseline level showed no benefit either.",
    ),
]


@pytest.fixture()
def beir_dir(tmp_path: Path) -> Path:
    """A BEIR folder of four abstracts, with a queries file that adaptation must not read."""
    folder = tmp_path / "beir"
    folder.mkdir()
    with (folder / "corpus.jsonl").open("w", encoding="utf-8") as handle:
        for doc_id, title, text in ABSTRACTS:
            handle.write(json.dumps({"_id": doc_id, "title": title, "text": text}) + "\n")
    query = {"_id": "q1", "text": "Atorvastatin reduces fatal heart attacks in the elderly."}
    (folder / "queries.jsonl").write_text(json.dumps(query) + "\n", encoding="utf-8")
    return folder
