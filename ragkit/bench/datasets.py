"""Benchmark datasets (BEIR, FinanceBench, SEC QA) as small frozen dataclasses, each supplying
what a benchmark needs: its corpus as chunks, its queries and its task (the metrics).

Every path is an argument; nothing is hard-coded. Malformed lines raise `DatasetError` naming
the file and the 1-based line number, so a broken dataset is fixed in one look.

Chunks: a BEIR document is one chunk whose text is `beir_passage_text` (the one text form,
shared by the benchmark, `ragkit train-reranker` and the SciFact scripts, so a reranker is
trained on the text it is benchmarked on); FinanceBench and SEC QA documents are parsed and
chunked, cached under `cache_dir()/bench-chunks/` by the files' sha256, the chunker, its
parameters and the parser/chunker sources. Datasets are loaded by name through the registry
in `ragkit.bench.registry` (`load_dataset("beir:PATH")`).
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ragkit.errors import DatasetError
from ragkit.indexes.store import sha256_file
from ragkit.settings import cache_dir
from ragkit.types import Chunk

if TYPE_CHECKING:
    from ragkit.bench.tasks import Task

logger = logging.getLogger(__name__)

__all__ = [
    "BenchQuery",
    "Dataset",
    "CACHE_VERSION",
    "document_chunks",
    "corpus_chunks",
    "chunks_key",
    "BeirDoc",
    "beir_passage_text",
    "beir_chunk",
    "BeirDataset",
    "FinanceBenchEvidence",
    "FinanceBenchQuestion",
    "FinanceBenchDataset",
    "SecQaEvidence",
    "SecQaQuestion",
    "SecQaDataset",
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


class Dataset(Protocol):
    """What the benchmark needs of a dataset: a name and kind, the queries, the corpus as chunks
    (what systems index) and the task that scores a ranking (its metrics).

    BEIR, FinanceBench and SEC QA implement it; register another with
    `ragkit.bench.registry.register_dataset`.
    """

    @property
    def name(self) -> str:
        """The dataset's label in reports, e.g. "beir:scifact/test"."""
        ...

    @property
    def kind(self) -> str:
        """The dataset's kind (its registry name), e.g. "beir"."""
        ...

    @property
    def queries(self) -> tuple[BenchQuery, ...]:
        """The queries, in run order."""
        ...

    def chunks(
        self,
        chunker: str = "hierarchical",
        chunker_params: Mapping[str, Any] | None = None,
        *,
        cache: bool = True,
    ) -> tuple[list[Chunk], dict[str, Any]]:
        """The corpus as chunks, and facts about making them (`parse_s`, `cached`, `n_chunks`)."""
        ...

    def task(self) -> Task:
        """The task that scores rankings of this dataset's chunks."""
        ...


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
    """obj[key] as non-blank text (ids may be JSON numbers, so ints are accepted)."""
    value = _field(obj, key, (str, int), where)
    text = str(value)
    if not text.strip():
        raise DatasetError(f"{where}: field {key!r} is empty")
    return text


# -- corpus chunks ----------------------------------------------------------------------------

#: Bumped when the cached chunk or index layout changes.
CACHE_VERSION = 1


@functools.cache
def _chunking_code_digest() -> str:
    """sha256 of the parser and chunker sources: a change to either invalidates cached chunks."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted([*root.glob("parsers/*.py"), *root.glob("chunkers/*.py")]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _hash(parts: Any) -> str:
    """sha256 of a JSON-able value (keys sorted): a cache key."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def _facts(start: float, chunks: Sequence[Chunk], cached: bool) -> dict[str, Any]:
    """The facts a dataset reports with its chunks."""
    return {"parse_s": round(time.perf_counter() - start, 3), "cached": cached,
            "n_chunks": len(chunks)}  # fmt: skip


def document_chunks(
    documents: Mapping[str, Path],
    chunker: str = "hierarchical",
    chunker_params: Mapping[str, Any] | None = None,
    *,
    cache: bool = True,
) -> tuple[list[Chunk], dict[str, Any]]:
    """Document files (by name) parsed and chunked with `chunker`, and facts.

    Cached by the files' sha256 and the parser/chunker sources' digest, so that a second run
    does not re-parse and a code change does not reuse stale chunks.
    """
    from ragkit import __version__

    start = time.perf_counter()
    paths = [Path(p) for _, p in sorted(documents.items())]
    params = dict(chunker_params or {})
    key = _hash({"files": [(p.name, sha256_file(p)) for p in paths], "chunker": chunker,
                 "params": params, "ragkit": __version__, "v": CACHE_VERSION,
                 "code": _chunking_code_digest()})  # fmt: skip
    path = cache_dir() / "bench-chunks" / f"{key}.jsonl"
    if cache and path.is_file():
        with path.open(encoding="utf-8") as handle:
            chunks = [Chunk.from_dict(json.loads(line)) for line in handle if line.strip()]
        logger.info("loaded %d cached %s chunks from %s", len(chunks), chunker, path)
        return chunks, _facts(start, chunks, True)
    from ragkit.chunkers import get_chunker
    from ragkit.parsers import load

    chunk_fn = get_chunker(chunker, **params)
    docs = load(paths)
    chunks = [c for doc in docs for c in chunk_fn.chunk(doc)]
    if cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        with tmp.open("w", encoding="utf-8") as handle:
            for c in chunks:
                handle.write(json.dumps(c.to_dict(), ensure_ascii=False) + "\n")
        tmp.replace(path)
    facts = _facts(start, chunks, False)
    logger.info("parsed %d documents into %d %s chunks in %.1fs", len(docs), len(chunks),
                chunker, facts["parse_s"])  # fmt: skip
    return chunks, facts


def corpus_chunks(
    dataset: Dataset,
    chunker: str = "hierarchical",
    chunker_params: Mapping[str, Any] | None = None,
    *,
    cache: bool = True,
) -> tuple[list[Chunk], dict[str, Any]]:
    """The dataset's corpus as chunks, and facts (`parse_s`, `cached`, `n_chunks`): what
    `dataset.chunks` gives (BEIR: one chunk per document; documents: parsed, chunked, cached)."""
    return dataset.chunks(chunker, chunker_params, cache=cache)


def chunks_key(chunks: Sequence[Chunk], **params: Any) -> str:
    """sha256 of the chunks (ids, search texts, pages and metadata, which filters and routing
    read) plus the given parameters: an index's key."""
    digest = hashlib.sha256()
    for c in chunks:
        digest.update(c.id.encode())
        digest.update(b"\0")
        digest.update(c.search_text.encode())
        digest.update(b"\0")
        digest.update(json.dumps([c.page_start, c.page_end, c.metadata], sort_keys=True,
                                 default=str).encode())  # fmt: skip
        digest.update(b"\1")
    digest.update(json.dumps(params, sort_keys=True, default=str).encode())
    digest.update(f"v{CACHE_VERSION}".encode())
    return digest.hexdigest()


# -- BEIR -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BeirDoc:
    """One BEIR corpus document."""

    id: str
    title: str
    text: str


def beir_passage_text(doc: BeirDoc) -> str:
    """The one text form of a BEIR document, indexed by the benchmark and paired by
    `ragkit train-reranker`: the title line, then the body (the body alone without a title)."""
    return f"{doc.title}\n{doc.text}".strip() if doc.title else doc.text


def beir_chunk(doc: BeirDoc, position: int = 0, *, title_path: bool = False) -> Chunk:
    """A BEIR document as one chunk whose `search_text` is `beir_passage_text(doc)`.

    With `title_path`, the title line is held as the chunk's section path instead of in its
    text (the same `search_text`), so that title queries can show the passage without it.
    """
    text = beir_passage_text(doc)
    n_tokens = len(text.split())
    path: tuple[str, ...] = ()
    head, sep, body = text.partition("\n")
    if title_path and sep and doc.title.strip() and head.strip() == doc.title.strip():
        path, text = (head,), body  # search_text = head + "\n" + body, unchanged
    return Chunk(id=doc.id, doc_id=doc.id, text=text, section_path=path, position=position,
                 n_tokens=n_tokens)  # fmt: skip


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

    def chunks(
        self,
        chunker: str = "hierarchical",
        chunker_params: Mapping[str, Any] | None = None,
        *,
        cache: bool = True,
    ) -> tuple[list[Chunk], dict[str, Any]]:
        """One chunk per document (`beir_chunk`); the chunker and cache do not apply."""
        start = time.perf_counter()
        chunks = [beir_chunk(doc, pos) for pos, doc in enumerate(self.corpus)]
        return chunks, _facts(start, chunks, False)

    def task(self) -> Task:
        """nDCG, recall and MRR over the qrels (`ragkit.bench.tasks.BeirTask`)."""
        from ragkit.bench.tasks import BeirTask

        return BeirTask(self)


def _is_header(cols: Sequence[str]) -> bool:
    """Whether a qrels file's first line is its header ("query-id", or a non-integer score)."""
    if cols[0].strip().lower() in ("query-id", "query_id", "qid"):
        return True
    return len(cols) == 3 and not cols[2].strip().lstrip("-").isdigit()


def _load_qrels(path: Path) -> dict[str, dict[str, int]]:
    """{query id: {document id: relevance}} from a BEIR qrels TSV, in file order."""
    if not path.is_file():
        raise DatasetError(f"{path}: qrels file not found; expected qrels/<split>.tsv")
    qrels: dict[str, dict[str, int]] = {}
    with path.open(encoding="utf-8") as handle:
        for lineno, line in enumerate(handle, start=1):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            cols = line.split("\t")
            if lineno == 1 and _is_header(cols):
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
    """Sort key putting numeric ids in numeric order ("2" before "10"), then the others."""
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


class _DocumentsDataset:
    """Questions over a folder of documents: queries from the kept questions, chunks parsed
    from every document (shared by FinanceBench and SEC QA)."""

    __slots__ = ()
    questions: tuple[Any, ...]
    documents: Mapping[str, Path]

    @property
    def queries(self) -> tuple[BenchQuery, ...]:
        """Every kept question as a `BenchQuery`."""
        return tuple(q.to_query() for q in self.questions)

    def chunks(
        self,
        chunker: str = "hierarchical",
        chunker_params: Mapping[str, Any] | None = None,
        *,
        cache: bool = True,
    ) -> tuple[list[Chunk], dict[str, Any]]:
        """Every document of the folder parsed and chunked (`document_chunks`, cached)."""
        return document_chunks(self.documents, chunker, chunker_params, cache=cache)


@dataclass(frozen=True, slots=True)
class FinanceBenchDataset(_DocumentsDataset):
    """FinanceBench questions whose documents are present, and every document of the folder
    (the shared corpus) by `doc_name`."""

    name: str
    questions_path: Path
    documents_dir: Path
    questions: tuple[FinanceBenchQuestion, ...]
    documents: Mapping[str, Path] = field(default_factory=dict)
    skipped: tuple[str, ...] = ()

    kind = "financebench"

    def task(self) -> Task:
        """Evidence-page recall and coverage (`ragkit.bench.tasks.FinanceBenchTask`)."""
        from ragkit.bench.tasks import FinanceBenchTask

        return FinanceBenchTask(self)


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
class SecQaDataset(_DocumentsDataset):
    """SEC QA questions whose filing is present, and the filings' paths (one shared corpus)."""

    name: str
    questions_path: Path
    filings_dir: Path
    questions: tuple[SecQaQuestion, ...]
    documents: Mapping[str, Path] = field(default_factory=dict)
    skipped: tuple[str, ...] = ()

    kind = "secqa"

    def task(self) -> Task:
        """Evidence-quote and question recall (`ragkit.bench.tasks.SecQaTask`)."""
        from ragkit.bench.tasks import SecQaTask

        return SecQaTask(self)


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


def load_dataset(spec: str, corpus: str | Path | None = None, split: str = "test") -> Dataset:
    """Load from a spec `KIND:PATH` through the dataset registry: `beir:FOLDER`,
    `financebench:QUESTIONS_JSONL` or `secqa:QA_JSONL` (the last two need `corpus`, the
    documents or filings folder), or any kind added with `register_dataset`."""
    from ragkit.bench.registry import load_dataset as load

    return load(spec, corpus, split)
