"""Baselines built from the same parts: GAE, VGAE, MuSe-GNN without its cross-dataset
losses, and per-dataset PCA of the node features."""

from __future__ import annotations

import anndata as ad
import numpy as np
from sklearn.decomposition import PCA

from dglgene.data import GraphCollection
from dglgene.models.graph_model import GraphModel, embedding_frame
from dglgene.models.muse_gnn import MuSeGNN


class GAE(GraphModel):
    """Graph auto-encoder (Kipf & Welling 2016): GCN encoder, inner-product decoder."""

    def __init__(self, collection: GraphCollection, dim: int = 32, seed: int = 0) -> None:
        super().__init__(collection, encoder="gcn", decoder="inner", losses={"recon": 1.0},
                         dim=dim, seed=seed)


class VGAE(GraphModel):
    """Variational GAE: reconstruction plus the KL term of the Gaussian encoder."""

    def __init__(self, collection: GraphCollection, dim: int = 32, seed: int = 0) -> None:
        super().__init__(collection, encoder="gcn", decoder="inner",
                         losses={"recon": 1.0, "kl": 1.0}, dim=dim,
                         encoder_options={"variational": True}, seed=seed)


def muse_ablation(collection: GraphCollection, dim: int = 32, seed: int = 0) -> MuSeGNN:
    """MuSe-GNN trained on reconstruction alone (no similarity or contrastive loss)."""
    return MuSeGNN(collection, dim=dim, losses={"recon": 1.0}, seed=seed)


def pca_embedding(collection: GraphCollection, dim: int = 32, seed: int = 0) -> ad.AnnData:
    """Each dataset's node features reduced to ``dim`` components, in embedding layout."""
    blocks = []
    for g in collection:
        feat = g.graph.ndata["feat"].numpy()
        k = min(dim, *feat.shape)
        reduced = PCA(k, random_state=seed).fit_transform(feat)
        blocks.append(np.pad(reduced, ((0, 0), (0, dim - k))))
    return ad.AnnData(np.concatenate(blocks).astype(np.float32), obs=embedding_frame(collection))
