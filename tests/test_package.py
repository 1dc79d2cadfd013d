"""Package-level guarantees: cheap import, CLI help for every command, typed errors."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ragkit import errors
from ragkit.cli import build_parser, main

HEAVY = ("torch", "faiss", "cohere", "sentence_transformers", "bm25s", "rank_bm25", "transformers")


def _imported_after(code: str) -> set[str]:
    probe = f"import sys; {code}; print(','.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(out.stdout.strip().split(","))


def test_import_ragkit_does_not_import_heavy_libraries() -> None:
    loaded = _imported_after("import ragkit, ragkit.types, ragkit.errors")
    assert not loaded & set(HEAVY), loaded & set(HEAVY)


def test_cli_startup_does_not_import_heavy_libraries() -> None:
    loaded = _imported_after("from ragkit.cli import build_parser; build_parser()")
    assert not loaded & set(HEAVY), loaded & set(HEAVY)


def test_every_cli_command_has_help_text() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    assert sub.choices, "no commands registered"
    helps = {a.dest: a.help for a in sub._choices_actions}
    for name, subparser in sub.choices.items():
        assert helps.get(name), f"command {name!r} has no help text"
        for action in subparser._actions:
            if action.dest not in ("help",) and action.option_strings:
                assert action.help, f"option {action.option_strings} of {name!r} has no help"


def test_cli_without_command_exits_with_usage(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main([])
    assert exc.value.code == 2
    assert "usage: ragkit" in capsys.readouterr().err


def test_errors_inherit_matching_builtins() -> None:
    assert issubclass(errors.ConfigError, ValueError)
    assert issubclass(errors.QueryError, ValueError)
    assert issubclass(errors.SandboxError, PermissionError)
    assert issubclass(errors.ProviderTimeoutError, TimeoutError)
    assert issubclass(errors.DependencyError, ImportError)
    for name in dir(errors):
        obj = getattr(errors, name)
        if isinstance(obj, type) and issubclass(obj, Exception) and obj is not errors.RagkitError:
            assert issubclass(obj, errors.RagkitError), name
