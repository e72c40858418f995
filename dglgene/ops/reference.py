"""Plain Python/NumPy reference of :func:`dglgene.ops.pair_overlaps`: the specification.

Slow and obvious on purpose: the native kernels are tested against it.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np

from dglgene.ops.pair_overlaps import PairOverlap, PairOverlaps

_MASK = (1 << 64) - 1


def mix64(z: int) -> int:
    """splitmix64's finaliser on unsigned 64-bit integers."""
    z = (z + 0x9E3779B97F4A7C15) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def draw_key(seed: int, i: int, j: int, side: int, u: int) -> int:
    """The random key of gene ``u`` on ``side`` (0: graph i, 1: graph j) of pair (i, j)."""
    h = mix64(seed)
    for value in (i, j, side):
        h = mix64(h ^ value)
    return mix64(h ^ u)


def draw_neighbor(candidates: list[int], u: int, key: int) -> int:
    """``candidates[floor(key * len / 2**64)]``, or ``u`` itself when it has no candidate."""
    return candidates[(key * len(candidates)) >> 64] if candidates else u


def jaccard(a: set[int], b: set[int]) -> float:
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def pair_overlaps_reference(
    indptrs: list[np.ndarray], indices: list[np.ndarray], gene_ids: list[np.ndarray],
    seed: int = 0,
) -> PairOverlaps:
    """Same contract as :func:`dglgene.ops.pair_overlaps` (inputs already validated)."""
    ids = [g.tolist() for g in gene_ids]
    rows = [
        [idx[ptr[u]:ptr[u + 1]].tolist() for u in range(len(ptr) - 1)]
        for ptr, idx in zip(indptrs, indices)
    ]
    neighbour_genes = [[{g[v] for v in row} for row in r] for g, r in zip(ids, rows)]
    draw_candidates = [[sorted(set(row) - {u}) for u, row in enumerate(r)] for r in rows]

    per_pair = []
    for i, j in combinations(range(len(ids)), 2):
        where_in_j = {gene: v for v, gene in enumerate(ids[j])}
        genes_i = set(ids[i])
        common_i = [u for u, gene in enumerate(ids[i]) if gene in where_in_j]
        common_j = [where_in_j[ids[i][u]] for u in common_i]
        diff_i = [u for u, gene in enumerate(ids[i]) if gene not in where_in_j]
        diff_j = [v for v, gene in enumerate(ids[j]) if gene not in genes_i]
        per_pair.append(PairOverlap(
            common_i=common_i,
            common_j=common_j,
            weights=[jaccard(neighbour_genes[i][u], neighbour_genes[j][v])
                     for u, v in zip(common_i, common_j)],
            diff_i=diff_i,
            diff_j=diff_j,
            diff_i_neighbor=[draw_neighbor(draw_candidates[i][u], u,
                                           draw_key(seed, i, j, 0, u)) for u in diff_i],
            diff_j_neighbor=[draw_neighbor(draw_candidates[j][v], v,
                                           draw_key(seed, i, j, 1, v)) for v in diff_j],
        ))
    return PairOverlaps.from_pairs(per_pair, len(ids))
