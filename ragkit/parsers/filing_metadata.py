"""Filing metadata (form type, period, fiscal year/period, company, CIK, ticker) from the document.

Inline-XBRL filings carry `dei:` facts (DocumentType, DocumentPeriodEndDate, …); older filings
without XBRL only have the cover page text ("For the fiscal year ended June 30, 1999",
the company name above "(Exact name of registrant as specified in its charter)").
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

logger = logging.getLogger(__name__)

_DEI_KEYS = {
    "dei:documenttype": "form_type",
    "dei:documentperiodenddate": "period_end",
    "dei:documentfiscalyearfocus": "fiscal_year",
    "dei:documentfiscalperiodfocus": "fiscal_period",
    "dei:entityregistrantname": "company",
    "dei:entitycentralindexkey": "cik",
    "dei:tradingsymbol": "ticker",
}
_DATE_FORMATS = (
    "%Y-%m-%d",
    "%B %d, %Y",
    "%B %d %Y",
    "%b %d, %Y",
    "%b. %d, %Y",
    "%m/%d/%Y",
    "%d %B %Y",
    "%B %d,%Y",
)
_WS = re.compile(r"\s+")
_FORM_RE = re.compile(r"\bFORM\s+(10-?K(?:405|SB|T)?(?:/A)?|10-?Q(?:SB)?(?:/A)?)\b", re.I)
_PERIOD_RE = re.compile(
    r"(?:fiscal\s+year|quarterly\s+period|transition\s+period|year|period)\s+ended:?\s*"
    r"([A-Z][a-z]+\.?\s+\d{1,2}\s*,?\s*\d{4})",
    re.I,
)
_REGISTRANT_RE = re.compile(r"\(?\s*exact\s+name\s+of\s+registrant", re.I)


def parse_date(text: str) -> str | None:
    """An ISO date from "December 31, 2024", "2024-12-31", "Dec. 31, 2024" …; None if none."""
    t = _WS.sub(" ", text.replace("\u00a0", " ")).strip().rstrip(".")
    t = re.sub(r"\s*,\s*", ", ", t)
    t = t.replace("Sept.", "Sep.").replace("Sept ", "Sep ")
    iso = _strptime(t)
    if iso is None:
        m = re.search(r"([A-Z][a-z]+\.?)\s+(\d{1,2}),?\s+(\d{4})", t)
        if m:
            iso = _strptime(f"{m.group(1)} {m.group(2)}, {m.group(3)}")
    return iso


def _strptime(text: str) -> str | None:
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    return None


def normalize_form(text: str) -> str:
    """ "10-K", "10-Q", "10-K/A" … from variants such as "10K" or "10-k405"."""
    t = text.strip().upper().replace(" ", "")
    t = re.sub(r"^10([KQ])", r"10-\1", t)
    return t


def dei_facts(root: Any) -> dict[str, Any]:
    """The filing metadata from inline-XBRL `dei:` facts in an lxml tree (empty if none)."""
    out: dict[str, Any] = {}
    for el in root.iter("ix:nonnumeric", "ix:nonNumeric"):
        name = (el.get("name") or "").lower()
        key = _DEI_KEYS.get(name)
        if key is None or key in out:
            continue
        value = _WS.sub(" ", el.text_content()).strip()
        if not value:
            continue
        if key == "period_end":
            iso = parse_date(value)
            if iso is None:
                logger.debug("unparsed DocumentPeriodEndDate %r", value)
                continue
            out[key] = iso
        elif key == "fiscal_year":
            m = re.search(r"\d{4}", value)
            if m:
                out[key] = int(m.group(0))
        elif key == "cik":
            digits = re.sub(r"\D", "", value)
            if digits:
                out[key] = digits.zfill(10)
        elif key == "form_type":
            out[key] = normalize_form(value)
        elif key == "fiscal_period":
            out[key] = value.upper()
        else:
            out[key] = value
    return out


def cover_facts(lines: Sequence[str]) -> dict[str, Any]:
    """Filing metadata from the cover page's text blocks (for filings without XBRL)."""
    out: dict[str, Any] = {}
    text = "\n".join(lines)
    m = _FORM_RE.search(text)
    if m:
        out["form_type"] = normalize_form(m.group(1))
    m = _PERIOD_RE.search(text)
    if m:
        iso = parse_date(m.group(1))
        if iso:
            out["period_end"] = iso
            if out.get("form_type", "").startswith("10-K") or "fiscal year" in m.group(0).lower():
                out["fiscal_year"] = date.fromisoformat(iso).year
                out["fiscal_period"] = "FY"
    for i, line in enumerate(lines):
        if not _REGISTRANT_RE.search(line):
            continue
        before = _REGISTRANT_RE.split(line)[0].strip(" (")
        name = before if len(before) > 2 else ""
        j = i - 1
        while not name and j >= 0 and j >= i - 3:
            cand = lines[j].strip()
            if cand and not _FORM_RE.search(cand) and not re.search(r"\d{4}", cand):
                name = cand
            j -= 1
        if name:
            out["company"] = name
        break
    return out
