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

from collections.abc import Hashable, Mapping

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from dglgene.eval.metrics.asw import common_gene_asw
from dglgene.eval.metrics.common_gene_ratio import common_gene_ratio
from dglgene.eval.metrics.connectivity import graph_connectivity
from dglgene.eval.metrics.edge_auc import edge_auc
from dglgene.eval.metrics.ilisi import ilisi
from dglgene.eval.metrics.inputs import _rows
from dglgene.eval.metrics.neighbour_overlap import neighbour_overlap
from dglgene.eval.metrics.neighbours import (
    _clusters,
    common_gene_mask,
    knn_graph,
    leiden_clusters,
    lisi,
)

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

