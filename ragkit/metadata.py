"""User metadata for documents: a sidecar file (JSON or CSV, doc_id -> fields) attached to
loaded documents before chunking, so every chunk carries the fields and filters can use them.

JSON: ``{"report-2023": {"team": "risk", "year": 2023}}`` or a list of objects each with a
``doc_id``. CSV: a header row with a ``doc_id`` column; numbers become numbers and a
``a;b`` cell stays text. A row may name a document by its id or by its file name
(``report-2023.pdf``). Markdown front matter and `Document(metadata=...)` need no sidecar.
"""

from __future__ import annotations

import csv
import dataclasses
import difflib
import json
import logging
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ragkit.errors import ConfigError
from ragkit.types import Document

logger = logging.getLogger(__name__)

#: keys a sidecar may not set: they are the document's identity or the parsers' own
RESERVED_KEYS = frozenset({"doc_id", "section", "source_name", "format", "statement_pages"})
_SCALARS = (str, int, float, bool)


def _typed(cell: str) -> Any:
    """A CSV cell as int, float or text (empty cells are dropped by the caller)."""
    text = cell.strip()
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            continue
    return text


def _check_fields(where: str, fields: Any) -> dict[str, Any]:
    if not isinstance(fields, Mapping):
        raise ConfigError(f"{where}: expected an object of fields; got {type(fields).__name__}")
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if key in RESERVED_KEYS:
            raise ConfigError(f"{where}: {key!r} is reserved; rename the field")
        ok = isinstance(value, _SCALARS) or (
            isinstance(value, list) and all(isinstance(v, _SCALARS) for v in value)
        )
        if not ok:
            raise ConfigError(
                f"{where}: field {key!r} is {type(value).__name__}; expected text, a number, "
                "a boolean or a list of them"
            )
        out[str(key)] = value
    return out


def read_sidecar(path: str | os.PathLike[str]) -> dict[str, dict[str, Any]]:
    """doc_id (or file name) -> fields, from a .json or .csv sidecar; ConfigError on bad input."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ConfigError(f"cannot read metadata sidecar {p}: {exc.strerror or exc}") from exc
    if p.suffix.lower() == ".csv":
        rows = list(csv.DictReader(text.splitlines()))
        if rows and "doc_id" not in rows[0]:
            raise ConfigError(f"{p}: the CSV needs a 'doc_id' column; got {list(rows[0])}")
        data: Any = [
            {k: _typed(v) for k, v in row.items() if k and v is not None and v.strip()}
            for row in rows
        ]
    elif p.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{p} is not valid JSON: {exc}") from exc
    else:
        raise ConfigError(f"{p}: a metadata sidecar is a .json or .csv file")
    if isinstance(data, list):
        by_id: dict[str, Any] = {}
        for i, row in enumerate(data):
            if not isinstance(row, Mapping) or "doc_id" not in row:
                raise ConfigError(f"{p}: entry {i + 1} has no 'doc_id'")
            by_id[str(row["doc_id"])] = {k: v for k, v in row.items() if k != "doc_id"}
        data = by_id
    if not isinstance(data, Mapping):
        raise ConfigError(f"{p}: expected an object of doc_id -> fields or a list of rows")
    return {str(k): _check_fields(f"{p}: {k}", v) for k, v in data.items()}


def attach_metadata(
    docs: Iterable[Document], fields: Mapping[str, Mapping[str, Any]], label: str = "metadata"
) -> list[Document]:
    """Copies of `docs` with `fields[doc_id]` (or `fields[file name]`) merged into metadata.

    Entries that match no document are logged; when none matches, ConfigError names the
    closest document ids, since a sidecar for another corpus would otherwise do nothing.
    """
    docs = list(docs)
    names = {d.metadata.get("source_name") or Path(d.source).name: d.id for d in docs}
    ids = {d.id for d in docs}
    resolved: dict[str, Mapping[str, Any]] = {}
    unmatched: list[str] = []
    for key, value in fields.items():
        doc_id = key if key in ids else names.get(key)
        if doc_id is None:
            unmatched.append(key)
        else:
            resolved[doc_id] = value
    if fields and not resolved:
        close = difflib.get_close_matches(unmatched[0], sorted(ids), n=3)
        hint = f"; closest: {', '.join(close)}" if close else ""
        raise ConfigError(
            f"{label}: none of its {len(fields)} entries names a loaded document "
            f"(first: {unmatched[0]!r}{hint})"
        )
    if unmatched:
        logger.warning("%s: no document for %s", label, ", ".join(sorted(unmatched)[:10]))
    return [
        dataclasses.replace(d, metadata={**d.metadata, **resolved[d.id]}) if d.id in resolved else d
        for d in docs
    ]


def apply_sidecar(docs: Iterable[Document], path: str | os.PathLike[str]) -> list[Document]:
    """`attach_metadata` with the fields of a sidecar file."""
    return attach_metadata(docs, read_sidecar(path), label=str(path))
