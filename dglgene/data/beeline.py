"""Moved to :mod:`dglgene.grn.io` (and :class:`GRNData` to :mod:`dglgene.grn.dataset`);
this old path still imports."""

from dglgene.grn import io as _moved

__all__ = _moved.__all__


def __getattr__(name: str) -> object:
    return getattr(_moved, name)
