"""DGL layers (PyTorch modules) in the style of ``dgl.nn.pytorch``, encoders and decoders."""

from dglgene.nn.attentive_pooling import AttentivePooling, MeanPooling
from dglgene.nn.decoders import DECODERS, InnerProductDecoder, MLPDecoder
from dglgene.nn.encoders import ENCODERS, GCNEncoder, MuSeEncoder, SharedBlock
from dglgene.nn.graph_norm import GraphNorm
from dglgene.nn.graph_transformer_conv import GraphTransformerConv
from dglgene.nn.performer import ScBertEncoder, load_scbert_checkpoint, save_scbert_checkpoint

__all__ = [
    "DECODERS", "ENCODERS", "AttentivePooling", "GCNEncoder", "GraphNorm", "GraphTransformerConv",
    "InnerProductDecoder", "MLPDecoder", "MeanPooling", "MuSeEncoder", "ScBertEncoder",
    "SharedBlock", "load_scbert_checkpoint", "save_scbert_checkpoint",
]
