"""LLMAgent's tool-calling loop against a local server playing scripted model turns."""

from __future__ import annotations

from pathlib import Path

import pytest

from ragkit.agentic import LLMAgent
from ragkit.agentic.llm import TOOL_SCHEMAS
from ragkit.errors import ConfigError
from ragkit.generators.chat import CohereChat, OpenAICompatibleChat
from tests.http_fakes import FakeAPIServer, Reply, cohere_chat_body, openai_chat_body
from tests.synthetic import FACTS_10K, write_synthetic_corpus

TENK = "acme-10k-fy2024.htm"
PATH = "/chat/completions"


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    write_synthetic_corpus(tmp_path / "corpus")
    return tmp_path / "corpus"


def _client(server: FakeAPIServer) -> OpenAICompatibleChat:
    return OpenAICompatibleChat(
        "fake-model", base_url=server.url + "/v1", api_key="k", max_retries=0, timeout=10
    )


def test_scripted_investigation_with_a_malformed_call(corpus: Path, tmp_path: Path) -> None:
    with FakeAPIServer() as server:
        server.script(
            PATH,
            Reply(
                200,
                openai_chat_body(
                    None,
                    [
                        ("c1", "glob", {"pattern": "*.htm"}),
                        ("c2", "grep", {"pattern": "operating lease"}),
                    ],
                ),
            ),
            Reply(
                200,
                {
                    "choices": [
                        {
                            "message": {
                                "role": "assistant",
                                "content": None,
                                "tool_calls": [
                                    {
                                        "id": "c3",
                                        "type": "function",
                                        "function": {"name": "read", "arguments": '{"file": "acme'},
                                    }
                                ],
                            }
                        }
                    ],
                    "usage": {"prompt_tokens": 30, "completion_tokens": 4},
                },
            ),
            Reply(
                200,
                openai_chat_body(
                    None,
                    [("c4", "delete_everything", {}), ("c5", "read", {"file": "../../etc/passwd"})],
                ),
            ),
            Reply(
                200,
                openai_chat_body(None, [("c6", "follow", {"file": TENK, "reference": "Note 12"})]),
            ),
            Reply(200, openai_chat_body("Remaining lease terms are 1 to 17 years (Note 12).")),
        )
        agent = LLMAgent(corpus, _client(server), view_cache=tmp_path / "v")
        result = agent.run("How long are Acme's remaining lease terms?")
        requests = server.requests_to(PATH)
    assert result.stop_reason == "answered"
    assert result.answer and "17 years" in result.answer
    assert str(FACTS_10K["lease_phrase"]) in result.evidence[0].text
    assert result.evidence[0].file == TENK
    tools = [c.tool for c in result.calls]
    assert tools == ["glob", "grep", "read", "delete_everything", "read", "follow"]
    errors = {c.tool: c.error for c in result.calls if c.error}
    assert "invalid JSON" in errors["read"] or "SandboxError" in errors["read"]
    assert "unknown tool" in errors["delete_everything"]
    # the model saw each error as a tool message and the tool schemas on every turn
    tool_msgs = [m for m in requests[-1].json["messages"] if m["role"] == "tool"]
    assert len(tool_msgs) == 6
    assert any("invalid JSON" in m["content"] for m in tool_msgs)
    assert any("outside" in m["content"] or "'..'" in m["content"] for m in tool_msgs)
    assert all(r.json["tools"] == TOOL_SCHEMAS for r in requests)
    assert result.usage["input_tokens"] > 0


def test_model_error_ends_the_run_cleanly(corpus: Path, tmp_path: Path) -> None:
    with FakeAPIServer() as server:
        server.script(
            PATH,
            Reply(
                200, openai_chat_body(None, [("c1", "read", {"file": TENK, "section": "Note 12"})])
            ),
            Reply(500, {"error": "boom"}),
        )
        result = LLMAgent(corpus, _client(server), view_cache=tmp_path / "v").run("leases?")
    assert result.stop_reason.startswith("model_error")
    assert result.answer is None and len(result.evidence) == 1


def test_step_budget_stops_a_model_that_never_answers(corpus: Path, tmp_path: Path) -> None:
    with FakeAPIServer() as server:
        call = ("c", "grep", {"pattern": "lease"})
        server.script(PATH, *[Reply(200, openai_chat_body(None, [call])) for _ in range(5)])
        agent = LLMAgent(corpus, _client(server), max_steps=3, view_cache=tmp_path / "v")
        result = agent.run("leases?")
    assert result.stop_reason == "max_steps" and result.steps == 3


def test_cohere_client_drives_the_same_loop(corpus: Path, tmp_path: Path) -> None:
    with FakeAPIServer() as server:
        server.script(
            "/v2/chat",
            Reply(
                200, cohere_chat_body("", [("t1", "read", {"file": TENK, "section": "Note 12"})])
            ),
            Reply(200, cohere_chat_body("1 to 17 years.")),
        )
        client = CohereChat(api_key="k", base_url=server.url, max_retries=0, timeout=10)
        result = LLMAgent(corpus, client, view_cache=tmp_path / "v").run("lease terms?")
    assert result.stop_reason == "answered" and result.answer == "1 to 17 years."
    assert str(FACTS_10K["lease_phrase"]) in result.evidence[0].text
    hits = result.hits(1, "llm")
    assert hits[0].chunk is not None and hits[0].chunk.doc_id == "acme-10k-fy2024"


def test_rejects_a_client_without_chat(corpus: Path) -> None:
    with pytest.raises(ConfigError):
        LLMAgent(corpus, object())
