"""The finance lexicon: the packaged file, checks on malformed or foreign files, the phrase
rules, and custom lexicons changing what the router, agent, detector and classifier do."""

from __future__ import annotations

import ast
import re
from importlib import resources
from pathlib import Path

import pytest

from ragkit.agentic import HeuristicAgent
from ragkit.agentic.question import analyze
from ragkit.errors import ConfigError
from ragkit.fusion import classify_query
from ragkit.lexicon import FORMAT_VERSION, Lexicon, phrase_pattern
from ragkit.parsers.statements import page_statement
from ragkit.routing.entities import EntityCatalog, record_from_metadata
from ragkit.routing.router import Router
from ragkit.routing.statement_intent import statement_intent
from tests.synthetic import write_synthetic_corpus

CUSTOM = """\
version: 1
description: a test lexicon
companies:
  aliases:
    Orbital Freight: [OrbFr, Rocket Hauler]
agent:
  synonyms:
    drones: [unmanned aircraft]
"""


@pytest.fixture()
def custom(tmp_path: Path) -> Lexicon:
    path = tmp_path / "my-finance.yaml"
    path.write_text(CUSTOM, encoding="utf-8")
    return Lexicon.load(path)


def test_the_packaged_lexicon_ships_and_loads_once() -> None:
    assert resources.files("ragkit").joinpath("data/finance.yaml").is_file()
    lex = Lexicon.default()
    assert lex is Lexicon.default()
    assert lex.version == FORMAT_VERSION and lex.source.endswith("finance.yaml")
    assert set(lex.statements) == {"balance_sheet", "income_statement", "cash_flow_statement"}
    assert "inc" in lex.corporate_suffixes and "the" in lex.stopwords
    assert lex.detection.min_formatted <= lex.detection.min_figures


def test_round_trip_and_equality() -> None:
    lex = Lexicon.default()
    again = Lexicon.from_dict(lex.to_dict())
    assert again == lex and hash(again) == hash(lex) and again is not lex
    other = Lexicon.from_dict({"version": 1, "agent": {"stopwords": "the a"}})
    assert other != lex and other.stopwords == {"the", "a"}
    assert "Lexicon(version=1" in repr(lex)


def test_a_partial_file_keeps_the_packaged_values(custom: Lexicon) -> None:
    default = Lexicon.default()
    assert custom.stopwords == default.stopwords
    assert custom.statements == default.statements
    assert dict(custom.synonyms) == {"drones": ("unmanned aircraft",)}  # a given key replaces
    assert custom.aliases.keys() == {"Orbital Freight"}
    base = Lexicon.from_dict({"version": 1, "agent": {"stopwords": "acme"}})
    layered = Lexicon.from_dict({"version": 1}, base=base)
    assert layered.stopwords == {"acme"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (["version", 1], "expected a mapping"),
        ({"companies": {}}, "no 'version'"),
        ({"version": 2}, "version 2; this ragkit reads version 1"),
        ({"version": "1"}, "version '1'"),
        ({"version": True}, "version True"),
        ({"version": 1, "routing": {}}, r"unknown key\(s\) \['routing'\]"),
        ({"version": 1, "agent": {"stop_words": "a"}}, r"agent: unknown key\(s\)"),
        ({"version": 1, "agent": ["a"]}, "agent: expected a mapping"),
        ({"version": 1, "companies": {"common_words": [True]}}, "YAML reads them as booleans"),
        ({"version": 1, "companies": {"aliases": ["x"]}}, "companies.aliases: expected a mapping"),
        ({"version": 1, "statements": {"equity_statement": {}}}, "unknown key"),
        ({"version": 1, "statement_detection": {"min_figures": -1}}, "whole number >= 0"),
        ({"version": 1, "statement_detection": {"min_figures": 5}}, "must not exceed"),
        ({"version": 1, "statement_detection": {"title_lines": 0}}, "title_lines must be"),
        ({"version": 1, "statements": {"balance_sheet": {"titles": []}}}, "titles is empty"),
    ],
)
def test_malformed_or_foreign_lexicons_are_refused(data: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Lexicon.from_dict(data)  # type: ignore[arg-type]


def test_unreadable_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read lexicon file"):
        Lexicon.load(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: [1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        Lexicon.load(bad)
    foreign = tmp_path / "foreign.yaml"
    foreign.write_text("name: some other tool\nsettings: {a: 1}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="no 'version'"):
        Lexicon.load(foreign)


@pytest.mark.parametrize(
    ("phrase", "matches", "misses"),
    [
        ("balance sheet", ["Balance Sheets", "balance-sheet"], ["balance of the sheet"]),
        ("PP&E", ["net PP&E", "PP & E", "pp and e"], ["PPE", "APP&E"]),
        ("profit and loss", ["Profit & Loss", "profit and loss"], ["profit or loss"]),
        ("shareholders equity", ["shareholders' equity", "Shareholders\u2019 Equity"], []),
        ("forecast*", ["forecasts", "forecasting"], ["forecas"]),
        ("non-GAAP", ["non-GAAP", "Non GAAP", "nongaap"], ["nonGAAPish"]),
        ("net sales", ["net sales"], ["internet sales"]),
    ],
)
def test_phrase_rules(phrase: str, matches: list[str], misses: list[str]) -> None:
    pattern = re.compile(phrase_pattern(phrase), re.I)
    assert all(pattern.search(t) for t in matches), phrase
    assert not any(pattern.search(t) for t in misses), phrase


def test_a_custom_alias_routes_a_question_to_its_company(custom: Lexicon) -> None:
    records = [
        record_from_metadata(
            "orbital-10k-fy2024",
            {"company": "Orbital Freight Corp.", "form_type": "10-K", "period_end": "2024-12-31"},
        ),
        record_from_metadata("acme-10k-fy2024", {"company": "Acme Widgets, Inc."}),
    ]
    question = "How many launches did the Rocket Hauler book in 2024?"
    plain = Router(EntityCatalog(records)).route(question)
    assert plain.filters == {}
    routed = Router(EntityCatalog(records, custom)).route(question)
    assert routed.filters == {"doc_id": ["orbital-10k-fy2024"]}
    assert routed.analysis.companies[0].text == "Rocket Hauler"
    # Router.from_chunks passes it to the catalog and the analyzer alike
    rows = [{"doc_id": r.doc_id, "metadata": {"company": r.company}} for r in records]
    via_chunks = Router.from_chunks(rows, lexicon=custom, min_chunks=0).route("OrbFr revenue")
    assert via_chunks.filters == {"doc_id": ["orbital-10k-fy2024"]}


def test_a_custom_synonym_is_grepped_by_the_agent(custom: Lexicon, tmp_path: Path) -> None:
    question = "How many drones does Acme operate?"
    assert "unmanned aircraft" not in analyze(question).synonyms
    assert "unmanned aircraft" in analyze(question, lexicon=custom).synonyms
    write_synthetic_corpus(tmp_path / "corpus")
    agent = HeuristicAgent(tmp_path / "corpus", view_cache=tmp_path / "views", lexicon=custom)
    patterns = [str(c.args.get("pattern", "")) for c in agent.run(question).calls]
    assert any("unmann" in p and "aircraft" in p for p in patterns), patterns


def test_custom_statement_words_and_thresholds() -> None:
    default = Lexicon.default()
    data = default.to_dict()
    data["statements"]["balance_sheet"]["implied_by"].append("goodwill")
    data["statement_detection"].update(min_figures=8, min_formatted=8)
    custom = Lexicon.from_dict(data)
    question = "What was the year-end goodwill?"
    assert statement_intent(question) == ()
    assert [m.kind for m in statement_intent(question, lexicon=custom)] == ["balance_sheet"]
    page = ["Consolidated Balance Sheets", "(In millions)"]
    page += [f"Item {i} {1000 + 37 * i:,}" for i in range(9)]
    assert page_statement(page) is None  # 9 figures: fewer than the packaged 15
    assert page_statement(page, lexicon=custom) == "balance_sheet"


def test_a_custom_conceptual_phrase_changes_the_classifier() -> None:
    custom = Lexicon.from_dict({"version": 1, "fusion": {"conceptual": ["synerg*"]}})
    assert classify_query("merger synergies").kind == "mixed"
    verdict = classify_query("merger synergies", lexicon=custom)
    assert verdict.kind == "conceptual" and verdict.conceptual_signals == ("concept:synergies",)


def test_the_lexicon_module_imports_nothing_else_from_ragkit() -> None:
    source = resources.files("ragkit").joinpath("lexicon.py").read_text(encoding="utf-8")
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
        elif isinstance(node, ast.Import):
            imported.update(a.name for a in node.names)
    assert {m for m in imported if m.startswith("ragkit")} <= {"ragkit.errors"}
