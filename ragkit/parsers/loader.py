"""`load_document(path)` picks a parser (HTML, paged text, Markdown, PDF, .docx, plain text);
`load(paths)` loads files and folders.

The size limit is checked with `stat()` before a byte is read, so a huge file costs nothing.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from ragkit.errors import (
    DocumentTooLargeError,
    EmptyDocumentError,
    ParseError,
    UnsupportedFormatError,
)
from ragkit.parsers.corpus import corpus_files, no_documents_error
from ragkit.parsers.decode import declared_charset, decode_bytes
from ragkit.parsers.detect import detect_format
from ragkit.parsers.edgar_html import parse_edgar_html
from ragkit.parsers.markdown import parse_markdown
from ragkit.parsers.text_pages import parse_text_pages
from ragkit.types import Document

logger = logging.getLogger(__name__)

#: Default size limit for one document (bytes): EDGAR's largest primary documents are ~30 MB.
DEFAULT_MAX_BYTES = 100 * 1024 * 1024


def load_document(
    path: str | os.PathLike[str], doc_id: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES
) -> Document:
    """Parse one file, choosing the parser by its content (HTML, paged text, Markdown, text).

    Raises DocumentTooLargeError (before reading) above `max_bytes`, EmptyDocumentError for a
    file without visible text, UnsupportedFormatError for binary data.
    """
    p = Path(path)
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise ParseError(
            f"cannot read {p}: {exc.strerror or exc}; expected a readable file"
        ) from exc
    if not p.is_file():
        raise ParseError(f"{p} is not a regular file; expected a document file")
    if size > max_bytes:
        raise DocumentTooLargeError(
            f"{p} is {size:,} bytes; the limit is {max_bytes:,} bytes (raise max_bytes to parse it)"
        )
    if size == 0:
        raise EmptyDocumentError(f"{p} is empty (0 bytes); expected a document with text")
    return parse_bytes(p.read_bytes(), p.name, doc_id or p.stem, str(p))


def parse_bytes(data: bytes, name: str, doc_id: str, source: str = "") -> Document:
    """Parse a file's bytes (`name` is its file name, for format hints and metadata); the
    caller has read them, e.g. through the agent's sandbox, and checked their size."""
    size = len(data)
    p = source or name
    if size == 0:
        raise EmptyDocumentError(f"{p} is empty (0 bytes); expected a document with text")
    fmt = detect_format(data[:65536], name)
    if fmt == "binary":
        raise UnsupportedFormatError(
            f"{p} looks like binary data (NUL or control bytes in its first {min(size, 65536)} "
            "bytes); expected HTML, Markdown, plain text, PDF or .docx"
        )
    if fmt == "pdf":
        from ragkit.parsers.pdf import parse_pdf  # pypdfium2 only when a PDF is loaded

        doc = parse_pdf(data, doc_id=doc_id, source=source)
    elif fmt == "docx":
        from ragkit.parsers.docx import parse_docx

        doc = parse_docx(data, doc_id=doc_id, source=source)
    elif fmt in ("edgar-html", "html"):
        doc = parse_edgar_html(data, doc_id=doc_id, source=source)
    else:
        text, codec = decode_bytes(data, declared_charset(data) if fmt != "text" else None)
        if fmt == "markdown":
            doc = parse_markdown(text, doc_id=doc_id, source=source)
        else:
            doc = parse_text_pages(text, doc_id=doc_id, source=source)
        doc.metadata["encoding"] = codec
    doc.metadata["source_name"] = name
    return doc


def _iter_files(
    paths: Iterable[str | os.PathLike[str]], skipped: list[str]
) -> Iterator[tuple[Path, Path]]:
    """(file, base folder) pairs: folders by `corpus_files` (recursively, sorted, hidden entries
    and symlinks leading outside the folder skipped), files as given."""
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            for path in corpus_files(p, skipped):
                yield path, p
        elif p.exists():
            yield p, p.parent
        else:
            raise ParseError(f"{p} does not exist; expected a file or folder to load")


def load(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    max_bytes: int = DEFAULT_MAX_BYTES,
    skip_errors: bool = False,
) -> list[Document]:
    """Load files and folders (recursively, sorted, skipping hidden files) into Documents.

    Ids are file stems, disambiguated by the relative path when two files share a stem. With
    `skip_errors`, files that fail to parse are logged and skipped instead of raising.
    """
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    paths = list(paths)
    skipped: list[str] = []
    files = list(_iter_files(paths, skipped))
    stems: dict[str, int] = {}
    for f, _ in files:
        stems[f.stem] = stems.get(f.stem, 0) + 1
    docs: list[Document] = []
    used: set[str] = set()
    for f, base in files:
        doc_id = f.stem
        if stems[f.stem] > 1:
            try:
                rel = f.relative_to(base)
            except ValueError:
                rel = f
            doc_id = rel.with_suffix("").as_posix()
        while doc_id in used:
            doc_id = f.with_suffix("").as_posix()
            if doc_id in used:
                doc_id = f"{doc_id}-{len(used)}"
        used.add(doc_id)
        try:
            docs.append(load_document(f, doc_id=doc_id, max_bytes=max_bytes))
        except ParseError as exc:
            if not skip_errors:
                raise
            logger.warning("skipped %s: %s", f, exc)
            skipped.append(f"{f}: {exc}")
    if paths and not docs:
        raise no_documents_error(paths, skipped)
    return docs
