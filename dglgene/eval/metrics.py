r"""Gene-embedding metrics of MuSe-GNN's Table 1 (Liu et al., NeurIPS 2023, arXiv 2310.02275).

Every metric is *higher is better*. Input convention: ``emb`` is ``n_rows x d``, one row per
(dataset, gene); ``genes[r]`` and ``datasets[r]`` name row ``r``. A gene is *common* when it
has rows in at least ``min_datasets`` (default 2) datasets. ``adjacency_by_dataset[d]`` is the
co-expression graph of dataset ``d`` (anything :class:`scipy.sparse.csr_matrix` accepts), over
that dataset's rows in the order they appear in ``emb``; any nonzero entry is an edge and the
graph is read as undirected (``A | A.T``), as ``networkx.from_pandas_adjacency`` reads it in
the reference.

Definitions follow the authors' evaluation code, HelloWorldLTY/MuSe-GNN
``benchmark/benchmark.py`` (same functions in ``benchmark/benchmark metrics.py``), which
calls scib (Luecken et al. 2022, Nat. Methods 19:41) for ASW, GC and iLISI; the scib
definitions are from theislab/scib ``scib/metrics/{silhouette,graph_connectivity,lisi}.py``
and LISI from Korsunsky et al. 2019 (immunogenomics/LISI ``R/utils.R``, ``src/utils.cpp``).
Everything here is written anew with NumPy/SciPy/scikit-learn.

* ``edge_auc`` (all rows): per dataset, AUROC of cosine similarity for graph edges against
  as many sampled non-edges, averaged over datasets.
* ``common_gene_asw`` (common rows): scib batch ASW, batch = dataset, groups = clusters.
* ``graph_connectivity`` (common rows): scib GC, labels = clusters, k-NN graph of all rows.
* ``ilisi`` (common rows): scib iLISI, median LISI of the dataset labels scaled to [0, 1].
* ``common_gene_ratio`` (all rows): :math:`1 - \sum_C |\mathrm{genes}(C)| / N`.
* ``neighbour_overlap`` (all rows): cluster-size-weighted mean over clusters of the mean
  Jaccard of co-expression neighbour sets over row pairs from different datasets.

*Clusters* are, as in the reference (``Model/MuSeGNN_heart.py``: ``sc.pp.neighbors(adata,
use_rep='X')`` then ``sc.tl.leiden(adata)``), Leiden clusters (resolution 1) of the 15-NN
UMAP graph of **all** rows; :func:`leiden_clusters` repeats those two steps. Every
cluster-based function also takes precomputed ``clusters``; :func:`embedding_metrics`
clusters once and shares the labels. :func:`summarize_methods` adds Table 1's Avg Score and
Avg Rank.

Where this departs from the reference (reasons in each docstring): common genes are those
in >= 2 datasets, not in all (``min_datasets`` restores the intersection); edge AUC
drops self-pairs and samples as many non-edges as edges (``negatives="all"`` for every
non-edge); ASW is defined where scib returns NaN; LISI takes exact Euclidean neighbours
instead of shortest paths on a 15-NN graph; NO scores an empty neighbour union 0 instead of
dividing by zero. CGR is the reference's, whose maximum is :math:`1 - G/N`, not 1.

>>> import numpy as np
>>> emb = np.array([[0.0], [2.0], [1.0], [3.0], [9.0]])
>>> genes = ["g1", "g2", "g1", "g2", "g3"]
>>> datasets = ["A", "A", "B", "B", "B"]
>>> float(common_gene_ratio(emb, genes, datasets, clusters=[0, 0, 0, 0, 1]))
0.4
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Mapping
from typing import Literal, NamedTuple

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import ArrayLike
from scipy.sparse.csgraph import connected_components
from sklearn.metrics import roc_auc_score, silhouette_samples
from sklearn.neighbors import NearestNeighbors

__all__ = [
    "METRICS",
    "common_gene_asw",
    "common_gene_mask",
    "common_gene_ratio",
    "edge_auc",
    "embedding_metrics",
    "graph_connectivity",
    "ilisi",
    "knn_graph",
    "leiden_clusters",
    "lisi",
    "neighbour_overlap",
    "summarize_methods",
]

#: Keys of :func:`embedding_metrics`, in Table 1's order; all are higher-is-better.
METRICS = ("edge_auc", "common_gene_asw", "graph_connectivity", "ilisi",
           "common_gene_ratio", "neighbour_overlap")

_LISI_TOL = 1e-5      # entropy tolerance of the perplexity search (LISI / scib)
_LISI_TRIES = 50      # bisection steps (LISI / scib)
_BLOCK = 4_000_000    # entries of one block of the sparse intersection product (memory cap)


# --------------------------------------------------------------------------- input checks
class _Rows(NamedTuple):
    emb: np.ndarray          # float64, n x d
    gene_codes: np.ndarray   # int, index into gene_names
    gene_names: np.ndarray
    ds_codes: np.ndarray     # int, index into ds_names (sorted)
    ds_names: np.ndarray
    common: np.ndarray       # bool mask of rows of common genes


def _as_embedding(emb: ArrayLike) -> np.ndarray:
    x = np.asarray(emb, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError(f"emb must be a non-empty 2-D array (rows x dims), got shape {x.shape}")
    if not np.isfinite(x).all():
        raise ValueError("emb contains NaN or infinite values; clean the embedding first")
    return x


def _labels(values: ArrayLike, n: int, what: str) -> tuple[np.ndarray, np.ndarray]:
    arr = np.asarray(values)
    if arr.ndim != 1 or len(arr) != n:
        raise ValueError(f"{what} must be 1-D with one entry per emb row ({n}), "
                         f"got shape {arr.shape}")
    names, codes = np.unique(arr, return_inverse=True)
    return names, codes.astype(np.int64)


def _rows(emb: ArrayLike, genes: ArrayLike, datasets: ArrayLike, *, min_datasets: int = 2,
          need_common: bool = True) -> _Rows:
    x = _as_embedding(emb)
    gene_names, gene_codes = _labels(genes, len(x), "genes")
    ds_names, ds_codes = _labels(datasets, len(x), "datasets")
    if len(ds_names) < 2:
        raise ValueError(f"need rows from at least 2 datasets, got {len(ds_names)}")
    key = ds_codes * len(gene_names) + gene_codes
    _, first, counts = np.unique(key, return_index=True, return_counts=True)
    if (counts > 1).any():
        r = first[np.argmax(counts > 1)]
        raise ValueError(f"gene {gene_names[gene_codes[r]]!r} has several rows in dataset "
                         f"{ds_names[ds_codes[r]]!r}; give one row per (dataset, gene)")
    if min_datasets < 2:
        raise ValueError(f"min_datasets must be >= 2, got {min_datasets}")
    # one row per (dataset, gene), so a gene's row count is its dataset count
    common = np.bincount(gene_codes, minlength=len(gene_names))[gene_codes] >= min_datasets
    if need_common and not common.any():
        raise ValueError(f"no common genes: no gene has rows in >= {min_datasets} datasets")
    return _Rows(x, gene_codes, gene_names, ds_codes, ds_names, common)


def _clusters(clusters: ArrayLike | None, x: np.ndarray, k: int, resolution: float,
              seed: int) -> np.ndarray:
    if clusters is None:
        return leiden_clusters(x, k=k, resolution=resolution, seed=seed)
    return _labels(clusters, len(x), "clusters")[1]


def _adjacencies(adjacency_by_dataset: Mapping[Hashable, ArrayLike],
                 ds_names: np.ndarray, ds_codes: np.ndarray) -> list[sp.csr_matrix]:
    """Undirected 0/1 adjacency per dataset (sorted dataset order); self-loops kept."""
    missing = [d for d in ds_names if d not in adjacency_by_dataset]
    if missing:
        raise ValueError(f"adjacency_by_dataset has no graph for dataset(s) {missing[:5]}")
    extra = [d for d in adjacency_by_dataset if d not in set(ds_names.tolist())]
    if extra:
        raise ValueError(f"adjacency_by_dataset has graphs for unknown dataset(s) {extra[:5]}")
    out = []
    for i, name in enumerate(ds_names):
        n_t = int((ds_codes == i).sum())
        a = sp.csr_matrix(adjacency_by_dataset[name])
        if a.shape != (n_t, n_t):
            raise ValueError(f"adjacency of dataset {name!r} is {a.shape}, but the dataset has "
                             f"{n_t} rows in emb; it must be {n_t} x {n_t} in row order")
        a = (a != 0).astype(np.int8)
        out.append(((a + a.T) > 0).astype(np.int8).tocsr())
    return out


def _neighbours(x: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Distances and indices of each row's ``m`` nearest *other* rows (exact, ascending)."""
    # sklearn's "auto" goes brute-force when m >= n/2, which costs ~40 ms of fixed overhead
    # per call on tiny inputs; a tree is exact too and fast there
    algorithm = "auto" if len(x) >= 2048 else "kd_tree"
    return NearestNeighbors(n_neighbors=m, algorithm=algorithm).fit(x).kneighbors()


# --------------------------------------------------------------------------- building blocks
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


# --------------------------------------------------------------------------- the six metrics
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


def common_gene_asw(emb: ArrayLike, genes: ArrayLike, datasets: ArrayLike, *,
                    clusters: ArrayLike | None = None, k: int = 15, resolution: float = 1.0,
                    seed: int = 0, min_datasets: int = 2) -> float:
    r"""scib's batch ASW over the common-gene rows: batch = dataset, groups = clusters.

    Reference (``calculate_common_asw``): ``scib.metrics.silhouette_batch(common rows,
    batch_key='tissue', group_key='leiden')``, Leiden clusters computed on all rows. With
    :math:`s(i)` the silhouette of row :math:`i`'s *dataset* label among the common rows
    of its cluster :math:`C` (Euclidean),

    .. math:: \mathrm{ASW} = \frac{1}{|\mathcal C|}\sum_{C\in\mathcal C}
              \frac{1}{|C|}\sum_{i\in C} \big(1 - |s(i)|\big),

    where, as in scib, :math:`\mathcal C` leaves out clusters whose common rows come from
    one dataset only, or each from a different dataset (silhouette undefined). 1: datasets
    mixed within clusters; 0: separated. scib returns NaN when that leaves nothing; here the
    left-out clusters are then scored instead — one dataset: 0 (no mixing), all datasets
    distinct: 1 (singleton silhouettes are 0, Rousseeuw's convention) — and averaged, so
    the score is defined everywhere and equals scib's wherever scib's is.

    >>> emb = np.array([[0.0], [2.0], [1.0], [3.0], [100.0]])
    >>> asw = common_gene_asw(emb, ["g1", "g2", "g1", "g2", "g3"], ["A", "A", "B", "B", "A"],
    ...                       clusters=[0, 0, 0, 0, 0])
    >>> float(asw)   # silhouettes 0, -1/2, -1/2, 0; g3 is not common
    0.75
    """
    r = _rows(emb, genes, datasets, min_datasets=min_datasets)
    cl = _clusters(clusters, r.emb, k, resolution, seed)
    x, ds, cl = r.emb[r.common], r.ds_codes[r.common], cl[r.common]
    scores, fallback = [], []
    for c in np.unique(cl):
        idx = np.flatnonzero(cl == c)
        n_ds = len(np.unique(ds[idx]))
        if n_ds == 1:
            fallback.append(0.0)
        elif n_ds == len(idx):
            fallback.append(1.0)
        else:
            scores.append(np.mean(1.0 - np.abs(silhouette_samples(x[idx], ds[idx]))))
    return float(np.mean(scores if scores else fallback))


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


def ilisi(emb: ArrayLike, datasets: ArrayLike, perplexity: float = 30.0) -> float:
    r"""scib's iLISI: median LISI of the dataset labels, scaled to [0, 1].

    .. math:: \mathrm{iLISI} = \frac{\operatorname{median}_i \mathrm{LISI}_i - 1}{B - 1}

    with :func:`lisi` (perplexity 30, 90 neighbours) and :math:`B` the number of datasets
    among the rows given: 0 when every neighbourhood holds one dataset, 1 when all
    :math:`B` are evenly mixed (scib ``ilisi_graph(..., scale=True)``; the median as scib
    takes it). Reference (``calculate_iLISI``): ``scib.metrics.ilisi_graph(common rows,
    batch_key='tissue', type_='embed')``, so pass the common rows (see
    :func:`common_gene_mask`); :func:`embedding_metrics` does.

    >>> round(ilisi(np.eye(4), ["A", "A", "B", "B"], perplexity=1), 12)  # LISI 1.8 for all
    0.8
    """
    x = _as_embedding(emb)
    names, _ = _labels(datasets, len(x), "datasets")
    if len(names) < 2:
        raise ValueError(f"need rows from at least 2 datasets, got {len(names)}")
    return float((np.nanmedian(lisi(x, datasets, perplexity)) - 1.0) / (len(names) - 1))


def common_gene_ratio(emb: ArrayLike, genes: ArrayLike, datasets: ArrayLike, k: int = 15, *,
                      clusters: ArrayLike | None = None, resolution: float = 1.0,
                      seed: int = 0) -> float:
    r"""Common-gene ratio: how often a gene's rows from different datasets share a cluster.

    Reference (``calculate_common_gene_propertion``), over *all* :math:`N` rows and the
    Leiden clusters :math:`C`:

    .. math:: \mathrm{CGR} = \sum_C \frac{|C|}{N}\Big(1 - \frac{|\mathrm{genes}(C)|}{|C|}\Big)
              = 1 - \frac{1}{N}\sum_C |\mathrm{genes}(C)|,

    :math:`|\mathrm{genes}(C)|` = distinct gene names in :math:`C`. 0 when no cluster holds
    two rows of one gene (e.g. datasets in separate clusters); its maximum,
    :math:`1 - G/N` with :math:`G` distinct genes, when every gene's rows share a cluster —
    not 1: with every gene in all of :math:`D` datasets the maximum is :math:`1 - 1/D`.

    >>> float(common_gene_ratio([[0.0], [1.0], [0.0], [1.0]], ["a", "b", "a", "b"],
    ...                         [1, 1, 2, 2], clusters=[0, 1, 0, 2]))   # 1 - (1 + 1 + 1)/4
    0.25
    """
    r = _rows(emb, genes, datasets)
    cl = _clusters(clusters, r.emb, k, resolution, seed)
    distinct = len(np.unique(cl * len(r.gene_names) + r.gene_codes))  # sum_C |genes(C)|
    return float(1.0 - distinct / len(r.emb))


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


# --------------------------------------------------------------------------- together
def embedding_metrics(emb: ArrayLike, genes: ArrayLike, datasets: ArrayLike,
                      adjacency_by_dataset: Mapping[Hashable, ArrayLike], seed: int = 0, *,
                      k: int = 15, perplexity: float = 30.0, resolution: float = 1.0,
                      clusters: ArrayLike | None = None,
                      min_datasets: int = 2) -> dict[str, float]:
    """All six metrics (keys :data:`METRICS`), higher is better for each.

    Leiden clusters are computed once (:func:`leiden_clusters` with ``k``, ``resolution``,
    ``seed``) unless ``clusters`` is given, and shared by ASW, GC, CGR and NO; ``seed`` also
    seeds the edge-AUC negatives. ASW, GC and iLISI use the common-gene rows
    (``min_datasets``), the others all rows, as in the reference.
    """
    r = _rows(emb, genes, datasets, min_datasets=min_datasets)
    cl = _clusters(clusters, r.emb, k, resolution, seed)
    common = r.common
    shared = {"clusters": cl, "seed": seed}
    return {
        "edge_auc": edge_auc(r.emb, datasets, adjacency_by_dataset, seed=seed),
        "common_gene_asw": common_gene_asw(r.emb, genes, datasets, min_datasets=min_datasets,
                                           **shared),
        "graph_connectivity": graph_connectivity(r.emb, genes, datasets, k=k,
                                                 min_datasets=min_datasets, **shared),
        "ilisi": ilisi(r.emb[common], np.asarray(datasets)[common], perplexity=perplexity),
        "common_gene_ratio": common_gene_ratio(r.emb, genes, datasets, **shared),
        "neighbour_overlap": neighbour_overlap(r.emb, genes, datasets, adjacency_by_dataset,
                                               **shared),
    }


def summarize_methods(table: pd.DataFrame) -> pd.DataFrame:
    r"""Add Table 1's ``avg_score`` and ``avg_rank`` to a methods x metrics table.

    Every column is a metric where **higher is better** (true of all six here). For metric
    :math:`m` and method :math:`a`, :math:`\tilde x_{am} = (x_{am} - \min_a x_{am}) /
    (\max_a x_{am} - \min_a x_{am})`, and a constant column (no spread) scales to 0 for
    every method, so it moves no one; ``avg_score`` is the mean of :math:`\tilde x_{a\cdot}`.
    ``avg_rank`` is the mean over metrics of the rank of the method, 1 = best, tied
    methods sharing the average of their ranks. Returns a copy, rows in the same order.

    >>> t = pd.DataFrame({"m1": [0.9, 0.5, 0.7], "m2": [0.1, 0.3, 0.3]}, index=list("abc"))
    >>> summarize_methods(t)[["avg_score", "avg_rank"]].round(3).values.tolist()
    [[0.5, 2.0], [0.5, 2.25], [0.75, 1.75]]
    """
    if not isinstance(table, pd.DataFrame) or table.empty:
        raise ValueError("table must be a non-empty DataFrame (rows = methods, columns = metrics)")
    clash = {"avg_score", "avg_rank"} & set(table.columns)
    if clash:
        raise ValueError(f"table already has column(s) {sorted(clash)}; pass the metrics only")
    try:
        values = table.astype(np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"every metric column must be numeric ({err})") from None
    if values.isna().to_numpy().any():
        raise ValueError("table has NaN; every method needs every metric")
    v = values.to_numpy()
    span = v.max(axis=0) - v.min(axis=0)
    scaled = np.divide(v - v.min(axis=0), span, out=np.zeros_like(v), where=span > 0)
    out = table.copy()
    out["avg_score"] = scaled.mean(axis=1)
    out["avg_rank"] = values.rank(ascending=False, method="average").mean(axis=1)
    return out
