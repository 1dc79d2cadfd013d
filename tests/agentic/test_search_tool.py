"""The agent's search tool: a retriever's hits placed in the corpus files (section, lines,
pages), under the sandbox's rules; the heuristic agent's first move with it; the LLM agent's
extra tool."""

from __future__ import annotations

from pathlib import Path

import pytest

from ragkit.agentic import HeuristicAgent, LLMAgent, Tools
from ragkit.agentic.llm import SEARCH_SCHEMA, TOOL_SCHEMAS
from ragkit.agentic.search import DocFiles, locate_lines
from ragkit.agentic.views import SectionSpan, View
from ragkit.chunkers import get_chunker
from ragkit.errors import ConfigError, QueryError, SandboxError
from ragkit.generators.chat import OpenAICompatibleChat
from ragkit.indexes import BM25Index
from ragkit.parsers import load
from ragkit.types import Chunk
from tests.http_fakes import FakeAPIServer, Reply, openai_chat_body
from tests.synthetic import FACTS_10K, FACTS_10Q, write_synthetic_corpus

TENK = "acme-10k-fy2024.htm"


def _index(folder: Path) -> tuple[BM25Index, list[Chunk]]:
    chunker = get_chunker("hierarchical")
    chunks = [c for doc in load([folder]) for c in chunker.chunk(doc)]
    index = BM25Index()
    index.add(chunks)
    return index, chunks


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    write_synthetic_corpus(tmp_path / "corpus")
    return tmp_path / "corpus"


@pytest.fixture()
def tools(corpus: Path, tmp_path: Path) -> Tools:
    return Tools(corpus, view_cache=tmp_path / "views", searcher=_index(corpus)[0])


def test_hits_are_placed_at_their_file_section_and_lines(tools: Tools) -> None:
    result = tools.search("remaining terms of our operating leases", k=3, file=TENK)
    assert result.hits and result.hits[0].file == TENK
    top = result.hits[0]
    assert any("12" in part for part in top.section_path)  # Note 12 — Leases
    assert top.located and top.section.start <= top.line_start <= top.line_end <= top.section.end
    lines = tools.view(TENK).text(top.line_start, top.line_end)
    assert str(FACTS_10K["lease_phrase"]) in lines
    assert f"1. {TENK} >" in result.text and "lines " in result.text
    call = tools.calls[-1]
    assert call.tool == "search" and call.output_tokens > 0 and call.args["k"] == 3


def test_a_hit_can_be_read_around_and_its_reference_followed(tools: Tools) -> None:
    hit = tools.search("maturities of our operating lease liabilities", k=1, file=TENK).hits[0]
    read = tools.read(hit.file, start=hit.line_start, end=hit.line_end)
    assert str(FACTS_10K["see_note_sentence"]) in read.body
    followed = tools.follow(hit.file, "Note 12")
    assert str(FACTS_10K["lease_phrase"]) in followed.body


def test_pages_come_with_hits_of_paged_text(tools: Tools) -> None:
    hit = tools.search("operating lease liabilities due after five years", k=1,
                       file="orbital-10k-2023.txt").hits[0]  # fmt: skip
    assert hit.page_start == 7 and hit.page_end == 7


def test_paths_outside_the_folder_are_refused(tools: Tools, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("the launch code is 0000\n", encoding="utf-8")
    for name in ("../secret.txt", str(secret)):
        with pytest.raises(SandboxError):
            tools.search("launch code", file=name)
    (tools.root / "link.txt").symlink_to(secret)
    with pytest.raises(SandboxError):
        tools.search("launch code", file="link.txt")
    assert tools.calls[-1].tool == "search" and tools.calls[-1].error
    assert tools.search("launch code", glob="../*").hits == []  # a glob only matches inside


def test_hits_from_documents_outside_the_folder_are_dropped(tmp_path: Path) -> None:
    everything = tmp_path / "all"
    write_synthetic_corpus(everything)
    index, _ = _index(everything)  # the index knows four documents
    inside = tmp_path / "inside"
    inside.mkdir()
    (inside / TENK).write_bytes((everything / TENK).read_bytes())
    tools = Tools(inside, view_cache=tmp_path / "v", searcher=index)
    result = tools.search("commercial paper program borrowings", k=10)
    assert result.hits and {h.file for h in result.hits} == {TENK}
    assert str(FACTS_10Q["debt_phrase"]) not in result.text


def test_glob_and_filters_scope_the_search(tools: Tools) -> None:
    hits = tools.search("commercial paper", k=5, glob="*10q*").hits
    assert hits and {h.file for h in hits} == {"acme-10q-2024q2.htm"}
    hits = tools.search("operating lease", k=5, filters={"form_type": "10-K"}).hits
    assert {h.file for h in hits} == {TENK}
    assert tools.search("commercial paper", glob="*.nothing").hits == []


def test_bad_requests(corpus: Path, tools: Tools, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="searcher"):
        Tools(corpus, view_cache=tmp_path / "v").search("leases")
    with pytest.raises(QueryError):
        tools.search("  ")
    with pytest.raises(QueryError):
        tools.search("leases", k=0)
    with pytest.raises(ConfigError):
        Tools(corpus, view_cache=tmp_path / "v", searcher=object())  # type: ignore[arg-type]


def _view(lines: list[str]) -> View:
    root = SectionSpan(0, "root", "", "document", None, 0, (), 1, len(lines), len(lines), None)
    return View("f.txt", Path("f.txt"), lines, [root])


def test_locate_lines_matches_the_chunk_text() -> None:
    header = "Year | 2024 | 2023"
    view = _view(["Title", header, "Rev | 1 | 2", header, "Cost | 3 | 4"])
    span = view.sections[0]
    # a split table repeats its header: the piece whose next line follows wins
    assert locate_lines(view, span, "Year | 2024 | 2023\nCost | 3 | 4") == (4, 5)
    # a caption the view does not render: anchored on the next line
    assert locate_lines(view, span, "Revenue table (in millions)\nRev | 1 | 2") == (3, 3)
    assert locate_lines(view, span, "nothing like it") is None


def test_doc_files_maps_retriever_ids_to_files() -> None:
    files = DocFiles(["a/x.htm", "b/x.htm", "y.txt"])
    assert files.doc_id("y.txt") == "y" and files.doc_id("a/x.htm") == "a/x"
    chunk = Chunk("c", "a/x", "text")
    assert files.file_of(chunk) == "a/x.htm"
    assert files.file_of(Chunk("d", "x", "text")) is None  # ambiguous stem: not guessed
    assert files.file_of(Chunk("e", "zzz", "t", metadata={"source_name": "y.txt"})) == "y.txt"


def test_heuristic_agent_searches_first_and_reads_the_hits(corpus: Path, tmp_path: Path) -> None:
    index, _ = _index(corpus)
    agent = HeuristicAgent(corpus, view_cache=tmp_path / "v", searcher=index)
    result = agent.run("How long are the remaining terms of Acme's operating leases?")
    assert [c.tool for c in result.calls[:2]] == ["glob", "search"]
    assert any(str(FACTS_10K["lease_phrase"]) in e.text for e in result.evidence[:3])
    assert result.tokens_read == sum(c.output_tokens for c in result.calls)
    with pytest.raises(ConfigError, match="not both"):
        tools = Tools(corpus, view_cache=tmp_path / "v", searcher=index)
        HeuristicAgent(tools, searcher=_index(corpus)[0])


def test_seeded_investigation_does_not_reread_held_hits(corpus: Path, tmp_path: Path) -> None:
    index, _ = _index(corpus)
    tools = Tools(corpus, view_cache=tmp_path / "v")
    hit = index.search(["maturities of our operating lease liabilities"], 1)[0][0]
    seed = tools.place(hit)
    assert seed is not None and seed.file == TENK
    agent = HeuristicAgent(tools, grep="lacking", max_patterns=2, read_seeds=0)
    question = "What do the maturities of Acme's operating lease liabilities look like?"
    result = agent.investigate(question, seeds=[seed], seen=True)
    assert "glob" not in [c.tool for c in result.calls]  # the files come with the seeds
    assert all(
        not (e.file == seed.file and e.line_start <= seed.line_start <= e.line_end)
        or e.line_end - e.line_start > seed.line_end - seed.line_start
        for e in result.evidence
    )  # the held hit is never read again on its own
    assert any("via Note 12" in e.why for e in result.evidence)  # its reference followed


def test_llm_agent_gets_search_only_with_a_searcher(corpus: Path, tmp_path: Path) -> None:
    index, _ = _index(corpus)
    path = "/chat/completions"
    with FakeAPIServer() as server:
        server.script(
            path,
            Reply(
                200,
                openai_chat_body(
                    None,
                    [
                        ("s1", "search", {"query": "lease terms"}),
                        ("s2", "search", {"query": "x", "file": "../x"}),
                    ],
                ),
            ),
            Reply(200, openai_chat_body("1 to 17 years.")),
        )
        client = OpenAICompatibleChat("m", base_url=server.url + "/v1", api_key="k",
                                      max_retries=0, timeout=10)  # fmt: skip
        tools = Tools(corpus, view_cache=tmp_path / "v", searcher=index)
        result = LLMAgent(tools, client).run("lease terms?")
        requests = server.requests_to(path)
    assert requests[0].json["tools"] == [*TOOL_SCHEMAS, SEARCH_SCHEMA]
    searches = [c for c in result.calls if c.tool == "search"]
    assert searches[0].error is None and searches[0].output_tokens > 0
    assert searches[1].error and "SandboxError" in searches[1].error
    tool_msgs = [m["content"] for m in requests[-1].json["messages"] if m["role"] == "tool"]
    assert TENK in tool_msgs[0]
    with FakeAPIServer() as server:
        server.script(path, Reply(200, openai_chat_body(None, [("s", "search", {"query": "q"})])),
                      Reply(200, openai_chat_body("done")))  # fmt: skip
        client = OpenAICompatibleChat("m", base_url=server.url + "/v1", api_key="k",
                                      max_retries=0, timeout=10)  # fmt: skip
        plain = LLMAgent(corpus, client, view_cache=tmp_path / "v").run("q?")
        assert server.requests_to(path)[0].json["tools"] == TOOL_SCHEMAS
    assert plain.calls[0].error and "unknown tool" in plain.calls[0].error
