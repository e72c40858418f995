"""The neighbour machinery the metrics share: common genes, the k-NN graph, Leiden
clusters and LISI."""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike

from dglgene.eval.metrics.inputs import _as_embedding, _labels, _neighbours, _rows

_LISI_TOL = 1e-5      # entropy tolerance of the perplexity search (LISI / scib)
_LISI_TRIES = 50      # bisection steps (LISI / scib)


def common_gene_mask(genes: ArrayLike, datasets: ArrayLike, min_datasets: int = 2) -> np.ndarray:
    """Boolean mask of rows whose gene has rows in at least ``min_datasets`` datasets.

    The reference (``calculate_common_asw`` & co.) intersects the gene sets of *all*
    datasets; pass ``min_datasets=<number of datasets>`` to get that.

    >>> common_gene_mask(["a", "b", "a", "c"], [1, 1, 2, 2]).tolist()
    [True, False, True, False]
    """
    genes = np.asarray(genes)
    return _rows(np.zeros((len(genes), 1)), genes, datasets, min_datasets=min_datasets,
                 need_common=False).common


def knn_graph(emb: ArrayLike, k: int = 15) -> sp.csr_matrix:
    """Exact Euclidean k-NN graph, 0/1, symmetrised by union, no self-loops.

    ``k`` counts the row itself, as scanpy's ``n_neighbors`` does, so each row links to
    its ``k - 1`` nearest other rows (at most ``n - 1``): the edge set of scanpy's
    ``connectivities`` for an exact search. Ties at the k-th distance are broken arbitrarily.

    >>> knn_graph([[0.0], [1.0], [5.0]], k=2).toarray().tolist()
    [[0, 1, 0], [1, 0, 1], [0, 1, 0]]
    """
    x = _as_embedding(emb)
    if k < 2:
        raise ValueError(f"k must be >= 2 (it counts the row itself), got {k}")
    n = len(x)
    m = min(k - 1, n - 1)
    if m == 0:
        return sp.csr_matrix((n, n), dtype=np.int8)
    idx = _neighbours(x, m)[1]
    g = sp.csr_matrix((np.ones(idx.size, np.int8), (np.repeat(np.arange(n), m), idx.ravel())),
                      shape=(n, n))
    return ((g + g.T) > 0).astype(np.int8).tocsr()


def leiden_clusters(emb: ArrayLike, k: int = 15, resolution: float = 1.0, seed: int = 0,
                    n_iterations: int = -1) -> np.ndarray:
    """Leiden cluster label per row, made the way the reference makes them.

    The reference runs ``sc.pp.neighbors(adata, use_rep='X')`` then ``sc.tl.leiden(adata)``.
    This makes the same two steps without scanpy (whose sparse k-NN path breaks on this
    SciPy above 4096 rows): exact Euclidean ``k``-NN (``k`` counting the row itself, as
    ``n_neighbors`` does), UMAP connectivities from ``umap``'s ``fuzzy_simplicial_set``
    (scanpy's call), then ``leidenalg.find_partition`` with
    ``RBConfigurationVertexPartition``, the weighted *directed* graph, ``n_iterations=-1``
    and ``resolution``: scanpy's ``flavor="leidenalg"`` defaults that the reference ran
    with (checked: the same partitions as scanpy 1.11 below 4096 rows). Deterministic for
    a given ``seed``; labels are arbitrary integers. ``n_iterations=-1`` iterates to
    convergence, which can take minutes on large structureless embeddings (20k random rows:
    ~3 min); pass e.g. 2 there, or cluster once and hand ``clusters`` to the metrics.
    """
    x = _as_embedding(emb)
    if k < 2:
        raise ValueError(f"k must be >= 2, got {k}")
    n = len(x)
    if n < 3:
        return np.zeros(n, dtype=np.int64)
    k = min(k, n)
    dist, idx = _neighbours(x, k - 1)
    knn_idx = np.hstack([np.arange(n)[:, None], idx])  # the row itself first, at distance 0
    knn_dist = np.hstack([np.zeros((n, 1)), dist])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # umap's optional-dependency and numba notices
        from umap.umap_ import fuzzy_simplicial_set  # lazy: import + JIT cost seconds
    conn = fuzzy_simplicial_set(sp.coo_matrix((n, 1)), k, None, None, knn_indices=knn_idx,
                                knn_dists=knn_dist)[0].tocsr()
    import igraph
    import leidenalg

    src, dst = conn.nonzero()
    graph = igraph.Graph(n=n, edges=np.column_stack([src, dst]).tolist(), directed=True)
    part = leidenalg.find_partition(
        graph, leidenalg.RBConfigurationVertexPartition,
        weights=np.asarray(conn[src, dst], dtype=np.float64).ravel(),
        n_iterations=n_iterations, seed=seed, resolution_parameter=resolution)
    return np.asarray(part.membership, dtype=np.int64)


def _perplexity_weights(dist: np.ndarray, perplexity: float) -> np.ndarray:
    """Row-wise ``P_j ∝ exp(-beta d_j)`` with entropy ``log(perplexity)`` (LISI's search).

    Same bisection as LISI/scib (beta starts at 1, doubles/halves until bracketed, then
    bisects; stops at |H - log U| <= 1e-5 or after 50 steps), vectorised over rows.
    Distances are shifted by each row's minimum first: P and H are unchanged in exact
    arithmetic, but ``sum(P) >= 1`` can no longer underflow to 0, the case where LISI's
    code gives up (Simpson -1).
    """
    d = dist - dist[:, :1]  # sklearn returns ascending distances: column 0 is the minimum
    n = len(d)
    log_u = np.log(perplexity)

    def hbeta(dd: np.ndarray, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        p = np.exp(-dd * beta[:, None])
        s = p.sum(axis=1)
        h = np.log(s) + beta * (dd * p).sum(axis=1) / s
        return h, p / s[:, None]

    beta = np.ones(n)
    lo = np.full(n, -np.inf)
    hi = np.full(n, np.inf)
    h, p = hbeta(d, beta)
    diff = h - log_u
    active = np.abs(diff) > _LISI_TOL
    for _ in range(_LISI_TRIES):
        if not active.any():
            break
        up = active & (diff > 0)     # too flat: sharpen (raise beta)
        down = active & (diff <= 0)  # too sharp: flatten (lower beta)
        lo[up] = beta[up]
        beta[up] = np.where(np.isinf(hi[up]), beta[up] * 2, (beta[up] + hi[up]) / 2)
        hi[down] = beta[down]
        beta[down] = np.where(np.isinf(lo[down]), beta[down] / 2, (beta[down] + lo[down]) / 2)
        h[active], p[active] = hbeta(d[active], beta[active])
        diff = h - log_u
        active &= np.abs(diff) > _LISI_TOL
    return p


def lisi(emb: ArrayLike, labels: ArrayLike, perplexity: float = 30.0) -> np.ndarray:
    r"""Local inverse Simpson's index of ``labels`` for every row (Korsunsky et al. 2019).

    For row :math:`i` with its :math:`k = \min(\lfloor 3\,\mathrm{perplexity} \rfloor, n-1)`
    nearest other rows :math:`j` (exact Euclidean distances :math:`d_{ij}`, not squared, as
    LISI uses), weights :math:`p_{ij} \propto \exp(-\beta_i d_{ij})` with :math:`\beta_i`
    searched so that the entropy of :math:`p_{i\cdot}` is :math:`\log(\mathrm{perplexity})`;
    then :math:`\mathrm{LISI}_i = 1 / \sum_b \big(\sum_{j:\,\mathrm{label}_j=b} p_{ij}\big)^2`,
    between 1 (one label around :math:`i`) and the number of labels.

    Neighbours: :math:`k = 3\cdot 30 = 90` other rows by default, scib's ``k0=90``
    (LISI's R code takes 90 *including* the row itself, i.e. 89 others). scib searches
    them along shortest paths of a 15-NN graph with its compiled helper; here they are
    exact Euclidean neighbours from :class:`sklearn.neighbors.NearestNeighbors`. When
    :math:`\log(\mathrm{perplexity})` exceeds :math:`\log k` (few rows) the search ends at
    nearly uniform weights. Ties at the k-th distance are broken arbitrarily.

    >>> emb = np.eye(4)  # a regular simplex: every neighbour equally far
    >>> lisi(emb, ["A", "A", "B", "B"], perplexity=1).round(12).tolist()
    [1.8, 1.8, 1.8, 1.8]
    """
    x = _as_embedding(emb)
    _, lab = _labels(labels, len(x), "labels")
    if not perplexity > 0:
        raise ValueError(f"perplexity must be > 0, got {perplexity}")
    if len(x) < 2:
        raise ValueError("LISI needs at least 2 rows")
    k = min(int(np.floor(3 * perplexity)), len(x) - 1)
    if k < 1:
        raise ValueError(f"perplexity {perplexity} gives no neighbours (need 3*perplexity >= 1)")
    dist, idx = _neighbours(x, k)
    p = _perplexity_weights(dist, perplexity)
    n_lab = int(lab.max()) + 1
    per_label = np.bincount((np.arange(len(x))[:, None] * n_lab + lab[idx]).ravel(),
                            weights=p.ravel(), minlength=len(x) * n_lab).reshape(len(x), n_lab)
    return 1.0 / (per_label**2).sum(axis=1)



def _clusters(clusters: ArrayLike | None, x: np.ndarray, k: int, resolution: float,
              seed: int) -> np.ndarray:
    if clusters is None:
        return leiden_clusters(x, k=k, resolution=resolution, seed=seed)
    return _labels(clusters, len(x), "clusters")[1]
