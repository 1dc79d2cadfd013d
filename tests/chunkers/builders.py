"""Small realistic documents built directly from ragkit.types, independent of the parsers."""

from __future__ import annotations

from ragkit.types import Block, Document, Section, stable_id


def section(
    title: str,
    path: tuple[str, ...],
    kind: str = "heading",
    number: str | None = None,
    blocks: tuple[Block, ...] = (),
    children: tuple[Section, ...] = (),
) -> Section:
    """A section whose id derives from its path (as the parsers do)."""
    return Section(
        id=stable_id("doc", *path),
        title=title,
        level=len(path),
        path=path,
        kind=kind,  # type: ignore[arg-type]
        number=number,
        blocks=blocks,
        children=children,
    )


MDNA_PROSE = (
    "Net revenues increased 6% to $97.7 billion, driven by higher unit volumes in the "
    "Industrial segment and favorable pricing in the Consumer segment. Operating margin "
    "expanded 140 basis points as freight costs normalized and the U.S. plants reached full "
    "utilization. See Note 12 for the maturities of our operating lease liabilities. "
)

LIQUIDITY = " ".join(
    f"In quarter {q} of year {y}, cash provided by operating activities was ${q * y % 997:,} "
    f"million, reflecting working capital changes at our Tromsø and Dayton facilities."
    for y in range(2015, 2025)
    for q in range(1, 5)
)

RESULTS_ROWS = (
    ("", "2024", "2023", "2022"),
    ("Total revenues", "$ 97,690", "$ 96,773", "$ 81,462"),
    ("Cost of revenues", "71,220", "70,154", "60,609"),
    ("Net income (1)", "$ 7,130", "$ 6,215", "$ (1,204)"),
)

LONG_ROWS = (
    (
        ("", "", "Year Ended December 31,", ""),
        ("(in millions)", "2024", "2023", "2022"),
    )
    + tuple(
        (
            f"Flux Capacitor Series {i}" + (" (1)" if i == 3 else "") + (" (2)" if i == 71 else ""),
            f"$ {1000 + 12 * i:,}",
            f"$ {990 + 11 * i:,}",
            f"$ {960 + 10 * i:,}",
        )
        for i in range(1, 81)
    )
    + (("Total", "$ 97,690", "$ 96,773", "$ 81,462"),)
)

FOOTNOTES = (
    "(1) Includes revenue of Beacon Controls, acquired on March 3, 2024.",
    "(2) The Legacy Pump line was discontinued in the fourth quarter of 2024.",
)

INTRO = "The following table summarizes our results of operations for the periods presented:"
LONG_INTRO = "Revenue disaggregated by product line was as follows:"


def filing() -> Document:
    """A 10-K shaped document: Part I/II, Items 1A/7/8, notes 1, 7 and 12, tables, references."""
    p1, p2 = ("Part I",), ("Part II",)
    item1a = section(
        "Item 1A. Risk Factors",
        p1 + ("Item 1A. Risk Factors",),
        "item",
        "1A",
        (
            Block(
                "paragraph", "A single supplier in Tromsø provides 61% of our beryllium housings."
            ),
        ),
    )
    item7_path = p2 + ("Item 7. Management's Discussion and Analysis",)
    liquidity = section(
        "Liquidity and Capital Resources",
        item7_path + ("Liquidity and Capital Resources",),
        blocks=(
            Block("paragraph", LIQUIDITY),
            Block(
                "paragraph",
                "For our credit facility, refer to Note 7 of Notes to Consolidated Financial "
                "Statements. Risks are discussed in Part I, Item 1A of this Form 10-K.",
            ),
        ),
    )
    results = section(
        "Results of Operations",
        item7_path + ("Results of Operations",),
        blocks=(
            Block("paragraph", MDNA_PROSE),
            Block("paragraph", INTRO),
            Block.table(RESULTS_ROWS, header_rows=1, footnotes=(FOOTNOTES[0],)),
            Block("paragraph", "Revenue growth is discussed further in Item 8 (see note 1)."),
        ),
    )
    item7 = section(
        "Item 7. Management's Discussion and Analysis",
        item7_path,
        "item",
        "7",
        (Block("paragraph", "This discussion should be read with Item 8."),),
        (results, liquidity),
    )
    item8_path = p2 + ("Item 8. Financial Statements and Supplementary Data",)
    note1 = section(
        "Note 1 — Summary of Significant Accounting Policies",
        item8_path + ("Note 1 — Summary of Significant Accounting Policies",),
        "note",
        "1",
        (
            Block(
                "paragraph",
                "We recognize revenue when control of the flux capacitor "
                "transfers to the customer, as described in Note 7.",
            ),
            Block("paragraph", LONG_INTRO),
            Block.table(
                LONG_ROWS,
                header_rows=2,
                caption="Disaggregation of revenue by product line (in millions)",
                footnotes=FOOTNOTES,
            ),
        ),
    )
    note7 = section(
        "Note 7 — Debt",
        item8_path + ("Note 7 — Debt",),
        "note",
        "7",
        (
            Block(
                "paragraph",
                "The 4.125% Senior Notes due 2031 had an outstanding principal of "
                "$1,250 million. Notes 1 and 12 describe related policies.",
            ),
        ),
    )
    note12 = section(
        "Note 12 — Leases",
        item8_path + ("Note 12 — Leases",),
        "note",
        "12",
        (Block("paragraph", "Our leases have remaining terms of 1 to 17 years."),),
    )
    item8 = section(
        "Item 8. Financial Statements and Supplementary Data",
        item8_path,
        "item",
        "8",
        (),
        (note1, note7, note12),
    )
    part1 = section("Part I", p1, "part", "I", (), (item1a,))
    part2 = section("Part II", p2, "part", "II", (), (item7, item8))
    root = Section(
        id=stable_id("doc", "root"),
        title="",
        level=0,
        path=(),
        kind="document",
        blocks=(Block("paragraph", "ACME WIDGETS, INC. Annual Report on Form 10-K"),),
        children=(part1, part2),
    )
    meta = {
        "form_type": "10-K",
        "fiscal_year": 2024,
        "fiscal_period": "FY",
        "company": "Acme Widgets, Inc.",
        "ticker": "ACME",
        "cik": "0000123456",
        "period_end": "2024-12-31",
        "source_name": "acme-10k.htm",
        "format": "edgar-html",
    }
    return Document("acme-10k", "/data/acme-10k.htm", root, meta)


def paged() -> Document:
    """A paged document: blocks know their 0-based page."""
    blocks = tuple(
        Block(
            "paragraph",
            f"Page {p} paragraph {k}: revenue from segment {p * 10 + k} rose "
            f"{p + k}% on pricing and volume in the period.",
            page=p,
        )
        for p in range(6)
        for k in range(4)
    )
    sec = section("Item 7", ("Item 7",), "item", "7", blocks)
    root = Section(stable_id("paged", "root"), "", 0, (), "document", children=(sec,))
    return Document("paged", "/data/paged.txt", root, {"source_name": "paged.txt"})
