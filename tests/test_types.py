"""Core types: deterministic ids, table rendering, section walking, chunk round trips."""

from __future__ import annotations

from ragkit.types import Block, Chunk, Document, Hit, Section, Trace, render_table, stable_id


def test_stable_id_is_deterministic_and_sensitive_to_each_part() -> None:
    assert stable_id("doc", "Item 7", 3) == stable_id("doc", "Item 7", 3)
    assert stable_id("doc", "Item 7", 3) != stable_id("doc", "Item 7", 4)
    assert stable_id("ab", "c") != stable_id("a", "bc")
    assert len(stable_id("x")) == 16


def test_table_block_renders_rows_with_pipes_and_drops_empty_cells() -> None:
    rows = (("", "2024", "2023"), ("Total revenues", "$ 97,690", "$ 96,773"), ("", "", ""))
    block = Block.table(rows, header_rows=1)
    assert block.text == "2024 | 2023\nTotal revenues | $ 97,690 | $ 96,773"
    assert render_table(()) == ""
    assert block.kind == "table" and block.header_rows == 1
    assert block.visible_text == block.text  # no footnotes: the rows alone


def test_a_tables_visible_text_ends_with_its_footnotes() -> None:
    notes = ("(1) Includes Beacon Controls, acquired March 3, 2024.", "(2) Discontinued in 2024.")
    table = Block.table((("Segment", "2024"), ("Industrial (1)(2)", "$ 512")), 1, footnotes=notes)
    assert table.text == "Segment | 2024\nIndustrial (1)(2) | $ 512"  # the rows, for chunking
    assert table.visible_text == table.text + "\n" + "\n".join(notes)  # as on the page
    section = Section("s", "Segments", 1, ("Segments",), blocks=(table,))
    assert section.text().endswith(notes[1])


def _doc() -> Document:
    note = Section(
        "n12",
        "Note 12 — Leases",
        3,
        ("Part II", "Item 8", "Note 12 — Leases"),
        kind="note",
        number="12",
        blocks=(Block("paragraph", "Operating leases."),),
    )
    item8 = Section(
        "i8",
        "Item 8",
        2,
        ("Part II", "Item 8"),
        kind="item",
        number="8",
        blocks=(Block("paragraph", "Financial statements."),),
        children=(note,),
    )
    part = Section("p2", "Part II", 1, ("Part II",), kind="part", number="II", children=(item8,))
    root = Section("root", "", 0, (), kind="document", children=(part,))
    return Document("acme-10k", "acme-10k.htm", root, {"form_type": "10-K"})


def test_document_walks_sections_in_order_and_finds_by_id() -> None:
    doc = _doc()
    assert [s.id for s in doc.sections()] == ["p2", "i8", "n12"]
    assert doc.section("n12").path_text == "Part II > Item 8 > Note 12 — Leases"
    assert doc.section("missing") is None
    assert "Operating leases." in doc.text and "Financial statements." in doc.text


def test_chunk_round_trips_through_dict_and_search_text_carries_path() -> None:
    chunk = Chunk(
        "c1",
        "acme-10k",
        "Cash was $5 million.",
        ("Item 7", "Liquidity"),
        "s7",
        links=("n12",),
        metadata={"ticker": "ACME"},
        page_start=3,
        page_end=4,
    )
    assert Chunk.from_dict(chunk.to_dict()) == chunk
    assert chunk.search_text == "Item 7 > Liquidity\nCash was $5 million."


def test_trace_records_stages() -> None:
    trace = Trace("q")
    trace.add("bm25", 1.5, 0, [Hit("c1", 3.0, 1, "bm25")], depth=100)
    assert trace.stage("bm25").hits_out == (("c1", 1, 3.0),)
    assert trace.to_dict()["stages"][0]["info"] == {"depth": 100}
    assert trace.stage("dense") is None
