"""Moved to :mod:`dglgene.grn.gene_embeddings`; this old path still imports."""

from dglgene.grn import gene_embeddings as _moved

__all__ = _moved.__all__


def __getattr__(name: str) -> object:
    return getattr(_moved, name)
