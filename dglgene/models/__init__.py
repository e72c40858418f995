"""Models: MuSe-GNN and the baselines, each a composition of encoder, decoders and losses;
saved models (:func:`load`)."""

from dglgene.models.baselines import GAE, VGAE, muse_ablation, pca_embedding
from dglgene.models.graph_model import DatasetRecord, GraphModel, embedding_frame
from dglgene.models.grn_baselines import (
    degree_product,
    genie3_scores,
    pearson_scores,
    per_tf_prior,
    tf_similarity_vote,
)
from dglgene.models.muse_gnn import MUSE_LOSSES, MuSeGNN, MuSeGNNConfig
from dglgene.models.saved_model import load, save_muse_gnn, save_sctransnet
from dglgene.models.sctransnet import ScTransNet, ScTransNetConfig

__all__ = [
    "GAE",
    "MUSE_LOSSES",
    "VGAE",
    "DatasetRecord",
    "GraphModel",
    "MuSeGNN",
    "MuSeGNNConfig",
    "ScTransNet",
    "ScTransNetConfig",
    "degree_product",
    "embedding_frame",
    "genie3_scores",
    "load",
    "muse_ablation",
    "pca_embedding",
    "pearson_scores",
    "per_tf_prior",
    "save_muse_gnn",
    "save_sctransnet",
    "tf_similarity_vote",
]
