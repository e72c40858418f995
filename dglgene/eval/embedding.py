"""Annotating a gene embedding: Leiden clusters and a UMAP layout.

The clusters are :func:`~dglgene.eval.metrics.leiden_clusters`', the same function (and
so the same partition, for the same ``seed``, ``n_neighbors`` and ``resolution``) as
behind the embedding metrics; the UMAP layout is scanpy's over the same k-NN graph.
"""

from __future__ import annotations

import anndata as ad
import pandas as pd
import scanpy as sc

from dglgene.eval.metrics import leiden_clusters


def cluster_embedding(emb: ad.AnnData, seed: int = 0, n_neighbors: int = 15,
                      resolution: float = 1.0) -> ad.AnnData:
    """Add ``obs["cluster"]`` (Leiden on the kNN graph of the embedding, categorical), in
    place, unless it is there; returns ``emb``. Every later reader (the metrics, the UMAP
    plot, the enrichment) reads this one clustering."""
    if "cluster" not in emb.obs:
        clusters = leiden_clusters(emb.X, k=n_neighbors, resolution=resolution, seed=seed)
        emb.obs["cluster"] = pd.Categorical(
            clusters.astype(str), categories=sorted(set(clusters.astype(str)), key=int))
    return emb


def annotate_embedding(emb: ad.AnnData, seed: int = 0, n_neighbors: int = 15,
                       resolution: float = 1.0) -> ad.AnnData:
    """Add ``obs["cluster"]`` (:func:`cluster_embedding`, unless there) and
    ``obsm["X_umap"]``, in place; returns ``emb``."""
    cluster_embedding(emb, seed, n_neighbors, resolution)
    return add_umap(emb, seed, n_neighbors)


def add_umap(adata: ad.AnnData, seed: int = 0, n_neighbors: int = 15) -> ad.AnnData:
    """scanpy's k-NN graph of ``adata.X`` and its UMAP layout (``obsm["X_umap"]``), in
    place; returns ``adata``. The neighbours are exact (scikit-learn's): scanpy's default
    for 8,192 rows or more, pynndescent, fails with this SciPy (a ``csr_array`` without
    ``getnnz``)."""
    sc.pp.neighbors(adata, n_neighbors=min(n_neighbors, adata.n_obs - 1), use_rep="X",
                    random_state=seed, transformer="sklearn")
    sc.tl.umap(adata, random_state=seed)
    return adata
