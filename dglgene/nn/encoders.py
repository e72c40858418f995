"""Gene-graph encoders: MuSe-GNN's weight-shared graph transformer, and a plain GCN.

Both map each dataset's graph and node features to gene embeddings. Datasets keep their
own first layer (their feature widths differ: one column per cell); what comes after is
shared as the encoder says.
"""

from __future__ import annotations

from collections.abc import Mapping

import dgl
import torch
from dgl.nn import GraphConv
from torch import Tensor, nn

from dglgene.nn.graph_norm import GraphNorm
from dglgene.nn.graph_transformer_conv import GraphTransformerConv
from dglgene.registry import Registry

ENCODERS: Registry[nn.Module] = Registry("encoder")


class TransformerNormMish(nn.Module):
    """GraphTransformerConv -> GraphNorm -> Mish."""

    def __init__(self, in_feats: int, out_feats: int, num_heads: int) -> None:
        super().__init__()
        self.conv = GraphTransformerConv(in_feats, out_feats, num_heads, concat=True)
        self.norm = GraphNorm(out_feats * num_heads)
        self.act = nn.Mish()

    def forward(self, graph: dgl.DGLGraph, feat: Tensor) -> Tensor:
        return self.act(self.norm(graph, self.conv(graph, feat)))


class SharedBlock(nn.Module):
    r"""MuSe-GNN's block shared by a group of datasets (e.g. one modality and tissue).

    .. math::
        z = \mathrm{TConv}_{2}\big(\mathrm{Mish}(\mathrm{GN}(\mathrm{TConv}_{1}(h)))\big)
            + \mathrm{TConv}_{res}(h)

    with :math:`\mathrm{TConv}_1`: ``in -> dim x shared_heads`` (concat),
    :math:`\mathrm{TConv}_2` and :math:`\mathrm{TConv}_{res}`: ``-> dim`` (one head).
    """

    def __init__(self, in_feats: int, dim: int, shared_heads: int) -> None:
        super().__init__()
        self.first = TransformerNormMish(in_feats, dim, shared_heads)
        self.second = GraphTransformerConv(dim * shared_heads, dim, 1)
        self.residual = GraphTransformerConv(in_feats, dim, 1)

    def forward(self, graph: dgl.DGLGraph, feat: Tensor) -> Tensor:
        return self.second(graph, self.first(graph, feat)) + self.residual(graph, feat)


@ENCODERS.register("muse")
class MuSeEncoder(nn.Module):
    """Dataset-specific layer, then the block of the dataset's sharing group.

    ``in_feats`` maps each dataset to its feature width and ``groups`` each dataset to its
    sharing group (MuSe-GNN shares by modality and tissue). Defaults follow the paper:
    a 4-head specific layer of 32 per head, a 2-head shared block, embeddings of 32.

    >>> import dgl, torch
    >>> enc = MuSeEncoder({"a": 5, "b": 7}, {"a": "rna", "b": "rna"})
    >>> g = dgl.add_self_loop(dgl.rand_graph(6, 12))
    >>> enc(g, torch.randn(6, 5), "a").shape
    torch.Size([6, 32])
    """

    def __init__(self, in_feats: Mapping[str, int], groups: Mapping[str, str],
                 dim: int = 32, heads: int = 4, shared_heads: int = 2) -> None:
        super().__init__()
        # ModuleDict keys may not contain dots: index datasets and groups by position.
        self.datasets = {name: f"d{k}" for k, name in enumerate(in_feats)}
        self.group_of = dict(groups)
        self.group_keys = {g: f"g{k}" for k, g in enumerate(sorted(set(groups.values())))}
        self.specific = nn.ModuleDict({self.datasets[name]: TransformerNormMish(width, dim, heads)
                                       for name, width in in_feats.items()})
        self.shared = nn.ModuleDict({key: SharedBlock(dim * heads, dim, shared_heads)
                                     for key in self.group_keys.values()})
        self.dim, self.heads = dim, heads

    def add_dataset(self, name: str, in_feats: int, group: str) -> None:
        """A specific layer for a new dataset, feeding the existing block of ``group``."""
        if group not in self.group_keys:
            raise ValueError(f"no shared block for group {group!r}; the encoder has "
                             f"{', '.join(self.group_keys)}")
        self.datasets[name] = f"d{len(self.datasets)}"
        self.group_of[name] = group
        self.specific[self.datasets[name]] = TransformerNormMish(in_feats, self.dim, self.heads)

    def specific_layer(self, dataset: str) -> nn.Module:
        """The layer of ``dataset`` alone (what a new dataset trains)."""
        return self.specific[self.datasets[dataset]]

    def forward(self, graph: dgl.DGLGraph, feat: Tensor, dataset: str) -> Tensor:
        hidden = self.specific_layer(dataset)(graph, feat)
        return self.shared[self.group_keys[self.group_of[dataset]]](graph, hidden)


@ENCODERS.register("gcn")
class GCNEncoder(nn.Module):
    """Two GraphConv layers per dataset (no sharing): the GAE/VGAE baselines' encoder.

    With ``variational=True`` the second layer gives a mean and a log standard deviation
    (Kipf & Welling 2016) and :meth:`forward` samples in training mode.
    """

    def __init__(self, in_feats: Mapping[str, int], groups: Mapping[str, str] | None = None,
                 dim: int = 32, hidden: int = 64, variational: bool = False) -> None:
        super().__init__()
        del groups  # nothing is shared
        self.datasets = {name: f"d{k}" for k, name in enumerate(in_feats)}
        out = 2 * dim if variational else dim
        self.layers = nn.ModuleDict({
            self.datasets[name]: nn.ModuleList([GraphConv(width, hidden, activation=torch.relu,
                                                          allow_zero_in_degree=True),
                                                GraphConv(hidden, out, allow_zero_in_degree=True)])
            for name, width in in_feats.items()})
        self.variational = variational
        self.dim = dim
        self.kl: Tensor | None = None  # KL term of the last variational forward

    def forward(self, graph: dgl.DGLGraph, feat: Tensor, dataset: str) -> Tensor:
        first, second = self.layers[self.datasets[dataset]]
        out = second(graph, first(graph, feat))
        if not self.variational:
            return out
        mean, log_std = out[:, : self.dim], out[:, self.dim:].clamp(max=10)
        self.kl = -0.5 / len(mean) * torch.mean(
            torch.sum(1 + 2 * log_std - mean**2 - log_std.exp() ** 2, dim=1))
        if self.training:
            return mean + torch.randn_like(mean) * log_std.exp()
        return mean
