"""Filing facts from the first page of a plain-text document (e.g. pdftotext output).

SEC cover pages say "FORM 10-K", "For the fiscal year ended May 31, 2019", and put the
registrant's name above "(Exact name of registrant as specified in its charter)"; earnings
releases open with "PepsiCo Reports First-Quarter 2023 Results" or "... – Johnson & Johnson
(NYSE: JNJ) today announced ...". This module reads those into the filing metadata keys.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from ragkit.routing.names import fix_small_caps

_MONTHS = (
    "january february march april may june july august september october november december"
).split()
_DATE = r"([A-Za-z]{3,9}\.?\s+\d{1,2}\s*,?\s*\d{4})"
_FORM = re.compile(r"\bFORM\s+(10-?K|10-?Q|8-?K)\b", re.I)
_FORM_LINE = re.compile(r"^\s*FORM\s+(10-?K|10-?Q|8-?K)\s*$", re.I)
_PERIOD = re.compile(
    r"(fiscal\s+year|quarterly\s+period|quarter|period|year)\s*(?:\([^)]{0,30}\)\s*)?"
    r"ended:?\s*" + _DATE,
    re.I,
)
_REPORT_DATE = re.compile(
    r"date\s+of\s+report\s*\(date\s+of\s+earliest\s+event\s+reported\)\s*:?\s*" + _DATE, re.I
)
_REGISTRANT = re.compile(r"exact\s+name\s+of\s+registrant", re.I)
_FILE_NO = re.compile(r"commission\s+file\s+(?:number|no\.?)", re.I)
_EXCHANGE_TAG = re.compile(
    r"\((?:NYSE|NASDAQ|Nasdaq|NYSE American|NYSE Arca)\s*:\s*([A-Z]{1,5}(?:\.[A-Z])?)\)"
)
_HEADLINE = re.compile(r"^\s*(.{2,60}?)\s+(?:reports|announces|reported|posts)\b", re.I)
_QUARTER_WORDS = {"first": 1, "second": 2, "third": 3, "fourth": 4}
_QUARTER_AFTER = re.compile(
    r"\b(first|second|third|fourth)[-\s]quarter(?:\s+and\s+full[-\s]year)?"
    r"(?:\s+(?:of\s+)?fiscal(?:\s+year)?)?\s+(\d{4})",
    re.I,
)
_QUARTER_BEFORE = re.compile(r"\b(\d{4})\s+(first|second|third|fourth)[-\s]quarter", re.I)
_FISCAL_RESULTS = re.compile(r"\bfiscal\s+(?:year\s+)?(\d{4})\s+(?:full[-\s]year\s+)?results", re.I)
_SKIP_LINE = re.compile(
    r"^(?:or|\(mark one\)|table of contents|[_\-\s☐☒☑þýx¨o\[\]]*"
    r"|.*\bact of 1934.*|.*commission.*)$",
    re.I,
)
_NOT_TICKER = {"NONE", "OR", "NYSE", "YES", "NO", "N/A", "LLC", "INC", "USD", "US", "CHX"}


def parse_date(text: str) -> str | None:
    """An ISO date from "May 31, 2019" / "Dec. 31 2024" / "JANUARY 28, 2023"; None if none."""
    m = re.match(r"([A-Za-z]{3,9})\.?\s+(\d{1,2})\s*,?\s*(\d{4})", text.strip())
    if not m:
        return None
    word = m.group(1).lower()
    month = next((i + 1 for i, name in enumerate(_MONTHS) if name.startswith(word[:3])), None)
    if month is None or (len(word) > 3 and not _MONTHS[month - 1].startswith(word)):
        if not (word == "sept" and month == 9):
            return None
    try:
        return datetime(int(m.group(3)), month, int(m.group(2))).date().isoformat()
    except ValueError:
        return None


def _lines(text: str) -> list[str]:
    return [ln.strip() for ln in text.splitlines() if ln.strip()]


def _registrant_name(lines: list[str]) -> str | None:
    for i, line in enumerate(lines):
        if not _REGISTRANT.search(line):
            continue
        before = _REGISTRANT.split(line)[0].strip(" (")
        if len(before) > 2:
            return before
        for j in range(i - 1, max(i - 5, -1), -1):
            cand = lines[j]
            if _SKIP_LINE.match(cand) or _FORM.search(cand) or re.search(r"\d{3}", cand):
                continue
            if cand.startswith("(") or cand.lower().startswith("for the"):
                continue
            return cand
        return None
    for i, line in enumerate(lines):  # no "(Exact name ...)" line: the line after the file no.
        if _FILE_NO.search(line):
            for cand in lines[i + 1 : i + 4]:
                if re.search(r"\d{3}", cand) or cand.startswith("(") or _SKIP_LINE.match(cand):
                    continue
                if cand.isupper() or re.search(r"\b(?:Inc|Corp|Company|plc)\b", cand):
                    return cand
            break
    return None


def _cover_ticker(lines: list[str]) -> str | None:
    for i, line in enumerate(lines):
        if re.search(r"trading\s+symbol", line, re.I):
            window = lines[max(0, i - 4) : i + 8]
            for cand in window:
                if re.fullmatch(r"[A-Z]{1,5}(?:\.[A-Z])?", cand) and cand not in _NOT_TICKER:
                    return cand
            return None
    return None


def _press_release(text: str, out: dict[str, Any]) -> None:
    """Company, ticker and period of an earnings release."""
    head = " ".join(text.split())
    m = _EXCHANGE_TAG.search(head)
    if m:
        before = head[: m.start()]
        name = re.split(r"\s[–—-]{1,2}\s|--|\)\s", before)[-1].strip(" ,–—-")
        name = re.sub(r"^(?:\(?[A-Z ]*WIRE\)?-*\s*)", "", name).strip()
        if 1 < len(name) <= 60:
            out.setdefault("company", name)
        out.setdefault("ticker", m.group(1))
    for line in _lines(text)[:6]:
        hm = _HEADLINE.match(line)
        if hm and not re.search(r"\d", hm.group(1)):
            name = hm.group(1).strip()
            if "company" not in out:
                out["company"] = name
            elif name.lower() != str(out["company"]).lower():
                out.setdefault("names", []).append(name)
            break
    qm = _QUARTER_AFTER.search(head)
    qb = _QUARTER_BEFORE.search(head)
    first = min((x for x in (qm, qb) if x), key=lambda x: x.start(), default=None)
    fr = _FISCAL_RESULTS.search(head)
    if fr and (first is None or fr.start() < first.start()):
        out["fiscal_year"] = int(fr.group(1))
        out["fiscal_period"] = "FY"
    elif first is qm and qm:
        out["fiscal_year"] = int(qm.group(2))
        out["fiscal_period"] = f"Q{_QUARTER_WORDS[qm.group(1).lower()]}"
    elif qb:
        out["fiscal_year"] = int(qb.group(1))
        out["fiscal_period"] = f"Q{_QUARTER_WORDS[qb.group(2).lower()]}"
    pm = _PERIOD.search(head)
    if pm:
        iso = parse_date(pm.group(2))
        if iso:
            out.setdefault("period_end", iso)


def cover_metadata(text: str) -> dict[str, Any]:
    """Filing metadata (company, form_type, period_end, fiscal_year, fiscal_period, ticker)
    read from the start of a document's text; keys are absent when not found."""
    head = fix_small_caps(text[:8000])
    pages = head.split("\f")
    first_page = pages[0]
    for page in pages[1:]:
        if len(first_page) >= 1500:
            break
        first_page += "\n" + page
    first_page = first_page[:6000]
    lines = _lines(first_page)
    flat = " ".join(first_page.split())
    out: dict[str, Any] = {}
    fm = next((m for ln in lines[:40] if (m := _FORM_LINE.match(ln))), None)
    if fm:
        form = fm.group(1).upper()
        out["form_type"] = re.sub(r"^(10|8)-?([KQ])$", r"\1-\2", form)
    if out.get("form_type") == "8-K":
        rm = _REPORT_DATE.search(flat)
        if rm and (iso := parse_date(rm.group(1))):
            out["period_end"] = iso
            out["fiscal_year"] = int(iso[:4])
    elif "form_type" in out:
        pm = _PERIOD.search(flat)
        if pm and (iso := parse_date(pm.group(2))):
            out["period_end"] = iso
            if out["form_type"] == "10-K":
                out["fiscal_period"] = "FY"
    if "form_type" in out:
        name = _registrant_name(lines)
        if name:
            out["company"] = " ".join(name.split())
        ticker = _cover_ticker(lines)
        if ticker:
            out["ticker"] = ticker
    else:
        _press_release(first_page, out)
        if "company" in out or "fiscal_year" in out:
            if re.search(r"\bresults\b", flat, re.I):
                out["form_type"] = "EARNINGS"
    return out
