"""Annotating a gene embedding: Leiden clusters and a UMAP layout (scanpy)."""

from __future__ import annotations

import anndata as ad
import scanpy as sc


def annotate_embedding(emb: ad.AnnData, seed: int = 0, n_neighbors: int = 15,
                       resolution: float = 1.0) -> ad.AnnData:
    """Add ``obs["cluster"]`` (Leiden on the kNN graph of the embedding) and
    ``obsm["X_umap"]``, in place; returns ``emb``."""
    sc.pp.neighbors(emb, n_neighbors=min(n_neighbors, emb.n_obs - 1), use_rep="X",
                    random_state=seed)
    sc.tl.leiden(emb, resolution=resolution, key_added="cluster", random_state=seed,
                 flavor="igraph", n_iterations=2, directed=False)
    sc.tl.umap(emb, random_state=seed)
    return emb
