"""Context assembly, the extractive generator and the chat generators on realistic text."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ragkit.errors import ConfigError, QueryError
from ragkit.generators import (
    Generator,
    assemble_context,
    get_generator,
    lost_in_the_middle,
    render_context,
)
from ragkit.generators.context import estimate_tokens
from ragkit.generators.extractive import NO_ANSWER, ExtractiveGenerator, sentences
from ragkit.types import Chunk
from tests.http_fakes import FakeAPIServer, Reply, cohere_chat_body, openai_chat_body

KEY = "test-key"
CHUNKS = [
    Chunk(
        id="rev",
        doc_id="acme-10k-2024",
        text="Total net revenue increased 8% to $4.2 billion in fiscal 2024. "
        "Subscription revenue grew 12%, while hardware revenue declined 3%.",
        section_path=("Part II", "Item 7", "Results of Operations"),
        page_start=41,
        page_end=42,
        position=10,
    ),
    Chunk(
        id="debt",
        doc_id="acme-10k-2024",
        text="As of December 31, 2024, long-term debt was $1.5 billion, consisting of senior "
        "notes due 2029. See Note 12 for the maturity schedule.",
        section_path=("Part II", "Item 8", "Note 12 - Debt"),
        position=30,
    ),
    Chunk(
        id="lease",
        doc_id="acme-10k-2024",
        text="The Company leases its headquarters in Austin, Texas under an operating lease "
        "expiring in 2031.",
        section_path=("Part I", "Item 2", "Properties"),
        position=5,
    ),
    Chunk(
        id="risk",
        doc_id="beta-10q-q1",
        text="Competition in cloud services could reduce our margins.",
        section_path=("Part II", "Item 1A"),
        position=3,
    ),
]


def test_lost_in_the_middle_order() -> None:
    assert lost_in_the_middle([1, 2, 3, 4, 5]) == [1, 3, 5, 4, 2]
    assert lost_in_the_middle([1, 2]) == [1, 2]
    blocks = assemble_context(CHUNKS, budget_tokens=10_000, order="lost_in_the_middle")
    assert [b.chunk.id for b in blocks] == ["rev", "lease", "risk", "debt"]
    assert [b.label for b in blocks] == [1, 2, 3, 4]
    assert [b.relevance_rank for b in blocks] == [1, 3, 4, 2]


def test_other_orders() -> None:
    ids = [b.chunk.id for b in assemble_context(CHUNKS, 10_000, "relevance")]
    assert ids == ["rev", "debt", "lease", "risk"]
    assert [b.chunk.id for b in assemble_context(CHUNKS, 10_000, "reverse")] == ids[::-1]
    doc = [b.chunk.id for b in assemble_context(CHUNKS, 10_000, "document")]
    assert doc == ["lease", "rev", "debt", "risk"]


def test_budget_skips_what_does_not_fit_and_headers_carry_provenance() -> None:
    costs = [estimate_tokens(b.render()) for b in assemble_context(CHUNKS, 10_000, "relevance")]
    budget = costs[0] + costs[2] + 1  # room for rev and lease, not debt
    blocks = assemble_context(CHUNKS, budget, "relevance")
    assert [b.chunk.id for b in blocks] == ["rev", "lease"]
    text = render_context(blocks)
    assert "[1] document: acme-10k-2024 | section: Part II > Item 7 > Results of Operations" in text
    assert "pages 42-43" in text
    assert sum(estimate_tokens(b.render()) for b in blocks) <= budget
    tiny = assemble_context(CHUNKS, 25, "relevance")
    assert len(tiny) == 1 and tiny[0].truncated and tiny[0].chunk.id == "rev"
    with pytest.raises(ConfigError, match="unknown context order 'random'"):
        assemble_context(CHUNKS, 100, "random")
    with pytest.raises(ConfigError, match="budget_tokens"):
        assemble_context(CHUNKS, 0)


def test_sentence_split() -> None:
    assert sentences(CHUNKS[0].text) == [
        "Total net revenue increased 8% to $4.2 billion in fiscal 2024.",
        "Subscription revenue grew 12%, while hardware revenue declined 3%.",
    ]


def test_extractive_answers_with_citations() -> None:
    gen = get_generator("extractive", max_sentences=2)
    assert isinstance(gen, Generator)
    answer = gen.generate("What was long-term debt at December 31, 2024?", CHUNKS)
    assert answer.text.startswith("As of December 31, 2024, long-term debt was $1.5 billion")
    assert answer.text.endswith("[1]")  # the first listed source, not the chunk's rank (2)
    assert answer.citations[0].chunk_id == "debt"
    assert answer.citations[0].section_path == ("Part II", "Item 8", "Note 12 - Debt")
    assert answer.citations[0].quote.startswith("As of December 31, 2024")
    assert len(answer.citations) <= 2
    assert answer.to_dict()["citations"][0]["section"] == "Part II > Item 8 > Note 12 - Debt"


def test_extractive_without_match_says_so() -> None:
    answer = ExtractiveGenerator().generate("photosynthesis in algae", CHUNKS)
    assert answer.text == NO_ANSWER and answer.citations == []
    assert ExtractiveGenerator().generate("revenue", []).text == NO_ANSWER
    with pytest.raises(QueryError):
        ExtractiveGenerator().generate("", CHUNKS)
    with pytest.raises(ConfigError, match="max_sentences"):
        ExtractiveGenerator(max_sentences=0)


@pytest.fixture()
def server() -> Iterator[FakeAPIServer]:
    with FakeAPIServer(api_key=KEY) as srv:
        yield srv


def test_openai_generator_cites_the_blocks_it_names(server: FakeAPIServer) -> None:
    server.script(
        "/chat/completions",
        Reply(200, openai_chat_body("Long-term debt was $1.5 billion [4], per Note 12 [4][9].")),
    )
    gen = get_generator("openai:llama-3.1-8b", base_url=server.url + "/v1", api_key=KEY)
    answer = gen.generate("What was long-term debt?", CHUNKS)
    assert [c.chunk_id for c in answer.citations] == ["debt"]  # block 4 in lost-in-the-middle
    assert answer.usage["total_tokens"] == 17 and answer.usage["model"] == "llama-3.1-8b"
    prompt = server.requests[-1].json["messages"][1]["content"]
    assert "[4] document: acme-10k-2024 | section: Part II > Item 8 > Note 12 - Debt" in prompt
    assert prompt.rstrip().endswith("Question: What was long-term debt?\nAnswer:")


def test_cohere_generator(server: FakeAPIServer) -> None:
    server.script("/v2/chat", Reply(200, cohere_chat_body("Revenue rose 8% to $4.2 billion [1].")))
    gen = get_generator(
        "cohere", api_key=KEY, base_url=server.url, order="relevance", temperature=0.0
    )
    answer = gen.generate("How much did revenue grow?", CHUNKS)
    assert answer.text == "Revenue rose 8% to $4.2 billion [1]."
    assert [c.chunk_id for c in answer.citations] == ["rev"]
    assert answer.usage["input_tokens"] == 12
    sent = server.requests[-1].json
    assert sent["temperature"] == 0.0 and sent["messages"][0]["role"] == "system"


def test_unknown_generator() -> None:
    with pytest.raises(ConfigError, match="unknown generator 'gpt'"):
        get_generator("gpt")
