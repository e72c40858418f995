"""One progress-bar policy for the whole package: shown on a terminal, silent otherwise."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from tqdm.auto import tqdm

T = TypeVar("T")


def progress(iterable: Iterable[T], desc: str, total: int | None = None) -> Iterable[T]:
    """Wrap ``iterable`` in a tqdm bar; ``disable=None`` hides it when stderr is no TTY."""
    return tqdm(iterable, desc=desc, total=total, disable=None, leave=False)
