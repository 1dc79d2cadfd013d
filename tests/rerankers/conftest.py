"""Session-wide fixtures of the reranker tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.rerankers.models import seeded_cross_encoder_dir


@pytest.fixture(scope="session")
def cross_encoder_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the packaged MiniLM with a seeded, untrained cross-encoder head."""
    return seeded_cross_encoder_dir(tmp_path_factory.mktemp("models"))
