"""The tools on a synthetic EDGAR 10-K/10-Q corpus: glob, outline, read, follow, recording."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from ragkit.agentic.result import count_tokens
from ragkit.agentic.tools import Tools
from ragkit.errors import ConfigError, QueryError
from tests.synthetic import FACTS_10K, FACTS_10Q, write_synthetic_corpus

TENK = "acme-10k-fy2024.htm"


@pytest.fixture()
def tools(tmp_path: Path) -> Tools:
    write_synthetic_corpus(tmp_path / "corpus")
    return Tools(tmp_path / "corpus", view_cache=tmp_path / "views")


def test_glob_lists_newest_first(tools: Tools) -> None:
    os.utime(tools.root / "widget-guide.md", (time.time() + 100, time.time() + 100))
    res = tools.glob("*")
    assert [f.file for f in res.files][0] == "widget-guide.md"
    assert {f.file for f in tools.glob("*.htm").files} == {TENK, "acme-10q-2024q2.htm"}
    assert "no files match" in tools.glob("*.pdf").text


def test_grep_reads_html_as_visible_text_lines(tools: Tools) -> None:
    res = tools.grep("flux capacitors for", glob=TENK, context=0)
    assert res.n_matches == 1
    match = res.matches[0]
    assert str(FACTS_10K["business_phrase"]) in match.text
    assert "<" not in match.text  # no tags
    assert any("item 1" in p.lower() for p in match.section_path)
    assert f"{match.line}:" in res.text


def test_outline_shows_parts_items_and_notes(tools: Tools) -> None:
    res = tools.outline(TENK)
    kinds = {(s.kind, s.number) for s in res.sections}
    assert ("part", "II") in kinds and ("item", "7") in kinds and ("note", "12") in kinds
    assert "Leases" in res.text and "chars" in res.text


def test_read_section_by_reference_id_and_title(tools: Tools) -> None:
    by_ref = tools.read(TENK, section="Note 12")
    assert str(FACTS_10K["lease_phrase"]) in by_ref.body
    assert by_ref.section is not None and by_ref.section.kind == "note"
    by_id = tools.read(TENK, section=by_ref.section.id)
    assert by_id.body == by_ref.body
    by_title = tools.read(TENK, section="Liquidity and Capital Resources")
    assert str(FACTS_10K["see_note_sentence"]) in by_title.body
    with pytest.raises(QueryError, match="no section"):
        tools.read(TENK, section="Item 99 that does not exist")


def test_read_line_range_and_truncation_marker(tools: Tools) -> None:
    res = tools.read(TENK, start=1, end=5)
    assert (res.line_start, res.line_end) == (1, 5)
    assert len(res.body.split("\n")) == 5
    whole = tools.read(TENK, max_chars=2000)
    assert whole.truncated and "[... truncated: lines" in whole.text
    assert f"start={whole.line_end + 1}" in whole.text
    rest = tools.read(TENK, start=whole.line_end + 1, end=whole.line_end + 3)
    assert rest.line_start == whole.line_end + 1
    with pytest.raises(QueryError):
        tools.read(TENK, start=10, end=2)


def test_follow_resolves_notes_and_items(tools: Tools) -> None:
    note = tools.follow(TENK, "See Note 12")
    assert str(FACTS_10K["lease_phrase"]) in note.body
    item = tools.follow(TENK, "Part II, Item 7A")
    assert str(FACTS_10K["market_risk_phrase"]) in item.body
    q_note = tools.follow("acme-10q-2024q2.htm", str(FACTS_10Q["see_note_sentence"]))
    assert str(FACTS_10Q["debt_phrase"]) in q_note.body
    with pytest.raises(QueryError, match="does not resolve"):
        tools.follow(TENK, "Note 99")


def test_every_call_is_recorded_with_size_and_latency(tools: Tools) -> None:
    tools.glob("*")
    grep = tools.grep("beryllium")
    read = tools.read(TENK, section="Note 12")
    with pytest.raises(QueryError):
        tools.read("missing.htm")
    assert [c.tool for c in tools.calls] == ["glob", "grep", "read", "read"]
    assert tools.calls[1].args["pattern"] == "beryllium"
    assert tools.calls[1].output_chars == len(grep.text)
    assert tools.calls[2].output_tokens == count_tokens(read.text) > 0
    assert all(c.latency_ms >= 0 for c in tools.calls)
    assert tools.calls[3].error and "QueryError" in tools.calls[3].error
    fork = tools.fork()
    assert fork.calls == [] and fork.root == tools.root


def test_edited_file_is_re_rendered(tools: Tools) -> None:
    path = tools.root / "fresh.txt"
    path.write_text("Cobalt reserves were 10 tonnes.\n", encoding="utf-8")
    assert tools.grep("cobalt").n_matches == 1
    path.write_text("Nickel only.\n", encoding="utf-8")
    os.utime(path, (time.time() + 5, time.time() + 5))
    assert tools.grep("cobalt").n_matches == 0 and tools.grep("nickel").n_matches == 1


def test_invalid_parameters(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        Tools(tmp_path, engine="sed")
    with pytest.raises(ConfigError):
        Tools(tmp_path, timeout_s=0)


def test_agent_filter_keys_are_the_retriever_contracts_keys() -> None:
    from ragkit.agentic.base import FILTER_KEYS
    from ragkit.indexes import FILTER_KEYS as INDEX_FILTER_KEYS

    assert set(FILTER_KEYS) == set(INDEX_FILTER_KEYS)


def test_a_tables_footnotes_are_searchable_and_read_with_it(tools: Tools) -> None:
    """The parser lifts a table's footnotes into the table block; the view puts them back
    under the table, so grep finds them and reading the section shows them."""
    note = str(FACTS_10K["footnote_1"])
    res = tools.grep("Beacon Controls, acquired", glob=TENK, context=0)
    assert res.n_matches == 1
    match = res.matches[0]
    assert match.text == note
    body = tools.read(TENK, section=match.section_path[-1]).body
    assert note in body and str(FACTS_10K["footnote_2"]) in body
    lines = body.splitlines()
    assert lines[lines.index(note) - 1].startswith("Total |")  # under the table, as on the page
