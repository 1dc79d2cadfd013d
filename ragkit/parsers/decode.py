"""Bytes to text for parsers: honour a declared charset, else UTF-8, else cp1252 (then Latin-1).

EDGAR filings from the 1990s and 2000s are often cp1252 or Latin-1 without a declaration, so a
strict UTF-8 attempt comes first and the single-byte codecs are the fallback.
"""

from __future__ import annotations

import codecs
import logging
import re

logger = logging.getLogger(__name__)

_DECLARED = re.compile(rb"""(?:charset|encoding)\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def declared_charset(data: bytes) -> str | None:
    """The charset an HTML/XML document declares in its first 4 KB, if it names a known codec."""
    match = _DECLARED.search(data[:4096])
    if not match:
        return None
    name = match.group(1).decode("ascii", "ignore").lower()
    try:
        return codecs.lookup(name).name
    except LookupError:
        logger.debug("unknown declared charset %r ignored", name)
        return None


def decode_bytes(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """Decode `data`; return (text, codec used). Never raises on undecodable bytes.

    Order: byte-order mark, the declared charset (when it decodes cleanly), strict UTF-8,
    cp1252, then Latin-1 (which accepts every byte).
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data.decode(codec, errors="replace"), codec
    candidates: list[str] = []
    if declared and not _ascii_incompatible(declared):
        # a declared Latin-1 is, in practice, cp1252 (browsers decode it so too)
        candidates.append("cp1252" if declared in ("latin-1", "iso8859-1", "ascii") else declared)
    candidates += ["utf-8", "cp1252"]
    for codec in candidates:
        try:
            text = data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            continue
        if codec == declared and not _declaration_survives(data, text):
            logger.debug("declared charset %s garbles the declaration; ignored", codec)
            continue
        return text, codec
    return data.decode("latin-1"), "latin-1"


def _ascii_incompatible(codec: str) -> bool:
    """UTF-16/32 declared in ASCII bytes cannot be right (no BOM was found): the HTML standard
    has browsers read such a document as UTF-8, and so do we."""
    return codec.startswith(("utf-16", "utf-32", "utf_16", "utf_32"))


def _declaration_survives(data: bytes, text: str) -> bool:
    """A declaration was read as ASCII bytes, so the right codec decodes it back to the same
    letters; one that does not (EBCDIC and other ASCII-incompatible codecs) is wrong."""
    match = _DECLARED.search(data[:4096])
    if match is None:
        return True
    return match.group(0).decode("ascii", "replace").lower() in text[:8192].lower()
