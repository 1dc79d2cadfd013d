"""Company-name normalisation: case, punctuation, "&" and corporate suffixes ignored.

"The Coca-Cola Company", "COCA COLA CO" and "Coca-Cola" all normalise to "coca cola"; "3M
Company" to "3m"; "Johnson & Johnson" to "johnson and johnson". Both the catalog (document
names) and the query analyzer (question text) use the same tokenizer, so they meet halfway.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r"[a-z0-9]+")
_INITIALS = re.compile(r"\b(?:[A-Za-z]\. ?){2,}")
_SMALL_CAPS = re.compile(r"\b([A-Z]) ([A-Z]{2,})\b")

#: Corporate suffixes dropped from the end of a name (also "and co", "& co").
CORPORATE_SUFFIXES: frozenset[str] = frozenset(
    {
        "inc", "incorporated", "corp", "corporation", "co", "company", "companies", "plc",
        "nv", "ltd", "limited", "llc", "lp", "sa", "ag", "se", "the", "and", "holding",
        "holdings", "group", "de", "com",
    }
)  # fmt: skip

#: English words that are also tickers or name parts; matched only with extra evidence.
COMMON_WORDS: frozenset[str] = frozenset(
    """a all am an and are as at be been best big block by can car cat co com company day
    do for fast first free fun general go good has he home i if in is it its key life low
    main me my new next no now of on one or out over own real see so stay the to true
    two union united up us v we well win you american international national global data
    capital energy financial health services systems technologies group trust water works
    resorts management industries foot advanced micro mills""".split()
)


def fix_small_caps(text: str) -> str:
    """Repair pdftotext's small-caps split ("MGM R ESORTS I NTERNATIONAL" -> "MGM RESORTS ...")."""
    return _SMALL_CAPS.sub(lambda m: m.group(1) + m.group(2), text)


def tokens(text: str) -> list[str]:
    """Lower-case alphanumeric tokens; "&" reads as "and", other punctuation separates."""
    text = _INITIALS.sub(lambda m: re.sub(r"[.\s]", "", m.group(0)) + " ", text)
    text = text.lower().replace("&", " and ").replace("\u2019", "'")
    text = re.sub(r"'s\b", "", text)
    return _TOKEN.findall(text)


def name_tokens(name: str) -> tuple[str, ...]:
    """The tokens of a company name with a leading "the" and trailing corporate suffixes removed."""
    toks = tokens(fix_small_caps(name))
    while toks and toks[0] == "the":
        toks = toks[1:]
    while len(toks) > 1 and toks[-1] in CORPORATE_SUFFIXES:
        toks = toks[:-1]
    return tuple(toks)


def normalize_name(name: str) -> str:
    """The canonical comparison key of a company name ("COCA COLA CO" -> "coca cola")."""
    return " ".join(name_tokens(name))
