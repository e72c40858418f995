"""Name -> class registries, so a config file or the CLI can pick parts by name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from dglgene.errors import DglgeneInputError

T = TypeVar("T")


class Registry(Generic[T]):
    """A named table of classes (encoders, decoders, losses).

    >>> losses = Registry("loss")
    >>> @losses.register("zero")
    ... class Zero: ...
    >>> losses.get("zero").__name__, losses.names()
    ('Zero', ['zero'])
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._table: dict[str, type[T]] = {}

    def register(self, name: str) -> Callable[[type[T]], type[T]]:
        def add(cls: type[T]) -> type[T]:
            if name in self._table and self._table[name] is not cls:
                raise ValueError(f"{self.kind} name {name!r} is already registered")
            self._table[name] = cls
            return cls
        return add

    def get(self, name: str) -> type[T]:
        if name not in self._table:
            raise DglgeneInputError(f"unknown {self.kind} {name!r}; choose one of "
                                    f"{', '.join(self.names())} or register your own")
        return self._table[name]

    def names(self) -> list[str]:
        return sorted(self._table)
