"""Finance domain knowledge as data: the word lists ragkit reads, loaded from a versioned file.

Company-name suffixes and nicknames, the titles and metrics of the primary financial
statements, the statement detector's thresholds, the agent's stop words and synonyms and the
query classifier's terms live in `ragkit/data/finance.yaml`, documented there group by group.
`Lexicon.default()` loads it once; `Lexicon.load(path)` reads a user's own file, whose missing
keys keep the packaged values. The router, the query analyzer, the statement detector, the
fusion classifier and the agent's question analysis take a `lexicon` parameter.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import yaml

from ragkit.errors import ConfigError

StatementKind = Literal["balance_sheet", "income_statement", "cash_flow_statement"]
STATEMENT_KINDS: tuple[StatementKind, ...] = (
    "balance_sheet",
    "income_statement",
    "cash_flow_statement",
)
#: the lexicon file format this ragkit reads (the file's `version`)
FORMAT_VERSION = 1
SUPPORTED_VERSIONS = frozenset({FORMAT_VERSION})
_PACKAGED = "data/finance.yaml"


@dataclass(frozen=True, slots=True)
class StatementTerms:
    """How one primary statement is named and what it reports.

    `titles`: the titles filings print over it; `names`: other names a question may use;
    `implied_by`: figures read off it (phrases); `title_extensions`: words that may follow a
    title ("and comprehensive income"); `not_after`: words that make a title another statement.
    """

    titles: tuple[str, ...]
    names: tuple[str, ...]
    implied_by: tuple[str, ...]
    title_extensions: tuple[str, ...]
    not_after: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class StatementDetection:
    """The page-level statement detector's thresholds and words (see the YAML file)."""

    min_figures: int
    min_formatted: int
    title_lines: int
    max_prefix_letters: int
    max_title_chars: int
    title_trailers: tuple[str, ...]
    not_a_title: tuple[str, ...]
    sentence_words: tuple[str, ...]


@dataclass(frozen=True, eq=False, repr=False)
class Lexicon:
    """The finance word lists, typed; build it with `default`, `load` or `from_dict`.

    Equal content means equal lexicons (and equal hashes), so compiled patterns can be cached
    per lexicon. Mappings are read-only views.
    """

    version: int
    corporate_suffixes: frozenset[str]
    common_words: frozenset[str]
    aliases: Mapping[str, tuple[str, ...]]
    statements: Mapping[StatementKind, StatementTerms]
    statement_qualifiers: tuple[str, ...]
    implied_by_all: tuple[str, ...]
    narrative: tuple[str, ...]
    narrative_openers: tuple[str, ...]
    line_of_business_heads: tuple[str, ...]
    not_a_line: frozenset[str]
    detection: StatementDetection
    stopwords: frozenset[str]
    synonyms: Mapping[str, tuple[str, ...]]
    section_cues: Mapping[str, str]
    accounting_terms: tuple[str, ...]
    acronyms_not_tickers: frozenset[str]
    conceptual: tuple[str, ...]
    document_connectors: frozenset[str]
    source: str = "<dict>"

    # ------------------------------------------------------------------ construction
    @classmethod
    def default(cls) -> Lexicon:
        """The lexicon shipped with ragkit (`ragkit/data/finance.yaml`), loaded once."""
        return _packaged()

    @classmethod
    def load(cls, path: str | Path, *, base: Lexicon | None = None) -> Lexicon:
        """A lexicon from a YAML file; keys it leaves out keep `base`'s values (default: the
        packaged lexicon)."""
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read lexicon file {p}: {exc}") from exc
        return cls.from_dict(_parse_yaml(text, str(p)), base=base, source=str(p))

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], *, base: Lexicon | None = None, source: str = "<dict>"
    ) -> Lexicon:
        """A lexicon from a dict shaped like the YAML file (a `version` is required); keys it
        leaves out keep `base`'s values (default: the packaged lexicon)."""
        fallback = (base or cls.default()).to_dict()
        return _build(_read(data, source, fallback), source)

    def to_dict(self) -> dict[str, Any]:
        """The lexicon as a YAML-shaped dict (word sets sorted); `from_dict` reads it back."""
        statements: dict[str, Any] = {
            kind: {
                "titles": list(t.titles),
                "names": list(t.names),
                "implied_by": list(t.implied_by),
                "title_extensions": list(t.title_extensions),
                "not_after": list(t.not_after),
            }
            for kind, t in self.statements.items()
        }
        statements.update(
            qualifiers=list(self.statement_qualifiers),
            implied_by_all=list(self.implied_by_all),
            narrative=list(self.narrative),
            narrative_openers=list(self.narrative_openers),
            line_of_business_heads=list(self.line_of_business_heads),
            not_a_line=sorted(self.not_a_line),
        )
        det = self.detection
        return {
            "version": self.version,
            "companies": {
                "corporate_suffixes": sorted(self.corporate_suffixes),
                "common_words": sorted(self.common_words),
                "aliases": {k: list(v) for k, v in self.aliases.items()},
            },
            "statements": statements,
            "statement_detection": {
                f.name: (list(v) if isinstance(v := getattr(det, f.name), tuple) else v)
                for f in fields(det)
            },
            "agent": {
                "stopwords": sorted(self.stopwords),
                "synonyms": {k: list(v) for k, v in self.synonyms.items()},
                "section_cues": dict(self.section_cues),
            },
            "fusion": {
                "accounting_terms": list(self.accounting_terms),
                "acronyms_not_tickers": sorted(self.acronyms_not_tickers),
                "conceptual": list(self.conceptual),
            },
            "rerank": {"document_connectors": sorted(self.document_connectors)},
        }

    # ------------------------------------------------------------------ identity
    @functools.cached_property
    def fingerprint(self) -> str:
        """A digest of the content (not the source): equal lexicons share it."""
        blob = json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Lexicon):
            return NotImplemented
        return self.fingerprint == other.fingerprint

    def __hash__(self) -> int:
        return hash(self.fingerprint)

    def __repr__(self) -> str:
        return f"Lexicon(version={self.version}, source={self.source!r})"


@functools.cache
def _packaged() -> Lexicon:
    """The packaged lexicon, read with `importlib.resources` (complete: no fallback)."""
    text = resources.files("ragkit").joinpath(_PACKAGED).read_text(encoding="utf-8")
    source = f"ragkit/{_PACKAGED}"
    return _build(_read(_parse_yaml(text, source), source, None), source)


def _parse_yaml(text: str, source: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"lexicon {source} is not valid YAML: {exc}") from exc


# ---------------------------------------------------------------------- phrase patterns
_WORD_END = r"(?:s|'s|['\u2019]s?)?"
_JOIN = r"[-\s,]*"
_PHRASE_SPLIT = re.compile(r"[\s,\-]+")


def phrase_pattern(phrase: str) -> str:
    """The regular expression of one lexicon phrase (the rules are in the YAML file's header):
    whole words, flexible separators, optional plural/possessive endings, "&" = "and", and a
    trailing "*" for any ending."""
    text = phrase.strip()
    wildcard = text.endswith("*")
    words = [w for w in _PHRASE_SPLIT.split(text.rstrip("*")) if w]
    if not words:
        raise ConfigError(f"empty lexicon phrase {phrase!r}")
    parts = []
    for i, word in enumerate(words):
        if word.lower() == "and":
            parts.append(r"(?:and|&)")
            continue
        core = r"\s*(?:&|and)\s*".join(re.escape(p) for p in word.split("&"))
        last = i == len(words) - 1
        parts.append(core + (r"\w*" if last and wildcard else _WORD_END))
    body = _JOIN.join(parts)
    head = r"\b" if re.match(r"\w", words[0]) else ""
    tail = r"\b" if not wildcard and re.search(r"\w$", words[-1]) else ""
    return f"{head}{body}{tail}"


def phrase_regex(phrases: Iterable[str]) -> str:
    """One alternation of `phrase_pattern`s, longest phrase first; "(?!)" (never matches)
    when there are none."""
    ordered = sorted(dict.fromkeys(phrases), key=lambda p: (-len(p), p))
    if not ordered:
        return "(?!)"
    return "(?:" + "|".join(phrase_pattern(p) for p in ordered) + ")"


# ---------------------------------------------------------------------- reading and checking
def _words(value: Any, where: str, upper: bool = False) -> tuple[str, ...]:
    """A word list: a whitespace-separated string or a list of strings."""
    items = value.split() if isinstance(value, str) else _strings(value, where)
    out = tuple(dict.fromkeys(w.upper() if upper else w.lower() for w in items))
    return out


def _strings(value: Any, where: str) -> tuple[str, ...]:
    """A list of non-empty strings."""
    if value is None:
        return ()
    if not isinstance(value, list | tuple):
        raise ConfigError(f"lexicon {where}: expected a list of strings, got {value!r:.80}")
    for item in value:
        if not isinstance(item, str) or not item.strip():
            hint = " (quote words such as 'no', 'on', 'yes': YAML reads them as booleans)"
            raise ConfigError(
                f"lexicon {where}: expected non-empty strings, got {item!r}"
                + (hint if isinstance(item, bool) else "")
            )
    return tuple(dict.fromkeys(s.strip() for s in value))


def _list_map(value: Any, where: str) -> Mapping[str, tuple[str, ...]]:
    """A mapping of strings to lists of strings."""
    if not isinstance(value, Mapping):
        raise ConfigError(f"lexicon {where}: expected a mapping, got {value!r:.80}")
    out = {}
    for key, items in value.items():
        if not isinstance(key, str | int) or isinstance(key, bool):
            raise ConfigError(f"lexicon {where}: keys must be strings, got {key!r}")
        out[str(key).strip()] = _strings(items, f"{where}.{key}")
    return MappingProxyType(out)


def _str_map(value: Any, where: str) -> Mapping[str, str]:
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ConfigError(f"lexicon {where}: expected a mapping of strings, got {value!r:.80}")
    return MappingProxyType({k.lower(): v for k, v in value.items()})


def _count(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"lexicon {where}: expected a whole number >= 0, got {value!r}")
    return value


_Reader = Callable[[Any, str], Any]
_KIND: dict[str, _Reader] = {
    "titles": _strings,
    "names": _strings,
    "implied_by": _strings,
    "title_extensions": _strings,
    "not_after": _words,
}
_SCHEMA: dict[str, dict[str, Any]] = {
    "companies": {"corporate_suffixes": _words, "common_words": _words, "aliases": _list_map},
    "statements": {
        **{kind: _KIND for kind in STATEMENT_KINDS},
        "qualifiers": _words,
        "implied_by_all": _strings,
        "narrative": _strings,
        "narrative_openers": _words,
        "line_of_business_heads": _words,
        "not_a_line": _words,
    },
    "statement_detection": {
        "min_figures": _count,
        "min_formatted": _count,
        "title_lines": _count,
        "max_prefix_letters": _count,
        "max_title_chars": _count,
        "title_trailers": _words,
        "not_a_title": _strings,
        "sentence_words": _words,
    },
    "agent": {"stopwords": _words, "synonyms": _list_map, "section_cues": _str_map},
    "fusion": {
        "accounting_terms": _strings,
        "acronyms_not_tickers": lambda v, w: _words(v, w, upper=True),
        "conceptual": _strings,
    },
    "rerank": {"document_connectors": _words},
}
#: top-level keys that describe a file and are not read
_INFO_KEYS = frozenset({"version", "name", "description"})


def _read(data: Any, source: str, fallback: Mapping[str, Any] | None) -> dict[str, Any]:
    """Check the version and the keys, and read every value (missing ones from `fallback`)."""
    if not isinstance(data, Mapping):
        raise ConfigError(
            f"lexicon {source}: expected a mapping with a 'version' key, got "
            f"{type(data).__name__}; is this a ragkit lexicon file?"
        )
    if "version" not in data:
        raise ConfigError(f"lexicon {source} has no 'version'; is this a ragkit lexicon file?")
    version = data["version"]
    if isinstance(version, bool) or version not in SUPPORTED_VERSIONS:
        raise ConfigError(
            f"lexicon {source} has version {version!r}; this ragkit reads version "
            f"{', '.join(map(str, sorted(SUPPORTED_VERSIONS)))}"
        )
    unknown = sorted(set(data) - set(_SCHEMA) - _INFO_KEYS)
    if unknown:
        raise ConfigError(
            f"lexicon {source}: unknown key(s) {unknown}; expected some of {sorted(_SCHEMA)}"
        )
    out = {"version": version}
    out.update(_read_group(data, _SCHEMA, source, "", fallback))
    return out


def _read_group(
    data: Mapping[str, Any],
    schema: Mapping[str, Any],
    source: str,
    prefix: str,
    fallback: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """Read the keys of one group by its schema, recursing into sub-groups; a key `data`
    lacks comes from `fallback` (an error when there is none)."""
    out: dict[str, Any] = {}
    for key, reader in schema.items():
        path = f"{prefix}.{key}" if prefix else key
        where = f"{source}: {path}"
        base = fallback.get(key) if fallback is not None else None
        if key not in data and base is None:
            raise ConfigError(f"lexicon {where} is missing")
        if not isinstance(reader, dict):
            out[key] = reader(data[key] if key in data else base, where)
            continue
        given = data.get(key, {})
        if not isinstance(given, Mapping):
            raise ConfigError(f"lexicon {where}: expected a mapping, got {given!r:.80}")
        extra = sorted(set(given) - set(reader))
        if extra:
            raise ConfigError(f"lexicon {where}: unknown key(s) {extra}")
        out[key] = _read_group(given, reader, source, path, base)
    return out


def _build(raw: Mapping[str, Any], source: str) -> Lexicon:
    """The Lexicon of checked values."""
    comp, stm, det, agent, fus = (
        raw["companies"],
        raw["statements"],
        raw["statement_detection"],
        raw["agent"],
        raw["fusion"],
    )
    detection = StatementDetection(**det)
    if detection.min_formatted > detection.min_figures:
        raise ConfigError(
            f"lexicon {source}: statement_detection.min_formatted ({detection.min_formatted}) "
            f"must not exceed min_figures ({detection.min_figures})"
        )
    if detection.title_lines < 1:
        raise ConfigError(f"lexicon {source}: statement_detection.title_lines must be >= 1")
    statements = {kind: StatementTerms(**stm[kind]) for kind in STATEMENT_KINDS}
    for kind, terms in statements.items():
        if not terms.titles:
            raise ConfigError(f"lexicon {source}: statements.{kind}.titles is empty")
    return Lexicon(
        version=raw["version"],
        corporate_suffixes=frozenset(comp["corporate_suffixes"]),
        common_words=frozenset(comp["common_words"]),
        aliases=comp["aliases"],
        statements=MappingProxyType(statements),
        statement_qualifiers=stm["qualifiers"],
        implied_by_all=stm["implied_by_all"],
        narrative=stm["narrative"],
        narrative_openers=stm["narrative_openers"],
        line_of_business_heads=stm["line_of_business_heads"],
        not_a_line=frozenset(stm["not_a_line"]),
        detection=detection,
        stopwords=frozenset(agent["stopwords"]),
        synonyms=MappingProxyType({k.lower(): v for k, v in agent["synonyms"].items()}),
        section_cues=agent["section_cues"],
        accounting_terms=fus["accounting_terms"],
        acronyms_not_tickers=frozenset(fus["acronyms_not_tickers"]),
        conceptual=fus["conceptual"],
        document_connectors=frozenset(raw["rerank"]["document_connectors"]),
        source=source,
    )
