"""Benchmark dataset loaders (BEIR, FinanceBench, SEC QA) returning small frozen dataclasses.

Every path is an argument; nothing is hard-coded. Malformed lines raise `DatasetError` naming
the file and the 1-based line number, so a broken dataset is fixed in one look.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ragkit.errors import DatasetError

logger = logging.getLogger(__name__)

__all__ = [
    "BenchQuery",
    "BeirDoc",
    "BeirDataset",
    "FinanceBenchEvidence",
    "FinanceBenchQuestion",
    "FinanceBenchDataset",
    "SecQaEvidence",
    "SecQaQuestion",
    "SecQaDataset",
    "Dataset",
    "load_beir",
    "load_financebench",
    "load_secqa",
    "load_dataset",
]


@dataclass(frozen=True, slots=True)
class BenchQuery:
    """What a system is asked: the query text, its question type and its gold documents.

    `doc_ids` are document ids as the parsers name them (file stems), usable as a `doc_id`
    filter for the per-document setting.
    """

    id: str
    text: str
    qtype: str = ""
    doc_ids: tuple[str, ...] = ()


# -- JSONL reading --------------------------------------------------------------------------


def _jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, object) for each non-blank line; malformed lines raise."""
    if not path.is_file():
        raise DatasetError(f"{path}: file not found; expected a JSON Lines file")
    with path.open(encoding="utf-8") as handle:
        for lineno, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DatasetError(f"{path}:{lineno}: invalid JSON ({exc.msg})") from exc
            if not isinstance(obj, dict):
                raise DatasetError(
                    f"{path}:{lineno}: expected a JSON object, got {type(obj).__name__}"
                )
            yield lineno, obj


def _field(obj: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    """obj[key], checked to exist and be of `kind` (bool never counts as int)."""
    if key not in obj or obj[key] is None:
        raise DatasetError(f"{where}: missing field {key!r}")
    value = obj[key]
    if isinstance(value, bool) or not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise DatasetError(
            f"{where}: field {key!r} should be {names}, got {type(value).__name__} {value!r}"
        )
    return value


def _text_field(obj: Mapping[str, Any], key: str, where: str) -> str:
    value = _field(obj, key, (str, int), where)
    text = str(value)
    if not text.strip():
        raise DatasetError(f"{where}: field {key!r} is empty")
    return text


# -- BEIR -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BeirDoc:
    """One BEIR corpus document."""

    id: str
    title: str
    text: str


@dataclass(frozen=True, slots=True)
class BeirDataset:
    """A BEIR folder: corpus, the queries judged in `split`, and their qrels."""

    name: str
    path: Path
    split: str
    corpus: tuple[BeirDoc, ...]
    queries: tuple[BenchQuery, ...]
    qrels: Mapping[str, Mapping[str, int]] = field(default_factory=dict)

    kind = "beir"


def _load_qrels(path: Path) -> dict[str, dict[str, int]]:
    if not path.is_file():
        raise DatasetError(f"{path}: qrels file not found; expected qrels/<split>.tsv")
    qrels: dict[str, dict[str, int]] = {}
    with path.open(encoding="utf-8") as handle:
        for lineno, line in enumerate(handle, start=1):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            cols = line.split("\t")
            if lineno == 1 and cols[0].strip().lower() in ("query-id", "query_id", "qid"):
                continue
            if len(cols) != 3:
                raise DatasetError(
                    f"{path}:{lineno}: expected 3 tab-separated columns "
                    f"(query-id, corpus-id, score), got {len(cols)}: {line[:80]!r}"
                )
            qid, did, score = (c.strip() for c in cols)
            try:
                rel = int(score)
            except ValueError as exc:
                raise DatasetError(
                    f"{path}:{lineno}: score should be an integer, got {score!r}"
                ) from exc
            qrels.setdefault(qid, {})[did] = rel
    return qrels


def load_beir(folder: str | Path, split: str = "test") -> BeirDataset:
    """Load a BEIR folder (`corpus.jsonl`, `queries.jsonl`, `qrels/<split>.tsv`).

    Only queries judged in the split are kept; a judged query missing from `queries.jsonl`
    raises, as does a malformed line in any of the three files.
    """
    root = Path(folder)
    if not root.is_dir():
        raise DatasetError(f"{root}: not a folder; expected a BEIR dataset folder")
    qrels = _load_qrels(root / "qrels" / f"{split}.tsv")
    corpus_path = root / "corpus.jsonl"
    corpus: list[BeirDoc] = []
    for lineno, obj in _jsonl(corpus_path):
        where = f"{corpus_path}:{lineno}"
        title = obj.get("title") or ""
        text = obj.get("text")
        if not isinstance(title, str) or not isinstance(text, str):
            raise DatasetError(f"{where}: 'title' and 'text' should be strings")
        corpus.append(BeirDoc(_text_field(obj, "_id", where), title, text))
    queries_path = root / "queries.jsonl"
    texts: dict[str, str] = {}
    for lineno, obj in _jsonl(queries_path):
        where = f"{queries_path}:{lineno}"
        texts[_text_field(obj, "_id", where)] = _text_field(obj, "text", where)
    missing = [q for q in qrels if q not in texts]
    if missing:
        raise DatasetError(
            f"{queries_path}: {len(missing)} judged queries of split {split!r} are missing, "
            f"e.g. {missing[:3]}"
        )
    queries = tuple(
        BenchQuery(qid, texts[qid], "", tuple(d for d, r in qrels[qid].items() if r > 0))
        for qid in sorted(qrels, key=_natural_key)
    )
    logger.info("BEIR %s/%s: %d docs, %d queries", root.name, split, len(corpus), len(queries))
    return BeirDataset(f"beir:{root.name}/{split}", root, split, tuple(corpus), queries, qrels)


def _natural_key(text: str) -> tuple[int, int | str]:
    return (0, int(text)) if text.isdigit() else (1, text)


# -- FinanceBench -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FinanceBenchEvidence:
    """One gold evidence page: document, 0-based page number and the evidence text."""

    doc_name: str
    page: int
    text: str = ""


@dataclass(frozen=True, slots=True)
class FinanceBenchQuestion:
    """One FinanceBench question with its answer, target document and evidence pages."""

    id: str
    question: str
    answer: str
    doc_name: str
    company: str = ""
    question_type: str = ""
    evidence: tuple[FinanceBenchEvidence, ...] = ()

    @property
    def doc_names(self) -> tuple[str, ...]:
        """The question's document, then any other document its evidence cites."""
        names = dict.fromkeys([self.doc_name, *(e.doc_name for e in self.evidence)])
        return tuple(names)

    def to_query(self) -> BenchQuery:
        """The question as a `BenchQuery`."""
        return BenchQuery(self.id, self.question, self.question_type, self.doc_names)


@dataclass(frozen=True, slots=True)
class FinanceBenchDataset:
    """FinanceBench questions whose documents are present, and every document of the folder
    (the shared corpus) by `doc_name`."""

    name: str
    questions_path: Path
    documents_dir: Path
    questions: tuple[FinanceBenchQuestion, ...]
    documents: Mapping[str, Path] = field(default_factory=dict)
    skipped: tuple[str, ...] = ()

    kind = "financebench"

    @property
    def queries(self) -> tuple[BenchQuery, ...]:
        """Every kept question as a `BenchQuery`."""
        return tuple(q.to_query() for q in self.questions)


def load_financebench(questions_path: str | Path, documents_dir: str | Path) -> FinanceBenchDataset:
    """Load a FinanceBench questions JSONL plus a folder of `<doc_name>.txt` documents.

    Questions citing a document absent from the folder are skipped and counted in `skipped`.
    Evidence page numbers are 0-based (the form-feed page index of the text files).
    """
    qpath = Path(questions_path)
    docs_dir = Path(documents_dir)
    if not docs_dir.is_dir():
        raise DatasetError(f"{docs_dir}: not a folder; expected the <doc_name>.txt documents")
    available = {p.stem: p for p in sorted(docs_dir.glob("*.txt"))}
    kept: list[FinanceBenchQuestion] = []
    skipped: list[str] = []
    seen: set[str] = set()
    for lineno, obj in _jsonl(qpath):
        where = f"{qpath}:{lineno}"
        qid = _text_field(obj, "financebench_id", where)
        if qid in seen:
            raise DatasetError(f"{where}: duplicate financebench_id {qid!r}")
        seen.add(qid)
        raw_evidence = _field(obj, "evidence", list, where)
        evidence = []
        for i, ev in enumerate(raw_evidence):
            ewhere = f"{where}: evidence[{i}]"
            if not isinstance(ev, dict):
                raise DatasetError(f"{ewhere}: expected an object, got {type(ev).__name__}")
            page = _field(ev, "evidence_page_num", int, ewhere)
            if page < 0:
                raise DatasetError(f"{ewhere}: evidence_page_num should be >= 0, got {page}")
            text = ev.get("evidence_text") or ""
            evidence.append(FinanceBenchEvidence(_text_field(ev, "doc_name", ewhere), page, text))
        question = FinanceBenchQuestion(
            id=qid,
            question=_text_field(obj, "question", where),
            answer=str(obj.get("answer") or ""),
            doc_name=_text_field(obj, "doc_name", where),
            company=str(obj.get("company") or ""),
            question_type=str(obj.get("question_type") or ""),
            evidence=tuple(evidence),
        )
        if all(d in available for d in question.doc_names):
            kept.append(question)
        else:
            skipped.append(qid)
    if skipped:
        logger.warning(
            "FinanceBench: skipped %d of %d questions whose documents are not in %s",
            len(skipped),
            len(skipped) + len(kept),
            docs_dir,
        )
    return FinanceBenchDataset(
        f"financebench:{qpath.stem}", qpath, docs_dir, tuple(kept), available, tuple(skipped)
    )


# -- SEC QA -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SecQaEvidence:
    """One evidence quote (an exact span of the filing's visible text) and where it sits."""

    quote: str
    where: str = ""


@dataclass(frozen=True, slots=True)
class SecQaQuestion:
    """One SEC QA question over one filing, with its evidence quotes."""

    id: str
    doc: str
    question: str
    answer: str
    answer_type: str
    type: str
    hops: int
    evidence: tuple[SecQaEvidence, ...]

    def to_query(self) -> BenchQuery:
        """The question as a `BenchQuery` (gold document id = the filing's file stem)."""
        return BenchQuery(self.id, self.question, self.type, (Path(self.doc).stem,))


@dataclass(frozen=True, slots=True)
class SecQaDataset:
    """SEC QA questions whose filing is present, and the filings' paths (one shared corpus)."""

    name: str
    questions_path: Path
    filings_dir: Path
    questions: tuple[SecQaQuestion, ...]
    documents: Mapping[str, Path] = field(default_factory=dict)
    skipped: tuple[str, ...] = ()

    kind = "secqa"

    @property
    def queries(self) -> tuple[BenchQuery, ...]:
        """Every kept question as a `BenchQuery`."""
        return tuple(q.to_query() for q in self.questions)


def load_secqa(questions_path: str | Path, filings_dir: str | Path) -> SecQaDataset:
    """Load SEC QA questions (format of sec-qa/README.md) plus the folder of filings.

    Every file in the folder belongs to the shared corpus (`documents`, by file name);
    questions whose `doc` is absent are skipped and counted.
    """
    qpath = Path(questions_path)
    fdir = Path(filings_dir)
    if not fdir.is_dir():
        raise DatasetError(f"{fdir}: not a folder; expected the SEC filings folder")
    files = {
        p.name: p
        for p in sorted(fdir.iterdir())
        if p.is_file() and p.suffix.lower() in (".htm", ".html", ".txt", ".md")
    }
    kept: list[SecQaQuestion] = []
    skipped: list[str] = []
    seen: set[str] = set()
    for lineno, obj in _jsonl(qpath):
        where = f"{qpath}:{lineno}"
        qid = _text_field(obj, "id", where)
        if qid in seen:
            raise DatasetError(f"{where}: duplicate id {qid!r}")
        seen.add(qid)
        raw = _field(obj, "evidence", list, where)
        if not raw:
            raise DatasetError(f"{where}: 'evidence' is empty; expected at least one quote")
        evidence = []
        for i, ev in enumerate(raw):
            ewhere = f"{where}: evidence[{i}]"
            if not isinstance(ev, dict):
                raise DatasetError(f"{ewhere}: expected an object, got {type(ev).__name__}")
            evidence.append(
                SecQaEvidence(_text_field(ev, "quote", ewhere), str(ev.get("where", "")))
            )
        hops = obj.get("hops", len(evidence))
        if isinstance(hops, bool) or not isinstance(hops, int):
            raise DatasetError(f"{where}: field 'hops' should be int, got {hops!r}")
        question = SecQaQuestion(
            id=qid,
            doc=_text_field(obj, "doc", where),
            question=_text_field(obj, "question", where),
            answer=str(obj.get("answer") or ""),
            answer_type=str(obj.get("answer_type") or ""),
            type=_text_field(obj, "type", where),
            hops=hops,
            evidence=tuple(evidence),
        )
        if question.doc in files:
            kept.append(question)
        else:
            skipped.append(qid)
    if skipped:
        logger.warning("SEC QA: skipped %d questions whose filing is not in %s", len(skipped), fdir)
    return SecQaDataset(f"secqa:{qpath.stem}", qpath, fdir, tuple(kept), files, tuple(skipped))


Dataset = BeirDataset | FinanceBenchDataset | SecQaDataset


def load_dataset(spec: str, corpus: str | Path | None = None, split: str = "test") -> Dataset:
    """Load from a CLI-style spec: `beir:FOLDER`, `financebench:QUESTIONS_JSONL` or
    `secqa:QA_JSONL`; the last two need `corpus` (the documents or filings folder)."""
    kind, sep, path = spec.partition(":")
    if not sep or not path:
        raise DatasetError(
            f"dataset spec {spec!r} should be beir:PATH, financebench:PATH or secqa:PATH"
        )
    if kind == "beir":
        return load_beir(path, split)
    if kind in ("financebench", "secqa"):
        if corpus is None:
            raise DatasetError(f"dataset {spec!r} needs a corpus folder (--corpus DIR)")
        loader = load_financebench if kind == "financebench" else load_secqa
        return loader(path, corpus)
    raise DatasetError(f"unknown dataset kind {kind!r}; expected beir, financebench or secqa")
