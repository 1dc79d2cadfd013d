"""Optional pieces are extras: the core install lacks them, `dev` has them all, and using one
without it raises DependencyError naming the extra to install."""

from __future__ import annotations

import sys
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from ragkit.errors import DependencyError

PYPROJECT = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
EXTRAS = ("pdf", "docx", "charts", "cohere", "ripgrep", "bm25-reference")


def test_core_lacks_the_optional_pieces_and_dev_has_every_extra() -> None:
    core = " ".join(PYPROJECT["project"]["dependencies"]).lower()
    for heavy in ("matplotlib", "cohere", "ripgrep", "rank-bm25", "pypdfium2", "langchain"):
        assert heavy not in core
    optional = PYPROJECT["project"]["optional-dependencies"]
    dev = " ".join(optional["dev"])
    for extra in (*EXTRAS, "langchain", "llamaindex", "haystack"):
        assert extra in optional and extra in dev, extra


def _bm25_reference() -> None:
    from ragkit.indexes import BM25Index
    from ragkit.types import Chunk

    BM25Index(backend="rank_bm25").add([Chunk(id="a", doc_id="d", text="net revenue rose")])


def _charts() -> None:
    from ragkit.bench.charts import _pyplot

    _pyplot()


def _pdf() -> None:
    from ragkit.parsers.pdf import parse_pdf

    parse_pdf(b"%PDF-1.4", doc_id="x")


def _docx() -> None:
    from ragkit.parsers.docx import parse_docx

    parse_docx(b"PK", doc_id="x")


def _cohere() -> None:
    from ragkit.remote import RemoteSettings

    RemoteSettings(provider="cohere", api_key="test-key").cohere_client()


@pytest.mark.parametrize(
    ("module", "extra", "use"),
    [
        ("rank_bm25", "bm25-reference", _bm25_reference),
        ("matplotlib", "charts", _charts),
        ("pypdfium2", "pdf", _pdf),
        ("docx", "docx", _docx),
        ("cohere", "cohere", _cohere),
    ],
)
def test_missing_extra_is_named(
    monkeypatch: pytest.MonkeyPatch, module: str, extra: str, use: Callable[[], None]
) -> None:
    for name in list(sys.modules):
        if name == module or name.startswith(module + "."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, module, None)  # `import module` now fails
    with pytest.raises(DependencyError, match=rf"pip install 'ragkit\[{extra}\]'"):
        use()
