"""Graph connectivity: scib's GC of the common genes' rows per cluster."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike
from scipy.sparse.csgraph import connected_components

from dglgene.eval.metrics.inputs import _rows
from dglgene.eval.metrics.neighbours import _clusters, knn_graph


def graph_connectivity(emb: ArrayLike, genes: ArrayLike, datasets: ArrayLike, k: int = 15, *,
                       clusters: ArrayLike | None = None, resolution: float = 1.0,
                       seed: int = 0, min_datasets: int = 2) -> float:
    r"""scib's graph connectivity of the clusters, over the common-gene rows.

    Reference (``calculate_graph_connectivity``): ``scib.metrics.graph_connectivity(common
    rows, 'leiden')`` on the k-NN graph (``k=15``) of *all* rows restricted to the common
    rows. With :math:`G` = :func:`knn_graph` of all rows and, for each cluster :math:`C`,
    :math:`G_C` the subgraph on the common rows of :math:`C`,

    .. math:: \mathrm{GC} = \frac{1}{|\mathcal C|}\sum_{C}
              \frac{|\mathrm{LCC}(G_C)|}{|C \cap \mathrm{common}|}

    over the clusters holding common rows (LCC: largest connected component). 1: every
    cluster's common genes form one connected piece of the k-NN graph.

    >>> emb = np.array([[0.0], [1.0], [0.1], [1.1], [50.0], [51.0]])
    >>> genes = ["a", "b", "a", "b", "c", "c"]
    >>> gc = graph_connectivity(emb, genes, ["X", "X", "Y", "Y", "X", "Y"], k=2,
    ...                         clusters=[0, 0, 0, 0, 1, 1])   # k-NN edges: a-a, b-b, c-c
    >>> float(gc)   # cluster 0: pieces {a, a}, {b, b} -> 2/4; cluster 1: 2/2
    0.75
    """
    r = _rows(emb, genes, datasets, min_datasets=min_datasets)
    cl = _clusters(clusters, r.emb, k, resolution, seed)
    keep = np.flatnonzero(r.common)
    g = knn_graph(r.emb, k)[keep][:, keep].tocoo()
    cl = cl[keep]
    # drop edges between clusters: components then never span two clusters
    same = cl[g.row] == cl[g.col]
    g = sp.csr_matrix((g.data[same], (g.row[same], g.col[same])), shape=(len(keep), len(keep)))
    _, comp = connected_components(g, directed=False)
    comp_size = np.bincount(comp)
    cl_names, cl_codes = np.unique(cl, return_inverse=True)
    largest = np.zeros(len(cl_names))
    np.maximum.at(largest, cl_codes, comp_size[comp])
    return float(np.mean(largest / np.bincount(cl_codes)))
