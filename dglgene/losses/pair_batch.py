"""Building a PairBatch for graphs (i, j) from the collection's precomputed overlaps."""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from dglgene.losses.base import PairBatch
from dglgene.ops import PairOverlap


def _subsample(rng: np.random.Generator, size: int, limit: int | None) -> np.ndarray:
    if limit is None or size <= limit:
        return np.arange(size)
    return np.sort(rng.choice(size, limit, replace=False))


def pair_batch(z_i: Tensor, z_j: Tensor, overlap: PairOverlap, rng: np.random.Generator,
               max_anchors: int | None = 256, max_negatives: int | None = 256,
               **extra: object) -> PairBatch:
    """The batch of one step; anchors (diff_i) and negatives (diff_j) are subsampled
    independently, so the two datasets may differ in size.

    ``overlap`` is oriented from i to j (``PairOverlaps.get(i, j)``).
    """
    device = z_i.device

    def index(values: np.ndarray) -> Tensor:
        return torch.as_tensor(np.asarray(values, dtype=np.int64), device=device)

    anchors = _subsample(rng, len(overlap.diff_i), max_anchors)
    negatives = _subsample(rng, len(overlap.diff_j), max_negatives)
    return PairBatch(
        z_i=z_i, z_j=z_j,
        common_i=index(overlap.common_i), common_j=index(overlap.common_j),
        weights=torch.as_tensor(overlap.weights, dtype=z_i.dtype, device=device),
        diff_i=index(overlap.diff_i[anchors]),
        diff_i_neighbor=index(overlap.diff_i_neighbor[anchors]),
        diff_j=index(overlap.diff_j[negatives]),
        diff_j_neighbor=index(overlap.diff_j_neighbor[negatives]),
        seed=int(rng.integers(2**31)), **extra)
