"""Company-name normalisation: case, punctuation, "&" and corporate suffixes ignored.

"The Coca-Cola Company", "COCA COLA CO" and "Coca-Cola" all normalise to "coca cola"; "3M
Company" to "3m"; "Johnson & Johnson" to "johnson and johnson". Both the catalog (document
names) and the query analyzer (question text) use the same tokenizer, so they meet halfway.
The corporate suffixes come from the lexicon (`Lexicon.corporate_suffixes`).
"""

from __future__ import annotations

import re

from ragkit.lexicon import Lexicon

_TOKEN = re.compile(r"[a-z0-9]+")
_INITIALS = re.compile(r"\b(?:[A-Za-z]\. ?){2,}")
_SMALL_CAPS = re.compile(r"\b([A-Z]) ([A-Z]{2,})\b")


def fix_small_caps(text: str) -> str:
    """Repair pdftotext's small-caps split ("MGM R ESORTS I NTERNATIONAL" -> "MGM RESORTS ...")."""
    return _SMALL_CAPS.sub(lambda m: m.group(1) + m.group(2), text)


def tokens(text: str) -> list[str]:
    """Lower-case alphanumeric tokens; "&" reads as "and", other punctuation separates."""
    text = _INITIALS.sub(lambda m: re.sub(r"[.\s]", "", m.group(0)) + " ", text)
    text = text.lower().replace("&", " and ").replace("\u2019", "'")
    text = re.sub(r"'s\b", "", text)
    return _TOKEN.findall(text)


def name_tokens(name: str, lexicon: Lexicon | None = None) -> tuple[str, ...]:
    """The tokens of a company name with a leading "the" and trailing corporate suffixes
    (`lexicon.corporate_suffixes`; default: the packaged lexicon) removed."""
    suffixes = (lexicon or Lexicon.default()).corporate_suffixes
    toks = tokens(fix_small_caps(name))
    while toks and toks[0] == "the":
        toks = toks[1:]
    while len(toks) > 1 and toks[-1] in suffixes:
        toks = toks[:-1]
    return tuple(toks)


def normalize_name(name: str, lexicon: Lexicon | None = None) -> str:
    """The canonical comparison key of a company name ("COCA COLA CO" -> "coca cola")."""
    return " ".join(name_tokens(name, lexicon))
