"""Finding cross-references in filing prose and resolving them to sections."""

from __future__ import annotations

import pytest

from ragkit.chunkers import find_references, resolve_reference

from .builders import filing


def _labels(text: str) -> list[str]:
    return [r.label for r in find_references(text)]


@pytest.mark.parametrize(
    ("text", "labels"),
    [
        ("See Note 12 for the maturities.", ["Note 12"]),
        ("refer to Note 20 of Notes to Consolidated Financial Statements", ["Note 20"]),
        ("as described in Note 7.", ["Note 7"]),
        ("were impaired (see note 8).", ["Note 8"]),
        ("(See Note 19 to the Consolidated Financial Statements)", ["Note 19"]),
        ("See Note 12—Settlement Guarantee Management", ["Note 12"]),
        ("Notes 3 and 4 describe", ["Note 3", "Note 4"]),
        ("see Notes 3, 4 and 15", ["Note 3", "Note 4", "Note 15"]),
        ("discussed in Item 1A. Risk Factors", ["Item 1A"]),
        ("in Part II, Item 8 of this report", ["Part II, Item 8"]),
        ("Item 7 of this Form 10-K", ["Item 7"]),
        ("Item 8 of Part II", ["Part II, Item 8"]),
        ("Items 7 and 7A", ["Item 7", "Item 7A"]),
        ("the information in Part III of this report", ["Part III"]),
        # not references: debt instruments, percentages, years, lowercase generic items
        ("The 4.125% Senior Notes due 2031 and the 2030 Notes", []),
        ("our 5.5% Notes 2031 were redeemed", []),
        ("each line item in the table", []),
    ],
)
def test_find_references(text: str, labels: list[str]) -> None:
    assert _labels(text) == labels


def test_reference_text_and_span() -> None:
    text = "For details, refer to Note 20 of Notes to Consolidated Financial Statements."
    (ref,) = find_references(text)
    assert ref.kind == "note" and ref.number == "20"
    assert text[ref.start : ref.end] == ref.text
    assert ref.text == "Note 20 of Notes to Consolidated Financial Statements"


def test_external_reference_detected() -> None:
    (ref,) = find_references("see Note 12 of our 2023 Annual Report on Form 10-K for details")
    assert (ref.external_form, ref.external_year) == ("10-K", 2023)
    (ref,) = find_references("Part II, Item 1A. Risk Factors of our 2024 Form 10-K")
    assert ref.external_form == "10-K"


def test_resolve_in_document() -> None:
    doc = filing()
    by_title = {s.title: s for s in doc.sections()}
    assert resolve_reference(doc, "Note 12") is by_title["Note 12 — Leases"]
    assert resolve_reference(doc, "see note 7") is by_title["Note 7 — Debt"]
    item8 = by_title["Item 8. Financial Statements and Supplementary Data"]
    assert resolve_reference(doc, "Part II, Item 8") is item8
    assert resolve_reference(doc, "Item 8") is item8
    assert resolve_reference(doc, "Part I, Item 8") is None  # Item 8 is in Part II
    assert resolve_reference(doc, "Item 1A") is by_title["Item 1A. Risk Factors"]
    assert resolve_reference(doc, "Part II") is by_title["Part II"]
    assert resolve_reference(doc, "Note 99") is None
    assert resolve_reference(doc, "no reference here") is None
    (ref,) = find_references("see Note 12")
    assert resolve_reference(doc, ref) is by_title["Note 12 — Leases"]


def test_external_reference_resolves_only_in_matching_filing() -> None:
    doc = filing()  # a fiscal 2024 10-K
    assert resolve_reference(doc, "Note 12 of our 2023 Annual Report on Form 10-K") is None
    assert resolve_reference(doc, "Note 12 of our Quarterly Report on Form 10-Q") is None
    assert resolve_reference(doc, "Note 12 of our 2024 Annual Report on Form 10-K") is not None
