"""Confinement: every escape from the corpus root is refused with SandboxError."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ragkit.agentic.sandbox import Sandbox, match_glob
from ragkit.agentic.tools import Tools
from ragkit.errors import ConfigError, QueryError, SandboxError


@pytest.fixture()
def outside(tmp_path: Path) -> Path:
    secret = tmp_path / "secret.txt"
    secret.write_text("the launch code is 0000\n", encoding="utf-8")
    return secret


def test_relative_and_absolute_inside_are_allowed(text_corpus: Path) -> None:
    box = Sandbox(text_corpus)
    assert box.resolve("acme-10k-2024.txt") == (text_corpus / "acme-10k-2024.txt").resolve()
    assert box.resolve(str(text_corpus / "sub" / "acme-risks.txt")).name == "acme-risks.txt"


def test_absolute_path_outside_is_refused(text_corpus: Path, outside: Path) -> None:
    with pytest.raises(SandboxError, match="outside the corpus root"):
        Sandbox(text_corpus).resolve(str(outside))


def test_dotdot_is_refused_even_when_it_lands_inside(text_corpus: Path) -> None:
    box = Sandbox(text_corpus)
    with pytest.raises(SandboxError, match=r"'\.\.'"):
        box.resolve("../secret.txt")
    with pytest.raises(SandboxError):
        box.resolve("sub/../acme-10k-2024.txt")


def test_symlink_pointing_outside_is_refused(text_corpus: Path, outside: Path) -> None:
    (text_corpus / "link.txt").symlink_to(outside)
    (text_corpus / "linkdir").symlink_to(outside.parent, target_is_directory=True)
    box = Sandbox(text_corpus)
    with pytest.raises(SandboxError):
        box.resolve("link.txt")
    with pytest.raises(SandboxError):
        box.resolve("linkdir/secret.txt")
    tools = Tools(text_corpus, view_cache=text_corpus.parent / "cache")
    with pytest.raises(SandboxError):
        tools.read("link.txt")
    # the escaping link is invisible to glob and grep
    assert "link.txt" not in tools.glob("*").text
    assert "launch code" not in tools.grep("launch").text


def test_symlink_inside_the_root_is_followed(text_corpus: Path) -> None:
    (text_corpus / "alias.txt").symlink_to(text_corpus / "acme-10k-2024.txt")
    assert Sandbox(text_corpus).resolve("alias.txt").name == "acme-10k-2024.txt"


def test_fifo_and_devices_are_refused(text_corpus: Path) -> None:
    os.mkfifo(text_corpus / "pipe.txt")
    box = Sandbox(text_corpus)
    with pytest.raises(SandboxError, match="not a regular file"):
        box.resolve("pipe.txt")
    assert all(p.name != "pipe.txt" for p in box.files())
    (text_corpus / "null").symlink_to("/dev/null")
    with pytest.raises(SandboxError):
        box.resolve("null")


def test_missing_file_and_directory_are_query_errors(text_corpus: Path) -> None:
    box = Sandbox(text_corpus)
    with pytest.raises(QueryError, match="no file"):
        box.resolve("nope.txt")
    with pytest.raises(QueryError, match="directory"):
        box.resolve("sub")
    with pytest.raises(SandboxError):
        box.resolve("")


def test_root_must_be_a_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        Sandbox(tmp_path / "absent")


def test_glob_matching_rules() -> None:
    assert match_glob("sub/acme-risks.txt", "*.txt")
    assert match_glob("sub/acme-risks.txt", "sub/*.txt")
    assert match_glob("a.htm", "{b.htm,a.htm}")
    assert not match_glob("a.htm", "*.txt")
