"""Without its framework, each adapter fails on import with a DependencyError naming the extra."""

from __future__ import annotations

import importlib
import sys

import pytest

from ragkit.errors import DependencyError


@pytest.mark.parametrize(
    ("adapter", "framework", "extra"),
    [
        ("langchain", "langchain_core", "langchain"),
        ("llamaindex", "llama_index", "llamaindex"),
        ("haystack", "haystack", "haystack"),
    ],
)
def test_missing_framework_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, adapter: str, framework: str, extra: str
) -> None:
    for name in list(sys.modules):
        if name == framework or name.startswith(framework + "."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, framework, None)  # makes `import framework` fail
    if framework == "llama_index":
        monkeypatch.setitem(sys.modules, "llama_index.core", None)
    monkeypatch.delitem(sys.modules, f"ragkit.integrations.{adapter}", raising=False)
    with pytest.raises(DependencyError, match=rf"pip install 'ragkit\[{extra}\]'"):
        importlib.import_module(f"ragkit.integrations.{adapter}")
