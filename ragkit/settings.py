"""Settings read from the environment: where the shared data lives, where caches go."""

from __future__ import annotations

import os
from pathlib import Path

_PROJECT_ROOT = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    """The shared data folder: `$RAGKIT_DATA`, else `shared/data` beside the project root."""
    env = os.environ.get("RAGKIT_DATA")
    if env:
        return Path(env).expanduser()
    return _PROJECT_ROOT.parent / "shared" / "data"


def cache_dir() -> Path:
    """Where ragkit caches embeddings and benchmark indexes: `$RAGKIT_CACHE` or ~/.cache/ragkit."""
    env = os.environ.get("RAGKIT_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "ragkit"
