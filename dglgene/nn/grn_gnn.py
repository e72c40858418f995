r"""GNN encoders over the known regulatory network (GENELink / scTransNet).

The graph holds the *training* positive edges only, made undirected (GENELink's
default ``direction=False``) and with a self-loop per gene, so genes without a known
edge keep their own features. Node features are genes' expression profiles over cells.

``"gat"`` (GENELink): two multi-head graph attention layers, the first concatenating
its heads, the second averaging them,

.. math::
    h^{(1)}_i = \mathrm{ELU}\Big(\big\Vert_{k=1}^{K_1}
                \sum_{j \in N(i)} \alpha^{k}_{ij} W^{k}_1 x_j\Big), \qquad
    z_i = \frac{1}{K_2}\sum_{k=1}^{K_2} \sum_{j \in N(i)} \alpha^{k}_{ij} W^{k}_2 h^{(1)}_j,

with :math:`\alpha^k_{ij} = \mathrm{softmax}_j\,\mathrm{LeakyReLU}(a_k^\top[W^k h_i \Vert
W^k h_j])` (DGL's ``GATConv``); :math:`K_1 = K_2 = 3`, widths 128 and 64 by default.
``"gcn"``: the same depth with ``GraphConv`` (symmetric normalisation) and ReLU.

GENELink's own attention layer differs in two details we do not copy: it L2-normalises
each head's output, and a gene with no known edge attends uniformly to *all* genes (its
masked softmax row is constant), which the self-loops here replace.

Example
-------
>>> import torch
>>> graph = known_grn_graph(5, torch.tensor([0, 0]), torch.tensor([1, 2]))
>>> graph.num_edges()  # 2 edges both ways + 5 self-loops
9
>>> GATEncoder(in_feats=8)(graph, torch.randn(5, 8)).shape
torch.Size([5, 64])
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import dgl
import torch
import torch.nn.functional as F
from dgl.nn.pytorch import GATConv, GraphConv
from torch import Tensor, nn

from dglgene.registry import Registry

__all__ = ["GRN_GNNS", "GATEncoder", "GCNLinkEncoder", "known_grn_graph"]

GRN_GNNS: Registry[nn.Module] = Registry("GRN GNN")


def known_grn_graph(n_genes: int, tf: Tensor, target: Tensor) -> dgl.DGLGraph:
    """Undirected graph of the known edges (tf -> target) with one self-loop per gene."""
    tf, target = torch.as_tensor(tf, dtype=torch.long), torch.as_tensor(target, dtype=torch.long)
    keep = tf != target  # self-loops are added once below
    src = torch.cat([tf[keep], target[keep]])
    dst = torch.cat([target[keep], tf[keep]])
    graph = dgl.graph((src, dst), num_nodes=n_genes)
    return dgl.add_self_loop(dgl.to_simple(graph))


@GRN_GNNS.register("gat")
class GATEncoder(nn.Module):
    """GENELink's GAT: heads concatenated in every layer but the last, averaged there."""

    def __init__(self, in_feats: int, hidden: Sequence[int] = (128, 64),
                 heads: Sequence[int] = (3, 3), dropout: float = 0.1) -> None:
        super().__init__()
        if len(hidden) != len(heads) or not hidden:
            raise ValueError("hidden and heads need the same, non-zero length")
        dims = [in_feats] + [h * k for h, k in zip(hidden[:-1], heads[:-1])]
        self.layers = nn.ModuleList(GATConv(d, h, k, feat_drop=dropout)
                                    for d, h, k in zip(dims, hidden, heads))
        self.out_feats = hidden[-1]

    def forward(self, graph: dgl.DGLGraph, feat: Tensor) -> Tensor:
        h = feat
        for i, layer in enumerate(self.layers):
            h = layer(graph, h)  # (genes, heads, width)
            if i < len(self.layers) - 1:
                h = F.elu(h.flatten(1))
        return h.mean(1)


@GRN_GNNS.register("gcn")
class GCNLinkEncoder(nn.Module):
    """Stacked ``GraphConv`` layers (ReLU between them): the GCN option."""

    def __init__(self, in_feats: int, hidden: Sequence[int] = (128, 64),
                 dropout: float = 0.1) -> None:
        super().__init__()
        dims = [in_feats, *hidden]
        self.layers = nn.ModuleList(GraphConv(a, b) for a, b in pairwise(dims))
        self.dropout = nn.Dropout(dropout)
        self.out_feats = dims[-1]

    def forward(self, graph: dgl.DGLGraph, feat: Tensor) -> Tensor:
        h = feat
        for i, layer in enumerate(self.layers):
            h = layer(graph, self.dropout(h))
            if i < len(self.layers) - 1:
                h = F.relu(h)
        return h
