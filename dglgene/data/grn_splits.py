"""Moved to :mod:`dglgene.grn.splits`; this old path still imports."""

from dglgene.grn import splits as _moved

__all__ = _moved.__all__


def __getattr__(name: str) -> object:
    return getattr(_moved, name)
