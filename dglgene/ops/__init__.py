"""Python face of the native kernels, with plain NumPy reference versions."""

from dglgene.ops.pair_overlaps import (
    BACKENDS,
    PairOverlap,
    PairOverlaps,
    available_backends,
    pair_overlaps,
)
from dglgene.ops.reference import pair_overlaps_reference

__all__ = [
    "BACKENDS",
    "PairOverlap",
    "PairOverlaps",
    "available_backends",
    "pair_overlaps",
    "pair_overlaps_reference",
]
