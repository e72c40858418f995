"""Neighbour overlap: Jaccard of co-expression neighbour sets of rows clustered together."""

from __future__ import annotations

from collections.abc import Hashable, Mapping

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike

from dglgene.eval.metrics.inputs import _adjacencies, _rows
from dglgene.eval.metrics.neighbours import _clusters

_BLOCK = 4_000_000    # entries of one block of the sparse intersection product (memory cap)


def neighbour_overlap(emb: ArrayLike, genes: ArrayLike, datasets: ArrayLike,
                      adjacency_by_dataset: Mapping[Hashable, ArrayLike], k: int = 15, *,
                      clusters: ArrayLike | None = None, resolution: float = 1.0,
                      seed: int = 0) -> float:
    r"""Neighbour overlap: do clustered-together genes share co-expression neighbours?

    Reference (``calculate_common_neighbor_ovarlap``), over all :math:`N` rows and the
    Leiden clusters :math:`C`. Let :math:`\mathcal N(r)` be the set of gene *names*
    adjacent to row :math:`r`'s gene in its own dataset's graph (a self-loop puts the gene
    itself in, as ``networkx``'s ``neighbors`` does in the reference), and
    :math:`\Pi_C = \{(r, s) \in C^2 : \mathrm{dataset}(r) \ne \mathrm{dataset}(s)\}`
    (ordered pairs, any genes). Then

    .. math:: \mathrm{NO} = \sum_C \frac{|C|}{N}\,\frac{1}{|\Pi_C|}\sum_{(r,s)\in\Pi_C}
              \frac{|\mathcal N(r)\cap\mathcal N(s)|}{|\mathcal N(r)\cup\mathcal N(s)|},

    a cluster with :math:`\Pi_C = \emptyset` contributing 0, and an empty union giving 0
    (the reference would divide by zero). Computed with one sparse row-by-gene indicator
    matrix and blocked sparse products, never a Python loop over pairs.

    >>> import scipy.sparse as sp
    >>> a = sp.csr_matrix(np.array([[0, 1, 1], [1, 0, 0], [1, 0, 0]]))   # x - y, x - z
    >>> b = sp.csr_matrix(np.array([[0, 1], [1, 0]]))                    # x - y
    >>> emb = np.zeros((5, 2))
    >>> no = neighbour_overlap(emb, ["x", "y", "z", "x", "y"], ["A", "A", "A", "B", "B"],
    ...                        {"A": a, "B": b}, clusters=[0, 0, 0, 0, 0])
    >>> round(no, 12)   # xA-xB 1/2, xA-yB 0, yA-xB 0, yA-yB 1, zA-xB 0, zA-yB 1: 2.5 / 6
    0.416666666667
    """
    r = _rows(emb, genes, datasets)
    cl = _clusters(clusters, r.emb, k, resolution, seed)
    adjs = _adjacencies(adjacency_by_dataset, r.ds_names, r.ds_codes)
    n, n_genes = len(r.emb), len(r.gene_names)
    # indicator M[row, gene id] = 1 when that gene neighbours the row's gene in its dataset
    src, dst = [], []
    for t, adj in enumerate(adjs):
        rows = np.flatnonzero(r.ds_codes == t)
        coo = adj.tocoo()
        src.append(rows[coo.row])
        dst.append(r.gene_codes[rows[coo.col]])
    src_all, dst_all = np.concatenate(src), np.concatenate(dst)
    m = sp.csr_matrix((np.ones(len(src_all)), (src_all, dst_all)), shape=(n, n_genes))
    sizes = np.asarray(m.sum(axis=1)).ravel()
    total = 0.0
    for c in np.unique(cl):
        idx = np.flatnonzero(cl == c)
        ds = r.ds_codes[idx]
        n_pairs = len(idx) ** 2 - int((np.bincount(ds) ** 2).sum())
        if n_pairs == 0:
            continue
        mc, sc_ = m[idx], sizes[idx]
        block = max(1, _BLOCK // len(idx))
        jaccard_sum = 0.0
        for start in range(0, len(idx), block):
            inter = (mc[start:start + block] @ mc.T).tocoo()  # |N(r) ∩ N(s)|, nonzero only
            i, j = inter.row + start, inter.col
            cross = ds[i] != ds[j]
            i, j, both = i[cross], j[cross], inter.data[cross]
            jaccard_sum += float((both / (sc_[i] + sc_[j] - both)).sum())
        total += len(idx) / n * jaccard_sum / n_pairs
    return float(total)
