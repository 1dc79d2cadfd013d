"""An optional user metadata file (JSONL or CSV, one row per document) as a catalog supplement.

FinanceBench's `financebench_document_information.jsonl` has rows such as
`{"doc_name": "3M_2018_10K", "company": "3M", "doc_type": "10k", "doc_period": 2018}`.
Rows are mapped to the filing metadata keys and keyed by document id (the file stem); the
catalog only uses them to fill facts the documents themselves do not give, and adds the
company name as another name of the same entity (FinanceBench's "Block" for "SQUARE, INC.").
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ragkit.errors import DatasetError

_ID_KEYS = ("doc_id", "doc_name", "document", "file", "source_name", "filename")
_FORM_ALIASES = {
    "10k": "10-K", "10-k": "10-K", "10q": "10-Q", "10-q": "10-Q", "8k": "8-K", "8-k": "8-K",
    "earnings": "EARNINGS", "earnings release": "EARNINGS",
}  # fmt: skip
_NAME_PERIOD = re.compile(r"_(\d{4})(Q[1-4])?_", re.I)


def normalize_row(row: Mapping[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """(doc_id, filing metadata) from one metadata row, or None when it names no document."""
    doc_id = next((str(row[k]) for k in _ID_KEYS if row.get(k)), None)
    if doc_id is None:
        return None
    doc_id = (
        Path(doc_id).stem if doc_id.lower().endswith((".txt", ".pdf", ".htm", ".html")) else doc_id
    )
    out: dict[str, Any] = {}
    if row.get("company"):
        out["company"] = str(row["company"]).strip()
    form = row.get("form_type") or row.get("doc_type") or row.get("form")
    if form:
        key = str(form).strip().lower()
        out["form_type"] = _FORM_ALIASES.get(key, str(form).strip().upper())
    year = row.get("fiscal_year") or row.get("doc_period") or row.get("year")
    if year not in (None, ""):
        try:
            out["fiscal_year"] = int(str(year)[:4])
        except ValueError:
            pass
    for key in ("period_end", "fiscal_period", "cik", "ticker"):
        if row.get(key):
            out[key] = str(row[key]).strip()
    m = _NAME_PERIOD.search(doc_id + "_")
    if m and m.group(2) and "fiscal_period" not in out:
        out["fiscal_period"] = m.group(2).upper()
    elif out.get("form_type") == "10-K" and "fiscal_period" not in out:
        out["fiscal_period"] = "FY"
    return doc_id, out


def load_metadata_file(path: str | Path) -> dict[str, dict[str, Any]]:
    """Read a JSONL (or CSV) metadata file into {doc_id: filing metadata}; later rows of the
    same document fill only what earlier ones lacked. Raises DatasetError on a bad line."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise DatasetError(f"cannot read metadata file {p}: {exc}") from exc
    rows: list[Mapping[str, Any]] = []
    if p.suffix.lower() == ".csv":
        rows = list(csv.DictReader(text.splitlines()))
    else:
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DatasetError(f"{p}:{n}: not valid JSON ({exc.msg})") from exc
            if not isinstance(row, dict):
                raise DatasetError(f"{p}:{n}: expected a JSON object, got {type(row).__name__}")
            rows.append(row)
    out: dict[str, dict[str, Any]] = {}
    for row in rows:
        got = normalize_row(row)
        if got is None:
            continue
        doc_id, meta = got
        slot = out.setdefault(doc_id, {})
        for k, v in meta.items():
            slot.setdefault(k, v)
    return out
