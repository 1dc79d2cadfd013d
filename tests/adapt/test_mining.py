"""Pair mining on the synthetic filings and a tiny BEIR corpus: every kind of pair, negatives
that are never positives, no text crossing documents, no query left verbatim in a positive."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ragkit.adapt import AdaptPair, MiningConfig, load_corpus, mine_pairs, pair_counts
from ragkit.adapt.context import context_phrases
from ragkit.adapt.corpus import with_metadata
from ragkit.adapt.mining import (
    MIN_KEYWORD_TERMS,
    MIN_KEYWORD_WORDS,
    conclusion_pairs,
    remove_ref,
)
from ragkit.adapt.pairs import clean_positive, contains_verbatim, remove_verbatim, squash
from ragkit.bench.datasets import BeirDoc, beir_chunk
from ragkit.errors import ConfigError, DatasetError
from ragkit.types import Chunk


@pytest.fixture(scope="module")
def pairs(filing_chunks: list[Chunk]) -> list[AdaptPair]:
    """The miners' own queries (no document context: its tests are below)."""
    return mine_pairs(filing_chunks, MiningConfig(seed=3, context_rate=0))


def _by_kind(pairs: list[AdaptPair], kind: str) -> list[AdaptPair]:
    return [p for p in pairs if p.kind == kind]


def test_every_filing_kind_is_mined(pairs: list[AdaptPair]) -> None:
    counts = pair_counts(pairs)
    for kind in ("heading", "table", "reference", "ict", "keyword"):
        assert counts[kind] > 0, counts
    assert counts["title"] == counts["conclusion"] == 0  # filings: many chunks per document
    assert counts["with_hard_negative"] > len(pairs) // 2


def test_reference_pair_points_at_the_note_without_naming_it(pairs: list[AdaptPair]) -> None:
    leases = [p for p in _by_kind(pairs, "reference") if "maturities of our operating" in p.query]
    assert leases, [p.query for p in _by_kind(pairs, "reference")]
    pair = leases[0]
    assert "Note 12" not in pair.query and not pair.query.lower().startswith("see ")
    assert "Leases" in pair.positive.split("\n", 1)[0]  # the note's path line
    assert "remaining terms of 1 to 17 years" in pair.positive


def test_table_pairs_cut_the_row_label_from_the_table(pairs: list[AdaptPair]) -> None:
    tables = _by_kind(pairs, "table")
    net = [p for p in tables if p.query.startswith("Net income")]
    assert net, [p.query for p in tables]
    for p in net:
        rows = [line for line in p.positive.splitlines() if " | " in line]
        assert rows and not any(r.lower().startswith("net income |") for r in rows)
        assert any(r.startswith("Total revenues") for r in rows)  # the other rows stay
    assert all(" | " in p.positive for p in tables)


def test_heading_pairs_show_the_body_without_the_heading(pairs: list[AdaptPair]) -> None:
    headings = _by_kind(pairs, "heading")
    assert any("Supply Chain" in p.query for p in headings)
    for p in headings:
        assert not contains_verbatim(p.query, p.positive)


def test_ict_removes_the_sentence_from_its_passage(
    pairs: list[AdaptPair], filing_chunks: list[Chunk]
) -> None:
    by_id = {c.id: c for c in filing_chunks}
    for p in _by_kind(pairs, "ict"):
        source = by_id[p.positive_id]
        assert p.query in squash(source.text)  # the sentence came from the positive's chunk
        assert not contains_verbatim(p.query, p.positive)


def test_keyword_queries_are_the_rare_terms_of_one_unit_in_order(
    pairs: list[AdaptPair], filing_chunks: list[Chunk]
) -> None:
    by_id = {c.id: c for c in filing_chunks}
    keywords = _by_kind(pairs, "keyword")
    staff = [p for p in keywords if "12,407" in p.query]
    assert staff and "employees" in staff[0].query  # figures and rare words, not "the"/"our"
    for p in keywords:
        source = by_id[p.positive_id]
        assert p.positive == source.search_text  # the whole chunk, sentence included
        terms = p.query.split(" ")
        assert MIN_KEYWORD_TERMS <= len(terms) <= MiningConfig().keyword_terms
        assert not {"the", "and", "of", "our", "in"} & {t.lower() for t in terms}
        rest = source.text
        for term in terms:  # each term found after the previous one: the unit's order
            at = rest.find(term)
            assert at >= 0, (term, p.query)
            rest = rest[at + len(term) :]
        assert not any(t.endswith(",") for t in terms)
        assert sum(t[0].isalpha() for t in terms) >= MIN_KEYWORD_WORDS  # never figures alone


def test_keyword_pairs_can_be_turned_off(filing_chunks: list[Chunk]) -> None:
    off = mine_pairs(filing_chunks, MiningConfig(keyword_per_chunk=0), negatives=False)
    assert pair_counts(off)["keyword"] == 0
    with pytest.raises(ConfigError):
        MiningConfig(keyword_terms=1)
    with pytest.raises(ConfigError):
        MiningConfig(keyword_max_df=0)


def test_no_positive_holds_its_query_and_negatives_are_never_positives(
    pairs: list[AdaptPair], filing_chunks: list[Chunk]
) -> None:
    by_id = {c.id: c for c in filing_chunks}
    for p in pairs:
        assert not contains_verbatim(p.query, p.positive)
        for neg, neg_id in ((p.hard_negative, p.hard_negative_id),
                            (p.random_negative, p.random_negative_id)):  # fmt: skip
            if not neg_id:
                continue
            assert neg_id != p.positive_id and neg.strip() != p.positive.strip()
            assert by_id[neg_id].section_path != by_id[p.positive_id].section_path
            assert not contains_verbatim(p.query, neg)


def test_no_pair_crosses_documents(pairs: list[AdaptPair], filing_chunks: list[Chunk]) -> None:
    by_id = {c.id: c for c in filing_chunks}
    doc_text = {}
    for c in filing_chunks:
        doc_text[c.doc_id] = doc_text.get(c.doc_id, "") + " " + squash(c.search_text)
    for p in pairs:
        assert by_id[p.positive_id].doc_id == p.doc_id
        if p.hard_negative_id:
            assert by_id[p.hard_negative_id].doc_id == p.doc_id  # hard: same document
        if p.random_negative_id:
            assert by_id[p.random_negative_id].doc_id != p.doc_id  # random: another one
        if p.kind in ("ict", "heading"):
            assert p.query.split(" > ")[-1] in doc_text[p.doc_id]


def test_mining_is_seeded(filing_chunks: list[Chunk], pairs: list[AdaptPair]) -> None:
    assert mine_pairs(filing_chunks, MiningConfig(seed=3, context_rate=0)) == pairs
    assert mine_pairs(filing_chunks, MiningConfig(seed=4, context_rate=0)) != pairs
    with_context = mine_pairs(filing_chunks, MiningConfig(seed=3))
    assert with_context == mine_pairs(filing_chunks, MiningConfig(seed=3))


def test_max_pairs_caps_the_total(filing_chunks: list[Chunk]) -> None:
    capped = mine_pairs(filing_chunks, MiningConfig(max_pairs=10), negatives=False)
    assert len(capped) == 10
    assert all(not p.hard_negative for p in capped)


def test_beir_corpus_gives_title_and_ict_pairs_and_never_reads_queries(beir_dir: Path) -> None:
    chunks = load_corpus(beir_dir)
    assert [c.doc_id for c in chunks] == ["d1", "d2", "d3", "d4"]
    pairs = mine_pairs(chunks, MiningConfig(corpus_skip=0))
    counts = pair_counts(pairs)
    assert counts["title"] == 4 and counts["ict"] >= 3
    title = next(p for p in pairs if p.kind == "title" and p.doc_id == "d1")
    assert title.query.startswith("Statins lower") and "atorvastatin" in title.positive
    assert all("Atorvastatin reduces fatal" not in p.query for p in pairs)
    for p in pairs:  # one passage per document: hard negatives come from other documents
        assert p.hard_negative_id != p.doc_id and p.random_negative_id != p.doc_id


def test_an_abstracts_closing_sentence_is_a_query_for_the_rest(beir_dir: Path) -> None:
    on = MiningConfig(corpus_skip=0, conclusion_pairs=True)
    pairs = _by_kind(mine_pairs(load_corpus(beir_dir), on), "conclusion")
    # d1 and d2 close with a sentence of six words or more; d3's is shorter, d4 has three
    assert sorted(p.doc_id for p in pairs) == ["d1", "d2"]
    d2 = next(p for p in pairs if p.doc_id == "d2")
    assert d2.query == "These findings suggest the microbiome modulates antitumour immunity."
    assert "Faecalibacterium" in d2.positive and "modulates" not in d2.positive
    off = mine_pairs(load_corpus(beir_dir), MiningConfig(corpus_skip=0))  # off by default
    assert pair_counts(off)["conclusion"] == 0


def test_a_conclusions_label_is_not_part_of_its_query() -> None:
    body = "Mice ate a fatty diet. Their livers were weighed. Lipid droplets grew. "
    docs = [
        BeirDoc("a", "Fat", body + "CONCLUSIONS These data show that dietary fat enlarges livers."),
        BeirDoc("b", "Fat", body + "[Conclusion] Dietary fat enlarges the livers of mice."),
        BeirDoc("c", "Fat", body + "Conclusions: dietary fat enlarges the livers of mice."),
        BeirDoc("d", "HIV", body + "HIV Infection rates did not change in the treated mice."),
        BeirDoc("e", "Fat", body + "CONCLUSIONS AND RELEVANCE Fat enlarges the liver of mice."),
    ]
    chunks = [beir_chunk(d, i, title_path=True) for i, d in enumerate(docs)]
    on = MiningConfig(conclusion_pairs=True)
    queries = {p.doc_id: p.query for p in conclusion_pairs(chunks, on)}
    assert queries["a"] == "These data show that dietary fat enlarges livers."
    assert queries["b"] == "Dietary fat enlarges the livers of mice."
    assert queries["c"] == "dietary fat enlarges the livers of mice."
    assert queries["d"].startswith("HIV Infection")  # a short capitalised word is no label
    assert queries["e"] == "Fat enlarges the liver of mice."


def test_verbatim_overlap_is_cut_or_dropped() -> None:
    passage = "Liquidity and Capital Resources\nOur cash position remained strong in 2024 and we"
    assert contains_verbatim("liquidity  and capital resources", passage)
    cut = remove_verbatim("Liquidity and capital resources", passage)
    assert cut.startswith("Our cash position") and "Liquidity" not in cut
    body = "Our cash position remained strong in 2024 and we expect it to fund operations."
    assert clean_positive("Cash position", body) == body.replace("cash position ", "")
    assert (
        clean_positive("Our cash position remained strong", "Our cash position remained strong")
        is None
    )
    assert (
        remove_ref("See Note 12 for lease maturities.", "Note 12").strip()
        == "for lease maturities."
    )


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ConfigError):
        MiningConfig(max_pairs=0)
    with pytest.raises(ConfigError):
        mine_pairs([])


TEN_Q = {"company": "THE BOEING COMPANY", "ticker": "BA", "form_type": "10-Q",
         "period_end": "2025-06-30", "fiscal_year": 2025, "fiscal_period": "Q2"}  # fmt: skip


def test_context_phrases_name_the_document_from_its_metadata() -> None:
    phrases = context_phrases(TEN_Q)
    assert "boeing" in phrases and "BA" in phrases  # corporate "the"/"company" dropped
    assert "boeing 10-Q June 30, 2025" in phrases and "BA Q2 2025" in phrases
    assert "10-Q fiscal 2025" in phrases
    assert all(("boeing" in p or "BA" in p or "10-Q" in p) for p in phrases)
    assert context_phrases({"form_type": "10-K", "period_end": "not a date"}) == []
    assert context_phrases({"source_name": "notes.md"}) == []
    misread = "Name of each exchange on which registered New York Stock Exchange, Inc. Chicago"
    assert context_phrases({"company": misread}) == []  # a cover page misread, not a name


def test_context_names_the_pairs_own_filing_and_keeps_its_negatives(
    pairs: list[AdaptPair], filing_chunks: list[Chunk]
) -> None:
    named = mine_pairs(filing_chunks, MiningConfig(seed=3, context_rate=1.0))
    meta = {c.doc_id: c.metadata for c in filing_chunks}
    changed = 0
    for bare, p in zip(pairs, named, strict=True):
        # the same pair, negatives found for the bare query, only the query differs
        assert (p.positive_id, p.hard_negative_id, p.random_negative_id) == (
            bare.positive_id, bare.hard_negative_id, bare.random_negative_id)  # fmt: skip
        phrases = context_phrases(meta[p.doc_id])
        if not phrases:  # a Markdown note or a filing without a cover page: left bare
            assert p.query == bare.query
            continue
        changed += 1
        front = [f"{ph}: {bare.query}" for ph in phrases]
        back = [f"{bare.query} ({ph})" for ph in phrases]
        assert p.query in front + back, p.query
        other = "10-Q" if "10-K" in meta[p.doc_id]["form_type"] else "10-K"
        assert other not in p.query.replace(bare.query, "")  # its own form, not the other
    assert changed > len(pairs) // 3


def test_context_rate_is_a_share_and_is_checked(
    pairs: list[AdaptPair], filing_chunks: list[Chunk]
) -> None:
    half = mine_pairs(filing_chunks, MiningConfig(seed=3, context_rate=0.5), negatives=False)
    changed = sum(a.query != b.query for a, b in zip(pairs, half, strict=True))
    eligible = sum(1 for p in pairs if p.doc_id.startswith("acme"))
    assert 0.3 * eligible < changed < 0.7 * eligible
    for bad in (-0.1, 1.5):
        with pytest.raises(ConfigError):
            MiningConfig(context_rate=bad)


def test_a_metadata_file_names_documents_whose_cover_page_did_not(
    filing_chunks: list[Chunk], tmp_path: Path
) -> None:
    info = tmp_path / "docs.jsonl"
    rows = [
        {"doc_name": "orbital-10k-2023.txt", "company": "Orbital Freight", "doc_type": "10k",
         "doc_period": 2023},
        {"doc_name": "acme-10k-fy2024", "company": "Someone Else", "doc_type": "10q"},
    ]  # fmt: skip
    info.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    filled = with_metadata(filing_chunks, info)
    assert with_metadata(filing_chunks, None) == filing_chunks
    by_doc = {c.doc_id: c.metadata for c in filled}
    assert by_doc["orbital-10k-2023"]["company"] == "Orbital Freight"
    assert by_doc["orbital-10k-2023"]["form_type"] == "10-K"
    assert by_doc["acme-10k-fy2024"]["company"] == "Acme Widgets, Inc."  # its own cover wins
    assert by_doc["acme-10k-fy2024"]["form_type"] == "10-K"
    assert "widget-guide" in by_doc and "company" not in by_doc["widget-guide"]
    named = mine_pairs(filled, MiningConfig(seed=3, context_rate=1.0), negatives=False)
    orbital = [p for p in named if p.doc_id == "orbital-10k-2023"]
    assert orbital and all("orbital freight" in p.query or "10-K" in p.query for p in orbital)
    with pytest.raises(DatasetError):
        with_metadata(filing_chunks, tmp_path / "missing.jsonl")
