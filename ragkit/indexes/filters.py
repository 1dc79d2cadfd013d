"""Metadata filters on search: which chunk rows a query may return.

A filter maps a metadata key to a condition:
- a value (equality): ``{"ticker": "KO"}``; for a list-valued field (front-matter ``tags``),
  equality means the list contains the value;
- a list of values (any of them): ``{"ticker": ["KO", "PEP"]}``;
- a range, as a mapping of operators to bounds: ``{"fiscal_year": {">=": 2020, "<": 2024}}``
  (numbers compare as numbers, text such as ISO dates as text).

Any key of chunk metadata works (filing fields, front matter, sidecar fields, `Document(
metadata=...)`), plus ``doc_id`` and ``section`` (a "Part II > Item 7" path prefix). Filters are
compiled once per call into a boolean row mask that every retriever applies *inside* its
search, so k results still come back when the filter removes most of the corpus.

Mistakes are QueryErrors, never silent empty results: a key no chunk has, a value of the
wrong type (``{"ticker": 5}``, ``{"fiscal_year": "abc"}``), or a value no document has
("no document has ticker GLBX; closest: GBX"). A range that selects nothing is not a mistake.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ragkit.errors import QueryError
from ragkit.types import PATH_SEPARATOR, Chunk

#: The well-known filter keys (filing fields, doc_id, section); any other metadata key works too.
FILTER_KEYS: tuple[str, ...] = (
    "form_type",
    "fiscal_year",
    "fiscal_period",
    "ticker",
    "cik",
    "doc_id",
    "section",
)
#: Range operators and their aliases.
RANGE_OPS: dict[str, str] = {
    ">=": ">=",
    ">": ">",
    "<=": "<=",
    "<": "<",
    "gte": ">=",
    "gt": ">",
    "lte": "<=",
    "lt": "<",
}
_SCALARS = (str, int, float, bool)


@dataclass(frozen=True, slots=True)
class Condition:
    """One key's condition: any of `values` (empty: no equality test) and every range bound.

    Iterating yields canonical terms (sortable strings), so a spec can serve as a cache key.
    """

    values: tuple[Any, ...] = ()
    ranges: tuple[tuple[str, Any], ...] = ()

    def __iter__(self) -> Iterator[str]:
        yield from sorted(f"={v!r}" for v in self.values)
        yield from sorted(f"{op}{v!r}" for op, v in self.ranges)


def _scalar(key: str, value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        if not value:
            raise QueryError(f"filter {key!r} has an empty value; give a value to match")
        return value
    if isinstance(value, _SCALARS):
        return value
    raise QueryError(
        f"filter {key!r} has a value of type {type(value).__name__} ({value!r}); "
        "expected a string, number or boolean"
    )


def _condition(key: str, value: Any) -> Condition:
    if isinstance(value, Mapping):
        if not value:
            raise QueryError(f"filter {key!r} has an empty range; give e.g. {{'>=': 2020}}")
        ranges = []
        for op, bound in value.items():
            if op not in RANGE_OPS:
                raise QueryError(
                    f"filter {key!r} has unknown operator {op!r}; expected one of {list(RANGE_OPS)}"
                )
            ranges.append((RANGE_OPS[op], _scalar(key, bound)))
        return Condition(ranges=tuple(ranges))
    items = list(value) if isinstance(value, list | tuple | set | frozenset) else [value]
    if not items:
        raise QueryError(f"filter {key!r} has an empty list of values; give at least one")
    return Condition(values=tuple(_scalar(key, v) for v in items))


def validate(filters: Mapping[str, Any] | None) -> dict[str, Condition]:
    """Check the shape of a filter (keys are strings, values, lists or ranges) and normalise it.

    Keys and value types are checked against the chunks by `compile_mask`.
    """
    if not filters:
        return {}
    if not isinstance(filters, Mapping):
        raise QueryError(f"filters must be a mapping of key to value; got {type(filters).__name__}")
    spec: dict[str, Condition] = {}
    for key, value in filters.items():
        if not isinstance(key, str) or not key.strip():
            raise QueryError(f"filter keys must be non-empty strings; got {key!r}")
        spec[key.strip()] = _condition(key, value)
    return spec


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


def _field(chunk: Chunk, key: str) -> Any:
    return chunk.doc_id if key == "doc_id" else chunk.metadata.get(key)


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _norm(key: str, value: Any) -> Any:
    """Comparable form of a stored or wanted value: text lower-cased, CIKs zero-padded."""
    if isinstance(value, str):
        text = value.strip().lower()
        return text.zfill(10) if key == "cik" and text.isdigit() else text
    if key == "cik" and isinstance(value, int):
        return str(value).zfill(10)
    return value


def _kind(stored: Sequence[Any]) -> str:
    """The type a field holds: "number", "bool", "text", or "mixed" (several types)."""
    if stored and all(_is_number(v) for v in stored):
        return "number"
    if stored and all(isinstance(v, bool) for v in stored):
        return "bool"
    if all(isinstance(v, str) for v in stored):
        return "text"
    return "mixed"


def _coerce(key: str, value: Any, kind: str, example: Any) -> Any:
    """A wanted value in the field's type; QueryError when it cannot be (ticker=5, year=abc)."""
    if key == "cik" or kind == "mixed":
        return _norm(key, value)
    if kind == "number":
        if _is_number(value):
            return value
        if isinstance(value, str):
            try:
                return float(value) if any(c in value for c in ".eE") else int(value)
            except ValueError:
                pass
        raise QueryError(
            f"filter {key}={value!r}: {key} holds numbers (e.g. {example!r}); give a number"
        )
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise QueryError(f"filter {key}={value!r}: {key} holds true/false; give a boolean")
    if not isinstance(value, str):
        raise QueryError(
            f"filter {key}={value!r}: {key} holds text (e.g. {example!r}), not a "
            f"{type(value).__name__}; give the value as a string"
        )
    return _norm(key, value)


def _stored(chunks: Sequence[Chunk], key: str) -> list[Any]:
    """Every stored value of `key` (list-valued fields flattened); QueryError for no chunk."""
    values: list[Any] = []
    seen_key = False
    for c in chunks:
        v = _field(c, key)
        if v is None:
            continue
        seen_key = True
        values.extend(v if isinstance(v, list | tuple) else [v])
    if not seen_key and chunks:
        keys = sorted({k for c in chunks for k in c.metadata} | {"doc_id", "section"})
        close = difflib.get_close_matches(key, keys, n=3)
        hint = f"; closest: {', '.join(close)}" if close else ""
        raise QueryError(
            f"unknown filter key {key!r}: no indexed chunk has it{hint} (keys: {keys})"
        )
    return values


def _check_values(
    key: str, raw: Sequence[Any], wanted: Sequence[Any], stored: Sequence[Any]
) -> None:
    """QueryError when none of the wanted values is stored, naming the closest stored ones."""
    if not wanted or set(wanted) & {_norm(key, v) for v in stored}:
        return
    texts = sorted({str(s) for s in stored})
    close: list[str] = []
    for w in raw:
        for c in difflib.get_close_matches(str(w), texts, n=3, cutoff=0.5):
            if c not in close:
                close.append(c)
    if not close:  # case differences: compare lower-cased
        lower = {t.lower(): t for t in texts}
        for w in raw:
            close += [lower[c] for c in difflib.get_close_matches(str(w).lower(), list(lower), n=3)]
    hint = f"; closest: {', '.join(close)}" if close else f"; it has: {', '.join(texts[:10])}"
    shown = " or ".join(str(w) for w in raw)
    raise QueryError(f"no document has {key} {shown}{hint}")


def _compile_key(key: str, cond: Condition, chunks: Sequence[Chunk]) -> Any:
    """A row predicate for one key, after checking its values against the stored ones."""
    if key == "section":
        if cond.ranges or not all(isinstance(v, str) for v in cond.values):
            raise QueryError("filter 'section' takes section paths such as 'Part II > Item 7'")
        sep = PATH_SEPARATOR.strip()
        wanted = [[p.strip().lower() for p in v.split(sep)] for v in cond.values]
        return lambda c: any(_section_matches(c.section_path, w) for w in wanted)
    stored = _stored(chunks, key)
    example = stored[0] if stored else None
    kind = _kind(stored)
    values = [_coerce(key, v, kind, example) for v in cond.values]
    ranges = [(op, _coerce(key, v, kind, example)) for op, v in cond.ranges]
    _check_values(key, cond.values, values, stored)
    want = set(values)

    def ok(c: Chunk) -> bool:
        got = _field(c, key)
        if got is None:
            return False
        items = [_norm(key, g) for g in (got if isinstance(got, list | tuple) else [got])]
        if want and not any(g in want for g in items):
            return False
        return all(any(_in_range(g, op, b) for g in items) for op, b in ranges)

    return ok


def _in_range(got: Any, op: str, bound: Any) -> bool:
    if _is_number(bound) != _is_number(got):
        return False
    if op == ">=":
        return bool(got >= bound)
    if op == ">":
        return bool(got > bound)
    if op == "<=":
        return bool(got <= bound)
    return bool(got < bound)


def compile_mask(filters: Mapping[str, Any] | None, chunks: Sequence[Chunk]) -> np.ndarray | None:
    """A boolean mask over `chunks` rows, or None when there is no filter.

    Raises QueryError for a key no chunk has, a value of the wrong type, or an equality value
    no chunk has (with the closest stored values).
    """
    spec = validate(filters)
    if not spec:
        return None
    tests = [_compile_key(key, cond, chunks) for key, cond in spec.items()]
    return np.fromiter((all(t(c) for t in tests) for c in chunks), dtype=bool, count=len(chunks))


_EXPR = re.compile(r"^\s*([^=<>!\s][^=<>!]*?)\s*(>=|<=|>|<|=)\s*(.*?)\s*$")


def parse_filter_strings(items: Sequence[str]) -> dict[str, Any]:
    """The CLI's `--filter` forms as a filter mapping.

    ``ticker=KO`` (equality), ``ticker=KO,PEP`` (any of), ``fiscal_year>=2020`` and
    ``fiscal_year<2024`` (a range; several bounds on one key combine). Values stay strings;
    `compile_mask` converts them to the field's type (and says when it cannot).
    """
    filters: dict[str, Any] = {}
    for item in items:
        m = _EXPR.match(item)
        if not m or not m.group(3):
            raise QueryError(
                f"a filter must look like KEY=VALUE, KEY=A,B or KEY>=VALUE (>, <=, <); got {item!r}"
            )
        key, op, value = m.groups()
        if op == "=":
            values = [v.strip() for v in value.split(",") if v.strip()]
            if not values:
                raise QueryError(f"filter {item!r} has no value")
            if isinstance(filters.get(key), dict):
                raise QueryError(f"filter {key!r} is given both as a range and as values")
            filters[key] = values[0] if len(values) == 1 else values
        else:
            bounds = filters.setdefault(key, {})
            if not isinstance(bounds, dict):
                raise QueryError(f"filter {key!r} is given both as values and as a range")
            bounds[op] = value
    return filters
