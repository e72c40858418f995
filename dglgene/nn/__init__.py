"""DGL layers (PyTorch modules) in the style of ``dgl.nn.pytorch``, encoders and decoders."""

from dglgene.nn.attentive_pooling import AttentivePooling, MeanPooling
from dglgene.nn.cell_encodings import CellEncodings
from dglgene.nn.decoders import DECODERS, BilinearDecoder, InnerProductDecoder, MLPDecoder
from dglgene.nn.encoders import ENCODERS, GCNEncoder, MuSeEncoder, SharedBlock
from dglgene.nn.gene_representation import FixedEmbedding, PooledEncodings, scbert_cell_encodings
from dglgene.nn.graph_norm import GraphNorm
from dglgene.nn.graph_transformer_conv import GraphTransformerConv
from dglgene.nn.grn_gnn import GRN_GNNS, GATEncoder, GCNLinkEncoder, known_grn_graph
from dglgene.nn.link_head import DirectionalLinkHead
from dglgene.nn.performer import (
    ScBertEncoder,
    checkpoint_genes,
    load_scbert_checkpoint,
    save_scbert_checkpoint,
)

__all__ = [
    "DECODERS", "ENCODERS", "GRN_GNNS", "AttentivePooling", "BilinearDecoder", "CellEncodings",
    "DirectionalLinkHead",
    "FixedEmbedding", "GATEncoder", "GCNEncoder", "GCNLinkEncoder", "GraphNorm",
    "GraphTransformerConv", "InnerProductDecoder", "MLPDecoder", "MeanPooling", "MuSeEncoder",
    "PooledEncodings", "ScBertEncoder", "SharedBlock", "checkpoint_genes", "known_grn_graph",
    "load_scbert_checkpoint", "save_scbert_checkpoint", "scbert_cell_encodings",
]
