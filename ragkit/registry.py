"""A small named-factory registry: "kind:arg" specs → components, one shape for every kind.

Rerankers ("cross-encoder:PATH"), generators ("openai:MODEL") and chat clients
("openai:MODEL@URL") are all built from a spec string through a `Registry`: the text before
the first ':' picks a factory, the rest is handed to it with the caller's keyword options.
An unknown kind is a ConfigError that lists the known ones, so a typo is fixed at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from ragkit.errors import ConfigError

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class Factory(Protocol[T_co]):
    """Builds a component from the spec's text after ':' ("" when none) and keyword options
    (`arg` is positional-only, so that no option name can clash with it)."""

    def __call__(self, arg: str, /, **options: Any) -> T_co: ...


@dataclass(frozen=True, slots=True)
class Entry(Generic[T]):
    """One registered kind: its name, factory and a one-line description (for help texts)."""

    name: str
    factory: Factory[T]
    description: str


class Registry(Generic[T]):
    """Named factories of one kind of component (`what`, e.g. "reranker").

    `name in registry`, `iter(registry)` and `sorted(registry)` see the registered names;
    `get(spec, **options)` builds a component; `examples` is appended to the unknown-name
    error (e.g. "'cohere:rerank-v3.5'") to show what a spec looks like.
    """

    def __init__(self, what: str, examples: str = "") -> None:
        self.what = what
        self.examples = examples
        self._entries: dict[str, Entry[T]] = {}

    def register(self, name: str, factory: Factory[T], description: str) -> Factory[T]:
        """Add `factory` under `name` (ConfigError if taken or not a plain name); returns it."""
        if not name or ":" in name or name != name.strip():
            raise ConfigError(f"{self.what} name must be non-empty, without ':', got {name!r}")
        if name in self._entries:
            raise ConfigError(f"{self.what} {name!r} is already registered")
        self._entries[name] = Entry(name, factory, description)
        return factory

    def parse(self, spec: str) -> tuple[str, str]:
        """Split a spec into (kind, arg) at the first ':' and check the kind is known."""
        if not isinstance(spec, str) or not spec.strip():
            raise ConfigError(f"{self.what} spec must be a non-empty string, got {spec!r}")
        kind, _, arg = spec.strip().partition(":")
        if kind not in self._entries:
            hint = f" (e.g. {self.examples})" if self.examples else ""
            raise ConfigError(
                f"unknown {self.what} {kind!r} in spec {spec!r}; "
                f"expected one of {self.names()}{hint}"
            )
        return kind, arg

    def get(self, spec: str, **options: Any) -> T:
        """The component a spec such as "kind" or "kind:arg" names, built with `options`."""
        kind, arg = self.parse(spec)
        return self._entries[kind].factory(arg, **options)

    def names(self) -> list[str]:
        """The registered names, sorted."""
        return sorted(self._entries)

    def describe(self) -> dict[str, str]:
        """Name → description, sorted by name (for CLI help and docs)."""
        return {name: self._entries[name].description for name in self.names()}

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Registry({self.what!r}, {self.names()})"
