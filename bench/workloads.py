"""Synthetic gene-graph collections for the pair-overlap benchmarks.

Each graph has ``n_genes`` genes drawn from a ``vocab``-gene vocabulary and a random
symmetric edge set with self-loops. Graph ``t`` takes a fraction ``f_t`` of its genes from a
shared core pool of ``n_genes`` genes and the rest from the remaining vocabulary, so a pair
shares about ``f_i * f_j + (1 - f_i) * (1 - f_j) * n_genes / (vocab - n_genes)`` of its
genes. The ``f_t`` are spread evenly over the range that maps this to 20-60 %, with a margin
for sampling noise, so every pair lands inside it.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import NamedTuple

import numpy as np

# Target pair-share band, pulled in from 20-60 % to absorb hypergeometric noise.
SHARE_LOW, SHARE_HIGH = 0.24, 0.56

Collection = tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]


class ShareStats(NamedTuple):
    """Shared fraction of genes, |G_i & G_j| / min(|G_i|, |G_j|), over all pairs."""

    min: float
    median: float
    max: float


def _core_fraction(share: float, ratio: float) -> float:
    """The f with f**2 + (1 - f)**2 * ratio = share (the expected share of two equal f)."""
    return (ratio + math.sqrt(ratio**2 - (1 + ratio) * (ratio - share))) / (1 + ratio)


def random_symmetric_csr(
    n: int, density: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """CSR (indptr, indices) of a G(n, p) graph with p = ``density`` plus every self-loop.

    Draws endpoint pairs with replacement and keeps the distinct ones; the draw count makes
    each pair present with probability ``density`` and costs O(density * n**2), far less than
    an n x n mask at 3000 genes.
    """
    draws = round(-math.log1p(-density) * n * n / 2)
    u = rng.integers(0, n, draws)
    v = rng.integers(0, n, draws)
    loops = np.arange(n)
    keys = np.unique(np.concatenate([u * n + v, v * n + u, loops * n + loops]))
    rows, indices = np.divmod(keys, n)
    indptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    return indptr, indices.astype(np.int64)


@lru_cache(maxsize=8)
def make_collection(
    n_graphs: int, n_genes: int, vocab: int = 20000, density: float = 0.05, seed: int = 0
) -> Collection:
    """(indptrs, indices, gene_ids) of ``n_graphs`` random graphs, as read-only int64 arrays.

    Cached per parameter set (the arrays are read-only so callers cannot corrupt the cache).
    Local node order is a random permutation of the graph's genes, as in real data sets.
    """
    # Two graphs share at least n_genes / vocab of their genes on average, whatever f_t.
    if not 0 < n_genes <= SHARE_LOW * vocab:
        raise ValueError(f"n_genes must lie in (0, {SHARE_LOW} * vocab] for the shares to "
                         f"reach {SHARE_LOW:.0%}, got {n_genes} of {vocab}")
    rng = np.random.default_rng(seed)
    ratio = n_genes / (vocab - n_genes)
    f_low, f_high = _core_fraction(SHARE_LOW, ratio), _core_fraction(SHARE_HIGH, ratio)
    fractions = rng.permutation(np.linspace(f_low, f_high, n_graphs))
    genes = rng.permutation(vocab)
    core, rest = genes[:n_genes], genes[n_genes:]

    indptrs, indices, gene_ids = [], [], []
    for f in fractions:
        n_core = round(f * n_genes)
        ids = np.concatenate([rng.choice(core, n_core, replace=False),
                              rng.choice(rest, n_genes - n_core, replace=False)])
        ptr, idx = random_symmetric_csr(n_genes, density, rng)
        for store, array in zip((indptrs, indices, gene_ids),
                                (ptr, idx, rng.permutation(ids).astype(np.int64))):
            array.setflags(write=False)
            store.append(array)
    return indptrs, indices, gene_ids


def share_stats(gene_ids: list[np.ndarray]) -> ShareStats:
    """Min/median/max shared fraction over all unordered pairs of graphs."""
    vocab = 1 + max(int(ids.max()) for ids in gene_ids)
    member = np.zeros((len(gene_ids), vocab), np.float32)
    for t, ids in enumerate(gene_ids):
        member[t, ids] = 1.0
    common = member @ member.T  # exact: counts stay far below float32's 2**24
    sizes = np.array([len(ids) for ids in gene_ids], np.float64)
    i, j = np.triu_indices(len(gene_ids), k=1)
    share = common[i, j] / np.minimum(sizes[i], sizes[j])
    return ShareStats(float(share.min()), float(np.median(share)), float(share.max()))


def edge_density(indptrs: list[np.ndarray]) -> float:
    """Mean nnz / n**2 over the graphs (self-loops included)."""
    return float(np.mean([ptr[-1] / (len(ptr) - 1) ** 2 for ptr in indptrs]))
