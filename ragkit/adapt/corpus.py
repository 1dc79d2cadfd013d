"""The corpus `ragkit adapt` learns from, as chunks, and its content hash.

A corpus is a folder of documents (parsed and chunked like `ragkit index` does), a BEIR folder
(only its ``corpus.jsonl`` is read: never queries or qrels) or a JSONL file of chunks (what
`ragkit chunk --json` writes).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from ragkit.errors import ConfigError, DatasetError
from ragkit.types import Chunk

#: The file of a BEIR folder that holds its documents.
BEIR_CORPUS = "corpus.jsonl"


def beir_corpus_chunks(folder: str | Path) -> list[Chunk]:
    """One chunk per document of a BEIR folder's corpus.jsonl, the title held as its section
    path (`search_text` = title line + body, as the benchmark indexes it)."""
    from ragkit.bench.datasets import BeirDoc, beir_chunk

    path = Path(folder) / BEIR_CORPUS
    chunks: list[Chunk] = []
    with path.open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                doc = BeirDoc(str(row["_id"]), str(row.get("title") or ""), str(row["text"]))
            except (ValueError, KeyError, TypeError) as exc:
                raise DatasetError(f"{path}:{line_no}: not a BEIR corpus row ({exc})") from exc
            chunks.append(beir_chunk(doc, len(chunks), title_path=True))
    return chunks


def load_corpus(source: str | Path, chunker: str = "hierarchical") -> list[Chunk]:
    """The chunks of a documents folder or file, a BEIR folder, or a chunks JSONL file."""
    path = Path(source)
    if not path.exists():
        raise ConfigError(f"corpus {str(source)!r} does not exist")
    if path.is_dir() and (path / BEIR_CORPUS).is_file():
        return beir_corpus_chunks(path)
    if path.is_file() and path.suffix == ".jsonl":
        with path.open(encoding="utf-8") as handle:
            try:
                return [Chunk.from_dict(json.loads(line)) for line in handle if line.strip()]
            except (ValueError, KeyError, TypeError) as exc:
                raise DatasetError(f"{path}: not a JSONL file of chunks ({exc})") from exc
    from ragkit.chunkers import get_chunker
    from ragkit.parsers import load

    chunk_fn = get_chunker(chunker)
    return [c for doc in load(path, skip_errors=True) for c in chunk_fn.chunk(doc)]


def corpus_hash(chunks: Sequence[Chunk]) -> str:
    """sha256 of the chunks' documents, ids and indexed texts, in order."""
    digest = hashlib.sha256()
    for c in chunks:
        digest.update(f"{c.doc_id}\x1f{c.id}\x1f{c.search_text}\x1e".encode())
    return digest.hexdigest()


def with_metadata(chunks: Sequence[Chunk], metadata_file: str | Path | None) -> list[Chunk]:
    """The chunks with what a document-information file (JSONL or CSV, as routing reads it:
    `ragkit.routing.metadata_file`) says of their document filled in where their own metadata
    is silent; the document's own values win. Without a file, the chunks unchanged."""
    if metadata_file is None:
        return list(chunks)
    from ragkit.routing.metadata_file import load_metadata_file

    extra = load_metadata_file(metadata_file)
    return [
        replace(c, metadata={**extra[c.doc_id], **c.metadata}) if c.doc_id in extra else c
        for c in chunks
    ]
