"""A text analyzer for financial filings: lower-casing, stop words, stemming, canonical numbers.

Numbers are rewritten to one canonical token per value so that "$45.2M", "$45.2 million",
"45,200,000" and "$45,200 thousand" all become ``45200000``; form names such as "10-K" and
terms such as "ASC 606", "Item 1A", "CECL" or "EBITDA" survive as searchable tokens. The
analyzer's settings are plain JSON, saved with every index that uses it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from ragkit.errors import ConfigError

#: Lucene's English stop words (what Elasticsearch's BM25 and bm25s use by default).
ENGLISH_STOPWORDS: frozenset[str] = frozenset(
    "a an and are as at be but by for if in into is it no not of on or such that the their "
    "then there these they this to was will with".split()
)

#: Financial terms kept as written (never stemmed), so that they match exactly.
DEFAULT_PROTECTED: frozenset[str] = frozenset(
    "asc asu gaap ifrs cecl ebitda ebit eps sec fasb libor sofr capex opex ebitdar ffo "
    "affo nii nim roe roa roic cet1 aoci oci rsu rsus psu psus".split()
)

_SCALES: dict[str, int] = {
    "thousand": 10**3,
    "thousands": 10**3,
    "k": 10**3,
    "million": 10**6,
    "millions": 10**6,
    "mm": 10**6,
    "mn": 10**6,
    "m": 10**6,
    "billion": 10**9,
    "billions": 10**9,
    "bn": 10**9,
    "b": 10**9,
    "trillion": 10**12,
    "trillions": 10**12,
    "tn": 10**12,
}

# One pass over lower-cased text. Alternatives, in order:
#  1. a number with a spelled-out scale word ("45.2 million", "$45,200 thousand")
#  2. a number with an attached short scale: "$45.2m", "$10k", "$3b" (after "$" only, so
#     "Item 1B" stays a word) or "3bn", "4mm" without it
#  3. compound form names and codes ("10-k", "10-q", "8-k", "20-f", "s-1", "covid-19")
#  4. a plain number ("45,200,000", "1.5", "2024")
#  5. a word (letters and digits, apostrophes dropped later)
_NUM = r"\d+(?:,\d{3})*(?:\.\d+)?"
_TOKEN_RE = re.compile(
    rf"(?P<numw>\$?{_NUM})\s*(?P<scalew>thousands?|millions?|billions?|trillions?)\b"
    rf"|\$(?P<nums>{_NUM})(?P<scales>mm|mn|bn|tn|m|b|k)\b"
    rf"|(?P<numl>{_NUM})(?P<scalel>mm|mn|bn|tn)\b"
    r"|(?P<compound>\b(?:\d{1,3}-[a-z]{1,2}|[a-z]{1,5}-\d{1,4}[a-z]?)\b)"
    rf"|(?P<num>\$?{_NUM})(?![a-z])"
    r"|(?P<word>[a-z0-9]+(?:'[a-z]+)?)"
)
#: Text without digits can only hold words: one simple pattern, apostrophe suffix dropped.
_HAS_DIGIT = re.compile(r"\d").search
_WORD_RE = re.compile(r"([a-z]+)(?:'[a-z]+)?")


#: Longer digit strings are not amounts and are kept as written.
_MAX_NUMBER_DIGITS = 40


def canonical_number(text: str, scale: int = 1) -> str:
    """The canonical token of a number as written ("$45.2", scale 10**6 -> "45200000")."""
    raw = text.lstrip("$").replace(",", "")
    if len(raw) > _MAX_NUMBER_DIGITS:
        return raw  # not an amount: kept as written (int() refuses over 4,300 digits)
    try:
        value = Decimal(raw) * scale
    except InvalidOperation:  # pragma: no cover - the regex only passes digits
        return raw
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


class Analyzer:
    """Turns text into index tokens; the same instance analyses documents and queries.

    Args:
        lowercase: fold case before tokenizing.
        stopwords: ``"en"`` (Lucene's list), ``None`` for none, or an explicit list.
        stemmer: a PyStemmer language (``"english"``) or ``None`` to keep words as written.
        canonicalize_numbers: rewrite numbers (with scale words) to their canonical value.
        protected: terms never stemmed (defaults to common financial acronyms).
    """

    def __init__(
        self,
        *,
        lowercase: bool = True,
        stopwords: str | Sequence[str] | None = "en",
        stemmer: str | None = "english",
        canonicalize_numbers: bool = True,
        protected: Iterable[str] | None = None,
    ) -> None:
        self.lowercase = lowercase
        if stopwords == "en":
            self._stopwords = ENGLISH_STOPWORDS
        elif stopwords is None:
            self._stopwords = frozenset()
        elif isinstance(stopwords, str):
            raise ConfigError(f"stopwords must be 'en', None or a list of words; got {stopwords!r}")
        else:
            self._stopwords = frozenset(w.lower() for w in stopwords)
        self._stopwords_setting: str | list[str] | None = (
            stopwords
            if isinstance(stopwords, str) or stopwords is None
            else sorted(self._stopwords)
        )
        self.stemmer_language = stemmer
        self.canonicalize_numbers = canonicalize_numbers
        self.protected = frozenset(
            p.lower() for p in (DEFAULT_PROTECTED if protected is None else protected)
        )
        self._stem_cache: dict[str, str] = {}
        self._local = threading.local()  # PyStemmer objects are not thread-safe
        if stemmer is not None:
            self._stemmer()  # fail early on an unknown language

    def _stemmer(self) -> Any:
        stemmer = getattr(self._local, "stemmer", None)
        if stemmer is None and self.stemmer_language is not None:
            try:
                import Stemmer
            except ImportError as exc:  # pragma: no cover - a declared dependency
                from ragkit.errors import DependencyError

                raise DependencyError("stemming needs PyStemmer: pip install PyStemmer") from exc
            try:
                stemmer = Stemmer.Stemmer(self.stemmer_language)
            except KeyError as exc:
                raise ConfigError(
                    f"unknown stemmer language {self.stemmer_language!r}; expected one of "
                    f"{sorted(Stemmer.algorithms())}"
                ) from exc
            self._local.stemmer = stemmer
        return stemmer

    def raw_tokens(self, text: str) -> list[str]:
        """Tokens before stemming: stop words removed, numbers canonicalised."""
        if self.lowercase:
            text = text.lower()
        stop = self._stopwords
        if _HAS_DIGIT(text) is None:  # fast path: only words (most queries)
            return [t for t in _WORD_RE.findall(text) if t not in stop]
        canon = self.canonicalize_numbers
        out: list[str] = []
        append = out.append
        for m in _TOKEN_RE.finditer(text):
            kind = m.lastgroup
            if kind == "word":
                tok = m.group("word")
                if "'" in tok:
                    tok = tok.split("'", 1)[0]
                if tok and tok not in stop:
                    append(tok)
            elif kind == "num":
                num = m.group("num")
                append(canonical_number(num) if canon else num.lstrip("$").replace(",", ""))
            elif kind == "compound":
                append(m.group("compound"))
            elif not canon:  # scaled numbers written out as plain tokens
                append(re.sub(r"[$,]", "", m.group(0).split()[0]))
            elif m.group("numw") is not None:
                append(canonical_number(m.group("numw"), _SCALES[m.group("scalew")]))
            elif m.group("nums") is not None:
                append(canonical_number(m.group("nums"), _SCALES[m.group("scales")]))
            else:
                append(canonical_number(m.group("numl"), _SCALES[m.group("scalel")]))
        return out

    def __call__(self, text: str) -> list[str]:
        """The index tokens of one text."""
        tokens = self.raw_tokens(text)
        if self.stemmer_language is None:
            return tokens
        cache = self._stem_cache
        missing = [t for t in set(tokens) if t not in cache]
        if missing:
            stemmable = [t for t in missing if t not in self.protected and t[0].isalpha()]
            stems = self._stemmer().stemWords(stemmable) if stemmable else []
            for t in missing:
                cache[t] = t
            for t, s in zip(stemmable, stems, strict=True):
                cache[t] = s
        result = [cache[t] for t in tokens]
        if len(cache) > 2_000_000:  # bound memory on huge vocabularies
            cache.clear()
        return result

    def tokenize_many(self, texts: Iterable[str]) -> list[list[str]]:
        """The index tokens of many texts."""
        return [self(t) for t in texts]

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe settings; `Analyzer.from_dict` rebuilds an identical analyzer."""
        return {
            "type": "ragkit.indexes.analyzer.Analyzer",
            "lowercase": self.lowercase,
            "stopwords": self._stopwords_setting,
            "stemmer": self.stemmer_language,
            "canonicalize_numbers": self.canonicalize_numbers,
            "protected": sorted(self.protected),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Analyzer:
        """Inverse of `to_dict`."""
        try:
            return cls(
                lowercase=bool(data["lowercase"]),
                stopwords=data["stopwords"],
                stemmer=data["stemmer"],
                canonicalize_numbers=bool(data["canonicalize_numbers"]),
                protected=data["protected"],
            )
        except (KeyError, TypeError) as exc:
            raise ConfigError(f"analyzer settings are incomplete or malformed: {data!r}") from exc

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Analyzer) and self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash(repr(self.to_dict()))

    def __repr__(self) -> str:
        return (
            f"Analyzer(stopwords={self._stopwords_setting!r}, stemmer={self.stemmer_language!r}, "
            f"canonicalize_numbers={self.canonicalize_numbers})"
        )
