"""Metadata filters on search: which chunk rows a query may return.

Filters are a mapping of key to value (or list of values, meaning any of them); they are
compiled once per call into a boolean row mask that both retrievers apply *inside* their
search, so that k results still come back when the filter removes most of the corpus.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ragkit.errors import QueryError
from ragkit.types import PATH_SEPARATOR, Chunk

#: The filter keys every retriever accepts.
FILTER_KEYS: tuple[str, ...] = (
    "form_type",
    "fiscal_year",
    "fiscal_period",
    "ticker",
    "cik",
    "doc_id",
    "section",
)


def _norm(key: str, value: Any) -> str:
    text = str(value).strip().lower()
    if key == "cik" and text.isdigit():
        return text.zfill(10)
    return text


def _values(key: str, value: Any) -> frozenset[str]:
    items = value if isinstance(value, list | tuple | set | frozenset) else [value]
    if not items:
        raise QueryError(f"filter {key!r} has an empty list of values; give at least one")
    return frozenset(_norm(key, v) for v in items)


def validate(filters: Mapping[str, Any] | None) -> dict[str, frozenset[str]]:
    """Check keys and normalise values; raises QueryError on an unknown key."""
    if not filters:
        return {}
    if not isinstance(filters, Mapping):
        raise QueryError(f"filters must be a mapping of key to value; got {type(filters).__name__}")
    unknown = sorted(set(filters) - set(FILTER_KEYS))
    if unknown:
        raise QueryError(f"unknown filter key(s) {unknown}; expected any of {list(FILTER_KEYS)}")
    return {key: _values(key, value) for key, value in filters.items()}


def _section_matches(path: Sequence[str], wanted: Sequence[str]) -> bool:
    """True when `wanted` names a run of path elements, each a word-prefix of the element."""
    n = len(wanted)
    for start in range(len(path) - n + 1):
        for offset, comp in enumerate(wanted):
            elem = path[start + offset].lower()
            if not elem.startswith(comp):
                break
            if len(elem) > len(comp) and elem[len(comp)].isalnum() and comp[-1:].isalnum():
                break  # "Item 1" must not match "Item 1A" or "Item 10"
        else:
            return True
    return False


def chunk_matches(chunk: Chunk, spec: Mapping[str, frozenset[str]]) -> bool:
    """Whether one chunk passes every filter of a validated spec."""
    for key, values in spec.items():
        if key == "doc_id":
            if chunk.doc_id.lower() not in values:
                return False
        elif key == "section":
            if not any(
                _section_matches(
                    chunk.section_path, [c.strip() for c in v.split(PATH_SEPARATOR.strip())]
                )
                for v in values
            ):
                return False
        else:
            got = chunk.metadata.get(key)
            if got is None or _norm(key, got) not in values:
                return False
    return True


def compile_mask(filters: Mapping[str, Any] | None, chunks: Sequence[Chunk]) -> np.ndarray | None:
    """A boolean mask over `chunks` rows, or None when there is no filter."""
    spec = validate(filters)
    if not spec:
        return None
    return np.fromiter((chunk_matches(c, spec) for c in chunks), dtype=bool, count=len(chunks))
