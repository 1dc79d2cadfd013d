"""Realistic synthetic documents (EDGAR 10-K/10-Q HTML, paged text, Markdown) for every test suite.

The HTML imitates what EDGAR's inline-XBRL filers (Workiva, Donnelley) write: an `ix:header`
inside a `display:none` div, a cover page, a linked table of contents, bold-styled `<div><span>`
headings, tables with `$` in separate cells and `&#160;` spacer cells, running footers and
`page-break` rules. Distinctive facts live in module-level dicts so that tests can assert on them.
"""

from __future__ import annotations

import html
from pathlib import Path

#: Facts of the synthetic 10-K that tests can search for (phrases appear verbatim in the text).
FACTS_10K: dict[str, object] = {
    "company": "Acme Widgets, Inc.",
    "ticker": "ACME",
    "cik": "0000123456",
    "form_type": "10-K",
    "fiscal_year": 2024,
    "fiscal_period": "FY",
    "period_end": "2024-12-31",
    "items": ["1", "1A", "1B", "1C", "2", "3", "4", "5", "7", "7A", "8", "9", "9A", "10", "15"],
    "parts": ["I", "II", "III", "IV"],
    "notes": list(range(1, 13)),
    "note_titles": {
        1: "Summary of Significant Accounting Policies",
        7: "Debt",
        12: "Leases",
    },
    # Item 1
    "business_phrase": "Acme designs precision flux capacitors for 1,842 industrial customers",
    "employees_phrase": "we employed approximately 12,407 full-time employees",
    # Item 1A
    "risk_heading": "Risks Related to Our Supply Chain",
    "risk_phrase": "a single supplier in Tromsø provides 61% of our beryllium housings",
    # Item 7
    "mdna_headings": ["Overview", "Results of Operations", "Liquidity and Capital Resources"],
    "subheading": "Cash Position",
    "subheading_parent": "Liquidity and Capital Resources",
    "cash_phrase": "cash, cash equivalents and marketable securities of $4,318 million",
    "see_note_sentence": "See Note 12 for the maturities of our operating lease liabilities.",
    "refer_note_sentence": (
        "refer to Note 7 of Notes to Consolidated Financial Statements for the terms of our "
        "revolving credit facility"
    ),
    "table_intro": (
        "The following table summarizes our results of operations for the periods presented:"
    ),
    "results_row": "Total revenues | $ 97,690 | $ 96,773 | $ 81,462",
    "net_income_row": "Net income | $ 7,130 | $ 6,215 | $ (1,204)",
    # Item 7A
    "market_risk_phrase": "a hypothetical 100 basis point increase in interest rates would reduce",
    # Item 8 / notes
    "policy_phrase": "We recognize revenue when control of the flux capacitor transfers",
    "debt_phrase": (
        "The 4.125% Senior Notes due 2031 had an outstanding principal of $1,250 million"
    ),
    "lease_phrase": "Our leases have remaining terms of 1 to 17 years",
    "long_table_caption": "Disaggregation of revenue by product line (in millions)",
    "long_table_rows": 80,
    "long_table_first_row": "Flux Capacitor Series 1 | $ 1,012 | $ 1,001 | $ 970",
    "long_table_total_row": "Total | $ 97,690 | $ 96,773 | $ 81,462",
    "footnote_1": "(1) Includes revenue of Beacon Controls, acquired on March 3, 2024.",
    "footnote_2": "(2) The Legacy Pump line was discontinued in the fourth quarter of 2024.",
    # Item 9A
    "controls_phrase": (
        "our disclosure controls and procedures were effective as of December 31, 2024"
    ),
}

#: Facts of the synthetic 10-Q.
FACTS_10Q: dict[str, object] = {
    "company": "Acme Widgets, Inc.",
    "ticker": "ACME",
    "cik": "0000123456",
    "form_type": "10-Q",
    "fiscal_year": 2024,
    "fiscal_period": "Q2",
    "period_end": "2024-06-30",
    "part1_items": ["1", "2", "3", "4"],
    "part2_items": ["1", "1A", "2", "5", "6"],
    "notes": [1, 2, 3, 4, 5],
    "note_titles": {1: "Basis of Presentation", 5: "Debt"},
    "basis_phrase": "The unaudited condensed consolidated financial statements of Acme",
    "debt_phrase": "borrowings under the commercial paper program were $310 million",
    "mdna_phrase": "second-quarter revenues rose 6% to $24,977 million",
    "see_note_sentence": "See Note 5 for a description of our commercial paper program.",
    "quarter_row": "Total revenues | $ 24,977 | $ 23,563",
    "legal_phrase": "a putative class action filed in the District of Delaware on April 9, 2024",
    "controls_phrase": "no change in our internal control over financial reporting occurred",
}

#: Facts of the synthetic paged text: phrase -> 0-based page number where it appears.
FACTS_TEXT: dict[str, object] = {
    "n_pages": 8,
    "pages": {
        "ANNUAL REPORT PURSUANT TO SECTION 13 OR 15(d)": 0,
        "Orbital Freight designs reusable cargo drones": 2,
        "a single supplier in Oulu provides 48% of rotor blades": 3,
        "Net cash provided by operating activities was $1,904 million": 4,
        "Total net revenues": 5,
        "Operating lease liabilities due after five years were $611 million": 7,
    },
    "headings": [
        "PART I",
        "Item 1. Business",
        "Item 1A. Risk Factors",
        "PART II",
        "Item 7. Management's Discussion and Analysis of Financial Condition and Results of "
        "Operations",
        "LIQUIDITY AND CAPITAL RESOURCES",
        "Item 8. Financial Statements and Supplementary Data",
        "Note 12 — Leases",
    ],
    "item7_pages": (4, 5),
    "note12_page": 7,
}

#: Facts of the synthetic Markdown guide.
FACTS_MARKDOWN: dict[str, object] = {
    "title": "Widget Operations Guide",
    "headings": ["Widget Operations Guide", "Installation", "Calibration", "Torque Settings"],
    "torque_phrase": "tighten the housing bolts to 42 newton-metres",
    "table_row": "M8 | 42 | 3",
    "table_header": "Bolt | Torque (N·m) | Passes",
}

_BODY = (
    "color:#000000;font-family:'Times New Roman',sans-serif;font-size:10pt;"
    "font-weight:400;line-height:120%"
)
_BOLD = (
    "color:#000000;font-family:'Times New Roman',sans-serif;font-size:10pt;"
    "font-weight:700;line-height:120%"
)
_BOLD_ITALIC = (
    "color:#000000;font-family:'Times New Roman',sans-serif;font-size:10pt;"
    "font-style:italic;font-weight:700;line-height:120%"
)
_PART = (
    "color:#000000;font-family:'Times New Roman',sans-serif;font-size:12pt;"
    "font-weight:700;line-height:120%"
)


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


def _p(text: str) -> str:
    """A body paragraph as Workiva writes it."""
    return (
        f'<div style="margin-top:6pt;text-indent:27pt;text-align:justify">'
        f'<span style="{_BODY}">{_esc(text)}</span></div>\n'
    )


def _heading(text: str, style: str = _BOLD, anchor: str = "", center: bool = False) -> str:
    align = "text-align:center;" if center else ""
    aid = f'<div id="{anchor}"></div>' if anchor else ""
    return (
        f'{aid}<div style="{align}margin-top:12pt"><span style="{style}">'
        f"{_esc(text).replace(' ', '&#160;', 1)}</span></div>\n"
    )


def _page_break(page_no: int, footer: str) -> str:
    """A running footer with the page number, then the page-break rule EDGAR filers emit."""
    return (
        '<div style="height:36pt;position:relative;width:100%"><div style="bottom:0;'
        'position:absolute;width:100%"><div style="text-align:center">'
        f'<span style="{_BODY}">{_esc(footer)} | {page_no}</span></div></div></div>'
        '<hr style="page-break-after:always"/>\n'
    )


def _money_cells(value: int) -> str:
    """`$` in its own cell, the number in the next, `)` in a third for negatives, spacers around."""
    num = f"{abs(value):,}"
    if value < 0:
        return (
            '<td style="padding:0 1pt"><span>$</span></td>'
            f'<td style="text-align:right"><span>({num}</span></td>'
            '<td style="padding:0 1pt"><span>)</span></td><td><span>&#160;</span></td>'
        )
    return (
        '<td style="padding:0 1pt"><span>$</span></td>'
        f'<td style="text-align:right"><span>{num}</span></td>'
        "<td><span>&#160;</span></td><td><span>&#160;</span></td>"
    )


def _plain_cells(value: int) -> str:
    num = f"{abs(value):,}"
    if value < 0:
        num = f"({num}"
        close = "<td><span>)</span></td>"
    else:
        close = "<td><span>&#160;</span></td>"
    return (
        "<td><span>&#160;</span></td>"
        f'<td style="text-align:right"><span>{num}</span></td>{close}<td><span>&#160;</span></td>'
    )


def _year_table(
    header: str, years: list[str], rows: list[tuple[str, list[int], bool]], caption: str = ""
) -> str:
    """A multi-period financial table: a spanning header row, a year row, then data rows.

    Each data row is (label, values, dollar_signs).
    """
    span = 4 * len(years)
    out = []
    if caption:
        out.append(
            f'<div style="text-align:center;margin-top:6pt"><span style="{_BOLD}">'
            f"{_esc(caption)}</span></div>"
        )
    out.append('<table style="border-collapse:collapse;width:100%">')
    out.append(
        f'<tr><td style="width:52%"><span>&#160;</span></td><td colspan="{span}" '
        f'style="text-align:center;border-bottom:1px solid #000"><span style="{_BOLD}">'
        f"{_esc(header)}</span></td></tr>"
    )
    year_cells = "".join(
        f'<td colspan="3" style="text-align:center"><span style="{_BOLD}">{y}</span></td>'
        "<td><span>&#160;</span></td>"
        for y in years
    )
    out.append(f"<tr><td><span>&#160;</span></td>{year_cells}</tr>")
    for label, values, dollars in rows:
        cells = "".join(_money_cells(v) if dollars else _plain_cells(v) for v in values)
        out.append(
            f'<tr><td style="padding-left:10pt"><span style="{_BODY}">{_esc(label)}</span></td>'
            f"{cells}</tr>"
        )
    out.append("</table>\n")
    return "".join(out)


def _ix_header(
    form: str, company: str, ticker: str, cik: str, fiscal_year: int, period: str, end: str
) -> str:
    """The hidden inline-XBRL header with dei: facts, as EDGAR filers write it."""
    facts = [
        ("dei:DocumentType", form),
        ("dei:DocumentPeriodEndDate", end),
        ("dei:DocumentFiscalYearFocus", str(fiscal_year)),
        ("dei:DocumentFiscalPeriodFocus", period),
        ("dei:EntityRegistrantName", company),
        ("dei:EntityCentralIndexKey", cik),
        ("dei:TradingSymbol", ticker),
        ("dei:AmendmentFlag", "false"),
    ]
    hidden = "".join(
        f'<ix:nonNumeric name="{name}" contextRef="c-1" id="f-{i}">{_esc(value)}</ix:nonNumeric>'
        for i, (name, value) in enumerate(facts)
    )
    return (
        '<div style="display:none"><ix:header><ix:hidden>'
        f"{hidden}</ix:hidden><ix:references><link:schemaRef "
        'xlink:href="acme-20241231.xsd" xlink:type="simple"/></ix:references>'
        '<ix:resources><xbrli:context id="c-1"><xbrli:entity><xbrli:identifier '
        f'scheme="http://www.sec.gov/CIK">{cik}</xbrli:identifier></xbrli:entity>'
        "</xbrli:context></ix:resources></ix:header></div>\n"
    )


def _head(title: str) -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<html xmlns="http://www.w3.org/1999/xhtml" xmlns:ix="http://www.xbrl.org/2013/inlineXBRL" '
        'xmlns:dei="http://xbrl.sec.gov/dei/2024" xmlns:xbrli="http://www.xbrl.org/2003/instance" '
        'xmlns:link="http://www.xbrl.org/2003/linkbase" xmlns:xlink="http://www.w3.org/1999/xlink">'
        f'<head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"/>'
        f"<title>{_esc(title)}</title><style>.hidden {{display:none}} td {{padding:0}}</style>"
        "<script>var tracking = 'do not index this script text';</script></head>"
        '<body><div style="padding-left:72pt;padding-right:72pt">\n'
    )


def _toc(entries: list[tuple[str, str, str, int]]) -> str:
    """A linked table of contents: (part or item label, title, anchor, page) per row."""
    out = [
        f'<div style="text-align:center;margin-top:12pt"><span style="{_BOLD}">TABLE OF CONTENTS'
        "</span></div>",
        '<table style="width:100%">',
        f'<tr><td colspan="2"><span style="{_BOLD}">&#160;</span></td>'
        f'<td style="text-align:right"><span style="{_BOLD}">Page</span></td></tr>',
    ]
    for label, title, anchor, page in entries:
        if not title:  # a part row
            out.append(
                f'<tr><td colspan="3" style="text-align:center"><a href="#{anchor}">'
                f'<span style="{_BOLD}">{_esc(label)}</span></a></td></tr>'
            )
            continue
        out.append(
            f'<tr><td style="width:12%"><a href="#{anchor}"><span style="{_BODY}">'
            f"{_esc(label)}</span></a></td>"
            f'<td><a href="#{anchor}"><span style="{_BODY}">{_esc(title)}</span></a></td>'
            f'<td style="text-align:right"><span style="{_BODY}">{page}</span></td></tr>'
        )
    out.append("</table>\n")
    return "".join(out)


_PRODUCT_LINES = [
    "Flux Capacitor",
    "Industrial Sensors",
    "Legacy Pumps",
    "Servo Drives",
    "Hydraulic Valves",
    "Control Software",
    "Field Services",
    "Spare Parts",
]


def _long_table_rows() -> list[tuple[str, list[int], bool]]:
    """79 product-line rows plus a Total row whose values are the published totals."""
    rows: list[tuple[str, list[int], bool]] = []
    totals = [97_690, 96_773, 81_462]
    sums = [0, 0, 0]
    for i in range(79):
        line = _PRODUCT_LINES[i % len(_PRODUCT_LINES)]
        series = i // len(_PRODUCT_LINES) + 1
        label = f"{line} Series {series}"
        if i == 1:
            label += " (1)"
        if i == 2:
            label += " (2)"
        vals = [1_012 + 7 * i, 1_001 + 5 * i, 970 + 3 * i]
        rows.append((label, vals, i == 0))
        sums = [s + v for s, v in zip(sums, vals, strict=True)]
    # make the last product row absorb the difference so that the total is the published one
    label, vals, dollars = rows[-1]
    rows[-1] = (label, [v + t - s for v, t, s in zip(vals, totals, sums, strict=True)], dollars)
    rows.append(("Total", totals, True))
    return rows


def synthetic_10k_html(
    company: str = "Acme Widgets, Inc.",
    ticker: str = "ACME",
    cik: str = "0000123456",
    fiscal_year: int = 2024,
) -> str:
    """An inline-XBRL 10-K as EDGAR filers write it (see FACTS_10K for what it contains)."""
    f = FACTS_10K
    fy = fiscal_year
    years = [str(fy), str(fy - 1), str(fy - 2)]
    footer = f"{company} | {fy} Form 10-K"
    end = f"{fy}-12-31"
    out: list[str] = [
        _head(f"{ticker.lower()}-{fy}1231"),
        _ix_header("10-K", company, ticker, cik, fy, "FY", end),
    ]
    page = 1

    def brk() -> None:
        nonlocal page
        out.append(_page_break(page, footer))
        page += 1

    # cover page
    out.append(
        f'<div style="text-align:center"><span style="{_BOLD}">UNITED STATES</span></div>'
        f'<div style="text-align:center"><span style="{_BOLD}">SECURITIES AND EXCHANGE COMMISSION'
        "</span></div>"
        f'<div style="text-align:center"><span style="{_BODY}">Washington, D.C. 20549</span></div>'
        f'<div style="text-align:center;margin-top:12pt"><span style="font-size:18pt;'
        f'font-weight:700">FORM <ix:nonNumeric name="dei:DocumentType" contextRef="c-1">10-K'
        "</ix:nonNumeric></span></div>\n"
        f'<div><span style="{_BODY}">&#9746; ANNUAL REPORT PURSUANT TO SECTION 13 OR 15(d) OF '
        "THE SECURITIES EXCHANGE ACT OF 1934</span></div>"
        f'<div style="text-align:center"><span style="{_BODY}">For the fiscal year ended December '
        f"31, {fy}</span></div>"
        f'<div style="text-align:center"><span style="{_BODY}">Commission File Number 001-34567'
        "</span></div>"
        f'<div style="text-align:center;margin-top:12pt"><span style="font-size:16pt;'
        f'font-weight:700"><ix:nonNumeric name="dei:EntityRegistrantName" contextRef="c-1">'
        f"{_esc(company)}</ix:nonNumeric></span></div>"
        f'<div style="text-align:center"><span style="{_BODY}">(Exact name of registrant as '
        "specified in its charter)</span></div>\n"
        '<table style="width:100%"><tr><td><span>Delaware</span></td><td><span>&#160;</span></td>'
        "<td><span>94-1234567</span></td></tr><tr><td><span>(State of incorporation)</span></td>"
        "<td></td><td><span>(I.R.S. Employer Identification No.)</span></td></tr></table>\n"
        '<table style="width:100%"><tr><td><span>Title of each class</span></td><td><span>Trading '
        "Symbol(s)</span></td><td><span>Name of exchange on which registered</span></td></tr>"
        "<tr><td><span>Common Stock, $0.001 par value</span></td><td><span>"
        f'<ix:nonNumeric name="dei:TradingSymbol" contextRef="c-1">{_esc(ticker)}</ix:nonNumeric>'
        "</span></td><td><span>The Nasdaq Global Select Market</span></td></tr></table>\n"
    )
    out.append(
        _p(
            "Indicate by check mark whether the registrant (1) has filed all reports required "
            "to be "
            "filed by Section 13 or 15(d) of the Securities Exchange Act of 1934 during the "
            "preceding 12 months. Yes \u2612 No \u2610"
        )
    )
    brk()

    # table of contents
    toc = [
        ("PART I", "", "p1", 0),
        ("Item 1.", "Business", "i1", 3),
        ("Item 1A.", "Risk Factors", "i1a", 5),
        ("Item 1B.", "Unresolved Staff Comments", "i1b", 7),
        ("Item 1C.", "Cybersecurity", "i1c", 7),
        ("Item 2.", "Properties", "i2", 8),
        ("Item 3.", "Legal Proceedings", "i3", 8),
        ("Item 4.", "Mine Safety Disclosures", "i4", 8),
        ("PART II", "", "p2", 0),
        (
            "Item 5.",
            "Market for Registrant's Common Equity, Related Stockholder Matters and "
            "Issuer Purchases of Equity Securities",
            "i5",
            9,
        ),
        ("Item 6.", "[Reserved]", "i6", 9),
        (
            "Item 7.",
            "Management's Discussion and Analysis of Financial Condition and Results of Operations",
            "i7",
            10,
        ),
        ("Item 7A.", "Quantitative and Qualitative Disclosures About Market Risk", "i7a", 13),
        ("Item 8.", "Financial Statements and Supplementary Data", "i8", 14),
        (
            "Item 9.",
            "Changes in and Disagreements with Accountants on Accounting and Financial Disclosure",
            "i9",
            24,
        ),
        ("Item 9A.", "Controls and Procedures", "i9a", 24),
        ("PART III", "", "p3", 0),
        ("Item 10.", "Directors, Executive Officers and Corporate Governance", "i10", 25),
        ("PART IV", "", "p4", 0),
        ("Item 15.", "Exhibits and Financial Statement Schedules", "i15", 26),
    ]
    out.append(_toc(toc))
    brk()

    # PART I
    out.append(_heading("PART I", _PART, "p1", center=True))
    out.append(_heading("ITEM 1. BUSINESS", _BOLD, "i1"))
    out.append(_heading("Overview", _BOLD_ITALIC))
    out.append(
        _p(
            f"{company} (\u201c{company.split(',')[0].split()[0]}\u201d, \u201cwe\u201d or "
            f"\u201cus\u201d) was incorporated in Delaware in 1987. {f['business_phrase']} across "
            "North America, Europe and Asia. Our products convert intermittent power into stable "
            "current for factories, data centres and rail operators."
        )
    )
    out.append(_heading("Human Capital", _BOLD_ITALIC))
    out.append(
        _p(
            f"As of December 31, {fy}, {f['employees_phrase']}, of whom 38% worked in "
            "manufacturing "
            "and 21% in research and development."
        )
    )
    brk()
    out.append(_heading("ITEM 1A. RISK FACTORS", _BOLD, "i1a"))
    out.append(
        _p(
            "Our business is subject to many risks. The risks described below could materially and "
            "adversely affect our business, financial condition and results of operations."
        )
    )
    out.append(_heading(str(f["risk_heading"]), _BOLD_ITALIC))
    out.append(
        _p(
            f"We depend on a small number of suppliers; {f['risk_phrase']}, and an interruption at "
            "that plant would delay shipments for up to two quarters."
        )
    )
    out.append(_heading("Risks Related to Interest Rates", _BOLD_ITALIC))
    out.append(
        _p(
            "Higher interest rates increase the cost of our floating-rate borrowings. For more "
            "information on our market risk, see Part II, Item 7A of this Annual Report."
        )
    )
    brk()
    out.append(_heading("ITEM 1B. UNRESOLVED STAFF COMMENTS", _BOLD, "i1b"))
    out.append(_p("None."))
    out.append(_heading("ITEM 1C. CYBERSECURITY", _BOLD, "i1c"))
    out.append(
        _p(
            "Our Chief Information Security Officer reports quarterly to the Audit Committee "
            "on the "
            "results of penetration tests and the status of our incident response plan."
        )
    )
    out.append(_heading("ITEM 2. PROPERTIES", _BOLD, "i2"))
    out.append(
        _p(
            "Our headquarters occupy 410,000 square feet in Fremont, California, under a lease "
            "that "
            "expires in 2036."
        )
    )
    out.append(_heading("ITEM 3. LEGAL PROCEEDINGS", _BOLD, "i3"))
    out.append(
        _p(
            "For a description of our material pending legal proceedings, see Note 11 \u2014 "
            "Commitments and Contingencies in the Notes to Consolidated Financial Statements."
        )
    )
    out.append(_heading("ITEM 4. MINE SAFETY DISCLOSURES", _BOLD, "i4"))
    out.append(_p("Not applicable."))
    brk()

    # PART II
    out.append(_heading("PART II", _PART, "p2", center=True))
    out.append(
        _heading(
            "ITEM 5. MARKET FOR REGISTRANT\u2019S COMMON EQUITY, RELATED STOCKHOLDER MATTERS AND "
            "ISSUER PURCHASES OF EQUITY SECURITIES",
            _BOLD,
            "i5",
        )
    )
    out.append(
        _p(
            f"Our common stock trades on The Nasdaq Global Select Market under the symbol "
            f"\u201c{ticker}\u201d. As of January 31, {fy + 1}, there were 2,311 holders of record."
        )
    )
    out.append(_heading("ITEM 6. [RESERVED]", _BOLD, "i6"))
    brk()
    out.append(
        _heading(
            "ITEM 7. MANAGEMENT\u2019S DISCUSSION AND ANALYSIS OF FINANCIAL CONDITION AND "
            "RESULTS OF "
            "OPERATIONS",
            _BOLD,
            "i7",
        )
    )
    out.append(
        _p(
            "The following discussion should be read together with our consolidated financial "
            "statements and the related notes included in Part II, Item 8 of this Annual Report."
        )
    )
    out.append(_heading("Overview", _BOLD))
    out.append(
        _p(
            f"In {fy}, revenues grew 1% as price increases on flux capacitors offset lower volumes "
            "of servo drives. Gross margin widened to 41.7% from 39.2%."
        )
    )
    out.append(_heading("Results of Operations", _BOLD))
    out.append(_p(str(f["table_intro"])))
    out.append(
        _year_table(
            "Year Ended December 31,",
            years,
            [
                ("Total revenues", [97_690, 96_773, 81_462], True),
                ("Cost of revenues", [56_952, 58_838, 50_019], False),
                ("Gross profit", [40_738, 37_935, 31_443], False),
                ("Operating expenses", [31_802, 30_108, 32_347], False),
                ("Net income", [7_130, 6_215, -1_204], True),
            ],
        )
    )
    out.append(
        _p(
            "Revenues from flux capacitors increased $917 million, driven by the launch of the "
            "Series 9 product family in the second quarter."
        )
    )
    brk()
    out.append(_heading("Liquidity and Capital Resources", _BOLD))
    out.append(
        _p(
            "We finance our operations with cash generated by operations, our revolving credit "
            f"facility and senior notes. For more information, {f['refer_note_sentence']}."
        )
    )
    out.append(_heading("Cash Position", _BOLD_ITALIC))
    out.append(
        _p(
            f"As of December 31, {fy}, we held {f['cash_phrase']}, of which $1,120 million was "
            "held "
            "by foreign subsidiaries."
        )
    )
    out.append(_heading("Contractual Obligations", _BOLD_ITALIC))
    out.append(
        _p(
            "Our contractual obligations consist primarily of debt principal, interest and lease "
            f"payments. {f['see_note_sentence']}"
        )
    )
    out.append(_heading("Critical Accounting Estimates", _BOLD))
    out.append(
        _p(
            "Our most significant estimates relate to warranty reserves and inventory valuation. "
            "See Note 1 for our significant accounting policies."
        )
    )
    brk()
    out.append(
        _heading(
            "ITEM 7A. QUANTITATIVE AND QUALITATIVE DISCLOSURES ABOUT MARKET RISK", _BOLD, "i7a"
        )
    )
    out.append(
        _p(
            "We are exposed to interest rate risk on our variable-rate debt; "
            f"{f['market_risk_phrase']} "
            "our annual pre-tax income by approximately $14 million."
        )
    )
    brk()

    # ITEM 8
    out.append(_heading("ITEM 8. FINANCIAL STATEMENTS AND SUPPLEMENTARY DATA", _BOLD, "i8"))
    out.append(_heading("CONSOLIDATED STATEMENTS OF OPERATIONS", _BOLD, center=True))
    out.append(_p("(in millions, except per share data)"))
    out.append(
        _year_table(
            "Year Ended December 31,",
            years,
            [
                ("Total revenues", [97_690, 96_773, 81_462], True),
                ("Cost of revenues", [56_952, 58_838, 50_019], False),
                ("Net income", [7_130, 6_215, -1_204], True),
                ("Diluted earnings per share", [3, 2, -1], True),
            ],
        )
    )
    out.append(
        _p(
            "The accompanying notes are an integral part of these consolidated financial "
            "statements."
        )
    )
    brk()
    out.append(_heading("NOTES TO CONSOLIDATED FINANCIAL STATEMENTS", _BOLD, center=True))
    note_bodies = {
        1: f"{f['policy_phrase']} to the customer, generally upon shipment. Principles of "
        "consolidation: the financial statements include the accounts of Acme and its "
        "wholly owned subsidiaries.",
        2: "On March 3, 2024, we acquired Beacon Controls for $412 million in cash.",
        3: "We disaggregate revenue by product line, as shown in the table below.",
        4: "Inventories consisted of raw materials of $2,114 million and finished goods of "
        "$3,006 million.",
        5: "Property, plant and equipment is stated at cost less accumulated depreciation.",
        6: "Goodwill was tested for impairment in the fourth quarter and no impairment was found.",
        7: f"{f['debt_phrase']} as of December 31, {fy}. The notes pay interest semi-annually.",
        8: "Our effective tax rate was 17.9% compared with 19.4% in the prior year.",
        9: "We grant restricted stock units that vest over four years.",
        10: "Basic earnings per share is computed by dividing net income by weighted shares.",
        11: "We are party to legal proceedings arising in the ordinary course of business.",
        12: f"{f['lease_phrase']}, some of which include options to extend for up to 10 years.",
    }
    titles = {
        1: "Summary of Significant Accounting Policies",
        2: "Acquisitions",
        3: "Revenue",
        4: "Inventories",
        5: "Property, Plant and Equipment",
        6: "Goodwill and Intangible Assets",
        7: "Debt",
        8: "Income Taxes",
        9: "Stock-Based Compensation",
        10: "Earnings Per Share",
        11: "Commitments and Contingencies",
        12: "Leases",
    }
    for n in range(1, 13):
        out.append(_heading(f"Note {n} \u2014 {titles[n]}", _BOLD))
        if n == 1:
            out.append(_heading("Revenue Recognition", _BOLD_ITALIC))
        out.append(_p(note_bodies[n]))
        if n == 3:
            out.append(_p("The following table presents revenue by product line for each year:"))
            out.append(
                _year_table(
                    "Year Ended December 31,",
                    years,
                    _long_table_rows(),
                    caption=str(f["long_table_caption"]),
                )
            )
            out.append(_p(str(f["footnote_1"])))
            out.append(_p(str(f["footnote_2"])))
            out.append(
                _p("Revenue from the United States represented 54% of total revenues in each year.")
            )
            brk()
        if n == 7:
            out.append(
                _year_table(
                    "December 31,",
                    years[:2],
                    [
                        ("4.125% Senior Notes due 2031", [1_250, 1_250], True),
                        ("Revolving credit facility", [400, 0], False),
                        ("Total debt", [1_650, 1_250], True),
                    ],
                )
            )
        if n == 12:
            out.append(
                _p(
                    "Maturities of operating lease liabilities were $212 million in 2025 and "
                    "$611 million thereafter."
                )
            )
    brk()
    out.append(
        _heading(
            "ITEM 9. CHANGES IN AND DISAGREEMENTS WITH ACCOUNTANTS ON ACCOUNTING AND FINANCIAL "
            "DISCLOSURE",
            _BOLD,
            "i9",
        )
    )
    out.append(_p("None."))
    out.append(_heading("ITEM 9A. CONTROLS AND PROCEDURES", _BOLD, "i9a"))
    out.append(_heading("Evaluation of Disclosure Controls and Procedures", _BOLD_ITALIC))
    out.append(
        _p(
            "Our Chief Executive Officer and Chief Financial Officer concluded that "
            f"{f['controls_phrase']}."
        )
    )
    brk()
    out.append(_heading("PART III", _PART, "p3", center=True))
    out.append(
        _heading("ITEM 10. DIRECTORS, EXECUTIVE OFFICERS AND CORPORATE GOVERNANCE", _BOLD, "i10")
    )
    out.append(
        _p(
            "The information required by this item is incorporated by reference to our Proxy "
            f"Statement for the {fy + 1} Annual Meeting of Stockholders."
        )
    )
    out.append(_heading("PART IV", _PART, "p4", center=True))
    out.append(_heading("ITEM 15. EXHIBITS AND FINANCIAL STATEMENT SCHEDULES", _BOLD, "i15"))
    out.append(_p("The exhibits listed in the Exhibit Index are filed as part of this report."))
    out.append(_heading("SIGNATURES", _BOLD, center=True))
    out.append(
        _p(
            "Pursuant to the requirements of the Securities Exchange Act of 1934, the "
            "registrant has "
            "duly caused this report to be signed on its behalf."
        )
    )
    out.append(_page_break(page, footer))
    out.append("</div></body></html>\n")
    return "".join(out)


def synthetic_10q_html(
    company: str = "Acme Widgets, Inc.",
    ticker: str = "ACME",
    cik: str = "0000123456",
    fiscal_year: int = 2024,
) -> str:
    """An inline-XBRL 10-Q for the second quarter (see FACTS_10Q)."""
    f = FACTS_10Q
    fy = fiscal_year
    end = f"{fy}-06-30"
    footer = f"{company} | Q2 {fy} Form 10-Q"
    out: list[str] = [
        _head(f"{ticker.lower()}-{fy}0630"),
        _ix_header("10-Q", company, ticker, cik, fy, "Q2", end),
    ]
    page = 1

    def brk() -> None:
        nonlocal page
        out.append(_page_break(page, footer))
        page += 1

    out.append(
        f'<div style="text-align:center"><span style="{_BOLD}">UNITED STATES SECURITIES AND '
        "EXCHANGE COMMISSION</span></div>"
        f'<div style="text-align:center"><span style="font-size:18pt;font-weight:700">FORM 10-Q'
        "</span></div>"
        f'<div><span style="{_BODY}">&#9746; QUARTERLY REPORT PURSUANT TO SECTION 13 OR 15(d) OF '
        "THE SECURITIES EXCHANGE ACT OF 1934</span></div>"
        f'<div style="text-align:center"><span style="{_BODY}">For the quarterly period ended '
        f"June 30, {fy}</span></div>"
        f'<div style="text-align:center"><span style="font-size:16pt;font-weight:700">'
        f"{_esc(company)}</span></div>"
        f'<div style="text-align:center"><span style="{_BODY}">(Exact name of registrant as '
        "specified in its charter)</span></div>\n"
    )
    brk()
    toc = [
        ("PART I. FINANCIAL INFORMATION", "", "p1", 0),
        ("Item 1.", "Financial Statements", "q1", 3),
        (
            "Item 2.",
            "Management's Discussion and Analysis of Financial Condition and Results of Operations",
            "q2",
            9,
        ),
        ("Item 3.", "Quantitative and Qualitative Disclosures About Market Risk", "q3", 12),
        ("Item 4.", "Controls and Procedures", "q4", 12),
        ("PART II. OTHER INFORMATION", "", "p2", 0),
        ("Item 1.", "Legal Proceedings", "r1", 13),
        ("Item 1A.", "Risk Factors", "r1a", 13),
        ("Item 2.", "Unregistered Sales of Equity Securities and Use of Proceeds", "r2", 13),
        ("Item 5.", "Other Information", "r5", 14),
        ("Item 6.", "Exhibits", "r6", 14),
    ]
    out.append(_toc(toc))
    brk()
    out.append(_heading("PART I. FINANCIAL INFORMATION", _PART, "p1", center=True))
    out.append(_heading("ITEM 1. FINANCIAL STATEMENTS", _BOLD, "q1"))
    out.append(_heading("CONDENSED CONSOLIDATED STATEMENTS OF OPERATIONS", _BOLD, center=True))
    out.append(_p("(in millions, unaudited)"))
    out.append(
        _year_table(
            "Three Months Ended June 30,",
            [str(fy), str(fy - 1)],
            [
                ("Total revenues", [24_977, 23_563], True),
                ("Net income", [1_902, 1_644], True),
            ],
        )
    )
    brk()
    out.append(
        _heading(
            "NOTES TO CONDENSED CONSOLIDATED FINANCIAL STATEMENTS (UNAUDITED)", _BOLD, center=True
        )
    )
    notes = {
        1: (
            "Basis of Presentation",
            f"{f['basis_phrase']} have been prepared in accordance "
            "with U.S. GAAP for interim financial information.",
        ),
        2: ("Revenue", "Revenue by product line is presented in our Annual Report."),
        3: ("Inventories", "Inventories increased $210 million from December 31."),
        4: ("Income Taxes", "The effective tax rate for the quarter was 18.3%."),
        5: (
            "Debt",
            f"As of June 30, {fy}, {f['debt_phrase']}, with a weighted-average rate of 5.4%.",
        ),
    }
    for n, (title, body) in notes.items():
        out.append(_heading(f"Note {n}. {title}", _BOLD))
        out.append(_p(body))
    brk()
    out.append(
        _heading(
            "ITEM 2. MANAGEMENT\u2019S DISCUSSION AND ANALYSIS OF FINANCIAL CONDITION AND "
            "RESULTS OF "
            "OPERATIONS",
            _BOLD,
            "q2",
        )
    )
    out.append(_heading("Second Quarter Highlights", _BOLD))
    out.append(_p(f"In the quarter, {f['mdna_phrase']}. {f['see_note_sentence']}"))
    out.append(_heading("Liquidity and Capital Resources", _BOLD))
    out.append(_p("Cash from operations funded capital expenditures of $611 million."))
    out.append(
        _heading("ITEM 3. QUANTITATIVE AND QUALITATIVE DISCLOSURES ABOUT MARKET RISK", _BOLD, "q3")
    )
    out.append(_p("There were no material changes to our market risk since December 31."))
    out.append(_heading("ITEM 4. CONTROLS AND PROCEDURES", _BOLD, "q4"))
    out.append(_p(f"During the quarter, {f['controls_phrase']} that materially affected it."))
    brk()
    out.append(_heading("PART II. OTHER INFORMATION", _PART, "p2", center=True))
    out.append(_heading("ITEM 1. LEGAL PROCEEDINGS", _BOLD, "r1"))
    out.append(_p(f"We are defending {f['legal_phrase']}. See Note 4 for tax matters."))
    out.append(_heading("ITEM 1A. RISK FACTORS", _BOLD, "r1a"))
    out.append(_p("There have been no material changes to the risk factors in our Form 10-K."))
    out.append(
        _heading("ITEM 2. UNREGISTERED SALES OF EQUITY SECURITIES AND USE OF PROCEEDS", _BOLD, "r2")
    )
    out.append(_p("We repurchased 1.2 million shares for $96 million during the quarter."))
    out.append(_heading("ITEM 5. OTHER INFORMATION", _BOLD, "r5"))
    out.append(_p("None of our directors adopted a Rule 10b5-1 trading arrangement."))
    out.append(_heading("ITEM 6. EXHIBITS", _BOLD, "r6"))
    out.append(_p("31.1 Certification of the Chief Executive Officer."))
    out.append(_page_break(page, footer))
    out.append("</div></body></html>\n")
    return "".join(out)


def synthetic_text_pages() -> str:
    """A FinanceBench-like pdftotext extraction: form-feed pages, tables one cell per line."""
    footer = "Orbital Freight Corp. 2023 Form 10-K"
    pages = [
        # 0: cover
        "UNITED STATES\nSECURITIES AND EXCHANGE COMMISSION\nWashington, D.C. 20549\n\nFORM 10-K\n\n"
        "ANNUAL REPORT PURSUANT TO SECTION 13 OR 15(d) OF THE SECURITIES EXCHANGE ACT OF 1934\n"
        "For the fiscal year ended December 31, 2023\n\nORBITAL FREIGHT CORP.\n"
        "(Exact name of registrant as specified in its charter)\n",
        # 1: TOC
        "TABLE OF CONTENTS\n\nPART I\nItem 1.\nBusiness\n3\nItem 1A.\nRisk Factors\n4\nPART II\n"
        "Item 7.\nManagement's Discussion and Analysis\n5\nItem 8.\nFinancial Statements\n7\n",
        # 2: Item 1
        "PART I\n\nItem 1. Business\n\nOVERVIEW\n\nOrbital Freight designs reusable cargo drones "
        "for\nregional logistics operators in 14 countries.\nWe sell drones, charging pads and "
        "route-planning software to\nparcel carriers, hospitals and mining companies, and we "
        "operate a\nfleet of 2,300 leased drones for customers that prefer a service.\n",
        # 3: Item 1A
        "Item 1A. Risk Factors\n\nRISKS RELATED TO SUPPLY\n\nWe rely on few suppliers, and "
        "a single supplier in Oulu provides 48% of rotor blades.\nA disruption would delay "
        "deliveries of new drones for\nup to two quarters and raise our costs, because "
        "qualifying a second\nsupplier takes at least nine months.\n",
        # 4: Item 7
        "PART II\n\nItem 7. Management's Discussion and Analysis of Financial Condition and "
        "Results of Operations\n\nLIQUIDITY AND CAPITAL RESOURCES\n\nNet cash provided by "
        "operating activities was $1,904 million in 2023,\ncompared with $1,511 million in "
        "2022. See Note 12 for lease commitments.\n",
        # 5: Item 7 continued, a table one cell per line
        "RESULTS OF OPERATIONS\n\n(in millions)\n2023\n2022\nDrone sales\n$\n3,410\n$\n2,977\n"
        "Software\n812\n640\nTotal net revenues\n$\n4,222\n$\n3,617\n",
        # 6: Item 8
        "Item 8. Financial Statements and Supplementary Data\n\nCONSOLIDATED BALANCE SHEETS\n\n"
        "Cash and cash equivalents\n$\n2,031\n$\n1,488\nTotal assets\n$\n9,870\n$\n8,902\n",
        # 7: Note 12
        "NOTES TO CONSOLIDATED FINANCIAL STATEMENTS\n\nNote 12 — Leases\n\nWe lease hangars "
        "and charging depots under operating leases.\nOperating lease liabilities due after "
        "five years were $611 million.\n",
    ]
    return "\f".join(f"{body}\n{footer}\n{i + 1}\n" for i, body in enumerate(pages))


def synthetic_markdown() -> str:
    """A Markdown operations guide with `#` headings and a pipe table (see FACTS_MARKDOWN)."""
    return (
        "# Widget Operations Guide\n\n"
        "This guide explains how to install and calibrate an Acme widget.\n\n"
        "## Installation\n\n"
        "Mount the widget on a level surface and connect the 24 V supply.\n\n"
        "- Check the supply polarity.\n- Ground the chassis.\n\n"
        "## Calibration\n\n"
        "Run the calibration routine after every firmware update.\n\n"
        "### Torque Settings\n\n"
        f"Always {FACTS_MARKDOWN['torque_phrase']} in a star pattern.\n\n"
        "| Bolt | Torque (N·m) | Passes |\n"
        "|------|-------------:|-------:|\n"
        "| M6   | 18           | 2      |\n"
        "| M8   | 42           | 3      |\n"
        "| M10  | 80           | 3      |\n"
    )


def write_synthetic_corpus(folder: Path) -> dict[str, Path]:
    """Write every synthetic document into `folder`; return {kind: path}."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "10k": ("acme-10k-fy2024.htm", synthetic_10k_html()),
        "10q": ("acme-10q-2024q2.htm", synthetic_10q_html()),
        "text": ("orbital-10k-2023.txt", synthetic_text_pages()),
        "markdown": ("widget-guide.md", synthetic_markdown()),
    }
    out: dict[str, Path] = {}
    for kind, (name, content) in files.items():
        path = folder / name
        path.write_text(content, encoding="utf-8")
        out[kind] = path
    return out
