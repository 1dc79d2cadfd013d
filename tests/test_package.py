"""Package-level guarantees: cheap import, CLI help for every command, typed errors, no
module-level import cycles, no over-long functions."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import ragkit
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


# -- code structure: import graph and function length ---------------------------------------
PACKAGE = Path(ragkit.__file__).resolve().parent
#: The longest a function in ragkit/ may be, in lines (decorators excluded, docstring included).
MAX_FUNCTION_LINES = 80


def _modules() -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its own name)."""
    modules = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _module_level_imports(body: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    """The import statements run when the module is imported: top level, also inside
    module-level if/try/with blocks, but not under `if TYPE_CHECKING:` nor in functions."""
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If):
            if not _is_type_checking(node.test):
                yield from _module_level_imports(node.body)
            yield from _module_level_imports(node.orelse)
        elif isinstance(node, ast.Try):
            for block in (node.body, *(h.body for h in node.handlers), node.orelse):
                yield from _module_level_imports(block)
            yield from _module_level_imports(node.finalbody)
        elif isinstance(node, ast.With):
            yield from _module_level_imports(node.body)


def _import_graph() -> dict[str, set[str]]:
    """Module → the package modules its module-level imports load: the named module
    (`from a.b import c` counts a.b.c when c is a module, else a.b) and, for an importer
    outside them, the packages above it, whose `__init__` runs first."""
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in _module_level_imports(ast.parse(path.read_text("utf-8")).body):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                targets = [
                    f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base
                    for a in node.names
                ]
            for target in targets:
                parts = target.split(".")
                for depth in range(2, len(parts) + 1):
                    module = ".".join(parts[:depth])
                    inside = name == module or name.startswith(module + ".")
                    if module in modules and (depth == len(parts) or not inside):
                        graph[name].add(module)
            graph[name].discard(name)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The graph's cycles, one per strongly connected component of 2+ modules (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_import_graph_finds_module_level_imports() -> None:
    graph = _import_graph()
    assert "ragkit.errors" in graph["ragkit.registry"]
    assert "ragkit.models" in graph["ragkit.indexes.static"]
    assert "ragkit.indexes.static" not in graph["ragkit.models"]
    assert "ragkit.indexes.static" in graph["ragkit.indexes.embeddings"]
    assert "ragkit.indexes" not in graph["ragkit.indexes.embeddings"]  # its own package
    assert {"ragkit.fusion", "ragkit.fusion.normalize"} <= graph["ragkit.rerankers.base"]
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycles() -> None:
    cycles = _cycles(_import_graph())
    assert not cycles, f"module-level import cycles in ragkit: {cycles}"


def test_no_function_longer_than_80_lines() -> None:
    too_long = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                assert node.end_lineno is not None
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    where = path.relative_to(PACKAGE.parent)
                    too_long.append(f"{where}:{node.lineno} {node.name} ({lines} lines)")
    assert not too_long, f"functions over {MAX_FUNCTION_LINES} lines: {too_long}"
