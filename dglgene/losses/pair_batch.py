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
               contrastive_genes: int | None, **extra: object) -> PairBatch:
    """The batch of one step: all common genes, and up to ``contrastive_genes`` different
    genes of each side drawn without replacement (None: all of them).

    Without replacement, a gene is never its own negative (a gene drawn twice would be);
    each side is drawn on its own, so the two datasets may differ in size.
    ``overlap`` is oriented from i to j (``PairOverlaps.get(i, j)``).
    """
    device = z_i.device

    def index(values: np.ndarray) -> Tensor:
        return torch.as_tensor(np.asarray(values, dtype=np.int64), device=device)

    take_i = _subsample(rng, len(overlap.diff_i), contrastive_genes)
    take_j = _subsample(rng, len(overlap.diff_j), contrastive_genes)
    return PairBatch(
        z_i=z_i, z_j=z_j,
        common_i=index(overlap.common_i), common_j=index(overlap.common_j),
        weights=torch.as_tensor(overlap.weights, dtype=z_i.dtype, device=device),
        diff_i=index(overlap.diff_i[take_i]),
        diff_i_neighbor=index(overlap.diff_i_neighbor[take_i]),
        diff_j=index(overlap.diff_j[take_j]),
        diff_j_neighbor=index(overlap.diff_j_neighbor[take_j]),
        seed=int(rng.integers(2**31)), **extra)
