"""Question analysis for the heuristic agent: key terms, phrases, numbers, periods, section
cues and synonyms, each turned into grep patterns.

Deterministic and model-free: a stop list, a crude suffix stemmer (patterns match any word
ending) and a small general finance thesaurus that maps everyday words to the terms filings use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ragkit.routing.statement_intent import statement_intent

#: Words that carry no evidence: question words, glue, and filing boilerplate.
STOPWORDS: frozenset[str] = frozenset(
    """a about above according across after again against all also am an and any are as at
    be because been before being below between both but by can could did do does doing down
    during each few for from further had has have having he her here hers how i if in into is
    it its itself just me more most my no nor not now of off on once only or other our out
    over own same she should so some such than that the their them then there these they this
    those through to too under until up very was we were what when where which while who whom
    why will with would you your per much many based total report reported reports reporting
    filing filed form quarter quarterly annual year years fiscal ended ending period periods
    company company's companies state states stated say says said according describe described
    show shows given give value amount number figure disclosed disclose disclosure
    use using used within including include includes between compared versus vs respectively
    provide provided information note item part section document statement statements
    answer round decimal place places units unit percent percents term terms calculate
    calculated mentioned mention mentions million billion thousand dollars usd months month
    three six nine twelve first second third fourth half another two make makes made soon
    refer refers referred already assume public equities analyst analysts primarily judgment
    judgments judgement approximation exact possible metric metrics financial plainly help
    compute computing response basing reasonable calculate question questions following shown
    answers respond round rounded outlined taking account details detail relevant please
    want need needs necessary addition additionally approximately calculation formula
    ratio ratios""".split()
)

#: Everyday words → the words filings use (general domain knowledge, not tuned per question).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "advertising": ("demand creation", "marketing", "advertising and promotion"),
    "endorsement": ("demand creation", "endorsement"),
    "employees": ("employees", "headcount", "workforce"),
    "staff": ("employees",),
    "workers": ("employees",),
    "revenue": ("revenues", "net sales", "net operating revenues"),
    "sales": ("net sales", "revenues"),
    "profit": ("income", "earnings"),
    "earnings": ("income", "earnings per share"),
    "buyback": ("repurchase",),
    "buybacks": ("repurchase",),
    "repurchased": ("repurchase",),
    "lawsuit": ("litigation", "legal proceedings"),
    "lawsuits": ("litigation", "legal proceedings"),
    "capex": ("capital expenditures", "purchases of property"),
    "spending": ("expense", "expenditures"),
    "spend": ("expense", "expenditures"),
    "holders": ("holders of record", "shareholders of record", "shareowner accounts"),
    "shareholders": ("stockholders", "shareowners", "holders of record"),
    "stockholders": ("shareholders", "shareowners", "holders of record"),
    "debt": ("borrowings", "notes payable", "long-term debt"),
    "borrow": ("borrowings", "credit facility"),
    "loan": ("credit facility", "borrowings"),
    "cash": ("cash and cash equivalents",),
    "tax": ("income taxes", "effective tax rate"),
    "r&d": ("research and development",),
    "inventory": ("inventories",),
    "margin": ("gross margin", "operating margin"),
    "rent": ("lease", "leases"),
    "leasing": ("lease", "leases"),
    "factories": ("manufacturing facilities", "plants"),
    "plants": ("facilities", "properties"),
    "customers": ("customers", "clients"),
    "biggest": ("largest", "significant"),
    "largest": ("significant", "largest"),
    "dividend": ("dividends", "dividend per share"),
    "writedown": ("impairment",),
    "write-down": ("impairment",),
    "layoffs": ("restructuring", "severance"),
    "cybersecurity": ("cybersecurity", "information security"),
    "pension": ("pension", "postretirement", "benefit plans"),
    "acquisition": ("acquisition", "acquired", "business combination"),
    "bought": ("acquired", "acquisition"),
    "sold": ("divestiture", "sale of"),
    "backlog": ("backlog", "unfilled orders"),
    "goodwill": ("goodwill",),
}

_WORD = re.compile(r"[A-Za-z][A-Za-z&'’\-]*[A-Za-z]|[A-Za-z]")
_MONTHS = (
    "january february march april may june july august september october november december"
).split()
_DATE = re.compile(
    r"\b(" + "|".join(m.capitalize() for m in _MONTHS) + r")\s+(\d{1,2}),\s+(\d{4})\b", re.I
)
_YEAR = re.compile(r"\b(?:FY\s?)?((?:19|20)\d{2})\b", re.I)
_AMOUNT = re.compile(r"\$?\s?\d[\d,]*(?:\.\d+)?\s?%?")
_CUE_WORDS = {
    "risk factors": "Risk Factors",
    "legal proceedings": "Legal Proceedings",
    "md&a": "Management's Discussion",
    "management's discussion": "Management's Discussion",
    "segment": "Segment",
    "fair value": "Fair Value",
    "income taxes": "Income Taxes",
    "properties": "Properties",
    "market risk": "Market Risk",
}


#: Heading lines of each financial statement (grep patterns; pdftotext may split "Shee t").
STATEMENT_HEADINGS: dict[str, str] = {
    "balance_sheet": r"^\W*(?:(?:condensed|consolidated)\s+)*(?:balance\s+shee\s?ts?"
    r"|statements?\s+of\s+(?:consolidated\s+)?financial\s+(?:position|condition))",
    "income_statement": r"^\W*(?:(?:condensed|consolidated)\s+)*(?:statements?\s+of\s+"
    r"(?:consolidated\s+)?(?:incom\s?e|operations|earnings)|income\s+statements?)",
    "cash_flow_statement": r"^\W*(?:(?:condensed|consolidated)\s+)*statements?\s+of\s+"
    r"(?:consolidated\s+)?cash\s+flows?",
}


@dataclass(slots=True)
class QuestionTerms:
    """What the heuristic agent searches for, as words and as grep patterns."""

    question: str
    terms: list[str] = field(default_factory=list)  # content words, lowercase
    phrases: list[str] = field(default_factory=list)  # adjacent content-word pairs
    synonyms: list[str] = field(default_factory=list)  # filing vocabulary for everyday words
    numbers: list[str] = field(default_factory=list)  # figures named in the question
    years: list[int] = field(default_factory=list)
    dates: list[str] = field(default_factory=list)  # "June 28, 2024"
    references: list[str] = field(default_factory=list)  # "Note 16", "Item 7"
    cues: list[str] = field(default_factory=list)  # section-title words
    forms: list[str] = field(default_factory=list)  # "10-K", "10-Q"
    words: set[str] = field(default_factory=set)  # every lowercased word (file matching)
    statements: list[str] = field(default_factory=list)  # heading patterns of statements


def stem(word: str) -> str:
    """A crude suffix stripper: the stem grep patterns extend with ``\\w*``."""
    w = word.lower().replace("’", "'")
    for suffix in (
        "ization",
        "ational",
        "ations",
        "ation",
        "ments",
        "ment",
        "ings",
        "ing",
        "ities",
        "ity",
        "ies",
        "ed",
        "es",
        "s",
        "'s",
    ):
        if w.endswith(suffix) and len(w) - len(suffix) >= 4:
            return w[: -len(suffix)]
    return w


def word_pattern(text: str) -> str:
    """A grep pattern for a word or phrase: stems with any ending, flexible whitespace."""
    parts = []
    for w in text.split():
        s = re.escape(stem(w))
        parts.append(rf"{s}\w*" if len(s) >= 4 else s)
    return r"\b" + r"[\s\-]+".join(parts)


def analyze(question: str, exclude: set[str] | None = None) -> QuestionTerms:
    """Extract terms, phrases, synonyms, numbers, periods, references and cues.

    `exclude` holds words that identify documents rather than evidence (company names,
    tickers): they help choose files but are not searched inside them.
    """
    exclude = {e.lower() for e in (exclude or set())}
    q = question.replace("’", "'")
    out = QuestionTerms(question)
    out.words = {w.lower().strip("'") for w in _WORD.findall(q)}
    out.forms = sorted({f.upper().replace("–", "-") for f in re.findall(r"10-?[KQ]\b", q, re.I)})
    for m in _DATE.finditer(q):
        out.dates.append(f"{m.group(1).capitalize()} {int(m.group(2))}, {m.group(3)}")
    out.years = sorted({int(y) for y in _YEAR.findall(q)})
    for m in _AMOUNT.finditer(q):
        digits = re.sub(r"[^\d.]", "", m.group())
        if len(digits.replace(".", "")) >= 3 and not re.fullmatch(r"(19|20)\d\d", digits):
            out.numbers.append(m.group().strip().lstrip("$").strip())
    try:
        from ragkit.chunkers.references import find_references

        out.references = list(dict.fromkeys(r.label for r in find_references(q)))
    except ImportError:  # pragma: no cover - chunkers ship with ragkit
        out.references = []
    low = q.lower()
    out.cues = [title for key, title in _CUE_WORDS.items() if key in low]
    # the statements the question names or its metric implies (the pipeline router's reading)
    out.statements = [STATEMENT_HEADINGS[m.kind] for m in statement_intent(q)]
    tokens = [w.lower().strip("'-") for w in _WORD.findall(q)]
    content: list[str | None] = []
    for t in tokens:
        t = t.removesuffix("'s")
        keep = (
            len(t) >= 3
            and t not in STOPWORDS
            and t not in exclude
            and t not in _MONTHS
            and not re.fullmatch(r"10-?[kq]", t)
        )
        content.append(t if keep else None)
    seen: dict[str, None] = {}
    for t in content:
        if t:
            seen.setdefault(t, None)
    out.terms = list(seen)
    pairs: dict[str, None] = {}
    for a, b in zip(content, content[1:], strict=False):
        if a and b:
            pairs.setdefault(f"{a} {b}", None)
    out.phrases = list(pairs)
    syn: dict[str, None] = {}
    for t in out.terms:
        for s in SYNONYMS.get(t, ()):
            if s not in seen:
                syn.setdefault(s, None)
    if "r&d" in low:
        syn.setdefault("research and development", None)
    out.synonyms = list(syn)
    return out
