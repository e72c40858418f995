"""Models: MuSe-GNN and the baselines, each a composition of encoder, decoders and losses."""

from dglgene.models.baselines import GAE, VGAE, muse_ablation, pca_embedding
from dglgene.models.graph_model import GraphModel, embedding_frame
from dglgene.models.grn_baselines import genie3_scores, pearson_scores, per_tf_prior
from dglgene.models.muse_gnn import MUSE_LOSSES, MuSeGNN
from dglgene.models.sctransnet import ScTransNet

__all__ = [
           "GAE",
           "MUSE_LOSSES",
           "VGAE",
           "GraphModel",
           "MuSeGNN",
           "ScTransNet",
           "embedding_frame",
           "genie3_scores",
           "muse_ablation",
           "pca_embedding",
           "pearson_scores",
           "per_tf_prior",
]
