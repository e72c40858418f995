"""Edge AUC: how well cosine similarity separates each dataset's graph edges from
non-edges."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Literal

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike
from sklearn.metrics import roc_auc_score

from dglgene.eval.metrics.inputs import _adjacencies, _as_embedding, _labels


def edge_auc(emb: ArrayLike, datasets: ArrayLike,
             adjacency_by_dataset: Mapping[Hashable, ArrayLike], seed: int = 0, *,
             negatives: Literal["sampled", "all"] = "sampled") -> float:
    r"""Mean over datasets of the AUROC separating graph edges from non-edges by similarity.

    For dataset :math:`t` with rows :math:`z_g`, the score of a gene pair is the cosine
    similarity :math:`\cos(z_g, z_h)` (a zero row scores 0). Positives: every edge
    :math:`g < h` of the undirected graph, self-loops excluded. Negatives: with
    ``negatives="sampled"`` as many distinct non-adjacent pairs :math:`g < h` as there are
    edges (all of them if fewer), drawn uniformly with ``np.random.default_rng([seed, t])``
    (``t`` = position of the dataset in sorted order); with ``"all"``, every non-adjacent
    pair (exact, :math:`O(n_t^2)` memory). The score is
    :math:`\frac{1}{T}\sum_t \mathrm{AUROC}_t`, ties counting 1/2 (cosines are rounded to 12
    decimals first, so parallel rows tie instead of differing in the last bit).

    Reference (``calculate_AUC``): ``roc_auc_score(A.flatten(), sigmoid(Zn @ Zn.T).flatten())``
    per dataset, averaged. The sigmoid is monotone, so it leaves the AUROC unchanged; the
    reference's ordered pairs count every pair twice on both sides, which leaves it
    unchanged too; its self-pairs (cosine 1 against the graph's diagonal) are dropped here,
    and its all-pairs negatives become an equal-size seeded sample (same expected AUROC)
    unless ``negatives="all"``. A dataset with no edge, or no non-edge, has no AUROC and
    is left out of the mean. Unlike the other metrics, one dataset is enough.

    >>> import scipy.sparse as sp
    >>> emb = np.array([[1, 0], [1, 0.1], [0, 1], [0.1, 1]])   # two similar pairs
    >>> adj = sp.csr_matrix(np.array([[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]]))
    >>> edge_auc(emb, ["A"] * 4, {"A": adj})
    1.0
    """
    x = _as_embedding(emb)
    ds_names, ds_codes = _labels(datasets, len(x), "datasets")
    if negatives not in ("sampled", "all"):
        raise ValueError(f"negatives must be 'sampled' or 'all', got {negatives!r}")
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    xn = np.divide(x, norms, out=np.zeros_like(x), where=norms > 0)
    aucs = []
    for t, adj in enumerate(_adjacencies(adjacency_by_dataset, ds_names, ds_codes)):
        rows = np.flatnonzero(ds_codes == t)
        n_t = len(rows)
        upper = sp.triu(adj, k=1).tocoo()
        pos_i, pos_j = upper.row.astype(np.int64), upper.col.astype(np.int64)
        n_pairs = n_t * (n_t - 1) // 2
        n_pos = len(pos_i)
        if n_pos == 0 or n_pos == n_pairs:
            continue
        rng = np.random.default_rng([seed, t])
        neg_i, neg_j = _non_edges(adj, pos_i * n_t + pos_j, n_t, n_pos, rng, negatives)
        i = np.concatenate([pos_i, neg_i])
        j = np.concatenate([pos_j, neg_j])
        # rounded: parallel rows must tie at cosine 1, not differ in the last ulp
        score = np.round(np.einsum("ij,ij->i", xn[rows[i]], xn[rows[j]]), 12)
        label = np.concatenate([np.ones(n_pos), np.zeros(len(neg_i))])
        aucs.append(roc_auc_score(label, score))
    if not aucs:
        raise ValueError("no dataset has both edges and non-edges; edge AUC is undefined")
    return float(np.mean(aucs))


def _non_edges(adj: sp.csr_matrix, edge_ids: np.ndarray, n: int, n_pos: int,
               rng: np.random.Generator, negatives: str) -> tuple[np.ndarray, np.ndarray]:
    """Non-adjacent pairs i < j: all of them, or ``min(n_pos, #non-edges)`` distinct draws."""
    n_pairs = n * (n - 1) // 2
    want = min(n_pos, n_pairs - n_pos)
    if negatives == "all" or 3 * n_pos > n_pairs:
        # dense graph (rejection would stall) or exact request: enumerate the non-edges
        i, j = np.triu_indices(n, k=1)
        keep = adj.toarray()[i, j] == 0
        i, j = i[keep], j[keep]
        if negatives == "all":
            return i.astype(np.int64), j.astype(np.int64)
        pick = np.sort(rng.choice(len(i), size=want, replace=False))
        return i[pick].astype(np.int64), j[pick].astype(np.int64)
    edge_ids = np.sort(edge_ids)
    chosen = np.empty(0, dtype=np.int64)
    while len(chosen) < want:
        size = 2 * (want - len(chosen)) + 64
        a, b = rng.integers(0, n, size=size), rng.integers(0, n, size=size)
        a, b = np.minimum(a, b)[a != b], np.maximum(a, b)[a != b]  # uniform unordered pairs
        ids = a * n + b
        pos = np.searchsorted(edge_ids, ids).clip(max=len(edge_ids) - 1)
        ids = np.concatenate([chosen, ids[edge_ids[pos] != ids]])
        _, first = np.unique(ids, return_index=True)  # keep first draws, in draw order
        chosen = ids[np.sort(first)]
    chosen = chosen[:want]
    return chosen // n, chosen % n
