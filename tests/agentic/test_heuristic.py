"""HeuristicAgent on synthetic filings and on real EDGAR filings (shared data)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ragkit.agentic import HeuristicAgent, Tools
from ragkit.agentic.question import analyze
from ragkit.errors import ConfigError, QueryError
from tests.synthetic import FACTS_10K, FACTS_10Q, write_synthetic_corpus


def norm(text: str) -> str:
    """The sec-qa evidence-matching rule."""
    return "".join(ch for ch in text.lower() if ch.isalnum())


@pytest.fixture()
def agent(tmp_path: Path) -> HeuristicAgent:
    write_synthetic_corpus(tmp_path / "corpus")
    return HeuristicAgent(tmp_path / "corpus", view_cache=tmp_path / "views")


def test_finds_a_fact_and_follows_the_see_note_reference(agent: HeuristicAgent) -> None:
    result = agent.run(
        "In Acme Widgets' 10-K for fiscal 2024, the liquidity discussion mentions the "
        "maturities of operating lease liabilities. How long are the remaining lease terms?"
    )
    texts = [e.text for e in result.evidence]
    assert any(str(FACTS_10K["see_note_sentence"]) in t for t in texts)
    lease = [e for e in result.evidence if str(FACTS_10K["lease_phrase"]) in e.text]
    assert lease and any("12" in p for p in lease[0].section_path)
    assert all(e.file == "acme-10k-fy2024.htm" for e in result.evidence[:2])
    tools_used = {c.tool for c in result.calls}
    assert {"glob", "grep", "read"} <= tools_used
    assert result.tokens_read > 0 and result.steps == len(result.calls)


def test_picks_the_document_the_question_names(agent: HeuristicAgent) -> None:
    result = agent.run(
        "In Acme's 10-Q for the quarter ended June 30, 2024, what were "
        "borrowings under the commercial paper program?"
    )
    assert result.evidence[0].file == "acme-10q-2024q2.htm"
    assert any(str(FACTS_10Q["debt_phrase"]) in e.text for e in result.evidence)


def test_is_deterministic(agent: HeuristicAgent) -> None:
    q = "Which supplier provides beryllium housings to Acme?"
    a, b = agent.run(q), agent.run(q)
    assert [(e.file, e.line_start, e.score) for e in a.evidence] == [
        (e.file, e.line_start, e.score) for e in b.evidence
    ]
    assert "Tromsø" in a.evidence[0].text


def test_search_contract_and_filters(agent: HeuristicAgent) -> None:
    hits = agent.search(["commercial paper borrowings", "flux capacitor customers"], k=2)
    assert len(hits) == 2 and all(1 <= len(h) <= 2 for h in hits)
    first = hits[0][0]
    assert first.rank == 1 and first.chunk is not None and first.chunk.text
    assert first.chunk_id == first.chunk.id and first.source == "heuristic"
    only_10k = agent.search(["commercial paper borrowings"], k=3, filters={"form_type": "10-K"})[0]
    assert all(h.chunk.doc_id == "acme-10k-fy2024" for h in only_10k if h.chunk)
    with pytest.raises(QueryError, match="unknown filter"):
        agent.search(["x"], k=1, filters={"colour": "red"})
    with pytest.raises(QueryError):
        agent.search(["x"], k=0)
    with pytest.raises(QueryError):
        agent.run("  ")


def test_budgets_bound_the_investigation(tmp_path: Path) -> None:
    write_synthetic_corpus(tmp_path / "corpus")
    small = HeuristicAgent(tmp_path / "corpus", max_steps=4, view_cache=tmp_path / "v")
    # its first two grep patterns ("remaining terms", "operating leases") both match, so the
    # reading that follows runs into the 4-call budget
    result = small.run("What remaining terms do Acme's operating leases have?")
    assert result.steps <= 4 + 1 and result.stop_reason == "budget"
    with pytest.raises(ConfigError):
        HeuristicAgent(tmp_path, max_steps=0)


@pytest.mark.slow
def test_real_filing_cross_reference_reaches_the_note(real_corpus: Path, view_cache: Path) -> None:
    """KO 10-Q: the segment note says 'Refer to Note 16'; the trademark's remaining carrying
    value is only in Note 16, which must be among the evidence."""
    agent = HeuristicAgent(Tools(real_corpus, view_cache=view_cache))
    result = agent.run(
        "In Coca-Cola's 10-Q for the quarter ended June 27, 2025, the segment note says "
        "Latin America's operating income was reduced by a trademark impairment and refers "
        "to another note. According to that note, what is the remaining carrying value of "
        "the impaired trademark?"
    )
    joined = [norm(e.text) for e in result.evidence]
    referring = norm(
        "Operating income (loss) was reduced by $31 million for Latin America "
        "due to the impairment of a trademark. Refer to Note 16."
    )
    target = norm("The remaining carrying value of the trademark is $55 million.")
    assert any(referring in t for t in joined)
    assert any(target in t for t in joined)
    note16 = next(e for e in result.evidence if target in norm(e.text))
    assert any("NOTE 16" in p.upper() for p in note16.section_path)
    assert {e.file for e in result.evidence[:3]} == {"ko-10q-2025q2.htm"}


@pytest.mark.slow
def test_real_filings_old_10k_narrative(real_corpus: Path, view_cache: Path) -> None:
    agent = HeuristicAgent(Tools(real_corpus, view_cache=view_cache))
    result = agent.run(
        "How many full-time employees did Medicis Pharmaceutical have in its 10-K for fiscal 1999?"
    )
    assert result.evidence[0].file == "medicis-10k-fy1999.htm"
    assert any("employees" in e.text.lower() for e in result.evidence[:2])


def test_router_picks_the_filing_by_company_and_period(tmp_path: Path) -> None:
    """The pipeline's router, over the files' own metadata, chooses the files to grep."""
    examples = Path(__file__).resolve().parents[2] / "examples" / "filings"
    routed = HeuristicAgent(examples, view_cache=tmp_path)
    tools = routed.tools.fork()
    files = [f.file for f in tools.glob("*").files]
    views = {f: tools.view(f) for f in files}
    got = routed._route("Acme Widgets liquidity in its 10-Q for Q2 2024", files, views)
    assert got.files == {"acme-10q-2024q2.htm"}
    got = routed._route("What did Globex Corporation report?", files, views)
    assert got.files == {"globex-10k-fy2023.htm"}
    got = routed._route("What is goodwill?", files, views)
    assert (got.files, got.boosts) == (set(), {})
    plain = HeuristicAgent(examples, view_cache=tmp_path, routing=False)
    got = plain._route("What did Globex Corporation report?", files, views)
    assert (got.files, got.boosts) == (set(), {}) and got.statements is None
    # the routed agent reads statements as the pipeline's router does: the company name is
    # masked, so "Acme Widgets revenue" is the company's revenue, not a business line's
    question = "What was Acme Widgets revenue in fiscal 2024?"
    assert routed._route(question, files, views).statements == ("income_statement",)
    assert analyze(question).statements == []  # the agent's own, unmasked reading
    result = routed.run("What were Acme Widgets' quarterly liquidity sources in Q2 2024?")
    assert result.evidence and result.evidence[0].file == "acme-10q-2024q2.htm"


def test_the_agent_greps_the_statement_a_question_needs() -> None:
    """The agent reads statements as the pipeline's router does: named or implied by the metric."""
    import re

    from ragkit.agentic.question import statement_headings

    headings = statement_headings()
    terms = analyze("What is the FY2018 capital expenditure amount for 3M?")
    assert terms.statements == [headings["cash_flow_statement"]]
    terms = analyze("Using the balance sheet, what were year-end inventories?")
    assert terms.statements == [headings["balance_sheet"]]
    assert analyze("What drove the gross margin change?").statements == []
    heading = re.compile(headings["balance_sheet"], re.I)
    assert heading.search("Consolidated Balance Shee t")  # as pdftotext splits it
    assert heading.search("CONDENSED CONSOLIDATED BALANCE SHEETS")
    assert not heading.search("Total assets on the balance sheet")
    income = re.compile(headings["income_statement"], re.I)
    assert income.search("Consolidated Statement of Incom e")
    assert not income.search("Consolidated Statements of Comprehensive Income")
    cash = re.compile(headings["cash_flow_statement"], re.I)
    assert cash.search("Condensed Consolidated Statements of Cash Flows (Unaudited)")
    assert cash.search("CASH FLOWS STATEMENTS")  # Microsoft's title


LEGAL_TEXT = """ACME WIDGETS, INC.
ANNUAL REPORT ON FORM 10-K FOR THE FISCAL YEAR ENDED DECEMBER 31, 2024

Item 1. Business
Acme designs precision flux capacitors for industrial customers in 14 countries.
Our distributors resell capacitors under multi-year agreements.

Item 3. Legal Proceedings.
The information contained in Note 9 of this 10-K is incorporated herein by reference.

Item 7. Management's Discussion and Analysis
Net sales rose 8% to $2,140 million on higher capacitor volumes.
\f
Note 9 - Contingencies
In March 2024 a former distributor sued the Company in Ohio state court, alleging breach of
its supply agreement and seeking $45 million in damages; the Company believes the claim is
without merit and intends to defend it vigorously.
"""


def test_a_question_about_legal_matters_reads_the_legal_proceedings_item_and_its_note(
    tmp_path: Path,
) -> None:
    """Everyday words name a section (lexicon section cues, also through synonyms): the
    agent greps that section's heading, reads it, and follows what it incorporates by
    reference even though the pointing line shares no word with the question."""
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "acme-10k-2024.txt").write_text(LEGAL_TEXT, encoding="utf-8")
    terms = analyze("Is Acme fighting any legal battles?")
    assert terms.cues == ["Legal Proceedings"]
    assert analyze("Were there lawsuits in 2024?").cues == ["Legal Proceedings"]
    assert analyze("How did net sales change?").cues == []
    agent = HeuristicAgent(tmp_path / "corpus", view_cache=tmp_path / "views")
    result = agent.run("Is Acme fighting any legal battles?")
    texts = " ".join(e.text for e in result.evidence)
    assert "incorporated herein by reference" in texts
    assert "former distributor sued the Company" in texts
    assert any(e.why.startswith("via Note 9") for e in result.evidence)


def test_a_section_heading_pattern_matches_heading_lines_only() -> None:
    import re

    from ragkit.agentic.question import section_heading

    legal = re.compile(section_heading("Legal Proceedings"), re.I)
    headings = ("Item 3. Legal Proceedings.", "ITEM 3 - LEGAL PROCEEDINGS", "Legal Proceedings 25")
    for line in headings:
        assert legal.search(line), line
    assert not legal.search("We are party to legal proceedings arising in the ordinary course.")
    assert not legal.search("See Legal Proceedings in Part I, Item 3 of this report, which "
                            "describes the matters pending against us in detail")  # fmt: skip
    mdna = re.compile(section_heading("Management's Discussion"), re.I)
    assert mdna.search(
        "Item 7. Management’s Discussion and Analysis of Financial Condition and Results of "
        "Operations"
    )
    taxes = re.compile(section_heading("Income Taxes"), re.I)
    assert taxes.search("Note 12 — Income Taxes") and taxes.search("14. Income Taxes")


def test_company_identity_words_drop_the_lexicons_corporate_suffixes() -> None:
    from ragkit.agentic.heuristic import _company_names, _identity_words
    from ragkit.agentic.views import View
    from ragkit.lexicon import Lexicon

    view = View("acme-10k-2024.htm", Path("acme.txt"), [], [],
                metadata={"company": "Acme Holding AG", "ticker": "ACM"})  # fmt: skip
    suffixes = Lexicon.default().corporate_suffixes
    words = _identity_words(view, suffixes)
    # "holding" and "ag" are suffixes in the lexicon: a question's "holding" stays a term
    assert {"acme", "acm"} <= words and not {"holding", "ag"} & words
    assert "acme" in _company_names(view, suffixes)
    assert "holding" in _identity_words(view, {"ag"})  # the suffixes given decide
