"""Structural checks every chunking of every document must pass (shared by the test files)."""

from __future__ import annotations

import re

from ragkit.chunkers import TokenCounter
from ragkit.types import Block, Chunk, Document, Section

_SPACE = re.compile(r"\s+")


def _norm(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def section_material(section: Section) -> str:
    """Everything a chunk of `section` may quote: its own blocks, captions and footnotes."""
    parts: list[str] = []
    for block in section.blocks:
        parts.append(block.text)
        if block.caption:
            parts.append(block.caption)
        parts.extend(block.footnotes)
    return "\n".join(_norm(p) for p in parts)


def check_within_sections(doc: Document, chunks: list[Chunk]) -> None:
    """Every line of every chunk comes from the chunk's own section (no boundary crossing)."""
    sections = {s.id: s for s in doc.root.walk()}
    material = {}
    for chunk in chunks:
        section = sections[chunk.section_id]
        assert chunk.section_path == section.path
        if section.id not in material:
            material[section.id] = section_material(section)
        for line in chunk.text.split("\n"):
            line = _norm(line)
            if line:
                assert line in material[section.id], (
                    f"{doc.id}: line {line[:80]!r} of chunk {chunk.position} is not in its "
                    f"section {section.path}"
                )


def check_token_limit(chunks: list[Chunk], tok: TokenCounter, max_tokens: int) -> int:
    """Every search_text fits `max_tokens` model tokens (path line and [CLS]/[SEP] included).

    Returns the number of chunks holding a piece of a table row too long for one chunk.
    """
    counts = tok.count_batch([c.search_text for c in chunks])
    flagged = 0
    for chunk, n in zip(chunks, counts, strict=True):
        total = n + tok.n_special
        flagged += bool(chunk.metadata.get("split_row"))
        assert total <= max_tokens, (
            f"{chunk.doc_id} #{chunk.position} {chunk.section_path}: {total} > {max_tokens}"
        )
        assert chunk.n_tokens == total
    return flagged


def _rows(block: Block) -> tuple[list[str], list[str]]:
    lines = [" | ".join(c for c in r if c) for r in block.rows if any(r)]
    n_header = len([r for r in block.rows[: block.header_rows] if any(r)])
    return lines[:n_header], lines[n_header:]


def _is_run(lines: list[str], body: list[str]) -> bool:
    k = len(lines)
    return any(body[j : j + k] == lines for j in range(len(body) - k + 1))


def check_tables(
    doc: Document, chunks: list[Chunk], tok: TokenCounter, max_tokens: int = 256
) -> int:
    """Tables are split only between whole rows, header rows repeated, no row lost.

    A table piece is one "\n\n"-separated part of a chunk whose lines all belong to the
    table (caption, header rows, body rows). Rows too long for a chunk are cut like prose
    (`metadata["split_row"]`) and are checked by `check_within_sections` instead; header
    rows taking over half the budget are not repeated (the chunker's documented rule).
    Returns the number of tables that were split.
    """
    parts: dict[str, list[tuple[Chunk, list[str]]]] = {}
    cut_lines: dict[str, list[str]] = {}  # lines of pieces of rows cut like prose
    for chunk in chunks:
        if chunk.metadata.get("split_row"):
            cut_lines.setdefault(chunk.section_id, []).extend(chunk.text.split("\n"))
        for part in chunk.text.split("\n\n"):
            parts.setdefault(chunk.section_id, []).append((chunk, part.split("\n")))
    split = 0
    for section in doc.root.walk():
        for block in section.blocks:
            if block.kind != "table" or not block.rows:
                continue
            header, body = _rows(block)
            if not body:
                continue
            lead = ([block.caption] if block.caption else []) + header
            allowed = set(lead) | set(body)
            body_set = set(body)
            pieces = [
                (chunk, lines)
                for chunk, lines in parts.get(section.id, [])
                if set(lines) <= allowed
                and body_set.intersection(lines)
                and (len(lines) > 1 or " | " in lines[0] or len(body) == 1)
            ]
            found = {
                line for _, lines in parts.get(section.id, []) for line in lines if line in body_set
            }
            cut = cut_lines.get(section.id, [])
            lost = [r for r in body_set - found if not any(c and c in r for c in cut)]
            assert not lost, f"{doc.id}: rows of a table in {section.path} lost: {lost[:2]}"
            lead_set = set(lead) - body_set
            for chunk, lines in pieces:
                if lines[: len(lead)] == lead:
                    i = len(lead)
                elif lead and lines[: len(header)] == header:
                    i = len(header)
                else:
                    i = 0
                    while i < len(lines) and lines[i] in lead_set:
                        i += 1
                assert _is_run(lines[i:], body), (
                    f"{doc.id} #{chunk.position}: table rows out of order or cut"
                )
            budget = max_tokens - tok.n_special - tok.count(" > ".join(section.path))
            repeat = sum(tok.count_batch(header)) <= budget // 2
            if sum(tok.count_batch(lead)) > budget // 2:
                lead = header
            if len(pieces) > 1:
                split += 1
                for chunk, lines in pieces:
                    if not repeat:
                        continue
                    assert lines[: len(lead)] == lead, (
                        f"{doc.id} #{chunk.position}: header rows {header} not repeated"
                    )
    return split
